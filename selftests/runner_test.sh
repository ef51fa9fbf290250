#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Tests of run_tests.sh itself: its accounting (plans and results agree,
# the last line counts test cases) when a program times out or dies, when
# a setup fails and when the run is interrupted; its refusals; its cleanup
# (no namespace or process left, stale namespaces removed).  The test
# program is a fake kselftest_harness program written here, which blocks
# or dies on request, so each run takes well under a second.
#
#   runner_test.sh [CASE...]    (root; make check runs it, all cases)
#
# KTAP on stdout; exit 0 when every case passed, 1 otherwise, 4 not root.
# shellcheck disable=SC2317 # the cases are called as "case_$name"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
runner=$top/run_tests.sh
PATH=$PATH:/usr/sbin:/sbin

# shellcheck source=netns/lib.sh
source "$top/netns/lib.sh"
# shellcheck source=harness/ktap.sh
source "$top/harness/ktap.sh"
# shellcheck source=selftests/ktap_check.sh
source "$here/ktap_check.sh"

CASES=(
	rejects_bad_timeout
	fails_when_nothing_matches
	head_prints_no_error
	counts_clean_run
	sigint_mid_program
	sigterm_mid_program
	sighup_mid_program
	sigint_between_topologies
	timeout_reports_cases_not_run
	killed_program_reported
	exit_status_disagrees
	setup_failure_fails_its_cases
	missing_tool_skips
	netns_eperm_skips
	netns_readonly_run_fails
	stale_namespaces_removed
	settings_bounds_worst_case
)
STOP_BOUND=30		# seconds a runner may take to stop after a signal

# A kselftest_harness-like program: fixture "fake", the four variants,
# tests first/blocks/last; -V and -r as the harness.  FAKE_HANG=CASE
# blocks in CASE (on a fifo nobody writes; only in topology FAKE_HANG_IN
# if set), FAKE_DIE=CASE SIGKILLs itself, FAKE_EXIT=N exits N after its
# results.
write_fake()
{
	cat >"$1" <<'EOF'
#!/bin/bash
excl=' ' only='' cases=() n=0 rc=0
while [ $# -gt 0 ]; do
	case $1 in
	-V) excl+="$2 "; shift 2 ;;
	-r) only=$2; shift 2 ;;
	*) shift ;;
	esac
done
for v in ip4_tcp ip4_udp ip6_tcp ip6_udp; do
	[[ $excl == *" $v "* ]] && continue
	for t in first blocks last; do
		[ -z "$only" ] || [ "$only" = "fake.$v.$t" ] || continue
		cases+=("fake.$v.$t")
	done
done
echo "TAP version 13"
echo "1..${#cases[@]}"
for c in "${cases[@]}"; do
	n=$((n + 1))
	echo "#  RUN           $c ..."
	if [ "$(id -u)" -ne 0 ]; then
		echo "ok $n $c # SKIP needs root"
	elif [ -z "${ZC_TOPO:-}" ]; then
		echo "ok $n $c # SKIP no topology"
	else
		[ "$c" != "${FAKE_HANG:-}" ] ||
		[ "${FAKE_HANG_IN:-$ZC_TOPO}" != "$ZC_TOPO" ] ||
			read -r _ <"$FAKE_FIFO"
		[ "$c" != "${FAKE_DIE:-}" ] || kill -KILL $$
		echo "ok $n $c"
	fi
done
[ -z "${ZC_TOPO:-}" ] || rc=${FAKE_EXIT:-$rc}
exit $rc
EOF
	chmod +x "$1"
}

# A wrapper of ip that fails "link add ... type veth" like a busy kernel.
write_failing_ip()
{
	cat >"$1" <<EOF
#!/bin/bash
if [[ " \$* " == *" link add "*" type veth "* ]]; then
	echo "RTNETLINK answers: Device or resource busy" >&2
	exit 2
fi
exec $(command -v ip) "\$@"
EOF
	chmod +x "$1"
}

