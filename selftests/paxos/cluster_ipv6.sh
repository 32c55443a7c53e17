#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Three nodes over IPv6 (fd00::1..3 on the veths), with a cluster key, so
# that the MAC is checked over IPv6 too.  Values written on every node
# commit exactly once and every log agrees; the leader is taken down, a
# new one is elected and writes go on; status shows the IPv6 addresses.
set -e
cd "$(dirname "$0")"
. ./lib.sh
trap cleanup EXIT

KEY=6b70617870732d697076362d746573742d6b65792d3030303030303030303031
a6() { echo "fd00::$1"; }

cleanup			# namespaces a killed test may have left
make_cluster 3
# No multicast snooping on the switch: neighbour discovery is flooded.
ip -n pxsw link set br0 type bridge mcast_snooping 0
for i in 1 2 3; do
	ip -n "pxn$i" -6 addr add "$(a6 "$i")/64" dev eth0 nodad ||
		fail "IPv6 address on node $i"
done
# nodad: usable at once; still, wait until no address is tentative.
end=$(($(date +%s) + 60))
for i in 1 2 3; do
	while [ -n "$(ip -n "pxn$i" -6 addr show dev eth0 tentative)" ]; do
		[ "$(date +%s)" -le "$end" ] || fail "node $i: IPv6 address still tentative"
		sleep 0.1
	done
done

# configure6 I: as lib.sh's configure, over IPv6, with the key.
configure6() {
	i=$1
	n "$i" paxosctl node set id "$i" addr "$(a6 "$i")" port $PORT \
		heartbeat $HEARTBEAT election $ELECTION || fail "node set on $i"
	for j in 1 2 3; do
		[ "$j" = "$i" ] && continue
		n "$i" paxosctl member add "$j" addr "$(a6 "$j")" port $PORT ||
			fail "member add $j on $i"
	done
	n "$i" paxosctl lease set duration "${LEASE}ms" drift 1000ppm ||
		fail "lease set on $i"
	n "$i" paxosctl key set $KEY || fail "key set on $i"
	n "$i" paxosctl up || fail "up on $i"
}
for i in 1 2 3; do
	configure6 "$i"
done

leader=$(wait_leader 60) || fail "no leader over IPv6 within 60 s"
echo "[$(cut -d' ' -f1 /proc/uptime)s] leader: node $leader"

# Status: the node's own IPv6 address and its members'.
for i in 1 2 3; do
	n "$i" paxosctl status >/tmp/st.$i
	grep -qx "listen: \[$(a6 "$i")\]:$PORT" /tmp/st.$i ||
		fail "node $i: status does not show listen $(a6 "$i")"
	for j in 1 2 3; do
		[ "$j" = "$i" ] && continue
		grep -q "^member $j \[$(a6 "$j")\]:$PORT " /tmp/st.$i ||
			fail "node $i: status does not show member $j at $(a6 "$j")"
	done
	[ "$(field "$i" key)" = set ] || fail "node $i: key not set"
	n "$i" paxosctl -j status | grep -q "\"addr\": *\"$(a6 "$i")\"" ||
		fail "node $i: JSON status lacks $(a6 "$i")"
done
echo "status shows the IPv6 addresses, e.g. node 1:"
grep -E '^(listen:|member) ' /tmp/st.1 | sed 's/^/  /'

# Values written on every node.
vals=""
for i in 1 2 3; do
	pw "$i" "v6-$i-1" "v6-$i-2" "v6-$i-3" ||
		fail "writes on node $i"
	vals="$vals v6-$i-1 v6-$i-2 v6-$i-3"
done

# check_once VALUES, on NODES: every node reaches the leader's commit
# index, the logs agree, and each value is there exactly once.
check_once() {
	top=$(n "$leader" plog commit)
	for i in $nodes; do
		n "$i" plog wait "$top" 60000 || fail "node $i did not reach $top"
	done
	# shellcheck disable=SC2086
	same_logs $nodes || fail "logs differ"
	for v in $vals; do
		c=$(grep -c " 1 $(hex "$v")\$" "/tmp/log.$ref" || true)
		[ "$c" = 1 ] || fail "\"$v\" committed $c times"
	done
}
nodes="1 2 3"
check_once
echo "[$(cut -d' ' -f1 /proc/uptime)s] $(echo $vals | wc -w) values, each once, in $(wc -l </tmp/log.1) records on every node"

# The MAC is checked: no bad MACs between nodes that share the key, and
# datagrams were received (the counters count them).
for i in 1 2 3; do
	bad=$(n "$i" paxosctl status | sed -n 's/^  drop_bad_mac //p')
	[ "$bad" = 0 ] || fail "node $i dropped $bad datagrams as bad MACs"
done

# Failover: the leader goes down, another takes over, writes go on.
old=$leader
n "$old" paxosctl down || fail "down on $old"
leader=$(wait_leader 60 "$old") || fail "no new leader within 60 s of taking $old down"
echo "[$(cut -d' ' -f1 /proc/uptime)s] failover: node $old -> node $leader"
nodes=$(echo 1 2 3 | tr ' ' '\n' | grep -vx "$old" | tr '\n' ' ')
for i in $nodes; do
	pw "$i" "after-$i" || fail "write after the failover on $i"
	vals="$vals after-$i"
done
check_once

# The old leader comes back, recovers over IPv6 and catches up.
n "$old" paxosctl up || fail "up on $old"
pw "$old" "back-$old" || fail "write on $old after it came back"
vals="$vals back-$old"
nodes="1 2 3"
check_once
echo "[$(cut -d' ' -f1 /proc/uptime)s] after the failover: $(echo $vals | wc -w) values, each once; nodes 1 2 3 agree on $(wc -l </tmp/log.1) records"

# A node with another key is not heard: its datagrams fail the MAC.
n "$old" paxosctl key set "$(echo $KEY | sed 's/1$/2/')"
other=$(echo 1 2 3 | tr ' ' '\n' | grep -vx "$old" | head -n1)
before=$(n "$other" paxosctl status | sed -n 's/^  drop_bad_mac //p')
end=$(($(date +%s) + 60))
while :; do
	now=$(n "$other" paxosctl status | sed -n 's/^  drop_bad_mac //p')
	[ "$now" -gt "$before" ] && break
	[ "$(date +%s)" -le "$end" ] || fail "no bad MAC counted on $other"
	sleep 0.2
done
echo "a wrong key: node $other counts bad MACs ($before -> $now)"
