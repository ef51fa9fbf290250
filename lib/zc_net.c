// SPDX-License-Identifier: GPL-2.0
/* Sockets, addresses, pattern and zero-copy sender: see zc_net.h. */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/sockios.h>

#include "zc_net.h"
#include "zc_sys.h"

int zc_addr_parse(struct zc_addr *a, const char *ip, uint16_t port)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		a->len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		a->len = sizeof(*sin6);
	} else {
		return -EINVAL;
	}
	a->family = a->ss.ss_family;
	return 0;
}

void zc_addr_any(struct zc_addr *a, int family, uint16_t port)
{
	zc_addr_parse(a, family == AF_INET6 ? "::" : "0.0.0.0", port);
}

uint16_t zc_addr_port(const struct zc_addr *a)
{
	if (a->family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
}

const char *zc_proto_name(int type)
{
	return type == SOCK_STREAM ? "tcp" : "udp";
}

int zc_socket(int family, int type, int timeout_ms)
{
	struct timeval tv = {
		.tv_sec = timeout_ms / 1000,
		.tv_usec = (timeout_ms % 1000) * 1000,
	};
	int fd, err;

	fd = socket(family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int zc_connect(int fd, const char *ip, uint16_t port)
{
	struct zc_addr a;

	if (zc_addr_parse(&a, ip, port))
		return -EINVAL;
	return connect(fd, (struct sockaddr *)&a.ss, a.len) ? -errno : 0;
}

int zc_open(int family, int type, const char *ip, uint16_t port,
	    int timeout_ms)
{
	struct zc_addr a;
	int fd, ret;

	if (ip && zc_addr_parse(&a, ip, port))
		return -EINVAL;
	fd = zc_socket(family, type, timeout_ms);
	if (fd < 0)
		return fd;
	ret = zc_set_zerocopy(fd);
	if (!ret && ip)
		ret = zc_connect(fd, ip, port);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

int zc_set_tos(int fd, int family, int tos)
{
	if (family == AF_INET6)
		return setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos,
				  sizeof(tos)) ? -errno : 0;
	return setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)) ?
	       -errno : 0;
}

int zc_set_zerocopy(int fd)
{
	int one = 1;

	return setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)) ?
	       -errno : 0;
}

int zc_tcp_repair_connect(int fd, const struct zc_addr *dst, int mss)
{
	int on = TCP_REPAIR_ON, off = TCP_REPAIR_OFF_NO_WP, one = 1;
	struct tcp_repair_window w;
	socklen_t len = sizeof(w);

	/* The MSS clamp is taken at connect(); without a peer's SYN it
	 * would stay at the RFC default of 536.
	 */
	if (setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on)) ||
	    connect(fd, (const struct sockaddr *)&dst->ss, dst->len) ||
	    getsockopt(fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, &len))
		return -errno;
	/* A zero window (as connect() left it) would send nothing. */
	w.snd_wnd = 65535;
	w.max_window = 65535;
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, sizeof(w)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof(off)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		return -errno;
	return 0;
}

int zc_tcp_abort(int fd)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };
	socklen_t len = sizeof(int);
	int err;

	if (connect(fd, &sa, sizeof(sa)))
		return -errno;
	return getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) ? -errno : 0;
}

long zc_unsent(int fd)
{
	int n;

	return ioctl(fd, SIOCOUTQNSD, &n) ? -errno : n;
}

bool zc_zerocopy_unsupported(int err)
{
	return err == -ENOPROTOOPT || err == -EOPNOTSUPP || err == -ZC_ENOTSUPP;
}

void zc_fill(void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = zc_pattern(off + i);
}

void zc_fill_datagram(void *buf, size_t size, uint32_t seq)
{
	uint32_t le = htole32(seq);

	memcpy(buf, &le, sizeof(le));
	zc_fill((uint8_t *)buf + sizeof(le), size - sizeof(le),
		(uint64_t)seq * size + sizeof(le));
}

long zc_verify(const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != zc_pattern(off + i))
			return (long)i;
	return -1;
}

void zc_sender_init(struct zc_sender *s, int fd, int family, int type,
		    struct zc_tracker *t, unsigned int drain_every,
		    const struct zc_wait *wait)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->type = type;
	s->t = t;
	s->drain_every = drain_every;
	s->wait = *wait;
	zc_errq_init(&s->q, family);
}

/*
 * ENOBUFS: optmem or locked pages are short until a send completes and its
 * notification is read.  Wait for one; give up when none can come or none
 * came in time.  Return: 0 to try again, or -errno.
 */
static int make_room(struct zc_sender *s, int64_t *deadline)
{
	int ret;

	s->enobufs++;
	if (!*deadline)
		*deadline = zc_now_ms() + s->wait.max_ms;
	if (!zc_tracker_missing(s->t)) {
		/* Nothing in flight: only unread notifications can help. */
		ret = zc_errq_check(s->fd, &s->q, s->t);
		if (ret > 0)
			return 0;
		if (!ret)
			snprintf(s->why, sizeof(s->why),
				 "ENOBUFS with no send in flight and no notification unread: net.core.optmem_max or RLIMIT_MEMLOCK is too small for one send");
		return ret ? ret : -ENOBUFS;
	}
	ret = zc_errq_wait_one(s->fd, &s->q, s->t, &s->wait);
	if (!ret && zc_now_ms() < *deadline)
		return 0;
	if (!ret || ret == -ETIMEDOUT) {
		snprintf(s->why, sizeof(s->why),
			 "ENOBUFS %llu times, and completions did not make room within %d ms%s%s",
			 (unsigned long long)s->enobufs, s->wait.max_ms,
			 s->q.why[0] ? ": " : "", s->q.why);
		return -ENOBUFS;
	}
	return ret;
}

int zc_sender_send(struct zc_sender *s, const void *buf, size_t len)
{
	int64_t deadline = 0;
	const char *p = buf;
	ssize_t n;
	int ret;

	for (;;) {
		if (s->drain_every && s->since_drain >= s->drain_every) {
			ret = zc_errq_check(s->fd, &s->q, s->t);
			if (ret < 0)
				return ret;
			s->since_drain = 0;
		}
		n = send(s->fd, p, len, MSG_ZEROCOPY);
		if (n < 0 && errno == EINTR) {
			s->eintr++;
			continue;
		}
		if (n < 0 && errno == ENOBUFS) {
			ret = make_room(s, &deadline);
			if (ret)
				return ret;
			continue;
		}
		if (n < 0)
			return -errno;
		/* A call the kernel accepted took one id, zero-length UDP
		 * included (KERNEL-FACTS 3); zero-length TCP takes none.
		 */
		if (n || s->type != SOCK_STREAM) {
			ret = zc_tracker_issue(s->t, NULL);
			if (ret)
				return ret;
			s->calls++;
			s->since_drain++;
		}
		s->bytes += n;
		p += n;
		len -= n;
		if (s->type != SOCK_STREAM || !len)
			return 0;
	}
}
