// SPDX-License-Identifier: GPL-2.0
/* Holds: see zc_hold.h. */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include "zc_hold.h"
#include "zc_net.h"
#include "zc_sys.h"

#define HOLD_CHILD_PARENT	TC_H_MAKE(1U << 16, 1)	/* 1:1 */
#define HOLD_CHILD_HANDLE	TC_H_MAKE(10U << 16, 0)	/* 10: */
#define HOLD_CHILD_LIMIT	4096			/* packets */
#define HOLD_PLUG_SIZE		1400

/* The hold's root tbf: 48 bit/s, or fast enough to let all go at once. */
#define HOLD_SLOW_RATE		6		/* bytes/s */
#define HOLD_SLOW_BURST		1600
#define HOLD_FAST_RATE		1250000000U	/* 10 Gbit/s */
#define HOLD_FAST_BURST		(1 << 20)

/* A traffic-control request for @ifindex, its attributes still to add. */
static struct nlmsghdr *tc_msg(char *buf, int type, int flags, int ifindex,
			       uint32_t parent, uint32_t handle)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct tcmsg *tcm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = time(NULL);
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_parent = parent;
	tcm->tcm_handle = handle;
	return nlh;
}

/* Send @nlh on @nl; 0 when the kernel acknowledged it, else -errno. */
static int tc_talk(struct mnl_socket *nl, struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int seq = nlh->nlmsg_seq, portid;
	int ret;

	portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (ret < 0)
		return -errno;
	ret = mnl_cb_run(buf, ret, seq, portid, NULL, NULL);
	return ret < 0 ? -errno : 0;
}

/* Delete the hold's child (its packets with it), or add a new pfifo. */
static int child(struct mnl_socket *nl, int ifindex, bool add)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct tc_fifo_qopt opt = { .limit = HOLD_CHILD_LIMIT };
	struct nlmsghdr *nlh;

	nlh = tc_msg(buf, add ? RTM_NEWQDISC : RTM_DELQDISC,
		     add ? NLM_F_CREATE | NLM_F_EXCL : 0, ifindex,
		     HOLD_CHILD_PARENT, add ? HOLD_CHILD_HANDLE : 0);
	if (add) {
		mnl_attr_put_strz(nlh, TCA_KIND, "pfifo");
		mnl_attr_put(nlh, TCA_OPTIONS, sizeof(opt), &opt);
	}
	return tc_talk(nl, nlh);
}

/* Change the rate of the hold's root tbf, keeping its child and packets. */
static int rate(struct mnl_socket *nl, int ifindex, uint32_t bytes_per_s,
		uint32_t burst)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct tc_tbf_qopt opt = {
		.rate = {
			.rate = bytes_per_s,
			.linklayer = TC_LINKLAYER_ETHERNET,
		},
		.limit = HOLD_CHILD_LIMIT,	/* the child pfifo's, kept */
	};
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	nlh = tc_msg(buf, RTM_NEWQDISC, 0, ifindex, TC_H_ROOT,
		     TC_H_MAKE(1U << 16, 0));
	mnl_attr_put_strz(nlh, TCA_KIND, "tbf");
	nest = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put(nlh, TCA_TBF_PARMS, sizeof(opt), &opt);
	mnl_attr_put_u32(nlh, TCA_TBF_BURST, burst);
	mnl_attr_nest_end(nlh, nest);
	return tc_talk(nl, nlh);
}

/* The index of @dev as namespace @netns numbers it. */
static int ifindex_in(const char *netns, const char *dev)
{
	struct ifreq ifr = { 0 };
	int fd, ret;

	if (strlen(dev) >= sizeof(ifr.ifr_name))
		return -ENODEV;
	strcpy(ifr.ifr_name, dev);
	fd = zc_netns_socket(netns, AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return fd;
	ret = ioctl(fd, SIOCGIFINDEX, &ifr) ? -errno : ifr.ifr_ifindex;
	close(fd);
	return ret;
}

static int plug(const char *netns)
{
	static char data[HOLD_PLUG_SIZE];
	struct zc_addr dst;
	int fd, i, ret = 0;

	zc_addr_parse(&dst, ZC_HOLD_PLUG_DST, 9);
	fd = zc_netns_socket(netns, AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return fd;
	for (i = 0; i < 2 && !ret; i++)
		if (sendto(fd, data, sizeof(data), 0,
			   (struct sockaddr *)&dst.ss, dst.len) < 0)
			ret = -errno;
	close(fd);
	return ret;
}

/* An rtnetlink socket in namespace @netns (NULL: the caller's). */
static struct mnl_socket *tc_open(const char *netns, int *err)
{
	struct mnl_socket *nl;
	int fd;

	fd = zc_netns_socket(netns, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	if (fd < 0) {
		*err = fd;
		return NULL;
	}
	nl = mnl_socket_fdopen(fd);
	if (!nl) {
		*err = -errno;
		close(fd);
		return NULL;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID)) {
		*err = -errno;
		mnl_socket_close(nl);
		return NULL;
	}
	return nl;
}

/* @dev's index, and an rtnetlink socket, in namespace @netns. */
static struct mnl_socket *hold_open(const char *netns, const char *dev,
				    int *ifindex, int *err)
{
	*ifindex = ifindex_in(netns, dev);
	if (*ifindex < 0) {
		*err = *ifindex;
		return NULL;
	}
	return tc_open(netns, err);
}

int zc_hold_release(const char *netns, const char *dev)
{
	struct mnl_socket *nl;
	int ifindex, ret;

	nl = hold_open(netns, dev, &ifindex, &ret);
	if (!nl)
		return ret;
	/* Deleting the child frees its packets; a new one holds again. */
	ret = child(nl, ifindex, false);
	if (!ret)
		ret = child(nl, ifindex, true);
	mnl_socket_close(nl);
	return ret ? ret : plug(netns);
}

int zc_hold_pass(const char *netns, const char *dev)
{
	struct mnl_socket *nl;
	int ifindex, ret;

	nl = hold_open(netns, dev, &ifindex, &ret);
	if (!nl)
		return ret;
	/*
	 * A change of rate does not run the queue: the plug's datagrams,
	 * enqueued behind the held packets, do, and the whole queue goes
	 * out inside their send.  The device drops the plug (an ifb
	 * drops what was not redirected to it) and sends back to their way
	 * the packets that were.  Slow again, a new plug holds again.
	 */
	ret = rate(nl, ifindex, HOLD_FAST_RATE, HOLD_FAST_BURST);
	if (!ret)
		ret = plug(netns);
	if (!ret)
		ret = rate(nl, ifindex, HOLD_SLOW_RATE, HOLD_SLOW_BURST);
	mnl_socket_close(nl);
	return ret ? ret : plug(netns);
}
