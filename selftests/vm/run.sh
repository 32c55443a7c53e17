#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a QEMU VM with an initramfs holding the built kpaxos tree and run the
# kselftests (or one command) inside it; print the TAP stream and give a
# verdict the caller cannot misread.
#
# usage: selftests/vm/run.sh [options] [TEST...]
#   --kernel debian|debian612|debug
#                          Debian 12's 6.1 cloud kernel (default), its 6.12
#                          cloud kernel from bookworm-security, or the debug
#                          kernel (6.1 with KASAN, lockdep, kmemleak, UBSAN)
#                          from scripts/debug-kernel.sh; for the last two the
#                          module is rebuilt against that tree for the run.
#   --cmd 'CMD'            run CMD (a path relative to the tree, with
#                          arguments) instead of the kselftests; its output is
#                          streamed, its exit status is the verdict
#   --out DIR              artifacts: console.log, tap.log and what the guest
#                          wrote under /out (default build/vm/<kernel>)
#   --timeout SEC          whole-VM time limit (default 1800)
#   --append 'ARGS'        more guest kernel command line
#   --disk FILE[:SIZE]     attach FILE as a raw virtio-blk disk: /dev/vda for
#                          the first --disk, /dev/vdb for the second, ...;
#                          a missing FILE is created, SIZE bytes of zeros
#                          (truncate(1) suffixes: 64M, 1G; default 64M); an
#                          existing one keeps its size and contents.  Written
#                          with cache=none: what the guest has flushed (or
#                          written with FUA) is in the host file and
#                          survives a SIGKILL of QEMU.  FILE must be on a
#                          file system with O_DIRECT.  Not on --kernel debug
#                          unless its config has CONFIG_VIRTIO_BLK=y.
#   --serial2 FILE         a virtio-serial port named kpaxos.serial2 (in the
#                          guest /dev/vportNpM, found by that name under
#                          /sys/class/virtio-ports) written to FILE on the
#                          host as the guest writes it: a record that
#                          outlives a SIGKILL of QEMU
#   --pidfile FILE         QEMU's process id, for a caller that kills it
#   --skip TEST            leave TEST out of the default list (repeatable)
#   KPAXOS_PLANT_FAIL=1    add a test that fails; KPAXOS_KO=path: module to
#                          use on a Debian kernel instead of kmod/paxos.ko
#                          (6.1) or the one built for the run (6.12)
#   TEST...                names in selftests/paxos (default: every
#                          executable basic_* and cluster_* there)
#
# Inside the guest the tree is at /kpaxos with the same layout, tools are on
# PATH, veth/sch_netem/udp_tunnel are loaded and `modprobe paxos` works.
# Per-test timeout: selftests/paxos/settings (timeout=N), overridden by a
# `# timeout=N` line in the test.  Exit 0 pass, 4 skip, anything else fails.
#
# The run fails on: any `not ok`, a missing or short plan, no end marker, a
# VM timeout, or a console showing a kernel BUG, WARNING, Oops, KASAN, UBSAN,
# refcount_t, lockdep or kmemleak report.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
kernel=debian
cmd=
out=
append=
vm_timeout=1800
tests=()
skips=()
disks=()
serial2=
pidfile=

while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift 2 ;;
	--cmd) cmd=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--timeout) vm_timeout=$2; shift 2 ;;
	--disk) disks+=("$2"); shift 2 ;;
	--serial2) serial2=$2; shift 2 ;;
	--pidfile) pidfile=$2; shift 2 ;;
	--skip) skips+=("$2"); shift 2 ;;
	-h|--help) sed -n '3,52p' "$0"; exit 0 ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) tests+=("$1"); shift ;;
	esac
done

out=${out:-$top/build/vm/$kernel}
mkdir -p "$out"
out=$(cd "$out" && pwd)
# Scratch space next to the artifacts: runs with different --out may overlap.
work=$out.work

log() { echo "vm: $*" >&2; }

