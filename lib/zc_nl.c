// SPDX-License-Identifier: GPL-2.0
/* Netlink helpers through libmnl: see zc_nl.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "zc_nl.h"
#include "zc_sys.h"

/* A reply that never comes must not hang a test. */
#define NL_TIMEOUT_MS	5000
/*
 * Room for one reply: a device's features with their names take more
 * than MNL_SOCKET_BUFFER_SIZE (a page), and a shorter buffer truncates.
 */
#define NL_BUF		32768

/* A netlink socket of @bus in @netns, bound, with a receive deadline. */
static struct mnl_socket *nl_open(const char *netns, int bus, int *err)
{
	struct timeval tv = {
		.tv_sec = zc_slow_ms(NL_TIMEOUT_MS) / 1000,
	};
	struct mnl_socket *nl;
	int fd;

	fd = zc_netns_socket(netns, AF_NETLINK, SOCK_RAW, bus);
	if (fd < 0) {
		*err = fd;
		return NULL;
	}
	/* The only bound on the wait for a reply. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		*err = -errno;
		close(fd);
		return NULL;
	}
	nl = mnl_socket_fdopen(fd);
	if (!nl) {
		*err = -errno;
		close(fd);
		return NULL;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		*err = -errno;
		mnl_socket_close(nl);
		return NULL;
	}
	return nl;
}

/*
 * Send @nlh and feed the replies to @cb until the kernel's ACK, error or
 * end of a dump.  Return: 0, or -errno (the kernel's, or -EAGAIN when
 * nothing came within the deadline).
 */
static int nl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh,
		   mnl_cb_t cb, void *data)
{
	char buf[NL_BUF];
	unsigned int portid = mnl_socket_get_portid(nl);
	unsigned int seq = (unsigned int)time(NULL);
	ssize_t n;
	int ret;

	nlh->nlmsg_seq = seq;
	/* NLM_F_DUMP is two bits that new-object flags reuse (EXCL). */
	if ((nlh->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)
		nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		ret = mnl_cb_run(buf, n, seq, portid, cb, data);
	} while (ret > MNL_CB_STOP);
	return ret < 0 ? -errno : 0;
}

int zc_nl_request(const char *netns, int bus, struct nlmsghdr *nlh,
		  zc_nl_cb cb, void *data)
{
	struct mnl_socket *nl;
	int ret = 0;

	nl = nl_open(netns, bus, &ret);
	if (!nl)
		return ret;
	ret = nl_talk(nl, nlh, cb, data);
	mnl_socket_close(nl);
	return ret;
}

/* Copy attribute string @a into @dst of @len bytes. */
static void attr_str(const struct nlattr *a, char *dst, size_t len)
{
	snprintf(dst, len, "%.*s", (int)mnl_attr_get_payload_len(a),
		 mnl_attr_get_str(a));
}

/* ---- links ---- */

static int tun_data_cb(const struct nlattr *a, void *data)
{
	struct zc_link *l = data;

	if (mnl_attr_get_type(a) == IFLA_TUN_NUM_QUEUES &&
	    !mnl_attr_validate(a, MNL_TYPE_U32))
		l->tun_queues = (int)mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

static int linkinfo_cb(const struct nlattr *a, void *data)
{
	struct zc_link *l = data;

	switch (mnl_attr_get_type(a)) {
	case IFLA_INFO_KIND:
		attr_str(a, l->kind, sizeof(l->kind));
		break;
	case IFLA_INFO_DATA:
		/* The kind comes first in the kernel's reply. */
		if (!strcmp(l->kind, "tun"))
			mnl_attr_parse_nested(a, tun_data_cb, l);
		break;
	}
	return MNL_CB_OK;
}

static int link_attr_cb(const struct nlattr *a, void *data)
{
	struct zc_link *l = data;

	switch (mnl_attr_get_type(a)) {
	case IFLA_IFNAME:
		attr_str(a, l->name, sizeof(l->name));
		break;
	case IFLA_MTU:
		if (!mnl_attr_validate(a, MNL_TYPE_U32))
			l->mtu = mnl_attr_get_u32(a);
		break;
	case IFLA_ADDRESS:
		if (mnl_attr_get_payload_len(a) == ETH_ALEN)
			memcpy(l->mac, mnl_attr_get_payload(a), ETH_ALEN);
		break;
	case IFLA_LINKINFO:
		mnl_attr_parse_nested(a, linkinfo_cb, l);
		break;
	}
	return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct zc_link *l = data;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	l->ifindex = ifi->ifi_index;
	l->up = ifi->ifi_flags & IFF_UP;
	return mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, l);
}

