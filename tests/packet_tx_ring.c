// SPDX-License-Identifier: GPL-2.0
/*
 * packet_tx_ring: how packet sockets transmit without MSG_ZEROCOPY.  The
 * mmap'ed PACKET_TX_RING (Documentation/networking/packet_mmap.rst, and
 * PACKET_LOSS in packet(7)) is their copy-avoiding path; MSG_ZEROCOPY
 * itself is refused or ignored on them.
 *
 * The path is a veth pair (netns/veth.sh; netns/veth_tbf.sh shapes veth0
 * with a tbf whose child pfifo holds ZC_TBF_LIMIT packets).  A forked
 * receiver in the peer namespace takes every test frame (zc_packet.h) on
 * ZC_PEER_DEV, checks it byte for byte, logs its number, and reports
 * through a pipe once the end marker came.  The sender pins itself to
 * one CPU meanwhile: veth hands a frame to the backlog of the CPU that
 * transmits it, and two backlogs could reorder frames.
 *
 * One experiment runs per variant (TPACKET_V2 and V3, SOCK_RAW and
 * SOCK_DGRAM), in phases whose frames are numbered apart (frame i of
 * phase k is "frame k*1000+i" in messages: burst 1, overflow 2, bypass 3,
 * bad frames 4-6 and 8-10, poll 12), and each test judges one property of
 * one phase:
 *
 *   burst: 6 frames with a non-blocking send, then 6 with a blocking one
 *     nonblocking_send_returns_queued_bytes  the bytes queued, every frame
 *                              SENDING or AVAILABLE, the call not waiting
 *     blocking_send_waits_for_every_frame    every frame AVAILABLE again
 *                              when it returns
 *     peer_receives_every_frame  exactly the frames queued, in order
 *   overflow: 4 pfifos' worth through the shaper (veth_tbf only)
 *     reports_qdisc_drop_as_enobufs  ENOBUFS at the first drop, the
 *                              dropped frame SEND_REQUEST again
 *     loses_no_frame_under_backpressure  every frame, in order, after
 *                              the retries
 *   bypass: the same burst with PACKET_QDISC_BYPASS
 *     bypass_sends_burst_without_drops
 *   poll: a ring of 8 sent round, its next frame still in flight
 *     pollout_means_a_free_frame  packet_mmap.rst: poll() tells when a
 *                              frame is free; this kernel reports POLLOUT
 *                              with none free (XFAIL)
 *   bad frames (a table): 8 frames, the 4th malformed
 *     bad_frame_stalls_ring    EMSGSIZE/EINVAL and WRONG_FORMAT, nothing
 *                              after it sent until it is rewritten
 *     bad_frame_skipped_with_packet_loss
 *     v3_next_offset_frame_dropped  packet_mmap.rst says such a frame is
 *                              dropped; this kernel rejects it (XFAIL)
 *
 * and fixture packet_zc (SOCK_RAW, SOCK_DGRAM), one socket each:
 *     so_zerocopy_rejected     EOPNOTSUPP
 *     msg_zerocopy_sends_a_copy  a plain copy: no error queue, no POLLERR
 *
 * Every wait is bounded: a blocking send by SO_SNDTIMEO, the receiver by
 * its idle deadline.  Waiting for frames in flight is the kernel's own
 * event: a blocking send with no frame to send sleeps until every frame
 * in flight is AVAILABLE again.
 *
 * Run: ./run_tests.sh -t veth,veth_tbf -T packet_tx_ring (root)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* RUSAGE_THREAD */
#endif
#include <arpa/inet.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <linux/sockios.h>

#include "kselftest_harness.h"
#include "zc_packet.h"
#include "zc_test.h"

#define FRAME_LEN	1000	/* on the wire, link header included */
#define BURST		6	/* frames: fewer than the shaper's pfifo */
#define OVERFLOW	32	/* frames: 4 pfifos of 8 */
#define BAD_FRAMES	8
#define BAD_AT		3	/* the malformed one */
#define ZC_SENDS	6
#define PHASE_SEQ	1000	/* phase k sends frames k * PHASE_SEQ + i */
#define PHASE_MAX	64	/* frames a phase sends, at most */
#define POLL_TRIES	4
#define WHY_LEN		512	/* a failure's explanation */
#define RING_FRAMES	104	/* burst, overflow, bypass, 3 bad rows */
#define LOSS_FRAMES	8	/* each phase on it takes all 8 */

/* A malformed frame: how it is made, and what the kernel answers. */
enum bad_kind { BAD_OVERSIZE, BAD_RUNT, BAD_NEXT_OFFSET, NR_BAD };

static const struct bad_frame {
	const char *name;
	int err;
	bool raw_only;		/* SOCK_DGRAM: the kernel writes the header */
	bool v3_only;
} bad_frames[NR_BAD] = {
	/* one byte longer than the device's MTU allows */
	[BAD_OVERSIZE] = { .name = "oversize", .err = EMSGSIZE },
	/* shorter than the link header */
	[BAD_RUNT] = { .name = "runt", .err = EINVAL, .raw_only = true },
	/* a variable-sized slot, which the TPACKET_V3 TX ring lacks */
	[BAD_NEXT_OFFSET] = { .name = "next_offset", .err = EINVAL,
			      .v3_only = true },
};

/* What the experiment starts from. */
struct path {
	char label[64];		/* "v2_raw@veth_tbf" */
	struct zc_topo topo;
	struct zc_link link;	/* ZC_DEV */
	int version;
	int type;
	size_t tp_len;		/* FRAME_LEN as tp_len counts it */
};

/* The frames one phase sent, in the order they must arrive. */
struct phase {
	bool ran;
	unsigned int n_want;
	uint32_t want[PHASE_MAX];
};

struct burst_part {
	struct phase ph;
	/* BURST frames, one non-blocking send */
	ssize_t nb_ret;
	long nb_slept;			/* voluntary context switches */
	int64_t nb_call_us;
	int64_t nb_seen_us;		/* from the call to the census */
	struct zc_ring_census nb;
	char nb_first[64];		/* the first frame not handed over */
	/* a blocking send with nothing to send: the frames in flight */
	ssize_t drain_ret;
	struct zc_ring_census drained;
	/* BURST more, one blocking send */
	ssize_t b_ret;
	int64_t b_call_us;
	struct zc_ring_census b;
	int64_t shaper_us;		/* least time the shaper needs */
};

struct overflow_part {
	struct phase ph;
	unsigned int calls;
	unsigned int enobufs;
	int first_drop;			/* frame dropped first, -1 none */
	char broken[256];		/* the first state against the rules */
	struct zc_ring_census end;
	int64_t ms;
};

struct bypass_part {
	struct phase ph;
	int set_err;			/* setting PACKET_QDISC_BYPASS */
	ssize_t ret;
	struct zc_ring_census c;
};

struct poll_part {
	struct phase ph;
	short free_revents;		/* the next frame AVAILABLE */
	unsigned int tries;		/* times the ring went round */
	short busy_revents;		/* the next frame in flight ... */
	uint32_t busy_next;		/* ... still, after poll() */
	unsigned int sends;		/* sendto calls */
	/* The first sendto that did not return the bytes it was given. */
	unsigned int bad_send;		/* 1, 2, ...; 0: none */
	unsigned int bad_frames;	/* frames it was given */
	bool bad_blocking;
	ssize_t bad_want, bad_ret;
};

struct bad_part {
	struct phase ph;
	ssize_t ret[3];		/* first send; again (stalled); rewritten */
	uint32_t st[3][BAD_FRAMES];	/* states after each */
};

/* The receiver's side. */
struct rx_part {
	int ret;		/* of zc_peer_start(), then zc_peer_finish() */
	char status[64];
	struct zc_peer_result r;
};

