// SPDX-License-Identifier: GPL-2.0
/*
 * buffer_reuse: the promise itself (msg_zerocopy.rst: "The kernel returns
 * a notification when it is safe to modify data"; until then "the process
 * cannot immediately overwrite the buffer after system call return
 * without possibly modifying the data in flight").  Both halves:
 *
 *   reuse.*.keeps_bytes_after_completion
 *       on every path with a receiver (lo, veth, hold): 128 sends from a
 *       ring of 8 buffers; a buffer is written over the moment the
 *       notification of its id is read, and filled for its next send only
 *       once that id completed; the receiver must get every byte as sent.
 *       A kernel that signals completion while it still references the
 *       pages delivers the bytes written over them: corrupt data.
 *   converse.*.shares_pages_until_completion
 *       on the hold topology: one send whose packets the forwarder holds
 *       (ZC_FWD_HOLD_TOS; forwarding keeps the pages since d2527ad3a9e1,
 *       v6.17), no completion while held, then its buffer is changed and
 *       the hold lets the packets go on (zc_hold_pass()).  The receiver
 *       sees the change: the pages were shared until the copy at local
 *       delivery, which is what zero-copy means and why the rule exists.
 *       Asserted, as this kernel does it; on a kernel before the fix the
 *       forwarder copied (XFAIL naming it).  The buffer holds datagram 1
 *       (UDP) or the bytes of stream offset SIZE (TCP) when sent, and
 *       datagram 0 or offset 0 once changed, so the receiver's check of
 *       the pattern tells which it got: valid means the change.
 *
 * Run: ./run_tests.sh -t lo,veth,hold -T buffer_reuse (root)
 */
#include <poll.h>

#include "kselftest_harness.h"
#include "zc_test.h"
#include "zc_edge.h"

#define RING		8
#define SENDS		128
#define UDP_SIZE	1000
#define TCP_SIZE	4000
#define SIZE		1000	/* the converse's one send */
#define SCRIBBLE	0xa5	/* what a buffer is written over with */

/* A receiver to check the bytes against: lo, veth, hold. */
static void with_receiver(struct __test_metadata *_metadata,
			  struct zc_edge_sock *s, int family, int type)
{
	if (zc_edge_sock_init(_metadata, s, family, type, false) &&
	    !s->e.topo.rx_ns)
		SKIP(return, "topology %s has no receiver to compare the bytes with",
		     s->e.topo.name);
}

ZC_EDGE_FIXTURE(reuse, struct zc_edge_sock, ZC_VARIANTS_ALL, with_receiver,
		zc_edge_sock_teardown);
ZC_EDGE_FIXTURE(converse, struct zc_edge_sock, ZC_VARIANTS_ALL,
		zc_edge_sock_setup, zc_edge_sock_teardown);

/* Send @i's bytes, as the receiver checks them, into @buf. */
static void fill(char *buf, size_t size, bool tcp, uint32_t i)
{
	if (tcp)
		zc_fill(buf, size, (uint64_t)i * size);
	else
		zc_fill_datagram(buf, size, i);
}

/* The ring: which send each buffer carries, -1 once its id completed. */
struct ring {
	char buf[RING][TCP_SIZE];
	int64_t id[RING];
	size_t size;
	size_t read;		/* notifications of the log acted upon */
	unsigned int scribbled;
};

/* Write over the buffers whose ids the new notifications completed. */
static void scribble(struct ring *r, const struct zc_errq *q,
		     const struct zc_notif *log)
{
	unsigned int slot;
	uint32_t id;

	for (; r->read < q->log_len; r->read++)
		for (id = log[r->read].lo; id - log[r->read].lo <=
		     log[r->read].hi - log[r->read].lo; id++) {
			slot = id % RING;
			if (r->id[slot] != id)
				continue;
			memset(r->buf[slot], SCRIBBLE, r->size);
			r->id[slot] = -1;
			r->scribbled++;
		}
}

