// SPDX-License-Identifier: GPL-2.0
/*
 * paxosd: the kpaxos engine (kmod/core) run in user space over ordinary
 * UDP sockets, with epoll and a timerfd.  Its datagrams are the module's,
 * so a cluster can mix both (without a cluster key: paxosd has no MAC).
 *
 *   paxosd --id N --listen ADDR:PORT --peer ID=ADDR:PORT... --sock PATH
 *          [--cluster C] [--heartbeat MS] [--election MS] [--lease MS]
 *          [--drift PPM]
 *
 * Clients connect to the UNIX stream socket PATH and send requests, each
 * a native-endian u32 length and that many bytes (1..8192); for each, in
 * order, paxosd answers a native-endian s64: the committed index, or a
 * negative errno.  A client may pipeline requests.
 */
#include <arpa/inet.h>
#include <errno.h>
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

#define MAX_CLIENTS 1024
#define MAX_WAIT 4096

struct peer {
	u32 id;
	struct sockaddr_in addr;
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
} D;

static u64 now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (u64)t.tv_sec * 1000000000ULL + t.tv_nsec;
}

static void d_send(void *ctx, u32 to, const void *buf, size_t len)
{
	u32 i;

	(void)ctx;
	for (i = 0; i < D.npeers; i++)
		if (D.peers[i].id == to)
			sendto(D.udp, buf, len, MSG_DONTWAIT,
			       (struct sockaddr *)&D.peers[i].addr,
			       sizeof(D.peers[i].addr));
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
	(void)data;
	(void)len;
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
	(void)ev;
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

static int parse_addr(const char *s, struct sockaddr_in *a)
{
	char host[64];
	const char *c = strrchr(s, ':');

	if (!c || c - s >= (long)sizeof(host))
		return -1;
	memcpy(host, s, c - s);
	host[c - s] = 0;
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons(atoi(c + 1));
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

int main(int argc, char **argv)
{
	struct px_config cfg = { .heartbeat_ns = 50000000ULL, .election_ns = 300000000ULL,
				 .lease_ns = 1000000000ULL, .drift_ppm = 1000,
				 .window = 64, .retain = 1024, .batch_bytes = 1400 };
	struct sockaddr_in listen_addr;
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct epoll_event ev;
	const char *sock = NULL;
	int i, have_listen = 0;

	for (i = 1; i < argc - 1; i++) {
		const char *a = argv[i], *v = argv[++i];

		if (!strcmp(a, "--id")) {
			cfg.self_id = atoi(v);
		} else if (!strcmp(a, "--cluster")) {
			cfg.cluster_id = atoi(v);
		} else if (!strcmp(a, "--listen")) {
			have_listen = !parse_addr(v, &listen_addr);
		} else if (!strcmp(a, "--peer") && D.npeers < PX_MAX_NODES - 1) {
			const char *eq = strchr(v, '=');

			if (!eq || parse_addr(eq + 1, &D.peers[D.npeers].addr))
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
		} else {
			goto usage;
		}
	}
	if (!cfg.self_id || !have_listen || !sock)
		goto usage;
	cfg.members[0] = cfg.self_id;
	for (i = 0; i < (int)D.npeers; i++)
		cfg.members[i + 1] = D.peers[i].id;
	cfg.nmembers = D.npeers + 1;
	signal(SIGPIPE, SIG_IGN);

	D.udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (D.udp < 0 || bind(D.udp, (struct sockaddr *)&listen_addr, sizeof(listen_addr))) {
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
	for (;;) {
		struct epoll_event evs[64];
		int n = epoll_wait(D.ep, evs, 64, -1), k;

		for (k = 0; k < n; k++) {
			int fd = evs[k].data.fd;

			if (fd == D.udp) {
				static u8 buf[PX_MAX_DATAGRAM + 64];
				ssize_t r;

				while ((r = recv(D.udp, buf, sizeof(buf), 0)) > 0)
					px_receive(D.px, buf, r, now_ns());
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
		arm();
	}
usage:
	fprintf(stderr, "usage: paxosd --id N --listen ADDR:PORT --peer ID=ADDR:PORT... --sock PATH\n"
		"              [--cluster C] [--heartbeat MS] [--election MS] [--lease MS] [--drift PPM]\n");
	return 2;
}
