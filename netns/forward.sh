# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# forward: the sender's packets are routed by a forwarder namespace out an
# ifb device (noqueue) that drops them.  Zero-copy must survive forwarding
# since d2527ad3a9e1 ("net: preserve MSG_ZEROCOPY with forwarding", v6.17);
# older kernels report COPIED here (a known limitation).  UDP only.
#
#   tx:  veth0 192.0.2.1/24 2001:db8:1::1/64
#        198.51.100.0/24 via 192.0.2.2, 2001:db8:3::/64 via 2001:db8:1::2
#   fwd: veth1 192.0.2.2/24 2001:db8:1::2/64, forwarding on
#        ifb0 198.51.100.1/24 2001:db8:3::1/64, destinations .2 and ::2

topo_forward_desc()
{
	echo "tx -veth- fwd (forwarding) -> ifb that drops: expects zero-copy"
}

# topo_forward_env [TX_NS FWD_NS]: export the contract.
topo_forward_env()
{
	export ZC_TOPO=forward ZC_TX_NS="${1:-}" ZC_RX_NS='' ZC_FWD_NS="${2:-}"
	export ZC_DROP_NS="${2:-}" ZC_DROP_DEV=ifb0 ZC_SYNC=no
	export ZC_SRC4=192.0.2.1 ZC_DST4=198.51.100.2
	export ZC_SRC6=2001:db8:1::1 ZC_DST6=2001:db8:3::2
	export ZC_DEV=veth0 ZC_EXPECT=zerocopy ZC_PROTOS=udp
	export ZC_FIX_VERSION=6.17
	export ZC_FIX_COMMIT='d2527ad3a9e1 ("net: preserve MSG_ZEROCOPY with forwarding")'
}

# For run_tests.sh's worst case: the namespaces the setup makes, the
# devices zc_link_up waits for, other bounded waits (s).
topo_forward_waits()
{
	echo 2 3 0
}

topo_forward_setup()
{
	local tx fwd

	zc_need tc iproute2 || return
	setup_ns tx fwd || return
	zc_link_add "$tx" veth0 veth "CONFIG_VETH missing (veth device)" \
		peer name veth1 netns "$fwd" || return
	zc_link_add "$fwd" ifb0 ifb "CONFIG_IFB missing (ifb device)" || return
	zc_sysctl "$fwd" net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1 || return
	zc_addr_add "$tx" veth0 192.0.2.1/24 2001:db8:1::1/64 || return
	zc_addr_add "$fwd" veth1 192.0.2.2/24 2001:db8:1::2/64 || return
	zc_addr_add "$fwd" ifb0 198.51.100.1/24 2001:db8:3::1/64 || return
	zc_tc "$fwd" qdisc replace dev ifb0 root noqueue || return
	ip -n "$fwd" link set veth1 up || return
	zc_link_up "$tx" veth0 || return
	zc_link_up "$fwd" veth1 ifb0 || return
	ip -n "$tx" route add 198.51.100.0/24 via 192.0.2.2 || return
	ip -n "$tx" -6 route add 2001:db8:3::/64 via 2001:db8:1::2 || return
	topo_forward_env "$tx" "$fwd"
}