struct ring_result {
	int err;		/* what stopped it before the first phase */
	char why[256];
	int loss_err;		/* opening the ring with PACKET_LOSS */
	char loss_why[128];
	struct burst_part burst;
	struct overflow_part overflow;
	struct bypass_part bypass;
	struct poll_part poll;
	struct bad_part stall[NR_BAD];
	struct bad_part loss[NR_BAD];
	ssize_t end_ret;	/* sending the end marker */
	struct rx_part rx;
};

/* A TX ring and its next frame: the one the kernel looks at first. */
struct tx {
	const struct path *p;
	const uint8_t *dst;
	struct zc_ring ring;
	unsigned int head;
	unsigned int seq;	/* the phase's next frame number */
};

static void path_init(struct path *p, const struct zc_topo *topo,
		      const char *variant, int version, int type)
{
	p->topo = *topo;
	snprintf(p->label, sizeof(p->label), "%s@%s", variant, topo->name);
	p->version = version;
	p->type = type;
	p->tp_len = type == SOCK_RAW ? FRAME_LEN : FRAME_LEN - ETH_HLEN;
}

/* Least time the shaper needs to send @bytes: its bucket at once, the
 * rest at its rate.  0 without a shaper.
 */
static int64_t shaper_us(const struct path *p, size_t bytes)
{
	const struct zc_topo *t = &p->topo;

	if (!t->tbf_rate || bytes <= t->tbf_burst)
		return 0;
	return (int64_t)((bytes - t->tbf_burst) * 8000000ULL / t->tbf_rate);
}

/* Start the receiver (before the sender pins itself), then pin. */
static int rx_start(const struct path *p, struct zc_peer *peer,
		    struct rx_part *rx, char *why, size_t len)
{
	struct zc_peer_spec spec = {
		.netns = p->topo.rx_ns,
		.family = AF_PACKET,
		.type = SOCK_RAW,
		.size = FRAME_LEN,
		.ifname = p->topo.peer_dev,
		.src_mac = p->link.mac,
		.idle_ms = zc_slow_ms(ZC_IDLE_MS),
	};
	int ret;

	memset(rx, 0, sizeof(*rx));
	rx->r.first_bad = -1;
	rx->ret = zc_peer_start(peer, &spec, zc_slow_ms(ZC_READY_MS));
	if (rx->ret) {
		zc_peer_describe_status(peer, rx->status, sizeof(rx->status));
		snprintf(why, len, "receiver on %s in netns %s not ready: %s (%s; it %s)",
			 p->topo.peer_dev, p->topo.rx_ns, strerror(-rx->ret),
			 peer->why[0] ? peer->why : "no step named",
			 rx->status);
		return rx->ret;
	}
	ret = zc_pin_cpu();
	if (ret < 0) {
		zc_peer_kill(peer);
		snprintf(why, len, "pinning the sender to its CPU: %s",
			 strerror(-ret));
		return ret;
	}
	return 0;
}

static void rx_finish(struct zc_peer *peer, struct rx_part *rx)
{
	zc_unpin_cpu();
	rx->ret = zc_peer_finish(peer, &rx->r, zc_slow_ms(ZC_MAX_MS));
	zc_peer_describe_status(peer, rx->status, sizeof(rx->status));
}

/*
 * Whether the receiver got exactly the frames of phase @ph, in order and
 * intact; if not, why (naming the first frame that differs).  Frames of
 * other phases are left out.
 */
static bool rx_ok(const struct path *p, const struct rx_part *rx,
		  const struct phase *ph, char why[WHY_LEN])
{
	const size_t len = WHY_LEN;
	const struct zc_peer_result *r = &rx->r;
	uint32_t base = ph->want[0] / PHASE_SEQ * PHASE_SEQ;
	size_t i, n = 0, logged;
	uint32_t got[ZC_PEER_MAX_FRAMES];
	char order[192];
	int corrupt = -1;

	if (rx->ret) {
		snprintf(why, len, "no result from the receiver on %s: %s, it %s",
			 p->topo.peer_dev, strerror(-rx->ret), rx->status);
		return false;
	}
	logged = r->frames < ZC_PEER_MAX_FRAMES ? r->frames :
						  ZC_PEER_MAX_FRAMES;
	for (i = 0; i < logged; i++) {
		if (r->seq[i] < base || r->seq[i] >= base + PHASE_SEQ)
			continue;
		if (r->corrupt[i] && corrupt < 0)
			corrupt = (int)i;
		got[n++] = r->seq[i];
	}
	if (corrupt >= 0) {
		snprintf(why, len, "frame %u arrived corrupt (the receiver's first corrupt frame: %s)",
			 r->seq[corrupt], r->bad_what);
		return false;
	}
	if (zc_frames_compare(ph->want, ph->n_want, got, n, order,
			      sizeof(order)) < 0 && r->frames <= logged)
		return true;
	snprintf(why, len, "%s (%u frames received in all%s, %u corrupt, %s%s%s)",
		 order, r->frames,
		 r->frames > logged ? ", more than logged" : "", r->bad,
		 r->end ? "then the end marker" : "no end marker",
		 r->err ? "; receiver: " : "", r->err ? r->why : "");
	return false;
}

/*
 * How many of phase @ph's frames the receiver got, each counted once;
 * -1 without a result from it.
 */
static int rx_arrived(const struct rx_part *rx, const struct phase *ph)
{
	const struct zc_peer_result *r = &rx->r;
	unsigned int i, j, logged;
	int n = 0;

	if (rx->ret)
		return -1;
	logged = r->frames < ZC_PEER_MAX_FRAMES ? r->frames :
						  ZC_PEER_MAX_FRAMES;
	for (i = 0; i < ph->n_want; i++)
		for (j = 0; j < logged; j++)
			if (r->seq[j] == ph->want[i]) {
				n++;
				break;
			}
	return n;
}

static int ring_open(struct tx *t, unsigned int frames, bool loss)
{
	struct zc_ring_spec spec = {
		.version = t->p->version,
		.type = t->p->type,
		.link = &t->p->link,
		.dst = t->dst,
		.frames = frames,
		.loss = loss,
		.sndtimeo_ms = zc_slow_ms(ZC_MAX_MS),
	};

	t->head = 0;
	return zc_ring_open(&t->ring, &spec);
}

/*
 * Fill the ring's next frame with the phase's next frame, requested.
 * FRAME_LEN fits a frame of every ring (zc_ring_max_len(), 2000 bytes at
 * least): zc_ring_queue() cannot fail here.
 */
static void queue(struct tx *t, struct phase *ph)
{
	zc_ring_queue(&t->ring, t->head, FRAME_LEN, t->dst, t->p->link.mac,
		      t->seq);
	t->head = (t->head + 1) % t->ring.frames;
	if (ph && ph->n_want < PHASE_MAX)
		ph->want[ph->n_want++] = t->seq;
	t->seq++;
}

static void phase_begin(struct tx *t, struct phase *ph, unsigned int k)
{
	memset(ph, 0, sizeof(*ph));
	ph->ran = true;
	t->seq = k * PHASE_SEQ;
}

static long voluntary_switches(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_nvcsw;
}

/* "6000" or "-1 (No buffer space available)": a send's result. */
static const char *sent(ssize_t ret, char *buf, size_t len)
{
	if (ret >= 0)
		snprintf(buf, len, "%zd", ret);
	else
		snprintf(buf, len, "-1 (%s)", strerror(-ret));
	return buf;
}

static const char *state(const struct zc_ring *ring, int i, char *buf,
			 size_t len)
{
	return zc_ring_status_name(zc_ring_status(ring, i), buf, len);
}

/*
 * The first frame of @c not handed over (neither SENDING nor AVAILABLE):
 * SEND_REQUEST, WRONG_FORMAT or another state, whichever comes first; -1
 * when there is none.
 */
