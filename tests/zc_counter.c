// SPDX-License-Identifier: GPL-2.0
/*
 * zc_counter: the zero-copy id counter and the SO_ZEROCOPY option
 * (msg_zerocopy.rst: "Each successful send call with MSG_ZEROCOPY ...
 * is assigned the next 32-bit id"; "the setsockopt ... is otherwise
 * ignored", "EOPNOTSUPP ... for socket types that do not support it").
 *
 * counter.*: a sequence of calls on one socket, the ids the contract
 * gives them fed to the tracker, and every notification read: an id the
 * kernel gave that the contract does not (or the reverse) shows as an
 * unknown or a missing id, named in the failure.  UDP goes to the sink
 * (each send completes inside the call), TCP to the receiver.
 *
 *   counts_calls_not_bytes            sends of 1 to 3000 bytes: one id each
 *   skips_failed_sends                EMSGSIZE, EFAULT, EAGAIN take none
 *   gives_ids_to_zerocopy_calls_only  copy calls between them take none
 *   takes_one_id_per_sendmmsg_message sendmmsg of 4: 4 ids
 *   ignores_flag_without_sockopt      MSG_ZEROCOPY without SO_ZEROCOPY: a
 *                                     copy, no id, no notification
 *   pauses_counter_when_disabled      SO_ZEROCOPY 0 pauses the counter
 *   takes_no_id_for_zero_length       the rst's rule; UDP takes one here
 *                                     (XFAIL, what was seen)
 *
 * sockopt.*.accepts_only_tcp_and_udp: SO_ZEROCOPY is accepted on TCP and
 * UDP, refused on raw, packet, unix, UDP-Lite and MPTCP sockets with the
 * errno of "unsupported" (EOPNOTSUPP; ENOTSUPP, 524, from 4.14 to 5.17:
 * zc_zerocopy_unsupported()), which is reported.  sockopt_value.*: where
 * accepted, EINVAL for values other than 0 and 1
 * (refuses_values_but_0_and_1), and getsockopt reads back what was set
 * (reads_back_value).  A socket the kernel cannot make is a skip, and so
 * is TCP or UDP on a kernel without MSG_ZEROCOPY for it.
 *
 * Run: ./run_tests.sh -t hold -T zc_counter (root)
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>

#include "kselftest_harness.h"
#include "zc_test.h"
#include "zc_edge.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif


ZC_EDGE_SOCK_FIXTURE(counter, ZC_VARIANTS_ALL);

/* A socket to the sink (UDP) or the receiver (TCP); SO_ZEROCOPY @zc. */
static void open_path(struct __test_metadata *_metadata, struct zc_edge_sock *c,
		      bool zc)
{
	struct zc_peer_spec ps = { 0 };
	int ret;

	if (c->e.type == SOCK_STREAM) {
		c->fd = zc_edge_socket(_metadata, &c->e, &c->peer, &ps, NULL,
				       zc);
		return;
	}
	c->fd = zc_socket(c->e.family, SOCK_DGRAM, zc_slow_ms(ZC_MAX_MS));
	ASSERT_LE(0, c->fd) TH_LOG("%s: socket: %s", c->e.label,
				    strerror(-c->fd));
	if (zc) {
		ret = zc_set_zerocopy(c->fd);
		ASSERT_EQ(0, ret) TH_LOG("%s: SO_ZEROCOPY: %s", c->e.label,
					 strerror(-ret));
	}
	ret = zc_connect(c->fd, zc_edge_sink(&c->e), 9);
	ASSERT_EQ(0, ret) TH_LOG("%s: connect to %s: %s", c->e.label,
				 zc_edge_sink(&c->e), strerror(-ret));
}

/* One call with @flags; on success, an id if the contract gives one. */
#define call(buf, len, flags) do { \
	ssize_t __n = send(c->fd, buf, len, flags); \
	ASSERT_EQ((ssize_t)(len), __n) \
		TH_LOG("%s: send(%zu bytes, flags 0x%x): %s", c->e.label, \
		       (size_t)(len), (flags), strerror(errno)); \
	if ((flags) & MSG_ZEROCOPY) \
		zc_tracker_issue(&c->t, NULL); \
} while (0)

/*
 * Every id the contract gave completed, and no other.  Ranges naming ids
 * never issued come first: they explain the ids that then seem missing.
 */
