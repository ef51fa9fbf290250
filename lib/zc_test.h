/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For kselftest_harness.h tests on a topology: include it after
 * kselftest_harness.h.  It holds the setup every test shares (root, the
 * topology contract, SO_ZEROCOPY support: skips name what is missing), a
 * run-time XFAIL, and the experiment cache: an experiment (zc_stream.h)
 * runs once per program run, and every test that judges a property of it
 * reads the same result.  The assertions themselves live in the tests.
 */
#ifndef ZC_TEST_H
#define ZC_TEST_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "zc_diag.h"
#include "zc_net.h"
#include "zc_stream.h"
#include "zc_sys.h"
#include "zc_topo.h"

/* Deadlines in ms, all stretched by KSFT_MACHINE_SLOW=yes (zc_slow_ms()). */
#define ZC_READY_MS	5000	/* the receiver is up and bound */
#define ZC_QUIET_MS	1000	/* no notification, no data held: lost */
#define ZC_MAX_MS	10000	/* any one wait, in all */
#define ZC_IDLE_MS	3000	/* the receiver gets no data: it gives up */

/*
 * XFAIL at run time, the way SKIP() works: a known kernel limitation,
 * named by the commit that lifts it.
 */
#define ZC_XFAIL(statement, fmt, ...) do { \
	snprintf(_metadata->results->reason, \
		 sizeof(_metadata->results->reason), fmt, ##__VA_ARGS__); \
	fprintf(TH_LOG_STREAM, "#      XFAIL     %s\n", \
		_metadata->results->reason); \
	_metadata->exit_code = KSFT_XFAIL; \
	statement; \
} while (0)

/*
 * ZC_XFAIL_UNFIXED() - ZC_XFAIL(@statement, ...) when @cond holds and the
 * running kernel predates the fix that topology @topo relies on
 * (ZC_FIX_VERSION, ZC_FIX_COMMIT); the reason is @fmt (a string literal)
 * with its arguments, then the fix named.  Otherwise nothing: the
 * assertion after it judges.
 */
#define ZC_XFAIL_UNFIXED(statement, topo, cond, fmt, ...) do { \
	const struct zc_topo *__zt = (topo); \
	\
	if ((cond) && __zt->fix_version && \
	    zc_kernel_older_than(__zt->fix_version) == 1) \
		ZC_XFAIL(statement, fmt "; the kernel predates %s (v%s)", \
			 ##__VA_ARGS__, __zt->fix_commit, \
			 __zt->fix_version); \
} while (0)

static inline const char *zc_family_tag(int family)
{
	return family == AF_INET6 ? "ip6" : "ip4";
}

/*
 * Teardown that runs however the test ended.  The 6.12 harness runs
 * FIXTURE_TEARDOWN in the test's process after an assertion only if a
 * local variable survives longjmp(): at -O2 it does not (-Wclobbered),
 * and the process, taking itself for the parent, exits without it; nor
 * does it run when a signal (SIGPIPE, abort()) ends the test.
 * FIXTURE_TEARDOWN_PARENT runs in the parent once the test's process is
 * gone, whatever ended it.  Older harnesses lack it: the plain kind.  A
 * timeout kills both processes; then the next test's setup, or the
 * program's exit, restores what the journal holds (zc_test_restore()).
 */
#ifndef FIXTURE_TEARDOWN_PARENT
#define FIXTURE_TEARDOWN_PARENT(fixture_name) FIXTURE_TEARDOWN(fixture_name)
#endif

/*
 * Variant rows over the path, named as run_tests.sh expects (it leaves
 * out with -V the rows of a protocol the path does not carry): the
 * fixture's FIXTURE_VARIANT() holds ZC_VARIANT_FIELDS, and a fixture lists
 * only the rows its tests apply to, so that none of them skips for its
 * protocol or family.
 */
#define ZC_VARIANT_FIELDS int family; int type

#define ZC_VARIANT_ROW(f, name, fam, typ) \
	FIXTURE_VARIANT_ADD(f, name) { .family = fam, .type = typ }

