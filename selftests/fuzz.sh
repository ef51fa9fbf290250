#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fuzz the error-queue parser and the completion tracker: the libFuzzer
# targets selftests/fuzz_*.c, built with clang, ASan and UBSan against
# lib/, each run for SECONDS.  A target fails on a crash, a sanitizer
# report, a leak, a broken invariant or an input that takes over 10 s.
#
#   fuzz.sh [SECONDS]      default 10 (make fuzz-short: 5, make fuzz: 300)
#
# Everything it writes goes under $ZC_BUILD/selftests/fuzz (ZC_BUILD
# defaults to build/ at the top): objects, binaries, logs, the scratch corpus that
# grows from run to run, and the input that made a target fail.  The seeds
# in selftests/fuzz-corpus/<target>/ are only read.  As root, missing clang
# or its libFuzzer runtime is installed (harness/deps.sh fuzz).
# Output is KTAP; exit 0 when every target passed, 1 when one failed, 4
# when clang or the runtime is missing, 2 on bad usage.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
out=${ZC_BUILD:-$top/build}/selftests/fuzz
targets=(fuzz_errq fuzz_tracker)
cc=clang
cflags=(-g -O1 "-fsanitize=fuzzer,address,undefined"
	-fno-sanitize-recover=undefined
	-Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE -I"$top/lib")
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

# shellcheck source=harness/ktap.sh
. "$top/harness/ktap.sh"

usage()
{
	echo "usage: fuzz.sh [SECONDS]" >&2
	exit 2
}

[ $# -le 1 ] || usage
secs=${1:-10}
if ! [[ $secs =~ ^[1-9][0-9]{0,5}$ ]]; then
	echo "fuzz.sh: SECONDS must be 1..999999, not '$secs'" >&2
	usage
fi

ktap_print_header
ktap_set_plan "${#targets[@]}"

# Every target skipped, for REASON: exit 4.
skip_all()
{
	local t

	for t in "${targets[@]}"; do
		ktap_test_skip "$t" "$1"
	done
	ktap_finished
}

# Every line of a file as a KTAP diagnostic.
diag()
{
	[ ! -s "$1" ] || ktap_print_msg "$(<"$1")"
}

# clang and its libFuzzer runtime, installed as root; else the skip
# names them (deps.sh's probes decide, for both).
"$top/harness/deps.sh" fuzz
missing=$("$top/harness/deps.sh" --missing fuzz)
[ -z "$missing" ] ||
	skip_all "needs $cc and its libFuzzer runtime (Debian packages: $missing)"

# The library, instrumented the same way as the targets.
mkdir -p "$out/lib"
for src in "$top"/lib/*.c; do
	obj=$out/lib/$(basename "${src%.c}").o
	if ! "$cc" "${cflags[@]}" -c "$src" -o "$obj" 2>"$out/build.log"; then
		ktap_print_msg "building $src failed:"
		diag "$out/build.log"
		ktap_exit_fail_msg "libzc does not build with $cc"
	fi
done
rm -f "$out/libzc.a"
ar rcs "$out/libzc.a" "$out"/lib/*.o

# A target's figures from its final stats: runs, runs/s, coverage.
stats()
{
	local runs rate cov

	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$1")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$1")
	cov=$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*/[0-9a-zA-Z]*' "$1" |
	      tail -n 1)
	echo "${runs:-?} runs, ${rate:-?}/s, ${cov:-no coverage line}"
}

for t in "${targets[@]}"; do
	bin=$out/$t
	log=$out/$t.log
	mkdir -p "$out/corpus/$t" "$out/crash/$t"
	if ! "$cc" "${cflags[@]}" "$here/$t.c" "$out/libzc.a" -o "$bin" \
	     2>"$log"; then
		diag "$log"
		ktap_test_fail "$t" "build failed"
		continue
	fi
	# New inputs go to the first corpus directory only: the scratch one.
	start=$SECONDS
	timeout $((secs + 60)) "$bin" -max_total_time="$secs" -timeout=10 \
		-print_final_stats=1 -artifact_prefix="$out/crash/$t/" \
		"$out/corpus/$t" "$here/fuzz-corpus/$t" >"$log" 2>&1
	rc=$?
	ktap_print_msg "$t: $((SECONDS - start)) s, $(stats "$log")"
	if [ $rc -eq 0 ]; then
		ktap_test_pass "$t"
		continue
	fi
	# The report, and the stack frames in this tree.
	report=$({
		grep -E 'invariant|ERROR:|runtime error|SUMMARY' "$log"
		grep -E '^ +#[0-9]+ ' "$log" | grep -F "$top/"
	} | head -n 12)
	[ -z "$report" ] || ktap_print_msg "$report"
	input=$(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1)
	ktap_print_msg "$t exited $rc; log $log"
	[ -z "$input" ] || ktap_print_msg "reproduce: $bin $input"
	ktap_test_fail "$t"
done

ktap_finished
