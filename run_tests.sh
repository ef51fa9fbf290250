#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Zero-copy transmit selftests: build each topology (netns/<topo>.sh), run
# every test program in its sender namespace, and report KTAP on stdout:
# one nested subtest per topology, each program's output nested inside it,
# then "N passed, N failed, N skipped".
#
# Exit status: 0 pass, 1 something failed, 2 bad usage, 4 everything
# skipped (not root), 130/143 interrupted by SIGINT/SIGTERM.
#
# Environment: ZC_BIN (directory of the test programs), ZC_TOPOLOGIES and
# ZC_PROGRAMS (defaults for -t and -T), ZC_TIMEOUT (seconds per program,
# overrides the settings file), KSFT_MACHINE_SLOW=yes (triples timeouts).

ZC_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
# shellcheck source=netns/lib.sh
source "$ZC_DIR/netns/lib.sh"

DEFAULT_TOPOS="lo veth sink forward"

ALL_TOPOS=()		# topologies found in netns/
ALL_PROGS=()		# executables found in BIN_DIR
TOPOS=()		# selected topologies
PROGS=()		# selected programs
HARNESS_ARGS=()
KEEP=0
BIN_DIR=
TIMEOUT=
SKIP_ALL=		# reason every topology skips (a tool is missing)
IS_ROOT=0
STDBUF=			# set: line-buffer the programs' stdout

N_PASS=0 N_FAIL=0 N_SKIP=0 N_XFAIL=0	# leaf results, whole run
T_PASS=0 T_FAIL=0 T_SKIP=0 T_XFAIL=0	# leaf results, current topology
T_REASON=''				# why the topology skipped/failed
START=$SECONDS

# What is running now, for the signal handler.
CUR_TOPO='' CUR_TOPO_N='' CUR_PROG='' CUR_PROG_N=''
PROG_PID='' PARSER_PID=''
TOPO_NETNS=()
IN_CRITICAL=0 PENDING_SIG=''

