/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Why a zero-copy send is copied: the facts of a path that decide it, and
 * a prediction from them.  Used by the tests to explain an unexpected
 * COPIED with what is there at that moment, and meant for a user-facing
 * tool later.
 *
 * Facts, per network namespace the path crosses (the sender's, and a
 * forwarder's):
 *   - packet sockets (AF_PACKET) through NETLINK_SOCK_DIAG/packet_diag:
 *     protocol, bound device, BPF filter attached; their owning processes
 *     (pid, command) from the socket inodes under /proc/PID/fd; and
 *     PACKET_IGNORE_OUTGOING, which packet_diag does not report: read with
 *     getsockopt() on a duplicate of an owner's descriptor (pidfd_getfd(),
 *     5.6, root), else unknown;
 *   - the route to the destination (RTM_GETROUTE): type, output device,
 *     route MTU; in a forwarder also the device the packets come in on;
 *   - the output device: kind (IFLA_INFO_KIND), MTU, tun queues, and its
 *     scatter-gather and tx checksum features (ethtool netlink).
 *
 * The prediction follows what the kernel does, as measured (recorded in
 * docs/KERNEL-NOTES.md, "Why zero-copy turns into copies") and documented
 * in msg_zerocopy.rst ("looped to a local socket ... packet sockets ...
 * tun devices"):
 *   - a local route: the data is delivered to a local socket, copied;
 *   - a packet socket that sees the packet takes a copy: in the sender's
 *     namespace an ETH_P_ALL socket, unbound or bound to the output
 *     device, unless it set PACKET_IGNORE_OUTGOING; in a forwarder, where
 *     the packet is received, also a socket of the packet's own protocol
 *     (ETH_P_IP, ETH_P_IPV6) and one bound to the input device, and
 *     PACKET_IGNORE_OUTGOING does not help there.  A BPF filter does not
 *     help: the copy is made before it runs.  Protocol 0, another device,
 *     another namespace: no effect;
 *   - an output device without tx checksum offload: copied; without
 *     scatter-gather: UDP copied, TCP reported zero-copy (TCP always
 *     builds GSO packets with page frags and the device's lack of SG
 *     linearises them later, without the COPIED flag: a known deviation);
 *   - a tun device: copied when a file is attached (the reader's copy),
 *     or when it lacks checksum offload;
 *   - a UDP datagram larger than the path MTU: fragmented, copied.  A
 *     forwarder's smaller MTU makes the sender learn the path MTU (ICMP)
 *     after the first datagram: copied from then on.
 *
 * Plain helpers: they return -errno and never assert.
 */
#ifndef ZC_DIAG_H
#define ZC_DIAG_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "zc_nl.h"
#include "zc_topo.h"

#define ZC_DIAG_OWNERS	4
#define ZC_DIAG_TAPS	32
#define ZC_DIAG_HOPS	2
#define ZC_COMM_LEN	16

/* A state read from the kernel: on, off, or not known. */
enum zc_tri { ZC_TRI_UNKNOWN = -1, ZC_TRI_OFF = 0, ZC_TRI_ON = 1 };

struct zc_diag_owner {
	pid_t pid;
	int fd;				/* its descriptor of it */
	char comm[ZC_COMM_LEN];
};

/* One AF_PACKET socket. */
struct zc_diag_tap {
	unsigned int inode;
	int type;			/* SOCK_RAW, SOCK_DGRAM */
	unsigned int proto;		/* ETH_P_*, host order; 0: none */
	int ifindex;			/* bound device, 0: every device */
	char ifname[IF_NAMESIZE];	/* its name, "" when unbound */
	bool filter;			/* a BPF filter is attached */
	enum zc_tri ignore_outgoing;	/* PACKET_IGNORE_OUTGOING */
	unsigned int nr_owners;		/* processes holding it (the
					 * first few kept), 0: none */
	struct zc_diag_owner owners[ZC_DIAG_OWNERS];
};

enum zc_hop_role {
	ZC_HOP_SENDER,		/* the packets are sent from here */
	ZC_HOP_FORWARDER,	/* they are received and forwarded here */
};

/* The facts of one namespace on the path. */
struct zc_diag_hop {
	enum zc_hop_role role;
	char netns[64];			/* name, "" for the caller's */
	int err;			/* what could not be read: -errno ... */
	char err_what[64];		/* ... and which fact */
	struct zc_route route;		/* to the destination */
	struct zc_link out;		/* the output device */
	int in_ifindex;			/* forwarder: the input device */
	char in_dev[IF_NAMESIZE];
	enum zc_tri sg;			/* tx-scatter-gather */
	enum zc_tri csum;		/* tx checksum for the family:
					 * tx-checksum-ip-generic, or
					 * -ipv4 / -ipv6 */
	int features_err;		/* -errno reading them, 0 */
	int taps_err;			/* -errno of packet_diag, 0 */
	unsigned int nr_taps;
	struct zc_diag_tap taps[ZC_DIAG_TAPS];
};

struct zc_diag_path {
	int family;			/* AF_INET, AF_INET6 */
	int type;			/* SOCK_DGRAM, SOCK_STREAM */
	size_t size;			/* bytes per send */
	unsigned int nr_hops;
	struct zc_diag_hop hops[ZC_DIAG_HOPS];
};

/* What is asked: the path of a topology, from the sender. */
struct zc_diag_query {
	int family;
	int type;
	size_t size;
	const char *dst;		/* destination address */
	const char *src;		/* sender's address (for the forwarder's
					 * input device), NULL if none */
	const char *tx_ns;		/* sender's namespace */
	const char *fwd_ns;		/* forwarder's, NULL if none */
};

/**
 * zc_diag_taps() - every AF_PACKET socket of namespace @netns
 * (NETLINK_SOCK_DIAG, packet_diag), with its owners from /proc and
 * PACKET_IGNORE_OUTGOING where an owner's descriptor can be duplicated
 *
 * Return: 0 with @n set (at most @max kept, the rest counted in @n too);
 * -EOPNOTSUPP without CONFIG_PACKET_DIAG; -errno.
 */
int zc_diag_taps(const char *netns, struct zc_diag_tap *taps,
		 unsigned int max, unsigned int *n);

/**
 * zc_diag_collect() - read the facts of the path @q describes into @p.
 * Facts that cannot be read are left unknown and named in the hop's err
 * and err_what; the rest are still read.
 *
 * Return: 0, or the first -errno met (@p is filled as far as possible).
 */
int zc_diag_collect(const struct zc_diag_query *q, struct zc_diag_path *p);

/*
 * Before c353e8983e0d ("net: introduce per netns packet chains", v6.15)
 * the ETH_P_ALL taps of every namespace were on one global list:
 * dev_queue_xmit_nit() cloned each sent packet for a tap of another
 * namespace too (packet_rcv() dropped it only afterwards), and the clone
 * forced the copy.  Debian 12's 6.1 and 6.12 predate it.
 */
#define ZC_NETNS_TAPS_COMMIT \
	"c353e8983e0d (\"net: introduce per netns packet chains\")"
#define ZC_NETNS_TAPS_VERSION "6.15"

/**
 * zc_diag_taps_global() - whether this kernel predates
 * ZC_NETNS_TAPS_COMMIT: an ETH_P_ALL packet socket in any namespace then
 * copies what every namespace sends, which zc_diag does not look for
 */
bool zc_diag_taps_global(void);

#define ZC_DIAG_REASONS	8
#define ZC_REASON_LEN	192

enum zc_verdict {
	ZC_PREDICT_ZEROCOPY,
	ZC_PREDICT_COPIED,
	/* Zero-copy is reported although the kernel copies later (TCP
	 * without scatter-gather): the flag says zero-copy.
	 */
	ZC_PREDICT_ZEROCOPY_REPORTED,
};

struct zc_diag_prediction {
	enum zc_verdict verdict;
	unsigned int nr_reasons;
	char reasons[ZC_DIAG_REASONS][ZC_REASON_LEN];	/* causes found */
	char checked[256];		/* what was looked at, in words */
};

/**
 * zc_diag_predict() - copy or zero-copy for the path @p, with the causes.
 * Pure logic on the facts: no system call.
 *
 * Return: the verdict, also in @out->verdict.
 */
enum zc_verdict zc_diag_predict(const struct zc_diag_path *p,
				struct zc_diag_prediction *out);

/**
 * zc_diag_format() - the prediction in one line for a failure message:
 * "COPIED on <where> path: <cause>; <cause>" when causes were found, else
 * "no known cause found (checked: ...)".
 */
const char *zc_diag_format(const struct zc_diag_prediction *pr,
			   const char *where, char *buf, size_t len);

/**
 * zc_diag_query_of() - the query for the path of topology @topo (sender,
 * and forwarder if it has one) with @family, @type, @size, to @dst (a
 * numeric address; NULL: the topology's destination of @family)
 */
struct zc_diag_query zc_diag_query_of(const struct zc_topo *topo, int family,
				      int type, size_t size, const char *dst);

/**
 * zc_diag_explain_query() - collect, predict and format in one call, for
 * the path @q describes, named @where ("COPIED on <where> path: ..."):
 * what a test prints when it saw COPIED where it expected zero-copy, or
 * checks before it sends.  Always fills @buf, also when facts could not
 * be read (it says which), and says when no cause was found on a kernel
 * where packet sockets of other namespaces copy too
 * (zc_diag_taps_global()).  @pr, unless NULL, gets the prediction.
 *
 * Return: the verdict; ZC_PREDICT_ZEROCOPY, nothing found, when there
 * was no memory to collect the facts in (@buf says so).
 */
enum zc_verdict zc_diag_explain_query(const struct zc_diag_query *q,
				      const char *where,
				      struct zc_diag_prediction *pr,
				      char *buf, size_t len);

/**
 * zc_diag_explain() - zc_diag_explain_query() for the path of topology
 * @topo to its destination of @family
 *
 * Return: @buf.
 */
const char *zc_diag_explain(const struct zc_topo *topo, int family, int type,
			    size_t size, char *buf, size_t len);

#endif /* ZC_DIAG_H */