static int first_unsent(const struct zc_ring_census *c)
{
	int firsts[] = { c->first_send_request, c->first_wrong_format,
			 c->first_other };
	int first = -1;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(firsts); i++)
		if (firsts[i] >= 0 && (first < 0 || firsts[i] < first))
			first = firsts[i];
	return first;
}

/* ---- phase "burst": the ring's states, both kinds of send ---- */

static void run_burst(struct tx *t, struct burst_part *b)
{
	unsigned int first = t->head;
	int64_t t0;
	long sw;
	char st[16];
	int i;

	phase_begin(t, &b->ph, 1);
	b->shaper_us = shaper_us(t->p, BURST * FRAME_LEN);
	for (i = 0; i < BURST; i++)
		queue(t, &b->ph);
	sw = voluntary_switches();
	t0 = zc_now_us();
	b->nb_ret = zc_ring_send(&t->ring, MSG_DONTWAIT);
	b->nb_call_us = zc_now_us() - t0;
	b->nb_slept = voluntary_switches() - sw;
	zc_ring_count(&t->ring, first, first + BURST, &b->nb);
	b->nb_seen_us = zc_now_us() - t0;
	i = first_unsent(&b->nb);
	if (i >= 0)
		snprintf(b->nb_first, sizeof(b->nb_first), "frame %d is %s",
			 i - (int)first, state(&t->ring, i, st, sizeof(st)));

	/* The next frame is AVAILABLE: nothing to send, so this waits. */
	b->drain_ret = zc_ring_send(&t->ring, 0);
	zc_ring_count(&t->ring, first, first + BURST, &b->drained);

	first = t->head;
	for (i = 0; i < BURST; i++)
		queue(t, &b->ph);
	t0 = zc_now_us();
	b->b_ret = zc_ring_send(&t->ring, 0);
	zc_ring_count(&t->ring, first, first + BURST, &b->b);
	b->b_call_us = zc_now_us() - t0;
}

/* ---- phase "overflow": ENOBUFS from the shaper's pfifo ---- */

/*
 * After ENOBUFS: frames before @head handed over (SENDING or AVAILABLE),
 * @head and all after it up to @end still SEND_REQUEST.  Returns false
 * with @why.
 */
static bool drop_handed_back(const struct zc_ring *ring, unsigned int first,
			     int head, unsigned int end, char *why,
			     size_t len)
{
	struct zc_ring_census before, after;
	char st[16];
	int i;

	if (head < 0) {
		snprintf(why, len, "sendto failed with ENOBUFS, yet no frame is SEND_REQUEST: the dropped frame was not handed back");
		return false;
	}
	zc_ring_count(ring, first, head, &before);
	zc_ring_count(ring, head, end, &after);
	i = first_unsent(&before);
	if (i >= 0) {
		snprintf(why, len, "after ENOBUFS at frame %d, frame %d before it is %s",
			 head - (int)first, i - (int)first,
			 state(ring, i, st, sizeof(st)));
		return false;
	}
	if (after.send_request != end - head) {
		for (i = head; i < (int)end; i++)
			if (zc_ring_status(ring, i) != TP_STATUS_SEND_REQUEST)
				break;
		snprintf(why, len, "after ENOBUFS at frame %d, frame %d is %s: the kernel went on after the drop",
			 head - (int)first, i - (int)first,
			 state(ring, i, st, sizeof(st)));
		return false;
	}
	return true;
}

static void run_overflow(struct tx *t, struct overflow_part *o)
{
	unsigned int first = t->head, end = first + OVERFLOW;
	int64_t t0 = zc_now_ms();
	int64_t deadline = t0 + zc_slow_ms(ZC_MAX_MS);
	struct zc_ring *ring = &t->ring;
	struct zc_ring_census c;
	int head, last = -1, i;
	char st[16], s[48];
	ssize_t ret;

	phase_begin(t, &o->ph, 2);
	o->first_drop = -1;
	for (i = 0; i < OVERFLOW; i++)
		queue(t, &o->ph);

	while (!o->broken[0]) {
		ret = zc_ring_send(ring, 0);
		o->calls++;
		zc_ring_count(ring, first, end, &c);
		if (ret >= 0) {
			head = c.first_send_request >= 0 ?
				c.first_send_request : c.first_not_available;
			if (head >= 0)
				snprintf(o->broken, sizeof(o->broken),
					 "a blocking sendto returned %zd while frame %d was %s: a drop not reported",
					 ret, head - (int)first,
					 state(ring, head, st, sizeof(st)));
			break;
		}
		if (ret != -ENOBUFS) {
			snprintf(o->broken, sizeof(o->broken),
				 "sendto failed: %s", strerror(-ret));
			break;
		}
		o->enobufs++;
		head = c.first_send_request;
		if (!drop_handed_back(ring, first, head, end, o->broken,
				      sizeof(o->broken)))
			break;
		if (o->first_drop < 0)
			o->first_drop = head - first;
		/* Once the queue drained, the next send must get further. */
		if (head <= last) {
			snprintf(o->broken, sizeof(o->broken),
				 "frame %d dropped again although every frame before it had been sent: no progress",
				 head - (int)first);
			break;
		}
		last = head;
		/*
		 * Wait for the frames in flight: with the dropped frame
		 * withdrawn, a blocking send has nothing to send and sleeps
		 * until every frame in flight is AVAILABLE.
		 */
		zc_ring_set_status(ring, head, TP_STATUS_AVAILABLE);
		ret = zc_ring_send(ring, 0);
		zc_ring_count(ring, first, head, &c);
		zc_ring_set_status(ring, head, TP_STATUS_SEND_REQUEST);
		if (ret || c.first_not_available >= 0) {
			snprintf(o->broken, sizeof(o->broken),
				 "waiting for the frames before frame %d: sendto returned %s%s%s",
				 head - (int)first, sent(ret, s, sizeof(s)),
				 c.first_not_available < 0 ? "" :
				 ", a frame before it still ",
				 c.first_not_available < 0 ? "" :
				 state(ring, c.first_not_available, st,
				       sizeof(st)));
			break;
		}
		if (zc_now_ms() > deadline) {
			snprintf(o->broken, sizeof(o->broken),
				 "not drained after %d ms: frame %d is still SEND_REQUEST",
				 zc_slow_ms(ZC_MAX_MS), head - (int)first);
			break;
		}
	}
	o->ms = zc_now_ms() - t0;
	zc_ring_count(ring, first, end, &o->end);
}

/* ---- phase "bypass": the same burst, past the qdisc ---- */

static void run_bypass(struct tx *t, struct bypass_part *b)
{
	unsigned int first = t->head;
	int on = 1, off = 0, i;

	phase_begin(t, &b->ph, 3);
	if (setsockopt(t->ring.fd, SOL_PACKET, PACKET_QDISC_BYPASS, &on,
		       sizeof(on))) {
		b->set_err = -errno;
		return;
	}
	for (i = 0; i < OVERFLOW; i++)
		queue(t, &b->ph);
	b->ret = zc_ring_send(&t->ring, 0);
	zc_ring_count(&t->ring, first, first + OVERFLOW, &b->c);
	setsockopt(t->ring.fd, SOL_PACKET, PACKET_QDISC_BYPASS, &off,
		   sizeof(off));
}

/* ---- phase "poll": POLLOUT and the kernel's next frame ---- */

static short pollout(const struct zc_ring *ring)
{
	struct pollfd pfd = { .fd = ring->fd, .events = POLLOUT };

	return poll(&pfd, 1, 0) < 0 ? -1 : pfd.revents;
}

