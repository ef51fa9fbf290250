// SPDX-License-Identifier: GPL-2.0
/*
 * notif_contract: the MSG_ZEROCOPY completion-notification contract
 * (Documentation/networking/msg_zerocopy.rst) on one path, for IPv4 and
 * IPv6, TCP and UDP.
 *
 * The path is the topology run_tests.sh built (netns/) and handed over in
 * ZC_* variables; this program runs inside its sender namespace and forks
 * the receiver into the peer namespace, if the path has one.  Two
 * experiments run once per variant, and each test judges one property:
 *
 *   stream  2048 sends, the error queue read every 16 sends, as an
 *           application would (never letting unread notifications exhaust
 *           optmem: the upstream selftest's failure after dfa2f0483360);
 *   unread  64 sends and nothing read until every send has completed,
 *           where the path lets the sender know that (see coalesces_ranges).
 *
 *   completes_each_id_once  every requested send happened; every id
 *                           completed exactly once, in well-formed ranges;
 *                           the waits slept instead of spinning
 *   flags_copied_per_path   SO_EE_CODE_ZEROCOPY_COPIED exactly where the
 *                           path copies (ZC_EXPECT); forwarding kept
 *                           zero-copy only since d2527ad3a9e1 (v6.17), so
 *                           COPIED there on an older kernel is XFAIL
 *   completes_in_order      TCP completes out of order only on
 *                           retransmission; UDP in order where each send
 *                           completes before it returns (sink)
 *   reaches_path_end        the receiver got every byte, or the counters
 *                           of the forwarder and the dropping device show
 *                           that every packet got there
 *   coalesces_ranges        a completion that extends the range at the
 *                           tail of the unread queue is merged into it
 *
 * Run: ./run_tests.sh -T notif_contract (root; -t lo,veth,sink,forward)
 */
#include "kselftest_harness.h"
#include "zc_test.h"

/* Sizes below every MTU on the paths, so UDP is never fragmented. */
#define UDP_SIZE	1000
#define TCP_SIZE	4000
#define SENDS		2048
#define DRAIN_EVERY	16
#define UNREAD_SENDS	64

FIXTURE(notif) {
	struct zc_topo topo;
	char key[64];
};

FIXTURE_VARIANT(notif) {
	ZC_VARIANT_FIELDS;
};

ZC_VARIANTS_ALL(notif);

FIXTURE_SETUP(notif)
{
	zc_test_setup(_metadata, &self->topo, variant->family, variant->type);
}

FIXTURE_TEARDOWN(notif)
{
}

/* The experiment named @what of this variant, run once per program run. */
static const struct zc_stream_result *
experiment(struct __test_metadata *_metadata, FIXTURE_DATA(notif) *self,
	   const FIXTURE_VARIANT(notif) *variant, const char *what)
{
	struct zc_stream_spec spec = zc_spec(&self->topo, variant->family,
					     variant->type);

	spec.size = variant->type == SOCK_DGRAM ? UDP_SIZE : TCP_SIZE;
	if (!strcmp(what, "unread")) {
		spec.sends = UNREAD_SENDS;
		spec.barrier = true;
	} else {
		spec.sends = SENDS;
		spec.drain_every = DRAIN_EVERY;
	}
	snprintf(self->key, sizeof(self->key), "%s_%s.%s",
		 zc_family_tag(variant->family), zc_proto_name(variant->type),
		 what);
	return zc_experiment(_metadata, self->key, &spec);
}

