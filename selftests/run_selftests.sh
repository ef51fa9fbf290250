#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Self-tests of the suite: it must fail, say why, and do so within seconds,
# when the kernel or the receiver misbehaves, and it must pass when the
# kernel does something rare but legal.  Each row builds a topology, may
# change it (a tweak: forwarding off, a blackhole route, loss, a small
# optmem), runs a test program in it (notif_contract unless the row names
# another) with a fault injected (selftests/fault_inject.c through
# LD_PRELOAD) or none, and checks the exit status, the messages and the
# time it took.
#
#   run_selftests.sh            the fault table (make check)
#   run_selftests.sh ROW...     only these rows
#   run_selftests.sh --suite    the whole suite (run_tests.sh) under each
#                               kernel fault: it must fail in under 60 s
#
# Environment: ZC_BIN (test programs, default build/tests), ZC_BUILD (for
# selftests/fault_inject.so, default build).  Output is KTAP; exit 0 when
# every row behaved, 1 otherwise, 4 when not root.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
build=${ZC_BUILD:-$top/build}
bindir=${ZC_BIN:-$build/tests}
bin=$bindir/notif_contract
fault_lib=$build/selftests/fault_inject.so
tap_holder=$build/selftests/tap_holder
PATH=$PATH:/usr/sbin:/sbin

# shellcheck source=netns/lib.sh
. "$top/netns/lib.sh"
# shellcheck source=harness/ktap.sh
. "$top/harness/ktap.sh"
for t in veth sink forward veth_tbf hold; do
	# shellcheck source=/dev/null
	. "$top/netns/$t.sh"
done

