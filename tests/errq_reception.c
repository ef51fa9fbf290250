// SPDX-License-Identifier: GPL-2.0
/*
 * errq_reception: how an application receives zero-copy notifications
 * (msg_zerocopy.rst, "Notification Reception"), and the error queue
 * shared with transmit timestamps.
 *
 * reception.*: UDP to the sink (a send completes inside the call), TCP to
 * the receiver.
 *   raises_pollerr_until_drained     poll(events 0) reports POLLERR while
 *                                    a notification is queued, not after
 *                                    it was read; SO_ERROR stays 0
 *   blocks_neither_send_nor_recv     a queued notification does not make
 *                                    send() or recv() fail
 *   returns_eagain_at_once_if_empty  recvmsg(MSG_ERRQUEUE) on an empty
 *                                    queue: EAGAIN without waiting, on a
 *                                    blocking socket too
 *   reads_several_per_recvmmsg       recvmmsg(MSG_ERRQUEUE) returns
 *                                    several entries in one call (UDP)
 *   flags_truncated_control          a control buffer too small: the
 *                                    message has MSG_CTRUNC, and the
 *                                    reader rejects it saying so
 *   uses_ipv6_cmsg_for_mapped        an AF_INET6 socket sending to an
 *                                    IPv4-mapped address gets
 *                                    SOL_IPV6/IPV6_RECVERR (ip6 rows)
 * tstamp.*: SO_TIMESTAMPING software transmit timestamps and
 * MSG_ZEROCOPY on one socket, to the receiver (veth timestamps in its
 * transmit):
 *   separates_timestamps_from_completions  every send's timestamp
 *                                    arrives, keyed by OPT_ID, and every
 *                                    id completes exactly once; neither
 *                                    kind is taken for the other
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

FIXTURE(reception) {
	struct zc_topo topo;
	struct zc_hold_topo h;
	char label[64];
	struct zc_peer peer;
	struct zc_tracker t;
	struct zc_errq q;
	int fd;
};

FIXTURE_VARIANT(reception) {
	int family;
	int type;
};

FIXTURE_VARIANT_ADD(reception, ip4_udp) { .family = AF_INET, .type = SOCK_DGRAM };
FIXTURE_VARIANT_ADD(reception, ip6_udp) { .family = AF_INET6, .type = SOCK_DGRAM };
FIXTURE_VARIANT_ADD(reception, ip4_tcp) { .family = AF_INET, .type = SOCK_STREAM };
FIXTURE_VARIANT_ADD(reception, ip6_tcp) { .family = AF_INET6, .type = SOCK_STREAM };

/*
 * Connect self->fd to the sink (UDP) or a new receiver (TCP); @mapped:
 * the IPv4 destination as an IPv4-mapped address of an AF_INET6 socket.
 */
static void open_path(struct __test_metadata *_metadata,
		      FIXTURE_DATA(reception) *self, int family, int type,
		      bool mapped)
{
	struct zc_peer_spec ps = {
		.netns = self->topo.rx_ns, .family = family, .type = type,
		.idle_ms = zc_slow_ms(ZC_IDLE_MS),
	};
	const char *ip4 = type == SOCK_DGRAM ? self->h.sink4 : self->topo.dst4;
	const char *ip6 = type == SOCK_DGRAM ? self->h.sink6 : self->topo.dst6;
	uint16_t port = 9;
	char ip[64];
	int ret, one = 1;

	if (type == SOCK_STREAM) {
		if (mapped)
			ps.family = AF_INET;
		ret = zc_peer_start(&self->peer, &ps, zc_slow_ms(ZC_READY_MS));
		ASSERT_EQ(0, ret) TH_LOG("receiver: %s", strerror(-ret));
		port = self->peer.port;
	}
	snprintf(ip, sizeof(ip), "%s%s", mapped ? "::ffff:" : "",
		 family == AF_INET6 && !mapped ? ip6 : ip4);
	self->fd = zc_edge_open(family, type, ip, port);
	if (type == SOCK_STREAM)
		setsockopt(self->fd, IPPROTO_TCP, TCP_NODELAY, &one,
			   sizeof(one));
	zc_errq_init(&self->q, family);
}

