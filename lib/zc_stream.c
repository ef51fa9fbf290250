// SPDX-License-Identifier: GPL-2.0
/* One MSG_ZEROCOPY experiment on a path: see zc_stream.h. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "zc_counters.h"
#include "zc_net.h"
#include "zc_stream.h"
#include "zc_sys.h"

/* After the sender's last send, the receiver drains what is in flight and
 * reports: the wait for its result is bounded by its idle time plus this.
 */
#define ZC_FINISH_SLACK_MS 2000

static int stop(struct zc_stream_result *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record what stopped the experiment; the first cause wins. */
static int stop(struct zc_stream_result *r, int err, const char *fmt, ...)
{
	va_list ap;

	if (r->err)
		return r->err;
	r->err = err;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	return err;
}

static void fill(char *buf, const struct zc_stream_spec *spec)
{
	unsigned int i;

	if (spec->type != SOCK_DGRAM) {
		zc_fill(buf, (size_t)spec->sends * spec->size, 0);
		return;
	}
	/* Each datagram carries its number: the receiver spots loss,
	 * duplicates and reordering by it.
	 */
	for (i = 0; i < spec->sends; i++)
		zc_fill_datagram(buf + (size_t)i * spec->size, spec->size, i);
}

/* The counters that prove the packets reached the end of the path. */
static void read_counters(const struct zc_stream_spec *spec,
			  struct zc_stream_result *r, uint64_t *drop,
			  uint64_t *fwd)
{
	const struct zc_topo *topo = spec->topo;
	int ret;

	if (r->has_drop && !r->drop_err) {
		ret = zc_dev_stat(topo->drop_ns, topo->drop_dev,
				  ZC_DEV_RX_DROPPED, drop);
		if (ret)
			r->drop_err = ret;
	}
	if (r->has_fwd && !r->fwd_err) {
		ret = zc_snmp_stat(topo->fwd_ns, r->fwd_counter, fwd);
		if (ret)
			r->fwd_err = ret;
	}
}

static int start_peer(const struct zc_stream_spec *spec,
		      struct zc_stream_result *r, struct zc_peer *peer)
{
	struct zc_peer_spec ps = {
		.netns = spec->topo->rx_ns,
		.family = spec->family,
		.type = spec->type,
		.bytes = (uint64_t)spec->sends * spec->size,
		.datagrams = spec->sends,
		.size = spec->size,
		.idle_ms = spec->peer_idle_ms,
	};
	char status[64];
	int ret;

	ret = zc_peer_start(peer, &ps, spec->peer_ready_ms);
	if (!ret)
		return 0;
	return stop(r, ret, "receiver in netns %s not ready within %d ms: %s%s%s; it %s",
		    ps.netns, spec->peer_ready_ms,
		    ret == -ECHILD ? "it exited first" : strerror(-ret),
		    peer->why[0] ? " in " : "", peer->why,
		    zc_peer_describe_status(peer, status, sizeof(status)));
}

static void finish_peer(const struct zc_stream_spec *spec,
			struct zc_stream_result *r, struct zc_peer *peer)
{
	r->peer_ret = zc_peer_finish(peer, &r->rx,
				     spec->peer_idle_ms + ZC_FINISH_SLACK_MS);
	zc_peer_describe_status(peer, r->peer_status, sizeof(r->peer_status));
}

static int open_socket(const struct zc_stream_spec *spec,
		       struct zc_stream_result *r, uint16_t port)
{
	const char *ip = spec->dst ? spec->dst :
			 spec->family == AF_INET6 ? spec->topo->dst6 :
						    spec->topo->dst4;
	struct zc_addr dst;
	int fd, ret;

	if (zc_addr_parse(&dst, ip, port))
		return stop(r, -EINVAL, "destination '%s' is not an address",
			    ip);
	fd = zc_socket(spec->family, spec->type, spec->wait.max_ms);
	if (fd < 0)
		return stop(r, fd, "socket: %s", strerror(-fd));
	ret = zc_set_zerocopy(fd);
	if (ret) {
		close(fd);
		return stop(r, ret, "SO_ZEROCOPY: %s", strerror(-ret));
	}
	if (spec->tcp_repair) {
		ret = zc_tcp_repair_connect(fd, &dst, 1460);
		if (ret) {
			close(fd);
			return stop(r, ret, "connect to %s port %u with TCP_REPAIR: %s",
				    ip, port, strerror(-ret));
		}
	} else if (connect(fd, (struct sockaddr *)&dst.ss, dst.len)) {
		ret = -errno;
		close(fd);
		return stop(r, ret, "connect to %s port %u: %s", ip, port,
			    strerror(-ret));
	}
	return fd;
}

/* SO_RCVTIMEO of @fd: @ms from now (at least 1: 0 would be forever). */
static int set_rcvtimeo(int fd, int ms)
{
	struct timeval tv = {
		.tv_sec = ms / 1000,
		.tv_usec = (ms % 1000) * 1000 + (ms ? 0 : 1),
	};

	return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ?
	       -errno : 0;
}

/*
 * TCP with a receiver: everything sent was received, and the receiver
 * closed.  Its FIN comes after its ACK of ours, so once it is read,
 * nothing is left to acknowledge; recv() takes the socket lock, after
 * the ACK's processing freed what it acknowledged.  The wait is a
 * blocking recv() bounded by SO_RCVTIMEO, not poll(): the unread
 * notifications keep POLLERR raised, which would end a poll() at once.
 */
static bool tcp_settled(int fd, const struct zc_stream_spec *spec,
			struct zc_stream_result *r)
{
	int64_t start = zc_now_ms(), deadline = start + spec->wait.max_ms;
	int ret, err;
	ssize_t n;
	long held;
	char c;

	do {
		ret = set_rcvtimeo(fd, zc_left_ms(deadline));
		if (ret) {
			stop(r, ret, "SO_RCVTIMEO for the wait for the receiver's FIN: %s",
			     strerror(-ret));
			return false;
		}
		n = recv(fd, &c, 1, 0);
		err = errno;
	} while (n < 0 && err == EINTR && zc_left_ms(deadline));
	/* Back to the bound zc_socket() gave every receive. */
	ret = set_rcvtimeo(fd, spec->wait.max_ms);
	if (ret) {
		stop(r, ret, "SO_RCVTIMEO back to %d ms after the receiver's FIN: %s",
		     spec->wait.max_ms, strerror(-ret));
		return false;
	}
	if (n > 0) {
		snprintf(r->barrier_why, sizeof(r->barrier_why),
			 "waited for the receiver's FIN (recv() 0), saw data from it");
		return false;
	}
	if (n < 0) {
		snprintf(r->barrier_why, sizeof(r->barrier_why),
			 "waited %lld ms for the receiver's FIN (recv() 0), saw recv() fail: %s",
			 (long long)(zc_now_ms() - start),
			 err == EAGAIN || err == EWOULDBLOCK ?
			 "timed out" : strerror(err));
		return false;
	}
	held = zc_outq(fd);
	if (held < 0) {
		stop(r, held, "SIOCOUTQ after the receiver's FIN: %s",
		     strerror(-held));
		return false;
	}
	if (held) {
		snprintf(r->barrier_why, sizeof(r->barrier_why),
			 "expected every byte acknowledged (SIOCOUTQ 0) once the receiver's FIN came, saw %ld bytes unacknowledged",
			 held);
		return false;
	}
	return true;
}

/*
 * Establish that every send completed before the first read of the error
 * queue, so that what is read is the queue as the kernel built it.  A
 * receiver that failed stops the experiment (@r->why); what the path
 * cannot tell leaves the barrier not held (@r->barrier_why).
 */
static bool barrier(int fd, const struct zc_stream_spec *spec,
		    struct zc_stream_result *r, struct zc_peer *peer,
		    uint64_t sent)
{
	bool dgram = spec->type == SOCK_DGRAM;
	const char *unit = dgram ? "datagrams" : "bytes";
	unsigned long long want, got;
	char bad[80] = "";
	long held;

	if (spec->topo->sync) {
		/* Each send freed its skbs before returning. */
		held = zc_outq(fd);
		if (held < 0) {
			stop(r, held, "SIOCOUTQ after the last send: %s",
			     strerror(-held));
			return false;
		}
		if (held)
			snprintf(r->barrier_why, sizeof(r->barrier_why),
				 "SIOCOUTQ %ld after the last send: the path completed asynchronously",
				 held);
		return !held;
	}
	if (!r->has_peer) {
		snprintf(r->barrier_why, sizeof(r->barrier_why),
			 "nothing on this path tells the sender that its packets were freed");
		return false;
	}
	/* Local delivery copies the data before it queues it to the
	 * receiving socket, and the copy completes the id.
	 */
	if (!dgram && shutdown(fd, SHUT_WR)) {
		stop(r, -errno, "shutdown before the receiver's result: %s",
		     strerror(errno));
		return false;
	}
	finish_peer(spec, r, peer);
	want = dgram ? spec->sends : sent;
	got = dgram ? r->rx.datagrams : r->rx.bytes;
	if (r->peer_ret) {
		stop(r, r->peer_ret, "no result from the receiver, which expected %llu %s: %s; it %s",
		     want, unit, strerror(-r->peer_ret), r->peer_status);
		return false;
	}
	if (r->rx.err || r->rx.bad) {
		if (r->rx.bad)
			snprintf(bad, sizeof(bad),
				 ", %u not as sent (the first at %s %lld)",
				 r->rx.bad, dgram ? "datagram" : "offset",
				 (long long)r->rx.first_bad);
		stop(r, r->rx.err ? -r->rx.err : -EBADMSG,
		     "the receiver got %llu of %llu %s%s: %s; it %s",
		     got, want, unit, bad,
		     r->rx.why[0] ? r->rx.why : "no error", r->peer_status);
		return false;
	}
	if (got != want) {
		snprintf(r->barrier_why, sizeof(r->barrier_why),
			 "the receiver got %llu of %llu %s", got, want, unit);
		return false;
	}
	return dgram || tcp_settled(fd, spec, r);
}

/* Append to a bounded string; what does not fit is cut. */
static void add(char *buf, size_t len, size_t *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*pos >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
	va_end(ap);
	*pos += n > 0 ? (size_t)n : 0;
}

/* Adjacent notifications with contiguous ranges: the kernel must have
 * merged the second into the first while it was at the queue's tail.
 */
static void count_unmerged(struct zc_stream_result *r,
			   const struct zc_notif *log, size_t n)
{
	size_t i, pos = 0;

	for (i = 1; i < n; i++) {
		if (log[i].lo != log[i - 1].hi + 1)
			continue;
		r->unmerged++;
		add(r->unmerged_list, sizeof(r->unmerged_list), &pos,
		    "%s[%u,%u]+[%u,%u]", pos ? " " : "", log[i - 1].lo,
		    log[i - 1].hi, log[i].lo, log[i].hi);
	}
}

static void read_notifications(int fd, const struct zc_stream_spec *spec,
			       struct zc_stream_result *r,
			       struct zc_sender *s, struct zc_peer *peer)
{
	struct zc_notif *log;
	uint64_t entries;
	int first;

	if (!spec->barrier) {
		r->wait_ret = zc_errq_wait(fd, &s->q, s->t, &spec->wait);
		return;
	}
	r->barrier_held = barrier(fd, spec, r, peer, s->bytes);
	log = calloc(spec->sends + 1, sizeof(*log));
	if (!log) {
		stop(r, -ENOMEM, "out of memory for a log of %u notifications",
		     spec->sends + 1);
		return;
	}
	zc_errq_log(&s->q, log, spec->sends + 1);
	first = zc_errq_drain(fd, &s->q, s->t);
	entries = s->q.entries;
	if (first < 0) {
		r->wait_ret = first;
		stop(r, first, "reading the error queue after the barrier: %s%s%s",
		     strerror(-first), s->q.why[0] ? ": " : "", s->q.why);
	} else {
		r->wait_ret = zc_errq_wait(fd, &s->q, s->t, &spec->wait);
	}
	if (r->barrier_held && s->q.entries > entries) {
		r->barrier_held = false;
		snprintf(r->barrier_why, sizeof(r->barrier_why),
			 "%llu error-queue entries arrived after the first read past the barrier, %llu up to it",
			 (unsigned long long)(s->q.entries - entries),
			 (unsigned long long)entries);
	}
	if (r->barrier_held)
		count_unmerged(r, log, s->q.log_len);
	free(log);
}

static void summarise(struct zc_stream_result *r, const struct zc_sender *s,
		      const struct zc_tracker *t)
{
	int k;

	r->calls = s->calls;
	r->bytes = s->bytes;
	r->enobufs = s->enobufs;
	r->eintr = s->eintr;
	r->issued = t->issued;
	r->notifications = t->notifications;
	r->completed = t->completed;
	r->copied = t->copied;
	r->zerocopy = t->zerocopy;
	r->missing = zc_tracker_missing(t);
	zc_tracker_format_missing(t, r->missing_list, sizeof(r->missing_list));
	for (k = 0; k < ZC_NR_ANOMALIES; k++) {
		r->anomaly_ids[k] = t->anomaly[k].ids;
		r->anomaly_events[k] = t->anomaly[k].events;
		zc_tracker_format(t, k, r->anomaly_list[k],
				  sizeof(r->anomaly_list[k]));
	}
	snprintf(r->wait_why, sizeof(r->wait_why), "%s", s->q.why);
	r->wakeups = s->q.wakeups;
	r->empty_wakeups = s->q.empty_wakeups;
	r->wait_ms = s->q.wait_ms;
	r->wait_cpu_ms = s->q.wait_cpu_ms;
}

static void send_all(const struct zc_stream_spec *spec,
		     struct zc_stream_result *r, struct zc_sender *s,
		     const char *buf)
{
	unsigned int i;
	int ret;

	for (i = 0; i < spec->sends; i++) {
		ret = zc_sender_send(s, buf + (size_t)i * spec->size,
				     spec->size);
		if (ret) {
			stop(r, ret, "send %u of %u (%zu bytes, MSG_ZEROCOPY): %s%s%s",
			     i + 1, spec->sends, spec->size, strerror(-ret),
			     s->why[0] || s->q.why[0] ? ": " : "",
			     s->why[0] ? s->why : s->q.why);
			return;
		}
	}
}

int zc_stream_run(const struct zc_stream_spec *spec,
		  struct zc_stream_result *r)
{
	const struct zc_topo *topo = spec->topo;
	uint64_t drop0 = 0, drop1 = 0, fwd0 = 0, fwd1 = 0;
	int64_t start = zc_now_ms(), cpu = zc_thread_cpu_ms();
	struct zc_peer peer = { .pid = 0 };
	struct tcp_info ti = { 0 };
	socklen_t tilen = sizeof(ti);
	struct zc_tracker t;
	struct zc_sender s;
	char *buf = NULL;
	int fd = -1, ret;

	memset(r, 0, sizeof(*r));
	snprintf(r->label, sizeof(r->label), "%s_%s%s@%s",
		 spec->family == AF_INET6 ? "ip6" : "ip4",
		 zc_proto_name(spec->type), spec->tcp_repair ? "_repair" : "",
		 topo->name);
	r->requested = spec->sends;
	r->requested_bytes = (uint64_t)spec->sends * spec->size;
	r->tcp = spec->type == SOCK_STREAM;
	r->has_peer = topo->rx_ns != NULL && !spec->tcp_repair;
	r->has_drop = topo->drop_dev != NULL;
	r->has_fwd = topo->fwd_ns != NULL;
	r->fwd_counter = spec->family == AF_INET6 ? "Ip6OutForwDatagrams" :
						    "Ip.ForwDatagrams";
	r->peer_ret = -ECHILD;

	/* A stream send that the kernel splits takes an id per call. */
	ret = zc_tracker_init(&t, 0, (size_t)spec->sends * 2 + 16);
	if (ret)
		return stop(r, ret, "a tracker for %u sends: %s", spec->sends,
			    ret == -ENOMEM ? "out of memory" : strerror(-ret));
	buf = malloc((size_t)spec->sends * spec->size);
	if (!buf) {
		zc_tracker_free(&t);
		return stop(r, -ENOMEM, "out of memory for a buffer of %u x %zu bytes",
			    spec->sends, spec->size);
	}
	fill(buf, spec);

	if (r->has_peer && start_peer(spec, r, &peer))
		goto out;
	read_counters(spec, r, &drop0, &fwd0);
	fd = open_socket(spec, r, r->has_peer ? peer.port : 9);
	if (fd < 0)
		goto out;

	zc_sender_init(&s, fd, spec->family, spec->type, &t,
		       spec->barrier ? 0 : spec->drain_every, &spec->wait);
	send_all(spec, r, &s, buf);
	if (!r->err && spec->tcp_repair) {
		/* Nothing will acknowledge: free the data by aborting. */
		r->unsent = zc_unsent(fd);
		ret = zc_tcp_abort(fd);
		if (ret)
			stop(r, ret, "abort of the TCP_REPAIR connection: %s",
			     strerror(-ret));
	}
	if (!r->err) {
		read_notifications(fd, spec, r, &s, &peer);
		if (r->has_peer && !spec->barrier) {
			if (r->tcp && shutdown(fd, SHUT_WR))
				stop(r, -errno, "shutdown before the receiver's result: %s",
				     strerror(errno));
			else
				finish_peer(spec, r, &peer);
		}
	}
	if (r->tcp && !getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tilen))
		r->total_retrans = ti.tcpi_total_retrans;
	read_counters(spec, r, &drop1, &fwd1);
	r->drop_delta = drop1 - drop0;
	r->fwd_delta = fwd1 - fwd0;
	summarise(r, &s, &t);
out:
	zc_peer_kill(&peer);
	if (fd >= 0)
		close(fd);
	free(buf);
	zc_tracker_free(&t);
	r->wall_ms = zc_now_ms() - start;
	r->cpu_ms = zc_thread_cpu_ms() - cpu;
	return r->err;
}

