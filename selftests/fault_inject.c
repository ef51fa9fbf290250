// SPDX-License-Identifier: GPL-2.0
/*
 * fault_inject.so: an LD_PRELOAD library that makes the kernel, or the
 * receiver, misbehave on purpose, so that the suite's self-tests can check
 * that every such fault fails the test, within seconds, with a message
 * that names it.  The tests are linked dynamically for this reason: libzc
 * reads the error queue with libc recvmmsg() (and recvmsg() one entry at
 * a time, which goes through the same faults), waits with poll(), reads
 * SO_ERROR with getsockopt() and sends with send() and sendto(); the
 * receiver binds and calls recv().
 *
 * It acts only in the processes of the test programs (ZC_FAULT_TARGETS,
 * default "notif_contract", matched against the program name, e.g.
 * "packet_tx_ring" for the packet-socket faults below), so that
 * it can be preloaded into a whole run_tests.sh run without touching ip,
 * tc or the shell.  Each test is a fresh fork, so each fault strikes once
 * per test.  ZC_FAULT selects one fault:
 *
 *   errq_drop      the first notification is lost
 *   errq_dup       the first notification is delivered twice
 *   errq_drop_dup  the first is lost, the second delivered twice: the
 *                  number of ids completed still balances
 *   errq_stop      every notification after the first two is lost
 *   errq_unknown   the first notification names ids 1000 higher
 *   errq_shift     the first notification's range is shifted up by one
 *   errq_swap      ee_info and ee_data swapped in the first range of
 *                  more than one id
 *   errq_copied    the COPIED bit of the first notification flipped
 *   errq_errno     the first notification carries ee_errno EIO
 *   errq_origin    the first notification has ee_origin LOCAL
 *   errq_ctrunc    the first notification comes with MSG_CTRUNC
 *   errq_reorder   the first two notifications swap places, and TCP_INFO
 *                  shows no retransmission that would explain it
 *   errq_reorder_rtx  the same, but TCP_INFO shows 7 retransmissions,
 *                  which make it legal
 *   errq_split     the first notification of more than one id comes as
 *                  two with contiguous ranges: a merge the kernel missed
 *   errq_spin      every notification after the first two is lost, and
 *                  epoll_wait() returns at once: a wait that spins
 *   pollerr_empty  poll() raises POLLERR with nothing to read
 *   sk_err         after the 100th send, sk_err is set (SO_ERROR
 *                  ECONNRESET, and POLLERR until it is read)
 *   send_eintr     the 10th send fails with EINTR, once
 *   send_enobufs   the 10th send fails with ENOBUFS, once
 *   send_short     every stream send of more than 1000 bytes is cut
 *                  short by 1000 (a short write)
 *   send_enobufs_sent  the 3rd zero-copy send is made, then reported as
 *                  ENOBUFS: a refused send that took an id
 *   send_copy_zerocopy  copy sends (flags without MSG_ZEROCOPY) are made
 *                  with MSG_ZEROCOPY: copy calls that take ids
 *   send_zero_len_copy  zero-length sends lose MSG_ZEROCOPY: a kernel
 *                  that gives them no id, as msg_zerocopy.rst says
 *   errq_block     a blocking recvmsg(MSG_ERRQUEUE) waits on the data
 *                  queue until SO_RCVTIMEO instead of returning EAGAIN
 *   send_enobufs_copy  a zero-copy send refused with ENOBUFS is made as a
 *                  copy and reported sent: a kernel that falls back to
 *                  copying instead of refusing
 *   errq_early     id 20 of a socket completes as soon as it is sent (a
 *                  notification forged for the next error-queue read),
 *                  and the kernel's completion of it is left out later:
 *                  a kernel that signals completion while it still
 *                  references the pages
 *   sockopt_accept setsockopt(SO_ZEROCOPY) succeeds on every socket
 *   close_eio      close() of a socket with SO_ZEROCOPY set closes it and
 *                  reports EIO
 *   errq_unmerge   every notification of several ids comes as one per
 *                  id, COPIED exactly for the ids sent to loopback (by
 *                  sendto()): a kernel that keeps completions of
 *                  different kinds apart
 *   peer_late      the receiver binds 1.5 s late (must still pass)
 *   peer_die       the receiver dies before it is ready
 *   peer_die_mid   the receiver dies after its first recv()
 *   peer_corrupt   the receiver sees one byte flipped
 *   peer_dup       the receiver gets its first datagram (frame) twice
 *   peer_swap      the receiver gets its first two datagrams swapped
 *
 * Packet sockets (tests/packet_tx_ring).  The library learns each TX ring's
 * layout from setsockopt() and mmap(), so that it can change frame states
 * the way a misbehaving kernel would:
 *
 *   ring_block     a non-blocking ring send is made blocking
 *   ring_noblock   a blocking ring send is made non-blocking
 *   ring_short     a ring send reports one byte less than it sent
 *   ring_early     after a non-blocking ring send, every frame SENDING
 *                  is marked AVAILABLE: completed before it was sent
 *   ring_unsent    after the first non-blocking ring send, the last frame
 *                  it sent is SEND_REQUEST again, as if left behind
 *   ring_no_wrong_format  a malformed frame is left AVAILABLE, not
 *                  marked TP_STATUS_WRONG_FORMAT
 *   ring_unstall   a malformed frame given up (marked AVAILABLE) no longer
 *                  holds the frames after it: the next send goes on
 *   ring_hide_enobufs  a ring send failing with ENOBUFS returns 0
 *   ring_lose_dropped  after ENOBUFS, the dropped frame is marked
 *                  AVAILABLE instead of being handed back: lost
 *   bypass_ignored PACKET_QDISC_BYPASS is accepted and ignored
 *   loss_ignored   PACKET_LOSS is accepted and ignored
 *   loss_forced    PACKET_LOSS is set on every packet socket that picks
 *                  a TPACKET version: malformed frames are skipped
 *   so_zerocopy_ok SO_ZEROCOPY is accepted on packet sockets
 *   zc_send_fail   a packet send with MSG_ZEROCOPY fails with ENOBUFS
 *   zc_shared      packet sends with MSG_ZEROCOPY are held and made at
 *                  the next plain send, from the caller's buffers as they
 *                  are then: what sharing the pages would look like
 *   errq_entry     reading a packet socket's error queue finds an entry
 *   errq_einval    reading a packet socket's error queue fails, EINVAL
 *   pollout_strict poll() on a TX ring reports POLLOUT only while some
 *                  frame is AVAILABLE
 *   pollout_never  poll() on a TX ring never reports POLLOUT
 */
