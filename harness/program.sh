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
# topology".  Returns 1 with the reason in PROG_LIST_ERR, and the last
# line CMD wrote on stderr (kept in $ZC_TMP/list.err when ZC_TMP is set).
prog_list_cases()
{
	local -n _cases=$1
	local timeout=$2 out line plan=-1 rc var err=/dev/null last=''
	local re='^(not )?ok [0-9]+ ([^#]*[^# ])( +#.*)?$'
	local -a unset_env=()
	shift 2

	_cases=()
	PROG_LIST_ERR=''
	for var in $ZC_CONTRACT_VARS; do
		unset_env+=(-u "$var")
	done
	[ -z "${ZC_TMP:-}" ] || err=$ZC_TMP/list.err
	out=$(env "${unset_env[@]}" timeout -k 2 "$timeout" "$@" 2>"$err")
	rc=$?
	[ "$err" = /dev/null ] || last=$(tail -n 1 "$err")
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
	PROG_LIST_ERR+=${last:+": $last"}
	return 1
}

# _relay_print LINE...: the lines at the current KTAP level; the first
# failed write tells the relay's parent (prog_relay's variables).
_relay_print()
{
	local l

	for l; do
		printf '%s%s\n' "$KTAP_INDENT" "$l" 2>/dev/null && continue
		[ "$gone" -eq 0 ] || continue
		gone=1
		kill -USR1 "$parent" 2>/dev/null
	done
}

# prog_relay STATE DONE_FD PARENT_PID: copy a program's output (stdin) to
# stdout at the current KTAP level, non-KTAP lines as diagnostics.  Its
# last result line, and what follows it, are held back until the next
# case starts: at end of file they go to STATE.tail, for
# prog_report_missing to print once the program's exit status is known.
# At end of file write what it saw to STATE, then its pid ($BASHPID) as a
# line to DONE_FD.  STATE holds:
#   pass fail skip xfail xpass results plan last_number
#   the case running when the output ended (RUN line without a result)
#   "case: reason" of the first failure
#   the reason of the first skip
#   the name of every case reported, one per line
# STATE.tail holds the kind of the last result (pass, fail, skip, xfail,
# xpass; none: a plan of 0 is held back), then the lines held back.  Signals for the runner's process
# group do not cut it short; it ends at end of file.  If stdout is closed
# it keeps draining the program's output and tells PARENT_PID (which
# stops the run) once with SIGUSR1.
prog_relay()
{
	local state=$1 done_fd=$2 parent=$3 line out name dir text kind=''
	local pass=0 fail=0 skip=0 xfail=0 xpass=0 results=0 plan=-1 last=0
	local current='' msg='' first_fail='' first_skip='' gone=0
	local -a names=() held=()
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
		# The next case starts: what was held back goes out.
		if [[ $line =~ $re_run || $line =~ $re_result ]]; then
			_relay_print "${held[@]}"
			held=()
		fi
		if [ "${#held[@]}" -gt 0 ]; then
			held+=("$out")
		elif ! [[ $line =~ $re_result ]] &&
		     ! { [ "$plan" -lt 0 ] && [[ $line =~ ^1\.\.0( |$) ]]; }; then
			_relay_print "$out"
		fi

		if [[ $line =~ $re_run ]]; then
			current=${BASH_REMATCH[1]} msg=''
		elif [[ $line =~ $re_log ]]; then
			msg=${BASH_REMATCH[1]}
		elif [ -z "$msg" ] && [[ $line =~ $re_term ]]; then
			msg=${BASH_REMATCH[1]}
		elif [ "$plan" -lt 0 ] && [[ $line =~ ^1\.\.([0-9]+) ]]; then
			plan=${BASH_REMATCH[1]}
			# Nothing planned: the plan is held back too.
			[ "$plan" -ne 0 ] || held=("$out") kind=none
		elif [[ $line =~ $re_result ]]; then
			held=("$out")
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
				kind=fail
				fail=$((fail + 1))
				[ -n "$msg" ] || msg=${BASH_REMATCH[5]:-failed}
				first_fail=${first_fail:-"$name: $msg"}
			else
				case $dir in
				SKIP)
					kind=skip
					skip=$((skip + 1))
					first_skip=${first_skip:-$text}
					;;
				XFAIL)
					kind=xfail
					pass=$((pass + 1)) xfail=$((xfail + 1))
					;;
				XPASS)
					kind=xpass
					pass=$((pass + 1)) xpass=$((xpass + 1))
					;;
				*) kind=pass pass=$((pass + 1)) ;;
				esac
			fi
			current='' msg=''
		fi
	done
	if [ "${#held[@]}" -gt 0 ]; then
		printf '%s\n' "$kind" "${held[@]}"
	fi >"$state.tail" 2>/dev/null
	printf '%s\n' "$pass $fail $skip $xfail $xpass $results $plan $last" \
		"$current" "$first_fail" "$first_skip" "${names[@]}" \
		>"$state" 2>/dev/null
	echo "$BASHPID" 2>/dev/null 1>&"$done_fd"
}