int zc_link_get(const char *netns, int ifindex, const char *name,
		struct zc_link *l)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;
	int ret;

	memset(l, 0, sizeof(*l));
	l->tun_queues = -1;
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	if (!ifindex)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	ret = zc_nl_request(netns, NETLINK_ROUTE, nlh, link_cb, l);
	if (!ret && !l->ifindex)
		ret = -ENODEV;
	return ret;
}

int zc_link_set_mtu(const char *netns, const char *dev, unsigned int mtu)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, dev);
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return zc_nl_request(netns, NETLINK_ROUTE, nlh, NULL, NULL);
}

int zc_link_set_up(const char *netns, const char *dev, bool up)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, dev);
	return zc_nl_request(netns, NETLINK_ROUTE, nlh, NULL, NULL);
}

/* ---- routes ---- */

/* A route request for @addr/@plen; -EINVAL when @addr is no address. */
static struct nlmsghdr *route_msg(char *buf, int type, unsigned int flags,
				  int family, const char *addr, int plen)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	unsigned char bin[16];
	struct rtmsg *rtm;

	if (inet_pton(family, addr, bin) != 1)
		return NULL;
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = family;
	rtm->rtm_dst_len = plen;
	mnl_attr_put(nlh, RTA_DST, family == AF_INET6 ? 16 : 4, bin);
	return nlh;
}

int zc_route_add_dev(const char *netns, int family, const char *prefix,
		     int plen, const char *dev)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	struct zc_link l;
	int ret;

	nlh = route_msg(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, family,
			prefix, plen);
	if (!nlh)
		return -EINVAL;
	ret = zc_link_get(netns, 0, dev, &l);
	if (ret)
		return ret;
	rtm = mnl_nlmsg_get_payload(nlh);
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_OIF, l.ifindex);
	return zc_nl_request(netns, NETLINK_ROUTE, nlh, NULL, NULL);
}

int zc_route_flush_cached(const char *netns, int family, const char *dst)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int fd, ret;

	if (family == AF_INET) {
		fd = zc_netns_open(netns, "/proc/sys/net/ipv4/route/flush",
				   O_WRONLY);
		if (fd < 0)
			return fd;
		ret = write(fd, "1\n", 2) == 2 ? 0 : -errno;
		close(fd);
		return ret;
	}
	nlh = route_msg(buf, RTM_DELROUTE, 0, family, dst,
			family == AF_INET6 ? 128 : 32);
	if (!nlh)
		return -EINVAL;
	rtm = mnl_nlmsg_get_payload(nlh);
	rtm->rtm_flags = RTM_F_CLONED;
	ret = zc_nl_request(netns, NETLINK_ROUTE, nlh, NULL, NULL);
	return ret == -ESRCH || ret == -ENOENT ? 0 : ret;
}

static int metrics_cb(const struct nlattr *a, void *data)
{
	struct zc_route *r = data;

	if (mnl_attr_get_type(a) == RTAX_MTU &&
	    !mnl_attr_validate(a, MNL_TYPE_U32))
		r->mtu = mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

static int route_attr_cb(const struct nlattr *a, void *data)
{
	struct zc_route *r = data;

	switch (mnl_attr_get_type(a)) {
	case RTA_OIF:
		if (!mnl_attr_validate(a, MNL_TYPE_U32))
			r->oif = (int)mnl_attr_get_u32(a);
		break;
	case RTA_METRICS:
		mnl_attr_parse_nested(a, metrics_cb, r);
		break;
	}
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct zc_route *r = data;

	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return MNL_CB_OK;
	r->type = rtm->rtm_type;
	return mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, r);
}

int zc_route_get(const char *netns, int family, const char *dst,
		 struct zc_route *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct zc_link l;
	int ret;

	memset(r, 0, sizeof(*r));
	nlh = route_msg(buf, RTM_GETROUTE, 0, family, dst,
			family == AF_INET6 ? 128 : 32);
	if (!nlh)
		return -EINVAL;
	ret = zc_nl_request(netns, NETLINK_ROUTE, nlh, route_cb, r);
	if (ret || !r->oif)
		return ret;
	if (!zc_link_get(netns, r->oif, NULL, &l))
		snprintf(r->dev, sizeof(r->dev), "%s", l.name);
	return 0;
}

