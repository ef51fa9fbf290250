# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers shared by the topologies (netns/<topo>.sh), run_tests.sh and the
# self-tests.  The names and interfaces are those of the kernel's
# tools/testing/selftests/net/lib.sh (setup_ns, cleanup_ns, cleanup_all_ns,
# busywait, slowwait) and net/lib/sh/defer.sh (defer, defer_prio,
# defer_scope_push, defer_scope_pop, defer_scopes_cleanup, in_defer_scope),
# so that a kernel developer recognises them; the code is this project's.
#
# This file only defines functions and variables.  It installs no traps:
# the script that sources it owns the one EXIT trap and calls
# defer_scopes_cleanup from it.
#
# Environment contract.  Every topology's env function exports all of these
# (empty when not applicable) before the test programs run:
#
#   ZC_TOPO         topology name (lo, veth, sink, forward, veth_tbf, hold, phys)
#   ZC_TX_NS        network namespace the test programs run in (the sender)
#   ZC_RX_NS        namespace of the receiver; empty when nothing receives
#                   (lo: the same namespace as ZC_TX_NS)
#   ZC_FWD_NS       namespace of the forwarder (forward, hold); else empty
#   ZC_DROP_NS      namespace of the device that drops the packets: the tx
#   ZC_DROP_DEV     namespace and ifb0 for sink, the forwarder's namespace
#                   and ifb0 for forward; both empty for lo and veth, where
#                   a receiver gets them.  Its counters prove that the
#                   packets got there.
#   ZC_SYNC         "yes" when every send completes before send() returns
#                   (sink: a noqueue ifb drops in the sender's context);
#                   else "no"
#   ZC_SRC4 ZC_SRC6 sender's addresses, IPv4 and IPv6
#   ZC_DST4 ZC_DST6 destination addresses, IPv4 and IPv6 (empty when
#                   ZC_PROTOS is: a link without IP)
#   ZC_DEV          sender's egress device towards ZC_DST4/ZC_DST6
#   ZC_PEER_DEV     the other end of ZC_DEV's link, in ZC_RX_NS (veth1),
#                   where a receiver of link-layer frames binds; empty
#                   when the link has no such end
#   ZC_EXPECT       what a zerocopy send on this path must report:
#                   "copied" (SO_EE_CODE_ZEROCOPY_COPIED) or "zerocopy"
#   ZC_PROTOS       protocols the path supports, subset of "udp tcp"
#                   (empty: no IP on the path, link-layer tests only)
#   ZC_FIX_VERSION  kernel version with the fix ZC_EXPECT relies on, and
#   ZC_FIX_COMMIT   that fix as 'sha ("subject")'; both empty unless a
#                   known kernel fix matters.  On an older kernel a
#                   "copied" result instead of ZC_EXPECT is that known
#                   limitation (XFAIL), not a failure.
#   ZC_TBF_RATE     a tbf qdisc shapes ZC_DEV to this rate (bit/s), with
#   ZC_TBF_BURST    this bucket (bytes) and a pfifo child that holds
#   ZC_TBF_LIMIT    this many packets and drops the next; all three empty
#                   when ZC_DEV has no shaper
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
#   ZC_HOLD_PLUG_SIZE  how every hold is made, for lib/zc_hold.c to
#   ZC_HOLD_RATE    make it again: the plug datagrams' size (bytes, sent
#   ZC_HOLD_BURST   to ZC_HOLD_DST4), the root tbf's rate (bit/s) and
#   ZC_HOLD_LIMIT   bucket (bytes), the child pfifo's limit (packets)
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
#
# Stale namespaces.  Every namespace setup_ns creates is named
# zc-<run id>-<name>-XXXXXX, and the run that owns <run id> is recorded in
# $ZC_RUN_DIR/<run id> (its pid and start time).  A run removes, when it
# starts, the namespaces of runs that no longer exist (SIGKILLed), never
# those of a live run.

