// SPDX-License-Identifier: GPL-2.0
/*
 * Deterministic simulator for the kpaxos engine.
 *
 * One seed fixes everything: N engines exchange datagrams through a
 * simulated network that loses, duplicates, delays and reorders them and
 * cuts links (also in one direction only); every node's clock runs at its
 * own rate within the configured drift; nodes crash (losing all memory)
 * and restart with a new incarnation, never leaving a majority without
 * memory at once; clients propose on every node and sometimes retry the
 * same proposal; read barriers are issued anywhere.  Clients with a
 * session write through any node, retry a write through another one
 * until it commits, and sometimes once more after (a lost answer).
 * After the fault phase the network heals and every proposal must commit.
 *
 * Every seed starts with a flapping link: once one leader leads and every
 * other node follows it, one follower is cut off and reconnected, again
 * and again, on a network that loses almost nothing.  The leader and a
 * majority stay connected, so the flapping must cause no election at all
 * (pre-vote and check-quorum) and the leader must still lead after it.
 *
 * Checked at every step: agreement, validity, integrity (no proposal
 * and no client write commits twice, a client's writes commit in the
 * order written), in-order gapless delivery, at most one valid lease at
 * any real time, linearizable read barriers, and liveness at the end.
 *
 * Each node runs a model application: its state is a hash of the entries
 * it applied.  In most seeds it snapshots every few entries (the bytes
 * encode the state and are padded to a random size, up to several
 * chunks), and nodes that lack trimmed entries install a snapshot: its
 * state must equal the reference state at its index, and every node's
 * state must equal the reference at the index it reached.  With strict
 * retention no node may ever skip an entry.
 *
 *   sim [--nodes N] [--seed S | --seeds A:B] [--trace] [--quiet]
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "conf.h"
#include "wire.h"

#define MS 1000000ULL
#define MAX_MSGS 20000
#define MAX_PROPS 4096
#define MAX_INDEX 65536
#define NCLIENTS 4
#define CWRITES 2048		/* writes per client */

struct msg {
	u64 at;
	u32 from, to;
	u32 len;
	u8 *data;
};

struct prop {
	u32 node;		/* origin index */
	u64 incarnation;
	u64 seq;
	u32 len;
	u8 value[24];
	u64 index;		/* committed index, 0 if not yet */
	bool lost;		/* its origin crashed before commit */
	u64 issued;		/* real time */
};

/* A client with a session: one write at a time, retried until it commits. */
struct cwrite {
	u32 len;
	u8 value[24];
	u64 index;		/* where it committed, 0 not yet */
};

struct client {
	u64 session;
	u64 cseq;		/* its current write, 1 .. CWRITES - 1 */
	u64 index;		/* where that one committed, 0 not yet */
	struct cwrite w[CWRITES];
};

/* An entry on a node's disk (stable storage, S.durable). */
struct dentry {
	u64 ballot;
	u8 type;
	struct px_prop_id id;
	u32 len;
	u8 value[PX_CONF_MAX];	/* a value, or a configuration */
};

/* A write to a node's disk, from px_ready() to its flush. */
struct dwrite {
	u64 token, done_at;
	bool done;		/* flushed, behind an earlier write in flight */
	u64 promised, first;
	struct px_snap snap;	/* index 0: none */
	u8 *snap_bytes;
	u8 meta[PX_SNAP_META_MAX];
	u32 meta_len;
	u64 *index;
	struct dentry *e;
	u32 n;
};

/*
 * A node's disk: what survives its crash.  Up to S.disk_depth writes are
 * in flight, each flushed at its own time.  They land in the order they
 * were made: one flushed before an earlier one waits for it (the reader
 * of a real device cuts it as part of a torn tail), and a crash keeps
 * none or, torn, some entries of the oldest and nothing of the rest.
 */
struct disk {
	u64 promised;
	u64 first;
	struct px_snap snap;	/* index 0: none */
	u8 *snap_bytes;
	u8 meta[PX_SNAP_META_MAX];
	u32 meta_len;
	struct dentry *e[MAX_INDEX];
	u64 hi;			/* no entry above */
	struct dwrite w[PX_DUR_DEPTH];	/* in flight, oldest at w[head] */
	u32 head, nw;
	/* The votes the node sent, which its disk must keep. */
	u64 voted[MAX_INDEX];	/* highest ballot of an ACCEPTED per index */
	u64 voted_hi;
	u64 promised_sent;	/* highest ballot of a PROMISE */
};

struct simnode {
	struct px_node *px;
	u32 id;
	s64 drift_ppm;
	bool up;
	u64 incarnation;
	u64 last_index;		/* last delivered in this incarnation */
	u64 down_until;
	u64 barrier_token;
	u64 barrier_floor;	/* acked index when the barrier was issued */
	bool barrier_busy;
	bool barrier_asked;	/* issued as a follower, leader unknown or other */
	/* the model application */
	u64 app_hash;		/* its state: the entries applied, hashed */
	u64 app_index;		/* applied through */
	bool app_valid;		/* false once it skipped entries */
	u32 snap_every;		/* entries between snapshots; 0: never */
	u64 snap_last;		/* index of its last snapshot */
	bool snap_due;
	u8 *snap;		/* the newest snapshot's bytes */
	struct px_snap snap_meta;
	u8 *stage;		/* a snapshot arriving */
	u8 *stage_got;		/* its chunks stored, one flag each */
	struct px_snap stage_meta;
	u64 stage_len;		/* bytes in the chunks stored */
	struct disk *disk;	/* S.durable */
};

struct chosen {
	bool set;
	u8 type;
	u32 origin;
	u64 incarnation, seq;
};

static struct sim {
	u32 n;
	u64 seed, rng;
	u64 now;		/* real time, ns */
	bool trace;
	struct simnode nodes[9];
	struct msg msgs[MAX_MSGS];
	u32 nmsgs;
	bool blocked[9][9];
	struct prop props[MAX_PROPS];
	u32 nprops;
	struct chosen chosen[MAX_INDEX];
	u64 acked_max;		/* highest index acknowledged to a client */
	u64 loss_pct, dup_pct, max_delay;
	const char *fail;
	u32 cur;		/* node whose callback runs */
	struct px_config cfg;
	u64 commits, elections;
	int snap_mode;		/* 0 none, 1 snapshots, 2 strict retention */
	bool durable;		/* every node has stable storage */
	u64 flushes, power_losses, torn;
	u32 disk_depth;		/* writes in flight per disk */
	u64 overlapped, flushed_ahead;
	u64 transfers, transferred;	/* started; the target then led */
	u64 conf_changes;		/* px_config_change() took */
	u64 conf_new;			/* ... naming an id not in effect */
	u64 conf_fwd;			/* asked of a follower, sent on */
	u64 conf_cancels;		/* a waiting change given up */
	u32 fresh;			/* id the others did not know at start */
	u32 xfer_target;		/* node index + 1; 0 none */
	u32 pref;			/* the preferred leader's id; 0 none */
	u64 prng;			/* its own stream: the rest as before */
	u64 ref[MAX_INDEX];	/* reference state after index i */
	u64 ref_upto;
	u64 snaps_taken, snaps_installed, snap_bytes;
	struct client clients[NCLIENTS];
	u64 repeats;		/* client retries of a committed write */
	/* the flapping link */
	int flap;		/* 0 settling, 1 flapping, 2 over */
	u32 flap_leader, flap_node;
	u64 flap_elections;	/* S.elections when the flapping began */
	u64 flap_end, flap_next;
	u32 flap_cuts;
} S;

static u64 sim_totals[3];	/* snapshots taken, installed, bytes installed */
static u64 flap_totals[3];	/* seeds flapped, cuts, seeds never settled */
/*
 * seeds with stable storage, flushes, power losses, torn writes; seeds
 * with two writes in flight, writes made with another in flight, writes
 * flushed ahead of an earlier one
 */
static u64 disk_totals[7];
static u64 xfer_totals[2];	/* transfers started, targets that then led */
/*
 * Seeds with a preferred leader, preferences set, seeds that ended with
 * a preferred voter up on a quiet network, ... and it led.
 */
static u64 pref_totals[4];
/* seeds that changed configurations, changes asked, entries, checked */
static u64 conf_totals[4];
static u64 fwd_totals;		/* changes asked of followers, sent on */
static u64 cancel_totals;	/* waiting changes given up */
/* barriers answered, failed, answered on a node that asked as a follower */
/* and led before the answer came */
static u64 barrier_totals[3];
/* seeds with a node unknown at start, changes naming ids not in effect, */
/* seeds that ended with that node a member that delivered everything */
static u64 fresh_totals[3];

/*
 * Who accepted what (stable storage seeds): per index, the ACCEPTEDs
 * sent in up to 4 ballots, as masks of node indexes.  When an index is
 * first delivered, a quorum of the configuration that governs it (the
 * newest configuration entry delivered below it) must have accepted it
 * in one ballot, its leader included.
 */
