// SPDX-License-Identifier: GPL-2.0
/* System helpers for libzc: see zc_sys.h. */
/*
 * setns() and CLONE_NEWNET need _GNU_SOURCE, which
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

int zc_netns_open(const char *name, const char *path, int flags)
{
	int self, fd, ret;

	if (!name || !*name) {
		fd = open(path, flags | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	ret = zc_netns_enter(name);
	if (ret) {
		close(self);
		return ret;
	}
	fd = open(path, flags | O_CLOEXEC);
	ret = fd < 0 ? -errno : fd;
	/* Not coming back would send the test's traffic from elsewhere. */
	if (setns(self, CLONE_NEWNET))
		abort();
	close(self);
	return ret;
}

int zc_netns_socket(const char *name, int domain, int type, int proto)
{
	int self, fd, ret;

	if (name && *name) {
		self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (self < 0)
			return -errno;
		ret = zc_netns_enter(name);
		if (ret) {
			close(self);
			return ret;
		}
	} else {
		self = -1;
	}
	fd = socket(domain, type | SOCK_CLOEXEC, proto);
	ret = fd < 0 ? -errno : fd;
	if (self >= 0) {
		/* Not coming back would send the test's traffic from
		 * elsewhere.
		 */
		if (setns(self, CLONE_NEWNET))
			abort();
		close(self);
	}
	return ret;
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

static int sysctl_path(char *path, size_t len, const char *key)
{
	return snprintf(path, len, "/proc/sys/%s", key) >= (int)len ?
	       -ENAMETOOLONG : 0;
}

int zc_sysctl_read(const char *key, long *val)
{
	char path[PATH_MAX], buf[64], *end;
	ssize_t n;
	int fd, ret;

	ret = sysctl_path(path, sizeof(path), key);
	if (ret)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	ret = n < 0 ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	buf[n] = '\0';
	errno = 0;
	*val = strtol(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n'))
		return -EINVAL;
	return 0;
}

int zc_sysctl_write(const char *key, long val)
{
	char path[PATH_MAX], buf[32];
	int fd, n, ret = 0;

	ret = sysctl_path(path, sizeof(path), key);
	if (ret)
		return ret;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%ld\n", val);
	if (write(fd, buf, n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

int zc_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

int zc_kmsg_read(int fd, const char *const *words, char *first, size_t len)
{
	char rec[2048], *text;
	unsigned int prio;
	int i, count = 0;
	ssize_t n;

	if (len)
		first[0] = '\0';
	for (;;) {
		/* One record per read: "prio,seq,usec,flags;text\n". */
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten before we read it */
		if (n < 0 && errno == EAGAIN)
			return count;
		if (n < 0)
			return -errno;
		rec[n] = '\0';
		text = strchr(rec, ';');
		if (!text || sscanf(rec, "%u", &prio) != 1 || (prio & 7) > 4)
			continue;
		text++;
		for (i = 0; words[i] && !strstr(text, words[i]); i++)
			;
		if (!words[i])
			continue;
		if (!count++ && len)
			snprintf(first, len, "%.*s", (int)strcspn(text, "\n"),
				 text);
	}
}

const char *zc_getenv(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v && *v ? v : fallback;
}
