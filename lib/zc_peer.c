// SPDX-License-Identifier: GPL-2.0
/* The receiving peer: see zc_peer.h. */
/*
 * accept4() and pipe2() need _GNU_SOURCE, which
 * older kernel trees' lib.mk does not define.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/if_packet.h>

#include "zc_net.h"
#include "zc_packet.h"
#include "zc_peer.h"
#include "zc_sys.h"

#define PEER_CHUNK 65536
#define PEER_RCVBUF (8 << 20)

struct peer_ready {
	uint16_t port;
	uint8_t mac[ETH_ALEN];
	int err;
	char what[64];		/* the step that failed with err */
};

static void set_why(struct zc_peer_result *r, int err, const char *what)
{
	if (r->err)
		return;
	r->err = err;
	snprintf(r->why, sizeof(r->why), "%s: %s", what, strerror(err));
}

/* Child: wait for @fd to be readable until @deadline. */
static int wait_readable(int fd, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int ret;

	do {
		ret = poll(&pfd, 1, zc_left_ms(deadline));
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	return ret ? 0 : -ETIMEDOUT;
}

/*
 * Child: the next read from @fd, waiting at most @idle_ms for it.
 * Return: its length (0 at end of stream), or -1 after recording why in @r.
 */
static ssize_t recv_next(int fd, char *buf, size_t len, int idle_ms,
			 struct zc_peer_result *r, const char *waiting_for)
{
	int64_t deadline = zc_now_ms() + idle_ms;
	ssize_t n;
	int ret;

	for (;;) {
		ret = wait_readable(fd, deadline);
		if (ret) {
			set_why(r, -ret, waiting_for);
			return -1;
		}
		n = recv(fd, buf, len, MSG_DONTWAIT);
		if (n >= 0)
			return n;
		if (errno != EAGAIN && errno != EINTR) {
			set_why(r, errno, "recv");
			return -1;
		}
	}
}

static void recv_stream(int lfd, const struct zc_peer_spec *spec,
			struct zc_peer_result *r)
{
	static char buf[PEER_CHUNK];
	ssize_t n;
	long bad;
	int fd, ret;

	ret = wait_readable(lfd, zc_now_ms() + spec->idle_ms);
	if (ret) {
		set_why(r, -ret, "no connection to accept");
		return;
	}
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		set_why(r, errno, "accept");
		return;
	}
	/* Until EOF: the sender is done. */
	while ((n = recv_next(fd, buf, sizeof(buf), spec->idle_ms, r,
			      "waiting for data")) > 0) {
		bad = zc_verify(buf, n, r->bytes);
		if (bad >= 0 && !r->bad++)
			r->first_bad = r->bytes + bad;
		r->bytes += n;
	}
	close(fd);
	if (r->bytes != spec->bytes && !r->err)
		snprintf(r->why, sizeof(r->why), "stream ended at %llu bytes",
			 (unsigned long long)r->bytes);
}

static void recv_dgrams(int fd, const struct zc_peer_spec *spec,
			struct zc_peer_result *r)
{
	static char buf[PEER_CHUNK];
	uint32_t seq, unique = 0;
	uint8_t *seen;
	ssize_t n;

	seen = calloc(spec->datagrams ? spec->datagrams : 1, 1);
	if (!seen) {
		set_why(r, ENOMEM, "out of memory for the record of datagrams seen");
		return;
	}
	/* Every datagram arrived, intact or not: nothing more will. */
	while (unique + r->bad < spec->datagrams) {
		n = recv_next(fd, buf, sizeof(buf), spec->idle_ms, r,
			      "waiting for datagrams");
		if (n < 0)
			break;
		r->datagrams++;
		r->bytes += n;
		if ((size_t)n != spec->size || n < 4) {
			if (!r->bad++)
				r->first_bad = r->datagrams - 1;
			continue;
		}
		memcpy(&seq, buf, sizeof(seq));
		seq = le32toh(seq);
		if (seq >= spec->datagrams ||
		    zc_verify(buf + 4, n - 4, (uint64_t)seq * spec->size + 4) >= 0) {
			if (!r->bad++)
				r->first_bad = seq;
			continue;
		}
		if (seen[seq]++)
			r->duplicates++;
		else
			unique++;
	}
	free(seen);
}

