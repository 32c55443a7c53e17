// SPDX-License-Identifier: GPL-2.0
/*
 * Configuration changes through the log (Documentation/protocol.rst,
 * "Configuration changes").  The configuration governing index i is the
 * newest configuration entry chosen below i; a leader proposes one only
 * with nothing else in flight and proposes nothing past it until it is
 * chosen.  The quorum a node counts with is that of every configuration
 * that may govern what it decides: the newest it knows chosen, and every
 * configuration entry its log holds above its commit point (accepted,
 * not known chosen).  A change of voters goes through C_old,new (both
 * majorities) to C_new; members that only learn never count.
 */
#include "core_int.h"

/*
 * The member table (peers[]) follows the configurations: an id that one
 * of them names is added, and one that none that may be in effect names
 * is dropped once a configuration is delivered.  A member we do not know
 * that writes to us (a leader our stale configuration does not name) is
 * added too, until then.  Duplicate suppression does not depend on it
 * (px_dd_mark()): nodes may differ in their tables for a while.
 */

/* Add node @id to the member table: its index, or -1 if it is full. */
int px_member_add(struct px_node *n, u32 id)
{
	int k = px_peer_index(n, id);
	struct px_peer *p;

	if (k >= 0)
		return k;
	if (!id || id > PAXOS_MAX_NODE_ID || n->n == PX_MAX_NODES)
		return -1;
	p = &n->peers[n->n];
	memset(p, 0, sizeof(*p));
	p->id = id;
	p->nfrag = -1;
	return (int)n->n++;
}

/* Mask @m with bit @from moved to @to. */
static u16 move_bit(u16 m, u32 from, u32 to)
{
	u16 had = m & px_bit(from);

	m &= (u16)~(px_bit(from) | px_bit(to));
	return had ? (u16)(m | px_bit(to)) : m;
}

/* Drop member @k (not us): the last one takes its index. */
static void member_drop(struct px_node *n, u32 k)
{
	u32 last = n->n - 1, i;
	u64 x;

	n->peers[k] = n->peers[last];
	memset(&n->peers[last], 0, sizeof(n->peers[last]));
	for (x = n->log.first; x && x <= n->log.top; x++) {
		struct px_slot *s = px_slot(n, x);

		if (!s)
			continue;
		s->acks = move_bit(s->acks & (u16)~px_bit(k), last, k);
		s->sent_to = move_bit(s->sent_to & (u16)~px_bit(k), last, k);
	}
	n->pv_yes = move_bit(n->pv_yes & (u16)~px_bit(k), last, k);
	for (i = 0; i < PX_MAX_DEFER; i++) {
		if (n->defer[i].to == k)
			n->defer[i].to = n->self;	/* px_send() skips it */
		if (n->defer[i].to == last)
			n->defer[i].to = k;
	}
	if (n->self == last)
		n->self = k;
	n->n--;
	if (n->behind_ask >= n->n)
		n->behind_ask = n->self;
	if (n->sess_ask_to >= n->n)
		n->sess_ask_to = n->self;
}

/*
 * The newest configuration entry above the commit point at index @i or
 * below, decoded into @c: its index, or 0 if there is none.
 */
static u64 conf_below(const struct px_node *n, u64 i, struct px_conf *c)
{
	for (; i > n->log.commit; i--) {
		const struct px_slot *s = px_log_slot(&n->log, i);

		if (s && s->type == PX_ENTRY_CONFIG &&
		    !px_conf_decode(c, s->data, s->len))
			return i;
	}
	return 0;
}

/*
 * Whether a configuration that may govern what we decide names @id, or
 * @id is the leader we follow: a leader a change removed stays until
 * another is known, so that its hand-over (px_transfer) reaches us.
 */
static bool named(const struct px_node *n, u32 id)
{
	struct px_conf c;
	u64 i;

	if (id == n->leader || px_conf_names(&n->conf, id) ||
	    (n->conf_want && px_conf_names(&n->conf_target, id)))
		return true;
	for (i = n->log.top; (i = conf_below(n, i, &c)); i--)
		if (px_conf_names(&c, id))
			return true;
	return false;
}

/* Drop the members no configuration that may be in effect names. */
static void prune(struct px_node *n)
{
	u32 k = 0;

	if (n->conf_unknown)
		return;
	while (k < n->n) {
		if (k != n->self && !named(n, n->peers[k].id))
			member_drop(n, k);
		else
			k++;
	}
}