# run_suite NAME [VAR=VALUE...] -- ARGS...: run the runner on the fake
# program, under the command in RUN_WRAP if set; its stdout in
# $tmp/NAME.out, stderr in .err, status in RC, run id in RUN_ID.  Bounded:
# a runner whose own timeouts broke is killed after its worst case
# (run_tests.sh -l with the same settings, ZC_TIMEOUT among them) and
# STOP_BOUND more, and WHY says so.
run_suite()
{
	local name=$1 bound t0
	local -a envs=()

	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	bound=$(env ZC_BIN="$tmp/bin" "${envs[@]}" "$runner" -l "$@" 2>/dev/null |
		sed -n 's/^worst case of a whole run: \([0-9]*\)s.*/\1/p')
	bound=$((${bound:-60} + STOP_BOUND))
	t0=$(timestamp_ms)
	env ZC_BIN="$tmp/bin" FAKE_FIFO="$tmp/fifo" "${envs[@]}" \
		timeout -k 5 "$bound" "${RUN_WRAP[@]}" "$runner" "$@" \
		>"$tmp/$name.out" 2>"$tmp/$name.err"
	RC=$?
	if [ "$RC" -eq 124 ] || [ "$RC" -eq 137 ] &&
	   [ $(($(timestamp_ms) - t0)) -ge $((bound * 1000)) ]; then
		WHY="the runner did not stop within ${bound}s, its worst case (run_tests.sh -l) and ${STOP_BOUND}s (killed)"
	fi
	run_id "$tmp/$name.out"
}

run_id()
{
	RUN_ID=$(sed -n '2s/.*, run \([A-Za-z0-9]\{8\}\)$/\1/p' "$1")
}

# run_signalled NAME SIG PATTERN [VAR=VALUE...] -- ARGS...: like
# run_suite, but send SIG to the runner when a line of its output matches
# PATTERN (ERE).  The runner's output is read as it comes, each line with
# a deadline; after the signal the runner has STOP_BOUND seconds to exit.
run_signalled()
{
	local name=$1 sig=$2 pattern=$3 pid start line sent=0
	local -a envs=()

	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	rm -f "$tmp/pipe" && mkfifo "$tmp/pipe"
	# SIGINT is ignored in background jobs of a script; restore it.
	env --default-signal=INT ZC_BIN="$tmp/bin" FAKE_FIFO="$tmp/fifo" \
		"${envs[@]}" "$runner" "$@" >"$tmp/pipe" 2>"$tmp/$name.err" &
	pid=$!
	start=$(proc_start_time "$pid")
	: >"$tmp/$name.out"
	while IFS= read -r -t 20 line; do
		printf '%s\n' "$line" >>"$tmp/$name.out"
		if [ "$sent" -eq 0 ] && [[ $line =~ $pattern ]]; then
			proc_kill "$sig" "$pid" "$start"
			sent=1
		fi
	done <"$tmp/pipe"
	if [ "$sent" -eq 0 ]; then
		WHY="never saw /$pattern/ in the output"
		proc_kill KILL "$pid" "$start"
	elif ! proc_wait_gone "$STOP_BOUND" "$pid" "$start"; then
		WHY="the runner was still running ${STOP_BOUND}s after SIG$sig (killed)"
	fi
	wait "$pid"
	RC=$?
	run_id "$tmp/$name.out"
}

# left_behind: namespaces, record or processes of run RUN_ID still there.
left_behind()
{
	local ns procs

	[ -n "$RUN_ID" ] || { WHY="no run id in the output"; return 0; }
	ns=$(ip netns list | grep -o "^zc-$RUN_ID-[^ ]*" | tr '\n' ' ')
	procs=$(pgrep -f "$tmp/bin/fake" | tr '\n' ' ')
	if [ -n "$ns" ]; then
		WHY="namespaces left: $ns"
	elif [ -e "$runs_dir/$RUN_ID" ]; then
		WHY="run record left: $runs_dir/$RUN_ID"
	elif [ -n "$procs" ]; then
		WHY="processes left: $procs"
	else
		return 1
	fi
}

