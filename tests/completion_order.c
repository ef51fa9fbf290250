// SPDX-License-Identifier: GPL-2.0
/*
 * completion_order: out-of-order completions made on purpose, and the
 * tracker's account of them (msg_zerocopy.rst: "Ordered delivery is the
 * common case, but not guaranteed. Notifications may arrive out of order
 * on retransmission and socket teardown.").
 *
 *   reorder.ip*_udp.closes_gaps_of_held_sends
 *       one unconnected socket, ten sends alternating between the hold and
 *       the sink: the sunk ones complete first, the tracker names the
 *       gaps, and once the hold lets go every id has completed once
 *   reorder.ip*_tcp.completes_retransmitted_range_late
 *       the first send's only transmission is held by the forwarder
 *       (marked ZC_FWD_HOLD_TOS; it left the sender's host stack, so TCP
 *       retransmits it, unmarked); the sends after it complete, its id
 *       does not while the held copy still references the pages; freed,
 *       it completes: a gap that closes, every id exactly once
 *
 * Run: ./run_tests.sh -t hold -T completion_order (root)
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>

#include "kselftest_harness.h"
#include "zc_test.h"
#include "zc_edge.h"

#define SENDS		10
#define TCP_SENDS	20
#define SIZE		1000
#define TCP_SIZE	4000

FIXTURE(reorder) {
	struct zc_topo topo;
	struct zc_hold_topo h;
	char label[64];
	struct zc_tracker t;
	struct zc_errq q;
	struct zc_notif log[2 * TCP_SENDS];
};

FIXTURE_VARIANT(reorder) {
	int family;
	int type;
};

FIXTURE_VARIANT_ADD(reorder, ip4_udp) { .family = AF_INET, .type = SOCK_DGRAM };
FIXTURE_VARIANT_ADD(reorder, ip6_udp) { .family = AF_INET6, .type = SOCK_DGRAM };
FIXTURE_VARIANT_ADD(reorder, ip4_tcp) { .family = AF_INET, .type = SOCK_STREAM };
FIXTURE_VARIANT_ADD(reorder, ip6_tcp) { .family = AF_INET6, .type = SOCK_STREAM };

FIXTURE_SETUP(reorder)
{
	if (!zc_test_setup(_metadata, &self->topo, variant->family,
			   variant->type) ||
	    !zc_hold_load(_metadata, &self->topo, &self->h))
		return;
	snprintf(self->label, sizeof(self->label), "%s_%s@%s",
		 zc_family_tag(variant->family), zc_proto_name(variant->type),
		 self->topo.name);
	ASSERT_EQ(0, zc_tracker_init(&self->t, 0, 2 * TCP_SENDS));
	zc_errq_init(&self->q, variant->family);
	zc_errq_log(&self->q, self->log, 2 * TCP_SENDS);
}

FIXTURE_TEARDOWN(reorder)
{
	zc_tracker_free(&self->t);
	zc_hold_release(NULL, self->h.hold_dev);
	zc_hold_release(self->h.fwd_ns, self->h.fwd_hold_dev);
}

/* The notifications in arrival order, "[1] [3] [0]", for the log. */
static const char *order(FIXTURE_DATA(reorder) *self, char *buf, size_t len)
{
	size_t i, pos = 0;

	buf[0] = '\0';
	for (i = 0; i < self->q.log_len && pos < len; i++)
		pos += self->log[i].lo == self->log[i].hi ?
		       snprintf(buf + pos, len - pos, "%s[%u]", i ? " " : "",
				self->log[i].lo) :
		       snprintf(buf + pos, len - pos, "%s[%u,%u]",
				i ? " " : "", self->log[i].lo,
				self->log[i].hi);
	return buf;
}

