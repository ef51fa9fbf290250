# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# phys: a real NIC.  The variables are those of the kernel's
# selftests/drivers/net, from the environment or else from a net.config
# file (NET_CONFIG, default net.config beside run_tests.sh; lines
# VAR=value, nothing else is read from it):
#
#   NETIF         the local port the sender uses (required)
#   LOCAL_V4      its addresses during the run
#   LOCAL_V6      (default 192.0.2.1 and 2001:db8:1::1, /24 and /64)
#   REMOTE_V4     the receiver's addresses
#   REMOTE_V6     (default 192.0.2.2 and 2001:db8:1::2)
#   REMOTE_TYPE   netns (default): REMOTE_NETIF, a second local port cabled
#                 to NETIF, is the receiver's; ssh: the receiver runs on
#                 the host REMOTE_ARGS names (not implemented yet: skips)
#   REMOTE_NETIF  netns: the second port (this suite's addition: upstream
#                 names an existing namespace in REMOTE_ARGS instead)
#   REMOTE_ARGS   ssh: the arguments to ssh that reach the remote host
#   ZC_PHYS_FORCE=yes  use a port that carries the default route or holds
#                 an address, which are refused otherwise
#
# Test traffic never touches the host's namespace: NETIF is moved into the
# sender's namespace and REMOTE_NETIF into the receiver's, each with the
# addresses above.  Both always go back, with their names, addresses,
# routes, per-device sysctls and up/down state, on success, failure, a
# failed setup and Ctrl-C (the undo is registered before each move).  Not
# restored: a qdisc other than the default (moving a device resets it),
# and an IPv6 link-local address that is not derived from the MAC
# (addrgenmode random).
#
# Expectation: packets leave through the NIC and arrive as other buffers,
# so zero-copy for tx-rx (and tx-only) unless diag finds a cause (the
# failure names it).  A veth pair standing in for the two ports (make
# check) delivers the sender's own buffers: COPIED, as in the veth
# topology.
#
# ZC_PHYS_HOST_NS names a namespace that plays the host (make check:
# selftests/phys_check.sh); empty, the host is the real one.
#
# From netns/lib.sh: defer, setup_ns, zc_addr_add, zc_link_up,
# busywait, and the contract variables.

# Run a command as the host sees it.
_phys_host()
{
	if [ -n "${ZC_PHYS_HOST_NS:-}" ]; then
		ip netns exec "$ZC_PHYS_HOST_NS" "$@"
	else
		"$@"
	fi
}