/* Test frames until the end marker: each one checked, its number logged. */
static void recv_frames(int fd, const struct zc_peer_spec *spec,
			const uint8_t *mac, struct zc_peer_result *r)
{
	static uint8_t buf[PEER_CHUNK];
	uint32_t seq;
	ssize_t n;
	long bad;

	for (;;) {
		n = recv_next(fd, (char *)buf, sizeof(buf), spec->idle_ms, r,
			      "waiting for frames");
		if (n < 0)
			break;
		seq = ZC_FRAME_END - 1;		/* too short to say */
		bad = zc_frame_verify(buf, n, spec->size, mac, spec->src_mac,
				      &seq);
		if (bad >= 0 && !r->bad++) {
			r->first_bad = r->frames;
			snprintf(r->bad_what, sizeof(r->bad_what),
				 "frame %u (%zd bytes): byte %ld differs",
				 seq, n, bad);
		}
		if (seq == ZC_FRAME_END) {
			r->end = true;
			break;
		}
		if (r->frames < ZC_PEER_MAX_FRAMES) {
			r->seq[r->frames] = seq;
			r->corrupt[r->frames] = bad >= 0;
		}
		r->frames++;
		r->bytes += n;
	}
}

/* AF_PACKET: the test frames' ethertype on @spec->ifname. */
static int bind_link(int fd, const struct zc_peer_spec *spec,
		     struct peer_ready *ready)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ZC_ETH_P_TEST),
	};
	struct zc_link l;
	int ret;

	/* The caller's namespace: this process entered @spec->netns. */
	ret = zc_link_get(NULL, 0, spec->ifname, &l);
	if (ret)
		return ret;
	memcpy(ready->mac, l.mac, ETH_ALEN);
	sll.sll_ifindex = l.ifindex;
	return bind(fd, (struct sockaddr *)&sll, sizeof(sll)) ? -errno : 0;
}

