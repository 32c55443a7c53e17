#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Host side of `make bench`: latency against outstanding writes, as a PNG.
set -e
dir=${1:-results}
[ -f "$dir/bench.json" ] || { echo "plot: $dir/bench.json missing" >&2; exit 1; }
for f in k3 u3 k5 u5; do
	[ -f "$dir/$f.json" ] || continue
	sed -n 's/.*"size":64,"depth":\([0-9]*\),.*"p50_us":\([0-9.]*\),"p99_us":\([0-9.]*\).*/\1 \2 \3/p' \
		"$dir/$f.json" >"$dir/$f.dat"
done
gnuplot <<GP
set terminal png size 900,600
set output "$dir/latency.png"
set title "kpaxos commit latency vs outstanding writes (64-byte values)"
set xlabel "outstanding writes"
set ylabel "commit latency p50 (us)"
set logscale xy
set key top left
plot "$dir/k3.dat" using 1:2 with linespoints title "kernel, 3 nodes", \
     "$dir/u3.dat" using 1:2 with linespoints title "user-space twin, 3 nodes", \
     "$dir/k5.dat" using 1:2 with linespoints title "kernel, 5 nodes", \
     "$dir/u5.dat" using 1:2 with linespoints title "user-space twin, 5 nodes"
GP
echo "plot: $dir/latency.png"
[ -f "$dir/summary.txt" ] && cat "$dir/summary.txt"
