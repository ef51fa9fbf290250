#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Flakiness gate (make stress): run the whole suite N times in each CPU
# placement and print, for every test case that failed at least once,
# how often it failed in each placement:
#   free     no constraint, all CPUs
#   pinned   the suite and everything it starts on CPU 0 (taskset)
#   burners  two CPU-burning busy loops beside it (killed afterwards)
#   slow     KSFT_MACHINE_SLOW=yes
# Works with whatever test programs exist: it reads their results from
# the KTAP output (topology / program / case).  The output of every
# failed run is kept in $ZC_BUILD/stress/.  Exits 1 on any failure.
#
#   stress.sh [N]     (root; default 50 runs per placement)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
runner=$top/run_tests.sh
logs=${ZC_BUILD:-$top/build}/stress
n=${1:-50}
PATH=$PATH:/usr/sbin:/sbin

# shellcheck source=netns/lib.sh
source "$top/netns/lib.sh"

PLACEMENTS=(free pinned burners slow)
declare -A FAILS=()	# "case|placement" -> failures
declare -A CASES=()	# case -> 1

# The failed test cases of a run's KTAP (stdin), one "topo / prog / case"
# per line; a failure no case carries is named after its level.
failed_cases()
{
	awk '
	{
		match($0, /^ */)
		lvl = RLENGTH / 4
		line = substr($0, RLENGTH + 1)
	}
	line ~ /^# Subtest: / {
		name[lvl] = substr(line, 12)
		fails[lvl] = 0
	}
	line ~ /^not ok [0-9]+ / {
		sub(/^not ok [0-9]+ /, "", line)
		sub(/ #.*/, "", line)
		if (lvl == 2)
			print name[1] " / " name[2] " / " line
		else if (lvl == 1 && !fails[2])
			print name[1] " / " line " / (program)"
		else if (lvl == 0 && !fails[1])
			print line " / (topology)"
		fails[lvl]++
	}'
}

# burn PID START: a busy loop, until killed or until PID (this script) is
# gone, even by SIGKILL.
burn()
{
	local i

	while :; do
		for ((i = 0; i < 100000; i++)); do
			:
		done
		[ "$(proc_start_time "$1")" = "$2" ] || exit 0
	done
}

stop_burner()
{
	proc_kill KILL "$1" "$2"
	wait "$1" 2>/dev/null
}

# run_placement NAME: N runs of the suite in that placement.
run_placement()
{
	local place=$1 i rc c out start
	local -a cmd=("$runner") envs=()

	case $place in
	pinned) cmd=(taskset -c 0 "$runner") ;;
	slow) envs=(KSFT_MACHINE_SLOW=yes) ;;
	burners)
		defer_scope_push
		for i in 1 2; do
			burn "$$" "$(proc_start_time $$)" &
			defer stop_burner "$!" "$(proc_start_time "$!")"
		done
		;;
	esac
	start=$(timestamp_ms)
	for ((i = 1; i <= n; i++)); do
		out=$logs/$place-$i.out
		env "${envs[@]}" "${cmd[@]}" >"$out" 2>&1
		rc=$?
		[ "$rc" -lt 128 ] || exit "$rc"	# interrupted
		mapfile -t failed < <(failed_cases <"$out")
		if [ "$rc" -ne 0 ] && [ "${#failed[@]}" -eq 0 ]; then
			failed=("(run) / exit status $rc")
		fi
		for c in "${failed[@]}"; do
			CASES[$c]=1
			FAILS[$c|$place]=$((${FAILS[$c|$place]:-0} + 1))
		done
		[ "$rc" -ne 0 ] || rm -f "$out"
		printf '\r# %-8s %d/%d runs' "$place" "$i" "$n" >&2
	done
	printf '\r# %-8s %d runs in %ds\n' "$place" "$n" \
		$((($(timestamp_ms) - start) / 1000)) >&2
	[ "$place" != burners ] || defer_scope_pop
}

print_table()
{
	local c p line

	printf '%-64s' "topology / program / case"
	printf ' %8s' "${PLACEMENTS[@]}"
	echo
	TOTAL=0
	for c in "${!CASES[@]}"; do
		for p in "${PLACEMENTS[@]}"; do
			TOTAL=$((TOTAL + ${FAILS[$c|$p]:-0}))
		done
	done
	for c in "${!CASES[@]}"; do
		line=$(printf '%-64s' "$c")
		for p in "${PLACEMENTS[@]}"; do
			line+=$(printf ' %8s' "${FAILS[$c|$p]:-0}")
		done
		echo "$line"
	done | sort
	[ "${#CASES[@]}" -gt 0 ] || echo "(no test case failed)"
}

# shellcheck disable=SC2317 # the EXIT trap
cleanup()
{
	defer_scopes_cleanup
}

main()
{
	local p start

	if [ "$(id -u)" -ne 0 ]; then
		echo "# stress: SKIP needs root"
		exit 4
	fi
	[[ $n =~ ^[1-9][0-9]*$ ]] || {
		echo "stress.sh: N must be a positive number, not '$n'" >&2
		exit 2
	}
	command -v taskset >/dev/null || {
		echo "# stress: taskset not found (install util-linux)" >&2
		exit 1
	}
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	mkdir -p "$logs" && rm -f "$logs"/*.out
	start=$(timestamp_ms)
	for p in "${PLACEMENTS[@]}"; do
		run_placement "$p"
	done
	echo "# $n runs per placement, $((n * ${#PLACEMENTS[@]})) in all," \
	     "wall time $((($(timestamp_ms) - start) / 1000))s," \
	     "$(nproc) CPUs, kernel $(uname -r)"
	print_table
	if [ "$TOTAL" -gt 0 ]; then
		echo "# stress: $TOTAL failures; the failed runs' output is in $logs/"
		exit 1
	fi
	echo "# stress: no failure"
}

main "$@"
