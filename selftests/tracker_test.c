// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of lib/zc_tracker.c on synthetic notification streams: no
 * socket, no kernel feature, no privilege.  Each test issues ids, feeds
 * ranges as the error queue would deliver them, and checks the counters
 * and the id lists a failure message would print.
 *
 *   make build/selftests/tracker_test && ./build/selftests/tracker_test
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kselftest_harness.h"
#include "zc_tracker.h"

#define ZC_MISSING	(-1)	/* fmt(): the missing ids, not an anomaly */
#define KEEP		((unsigned int)ZC_TRACKER_KEEP)

FIXTURE(tracker) {
	struct zc_tracker t;
	char buf[256];
};

FIXTURE_SETUP(tracker)
{
	ASSERT_EQ(0, zc_tracker_init(&self->t, 0, 64));
}

FIXTURE_TEARDOWN(tracker)
{
	zc_tracker_free(&self->t);
}

/* Restart @t with other bounds than the fixture's. */
static int reinit(struct zc_tracker *t, uint32_t first_id, size_t capacity)
{
	zc_tracker_free(t);
	return zc_tracker_init(t, first_id, capacity);
}

/* Issue @n ids and check that they follow on from the ones before. */
static void issue(struct __test_metadata *_metadata, struct zc_tracker *t,
		  unsigned int n)
{
	uint32_t id, want;

	while (n--) {
		want = t->first + t->issued;
		ASSERT_EQ(0, zc_tracker_issue(t, &id)) {
			TH_LOG("issue #%u of capacity %zu", t->issued,
			       t->capacity);
		}
		ASSERT_EQ(want, id);
	}
}

/* The list of anomaly @kind, or of the missing ids, as a string. */
static const char *fmt(FIXTURE_DATA(tracker) *self, int kind)
{
	if (kind == ZC_MISSING)
		zc_tracker_format_missing(&self->t, self->buf,
					  sizeof(self->buf));
	else
		zc_tracker_format(&self->t, kind, self->buf,
				  sizeof(self->buf));
	return self->buf;
}

/* No anomaly of any kind was seen. */
static void assert_clean(struct __test_metadata *_metadata,
			 FIXTURE_DATA(tracker) *self, const char *scenario)
{
	int k;

	for (k = 0; k < ZC_NR_ANOMALIES; k++) {
		ASSERT_EQ(0u, self->t.anomaly[k].events) {
			TH_LOG("%s: %s %s", scenario, zc_anomaly_name(k),
			       fmt(self, k));
		}
	}
}

TEST_F(tracker, complete_in_order)
{
	uint32_t id;

	/* UDP read after every send: one notification per id. */
	issue(_metadata, &self->t, 10);
	for (id = 0; id < 10; id++) {
		ASSERT_EQ(0u, zc_tracker_complete(&self->t, id, id, false))
			TH_LOG("in order: [%u]", id);
		ASSERT_EQ(id + 1, self->t.low_pending)
			TH_LOG("in order: low_pending after [%u]", id);
	}
	ASSERT_EQ(10u, self->t.notifications);
	ASSERT_EQ(10u, self->t.completed);
	ASSERT_EQ(10u, self->t.zerocopy);
	ASSERT_EQ(0u, self->t.copied);
	ASSERT_EQ(0u, zc_tracker_missing(&self->t));
	ASSERT_TRUE(zc_tracker_done(&self->t));
	ASSERT_STREQ("", fmt(self, ZC_MISSING));
	assert_clean(_metadata, self, "in order");
}

TEST_F(tracker, complete_coalesced)
{
	/* Read only at the end: the kernel merged all into [0,N-1]. */
	issue(_metadata, &self->t, 64);
	ASSERT_EQ(0u, zc_tracker_complete(&self->t, 0, 63, true))
		TH_LOG("coalesced: [0,63]");
	ASSERT_EQ(1u, self->t.notifications);
	ASSERT_EQ(64u, self->t.completed);
	ASSERT_EQ(64u, self->t.copied);
	ASSERT_EQ(64u, self->t.low_pending);
	ASSERT_TRUE(zc_tracker_done(&self->t));
	assert_clean(_metadata, self, "coalesced");
}

