#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The engine's shape, from its object files: which file calls which.
# Fails if a leaf (log, quorum, dedup, session, wire, conf) calls another engine file,
# if a call cycle between files is not the one protocol.rst names, or if
# a function in kmod/core is longer than 80 lines.
# usage: layers.sh [--graph]   (--graph prints the edges)
set -eu
cd "$(dirname "$0")"
top=$(cd ../.. && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for f in "$top"/kmod/core/*.c; do
	cc -c -O2 -DPX_QUIET -I"$top/kmod/core" -I"$top/tools/lib" -I"$top/uapi" \
		"$f" -o "$tmp/$(basename "$f" .c).o"
done
for o in "$tmp"/*.o; do
	nm "$o" | awk -v f="$(basename "$o" .o)" '$2 == "T" { print "def", $3, f }'
	nm -u "$o" | awk -v f="$(basename "$o" .o)" '{ print "use", $2, f }'
done >"$tmp/syms"

python3 - "$tmp/syms" "${1:-}" "$top/kmod/core" <<'PY'
import glob, os, re, sys
defs, edges = {}, set()
for line in open(sys.argv[1]):
    kind, sym, f = line.split()
    if kind == "def":
        defs[sym] = f
for line in open(sys.argv[1]):
    kind, sym, f = line.split()
    if kind == "use" and sym in defs and defs[sym] != f:
        edges.add((f, defs[sym]))
if sys.argv[2] == "--graph":
    for a, b in sorted(edges):
        print(f"{a} -> {b}")
bad = 0
leaves = {"log", "quorum", "dedup", "session", "wire", "conf"}
for a, b in sorted(edges):
    if a in leaves:
        print(f"not ok: the leaf {a}.c calls {b}.c")
        bad += 1
# Named in Documentation/protocol.rst: delivering one of our own
# proposals ends its wait (learner -> proposals).
allowed = {("learner", "proposals")}
graph = {}
for a, b in edges - allowed:
    graph.setdefault(a, set()).add(b)
state = {}
def visit(v, path):
    global bad
    state[v] = 1
    for w in sorted(graph.get(v, ())):
        if state.get(w) == 1:
            print("not ok: call cycle " + " -> ".join(path[path.index(w):] + [w]))
            bad += 1
        elif w not in state:
            visit(w, path + [w])
    state[v] = 2
for v in sorted(graph):
    if v not in state:
        visit(v, [v])
for path in sorted(glob.glob(os.path.join(sys.argv[3], "*.c"))):
    start = None
    for i, line in enumerate(open(path), 1):
        if line.startswith("{"):
            start = i
        elif line.startswith("}") and start:
            if i - start - 1 > 80:
                print(f"not ok: {os.path.basename(path)}:{start}: a function of {i - start - 1} lines")
                bad += 1
            start = None
print(f"engine shape: {len(edges)} calls between files, {bad} problems")
sys.exit(1 if bad else 0)
PY
