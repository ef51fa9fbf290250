// SPDX-License-Identifier: GPL-2.0
/* Why a zero-copy send is copied: see zc_diag.h. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/packet_diag.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>

#include "zc_diag.h"
#include "zc_sys.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

/* IPv4 + UDP, IPv6 + UDP headers: what a datagram adds to its payload. */
#define UDP4_OVERHEAD	28
#define UDP6_OVERHEAD	48

/* ---- packet sockets ---- */

struct dump_ctx {
	struct zc_diag_tap *taps;
	unsigned int max;
	unsigned int n;
	struct zc_diag_tap cur;
};

static int tap_attr_cb(const struct nlattr *a, void *data)
{
	struct zc_diag_tap *t = data;
	const struct packet_diag_info *info;

	switch (mnl_attr_get_type(a)) {
	case PACKET_DIAG_INFO:
		if (mnl_attr_get_payload_len(a) < sizeof(*info))
			break;
		info = mnl_attr_get_payload(a);
		t->ifindex = (int)info->pdi_index;
		break;
	case PACKET_DIAG_FILTER:
		t->filter = mnl_attr_get_payload_len(a) > 0;
		break;
	}
	return MNL_CB_OK;
}

static int tap_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct packet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct dump_ctx *c = data;
	struct zc_diag_tap *t = &c->cur;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return MNL_CB_OK;
	memset(t, 0, sizeof(*t));
	t->inode = m->pdiag_ino;
	t->type = m->pdiag_type;
	t->proto = m->pdiag_num;
	t->ignore_outgoing = ZC_TRI_UNKNOWN;
	mnl_attr_parse(nlh, sizeof(*m), tap_attr_cb, t);
	if (c->n < c->max)
		c->taps[c->n] = *t;
	c->n++;
	return MNL_CB_OK;
}

static int dump_taps(const char *netns, struct dump_ctx *c)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct packet_diag_req *req;
	int ret;

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = AF_PACKET;
	req->pdiag_show = PACKET_SHOW_INFO | PACKET_SHOW_FILTER;
	ret = zc_nl_request(netns, NETLINK_SOCK_DIAG, nlh, tap_cb, c);
	/* No handler for AF_PACKET: CONFIG_PACKET_DIAG is off. */
	return ret == -ENOENT ? -EOPNOTSUPP : ret;
}

/* The inode of "socket:[N]", or 0. */
static unsigned int socket_inode(const char *link)
{
	unsigned int ino;

	return sscanf(link, "socket:[%u]", &ino) == 1 ? ino : 0;
}

static void read_comm(pid_t pid, char *comm)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	comm[0] = '\0';
	if (!f)
		return;
	if (fgets(comm, ZC_COMM_LEN, f))
		comm[strcspn(comm, "\n")] = '\0';
	fclose(f);
}

static void add_owner(struct zc_diag_tap *t, pid_t pid, int fd)
{
	struct zc_diag_owner *o;
	unsigned int i;

	for (i = 0; i < t->nr_owners && i < ZC_DIAG_OWNERS; i++)
		if (t->owners[i].pid == pid)
			return;
	if (t->nr_owners++ >= ZC_DIAG_OWNERS)
		return;
	o = &t->owners[t->nr_owners - 1];
	o->pid = pid;
	o->fd = fd;
	read_comm(pid, o->comm);
}

/* Scan the descriptors of process @pid for the taps' inodes. */
static void scan_process(pid_t pid, struct zc_diag_tap *taps, unsigned int n)
{
	char path[320], link[64];
	struct dirent *de;
	unsigned int ino, i;
	ssize_t len;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%s", pid,
			 de->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		ino = socket_inode(link);
		for (i = 0; ino && i < n; i++)
			if (taps[i].inode == ino)
				add_owner(&taps[i], pid, atoi(de->d_name));
	}
	closedir(d);
}

/* Owners of every tap, from the socket inodes under /proc/PID/fd. */
static void find_owners(struct zc_diag_tap *taps, unsigned int n)
{
	struct dirent *de;
	pid_t pid;
	DIR *d;

	if (!n)
		return;
	d = opendir("/proc");
	if (!d)
		return;
	while ((de = readdir(d))) {
		pid = atoi(de->d_name);
		if (pid > 0)
			scan_process(pid, taps, n);
	}
	closedir(d);
}

