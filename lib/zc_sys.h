/* SPDX-License-Identifier: GPL-2.0 */
/*
 * System helpers: deadlines, namespaces, kernel version, environment.
 * Plain helpers: they return -errno and never assert.
 */
#ifndef ZC_SYS_H
#define ZC_SYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* State that outlives a test process: uid locks, sysctl journals. */
#define ZC_STATE_DIR	"/run/zerocopy-selftests"

/** zc_now_ms() - CLOCK_MONOTONIC in milliseconds */
int64_t zc_now_ms(void);

/** zc_now_us() - CLOCK_MONOTONIC in microseconds */
int64_t zc_now_us(void);

/**
 * zc_slow_ms() - @ms stretched for slow machines: tripled when
 * KSFT_MACHINE_SLOW=yes, as net/lib.sh does for its deadlines.
 */
int zc_slow_ms(int ms);

/**
 * zc_left_ms() - milliseconds left until @deadline (a zc_now_ms() value),
 * 0 when it has passed: a poll() timeout that never blocks forever.
 */
int zc_left_ms(int64_t deadline);

/** zc_thread_cpu_ns() - CPU time of the calling thread in nanoseconds */
int64_t zc_thread_cpu_ns(void);

/** zc_thread_cpu_ms() - zc_thread_cpu_ns() in milliseconds */
int64_t zc_thread_cpu_ms(void);

/**
 * zc_netns_enter() - move the calling thread into the named network
 * namespace, /run/netns/@name (as made by `ip netns add`).
 *
 * Return: 0, or -errno from open() or setns().
 */
int zc_netns_enter(const char *name);

/**
 * zc_netns_open() - open @path as the named network namespace sees it:
 * enter /run/netns/@name, open, and come back to the caller's namespace.
 * Files such as /proc/self/net/dev stay bound to the namespace they were
 * opened in.  @name NULL or empty opens in the caller's own namespace.
 *
 * Return: the descriptor, or -errno.
 */
int zc_netns_open(const char *name, const char *path, int flags);

/**
 * zc_netns_socket() - socket(@domain, @type | SOCK_CLOEXEC, @proto) in the
 * named network namespace, /run/netns/@name, made from the caller's thread,
 * which comes back to its own namespace.  A socket stays in the namespace
 * it was made in.  @name NULL or empty: the caller's own.
 *
 * Return: the descriptor, or -errno from open(), setns() or socket().
 */
int zc_netns_socket(const char *name, int domain, int type, int proto);

/**
 * zc_netns_socket_new() - socket(@domain, @type | SOCK_CLOEXEC, @proto) in
 * a new network namespace of its own (unshare(CLONE_NEWNET)), which lives
 * as long as the socket; the caller's thread comes back to its namespace.
 *
 * Return: the descriptor, or -errno from open(), unshare() or socket().
 */
int zc_netns_socket_new(int domain, int type, int proto);

/**
 * zc_netns_is() - whether the calling thread's network namespace (which
 * setns() changes for that thread only) is the named one, /run/netns/@name.
 *
 * Return: 1 if it is, 0 if not, -errno if either could not be read.
 */
int zc_netns_is(const char *name);

/**
 * zc_kernel_older_than() - whether the running kernel's version is below
 * @version ("MAJOR.MINOR").
 *
 * Return: 1 if older, 0 if not, -EINVAL if either version is unreadable.
 */
int zc_kernel_older_than(const char *version);

/**
 * zc_sysctl_read() - the integer in /proc/sys/@key (e.g.
 * "net/core/optmem_max"), as the caller's namespaces see it.
 *
 * Return: 0 with @val set; -ENOENT when this namespace has no such
 * sysctl; -EINVAL when it does not hold an integer; -errno of open/read.
 */
int zc_sysctl_read(const char *key, long *val);

/**
 * zc_sysctl_write() - write @val to /proc/sys/@key.  Network sysctls that
 * exist in a namespace other than the initial one are that namespace's
 * own: the caller makes sure it is not in the host's.
 *
 * Return: 0, or -errno of open() or write().
 */
int zc_sysctl_write(const char *key, long val);

