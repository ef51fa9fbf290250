// SPDX-License-Identifier: GPL-2.0
/* System helpers for libzc: see zc_sys.h. */
/*
 * setns(), CLONE_NEWNET, pipe2() and the CPU affinity calls need
 * _GNU_SOURCE, which older kernel trees' lib.mk does not define.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
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

int64_t zc_thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t zc_thread_cpu_ms(void)
{
	return zc_thread_cpu_ns() / 1000000;
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
 * Enter namespace @name, keeping the caller's in *@self; with @name NULL
 * or empty, stay (*@self -1).  0 or -errno.
 */
static int netns_push(const char *name, int *self)
{
	int ret;

	*self = -1;
	if (!name || !*name)
		return 0;
	*self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*self < 0)
		return -errno;
	ret = zc_netns_enter(name);
	if (ret) {
		close(*self);
		*self = -1;
	}
	return ret;
}

/* Back to the namespace netns_push() kept. */
static void netns_pop(int self)
{
	if (self < 0)
		return;
	/* Not coming back would send the test's traffic from elsewhere. */
	if (setns(self, CLONE_NEWNET))
		abort();
	close(self);
}

int zc_netns_open(const char *name, const char *path, int flags)
{
	int self, fd, ret;

	ret = netns_push(name, &self);
	if (ret)
		return ret;
	fd = open(path, flags | O_CLOEXEC);
	ret = fd < 0 ? -errno : fd;
	netns_pop(self);
	return ret;
}

int zc_netns_socket(const char *name, int domain, int type, int proto)
{
	int self, fd, ret;

	ret = netns_push(name, &self);
	if (ret)
		return ret;
	fd = socket(domain, type | SOCK_CLOEXEC, proto);
	ret = fd < 0 ? -errno : fd;
	netns_pop(self);
	return ret;
}

int zc_netns_socket_new(int domain, int type, int proto)
{
	int self, fd;

	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if (unshare(CLONE_NEWNET)) {
		fd = -errno;
		close(self);
		return fd;
	}
	fd = socket(domain, type | SOCK_CLOEXEC, proto);
	if (fd < 0)
		fd = -errno;
	netns_pop(self);
	return fd;
}

int zc_netns_is(const char *name)
{
	struct stat self, named;
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "/run/netns/%s", name) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	/* The thread's own: it may have setns()ed away from the process's. */
	if (stat("/proc/thread-self/ns/net", &self) || stat(path, &named))
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

