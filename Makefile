# SPDX-License-Identifier: GPL-2.0
#
# kpaxos top level.
#   make          install missing Debian packages, build paxos.ko, tools, tests
#   make check    every test: user space, kselftests in QEMU on Debian's kernel
#                 and on the debug kernel, checkpatch, sparse, W=1
#   make demo     a 3-node cluster in a VM with a leader failover
#   make bench    commit latency and throughput against the network's floor
#   make check-storage-debug
#                 cluster_storage.sh on the debug kernel, three disks (not
#                 in check: 7 to 8 minutes there)
#   make bench-storage
#                 durable commits (a disk a node) against the disk's flush
#                 latency and the network's floor (results/bench-storage.*)
#   make powerloss
#                 SIGKILL of the VM under load, POWERLOSS_KILLS (5) times,
#                 restart from the disks, every acknowledged write checked;
#                 make powerloss-plant: the same with a planted bug (fails)
#   make soak     a 3-node cluster in a VM under load for SOAK_SECONDS (600),
#                 slab and vmalloc use at the start and the end (not in check)
#   make install  paxos.ko, paxosctl, paxosd, man pages, paxos@.service
#   make deb      the paxos-dkms and paxos-tools Debian packages in build/deb/
#
# KDIR selects the kernel tree (default: the installed Debian cloud headers).

KVER := $(shell scripts/kver.sh 2>/dev/null)
KDIR ?= /lib/modules/$(KVER)/build

TOOL_DIRS := tools/paxosctl tools/paxosd tools/paxosbench tools/udpping tools/flushlat tools/pxkv \
	     selftests/paxos/tools
TEST_DIRS := selftests/core selftests/paxos

# Only the directories that exist yet take part.
have = $(foreach d,$(1),$(if $(wildcard $(d)/Makefile),$(d)))

.PHONY: all deps build module tools tests check demo bench style sparse clean

all: deps
	@$(MAKE) --no-print-directory build

deps:
	@scripts/deps.sh

build: module tools tests

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

tools:
	@set -e; for d in $(call have,$(TOOL_DIRS)); do $(MAKE) -C $$d; done

tests: tools
	@scripts/kernel-files.sh >/dev/null
	@set -e; for d in $(call have,$(TEST_DIRS)); do $(MAKE) -C $$d; done

check: deps
	@scripts/check.sh

demo: all
	selftests/vm/run.sh --cmd selftests/paxos/demo.sh --out build/demo --timeout 900

bench: all
	selftests/vm/run.sh --cmd selftests/bench/bench.sh --out results --timeout 1800
	selftests/bench/plot.sh results

STORAGE_DISKS = build/vm/storage-debug.disks
.PHONY: check-storage-debug
check-storage-debug: all
	rm -rf $(STORAGE_DISKS) && mkdir -p $(STORAGE_DISKS)
	selftests/vm/run.sh --kernel debug --timeout 1800 --out build/vm/storage-debug \
		--disk $(STORAGE_DISKS)/a.img:64M --disk $(STORAGE_DISKS)/b.img:64M \
		--disk $(STORAGE_DISKS)/c.img:64M cluster_storage.sh

# cluster_member.sh under KASAN, lockdep and kmemleak: make check leaves
# it out there (five disks; the test takes about 5 minutes there).
MEMBER_DISKS = build/vm/member-debug.disks
.PHONY: check-member-debug
check-member-debug: all
	rm -rf $(MEMBER_DISKS) && mkdir -p $(MEMBER_DISKS)
	selftests/vm/run.sh --kernel debug --timeout 3600 --out build/vm/member-debug \
		$(foreach x,a b c d e,--disk $(MEMBER_DISKS)/$(x).img:64M) cluster_member.sh

BS_DISKS = $(foreach i,1 2 3 4,--disk build/bench-storage.disks/disk$(i):64M)
.PHONY: bench-storage
bench-storage: all
	rm -rf build/bench-storage.disks
	mkdir -p build/bench-storage.disks results
	selftests/vm/run.sh $(BS_DISKS) --cmd selftests/bench/bench_storage.sh \
		--out build/bench-storage --timeout 1800
	cp build/bench-storage/bench-storage.json build/bench-storage/bench-storage.txt results/

POWERLOSS_KILLS ?= 5
.PHONY: powerloss powerloss-plant
powerloss: all
	selftests/vm/powerloss.sh --kills $(POWERLOSS_KILLS) $(if $(SEED),--seed $(SEED))
powerloss-plant: all
	selftests/vm/powerloss.sh --kills $(POWERLOSS_KILLS) $(if $(SEED),--seed $(SEED)) --plant \
		--out build/powerloss-plant

SOAK_SECONDS ?= 600
.PHONY: soak
soak: all
	selftests/vm/run.sh --cmd "SOAK_SECONDS=$(SOAK_SECONDS) selftests/paxos/soak.sh" \
		--out build/soak --timeout $$(($(SOAK_SECONDS) + 900))

