// SPDX-License-Identifier: GPL-2.0
/*
 * The module's tracepoints (trace.h), defined here once.
 */
#define CREATE_TRACE_POINTS
#include "trace.h"

/*
 * The engine's leader, lease and member changes, from its event callback
 * (node lock held).  Other events have no tracepoint.
 */
void pxk_trace_event(const struct pxk_node *n, const struct px_event *ev)
{
	switch (ev->type) {
	case PX_EV_LEADER:
		trace_paxos_leader(n, ev->a, ev->b);
		break;
	case PX_EV_LEASE:
		trace_paxos_lease(n, ev->a);
		break;
	case PX_EV_MEMBER:
		trace_paxos_member(n, ev->a, ev->b);
		break;
	default:
		break;
	}
}