usage()
{
	cat <<EOF
Usage: $0 [-l] [-t TOPO[,TOPO...]] [-T PROG[,PROG...]] [-k] [-h] [-- ARGS...]

  -l        list topologies and test programs, then exit
  -t TOPO   run only these topologies (default: $DEFAULT_TOPOS)
  -T PROG   run only these test programs (default: all in $BIN_DIR)
  -k        keep the namespaces of a topology where something failed
  -h        this help
  ARGS      passed to every test program (kselftest harness filters,
            e.g. -t TEST or -r FIXTURE.VARIANT.TEST)

Environment: ZC_BIN, ZC_TOPOLOGIES, ZC_PROGRAMS, ZC_TIMEOUT, KSFT_MACHINE_SLOW
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

find_programs()
{
	local f

	if [ -n "${ZC_BIN:-}" ]; then
		BIN_DIR=$ZC_BIN
	elif [ -d "$ZC_DIR/build/tests" ]; then
		BIN_DIR=$ZC_DIR/build/tests
	else
		BIN_DIR=$ZC_DIR/tests
	fi
	for f in "$BIN_DIR"/*; do
		[[ -f $f && -x $f ]] && ALL_PROGS+=("${f##*/}")
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

# Per-program timeout: ZC_TIMEOUT, else timeout= from the settings file
# (kselftest default 45), tripled on a slow machine.
read_timeout()
{
	local t

	if [ -n "${ZC_TIMEOUT:-}" ]; then
		[[ $ZC_TIMEOUT =~ ^[0-9]+$ ]] || usage_error \
			"ZC_TIMEOUT must be a number of seconds, not '$ZC_TIMEOUT'"
		TIMEOUT=$ZC_TIMEOUT
		return
	fi
	t=$(sed -n 's/^timeout=\([0-9]\+\)[[:space:]]*$/\1/p' \
		"$ZC_DIR/settings" 2>/dev/null | tail -n 1)
	TIMEOUT=${t:-45}
	[ "${KSFT_MACHINE_SLOW:-}" = yes ] && TIMEOUT=$((TIMEOUT * 3))
}

list_all()
{
	local t p

	echo "topologies:"
	for t in "${ALL_TOPOS[@]}"; do
		printf '  %-10s %s\n' "$t" "$("topo_${t}_desc" 2>/dev/null)"
	done
	echo "test programs in $BIN_DIR:"
	for p in "${ALL_PROGS[@]}"; do
		echo "  $p"
	done
	[ "${#ALL_PROGS[@]}" -gt 0 ] || echo "  (none: run make first)"
}

parse_args()
{
	local -a argv=("$@")
	local opt t list=0 topos_set=0 progs_set=0
	local topos=${ZC_TOPOLOGIES:-} progs=${ZC_PROGRAMS:-}

	load_topologies
	find_programs
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
	if [ "$list" -eq 1 ]; then
		list_all
		exit 0
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
}

# Count leaf results in the current topology and the whole run.
count()
{
	T_PASS=$((T_PASS + $1)) N_PASS=$((N_PASS + $1))
	T_FAIL=$((T_FAIL + $2)) N_FAIL=$((N_FAIL + $2))
	T_SKIP=$((T_SKIP + $3)) N_SKIP=$((N_SKIP + $3))
	T_XFAIL=$((T_XFAIL + $4)) N_XFAIL=$((N_XFAIL + $4))
}

# Signals that arrive while namespaces are being created or deleted are
# acted upon once that is done, so that no undo is ever half registered.
critical_begin()
{
	IN_CRITICAL=1
}

critical_end()
{
	local sig=$PENDING_SIG

	IN_CRITICAL=0
	PENDING_SIG=
	[ -z "$sig" ] || on_signal "$sig"
}

# relay_output COUNTS NAME: copy a program's output (stdin) to stdout indented
# as a nested KTAP subtest, turning non-KTAP lines into diagnostics, and
# write the counts of its top-level results to COUNTS when it ends.
relay_output()
{
	local counts=$1 name=$2 line pass=0 fail=0 skip=0 xfail=0 xpass=0 results=0
	local plan=-1
	local reason='' dir text
	local re_ktap='^[[:space:]]*(K?TAP version [0-9]|[0-9]+\.\.[0-9]|'
	re_ktap+='(not )?ok( |$)|#)'
	local re_result='^(not )?ok [0-9]+'
	local re_plan='^1\.\.([0-9]+)'
	local re_dir='#[[:space:]]*(SKIP|XFAIL|XPASS)([[:space:]]+(.*))?'

	# A signal for the runner's process group must not cut the relay short:
	# the runner stops the program, then the relay ends at end of file.
	trap '' INT TERM
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line%$'\r'}
		if [[ $line =~ $re_ktap ]]; then
			printf '        %s\n' "$line"
			# Name the nested test, as KTAP's subtest header does.
			[[ -z $name || ! $line =~ ^K?TAP\ version ]] ||
				printf '        # Subtest: %s\n' "$name"
			[[ ! $line =~ ^K?TAP\ version ]] || name=
		elif [ -n "$line" ]; then
			printf '        # %s\n' "$line"
		else
			printf '        #\n'
		fi

		dir='' text=''
		if [[ $line =~ $re_dir ]]; then
			dir=${BASH_REMATCH[1]} text=${BASH_REMATCH[3]}
		fi
		if [[ $line =~ $re_result ]]; then
			results=$((results + 1))
			if [ -n "${BASH_REMATCH[1]}" ]; then
				fail=$((fail + 1))
				continue
			fi
			case $dir in
			SKIP)
				skip=$((skip + 1))
				reason=${reason:-$text}
				;;
			XFAIL) pass=$((pass + 1)) xfail=$((xfail + 1)) ;;
			XPASS) fail=$((fail + 1)) xpass=$((xpass + 1)) ;;
			*) pass=$((pass + 1)) ;;
			esac
		elif [[ $plan -lt 0 && $line =~ $re_plan ]]; then
			plan=${BASH_REMATCH[1]}
			[ "$dir" = SKIP ] && reason=$text
		fi
	done
	printf '%s\n' "$pass $fail $skip $xfail $xpass $results $plan" \
		"$reason" >"$counts"
}