#define ZC_VARIANTS_UDP(f) \
	ZC_VARIANT_ROW(f, ip4_udp, AF_INET, SOCK_DGRAM); \
	ZC_VARIANT_ROW(f, ip6_udp, AF_INET6, SOCK_DGRAM)

#define ZC_VARIANTS_TCP(f) \
	ZC_VARIANT_ROW(f, ip4_tcp, AF_INET, SOCK_STREAM); \
	ZC_VARIANT_ROW(f, ip6_tcp, AF_INET6, SOCK_STREAM)

#define ZC_VARIANTS_ALL(f) ZC_VARIANTS_UDP(f); ZC_VARIANTS_TCP(f)

/*
 * zc_test_sysctl() - set sysctl @key (e.g. "net/core/optmem_max") of the
 * test's network namespace to @val, journaled: the fixture's teardown
 * calls zc_test_restore().
 */
static inline void zc_test_sysctl(struct __test_metadata *_metadata,
				  const char *key, long val)
{
	int ret = zc_sysctl_set(key, val);

	ASSERT_EQ(0, ret) TH_LOG("setting %s to %ld in the test's network namespace: %s",
				 key, val, strerror(-ret));
}

/*
 * zc_test_restore() - write back every sysctl changed in this network
 * namespace; @leftover: what is found was left by an earlier test that
 * was killed before its teardown (said so in the log).  A failure marks
 * the test failed and returns false.  No ASSERT or EXPECT here: in a
 * teardown after a failed ASSERT, the harness's trigger is still set, so
 * their handler would run even on success (and an ASSERT would longjmp
 * in the parent).
 */
static inline bool zc_test_restore(struct __test_metadata *_metadata,
				   bool leftover)
{
	char done[256];
	int ret = zc_sysctl_restore(done, sizeof(done));

	if (ret < 0) {
		fprintf(TH_LOG_STREAM, "# restoring the sysctls changed in this network namespace (journal in %s): %s\n",
			zc_state_dir(), strerror(-ret));
		_metadata->exit_code = KSFT_FAIL;
		return false;
	}
	if (ret > 0 && leftover)
		fprintf(TH_LOG_STREAM, "# restored %s, left by an earlier test killed before its teardown\n",
			done);
	return true;
}

/*
 * Setup-time checks shared by every test on a topology: root, the
 * contract, never the host's namespace.  SKIPs name what is missing;
 * returns false then.
 */
static inline bool zc_test_topology(struct __test_metadata *_metadata,
				    struct zc_topo *topo)
{
	const char *bad;
	int ret;

	if (geteuid())
		SKIP(return false, "needs root");
	ret = zc_topo_load(topo, &bad);
	if (ret == -ENOENT)
		SKIP(return false, "no topology: run through run_tests.sh");
	ASSERT_EQ(0, ret)
		TH_LOG("topology contract: %s missing or invalid", bad);
	/* Traffic must stay inside the topology's namespaces. */
	ret = zc_netns_is(topo->tx_ns);
	ASSERT_EQ(1, ret)
		TH_LOG("refusing to send from outside the topology's namespace ZC_TX_NS=%s (%s)",
		       topo->tx_ns, ret ? strerror(-ret) : "running elsewhere");
	/* What an earlier test killed before its teardown left behind. */
	if (!zc_test_restore(_metadata, true))
		return false;
	return true;
}

/*
 * zc_test_topology(), then the protocol on this path (unless @no_peer: a
 * TCP connection made with TCP_REPAIR needs nobody to answer) and
 * SO_ZEROCOPY support.  SKIPs name what is missing; returns false then.
 */
static inline bool zc_test_setup_peer(struct __test_metadata *_metadata,
				      struct zc_topo *topo, int family,
				      int type, bool no_peer)
{
	const char *proto = zc_proto_name(type);
	int fd, ret;

	if (!zc_test_topology(_metadata, topo))
		return false;
	if (!no_peer && !zc_topo_has_proto(topo, proto))
		SKIP(return false, "topology %s has no %s peer (ZC_PROTOS=%s)",
		     topo->name, proto, topo->protos);

	fd = socket(family, type, 0);
	ASSERT_LE(0, fd) TH_LOG("socket(%s, %s): %s", zc_family_tag(family),
				proto, strerror(errno));
	ret = zc_set_zerocopy(fd);
	close(fd);
	if (zc_zerocopy_unsupported(ret))
		SKIP(return false, "SO_ZEROCOPY on %s: errno %d (TCP needs 4.14, UDP 5.0)",
		     proto, -ret);
	ASSERT_EQ(0, ret) TH_LOG("SO_ZEROCOPY on %s: %s", proto, strerror(-ret));
	return true;
}