/*
 * RTLD_NEXT and struct mmsghdr need _GNU_SOURCE, which
 * older kernel trees' lib.mk does not define.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/errqueue.h>
#include <linux/if_packet.h>

#ifndef MSG_ZEROCOPY
#define MSG_ZEROCOPY 0x4000000
#endif
#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY 60
#endif

static const char *fault;	/* NULL: this process is left alone */

__attribute__((constructor)) static void fault_init(void)
{
	const char *targets = getenv("ZC_FAULT_TARGETS");
	const char *me = program_invocation_short_name;
	size_t n = strlen(me);
	const char *p;

	if (!targets || !*targets)
		targets = "notif_contract";
	for (p = strstr(targets, me); p; p = strstr(p + 1, me))
		if ((p == targets || p[-1] == ' ' || p[-1] == ',') &&
		    (p[n] == '\0' || p[n] == ' ' || p[n] == ','))
			break;
	if (p)
		fault = getenv("ZC_FAULT");
}

static bool fault_is(const char *name)
{
	return fault && !strcmp(fault, name);
}

static void *next_sym(const char *name)
{
	void *sym = dlsym(RTLD_NEXT, name);

	if (!sym)
		abort();
	return sym;
}

/*
 * ---- error queue: a fault acts on each notification in turn ----
 *
 * The entries the library holds back are the process's, but each belongs
 * to the socket it was read from: only a read of that descriptor gets
 * it, and close() drops it.
 */

#define MAX_HELD 8
#define CTL_LEN 128

/* One error-queue message, as the application would have received it. */
struct entry {
	int fd;			/* the socket whose error queue it is on */
	char control[CTL_LEN];
	size_t controllen;
	int flags;
};

/* Per socket (by descriptor): the ids its zero-copy sends took. */
#define MAX_FD 64
#define MAX_IDS 64
#define EARLY_ID 20

static struct {
	unsigned int ids;		/* zero-copy sends made */
	bool looped[MAX_IDS];		/* ... sent to a loopback address */
} per_fd[MAX_FD];

static int early_fd = -1;		/* errq_early: forge for this one */
static bool early_forged;

