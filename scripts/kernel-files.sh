#!/bin/sh
# Extract, once, the few files of linux-source-6.1 the build uses:
# the kselftest headers and checkpatch.  Prints the directory.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/build/linux-files"
tarball=/usr/src/linux-source-6.1.tar.xz
if [ ! -f "$out/.done" ]; then
	rm -rf "$out"
	mkdir -p "$out"
	tar -xJf "$tarball" -C "$out" --strip-components=1 \
		linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
		linux-source-6.1/tools/testing/selftests/kselftest.h \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch
	touch "$out/.done"
fi
echo "$out"
