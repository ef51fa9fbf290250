# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers shared by the topologies (netns/<topo>.sh) and run_tests.sh:
# a defer-style undo stack, uniquely named network namespaces, and a
# bounded busy-wait.  This file only defines functions and variables; it
# installs no traps (the script that sources it owns the one EXIT trap and
# calls defer_run_all from it).
#
# Environment contract.  Every topology's setup exports all of these before
# the test programs run (empty when not applicable):
#
#   ZC_TOPO         topology name (lo, veth, sink, forward, hold)
#   ZC_TX_NS        network namespace the test programs run in (the sender)
#   ZC_RX_NS        namespace of the receiver; empty when nothing receives
#                   (lo: the same namespace as ZC_TX_NS)
#   ZC_SRC4 ZC_SRC6 sender's addresses, IPv4 and IPv6
#   ZC_DST4 ZC_DST6 destination addresses, IPv4 and IPv6
#   ZC_DEV          sender's egress device towards ZC_DST4/ZC_DST6
#   ZC_EXPECT       what a zerocopy send on this path must report:
#                   "copied" (SO_EE_CODE_ZEROCOPY_COPIED) or "zerocopy"
#   ZC_PROTOS       protocols the path supports, subset of "udp tcp"
#   ZC_DROP_NS      namespace of the device that drops the packets at the
#   ZC_DROP_DEV     end of the path (sink, forward), empty when a receiver
#                   gets them: its counters prove that they got there
#   ZC_FWD_NS       the forwarder's namespace (forward, hold), else empty
#   ZC_SYNC         "yes" when every send completes before send() returns
#                   (sink: noqueue, and the ifb drops in the sender's
#                   context), else "no"
#   ZC_FIX_VERSION  kernel version with the fix ZC_EXPECT relies on, and
#   ZC_FIX_COMMIT   that fix as 'sha ("subject")'; both empty unless a
#                   known kernel fix matters.  On an older kernel a
#                   "copied" result instead of ZC_EXPECT is that known
#                   limitation (XFAIL), not a failure.
#
# The hold topology (netns/hold.sh) adds, empty elsewhere:
#
#   ZC_SINK_DST4 ZC_SINK_DST6  destinations through a sink (ifb, noqueue)
#                   in ZC_TX_NS: zero-copy, freed inside send()
#   ZC_HOLD_DST4 ZC_HOLD_DST6  destinations whose packets ZC_HOLD_DEV keeps
#   ZC_HOLD_DEV     a hold in ZC_TX_NS: a device that keeps every packet
#                   sent through it until the test releases it (root tbf
#                   1: with a plug at its head, child pfifo at 1:1; see
#                   netns/hold.sh and lib/zc_hold.h)
#   ZC_FWD_HOLD_DEV a hold in ZC_FWD_NS, and the IPv4 TOS / IPv6 traffic
#   ZC_FWD_HOLD_TOS class (e.g. 0x20) of the packets towards ZC_DST4/6
#                   that the forwarder redirects to it: held after they
#                   left the sender's host stack, as TCP needs to
#                   retransmit them
#   ZC_SLOW_TOS     TOS / traffic class whose packets ZC_DEV sends through
#                   a class of 80 kbit/s to ZC_DST4/6 (delivered late)
#
# Without root, run_tests.sh exports the same contract with empty
# namespaces, so that the tests report their own skip.

ZC_CONTRACT_VARS="ZC_TOPO ZC_TX_NS ZC_RX_NS ZC_SRC4 ZC_SRC6 ZC_DST4 ZC_DST6
ZC_DEV ZC_EXPECT ZC_PROTOS ZC_DROP_NS ZC_DROP_DEV ZC_FWD_NS ZC_SYNC
ZC_FIX_VERSION ZC_FIX_COMMIT ZC_SINK_DST4 ZC_SINK_DST6 ZC_HOLD_DST4
ZC_HOLD_DST6 ZC_HOLD_DEV ZC_FWD_HOLD_DEV ZC_FWD_HOLD_TOS ZC_SLOW_TOS"

# Undo commands, oldest first, and the stack depth at each open scope.
ZC_DEFER_CMDS=()
ZC_DEFER_SCOPES=()

# Every namespace zc_netns_add created, in order (deleted ones included).
ZC_NETNS_CREATED=()

# Export every contract variable as empty.
zc_contract_reset()
{
	local var

	for var in $ZC_CONTRACT_VARS; do
		export "$var="
	done
}

# defer CMD [ARG...]: push CMD on the undo stack.  It runs later, in
# reverse order, from defer_scope_pop or defer_run_all; its output is
# discarded and its failure ignored.
defer()
{
	local cmd

	printf -v cmd '%q ' "$@"
	ZC_DEFER_CMDS+=("$cmd")
}

