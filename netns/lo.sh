# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# lo: one namespace; sender and receiver talk over its loopback.  Looping a
# packet to a local socket must turn every zerocopy send into a copy.

topo_lo_desc()
{
	echo "one namespace, sender and receiver on loopback: expects COPIED"
}

# topo_lo_env [TX_NS]: export the contract (empty namespace without root).
topo_lo_env()
{
	export ZC_TOPO=lo ZC_TX_NS="${1:-}" ZC_RX_NS="${1:-}" ZC_FWD_NS=''
	export ZC_DROP_NS='' ZC_DROP_DEV='' ZC_SYNC=no
	export ZC_SRC4=127.0.0.1 ZC_DST4=127.0.0.1 ZC_SRC6=::1 ZC_DST6=::1
	export ZC_DEV=lo ZC_EXPECT=copied ZC_PROTOS="udp tcp"
	export ZC_FIX_VERSION='' ZC_FIX_COMMIT=''
}

# For run_tests.sh's worst case: the namespaces the setup makes, the
# devices zc_link_up waits for, other bounded waits (s).
topo_lo_waits()
{
	echo 1 0 0
}

topo_lo_setup()
{
	local tx

	setup_ns tx || return
	topo_lo_env "$tx"
}