# prog_report_missing STATE PROG STATUS CURRENT_VERDICT CURRENT_WHY
# REST_VERDICT REST_WHY CASE...: after the program PROG ended with exit
# STATUS (empty: not to be judged, the run was interrupted), print what
# the relay held back, its plan if it printed none, and a result for each
# planned CASE it did not report: the one it was running gets
# CURRENT_VERDICT ("fail" or "skip") and CURRENT_WHY, the others
# REST_VERDICT and REST_WHY.  When no case was running and
# CURRENT_VERDICT is "fail", the first one missing gets it (the program
# died between cases).
#
# A program that reported every CASE must exit 0, 1 (a failure) or 4: if
# STATUS is another, or 1 with no failure, its last result line (held
# back) is printed as a failure: "not ok N CASE # reported PASS, then PROG
# exited with status S, not its results' status" (a failure stays as
# it is, the status in a diagnostic; a program that planned nothing gets
# a plan of 1 and a result "PROG: exit status").  The plan it printed stays right, and
# the totals count the result lines.
#
# Counts what it printed and what the program reported.  Sets
# PROG_REPORTED (results the program printed, -1 when its output was
# lost), PROG_MISSING, PROG_FIRST_FAIL, PROG_FIRST_SKIP, PROG_XPASS, and
# PROG_STATUS_WHY (why STATUS disagrees with the results, else empty).
prog_report_missing()
{
	local state=$1 prog=$2 status=$3 cur_v=$4 cur_why=$5 rest_v=$6
	local rest_why=$7 pass=0 fail=0 skip=0 xfail=0 results=-1 plan=-1
	local last=0 current='' c r v why kind='' line leaf=0
	local re='^(not )?ok ([0-9]+) ([^#]*[^# ])( +#.*)?$'
	local -A seen=()
	local -a names=() tail=() missing=()
	shift 7

	PROG_XPASS=0 PROG_FIRST_FAIL='' PROG_FIRST_SKIP='' PROG_MISSING=0
	PROG_STATUS_WHY=''
	if [ -r "$state" ]; then
		{
			read -r pass fail skip xfail PROG_XPASS results plan last
			IFS= read -r current
			IFS= read -r PROG_FIRST_FAIL
			IFS= read -r PROG_FIRST_SKIP
			mapfile -t names
		} <"$state"
	fi
	if [ -s "$state.tail" ]; then
		{
			IFS= read -r kind
			mapfile -t tail
		} <"$state.tail"
	fi
	PROG_REPORTED=$results
	for r in "${names[@]}"; do
		seen[$r]=1
	done
	for c; do
		[ -n "${seen[$c]:-}" ] || missing+=("$c")
	done
	PROG_MISSING=${#missing[@]}
	if [ -n "$status" ] && [ "$PROG_MISSING" -eq 0 ] &&
	   { [ "$status" -ne 0 ] && [ "$status" -ne 1 ] && [ "$status" -ne 4 ] ||
	     { [ "$status" -eq 1 ] && [ "$fail" -eq 0 ]; }; }; then
		PROG_STATUS_WHY="$prog exited with status $status, not its results' status"
		if [ "$kind" = none ] || [ -z "$kind" ]; then
			# Nothing planned: a result of its own.
			leaf=1
			[ "$kind" != none ] || tail[0]="1..1"
		elif [ "$kind" != fail ] && [[ ${tail[0]} =~ $re ]]; then
			why="reported ${kind^^}, then $PROG_STATUS_WHY"
			tail[0]="not ok ${BASH_REMATCH[2]} ${BASH_REMATCH[3]} # $why"
			PROG_FIRST_FAIL="${BASH_REMATCH[3]}: $why"
			fail=$((fail + 1))
			case $kind in
			pass) pass=$((pass - 1)) ;;
			skip) skip=$((skip - 1)) ;;
			xfail) pass=$((pass - 1)) xfail=$((xfail - 1)) ;;
			xpass) pass=$((pass - 1)) PROG_XPASS=$((PROG_XPASS - 1)) ;;
			esac
		fi
	fi
	ktap_count "$pass" "$fail" "$skip" "$xfail" "$PROG_XPASS"
	for line in "${tail[@]}"; do
		ktap_line "$line"
	done
	[ "$plan" -ge 0 ] || [ "$results" -gt 0 ] ||
		ktap_set_plan $(($# + leaf))
	KTAP_TESTNO=$((last + 1))
	if [ "$leaf" -eq 1 ]; then
		ktap_test_fail "$prog: exit status" "$PROG_STATUS_WHY"
		PROG_FIRST_FAIL=$PROG_STATUS_WHY
	elif [ -n "$PROG_STATUS_WHY" ] && [ "$kind" = fail ]; then
		ktap_print_msg "$PROG_STATUS_WHY"
	fi
	for c in "${missing[@]}"; do
		v=$rest_v why=$rest_why
		if [ "$c" = "$current" ] ||
		   { [ -z "$current" ] && [ "$cur_v" = fail ]; }; then
			v=$cur_v why=$cur_why current=.
		fi
		if [ "$v" = fail ]; then
			ktap_test_fail "$c" "$why"
			PROG_FIRST_FAIL=${PROG_FIRST_FAIL:-"$c: $why"}
		else
			ktap_test_skip "$c" "$why"
			PROG_FIRST_SKIP=${PROG_FIRST_SKIP:-$why}
		fi
	done
}
