// SPDX-License-Identifier: GPL-2.0
/*
 * pxkv: the command line of pxkv, talking to the node's pxkvd.
 *
 *   pxkv [-s SOCKET] [-j] [-t SECONDS] [-c CLIENT] [-r SEQ] COMMAND
 *     put K V | get K | del K | cas K OLD NEW | cas -n K NEW |
 *     lock NAME OWNER | unlock NAME OWNER | dump | hash
 *
 * Each run is one request of client CLIENT (random unless given) with
 * request number SEQ (1 unless given).  While the daemon cannot be reached
 * or answers that the cluster is unavailable, the same request is sent
 * again, for up to SECONDS: the state machine applies it once however many
 * copies reach the log.
 *
 * Exit status: 0 done; 1 the command's condition did not hold (not found,
 * cas failed, lock held, not the owner); 2 usage; 3 unavailable until the
 * time ran out; 4 any other error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "kv.h"
#include "proto.h"

enum { EX_OK, EX_COND, EX_USAGE, EX_UNAVAIL, EX_ERROR };

static int json;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pxkv [-s SOCKET] [-j] [-t SECONDS] [-c CLIENT] [-r SEQ] COMMAND\n"
		"  put KEY VALUE       set KEY\n"
		"  get KEY             read KEY (linearizable)\n"
		"  del KEY             delete KEY\n"
		"  cas KEY OLD NEW     set KEY to NEW if it is OLD\n"
		"  cas -n KEY NEW      set KEY to NEW if it is absent\n"
		"  lock NAME OWNER     take lock NAME for OWNER\n"
		"  unlock NAME OWNER   release it\n"
		"  dump                every key and lock\n"
		"  hash                digest of the whole state and its index\n"
		"options: -s SOCKET (default %s), -j JSON output,\n"
		"  -t SECONDS to keep retrying (default 30), -c CLIENT id,\n"
		"  -r SEQ request number (default 1)\n"
		"exit: 0 done, 1 condition not met, 2 usage, 3 unavailable, 4 error\n",
		PXKV_SOCKET);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* ------------------------------------------------------------ output */

/* A JSON string: valid UTF-8 as is, other bytes as \u00XX. */
static void jstr(const uint8_t *p, size_t n)
{
	size_t i = 0;

	putchar('"');
	while (i < n) {
		uint8_t c = p[i];
		size_t k, len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 :
			(c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		int ok = len && i + len <= n && !(len == 2 && c < 0xc2);

		for (k = 1; ok && k < len; k++)
			ok = (p[i + k] & 0xc0) == 0x80;
		if (!ok) {
			printf("\\u%04x", c);
			i++;
		} else if (len > 1) {
			fwrite(p + i, 1, len, stdout);
			i += len;
		} else {
			if (c == '"' || c == '\\')
				printf("\\%c", c);
			else if (c == '\n')
				printf("\\n");
			else if (c < 0x20 || c == 0x7f)
				printf("\\u%04x", c);
			else
				putchar(c);
			i++;
		}
	}
	putchar('"');
}

/* A byte string for text lines: printable ASCII as is, else \xHH. */
static void tstr(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] > 0x20 && p[i] < 0x7f && p[i] != '\\')
			putchar(p[i]);
		else
			printf("\\x%02x", p[i]);
	}
}