/*
 * At the end of a call into the engine (no member index held by a
 * caller up the stack): drop the members a configuration delivered
 * since left out.
 */
void px_conf_settle(struct px_node *n)
{
	if (!n->conf_prune)
		return;
	n->conf_prune = false;
	prune(n);
	px_conf_refresh(n);
}

/* Add the members of @c to the table, room made if need be. */
static void add_members(struct px_node *n, const struct px_conf *c)
{
	u32 l, i;

	for (l = 0; l < c->nlists; l++)
		for (i = 0; i < c->count[l]; i++)
			if (px_member_add(n, c->m[l][i].id) < 0) {
				prune(n);
				px_member_add(n, c->m[l][i].id);
			}
}

void px_conf_init(struct px_node *n)
{
	const struct px_config *c = &n->cfg;
	u32 i;

	memset(&n->conf, 0, sizeof(n->conf));
	n->conf.nlists = 1;
	n->conf.count[0] = (u8)c->nmembers;
	for (i = 0; i < c->nmembers; i++) {
		n->conf.m[0][i].id = c->members[i];
		n->conf.m[0][i].flags = !c->nvoters || i < c->nvoters ?
					PX_MEMBER_VOTER : PX_MEMBER_LEARNER;
	}
	n->conf_index = 0;
	px_conf_refresh(n);
}

/* Add the voters of list @l of @c to @q, once. */
static void add_set(struct px_node *n, struct px_quorum *q,
		    const struct px_conf *c, u32 l)
{
	u32 i, v = px_conf_voters(c, l);
	u16 set = 0;
	int k;

	for (i = 0; i < c->count[l]; i++) {
		if (c->m[l][i].flags != PX_MEMBER_VOTER)
			continue;
		k = px_peer_index(n, c->m[l][i].id);
		if (k >= 0)
			set |= px_bit((u32)k);
	}
	px_quorum_add(q, set, (u8)(v / 2 + 1));
}

static void add_conf(struct px_node *n, struct px_quorum *q,
		     const struct px_conf *c)
{
	u32 l;

	add_members(n, c);
	for (l = 0; l < c->nlists; l++)
		add_set(n, q, c, l);
}

/*
 * The quorum of every configuration that may govern what we decide, and
 * the highest configuration slot above the commit point.
 */
void px_conf_refresh(struct px_node *n)
{
	struct px_conf c;
	u64 i;
	u32 k;

	if (n->conf_want)
		add_members(n, &n->conf_target);
	px_quorum_clear(&n->quorum);
	add_conf(n, &n->quorum, &n->conf);
	n->conf_top = 0;
	for (i = n->log.commit + 1; i <= n->log.top; i++) {
		const struct px_slot *s = px_slot(n, i);

		if (!s || s->type != PX_ENTRY_CONFIG ||
		    px_conf_decode(&c, s->data, s->len))
			continue;
		add_conf(n, &n->quorum, &c);
		n->conf_top = i;
	}
	n->conf_voters = 0;
	for (k = 0; k < n->quorum.nsets; k++)
		n->conf_voters |= n->quorum.set[k];
}

/* Entry @s, a configuration, is delivered: it governs what follows. */
void px_conf_chosen(struct px_node *n, const struct px_slot *s)
{
	struct px_conf c;

	if (px_conf_decode(&c, s->data, s->len)) {
		px_ctr(n, PAXOS_CTR_DROP_MALFORMED);
		return;
	}
	n->conf = c;
	n->conf_index = s->index;
	n->conf_unknown = false;
	n->conf_prune = true;
	px_conf_refresh(n);
	px_emit(n, PX_EV_CONFIG, s->index, c.nlists, 0);
}

/*
 * Our log continues past entries we never saw (a snapshot, a skip): one
 * may have changed the configuration.  Until we deliver one, we neither
 * campaign nor lead by a configuration that may be stale.
 */
void px_conf_skipped(struct px_node *n)
{
	n->conf_unknown = true;
	px_conf_refresh(n);
}

/*
 * A snapshot is installed.  Its first chunk carried the configuration
 * its sender knew, the newest chosen up to its commit index: if not
 * above the snapshot's index, it is the one in effect there.  Else, if
 * the sender's (@conf - 1; 0: it may not know) is ours, we keep ours.
 */