/* poll() for POLLOUT, and the state of the kernel's next frame after it. */
static void poll_busy(struct tx *t, struct poll_part *pp)
{
	pp->busy_revents = pollout(&t->ring);
	pp->busy_next = zc_ring_status(&t->ring, t->head);
}

/*
 * Send the @n frames queued since the last send (none: a blocking send
 * waits for the frames in flight); the first send that does not return
 * their bytes is kept in @pp.
 */
static void poll_send(struct tx *t, struct poll_part *pp, unsigned int n,
		      int flags)
{
	ssize_t want = (ssize_t)(n * t->p->tp_len), ret;

	ret = zc_ring_send(&t->ring, flags);
	pp->sends++;
	if (ret == want || pp->bad_send)
		return;
	pp->bad_send = pp->sends;
	pp->bad_frames = n;
	pp->bad_blocking = !(flags & MSG_DONTWAIT);
	pp->bad_want = want;
	pp->bad_ret = ret;
}

/*
 * On a ring of LOSS_FRAMES, every frame sent: the kernel's next frame is
 * the first, still in flight through the shaper unless it went through
 * at once (a full bucket); then it is sent once more, so that the next
 * frame is the second.  Frames leave the shaper within a millisecond: if
 * the next one did so before poll() answered, the ring goes round again.
 */
static void run_poll(struct tx *t, struct poll_part *pp)
{
	/* Without a shaper, every frame leaves within the send: once. */
	unsigned int i, n, tries = t->p->topo.tbf_rate ? POLL_TRIES : 1;

	phase_begin(t, &pp->ph, 12);
	pp->free_revents = pollout(&t->ring);
	pp->busy_next = TP_STATUS_AVAILABLE;
	while (pp->busy_next != TP_STATUS_SENDING && pp->tries < tries) {
		pp->tries++;
		for (i = 0; i < LOSS_FRAMES; i++)
			queue(t, &pp->ph);
		poll_send(t, pp, LOSS_FRAMES, MSG_DONTWAIT);
		poll_busy(t, pp);
		if (pp->busy_next != TP_STATUS_SENDING &&
		    zc_ring_status(&t->ring, 0) == TP_STATUS_AVAILABLE) {
			queue(t, &pp->ph);
			poll_send(t, pp, 1, MSG_DONTWAIT);
			poll_busy(t, pp);
		}
		/* The next frame is not SEND_REQUEST: this waits. */
		poll_send(t, pp, 0, 0);
		if (!t->head)
			continue;
		for (n = 0; t->head; n++)
			queue(t, &pp->ph);
		poll_send(t, pp, n, 0);
	}
}

/* ---- phase "bad": one malformed frame among BAD_FRAMES ---- */

static void snapshot(const struct zc_ring *ring, unsigned int first,
		     uint32_t *st)
{
	int i;

	for (i = 0; i < BAD_FRAMES; i++)
		st[i] = zc_ring_status(ring, first + i);
}

static void set_next_offset(const struct zc_ring *ring, unsigned int i,
			    uint32_t off)
{
	struct tpacket3_hdr *h = (void *)(zc_ring_data(ring, i) -
					  ring->data_off);

	h->tp_next_offset = off;
}

static void run_bad(struct tx *t, struct bad_part *b, enum bad_kind kind,
		    bool loss)
{
	const struct path *p = t->p;
	unsigned int first = t->head, bad = first + BAD_AT;
	uint32_t seq;
	int i;

	phase_begin(t, &b->ph, (loss ? 8 : 4) + kind);
	for (i = 0; i < BAD_FRAMES; i++)
		queue(t, i == BAD_AT && loss ? NULL : &b->ph);
	/* Malform it while it is SEND_REQUEST: no send is running. */
	if (kind == BAD_NEXT_OFFSET)
		set_next_offset(&t->ring, bad, ZC_RING_FRAME_SIZE);
	else if (kind == BAD_RUNT)
		zc_ring_set_len(&t->ring, bad, ETH_HLEN - 4);
	else
		zc_ring_set_len(&t->ring, bad, p->link.mtu + 1 +
				(p->type == SOCK_RAW ? ETH_HLEN : 0));

	b->ret[0] = zc_ring_send(&t->ring, 0);
	snapshot(&t->ring, first, b->st[0]);
	if (loss)
		return;
	if (b->ret[0] >= 0) {
		/* Not rejected: dropped, as packet_mmap.rst says of V3. */
		memmove(&b->ph.want[BAD_AT], &b->ph.want[BAD_AT + 1],
			(BAD_FRAMES - BAD_AT - 1) * sizeof(b->ph.want[0]));
		b->ph.n_want--;
		zc_ring_set_status(&t->ring, bad, TP_STATUS_AVAILABLE);
		return;
	}
	/* Given up: the frames after it stay held (packet(7)). */
	zc_ring_set_status(&t->ring, bad, TP_STATUS_AVAILABLE);
	b->ret[1] = zc_ring_send(&t->ring, 0);
	snapshot(&t->ring, first, b->st[1]);
	/* Rewritten and requested again: the ring goes on. */
	if (kind == BAD_NEXT_OFFSET)
		set_next_offset(&t->ring, bad, 0);
	seq = b->ph.want[BAD_AT];
	zc_ring_queue(&t->ring, bad, FRAME_LEN, t->dst, p->link.mac, seq);
	b->ret[2] = zc_ring_send(&t->ring, 0);
	snapshot(&t->ring, first, b->st[2]);
}

static bool bad_applies(const struct path *p, enum bad_kind k)
{
	return (!bad_frames[k].raw_only || p->type == SOCK_RAW) &&
	       (!bad_frames[k].v3_only || p->version == TPACKET_V3);
}

/* ---- the experiment ---- */

static void run_ring(const void *arg, void *result)
{
	const struct path *p = arg;
	struct ring_result *r = result;
	struct tx a = { .p = p }, l = { .p = p }, *end;
	struct zc_peer peer;
	enum bad_kind k;

	memset(r, 0, sizeof(*r));
	r->err = rx_start(p, &peer, &r->rx, r->why, sizeof(r->why));
	if (r->err)
		return;
	a.dst = l.dst = peer.mac;
	r->err = ring_open(&a, RING_FRAMES, false);
	if (r->err) {
		snprintf(r->why, sizeof(r->why), "TX ring on %s: %s",
			 p->topo.dev, strerror(-r->err));
		zc_peer_kill(&peer);
		zc_unpin_cpu();
		return;
	}
	run_burst(&a, &r->burst);
	if (p->topo.tbf_rate)
		run_overflow(&a, &r->overflow);
	run_bypass(&a, &r->bypass);
	for (k = 0; k < NR_BAD; k++)
		if (bad_applies(p, k))
			run_bad(&a, &r->stall[k], k, false);

	r->loss_err = ring_open(&l, LOSS_FRAMES, true);
	if (r->loss_err) {
		snprintf(r->loss_why, sizeof(r->loss_why),
			 "TX ring with PACKET_LOSS on %s: %s", p->topo.dev,
			 strerror(-r->loss_err));
	} else {
		run_poll(&l, &r->poll);
		for (k = 0; k < NR_BAD; k++)
			if (bad_applies(p, k))
				run_bad(&l, &r->loss[k], k, true);
	}
	/* The end marker: the PACKET_LOSS ring never stalls, if all is well. */
	end = l.ring.fd >= 0 ? &l : &a;
	end->seq = ZC_FRAME_END;
	queue(end, NULL);
	r->end_ret = zc_ring_send(&end->ring, 0);
	if (r->end_ret != (ssize_t)p->tp_len && end != &a) {
		a.seq = ZC_FRAME_END;
		queue(&a, NULL);
		zc_ring_send(&a.ring, 0);
	}
	/* Closing waits for an RCU grace period: meanwhile the receiver
	 * reports and exits.
	 */
	zc_ring_close(&l.ring);
	zc_ring_close(&a.ring);
	rx_finish(&peer, &r->rx);
}

