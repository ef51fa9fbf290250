# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# KTAP output (Documentation/dev-tools/ktap.rst) for bash scripts.  The
# names follow the kernel's tools/testing/selftests/kselftest/
# ktap_helpers.sh (ktap_print_header, ktap_print_msg, ktap_set_plan,
# ktap_skip_all, ktap_test_pass/skip/fail, ktap_print_totals,
# ktap_finished), extended with nesting: ktap_subtest_begin opens a
# subtest, whose results are indented four more spaces, and
# ktap_subtest_end prints its result line one level up.
#
# KTAP_CNT_PASS/FAIL/SKIP/XFAIL/XPASS count leaf results (test cases):
# those printed with ktap_test_*, and those of other programs' output the
# caller relays and adds with ktap_count.  XFAIL and XPASS results are
# among the passes too.  Subtest result lines are not counted.
#
# Writing to a closed stdout (a reader such as "head" went away) prints
# nothing on stderr: KTAP_STDOUT_GONE is set and later output discarded
# (the caller ignores SIGPIPE, or handles it).
# Defines functions and variables only; installs no traps.
# shellcheck disable=SC2034 # the KSFT_ and KTAP_ variables are for callers

KSFT_PASS=0
KSFT_FAIL=1
KSFT_XFAIL=2
KSFT_XPASS=3
KSFT_SKIP=4

KTAP_INDENT=''		# four spaces per nesting level
KTAP_TESTNO=1		# number of the next result at this level
_KTAP_OUTER_NO=()	# KTAP_TESTNO of each enclosing level
KTAP_CNT_PASS=0
KTAP_CNT_FAIL=0
KTAP_CNT_SKIP=0
KTAP_CNT_XFAIL=0
KTAP_CNT_XPASS=0

KTAP_STDOUT_GONE=''

# ktap_line TEXT: one line at the current nesting level.
ktap_line()
{
	[ -z "$KTAP_STDOUT_GONE" ] || return 0
	printf '%s%s\n' "$KTAP_INDENT" "$1" 2>/dev/null && return 0
	KTAP_STDOUT_GONE=1
	exec >/dev/null
}

ktap_print_header()
{
	ktap_line "KTAP version 1"
}

# ktap_print_msg TEXT...: a diagnostic line; a TEXT with newlines gives one
# "# " line per line.
ktap_print_msg()
{
	local line

	while IFS= read -r line; do
		ktap_line "# $line"
	done <<<"$*"
}

# ktap_print_block HEAD TEXT: "# HEAD", then each line of TEXT indented
# under it (what a program printed, shown with its verdict).
ktap_print_block()
{
	local line

	ktap_line "# $1"
	while IFS= read -r line; do
		ktap_line "#   $line"
	done <<<"$2"
}

ktap_set_plan()
{
	KSFT_NUM_TESTS=$1
	ktap_line "1..$1"
}

# ktap_skip_all REASON: the plan of a level that runs nothing.
ktap_skip_all()
{
	ktap_line "1..0 # SKIP $*"
}

# __ktap_test RESULT DESCRIPTION [DIRECTIVE]
__ktap_test()
{
	ktap_line "$1 $KTAP_TESTNO $2${3:+ # $3}"
	KTAP_TESTNO=$((KTAP_TESTNO + 1))
}

# ktap_test_pass DESCRIPTION [NOTE]: NOTE (a time, say) after the "#".
ktap_test_pass()
{
	__ktap_test ok "$1" "${2:-}"
	KTAP_CNT_PASS=$((KTAP_CNT_PASS + 1))
}

# ktap_test_skip DESCRIPTION [REASON]
ktap_test_skip()
{
	__ktap_test ok "$1" "SKIP${2:+ $2}"
	KTAP_CNT_SKIP=$((KTAP_CNT_SKIP + 1))
}

# ktap_test_fail DESCRIPTION [REASON]
ktap_test_fail()
{
	__ktap_test "not ok" "$1" "${2:-}"
	KTAP_CNT_FAIL=$((KTAP_CNT_FAIL + 1))
}

# ktap_count PASS FAIL SKIP XFAIL [XPASS]: add leaf results printed by
# someone else (XFAIL and XPASS results are among PASS, as KTAP parsers
# count them).
ktap_count()
{
	KTAP_CNT_PASS=$((KTAP_CNT_PASS + $1))
	KTAP_CNT_FAIL=$((KTAP_CNT_FAIL + $2))
	KTAP_CNT_SKIP=$((KTAP_CNT_SKIP + $3))
	KTAP_CNT_XFAIL=$((KTAP_CNT_XFAIL + $4))
	KTAP_CNT_XPASS=$((KTAP_CNT_XPASS + ${5:-0}))
}

# ktap_subtest_begin NAME [--quiet]: open a nested subtest; --quiet when
# the caller relays a header of its own.
ktap_subtest_begin()
{
	_KTAP_OUTER_NO+=("$KTAP_TESTNO")
	KTAP_INDENT+='    '
	KTAP_TESTNO=1
	[ "${2:-}" = --quiet ] && return
	ktap_print_header
	ktap_line "# Subtest: $1"
}

# ktap_subtest_end RESULT NAME [DIRECTIVE]: close it and print its result
# line ("ok" or "not ok") in the enclosing level.
ktap_subtest_end()
{
	local n=${#_KTAP_OUTER_NO[@]}

	KTAP_INDENT=${KTAP_INDENT%    }
	KTAP_TESTNO=${_KTAP_OUTER_NO[n - 1]}
	unset '_KTAP_OUTER_NO[n - 1]'
	__ktap_test "$1" "$2" "${3:-}"
}

# ktap_exit_fail_msg REASON: stop the run here; it failed, whatever was
# counted so far.
ktap_exit_fail_msg()
{
	ktap_line "Bail out! $*"
	ktap_print_totals
	exit "$KSFT_FAIL"
}

# The totals as kselftest prints them, and the suite's summary line.
ktap_print_totals()
{
	ktap_line "# Totals: pass:$KTAP_CNT_PASS fail:$KTAP_CNT_FAIL xfail:$KTAP_CNT_XFAIL xpass:$KTAP_CNT_XPASS skip:$KTAP_CNT_SKIP error:0"
	ktap_line "$KTAP_CNT_PASS passed, $KTAP_CNT_FAIL failed, $KTAP_CNT_SKIP skipped"
}

# The kselftest exit status of what was counted: 1 if anything failed, 4 if
# everything skipped, else 0.
ktap_exit_status()
{
	if [ "$KTAP_CNT_FAIL" -gt 0 ]; then
		return "$KSFT_FAIL"
	elif [ "$KTAP_CNT_PASS" -eq 0 ] && [ "$KTAP_CNT_SKIP" -gt 0 ]; then
		return "$KSFT_SKIP"
	fi
	return "$KSFT_PASS"
}

ktap_finished()
{
	ktap_print_totals
	ktap_exit_status
	exit
}
