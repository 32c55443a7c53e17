#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: scripts/deb-check.sh [--host]
#
# `make check`'s packaging step: `make deb` (which fails on a lintian error
# or warning), then the two packages are installed, DKMS builds paxos.ko
# for every kernel whose headers are installed (scripts/kver.sh's among
# them), and the module, paxosctl, paxosd, the man pages and paxos@.service
# are checked in place; the packages are purged and everything they put
# down must be gone.
#
# The packages go into a throwaway chroot: an overlay whose lower layer is
# the host's root file system and whose upper layer is a tmpfs, mounted in
# a private mount namespace.  The host is never written to, and every
# mount vanishes with the namespace, whatever way the check ends: it is
# idempotent and needs no cleanup.  Where that is not possible (no
# overlayfs, or /usr, /var or /etc on another file system than /), or with
# --host, the packages are installed on the host itself and purged on the
# way out, failure or not.
#
# DEB_CHECK_PREBUILT=1 checks the packages already in build/deb/.
# Needs root, dkms, debhelper, dh-dkms and lintian (scripts/deps.sh).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

say() { echo "deb-check: $*"; }
die() { echo "deb-check: FAILED: $*" >&2; exit 1; }

self=$top/scripts/deb-check.sh
ver=$(head -n1 debian/changelog | cut -d' ' -f2 | tr -d '()')
# DKMS's version: the upstream part, without a Debian revision.
dver=${ver%-*}
arch=$(dpkg --print-architecture)
dkms_deb=build/deb/paxos-dkms_${ver}_all.deb
tools_deb=build/deb/paxos-tools_${ver}_${arch}.deb
pkgs="paxos-dkms paxos-tools"

# Known to dpkg in any state but not-installed (unpacked, half-configured,
# config-files...): something to purge.
present() {	# package
	case "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" in
	"" | not-installed) return 1 ;;
	*) return 0 ;;
	esac
}

# Installed, by dpkg's account.
installed() {	# package
	case "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" in
	*" installed") return 0 ;;
	*) return 1 ;;
	esac
}

