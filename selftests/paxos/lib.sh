#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the cluster kselftests: N nodes, each in its own network
# namespace pxnI with address 10.0.0.I, joined by veth pairs to a bridge
# in the namespace pxsw.  `n I cmd` runs cmd in node I's namespace.

PORT=7400
HEARTBEAT=${HEARTBEAT:-50}
ELECTION=${ELECTION:-300}
LEASE=${LEASE:-1000}

# fail MSG: say why, show every node's state for the log, and stop.
fail() {
	echo "FAIL: $*"
	for i in $(seq 1 "${NODES:-0}"); do
		ip netns list | grep -q "^pxn$i\b" || continue
		echo "node $i:"
		n "$i" paxosctl status 2>&1 | sed 's/^/  /'
	done
	exit 1
}
# nsenter enters only the network namespace; `ip netns exec` also makes a
# mount namespace and remounts /sys, which on the debug kernel under
# emulation costs about 0.7 s a command.  Either execs CMD ($! is CMD).
# CMD is looked up in PATH here, as ip netns exec does: busybox's nsenter
# would run its own applet of that name first (its tc and ip, not
# iproute2's).
if command -v nsenter >/dev/null 2>&1; then
	n() {
		i=$1
		shift
		_n_cmd=$1
		shift
		case $_n_cmd in
		*/*) ;;
		*) _n_cmd=$(command -v "$_n_cmd" || echo "$_n_cmd") ;;
		esac
		nsenter --net="/run/netns/pxn$i" "$_n_cmd" "$@"
	}
else
	n() { i=$1; shift; ip netns exec "pxn$i" "$@"; }
fi
field() { n "$1" paxosctl status | sed -n "s/^$2: //p"; }
# pw NODE VALUE...: plog write on NODE, quiet; what failed said on stderr.
pw() {
	_pn=$1
	shift
	_po=$(n "$_pn" plog write "$@") && return 0
	echo "# plog write on node $_pn: $_po" >&2
	return 1
}
# hex VALUE: VALUE as plog dump prints it.
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
now_ms() { cut -d' ' -f1 /proc/uptime | tr -d . | sed 's/$/0/'; }

load_module() {
	[ -d /sys/module/paxos ] || modprobe paxos || fail "modprobe paxos"
}

# make_cluster COUNT: namespaces, links and addresses.  A few `ip -batch`
# runs, not one ip per step: each exec costs a lot on the debug kernel.
make_cluster() {
	NODES=$1
	load_module
	{
		echo "netns add pxsw"
		for i in $(seq 1 "$NODES"); do
			echo "netns add pxn$i"
		done
	} | ip -batch - || fail "namespaces"
	{
		echo "link add br0 type bridge"
		echo "link set br0 up"
		for i in $(seq 1 "$NODES"); do
			# Made in its namespace, named eth0 there from the start.
			echo "link add pxs$i type veth peer name eth0 netns pxn$i"
			echo "link set pxs$i master br0"
			echo "link set pxs$i up"
		done
	} | ip -n pxsw -batch - || fail "bridge and links"
	for i in $(seq 1 "$NODES"); do
		printf '%s\n' "link set lo up" "addr add 10.0.0.$i/24 dev eth0" \
			"link set eth0 up" | ip -n "pxn$i" -batch - || fail "addresses of node $i"
	done
}

# configure I [FIRST LAST]: identity, members (nodes FIRST..LAST, by
# default every node), lease; then up.  One paxosctl setconf does what
# node set, member add and lease set do (the same requests), in one exec;
# should it refuse the file (it then changes nothing), the separate
# commands run and say what failed.
configure() {
	i=$1
	{
		echo "id $i"
		echo "addr 10.0.0.$i"
		echo "port $PORT"
		echo "heartbeat $HEARTBEAT"
		echo "election $ELECTION"
		echo "lease ${LEASE}ms"
		echo "drift 1000ppm"
		for j in $(seq "${2:-1}" "${3:-$NODES}"); do
			[ "$j" = "$i" ] || echo "member $j addr 10.0.0.$j port $PORT"
		done
	} | n "$i" paxosctl setconf /dev/stdin 2>/dev/null || configure_steps "$@"
	n "$i" paxosctl up || fail "up on $i"
}
configure_steps() {
	i=$1
	n "$i" paxosctl node set id "$i" addr "10.0.0.$i" port $PORT \
		heartbeat $HEARTBEAT election $ELECTION || fail "node set on $i"
	for j in $(seq "${2:-1}" "${3:-$NODES}"); do
		[ "$j" = "$i" ] && continue
		n "$i" paxosctl member add "$j" addr "10.0.0.$j" port $PORT ||
			fail "member add $j on $i"
	done
	n "$i" paxosctl lease set duration "${LEASE}ms" drift 1000ppm ||
		fail "lease set on $i"
}

start_cluster() {
	make_cluster "$1"
	for i in $(seq 1 "$NODES"); do
		configure "$i"
	done
}

# wait_leader SECONDS [EXCLUDE [FIRST LAST]]: print the id of a node that
# is leader (among nodes FIRST..LAST, by default every node).
wait_leader() {
	end=$(($(date +%s) + $1))
	while [ "$(date +%s)" -le "$end" ]; do
		for i in $(seq "${3:-1}" "${4:-$NODES}"); do
			[ "$i" = "${2:-0}" ] && continue
			[ -e "/run/netns/pxn$i" ] || continue
			if [ "$(field "$i" state 2>/dev/null)" = leader ]; then
				echo "$i"
				return 0
			fi
		done
		sleep 0.1
	done
	return 1
}

# All nodes (given) deliver the same records: compare plog dumps.
same_logs() {
	ref=""
	for i in "$@"; do
		n "$i" plog dump >"/tmp/log.$i" || fail "dump on node $i"
		if [ -z "$ref" ]; then
			ref=$i
		elif ! cmp -s "/tmp/log.$ref" "/tmp/log.$i"; then
			echo "logs of node $ref and node $i differ:"
			diff "/tmp/log.$ref" "/tmp/log.$i" | head -n 10
			return 1
		fi
	done
}

# converge LEADER SECONDS NODE...: the nodes deliver everything up to
# LEADER's commit index, and deliver the same records (same_logs).
converge() {
	cl=$1
	cs=$2
	shift 2
	top=$(n "$cl" plog commit)
	for i in "$@"; do
		n "$i" plog wait "$top" "${cs}000" ||
			fail "node $i stuck below $top"
	done
	same_logs "$@" || fail "logs differ"
}

cleanup() {
	ip netns list | sed -n 's/^\(px[a-z0-9]*\).*/netns del \1/p' |
		ip -force -batch - 2>/dev/null
	sleep 0.2
}