# expect NAME RC PATTERN...: the run exited RC, every PATTERN (ERE) is in
# its stdout, KTAP and kunit.py agree, nothing is left.
expect()
{
	local name=$1 rc=$2 re

	shift 2
	[ -z "$WHY" ] || return 1
	if [ "$RC" -ne "$rc" ]; then
		WHY="exit status $RC, expected $rc"
		return 1
	fi
	for re; do
		grep -Eq -- "$re" "$tmp/$name.out" && continue
		WHY="no line matches /$re/"
		return 1
	done
	ktap_agrees "$tmp/$name.out" && kunit_agrees "$tmp/$name.out" &&
		! left_behind
}

# ---- the cases: each returns 0 (pass) or 1 with WHY; 4 with WHY = skip.

case_rejects_bad_timeout()
{
	local t

	for t in 0 abc 010 -5; do
		run_suite timeout ZC_TIMEOUT="$t" -- -t lo
		[ -z "$WHY" ] || return 1
		if [ "$RC" -ne 2 ] || ! grep -q "not '$t'" "$tmp/timeout.err"; then
			WHY="ZC_TIMEOUT=$t: exit $RC, stderr: $(head -c 200 "$tmp/timeout.err")"
			return 1
		fi
	done
}

case_fails_when_nothing_matches()
{
	run_suite nomatch -- -t lo,sink -- -r nosuch.x.y
	expect nomatch 1 "^1\.\.0$" "no test case matches the arguments: -r nosuch.x.y" \
		"^0 passed, 0 failed, 0 skipped$"
}

case_head_prints_no_error()
{
	local err

	env ZC_BIN="$tmp/bin" "$runner" -t lo,veth 2>"$tmp/head.err" |
		head -n 3 >"$tmp/head.out"
	run_id "$tmp/head.out"
	err=$(head -c 300 "$tmp/head.err")
	if [ -n "$err" ]; then
		WHY="stderr: $err"
		return 1
	fi
	! left_behind
}

case_counts_clean_run()
{
	run_suite clean -- -t lo,sink
	expect clean 0 "^ok 1 lo$" "^ok 2 sink$" "^18 passed, 0 failed, 0 skipped$"
}

# mid_program SIG CODE
mid_program()
{
	local name=${1,,}

	run_signalled "$name" "$1" "RUN +fake\.ip4_udp\.blocks" \
		FAKE_HANG=fake.ip4_udp.blocks -- -t lo,sink
	expect "$name" "$2" "ok 5 fake.ip4_udp.blocks # SKIP interrupted by SIG$1" \
		"ok 6 fake.ip4_udp.last # SKIP not run: interrupted by SIG$1" \
		"^ok 2 sink # SKIP not run: interrupted by SIG$1" \
		"^4 passed, 0 failed, 14 skipped$"
}

case_sigint_mid_program() { mid_program INT 130; }
case_sigterm_mid_program() { mid_program TERM 143; }
case_sighup_mid_program() { mid_program HUP 129; }

case_sigint_between_topologies()
{
	# veth blocks in its first case if the signal comes that late.
	run_signalled between INT "^ok 1 lo$" FAKE_HANG=fake.ip4_tcp.first \
		FAKE_HANG_IN=veth -- -t lo,veth,sink
	expect between 130 "^ok 1 lo$" \
		"^ok 3 sink # SKIP not run: interrupted by SIGINT" \
		"ok 6 fake.ip4_udp.last # SKIP not run: interrupted by SIGINT" \
		"^12 passed, 0 failed, [0-9]+ skipped$"
}

case_timeout_reports_cases_not_run()
{
	run_suite timeout1 ZC_TIMEOUT=1 FAKE_HANG=fake.ip6_udp.blocks -- -t sink
	expect timeout1 1 \
		"^        not ok 5 fake.ip6_udp.blocks # TIMEOUT: fake ran for 1s$" \
		"^        ok 6 fake.ip6_udp.last # SKIP not run: fake timed out after 1s$" \
		"^not ok 1 sink # fake: fake.ip6_udp.blocks: TIMEOUT" \
		"^4 passed, 1 failed, 1 skipped$"
}

case_killed_program_reported()
{
	run_suite killed FAKE_DIE=fake.ip4_tcp.last -- -t lo
	expect killed 1 \
		"^        not ok 3 fake.ip4_tcp.last # fake killed by SIGKILL$" \
		"ok 12 fake.ip6_udp.last # SKIP not run: fake was killed by SIGKILL" \
		"^2 passed, 1 failed, 9 skipped$"
}