/* zc_test_setup_peer() for a protocol that needs the path's peer. */
static inline bool zc_test_setup(struct __test_metadata *_metadata,
				 struct zc_topo *topo, int family, int type)
{
	return zc_test_setup_peer(_metadata, topo, family, type, false);
}

/*
 * Every id of experiment @r (run in @state, e.g. "tap present")
 * completed, each with SO_EE_CODE_ZEROCOPY_COPIED if @copied, each
 * without it if not.  A wrong flag is explained by what zc_diag finds now
 * on the path of @topo to the stream's destination.
 */
static inline void zc_assert_flags(struct __test_metadata *_metadata,
				   const struct zc_topo *topo,
				   const struct zc_stream_spec *spec,
				   const struct zc_stream_result *r,
				   const char *state, bool copied)
{
	struct zc_diag_query q = zc_diag_query_of(topo, spec->family,
						  spec->type, spec->size,
						  spec->dst);
	char why[1024] = "";

	ASSERT_EQ(0, r->err)
		TH_LOG("%s, %s: stream stopped: %s", r->label, state, r->why);
	ASSERT_EQ(0ULL, r->missing)
		TH_LOG("%s, %s: %llu of %u ids never completed: %s; %s",
		       r->label, state, (unsigned long long)r->missing,
		       r->issued, r->missing_list, r->wait_why);
	ASSERT_NE(0ULL, r->completed)
		TH_LOG("%s, %s: no id completed", r->label, state);
	ASSERT_EQ(0L, r->unsent)
		TH_LOG("%s, %s: %ld bytes never transmitted (TCP_REPAIR, nothing acknowledged): the flags would not cover them",
		       r->label, state, r->unsent);
	/* Only when a flag is wrong: diag reads every process's fds. */
	if (copied ? r->zerocopy : r->copied)
		zc_diag_explain_query(&q, topo->name, NULL, why, sizeof(why));
	if (copied) {
		ASSERT_EQ(0ULL, r->zerocopy)
			TH_LOG("%s, %s: expected COPIED for all %llu ids, seen %llu zero-copy, %llu COPIED; %s",
			       r->label, state,
			       (unsigned long long)r->completed,
			       (unsigned long long)r->zerocopy,
			       (unsigned long long)r->copied, why);
		return;
	}
	ASSERT_EQ(0ULL, r->copied)
		TH_LOG("%s, %s: expected zero-copy for all %llu ids, seen %llu COPIED, %llu zero-copy; %s",
		       r->label, state, (unsigned long long)r->completed,
		       (unsigned long long)r->copied,
		       (unsigned long long)r->zerocopy, why);
}

/* The bounds of a wait for notifications, the suite's deadlines. */
static inline struct zc_wait zc_test_wait(void)
{
	return (struct zc_wait){
		.quiet_ms = zc_slow_ms(ZC_QUIET_MS),
		.max_ms = zc_slow_ms(ZC_MAX_MS),
	};
}

/* A spec with the suite's deadlines; the caller sets what it measures. */
static inline struct zc_stream_spec zc_spec(const struct zc_topo *topo,
					    int family, int type)
{
	return (struct zc_stream_spec){
		.topo = topo,
		.family = family,
		.type = type,
		.wait = zc_test_wait(),
		.peer_ready_ms = zc_slow_ms(ZC_READY_MS),
		.peer_idle_ms = zc_slow_ms(ZC_IDLE_MS),
	};
}

/*
 * The experiment cache: shared memory mapped before the harness forks the
 * first test, so that a result stored by one test is there for the next.
 * A result is a plain struct (no pointers) of at most ZC_CACHE_BYTES.
 */
