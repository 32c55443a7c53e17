// SPDX-License-Identifier: GPL-2.0
/*
 * The node configuration file: one setting per line, "KEYWORD VALUE", and
 * "member ID addr A [port P]" lines; '#' starts a comment.  See conf.h.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

#define MAX_TOKENS	8

static const char *const names[CF_NFIELDS] = {
	[CF_ID] = "id",
	[CF_CLUSTER] = "cluster",
	[CF_ADDR] = "addr",
	[CF_PORT] = "port",
	[CF_HEARTBEAT] = "heartbeat",
	[CF_ELECTION] = "election",
	[CF_LEASE] = "lease",
	[CF_DRIFT] = "drift",
	[CF_PREFERRED] = "preferred",
	[CF_STORAGE] = "storage",
	[CF_KEY] = "key",
	[CF_MEMBERS] = "members",
};

const char *conf_field_name(enum conf_field f)
{
	return (unsigned int)f < CF_NFIELDS ? names[f] : "?";
}

static int error(struct conf_error *e, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int error(struct conf_error *e, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	e->line = line ? line : 1;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* A number in [min, max]: ids, the cluster id, ports. */
static int number(struct conf_error *e, unsigned int line, const char *what,
		  const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint32_t v;

	if (parse_u32(s, max, &v) || v < min)
		return error(e, line, "invalid %s \"%.40s\": %u to %u", what, s,
			     min, max);
	*out = v;
	return 0;
}

static int duration(struct conf_error *e, unsigned int line, const char *what,
		    const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint32_t v;

	if (parse_duration_ms(s, &v))
		return error(e, line,
			     "invalid %s \"%.40s\": a duration in whole ms (50ms, 2s, 3000us)",
			     what, s);
	if (v < min || v > max)
		return error(e, line, "%s %ums out of range: %ums to %ums", what,
			     v, min, max);
	*out = v;
	return 0;
}

static int address(struct conf_error *e, unsigned int line, const char *s,
		   struct pctl_addr *a)
{
	if (parse_addr(s, a))
		return error(e, line,
			     "invalid address \"%.60s\": an IPv4 or IPv6 address",
			     s);
	return 0;
}

/* "member ID addr A [port P]", the keywords in any order. */
static int member(struct pctl_conf *c, struct conf_error *e, unsigned int line,
		  char **tok, int n)
{
	struct conf_member m = { .port = PAXOS_DEFAULT_PORT, .line = line };
	int i, have_addr = 0, have_port = 0;
	unsigned int k;

	if (n < 2)
		return error(e, line, "member needs an id: member ID addr A [port P]");
	if (number(e, line, "member id", tok[1], 1, PAXOS_MAX_NODE_ID, &m.id))
		return -1;
	for (i = 2; i < n; i += 2) {
		if (i + 1 >= n)
			return error(e, line, "member %u: \"%.20s\" needs a value",
				     m.id, tok[i]);
		if (!strcmp(tok[i], "addr")) {
			if (have_addr++)
				return error(e, line, "member %u: addr given twice", m.id);
			if (address(e, line, tok[i + 1], &m.addr))
				return -1;
		} else if (!strcmp(tok[i], "port")) {
			uint32_t p = 0;

			if (have_port++)
				return error(e, line, "member %u: port given twice", m.id);
			if (number(e, line, "port", tok[i + 1], 1, 65535, &p))
				return -1;
			m.port = (uint16_t)p;
		} else {
			return error(e, line,
				     "member %u: unknown setting \"%.20s\" (addr or port)",
				     m.id, tok[i]);
		}
	}
	if (!have_addr)
		return error(e, line, "member %u: addr missing", m.id);
	for (k = 0; k < c->nmembers; k++)
		if (c->members[k].id == m.id)
			return error(e, line, "member %u listed twice (first on line %u)",
				     m.id, c->members[k].line);
	if (c->nmembers == CONF_MAX_MEMBERS)
		return error(e, line,
			     "more than %d members: a cluster has at most %d nodes",
			     CONF_MAX_MEMBERS, PAXOS_MAX_MEMBERS);
	c->members[c->nmembers++] = m;
	return 0;
}