static void peer_child(const struct zc_peer_spec *spec, int wfd)
{
	struct zc_peer_result r = { .first_bad = -1 };
	struct peer_ready ready = { 0 };
	int fd, rcvbuf = PEER_RCVBUF, got = 0;
	socklen_t len = sizeof(got);
	struct zc_addr a;

	if (spec->netns) {
		ready.err = -zc_netns_enter(spec->netns);
		snprintf(ready.what, sizeof(ready.what), "setns(/run/netns/%s)",
			 spec->netns);
		if (ready.err)
			goto fail;
	}
	fd = zc_socket(spec->family, spec->type, spec->idle_ms);
	if (fd < 0) {
		ready.err = -fd;
		snprintf(ready.what, sizeof(ready.what), "socket");
		goto fail;
	}
	/* Enough room that a datagram is never dropped for lack of it
	 * (SO_RCVBUFFORCE: root, and no sysctl to change).  Without it, a
	 * drop here would look like data the kernel lost.
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) ||
	    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len)) {
		ready.err = errno;
		snprintf(ready.what, sizeof(ready.what), "SO_RCVBUFFORCE %d",
			 rcvbuf);
		goto fail;
	}
	if (got < rcvbuf) {
		ready.err = ENOBUFS;
		snprintf(ready.what, sizeof(ready.what),
			 "SO_RCVBUFFORCE %d gave only %d bytes", rcvbuf, got);
		goto fail;
	}
	if (spec->family == AF_PACKET) {
		ready.err = -bind_link(fd, spec, &ready);
		snprintf(ready.what, sizeof(ready.what), "bind to %s",
			 spec->ifname);
		if (ready.err)
			goto fail;
	} else {
		zc_addr_any(&a, spec->family, 0);
		if (bind(fd, (struct sockaddr *)&a.ss, a.len) ||
		    getsockname(fd, (struct sockaddr *)&a.ss, &a.len) ||
		    (spec->type == SOCK_STREAM && listen(fd, 1))) {
			ready.err = errno;
			snprintf(ready.what, sizeof(ready.what), "bind/listen");
			goto fail;
		}
		ready.port = zc_addr_port(&a);
	}
	if (write(wfd, &ready, sizeof(ready)) != sizeof(ready))
		_exit(1);

	if (spec->family == AF_PACKET)
		recv_frames(fd, spec, ready.mac, &r);
	else if (spec->type == SOCK_STREAM)
		recv_stream(fd, spec, &r);
	else
		recv_dgrams(fd, spec, &r);
	_exit(write(wfd, &r, sizeof(r)) == sizeof(r) ? 0 : 1);
fail:
	if (write(wfd, &ready, sizeof(ready)) != sizeof(ready))
		_exit(1);
	_exit(0);
}

static void quiet_stdio(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		_exit(1);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

/* Read exactly @len bytes from the pipe before @deadline. */
static int read_msg(struct zc_peer *p, void *msg, size_t len, int64_t deadline)
{
	size_t got = 0;
	ssize_t n;
	int ret;

	while (got < len) {
		ret = wait_readable(p->pipe, deadline);
		if (ret)
			return ret;
		n = read(p->pipe, (char *)msg + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -ECHILD;	/* EOF: the child is gone */
		got += n;
	}
	return 0;
}

/* Wait until the child is gone (killed after @timeout_ms), reap it. */
static int reap(struct zc_peer *p, int timeout_ms)
{
	int ret;

	if (p->pid <= 0)
		return 0;
	ret = zc_child_reap(p->pid, p->pipe, timeout_ms, &p->status,
			    p->wait_why, sizeof(p->wait_why));
	p->pid = 0;
	return ret;
}

int zc_peer_start(struct zc_peer *p, const struct zc_peer_spec *spec,
		  int ready_timeout_ms)
{
	struct peer_ready ready;
	int fd, ret;
	pid_t pid;

	memset(p, 0, sizeof(*p));
	p->status = -1;
	/*
	 * Only the parent writes @p: it may be shared memory (a fixture
	 * whose teardown runs in the parent), where the child's 0 would
	 * overwrite the parent's pid.
	 */
	pid = zc_fork_piped(&fd);
	if (pid < 0)
		return pid;
	if (pid == 0) {
		/* Never hold the runner's output pipe open. */
		quiet_stdio();
		peer_child(spec, fd);
	}
	p->pid = pid;
	p->pipe = fd;
	ret = read_msg(p, &ready, sizeof(ready),
		       zc_now_ms() + ready_timeout_ms);
	if (!ret && ready.err) {
		ret = -ready.err;
		snprintf(p->why, sizeof(p->why), "%s", ready.what);
	}
	if (ret) {
		reap(p, ret == -ETIMEDOUT ? 0 : ready_timeout_ms);
		return ret;
	}
	p->port = ready.port;
	memcpy(p->mac, ready.mac, ETH_ALEN);
	return 0;
}

int zc_peer_finish(struct zc_peer *p, struct zc_peer_result *r,
		   int timeout_ms)
{
	int ret, err;

	memset(r, 0, sizeof(*r));
	r->first_bad = -1;
	if (p->pid <= 0)
		return -ECHILD;
	ret = read_msg(p, r, sizeof(*r), zc_now_ms() + timeout_ms);
	err = reap(p, ret == -ETIMEDOUT ? 0 : timeout_ms);
	return ret ? ret : err;
}

void zc_peer_kill(struct zc_peer *p)
{
	reap(p, 0);
}

const char *zc_peer_describe_status(const struct zc_peer *p, char *buf,
				    size_t len)
{
	if (p->status == -1 && p->wait_why[0])
		snprintf(buf, len, "was not reaped: %s", p->wait_why);
	else if (p->status == -1)
		snprintf(buf, len, "still running");
	else if (WIFEXITED(p->status))
		snprintf(buf, len, "exited with status %d",
			 WEXITSTATUS(p->status));
	else if (WIFSIGNALED(p->status))
		snprintf(buf, len, "killed by signal %d", WTERMSIG(p->status));
	else
		snprintf(buf, len, "wait status 0x%x", p->status);
	return buf;
}