#define ZC_CACHE_SLOTS 16
#define ZC_CACHE_BYTES 8192

enum { ZC_EXP_EMPTY, ZC_EXP_RUNNING, ZC_EXP_DONE };

struct zc_cache_slot {
	int state;
	char key[96];
	union {
		struct zc_stream_result stream;
		unsigned char bytes[ZC_CACHE_BYTES];
	} u;
};

static struct zc_cache_slot *zc_cache;
static pid_t zc_main_pid;

__attribute__((constructor)) static void zc_cache_map(void)
{
	void *p = mmap(NULL, ZC_CACHE_SLOTS * sizeof(*zc_cache),
		       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		       -1, 0);

	zc_cache = p == MAP_FAILED ? NULL : p;
	zc_main_pid = getpid();
}

/* The last test killed by its timeout: its sysctls come back at exit. */
__attribute__((destructor)) static void zc_restore_at_exit(void)
{
	char done[256];

	if (getpid() == zc_main_pid &&
	    zc_sysctl_restore(done, sizeof(done)) > 0)
		fprintf(stderr, "# restored %s at exit, left by a test killed before its teardown\n",
			done);
}

/*
 * zc_cache_run() - the result of experiment @key (e.g. "ip4_udp.stream"),
 * computed now by @run(@spec, result) into the cache (or into @own when
 * the cache is unavailable, full, or the result bigger than a slot) if no
 * earlier test of this run did.  @*unfinished tells that an earlier test
 * started the experiment but never finished it (it was killed there): the
 * result is then what it left.
 */
static inline const void *zc_cache_run(const char *key, size_t size,
				       void (*run)(const void *spec,
						   void *result),
				       const void *spec, void *own,
				       bool *unfinished)
{
	struct zc_cache_slot *slot = NULL;
	int i;

	*unfinished = false;
	for (i = 0; zc_cache && size <= ZC_CACHE_BYTES &&
		    i < ZC_CACHE_SLOTS; i++) {
		if (zc_cache[i].state == ZC_EXP_EMPTY ||
		    !strcmp(zc_cache[i].key, key)) {
			slot = &zc_cache[i];
			break;
		}
	}
	if (!slot) {
		run(spec, own);
		return own;
	}
	if (slot->state != ZC_EXP_EMPTY) {
		*unfinished = slot->state == ZC_EXP_RUNNING;
		return slot->u.bytes;
	}
	snprintf(slot->key, sizeof(slot->key), "%s", key);
	slot->state = ZC_EXP_RUNNING;
	run(spec, slot->u.bytes);
	slot->state = ZC_EXP_DONE;
	return slot->u.bytes;
}

/*
 * zc_cache_result() - zc_cache_run() for a test, with the suite's one
 * policy for an experiment that an earlier test started but never
 * finished (it was killed or timed out there): this test fails, naming
 * the experiment, rather than judge what it left.
 */
static inline const void *zc_cache_result(struct __test_metadata *_metadata,
					  const char *key, size_t size,
					  void (*run)(const void *spec,
						      void *result),
					  const void *spec, void *own)
{
	const void *r;
	bool unfinished;

	r = zc_cache_run(key, size, run, spec, own, &unfinished);
	ASSERT_FALSE(unfinished)
		TH_LOG("experiment %s did not finish in an earlier test (killed or timed out there)",
		       key);
	return r;
}

static inline void zc_stream_run_logged(const void *spec, void *result)
{
	char line[512];

	zc_stream_run(spec, result);
	zc_stream_summary(result, line, sizeof(line));
	fprintf(TH_LOG_STREAM, "# %s\n", line);
}

/*
 * zc_experiment() - the result of stream experiment @key, run now by this
 * test if no earlier test of this run did (zc_cache_result(): one that an
 * earlier test started but never finished fails this test).
 */
static inline const struct zc_stream_result *
zc_experiment(struct __test_metadata *_metadata, const char *key,
	      const struct zc_stream_spec *spec)
{
	static struct zc_stream_result own;

	return zc_cache_result(_metadata, key, sizeof(own),
			       zc_stream_run_logged, spec, &own);
}

#endif /* ZC_TEST_H */
