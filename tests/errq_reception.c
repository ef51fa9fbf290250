// SPDX-License-Identifier: GPL-2.0
/*
 * errq_reception: how an application receives zero-copy notifications
 * (msg_zerocopy.rst, "Notification Reception"), and the error queue
 * shared with transmit timestamps.
 *
 * reception.*, recvmmsg.ip*_udp, mapped.ip6_*: UDP to the sink (a send
 * completes inside the call), TCP to the receiver.
 *   raises_pollerr_until_drained     poll(events 0) reports POLLERR while
 *                                    a notification is queued, not after
 *                                    it was read; SO_ERROR stays 0
 *   blocks_neither_send_nor_recv     a queued notification does not make
 *                                    send() or recv() fail
 *   returns_eagain_at_once_if_empty  recvmsg(MSG_ERRQUEUE) on an empty
 *                                    queue: EAGAIN without waiting, on a
 *                                    blocking socket too
 *   flags_truncated_control          a control buffer too small: the
 *                                    message has MSG_CTRUNC, and the
 *                                    reader rejects it saying so
 *   recvmmsg: reads_several_per_recvmmsg  recvmmsg(MSG_ERRQUEUE) returns
 *                                    several entries in one call (UDP:
 *                                    TCP merges its completions)
 *   mapped: uses_ipv6_cmsg_for_mapped  an AF_INET6 socket sending to an
 *                                    IPv4-mapped address gets
 *                                    SOL_IPV6/IPV6_RECVERR
 * tstamp.*: SO_TIMESTAMPING software transmit timestamps and
 * MSG_ZEROCOPY on one socket, to the receiver (veth timestamps in its
 * transmit):
 *   separates_timestamps_from_completions  every send's timestamp
 *                                    arrives, keyed by OPT_ID, and every
 *                                    id completes exactly once; neither
 *                                    kind is taken for the other; the
 *                                    receiver gets every byte as sent
 *
 * Run: ./run_tests.sh -t hold -T errq_reception (root)
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>

#include "kselftest_harness.h"
#include "zc_test.h"
#include "zc_edge.h"

#define SIZE		1000
#define TS_SENDS	8

/* IPv4-mapped destinations: AF_INET6 sockets only. */
#define IP6_ROWS(f) \
	ZC_VARIANT_ROW(f, ip6_udp, AF_INET6, SOCK_DGRAM); \
	ZC_VARIANT_ROW(f, ip6_tcp, AF_INET6, SOCK_STREAM)

ZC_EDGE_SOCK_FIXTURE(reception, ZC_VARIANTS_ALL);
ZC_EDGE_SOCK_FIXTURE(recvmmsg, ZC_VARIANTS_UDP);
ZC_EDGE_SOCK_FIXTURE(mapped, IP6_ROWS);

/*
 * Connect r->fd to the sink (UDP) or a new receiver (TCP); @mapped: the
 * IPv4 destination as an IPv4-mapped address of an AF_INET6 socket.
 */
static void open_path(struct __test_metadata *_metadata, struct zc_edge_sock *r,
		      bool mapped)
{
	const struct zc_edge *e = &r->e;
	struct zc_peer_spec ps = { .family = mapped ? AF_INET : 0 };
	const char *ip4 = e->type == SOCK_DGRAM ? e->h.sink4 : e->topo.dst4;
	char ip[64];

	snprintf(ip, sizeof(ip), "::ffff:%s", ip4);
	if (e->type == SOCK_STREAM)
		r->fd = zc_edge_connect(_metadata, e, &r->peer, &ps,
					mapped ? ip : NULL);
	else
		r->fd = zc_edge_open(_metadata, e->family, SOCK_DGRAM,
				     mapped ? ip : zc_edge_sink(e), 9);
}

/* One zero-copy send on r->fd, its id issued. */
#define send_one() do { \
	static char __buf[SIZE]; \
	ASSERT_EQ(SIZE, send(r->fd, __buf, SIZE, MSG_ZEROCOPY)) \
		TH_LOG("%s: send: %s", r->e.label, strerror(errno)); \
	zc_tracker_issue(&r->t, NULL); \
} while (0)

