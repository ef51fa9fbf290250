/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For the tests of the contract's edges (limits, id counter, reception,
 * order, reuse): include after zc_test.h.  The facts of the hold topology
 * (netns/hold.sh), and asserting helpers to open a zero-copy socket and to
 * wait for notifications.
 */
#ifndef ZC_EDGE_H
#define ZC_EDGE_H

#include <stdlib.h>

#include "zc_hold.h"

#ifndef MSG_ZEROCOPY
#define MSG_ZEROCOPY 0x4000000
#endif
#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY 60
#endif

/* What netns/hold.sh adds to the contract (netns/lib.sh documents it). */
struct zc_hold_topo {
	const char *sink4, *sink6;	/* ZC_SINK_DST4/6 */
	const char *hold4, *hold6;	/* ZC_HOLD_DST4/6 */
	const char *hold_dev;		/* ZC_HOLD_DEV, in ZC_TX_NS */
	const char *fwd_ns;		/* ZC_FWD_NS */
	const char *fwd_hold_dev;	/* ZC_FWD_HOLD_DEV, in ZC_FWD_NS */
	int fwd_hold_tos;		/* ZC_FWD_HOLD_TOS */
	int slow_tos;			/* ZC_SLOW_TOS */
};

/*
 * zc_hold_load() - the hold topology's facts, or SKIP naming the variable
 * that is missing (the test then returns: false).
 */
static inline bool zc_hold_load(struct __test_metadata *_metadata,
				const struct zc_topo *topo,
				struct zc_hold_topo *h)
{
	static const char *const names[] = {
		"ZC_SINK_DST4", "ZC_SINK_DST6", "ZC_HOLD_DST4", "ZC_HOLD_DST6",
		"ZC_HOLD_DEV", "ZC_FWD_NS", "ZC_FWD_HOLD_DEV",
		"ZC_FWD_HOLD_TOS", "ZC_SLOW_TOS",
	};
	const char *v[9];
	unsigned int i;

	for (i = 0; i < 9; i++) {
		v[i] = zc_getenv(names[i], NULL);
		if (!v[i])
			SKIP(return false, "topology %s has no %s (run in topology hold)",
			     topo->name, names[i]);
	}
	*h = (struct zc_hold_topo){
		v[0], v[1], v[2], v[3], v[4], v[5], v[6],
		(int)strtol(v[7], NULL, 0), (int)strtol(v[8], NULL, 0),
	};
	return true;
}

/* zc_edge_open() - zc_open() that asserts; the descriptor. */
#define zc_edge_open(family, type, ip, port) ({ \
	const char *__ip = (ip); \
	int __fd = zc_open(family, type, __ip, port, zc_slow_ms(ZC_MAX_MS)); \
	ASSERT_LE(0, __fd) TH_LOG("socket to %s port %u: %s", \
				  __ip ? __ip : "(none)", (port), \
				  strerror(-__fd)); \
	__fd; })

/* The bounds of a wait for notifications, as notif_contract has them. */
static inline struct zc_wait zc_edge_wait(void)
{
	return (struct zc_wait){
		.quiet_ms = zc_slow_ms(ZC_QUIET_MS),
		.max_ms = zc_slow_ms(ZC_MAX_MS),
	};
}

#endif /* ZC_EDGE_H */
