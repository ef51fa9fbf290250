/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For the tests of the contract's edges (limits, id counter, reception,
 * order, UDP paths, buffer reuse): include after zc_test.h.  The fixture
 * state they share (struct zc_edge: the topology, the facts of the hold
 * topology, a label), the variant rows, and asserting helpers to open a
 * zero-copy socket, to start the path's receiver, connect to it and
 * collect its result.  The bounds of a wait for notifications are
 * zc_test_wait()'s, as for every test.
 */
#ifndef ZC_EDGE_H
#define ZC_EDGE_H

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "zc_hold.h"
#include "zc_net.h"

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

/* A fixture's own state, first in its FIXTURE(). */
struct zc_edge {
	struct zc_topo topo;
	struct zc_hold_topo h;		/* zero unless @held */
	bool held;			/* h is loaded: release in teardown */
	int family;
	int type;
	char label[64];			/* "ip4_udp@hold", for every message */
};

/*
 * The TOS (IPv4) or traffic class (IPv6) in @v, as netns/hold.sh writes
 * it ("0x20"): a whole number, 1 to 0xff, its ECN bits (0x03) clear, as
 * the hold's filters ignore them; -1 for anything else.
 */
static inline int zc_edge_parse_tos(const char *v)
{
	unsigned long n;
	char *end;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtoul(v, &end, 0);
	if (errno || *end || !n || n > 0xff || (n & 0x03))
		return -1;
	return n;
}

/*
 * zc_hold_load() - the hold topology's facts, or SKIP naming the variable
 * that is missing (returns false); a TOS that is not one fails.  Both
 * holds are released first: a test killed before its teardown may have
 * left packets in them.
 */
static inline bool zc_hold_load(struct __test_metadata *_metadata,
				const struct zc_topo *topo,
				struct zc_hold_topo *h)
{
	/* The last four: what zc_hold_release() reads itself. */
	static const char *const names[] = {
		"ZC_SINK_DST4", "ZC_SINK_DST6", "ZC_HOLD_DST4", "ZC_HOLD_DST6",
		"ZC_HOLD_DEV", "ZC_FWD_NS", "ZC_FWD_HOLD_DEV",
		"ZC_FWD_HOLD_TOS", "ZC_SLOW_TOS", "ZC_HOLD_PLUG_SIZE",
		"ZC_HOLD_RATE", "ZC_HOLD_BURST", "ZC_HOLD_LIMIT",
	};
	const char *v[ARRAY_SIZE(names)];
	int tos[2];
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		v[i] = zc_getenv(names[i], NULL);
		if (!v[i])
			SKIP(return false, "topology %s has no %s (run in topology hold)",
			     topo->name, names[i]);
	}
	for (i = 0; i < 2; i++) {
		tos[i] = zc_edge_parse_tos(v[7 + i]);
		ASSERT_LE(0, tos[i])
			TH_LOG("topology %s: %s=%s: expected a TOS, 1 to 0xff with the ECN bits (0x03) clear",
			       topo->name, names[7 + i], v[7 + i]);
	}
	*h = (struct zc_hold_topo){
		v[0], v[1], v[2], v[3], v[4], v[5], v[6], tos[0], tos[1],
	};
	/* -ENOENT: not a hold (any more); the test shows what follows. */
	ret = zc_hold_release(NULL, h->hold_dev);
	ASSERT_TRUE(!ret || ret == -ENOENT)
		TH_LOG("releasing the hold %s: %s", h->hold_dev,
		       strerror(-ret));
	ret = zc_hold_release(h->fwd_ns, h->fwd_hold_dev);
	ASSERT_TRUE(!ret || ret == -ENOENT)
		TH_LOG("releasing the hold %s in netns %s: %s",
		       h->fwd_hold_dev, h->fwd_ns, strerror(-ret));
	return true;
}

/*
 * zc_edge_setup() - zc_test_setup() for @family and @type, the label, and
 * with @hold the hold topology's facts.  false when the test skips.
 */
static inline bool zc_edge_setup(struct __test_metadata *_metadata,
				 struct zc_edge *e, int family, int type,
				 bool hold)
{
	e->family = family;
	e->type = type;
	if (!zc_test_setup(_metadata, &e->topo, family, type))
		return false;
	snprintf(e->label, sizeof(e->label), "%s_%s@%s",
		 zc_family_tag(family), zc_proto_name(type), e->topo.name);
	if (hold) {
		if (!zc_hold_load(_metadata, &e->topo, &e->h))
			return false;
		e->held = true;
	}
	return true;
}

