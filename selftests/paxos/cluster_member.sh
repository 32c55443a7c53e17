#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout=900
#
# Membership changes on a running cluster (issue 16, item 1), five
# network namespaces with a disk each: run with five disks,
# selftests/vm/run.sh --disk A --disk B --disk C --disk D --disk E
# cluster_member.sh (the guest's /dev/vda .. /dev/vde); without them it
# is skipped.  Nodes 1 to 3 form the cluster; a writer goes through the
# members all along, and every write acknowledged is checked at the end:
# once in every member's log, at the index it was acknowledged at.
# (a) Refusals, on a follower and on the leader: a member that is not
# there, one that is, and a change while another is under way.  (b) Grow
# 3 to 5: nodes 4 and 5 start as learners (node set join on) and are
# added on the leader; node 4's addition, made before it runs, is first
# given up (member del 4) and made again.  (c) Replace a dead member by
# a new id and address: one member dies and another goes down; node 6 at
# 10.0.0.6 (in the dead one's namespace, on its wiped disk) is added,
# the dead member removed, the leadership moved to node 6, and the
# member down brought back (it must learn node 6 and its address from
# node 6).  (d) Shrink 5 to 3: two members other than the leader removed
# (the first asked of a follower, which asks the leader), then stopped.
# (e) The leader removed: it hands over, the others go on.  (f) A member
# moved to another address.  The time each change took, from the
# command to the configuration seen in effect, is printed.
set -e
cd "$(dirname "$0")"
. ./lib.sh
STRICT=/sys/module/paxos/parameters/strict_retention
SNAPMAX=/sys/module/paxos/parameters/snapshot_max
WRITES=${WRITES:-500}
# No disk at all: skipped; some but not five (one lost): a failure.
[ -b /dev/vda ] || { echo "SKIP: needs five disks (run.sh --disk FILE x5)"; exit 4; }
for d in vdb vdc vdd vde; do
	[ -b "/dev/$d" ] || { echo "FAIL: five disks needed, no /dev/$d"; exit 1; }
done
load_module
[ -w "$STRICT" ] || { echo "SKIP: no strict_retention"; exit 4; }
old_max=$(cat "$SNAPMAX")
writer=
restore() {
	[ -n "$writer" ] && kill "$writer" 2>/dev/null
	[ -z "$TRACED" ] || untrace
	cleanup
	echo N >"$STRICT"
	echo "$old_max" >"$SNAPMAX"
}
trap restore EXIT
echo Y >"$STRICT"
echo 1048576 >"$SNAPMAX"
trace_leaders