# shellcheck disable=SC2317 # called through zc_busywait
pid_gone()
{
	! kill -0 "$1" 2>/dev/null
}

# Wait (bounded) for relay_output to see the end of the program's output.
drain_output()
{
	[ -n "$PARSER_PID" ] || return
	if ! zc_busywait 5000 pid_gone "$PARSER_PID"; then
		echo "    # $CUR_PROG: a leftover process holds its output"
		kill -KILL "$PARSER_PID" 2>/dev/null
	fi
	wait "$PARSER_PID" 2>/dev/null
	PARSER_PID=
}

# Stop the running program: SIGTERM to its timeout, which passes it on and
# reaps the program, then SIGKILL to everything left in the topology's
# namespaces (the harness runs each test in its own process group).
# stderr would only get bash's notices of jobs killed by a signal.
stop_program()
{
	{
		kill -TERM "$PROG_PID"
		zc_busywait 2000 pid_gone "$PROG_PID"
		zc_netns_kill "${TOPO_NETNS[@]}"
		zc_busywait 3000 pid_gone "$PROG_PID" || kill -KILL "$PROG_PID"
		wait "$PROG_PID"
	} 2>/dev/null
	PROG_PID=
	drain_output
}

# finish_program N NAME RC ELAPSED [WHY]: judge a finished program from its
# exit status and its results, print its result line, count.
finish_program()
{
	local n=$1 name=$2 rc=$3 elapsed=$4 extra=${5:-}
	local pass=0 fail=0 skip=0 xfail=0 xpass=0 results=0 plan=-1 reason=''

	{
		read -r pass fail skip xfail xpass results plan
		IFS= read -r reason
	} <"$ZC_TMP/counts" 2>/dev/null

	if [ -n "$extra" ]; then
		:
	elif [ "$rc" -eq 124 ] ||
	     { [ "$rc" -eq 137 ] && [ "$elapsed" -ge "$TIMEOUT" ]; }; then
		extra="TIMEOUT after ${TIMEOUT}s"
	elif [ "$rc" -gt 128 ] && [ "$rc" -le 192 ]; then
		extra="killed by SIG$(kill -l "$rc")"
	elif [ "$rc" -ge 125 ] && [ "$rc" -le 127 ]; then
		extra="could not be run (exit $rc)"
	elif [ "$rc" -eq 4 ] && [ "$results" -eq 0 ]; then
		skip=1
		reason=${reason:-exit 4 without a reason}
	elif [ "$rc" -eq 1 ] && [ "$fail" -eq 0 ]; then
		extra="exit 1 without a failed test"
	elif [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ] && [ "$rc" -ne 2 ] &&
	     [ "$rc" -ne 4 ]; then
		extra="exit $rc"
	elif [ "$plan" -lt 0 ] && [ "$results" -eq 0 ]; then
		extra="printed no KTAP plan"
	elif [ "$results" -lt "$plan" ]; then
		extra="printed $results of $plan results"
	fi
	if [ -n "$extra" ]; then
		echo "    # $name: $extra"
		fail=$((fail + 1))
	fi
	count "$pass" "$fail" "$skip" "$xfail"

	if [ -z "$extra" ]; then
		extra="exit $rc"
		# The harness exits 0 after an XPASS: an expectation went stale.
		[ "$rc" -eq 0 ] && [ "$xpass" -gt 0 ] && extra="$xpass XPASS"
	fi
	if [ "$fail" -gt 0 ]; then
		echo "    not ok $n $name # $extra"
	elif [ "$pass" -eq 0 ] && [ "$skip" -gt 0 ]; then
		echo "    ok $n $name # SKIP $reason"
		T_REASON=${T_REASON:-$reason}
	elif [ "$pass" -eq 0 ]; then
		echo "    ok $n $name # SKIP no test selected"
	else
		echo "    ok $n $name"
	fi
}

