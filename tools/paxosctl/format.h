/* SPDX-License-Identifier: GPL-2.0 */
/* Decoded replies and their text and JSON forms (pure, unit-tested). */
#ifndef PAXOSCTL_FORMAT_H
#define PAXOSCTL_FORMAT_H

#include <stdint.h>
#include <stdio.h>
#include <linux/paxos.h>

#include "json.h"

#define PCTL_ADDRSTRLEN 64

struct pctl_member {
	uint32_t id;
	char addr[PCTL_ADDRSTRLEN];
	uint16_t port;
	uint8_t state;		/* enum paxos_member_state */
	uint64_t match_index;
	uint64_t last_heard_ms;
};

struct pctl_status {
	uint8_t state;		/* enum paxos_state */
	uint32_t node_id, cluster_id, leader_id;
	uint64_t ballot, commit_index, first_index;
	uint8_t lease_valid, key_set;
	uint64_t lease_remaining_us, incarnation;
	char addr[PCTL_ADDRSTRLEN];
	uint16_t port;
	unsigned int nmembers;
	struct pctl_member members[PAXOS_MAX_MEMBERS];
	int have_counters;
	uint64_t counters[PAXOS_CTR_MAX + 1];
	int have_log;		/* the retained log's attributes came */
	uint64_t retain_bytes, retained_bytes;
	uint8_t log_full, strict;
	char storage[PAXOS_STORAGE_PATH_MAX];	/* "" none */
	uint8_t storage_state;	/* enum paxos_storage_state */
	int have_config;	/* the configuration's attributes came */
	uint64_t config_index;
	unsigned int nvoters, nlearners;
	uint32_t voters[PAXOS_MAX_MEMBERS], learners[PAXOS_MAX_MEMBERS];
	uint8_t config_joint, config_pending, config_unknown;
	int have_next;		/* where a pending change goes came */
	unsigned int next_nvoters, next_nlearners;
	uint32_t next_voters[PAXOS_MAX_MEMBERS];
	uint32_t next_learners[PAXOS_MAX_MEMBERS];
	uint8_t join;		/* NODE_GET: joins as a learner */
};

const char *state_name(unsigned int state);
const char *member_state_name(unsigned int state);
const char *storage_state_name(unsigned int state);
/* "storage: /dev/vdb (ok)" or "storage: none" */
void storage_text(FILE *f, const struct pctl_status *st);
void storage_json_fields(struct json *j, const struct pctl_status *st);
/* Lower-case suffix of PAXOS_CTR_*, or NULL for an unknown index. */
const char *counter_name(unsigned int ctr);

void status_text(FILE *f, const struct pctl_status *st);
void status_json(struct json *j, const struct pctl_status *st);
/* `log show`: the retained log's bound and use (LOG_GET). */
void log_text(FILE *f, const struct pctl_status *st);
void log_json(struct json *j, const struct pctl_status *st);
/* A log notification, enum paxos_log_event. */
const char *log_event_name(unsigned int ev);

/* One /dev/paxoslog record as a text line or a JSON object. */
void record_text(FILE *f, const struct paxos_record *r, const void *data);
/*
 * "config index 12 voters 1 2 3 learners 4 joint pending next voters 1 2
 * learners 4" (next: where the pending change goes)
 */
void config_text(FILE *f, const struct pctl_status *st);
/* Whether the configuration @st shows names @id (voter or learner). */
int config_names(const struct pctl_status *st, uint32_t id);
void record_json(struct json *j, const struct paxos_record *r, const void *data);

#endif