TEST_F_TIMEOUT(notif, completes_each_id_once, 60)
{
	const struct zc_stream_result *r;
	int k;

	r = experiment(_metadata, self, variant, "stream");
	ASSERT_EQ(0, r->err) TH_LOG("%s: stream stopped: %s", r->label, r->why);

	/* Every requested send happened: none skipped after an error. */
	ASSERT_EQ(r->requested_bytes, r->bytes)
		TH_LOG("%s: %llu of %llu bytes sent in %llu calls",
		       r->label, (unsigned long long)r->bytes,
		       (unsigned long long)r->requested_bytes,
		       (unsigned long long)r->calls);
	if (!r->tcp) {
		ASSERT_EQ(r->requested, r->calls)
			TH_LOG("%s: %llu of %llu datagrams sent",
			       r->label, (unsigned long long)r->calls,
			       (unsigned long long)r->requested);
	}

	/* Nothing but zero-copy notifications on the error queue. */
	EXPECT_TRUE(r->wait_ret == 0 || r->wait_ret == -ETIMEDOUT)
		TH_LOG("%s: reading the error queue: expected it to end or time out, seen %s: %s",
		       r->label, strerror(-r->wait_ret), r->wait_why);
	EXPECT_EQ(0ULL, r->missing)
		TH_LOG("%s: %llu of %u ids never completed: %s; %s",
		       r->label, (unsigned long long)r->missing, r->issued,
		       r->missing_list, r->wait_why);
	/* (The harness's assertions are two statements: braces.) */
	for (k = ZC_DUPLICATE; k < ZC_NR_ANOMALIES; k++) {
		EXPECT_EQ(0ULL, r->anomaly_events[k])
			TH_LOG("%s: %llu %s %s in notifications: %s",
			       r->label,
			       (unsigned long long)r->anomaly_ids[k],
			       zc_anomaly_name(k),
			       k == ZC_MALFORMED ? "ranges" : "ids",
			       r->anomaly_list[k]);
	}

	/* A wait that spins burns the CPU the kernel needs to complete. */
	EXPECT_LE(r->wait_cpu_ms, 50 + r->wait_ms / 10)
		TH_LOG("%s: waiting for notifications took %lld ms of CPU in %lld ms (expected at most 50 ms + 10%% of that, %lld ms; %llu wakeups, %llu with nothing to read): a busy loop",
		       r->label, (long long)r->wait_cpu_ms,
		       (long long)r->wait_ms,
		       (long long)(50 + r->wait_ms / 10),
		       (unsigned long long)r->wakeups,
		       (unsigned long long)r->empty_wakeups);
}

TEST_F_TIMEOUT(notif, flags_copied_per_path, 60)
{
	const struct zc_topo *topo = &self->topo;
	const struct zc_stream_result *r;
	char why[1024];

	r = experiment(_metadata, self, variant, "stream");
	ASSERT_EQ(0, r->err) TH_LOG("%s: stream stopped: %s", r->label, r->why);
	ASSERT_NE(0ULL, r->completed)
		TH_LOG("%s: no id completed, no flag to check", r->label);

	if (topo->expect_copied) {
		ASSERT_EQ(0ULL, r->zerocopy)
			TH_LOG("%s: expected COPIED for all %llu ids completed (local delivery copies), seen %llu zero-copy, %llu COPIED; likely cause: the kernel no longer copies frags on local delivery, or ZC_EXPECT is wrong for this path",
			       r->label, (unsigned long long)r->completed,
			       (unsigned long long)r->zerocopy,
			       (unsigned long long)r->copied);
		return;
	}
	ZC_XFAIL_UNFIXED(return, topo, r->copied, "%s: COPIED", r->label);
	/* The cause, as lib/zc_diag finds it on the path now. */
	ASSERT_EQ(0ULL, r->copied)
		TH_LOG("%s: expected zero-copy for all %llu ids completed, seen %llu COPIED, %llu zero-copy; %s",
		       r->label, (unsigned long long)r->completed,
		       (unsigned long long)r->copied,
		       (unsigned long long)r->zerocopy,
		       zc_diag_explain(topo, variant->family, variant->type,
				       variant->type == SOCK_DGRAM ? UDP_SIZE :
								     TCP_SIZE,
				       why, sizeof(why)));
}

TEST_F_TIMEOUT(notif, completes_in_order, 60)
{
	const struct zc_stream_result *r;
	unsigned long long gaps;

	r = experiment(_metadata, self, variant, "stream");
	ASSERT_EQ(0, r->err) TH_LOG("%s: stream stopped: %s", r->label, r->why);
	gaps = r->anomaly_events[ZC_GAP];

	if (r->tcp) {
		/* msg_zerocopy.rst: "Notifications may arrive out of order
		 * on retransmission and socket teardown"; no teardown here.
		 */
		ASSERT_TRUE(!gaps || r->total_retrans)
			TH_LOG("%s: TCP completed out of order with no retransmission on the socket (tcpi_total_retrans 0): gaps %s",
			       r->label, r->anomaly_list[ZC_GAP]);
		if (gaps)
			fprintf(TH_LOG_STREAM,
				"# %s: %llu gaps after %u retransmits, as msg_zerocopy.rst allows: %s\n",
				r->label, gaps, r->total_retrans,
				r->anomaly_list[ZC_GAP]);
		return;
	}
	if (!self->topo.sync)
		SKIP(return, "%s: UDP order is not promised on an asynchronous path (msg_zerocopy.rst); %llu gaps seen",
		     r->label, gaps);
	ASSERT_EQ(0ULL, gaps)
		TH_LOG("%s: out of order although each send completes before send() returns: gaps %s",
		       r->label, r->anomaly_list[ZC_GAP]);
}

