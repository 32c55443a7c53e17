/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kpaxos: a Multi-Paxos replicated log in the kernel.
 *
 * User-space ABI: the "paxos" generic netlink family and the record format
 * and ioctls of /dev/paxoslog.  Documentation/netlink/specs/paxos.yaml
 * describes the same family; selftests keep the two in step.
 */
#ifndef _UAPI_LINUX_PAXOS_H
#define _UAPI_LINUX_PAXOS_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define PAXOS_FAMILY_NAME	"paxos"
#define PAXOS_FAMILY_VERSION	1
#define PAXOS_MCGRP_EVENTS	"events"

#define PAXOS_DEVICE_NAME	"paxoslog"

/* Limits. */
#define PAXOS_MAX_MEMBERS	9
#define PAXOS_MAX_VALUE		8192	/* bytes in one log entry */
#define PAXOS_KEY_LEN		32	/* cluster key for the datagram MAC */
#define PAXOS_DEFAULT_PORT	7400
#define PAXOS_PROPOSE_TIMEOUT_MS	10000	/* PROPOSE without PAXOS_A_TIMEOUT_MS */
#define PAXOS_MAX_TIMEOUT_MS	3600000
/* PAXOS_A_RETAIN_BYTES: 64 KiB .. 16 GiB, 64 MiB when never set. */
#define PAXOS_MIN_RETAIN_BYTES	(64ULL << 10)
#define PAXOS_MAX_RETAIN_BYTES	(16ULL << 30)
#define PAXOS_DEFAULT_RETAIN_BYTES	(64ULL << 20)
/* PAXOS_A_STORAGE: a block device path, at most this long with its NUL. */
#define PAXOS_STORAGE_PATH_MAX	256

/* Node states reported by PAXOS_A_STATE. */
enum paxos_state {
	PAXOS_STATE_UNCONFIGURED,	/* no node id set yet */
	PAXOS_STATE_DOWN,		/* configured, not running */
	PAXOS_STATE_RECOVERING,		/* restarted, not voting yet */
	PAXOS_STATE_FOLLOWER,
	PAXOS_STATE_CANDIDATE,		/* running phase 1 */
	PAXOS_STATE_LEADER,
	/*
	 * It lacks committed entries every member it asked dropped with no
	 * snapshot for them, and waits for one (strict retention): it reads
	 * out nothing beyond its commit index (-ENODATA) meanwhile.
	 */
	PAXOS_STATE_BEHIND,
};

/* Why a PAXOS_CMD_LOG_NTF was sent, in PAXOS_A_LOG_EVENT. */
enum paxos_log_event {
	PAXOS_LOG_EV_UNSPEC,
	PAXOS_LOG_EV_FULL,	/* strict retention: no room, writes refused */
	PAXOS_LOG_EV_ROOM,	/* room again (a snapshot let the log trim) */
	PAXOS_LOG_EV_BEHIND,	/* state BEHIND: waits for a snapshot */
	PAXOS_LOG_EV_SKIPPED,	/* not strict: skipped to PAXOS_A_INDEX */
	/*
	 * Stable storage failed (PAXOS_A_STORAGE_STATE says how): the node
	 * answers nobody until it is taken down.
	 */
	PAXOS_LOG_EV_STORAGE,
};

/* Stable storage of a node, in PAXOS_A_STORAGE_STATE. */
enum paxos_storage_state {
	PAXOS_STORAGE_NONE,	/* no device configured: state in memory only */
	PAXOS_STORAGE_CLOSED,	/* configured, the node is down */
	PAXOS_STORAGE_OK,	/* open: the node writes its state there */
	/* A write or flush failed: the node answers nobody (take it down). */
	PAXOS_STORAGE_FAILED,
	/*
	 * A damaged record before the log's tail was found at up: the node
	 * refused to start with what it could not read (never votes).
	 */
	PAXOS_STORAGE_CORRUPT,
};

