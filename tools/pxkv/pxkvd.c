// SPDX-License-Identifier: GPL-2.0
/*
 * pxkvd: one node of pxkv, a replicated key-value store and lock service.
 *
 *   pxkvd [-s SOCKET] [-d DEVICE] [-n EVERY] [-p PIECE] [-t MS] [-v]
 *
 * The log in /dev/paxoslog is the state: one thread reads it from the
 * start and applies every committed record to the state machine of kv.c.
 * Clients connect to SOCKET (proto.h); for each connection a thread
 * proposes commands with a blocking write(), learns their index with
 * PAXOS_IOC_LAST_WRITE and answers once the applier has applied it, with
 * the command's result.  Reads take PAXOS_IOC_BARRIER and wait until the
 * state is applied through the index it returns: linearizable.
 *
 * Every EVERY applied entries the state is serialized and handed to the
 * node with PAXOS_IOC_SNAP_WRITE; a PAXOS_REC_SNAPSHOT record replaces the
 * state with the snapshot's (PAXOS_IOC_SNAP_READ).  A kernel without
 * snapshots answers ENOTTY: pxkvd then goes on without them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <linux/paxos.h>

#include "kv.h"
#include "proto.h"

/*
 * The snapshot ABI, for headers from before it: same layout and numbers
 * as uapi/linux/paxos.h.  A kernel without it answers ENOTTY.
 */
#define MAX_SNAPSHOT		(1ULL << 32)

#define DUP_RING		4096	/* per-index "was a retry" answers */

static struct {
	const char *dev, *sock;
	uint64_t snap_every;
	uint32_t snap_piece;
	int timeout_ms, verbose;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct kv_sm sm;		/* under mu; written by the applier only */
	int fatal;			/* the applier stopped */
	struct { uint64_t index; uint8_t dup; } dups[DUP_RING];

	/* The applier's own. */
	int snap_state;			/* 1 unknown/works, 0 unsupported */
	int snaps_written, snaps_loaded, snap_einval;
	uint64_t last_snap;
} D = {
	.dev = "/dev/" PAXOS_DEVICE_NAME,
	.sock = PXKV_SOCKET,
	.snap_every = 1000,
	.snap_piece = 65536,
	.timeout_ms = 30000,
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.cv = PTHREAD_COND_INITIALIZER,
	.snap_state = 1,
};

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "pxkvd: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

/* The applier cannot go on: answer every waiter, and every new request,
 * with an internal error.
 */
static void stop_applier(const char *why)
{
	say("applier stopped: %s", why);
	pthread_mutex_lock(&D.mu);
	D.fatal = 1;
	pthread_cond_broadcast(&D.cv);
	pthread_mutex_unlock(&D.mu);
}

/* ------------------------------------------------------------ snapshots */

/* Hand the node a snapshot of the state as now applied. */
static void snap_write(int fd)
{
	struct kv_buf b = { 0 };
	struct paxos_snap_io io = { 0 };
	uint64_t off = 0;
	int err = 0;

	/* Only this thread changes the state: no lock to read it. */
	D.last_snap = D.sm.applied;
	if (kv_sm_serialize(&D.sm, &b)) {
		say("snapshot at %llu: out of memory",
		    (unsigned long long)D.sm.applied);
		kb_free(&b);
		return;
	}
	io.index = D.sm.applied;
	io.size = b.len;
	while (off < b.len) {
		io.offset = off;
		io.data = (uintptr_t)(b.p + off);
		io.len = b.len - off < D.snap_piece ? b.len - off : D.snap_piece;
		if (ioctl(fd, PAXOS_IOC_SNAP_WRITE, &io)) {
			err = errno;
			break;
		}
		off += io.len;
	}
	kb_free(&b);
	if (!err) {
		D.snaps_written++;
		D.snap_einval = 0;
		if (D.verbose)
			say("snapshot at %llu: %llu bytes",
			    (unsigned long long)io.index,
			    (unsigned long long)io.size);
		return;
	}
	/*
	 * No snapshots in this kernel (ENOTTY), or the node runs without
	 * them.  EINVAL three times in a row before any snapshot worked means
	 * the same; once it may be a race with a newer snapshot the node
	 * installed from its leader, which the log brings us next.
	 */
	if (err == EINVAL && !D.snaps_written && !D.snaps_loaded)
		D.snap_einval++;
	if (err == ENOTTY || err == EOPNOTSUPP || D.snap_einval >= 3) {
		say("snapshots not supported by the node (%s): going on without",
		    strerror(err));
		D.snap_state = 0;
		return;
	}
	say("snapshot at %llu: %s; trying again in %llu entries",
	    (unsigned long long)io.index, strerror(err),
	    (unsigned long long)D.snap_every);
}

