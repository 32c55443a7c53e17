#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout=600
#
# A Jepsen-style test.  On each of three nodes, WRITERS threads write unique
# values, RETRYING of them retrying a write that failed undecided through
# the file's client session until it is decided, and one takes read
# barriers (jepsen write); a reader follows the log from index 1 as an
# application would, loading the snapshot records it meets (jepsen read);
# and pxkvd, pxkv's daemon, applies the same log, writes the node's
# snapshots every KVSNAP entries and serves a client that puts, cas-es,
# deletes, locks and unlocks through it (jepsen kv).  Every call and every
# record goes to a history.  Meanwhile, for DURATION seconds, a nemesis
# driven by SEED loses, duplicates, reorders and delays datagrams, cuts the
# leader or a follower off, and restarts a node (the leader or not) with
# its memory and its pxkvd's wiped while the others trim their logs, so
# that it comes back through a snapshot over the network; one fault at a
# time, never a majority, the kinds in turn.  Then the network heals, the
# readers read to the end, every pxkvd reaches the same index and state
# digest (the one jcheck computes from the log), every node trims what its
# snapshot covers and a new reader per node reads from index 1 (a
# snapshot, then entries).  jcheck verifies the histories offline: every
# acknowledged write once at its index, a retried one too, no duplicate,
# real-time order, barriers, readers agreeing, every stream gapless, every
# pxkv snapshot read against the log.  Strict retention: no reader may
# skip an entry.  PXKV=0: no pxkvd; the readers write the snapshots
# (jepsen's own, every 200 entries, checked byte for byte).
# Histories go to /out/jepsen-histories.tar.gz when it fails; to run one
# seed again: selftests/vm/run.sh --cmd 'env SEED=N selftests/paxos/cluster_jepsen.sh'
set -e
cd "$(dirname "$0")"
. ./lib.sh
STRICT=/sys/module/paxos/parameters/strict_retention
J=/tmp/jepsen
DURATION=${DURATION:-}	# 60 s, 40 on a slow run
WRITERS=${WRITERS:-}	# 3, 2 on a slow run
RETRYING=${RETRYING:-}	# 2, 1 on a slow run
PXKV=${PXKV:-1}
SEED=${SEED:-$(date +%s)}
EVERY=200	# entries between a reader's snapshots (PXKV=0)
SNAPSIZE=40000	# bytes: five 8 KiB chunks over the network
KVSNAP=100	# entries between pxkvd's snapshots
PATH=$(cd ../../tools/pxkv && pwd):$PATH
[ "$PXKV" = 0 ] || EVERY=0
pids=""

# Clients, readers and daemons start with nsenter (nx, below), which execs
# them: $! is the program, left in $last.  By their paths: busybox's
# nsenter would run its own applet for a bare name.
start() {	# NODE PATH ARGS...
	i=$1
	shift
	nsenter --net="/run/netns/pxn$i" "$@" &
	pids="$pids $!"
	# shellcheck disable=SC2034
	last=$!
}
restore() {
	rc=$?
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	if [ "$rc" != 0 ] && [ -d /out ] && [ -d "$J" ]; then
		tar -C /tmp -czf /out/jepsen-histories.tar.gz jepsen 2>/dev/null &&
			echo "histories: /out/jepsen-histories.tar.gz (seed $SEED)"
	fi
	cleanup
	echo N >"$STRICT"
}
trap restore EXIT

load_module
[ -w "$STRICT" ] || { echo "SKIP: no strict_retention"; exit 4; }
echo Y >"$STRICT"
rm -rf "$J"
mkdir -p "$J"
# On an emulated CPU, and more under the debug kernel, starting a process
# is what costs: the test reads the clock without one.
# tick: seconds since boot in $t.
tick() {
	read -r up _ </proc/uptime
	t=${up%.*}
}
tick
T0=$t
say() { tick; echo "[$((t - T0))s] $*"; }
say "seed $SEED"

# nx NS CMD...: CMD in network namespace NS.  Unlike ip netns exec and
# tc -n, nsenter mounts nothing: on the debug kernel it starts in a third
# of the time.
nx() { ns=$1; shift; nsenter --net="/run/netns/$ns" "$@"; }
# iproute2's tc and ip by their paths: busybox's nsenter runs its own
# applet for a bare name.
TC=$(command -v tc)
IP=$(command -v ip)

# rnd N: r = a number 0..N-1 from SEED (a shell LCG: no process to start,
# which costs the most on an emulated CPU).
rng=$((SEED % 2147483648))
rnd() {
	rng=$(((rng * 1103515245 + 12345) % 2147483648))
	r=$(((rng / 65536) % $1))
}

