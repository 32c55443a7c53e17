// SPDX-License-Identifier: GPL-2.0
/*
 * A stand-in for /dev/paxoslog for pxkvd's host tests, linked in with
 * -Wl,--wrap: opening "fake:DIR" gives a file on a log kept in DIR,
 * shared by every process that opens it (a cluster whose log commits at
 * once).  It follows Documentation/abi.rst and the snapshot ioctls of
 * uapi/linux/paxos.h as far as pxkvd uses them:
 *
 *   write()   appends a DATA record (every 7th index a NOOP goes first)
 *   read()    whole records from the position, blocking; below the first
 *             retained index a PAXOS_REC_SNAPSHOT record if the snapshot
 *             covers the gap, else -ERANGE
 *   llseek(), LAST_WRITE, BARRIER and COMMIT_INDEX (the record count)
 *   SNAP_WRITE pieces in order; the last makes it the snapshot and, with
 *             DIR/trim present, trims the log through its index
 *   SNAP_READ -ESTALE unless the snapshot is @index
 *
 * PXKV_FAKE_NOSNAP=1 makes SNAP_WRITE answer ENOTTY, as a kernel without
 * snapshots does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/paxos.h>


int __real_open(const char *path, int flags, ...);
ssize_t __real_read(int fd, void *buf, size_t n);
ssize_t __real_write(int fd, const void *buf, size_t n);
int __real_ioctl(int fd, unsigned long req, ...);
off_t __real_lseek(int fd, off_t off, int whence);
int __real_close(int fd);

#define MAXFD 1024

static struct fake {
	int used;
	char dir[256];
	uint64_t pos, last_write;
	uint8_t *snap;		/* a snapshot being written */
	uint64_t snap_index, snap_size, snap_have;
} F[MAXFD];

static struct fake *fake(int fd)
{
	return fd >= 0 && fd < MAXFD && F[fd].used ? &F[fd] : NULL;
}

static int lock_dir(const struct fake *f)
{
	char p[300];
	int fd;

	snprintf(p, sizeof(p), "%s/lock", f->dir);
	fd = __real_open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		flock(fd, LOCK_EX);
	return fd;
}

static void unlock_dir(int fd)
{
	if (fd >= 0)
		__real_close(fd);	/* drops the flock */
}

static FILE *dfile(const struct fake *f, const char *name, const char *mode)
{
	char p[300];

	snprintf(p, sizeof(p), "%s/%s", f->dir, name);
	return fopen(p, mode);
}

static uint64_t meta(const struct fake *f, const char *name)
{
	FILE *m = dfile(f, name, "r");
	unsigned long long v = 0;

	if (m) {
		if (fscanf(m, "%llu", &v) != 1)
			v = 0;
		fclose(m);
	}
	return v;
}

static void set_meta(const struct fake *f, const char *name, uint64_t v)
{
	FILE *m = dfile(f, name, "w");

	if (m) {
		fprintf(m, "%llu\n", (unsigned long long)v);
		fclose(m);
	}
}

static int has(const struct fake *f, const char *name)
{
	FILE *m = dfile(f, name, "r");

	if (m)
		fclose(m);
	return m != NULL;
}

static void append(const struct fake *f, uint16_t type, const void *p,
		   uint32_t len)
{
	struct paxos_record r = { meta(f, "count") + 1, len, type, 0 };
	FILE *l = dfile(f, "log", "a");

	if (!l)
		return;
	fwrite(&r, sizeof(r), 1, l);
	if (len)
		fwrite(p, 1, len, l);
	fclose(l);
	set_meta(f, "count", r.index);
}

int __wrap_open(const char *path, int flags, ...)
{
	va_list ap;
	int mode = 0, fd;

	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = va_arg(ap, int);
		va_end(ap);
	}
	if (strncmp(path, "fake:", 5))
		return __real_open(path, flags, mode);
	if (access(path + 5, F_OK))
		return -1;	/* errno from access */
	fd = __real_open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0 || fd >= MAXFD)
		return -1;
	memset(&F[fd], 0, sizeof(F[fd]));
	snprintf(F[fd].dir, sizeof(F[fd].dir), "%s", path + 5);
	F[fd].used = 1;
	F[fd].pos = 1;
	return fd;
}

int __wrap_close(int fd)
{
	struct fake *f = fake(fd);

	if (f) {
		free(f->snap);
		f->used = 0;
	}
	return __real_close(fd);
}

off_t __wrap_lseek(int fd, off_t off, int whence)
{
	struct fake *f = fake(fd);
	int lk;

	if (!f)
		return __real_lseek(fd, off, whence);
	lk = lock_dir(f);
	if (whence == SEEK_END)
		off += meta(f, "count") + 1;
	else if (whence == SEEK_CUR)
		off += f->pos;
	unlock_dir(lk);
	if (off < 1) {
		errno = EINVAL;
		return -1;
	}
	f->pos = off;
	return off;
}

ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
	struct fake *f = fake(fd);
	int lk;

	if (!f)
		return __real_write(fd, buf, n);
	if (!n || n > PAXOS_MAX_VALUE) {
		errno = n ? EMSGSIZE : EINVAL;
		return -1;
	}
	lk = lock_dir(f);
	if ((meta(f, "count") + 1) % 7 == 0)
		append(f, PAXOS_REC_NOOP, NULL, 0);
	append(f, PAXOS_REC_DATA, buf, n);
	f->last_write = meta(f, "count");
	unlock_dir(lk);
	return n;
}

