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

/* One request on @nl; 0 when the kernel acknowledged it, else -errno. */
static int request(struct mnl_socket *nl, int type, int flags, int ifindex,
		   uint32_t handle, bool pfifo)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct tc_fifo_qopt opt = { .limit = HOLD_CHILD_LIMIT };
	unsigned int seq = time(NULL), portid;
	struct nlmsghdr *nlh;
	struct tcmsg *tcm;
	int ret;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = seq;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_parent = HOLD_CHILD_PARENT;
	tcm->tcm_handle = handle;
	if (pfifo) {
		mnl_attr_put_strz(nlh, TCA_KIND, "pfifo");
		mnl_attr_put(nlh, TCA_OPTIONS, sizeof(opt), &opt);
	}
	portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (ret < 0)
		return -errno;
	ret = mnl_cb_run(buf, ret, seq, portid, NULL, NULL);
	return ret < 0 ? -errno : 0;
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

int zc_hold_release(const char *netns, const char *dev)
{
	struct mnl_socket *nl;
	int fd, ifindex, ret;

	ifindex = ifindex_in(netns, dev);
	if (ifindex < 0)
		return ifindex;
	fd = zc_netns_socket(netns, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	if (fd < 0)
		return fd;
	nl = mnl_socket_fdopen(fd);
	if (!nl) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ret = mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) ? -errno : 0;
	/* Deleting the child frees its packets; a new one holds again. */
	if (!ret)
		ret = request(nl, RTM_DELQDISC, 0, ifindex, 0, false);
	if (!ret)
		ret = request(nl, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL,
			      ifindex, HOLD_CHILD_HANDLE, true);
	mnl_socket_close(nl);
	return ret ? ret : plug(netns);
}