/* Per-member reachability in PAXOS_A_MEMBER_STATE. */
enum paxos_member_state {
	PAXOS_MEMBER_UNKNOWN,
	PAXOS_MEMBER_REACHABLE,
	PAXOS_MEMBER_UNREACHABLE,
};

enum paxos_cmd {
	PAXOS_CMD_UNSPEC,
	PAXOS_CMD_STATUS_GET,	/* doit: status of this netns's node */
	PAXOS_CMD_NODE_SET,	/* id, address, port, cluster id, timers */
	PAXOS_CMD_NODE_GET,
	/*
	 * MEMBER_ADD and _DEL edit the member table while the node is down;
	 * while it is up, on the leader with stable storage, they propose a
	 * configuration change: the configuration in effect plus the new
	 * member (a voter, once it caught up as a learner) or minus one.
	 */
	PAXOS_CMD_MEMBER_ADD,
	PAXOS_CMD_MEMBER_DEL,
	PAXOS_CMD_MEMBER_GET,	/* dump */
	PAXOS_CMD_LEASE_SET,	/* PREFERRED_LEADER also while up */
	PAXOS_CMD_LEASE_GET,
	PAXOS_CMD_KEY_SET,	/* cluster key; empty PAXOS_A_KEY clears it */
	PAXOS_CMD_UP,
	PAXOS_CMD_DOWN,
	PAXOS_CMD_PROPOSE,	/* value; replies with the committed index */
	PAXOS_CMD_TRIM,		/* drop entries below PAXOS_A_INDEX */

	/* Notifications, sent to PAXOS_MCGRP_EVENTS. */
	PAXOS_CMD_LEADER_NTF,
	PAXOS_CMD_LEASE_NTF,
	PAXOS_CMD_MEMBER_NTF,
	PAXOS_CMD_LOG_SET,	/* bound on the retained log's bytes */
	PAXOS_CMD_LOG_GET,
	PAXOS_CMD_LOG_NTF,	/* event: log full, room again, behind, skip */
	PAXOS_CMD_LEADER_TRANSFER,	/* leader: hand over to PAXOS_A_NODE_ID */

	__PAXOS_CMD_MAX,
	PAXOS_CMD_MAX = __PAXOS_CMD_MAX - 1
};