# run_program N NAME: run it in the sender namespace with the contract in
# its environment, relaying its output as it comes.
run_program()
{
	local n=$1 name=$2 rc start proto
	local fifo=$ZC_TMP/output
	local -a cmd=(timeout -k 5 "$TIMEOUT") filter=()

	# Variants for protocols the path does not carry are left out.
	for proto in tcp udp; do
		[[ " $ZC_PROTOS " == *" $proto "* ]] ||
			filter+=(-V "ip4_$proto" -V "ip6_$proto")
	done
	[ -n "$STDBUF" ] && cmd+=(stdbuf -oL)
	cmd+=("$BIN_DIR/$name" "${filter[@]}" "${HARNESS_ARGS[@]}")
	[ -n "$ZC_TX_NS" ] && cmd=(ip netns exec "$ZC_TX_NS" "${cmd[@]}")

	CUR_PROG=$name CUR_PROG_N=$n
	rm -f "$fifo" "$ZC_TMP/counts"
	mkfifo "$fifo" || return 1
	relay_output "$ZC_TMP/counts" "$name" <"$fifo" &
	PARSER_PID=$!
	start=$SECONDS
	"${cmd[@]}" >"$fifo" 2>&1 &
	PROG_PID=$!
	# wait returns at once when a trapped signal arrives.  Its stderr
	# would only get bash's notice of a program killed by a signal.
	wait "$PROG_PID" 2>/dev/null
	rc=$?
	PROG_PID=
	# Test processes left behind in their own process groups.
	zc_netns_kill "${TOPO_NETNS[@]}"
	drain_output
	finish_program "$n" "$name" "$rc" $((SECONDS - start))
	CUR_PROG=
}

topology_result()
{
	local n=$1 topo=$2 why=${3:-}

	if [ -n "$why" ]; then
		echo "not ok $n $topo # $why"
	elif [ "$T_FAIL" -gt 0 ]; then
		echo "not ok $n $topo"
	elif [ "$T_PASS" -eq 0 ] && [ "$T_SKIP" -gt 0 ]; then
		echo "ok $n $topo # SKIP $T_REASON"
	else
		echo "ok $n $topo"
	fi
}

# Delete the topology's namespaces, or with -k after a failure keep them
# (their processes are killed all the same).
topology_cleanup()
{
	local ns del=''

	if [ "$KEEP" -eq 1 ] && [ "$T_FAIL" -gt 0 ] &&
	   [ "${#TOPO_NETNS[@]}" -gt 0 ]; then
		zc_netns_kill "${TOPO_NETNS[@]}"
		defer_scope_discard
		for ns in "${TOPO_NETNS[@]}"; do
			del+="${del:+; }ip netns del $ns"
		done
		echo "# kept namespaces ${TOPO_NETNS[*]}; remove with: $del"
	else
		critical_begin
		defer_scope_pop
		critical_end
	fi
	TOPO_NETNS=()
}

# Print the contract as a diagnostic (trimmed to what is set).
show_contract()
{
	local var line=

	for var in $ZC_CONTRACT_VARS; do
		[ -n "${!var}" ] && line+=" $var=${!var}"
	done
	echo "    #$line"
}

run_topology()
{
	local n=$1 topo=$2 rc=0 line i nsfirst err=$ZC_TMP/setup.err

	T_PASS=0 T_FAIL=0 T_SKIP=0 T_XFAIL=0 T_REASON=
	CUR_TOPO=$topo CUR_TOPO_N=$n
	echo "    KTAP version 1"
	echo "    # Subtest: $topo"
	zc_contract_reset
	nsfirst=${#ZC_NETNS_CREATED[@]}
	defer_scope_push
	if [ -n "$SKIP_ALL" ]; then
		rc=4 T_REASON=$SKIP_ALL
	elif [ "$IS_ROOT" -eq 1 ]; then
		critical_begin
		"topo_${topo}_setup" 2>"$err"
		rc=$?
		TOPO_NETNS=("${ZC_NETNS_CREATED[@]:nsfirst}")
		critical_end
		while IFS= read -r line; do
			[ -n "$line" ] || continue
			echo "    # $topo setup: $line"
			T_REASON=$line
		done <"$err"
	else
		"topo_${topo}_env"
	fi

	case $rc in
	0)
		show_contract
		echo "    1..${#PROGS[@]}"
		for i in "${!PROGS[@]}"; do
			run_program $((i + 1)) "${PROGS[i]}"
		done
		topology_result "$n" "$topo"
		;;
	4)
		echo "    1..${#PROGS[@]}"
		for i in "${!PROGS[@]}"; do
			echo "    ok $((i + 1)) ${PROGS[i]} # SKIP $T_REASON"
			count 0 0 1 0
		done
		topology_result "$n" "$topo"
		;;
	*)
		count 0 1 0 0
		topology_result "$n" "$topo" \
			"setup failed: ${T_REASON:-exit $rc}"
		;;
	esac
	CUR_TOPO=''
	topology_cleanup
}

