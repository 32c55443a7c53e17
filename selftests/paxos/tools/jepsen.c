// SPDX-License-Identifier: GPL-2.0
/*
 * jepsen: the clients of the Jepsen-style test (cluster_jepsen.sh); each
 * logs a history that jcheck verifies offline.  Times are CLOCK_MONOTONIC
 * nanoseconds, which every network namespace of one machine shares.
 *
 *   jepsen write NODE WRITERS BARRIERS SECONDS GRACE OUT [RETRYING]
 *	WRITERS threads write unique values "wNODE-THREAD-SEQ" with blocking
 *	write() and BARRIERS threads take PAXOS_IOC_BARRIER, each on its own
 *	file, for SECONDS or until OUT.stop exists; calls still blocked
 *	GRACE seconds later are interrupted (EINTR).  The first RETRYING (0) writers retry a write
 *	that failed undecided (EINTR, ETIMEDOUT, ENOTCONN, ENODEV) with the
 *	same bytes on the same file, its client session's retry, until it is
 *	decided or the grace is over; the others write the next value.  The
 *	clients run at nice 10 and pace their calls: 5 ms of rest after a
 *	write, 10 ms after a barrier, 100 ms after a failure or before a
 *	retry.  One line per call (a write with its retries), written to OUT
 *	at the end, TRIES the attempts:
 *	  w NODE THREAD SEQ INVOKE COMPLETE ok INDEX TRIES	acknowledged
 *	  w NODE THREAD SEQ INVOKE COMPLETE ERRNO 0 TRIES	indeterminate
 *	  b NODE THREAD SEQ INVOKE COMPLETE ok|ERRNO INDEX 1
 *   jepsen read NAME OUT [EVERY [SIZE]]
 *	The application: follows the log from index 1 through the node's
 *	restarts (ENOTCONN: same file, same position), applies every record
 *	to its state (jepsen.h), loads snapshot records through
 *	PAXOS_IOC_SNAP_READ and writes a SIZE-byte (40000) snapshot every
 *	EVERY (200) entries.  It stops once it applied the index written to
 *	OUT.stop.  Lines, as they happen:
 *	  r NAME INDEX TYPE VALUE		a record (VALUE: text, "-" if
 *						empty, "=HEX" if not printable)
 *	  s NAME INDEX COUNT HASH SIZE ok|WHY	a snapshot record, loaded
 *	  p NAME INDEX COUNT HASH SIZE ok|ERRNO	a snapshot written
 *	  d NAME POS				the node went down
 *	  g NAME POS ERRNO			read failed at POS (a skip follows)
 *	A snapshot record that is pxkv's (pxkvd on the same log writes the
 *	snapshots, EVERY 0) is loaded as kv.c's and logged with its digest
 *	as HASH and "kv": this reader's own state is unknown past it.
 *   jepsen read NAME OUT upto:INDEX
 *	A new reader from index 1 to INDEX, writing no snapshot.
 *   jepsen kv NODE SOCKET SECONDS GRACE OUT
 *	A pxkv client of the pxkvd at SOCKET, one request at a time for
 *	SECONDS or until OUT.stop exists: put, cas, del on its node's keys, lock and unlock of locks
 *	the nodes share.  A request is sent again (same client, same number)
 *	while the daemon is unreachable or answers unavailable, until it is
 *	answered or GRACE seconds after the end.  One line per request:
 *	  k NODE SEQ OP CODE INDEX DUP SENDS
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <linux/paxos.h>
#include "jepsen.h"
#include "kv.h"
#include "proto.h"

#define MAX_THREADS	64
#define PIECE		16384	/* snapshot bytes per ioctl */
#define MAX_SNAP	(16u << 20)
#define PXKV_SNAP_MAGIC	"PXKVSNAP"	/* kv.c's snapshots */

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + t.tv_nsec;
}

static void pause_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

static const char *ename(int e)
{
	const char *s = strerrorname_np(e);

	return s ? s : "EUNKNOWN";
}

static int dev(int flags)
{
	int fd = open("/dev/" PAXOS_DEVICE_NAME, flags);

	if (fd < 0) {
		perror("open /dev/paxoslog");
		exit(1);
	}
	return fd;
}

/* ------------------------------------------------------------ clients */

struct op {
	char kind;		/* 'w' or 'b' */
	int err;		/* 0: ok */
	unsigned int tries;
	uint64_t seq, invoke, complete, index;
};

