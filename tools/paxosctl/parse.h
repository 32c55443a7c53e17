/* SPDX-License-Identifier: GPL-2.0 */
/* Argument parsing for paxosctl: pure functions, unit-tested on the host. */
#ifndef PAXOSCTL_PARSE_H
#define PAXOSCTL_PARSE_H

#include <stdint.h>
#include <stddef.h>
#include <netinet/in.h>

/* Each returns 0 or -1 (with nothing written) on any malformed input. */
int parse_u64(const char *s, uint64_t max, uint64_t *out);
int parse_u32(const char *s, uint32_t max, uint32_t *out);
/* "500ms", "2s", "1500us", bare number = ms; result in ms, exact. */
int parse_duration_ms(const char *s, uint32_t *ms);
/* "64MiB", "512KiB", "1GiB", "4096" (bytes); K, M and G are binary too. */
int parse_size(const char *s, uint64_t *bytes);
/* "1000ppm" or bare number. */
int parse_ppm(const char *s, uint32_t *ppm);

struct pctl_addr {
	int family;		/* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

int parse_addr(const char *s, struct pctl_addr *a);
/* Exactly 2 * len hex digits. */
int parse_hex(const char *s, uint8_t *out, size_t len);

#endif