# Kernel-timed changes of leader, where tracefs has the paxos_leader
# event (trace_leaders, after load_module): a mark written to the trace
# just before a command, and the time from it to the event of the node
# that then leads (a test's polling, a paxosctl run every few ms on a
# loaded TCG host, adds hundreds of ms).  untrace at the end.
TRACED=
trace_leaders() {
	T=/sys/kernel/tracing
	[ -d "$T/events" ] || mount -t tracefs nodev "$T" 2>/dev/null || true
	[ -w "$T/events/paxos/paxos_leader/enable" ] || return 0
	echo 0 >"$T/tracing_on"
	: >"$T/trace"
	echo 1 >"$T/events/paxos/paxos_leader/enable"
	echo 1 >"$T/tracing_on"
	TRACED=1
}
untrace() {
	[ -n "$TRACED" ] && echo 0 >"$T/events/paxos/paxos_leader/enable"
	TRACED=
}
mark() { [ -z "$TRACED" ] || echo "kpaxos-mark $1" >"$T/trace_marker"; }
# since_mark TAG NODE: ms from mark TAG to NODE's first event naming
# itself the leader after it ("-" without tracing).
since_mark() {
	[ -n "$TRACED" ] || { echo -; return; }
	awk -v tag="kpaxos-mark $1" -v want=" node=$2 leader=$2 " '
		function ts(	i) {
			for (i = 1; i <= NF; i++)
				if ($i ~ /^[0-9]+\.[0-9]+:$/)
					return substr($i, 1, length($i) - 1)
			return ""
		}
		index($0, tag) { t0 = ts(); next }
		t0 != "" && index($0, "paxos_leader:") && index($0, want) {
			printf "%.1f\n", (ts() - t0) * 1000
			found = 1
			exit
		}
		END { if (!found) print "-" }' "$T/trace"
}

