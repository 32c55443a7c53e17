// SPDX-License-Identifier: GPL-2.0
/*
 * Phase 1 and the ballots.  A follower whose leader went quiet (and whose
 * granted lease ran out) first asks the members whether they would
 * support a phase 1 (pre-vote): a member that still hears from a leader,
 * or has a lease promised, says no, and without a quorum of yes the
 * follower raises no ballot, so a node cut off and healed cannot depose a
 * leader the others still hear.  With a quorum of yes it becomes a
 * candidate: it prepares a higher ballot
 * for every instance from its first undelivered one, merges the values
 * the promises report, and once a quorum promised becomes leader by
 * re-proposing, in its own ballot, the highest-ballot value of every
 * instance and a no-op for every hole.  Any ballot above ours makes a
 * leader or candidate give way.
 *
 * Leadership transfer: the leader takes no new entries, waits until the
 * target accepted every slot it has, then gives up its lease (it never
 * holds one again in this ballot) and sends TIMEOUT_NOW to every member.
 * The target starts phase 1 at once; the others stop holding the old
 * leader's lease against a candidate, since it no longer reads by it.
 * Not done by the deadline (two election timeouts), the leader steps down
 * if it had let go, or goes on leading.
 *
 * The preferred leader (cfg.preferred_leader) is where a stable
 * leadership moves by such a transfer (px_prefer_check()); every member
 * that sees a transfer waits PX_PREFER_BACKOFF election timeouts before
 * it starts one for the preference, so a preferred node that cannot keep
 * the leadership costs one failover in that long, not one per election.
 */
#include "core_int.h"

u64 px_rand(struct px_node *n)
{
	/* xorshift64*: deterministic per seed, good enough for jitter. */
	n->rng ^= n->rng >> 12;
	n->rng ^= n->rng << 25;
	n->rng ^= n->rng >> 27;
	return n->rng * 0x2545F4914F6CDD1DULL;
}

void px_reset_election(struct px_node *n)
{
	u64 e = n->cfg.election_ns;

	if (n->cfg.preferred_leader == n->cfg.self_id)
		n->election_at = n->now + e;
	else
		n->election_at = n->now + e + px_rand(n) % (e ? e : 1);
}

/* The one place rounds grow and a lower leader or candidate gives way. */
void px_ballot_seen(struct px_node *n, u64 ballot)
{
	if (px_round(ballot) > n->max_round)
		n->max_round = px_round(ballot);
	if ((n->role == PX_ROLE_LEADER || n->role == PX_ROLE_CANDIDATE) &&
	    ballot > n->ballot)
		px_step_down(n);
}

void px_step_down(struct px_node *n)
{
	if (n->role != PX_ROLE_LEADER && n->role != PX_ROLE_CANDIDATE)
		return;
	px_set_role(n, PX_ROLE_FOLLOWER);
	if (n->leader == n->cfg.self_id)
		px_set_leader(n, 0, 0);
	n->lease_until = 0;
	n->xfer_to = 0;
	/* A change asked of us is dropped: a joint one the next leader ends. */
	n->conf_want = false;
	n->conf_hold = false;
	if (n->grant_to == n->cfg.self_id)
		n->grant_to = 0;
	/* Proposals others forwarded to us are retried by their origins. */
	px_leader_drop_queue(n);
	/* Our own unconfirmed proposals go to the next leader. */
	px_pending_resend(n);
	n->last_leader_ns = n->now;
	px_reset_election(n);
}

static void send_prepare(struct px_node *n, u16 to)
{
	struct px_prepare p = { .first = n->prepare_from };
	struct px_wbuf w;
	u32 i;

	px_begin(n, &w, n->ballot);
	px_wire_prepare(&w, &p);
	for (i = 0; i < n->n; i++)
		if (to & px_bit(i))
			px_send(n, i, &w);
}

/*
 * Re-propose, in our ballot, the highest-ballot value reported for every
 * instance above our commit point (the promises were merged into our
 * slots as they arrived), fill holes with no-ops, and add a no-op of our
 * own: once it commits, our log holds every chosen value.
 */
