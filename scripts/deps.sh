#!/bin/sh
# Install, only when missing, every Debian package that building kpaxos,
# booting its test VMs and running its tests needs.  Idempotent.
set -eu

# linux-*-6.12-cloud-amd64 (bookworm-security): the second kernel the
# kselftests run on; the 6.1 pair stays the default build (scripts/kver.sh).
# debhelper, dh-dkms, dkms, lintian: make deb and its check (scripts/deb-check.sh).
# linux-perf: perf for 6.1, packed into the VM for cluster_trace.sh's one-liner.
# e2fsprogs: mke2fs, packed into the VM for file systems on run.sh --disk.
PKGS="linux-image-cloud-amd64 linux-headers-cloud-amd64 qemu-system-x86
linux-image-6.12-cloud-amd64 linux-headers-6.12-cloud-amd64
busybox-static iproute2 cpio gzip libnl-3-dev libnl-genl-3-dev linux-source-6.1
sparse bc flex bison libelf-dev libssl-dev make gcc clang libclang-rt-14-dev
valgrind xz-utils kmod gnuplot-nox python3 python3-yaml file pkg-config libc6-dev perl
debhelper dh-dkms dkms lintian linux-perf e2fsprogs"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run as root to install)" >&2
	exit 1
fi

echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
