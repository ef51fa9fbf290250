// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of zc_errq_parse() (lib/zc_errqueue.c) on synthetic
 * error-queue messages: no socket, no privilege.  Each row builds one
 * message as recvmsg(MSG_ERRQUEUE) returns it (a sock_extended_err and the
 * offender address in one cmsg), bends one field, and checks the verdict.
 * Rows marked "fuzz_errq" are inputs that selftests/fuzz.sh found.
 *
 *   make unit     (or ./build/selftests/errq_test after make)
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/errqueue.h>

#include "kselftest_harness.h"
#include "zc_errqueue.h"

#define V4	AF_INET, SOL_IP, IP_RECVERR
#define V6	AF_INET6, SOL_IPV6, IPV6_RECVERR
#define ZC	SO_EE_ORIGIN_ZEROCOPY
#define COPIED	SO_EE_CODE_ZEROCOPY_COPIED

static const struct {
	const char *name;
	int family, level, type;
	int msg_flags;
	uint8_t origin, code;
	uint32_t ee_errno;
	size_t cmsg_len;	/* 0: as the kernel sets it */
	size_t controllen;	/* 0: as the kernel sets it */
	bool second;		/* a second cmsg follows the first */
	const char *why;	/* NULL: accepted, else rejected saying this */
} rows[] = {
	/* what the kernel sends, zero-copy and COPIED */
	{ "ip4", V4, 0, ZC, 0, 0, 0, 0, false, NULL },
	{ "ip6_copied", V6, 0, ZC, COPIED, 0, 0, 0, false, NULL },
	/* the caller's buffer was too small for the control data */
	{ "ctrunc", V4, MSG_CTRUNC, ZC, 0, 0, 0, 0, false, "MSG_CTRUNC" },
	/* fewer bytes than a cmsghdr: no control message at all */
	{ "no_cmsg", V6, 0, ZC, 0, 0, 0, 8, false, "no control message" },
	/* an IPv4 cmsg on an IPv6 socket */
	{ "ip4_on_ip6", AF_INET6, SOL_IP, IP_RECVERR, 0, ZC, 0, 0, 0, 0,
	  false, "level/type 0/11, expected 41/25" },
	{ "short_cmsg", V4, 0, ZC, 0, 0, CMSG_LEN(8), 0, false, "shorter" },
	/* fuzz_errq: cmsg_len 48 in 44 bytes, was accepted before the fix */
	{ "cmsg_len_past_44", V4, 0, ZC, 0, 0, 0, 44, false, "beyond" },
	/* fuzz_errq: cmsg_len 48 in 24 bytes, ee read past the buffer */
	{ "cmsg_len_past_24", V4, 0, ZC, 0, 0, 0, 24, false, "beyond" },
	{ "origin_icmp", V4, 0, SO_EE_ORIGIN_ICMP, 0, 0, 0, 0, false,
	  "ee_origin 2" },
	{ "errno", V6, 0, ZC, 0, ENOBUFS, 0, 0, false, "ee_errno" },
	{ "code_bits", V4, 0, ZC, 2, 0, 0, 0, false, "ee_code 0x2" },
	{ "two_cmsgs", V6, 0, ZC, 0, 0, 0, 0, true, "more than one" },
};

/*
 * Build the row's message in @buf: [0,3] completed, offender zeroed.
 * Return: the msg_controllen the kernel would set.
 */
static size_t build(int r, char *buf, size_t size)
{
	size_t addr = rows[r].family == AF_INET6 ?
		      sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	struct sock_extended_err ee = {
		.ee_errno = rows[r].ee_errno,
		.ee_origin = rows[r].origin,
		.ee_code = rows[r].code,
		.ee_info = 0,
		.ee_data = 3,
	};
	struct cmsghdr *cm = (struct cmsghdr *)buf;
	size_t len = CMSG_SPACE(sizeof(ee) + addr);

	memset(buf, 0, size);
	cm->cmsg_len = CMSG_LEN(sizeof(ee) + addr);
	cm->cmsg_level = rows[r].level;
	cm->cmsg_type = rows[r].type;
	memcpy(CMSG_DATA(cm), &ee, sizeof(ee));
	if (rows[r].second) {
		cm = (struct cmsghdr *)(buf + len);
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		cm->cmsg_level = rows[r].level;
		cm->cmsg_type = rows[r].type;
		len += CMSG_SPACE(sizeof(int));
	}
	if (rows[r].cmsg_len)
		((struct cmsghdr *)buf)->cmsg_len = rows[r].cmsg_len;
	return rows[r].controllen ? rows[r].controllen : len;
}

TEST(parse_rows)
{
	union {
		struct cmsghdr align;
		char buf[256];
	} u;
	struct zc_tracker t;
	struct zc_errq q;
	unsigned int r;
	int want;

	for (r = 0; r < ARRAY_SIZE(rows); r++) {
		struct msghdr msg = {
			.msg_control = u.buf,
			.msg_controllen = build(r, u.buf, sizeof(u.buf)),
			.msg_flags = rows[r].msg_flags,
		};

		ASSERT_EQ(0, zc_tracker_init(&t, 0, 4));
		while (!zc_tracker_issue(&t, NULL))
			;
		zc_errq_init(&q, rows[r].family);
		want = rows[r].why ? -EPROTO : 0;
		EXPECT_EQ(want, zc_errq_parse(&q, &msg, &t))
			TH_LOG("%s: why \"%s\"", rows[r].name, q.why);
		EXPECT_EQ(1u, q.entries) TH_LOG("%s: entries", rows[r].name);
		if (rows[r].why) {
			EXPECT_NE(NULL, strstr(q.why, rows[r].why))
				TH_LOG("%s: why \"%s\", expected \"%s\"",
				       rows[r].name, q.why, rows[r].why);
			EXPECT_EQ(1u, q.invalid)
				TH_LOG("%s: invalid", rows[r].name);
			EXPECT_EQ(0u, t.notifications)
				TH_LOG("%s: fed to the tracker", rows[r].name);
		} else {
			EXPECT_EQ(4u, t.completed)
				TH_LOG("%s: [0,3] completed", rows[r].name);
			EXPECT_EQ(rows[r].code ? 4u : 0u, t.copied)
				TH_LOG("%s: copied", rows[r].name);
			EXPECT_TRUE(zc_tracker_done(&t))
				TH_LOG("%s: done", rows[r].name);
		}
		zc_tracker_free(&t);
	}
}

TEST_HARNESS_MAIN