disk() { echo "/dev/vd$(echo abcde | cut -c"$1")"; }
wipe() {
	dd if=/dev/zero of="$1" bs=4096 count=2 conv=notrunc,fsync 2>/dev/null ||
		fail "wiping $1"
}
# ns ID: the namespace node ID runs in (node 6 takes a removed one's).
NS6=6
ns() { if [ "$1" = 6 ]; then echo "$NS6"; else echo "$1"; fi; }
nss() { for x in "$@"; do ns "$x"; done | tr '\n' ' '; }
# id_of NS: the id of the node namespace NS runs.
id_of() { if [ "$1" = "$NS6" ]; then echo 6; else echo "$1"; fi; }
# voters I: node I's voters, sorted, on one line; "busy" while a change
# is under way (pending or joint).
voters() {
	c=$(field "$1" config)
	case $c in
	*pending* | *joint* | "") echo busy; return ;;
	esac
	echo "$c" | sed 's/.*voters \(.*\) learners.*/\1/' | tr ' ' '\n' | sort -n | tr '\n' ' '
}
# leader_of NODES...: the namespace of a node of NODES that leads,
# waiting up to 30 s.
leader_of() {
	end=$(($(date +%s) + 30))
	while [ "$(date +%s)" -le "$end" ]; do
		for i in $(nss "$@"); do
			[ "$(field "$i" state 2>/dev/null)" = leader ] && { echo "$i"; return 0; }
		done
		sleep 0.1
	done
	return 1
}
# change WHAT VOTERS ON CMD...: run CMD on node ON (the leader, or a
# follower, which asks its leader; once more on a leader if ON knew none
# just then), wait until VOTERS ("1 2 3 ") are the voters in effect on
# every one of them but those in $DOWN, and print the time it took.
change() {
	what=$1
	want=$2
	on=$3
	shift 3
	t0=$(now_ms)
	if ! cout=$(n "$on" paxosctl "$@" 2>&1); then
		case $cout in
		*"no leader"*) ;;
		*) fail "$what on node $on: $cout" ;;
		esac
		on=$(leader_of $want) || fail "$what: no leader"
		n "$on" paxosctl "$@" || fail "$what: $cout"
	fi
	end=$(($(date +%s) + 60))
	for i in $(nss $want); do
		case " $DOWN " in *" $i "*) continue ;; esac
		while [ "$(voters "$i")" != "$want" ]; do
			[ "$(date +%s)" -le "$end" ] ||
				fail "$what: node $i has voters \"$(voters "$i")\", want \"$want\""
			sleep 0.05
		done
	done
	echo "# $what: $(($(now_ms) - t0)) ms"
}
# The writer: values w1, w2, ... through the nodes listed in /tmp/writers
# in turn; each one acknowledged is appended with its index to /tmp/acked.
write_loop() {
	k=0
	while [ ! -e /tmp/stop ] && [ $k -lt "$WRITES" ]; do
		for w in $(cat /tmp/writers); do
			k=$((k + 1))
			if idx=$(n "$w" timeout 10 plog write "w$k" 2>/dev/null); then
				echo "$idx w$k" >>/tmp/acked
			fi
			sleep 0.02
		done
	done
}
# start I ID JOIN MEMBER...: node ID at 10.0.0.ID in namespace pxnI, on
# disk I, with the static members given (join on: a learner at first); up.
start() {
	i=$1
	id=$2
	join=$3
	shift 3
	{
		echo "id $id"
		echo "addr 10.0.0.$id"
		echo "port $PORT"
		echo "heartbeat $HEARTBEAT"
		echo "election $ELECTION"
		echo "lease ${LEASE}ms"
		echo "drift 1000ppm"
		for j in "$@"; do
			[ "$j" = "$id" ] || echo "member $j addr 10.0.0.$j port $PORT"
		done
	} | n "$i" paxosctl setconf /dev/stdin || fail "setconf on node $i"
	n "$i" paxosctl log set retain 1MiB || fail "log set retain on node $i"
	n "$i" paxosctl storage set "$(disk "$i")" || fail "storage set on node $i"
	n "$i" paxosctl node set join "$join" || fail "node set join on node $i"
	n "$i" paxosctl up || fail "up on node $i"
}

for i in 1 2 3 4 5; do
	wipe "$(disk "$i")"
done
make_cluster 5
for i in 1 2 3; do
	start "$i" "$i" off 1 2 3
done
leader=$(leader_of 1 2 3) || fail "no leader"
[ "$(voters "$leader")" = "1 2 3 " ] || fail "voters at start: $(voters "$leader")"
: >/tmp/acked
rm -f /tmp/stop
echo "1 2 3" >/tmp/writers
write_loop &
writer=$!

# (a) A member that is not there, one that is, on a follower and the leader.
other=$((leader % 3 + 1))
expect_err "$other" "not a member" paxosctl member del 7
expect_err "$other" "already a member" paxosctl member add "$leader" addr "10.0.0.$leader"
expect_err "$leader" "not a member" paxosctl member del 7
expect_err "$leader" "already a member" paxosctl member add "$other" addr "10.0.0.$other"

# (b) Grow 3 to 5: the new nodes start as learners of the three.  Node
# 4 is added before it runs: the change waits for it to catch up as a
# learner, and another change meanwhile is refused.
t=$(now_ms)
n "$leader" paxosctl member add 4 addr 10.0.0.4 port $PORT || fail "member add 4"
field "$leader" config | grep -q "learners 4 pending next voters .*4 learners -" ||
	fail "node 4 not a learner while down: $(field "$leader" config)"
echo "# waiting for node 4: config: $(field "$leader" config)"
expect_err "$leader" "under way" paxosctl member add 5 addr 10.0.0.5
# Node 4 never comes: member del of it gives the addition up.
change "give up adding node 4 (not running)" "1 2 3 " "$leader" member del 4
field "$leader" config | grep -q "learners -" ||
	fail "node 4 still named after the addition was given up: $(field "$leader" config)"
