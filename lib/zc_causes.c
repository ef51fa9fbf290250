// SPDX-License-Identifier: GPL-2.0
/* Planting the causes of copies: see zc_causes.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/errqueue.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>

#include "zc_causes.h"
#include "zc_errqueue.h"
#include "zc_net.h"
#include "zc_sys.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

int zc_tap_open(const char *netns, int type, unsigned int proto,
		const char *dev, unsigned int flags)
{
	/* "ret #0": drop every packet. */
	struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog prog = { .len = 1, .filter = &drop };
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(proto),
	};
	int fd, one = 1, ret = 0;

	/*
	 * A new namespace has nothing but its own lo: neither a named
	 * namespace nor a device of the caller's can be there.
	 */
	if ((flags & ZC_TAP_NEW_NETNS) && ((netns && *netns) || dev))
		return -EINVAL;
	if (flags & ZC_TAP_NEW_NETNS)
		fd = zc_netns_socket_new(AF_PACKET, type, htons(proto));
	else
		fd = zc_netns_socket(netns, AF_PACKET, type, htons(proto));
	if (fd < 0)
		return fd;
	if (dev) {
		struct zc_link l;

		ret = zc_link_get(netns, 0, dev, &l);
		if (!ret) {
			sll.sll_ifindex = l.ifindex;
			if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
				ret = -errno;
		}
	}
	if (!ret && (flags & ZC_TAP_IGNORE_OUTGOING) &&
	    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
		       sizeof(one)))
		ret = -errno;
	if (!ret && (flags & ZC_TAP_DROP_FILTER) &&
	    setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)))
		ret = -errno;
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

const char *zc_offload_name(enum zc_offload which)
{
	return which == ZC_OFFLOAD_SG ? "scatter-gather" :
					"tx checksum offload";
}

/* The features `ethtool -K DEV sg|tx` changes. */
static bool in_group(enum zc_offload which, const char *name)
{
	if (which == ZC_OFFLOAD_SG)
		return !strcmp(name, "tx-scatter-gather");
	return !strncmp(name, "tx-checksum-", strlen("tx-checksum-"));
}

int zc_offload_set(const char *netns, const char *dev,
		   enum zc_offload which, bool on, struct zc_features *saved)
{
	const char *names[ZC_FEATURES_MAX];
	struct zc_features f;
	unsigned int i, n = 0;
	int ret;

	ret = zc_features_get(netns, dev, &f);
	if (ret)
		return ret;
	if (saved)
		*saved = f;
	for (i = 0; i < f.n; i++)
		if (f.f[i].hw && in_group(which, f.f[i].name))
			names[n++] = f.f[i].name;
	if (!n)
		return -EOPNOTSUPP;
	ret = zc_features_set(netns, dev, names, n, on);
	if (ret)
		return ret;
	ret = zc_features_get(netns, dev, &f);
	if (ret)
		return ret;
	for (i = 0; i < f.n; i++)
		if (f.f[i].hw && in_group(which, f.f[i].name) &&
		    f.f[i].active != on)
			return -EIO;
	return 0;
}

int zc_tun_open(const char *name, unsigned int flags)
{
	struct ifreq ifr = {
		.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE,
	};
	int fd, ret = 0;

	if (strlen(name) >= sizeof(ifr.ifr_name))
		return -ENAMETOOLONG;
	strcpy(ifr.ifr_name, name);
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, TUNSETIFF, &ifr))
		ret = -errno;
	else if ((flags & ZC_TUN_CSUM) &&
		 ioctl(fd, TUNSETOFFLOAD, (unsigned long)TUN_F_CSUM))
		ret = -errno;
	else
		ret = zc_link_set_up(NULL, name, true);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

int zc_tun_attach(int fd, bool attach)
{
	struct ifreq ifr = {
		.ifr_flags = attach ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE,
	};

	return ioctl(fd, TUNSETQUEUE, &ifr) ? -errno : 0;
}

/*
 * Read what the probe's error queue holds; 1 when both entries came,
 * -EPROTO when one could not be decoded (@out->why says why).
 */
static int probe_read(int fd, int family, struct zc_pmtu_probe *out)
{
	char control[CMSG_SPACE(sizeof(struct sock_extended_err)) +
		     CMSG_SPACE(sizeof(struct sockaddr_in6))];
	struct msghdr msg = { 0 };
	struct zc_errq_entry e;
	uint8_t icmp = family == AF_INET6 ? SO_EE_ORIGIN_ICMP6 :
					    SO_EE_ORIGIN_ICMP;

	for (;;) {
		msg.msg_control = control;
		msg.msg_controllen = sizeof(control);
		msg.msg_flags = 0;
		if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return errno == EAGAIN ? 0 : -errno;
		if (zc_errq_decode(family, &msg, &e, out->why,
				   sizeof(out->why)))
			return -EPROTO;
		if (e.origin == SO_EE_ORIGIN_ZEROCOPY) {
			out->completed = true;
			out->copied = e.code & SO_EE_CODE_ZEROCOPY_COPIED;
		} else if (e.origin == icmp) {
			out->errno_seen = e.err;
			out->mtu = e.info;
		}
		if (out->completed && out->mtu)
			return 1;
	}
}

int zc_pmtu_probe(int family, const char *dst, size_t size, int timeout_ms,
		  struct zc_pmtu_probe *out)
{
	static char buf[65536];
	int64_t end = zc_now_ms() + timeout_ms;
	struct pollfd pfd = { .events = 0 };
	int level = family == AF_INET6 ? SOL_IPV6 : SOL_IP;
	int opt = family == AF_INET6 ? IPV6_RECVERR : IP_RECVERR;
	struct zc_addr a;
	int fd, one = 1, ret;

	memset(out, 0, sizeof(*out));
	if (size > sizeof(buf) || zc_addr_parse(&a, dst, 9) ||
	    a.family != family)
		return -EINVAL;
	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = zc_set_zerocopy(fd);
	if (!ret && setsockopt(fd, level, opt, &one, sizeof(one)))
		ret = -errno;
	if (!ret && sendto(fd, buf, size, MSG_ZEROCOPY,
			   (struct sockaddr *)&a.ss, a.len) < 0)
		ret = -errno;
	pfd.fd = fd;
	while (!ret) {
		ret = probe_read(fd, family, out);
		if (ret)
			break;
		if (!zc_left_ms(end)) {
			ret = -ETIMEDOUT;
			break;
		}
		if (poll(&pfd, 1, zc_left_ms(end)) < 0 && errno != EINTR)
			ret = -errno;
	}
	close(fd);
	return ret < 0 ? ret : 0;
}
