// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of paxosctl's pure parts: argument parsing (accepts and
 * rejects), the JSON writer, the text forms of status and records, and the
 * configuration file of setconf/showconf (round trip, every error with its
 * line, the limits).
 * Prints `ok`/`not ok` lines; JSON samples go to the file named by argv[1]
 * for validation by a real JSON parser.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "format.h"
#include "parse.h"

static int failed, passed;

#define CHECK(cond) do {						\
	if (cond) {							\
		passed++;						\
	} else {							\
		failed++;						\
		printf("not ok %s:%d: %s\n", __FILE__, __LINE__, #cond);	\
	}								\
} while (0)

static void test_numbers(void)
{
	uint32_t v = 7;
	uint64_t w;

	CHECK(!parse_u32("0", 10, &v) && v == 0);
	CHECK(!parse_u32("65535", 65535, &v) && v == 65535);
	CHECK(parse_u32("65536", 65535, &v) && v == 65535);
	CHECK(parse_u32("-1", UINT32_MAX, &v));
	CHECK(parse_u32("", UINT32_MAX, &v));
	CHECK(parse_u32(" 1", UINT32_MAX, &v));
	CHECK(parse_u32("1x", UINT32_MAX, &v));
	CHECK(parse_u32("+1", UINT32_MAX, &v));
	CHECK(parse_u32("4294967296", UINT32_MAX, &v));
	CHECK(!parse_u64("18446744073709551615", UINT64_MAX, &w) && w == UINT64_MAX);
	CHECK(parse_u64("18446744073709551616", UINT64_MAX, &w));
	CHECK(parse_u64(NULL, UINT64_MAX, &w));
}

static void test_durations(void)
{
	uint32_t ms = 1;

	CHECK(!parse_duration_ms("500ms", &ms) && ms == 500);
	CHECK(!parse_duration_ms("2s", &ms) && ms == 2000);
	CHECK(!parse_duration_ms("2000us", &ms) && ms == 2);
	CHECK(parse_duration_ms("1500us", &ms));	/* not whole ms */
	CHECK(!parse_duration_ms("250", &ms) && ms == 250);
	CHECK(!parse_duration_ms("0", &ms) && ms == 0);
	CHECK(parse_duration_ms("1501us", &ms));	/* not whole ms */
	CHECK(parse_duration_ms("5m", &ms));
	CHECK(parse_duration_ms("ms", &ms));
	CHECK(parse_duration_ms("-5ms", &ms));
	CHECK(parse_duration_ms("4294968s", &ms));	/* overflows u32 ms */
	CHECK(parse_duration_ms("99999999999999999999", &ms));
	CHECK(parse_duration_ms("1.5s", &ms));
}

static void test_sizes(void)
{
	uint64_t b = 1;

	CHECK(!parse_size("64MiB", &b) && b == 64ULL << 20);
	CHECK(!parse_size("64M", &b) && b == 64ULL << 20);
	CHECK(!parse_size("512KiB", &b) && b == 512ULL << 10);
	CHECK(!parse_size("16GiB", &b) && b == 16ULL << 30);
	CHECK(!parse_size("65536", &b) && b == 65536);
	CHECK(!parse_size("100B", &b) && b == 100);
	CHECK(parse_size("64mib", &b));
	CHECK(parse_size("1TiB", &b));
	CHECK(parse_size("MiB", &b));
	CHECK(parse_size("-1", &b));
	CHECK(parse_size("1.5MiB", &b));
	CHECK(parse_size("18446744073709551615K", &b));	/* overflows */
	CHECK(parse_size(NULL, &b));
}