# Every case reported ok, then an exit status that says otherwise: the
# last result fails, so that the totals count result lines.
case_exit_status_disagrees()
{
	local st

	for st in 3 1; do
		run_suite "exit$st" FAKE_EXIT="$st" -- -t lo
		expect "exit$st" 1 \
			"^        not ok 12 fake.ip6_udp.last # reported PASS, then fake exited with status $st, not its results' status$" \
			"^    not ok 1 fake # fake.ip6_udp.last: reported PASS, then fake exited with status $st" \
			"^11 passed, 1 failed, 0 skipped$" || return 1
	done
}

case_setup_failure_fails_its_cases()
{
	mkdir -p "$tmp/failip"
	write_failing_ip "$tmp/failip/ip"
	run_suite setupfail PATH="$tmp/failip:$PATH" -- -t veth,lo
	expect setupfail 1 "^    1\.\.1$" \
		"^        not ok 1 fake.ip4_tcp.first # setup failed: cannot create veth device veth0 in zc-.*: RTNETLINK answers: Device or resource busy$" \
		"^not ok 1 veth # setup failed: cannot create veth" \
		"^ok 2 lo$" "^12 passed, 12 failed, 0 skipped$"
}

case_missing_tool_skips()
{
	local f

	# A PATH with every command but sysctl.
	mkdir -p "$tmp/nosysctl"
	for f in /usr/local/sbin/* /usr/local/bin/* /usr/sbin/* /usr/bin/* /sbin/* /bin/*; do
		[ "${f##*/}" = sysctl ] || ln -sf "$f" "$tmp/nosysctl/"
	done 2>/dev/null
	run_suite nosysctl PATH="$tmp/nosysctl" -- -t forward
	expect nosysctl 4 \
		"^ok 1 forward # SKIP 'sysctl' not found \(install procps\)$" \
		"^0 passed, 0 failed, 6 skipped$"
}

case_netns_eperm_skips()
{
	local -a RUN_WRAP=(setpriv --bounding-set -sys_admin)

	command -v setpriv >/dev/null || { WHY="setpriv (util-linux) missing"; return 4; }
	run_suite eperm -- -t lo
	expect eperm 4 \
		"^ok 1 lo # SKIP not permitted to create network namespaces, needs CAP_SYS_ADMIN \(.*Operation not permitted.*\)$"
}

case_netns_readonly_run_fails()
{
	# A private mount namespace where /run/netns is a read-only tmpfs.
	local -a RUN_WRAP=(unshare -m sh -c
		'mkdir -p /run/netns && mount -t tmpfs -o ro none /run/netns && exec "$@"' sh)

	command -v unshare >/dev/null || { WHY="unshare (util-linux) missing"; return 4; }
	run_suite rorun -- -t lo
	expect rorun 1 \
		"^not ok 1 lo # setup failed: cannot create network namespaces: /run/netns is on a read-only file system \(.*Read-only file system.*\)$"
}