static int key(struct pctl_conf *c, struct conf_error *e, unsigned int line,
	       const char *kw, const char *v)
{
	if (!strcmp(kw, "key-file")) {
		if (strlen(v) >= sizeof(c->key_file))
			return error(e, line, "key-file path longer than %d bytes",
				     CONF_MAX_PATH - 1);
		strcpy(c->key_file, v);
		c->key = CONF_KEY_FILE;
	} else if (!strcmp(v, "none")) {
		c->key = CONF_KEY_NONE;
	} else {
		/* Never echo what may be most of a key. */
		if (parse_hex(v, c->key_bytes, sizeof(c->key_bytes)))
			return error(e, line,
				     "a key is \"none\" or exactly %d hex digits (or use key-file PATH)",
				     2 * PAXOS_KEY_LEN);
		c->key = CONF_KEY_HEX;
	}
	return 0;
}

/* One "KEYWORD VALUE" line. */
static int setting(struct pctl_conf *c, struct conf_error *e, unsigned int line,
		   char **tok, int n)
{
	const char *kw = tok[0];
	uint32_t v;
	int f;

	if (!strcmp(kw, "member"))
		return member(c, e, line, tok, n);
	if (!strcmp(kw, "key-file"))
		f = CF_KEY;
	else
		for (f = 0; f < CF_MEMBERS; f++)
			if (!strcmp(kw, names[f]))
				break;
	if (f == CF_MEMBERS)
		return error(e, line, "unknown setting \"%.40s\"", kw);
	if (n < 2)
		return error(e, line, "%s needs a value", kw);
	if (n > 2)
		return error(e, line, "%s takes one value, not %d", kw, n - 1);
	if (c->have & (1u << f)) {
		if (f == CF_KEY)
			return error(e, line,
				     "a second key (key or key-file; the first on line %u)",
				     c->line[f]);
		return error(e, line, "%s given twice (first on line %u)", kw,
			     c->line[f]);
	}
	switch (f) {
	case CF_ID:
		if (number(e, line, "node id", tok[1], 1, PAXOS_MAX_NODE_ID, &c->id))
			return -1;
		break;
	case CF_CLUSTER:
		if (number(e, line, "cluster id", tok[1], 0, UINT32_MAX, &c->cluster))
			return -1;
		break;
	case CF_ADDR:
		if (address(e, line, tok[1], &c->addr))
			return -1;
		break;
	case CF_PORT:
		if (number(e, line, "port", tok[1], 1, 65535, &v))
			return -1;
		c->port = (uint16_t)v;
		break;
	case CF_HEARTBEAT:
		if (duration(e, line, "heartbeat", tok[1], 1, CONF_MAX_HEARTBEAT_MS,
			     &c->heartbeat_ms))
			return -1;
		break;
	case CF_ELECTION:
		if (duration(e, line, "election", tok[1], CONF_MIN_ELECTION_MS,
			     CONF_MAX_TIMER_MS, &c->election_ms))
			return -1;
		break;
	case CF_LEASE:
		if (duration(e, line, "lease", tok[1], 0, CONF_MAX_TIMER_MS,
			     &c->lease_ms))
			return -1;
		break;
	case CF_DRIFT:
		if (parse_ppm(tok[1], &v))
			return error(e, line,
				     "invalid drift \"%.40s\": parts per million (1000ppm)",
				     tok[1]);
		if (v > CONF_MAX_DRIFT_PPM)
			return error(e, line, "drift %uppm out of range: 0ppm to %uppm",
				     v, CONF_MAX_DRIFT_PPM);
		c->drift_ppm = v;
		break;
	case CF_PREFERRED:
		if (number(e, line, "preferred leader", tok[1], 0,
			   PAXOS_MAX_NODE_ID, &c->preferred))
			return -1;
		break;
	case CF_STORAGE:
		if (!strcmp(tok[1], "none")) {
			c->storage[0] = 0;
			break;
		}
		if (tok[1][0] != '/')
			return error(e, line,
				     "storage is \"none\" or a block device's absolute path");
		if (strlen(tok[1]) >= sizeof(c->storage))
			return error(e, line, "storage path longer than %d bytes",
				     PAXOS_STORAGE_PATH_MAX - 1);
		strcpy(c->storage, tok[1]);
		break;
	case CF_KEY:
		if (key(c, e, line, kw, tok[1]))
			return -1;
		break;
	}
	c->have |= 1u << f;
	c->line[f] = line;
	return 0;
}

/* Split @s (modified) into tokens, dropping a '#' comment. */
static int tokenize(char *s, char **tok, int max)
{
	char *hash = strchr(s, '#'), *save = NULL;
	int n = 0;

	if (hash)
		*hash = 0;
	for (s = strtok_r(s, " \t\r", &save); s; s = strtok_r(NULL, " \t\r", &save)) {
		if (n == max)
			return max + 1;
		tok[n++] = s;
	}
	return n;
}

