// SPDX-License-Identifier: GPL-2.0
/* pxkv's socket messages: a u32 length, then the bytes. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "proto.h"

int px_write_all(int fd, const void *p, size_t n)
{
	const uint8_t *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EPIPE;
		c += w;
		n -= w;
	}
	return 0;
}

/* 0, 1 if the stream ended before the first byte, or -errno. */
static int read_all(int fd, void *p, size_t n)
{
	uint8_t *c = p;
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, c + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (!r)
			return got ? -EPIPE : 1;
		got += r;
	}
	return 0;
}

int px_send_msg(int fd, const void *p, size_t n)
{
	struct kv_buf b = { 0 };
	int err;

	kb_u32(&b, n);
	kb_bytes(&b, p, n);
	err = b.err ? b.err : px_write_all(fd, b.p, b.len);
	kb_free(&b);
	return err;
}

int px_recv_msg(int fd, struct kv_buf *out, size_t max)
{
	uint8_t h[4];
	uint32_t n;
	int rc = read_all(fd, h, 4);

	if (rc)
		return rc;
	n = h[0] | h[1] << 8 | h[2] << 16 | (uint32_t)h[3] << 24;
	if (n > max)
		return -EMSGSIZE;
	out->len = 0;
	if (n > out->cap) {
		uint8_t *p = realloc(out->p, n);

		if (!p)
			return -ENOMEM;
		out->p = p;
		out->cap = n;
	}
	rc = read_all(fd, out->p, n);
	if (rc)
		return rc > 0 ? -EPIPE : rc;
	out->len = n;
	return 0;
}