TEST_F_TIMEOUT(reuse, keeps_bytes_after_completion, 60)
{
	struct zc_edge_sock *s = &self->s;
	const bool tcp = s->e.type == SOCK_STREAM;
	const size_t size = tcp ? TCP_SIZE : UDP_SIZE;
	struct zc_peer_spec ps = {
		.bytes = (uint64_t)SENDS * size, .datagrams = SENDS,
		.size = size,
	};
	static struct zc_notif log[SENDS];
	struct zc_wait w = zc_test_wait();
	static struct ring r;
	struct zc_peer_result rx;
	unsigned int i, slot;
	char seen[256];
	int ret;

	memset(r.id, -1, sizeof(r.id));
	r.size = size;
	zc_tracker_free(&s->t);
	ret = zc_tracker_init(&s->t, 0, SENDS);
	ASSERT_EQ(0, ret) TH_LOG("%s: a tracker of %d ids: %s", s->e.label,
				 SENDS, strerror(-ret));
	zc_errq_log(&s->q, log, SENDS);
	s->fd = zc_edge_connect(_metadata, &s->e, &s->peer, &ps, NULL);

	for (i = 0; i < SENDS; i++) {
		slot = i % RING;
		/* The buffer is free once its last send's id completed. */
		while (r.id[slot] >= 0) {
			ret = zc_errq_wait_one(s->fd, &s->q, &s->t, &w);
			ASSERT_EQ(0, ret)
				TH_LOG("%s: waiting for id %lld to reuse its buffer: %s",
				       s->e.label, (long long)r.id[slot],
				       s->q.why);
			scribble(&r, &s->q, log);
		}
		fill(r.buf[slot], size, tcp, i);
		ASSERT_EQ((ssize_t)size, send(s->fd, r.buf[slot], size,
					      MSG_ZEROCOPY | MSG_NOSIGNAL))
			TH_LOG("%s: send %u: %s", s->e.label, i,
			       strerror(errno));
		zc_tracker_issue(&s->t, NULL);
		r.id[slot] = i;
		/* Every completion read at once, its buffer written over. */
		ret = zc_errq_drain(s->fd, &s->q, &s->t);
		ASSERT_LE(0, ret) TH_LOG("%s: %s", s->e.label, s->q.why);
		scribble(&r, &s->q, log);
	}
	ret = zc_errq_wait(s->fd, &s->q, &s->t, &w);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", s->e.label, s->q.why);
	scribble(&r, &s->q, log);
	ASSERT_TRUE(zc_tracker_done(&s->t))
		TH_LOG("%s: ids not completed exactly once: %llu missing, %llu duplicate, %llu unknown; read %s",
		       s->e.label,
		       (unsigned long long)zc_tracker_missing(&s->t),
		       (unsigned long long)s->t.anomaly[ZC_DUPLICATE].ids,
		       (unsigned long long)s->t.anomaly[ZC_UNKNOWN].ids,
		       zc_errq_format_log(&s->q, seen, sizeof(seen)));
	if (tcp)
		ASSERT_EQ(0, shutdown(s->fd, SHUT_WR))
			TH_LOG("%s: shutdown(SHUT_WR): %s", s->e.label,
			       strerror(errno));
	zc_edge_finish(_metadata, &s->e, &s->peer, &rx);
	fprintf(TH_LOG_STREAM, "# %s: %u sends from %d buffers, %llu notifications, %u buffers written over at completion; receiver got %llu bytes\n",
		s->e.label, SENDS, RING,
		(unsigned long long)s->t.notifications, r.scribbled,
		(unsigned long long)rx.bytes);
	ASSERT_EQ(0U, rx.bad + rx.duplicates)
		TH_LOG("%s: the receiver saw %u %s not as sent (the first at %s %lld) and %u datagrams twice: bytes written over a buffer after its completion was read reached it; likely cause: the kernel signalled completion while it still referenced the pages",
		       s->e.label, rx.bad, tcp ? "reads" : "datagrams",
		       tcp ? "stream offset" : "datagram",
		       (long long)rx.first_bad, rx.duplicates);
	ASSERT_EQ(0, rx.err) TH_LOG("%s: receiver: %s", s->e.label, rx.why);
	ASSERT_EQ(tcp ? (uint64_t)SENDS * size : SENDS,
		  tcp ? rx.bytes : rx.datagrams)
		TH_LOG("%s: the receiver got %llu bytes, %u datagrams", s->e.label,
		       (unsigned long long)rx.bytes, rx.datagrams);
}

