#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Zero-copy transmit selftests: build each topology (netns/<topo>.sh), run
# every test program (kselftest_harness.h) in its sender namespace, and
# report KTAP on stdout: a subtest per topology, one per program inside
# it, a result per test case, then "N passed, N failed, N skipped".
#
# Every planned test case gets a result line, also when its program times
# out or dies, when the topology's setup fails, and when the run is
# interrupted (SIGINT, SIGTERM, SIGHUP, stdout closed): the plans and the
# results agree, and the last line counts test cases.  Cases that never
# ran are SKIPs saying why; an interruption fails nothing by itself.
#
# Exit status: 0 pass, 1 something failed or no test case matched, 2 bad
# usage, 4 everything skipped (not root), 128+N interrupted by signal N.
#
# Signals are trapped only by the process started, which just waits for
# the run (harness/supervise.sh says why).
#
# Environment: ZC_BIN (directory of the test programs), ZC_TOPOLOGIES and
# ZC_PROGRAMS (defaults for -t and -T), ZC_TIMEOUT (seconds per program,
# default 60), KSFT_MACHINE_SLOW=yes (triples the timeouts).  Needs bash
# 5.1 or later (wait -p).

ZC_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
# shellcheck source=netns/lib.sh
source "$ZC_DIR/netns/lib.sh"
# shellcheck source=harness/ktap.sh
source "$ZC_DIR/harness/ktap.sh"
# shellcheck source=harness/program.sh
source "$ZC_DIR/harness/program.sh"
# shellcheck source=harness/supervise.sh
source "$ZC_DIR/harness/supervise.sh"

DEFAULT_TOPOS="lo veth sink forward veth_tbf hold"
DEFAULT_TIMEOUT=60	# seconds per program
LIST_TIMEOUT=10		# seconds to list a program's cases
KILL_GRACE=5		# seconds between SIGTERM and SIGKILL of a program
DRAIN_TIMEOUT=5		# seconds for the last of a program's output

ALL_TOPOS=() ALL_PROGS=() TOPOS=() PROGS=() HARNESS_ARGS=()
KEEP=0 BIN_DIR='' TIMEOUT='' IS_ROOT=0 SKIP_ALL='' STDBUF=''
declare -A PLAN=()	# "topo prog" -> planned case names, one per line
declare -A PROG_TOPOS=()	# prog -> the topologies it runs in (tests/topologies)
declare -A PLAN_ERR=()	# "topo prog" -> why its cases could not be listed
PROG_PID='' PROG_START='' DONE_FD=''
TOPO_NS=()		# namespaces of the topology being run
START_MS=0

usage()
{
	cat <<EOF
Usage: $0 [-l] [-t TOPO[,TOPO...]] [-T PROG[,PROG...]] [-k] [-h] [-- ARGS...]

  -l        list topologies, test programs and timeouts, then exit
  -t TOPO   run only these topologies (default: $DEFAULT_TOPOS)
  -T PROG   run only these test programs (default: all in $BIN_DIR)
  -k        keep the namespaces of a topology where something failed
            (not phys: its ports always go back to the host)
  -h        this help
  ARGS      passed to every test program (kselftest harness filters,
            e.g. -t TEST or -r FIXTURE.VARIANT.TEST)

Environment: ZC_BIN, ZC_TOPOLOGIES, ZC_PROGRAMS, ZC_TIMEOUT (seconds per
program, default $DEFAULT_TIMEOUT), KSFT_MACHINE_SLOW=yes
EOF
}

usage_error()
{
	echo "${0##*/}: $*" >&2
	echo "Try '$0 -h'." >&2
	exit 2
}

in_list()
{
	local want=$1 item

	shift
	for item; do
		[ "$item" = "$want" ] && return 0
	done
	return 1
}

