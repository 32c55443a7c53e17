/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of the kernel shell, system "paxos": commits, leader, lease
 * and member changes as the engine reports them, every datagram the
 * shell drops, with its reason, and every batch stable storage made
 * durable.  Each event names its node by id and by
 * the inode of its network namespace (0 once that is gone).
 *
 * Drop reasons are the counters the drops go to (enum paxos_counter);
 * PAXOS_CTR_UNSPEC is a datagram that arrived while the node was down.
 * The engine's own drops (wrong cluster, stale ballot, ...) are counted
 * only: kmod/core has no tracepoints.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM paxos

#if !defined(_PXK_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _PXK_TRACE_H

#include <linux/tracepoint.h>

#include "pxk.h"

/* The engine's event @ev as its tracepoint, if it has one (trace.c). */
void pxk_trace_event(const struct pxk_node *n, const struct px_event *ev);

#ifndef _PXK_TRACE_FNS
#define _PXK_TRACE_FNS
/* The node's network namespace, by inode number; 0 once it is gone. */
static inline u32 pxk_trace_inum(const struct pxk_node *n)
{
	return n && n->net ? n->net->ns.inum : 0;
}
#endif

TRACE_DEFINE_ENUM(PX_ENTRY_DATA);
TRACE_DEFINE_ENUM(PX_ENTRY_NOOP);
TRACE_DEFINE_ENUM(PX_ENTRY_CONFIG);
TRACE_DEFINE_ENUM(PAXOS_CTR_UNSPEC);
TRACE_DEFINE_ENUM(PAXOS_CTR_DROP_MALFORMED);
TRACE_DEFINE_ENUM(PAXOS_CTR_DROP_BAD_MAC);
TRACE_DEFINE_ENUM(PAXOS_CTR_DROP_UNKNOWN_SENDER);
TRACE_DEFINE_ENUM(PAXOS_CTR_DROP_NO_MEMORY);
TRACE_DEFINE_ENUM(PAXOS_CTR_TX_ERRORS);

TRACE_EVENT(paxos_commit,
	    TP_PROTO(const struct pxk_node *n, u64 index, int type,
		     u32 len),
	    TP_ARGS(n, index, type, len),
	    TP_STRUCT__entry(__field(u32, netns)
			     __field(u32, node)
			     __field(u64, index)
			     __field(int, type)
			     __field(u32, len)),
	    TP_fast_assign(__entry->netns = pxk_trace_inum(n);
			   __entry->node = n->id;
			   __entry->index = index;
			   __entry->type = type;
			   __entry->len = len;),
	    TP_printk("netns=%u node=%u index=%llu type=%s len=%u",
		      __entry->netns, __entry->node, __entry->index,
		      __print_symbolic(__entry->type,
				       { PX_ENTRY_DATA, "data" },
				       { PX_ENTRY_NOOP, "noop" },
				       { PX_ENTRY_CONFIG, "config" }),
		      __entry->len)
);

TRACE_EVENT(paxos_leader,
	    TP_PROTO(const struct pxk_node *n, u32 leader, u64 ballot),
	    TP_ARGS(n, leader, ballot),
	    TP_STRUCT__entry(__field(u32, netns)
			     __field(u32, node)
			     __field(u32, leader)
			     __field(u64, ballot)),
	    TP_fast_assign(__entry->netns = pxk_trace_inum(n);
			   __entry->node = n->id;
			   __entry->leader = leader;
			   __entry->ballot = ballot;),
	    TP_printk("netns=%u node=%u leader=%u ballot=%llu.%llu",
		      __entry->netns, __entry->node, __entry->leader,
		      __entry->ballot >> 32, __entry->ballot & 0xffffffffULL)
);