TEST_F_TIMEOUT(converse, shares_pages_until_completion, 60)
{
	struct zc_edge_sock *s = &self->s;
	const struct zc_edge *e = &s->e;
	const bool tcp = e->type == SOCK_STREAM;
	struct zc_peer_spec ps = { .bytes = SIZE, .datagrams = 1,
				   .size = SIZE };
	struct zc_wait w = zc_test_wait();
	static char buf[SIZE];
	struct zc_peer_result rx;
	char seen[64];
	int ret;

	s->fd = zc_edge_connect(_metadata, e, &s->peer, &ps, NULL);
	/* Sent as datagram 1 or offset SIZE: wrong for the receiver. */
	fill(buf, SIZE, tcp, 1);
	ret = zc_set_tos(s->fd, e->family, e->h.fwd_hold_tos);
	ASSERT_EQ(0, ret) TH_LOG("%s: TOS 0x%x, held by the forwarder: %s",
				 e->label, e->h.fwd_hold_tos, strerror(-ret));
	ASSERT_EQ(SIZE, send(s->fd, buf, SIZE, MSG_ZEROCOPY | MSG_NOSIGNAL))
		TH_LOG("%s: send: %s", e->label, strerror(errno));
	zc_tracker_issue(&s->t, NULL);

	/* Changed before its completion: datagram 0, or offset 0. */
	fill(buf, SIZE, tcp, 0);
	ret = zc_errq_drain(s->fd, &s->q, &s->t);
	ASSERT_LE(0, ret) TH_LOG("%s: %s", e->label, s->q.why);
	/* Before the fix (ZC_FIX_COMMIT) every packet a forwarder receives
	 * is copied there, so the pages are released before the hold.
	 */
	ZC_XFAIL_UNFIXED(return, &e->topo,
			 !zc_tracker_missing(&s->t) && s->t.copied,
			 "%s: the send completed COPIED (read %s) before its packets reached the forwarder's hold: the forwarder copies what it receives",
			 e->label,
			 zc_errq_format_log(&s->q, seen, sizeof(seen)));
	ASSERT_EQ(1ULL, zc_tracker_missing(&s->t))
		TH_LOG("%s: the send completed (read %s) before its buffer was changed, while its packets should be held by the forwarder (%s in netns %s); likely cause: a copy before the hold (the sender's device without scatter-gather, a packet socket in the forwarder, a kernel before d2527ad3a9e1), or the hold let them go",
		       e->label, zc_errq_format_log(&s->q, seen, sizeof(seen)),
		       e->h.fwd_hold_dev, e->h.fwd_ns);
	/* What TCP sends from now on (its end) is not held. */
	ret = zc_set_tos(s->fd, e->family, 0);
	ASSERT_EQ(0, ret) TH_LOG("%s: TOS 0 after the held send: %s",
				 e->label, strerror(-ret));

	ret = zc_hold_pass(e->h.fwd_ns, e->h.fwd_hold_dev);
	ASSERT_EQ(0, ret) TH_LOG("letting the hold %s go: %s",
				 e->h.fwd_hold_dev, strerror(-ret));
	ret = zc_errq_wait(s->fd, &s->q, &s->t, &w);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", e->label, s->q.why);
	if (tcp)
		ASSERT_EQ(0, shutdown(s->fd, SHUT_WR))
			TH_LOG("%s: shutdown(SHUT_WR): %s", e->label,
			       strerror(errno));
	zc_edge_finish(_metadata, e, &s->peer, &rx);
	fprintf(TH_LOG_STREAM, "# %s: buffer changed while held; completion %s; the receiver got %s\n",
		e->label, zc_errq_format_log(&s->q, seen, sizeof(seen)),
		!rx.bad ? "the changed bytes" :
		rx.first_bad == (tcp ? 0 : 1) ? "the bytes as sent" :
		"something else");
	ZC_XFAIL_UNFIXED(return, &e->topo,
			 rx.bad && rx.first_bad == (tcp ? 0 : 1),
			 "%s: the receiver got the bytes as sent, not as changed: the forwarder copied them",
			 e->label);
	ASSERT_EQ(0U, rx.bad)
		TH_LOG("%s: expected the receiver to get the bytes as changed after the send, while its packets were held (the pages shared until the copy at local delivery), seen %s (first difference at %s %lld)",
		       e->label,
		       rx.first_bad == (tcp ? 0 : 1) ? "the bytes as sent: a copy was made before the hold" :
		       "a mix of both",
		       tcp ? "offset" : "datagram", (long long)rx.first_bad);
	ASSERT_EQ(0, rx.err) TH_LOG("%s: receiver: %s", e->label, rx.why);
}

TEST_HARNESS_MAIN