FIXTURE_SETUP(reception)
{
	self->fd = -1;
	if (!zc_test_setup(_metadata, &self->topo, variant->family,
			   variant->type) ||
	    !zc_hold_load(_metadata, &self->topo, &self->h))
		return;
	snprintf(self->label, sizeof(self->label), "%s_%s@%s",
		 zc_family_tag(variant->family), zc_proto_name(variant->type),
		 self->topo.name);
	ASSERT_EQ(0, zc_tracker_init(&self->t, 0, 64));
}

FIXTURE_TEARDOWN(reception)
{
	if (self->fd >= 0)
		close(self->fd);
	zc_peer_kill(&self->peer);
	zc_tracker_free(&self->t);
	zc_hold_release(NULL, self->h.hold_dev);
}

/* One zero-copy send on self->fd, its id issued. */
#define send_one() do { \
	static char __buf[SIZE]; \
	ASSERT_EQ(SIZE, send(self->fd, __buf, SIZE, MSG_ZEROCOPY)) \
		TH_LOG("%s: send: %s", self->label, strerror(errno)); \
	zc_tracker_issue(&self->t, NULL); \
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
	int revents, err = -1;
	socklen_t len = sizeof(err);

	open_path(_metadata, self, variant->family, variant->type, false);
	send_one();
	revents = wait_pollerr(self->fd, zc_slow_ms(ZC_MAX_MS));
	ASSERT_TRUE(revents & POLLERR)
		TH_LOG("%s: expected POLLERR with a notification queued, poll(events 0) gave 0x%x",
		       self->label, revents);
	ASSERT_EQ(0, getsockopt(self->fd, SOL_SOCKET, SO_ERROR, &err, &len));
	ASSERT_EQ(0, err) TH_LOG("%s: SO_ERROR %d (%s) with a notification queued",
				 self->label, err, strerror(err));
	ASSERT_EQ(1, zc_errq_drain(self->fd, &self->q, &self->t))
		TH_LOG("%s: %s", self->label, self->q.why);
	revents = wait_pollerr(self->fd, 0);
	ASSERT_FALSE(revents & POLLERR)
		TH_LOG("%s: expected no POLLERR once the notification was read, poll(events 0) gave 0x%x",
		       self->label, revents);
}

TEST_F(reception, blocks_neither_send_nor_recv)
{
	const bool v6 = variant->family == AF_INET6;
	struct zc_addr me, sunk;
	socklen_t len = sizeof(me.ss);
	static char buf[SIZE];
	int other, revents;
	ssize_t n;

	if (variant->type == SOCK_STREAM) {
		open_path(_metadata, self, variant->family, SOCK_STREAM, false);
	} else {
		/* Unconnected, so that it also receives from loopback. */
		self->fd = zc_edge_open(variant->family, SOCK_DGRAM, NULL, 0);
		zc_addr_any(&me, variant->family, 0);
		ASSERT_EQ(0, bind(self->fd, (struct sockaddr *)&me.ss, me.len));
		ASSERT_EQ(0, getsockname(self->fd, (struct sockaddr *)&me.ss,
					 &len));
		zc_addr_parse(&me, v6 ? "::1" : "127.0.0.1", zc_addr_port(&me));
		zc_addr_parse(&sunk, v6 ? self->h.sink6 : self->h.sink4, 9);
		zc_errq_init(&self->q, variant->family);
	}
	if (variant->type == SOCK_DGRAM) {
		ASSERT_EQ(SIZE, sendto(self->fd, buf, SIZE, MSG_ZEROCOPY,
				       (struct sockaddr *)&sunk.ss, sunk.len));
	} else {
		send_one();
	}
	revents = wait_pollerr(self->fd, zc_slow_ms(ZC_MAX_MS));
	ASSERT_TRUE(revents & POLLERR) TH_LOG("%s: no notification queued",
					      self->label);
	/* A copy send with the notification unread. */
	n = variant->type == SOCK_DGRAM ?
	    sendto(self->fd, buf, SIZE, 0, (struct sockaddr *)&sunk.ss,
		   sunk.len) :
	    send(self->fd, buf, SIZE, 0);
	ASSERT_EQ(SIZE, n) TH_LOG("%s: send with a notification queued: %s",
				  self->label, strerror(errno));
	if (variant->type == SOCK_STREAM) {
		/* Nothing to read: EAGAIN, not the queued entry as an error. */
		n = recv(self->fd, buf, SIZE, MSG_DONTWAIT);
		ASSERT_EQ(-1, n);
		ASSERT_EQ(EAGAIN, errno)
			TH_LOG("%s: recv with a notification queued: %s",
			       self->label, strerror(errno));
	} else {
		/* A datagram to this socket from another one. */
		other = socket(variant->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		ASSERT_LE(0, other);
		ASSERT_EQ(5, sendto(other, "hello", 5, 0,
				    (struct sockaddr *)&me.ss, me.len));
		close(other);
		n = recv(self->fd, buf, SIZE, 0);
		ASSERT_EQ(5, n) TH_LOG("%s: recv with a notification queued: %s",
				       self->label,
				       n < 0 ? strerror(errno) : "short");
	}
	ASSERT_TRUE(wait_pollerr(self->fd, 0) & POLLERR)
		TH_LOG("%s: the notification vanished", self->label);
}

TEST_F(reception, returns_eagain_at_once_if_empty)
{
	int timeout = zc_slow_ms(2000), flags;
	struct timeval tv = { timeout / 1000, (timeout % 1000) * 1000 };
	char control[128];
	struct msghdr msg = {
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	int64_t start, took;
	ssize_t n;

	open_path(_metadata, self, variant->family, variant->type, false);
	flags = fcntl(self->fd, F_GETFL);
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, flags & ~O_NONBLOCK));
	ASSERT_EQ(0, setsockopt(self->fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				sizeof(tv)));
	start = zc_now_ms();
	n = recvmsg(self->fd, &msg, MSG_ERRQUEUE);
	took = zc_now_ms() - start;
	ASSERT_EQ(-1, n) TH_LOG("%s: read an entry from an empty queue",
				self->label);
	ASSERT_EQ(EAGAIN, errno) TH_LOG("%s: %s", self->label,
					strerror(errno));
	/* A blocking read would have waited for SO_RCVTIMEO. */
	ASSERT_LT(took, timeout / 2)
		TH_LOG("%s: recvmsg(MSG_ERRQUEUE) on an empty queue of a blocking socket took %lld ms (SO_RCVTIMEO %d ms): it blocked",
		       self->label, (long long)took, timeout);
}