/* A zero-copy send on @fd took the next id; @looped: to loopback. */
static void took_id(int fd, bool looped)
{
	unsigned int id;

	if (fd < 0 || fd >= MAX_FD)
		return;
	id = per_fd[fd].ids++;
	if (id < MAX_IDS)
		per_fd[fd].looped[id] = looped;
	if (id == EARLY_ID && fault_is("errq_early") && early_fd == -1)
		early_fd = fd;
}

static struct entry held[MAX_HELD];	/* delivered before the next ones */
static unsigned int nr_held;
static unsigned int seen;		/* notifications from the kernel */
static bool done;

/* The extended error of @e, whichever of its control messages it is. */
static struct sock_extended_err *ee_of(struct entry *e)
{
	struct msghdr msg = {
		.msg_control = e->control,
		.msg_controllen = e->controllen,
	};
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if ((cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR) ||
		    (cm->cmsg_level == SOL_IPV6 &&
		     cm->cmsg_type == IPV6_RECVERR))
			return (struct sock_extended_err *)CMSG_DATA(cm);
	return NULL;
}

/*
 * Set the range (and with @code >= 0 the code) of @e's notification.
 * Through memcpy(): the entry is a char buffer, and stores through a
 * struct pointer into it may be reordered past the copy in hold().
 */
static void set_range(struct entry *e, uint32_t lo, uint32_t hi, int code)
{
	unsigned char *p = (unsigned char *)ee_of(e);
	struct sock_extended_err ee;

	memcpy(&ee, p, sizeof(ee));
	ee.ee_info = lo;
	ee.ee_data = hi;
	if (code >= 0)
		ee.ee_code = code;
	memcpy(p, &ee, sizeof(ee));
}

static void hold(const struct entry *e)
{
	if (nr_held == MAX_HELD) {
		fprintf(stderr, "fault_inject: ZC_FAULT=%s: more than %d error-queue entries held back (fd %d): entries would be lost; raise MAX_HELD\n",
			fault, MAX_HELD, e->fd);
		abort();
	}
	held[nr_held++] = *e;
}

/*
 * Turn notification @e (the kernel's seen-th) into what the application
 * gets: kept, changed, dropped, doubled (both through held[]).
 */
static void mangle(int fd, struct entry *e)
{
	struct sock_extended_err *ee = ee_of(e);
	static struct entry first;
	uint32_t tmp, id, lo, hi;

	seen++;
	if (fault_is("errq_early") && ee && early_forged && fd == early_fd &&
	    ee->ee_info <= EARLY_ID && EARLY_ID <= ee->ee_data) {
		/* Forged already: the rest of the range, if any. */
		lo = ee->ee_info;
		hi = ee->ee_data;
		if (lo < EARLY_ID) {
			set_range(e, lo, EARLY_ID - 1, -1);
			hold(e);
		}
		if (hi > EARLY_ID) {
			set_range(e, EARLY_ID + 1, hi, -1);
			hold(e);
		}
		return;
	}
	if (fault_is("errq_unmerge") && ee && fd >= 0 && fd < MAX_FD) {
		lo = ee->ee_info;
		hi = ee->ee_data;
		for (id = lo; id - lo <= hi - lo; id++) {
			set_range(e, id, id,
				  id < MAX_IDS && per_fd[fd].looped[id] ?
				  SO_EE_CODE_ZEROCOPY_COPIED : 0);
			hold(e);
		}
		return;
	}
	if (fault_is("errq_stop") || fault_is("errq_spin")) {
		if (seen <= 2)
			hold(e);
		return;
	}
	if (done || !ee) {
		hold(e);
		return;
	}
	if (fault_is("errq_drop")) {
		done = true;
		return;
	}
	if (fault_is("errq_dup")) {
		done = true;
		hold(e);
		hold(e);
		return;
	}
	if (fault_is("errq_drop_dup")) {
		if (seen == 1)
			return;
		done = true;
		hold(e);
		hold(e);
		return;
	}
	if (fault_is("errq_reorder") || fault_is("errq_reorder_rtx")) {
		if (seen == 1) {
			first = *e;
			return;
		}
		done = true;
		hold(e);
		hold(&first);
		return;
	}
	if (fault_is("errq_split")) {
		if (ee->ee_info == ee->ee_data) {
			hold(e);
			return;
		}
		tmp = ee->ee_data;
		ee->ee_data = ee->ee_info;
		hold(e);
		ee->ee_info++;
		ee->ee_data = tmp;
		done = true;
		hold(e);
		return;
	}
	if (fault_is("errq_swap")) {
		if (ee->ee_info == ee->ee_data) {
			hold(e);
			return;
		}
		tmp = ee->ee_info;
		ee->ee_info = ee->ee_data;
		ee->ee_data = tmp;
	} else if (fault_is("errq_unknown")) {
		ee->ee_info += 1000;
		ee->ee_data += 1000;
	} else if (fault_is("errq_shift")) {
		ee->ee_info++;
		ee->ee_data++;
	} else if (fault_is("errq_copied")) {
		ee->ee_code ^= SO_EE_CODE_ZEROCOPY_COPIED;
	} else if (fault_is("errq_errno")) {
		ee->ee_errno = EIO;
	} else if (fault_is("errq_origin")) {
		ee->ee_origin = SO_EE_ORIGIN_LOCAL;
	} else if (fault_is("errq_ctrunc")) {
		e->flags |= MSG_CTRUNC;
	}
	done = true;
	hold(e);
}

