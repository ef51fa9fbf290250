// SPDX-License-Identifier: GPL-2.0
/* The topology contract: see zc_topo.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "zc_sys.h"
#include "zc_topo.h"

/* A positive number in variable @name, or none at all (0). */
static int env_number(const char *name, unsigned long long max,
		      unsigned long long *val)
{
	const char *s = zc_getenv(name, NULL);
	char *end;

	*val = 0;
	if (!s)
		return 0;
	errno = 0;
	*val = strtoull(s, &end, 10);
	if (errno || *end || !*val || *val > max || *s == '-')
		return -EINVAL;
	return 0;
}

static int load_tbf(struct zc_topo *t, const char **bad)
{
	unsigned long long burst, limit;

	*bad = "ZC_TBF_RATE";
	if (env_number(*bad, ~0ULL, &t->tbf_rate))
		return -EINVAL;
	*bad = "ZC_TBF_BURST";
	if (env_number(*bad, 1 << 30, &burst) || !burst != !t->tbf_rate)
		return -EINVAL;
	*bad = "ZC_TBF_LIMIT";
	if (env_number(*bad, 1 << 30, &limit) || !limit != !t->tbf_rate)
		return -EINVAL;
	t->tbf_burst = burst;
	t->tbf_limit = limit;
	return 0;
}

int zc_topo_load(struct zc_topo *t, const char **bad)
{
	static const char *const required[] = {
		"ZC_TX_NS", "ZC_DEV", "ZC_EXPECT",
	};
	const char *expect;
	unsigned int i;

	memset(t, 0, sizeof(*t));
	*bad = "ZC_TOPO";
	t->name = zc_getenv("ZC_TOPO", NULL);
	if (!t->name)
		return -ENOENT;
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		*bad = required[i];
		if (!zc_getenv(required[i], NULL))
			return -EINVAL;
	}
	t->tx_ns = zc_getenv("ZC_TX_NS", NULL);
	t->rx_ns = zc_getenv("ZC_RX_NS", NULL);
	t->src4 = zc_getenv("ZC_SRC4", NULL);
	t->src6 = zc_getenv("ZC_SRC6", NULL);
	t->dst4 = zc_getenv("ZC_DST4", NULL);
	t->dst6 = zc_getenv("ZC_DST6", NULL);
	t->dev = zc_getenv("ZC_DEV", NULL);
	t->peer_dev = zc_getenv("ZC_PEER_DEV", NULL);
	t->protos = zc_getenv("ZC_PROTOS", "");
	/* An IP path needs its addresses. */
	*bad = t->dst4 ? "ZC_DST6" : "ZC_DST4";
	if (*t->protos && (!t->dst4 || !t->dst6))
		return -EINVAL;
	if (load_tbf(t, bad))
		return -EINVAL;
	t->fix_version = zc_getenv("ZC_FIX_VERSION", NULL);
	t->fix_commit = zc_getenv("ZC_FIX_COMMIT", "(commit not named)");
	t->drop_ns = zc_getenv("ZC_DROP_NS", NULL);
	t->drop_dev = zc_getenv("ZC_DROP_DEV", NULL);
	t->fwd_ns = zc_getenv("ZC_FWD_NS", NULL);
	t->sync = !strcmp(zc_getenv("ZC_SYNC", "no"), "yes");
	*bad = "ZC_DROP_DEV";
	if (!t->drop_ns != !t->drop_dev)
		return -EINVAL;
	expect = zc_getenv("ZC_EXPECT", NULL);
	*bad = "ZC_EXPECT";
	if (!strcmp(expect, "copied"))
		t->expect_copied = true;
	else if (strcmp(expect, "zerocopy"))
		return -EINVAL;
	*bad = NULL;
	return 0;
}

bool zc_topo_has_proto(const struct zc_topo *t, const char *proto)
{
	size_t n = strlen(proto);
	const char *p;

	for (p = strstr(t->protos, proto); p; p = strstr(p + 1, proto))
		if ((p == t->protos || p[-1] == ' ') &&
		    (p[n] == '\0' || p[n] == ' '))
			return true;
	return false;
}