/* What can only be checked once the whole file is read. */
static int whole(struct pctl_conf *c, struct conf_error *e, unsigned int last)
{
	unsigned int i;

	if (!(c->have & (1u << CF_ID)))
		return error(e, last, "end of file without an \"id\" line (the node id is required)");
	for (i = 0; i < c->nmembers; i++) {
		const struct conf_member *m = &c->members[i];

		if (m->id == c->id)
			return error(e, m->line,
				     "member %u is this node's own id (line %u)",
				     m->id, c->line[CF_ID]);
		if ((c->have & (1u << CF_ADDR)) && m->addr.family != c->addr.family)
			return error(e, m->line,
				     "member %u: an %s address, the node's is %s (line %u); the node cannot come up",
				     m->id, m->addr.family == AF_INET ? "IPv4" : "IPv6",
				     c->addr.family == AF_INET ? "IPv4" : "IPv6",
				     c->line[CF_ADDR]);
	}
	if ((c->have & (1u << CF_LEASE)) && (c->have & (1u << CF_HEARTBEAT)) &&
	    c->lease_ms &&
	    c->lease_ms <= (uint64_t)CONF_LEASE_MIN_HEARTBEATS * c->heartbeat_ms)
		return error(e, c->line[CF_LEASE],
			     "lease %ums must be longer than %d heartbeats of %ums (line %u), or 0",
			     c->lease_ms, CONF_LEASE_MIN_HEARTBEATS, c->heartbeat_ms,
			     c->line[CF_HEARTBEAT]);
	return 0;
}

int conf_parse(FILE *f, struct pctl_conf *c, struct conf_error *e)
{
	unsigned int line = 0;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	int ret = 0;

	memset(c, 0, sizeof(*c));
	memset(e, 0, sizeof(*e));
	while (!ret && (len = getline(&buf, &cap, f)) >= 0) {
		char *tok[MAX_TOKENS];
		ssize_t i;
		int n;

		line++;
		if (len && buf[len - 1] == '\n')
			buf[--len] = 0;
		if (len > CONF_MAX_LINE) {
			ret = error(e, line, "line longer than %d bytes", CONF_MAX_LINE);
			break;
		}
		for (i = 0; i < len; i++) {
			unsigned char ch = (unsigned char)buf[i];

			if ((ch < 0x20 && ch != '\t' && ch != '\r') || ch == 0x7f) {
				ret = error(e, line,
					    "control character 0x%02x in column %zd: not a text file?",
					    ch, i + 1);
				break;
			}
		}
		if (ret)
			break;
		n = tokenize(buf, tok, MAX_TOKENS);
		if (n > MAX_TOKENS)
			ret = error(e, line, "too many words (at most %d)", MAX_TOKENS);
		else if (n)
			ret = setting(c, e, line, tok, n);
	}
	if (!ret && ferror(f))
		ret = error(e, line + 1, "read error");
	free(buf);
	if (!ret)
		ret = whole(c, e, line);
	c->have |= 1u << CF_MEMBERS;	/* the file's list replaces the node's */
	return ret;
}

static int by_id(const void *a, const void *b)
{
	const struct conf_member *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static const char *addr_text(const struct pctl_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family, a->family == AF_INET6 ? (const void *)&a->v6 :
		       (const void *)&a->v4, buf, (socklen_t)len))
		snprintf(buf, len, "invalid");
	return buf;
}