/*
 * Hand out what is held for @fd, in order, into the caller's messages;
 * the entries of other sockets stay, in their order.
 */
static int deliver(int fd, struct mmsghdr *msgs, unsigned int vlen)
{
	unsigned int i, kept = 0, n = 0;
	bool full = false;
	struct msghdr *m;

	for (i = 0; i < nr_held; i++) {
		if (held[i].fd != fd || full || n == vlen ||
		    msgs[n].msg_hdr.msg_controllen < held[i].controllen) {
			/* Nothing of @fd after one that did not fit. */
			full |= held[i].fd == fd;
			held[kept++] = held[i];
			continue;
		}
		m = &msgs[n].msg_hdr;
		memcpy(m->msg_control, held[i].control, held[i].controllen);
		m->msg_controllen = held[i].controllen;
		m->msg_flags = held[i].flags;
		msgs[n].msg_len = 0;
		n++;
	}
	nr_held = kept;
	return n;
}

/* @fd is closed: what is held for it goes with it. */
static void drop_held(int fd)
{
	unsigned int i, kept = 0;

	for (i = 0; i < nr_held; i++)
		if (held[i].fd != fd)
			held[kept++] = held[i];
	nr_held = kept;
}

/* errq_early: a zero-copy completion of id EARLY_ID, as the kernel's. */
static void forge(int fd)
{
	struct sock_extended_err ee = {
		.ee_origin = SO_EE_ORIGIN_ZEROCOPY,
		.ee_info = EARLY_ID,
		.ee_data = EARLY_ID,
	};
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct cmsghdr cm = { 0 };
	struct entry e = { .fd = fd };
	bool v6;
	size_t n;

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return;
	v6 = ss.ss_family == AF_INET6;
	/* The error, then its offender address (zeroed), as the kernel. */
	n = sizeof(ee) + (v6 ? sizeof(struct sockaddr_in6) :
			       sizeof(struct sockaddr_in));
	cm.cmsg_level = v6 ? SOL_IPV6 : SOL_IP;
	cm.cmsg_type = v6 ? IPV6_RECVERR : IP_RECVERR;
	cm.cmsg_len = CMSG_LEN(n);
	/* memcpy(): see set_range(). */
	memset(e.control, 0, sizeof(e.control));
	memcpy(e.control, &cm, sizeof(cm));
	memcpy(e.control + CMSG_LEN(0), &ee, sizeof(ee));
	e.controllen = CMSG_SPACE(n);
	hold(&e);
	early_forged = true;
}

int recvmmsg(int fd, struct mmsghdr *msgs, unsigned int vlen, int flags,
	     struct timespec *timeout)
{
	static int (*real)(int, struct mmsghdr *, unsigned int, int,
			   struct timespec *);
	struct mmsghdr one;
	struct entry e;
	int n;