/* ---- the fixture ---- */

FIXTURE(tx_ring) {
	struct path p;
	const struct ring_result *r;
};

FIXTURE_VARIANT(tx_ring) {
	const char *name;
	int version;
	int type;
};

/* A row per TX ring version and socket type, named v2_raw and so on. */
#define RING_ROW(v, t, ver, typ) \
	FIXTURE_VARIANT_ADD(tx_ring, v##_##t) { \
		.name = #v "_" #t, .version = ver, .type = typ }

RING_ROW(v2, raw, TPACKET_V2, SOCK_RAW);
RING_ROW(v2, dgram, TPACKET_V2, SOCK_DGRAM);
RING_ROW(v3, raw, TPACKET_V3, SOCK_RAW);
RING_ROW(v3, dgram, TPACKET_V3, SOCK_DGRAM);

/*
 * Setup shared by both fixtures: the topology, a peer device, the
 * sender's link.  SKIPs name what is missing; returns false then.
 */
static bool packet_setup(struct __test_metadata *_metadata, struct path *p,
			 const char *variant, int version, int type)
{
	struct zc_topo topo;
	int ret;

	if (!zc_test_topology(_metadata, &topo))
		return false;
	if (!topo.peer_dev || !topo.rx_ns)
		SKIP(return false, "topology %s has no peer device (ZC_PEER_DEV) to receive frames on",
		     topo.name);
	path_init(p, &topo, variant, version, type);
	ret = zc_link_get(NULL, 0, topo.dev, &p->link);
	ASSERT_EQ(0, ret) TH_LOG("%s: device %s (ZC_DEV): %s", p->label,
				 topo.dev, strerror(-ret));
	return true;
}

/*
 * The result of experiment @what on @p, run by @run once per program run
 * (into @own when the cache cannot hold it): zc_cache_result().
 */
static const void *experiment(struct __test_metadata *_metadata,
			      const struct path *p, const char *what,
			      void (*run)(const void *, void *), size_t size,
			      void *own)
{
	char key[96];

	snprintf(key, sizeof(key), "%s.%s", p->label, what);
	return zc_cache_result(_metadata, key, size, run, p, own);
}

FIXTURE_SETUP(tx_ring)
{
	static struct ring_result own;

	if (!packet_setup(_metadata, &self->p, variant->name,
			  variant->version, variant->type))
		return;
	self->r = experiment(_metadata, &self->p, "ring", run_ring,
			     sizeof(own), &own);
	if (self->r->err == -EINVAL && variant->version == TPACKET_V3 &&
	    zc_kernel_older_than("4.11") == 1)
		SKIP(return, "TPACKET_V3 TX ring needs 7f953ab2ba46 (\"af_packet: TX_RING support for TPACKET_V3\", v4.11)");
	ASSERT_EQ(0, self->r->err) TH_LOG("%s: %s", self->p.label,
					  self->r->why);
}

FIXTURE_TEARDOWN(tx_ring)
{
}

TEST_F_TIMEOUT(tx_ring, nonblocking_send_returns_queued_bytes, 60)
{
	const struct burst_part *b = &self->r->burst;
	const char *l = self->p.label;
	size_t bytes = BURST * self->p.tp_len;
	char s[48];

	fprintf(TH_LOG_STREAM,
		"# %s: non-blocking sendto of %d frames: %s in %lld us, %lld us later %u SENDING, %u AVAILABLE\n",
		l, BURST, sent(b->nb_ret, s, sizeof(s)),
		(long long)b->nb_call_us, (long long)b->nb_seen_us,
		b->nb.sending, b->nb.available);

	ASSERT_EQ((ssize_t)bytes, b->nb_ret)
		TH_LOG("%s: non-blocking sendto of %d frames: expected the %zu bytes queued, seen %s",
		       l, BURST, bytes, s);
	/* Every frame handed over: SEND_REQUEST -> SENDING -> AVAILABLE. */
	ASSERT_EQ((unsigned int)BURST, b->nb.sending + b->nb.available)
		TH_LOG("%s: just after a non-blocking sendto, expected every frame SENDING or AVAILABLE, seen %s",
		       l, b->nb_first);
	/* MSG_DONTWAIT "can be used to return before end of transfer". */
	ASSERT_TRUE(b->nb.sending || !b->nb_slept)
		TH_LOG("%s: non-blocking sendto slept (%ld voluntary context switches, %lld us) and returned with every frame AVAILABLE: it waited for the transmission",
		       l, b->nb_slept, (long long)b->nb_call_us);
	/* The shaper can have sent no more than its bucket + rate * t. */
	if (b->nb_seen_us < b->shaper_us) {
		ASSERT_NE(0U, b->nb.sending)
			TH_LOG("%s: all %d frames AVAILABLE %lld us after a non-blocking sendto, although the shaper (%llu bit/s, %u bytes burst) needs %lld us to send them: frames completed before they were sent",
			       l, BURST, (long long)b->nb_seen_us,
			       self->p.topo.tbf_rate, self->p.topo.tbf_burst,
			       (long long)b->shaper_us);
	}
}

TEST_F_TIMEOUT(tx_ring, blocking_send_waits_for_every_frame, 60)
{
	const struct burst_part *b = &self->r->burst;
	const char *l = self->p.label;
	size_t bytes = BURST * self->p.tp_len;
	char s[48];

	fprintf(TH_LOG_STREAM,
		"# %s: blocking sendto of %d frames returned after %lld us (the shaper needs at least %lld us)\n",
		l, BURST, (long long)b->b_call_us, (long long)b->shaper_us);

	/* With no frame to send, a blocking send waits for those in flight. */
	ASSERT_EQ(0, b->drain_ret)
		TH_LOG("%s: a blocking sendto with no frame to send: expected 0, seen %s",
		       l, sent(b->drain_ret, s, sizeof(s)));
	ASSERT_EQ((unsigned int)BURST, b->drained.available)
		TH_LOG("%s: a blocking sendto with no frame to send returned while a frame was not AVAILABLE: it did not wait for the frames in flight",
		       l);
	ASSERT_EQ((ssize_t)bytes, b->b_ret)
		TH_LOG("%s: blocking sendto of %d frames: expected %zu bytes, seen %s",
		       l, BURST, bytes, sent(b->b_ret, s, sizeof(s)));
	ASSERT_EQ((unsigned int)BURST, b->b.available)
		TH_LOG("%s: a blocking sendto returned while %u of %d frames were not AVAILABLE (%u SENDING): it must return at the end of the transfer",
		       l, BURST - b->b.available, BURST, b->b.sending);
}

TEST_F_TIMEOUT(tx_ring, peer_receives_every_frame, 60)
{
	const struct ring_result *r = self->r;
	const char *l = self->p.label;
	char why[WHY_LEN], s[48];

	ASSERT_TRUE(rx_ok(&self->p, &r->rx, &r->burst.ph, why))
		TH_LOG("%s: expected %d frames byte for byte and in order at %s, seen: %s",
		       l, 2 * BURST, self->p.topo.peer_dev, why);
	/* The experiment as a whole reached its end. */
	ASSERT_EQ((ssize_t)self->p.tp_len, r->end_ret)
		TH_LOG("%s: sending the end marker: %s", l,
		       sent(r->end_ret, s, sizeof(s)));
	ASSERT_TRUE(r->rx.r.end && !r->rx.r.err)
		TH_LOG("%s: the receiver %s%s", l,
		       r->rx.r.end ? "" : "never saw the end marker: ",
		       r->rx.r.err ? r->rx.r.why : "");
}

TEST_F_TIMEOUT(tx_ring, reports_qdisc_drop_as_enobufs, 60)
{
	const struct overflow_part *o = &self->r->overflow;
	const struct rx_part *rx = &self->r->rx;
	const char *l = self->p.label;
	int got;

	if (!o->ph.ran)
		SKIP(return, "%s: no shaper on %s to drop frames (topology veth_tbf has one)",
		     l, self->p.topo.dev);
	fprintf(TH_LOG_STREAM,
		"# %s: %d frames through a pfifo of %u: %u ENOBUFS, the first at frame %d; %u sendto calls, %lld ms\n",
		l, OVERFLOW, self->p.topo.tbf_limit, o->enobufs, o->first_drop,
		o->calls, (long long)o->ms);

	ASSERT_STREQ("", o->broken)
		TH_LOG("%s: expected ENOBUFS at each drop with the dropped frame and those after it SEND_REQUEST, seen: %s",
		       l, o->broken);
	if (o->enobufs)
		return;
	/* No ENOBUFS: only every frame arriving shows that none was dropped. */
	got = rx_arrived(rx, &o->ph);
	ASSERT_LE(0, got)
		TH_LOG("%s: no ENOBUFS, and no result from the receiver on %s to tell whether frames were dropped: %s, it %s",
		       l, self->p.topo.peer_dev, strerror(-rx->ret),
		       rx->status);
	ASSERT_EQ(o->ph.n_want, (unsigned int)got)
		TH_LOG("%s: %d of %u frames arrived at %s, no ENOBUFS: frames dropped silently%s",
		       l, got, o->ph.n_want, self->p.topo.peer_dev,
		       rx->r.frames > ZC_PEER_MAX_FRAMES ?
		       " (or after the frames the receiver logged)" : "");
	SKIP(return, "%s: no drop: all %d frames arrived, the burst never filled the pfifo of %u (the sender was held up inside sendto?)",
	     l, OVERFLOW, self->p.topo.tbf_limit);
}

TEST_F_TIMEOUT(tx_ring, loses_no_frame_under_backpressure, 60)
{
	const struct overflow_part *o = &self->r->overflow;
	const char *l = self->p.label;
	char why[WHY_LEN];

	if (!o->ph.ran)
		SKIP(return, "%s: no shaper on %s to drop frames (topology veth_tbf has one)",
		     l, self->p.topo.dev);
	ASSERT_EQ((unsigned int)OVERFLOW, o->end.available)
		TH_LOG("%s: after %u sendto calls, frame %d is still not AVAILABLE (%s)",
		       l, o->calls, o->end.first_not_available,
		       o->broken[0] ? o->broken : "no error seen");
	/* A frame neither received nor still the application's is lost. */
	ASSERT_TRUE(rx_ok(&self->p, &self->r->rx, &o->ph, why))
		TH_LOG("%s: expected %d frames in order at %s after %u ENOBUFS and retries, seen: %s",
		       l, OVERFLOW, self->p.topo.peer_dev, o->enobufs, why);
}

TEST_F_TIMEOUT(tx_ring, bypass_sends_burst_without_drops, 60)
{
	const struct bypass_part *b = &self->r->bypass;
	const char *l = self->p.label;
	size_t bytes = OVERFLOW * self->p.tp_len;
	char s[48], why[WHY_LEN];

	if (b->set_err == -ENOPROTOOPT)
		SKIP(return, "%s: no PACKET_QDISC_BYPASS before 3.14 (d346a3fae3ff)",
		     l);
	ASSERT_EQ(0, b->set_err) TH_LOG("%s: PACKET_QDISC_BYPASS: %s", l,
					strerror(-b->set_err));
	if (!self->p.topo.tbf_rate)
		fprintf(TH_LOG_STREAM,
			"# %s: no qdisc on %s to bypass: a plain burst\n",
			l, self->p.topo.dev);

	ASSERT_EQ((ssize_t)bytes, b->ret)
		TH_LOG("%s: %d frames with PACKET_QDISC_BYPASS: expected one sendto to send all %zu bytes, seen %s with frame %d not sent; likely cause: the frames went through the qdisc",
		       l, OVERFLOW, bytes, sent(b->ret, s, sizeof(s)),
		       b->c.first_send_request);
	ASSERT_EQ((unsigned int)OVERFLOW, b->c.available)
		TH_LOG("%s: with PACKET_QDISC_BYPASS, %u frames not AVAILABLE after a blocking sendto",
		       l, OVERFLOW - b->c.available);
	ASSERT_TRUE(rx_ok(&self->p, &self->r->rx, &b->ph, why))
		TH_LOG("%s: expected %d frames in order at %s, seen: %s",
		       l, OVERFLOW, self->p.topo.peer_dev, why);
}

TEST_F_TIMEOUT(tx_ring, pollout_means_a_free_frame, 60)
{
	const struct ring_result *r = self->r;
	const struct poll_part *pp;
	const char *l = self->p.label;
	char s[48], st[16], why[WHY_LEN];

	ASSERT_EQ(0, r->loss_err) TH_LOG("%s: %s", l, r->loss_why);
	pp = &r->poll;
	ASSERT_EQ(pp->bad_want, pp->bad_ret)
		TH_LOG("%s: sendto %u of the poll phase (%s, %u frames queued): expected %zd, seen %s",
		       l, pp->bad_send,
		       pp->bad_blocking ? "blocking" : "non-blocking",
		       pp->bad_frames, pp->bad_want,
		       sent(pp->bad_ret, s, sizeof(s)));
	ASSERT_TRUE(pp->free_revents > 0 && (pp->free_revents & POLLOUT))
		TH_LOG("%s: the kernel's next frame AVAILABLE: expected POLLOUT, seen revents %#x",
		       l, pp->free_revents);
	ASSERT_TRUE(rx_ok(&self->p, &self->r->rx, &pp->ph, why))
		TH_LOG("%s: expected %u frames in order at %s, seen: %s", l,
		       pp->ph.n_want, self->p.topo.peer_dev, why);
	if (pp->busy_next != TP_STATUS_SENDING)
		SKIP(return, "%s: the kernel's next frame was %s when poll() answered, %u times: frames left %s as fast as they were sent",
		     l, zc_ring_status_name(pp->busy_next, st, sizeof(st)),
		     pp->tries, self->p.topo.dev);
	/*
	 * packet_mmap.rst: "The user can also use poll() to check if a
	 * buffer is available".  packet_poll() adds that to datagram_poll(),
	 * which reports POLLOUT while the socket's write memory is below
	 * half of SO_SNDBUF, whatever the ring holds.
	 */
	if (pp->busy_revents > 0 && (pp->busy_revents & POLLOUT))
		ZC_XFAIL(return, "%s: POLLOUT with every frame in flight (the kernel's next frame SENDING): packet_poll() ORs in datagram_poll()'s writability, so POLLOUT is no sign of a free frame; wait for one with a blocking send",
			 l);
}

/*
 * Whether frames [@from, @to) of @st are all in state @want (SENDING
 * stands for SENDING or AVAILABLE: handed over); if not, @why names the
 * first that is not.
 */
static bool states_are(const uint32_t *st, int from, int to, uint32_t want,
		       char *why, size_t len)
{
	char name[16];
	int i;

	for (i = from; i < to; i++) {
		if (st[i] == want || (want == TP_STATUS_SENDING &&
				      st[i] == TP_STATUS_AVAILABLE))
			continue;
		snprintf(why, len, "frame %d %s", i,
			 zc_ring_status_name(st[i], name, sizeof(name)));
		return false;
	}
	return true;
}

TEST_F_TIMEOUT(tx_ring, bad_frame_stalls_ring, 60)
{
	const size_t tp_len = self->p.tp_len;
	const char *l = self->p.label;
	const struct bad_frame *f;
	const struct bad_part *b;
	char s[48], why[WHY_LEN];
	int k;

	for (k = 0; k < BAD_NEXT_OFFSET; k++) {
		f = &bad_frames[k];
		b = &self->r->stall[k];
		if (!b->ph.ran) {
			fprintf(TH_LOG_STREAM,
				"# %s: no %s frame on SOCK_DGRAM: the kernel writes the link header\n",
				l, f->name);
			continue;
		}
		ASSERT_EQ(-f->err, b->ret[0])
			TH_LOG("%s: %s frame %d: expected sendto -1 (%s), seen %s",
			       l, f->name, BAD_AT, strerror(f->err),
			       sent(b->ret[0], s, sizeof(s)));
		ASSERT_TRUE(states_are(b->st[0], BAD_AT, BAD_AT + 1,
				       TP_STATUS_WRONG_FORMAT, why, sizeof(why)))
			TH_LOG("%s: %s frame %d: expected WRONG_FORMAT, seen %s",
			       l, f->name, BAD_AT, why);
		ASSERT_TRUE(states_are(b->st[0], 0, BAD_AT, TP_STATUS_SENDING,
				       why, sizeof(why)))
			TH_LOG("%s: %s: expected the frames before it sent, seen %s",
			       l, f->name, why);
		ASSERT_TRUE(states_are(b->st[0], BAD_AT + 1, BAD_FRAMES,
				       TP_STATUS_SEND_REQUEST, why, sizeof(why)))
			TH_LOG("%s: %s: expected the frames after it untouched, seen %s",
			       l, f->name, why);

		/* packet(7), PACKET_LOSS: "The malformed packet blocks
		 * itself and subsequently enqueued packets from being sent."
		 */
		ASSERT_EQ(0, b->ret[1])
			TH_LOG("%s: %s: the malformed frame given up (AVAILABLE): expected the ring to stay stalled (sendto 0), seen %s",
			       l, f->name, sent(b->ret[1], s, sizeof(s)));
		ASSERT_TRUE(states_are(b->st[1], BAD_AT + 1, BAD_FRAMES,
				       TP_STATUS_SEND_REQUEST, why, sizeof(why)))
			TH_LOG("%s: %s: expected the frames after it held until its rewrite, seen %s",
			       l, f->name, why);
		/* Rewritten as SEND_REQUEST, it and the rest go out. */
		ASSERT_EQ((ssize_t)((BAD_FRAMES - BAD_AT) * tp_len), b->ret[2])
			TH_LOG("%s: %s: the frame rewritten: expected sendto %zu, seen %s",
			       l, f->name, (BAD_FRAMES - BAD_AT) * tp_len,
			       sent(b->ret[2], s, sizeof(s)));
		ASSERT_TRUE(states_are(b->st[2], 0, BAD_FRAMES,
				       TP_STATUS_AVAILABLE, why, sizeof(why)))
			TH_LOG("%s: %s: after the rewrite, expected every frame AVAILABLE, seen %s",
			       l, f->name, why);
		ASSERT_TRUE(rx_ok(&self->p, &self->r->rx, &b->ph, why))
			TH_LOG("%s: %s: expected %d frames in order at %s, seen: %s",
			       l, f->name, BAD_FRAMES, self->p.topo.peer_dev,
			       why);
	}
}

TEST_F_TIMEOUT(tx_ring, bad_frame_skipped_with_packet_loss, 60)
{
	const size_t tp_len = self->p.tp_len;
	const char *l = self->p.label;
	const struct bad_frame *f;
	const struct bad_part *b;
	char s[48], why[WHY_LEN];
	int k;

	ASSERT_EQ(0, self->r->loss_err)
		TH_LOG("%s: %s", l, self->r->loss_why);
	for (k = 0; k < NR_BAD; k++) {
		f = &bad_frames[k];
		b = &self->r->loss[k];
		if (!b->ph.ran)
			continue;
		/* packet(7): "any malformed packet will be skipped, its
		 * tp_status reset to TP_STATUS_AVAILABLE".
		 */
		ASSERT_EQ((ssize_t)((BAD_FRAMES - 1) * tp_len), b->ret[0])
			TH_LOG("%s: %s frame with PACKET_LOSS: expected sendto %zu (the other %d frames), seen %s",
			       l, f->name, (BAD_FRAMES - 1) * tp_len,
			       BAD_FRAMES - 1, sent(b->ret[0], s, sizeof(s)));
		ASSERT_TRUE(states_are(b->st[0], 0, BAD_FRAMES,
				       TP_STATUS_AVAILABLE, why, sizeof(why)))
			TH_LOG("%s: %s frame with PACKET_LOSS: expected every frame AVAILABLE after the send, seen %s",
			       l, f->name, why);
		ASSERT_TRUE(rx_ok(&self->p, &self->r->rx, &b->ph, why))
			TH_LOG("%s: %s: expected every frame but frame %d, in order, at %s, seen: %s",
			       l, f->name, BAD_AT, self->p.topo.peer_dev, why);
	}
}

TEST_F_TIMEOUT(tx_ring, v3_next_offset_frame_dropped, 60)
{
	const struct ring_result *r = self->r;
	const struct bad_part *b;
	const char *l = self->p.label;
	char s[48], st[16], why[WHY_LEN];

	b = &r->stall[BAD_NEXT_OFFSET];
	if (!b->ph.ran)
		SKIP(return, "%s: tp_next_offset is TPACKET_V3's", l);
	/*
	 * packet_mmap.rst: "Packets with non-zero values of tp_next_offset
	 * will be dropped."  tpacket_parse_header() instead rejects them
	 * like any malformed frame, which stalls the ring (packet(7)).
	 */
	if (b->ret[0] == -EINVAL &&
	    b->st[0][BAD_AT] == TP_STATUS_WRONG_FORMAT && b->ret[1] == 0)
		ZC_XFAIL(return, "%s: a frame with tp_next_offset %u is not dropped as packet_mmap.rst says: sendto -1 (EINVAL), WRONG_FORMAT, the %d frames after it held until it is rewritten (tpacket_parse_header(), since 7f953ab2ba46)",
			 l, ZC_RING_FRAME_SIZE, BAD_FRAMES - BAD_AT - 1);
	ASSERT_EQ((ssize_t)((BAD_FRAMES - 1) * self->p.tp_len), b->ret[0])
		TH_LOG("%s: frame %d with tp_next_offset set: expected it dropped and sendto %zu, seen %s (frame %s)",
		       l, BAD_AT, (BAD_FRAMES - 1) * self->p.tp_len,
		       sent(b->ret[0], s, sizeof(s)),
		       zc_ring_status_name(b->st[0][BAD_AT], st, sizeof(st)));
	ASSERT_TRUE(rx_ok(&self->p, &self->r->rx, &b->ph, why))
		TH_LOG("%s: expected the %d frames but frame %d at %s, seen: %s",
		       l, BAD_FRAMES - 1, BAD_AT, self->p.topo.peer_dev, why);
}

/* ---- MSG_ZEROCOPY on packet sockets ---- */

struct zc_result {
	int err;
	char why[256];
	int so_ret;		/* setsockopt(SO_ZEROCOPY), errno */
	int so_errno;
	ssize_t send_ret[ZC_SENDS];
	int send_errno[ZC_SENDS];
	int outq;		/* bytes held when the buffers changed */
	int n_poll;
	short revents;
	ssize_t errq_ret;
	int errq_errno;
	size_t errq_controllen;
	struct phase ph;
	struct rx_part rx;
};

/*
 * One packet socket: SO_ZEROCOPY, then ZC_SENDS frames sent with
 * MSG_ZEROCOPY from buffers overwritten as soon as the last send returns.
 */
static void run_zc(const void *arg, void *result)
{
	const struct path *p = arg;
	struct zc_result *r = result;
	bool dgram = p->type == SOCK_DGRAM;
	size_t len = p->tp_len, hdr = ZC_FRAME_HDR - (dgram ? ETH_HLEN : 0);
	struct sockaddr_ll to = {
		.sll_family = AF_PACKET,
		.sll_ifindex = p->link.ifindex,
		.sll_protocol = htons(ZC_ETH_P_TEST),
		.sll_halen = ETH_ALEN,
	};
	static uint8_t buf[ZC_SENDS + 1][FRAME_LEN];
	struct pollfd pfd = { .events = 0 };
	struct msghdr msg = { 0 };
	char ctl[256];
	struct zc_peer peer;
	int fd, i, one = 1;

	memset(r, 0, sizeof(*r));
	r->outq = -1;
	r->err = rx_start(p, &peer, &r->rx, r->why, sizeof(r->why));
	if (r->err)
		return;
	memcpy(to.sll_addr, peer.mac, ETH_ALEN);
	fd = socket(AF_PACKET, p->type | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&to, sizeof(to))) {
		r->err = -errno;
		snprintf(r->why, sizeof(r->why), "packet socket on %s: %s",
			 p->topo.dev, strerror(errno));
		if (fd >= 0)
			close(fd);
		zc_peer_kill(&peer);
		zc_unpin_cpu();
		return;
	}
	r->so_ret = setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, &one,
			       sizeof(one));
	r->so_errno = r->so_ret ? errno : 0;

	r->ph.ran = true;
	for (i = 0; i <= ZC_SENDS; i++) {
		zc_frame_fill(buf[i], FRAME_LEN, peer.mac, p->link.mac,
			      i < ZC_SENDS ? (uint32_t)i : ZC_FRAME_END,
			      !dgram);
		if (i == ZC_SENDS)
			break;
		r->ph.want[r->ph.n_want++] = i;
		r->send_ret[i] = sendto(fd, buf[i], len, MSG_ZEROCOPY,
					(struct sockaddr *)&to, sizeof(to));
		r->send_errno[i] = r->send_ret[i] < 0 ? errno : 0;
	}
	/* A copy is immune to this; shared pages would carry it. */
	for (i = 0; i < ZC_SENDS; i++)
		memset(buf[i] + hdr, 0xa5, len - hdr);
	ioctl(fd, SIOCOUTQ, &r->outq);
	sendto(fd, buf[ZC_SENDS], len, 0, (struct sockaddr *)&to, sizeof(to));
	rx_finish(&peer, &r->rx);

	/* The receiver has every frame: any notification is queued. */
	pfd.fd = fd;
	r->n_poll = poll(&pfd, 1, 0);
	r->revents = pfd.revents;
	msg.msg_control = ctl;
	msg.msg_controllen = sizeof(ctl);
	r->errq_ret = recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
	r->errq_errno = r->errq_ret < 0 ? errno : 0;
	r->errq_controllen = msg.msg_controllen;
	close(fd);
}

