// SPDX-License-Identifier: GPL-2.0
/*
 * zc_limits: what bounds the zero-copy sends a socket and a user may have
 * in flight, and what close() leaves behind (msg_zerocopy.rst, "Limits"
 * and "Notification"): ENOBUFS from optmem and from RLIMIT_MEMLOCK, ids
 * that go on without a gap after it, and charges that come back.
 *
 *   optmem.*.fails_with_enobufs_while_held
 *       with net.core.optmem_max 4096 in the sender's namespace, zero-copy
 *       sends held on the path fail with ENOBUFS within 64 sends; the
 *       refused send takes no id; once the held ids complete and are read,
 *       sends succeed and the next id is the one after the last accepted.
 *       UDP: held by the sender's hold.  TCP: by the forwarder's hold,
 *       after ip_rcv() there orphaned them, so the data stays
 *       unacknowledged and every send's notification pending; each send
 *       is a segment of its own (TCP_NODELAY, MSG_EOR, five sends within
 *       the initial window of ten), so each needs a notification of its
 *       own: no send extends another's.  The held copies are then
 *       dropped, and a copy send behind them makes the receiver
 *       acknowledge selectively, so the sender retransmits at once (RACK)
 *       rather than at a retransmission timeout that backs off; the
 *       receiver waits as long as any wait (ZC_MAX_MS), and sends never
 *       raise SIGPIPE.
 *   optmem_unread.ip*_udp.fails_with_enobufs_for_unread_notifications
 *       completions that cannot merge stay charged until read: with
 *       nothing in flight and the notifications unread, a send fails with
 *       ENOBUFS; once they are read, it succeeds.  UDP only, as TCP
 *       completions arrive in order and merge
 *   memlock.ip*_udp.fails_with_enobufs_over_rlimit
 *       a user without CAP_IPC_LOCK under RLIMIT_MEMLOCK 64 KiB gets
 *       ENOBUFS once its held sends pin more; the charge outlives the
 *       process while they are held (reported) and is back to zero once
 *       they complete (asserted: a send that needs the whole limit works)
 *   memlock.ip*_udp.never_charges_cap_ipc_lock
 *       root with CAP_IPC_LOCK and RLIMIT_MEMLOCK 0 is never refused;
 *       the same uid-less user with 0 is refused at once (control)
 *   memlock.ip*_udp.close_releases_when_freed
 *       close() with sends held and notifications unread returns 0; the
 *       charge is back to zero once the held packets are freed; the
 *       kernel logs no warning meanwhile (checked when /dev/kmsg is
 *       readable, else said so)
 *   close_tcp.ip*_tcp.closes_with_data_held
 *       TCP: close() with data held beyond the sender and notifications
 *       unread returns 0 and logs nothing (as above)
 *
 * net.core.optmem_max is per network namespace since f5769faeec36 (v6.8).
 * Before it, the file does not exist in a namespace other than the
 * initial one (the sysctl was registered for init_net only), so finding
 * it in the test's namespace, which zc_test_setup() proved is the
 * topology's, is the probe: absent, the test skips rather than touch the
 * host's value.
 *
 * The user is one of 64 uids no distribution allocates (lib/zc_user.h),
 * checked against passwd and running processes, and locked against
 * parallel runs by the program's first process, until it exits: after
 * every teardown has freed what the user's sends held.
 *
 * Every fixture undoes in FIXTURE_TEARDOWN_PARENT (lib/zc_test.h), so that
 * a failed or killed test leaves no packets held and no sysctl changed.
 *
 * Run: ./run_tests.sh -t hold -T zc_limits (root)
 */
#include <sys/resource.h>

#include "kselftest_harness.h"
#include "zc_test.h"
#include "zc_edge.h"
#include "zc_user.h"