TEST_F(tracker, detect_gap)
{
	issue(_metadata, &self->t, 4);
	ASSERT_EQ(0u, zc_tracker_complete(&self->t, 0, 1, false));
	ASSERT_EQ(ZC_F_GAP, zc_tracker_complete(&self->t, 3, 3, false))
		TH_LOG("gap: [3] before [2]");
	ASSERT_EQ(0u, zc_tracker_complete(&self->t, 2, 2, false))
		TH_LOG("gap: [2] closes the gap, no new one");
	ASSERT_EQ(1u, self->t.anomaly[ZC_GAP].events);
	ASSERT_EQ(1u, self->t.anomaly[ZC_GAP].ids);
	ASSERT_STREQ("[2]", fmt(self, ZC_GAP));
	ASSERT_EQ(4u, self->t.low_pending);
	/* Gaps are the caller's call (UDP may reorder): done all the same. */
	ASSERT_TRUE(zc_tracker_done(&self->t));
}

TEST_F(tracker, detect_gap_at_start)
{
	/* Drained after every send, the first notification can be [1]. */
	issue(_metadata, &self->t, 2);
	ASSERT_EQ(ZC_F_GAP, zc_tracker_complete(&self->t, 1, 1, false));
	ASSERT_EQ(0u, self->t.low_pending);
	ASSERT_STREQ("[0]", fmt(self, ZC_MISSING));
	ASSERT_EQ(0u, zc_tracker_complete(&self->t, 0, 0, false));
	ASSERT_STREQ("[0]", fmt(self, ZC_GAP));
	ASSERT_TRUE(zc_tracker_done(&self->t));
}

TEST_F(tracker, complete_out_of_order)
{
	/*
	 * Sends alternating between a hold and a fast destination, as
	 * completion_order's reorder test makes them (docs/KERNEL-NOTES.md,
	 * "The contract's edges"): each fast one overtakes the held one
	 * before it, which completes once the hold lets go.
	 */
	static const struct {
		uint32_t lo, hi;
		unsigned int flags;
	} rows[] = {
		{ 0, 1, 0 },		/* both completed before any was held */
		{ 3, 3, ZC_F_GAP },	/* fast; 2 held */
		{ 5, 5, ZC_F_GAP },	/* fast; 4 held, 2 counted already */
		{ 7, 7, ZC_F_GAP },
		{ 9, 9, ZC_F_GAP },
		{ 2, 2, 0 },		/* the hold lets go: in order */
		{ 4, 4, 0 },
		{ 6, 6, 0 },
		{ 8, 8, 0 },
	};
	unsigned int i;

	issue(_metadata, &self->t, 10);
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		ASSERT_EQ(rows[i].flags,
			  zc_tracker_complete(&self->t, rows[i].lo,
					      rows[i].hi, false))
			TH_LOG("out of order: row %u [%u,%u]", i,
			       rows[i].lo, rows[i].hi);
	}
	ASSERT_EQ(4u, self->t.anomaly[ZC_GAP].events);
	ASSERT_EQ(4u, self->t.anomaly[ZC_GAP].ids);
	ASSERT_STREQ("[2] [4] [6] [8]", fmt(self, ZC_GAP));
	ASSERT_EQ(9u, self->t.notifications);
	ASSERT_EQ(10u, self->t.completed);
	ASSERT_TRUE(zc_tracker_done(&self->t));
}

TEST_F(tracker, detect_duplicate)
{
	issue(_metadata, &self->t, 6);
	ASSERT_EQ(0u, zc_tracker_complete(&self->t, 0, 3, false));
	ASSERT_EQ(ZC_F_DUPLICATE, zc_tracker_complete(&self->t, 2, 2, false))
		TH_LOG("duplicate: [2] again");
	/* Overlap: 1..3 again, 4..5 new; the new ones still count. */
	ASSERT_EQ(ZC_F_DUPLICATE, zc_tracker_complete(&self->t, 1, 5, false))
		TH_LOG("duplicate: [1,5] over [0,3]");
	ASSERT_EQ(2u, self->t.anomaly[ZC_DUPLICATE].events);
	ASSERT_EQ(4u, self->t.anomaly[ZC_DUPLICATE].ids);
	ASSERT_STREQ("[2] [1,3]", fmt(self, ZC_DUPLICATE));
	ASSERT_EQ(6u, self->t.completed);
	ASSERT_EQ(0u, zc_tracker_missing(&self->t));
	ASSERT_FALSE(zc_tracker_done(&self->t))
		TH_LOG("duplicate: done() must fail");
}

