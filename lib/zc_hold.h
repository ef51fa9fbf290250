/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Holds: devices of a topology that keep the packets sent through them
 * until a test releases them (see netns/hold.sh).  A hold's root qdisc is
 * tbf (handle 1:) at a rate that never pays for its plug, a 1400-byte
 * datagram at the head of its queue; its child qdisc at 1:1 is pfifo.
 * While a packet is held, the pages of a zero-copy send stay referenced:
 * its id does not complete, its optmem and locked pages stay charged.
 * Plain helpers: they return -errno and never assert.
 */
#ifndef ZC_HOLD_H
#define ZC_HOLD_H

/* Every hold routes this address in its namespace: the plug goes there. */
#define ZC_HOLD_PLUG_DST "203.0.113.2"

/**
 * zc_hold_release() - free every packet that the hold @dev of network
 * namespace @netns (NULL: the caller's) keeps, and plug it again: its
 * child qdisc is replaced by a new pfifo (rtnetlink, through libmnl), which
 * frees the old one's packets before the kernel acknowledges the request,
 * then two 1400-byte datagrams are sent to ZC_HOLD_PLUG_DST from that
 * namespace.  The zero-copy sends among the freed packets complete (as
 * zero-copy: a drop).
 *
 * Return: 0; -ENODEV when @dev does not exist; -ENOENT when it is not a
 * hold (no child qdisc at 1:1); or the -errno of the failed step.
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
 * Return: 0; -ENODEV when @dev does not exist; or the -errno of the
 * failed step (-EINVAL: its root is not the tbf of a hold).
 */
int zc_hold_pass(const char *netns, const char *dev);

#endif /* ZC_HOLD_H */