# Faults on the switch's side of the links, where every datagram passes
# one port on its way to its node: flaky I...: loss, duplicates, delay and
# reordering on the way to those nodes; cut I: node I's port down, nothing
# in or out; heal: neither.  One process each.
netem=""
cut=""
flaky() {
	for i in "$@"; do
		echo "qdisc replace dev pxs$i root netem loss 10% duplicate 10% delay 3ms 2ms reorder 25% 50%"
	done | nx pxsw "$TC" -batch - || fail "netem on nodes $*"
	netem="$netem $*"
}
cut() {
	nx pxsw "$IP" link set "pxs$1" down || fail "cutting node $1 off"
	cut=$1
}
heal() {
	if [ -n "$netem" ]; then
		for i in 1 2 3; do
			case "$netem" in *$i*) echo "qdisc del dev pxs$i root" ;; esac
		done | nx pxsw "$TC" -batch - || fail "removing netem"
	fi
	if [ -n "$cut" ]; then
		nx pxsw "$IP" link set "pxs$cut" up || fail "node $cut's link up"
	fi
	netem=""
	cut=""
}

# On an emulated CPU, and more under the debug kernel, starting a process
# is what costs: the nemesis asks a node once per look and parses the
# answer in the shell.
nl='
'
# look I: node I's state, the leader it knows and its commit index, in
# $state, $knows and $commit.
look() {
	st=$(nx "pxn$1" paxosctl status 2>/dev/null) || st=""
	state=${st#state: }
	state=${state%%"$nl"*}
	knows=${st#*"${nl}leader: "}
	knows=${knows%%"$nl"*}
	commit=${st#*"${nl}commit_index: "}
	commit=${commit%%"$nl"*}
	[ -n "$st" ] || { state=none; knows=0; commit=0; }
}
# settle SECONDS: until there is a leader and no node recovers or is down.
settle() {
	tick
	start=$t
	seen=""
	while :; do
		states=""
		for i in 1 2 3; do
			look "$i"
			states="$states$state "
		done
		case "$states" in
		*leader*) case "$states" in *recovering*|*down*|*candidate*|*none*) ;; *)
			tick
			[ $((t - start)) -lt 5 ] ||
				echo "  settled after $((t - start)) s:$seen"
			return 0 ;;
			esac ;;
		esac
		case "$seen" in *"[$states]"*) ;; *) seen="$seen [$states]" ;; esac
		tick
		[ $((t - start)) -le "$1" ] ||
			fail "after $what: node states seen for $1 s:$seen"
		sleep 0.2
	done
}
# leader_now: in $lead a leader, or the one a node follows (it may just
# have lost the lease: the fault then hits a follower, no harm); $commit
# is the commit index of the node that said so.
leader_now() {
	tick
	end=$((t + 60))
	while [ "$t" -le "$end" ]; do
		for i in 1 2 3; do
			look "$i"
			[ "$state" = leader ] && { lead=$i; return; }
			case "$state$knows" in follower[123]) lead=$knows; return ;; esac
		done
		sleep 0.2
		tick
	done
	fail "no leader after $what"
}
bytes() {	# bytes the nodes sent, as the switch received them
	nx pxsw cat /proc/net/dev |
		awk '/pxs[0-9]+:/ { sub(/^[^:]*:/, ""); split($0, f, " "); s += f[1] }
			END { print s }'
}

# kvd_start I: a new pxkvd on node I, from index 1 (or the node's snapshot).
kvd_start() {
	[ "$PXKV" = 0 ] && return
	start "$1" "$PXKVD" -s "/tmp/pxkv.$1.sock" -n $KVSNAP -v 2>>"$J/pxkvd.$1.log"
	eval "pxkvd_$1=\$last"
}
# kvd_stop I: node I's pxkvd is killed, its state gone.
kvd_stop() {
	[ "$PXKV" = 0 ] && return
	eval "p=\$pxkvd_$1"
	kill "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	# It unlinks its socket as it goes: the process killed was pxkvd.
	[ ! -e "/tmp/pxkv.$1.sock" ] || fail "pxkvd on node $1 still there"
}
PXKVD=$(command -v pxkvd)
JEPSEN=$(command -v jepsen)

tick
t_up=$t
start_cluster 3
what=start
leader_now
settle 60
# How slow this run is: how long the cluster took to come up (about 10 s
# with Debian's kernel, 40 with the debug kernel).  A slow run holds each
# fault 1 s and, unless told, runs the nemesis 40 s (the clients until it
# is over) with 2 writers a node.
tick
t_up=$((t - t_up))
slow=0
[ "$t_up" -lt 25 ] || slow=1
if [ $slow = 0 ]; then
	: "${DURATION:=60}" "${WRITERS:=3}" "${RETRYING:=2}"