static void become_leader(struct px_node *n)
{
	struct px_prop_id none = { 0 };
	struct px_slot *s;
	u64 i;

	/*
	 * A hole the log cannot take a no-op for yet (full under strict
	 * retention until a snapshot frees room) would stay unproposed and
	 * stop every commit above it: give the election up, as for a value
	 * we cannot keep (px_handle_promise()); a later one finds room.
	 */
	for (i = n->log.commit + 1; i <= n->log.top; i++) {
		if (!px_slot(n, i) &&
		    !px_store(n, i, n->ballot, PX_ENTRY_NOOP, &none, NULL, 0)) {
			px_step_down(n);
			return;
		}
	}
	px_set_role(n, PX_ROLE_LEADER);
	px_set_leader(n, n->cfg.self_id, n->ballot);
	n->xfer_to = 0;
	n->xfer_sent = false;
	n->led_ns = n->now;
	n->grant_to = n->cfg.self_id;
	n->grant_until = n->now + n->grant_ns;
	n->lease_until = n->cfg.lease_ns ? n->prepare_ns + n->guard_ns : 0;
	for (i = n->log.commit + 1; i <= n->log.top; i++) {
		s = px_slot(n, i);
		if (!s)
			s = px_store(n, i, n->ballot, PX_ENTRY_NOOP, &none, NULL, 0);
		if (!s)
			break;
		s->ballot = n->ballot;
		px_dur_mark(n, i);
		s->acks = px_own_vote(n);
		s->sent_to = 0;
		s->sent_ns = 0;
	}
	n->next_index = n->log.top + 1;
	s = px_store(n, n->next_index, n->ballot, PX_ENTRY_NOOP, &none, NULL, 0);
	if (s) {
		s->acks = px_own_vote(n);
		n->own_first = n->next_index++;
	} else {
		n->own_first = n->next_index - 1;
	}
	px_leader_start(n);
}

void px_check_elected(struct px_node *n)
{
	u16 done = 0;
	u32 i;

	/* A snapshot installed meanwhile: our quorum may be stale. */
	if (n->conf_unknown)
		return;
	for (i = 0; i < n->n; i++)
		if (n->peers[i].done)
			done |= px_bit(i);
	if (px_quorum_has(&n->quorum, done))
		become_leader(n);
}

void px_start_election(struct px_node *n)
{
	u32 i;

	n->pv_active = false;
	n->max_round++;
	n->ballot = (u64)n->max_round << 32 | n->cfg.self_id;
	n->promised = n->ballot;
	n->prepare_ns = n->now;
	n->prepare_from = n->log.commit + 1;
	for (i = 0; i < n->n; i++) {
		n->peers[i].frags = 0;
		n->peers[i].nfrag = -1;
		n->peers[i].done = i == n->self && !n->cfg.durable;
	}
	px_ctr(n, PAXOS_CTR_ELECTIONS);
	px_set_role(n, PX_ROLE_CANDIDATE);
	if (n->leader)
		px_set_leader(n, 0, 0);
	px_reset_election(n);
	send_prepare(n, px_followers(n));
	px_ctr(n, PAXOS_CTR_TX_PREPARE);
	/* A cluster of one elects itself. */
	px_check_elected(n);
}

/* A promise for our ballot (the step function checked the ballot). */
void px_handle_promise(struct px_node *n, u32 from, const struct px_promise *m)
{
	if (m->first != n->prepare_from)
		return;
	/*
	 * Values accepted in our own ballot cannot be reported yet.  A value
	 * we cannot keep, we could not re-propose: give the election up
	 * rather than fill its instance with a no-op.
	 */
	if (!px_adopt(n, &m->ents, n->ballot)) {
		px_step_down(n);
		return;
	}
	px_frag_seen(&n->peers[from], &m->frag);
	px_check_elected(n);
}

/*
 * Whether we hear from a live leader other than @except (a node id):
 * we lead and a quorum answered us lately, or we granted someone else a
 * lease that runs, or the leader we follow spoke in its ballot within
 * the election timeout.  Then we help nobody else to phase 1.
 */
bool px_leader_alive(struct px_node *n, u32 except)
{
	if (n->role == PX_ROLE_LEADER)
		return !(n->xfer_sent && n->xfer_to == except) &&
		       px_leader_holds(n);
	if (n->grant_to && n->grant_to != except && n->now < n->grant_until)
		return true;
	return n->leader && n->leader != except && n->leader_heard_ns &&
	       n->leader_ballot != n->released &&
	       n->now - n->leader_heard_ns < n->cfg.election_ns;
}

