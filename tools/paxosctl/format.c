// SPDX-License-Identifier: GPL-2.0
#include <stdbool.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "format.h"

/* An IPv6 address with a port is written [addr]:port, as in URLs. */
#define V6_OPEN(a)	(strchr((a), ':') ? "[" : "")
#define V6_CLOSE(a)	(strchr((a), ':') ? "]" : "")

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
	[PAXOS_CTR_SNAP_TAKEN] = "snap_taken",
	[PAXOS_CTR_SNAP_SENT] = "snap_sent",
	[PAXOS_CTR_SNAP_INSTALLED] = "snap_installed",
	[PAXOS_CTR_SNAP_TX_BYTES] = "snap_tx_bytes",
	[PAXOS_CTR_SNAP_RX_BYTES] = "snap_rx_bytes",
	[PAXOS_CTR_SNAP_RETRANSMITS] = "snap_retransmits",
	[PAXOS_CTR_LOG_FULL] = "log_full",
	[PAXOS_CTR_EVICTED] = "evicted",
	[PAXOS_CTR_BEHIND] = "behind",
	[PAXOS_CTR_SKIPPED] = "skipped",
	[PAXOS_CTR_EVENTS_DROPPED] = "events_dropped",
	[PAXOS_CTR_PREVOTES] = "prevotes",
	[PAXOS_CTR_PREVOTES_GRANTED] = "prevotes_granted",
	[PAXOS_CTR_PREVOTES_REFUSED] = "prevotes_refused",
	[PAXOS_CTR_PREPARE_REFUSED] = "prepare_refused",
	[PAXOS_CTR_CHECKQ_STEPDOWNS] = "checkq_stepdowns",
	[PAXOS_CTR_TRANSFERS] = "transfers",
	[PAXOS_CTR_STORE_WRITES] = "store_writes",
	[PAXOS_CTR_STORE_BYTES] = "store_bytes",
	[PAXOS_CTR_STORE_FLUSHES] = "store_flushes",
	[PAXOS_CTR_STORE_ERRORS] = "store_errors",
	[PAXOS_CTR_STORE_CORRUPT] = "store_corrupt",
	[PAXOS_CTR_STORE_CHECKPOINTS] = "store_checkpoints",
};

static const char *const storage_states[] = {
	[PAXOS_STORAGE_NONE] = "none",
	[PAXOS_STORAGE_CLOSED] = "closed",
	[PAXOS_STORAGE_OK] = "ok",
	[PAXOS_STORAGE_FAILED] = "failed",
	[PAXOS_STORAGE_CORRUPT] = "corrupt",
};

const char *storage_state_name(unsigned int state)
{
	if (state < sizeof(storage_states) / sizeof(storage_states[0]))
		return storage_states[state];
	return "invalid";
}

void storage_text(FILE *f, const struct pctl_status *st)
{
	if (st->storage[0])
		fprintf(f, "storage: %s (%s)\n", st->storage,
			storage_state_name(st->storage_state));
	else
		fprintf(f, "storage: none\n");
}

void storage_json_fields(struct json *j, const struct pctl_status *st)
{
	json_open(j, "storage", '{');
	if (st->storage[0])
		json_str(j, "path", st->storage);
	json_str(j, "state", storage_state_name(st->storage_state));
	json_close(j, '}');
}

static const char *const log_events[] = {
	[PAXOS_LOG_EV_FULL] = "full",
	[PAXOS_LOG_EV_ROOM] = "room",
	[PAXOS_LOG_EV_BEHIND] = "behind",
	[PAXOS_LOG_EV_SKIPPED] = "skipped",
	[PAXOS_LOG_EV_STORAGE] = "storage",
};

const char *log_event_name(unsigned int ev)
{
	if (ev < sizeof(log_events) / sizeof(log_events[0]) && log_events[ev])
		return log_events[ev];
	return "invalid";
}

/* "retain: 1048576 bytes, 2048 held (strict, full)" */
static void log_line(FILE *f, const struct pctl_status *st)
{
	fprintf(f, "retain: %llu bytes, %llu held%s%s%s\n",
		(unsigned long long)st->retain_bytes,
		(unsigned long long)st->retained_bytes,
		st->strict || st->log_full ? " (" : "",
		st->strict ? (st->log_full ? "strict, full" : "strict") :
		st->log_full ? "full" : "",
		st->strict || st->log_full ? ")" : "");
}

void log_text(FILE *f, const struct pctl_status *st)
{
	fprintf(f, "state: %s\n", state_name(st->state));
	log_line(f, st);
	fprintf(f, "first_index: %llu\n", (unsigned long long)st->first_index);
	fprintf(f, "commit_index: %llu\n", (unsigned long long)st->commit_index);
}