#define SIZE		1000
#define MAX_SENDS	64
#define OPTMEM_SMALL	4096
#define COPY_SIZE	500
#define MEMLOCK_SMALL	65536
/* A probe needs (8192 >> 12) + 2 = 4 pages, exactly its RLIMIT_MEMLOCK. */
#define PROBE_SIZE	8192
#define PROBE_MEMLOCK	16384

static const char *const kmsg_words[] = {
	"WARNING", "BUG", "Call Trace", "refcount", "skb", "zerocopy",
	"ubuf", "locked_vm", NULL,
};

/* One datagram of @len bytes to @ip port 9 on @fd; 0 or -errno. */
static int send_to(int fd, const char *ip, const void *buf, size_t len,
		   int flags)
{
	struct zc_addr a;

	if (zc_addr_parse(&a, ip, 9))
		return -EINVAL;
	return sendto(fd, buf, len, flags, (struct sockaddr *)&a.ss,
		      a.len) < 0 ? -errno : 0;
}

/* ---- optmem ---- */

/* The setup of both optmem fixtures: net.core.optmem_max 4096, last. */
static void small_optmem(struct __test_metadata *_metadata,
			 struct zc_edge *e, int family, int type)
{
	int ret;

	if (!zc_edge_setup(_metadata, e, family, type, true))
		return;
	ret = zc_sysctl_set("net/core/optmem_max", OPTMEM_SMALL);
	if (ret == -ENOENT)
		SKIP(return, "net.core.optmem_max is not per network namespace on this kernel (f5769faeec36, v6.8): the host's would change");
	ASSERT_EQ(0, ret)
		TH_LOG("setting net.core.optmem_max to %d in the test's network namespace: %s",
		       OPTMEM_SMALL, strerror(-ret));
}

ZC_EDGE_FIXTURE(optmem, struct zc_edge, ZC_VARIANTS_ALL,
		small_optmem, zc_edge_teardown);

