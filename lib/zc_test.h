/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers that assert inside kselftest_harness.h tests: include this after
 * kselftest_harness.h.  Every message starts with the stream's label,
 * "<variant>@<topology>" (e.g. "ip4_udp@sink"), then says what was expected
 * and what was seen.
 */
#ifndef ZC_TEST_H
#define ZC_TEST_H

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "zc_errqueue.h"
#include "zc_net.h"
#include "zc_peer.h"
#include "zc_sys.h"
#include "zc_topo.h"
#include "zc_tracker.h"

/* Deadlines, stretched by KSFT_MACHINE_SLOW=yes. */
#define ZC_READY_MS	5000	/* receiver up and bound */
#define ZC_NOTIFY_MS	5000	/* last notification after the last send */
#define ZC_RECV_MS	5000	/* receiver, after the sender's last wait */

/*
 * XFAIL at run time, the way SKIP() works: a known kernel limitation,
 * named by the commit that lifts it.
 */
#define ZC_XFAIL(statement, fmt, ...) do { \
	snprintf(_metadata->results->reason, \
		 sizeof(_metadata->results->reason), fmt, ##__VA_ARGS__); \
	fprintf(TH_LOG_STREAM, "#      XFAIL     %s\n", \
		_metadata->results->reason); \
	_metadata->exit_code = KSFT_XFAIL; \
	statement; \
} while (0)

/* One MSG_ZEROCOPY stream from the topology's sender to its path. */
struct zc_stream {
	/* set by the caller */
	const struct zc_topo *topo;
	int family;
	int type;
	unsigned int sends;	/* datagrams, or stream chunks of @size */
	size_t size;
	unsigned int drain_every;
	/* filled by zc_stream_run() */
	char label[64];
	int fd;
	char *buf;
	bool has_peer;
	struct zc_tracker t;
	struct zc_sender s;
	struct zc_peer peer;
	struct zc_peer_result rx;
	int wait_ret;		/* zc_errq_wait(): 0 or -ETIMEDOUT */
};

static inline const char *zc_family_tag(int family)
{
	return family == AF_INET6 ? "ip6" : "ip4";
}

/*
 * Setup-time checks shared by every test on a topology: root, the
 * contract, the protocol on this path, never the host's namespace,
 * SO_ZEROCOPY support.  SKIPs name what is missing; returns false then.
 */
static inline bool zc_test_setup(struct __test_metadata *_metadata,
				 struct zc_topo *topo, int family, int type)
{
	const char *proto = zc_proto_name(type);
	const char *bad;
	int fd, ret;

	if (geteuid())
		SKIP(return false, "needs root");
	ret = zc_topo_load(topo, &bad);
	if (ret == -ENOENT)
		SKIP(return false, "no topology: run through run_tests.sh");
	ASSERT_EQ(0, ret)
		TH_LOG("topology contract: %s missing or invalid", bad);
	if (!zc_topo_has_proto(topo, proto))
		SKIP(return false, "topology %s has no %s peer (ZC_PROTOS=%s)",
		     topo->name, proto, topo->protos);
	/* Traffic must stay inside the topology's namespaces. */
	ret = zc_netns_is(topo->tx_ns);
	ASSERT_EQ(1, ret)
		TH_LOG("refusing to send from outside the topology's namespace ZC_TX_NS=%s (%s)",
		       topo->tx_ns, ret ? strerror(-ret) : "running elsewhere");

	fd = socket(family, type, 0);
	ASSERT_LE(0, fd) TH_LOG("socket(%s, %s): %s", zc_family_tag(family),
				proto, strerror(errno));
	ret = zc_set_zerocopy(fd);
	close(fd);
	if (ret == -ENOPROTOOPT || ret == -EOPNOTSUPP)
		SKIP(return false, "SO_ZEROCOPY on %s: %s (TCP needs 4.14, UDP 5.0)",
		     proto, strerror(-ret));
	ASSERT_EQ(0, ret) TH_LOG("SO_ZEROCOPY on %s: %s", proto, strerror(-ret));
	return true;
}

/* Fill the send buffer: the pattern, and each datagram's number. */
static inline void zc_stream_fill(struct zc_stream *st)
{
	uint32_t seq;
	unsigned int i;

	zc_fill(st->buf, (size_t)st->sends * st->size, 0);
	if (st->type != SOCK_DGRAM)
		return;
	for (i = 0; i < st->sends; i++) {
		seq = htole32(i);
		memcpy(st->buf + (size_t)i * st->size, &seq, sizeof(seq));
	}
}