/**
 * zc_sysctl_set() - write @val to /proc/sys/@key in the caller's network
 * namespace, after recording the value it replaces in that namespace's
 * journal (a file in zc_state_dir() named by the run, ZC_RUN_ID, and the
 * namespace's cookie: run_tests.sh removes a run's journals), unless
 * the journal has @key already: it keeps the value from before the first
 * change.  zc_sysctl_restore() writes it back, from this process or from
 * any later one in the same namespace, so that a test killed before its
 * teardown leaves nothing changed for the tests after it.
 *
 * Return: 0; -EPERM in the initial network namespace (the host's: never
 * changed); -ENOENT when this namespace has no such sysctl (network
 * sysctls that are not per namespace exist only in the initial one);
 * -errno of the journal, the read or the write.
 */
int zc_sysctl_set(const char *key, long val);

/**
 * zc_sysctl_restore() - write back every value in the journal of the
 * caller's network namespace, then remove the journal.  @done (@len
 * bytes) gets "key=value ..." of what was written, for the log.
 *
 * Return: how many values were written back (0: nothing was changed), or
 * the -errno of the first that could not be (the journal is kept, so a
 * later call tries again).
 */
int zc_sysctl_restore(char *done, size_t len);

/**
 * zc_kmsg_open() - the kernel log (/dev/kmsg), positioned after its last
 * record, to read what is logged from now on (zc_kmsg_read()).
 *
 * Return: a non-blocking descriptor, or -errno (-EPERM: not readable).
 */
int zc_kmsg_open(void);

/**
 * zc_kmsg_read() - read the records logged since zc_kmsg_open() or the
 * last call, and count those at KERN_WARNING or more severe whose text
 * contains one of the words in @words (NULL-terminated; case matters).
 * The first one counted is copied to @first (always terminated).
 *
 * Return: the count, or -errno of read().
 */
int zc_kmsg_read(int fd, const char *const *words, char *first, size_t len);

/**
 * zc_fork_piped() - fork a child joined to the caller by a pipe (both ends
 * close-on-exec): the child writes, the caller reads, and end of file
 * tells the caller that the child is gone.  The child is killed when the
 * caller's thread dies (PR_SET_PDEATHSIG), and exits 1 at once if the
 * caller died before that was set.  @fd: the caller's read end, or in the
 * child its write end.
 *
 * Return: the child's pid in the caller, 0 in the child, or -errno of
 * pipe2() or fork().
 */
pid_t zc_fork_piped(int *fd);

/**
 * zc_child_reap() - wait up to @timeout_ms for the child @pid of
 * zc_fork_piped() to exit, kill it (SIGKILL) if it has not, and reap it.
 * Its exit is end of file on @fd, the caller's read end of its pipe
 * (what it still writes is read and dropped); @fd is closed.  The wait
 * after SIGKILL is bounded too.  @status: its wait status (a killed
 * child's says SIGKILL), or -1 when it was not reaped.
 *
 * Return: 0 when it was reaped; -ETIMEDOUT when it outlived SIGKILL;
 * -errno of poll() or waitpid() (@why, @len: which child, what failed).
 */
int zc_child_reap(pid_t pid, int fd, int timeout_ms, int *status,
		  char *why, size_t len);

/**
 * zc_pin_cpu() - keep the calling thread on the CPU it runs on now, so
 * that everything it transmits is handed to one CPU's backlog (veth
 * delivers to the backlog of the transmitting CPU: two CPUs' backlogs
 * can reorder frames between them).  The CPUs it was allowed before are
 * remembered for zc_unpin_cpu().
 *
 * Return: the CPU, or -errno of sched_getcpu(), sched_getaffinity() or
 * sched_setaffinity().
 */
int zc_pin_cpu(void);

/**
 * zc_unpin_cpu() - allow the calling thread the CPUs it had before
 * zc_pin_cpu() again; nothing if it is not pinned.
 *
 * Return: 0, or -errno of sched_setaffinity().
 */
int zc_unpin_cpu(void);

/**
 * zc_state_dir() - where the suite keeps state that must outlive a test
 * process: the run's directory (ZC_RUN_DIR, set by run_tests.sh, which
 * also records its runs there), else ZC_STATE_DIR.
 */
const char *zc_state_dir(void);

/** zc_getenv() - the variable's value, or @fallback when unset or empty */
const char *zc_getenv(const char *name, const char *fallback);

#endif /* ZC_SYS_H */