TEST_F_TIMEOUT(optmem, fails_with_enobufs_while_held, 60)
{
	const struct zc_edge *e = &self->s;
	const bool tcp = e->type == SOCK_STREAM;
	struct zc_peer_spec ps = { .idle_ms = zc_slow_ms(ZC_MAX_MS) };
	static char buf[(MAX_SENDS + 1) * SIZE + COPY_SIZE];
	struct zc_wait w = zc_test_wait();
	struct zc_peer peer = { .pid = 0 };
	struct zc_peer_result rx;
	struct zc_tracker t;
	struct zc_errq q;
	unsigned int sent;
	/* TCP: one segment, one notification each (see below). */
	int flags = MSG_ZEROCOPY | MSG_DONTWAIT | MSG_NOSIGNAL |
		    (tcp ? MSG_EOR : 0);
	int fd, ret = 0;
	size_t off = 0;

	if (tcp) {
		fd = zc_edge_connect(_metadata, e, &peer, &ps, NULL);
		/* From now on the forwarder holds what this socket sends:
		 * unacknowledged, each send's notification stays pending.
		 */
		ret = zc_set_tos(fd, e->family, e->h.fwd_hold_tos);
		ASSERT_EQ(0, ret) TH_LOG("%s: TOS 0x%x, held by the forwarder: %s",
					 e->label, e->h.fwd_hold_tos,
					 strerror(-ret));
	} else {
		fd = zc_edge_open(_metadata, e->family, SOCK_DGRAM,
				  zc_edge_hold(e), 9);
	}
	ret = zc_tracker_init(&t, 0, MAX_SENDS + 2);
	ASSERT_EQ(0, ret) TH_LOG("%s: a tracker of %d ids: %s", e->label,
				 MAX_SENDS + 2, strerror(-ret));
	zc_errq_init(&q, e->family);
	zc_fill(buf, sizeof(buf), 0);

	/*
	 * TCP_NODELAY sends each call at once, within the initial window of
	 * 10 segments, and MSG_EOR keeps later data out of its skb: every
	 * call needs a notification of its own, charged to optmem.
	 */
	for (sent = 0; sent < MAX_SENDS; sent++, off += SIZE) {
		ret = send(fd, buf + (tcp ? off : 0), SIZE, flags);
		if (ret < 0) {
			ret = -errno;
			break;
		}
		ASSERT_EQ(SIZE, ret) TH_LOG("%s: short send", e->label);
		zc_tracker_issue(&t, NULL);
		ret = 0;
	}
	ASSERT_EQ(-ENOBUFS, ret)
		TH_LOG("%s: expected ENOBUFS within %d zero-copy sends of %d bytes held on the path with net.core.optmem_max %d, seen %s after %u sends; likely cause: the packets were not held (the hold let them go), or optmem is no longer charged per notification",
		       e->label, MAX_SENDS, SIZE, OPTMEM_SMALL,
		       ret ? strerror(-ret) : "none", sent);
	fprintf(TH_LOG_STREAM, "# %s: ENOBUFS after %u sends held, optmem_max %d\n",
		e->label, sent, OPTMEM_SMALL);

	/* Let the held packets go, and read every completion. */
	if (tcp) {
		/*
		 * The held copies are dropped: data lost on the path.  A
		 * copy send behind them (no id, no optmem) is delivered and
		 * selectively acknowledged, so TCP retransmits the lost ones
		 * at once (RACK) instead of at its retransmission timeout.
		 */
		ret = zc_set_tos(fd, e->family, 0);
		ASSERT_EQ(0, ret) TH_LOG("%s: TOS 0 after ENOBUFS: %s",
					 e->label, strerror(-ret));
		ret = zc_hold_release(e->h.fwd_ns, e->h.fwd_hold_dev);
		ASSERT_EQ(0, ret)
			TH_LOG("%s: releasing the hold %s in netns %s: %s",
			       e->label, e->h.fwd_hold_dev, e->h.fwd_ns,
			       strerror(-ret));
		ASSERT_EQ(COPY_SIZE, send(fd, buf + off, COPY_SIZE,
					  MSG_NOSIGNAL))
			TH_LOG("%s: a copy send after ENOBUFS: %s", e->label,
			       strerror(errno));
		off += COPY_SIZE;
	} else {
		ret = zc_hold_release(NULL, e->h.hold_dev);
		ASSERT_EQ(0, ret) TH_LOG("%s: releasing the hold %s: %s",
					 e->label, e->h.hold_dev,
					 strerror(-ret));
	}
	ret = zc_errq_wait(fd, &q, &t, &w);
	ASSERT_EQ(0, ret)
		TH_LOG("%s: the %u held sends did not all complete once released (%llu unknown ids, %llu ranges beyond the ids issued: did the refused send take an id?): %s",
		       e->label, sent,
		       (unsigned long long)t.anomaly[ZC_UNKNOWN].events,
		       (unsigned long long)t.anomaly[ZC_MALFORMED].events,
		       q.why);

	/* The send refused with ENOBUFS took no id: this one takes @sent. */
	ret = tcp ? (int)send(fd, buf + off, SIZE,
			      MSG_ZEROCOPY | MSG_NOSIGNAL) :
		    send_to(fd, zc_edge_sink(e), buf, SIZE, MSG_ZEROCOPY);
	ASSERT_LE(0, ret)
		TH_LOG("%s: send after every id completed and was read: %s",
		       e->label, strerror(tcp ? errno : -ret));
	off += SIZE;
	zc_tracker_issue(&t, NULL);
	ret = zc_errq_wait(fd, &q, &t, &w);
	ASSERT_EQ(0, ret)
		TH_LOG("%s: after ENOBUFS at send %u, the next send should take id %u, which did not complete (%llu ids never issued completed): the refused send took an id (or a completion was lost): %s",
		       e->label, sent + 1, sent,
		       (unsigned long long)t.anomaly[ZC_UNKNOWN].events,
		       q.why);
	ASSERT_EQ(0ULL, t.anomaly[ZC_UNKNOWN].events + zc_tracker_missing(&t))
		TH_LOG("%s: after ENOBUFS at send %u, the next id should be %u; ids never issued completed (%llu) and ids stayed missing (%llu): the refused send took an id (or a completion was lost): %s",
		       e->label, sent + 1, sent,
		       (unsigned long long)t.anomaly[ZC_UNKNOWN].events,
		       (unsigned long long)zc_tracker_missing(&t), q.why);
	ASSERT_TRUE(zc_tracker_done(&t))
		TH_LOG("%s: ids not completed exactly once: %s", e->label,
		       q.why);
	if (tcp) {
		ASSERT_EQ(0, shutdown(fd, SHUT_WR))
			TH_LOG("%s: shutdown(SHUT_WR): %s", e->label,
			       strerror(errno));
		zc_edge_finish(_metadata, e, &peer, &rx);
		ASSERT_EQ((uint64_t)off, rx.bytes)
			TH_LOG("%s: receiver got %llu of %zu bytes: %s",
			       e->label, (unsigned long long)rx.bytes, off,
			       rx.why);
		ASSERT_EQ(0U, rx.bad)
			TH_LOG("%s: receiver saw corrupt data at offset %lld",
			       e->label, (long long)rx.first_bad);
	}
	zc_tracker_free(&t);
	close(fd);
}

