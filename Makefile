# SPDX-License-Identifier: GPL-2.0
#
# Zero-copy transmit selftests.
#
#   make              build lib/libzc.a and the test programs into build/
#   make run_tests    install missing dependencies (as root), build, run
#   make check        the project's own tests, then the suite
#   make install INSTALL_PATH=DIR    a self-contained copy to run elsewhere
#   make deps         install (root) or name what is missing
#   make bench        the packet send-path benchmark (root; BENCH_ARGS=...)
#   make ksft-check   install into a kernel tree's selftests, run there
#   make vm-check KERNEL=6.1|6.12|<Debian version>|/path/to/vmlinuz
#   make vm-matrix KERNELS="6.1 6.12"   the suite in each kernel, qemu
#   make lint unit runner-test selftests stress torture clean
#
# BUILD=DIR builds into DIR (default build/); every runner is told where
# through ZC_BUILD and ZC_BIN.  KSFT_DIR=<kernel tree> takes the kselftest
# headers from that tree instead of Debian's linux-source-6.12, which is
# extracted into $(BUILD) when the build first needs it (never when make
# parses this file).  Inside a kernel tree's tools/testing/selftests/<dir>
# the kselftest lib.mk drives the build.

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

# Programs each topology runs (tests/*.c) and the suite's own unit tests.
ZC_TESTS := notif_contract copy_causes packet_tx_ring zc_limits zc_counter \
	completion_order errq_reception udp_paths buffer_reuse
# Tools built beside the tests (tools/): benchmarks.
ZC_TOOLS := zc-bench-packet
ZC_SELFTESTS := tracker_test errq_test diag_test
# Helper programs of the self-tests.
ZC_HELPERS := tap_holder