void px_conf_installed(struct px_node *n, u64 conf)
{
	const struct px_snap_in *in = &n->snap_in;

	if (in->conf_have && in->conf_index <= n->snap.index) {
		n->conf = in->conf;
		n->conf_index = in->conf_index;
		n->conf_unknown = false;
		prune(n);
		px_conf_refresh(n);
		px_emit(n, PX_EV_CONFIG, n->conf_index, n->conf.nlists, 0);
	} else if (conf && conf - 1 == n->conf_index) {
		n->conf_unknown = false;
		px_conf_refresh(n);
	} else {
		px_conf_skipped(n);
	}
}

/* Whether we may campaign: a voter of a configuration in effect. */
bool px_conf_voter(const struct px_node *n)
{
	return !n->conf_unknown && (n->conf_voters & px_self_bit(n));
}

static bool same_list(const struct px_conf *a, u32 la, const struct px_conf *b,
		      u32 lb)
{
	u32 i, j;

	if (a->count[la] != b->count[lb])
		return false;
	for (i = 0; i < a->count[la]; i++) {
		for (j = 0; j < b->count[lb]; j++)
			if (!memcmp(&a->m[la][i], &b->m[lb][j],
				    sizeof(a->m[la][i])))
				break;
		if (j == b->count[lb])
			return false;
	}
	return true;
}

static bool same_voters(const struct px_conf *a, u32 la,
			const struct px_conf *b, u32 lb)
{
	u32 i;

	if (px_conf_voters(a, la) != px_conf_voters(b, lb))
		return false;
	for (i = 0; i < a->count[la]; i++)
		if (a->m[la][i].flags == PX_MEMBER_VOTER &&
		    !px_conf_votes(b, lb, a->m[la][i].id))
			return false;
	return true;
}

/*
 * Whether member @id has (about) everything chosen, or is us.  One not
 * heard from lately is not, however short the log: a node added before
 * it runs stays a learner until it answers.
 */
static bool caught_up(const struct px_node *n, u32 id)
{
	int k = px_peer_index(n, id);
	const struct px_peer *p;

	if (k < 0)
		return false;
	if ((u32)k == n->self)
		return true;
	p = &n->peers[k];
	return p->reachable &&
	       px_max64(p->match, p->accepted) + PX_CONF_CATCHUP >=
	       n->log.commit;
}

/*
 * The target's new voters that lag, added to the current list as
 * learners: true if that changed @c (propose it first).
 */
static bool add_learners(const struct px_node *n, struct px_conf *c,
			 bool *wait)
{
	const struct px_conf *t = &n->conf_target;
	bool added = false;
	u32 i, j;

	*wait = false;
	for (i = 0; i < t->count[0]; i++) {
		const struct px_member_spec *m = &t->m[0][i];

		if (m->flags != PX_MEMBER_VOTER || px_conf_votes(c, 0, m->id) ||
		    caught_up(n, m->id))
			continue;
		*wait = true;
		for (j = 0; j < c->count[0] && c->m[0][j].id != m->id; j++)
			;
		if (j < c->count[0] || c->count[0] == PX_MAX_NODES)
			continue;
		c->m[0][j] = *m;
		c->m[0][j].flags = PX_MEMBER_LEARNER;
		c->count[0]++;
		added = true;
	}
	return added;
}

/*
 * Leader: the configuration entry to propose next into @buf, or 0.  It
 * goes once nothing else is in flight, and nothing follows it until it
 * is chosen: the pause that keeps one configuration per index range.
 * C_old,new is followed by C_new; a change of voters waits for new
 * voters to catch up as learners, then goes joint; a change that
 * keeps the voters (learners, addresses) goes at once.
 */
u32 px_conf_next(struct px_node *n, u8 *buf)
{
	struct px_conf c = n->conf;
	bool wait;

	if (n->conf_top > n->log.commit)
		return 0;
	if (c.nlists == 2) {
		c.nlists = 1;
		c.count[0] = c.count[1];
		memcpy(c.m[0], c.m[1], sizeof(c.m[0]));
		return px_conf_encode(&c, buf);
	}
	if (n->conf_want && same_list(&c, 0, &n->conf_target, 0))
		n->conf_want = false;
	if (!n->conf_want)
		return 0;
	if (same_voters(&c, 0, &n->conf_target, 0)) {
		c = n->conf_target;
		return px_conf_encode(&c, buf);
	}
	if (add_learners(n, &c, &wait))
		return px_conf_encode(&c, buf);
	if (wait)
		return 0;
	c.nlists = 2;
	c.count[1] = n->conf_target.count[0];
	memcpy(c.m[1], n->conf_target.m[0], sizeof(c.m[1]));
	return px_conf_encode(&c, buf);
}