# Topologies: the default ones first, then any other netns/*.sh.
load_topologies()
{
	local f t

	for t in $DEFAULT_TOPOS; do
		[ -f "$ZC_DIR/netns/$t.sh" ] && ALL_TOPOS+=("$t")
	done
	for f in "$ZC_DIR"/netns/*.sh; do
		t=${f##*/}
		t=${t%.sh}
		[[ $t == lib || ! $t =~ ^[a-z0-9_]+$ ]] && continue
		in_list "$t" "${ALL_TOPOS[@]}" || ALL_TOPOS+=("$t")
	done
	for t in "${ALL_TOPOS[@]}"; do
		# shellcheck source=/dev/null
		source "$ZC_DIR/netns/$t.sh"
	done
}

# tests/topologies: "PROGRAM TOPOLOGY..." per line, the topologies a
# program runs in (a program not listed runs in every topology), or
# "PROGRAM:TEST TOPOLOGY...", those where one test of it runs.
read_program_topologies()
{
	local file=$ZC_DIR/tests/topologies prog topos

	# Installed by the kselftest lib.mk: beside run_tests.sh.
	[ -f "$file" ] || file=$ZC_DIR/topologies
	[ -f "$file" ] || return 0
	while read -r prog topos; do
		[[ -z $prog || $prog == \#* ]] && continue
		PROG_TOPOS[$prog]=$topos
	done <"$file"
}

# topo_progs ARRAY TOPO: the selected programs that run in TOPO.
topo_progs()
{
	local -n _progs=$1
	local prog

	_progs=()
	for prog in "${PROGS[@]}"; do
		[ -z "${PROG_TOPOS[$prog]+set}" ] ||
			[[ " ${PROG_TOPOS[$prog]} " == *" $2 "* ]] || continue
		_progs+=("$prog")
	done
}

# is_elf FILE: whether FILE is an ELF executable (not a script).
is_elf()
{
	local magic

	read -r -N 4 magic 2>/dev/null <"$1" && [ "$magic" = $'\x7fELF' ]
}

# The test programs: every executable in ZC_BIN, else in build/tests (a
# standalone build), else in tests/ (make install, or a kernel tree built
# in place).  The kselftest lib.mk installs them flat, beside
# run_tests.sh: there, the ELF executables are the programs.
find_programs()
{
	local f flat=1

	if [ -n "${ZC_BIN:-}" ]; then
		BIN_DIR=$ZC_BIN flat=0
	elif [ -d "$ZC_DIR/build/tests" ]; then
		BIN_DIR=$ZC_DIR/build/tests flat=0
	else
		for f in "$ZC_DIR"/tests/*; do
			[[ -f $f && -x $f ]] || continue
			BIN_DIR=$ZC_DIR/tests flat=0
			break
		done
		[ "$flat" -eq 0 ] || BIN_DIR=$ZC_DIR
	fi
	for f in "$BIN_DIR"/*; do
		[[ -f $f && -x $f ]] || continue
		[ "$flat" -eq 0 ] || is_elf "$f" || continue
		ALL_PROGS+=("${f##*/}")
	done
}

# select_names ARRAY WHAT LIST VALID...: split LIST at commas and spaces
# into ARRAY, checking every name against VALID.
select_names()
{
	local -n _selected=$1
	local what=$2 list=$3 name
	local -a names

	shift 3
	read -ra names <<<"${list//,/ }"
	for name in "${names[@]}"; do
		in_list "$name" "$@" ||
			usage_error "unknown $what '$name' (valid: ${*:-none})"
	done
	[ "${#names[@]}" -gt 0 ] || usage_error "no $what named in '$list'"
	_selected=("${names[@]}")
}

# Per-program timeout: ZC_TIMEOUT or the default, tripled on a slow
# machine.  The settings file holds the kselftest runner's bound for the
# whole of run_tests.sh (see worst_case_s), not this.
read_timeout()
{
	TIMEOUT=${ZC_TIMEOUT:-$DEFAULT_TIMEOUT}
	[[ $TIMEOUT =~ ^[1-9][0-9]{0,5}$ ]] || usage_error \
		"ZC_TIMEOUT must be a number of seconds from 1 to 999999, not '$TIMEOUT'"
	[ "${KSFT_MACHINE_SLOW:-}" = yes ] && TIMEOUT=$((TIMEOUT * 3))
}

# topo_waits TOPO: "NAMESPACES DEVICES OTHER_S", the bounded waits of its
# setup and cleanup (topo_<topo>_waits); 3 3 0 when it does not say.
topo_waits()
{
	if declare -F "topo_$1_waits" >/dev/null; then
		"topo_$1_waits"
	else
		echo 3 3 0
	fi
}

# Upper bound in seconds of a whole run with the selected topologies and
# programs: every wait in it is bounded.  Per topology (topo_waits):
# listing each program's cases, setup (ip commands, a link wait per
# device), each program (its timeout, the grace before SIGKILL, the drain
# of its output, the kill of what it left), removing its namespaces (2
# bounded waits each), its other waits; the waits of netns/lib.sh triple
# with KSFT_MACHINE_SLOW=yes.  Plus removing stale namespaces.
worst_case_s()
{
	local stale=10 ip_cmds=6 slow=1 ns devs other topo
	local prog=$((TIMEOUT + KILL_GRACE + DRAIN_TIMEOUT + 2))
	local list=$((LIST_TIMEOUT + 2)) total=$stale
	local -a progs

	[ "${KSFT_MACHINE_SLOW:-}" != yes ] || slow=3
	for topo in "${TOPOS[@]}"; do
		topo_progs progs "$topo"
		read -r ns devs other <<<"$(topo_waits "$topo")"
		total=$((total + ${#progs[@]} * (list + prog) + ip_cmds +
			 slow * ((devs * ZC_LINK_WAIT_MS +
				  ns * 2 * BUSYWAIT_TIMEOUT) / 1000 + other)))
	done
	echo "$total"
}

# waits_check TOPO: say when its setup made more namespaces or waited for
# more devices than topo_waits counts (the worst case would be
# understated).
waits_check()
{
	local ns devs

	read -r ns devs _ <<<"$(topo_waits "$1")"
	[ "$ZC_SETUP_NS" -gt "$ns" ] || [ "$ZC_SETUP_DEVS" -gt "$devs" ] ||
		return 0
	ktap_print_msg "worst case understated: $1 made $ZC_SETUP_NS namespaces" \
		"and waited for $ZC_SETUP_DEVS devices, topo_$1_waits counts $ns and $devs"
}

list_all()
{
	local t p

	echo "topologies:"
	for t in "${ALL_TOPOS[@]}"; do
		printf '  %-10s %s\n' "$t" "$("topo_${t}_desc" 2>/dev/null)"
	done
	echo "test programs in $BIN_DIR (and the topologies they run in):"
	for p in "${ALL_PROGS[@]}"; do
		printf '  %-20s %s\n' "$p" "${PROG_TOPOS[$p]:-all}"
		for t in "${!PROG_TOPOS[@]}"; do
			[[ $t != "$p":* ]] ||
				printf '    %-18s %s\n' "${t#*:}" "${PROG_TOPOS[$t]}"
		done
	done
	[ "${#ALL_PROGS[@]}" -gt 0 ] || echo "  (none: run make first)"
	echo "timeout per program: ${TIMEOUT}s"
	echo "worst case of a whole run: $(worst_case_s)s" \
	     "(settings: timeout=$(zc_settings_timeout "$ZC_DIR"))"
}

parse_args()
{
	local -a argv=("$@")
	local opt t list=0 topos_set=0 progs_set=0
	local topos=${ZC_TOPOLOGIES:-} progs=${ZC_PROGRAMS:-}

	load_topologies
	find_programs
	read_program_topologies
	while getopts ":lt:T:kh" opt; do
		case $opt in
		l) list=1 ;;
		t) topos=$OPTARG topos_set=1 ;;
		T) progs=$OPTARG progs_set=1 ;;
		k) KEEP=1 ;;
		h) usage; exit 0 ;;
		:) usage_error "option -$OPTARG needs an argument" ;;
		*) usage_error "unknown option '-$OPTARG'" ;;
		esac
	done
	shift $((OPTIND - 1))
	if [ $# -gt 0 ]; then
		if [ "$OPTIND" -eq 1 ] || [ "${argv[OPTIND - 2]}" != -- ]; then
			usage_error \
				"unexpected argument '$1' (test arguments go after --)"
		fi
		HARNESS_ARGS=("$@")
	fi
	if [ -n "$topos" ] || [ "$topos_set" -eq 1 ]; then
		select_names TOPOS topology "$topos" "${ALL_TOPOS[@]}"
	else
		for t in $DEFAULT_TOPOS; do
			in_list "$t" "${ALL_TOPOS[@]}" && TOPOS+=("$t")
		done
	fi
	if [ -n "$progs" ] || [ "$progs_set" -eq 1 ]; then
		select_names PROGS "test program" "$progs" "${ALL_PROGS[@]}"
	else
		PROGS=("${ALL_PROGS[@]}")
	fi
	read_timeout
	if [ "$list" -eq 1 ]; then
		list_all
		exit 0
	fi
}

