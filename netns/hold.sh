# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# hold: paths that keep a zero-copy send's pages referenced until the test
# lets go of them, beside a fast path and a receiver.  For the tests of
# limits (optmem, locked pages), completion order, close() with packets in
# flight and buffer reuse.
#
#   tx:  veth0 192.0.2.1/26 2001:db8:1::1/64, routes to rx via fwd
#          its root qdisc is htb: sends marked ZC_SLOW_TOS take a class
#          of 80 kbit/s (about 100 ms per 1000 bytes), the rest 10 Gbit/s
#        ifb0 198.51.100.1/24 2001:db8:2::1/64, noqueue: the sink
#          (ZC_SINK_DST4/6 .2 ::2; zero-copy, freed inside send())
#        ifb1 203.0.113.1/24 2001:db8:4::1/64: a hold, ZC_HOLD_DEV (its
#          destinations ZC_HOLD_DST4/6 .2 ::2); see "Holds" below
#   fwd: veth1 192.0.2.2/26 2001:db8:1::2/64, forwarding on
#        veth2 192.0.2.65/26 2001:db8:5::1/64: packets marked
#          ZC_FWD_HOLD_TOS (IPv4 TOS, IPv6 traffic class) that it would
#          send are redirected by tc to ifbh, a hold, ZC_FWD_HOLD_DEV:
#          they left the sender's host stack (ip_rcv orphaned them), so
#          TCP may retransmit them, and their pages are still referenced
#          (forwarding keeps zero-copy since d2527ad3a9e1, v6.17)
#   rx:  veth3 192.0.2.66/26 2001:db8:5::2/64: the receiver (ZC_DST4/6,
#          COPIED at local delivery)
#
# Holds.  A hold is a device whose root qdisc is `tbf` (handle 1:) at
# ZC_HOLD_RATE (48 bit/s) with a bucket of ZC_HOLD_BURST (1600 bytes); its
# child at 1:1 is `pfifo` (handle 10:) of ZC_HOLD_LIMIT (4096) packets.
# At its head waits a plug: of two datagrams of ZC_HOLD_PLUG_SIZE (1400
# bytes) sent to ZC_HOLD_DST4 (routed through the hold in its namespace),
# the bucket pays at most one, and the other waits at least 200 s for its
# tokens, with whatever is queued behind it.  A test releases what a hold
# keeps by replacing the child with a new pfifo and plugging it again
# (zc_hold_release()): the held packets are freed (dropped: a zero-copy
# completion), and the hold goes on holding.  The values in parentheses
# are set in topo_hold_env only: lib/zc_hold.c reads them from there.

topo_hold_desc()
{
	echo "tx (sink, hold) -veth- fwd (hold for marked packets) -veth- rx: limits, order, reuse"
}

# topo_hold_env [TX_NS FWD_NS RX_NS]: export the contract.
topo_hold_env()
{
	export ZC_TOPO=hold ZC_TX_NS="${1:-}" ZC_RX_NS="${3:-}"
	export ZC_SRC4=192.0.2.1 ZC_DST4=192.0.2.66
	export ZC_SRC6=2001:db8:1::1 ZC_DST6=2001:db8:5::2
	export ZC_DEV=veth0 ZC_EXPECT=copied ZC_PROTOS="udp tcp"
	# The forwarder's hold needs forwarding to keep the pages (as
	# netns/forward.sh): before the fix the forwarder copies.
	export ZC_FIX_VERSION=6.17
	export ZC_FIX_COMMIT='d2527ad3a9e1 ("net: preserve MSG_ZEROCOPY with forwarding")'
	export ZC_DROP_NS='' ZC_DROP_DEV='' ZC_FWD_NS="${2:-}" ZC_SYNC=no
	export ZC_SINK_DST4=198.51.100.2 ZC_SINK_DST6=2001:db8:2::2
	export ZC_HOLD_DST4=203.0.113.2 ZC_HOLD_DST6=2001:db8:4::2
	export ZC_HOLD_DEV=ifb1 ZC_HOLD_PLUG_SIZE=1400 ZC_HOLD_RATE=48
	export ZC_HOLD_BURST=1600 ZC_HOLD_LIMIT=4096
	export ZC_FWD_HOLD_DEV=ifbh ZC_FWD_HOLD_TOS=0x20 ZC_SLOW_TOS=0x40
}

# _hold_add NS DEV: make DEV a hold (see above).
_hold_add()
{
	zc_tc "$1" qdisc replace dev "$2" root handle 1: \
		tbf rate "${ZC_HOLD_RATE}bit" burst "$ZC_HOLD_BURST" \
		limit 100000 &&
	zc_tc "$1" qdisc replace dev "$2" parent 1:1 handle 10: pfifo \
		limit "$ZC_HOLD_LIMIT"
}

