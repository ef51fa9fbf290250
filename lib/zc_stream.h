/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One MSG_ZEROCOPY experiment on a topology's path: a stream of sends from
 * the sender namespace to the path's receiver, or to the device that drops
 * them, with every id, notification, byte and packet accounted.  It runs
 * once and records what it saw in a plain struct (no pointers), so that
 * several tests can each judge one property of the same experiment.
 * Plain helper: it returns -errno and never asserts.
 */
#ifndef ZC_STREAM_H
#define ZC_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zc_errqueue.h"
#include "zc_peer.h"
#include "zc_topo.h"
#include "zc_tracker.h"

#define ZC_LIST_LEN 160		/* room for "[lo,hi] [lo,hi] ..." */

struct zc_stream_spec {
	const struct zc_topo *topo;
	int family;
	int type;		/* SOCK_STREAM or SOCK_DGRAM */
	unsigned int sends;	/* datagrams, or stream chunks */
	size_t size;		/* bytes each */
	/*
	 * Read the error queue every @drain_every sends; 0 with @barrier:
	 * read nothing until every send has completed, as far as the path
	 * lets the sender know (see barrier_held).
	 */
	unsigned int drain_every;
	bool barrier;
	struct zc_wait wait;	/* for notifications and for room */
	int peer_ready_ms;	/* the receiver's start */
	int peer_idle_ms;	/* the receiver gives up without data */
	const char *dst;	/* destination address; NULL: the topology's
				 * ZC_DST4 or ZC_DST6 */
	/*
	 * TCP without a peer: the connection is made with TCP_REPAIR (no
	 * handshake, zc_tcp_repair_connect()), nothing acknowledges the
	 * data, and after the last send the connection is aborted, which
	 * frees every queued skb and so completes every id.  Only what fits
	 * in the initial congestion window (10 segments) is transmitted:
	 * the rest completes untouched (see unsent).
	 */
	bool tcp_repair;
};

struct zc_stream_result {
	char label[64];		/* "ip4_udp@sink" */
	int err;		/* 0, or what stopped the experiment */
	char why[512];		/* ... in words: which step, which send */

	/* The sender: every requested send happened, or err says which. */
	uint64_t requested;	/* sends asked for */
	uint64_t requested_bytes;
	uint64_t calls;		/* send calls accepted (one id each) */
	uint64_t bytes;
	uint64_t enobufs;	/* ENOBUFS waited for and retried */
	uint64_t eintr;		/* EINTR retried */

	/* Notifications, from the tracker. */
	uint32_t issued;
	uint64_t notifications;
	uint64_t completed;
	uint64_t copied;
	uint64_t zerocopy;
	uint64_t missing;
	char missing_list[ZC_LIST_LEN];
	uint64_t anomaly_ids[ZC_NR_ANOMALIES];
	uint64_t anomaly_events[ZC_NR_ANOMALIES];
	char anomaly_list[ZC_NR_ANOMALIES][ZC_LIST_LEN];

	/* The last wait for notifications. */
	int wait_ret;		/* 0, -ETIMEDOUT, ... (zc_errq_wait()) */
	char wait_why[256];
	uint64_t wakeups;
	uint64_t empty_wakeups;
	int64_t wait_ms;
	int64_t wait_cpu_ms;

	/*
	 * With a barrier: whether every send had completed before the first
	 * read, so that the notifications read are the error queue exactly
	 * as the kernel built it; and if so, how many adjacent ones it left
	 * unmerged although their ranges were contiguous.
	 */
	bool barrier_held;
	char barrier_why[160];
	uint64_t unmerged;
	char unmerged_list[ZC_LIST_LEN];

	/* TCP: from TCP_INFO at the end. */
	bool tcp;
	uint32_t total_retrans;
	long unsent;		/* tcp_repair: bytes never transmitted */

	/* The receiver, where the path has one. */
	bool has_peer;
	int peer_ret;		/* of zc_peer_finish() */
	char peer_status[64];	/* how it ended */
	struct zc_peer_result rx;

	/* The device that drops, where the path has one: counter deltas. */
	bool has_drop;
	int drop_err;		/* reading the counters failed: -errno */
	uint64_t drop_delta;	/* "drop" column of ZC_DROP_DEV */
	bool has_fwd;
	int fwd_err;
	uint64_t fwd_delta;	/* Ip.ForwDatagrams or Ip6OutForwDatagrams */
	const char *fwd_counter;

	int64_t wall_ms;
	int64_t cpu_ms;		/* of the sending thread */
};

/**
 * zc_stream_run() - run the experiment @spec and fill @r
 *
 * Return: 0 when the experiment ran to its end (@r says what happened,
 * good or bad); else the -errno that stopped it, also in @r->err, with
 * @r->why naming the step (a send, the receiver's start, a socket call).
 */
int zc_stream_run(const struct zc_stream_spec *spec,
		  struct zc_stream_result *r);

/** zc_stream_summary() - one line of what @r saw, for the test's log */
void zc_stream_summary(const struct zc_stream_result *r, char *buf,
		       size_t len);

#endif /* ZC_STREAM_H */