FIXTURE(packet_zc) {
	struct path p;
	const struct zc_result *r;
};

FIXTURE_VARIANT(packet_zc) {
	const char *name;
	int type;
};

FIXTURE_VARIANT_ADD(packet_zc, raw) {
	.name = "raw",
	.type = SOCK_RAW,
};

FIXTURE_VARIANT_ADD(packet_zc, dgram) {
	.name = "dgram",
	.type = SOCK_DGRAM,
};

FIXTURE_SETUP(packet_zc)
{
	static struct zc_result own;

	if (!packet_setup(_metadata, &self->p, variant->name, 0,
			  variant->type))
		return;
	self->r = experiment(_metadata, &self->p, "zc", run_zc, sizeof(own),
			     &own);
	ASSERT_EQ(0, self->r->err) TH_LOG("%s: %s", self->p.label,
					  self->r->why);
}

FIXTURE_TEARDOWN(packet_zc)
{
}

TEST_F(packet_zc, so_zerocopy_rejected)
{
	const struct zc_result *r = self->r;
	const char *l = self->p.label;

	ASSERT_EQ(-1, r->so_ret)
		TH_LOG("%s: expected SO_ZEROCOPY refused with EOPNOTSUPP, seen it accepted: packet sockets have no MSG_ZEROCOPY",
		       l);
	/* An older kernel says so with another errno: zc_net.h has them. */
	ASSERT_TRUE(zc_zerocopy_unsupported(-r->so_errno))
		TH_LOG("%s: expected SO_ZEROCOPY refused with EOPNOTSUPP (or an older kernel's errno for no MSG_ZEROCOPY), seen errno %d (%s)",
		       l, r->so_errno, strerror(r->so_errno));
	if (r->so_errno != EOPNOTSUPP)
		TH_LOG("%s: SO_ZEROCOPY refused with errno %d (%s), not EOPNOTSUPP: an older kernel's way to say that this socket has no MSG_ZEROCOPY (zc_zerocopy_unsupported())",
		       l, r->so_errno, strerror(r->so_errno));
}