/*
 * PACKET_IGNORE_OUTGOING of @t, which packet_diag does not report: read
 * on a duplicate of the first owner's descriptor that can be taken.
 */
static void read_ignore_outgoing(struct zc_diag_tap *t)
{
	unsigned int i, kept = t->nr_owners < ZC_DIAG_OWNERS ?
			       t->nr_owners : ZC_DIAG_OWNERS;
	socklen_t len = sizeof(int);
	int pidfd, fd, val;

	for (i = 0; i < kept; i++) {
		pidfd = syscall(SYS_pidfd_open, t->owners[i].pid, 0);
		if (pidfd < 0)
			continue;
		fd = syscall(SYS_pidfd_getfd, pidfd, t->owners[i].fd, 0);
		close(pidfd);
		if (fd < 0)
			continue;
		if (!getsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &val,
				&len))
			t->ignore_outgoing = val ? ZC_TRI_ON : ZC_TRI_OFF;
		close(fd);
		if (t->ignore_outgoing != ZC_TRI_UNKNOWN)
			return;
	}
}

int zc_diag_taps(const char *netns, struct zc_diag_tap *taps,
		 unsigned int max, unsigned int *n)
{
	struct dump_ctx c = { .taps = taps, .max = max };
	struct zc_link l;
	unsigned int i, kept;
	int ret;

	*n = 0;
	ret = dump_taps(netns, &c);
	if (ret)
		return ret;
	*n = c.n;
	kept = c.n < max ? c.n : max;
	find_owners(taps, kept);
	for (i = 0; i < kept; i++) {
		if (taps[i].ifindex &&
		    !zc_link_get(netns, taps[i].ifindex, NULL, &l))
			snprintf(taps[i].ifname, sizeof(taps[i].ifname), "%s",
				 l.name);
		read_ignore_outgoing(&taps[i]);
	}
	return 0;
}

/* ---- collecting ---- */

static void hop_error(struct zc_diag_hop *h, int err, const char *what)
{
	if (h->err)
		return;
	h->err = err;
	snprintf(h->err_what, sizeof(h->err_what), "%s", what);
}

static enum zc_tri feature_state(const struct zc_features *f,
				 const char *name)
{
	const struct zc_feature *x = zc_feature_find(f, name);

	if (!x)
		return ZC_TRI_UNKNOWN;
	return x->active ? ZC_TRI_ON : ZC_TRI_OFF;
}

static void read_features(struct zc_diag_hop *h, int family)
{
	const char *own = family == AF_INET6 ? "tx-checksum-ipv6" :
					       "tx-checksum-ipv4";
	struct zc_features *f = malloc(sizeof(*f));
	enum zc_tri generic, specific;

	h->sg = h->csum = ZC_TRI_UNKNOWN;
	if (!f) {
		h->features_err = -ENOMEM;
		return;
	}
	h->features_err = zc_features_get(h->netns, h->out.name, f);
	if (!h->features_err) {
		h->sg = feature_state(f, "tx-scatter-gather");
		generic = feature_state(f, "tx-checksum-ip-generic");
		specific = feature_state(f, own);
		if (generic == ZC_TRI_ON || specific == ZC_TRI_ON)
			h->csum = ZC_TRI_ON;
		else if (generic == ZC_TRI_OFF || specific == ZC_TRI_OFF)
			h->csum = ZC_TRI_OFF;
	}
	free(f);
}

static void collect_hop(struct zc_diag_hop *h, const struct zc_diag_query *q,
			enum zc_hop_role role, const char *netns)
{
	int ret;

	memset(h, 0, sizeof(*h));
	h->role = role;
	h->sg = h->csum = ZC_TRI_UNKNOWN;
	h->out.tun_queues = -1;
	snprintf(h->netns, sizeof(h->netns), "%s", netns ? netns : "");
	ret = zc_route_get(h->netns, q->family, q->dst, &h->route);
	if (ret)
		hop_error(h, ret, "route");
	else if (h->route.oif &&
		 (ret = zc_link_get(h->netns, h->route.oif, NULL, &h->out)))
		hop_error(h, ret, "output device");
	if (h->out.ifindex)
		read_features(h, q->family);
	if (role == ZC_HOP_FORWARDER && q->src) {
		struct zc_route back;

		ret = zc_route_get(h->netns, q->family, q->src, &back);
		if (ret) {
			hop_error(h, ret, "route back to the sender");
		} else {
			h->in_ifindex = back.oif;
			snprintf(h->in_dev, sizeof(h->in_dev), "%s", back.dev);
		}
	}
	h->taps_err = zc_diag_taps(h->netns, h->taps, ZC_DIAG_TAPS,
				   &h->nr_taps);
	if (h->taps_err)
		hop_error(h, h->taps_err, "packet sockets (packet_diag)");
}