# A row: name | topology | tweak | ZC_FAULT | test filter | exit status |
# bound in seconds | messages (EREs joined by " && ", all must match).
# Filters: "v:VARIANT" runs its five tests, "r:VARIANT.TEST" one test; a
# filter "PROG/v:VARIANT" or "PROG/r:FIXTURE.VARIANT.TEST" runs program
# PROG instead, the fault acting in it.
rows=(
	# a clean stream passes: the faults below are the only difference
	"passes_clean|veth|-|-|v:ip4_udp|0|10|ip4_udp@veth: 2048 sends, 2048 ids, [0-9]+ notifications, 2048 COPIED"
	# a wrong expectation fails, naming both counts
	"fails_wrong_expectation|veth|expect_zerocopy|-|r:ip4_udp.flags_copied_per_path|1|10|ip4_udp@veth: expected zero-copy for all 2048 ids completed, seen 2048 COPIED"
	# a notification lost: its ids are named, and the wait says why it ended
	"fails_lost_notification|veth|-|errq_drop|r:ip4_tcp.completes_each_id_once|1|10|ip4_tcp@veth: [0-9]+ of 2048 ids never completed: \[0,.*notifications lost"
	# notifications stop after two: caught after one quiet period
	"fails_notifications_stop|sink|-|errq_stop|r:ip4_udp.completes_each_id_once|1|10|ip4_udp@sink: 2016 of 2048 ids never completed: \[32,2047\].*no notification for"
	# a notification delivered twice
	"fails_duplicate_notification|veth|-|errq_dup|r:ip6_udp.completes_each_id_once|1|10|ip6_udp@veth: [0-9]+ duplicate ids in notifications: \[0"
	# one lost and the next doubled: the id count balances, the ids do not
	"fails_lost_then_doubled|sink|-|errq_drop_dup|r:ip4_udp.completes_each_id_once|1|10|16 of 2048 ids never completed: \[0,15\] && 16 duplicate ids in notifications: \[16,31\]"
	# a range naming ids never issued
	"fails_unknown_ids|veth|-|errq_unknown|r:ip6_tcp.completes_each_id_once|1|10|ip6_tcp@veth: [0-9]+ unknown ids in notifications: \[10[0-9][0-9]"
	# a range shifted by one: one id missing, one not issued yet
	"fails_shifted_range|sink|-|errq_shift|r:ip6_udp.completes_each_id_once|1|10|1 of 2048 ids never completed: \[0\] && 1 unknown ids in notifications: \[16\]"
	# ee_info and ee_data swapped: a malformed range
	"fails_swapped_range|sink|-|errq_swap|r:ip4_udp.completes_each_id_once|1|10|1 malformed ranges in notifications: \[15,0\] && 16 of 2048 ids never completed: \[0,15\]"
	# the COPIED bit flipped on one notification: diag finds no cause
	"fails_copied_flipped|sink|-|errq_copied|r:ip4_udp.flags_copied_per_path|1|10|ip4_udp@sink: expected zero-copy for all 2048 ids completed, seen 16 COPIED.*no known cause found \\(checked: 0 packet sockets, route unicast, ifb0 ifb MTU 1500, sg on, tx-csum on"
	# a tap held by a process in the sender's namespace: it is named
	"fails_tap_named|sink|plant_tap|-|r:ip4_udp.flags_copied_per_path|1|10|ip4_udp@sink: expected zero-copy for all 2048 ids completed, seen 2048 COPIED.*COPIED on sink path: AF_PACKET ETH_P_ALL socket of tap_holder \\(pid [0-9]+\\) on every device"
	# ... and in the forwarder's, where PACKET_IGNORE_OUTGOING would not help
	"fails_forwarder_tap_named|forward|plant_tap_fwd|-|r:ip6_udp.flags_copied_per_path|1|10|ip6_udp@forward: expected zero-copy .*seen 2048 COPIED.*COPIED on forward path: AF_PACKET ETH_P_ALL socket of tap_holder \\(pid [0-9]+\\) on every device in the forwarder's netns zc-[A-Za-z0-9]*-fwd-"
	# a notification with an error number is not a zero-copy completion
	"fails_ee_errno|veth|-|errq_errno|r:ip4_udp.completes_each_id_once|1|10|ee_errno 5 \(Input/output error\), expected 0"
	# a notification from another origin
	"fails_ee_origin|veth|-|errq_origin|r:ip6_udp.completes_each_id_once|1|10|ee_origin 1, expected SO_EE_ORIGIN_ZEROCOPY \(5\)"
	# truncated control data is an invalid entry, not a silent skip
	"fails_truncated_cmsg|veth|-|errq_ctrunc|r:ip4_udp.completes_each_id_once|1|10|MSG_CTRUNC"
	# TCP out of order without a retransmission
	"fails_tcp_reordered|veth|-|errq_reorder|r:ip4_tcp.completes_in_order|1|10|ip4_tcp@veth: TCP completed out of order with no retransmission on the socket \(tcpi_total_retrans 0\): gaps \[0,"
	# TCP out of order after retransmissions: allowed, and reported
	"passes_tcp_reordered_after_retransmit|veth|-|errq_reorder_rtx|r:ip4_tcp.completes_in_order|0|10|ip4_tcp@veth: 1 gaps after 7 retransmits, as msg_zerocopy.rst allows: \[0,"
	# two contiguous notifications the kernel should have merged
	"fails_unmerged_notifications|sink|-|errq_split|r:ip4_udp.coalesces_ranges|1|10|ip4_udp@sink: 1 pairs of adjacent notifications with contiguous ranges, not merged although nothing had been read: \[0,0\]\+\[1,63\]"
	# a wait that spins instead of sleeping is itself a failure
	"fails_spinning_wait|sink|-|errq_spin|r:ip6_udp.completes_each_id_once|1|10|ip6_udp@sink: waiting for notifications took [0-9]+ ms of CPU in [0-9]+ ms .*a busy loop"
	# POLLERR with nothing to read: a clear failure, not a spinning wait
	"fails_pollerr_empty|veth|-|pollerr_empty|r:ip4_udp.completes_each_id_once|1|10|poll\(\) raised POLLERR with nothing on the error queue and SO_ERROR 0"
	# sk_err set mid-stream
	"fails_sk_err|veth|-|sk_err|r:ip6_udp.completes_each_id_once|1|10|sk_err set on the socket: Connection reset by peer"
	# a send interrupted once is repeated and counted, never skipped
	"passes_send_eintr|veth|-|send_eintr|v:ip4_udp|0|10|ip4_udp@veth: 2048 sends, 2048 ids.*0 ENOBUFS and 1 EINTR retried"
	# a send refused once with ENOBUFS waits for room and is repeated
	"passes_send_enobufs|veth|-|send_enobufs|v:ip4_tcp|0|10|ip4_tcp@veth: [0-9]+ sends.*1 ENOBUFS and 0 EINTR retried"
	# short writes: each call takes an id, every byte arrives
	"passes_short_writes|veth|-|send_short|v:ip6_tcp|0|10|ip6_tcp@veth: 4096 sends, 4096 ids.*receiver got 8192000 of 8192000 bytes"
	# a receiver ready 1.5 s late delays the test, it does not fail it:
	# the stream's wall time (the summary's "N ms") shows the wait
	"passes_late_receiver|veth|-|peer_late|r:ip4_tcp.completes_each_id_once|0|10|ip4_tcp@veth: 2048 sends, 2048 ids, .*; (1[5-9][0-9]{2}|[2-9][0-9]{3}) ms, CPU"
	# a receiver that dies before it is ready
	"fails_dead_receiver|veth|-|peer_die|r:ip6_tcp.completes_each_id_once|1|10|ip6_tcp@veth: stream stopped: receiver in netns .* not ready within .*exited first.*exited with status 3"
	# a receiver that dies mid-stream: never a pass hiding lost data
	"fails_receiver_dying|veth|-|peer_die_mid|v:ip4_udp|1|15|ip4_udp@veth: .*(Connection refused|no result from the receiver.*status 5)"
	# two datagrams lost on the way to the receiver (nftables)
	"fails_datagrams_lost|veth|udp_loss|-|r:ip4_udp.reaches_path_end|1|15|ip4_udp@veth: receiver got 2046 of 2048 datagrams"
	# one corrupted byte at the receiver
	"fails_corrupt_data|veth|-|peer_corrupt|r:ip4_tcp.reaches_path_end|1|10|ip4_tcp@veth: receiver saw 1 corrupt"
	# forwarding off: the datagrams die in the forwarder, yet complete
	# as zero-copy; only the counters tell
	"fails_forwarding_off|forward|forwarding_off|-|r:ip4_udp.reaches_path_end|1|10|ip4_udp@forward: Ip.ForwDatagrams in the forwarder \(netns [^)]*\) rose by 0, expected at least the 2048"
	# the forwarder's egress device down: the same, for IPv6
	"fails_forwarder_device_down|forward|fwd_device_down|-|r:ip6_udp.reaches_path_end|1|10|ip6_udp@forward: Ip6OutForwDatagrams in the forwarder \(netns [^)]*\) rose by 0"
	# dropped by a filter before the device's transmit (nftables egress
	# hook), silently for UDP, completes as zero-copy anyway
	"fails_dropped_before_sink|sink|egress_drop|-|r:ip4_udp.reaches_path_end|1|10|ip4_udp@sink: ifb0 \(netns [^)]*\) dropped 0 packets, expected at least the 2048"
	# the sink device down: no route left, and the test says so
	"fails_sink_down|sink|sink_down|-|r:ip6_udp.completes_each_id_once|1|10|ip6_udp@sink: stream stopped: connect to 2001:db8:2::2 port 9: Network is unreachable"
	# TCP loss (nftables drops 3% at the receiver): retransmissions, a pass
	"passes_tcp_loss|veth|tcp_loss|-|v:ip4_tcp|0|20|ip4_tcp@veth: 2048 sends, 2048 ids.*[1-9][0-9]* retransmits"
	# TCP reordering (1 packet in 8 delayed at the receiver): a pass
	"passes_tcp_reorder|veth|tcp_reorder|-|v:ip6_tcp|0|20|ip6_tcp@veth: 2048 sends, 2048 ids"
	# optmem too small for one send: ENOBUFS named, within seconds
	"fails_tiny_optmem|sink|optmem_tiny|-|r:ip4_udp.completes_each_id_once|1|10|send 1 of 2048 .*ENOBUFS with no send in flight"

	# ---- packet_tx_ring: PACKET_TX_RING and MSG_ZEROCOPY on packet sockets
	# a clean run through the shaper passes, with qdisc drops retried
	"passes_ring_clean|veth_tbf|-|-|packet_tx_ring/v:v3_dgram|0|10|v3_dgram@veth_tbf: 32 frames through a pfifo of 8: [1-9][0-9]* ENOBUFS"
	# item 1: a frame lost on the way (nftables, 5th frame at the peer)
	"fails_ring_frame_lost|veth|frame_drop:4|-|packet_tx_ring/r:tx_ring.v2_raw.peer_receives_every_frame|1|10|v2_raw@veth: expected 12 frames byte for byte and in order at veth1, seen: frame 1004 lost: frame 1005 came in its place"
	# item 1: one byte of a frame flipped at the receiver
	"fails_ring_frame_corrupt|veth|-|peer_corrupt|packet_tx_ring/r:tx_ring.v3_raw.peer_receives_every_frame|1|10|v3_raw@veth: .* frame 1000 arrived corrupt .*byte 999 differs"
	# item 1: two frames swapped, one doubled
	"fails_ring_frames_swapped|veth|-|peer_swap|packet_tx_ring/r:tx_ring.v2_dgram.peer_receives_every_frame|1|10|v2_dgram@veth: .* frame 1000 out of order: frame 1001 came before it"
	"fails_ring_frame_doubled|veth|-|peer_dup|packet_tx_ring/r:tx_ring.v3_dgram.peer_receives_every_frame|1|10|v3_dgram@veth: .* frame 1000 received twice"
	# item 1: a non-blocking send that waits for the transmission
	"fails_nonblocking_waits|veth_tbf|-|ring_block|packet_tx_ring/r:tx_ring.v2_raw.nonblocking_send_returns_queued_bytes|1|10|v2_raw@veth_tbf: non-blocking sendto slept .* and returned with every frame AVAILABLE: it waited"
	# item 1: frames AVAILABLE before the shaper can have sent them
	"fails_frames_completed_early|veth_tbf|-|ring_early|packet_tx_ring/r:tx_ring.v3_raw.nonblocking_send_returns_queued_bytes|1|10|v3_raw@veth_tbf: all 6 frames AVAILABLE [0-9]+ us after a non-blocking sendto, although the shaper .* frames completed before they were sent"
	# item 1: a frame left SEND_REQUEST by a non-blocking send
	"fails_frame_left_behind|veth|-|ring_unsent|packet_tx_ring/r:tx_ring.v2_raw.nonblocking_send_returns_queued_bytes|1|10|v2_raw@veth: just after a non-blocking sendto, expected every frame SENDING or AVAILABLE, seen frame 5 is SEND_REQUEST"
	# item 1: a send reporting a byte less than it queued
	"fails_ring_short_count|veth|-|ring_short|packet_tx_ring/r:tx_ring.v2_dgram.nonblocking_send_returns_queued_bytes|1|10|v2_dgram@veth: non-blocking sendto of 6 frames: expected the 5916 bytes queued, seen 5915"
	# item 1: a blocking send reporting a byte less than it queued
	"fails_blocking_short_count|veth|-|ring_short|packet_tx_ring/r:tx_ring.v3_raw.blocking_send_waits_for_every_frame|1|10|v3_raw@veth: blocking sendto of 6 frames: expected 6000 bytes, seen 5999"
	# item 1: the end marker lost: the receiver's verdict is missing
	"fails_end_marker_lost|veth|end_drop|-|packet_tx_ring/r:tx_ring.v2_dgram.peer_receives_every_frame|1|10|v2_dgram@veth: the receiver never saw the end marker: waiting for frames"
	# item 1: a blocking send that returns before the frames are sent
	"fails_blocking_returns_early|veth_tbf|-|ring_noblock|packet_tx_ring/r:tx_ring.v2_raw.blocking_send_waits_for_every_frame|1|10|v2_raw@veth_tbf: a blocking sendto with no frame to send returned while a frame was not AVAILABLE"
	# item 2: a qdisc drop not reported
	"fails_enobufs_hidden|veth_tbf|-|ring_hide_enobufs|packet_tx_ring/r:tx_ring.v2_raw.reports_qdisc_drop_as_enobufs|1|10|v2_raw@veth_tbf: expected ENOBUFS at each drop .*, seen: a blocking sendto returned 0 while frame (8|9) was SEND_REQUEST: a drop not reported"
	# item 2: the dropped frame marked AVAILABLE instead of handed back:
	# the frames after it are never sent, and the test says which
	"fails_dropped_frame_not_handed_back|veth_tbf|-|ring_lose_dropped|packet_tx_ring/r:tx_ring.v3_dgram.loses_no_frame_under_backpressure|1|10|v3_dgram@veth_tbf: after [0-9]+ sendto calls, frame [0-9]+ is still not AVAILABLE \(a blocking sendto returned 0 while frame [0-9]+ was SEND_REQUEST: a drop not reported\)"
	# item 2: a frame lost after the shaper (nftables, 20th frame)
	"fails_frame_lost_under_backpressure|veth_tbf|frame_drop:19|-|packet_tx_ring/r:tx_ring.v2_raw.loses_no_frame_under_backpressure|1|10|v2_raw@veth_tbf: expected 32 frames in order .*seen: frame 2007 lost: frame 2008 came in its place"
	# item 3: a frame of the bypassing burst lost after the sender
	"fails_bypass_frame_lost|veth|frame_drop:14|-|packet_tx_ring/r:tx_ring.v2_raw.bypass_sends_burst_without_drops|1|10|v2_raw@veth: expected 32 frames in order at veth1, seen: frame 3002 lost: frame 3003 came in its place"
	# item 3: PACKET_QDISC_BYPASS without effect: the qdisc drops
	"fails_bypass_ignored|veth_tbf|-|bypass_ignored|packet_tx_ring/r:tx_ring.v3_raw.bypass_sends_burst_without_drops|1|10|v3_raw@veth_tbf: 32 frames with PACKET_QDISC_BYPASS: expected one sendto to send all 32000 bytes, seen -1 \(No buffer space available\)"
	# item 4: a malformed frame skipped instead of stalling the ring
	"fails_ring_never_stalls|veth|-|loss_forced|packet_tx_ring/r:tx_ring.v2_raw.bad_frame_stalls_ring|1|10|v2_raw@veth: oversize frame 3: expected sendto -1 \(Message too long\), seen 7000"
	# item 4: a malformed frame not marked WRONG_FORMAT
	"fails_no_wrong_format|veth|-|ring_no_wrong_format|packet_tx_ring/r:tx_ring.v3_raw.bad_frame_stalls_ring|1|10|v3_raw@veth: oversize frame 3: expected WRONG_FORMAT, seen frame 3 AVAILABLE"
	# item 4: the ring goes on once the malformed frame is given up
	"fails_ring_unstalled|veth_tbf|-|ring_unstall|packet_tx_ring/r:tx_ring.v2_dgram.bad_frame_stalls_ring|1|10|v2_dgram@veth_tbf: oversize: the malformed frame given up \(AVAILABLE\): expected the ring to stay stalled \(sendto 0\), seen 4930"
	# item 4: a frame lost after the stalled ring was rewritten, or after
	# a malformed one was skipped (frames counted from the first phase)
	"fails_stall_frame_lost|veth|frame_drop:48|-|packet_tx_ring/r:tx_ring.v2_raw.bad_frame_stalls_ring|1|10|v2_raw@veth: oversize: expected 8 frames in order at veth1, seen: frame 4004 lost"
	"fails_loss_frame_lost|veth|frame_drop:77|-|packet_tx_ring/r:tx_ring.v2_raw.bad_frame_skipped_with_packet_loss|1|10|v2_raw@veth: oversize: expected every frame but frame 3, in order, at veth1, seen: frame 8001 lost"
	# item 4: PACKET_LOSS without effect: the ring stalls
	"fails_loss_ignored|veth|-|loss_ignored|packet_tx_ring/r:tx_ring.v3_dgram.bad_frame_skipped_with_packet_loss|1|10|v3_dgram@veth: oversize frame with PACKET_LOSS: expected sendto 6902 \(the other 7 frames\), seen -1 \(Message too long\)"
	# item 4: tp_next_offset dropped as documented: a pass, not XFAIL
	"passes_next_offset_dropped|veth|-|loss_forced|packet_tx_ring/r:tx_ring.v3_raw.v3_next_offset_frame_dropped|0|10|^ok 1 tx_ring.v3_raw.v3_next_offset_frame_dropped\$"
	# item 1: no POLLOUT although the kernel's next frame is free
	"fails_pollout_never|veth|-|pollout_never|packet_tx_ring/r:tx_ring.v2_raw.pollout_means_a_free_frame|1|10|v2_raw@veth: the kernel's next frame AVAILABLE: expected POLLOUT, seen revents 0"
	# item 1: POLLOUT only with a free frame, as documented: a pass
	"passes_pollout_strict|veth_tbf|-|pollout_strict|packet_tx_ring/r:tx_ring.v3_dgram.pollout_means_a_free_frame|0|10|^ok 1 tx_ring.v3_dgram.pollout_means_a_free_frame$"
	# item 5: SO_ZEROCOPY accepted on a packet socket
	"fails_so_zerocopy_accepted|veth|-|so_zerocopy_ok|packet_tx_ring/r:packet_zc.raw.so_zerocopy_rejected|1|10|raw@veth: expected SO_ZEROCOPY refused with EOPNOTSUPP, seen it accepted"
	# item 5: MSG_ZEROCOPY on a packet socket fails, notifies, shares
	"fails_msg_zerocopy_send_fails|veth|-|zc_send_fail|packet_tx_ring/r:packet_zc.dgram.msg_zerocopy_sends_a_copy|1|10|dgram@veth: sendto 0 with MSG_ZEROCOPY: expected 986 bytes sent \(a plain copy\), seen -1"
	"fails_msg_zerocopy_pollerr|veth|-|pollerr_empty|packet_tx_ring/r:packet_zc.raw.msg_zerocopy_sends_a_copy|1|10|raw@veth: POLLERR after sends with MSG_ZEROCOPY on a packet socket"
	"fails_msg_zerocopy_errqueue|veth|-|errq_entry|packet_tx_ring/r:packet_zc.dgram.msg_zerocopy_sends_a_copy|1|10|dgram@veth: expected an empty error queue after MSG_ZEROCOPY on a packet socket, seen an entry"
	"fails_msg_zerocopy_errqueue_error|veth|-|errq_einval|packet_tx_ring/r:packet_zc.raw.msg_zerocopy_sends_a_copy|1|10|raw@veth: reading the error queue: expected EAGAIN, seen Invalid argument"
	"fails_msg_zerocopy_shared|veth_tbf|-|zc_shared|packet_tx_ring/r:packet_zc.raw.msg_zerocopy_sends_a_copy|1|10|raw@veth_tbf: expected 6 frames as sent, before their buffers were overwritten, seen: frame 0 arrived corrupt"
	# zc_limits: packets not held, so optmem never runs out: caught
	"fails_optmem_not_held|hold|hold_off|-|zc_limits/r:optmem.ip4_udp.fails_with_enobufs_while_held|1|10|ip4_udp@hold: expected ENOBUFS within 64 zero-copy sends .* seen none after 64"
	# a send refused with ENOBUFS that took an id anyway
	"fails_enobufs_takes_id|hold|-|send_enobufs_sent|zc_limits/r:optmem.ip6_udp.fails_with_enobufs_while_held|1|10|ip6_udp@hold: the 2 held sends did not all complete once released \\(0 unknown ids, 1 ranges beyond the ids issued: did the refused send take an id\\?\\)"
	# zc_counter: copy calls that take ids
	"fails_copy_call_takes_id|hold|-|send_copy_zerocopy|zc_counter/r:counter.ip4_udp.gives_ids_to_zerocopy_calls_only|1|10|ip4_udp@hold: zero-copy and copy calls mixed, zczccz: expected ids 0..2, the kernel gave more: 1 ranges beyond the ids issued: \\[0,5\\]"
	# a kernel that follows the rst for zero-length sends: a pass, no XFAIL
	"passes_zero_length_without_id|hold|-|send_zero_len_copy|zc_counter/r:counter.ip6_udp.takes_no_id_for_zero_length|0|10|^ok 1 counter.ip6_udp.takes_no_id_for_zero_length\$"
	# the zero-length XFAIL stays visible on this kernel
	"xfails_zero_length_id|hold|-|-|zc_counter/r:counter.ip4_udp.takes_no_id_for_zero_length|0|10|# XFAIL ip4_udp@hold: a zero-length MSG_ZEROCOPY send took id 0"
	# errq_reception: POLLERR that stays after draining
	"fails_pollerr_after_drain|hold|-|pollerr_empty|errq_reception/r:reception.ip4_udp.raises_pollerr_until_drained|1|10|ip4_udp@hold: expected no POLLERR once the notification was read"
	# an empty error queue that blocks a blocking reader
	"fails_errq_blocks|hold|-|errq_block|errq_reception/r:reception.ip6_udp.returns_eagain_at_once_if_empty|1|10|ip6_udp@hold: recvmsg\(MSG_ERRQUEUE\) on an empty queue of a blocking socket took [0-9]+ ms .*it blocked"
	# a truncated notification that the reader would not report
	"fails_ctrunc_unreported|hold|-|errq_ctrunc|errq_reception/r:recvmmsg.ip4_udp.reads_several_per_recvmmsg|1|10|ip4_udp@hold: entry [0-9]+: MSG_CTRUNC: control data truncated"
	# zc_limits: a user over RLIMIT_MEMLOCK whose sends are not refused
	"fails_memlock_not_enforced|hold|-|send_enobufs_copy|zc_limits/r:memlock.ip4_udp.fails_with_enobufs_over_rlimit|1|10|ip4_udp@hold: uid [0-9]+ without CAP_IPC_LOCK, RLIMIT_MEMLOCK 65536: expected ENOBUFS within 64 held sends of 1000 bytes, seen none after 64"
	# zc_limits: root with CAP_IPC_LOCK refused once
	"fails_cap_ipc_lock_charged|hold|-|send_enobufs|zc_limits/r:memlock.ip6_udp.never_charges_cap_ipc_lock|1|10|ip6_udp@hold: root with CAP_IPC_LOCK, RLIMIT_MEMLOCK 0: send 10 of 16 held refused"
	# completion_order: nothing held, so nothing out of order
	"fails_reorder_not_held|hold|hold_off|-|completion_order/r:reorder.ip4_udp.closes_gaps_of_held_sends|1|10|ip4_udp@hold: expected the 5 held sends to be all that is missing"
	# completion_order: the forwarder holds nothing, so TCP never retransmits
	"fails_retransmit_not_held|hold|fwd_hold_off|-|completion_order/r:retransmit.ip6_tcp.completes_retransmitted_range_late|1|10|ip6_tcp@hold: (expected every id but 0 to complete while the first transmission of id 0 was held|ids completed with no retransmission)"
	# zc_counter: SO_ZEROCOPY accepted on a raw socket
	"fails_sockopt_accepted_everywhere|hold|-|sockopt_accept|zc_counter/r:sockopt.raw4.accepts_only_tcp_and_udp|1|10|raw4: setsockopt\\(SO_ZEROCOPY, 1\\): expected it refused as unsupported .*, seen success"
	# zc_limits: close() with sends held reports an error
	"fails_close_error|hold|-|close_eio|zc_limits/r:close_tcp.ip4_tcp.closes_with_data_held|1|10|ip4_tcp@hold: close\\(\\) with data held beyond the sender and notifications unread: Input/output error"
	# errq_reception: an entry of another origin beside the timestamps
	"fails_tstamp_other_origin|hold|-|errq_origin|errq_reception/r:tstamp.ip4_udp.separates_timestamps_from_completions|1|10|ip4_udp@hold: an entry of origin 1"
	# errq_reception: with timestamps on, data that arrives not as sent
	"fails_tstamp_data_corrupt|hold|-|peer_corrupt|errq_reception/r:tstamp.ip6_tcp.separates_timestamps_from_completions|1|10|ip6_tcp@hold: with timestamps on, the receiver saw 1 reads not as sent"
	# zc_limits, TCP: a kernel that copies instead of refusing
	"fails_enobufs_hidden_tcp|hold|-|send_enobufs_copy|zc_limits/r:optmem.ip4_tcp.fails_with_enobufs_while_held|1|10|ip4_tcp@hold: expected ENOBUFS within 64 zero-copy sends .* seen .* after [0-9]+ sends"
	# zc_limits, TCP: a refused send that took an id
	"fails_enobufs_takes_id_tcp|hold|-|send_enobufs_sent|zc_limits/r:optmem.ip6_tcp.fails_with_enobufs_while_held|1|10|ip6_tcp@hold: .*(did the refused send take an id|the refused send took an id)"
	# udp_paths: a copy append that takes an id
	"fails_cork_copy_append_takes_id|hold|-|send_copy_zerocopy|udp_paths/r:cork.ip4_udp.gives_ids_to_zerocopy_appends|1|10|ip4_udp@hold: MSG_MORE cz: expected an id per zero-copy append, 1, to complete; read \\[0,1\\]\\(copied\\) \\(1 ranges beyond the ids issued: a copy append took one\\?\\)"
	# udp_paths: a corked datagram reported zero-copy
	"fails_cork_reported_zerocopy|hold|-|errq_copied|udp_paths/r:cork.ip6_udp.gives_ids_to_zerocopy_appends|1|10|ip6_udp@hold: MSG_MORE zz: expected COPIED, seen 2 of 2 ids zero-copy"
	# udp_paths: appends that do not arrive as sent
	"fails_cork_datagram_corrupt|hold|-|peer_corrupt|udp_paths/r:cork.ip4_udp.delivers_appends_as_one_datagram|1|10|ip4_udp@hold: datagrams built from appends: the receiver saw 1 datagrams not as sent"
	# udp_paths: a segmented send reported COPIED on the sink
	"fails_gso_copied|hold|-|errq_copied|udp_paths/r:gso.ip4_udp.gives_one_id_per_send|1|10|ip4_udp@hold: segmented sends to the sink: expected zero-copy, seen [1-4] of 4 ids COPIED"
	# udp_paths: datagrams over the MTU that were not fragmented
	"fails_frag_not_fragmented|hold|sink_mtu_big|-|udp_paths/r:frag.ip4_udp.copies_datagrams_over_the_mtu|1|10|ip4_udp@hold: 4 datagrams of 3000 bytes created 0 fragments"
	# udp_paths: a fragmented datagram reported zero-copy
	"fails_frag_reported_zerocopy|hold|-|errq_copied|udp_paths/r:frag.ip6_udp.copies_datagrams_over_the_mtu|1|10|ip6_udp@hold: datagrams over the MTU: expected COPIED, seen [1-4] of 4 ids zero-copy"
	# udp_paths: the known merge of flags stays visible
	"xfails_coalesce_merged|hold|-|-|udp_paths/r:coalesce.ip6_udp.flags_every_merged_id|0|10|# XFAIL ip6_udp@hold: completions of copied and zero-copy sends merged under the first one's flag"
	# udp_paths: a kernel that keeps the two kinds apart passes
	"passes_coalesce_unmerged|hold|-|errq_unmerge|udp_paths/r:coalesce.ip4_udp.flags_every_merged_id|0|10|^ok 1 coalesce.ip4_udp.flags_every_merged_id\$"
	# udp_paths: a flag wrong even for its range's first id
	"fails_coalesce_flag_wrong|hold|-|errq_copied|udp_paths/r:coalesce.ip4_udp.flags_every_merged_id|1|10|ip4_udp@hold: a notification's COPIED flag is wrong for the first id of its range"
	# buffer_reuse: a completion while the pages are still in use
	"fails_reuse_completed_early|hold|slow_fwd|errq_early|buffer_reuse/r:reuse.ip4_udp.keeps_bytes_after_completion|1|20|ip4_udp@hold: the receiver saw [0-9]+ datagrams not as sent .* and [0-9]+ datagrams twice: bytes written over a buffer after its completion was read"
	# buffer_reuse: the same for TCP
	"fails_reuse_completed_early_tcp|hold|slow_fwd|errq_early|buffer_reuse/r:reuse.ip6_tcp.keeps_bytes_after_completion|1|20|ip6_tcp@hold: the receiver saw [1-9][0-9]* reads not as sent"
	# buffer_reuse: copied at send (no scatter-gather), yet completed late
	"fails_converse_copied_before_hold|hold|tx_sg_off|-|buffer_reuse/r:converse.ip4_udp.shares_pages_until_completion|1|10|ip4_udp@hold: expected the receiver to get the bytes as changed .* seen the bytes as sent: a copy was made before the hold"
	# buffer_reuse: nothing held: completed, or delivered, before the change
	"fails_converse_not_held|hold|fwd_hold_off|-|buffer_reuse/r:converse.ip6_udp.shares_pages_until_completion|1|10|ip6_udp@hold: (the send completed .* before its buffer was changed|.*seen the bytes as sent)"
	# buffer_reuse: the receiver got something else than the change
	"fails_converse_not_seen|hold|-|peer_corrupt|buffer_reuse/r:converse.ip6_udp.shares_pages_until_completion|1|10|ip6_udp@hold: expected the receiver to get the bytes as changed .* seen a mix of both"
)

