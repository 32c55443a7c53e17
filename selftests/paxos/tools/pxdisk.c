// SPDX-License-Identifier: GPL-2.0
/*
 * pxdisk: read a node's stable storage device as the cluster tests need
 * it (the format: Documentation/storage.rst, "The on-disk format").
 *
 *   pxdisk super DEV      print the newest valid superblock:
 *                         "gen G half H start S half_bytes B"
 *   pxdisk records DEV    print the active half's records in order, until
 *                         the first that is not valid:
 *                         "OFFSET SEQ TYPE LEN FLAGS", OFFSET in bytes
 *                         from the device's start, TYPE a name; an
 *                         "after" record adds the sequence number it
 *                         names (the first of the batch in flight)
 *
 * Exit status 1 when the device has no valid superblock.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/fs.h>

#define BLOCK		4096
#define HALVES_AT	(2 * BLOCK)
#define SUPER_MAGIC	0x42535850u
#define REC_MAGIC	0x43525850u
#define REC_HDR		24
#define PAYLOAD_MAX	(65536 - REC_HDR - 8)

static const char *const types[] = {
	"?", "promise", "entry", "snapshot", "snapdata", "first", "end",
	"after",
};

/* crc32c without pre- or post-inversion, as the kernel's crc32c(). */
static uint32_t crc32c(uint32_t crc, const void *p, size_t len)
{
	const uint8_t *b = p;
	int k;

	while (len--) {
		crc ^= *b++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & -(crc & 1));
	}
	return crc;
}

static uint32_t le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

struct super {
	uint64_t gen, stamp, start, half_bytes;
	uint32_t half;
};

static int read_at(int fd, uint64_t off, void *buf, size_t len)
{
	return pread(fd, buf, len, (off_t)off) == (ssize_t)len ? 0 : -1;
}

static int super(int fd, struct super *s)
{
	uint8_t b[2 * BLOCK];
	int i, found = 0;

	if (read_at(fd, 0, b, sizeof(b)))
		return -1;
	for (i = 0; i < 2; i++) {
		const uint8_t *p = b + i * BLOCK;

		/* magic, version, cluster, node, size, stamp, gen, start,
		 * half_bytes, half, csum
		 */
		if (le32(p) != SUPER_MAGIC || le32(p + 60) != crc32c(~0u, p, 60) ||
		    le64(p + 32) % 2 != (uint64_t)i ||
		    (found && le64(p + 32) <= s->gen))
			continue;
		found = 1;
		s->stamp = le64(p + 24);
		s->gen = le64(p + 32);
		s->start = le64(p + 40);
		s->half_bytes = le64(p + 48);
		s->half = le32(p + 56);
	}
	return found ? 0 : -1;
}

static void records(int fd, const struct super *s)
{
	uint64_t at = HALVES_AT + s->half * s->half_bytes, p = 0, seq = s->start;
	uint8_t stamp[8], *buf = malloc(65536);
	uint32_t seed, crc, len;
	uint64_t v = htole64(s->stamp);
	int in = 0;

	memcpy(stamp, &v, 8);
	seed = crc32c(~0u, stamp, 8);
	for (;;) {
		if (!in)
			p = (p + BLOCK - 1) / BLOCK * BLOCK;
		if (p + REC_HDR > s->half_bytes || read_at(fd, at + p, buf, REC_HDR))
			break;
		len = le32(buf + 20);
		if (le32(buf) != REC_MAGIC || len > PAYLOAD_MAX ||
		    p + REC_HDR + len > s->half_bytes ||
		    read_at(fd, at + p + REC_HDR, buf + REC_HDR, len))
			break;
		memset(buf + 4, 0, 4);
		read_at(fd, at + p + 4, stamp, 4);
		crc = crc32c(seed, buf, REC_HDR + len);
		if (crc != le32(stamp) || le64(buf + 8) != seq)
			break;
		printf("%llu %llu %s %u %u", (unsigned long long)(at + p),
		       (unsigned long long)seq,
		       buf[16] < sizeof(types) / sizeof(types[0]) ? types[buf[16]] : "?",
		       len, buf[18]);
		/* AFTER: the first record of the batch in flight it names. */
		if (buf[16] == 7 && len == 8)
			printf(" %llu", (unsigned long long)le64(buf + REC_HDR));
		printf("\n");
		in = buf[16] != 6;
		p += (REC_HDR + len + 7) / 8 * 8;
		seq++;
	}
	free(buf);
}

int main(int argc, char **argv)
{
	struct super s = { 0 };
	int fd;

	if (argc != 3 || (strcmp(argv[1], "super") && strcmp(argv[1], "records"))) {
		fprintf(stderr, "usage: pxdisk super|records DEV\n");
		return 2;
	}
	fd = open(argv[2], O_RDONLY);
	if (fd < 0) {
		perror(argv[2]);
		return 2;
	}
	/* The module writes with bios: what the page cache holds is stale. */
	ioctl(fd, BLKFLSBUF, 0);
	if (super(fd, &s)) {
		fprintf(stderr, "pxdisk: %s: no valid superblock\n", argv[2]);
		return 1;
	}
	if (!strcmp(argv[1], "super"))
		printf("gen %llu half %u start %llu half_bytes %llu\n",
		       (unsigned long long)s.gen, s.half,
		       (unsigned long long)s.start,
		       (unsigned long long)s.half_bytes);
	else
		records(fd, &s);
	close(fd);
	return 0;
}
