# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Account for every test case of a kselftest_harness.h program: list the
# cases it plans, relay its KTAP output one level down while counting its
# results, and afterwards report each planned case it never reported.
# Needs harness/ktap.sh.  Defines functions only; installs no traps.
# shellcheck disable=SC2034 # PROG_* are set for the caller

# prog_list_cases ARRAY TIMEOUT CMD...: store in ARRAY the names
# (fixture.variant.test) of the cases CMD plans.  CMD runs without a
# topology in its environment, so every case skips at once with "no
# topology".  Returns 1 with the reason in PROG_LIST_ERR.
prog_list_cases()
{
	local -n _cases=$1
	local timeout=$2 out line plan=-1 rc var
	local re='^(not )?ok [0-9]+ ([^#]*[^# ])( +#.*)?$'
	local -a unset_env=()
	shift 2

	_cases=()
	PROG_LIST_ERR=''
	for var in $ZC_CONTRACT_VARS; do
		unset_env+=(-u "$var")
	done
	out=$(env "${unset_env[@]}" timeout -k 2 "$timeout" "$@" 2>/dev/null)
	rc=$?
	while IFS= read -r line; do
		if [ "$plan" -lt 0 ] && [[ $line =~ ^1\.\.([0-9]+) ]]; then
			plan=${BASH_REMATCH[1]}
		elif [[ $line =~ $re ]]; then
			_cases+=("${BASH_REMATCH[2]}")
		fi
	done <<<"$out"
	if [ "$rc" -eq 124 ]; then
		PROG_LIST_ERR="listing its test cases timed out after ${timeout}s"
	elif [ "$plan" -lt 0 ]; then
		PROG_LIST_ERR="printed no KTAP plan when listing its test cases (exit $rc)"
	elif [ "$plan" -ne "${#_cases[@]}" ]; then
		PROG_LIST_ERR="planned $plan test cases but listed ${#_cases[@]} (exit $rc)"
	else
		return 0
	fi
	return 1
}

# prog_relay STATE DONE_FD PARENT_PID: copy a program's output (stdin) to
# stdout at the current KTAP level, non-KTAP lines as diagnostics.  At end
# of file write what it saw to STATE, then a line to DONE_FD.  STATE holds:
#   pass fail skip xfail xpass results plan last_number
#   the case running when the output ended (RUN line without a result)
#   "case: reason" of the first failure
#   the reason of the first skip
#   the name of every case reported, one per line
# Signals for the runner's process group do not cut it short; it ends at
# end of file.  If stdout is closed it keeps draining the program's output
# and tells PARENT_PID (which stops the run) once with SIGUSR1.
prog_relay()
{
	local state=$1 done_fd=$2 parent=$3 line out name dir text
	local pass=0 fail=0 skip=0 xfail=0 xpass=0 results=0 plan=-1 last=0
	local current='' msg='' first_fail='' first_skip='' gone=0
	local -a names=()
	local re_ktap='^(K?TAP version [0-9]|[0-9]+\.\.[0-9]|(not )?ok( |$)|[[:space:]]*#|[[:space:]]+(K?TAP version|[0-9]+\.\.|(not )?ok ))'
	local re_result='^(not )?ok ([0-9]+) ([^#]*[^# ])( +#[[:space:]]*(.*))?$'
	local re_run='^#[[:space:]]+RUN[[:space:]]+(.+) \.\.\.$'
	local re_log='^# [^ ]+:[0-9]+:[^: ]+:(.+)$'
	local re_term='^# [^ ]+: (Test terminated .*)$'

	trap '' INT TERM HUP PIPE
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line%$'\r'}
		# The runner printed this level's header.
		[[ $line =~ ^K?TAP\ version ]] && continue
		if [[ $line =~ $re_ktap ]]; then
			out=$line
		elif [ -n "$line" ]; then
			out="# $line"
		else
			out="#"
		fi
		if ! printf '%s%s\n' "$KTAP_INDENT" "$out" 2>/dev/null &&
		   [ "$gone" -eq 0 ]; then
			gone=1
			kill -USR1 "$parent" 2>/dev/null
		fi

		if [[ $line =~ $re_run ]]; then
			current=${BASH_REMATCH[1]} msg=''
		elif [[ $line =~ $re_log ]]; then
			msg=${BASH_REMATCH[1]}
		elif [ -z "$msg" ] && [[ $line =~ $re_term ]]; then
			msg=${BASH_REMATCH[1]}
		elif [ "$plan" -lt 0 ] && [[ $line =~ ^1\.\.([0-9]+) ]]; then
			plan=${BASH_REMATCH[1]}
		elif [[ $line =~ $re_result ]]; then
			name=${BASH_REMATCH[3]} text=${BASH_REMATCH[5]}
			results=$((results + 1)) last=${BASH_REMATCH[2]}
			names+=("$name")
			dir=${text%% *}
			if [ "$dir" = "$text" ]; then
				text=''
			else
				text=${text#* }
			fi
			if [ -n "${BASH_REMATCH[1]}" ]; then
				fail=$((fail + 1))
				[ -n "$msg" ] || msg=${BASH_REMATCH[5]:-failed}
				first_fail=${first_fail:-"$name: $msg"}
			else
				case $dir in
				SKIP)
					skip=$((skip + 1))
					first_skip=${first_skip:-$text}
					;;
				XFAIL) pass=$((pass + 1)) xfail=$((xfail + 1)) ;;
				XPASS) pass=$((pass + 1)) xpass=$((xpass + 1)) ;;
				*) pass=$((pass + 1)) ;;
				esac
			fi
			current='' msg=''
		fi
	done
	printf '%s\n' "$pass $fail $skip $xfail $xpass $results $plan $last" \
		"$current" "$first_fail" "$first_skip" "${names[@]}" \
		>"$state" 2>/dev/null
	echo "done" 2>/dev/null 1>&"$done_fd"
}

