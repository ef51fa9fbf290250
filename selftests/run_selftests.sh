#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Self-tests of the suite: it must fail, and say why, when the kernel or
# the receiver misbehaves.  Each row runs one notif_contract test on the
# veth topology with a fault injected (selftests/fault_inject.c, through
# LD_PRELOAD) or a wrong expectation, and checks the exit status and the
# failure message.  Rows that must still pass check that a delay is not
# mistaken for a failure.
#
#   run_selftests.sh        (root; make check runs it)
# ZC_BUILD is the build directory (default build/), ZC_BIN the directory of
# the test programs (default $ZC_BUILD/tests).
# Output is KTAP; exit 0 when every row behaved, 1 otherwise, 4 not root.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
build=${ZC_BUILD:-$top/build}
bin=${ZC_BIN:-$build/tests}/notif_contract
fault=$build/selftests/fault_inject.so
PATH=$PATH:/usr/sbin:/sbin

# shellcheck source=netns/lib.sh
. "$top/netns/lib.sh"
# shellcheck source=netns/veth.sh
. "$top/netns/veth.sh"

# name | ZC_FAULT | extra environment | test | exit status | message (ERE)
rows=(
	# a clean run passes: the faults below are the only difference
	"passes_clean||-|ip4_udp.completes_each_id_once|0|ip4_udp@veth: 256 sends, 256 ids"
	# the veth path copies: expecting zero-copy there must fail, naming both
	"fails_wrong_expectation||ZC_EXPECT=zerocopy|ip4_udp.flags_copied_per_path|1|ip4_udp@veth: expected zero-copy for all 256 ids, seen 256 COPIED"
	# a notification the kernel never sent: its ids are missing, listed
	"fails_lost_notification|errq_drop|-|ip4_tcp.completes_each_id_once|1|ip4_tcp@veth: [0-9]+ of 256 ids never completed within the deadline: \[0,"
	# a notification delivered twice: duplicate ids, listed
	"fails_duplicate_notification|errq_dup|-|ip6_udp.completes_each_id_once|1|ip6_udp@veth: [0-9]+ duplicate ids in notifications: \[0,"
	# a range naming ids never issued
	"fails_unknown_ids|errq_unknown|-|ip6_tcp.completes_each_id_once|1|ip6_tcp@veth: [0-9]+ unknown ids in notifications: \[100[0-9]"
	# truncated control data is an invalid entry, not a silent skip
	"fails_truncated_cmsg|errq_ctrunc|-|ip4_udp.completes_each_id_once|1|ip4_udp@veth: .*MSG_CTRUNC"
	# a receiver ready 1.5 s late delays the test, it does not fail it
	"passes_late_receiver|peer_late|-|ip4_tcp.completes_each_id_once|0|ip4_tcp@veth: 256 sends"
	# a receiver that dies before it is ready
	"fails_dead_receiver|peer_die|-|ip6_tcp.completes_each_id_once|1|ip6_tcp@veth: receiver in netns .* never became ready.*exited with status 3"
	# a receiver that dies mid-stream: never a pass hiding lost data
	"fails_receiver_dying|peer_die_mid|-|ip4_udp.completes_each_id_once|1|ip4_udp@veth: (send .*Connection refused|no result from the receiver.*status 5)"
	# one corrupted byte at the receiver
	"fails_corrupt_data|peer_corrupt|-|ip4_tcp.completes_each_id_once|1|ip4_tcp@veth: receiver saw 1 corrupt"
)

cleanup()
{
	defer_scopes_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "KTAP version 1"
echo "1..${#rows[@]}"

if [ "$(id -u)" -ne 0 ]; then
	for ((i = 0; i < ${#rows[@]}; i++)); do
		echo "ok $((i + 1)) ${rows[i]%%|*} # SKIP needs root"
	done
	echo "0 passed, 0 failed, ${#rows[@]} skipped"
	exit 4
fi
for f in "$bin" "$fault"; do
	if [ ! -e "$f" ]; then
		echo "# $f missing: run make first"
		echo "Bail out! nothing to test"
		exit 1
	fi
done

if ! topo_veth_setup; then
	echo "Bail out! veth topology setup failed (see stderr)"
	exit 1
fi

passed=0
failed=0
n=0
for row in "${rows[@]}"; do
	IFS='|' read -r name fault_name extra_env test want_rc want_msg <<<"$row"
	n=$((n + 1))
	env_args=()
	[ "$extra_env" = - ] || env_args+=("$extra_env")
	[ -z "$fault_name" ] ||
		env_args+=("ZC_FAULT=$fault_name" "LD_PRELOAD=$fault")
	out=$(ip netns exec "$ZC_TX_NS" env "${env_args[@]}" \
	      "$bin" -r "notif.$test" 2>&1)
	rc=$?
	why=
	if [ "$rc" -ne "$want_rc" ]; then
		why="exit status $rc, expected $want_rc"
	elif ! grep -Eq -- "$want_msg" <<<"$out"; then
		why="no line matches: $want_msg"
	fi
	if [ -z "$why" ]; then
		echo "ok $n $name"
		passed=$((passed + 1))
	else
		echo "# $name: $why; the test printed:"
		while IFS= read -r line; do
			echo "#   $line"
		done <<<"$out"
		echo "not ok $n $name"
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed, 0 skipped"
[ "$failed" -eq 0 ]