TEST_F_TIMEOUT(packet_zc, msg_zerocopy_sends_a_copy, 60)
{
	const struct zc_result *r = self->r;
	const char *l = self->p.label;
	char why[WHY_LEN];
	int i;

	/*
	 * Only bytes still queued when their buffers are overwritten tell a
	 * copy from shared pages: a shaper (ZC_TBF_RATE) holds them.
	 */
	if (r->outq > 0)
		fprintf(TH_LOG_STREAM,
			"# %s: %d bytes still queued when the buffers were overwritten: the receiver's bytes tell a copy from shared pages\n",
			l, r->outq);
	else
		fprintf(TH_LOG_STREAM,
			"# %s: nothing queued when the buffers were overwritten (SIOCOUTQ %d): a copy is not told from shared pages on %s (topology veth_tbf checks it)\n",
			l, r->outq, self->p.topo.name);
	for (i = 0; i < ZC_SENDS; i++) {
		ASSERT_EQ((ssize_t)self->p.tp_len, r->send_ret[i])
			TH_LOG("%s: sendto %d with MSG_ZEROCOPY: expected %zu bytes sent (a plain copy), seen %zd (%s)",
			       l, i, self->p.tp_len, r->send_ret[i],
			       r->send_errno[i] ? strerror(r->send_errno[i]) :
						  "short");
	}
	ASSERT_TRUE(rx_ok(&self->p, &self->r->rx, &r->ph, why))
		TH_LOG("%s: expected %d frames as sent, before their buffers were overwritten, seen: %s",
		       l, ZC_SENDS, why);
	/*
	 * Frames that arrived as sent prove a copy only if they were still
	 * queued when their buffers were overwritten; a corrupt frame is a
	 * finding whatever SIOCOUTQ said, so this comes after.
	 */
	if (self->p.topo.tbf_rate) {
		ASSERT_LT(0, r->outq)
			TH_LOG("%s: expected bytes still queued in the shaper on %s when the buffers were overwritten, seen SIOCOUTQ %d: the check that a copy was sent would not bite",
			       l, self->p.topo.dev, r->outq);
	}
	ASSERT_FALSE(r->n_poll > 0 && (r->revents & POLLERR))
		TH_LOG("%s: POLLERR after sends with MSG_ZEROCOPY on a packet socket: expected none, they are copies",
		       l);
	ASSERT_EQ(-1, r->errq_ret)
		TH_LOG("%s: expected an empty error queue after MSG_ZEROCOPY on a packet socket, seen an entry (%zd bytes, %zu of control)",
		       l, r->errq_ret, r->errq_controllen);
	ASSERT_EQ(EAGAIN, r->errq_errno)
		TH_LOG("%s: reading the error queue: expected EAGAIN, seen %s",
		       l, strerror(r->errq_errno));
}

TEST_HARNESS_MAIN
