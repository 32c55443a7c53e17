// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "format.h"

static const char *const states[] = {
	[PAXOS_STATE_UNCONFIGURED] = "unconfigured",
	[PAXOS_STATE_DOWN] = "down",
	[PAXOS_STATE_RECOVERING] = "recovering",
	[PAXOS_STATE_FOLLOWER] = "follower",
	[PAXOS_STATE_CANDIDATE] = "candidate",
	[PAXOS_STATE_LEADER] = "leader",
	[PAXOS_STATE_BEHIND] = "behind",
};

static const char *const member_states[] = {
	[PAXOS_MEMBER_UNKNOWN] = "unknown",
	[PAXOS_MEMBER_REACHABLE] = "reachable",
	[PAXOS_MEMBER_UNREACHABLE] = "unreachable",
};

static const char *const counters[PAXOS_CTR_MAX + 1] = {
	[PAXOS_CTR_RX_PACKETS] = "rx_packets",
	[PAXOS_CTR_TX_PACKETS] = "tx_packets",
	[PAXOS_CTR_RX_PREPARE] = "rx_prepare",
	[PAXOS_CTR_RX_PROMISE] = "rx_promise",
	[PAXOS_CTR_RX_ACCEPT] = "rx_accept",
	[PAXOS_CTR_RX_ACCEPTED] = "rx_accepted",
	[PAXOS_CTR_RX_HEARTBEAT] = "rx_heartbeat",
	[PAXOS_CTR_RX_OTHER] = "rx_other",
	[PAXOS_CTR_TX_PREPARE] = "tx_prepare",
	[PAXOS_CTR_TX_ACCEPT] = "tx_accept",
	[PAXOS_CTR_DROP_MALFORMED] = "drop_malformed",
	[PAXOS_CTR_DROP_BAD_MAC] = "drop_bad_mac",
	[PAXOS_CTR_DROP_UNKNOWN_SENDER] = "drop_unknown_sender",
	[PAXOS_CTR_DROP_WRONG_CLUSTER] = "drop_wrong_cluster",
	[PAXOS_CTR_DROP_STALE_BALLOT] = "drop_stale_ballot",
	[PAXOS_CTR_DROP_NO_MEMORY] = "drop_no_memory",
	[PAXOS_CTR_COMMITS] = "commits",
	[PAXOS_CTR_ELECTIONS] = "elections",
	[PAXOS_CTR_LEASE_CHANGES] = "lease_changes",
	[PAXOS_CTR_RETRANSMITS] = "retransmits",
	[PAXOS_CTR_PROPOSALS] = "proposals",
	[PAXOS_CTR_FORWARDED] = "forwarded",
	[PAXOS_CTR_TX_ERRORS] = "tx_errors",
	[PAXOS_CTR_SPREADS] = "spreads",
};

const char *state_name(unsigned int state)
{
	if (state < sizeof(states) / sizeof(states[0]) && states[state])
		return states[state];
	return "invalid";
}

const char *member_state_name(unsigned int state)
{
	if (state < sizeof(member_states) / sizeof(member_states[0]))
		return member_states[state];
	return "invalid";
}

const char *counter_name(unsigned int ctr)
{
	return ctr <= PAXOS_CTR_MAX ? counters[ctr] : NULL;
}

