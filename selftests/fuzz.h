/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the libFuzzer targets selftests/fuzz_*.c: reading the fuzzer's
 * bytes as little-endian fields, and stopping with a message when an
 * invariant fails (abort(), so that libFuzzer saves the input).
 *
 * Built by selftests/fuzz.sh only, with clang -fsanitize=fuzzer.
 */
#ifndef ZC_FUZZ_H
#define ZC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "zc_tracker.h"

#define FUZZ_CHECK(cond, fmt, ...)					\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: invariant '%s' broken: " \
				fmt "\n", __FILE__, __LINE__, #cond,	\
				##__VA_ARGS__);				\
			abort();					\
		}							\
	} while (0)

/* The input not consumed yet; fields past its end read as 0. */
struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

static inline uint32_t fuzz_bytes(struct fuzz_in *in, unsigned int n)
{
	uint32_t v = 0;
	unsigned int i;

	for (i = 0; i < n && in->left; i++, in->left--)
		v |= (uint32_t)*in->p++ << (8 * i);
	return v;
}

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	return fuzz_bytes(in, 1);
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	return fuzz_bytes(in, 2);
}

static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
	return fuzz_bytes(in, 4);
}

/* The counters of @t agree with each other, whatever was fed. */
static inline void fuzz_check_counters(const struct zc_tracker *t)
{
	uint64_t missing = zc_tracker_missing(t);

	FUZZ_CHECK(t->issued <= t->capacity, "issued %u, capacity %zu",
		   t->issued, t->capacity);
	FUZZ_CHECK(t->completed <= t->issued, "completed %llu, issued %u",
		   (unsigned long long)t->completed, t->issued);
	FUZZ_CHECK(t->completed + missing == t->issued,
		   "completed %llu + missing %llu != issued %u",
		   (unsigned long long)t->completed,
		   (unsigned long long)missing, t->issued);
	FUZZ_CHECK(t->copied + t->zerocopy == t->completed,
		   "copied %llu + zerocopy %llu != completed %llu",
		   (unsigned long long)t->copied,
		   (unsigned long long)t->zerocopy,
		   (unsigned long long)t->completed);
	FUZZ_CHECK(t->low_pending <= t->issued, "low_pending %u, issued %u",
		   t->low_pending, t->issued);
}

#endif /* ZC_FUZZ_H */