const char *zc_route_type_name(int type)
{
	static const char *const names[] = {
		[RTN_UNSPEC] = "none", [RTN_UNICAST] = "unicast",
		[RTN_LOCAL] = "local", [RTN_BROADCAST] = "broadcast",
		[RTN_ANYCAST] = "anycast", [RTN_MULTICAST] = "multicast",
		[RTN_BLACKHOLE] = "blackhole",
		[RTN_UNREACHABLE] = "unreachable",
		[RTN_PROHIBIT] = "prohibit", [RTN_THROW] = "throw",
		[RTN_NAT] = "nat", [RTN_XRESOLVE] = "xresolve",
	};

	if (type < 0 || type >= (int)(sizeof(names) / sizeof(names[0])))
		return "unknown";
	return names[type];
}

/* ---- ethtool features over generic netlink ---- */

static int family_attr_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
	    !mnl_attr_validate(a, MNL_TYPE_U16))
		*(int *)data = mnl_attr_get_u16(a);
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr_cb,
			      data);
}

/* The id of the "ethtool" family: ids are the same in every namespace. */
static int ethtool_family(const char *netns)
{
	static int id;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	int found = 0, ret;

	if (id)
		return id;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, ETHTOOL_GENL_NAME);
	ret = zc_nl_request(netns, NETLINK_GENERIC, nlh, family_cb, &found);
	if (ret == -ENOENT || (!ret && !found))
		return -EOPNOTSUPP;
	if (ret)
		return ret;
	id = found;
	return id;
}

/* An ethtool request for @dev with @cmd, its header nest filled. */
static struct nlmsghdr *ethtool_msg(char *buf, int family, int cmd,
				    const char *dev)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;
	struct nlattr *hdr;

	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = ETHTOOL_GENL_VERSION;
	hdr = mnl_attr_nest_start(nlh, ETHTOOL_A_FEATURES_HEADER);
	mnl_attr_put_strz(nlh, ETHTOOL_A_HEADER_DEV_NAME, dev);
	mnl_attr_nest_end(nlh, hdr);
	return nlh;
}

struct bits_ctx {
	struct zc_features *f;
	int set;		/* ETHTOOL_A_FEATURES_HW, _WANTED, _ACTIVE */
	bool nomask;		/* ETHTOOL_A_BITSET_NOMASK seen */
	char name[ZC_FEATURE_LEN];
	bool value;
};

static struct zc_feature *feature_add(struct zc_features *f,
				      const char *name)
{
	struct zc_feature *x = (struct zc_feature *)zc_feature_find(f, name);

	if (x || f->n == ZC_FEATURES_MAX)
		return x;
	x = &f->f[f->n++];
	memset(x, 0, sizeof(*x));
	snprintf(x->name, sizeof(x->name), "%s", name);
	return x;
}

static int bit_cb(const struct nlattr *a, void *data)
{
	struct bits_ctx *c = data;

	switch (mnl_attr_get_type(a)) {
	case ETHTOOL_A_BITSET_BIT_NAME:
		attr_str(a, c->name, sizeof(c->name));
		break;
	case ETHTOOL_A_BITSET_BIT_VALUE:
		c->value = true;
		break;
	}
	return MNL_CB_OK;
}

static int bits_cb(const struct nlattr *a, void *data)
{
	struct bits_ctx *c = data;
	struct zc_feature *x;

	if (mnl_attr_get_type(a) != ETHTOOL_A_BITSET_BITS_BIT)
		return MNL_CB_OK;
	c->name[0] = '\0';
	c->value = false;
	mnl_attr_parse_nested(a, bit_cb, c);
	x = c->name[0] ? feature_add(c->f, c->name) : NULL;
	if (!x)
		return MNL_CB_OK;
	if (c->set == ETHTOOL_A_FEATURES_HW)
		x->hw = c->nomask || c->value;
	else if (c->set == ETHTOOL_A_FEATURES_WANTED)
		x->wanted = c->nomask || c->value;
	else
		x->active = c->nomask || c->value;
	return MNL_CB_OK;
}