void status_text(FILE *f, const struct pctl_status *st)
{
	unsigned int i;

	fprintf(f, "state: %s\n", state_name(st->state));
	fprintf(f, "node: %u\n", st->node_id);
	fprintf(f, "cluster: %u\n", st->cluster_id);
	fprintf(f, "leader: %u\n", st->leader_id);
	fprintf(f, "ballot: %llu\n", (unsigned long long)st->ballot);
	fprintf(f, "commit_index: %llu\n", (unsigned long long)st->commit_index);
	fprintf(f, "first_index: %llu\n", (unsigned long long)st->first_index);
	fprintf(f, "lease: %s\n", st->lease_valid ? "valid" : "invalid");
	fprintf(f, "lease_remaining_us: %llu\n",
		(unsigned long long)st->lease_remaining_us);
	fprintf(f, "incarnation: %llu\n", (unsigned long long)st->incarnation);
	fprintf(f, "key: %s\n", st->key_set ? "set" : "unset");
	if (st->addr[0])
		fprintf(f, "listen: %s:%u\n", st->addr, st->port);
	for (i = 0; i < st->nmembers; i++) {
		const struct pctl_member *m = &st->members[i];

		fprintf(f, "member %u %s:%u %s match %llu heard %llums\n",
			m->id, m->addr, m->port, member_state_name(m->state),
			(unsigned long long)m->match_index,
			(unsigned long long)m->last_heard_ms);
	}
	if (st->have_counters) {
		fprintf(f, "counters:\n");
		for (i = 1; i <= PAXOS_CTR_MAX; i++)
			fprintf(f, "  %s %llu\n", counters[i],
				(unsigned long long)st->counters[i]);
	}
}

void status_json(struct json *j, const struct pctl_status *st)
{
	unsigned int i;

	json_open(j, NULL, '{');
	json_str(j, "state", state_name(st->state));
	json_u64(j, "node_id", st->node_id);
	json_u64(j, "cluster_id", st->cluster_id);
	json_u64(j, "leader", st->leader_id);
	json_u64(j, "ballot", st->ballot);
	json_u64(j, "commit_index", st->commit_index);
	json_u64(j, "first_index", st->first_index);
	json_open(j, "lease", '{');
	json_bool(j, "valid", st->lease_valid);
	json_u64(j, "remaining_us", st->lease_remaining_us);
	json_close(j, '}');
	json_u64(j, "incarnation", st->incarnation);
	json_bool(j, "key_set", st->key_set);
	if (st->addr[0]) {
		json_str(j, "addr", st->addr);
		json_u64(j, "port", st->port);
	}
	json_open(j, "members", '[');
	for (i = 0; i < st->nmembers; i++) {
		const struct pctl_member *m = &st->members[i];

		json_open(j, NULL, '{');
		json_u64(j, "id", m->id);
		json_str(j, "addr", m->addr);
		json_u64(j, "port", m->port);
		json_str(j, "state", member_state_name(m->state));
		json_u64(j, "match_index", m->match_index);
		json_u64(j, "last_heard_ms", m->last_heard_ms);
		json_close(j, '}');
	}
	json_close(j, ']');
	if (st->have_counters) {
		json_open(j, "counters", '{');
		for (i = 1; i <= PAXOS_CTR_MAX; i++)
			json_u64(j, counters[i], st->counters[i]);
		json_close(j, '}');
	}
	json_close(j, '}');
	json_end(j);
}

static const char *record_type(unsigned int type)
{
	switch (type) {
	case PAXOS_REC_DATA: return "data";
	case PAXOS_REC_NOOP: return "noop";
	case PAXOS_REC_CONFIG: return "config";
	}
	return "unknown";
}

void record_text(FILE *f, const struct paxos_record *r, const void *data)
{
	const unsigned char *p = data;
	uint32_t i;

	fprintf(f, "%llu %s", (unsigned long long)r->index, record_type(r->type));
	if (r->type == PAXOS_REC_DATA) {
		fputc(' ', f);
		for (i = 0; i < r->len; i++) {
			if (p[i] >= 0x20 && p[i] <= 0x7e && p[i] != '\\')
				fputc(p[i], f);
			else
				fprintf(f, "\\x%02x", p[i]);
		}
	} else if (r->type != PAXOS_REC_NOOP) {
		fprintf(f, " %u", r->len);
	}
	fputc('\n', f);
}

void record_json(struct json *j, const struct paxos_record *r, const void *data)
{
	json_open(j, NULL, '{');
	json_u64(j, "index", r->index);
	json_str(j, "type", record_type(r->type));
	json_u64(j, "len", r->len);
	if (r->type == PAXOS_REC_DATA)
		json_strn(j, "value", data, r->len);
	json_close(j, '}');
	json_end(j);
}