TEST_F(reorder, closes_gaps_of_held_sends)
{
	const bool v6 = variant->family == AF_INET6;
	struct zc_wait w = zc_edge_wait();
	struct zc_addr held, sunk;
	static char buf[SIZE];
	char seen[256], gaps[ZC_LIST_LEN];
	int fd, i, ret;

	if (variant->type != SOCK_DGRAM)
		SKIP(return, "%s: one socket to two destinations: UDP only",
		     self->label);
	zc_addr_parse(&held, v6 ? self->h.hold6 : self->h.hold4, 9);
	zc_addr_parse(&sunk, v6 ? self->h.sink6 : self->h.sink4, 9);
	fd = zc_edge_open(variant->family, SOCK_DGRAM, NULL, 0);
	for (i = 0; i < SENDS; i++) {
		struct zc_addr *a = i % 2 ? &sunk : &held;

		ret = sendto(fd, buf, SIZE, MSG_ZEROCOPY,
			     (struct sockaddr *)&a->ss, a->len);
		ASSERT_EQ(SIZE, ret) TH_LOG("send %d: %s", i, strerror(errno));
		zc_tracker_issue(&self->t, NULL);
	}
	/* The sunk sends completed inside their calls. */
	ASSERT_LE(0, zc_errq_drain(fd, &self->q, &self->t));
	ASSERT_EQ((uint64_t)SENDS / 2, zc_tracker_missing(&self->t))
		TH_LOG("%s: expected the %d held sends to be all that is missing, read %s",
		       self->label, SENDS / 2, order(self, seen, sizeof(seen)));
	ASSERT_EQ(0, zc_hold_release(NULL, self->h.hold_dev));
	ret = zc_errq_wait(fd, &self->q, &self->t, &w);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", self->label, self->q.why);

	zc_tracker_format(&self->t, ZC_GAP, gaps, sizeof(gaps));
	fprintf(TH_LOG_STREAM, "# %s: completions in order of arrival %s; gaps %s\n",
		self->label, order(self, seen, sizeof(seen)), gaps);
	ASSERT_TRUE(zc_tracker_done(&self->t))
		TH_LOG("%s: ids not completed exactly once: %s", self->label,
		       order(self, seen, sizeof(seen)));
	/* Each sunk send overtook the held one before it. */
	ASSERT_EQ((uint64_t)SENDS / 2, self->t.anomaly[ZC_GAP].events)
		TH_LOG("%s: expected %d gaps, each held send overtaken by the sunk one after it, seen %llu: %s (arrival %s)",
		       self->label, SENDS / 2,
		       (unsigned long long)self->t.anomaly[ZC_GAP].events,
		       gaps, order(self, seen, sizeof(seen)));
	ASSERT_NE(0U, self->log[0].lo)
		TH_LOG("%s: the first completion was id 0, the held one",
		       self->label);
	close(fd);
}