/* Wait for POLLERR with events 0; the revents. */
static int wait_pollerr(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = 0 };
	int64_t end = zc_now_ms() + timeout_ms;

	while (poll(&pfd, 1, zc_left_ms(end)) < 0 && errno == EINTR)
		;
	return pfd.revents;
}

TEST_F(reception, raises_pollerr_until_drained)
{
	struct zc_edge_sock *r = &self->s;
	int revents, err = -1;
	socklen_t len = sizeof(err);

	open_path(_metadata, r, false);
	send_one();
	revents = wait_pollerr(r->fd, zc_slow_ms(ZC_MAX_MS));
	ASSERT_TRUE(revents & POLLERR)
		TH_LOG("%s: expected POLLERR with a notification queued, poll(events 0) gave 0x%x",
		       r->e.label, revents);
	ASSERT_EQ(0, getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &err, &len))
		TH_LOG("%s: getsockopt(SO_ERROR): %s", r->e.label,
		       strerror(errno));
	ASSERT_EQ(0, err) TH_LOG("%s: SO_ERROR %d (%s) with a notification queued",
				 r->e.label, err, strerror(err));
	ASSERT_EQ(1, zc_errq_drain(r->fd, &r->q, &r->t))
		TH_LOG("%s: %s", r->e.label, r->q.why);
	revents = wait_pollerr(r->fd, 0);
	ASSERT_FALSE(revents & POLLERR)
		TH_LOG("%s: expected no POLLERR once the notification was read, poll(events 0) gave 0x%x",
		       r->e.label, revents);
}

