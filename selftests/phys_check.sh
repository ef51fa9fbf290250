#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The phys topology (netns/phys.sh) with REMOTE_TYPE=netns, exercised on
# every make check without touching a host device: a namespace made here
# plays the host, and a veth pair in it stands in for the two cabled ports
# (NETIF=zcA, REMOTE_NETIF=zcB) with addresses, a route and a per-device
# sysctl of their own.  Each row runs run_tests.sh -t phys inside that
# play-host, then compares `ip -d addr`, the routes and the sysctl with
# what they were before: the ports must come back exactly as they were.
#
#   phys_check.sh [ROW...]
#
# Rows: runs (a full run passes, expecting COPIED on the veth stand-in),
# refuses (ports holding addresses, no ZC_PHYS_FORCE: refused, untouched),
# failed_setup (a bad LOCAL_V4 after the move), keep_refused (the same
# with -k: the ports go back all the same), interrupted (SIGINT to the
# runner's process group, as Ctrl-C sends, while the test runs).
# Output is KTAP; exit 0 when every row behaved, 1 if not, 4 not root.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
PATH=$PATH:/usr/sbin:/sbin

# shellcheck source=netns/lib.sh
. "$top/netns/lib.sh"
# shellcheck source=harness/ktap.sh
. "$top/harness/ktap.sh"

trap defer_scopes_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

STOP_BOUND=30		# seconds the runner may take to stop after SIGINT

# Whether nothing of process group $1 is left (through slowwait).
# shellcheck disable=SC2317
group_gone()
{
	! kill -0 -- "-$1" 2>/dev/null
}

# The play-host: two "cabled" ports with state that a move would lose.
make_host()
{
	setup_ns HOST || return
	# No duplicate address detection: addresses are final at once, so
	# that before and after compare without waiting.
	zc_sysctl "$HOST" net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.default.dad_transmits=0 || return
	ip -n "$HOST" link add zcA type veth peer name zcB || return
	ip -n "$HOST" addr add 203.0.113.10/24 dev zcA || return
	ip -n "$HOST" addr add 203.0.113.11/24 dev zcA || return
	ip -n "$HOST" -6 addr add 2001:db8:9::10/64 dev zcA || return
	ip -n "$HOST" addr add 203.0.113.20/24 dev zcB || return
	ip -n "$HOST" link set zcA up && ip -n "$HOST" link set zcB up ||
		return
	ip -n "$HOST" route add 198.18.0.0/15 via 203.0.113.1 dev zcA ||
		return
	zc_sysctl "$HOST" net.ipv4.conf.zcA.rp_filter=2
}

# Addresses exactly as `ip -d addr` shows them; routes as a set (the
# order of two devices' routes to one prefix follows their insertion).
snapshot()
{
	ip -n "$HOST" -d addr
	{
		ip -n "$HOST" route show table all
		ip -n "$HOST" -6 route show table all
	} | sort
	ip netns exec "$HOST" sysctl net.ipv4.conf.zcA.rp_filter
}

# The runner inside the play-host, with the phys variables; two variants
# are enough to send and receive through the ports (the suite's own run
# covers the rest).  RUN_PREFIX: a command it runs under; RUN_OPTS:
# options of run_tests.sh.
RUN_PREFIX=() RUN_OPTS=()
runner()
{
	"${RUN_PREFIX[@]}" env NETIF=zcA REMOTE_TYPE=netns REMOTE_NETIF=zcB \
		ZC_PHYS_HOST_NS="$HOST" "$@" \
		"$top/run_tests.sh" "${RUN_OPTS[@]}" -t phys -T notif_contract -- \
		-v ip4_udp -v ip6_tcp
}

# bounded FILE VAR=VALUE...: the runner under timeout (RUN_BOUND s), its
# output in FILE and in OUT, its status in RC (124: it did not end in
# time).  A file, not a pipe: nothing the runner left behind can hold
# this script.
bounded()
{
	local file=$1
	local -a RUN_PREFIX=(timeout -k 5 "$RUN_BOUND")

	shift
	runner "$@" </dev/null >"$file" 2>&1
	RC=$?
	OUT=$(<"$file")
}