# input_drop MATCH: nftables drops what MATCH selects at the receiver.
input_drop()
{
	ip netns exec "$ZC_RX_NS" nft -f - <<-EOF
	table inet zc_loss {
		chain in {
			type filter hook input priority 0;
			$1 drop
		}
	}
	EOF
}

# plant_tap NS: start tap_holder in NS (an ETH_P_ALL packet socket, as
# lldpd holds one) and wait until its socket exists.  The namespace's
# deletion kills it (no kill by pid here: it may be reaped and reused).
plant_tap()
{
	local line

	coproc TAP { ip netns exec "$1" "$tap_holder"; }
	read -t 5 -r line <&"${TAP[0]}" && [ "$line" = ready ]
}

# peer_drop MATCH: nftables drops the test frames (ethertype 0x88b5) that
# MATCH selects as they reach the peer's device.
peer_drop()
{
	ip netns exec "$ZC_RX_NS" nft -f - <<-EOF
	table netdev zc_loss {
		chain in {
			type filter hook ingress device $ZC_PEER_DEV priority 0;
			ether type 0x88b5 $1 drop
		}
	}
	EOF
}

# Tweaks: change the topology just built (its contract is exported).
tweak()
{
	case $1 in
	-) ;;
	expect_zerocopy) export ZC_EXPECT=zerocopy ;;
	forwarding_off)
		zc_sysctl "$ZC_FWD_NS" net.ipv4.ip_forward=0 \
			net.ipv6.conf.all.forwarding=0
		;;
	fwd_device_down) ip -n "$ZC_DROP_NS" link set ifb0 down ;;
	egress_drop)
		ip netns exec "$ZC_TX_NS" nft -f - <<-EOF
		table netdev zc_drop {
			chain out {
				type filter hook egress device ifb0 priority 0;
				meta l4proto udp drop
			}
		}
		EOF
		;;
	sink_down) ip -n "$ZC_TX_NS" link set ifb0 down ;;
	hold_off) tc -n "$ZC_TX_NS" qdisc replace dev "$ZC_HOLD_DEV" root noqueue ;;
	# the receiver's path at 1 Mbit/s: sends queue in the forwarder
	slow_fwd)
		tc -n "$ZC_FWD_NS" qdisc replace dev veth2 root \
			tbf rate 1mbit burst 1600 limit 1000000
		;;
	tx_sg_off) ip netns exec "$ZC_TX_NS" ethtool -K veth0 sg off >/dev/null ;;
	fwd_hold_off)
		tc -n "$ZC_FWD_NS" qdisc replace dev "$ZC_FWD_HOLD_DEV" root noqueue
		;;
	sink_mtu_big) ip -n "$ZC_TX_NS" link set ifb0 mtu 9000 ;;
	tcp_loss) input_drop "meta l4proto tcp numgen random mod 100 < 3" ;;
	udp_loss) input_drop "meta l4proto udp numgen inc mod 1000 == 500" ;;
	# the Nth test frame (from 0) to reach the peer, or every end marker
	frame_drop:*) peer_drop "numgen inc mod 100000 == ${1#*:}" ;;
	end_drop) peer_drop "@ll,112,32 0xffffffff" ;;
	tcp_reorder)
		# Received packets go through an ifb whose slow htb class
		# delays those with a TCP timestamp ending in 0b111.
		zc_link_add "$ZC_RX_NS" ifbr ifb "CONFIG_IFB missing (ifb device)" &&
		ip -n "$ZC_RX_NS" link set ifbr up &&
		tc -n "$ZC_RX_NS" qdisc add dev veth1 handle ffff: ingress &&
		tc -n "$ZC_RX_NS" filter add dev veth1 parent ffff: \
			protocol all u32 match u32 0 0 \
			action mirred egress redirect dev ifbr &&
		tc -n "$ZC_RX_NS" qdisc add dev ifbr root handle 1: \
			htb default 1 r2q 100000 &&
		tc -n "$ZC_RX_NS" class add dev ifbr parent 1: classid 1:1 \
			htb rate 10gbit &&
		tc -n "$ZC_RX_NS" class add dev ifbr parent 1: classid 1:2 \
			htb rate 20mbit quantum 1514 &&
		tc -n "$ZC_RX_NS" filter add dev ifbr parent 1: protocol ipv6 \
			u32 match ip6 protocol 6 0xff \
			match u32 0x7 0x7 at 64 classid 1:2
		;;
	optmem_tiny) zc_sysctl "$ZC_TX_NS" net.core.optmem_max=560 ;;
	plant_tap) plant_tap "$ZC_TX_NS" ;;
	plant_tap_fwd) plant_tap "$ZC_FWD_NS" ;;
	*) echo "# unknown tweak $1"; return 1 ;;
	esac
}

