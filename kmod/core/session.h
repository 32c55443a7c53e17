/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Client sessions: exactly-once writes across retries, leader changes
 * and restarts.  A client numbers its writes 1, 2, ... in a session of
 * its choosing (a random 64-bit id) and sends write s + 1 only once
 * write s is answered; a retry keeps its number.  Every node applies the
 * committed entries to the same table in log order, so all decide alike
 * which entry is a client's write and which a repeat of one (delivered
 * as a no-op).  The table holds the PX_MAX_SESSIONS sessions that wrote
 * last; the one that wrote least recently makes room, and a write of a
 * session it no longer holds is refused unless it is the session's
 * first.  A leaf.
 */
#ifndef _PX_SESSION_H
#define _PX_SESSION_H

#include "core.h"

#define PX_MAX_SESSIONS		256

struct px_session {
	u64 id;			/* nonzero */
	u64 seq;		/* the highest write number committed */
	u64 index;		/* where it committed */
};

/* Sorted by id. */
struct px_sessions {
	u32 n;
	struct px_session s[PX_MAX_SESSIONS];
};

/* What a committed client write is. */
enum px_sess_verdict {
	PX_SESS_NEW,		/* the session's next write: deliver it */
	PX_SESS_REPEAT,		/* a retry of one that committed already */
	PX_SESS_UNKNOWN,	/* not its first write, session not held */
};

const struct px_session *px_session_find(const struct px_sessions *t, u64 id);
/*
 * Write @seq of session @id, known to be decided: 0 and *@index where it
 * committed if it is the session's last; -EALREADY if a later one
 * committed; -ESTALE if the table does not hold the session.
 */
int px_session_outcome(const struct px_sessions *t, u64 id, u64 seq,
		       u64 *index);
/* Decide on write @seq of session @id at @index, and record it if new. */
enum px_sess_verdict px_session_apply(struct px_sessions *t, u64 id, u64 seq,
				      u64 index);

#endif /* _PX_SESSION_H */