/*
 * A bitset in its verbose form lists bits by name.  With a mask, it lists
 * the masked bits and those set carry ETHTOOL_A_BITSET_BIT_VALUE; without
 * one (ETHTOOL_A_BITSET_NOMASK, which the kernel puts before the list),
 * it lists the bits that are set.  A bit not listed is off.
 */
static int bitset_cb(const struct nlattr *a, void *data)
{
	struct bits_ctx *c = data;

	switch (mnl_attr_get_type(a)) {
	case ETHTOOL_A_BITSET_NOMASK:
		c->nomask = true;
		break;
	case ETHTOOL_A_BITSET_BITS:
		mnl_attr_parse_nested(a, bits_cb, c);
		break;
	}
	return MNL_CB_OK;
}

static int features_attr_cb(const struct nlattr *a, void *data)
{
	struct bits_ctx c = { .f = data, .set = mnl_attr_get_type(a) };

	if (c.set == ETHTOOL_A_FEATURES_HW ||
	    c.set == ETHTOOL_A_FEATURES_WANTED ||
	    c.set == ETHTOOL_A_FEATURES_ACTIVE)
		mnl_attr_parse_nested(a, bitset_cb, &c);
	return MNL_CB_OK;
}

static int features_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr),
			      features_attr_cb, data);
}

int zc_features_get(const char *netns, const char *dev,
		    struct zc_features *f)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int family = ethtool_family(netns);

	memset(f, 0, sizeof(*f));
	if (family < 0)
		return family;
	nlh = ethtool_msg(buf, family, ETHTOOL_MSG_FEATURES_GET, dev);
	return zc_nl_request(netns, NETLINK_GENERIC, nlh, features_cb, f);
}

const struct zc_feature *zc_feature_find(const struct zc_features *f,
					 const char *name)
{
	unsigned int i;

	for (i = 0; i < f->n; i++)
		if (!strcmp(f->f[i].name, name))
			return &f->f[i];
	return NULL;
}

/* Ask for @n features: names[i] wanted as on[i]. */
static int features_want(const char *netns, const char *dev,
			 const char *const *names, const bool *on,
			 unsigned int n)
{
	char buf[NL_BUF];
	struct nlattr *set, *bits, *bit;
	struct nlmsghdr *nlh;
	int family = ethtool_family(netns);
	unsigned int i;

	if (family < 0)
		return family;
	nlh = ethtool_msg(buf, family, ETHTOOL_MSG_FEATURES_SET, dev);
	set = mnl_attr_nest_start(nlh, ETHTOOL_A_FEATURES_WANTED);
	bits = mnl_attr_nest_start(nlh, ETHTOOL_A_BITSET_BITS);
	for (i = 0; i < n; i++) {
		bit = mnl_attr_nest_start(nlh, ETHTOOL_A_BITSET_BITS_BIT);
		mnl_attr_put_strz(nlh, ETHTOOL_A_BITSET_BIT_NAME, names[i]);
		if (on[i])
			mnl_attr_put(nlh, ETHTOOL_A_BITSET_BIT_VALUE, 0, NULL);
		mnl_attr_nest_end(nlh, bit);
	}
	mnl_attr_nest_end(nlh, bits);
	mnl_attr_nest_end(nlh, set);
	return zc_nl_request(netns, NETLINK_GENERIC, nlh, NULL, NULL);
}

int zc_features_set(const char *netns, const char *dev,
		    const char *const *names, unsigned int n, bool on)
{
	bool want[ZC_FEATURES_MAX];
	unsigned int i;

	if (n > ZC_FEATURES_MAX)
		return -E2BIG;
	for (i = 0; i < n; i++)
		want[i] = on;
	return features_want(netns, dev, names, want, n);
}

int zc_features_restore(const char *netns, const char *dev,
			const struct zc_features *was)
{
	const char *names[ZC_FEATURES_MAX];
	bool want[ZC_FEATURES_MAX];
	const struct zc_feature *now;
	struct zc_features cur;
	unsigned int i, n = 0;
	int ret;

	ret = zc_features_get(netns, dev, &cur);
	if (ret)
		return ret;
	for (i = 0; i < was->n; i++) {
		now = zc_feature_find(&cur, was->f[i].name);
		if (!now || now->wanted == was->f[i].wanted || !now->hw)
			continue;
		names[n] = was->f[i].name;
		want[n++] = was->f[i].wanted;
	}
	return n ? features_want(netns, dev, names, want, n) : 0;
}
