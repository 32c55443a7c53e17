/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pxkv's socket protocol between pxkv and pxkvd, a UNIX stream socket.
 *
 * Each message is a little-endian u32 length and that many bytes.  A
 * request is one command as kv.h encodes it (the very bytes pxkvd writes
 * to the log for put, del, cas, lock and unlock).  The answer:
 *
 *   0  u8 code   enum kv_code
 *   1  u8 dup    1: a retry, answered as the first time
 *   2  6 bytes 0
 *   8  u64 index the log index applied (writes) or read at (reads)
 *  16  payload:  get: the value; hash: u64 digest; dump: u32 nkeys
 *                {field key, field value} u32 nlocks {field name, field
 *                owner}, both sorted; cas-failed: u8 present + value;
 *                held, not-owner: the holder
 *
 * A connection carries any number of requests, one at a time.
 */
#ifndef _PXKV_PROTO_H
#define _PXKV_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "kv.h"

#define PXKV_SOCKET	"/run/pxkv.sock"
#define PXKV_ANS_HDR	16
#define PXKV_MAX_ANSWER	(256u << 20)

/* Write all of @n bytes, retrying on EINTR: 0 or -errno. */
int px_write_all(int fd, const void *p, size_t n);
/* One message: 0, 1 at a clean end of stream, or -errno (-EMSGSIZE
 * above @max, -EPIPE for a stream cut inside a message).
 */
int px_recv_msg(int fd, struct kv_buf *out, size_t max);
int px_send_msg(int fd, const void *p, size_t n);

#endif /* _PXKV_PROTO_H */