else
	: "${DURATION:=40}" "${WRITERS:=2}" "${RETRYING:=1}"
fi
say "cluster up in $t_up s (slow: $slow), leader node $lead; nemesis for $DURATION s," \
	"$WRITERS writers ($RETRYING retrying) and 1 barrier client per node"
bytes0=$(bytes)
for i in 1 2 3; do
	kvd_start "$i"
	start "$i" "$JEPSEN" read "$i" "$J/r.$i" $EVERY $SNAPSIZE >"$J/reader.$i.out" 2>&1
	eval "reader_$i=\$last"
done
for i in 1 2 3; do
	start "$i" "$JEPSEN" write "$i" "$WRITERS" 1 600 60 "$J/c.$i" "$RETRYING" \
		>"$J/client.$i.out" 2>&1
	eval "client_$i=\$last"
	[ "$PXKV" = 0 ] && continue
	start "$i" "$JEPSEN" kv "$i" "/tmp/pxkv.$i.sock" 600 60 "$J/k.$i" >"$J/kv.$i.out" 2>&1
	eval "kv_$i=\$last"
done

# The nemesis: the five kinds of fault in turn, until DURATION is over
# and at least every kind once; each held 2 to 4 s (1 s on a slow run),
# then healed.  A restarted node must have recovered before the next
# fault: never two nodes at once without their memory.
tick
t0=$t
all="restart-follower cut-leader flaky restart-leader cut-follower"
step=0
log=""
while [ $((t - t0)) -lt "$DURATION" ] || [ $step -lt 5 ]; do
	# shellcheck disable=SC2086
	set -- $all
	shift $((step % 5))
	what=$1
	step=$((step + 1))
	rnd 3
	hold=$((2 + r))
	[ $slow = 0 ] || hold=1
	victim=0
	if [ "$what" != flaky ]; then
		leader_now
		victim=$lead
		rnd 2
		case "$what" in *-follower) victim=$(((victim + r) % 3 + 1)) ;; esac
	fi
	say "$what$([ "$victim" = 0 ] || echo " (node $victim)") for $hold s"
	log="$log $what:$victim"
	case "$what" in
	flaky)
		flaky 1 2 3
		sleep "$hold"
		;;
	cut-*)
		flaky $(((victim % 3) + 1)) $((((victim + 1) % 3) + 1))
		cut "$victim"
		sleep "$hold"
		;;
	restart-*)
		kvd_stop "$victim"
		nx "pxn$victim" paxosctl down || fail "down on node $victim"
		# The others drop what their snapshots cover: the node
		# comes back empty and behind them, for a snapshot.  The
		# commit index leader_now saw, less what a follower may lag
		# (above its commit index a trim is refused: no harm).
		for i in 1 2 3; do
			[ "$i" = "$victim" ] || [ "$commit" -le 50 ] ||
				nx "pxn$i" paxosctl trim $((commit - 50)) >/dev/null 2>&1 ||
				true
		done
		nx "pxn$victim" paxosctl up || fail "up on node $victim"
		kvd_start "$victim"
		sleep "$hold"
		tick
		end=$((t + 90))
		look "$victim"
		until case "$state" in follower|leader|candidate) true ;; *) false ;; esac; do
			tick
			[ "$t" -le "$end" ] || fail "node $victim still $state after 90 s"
			sleep 0.2
			look "$victim"
		done
		;;
	esac
	heal
	tick
done
say "nemesis over after $((t - t0)) s, $step faults:$log"
# The clients ran through every fault: they stop now.
for i in 1 2 3; do
	: >"$J/c.$i.stop"
	: >"$J/k.$i.stop"
done

what="the end of the run"
settle 90
for i in 1 2 3; do
	eval "p=\$client_$i"
	wait "$p" || fail "clients on node $i: $(cat "$J/client.$i.out")"
	cat "$J/client.$i.out"
	[ "$PXKV" = 0 ] && continue
	eval "p=\$kv_$i"
	wait "$p" || fail "kv client on node $i: $(cat "$J/kv.$i.out")"
	cat "$J/kv.$i.out"
done
leader_now
top=$(nx "pxn$lead" plog barrier) || fail "barrier on node $lead: $top"
say "clients done; the readers read to $top"
for i in 1 2 3; do
	echo "$top" >"$J/r.$i.stop"