static void log_fields(struct json *j, const struct pctl_status *st)
{
	json_u64(j, "retain_bytes", st->retain_bytes);
	json_u64(j, "retained_bytes", st->retained_bytes);
	json_bool(j, "full", st->log_full);
	json_bool(j, "strict", st->strict);
}

void log_json(struct json *j, const struct pctl_status *st)
{
	json_open(j, NULL, '{');
	json_str(j, "state", state_name(st->state));
	log_fields(j, st);
	json_u64(j, "first_index", st->first_index);
	json_u64(j, "commit_index", st->commit_index);
	json_close(j, '}');
	json_end(j);
}

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

static void ids_text(FILE *f, const char *what, const uint32_t *ids,
		     unsigned int n)
{
	unsigned int i;

	fprintf(f, " %s", what);
	if (!n)
		fputs(" -", f);
	for (i = 0; i < n; i++)
		fprintf(f, " %u", ids[i]);
}

/*
 * Whether the configuration in effect leaves this node out: a change
 * removed it (a node that skipped entries may not know: unknown).
 */
static bool config_removed(const struct pctl_status *st)
{
	return !st->config_unknown && st->nvoters &&
	       !config_names(st, st->node_id);
}

int config_names(const struct pctl_status *st, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < st->nvoters; i++)
		if (st->voters[i] == id)
			return 1;
	for (i = 0; i < st->nlearners; i++)
		if (st->learners[i] == id)
			return 1;
	return 0;
}

void config_text(FILE *f, const struct pctl_status *st)
{
	fprintf(f, "config: index %llu", (unsigned long long)st->config_index);
	ids_text(f, "voters", st->voters, st->nvoters);
	ids_text(f, "learners", st->learners, st->nlearners);
	if (st->config_joint)
		fputs(" joint", f);
	if (st->config_pending)
		fputs(" pending", f);
	if (st->config_unknown)
		fputs(" unknown", f);
	if (config_removed(st))
		fputs(" removed", f);
	if (st->have_next) {
		fputs(" next", f);
		ids_text(f, "voters", st->next_voters, st->next_nvoters);
		ids_text(f, "learners", st->next_learners, st->next_nlearners);
	}
	fputc('\n', f);
}

static void ids_json(struct json *j, const char *key, const uint32_t *ids,
		     unsigned int n)
{
	unsigned int i;

	json_open(j, key, '[');
	for (i = 0; i < n; i++)
		json_u64(j, NULL, ids[i]);
	json_close(j, ']');
}