struct client {
	pthread_t tid;
	char kind;
	int retry;
	unsigned int node, thread;
	atomic_int done;
	struct op *ops;
	size_t len, cap;
};

static atomic_int stopping, giving_up;

/* A write that failed so may still commit: the same bytes again on the
 * same file are its retry under the same session number.
 */
static int undecided(int e)
{
	return e == EINTR || e == ETIMEDOUT || e == ENOTCONN || e == ENODEV;
}

static void push(struct client *c, const struct op *o)
{
	if (c->len == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 4096;
		c->ops = realloc(c->ops, c->cap * sizeof(*c->ops));
		if (!c->ops) {
			perror("realloc");
			exit(1);
		}
	}
	c->ops[c->len++] = *o;
}

static void *client(void *arg)
{
	struct client *c = arg;
	int fd = dev(O_RDWR);
	uint64_t seq;

	for (seq = 1; !atomic_load(&stopping); seq++) {
		struct op o = { .kind = c->kind, .seq = seq,
				 .tries = c->kind == 'b' };
		char v[64];
		int len = snprintf(v, sizeof(v), "w%u-%u-%" PRIu64,
				   c->node, c->thread, seq);

		o.invoke = now_ns();
		if (c->kind == 'w') {
			for (;;) {
				o.tries++;
				o.err = 0;
				if (write(fd, v, len) != len ||
				    ioctl(fd, PAXOS_IOC_LAST_WRITE, &o.index))
					o.err = errno;
				if (!o.err || !c->retry || !undecided(o.err) ||
				    atomic_load(&giving_up))
					break;
				pause_ms(100);
			}
		} else if (ioctl(fd, PAXOS_IOC_BARRIER, &o.index)) {
			o.err = errno;
		}
		o.complete = now_ns();
		if (o.err)
			o.index = 0;
		push(c, &o);
		/*
		 * A node down or cut off fails fast: do not spin.  Paced, the
		 * clients leave the (emulated) CPUs to the nodes and the
		 * nemesis; barriers are cheapest on a leader.
		 */
		pause_ms(o.err ? 100 : c->kind == 'b' ? 10 : 5);
	}
	close(fd);
	atomic_store(&c->done, 1);
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
}

static int run_clients(int argc, char **argv)
{
	static struct client cs[MAX_THREADS];
	unsigned int node, nw, nb, nr = 0, secs, grace, i, n, left;
	struct sigaction sa = { .sa_handler = on_signal };
	uint64_t deadline;
	char stop[4096];
	size_t j, ok = 0, failed = 0, retried = 0, tries = 0, saved = 0;
	FILE *out;

	if (argc != 8 && argc != 9)
		return 2;
	node = strtoul(argv[2], NULL, 0);
	nw = strtoul(argv[3], NULL, 0);
	nb = strtoul(argv[4], NULL, 0);
	secs = strtoul(argv[5], NULL, 0);
	grace = strtoul(argv[6], NULL, 0);
	if (argc == 9)
		nr = strtoul(argv[8], NULL, 0);
	n = nw + nb;
	if (!n || n > MAX_THREADS || !secs)
		return 2;
	out = fopen(argv[7], "w");
	if (!out) {
		perror(argv[7]);
		return 1;
	}
	/* Below the nodes' own work and the nemesis on a slow host. */
	if (nice(10) < 0)
		perror("nice");
	/* No SA_RESTART: a blocked write() or barrier returns EINTR. */
	sigaction(SIGUSR1, &sa, NULL);
	for (i = 0; i < n; i++) {
		cs[i].kind = i < nw ? 'w' : 'b';
		cs[i].retry = i < nr;
		cs[i].node = node;
		cs[i].thread = i;
		if (pthread_create(&cs[i].tid, NULL, client, &cs[i])) {
			perror("pthread_create");
			return 1;
		}
	}
	snprintf(stop, sizeof(stop), "%s.stop", argv[7]);
	deadline = now_ns() + secs * 1000000000ull;
	while (now_ns() < deadline && access(stop, F_OK))
		pause_ms(100);
	atomic_store(&stopping, 1);
	deadline = now_ns() + grace * 1000000000ull;
	for (;;) {
		for (i = 0, left = 0; i < n; i++)
			left += !atomic_load(&cs[i].done);
		if (!left)
			break;
		if (now_ns() > deadline) {
			atomic_store(&giving_up, 1);
			for (i = 0; i < n; i++)
				if (!atomic_load(&cs[i].done))
					pthread_kill(cs[i].tid, SIGUSR1);
		}
		pause_ms(100);
	}
	for (i = 0; i < n; i++) {
		pthread_join(cs[i].tid, NULL);
		for (j = 0; j < cs[i].len; j++) {
			const struct op *o = &cs[i].ops[j];

			fprintf(out, "%c %u %u %" PRIu64 " %" PRIu64 " %" PRIu64
				" %s %" PRIu64 " %u\n", o->kind, node, i, o->seq,
				o->invoke, o->complete, o->err ? ename(o->err) : "ok",
				o->index, o->tries);
			if (o->err)
				failed++;
			else
				ok++;
			if (o->tries > 1) {
				retried++;
				tries += o->tries;
				saved += !o->err;
			}
		}
	}
	if (fclose(out)) {
		perror(argv[7]);
		return 1;
	}
	printf("node %u: %zu calls ok, %zu failed; %zu writes retried (%zu attempts), %zu of them acknowledged\n",
	       node, ok, failed, retried, tries, saved);
	return 0;
}

