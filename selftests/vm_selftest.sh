#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Tests of harness/vm.sh itself: every way a guest can break must end in a
# clear message and the documented exit status within the watchdog, and
# leave nothing behind.  The guests are broken on purpose (VM_FAULT):
#
#   boot_panic_twice      the kernel crashes before the suite, twice:
#                         panic lines shown, booted twice, exit 75
#   boot_panic_once       it crashes on the first boot only: booted again,
#                         the suite's verdict, exit 0
#   kernel_without_init   no init on the command line: the kernel's own
#                         panic shown, exit 75
#   crash_during_suite    the kernel crashes once the suite has started:
#                         a failure of that kernel, not booted again,
#                         exit 1
#   hung_guest            init blocks: the watchdog kills qemu within its
#                         bound, last console lines shown, exit 70
#   missing_module        veth.ko left out of the guest: named, the suite's
#                         skip names CONFIG_VETH, exit 70
#   sigterm_mid_boot      SIGTERM to the tool while its guest runs: qemu
#                         killed, nothing left, exit 143
#
#   vm_selftest.sh [KERNEL [CASE...]]  (default 6.1, every case; make
#                                      check runs it)
#
# The guests that run the suite run one topology, through VM_ENV.  An
# installed kselftest tree is taken from VM_KSFT, else installed once.
# KTAP on stdout; exit 0 when no case failed, 1 otherwise, 4 when qemu
# is missing or every case was skipped (no kernel to boot: the reason
# shown).
# shellcheck disable=SC2317 # the cases are called as "case_$name"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
vm=$top/harness/vm.sh
kernel=${1:-6.1}
build=${ZC_BUILD:-$top/build}
out=$build/vm/selftest
PATH=$PATH:/usr/sbin:/sbin

# shellcheck source=netns/lib.sh
source "$top/netns/lib.sh"
# shellcheck source=harness/ktap.sh
source "$top/harness/ktap.sh"

CASES=(boot_panic_twice boot_panic_once kernel_without_init
       crash_during_suite hung_guest missing_module sigterm_mid_boot)
HANG_TIMEOUT=30		# VM_TIMEOUT of the hung guest
HANG_SLACK=30		# what the tool may take beyond it (kill, report)
STOP_BOUND=30		# seconds the tool may take to stop after SIGTERM
RUN_BOUND=600		# seconds a case's run of the tool may take at most

# run_vm NAME VAR=VALUE...: vm.sh on the kernel with that environment;
# output in $out/NAME.out, status in RC, seconds in SECS.  Bounded by
# RUN_BOUND: a tool whose watchdog broke is killed, and that is the
# case's first unmet expectation.
run_vm()
{
	local name=$1 t0
	shift

	t0=$(timestamp_ms)
	env VM_KSFT="$VM_KSFT" VM_OUT="$out" "$@" \
		timeout -k 10 "$RUN_BOUND" "$vm" "$kernel" >"$out/$name.out" 2>&1
	RC=$?
	SECS=$((($(timestamp_ms) - t0) / 1000))
	if [ "$RC" -eq 124 ] || [ "$RC" -eq 137 ] && [ "$SECS" -ge "$RUN_BOUND" ]; then
		expect "vm.sh still running after ${RUN_BOUND}s (watchdog did not fire?), killed"
	fi
}

# has NAME ERE: the output of NAME has a line matching ERE.
has()
{
	grep -qE "$2" "$out/$1.out"
}

# WHY is set to the first unmet expectation.
expect()
{
	[ -n "$WHY" ] || WHY=$1
}

# no_kernel NAME: the tool could not get the kernel (no package, no
# mirror, a broken apt-get); prints what it said.  The case then tested
# nothing of the tool: a skip, its reason shown.
no_kernel()
{
	local said

	grep -qE '^not ok [0-9]+ .* # no kernel: ' "$out/$1.out" || return 1
	said=$(tool_lines "$1" | grep -vE '^# vm: |updating|downloading' | tail -n 3 |
		sed -E 's/^# (vm\[[^]]*\]: |  )//' | paste -sd ' ' -)
	echo "${said:-the tool named no cause}"
}

