/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Counters of a network namespace, as its /proc/net files show them: per
 * device (/proc/net/dev) and per protocol (/proc/net/snmp, snmp6).  They
 * prove where packets went: that a datagram completed as zero-copy on a
 * path that drops it really reached the dropping device, and was not lost
 * earlier.  Plain helpers: they return -errno and never assert.
 */
#ifndef ZC_COUNTERS_H
#define ZC_COUNTERS_H

#include <stdint.h>

enum zc_dev_stat {
	ZC_DEV_RX_PACKETS,
	ZC_DEV_RX_DROPPED,	/* the "drop" column: rx_dropped + rx_missed */
	ZC_DEV_TX_PACKETS,
	ZC_DEV_TX_DROPPED,
};

/**
 * zc_dev_stat() - one counter of device @dev in network namespace @netns
 * (NULL: the caller's)
 *
 * Return: 0 with @val set; -ENODEV when @dev is not in the namespace;
 * -errno when the file cannot be read.
 */
int zc_dev_stat(const char *netns, const char *dev, enum zc_dev_stat stat,
		uint64_t *val);

/**
 * zc_snmp_stat() - one protocol counter of network namespace @netns
 * @name: "Group.Field" from /proc/net/snmp (e.g. "Ip.ForwDatagrams",
 *        "Udp.OutDatagrams") or a bare name from /proc/net/snmp6 (e.g.
 *        "Ip6OutForwDatagrams")
 *
 * Return: 0 with @val set; -ENOENT when the counter does not exist (an
 * older kernel); -errno when the file cannot be read.
 */
int zc_snmp_stat(const char *netns, const char *name, uint64_t *val);

#endif /* ZC_COUNTERS_H */
