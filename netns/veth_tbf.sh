# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# veth_tbf: the veth pair of the veth topology, for link-layer tests
# (packet sockets): no IP, and the sender's device shaped by a tbf whose
# child is a short pfifo.  A burst longer than the pfifo is dropped by the
# qdisc: the back-pressure a packet socket sees as ENOBUFS.  IPv6 is off
# in tx, so that nothing but the tests' own frames (no router
# solicitation, no MLD report) ever takes a place in the queue.
#
#   tx: veth0, root tbf 10 Mbit/s burst 1600 B, child pfifo of 8 packets
#   rx: veth1

topo_veth_tbf_desc()
{
	echo "tx -veth- rx, no IP, tbf + pfifo of 8 on tx: packet sockets"
}

# topo_veth_tbf_env [TX_NS RX_NS]: export the contract.
topo_veth_tbf_env()
{
	export ZC_TOPO=veth_tbf ZC_TX_NS="${1:-}" ZC_RX_NS="${2:-}"
	export ZC_SRC4='' ZC_DST4='' ZC_SRC6='' ZC_DST6=''
	export ZC_DEV=veth0 ZC_PEER_DEV=veth1 ZC_EXPECT=copied ZC_PROTOS=''
	export ZC_FIX_VERSION='' ZC_FIX_COMMIT=''
	export ZC_DROP_NS='' ZC_DROP_DEV='' ZC_FWD_NS='' ZC_SYNC=no
	export ZC_TBF_RATE=10000000 ZC_TBF_BURST=1600 ZC_TBF_LIMIT=8
}

# For run_tests.sh's worst case: the namespaces the setup makes, the
# devices zc_link_up waits for, other bounded waits (s).
topo_veth_tbf_waits()
{
	echo 2 2 0
}

# Devices and qdiscs live in the namespaces: removing those removes them.
topo_veth_tbf_setup()
{
	local tx rx

	zc_need tc iproute2 || return
	setup_ns tx || return
	setup_ns rx || return
	zc_sysctl "$tx" net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 || return
	zc_link_add "$tx" veth0 veth "CONFIG_VETH missing (veth device)" \
		peer name veth1 netns "$rx" || return
	topo_veth_tbf_env "$tx" "$rx"
	zc_tc "$tx" qdisc add dev veth0 root handle 1: tbf \
		rate "${ZC_TBF_RATE}bit" burst "$ZC_TBF_BURST" limit 1000000 ||
		return
	zc_tc "$tx" qdisc add dev veth0 parent 1:1 handle 10: pfifo \
		limit "$ZC_TBF_LIMIT" || return
	ip -n "$rx" link set veth1 up || return
	zc_link_up "$tx" veth0 || return
	zc_link_up "$rx" veth1
}
