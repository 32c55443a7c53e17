#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make deb`: the paxos-dkms and paxos-tools Debian packages, and the
# source package, in build/deb/, then lintian on all of them.
#
# The packages are built with dpkg-buildpackage in a copy of the tree
# (build/deb/kpaxos-VERSION/) that holds the working tree's tracked files
# and its new text files, but nothing git ignores and no new binary (build
# products: objects, tools, test binaries), so that a built tree gives the
# same packages as a clean one.
#
# LINTIAN=0 skips lintian.  Exits non-zero when the build fails or lintian
# reports an error or a warning.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
ver=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)
src=$(sed -n '1s/^\([^ ]*\) .*/\1/p' debian/changelog)
out=$top/build/deb
copy=$out/$src-$ver

say() { echo "deb: $*"; }

if ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null; then
	say "dpkg-dev and debhelper are missing (scripts/deps.sh installs them)" >&2
	exit 1
fi

rm -rf "$out"
mkdir -p "$copy"

say "copying the tree to ${copy#"$top"/}"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	{
		# Tracked files, less those deleted in the working tree.
		git ls-files -z --cached | while IFS= read -r -d '' f; do
			if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
		done
		# New files that are text (a new binary is a build product).
		git ls-files -z --others --exclude-standard | while IFS= read -r -d '' f; do
			if [ -f "$f" ] && grep -Iq . "$f"; then printf '%s\0' "$f"; fi
		done
	} | tar --null -T - -cf - | tar -xf - -C "$copy"
else
	tar --exclude=./build --exclude=./.git --exclude='*.o' --exclude='*.ko' \
		--exclude='*.mod' --exclude='*.mod.c' --exclude='.*.cmd' \
		--exclude='*.order' --exclude='*.symvers' -cf - . | tar -xf - -C "$copy"
fi

cd "$copy"
if ! dpkg-checkbuilddeps; then
	say "missing build dependencies (scripts/deps.sh installs them)" >&2
	exit 1
fi

say "dpkg-buildpackage (log: build/deb/build.log)"
t0=$(date +%s)
if ! dpkg-buildpackage -us -uc >"$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log"
	say "dpkg-buildpackage failed (build/deb/build.log)" >&2
	exit 1
fi
say "built in $(( $(date +%s) - t0 ))s:"
cd "$out"
for f in ./*.dsc ./*.changes ./*.deb; do
	echo "  build/deb/${f#./}"
done

if [ "${LINTIAN:-1}" = 0 ]; then
	exit 0
fi
changes=("${src}_${ver}"_*.changes)
say "lintian build/deb/${changes[0]}"
# lintian would rather not run as root: as nobody, where nobody can read.
as=()
if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null &&
	runuser -u nobody -- test -r "${changes[0]}" 2>/dev/null; then
	as=(runuser -u nobody --)
fi
# --fail-on: an error or a warning makes the build fail; info tags show.
if ! "${as[@]}" lintian --display-info --fail-on error,warning "${changes[0]}" 2>&1 |
	tee "$out/lintian.log"; then
	say "lintian found errors or warnings (build/deb/lintian.log)" >&2
	exit 1
fi
say "lintian: no error, no warning"