# other_runs: the ids of live runs on this machine other than this test's
# (their records in $runs_dir).
other_runs()
{
	local r id

	for r in "$runs_dir"/????????; do
		[ -f "$r" ] || continue
		id=${r##*/}
		[ "$id" != "$live" ] && [ "$id" != "$dead" ] &&
			ZC_RUN_DIR=$runs_dir zc_run_alive "$id" &&
			printf '%s ' "$id"
	done
}

case_stale_namespaces_removed()
{
	local dead live now others

	mkdir -p "$runs_dir"
	# A run that died (the pid of a process that exited) and a live one
	# (this shell), each with a namespace.
	dead=$(mktemp -u XXXXXXXX) live=$(mktemp -u XXXXXXXX)
	true &
	wait $!
	# Written whole (mv): a sweep of another run on this machine must
	# not read the live record empty.
	echo "$! 1 $tmp/none" >"$tmp/record" &&
		mv "$tmp/record" "$runs_dir/$dead"
	now=$(proc_start_time $$)
	echo "$$ $now $tmp/none" >"$tmp/record" &&
		mv "$tmp/record" "$runs_dir/$live"
	defer rm -f "$runs_dir/$live" "$runs_dir/$dead"
	defer ip netns del "zc-$live-test-x"
	defer ip netns del "zc-$dead-test-x"
	if ! ip netns add "zc-$dead-test-x" || ! ip netns add "zc-$live-test-x"; then
		WHY="cannot create the namespaces"
		return 1
	fi
	others=$(other_runs)
	run_suite stale -- -t lo
	[ -z "$WHY" ] || return 1
	others+=$(other_runs)
	if [ -e "/run/netns/zc-$dead-test-x" ]; then
		WHY="the dead run's namespace zc-$dead-test-x is still there"
	elif [ ! -e "/run/netns/zc-$live-test-x" ]; then
		WHY="the live run's namespace zc-$live-test-x was removed"
	elif [ -e "$runs_dir/$dead" ]; then
		WHY="the dead run's record is still there"
	fi
	# Another run on this machine may have swept it first: then this
	# run had nothing to say, and that is said.
	if [ -z "$WHY" ] &&
	   ! grep -q "removing namespace zc-$dead-test-x" "$tmp/stale.err"; then
		if [ -n "$others" ]; then
			ktap_print_msg "stale: zc-$dead-test-x removed, not by this run: another run swept first (live beside it: $others)"
		else
			WHY="no message about zc-$dead-test-x"
		fi
	fi
	expect stale 0 "^ok 1 lo$"
}

case_settings_bounds_worst_case()
{
	local line worst settings

	line=$("$runner" -l | grep '^worst case')
	[[ $line =~ :\ ([0-9]+)s\ \(settings:\ timeout=([0-9]*)\) ]] || {
		WHY="run_tests.sh -l printed no bound: $line"; return 1; }
	worst=${BASH_REMATCH[1]} settings=${BASH_REMATCH[2]}
	if [ -z "$settings" ] || [ "$settings" -lt "$worst" ]; then
		WHY="settings timeout=${settings:-none} is below the worst case of a run, ${worst}s: raise it"
		return 1
	fi
	# Every default topology set up: none makes more namespaces or
	# waits for more devices than the worst case counts.
	run_suite worst -- -t lo,veth,sink,forward,veth_tbf,hold
	[ -z "$WHY" ] || return 1
	line=$(grep -m1 'worst case understated' "$tmp/worst.out")
	[ -z "$line" ] || { WHY=${line#*# }; return 1; }
	[ "$RC" -eq 0 ] || { WHY="the run over every topology exited $RC"; return 1; }
}

# shellcheck disable=SC2317 # the EXIT trap
cleanup()
{
	defer_scopes_cleanup
}

main()
{
	local c rc
	local -a RUN_WRAP=()

	[ $# -eq 0 ] || CASES=("$@")
	ktap_print_header
	ktap_set_plan "${#CASES[@]}"
	if [ "$(id -u)" -ne 0 ]; then
		for c in "${CASES[@]}"; do
			ktap_test_skip "$c" "needs root"
		done
		ktap_finished
	fi
	trap cleanup EXIT
	# Where the runner records its runs, chosen as zc_run_register does.
	runs_dir=/run/zerocopy-selftests
	if ! mkdir -p "$runs_dir" 2>/dev/null || [ ! -w "$runs_dir" ]; then
		runs_dir=${TMPDIR:-/tmp}/zerocopy-selftests
	fi
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/zc-runner-test.XXXXXX") || exit 1
	defer rm -rf "$tmp"
	mkdir "$tmp/bin" && write_fake "$tmp/bin/fake" && mkfifo "$tmp/fifo" ||
		exit 1
	kunit_find
	for c in "${CASES[@]}"; do
		WHY=''
		"case_$c"
		rc=$?
		if [ "$rc" -eq 0 ]; then
			ktap_test_pass "$c"
		elif [ "$rc" -eq 4 ]; then
			ktap_test_skip "$c" "$WHY"
		else
			ktap_print_msg "$c: $WHY"
			ktap_test_fail "$c"
		fi
	done
	ktap_finished
}

main "$@"