/* ------------------------------------------------------------ reader */

struct reader {
	const char *name;
	FILE *out;
	int fd;
	uint64_t applied, count, hash;	/* the state */
	uint64_t last_snap, every, size;
	uint64_t entries, snaps, snap_bytes, written, downs;
};

static void put_value(FILE *f, const unsigned char *v, uint32_t len)
{
	uint32_t k;
	int text = len && v[0] != '=' && !(len == 1 && v[0] == '-');

	for (k = 0; k < len && text; k++)
		text = v[k] > ' ' && v[k] < 0x7f;
	if (!len) {
		fputc('-', f);
	} else if (text) {
		fwrite(v, 1, len, f);
	} else {
		fputc('=', f);
		for (k = 0; k < len; k++)
			fprintf(f, "%02x", v[k]);
	}
}

static unsigned char *snap_make(uint64_t index, uint64_t count, uint64_t hash,
				uint64_t size)
{
	struct jsnap h = { .index = index, .count = count, .hash = hash,
			   .size = size };
	unsigned char *b = malloc(size);
	uint64_t k;

	if (!b)
		exit(1);
	memcpy(h.magic, JSNAP_MAGIC, 8);
	memcpy(b, &h, sizeof(h));
	for (k = sizeof(h); k < size; k++)
		b[k] = jsnap_byte(hash, k);
	return b;
}

/* Hand the node a snapshot of the state as now applied. */
static void snap_write(struct reader *r)
{
	unsigned char *b = snap_make(r->applied, r->count, r->hash, r->size);
	struct paxos_snap_io io = { .index = r->applied, .size = r->size };
	int err = 0;

	while (io.offset < r->size) {
		io.data = (uintptr_t)(b + io.offset);
		io.len = r->size - io.offset < PIECE ? r->size - io.offset : PIECE;
		if (ioctl(r->fd, PAXOS_IOC_SNAP_WRITE, &io)) {
			err = errno;
			break;
		}
		io.offset += io.len;
	}
	free(b);
	/* ERANGE: the node installed a newer one from a member meanwhile. */
	fprintf(r->out, "p %s %" PRIu64 " %" PRIu64 " %016" PRIx64 " %" PRIu64
		" %s\n", r->name, r->applied, r->count, r->hash, r->size,
		err ? ename(err) : "ok");
	r->last_snap = r->applied;
	if (!err)
		r->written++;
}

/* A pxkv snapshot at @index: "kv" and its state's digest, or why not. */
static const char *kv_snap(const unsigned char *b, uint64_t size,
			   uint64_t index, uint64_t *digest)
{
	const char *why = "kv";
	struct kv_sm t;

	kv_sm_init(&t);
	if (kv_sm_deserialize(&t, b, size))
		why = "kv-malformed";
	else if (t.applied != index)
		why = "kv-wrong-index";
	else if (kv_sm_digest(&t, digest))
		why = "kv-no-memory";
	kv_sm_free(&t);
	return why;
}

/*
 * Load the snapshot record at @index: 0 with the state replaced, or the
 * errno of PAXOS_IOC_SNAP_READ (ESTALE: replaced, read the log again).
 */