# The module, rebuilt against another kernel tree in a copy of the sources
# (the tree's own objects are the 6.1 build).
build_ko() {	# kernel-tree
	local dk=$out.kmod
	rm -rf "$dk"
	mkdir -p "$dk"
	# The sources alone: the tree may be building meanwhile (make sparse).
	(cd "$top" && find kmod uapi -name '*.[ch]' ! -name '*.mod.c' -o -name Kbuild) |
		while read -r f; do install -D -m 644 "$top/$f" "$dk/$f"; done
	log "building paxos.ko against $1"
	make -s -C "$1" M="$dk/kmod" ${PAXOS_PLANT_WARN:+PAXOS_PLANT_WARN=y} modules >&2
	ko=$dk/kmod/paxos.ko
}

case "$kernel" in
debian|debian612)
	if [ "$kernel" = debian ]; then
		kver=$("$top/scripts/kver.sh" 6.1)
		ko=${KPAXOS_KO:-$top/kmod/paxos.ko}
		[ -f "$ko" ] || { log "$ko missing: run make first"; exit 1; }
	else
		kver=$("$top/scripts/kver.sh" 6.12)
		if [ -n "${KPAXOS_KO:-}" ]; then
			ko=$KPAXOS_KO
		else
			build_ko "/lib/modules/$kver/build"
		fi
	fi
	bzimage=/boot/vmlinuz-$kver
	modsrc=/lib/modules/$kver
	[ -f "$bzimage" ] || { log "$bzimage missing (scripts/deps.sh)"; exit 1; }
	;;
debug)
	tree=$("$top/scripts/debug-kernel.sh")
	if [ ${#disks[@]} -gt 0 ] && ! grep -qx 'CONFIG_VIRTIO_BLK=y' "$tree/.config"; then
		log "--disk: the debug kernel has no virtio-blk (needs CONFIG_BLOCK, CONFIG_PCI, CONFIG_VIRTIO_PCI, CONFIG_VIRTIO_BLK)"
		exit 1
	fi
	bzimage=$tree/arch/x86/boot/bzImage
	modsrc=
	kver=$(cat "$tree/include/config/kernel.release")
	build_ko "$tree"
	# Four-level paging.  With -cpu max the guest has LA57, and 6.1's
	# KASAN derives its shadow's start from the LA57 feature bit, which
	# identify_cpu() clears while it probes the boot CPU: an interrupt
	# in that window got a false "wild-memory-access" report on 2 boots
	# of 20 (none of 20 with no5lvl).
	append="no5lvl${append:+ $append}"
	;;
*) echo "run.sh: --kernel debian|debian612|debug" >&2; exit 2 ;;
esac

# ---------------------------------------------------------------- disks
# cache=none: QEMU opens the file O_DIRECT (no host page cache in the
# way) and tells the guest its disk has a volatile write cache, so the
# guest kernel sends its flushes and FUA writes (virtio-blk has no FUA: the
# block layer follows the write with a flush) and QEMU answers each flush
# with fdatasync() on the file.  What the guest saw flushed is on the host's
# disk, not only in QEMU or in the host's page cache, and latency measured
# in the guest includes a real flush of the host file.  cache=directsync
# would make every write synchronous and hide the write cache from the
# guest (it would then drop its own flushes); writeback and unsafe let
# the host page cache or nothing at all stand for the flush.
disk_args=()
for i in "${!disks[@]}"; do
	spec=${disks[$i]}
	file=$spec
	size=64M
	if [[ "$spec" =~ ^(.+):([0-9]+[KMGT]?)$ ]]; then
		file=${BASH_REMATCH[1]}
		size=${BASH_REMATCH[2]}
	fi
	# Written in full, not sparse: in a sparse file every first write to
	# a block allocates it, and the guest's flush then waits for the host
	# file system's journal too, a cost no real disk has.
	if [ ! -e "$file" ]; then
		truncate -s "$size" "$file" &&
			dd if=/dev/zero of="$file" bs=1M count=$(( $(stat -c %s "$file") >> 20 )) \
				conv=notrunc status=none ||
			{ log "--disk $spec: cannot create $file"; exit 1; }
	fi
	[ -f "$file" ] || { log "--disk $spec: $file is not a regular file"; exit 1; }
	[ -s "$file" ] || { log "--disk $spec: $file is empty"; exit 1; }
	if ! dd if="$file" of=/dev/null iflag=direct bs=4096 count=1 status=none 2>/dev/null; then
		log "--disk $spec: $file cannot be opened O_DIRECT (tmpfs?): put it on a disk-backed file system"
		exit 1
	fi
	disk_args+=(-drive "file=$file,format=raw,if=none,id=disk$i,cache=none,aio=threads"
		-device "virtio-blk-pci,drive=disk$i")
done

# A second record channel (virtio-serial, so the guest's writes reach
# FILE without an emulated UART's pace).
serial_args=()
if [ -n "$serial2" ]; then
	: >"$serial2"
	serial_args=(-device virtio-serial-pci
		-chardev "file,id=kpxport2,path=$serial2"
		-device "virtserialport,chardev=kpxport2,name=kpaxos.serial2")
fi
qemu_extra=()
[ -n "$pidfile" ] && qemu_extra=(-pidfile "$pidfile")

# ---------------------------------------------------------------- initramfs
root=$work/root
rm -rf "$work"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,out,etc,mnt}
mkdir -p "$root/lib/modules/$kver/extra" "$root/kpaxos/kmod"
mkdir -p "$root/var"
ln -s /run "$root/var/run"

