/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Running code as another, otherwise unused user: for the limits that the
 * kernel charges per user (RLIMIT_MEMLOCK against user->locked_vm, which
 * MSG_ZEROCOPY charges for the pages it pins unless the caller has
 * CAP_IPC_LOCK).  Such a charge outlives the process while its packets are
 * held, so the uid must be no real user's and no other run's: it is
 * claimed from a fixed range of uids that no distribution allocates, and
 * locked while in use.  Plain helpers: they return -errno, never assert.
 */
#ifndef ZC_USER_H
#define ZC_USER_H

#include <stddef.h>
#include <sys/types.h>

#include "zc_sys.h"

/*
 * 2000000000..2000000063: inside 0x70000000..0x7ffdffff, which systemd's
 * UIDS-GIDS.md leaves unused (below the "foreign" and 0x80000000+ ranges,
 * above container ranges), far from regular users and nobody.
 */
#define ZC_UID_FIRST	2000000000U
#define ZC_UID_COUNT	64

/* Where claims are locked: one file per uid, flock()ed while claimed. */
#define ZC_UID_LOCK_DIR	ZC_STATE_DIR

/**
 * zc_uid_claim() - claim a uid for this process: one of ZC_UID_COUNT from
 * ZC_UID_FIRST that no passwd entry names (getpwuid(), and /etc/passwd
 * read directly), no group of the same number exists, no process runs as,
 * and no other process holds the lock of (ZC_UID_LOCK_DIR/uid-N.lock,
 * flock, released by zc_uid_release() or when the process dies).
 * @lockfd: set to the lock's descriptor.
 *
 * Return: the uid (> 0); -EBUSY when every uid of the range is taken;
 * -errno when the lock directory cannot be made.
 */
long zc_uid_claim(int *lockfd);

/** zc_uid_release() - give a claimed uid back (closes @lockfd) */
void zc_uid_release(int lockfd);

/* What the function run as another user sends back, and how it ended. */
struct zc_as_user {
	uid_t uid;		/* the user to become (uid and gid) */
	long memlock;		/* RLIMIT_MEMLOCK in bytes, both limits */
	int timeout_ms;		/* the child is killed after this long */
	int status;		/* its wait status, once reaped */
	char why[160];		/* what failed before fn ran */
};

/**
 * zc_run_as() - fork a child that sets RLIMIT_MEMLOCK to @u->memlock,
 * drops its supplementary groups, switches to uid and gid @u->uid with
 * setresgid() and setresuid() (losing every capability, CAP_IPC_LOCK
 * included, and checking that it did), and calls @fn(@arg, @out, @len).
 * What @fn writes to @out (at most @len bytes) comes back through a pipe.
 * The child dies with its parent (PR_SET_PDEATHSIG) and is killed after
 * @u->timeout_ms; it is always reaped before this returns.
 *
 * Return: 0 when @fn ran and returned 0 (@out filled); the -errno that
 * @fn returned; -EPERM when the child could not become the user or kept a
 * capability (@u->why says which step); -ETIMEDOUT when it was killed;
 * -ECHILD when it died without a result (@u->status); -errno of pipe/fork;
 * the -errno of zc_child_reap() when it could not be reaped (@u->why).
 */
int zc_run_as(struct zc_as_user *u, int (*fn)(void *arg, void *out,
					       size_t len),
	      void *arg, void *out, size_t len);

#endif /* ZC_USER_H */