LIB_SRCS := $(wildcard $(TOP)/lib/*.c)
LIB_HDRS := $(wildcard $(TOP)/lib/*.h)

CFLAGS ?= -O2 -g
# libmnl: netlink for lib/zc_nl.c, lib/zc_diag.c and the holds
# (lib/zc_hold.c); Debian libmnl-dev.  Set once, for both builds below.
LDLIBS += -lmnl
# -Wno-clobbered: the upstream harness's TEST_F wrapper sets a local
# between setjmp() and longjmp(); that header is not ours to fix.  At -O2
# the value is really lost: after a failed ASSERT the test's process takes
# itself for the parent and exits without FIXTURE_TEARDOWN.  Fixtures that
# undo something use FIXTURE_TEARDOWN_PARENT (lib/zc_test.h).
ZC_CFLAGS := -Wall -Wextra -Wno-unused-parameter -Wno-clobbered \
	     -I$(TOP)/lib

ifneq ($(wildcard $(TOP)/../lib.mk),)
# ---- in a kernel tree: tools/testing/selftests/<dir>, lib.mk conventions.
# Everything built goes to $(OUTPUT): the source tree may be read-only.
# make install puts TEST_GEN_FILES and tests/topologies flat, beside
# run_tests.sh, which finds them there (run_kselftest.sh -c zerocopy).
TEST_PROGS := run_tests.sh
TEST_GEN_FILES := $(addprefix tests/,$(ZC_TESTS))
TEST_FILES := settings config netns harness tests/topologies
CFLAGS += $(ZC_CFLAGS) -I$(TOP)/..
include ../lib.mk

# After lib.mk, which sets OUTPUT (the source directory by default: the
# objects get a directory of their own, never lib/).
ZC_OBJ := $(OUTPUT)/libzc
EXTRA_CLEAN := $(ZC_OBJ)
LIB_OBJS := $(patsubst $(TOP)/lib/%.c,$(ZC_OBJ)/%.o,$(LIB_SRCS))
# run_tests.sh finds the programs wherever OUTPUT put them.
export ZC_BIN := $(OUTPUT)/tests

$(ZC_OBJ)/%.o: $(TOP)/lib/%.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(ZC_OBJ)/libzc.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(OUTPUT)/tests/%: $(TOP)/tests/%.c $(ZC_OBJ)/libzc.a $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< $(ZC_OBJ)/libzc.a $(LDLIBS) -o $@
else
# ---- standalone
BUILD ?= $(TOP)/build
override BUILD := $(abspath $(BUILD))

ifneq ($(KSFT_DIR),)
KSFT_INC := $(firstword $(patsubst %/kselftest_harness.h,%,$(wildcard \
	$(KSFT_DIR)/tools/testing/selftests/kselftest_harness.h \
	$(KSFT_DIR)/kselftest_harness.h)) $(KSFT_DIR)/tools/testing/selftests)
else
KSFT_INC := $(BUILD)/ksft
endif
KSFT_HDR := $(KSFT_INC)/kselftest_harness.h
# kunit.py wants to live in a tools/testing/kunit directory.
KUNIT := $(BUILD)/kunit/tools/testing/kunit/kunit.py
override CFLAGS += $(ZC_CFLAGS) -D_GNU_SOURCE -I$(KSFT_INC)

LIB_OBJS := $(patsubst $(TOP)/lib/%.c,$(BUILD)/lib/%.o,$(LIB_SRCS))
TEST_BINS := $(addprefix $(BUILD)/tests/,$(ZC_TESTS))
SELFTEST_BINS := $(addprefix $(BUILD)/selftests/,$(ZC_SELFTESTS))
HELPER_BINS := $(addprefix $(BUILD)/selftests/,$(ZC_HELPERS))
TOOL_BINS := $(addprefix $(BUILD)/tools/,$(ZC_TOOLS))
FAULT_LIB := $(BUILD)/selftests/fault_inject.so
SH_FILES := run_tests.sh $(patsubst $(TOP)/%,%,$(wildcard \
	$(TOP)/netns/*.sh $(TOP)/harness/*.sh $(TOP)/selftests/*.sh \
	$(TOP)/tools/*.sh)) .ci/run

# Every runner (run_tests.sh, the self-tests) uses this build.
export ZC_BUILD := $(BUILD)
export ZC_BIN := $(BUILD)/tests

# $(call ksft_status,WHAT): after a command, make its kselftest exit
# status 4 (everything skipped) a success that is said, not hidden.
ksft_status = rc=$$?; if [ $$rc -eq 4 ]; then \
	echo "\# $(1): skipped (exit 4)" >&2; rc=0; fi; exit $$rc

SUBMAKE := $(MAKE) --no-print-directory -f $(TOP)/Makefile

.PHONY: all run_tests check unit lint runner-test selftests phys-check \
	fuzz-short fuzz suite install clean deps stress torture bench \
	ksft-check vm-check vm-matrix vm-selftest check-vm

all: $(TEST_BINS) $(SELFTEST_BINS) $(HELPER_BINS) $(FAULT_LIB) $(TOOL_BINS)

# Upstream files, provisioned when the build first needs them.
$(KSFT_HDR):
	@$(TOP)/harness/provision.sh ksft $(KSFT_INC)

$(KUNIT):
	@$(TOP)/harness/provision.sh kunit $(dir $@)

$(BUILD)/lib/%.o: $(TOP)/lib/%.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/lib/libzc.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(BUILD)/tests/%: $(TOP)/tests/%.c $(BUILD)/lib/libzc.a $(LIB_HDRS) \
		  | $(KSFT_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< $(BUILD)/lib/libzc.a $(LDLIBS) -o $@

$(BUILD)/selftests/%: $(TOP)/selftests/%.c $(BUILD)/lib/libzc.a \
		      $(LIB_HDRS) | $(KSFT_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< $(BUILD)/lib/libzc.a $(LDLIBS) -o $@

$(BUILD)/tools/%: $(TOP)/tools/%.c $(BUILD)/lib/libzc.a $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< $(BUILD)/lib/libzc.a $(LDLIBS) -o $@

$(FAULT_LIB): $(TOP)/selftests/fault_inject.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -shared -fPIC $< -ldl -o $@

# DEPS: the groups of harness/deps.sh to check (and install as root).
DEPS ?= build run
deps:
	@$(TOP)/harness/deps.sh $(DEPS)

# Each step after the one before, also under make -j (dependencies are
# installed once, before anything compiles).
run_tests:
	@$(SUBMAKE) deps
	@$(SUBMAKE) all
	@$(SUBMAKE) suite

suite:
	@$(TOP)/run_tests.sh $(RUN_TESTS_ARGS); $(call ksft_status,run_tests.sh)

check:
	@$(SUBMAKE) deps DEPS="build run check ksft vm"
	@$(SUBMAKE) all
	@$(SUBMAKE) unit
	@$(SUBMAKE) lint
	@$(SUBMAKE) runner-test
	@$(SUBMAKE) selftests
	@$(SUBMAKE) phys-check
	@$(SUBMAKE) fuzz-short
	@$(SUBMAKE) ksft-check
	@$(SUBMAKE) check-vm
	@$(SUBMAKE) suite

unit: $(SELFTEST_BINS)
	@for t in $^; do echo "# $$t"; $$t || exit 1; done

lint:
	@$(TOP)/harness/deps.sh lint
	@if ! command -v shellcheck >/dev/null; then \
		echo "# lint: SKIP shellcheck not installed" >&2; exit 0; fi; \
	cd $(TOP) && shellcheck -x $(SH_FILES)

# Tests of run_tests.sh itself, with a fake test program (seconds).
runner-test: $(KUNIT)
	@ZC_KUNIT=$(KUNIT) $(TOP)/selftests/runner_test.sh; \
	$(call ksft_status,runner_test.sh)

# The fault-injection table: the suite must fail when the kernel does.
selftests: all
	@$(TOP)/selftests/run_selftests.sh; $(call ksft_status,run_selftests.sh)

# The phys topology's move-and-restore, with a veth pair standing in for
# two cabled ports inside a namespace that plays the host.
phys-check: all
	@$(TOP)/selftests/phys_check.sh; $(call ksft_status,phys_check.sh)

# The kselftest way, as kernel CI fleets run it: the project copied into
# a kernel tree's tools/testing/selftests/zerocopy (the top Makefile,
# scripts/ and tools/ of linux-source-6.12, extracted once into $(BUILD)),
# installed there with make install INSTALL_PATH=$(BUILD)/kselftest, and
# run by run_kselftest.sh -c zerocopy.  Skips, naming the tarball, when
# it is missing.
ksft-check:
	@$(TOP)/harness/ksft_tree.sh check; $(call ksft_status,ksft_tree.sh)

# The suite inside Debian 12's kernels (or any vmlinuz) under qemu, run
# from the installed kselftest tree by run_kselftest.sh, with a verdict
# table per kernel (harness/vm.sh; $(BUILD)/vm/verdicts.txt and .tsv).
# Exit status: the suite's; 70 the VM path failed; 75 a guest died twice
# before the suite started (a boot panic: infrastructure, not a test).
KERNEL ?= 6.1
KERNELS ?= 6.1 6.12
vm-check:
	@$(SUBMAKE) deps DEPS="build ksft vm"
	@$(TOP)/harness/vm.sh $(KERNEL); $(call ksft_status,vm.sh)

vm-matrix:
	@$(SUBMAKE) deps DEPS="build ksft vm"
	@$(TOP)/harness/vm.sh $(KERNELS); $(call ksft_status,vm.sh)

# The VM tool's own checks: guests broken on purpose (a boot panic, twice
# and once; a kernel without init; a hung guest; a missing module) must
# give their clear error within the watchdog (selftests/vm_selftest.sh).
vm-selftest:
	@$(SUBMAKE) deps DEPS="build ksft vm"
	@$(TOP)/selftests/vm_selftest.sh $(KERNEL); \
	$(call ksft_status,vm_selftest.sh)

# make check: one kernel, and two broken guests (a boot panic that the
# retry gets past, a hang that the watchdog ends; make vm-selftest has all
# seven), when qemu is there (deps installs it as root).  A guest that died twice before the suite (exit
# 75: Debian's 6.12 builds panic at boot now and then under TCG) is
# reported loudly and passes; every other failure of the VM path fails.
check-vm:
	@if ! command -v qemu-system-x86_64 >/dev/null; then \
		echo "# check-vm: SKIP qemu-system-x86_64 not installed" \
		     "(make deps DEPS=vm as root)" >&2; exit 0; fi; \
	if [ ! -x $(BUILD)/kselftest/run_kselftest.sh ]; then \
		echo "# check-vm: SKIP no kselftest tree installed in" \
		     "$(BUILD)/kselftest (make ksft-check skipped)" >&2; \
		exit 0; fi; \
	export VM_KSFT=$(BUILD)/kselftest; \
	$(TOP)/selftests/vm_selftest.sh $(KERNEL) boot_panic_once hung_guest; \
	rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 4 ] || exit 1; \
	mkdir -p $(BUILD)/vm; \
	$(TOP)/harness/vm.sh $(KERNEL) >$(BUILD)/vm/check.ktap; rc=$$?; \
	sed -n '/^# verdict table/,/^# $$/p' $(BUILD)/vm/check.ktap; \
	if [ $$rc -eq 75 ]; then \
		echo "# check-vm: INFRASTRUCTURE ERROR: the guest died twice" \
		     "before the suite started ($(BUILD)/vm/check.ktap);" \
		     "not a test failure, make check goes on" >&2; exit 0; fi; \
	[ $$rc -eq 0 ] || [ $$rc -eq 4 ] || \
		grep -E '^(not ok|# vm)' $(BUILD)/vm/check.ktap; \
	[ $$rc -ne 4 ] || { echo "# vm.sh: skipped (exit 4)" >&2; rc=0; }; \
	exit $$rc

# libFuzzer, ASan and UBSan on the error-queue parser and the tracker
# (clang; as root, deps.sh installs it).  fuzz-short is the seconds-long
# run of make check, fuzz the longer one.  fuzz.sh exits 4 when it cannot
# run: a skip, said.
FUZZ_SECONDS ?= 300
fuzz-short:
	@$(TOP)/selftests/fuzz.sh 5; $(call ksft_status,fuzz.sh)

fuzz:
	@$(SUBMAKE) deps DEPS="check"
	@$(TOP)/selftests/fuzz.sh $(FUZZ_SECONDS); $(call ksft_status,fuzz.sh)

# Flakiness gate: N runs of the suite per CPU placement (default 50).
N ?= 50
stress:
	@$(SUBMAKE) deps DEPS="build run stress"
	@$(SUBMAKE) all
	@$(TOP)/selftests/stress.sh $(N); $(call ksft_status,stress.sh)

# Kill the suite at 20 random points; nothing of it may be left.
torture:
	@$(SUBMAKE) deps DEPS="build run check"
	@$(SUBMAKE) all $(KUNIT)
	@ZC_KUNIT=$(KUNIT) $(TOP)/selftests/torture.sh; \
	$(call ksft_status,torture.sh)

# A benchmark, never a test: figures in docs/BENCH.md.  tools/bench.sh
# exits 4 without root: a skip, said.
bench:
	@$(SUBMAKE) deps
	@$(SUBMAKE) $(TOOL_BINS)
	@ZC_BIN=$(BUILD)/tools $(TOP)/tools/bench.sh $(BENCH_ARGS); \
	$(call ksft_status,bench.sh)

INSTALL_PATH ?= $(BUILD)/install
install: all
	mkdir -p $(INSTALL_PATH)/tests
	cp -r $(TOP)/run_tests.sh $(TOP)/settings $(TOP)/config \
		$(TOP)/netns $(TOP)/harness $(INSTALL_PATH)/
	cp $(TEST_BINS) $(TOP)/tests/topologies $(INSTALL_PATH)/tests/

# The provisioned upstream files (ksft/, kunit/, linux-source-6.12/) and
# the kernel packages (vm/) stay: rm -rf $(BUILD).
clean:
	$(RM) -r $(BUILD)/lib $(BUILD)/tests $(BUILD)/selftests \
		$(BUILD)/tools $(BUILD)/install $(BUILD)/stress $(BUILD)/torture \
		$(BUILD)/kselftest $(BUILD)/vm/runs
endif