/*
 * A snapshot record at @index: fetch its bytes and make it the state.
 * 0, -ESTALE (a newer one replaced it: read the log again), or another
 * -errno (the applier must stop).
 */
static int snap_load(int fd, uint64_t index)
{
	struct paxos_snap_io io = { .index = index };
	uint8_t *buf = NULL;
	uint64_t size = 0, off = 0;
	struct kv_sm t;
	int err;

	do {
		uint8_t first[4096];

		io.offset = off;
		if (!buf) {
			io.data = (uintptr_t)first;
			io.len = sizeof(first);
		} else {
			io.data = (uintptr_t)(buf + off);
			io.len = size - off < D.snap_piece ? size - off : D.snap_piece;
		}
		if (ioctl(fd, PAXOS_IOC_SNAP_READ, &io)) {
			err = -errno;
			free(buf);
			return err;
		}
		if (!buf) {
			size = io.size;
			if (!size || size > MAX_SNAPSHOT || io.len > size ||
			    !(buf = malloc(size))) {
				say("snapshot %llu: size %llu",
				    (unsigned long long)index,
				    (unsigned long long)size);
				return -EINVAL;
			}
			memcpy(buf, first, io.len);
		}
		if (!io.len && off < size) {
			free(buf);
			return -EIO;
		}
		off += io.len;
	} while (off < size);

	kv_sm_init(&t);
	err = kv_sm_deserialize(&t, buf, size);
	free(buf);
	if (!err && t.applied != index)
		err = -EINVAL;
	if (err) {
		say("snapshot %llu: %s", (unsigned long long)index,
		    err == -EINVAL ? "malformed" : strerror(-err));
		kv_sm_free(&t);
		return err;
	}
	pthread_mutex_lock(&D.mu);
	kv_sm_free(&D.sm);
	D.sm = t;
	pthread_cond_broadcast(&D.cv);
	pthread_mutex_unlock(&D.mu);
	D.last_snap = index;
	D.snaps_loaded++;
	say("state replaced by the snapshot at %llu (%llu bytes)",
	    (unsigned long long)index, (unsigned long long)size);
	return 0;
}

/* ------------------------------------------------------------ applier */

/*
 * Apply the records in @buf; 0, or -errno to stop (*snap: a snapshot
 * record's index to load, the rest of @buf left for after it).
 */