/*
 * zc_edge_teardown() - for FIXTURE_TEARDOWN_PARENT: free what the holds
 * keep and write back the sysctls the test changed, all of which outlive
 * the test's process.
 */
static inline void zc_edge_teardown(struct __test_metadata *_metadata,
				    struct zc_edge *e)
{
	int ret;

	if (e->held) {
		/* Packets left held outlive the test: like a sysctl not restored. */
		ret = zc_hold_release(NULL, e->h.hold_dev);
		if (ret) {
			TH_LOG("%s: teardown: releasing the hold %s: %s (its packets stay held)",
			       e->label, e->h.hold_dev, strerror(-ret));
			_metadata->exit_code = KSFT_FAIL;
		}
		ret = zc_hold_release(e->h.fwd_ns, e->h.fwd_hold_dev);
		if (ret) {
			TH_LOG("%s: teardown: releasing the hold %s in netns %s: %s (its packets stay held)",
			       e->label, e->h.fwd_hold_dev, e->h.fwd_ns,
			       strerror(-ret));
			_metadata->exit_code = KSFT_FAIL;
		}
	}
	zc_test_restore(_metadata, false);
}

/* Ids a zc_edge_sock accounts, and notifications it keeps in order. */
#define ZC_EDGE_IDS 64

/* The state of a test that sends on one socket and accounts its ids. */
struct zc_edge_sock {
	struct zc_edge e;
	struct zc_peer peer;		/* the receiver, if started */
	struct zc_tracker t;
	struct zc_errq q;		/* logs into log[] */
	struct zc_notif log[ZC_EDGE_IDS];
	int fd;
};

/* zc_edge_setup(), and the tracker and reader of @s; false on a skip. */
static inline bool zc_edge_sock_init(struct __test_metadata *_metadata,
				     struct zc_edge_sock *s, int family,
				     int type, bool hold)
{
	int ret;

	s->fd = -1;
	if (!zc_edge_setup(_metadata, &s->e, family, type, hold))
		return false;
	ret = zc_tracker_init(&s->t, 0, ZC_EDGE_IDS);
	ASSERT_EQ(0, ret) TH_LOG("%s: a tracker of %d ids: %s", s->e.label,
				 ZC_EDGE_IDS, strerror(-ret));
	zc_errq_init(&s->q, family);
	zc_errq_log(&s->q, s->log, ZC_EDGE_IDS);
	return true;
}

/* For ZC_EDGE_FIXTURE(): on the hold topology, or on any path. */
static inline void zc_edge_sock_setup(struct __test_metadata *_metadata,
				      struct zc_edge_sock *s, int family,
				      int type)
{
	zc_edge_sock_init(_metadata, s, family, type, true);
}

/*
 * For ZC_EDGE_FIXTURE().  It runs in the parent, once the test's process
 * is gone with its descriptors and memory (its receiver dies with it:
 * PR_SET_PDEATHSIG), so it frees only what outlives a process.
 */
static inline void zc_edge_sock_teardown(struct __test_metadata *_metadata,
					 struct zc_edge_sock *s)
{
	zc_edge_teardown(_metadata, &s->e);
}

/* Setup for ZC_EDGE_FIXTURE(): on the hold topology. */
static inline void zc_edge_setup_hold(struct __test_metadata *_metadata,
				      struct zc_edge *e, int family, int type)
{
	zc_edge_setup(_metadata, e, family, type, true);
}

/*
 * ZC_EDGE_FIXTURE() - fixture @f, whose data is one @state (a struct that
 * begins with a struct zc_edge), for the variant rows @rows (e.g.
 * ZC_VARIANTS_UDP); @setup(_metadata, &self->s, family, type) and
 * @teardown(_metadata, &self->s), the latter in the parent process
 * (FIXTURE_TEARDOWN_PARENT), so that it runs however the test ended.
 * Fixtures of one file can share their state and setup, each listing
 * only the rows its tests apply to.
 */
#define ZC_EDGE_FIXTURE(f, state, rows, setup, teardown) \
	FIXTURE(f) { state s; }; \
	FIXTURE_VARIANT(f) { ZC_VARIANT_FIELDS; }; \
	rows(f); \
	FIXTURE_SETUP(f) \
	{ \
		setup(_metadata, &self->s, variant->family, variant->type); \
	} \
	FIXTURE_TEARDOWN_PARENT(f) \
	{ \
		teardown(_metadata, &self->s); \
	}

/* The path's receiver address for the fixture's family. */
static inline const char *zc_edge_dst(const struct zc_edge *e)
{
	return e->family == AF_INET6 ? e->topo.dst6 : e->topo.dst4;
}