/*
 * Whether @m leaves out entirely a member the change under way waits
 * for (a voter of the target that is not one yet): the way to give up
 * an addition whose node never catches up.  Nothing of the target is in
 * the log but its learners, so another target may take its place.
 */
static bool cancels(const struct px_node *n, const struct px_member_spec *m,
		    u32 count)
{
	const struct px_conf *t = &n->conf_target;
	u32 i, j;

	for (i = 0; i < t->count[0]; i++) {
		u32 id = t->m[0][i].id;

		if (t->m[0][i].flags != PX_MEMBER_VOTER ||
		    px_conf_votes(&n->conf, 0, id))
			continue;
		for (j = 0; j < count && m[j].id != id; j++)
			;
		if (j == count)
			return true;
	}
	return false;
}

/*
 * A change asked of the leader: 0, -EINVAL, -EBUSY or -ENOSPC (core.h).
 * While one waits for its new voters to catch up, a change that leaves
 * one of them out replaces it; any other waits its turn.
 */
int px_conf_change(struct px_node *n, const struct px_member_spec *m,
		   u32 count)
{
	u32 i, more = 0;

	if (px_conf_check(m, count))
		return -EINVAL;
	if (n->conf.nlists == 2 || n->conf_top > n->log.commit ||
	    (n->conf_want && !cancels(n, m, count)))
		return -EBUSY;
	for (i = 0; i < count; i++)
		if (!px_conf_names(&n->conf, m[i].id))
			more++;
	if (n->conf.count[0] + more > PX_MAX_NODES)
		return -ENOSPC;	/* the old and new members, together */
	prune(n);
	memset(&n->conf_target, 0, sizeof(n->conf_target));
	n->conf_target.nlists = 1;
	n->conf_target.count[0] = (u8)count;
	memcpy(n->conf_target.m[0], m, count * sizeof(*m));
	n->conf_want = true;
	px_conf_refresh(n);
	return 0;
}

/*
 * Not the leader: ask the leader we follow for the change (CHANGE), in
 * terms of the configuration in effect here.  The leader makes it only if
 * that is its own too (px_conf_asked()), so a change asked of a node
 * that lags never undoes a newer one.  -EINPROGRESS: sent (a datagram
 * that may be lost: the caller watches the configuration); -EINVAL,
 * -EBUSY (a change under way here), -EAGAIN (no leader heard lately).
 */
int px_conf_forward(struct px_node *n, const struct px_member_spec *m,
		    u32 count)
{
	struct px_conf_msg msg = {
		.index = n->conf_index, .commit = n->log.commit,
		.data = n->conf_buf,
	};
	struct px_wbuf w;
	int to;

	if (px_conf_check(m, count))
		return -EINVAL;
	if (n->conf.nlists == 2 || n->conf_top > n->log.commit)
		return -EBUSY;
	to = px_peer_index(n, n->leader);
	if (n->conf_unknown || to < 0 || (u32)to == n->self ||
	    !px_leader_id(n))
		return -EAGAIN;
	memset(&n->conf_target, 0, sizeof(n->conf_target));
	n->conf_target.nlists = 1;
	n->conf_target.count[0] = (u8)count;
	memcpy(n->conf_target.m[0], m, count * sizeof(*m));
	msg.len = (u16)px_conf_encode(&n->conf_target, n->conf_buf);
	px_begin(n, &w, n->promised);
	px_wire_change(&w, &msg);
	px_send(n, to, &w);
	return -EINPROGRESS;
}

/*
 * Leader: a member asks for a change (CHANGE) in our ballot, in terms of
 * configuration @m->index: made if that is still ours and no other
 * change is under way (true: the caller sends), else dropped (its asker
 * sees nothing happen).
 */
bool px_conf_asked(struct px_node *n, u64 ballot, const struct px_conf_msg *m)
{
	struct px_conf c;

	if (px_conf_decode(&c, m->data, m->len) || c.nlists != 1) {
		px_ctr(n, PAXOS_CTR_DROP_MALFORMED);
		return false;
	}
	if (ballot != n->ballot || m->index != n->conf_index || n->xfer_to)
		return false;
	return !px_conf_change(n, c.m[0], c.count[0]);
}

