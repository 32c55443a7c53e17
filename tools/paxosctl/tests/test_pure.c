// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of paxosctl's pure parts: argument parsing (accepts and
 * rejects), the JSON writer, and the text forms of status and records.
 * Prints `ok`/`not ok` lines; JSON samples go to the file named by argv[1]
 * for validation by a real JSON parser.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	CHECK(strstr(buf, "\nmember 3 fd00::3:7401 unreachable match 0 heard 0ms\n"));
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
	test_status_text();
	test_names();
	test_records(jf);
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