t=$(now_ms)
n "$leader" paxosctl member add 4 addr 10.0.0.4 port $PORT || fail "member add 4, again"
start 4 4 on 1 2 3
n 4 paxosctl node show | grep -q "join on" || fail "node show: $(n 4 paxosctl node show)"
t4=$(now_ms)
for i in 1 2 3 4; do
	while [ "$(voters "$i")" != "1 2 3 4 " ]; do
		[ $(($(now_ms) - t)) -lt 60000 ] || fail "node $i: voters $(voters "$i")"
		sleep 0.05
	done
done
echo "# add node 4: $(($(now_ms) - t4)) ms from its up to the configuration in effect everywhere"
start 5 5 on 1 2 3
change "add node 5" "1 2 3 4 5 " "$leader" member add 5 addr 10.0.0.5 port $PORT
echo "1 2 3 4 5" >/tmp/writers
n "$leader" paxosctl status | grep "^config:"
n 4 paxosctl status | grep -q "^member 5 10.0.0.5:$PORT" ||
	fail "node 4 does not know node 5's address: $(n 4 paxosctl status | grep ^member)"

# (c) Replace a dead member by a new id and address.  Member $dead (not
# the leader) dies: down, its address gone, its disk wiped.  Member
# $stale goes down too and stays down while the replacement is made:
# back up, its configuration names neither node 6 nor its address, and
# it must learn both from node 6.  Node 6 runs at 10.0.0.6 in the dead
# member's namespace, on its disk.  Added first, then the dead member
# removed: three of five up, and then four of six, keep a majority of
# the old and the new voters at every step.
leader=$(leader_of 1 2 3 4 5) || fail "no leader before the replacement"
dead=""
stale=""
for i in 1 2 3 4 5; do
	[ "$i" = "$leader" ] && continue
	if [ -z "$dead" ]; then dead=$i; elif [ -z "$stale" ]; then stale=$i; fi
done
alive=$(for i in 1 2 3 4 5; do [ "$i" = "$dead" ] || [ "$i" = "$stale" ] || echo "$i"; done | tr '\n' ' ')
echo "$alive" >/tmp/writers
n "$dead" paxosctl down || fail "down on node $dead"
n "$stale" paxosctl down || fail "down on node $stale"
NS6=$dead
n "$dead" ip addr del "10.0.0.$dead/24" dev eth0 || fail "address of node $dead"
n "$dead" ip addr add 10.0.0.6/24 dev eth0 || fail "address 10.0.0.6"
wipe "$(disk "$dead")"
start "$dead" 6 on $alive
leader=$(leader_of $alive) || fail "no leader with nodes $dead and $stale down"
sorted() { echo "$@" | tr ' ' '\n' | grep . | sort -n | tr '\n' ' '; }
with6=$(sorted 1 2 3 4 5 6)
DOWN=$stale
change "add node 6 (new id and address; node $dead dead, node $stale down)" "$with6" "$leader" member add 6 addr 10.0.0.6 port $PORT
after=$(sorted $(echo "$with6" | tr ' ' '\n' | grep -vx "$dead"))
change "remove node $dead (dead, replaced by node 6; node $stale down)" "$after" "$leader" member del "$dead"
DOWN=
echo "$alive $dead" >/tmp/writers
n "$leader" paxosctl leader transfer 6 || fail "transfer to node 6"
leader=$(leader_of 6) || fail "node 6 does not lead after a transfer"
t=$(now_ms)
n "$stale" paxosctl up || fail "up on node $stale"
until [ "$(voters "$stale")" = "$after" ] && [ "$(field "$stale" leader)" = 6 ]; do
	[ $(($(now_ms) - t)) -lt 60000 ] ||
		fail "node $stale: voters $(voters "$stale"), leader $(field "$stale" leader)"
	sleep 0.05
done
echo "# node $stale, down meanwhile: follows node 6 and has its configuration $(($(now_ms) - t)) ms after its up"
nss $after >/tmp/writers

# (d) Shrink 5 to 3: two members other than the leader (node 6), the
# first asked of a follower, which asks the leader; then stopped.
set -- $(echo "$after" | tr ' ' '\n' | grep . | grep -vx 6)
gone=$1
gone2=$2
mid=$(sorted $(echo "$after" | tr ' ' '\n' | grep -vx "$gone"))
after=$(sorted $(echo "$mid" | tr ' ' '\n' | grep -vx "$gone2"))
nss $after >/tmp/writers
fwd=$(for i in $after; do [ "$i" = 6 ] || { echo "$i"; break; }; done)
change "remove node $gone (asked of node $fwd)" "$mid" "$fwd" member del "$gone"
change "remove node $gone2" "$after" "$leader" member del "$gone2"
n "$gone" paxosctl down || fail "down on node $gone"
n "$gone2" paxosctl down || fail "down on node $gone2"
n "$leader" paxosctl status | grep -q "^member $gone " &&
	fail "the leader still lists node $gone: $(n "$leader" paxosctl status | grep ^member)"

