// SPDX-License-Identifier: GPL-2.0
/*
 * Completion tracker for MSG_ZEROCOPY send ids: see zc_tracker.h.
 *
 * One state byte per id issued, indexed by the id's offset from the first
 * id (modulo 2^32).  A notification range costs O(its length); the gap
 * check and the lowest pending id only move forward.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zc_tracker.h"

enum {
	ZC_ST_FREE,		/* not issued yet */
	ZC_ST_PENDING,
	ZC_ST_COMPLETED,
};

/* What an id of a notification turned out to be, to cut it into runs. */
enum {
	ZC_ID_OK = -1,		/* else an enum zc_anomaly */
};

int zc_tracker_init(struct zc_tracker *t, uint32_t first_id, size_t capacity)
{
	memset(t, 0, sizeof(*t));
	if (!capacity || capacity > UINT32_MAX)
		return -EINVAL;
	t->state = calloc(capacity, 1);
	if (!t->state)
		return -ENOMEM;
	t->first = first_id;
	t->capacity = capacity;
	return 0;
}

void zc_tracker_free(struct zc_tracker *t)
{
	free(t->state);
	memset(t, 0, sizeof(*t));
}

int zc_tracker_issue(struct zc_tracker *t, uint32_t *id)
{
	if (t->issued == t->capacity)
		return -ENOSPC;
	t->state[t->issued] = ZC_ST_PENDING;
	if (id)
		*id = t->first + t->issued;
	t->issued++;
	return 0;
}

static void record(struct zc_tracker *t, enum zc_anomaly kind,
		   uint32_t lo, uint32_t hi, uint64_t ids)
{
	struct zc_anomalies *a = &t->anomaly[kind];

	a->ids += ids;
	a->events++;
	if (a->nr_kept < ZC_TRACKER_KEEP)
		a->kept[a->nr_kept++] = (struct zc_range){ lo, hi };
}

unsigned int zc_tracker_complete(struct zc_tracker *t, uint32_t lo,
				 uint32_t hi, bool copied)
{
	uint64_t len = (uint64_t)(uint32_t)(hi - lo) + 1;
	uint32_t run_lo = lo, end = t->gap_end;
	bool seen_issued = false;
	unsigned int flags = 0;
	int run = ZC_ID_OK;
	uint64_t i;

	t->notifications++;
	/* issued <= capacity, so this bounds the work by the capacity too. */
	if (len > t->issued) {
		record(t, ZC_MALFORMED, lo, hi, 1);
		return ZC_F_MALFORMED;
	}

	for (i = 0; i <= len; i++) {
		uint32_t id = lo + (uint32_t)i;
		uint32_t off = id - t->first;
		int kind = ZC_ID_OK;

		if (i == len) {
			kind = ZC_NR_ANOMALIES;	/* flushes the last run */
		} else if (off >= t->issued) {
			kind = ZC_UNKNOWN;
		} else {
			/* Ids at or past gap_end were never completed. */
			if (!seen_issued && off > t->gap_end) {
				record(t, ZC_GAP, t->first + t->gap_end,
				       id - 1, off - t->gap_end);
				flags |= ZC_F_GAP;
			}
			seen_issued = true;
			if (off >= end)
				end = off + 1;
			if (t->state[off] == ZC_ST_COMPLETED) {
				kind = ZC_DUPLICATE;
			} else {
				t->state[off] = ZC_ST_COMPLETED;
				t->completed++;
				if (copied)
					t->copied++;
				else
					t->zerocopy++;
			}
		}
		if (kind == run)
			continue;
		if (run != ZC_ID_OK) {
			record(t, run, run_lo, id - 1, id - run_lo);
			flags |= 1u << run;
		}
		run = kind;
		run_lo = id;
	}

	t->gap_end = end;
	while (t->low_pending < t->issued &&
	       t->state[t->low_pending] == ZC_ST_COMPLETED)
		t->low_pending++;
	return flags;
}

uint64_t zc_tracker_missing(const struct zc_tracker *t)
{
	return t->issued - t->completed;
}

bool zc_tracker_done(const struct zc_tracker *t)
{
	return !zc_tracker_missing(t) &&
	       !t->anomaly[ZC_DUPLICATE].events &&
	       !t->anomaly[ZC_UNKNOWN].events &&
	       !t->anomaly[ZC_MALFORMED].events;
}

/*
 * Output into a fixed buffer.  A piece that does not fit is dropped along
 * with the pieces after it, and "..." replaces the tail: back to the end of
 * the last piece that leaves room for it.
 */
struct zc_out {
	char *buf;
	size_t len;
	size_t pos;
	size_t safe;		/* end of the last piece with room after it */
	unsigned int nr;	/* ranges written */
	unsigned int safe_nr;
	bool full;
};

static void out_put(struct zc_out *o, const char *s, bool is_range)
{
	size_t n = strlen(s);

	if (o->full)
		return;
	if (o->pos + n < o->len) {
		memcpy(o->buf + o->pos, s, n);
		o->pos += n;
		o->nr += is_range;
		if (o->pos + 4 <= o->len) {
			o->safe = o->pos;
			o->safe_nr = o->nr;
		}
		return;
	}
	o->full = true;
	o->pos = o->safe;
	o->nr = o->safe_nr;
	if (!o->len)
		return;
	n = o->len - 1 - o->pos;
	if (n > 3)
		n = 3;
	memcpy(o->buf + o->pos, "...", n);
	o->pos += n;
}

static void out_range(struct zc_out *o, uint32_t lo, uint32_t hi)
{
	char s[32];

	if (lo == hi)
		snprintf(s, sizeof(s), "%s[%u]", o->pos ? " " : "", lo);
	else
		snprintf(s, sizeof(s), "%s[%u,%u]", o->pos ? " " : "", lo, hi);
	out_put(o, s, true);
}

static unsigned int out_end(struct zc_out *o)
{
	if (o->len)
		o->buf[o->pos] = '\0';
	return o->nr;
}

unsigned int zc_tracker_format_missing(const struct zc_tracker *t,
				       char *buf, size_t len)
{
	struct zc_out o = { .buf = buf, .len = len };
	uint32_t off = t->low_pending, start;

	while (off < t->issued) {
		if (t->state[off] != ZC_ST_PENDING) {
			off++;
			continue;
		}
		start = off;
		while (off < t->issued && t->state[off] == ZC_ST_PENDING)
			off++;
		out_range(&o, t->first + start, t->first + off - 1);
	}
	return out_end(&o);
}

unsigned int zc_tracker_format(const struct zc_tracker *t,
			       enum zc_anomaly kind, char *buf, size_t len)
{
	const struct zc_anomalies *a = &t->anomaly[kind];
	struct zc_out o = { .buf = buf, .len = len };
	char s[40];
	unsigned int i;

	for (i = 0; i < a->nr_kept; i++)
		out_range(&o, a->kept[i].lo, a->kept[i].hi);
	if (a->events > a->nr_kept) {
		snprintf(s, sizeof(s), " (+%llu more)",
			 (unsigned long long)(a->events - a->nr_kept));
		out_put(&o, s, false);
	}
	return out_end(&o);
}

const char *zc_anomaly_name(enum zc_anomaly kind)
{
	static const char * const names[ZC_NR_ANOMALIES] = {
		[ZC_GAP]	= "gap",
		[ZC_DUPLICATE]	= "duplicate",
		[ZC_UNKNOWN]	= "unknown",
		[ZC_MALFORMED]	= "malformed",
	};

	if ((unsigned int)kind >= ZC_NR_ANOMALIES)
		return "?";
	return names[kind];
}