static int apply_records(const uint8_t *buf, size_t n, uint64_t *snap)
{
	size_t off = 0;
	int err = 0;

	pthread_mutex_lock(&D.mu);
	while (off + sizeof(struct paxos_record) <= n) {
		struct paxos_record rec;
		const uint8_t *val = buf + off + sizeof(rec);
		struct kv_result res;
		int rc;

		memcpy(&rec, buf + off, sizeof(rec));
		off += sizeof(rec) + rec.len;
		if (off > n) {
			err = -EIO;
			break;
		}
		if (rec.type == PAXOS_REC_SNAPSHOT) {
			if (rec.index > D.sm.applied) {
				*snap = rec.index;
				break;
			}
			continue;
		}
		if (rec.index <= D.sm.applied)
			continue;	/* covered by a snapshot loaded */
		if (rec.index != D.sm.applied + 1) {
			say("gap in the log: %llu after %llu",
			    (unsigned long long)rec.index,
			    (unsigned long long)D.sm.applied);
			err = -EIO;
			break;
		}
		if (rec.type != PAXOS_REC_DATA) {
			kv_sm_skip(&D.sm, rec.index);
			continue;
		}
		rc = kv_sm_apply(&D.sm, rec.index, val, rec.len, &res);
		if (rc < 0) {
			say("entry %llu: %s", (unsigned long long)rec.index,
			    rc == -EPROTONOSUPPORT ?
			    "a newer pxkv version: upgrade this node" :
			    strerror(-rc));
			err = rc;
			break;
		}
		D.dups[rec.index % DUP_RING].index = rec.index;
		D.dups[rec.index % DUP_RING].dup = !rc && res.dup;
	}
	pthread_cond_broadcast(&D.cv);
	pthread_mutex_unlock(&D.mu);
	return err;
}

static void *applier(void *arg)
{
	static uint8_t buf[1 << 17];
	int fd = open(D.dev, O_RDWR), down = 0;

	(void)arg;
	if (fd < 0) {
		say("open %s: %s", D.dev, strerror(errno));
		stop_applier("no device");
		return NULL;
	}
	/* From the start of the log: a node that trimmed it offers its
	 * snapshot there instead.
	 */
	if (lseek(fd, 1, SEEK_SET) < 0)
		say("seek to 1: %s", strerror(errno));
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		uint64_t snap = 0;
		int err;

		if (n < 0) {
			struct timespec ts = { 0, 50 * 1000 * 1000 };

			switch (errno) {
			case EINTR:
				continue;
			case ENOTCONN:
				/* The node is down: it keeps our position. */
				if (!down)
					say("node down; waiting for it");
				down = 1;
				nanosleep(&ts, NULL);
				continue;
			case ERANGE:
				say("the log is trimmed below %llu and the node has no snapshot for it",
				    (unsigned long long)D.sm.applied + 1);
				stop_applier("log trimmed");
				return NULL;
			default:
				say("read: %s", strerror(errno));
				stop_applier("read failed");
				return NULL;
			}
		}
		if (down)
			say("node up again; applying from %llu",
			    (unsigned long long)D.sm.applied + 1);
		down = 0;
		err = apply_records(buf, n, &snap);
		if (err) {
			stop_applier("cannot apply the log");
			return NULL;
		}
		if (snap) {
			err = snap_load(fd, snap);
			/* Stale: a newer one came; not connected: the node
			 * went down.  Either way, the log again from here.
			 */
			if (err && err != -ESTALE && err != -ENOTCONN &&
			    err != -EINTR) {
				stop_applier("cannot load a snapshot");
				return NULL;
			}
			/* Records after the snapshot (or, when it went stale,
			 * the log again) from where the state now ends.
			 */
			if (lseek(fd, D.sm.applied + 1, SEEK_SET) < 0) {
				say("seek: %s", strerror(errno));
				stop_applier("seek failed");
				return NULL;
			}
			continue;
		}
		if (D.snap_every && D.snap_state &&
		    D.sm.applied - D.last_snap >= D.snap_every)
			snap_write(fd);
	}
}

/* ------------------------------------------------------------ clients */

