// SPDX-License-Identifier: GPL-2.0
/*
 * paxosd: the kpaxos engine (kmod/core) run in user space over ordinary
 * UDP sockets (IPv4 or IPv6), with epoll and a timerfd.  Its datagrams
 * are the module's, MAC included, so a cluster can mix both.
 *
 *   paxosd --id N --listen ADDR:PORT --peer ID=ADDR:PORT... --sock PATH
 *          [--cluster C] [--heartbeat MS] [--election MS] [--lease MS]
 *          [--drift PPM] [--preferred ID] [--key-file PATH]
 *          [--log PATH] [--status PATH]
 *   paxosd propose --sock PATH VALUE...
 *
 * ADDR is an IPv4 address or an IPv6 one in brackets ([fd00::1]:7400).
 * With a key (64 hex digits in the file) every datagram carries the
 * module's MAC: keyed BLAKE2s-128 over the datagram with PX_WF_MAC set,
 * appended; a datagram without it, or with a wrong one, is dropped.
 *
 * Clients connect to the UNIX stream socket PATH and send requests, each
 * a native-endian u32 length and that many bytes (1..8192); for each, in
 * order, paxosd answers a native-endian s64: the committed index, or a
 * negative errno.  A client may pipeline requests.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "wire.h"

#define MAC_LEN 16	/* PXK_MAC_LEN */

#define MAX_CLIENTS 1024
#define MAX_WAIT 4096

struct peer {
	u32 id;
	struct sockaddr_storage addr;
	socklen_t alen;
};

struct client {
	int fd;
	u8 buf[PX_MAX_VALUE + 4];
	size_t have;
	bool stalled;		/* no room for its next request yet */
};

static struct {
	struct px_node *px;
	int udp, tfd, ep, lfd;
	struct peer peers[PX_MAX_NODES];
	u32 npeers;
	struct client *clients[MAX_CLIENTS];
	u32 nstalled;
	/* seq -> client waiting for it */
	struct { u64 seq; int fd; } wait[MAX_WAIT];
	bool keyed;
	u8 key[PAXOS_KEY_LEN];
	FILE *log;		/* committed entries, as plog dump prints them */
	const char *status;	/* rewritten on role and leader changes */
	bool status_dirty;
} D;

/*
 * BLAKE2s (RFC 7693), keyed, as the module's blake2s(): the MAC of a
 * datagram is its first MAC_LEN bytes of output with the cluster key.
 */
static const u32 b2s_iv[8] = {
	0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
	0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19,
};

static const u8 b2s_sigma[10][16] = {
	{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
	{ 14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3 },
	{ 11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4 },
	{ 7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8 },
	{ 9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13 },
	{ 2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9 },
	{ 12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11 },
	{ 13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10 },
	{ 6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5 },
	{ 10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0 },
};

struct b2s {
	u32 h[8], t[2];
	u8 buf[64];
	size_t n;
};

static u32 ror32(u32 x, int r) { return x >> r | x << (32 - r); }

static void b2s_compress(struct b2s *S, const u8 *blk, bool last)
{
	u32 m[16], v[16];
	int i, r;

	for (i = 0; i < 16; i++)
		m[i] = (u32)blk[4 * i] | (u32)blk[4 * i + 1] << 8 |
		       (u32)blk[4 * i + 2] << 16 | (u32)blk[4 * i + 3] << 24;
	for (i = 0; i < 8; i++) {
		v[i] = S->h[i];
		v[i + 8] = b2s_iv[i];
	}
	v[12] ^= S->t[0];
	v[13] ^= S->t[1];
	if (last)
		v[14] = ~v[14];
#define G(a, b, c, d, x, y) do {					\
		v[a] += v[b] + (x); v[d] = ror32(v[d] ^ v[a], 16);	\
		v[c] += v[d]; v[b] = ror32(v[b] ^ v[c], 12);		\
		v[a] += v[b] + (y); v[d] = ror32(v[d] ^ v[a], 8);	\
		v[c] += v[d]; v[b] = ror32(v[b] ^ v[c], 7);		\
	} while (0)
	for (r = 0; r < 10; r++) {
		const u8 *s = b2s_sigma[r];

		G(0, 4, 8, 12, m[s[0]], m[s[1]]);
		G(1, 5, 9, 13, m[s[2]], m[s[3]]);
		G(2, 6, 10, 14, m[s[4]], m[s[5]]);
		G(3, 7, 11, 15, m[s[6]], m[s[7]]);
		G(0, 5, 10, 15, m[s[8]], m[s[9]]);
		G(1, 6, 11, 12, m[s[10]], m[s[11]]);
		G(2, 7, 8, 13, m[s[12]], m[s[13]]);
		G(3, 4, 9, 14, m[s[14]], m[s[15]]);
	}
#undef G
	for (i = 0; i < 8; i++)
		S->h[i] ^= v[i] ^ v[i + 8];
}

