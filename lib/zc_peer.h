/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The receiving peer: a forked child that enters the peer's network
 * namespace (setns on /run/netns/NAME), binds a wildcard address on an
 * ephemeral port (or, for AF_PACKET, the test frames' ethertype on a
 * device), tells the parent the port (the device's address) through a
 * pipe once it can receive, and then verifies every byte it receives
 * against the pattern (zc_pattern(), zc_frame_verify()).  It reports what
 * it got through the same pipe.  The
 * parent never sleeps: it polls the pipe with deadlines, and the pipe's
 * end of file says that the child exited, so a late receiver delays the
 * test and a dead one fails it.
 */
#ifndef ZC_PEER_H
#define ZC_PEER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/if_ether.h>

struct zc_peer_spec {
	const char *netns;	/* namespace name, NULL for the caller's own */
	int family;		/* AF_INET, AF_INET6; or AF_PACKET: test
				 * frames (zc_packet.h) until the end marker */
	int type;		/* SOCK_STREAM (until EOF) or SOCK_DGRAM */
	uint64_t bytes;		/* SOCK_STREAM: bytes expected */
	uint32_t datagrams;	/* SOCK_DGRAM: datagrams expected ... */
	uint32_t size;		/* ... each of this size; AF_PACKET: the
				 * frames' length */
	const char *ifname;	/* AF_PACKET: the device to receive on ... */
	const uint8_t *src_mac;	/* ... and the sender's address */
	int idle_ms;		/* the child gives up after this long without
				 * a connection or data */
};

/* AF_PACKET: frame numbers logged, in order of arrival. */
#define ZC_PEER_MAX_FRAMES 256

struct zc_peer_result {
	int err;		/* 0, or errno of the failure in why */
	uint64_t bytes;		/* bytes received */
	uint32_t datagrams;	/* datagrams received, duplicates included */
	uint32_t bad;		/* datagrams or bytes not matching the pattern */
	uint32_t duplicates;	/* datagrams received twice */
	int64_t first_bad;	/* stream offset or datagram number (frames:
				 * position of arrival), -1 none */
	char why[160];		/* the first problem, in words */

	/* AF_PACKET */
	uint32_t frames;	/* frames received, the end marker excluded */
	bool end;		/* the end marker arrived */
	char bad_what[96];	/* the first bad frame: which byte */
	uint32_t seq[ZC_PEER_MAX_FRAMES];	/* numbers of the first
						 * frames, in order */
	bool corrupt[ZC_PEER_MAX_FRAMES];	/* ... and which of them
						 * did not match */
};

struct zc_peer {
	pid_t pid;
	int pipe;		/* read end */
	uint16_t port;
	uint8_t mac[ETH_ALEN];	/* AF_PACKET: the device's address */
	int status;		/* wait status once reaped, -1 before */
	char why[96];		/* what failed in the child before it was
				 * ready, e.g. "setns(/run/netns/x)" */
	char wait_why[96];	/* why it could not be reaped, if so */
};

/**
 * zc_peer_start() - fork the receiver and wait until it is ready
 * @ready_timeout_ms: bound on that wait
 *
 * Return: 0 with @p->port (AF_PACKET: @p->mac) set; -ETIMEDOUT when it was not ready in time
 * (it is killed); -ECHILD when it exited first (@p->status says how);
 * the -errno of the child's failed step (@p->why names it);
 * or -errno of pipe() or fork().
 */
int zc_peer_start(struct zc_peer *p, const struct zc_peer_spec *spec,
		  int ready_timeout_ms);

/**
 * zc_peer_finish() - collect the receiver's result and reap it
 * @timeout_ms: bound on the wait for the result
 *
 * Return: 0 with @r filled (check r->err and the counts); -ETIMEDOUT when
 * no result came in time (the child is killed); -ECHILD when it exited
 * without a result (@p->status says how); the -errno of zc_child_reap()
 * when it could not be reaped (@p->wait_why says why).
 */
int zc_peer_finish(struct zc_peer *p, struct zc_peer_result *r,
		   int timeout_ms);

/** zc_peer_kill() - kill and reap the receiver if still there; idempotent */
void zc_peer_kill(struct zc_peer *p);

/**
 * zc_peer_describe_status() - "exited with status 3", "killed by signal 9",
 * "was not reaped: <why>" or "still running" for @p->status, in @buf.
 */
const char *zc_peer_describe_status(const struct zc_peer *p, char *buf,
				    size_t len);

#endif /* ZC_PEER_H */
