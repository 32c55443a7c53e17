// SPDX-License-Identifier: GPL-2.0
/*
 * pxinject: send hostile datagrams at a kpaxos node from a raw socket,
 * with any source address (the cluster tests spoof a member).
 *
 *   pxinject SRC SPORT DST DPORT KIND [COUNT]
 *
 * KIND: random (random bytes, random length), short (a truncated header),
 * unknown (well formed, sender id 99), cluster (cluster id 999, sender 2),
 * stale (an ACCEPT of round 1 from an old incarnation of node 2),
 * badmac (a heartbeat of node 2 carrying a wrong MAC).
 */
#include <arpa/inet.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v); }
static void put64(uint8_t *p, uint64_t v) { put32(p, v >> 32); put32(p + 4, v); }

/* PX_WIRE_VERSION of kmod/core/wire.h: a datagram of another is malformed. */
#define WIRE_VERSION	2

/* The 28-byte kpaxos header. */
static size_t hdr(uint8_t *p, uint8_t type, uint16_t sender, uint32_t cluster,
		  uint64_t inc, uint64_t ballot)
{
	put16(p, 0x5058);
	p[2] = WIRE_VERSION;
	p[3] = type;
	p[4] = 0;
	p[5] = 0;
	put16(p + 6, sender);
	put32(p + 8, cluster);
	put64(p + 12, inc);
	put64(p + 20, ballot);
	return 28;
}

int main(int argc, char **argv)
{
	uint8_t pkt[2048], *pl = pkt + sizeof(struct iphdr) + sizeof(struct udphdr);
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct iphdr *ip = (struct iphdr *)pkt;
	struct udphdr *uh = (struct udphdr *)(ip + 1);
	int fd, one = 1, count, i;

	if (argc < 6) {
		fprintf(stderr, "usage: pxinject SRC SPORT DST DPORT KIND [COUNT]\n");
		return 2;
	}
	count = argc > 6 ? atoi(argv[6]) : 1;
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one))) {
		perror("raw socket");
		return 1;
	}
	inet_pton(AF_INET, argv[3], &dst.sin_addr);
	srand(getpid());
	for (i = 0; i < count; i++) {
		size_t len = 0;
		const char *k = argv[5];

		memset(pkt, 0, sizeof(pkt));
		if (!strcmp(k, "random")) {
			size_t j;

			len = rand() % 200;
			for (j = 0; j < len; j++)
				pl[j] = rand();
			if (len > 4 && rand() % 2) {
				/* Often a plausible header, to get past the magic. */
				put16(pl, 0x5058);
				pl[2] = WIRE_VERSION;
				pl[4] = 0;
			}
		} else if (!strcmp(k, "short")) {
			len = hdr(pl, 6, 2, 0, 1, 1) - 1 - rand() % 20;
		} else if (!strcmp(k, "unknown")) {
			len = hdr(pl, 6, 99, 0, 1, 1ULL << 32 | 99);
			put64(pl + len, 0); put64(pl + len + 8, 1); put64(pl + len + 16, 1);
			len += 24;
		} else if (!strcmp(k, "cluster")) {
			len = hdr(pl, 6, 2, 999, 1, 1ULL << 32 | 2);
			put64(pl + len, 0); put64(pl + len + 8, 1); put64(pl + len + 16, 1);
			len += 24;
		} else if (!strcmp(k, "stale")) {
			len = hdr(pl, 3, 2, 0, 1, 1ULL << 32 | 2);
			put64(pl + len, 0);
			put16(pl + len + 8, 0);
			len += 10;
		} else if (!strcmp(k, "badmac")) {
			len = hdr(pl, 6, 2, 0, 1, 1ULL << 32 | 2);
			pl[4] = 1;
			put64(pl + len, 0); put64(pl + len + 8, 1); put64(pl + len + 16, 1);
			len += 24 + 16;	/* sixteen zero bytes of "MAC" */
		} else {
			fprintf(stderr, "pxinject: unknown kind %s\n", k);
			return 2;
		}
		ip->version = 4;
		ip->ihl = 5;
		ip->ttl = 64;
		ip->protocol = IPPROTO_UDP;
		ip->tot_len = htons(sizeof(*ip) + sizeof(*uh) + len);
		inet_pton(AF_INET, argv[1], &ip->saddr);
		ip->daddr = dst.sin_addr.s_addr;
		uh->source = htons(atoi(argv[2]));
		uh->dest = htons(atoi(argv[4]));
		uh->len = htons(sizeof(*uh) + len);
		uh->check = 0;
		if (sendto(fd, pkt, sizeof(*ip) + sizeof(*uh) + len, 0,
			   (struct sockaddr *)&dst, sizeof(dst)) < 0) {
			perror("sendto");
			return 1;
		}
	}
	return 0;
}
