// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v;

	if (parse_u64(s, max, &v))
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* Split "123unit" into the number and the unit suffix. */
static int number_unit(const char *s, uint64_t *v, const char **unit);

int parse_size(const char *s, uint64_t *bytes)
{
	static const char *const units[][3] = {
		{ "", "B", NULL }, { "K", "KiB", NULL },
		{ "M", "MiB", NULL }, { "G", "GiB", NULL },
	};
	const char *unit;
	uint64_t v;
	unsigned int i, k;

	if (!s || number_unit(s, &v, &unit))
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		for (k = 0; units[i][k]; k++) {
			if (strcmp(unit, units[i][k]))
				continue;
			if (v > UINT64_MAX >> (10 * i))
				return -1;
			*bytes = v << (10 * i);
			return 0;
		}
	}
	return -1;
}

static int number_unit(const char *s, uint64_t *v, const char **unit)
{
	char buf[32];
	size_t n = 0;

	while (s[n] && isdigit((unsigned char)s[n]))
		n++;
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (parse_u64(buf, UINT64_MAX, v))
		return -1;
	*unit = s + n;
	return 0;
}

int parse_duration_ms(const char *s, uint32_t *ms)
{
	const char *unit;
	uint64_t v;

	if (!s || number_unit(s, &v, &unit))
		return -1;
	if (!*unit || !strcmp(unit, "ms")) {
		/* as is */
	} else if (!strcmp(unit, "s")) {
		if (v > UINT32_MAX / 1000)
			return -1;
		v *= 1000;
	} else if (!strcmp(unit, "us")) {
		if (v % 1000)
			return -1;	/* the kernel takes whole ms */
		v /= 1000;
	} else {
		return -1;
	}
	if (v > UINT32_MAX)
		return -1;
	*ms = (uint32_t)v;
	return 0;
}

int parse_ppm(const char *s, uint32_t *ppm)
{
	const char *unit;
	uint64_t v;

	if (!s || number_unit(s, &v, &unit))
		return -1;
	if (*unit && strcmp(unit, "ppm"))
		return -1;
	if (v > 1000000)
		return -1;
	*ppm = (uint32_t)v;
	return 0;
}

int parse_addr(const char *s, struct pctl_addr *a)
{
	struct pctl_addr t;

	memset(&t, 0, sizeof(t));
	if (!s)
		return -1;
	if (inet_pton(AF_INET, s, &t.v4) == 1)
		t.family = AF_INET;
	else if (inet_pton(AF_INET6, s, &t.v6) == 1)
		t.family = AF_INET6;
	else
		return -1;
	*a = t;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int parse_hex(const char *s, uint8_t *out, size_t len)
{
	uint8_t tmp[256];
	size_t i;

	if (!s || len > sizeof(tmp) || strlen(s) != 2 * len)
		return -1;
	for (i = 0; i < len; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		tmp[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(out, tmp, len);
	return 0;
}
