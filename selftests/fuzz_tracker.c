// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the completion tracker (lib/zc_tracker.c): arbitrary
 * sequences of init, issue, complete and format, checked after every
 * operation against a shadow model that keeps one state per id.  The
 * tracker must agree with the model on every counter, anomaly count and
 * kept range, on the lowest pending id, on done(), and on the missing and
 * anomaly lists; a list written into a small buffer must be the full list
 * cut at a range boundary, followed by as much of "..." as fits, and
 * always terminated within the buffer (allocated to its exact size, so
 * that ASan stops a write past it).
 *
 * Input, little endian: u8 first-id mode, u32 or u8 first id, u16
 * capacity; then operations, a u8 opcode each followed by its operands
 * (see the OP_* list).  Fields past the end of the input read as 0.
 *
 *   selftests/fuzz.sh [seconds]    builds and runs it
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"

#define MAX_CAPACITY	512
/* Room for the longest list: every other id missing, 10-digit ids. */
#define BIG		((MAX_CAPACITY / 2 + 2) * 24)

enum { OP_INIT, OP_ISSUE, OP_COMPLETE_NEAR, OP_COMPLETE_ANY,
       OP_FORMAT_MISSING, OP_FORMAT, OP_NR };

enum { FREE, PENDING, COMPLETED };

/* What the tracker should say: one state per id, counted the slow way. */
struct model {
	uint32_t first;
	uint32_t issued;
	uint32_t capacity;
	uint8_t *state;
	bool *gap;		/* counted as a gap already */
	uint64_t notifications, completed, copied, zerocopy;
	struct zc_anomalies anomaly[ZC_NR_ANOMALIES];
};

static void model_record(struct model *m, enum zc_anomaly kind,
			 uint32_t lo, uint32_t hi, uint64_t ids)
{
	struct zc_anomalies *a = &m->anomaly[kind];

	a->ids += ids;
	a->events++;
	if (a->nr_kept < ZC_TRACKER_KEEP)
		a->kept[a->nr_kept++] = (struct zc_range){ lo, hi };
}

/*
 * A gap: ids still pending below the lowest issued id of the range, each
 * counted once over the stream, as one range per notification.
 */
static unsigned int model_gap(struct model *m, uint32_t lowest)
{
	uint32_t off, lo = 0, hi = 0, n = 0;

	for (off = 0; off < lowest; off++) {
		if (m->state[off] != PENDING || m->gap[off])
			continue;
		m->gap[off] = true;
		if (!n++)
			lo = off;
		hi = off;
	}
	if (!n)
		return 0;
	FUZZ_CHECK(hi - lo + 1 == n, "gap of %u ids over [%u,%u]", n, lo, hi);
	model_record(m, ZC_GAP, m->first + lo, m->first + hi, n);
	return ZC_F_GAP;
}

static unsigned int model_complete(struct model *m, uint32_t lo, uint32_t hi,
				   bool copied)
{
	uint64_t len = (uint64_t)(uint32_t)(hi - lo) + 1, i;
	uint32_t lowest = UINT32_MAX, run_lo = lo;
	unsigned int flags = 0;
	int kind, run = -1;

	m->notifications++;
	if (len > m->issued) {
		model_record(m, ZC_MALFORMED, lo, hi, 1);
		return ZC_F_MALFORMED;
	}
	for (i = 0; i < len; i++) {
		uint32_t off = lo + (uint32_t)i - m->first;

		if (off < m->issued && off < lowest)
			lowest = off;
	}
	if (lowest != UINT32_MAX)
		flags |= model_gap(m, lowest);

	/* Each run of unknown or duplicate ids is one anomaly event. */
	for (i = 0; i <= len; i++) {
		uint32_t id = lo + (uint32_t)i, off = id - m->first;

		if (i == len)
			kind = -2;
		else if (off >= m->issued)
			kind = ZC_UNKNOWN;
		else if (m->state[off] == COMPLETED)
			kind = ZC_DUPLICATE;
		else
			kind = -1;
		if (kind == -1 && i < len) {
			m->state[off] = COMPLETED;
			m->completed++;
			if (copied)
				m->copied++;
			else
				m->zerocopy++;
		}
		if (kind == run)
			continue;
		if (run >= 0) {
			model_record(m, run, run_lo, id - 1, id - run_lo);
			flags |= 1u << run;
		}
		run = kind;
		run_lo = id;
	}
	return flags;
}

/* Append "[lo]" or "[lo,hi]" to @s, after a space unless it is first. */
static size_t put_range(char *s, size_t pos, uint32_t lo, uint32_t hi)
{
	const char *sep = pos ? " " : "";

	if (lo == hi)
		return pos + sprintf(s + pos, "%s[%u]", sep, lo);
	return pos + sprintf(s + pos, "%s[%u,%u]", sep, lo, hi);
}