/* The retained log in `status` and `log show`. */
static void test_log_text(FILE *jf)
{
	struct pctl_status st = { .state = PAXOS_STATE_BEHIND, .have_log = 1,
				  .retain_bytes = 65536, .retained_bytes = 65000,
				  .log_full = 1, .strict = 1, .first_index = 3,
				  .commit_index = 70 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	log_text(f, &st);
	fclose(f);
	CHECK(!strcmp(buf, "state: behind\nretain: 65536 bytes, 65000 held (strict, full)\n"
		      "first_index: 3\ncommit_index: 70\n"));
	free(buf);
	st.strict = 0;
	st.log_full = 0;
	f = open_memstream(&buf, &len);
	status_text(f, &st);
	fclose(f);
	CHECK(strstr(buf, "\nfirst_index: 3\nretain: 65536 bytes, 65000 held\nlease:"));
	free(buf);
	CHECK(!strcmp(log_event_name(PAXOS_LOG_EV_FULL), "full"));
	CHECK(!strcmp(log_event_name(PAXOS_LOG_EV_SKIPPED), "skipped"));
	CHECK(!strcmp(log_event_name(0), "invalid"));
	CHECK(!strcmp(log_event_name(PAXOS_LOG_EV_STORAGE), "storage"));
	CHECK(!strcmp(storage_state_name(PAXOS_STORAGE_NONE), "none"));
	CHECK(!strcmp(storage_state_name(PAXOS_STORAGE_CORRUPT), "corrupt"));
	CHECK(!strcmp(storage_state_name(PAXOS_STORAGE_CORRUPT + 1), "invalid"));
	CHECK(!strcmp(counter_name(PAXOS_CTR_LOG_FULL), "log_full"));
	json_init(&j, jf);
	log_json(&j, &st);
	status_json(&j, &st);
}

static void test_ppm_addr_hex(void)
{
	struct pctl_addr a;
	uint8_t key[4];
	uint32_t p;

	CHECK(!parse_ppm("1000ppm", &p) && p == 1000);
	CHECK(!parse_ppm("50", &p) && p == 50);
	CHECK(parse_ppm("10ms", &p));
	CHECK(parse_ppm("1000001", &p));
	CHECK(!parse_addr("10.0.0.1", &a) && a.family == AF_INET &&
	      a.v4.s_addr == htonl(0x0a000001));
	CHECK(!parse_addr("fd00::1", &a) && a.family == AF_INET6 &&
	      a.v6.s6_addr[15] == 1 && a.v6.s6_addr[0] == 0xfd);
	CHECK(parse_addr("10.0.0.256", &a));
	CHECK(parse_addr("host", &a));
	CHECK(parse_addr("", &a));
	CHECK(!parse_hex("00ff10Ab", key, 4) && key[1] == 0xff && key[3] == 0xab);
	CHECK(parse_hex("00ff10A", key, 4));
	CHECK(parse_hex("00ff10Ab00", key, 4));
	CHECK(parse_hex("00ff10Ag", key, 4));
}

static void sample_status(struct pctl_status *st)
{
	memset(st, 0, sizeof(*st));
	st->state = PAXOS_STATE_LEADER;
	st->node_id = 1;
	st->leader_id = 1;
	st->ballot = (3ULL << 32) | 1;
	st->commit_index = 42;
	st->first_index = 1;
	st->lease_valid = 1;
	st->lease_remaining_us = 812000;
	st->incarnation = 99;
	strcpy(st->addr, "10.0.0.1");
	st->port = 7400;
	st->nmembers = 2;
	st->members[0].id = 2;
	strcpy(st->members[0].addr, "10.0.0.2");
	st->members[0].port = 7400;
	st->members[0].state = PAXOS_MEMBER_REACHABLE;
	st->members[0].match_index = 42;
	st->members[0].last_heard_ms = 12;
	st->members[1].id = 3;
	strcpy(st->members[1].addr, "fd00::3");
	st->members[1].port = 7401;
	st->members[1].state = PAXOS_MEMBER_UNREACHABLE;
	st->have_counters = 1;
	st->counters[PAXOS_CTR_DROP_BAD_MAC] = 5;
}

static void test_status_text(void)
{
	struct pctl_status st;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	sample_status(&st);
	status_text(f, &st);
	fclose(f);
	CHECK(!strncmp(buf, "state: leader\nnode: 1\n", 22));
	CHECK(strstr(buf, "\nleader: 1\n"));
	CHECK(strstr(buf, "\nballot: 12884901889\n"));
	CHECK(strstr(buf, "\ncommit_index: 42\n"));
	CHECK(strstr(buf, "\nlease: valid\nlease_remaining_us: 812000\n"));
	CHECK(strstr(buf, "\nkey: unset\n"));
	CHECK(strstr(buf, "\nmember 2 10.0.0.2:7400 reachable match 42 heard 12ms\n"));
	CHECK(strstr(buf, "\nmember 3 [fd00::3]:7401 unreachable match 0 heard 0ms\n"));
	CHECK(strstr(buf, "\ncounters:\n  rx_packets 0\n"));
	CHECK(strstr(buf, "\n  drop_bad_mac 5\n"));
	CHECK(strstr(buf, "\n  tx_errors 0\n"));
	free(buf);
}

static void test_names(void)
{
	unsigned int i;

	CHECK(!strcmp(state_name(PAXOS_STATE_UNCONFIGURED), "unconfigured"));
	CHECK(!strcmp(state_name(PAXOS_STATE_BEHIND), "behind"));
	CHECK(!strcmp(state_name(200), "invalid"));
	CHECK(!strcmp(member_state_name(9), "invalid"));
	CHECK(counter_name(0) == NULL);
	CHECK(counter_name(PAXOS_CTR_MAX + 1) == NULL);
	/* Every counter has a name. */
	for (i = 1; i <= PAXOS_CTR_MAX; i++)
		CHECK(counter_name(i) != NULL);
}

static void test_records(FILE *jf)
{
	struct paxos_record r = { .index = 7, .len = 6, .type = PAXOS_REC_DATA };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	record_text(f, &r, "a\\b\n\x01z");
	r.index = 8;
	r.type = PAXOS_REC_NOOP;
	r.len = 0;
	record_text(f, &r, "");
	fclose(f);
	CHECK(!strcmp(buf, "7 data a\\x5cb\\x0a\\x01z\n8 noop\n"));
	free(buf);

	/* JSON samples, each line checked by a JSON parser afterwards. */
	json_init(&j, jf);
	r.index = 7;
	r.type = PAXOS_REC_DATA;
	r.len = 8;
	record_json(&j, &r, "\"q\"\\\n\t\x7f\x80");
	json_open(&j, NULL, '{');
	json_str(&j, "k\"ey", "v\x01\x1f");
	json_open(&j, "a", '[');
	json_u64(&j, NULL, UINT64_MAX);
	json_bool(&j, NULL, 0);
	json_open(&j, NULL, '{');
	json_close(&j, '}');
	json_close(&j, ']');
	json_close(&j, '}');
	json_end(&j);
}

/* A configuration payload: @n members, @joint: the last one alone new. */
static uint32_t conf_payload(unsigned char *p, unsigned int n, int joint)
{
	unsigned char *q = p;
	unsigned int l, i, cnt;

	*q++ = 1;
	*q++ = joint ? 2 : 1;
	for (l = 0; l < (joint ? 2u : 1u); l++) {
		cnt = joint ? (l ? 1 : n - 1) : n;
		*q++ = (unsigned char)cnt;
		for (i = 0; i < cnt; i++) {
			unsigned int id = joint && l ? n : i + 1;

			memset(q, 0, 24);
			q[0] = (unsigned char)id;
			q[4] = id == 3 && !joint ? 2 : 1;
			q[5] = id == 2 ? 0 : 4;
			if (id != 2) {
				q[6] = 0xe8;	/* 7400 */
				q[7] = 0x1c;
				q[8] = 10;
				q[11] = (unsigned char)id;
			}
			q += 24;
		}
	}
	return (uint32_t)(q - p);
}

static void test_config(FILE *jf)
{
	struct paxos_record r = { .index = 12, .type = PAXOS_REC_CONFIG };
	unsigned char p[2 + 2 * (1 + 24 * PAXOS_MAX_MEMBERS)];
	struct pctl_status st;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	r.len = conf_payload(p, 3, 0);
	record_text(f, &r, p);
	r.len = conf_payload(p, 4, 1);
	record_text(f, &r, p);
	r.len--;
	record_text(f, &r, p);
	memset(&st, 0, sizeof(st));
	st.config_index = 12;
	st.nvoters = 2;
	st.voters[0] = 1;
	st.voters[1] = 2;
	st.config_pending = 1;
	st.node_id = 2;
	config_text(f, &st);
	/* Where the pending change goes: node 3 a voter, node 4 learning. */
	st.have_next = 1;
	st.next_nvoters = 3;
	memcpy(st.next_voters, (uint32_t[]){ 1, 2, 3 }, 3 * sizeof(uint32_t));
	st.next_nlearners = 1;
	st.next_learners[0] = 4;
	config_text(f, &st);
	/* A node the configuration in effect leaves out says so. */
	st.have_next = 0;
	st.config_pending = 0;
	st.node_id = 3;
	config_text(f, &st);
	fclose(f);
	CHECK(!strcmp(buf,
		      "12 config 1@10.0.0.1:7400 2 3(learner)@10.0.0.3:7400\n"
		      "12 config joint old 1@10.0.0.1:7400 2 3@10.0.0.3:7400 new 4@10.0.0.4:7400\n"
		      "12 config malformed 99\n"
		      "config: index 12 voters 1 2 learners - pending\n"
		      "config: index 12 voters 1 2 learners - pending next voters 1 2 3 learners 4\n"
		      "config: index 12 voters 1 2 learners - removed\n"));
	free(buf);
	json_init(&j, jf);
	r.len = conf_payload(p, 4, 1);
	record_json(&j, &r, p);
}

/* ------------------------------------------------------------ conf */

static int conf_mem(const char *text, size_t len, struct pctl_conf *c,
		    struct conf_error *e)
{
	FILE *f = fmemopen((void *)text, len, "r");
	int ret;

	if (!f)
		return -2;
	ret = conf_parse(f, c, e);
	fclose(f);
	return ret;
}

static int conf_str(const char *text, struct pctl_conf *c, struct conf_error *e)
{
	return conf_mem(text, strlen(text), c, e);
}

/* conf_print() into a string the caller frees. */
static char *conf_text(const struct pctl_conf *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	conf_print(f, c);
	fclose(f);
	return buf;
}

static const char full_conf[] =
	"# node 1 of the test cluster\n"
	"\n"
	"id 1\n"
	"cluster\t42   # a comment after a value\n"
	"addr 10.0.0.1\r\n"
	"  port 7401\n"
	"heartbeat 20ms\n"
	"election 2s\n"
	"lease 500000us\n"
	"drift 200\n"
	"preferred 3\n"
	"key 00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF\n"
	"member 3 port 7403 addr 10.0.0.3\n"
	"member 2 addr 10.0.0.2\n"
	"#\n";

static const char full_printed[] =
	"id 1\n"
	"cluster 42\n"
	"addr 10.0.0.1\n"
	"port 7401\n"
	"heartbeat 20ms\n"
	"election 2000ms\n"
	"lease 500ms\n"
	"drift 200ppm\n"
	"preferred 3\n"
	"key 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"
	"member 2 addr 10.0.0.2 port 7400\n"
	"member 3 addr 10.0.0.3 port 7403\n";

static void test_conf_round_trip(void)
{
	struct pctl_conf c, d;
	struct conf_error e;
	char *t1, *t2;

	CHECK(!conf_str(full_conf, &c, &e));
	CHECK(c.id == 1 && c.cluster == 42 && c.port == 7401);
	CHECK(c.addr.family == AF_INET && c.addr.v4.s_addr == htonl(0x0a000001));
	CHECK(c.heartbeat_ms == 20 && c.election_ms == 2000 && c.lease_ms == 500);
	CHECK(c.drift_ppm == 200 && c.preferred == 3);
	CHECK(c.key == CONF_KEY_HEX && c.key_bytes[0] == 0 && c.key_bytes[31] == 0xff);
	CHECK(c.nmembers == 2 && c.members[0].id == 3 && c.members[0].port == 7403);
	CHECK(c.members[1].port == PAXOS_DEFAULT_PORT && c.members[1].line == 14);
	CHECK(c.line[CF_ID] == 3 && c.line[CF_KEY] == 12);
	t1 = conf_text(&c);
	CHECK(!strcmp(t1, full_printed));
	if (strcmp(t1, full_printed))
		printf("# printed:\n%s", t1);
	/* What showconf prints, setconf reads back to the same settings. */
	CHECK(!conf_str(t1, &d, &e));
	CHECK(conf_diff(&d, &c) == 0 && conf_diff(&c, &d) == 0);
	t2 = conf_text(&d);
	CHECK(!strcmp(t1, t2));
	free(t1);
	free(t2);

	/* IPv6, key-file, key none, the fewest settings. */
	CHECK(!conf_str("id 65535\naddr fd00::1\nkey-file /etc/paxos/key\n"
			"member 1 addr fd00::2 port 65535\n", &c, &e));
	t1 = conf_text(&c);
	CHECK(!strcmp(t1, "id 65535\naddr fd00::1\nkey-file /etc/paxos/key\n"
		      "member 1 addr fd00::2 port 65535\n"));
	free(t1);
	CHECK(!conf_str("id 7\nkey none\n", &c, &e) && c.key == CONF_KEY_NONE &&
	      c.nmembers == 0 && c.have == (1u << CF_ID | 1u << CF_KEY | 1u << CF_MEMBERS));
	t1 = conf_text(&c);
	CHECK(!strcmp(t1, "id 7\nkey none\n"));
	free(t1);
	/* Stable storage: a device path, or none; showconf prints it back. */
	CHECK(!conf_str("id 7\nstorage /dev/vdb\n", &c, &e) &&
	      !strcmp(c.storage, "/dev/vdb") && c.line[CF_STORAGE] == 2);
	t1 = conf_text(&c);
	CHECK(!strcmp(t1, "id 7\nstorage /dev/vdb\n"));
	free(t1);
	CHECK(!conf_str("id 7\nstorage /dev/vdc\n", &d, &e));
	CHECK(conf_diff(&d, &c) == 1u << CF_STORAGE);
	CHECK(!conf_str("id 7\nstorage none\n", &c, &e) && !c.storage[0] &&
	      (c.have & (1u << CF_STORAGE)));
	t1 = conf_text(&c);
	CHECK(!strcmp(t1, "id 7\nstorage none\n"));
	free(t1);
	CHECK(conf_str("id 7\nstorage vdb\n", &c, &e) && e.line == 2 &&
	      strstr(e.msg, "absolute path"));
	CHECK(conf_str("id 7\nstorage /dev/vdb\nstorage none\n", &c, &e) &&
	      e.line == 3 && strstr(e.msg, "given twice"));
	CHECK(!strcmp(conf_field_name(CF_STORAGE), "storage"));
	/* No key line: the key is kept; showconf of a node with a key says so
	 * in a comment and never prints one. */
	CHECK(!conf_str("id 7\n", &c, &e) && c.key == CONF_KEY_KEEP);
	c.key_hidden = 1;
	t1 = conf_text(&c);
	CHECK(!strncmp(t1, "id 7\n# key: set;", 16) && !strstr(t1, "\nkey"));
	CHECK(!conf_str(t1, &d, &e) && d.key == CONF_KEY_KEEP);
	free(t1);
}

/* Every error class: its line and a word of its message. */
static void test_conf_errors(void)
{
	static const struct {
		const char *text;
		unsigned int line;
		const char *msg;
	} bad[] = {
		{ "id 1\nnode 2\n", 2, "unknown setting \"node\"" },
		{ "id\n", 1, "id needs a value" },
		{ "id 1 2\n", 1, "id takes one value, not 2" },
		{ "id 1\n\nid 1\n", 3, "id given twice (first on line 1)" },
		{ "id 0\n", 1, "invalid node id \"0\": 1 to 65535" },
		{ "id 65536\n", 1, "invalid node id" },
		{ "id -1\n", 1, "invalid node id" },
		{ "id 1x\n", 1, "invalid node id" },
		{ "id 1\ncluster 4294967296\n", 2, "invalid cluster id" },
		{ "id 1\naddr 10.0.0.256\n", 2, "invalid address \"10.0.0.256\"" },
		{ "id 1\naddr host.example\n", 2, "invalid address" },
		{ "id 1\nport 0\n", 2, "invalid port \"0\": 1 to 65535" },
		{ "id 1\nport 65536\n", 2, "invalid port" },
		{ "id 1\nheartbeat 5m\n", 2, "invalid heartbeat \"5m\"" },
		{ "id 1\nheartbeat 1500us\n", 2, "invalid heartbeat" },
		{ "id 1\nheartbeat 0\n", 2, "heartbeat 0ms out of range: 1ms to 10000ms" },
		{ "id 1\nheartbeat 10001ms\n", 2, "out of range" },
		{ "id 1\nelection 1ms\n", 2, "election 1ms out of range: 2ms to 600000ms" },
		{ "id 1\nelection 601s\n", 2, "out of range" },
		{ "id 1\nlease 600001\n", 2, "lease 600001ms out of range" },
		{ "id 1\ndrift 10ms\n", 2, "invalid drift" },
		{ "id 1\ndrift 100001ppm\n", 2, "drift 100001ppm out of range" },
		{ "id 1\npreferred 65536\n", 2, "invalid preferred leader" },
		{ "id 1\nkey 0011\n", 2, "exactly 64 hex digits" },
		{ "id 1\nkey Z0112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n",
		  2, "exactly 64 hex digits" },
		{ "id 1\nkey none\nkey-file /k\n", 3, "a second key (key or key-file; the first on line 2)" },
		{ "id 1\nkey-file /k\nkey-file /k\n", 3, "a second key" },
		{ "id 1\nmember\n", 2, "member needs an id" },
		{ "id 1\nmember x addr 10.0.0.2\n", 2, "invalid member id \"x\"" },
		{ "id 1\nmember 2\n", 2, "member 2: addr missing" },
		{ "id 1\nmember 2 addr\n", 2, "member 2: \"addr\" needs a value" },
		{ "id 1\nmember 2 addr 10.0.0.2 host x\n", 2, "member 2: unknown setting \"host\"" },
		{ "id 1\nmember 2 addr 10.0.0.2 addr 10.0.0.3\n", 2, "member 2: addr given twice" },
		{ "id 1\nmember 2 addr 10.0.0.2 port 1 port 2\n", 2, "member 2: port given twice" },
		{ "id 1\nmember 2 addr 10.0.0.2 port 0\n", 2, "invalid port" },
		{ "id 1\nmember 2 addr 10.0.0.2\nmember 2 addr 10.0.0.3\n", 3,
		  "member 2 listed twice (first on line 2)" },
		{ "member 1 addr 10.0.0.1\nid 1\n", 1, "member 1 is this node's own id (line 2)" },
		{ "id 1\naddr 10.0.0.1\nmember 2 addr fd00::2\n", 3,
		  "member 2: an IPv6 address, the node's is IPv4 (line 2)" },
		{ "id 1\nheartbeat 50ms\nlease 100ms\n", 3,
		  "lease 100ms must be longer than 2 heartbeats of 50ms (line 2)" },
		{ "# nothing\n\n", 2, "end of file without an \"id\" line" },
		{ "", 1, "end of file without an \"id\" line" },
		{ "id 1\na b c d e f g h i\n", 2, "too many words" },
		{ "id 1\nport\x01 1\n", 2, "control character 0x01 in column 5" },
		{ "id 1\nport 1\x7f\n", 2, "control character 0x7f" },
	};
	struct pctl_conf c;
	struct conf_error e;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ok = conf_str(bad[i].text, &c, &e) == -1 &&
			e.line == bad[i].line && strstr(e.msg, bad[i].msg);

		CHECK(ok);
		if (!ok)
			printf("#   case %u: line %u: %s\n", i, e.line, e.msg);
	}
	/* A NUL byte: not a text file. */
	CHECK(conf_mem("id 1\nport 1\0\n", 13, &c, &e) == -1 && e.line == 2 &&
	      strstr(e.msg, "control character 0x00"));
	/* A bad key is never echoed. */
	CHECK(conf_str("id 1\nkey 00112233445566778899aabbccddeeff0011223344556677\n",
		       &c, &e) == -1 && !strstr(e.msg, "0011"));
	/* Lease 0 (no leases) needs no heartbeats; exactly 2 heartbeats is
	 * too short, one ms more is enough. */
	CHECK(!conf_str("id 1\nheartbeat 50ms\nlease 0\n", &c, &e));
	CHECK(conf_str("id 1\nheartbeat 50ms\nlease 100\n", &c, &e) == -1);
	CHECK(!conf_str("id 1\nheartbeat 50ms\nlease 101\n", &c, &e));
}