TRACE_EVENT(paxos_lease,
	    TP_PROTO(const struct pxk_node *n, bool acquired),
	    TP_ARGS(n, acquired),
	    TP_STRUCT__entry(__field(u32, netns)
			     __field(u32, node)
			     __field(bool, acquired)),
	    TP_fast_assign(__entry->netns = pxk_trace_inum(n);
			   __entry->node = n->id;
			   __entry->acquired = acquired;),
	    TP_printk("netns=%u node=%u lease=%s",
		      __entry->netns, __entry->node,
		      __entry->acquired ? "acquired" : "lost")
);

TRACE_EVENT(paxos_member,
	    TP_PROTO(const struct pxk_node *n, u32 member, bool reachable),
	    TP_ARGS(n, member, reachable),
	    TP_STRUCT__entry(__field(u32, netns)
			     __field(u32, node)
			     __field(u32, member)
			     __field(bool, reachable)),
	    TP_fast_assign(__entry->netns = pxk_trace_inum(n);
			   __entry->node = n->id;
			   __entry->member = member;
			   __entry->reachable = reachable;),
	    TP_printk("netns=%u node=%u member=%u %s",
		      __entry->netns, __entry->node, __entry->member,
		      __entry->reachable ? "reachable" : "unreachable")
);

/*
 * A batch durable (store.c): @entries ENTRY records in @bytes; @wait_ns
 * from the first kick after the previous batch was staged to this one's
 * staging (the work item's latency, or the previous batch's write), and
 * @write_ns from its staging to px_persisted().
 */
TRACE_EVENT(paxos_store,
	    TP_PROTO(const struct pxk_node *n, u64 token, u32 entries,
		     u64 bytes, u64 wait_ns, u64 write_ns),
	    TP_ARGS(n, token, entries, bytes, wait_ns, write_ns),
	    TP_STRUCT__entry(__field(u32, netns)
			     __field(u32, node)
			     __field(u64, token)
			     __field(u32, entries)
			     __field(u64, bytes)
			     __field(u64, wait_ns)
			     __field(u64, write_ns)),
	    TP_fast_assign(__entry->netns = pxk_trace_inum(n);
			   __entry->node = n->id;
			   __entry->token = token;
			   __entry->entries = entries;
			   __entry->bytes = bytes;
			   __entry->wait_ns = wait_ns;
			   __entry->write_ns = write_ns;),
	    TP_printk("netns=%u node=%u token=%llu entries=%u bytes=%llu wait_us=%llu write_us=%llu",
		      __entry->netns, __entry->node, __entry->token,
		      __entry->entries, __entry->bytes,
		      __entry->wait_ns / 1000, __entry->write_ns / 1000)
);

/* @sender: the id the datagram claims, 0 if too short to say; @to on tx. */
TRACE_EVENT(paxos_drop,
	    TP_PROTO(const struct pxk_node *n, unsigned int reason,
		     u32 sender, u32 len),
	    TP_ARGS(n, reason, sender, len),
	    TP_STRUCT__entry(__field(u32, netns)
			     __field(u32, node)
			     __field(unsigned int, reason)
			     __field(u32, sender)
			     __field(u32, len)),
	    TP_fast_assign(__entry->netns = pxk_trace_inum(n);
			   __entry->node = n ? n->id : 0;
			   __entry->reason = reason;
			   __entry->sender = sender;
			   __entry->len = len;),
	    TP_printk("netns=%u node=%u reason=%s sender=%u len=%u",
		      __entry->netns, __entry->node,
		      __print_symbolic(__entry->reason,
				       { PAXOS_CTR_UNSPEC, "down" },
				       { PAXOS_CTR_DROP_MALFORMED, "malformed" },
				       { PAXOS_CTR_DROP_BAD_MAC, "bad_mac" },
				       { PAXOS_CTR_DROP_UNKNOWN_SENDER,
					 "unknown_sender" },
				       { PAXOS_CTR_DROP_NO_MEMORY, "no_memory" },
				       { PAXOS_CTR_TX_ERRORS, "tx_error" }),
		      __entry->sender, __entry->len)
);

#endif /* _PXK_TRACE_H */

/* Out of the kernel tree: define_trace.h finds this file through -I$(src). */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