TEST_F_TIMEOUT(notif, reaches_path_end, 60)
{
	const struct zc_topo *topo = &self->topo;
	const struct zc_stream_result *r;
	const struct zc_peer_result *rx;

	r = experiment(_metadata, self, variant, "stream");
	ASSERT_EQ(0, r->err) TH_LOG("%s: stream stopped: %s", r->label, r->why);
	rx = &r->rx;

	if (r->has_peer) {
		ASSERT_EQ(0, r->peer_ret)
			TH_LOG("%s: no result from the receiver: %s, it %s",
			       r->label, strerror(-r->peer_ret),
			       r->peer_status);
		ASSERT_EQ(0U, rx->bad)
			TH_LOG("%s: receiver saw %u corrupt %s, the first at %s %lld",
			       r->label, rx->bad,
			       r->tcp ? "reads" : "datagrams",
			       r->tcp ? "stream offset" : "datagram",
			       (long long)rx->first_bad);
		ASSERT_EQ(0U, rx->duplicates)
			TH_LOG("%s: receiver got %u datagrams twice", r->label,
			       rx->duplicates);
		/* The stream's byte count, or one datagram per send. */
		ASSERT_EQ(r->tcp ? r->bytes : r->calls,
			  r->tcp ? rx->bytes : rx->datagrams)
			TH_LOG("%s: receiver got %llu of %llu %s (%s)",
			       r->label,
			       (unsigned long long)(r->tcp ? rx->bytes :
							     rx->datagrams),
			       (unsigned long long)(r->tcp ? r->bytes :
							     r->calls),
			       r->tcp ? "bytes" : "datagrams",
			       rx->why[0] ? rx->why : "no error");
		ASSERT_EQ(0, rx->err)
			TH_LOG("%s: receiver: %s", r->label, rx->why);
		return;
	}

	/* No receiver: a zero-copy completion proves nothing unless the
	 * packet reached the device that drops it.
	 */
	ASSERT_TRUE(r->has_drop)
		TH_LOG("%s: the topology names neither a receiver nor a dropping device",
		       r->label);
	if (r->has_fwd) {
		ASSERT_EQ(0, r->fwd_err)
			TH_LOG("%s: reading %s in netns %s: %s", r->label,
			       r->fwd_counter, topo->fwd_ns,
			       strerror(-r->fwd_err));
		ASSERT_LE(r->calls, r->fwd_delta)
			TH_LOG("%s: %s in the forwarder (netns %s) rose by %llu, expected at least the %llu datagrams sent; likely cause: forwarding off there, or a device down before it",
			       r->label, r->fwd_counter, topo->fwd_ns,
			       (unsigned long long)r->fwd_delta,
			       (unsigned long long)r->calls);
	}
	ASSERT_EQ(0, r->drop_err)
		TH_LOG("%s: reading the counters of %s in netns %s: %s",
		       r->label, topo->drop_dev, topo->drop_ns,
		       strerror(-r->drop_err));
	ASSERT_LE(r->calls, r->drop_delta)
		TH_LOG("%s: %s (netns %s) dropped %llu packets, expected at least the %llu datagrams sent: they were lost earlier on the path; likely cause: %s down, or a route elsewhere",
		       r->label, topo->drop_dev, topo->drop_ns,
		       (unsigned long long)r->drop_delta,
		       (unsigned long long)r->calls, topo->drop_dev);
}

TEST_F_TIMEOUT(notif, coalesces_ranges, 60)
{
	const struct zc_stream_result *r;

	r = experiment(_metadata, self, variant, "unread");
	ASSERT_EQ(0, r->err) TH_LOG("%s: stream stopped: %s", r->label, r->why);
	ASSERT_EQ(0ULL, r->missing)
		TH_LOG("%s: %llu of %u ids never completed: %s; %s",
		       r->label, (unsigned long long)r->missing, r->issued,
		       r->missing_list, r->wait_why);
	if (!r->barrier_held)
		SKIP(return, "%s: the sender cannot tell when every send completed (%s): merging not checked, %llu notifications for %u ids",
		     r->label, r->barrier_why,
		     (unsigned long long)r->notifications, r->issued);
	/* msg_zerocopy.rst: a new value that extends the range of the
	 * notification at the tail of the queue is merged into it.
	 */
	ASSERT_EQ(0ULL, r->unmerged)
		TH_LOG("%s: %llu pairs of adjacent notifications with contiguous ranges, not merged although nothing had been read: %s",
		       r->label, (unsigned long long)r->unmerged,
		       r->unmerged_list);
}

TEST_HARNESS_MAIN
