# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Signals for a bash test runner, handled so that none is lost.
#
# bash 5.2 can fail to run a trap that fires while it expands a command
# substitution ("trap: line 2: unexpected EOF while looking for matching
# `)'"); the signal is then lost, and a runner does little else.  So the
# process started does nothing but wait: supervise runs the script again
# as a child that traps no signal (it ignores them, and dies with its
# parent), and on SIGINT, SIGTERM or SIGHUP the parent writes the
# signal's name in $ZC_TMP/interrupted and stops the running program,
# whose "pid start-time" the child keeps in $ZC_TMP/program.  The child
# asks "interrupted" at safe points.  A child that finds its stdout closed
# (KTAP_STDOUT_GONE, or a relay's write failing, which sends SIGUSR1 to
# $_ZC_SUPERVISOR) stops the same way.  Needs netns/lib.sh (proc_kill,
# busywait).  Defines functions and variables only; _supervise installs
# the traps of the process started.
# shellcheck disable=SC2034 # DEFAULT_SIGNALS is for the caller

INTERRUPTED=''		# name of the signal that stops the run
DEFAULT_SIGNALS=()	# prefix that gives a program the signals back

# supervise SCRIPT ARGS...: in the process started, run SCRIPT ARGS... as
# the child and exit with its status (never returns); in the child, ignore
# the signals and return.
supervise()
{
	if [ -z "${_ZC_SUPERVISOR:-}" ] || [ ! -d "${ZC_TMP:-}" ]; then
		_supervise "$@"
	fi
	export -n _ZC_SUPERVISOR ZC_TMP
	trap '' INT TERM HUP PIPE
	env --default-signal true 2>/dev/null &&
		DEFAULT_SIGNALS=(env --default-signal)
}

# The process started: record a signal, stop the running program.  Called
# from the traps of _supervise, which only waits.
# shellcheck disable=SC2317 # called from the traps
on_signal()
{
	local pid start

	[ -s "$ZC_TMP/interrupted" ] || echo "$1" >"$ZC_TMP/interrupted"
	read -r pid start 2>/dev/null <"$ZC_TMP/program" &&
		proc_kill TERM "$pid" "$start"
}

# _supervise SCRIPT ARGS...: run SCRIPT ARGS... as the child (a background
# job also ignores SIGINT; with setpriv it is SIGKILLed if this process
# is, and the next run then removes what it left) and exit with its
# status.
_supervise()
{
	local script=$1 child sig rc pid_done
	local -a pdeath=()

	shift
	ZC_TMP=$(mktemp -d "${TMPDIR:-/tmp}/zc-run.XXXXXX") || exit 1
	export ZC_TMP _ZC_SUPERVISOR=$$
	for sig in INT TERM HUP; do
		# shellcheck disable=SC2064 # expand now
		trap "on_signal $sig" "$sig"
	done
	# The child's relay sends SIGUSR1 when stdout went away.
	trap "on_signal PIPE" USR1
	setpriv --pdeathsig KILL true 2>/dev/null &&
		pdeath=(setpriv --pdeathsig KILL)
	"${pdeath[@]}" "$BASH" "$script" "$@" &
	child=$!
	while :; do
		wait -p pid_done -n "$child" 2>/dev/null
		rc=$?
		[ -z "$pid_done" ] || break
		# Reaped while a trap ran: its status is lost.
		[ "$rc" -ne 127 ] || { rc=255; break; }
	done
	rm -rf "$ZC_TMP"
	exit "$rc"
}

# interrupted: whether the run was interrupted (sets INTERRUPTED): by a
# signal to the process started (see the top of this file), or because
# stdout went away.
interrupted()
{
	if [ -z "$INTERRUPTED" ]; then
		if [ -n "$KTAP_STDOUT_GONE" ]; then
			INTERRUPTED=PIPE
		elif [ -s "$ZC_TMP/interrupted" ]; then
			read -r INTERRUPTED <"$ZC_TMP/interrupted"
		fi
	fi
	[ -n "$INTERRUPTED" ]
}

# A program dead of SIGINT, SIGTERM or SIGHUP was likely stopped by the
# same signal as the run (Ctrl-C reaches the whole process group): wait
# (bounded) for the process started to say so.
interrupted_too()
{
	case $1 in
	129 | 130 | 143) busywait 1000 test -s "$ZC_TMP/interrupted" ;;
	esac
	interrupted
}