TEST_F(reception, reads_several_per_recvmmsg)
{
	const bool v6 = variant->family == AF_INET6;
	char control[16][256];
	struct mmsghdr m[16];
	struct zc_addr held, sunk;
	static char buf[SIZE];
	int i, n;

	if (variant->type != SOCK_DGRAM)
		SKIP(return, "%s: TCP merges its completions: UDP only",
		     self->label);
	/* Held and sunk in turn: entries that cannot merge. */
	zc_addr_parse(&held, v6 ? self->h.hold6 : self->h.hold4, 9);
	zc_addr_parse(&sunk, v6 ? self->h.sink6 : self->h.sink4, 9);
	self->fd = zc_edge_open(variant->family, SOCK_DGRAM, NULL, 0);
	zc_errq_init(&self->q, variant->family);
	for (i = 0; i < 8; i++) {
		struct zc_addr *a = i % 2 ? &sunk : &held;

		ASSERT_EQ(SIZE, sendto(self->fd, buf, SIZE, MSG_ZEROCOPY,
				       (struct sockaddr *)&a->ss, a->len));
		zc_tracker_issue(&self->t, NULL);
	}
	ASSERT_EQ(0, zc_hold_release(NULL, self->h.hold_dev));
	memset(m, 0, sizeof(m));
	for (i = 0; i < 16; i++) {
		m[i].msg_hdr.msg_control = control[i];
		m[i].msg_hdr.msg_controllen = sizeof(control[i]);
	}
	n = recvmmsg(self->fd, m, 16, MSG_ERRQUEUE | MSG_DONTWAIT, NULL);
	ASSERT_LT(1, n) TH_LOG("%s: recvmmsg(16, MSG_ERRQUEUE) with 8 separate completions queued returned %d (%s)",
			       self->label, n, n < 0 ? strerror(errno) : "");
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, zc_errq_parse(&self->q, &m[i].msg_hdr, &self->t))
			TH_LOG("%s: entry %d: %s", self->label, i,
			       self->q.why);
	zc_errq_drain(self->fd, &self->q, &self->t);
	ASSERT_TRUE(zc_tracker_done(&self->t))
		TH_LOG("%s: %llu ids missing after %d entries in one call",
		       self->label,
		       (unsigned long long)zc_tracker_missing(&self->t), n);
}