# tweak_effect TWEAK: after the run, while the topology stands, say when
# the tweak visibly did nothing (a row that passes must have been tested
# under it).
tweak_effect()
{
	local sent

	case $1 in
	tcp_reorder)
		sent=$(tc -n "$ZC_RX_NS" -s class show dev ifbr classid 1:2 |
		       sed -n 's/^ *Sent [0-9]* bytes \([0-9]*\) pkt.*/\1/p')
		[ "${sent:-0}" -gt 0 ] ||
			echo "nothing reordered: the delaying htb class 1:2 of ifbr sent ${sent:-no} packets, expected some"
		;;
	esac
}

# Tools a row needs beyond ip: a missing one skips the row.
needs()
{
	case $1 in
	tcp_loss | udp_loss | egress_drop | frame_drop:* | end_drop)
		command -v nft >/dev/null || echo "nft (nftables) missing"
		;;
	forwarding_off | optmem_tiny)
		command -v sysctl >/dev/null || echo "sysctl (procps) missing"
		;;
	tcp_reorder | hold_off | slow_fwd | fwd_hold_off)
		command -v tc >/dev/null || echo "tc (iproute2) missing"
		;;
	tx_sg_off)
		command -v ethtool >/dev/null || echo "ethtool missing"
		;;
	esac
}