/* Start the receiver, if the path has one, and connect to it. */
static inline void zc_stream_connect(struct __test_metadata *_metadata,
				     struct zc_stream *st)
{
	const char *ip = st->family == AF_INET6 ? st->topo->dst6 : st->topo->dst4;
	struct zc_peer_spec spec = {
		.netns = st->topo->rx_ns,
		.family = st->family,
		.type = st->type,
		.bytes = (uint64_t)st->sends * st->size,
		.datagrams = st->sends,
		.size = st->size,
		/* The receiver outlives the sender's longest wait. */
		.timeout_ms = zc_slow_ms(ZC_NOTIFY_MS + ZC_RECV_MS),
	};
	struct zc_addr dst;
	char status[64];
	uint16_t port = 9;	/* discard: nothing listens on a sink */
	int ret;

	if (st->has_peer) {
		ret = zc_peer_start(&st->peer, &spec, zc_slow_ms(ZC_READY_MS));
		ASSERT_EQ(0, ret)
			TH_LOG("%s: receiver in netns %s never became ready (deadline %d ms): %s; it %s",
			       st->label, spec.netns, zc_slow_ms(ZC_READY_MS),
			       ret == -ECHILD ? "it exited first" :
			       strerror(-ret),
			       zc_peer_describe_status(&st->peer, status,
						       sizeof(status)));
		port = st->peer.port;
	}
	ASSERT_EQ(0, zc_addr_parse(&dst, ip, port))
		TH_LOG("%s: destination '%s' is not an address", st->label, ip);
	st->fd = zc_socket(st->family, st->type, zc_slow_ms(ZC_NOTIFY_MS));
	ASSERT_LE(0, st->fd) TH_LOG("%s: socket: %s", st->label,
				    strerror(-st->fd));
	ASSERT_EQ(0, zc_set_zerocopy(st->fd))
		TH_LOG("%s: SO_ZEROCOPY: %s", st->label, strerror(errno));
	ASSERT_EQ(0, connect(st->fd, (struct sockaddr *)&dst.ss, dst.len))
		TH_LOG("%s: connect to %s port %u: %s", st->label, ip, port,
		       strerror(errno));
}

/* Check what the receiver got: every datagram or byte, intact. */
static inline void zc_stream_check_peer(struct __test_metadata *_metadata,
					struct zc_stream *st, int ret)
{
	struct zc_peer_result *rx = &st->rx;
	char status[64];

	ASSERT_EQ(0, ret)
		TH_LOG("%s: no result from the receiver: %s, it %s",
		       st->label, strerror(-ret),
		       zc_peer_describe_status(&st->peer, status, sizeof(status)));
	ASSERT_EQ(0U, rx->bad)
		TH_LOG("%s: receiver saw %u corrupt %s, the first at %s %lld",
		       st->label, rx->bad,
		       st->type == SOCK_DGRAM ? "datagrams" : "reads",
		       st->type == SOCK_DGRAM ? "datagram" : "stream offset",
		       (long long)rx->first_bad);
	if (st->type == SOCK_DGRAM) {
		ASSERT_EQ(0U, rx->duplicates)
			TH_LOG("%s: receiver got %u datagrams twice",
			       st->label, rx->duplicates);
		ASSERT_EQ(st->sends, rx->datagrams)
			TH_LOG("%s: receiver got %u of %u datagrams (%s)",
			       st->label, rx->datagrams, st->sends,
			       rx->why[0] ? rx->why : "no error");
	} else {
		ASSERT_EQ(st->s.bytes, rx->bytes)
			TH_LOG("%s: receiver got %llu of %llu bytes (%s)",
			       st->label, (unsigned long long)rx->bytes,
			       (unsigned long long)st->s.bytes,
			       rx->why[0] ? rx->why : "no error");
	}
	ASSERT_EQ(0, rx->err) TH_LOG("%s: receiver: %s", st->label, rx->why);
}

static inline void zc_assert_exact_once(struct __test_metadata *_metadata,
					const struct zc_stream *st);

/*
 * Send @sends chunks of @size with MSG_ZEROCOPY, read the error queue every
 * @drain_every sends, wait (bounded) for the last notification, and assert
 * the contract every stream keeps: each id completed exactly once, and the
 * receiver, if any, got everything.  The caller asserts the rest on st->t.
 */
static inline void zc_stream_run(struct __test_metadata *_metadata,
				 struct zc_stream *st)
{
	unsigned int i;
	int ret, peer_ret = 0;

