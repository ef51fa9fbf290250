// SPDX-License-Identifier: GPL-2.0
/* Sockets, addresses, pattern and zero-copy sender: see zc_net.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "zc_net.h"
#include "zc_sys.h"

#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY 60
#endif
#ifndef MSG_ZEROCOPY
#define MSG_ZEROCOPY 0x4000000
#endif
/* The kernel-internal ENOTSUPP, not in <errno.h>: SO_ZEROCOPY on a socket
 * type without support returns it from 4.14 to 5.17 (UDP before 5.0).
 */
#define ZC_KERNEL_ENOTSUPP 524

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

int zc_set_zerocopy(int fd)
{
	int one = 1;

	if (!setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)))
		return 0;
	return errno == ZC_KERNEL_ENOTSUPP ? -EOPNOTSUPP : -errno;
}

void zc_fill(void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = zc_pattern(off + i);
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
		    int timeout_ms)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->type = type;
	s->t = t;
	s->drain_every = drain_every ? drain_every : 1;
	s->timeout_ms = timeout_ms;
	zc_errq_init(&s->q, family);
}

static int drain(struct zc_sender *s)
{
	int ret = zc_errq_drain(s->fd, &s->q, s->t);

	s->since_drain = 0;
	return ret < 0 ? ret : 0;
}

/* ENOBUFS: optmem or locked pages are exhausted until completions come. */
static int wait_for_completion(struct zc_sender *s, int64_t deadline)
{
	struct pollfd pfd = { .fd = s->fd, .events = 0 };
	int ret;

	ret = drain(s);
	if (ret)
		return ret;
	if (!zc_left_ms(deadline))
		return -ETIMEDOUT;
	if (poll(&pfd, 1, zc_left_ms(deadline)) < 0 && errno != EINTR)
		return -errno;
	return drain(s);
}

int zc_sender_send(struct zc_sender *s, const void *buf, size_t len)
{
	int64_t deadline = zc_now_ms() + s->timeout_ms;
	const char *p = buf;
	ssize_t n;
	int ret;

	do {
		if (s->since_drain >= s->drain_every) {
			ret = drain(s);
			if (ret)
				return ret;
		}
		n = send(s->fd, p, len, MSG_ZEROCOPY);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != ENOBUFS)
				return -errno;
			s->enobufs++;
			ret = wait_for_completion(s, deadline);
			if (ret)
				return ret;
			continue;
		}
		/* A send the kernel accepted took one id, zero-length UDP
		 * included (KERNEL-FACTS 3).
		 */
		ret = zc_tracker_issue(s->t, NULL);
		if (ret)
			return ret;
		s->calls++;
		s->since_drain++;
		s->bytes += n;
		p += n;
		len -= n;
	} while (len && s->type == SOCK_STREAM);
	return 0;
}