static void config_json(struct json *j, const struct pctl_status *st)
{
	json_open(j, "config", '{');
	json_u64(j, "index", st->config_index);
	ids_json(j, "voters", st->voters, st->nvoters);
	ids_json(j, "learners", st->learners, st->nlearners);
	json_bool(j, "joint", st->config_joint);
	json_bool(j, "pending", st->config_pending);
	json_bool(j, "unknown", st->config_unknown);
	json_bool(j, "removed", config_removed(st));
	if (st->have_next) {
		json_open(j, "next", '{');
		ids_json(j, "voters", st->next_voters, st->next_nvoters);
		ids_json(j, "learners", st->next_learners, st->next_nlearners);
		json_close(j, '}');
	}
	json_close(j, '}');
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
	if (st->have_log)
		log_line(f, st);
	fprintf(f, "lease: %s\n", st->lease_valid ? "valid" : "invalid");
	fprintf(f, "lease_remaining_us: %llu\n",
		(unsigned long long)st->lease_remaining_us);
	fprintf(f, "incarnation: %llu\n", (unsigned long long)st->incarnation);
	fprintf(f, "key: %s\n", st->key_set ? "set" : "unset");
	storage_text(f, st);
	if (st->have_config)
		config_text(f, st);
	if (st->addr[0])
		fprintf(f, "listen: %s%s%s:%u\n", V6_OPEN(st->addr), st->addr,
			V6_CLOSE(st->addr), st->port);
	for (i = 0; i < st->nmembers; i++) {
		const struct pctl_member *m = &st->members[i];

		fprintf(f, "member %u %s%s%s:%u %s match %llu heard %llums\n",
			m->id, V6_OPEN(m->addr), m->addr, V6_CLOSE(m->addr),
			m->port, member_state_name(m->state),
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
	if (st->have_log) {
		json_open(j, "log", '{');
		log_fields(j, st);
		json_close(j, '}');
	}
	json_open(j, "lease", '{');
	json_bool(j, "valid", st->lease_valid);
	json_u64(j, "remaining_us", st->lease_remaining_us);
	json_close(j, '}');
	json_u64(j, "incarnation", st->incarnation);
	json_bool(j, "key_set", st->key_set);
	storage_json_fields(j, st);
	if (st->have_config)
		config_json(j, st);
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

/*
 * A PAXOS_REC_CONFIG payload (uapi/linux/paxos.h), checked as it goes:
 * @each is called per member with its list, or the function returns -1
 * for a malformed payload before calling it at all.
 */
struct conf_member {
	unsigned int list, nlists;
	uint32_t id;
	uint8_t flags, family;
	uint16_t port;
	char addr[PCTL_ADDRSTRLEN];
};

static int conf_walk(const unsigned char *p, uint32_t len,
		     void (*each)(void *arg, const struct conf_member *m),
		     void *arg)
{
	const unsigned char *q;
	unsigned int l, i, cnt, pass;
	struct conf_member m;

	if (len < 2 || p[0] != 1 || !p[1] || p[1] > 2)
		return -1;
	for (pass = 0; pass < (each ? 2u : 1u); pass++) {
		q = p + 2;
		for (l = 0; l < p[1]; l++) {
			if ((uint32_t)(q - p) >= len ||
			    len - (uint32_t)(q - p) - 1 < (uint32_t)*q * 24u)
				return -1;
			cnt = *q++;
			for (i = 0; i < cnt; i++, q += 24) {
				memset(&m, 0, sizeof(m));
				m.list = l;
				m.nlists = p[1];
				m.id = q[0] | q[1] << 8 | q[2] << 16 |
				       (uint32_t)q[3] << 24;
				m.flags = q[4];
				m.family = q[5];
				m.port = (uint16_t)(q[6] | q[7] << 8);
				if (m.family == 4)
					inet_ntop(AF_INET, q + 8, m.addr, sizeof(m.addr));
				else if (m.family == 6)
					inet_ntop(AF_INET6, q + 8, m.addr, sizeof(m.addr));
				if (pass)
					each(arg, &m);
			}
		}
		if ((uint32_t)(q - p) != len)
			return -1;
	}
	return 0;
}

static void member_text(void *arg, const struct conf_member *m)
{
	FILE *f = arg;

	fprintf(f, " %u%s", m->id, m->flags == 1 ? "" : "(learner)");
	if (m->addr[0])
		fprintf(f, "@%s%s%s:%u", V6_OPEN(m->addr), m->addr,
			V6_CLOSE(m->addr), m->port);
}

static void member_json(void *arg, const struct conf_member *m)
{
	struct json *j = arg;

	json_open(j, NULL, '{');
	json_u64(j, "list", m->list);
	json_u64(j, "id", m->id);
	json_str(j, "role", m->flags == 1 ? "voter" : "learner");
	if (m->addr[0]) {
		json_str(j, "addr", m->addr);
		json_u64(j, "port", m->port);
	}
	json_close(j, '}');
}

/* "12 config 1@10.0.0.1:7400 2@... 4(learner)@...", joint: "old ... new ..." */
static void config_record_text(FILE *f, const struct paxos_record *r,
			       const unsigned char *p)
{
	unsigned int nl = r->len >= 2 ? p[1] : 0;

	if (conf_walk(p, r->len, NULL, NULL)) {
		fprintf(f, " malformed %u", r->len);
		return;
	}
	if (nl == 2) {
		/* The lists one after the other: old, then new. */
		uint32_t cut = 3 + 24u * p[2];
		unsigned char one[2 + 1 + 24 * PAXOS_MAX_MEMBERS];

		fputs(" joint old", f);
		one[0] = 1;
		one[1] = 1;
		memcpy(one + 2, p + 2, cut - 2);
		conf_walk(one, cut, member_text, f);
		fputs(" new", f);
		memcpy(one + 2, p + cut, r->len - cut);
		conf_walk(one, 2 + r->len - cut, member_text, f);
		return;
	}
	conf_walk(p, r->len, member_text, f);
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
	} else if (r->type == PAXOS_REC_CONFIG) {
		config_record_text(f, r, p);
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
	if (r->type == PAXOS_REC_CONFIG &&
	    !conf_walk(data, r->len, NULL, NULL)) {
		json_bool(j, "joint", ((const unsigned char *)data)[1] == 2);
		json_open(j, "members", '[');
		conf_walk(data, r->len, member_json, j);
		json_close(j, ']');
	}
	json_close(j, '}');
	json_end(j);
}