done
tick
end=$((t + 120))
for i in 1 2 3; do
	eval "p=\$reader_$i"
	while kill -0 "$p" 2>/dev/null; do
		tick
		[ "$t" -le "$end" ] || {
			kill "$p"
			wait "$p" || true
			fail "reader on node $i did not reach $top: $(cat "$J/reader.$i.out")"
		}
		sleep 0.2
	done
	wait "$p" || fail "reader on node $i: $(cat "$J/reader.$i.out")"
	cat "$J/reader.$i.out"
done

# Every pxkvd reaches the same index (at or above $top) and has the same
# state there.
kvhash=""
if [ "$PXKV" != 0 ]; then
	tick
	end=$((t + 60))
	while :; do
		hs=""
		for i in 1 2 3; do
			h=$(nx "pxn$i" pxkv -s "/tmp/pxkv.$i.sock" -t 30 hash) ||
				fail "pxkv hash on node $i: $h"
			hs="$hs$h;"
		done
		# shellcheck disable=SC2046
		set -- $(echo "$hs" | tr ';' ' ')
		[ "$2" -lt "$top" ] 2>/dev/null || [ "$2" != "$4" ] || [ "$4" != "$6" ] || break
		tick
		[ "$t" -le "$end" ] ||
			fail "pxkvd indices differ or stay below $top for 60 s: $hs"
		sleep 0.2
	done
	if [ "$1" != "$3" ] || [ "$3" != "$5" ]; then
		fail "pxkv state digests differ at index $2: $hs"
	fi
	kvhash="$1 $2"
	say "pxkv: every node's state digest $1 at index $2"
fi

# Every node drops what its newest snapshot covers (all of them applied
# $top); a new reader starts with the snapshot record, then reads the
# entries after it.
for i in 1 2 3; do
	nx "pxn$i" paxosctl trim "$top" >/dev/null || fail "trim on node $i"
	start "$i" "$(command -v timeout)" 120 "$JEPSEN" read "${i}f" "$J/f.$i" "upto:$top" >"$J/final.$i.out" 2>&1
	eval "final_$i=\$last"
done
for i in 1 2 3; do
	eval "p=\$final_$i"
	wait "$p" || fail "new reader on node $i: $(cat "$J/final.$i.out")"
	cat "$J/final.$i.out"
done
bytes1=$(bytes)
# The nodes' counters (cumulative over restarts) that say what the
# nemesis did, those that are not 0.
for i in 1 2 3; do
	nx "pxn$i" paxosctl status >"$J/status.$i"
done
awk '/^node:/ { if (l) print l; l = "node " $2 ":" }
	/^first_index:/ || /^  (elections|retransmits|forwarded|drop_|snap_)/ {
		sub(":", "", $1); if ($2 != 0) l = l " " $1 " " $2 }
	END { print l }' "$J"/status.?
say "bytes moved: $((bytes1 - bytes0)) sent by the nodes"
installed=$(awk '/^  snap_installed/ { s += $2 } END { print s + 0 }' "$J"/status.?)
[ "$installed" -gt 0 ] || fail "no snapshot crossed the network"
if [ "$PXKV" != 0 ]; then
	for i in 1 2 3; do
		grep -q 'applier stopped' "$J/pxkvd.$i.log" &&
			fail "pxkvd on node $i stopped: $(tail -n 5 "$J/pxkvd.$i.log")"
	done
	say "pxkv: $(awk '$5 == 0 { n++ } END { print n + 0 }' "$J"/k.?) requests answered ok," \
		"$(cat "$J"/pxkvd.?.log | grep -c '^pxkvd: snapshot at [0-9]*: [0-9]* bytes')" \
		"snapshots written, $(cat "$J"/pxkvd.?.log | grep -c 'state replaced by the snapshot')" \
		"restored by a pxkvd; $installed snapshots installed over the network"
fi

rc=0
jcheck "$J"/c.? "$J"/r.? "$J"/f.? >"$J/report" || rc=$?
cat "$J/report"
[ -d /out ] && cp "$J/report" /out/jepsen-report.txt
[ "$rc" = 0 ] || fail "jcheck found violations (seed $SEED)"
if [ -n "$kvhash" ]; then
	jd=$(sed -n 's/^jcheck: pxkv: digest //p' "$J/report")
	[ -n "$jd" ] || fail "jcheck has no pxkv digest"
	# Equal indices: the same digest (a no-op after $top moves pxkvd's).
	[ "${jd#* }" != "${kvhash#* }" ] || [ "$jd" = "$kvhash" ] ||
		fail "pxkvd's state $kvhash, the log's per jcheck $jd"
	say "pxkv: jcheck's digest from the log $jd"
fi
grep -q '^jcheck: skipped 0, lost 0, duplicates 0$' "$J/report" ||
	fail "jcheck's summary is missing"
