// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of zc_diag_predict() (lib/zc_diag.c) on facts written by
 * hand: no socket, no namespace, no privilege.  Each row is a path as
 * zc_diag_collect() would describe it, with the verdict and the words the
 * kernel's behaviour calls for (docs/KERNEL-NOTES.md, "Why zero-copy turns
 * into copies").
 *
 *   make build/selftests/diag_test && ./build/selftests/diag_test
 */
#include <string.h>
#include <linux/if_ether.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "zc_diag.h"

#define OUT_IF	5	/* the sender's (or forwarder's) output device */
#define IN_IF	6	/* the forwarder's input device */
#define LO_IF	1

FIXTURE(diag) {
	struct zc_diag_path p;
	struct zc_diag_prediction pr;
	char buf[1024];
};

/* A clean path: sender -> ifb0 (sg and checksum on), MTU 1500. */
static void hop_init(struct zc_diag_hop *h, enum zc_hop_role role,
		     const char *ns, const char *dev, const char *kind)
{
	memset(h, 0, sizeof(*h));
	h->role = role;
	strcpy(h->netns, ns);
	h->route.type = RTN_UNICAST;
	h->route.oif = OUT_IF;
	strcpy(h->route.dev, dev);
	h->out.ifindex = OUT_IF;
	strcpy(h->out.name, dev);
	strcpy(h->out.kind, kind);
	h->out.mtu = 1500;
	h->out.tun_queues = -1;
	h->sg = ZC_TRI_ON;
	h->csum = ZC_TRI_ON;
	if (role == ZC_HOP_FORWARDER) {
		h->in_ifindex = IN_IF;
		strcpy(h->in_dev, "veth1");
	}
}

/* Add a packet socket held by @comm (pid 812) to @h. */
static struct zc_diag_tap *tap(struct zc_diag_hop *h, unsigned int proto,
			       int ifindex, const char *ifname,
			       const char *comm)
{
	struct zc_diag_tap *t = &h->taps[h->nr_taps++];

	memset(t, 0, sizeof(*t));
	t->inode = 4242;
	t->type = SOCK_RAW;
	t->proto = proto;
	t->ifindex = ifindex;
	strcpy(t->ifname, ifname);
	t->ignore_outgoing = ZC_TRI_OFF;
	if (comm) {
		t->nr_owners = 1;
		t->owners[0].pid = 812;
		strcpy(t->owners[0].comm, comm);
	}
	return t;
}

FIXTURE_SETUP(diag)
{
	self->p.family = AF_INET;
	self->p.type = SOCK_DGRAM;
	self->p.size = 1000;
	self->p.nr_hops = 1;
	hop_init(&self->p.hops[0], ZC_HOP_SENDER, "tx", "ifb0", "ifb");
}

FIXTURE_TEARDOWN(diag)
{
}

/* Predict, format, and check the verdict; the line is in self->buf. */
static void predict(struct __test_metadata *_metadata,
		    FIXTURE_DATA(diag) *self, enum zc_verdict want)
{
	enum zc_verdict v = zc_diag_predict(&self->p, &self->pr);

	zc_diag_format(&self->pr, "sink", self->buf, sizeof(self->buf));
	ASSERT_EQ(want, v) TH_LOG("verdict %d, expected %d: %s", v, want,
				  self->buf);
	ASSERT_EQ(v, self->pr.verdict);
}

#define ASSERT_SAYS(text) \
	ASSERT_NE(NULL, strstr(self->buf, text)) \
		TH_LOG("'%s' not in: %s", text, self->buf)

TEST_F(diag, clean_path_is_zerocopy)
{
	predict(_metadata, self, ZC_PREDICT_ZEROCOPY);
	ASSERT_SAYS("no known cause found (checked: 0 packet sockets, route unicast, ifb0 ifb MTU 1500, sg on, tx-csum on in netns tx)");
}