/* Completions that cannot merge: separate notifications, UDP only. */
ZC_EDGE_FIXTURE(optmem_unread, struct zc_edge, ZC_VARIANTS_UDP,
		small_optmem, zc_edge_teardown);

TEST_F_TIMEOUT(optmem_unread, fails_with_enobufs_for_unread_notifications, 60)
{
	const struct zc_edge *e = &self->s;
	struct zc_wait w = zc_test_wait();
	static char buf[SIZE];
	struct zc_tracker t;
	struct zc_errq q;
	unsigned int sent;
	int fd, ret = 0;

	fd = zc_edge_open(_metadata, e->family, SOCK_DGRAM, NULL, 0);
	ret = zc_tracker_init(&t, 0, MAX_SENDS + 2);
	ASSERT_EQ(0, ret) TH_LOG("%s: a tracker of %d ids: %s", e->label,
				 MAX_SENDS + 2, strerror(-ret));
	zc_errq_init(&q, e->family);

	/* Held and sunk in turn: the sunk ones complete at once, and no
	 * two of their notifications are contiguous, so none merge.
	 */
	for (sent = 0; sent < MAX_SENDS; sent++) {
		ret = send_to(fd, sent % 2 ? zc_edge_sink(e) : zc_edge_hold(e),
			      buf, SIZE, MSG_ZEROCOPY | MSG_DONTWAIT);
		if (ret)
			break;
		zc_tracker_issue(&t, NULL);
	}
	ASSERT_EQ(-ENOBUFS, ret)
		TH_LOG("%s: expected ENOBUFS within %d sends with net.core.optmem_max %d, seen %s after %u",
		       e->label, MAX_SENDS, OPTMEM_SMALL,
		       ret ? strerror(-ret) : "none", sent);
	ret = zc_hold_release(NULL, e->h.hold_dev);
	ASSERT_EQ(0, ret) TH_LOG("%s: releasing the hold %s: %s",
				 e->label, e->h.hold_dev,
				 strerror(-ret));

	/*
	 * Nothing in flight now, every notification unread: each is still
	 * charged to optmem (docs/KERNEL-NOTES.md, "optmem and TCP"), none
	 * merged, so there is no room for the next one.
	 */
	ret = send_to(fd, zc_edge_sink(e), buf, SIZE,
		      MSG_ZEROCOPY | MSG_DONTWAIT);
	ASSERT_EQ(-ENOBUFS, ret)
		TH_LOG("%s: after ENOBUFS at send %u and the hold released, with nothing in flight and the notifications of its %u sends unread: expected ENOBUFS (unread notifications stay charged to optmem), seen %s",
		       e->label, sent + 1, sent,
		       ret ? strerror(-ret) : "the send succeeded");
	ret = zc_errq_wait(fd, &q, &t, &w);
	ASSERT_EQ(0, ret) TH_LOG("%s: reading the notifications: %s",
				 e->label, q.why);
	ret = send_to(fd, zc_edge_sink(e), buf, SIZE,
		      MSG_ZEROCOPY | MSG_DONTWAIT);
	ASSERT_EQ(0, ret)
		TH_LOG("%s: expected a send to succeed once every notification was read (%llu entries), seen %s",
		       e->label, (unsigned long long)q.entries,
		       strerror(-ret));
	zc_tracker_issue(&t, NULL);
	ret = zc_errq_wait(fd, &q, &t, &w);
	ASSERT_EQ(0, ret)
		TH_LOG("%s: the send after the notifications were read, id %u: %s",
		       e->label, t.issued - 1, q.why);
	ASSERT_TRUE(zc_tracker_done(&t))
		TH_LOG("%s: ids not completed exactly once (unknown %llu): %s",
		       e->label,
		       (unsigned long long)t.anomaly[ZC_UNKNOWN].events, q.why);
	zc_tracker_free(&t);
	close(fd);
}