# The kernels to build for: scripts/kver.sh's (required), then any other
# kernel whose headers are installed.
kernels() {
	local k main
	main=$(scripts/kver.sh) || die "no kernel headers (scripts/kver.sh)"
	echo "$main"
	for k in /lib/modules/*/build/Makefile; do
		[ -e "$k" ] || continue
		k=${k#/lib/modules/}
		k=${k%%/*}
		[ "$k" = "$main" ] || echo "$k"
	done
}

# The end of DKMS's build log, if there is one.
make_log() {
	local f=/var/lib/dkms/paxos/$dver/build/make.log
	if [ -f "$f" ]; then
		echo "--- $f (end)"
		tail -n 40 "$f"
	fi
}

# Install, check, purge, check again: run in the chroot or on the host.
steps() {
	local k kvers mod magic f

	kvers=$(kernels)
	for p in $pkgs; do
		if present "$p"; then
			die "$p is installed already"
		fi
	done

	say "dpkg -i $dkms_deb $tools_deb"
	if ! dpkg -i "$dkms_deb" "$tools_deb"; then
		make_log
		die "dpkg -i (a DKMS build that failed shows its make.log above)"
	fi
	for p in $pkgs; do
		installed "$p" || die "$p did not install"
	done

	[ -f "/usr/src/paxos-$dver/dkms.conf" ] || die "/usr/src/paxos-$dver/dkms.conf is missing"
	grep -qx "PACKAGE_VERSION=\"$dver\"" "/usr/src/paxos-$dver/dkms.conf" ||
		die "dkms.conf does not give version $dver"
	[ -n "$(dkms status -m paxos -v "$dver")" ] || die "DKMS does not know paxos/$dver"

	for k in $kvers; do
		if grep -q ': installed' <<<"$(dkms status -m paxos -v "$dver" -k "$k")"; then
			say "DKMS built and installed paxos/$dver for $k when the package installed"
		else
			say "dkms install -m paxos -v $dver -k $k"
			t=$(date +%s)
			if ! dkms install -m paxos -v "$dver" -k "$k"; then
				make_log
				die "DKMS could not build paxos/$dver for $k"
			fi
			say "built in $(( $(date +%s) - t ))s"
		fi
		grep -q ': installed' <<<"$(dkms status -m paxos -v "$dver" -k "$k")" ||
			die "dkms status: paxos/$dver is not installed for $k"
		mod=$(find "/lib/modules/$k/updates" -name 'paxos.ko*' 2>/dev/null | head -n1 || true)
		[ -n "$mod" ] || die "no paxos.ko under /lib/modules/$k/updates"
		magic=$(modinfo -F vermagic "$mod")
		[ "${magic%% *}" = "$k" ] || die "$mod: vermagic '$magic', not $k"
		grep -qw udp_tunnel <<<"$(modinfo -F depends "$mod")" ||
			die "$mod: does not depend on udp_tunnel"
		# depmod ran: modprobe finds it, and its dependencies, for $k.
		grep -q "insmod $mod" <<<"$(modprobe -n -v -S "$k" paxos)" ||
			die "modprobe -S $k does not resolve paxos to $mod"
		say "ok: $mod (vermagic ${magic%% *}, $(stat -c %s "$mod") bytes)"
	done

	for f in /usr/sbin/paxosctl /usr/sbin/paxosd; do
		[ -x "$f" ] || die "$f is missing"
	done
	grep -q '^usage: paxosctl' <<<"$(/usr/sbin/paxosctl --help 2>&1)" || die "paxosctl --help prints no usage"
	grep -q '^usage: paxosd' <<<"$(/usr/sbin/paxosd --help 2>&1)" || die "paxosd --help prints no usage"
	for f in paxosctl paxosd; do
		grep -q '^\.TH ' <<<"$(zcat "/usr/share/man/man8/$f.8.gz")" || die "man page $f(8) is missing"
	done
	f=/lib/systemd/system/paxos@.service
	[ -f "$f" ] || die "$f is missing"
	grep -qx 'ExecStart=/usr/sbin/paxosctl setconf /etc/paxos/%i.conf' "$f" ||
		die "$f does not run /usr/sbin/paxosctl setconf"
	if command -v systemd-analyze >/dev/null; then
		systemd-analyze verify paxos@check.service || die "systemd-analyze verify $f"
	fi
	[ -f /usr/share/bash-completion/completions/paxosctl ] || die "bash completion is missing"
	say "ok: paxosctl, paxosd, paxosctl(8), paxosd(8), $f, bash completion"

	say "dpkg --purge $pkgs"
	# shellcheck disable=SC2086
	dpkg --purge $pkgs
	for p in $pkgs; do
		! present "$p" || die "$p is still installed"
	done
	for f in "/usr/src/paxos-$dver" /var/lib/dkms/paxos /usr/sbin/paxosctl /usr/sbin/paxosd \
		/lib/systemd/system/paxos@.service /usr/share/man/man8/paxosctl.8.gz; do
		[ ! -e "$f" ] || die "$f is left after the purge"
	done
	for k in $kvers; do
		mod=$(find "/lib/modules/$k/updates" -name 'paxos.ko*' 2>/dev/null | head -n1 || true)
		[ -z "$mod" ] || die "$mod is left after the purge"
	done
	say "ok: purged, nothing left"
}

# The chroot's root: an overlay of / in this (private) mount namespace.
root=$top/build/deb-check/root
overlay() {
	local layers=$top/build/deb-check/layers
	mkdir -p "$root" "$layers"
	mount -t tmpfs -o mode=0755 paxos-deb-check "$layers"
	mkdir "$layers/upper" "$layers/work"
	mount -t overlay -o "lowerdir=/,upperdir=$layers/upper,workdir=$layers/work" \
		paxos-deb-check "$root"
}

in_chroot() {
	overlay
	mount -t proc proc "$root/proc"
	mount --rbind /dev "$root/dev"
	mount -t tmpfs -o mode=0755 tmpfs "$root/run"
	mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
	# The tree (the packages, this script), read-only, wherever it lives.
	mkdir -p "$root$top"
	mount --bind "$top" "$root$top"
	mount -o remount,bind,ro "$root$top"
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$self" --steps
}

# Whether the chroot can be made here.
chroot_possible() {
	local d
	grep -qw overlay /proc/filesystems || modprobe -q overlay 2>/dev/null || return 1
	command -v unshare >/dev/null || return 1
	for d in /usr /var /etc /lib/modules /usr/src; do
		[ "$(stat -c %m "$d")" = / ] || return 1
	done
	# A container may refuse the mounts even to root: try them.
	unshare --mount --propagation private "$self" --probe 2>/dev/null
}

# On the host: purge on the way out; a marker says a killed run left them.
marker=$top/build/deb-check.host-installed
host_cleanup() {
	local p
	for p in $pkgs; do
		if present "$p"; then
			say "cleanup: dpkg --purge $p"
			dpkg --purge "$p" >/dev/null || true
		fi
	done
	for p in /var/lib/dkms/mok.key /var/lib/dkms/mok.pub; do
		if [ ! -e "$marker.$(basename "$p")" ] && [ -e "$p" ]; then
			rm -f "$p"
		fi
	done
	rm -f "$marker" "$marker".mok.*
}

on_host() {
	local p
	if [ -e "$marker" ]; then
		say "an earlier run was cut short: purging what it installed"
		host_cleanup
	fi
	for p in $pkgs; do
		if present "$p"; then
			die "$p is installed on this host: not touching it (dpkg --purge $pkgs, or leave --host out)"
		fi
	done
	mkdir -p "$(dirname "$marker")"
	# DKMS makes a module signing key when there is none: remove it after.
	for p in /var/lib/dkms/mok.key /var/lib/dkms/mok.pub; do
		[ ! -e "$p" ] || touch "$marker.$(basename "$p")"
	done
	touch "$marker"
	trap host_cleanup EXIT
	trap 'exit 1' INT TERM HUP
	DEBIAN_FRONTEND=noninteractive steps
}

case "${1:-}" in
--steps)	# inside the chroot, which may hold the host's own copies
	for p in $pkgs; do
		if present "$p"; then
			say "the host has $p: purged in the chroot first"
			dpkg --purge "$p" >/dev/null
		fi
	done
	steps
	exit 0
	;;
--in-namespace)
	in_chroot
	exit 0
	;;
--probe)
	overlay
	exit 0
	;;
--host|"") ;;
*)
	echo "usage: scripts/deb-check.sh [--host]" >&2
	exit 2
	;;
esac

[ "$(id -u)" = 0 ] || die "needs root (dpkg, dkms, mount)"
for c in dkms dh dh_dkms lintian; do
	command -v "$c" >/dev/null || die "$c is missing (scripts/deps.sh installs it)"
done

t0=$(date +%s)
if [ -n "${DEB_CHECK_PREBUILT:-}" ]; then
	say "DEB_CHECK_PREBUILT: the packages already in build/deb/"
else
	say "make deb"
	make --no-print-directory deb || die "make deb"
fi
for f in "$dkms_deb" "$tools_deb"; do
	[ -f "$f" ] || die "make deb did not make $f"
done

if [ "${1:-}" = --host ]; then
	say "installing on the host (--host)"
	on_host
elif chroot_possible; then
	say "installing in a throwaway chroot (overlay of / in a private mount namespace)"
	unshare --mount --propagation private "$self" --in-namespace || die "in the chroot (the host is untouched)"
else
	say "no overlay chroot here: installing on the host, purged on the way out"
	on_host
fi
say "passed in $(( $(date +%s) - t0 ))s"
