/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sockets, addresses, the data pattern and the zero-copy sender.
 * Plain helpers: they return -errno and never assert.
 */
#ifndef ZC_NET_H
#define ZC_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "zc_errqueue.h"
#include "zc_tracker.h"

/* What older libc headers lack (Linux 4.14). */
#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY 60
#endif
#ifndef MSG_ZEROCOPY
#define MSG_ZEROCOPY 0x4000000
#endif

struct zc_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	int family;
};

/**
 * zc_addr_parse() - fill @a from a numeric IPv4 or IPv6 address and @port
 *
 * Return: 0, or -EINVAL when @ip is not a numeric address.
 */
int zc_addr_parse(struct zc_addr *a, const char *ip, uint16_t port);

/** zc_addr_any() - the wildcard address of @family with @port */
void zc_addr_any(struct zc_addr *a, int family, uint16_t port);

/** zc_addr_port() - the port of @a, host order */
uint16_t zc_addr_port(const struct zc_addr *a);

/** zc_proto_name() - "tcp" or "udp" for SOCK_STREAM or SOCK_DGRAM */
const char *zc_proto_name(int type);

/**
 * zc_socket() - a close-on-exec socket of @family and @type (SOCK_STREAM
 * for TCP, SOCK_DGRAM for UDP) whose blocking calls give up after
 * @timeout_ms (SO_SNDTIMEO, SO_RCVTIMEO; connect() honours the former).
 *
 * Return: the descriptor, or -errno.
 */
int zc_socket(int family, int type, int timeout_ms);

/**
 * zc_connect() - connect @fd to the numeric address @ip, port @port
 *
 * Return: 0, -EINVAL when @ip is not a numeric address, or -errno of
 * connect().
 */
int zc_connect(int fd, const char *ip, uint16_t port);

/**
 * zc_open() - zc_socket(@family, @type, @timeout_ms) with SO_ZEROCOPY
 * set, connected to @ip port @port; not connected when @ip is NULL.
 *
 * Return: the descriptor, or -errno of the failed step (-EINVAL for an
 * @ip that is not a numeric address).
 */
int zc_open(int family, int type, const char *ip, uint16_t port,
	    int timeout_ms);

/**
 * zc_set_tos() - set the IPv4 TOS (IP_TOS) or IPv6 traffic class
 * (IPV6_TCLASS) of @fd, a socket of @family, to @tos; the packets it
 * sends from now on, retransmissions included, carry it.
 *
 * Return: 0, or -errno.
 */
int zc_set_tos(int fd, int family, int tos);

/**
 * zc_set_zerocopy() - set SO_ZEROCOPY on @fd
 *
 * Return: 0, or -errno as the kernel gave it (see
 * zc_zerocopy_unsupported()).
 */
int zc_set_zerocopy(int fd);

/**
 * zc_tcp_repair_connect() - make TCP socket @fd an established connection
 * to @dst without a handshake (TCP_REPAIR, CAP_NET_ADMIN): MSS @mss, a
 * send window of 64 KiB, Nagle off, repair mode left without a window
 * probe.  Nothing on the path needs to answer; nothing will acknowledge
 * the data either: zc_tcp_abort() frees it.
 *
 * Return: 0, or -errno of the step that failed (-EPERM: not
 * CAP_NET_ADMIN).
 */
int zc_tcp_repair_connect(int fd, const struct zc_addr *dst, int mss);

/**
 * zc_tcp_abort() - drop the connection of @fd (connect(AF_UNSPEC)): the
 * kernel frees every queued skb, so every zero-copy id completes, and
 * sends a reset.  The sk_err that the abort sets (ECONNRESET) is read
 * and cleared, so that it is not mistaken for an error of the path.
 *
 * Return: 0, or -errno.
 */
int zc_tcp_abort(int fd);

/**
 * zc_unsent() - bytes of TCP socket @fd not yet transmitted (SIOCOUTQNSD)
 *
 * Return: the count, or -errno.
 */
long zc_unsent(int fd);

