#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout=300
#
# A Jepsen-style test.  On each of three nodes, WRITERS threads write unique
# values and one takes read barriers (jepsen write), and a reader follows
# the log from index 1 as an application would, snapshotting its state
# every 200 entries and loading the snapshot records it meets (jepsen
# read); every call and every record goes to a history.  Meanwhile, for
# DURATION seconds, a nemesis driven by SEED loses, duplicates, reorders
# and delays datagrams, cuts the leader or a follower off, and restarts a
# node (the leader or not) with its memory wiped, one fault at a time,
# never a majority.  Then the network heals, the readers read to the end,
# every node trims what its snapshot covers and a new reader per node reads
# from index 1 (a snapshot, then entries).  jcheck verifies the histories
# offline: every acknowledged write once at its index, no duplicate,
# real-time order, barriers, readers agreeing, every stream gapless, every
# snapshot's content.  Strict retention: no reader may skip an entry.
# Histories go to /out/jepsen-histories.tar.gz when it fails; to run one
# seed again: selftests/vm/run.sh --cmd 'env SEED=N selftests/paxos/cluster_jepsen.sh'
set -e
cd "$(dirname "$0")"
. ./lib.sh
STRICT=/sys/module/paxos/parameters/strict_retention
J=/tmp/jepsen
DURATION=${DURATION:-60}
WRITERS=${WRITERS:-3}
SEED=${SEED:-$(date +%s)}
EVERY=200	# entries between a reader's snapshots
SNAPSIZE=40000	# bytes: five 8 KiB chunks over the network
pids=""

# Clients and readers start with ip netns exec itself, which execs them:
# $! is the program, left in $last.
start() {	# NODE ARGS...
	i=$1
	shift
	ip netns exec "pxn$i" "$@" &
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
echo "seed $SEED, nemesis for $DURATION s, $WRITERS writers and 1 barrier client per node"

# rnd N: r = a number 0..N-1 from SEED (a shell LCG: no process to start,
# which costs the most on an emulated CPU).
rng=$((SEED % 2147483648))
rnd() {
	rng=$(((rng * 1103515245 + 12345) % 2147483648))
	r=$(((rng / 65536) % $1))
}

# cut I: every datagram to or from node I lost.  flaky I: loss,
# duplicates, delay and reordering on what node I sends.  heal: neither.
netem=""
cut() {
	tc -n "pxn$1" qdisc replace dev eth0 root netem loss 100% ||
		fail "cutting node $1 off"
	tc -n pxsw qdisc replace dev "pxs$1" root netem loss 100% ||
		fail "cutting node $1 off"
	netem="$netem eth0$1 pxs$1"
}
flaky() {
	tc -n "pxn$1" qdisc replace dev eth0 root netem loss 10% duplicate 10% \
		delay 3ms 2ms reorder 25% 50% || fail "netem on node $1"
	netem="$netem eth0$1"
}
heal() {
	for i in 1 2 3; do
		case "$netem" in *" eth0$i"*) tc -n "pxn$i" qdisc del dev eth0 root ;; esac
		case "$netem" in *" pxs$i"*) tc -n pxsw qdisc del dev "pxs$i" root ;; esac
	done
	netem=""
}

# settle SECONDS: until there is a leader and no node recovers or is down.
settle() {
	start=$(date +%s)
	seen=""
	while :; do
		states=$(for i in 1 2 3; do field "$i" state; done | tr '\n' ' ')
		case "$states" in
		*leader*) case "$states" in *recovering*|*down*|*candidate*) ;; *)
			[ $(($(date +%s) - start)) -lt 5 ] ||
				echo "  settled after $(($(date +%s) - start)) s:$seen"
			return 0 ;;
			esac ;;
		esac
		case "$seen" in *"[$states]"*) ;; *) seen="$seen [$states]" ;; esac
		[ $(($(date +%s) - start)) -le "$1" ] ||
			fail "after $what: node states seen for $1 s:$seen"
		sleep 0.2
	done
}
leader_now() { wait_leader 60 || fail "no leader after $what"; }
# Let every node drop what its newest snapshot covers.
trim_all() {
	for i in 1 2 3; do
		top=$(n "$i" plog commit 2>/dev/null) || continue
		n "$i" paxosctl trim "$top" >/dev/null 2>&1 || true
	done
}
bytes() {	# bytes sent on every node's link
	sum=0
	for i in 1 2 3; do
		sum=$((sum + $(n "$i" cat /sys/class/net/eth0/statistics/tx_bytes)))
	done
	echo "$sum"
}

start_cluster 3
what=start
leader=$(leader_now)
settle 60
bytes0=$(bytes)
for i in 1 2 3; do
	start "$i" jepsen read "$i" "$J/r.$i" $EVERY $SNAPSIZE >"$J/reader.$i.out" 2>&1
	eval "reader_$i=\$last"