/* Wait until the state is applied through @index: 0, or a kv_code. */
static int wait_applied(uint64_t index)
{
	struct timespec dl;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += D.timeout_ms / 1000;
	dl.tv_nsec += (D.timeout_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	while (!D.fatal && D.sm.applied < index && !rc)
		rc = pthread_cond_timedwait(&D.cv, &D.mu, &dl);
	if (D.fatal)
		return KV_INTERNAL;
	return D.sm.applied >= index ? 0 : KV_UNAVAIL;
}

static void answer(struct kv_buf *a, uint8_t code, uint8_t dup, uint64_t index)
{
	static const uint8_t zero[6];

	a->len = 0;
	kb_u8(a, code);
	kb_u8(a, dup);
	kb_bytes(a, zero, sizeof(zero));
	kb_u64(a, index);
}

/* A write errno the client may retry after: the command may or may not
 * have committed, and its (client, seq) makes a retry safe.
 */
static int retryable(int e)
{
	return e == ENOTCONN || e == EINTR || e == EAGAIN || e == ETIMEDOUT;
}

/* The device call @what failed (errno): a client may retry, or not. */
static void answer_errno(struct kv_buf *a, const char *what)
{
	int e = errno;

	if (D.verbose || !retryable(e))
		say("%s: %s", what, strerror(e));
	answer(a, retryable(e) ? KV_UNAVAIL : KV_INTERNAL, 0, 0);
}

/* Propose @c (encoded in @req) and answer with its result. */
static void do_write(int dev, const struct kv_cmd *c, const struct kv_buf *req,
		     struct kv_buf *a)
{
	struct kv_result res;
	uint64_t index = 0;
	int rc;

	if (write(dev, req->p, req->len) != (ssize_t)req->len) {
		/*
		 * Committed, but in entries the node skipped for a snapshot
		 * and no longer the session's last write: it is at or below
		 * the commit index, and the state says how it went.
		 */
		if (errno != EALREADY ||
		    ioctl(dev, PAXOS_IOC_COMMIT_INDEX, &index)) {
			answer_errno(a, "write");
			return;
		}
	} else if (ioctl(dev, PAXOS_IOC_LAST_WRITE, &index)) {
		answer_errno(a, "write");
		return;
	}
	pthread_mutex_lock(&D.mu);
	rc = wait_applied(index);
	if (rc) {
		answer(a, rc, 0, 0);
	} else if (!kv_sm_result(&D.sm, c->client, c->seq, &res)) {
		uint8_t dup = D.dups[index % DUP_RING].index == index &&
			      D.dups[index % DUP_RING].dup;

		answer(a, res.code, dup, index);
		kb_bytes(a, res.payload.p, res.payload.len);
	} else {
		/* The client went on (or its session was evicted). */
		answer(a, KV_STALE, 0, index);
	}
	pthread_mutex_unlock(&D.mu);
}

/* A linearizable read: barrier, wait for it, then the state. */
static void do_read(int dev, const struct kv_cmd *c, struct kv_buf *a)
{
	struct kv_slice v;
	uint64_t index = 0, digest = 0;
	int rc;

	if (ioctl(dev, PAXOS_IOC_BARRIER, &index)) {
		answer_errno(a, "barrier");
		return;
	}
	pthread_mutex_lock(&D.mu);
	rc = wait_applied(index);
	if (rc) {
		answer(a, rc, 0, 0);
		goto out;
	}
	index = D.sm.applied;
	switch (c->op) {
	case KV_GET:
		if (kv_sm_get(&D.sm, c->f[0].p, c->f[0].len, &v)) {
			answer(a, KV_NOTFOUND, 0, index);
		} else {
			answer(a, KV_OK, 0, index);
			kb_bytes(a, v.p, v.len);
		}
		break;
	case KV_DUMP:
		answer(a, KV_OK, 0, index);
		kv_put_map(a, &D.sm.keys);
		kv_put_map(a, &D.sm.locks);
		break;
	case KV_HASH:
		rc = kv_sm_digest(&D.sm, &digest);
		answer(a, rc ? KV_INTERNAL : KV_OK, 0, index);
		kb_u64(a, digest);
		break;
	}
out:
	pthread_mutex_unlock(&D.mu);
}

static void *client(void *arg)
{
	int fd = (int)(intptr_t)arg, dev = -1;
	struct kv_buf req = { 0 }, a = { 0 };
	struct kv_cmd c;

	for (;;) {
		int rc = px_recv_msg(fd, &req, KV_MAX_ENTRY);

		if (rc)
			break;
		if (dev < 0)
			dev = open(D.dev, O_RDWR);
		if (kv_decode(req.p, req.len, &c)) {
			answer(&a, KV_INVAL, 0, 0);
		} else if (dev < 0) {
			say("open %s: %s", D.dev, strerror(errno));
			answer(&a, KV_INTERNAL, 0, 0);
		} else if (kv_op_logged(c.op)) {
			do_write(dev, &c, &req, &a);
		} else {
			do_read(dev, &c, &a);
		}
		if (a.err) {	/* out of memory building the answer */
			a.err = 0;
			answer(&a, KV_INTERNAL, 0, 0);
		}
		if (px_send_msg(fd, a.p, a.len))
			break;
	}
	if (dev >= 0)
		close(dev);
	close(fd);
	kb_free(&req);
	kb_free(&a);
	return NULL;
}

/* ------------------------------------------------------------ main */

static void on_signal(int sig)
{
	unlink(D.sock);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pxkvd [-s SOCKET] [-d DEVICE] [-n EVERY] [-p PIECE] [-t MS] [-v]\n"
		"  -s SOCKET  clients' UNIX socket (default %s)\n"
		"  -d DEVICE  the log (default /dev/%s)\n"
		"  -n EVERY   snapshot every EVERY applied entries, 0: never (default 1000)\n"
		"  -p PIECE   bytes per snapshot ioctl (default 65536)\n"
		"  -t MS      how long a request waits to be applied (default 30000)\n"
		"  -v         log every snapshot and retryable error\n",
		PXKV_SOCKET, PAXOS_DEVICE_NAME);
}