TEST_F(diag, tap_unbound_copies_and_names_owner)
{
	tap(&self->p.hops[0], ETH_P_ALL, 0, "", "lldpd");
	predict(_metadata, self, ZC_PREDICT_COPIED);
	ASSERT_SAYS("COPIED on sink path: AF_PACKET ETH_P_ALL socket of lldpd (pid 812) on every device");
}

TEST_F(diag, tap_bound_to_egress_copies)
{
	tap(&self->p.hops[0], ETH_P_ALL, OUT_IF, "ifb0", "tcpdump");
	predict(_metadata, self, ZC_PREDICT_COPIED);
	ASSERT_SAYS("ETH_P_ALL socket of tcpdump (pid 812) bound to ifb0");
}

TEST_F(diag, tap_elsewhere_or_proto_zero_or_ip_is_harmless)
{
	tap(&self->p.hops[0], ETH_P_ALL, LO_IF, "lo", "a");
	tap(&self->p.hops[0], 0, 0, "", "b");
	tap(&self->p.hops[0], ETH_P_IP, 0, "", "dhclient");
	predict(_metadata, self, ZC_PREDICT_ZEROCOPY);
	ASSERT_SAYS("no known cause found (checked: 3 packet sockets");
}

TEST_F(diag, tap_filter_still_copies)
{
	tap(&self->p.hops[0], ETH_P_ALL, 0, "", "x")->filter = true;
	predict(_metadata, self, ZC_PREDICT_COPIED);
	ASSERT_SAYS("its BPF filter runs after the copy");
}

TEST_F(diag, ignore_outgoing_helps_only_sender)
{
	struct zc_diag_hop *fwd = &self->p.hops[1];

	tap(&self->p.hops[0], ETH_P_ALL, 0, "", "lldpd")->ignore_outgoing =
		ZC_TRI_ON;
	predict(_metadata, self, ZC_PREDICT_ZEROCOPY);

	self->p.nr_hops = 2;
	hop_init(fwd, ZC_HOP_FORWARDER, "fwd", "ifb0", "ifb");
	tap(fwd, ETH_P_ALL, 0, "", "lldpd")->ignore_outgoing = ZC_TRI_ON;
	predict(_metadata, self, ZC_PREDICT_COPIED);
	ASSERT_SAYS("ETH_P_ALL socket of lldpd (pid 812) on every device in the forwarder's netns fwd");
}

TEST_F(diag, ignore_outgoing_unknown_is_said)
{
	tap(&self->p.hops[0], ETH_P_ALL, 0, "", "x")->ignore_outgoing =
		ZC_TRI_UNKNOWN;
	predict(_metadata, self, ZC_PREDICT_COPIED);
	ASSERT_SAYS("(PACKET_IGNORE_OUTGOING unknown)");
}

TEST_F(diag, forwarder_ip_tap_copies_own_family_only)
{
	struct zc_diag_hop *fwd = &self->p.hops[1];

	self->p.nr_hops = 2;
	hop_init(fwd, ZC_HOP_FORWARDER, "fwd", "ifb0", "ifb");
	tap(fwd, ETH_P_IP, 0, "", "dhclient");
	predict(_metadata, self, ZC_PREDICT_COPIED);
	ASSERT_SAYS("ETH_P_IP socket of dhclient (pid 812) on every device in the forwarder's netns fwd");
	self->p.family = AF_INET6;
	predict(_metadata, self, ZC_PREDICT_ZEROCOPY);
	/* Bound to the output device: it sees no received packet. */
	fwd->taps[0].proto = ETH_P_IPV6;
	fwd->taps[0].ifindex = OUT_IF;
	predict(_metadata, self, ZC_PREDICT_ZEROCOPY);
	fwd->taps[0].ifindex = IN_IF;
	predict(_metadata, self, ZC_PREDICT_COPIED);
}