/* Leader: whether the configuration in effect leaves us out. */
bool px_conf_removed(const struct px_node *n)
{
	return n->conf.nlists == 1 && n->conf_top <= n->log.commit &&
	       !px_conf_votes(&n->conf, 0, n->cfg.self_id);
}

/* Leader: member @to skipped entries and may not know the configuration. */
void px_conf_tell(struct px_node *n, u32 to)
{
	struct px_conf_msg m = {
		.index = n->conf_index, .commit = n->log.commit,
		.data = n->conf_buf,
	};
	struct px_wbuf w;

	if (n->conf_unknown)
		return;
	m.len = (u16)px_conf_encode(&n->conf, n->conf_buf);
	px_begin(n, &w, n->ballot);
	px_wire_conf(&w, &m);
	px_send(n, to, &w);
}

/*
 * The leader we follow tells us its configuration.  It is the newest
 * chosen up to its commit index; if we delivered up to it (so that no
 * older one governs what we lack) and no further than that commit
 * index (so that no newer one is chosen below ours), it is ours.
 */
void px_conf_told(struct px_node *n, u32 from, u64 ballot,
		  const struct px_conf_msg *m)
{
	struct px_conf c;

	if (!n->conf_unknown || n->leader != n->peers[from].id ||
	    n->leader_ballot != ballot || m->index > n->log.commit ||
	    n->log.commit > m->commit || m->index < n->conf_index)
		return;
	if (px_conf_decode(&c, m->data, m->len)) {
		px_ctr(n, PAXOS_CTR_DROP_MALFORMED);
		return;
	}
	n->conf = c;
	n->conf_index = m->index;
	n->conf_unknown = false;
	n->conf_prune = true;
	px_conf_refresh(n);
	px_emit(n, PX_EV_CONFIG, m->index, c.nlists, 0);
}

/* The spec of @id in @c, or NULL; the last list first. */
static const struct px_member_spec *spec_of(const struct px_conf *c, u32 id)
{
	u32 l, i;

	for (l = c->nlists; l-- > 0;)
		for (i = 0; i < c->count[l]; i++)
			if (c->m[l][i].id == id)
				return &c->m[l][i];
	return NULL;
}

/*
 * Where the configuration goes: the change asked of us (leader), else
 * the newest configuration entry above the commit point, else the joint
 * one in effect; NULL when no change is under way.  Its last list is
 * the members it ends with.
 */
const struct px_conf *px_conf_goal(const struct px_node *n,
				   struct px_conf *tmp)
{
	if (n->conf_want)
		return &n->conf_target;
	if (conf_below(n, n->log.top, tmp))
		return tmp;
	return n->conf.nlists == 2 ? &n->conf : NULL;
}

/* The newest spec of member @id (px_get_members()), or NULL. */
static const struct px_member_spec *newest_spec(const struct px_node *n,
						u32 id, struct px_conf *tmp)
{
	const struct px_member_spec *m = NULL;
	u64 i;

	if (n->conf_want)
		m = spec_of(&n->conf_target, id);
	for (i = n->log.top; !m && (i = conf_below(n, i, tmp)); i--)
		m = spec_of(tmp, id);
	return m ? m : spec_of(&n->conf, id);
}

u32 px_get_members(const struct px_node *n, struct px_member_spec *m)
{
	const struct px_member_spec *s;
	struct px_conf tmp;
	u32 k;

	for (k = 0; k < n->n; k++) {
		s = newest_spec(n, n->peers[k].id, &tmp);
		memset(&m[k], 0, sizeof(m[k]));
		if (s)
			m[k] = *s;
		m[k].id = n->peers[k].id;
		if (!s)
			m[k].flags = PX_MEMBER_LEARNER;
	}
	return n->n;
}

u32 px_leader_id(const struct px_node *n)
{
	if (n->leader == n->cfg.self_id ||
	    (n->leader_heard_ns && n->now - n->leader_heard_ns < n->cfg.election_ns))
		return n->leader;
	return 0;
}

u32 px_get_config(const struct px_node *n, struct px_member_spec *m)
{
	u32 l = n->conf.nlists - 1;

	memcpy(m, n->conf.m[l], n->conf.count[l] * sizeof(*m));
	return n->conf.count[l];
}