# run_row ROW: build its topology, run it, judge it; print its result.
# Return: 0 as expected, 1 not, 2 skipped.
run_row()
{
	local name topo tw f filter want_rc want_msg bound
	local out rc why='' t0 dt re skip prog=notif_contract fixture=notif.
	local file ns0 line effect
	local -a env_args=() args=()

	IFS='|' read -r name topo tw f filter want_rc bound want_msg <<<"$1"
	if [[ $filter == */* ]]; then
		prog=${filter%%/*} fixture='' filter=${filter#*/}
	fi
	skip=$(needs "$tw")
	if [ -n "$skip" ]; then
		ktap_test_skip "$name" "$skip"
		return 2
	fi
	[ "${KSFT_MACHINE_SLOW:-}" = yes ] && bound=$((bound * 3))
	case $filter in
	v:*) args=(-v "${filter#v:}") ;;
	r:*) args=(-r "$fixture${filter#r:}") ;;
	esac
	[ "$f" = - ] || env_args+=("ZC_FAULT=$f" "LD_PRELOAD=$fault_lib"
				   "ZC_FAULT_TARGETS=$prog")

	defer_scope_push
	zc_contract_reset
	if ! file=$(mktemp "${TMPDIR:-/tmp}/zc-selftest.XXXXXX"); then
		defer_scope_pop
		ktap_test_fail "$name" "mktemp failed"
		return 1
	fi
	defer rm -f "$file"
	ns0=${#NS_LIST[@]}
	"topo_${topo}_setup" >"$file" 2>&1 && tweak "$tw" >>"$file" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ]; then
		out=$(<"$file")
		defer_scope_pop
		# 4: a missing tool or kernel feature, named last (zc_need,
		# zc_link_add).
		if [ "$rc" -eq 4 ]; then
			ktap_test_skip "$name" "$(tail -n 1 <<<"$out")"
			return 2
		fi
		ktap_print_block "$name: setup of $topo with $tw failed:" "$out"
		ktap_test_fail "$name" "setup of $topo with $tw failed"
		return 1
	fi
	# Bounded: timeout ends the program and its process group at the
	# row's bound; what it left in other groups is killed before its
	# output is read.
	t0=$(timestamp_ms)
	timeout -k 5 "$bound" ip netns exec "$ZC_TX_NS" env "${env_args[@]}" \
		"$bindir/$prog" "${args[@]}" </dev/null >"$file" 2>&1
	rc=$?
	dt=$((($(timestamp_ms) - t0) / 100))	# tenths of a second
	zc_netns_kill "${NS_LIST[@]:ns0}"
	out=$(<"$file")
	effect=$(tweak_effect "$tw")
	defer_scope_pop

	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && [ "$dt" -ge $((bound * 10)) ]; then
		why="timed out: still running after $bound s, expected exit status $want_rc"
	elif [ "$rc" -ne "$want_rc" ]; then
		why="exit status $rc, expected $want_rc"
	elif [ "$dt" -gt $((bound * 10)) ]; then
		why="took $((dt / 10)).$((dt % 10)) s, more than $bound s"
	elif [ -n "$effect" ]; then
		why=$effect
	else
		while [ -n "$want_msg" ]; do
			re=${want_msg%% && *}
			[ "$re" = "$want_msg" ] && want_msg= ||
				want_msg=${want_msg#* && }
			grep -Eq -- "$re" <<<"$out" && continue
			why="no line matches: $re"
			break
		done
	fi
	if [ -z "$why" ]; then
		ktap_test_pass "$name" "$((dt / 10)).$((dt % 10)) s"
		return 0
	fi
	ktap_print_block "$name: $why; the test printed:" "$out"
	ktap_test_fail "$name" "$((dt / 10)).$((dt % 10)) s"
	return 1
}