# expect_err I WHAT CMD...: CMD in node I's namespace fails saying WHAT.
expect_err() {
	i=$1
	what=$2
	shift 2
	if out=$(n "$i" "$@" 2>&1); then
		fail "$* succeeded; expected: $what"
	fi
	echo "$out" | grep -q "$what" || fail "$*: \"$out\", expected \"$what\""
}

# acked_once I: every write in /tmp/acked ("INDEX VALUE" lines) is in
# node I's log once, at its index.
acked_once() {
	n "$1" plog dump >"/tmp/dump.$1" || fail "dump on node $1"
	while read -r idx v; do
		h=$(hex "$v")
		c=$(grep -c " $h\$" "/tmp/dump.$1" || true)
		[ "$c" = 1 ] || fail "node $1 holds $v $c times"
		grep -q "^$idx 1 $h\$" "/tmp/dump.$1" || fail "node $1: $v not at $idx"
	done </tmp/acked
}

# acked_in_log NODE DIR PREFIX: once nodes 1-3 have NODE's commit index,
# every write DIR/acked.I lists ("K INDEX", value PREFIX-I-K) is in
# NODE's log once, at its index, and the three logs are the same.
acked_in_log() {
	top=$(n "$1" plog barrier) || fail "barrier on node $1"
	for i in 1 2 3; do
		n "$i" plog wait "$top" 30000 || fail "node $i stuck below $top"
	done
	n "$1" plog dump >"$2/log"
	acked=0
	for i in 1 2 3; do
		[ -e "$2/acked.$i" ] || continue
		while read -r k idx; do
			v=$(hex "$3-$i-$k")
			[ "$(grep -c " $v\$" "$2/log")" = 1 ] ||
				fail "write $3-$i-$k acknowledged, not in the log once"
			grep -q "^$idx [0-9]* $v\$" "$2/log" ||
				fail "write $3-$i-$k acknowledged at $idx, not there"
			acked=$((acked + 1))
		done <"$2/acked.$i"
	done
	same_logs 1 2 3 || fail "logs differ"
	echo "$acked acknowledged writes, each once at its index; nodes 1 2 3 agree on $(wc -l <"$2/log") records"
}

# start_writers DIR PREFIX NODE...: a writer through each NODE, values
# PREFIX-I-K one at a time until DIR/stop exists, "K INDEX" appended to
# DIR/acked.I for each acknowledged (a write that failed is not retried:
# it may or may not be in the log); stop_writers DIR.
PX_WRITERS=""
px_writer() {
	k=0
	while [ ! -e "$1/stop" ]; do
		k=$((k + 1))
		if idx=$(n "$3" timeout 30 plog write "$2-$3-$k" 2>/dev/null); then
			echo "$k $idx" >>"$1/acked.$3"
		else
			sleep 0.1
		fi
	done
}
start_writers() {
	_wd=$1
	_wp=$2
	shift 2
	for _wn in "$@"; do
		px_writer "$_wd" "$_wp" "$_wn" &
		PX_WRITERS="$PX_WRITERS $!"
	done
}
stop_writers() {
	: >"$1/stop"
	for _wn in $PX_WRITERS; do wait "$_wn" 2>/dev/null || true; done
	PX_WRITERS=""
}