/* ---- locked pages ---- */

struct fill_arg {
	int family;
	const char *ip;
	size_t size;
	unsigned int max;
	bool close_unread;	/* send one more to sink_ip, then close */
	const char *sink_ip;
};

struct fill_out {
	unsigned int sent;
	int err;		/* errno of the first refused send, 0 */
	int close_ret;		/* close(): 0 or -errno */
};

/* As the other user: zero-copy sends to @ip until one is refused. */
static int fill(void *argp, void *outp, size_t len)
{
	const struct fill_arg *a = argp;
	struct fill_out *o = outp;
	static char buf[65536];
	int fd, ret;

	fd = zc_open(a->family, SOCK_DGRAM, a->ip, 9, 1000);
	if (fd < 0)
		return fd;
	for (o->sent = 0; o->sent < a->max; o->sent++)
		if (send(fd, buf, a->size, MSG_ZEROCOPY | MSG_DONTWAIT) < 0) {
			o->err = errno;
			break;
		}
	if (a->close_unread) {
		ret = send_to(fd, a->sink_ip, buf, a->size, MSG_ZEROCOPY);
		if (ret)
			o->err = -ret;
		o->close_ret = close(fd) ? -errno : 0;
		return 0;
	}
	close(fd);
	return 0;
}

/*
 * The uid is claimed by the program's first process, before the harness
 * forks a test: its lock is held until every test's teardown has freed
 * what the user had held, and no parallel run can take the uid between.
 */
static long memlock_uid = -ENOENT;
#define USER ((unsigned int)memlock_uid)

__attribute__((constructor)) static void memlock_claim(void)
{
	int lockfd;

	if (!geteuid())
		memlock_uid = zc_uid_claim(&lockfd);
}

static void as_claimed_user(struct __test_metadata *_metadata,
			  struct zc_edge *e, int family, int type)
{
	if (!zc_edge_setup(_metadata, e, family, type, true))
		return;
	if (memlock_uid == -EBUSY)
		SKIP(return, "all %d uids from %u are in use (users, processes or other runs)",
		     ZC_UID_COUNT, ZC_UID_FIRST);
	ASSERT_LT(0, memlock_uid)
		TH_LOG("claiming a uid: %s", strerror(-memlock_uid));
}

ZC_EDGE_FIXTURE(memlock, struct zc_edge, ZC_VARIANTS_UDP,
		as_claimed_user, zc_edge_teardown);

/* Run fill() as the claimed user with RLIMIT_MEMLOCK @memlock. */
static int fill_as(struct __test_metadata *_metadata,
		   FIXTURE_DATA(memlock) *self, long memlock,
		   struct fill_arg *a, struct fill_out *o)
{
	struct zc_as_user u = {
		.uid = USER, .memlock = memlock,
		.timeout_ms = zc_slow_ms(ZC_MAX_MS),
	};
	int ret;