static int number(const char *s, unsigned long long lo, unsigned long long hi,
		  unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || end == s || *end || *s == '-' || *v < lo || *v > hi;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sigaction sig = { .sa_handler = on_signal };
	unsigned long long v;
	pthread_attr_t attr;
	pthread_t t;
	int opt, lfd;

	while ((opt = getopt(argc, argv, "s:d:n:p:t:vh")) != -1) {
		switch (opt) {
		case 's': D.sock = optarg; break;
		case 'd': D.dev = optarg; break;
		case 'n':
			if (number(optarg, 0, UINT64_MAX, &v))
				goto bad;
			D.snap_every = v;
			break;
		case 'p':
			if (number(optarg, 1, 1 << 24, &v))
				goto bad;
			D.snap_piece = v;
			break;
		case 't':
			if (number(optarg, 1, 3600000, &v))
				goto bad;
			D.timeout_ms = v;
			break;
		case 'v': D.verbose = 1; break;
		case 'h': usage(stdout); return 0;
		default: goto bad;
		}
	}
	if (optind != argc)
		goto bad;
	if (strlen(D.sock) >= sizeof(sa.sun_path)) {
		say("socket path too long: %s", D.sock);
		return 2;
	}
	strcpy(sa.sun_path, D.sock);
	kv_sm_init(&D.sm);
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGTERM, &sig, NULL);
	sigaction(SIGINT, &sig, NULL);

	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(D.sock);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(lfd, 64)) {
		say("socket %s: %s", D.sock, strerror(errno));
		return 1;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, applier, NULL)) {
		say("cannot start the applier");
		return 1;
	}
	say("serving %s on %s", D.dev, D.sock);
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EMFILE || errno == ENFILE) {
				if (errno != EINTR)
					usleep(10000);
				continue;
			}
			say("accept: %s", strerror(errno));
			return 1;
		}
		if (pthread_create(&t, &attr, client, (void *)(intptr_t)fd)) {
			say("cannot start a client thread");
			close(fd);
		}
	}
bad:
	usage(stderr);
	return 2;
}