cp /bin/busybox "$root/bin/busybox"
for a in $(/bin/busybox --list); do
	case "$a" in busybox|sh|ash) continue ;; esac
	ln -sf busybox "$root/bin/$a"
done

# Dynamic binaries with every library ldd names, at their real paths.
copy_bin() {	# src dst-in-root
	cp -L "$1" "$root/$2"
	ldd "$1" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
		[ -e "$root$lib" ] || cp -L --parents "$lib" "$root/"
	done
}
# busybox's shell runs its own applets before searching PATH, which would
# hide iproute2's ip and tc; bash is the guest's /bin/sh instead.
copy_bin /bin/bash /bin/bash
ln -sf bash "$root/bin/sh"
copy_bin /usr/bin/ip /usr/sbin/ip
copy_bin /usr/sbin/tc /usr/sbin/tc
tcdist=$(dirname "$(dpkg -L iproute2 | grep -m1 '/tc/normal.dist$')")
mkdir -p "$root$tcdist"
cp "$tcdist"/*.dist "$root$tcdist/"
# perf (linux-perf, Debian's for 6.1) for the tracepoint tests; they skip
# that part when the host has none.
if [ -x /usr/bin/perf ]; then copy_bin /usr/bin/perf /usr/bin/perf; fi
# mke2fs (e2fsprogs) for tests and measurements on a --disk; as mkfs.ext4
# it makes ext4 with the host's /etc/mke2fs.conf.
if [ -x /sbin/mke2fs ]; then
	copy_bin /sbin/mke2fs /usr/sbin/mke2fs
	ln -sf mke2fs "$root/usr/sbin/mkfs.ext4"
	[ -f /etc/mke2fs.conf ] && cp /etc/mke2fs.conf "$root/etc/"
fi
echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
echo "nobody:x:65534:65534:nobody:/:/bin/sh" >>"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

# The tree: module, tools, tests; executables get their libraries too.
cp "$ko" "$root/kpaxos/kmod/paxos.ko"
cp "$ko" "$root/lib/modules/$kver/extra/paxos.ko"
for d in tools selftests/paxos selftests/bench; do
	[ -d "$top/$d" ] || continue
	mkdir -p "$root/kpaxos/$d"
	(cd "$top/$d" && find . -type f ! -name '*.o' ! -name '*.c' ! -name '*.h' \
		! -name '*.d' ! -path '*/corpus/*' -print0 |
		cpio -0pdm --quiet "$root/kpaxos/$d")
done
find "$root/kpaxos" -type f -perm -u+x | while read -r f; do
	if file -b "$f" | grep -q 'ELF.*dynamic'; then
		ldd "$f" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
			[ -e "$root$lib" ] || cp -L --parents "$lib" "$root/"
		done
	fi
done

# Debian kernel: the network modules the tests need, with their
# dependencies, and depmod so busybox modprobe resolves them.  6.12 ships
# them xz-compressed; they are packed decompressed.
if [ -n "$modsrc" ]; then
	want=(veth sch_netem udp_tunnel ip6_udp_tunnel bridge virtio_pci virtio_blk virtio_console)
	# And what paxos.ko itself needs (libcrc32c for stable storage).
	# shellcheck disable=SC2207
	want+=($(modinfo -F depends "$ko" | tr ',' ' '))
	seen=" "
	while [ ${#want[@]} -gt 0 ]; do
		m=${want[0]}
		want=("${want[@]:1}")
		case "$seen" in *" $m "*) continue ;; esac
		seen="$seen$m "
		f=$(modinfo -k "$kver" -F filename "$m" 2>/dev/null) || { log "module $m not found"; exit 1; }
		case "$f" in ("(builtin)"|builtin*|"") continue ;; esac
		rel=${f#/lib/modules/$kver/}
		mkdir -p "$root/lib/modules/$kver/$(dirname "$rel")"
		case "$f" in
		*.ko.xz) xz -dc "$f" >"$root/lib/modules/$kver/${rel%.xz}" ;;
		*.ko) cp "$f" "$root/lib/modules/$kver/$rel" ;;
		*) log "module $m: cannot unpack $f"; exit 1 ;;
		esac
		# shellcheck disable=SC2207
		want+=($(modinfo -k "$kver" -F depends "$m" | tr ',' ' '))
	done
	for m in $(modinfo -F depends "$ko" | tr ',' ' '); do
		case "$seen" in *" $m "*) ;; *) log "paxos.ko needs $m, not packed"; exit 1 ;; esac
	done
fi
touch "$root/lib/modules/$kver/modules.order" "$root/lib/modules/$kver/modules.builtin" "$root/lib/modules/$kver/modules.builtin.modinfo"
depmod -b "$root" "$kver"

# Guest configuration.
settings_timeout=300
if [ -f "$top/selftests/paxos/settings" ]; then
	settings_timeout=$(sed -n 's/^timeout=//p' "$top/selftests/paxos/settings")
fi
if [ -z "$cmd" ] && [ ${#tests[@]} -eq 0 ]; then
	for f in "$top"/selftests/paxos/basic_* "$top"/selftests/paxos/cluster_*; do
		[ -f "$f" ] && [ -x "$f" ] || continue
		case "$f" in *.c|*.o|*.d) continue ;; esac
		case " ${skips[*]:-} " in *" $(basename "$f") "*) continue ;; esac
		tests+=("$(basename "$f")")
	done
fi
# A test that must fail, to prove the verdict sees failures.
if [ -n "${KPAXOS_PLANT_FAIL:-}" ] && [ -z "$cmd" ]; then
	cp "$top/selftests/vm/planted_fail.sh" "$root/kpaxos/selftests/paxos/"
	tests+=(planted_fail.sh)
fi
{
	echo "KERNEL=$kernel"
	echo "CMD='$cmd'"
	echo "TESTS='${tests[*]:-}'"
	echo "DEFAULT_TIMEOUT=$settings_timeout"
	echo "DISKS=${#disks[@]}"
} >"$root/kpaxos-run.conf"
cp "$top/selftests/vm/init" "$root/init"
chmod +x "$root/init"

(cd "$root" && find . -print0 | cpio -0 -o -H newc --quiet) | gzip -1 >"$work/initramfs.cpio.gz"

# ---------------------------------------------------------------- boot
accel=tcg
probe=${KPAXOS_CACHE:-/var/cache/kpaxos}/kvm-probe-$(sha256sum "$bzimage" | cut -c1-12)
if [ -w /dev/kvm ]; then
	if [ ! -f "$probe" ]; then
		# Boot once with KVM; it is used only if the guest reaches /init.
		mkdir -p "$(dirname "$probe")"
		pr=$work/probe
		mkdir -p "$pr/bin"
		cp /bin/busybox "$pr/bin/"
		printf '#!/bin/busybox sh\n/bin/busybox echo KVM-PROBE-OK\n/bin/busybox reboot -f\n' >"$pr/init"
		chmod +x "$pr/init"
		(cd "$pr" && find . | cpio -o -H newc --quiet) | gzip -1 >"$work/probe.cpio.gz"
		if timeout 20 qemu-system-x86_64 -accel kvm -m 512 -nodefaults -display none \
			-no-reboot -serial stdio -kernel "$bzimage" -initrd "$work/probe.cpio.gz" \
			-append "console=ttyS0 panic=-1" 2>/dev/null | grep -q KVM-PROBE-OK; then
			echo kvm >"$probe"
		else
			echo tcg >"$probe"
		fi
	fi
	accel=$(cat "$probe")
fi
log "booting $kernel kernel $kver ($accel), artifacts in $out"

rm -f "$out/console.log" "$out/tap.log" "$out/out.b64"
: >"$out/tap.log"
qemu_rc=0
tail -n +1 -F "$out/tap.log" 2>/dev/null &
tailpid=$!
timeout "$vm_timeout" qemu-system-x86_64 -accel "$accel" -cpu max -smp 2 -m 2048 \
	-nodefaults -display none -no-reboot \
	-serial "file:$out/console.log" -serial "file:$out/tap.log" \
	-serial "file:$out/out.b64" \
	-kernel "$bzimage" -initrd "$work/initramfs.cpio.gz" \
	${disk_args[@]+"${disk_args[@]}"} \
	${serial_args[@]+"${serial_args[@]}"} ${qemu_extra[@]+"${qemu_extra[@]}"} \
	-append "console=ttyS0 panic=-1${append:+ $append}" \
	</dev/null || qemu_rc=$?
sleep 0.3
kill "$tailpid" 2>/dev/null || true
wait "$tailpid" 2>/dev/null || true

# Files the guest left under /out.
if [ -s "$out/out.b64" ]; then
	tr -d '\r' <"$out/out.b64" | sed -n '/^KPAXOS-OUT-BEGIN$/,/^KPAXOS-OUT-END$/p' |
		sed '1d;$d' | base64 -d 2>/dev/null | tar -xf - -C "$out" 2>/dev/null ||
		log "could not unpack the guest's /out"
fi

# ---------------------------------------------------------------- verdict
fail=()
[ "$qemu_rc" -eq 124 ] && fail+=("VM timeout after ${vm_timeout}s")
[ "$qemu_rc" -ne 0 ] && [ "$qemu_rc" -ne 124 ] && fail+=("qemu exited with $qemu_rc")
tr -d '\r' <"$out/tap.log" >"$out/tap.clean"
grep -q '^# KPAXOS-DONE' "$out/tap.clean" || fail+=("guest never reached the end of its run")
if [ -n "$cmd" ]; then
	rc=$(sed -n 's/^# KPAXOS-CMD-EXIT \([0-9]*\)$/\1/p' "$out/tap.clean" | tail -n1)
	[ "${rc:-x}" = 0 ] || fail+=("command exited with ${rc:-nothing}")
else
	plan=$(grep -m1 -E '^1\.\.[0-9]+$' "$out/tap.clean" | cut -d. -f3 || true)
	if [ -z "$plan" ]; then
		fail+=("no TAP plan")
	else
		nres=$(grep -cE '^(not )?ok [0-9]+' "$out/tap.clean" || true)
		[ "$nres" -eq "$plan" ] || fail+=("plan 1..$plan but $nres results")
	fi
	nfail=$(grep -cE '^not ok [0-9]+' "$out/tap.clean" || true)
	[ "$nfail" -eq 0 ] || fail+=("$nfail test(s) not ok")
fi
# Kernel reports on the console.  lockdep reports start with "WARNING:"
# or "BUG:"; kmemleak prints "unreferenced object".
pat='BUG:|WARNING:|Oops|KASAN|UBSAN|refcount_t|lockdep:|DEBUG_LOCKS_WARN_ON|general protection fault|Kernel panic|unreferenced object|suspected memory leak|INFO: task .* blocked|soft lockup|hard LOCKUP'
if grep -aE "$pat" "$out/console.log" >"$out/kernel-reports.txt"; then
	fail+=("kernel reports on the console (see $out/kernel-reports.txt):")
	while IFS= read -r l; do fail+=("    $l"); done < <(head -n 5 "$out/kernel-reports.txt")
fi

if [ ${#fail[@]} -gt 0 ]; then
	echo "vm: FAIL ($kernel kernel): console log $out/console.log" >&2
	for f in "${fail[@]}"; do echo "vm:   $f" >&2; done
	exit 1
fi
echo "vm: PASS ($kernel kernel)" >&2
