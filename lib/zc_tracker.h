/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Completion tracker for MSG_ZEROCOPY send ids: pure logic, no syscalls.
 *
 * Every zero-copy send that the kernel accepts takes the next 32-bit id of
 * its socket (ids start at 0 once SO_ZEROCOPY is set, and wrap).  The
 * kernel reports completions on the error queue as inclusive ranges
 * [lo, hi] (ee_info, ee_data), flagged SO_EE_CODE_ZEROCOPY_COPIED when the
 * data was copied after all.  The tracker records which ids were issued and
 * checks that each one completes exactly once:
 *
 *   missing     issued, not completed (yet, or ever: see zc_tracker_done())
 *   duplicate   completed more than once
 *   unknown     completed but never issued
 *   malformed   a range longer than the number of ids issued, e.g. hi < lo
 *               without a wrap of the counter
 *   gap         when a range arrives, ids issued before it that are still
 *               pending (completions out of order); a gap closes when its
 *               ids complete, but it is counted and its range recorded
 *
 * Ids are compared as offsets from the first id issued, modulo 2^32, so the
 * counter may wrap past UINT32_MAX.  The first few anomalies of each kind
 * are kept as ranges so that a failure message can name the ids.
 */
#ifndef ZC_TRACKER_H
#define ZC_TRACKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Anomaly ranges kept per kind; the count goes on past it. */
#define ZC_TRACKER_KEEP 8

enum zc_anomaly {
	ZC_GAP,
	ZC_DUPLICATE,
	ZC_UNKNOWN,
	ZC_MALFORMED,
	ZC_NR_ANOMALIES,
};

/* Bits returned by zc_tracker_complete() for the range just fed. */
#define ZC_F_GAP	(1u << ZC_GAP)
#define ZC_F_DUPLICATE	(1u << ZC_DUPLICATE)
#define ZC_F_UNKNOWN	(1u << ZC_UNKNOWN)
#define ZC_F_MALFORMED	(1u << ZC_MALFORMED)

struct zc_range {
	uint32_t lo;
	uint32_t hi;	/* inclusive */
};

struct zc_anomalies {
	uint64_t ids;		/* ids involved (for malformed: ranges) */
	uint64_t events;	/* ranges recorded or not */
	unsigned int nr_kept;
	struct zc_range kept[ZC_TRACKER_KEEP];
};

struct zc_tracker {
	uint32_t first;		/* first id issued */
	uint32_t issued;	/* ids first .. first + issued - 1 (mod 2^32) */
	size_t capacity;	/* ids that can be issued */
	uint8_t *state;		/* per id offset: enum in zc_tracker.c */

	uint64_t notifications;	/* ranges fed, well formed or not */
	uint64_t completed;	/* issued ids completed at least once */
	uint64_t copied;	/* ... whose first completion was COPIED */
	uint64_t zerocopy;	/* ... whose first completion was zero-copy */
	uint32_t low_pending;	/* offset of the lowest id not completed */
	uint32_t gap_end;	/* offsets below it were completed or gaps */

	struct zc_anomalies anomaly[ZC_NR_ANOMALIES];
};

/**
 * zc_tracker_init() - start tracking ids from @first_id
 * @capacity: most ids that will be issued (at least 1)
 *
 * Return: 0, or -ENOMEM, or -EINVAL for a zero or too large capacity.
 */
int zc_tracker_init(struct zc_tracker *t, uint32_t first_id, size_t capacity);

/** zc_tracker_free() - release the memory of @t; @t may be re-initialised. */
void zc_tracker_free(struct zc_tracker *t);

/**
 * zc_tracker_issue() - record that one more send took the next id
 * @id: if not NULL, set to the id issued
 *
 * Return: 0, or -ENOSPC once @capacity ids were issued.
 */
int zc_tracker_issue(struct zc_tracker *t, uint32_t *id);

/**
 * zc_tracker_complete() - feed one notification range [@lo, @hi]
 * @copied: the notification carried SO_EE_CODE_ZEROCOPY_COPIED
 *
 * Return: a mask of ZC_F_* for the anomalies this range showed, 0 if none.
 */
unsigned int zc_tracker_complete(struct zc_tracker *t, uint32_t lo,
				 uint32_t hi, bool copied);

/** zc_tracker_missing() - ids issued and not completed yet */
uint64_t zc_tracker_missing(const struct zc_tracker *t);

/**
 * zc_tracker_done() - every id issued completed, exactly once, and no
 * range named an id never issued or was malformed.  Gaps are not errors:
 * the caller decides (TCP must have none, UDP may).
 */
bool zc_tracker_done(const struct zc_tracker *t);

/**
 * zc_tracker_format_missing() - write the ranges of ids still missing,
 * as "[lo,hi] [lo,hi] ...", into @buf (always terminated, truncated with
 * "..." when too long).
 *
 * Return: the number of ranges written.
 */
unsigned int zc_tracker_format_missing(const struct zc_tracker *t,
				       char *buf, size_t len);

/**
 * zc_tracker_format() - write the kept ranges of anomaly @kind the same
 * way, followed by "(+N more)" when some were not kept.
 *
 * Return: the number of ranges written.
 */
unsigned int zc_tracker_format(const struct zc_tracker *t,
			       enum zc_anomaly kind, char *buf, size_t len);

/** zc_anomaly_name() - "gap", "duplicate", "unknown" or "malformed" */
const char *zc_anomaly_name(enum zc_anomaly kind);

#endif /* ZC_TRACKER_H */
