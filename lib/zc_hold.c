// SPDX-License-Identifier: GPL-2.0
/* Holds: see zc_hold.h. */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include "zc_hold.h"
#include "zc_net.h"
#include "zc_nl.h"
#include "zc_sys.h"

#define HOLD_CHILD_PARENT	TC_H_MAKE(1U << 16, 1)	/* 1:1 */
#define HOLD_CHILD_HANDLE	TC_H_MAKE(10U << 16, 0)	/* 10: */

/* Fast enough for the hold's root tbf to let all go at once. */
#define HOLD_FAST_RATE		1250000000U	/* 10 Gbit/s */
#define HOLD_FAST_BURST		(1 << 20)

/* What netns/hold.sh made the holds with (ZC_HOLD_*, see zc_hold.h). */
struct hold {
	const char *netns;
	int ifindex;
	struct zc_addr plug_dst;
	unsigned int plug_size;
	unsigned int rate;		/* bytes/s */
	unsigned int burst;
	unsigned int limit;
};

/* The positive integer in variable @name; 0 when unset or not one. */
static unsigned int env_uint(const char *name)
{
	const char *v = zc_getenv(name, NULL);
	unsigned long n;
	char *end;

	if (!v)
		return 0;
	errno = 0;
	n = strtoul(v, &end, 0);
	if (errno || *end || n > UINT_MAX)
		return 0;
	return n;
}

/* The hold @dev of @netns and its parameters; -EINVAL when one is unset. */
static int hold_get(struct hold *h, const char *netns, const char *dev)
{
	struct zc_link l;
	int ret;

	h->netns = netns;
	h->plug_size = env_uint("ZC_HOLD_PLUG_SIZE");
	h->rate = env_uint("ZC_HOLD_RATE") / 8;
	h->burst = env_uint("ZC_HOLD_BURST");
	h->limit = env_uint("ZC_HOLD_LIMIT");
	if (!h->plug_size || h->plug_size > 65507 || !h->rate || !h->burst ||
	    !h->limit ||
	    zc_addr_parse(&h->plug_dst, zc_getenv("ZC_HOLD_DST4", ""), 9))
		return -EINVAL;
	ret = zc_link_get(netns, 0, dev, &l);
	if (ret)
		return ret;
	h->ifindex = l.ifindex;
	return 0;
}

/* A traffic-control request for the hold, its attributes still to add. */
static struct nlmsghdr *tc_msg(char *buf, int type, int flags,
			       const struct hold *h, uint32_t parent,
			       uint32_t handle)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct tcmsg *tcm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = h->ifindex;
	tcm->tcm_parent = parent;
	tcm->tcm_handle = handle;
	return nlh;
}

/* Delete the hold's child (its packets with it), or add a new pfifo. */
static int child(const struct hold *h, bool add)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct tc_fifo_qopt opt = { .limit = h->limit };
	struct nlmsghdr *nlh;

	nlh = tc_msg(buf, add ? RTM_NEWQDISC : RTM_DELQDISC,
		     add ? NLM_F_CREATE | NLM_F_EXCL : 0, h,
		     HOLD_CHILD_PARENT, add ? HOLD_CHILD_HANDLE : 0);
	if (add) {
		mnl_attr_put_strz(nlh, TCA_KIND, "pfifo");
		mnl_attr_put(nlh, TCA_OPTIONS, sizeof(opt), &opt);
	}
	return zc_nl_request(h->netns, NETLINK_ROUTE, nlh, NULL, NULL);
}

/* Change the rate of the hold's root tbf, keeping its child and packets. */
static int rate(const struct hold *h, uint32_t bytes_per_s, uint32_t burst)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct tc_tbf_qopt opt = {
		.rate = {
			.rate = bytes_per_s,
			.linklayer = TC_LINKLAYER_ETHERNET,
		},
		.limit = h->limit,	/* the child pfifo's, kept */
	};
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	nlh = tc_msg(buf, RTM_NEWQDISC, 0, h, TC_H_ROOT,
		     TC_H_MAKE(1U << 16, 0));
	mnl_attr_put_strz(nlh, TCA_KIND, "tbf");
	nest = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put(nlh, TCA_TBF_PARMS, sizeof(opt), &opt);
	mnl_attr_put_u32(nlh, TCA_TBF_BURST, burst);
	mnl_attr_nest_end(nlh, nest);
	return zc_nl_request(h->netns, NETLINK_ROUTE, nlh, NULL, NULL);
}

static int plug(const struct hold *h)
{
	static char data[65507];
	int fd, i, ret = 0;

	fd = zc_netns_socket(h->netns, AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return fd;
	for (i = 0; i < 2 && !ret; i++)
		if (sendto(fd, data, h->plug_size, 0,
			   (struct sockaddr *)&h->plug_dst.ss,
			   h->plug_dst.len) < 0)
			ret = -errno;
	close(fd);
	return ret;
}

int zc_hold_release(const char *netns, const char *dev)
{
	struct hold h;
	int ret;

	ret = hold_get(&h, netns, dev);
	if (ret)
		return ret;
	/* Deleting the child frees its packets; a new one holds again. */
	ret = child(&h, false);
	if (ret)
		return ret;
	/* Without a child the tbf drops all it is sent: no hold any more. */
	ret = child(&h, true);
	if (ret)
		return ret == -ENOENT ? -ENOTRECOVERABLE : ret;
	return plug(&h);
}

int zc_hold_pass(const char *netns, const char *dev)
{
	struct hold h;
	int ret, slow;

	ret = hold_get(&h, netns, dev);
	if (ret)
		return ret;
	/*
	 * A change of rate does not run the queue: the plug's datagrams,
	 * enqueued behind the held packets, do, and the whole queue goes
	 * out inside their send.  The device drops the plug (an ifb
	 * drops what was not redirected to it) and sends back to their way
	 * the packets that were.  Slow again, a new plug holds again.
	 * Slow again in any case: a fast tbf would hold nothing for the
	 * tests after this one.
	 */
	ret = rate(&h, HOLD_FAST_RATE, HOLD_FAST_BURST);
	if (!ret)
		ret = plug(&h);
	slow = rate(&h, h.rate, h.burst);
	if (!ret)
		ret = slow;
	return ret ? ret : plug(&h);
}