ZC_CONTRACT_VARS="ZC_TOPO ZC_TX_NS ZC_RX_NS ZC_FWD_NS ZC_DROP_NS ZC_DROP_DEV
ZC_SYNC ZC_SRC4 ZC_SRC6 ZC_DST4 ZC_DST6 ZC_DEV ZC_PEER_DEV ZC_EXPECT ZC_PROTOS
ZC_FIX_VERSION ZC_FIX_COMMIT ZC_TBF_RATE ZC_TBF_BURST ZC_TBF_LIMIT
ZC_SINK_DST4 ZC_SINK_DST6 ZC_HOLD_DST4 ZC_HOLD_DST6 ZC_HOLD_DEV
ZC_HOLD_PLUG_SIZE ZC_HOLD_RATE ZC_HOLD_BURST ZC_HOLD_LIMIT
ZC_FWD_HOLD_DEV ZC_FWD_HOLD_TOS ZC_SLOW_TOS"

# kselftest exit codes, as net/lib.sh names them.
# shellcheck disable=SC2034 # for the topologies
ksft_pass=0 ksft_fail=1 ksft_skip=4

: "${BUSYWAIT_TIMEOUT:=2000}"	# ms, cleanup_ns's wait for a namespace
ZC_LINK_WAIT_MS=3000	# zc_link_up's wait for each device
# What a topology's setup made and waited for: namespaces (setup_ns) and
# devices (zc_link_up), which run_tests.sh's worst case counts.
ZC_SETUP_NS=0 ZC_SETUP_DEVS=0

NS_LIST=()		# namespaces setup_ns created and not yet removed
ZC_RUN_ID=''		# this run's id, set by zc_run_register
ZC_RUN_DIR=''		# where runs record their owner
ZC_RUN_KEPT=''		# set when the run keeps namespaces (zc_run_keep)

# Export every contract variable as empty.
zc_contract_reset()
{
	local var

	for var in $ZC_CONTRACT_VARS; do
		export "$var="
	done
}

# ---- defer: an undo stack in nested scopes -------------------------------
#
# defer CMD [ARG...] registers CMD in the innermost scope; defer_prio
# registers it in the scope's priority track, which runs first.
# defer_scope_pop runs the scope's commands newest first, then closes it.
# Commands run with their output discarded and their status ignored.  An
# entry is dropped only after it ran, so that an undo cut short runs again
# from defer_scopes_cleanup.

_DEFER_CMDS=()		# "track:command", oldest first
_DEFER_SCOPES=()	# index into _DEFER_CMDS where each open scope starts

_defer_add()
{
	local track=$1 cmd
	shift

	printf -v cmd '%q ' "$@"
	_DEFER_CMDS+=("$track:$cmd")
}

defer()
{
	_defer_add d "$@"
}

defer_prio()
{
	_defer_add p "$@"
}

# Register CMD in the outermost scope, below everything else: it runs last.
_defer_outermost()
{
	local cmd i

	printf -v cmd '%q ' "$@"
	_DEFER_CMDS=("d:$cmd" "${_DEFER_CMDS[@]}")
	for i in "${!_DEFER_SCOPES[@]}"; do
		_DEFER_SCOPES[i]=$((_DEFER_SCOPES[i] + 1))
	done
}

defer_scope_push()
{
	_DEFER_SCOPES+=("${#_DEFER_CMDS[@]}")
}