static void test_conf_limits(void)
{
	char buf[4096], *p;
	struct pctl_conf c;
	struct conf_error e;
	int i;

	CHECK(!conf_str("id 65535\ncluster 4294967295\nport 65535\nheartbeat 10000ms\n"
			"election 600s\nlease 600000ms\ndrift 100000ppm\npreferred 65535\n",
			&c, &e));
	CHECK(!conf_str("id 1\nheartbeat 1ms\nelection 2ms\nlease 0\ndrift 0\n"
			"preferred 0\ncluster 0\nport 1\n", &c, &e));
	/* Eight members fit, a ninth does not. */
	p = buf + sprintf(buf, "id 1\n");
	for (i = 2; i <= 9; i++)
		p += sprintf(p, "member %d addr 10.0.0.%d\n", i, i);
	CHECK(!conf_str(buf, &c, &e) && c.nmembers == 8);
	sprintf(p, "member 10 addr 10.0.0.10\n");
	CHECK(conf_str(buf, &c, &e) == -1 && e.line == 10 &&
	      strstr(e.msg, "more than 8 members"));
	/* A 1024-byte line is read, a 1025-byte one is not. */
	memset(buf, ' ', sizeof(buf));
	memcpy(buf, "id 1", 4);
	buf[1024] = '\n';
	buf[1025] = 0;
	CHECK(!conf_str(buf, &c, &e) && c.id == 1);
	buf[1024] = ' ';
	buf[1025] = '\n';
	buf[1026] = 0;
	CHECK(conf_str(buf, &c, &e) == -1 && e.line == 1 &&
	      strstr(e.msg, "line longer than 1024 bytes"));
	/* A key-file path of 255 bytes, not 256. */
	p = buf + sprintf(buf, "id 1\nkey-file /");
	memset(p, 'k', 254);
	strcpy(p + 254, "\n");
	CHECK(!conf_str(buf, &c, &e) && strlen(c.key_file) == 255);
	strcpy(p + 254, "k\n");
	CHECK(conf_str(buf, &c, &e) == -1 && e.line == 2 &&
	      strstr(e.msg, "longer than 255 bytes"));
	/* The last line needs no newline. */
	CHECK(!conf_str("id 1\nport 9", &c, &e) && c.port == 9);
}