enum paxos_attr {
	PAXOS_A_UNSPEC,
	PAXOS_A_PAD,
	PAXOS_A_NODE_ID,		/* u32, 1..PAXOS_MAX_NODE_ID */
	PAXOS_A_CLUSTER_ID,		/* u32 */
	PAXOS_A_ADDR4,			/* binary, struct in_addr */
	PAXOS_A_ADDR6,			/* binary, struct in6_addr */
	PAXOS_A_PORT,			/* u16, host order */
	PAXOS_A_HEARTBEAT_MS,		/* u32 */
	PAXOS_A_ELECTION_MS,		/* u32, minimum election timeout */
	PAXOS_A_LEASE_MS,		/* u32, 0 disables leases */
	PAXOS_A_DRIFT_PPM,		/* u32, maximum clock drift */
	PAXOS_A_PREFERRED_LEADER,	/* u32 node id, 0 for none */
	PAXOS_A_KEY,			/* binary, PAXOS_KEY_LEN or empty */
	PAXOS_A_STATE,			/* u8, enum paxos_state */
	PAXOS_A_LEADER_ID,		/* u32, 0 when unknown */
	PAXOS_A_BALLOT,			/* u64: round << 32 | node id */
	PAXOS_A_COMMIT_INDEX,		/* u64, highest committed index */
	PAXOS_A_FIRST_INDEX,		/* u64, lowest retained index */
	PAXOS_A_LEASE_VALID,		/* u8 */
	PAXOS_A_LEASE_REMAINING_US,	/* u64 */
	PAXOS_A_INCARNATION,		/* u64 */
	PAXOS_A_MEMBER,			/* nest, PAXOS_MA_* */
	PAXOS_A_COUNTERS,		/* nest, one u64 per enum paxos_counter */
	PAXOS_A_VALUE,			/* binary, at most PAXOS_MAX_VALUE */
	PAXOS_A_INDEX,			/* u64 */
	PAXOS_A_KEY_SET,		/* u8, whether a cluster key is set */
	PAXOS_A_TIMEOUT_MS,		/* u32, how long PROPOSE waits for its commit */
	PAXOS_A_RETAIN_BYTES,		/* u64, bound on the log's value bytes */
	PAXOS_A_RETAINED_BYTES,		/* u64, value bytes the log holds */
	PAXOS_A_LOG_FULL,		/* u8, proposals refused until a snapshot */
	PAXOS_A_STRICT_RETENTION,	/* u8, strict retention in force */
	PAXOS_A_LOG_EVENT,		/* u8, enum paxos_log_event */
	PAXOS_A_COUNT,			/* u64, entries skipped */
	PAXOS_A_STORAGE,		/* string, a block device path; empty: none */
	PAXOS_A_STORAGE_STATE,		/* u8, enum paxos_storage_state */
	/*
	 * The configuration in effect (STATUS_GET while up): the index of
	 * its entry (0: the initial one), its voters and learners (nests of
	 * u32 node ids, the attribute type the position from 1), whether it
	 * is joint (C_old,new: voters of both lists), whether a change is
	 * pending (an entry not chosen yet, or a change to make), whether
	 * it may be stale (entries skipped since).
	 */
	PAXOS_A_CONFIG_INDEX,		/* u64 */
	PAXOS_A_VOTERS,			/* nest of u32 */
	PAXOS_A_LEARNERS,		/* nest of u32 */
	PAXOS_A_CONFIG_JOINT,		/* u8 */
	PAXOS_A_CONFIG_PENDING,		/* u8 */
	PAXOS_A_CONFIG_UNKNOWN,		/* u8 */
	/*
	 * u8, NODE_SET: the node joins a running cluster, a learner of its
	 * initial configuration (its members and itself) until the
	 * configuration the cluster's log carries names it.
	 */
	PAXOS_A_JOIN,
	/*
	 * While a change is pending (STATUS_GET): the voters and learners
	 * it ends with, nests of u32 as PAXOS_A_VOTERS.
	 */
	PAXOS_A_NEXT_VOTERS,		/* nest of u32 */
	PAXOS_A_NEXT_LEARNERS,		/* nest of u32 */

	__PAXOS_A_MAX,
	PAXOS_A_MAX = __PAXOS_A_MAX - 1
};

#define PAXOS_MAX_NODE_ID	0xffff

/* Attributes nested in PAXOS_A_MEMBER. */
enum paxos_member_attr {
	PAXOS_MA_UNSPEC,
	PAXOS_MA_PAD,
	PAXOS_MA_NODE_ID,		/* u32 */
	PAXOS_MA_ADDR4,			/* binary, struct in_addr */
	PAXOS_MA_ADDR6,			/* binary, struct in6_addr */
	PAXOS_MA_PORT,			/* u16 */
	PAXOS_MA_STATE,			/* u8, enum paxos_member_state */
	PAXOS_MA_MATCH_INDEX,		/* u64, highest index known on it */
	PAXOS_MA_LAST_HEARD_MS,		/* u64, ms since last datagram */

	__PAXOS_MA_MAX,
	PAXOS_MA_MAX = __PAXOS_MA_MAX - 1
};