# _defer_run_track FIRST TRACK: run, newest first, the TRACK entries at
# index FIRST or above.
_defer_run_track()
{
	local first=$1 track=$2 i
	local -a idx=("${!_DEFER_CMDS[@]}")

	for ((i = ${#idx[@]} - 1; i >= 0; i--)); do
		[ "${idx[i]}" -ge "$first" ] || break
		[ "${_DEFER_CMDS[idx[i]]%%:*}" = "$track" ] || continue
		{ eval "${_DEFER_CMDS[idx[i]]#*:}"; } >/dev/null 2>&1 || :
		unset '_DEFER_CMDS[idx[i]]'
	done
}

defer_scope_pop()
{
	local n=${#_DEFER_SCOPES[@]} first=0

	[ "$n" -eq 0 ] || first=${_DEFER_SCOPES[n - 1]}
	_defer_run_track "$first" p
	_defer_run_track "$first" d
	_DEFER_CMDS=("${_DEFER_CMDS[@]}")
	[ "$n" -eq 0 ] || unset '_DEFER_SCOPES[n - 1]'
}

# Close the innermost scope without running it: what it created is kept
# (run_tests.sh -k).
defer_scope_discard()
{
	local n=${#_DEFER_SCOPES[@]}

	[ "$n" -gt 0 ] || return 1
	_DEFER_CMDS=("${_DEFER_CMDS[@]:0:_DEFER_SCOPES[n - 1]}")
	unset '_DEFER_SCOPES[n - 1]'
}

# Run every open scope, innermost first, and the outermost one (from the
# script's EXIT trap).
defer_scopes_cleanup()
{
	while [ "${#_DEFER_SCOPES[@]}" -gt 0 ]; do
		defer_scope_pop
	done
	defer_scope_pop
}

# in_defer_scope CMD [ARG...]: run CMD in a scope of its own.
in_defer_scope()
{
	local ret

	defer_scope_push
	"$@"
	ret=$?
	defer_scope_pop
	return "$ret"
}

# ---- bounded waits -------------------------------------------------------

# Milliseconds on a monotonic clock (/proc/uptime is CLOCK_BOOTTIME: it
# never jumps with the wall clock).
timestamp_ms()
{
	local IFS=$' \t\n' up

	read -r up _ </proc/uptime || return 1
	up=${up/./}
	echo $((10#$up * 10))
}

# zc_settings_timeout DIR: kselftest's bound for the whole suite, the
# timeout= of DIR/settings (the last one, as its runner reads it); prints
# nothing when there is none.
zc_settings_timeout()
{
	sed -n 's/^timeout=\([0-9]\+\)[[:space:]]*$/\1/p' "$1/settings" \
		2>/dev/null | tail -n 1
}

# _zc_wait_ms MS: the deadline loopy_wait really gives MS (tripled by
# KSFT_MACHINE_SLOW=yes).
_zc_wait_ms()
{
	if [ "${KSFT_MACHINE_SLOW:-}" = yes ]; then
		echo $(($1 * 3))
	else
		echo "$1"
	fi
}

# loopy_wait PAUSE_CMD TIMEOUT_MS CMD [ARG...]: run CMD until it succeeds
# (return 0, with its output) or TIMEOUT_MS has passed (return 1).
# KSFT_MACHINE_SLOW=yes triples the deadline.
loopy_wait()
{
	local pause=$1 timeout_ms=$2 start out
	shift 2

	timeout_ms=$(_zc_wait_ms "$timeout_ms")
	start=$(timestamp_ms) || return 1
	while :; do
		if out=$("$@"); then
			printf '%s' "$out"
			return 0
		fi
		if (($(timestamp_ms) - start > timeout_ms)); then
			printf '%s' "$out"
			return 1
		fi
		$pause
	done
}

# busywait TIMEOUT_MS CMD [ARG...]: poll CMD without pausing.
busywait()
{
	local timeout_ms=$1
	shift

	loopy_wait : "$timeout_ms" "$@"
}

# slowwait TIMEOUT_S CMD [ARG...]: poll CMD every 0.1 s, for conditions
# that take seconds.
slowwait()
{
	local timeout_s=$1
	shift

	loopy_wait "sleep 0.1" "$((timeout_s * 1000))" "$@"
}

# ---- runs and their namespaces -------------------------------------------

# proc_start_time PID: the start time of a live process (field 22 of
# /proc/PID/stat, after the command name, which may hold spaces); fails
# for a process that is gone or a zombie.
proc_start_time()
{
	# A trap can run this inside "IFS= read ...", whose IFS it sees.
	local IFS=$' \t\n' stat
	local -a f

	read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
	read -ra f <<<"${stat##*) }"
	[[ ${f[0]} != [ZX] ]] || return 1
	echo "${f[19]}"
}

# proc_alive PID START: whether PID is still the live process that started
# at START (proc_start_time): not a zombie, not a reused pid.
proc_alive()
{
	[ -n "$2" ] && [ "$(proc_start_time "$1")" = "$2" ]
}

# proc_kill SIG PID START: send SIG to PID only if it is still the process
# that started at START (proc_start_time), never to a reused pid.
proc_kill()
{
	proc_alive "$2" "$3" && kill "-$1" "$2" 2>/dev/null
}

_proc_gone()
{
	! proc_alive "$1" "$2"
}

# proc_wait_gone TIMEOUT_S PID START: wait (bounded) until the process PID
# that started at START has exited.  If it is still running after
# TIMEOUT_S seconds, SIGKILL it and return 1: the caller says so.
proc_wait_gone()
{
	slowwait "$1" _proc_gone "$2" "$3" && return 0
	proc_kill KILL "$2" "$3"
	return 1
}

# zc_run_alive ID: whether the run that recorded ID still exists (same pid,
# same start time: a recycled pid is not the run).
zc_run_alive()
{
	local IFS=$' \t\n' pid start now

	read -r pid start _ 2>/dev/null <"$ZC_RUN_DIR/$1" || return 1
	[ "$pid" != kept ] || return 0
	now=$(proc_start_time "$pid") || return 1
	[ "$now" = "$start" ]
}

_zc_ns_empty()
{
	[ -z "$(ip netns pids "$1" 2>/dev/null)" ]
}

# SIGKILL every process in the given namespaces.
zc_netns_kill()
{
	local IFS=$' \t\n' ns pids

	for ns; do
		pids=$(ip netns pids "$ns" 2>/dev/null) || continue
		# shellcheck disable=SC2086 # one pid per word
		[ -z "$pids" ] || kill -KILL $pids 2>/dev/null
	done
}

_zc_ns_absent()
{
	[ ! -e "/run/netns/$1" ]
}

_ns_list_remove()
{
	local ns=$1 i

	for i in "${!NS_LIST[@]}"; do
		[ "${NS_LIST[i]}" != "$ns" ] || unset 'NS_LIST[i]'
	done
	NS_LIST=("${NS_LIST[@]}")
}

# cleanup_ns NS...: kill what runs in each namespace, wait (bounded) for it
# to exit, delete the namespace.  Returns 1 if one could not be removed.
cleanup_ns()
{
	local ns ret=0

	for ns; do
		[ -n "$ns" ] || continue
		zc_netns_kill "$ns"
		busywait "$BUSYWAIT_TIMEOUT" _zc_ns_empty "$ns" ||
			echo "# processes in $ns survived SIGKILL" >&2
		ip netns del "$ns" >/dev/null 2>&1
		if busywait "$BUSYWAIT_TIMEOUT" _zc_ns_absent "$ns"; then
			_ns_list_remove "$ns"
		else
			echo "# failed to remove namespace $ns" >&2
			ret=1
		fi
	done
	return "$ret"
}

cleanup_all_ns()
{
	cleanup_ns "${NS_LIST[@]}"
}

# _zc_fifos_release DIR: a process of a dead run may be blocked opening
# one of the fifos in DIR (the relay of a program that was never
# started): open each once for writing, without blocking, and close it;
# that process then reads their end and exits.  Before DIR is removed:
# after that, nothing could open them.
_zc_fifos_release()
{
	local f fd

	for f in "$1"/*; do
		[ -p "$f" ] || continue
		exec {fd}<>"$f" && exec {fd}>&-
	done
}

# Remove the namespaces of runs that no longer exist, then their records
# and temporary directories.  Names without a run record are stale too: a
# run records itself before it creates any namespace and removes its
# record last.
zc_cleanup_stale()
{
	local ns id tmp

	while read -r ns _; do
		[[ $ns =~ ^zc-([A-Za-z0-9]{8})- ]] || continue
		id=${BASH_REMATCH[1]}
		[ "$id" != "$ZC_RUN_ID" ] || continue
		zc_run_alive "$id" && continue
		echo "# removing namespace $ns of run $id, which no longer exists" >&2
		cleanup_ns "$ns"
	done < <(ip netns list 2>/dev/null)
	for id in "$ZC_RUN_DIR"/????????; do
		[ -f "$id" ] || continue
		id=${id##*/}
		[ "$id" != "$ZC_RUN_ID" ] || continue
		zc_run_alive "$id" && continue
		read -r _ _ tmp 2>/dev/null <"$ZC_RUN_DIR/$id"
		if [[ $tmp == */zc-run.* ]]; then
			_zc_fifos_release "$tmp"
			rm -rf "$tmp"
		fi
		rm -f "$ZC_RUN_DIR/$id" "$ZC_RUN_DIR/sysctl-$id-"*
	done
	# A record being written by a run killed in zc_run_register.
	for tmp in "$ZC_RUN_DIR"/.new-*; do
		if [ -e "$tmp" ] && ! kill -0 "${tmp##*-}" 2>/dev/null; then
			rm -f "$tmp"
		fi
	done
}

# zc_run_register [TMPDIR]: give this run an id, record its owner (this
# shell's pid and start time, and the temporary directory to remove if it
# dies), then remove what dead runs left.  The removal of the record goes
# to the bottom of the outermost defer scope: it runs last.  Idempotent.
zc_run_register()
{
	local start new err

	[ -z "$ZC_RUN_ID" ] || return 0
	ZC_RUN_DIR=/run/zerocopy-selftests
	if ! mkdir -p "$ZC_RUN_DIR" 2>/dev/null || [ ! -w "$ZC_RUN_DIR" ]; then
		ZC_RUN_DIR=${TMPDIR:-/tmp}/zerocopy-selftests
		mkdir -p "$ZC_RUN_DIR" || return 1
	fi
	start=$(proc_start_time "$$") || return 1
	new=$ZC_RUN_DIR/.new-$$
	echo "$$ $start ${1:-}" >|"$new" || return 1
	while :; do
		ZC_RUN_ID=$(mktemp -u XXXXXXXX)
		# A record appears whole (another run's sweep must never read
		# it empty and judge this run dead), and link(2) refuses an
		# existing name: two runs never share an id.
		err=$(ln "$new" "$ZC_RUN_DIR/$ZC_RUN_ID" 2>&1) && break
		# Only a taken id is tried again.
		[ -e "$ZC_RUN_DIR/$ZC_RUN_ID" ] && continue
		echo "cannot record this run in $ZC_RUN_DIR: $err" >&2
		rm -f "$new"
		ZC_RUN_ID=''
		return 1
	done
	rm -f "$new"
	# The test programs keep their state (sysctl journals) beside it.
	export ZC_RUN_ID ZC_RUN_DIR
	_defer_outermost zc_run_unregister
	zc_cleanup_stale
}

# The run's last undo: remove its record, unless it kept namespaces, and
# the sysctl journals of its test programs (their namespaces are gone).
zc_run_unregister()
{
	rm -f "$ZC_RUN_DIR/sysctl-$ZC_RUN_ID-"*
	if [ -n "$ZC_RUN_KEPT" ]; then
		# Replaced whole (rename(2)), never seen empty.
		echo "kept $ZC_RUN_KEPT" >|"$ZC_RUN_DIR/.new-$$" &&
			mv -f "$ZC_RUN_DIR/.new-$$" "$ZC_RUN_DIR/$ZC_RUN_ID"
	else
		rm -f "$ZC_RUN_DIR/$ZC_RUN_ID"
	fi
}

# zc_run_keep: namespaces this run keeps for debugging (run_tests.sh -k)
# are never removed as stale; whoever reads them removes them and the
# record.
zc_run_keep()
{
	ZC_RUN_KEPT="since $(date '+%F %T')"
}

# _ns_err_reason ERROR: why "ip netns add" failed, from its message.
_ns_err_reason()
{
	local err=$1

	if [ ! -e /proc/self/ns/net ] || [[ $err == *"Invalid argument"* ]]; then
		echo "network namespaces unavailable: kernel without CONFIG_NET_NS ($err)"
		return 4
	fi
	case $err in
	*"Operation not permitted"*)
		echo "not permitted to create network namespaces, needs CAP_SYS_ADMIN ($err)"
		return 4
		;;
	*"Read-only file system"*)
		echo "cannot create network namespaces: /run/netns is on a read-only file system ($err)"
		;;
	*)
		echo "cannot create a network namespace: $err"
		;;
	esac
	return 1
}

# setup_ns VAR...: for each VAR, create a namespace with a unique name
# (zc-<run id>-<ZC_NS_TAG->var-XXXXXX), bring its lo up and store the name
# in VAR.  Its removal is registered (defer) before it is created, so that
# no signal can leave it behind.  Returns 4 (skip) when namespaces are
# unavailable or not permitted, 1 on other errors; the reason on stderr.
setup_ns()
{
	local var name err rc

	zc_run_register "" || return 1
	for var; do
		name=zc-$ZC_RUN_ID-${ZC_NS_TAG:+$ZC_NS_TAG-}${var,,}-$(mktemp -u XXXXXX)
		defer cleanup_ns "$name"
		ZC_SETUP_NS=$((ZC_SETUP_NS + 1))
		NS_LIST+=("$name")
		err=$(ip netns add "$name" 2>&1)
		rc=$?
		if [ "$rc" -ne 0 ]; then
			_ns_err_reason "${err:-exit status $rc}" >&2
			return
		fi
		printf -v "$var" '%s' "$name"
		ip -n "$name" link set lo up || return 1
	done
}

# ---- devices and settings in a namespace ---------------------------------

# zc_need CMD PACKAGE: a tool the setup needs; returns 4 (skip) naming it.
zc_need()
{
	command -v "$1" >/dev/null && return 0
	echo "'$1' not found (install $2)" >&2
	return 4
}

# zc_link_add NS DEV KIND REASON [ARG...]: ip -n NS link add DEV type KIND
# ARG...  Returns 4 with REASON when the kernel lacks KIND, else 1 with the
# error of ip.
zc_link_add()
{
	local ns=$1 dev=$2 kind=$3 reason=$4 err
	shift 4

	# Loaded on demand, ifb would also make ifb0 and ifb1 in the host's
	# namespace (its numifbs parameter): load it first without them.
	if [ "$kind" = ifb ] && [ ! -d /sys/module/ifb ]; then
		modprobe -q ifb numifbs=0 2>/dev/null
	fi
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
# are usable at once.  Returns 1 naming the address, device and namespace.
zc_addr_add()
{
	local ns=$1 dev=$2 addr err
	shift 2

	for addr; do
		if [[ $addr == *:* ]]; then
			err=$(ip -n "$ns" -6 addr add "$addr" dev "$dev" nodad 2>&1)
		else
			err=$(ip -n "$ns" -4 addr add "$addr" dev "$dev" 2>&1)
		fi && continue
		echo "cannot add $addr on $dev in $ns: ${err//$'\n'/ }" >&2
		return 1
	done
}

# zc_tc NS ARG...: tc -n NS ARG...  Returns 4 (skip) when the kernel lacks
# the qdisc, classifier or action ARG names (a module not built) or has no
# traffic control at all, else 1; either way the command, the namespace
# and tc's error on stderr.
zc_tc()
{
	local ns=$1 err
	shift

	err=$(tc -n "$ns" "$@" 2>&1) && return 0
	err=${err//$'\n'/ }
	case $err in
	*"qdisc kind is unknown"* | *"classifier not found"* | \
	*"Failed to load TC action module"* | *"Operation not supported"*)
		echo "kernel lacks what 'tc $*' in $ns needs: $err" >&2
		return 4
		;;
	esac
	echo "tc $* in $ns: ${err:-tc failed}" >&2
	return 1
}

# _zc_link_seen NS DEV: DEV's operstate and qdisc, for a message.
_zc_link_seen()
{
	local out state='?' qdisc='?' i
	local -a f

	if ! out=$(ip -n "$1" link show dev "$2" 2>&1); then
		echo "no such device (${out//$'\n'/ })"
		return
	fi
	read -ra f <<<"${out%%$'\n'*}"
	for i in "${!f[@]}"; do
		case ${f[i]} in
		state) state=${f[i + 1]:-?} ;;
		qdisc) qdisc=${f[i + 1]:-?} ;;
		esac
	done
	echo "state $state, qdisc $qdisc"
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

	ZC_SETUP_DEVS=$((ZC_SETUP_DEVS + $#))
	for dev; do
		ip -n "$ns" link set dev "$dev" up || return 1
	done
	for dev; do
		busywait "$ZC_LINK_WAIT_MS" _zc_link_ready "$ns" "$dev" &&
			continue
		echo "$dev in $ns not ready after $(_zc_wait_ms \
			"$ZC_LINK_WAIT_MS") ms: expected state UP or UNKNOWN" \
			"and a qdisc other than noop, seen" \
			"$(_zc_link_seen "$ns" "$dev")" >&2
		return 1
	done
}

# zc_sysctl NS KEY=VALUE...: sysctls inside a namespace, never the host's.
zc_sysctl()
{
	local ns=$1

	shift
	zc_need sysctl procps || return
	ip netns exec "$ns" sysctl -qw "$@"
}
