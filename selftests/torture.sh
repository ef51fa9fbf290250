#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Cleanup torture (make torture): interrupt the suite at random points and
# check that nothing of it is left: no namespace of the run, no run
# record, no temporary directory, no process, no device in the host
# namespace.  The points are random lines of the suite's output: the
# action is taken when that line appears, wherever the runner then is
# (setting up, running a program, cleaning up).  Actions:
#   INT, TERM      signal the runner; its KTAP must still agree with itself
#   KILLPROG       SIGKILL a running test program (harness parent or test)
#   KILLRUN        SIGKILL the runner (no trap runs), then run the suite
#                  again: that run must remove what the dead one left
# Then two suites run at once, and both must pass.  Prints a table of what
# was done and what was found; exits 1 if anything was left or wrong.
#
#   torture.sh [ROUNDS]     (root; default 20 rounds)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
runner=$top/run_tests.sh
bin=${ZC_BIN:-${ZC_BUILD:-$top/build}/tests}
rounds=${1:-20}
PATH=$PATH:/usr/sbin:/sbin

# shellcheck source=netns/lib.sh
source "$top/netns/lib.sh"
# shellcheck source=harness/ktap.sh
source "$top/harness/ktap.sh"
# shellcheck source=selftests/ktap_check.sh
source "$here/ktap_check.sh"

ACTIONS=(INT TERM KILLPROG KILLRUN)
STOP_BOUND=30		# seconds the runner may take to stop after the action
SILENT_BOUND=60		# seconds the runner may print nothing
ROWS=()
BAD=0

# Pids of the running test programs (started as $bin/PROG), harness
# parents and the tests they fork.
program_pids()
{
	pgrep -f "^$bin/"
}

host_devices()
{
	ip -o link show | sed 's/^[0-9]*: \([^:@]*\).*/\1/'
}

# What of run ID is left: namespaces, record, temporary directory, and
# processes of the suite (the test programs, the runner and its relays).
leftovers()
{
	local id=$1 tmp=$2 out='' ns p

	ns=$(ip netns list | grep -o "^zc-$id-[^ ]*" | tr '\n' ' ')
	[ -z "$ns" ] || out+="namespaces $ns"
	[ ! -e "$runs_dir/$id" ] || out+="record $id "
	[ -z "$tmp" ] || [ ! -e "$tmp" ] || out+="tmpdir $tmp "
	p=$(program_pids | tr '\n' ' ')
	[ -z "$p" ] || out+="programs $p"
	p=$(pgrep -f "^/bin/bash $runner" | tr '\n' ' ')
	[ -z "$p" ] || out+="runner processes $p"
	p=$(host_devices | grep -vxF -f "$work/devices" | tr '\n' ' ')
	[ -z "$p" ] || out+="host devices $p"
	printf '%s' "$out"
}

# Processes end when their namespace is gone: wait for that (bounded).
nothing_left()
{
	[ -z "$(leftovers "$@")" ]
}

# round N ACTION: run the suite, act at a random line, check.
round()
{
	local n=$1 action=$2 line k=0 at=$((RANDOM % 150 + 3)) pid start
	local done='' what='' id='' tmp='' rc found ktap=ok after hung='' silent=''
	local next
	local out=$work/round$n.out

	rm -f "$work/pipe" && mkfifo "$work/pipe"
	env --default-signal=INT "$runner" >"$work/pipe" 2>"$work/round$n.err" &
	pid=$!
	start=$(proc_start_time "$pid")
	: >"$out"
	# A line at least every SILENT_BOUND s, else the runner is hung.
	while IFS= read -r -t "$SILENT_BOUND" line ||
	      { [ $? -le 128 ] || silent=1; false; }; do
		printf '%s\n' "$line" >>"$out"
		k=$((k + 1))
		[[ -n $id || ! $line =~ ,\ run\ ([A-Za-z0-9]{8})$ ]] ||
			id=${BASH_REMATCH[1]}
		if [ -n "$done" ] || [ "$k" -lt "$at" ]; then
			continue
		fi
		what=${line#"${line%%[! ]*}"}
		what=${what:0:40}
		case $action in
		INT | TERM)
			proc_kill "$action" "$pid" "$start"
			done=1
			;;
		KILLRUN)
			read -r _ _ tmp _ <"$runs_dir/$id"
			proc_kill KILL "$pid" "$start"
			done=1
			;;
		KILLPROG)
			# Wait for a line during which a program runs.
			read -ra p < <(program_pids | shuf -n 1)
			[ "${#p[@]}" -gt 0 ] || continue
			kill -KILL "${p[0]}" 2>/dev/null || continue
			done=1
			;;
		esac
		[ "$action" != KILLRUN ] || break
	done <"$work/pipe"
	case $done$action in
	1INT | 1TERM) after="SIG$action" ;;
	1KILLRUN) after=SIGKILL ;;
	*) after="its last line" ;;
	esac
	if ! proc_wait_gone "$STOP_BOUND" "$pid" "$start"; then
		hung="runner still running ${STOP_BOUND}s after $after (killed) "
		BAD=1
	fi
	wait "$pid" 2>/dev/null
	rc=$?
	if [ -z "$done" ] && [ -n "$silent" ]; then
		what="(silent for ${SILENT_BOUND}s after line $k)"
		BAD=1
	elif [ -z "$done" ]; then
		what="(run ended first at line $k)"
	fi

	if [ "$action" = KILLRUN ]; then
		# The next run removes what the dead one left, within its
		# worst case.
		timeout -k 5 "$NEXT_BOUND" "$runner" -t lo \
			>"$work/round$n.next" 2>&1
		next=$?
		rc="$rc, next $next"
		if [ "$next" -eq 124 ] || [ "$next" -eq 137 ]; then
			hung+="next run still running after its worst case, ${NEXT_BOUND}s (killed) "
			BAD=1
		fi
		grep -q "removing namespace zc-$id" "$work/round$n.next" ||
			what+=" (nothing to remove)"
	elif ! ktap_agrees "$out" || ! kunit_agrees "$out"; then
		ktap="$WHY"
		BAD=1
	fi
	slowwait 5 nothing_left "$id" "$tmp" >/dev/null
	found=$hung$(leftovers "$id" "$tmp")
	[ -z "$found" ] || BAD=1
	ROWS+=("$(printf '%2d  %-8s %-4s %-42s %-9s %-5s %s' "$n" "$action" "$at" \
		"$what" "$rc" "$ktap" "${found:-nothing}")")
}

