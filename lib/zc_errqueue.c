// SPDX-License-Identifier: GPL-2.0
/* Error-queue reader for MSG_ZEROCOPY notifications: see zc_errqueue.h. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <linux/errqueue.h>

#include "zc_errqueue.h"
#include "zc_sys.h"

#define ZC_ERRQ_BATCH 16

void zc_errq_init(struct zc_errq *q, int family)
{
	memset(q, 0, sizeof(*q));
	q->family = family;
}

static int reject(struct zc_errq *q, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int reject(struct zc_errq *q, const char *fmt, ...)
{
	va_list ap;

	q->invalid++;
	if (!q->why[0]) {
		va_start(ap, fmt);
		vsnprintf(q->why, sizeof(q->why), fmt, ap);
		va_end(ap);
	}
	return -EPROTO;
}

int zc_errq_parse(struct zc_errq *q, struct msghdr *msg, struct zc_tracker *t)
{
	int level = q->family == AF_INET6 ? SOL_IPV6 : SOL_IP;
	int type = q->family == AF_INET6 ? IPV6_RECVERR : IP_RECVERR;
	struct sock_extended_err ee;
	struct cmsghdr *cm;
	bool copied;

	q->entries++;
	if (msg->msg_flags & MSG_CTRUNC)
		return reject(q, "MSG_CTRUNC: control data truncated (%zu bytes of buffer)",
			      (size_t)msg->msg_controllen);
	cm = CMSG_FIRSTHDR(msg);
	if (!cm)
		return reject(q, "no control message on an error-queue entry");
	if (cm->cmsg_level != level || cm->cmsg_type != type)
		return reject(q, "cmsg level/type %d/%d, expected %d/%d for %s",
			      cm->cmsg_level, cm->cmsg_type, level, type,
			      q->family == AF_INET6 ? "AF_INET6" : "AF_INET");
	if (cm->cmsg_len < CMSG_LEN(sizeof(ee)))
		return reject(q, "cmsg_len %zu shorter than a sock_extended_err",
			      (size_t)cm->cmsg_len);
	/* The kernel never claims more than it wrote, but trusting a
	 * cmsg_len past msg_controllen would read beyond the buffer.
	 */
	if (cm->cmsg_len > msg->msg_controllen)
		return reject(q, "cmsg_len %zu beyond msg_controllen %zu",
			      (size_t)cm->cmsg_len,
			      (size_t)msg->msg_controllen);
	memcpy(&ee, CMSG_DATA(cm), sizeof(ee));
	if (ee.ee_origin != SO_EE_ORIGIN_ZEROCOPY)
		return reject(q, "ee_origin %u, expected SO_EE_ORIGIN_ZEROCOPY (%u)",
			      ee.ee_origin, SO_EE_ORIGIN_ZEROCOPY);
	if (ee.ee_errno != 0)
		return reject(q, "ee_errno %u (%s), expected 0", ee.ee_errno,
			      strerror(ee.ee_errno));
	if (ee.ee_code & ~SO_EE_CODE_ZEROCOPY_COPIED)
		return reject(q, "ee_code 0x%x has unknown bits", ee.ee_code);
	if (CMSG_NXTHDR(msg, cm))
		return reject(q, "more than one control message on an entry");

	copied = ee.ee_code & SO_EE_CODE_ZEROCOPY_COPIED;
	q->flags |= zc_tracker_complete(t, ee.ee_info, ee.ee_data, copied);
	return 0;
}

int zc_errq_drain(int fd, struct zc_errq *q, struct zc_tracker *t)
{
	char control[ZC_ERRQ_BATCH][CMSG_SPACE(sizeof(struct sock_extended_err)) +
				    CMSG_SPACE(sizeof(struct sockaddr_in6))];
	struct mmsghdr msgs[ZC_ERRQ_BATCH];
	int i, n, read = 0, ret = 0;

	for (;;) {
		memset(msgs, 0, sizeof(msgs));
		for (i = 0; i < ZC_ERRQ_BATCH; i++) {
			msgs[i].msg_hdr.msg_control = control[i];
			msgs[i].msg_hdr.msg_controllen = sizeof(control[i]);
		}
		n = recvmmsg(fd, msgs, ZC_ERRQ_BATCH,
			     MSG_ERRQUEUE | MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -errno;
		}
		for (i = 0; i < n; i++) {
			if (zc_errq_parse(q, &msgs[i].msg_hdr, t))
				ret = -EPROTO;
			else
				read++;
		}
		if (n < ZC_ERRQ_BATCH)
			break;
	}
	return ret ? ret : read;
}

int zc_errq_wait(int fd, struct zc_errq *q, struct zc_tracker *t,
		 int timeout_ms)
{
	int64_t deadline = zc_now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = fd, .events = 0 };
	int ret;

	for (;;) {
		ret = zc_errq_drain(fd, q, t);
		if (ret < 0)
			return ret;
		if (!zc_tracker_missing(t))
			return 0;
		/* With events 0, poll still reports POLLERR while the error
		 * queue holds an entry.
		 */
		ret = poll(&pfd, 1, zc_left_ms(deadline));
		if (ret < 0 && errno != EINTR)
			return -errno;
		if (ret == 0)
			return zc_tracker_missing(t) ? -ETIMEDOUT : 0;
	}
}