# --suite: run_tests.sh as a whole under each kernel fault.
suite_faults="errq_drop errq_dup errq_drop_dup errq_stop errq_unknown
errq_shift errq_swap errq_copied errq_errno errq_origin errq_reorder
pollerr_empty sk_err"

run_suite_fault()
{
	local f=$1 out rc t0 dt first why=''
	local failure_re="never completed|unknown ids|duplicate ids|malformed|seen [0-9]+ COPIED|ee_errno|ee_origin|POLLERR|sk_err|out of order"

	t0=$(timestamp_ms)
	out=$(ZC_FAULT=$f LD_PRELOAD=$fault_lib ZC_BIN=$(dirname "$bin") \
	      "$top/run_tests.sh" 2>&1)
	rc=$?
	dt=$((($(timestamp_ms) - t0) / 100))	# tenths of a second
	first=$(grep -v " sends, " <<<"$out" |
		grep -m1 -E "$failure_re" |
		sed 's/^ *# *//; s/^[^ ]*:[0-9]*:[a-z_]*://')
	ktap_print_msg "$f: exit $rc in $((dt / 10)).$((dt % 10)) s: ${first:0:160}"
	if [ "$rc" -eq 0 ]; then
		why="exit 0, expected non-zero: the suite passed under $f"
	elif [ "$dt" -ge 600 ]; then
		why="took $((dt / 10)).$((dt % 10)) s, expected under 60 s"
	elif [ -z "$first" ]; then
		why="exit $rc, but no failure line matches /$failure_re/"
	fi
	if [ -z "$why" ]; then
		ktap_test_pass "suite_under_$f" "$((dt / 10)).$((dt % 10)) s"
		return 0
	fi
	ktap_test_fail "suite_under_$f" "$why"
	return 1
}