# _hold_plug NS: plug the hold that routes ZC_HOLD_DST4 in NS (bash's
# /dev/udp: no other tool).
_hold_plug()
{
	ip netns exec "$1" bash -c "for i in 1 2; do
		printf '%${ZC_HOLD_PLUG_SIZE}s' '' \
			>/dev/udp/$ZC_HOLD_DST4/9 || exit; done"
}

# _tos_filters NS DEV ATTACH TOS ARG...: u32 filters at ATTACH ("1:" or
# "egress") matching IPv4 TOS and IPv6 traffic class TOS (ECN bits
# ignored), with ARG... (a classid or an action).
_tos_filters()
{
	local ns=$1 dev=$2 tos=$4 at=(parent "$3")
	shift 4

	[ "${at[1]}" = egress ] && at=(egress)
	zc_tc "$ns" filter add dev "$dev" "${at[@]}" protocol ip prio 1 \
		u32 match u32 $((tos << 16)) 0x00fc0000 at 0 "$@" &&
	zc_tc "$ns" filter add dev "$dev" "${at[@]}" protocol ipv6 prio 2 \
		u32 match u32 $((tos << 20)) 0x0fc00000 at 0 "$@"
}

# For run_tests.sh's worst case: the namespaces the setup makes, the
# devices zc_link_up waits for, other bounded waits (s).
topo_hold_waits()
{
	echo 3 7 0
}

# Devices live in the namespaces: removing those removes them.
topo_hold_setup()
{
	local tx fwd rx dev ns

	zc_need tc iproute2 || return
	setup_ns tx || return
	setup_ns fwd || return
	setup_ns rx || return
	topo_hold_env "$tx" "$fwd" "$rx"
	# No duplicate address detection on the devices to come: until a
	# link-local address has passed it, the forwarder sends no neighbour
	# solicitation from that device, and forwarded IPv6 waits 1 to 2 s.
	for ns in "$tx" "$fwd" "$rx"; do
		zc_sysctl "$ns" net.ipv6.conf.default.accept_dad=0 || return
	done

	zc_link_add "$tx" veth0 veth "CONFIG_VETH missing (veth device)" \
		peer name veth1 netns "$fwd" || return
	zc_link_add "$fwd" veth2 veth "CONFIG_VETH missing (veth device)" \
		peer name veth3 netns "$rx" || return
	zc_addr_add "$tx" veth0 192.0.2.1/26 2001:db8:1::1/64 || return
	zc_addr_add "$fwd" veth1 192.0.2.2/26 2001:db8:1::2/64 || return
	zc_addr_add "$fwd" veth2 192.0.2.65/26 2001:db8:5::1/64 || return
	zc_addr_add "$rx" veth3 192.0.2.66/26 2001:db8:5::2/64 || return
	zc_sysctl "$fwd" net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1 || return
	zc_tc "$tx" qdisc replace dev veth0 root handle 1: htb default 1 \
		r2q 100000 || return
	zc_tc "$tx" class add dev veth0 parent 1: classid 1:1 \
		htb rate 10gbit || return
	zc_tc "$tx" class add dev veth0 parent 1: classid 1:2 \
		htb rate 80kbit quantum 1514 || return
	_tos_filters "$tx" veth0 1: "$ZC_SLOW_TOS" classid 1:2 || return

	for dev in ifb0 ifb1; do
		zc_link_add "$tx" "$dev" ifb "CONFIG_IFB missing (ifb device)" ||
			return
	done
	zc_addr_add "$tx" ifb0 198.51.100.1/24 2001:db8:2::1/64 || return
	zc_addr_add "$tx" ifb1 203.0.113.1/24 2001:db8:4::1/64 || return
	zc_tc "$tx" qdisc replace dev ifb0 root noqueue || return
	_hold_add "$tx" ifb1 || return

	zc_link_add "$fwd" ifbh ifb "CONFIG_IFB missing (ifb device)" || return
	# An address only to plug the hold from fwd (below).
	zc_addr_add "$fwd" ifbh 203.0.113.1/24 || return
	_hold_add "$fwd" ifbh || return
	zc_tc "$fwd" qdisc add dev veth2 clsact || return
	_tos_filters "$fwd" veth2 egress "$ZC_FWD_HOLD_TOS" \
		action mirred egress redirect dev ifbh || return

	ip -n "$fwd" link set veth1 up || return
	ip -n "$rx" link set veth3 up || return
	zc_link_up "$tx" veth0 ifb0 ifb1 || return
	zc_link_up "$fwd" veth1 veth2 ifbh || return
	zc_link_up "$rx" veth3 || return
	ip -n "$tx" route add 192.0.2.64/26 via 192.0.2.2 || return
	ip -n "$tx" -6 route add 2001:db8:5::/64 via 2001:db8:1::2 || return
	ip -n "$rx" route add default via 192.0.2.65 || return
	ip -n "$rx" -6 route add default via 2001:db8:5::1 || return
	_hold_plug "$tx" || return
	_hold_plug "$fwd"
}
