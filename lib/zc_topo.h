/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The topology contract: what netns/<topology>.sh hands a test through the
 * environment (see netns/lib.sh for the authoritative list).
 */
#ifndef ZC_TOPO_H
#define ZC_TOPO_H

#include <stdbool.h>

struct zc_topo {
	const char *name;	/* ZC_TOPO */
	const char *tx_ns;	/* ZC_TX_NS: where the test runs */
	const char *rx_ns;	/* ZC_RX_NS: the receiver's, NULL if none */
	const char *src4;	/* ZC_SRC4: the sender's, NULL if unset */
	const char *src6;	/* ZC_SRC6 */
	const char *dst4;	/* ZC_DST4 */
	const char *dst6;	/* ZC_DST6 */
	const char *dev;	/* ZC_DEV: the sender's egress device */
	const char *peer_dev;	/* ZC_PEER_DEV: its link's other end, in
				 * rx_ns; NULL if none */
	const char *protos;	/* ZC_PROTOS: "udp tcp", "udp", "" */
	bool expect_copied;	/* ZC_EXPECT=copied (else zerocopy) */
	const char *fix_version;/* ZC_FIX_VERSION, NULL if none */
	const char *fix_commit;	/* ZC_FIX_COMMIT */
	const char *drop_ns;	/* ZC_DROP_NS: where packets are dropped ... */
	const char *drop_dev;	/* ZC_DROP_DEV: ... by this device; NULL: none */
	const char *fwd_ns;	/* ZC_FWD_NS: the forwarder's, NULL if none */
	bool sync;		/* ZC_SYNC=yes: a send completes before it
				 * returns */
	/* A tbf shaping dev, with a pfifo child: rate 0 when none. */
	unsigned long long tbf_rate;	/* ZC_TBF_RATE, bit/s */
	unsigned int tbf_burst;		/* ZC_TBF_BURST, bytes */
	unsigned int tbf_limit;		/* ZC_TBF_LIMIT, packets */
};

/**
 * zc_topo_load() - read the contract from the environment
 *
 * Return: 0; -ENOENT when ZC_TOPO is unset (not run by run_tests.sh);
 * -EINVAL when a variable is missing (ZC_DST4 and ZC_DST6 may be empty
 * only when ZC_PROTOS is), ZC_EXPECT is neither "copied" nor "zerocopy",
 * or a ZC_TBF_ number is not one (the name is in @bad).
 */
int zc_topo_load(struct zc_topo *t, const char **bad);

/** zc_topo_has_proto() - whether @proto ("tcp", "udp") is in ZC_PROTOS */
bool zc_topo_has_proto(const struct zc_topo *t, const char *proto);

#endif /* ZC_TOPO_H */