TEST_F(tracker, detect_unknown)
{
	issue(_metadata, &self->t, 10);
	/* Partly beyond: 8 and 9 complete, 10..12 were never issued. */
	ASSERT_EQ(ZC_F_GAP | ZC_F_UNKNOWN,
		  zc_tracker_complete(&self->t, 8, 12, false))
		TH_LOG("unknown: [8,12] with 10 issued, 0..7 pending");
	/* Wholly beyond. */
	ASSERT_EQ(ZC_F_UNKNOWN, zc_tracker_complete(&self->t, 20, 25, false))
		TH_LOG("unknown: [20,25] with 10 issued");
	ASSERT_EQ(2u, self->t.anomaly[ZC_UNKNOWN].events);
	ASSERT_EQ(9u, self->t.anomaly[ZC_UNKNOWN].ids);
	ASSERT_STREQ("[10,12] [20,25]", fmt(self, ZC_UNKNOWN));
	ASSERT_STREQ("[0,7]", fmt(self, ZC_GAP));
	ASSERT_EQ(2u, self->t.completed);
	ASSERT_STREQ("[0,7]", fmt(self, ZC_MISSING));
	ASSERT_FALSE(zc_tracker_done(&self->t));
}

TEST_F(tracker, detect_unknown_before_first)
{
	/* Ids below the first one issued are unknown too, not old ones. */
	ASSERT_EQ(0, reinit(&self->t, 100, 8));
	issue(_metadata, &self->t, 4);
	ASSERT_EQ(ZC_F_UNKNOWN, zc_tracker_complete(&self->t, 98, 101, true))
		TH_LOG("unknown: [98,101] with 100..103 issued");
	ASSERT_STREQ("[98,99]", fmt(self, ZC_UNKNOWN));
	ASSERT_STREQ("[102,103]", fmt(self, ZC_MISSING));
	ASSERT_EQ(2u, self->t.copied);
}

TEST_F(tracker, report_missing)
{
	issue(_metadata, &self->t, 10);
	ASSERT_EQ(0u, zc_tracker_complete(&self->t, 0, 2, false));
	ASSERT_EQ(ZC_F_GAP, zc_tracker_complete(&self->t, 6, 7, false));
	ASSERT_EQ(ZC_F_GAP, zc_tracker_complete(&self->t, 9, 9, false));
	ASSERT_EQ(4u, zc_tracker_missing(&self->t));
	ASSERT_EQ(2u, zc_tracker_format_missing(&self->t, self->buf,
					       sizeof(self->buf)));
	ASSERT_STREQ("[3,5] [8]", self->buf)
		TH_LOG("missing at the end");
	ASSERT_STREQ("[3,5] [8]", fmt(self, ZC_GAP));
	ASSERT_FALSE(zc_tracker_done(&self->t));
}

TEST_F(tracker, wrap_counter)
{
	uint32_t id;

	/* 0xfffffffa .. 0xffffffff, then 0 .. 5. */
	ASSERT_EQ(0, reinit(&self->t, 0xfffffffa, 12));
	issue(_metadata, &self->t, 12);
	ASSERT_EQ(0u, zc_tracker_complete(&self->t, 0xfffffffa, 0xffffffff,
					 false))
		TH_LOG("wrap: first half");
	ASSERT_STREQ("[0,5]", fmt(self, ZC_MISSING));
	ASSERT_EQ(0u, zc_tracker_complete(&self->t, 0, 5, false))
		TH_LOG("wrap: second half");
	ASSERT_TRUE(zc_tracker_done(&self->t));

	/* One range across the wrap. */
	ASSERT_EQ(0, reinit(&self->t, 0xfffffffa, 12));
	issue(_metadata, &self->t, 12);
	ASSERT_EQ(0u, zc_tracker_complete(&self->t, 0xfffffffa, 5, false))
		TH_LOG("wrap: [0xfffffffa, 5]");
	ASSERT_EQ(12u, self->t.completed);
	ASSERT_TRUE(zc_tracker_done(&self->t));
	assert_clean(_metadata, self, "wrap");
	ASSERT_EQ(-ENOSPC, zc_tracker_issue(&self->t, &id));

	/* Missing ids across the wrap print as one wrapping range. */
	ASSERT_EQ(0, reinit(&self->t, 0xfffffffa, 12));
	issue(_metadata, &self->t, 12);
	ASSERT_EQ(0u, zc_tracker_complete(&self->t, 0xfffffffa, 0xfffffffb,
					 false));
	ASSERT_EQ(ZC_F_GAP, zc_tracker_complete(&self->t, 2, 5, false));
	ASSERT_STREQ("[4294967292,1]", fmt(self, ZC_MISSING));
	ASSERT_STREQ("[4294967292,1]", fmt(self, ZC_GAP));
}