/* Hand the leadership to node @id: 0, or -errno. */
int px_transfer_start(struct px_node *n, u32 id)
{
	int to = px_peer_index(n, id);

	/* A learner would not campaign: the target must vote. */
	if (to < 0 || (u32)to == n->self || !(n->conf_voters & px_bit(to)))
		return -EINVAL;
	if (n->role != PX_ROLE_LEADER)
		return -EAGAIN;
	if (n->xfer_to)
		return -EBUSY;
	n->xfer_to = id;
	n->xfer_sent = false;
	n->xfer_until = n->now + 2 * n->cfg.election_ns;
	px_transfer_check(n);
	/* A heartbeat round now: its answers say how far the target is. */
	if (!n->xfer_sent)
		px_send_heartbeat(n);
	return 0;
}

/*
 * The target has every slot we have: give the lease up and tell it to
 * go, and every member that it may.  Again each heartbeat until we are
 * deposed; past the deadline, give up.
 */
void px_transfer_check(struct px_node *n)
{
	struct px_timeout_now t = { .target = n->xfer_to };
	int to = px_peer_index(n, n->xfer_to);
	struct px_wbuf w;
	u32 i;

	if (!n->xfer_to || to < 0)
		return;
	if (n->now >= n->xfer_until) {
		if (n->xfer_sent)
			px_step_down(n);
		n->xfer_to = 0;
		return;
	}
	/*
	 * It has every slot: it accepted them, or (a thrifty leader's late
	 * copies need no vote) it reported delivering them.
	 */
	if (!n->xfer_sent &&
	    px_max64(n->peers[to].accepted, n->peers[to].match) + 1 <
	    n->next_index)
		return;
	if (n->xfer_sent && n->now - n->xfer_sent_ns < n->cfg.heartbeat_ns)
		return;
	if (!n->xfer_sent) {
		n->xfer_sent = true;
		n->forfeit = n->ballot;
		n->lease_until = 0;
		px_ctr(n, PAXOS_CTR_TRANSFERS);
	}
	n->xfer_sent_ns = n->now;
	px_begin(n, &w, n->ballot);
	px_wire_timeout_now(&w, &t);
	for (i = 0; i < n->n; i++)
		if (i != n->self)
			px_send(n, i, &w);
}

/*
 * Leader: hand over to the preferred leader if it should lead instead.
 * It must be a voter of the configuration in effect (and none may be
 * under way: the leader is then the one to finish it), answer within
 * the election timeout and hold about everything chosen, so the
 * transfer is likely done in a round trip.  We first lead an election
 * timeout and commit our own no-op: a leadership that just moved (or
 * a preferred node just back) settles before it moves again.
 */
void px_prefer_check(struct px_node *n)
{
	u32 id = n->cfg.preferred_leader;
	const struct px_peer *p;
	int k;

	if (n->role != PX_ROLE_LEADER || n->xfer_to || !id ||
	    id == n->cfg.self_id || n->now < n->prefer_after ||
	    n->now - n->led_ns < n->cfg.election_ns ||
	    n->log.commit < n->own_first)
		return;
	if (n->conf_want || n->conf_hold || n->conf_unknown ||
	    n->conf.nlists != 1 || n->conf_top > n->log.commit ||
	    px_conf_removed(n))
		return;
	k = px_peer_index(n, id);
	if (k < 0 || (u32)k == n->self || !(n->conf_voters & px_bit(k)))
		return;
	p = &n->peers[k];
	if (!p->reachable || !p->last_heard ||
	    n->now - p->last_heard >= n->cfg.election_ns ||
	    px_max64(p->accepted, p->match) + PX_CONF_CATCHUP < n->log.commit)
		return;
	/* Failed or not, the next one waits. */
	n->prefer_after = n->now + PX_PREFER_BACKOFF * n->cfg.election_ns;
	px_transfer_start(n, id);
}

/* TIMEOUT_NOW from the leader we follow, in its ballot. */
void px_handle_timeout_now(struct px_node *n, u32 from, u64 ballot,
			   const struct px_timeout_now *m)
{
	if (n->role != PX_ROLE_FOLLOWER || n->leader != n->peers[from].id ||
	    n->leader_ballot != ballot)
		return;
	n->released = ballot;
	n->prefer_after = n->now + PX_PREFER_BACKOFF * n->cfg.election_ns;
	if (n->grant_to == n->leader)
		n->grant_to = 0;
	if (m->target == n->cfg.self_id && px_conf_voter(n))
		px_start_election(n);
}

static void send_prevote(struct px_node *n, u16 to)
{
	struct px_prevote p = { .commit = n->log.commit };
	struct px_wbuf w;
	u32 i;

	px_begin(n, &w, n->pv_ballot);
	px_wire_prevote(&w, &p);
	for (i = 0; i < n->n; i++)
		if (to & px_bit(i))
			px_send(n, i, &w);
	n->pv_sent_ns = n->now;
}