#define expect_ids(what) do { \
	struct zc_wait __w = zc_test_wait(); \
	char __r[256], __a[128]; \
	int __ret = zc_errq_wait(c->fd, &c->q, &c->t, &__w); \
	zc_tracker_format(&c->t, ZC_MALFORMED, __a, sizeof(__a)); \
	ASSERT_EQ(0ULL, c->t.anomaly[ZC_MALFORMED].events) \
		TH_LOG("%s: %s: expected ids 0..%u, the kernel gave more: %llu ranges beyond the ids issued: %s (read %s)", \
		       c->e.label, what, c->t.issued - 1, \
		       (unsigned long long)c->t.anomaly[ZC_MALFORMED].ids, \
		       __a, zc_errq_format_log(&c->q, __r, sizeof(__r))); \
	zc_tracker_format(&c->t, ZC_UNKNOWN, __a, sizeof(__a)); \
	ASSERT_EQ(0ULL, c->t.anomaly[ZC_UNKNOWN].events) \
		TH_LOG("%s: %s: expected ids 0..%u, the kernel gave more: %llu unknown ids: %s (read %s)", \
		       c->e.label, what, c->t.issued - 1, \
		       (unsigned long long)c->t.anomaly[ZC_UNKNOWN].ids, \
		       __a, zc_errq_format_log(&c->q, __r, sizeof(__r))); \
	ASSERT_EQ(0, __ret) \
		TH_LOG("%s: %s: expected ids 0..%u to complete, %llu missing (read %s): %s", \
		       c->e.label, what, c->t.issued - 1, \
		       (unsigned long long)zc_tracker_missing(&c->t), \
		       zc_errq_format_log(&c->q, __r, sizeof(__r)), c->q.why); \
	ASSERT_TRUE(zc_tracker_done(&c->t)) \
		TH_LOG("%s: %s: ids not completed exactly once: read %s", \
		       c->e.label, what, \
		       zc_errq_format_log(&c->q, __r, sizeof(__r))); \
} while (0)

TEST_F(counter, counts_calls_not_bytes)
{
	struct zc_edge_sock *c = &self->s;
	static const size_t sizes[] = { 1, 100, 1000, 3000, 1, 2000 };
	static char buf[3000];
	unsigned int i;

	open_path(_metadata, c, true);
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		call(buf, sizes[i], MSG_ZEROCOPY);
	expect_ids("6 sends of 1 to 3000 bytes");
}

TEST_F(counter, skips_failed_sends)
{
	struct zc_edge_sock *c = &self->s;
	static char buf[70000];
	int sndbuf = 4096, i, ret;
	ssize_t n;

	open_path(_metadata, c, true);
	call(buf, 1000, MSG_ZEROCOPY);
	/* EFAULT: the pages cannot be pinned (nor copied). */
	n = send(c->fd, (void *)8, 1000, MSG_ZEROCOPY);
	ASSERT_EQ(-1, n) TH_LOG("%s: send from address 8 succeeded",
				c->e.label);
	ASSERT_EQ(EFAULT, errno) TH_LOG("%s: send from address 8: %s",
					c->e.label, strerror(errno));
	if (c->e.type == SOCK_DGRAM) {
		n = send(c->fd, buf, sizeof(buf), MSG_ZEROCOPY);
		ASSERT_EQ(-1, n)
			TH_LOG("%s: a 70000-byte datagram: expected EMSGSIZE, seen %zd bytes sent",
			       c->e.label, n);
		ASSERT_EQ(EMSGSIZE, errno) TH_LOG("%s: 70000-byte datagram: %s",
						  c->e.label, strerror(errno));
	}
	call(buf, 1000, MSG_ZEROCOPY);
	expect_ids("a send, EFAULT, EMSGSIZE (UDP), a send");
	if (c->e.type != SOCK_DGRAM)
		return;

	/* EAGAIN: a small send buffer full of held datagrams. */
	close(c->fd);
	c->fd = zc_edge_open(_metadata, c->e.family, SOCK_DGRAM,
				zc_edge_hold(&c->e), 9);
	zc_tracker_free(&c->t);
	ret = zc_tracker_init(&c->t, 0, ZC_EDGE_IDS);
	ASSERT_EQ(0, ret) TH_LOG("%s: a tracker of %d ids: %s", c->e.label,
				 ZC_EDGE_IDS, strerror(-ret));
	zc_errq_init(&c->q, c->e.family);
	zc_errq_log(&c->q, c->log, ZC_EDGE_IDS);
	ASSERT_EQ(0, setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
				sizeof(sndbuf)))
		TH_LOG("%s: SO_SNDBUF %d: %s", c->e.label, sndbuf,
		       strerror(errno));
	for (i = 0; i < ZC_EDGE_IDS - 2; i++) {
		n = send(c->fd, buf, 1000, MSG_ZEROCOPY | MSG_DONTWAIT);
		if (n < 0)
			break;
		zc_tracker_issue(&c->t, NULL);
	}
	ASSERT_EQ(EAGAIN, n < 0 ? errno : 0)
		TH_LOG("%s: expected EAGAIN with SO_SNDBUF %d full of held datagrams, seen %s after %d sends",
		       c->e.label, sndbuf, n < 0 ? strerror(errno) : "none",
		       i);
	ret = zc_hold_release(NULL, c->e.h.hold_dev);
	ASSERT_EQ(0, ret) TH_LOG("%s: releasing the hold %s after EAGAIN: %s",
				 c->e.label, c->e.h.hold_dev, strerror(-ret));
	expect_ids("held sends until EAGAIN, released");
	call(buf, 1000, MSG_ZEROCOPY | MSG_DONTWAIT);
	ret = zc_hold_release(NULL, c->e.h.hold_dev);
	ASSERT_EQ(0, ret) TH_LOG("%s: releasing the hold %s after one more send: %s",
				 c->e.label, c->e.h.hold_dev, strerror(-ret));
	expect_ids("held sends until EAGAIN, then one more");
}