# suite_wait NAME PID START DEADLINE_MS: wait for a suite until DEADLINE_MS
# (timestamp_ms); still running then, it is SIGKILLed and said in HUNG.
# Its status in RC.
suite_wait()
{
	local left=$((($4 - $(timestamp_ms)) / 1000))

	[ "$left" -ge 1 ] || left=1
	proc_wait_gone "$left" "$2" "$3" ||
		HUNG+="suite $1 still running after its worst case, ${WORST}s (killed) "
	wait "$2" 2>/dev/null
	RC=$?
}

# Two suites at once: both must pass within a run's worst case
# (run_tests.sh -l), nothing may be left.
concurrent()
{
	local a b as bs rca rcb ida idb found deadline

	WORST=$("$runner" -l | sed -n 's/^worst case of a whole run: \([0-9]*\)s.*/\1/p')
	WORST=${WORST:-1600} HUNG=''
	deadline=$(($(timestamp_ms) + WORST * 1000))
	"$runner" >"$work/a.out" 2>&1 &
	a=$! as=$(proc_start_time "$a")
	"$runner" >"$work/b.out" 2>&1 &
	b=$! bs=$(proc_start_time "$b")
	suite_wait A "$a" "$as" "$deadline"
	rca=$RC
	suite_wait B "$b" "$bs" "$deadline"
	rcb=$RC
	ida=$(sed -n 's/.*, run \([A-Za-z0-9]\{8\}\)$/\1/p' "$work/a.out")
	idb=$(sed -n 's/.*, run \([A-Za-z0-9]\{8\}\)$/\1/p' "$work/b.out")
	found="$HUNG$(leftovers "$ida" "")$(leftovers "$idb" "")"
	[ "$rca" -eq 0 ] && [ "$rcb" -eq 0 ] && [ -z "$found" ] || BAD=1
	ROWS+=("$(printf '%2s  %-8s %-4s %-42s %-9s %-5s %s' "" "2 SUITES" "" \
		"$(tail -n 1 "$work/a.out") | $(tail -n 1 "$work/b.out")" \
		"$rca, $rcb" "" "${found:-nothing}")")
}

# The logs stay when something was wrong.
remove_work()
{
	[ "$BAD" -ne 0 ] || rm -rf "$work"
}

# shellcheck disable=SC2317 # the EXIT trap
cleanup()
{
	defer_scopes_cleanup
}

main()
{
	local n row

	if [ "$(id -u)" -ne 0 ]; then
		echo "# torture: SKIP needs root"
		exit 4
	fi
	if [ -z "$(ls "$bin" 2>/dev/null)" ]; then
		echo "# torture: no test programs in $bin: run make first"
		exit 1
	fi
	[[ $rounds =~ ^[1-9][0-9]*$ ]] || {
		echo "torture.sh: ROUNDS must be a positive number, not '$rounds'" >&2
		exit 2
	}
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	work=$(mktemp -d "${TMPDIR:-/tmp}/zc-torture.XXXXXX") || exit 1
	# Where the runner records its runs, chosen as zc_run_register does.
	runs_dir=/run/zerocopy-selftests
	if ! mkdir -p "$runs_dir" 2>/dev/null || [ ! -w "$runs_dir" ]; then
		runs_dir=${TMPDIR:-/tmp}/zerocopy-selftests
	fi
	# The bound of the run after a KILLRUN: its worst case.
	NEXT_BOUND=$("$runner" -l -t lo |
		sed -n 's/^worst case of a whole run: \([0-9]*\)s.*/\1/p')
	NEXT_BOUND=${NEXT_BOUND:-600}
	defer remove_work
	host_devices >"$work/devices"
	kunit_find
	for ((n = 1; n <= rounds; n++)); do
		round "$n" "${ACTIONS[RANDOM % ${#ACTIONS[@]}]}"
	done
	concurrent
	printf '%2s  %-8s %-4s %-42s %-9s %-5s %s\n' "#" action line \
		"what the runner was printing" exit KTAP "left behind"
	for row in "${ROWS[@]}"; do
		echo "$row"
	done
	if [ "$BAD" -ne 0 ]; then
		echo "torture: FAILED (logs kept in $work)"
		exit 1
	fi
	echo "torture: $rounds rounds and 2 suites at once: nothing left behind"
}

main "$@"