TEST_F(tracker, reject_malformed)
{
	issue(_metadata, &self->t, 10);
	/* hi < lo would be a wrap of 2^32 - 2 ids: more than were issued. */
	ASSERT_EQ(ZC_F_MALFORMED, zc_tracker_complete(&self->t, 5, 2, false))
		TH_LOG("malformed: [5,2] with 10 issued");
	/* Longer than issued even though lo <= hi. */
	ASSERT_EQ(ZC_F_MALFORMED, zc_tracker_complete(&self->t, 0, 10, false))
		TH_LOG("malformed: [0,10] with 10 issued");
	ASSERT_EQ(2u, self->t.notifications);
	ASSERT_EQ(2u, self->t.anomaly[ZC_MALFORMED].events);
	ASSERT_EQ(2u, self->t.anomaly[ZC_MALFORMED].ids);
	ASSERT_STREQ("[5,2] [0,10]", fmt(self, ZC_MALFORMED));
	/* No id changed state. */
	ASSERT_EQ(0u, self->t.completed);
	ASSERT_EQ(0u, self->t.low_pending);
	ASSERT_STREQ("[0,9]", fmt(self, ZC_MISSING));
	ASSERT_EQ(0u, self->t.anomaly[ZC_GAP].events);
	ASSERT_EQ(0u, zc_tracker_complete(&self->t, 0, 9, false))
		TH_LOG("malformed: a good range afterwards");
	ASSERT_FALSE(zc_tracker_done(&self->t));
}

TEST_F(tracker, count_copied)
{
	issue(_metadata, &self->t, 6);
	ASSERT_EQ(0u, zc_tracker_complete(&self->t, 0, 1, true));
	ASSERT_EQ(0u, zc_tracker_complete(&self->t, 2, 3, false));
	ASSERT_EQ(0u, zc_tracker_complete(&self->t, 4, 4, true));
	/* 3 and 4 again: their first flags stand; 5 is new and COPIED. */
	ASSERT_EQ(ZC_F_DUPLICATE, zc_tracker_complete(&self->t, 3, 5, true));
	ASSERT_EQ(6u, self->t.completed);
	ASSERT_EQ(4u, self->t.copied) TH_LOG("copied: 0, 1, 4, 5");
	ASSERT_EQ(2u, self->t.zerocopy) TH_LOG("zerocopy: 2, 3");
	ASSERT_STREQ("[3,4]", fmt(self, ZC_DUPLICATE));
}

TEST_F(tracker, exhaust_capacity)
{
	uint32_t id = 12345;

	ASSERT_EQ(0, reinit(&self->t, 7, 3));
	issue(_metadata, &self->t, 3);
	ASSERT_EQ(-ENOSPC, zc_tracker_issue(&self->t, &id))
		TH_LOG("capacity 3: fourth issue");
	ASSERT_EQ(12345u, id) TH_LOG("capacity: id untouched on -ENOSPC");
	ASSERT_EQ(-ENOSPC, zc_tracker_issue(&self->t, NULL));
	ASSERT_EQ(3u, self->t.issued);
	ASSERT_EQ(3u, zc_tracker_missing(&self->t));
	ASSERT_STREQ("[7,9]", fmt(self, ZC_MISSING));
}

TEST_F(tracker, reject_bad_init)
{
	ASSERT_EQ(-EINVAL, reinit(&self->t, 0, 0)) TH_LOG("capacity 0");
	ASSERT_NULL(self->t.state);
	if (sizeof(size_t) > sizeof(uint32_t)) {
		ASSERT_EQ(-EINVAL, reinit(&self->t, 0, (size_t)UINT32_MAX + 1))
			TH_LOG("capacity 2^32");
	}
	ASSERT_EQ(0, reinit(&self->t, UINT32_MAX, 1)) TH_LOG("capacity 1");
	issue(_metadata, &self->t, 1);
	ASSERT_EQ(0u, zc_tracker_complete(&self->t, UINT32_MAX, UINT32_MAX,
					 false));
	ASSERT_TRUE(zc_tracker_done(&self->t));
}