# Run, newest first, every undo above stack depth $1.  Each entry is removed
# only after it ran, so that an undo cut short by a signal runs again from
# defer_run_all.
_zc_defer_unwind()
{
	local depth=$1 i

	for ((i = ${#ZC_DEFER_CMDS[@]} - 1; i >= depth; i--)); do
		{ eval "${ZC_DEFER_CMDS[i]}"; } >/dev/null 2>&1 || :
		unset 'ZC_DEFER_CMDS[i]'
	done
}

defer_scope_push()
{
	ZC_DEFER_SCOPES+=("${#ZC_DEFER_CMDS[@]}")
}

# Run every undo registered since the matching defer_scope_push.
defer_scope_pop()
{
	local n=${#ZC_DEFER_SCOPES[@]} depth

	if [ "$n" -eq 0 ]; then
		echo "defer_scope_pop: no open scope" >&2
		return 1
	fi
	depth=${ZC_DEFER_SCOPES[n - 1]}
	_zc_defer_unwind "$depth"
	unset 'ZC_DEFER_SCOPES[n - 1]'
}

# Close the innermost scope without running its undos: what it created is
# kept (run_tests.sh -k).
defer_scope_discard()
{
	local n=${#ZC_DEFER_SCOPES[@]} depth i

	[ "$n" -gt 0 ] || return 1
	depth=${ZC_DEFER_SCOPES[n - 1]}
	for ((i = ${#ZC_DEFER_CMDS[@]} - 1; i >= depth; i--)); do
		unset 'ZC_DEFER_CMDS[i]'
	done
	unset 'ZC_DEFER_SCOPES[n - 1]'
}

# Run everything left on the stack (from the EXIT trap).
defer_run_all()
{
	_zc_defer_unwind 0
	ZC_DEFER_SCOPES=()
}

# Milliseconds since the epoch (EPOCHREALTIME's radix follows the locale).
zc_now_ms()
{
	local us=${EPOCHREALTIME//[!0-9]/}

	if [ -n "$us" ]; then
		echo $((us / 1000))
	else
		date +%s%3N
	fi
}

# zc_busywait TIMEOUT_MS CMD [ARG...]: run CMD until it succeeds (return 0)
# or TIMEOUT_MS has passed (return 1).  KSFT_MACHINE_SLOW=yes triples the
# deadline.
zc_busywait()
{
	local timeout_ms=$1 deadline
	shift

	[ "${KSFT_MACHINE_SLOW:-}" = yes ] && timeout_ms=$((timeout_ms * 3))
	deadline=$(($(zc_now_ms) + timeout_ms))
	while :; do
		"$@" && return 0
		[ "$(zc_now_ms)" -lt "$deadline" ] || return 1
		sleep 0.02
	done
}

# SIGKILL every process in the given namespaces.
zc_netns_kill()
{
	local ns pids

	for ns; do
		pids=$(ip netns pids "$ns" 2>/dev/null) || continue
		# shellcheck disable=SC2086 # one pid per word
		[ -z "$pids" ] || kill -KILL $pids 2>/dev/null
	done
}

_zc_netns_empty()
{
	[ -z "$(ip netns pids "$1" 2>/dev/null)" ]
}

# Undo of zc_netns_add: kill what runs inside, then delete the namespace.
zc_netns_del()
{
	zc_netns_kill "$1"
	zc_busywait 2000 _zc_netns_empty "$1"
	ip netns del "$1"
}

# zc_netns_add VAR SUFFIX: create namespace zc-SUFFIX-XXXXXX (random,
# unique), bring its lo up and store its name in VAR.  Returns 4 when
# namespaces are unavailable, 1 on other errors.
zc_netns_add()
{
	local name err rc

	for _ in 1 2 3; do
		name=zc-$2-$(mktemp -u XXXXXX)
		err=$(ip netns add "$name" 2>&1)
		rc=$?
		if [ "$rc" -eq 0 ]; then
			defer zc_netns_del "$name"
			ZC_NETNS_CREATED+=("$name")
			printf -v "$1" '%s' "$name"
			ip -n "$name" link set lo up || return 1
			return 0
		fi
		# Killed by a signal: the file may exist and is ours.
		[ "$rc" -gt 128 ] && ip netns del "$name" 2>/dev/null
		# Another run took the name: draw again.
		[[ $err == *"File exists"* ]] || break
	done
	echo "network namespaces unavailable (CONFIG_NET_NS):" \
	     "${err##*: }" >&2
	return 4
}

# zc_link_add NS DEV KIND REASON [ARG...]: ip -n NS link add DEV type KIND
# ARG...  Returns 4 with REASON when the kernel lacks KIND, else 1 with the
# error of ip.
zc_link_add()
{
	local ns=$1 dev=$2 kind=$3 reason=$4 err
	shift 4

	err=$(ip -n "$ns" link add "$dev" type "$kind" "$@" 2>&1) && return 0
	case $err in
	*"Unknown device type"* | *"not supported"*)
		echo "$reason" >&2
		return 4
		;;
	esac
	echo "cannot create $kind device $dev in $ns: $err" >&2
	return 1
}

# zc_addr_add NS DEV ADDR/PLEN...: IPv6 addresses get nodad, so that they
# are usable at once.
zc_addr_add()
{
	local ns=$1 dev=$2 addr
	shift 2

	for addr; do
		if [[ $addr == *:* ]]; then
			ip -n "$ns" -6 addr add "$addr" dev "$dev" nodad
		else
			ip -n "$ns" -4 addr add "$addr" dev "$dev"
		fi || return 1
	done
}

_zc_link_ready()
{
	local out

	out=$(ip -n "$1" link show dev "$2" 2>/dev/null) || return 1
	# Until linkwatch activates the device its qdisc is noop: it drops.
	[[ $out != *"qdisc noop"* ]] || return 1
	[[ $out == *"state UP"* || $out == *"state UNKNOWN"* ]]
}

# zc_link_up NS DEV...: set the devices up and wait until they transmit.
zc_link_up()
{
	local ns=$1 dev
	shift

	for dev; do
		ip -n "$ns" link set dev "$dev" up || return 1
	done
	for dev; do
		if ! zc_busywait 3000 _zc_link_ready "$ns" "$dev"; then
			echo "$dev in $ns not ready after 3s" >&2
			return 1
		fi
	done
}

# zc_sysctl NS KEY=VALUE...: sysctls inside a namespace, never the host's.
zc_sysctl()
{
	local ns=$1
	shift

	ip netns exec "$ns" sysctl -qw "$@"
}
