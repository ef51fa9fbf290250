// SPDX-License-Identifier: GPL-2.0
/* System helpers for libzc: see zc_sys.h. */
/*
 * setns(), CLONE_NEWNET and the CPU affinity calls need _GNU_SOURCE, which
 * older kernel trees' lib.mk does not define.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "zc_sys.h"

int64_t zc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t zc_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t zc_thread_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int zc_slow_ms(int ms)
{
	const char *slow = getenv("KSFT_MACHINE_SLOW");

	if (slow && !strcmp(slow, "yes"))
		return ms > INT_MAX / 3 ? INT_MAX : ms * 3;
	return ms;
}

int zc_left_ms(int64_t deadline)
{
	int64_t left = deadline - zc_now_ms();

	if (left <= 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

int zc_netns_enter(const char *name)
{
	char path[PATH_MAX];
	int fd, ret = 0;

	if (snprintf(path, sizeof(path), "/run/netns/%s", name) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET))
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Run @fn(@arg) in the named namespace (NULL or empty: here) and come
 * back: fn returns a descriptor or -errno.
 */
static int in_netns(const char *name, int (*fn)(const void *arg),
		    const void *arg)
{
	int self, ret;

	if (!name || !*name)
		return fn(arg);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	ret = zc_netns_enter(name);
	if (!ret)
		ret = fn(arg);
	/* Not coming back would send the test's traffic from elsewhere. */
	if (setns(self, CLONE_NEWNET))
		abort();
	close(self);
	return ret;
}

struct open_args {
	const char *path;
	int flags;
};

static int do_open(const void *arg)
{
	const struct open_args *a = arg;
	int fd = open(a->path, a->flags | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int zc_netns_open(const char *name, const char *path, int flags)
{
	struct open_args a = { .path = path, .flags = flags };

	return in_netns(name, do_open, &a);
}

struct socket_args {
	int domain, type, protocol;
};

static int do_socket(const void *arg)
{
	const struct socket_args *a = arg;
	int fd = socket(a->domain, a->type | SOCK_CLOEXEC, a->protocol);

	return fd < 0 ? -errno : fd;
}

int zc_netns_socket(const char *name, int domain, int type, int protocol)
{
	struct socket_args a = { domain, type, protocol };

	return in_netns(name, do_socket, &a);
}

int zc_netns_is(const char *name)
{
	struct stat self, named;
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "/run/netns/%s", name) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	if (stat("/proc/self/ns/net", &self) || stat(path, &named))
		return -errno;
	return self.st_dev == named.st_dev && self.st_ino == named.st_ino;
}

static int parse_version(const char *s, unsigned int *major,
			 unsigned int *minor)
{
	return sscanf(s, "%u.%u", major, minor) == 2 ? 0 : -EINVAL;
}

int zc_kernel_older_than(const char *version)
{
	unsigned int kmaj, kmin, vmaj, vmin;
	struct utsname u;

	if (uname(&u) || parse_version(u.release, &kmaj, &kmin) ||
	    parse_version(version, &vmaj, &vmin))
		return -EINVAL;
	return kmaj < vmaj || (kmaj == vmaj && kmin < vmin);
}

static cpu_set_t unpinned;
static bool pinned;

int zc_pin_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0)
		return -errno;
	if (!pinned && sched_getaffinity(0, sizeof(unpinned), &unpinned))
		return -errno;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return -errno;
	pinned = true;
	return cpu;
}

int zc_unpin_cpu(void)
{
	if (!pinned)
		return 0;
	if (sched_setaffinity(0, sizeof(unpinned), &unpinned))
		return -errno;
	pinned = false;
	return 0;
}

const char *zc_getenv(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v && *v ? v : fallback;
}