# prog_report_missing STATE CURRENT_VERDICT CURRENT_WHY REST_VERDICT
# REST_WHY CASE...: after the program ended, print its plan if it printed
# none, and a result for each planned CASE it did not report: the one it
# was running gets CURRENT_VERDICT ("fail" or "skip") and CURRENT_WHY, the
# others REST_VERDICT and REST_WHY.  When no case was running and
# CURRENT_VERDICT is "fail", the first one missing gets it (the program
# died between cases).  Counts what it printed and what the program
# reported.  Sets PROG_REPORTED (results the program printed, -1 when its
# output was lost), PROG_MISSING, PROG_FIRST_FAIL, PROG_FIRST_SKIP,
# PROG_XPASS.
prog_report_missing()
{
	local state=$1 cur_v=$2 cur_why=$3 rest_v=$4 rest_why=$5
	local pass=0 fail=0 skip=0 xfail=0 results=-1 plan=-1 last=0
	local current='' c r v why
	local -A seen=()
	local -a names=()
	shift 5

	PROG_XPASS=0 PROG_FIRST_FAIL='' PROG_FIRST_SKIP='' PROG_MISSING=0
	if [ -r "$state" ]; then
		{
			read -r pass fail skip xfail PROG_XPASS results plan last
			IFS= read -r current
			IFS= read -r PROG_FIRST_FAIL
			IFS= read -r PROG_FIRST_SKIP
			mapfile -t names
		} <"$state"
	fi
	PROG_REPORTED=$results
	ktap_count "$pass" "$fail" "$skip" "$xfail"
	for r in "${names[@]}"; do
		seen[$r]=1
	done
	[ "$plan" -ge 0 ] || [ "$results" -gt 0 ] || ktap_set_plan "$#"
	KTAP_TESTNO=$((last + 1))
	for c; do
		[ -z "${seen[$c]:-}" ] || continue
		v=$rest_v why=$rest_why
		if [ "$c" = "$current" ] ||
		   { [ -z "$current" ] && [ "$cur_v" = fail ]; }; then
			v=$cur_v why=$cur_why current=.
		fi
		PROG_MISSING=$((PROG_MISSING + 1))
		if [ "$v" = fail ]; then
			ktap_test_fail "$c" "$why"
			PROG_FIRST_FAIL=${PROG_FIRST_FAIL:-"$c: $why"}
		else
			ktap_test_skip "$c" "$why"
			PROG_FIRST_SKIP=${PROG_FIRST_SKIP:-$why}
		fi
	done
}
