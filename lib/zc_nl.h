/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Netlink from C, through libmnl: the devices, features and routes of a
 * network namespace, read and changed without shelling out to ip or
 * ethtool.  Every call takes the namespace by name (/run/netns/NAME, NULL
 * for the caller's own) and opens its netlink socket there
 * (zc_netns_socket()), so that a test can look at, and restore, the
 * forwarder's devices from the sender's namespace.
 *
 *   rtnetlink  RTM_GETLINK (name, kind from IFLA_LINKINFO/IFLA_INFO_KIND,
 *              MTU, MAC address, tun queues), RTM_NEWLINK (MTU),
 *              RTM_GETROUTE (route type, output device, route MTU)
 *   ethtool    ETHTOOL_MSG_FEATURES_GET/SET over generic netlink
 *              (CONFIG_ETHTOOL_NETLINK, 5.6): features by their names as
 *              `ethtool -k` prints them, e.g. "tx-scatter-gather"
 *
 * Plain helpers: they return -errno and never assert.
 */
#ifndef ZC_NL_H
#define ZC_NL_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/if_ether.h>

#define ZC_KIND_LEN	16

struct nlmsghdr;

/* Called for each message of a reply (libmnl's mnl_cb_t). */
typedef int (*zc_nl_cb)(const struct nlmsghdr *nlh, void *data);

/**
 * zc_nl_request() - send the request @nlh (built with libmnl) on a netlink
 * socket of @bus opened in @netns, and feed every message of the reply to
 * @cb (NULL: none is wanted) until the kernel's acknowledgement, error, or
 * the end of a dump (NLM_F_DUMP).  A request that is no dump asks for an
 * acknowledgement.  The reply must come within 5 s (stretched by
 * KSFT_MACHINE_SLOW).
 *
 * Return: 0; the kernel's -errno; -EAGAIN when no reply came in time;
 * -errno from the socket.
 */
int zc_nl_request(const char *netns, int bus, struct nlmsghdr *nlh,
		  zc_nl_cb cb, void *data);

struct zc_link {
	int ifindex;
	char name[IF_NAMESIZE];
	char kind[ZC_KIND_LEN];	/* IFLA_INFO_KIND ("veth", "ifb", "tun"),
				 * "" for a device without one (a NIC) */
	unsigned int mtu;
	uint8_t mac[ETH_ALEN];	/* IFLA_ADDRESS of an Ethernet-like
				 * device, zeros for one without (tun) */
	bool up;		/* IFF_UP */
	int tun_queues;		/* tun: queues with a file attached
				 * (IFLA_TUN_NUM_QUEUES), else -1 */
};

/**
 * zc_link_get() - the device @ifindex, or if 0 the device named @name, of
 * namespace @netns (NULL: the caller's own)
 *
 * Return: 0 with @l filled; -ENODEV when there is no such device; -errno
 * from the socket or the kernel.
 */
int zc_link_get(const char *netns, int ifindex, const char *name,
		struct zc_link *l);

/**
 * zc_link_set_mtu() - set the MTU of device @dev in @netns (RTM_NEWLINK)
 *
 * Return: 0, or -errno from the kernel (-EINVAL: out of the device's
 * range).
 */
int zc_link_set_mtu(const char *netns, const char *dev, unsigned int mtu);

/**
 * zc_link_set_up() - set device @dev of @netns up or down (RTM_NEWLINK)
 *
 * Return: 0, or -errno from the kernel.
 */
int zc_link_set_up(const char *netns, const char *dev, bool up);

struct zc_route {
	int type;		/* RTN_UNICAST, RTN_LOCAL, ... */
	int oif;		/* output device, 0 if none */
	char dev[IF_NAMESIZE];	/* its name, "" if none */
	unsigned int mtu;	/* RTAX_MTU: the path MTU the route carries
				 * (learned or configured), 0 if none */
};

/**
 * zc_route_get() - how namespace @netns routes a packet to @dst (numeric
 * address of @family), as `ip route get` does (RTM_GETROUTE)
 *
 * Return: 0 with @r filled; -EINVAL when @dst is not an address of
 * @family; -ENETUNREACH and friends as the kernel refuses the lookup.
 */
int zc_route_get(const char *netns, int family, const char *dst,
		 struct zc_route *r);

/**
 * zc_route_add_dev() - route @prefix/@plen (numeric, of @family) out of
 * device @dev in @netns, with no gateway (RTM_NEWROUTE, main table)
 *
 * Return: 0; -EINVAL when @prefix is not an address of @family; -errno
 * from the kernel (-EEXIST: the route is there).
 */
int zc_route_add_dev(const char *netns, int family, const char *prefix,
		     int plen, const char *dev);

/**
 * zc_route_flush_cached() - forget what @netns learned about the path to
 * @dst (a path MTU): for IPv6 the cached route of @dst is deleted
 * (RTM_DELROUTE with RTM_F_CLONED), for IPv4 every learned exception is
 * invalidated through the namespace's net.ipv4.route.flush.
 *
 * Return: 0; 0 as well when nothing was cached; -errno.
 */
int zc_route_flush_cached(const char *netns, int family, const char *dst);

/** zc_route_type_name() - "local", "unicast", ... for an RTN_ value */
const char *zc_route_type_name(int type);

#define ZC_FEATURES_MAX	96
#define ZC_FEATURE_LEN	32	/* ETH_GSTRING_LEN */

struct zc_feature {
	char name[ZC_FEATURE_LEN];
	bool hw;		/* the driver lets it change */
	bool wanted;		/* asked for */
	bool active;		/* in effect */
};

struct zc_features {
	unsigned int n;
	struct zc_feature f[ZC_FEATURES_MAX];
};

/**
 * zc_features_get() - every feature of device @dev in @netns with its
 * state (ETHTOOL_MSG_FEATURES_GET)
 *
 * Return: 0; -EOPNOTSUPP when the kernel has no ethtool netlink family
 * (before 5.6, or CONFIG_ETHTOOL_NETLINK off); -ENODEV; -errno.
 */
int zc_features_get(const char *netns, const char *dev,
		    struct zc_features *f);

/** zc_feature_find() - the feature named @name in @f, or NULL */
const struct zc_feature *zc_feature_find(const struct zc_features *f,
					 const char *name);

/**
 * zc_features_set() - ask for the @n features @names of @dev in @netns to
 * be on or off (ETHTOOL_MSG_FEATURES_SET, as `ethtool -K` does).  Names
 * the device does not know are an error; the kernel may refuse or adjust
 * dependent features, so callers read the result back.
 *
 * Return: 0; -EOPNOTSUPP as for zc_features_get(); -errno from the
 * kernel (-EINVAL: a feature the driver does not let change).
 */
int zc_features_set(const char *netns, const char *dev,
		    const char *const *names, unsigned int n, bool on);

/**
 * zc_features_restore() - set the wanted state of every feature whose
 * wanted state differs between @was (read earlier) and now, back to what
 * @was says.
 *
 * Return: 0, or the first -errno of zc_features_get()/zc_features_set().
 */
int zc_features_restore(const char *netns, const char *dev,
			const struct zc_features *was);

#endif /* ZC_NL_H */
