#!/bin/sh
# Build (once) a debug kernel from Debian's linux-source-6.1 with KASAN,
# lockdep, kmemleak, DEBUG_ATOMIC_SLEEP and UBSAN, cached outside the tree.
# Prints the path of the built tree on stdout.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
frag="$top/selftests/vm/debug.config"
tarball=/usr/src/linux-source-6.1.tar.xz
cache=${KPAXOS_CACHE:-/var/cache/kpaxos}

[ -f "$tarball" ] || { echo "debug-kernel: $tarball missing (scripts/deps.sh)" >&2; exit 1; }
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
key=$(grep -v '^#' "$frag" | sha256sum | cut -c1-12)
tree="$cache/linux-$srcver-$key"

if [ -f "$tree/arch/x86/boot/bzImage" ] && [ -f "$tree/.kpaxos-done" ]; then
	echo "$tree"
	exit 0
fi

mkdir -p "$cache"
rm -rf "$tree" "$tree.tmp"
mkdir -p "$tree.tmp"
echo "debug-kernel: extracting linux-source $srcver" >&2
tar -xJf "$tarball" -C "$tree.tmp" --strip-components=1
mv "$tree.tmp" "$tree"
cd "$tree"
echo "debug-kernel: configuring" >&2
make -s tinyconfig >&2
scripts/kconfig/merge_config.sh -m .config "$frag" >/dev/null
make -s olddefconfig >&2
# Every option the fragment asks for must have survived olddefconfig.
grep -E '^CONFIG_[A-Z0-9_]+=y' "$frag" | while read -r opt; do
	grep -qx "$opt" .config || echo "debug-kernel: warning: $opt not set" >&2
done
echo "debug-kernel: building bzImage and modules_prepare ($(nproc) jobs)" >&2
make -s -j"$(nproc)" bzImage modules >&2
touch .kpaxos-done
echo "$tree"