/* The kernel-internal ENOTSUPP, which <errno.h> does not define. */
#define ZC_ENOTSUPP 524

/**
 * zc_zerocopy_unsupported() - whether @err from zc_set_zerocopy() means
 * "this kernel has no MSG_ZEROCOPY for this socket": -ENOPROTOOPT before
 * 4.14 (no SO_ZEROCOPY at all); -ENOTSUPP (524) from 4.14 to 5.17, e.g.
 * UDP before 5.0 (b5947e5d1e71); -EOPNOTSUPP since 869420a8be19 ("SO_ZEROCOPY
 * should return -EOPNOTSUPP rather than -ENOTSUPP", v5.18).  Any other
 * error is a failure.
 */
bool zc_zerocopy_unsupported(int err);

/*
 * The bytes every test sends: byte @off of a stream.  Not periodic at any
 * power of two, so that a datagram or segment delivered at the wrong
 * offset does not compare equal.  UDP datagrams carry their sequence
 * number in their first 4 bytes (little endian) instead.
 */
static inline uint8_t zc_pattern(uint64_t off)
{
	return (uint8_t)((off * 131) ^ (off >> 7) ^ (off >> 17));
}

/** zc_fill() - write the pattern of stream offsets @off.. into @buf */
void zc_fill(void *buf, size_t len, uint64_t off);

/**
 * zc_fill_datagram() - write datagram @seq of @size bytes (at least 4)
 * into @buf as the receiver checks it: @seq in its first 4 bytes (little
 * endian), then the pattern of stream offsets @seq * @size + 4 on, as if
 * the datagrams were cut from one stream.
 */
void zc_fill_datagram(void *buf, size_t size, uint32_t seq);

/**
 * zc_verify() - compare @buf with the pattern from stream offset @off
 *
 * Return: the index of the first differing byte, or -1 if all match.
 */
long zc_verify(const void *buf, size_t len, uint64_t off);

/* A socket sending with MSG_ZEROCOPY, its ids accounted by a tracker. */
struct zc_sender {
	int fd;
	int type;
	struct zc_tracker *t;
	struct zc_errq q;
	unsigned int drain_every;	/* read the error queue at least this
					 * often; 0: never while sending */
	struct zc_wait wait;		/* bounds of a wait for room (ENOBUFS) */
	uint64_t calls;			/* send calls the kernel accepted */
	uint64_t bytes;			/* bytes the kernel accepted */
	uint64_t enobufs;		/* ENOBUFS seen, waited for, retried */
	uint64_t eintr;			/* EINTR seen and retried */
	unsigned int since_drain;
	char why[384];			/* why a send gave up */
};

/**
 * zc_sender_init() - account zero-copy sends on connected socket @fd (with
 * SO_ZEROCOPY set) in @t, reading the error queue every @drain_every sends
 * (0: not while sending).
 */
void zc_sender_init(struct zc_sender *s, int fd, int family, int type,
		    struct zc_tracker *t, unsigned int drain_every,
		    const struct zc_wait *wait);

/**
 * zc_sender_send() - send all of @buf with MSG_ZEROCOPY: one call for a
 * datagram, as many as needed for a stream.  Each call the kernel accepts
 * takes one id, recorded in the tracker (a zero-length TCP send takes
 * none).  The error queue is read every drain_every sends, so that unread
 * notifications never exhaust optmem (the ENOBUFS the upstream selftest
 * hit after dfa2f0483360), and a POLLERR it does not explain is an error.
 * A call interrupted (EINTR) is repeated; on ENOBUFS the sender waits for
 * a completion and repeats the call.  Both are counted.  Nothing is ever
 * skipped: either all of @buf was sent, or an error is returned.
 *
 * Return: 0; -ENOBUFS when no completion came to make room within
 * wait.max_ms, or none could come (s->why says which); -ENOSPC when the tracker is full; an error of zc_errq_check()
 * (-EPROTO, -EIO, -ENOMSG); or the -errno of send().
 */
int zc_sender_send(struct zc_sender *s, const void *buf, size_t len);

#endif /* ZC_NET_H */