	if (!real)
		real = next_sym("recvmmsg");
	if (!fault || strncmp(fault, "errq_", 5) || !(flags & MSG_ERRQUEUE))
		return real(fd, msgs, vlen, flags, timeout);
	if (fault_is("errq_early") && fd == early_fd && !early_forged)
		forge(fd);
	/* Read the kernel's entries one at a time while room is left. */
	while (nr_held < MAX_HELD - 1) {
		memset(&one, 0, sizeof(one));
		one.msg_hdr.msg_control = e.control;
		one.msg_hdr.msg_controllen = sizeof(e.control);
		n = real(fd, &one, 1, flags | MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		e.fd = fd;
		e.controllen = one.msg_hdr.msg_controllen;
		e.flags = one.msg_hdr.msg_flags;
		mangle(fd, &e);
	}
	n = deliver(fd, msgs, vlen);
	if (!n) {
		errno = EAGAIN;
		return -1;
	}
	return n;
}

/* ---- waits ---- */

int epoll_wait(int ep, struct epoll_event *ev, int max, int timeout)
{
	static int (*real)(int, struct epoll_event *, int, int);

	if (!real)
		real = next_sym("epoll_wait");
	return real(ep, ev, max, fault_is("errq_spin") ? 0 : timeout);
}

/* ---- sk_err and POLLERR ---- */

static unsigned int sends;
static bool sk_err_pending;

static void ring_pollout(struct pollfd *pfd);

int poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	static int (*real)(struct pollfd *, nfds_t, int);
	bool fake = fault_is("pollerr_empty") || sk_err_pending;
	nfds_t i;
	int n;

	if (!real)
		real = next_sym("poll");
	if (nfds == 1 && (fds[0].events & POLLOUT) &&
	    (fault_is("pollout_strict") || fault_is("pollout_never"))) {
		n = real(fds, nfds, timeout);
		if (n > 0)
			ring_pollout(&fds[0]);
		return n > 0 && !fds[0].revents ? 0 : n;
	}
	/* Only the sender's error-queue checks poll with events 0. */
	if (!fake || nfds != 1 || fds[0].events)
		return real(fds, nfds, timeout);
	n = real(fds, nfds, 0);
	for (i = 0; i < nfds; i++)
		fds[i].revents |= POLLERR;
	return n < 0 ? n : 1;
}

int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	static int (*real)(int, int, int, void *, socklen_t *);
	int ret;

	if (!real)
		real = next_sym("getsockopt");
	if (sk_err_pending && level == SOL_SOCKET && name == SO_ERROR &&
	    *len >= sizeof(int)) {
		sk_err_pending = false;
		*(int *)val = ECONNRESET;
		*len = sizeof(int);
		return 0;
	}
	ret = real(fd, level, name, val, len);
	if (!ret && level == IPPROTO_TCP && name == TCP_INFO &&
	    *len >= sizeof(struct tcp_info) && fault &&
	    !strncmp(fault, "errq_reorder", 12))
		((struct tcp_info *)val)->tcpi_total_retrans =
			fault_is("errq_reorder_rtx") ? 7 : 0;
	return ret;
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	static ssize_t (*real)(int, const void *, size_t, int);
	ssize_t ret;
	int type = 0;
	socklen_t tlen = sizeof(type);

	if (!real)
		real = next_sym("send");
	if (fault_is("send_copy_zerocopy") && !(flags & MSG_ZEROCOPY))
		flags |= MSG_ZEROCOPY;
	if (fault && !strncmp(fault, "errq_", 5) && (flags & MSG_ZEROCOPY)) {
		ret = real(fd, buf, len, flags);
		if (ret >= 0)
			took_id(fd, false);
		return ret;
	}
	if (fault_is("send_zero_len_copy") && !len)
		flags &= ~MSG_ZEROCOPY;
	if (fault && (flags & MSG_ZEROCOPY)) {
		sends++;
		if (sends == 10 && fault_is("send_eintr")) {
			errno = EINTR;
			return -1;
		}
		if (sends == 10 && fault_is("send_enobufs")) {
			errno = ENOBUFS;
			return -1;
		}
		if (sends == 3 && fault_is("send_enobufs_sent")) {
			real(fd, buf, len, flags);
			errno = ENOBUFS;
			return -1;
		}
		if (sends == 100 && fault_is("sk_err"))
			sk_err_pending = true;
		if (fault_is("send_enobufs_copy")) {
			ret = real(fd, buf, len, flags);
			if (ret < 0 && errno == ENOBUFS)
				ret = real(fd, buf, len, flags & ~MSG_ZEROCOPY);
			return ret;
		}
		if (fault_is("send_short") && len > 1000 &&
		    !getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) &&
		    type == SOCK_STREAM)
			len -= 1000;
	}
	return real(fd, buf, len, flags);
}

