// SPDX-License-Identifier: GPL-2.0
/* Error-queue reader for MSG_ZEROCOPY notifications: see zc_errqueue.h. */
/*
 * recvmmsg() and struct mmsghdr need _GNU_SOURCE, which
 * older kernel trees' lib.mk does not define.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/errqueue.h>
#include <linux/sockios.h>

#include "zc_errqueue.h"
#include "zc_sys.h"

#define ZC_ERRQ_BATCH 16

void zc_errq_init(struct zc_errq *q, int family)
{
	memset(q, 0, sizeof(*q));
	q->family = family;
}

void zc_errq_log(struct zc_errq *q, struct zc_notif *log, size_t cap)
{
	q->log = log;
	q->log_cap = cap;
	q->log_len = 0;
}

/*
 * As zc_tracker_format() does: a range that does not fit is dropped with
 * those after it, and "..." follows the last range that leaves room for
 * it, so that no range is ever cut in half.
 */
const char *zc_errq_format_log(const struct zc_errq *q, char *buf,
			       size_t len)
{
	size_t i, n, pos = 0, safe = 0;
	char s[40];

	if (!len)
		return buf;
	for (i = 0; i < q->log_len; i++) {
		const struct zc_notif *e = &q->log[i];

		if (e->lo == e->hi)
			snprintf(s, sizeof(s), "%s[%u]%s", i ? " " : "",
				 e->lo, e->copied ? "(copied)" : "");
		else
			snprintf(s, sizeof(s), "%s[%u,%u]%s", i ? " " : "",
				 e->lo, e->hi, e->copied ? "(copied)" : "");
		n = strlen(s);
		if (pos + n >= len) {
			pos = safe;
			n = len - 1 - pos < 3 ? len - 1 - pos : 3;
			memcpy(buf + pos, "...", n);
			pos += n;
			break;
		}
		memcpy(buf + pos, s, n);
		pos += n;
		if (pos + 4 <= len)
			safe = pos;
	}
	buf[pos] = '\0';
	return buf;
}

/* Record the first problem seen, in words; later ones are only counted. */
static void vnote(struct zc_errq *q, const char *fmt, va_list ap)
{
	if (!q->why[0])
		vsnprintf(q->why, sizeof(q->why), fmt, ap);
}