# Load net.config: only the known variables, and only where unset.
_phys_config()
{
	local file=${NET_CONFIG:-$(dirname "${BASH_SOURCE[0]}")/../net.config}
	local key val

	[ -r "$file" ] || return 0
	while IFS='=' read -r key val; do
		val=${val%\"}
		val=${val#\"}
		case $key in
		NETIF | LOCAL_V4 | LOCAL_V6 | REMOTE_V4 | REMOTE_V6 | \
		REMOTE_TYPE | REMOTE_ARGS | REMOTE_NETIF)
			[ -n "${!key:-}" ] || printf -v "$key" '%s' "$val"
			;;
		esac
	done <"$file"
}

topo_phys_desc()
{
	echo "NETIF -cable- REMOTE_NETIF (moved into namespaces) or a remote host: expects zero-copy"
}

# topo_phys_env [TX_NS RX_NS EXPECT]: export the contract.
topo_phys_env()
{
	export ZC_TOPO=phys ZC_TX_NS="${1:-}" ZC_RX_NS="${2:-}"
	export ZC_SRC4=${LOCAL_V4:-192.0.2.1} ZC_DST4=${REMOTE_V4:-192.0.2.2}
	export ZC_SRC6=${LOCAL_V6:-2001:db8:1::1}
	export ZC_DST6=${REMOTE_V6:-2001:db8:1::2}
	export ZC_DEV=${NETIF:-} ZC_EXPECT=${3:-zerocopy} ZC_PROTOS="udp tcp"
	export ZC_FIX_VERSION='' ZC_FIX_COMMIT=''
	export ZC_DROP_NS='' ZC_DROP_DEV='' ZC_FWD_NS='' ZC_SYNC=no
}

# Why port $1 must not be taken from the host, if it must not.
_phys_in_use()
{
	local dev=$1 addrs

	if _phys_host ip -4 route show default dev "$dev" | grep -q . ||
	   _phys_host ip -6 route show default dev "$dev" | grep -q .; then
		echo "it carries the default route"
		return
	fi
	addrs=$(_phys_host ip -o addr show dev "$dev" scope global |
		awk '{ print $4 }' | tr '\n' ' ')
	[ -z "$addrs" ] || echo "it holds addresses the host may use: ${addrs% }"
}

# Save what moving port $1 loses into directory $2.  Routes are listed
# without their device, which the restore adds back.
_phys_save()
{
	local dev=$1 dir=$2

	_phys_host ip -o link show dev "$dev" >"$dir/link" || return 1
	_phys_host ip addr save dev "$dev" >"$dir/addr" || return 1
	_phys_host ip -o route show table all dev "$dev" |
		grep -v ' proto kernel' >"$dir/route4"
	_phys_host ip -o -6 route show table all dev "$dev" |
		grep -v ' proto kernel' >"$dir/route6"
	# Per-device sysctls are made anew, from the defaults, on a move.
	# shellcheck disable=SC2016 # expanded by the inner bash
	_phys_host bash -c '
		for f in /proc/sys/net/ipv4/conf/"$1"/* \
			 /proc/sys/net/ipv6/conf/"$1"/* \
			 /proc/sys/net/ipv4/neigh/"$1"/* \
			 /proc/sys/net/ipv6/neigh/"$1"/*; do
			[ -w "$f" ] && IFS= read -r v <"$f" 2>/dev/null &&
				printf "%s\t%s\n" "${f#/proc/sys/net/}" "$v"
		done' - "$dev" >"$dir/sysctl" 2>/dev/null
	return 0
}

# Move port $1 back from namespace $2 into the host and restore it from
# directory $3 (the undo of a move; also after a partial setup).
_phys_restore()
{
	local dev=$1 ns=$2 dir=$3 line host=${ZC_PHYS_HOST_NS:-1}

	ip -n "$ns" link set dev "$dev" down 2>/dev/null
	ip -n "$ns" link set dev "$dev" netns "$host" 2>/dev/null
	if ! _phys_host ip link show dev "$dev" >/dev/null 2>&1; then
		echo "# phys: $dev did not come back from $ns" >&2
		return 1
	fi
	# shellcheck disable=SC2016 # expanded by the inner bash
	_phys_host bash -c '
		while IFS="	" read -r k v; do
			f=/proc/sys/net/$k
			IFS= read -r cur <"$f" 2>/dev/null || continue
			[ "$cur" = "$v" ] || echo "$v" >"$f" 2>/dev/null
		done' <"$dir/sysctl"
	[[ $(cat "$dir/link") == *"<"*UP* ]] &&
		_phys_host ip link set dev "$dev" up
	_phys_host ip addr restore <"$dir/addr" 2>/dev/null
	for line in 4 6; do
		while read -r -a route; do
			_phys_host ip -"$line" route add "${route[@]}" \
				dev "$dev" 2>/dev/null ||
				echo "# phys: route not restored: ${route[*]}" >&2
		done < <(sed 's/ linkdown//; s/ expires [0-9]*sec//' \
			 "$dir/route$line")
	done
	# IPv6 addresses wait for duplicate address detection, as they did.
	_phys_tentative_gone "$dev" ||
		busywait 5000 _phys_tentative_gone "$dev" ||
		echo "# phys: $dev still has tentative addresses" >&2
	return 0
}

_phys_tentative_gone()
{
	! _phys_host ip -6 addr show dev "$1" tentative | grep -q inet6
}

# _phys_take DEV NS VAR_DIR: save DEV, move it into NS, register its
# return.
_phys_take()
{
	local dev=$1 ns=$2 dir

	dir=$(mktemp -d "${TMPDIR:-/tmp}/zc-phys.XXXXXX") || return 1
	defer rm -rf "$dir"
	_phys_save "$dev" "$dir" || return 1
	# Registered before the move: an interrupted move is undone too.
	defer _phys_restore "$dev" "$ns" "$dir"
	_phys_host ip link set dev "$dev" netns "$ns"
}

# For run_tests.sh's worst case: the namespaces the setup makes, the
# devices zc_link_up waits for, other bounded waits (s): each port back,
# 5 s for its IPv6 addresses (_phys_restore).
topo_phys_waits()
{
	echo 2 2 10
}

topo_phys_setup()
{
	local tx rx dev why expect=zerocopy

	_phys_config
	REMOTE_TYPE=${REMOTE_TYPE:-netns}
	if [ -z "${NETIF:-}" ]; then
		echo "NETIF not set: no physical NIC to test (README: phys)" >&2
		return 4
	fi
	case $REMOTE_TYPE in
	netns)
		if [ -z "${REMOTE_NETIF:-}" ]; then
			echo "REMOTE_TYPE=netns needs REMOTE_NETIF, the port cabled to $NETIF" >&2
			return 1
		fi
		;;
	ssh)
		if [ -z "${REMOTE_ARGS:-}" ] || [ -z "${REMOTE_V4:-}" ]; then
			echo "REMOTE_TYPE=ssh needs REMOTE_ARGS and REMOTE_V4/REMOTE_V6" >&2
			return 1
		fi
		echo "REMOTE_TYPE=ssh: a receiver on the remote host is not implemented yet (libzc's receiver runs in a namespace)" >&2
		return 4
		;;
	*)
		echo "REMOTE_TYPE must be netns or ssh, not '$REMOTE_TYPE'" >&2
		return 1
		;;
	esac
	if [ "$NETIF" = "$REMOTE_NETIF" ] || [ "$NETIF" = lo ] ||
	   [ "$REMOTE_NETIF" = lo ]; then
		echo "NETIF and REMOTE_NETIF must be two ports, not '$NETIF' and '$REMOTE_NETIF'" >&2
		return 1
	fi
	for dev in "$NETIF" "$REMOTE_NETIF"; do
		if ! _phys_host ip link show dev "$dev" >/dev/null 2>&1; then
			echo "no device '$dev' in the host's namespace" >&2
			return 1
		fi
		why=$(_phys_in_use "$dev")
		if [ -n "$why" ] && [ "${ZC_PHYS_FORCE:-}" != yes ]; then
			echo "refusing $dev: $why (ZC_PHYS_FORCE=yes overrides)" >&2
			return 1
		fi
	done

	setup_ns tx || return
	setup_ns rx || return
	_phys_take "$NETIF" "$tx" || return 1
	_phys_take "$REMOTE_NETIF" "$rx" || return 1
	topo_phys_env "$tx" "$rx"
	zc_addr_add "$tx" "$NETIF" "$ZC_SRC4/24" "$ZC_SRC6/64" || return 1
	zc_addr_add "$rx" "$REMOTE_NETIF" "$ZC_DST4/24" "$ZC_DST6/64" ||
		return 1
	ip -n "$rx" link set "$REMOTE_NETIF" up || return 1
	zc_link_up "$tx" "$NETIF" || return 1
	zc_link_up "$rx" "$REMOTE_NETIF" || return 1
	# A veth pair hands the sender's own buffers to the receiver.
	if ip -n "$tx" -d link show dev "$NETIF" | grep -qw veth; then
		expect=copied
		echo "$NETIF is a veth (a stand-in for a NIC): expecting COPIED" >&2
	fi
	topo_phys_env "$tx" "$rx" "$expect"
}