	snprintf(st->label, sizeof(st->label), "%s_%s@%s",
		 zc_family_tag(st->family), zc_proto_name(st->type),
		 st->topo->name);
	st->fd = -1;
	st->has_peer = st->topo->rx_ns != NULL;
	/* A stream send the kernel splits takes an id per call. */
	ASSERT_EQ(0, zc_tracker_init(&st->t, 0, st->sends * 2 + 16));
	st->buf = malloc((size_t)st->sends * st->size);
	ASSERT_NE(NULL, st->buf);
	zc_stream_fill(st);
	zc_stream_connect(_metadata, st);

	zc_sender_init(&st->s, st->fd, st->family, st->type, &st->t,
		       st->drain_every, zc_slow_ms(ZC_NOTIFY_MS));
	for (i = 0; i < st->sends; i++) {
		ret = zc_sender_send(&st->s, st->buf + (size_t)i * st->size,
				     st->size);
		ASSERT_EQ(0, ret)
			TH_LOG("%s: send %u of %u (%zu bytes, MSG_ZEROCOPY): %s%s%s",
			       st->label, i + 1, st->sends, st->size,
			       strerror(-ret), st->s.q.why[0] ? ": " : "",
			       st->s.q.why);
	}
	st->wait_ret = zc_errq_wait(st->fd, &st->s.q, &st->t,
				    zc_slow_ms(ZC_NOTIFY_MS));
	ASSERT_NE(-EPROTO, st->wait_ret)
		TH_LOG("%s: invalid error-queue entry: %s", st->label,
		       st->s.q.why);
	ASSERT_TRUE(st->wait_ret == 0 || st->wait_ret == -ETIMEDOUT)
		TH_LOG("%s: reading the error queue: %s", st->label,
		       strerror(-st->wait_ret));

	if (st->has_peer) {
		if (st->type == SOCK_STREAM)
			ASSERT_EQ(0, shutdown(st->fd, SHUT_WR))
				TH_LOG("%s: shutdown: %s", st->label,
				       strerror(errno));
		peer_ret = zc_peer_finish(&st->peer, &st->rx,
					  zc_slow_ms(ZC_NOTIFY_MS + ZC_RECV_MS) +
					  2000);
	}
	fprintf(TH_LOG_STREAM,
		"# %s: %llu sends, %u ids, %llu notifications, %llu COPIED, %llu zero-copy, %llu missing",
		st->label, (unsigned long long)st->s.calls, st->t.issued,
		(unsigned long long)st->t.notifications,
		(unsigned long long)st->t.copied,
		(unsigned long long)st->t.zerocopy,
		(unsigned long long)zc_tracker_missing(&st->t));
	if (st->has_peer)
		fprintf(TH_LOG_STREAM, "; receiver got %llu of %llu bytes",
			(unsigned long long)st->rx.bytes,
			(unsigned long long)st->s.bytes);
	fprintf(TH_LOG_STREAM, "\n");
	zc_assert_exact_once(_metadata, st);
	if (st->has_peer)
		zc_stream_check_peer(_metadata, st, peer_ret);
}

static inline void zc_stream_free(struct zc_stream *st)
{
	zc_peer_kill(&st->peer);
	if (st->fd >= 0)
		close(st->fd);
	st->fd = -1;
	zc_tracker_free(&st->t);
	free(st->buf);
	st->buf = NULL;
}

/*
 * Every id issued completed exactly once, in well-formed ranges: missing,
 * duplicate, never-issued ids and malformed ranges fail, listed.
 */
static inline void zc_assert_exact_once(struct __test_metadata *_metadata,
					const struct zc_stream *st)
{
	const struct zc_tracker *t = &st->t;
	char ids[256];
	int kind;

	zc_tracker_format_missing(t, ids, sizeof(ids));
	EXPECT_EQ(0ULL, zc_tracker_missing(t))
		TH_LOG("%s: %llu of %u ids never completed%s: %s",
		       st->label, (unsigned long long)zc_tracker_missing(t),
		       t->issued,
		       st->wait_ret == -ETIMEDOUT ? " within the deadline" : "",
		       ids);
	for (kind = ZC_DUPLICATE; kind < ZC_NR_ANOMALIES; kind++) {
		zc_tracker_format(t, kind, ids, sizeof(ids));
		EXPECT_EQ(0ULL, t->anomaly[kind].ids)
			TH_LOG("%s: %llu %s ids in notifications: %s",
			       st->label,
			       (unsigned long long)t->anomaly[kind].ids,
			       zc_anomaly_name(kind), ids);
	}
	ASSERT_TRUE(zc_tracker_done(t));
}

#endif /* ZC_TEST_H */