/* The missing list the model expects, and its number of ranges. */
static unsigned int model_missing(const struct model *m, char *s)
{
	unsigned int nr = 0;
	uint32_t off, start;
	size_t pos = 0;

	s[0] = '\0';
	for (off = 0; off < m->issued; off++) {
		if (m->state[off] != PENDING)
			continue;
		start = off;
		while (off + 1 < m->issued && m->state[off + 1] == PENDING)
			off++;
		pos = put_range(s, pos, m->first + start, m->first + off);
		nr++;
	}
	return nr;
}

/* The list of anomaly @kind the model expects, and its number of ranges. */
static unsigned int model_list(const struct model *m, int kind, char *s)
{
	const struct zc_anomalies *a = &m->anomaly[kind];
	unsigned int i;
	size_t pos = 0;

	s[0] = '\0';
	for (i = 0; i < a->nr_kept; i++)
		pos = put_range(s, pos, a->kept[i].lo, a->kept[i].hi);
	if (a->events > a->nr_kept)
		sprintf(s + pos, " (+%llu more)",
			(unsigned long long)(a->events - a->nr_kept));
	return a->nr_kept;
}

/* Where a piece of @s starts: the first, " [" or " (+N more)". */
static bool piece_start(const char *s, size_t k)
{
	return !k || !s[k] ||
	       (s[k] == ' ' && (s[k + 1] == '[' || s[k + 1] == '('));
}

/*
 * @out (@ret ranges) is what the tracker wrote into @len bytes when the
 * whole list is @full (@nr ranges): @full when it fits, else @full cut
 * after the last piece that leaves room for "...", then "..." cut to fit.
 */
static void check_cut(const char *out, size_t len, unsigned int ret,
		      const char *full, unsigned int nr)
{
	size_t n, k, dots, next;

	if (!len) {
		FUZZ_CHECK(ret == 0, "%u ranges in 0 bytes", ret);
		return;
	}
	FUZZ_CHECK(memchr(out, '\0', len), "unterminated in %zu bytes", len);
	n = strlen(out);
	if (strlen(full) < len) {
		FUZZ_CHECK(!strcmp(out, full) && ret == nr,
			   "\"%s\" (%u) in %zu bytes, expected \"%s\" (%u)",
			   out, ret, len, full, nr);
		return;
	}
	for (k = n; k && out[k - 1] == '.'; k--)
		;
	dots = n - k;
	FUZZ_CHECK(!strncmp(out, full, k) && piece_start(full, k),
		   "\"%s\" in %zu bytes is no cut of \"%s\"", out, len, full);
	FUZZ_CHECK(dots == (len - 1 - k < 3 ? len - 1 - k : 3),
		   "\"%s\" in %zu bytes: %zu dots", out, len, dots);
	for (next = k + 1; !piece_start(full, next); next++)
		;
	FUZZ_CHECK((!k || k + 4 <= len) && next + 4 > len,
		   "\"%s\" in %zu bytes: cut too early or late in \"%s\"",
		   out, len, full);
	for (nr = 0; k--; )
		nr += out[k] == '[';
	FUZZ_CHECK(ret == nr, "\"%s\": returned %u ranges", out, ret);
}

static void check_all(const struct zc_tracker *t, const struct model *m)
{
	static char want[BIG], got[BIG];
	uint32_t low = 0;
	unsigned int nr;
	int k;

	fuzz_check_counters(t);
	FUZZ_CHECK(t->first == m->first && t->issued == m->issued &&
		   t->capacity == m->capacity, "first %u issued %u of %zu",
		   t->first, t->issued, t->capacity);
	FUZZ_CHECK(t->notifications == m->notifications &&
		   t->completed == m->completed && t->copied == m->copied &&
		   t->zerocopy == m->zerocopy,
		   "completed %llu (copied %llu), expected %llu (%llu)",
		   (unsigned long long)t->completed,
		   (unsigned long long)t->copied,
		   (unsigned long long)m->completed,
		   (unsigned long long)m->copied);
	while (low < m->issued && m->state[low] != PENDING)
		low++;
	FUZZ_CHECK(t->low_pending == low, "low_pending %u, expected %u",
		   t->low_pending, low);
	FUZZ_CHECK(zc_tracker_done(t) ==
		   (m->completed == m->issued &&
		    !m->anomaly[ZC_DUPLICATE].events &&
		    !m->anomaly[ZC_UNKNOWN].events &&
		    !m->anomaly[ZC_MALFORMED].events), "done() %d",
		   zc_tracker_done(t));

	for (k = 0; k < ZC_NR_ANOMALIES; k++) {
		const struct zc_anomalies *a = &t->anomaly[k];
		const struct zc_anomalies *e = &m->anomaly[k];

		FUZZ_CHECK(a->ids == e->ids && a->events == e->events &&
			   a->nr_kept == e->nr_kept &&
			   !memcmp(a->kept, e->kept,
				   e->nr_kept * sizeof(e->kept[0])),
			   "%s: %llu ids in %llu events, expected %llu in %llu",
			   zc_anomaly_name(k), (unsigned long long)a->ids,
			   (unsigned long long)a->events,
			   (unsigned long long)e->ids,
			   (unsigned long long)e->events);
		nr = model_list(m, k, want);
		check_cut(got, sizeof(got),
			  zc_tracker_format(t, k, got, sizeof(got)), want, nr);
	}
	nr = model_missing(m, want);
	check_cut(got, sizeof(got),
		  zc_tracker_format_missing(t, got, sizeof(got)), want, nr);
}