# run_row NAME: print its result; 0 when the row behaved.
run_row()
{
	local name=$1 before after out rc why='' line pid sent=''
	local fifo file

	defer_scope_push
	if ! file=$(mktemp "${TMPDIR:-/tmp}/zc-phys-check.XXXXXX"); then
		defer_scope_pop
		ktap_test_fail "$name" "mktemp failed"
		return 1
	fi
	defer rm -f "$file"
	if ! make_host >"$file" 2>&1; then
		ktap_print_block "$name: the play-host could not be made:" \
			"$(cat "$file")"
		defer_scope_pop
		ktap_test_fail "$name" "the play-host could not be made"
		return 1
	fi
	before=$(snapshot)
	case $name in
	runs)
		bounded "$file" ZC_PHYS_FORCE=yes
		out=$OUT rc=$RC
		[ "$rc" -eq 0 ] || why="exit $rc, expected 0"
		grep -q 'ZC_EXPECT=copied' <<<"$out" ||
			why="${why:-the veth stand-in was not expected to copy}"
		;;
	refuses)
		bounded "$file"
		out=$OUT rc=$RC
		[ "$rc" -eq 1 ] || why="exit $rc, expected 1"
		grep -q 'refusing zcA: it holds addresses the host may use: 203.0.113.10/24' <<<"$out" ||
			why="${why:-no refusal naming zcA and its addresses}"
		;;
	failed_setup)
		bounded "$file" ZC_PHYS_FORCE=yes LOCAL_V4=bogus
		out=$OUT rc=$RC
		[ "$rc" -eq 1 ] || why="exit $rc, expected 1"
		# The address itself refused: the ports had been moved.
		grep -q 'setup failed: .*inet prefix is expected rather than "bogus/24"' <<<"$out" ||
			why="${why:-no setup failure naming the bogus LOCAL_V4 (bogus/24)}"
		;;
	keep_refused)
		RUN_OPTS=(-k)
		bounded "$file" ZC_PHYS_FORCE=yes LOCAL_V4=bogus
		RUN_OPTS=()
		out=$OUT rc=$RC
		[ "$rc" -eq 1 ] || why="exit $rc, expected 1"
		grep -q 'not keeping the namespaces of phys' <<<"$out" ||
			why="${why:--k: no word that phys is not kept}"
		;;
	interrupted)
		# Job control: the runner gets a process group of its own
		# and, unlike a background job of a script, its SIGINT.
		fifo=$(mktemp -u "${TMPDIR:-/tmp}/zc-phys-check.XXXXXX")
		mkfifo "$fifo" && defer rm -f "$fifo"
		set -m
		runner ZC_PHYS_FORCE=yes >"$fifo" 2>&1 &
		pid=$!
		set +m
		out=
		# Ctrl-C once the topology is set up and the tests run.
		while IFS= read -r -t 30 line; do
			out+=$line$'\n'
			if [ -z "$sent" ] && [[ $line == *"ZC_TOPO=phys"* ]]; then
				kill -INT -- "-$pid"
				sent=SIGINT
			fi
		done <"$fifo"
		# Bounded: a lost signal is a failure, not a hang.
		if ! slowwait "$STOP_BOUND" group_gone "$pid"; then
			kill -KILL -- "-$pid" 2>/dev/null
			why="the runner was still running ${STOP_BOUND}s after ${sent:-its last line} (killed)"
		fi
		wait "$pid"
		rc=$?
		[ -z "$sent" ] && why=${why:-"the topology never came up"}
		[ "$rc" -eq 130 ] || why=${why:-"exit $rc, expected 130 (SIGINT)"}
		;;
	esac
	[ "${rc:-}" != 124 ] ||
		why="the runner was still running after ${RUN_BOUND}s, its worst case (run_tests.sh -l)"
	after=$(snapshot)
	if [ -z "$why" ] && [ "$before" != "$after" ]; then
		why="the play-host's ports differ from before:"
		why+=$'\n'$(diff <(echo "$before") <(echo "$after"))
	fi
	defer_scope_pop
	if [ -z "$why" ]; then
		ktap_test_pass "$name"
		return 0
	fi
	ktap_print_block "$name: $why; the runner printed:" "$out"
	ktap_test_fail "$name"
	return 1
}

rows=(runs refuses failed_setup keep_refused interrupted)
[ $# -eq 0 ] || rows=("$@")
ktap_print_header
ktap_set_plan "${#rows[@]}"
if [ "$(id -u)" -ne 0 ]; then
	for ((i = 0; i < ${#rows[@]}; i++)); do
		ktap_test_skip "${rows[i]}" "needs root"
	done
	ktap_finished
fi
# A run's bound: its worst case as run_tests.sh computes it.
RUN_BOUND=$("$top/run_tests.sh" -l -t phys -T notif_contract |
	    sed -n 's/^worst case of a whole run: \([0-9]*\)s.*/\1/p')
RUN_BOUND=${RUN_BOUND:-600}
for ((i = 0; i < ${#rows[@]}; i++)); do
	run_row "${rows[i]}"
done
ktap_finished
