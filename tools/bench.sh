#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The packet send-path benchmark (tools/zc-bench-packet.c) on the sink
# topology: built here with netns/sink.sh, as run_tests.sh builds it, and
# always torn down (also on Ctrl-C).  Prints the tool's table: frames per
# second and sender CPU time per frame, median [min..max], for sendto,
# sendmmsg, the TX ring and the TX ring with PACKET_QDISC_BYPASS.
#
#   tools/bench.sh [TOOL ARGS...]     e.g. -n 200000 -r 11 -c 0
#
# Environment: ZC_BIN (directory of zc-bench-packet, default build/tools).
# Exit status: the tool's; 4 when not root or when this host cannot build
# the topology (no ifb device, no tc), the reason said.
set -u

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${ZC_BIN:-$top/build/tools}/zc-bench-packet
PATH=$PATH:/usr/sbin:/sbin

# shellcheck source=netns/lib.sh
. "$top/netns/lib.sh"
# shellcheck source=netns/sink.sh
. "$top/netns/sink.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "# bench.sh: needs root (network namespaces): not run"
	exit 4
fi
if [ ! -x "$bin" ]; then
	echo "# bench.sh: $bin missing: run make first"
	exit 1
fi

trap defer_scopes_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

zc_contract_reset
err=$(mktemp) || exit 1
defer rm -f "$err"
topo_sink_setup 2>"$err"
rc=$?
# The setup names what stopped it on its last line.
why=$(tail -n 1 "$err")
case $rc in
0) cat "$err" >&2 ;;
4)
	echo "# bench.sh: not run: this host cannot build the sink topology: ${why:-no reason given}"
	exit 4
	;;
*)
	echo "# bench.sh: the sink topology could not be built: ${why:-exit status $rc}"
	exit 1
	;;
esac
echo "# $bin -d $ZC_DEV $* (netns $ZC_TX_NS)"
ip netns exec "$ZC_TX_NS" "$bin" -d "$ZC_DEV" "$@"