/* Counters nested in PAXOS_A_COUNTERS; the attribute type is the index. */
enum paxos_counter {
	PAXOS_CTR_UNSPEC,
	PAXOS_CTR_RX_PACKETS,
	PAXOS_CTR_TX_PACKETS,
	PAXOS_CTR_RX_PREPARE,
	PAXOS_CTR_RX_PROMISE,
	PAXOS_CTR_RX_ACCEPT,
	PAXOS_CTR_RX_ACCEPTED,
	PAXOS_CTR_RX_HEARTBEAT,
	PAXOS_CTR_RX_OTHER,
	PAXOS_CTR_TX_PREPARE,
	PAXOS_CTR_TX_ACCEPT,
	PAXOS_CTR_DROP_MALFORMED,
	PAXOS_CTR_DROP_BAD_MAC,
	PAXOS_CTR_DROP_UNKNOWN_SENDER,
	PAXOS_CTR_DROP_WRONG_CLUSTER,
	PAXOS_CTR_DROP_STALE_BALLOT,
	PAXOS_CTR_DROP_NO_MEMORY,
	PAXOS_CTR_COMMITS,
	PAXOS_CTR_ELECTIONS,
	PAXOS_CTR_LEASE_CHANGES,
	PAXOS_CTR_RETRANSMITS,
	PAXOS_CTR_PROPOSALS,
	PAXOS_CTR_FORWARDED,
	PAXOS_CTR_TX_ERRORS,
	PAXOS_CTR_SPREADS,	/* thrifty ACCEPTs widened to every follower */
	PAXOS_CTR_SNAP_TAKEN,	/* snapshots handed to the node */
	PAXOS_CTR_SNAP_SENT,	/* snapshots a member acknowledged whole */
	PAXOS_CTR_SNAP_INSTALLED,	/* snapshots received and installed */
	PAXOS_CTR_SNAP_TX_BYTES,	/* snapshot bytes sent, resent ones too */
	PAXOS_CTR_SNAP_RX_BYTES,	/* snapshot bytes taken in order */
	PAXOS_CTR_SNAP_RETRANSMITS,	/* snapshot chunks sent again */
	PAXOS_CTR_LOG_FULL,	/* proposals and values refused: log full */
	PAXOS_CTR_EVICTED,	/* entries dropped for room before retention */
	PAXOS_CTR_BEHIND,	/* times entries it lacked were trimmed */
	PAXOS_CTR_SKIPPED,	/* entries skipped for that (not strict) */
	PAXOS_CTR_EVENTS_DROPPED,	/* notifications lost: queue full */
	PAXOS_CTR_PREVOTES,	/* pre-vote rounds this node started */
	PAXOS_CTR_PREVOTES_GRANTED,	/* pre-votes it granted others */
	PAXOS_CTR_PREVOTES_REFUSED,	/* pre-votes it refused: a leader lives */
	PAXOS_CTR_PREPARE_REFUSED,	/* phase 1 ignored: a leader lives */
	PAXOS_CTR_CHECKQ_STEPDOWNS,	/* leader: no majority heard, stepped down */
	PAXOS_CTR_TRANSFERS,	/* leader: handed over (TIMEOUT_NOW sent) */
	PAXOS_CTR_STORE_WRITES,	/* stable storage: batches written durably */
	PAXOS_CTR_STORE_BYTES,	/* bytes written to the device */
	PAXOS_CTR_STORE_FLUSHES,	/* cache flushes (PREFLUSH or FUA writes) */
	PAXOS_CTR_STORE_ERRORS,	/* writes or flushes that failed */
	PAXOS_CTR_STORE_CORRUPT,	/* damaged records found before the tail */
	PAXOS_CTR_STORE_CHECKPOINTS,	/* compactions into the other half */

	__PAXOS_CTR_MAX,
	PAXOS_CTR_MAX = __PAXOS_CTR_MAX - 1
};

/*
 * /dev/paxoslog records.  read() returns whole records, each this header
 * followed by @len bytes of payload, in log order and without gaps.
 */
