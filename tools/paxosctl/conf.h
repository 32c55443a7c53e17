/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The node configuration file of `paxosctl setconf` and `showconf`: a
 * parser that checks everything before anything is applied, a formatter
 * whose output the parser reads back, and the comparison setconf needs on
 * a running node.  Pure: no netlink, unit-tested on the host.  The format
 * is described in paxosctl(8), section CONFIGURATION FILE.
 */
#ifndef PAXOSCTL_CONF_H
#define PAXOSCTL_CONF_H

#include <stdint.h>
#include <stdio.h>
#include <linux/paxos.h>

#include "parse.h"

#define CONF_MAX_MEMBERS	(PAXOS_MAX_MEMBERS - 1)	/* besides the node */
#define CONF_MAX_LINE		1024	/* bytes in a line, without its newline */
#define CONF_MAX_PATH		256	/* bytes in a key-file path, with its NUL */

/* What the kernel accepts (kmod/genl.c policies, kmod/node.c pxk_up()). */
#define CONF_MAX_HEARTBEAT_MS	10000
#define CONF_MIN_ELECTION_MS	2
#define CONF_MAX_TIMER_MS	600000
#define CONF_MAX_DRIFT_PPM	100000
#define CONF_LEASE_MIN_HEARTBEATS 2

/* The settings, in the order showconf prints them. */
enum conf_field {
	CF_ID,
	CF_CLUSTER,
	CF_ADDR,
	CF_PORT,
	CF_HEARTBEAT,
	CF_ELECTION,
	CF_LEASE,
	CF_DRIFT,
	CF_PREFERRED,
	CF_STORAGE,		/* "storage PATH" or "storage none" */
	CF_KEY,			/* "key" or "key-file" */
	CF_MEMBERS,		/* not a line: the member list as a whole */
	CF_NFIELDS
};

enum conf_key {
	CONF_KEY_KEEP,		/* no key line: setconf leaves the key alone */
	CONF_KEY_NONE,		/* "key none": no key */
	CONF_KEY_HEX,		/* "key HEX": the key itself */
	CONF_KEY_FILE,		/* "key-file PATH": read when applied */
};

struct conf_member {
	uint32_t id;
	struct pctl_addr addr;
	uint16_t port;
	unsigned int line;	/* 0 when not read from a file */
};

struct pctl_conf {
	unsigned int have;	/* 1 << CF_* for each setting given */
	unsigned int line[CF_NFIELDS];	/* where each was given */
	uint32_t id, cluster;
	struct pctl_addr addr;
	uint16_t port;
	uint32_t heartbeat_ms, election_ms, lease_ms, drift_ppm, preferred;
	char storage[PAXOS_STORAGE_PATH_MAX];	/* "": none */
	enum conf_key key;
	uint8_t key_bytes[PAXOS_KEY_LEN];	/* CONF_KEY_HEX */
	char key_file[CONF_MAX_PATH];		/* CONF_KEY_FILE */
	int key_hidden;		/* formatter: a key is set but unknown */
	unsigned int nmembers;
	struct conf_member members[CONF_MAX_MEMBERS];
};

struct conf_error {
	unsigned int line;	/* 1-based */
	char msg[240];
};

/*
 * Read a whole configuration from @f into @c.  Returns 0, or -1 with @e
 * saying where and why; on -1 @c is to be ignored.
 */
int conf_parse(FILE *f, struct pctl_conf *c, struct conf_error *e);

/*
 * Write @c in the file format: every setting it has, members sorted by
 * id.  A key is written as "key none", "key HEX" or "key-file PATH"; with
 * key_hidden and CONF_KEY_KEEP, a comment says a key is set.
 */
void conf_print(FILE *f, const struct pctl_conf *c);

/*
 * A key file's contents: 64 hex digits, optionally surrounded by white
 * space (a trailing newline).  Returns 0 or -1 with a reason in @why.
 */
int conf_key_text(const char *buf, size_t len, uint8_t key[PAXOS_KEY_LEN],
		  const char **why);

/*
 * Settings given in @want that differ from the node's @have, as 1 << CF_*
 * (CF_MEMBERS when the member sets differ, in any order).  The key is
 * left out: it is the one setting a running node takes.
 */
unsigned int conf_diff(const struct pctl_conf *want, const struct pctl_conf *have);

/* Whether @c lists a member with @m's id, address and port. */
int conf_has_member(const struct pctl_conf *c, const struct conf_member *m);

/* The file's keyword for a field ("members" for CF_MEMBERS). */
const char *conf_field_name(enum conf_field f);

#endif