static void b2s_update(struct b2s *S, const u8 *p, size_t len)
{
	while (len) {
		size_t k;

		/* The last block is compressed by b2s_final, flagged. */
		if (S->n == 64) {
			S->t[0] += 64;
			S->t[1] += S->t[0] < 64;
			b2s_compress(S, S->buf, false);
			S->n = 0;
		}
		k = 64 - S->n < len ? 64 - S->n : len;
		memcpy(S->buf + S->n, p, k);
		S->n += k;
		p += k;
		len -= k;
	}
}

static void mac(const u8 *data, size_t len, u8 *out)
{
	struct b2s S = { .n = 0 };
	u8 blk[64] = { 0 };
	int i;

	memcpy(S.h, b2s_iv, sizeof(S.h));
	S.h[0] ^= 0x01010000 | PAXOS_KEY_LEN << 8 | MAC_LEN;
	memcpy(blk, D.key, PAXOS_KEY_LEN);
	b2s_update(&S, blk, 64);
	b2s_update(&S, data, len);
	S.t[0] += S.n;
	S.t[1] += S.t[0] < S.n;
	memset(S.buf + S.n, 0, 64 - S.n);
	b2s_compress(&S, S.buf, true);
	for (i = 0; i < MAC_LEN; i++)
		out[i] = S.h[i / 4] >> (8 * (i % 4));
}

/* Constant time, as the module's crypto_memneq(). */
static bool mac_ok(const u8 *a, const u8 *b)
{
	u8 d = 0;
	int i;

	for (i = 0; i < MAC_LEN; i++)
		d |= a[i] ^ b[i];
	return !d;
}

static int read_key(const char *path)
{
	char hex[2 * PAXOS_KEY_LEN + 2];
	FILE *f = fopen(path, "r");
	size_t n;
	int i;

	if (!f)
		return -1;
	n = fread(hex, 1, sizeof(hex), f);
	fclose(f);
	while (n && (hex[n - 1] == '\n' || hex[n - 1] == ' '))
		n--;
	if (n != 2 * PAXOS_KEY_LEN)
		return -1;
	for (i = 0; i < PAXOS_KEY_LEN; i++) {
		unsigned int b;

		if (sscanf(hex + 2 * i, "%2x", &b) != 1 ||
		    !strchr("0123456789abcdefABCDEF", hex[2 * i]) ||
		    !strchr("0123456789abcdefABCDEF", hex[2 * i + 1]))
			return -1;
		D.key[i] = b;
	}
	D.keyed = true;
	return 0;
}

static u64 now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (u64)t.tv_sec * 1000000000ULL + t.tv_nsec;
}

static void d_send(void *ctx, u32 to, const void *buf, size_t len)
{
	static u8 out[PX_MAX_DATAGRAM + MAC_LEN];
	u32 i;

	(void)ctx;
	if (D.keyed && len <= PX_MAX_DATAGRAM && len >= PX_HDR_LEN) {
		memcpy(out, buf, len);
		px_wire_set_flags(out, px_wire_flags(out) | PX_WF_MAC);
		mac(out, len, out + len);
		buf = out;
		len += MAC_LEN;
	}
	for (i = 0; i < D.npeers; i++)
		if (D.peers[i].id == to)
			sendto(D.udp, buf, len, MSG_DONTWAIT,
			       (struct sockaddr *)&D.peers[i].addr,
			       D.peers[i].alen);
}