style:
	@scripts/kernel-files.sh >/dev/null
	perl build/linux-files/scripts/checkpatch.pl --strict --no-tree --terse \
		-f $(sort $(filter-out %.mod.c,$(wildcard kmod/*.[ch] kmod/core/*.[ch])))

sparse:
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 CF="-D__CHECK_ENDIAN__" modules

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	@for d in $(call have,$(TOOL_DIRS) $(TEST_DIRS)); do $(MAKE) -C $$d clean; done
	rm -rf build

# Installing (DESTDIR honoured).  install: paxos.ko for the kernel it was
# built for, under /lib/modules/KVER/extra, then depmod; install-tools:
# paxosctl and paxosd, their man pages, the bash completion and the
# paxos@.service unit; install-dkms: the module's source and dkms.conf
# under /usr/src/paxos-VERSION, for `dkms install paxos/VERSION`.
# make deb: the paxos-dkms and paxos-tools Debian packages in build/deb/.
prefix ?= /usr/local
sbindir ?= $(prefix)/sbin
datadir ?= $(prefix)/share
mandir ?= $(datadir)/man
unitdir ?= $(prefix)/lib/systemd/system
# The upstream part of debian/changelog's version ("0.1.0" of "(0.1.0-1)").
PAXOS_VERSION := $(shell head -n1 debian/changelog | cut -d' ' -f2 | tr -d '()' | sed 's/-[^-]*$$//')
DKMS_SRC = $(DESTDIR)/usr/src/paxos-$(PAXOS_VERSION)
# The kernel release paxos.ko was built for, from the module itself.
MOD_KVER = $$(modinfo -F vermagic kmod/paxos.ko | cut -d' ' -f1)

.PHONY: install install-module install-tools install-dkms uninstall deb

install: install-module install-tools

install-module: module
	install -D -m 0644 kmod/paxos.ko $(DESTDIR)/lib/modules/$(MOD_KVER)/extra/paxos.ko
	@if [ -z "$(DESTDIR)" ]; then echo "depmod -a $(MOD_KVER)"; depmod -a $(MOD_KVER); fi

install-tools:
	$(MAKE) -C tools/paxosctl paxosctl
	$(MAKE) -C tools/paxosd paxosd
	install -d $(DESTDIR)$(sbindir) $(DESTDIR)$(mandir)/man8 $(DESTDIR)$(unitdir) \
		$(DESTDIR)$(datadir)/bash-completion/completions
	install -m 0755 tools/paxosctl/paxosctl tools/paxosd/paxosd $(DESTDIR)$(sbindir)/
	install -m 0644 Documentation/paxosctl.8 Documentation/paxosd.8 $(DESTDIR)$(mandir)/man8/
	install -m 0644 tools/paxosctl/paxosctl.bash-completion \
		$(DESTDIR)$(datadir)/bash-completion/completions/paxosctl
	sed 's|@SBINDIR@|$(sbindir)|g' packaging/paxos@.service.in >$(DESTDIR)$(unitdir)/paxos@.service
	chmod 0644 $(DESTDIR)$(unitdir)/paxos@.service
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi

install-dkms:
	install -d $(DKMS_SRC)/kmod/core $(DKMS_SRC)/uapi/linux
	install -m 0644 Kbuild $(DKMS_SRC)/
	install -m 0644 kmod/Kbuild $(filter-out %.mod.c,$(wildcard kmod/*.[ch])) $(DKMS_SRC)/kmod/
	install -m 0644 $(wildcard kmod/core/*.[ch]) $(DKMS_SRC)/kmod/core/
	install -m 0644 uapi/linux/paxos.h $(DKMS_SRC)/uapi/linux/
	sed 's/#MODULE_VERSION#/$(PAXOS_VERSION)/g' dkms.conf >$(DKMS_SRC)/dkms.conf

uninstall:
	rm -f $(DESTDIR)$(sbindir)/paxosctl $(DESTDIR)$(sbindir)/paxosd \
		$(DESTDIR)$(mandir)/man8/paxosctl.8 $(DESTDIR)$(mandir)/man8/paxosd.8 \
		$(DESTDIR)$(datadir)/bash-completion/completions/paxosctl \
		$(DESTDIR)$(unitdir)/paxos@.service
	@set -e; for m in $(DESTDIR)/lib/modules/*/extra/paxos.ko; do \
		[ -e "$$m" ] || continue; k=$${m#$(DESTDIR)/lib/modules/}; k=$${k%%/*}; \
		echo "rm -f $$m"; rm -f "$$m"; \
		if [ -z "$(DESTDIR)" ]; then echo "depmod -a $$k"; depmod -a "$$k"; fi; \
	done
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi

deb:
	@packaging/deb.sh
