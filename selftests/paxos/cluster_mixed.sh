#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A cluster of kernel nodes and a paxosd node, with a cluster key: nodes 1
# and 2 run paxos.ko, node 3 is paxosd (the same engine in user space,
# the same datagrams and MAC).  paxosd leads first: it is the preferred
# leader and its election timeout is far shorter than the kernel nodes'
# (a kernel leader is taken down until it does).  Then paxosd is killed,
# a kernel node takes over, the preference is cleared, and paxosd is
# started again: it recovers from the kernel nodes and follows.  Values are written through both kinds of
# nodes under both kinds of leader, each commits exactly once, and the
# kernel logs and paxosd's log agree.
set -e
cd "$(dirname "$0")"
. ./lib.sh

KELECTION=2500
KEY=6b70617870732d6d697865642d636c75737465722d6b65792d30303030303031
D=/tmp/pxd
pxd=""
stop_pxd() {
	if [ -n "$pxd" ]; then
		kill "$(cat $D/pid)" 2>/dev/null || true
		wait "$pxd" 2>/dev/null || true
	fi
	pxd=""
}
trap 'stop_pxd; cleanup' EXIT

cleanup			# namespaces a killed test may have left
make_cluster 3
rm -rf $D
mkdir -p $D
echo $KEY >$D/key
chmod 600 $D/key

# Kernel nodes 1 and 2, members 1..3, the key, paxosd (3) preferred.
for i in 1 2; do
	n "$i" paxosctl node set id "$i" addr "10.0.0.$i" port $PORT \
		heartbeat $HEARTBEAT election $KELECTION || fail "node set on $i"
	for j in 1 2 3; do
		[ "$j" = "$i" ] && continue
		n "$i" paxosctl member add "$j" addr "10.0.0.$j" port $PORT ||
			fail "member add $j on $i"
	done
	n "$i" paxosctl lease set duration "${LEASE}ms" drift 1000ppm preferred 3 ||
		fail "lease set on $i"
	n "$i" paxosctl key set "$(cat $D/key)" || fail "key set on $i"
	n "$i" paxosctl up || fail "up on $i"
done

# start_pxd ELECTION: paxosd as node 3, with a new log file.
start_pxd() {
	rm -f $D/pid $D/status $D/log
	ip netns exec pxn3 sh -c 'echo $$ >'$D'/pid; exec "$0" "$@"' paxosd --id 3 \
		--listen 10.0.0.3:$PORT --peer 1=10.0.0.1:$PORT --peer 2=10.0.0.2:$PORT \
		--heartbeat $HEARTBEAT --election "$1" --lease $LEASE --drift 1000 \
		--preferred 3 --key-file $D/key --sock $D/sock --log $D/log \
		--status $D/status >$D/out 2>&1 &
	pxd=$!
	end=$(($(date +%s) + 30))
	until [ -S $D/sock ] && [ -s $D/status ] && [ -s $D/pid ]; do
		kill -0 "$pxd" 2>/dev/null || fail "paxosd exited: $(cat $D/out)"
		[ "$(date +%s)" -le "$end" ] || fail "paxosd did not start"
		sleep 0.1
	done
}
pstat() { sed -n "s/^$1: //p" $D/status 2>/dev/null; }
start_pxd $ELECTION

# who_leads SECONDS [EXCLUDE]: the node that leads (3: paxosd), once one
# does; kernel nodes down or excluded are not asked.
who_leads() {
	end=$(($(date +%s) + $1))
	while [ "$(date +%s)" -le "$end" ]; do
		for i in 1 2; do
			[ "$i" = "${2:-0}" ] && continue
			[ "$(field "$i" state 2>/dev/null)" = leader ] && echo "$i" && return 0
		done
		[ -n "$pxd" ] && [ "$(pstat state)" = leader ] && echo 3 && return 0
		sleep 0.1
	done
	return 1
}

# wput NODE VALUE...: write the values through NODE, of whichever kind.
vals=""
wput() {
	w=$1
	shift
	if [ "$w" = 3 ]; then
		n 3 paxosd propose --sock $D/sock "$@" >/dev/null ||
			fail "propose $* through paxosd"
	else
		pw "$w" "$@" || fail "write $* on node $w"
	fi
	vals="$vals $*"
}
t() { echo "[$(cut -d' ' -f1 /proc/uptime)s] $*"; }

# last_pxd: the highest index in paxosd's log.
last_pxd() { tail -n 1 $D/log 2>/dev/null | cut -d' ' -f1; }

