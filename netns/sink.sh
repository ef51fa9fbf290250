# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# sink: the sender's route leads out an ifb device, which drops everything
# not redirected to it by tc.  Nothing ever delivers the data, so every
# zerocopy send must complete as zero-copy.  The ifb has a noqueue root
# qdisc, so a datagram is dropped in the sender's own context and every
# send has completed when send() returns (ZC_SYNC=yes).  UDP only: no peer
# would ever ACK a TCP handshake.  ifb stands in for upstream's dummy
# device.
#
#   tx: ifb0 198.51.100.1/24 2001:db8:2::1/64, destinations .2 and ::2

topo_sink_desc()
{
	echo "tx, egress to a noqueue ifb that drops, no receiver: expects zero-copy"
}

# topo_sink_env [TX_NS]: export the contract.
topo_sink_env()
{
	export ZC_TOPO=sink ZC_TX_NS="${1:-}" ZC_RX_NS='' ZC_FWD_NS=''
	export ZC_DROP_NS="${1:-}" ZC_DROP_DEV=ifb0 ZC_SYNC=yes
	export ZC_SRC4=198.51.100.1 ZC_DST4=198.51.100.2
	export ZC_SRC6=2001:db8:2::1 ZC_DST6=2001:db8:2::2
	export ZC_DEV=ifb0 ZC_EXPECT=zerocopy ZC_PROTOS=udp
	export ZC_FIX_VERSION='' ZC_FIX_COMMIT=''
}

# For run_tests.sh's worst case: the namespaces the setup makes, the
# devices zc_link_up waits for, other bounded waits (s).
topo_sink_waits()
{
	echo 1 1 0
}

topo_sink_setup()
{
	local tx

	zc_need tc iproute2 || return
	setup_ns tx || return
	zc_link_add "$tx" ifb0 ifb "CONFIG_IFB missing (ifb device)" || return
	zc_addr_add "$tx" ifb0 198.51.100.1/24 2001:db8:2::1/64 || return
	# noqueue: a datagram is dropped in the sender's own send() call.
	zc_tc "$tx" qdisc replace dev ifb0 root noqueue || return
	zc_link_up "$tx" ifb0 || return
	topo_sink_env "$tx"
}