print_summary()
{
	echo "# $N_XFAIL xfail (counted as passed)," \
	     "$((SECONDS - START))s elapsed"
	echo "$N_PASS passed, $N_FAIL failed, $N_SKIP skipped"
}

exit_status()
{
	if [ "$N_FAIL" -gt 0 ]; then
		echo 1
	elif [ "$N_PASS" -eq 0 ] && [ "$N_SKIP" -gt 0 ]; then
		echo 4
	else
		echo 0
	fi
}

on_signal()
{
	local sig=$1 why

	if [ "$IN_CRITICAL" -eq 1 ] && [ -z "$PENDING_SIG" ]; then
		PENDING_SIG=$sig
		return
	fi
	trap '' INT TERM
	why="interrupted by SIG$sig"
	echo "# $why, stopping"
	if [ -n "$PROG_PID" ]; then
		stop_program
		finish_program "$CUR_PROG_N" "$CUR_PROG" 0 0 "$why"
	fi
	[ -z "$CUR_TOPO" ] || topology_result "$CUR_TOPO_N" "$CUR_TOPO" "$why"
	print_summary
	[ "$sig" = INT ] && exit 130
	exit 143
}

# shellcheck disable=SC2317 # the EXIT trap
on_exit()
{
	trap '' INT TERM
	[ -z "$PROG_PID" ] || kill -KILL "$PROG_PID" 2>/dev/null
	[ -z "$PARSER_PID" ] || kill -KILL "$PARSER_PID" 2>/dev/null
	defer_run_all
}

# Without root, or without ip/timeout, nothing is set up: say why.
check_environment()
{
	local tool

	[ "$(id -u)" -eq 0 ] && IS_ROOT=1
	for tool in timeout ip; do
		[ "$tool" = ip ] && [ "$IS_ROOT" -eq 0 ] && continue
		command -v "$tool" >/dev/null && continue
		case $tool in
		ip) SKIP_ALL="iproute2 missing ('ip' not found)" ;;
		*) SKIP_ALL="coreutils 'timeout' not found" ;;
		esac
		echo "# $SKIP_ALL: every topology skips"
		return
	done
	command -v stdbuf >/dev/null && STDBUF=1
	[ "$IS_ROOT" -eq 1 ] ||
		echo "# not root: no namespaces; the tests report their skip"
}

main()
{
	local i

	parse_args "$@"

	trap on_exit EXIT
	trap 'on_signal INT' INT
	trap 'on_signal TERM' TERM
	ZC_TMP=$(mktemp -d "${TMPDIR:-/tmp}/zc-run.XXXXXX") || exit 1
	defer rm -rf "$ZC_TMP"

	echo "KTAP version 1"
	echo "# zerocopy selftests, kernel $(uname -r)"
	if [ "${#PROGS[@]}" -eq 0 ]; then
		echo "1..0"
		echo "# no test programs in $BIN_DIR: run make first"
		print_summary
		[ "$(id -u)" -eq 0 ] && exit 1
		exit 4
	fi
	echo "# topologies: ${TOPOS[*]}; programs: ${PROGS[*]};" \
	     "timeout ${TIMEOUT}s"
	check_environment
	echo "1..${#TOPOS[@]}"
	for i in "${!TOPOS[@]}"; do
		run_topology $((i + 1)) "${TOPOS[i]}"
	done
	print_summary
	exit "$(exit_status)"
}

main "$@"