/* /proc/sys/@key opened with @flags; the descriptor or -errno. */
static int sysctl_open(const char *key, int flags)
{
	char path[PATH_MAX];
	int fd;

	if (snprintf(path, sizeof(path), "/proc/sys/%s", key) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int zc_sysctl_read(const char *key, long *val)
{
	char buf[64], *end;
	ssize_t n;
	int fd, ret;

	fd = sysctl_open(key, O_RDONLY);
	if (fd < 0)
		return fd;
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
	char buf[32];
	int fd, n, ret = 0;

	fd = sysctl_open(key, O_WRONLY);
	if (fd < 0)
		return fd;
	n = snprintf(buf, sizeof(buf), "%ld\n", val);
	if (write(fd, buf, n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

const char *zc_state_dir(void)
{
	return zc_getenv("ZC_RUN_DIR", ZC_STATE_DIR);
}

/*
 * The journal of the caller's network namespace: zc_state_dir()/sysctl-,
 * the run's id (ZC_RUN_ID, "0" outside run_tests.sh), then the
 * namespace's cookie, which no other namespace has while the system runs
 * (SO_NETNS_COOKIE, v5.14), or its inode number on an older kernel.
 */
static int journal_path(char *path, size_t len)
{
	socklen_t clen = sizeof(uint64_t);
	uint64_t cookie;
	struct stat st;
	int fd, ret;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &clen) ?
	      -errno : 0;
	close(fd);
	if (ret == -ENOPROTOOPT) {
		if (stat("/proc/thread-self/ns/net", &st))
			return -errno;
		cookie = st.st_ino;
	} else if (ret) {
		return ret;
	}
	return snprintf(path, len, "%s/sysctl-%s-%s%llu", zc_state_dir(),
			zc_getenv("ZC_RUN_ID", "0"), ret ? "ino-" : "",
			(unsigned long long)cookie) >= (int)len ?
	       -ENAMETOOLONG : 0;
}

/* The journal, created if @create, locked; -ENOENT when absent. */
static FILE *journal_open(bool create, int *err)
{
	char path[PATH_MAX];
	FILE *f;
	int fd;

	*err = journal_path(path, sizeof(path));
	if (*err)
		return NULL;
	if (create && mkdir(zc_state_dir(), 0700) && errno != EEXIST) {
		*err = -errno;
		return NULL;
	}
	fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	f = fdopen(fd, "r+");
	if (!f || flock(fd, LOCK_EX)) {
		*err = -errno;
		if (f)
			fclose(f);
		else
			close(fd);
		return NULL;
	}
	return f;
}

/* init_net's inode number on kernels that fix it (PROC_NET_INIT_INO). */
#define NET_INIT_INO 0xEFFFFFF9U

/*
 * Whether the caller runs in the initial network namespace.  Recent
 * kernels give it a fixed inode number; on 6.12 and older its inode is
 * allocated like any other, so it is compared with pid 1's.  Where pid
 * 1's cannot be read (a sandbox: EACCES), nothing more can be told: 0.
 */
static int in_init_netns(void)
{
	struct stat self, init;

	if (stat("/proc/thread-self/ns/net", &self))
		return -errno;
	if (self.st_ino == NET_INIT_INO)
		return 1;
	if (stat("/proc/1/ns/net", &init))
		return 0;
	return self.st_dev == init.st_dev && self.st_ino == init.st_ino;
}

int zc_sysctl_set(const char *key, long val)
{
	char line[PATH_MAX + 32], name[PATH_MAX];
	bool journaled = false;
	long old;
	FILE *f;
	int ret;

	ret = in_init_netns();
	if (ret)
		return ret < 0 ? ret : -EPERM;
	ret = zc_sysctl_read(key, &old);
	if (ret)
		return ret;
	f = journal_open(true, &ret);
	if (!f)
		return ret;
	while (!journaled && fgets(line, sizeof(line), f))
		journaled = sscanf(line, "%4095s", name) == 1 &&
			    !strcmp(name, key);
	/* The first value is the one to come back to. */
	if (!journaled && (fseek(f, 0, SEEK_END) ||
			   fprintf(f, "%s %ld\n", key, old) < 0 || fflush(f)))
		ret = -errno;
	fclose(f);
	return ret ? ret : zc_sysctl_write(key, val);
}

int zc_sysctl_restore(char *done, size_t len)
{
	char line[PATH_MAX + 32], name[PATH_MAX], path[PATH_MAX];
	int ret, count = 0;
	size_t pos = 0;
	long val;
	FILE *f;

	if (len)
		done[0] = '\0';
	f = journal_open(false, &ret);
	if (!f)
		return ret == -ENOENT ? 0 : ret;
	while (!ret && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%4095s %ld", name, &val) != 2)
			continue;
		ret = zc_sysctl_write(name, val);
		if (ret)
			break;
		count++;
		if (pos < len)
			pos += snprintf(done + pos, len - pos, "%s%s=%ld",
					pos ? " " : "", name, val);
	}
	/* Kept on failure: a later call tries again. */
	if (!ret && !journal_path(path, sizeof(path)))
		unlink(path);
	fclose(f);
	return ret ? ret : count;
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

pid_t zc_fork_piped(int *fd)
{
	pid_t parent = getpid(), pid;
	int fds[2], ret;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(fds[0]);
		close(fds[1]);
		return ret;
	}
	if (pid == 0) {
		close(fds[0]);
		/* Die with the test, even when nothing reaps this child. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(1);
		*fd = fds[1];
		return 0;
	}
	close(fds[1]);
	*fd = fds[0];
	return pid;
}

/* How long a child killed with SIGKILL may take to be gone. */
#define KILL_WAIT_MS	5000

int zc_child_reap(pid_t pid, int fd, int timeout_ms, int *status,
		  char *why, size_t len)
{
	int64_t deadline = zc_now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	bool killed = false;
	char buf[256];
	int ret = 0;
	pid_t got;
	ssize_t n;

	*status = -1;
	/* The child holds the only write end: end of file, it is gone. */
	for (;;) {
		n = poll(&pfd, 1, zc_left_ms(deadline));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			snprintf(why, len, "waiting for child pid %d to exit: poll: %s",
				 (int)pid, strerror(errno));
			kill(pid, SIGKILL);
			break;
		}
		if (!n && killed) {
			snprintf(why, len, "child pid %d still there %d ms after SIGKILL",
				 (int)pid, zc_slow_ms(KILL_WAIT_MS));
			close(fd);
			return -ETIMEDOUT;
		}
		if (!n) {
			kill(pid, SIGKILL);
			killed = true;
			deadline = zc_now_ms() + zc_slow_ms(KILL_WAIT_MS);
			continue;
		}
		n = read(fd, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			break;
	}
	close(fd);
	do {
		got = waitpid(pid, status, 0);
	} while (got < 0 && errno == EINTR);
	if (got < 0) {
		*status = -1;
		if (!ret) {
			ret = -errno;
			snprintf(why, len, "waitpid(child pid %d): %s",
				 (int)pid, strerror(errno));
		}
	}
	return ret;
}

const char *zc_getenv(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v && *v ? v : fallback;
}
