/* SPDX-License-Identifier: GPL-2.0 */
/*
 * System helpers: deadlines, namespaces, kernel version, environment.
 * Plain helpers: they return -errno and never assert.
 */
#ifndef ZC_SYS_H
#define ZC_SYS_H

#include <stdbool.h>
#include <stdint.h>

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

/** zc_thread_cpu_ms() - CPU time of the calling thread in milliseconds */
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
 * zc_netns_socket() - socket(@domain, @type, @protocol) in the named
 * network namespace: enter /run/netns/@name, create it, and come back.  A
 * socket stays bound to the namespace it was made in (netlink sockets
 * talk to that namespace's kernel objects).  @name NULL or empty makes it
 * in the caller's own namespace.
 *
 * Return: the descriptor (close-on-exec), or -errno.
 */
int zc_netns_socket(const char *name, int domain, int type, int protocol);

/**
 * zc_netns_is() - whether the caller's network namespace is the named one,
 * /run/netns/@name.
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

/** zc_getenv() - the variable's value, or @fallback when unset or empty */
const char *zc_getenv(const char *name, const char *fallback);

#endif /* ZC_SYS_H */