/* Format into exactly @len bytes (none: NULL) and check the cut. */
static void check_small(const struct zc_tracker *t, const struct model *m,
			int kind, size_t len)
{
	static char want[BIG];
	char *buf = len ? malloc(len) : NULL;
	unsigned int ret, nr;

	FUZZ_CHECK(!len || buf, "malloc(%zu)", len);
	if (kind < 0) {
		ret = zc_tracker_format_missing(t, buf, len);
		nr = model_missing(m, want);
	} else {
		ret = zc_tracker_format(t, kind, buf, len);
		nr = model_list(m, kind, want);
	}
	check_cut(buf, len, ret, want, nr);
	free(buf);
}

static void init(struct zc_tracker *t, struct model *m, struct fuzz_in *in)
{
	uint8_t mode = fuzz_u8(in);
	uint32_t first;
	size_t capacity;

	/* Near the wrap, near 0, or anywhere. */
	if (mode % 3 == 0)
		first = UINT32_MAX - fuzz_u8(in);
	else if (mode % 3 == 1)
		first = fuzz_u8(in);
	else
		first = fuzz_u32(in);
	capacity = 1 + fuzz_u16(in) % MAX_CAPACITY;

	zc_tracker_free(t);
	FUZZ_CHECK(!zc_tracker_init(t, first, capacity), "init");
	free(m->state);
	free(m->gap);
	*m = (struct model){ .first = first, .capacity = capacity };
	m->state = calloc(capacity, sizeof(*m->state));
	m->gap = calloc(capacity, sizeof(*m->gap));
	FUZZ_CHECK(m->state && m->gap, "calloc(%zu)", capacity);
}

static void issue(struct zc_tracker *t, struct model *m, unsigned int n)
{
	uint32_t id;
	int ret;

	while (n--) {
		id = 0xdeadbeef;
		ret = zc_tracker_issue(t, &id);
		if (m->issued == m->capacity) {
			FUZZ_CHECK(ret == -ENOSPC && id == 0xdeadbeef,
				   "issue past capacity %u: %d", m->capacity,
				   ret);
			continue;
		}
		FUZZ_CHECK(!ret && id == m->first + m->issued,
			   "issue #%u: %d, id %u", m->issued, ret, id);
		m->state[m->issued++] = PENDING;
	}
}

static void complete(struct zc_tracker *t, struct model *m, uint32_t lo,
		     uint32_t hi, bool copied)
{
	unsigned int want = model_complete(m, lo, hi, copied);
	unsigned int got = zc_tracker_complete(t, lo, hi, copied);

	FUZZ_CHECK(got == want, "[%u,%u] of %u from %u: flags 0x%x, not 0x%x",
		   lo, hi, m->issued, m->first, got, want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct zc_tracker t = { 0 };
	struct model m = { 0 };
	uint32_t lo, hi;
	uint8_t arg;

	/* Capacities outside 1..UINT32_MAX are refused, allocating nothing. */
	FUZZ_CHECK(zc_tracker_init(&t, 0, 0) == -EINVAL && !t.state, "cap 0");
	if (sizeof(size_t) > sizeof(uint32_t))
		FUZZ_CHECK(zc_tracker_init(&t, 0, (size_t)UINT32_MAX + 1) ==
			   -EINVAL && !t.state, "capacity 2^32");

	init(&t, &m, &in);
	check_all(&t, &m);
	while (in.left) {
		switch (fuzz_u8(&in) % OP_NR) {
		case OP_INIT:
			init(&t, &m, &in);
			break;
		case OP_ISSUE:
			issue(&t, &m, 1 + fuzz_u8(&in));
			break;
		case OP_COMPLETE_NEAR:	/* offsets from the first id */
			lo = m.first + (int16_t)fuzz_u16(&in);
			hi = lo + (int16_t)fuzz_u16(&in);
			complete(&t, &m, lo, hi, fuzz_u8(&in) & 1);
			break;
		case OP_COMPLETE_ANY:
			lo = fuzz_u32(&in);
			hi = fuzz_u32(&in);
			complete(&t, &m, lo, hi, fuzz_u8(&in) & 1);
			break;
		case OP_FORMAT_MISSING:
			check_small(&t, &m, -1, fuzz_u8(&in));
			break;
		case OP_FORMAT:
			arg = fuzz_u8(&in) % ZC_NR_ANOMALIES;
			check_small(&t, &m, arg, fuzz_u8(&in));
			break;
		}
		check_all(&t, &m);
	}
	zc_tracker_free(&t);
	free(m.state);
	free(m.gap);
	return 0;
}