TEST_F(diag, no_owner_is_said)
{
	tap(&self->p.hops[0], ETH_P_ALL, 0, "", NULL);
	predict(_metadata, self, ZC_PREDICT_COPIED);
	ASSERT_SAYS("socket of no process found (inode 4242)");
}

TEST_F(diag, sg_off_copies_udp_tcp_reports_zerocopy)
{
	self->p.hops[0].sg = ZC_TRI_OFF;
	predict(_metadata, self, ZC_PREDICT_COPIED);
	ASSERT_SAYS("scatter-gather off on ifb0");
	self->p.type = SOCK_STREAM;
	predict(_metadata, self, ZC_PREDICT_ZEROCOPY_REPORTED);
	ASSERT_SAYS("TCP linearises its GSO packets later, and reports zero-copy");
}

TEST_F(diag, csum_off_copies_both)
{
	self->p.hops[0].csum = ZC_TRI_OFF;
	predict(_metadata, self, ZC_PREDICT_COPIED);
	self->p.type = SOCK_STREAM;
	predict(_metadata, self, ZC_PREDICT_COPIED);
	ASSERT_SAYS("tx checksum offload off on ifb0");
}

TEST_F(diag, tun_reader_copies)
{
	struct zc_diag_hop *h = &self->p.hops[0];

	hop_init(h, ZC_HOP_SENDER, "tx", "tun0", "tun");
	h->out.tun_queues = 0;
	predict(_metadata, self, ZC_PREDICT_ZEROCOPY);
	h->out.tun_queues = 1;
	predict(_metadata, self, ZC_PREDICT_COPIED);
	ASSERT_SAYS("tun device tun0 has 1 queue(s) with a reader attached");
}

TEST_F(diag, local_route_copies)
{
	self->p.hops[0].route.type = RTN_LOCAL;
	predict(_metadata, self, ZC_PREDICT_COPIED);
	ASSERT_SAYS("the route is local");
}

TEST_F(diag, mtu_fragments_udp_only)
{
	self->p.size = 1473;		/* 1501 bytes on the wire */
	predict(_metadata, self, ZC_PREDICT_COPIED);
	ASSERT_SAYS("a 1501-byte datagram exceeds the ifb0 MTU 1500: fragmented");
	self->p.size = 1472;
	predict(_metadata, self, ZC_PREDICT_ZEROCOPY);
	self->p.family = AF_INET6;	/* 48 bytes of headers */
	predict(_metadata, self, ZC_PREDICT_COPIED);
	self->p.type = SOCK_STREAM;
	predict(_metadata, self, ZC_PREDICT_ZEROCOPY);
}

TEST_F(diag, learned_path_mtu_and_forwarder_mtu)
{
	struct zc_diag_hop *fwd = &self->p.hops[1];

	self->p.hops[0].out.mtu = 65000;
	self->p.hops[0].route.mtu = 1500;
	self->p.size = 60000;
	predict(_metadata, self, ZC_PREDICT_COPIED);
	ASSERT_SAYS("a 60028-byte datagram exceeds the path MTU 1500: fragmented");

	self->p.hops[0].route.mtu = 0;
	self->p.nr_hops = 2;
	hop_init(fwd, ZC_HOP_FORWARDER, "fwd", "ifb0", "ifb");
	predict(_metadata, self, ZC_PREDICT_COPIED);
	ASSERT_SAYS("exceeds the MTU 1500 of ifb0 in the forwarder's netns fwd: the sender learns the path MTU (ICMP) after the first");
}

TEST_F(diag, causes_are_all_listed)
{
	tap(&self->p.hops[0], ETH_P_ALL, 0, "", "lldpd");
	self->p.hops[0].csum = ZC_TRI_OFF;
	predict(_metadata, self, ZC_PREDICT_COPIED);
	ASSERT_EQ(2U, self->pr.nr_reasons);
	ASSERT_SAYS("lldpd (pid 812) on every device; tx checksum offload off on ifb0");
}

TEST_HARNESS_MAIN