/*
 * The module's checks before the engine sees a datagram: length, MAC
 * (*len loses it), and a source that is the member the datagram names.
 * 0, or the counter of the drop.
 */
static unsigned int check(const u8 *p, size_t *len,
			  const struct sockaddr_storage *from, socklen_t flen)
{
	u32 i, sender;
	u8 m[MAC_LEN];
	bool flagged;

	if (*len < PX_HDR_LEN || *len > PX_MAX_DATAGRAM + MAC_LEN)
		return PAXOS_CTR_DROP_MALFORMED;
	flagged = px_wire_flags(p) & PX_WF_MAC;
	if (!D.keyed) {
		if (flagged)
			return PAXOS_CTR_DROP_BAD_MAC;
	} else {
		if (!flagged || *len < PX_HDR_LEN + MAC_LEN)
			return PAXOS_CTR_DROP_BAD_MAC;
		*len -= MAC_LEN;
		mac(p, *len, m);
		if (!mac_ok(m, p + *len))
			return PAXOS_CTR_DROP_BAD_MAC;
	}
	sender = px_wire_sender(p, *len);
	for (i = 0; i < D.npeers; i++) {
		const struct peer *pe = &D.peers[i];

		if (pe->id != sender || pe->alen != flen)
			continue;
		if (pe->addr.ss_family == AF_INET6) {
			const struct sockaddr_in6 *a = (const void *)&pe->addr,
						  *b = (const void *)from;

			if (b->sin6_family == AF_INET6 && a->sin6_port == b->sin6_port &&
			    !memcmp(&a->sin6_addr, &b->sin6_addr, 16))
				return 0;
		} else {
			const struct sockaddr_in *a = (const void *)&pe->addr,
						 *b = (const void *)from;

			if (b->sin_family == AF_INET && a->sin_port == b->sin_port &&
			    a->sin_addr.s_addr == b->sin_addr.s_addr)
				return 0;
		}
	}
	return PAXOS_CTR_DROP_UNKNOWN_SENDER;
}

static void reply(int fd, s64 v)
{
	if (fd >= 0 && fd < MAX_CLIENTS && D.clients[fd] &&
	    write(fd, &v, sizeof(v)) != sizeof(v)) {
		/* A client that does not read its answers is dropped. */
		shutdown(fd, SHUT_RDWR);
	}
}

static void d_commit(void *ctx, u64 index, enum px_entry_type type,
		     const struct px_prop_id *id, const void *data, u32 len)
{
	u32 k;

	(void)ctx;
	if (D.log) {
		fprintf(D.log, "%llu %u ", (unsigned long long)index, type);
		for (k = 0; k < len; k++)
			fprintf(D.log, "%02x", ((const u8 *)data)[k]);
		fputc('\n', D.log);
	}
	if (type != PX_ENTRY_DATA || id->incarnation != px_get_incarnation(D.px))
		return;
	k = id->seq % MAX_WAIT;
	if (D.wait[k].seq == id->seq) {
		reply(D.wait[k].fd, (s64)index);
		D.wait[k].seq = 0;
	}
}

static void d_event(void *ctx, const struct px_event *ev)
{
	(void)ctx;
	if (ev->type == PX_EV_ROLE || ev->type == PX_EV_LEADER)
		D.status_dirty = true;
}

static const char *const role_names[] = {
	[PX_ROLE_FOLLOWER] = "follower", [PX_ROLE_CANDIDATE] = "candidate",
	[PX_ROLE_LEADER] = "leader", [PX_ROLE_RECOVERING] = "recovering",
};