/* Enough members would support us: raise the ballot for real. */
static void prevote_check(struct px_node *n)
{
	if (n->pv_active && px_quorum_has(&n->quorum, n->pv_yes))
		px_start_election(n);
}

/*
 * A pre-vote round: ask every member whether it would support a phase 1
 * in our next ballot.  It lasts one randomized election timeout, asking
 * again every heartbeat those that did not say yes; nothing is raised
 * and nothing promised until a quorum says yes.
 */
static void start_prevote(struct px_node *n)
{
	/* A learner, or a node that may not know the configuration: never. */
	if (!px_conf_voter(n)) {
		px_reset_election(n);
		return;
	}
	n->pv_active = true;
	n->pv_ballot = (n->max_round + 1) << 32 | n->cfg.self_id;
	n->pv_yes = px_self_bit(n);
	px_ctr(n, PAXOS_CTR_PREVOTES);
	px_reset_election(n);
	send_prevote(n, px_followers(n));
	/* A cluster of one needs nobody's yes. */
	prevote_check(n);
}

/* A member asks whether we would support its phase 1 in @ballot. */
void px_handle_prevote(struct px_node *n, u32 from, u64 ballot)
{
	struct px_prevote_reply r = { .ballot = ballot };
	struct px_wbuf w;

	r.granted = !px_leader_alive(n, n->peers[from].id);
	px_ctr(n, r.granted ? PAXOS_CTR_PREVOTES_GRANTED :
			      PAXOS_CTR_PREVOTES_REFUSED);
	px_begin(n, &w, n->promised);
	px_wire_prevote_reply(&w, &r);
	px_send(n, from, &w);
}

/* An answer to our pre-vote; @promised is the member's promise. */
void px_handle_prevote_reply(struct px_node *n, u32 from, u64 promised,
			     const struct px_prevote_reply *m)
{
	if (n->role != PX_ROLE_FOLLOWER || !n->pv_active ||
	    m->ballot != n->pv_ballot)
		return;
	/* Our ballot, once raised, must pass its promise. */
	if (px_round(promised) > n->max_round)
		n->max_round = px_round(promised);
	if (!m->granted)
		return;
	n->pv_yes |= px_bit(from);
	prevote_check(n);
}

static void follower_tick(struct px_node *n)
{
	if (n->now < n->election_at) {
		/* Ask again those that did not say yes. */
		if (n->pv_active &&
		    n->now - n->pv_sent_ns >= n->cfg.heartbeat_ns)
			send_prevote(n, px_followers(n) & ~n->pv_yes);
		return;
	}
	n->pv_active = false;
	if (n->grant_to && n->grant_to != n->cfg.self_id &&
	    n->now < n->grant_until) {
		/*
		 * We promised a lease: no election before it ends, then a
		 * random delay so the followers do not all collide.
		 */
		n->election_at = n->grant_until +
			px_rand(n) % (n->cfg.election_ns ? n->cfg.election_ns : 1);
		return;
	}
	if (n->now - n->last_leader_ns >= n->cfg.election_ns)
		start_prevote(n);
	else
		px_reset_election(n);
}

static void candidate_tick(struct px_node *n)
{
	u16 silent = 0;
	u32 i;

	if (n->now >= n->election_at) {
		/*
		 * Phase 1 failed in time: ask again before a higher ballot,
		 * or a candidate cut off would come back with one.
		 */
		px_step_down(n);
		start_prevote(n);
		return;
	}
	/* Repeat the prepare to members that have not answered. */
	if (n->now - n->prepare_ns < n->cfg.heartbeat_ns)
		return;
	for (i = 0; i < n->n; i++)
		if (!n->peers[i].done)
			silent |= px_bit(i);
	send_prepare(n, silent);
}

/*
 * The leader's clock tick, or stepping down once leadership lapsed: no
 * quorum answered within the election timeout and no lease runs
 * (check-quorum, px_leader_holds()).
 */
void px_lead(struct px_node *n)
{
	if (px_leader_holds(n)) {
		px_transfer_check(n);
		if (n->role == PX_ROLE_LEADER)
			px_leader_tick(n);
		return;
	}
	px_ctr(n, PAXOS_CTR_CHECKQ_STEPDOWNS);
	px_step_down(n);
}

void px_election_tick(struct px_node *n)
{
	if (n->role == PX_ROLE_FOLLOWER)
		follower_tick(n);
	else if (n->role == PX_ROLE_CANDIDATE)
		candidate_tick(n);
}