enum paxos_record_type {
	PAXOS_REC_DATA = 1,
	PAXOS_REC_NOOP = 2,	/* a hole filled by a new leader */
	/*
	 * A configuration change: the payload lists the members (version
	 * u8 1, number of lists u8 1 or 2 (C_old,new), per list a count u8
	 * and per member u32 id, u8 flags (1 voter, 2 learner), u8 family
	 * (0, 4, 6), u16 port, 16 address bytes; little-endian).
	 */
	PAXOS_REC_CONFIG = 3,
	/*
	 * A snapshot of the application's state, standing for every entry up
	 * to @index: no payload follows (len 0); read it with
	 * PAXOS_IOC_SNAP_READ.  The next record is index + 1.
	 */
	PAXOS_REC_SNAPSHOT = 4,
};

/* One piece of a snapshot, for PAXOS_IOC_SNAP_WRITE and _READ. */
struct paxos_snap_io {
	__u64 index;		/* the last log index the snapshot covers */
	__u64 size;		/* its size in bytes (READ: filled in) */
	__u64 offset;		/* of this piece */
	__u64 data;		/* user pointer to the piece */
	__u32 len;		/* bytes of the piece (READ: copied) */
	__u32 flags;		/* 0 */
};

struct paxos_record {
	__u64 index;
	__u32 len;
	__u16 type;
	__u16 flags;
};

/*
 * The client session of a file's blocking writes (PAXOS_IOC_SESSION_*).
 * GET: @seq is the number of the last write issued (0: none), flagged
 * PAXOS_SESSION_UNDECIDED if it failed and may still commit.  SET: @id
 * (nonzero) and the number @seq (from 1) the next write takes; to retry
 * write @seq of a session after reopening, set both and write the same
 * bytes again.
 */
struct paxos_session {
	__u64 id;
	__u64 seq;
	__u32 flags;		/* GET: PAXOS_SESSION_UNDECIDED; SET: 0 */
	__u32 pad;		/* 0 */
};

#define PAXOS_SESSION_UNDECIDED	0x1

#define PAXOS_IOC_MAGIC		0xb7
/* Index of the last entry committed by a write() on this file. */
#define PAXOS_IOC_LAST_WRITE	_IOR(PAXOS_IOC_MAGIC, 1, __u64)
/*
 * Linearizable read barrier: returns an index such that every write that
 * completed before the call is at or below it, once the local log has it.
 */
#define PAXOS_IOC_BARRIER	_IOR(PAXOS_IOC_MAGIC, 2, __u64)
/* Highest committed index known to this node. */
#define PAXOS_IOC_COMMIT_INDEX	_IOR(PAXOS_IOC_MAGIC, 3, __u64)
/*
 * Hand the node a snapshot of the application's state, in pieces written
 * in order from offset 0; the piece that completes @size makes it the
 * node's newest snapshot.  Needs CAP_NET_ADMIN, like write().
 */
#define PAXOS_IOC_SNAP_WRITE	_IOW(PAXOS_IOC_MAGIC, 4, struct paxos_snap_io)
/*
 * Copy a piece of the node's newest snapshot, which must be @index
 * (-ESTALE once a newer one replaced it: read the log again).
 */
#define PAXOS_IOC_SNAP_READ	_IOWR(PAXOS_IOC_MAGIC, 5, struct paxos_snap_io)
/*
 * Exactly-once writes: every blocking write() of a file is write n + 1 of
 * the file's client session (a random id at open), sent once write n is
 * answered, so one file's writes commit in the order written.  After a
 * write failed with EINTR, ETIMEDOUT, ENOTCONN or ENODEV (it may still
 * commit), the next write of the same bytes is its retry: it commits
 * once, and succeeds with the index where it did.  A retry can also
 * fail with EALREADY (a later write of the session committed; whether
 * this one did is unknown) or ESTALE (the cluster no longer holds the
 * session: it keeps the 256 that wrote last).  O_NONBLOCK writes carry no
 * session.
 */
#define PAXOS_IOC_SESSION_GET	_IOR(PAXOS_IOC_MAGIC, 6, struct paxos_session)
#define PAXOS_IOC_SESSION_SET	_IOW(PAXOS_IOC_MAGIC, 7, struct paxos_session)

#endif /* _UAPI_LINUX_PAXOS_H */
