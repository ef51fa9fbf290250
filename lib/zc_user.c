// SPDX-License-Identifier: GPL-2.0
/* Running code as another user: see zc_user.h. */
/*
 * setresuid(), pipe2() and friends need _GNU_SOURCE, which
 * older kernel trees' lib.mk does not define.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zc_sys.h"
#include "zc_user.h"

/* Whether /etc/passwd has an entry with uid @uid (NSS aside). */
static bool in_passwd(uid_t uid)
{
	char line[1024], *p;
	bool found = false;
	FILE *f;
	int i;

	f = fopen("/etc/passwd", "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		/* name:password:uid:... */
		for (p = line, i = 0; p && i < 2; i++) {
			p = strchr(p, ':');
			if (p)
				p++;
		}
		found = p && strtoul(p, NULL, 10) == uid;
	}
	fclose(f);
	return found;
}

/* Whether a process runs with @uid as its real, effective or saved uid. */
static bool has_process(uid_t uid)
{
	char path[300], line[256];
	unsigned long r, e, s;
	struct dirent *d;
	bool found = false;
	DIR *dir;
	FILE *f;

	dir = opendir("/proc");
	if (!dir)
		return false;
	while (!found && (d = readdir(dir))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", d->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "Uid: %lu %lu %lu", &r, &e, &s) == 3) {
				found = r == uid || e == uid || s == uid;
				break;
			}
		fclose(f);
	}
	closedir(dir);
	return found;
}

long zc_uid_claim(int *lockfd)
{
	char path[96];
	unsigned int i;
	uid_t uid;
	int fd;

	if (mkdir(ZC_UID_LOCK_DIR, 0700) && errno != EEXIST)
		return -errno;
	for (i = 0; i < ZC_UID_COUNT; i++) {
		uid = ZC_UID_FIRST + i;
		if (getpwuid(uid) || getgrgid(uid) || in_passwd(uid))
			continue;
		snprintf(path, sizeof(path), "%s/uid-%u.lock",
			 ZC_UID_LOCK_DIR, uid);
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX | LOCK_NB)) {
			close(fd);
			continue;
		}
		/* A leftover of a run that died, still running as it. */
		if (has_process(uid)) {
			close(fd);
			continue;
		}
		*lockfd = fd;
		return uid;
	}
	return -EBUSY;
}

void zc_uid_release(int lockfd)
{
	if (lockfd >= 0)
		close(lockfd);
}

struct as_user_msg {
	int ret;		/* of fn, or -errno of a step before it */
	char why[160];
};

/* Child: become @u->uid with no capability left; 0 or -errno in @m. */
static int become(const struct zc_as_user *u, struct as_user_msg *m)
{
	struct rlimit rl = { .rlim_cur = u->memlock, .rlim_max = u->memlock };
	char line[256];
	unsigned long long eff = ~0ULL;
	pid_t parent = getppid();
	FILE *f;

	if (setrlimit(RLIMIT_MEMLOCK, &rl)) {
		snprintf(m->why, sizeof(m->why), "setrlimit(RLIMIT_MEMLOCK, %ld): %s",
			 u->memlock, strerror(errno));
		return -EPERM;
	}
	if (setgroups(0, NULL) || setresgid(u->uid, u->uid, u->uid) ||
	    setresuid(u->uid, u->uid, u->uid)) {
		snprintf(m->why, sizeof(m->why), "setgroups/setresgid/setresuid(%u): %s",
			 u->uid, strerror(errno));
		return -EPERM;
	}
	/*
	 * Changing the euid/egid cleared zc_fork_piped()'s parent-death
	 * signal: set it again, and die now if the parent already went.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL)) {
		snprintf(m->why, sizeof(m->why), "prctl(PR_SET_PDEATHSIG) as uid %u: %s",
			 u->uid, strerror(errno));
		return -EPERM;
	}
	if (getppid() != parent)
		_exit(1);
	/* From root to another uid without SECBIT_KEEP_CAPS: all gone. */
	f = fopen("/proc/self/status", "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	if (f)
		fclose(f);
	if (eff || getuid() != u->uid || geteuid() != u->uid) {
		snprintf(m->why, sizeof(m->why), "capabilities %llx left as uid %u",
			 eff, geteuid());
		return -EPERM;
	}
	return 0;
}

int zc_run_as(struct zc_as_user *u, int (*fn)(void *arg, void *out,
					       size_t len),
	      void *arg, void *out, size_t len)
{
	int64_t deadline = zc_now_ms() + u->timeout_ms;
	struct pollfd pfd = { .events = POLLIN };
	struct as_user_msg m = { 0 };
	size_t got = 0, want = sizeof(m) + len;
	char *buf;
	int fd, ret, err;
	ssize_t n;
	pid_t pid;

	u->status = -1;
	u->why[0] = '\0';
	buf = calloc(1, want);
	if (!buf)
		return -ENOMEM;
	pid = zc_fork_piped(&fd);
	if (pid < 0) {
		free(buf);
		return pid;
	}
	if (!pid) {
		m.ret = become(u, &m);
		if (!m.ret)
			m.ret = fn(arg, buf + sizeof(m), len);
		memcpy(buf, &m, sizeof(m));
		_exit(write(fd, buf, want) == (ssize_t)want ? 0 : 1);
	}
	pfd.fd = fd;
	ret = 0;
	while (got < want) {
		ret = poll(&pfd, 1, zc_left_ms(deadline));
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0) {
			ret = ret ? -errno : -ETIMEDOUT;
			break;
		}
		n = read(fd, buf + got, want - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = -ECHILD;
			break;
		}
		got += n;
		ret = 0;
	}
	/* With its result sent, the child exits: kill it only if not. */
	err = zc_child_reap(pid, fd, ret ? 0 : zc_left_ms(deadline),
			    &u->status, u->why, sizeof(u->why));
	if (!ret && !err) {
		memcpy(&m, buf, sizeof(m));
		memcpy(out, buf + sizeof(m), len);
		snprintf(u->why, sizeof(u->why), "%s", m.why);
		ret = m.ret;
	}
	free(buf);
	return ret ? ret : err;
}