int zc_diag_collect(const struct zc_diag_query *q, struct zc_diag_path *p)
{
	unsigned int i;

	memset(p, 0, sizeof(*p));
	p->family = q->family;
	p->type = q->type;
	p->size = q->size;
	collect_hop(&p->hops[p->nr_hops++], q, ZC_HOP_SENDER, q->tx_ns);
	if (q->fwd_ns)
		collect_hop(&p->hops[p->nr_hops++], q, ZC_HOP_FORWARDER,
			    q->fwd_ns);
	for (i = 0; i < p->nr_hops; i++)
		if (p->hops[i].err)
			return p->hops[i].err;
	return 0;
}

/* ---- predicting ---- */

static void reason(struct zc_diag_prediction *pr, enum zc_verdict v,
		   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void reason(struct zc_diag_prediction *pr, enum zc_verdict v,
		   const char *fmt, ...)
{
	va_list ap;

	if (v == ZC_PREDICT_COPIED ||
	    (v == ZC_PREDICT_ZEROCOPY_REPORTED &&
	     pr->verdict == ZC_PREDICT_ZEROCOPY))
		pr->verdict = v;
	if (pr->nr_reasons == ZC_DIAG_REASONS)
		return;
	va_start(ap, fmt);
	vsnprintf(pr->reasons[pr->nr_reasons++], ZC_REASON_LEN, fmt, ap);
	va_end(ap);
}

static const char *proto_name(unsigned int proto, char *buf, size_t len)
{
	switch (proto) {
	case ETH_P_ALL:
		return "ETH_P_ALL";
	case ETH_P_IP:
		return "ETH_P_IP";
	case ETH_P_IPV6:
		return "ETH_P_IPV6";
	}
	snprintf(buf, len, "protocol 0x%04x", proto);
	return buf;
}

/* "lldpd (pid 812)", "a (pid 1), b (pid 2)", or who could not be found. */
static const char *owners(const struct zc_diag_tap *t, char *buf, size_t len)
{
	unsigned int i, kept = t->nr_owners < ZC_DIAG_OWNERS ?
			       t->nr_owners : ZC_DIAG_OWNERS;
	size_t pos = 0;
	int n;

	if (!t->nr_owners) {
		snprintf(buf, len, "no process found (inode %u)", t->inode);
		return buf;
	}
	buf[0] = '\0';
	for (i = 0; i < kept && pos < len; i++) {
		n = snprintf(buf + pos, len - pos, "%s%s (pid %d)",
			     i ? ", " : "", t->owners[i].comm,
			     (int)t->owners[i].pid);
		pos += n > 0 ? (size_t)n : 0;
	}
	if (t->nr_owners > kept && pos < len)
		snprintf(buf + pos, len - pos, " and %u more",
			 t->nr_owners - kept);
	return buf;
}

static const char *in_ns(const struct zc_diag_hop *h, char *buf, size_t len)
{
	if (h->role == ZC_HOP_SENDER)
		return "";
	snprintf(buf, len, " in the forwarder's netns %s", h->netns);
	return buf;
}

/* Does tap @t see the path's packets in hop @h, and so copy them? */
static bool tap_copies(const struct zc_diag_hop *h, const struct zc_diag_tap *t,
		       int family)
{
	unsigned int own = family == AF_INET6 ? ETH_P_IPV6 : ETH_P_IP;
	bool on_out = !t->ifindex || t->ifindex == h->out.ifindex;
	bool on_in = !t->ifindex || t->ifindex == h->in_ifindex;

	if (t->proto == ETH_P_ALL) {
		/* Outgoing packets, unless it asked to ignore them. */
		if (on_out && t->ignore_outgoing != ZC_TRI_ON)
			return true;
		/* A forwarder receives them first. */
		return h->role == ZC_HOP_FORWARDER && on_in;
	}
	/* Protocol handlers see received packets only. */
	return h->role == ZC_HOP_FORWARDER && t->proto == own && on_in;
}

static void predict_taps(const struct zc_diag_hop *h, int family,
			 struct zc_diag_prediction *pr)
{
	char who[96], proto[24], ns[96], where[48];
	const struct zc_diag_tap *t;
	unsigned int i;

	for (i = 0; i < h->nr_taps && i < ZC_DIAG_TAPS; i++) {
		t = &h->taps[i];
		if (!tap_copies(h, t, family))
			continue;
		if (t->ifindex)
			snprintf(where, sizeof(where), "bound to %s",
				 t->ifname[0] ? t->ifname : "?");
		else
			snprintf(where, sizeof(where), "on every device");
		reason(pr, ZC_PREDICT_COPIED,
		       "AF_PACKET %s socket of %s %s%s%s%s",
		       proto_name(t->proto, proto, sizeof(proto)),
		       owners(t, who, sizeof(who)), where,
		       in_ns(h, ns, sizeof(ns)),
		       t->filter ? " (its BPF filter runs after the copy)" : "",
		       t->proto == ETH_P_ALL && h->role == ZC_HOP_SENDER &&
		       t->ignore_outgoing == ZC_TRI_UNKNOWN ?
		       " (PACKET_IGNORE_OUTGOING unknown)" : "");
	}
}

static void predict_hop(const struct zc_diag_path *p,
			const struct zc_diag_hop *h,
			struct zc_diag_prediction *pr)
{
	const char *dev = h->out.name[0] ? h->out.name : "?";
	bool udp = p->type == SOCK_DGRAM;
	size_t wire = p->size + (p->family == AF_INET6 ? UDP6_OVERHEAD :
						       UDP4_OVERHEAD);
	unsigned int mtu = h->out.mtu;
	char nsbuf[96];
	const char *ns = in_ns(h, nsbuf, sizeof(nsbuf));

	if (h->route.type == RTN_LOCAL)
		reason(pr, ZC_PREDICT_COPIED,
		       "the route%s is local: the data is looped to a local socket",
		       ns);
	predict_taps(h, p->family, pr);
	if (!strcmp(h->out.kind, "tun") && h->out.tun_queues > 0)
		reason(pr, ZC_PREDICT_COPIED,
		       "tun device %s%s has %d queue(s) with a reader attached: it copies to the reader",
		       dev, ns, h->out.tun_queues);
	if (h->csum == ZC_TRI_OFF)
		reason(pr, ZC_PREDICT_COPIED,
		       "tx checksum offload off on %s%s", dev, ns);
	if (h->sg == ZC_TRI_OFF)
		reason(pr, udp ? ZC_PREDICT_COPIED :
				 ZC_PREDICT_ZEROCOPY_REPORTED,
		       "scatter-gather off on %s%s%s", dev, ns,
		       udp ? "" : ": TCP linearises its GSO packets later, and reports zero-copy");
	if (!udp)
		return;
	if (h->role == ZC_HOP_SENDER && h->route.mtu && h->route.mtu < mtu)
		mtu = h->route.mtu;
	if (!mtu || wire <= mtu)
		return;
	if (h->role == ZC_HOP_SENDER)
		reason(pr, ZC_PREDICT_COPIED,
		       "a %zu-byte datagram exceeds the %s MTU %u: fragmented",
		       wire, mtu == h->route.mtu ? "path" : dev, mtu);
	else
		reason(pr, ZC_PREDICT_COPIED,
		       "a %zu-byte datagram exceeds the MTU %u of %s%s: the sender learns the path MTU (ICMP) after the first and fragments",
		       wire, mtu, dev, ns);
}

enum zc_verdict zc_diag_predict(const struct zc_diag_path *p,
				struct zc_diag_prediction *pr)
{
	size_t pos = 0;
	unsigned int i;
	int n;

	memset(pr, 0, sizeof(*pr));
	pr->verdict = ZC_PREDICT_ZEROCOPY;
	for (i = 0; i < p->nr_hops; i++)
		predict_hop(p, &p->hops[i], pr);

	for (i = 0; i < p->nr_hops && pos < sizeof(pr->checked); i++) {
		const struct zc_diag_hop *h = &p->hops[i];

		n = snprintf(pr->checked + pos, sizeof(pr->checked) - pos,
			     "%s%u packet sockets, route %s, %s%s%s MTU %u, sg %s, tx-csum %s in netns %s",
			     i ? "; " : "", h->nr_taps,
			     zc_route_type_name(h->route.type),
			     h->out.name[0] ? h->out.name : "no device",
			     h->out.kind[0] ? " " : "", h->out.kind,
			     h->out.mtu,
			     h->sg < 0 ? "?" : h->sg ? "on" : "off",
			     h->csum < 0 ? "?" : h->csum ? "on" : "off",
			     h->netns[0] ? h->netns : "(own)");
		pos += n > 0 ? (size_t)n : 0;
	}
	return pr->verdict;
}

const char *zc_diag_format(const struct zc_diag_prediction *pr,
			   const char *where, char *buf, size_t len)
{
	size_t pos;
	unsigned int i;
	int n;

	if (!pr->nr_reasons) {
		snprintf(buf, len, "no known cause found (checked: %s)",
			 pr->checked);
		return buf;
	}
	n = snprintf(buf, len, "%s on %s path: ",
		     pr->verdict == ZC_PREDICT_COPIED ? "COPIED" :
		     "zero-copy reported", where);
	pos = n > 0 ? (size_t)n : 0;
	for (i = 0; i < pr->nr_reasons && pos < len; i++) {
		n = snprintf(buf + pos, len - pos, "%s%s", i ? "; " : "",
			     pr->reasons[i]);
		pos += n > 0 ? (size_t)n : 0;
	}
	return buf;
}

struct zc_diag_query zc_diag_query_of(const struct zc_topo *topo, int family,
				      int type, size_t size, const char *dst)
{
	bool v6 = family == AF_INET6;

	return (struct zc_diag_query){
		.family = family,
		.type = type,
		.size = size,
		.dst = dst ? dst : v6 ? topo->dst6 : topo->dst4,
		.src = v6 ? topo->src6 : topo->src4,
		.tx_ns = topo->tx_ns,
		.fwd_ns = topo->fwd_ns,
	};
}

enum zc_verdict zc_diag_explain_query(const struct zc_diag_query *q,
				      const char *where,
				      struct zc_diag_prediction *pr,
				      char *buf, size_t len)
{
	struct zc_diag_prediction own;
	struct zc_diag_path *p = malloc(sizeof(*p));
	const struct zc_diag_hop *h;
	unsigned int i;
	size_t pos;

	if (!pr)
		pr = &own;
	memset(pr, 0, sizeof(*pr));
	pr->verdict = ZC_PREDICT_ZEROCOPY;
	if (!p) {
		snprintf(buf, len, "diag: out of memory");
		return pr->verdict;
	}
	zc_diag_collect(q, p);
	zc_diag_predict(p, pr);
	zc_diag_format(pr, where, buf, len);
	for (i = 0; i < p->nr_hops; i++) {
		h = &p->hops[i];
		pos = strlen(buf);
		if (h->err && pos < len)
			snprintf(buf + pos, len - pos,
				 " (could not read the %s in netns %s: %s)",
				 h->err_what, h->netns, strerror(-h->err));
	}
	/* A cause diag cannot look for. */
	pos = strlen(buf);
	if (!pr->nr_reasons && pos < len && zc_diag_taps_global())
		snprintf(buf + pos, len - pos,
			 "; on this kernel (before %s, v%s) an ETH_P_ALL packet socket in any namespace of the host copies too, and those are not checked",
			 ZC_NETNS_TAPS_COMMIT, ZC_NETNS_TAPS_VERSION);
	free(p);
	return pr->verdict;
}

const char *zc_diag_explain(const struct zc_topo *topo, int family, int type,
			    size_t size, char *buf, size_t len)
{
	struct zc_diag_query q = zc_diag_query_of(topo, family, type, size,
						  NULL);

	zc_diag_explain_query(&q, topo->name, NULL, buf, len);
	return buf;
}

bool zc_diag_taps_global(void)
{
	return zc_kernel_older_than(ZC_NETNS_TAPS_VERSION) == 1;
}