TEST_F(counter, gives_ids_to_zerocopy_calls_only)
{
	struct zc_edge_sock *c = &self->s;
	static const char pattern[] = "zczccz";
	static char buf[1000];
	unsigned int i;

	open_path(_metadata, c, true);
	for (i = 0; pattern[i]; i++)
		call(buf, sizeof(buf), pattern[i] == 'z' ? MSG_ZEROCOPY : 0);
	expect_ids("zero-copy and copy calls mixed, zczccz");
}

TEST_F(counter, takes_one_id_per_sendmmsg_message)
{
	struct zc_edge_sock *c = &self->s;
	static char buf[4][1000];
	struct mmsghdr m[4] = { 0 };
	struct iovec iov[4];
	int i, n;

	open_path(_metadata, c, true);
	for (i = 0; i < 4; i++) {
		iov[i] = (struct iovec){ buf[i], sizeof(buf[i]) };
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	n = sendmmsg(c->fd, m, 4, MSG_ZEROCOPY);
	ASSERT_EQ(4, n) TH_LOG("%s: sendmmsg of 4: %s", c->e.label,
			       n < 0 ? strerror(errno) : "fewer sent");
	for (i = 0; i < 4; i++)
		zc_tracker_issue(&c->t, NULL);
	expect_ids("sendmmsg of 4 messages");
}

TEST_F(counter, ignores_flag_without_sockopt)
{
	struct zc_edge_sock *c = &self->s;
	struct pollfd pfd = { .events = 0 };
	static char buf[1000];
	ssize_t n;
	int ret;

	open_path(_metadata, c, false);
	n = send(c->fd, buf, sizeof(buf), MSG_ZEROCOPY);
	ASSERT_EQ((ssize_t)sizeof(buf), n)
		TH_LOG("%s: MSG_ZEROCOPY without SO_ZEROCOPY: %s", c->e.label,
		       strerror(errno));
	if (c->e.type == SOCK_DGRAM) {
		/* On the sink a zero-copy send completes inside the call. */
		pfd.fd = c->fd;
		ASSERT_EQ(0, poll(&pfd, 1, 0))
			TH_LOG("%s: MSG_ZEROCOPY without SO_ZEROCOPY queued something (revents 0x%x)",
			       c->e.label, pfd.revents);
	}
	/* Ids start at 0 once SO_ZEROCOPY is set: the first took none. */
	ret = zc_set_zerocopy(c->fd);
	ASSERT_EQ(0, ret) TH_LOG("%s: SO_ZEROCOPY after the send: %s",
				 c->e.label, strerror(-ret));
	call(buf, sizeof(buf), MSG_ZEROCOPY);
	expect_ids("MSG_ZEROCOPY before SO_ZEROCOPY, then with it");
}

TEST_F(counter, pauses_counter_when_disabled)
{
	struct zc_edge_sock *c = &self->s;
	static char buf[1000];
	int zero = 0, ret;
	ssize_t n;

	open_path(_metadata, c, true);
	call(buf, sizeof(buf), MSG_ZEROCOPY);
	ASSERT_EQ(0, setsockopt(c->fd, SOL_SOCKET, SO_ZEROCOPY, &zero,
				sizeof(zero)))
		TH_LOG("%s: SO_ZEROCOPY 0: %s", c->e.label, strerror(errno));
	n = send(c->fd, buf, sizeof(buf), MSG_ZEROCOPY);
	ASSERT_EQ((ssize_t)sizeof(buf), n)
		TH_LOG("%s: MSG_ZEROCOPY with SO_ZEROCOPY 0: expected %zu bytes sent, seen %s",
		       c->e.label, sizeof(buf),
		       n < 0 ? strerror(errno) : "fewer");
	ret = zc_set_zerocopy(c->fd);
	ASSERT_EQ(0, ret) TH_LOG("%s: SO_ZEROCOPY 1 again: %s", c->e.label,
				 strerror(-ret));
	call(buf, sizeof(buf), MSG_ZEROCOPY);
	expect_ids("SO_ZEROCOPY 1, 0, 1 with a MSG_ZEROCOPY send each");
}

TEST_F(counter, takes_no_id_for_zero_length)
{
	struct zc_edge_sock *c = &self->s;
	struct zc_wait w = zc_test_wait();
	static char buf[1000];
	char r[256];
	ssize_t n;
	int ret;

	open_path(_metadata, c, true);
	ASSERT_EQ(0, send(c->fd, buf, 0, MSG_ZEROCOPY))
		TH_LOG("%s: zero-length send: %s", c->e.label,
		       strerror(errno));
	if (c->e.type == SOCK_STREAM) {
		call(buf, sizeof(buf), MSG_ZEROCOPY);
		expect_ids("a zero-length send, then one of 1000 bytes");
		return;
	}
	/*
	 * Room for the id the zero-length send may take.  On the sink
	 * each send completes inside the call: once one id completed,
	 * every notification is queued.
	 */
	n = send(c->fd, buf, sizeof(buf), MSG_ZEROCOPY);
	ASSERT_EQ((ssize_t)sizeof(buf), n)
		TH_LOG("%s: the send of %zu bytes after the zero-length one: %s",
		       c->e.label, sizeof(buf),
		       n < 0 ? strerror(errno) : "short");
	zc_tracker_issue(&c->t, NULL);
	zc_tracker_issue(&c->t, NULL);
	ret = zc_errq_wait_one(c->fd, &c->q, &c->t, &w);
	ASSERT_EQ(0, ret) TH_LOG("%s: no notification: %s", c->e.label,
				 c->q.why);
	ret = zc_errq_drain(c->fd, &c->q, &c->t);
	ASSERT_LE(0, ret) TH_LOG("%s: reading the error queue: %s",
				 c->e.label, c->q.why);
	/*
	 * UDP tests the length it appends with its 8-byte header in it
	 * (__ip_append_data(), __ip6_append_data()): never zero.
	 */
	if (c->t.completed == 2)
		ZC_XFAIL(return, "%s: a zero-length MSG_ZEROCOPY send took id 0 and the next send id 1 (read %s); msg_zerocopy.rst: \"The counter is not incremented on failure or if called with length zero\", but UDP's __ip_append_data() and __ip6_append_data() take an id for any length with the UDP header counted in: known kernel behaviour since UDP zerocopy (b5947e5d1e71)",
			 c->e.label, zc_errq_format_log(&c->q, r, sizeof(r)));
	ASSERT_EQ(1, (int)c->q.log_len)
		TH_LOG("%s: expected one notification, [0,0] for the send of data, read %s",
		       c->e.label, zc_errq_format_log(&c->q, r, sizeof(r)));
	ASSERT_EQ(0U, c->log[0].lo + c->log[0].hi)
		TH_LOG("%s: expected only [0,0] for the send of data, read %s",
		       c->e.label, zc_errq_format_log(&c->q, r, sizeof(r)));
}

/* ---- SO_ZEROCOPY per socket type ---- */

FIXTURE(sockopt) {
	int fd;
};

FIXTURE_VARIANT(sockopt) {
	const char *name;	/* the row's, for messages */
	int family, type, protocol;
	bool hdrincl;
	bool refused;		/* else SO_ZEROCOPY is accepted */
	const char *config;	/* what a kernel that cannot make it lacks */
};

#define SOCKOPT_ROW(row, ...) \
	FIXTURE_VARIANT_ADD(sockopt, row) { #row, __VA_ARGS__ }

/* TCP and UDP over IPv4 and IPv6: accepted. */
SOCKOPT_ROW(tcp4, AF_INET, SOCK_STREAM, 0, false, false, "CONFIG_INET");
SOCKOPT_ROW(tcp6, AF_INET6, SOCK_STREAM, 0, false, false, "CONFIG_IPV6");
SOCKOPT_ROW(udp4, AF_INET, SOCK_DGRAM, 0, false, false, "CONFIG_INET");
SOCKOPT_ROW(udp6, AF_INET6, SOCK_DGRAM, 0, false, false, "CONFIG_IPV6");
/* Raw IP, with and without IP_HDRINCL: refused. */
SOCKOPT_ROW(raw4, AF_INET, SOCK_RAW, IPPROTO_UDP, false, true, "CONFIG_INET");
SOCKOPT_ROW(raw4_hdrincl, AF_INET, SOCK_RAW, IPPROTO_UDP, true, true,
	    "CONFIG_INET");
SOCKOPT_ROW(raw6, AF_INET6, SOCK_RAW, IPPROTO_UDP, false, true, "CONFIG_IPV6");
/* Packet sockets, raw and cooked. */
SOCKOPT_ROW(packet_raw, AF_PACKET, SOCK_RAW, 0, false, true, "CONFIG_PACKET");
SOCKOPT_ROW(packet_dgram, AF_PACKET, SOCK_DGRAM, 0, false, true,
	    "CONFIG_PACKET");
/* Unix sockets. */
SOCKOPT_ROW(unix_stream, AF_UNIX, SOCK_STREAM, 0, false, true, "CONFIG_UNIX");
SOCKOPT_ROW(unix_dgram, AF_UNIX, SOCK_DGRAM, 0, false, true, "CONFIG_UNIX");
/* UDP-Lite: a datagram socket, but not UDP. */
SOCKOPT_ROW(udplite4, AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE, false, true,
	    "UDP-Lite (removed or not built)");
SOCKOPT_ROW(udplite6, AF_INET6, SOCK_DGRAM, IPPROTO_UDPLITE, false, true,
	    "UDP-Lite (removed or not built)");
/* MPTCP: a stream socket, not TCP. */
SOCKOPT_ROW(mptcp4, AF_INET, SOCK_STREAM, IPPROTO_MPTCP, false, true,
	    "CONFIG_MPTCP (or net.mptcp.enabled 0)");
SOCKOPT_ROW(mptcp6, AF_INET6, SOCK_STREAM, IPPROTO_MPTCP, false, true,
	    "CONFIG_MPTCP_IPV6 (or net.mptcp.enabled 0)");

/* @err, a -errno of setsockopt(SO_ZEROCOPY) or 0, for a message. */
static const char *sockopt_result(int err, char *buf, size_t len)
{
	if (!err)
		snprintf(buf, len, "success");
	else if (err == -ZC_ENOTSUPP)
		snprintf(buf, len, "ENOTSUPP (524)");
	else
		snprintf(buf, len, "%s (%d)", strerror(-err), -err);
	return buf;
}

/* A socket of @family, @type, @protocol, or SKIP naming what is missing. */
static int make_socket(struct __test_metadata *_metadata, int family,
		       int type, int protocol, const char *config)
{
	int fd;

	if (geteuid())
		SKIP(return -1, "needs root (raw and packet sockets)");
	fd = socket(family, type | SOCK_CLOEXEC, protocol);
	if (fd < 0 &&
	    (errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT ||
	     errno == ESOCKTNOSUPPORT || errno == ENOPROTOOPT))
		SKIP(return -1, "this kernel cannot make the socket (%s): %s",
		     strerror(errno), config);
	ASSERT_LE(0, fd) TH_LOG("socket: %s", strerror(errno));
	return fd;
}

FIXTURE_SETUP(sockopt)
{
	int one = 1;

	self->fd = make_socket(_metadata, variant->family, variant->type,
			       variant->protocol, variant->config);
	if (self->fd >= 0 && variant->hdrincl)
		ASSERT_EQ(0, setsockopt(self->fd, IPPROTO_IP, IP_HDRINCL, &one,
					sizeof(one)))
			TH_LOG("%s: IP_HDRINCL: %s", variant->name,
			       strerror(errno));
}

FIXTURE_TEARDOWN(sockopt)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(sockopt, accepts_only_tcp_and_udp)
{
	char seen[64];
	int ret;

	ret = zc_set_zerocopy(self->fd);
	sockopt_result(ret, seen, sizeof(seen));
	if (variant->refused) {
		ASSERT_TRUE(zc_zerocopy_unsupported(ret))
			TH_LOG("%s: setsockopt(SO_ZEROCOPY, 1): expected it refused as unsupported (EOPNOTSUPP; ENOTSUPP, 524, from 4.14 to 5.17), seen %s",
			       variant->name, seen);
		fprintf(TH_LOG_STREAM, "# %s: SO_ZEROCOPY refused with %s\n",
			variant->name, seen);
		return;
	}
	if (zc_zerocopy_unsupported(ret))
		SKIP(return, "%s: SO_ZEROCOPY refused with %s: this kernel has no MSG_ZEROCOPY for it (TCP needs 4.14, UDP 5.0)",
		     variant->name, seen);
	ASSERT_EQ(0, ret)
		TH_LOG("%s: setsockopt(SO_ZEROCOPY, 1): expected success, seen %s",
		       variant->name, seen);
}

/* Where SO_ZEROCOPY is accepted: its values. */
FIXTURE(sockopt_value) {
	int fd;
};

FIXTURE_VARIANT(sockopt_value) {
	ZC_VARIANT_FIELDS;
};

ZC_VARIANTS_ALL(sockopt_value);

FIXTURE_SETUP(sockopt_value)
{
	char seen[64];
	int fd, ret;

	self->fd = make_socket(_metadata, variant->family, variant->type, 0,
			       "CONFIG_INET, CONFIG_IPV6");
	if (self->fd < 0)
		return;
	/* A kernel without MSG_ZEROCOPY here: on a socket of its own. */
	fd = make_socket(_metadata, variant->family, variant->type, 0,
			 "CONFIG_INET, CONFIG_IPV6");
	if (fd < 0)
		return;
	ret = zc_set_zerocopy(fd);
	close(fd);
	sockopt_result(ret, seen, sizeof(seen));
	if (zc_zerocopy_unsupported(ret))
		SKIP(return, "%s_%s: SO_ZEROCOPY refused with %s: this kernel has no MSG_ZEROCOPY for it (TCP needs 4.14, UDP 5.0)",
		     zc_family_tag(variant->family),
		     zc_proto_name(variant->type), seen);
	ASSERT_EQ(0, ret) TH_LOG("%s_%s: setsockopt(SO_ZEROCOPY, 1): %s",
				 zc_family_tag(variant->family),
				 zc_proto_name(variant->type), seen);
}

FIXTURE_TEARDOWN(sockopt_value)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(sockopt_value, reads_back_value)
{
	static const int values[] = { 1, 0, 1 };
	const char *fam = zc_family_tag(variant->family);
	const char *proto = zc_proto_name(variant->type);
	socklen_t len;
	int i, val;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, setsockopt(self->fd, SOL_SOCKET, SO_ZEROCOPY,
					&values[i], sizeof(int)))
			TH_LOG("%s_%s: setsockopt(SO_ZEROCOPY, %d): %s", fam,
			       proto, values[i], strerror(errno));
		val = -1;
		len = sizeof(val);
		ASSERT_EQ(0, getsockopt(self->fd, SOL_SOCKET, SO_ZEROCOPY,
					&val, &len))
			TH_LOG("%s_%s: getsockopt(SO_ZEROCOPY) after setting %d: %s",
			       fam, proto, values[i], strerror(errno));
		ASSERT_EQ(values[i], val)
			TH_LOG("%s_%s: set %d, getsockopt read %d", fam, proto,
			       values[i], val);
	}
}

TEST_F(sockopt_value, refuses_values_but_0_and_1)
{
	/* Each row: a value that is neither 0 nor 1. */
	static const int values[] = { 2, -1, 255, 0x10000 };
	int i, ret;

	for (i = 0; i < 4; i++) {
		ret = setsockopt(self->fd, SOL_SOCKET, SO_ZEROCOPY, &values[i],
				 sizeof(int));
		ASSERT_EQ(EINVAL, ret ? errno : 0)
			TH_LOG("%s_%s: setsockopt(SO_ZEROCOPY, %d): expected EINVAL, seen %s",
			       zc_family_tag(variant->family),
			       zc_proto_name(variant->type), values[i],
			       ret ? strerror(errno) : "success");
	}
}

TEST_HARNESS_MAIN