static void test_conf_key_and_diff(void)
{
	static const char hex[] =
		"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	uint8_t key[PAXOS_KEY_LEN];
	struct pctl_conf a, b;
	struct conf_error e;
	const char *why = NULL;
	char buf[160];

	snprintf(buf, sizeof(buf), "%s\n", hex);
	CHECK(!conf_key_text(buf, strlen(buf), key, &why) && key[1] == 0x11);
	snprintf(buf, sizeof(buf), " \t%s\r\n\n", hex);
	CHECK(!conf_key_text(buf, strlen(buf), key, &why));
	CHECK(conf_key_text(hex, 62, key, &why) && strstr(why, "exactly 64"));
	snprintf(buf, sizeof(buf), "%s %s", hex, hex);
	CHECK(conf_key_text(buf, strlen(buf), key, &why));
	snprintf(buf, sizeof(buf), "%.63sg", hex);
	CHECK(conf_key_text(buf, strlen(buf), key, &why) && strstr(why, "not a hex digit"));
	CHECK(conf_key_text("", 0, key, &why));

	CHECK(!conf_str(full_conf, &a, &e));
	CHECK(!conf_str(full_conf, &b, &e));
	CHECK(conf_diff(&a, &b) == 0);
	/* Members in another order are the same members. */
	b.members[0] = a.members[1];
	b.members[1] = a.members[0];
	CHECK(conf_diff(&a, &b) == 0);
	b.members[0].port = 1;
	CHECK(conf_diff(&a, &b) == 1u << CF_MEMBERS);
	b.members[0] = a.members[1];
	b.nmembers = 1;
	CHECK(conf_diff(&a, &b) == 1u << CF_MEMBERS);
	b.nmembers = 2;
	b.heartbeat_ms++;
	b.preferred = 0;
	b.key = CONF_KEY_NONE;		/* the key is not compared */
	CHECK(conf_diff(&a, &b) == (1u << CF_HEARTBEAT | 1u << CF_PREFERRED));
	/* A setting the file leaves out is not compared either. */
	a.have &= ~(1u << CF_HEARTBEAT);
	CHECK(conf_diff(&a, &b) == 1u << CF_PREFERRED);
	b.addr.family = AF_INET6;
	CHECK(conf_diff(&a, &b) == (1u << CF_PREFERRED | 1u << CF_ADDR));
	CHECK(!strcmp(conf_field_name(CF_MEMBERS), "members"));
	CHECK(!strcmp(conf_field_name(CF_HEARTBEAT), "heartbeat"));
}

int main(int argc, char **argv)
{
	FILE *jf = fopen(argc > 1 ? argv[1] : "/dev/null", "w");
	struct pctl_status st;
	struct json j;

	if (!jf)
		return 2;
	test_numbers();
	test_durations();
	test_ppm_addr_hex();
	test_sizes();
	test_log_text(jf);
	test_status_text();
	test_names();
	test_records(jf);
	test_config(jf);
	test_conf_round_trip();
	test_conf_errors();
	test_conf_limits();
	test_conf_key_and_diff();
	sample_status(&st);
	json_init(&j, jf);
	status_json(&j, &st);
	st.have_counters = 0;
	st.nmembers = 0;
	st.addr[0] = 0;
	status_json(&j, &st);
	fclose(jf);
	printf("pure: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
