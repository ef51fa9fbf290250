/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading MSG_ZEROCOPY notifications from a socket's error queue.
 *
 * Entries are read with libc recvmmsg(MSG_ERRQUEUE), never a raw syscall,
 * so that an LD_PRELOAD fault injector can interpose.  Each entry is
 * validated before it reaches the tracker:
 *   - no MSG_CTRUNC on the message;
 *   - exactly the cmsg of the socket's family: SOL_IP/IP_RECVERR for
 *     AF_INET, SOL_IPV6/IPV6_RECVERR for AF_INET6 (IPv4-mapped too);
 *   - ee_origin SO_EE_ORIGIN_ZEROCOPY, ee_errno 0, ee_code 0 or
 *     SO_EE_CODE_ZEROCOPY_COPIED.
 * The range [ee_info, ee_data] then goes to zc_tracker_complete().
 *
 * Waits never spin and always end.  They sleep in epoll (edge-triggered,
 * so a socket whose peer hung up does not wake them forever), and every
 * wakeup is accounted.  A wait ends with a reason: all ids completed; no
 * notification for a quiet period while the kernel held none of the
 * socket's data (SIOCOUTQ 0: the notifications are lost); the overall
 * bound; POLLERR with nothing to read; or sk_err set on the socket.
 */
#ifndef ZC_ERRQUEUE_H
#define ZC_ERRQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "zc_tracker.h"

/* One valid notification, in the order it was read. */
struct zc_notif {
	uint32_t lo;
	uint32_t hi;
	bool copied;
};

/* What the reader saw, over all calls with the same struct. */
struct zc_errq {
	int family;		/* of the socket: AF_INET or AF_INET6 */
	uint64_t entries;	/* error-queue messages read */
	uint64_t invalid;	/* ... rejected by validation */
	unsigned int flags;	/* ZC_F_* the tracker returned, ORed */
	char why[256];		/* the first problem, in words */
	/* Optional: valid notifications in arrival order (zc_errq_log()). */
	struct zc_notif *log;
	size_t log_cap;
	size_t log_len;
	/* Waits: wakeups, those that brought nothing, time spent. */
	uint64_t wakeups;
	uint64_t empty_wakeups;
	int64_t wait_ms;	/* wall clock */
	int64_t wait_cpu_ms;	/* CPU time of the waiting thread */
	int sk_err;		/* SO_ERROR found set, 0 if none */
};

/* Bounds of a wait, in milliseconds. */
struct zc_wait {
	/* No notification for this long: give up, unless the kernel still
	 * holds data of the socket.
	 */
	int quiet_ms;
	int max_ms;	/* give up after this long in any case */
};

/** zc_errq_init() - reset @q for a socket of @family */
void zc_errq_init(struct zc_errq *q, int family);

/**
 * zc_errq_log() - keep the next @cap valid notifications in @log, in the
 * order they are read; later ones are counted but not kept.
 */
void zc_errq_log(struct zc_errq *q, struct zc_notif *log, size_t cap);

/**
 * zc_errq_format_log() - the notifications zc_errq_log() kept, in the order
 * they were read, as "[1] [3,4] [0](copied)" into @buf (always terminated;
 * when too long, cut after a whole range and ended with "...").
 *
 * Return: @buf.
 */
const char *zc_errq_format_log(const struct zc_errq *q, char *buf,
			       size_t len);

/**
 * zc_errq_parse() - validate one error-queue message as received by
 * recvmsg(MSG_ERRQUEUE) and feed its range to @t.  Counts it in
 * @q->entries.
 *
 * Return: 0, or -EPROTO when it failed validation (@q->why says how).
 */
int zc_errq_parse(struct zc_errq *q, struct msghdr *msg, struct zc_tracker *t);

/* Any error-queue entry, decoded (zc_errq_decode()). */
struct zc_errq_entry {
	uint8_t origin;		/* ee_origin: SO_EE_ORIGIN_ZEROCOPY, _TIMESTAMPING */
	uint8_t code;		/* ee_code */
	uint32_t err;		/* ee_errno (ENOMSG for a timestamp) */
	uint32_t info;		/* ee_info: range start, or SCM_TSTAMP_* */
	uint32_t data;		/* ee_data: range end, or the tskey */
	bool has_ts;		/* an SCM_TIMESTAMPING cmsg came with it */
	int64_t ts_ns;		/* its software timestamp */
};

/**
 * zc_errq_decode() - decode one error-queue message of a socket of
 * @family that may also carry transmit timestamps (SO_TIMESTAMPING):
 * its sock_extended_err (SOL_IP/IP_RECVERR, or SOL_IPV6/IPV6_RECVERR for
 * AF_INET6, IPv4-mapped included) and its SCM_TIMESTAMPING cmsg if any,
 * whatever their order.  Nothing is fed to a tracker: the caller decides
 * by @e->origin.
 *
 * Return: 0, or -EPROTO when the message is truncated (MSG_CTRUNC), has
 * no extended error, one of another level or type, or a cmsg that
 * overruns the buffer (@why, @len: in words).
 */
int zc_errq_decode(int family, const struct msghdr *msg,
		   struct zc_errq_entry *e, char *why, size_t len);

/**
 * zc_errq_drain() - read every notification queued on @fd now, without
 * blocking, and feed each valid one to @t.
 *
 * Return: the number of valid notifications read (0 when the queue was
 * empty), -EPROTO if an entry failed validation (@q->why says how; the
 * valid entries read so far were fed), or -errno from recvmmsg().
 */
int zc_errq_drain(int fd, struct zc_errq *q, struct zc_tracker *t);

/**
 * zc_errq_check() - drain @fd, then make sure that the socket raises no
 * POLLERR that the error queue does not explain.
 *
 * Return: the number of notifications read; -EIO when sk_err was set
 * (@q->sk_err has the error, which reading it cleared); -ENOMSG when
 * POLLERR was raised with nothing to read and SO_ERROR 0; or an error
 * of zc_errq_drain(), poll() or getsockopt().
 */
int zc_errq_check(int fd, struct zc_errq *q, struct zc_tracker *t);

/**
 * zc_errq_wait() - read notifications from @fd until every id issued to
 * @t completed, sleeping until the socket signals an error-queue entry.
 *
 * Return: 0 when nothing is missing; -ETIMEDOUT when ids are still
 * missing after @w->quiet_ms without a notification while the kernel held
 * no data of the socket, or after @w->max_ms in all (@q->why says which
 * and what was held); the -errno of SIOCOUTQ when it failed once a
 * quiet period ended (@q->why says so); or an error of zc_errq_check()
 * or epoll.
 */
int zc_errq_wait(int fd, struct zc_errq *q, struct zc_tracker *t,
		 const struct zc_wait *w);

/**
 * zc_errq_wait_one() - the same, but return 0 as soon as one more id
 * completed (or none is missing): the wait for room after ENOBUFS.
 */
int zc_errq_wait_one(int fd, struct zc_errq *q, struct zc_tracker *t,
		     const struct zc_wait *w);

/**
 * zc_outq() - bytes of @fd the kernel still holds (SIOCOUTQ): for TCP,
 * sent but not acknowledged plus not yet sent; for UDP, datagrams not
 * yet freed.
 *
 * Return: the count, or -errno.
 */
long zc_outq(int fd);

#endif /* ZC_ERRQUEUE_H */