/* Whether @addr is a loopback address. */
static bool loopback(const struct sockaddr *addr)
{
	const struct sockaddr_in6 *a6 = (const void *)addr;
	const struct sockaddr_in *a4 = (const void *)addr;

	if (!addr)
		return false;
	if (addr->sa_family == AF_INET)
		return (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
	return addr->sa_family == AF_INET6 &&
	       IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
}

/* ---- the receiver ---- */

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	static int (*real)(int, const struct sockaddr *, socklen_t);
	struct timespec late = { .tv_sec = 1, .tv_nsec = 500000000 };

	if (!real)
		real = next_sym("bind");
	if (fault_is("peer_die"))
		_exit(3);
	if (fault_is("peer_late"))
		nanosleep(&late, NULL);	/* the fault itself, not a wait */
	return real(fd, addr, len);
}

/* The receiver's first datagram, held back or repeated. */
static char first_buf[65536];
static ssize_t first_len = -1;

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	static ssize_t (*real)(int, void *, size_t, int);
	static unsigned int calls;
	ssize_t n;

	if (!real)
		real = next_sym("recv");
	/* The one held back or repeated, in the place of a later one. */
	if (first_len >= 0 && calls == 2 && len >= (size_t)first_len &&
	    (fault_is("peer_dup") || fault_is("peer_swap"))) {
		calls++;
		memcpy(buf, first_buf, first_len);
		return first_len;
	}
	n = real(fd, buf, len, flags);
	if (n <= 0 || !fault)
		return n;
	if ((fault_is("peer_dup") || fault_is("peer_swap")) && !calls++ &&
	    (size_t)n <= sizeof(first_buf)) {
		memcpy(first_buf, buf, n);
		first_len = n;
		if (fault_is("peer_swap")) {
			errno = EAGAIN;		/* it comes after the next */
			return -1;
		}
		calls++;
		return n;
	}
	if (fault_is("peer_die_mid") && calls++)
		_exit(5);
	if (fault_is("peer_corrupt") && !calls++)
		((char *)buf)[n - 1] ^= 0x5a;
	return n;
}

/* ---- packet sockets ---- */

static bool is_packet(int fd)
{
	int domain = 0;
	socklen_t len = sizeof(domain);

	return !getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) &&
	       domain == AF_PACKET;
}

#define MAX_RINGS 8

/* A TX ring of this process, as set up and mapped. */
static struct ring {
	int fd;			/* 0: unused slot */
	int wrong;		/* the frame last seen WRONG_FORMAT, -1 none */
	int version;
	unsigned int block_size;
	unsigned int frame_size;
	unsigned int frames;
	uint8_t *map;
} rings[MAX_RINGS];

static struct ring *ring_of(int fd, bool add)
{
	int i;

	for (i = 0; i < MAX_RINGS; i++)
		if (rings[i].fd == fd + 1)
			return &rings[i];
	for (i = 0; add && i < MAX_RINGS; i++) {
		if (!rings[i].fd) {
			memset(&rings[i], 0, sizeof(rings[i]));
			rings[i].fd = fd + 1;
			rings[i].wrong = -1;
			return &rings[i];
		}
	}
	return NULL;
}

static uint8_t *frame_of(const struct ring *r, unsigned int i)
{
	unsigned int per_block = r->block_size / r->frame_size;

	return r->map + (size_t)(i / per_block) * r->block_size +
	       (size_t)(i % per_block) * r->frame_size;
}

static uint32_t *status_word(const struct ring *r, unsigned int i)
{
	if (r->version == TPACKET_V3)
		return &((struct tpacket3_hdr *)frame_of(r, i))->tp_status;
	return &((struct tpacket2_hdr *)frame_of(r, i))->tp_status;
}

/* tp_status is shared with the kernel: read and written whole. */
static uint32_t status_of(const struct ring *r, unsigned int i)
{
	return __atomic_load_n(status_word(r, i), __ATOMIC_ACQUIRE);
}

static void set_status(const struct ring *r, unsigned int i, uint32_t st)
{
	__atomic_store_n(status_word(r, i), st, __ATOMIC_RELEASE);
}

static uint32_t *len_of(const struct ring *r, unsigned int i)
{
	if (r->version == TPACKET_V3)
		return &((struct tpacket3_hdr *)frame_of(r, i))->tp_len;
	return &((struct tpacket2_hdr *)frame_of(r, i))->tp_len;
}

/*
 * Before a send: a malformed frame the application gave up on (now
 * AVAILABLE) is rewritten like the frame before it and requested again,
 * so that the send goes on past it.
 */