void zc_stream_summary(const struct zc_stream_result *r, char *buf,
		       size_t len)
{
	size_t pos = 0;

	add(buf, len, &pos,
	    "%s: %llu sends, %u ids, %llu notifications, %llu COPIED, %llu zero-copy, %llu missing",
	    r->label, (unsigned long long)r->calls, r->issued,
	    (unsigned long long)r->notifications,
	    (unsigned long long)r->copied, (unsigned long long)r->zerocopy,
	    (unsigned long long)r->missing);
	if (r->tcp)
		add(buf, len, &pos, ", %u retransmits", r->total_retrans);
	if (r->unsent)
		add(buf, len, &pos, ", %ld bytes never transmitted", r->unsent);
	if (r->enobufs || r->eintr)
		add(buf, len, &pos, ", %llu ENOBUFS and %llu EINTR retried",
		    (unsigned long long)r->enobufs,
		    (unsigned long long)r->eintr);
	if (r->has_peer)
		add(buf, len, &pos, "; receiver got %llu of %llu bytes",
		    (unsigned long long)r->rx.bytes,
		    (unsigned long long)r->bytes);
	if (r->has_drop)
		add(buf, len, &pos, "; %llu dropped at the end",
		    (unsigned long long)r->drop_delta);
	if (r->has_fwd)
		add(buf, len, &pos, "; %llu forwarded",
		    (unsigned long long)r->fwd_delta);
	add(buf, len, &pos, "; %lld ms, CPU %lld ms (waits %lld ms, CPU %lld ms)",
	    (long long)r->wall_ms, (long long)r->cpu_ms,
	    (long long)r->wait_ms, (long long)r->wait_cpu_ms);
}