trap defer_scopes_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

selected=()
suite=0
for arg; do
	case $arg in
	--suite) suite=1 ;;
	-*) echo "usage: $0 [--suite] [ROW...]" >&2; exit 2 ;;
	*) selected+=("$arg") ;;
	esac
done
if [ "$suite" -eq 1 ]; then
	read -ra todo -d '' <<<"$suite_faults"
else
	todo=()
	for row in "${rows[@]}"; do
		if [ "${#selected[@]}" -eq 0 ] ||
		   [[ " ${selected[*]} " == *" ${row%%|*} "* ]]; then
			todo+=("$row")
		fi
	done
	# Every name must be a row: a mistyped one is not silently dropped.
	unknown=()
	for arg in "${selected[@]}"; do
		[[ " ${todo[*]%%|*} " == *" $arg "* ]] || unknown+=("$arg")
	done
	if [ "${#unknown[@]}" -gt 0 ]; then
		echo "$0: no row named: ${unknown[*]}" >&2
		exit 2
	fi
fi

ktap_print_header
ktap_set_plan "${#todo[@]}"
if [ "$(id -u)" -ne 0 ]; then
	for ((i = 0; i < ${#todo[@]}; i++)); do
		ktap_test_skip "${todo[i]%%|*}" "needs root"
	done
	ktap_finished
fi
for f in "$bin" "$bindir/packet_tx_ring" "$fault_lib" "$tap_holder"; do
	[ -e "$f" ] || ktap_exit_fail_msg "$f missing: run make first"
done

for ((i = 0; i < ${#todo[@]}; i++)); do
	if [ "$suite" -eq 1 ]; then
		run_suite_fault "${todo[i]}"
	else
		run_row "${todo[i]}"
	fi
done
ktap_finished
