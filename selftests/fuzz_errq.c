// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for zc_errq_parse(): arbitrary bytes become one or more
 * error-queue messages as recvmsg(MSG_ERRQUEUE) would hand them over, fed
 * to a tracker that has some ids issued.  The control buffer is allocated
 * to exactly msg_controllen bytes, so ASan stops any read past it, even
 * when a cmsg_len claims more.  After each message the verdict is checked
 * against the rules of zc_errqueue.h, and the tracker's counters against
 * each other.
 *
 * Input, little endian:
 *   u8 family (AF_INET, AF_INET6, AF_UNSPEC, AF_PACKET; modulo 4)
 *   u8 ids to issue, u32 first id
 *   then per message: u16 msg_flags, u16 msg_controllen (at most
 *   FUZZ_MAX_CONTROL, and no more than the bytes left), the control bytes
 *
 *   selftests/fuzz.sh [seconds]    builds and runs it
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/errqueue.h>

#include "fuzz.h"
#include "zc_errqueue.h"

#define FUZZ_MAX_CONTROL 256

static const int families[] = { AF_INET, AF_INET6, AF_UNSPEC, AF_PACKET };

/*
 * Whether @msg is a valid notification by the rules of zc_errqueue.h:
 * 1 valid, -1 invalid, 0 when only the C library can tell.  One cmsg, or
 * two, is judged without CMSG_NXTHDR: a second one is there when its
 * header and its cmsg_len fit after the first (all libcs agree), and
 * not when its header does not fit; libcs differ at the edge in between.
 */
static int expect_valid(const struct zc_errq *q, const struct msghdr *msg)
{
	bool ip6 = q->family == AF_INET6;
	size_t controllen = msg->msg_controllen, next;
	struct sock_extended_err ee;
	struct cmsghdr cm, cm2;

	if (msg->msg_flags & MSG_CTRUNC || controllen < sizeof(cm))
		return -1;
	memcpy(&cm, msg->msg_control, sizeof(cm));
	if (cm.cmsg_level != (ip6 ? SOL_IPV6 : SOL_IP) ||
	    cm.cmsg_type != (ip6 ? IPV6_RECVERR : IP_RECVERR) ||
	    cm.cmsg_len < CMSG_LEN(sizeof(ee)) || cm.cmsg_len > controllen)
		return -1;
	memcpy(&ee, CMSG_DATA((struct cmsghdr *)msg->msg_control),
	       sizeof(ee));
	if (ee.ee_origin != SO_EE_ORIGIN_ZEROCOPY || ee.ee_errno ||
	    ee.ee_code & ~SO_EE_CODE_ZEROCOPY_COPIED)
		return -1;
	next = CMSG_ALIGN(cm.cmsg_len);
	if (controllen < next + sizeof(cm))
		return 1;
	if (controllen == next + sizeof(cm))
		return 0;
	memcpy(&cm2, (char *)msg->msg_control + next, sizeof(cm2));
	if (cm2.cmsg_len >= sizeof(cm2) && cm2.cmsg_len <= controllen - next &&
	    CMSG_ALIGN(cm2.cmsg_len) <= controllen - next)
		return -1;
	return 0;
}

static void parse_one(struct zc_errq *q, struct msghdr *msg,
		      struct zc_tracker *t)
{
	uint64_t entries = q->entries, invalid = q->invalid;
	uint64_t notifications = t->notifications;
	int want = expect_valid(q, msg);
	int ret;

	ret = zc_errq_parse(q, msg, t);
	FUZZ_CHECK(ret == 0 || ret == -EPROTO, "returned %d", ret);
	FUZZ_CHECK(q->entries == entries + 1, "entries %llu -> %llu",
		   (unsigned long long)entries,
		   (unsigned long long)q->entries);
	FUZZ_CHECK(memchr(q->why, '\0', sizeof(q->why)), "why unterminated");
	FUZZ_CHECK(!(q->flags & ~(ZC_F_GAP | ZC_F_DUPLICATE | ZC_F_UNKNOWN |
				  ZC_F_MALFORMED)), "flags 0x%x", q->flags);
	if (ret) {
		FUZZ_CHECK(want <= 0, "valid message rejected: %s", q->why);
		FUZZ_CHECK(q->invalid == invalid + 1 && q->why[0],
			   "rejected without a count or a reason");
		FUZZ_CHECK(t->notifications == notifications,
			   "rejected message reached the tracker: %s", q->why);
	} else {
		FUZZ_CHECK(want >= 0,
			   "invalid message accepted (controllen %zu)",
			   (size_t)msg->msg_controllen);
		FUZZ_CHECK(q->invalid == invalid,
			   "accepted but counted invalid");
		FUZZ_CHECK(t->notifications == notifications + 1,
			   "accepted message not fed to the tracker");
	}
	fuzz_check_counters(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct zc_tracker t;
	struct zc_errq q;
	unsigned int n;

	zc_errq_init(&q, families[fuzz_u8(&in) % 4]);
	n = fuzz_u8(&in);
	FUZZ_CHECK(!zc_tracker_init(&t, fuzz_u32(&in), 256), "init");
	while (n--)
		FUZZ_CHECK(!zc_tracker_issue(&t, NULL), "issue");

	while (in.left >= 4) {
		struct msghdr msg = { .msg_flags = fuzz_u16(&in) };
		size_t len = fuzz_u16(&in) % (FUZZ_MAX_CONTROL + 1);

		if (len > in.left)
			len = in.left;
		/* Exactly @len bytes (malloc aligns them for a cmsghdr). */
		msg.msg_control = len ? malloc(len) : NULL;
		FUZZ_CHECK(!len || msg.msg_control, "malloc(%zu)", len);
		if (len)
			memcpy(msg.msg_control, in.p, len);
		msg.msg_controllen = len;
		in.p += len;
		in.left -= len;

		parse_one(&q, &msg, &t);
		free(msg.msg_control);
	}
	zc_tracker_free(&t);
	return 0;
}