	memset(o, 0, sizeof(*o));
	ret = zc_run_as(&u, fill, a, o, sizeof(*o));
	/* -EPERM: which step failed; another error: why not reaped. */
	if (ret && u.why[0])
		TH_LOG("%s: as uid %u: %s", self->s.label, USER, u.why);
	return ret;
}

/*
 * Whether uid has nothing charged: a send needing its whole limit works.
 * Return: 0 if so, ENOBUFS if something is charged, or another errno.
 */
static int charged(struct __test_metadata *_metadata,
		   FIXTURE_DATA(memlock) *self)
{
	struct fill_arg a = {
		.family = self->s.family, .size = PROBE_SIZE, .max = 1,
		.ip = zc_edge_sink(&self->s),
	};
	struct fill_out o;
	int ret;

	ret = fill_as(_metadata, self, PROBE_MEMLOCK, &a, &o);
	return ret ? -ret : o.err;
}

TEST_F_TIMEOUT(memlock, fails_with_enobufs_over_rlimit, 60)
{
	struct fill_arg a = {
		.family = self->s.family, .size = SIZE, .max = MAX_SENDS,
		.ip = zc_edge_hold(&self->s),
	};
	struct fill_out o;
	int ret;

	ret = charged(_metadata, self);
	ASSERT_EQ(0, ret)
		TH_LOG("%s: uid %u starts with locked pages charged (a %d-byte send under RLIMIT_MEMLOCK %d: %s): held packets of another run?",
		       self->s.label, USER, PROBE_SIZE, PROBE_MEMLOCK,
		       strerror(ret));

	ret = fill_as(_metadata, self, MEMLOCK_SMALL, &a, &o);
	ASSERT_EQ(0, ret) TH_LOG("%s: sender as uid %u: %s", self->s.label,
				 USER, strerror(-ret));
	ASSERT_EQ(ENOBUFS, o.err)
		TH_LOG("%s: uid %u without CAP_IPC_LOCK, RLIMIT_MEMLOCK %d: expected ENOBUFS within %d held sends of %d bytes, seen %s after %u",
		       self->s.label, USER, MEMLOCK_SMALL, MAX_SENDS, SIZE,
		       o.err ? strerror(o.err) : "none", o.sent);
	ASSERT_LT(0U, o.sent)
		TH_LOG("%s: the first send was refused: nothing was pinned",
		       self->s.label);

	/* The sender is gone; its held packets keep their pages pinned. */
	ret = charged(_metadata, self);
	fprintf(TH_LOG_STREAM, "# %s: ENOBUFS after %u held sends under RLIMIT_MEMLOCK %d; after the sender exited, with its packets held, a send needing the whole limit %s\n",
		self->s.label, o.sent, MEMLOCK_SMALL,
		ret ? strerror(ret) : "succeeded");

	ret = zc_hold_release(NULL, self->s.h.hold_dev);
	ASSERT_EQ(0, ret) TH_LOG("%s: releasing the hold %s: %s",
				 self->s.label, self->s.h.hold_dev,
				 strerror(-ret));
	ret = charged(_metadata, self);
	ASSERT_EQ(0, ret)
		TH_LOG("%s: uid %u still has locked pages charged after its held sends were freed (a %d-byte send under RLIMIT_MEMLOCK %d: %s)",
		       self->s.label, USER, PROBE_SIZE, PROBE_MEMLOCK,
		       strerror(ret));
}