static void note(struct zc_errq *q, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(struct zc_errq *q, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote(q, fmt, ap);
	va_end(ap);
}

static int reject(struct zc_errq *q, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int reject(struct zc_errq *q, const char *fmt, ...)
{
	va_list ap;

	q->invalid++;
	va_start(ap, fmt);
	vnote(q, fmt, ap);
	va_end(ap);
	return -EPROTO;
}

int zc_errq_decode(int family, const struct msghdr *msg,
		   struct zc_errq_entry *e, char *why, size_t len)
{
	int level = family == AF_INET6 ? SOL_IPV6 : SOL_IP;
	int type = family == AF_INET6 ? IPV6_RECVERR : IP_RECVERR;
	struct sock_extended_err ee;
	struct timespec ts[3];
	struct cmsghdr *cm;
	bool found = false;
	size_t left;

	memset(e, 0, sizeof(*e));
	if (msg->msg_flags & MSG_CTRUNC) {
		snprintf(why, len, "MSG_CTRUNC: control data truncated (%zu bytes of buffer)",
			 (size_t)msg->msg_controllen);
		return -EPROTO;
	}
	cm = CMSG_FIRSTHDR((struct msghdr *)msg);
	if (!cm) {
		snprintf(why, len, "no control message on an error-queue entry");
		return -EPROTO;
	}
	for (; cm; cm = CMSG_NXTHDR((struct msghdr *)msg, cm)) {
		/*
		 * The kernel never claims more than it wrote, but trusting
		 * a cmsg_len past msg_controllen would read beyond the
		 * buffer.  CMSG_NXTHDR() checks the length of the cmsg it
		 * leaves, not (in glibc since 2.35) of the one it returns.
		 */
		left = (char *)msg->msg_control + msg->msg_controllen -
		       (char *)cm;
		if (cm->cmsg_len > left) {
			snprintf(why, len, "cmsg_len %zu beyond msg_controllen %zu (%zu bytes left)",
				 (size_t)cm->cmsg_len,
				 (size_t)msg->msg_controllen, left);
			return -EPROTO;
		}
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SO_TIMESTAMPING) {
			if (e->has_ts) {
				snprintf(why, len, "more than one SCM_TIMESTAMPING on an entry");
				return -EPROTO;
			}
			if (cm->cmsg_len < CMSG_LEN(sizeof(ts))) {
				snprintf(why, len, "SCM_TIMESTAMPING cmsg_len %zu shorter than three timespecs",
					 (size_t)cm->cmsg_len);
				return -EPROTO;
			}
			memcpy(ts, CMSG_DATA(cm), sizeof(ts));
			e->has_ts = true;
			/* Unsigned: a garbage stamp must not overflow. */
			e->ts_ns = (int64_t)((uint64_t)ts[0].tv_sec * 1000000000ULL +
					     (uint64_t)ts[0].tv_nsec);
			continue;
		}
		if (cm->cmsg_level != level || cm->cmsg_type != type) {
			snprintf(why, len, "cmsg level/type %d/%d, expected %d/%d for %s",
				 cm->cmsg_level, cm->cmsg_type, level, type,
				 family == AF_INET6 ? "AF_INET6" : "AF_INET");
			return -EPROTO;
		}
		if (found) {
			snprintf(why, len, "more than one extended error (level/type %d/%d) on an entry",
				 level, type);
			return -EPROTO;
		}
		if (cm->cmsg_len < CMSG_LEN(sizeof(ee))) {
			snprintf(why, len, "cmsg_len %zu shorter than a sock_extended_err",
				 (size_t)cm->cmsg_len);
			return -EPROTO;
		}
		memcpy(&ee, CMSG_DATA(cm), sizeof(ee));
		e->origin = ee.ee_origin;
		e->code = ee.ee_code;
		e->err = ee.ee_errno;
		e->info = ee.ee_info;
		e->data = ee.ee_data;
		found = true;
	}
	if (!found) {
		snprintf(why, len, "no extended error on an error-queue entry");
		return -EPROTO;
	}
	if (e->origin == SO_EE_ORIGIN_ZEROCOPY &&
	    (e->code & ~SO_EE_CODE_ZEROCOPY_COPIED)) {
		snprintf(why, len, "ee_code 0x%x has unknown bits", e->code);
		return -EPROTO;
	}
	return 0;
}

int zc_errq_parse(struct zc_errq *q, struct msghdr *msg, struct zc_tracker *t)
{
	struct zc_errq_entry e;
	char why[sizeof(q->why)];
	bool copied;

	q->entries++;
	if (zc_errq_decode(q->family, msg, &e, why, sizeof(why)))
		return reject(q, "%s", why);
	if (e.origin != SO_EE_ORIGIN_ZEROCOPY)
		return reject(q, "ee_origin %u, expected SO_EE_ORIGIN_ZEROCOPY (%u)",
			      e.origin, SO_EE_ORIGIN_ZEROCOPY);
	if (e.err != 0)
		return reject(q, "ee_errno %u (%s), expected 0", e.err,
			      strerror(e.err));
	if (e.has_ts)
		return reject(q, "more than one control message on an entry: SCM_TIMESTAMPING too");

	copied = e.code & SO_EE_CODE_ZEROCOPY_COPIED;
	q->flags |= zc_tracker_complete(t, e.info, e.data, copied);
	if (q->log_len < q->log_cap)
		q->log[q->log_len++] = (struct zc_notif){
			e.info, e.data, copied };
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
			if (errno == EINTR)
				continue;
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

int zc_errq_check(int fd, struct zc_errq *q, struct zc_tracker *t)
{
	struct pollfd pfd = { .fd = fd, .events = 0 };
	socklen_t len = sizeof(int);
	int read, ret, err = 0;

	read = zc_errq_drain(fd, q, t);
	if (read < 0)
		return read;
	ret = poll(&pfd, 1, 0);
	if (ret < 0)
		return errno == EINTR ? read : -errno;
	if (!ret || !(pfd.revents & POLLERR))
		return read;
	/*
	 * POLLERR means a queued entry or sk_err.  This thread is the only
	 * reader, so an entry queued before poll() is still there.
	 */
	ret = zc_errq_drain(fd, q, t);
	if (ret)
		return ret < 0 ? ret : read + ret;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return -errno;
	if (err) {
		q->sk_err = err;
		note(q, "sk_err set on the socket: %s (SO_ERROR %d); an ICMP error or a reset reached it",
		     strerror(err), err);
		return -EIO;
	}
	note(q, "poll() raised POLLERR with nothing on the error queue and SO_ERROR 0");
	return -ENOMSG;
}

long zc_outq(int fd)
{
	int n;

	return ioctl(fd, SIOCOUTQ, &n) ? -errno : n;
}

static int wait_for(int fd, struct zc_errq *q, struct zc_tracker *t,
		    const struct zc_wait *w, bool one)
{
	int64_t start = zc_now_ms(), cpu = zc_thread_cpu_ms();
	int64_t end = start + w->max_ms, quiet_end = start + w->quiet_ms;
	uint64_t missing = zc_tracker_missing(t);
	struct epoll_event ev = { .events = EPOLLET };
	int ep, ret, n;
	long held;
	bool woken = false;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return -errno;
	/* EPOLLERR and EPOLLHUP are always reported; edge-triggered, each
	 * comes once per wakeup of the socket, not while it lasts.
	 */
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
		ret = -errno;
		close(ep);
		return ret;
	}
	for (;;) {
		ret = zc_errq_check(fd, q, t);
		if (ret < 0)
			break;
		if (woken && !ret)
			q->empty_wakeups++;
		ret = 0;
		if (zc_tracker_missing(t) < missing) {
			if (one)
				break;
			missing = zc_tracker_missing(t);
			quiet_end = zc_now_ms() + w->quiet_ms;
		}
		if (!missing)
			break;
		if (zc_now_ms() >= end) {
			held = zc_outq(fd);
			if (held < 0)
				note(q, "%llu ids still missing after %d ms in all; SIOCOUTQ failed: %s",
				     (unsigned long long)missing, w->max_ms,
				     strerror(-held));
			else
				note(q, "%llu ids still missing after %d ms in all; the kernel holds %ld bytes of the socket (SIOCOUTQ)",
				     (unsigned long long)missing, w->max_ms,
				     held);
			ret = -ETIMEDOUT;
			break;
		}
		if (zc_now_ms() >= quiet_end) {
			/* Data still held (in flight, unacknowledged, queued)
			 * may yet complete: keep waiting, up to the bound.
			 */
			held = zc_outq(fd);
			if (held < 0) {
				note(q, "%llu ids still missing and no notification for %d ms; SIOCOUTQ, which says whether the kernel still holds data of the socket, failed: %s",
				     (unsigned long long)missing, w->quiet_ms,
				     strerror(-held));
				ret = held;
				break;
			}
			if (!held) {
				note(q, "%llu ids still missing and no notification for %d ms, with no data of the socket left in the kernel (SIOCOUTQ 0): notifications lost",
				     (unsigned long long)missing, w->quiet_ms);
				ret = -ETIMEDOUT;
				break;
			}
			quiet_end = zc_now_ms() + w->quiet_ms;
		}
		n = epoll_wait(ep, &ev, 1,
			       zc_left_ms(quiet_end < end ? quiet_end : end));
		if (n < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		woken = n > 0;
		q->wakeups += woken;
	}
	close(ep);
	q->wait_ms += zc_now_ms() - start;
	q->wait_cpu_ms += zc_thread_cpu_ms() - cpu;
	return ret;
}

int zc_errq_wait(int fd, struct zc_errq *q, struct zc_tracker *t,
		 const struct zc_wait *w)
{
	return wait_for(fd, q, t, w, false);
}

int zc_errq_wait_one(int fd, struct zc_errq *q, struct zc_tracker *t,
		     const struct zc_wait *w)
{
	return wait_for(fd, q, t, w, true);
}