TEST_F(reception, blocks_neither_send_nor_recv)
{
	struct zc_edge_sock *r = &self->s;
	const bool v6 = r->e.family == AF_INET6;
	const char *lo = v6 ? "::1" : "127.0.0.1";
	int bound = zc_slow_ms(ZC_MAX_MS), other, revents;
	struct zc_addr me, sunk;
	socklen_t len = sizeof(me.ss);
	static char buf[SIZE];
	ssize_t n;

	if (r->e.type == SOCK_STREAM) {
		open_path(_metadata, r, false);
	} else {
		/* Unconnected, so that it also receives from loopback. */
		r->fd = zc_edge_open(_metadata, r->e.family, SOCK_DGRAM, NULL,
				     0);
		zc_addr_any(&me, r->e.family, 0);
		ASSERT_EQ(0, bind(r->fd, (struct sockaddr *)&me.ss, me.len))
			TH_LOG("%s: bind to the wildcard address: %s",
			       r->e.label, strerror(errno));
		ASSERT_EQ(0, getsockname(r->fd, (struct sockaddr *)&me.ss,
					 &len))
			TH_LOG("%s: getsockname: %s", r->e.label,
			       strerror(errno));
		ASSERT_EQ(0, zc_addr_parse(&me, lo, zc_addr_port(&me)))
			TH_LOG("%s: address '%s' is not a numeric address",
			       r->e.label, lo);
		ASSERT_EQ(0, zc_addr_parse(&sunk, zc_edge_sink(&r->e), 9))
			TH_LOG("%s: sink address '%s' is not a numeric address",
			       r->e.label, zc_edge_sink(&r->e));
	}
	if (r->e.type == SOCK_DGRAM) {
		ASSERT_EQ(SIZE, sendto(r->fd, buf, SIZE, MSG_ZEROCOPY,
				       (struct sockaddr *)&sunk.ss, sunk.len))
			TH_LOG("%s: zero-copy send to the sink: %s",
			       r->e.label, strerror(errno));
	} else {
		send_one();
	}
	revents = wait_pollerr(r->fd, bound);
	ASSERT_TRUE(revents & POLLERR)
		TH_LOG("%s: expected POLLERR (a notification queued) within %d ms of the send, poll(events 0) gave revents 0x%x",
		       r->e.label, bound, revents);
	/* A copy send with the notification unread. */
	n = r->e.type == SOCK_DGRAM ?
	    sendto(r->fd, buf, SIZE, 0, (struct sockaddr *)&sunk.ss,
		   sunk.len) :
	    send(r->fd, buf, SIZE, 0);
	ASSERT_EQ(SIZE, n) TH_LOG("%s: send with a notification queued: %s",
				  r->e.label, strerror(errno));
	if (r->e.type == SOCK_STREAM) {
		/* Nothing to read: EAGAIN, not the queued entry as an error. */
		n = recv(r->fd, buf, SIZE, MSG_DONTWAIT);
		ASSERT_EQ(-1, n)
			TH_LOG("%s: recv with a notification queued and no data: expected EAGAIN, seen %zd bytes",
			       r->e.label, n);
		ASSERT_EQ(EAGAIN, errno)
			TH_LOG("%s: recv with a notification queued: %s",
			       r->e.label, strerror(errno));
	} else {
		/* A datagram to this socket from another one. */
		other = socket(r->e.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		ASSERT_LE(0, other)
			TH_LOG("%s: a second UDP socket: %s", r->e.label,
			       strerror(errno));
		ASSERT_EQ(5, sendto(other, "hello", 5, 0,
				    (struct sockaddr *)&me.ss, me.len))
			TH_LOG("%s: a datagram to this socket at %s: %s",
			       r->e.label, lo, strerror(errno));
		close(other);
		n = recv(r->fd, buf, SIZE, 0);
		ASSERT_EQ(5, n) TH_LOG("%s: recv with a notification queued: %s",
				       r->e.label,
				       n < 0 ? strerror(errno) : "short");
	}
	ASSERT_TRUE(wait_pollerr(r->fd, 0) & POLLERR)
		TH_LOG("%s: the notification vanished", r->e.label);
}

TEST_F(reception, returns_eagain_at_once_if_empty)
{
	struct zc_edge_sock *r = &self->s;
	int timeout = zc_slow_ms(2000), flags;
	struct timeval tv = { timeout / 1000, (timeout % 1000) * 1000 };
	char control[128];
	struct msghdr msg = {
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	int64_t start, took;
	ssize_t n;

	open_path(_metadata, r, false);
	flags = fcntl(r->fd, F_GETFL);
	ASSERT_LE(0, flags) TH_LOG("%s: F_GETFL: %s", r->e.label,
				   strerror(errno));
	ASSERT_EQ(0, fcntl(r->fd, F_SETFL, flags & ~O_NONBLOCK))
		TH_LOG("%s: clearing O_NONBLOCK: %s", r->e.label,
		       strerror(errno));
	ASSERT_EQ(0, setsockopt(r->fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				sizeof(tv)))
		TH_LOG("%s: SO_RCVTIMEO %d ms: %s", r->e.label, timeout,
		       strerror(errno));
	start = zc_now_ms();
	n = recvmsg(r->fd, &msg, MSG_ERRQUEUE);
	took = zc_now_ms() - start;
	ASSERT_EQ(-1, n) TH_LOG("%s: read an entry from an empty queue",
				r->e.label);
	ASSERT_EQ(EAGAIN, errno) TH_LOG("%s: %s", r->e.label,
					strerror(errno));
	/* A blocking read would have waited for SO_RCVTIMEO. */
	ASSERT_LT(took, timeout / 2)
		TH_LOG("%s: recvmsg(MSG_ERRQUEUE) on an empty queue of a blocking socket took %lld ms (SO_RCVTIMEO %d ms): it blocked",
		       r->e.label, (long long)took, timeout);
}

TEST_F(recvmmsg, reads_several_per_recvmmsg)
{
	struct zc_edge_sock *r = &self->s;
	char control[16][256];
	struct mmsghdr m[16];
	struct zc_addr held, sunk;
	static char buf[SIZE];
	int i, n, ret;

	/* Held and sunk in turn: entries that cannot merge. */
	ASSERT_EQ(0, zc_addr_parse(&held, zc_edge_hold(&r->e), 9))
		TH_LOG("%s: hold address '%s' is not a numeric address",
		       r->e.label, zc_edge_hold(&r->e));
	ASSERT_EQ(0, zc_addr_parse(&sunk, zc_edge_sink(&r->e), 9))
		TH_LOG("%s: sink address '%s' is not a numeric address",
		       r->e.label, zc_edge_sink(&r->e));
	r->fd = zc_edge_open(_metadata, r->e.family, SOCK_DGRAM, NULL, 0);
	for (i = 0; i < 8; i++) {
		struct zc_addr *a = i % 2 ? &sunk : &held;

		ASSERT_EQ(SIZE, sendto(r->fd, buf, SIZE, MSG_ZEROCOPY,
				       (struct sockaddr *)&a->ss, a->len))
			TH_LOG("%s: send %d, to the %s: %s", r->e.label, i,
			       i % 2 ? "sink" : "hold", strerror(errno));
		zc_tracker_issue(&r->t, NULL);
	}
	ret = zc_hold_release(NULL, r->e.h.hold_dev);
	ASSERT_EQ(0, ret) TH_LOG("%s: releasing the hold %s: %s", r->e.label,
				 r->e.h.hold_dev, strerror(-ret));
	memset(m, 0, sizeof(m));
	for (i = 0; i < 16; i++) {
		m[i].msg_hdr.msg_control = control[i];
		m[i].msg_hdr.msg_controllen = sizeof(control[i]);
	}
	n = recvmmsg(r->fd, m, 16, MSG_ERRQUEUE | MSG_DONTWAIT, NULL);
	ASSERT_LT(1, n) TH_LOG("%s: recvmmsg(16, MSG_ERRQUEUE) with 8 separate completions queued returned %d (%s)",
			       r->e.label, n, n < 0 ? strerror(errno) : "");
	/* (The harness's assertions are two statements: braces.) */
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, zc_errq_parse(&r->q, &m[i].msg_hdr, &r->t))
			TH_LOG("%s: entry %d: %s", r->e.label, i,
			       r->q.why);
	}
	ret = zc_errq_drain(r->fd, &r->q, &r->t);
	ASSERT_LE(0, ret)
		TH_LOG("%s: draining what the recvmmsg of %d entries left: %s",
		       r->e.label, n, ret == -EPROTO ? r->q.why :
		       strerror(-ret));
	ASSERT_TRUE(zc_tracker_done(&r->t))
		TH_LOG("%s: %llu ids missing after %d entries in one call",
		       r->e.label,
		       (unsigned long long)zc_tracker_missing(&r->t), n);
}

