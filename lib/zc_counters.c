// SPDX-License-Identifier: GPL-2.0
/* Counters of a network namespace: see zc_counters.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zc_counters.h"
#include "zc_sys.h"

/* Read all of @path, as namespace @netns sees it, into a new string. */
static int slurp(const char *netns, const char *path, char **out)
{
	size_t len = 0, cap = 16384;
	char *buf = malloc(cap), *bigger;
	ssize_t n;
	int fd, ret;

	if (!buf)
		return -ENOMEM;
	fd = zc_netns_open(netns, path, O_RDONLY);
	if (fd < 0) {
		free(buf);
		return fd;
	}
	for (;;) {
		if (cap - len < 4096) {
			bigger = realloc(buf, cap * 2);
			if (!bigger) {
				/* A file cut short would hide counters. */
				close(fd);
				free(buf);
				return -ENOMEM;
			}
			buf = bigger;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* As cut short as a failed realloc: no counters. */
			ret = -errno;
			close(fd);
			free(buf);
			return ret;
		}
		if (!n)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	return 0;
}

int zc_dev_stat(const char *netns, const char *dev, enum zc_dev_stat stat,
		uint64_t *val)
{
	/* Columns after "dev:": 8 receive counters, then 8 transmit. */
	static const unsigned int column[] = {
		[ZC_DEV_RX_PACKETS] = 1,
		[ZC_DEV_RX_DROPPED] = 3,
		[ZC_DEV_TX_PACKETS] = 9,
		[ZC_DEV_TX_DROPPED] = 11,
	};
	size_t dlen = strlen(dev);
	char *buf, *line, *p, *end;
	unsigned int i;
	int ret;

	ret = slurp(netns, "/proc/self/net/dev", &buf);
	if (ret)
		return ret;
	ret = -ENODEV;
	for (line = strtok_r(buf, "\n", &end); line;
	     line = strtok_r(NULL, "\n", &end)) {
		p = line + strspn(line, " ");
		if (strncmp(p, dev, dlen) || p[dlen] != ':')
			continue;
		p += dlen + 1;
		for (i = 0; i <= column[stat]; i++)
			*val = strtoull(p, &p, 10);
		ret = 0;
		break;
	}
	free(buf);
	return ret;
}

/* /proc/net/snmp: a header line "Group: F1 F2 ..." and "Group: v1 v2 ...". */
static int snmp_field(char *buf, const char *group, const char *field,
		      uint64_t *val)
{
	char *names, *values, *name, *value, *s1, *s2, *nl;
	size_t glen = strlen(group);

	for (names = buf; names && *names; names = nl ? nl + 1 : NULL) {
		nl = strchr(names, '\n');
		if (strncmp(names, group, glen) || names[glen] != ':')
			continue;
		if (!nl)
			return -ENOENT;
		*nl = '\0';
		values = nl + 1;
		nl = strchr(values, '\n');
		if (nl)
			*nl = '\0';
		name = strtok_r(names + glen + 1, " ", &s1);
		value = strtok_r(values + glen + 1, " ", &s2);
		while (name && value) {
			if (!strcmp(name, field)) {
				*val = strtoull(value, NULL, 10);
				return 0;
			}
			name = strtok_r(NULL, " ", &s1);
			value = strtok_r(NULL, " ", &s2);
		}
		return -ENOENT;
	}
	return -ENOENT;
}

/* /proc/net/snmp6: one "Name value" per line. */
static int snmp6_field(char *buf, const char *field, uint64_t *val)
{
	char *line, *end, *name, *value, *s;

	for (line = strtok_r(buf, "\n", &end); line;
	     line = strtok_r(NULL, "\n", &end)) {
		name = strtok_r(line, " \t", &s);
		value = strtok_r(NULL, " \t", &s);
		if (name && value && !strcmp(name, field)) {
			*val = strtoull(value, NULL, 10);
			return 0;
		}
	}
	return -ENOENT;
}

int zc_snmp_stat(const char *netns, const char *name, uint64_t *val)
{
	const char *dot = strchr(name, '.');
	char group[32], *buf;
	int ret;

	if (dot && (size_t)(dot - name) >= sizeof(group))
		return -EINVAL;
	ret = slurp(netns, dot ? "/proc/self/net/snmp" : "/proc/self/net/snmp6",
		    &buf);
	if (ret)
		return ret;
	if (dot) {
		memcpy(group, name, dot - name);
		group[dot - name] = '\0';
		ret = snmp_field(buf, group, dot + 1, val);
	} else {
		ret = snmp6_field(buf, name, val);
	}
	free(buf);
	return ret;
}