static int snap_load(struct reader *r, uint64_t index)
{
	struct paxos_snap_io io = { .index = index };
	unsigned char *b = NULL;
	const char *why = "ok";
	uint64_t size = 0, k;
	struct jsnap h;
	int kv = 0;

	do {
		unsigned char piece[7000];	/* odd pieces: across chunks */

		io.len = sizeof(piece);
		io.data = (uintptr_t)piece;
		if (ioctl(r->fd, PAXOS_IOC_SNAP_READ, &io)) {
			free(b);
			return errno;
		}
		if (!b) {
			size = io.size;
			if (size < sizeof(h) || size > MAX_SNAP) {
				why = "bad-size";
				size = 0;
				break;
			}
			b = malloc(size);
			if (!b)
				exit(1);
		}
		if (io.size != size || io.len > size - io.offset ||
		    (!io.len && io.offset < size)) {
			why = "bad-read";
			break;
		}
		memcpy(b + io.offset, piece, io.len);
		io.offset += io.len;
	} while (io.offset < size);
	memset(&h, 0, sizeof(h));
	if (b && !strcmp(why, "ok")) {
		memcpy(&h, b, sizeof(h));
		if (!memcmp(h.magic, PXKV_SNAP_MAGIC, 8)) {
			/* pxkv's: its digest, for jcheck to check. */
			memset(&h, 0, sizeof(h));
			why = kv_snap(b, size, index, &h.hash);
			kv = 1;
		} else if (memcmp(h.magic, JSNAP_MAGIC, 8) || h.size != size) {
			why = "bad-header";
		} else if (h.index != index) {
			why = "wrong-index";
		}
		for (k = sizeof(h); k < size && !strcmp(why, "ok"); k++)
			if (b[k] != jsnap_byte(h.hash, k))
				why = "damaged";
	}
	free(b);
	fprintf(r->out, "s %s %" PRIu64 " %" PRIu64 " %016" PRIx64 " %" PRIu64
		" %s\n", r->name, index, h.count, h.hash, size, why);
	/* Past pxkv's our state is unknown: no snapshot of it. */
	if (kv)
		r->every = 0;
	/* A bad one is reported; the state goes on from what it claims. */
	r->applied = index;
	r->count = h.count;
	r->hash = h.hash;
	r->last_snap = index;
	r->snaps++;
	r->snap_bytes += size;
	return 0;
}

static volatile sig_atomic_t terminated;

static void on_term(int sig)
{
	(void)sig;
	terminated = 1;
}

