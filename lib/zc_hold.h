/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Holds: devices of a topology that keep the packets sent through them
 * until a test releases them (see netns/hold.sh).  A hold's root qdisc is
 * tbf (handle 1:) at a rate that never pays for its plug, a datagram at
 * the head of its queue; its child qdisc at 1:1 is pfifo.
 * While a packet is held, the pages of a zero-copy send stay referenced:
 * its id does not complete, its optmem and locked pages stay charged.
 *
 * netns/hold.sh alone sets the holds' parameters, and exports them
 * (netns/lib.sh documents them), which these helpers read:
 *   ZC_HOLD_DST4       every hold routes it in its namespace: the plug
 *                      goes there
 *   ZC_HOLD_PLUG_SIZE  the bytes of each plug datagram
 *   ZC_HOLD_RATE       the root tbf's rate (bit/s) and bucket (bytes)
 *   ZC_HOLD_BURST
 *   ZC_HOLD_LIMIT      the child pfifo's limit (packets)
 * Plain helpers: they return -errno and never assert.
 */
#ifndef ZC_HOLD_H
#define ZC_HOLD_H

/**
 * zc_hold_release() - free every packet that the hold @dev of network
 * namespace @netns (NULL: the caller's) keeps, and plug it again: its
 * child qdisc is replaced by a new pfifo (rtnetlink, through libmnl), which
 * frees the old one's packets before the kernel acknowledges the request,
 * then two plug datagrams are sent to ZC_HOLD_DST4 from that namespace.
 * The zero-copy sends among the freed packets complete (as zero-copy: a
 * drop).
 *
 * Return: 0; -ENODEV when @dev does not exist; -ENOENT when it is not a
 * hold (no child qdisc at 1:1 to delete); -EINVAL when a ZC_HOLD_*
 * variable is unset or no number; when the old child was deleted but the
 * kernel refused the new one, its -errno (-ENOTRECOVERABLE for its
 * -ENOENT): the device then drops what it is sent, and holds nothing; or
 * the -errno of the failed step.
 */
int zc_hold_release(const char *netns, const char *dev);

/**
 * zc_hold_pass() - let every packet that the hold @dev of network
 * namespace @netns (NULL: the caller's) keeps go on its way, and hold
 * again: the root tbf is made fast (its child and packets kept), two
 * plug datagrams run the queue, and the tbf is made slow and plugged
 * again.  The packets that were redirected to the hold (ZC_FWD_HOLD_DEV)
 * continue to their destination; those routed to it (ZC_HOLD_DEV) are
 * dropped there, as by zc_hold_release().
 *
 * The tbf is made slow again even when a step before failed.
 *
 * Return: 0; -ENODEV when @dev does not exist; -EINVAL when a ZC_HOLD_*
 * variable is unset or no number, or the root is not the tbf of a hold;
 * or the -errno of the first step that failed.
 */
int zc_hold_pass(const char *netns, const char *dev);

#endif /* ZC_HOLD_H */