/* ------------------------------------------------------------ talk */

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	strcpy(sa.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/*
 * Send @req until an answer other than "unavailable" comes or @secs run
 * out.  0 with the answer in @ans, -EAGAIN when time ran out, -errno.
 */
static int call(const char *path, const struct kv_buf *req, double secs,
		struct kv_buf *ans)
{
	double end = now() + secs, delay = 0.05;
	int last = 0;

	for (;;) {
		int fd = connect_to(path), rc;

		if (fd >= 0) {
			rc = px_send_msg(fd, req->p, req->len);
			if (!rc)
				rc = px_recv_msg(fd, ans, PXKV_MAX_ANSWER);
			close(fd);
			if (rc == 1)
				rc = -EPIPE;	/* the daemon went away */
			if (!rc && ans->len < PXKV_ANS_HDR)
				return -EPROTO;
			if (!rc && ans->p[0] != KV_UNAVAIL)
				return 0;
			last = rc ? rc : -EAGAIN;
		} else {
			last = fd;
			/* Only a daemon not (yet) there is worth waiting for. */
			if (fd != -ENOENT && fd != -ECONNREFUSED && fd != -EAGAIN)
				return fd;
		}
		if (now() + delay > end)
			return last == -EAGAIN || last == -EPIPE ||
			       last == -ENOENT || last == -ECONNREFUSED ?
			       -EAGAIN : last;
		{
			struct timespec ts = { (time_t)delay,
					       (long)((delay - (time_t)delay) * 1e9) };

			nanosleep(&ts, NULL);
		}
		delay = delay * 2 > 1 ? 1 : delay * 2;
	}
}

/* ------------------------------------------------------------ answers */

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static int print_dump(struct kv_rd *r, uint64_t index)
{
	int part;

	if (json)
		printf("{\"op\":\"dump\",\"result\":\"ok\",\"index\":%llu",
		       (unsigned long long)index);
	for (part = 0; part < 2; part++) {
		uint32_t n = kr_u32(r), i;

		if (json)
			printf(",\"%s\":{", part ? "locks" : "keys");
		for (i = 0; i < n && !r->err; i++) {
			struct kv_slice k = kr_field(r), v = kr_field(r);

			if (r->err)
				break;
			if (json) {
				printf("%s", i ? "," : "");
				jstr(k.p, k.len);
				putchar(':');
				jstr(v.p, v.len);
			} else {
				printf("%s ", part ? "lock" : "key");
				tstr(k.p, k.len);
				putchar(' ');
				tstr(v.p, v.len);
				putchar('\n');
			}
		}
		if (json)
			putchar('}');
	}
	if (json)
		printf("}\n");
	if (r->err || r->off != r->len) {
		fprintf(stderr, "pxkv: malformed dump\n");
		return EX_ERROR;
	}
	return EX_OK;
}

static int print_answer(const struct kv_cmd *c, const struct kv_buf *ans)
{
	uint8_t code = ans->p[0], dup = ans->p[1];
	uint64_t index = get_u64(ans->p + 8);
	const uint8_t *pay = ans->p + PXKV_ANS_HDR;
	size_t plen = ans->len - PXKV_ANS_HDR;
	struct kv_rd r = { pay, plen, 0, 0 };

	if (code == KV_OK && c->op == KV_DUMP)
		return print_dump(&r, index);
	if (json) {
		printf("{\"op\":\"%s\",\"result\":\"%s\",\"index\":%llu",
		       kv_op_name(c->op), kv_code_name(code),
		       (unsigned long long)index);
		if (kv_op_logged(c->op))
			printf(",\"duplicate\":%s", dup ? "true" : "false");
		if (c->op == KV_GET) {
			printf(",\"key\":");
			jstr(c->f[0].p, c->f[0].len);
		}
	}
	switch (code) {
	case KV_OK:
		if (c->op == KV_HASH) {
			if (plen != 8)
				goto bad;
			printf(json ? ",\"hash\":\"%016llx\"}\n" : "%016llx %llu\n",
			       (unsigned long long)get_u64(pay),
			       (unsigned long long)index);
		} else if (c->op == KV_GET) {
			if (json) {
				printf(",\"value\":");
				jstr(pay, plen);
				printf("}\n");
			} else {
				fwrite(pay, 1, plen, stdout);
				putchar('\n');
			}
		} else {
			printf(json ? "}\n" : "ok\n");
		}
		return EX_OK;
	case KV_NOTFOUND:
		printf(json ? "}\n" : "not found\n");
		return EX_COND;
	case KV_CASFAIL:
		if (!plen)
			goto bad;
		if (json) {
			printf(",\"current\":");
			if (pay[0])
				jstr(pay + 1, plen - 1);
			else
				printf("null");
			printf("}\n");
		} else if (pay[0]) {
			printf("cas failed: ");
			fwrite(pay + 1, 1, plen - 1, stdout);
			putchar('\n');
		} else {
			printf("cas failed: absent\n");
		}
		return EX_COND;
	case KV_HELD:
	case KV_NOTOWNER:
		if (json) {
			printf(",\"holder\":");
			if (plen)
				jstr(pay, plen);
			else
				printf("null");
			printf("}\n");
		} else if (plen) {
			printf("held by ");
			fwrite(pay, 1, plen, stdout);
			putchar('\n');
		} else {
			printf("not held\n");
		}
		return EX_COND;
	}
	if (json)
		printf("}\n");
	switch (code) {
	case KV_STALE:
		fprintf(stderr, "pxkv: request %llu of client %llu is older than its last one\n",
			(unsigned long long)c->seq, (unsigned long long)c->client);
		return EX_ERROR;
	case KV_INVAL:
		fprintf(stderr, "pxkv: the daemon refused the request\n");
		return EX_ERROR;
	case KV_INTERNAL:
		fprintf(stderr, "pxkv: the daemon failed (see its log)\n");
		return EX_ERROR;
	}
bad:
	fprintf(stderr, "pxkv: malformed answer (code %u)\n", code);
	return EX_ERROR;
}

/* ------------------------------------------------------------ main */

static struct kv_slice arg(const char *s)
{
	struct kv_slice x = { (const uint8_t *)s, strlen(s) };

	return x;
}

static int number(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end || *s == '-';
}

int main(int argc, char **argv)
{
	const char *sock = PXKV_SOCKET, *cmd;
	struct kv_cmd c = { 0 };
	struct kv_buf req = { 0 }, ans = { 0 };
	double secs = 30;
	unsigned long long v;
	int opt, rc, nargs;
	char *end;

	while ((opt = getopt(argc, argv, "+s:jt:c:r:h")) != -1) {
		switch (opt) {
		case 's': sock = optarg; break;
		case 'j': json = 1; break;
		case 't':
			secs = strtod(optarg, &end);
			if (end == optarg || *end || !(secs >= 0 && secs <= 86400))
				goto usage;
			break;
		case 'c':
			if (number(optarg, &v) || !v)
				goto usage;
			c.client = v;
			break;
		case 'r':
			if (number(optarg, &v) || !v)
				goto usage;
			c.seq = v;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		default:
			goto usage;
		}
	}
	if (optind >= argc)
		goto usage;
	cmd = argv[optind++];
	nargs = argc - optind;
	if (!strcmp(cmd, "put")) {
		c.op = KV_PUT;
	} else if (!strcmp(cmd, "get")) {
		c.op = KV_GET;
	} else if (!strcmp(cmd, "del")) {
		c.op = KV_DEL;
	} else if (!strcmp(cmd, "cas")) {
		c.op = KV_CAS;
		if (nargs > 0 && !strcmp(argv[optind], "-n")) {
			c.flags = KV_F_ABSENT;
			optind++;
			nargs--;
		} else if (nargs > 0 && !strcmp(argv[optind], "--")) {
			optind++;
			nargs--;
		}
	} else if (!strcmp(cmd, "lock")) {
		c.op = KV_LOCK;
	} else if (!strcmp(cmd, "unlock")) {
		c.op = KV_UNLOCK;
	} else if (!strcmp(cmd, "dump")) {
		c.op = KV_DUMP;
	} else if (!strcmp(cmd, "hash")) {
		c.op = KV_HASH;
	} else if (!strcmp(cmd, "help")) {
		usage(stdout);
		return EX_OK;
	} else {
		fprintf(stderr, "pxkv: unknown command %s\n", cmd);
		goto usage;
	}
	if (nargs != kv_nfields(c.op) - (c.flags & KV_F_ABSENT ? 1 : 0)) {
		fprintf(stderr, "pxkv: %s: wrong number of arguments\n", cmd);
		goto usage;
	}
	if (c.flags & KV_F_ABSENT) {
		c.f[0] = arg(argv[optind]);
		c.f[2] = arg(argv[optind + 1]);
	} else {
		int i;

		for (i = 0; i < nargs; i++)
			c.f[i] = arg(argv[optind + i]);
	}
	if (strlen(sock) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		fprintf(stderr, "pxkv: socket path too long\n");
		return EX_USAGE;
	}
	if (!c.seq)
		c.seq = 1;
	while (!c.client) {
		if (getrandom(&c.client, sizeof(c.client), 0) != sizeof(c.client)) {
			perror("pxkv: getrandom");
			return EX_ERROR;
		}
	}
	rc = kv_encode(&c, &req);
	if (rc) {
		fprintf(stderr, "pxkv: %s\n", rc == -EINVAL ?
			"empty key, name or owner, or too big for one log entry" :
			strerror(-rc));
		kb_free(&req);
		return EX_USAGE;
	}
	rc = call(sock, &req, secs, &ans);
	if (rc) {
		if (json)
			printf("{\"op\":\"%s\",\"result\":\"%s\"}\n",
			       kv_op_name(c.op), rc == -EAGAIN ? "unavailable" : "error");
		if (rc == -EAGAIN)
			fprintf(stderr, "pxkv: %s: unavailable for %g s\n", sock, secs);
		else
			fprintf(stderr, "pxkv: %s: %s\n", sock, strerror(-rc));
		rc = rc == -EAGAIN ? EX_UNAVAIL : EX_ERROR;
	} else {
		rc = print_answer(&c, &ans);
	}
	kb_free(&req);
	kb_free(&ans);
	return rc;
usage:
	usage(stderr);
	return EX_USAGE;
}
