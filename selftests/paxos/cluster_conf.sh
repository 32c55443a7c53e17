#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout=180
#
# paxosctl setconf and showconf.  Node 1 configured with the usual
# commands is shown; that output, with the id and addresses edited, set on
# fresh nodes 2 and 3 (through a pipe and from a file) shows the same; a
# file replaces the member list, a bad file changes nothing, a running
# node takes a new key but refuses a new timer.  Then a cluster
# configured only through setconf, with a key file, elects a leader and
# commits a value on every node.
set -e
cd "$(dirname "$0")"
. ./lib.sh
d=$(mktemp -d)
trap 'cleanup; rm -rf "$d"' EXIT

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$d/key"
chmod 600 "$d/key"

# The node in the file for node $1 from node 1's: its own id and address,
# and node 1 as a member where it had node $1.
as_node() {
	sed -e "s/^id 1\$/id $1/" -e "s/^addr 10\.0\.0\.1\$/addr 10.0.0.$1/" \
		-e "s/^member $1 addr 10\.0\.0\.$1 /member 1 addr 10.0.0.1 /"
}
# showconf sorts members by id: sort the member lines of an edited file.
sorted() { grep -v '^member ' "$1"; grep '^member ' "$1" | sort -n -k2; }

make_cluster 3
n 1 paxosctl node set id 1 cluster 7 addr 10.0.0.1 port $PORT \
	heartbeat $HEARTBEAT election $ELECTION || fail "node set"
n 1 paxosctl member add 2 addr 10.0.0.2 port $PORT || fail "member add 2"
n 1 paxosctl member add 3 addr 10.0.0.3 || fail "member add 3"
n 1 paxosctl lease set duration "${LEASE}ms" drift 500ppm preferred 2 ||
	fail "lease set"
n 1 paxosctl key set "$(cat "$d/key")" || fail "key set"
n 1 paxosctl showconf >"$d/shown.1" || fail "showconf on node 1"
echo "node 1 shows:"
sed 's/^/  /' "$d/shown.1"
cat >"$d/want.1" <<EOF
id 1
cluster 7
addr 10.0.0.1
port $PORT
heartbeat ${HEARTBEAT}ms
election ${ELECTION}ms
lease ${LEASE}ms
drift 500ppm
preferred 2
EOF
grep -v '^#' "$d/shown.1" | grep -v '^member ' | cmp -s - "$d/want.1" ||
	fail "showconf: the node's settings are not what was set"
grep -qx 'member 2 addr 10.0.0.2 port 7400' "$d/shown.1" &&
	grep -qx 'member 3 addr 10.0.0.3 port 7400' "$d/shown.1" ||
	fail "showconf: members"
grep -q '^# key: set' "$d/shown.1" || fail "showconf: no word of the key"
grep -q "$(cut -c1-16 "$d/key")" "$d/shown.1" && fail "showconf printed the key"
grep -q '^key' "$d/shown.1" && fail "showconf printed a key line"

# Node 2 through a pipe, node 3 from a file; the key comes from a file.
{
	n 1 paxosctl showconf | as_node 2
	echo "key-file $d/key"
} | n 2 paxosctl setconf /dev/stdin || fail "setconf on node 2 from a pipe"
as_node 3 <"$d/shown.1" >"$d/conf.3"
echo "key-file $d/key" >>"$d/conf.3"
n 3 paxosctl setconf "$d/conf.3" || fail "setconf on node 3"
for i in 2 3; do
	as_node "$i" <"$d/shown.1" >"$d/edited.$i"
	sorted "$d/edited.$i" >"$d/want.$i"
	n "$i" paxosctl showconf >"$d/shown.$i" || fail "showconf on node $i"
	if ! cmp -s "$d/want.$i" "$d/shown.$i"; then
		diff "$d/want.$i" "$d/shown.$i" || true
		fail "node $i shows another configuration than the one set"
	fi
	[ "$(field "$i" key)" = set ] || fail "node $i: key not set"
done
echo "nodes 2 and 3 show what node 1 showed, edited"