static void ring_before_send(struct ring *r)
{
	int i = r->wrong;

	if (!r->map || i < 1 || !fault_is("ring_unstall") ||
	    status_of(r, i) != TP_STATUS_AVAILABLE)
		return;
	*len_of(r, i) = *len_of(r, i - 1);
	if (r->version == TPACKET_V3)
		((struct tpacket3_hdr *)frame_of(r, i))->tp_next_offset = 0;
	set_status(r, i, TP_STATUS_SEND_REQUEST);
	r->wrong = -1;
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	static int (*real)(int, int, int, const void *, socklen_t);
	const struct tpacket_req *req = val;
	struct ring *r;
	int one = 1, ret;

	if (!real)
		real = next_sym("setsockopt");
	if (!fault)
		return real(fd, level, name, val, len);
	if (level == SOL_SOCKET && name == SO_ZEROCOPY &&
	    (fault_is("sockopt_accept") ||
	     (fault_is("so_zerocopy_ok") && is_packet(fd))))
		return 0;
	if (level != SOL_PACKET)
		return real(fd, level, name, val, len);
	if ((name == PACKET_QDISC_BYPASS && fault_is("bypass_ignored")) ||
	    (name == PACKET_LOSS && fault_is("loss_ignored")))
		return 0;
	ret = real(fd, level, name, val, len);
	if (ret)
		return ret;
	if (name == PACKET_VERSION && fault_is("loss_forced"))
		real(fd, SOL_PACKET, PACKET_LOSS, &one, sizeof(one));
	r = ring_of(fd, name == PACKET_VERSION || name == PACKET_TX_RING);
	if (r && name == PACKET_VERSION)
		r->version = *(const int *)val;
	if (r && name == PACKET_TX_RING) {
		r->block_size = req->tp_block_size;
		r->frame_size = req->tp_frame_size;
		r->frames = req->tp_frame_nr;
	}
	return 0;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	static void *(*real)(void *, size_t, int, int, int, off_t);
	struct ring *r = fault && fd >= 0 ? ring_of(fd, false) : NULL;
	void *p;

	if (!real)
		real = next_sym("mmap");
	p = real(addr, len, prot, flags, fd, off);
	if (r && r->frames && p != MAP_FAILED)
		r->map = p;
	return p;
}

/* POLLOUT on a TX ring as pollout_strict or pollout_never have it. */
static void ring_pollout(struct pollfd *pfd)
{
	struct ring *r = ring_of(pfd->fd, false);
	unsigned int i;

	if (!r || !r->map)
		return;
	for (i = 0; i < r->frames && fault_is("pollout_strict"); i++)
		if (status_of(r, i) == TP_STATUS_AVAILABLE)
			return;
	pfd->revents &= ~(POLLOUT | POLLWRNORM | POLLWRBAND);
}

/* What a misbehaving kernel leaves in the ring after a send. */
static void ring_after_send(struct ring *r, ssize_t n, int err, int flags)
{
	static unsigned int nonblocking;
	int i, last = -1;

	if (!r->map)
		return;
	for (i = 0; n < 0 && err != ENOBUFS && i < (int)r->frames; i++) {
		if (status_of(r, i) != TP_STATUS_WRONG_FORMAT)
			continue;
		r->wrong = i;
		if (fault_is("ring_no_wrong_format"))
			set_status(r, i, TP_STATUS_AVAILABLE);
	}
	if (fault_is("ring_lose_dropped") && n < 0 && err == ENOBUFS) {
		for (i = 0; i < (int)r->frames; i++) {
			if (status_of(r, i) == TP_STATUS_SEND_REQUEST) {
				set_status(r, i, TP_STATUS_AVAILABLE);
				break;
			}
		}
	}
	if (n < 0 || !(flags & MSG_DONTWAIT))
		return;
	if (fault_is("ring_early"))
		for (i = 0; i < (int)r->frames; i++)
			if (status_of(r, i) == TP_STATUS_SENDING)
				set_status(r, i, TP_STATUS_AVAILABLE);
	if (fault_is("ring_unsent") && !nonblocking++) {
		for (i = 0; i < (int)r->frames; i++)
			if (*len_of(r, i))
				last = i;
		if (last >= 0)
			set_status(r, last, TP_STATUS_SEND_REQUEST);
	}
}

/* Sends with MSG_ZEROCOPY held back by zc_shared. */
#define MAX_HELD_SENDS 8
static struct held_send {
	int fd;
	const void *buf;
	size_t len;
	struct sockaddr_storage to;
	socklen_t tolen;
} held_sends[MAX_HELD_SENDS];
static unsigned int nr_held_sends;