# tool_lines NAME: the tool's own "# vm" lines of NAME's output, with the
# indented lines that continue one ending in ':' (apt's words, say).
tool_lines()
{
	awk '/^# vm(\[[^]]*\])?: / { print; more = /:$/; next }
	     more && /^#   / { print; next }
	     { more = 0 }' "$out/$1.out"
}

# show_tool NAME: what the tool itself said (its "# vm" lines, not the
# guest's), so that a failure in a CI log explains itself.
show_tool()
{
	ktap_print_block "$1: output in $out/$1.out; the tool said:" \
		"$(tool_lines "$1" | head -n 20 | sed 's/^# //')"
}

# Nothing left: no qemu of ours, no scratch directory.
left_nothing()
{
	local p

	for p in /proc/[0-9]*; do
		[[ $({ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null) == qemu-system-x86_64*"$out/runs/"* ]] &&
			expect "a qemu of the tool is still running (${p#/proc/})"
	done
	compgen -G "$build/vm/root.*" >/dev/null &&
		expect "a scratch root was left in $build/vm"
	compgen -G "$out/runs/*/console.fifo" >/dev/null &&
		expect "a console fifo was left"
}

# died_twice NAME PANIC: the guest of NAME died before the suite on both
# boots, showing PANIC (ERE): an infrastructure error, exit 75.
died_twice()
{
	[ "$RC" -eq 75 ] || expect "exit $RC, not 75"
	has "$1" 'boot 2: ' || expect "not booted a second time"
	has "$1" "$2" || expect "no panic line ($2) shown"
	has "$1" 'died before the suite started, 2 times' ||
		expect "no 'died before the suite started, 2 times'"
	has "$1" 'INFRASTRUCTURE ERROR' ||
		expect "not reported as an infrastructure error"
}

case_boot_panic_twice()
{
	run_vm boot_panic_twice VM_FAULT=panic
	died_twice boot_panic_twice 'Kernel panic - not syncing: sysrq triggered crash'
}

case_boot_panic_once()
{
	run_vm boot_panic_once VM_FAULT=panic-once \
		"VM_ENV=ZC_TOPOLOGIES=lo ZC_PROGRAMS=notif_contract"
	[ "$RC" -eq 0 ] || expect "exit $RC, not 0"
	has boot_panic_once 'boot 2: ' || expect "not booted a second time"
	has boot_panic_once '^    ok 1 lo$' || expect "the suite's lo result not relayed"
	has boot_panic_once '^ok 1 ' || expect "no ok line for the kernel"
}

case_kernel_without_init()
{
	run_vm kernel_without_init VM_FAULT=noinit
	died_twice kernel_without_init \
		'Kernel panic.*(no-such-init|Unable to mount|No working init)'
}

case_crash_during_suite()
{
	run_vm crash_during_suite VM_FAULT=crash-in-suite \
		"VM_ENV=ZC_TOPOLOGIES=lo ZC_PROGRAMS=notif_contract"
	[ "$RC" -eq 1 ] || expect "exit $RC, not 1"
	has crash_during_suite 'died while the suite ran' ||
		expect "no 'died while the suite ran'"
	has crash_during_suite 'Kernel panic|sysrq: Trigger a crash' ||
		expect "no panic line shown"
	has crash_during_suite 'boot 2: ' && expect "booted a second time"
	has crash_during_suite '^not ok 1 ' || expect "no 'not ok' for the kernel"
}

case_hung_guest()
{
	# The initramfs is built before the watchdog starts: allow for it.
	local RUN_BOUND=$((HANG_TIMEOUT + HANG_SLACK + 60))

	run_vm hung_guest VM_FAULT=hang VM_TIMEOUT="$HANG_TIMEOUT"
	[ "$RC" -eq 70 ] || expect "exit $RC, not 70"
	has hung_guest 'watchdog: the guest hung' || expect "no watchdog message"
	has hung_guest 'zc.fault=hang: blocking forever' ||
		expect "the last console lines not shown"
	[ "$SECS" -le "$RUN_BOUND" ] ||
		expect "took ${SECS}s, the watchdog is ${HANG_TIMEOUT}s"
}

case_missing_module()
{
	run_vm missing_module VM_FAULT=drop-module:veth \
		"VM_ENV=ZC_TOPOLOGIES=veth ZC_PROGRAMS=notif_contract"
	[ "$RC" -eq 70 ] || expect "exit $RC, not 70"
	has missing_module 'module veth: not loaded' ||
		expect "the guest did not name veth"
	has missing_module 'could not load module veth' ||
		expect "the tool did not report the missing module"
	has missing_module 'CONFIG_VETH missing' ||
		expect "the suite's skip does not name CONFIG_VETH"
}

case_sigterm_mid_boot()
{
	local fifo=$out/sigterm.fifo line pid start t0 sent=0 deadline left

	rm -f "$fifo"
	mkfifo "$fifo" || { expect "mkfifo failed"; return; }
	t0=$(timestamp_ms)
	deadline=$((t0 + 300000))
	env VM_KSFT="$VM_KSFT" VM_OUT="$out" VM_FAULT=hang "$vm" "$kernel" \
		>"$fifo" 2>&1 &
	pid=$!
	start=$(proc_start_time "$pid")
	: >"$out/sigterm_mid_boot.out"
	# The guest is up once it says it blocks: then the signal.  Each read
	# waits at least 1 s (read -t 0 would only poll, and spin).
	while left=$(((deadline - $(timestamp_ms) + 999) / 1000)) &&
	      [ "$left" -gt 0 ] && IFS= read -r -t "$left" line; do
		echo "$line" >>"$out/sigterm_mid_boot.out"
		if [ "$sent" -eq 0 ] && [[ $line == *"blocking forever"* ]]; then
			proc_kill TERM "$pid" "$start"
			sent=1
		fi
	done <"$fifo"
	if [ "$sent" -eq 0 ]; then
		expect "the guest never came up"
		# TERM first: the tool's EXIT trap then kills its qemu.
		proc_kill TERM "$pid" "$start"
	fi
	proc_wait_gone "$STOP_BOUND" "$pid" "$start" ||
		expect "vm.sh still running ${STOP_BOUND}s after SIGTERM (killed)"
	wait "$pid"
	RC=$?
	SECS=$((($(timestamp_ms) - t0) / 1000))
	rm -f "$fifo"
	[ "$RC" -eq 143 ] || expect "exit $RC, not 143"
}

main()
{
	local c

	ktap_print_header
	if ! command -v qemu-system-x86_64 >/dev/null; then
		ktap_skip_all "qemu-system-x86_64 not installed"
		exit "$KSFT_SKIP"
	fi
	mkdir -p "$out" || exit 1
	if [ -z "${VM_KSFT:-}" ]; then
		VM_KSFT=$build/kselftest
		ZC_BUILD=$build "$top/harness/ksft_tree.sh" install "$VM_KSFT" \
			>/dev/null 2>&1 || {
			ktap_skip_all "cannot install the kselftest tree (make ksft-check)"
			exit "$KSFT_SKIP"
		}
	fi
	export ZC_BUILD=$build
	shift
	[ $# -eq 0 ] || CASES=("$@")
	for c in "${CASES[@]}"; do
		declare -F "case_$c" >/dev/null ||
			{ echo "vm_selftest.sh: no case '$c'" >&2; exit 2; }
	done
	ktap_print_msg "harness/vm.sh on kernel $kernel, guests broken on purpose; outputs in $out"
	ktap_set_plan "${#CASES[@]}"
	for c in "${CASES[@]}"; do
		WHY=''
		"case_$c"
		left_nothing
		if [ -z "$WHY" ]; then
			ktap_print_msg "$c: exit $RC in ${SECS}s"
			ktap_test_pass "$c"
		elif nokernel=$(no_kernel "$c"); then
			# Not the tool's fault: nothing to boot here.
			show_tool "$c"
			ktap_test_skip "$c" "no kernel $kernel to boot: $nokernel"
		else
			show_tool "$c"
			ktap_test_fail "$c" "$WHY"
		fi
	done
	ktap_finished
}

main "$kernel" "${@:2}"