# agree KERNEL_NODES [pxd]: every node named reaches the highest commit
# index, their logs agree, every value written is there exactly once.
agree() {
	knodes=$1
	top=0
	for i in $knodes; do
		c=$(n "$i" plog commit)
		[ "$c" -gt "$top" ] && top=$c
	done
	if [ "$2" = pxd ]; then
		c=$(last_pxd)
		[ "${c:-0}" -gt "$top" ] && top=$c
	fi
	for i in $knodes; do
		n "$i" plog wait "$top" 60000 || fail "node $i did not reach $top"
	done
	# shellcheck disable=SC2086
	same_logs $knodes || fail "kernel logs differ"
	ref=$(echo "$knodes" | cut -d' ' -f1)
	if [ "$2" = pxd ]; then
		end=$(($(date +%s) + 60))
		while [ "$(last_pxd)" != "$top" ]; do
			[ "$(date +%s)" -le "$end" ] ||
				fail "paxosd at $(last_pxd), not $top"
			sleep 0.1
		done
		if ! cmp -s "/tmp/log.$ref" $D/log; then
			echo "logs of node $ref and paxosd differ:"
			diff "/tmp/log.$ref" $D/log | head -n 10
			fail "kernel and paxosd logs differ"
		fi
	fi
	for v in $vals; do
		c=$(grep -c " 1 $(hex "$v")\$" "/tmp/log.$ref" || true)
		[ "$c" = 1 ] || fail "\"$v\" committed $c times"
	done
}

# 1. paxosd leads.  Should a kernel node lead (paxosd slowed down for
# seconds), take it down until paxosd is elected.
leader=$(who_leads 60) || fail "no leader within 60 s"
tries=0
while [ "$leader" != 3 ]; do
	tries=$((tries + 1))
	[ "$tries" -le 6 ] || fail "paxosd never elected in 6 tries"
	old=$leader
	n "$old" paxosctl down || fail "down on $old"
	leader=$(who_leads 60 "$old") || fail "no leader within 60 s after $old went down"
	echo "node $old down: node $leader leads"
	n "$old" paxosctl up || fail "up on $old"
	# Back once it follows again (it recovered from the other two).
	end=$(($(date +%s) + 60))
	until [ "$(field "$old" state)" = follower ]; do
		[ "$(date +%s)" -le "$end" ] || fail "node $old did not rejoin"
		sleep 0.1
	done
done
t "paxosd leads (after $tries kernel leader(s) went down)"
for i in 3 1 2; do
	wput "$i" "d-leads-via-$i-a" "d-leads-via-$i-b"
done
[ "$(pstat state)" = leader ] || fail "paxosd lost the lead"
agree "1 2" pxd
for i in 1 2; do
	[ "$(field "$i" leader)" = 3 ] || fail "node $i says leader $(field "$i" leader), not 3"
	bad=$(n "$i" paxosctl status | sed -n 's/^  drop_bad_mac //p')
	[ "$bad" = 0 ] || fail "node $i dropped $bad datagrams as bad MACs"
done
t "paxosd led: $(echo $vals | wc -w) values, each once; nodes 1 2 and paxosd agree on $(wc -l <$D/log) records"

# 2. paxosd is killed: a kernel node takes over from it.
cp $D/log $D/log.before
stop_pxd
leader=$(wait_leader 60 0 1 2) || fail "no kernel leader after paxosd was killed"
t "paxosd killed: node $leader leads"
for i in 1 2; do
	wput "$i" "k-leads-via-$i-a"
done
agree "1 2"
head -n "$(wc -l <$D/log.before)" /tmp/log.1 | cmp -s - $D/log.before ||
	fail "what paxosd delivered is not a prefix of the kernel log"

# paxosd again, as slow to stand as the kernel nodes: it recovers from
# them, follows the kernel leader and delivers the whole log.  The
# kernel nodes prefer nobody now (set while they run), or their leader
# would hand over to paxosd, the preferred leader, once it caught up.
for i in 1 2; do
	n "$i" paxosctl lease set preferred 0 || fail "preferred 0 on node $i"
done
start_pxd $KELECTION
end=$(($(date +%s) + 60))
until [ "$(pstat state)" = follower ] && [ "$(pstat leader)" = "$leader" ]; do
	[ "$(date +%s)" -le "$end" ] ||
		fail "restarted paxosd: $(pstat state), leader $(pstat leader), not following $leader"
	sleep 0.1
done
for i in 3 1 2; do
	wput "$i" "k-leads-via-$i-b"
done
[ "$(field "$leader" state)" = leader ] || fail "the lead moved off kernel node $leader"
agree "1 2" pxd
t "kernel node $leader led: $(echo $vals | wc -w) values, each once; nodes 1 2 and the restarted paxosd agree on $(wc -l <$D/log) records"
