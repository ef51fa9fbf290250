// SPDX-License-Identifier: GPL-2.0
/*
 * fault_inject.so: an LD_PRELOAD library that makes the kernel, or the
 * receiver, misbehave on purpose, so that the suite's self-tests can check
 * that every such fault fails the test, with a message that says so.
 * The tests are linked dynamically for this reason: libzc reads the error
 * queue with libc recvmmsg() and the receiver uses bind() and recv().
 *
 * ZC_FAULT selects one fault:
 *   errq_drop     the first notification read is lost
 *   errq_dup      the first notification read is delivered twice
 *   errq_unknown  the first notification names ids 1000 higher
 *   errq_ctrunc   the first notification comes with MSG_CTRUNC
 *   peer_late     the receiver binds 1.5 s late (must still pass)
 *   peer_die      the receiver dies before it is ready
 *   peer_die_mid  the receiver dies after its first recv()
 *   peer_corrupt  the receiver sees one byte flipped
 * Only the sender reads error queues and only the receiver binds and calls
 * recv(), so each fault hits one side.
 */
/* RTLD_NEXT and struct mmsghdr need _GNU_SOURCE, which
 * older kernel trees' lib.mk does not define. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/errqueue.h>

static bool fault_is(const char *name)
{
	const char *f = getenv("ZC_FAULT");

	return f && !strcmp(f, name);
}

static void *next_sym(const char *name)
{
	void *sym = dlsym(RTLD_NEXT, name);

	if (!sym)
		abort();
	return sym;
}

/* The first sock_extended_err of an error-queue message. */
static struct sock_extended_err *ee_of(struct msghdr *msg)
{
	struct cmsghdr *cm = CMSG_FIRSTHDR(msg);

	return cm ? (struct sock_extended_err *)CMSG_DATA(cm) : NULL;
}

static void copy_msg(struct msghdr *to, const struct msghdr *from)
{
	memcpy(to->msg_control, from->msg_control, from->msg_controllen);
	to->msg_controllen = from->msg_controllen;
	to->msg_flags = from->msg_flags;
}

/* Apply the error-queue fault to the @n entries read; return the new count. */
static int errq_fault(struct mmsghdr *msgs, unsigned int vlen, int n)
{
	struct sock_extended_err *ee;
	int i;

	if (fault_is("errq_drop")) {
		for (i = 0; i < n - 1; i++)
			copy_msg(&msgs[i].msg_hdr, &msgs[i + 1].msg_hdr);
		return n - 1;
	}
	if (fault_is("errq_dup")) {
		copy_msg(&msgs[n].msg_hdr, &msgs[0].msg_hdr);
		return n + 1;
	}
	if (fault_is("errq_unknown") && (ee = ee_of(&msgs[0].msg_hdr))) {
		ee->ee_info += 1000;
		ee->ee_data += 1000;
	}
	if (fault_is("errq_ctrunc"))
		msgs[0].msg_hdr.msg_flags |= MSG_CTRUNC;
	return n;
}

int recvmmsg(int fd, struct mmsghdr *msgs, unsigned int vlen, int flags,
	     struct timespec *timeout)
{
	static int (*real)(int, struct mmsghdr *, unsigned int, int,
			   struct timespec *);
	static bool done;
	const char *f = getenv("ZC_FAULT");
	int n;

	if (!real)
		real = next_sym("recvmmsg");
	n = real(fd, msgs, vlen, flags, timeout);
	/* Once, on the first batch with room to add an entry (errq_dup). */
	if (done || n <= 0 || (unsigned int)n >= vlen ||
	    !(flags & MSG_ERRQUEUE) || !f || strncmp(f, "errq_", 5))
		return n;
	done = true;
	n = errq_fault(msgs, vlen, n);
	if (n == 0) {
		errno = EAGAIN;
		return -1;
	}
	return n;
}

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

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	static ssize_t (*real)(int, void *, size_t, int);
	static unsigned int calls;
	ssize_t n;

	if (!real)
		real = next_sym("recv");
	n = real(fd, buf, len, flags);
	if (n <= 0)
		return n;
	if (fault_is("peer_die_mid") && calls++)
		_exit(5);
	if (fault_is("peer_corrupt") && !calls++)
		((char *)buf)[n - 1] ^= 0x5a;
	return n;
}