TEST_F(tracker, keep_limit)
{
	char want[256];
	size_t pos = 0;
	unsigned int i;

	/* KEEP + 3 unknown single ids: the first KEEP are listed. */
	issue(_metadata, &self->t, 1);
	for (i = 0; i < ZC_TRACKER_KEEP + 3; i++) {
		ASSERT_EQ(ZC_F_UNKNOWN,
			  zc_tracker_complete(&self->t, 10 + 2 * i,
					      10 + 2 * i, false))
			TH_LOG("keep limit: unknown #%u", i);
		if (i < ZC_TRACKER_KEEP)
			pos += snprintf(want + pos, sizeof(want) - pos,
					"%s[%u]", i ? " " : "", 10 + 2 * i);
	}
	snprintf(want + pos, sizeof(want) - pos, " (+3 more)");
	ASSERT_EQ(ZC_TRACKER_KEEP + 3u, self->t.anomaly[ZC_UNKNOWN].events);
	ASSERT_EQ(ZC_TRACKER_KEEP + 3u, self->t.anomaly[ZC_UNKNOWN].ids);
	ASSERT_EQ(KEEP, self->t.anomaly[ZC_UNKNOWN].nr_kept);
	ASSERT_EQ(KEEP,
		  zc_tracker_format(&self->t, ZC_UNKNOWN, self->buf,
				    sizeof(self->buf)));
	ASSERT_STREQ(want, self->buf) TH_LOG("keep limit: suffix");

	/* One byte short: the suffix gives way to "...". */
	ASSERT_EQ(KEEP,
		  zc_tracker_format(&self->t, ZC_UNKNOWN, self->buf,
				    strlen(want)));
	strcpy(want + pos, "...");
	ASSERT_STREQ(want, self->buf) TH_LOG("keep limit: suffix cut");
}

TEST_F(tracker, truncate_format)
{
	char buf[16];
	uint32_t id;

	/* Missing: "[0] [2] [4] [6]" (15 characters). */
	issue(_metadata, &self->t, 8);
	for (id = 1; id < 8; id += 2)
		zc_tracker_complete(&self->t, id, id, false);

	memset(buf, 'x', sizeof(buf));
	ASSERT_EQ(4u, zc_tracker_format_missing(&self->t, buf, 16));
	ASSERT_STREQ("[0] [2] [4] [6]", buf) TH_LOG("truncate: exact fit");

	memset(buf, 'x', sizeof(buf));
	ASSERT_EQ(2u, zc_tracker_format_missing(&self->t, buf, 12));
	ASSERT_STREQ("[0] [2]...", buf) TH_LOG("truncate: 12 bytes");
	ASSERT_EQ('x', buf[12]) TH_LOG("truncate: wrote past 12 bytes");

	memset(buf, 'x', sizeof(buf));
	ASSERT_EQ(0u, zc_tracker_format_missing(&self->t, buf, 4));
	ASSERT_STREQ("...", buf) TH_LOG("truncate: 4 bytes");
	ASSERT_EQ('x', buf[4]);

	memset(buf, 'x', sizeof(buf));
	ASSERT_EQ(0u, zc_tracker_format_missing(&self->t, buf, 2));
	ASSERT_STREQ(".", buf) TH_LOG("truncate: 2 bytes");

	memset(buf, 'x', sizeof(buf));
	ASSERT_EQ(0u, zc_tracker_format_missing(&self->t, buf, 1));
	ASSERT_EQ('\0', buf[0]) TH_LOG("truncate: 1 byte");
	ASSERT_EQ(0u, zc_tracker_format_missing(&self->t, NULL, 0));
}

TEST_F(tracker, name_anomalies)
{
	ASSERT_STREQ("gap", zc_anomaly_name(ZC_GAP));
	ASSERT_STREQ("duplicate", zc_anomaly_name(ZC_DUPLICATE));
	ASSERT_STREQ("unknown", zc_anomaly_name(ZC_UNKNOWN));
	ASSERT_STREQ("malformed", zc_anomaly_name(ZC_MALFORMED));
	ASSERT_EQ(0u, zc_tracker_missing(&self->t));
	ASSERT_TRUE(zc_tracker_done(&self->t)) TH_LOG("nothing issued");
	ASSERT_STREQ("", fmt(self, ZC_MISSING));
}

TEST_HARNESS_MAIN