done
for i in 1 2 3; do
	start "$i" jepsen write "$i" "$WRITERS" 1 "$DURATION" 60 "$J/c.$i" >"$J/client.$i.out" 2>&1
	eval "client_$i=\$last"
done

# The nemesis: rounds of the five kinds of fault, each round in an order
# SEED picks, until DURATION is over; each held 2 to 4 s, then healed.  A
# restarted node must have recovered before the next fault: never two
# nodes at once without their memory.
t0=$(date +%s)
all="flaky cut-leader cut-follower restart-follower restart-leader"
kinds=$all
step=0
log=""
while [ $(($(date +%s) - t0)) -lt "$DURATION" ]; do
	[ -n "$kinds" ] || kinds=$all
	# shellcheck disable=SC2086
	set -- $kinds
	rnd $#
	shift $r
	what=$1
	rest=""
	for x in $kinds; do
		[ "$x" = "$what" ] || rest="$rest $x"
	done
	kinds=$rest
	step=$((step + 1))
	rnd 3
	hold=$((2 + r))
	victim=0
	if [ "$what" != flaky ]; then
		victim=$(leader_now)
		rnd 2
		case "$what" in *-follower) victim=$(((victim + r) % 3 + 1)) ;; esac
	fi
	echo "[$(($(date +%s) - t0))s] $what$([ "$victim" = 0 ] || echo " (node $victim)") for $hold s"
	log="$log $what:$victim"
	case "$what" in
	flaky)
		for i in 1 2 3; do flaky "$i"; done
		sleep "$hold"
		;;
	cut-*)
		for i in 1 2 3; do
			[ "$i" = "$victim" ] || flaky "$i"
		done
		cut "$victim"
		sleep "$hold"
		;;
	restart-*)
		n "$victim" paxosctl down || fail "down on node $victim"
		sleep 1
		n "$victim" paxosctl up || fail "up on node $victim"
		sleep "$hold"
		end=$(($(date +%s) + 90))
		until case "$(field "$victim" state)" in follower|leader|candidate) true ;; *) false ;; esac; do
			[ "$(date +%s)" -le "$end" ] || fail "node $victim still recovering after 90 s"
			sleep 0.2
		done
		;;
	esac
	heal
done
echo "nemesis over after $(($(date +%s) - t0)) s, $step faults:$log"

what="the end of the run"
settle 90
for i in 1 2 3; do
	eval "p=\$client_$i"
	wait "$p" || fail "clients on node $i: $(cat "$J/client.$i.out")"
	cat "$J/client.$i.out"
done
leader=$(leader_now)
top=$(n "$leader" plog barrier) || fail "barrier on node $leader: $top"
for i in 1 2 3; do
	n "$i" plog wait "$top" 60000 || fail "node $i stuck below $top"
	echo "$top" >"$J/r.$i.stop"
done
end=$(($(date +%s) + 120))
for i in 1 2 3; do
	eval "p=\$reader_$i"
	while kill -0 "$p" 2>/dev/null; do
		[ "$(date +%s)" -le "$end" ] || {
			kill "$p"
			wait "$p" || true
			fail "reader on node $i did not reach $top: $(cat "$J/reader.$i.out")"
		}
		sleep 0.2
	done
	wait "$p" || fail "reader on node $i: $(cat "$J/reader.$i.out")"
	cat "$J/reader.$i.out"
done

# Every node drops what its newest snapshot covers; a new reader starts
# with the snapshot record, then reads the entries after it.
trim_all
for i in 1 2 3; do
	echo "node $i: first retained index $(field "$i" first_index), commit index $(field "$i" commit_index)"
	n "$i" timeout 120 jepsen read "${i}f" "$J/f.$i" "upto:$top" >"$J/final.$i.out" 2>&1 ||
		fail "new reader on node $i: $(cat "$J/final.$i.out")"
	cat "$J/final.$i.out"
done
bytes1=$(bytes)
# The nodes' counters (cumulative over restarts) that say what the
# nemesis did, those that are not 0.
for i in 1 2 3; do
	n "$i" paxosctl status >"$J/status.$i"
	echo "node $i: $(grep -E '^  (elections|retransmits|forwarded|drop_|snap_)' "$J/status.$i" |
		awk '$2 != 0 { printf "%s %s ", $1, $2 }')"
done
echo "bytes moved: $((bytes1 - bytes0)) sent on the nodes' links"

rc=0
jcheck "$J"/c.? "$J"/r.? "$J"/f.? >"$J/report" || rc=$?
cat "$J/report"
[ -d /out ] && cp "$J/report" /out/jepsen-report.txt
[ "$rc" = 0 ] || fail "jcheck found violations (seed $SEED)"
grep -q '^jcheck: skipped 0, lost 0, duplicates 0$' "$J/report" ||
	fail "jcheck's summary is missing"