void conf_print(FILE *f, const struct pctl_conf *c)
{
	struct conf_member m[CONF_MAX_MEMBERS];
	char a[INET6_ADDRSTRLEN];
	unsigned int i, n = c->nmembers < CONF_MAX_MEMBERS ? c->nmembers :
		CONF_MAX_MEMBERS;

#define HAVE(fl) (c->have & (1u << (fl)))
	if (HAVE(CF_ID))
		fprintf(f, "id %u\n", c->id);
	if (HAVE(CF_CLUSTER))
		fprintf(f, "cluster %u\n", c->cluster);
	if (HAVE(CF_ADDR))
		fprintf(f, "addr %s\n", addr_text(&c->addr, a, sizeof(a)));
	if (HAVE(CF_PORT))
		fprintf(f, "port %u\n", c->port);
	if (HAVE(CF_HEARTBEAT))
		fprintf(f, "heartbeat %ums\n", c->heartbeat_ms);
	if (HAVE(CF_ELECTION))
		fprintf(f, "election %ums\n", c->election_ms);
	if (HAVE(CF_LEASE))
		fprintf(f, "lease %ums\n", c->lease_ms);
	if (HAVE(CF_DRIFT))
		fprintf(f, "drift %uppm\n", c->drift_ppm);
	if (HAVE(CF_PREFERRED))
		fprintf(f, "preferred %u\n", c->preferred);
	if (HAVE(CF_STORAGE))
		fprintf(f, "storage %s\n", c->storage[0] ? c->storage : "none");
#undef HAVE
	switch (c->key) {
	case CONF_KEY_KEEP:
		if (c->key_hidden)
			fputs("# key: set; the kernel never gives a key back, so add a\n"
			      "# \"key-file PATH\" or \"key HEX\" line to copy it (without one,\n"
			      "# setconf leaves the key as it is)\n", f);
		break;
	case CONF_KEY_NONE:
		fputs("key none\n", f);
		break;
	case CONF_KEY_HEX:
		fputs("key ", f);
		for (i = 0; i < PAXOS_KEY_LEN; i++)
			fprintf(f, "%02x", c->key_bytes[i]);
		fputc('\n', f);
		break;
	case CONF_KEY_FILE:
		fprintf(f, "key-file %s\n", c->key_file);
		break;
	}
	memcpy(m, c->members, n * sizeof(m[0]));
	qsort(m, n, sizeof(m[0]), by_id);
	for (i = 0; i < n; i++)
		fprintf(f, "member %u addr %s port %u\n", m[i].id,
			addr_text(&m[i].addr, a, sizeof(a)), m[i].port);
}

int conf_key_text(const char *buf, size_t len, uint8_t key[PAXOS_KEY_LEN],
		  const char **why)
{
	char hex[2 * PAXOS_KEY_LEN + 1];
	size_t b = 0, e = len;

	while (b < e && buf[b] && strchr(" \t\r\n", buf[b]))
		b++;
	while (e > b && buf[e - 1] && strchr(" \t\r\n", buf[e - 1]))
		e--;
	if (e - b != 2 * PAXOS_KEY_LEN) {
		*why = "a key file holds exactly 64 hex digits (and white space around them)";
		return -1;
	}
	memcpy(hex, buf + b, e - b);
	hex[e - b] = 0;
	if (parse_hex(hex, key, PAXOS_KEY_LEN)) {
		*why = "a key file holds exactly 64 hex digits (a character is not a hex digit)";
		memset(hex, 0, sizeof(hex));
		return -1;
	}
	memset(hex, 0, sizeof(hex));
	return 0;
}

static int same_addr(const struct pctl_addr *a, const struct pctl_addr *b)
{
	if (a->family != b->family)
		return 0;
	if (a->family == AF_INET)
		return a->v4.s_addr == b->v4.s_addr;
	return !memcmp(&a->v6, &b->v6, sizeof(a->v6));
}

int conf_has_member(const struct pctl_conf *c, const struct conf_member *m)
{
	unsigned int i;

	for (i = 0; i < c->nmembers; i++)
		if (c->members[i].id == m->id)
			return c->members[i].port == m->port &&
				same_addr(&c->members[i].addr, &m->addr);
	return 0;
}

unsigned int conf_diff(const struct pctl_conf *want, const struct pctl_conf *have)
{
	unsigned int d = 0, i;

#define DIFF(fl, cond) do {						\
		if ((want->have & (1u << (fl))) && (cond))		\
			d |= 1u << (fl);				\
	} while (0)
	DIFF(CF_ID, want->id != have->id);
	DIFF(CF_CLUSTER, want->cluster != have->cluster);
	DIFF(CF_ADDR, !same_addr(&want->addr, &have->addr));
	DIFF(CF_PORT, want->port != have->port);
	DIFF(CF_HEARTBEAT, want->heartbeat_ms != have->heartbeat_ms);
	DIFF(CF_ELECTION, want->election_ms != have->election_ms);
	DIFF(CF_LEASE, want->lease_ms != have->lease_ms);
	DIFF(CF_DRIFT, want->drift_ppm != have->drift_ppm);
	DIFF(CF_PREFERRED, want->preferred != have->preferred);
	DIFF(CF_STORAGE, strcmp(want->storage, have->storage));
#undef DIFF
	if (!(want->have & (1u << CF_MEMBERS)))
		return d;
	if (want->nmembers != have->nmembers)
		return d | 1u << CF_MEMBERS;
	for (i = 0; i < want->nmembers; i++)
		if (!conf_has_member(have, &want->members[i]))
			return d | 1u << CF_MEMBERS;
	return d;
}
