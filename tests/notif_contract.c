// SPDX-License-Identifier: GPL-2.0
/*
 * notif_contract: the MSG_ZEROCOPY completion-notification contract
 * (Documentation/networking/msg_zerocopy.rst) on one path, for IPv4 and
 * IPv6, TCP and UDP.
 *
 * The path is the topology run_tests.sh built (netns/) and handed over
 * in ZC_* variables; this program runs inside its sender namespace and
 * forks the receiver into the peer namespace, if the path has one.
 * Asserted on every stream:
 *   - every send id completes exactly once, in well-formed inclusive
 *     ranges: missing, duplicate and never-issued ids fail, listed;
 *   - SO_EE_CODE_ZEROCOPY_COPIED is set exactly on paths that copy
 *     (ZC_EXPECT): local delivery (lo, veth) copies, a device that
 *     drops (sink) or a forwarder (forward) does not; forwarding kept
 *     zero-copy only since d2527ad3a9e1 (v6.17), so COPIED there on an
 *     older kernel is XFAIL;
 *   - notifications coalesce: fewer than ids, contiguous ranges; TCP
 *     has no gap; UDP may complete out of order, and its gaps are
 *     reported with their ranges instead;
 *   - a long stream completes the same way, without ENOBUFS at the
 *     namespace's default optmem; the error queue is read every 16
 *     sends throughout, so unread notifications never exhaust optmem
 *     (the upstream selftest's failure after dfa2f0483360);
 *   - the receiver, if any, gets every byte sent, verified in full.
 *
 * Run: ./run_tests.sh -T notif_contract (root; -t lo,veth,sink,forward)
 */
#include "kselftest_harness.h"
#include "zc_test.h"

/* Sizes below every MTU on the paths, so UDP is never fragmented. */
#define UDP_SIZE	1000
#define TCP_SIZE	4000
#define SENDS		256
#define LONG_SENDS	2048
#define DRAIN_EVERY	16

FIXTURE(notif) {
	struct zc_topo topo;
	struct zc_stream st;
};

FIXTURE_VARIANT(notif) {
	int family;
	int type;
};

FIXTURE_VARIANT_ADD(notif, ip4_tcp) {
	.family = AF_INET,
	.type = SOCK_STREAM,
};

FIXTURE_VARIANT_ADD(notif, ip4_udp) {
	.family = AF_INET,
	.type = SOCK_DGRAM,
};

FIXTURE_VARIANT_ADD(notif, ip6_tcp) {
	.family = AF_INET6,
	.type = SOCK_STREAM,
};

FIXTURE_VARIANT_ADD(notif, ip6_udp) {
	.family = AF_INET6,
	.type = SOCK_DGRAM,
};

FIXTURE_SETUP(notif)
{
	self->st.fd = -1;
	if (!zc_test_setup(_metadata, &self->topo, variant->family,
			   variant->type))
		return;
	self->st.topo = &self->topo;
	self->st.family = variant->family;
	self->st.type = variant->type;
	self->st.sends = SENDS;
	self->st.size = variant->type == SOCK_DGRAM ? UDP_SIZE : TCP_SIZE;
	self->st.drain_every = DRAIN_EVERY;
}

FIXTURE_TEARDOWN(notif)
{
	zc_stream_free(&self->st);
}

TEST_F_TIMEOUT(notif, completes_each_id_once, 60)
{
	zc_stream_run(_metadata, &self->st);
}

TEST_F_TIMEOUT(notif, flags_copied_per_path, 60)
{
	struct zc_stream *st = &self->st;
	const struct zc_topo *topo = &self->topo;
	uint64_t copied, zerocopy;

	zc_stream_run(_metadata, st);
	copied = st->t.copied;
	zerocopy = st->t.zerocopy;

	if (topo->expect_copied) {
		ASSERT_EQ(0ULL, zerocopy)
			TH_LOG("%s: expected COPIED for all %u ids (local delivery copies), seen %llu zero-copy, %llu COPIED; likely cause: the kernel no longer copies frags on local delivery, or ZC_EXPECT is wrong for this path",
			       st->label, st->t.issued,
			       (unsigned long long)zerocopy,
			       (unsigned long long)copied);
		return;
	}
	if (copied && topo->fix_version &&
	    zc_kernel_older_than(topo->fix_version) == 1)
		ZC_XFAIL(return, "%s: COPIED, kernel predates %s (v%s)",
			 st->label, topo->fix_commit, topo->fix_version);
	ASSERT_EQ(0ULL, copied)
		TH_LOG("%s: expected zero-copy for all %u ids, seen %llu COPIED, %llu zero-copy; likely cause on %s: a packet socket (ETH_P_ALL) tapping it, scatter-gather or tx checksum offload off, or fragmentation",
		       st->label, st->t.issued, (unsigned long long)copied,
		       (unsigned long long)zerocopy, topo->dev);
}

TEST_F_TIMEOUT(notif, coalesces_ranges, 60)
{
	struct zc_stream *st = &self->st;
	struct zc_anomalies *gap = &st->t.anomaly[ZC_GAP];
	char ids[256];

	zc_stream_run(_metadata, st);
	zc_tracker_format(&st->t, ZC_GAP, ids, sizeof(ids));
	if (st->type == SOCK_DGRAM && gap->events) {
		/* UDP may complete out of order: report, do not fail.
		 * Ranges on either side of a gap cannot merge.
		 */
		fprintf(TH_LOG_STREAM,
			"# %s: %llu gaps (%llu ids) closed later: %s\n",
			st->label, (unsigned long long)gap->events,
			(unsigned long long)gap->ids, ids);
		return;
	}
	/* TCP completes in order. */
	ASSERT_EQ(0ULL, gap->events)
		TH_LOG("%s: TCP completed out of order, gaps: %s", st->label,
		       ids);
	/* In order, a notification queued behind an unread contiguous one
	 * merges with it.
	 */
	ASSERT_GT(st->t.issued, st->t.notifications)
		TH_LOG("%s: expected fewer notifications than the %u ids, seen %llu: contiguous completions did not merge while %u sends went unread",
		       st->label, st->t.issued,
		       (unsigned long long)st->t.notifications, DRAIN_EVERY);
}

TEST_F_TIMEOUT(notif, completes_long_stream, 60)
{
	struct zc_stream *st = &self->st;

	st->sends = LONG_SENDS;
	zc_stream_run(_metadata, st);
	ASSERT_EQ(0ULL, st->s.enobufs)
		TH_LOG("%s: ENOBUFS %llu times in %u sends, the error queue read every %u sends; likely cause: net.core.optmem_max or RLIMIT_MEMLOCK too small for the sends in flight",
		       st->label, (unsigned long long)st->s.enobufs,
		       LONG_SENDS, DRAIN_EVERY);
}

TEST_HARNESS_MAIN