# (e) The leader removed: it hands over.
leader=$(leader_of $after) || fail "no leader before the leader's removal"
lid=$(id_of "$leader")
last=$(echo "$after" | tr ' ' '\n' | grep . | grep -vx "$lid" | tr '\n' ' ')
ns_last=$(nss $last)
echo "$ns_last" >/tmp/writers
t=$(now_ms)
mark rmleader
n "$leader" paxosctl member del "$lid" || fail "member del $lid on the leader"
for i in $ns_last; do
	while [ "$(voters "$i")" != "$last" ]; do
		[ $(($(now_ms) - t)) -lt 60000 ] || fail "node $i: voters $(voters "$i")"
		sleep 0.05
	done
done
t1=$(now_ms)
nl=$(leader_of $last) || fail "no leader after the leader left"
echo "# remove the leader (node $lid): $((t1 - t)) ms to the configuration, $(($(now_ms) - t)) ms to a new leader (namespace $nl); in the kernel: $(since_mark rmleader "$(id_of "$nl")") ms from the command to its leader event"
field "$leader" config | grep -q " removed" ||
	fail "node $lid does not say it was removed: $(field "$leader" config)"
[ "$(field "$leader" state)" != leader ] || fail "node $lid still leads"
# It handed over (TIMEOUT_NOW), rather than letting its lease run out.
xfer=$(n "$leader" paxosctl status | sed -n 's/^  transfers //p')
[ "${xfer:-0}" -ge 1 ] || fail "node $lid did not hand over (transfers ${xfer:-none})"
n "$leader" paxosctl down || fail "down on node $leader"

# (f) A member moves to another address, in a configuration of two
# voters that needs it for every quorum: the change first (until it is
# in effect the others send to both addresses and hear it at either),
# then the node itself, down and up there; the two then go on.
mv=$(for i in $ns_last; do [ "$i" = "$nl" ] || { echo "$i"; break; }; done)
mid=$(id_of "$mv")
naddr=10.0.0.$((mid + 20))
t=$(now_ms)
n "$nl" paxosctl member add "$mid" addr "$naddr" port $PORT ||
	fail "address change of node $mid"
until n "$nl" paxosctl log | grep " config " | tail -n 1 | grep -q "$mid@$naddr:" &&
	[ "$(field "$nl" config | grep -c pending)" = 0 ]; do
	[ $(($(now_ms) - t)) -lt 60000 ] ||
		fail "node $mid's new address not in effect: $(field "$nl" config)"
	sleep 0.05
done
echo "# node $mid's address change in effect: $(($(now_ms) - t)) ms"
n "$mv" paxosctl down || fail "down on node $mid"
n "$mv" ip addr add "$naddr/24" dev eth0 || fail "address $naddr"
n "$mv" paxosctl node set id "$mid" addr "$naddr" || fail "node set addr on node $mid"
n "$mv" paxosctl up || fail "up on node $mid at $naddr"
n "$nl" paxosctl status | grep -q "^member $mid $naddr:$PORT" ||
	fail "node $nl sends to node $mid elsewhere: $(n "$nl" paxosctl status | grep ^member)"
n "$mv" timeout 30 plog write "moved" >/dev/null || fail "a write on node $mid at $naddr"
echo "# node $mid moved to $naddr: $(($(now_ms) - t)) ms from the change to a commit through it there"
expect_err "$nl" "at that address" paxosctl member add "$mid" addr "$naddr" port $PORT

# Every write acknowledged is in every member's log once, at its index.
n "$nl" timeout 30 plog write "last" >/dev/null || fail "a write after the changes"
touch /tmp/stop
wait "$writer" || true
writer=
[ "$(wc -l </tmp/acked)" -gt 50 ] || fail "only $(wc -l </tmp/acked) writes acknowledged"
echo "# $(wc -l </tmp/acked) writes acknowledged"
converge "$nl" 30 $ns_last
for i in $ns_last; do
	acked_once "$i"
done
n "$nl" paxosctl log | grep " config " | tail -n 3 | sed 's/^/# /'
echo "# every acknowledged write in every member's log once, at its index"