# harness_filter ARRAY TOPO PROG: the harness filter of PROG in the
# current topology TOPO: variants of the protocols it does not carry are
# left out, and so are the tests that tests/topologies ("PROG:TEST
# TOPOLOGY...") keeps to other topologies.
harness_filter()
{
	local -n _filter=$1
	local proto key

	_filter=()
	for proto in tcp udp; do
		[[ " $ZC_PROTOS " == *" $proto "* ]] ||
			_filter+=(-V "ip4_$proto" -V "ip6_$proto")
	done
	for key in "${!PROG_TOPOS[@]}"; do
		[[ $key == "$3":* ]] || continue
		[[ " ${PROG_TOPOS[$key]} " == *" $2 "* ]] ||
			_filter+=(-T "${key#*:}")
	done
}

# List the cases of every program in every topology before anything runs,
# so that cases that never run can be reported by name.  Sets TOTAL_CASES.
plan_all()
{
	local topo prog
	local -a filter cases progs

	TOTAL_CASES=0
	for topo in "${TOPOS[@]}"; do
		zc_contract_reset
		"topo_${topo}_env"
		topo_progs progs "$topo"
		for prog in "${progs[@]}"; do
			harness_filter filter "$topo" "$prog"
			if prog_list_cases cases "$LIST_TIMEOUT" "$BIN_DIR/$prog" \
			   "${filter[@]}" "${HARNESS_ARGS[@]}"; then
				PLAN[$topo $prog]=$(printf '%s\n' "${cases[@]}")
				TOTAL_CASES=$((TOTAL_CASES + ${#cases[@]}))
			else
				PLAN_ERR[$topo $prog]=$PROG_LIST_ERR
				TOTAL_CASES=$((TOTAL_CASES + 1))
			fi
		done
	done
	zc_contract_reset
}

# planned ARRAY TOPO PROG
planned()
{
	local -n _planned=$1

	_planned=()
	[ -z "${PLAN[$2 $3]:-}" ] || mapfile -t _planned <<<"${PLAN[$2 $3]}"
}

topo_cases()
{
	local prog n=0
	local -a cases progs

	topo_progs progs "$1"
	for prog in "${progs[@]}"; do
		planned cases "$1" "$prog"
		n=$((n + ${#cases[@]}))
		[ -z "${PLAN_ERR[$1 $prog]:-}" ] || n=$((n + 1))
	done
	echo "$n"
}

# Result line of a subtest from the counts since FAIL0/PASS0/SKIP0: FIRST
# is the first failure's reason, SKIPWHY the first skip's.
subtest_result()
{
	local name=$1 f0=$2 p0=$3 s0=$4 first=$5 skipwhy=$6

	if [ "$KTAP_CNT_FAIL" -gt "$f0" ]; then
		ktap_subtest_end "not ok" "$name" "$first"
	elif [ "$KTAP_CNT_PASS" -eq "$p0" ] && [ "$KTAP_CNT_SKIP" -gt "$s0" ]; then
		ktap_subtest_end ok "$name" "SKIP $skipwhy"
	else
		ktap_subtest_end ok "$name"
	fi
}

# program_all N PROG VERDICT WHY: report every case of PROG in the current
# topology as VERDICT ("fail" or "skip") without running it.
program_all()
{
	local prog=$1 verdict=$2 why=$3 c
	local f0=$KTAP_CNT_FAIL p0=$KTAP_CNT_PASS s0=$KTAP_CNT_SKIP
	local -a cases

	planned cases "$CUR_TOPO" "$prog"
	if [ -n "${PLAN_ERR[$CUR_TOPO $prog]:-}" ]; then
		cases=("$prog")
		# Listing needs what a skipped run may lack ('timeout').
		[ -n "$SKIP_ALL" ] ||
			verdict=fail why=${PLAN_ERR[$CUR_TOPO $prog]}
	fi
	ktap_subtest_begin "$prog"
	ktap_set_plan "${#cases[@]}"
	for c in "${cases[@]}"; do
		if [ "$verdict" = fail ]; then
			ktap_test_fail "$c" "$why"
		else
			ktap_test_skip "$c" "$why"
		fi
	done
	subtest_result "$prog" "$f0" "$p0" "$s0" "$why" "$why"
	PROG_WHY=$why
}

# wait_relay PID: wait (bounded) for relay PID's line on DONE_FD, its pid:
# the program's output ended.  The line of an earlier relay that was given
# up on (written after its wait expired) is read and dropped.  A signal
# does not cut the wait short.
wait_relay()
{
	local deadline=$(($(timestamp_ms) + DRAIN_TIMEOUT * 1000)) left token

	while left=$((deadline - $(timestamp_ms))); [ "$left" -gt 0 ]; do
		read -r -t "$((left / 1000)).$(printf '%03d' $((left % 1000)))" \
			-u "$DONE_FD" token || continue
		[ "$token" != "$1" ] || return 0
	done
	return 1
}

# run_program PROG: run it in the sender namespace with the contract in its
# environment, relaying its output as it comes; then report every case it
# did not and print its result line.
run_program()
{
	local prog=$1 rc start ms relay relay_start cur_v cur_why rest_v rest_why
	local status err
	local f0=$KTAP_CNT_FAIL p0=$KTAP_CNT_PASS s0=$KTAP_CNT_SKIP
	local fifo=$ZC_TMP/output state=$ZC_TMP/state
	local -a cmd=() filter cases

	planned cases "$CUR_TOPO" "$prog"
	if [ -n "${PLAN_ERR[$CUR_TOPO $prog]:-}" ]; then
		program_all "$prog" fail ""
		return
	fi
	harness_filter filter "$CUR_TOPO" "$prog"
	# timeout stays outside the namespace, in the runner's process group
	# (--foreground): killing what runs in the namespace never kills it,
	# and it always exits, with the program's status (124 on timeout).
	cmd=(timeout --foreground -k "$KILL_GRACE" "$TIMEOUT")
	[ -z "$ZC_TX_NS" ] || cmd+=(ip netns exec "$ZC_TX_NS")
	[ -z "$STDBUF" ] || cmd+=(stdbuf -oL)
	cmd+=("$BIN_DIR/$prog" "${filter[@]}" "${HARNESS_ARGS[@]}")

	rm -f "$fifo" "$state" "$state.tail"
	if ! err=$(mkfifo "$fifo" 2>&1); then
		program_all "$prog" fail "cannot run it: ${err:-mkfifo $fifo failed}"
		return
	fi
	ktap_subtest_begin "$prog"
	prog_relay "$state" "$DONE_FD" "$_ZC_SUPERVISOR" <"$fifo" &
	relay=$!
	relay_start=$(proc_start_time "$relay")
	start=$(timestamp_ms)
	"${DEFAULT_SIGNALS[@]}" "${cmd[@]}" >"$fifo" 2>&1 {DONE_FD}>&- &
	PROG_PID=$!
	PROG_START=$(proc_start_time "$PROG_PID")
	# Where the process started finds what to stop on a signal.
	echo "$PROG_PID $PROG_START" >"$ZC_TMP/program"
	! interrupted || proc_kill TERM "$PROG_PID" "$PROG_START"
	# timeout(1) bounds this wait.
	wait "$PROG_PID" 2>/dev/null
	rc=$?
	ms=$(($(timestamp_ms) - start))
	rm -f "$ZC_TMP/program"
	PROG_PID='' PROG_START=''
	# Test processes left behind in their own process groups.
	zc_netns_kill "${TOPO_NS[@]}"
	if ! wait_relay "$relay"; then
		ktap_print_msg "$prog: a leftover process holds its output"
		proc_kill KILL "$relay" "$relay_start"
	fi
	wait "$relay" 2>/dev/null

	if interrupted_too "$rc"; then
		cur_v=skip cur_why="interrupted by SIG$INTERRUPTED"
		rest_v=skip rest_why="not run: interrupted by SIG$INTERRUPTED"
	elif [ "$rc" -eq 124 ] ||
	     { [ "$rc" -eq 137 ] && [ "$ms" -ge $((TIMEOUT * 1000)) ]; }; then
		cur_v=fail cur_why="TIMEOUT: $prog ran for ${TIMEOUT}s"
		rest_v=skip rest_why="not run: $prog timed out after ${TIMEOUT}s"
	elif [ "$rc" -gt 128 ] && [ "$rc" -le 192 ]; then
		cur_v=fail cur_why="$prog killed by SIG$(kill -l "$rc")"
		rest_v=skip rest_why="not run: $prog was killed by SIG$(kill -l "$rc")"
	elif [ "$rc" -ge 125 ] && [ "$rc" -le 127 ]; then
		cur_v=fail cur_why="$prog could not be run (exit $rc)"
		rest_v=fail rest_why=$cur_why
	else
		cur_v=fail cur_why="$prog exited with status $rc before reporting it"
		rest_v=fail rest_why=$cur_why
	fi
	# Every case reported, yet an exit status that disagrees: its last
	# result fails (prog_report_missing).
	status=$rc
	! interrupted || status=''
	prog_report_missing "$state" "$prog" "$status" "$cur_v" "$cur_why" \
		"$rest_v" "$rest_why" "${cases[@]}"
	[ "$PROG_REPORTED" -ge 0 ] ||
		ktap_print_msg "$prog: its output was lost"
	[ "$PROG_XPASS" -eq 0 ] ||
		ktap_print_msg "$prog: $PROG_XPASS XPASS: an expected failure passed, the expectation is stale"
	subtest_result "$prog" "$f0" "$p0" "$s0" "$PROG_FIRST_FAIL" \
		"$PROG_FIRST_SKIP"
	PROG_WHY=${PROG_FIRST_FAIL:-$PROG_FIRST_SKIP}
}

# Print the contract as a diagnostic (trimmed to what is set).
show_contract()
{
	local var line=''

	for var in $ZC_CONTRACT_VARS; do
		[ -n "${!var}" ] && line+=" $var=${!var}"
	done
	ktap_print_msg "${line# }"
}

# all_programs VERDICT WHY: the topology's plan, every case VERDICT.
all_programs()
{
	local prog f0 first=''
	local -a progs

	topo_progs progs "$CUR_TOPO"
	ktap_set_plan "${#progs[@]}"
	for prog in "${progs[@]}"; do
		f0=$KTAP_CNT_FAIL
		program_all "$prog" "$1" "$2"
		[ "$KTAP_CNT_FAIL" -eq "$f0" ] ||
			first=${first:-"$prog: $PROG_WHY"}
	done
	T_WHY=$2
	[ "$1" = fail ] || T_WHY=${first:-$2}
}

# Delete the topology's namespaces, or with -k after a failure keep them
# (their processes are killed all the same).  Never phys: keeping its
# namespaces would keep the host's ports in them.
topology_cleanup()
{
	local failed=$1 ns del=''

	if [ "$KEEP" -eq 1 ] && [ "$failed" -eq 1 ] &&
	   [ "${#TOPO_NS[@]}" -gt 0 ] && [ "$CUR_TOPO" = phys ]; then
		ktap_print_msg "-k: not keeping the namespaces of phys: its ports always go back to the host"
		defer_scope_pop
	elif [ "$KEEP" -eq 1 ] && [ "$failed" -eq 1 ] &&
	   [ "${#TOPO_NS[@]}" -gt 0 ]; then
		zc_netns_kill "${TOPO_NS[@]}"
		defer_scope_discard
		zc_run_keep
		for ns in "${TOPO_NS[@]}"; do
			del+="ip netns del $ns; "
		done
		ktap_print_msg "kept namespaces ${TOPO_NS[*]}; remove with:" \
			"${del}rm $ZC_RUN_DIR/$ZC_RUN_ID"
	else
		defer_scope_pop
	fi
	TOPO_NS=()
}

run_topology()
{
	local topo=$1 rc=0 line why='' prog ns0 err=$ZC_TMP/setup.err
	local f0=$KTAP_CNT_FAIL p0=$KTAP_CNT_PASS s0=$KTAP_CNT_SKIP
	local -a progs

	CUR_TOPO=$topo T_WHY=''
	ktap_subtest_begin "$topo"
	if [ "$(topo_cases "$topo")" -eq 0 ]; then
		ktap_skip_all "no test case selected"
		ktap_subtest_end ok "$topo" "SKIP no test case selected"
		return
	fi
	zc_contract_reset
	ns0=${#NS_LIST[@]}
	defer_scope_push
	if [ -n "$SKIP_ALL" ]; then
		rc=4 why=$SKIP_ALL
	elif [ "$IS_ROOT" -eq 1 ]; then
		ZC_SETUP_NS=0 ZC_SETUP_DEVS=0
		ZC_NS_TAG=$topo "topo_${topo}_setup" 2>"$err"
		rc=$?
		waits_check "$topo"
		TOPO_NS=("${NS_LIST[@]:ns0}")
		while IFS= read -r line; do
			[ -z "$line" ] || ktap_print_msg "setup: $line"
			why=${line:-$why}
		done <"$err"
	else
		"topo_${topo}_env"
	fi

	if interrupted; then
		all_programs skip "not run: interrupted by SIG$INTERRUPTED"
	elif [ "$rc" -eq 4 ]; then
		all_programs skip "$why"
	elif [ "$rc" -ne 0 ]; then
		all_programs fail "setup failed: ${why:-exit status $rc}"
	else
		show_contract
		topo_progs progs "$topo"
		ktap_set_plan "${#progs[@]}"
		for prog in "${progs[@]}"; do
			if interrupted; then
				program_all "$prog" skip \
					"not run: interrupted by SIG$INTERRUPTED"
			else
				run_program "$prog"
			fi
			[ "$KTAP_CNT_FAIL" -eq "$f0" ] ||
				T_WHY=${T_WHY:-"$prog: $PROG_WHY"}
		done
		[ -n "$T_WHY" ] || T_WHY=$PROG_WHY
	fi
	topology_cleanup $((KTAP_CNT_FAIL > f0))
	subtest_result "$topo" "$f0" "$p0" "$s0" "$T_WHY" "$T_WHY"
	CUR_TOPO=''
}

# A topology that was never started: every case not run.
topology_not_run()
{
	local topo=$1 f0=$KTAP_CNT_FAIL p0=$KTAP_CNT_PASS s0=$KTAP_CNT_SKIP
	local why="not run: interrupted by SIG$INTERRUPTED"

	CUR_TOPO=$topo
	ktap_subtest_begin "$topo"
	all_programs skip "$why"
	subtest_result "$topo" "$f0" "$p0" "$s0" "$T_WHY" "$why"
	CUR_TOPO=''
}

# shellcheck disable=SC2317 # the EXIT trap
on_exit()
{
	[ -z "$PROG_PID" ] || proc_kill TERM "$PROG_PID" "$PROG_START"
	zc_netns_kill "${TOPO_NS[@]}"
	defer_scopes_cleanup
}

# Without root, or without a tool, nothing is set up: say why.
check_environment()
{
	local tool

	[ "$(id -u)" -eq 0 ] && IS_ROOT=1
	for tool in timeout ip; do
		[ "$tool" = ip ] && [ "$IS_ROOT" -eq 0 ] && continue
		command -v "$tool" >/dev/null && continue
		case $tool in
		ip) SKIP_ALL="'ip' not found (install iproute2)" ;;
		*) SKIP_ALL="'timeout' not found (install coreutils)" ;;
		esac
		return
	done
	command -v stdbuf >/dev/null && STDBUF=1
}

finish()
{
	local sig

	ktap_print_msg "$KTAP_CNT_XFAIL xfail, $KTAP_CNT_XPASS xpass" \
		"(counted as passed)," \
		"$((($(timestamp_ms) - START_MS) / 1000))s elapsed"
	ktap_print_totals
	interrupted || { ktap_exit_status; exit; }
	sig=$(kill -l "$INTERRUPTED")
	exit $((128 + sig))
}

main()
{
	local i sig

	START_MS=$(timestamp_ms)
	parse_args "$@"
	supervise "$ZC_DIR/${BASH_SOURCE[0]##*/}" "$@"
	trap on_exit EXIT
	# ZC_TMP is the supervisor's: it removes it after this process, which
	# may still be told of a signal through it until then.
	mkfifo "$ZC_TMP/done" && exec {DONE_FD}<>"$ZC_TMP/done" || exit 1
	check_environment
	if [ "$IS_ROOT" -eq 1 ] && [ -z "$SKIP_ALL" ] &&
	   ! zc_run_register "$ZC_TMP"; then
		SKIP_ALL="cannot record this run in /run or ${TMPDIR:-/tmp}"
	fi
	plan_all

	ktap_print_header
	ktap_print_msg "zerocopy selftests, kernel $(uname -r)${ZC_RUN_ID:+, run $ZC_RUN_ID}"
	ktap_print_msg "topologies: ${TOPOS[*]}; programs: ${PROGS[*]:-none};" \
		"timeout ${TIMEOUT}s per program"
	[ -z "$SKIP_ALL" ] || ktap_print_msg "$SKIP_ALL: every topology skips"
	[ "$IS_ROOT" -eq 1 ] ||
		ktap_print_msg "not root: no namespaces; the tests report their skip"
	if interrupted; then
		ktap_set_plan 0
		ktap_print_msg "interrupted by SIG$INTERRUPTED before any test ran"
		finish
	fi
	if [ "$TOTAL_CASES" -eq 0 ]; then
		ktap_set_plan 0
		if [ "${#PROGS[@]}" -eq 0 ]; then
			ktap_print_msg "no test programs in $BIN_DIR: run make first"
		else
			ktap_print_msg "no test case matches the arguments:" \
				"${HARNESS_ARGS[*]}"
		fi
		ktap_print_totals
		exit "$KSFT_FAIL"
	fi
	ktap_set_plan "${#TOPOS[@]}"
	for i in "${!TOPOS[@]}"; do
		if interrupted; then
			topology_not_run "${TOPOS[i]}"
		else
			run_topology "${TOPOS[i]}"
		fi
	done
	! interrupted ||
		ktap_print_msg "interrupted by SIG$INTERRUPTED: the cases not run are SKIPs"
	finish
}

main "$@"