TEST_F_TIMEOUT(memlock, never_charges_cap_ipc_lock, 60)
{
	struct rlimit zero = { 0, 0 };
	struct fill_arg a = {
		.family = self->s.family, .size = SIZE, .max = 1,
		.ip = zc_edge_hold(&self->s),
	};
	struct zc_wait w = zc_test_wait();
	static char buf[SIZE];
	struct zc_tracker t;
	struct zc_errq q;
	struct fill_out o;
	int fd, i, ret;

	/* Control: under the same limit, a user without it is refused. */
	ret = fill_as(_metadata, self, 0, &a, &o);
	ASSERT_EQ(0, ret) TH_LOG("%s: sender as uid %u: %s", self->s.label,
				 USER, strerror(-ret));
	ASSERT_EQ(ENOBUFS, o.err)
		TH_LOG("%s: uid %u without CAP_IPC_LOCK, RLIMIT_MEMLOCK 0: expected ENOBUFS at the first send, seen %s",
		       self->s.label, USER,
		       o.err ? strerror(o.err) : "none");

	/* This test's own process, root: RLIMIT_MEMLOCK 0 changes nothing. */
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &zero))
		TH_LOG("%s: RLIMIT_MEMLOCK 0 for the test's process: %s",
		       self->s.label, strerror(errno));
	fd = zc_edge_open(_metadata, self->s.family, SOCK_DGRAM,
			  zc_edge_hold(&self->s), 9);
	ret = zc_tracker_init(&t, 0, 32);
	ASSERT_EQ(0, ret) TH_LOG("%s: a tracker of 32 ids: %s", self->s.label,
				 strerror(-ret));
	zc_errq_init(&q, self->s.family);
	for (i = 0; i < 16; i++) {
		ret = send(fd, buf, SIZE, MSG_ZEROCOPY | MSG_DONTWAIT);
		ASSERT_EQ(SIZE, ret)
			TH_LOG("%s: root with CAP_IPC_LOCK, RLIMIT_MEMLOCK 0: send %d of 16 held refused: %s",
			       self->s.label, i + 1, strerror(errno));
		zc_tracker_issue(&t, NULL);
	}
	ret = zc_hold_release(NULL, self->s.h.hold_dev);
	ASSERT_EQ(0, ret) TH_LOG("%s: releasing the hold %s: %s",
				 self->s.label, self->s.h.hold_dev,
				 strerror(-ret));
	ret = zc_errq_wait(fd, &q, &t, &w);
	ASSERT_EQ(0, ret) TH_LOG("%s: the 16 held sends, released: %s",
				 self->s.label, q.why);
	zc_tracker_free(&t);
	close(fd);
}

TEST_F_TIMEOUT(memlock, close_releases_when_freed, 60)
{
	struct fill_arg a = {
		.family = self->s.family, .size = SIZE, .max = 4,
		.ip = zc_edge_hold(&self->s),
		.close_unread = true,
		.sink_ip = zc_edge_sink(&self->s),
	};
	char first[256];
	struct fill_out o;
	int kmsg, ret;

	kmsg = zc_kmsg_open();
	ret = fill_as(_metadata, self, MEMLOCK_SMALL, &a, &o);
	ASSERT_EQ(0, ret) TH_LOG("%s: sender as uid %u: %s", self->s.label,
				 USER, strerror(-ret));
	ASSERT_EQ(0, o.err) TH_LOG("%s: %u held sends and one sunk: %s",
				   self->s.label, o.sent, strerror(o.err));
	ASSERT_EQ(0, o.close_ret)
		TH_LOG("%s: close() with 4 sends held and a notification unread: %s",
		       self->s.label, strerror(-o.close_ret));

	ret = charged(_metadata, self);
	fprintf(TH_LOG_STREAM, "# %s: after close(), with 4 sends held, a send needing the whole limit %s\n",
		self->s.label, ret ? strerror(ret) : "succeeded");
	ret = zc_hold_release(NULL, self->s.h.hold_dev);
	ASSERT_EQ(0, ret) TH_LOG("%s: releasing the hold %s: %s",
				 self->s.label, self->s.h.hold_dev,
				 strerror(-ret));
	ret = charged(_metadata, self);
	ASSERT_EQ(0, ret)
		TH_LOG("%s: uid %u still has locked pages charged after the closed socket's held packets were freed (%s)",
		       self->s.label, USER, strerror(ret));

	if (kmsg < 0) {
		fprintf(TH_LOG_STREAM, "# %s: kernel log not checked: /dev/kmsg: %s\n",
			self->s.label, strerror(-kmsg));
		return;
	}
	ret = zc_kmsg_read(kmsg, kmsg_words, first, sizeof(first));
	close(kmsg);
	ASSERT_EQ(0, ret) TH_LOG("%s: the kernel logged %d warnings during the test, the first: %s",
				 self->s.label, ret, first);
}