#define VOTE_BALLOTS 4
static struct votes {
	u64 ballot[VOTE_BALLOTS];
	u16 mask[VOTE_BALLOTS];
} votes[MAX_INDEX];
static u64 votes_hi;
static struct px_conf gov;	/* the newest configuration delivered */
static u64 gov_index;

static u64 rnd(void)
{
	u64 z = (S.rng += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static u64 rndn(u64 n)
{
	return n ? rnd() % n : 0;
}

static void trace(const char *fmt, ...)
{
	va_list ap;

	if (!S.trace)
		return;
	printf("%10.3fms ", S.now / 1e6);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void failf(const char *what, const char *fmt, ...)
{
	static char buf[512];
	va_list ap;

	if (S.fail)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	S.fail = what;
	printf("FAIL %s: %s (seed %llu, %u nodes, t=%.3fms)\n", what, buf,
	       (unsigned long long)S.seed, S.n, S.now / 1e6);
}

/* Each node's monotonic clock runs at its own rate. */
static u64 local(u32 i)
{
	return S.now + (u64)((double)S.now * S.nodes[i].drift_ppm / 1e6) + 1000 * MS;
}

static u64 to_real(u32 i, u64 t)
{
	double r = ((double)t - 1000.0 * MS) / (1.0 + S.nodes[i].drift_ppm / 1e6);

	return r < (double)S.now ? S.now : (u64)r + 1;
}

static void note_vote(u32 from, const void *buf, size_t len);
static void check_chosen(u64 k, u8 type, const void *data, u32 len);

static void net_send(void *ctx, u32 to, const void *buf, size_t len)
{
	u32 from = (u32)(uintptr_t)ctx, t, copies = 1, c;

	if (S.durable)
		note_vote(from, buf, len);
	for (t = 0; t < S.n && S.nodes[t].id != to; t++)
		;
	if (t == S.n || S.blocked[from][t] || rndn(100) < S.loss_pct)
		return;
	if (rndn(100) < S.dup_pct)
		copies = 2;
	for (c = 0; c < copies && S.nmsgs < MAX_MSGS; c++) {
		struct msg *m = &S.msgs[S.nmsgs++];

		m->at = S.now + 20000 + rndn(S.max_delay);
		m->from = from;
		m->to = t;
		m->len = (u32)len;
		m->data = malloc(len);
		memcpy(m->data, buf, len);
	}
}

#define APP_INIT 0x9ae16a3b2f90404fULL

/* The model application applies one entry. */
static u64 app_apply(u64 h, u64 index, u8 type, u32 origin, u64 inc, u64 seq)
{
	u64 v[5] = { index, type, origin, inc, seq };

	return px_snap_chunk_sum(h, v, sizeof(v));
}

/* The reference state after every chosen entry up to @index, or 0. */
static u64 ref_state(u64 index)
{
	if (index >= MAX_INDEX)
		return 0;
	if (!S.ref_upto)
		S.ref[0] = APP_INIT;
	while (S.ref_upto < index && S.chosen[S.ref_upto + 1].set) {
		struct chosen *c = &S.chosen[S.ref_upto + 1];

		S.ref[S.ref_upto + 1] = app_apply(S.ref[S.ref_upto], S.ref_upto + 1,
						  c->type, c->origin, c->incarnation,
						  c->seq);
		S.ref_upto++;
	}
	return S.ref_upto >= index ? S.ref[index] : 0;
}

/* Padding byte @k of a snapshot of state @h: checked on install. */
static u8 pad_byte(u64 h, u64 k)
{
	return (u8)((h >> (k % 57)) ^ k ^ (k >> 8));
}

static struct prop *find_prop(u32 node, u64 inc, u64 seq)
{
	u32 i;

	for (i = 0; i < S.nprops; i++)
		if (S.props[i].node == node && S.props[i].incarnation == inc &&
		    S.props[i].seq == seq)
			return &S.props[i];
	return NULL;
}

static struct client *find_client(u64 session)
{
	u32 i;

	for (i = 0; i < NCLIENTS; i++)
		if (S.clients[i].session == session)
			return &S.clients[i];
	return NULL;
}

/*
 * A client write delivered as a value: one it wrote, once, and after the
 * write before it (a client sends a write once the one before committed).
 */
static void client_commit(struct simnode *sn, u64 index,
			  const struct px_prop_id *id, const void *data, u32 len)
{
	struct client *c = find_client(id->session);
	struct cwrite *w = c && id->cseq && id->cseq <= c->cseq ?
			   &c->w[id->cseq] : NULL;

	if (!w || w->len != len || memcmp(w->value, data, len))
		failf("validity", "node %u index %llu: not a client's write",
		      sn->id, (unsigned long long)index);
	else if (w->index && w->index != index)
		failf("integrity", "client write %llu/%llu committed at %llu and %llu",
		      (unsigned long long)id->session, (unsigned long long)id->cseq,
		      (unsigned long long)w->index, (unsigned long long)index);
	else if (id->cseq > 1 && (!c->w[id->cseq - 1].index ||
				  c->w[id->cseq - 1].index >= index))
		failf("order", "client write %llu/%llu at %llu before the one before it",
		      (unsigned long long)id->session, (unsigned long long)id->cseq,
		      (unsigned long long)index);
	else if (!w->index) {
		w->index = index;
		if (id->cseq == c->cseq)
			c->index = index;
	}
}

static void on_commit(void *ctx, u64 index, enum px_entry_type type,
		      const struct px_prop_id *id, const void *data, u32 len)
{
	u32 me = (u32)(uintptr_t)ctx;
	struct simnode *sn = &S.nodes[me];
	struct chosen *c;
	struct prop *p = NULL;

	S.commits++;
	if (sn->last_index && index != sn->last_index + 1)
		failf("order", "node %u delivered %llu after %llu", sn->id,
		      (unsigned long long)index, (unsigned long long)sn->last_index);
	sn->last_index = index;
	if (sn->app_valid && sn->app_index + 1 != index)
		failf("state", "node %u applied %llu after %llu", sn->id,
		      (unsigned long long)index, (unsigned long long)sn->app_index);
	sn->app_hash = app_apply(sn->app_hash, index, (u8)type,
				 type == PX_ENTRY_DATA ? id->origin : 0,
				 type == PX_ENTRY_DATA ? id->incarnation : 0,
				 type == PX_ENTRY_DATA ? id->seq : 0);
	sn->app_index = index;
	if (sn->snap_every && index >= sn->snap_last + sn->snap_every)
		sn->snap_due = true;
	if (index >= MAX_INDEX)
		return;
	if (type == PX_ENTRY_DATA && id->session) {
		client_commit(sn, index, id, data, len);
	} else if (type == PX_ENTRY_DATA) {
		u32 o;

		for (o = 0; o < S.n && S.nodes[o].id != id->origin; o++)
			;
		p = o < S.n ? find_prop(o, id->incarnation, id->seq) : NULL;
		if (!p || p->len != len || memcmp(p->value, data, len))
			failf("validity", "node %u index %llu: value never proposed",
			      sn->id, (unsigned long long)index);
		else if (p->index && p->index != index)
			failf("integrity", "proposal %u/%llu committed at %llu and %llu",
			      id->origin, (unsigned long long)id->seq,
			      (unsigned long long)p->index, (unsigned long long)index);
		else
			p->index = index;
	}
	c = &S.chosen[index];
	if (!c->set) {
		check_chosen(index, (u8)type, data, len);
		c->set = true;
		c->type = type;
		c->origin = type == PX_ENTRY_DATA ? id->origin : 0;
		c->incarnation = type == PX_ENTRY_DATA ? id->incarnation : 0;
		c->seq = type == PX_ENTRY_DATA ? id->seq : 0;
	} else if (c->type != type || (type == PX_ENTRY_DATA &&
		   (c->origin != id->origin || c->seq != id->seq ||
		    c->incarnation != id->incarnation))) {
		failf("agreement", "node %u index %llu differs from an earlier commit",
		      sn->id, (unsigned long long)index);
	}
	/* A client learns its write completed when its origin delivers it. */
	if (p && p->node == me && p->incarnation == sn->incarnation &&
	    index > S.acked_max)
		S.acked_max = index;
	trace("n%u commit %llu type %d", sn->id, (unsigned long long)index, type);
}

static void barrier_done(u32 me, u64 index, int err)
{
	struct simnode *sn = &S.nodes[me];

	if (!sn->barrier_busy)
		return;
	sn->barrier_busy = false;
	trace("n%u barrier done %llu err %d", sn->id, (unsigned long long)index, err);
	barrier_totals[!!err]++;
	/* A leader confirms its barriers with its own rounds, however asked. */
	if (err == -ETIMEDOUT && px_get_role(sn->px) == PX_ROLE_LEADER)
		failf("barrier", "node %u leads and timed out a barrier", sn->id);
	if (err)
		return;
	if (sn->barrier_asked && px_get_role(sn->px) == PX_ROLE_LEADER)
		barrier_totals[2]++;
	if (index < sn->barrier_floor)
		failf("linearizability", "barrier on node %u returned %llu < %llu acknowledged before",
		      sn->id, (unsigned long long)index,
		      (unsigned long long)sn->barrier_floor);
}

static void on_event(void *ctx, const struct px_event *ev)
{
	u32 me = (u32)(uintptr_t)ctx;

	if (ev->type == PX_EV_BARRIER && ev->a == S.nodes[me].barrier_token)
		barrier_done(me, ev->b, ev->err);
	if (ev->type == PX_EV_ROLE && ev->a == PX_ROLE_CANDIDATE)
		S.elections++;
	if (ev->type == PX_EV_ROLE && ev->a == PX_ROLE_LEADER &&
	    S.xfer_target == me + 1) {
		S.transferred++;
		S.xfer_target = 0;
	}
	if (ev->type == PX_EV_ROLE)
		trace("n%u role %llu", S.nodes[me].id, (unsigned long long)ev->a);
	if (ev->type == PX_EV_BEHIND) {
		S.nodes[me].last_index = ev->a - 1;
		/* Its application skipped entries: it cannot rebuild. */
		S.nodes[me].app_valid = false;
		if (S.snap_mode == 2)
			failf("skip", "node %u skipped to %llu without a snapshot",
			      S.nodes[me].id, (unsigned long long)ev->a);
	}
	if (ev->type == PX_EV_BEHIND)
		trace("n%u behind: log continues at %llu", S.nodes[me].id,
		      (unsigned long long)ev->a);
	/* A full log (strict retention) waits for the application's snapshot. */
	if (ev->type == PX_EV_LOG_FULL && ev->a)
		S.nodes[me].snap_due = true;
	if (ev->type == PX_EV_LOG_FULL)
		trace("n%u log %s (%llu bytes)", S.nodes[me].id,
		      ev->a ? "full" : "has room", (unsigned long long)ev->b);
}

static int snap_read(void *ctx, const struct px_snap *s, u64 off, void *buf,
		     u32 len)
{
	struct simnode *sn = &S.nodes[(u32)(uintptr_t)ctx];

	if (!sn->snap || sn->snap_meta.index != s->index ||
	    off + len > sn->snap_meta.size)
		return -ENOENT;
	memcpy(buf, sn->snap + off, len);
	return 0;
}

static int snap_write(void *ctx, const struct px_snap *s, u64 off,
		      const void *data, u32 len)
{
	struct simnode *sn = &S.nodes[(u32)(uintptr_t)ctx];
	u64 k = off / PX_SNAP_CHUNK;

	if (!sn->stage || memcmp(&sn->stage_meta, s, sizeof(*s))) {
		free(sn->stage);
		free(sn->stage_got);
		sn->stage = malloc(s->size);
		sn->stage_got = calloc((s->size + PX_SNAP_CHUNK - 1) /
				       PX_SNAP_CHUNK, 1);
		sn->stage_meta = *s;
		sn->stage_len = 0;
	}
	if (off % PX_SNAP_CHUNK || off >= s->size ||
	    len != (s->size - off < PX_SNAP_CHUNK ? s->size - off : PX_SNAP_CHUNK)) {
		failf("snapshot", "node %u: chunk of %u bytes at %llu", sn->id,
		      len, (unsigned long long)off);
		return -EINVAL;
	}
	memcpy(sn->stage + off, data, len);
	if (!sn->stage_got[k])
		sn->stage_len += len;
	sn->stage_got[k] = 1;
	return 0;
}

/* A snapshot arrived whole: it must be the reference state at its index. */
static void snap_install(void *ctx, const struct px_snap *s)
{
	u32 me = (u32)(uintptr_t)ctx;
	struct simnode *sn = &S.nodes[me];
	u64 index, hash, k;

	if (!sn->stage || sn->stage_len != s->size || s->size < 16) {
		failf("snapshot", "node %u installs %llu bytes of %llu", sn->id,
		      (unsigned long long)sn->stage_len, (unsigned long long)s->size);
		return;
	}
	memcpy(&index, sn->stage, 8);
	memcpy(&hash, sn->stage + 8, 8);
	for (k = 16; k < s->size; k++)
		if (sn->stage[k] != pad_byte(hash, k))
			break;
	if (index != s->index || k != s->size || hash != ref_state(index)) {
		failf("snapshot", "node %u: snapshot at %llu is not the state there",
		      sn->id, (unsigned long long)s->index);
		return;
	}
	free(sn->snap);
	free(sn->stage_got);
	sn->snap = sn->stage;
	sn->stage = NULL;
	sn->stage_got = NULL;
	sn->snap_meta = *s;
	sn->app_hash = hash;
	sn->app_index = index;
	sn->app_valid = true;
	sn->snap_last = index;
	sn->last_index = index;
	S.snaps_installed++;
	S.snap_bytes += s->size;
	trace("n%u installs snapshot %llu (%llu bytes)", sn->id,
	      (unsigned long long)index, (unsigned long long)s->size);
}

static const struct px_ops ops = {
	.send = net_send,
	.commit = on_commit,
	.event = on_event,
	.snap_read = snap_read,
	.snap_write = snap_write,
	.snap_install = snap_install,
};

static const struct px_ops ops_nosnap = {
	.send = net_send,
	.commit = on_commit,
	.event = on_event,
};

/* The application saves its state (outside the engine's callbacks). */
static void snapshot(u32 i)
{
	struct simnode *sn = &S.nodes[i];
	struct px_snap s = { .index = sn->app_index };
	u64 k;
	u8 *b;

	sn->snap_due = false;
	if (!sn->up || !sn->app_valid || !sn->app_index)
		return;
	/* Mostly up to 24 chunks; sometimes beyond the window of 64. */
	s.size = 16 + rndn(rndn(4) ? 24 * PX_SNAP_CHUNK : 96 * PX_SNAP_CHUNK);
	b = malloc(s.size);
	memcpy(b, &sn->app_index, 8);
	memcpy(b + 8, &sn->app_hash, 8);
	for (k = 16; k < s.size; k++)
		b[k] = pad_byte(sn->app_hash, k);
	s.csum = px_snap_csum(b, s.size);
	if (px_snapshot(sn->px, &s)) {
		free(b);
		return;
	}
	free(sn->snap);
	sn->snap = b;
	sn->snap_meta = s;
	sn->snap_last = s.index;
	S.snaps_taken++;
}

/* ------------------------------------------------ stable storage */

static void dwrite_free(struct dwrite *w)
{
	free(w->snap_bytes);
	free(w->index);
	free(w->e);
	memset(w, 0, offsetof(struct dwrite, meta));
	w->index = NULL;
	w->e = NULL;
	w->n = 0;
}

/* The disk goes with the seed. */
static void disk_free(struct disk *d)
{
	u64 k;

	if (!d)
		return;
	for (k = 0; k <= d->hi && k < MAX_INDEX; k++)
		free(d->e[k]);
	for (k = 0; k < PX_DUR_DEPTH; k++)
		dwrite_free(&d->w[k]);
	free(d->snap_bytes);
	free(d);
}

/* A new seed: an empty disk. */
static void disk_reset(struct simnode *sn)
{
	sn->disk = calloc(1, sizeof(*sn->disk));
	sn->disk->first = 1;
}

/* Hand the engine's dirty state to the disk, while it takes another write. */
static void flush_start(u32 i)
{
	struct simnode *sn = &S.nodes[i];
	struct disk *d = sn->disk;
	struct px_entry_view v;
	struct px_ready r;
	struct dwrite *w;
	u64 k;

	if (!S.durable || !sn->up || d->nw == S.disk_depth ||
	    !px_ready(sn->px, &r))
		return;
	w = &d->w[(d->head + d->nw++) % PX_DUR_DEPTH];
	w->token = r.token;
	w->done = false;
	/*
	 * Up to a third of a heartbeat, now and then two: long enough that
	 * answers wait for it and power losses strike writes in flight.
	 */
	w->done_at = S.now + 50000 + rndn(rndn(4) ? 3 * MS : 20 * MS);
	w->promised = r.promised;
	w->first = r.first;
	memset(&w->snap, 0, sizeof(w->snap));
	if (r.snap) {
		w->snap = *r.snap;
		w->snap_bytes = malloc(r.snap->size);
		if (snap_read((void *)(uintptr_t)i, r.snap, 0, w->snap_bytes,
			      (u32)r.snap->size))
			failf("storage", "n%u: snapshot %llu to write is gone", sn->id,
			      (unsigned long long)r.snap->index);
		memcpy(w->meta, r.meta, r.meta_len);
		w->meta_len = r.meta_len;
	}
	if (r.lo <= r.hi) {
		w->index = calloc(r.hi - r.lo + 1, sizeof(*w->index));
		w->e = calloc(r.hi - r.lo + 1, sizeof(*w->e));
	}
	for (k = r.lo; k <= r.hi; k++) {
		struct dentry *e = &w->e[w->n];

		if (px_durable_entry(sn->px, k, &v) || v.len > sizeof(e->value))
			continue;
		e->ballot = v.ballot;
		e->type = (u8)v.type;
		e->id = v.id;
		e->len = v.len;
		if (v.len)
			memcpy(e->value, v.data, v.len);
		w->index[w->n++] = k;
	}
	S.flushes++;
	S.overlapped += d->nw > 1;
}

/* Entry @k of write @w lands on the disk. */
static void disk_put(struct disk *d, const struct dwrite *w, u32 k)
{
	u64 index = w->index[k];

	if (index >= MAX_INDEX)
		return;
	if (!d->e[index])
		d->e[index] = malloc(sizeof(struct dentry));
	*d->e[index] = w->e[k];
	if (index > d->hi)
		d->hi = index;
}

/* The oldest write in flight lands (@upto of its entries, torn: fewer). */
static void disk_land(struct disk *d, u32 upto, bool whole)
{
	struct dwrite *w = &d->w[d->head];
	u32 k;

	/* The snapshot goes first: entries after it land only with it. */
	if ((whole || upto) && w->snap.index) {
		free(d->snap_bytes);
		d->snap = w->snap;
		d->snap_bytes = w->snap_bytes;
		w->snap_bytes = NULL;
		memcpy(d->meta, w->meta, w->meta_len);
		d->meta_len = w->meta_len;
	}
	for (k = 0; k < upto && k < w->n; k++)
		disk_put(d, w, k);
	if (whole) {
		d->promised = w->promised;
		d->first = w->first;
	}
	dwrite_free(w);
	d->head = (d->head + 1) % PX_DUR_DEPTH;
	d->nw--;
}

/* The write in flight that flushes first, or NULL: at *when. */
static struct dwrite *flush_next(struct disk *d, u64 *when)
{
	struct dwrite *w, *first = NULL;
	u32 k;

	for (k = 0; k < d->nw; k++) {
		w = &d->w[(d->head + k) % PX_DUR_DEPTH];
		if (!w->done && (!first || w->done_at < first->done_at))
			first = w;
	}
	if (first)
		*when = first->done_at;
	return first;
}

/*
 * A write is flushed: it and those before it land, and the engine hears
 * of the newest; one flushed ahead of an earlier write waits for it.
 */
static void flush_done(u32 i)
{
	struct simnode *sn = &S.nodes[i];
	struct disk *d = sn->disk;
	u64 when, token = 0;

	flush_next(d, &when)->done = true;
	while (d->nw && d->w[d->head].done) {
		token = d->w[d->head].token;
		disk_land(d, d->w[d->head].n, true);
	}
	if (!token) {
		S.flushed_ahead++;
		return;
	}
	S.cur = i;
	px_persisted(sn->px, token, local(i));
	trace("n%u persisted %llu", sn->id, (unsigned long long)token);
}

/* A PROMISE or ACCEPTED node @from sends: its disk must keep it. */
static void vote(u64 k, u64 ballot, u32 from)
{
	struct votes *v = &votes[k];
	u32 i, low = 0;

	if (k > votes_hi)
		votes_hi = k;
	for (i = 0; i < VOTE_BALLOTS; i++) {
		if (v->ballot[i] == ballot) {
			v->mask[i] |= 1u << from;
			return;
		}
		if (v->ballot[i] < v->ballot[low])
			low = i;
	}
	if (ballot < v->ballot[low])
		return;
	v->ballot[low] = ballot;
	v->mask[low] = 1u << from;
}

/* Whether the nodes in @mask make a quorum of every list of @c. */
static bool conf_quorum(const struct px_conf *c, u16 mask)
{
	u32 l, i, yes;

	for (l = 0; l < c->nlists; l++) {
		for (i = 0, yes = 0; i < c->count[l]; i++)
			yes += c->m[l][i].flags == PX_MEMBER_VOTER &&
			       c->m[l][i].id <= S.n &&
			       (mask & (1u << (c->m[l][i].id - 1)));
		if (yes < px_conf_voters(c, l) / 2 + 1)
			return false;
	}
	return true;
}

/*
 * The leader of @ballot counts its own vote for index @k once its disk
 * holds it: there, in that ballot or a later one, or in a snapshot.
 */
static u16 own_vote(u64 k, u64 ballot)
{
	u32 owner = (u32)ballot;
	const struct disk *d;

	if (!owner || owner > S.n)
		return 0;
	d = S.nodes[owner - 1].disk;
	if (d->snap.index >= k || (d->e[k] && d->e[k]->ballot >= ballot))
		return 1u << (owner - 1);
	return 0;
}

/* Index @k is delivered for the first time: was it chosen by a quorum? */
static void check_chosen(u64 k, u8 type, const void *data, u32 len)
{
	struct px_conf c;
	u32 i;

	if (!S.durable || k >= MAX_INDEX)
		return;
	conf_totals[3]++;
	for (i = 0; i < VOTE_BALLOTS; i++) {
		if (votes[k].ballot[i] &&
		    conf_quorum(&gov, votes[k].mask[i] |
				own_vote(k, votes[k].ballot[i])))
			break;
	}
	if (i == VOTE_BALLOTS)
		for (i = 0; i < VOTE_BALLOTS; i++)
			trace("votes at %llu: ballot %llx mask %x", (unsigned long long)k,
			      (unsigned long long)votes[k].ballot[i], votes[k].mask[i]);
	if (i == VOTE_BALLOTS)
		failf("quorum", "index %llu chosen without a quorum of the configuration at %llu",
		      (unsigned long long)k, (unsigned long long)gov_index);
	if (type == PX_ENTRY_CONFIG && !px_conf_decode(&c, data, len)) {
		gov = c;
		gov_index = k;
		conf_totals[2]++;
	}
}

static void note_vote(u32 from, const void *buf, size_t len)
{
	struct disk *d = S.nodes[from].disk;
	struct px_msg m;
	u64 k;

	if (px_wire_decode(buf, len, &m))
		return;
	if (m.h.type == PX_MSG_PROMISE && m.h.ballot > d->promised_sent)
		d->promised_sent = m.h.ballot;
	if (m.h.type != PX_MSG_ACCEPTED)
		return;
	for (k = m.accepted.lo; k <= m.accepted.hi && k < MAX_INDEX; k++)
		vote(k, m.h.ballot, from);
	/* A vote for what some node delivered already chooses nothing new. */
	for (k = m.accepted.lo; k <= m.accepted.hi && k < MAX_INDEX; k++)
		if (!S.chosen[k].set && m.h.ballot > d->voted[k])
			d->voted[k] = m.h.ballot;
	if (m.accepted.hi > d->voted_hi)
		d->voted_hi = m.accepted.hi;
}

/*
 * The node crashed: of its write in flight, none or some entries stay.
 * Every vote it sent must be on its disk (or a later one at the same
 * index, or a snapshot covering it): persist before answering.
 */
static void disk_crash(struct simnode *sn)
{
	struct disk *d = sn->disk;
	u32 keep;
	u64 k;

	if (d->nw) {
		keep = rndn(2) ? (u32)rndn(d->w[d->head].n + 1) : 0;
		S.torn += keep > 0;
		disk_land(d, keep, false);
	}
	while (d->nw)
		disk_land(d, 0, false);
	if (d->promised < d->promised_sent)
		failf("durability", "n%u promised %llx, its disk holds %llx",
		      sn->id, (unsigned long long)d->promised_sent,
		      (unsigned long long)d->promised);
	for (k = d->snap.index + 1; k <= d->voted_hi && k < MAX_INDEX; k++)
		if (d->voted[k] && (!d->e[k] || d->e[k]->ballot < d->voted[k])) {
			failf("durability", "n%u voted for %llu in %llx, its disk lacks it",
			      sn->id, (unsigned long long)k,
			      (unsigned long long)d->voted[k]);
			break;
		}
}

/*
 * A node restarts from its disk: the application from the snapshot there
 * (it must be the reference state at its index), the engine from the
 * snapshot, the entries after it and the promise.
 */
static void disk_restore(u32 i)
{
	struct simnode *sn = &S.nodes[i];
	struct disk *d = sn->disk;
	struct px_entry_view v;
	u64 k, index, hash;

	if (d->snap.index) {
		memcpy(&index, d->snap_bytes, 8);
		memcpy(&hash, d->snap_bytes + 8, 8);
		if (index != d->snap.index || hash != ref_state(index))
			failf("storage", "n%u: snapshot %llu on disk is not the state there",
			      sn->id, (unsigned long long)d->snap.index);
		if (px_restore_snap(sn->px, &d->snap, d->meta, d->meta_len))
			failf("storage", "n%u: snapshot %llu refused on restore",
			      sn->id, (unsigned long long)d->snap.index);
		sn->snap = malloc(d->snap.size);
		memcpy(sn->snap, d->snap_bytes, d->snap.size);
		sn->snap_meta = d->snap;
		sn->snap_last = index;
		sn->app_index = index;
		sn->app_hash = hash;
		sn->last_index = index;
	}
	for (k = d->snap.index + 1; k <= d->hi && !S.fail; k++) {
		struct dentry *e = d->e[k];

		if (!e)
			continue;
		v.ballot = e->ballot;
		v.type = e->type;
		v.id = e->id;
		v.data = e->value;
		v.len = e->len;
		if (px_restore_entry(sn->px, k, &v))
			failf("storage", "n%u: entry %llu refused on restore", sn->id,
			      (unsigned long long)k);
	}
	if (px_restore_promise(sn->px, d->promised))
		failf("storage", "n%u: promise refused on restore", sn->id);
	if (S.trace) {
		struct px_status st;

		px_get_status(sn->px, &st, local(i));
		trace("n%u config %llu unknown %d voters %u pending %d", sn->id,
		      (unsigned long long)st.config_index, st.config_unknown,
		      st.nvoters, st.config_pending);
	}
	trace("n%u restored: snapshot %llu, entries to %llu, promise %llx", sn->id,
	      (unsigned long long)d->snap.index, (unsigned long long)d->hi,
	      (unsigned long long)d->promised);
}

/* After an engine call on node @i. */
static void after(u32 i)
{
	if (S.nodes[i].up && S.nodes[i].snap_due)
		snapshot(i);
	flush_start(i);
}

static void start(u32 i)
{
	struct simnode *sn = &S.nodes[i];
	struct px_config cfg = S.cfg;

	cfg.self_id = sn->id;
	if (sn->id == S.fresh) {
		/* It knows the others and joins as a learner: it is new. */
		cfg.members[cfg.nmembers++] = sn->id;
		if (!cfg.nvoters)
			cfg.nvoters = cfg.nmembers - 1;
	}
	sn->incarnation = S.now + 1 + i;
	sn->last_index = 0;
	sn->barrier_busy = false;
	/* The application starts empty too. */
	sn->app_hash = APP_INIT;
	sn->app_index = 0;
	sn->app_valid = true;
	sn->snap_last = 0;
	sn->snap_due = false;
	free(sn->snap);
	free(sn->stage);
	free(sn->stage_got);
	sn->snap = NULL;
	sn->stage = NULL;
	sn->stage_got = NULL;
	px_node_create(&cfg, S.snap_mode ? &ops : &ops_nosnap,
		       (void *)(uintptr_t)i, sn->incarnation, rnd(), local(i),
		       &sn->px);
	sn->up = sn->px != NULL;
	if (sn->up && S.durable)
		disk_restore(i);
	trace("n%u start incarnation %llu", sn->id, (unsigned long long)sn->incarnation);
}

static void crash(u32 i)
{
	struct simnode *sn = &S.nodes[i];
	u32 k;

	px_node_destroy(sn->px);
	sn->px = NULL;
	sn->up = false;
	if (S.durable)
		disk_crash(sn);
	for (k = 0; k < S.nprops; k++)
		if (S.props[k].node == i && !S.props[k].index &&
		    S.props[k].incarnation == sn->incarnation)
			S.props[k].lost = true;
	trace("n%u crash", sn->id);
}

/* Nodes without their memory: down, or up but still recovering. */
static u32 amnesic(void)
{
	struct px_status st;
	u32 i, c = 0;

	for (i = 0; i < S.n; i++) {
		if (!S.nodes[i].up) {
			c++;
			continue;
		}
		px_get_status(S.nodes[i].px, &st, local(i));
		c += st.role == PX_ROLE_RECOVERING;
	}
	return c;
}

static void propose(u32 i, bool retry)
{
	struct simnode *sn = &S.nodes[i];
	struct px_prop_id id = { 0 };
	struct prop *p;
	u32 k;

	if (!sn->up || S.nprops >= MAX_PROPS)
		return;
	if (retry) {
		/* A client retries an unconfirmed write with the same id. */
		for (k = S.nprops; k-- > 0;) {
			p = &S.props[k];
			if (p->node == i && p->incarnation == sn->incarnation &&
			    !p->index) {
				id.seq = p->seq;
				px_propose(sn->px, &id, p->value, p->len, local(i));
				after(i);
				return;
			}
		}
		return;
	}
	p = &S.props[S.nprops];
	memset(p, 0, sizeof(*p));
	p->node = i;
	p->incarnation = sn->incarnation;
	p->len = 8 + (u32)rndn(16);
	for (k = 0; k < p->len; k++)
		p->value[k] = (u8)rnd();
	p->issued = S.now;
	if (px_propose(sn->px, NULL, p->value, p->len, local(i))) {
		after(i);
		return;
	}
	after(i);
	p->seq = px_last_seq(sn->px);
	S.nprops++;
}

/*
 * Client @k writes through a random node: its next write once the last
 * one committed, or again the one that waits; now and then again one
 * that committed, as a client that lost the answer would.
 */
static void client_write(u32 k, bool fresh)
{
	struct client *c = &S.clients[k];
	u32 i = (u32)rndn(S.n), j;
	struct px_prop_id id = { 0 };
	struct cwrite *w;

	if (!fresh && (c->index || !c->cseq))
		return;
	if ((!c->cseq || (c->index && rndn(5))) && c->cseq + 1 < CWRITES) {
		c->cseq++;
		c->index = 0;
		w = &c->w[c->cseq];
		w->len = 8 + (u32)rndn(16);
		for (j = 0; j < w->len; j++)
			w->value[j] = (u8)rnd();
	} else if (c->index) {
		S.repeats++;
	} else if (!c->cseq) {
		return;
	}
	w = &c->w[c->cseq];
	if (!S.nodes[i].up)
		return;
	id.session = c->session;
	id.cseq = c->cseq;
	S.cur = i;
	px_propose(S.nodes[i].px, &id, w->value, w->len, local(i));
	after(i);
}

static void barrier(u32 i)
{
	struct simnode *sn = &S.nodes[i];
	u64 index = 0;
	int r;

	if (!sn->up || sn->barrier_busy)
		return;
	sn->barrier_token++;
	sn->barrier_floor = S.acked_max;
	sn->barrier_busy = true;
	sn->barrier_asked = px_get_role(sn->px) != PX_ROLE_LEADER;
	r = px_read_barrier(sn->px, sn->barrier_token, &index, local(i));
	trace("n%u barrier %llu floor %llu: %d", sn->id,
	      (unsigned long long)sn->barrier_token,
	      (unsigned long long)sn->barrier_floor, r);
	after(i);
	if (r == 0)
		barrier_done(i, index, 0);
	else if (r < 0)
		sn->barrier_busy = false;
}

static void check_leases(void)
{
	struct px_status st;
	u32 i, holders = 0, who[9];

	for (i = 0; i < S.n; i++) {
		if (!S.nodes[i].up)
			continue;
		px_get_status(S.nodes[i].px, &st, local(i));
		if (st.lease_valid)
			who[holders++] = S.nodes[i].id;
	}
	if (holders > 1)
		failf("lease", "nodes %u and %u both hold a valid lease", who[0], who[1]);
}

/* The members @in names (0: not named, else the flags) into @m. */
static u32 sim_members(const u8 *in, struct px_member_spec *m)
{
	u32 i, cnt = 0;

	memset(m, 0, 9 * sizeof(*m));
	for (i = 0; i < S.n; i++) {
		if (!in[i])
			continue;
		m[cnt].id = i + 1;
		m[cnt].flags = in[i];
		m[cnt].family = 4;
		m[cnt].addr[0] = 10;
		m[cnt].addr[3] = (u8)(i + 1);
		m[cnt].port = 7000;
		cnt++;
	}
	return cnt;
}

/*
 * A change waits on leader @l (configuration @in): learner @id left out.
 * If the change waits for @id to catch up, that gives the change up;
 * else it is refused (EBUSY) like any other while one waits (or
 * EAGAIN: the leader hands over).
 */
static void config_cancel(u32 l, u8 *in, u32 id)
{
	struct px_member_spec m[9];
	u32 cnt;
	int err;

	in[id - 1] = 0;
	cnt = sim_members(in, m);
	S.cur = l;
	err = px_config_change(S.nodes[l].px, m, cnt, local(l));
	if (!err) {
		S.conf_cancels++;
		trace("n%u gives up the change under way: n%u left out",
		      S.nodes[l].id, id);
	} else if (err != -EBUSY && err != -EAGAIN) {
		failf("config", "n%u: a change left out learner n%u: %d",
		      S.nodes[l].id, id, err);
	}
	after(l);
}

/*
 * The leader is asked to change the configuration: a member added as a
 * voter, one removed (the leader too), or one replaced by another; a
 * learner may leave the configuration altogether, and a node it does
 * not name (one the others never knew: S.fresh) come in.  One time in
 * four a follower is asked instead and sends the change on (CHANGE).
 */
static void config_change(void)
{
	struct px_member_spec m[9];
	struct px_status st;
	u32 i, l, a, b, c, nv = 0, cnt = 0;
	u8 in[9];		/* 0 not named, else the flags */
	u64 what = rndn(3);
	bool more = false, cancel = false;

	for (l = 0; l < S.n; l++) {
		if (!S.nodes[l].up)
			continue;
		px_get_status(S.nodes[l].px, &st, local(l));
		if (st.role != PX_ROLE_LEADER || st.config_joint)
			continue;
		if (!st.config_pending)
			break;
		/* A change waits: sometimes give a learner up (a cancel). */
		if (st.nlearners && !rndn(2)) {
			cancel = true;
			break;
		}
	}
	if (l == S.n)
		return;
	memset(in, 0, sizeof(in));
	for (i = 0; i < st.nvoters; i++)
		in[st.voters[i] - 1] = PX_MEMBER_VOTER;
	for (i = 0; i < st.nlearners; i++)
		in[st.learners[i] - 1] = PX_MEMBER_LEARNER;
	if (cancel) {
		config_cancel(l, in, st.learners[rndn(st.nlearners)]);
		return;
	}
	nv = st.nvoters;
	/* to add: often one not named, if there is one */
	a = (u32)rndn(S.n);
	for (i = 0; i < S.n && rndn(2); i++)
		if (!in[i])
			a = i;
	b = rndn(3) ? (u32)rndn(S.n) : l;	/* to remove: often the leader */
	c = (u32)rndn(S.n);			/* to leave or come in */
	if (what != 1 && in[a] != PX_MEMBER_VOTER) {
		more |= !in[a];
		in[a] = PX_MEMBER_VOTER;
		nv++;
	}
	if (what != 0 && in[b] == PX_MEMBER_VOTER && nv > 2)
		in[b] = rndn(2) ? PX_MEMBER_LEARNER : 0;
	if (!rndn(3) && c != a && in[c] != PX_MEMBER_VOTER) {
		more |= !in[c];
		in[c] = in[c] ? 0 : PX_MEMBER_LEARNER;
	}
	cnt = sim_members(in, m);
	if (cnt && !rndn(4))
		m[(u32)rndn(cnt)].port = 7001;	/* an address changes */
	if (!rndn(4)) {
		u32 f = (u32)rndn(S.n);

		if (f != l && S.nodes[f].up) {
			S.cur = f;
			if (px_config_change(S.nodes[f].px, m, cnt, local(f)) ==
			    -EINPROGRESS) {
				S.conf_fwd++;
				trace("n%u asks the leader n%u for a change: add n%u, remove n%u, n%u in or out (%llu)",
				      S.nodes[f].id, S.nodes[l].id, a + 1, b + 1,
				      c + 1, (unsigned long long)what);
			}
			after(f);
			return;
		}
	}
	S.cur = l;
	if (!px_config_change(S.nodes[l].px, m, cnt, local(l))) {
		S.conf_changes++;
		S.conf_new += more;
		trace("n%u changes the configuration: add n%u, remove n%u, n%u in or out (%llu)",
		      S.nodes[l].id, a + 1, b + 1, c + 1,
		      (unsigned long long)what);
	}
	after(l);
}

static u64 prnd(u64 n)
{
	S.prng = S.prng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (S.prng >> 33) % n;
}

/*
 * A new preferred leader on every node that runs (and any that starts
 * later): a member, or now and then none or an id no member has.
 */
static void prefer(void)
{
	u32 id = (u32)prnd(S.n + 2), i;

	if (id > S.n)
		id = S.n < 9 ? 9 : 0;
	S.pref = id;
	S.cfg.preferred_leader = id;
	for (i = 0; i < S.n; i++) {
		if (!S.nodes[i].up)
			continue;
		S.cur = i;
		px_set_preferred(S.nodes[i].px, id, local(i));
		after(i);
	}
	pref_totals[1]++;
	trace("preferred n%u", id);
}

/* Whether node @id votes in the configuration delivered last. */
static bool gov_voter(u32 id)
{
	return gov.nlists == 1 && px_conf_votes(&gov, 0, id);
}

static void random_fault(void)
{
	u32 a = (u32)rndn(S.n), b = (u32)rndn(S.n);
	u64 r = rndn(100);

	if (r < 25) {
		if (a != b) {
			S.blocked[a][b] = true;
			if (rndn(2))
				S.blocked[b][a] = true;
			trace("cut %u->%u", S.nodes[a].id, S.nodes[b].id);
		}
	} else if (r < 45) {
		memset(S.blocked, 0, sizeof(S.blocked));
		trace("heal");
	} else if (r < 60) {
		/* Kill the leader if there is one, else anyone. */
		struct px_status st;
		u32 i;

		for (i = 0; i < S.n; i++) {
			if (!S.nodes[i].up)
				continue;
			px_get_status(S.nodes[i].px, &st, local(i));
			if (st.role == PX_ROLE_LEADER || st.role == PX_ROLE_CANDIDATE)
				a = i;
		}
		/* With stable storage any number may crash at once. */
		if (S.nodes[a].up &&
		    (S.durable || amnesic() + 1 <= S.n - (S.n / 2 + 1))) {
			crash(a);
			S.nodes[a].down_until = S.now + 50 * MS + rndn(400 * MS);
		}
	} else if (r < 70) {
		/* Isolate one node completely. */
		u32 i;

		for (i = 0; i < S.n; i++)
			S.blocked[a][i] = S.blocked[i][a] = i != a;
		trace("isolate %u", S.nodes[a].id);
	} else if (r < 75) {
		/* The leader hands over to another node. */
		struct px_status st;
		u32 i;

		for (i = 0; i < S.n; i++) {
			if (!S.nodes[i].up)
				continue;
			px_get_status(S.nodes[i].px, &st, local(i));
			if (st.role != PX_ROLE_LEADER || i == b || !S.nodes[b].up)
				continue;
			S.cur = i;
			if (!px_transfer(S.nodes[i].px, S.nodes[b].id, local(i))) {
				S.transfers++;
				S.xfer_target = b + 1;
				trace("n%u hands over to n%u", S.nodes[i].id,
				      S.nodes[b].id);
			}
			after(i);
			/*
			 * Half the time the old leader then hears nothing: it
			 * must not go on reading by its lease.
			 */
			if (rndn(2))
				for (a = 0; a < S.n; a++)
					S.blocked[a][i] = a != i;
		}
	} else if (r < 85 && S.durable) {
		/* Power loss: every node at once, each back in its own time. */
		u32 i;

		for (i = 0; i < S.n; i++) {
			if (!S.nodes[i].up)
				continue;
			crash(i);
			S.nodes[i].down_until = S.now + 20 * MS + rndn(300 * MS);
		}
		S.power_losses++;
		trace("power loss");
	} else if (S.durable) {
		config_change();
	}
	/* A node new to the others is brought in sooner. */
	if (S.fresh && !px_conf_names(&gov, S.fresh) && rndn(2))
		config_change();
}

/* The leader's index if one leads and every other node follows it, or -1. */
static int settled_leader(void)
{
	struct px_status st;
	int l = -1;
	u32 i, lid = 0;

	for (i = 0; i < S.n; i++) {
		if (!px_conf_names(&gov, i + 1))
			continue;	/* not a member: it knows no leader */
		if (!S.nodes[i].up)
			return -1;
		px_get_status(S.nodes[i].px, &st, local(i));
		if (st.role == PX_ROLE_LEADER) {
			if (l >= 0)
				return -1;
			l = (int)i;
		} else if (st.role != PX_ROLE_FOLLOWER) {
			return -1;
		}
		if (!st.leader || (lid && st.leader != lid))
			return -1;
		lid = st.leader;
	}
	return l >= 0 && S.nodes[l].id == lid ? l : -1;
}

static void flap_isolate(u32 a, bool cut)
{
	u32 i;

	for (i = 0; i < S.n; i++)
		S.blocked[a][i] = S.blocked[i][a] = cut && i != a;
}

/*
 * The flapping link: wait for a settled leader, then cut one follower
 * off and reconnect it in turns of 20 to 120 ms (the election timeout is
 * 50 ms) for 300 to 700 ms.  No node may start an election meanwhile and
 * the leader must still lead at the end.  Returns whether the random
 * faults may begin.
 */
static bool flap_step(void)
{
	struct px_status st;
	int l;

	if (S.flap == 2)
		return true;
	if (S.flap == 0) {
		l = S.now >= 150 * MS ? settled_leader() : -1;
		if (l < 0) {
			if (S.now < 1000 * MS)
				return false;
			flap_totals[2]++;	/* never settled: no check */
			S.flap = 2;
			return true;
		}
		S.flap = 1;
		S.flap_leader = (u32)l;
		if (S.fresh)	/* the last node, not a member yet */
			S.flap_node = ((u32)l + 1 + (u32)rndn(S.n - 2)) %
				      (S.n - 1);
		else
			S.flap_node = ((u32)l + 1 + (u32)rndn(S.n - 1)) % S.n;
		S.flap_elections = S.elections;
		S.flap_end = S.now + 300 * MS + rndn(400 * MS);
		S.flap_next = S.now;
		flap_totals[0]++;
		trace("flap n%u (leader n%u)", S.nodes[S.flap_node].id,
		      S.nodes[l].id);
	}
	if (S.now >= S.flap_end) {
		flap_isolate(S.flap_node, false);
		S.flap = 2;
		px_get_status(S.nodes[S.flap_leader].px, &st, local(S.flap_leader));
		if (S.elections != S.flap_elections)
			failf("flap", "%llu elections while n%u flapped",
			      (unsigned long long)(S.elections - S.flap_elections),
			      S.nodes[S.flap_node].id);
		else if (st.role != PX_ROLE_LEADER)
			failf("flap", "leader n%u lost the lead while n%u flapped",
			      S.nodes[S.flap_leader].id, S.nodes[S.flap_node].id);
		return true;
	}
	if (S.now >= S.flap_next) {
		bool cut = !S.blocked[S.flap_node][S.flap_leader];

		flap_isolate(S.flap_node, cut);
		S.flap_cuts += cut;
		flap_totals[1] += cut;
		S.flap_next = S.now + 20 * MS + rndn(100 * MS);
		trace("flap n%u %s", S.nodes[S.flap_node].id, cut ? "cut" : "up");
	}
	return false;
}

static void deliver(u32 k)
{
	struct msg m = S.msgs[k];

	S.msgs[k] = S.msgs[--S.nmsgs];
	if (S.nodes[m.to].up && !S.blocked[m.from][m.to]) {
		S.cur = m.to;
		px_receive(S.nodes[m.to].px, m.data, m.len, local(m.to));
		after(m.to);
	}
	free(m.data);
}

static int run(u64 seed, u32 n)
{
	u64 fault_end, end, next_action = 0, next_fault, loss, fault_len;
	u32 i;

	for (i = 0; i < S.nmsgs; i++)
		free(S.msgs[i].data);
	for (i = 0; i < 9; i++) {
		free(S.nodes[i].snap);
		free(S.nodes[i].stage);
		free(S.nodes[i].stage_got);
		disk_free(S.nodes[i].disk);
	}
	memset(&S, 0, sizeof(S));
	S.seed = seed;
	S.rng = seed * 0x100000001B3ULL + n;
	S.prng = seed * 0x9E3779B97F4A7C15ULL + n;
	S.n = n;
	S.trace = getenv("SIM_TRACE") != NULL;
	S.cfg.cluster_id = 7;
	S.cfg.nmembers = n;
	for (i = 0; i < n; i++) {
		S.cfg.members[i] = i + 1;
		S.nodes[i].id = i + 1;
	}
	for (i = 0; i < NCLIENTS; i++)
		S.clients[i].session = rnd() | 1;
	S.cfg.heartbeat_ns = 10 * MS;
	S.cfg.election_ns = 50 * MS;
	S.cfg.lease_ns = rndn(4) ? 100 * MS : 0;
	S.cfg.drift_ppm = 20000;
	S.cfg.window = 8 + (u32)rndn(57);
	S.cfg.retain = 4 + (u32)rndn(260);
	S.cfg.batch_bytes = rndn(2) ? 256 : 0;
	/* A quarter of the seeds without snapshots, the rest half strict. */
	S.snap_mode = rndn(4) ? 1 + (int)rndn(2) : 0;
	S.cfg.snapshots = S.snap_mode == 2;
	/* Half the strict seeds with stable storage on every node. */
	S.durable = S.snap_mode == 2 && (seed >> 1) % 2;
	/* Half of those with two writes in flight per node. */
	S.disk_depth = S.durable && (seed >> 2) % 2 ? PX_DUR_DEPTH : 1;
	S.cfg.durable = S.durable;
	/*
	 * With stable storage, configurations change: some members start
	 * as learners, and faults include changes (random_fault()).
	 */
	S.cfg.nvoters = S.durable ? n - 2 * (u32)rndn(n / 2) : 0;
	/*
	 * Half of them with a node the others do not know at start: a
	 * brand-new id that a change brings in, as a learner first.
	 */
	if (S.durable && n >= 4 && rndn(2)) {
		S.fresh = n;
		S.cfg.nmembers = n - 1;
		if (S.cfg.nvoters > n - 1)
			S.cfg.nvoters = n - 1;
		fresh_totals[0]++;
	}
	memset(votes, 0, (votes_hi + 1) * sizeof(votes[0]));
	votes_hi = 0;
	memset(&gov, 0, sizeof(gov));
	gov.nlists = 1;
	gov.count[0] = (u8)S.cfg.nmembers;
	for (i = 0; i < S.cfg.nmembers; i++) {
		gov.m[0][i].id = i + 1;
		gov.m[0][i].flags = !S.cfg.nvoters || i < S.cfg.nvoters ?
				    PX_MEMBER_VOTER : PX_MEMBER_LEARNER;
	}
	gov_index = 0;
	conf_totals[0] += S.durable;
	for (i = 0; i < n && S.durable; i++)
		disk_reset(&S.nodes[i]);
	/*
	 * A third of the seeds bound the log's bytes: to 8 to 70 values under
	 * strict retention, to 64 to 320 otherwise, where the bound drops
	 * entries members lack and too small a one makes every node skip.
	 */
	S.cfg.retain_bytes = seed % 3 ? 0 : (seed * 2654435761ULL) % 1024 +
			     (S.snap_mode == 2 ? 128 : 4 * 256);
	for (i = 0; i < n; i++)
		S.nodes[i].snap_every = S.snap_mode ?
			2 + (u32)rndn(S.cfg.retain) : 0;
	loss = rndn(25);
	/* While the link flaps, the rest of the network loses almost nothing. */
	S.loss_pct = loss < 2 ? loss : 2;
	S.dup_pct = rndn(10);
	S.max_delay = 1 * MS + rndn(8 * MS);
	for (i = 0; i < n; i++) {
		S.nodes[i].drift_ppm = (s64)rndn(20000) - 10000;
		S.now = rndn(5 * MS);
		start(i);
	}
	S.now = 0;
	fault_len = 800 * MS + rndn(800 * MS);
	/* The random faults begin once the link stopped flapping. */
	fault_end = U64_MAX / 4;
	end = U64_MAX / 2;
	next_fault = 0;
	S.flap = 0;

	while (S.now < end && !S.fail) {
		u64 t = end, dl;
		int what = 0;	/* 1 msg, 2 node timer, 3 action, 4 flush */
		u32 k, who = 0;

		for (k = 0; k < S.nmsgs; k++)
			if (S.msgs[k].at < t) {
				t = S.msgs[k].at;
				what = 1;
				who = k;
			}
		for (i = 0; i < S.n; i++) {
			if (!S.nodes[i].up)
				continue;
			dl = to_real(i, px_next_deadline(S.nodes[i].px));
			if (dl < t) {
				t = dl;
				what = 2;
				who = i;
			}
		}
		if (next_action < t) {
			t = next_action;
			what = 3;
		}
		for (i = 0; i < S.n && S.durable; i++) {
			if (S.nodes[i].up &&
			    flush_next(S.nodes[i].disk, &dl) && dl < t) {
				t = dl;
				what = 4;
				who = i;
			}
		}
		if (t > S.now)
			S.now = t;
		if (what == 1) {
			deliver(who);
		} else if (what == 2) {
			S.cur = who;
			px_tick(S.nodes[who].px, local(who));
			after(who);
		} else if (what == 4) {
			flush_done(who);
			after(who);
		} else if (what == 3) {
			next_action = S.now + 2 * MS + rndn(10 * MS);
			if (S.flap != 2 && flap_step()) {
				S.loss_pct = loss;
				fault_end = S.now + fault_len;
				end = fault_end + 3000 * MS;
				next_fault = S.now + 20 * MS;
				/*
				 * Half the seeds prefer a leader from here (not
				 * while the link flapped: a hand-over is an
				 * election).
				 */
				if (prnd(2)) {
					pref_totals[0]++;
					prefer();
				}
			}
			/* Now and then the operator changes their mind. */
			if (S.flap == 2 && S.now < fault_end && S.cfg.preferred_leader &&
			    !prnd(150))
				prefer();
			if (S.flap == 2 && S.now < fault_end && S.now >= next_fault) {
				random_fault();
				next_fault = S.now + 20 * MS + rndn(150 * MS);
			}
			if (S.now >= fault_end && S.now < fault_end + 20 * MS) {
				memset(S.blocked, 0, sizeof(S.blocked));
				S.loss_pct = 0;
				S.dup_pct = 0;
			}
			for (i = 0; i < S.n; i++)
				if (!S.nodes[i].up && (S.now >= S.nodes[i].down_until ||
						       S.now >= fault_end))
					start(i);
			if (S.now < fault_end + 500 * MS) {
				u32 r = (u32)rndn(100);

				if (r < 50)
					propose((u32)rndn(S.n), false);
				else if (r < 60)
					propose((u32)rndn(S.n), true);
				else if (r < 75)
					client_write((u32)rndn(NCLIENTS), true);
				else if (r < 85)
					barrier((u32)rndn(S.n));
			} else if (!rndn(4)) {
				client_write((u32)rndn(NCLIENTS), false);
			}
		}
		check_leases();
	}
	/*
	 * A preferred voter up at the end, after 3 s of quiet network (60
	 * election timeouts, 6 back-offs): it leads.
	 */
	if (!S.fail && S.pref && gov_voter(S.pref) && S.nodes[S.pref - 1].up) {
		int l = settled_leader();

		pref_totals[2]++;
		if (l >= 0 && S.nodes[l].id == S.pref)
			pref_totals[3]++;
		else
			failf("prefer", "n%u preferred, n%d leads at the end",
			      S.pref, l >= 0 ? (int)S.nodes[l].id : 0);
	}
	/* Liveness: every client write committed (clients never give up). */
	for (i = 0; i < NCLIENTS && !S.fail; i++) {
		struct client *c = &S.clients[i];

		if (c->cseq && !c->index && S.trace) {
			struct px_status st;
			u32 j;

			for (j = 0; j < S.n; j++) {
				if (!S.nodes[j].up)
					continue;
				px_get_status(S.nodes[j].px, &st, local(j));
				trace("n%u role %d unknown %d cidx %llu voters %u",
				      S.nodes[j].id, st.role, st.config_unknown,
				      (unsigned long long)st.config_index, st.nvoters);
			}
		}
		if (c->cseq && !c->index)
			failf("liveness", "client write %llu/%llu never committed",
			      (unsigned long long)c->session,
			      (unsigned long long)c->cseq);
	}
	/* Liveness: every proposal whose origin survived has committed. */
	if (!S.fail) {
		for (i = 0; i < S.nprops; i++) {
			struct prop *p = &S.props[i];

			/* A node left out, or never in, may wait forever. */
			if (!p->index && !p->lost &&
			    px_conf_names(&gov, S.nodes[p->node].id)) {
				failf("liveness", "proposal %u/%llu issued at %.3fms never committed",
				      S.nodes[p->node].id, (unsigned long long)p->seq,
				      p->issued / 1e6);
				break;
			}
		}
	}
	if (!S.fail) {
		/*
		 * With the network healed for seconds, every node that is up
		 * has finished recovering and delivered the highest commit.
		 */
		struct px_status st;
		u64 hi = 0;

		for (i = 0; i < S.n; i++)
			if (S.nodes[i].up && S.nodes[i].last_index > hi)
				hi = S.nodes[i].last_index;
		for (i = 0; i < S.n && !S.fail; i++) {
			/* One the configuration leaves out hears nothing. */
			if (!S.nodes[i].up || !px_conf_names(&gov, i + 1))
				continue;
			px_get_status(S.nodes[i].px, &st, local(i));
			if (st.role == PX_ROLE_RECOVERING)
				failf("liveness", "n%u still recovering at the end",
				      S.nodes[i].id);
			else if (S.nodes[i].last_index < hi)
				failf("liveness", "n%u delivered %llu of %llu",
				      S.nodes[i].id,
				      (unsigned long long)S.nodes[i].last_index,
				      (unsigned long long)hi);
			/* Its writers all had their answer. */
			else if (st.pending)
				failf("liveness", "n%u: %u proposals of its own still wait",
				      S.nodes[i].id, st.pending);
		}
	}
	if (!S.fail) {
		/* Every node delivered the same log up to the lowest point. */
		u64 lo = U64_MAX;

		for (i = 0; i < S.n; i++)
			if (S.nodes[i].up && px_conf_names(&gov, i + 1) &&
			    S.nodes[i].last_index < lo)
				lo = S.nodes[i].last_index;
		if (S.fresh && px_conf_names(&gov, S.fresh) &&
		    S.nodes[S.fresh - 1].up && lo != U64_MAX && lo)
			fresh_totals[2]++;
		if (S.nprops && lo == 0)
			failf("liveness", "a node delivered nothing");
	}
	/* Every application that never skipped holds the reference state. */
	for (i = 0; i < S.n && !S.fail; i++) {
		struct simnode *sn = &S.nodes[i];

		if (sn->up && sn->app_valid && sn->app_index &&
		    sn->app_hash != ref_state(sn->app_index))
			failf("state", "node %u: state at %llu differs from the log's",
			      sn->id, (unsigned long long)sn->app_index);
	}
	sim_totals[0] += S.snaps_taken;
	sim_totals[1] += S.snaps_installed;
	sim_totals[2] += S.snap_bytes;
	xfer_totals[0] += S.transfers;
	xfer_totals[1] += S.transferred;
	disk_totals[0] += S.durable;
	conf_totals[1] += S.conf_changes;
	fwd_totals += S.conf_fwd;
	cancel_totals += S.conf_cancels;
	fresh_totals[1] += S.conf_new;
	disk_totals[1] += S.flushes;
	disk_totals[2] += S.power_losses;
	disk_totals[3] += S.torn;
	disk_totals[4] += S.disk_depth > 1;
	disk_totals[5] += S.overlapped;
	disk_totals[6] += S.flushed_ahead;
	for (i = 0; i < S.n; i++)
		if (S.nodes[i].up)
			px_node_destroy(S.nodes[i].px);
	if (S.fail)
		printf("replay: ./sim --nodes %u --seed %llu --trace\n", n,
		       (unsigned long long)seed);
	return S.fail ? 1 : 0;
}

int main(int argc, char **argv)
{
	u64 a = 1, b = 1;
	u32 n = 3, i;
	int fails = 0, quiet = 0, stop_first = 0;
	u64 s, total = 0;

	for (i = 1; i < (u32)argc; i++) {
		if (!strcmp(argv[i], "--nodes") && i + 1 < (u32)argc) {
			n = (u32)atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--seed") && i + 1 < (u32)argc) {
			a = b = strtoull(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--seeds") && i + 1 < (u32)argc) {
			char *c;

			a = strtoull(argv[++i], &c, 10);
			b = *c == ':' ? strtoull(c + 1, NULL, 10) : a;
		} else if (!strcmp(argv[i], "--trace")) {
			setenv("SIM_TRACE", "1", 1);
		} else if (!strcmp(argv[i], "--quiet")) {
			quiet = 1;
		} else if (!strcmp(argv[i], "--stop")) {
			stop_first = 1;
		} else {
			fprintf(stderr, "usage: sim [--nodes N] [--seed S | --seeds A:B] [--trace] [--quiet] [--stop]\n");
			return 2;
		}
	}
	if (n < 1 || n > 9)
		return 2;
	for (s = a; s <= b; s++) {
		fails += run(s, n);
		total += S.commits;
		if (fails && stop_first)
			break;
	}
	if (!quiet || fails) {
		printf("sim: %u nodes, seeds %llu..%llu: %d failed, %llu deliveries, %llu snapshots taken, %llu installed (%llu bytes)\n",
		       n, (unsigned long long)a, (unsigned long long)s - (s > b),
		       fails, (unsigned long long)total,
		       (unsigned long long)sim_totals[0],
		       (unsigned long long)sim_totals[1],
		       (unsigned long long)sim_totals[2]);
		printf("sim: a link flapped in %llu seeds (%llu cuts); %llu seeds never settled\n",
		       (unsigned long long)flap_totals[0],
		       (unsigned long long)flap_totals[1],
		       (unsigned long long)flap_totals[2]);
		printf("sim: %llu leadership transfers, %llu of them to a target that then led\n",
		       (unsigned long long)xfer_totals[0],
		       (unsigned long long)xfer_totals[1]);
		printf("sim: a preferred leader in %llu seeds (%llu set); %llu ended with it a voter up, and it led in %llu\n",
		       (unsigned long long)pref_totals[0],
		       (unsigned long long)pref_totals[1],
		       (unsigned long long)pref_totals[2],
		       (unsigned long long)pref_totals[3]);
		printf("sim: stable storage in %llu seeds: %llu flushes, %llu power losses, %llu torn writes\n",
		       (unsigned long long)disk_totals[0],
		       (unsigned long long)disk_totals[1],
		       (unsigned long long)disk_totals[2],
		       (unsigned long long)disk_totals[3]);
		printf("sim: two writes in flight in %llu of them: %llu writes made with another in flight, %llu flushed ahead of an earlier one\n",
		       (unsigned long long)disk_totals[4],
		       (unsigned long long)disk_totals[5],
		       (unsigned long long)disk_totals[6]);
		printf("sim: configurations changed in %llu seeds: %llu changes asked, %llu configuration entries, %llu entries checked for a quorum of theirs\n",
		       (unsigned long long)conf_totals[0],
		       (unsigned long long)conf_totals[1],
		       (unsigned long long)conf_totals[2],
		       (unsigned long long)conf_totals[3]);
		printf("sim: %llu configuration changes asked of a follower and sent to its leader, %llu waiting for a learner given up\n",
		       (unsigned long long)fwd_totals,
		       (unsigned long long)cancel_totals);
		printf("sim: %llu read barriers answered, %llu failed; %llu answered on a node that asked as a follower and then led\n",
		       (unsigned long long)barrier_totals[0],
		       (unsigned long long)barrier_totals[1],
		       (unsigned long long)barrier_totals[2]);
		printf("sim: a node new to the others in %llu seeds, %llu changes naming ids not in effect, %llu seeds ended with it a member that delivered everything\n",
		       (unsigned long long)fresh_totals[0],
		       (unsigned long long)fresh_totals[1],
		       (unsigned long long)fresh_totals[2]);
	}
	return fails ? 1 : 0;
}
