#!/bin/sh
# usage: scripts/kver.sh [6.1|6.12]
# Print the kernel release of the installed Debian 12 cloud kernel headers
# of one series, found from its metapackage's dependency, never hard-coded:
#   6.1   linux-headers-cloud-amd64, Debian 12's own kernel (the default:
#         `make`, the tree's paxos.ko, --kernel debian)
#   6.12  linux-headers-6.12-cloud-amd64 from bookworm-security
#         (selftests/vm/run.sh --kernel debian612)
set -eu
series=${1:-6.1}
case "$series" in
6.1) meta=linux-headers-cloud-amd64 ;;
6.12) meta=linux-headers-6.12-cloud-amd64 ;;
*) echo "kver: unknown series '$series' (6.1 or 6.12)" >&2; exit 2 ;;
esac
dep=$(dpkg-query -W -f='${Depends}' "$meta" 2>/dev/null) || {
	echo "kver: $meta is not installed (scripts/deps.sh)" >&2
	exit 1
}
# "linux-headers-6.1.0-NN-cloud-amd64 (= 6.1.x-y)" -> 6.1.0-NN-cloud-amd64
rel=$(echo "$dep" | tr ',' '\n' |
	sed -n 's/^ *linux-headers-\([^ ]*-cloud-amd64\).*/\1/p' | head -n1)
case "$rel" in
"$series".*) echo "$rel" ;;
*)
	echo "kver: $meta gives '$rel', not a $series kernel" >&2
	exit 1
	;;
esac
