# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# veth: sender namespace tx and receiver namespace rx joined by a veth
# pair.  Local delivery in rx must turn every zerocopy send into a copy.
#
#   tx: veth0 192.0.2.1/24 2001:db8:1::1/64
#   rx: veth1 192.0.2.2/24 2001:db8:1::2/64

topo_veth_desc()
{
	echo "tx -veth- rx, receiver in rx: expects COPIED"
}

# topo_veth_env [TX_NS RX_NS]: export the contract.
topo_veth_env()
{
	export ZC_TOPO=veth ZC_TX_NS="${1:-}" ZC_RX_NS="${2:-}" ZC_FWD_NS=''
	export ZC_DROP_NS='' ZC_DROP_DEV='' ZC_SYNC=no
	export ZC_SRC4=192.0.2.1 ZC_DST4=192.0.2.2
	export ZC_SRC6=2001:db8:1::1 ZC_DST6=2001:db8:1::2
	export ZC_DEV=veth0 ZC_PEER_DEV=veth1 ZC_EXPECT=copied \
		ZC_PROTOS="udp tcp"
	export ZC_FIX_VERSION='' ZC_FIX_COMMIT=''
}

# For run_tests.sh's worst case: the namespaces the setup makes, the
# devices zc_link_up waits for, other bounded waits (s).
topo_veth_waits()
{
	echo 2 2 0
}

# Devices live in the namespaces: removing those removes them.
topo_veth_setup()
{
	local tx rx

	setup_ns tx rx || return
	zc_link_add "$tx" veth0 veth "CONFIG_VETH missing (veth device)" \
		peer name veth1 netns "$rx" || return
	zc_addr_add "$tx" veth0 192.0.2.1/24 2001:db8:1::1/64 || return
	zc_addr_add "$rx" veth1 192.0.2.2/24 2001:db8:1::2/64 || return
	ip -n "$rx" link set veth1 up || return
	zc_link_up "$tx" veth0 || return
	zc_link_up "$rx" veth1 || return
	topo_veth_env "$tx" "$rx"
}