TEST_F_TIMEOUT(reorder, completes_retransmitted_range_late, 60)
{
	struct zc_peer_spec ps = {
		.netns = self->topo.rx_ns, .family = variant->family,
		.type = SOCK_STREAM, .idle_ms = zc_slow_ms(ZC_IDLE_MS),
		.bytes = SIZE + TCP_SENDS * TCP_SIZE,
	};
	int64_t end = zc_now_ms() + zc_slow_ms(ZC_MAX_MS);
	struct zc_peer peer = { .pid = 0 };
	struct tcp_info ti = { 0 };
	socklen_t tilen = sizeof(ti);
	static char buf[SIZE + TCP_SENDS * TCP_SIZE];
	struct zc_wait w = zc_edge_wait();
	char seen[256], gaps[ZC_LIST_LEN];
	struct zc_peer_result rx;
	int fd, i, ret, unsent, one = 1;

	if (variant->type != SOCK_STREAM)
		SKIP(return, "%s: retransmission: TCP only", self->label);
	ret = zc_peer_start(&peer, &ps, zc_slow_ms(ZC_READY_MS));
	ASSERT_EQ(0, ret) TH_LOG("receiver: %s", strerror(-ret));
	fd = zc_edge_open(variant->family, SOCK_STREAM,
			  variant->family == AF_INET6 ? self->topo.dst6 :
							self->topo.dst4,
			  peer.port);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	zc_fill(buf, sizeof(buf), 0);

	/* Id 0 alone in the first segment, marked for the forwarder. */
	ASSERT_EQ(0, zc_set_tos(fd, variant->family, self->h.fwd_hold_tos));
	ASSERT_EQ(SIZE, send(fd, buf, SIZE, MSG_ZEROCOPY));
	zc_tracker_issue(&self->t, NULL);
	/* Transmitted inside send(), so its one transmission is marked. */
	ASSERT_EQ(0, ioctl(fd, SIOCOUTQNSD, &unsent));
	ASSERT_EQ(0, unsent)
		TH_LOG("%s: the first segment was not transmitted inside send() (%d bytes unsent): it would not carry the mark",
		       self->label, unsent);
	ASSERT_EQ(0, zc_set_tos(fd, variant->family, 0));
	for (i = 0; i < TCP_SENDS; i++) {
		ASSERT_EQ(TCP_SIZE, send(fd, buf + SIZE + i * TCP_SIZE,
					 TCP_SIZE, MSG_ZEROCOPY));
		zc_tracker_issue(&self->t, NULL);
	}

	/* Retransmitted and acknowledged, all but id 0 complete. */
	while (zc_tracker_missing(&self->t) > 1 && zc_now_ms() < end) {
		ret = zc_errq_wait_one(fd, &self->q, &self->t, &w);
		ASSERT_EQ(0, ret) TH_LOG("%s: %s", self->label, self->q.why);
	}
	tilen = sizeof(ti);
	getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tilen);
	ASSERT_EQ(1ULL, zc_tracker_missing(&self->t))
		TH_LOG("%s: expected every id but 0 to complete while the first transmission of id 0 was held; %llu missing, read %s, %u retransmits",
		       self->label,
		       (unsigned long long)zc_tracker_missing(&self->t),
		       order(self, seen, sizeof(seen)), ti.tcpi_total_retrans);
	ASSERT_LE(1U, ti.tcpi_total_retrans)
		TH_LOG("%s: ids completed with no retransmission", self->label);
	ASSERT_NE(0ULL, self->t.anomaly[ZC_GAP].events)
		TH_LOG("%s: expected a gap at id 0, read %s", self->label,
		       order(self, seen, sizeof(seen)));

	/* The held copy freed: id 0 completes, last. */
	ASSERT_EQ(0, zc_hold_release(self->h.fwd_ns, self->h.fwd_hold_dev));
	ret = zc_errq_wait(fd, &self->q, &self->t, &w);
	ASSERT_EQ(0, ret) TH_LOG("%s: id 0 did not complete once its held copy was freed: %s",
				 self->label, self->q.why);
	zc_tracker_format(&self->t, ZC_GAP, gaps, sizeof(gaps));
	fprintf(TH_LOG_STREAM, "# %s: %u retransmits; completions in order of arrival %s; gaps %s\n",
		self->label, ti.tcpi_total_retrans,
		order(self, seen, sizeof(seen)), gaps);
	ASSERT_TRUE(zc_tracker_done(&self->t))
		TH_LOG("%s: ids not completed exactly once: %s", self->label,
		       order(self, seen, sizeof(seen)));
	ASSERT_EQ(0U, self->log[self->q.log_len - 1].lo)
		TH_LOG("%s: expected id 0 to complete last, read %s",
		       self->label, order(self, seen, sizeof(seen)));

	shutdown(fd, SHUT_WR);
	ret = zc_peer_finish(&peer, &rx, zc_slow_ms(ZC_MAX_MS));
	ASSERT_EQ(0, ret) TH_LOG("receiver: %s", strerror(-ret));
	ASSERT_EQ((uint64_t)sizeof(buf), rx.bytes) TH_LOG("receiver: %s",
							  rx.why);
	ASSERT_EQ(0U, rx.bad) TH_LOG("receiver saw corrupt data at %lld",
				    (long long)rx.first_bad);
	close(fd);
}

TEST_HARNESS_MAIN