TEST_F(reception, flags_truncated_control)
{
	struct zc_edge_sock *r = &self->s;
	char control[CMSG_SPACE(4)];
	struct msghdr msg = {
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	int bound = zc_slow_ms(ZC_MAX_MS), revents;

	open_path(_metadata, r, false);
	send_one();
	revents = wait_pollerr(r->fd, bound);
	ASSERT_TRUE(revents & POLLERR)
		TH_LOG("%s: expected POLLERR (a notification queued) within %d ms of the send, poll(events 0) gave revents 0x%x",
		       r->e.label, bound, revents);
	ASSERT_EQ(0, recvmsg(r->fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT))
		TH_LOG("%s: recvmsg: %s", r->e.label, strerror(errno));
	ASSERT_TRUE(msg.msg_flags & MSG_CTRUNC)
		TH_LOG("%s: a %zu-byte control buffer for a sock_extended_err: no MSG_CTRUNC (msg_flags 0x%x)",
		       r->e.label, sizeof(control), msg.msg_flags);
	ASSERT_EQ(-EPROTO, zc_errq_parse(&r->q, &msg, &r->t))
		TH_LOG("%s: the reader accepted a truncated entry", r->e.label);
	ASSERT_NE(NULL, strstr(r->q.why, "MSG_CTRUNC"))
		TH_LOG("%s: the reader said: %s", r->e.label, r->q.why);
}

TEST_F(mapped, uses_ipv6_cmsg_for_mapped)
{
	struct zc_edge_sock *r = &self->s;
	struct zc_wait w = zc_test_wait();
	int ret;

	open_path(_metadata, r, true);
	send_one();
	/* zc_errq accepts only SOL_IPV6/IPV6_RECVERR on AF_INET6. */
	ret = zc_errq_wait(r->fd, &r->q, &r->t, &w);
	ASSERT_EQ(0, ret)
		TH_LOG("%s: to an IPv4-mapped address: %s", r->e.label,
		       r->q.why);
}

/* ---- timestamps and completions on one error queue ---- */

/* Any path with a receiver (veth timestamps in its transmit). */
static void with_receiver(struct __test_metadata *_metadata,
			  struct zc_edge *e, int family, int type)
{
	if (!zc_edge_setup(_metadata, e, family, type, false))
		return;
	if (!e->topo.rx_ns)
		SKIP(return, "topology %s has no receiver", e->topo.name);
}

ZC_EDGE_FIXTURE(tstamp, struct zc_edge, ZC_VARIANTS_ALL, with_receiver,
		zc_edge_teardown);

TEST_F_TIMEOUT(tstamp, separates_timestamps_from_completions, 60)
{
	const struct zc_edge *e = &self->s;
	const bool tcp = e->type == SOCK_STREAM;
	struct zc_peer_spec ps = {
		.bytes = TS_SENDS * SIZE, .datagrams = TS_SENDS, .size = SIZE,
	};
	int flags = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE |
		    SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
	int64_t end = zc_now_ms() + zc_slow_ms(ZC_MAX_MS);
	struct zc_peer peer = { .pid = 0 };
	static char buf[TS_SENDS * SIZE];
	unsigned int stamps = 0, i;
	struct zc_peer_result rx;
	struct zc_errq_entry ee;
	struct zc_tracker t;
	struct zc_errq q;
	char control[256], why[256];
	struct msghdr msg;
	int fd, ret;

	fd = zc_edge_connect(_metadata, e, &peer, &ps, NULL);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags,
				sizeof(flags)))
		TH_LOG("%s: SO_TIMESTAMPING: %s", e->label, strerror(errno));
	ret = zc_tracker_init(&t, 0, TS_SENDS);
	ASSERT_EQ(0, ret) TH_LOG("%s: a tracker of %d ids: %s", e->label,
				 TS_SENDS, strerror(-ret));
	zc_errq_init(&q, e->family);
	for (i = 0; i < TS_SENDS; i++) {
		if (tcp)
			zc_fill(buf + i * SIZE, SIZE, (uint64_t)i * SIZE);
		else
			zc_fill_datagram(buf + i * SIZE, SIZE, i);
		ASSERT_EQ(SIZE, send(fd, buf + i * SIZE, SIZE, MSG_ZEROCOPY))
			TH_LOG("%s: send %u of %d with timestamps: %s",
			       e->label, i, TS_SENDS, strerror(errno));
		zc_tracker_issue(&t, NULL);
	}

	/* Until every id completed and every send has its timestamp. */
	while ((zc_tracker_missing(&t) || stamps < TS_SENDS) &&
	       zc_now_ms() < end) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_control = control;
		msg.msg_controllen = sizeof(control);
		if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
			ASSERT_EQ(EAGAIN, errno)
				TH_LOG("%s: recvmsg(MSG_ERRQUEUE): expected an entry or EAGAIN, seen %s",
				       e->label, strerror(errno));
			if (!zc_tracker_missing(&t) && tcp)
				break;	/* TCP may stamp fewer: below */
			wait_pollerr(fd, zc_left_ms(end));
			continue;
		}
		ASSERT_EQ(0, zc_errq_decode(e->family, &msg, &ee, why,
					    sizeof(why)))
			TH_LOG("%s: %s", e->label, why);
		if (ee.origin == SO_EE_ORIGIN_ZEROCOPY) {
			ASSERT_FALSE(ee.has_ts)
				TH_LOG("%s: a zero-copy completion [%u,%u] carried a timestamp",
				       e->label, ee.info, ee.data);
			ASSERT_EQ(0U, ee.err)
				TH_LOG("%s: a zero-copy completion [%u,%u] with ee_errno %u",
				       e->label, ee.info, ee.data, ee.err);
			zc_tracker_complete(&t, ee.info, ee.data, ee.code &
					    SO_EE_CODE_ZEROCOPY_COPIED);
			continue;
		}
		ASSERT_EQ(SO_EE_ORIGIN_TIMESTAMPING, ee.origin)
			TH_LOG("%s: an entry of origin %u", e->label,
			       ee.origin);
		ASSERT_EQ(ENOMSG, (int)ee.err)
			TH_LOG("%s: timestamp entry %u: expected ee_errno ENOMSG, seen %u",
			       e->label, ee.data, ee.err);
		ASSERT_EQ(SCM_TSTAMP_SND, (int)ee.info)
			TH_LOG("%s: timestamp entry %u: expected SCM_TSTAMP_SND (%d), seen ee_info %u",
			       e->label, ee.data, SCM_TSTAMP_SND, ee.info);
		ASSERT_TRUE(ee.has_ts)
			TH_LOG("%s: timestamp entry %u without SCM_TIMESTAMPING",
			       e->label, ee.data);
		/* OPT_ID: UDP counts datagrams, TCP the last byte's offset. */
		if (tcp) {
			ASSERT_EQ(SIZE - 1, (int)(ee.data % SIZE))
				TH_LOG("%s: timestamp key %u is not the last byte of a send",
				       e->label, ee.data);
		} else {
			ASSERT_EQ(stamps, ee.data)
				TH_LOG("%s: timestamp key %u, expected %u",
				       e->label, ee.data, stamps);
		}
		stamps++;
	}
	fprintf(TH_LOG_STREAM, "# %s: %u timestamps, %llu notifications for %u ids\n",
		e->label, stamps, (unsigned long long)t.notifications,
		t.issued);
	ASSERT_TRUE(zc_tracker_done(&t))
		TH_LOG("%s: ids not completed exactly once beside timestamps: %llu missing, %llu unknown",
		       e->label,
		       (unsigned long long)zc_tracker_missing(&t),
		       (unsigned long long)t.anomaly[ZC_UNKNOWN].events);
	if (tcp) {
		/* A send merged into an unsent segment shares its stamp. */
		ASSERT_LE(1U, stamps) TH_LOG("%s: no timestamp", e->label);
	} else {
		ASSERT_EQ((unsigned int)TS_SENDS, stamps)
			TH_LOG("%s: %u timestamps for %d datagrams",
			       e->label, stamps, TS_SENDS);
	}
	if (tcp)
		ASSERT_EQ(0, shutdown(fd, SHUT_WR))
			TH_LOG("%s: shutdown(SHUT_WR): %s", e->label,
			       strerror(errno));
	zc_edge_finish(_metadata, e, &peer, &rx);
	ASSERT_EQ(0U, rx.bad + rx.duplicates)
		TH_LOG("%s: with timestamps on, the receiver saw %u %s not as sent (the first at %s %lld) and %u datagrams twice",
		       e->label, rx.bad, tcp ? "reads" : "datagrams",
		       tcp ? "stream offset" : "datagram",
		       (long long)rx.first_bad, rx.duplicates);
	ASSERT_EQ(0, rx.err) TH_LOG("%s: receiver: %s", e->label, rx.why);
	ASSERT_EQ(tcp ? (uint64_t)TS_SENDS * SIZE : TS_SENDS,
		  tcp ? rx.bytes : rx.datagrams)
		TH_LOG("%s: expected %d %s, the receiver got %llu bytes in %u datagrams (%s)",
		       e->label, tcp ? TS_SENDS * SIZE : TS_SENDS,
		       tcp ? "bytes" : "datagrams",
		       (unsigned long long)rx.bytes, rx.datagrams,
		       rx.why[0] ? rx.why : "no error");
	zc_tracker_free(&t);
	close(fd);
}

TEST_HARNESS_MAIN
