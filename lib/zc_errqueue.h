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
 */
#ifndef ZC_ERRQUEUE_H
#define ZC_ERRQUEUE_H

#include <stdint.h>
#include <sys/socket.h>

#include "zc_tracker.h"

/* What the reader saw, over all calls with the same struct. */
struct zc_errq {
	int family;		/* of the socket: AF_INET or AF_INET6 */
	uint64_t entries;	/* error-queue messages read */
	uint64_t invalid;	/* ... rejected by validation */
	unsigned int flags;	/* ZC_F_* the tracker returned, ORed */
	char why[256];		/* the first rejection, in words */
};

/**
 * zc_errq_init() - reset @q for a socket of @family
 */
void zc_errq_init(struct zc_errq *q, int family);

/**
 * zc_errq_parse() - validate one error-queue message as received by
 * recvmsg(MSG_ERRQUEUE) and feed its range to @t.  Counts it in
 * @q->entries.
 *
 * Return: 0, or -EPROTO when it failed validation (@q->why says how).
 */
int zc_errq_parse(struct zc_errq *q, struct msghdr *msg, struct zc_tracker *t);

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
 * zc_errq_wait() - drain @fd until every id issued to @t completed, waiting
 * with poll() for POLLERR (the error queue is not empty) in between.
 * @timeout_ms: bound on the whole wait
 *
 * Return: 0 when nothing is missing, -ETIMEDOUT when ids are still missing
 * at the deadline, or an error of zc_errq_drain() or poll().
 */
int zc_errq_wait(int fd, struct zc_errq *q, struct zc_tracker *t,
		 int timeout_ms);

#endif /* ZC_ERRQUEUE_H */