/* ---- TCP close ---- */

ZC_EDGE_FIXTURE(close_tcp, struct zc_edge, ZC_VARIANTS_TCP,
		zc_edge_setup_hold, zc_edge_teardown);

TEST_F_TIMEOUT(close_tcp, closes_with_data_held, 60)
{
	const struct zc_edge *e = &self->s;
	struct zc_peer_spec ps = { .bytes = 8 * SIZE };
	struct zc_peer peer = { .pid = 0 };
	struct zc_peer_result rx;
	static char buf[8 * SIZE];
	char first[256];
	int fd, i, kmsg, ret;

	kmsg = zc_kmsg_open();
	fd = zc_edge_connect(_metadata, e, &peer, &ps, NULL);
	zc_fill(buf, sizeof(buf), 0);
	/* Four sends held by the forwarder, four delivered behind them. */
	ret = zc_set_tos(fd, e->family, e->h.fwd_hold_tos);
	ASSERT_EQ(0, ret) TH_LOG("%s: TOS 0x%x, held by the forwarder: %s",
				 e->label, e->h.fwd_hold_tos, strerror(-ret));
	for (i = 0; i < 8; i++) {
		if (i == 4) {
			ret = zc_set_tos(fd, e->family, 0);
			ASSERT_EQ(0, ret)
				TH_LOG("%s: TOS 0 after 4 held sends: %s",
				       e->label, strerror(-ret));
		}
		ASSERT_EQ(SIZE, send(fd, buf + i * SIZE, SIZE,
				     MSG_ZEROCOPY | MSG_NOSIGNAL))
			TH_LOG("%s: send %d: %s", e->label, i,
			       strerror(errno));
	}
	ret = close(fd);
	ASSERT_EQ(0, ret)
		TH_LOG("%s: close() with data held beyond the sender and notifications unread: %s",
		       e->label, strerror(errno));
	/* The orphan retransmits what was held, unmarked, and finishes. */
	ret = zc_hold_release(e->h.fwd_ns, e->h.fwd_hold_dev);
	ASSERT_EQ(0, ret)
		TH_LOG("%s: releasing the hold %s in netns %s: %s",
		       e->label, e->h.fwd_hold_dev, e->h.fwd_ns,
		       strerror(-ret));
	zc_edge_finish(_metadata, e, &peer, &rx);
	ASSERT_EQ((uint64_t)sizeof(buf), rx.bytes)
		TH_LOG("%s: after close(), the receiver got %llu of %zu bytes (%s)",
		       e->label, (unsigned long long)rx.bytes, sizeof(buf),
		       rx.why);
	ASSERT_EQ(0U, rx.bad) TH_LOG("%s: receiver saw corrupt data at %lld",
				    e->label, (long long)rx.first_bad);
	if (kmsg < 0) {
		fprintf(TH_LOG_STREAM, "# %s: kernel log not checked: /dev/kmsg: %s\n",
			e->label, strerror(-kmsg));
		return;
	}
	ret = zc_kmsg_read(kmsg, kmsg_words, first, sizeof(first));
	close(kmsg);
	ASSERT_EQ(0, ret) TH_LOG("%s: the kernel logged %d warnings during the test, the first: %s",
				 e->label, ret, first);
}

TEST_HARNESS_MAIN