# Node 1's own output set back on it changes nothing.
n 1 paxosctl setconf "$d/shown.1" || fail "setconf of its own showconf"
n 1 paxosctl showconf | cmp -s - "$d/shown.1" || fail "round trip on node 1"

# The file's members replace the node's: 3 stays, 2 goes, 4 comes.
sed -e '/^member 2 /d' "$d/shown.1" >"$d/members"
echo "member 4 addr 10.0.0.4 port 7404" >>"$d/members"
n 1 paxosctl setconf "$d/members" || fail "setconf with other members"
n 1 paxosctl member show >"$d/ms" || fail "member show"
[ "$(grep -c '^member' "$d/ms")" = 2 ] && grep -q '^member 3 10.0.0.3:7400 ' "$d/ms" &&
	grep -q '^member 4 10.0.0.4:7404 ' "$d/ms" || {
	cat "$d/ms"
	fail "members not replaced"
}

# An invalid file applies nothing, and says where.
n 1 paxosctl showconf >"$d/before"
printf 'id 5\ncluster 8\nmember 2 addr 10.0.0.2\nmember 2 addr 10.0.0.3\n' >"$d/bad"
rc=0
n 1 paxosctl setconf "$d/bad" 2>"$d/err" || rc=$?
[ $rc -eq 2 ] && grep -q "bad:4: member 2 listed twice" "$d/err" ||
	fail "bad file: exit $rc, $(cat "$d/err")"
n 1 paxosctl showconf | cmp -s - "$d/before" || fail "a bad file changed the node"
echo "a bad file is refused: $(cat "$d/err")"

# Running nodes: the key may change, nothing else.
n 1 paxosctl setconf "$d/shown.1" || fail "setconf back"
for i in 1 2 3; do
	n "$i" paxosctl up || fail "up on $i"
done
leader=$(wait_leader 30) || fail "no leader among nodes configured by setconf"
n 2 paxosctl setconf "$d/conf.3" 2>"$d/err" && fail "node 2 took node 3's id while up"
grep -q "the node is up and .* changes id, addr, members: .*paxosctl down" "$d/err" ||
	fail "up: unclear refusal: $(cat "$d/err")"
echo "a running node refuses: $(cat "$d/err")"
sed "s/^heartbeat .*/heartbeat 20ms/" "$d/shown.2" >"$d/hb"
n 2 paxosctl setconf "$d/hb" 2>/dev/null && fail "node 2 took a new heartbeat while up"
n 2 paxosctl showconf | cmp -s - "$d/shown.2" || fail "a refused setconf changed node 2"
echo "key-file $d/key" >>"$d/edited.2"
n 2 paxosctl setconf "$d/edited.2" || fail "setconf of the same settings and a key while up"

# A cluster configured by setconf alone commits.
cleanup
make_cluster 3
for i in 1 2 3; do
	{
		echo "# node $i"
		echo "id $i"
		echo "cluster 9"
		echo "addr 10.0.0.$i"
		echo "port $PORT"
		echo "heartbeat ${HEARTBEAT}ms"
		echo "election ${ELECTION}ms"
		echo "lease ${LEASE}ms"
		echo "drift 1000ppm"
		echo "key-file $d/key"
		for j in 1 2 3; do
			[ "$j" = "$i" ] || echo "member $j addr 10.0.0.$j   # node $j"
		done
	} >"$d/node$i.conf"
	n "$i" paxosctl setconf "$d/node$i.conf" || fail "setconf on node $i"
	n "$i" paxosctl up || fail "up on node $i"
done
leader=$(wait_leader 30) || fail "no leader in a cluster configured by setconf"
echo "leader: node $leader"
idx=$(n "$leader" paxosctl propose "configured by setconf") || fail "propose"
for i in 1 2 3; do
	n "$i" plog wait "$idx" 10000 || fail "node $i did not commit $idx"
	n "$i" plog dump >"$d/log.$i" || fail "dump on node $i"
	grep -q " 1 $(hex 'configured by setconf')\$" "$d/log.$i" ||
		fail "node $i: value not in the log"
	[ "$(field "$i" key)" = set ] || fail "node $i: no key"
done
echo "every node committed the value at $idx"