/* The status file, as paxosctl status begins; replaced whole. */
static void write_status(void)
{
	struct px_status st;
	char tmp[PATH_MAX];
	FILE *f;

	D.status_dirty = false;
	if (!D.status)
		return;
	px_get_status(D.px, &st, now_ns());
	snprintf(tmp, sizeof(tmp), "%s.tmp", D.status);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "state: %s\nleader: %u\nballot: %llu\nincarnation: %llu\nkey: %s\n",
		(unsigned int)st.role < sizeof(role_names) / sizeof(role_names[0]) &&
		role_names[st.role] ? role_names[st.role] : "unknown",
		st.leader, (unsigned long long)st.ballot,
		(unsigned long long)st.incarnation, D.keyed ? "set" : "unset");
	if (fclose(f) == 0)
		rename(tmp, D.status);
}

static const struct px_ops ops = {
	.send = d_send, .commit = d_commit, .event = d_event,
};

static void arm(void)
{
	struct itimerspec its = { 0 };
	u64 d = px_next_deadline(D.px);

	its.it_value.tv_sec = d / 1000000000ULL;
	its.it_value.tv_nsec = d % 1000000000ULL;
	timerfd_settime(D.tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* ADDR:PORT, ADDR an IPv4 address or an IPv6 one in brackets. */
static int parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *alen)
{
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	const char *c = strrchr(s, ':');
	char host[64];
	int port;

	if (!c || c - s >= (long)sizeof(host))
		return -1;
	port = atoi(c + 1);
	if (port <= 0 || port > 65535)
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		if (c - s < 3 || c[-1] != ']')
			return -1;
		memcpy(host, s + 1, c - s - 2);
		host[c - s - 2] = 0;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		*alen = sizeof(*a6);
		return inet_pton(AF_INET6, host, &a6->sin6_addr) == 1 ? 0 : -1;
	}
	memcpy(host, s, c - s);
	host[c - s] = 0;
	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	*alen = sizeof(*a);
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

static void client_close(struct client *c)
{
	epoll_ctl(D.ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	D.clients[c->fd] = NULL;
	D.nstalled -= c->stalled;
	free(c);
}

/* Read from a stalled client only once its requests fit again. */
static void client_stall(struct client *c, bool stalled)
{
	struct epoll_event ev = { .events = stalled ? 0 : EPOLLIN,
				  .data.fd = c->fd };

	if (c->stalled == stalled)
		return;
	c->stalled = stalled;
	if (stalled)
		D.nstalled++;
	else
		D.nstalled--;
	epoll_ctl(D.ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Propose the client's complete requests, in order, while there is room. */
static void client_run(struct client *c)
{
	for (;;) {
		u32 len;
		u64 seq;
		int err;

		if (c->have < 4)
			break;
		memcpy(&len, c->buf, 4);
		if (!len || len > PX_MAX_VALUE) {
			reply(c->fd, -EMSGSIZE);
			c->have = 0;
			break;
		}
		if (c->have < 4 + len)
			break;
		/*
		 * Wait for the seq the engine gives this proposal before
		 * proposing: a cluster of one commits it within the call.
		 */
		seq = px_last_seq(D.px) + 1;
		D.wait[seq % MAX_WAIT].seq = seq;
		D.wait[seq % MAX_WAIT].fd = c->fd;
		err = px_propose(D.px, NULL, c->buf + 4, len, now_ns());
		if (err)
			D.wait[seq % MAX_WAIT].seq = 0;
		if (err == -EAGAIN) {
			client_stall(c, true);
			return;
		}
		if (err)
			reply(c->fd, err);
		memmove(c->buf, c->buf + 4 + len, c->have - 4 - len);
		c->have -= 4 + len;
	}
	client_stall(c, false);
}

static void client_data(struct client *c)
{
	ssize_t r = read(c->fd, c->buf + c->have, sizeof(c->buf) - c->have);

	if (r <= 0) {
		client_close(c);
		return;
	}
	c->have += r;
	client_run(c);
}

/* Commits made room: take up the requests that waited for it. */
static void clients_resume(void)
{
	int fd;

	for (fd = 0; fd < MAX_CLIENTS && D.nstalled; fd++)
		if (D.clients[fd] && D.clients[fd]->stalled &&
		    px_propose_room(D.px))
			client_run(D.clients[fd]);
}

/*
 * paxosd propose --sock PATH VALUE...: append each value through the
 * daemon, one after the other; print each one's index.  1 on an error.
 */
static int propose(int argc, char **argv)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int fd, i;

	if (argc < 5 || strcmp(argv[2], "--sock")) {
		fprintf(stderr, "usage: paxosd propose --sock PATH VALUE...\n");
		return 2;
	}
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", argv[3]);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&un, sizeof(un))) {
		perror("paxosd propose: connect");
		return 1;
	}
	for (i = 4; i < argc; i++) {
		u32 len = strlen(argv[i]);
		u8 req[PX_MAX_VALUE + 4];
		s64 r;

		if (!len || len > PX_MAX_VALUE) {
			fprintf(stderr, "paxosd propose: a value of 1 to %d bytes\n",
				PX_MAX_VALUE);
			return 2;
		}
		memcpy(req, &len, 4);
		memcpy(req + 4, argv[i], len);
		if (write(fd, req, 4 + len) != (ssize_t)(4 + len) ||
		    read(fd, &r, sizeof(r)) != sizeof(r)) {
			perror("paxosd propose");
			return 1;
		}
		if (r < 0) {
			fprintf(stderr, "paxosd propose: %s\n", strerror(-r));
			return 1;
		}
		printf("%lld\n", (long long)r);
		fflush(stdout);
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct px_config cfg = { .heartbeat_ns = 50000000ULL, .election_ns = 300000000ULL,
				 .lease_ns = 1000000000ULL, .drift_ppm = 1000,
				 .window = 64, .retain = 1024, .batch_bytes = 1400 };
	struct sockaddr_storage listen_addr;
	socklen_t listen_len = 0;
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct epoll_event ev;
	const char *sock = NULL, *key_file = NULL, *log = NULL;
	int i, have_listen = 0, one = 1;

	if (argc > 1 && !strcmp(argv[1], "propose"))
		return propose(argc, argv);
	for (i = 1; i < argc - 1; i++) {
		const char *a = argv[i], *v = argv[++i];

		if (!strcmp(a, "--id")) {
			cfg.self_id = atoi(v);
		} else if (!strcmp(a, "--cluster")) {
			cfg.cluster_id = atoi(v);
		} else if (!strcmp(a, "--listen")) {
			have_listen = !parse_addr(v, &listen_addr, &listen_len);
		} else if (!strcmp(a, "--peer") && D.npeers < PX_MAX_NODES - 1) {
			const char *eq = strchr(v, '=');

			if (!eq || parse_addr(eq + 1, &D.peers[D.npeers].addr,
					       &D.peers[D.npeers].alen))
				goto usage;
			D.peers[D.npeers++].id = atoi(v);
		} else if (!strcmp(a, "--sock")) {
			sock = v;
		} else if (!strcmp(a, "--heartbeat")) {
			cfg.heartbeat_ns = atoll(v) * 1000000ULL;
		} else if (!strcmp(a, "--election")) {
			cfg.election_ns = atoll(v) * 1000000ULL;
		} else if (!strcmp(a, "--lease")) {
			cfg.lease_ns = atoll(v) * 1000000ULL;
		} else if (!strcmp(a, "--drift")) {
			cfg.drift_ppm = atoi(v);
		} else if (!strcmp(a, "--preferred")) {
			cfg.preferred_leader = atoi(v);
		} else if (!strcmp(a, "--key-file")) {
			key_file = v;
		} else if (!strcmp(a, "--log")) {
			log = v;
		} else if (!strcmp(a, "--status")) {
			D.status = v;
		} else {
			goto usage;
		}
	}
	if (!cfg.self_id || !have_listen || !sock || i != argc)
		goto usage;
	for (i = 0; i < (int)D.npeers; i++)
		if (D.peers[i].addr.ss_family != listen_addr.ss_family) {
			fprintf(stderr, "paxosd: peer %u: not the address family of --listen\n",
				D.peers[i].id);
			return 1;
		}
	if (key_file && read_key(key_file)) {
		fprintf(stderr, "paxosd: %s: not a key of %d hex digits\n", key_file,
			2 * PAXOS_KEY_LEN);
		return 1;
	}
	if (log) {
		D.log = fopen(log, "w");
		if (!D.log) {
			perror(log);
			return 1;
		}
		setvbuf(D.log, NULL, _IOFBF, 1 << 16);
	}
	cfg.members[0] = cfg.self_id;
	for (i = 0; i < (int)D.npeers; i++)
		cfg.members[i + 1] = D.peers[i].id;
	cfg.nmembers = D.npeers + 1;
	signal(SIGPIPE, SIG_IGN);

	D.udp = socket(listen_addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (D.udp >= 0 && listen_addr.ss_family == AF_INET6)
		setsockopt(D.udp, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (D.udp < 0 || bind(D.udp, (struct sockaddr *)&listen_addr, listen_len)) {
		perror("paxosd: udp");
		return 1;
	}
	D.lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", sock);
	unlink(sock);
	if (D.lfd < 0 || bind(D.lfd, (struct sockaddr *)&un, sizeof(un)) || listen(D.lfd, 64)) {
		perror("paxosd: unix socket");
		return 1;
	}
	D.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	D.ep = epoll_create1(0);
	px_node_create(&cfg, &ops, NULL,
		       (u64)time(NULL) * 1000000000ULL + now_ns() % 1000000000ULL,
		       now_ns() ^ getpid(), now_ns(), &D.px);
	if (!D.px || D.tfd < 0 || D.ep < 0) {
		fprintf(stderr, "paxosd: invalid configuration\n");
		return 1;
	}
	ev.events = EPOLLIN;
	ev.data.fd = D.udp;
	epoll_ctl(D.ep, EPOLL_CTL_ADD, D.udp, &ev);
	ev.data.fd = D.tfd;
	epoll_ctl(D.ep, EPOLL_CTL_ADD, D.tfd, &ev);
	ev.data.fd = D.lfd;
	epoll_ctl(D.ep, EPOLL_CTL_ADD, D.lfd, &ev);
	arm();
	write_status();
	for (;;) {
		struct epoll_event evs[64];
		int n = epoll_wait(D.ep, evs, 64, -1), k;

		for (k = 0; k < n; k++) {
			int fd = evs[k].data.fd;

			if (fd == D.udp) {
				static u8 buf[PX_MAX_DATAGRAM + 64];
				struct sockaddr_storage from;
				socklen_t flen = sizeof(from);
				ssize_t r;

				while ((r = recvfrom(D.udp, buf, sizeof(buf), 0,
						     (struct sockaddr *)&from, &flen)) > 0) {
					size_t len = r;
					unsigned int drop = check(buf, &len, &from, flen);

					if (drop)
						px_count(D.px, drop);
					else
						px_receive(D.px, buf, len, now_ns());
					flen = sizeof(from);
				}
			} else if (fd == D.tfd) {
				u64 x;

				if (read(D.tfd, &x, sizeof(x)) < 0 && errno != EAGAIN)
					return 1;
				px_tick(D.px, now_ns());
			} else if (fd == D.lfd) {
				int c = accept(D.lfd, NULL, NULL);

				if (c < 0 || c >= MAX_CLIENTS) {
					if (c >= 0)
						close(c);
					continue;
				}
				D.clients[c] = calloc(1, sizeof(struct client));
				D.clients[c]->fd = c;
				ev.data.fd = c;
				epoll_ctl(D.ep, EPOLL_CTL_ADD, c, &ev);
			} else if (fd < MAX_CLIENTS && D.clients[fd]) {
				client_data(D.clients[fd]);
			}
		}
		clients_resume();
		if (D.log)
			fflush(D.log);
		if (D.status_dirty)
			write_status();
		arm();
	}
usage:
	fprintf(stderr, "usage: paxosd --id N --listen ADDR:PORT --peer ID=ADDR:PORT... --sock PATH\n"
		"              [--cluster C] [--heartbeat MS] [--election MS] [--lease MS] [--drift PPM]\n"
		"              [--preferred ID] [--key-file PATH] [--log PATH] [--status PATH]\n"
		"       paxosd propose --sock PATH VALUE...\n");
	return 2;
}