/* Records from f->pos into @buf: bytes, 0 none yet, or -errno. */
static ssize_t fill(struct fake *f, uint8_t *buf, size_t cap)
{
	uint64_t first = meta(f, "first"), snap = meta(f, "snapindex");
	struct paxos_record r;
	size_t used = 0;
	FILE *l;

	if (first && f->pos < first) {
		if (!has(f, "snap") || snap + 1 < first)
			return -ERANGE;
		r = (struct paxos_record){ snap, 0, 4, 0 };
		memcpy(buf, &r, sizeof(r));
		f->pos = snap + 1;
		return sizeof(r);
	}
	l = dfile(f, "log", "r");
	if (!l)
		return 0;
	while (fread(&r, sizeof(r), 1, l) == 1) {
		if (r.index < f->pos) {
			fseek(l, r.len, SEEK_CUR);
			continue;
		}
		if (sizeof(r) + r.len > cap - used)
			break;
		memcpy(buf + used, &r, sizeof(r));
		if (fread(buf + used + sizeof(r), 1, r.len, l) != r.len)
			break;
		used += sizeof(r) + r.len;
		f->pos++;
	}
	fclose(l);
	return used;
}

ssize_t __wrap_read(int fd, void *buf, size_t n)
{
	struct fake *f = fake(fd);

	if (!f)
		return __real_read(fd, buf, n);
	for (;;) {
		int lk = lock_dir(f);
		ssize_t got = fill(f, buf, n);
		struct timespec ts = { 0, 5 * 1000 * 1000 };

		unlock_dir(lk);
		if (got < 0) {
			errno = -got;
			return -1;
		}
		if (got)
			return got;
		nanosleep(&ts, NULL);
	}
}

static int snap_write(struct fake *f, struct paxos_snap_io *io)
{
	uint64_t count;
	int lk;

	if (getenv("PXKV_FAKE_NOSNAP"))
		return -ENOTTY;
	if (io->flags || !io->size || !io->len)
		return -EINVAL;
	if (io->offset == 0) {
		free(f->snap);
		f->snap = malloc(io->size);
		if (!f->snap)
			return -ENOMEM;
		f->snap_index = io->index;
		f->snap_size = io->size;
		f->snap_have = 0;
	}
	if (!f->snap || io->index != f->snap_index || io->size != f->snap_size ||
	    io->offset != f->snap_have || io->len > io->size - io->offset)
		return -EINVAL;
	memcpy(f->snap + io->offset, (void *)(uintptr_t)io->data, io->len);
	f->snap_have += io->len;
	if (f->snap_have < f->snap_size)
		return 0;
	lk = lock_dir(f);
	count = meta(f, "count");
	if (io->index > count || (has(f, "snap") && io->index <= meta(f, "snapindex"))) {
		unlock_dir(lk);
		return -EINVAL;
	}
	{
		FILE *s = dfile(f, "snap", "w");

		if (s) {
			fwrite(f->snap, 1, f->snap_size, s);
			fclose(s);
		}
	}
	set_meta(f, "snapindex", io->index);
	if (has(f, "trim"))
		set_meta(f, "first", io->index + 1);
	unlock_dir(lk);
	free(f->snap);
	f->snap = NULL;
	return 0;
}

static int snap_read(struct fake *f, struct paxos_snap_io *io)
{
	int lk = lock_dir(f), err = 0;
	FILE *s = dfile(f, "snap", "r");
	long size;

	if (!s || meta(f, "snapindex") != io->index) {
		err = -ESTALE;
		goto out;
	}
	fseek(s, 0, SEEK_END);
	size = ftell(s);
	io->size = size;
	if (io->offset > (uint64_t)size) {
		err = -EINVAL;
		goto out;
	}
	if (io->len > size - io->offset)
		io->len = size - io->offset;
	fseek(s, io->offset, SEEK_SET);
	if (fread((void *)(uintptr_t)io->data, 1, io->len, s) != io->len)
		err = -EIO;
out:
	if (s)
		fclose(s);
	unlock_dir(lk);
	return err;
}

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	struct fake *f = fake(fd);
	va_list ap;
	void *arg;
	int lk, err = 0;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!f)
		return __real_ioctl(fd, req, arg);
	switch (req) {
	case PAXOS_IOC_LAST_WRITE:
		*(__u64 *)arg = f->last_write;
		break;
	case PAXOS_IOC_BARRIER:
	case PAXOS_IOC_COMMIT_INDEX:
		lk = lock_dir(f);
		*(__u64 *)arg = meta(f, "count");
		unlock_dir(lk);
		break;
	case PAXOS_IOC_SNAP_WRITE:
		err = snap_write(f, arg);
		break;
	case PAXOS_IOC_SNAP_READ:
		err = snap_read(f, arg);
		break;
	default:
		err = -ENOTTY;
	}
	if (err) {
		errno = -err;
		return -1;
	}
	return 0;
}
