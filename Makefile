# SPDX-License-Identifier: GPL-2.0
#
# Zero-copy transmit selftests.
#
#   make              build lib/libzc.a and the test programs into build/
#   make run_tests    install missing dependencies (as root), build, run
#   make check        the project's own tests: unit tests, lint, the suite
#   make install INSTALL_PATH=DIR    a self-contained copy to run elsewhere
#
# KSFT_DIR=<kernel tree> takes the kselftest headers from that tree instead
# of Debian's linux-source-6.12.  Inside a kernel tree's
# tools/testing/selftests/<dir> the kselftest lib.mk drives the build.

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

# Programs each topology runs (tests/*.c) and the suite's own unit tests.
ZC_TESTS := notif_contract zc_limits zc_counter completion_order \
	errq_reception udp_paths buffer_reuse
ZC_SELFTESTS := tracker_test errq_test

LIB_SRCS := $(wildcard $(TOP)/lib/*.c)
LIB_HDRS := $(wildcard $(TOP)/lib/*.h)

CFLAGS ?= -O2 -g
# -Wno-clobbered: the upstream harness's TEST_F wrapper sets a local
# between setjmp() and longjmp(); that header is not ours to fix.  At -O2
# the value is really lost: after a failed ASSERT the test's process takes
# itself for the parent and exits without FIXTURE_TEARDOWN.  Fixtures that
# undo something use FIXTURE_TEARDOWN_PARENT (lib/zc_test.h).
ZC_CFLAGS := -Wall -Wextra -Wno-unused-parameter -Wno-clobbered \
	     -I$(TOP)/lib

ifneq ($(wildcard $(TOP)/../lib.mk $(TOP)/../kselftest_harness.h),)
# ---- in-tree: tools/testing/selftests/<dir>, kselftest lib.mk conventions
TEST_PROGS := run_tests.sh
TEST_GEN_FILES := $(addprefix tests/,$(ZC_TESTS))
TEST_FILES := settings netns harness
EXTRA_CLEAN := $(OUTPUT)/libzc.a
CFLAGS += $(ZC_CFLAGS) -I$(TOP)/..
LDLIBS += -lmnl
include ../lib.mk

$(OUTPUT)/libzc.a: $(LIB_SRCS) $(LIB_HDRS)
	$(CC) $(CFLAGS) -c $(LIB_SRCS)
	$(AR) rcs $@ $(notdir $(LIB_SRCS:.c=.o))
	$(RM) $(notdir $(LIB_SRCS:.c=.o))

$(OUTPUT)/tests/%: tests/%.c $(OUTPUT)/libzc.a $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< $(OUTPUT)/libzc.a $(LDLIBS) -o $@
else
# ---- standalone
BUILD ?= $(TOP)/build
KSFT_INC := $(shell $(TOP)/harness/provision.sh $(BUILD)/ksft 2>&2)
ifeq ($(KSFT_INC),)
$(error no kselftest headers: see the message above)
endif
override CFLAGS += $(ZC_CFLAGS) -D_GNU_SOURCE -I$(KSFT_INC)
# libmnl: rtnetlink for the holds (lib/zc_hold.c).
LDLIBS += -lmnl

LIB_OBJS := $(patsubst $(TOP)/lib/%.c,$(BUILD)/lib/%.o,$(LIB_SRCS))
TEST_BINS := $(addprefix $(BUILD)/tests/,$(ZC_TESTS))
SELFTEST_BINS := $(addprefix $(BUILD)/selftests/,$(ZC_SELFTESTS))
FAULT_LIB := $(BUILD)/selftests/fault_inject.so
SH_FILES := run_tests.sh $(wildcard $(TOP)/netns/*.sh $(TOP)/harness/*.sh \
	      $(TOP)/selftests/*.sh $(TOP)/.ci/run)

.PHONY: all run_tests check unit lint install clean deps
all: $(TEST_BINS) $(SELFTEST_BINS) $(FAULT_LIB)

$(BUILD)/lib/%.o: $(TOP)/lib/%.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/lib/libzc.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(BUILD)/tests/%: $(TOP)/tests/%.c $(BUILD)/lib/libzc.a $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< $(BUILD)/lib/libzc.a $(LDLIBS) -o $@

$(BUILD)/selftests/%: $(TOP)/selftests/%.c $(BUILD)/lib/libzc.a $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< $(BUILD)/lib/libzc.a $(LDLIBS) -o $@

$(FAULT_LIB): $(TOP)/selftests/fault_inject.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -shared -fPIC $< -ldl -o $@

deps:
	@$(TOP)/harness/deps.sh

# run_tests.sh exits 4 when every test skipped (not root): a skip, not a
# failure, so make reports success and says so.
run_tests: deps all
	@$(TOP)/run_tests.sh $(RUN_TESTS_ARGS); rc=$$?; \
	if [ $$rc -eq 4 ]; then \
		echo "# run_tests.sh exited 4: every test skipped" >&2; rc=0; \
	fi; exit $$rc

unit: $(SELFTEST_BINS)
	@for t in $^; do echo "# $$t"; $$t || exit 1; done

lint:
	@$(TOP)/harness/deps.sh shellcheck
	cd $(TOP) && shellcheck -x $(SH_FILES:$(TOP)/%=%)

check: deps all unit lint
	@$(TOP)/selftests/run_selftests.sh
	@$(MAKE) --no-print-directory run_tests

# libFuzzer, ASan and UBSan on the parser and the tracker (clang; as
# root, deps.sh installs it).  fuzz.sh exits 4 when it cannot: a skip.
FUZZ_SECONDS ?= 300
.PHONY: fuzz fuzz-short
check: fuzz-short
fuzz-short:
	@BUILD=$(BUILD) $(TOP)/selftests/fuzz.sh 5 || [ $$? -eq 4 ]
fuzz:
	@BUILD=$(BUILD) $(TOP)/selftests/fuzz.sh $(FUZZ_SECONDS) || \
		[ $$? -eq 4 ]

INSTALL_PATH ?= $(BUILD)/install
install: all
	mkdir -p $(INSTALL_PATH)/tests
	cp -r $(TOP)/run_tests.sh $(TOP)/settings $(TOP)/netns $(TOP)/harness \
		$(INSTALL_PATH)/
	cp $(TEST_BINS) $(INSTALL_PATH)/tests/

clean:
	$(RM) -r $(BUILD)/lib $(BUILD)/tests $(BUILD)/selftests $(BUILD)/install
endif