/* A destination through the sink: zero-copy, freed inside send(). */
static inline const char *zc_edge_sink(const struct zc_edge *e)
{
	return e->family == AF_INET6 ? e->h.sink6 : e->h.sink4;
}

/* A destination through the sender's hold: kept until released. */
static inline const char *zc_edge_hold(const struct zc_edge *e)
{
	return e->family == AF_INET6 ? e->h.hold6 : e->h.hold4;
}

/*
 * zc_edge_open() - a socket of @family and @type with SO_ZEROCOPY,
 * connected to @ip port @port (not connected when @ip is NULL); asserts.
 */
static inline int zc_edge_open(struct __test_metadata *_metadata,
			       int family, int type, const char *ip,
			       uint16_t port)
{
	int fd = zc_open(family, type, ip, port, zc_slow_ms(ZC_MAX_MS));

	ASSERT_LE(0, fd) TH_LOG("%s socket with SO_ZEROCOPY to %s port %u: %s",
				zc_proto_name(type), ip ? ip : "(none)", port,
				strerror(-fd));
	return fd;
}

/*
 * zc_edge_socket() - start the path's receiver (@ps: what it expects; its
 * namespace, type and idle bound are filled in, and its family unless
 * set) as @peer, and return a socket of the fixture's family connected
 * to it, at @ip if not NULL, else at the path's address: with SO_ZEROCOPY
 * if @zerocopy; TCP gets TCP_NODELAY, so that each send leaves as its own
 * segment.  Asserts.
 */
static inline int zc_edge_socket(struct __test_metadata *_metadata,
				 const struct zc_edge *e,
				 struct zc_peer *peer,
				 struct zc_peer_spec *ps, const char *ip,
				 bool zerocopy)
{
	int fd, ret, one = 1;

	ps->netns = e->topo.rx_ns;
	if (!ps->family)
		ps->family = e->family;
	ps->type = e->type;
	if (!ps->idle_ms)
		ps->idle_ms = zc_slow_ms(ZC_IDLE_MS);
	ret = zc_peer_start(peer, ps, zc_slow_ms(ZC_READY_MS));
	ASSERT_EQ(0, ret) TH_LOG("%s: receiver in netns %s: %s%s%s",
				 e->label, e->topo.rx_ns, strerror(-ret),
				 peer->why[0] ? " at " : "", peer->why);
	ip = ip ? ip : zc_edge_dst(e);
	if (zerocopy) {
		fd = zc_edge_open(_metadata, e->family, e->type, ip,
				  peer->port);
	} else {
		fd = zc_socket(e->family, e->type, zc_slow_ms(ZC_MAX_MS));
		ASSERT_LE(0, fd) TH_LOG("%s: socket without SO_ZEROCOPY: %s",
					e->label, strerror(-fd));
		ret = zc_connect(fd, ip, peer->port);
		ASSERT_EQ(0, ret) TH_LOG("%s: connect to %s port %u: %s",
					 e->label, ip, peer->port,
					 strerror(-ret));
	}
	if (e->type == SOCK_STREAM)
		ASSERT_EQ(0, setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
					sizeof(one)))
			TH_LOG("%s: TCP_NODELAY: %s", e->label,
			       strerror(errno));
	return fd;
}

/* zc_edge_socket() with SO_ZEROCOPY: the common case. */
static inline int zc_edge_connect(struct __test_metadata *_metadata,
				  const struct zc_edge *e,
				  struct zc_peer *peer,
				  struct zc_peer_spec *ps, const char *ip)
{
	return zc_edge_socket(_metadata, e, peer, ps, ip, true);
}

/*
 * zc_edge_finish() - the receiver's result once the sender is done (TCP:
 * shut down for writing before this); asserts that it reported.
 */
static inline void zc_edge_finish(struct __test_metadata *_metadata,
				  const struct zc_edge *e,
				  struct zc_peer *peer,
				  struct zc_peer_result *rx)
{
	char how[64];
	int ret = zc_peer_finish(peer, rx, zc_slow_ms(ZC_MAX_MS));

	ASSERT_EQ(0, ret) TH_LOG("%s: no result from the receiver: %s, it %s",
				 e->label, strerror(-ret),
				 zc_peer_describe_status(peer, how,
							 sizeof(how)));
}

/* ZC_EDGE_FIXTURE() of a zc_edge_sock on the hold topology. */
#define ZC_EDGE_SOCK_FIXTURE(f, rows) \
	ZC_EDGE_FIXTURE(f, struct zc_edge_sock, rows, zc_edge_sock_setup, \
			zc_edge_sock_teardown)

#endif /* ZC_EDGE_H */
