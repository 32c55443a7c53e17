# SPDX-License-Identifier: GPL-2.0
#
# kpaxos top level.
#   make          install missing Debian packages, build paxos.ko, tools, tests
#   make check    every test: user space, kselftests in QEMU on Debian's kernel
#                 and on the debug kernel, checkpatch, sparse, W=1
#   make demo     a 3-node cluster in a VM with a leader failover
#   make bench    commit latency and throughput against the network's floor
#
# KDIR selects the kernel tree (default: the installed Debian cloud headers).

KVER := $(shell scripts/kver.sh 2>/dev/null)
KDIR ?= /lib/modules/$(KVER)/build

TOOL_DIRS := tools/paxosctl tools/paxosd tools/paxosbench tools/udpping tools/pxkv \
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