TEST_F(reception, flags_truncated_control)
{
	char control[CMSG_SPACE(4)];
	struct msghdr msg = {
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	int revents;

	open_path(_metadata, self, variant->family, variant->type, false);
	send_one();
	revents = wait_pollerr(self->fd, zc_slow_ms(ZC_MAX_MS));
	ASSERT_TRUE(revents & POLLERR) TH_LOG("%s: no notification queued",
					      self->label);
	ASSERT_EQ(0, recvmsg(self->fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT))
		TH_LOG("%s: recvmsg: %s", self->label, strerror(errno));
	ASSERT_TRUE(msg.msg_flags & MSG_CTRUNC)
		TH_LOG("%s: a %zu-byte control buffer for a sock_extended_err: no MSG_CTRUNC (msg_flags 0x%x)",
		       self->label, sizeof(control), msg.msg_flags);
	ASSERT_EQ(-EPROTO, zc_errq_parse(&self->q, &msg, &self->t));
	ASSERT_NE(NULL, strstr(self->q.why, "MSG_CTRUNC"))
		TH_LOG("%s: the reader said: %s", self->label, self->q.why);
}

TEST_F(reception, uses_ipv6_cmsg_for_mapped)
{
	struct zc_wait w = zc_edge_wait();
	int ret;

	if (variant->family != AF_INET6)
		SKIP(return, "%s: IPv4-mapped addresses: AF_INET6 sockets",
		     self->label);
	open_path(_metadata, self, AF_INET6, variant->type, true);
	send_one();
	/* zc_errq accepts only SOL_IPV6/IPV6_RECVERR on AF_INET6. */
	ret = zc_errq_wait(self->fd, &self->q, &self->t, &w);
	ASSERT_EQ(0, ret)
		TH_LOG("%s: to an IPv4-mapped address: %s", self->label,
		       self->q.why);
}

/* ---- timestamps and completions on one error queue ---- */

FIXTURE(tstamp) {
	struct zc_topo topo;
	char label[64];
};

FIXTURE_VARIANT(tstamp) {
	int family;
	int type;
};

FIXTURE_VARIANT_ADD(tstamp, ip4_udp) { .family = AF_INET, .type = SOCK_DGRAM };
FIXTURE_VARIANT_ADD(tstamp, ip6_udp) { .family = AF_INET6, .type = SOCK_DGRAM };
FIXTURE_VARIANT_ADD(tstamp, ip4_tcp) { .family = AF_INET, .type = SOCK_STREAM };
FIXTURE_VARIANT_ADD(tstamp, ip6_tcp) { .family = AF_INET6, .type = SOCK_STREAM };

FIXTURE_SETUP(tstamp)
{
	if (!zc_test_setup(_metadata, &self->topo, variant->family,
			   variant->type))
		return;
	if (!self->topo.rx_ns)
		SKIP(return, "topology %s has no receiver", self->topo.name);
	snprintf(self->label, sizeof(self->label), "%s_%s@%s",
		 zc_family_tag(variant->family), zc_proto_name(variant->type),
		 self->topo.name);
}

FIXTURE_TEARDOWN(tstamp)
{
}

TEST_F_TIMEOUT(tstamp, separates_timestamps_from_completions, 60)
{
	const bool tcp = variant->type == SOCK_STREAM;
	struct zc_peer_spec ps = {
		.netns = self->topo.rx_ns, .family = variant->family,
		.type = variant->type, .idle_ms = zc_slow_ms(ZC_IDLE_MS),
		.bytes = TS_SENDS * SIZE, .datagrams = TS_SENDS, .size = SIZE,
	};
	int flags = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE |
		    SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
	int64_t end = zc_now_ms() + zc_slow_ms(ZC_MAX_MS);
	struct zc_peer peer = { .pid = 0 };
	static char buf[TS_SENDS * SIZE];
	unsigned int stamps = 0, i;
	struct zc_errq_entry e;
	struct zc_tracker t;
	struct zc_errq q;
	char control[256], why[256];
	int fd, ret, one = 1;
	struct msghdr msg;
	uint32_t seq;

	ret = zc_peer_start(&peer, &ps, zc_slow_ms(ZC_READY_MS));
	ASSERT_EQ(0, ret) TH_LOG("receiver: %s", strerror(-ret));
	fd = zc_edge_open(variant->family, variant->type,
			  variant->family == AF_INET6 ? self->topo.dst6 :
							self->topo.dst4,
			  peer.port);
	if (tcp)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags,
				sizeof(flags)))
		TH_LOG("SO_TIMESTAMPING: %s", strerror(errno));
	ASSERT_EQ(0, zc_tracker_init(&t, 0, TS_SENDS));
	zc_errq_init(&q, variant->family);
	for (i = 0; i < TS_SENDS; i++) {
		if (!tcp) {
			seq = htole32(i);
			memcpy(buf + i * SIZE, &seq, sizeof(seq));
			zc_fill(buf + i * SIZE + 4, SIZE - 4,
				(uint64_t)i * SIZE + 4);
		} else {
			zc_fill(buf + i * SIZE, SIZE, (uint64_t)i * SIZE);
		}
		ASSERT_EQ(SIZE, send(fd, buf + i * SIZE, SIZE, MSG_ZEROCOPY));
		zc_tracker_issue(&t, NULL);
	}

	/* Until every id completed and every send has its timestamp. */
	while ((zc_tracker_missing(&t) || stamps < TS_SENDS) &&
	       zc_now_ms() < end) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_control = control;
		msg.msg_controllen = sizeof(control);
		if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
			ASSERT_EQ(EAGAIN, errno);
			if (!zc_tracker_missing(&t) && tcp)
				break;	/* TCP may stamp fewer: below */
			wait_pollerr(fd, zc_left_ms(end));
			continue;
		}
		ASSERT_EQ(0, zc_errq_decode(variant->family, &msg, &e, why,
					    sizeof(why)))
			TH_LOG("%s: %s", self->label, why);
		if (e.origin == SO_EE_ORIGIN_ZEROCOPY) {
			ASSERT_FALSE(e.has_ts)
				TH_LOG("%s: a zero-copy completion [%u,%u] carried a timestamp",
				       self->label, e.info, e.data);
			ASSERT_EQ(0U, e.err);
			zc_tracker_complete(&t, e.info, e.data,
					    e.code & SO_EE_CODE_ZEROCOPY_COPIED);
			continue;
		}
		ASSERT_EQ(SO_EE_ORIGIN_TIMESTAMPING, e.origin)
			TH_LOG("%s: an entry of origin %u", self->label,
			       e.origin);
		ASSERT_EQ(ENOMSG, (int)e.err);
		ASSERT_EQ(SCM_TSTAMP_SND, (int)e.info);
		ASSERT_TRUE(e.has_ts)
			TH_LOG("%s: timestamp entry %u without SCM_TIMESTAMPING",
			       self->label, e.data);
		/* OPT_ID: UDP counts datagrams, TCP the last byte's offset. */
		if (tcp) {
			ASSERT_EQ(SIZE - 1, (int)(e.data % SIZE))
				TH_LOG("%s: timestamp key %u is not the last byte of a send",
				       self->label, e.data);
		} else {
			ASSERT_EQ(stamps, e.data)
				TH_LOG("%s: timestamp key %u, expected %u",
				       self->label, e.data, stamps);
		}
		stamps++;
	}
	fprintf(TH_LOG_STREAM, "# %s: %u timestamps, %llu notifications for %u ids\n",
		self->label, stamps, (unsigned long long)t.notifications,
		t.issued);
	ASSERT_TRUE(zc_tracker_done(&t))
		TH_LOG("%s: ids not completed exactly once beside timestamps: %llu missing, %llu unknown",
		       self->label,
		       (unsigned long long)zc_tracker_missing(&t),
		       (unsigned long long)t.anomaly[ZC_UNKNOWN].events);
	if (tcp) {
		/* A send merged into an unsent segment shares its stamp. */
		ASSERT_LE(1U, stamps) TH_LOG("%s: no timestamp", self->label);
	} else {
		ASSERT_EQ((unsigned int)TS_SENDS, stamps)
			TH_LOG("%s: %u timestamps for %d datagrams",
			       self->label, stamps, TS_SENDS);
	}
	if (tcp)
		shutdown(fd, SHUT_WR);
	zc_peer_kill(&peer);
	zc_tracker_free(&t);
	close(fd);
}

TEST_HARNESS_MAIN