/* The index in @path, or 0 while there is none. */
static uint64_t stop_index(const char *path)
{
	FILE *f = fopen(path, "r");
	unsigned long long v = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

static int run_reader(int argc, char **argv)
{
	static unsigned char buf[1 << 16];
	struct sigaction sa = { .sa_handler = on_term };
	struct reader r = { .hash = JHASH_INIT, .every = 200, .size = 40000 };
	uint64_t upto = 0, last_look = 0;
	char stop[4096];
	int down = 0;

	if (argc < 4 || argc > 6)
		return 2;
	r.name = argv[2];
	if (argc >= 5 && !strncmp(argv[4], "upto:", 5)) {
		upto = strtoull(argv[4] + 5, NULL, 10);
		r.every = 0;
	} else {
		if (argc >= 5)
			r.every = strtoull(argv[4], NULL, 10);
		if (argc == 6)
			r.size = strtoull(argv[5], NULL, 10);
		if (r.size < sizeof(struct jsnap) || r.size > MAX_SNAP)
			return 2;
	}
	snprintf(stop, sizeof(stop), "%s.stop", argv[3]);
	r.out = fopen(argv[3], "w");
	if (!r.out) {
		perror(argv[3]);
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	r.fd = dev(O_RDWR | O_NONBLOCK);
	/* From the start: a trimmed start offers its snapshot first. */
	lseek(r.fd, 1, SEEK_SET);
	while (!terminated && (!upto || r.applied < upto)) {
		struct pollfd p = { .fd = r.fd, .events = POLLIN };
		size_t off = 0;
		ssize_t n;

		if (!upto && now_ns() - last_look > 200000000ull) {
			last_look = now_ns();
			upto = stop_index(stop);
			continue;
		}
		poll(&p, 1, 200);
		n = read(r.fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			if (errno == ENOTCONN) {
				/* Restarting: the file keeps its position. */
				if (!down)
					fprintf(r.out, "d %s %" PRIu64 "\n", r.name,
						r.applied + 1);
				r.downs += !down;
				down = 1;
				pause_ms(50);
				continue;
			}
			fprintf(r.out, "g %s %" PRIu64 " %s\n", r.name,
				r.applied + 1, ename(errno));
			fflush(r.out);
			if (errno != ERANGE) {
				fprintf(stderr, "reader %s: read at %" PRIu64 ": %s\n",
					r.name, r.applied + 1, ename(errno));
				return 1;
			}
			/* No snapshot covers our position: skip ahead. */
			if (lseek(r.fd, 1, SEEK_SET) < 0)
				pause_ms(50);
			continue;
		}
		down = 0;
		while (off + sizeof(struct paxos_record) <= (size_t)n) {
			struct paxos_record rec;
			const unsigned char *v = buf + off + sizeof(rec);
			int err;

			memcpy(&rec, buf + off, sizeof(rec));
			off += sizeof(rec) + rec.len;
			if (rec.type == PAXOS_REC_SNAPSHOT) {
				err = snap_load(&r, rec.index);
				if (!err)
					continue;
				/* ESTALE, or down: the log again after our state. */
				if (err != ESTALE && err != ENOTCONN) {
					fprintf(stderr, "reader %s: snapshot %" PRIu64
						": %s\n", r.name, (uint64_t)rec.index,
						ename(err));
					return 1;
				}
				lseek(r.fd, r.applied + 1, SEEK_SET);
				break;
			}
			fprintf(r.out, "r %s %" PRIu64 " %u ", r.name,
				(uint64_t)rec.index, rec.type);
			put_value(r.out, v, rec.len);
			fputc('\n', r.out);
			/* A gap or a step back is jcheck's to find. */
			r.hash = jhash_rec(r.hash, rec.index, rec.type, v, rec.len);
			r.count += rec.type == PAXOS_REC_DATA;
			r.applied = rec.index;
			r.entries++;
			if (r.every && r.applied - r.last_snap >= r.every)
				snap_write(&r);
		}
	}
	if (fclose(r.out)) {
		perror(argv[3]);
		return 1;
	}
	printf("reader %s: applied %" PRIu64 ": %" PRIu64 " entries, %" PRIu64
	       " snapshot records (%" PRIu64 " bytes), %" PRIu64
	       " snapshots written, node down %" PRIu64 " times%s\n", r.name,
	       r.applied, r.entries, r.snaps, r.snap_bytes, r.written, r.downs,
	       terminated ? ", STOPPED before its end" : "");
	return terminated ? 3 : 0;
}

/* ------------------------------------------------------------ pxkv */

static int kv_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Receives on @fd give up at @end, or in 10 s: then the request goes
 * again on a new connection (a request applies once).
 */
static int kv_timeout(int fd, uint64_t end)
{
	uint64_t now = now_ns(), left = end > now ? end - now : 0;
	struct timeval tv;

	if (left > 10000000000ull)
		left = 10000000000ull;
	if (left < 1000000)
		left = 1000000;
	tv.tv_sec = left / 1000000000ull;
	tv.tv_usec = left % 1000000000ull / 1000;
	return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/*
 * The value of request @seq: about 1.5 KiB, so that pxkv's snapshots of
 * the nodes' 24 keys take several chunks over the network.
 */
#define KV_VALUE	1536
static void kv_value(char *v, uint64_t seq)
{
	int n = snprintf(v, KV_VALUE, "v%" PRIu64 "-", seq);

	for (; n < KV_VALUE - 1; n++)
		v[n] = 'a' + (seq + n) % 26;
	v[n] = 0;
}

static int run_kv(int argc, char **argv)
{
	static const char *const opname[] = { "put", "cas", "del", "lock", "unlock" };
	static const uint8_t op[] = { KV_PUT, KV_CAS, KV_DEL, KV_LOCK, KV_UNLOCK };
	unsigned long acked[5] = { 0 }, cond = 0, dups = 0, resent = 0;
	uint64_t deadline, giveup, grace, seq, client;
	char stop[4096];
	unsigned int node;
	const char *sock;
	int fd = -1;
	FILE *out;

	if (argc != 7)
		return 2;
	node = strtoul(argv[2], NULL, 0);
	sock = argv[3];
	deadline = now_ns() + strtoull(argv[4], NULL, 0) * 1000000000ull;
	grace = strtoull(argv[5], NULL, 0) * 1000000000ull;
	giveup = deadline + grace;
	out = fopen(argv[6], "w");
	if (!out) {
		perror(argv[6]);
		return 1;
	}
	if (nice(10) < 0)
		perror("nice");
	signal(SIGPIPE, SIG_IGN);
	client = (uint64_t)getpid() << 8 | node;
	snprintf(stop, sizeof(stop), "%s.stop", argv[6]);
	for (seq = 1; now_ns() < deadline && access(stop, F_OK); seq++) {
		struct kv_cmd c = { .client = client, .seq = seq };
		struct kv_buf req = { 0 }, ans = { 0 };
		char key[32], val[KV_VALUE], old[KV_VALUE], lock[16], owner[16];
		unsigned int k = (seq - 1) % 5, sends = 0;
		int code = -1;

		/* Rounds of five on a key of this node (its cas expects the
		 * round's put, its del takes another key: about half of them
		 * stay) and a lock the three nodes contend for.
		 */
		snprintf(key, sizeof(key), "k%u-%" PRIu64, node,
			 ((seq - 1) / 5 + (k == 2) * 3) % 8);
		kv_value(val, seq);
		kv_value(old, seq - 1);
		snprintf(lock, sizeof(lock), "L%" PRIu64, (seq - 1) / 5 % 2);
		snprintf(owner, sizeof(owner), "n%u", node);
		c.op = op[k];
		c.f[0] = (struct kv_slice){ (const uint8_t *)(k >= 3 ? lock : key),
					    strlen(k >= 3 ? lock : key) };
		if (c.op == KV_PUT) {
			c.f[1] = (struct kv_slice){ (const uint8_t *)val, strlen(val) };
		} else if (c.op == KV_CAS) {
			c.f[1] = (struct kv_slice){ (const uint8_t *)old, strlen(old) };
			c.f[2] = (struct kv_slice){ (const uint8_t *)val, strlen(val) };
		} else if (c.op != KV_DEL) {
			c.f[1] = (struct kv_slice){ (const uint8_t *)owner, strlen(owner) };
		}
		if (kv_encode(&c, &req)) {
			fprintf(stderr, "kv: cannot encode %s\n", opname[k]);
			return 1;
		}
		/* The same request until answered: it applies once. */
		if (!access(stop, F_OK) && now_ns() + grace < giveup)
			giveup = now_ns() + grace;
		while (now_ns() < giveup) {
			if (fd < 0)
				fd = kv_connect(sock);
			/* An answer waited for no later than the end: a daemon
			 * that hangs fails the run with this request's name.
			 */
			if (fd >= 0 && kv_timeout(fd, giveup)) {
				close(fd);
				fd = -1;
			}
			if (fd >= 0 && !px_send_msg(fd, req.p, req.len) &&
			    !px_recv_msg(fd, &ans, PXKV_MAX_ANSWER) &&
			    ans.len >= PXKV_ANS_HDR) {
				sends++;
				if (ans.p[0] != KV_UNAVAIL) {
					code = ans.p[0];
					break;
				}
			} else if (fd >= 0) {
				/* The daemon went away (restarted with its node). */
				close(fd);
				fd = -1;
			}
			resent++;
			pause_ms(100);
		}
		fprintf(out, "k %u %" PRIu64 " %s %d %" PRIu64 " %u %u\n", node, seq,
			opname[k], code, code < 0 ? 0 : le64(ans.p + 8),
			code < 0 ? 0 : ans.p[1], sends);
		kb_free(&req);
		if (code < 0) {
			kb_free(&ans);
			fprintf(stderr, "kv node %u: %s (request %" PRIu64
				") unanswered at the end\n", node, opname[k], seq);
			return 1;
		}
		dups += ans.p[1];
		kb_free(&ans);
		if (code == KV_OK)
			acked[k]++;
		else if (code == KV_NOTFOUND || code == KV_CASFAIL ||
			 code == KV_HELD || code == KV_NOTOWNER)
			cond++;
		else {
			fprintf(stderr, "kv node %u: %s: answer %s\n", node,
				opname[k], kv_code_name(code));
			return 1;
		}
		pause_ms(20);
	}
	if (fd >= 0)
		close(fd);
	if (fclose(out)) {
		perror(argv[6]);
		return 1;
	}
	printf("kv node %u: %" PRIu64 " requests answered: ok put %lu, cas %lu, del %lu, lock %lu, unlock %lu; %lu refused by their condition; %lu answered as retries; %lu sent again\n",
	       node, seq - 1, acked[0], acked[1], acked[2], acked[3], acked[4],
	       cond, dups, resent);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "write"))
		return run_clients(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "read"))
		return run_reader(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "kv"))
		return run_kv(argc, argv);
	fprintf(stderr, "usage: jepsen write NODE WRITERS BARRIERS SECONDS GRACE OUT [RETRYING]\n"
		"       jepsen read NAME OUT [EVERY [SIZE] | upto:INDEX]\n"
		"       jepsen kv NODE SOCKET SECONDS GRACE OUT\n");
	return 2;
}
