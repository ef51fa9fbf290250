/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Planting the causes that turn zero-copy into copies, and removing them:
 * packet sockets, offloads off, a tun device, a probe that makes the
 * sender learn a path MTU.  What a helper opens is a descriptor of the
 * caller's, so it goes away with the caller; what it changes in a device
 * (features, MTU) is the caller's to restore.
 * Plain helpers: they return -errno and never assert.
 */
#ifndef ZC_CAUSES_H
#define ZC_CAUSES_H

#include <stdbool.h>
#include <stddef.h>

#include "zc_nl.h"

enum {
	ZC_TAP_IGNORE_OUTGOING	= 1 << 0, /* PACKET_IGNORE_OUTGOING */
	ZC_TAP_DROP_FILTER	= 1 << 1, /* a BPF filter that drops all */
	ZC_TAP_NEW_NETNS	= 1 << 2, /* in a new namespace of its own,
					   * which lives as long as it:
					   * no @netns, no @dev */
};

/**
 * zc_tap_open() - an AF_PACKET socket of @type (SOCK_RAW, SOCK_DGRAM) for
 * @proto (ETH_P_*, host order, 0 for none) in namespace @netns (NULL:
 * the caller's), bound to @dev if not NULL, with @flags (ZC_TAP_*)
 *
 * Return: the descriptor; -EINVAL for ZC_TAP_NEW_NETNS with @netns or
 * @dev (the new namespace has neither); or -errno (of socket(), bind(),
 * setsockopt(), unshare(), zc_link_get()).
 */
int zc_tap_open(const char *netns, int type, unsigned int proto,
		const char *dev, unsigned int flags);

enum zc_offload {
	ZC_OFFLOAD_SG,		/* `ethtool -K DEV sg` */
	ZC_OFFLOAD_TX_CSUM,	/* `ethtool -K DEV tx`: tx-checksum-* */
};

/** zc_offload_name() - "scatter-gather" or "tx checksum offload" */
const char *zc_offload_name(enum zc_offload which);

/**
 * zc_offload_set() - turn offload @which of @dev in @netns on or off, as
 * `ethtool -K` does, and save the features as they were in @saved first
 * (for zc_features_restore()), unless @saved is NULL
 *
 * Return: 0; -EOPNOTSUPP when the driver cannot change it; -EIO when the
 * kernel kept it otherwise; -errno of zc_features_get()/_set().
 */
int zc_offload_set(const char *netns, const char *dev,
		   enum zc_offload which, bool on, struct zc_features *saved);

enum {
	ZC_TUN_CSUM = 1 << 0,	/* TUNSETOFFLOAD(TUN_F_CSUM) */
};

/**
 * zc_tun_open() - a tun device (IFF_TUN, no packet information,
 * multi-queue) named @name in the caller's namespace, up, with @flags
 * (ZC_TUN_*).  Its one queue is attached to the returned descriptor; the
 * device goes away when the descriptor is closed.
 *
 * Return: the descriptor, or -errno (-ENOENT: no /dev/net/tun,
 * CONFIG_TUN).
 */
int zc_tun_open(const char *name, unsigned int flags);

/**
 * zc_tun_attach() - attach (a reader is there) or detach (nobody reads:
 * the device drops) the queue of @fd (TUNSETQUEUE)
 *
 * Return: 0, or -errno.
 */
int zc_tun_attach(int fd, bool attach);

struct zc_pmtu_probe {
	bool completed;		/* the zero-copy notification came ... */
	bool copied;		/* ... with SO_EE_CODE_ZEROCOPY_COPIED */
	unsigned int mtu;	/* the MTU the ICMP error named, 0: none */
	int errno_seen;		/* its ee_errno (EMSGSIZE) */
	char why[128];		/* an entry that could not be decoded */
};

/**
 * zc_pmtu_probe() - send one @size-byte UDP datagram with MSG_ZEROCOPY to
 * @dst port 9 (numeric, of @family) from an unconnected socket that
 * reads ICMP errors (IP_RECVERR), and wait up to @timeout_ms for its
 * zero-copy notification and for the "fragmentation needed" / "packet too
 * big" error of a router on the path, which teaches the namespace the
 * path MTU.
 *
 * Return: 0 with @out filled when both came; -ETIMEDOUT when one did not
 * (@out says which did); -EPROTO when an error-queue entry could not be
 * decoded (zc_errq_decode(): @out->why says why); -errno of a socket call.
 */
int zc_pmtu_probe(int family, const char *dst, size_t size, int timeout_ms,
		  struct zc_pmtu_probe *out);

#endif /* ZC_CAUSES_H */