ssize_t sendto(int fd, const void *buf, size_t len, int flags,
	       const struct sockaddr *to, socklen_t tolen)
{
	static ssize_t (*real)(int, const void *, size_t, int,
			       const struct sockaddr *, socklen_t);
	struct ring *r = fault && !buf && !len ? ring_of(fd, false) : NULL;
	struct held_send *h;
	unsigned int i;
	ssize_t n;
	int err;

	if (!real)
		real = next_sym("sendto");
	if (r) {
		if (fault_is("ring_block"))
			flags &= ~MSG_DONTWAIT;
		if (fault_is("ring_noblock"))
			flags |= MSG_DONTWAIT;
		ring_before_send(r);
		n = real(fd, buf, len, flags, to, tolen);
		err = errno;
		ring_after_send(r, n, err, flags);
		if (fault_is("ring_hide_enobufs") && n < 0 && err == ENOBUFS)
			return 0;
		if (fault_is("ring_short") && n > 0)
			return n - 1;
		errno = err;
		return n;
	}
	if (fault && (flags & MSG_ZEROCOPY) && is_packet(fd)) {
		if (fault_is("zc_send_fail")) {
			errno = ENOBUFS;
			return -1;
		}
		if (fault_is("zc_shared") && nr_held_sends < MAX_HELD_SENDS &&
		    tolen <= sizeof(h->to)) {
			h = &held_sends[nr_held_sends++];
			h->fd = fd;
			h->buf = buf;
			h->len = len;
			memcpy(&h->to, to, tolen);
			h->tolen = tolen;
			return len;
		}
	}
	for (i = 0; i < nr_held_sends; i++) {
		h = &held_sends[i];
		real(h->fd, h->buf, h->len, 0, (struct sockaddr *)&h->to,
		     h->tolen);
	}
	nr_held_sends = 0;
	n = real(fd, buf, len, flags, to, tolen);
	if (n >= 0 && (flags & MSG_ZEROCOPY) && fault &&
	    !strncmp(fault, "errq_", 5))
		took_id(fd, loopback(to));
	return n;
}

/* ---- calls both the error-queue and the ring faults act on ---- */

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	static ssize_t (*real)(int, struct msghdr *, int);
	struct mmsghdr one = { .msg_hdr = *msg };
	int n;

	if (!real)
		real = next_sym("recvmsg");
	if (fault_is("errq_entry") && (flags & MSG_ERRQUEUE) &&
	    is_packet(fd)) {
		msg->msg_controllen = 0;
		msg->msg_flags = 0;
		return 0;
	}
	if (fault_is("errq_einval") && (flags & MSG_ERRQUEUE) &&
	    is_packet(fd)) {
		errno = EINVAL;
		return -1;
	}
	if (fault_is("errq_block") && (flags & MSG_ERRQUEUE) &&
	    !(flags & MSG_DONTWAIT))
		return real(fd, msg, flags & ~MSG_ERRQUEUE);
	/* A non-blocking read of one entry goes through the same faults. */
	if (fault && !strncmp(fault, "errq_", 5) && (flags & MSG_ERRQUEUE) &&
	    (flags & MSG_DONTWAIT)) {
		n = recvmmsg(fd, &one, 1, flags, NULL);
		if (n == 1)
			*msg = one.msg_hdr;
		return n == 1 ? (ssize_t)one.msg_len : -1;
	}
	return real(fd, msg, flags);
}

/* A descriptor closed: a new socket may take its number. */
int close(int fd)
{
	static int (*real)(int);
	struct ring *r = fault && fd >= 0 ? ring_of(fd, false) : NULL;
	socklen_t len = sizeof(int);
	int zc = 0, ret;

	if (!real)
		real = next_sym("close");
	if (r)
		r->fd = 0;
	if (fault && fd >= 0)
		drop_held(fd);
	if (fault && fd >= 0 && fd < MAX_FD) {
		memset(&per_fd[fd], 0, sizeof(per_fd[fd]));
		if (fd == early_fd && early_forged)
			early_fd = -2;	/* done: once per process */
	}
	if (fault_is("close_eio") &&
	    !getsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, &zc, &len) && zc) {
		ret = real(fd);
		errno = EIO;
		return ret ? ret : -1;
	}
	return real(fd);
}
