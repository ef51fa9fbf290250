#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# /init of the guest that harness/vm.sh boots: mount what the suite needs,
# load the kernel modules it needs, run the installed kselftest tree with
# run_kselftest.sh -c zerocopy, power off.  Everything goes to the console
# (ttyS0), which the host reads.  Lines of this script start with "zc-vm:";
# the rest is run_kselftest.sh's output and the kernel's.
#
# From the kernel command line:
#   zc.env=NAME=VALUE an environment variable of the suite (ZC_TOPOLOGIES,
#                     ZC_PROGRAMS, ZC_TIMEOUT, KSFT_MACHINE_SLOW, ...)
#   zc.fault=panic    crash the kernel before anything runs (sysrq c)
#   zc.fault=hang     block forever before anything runs
#   zc.fault=crash-in-suite  crash the kernel once the suite has started
# The faults let the host prove its own checks (selftests/vm_selftest.sh).
#
# The guest has no network device but lo, and only this initramfs as its
# file system: nothing of the host is reachable from here.

export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb

say()
{
	echo "zc-vm: $*"
}

# Ends the guest: qemu runs with -no-reboot, and panic=-1 turns a failed
# power-off into a reboot, so qemu exits either way.
power_off()
{
	sync
	echo o >/proc/sysrq-trigger
	# Not reached unless sysrq is off.
	echo b >/proc/sysrq-trigger
	exit 1
}

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
# What udev would make; kselftest/runner.sh writes to /dev/stdout.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 shm /dev/shm
mount -t tmpfs -o mode=755 run /run
mount -t tmpfs -o mode=1777 tmp /tmp
[ -d /sys/fs/cgroup ] && mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
echo 1 >/proc/sys/kernel/sysrq
# Only emergencies (a panic) on the console from here on: kernel messages
# must not break the KTAP lines.  An oops raises the level by itself.
echo 1 >/proc/sys/kernel/printk

read -r cmdline </proc/cmdline
read -r up _ </proc/uptime
say "booted $(uname -r) in ${up}s, $(nproc) CPUs"
for arg in $cmdline; do
	case $arg in
	zc.fault=panic)
		say "zc.fault=panic: crashing the kernel"
		echo c >/proc/sysrq-trigger
		;;
	zc.env=*)
		arg=${arg#zc.env=}
		if [[ $arg =~ ^[A-Z_][A-Z0-9_]*= ]]; then
			export "${arg?}"
			say "environment: $arg"
		fi
		;;
	zc.fault=hang)
		say "zc.fault=hang: blocking forever"
		mkfifo /run/hang
		read -r _ <>/run/hang
		;;
	esac
done

# The modules the suite needs (vm.sh wrote the list); a built-in one
# loads as well.  One that cannot be loaded is named: vm.sh counts it as
# a broken guest.
missing=()
while read -r mod; do
	[ -n "$mod" ] || continue
	if ! err=$(modprobe "$mod" 2>&1); then
		say "module $mod: not loaded: ${err:-modprobe failed}"
		missing+=("$mod")
	fi
done </etc/zc-vm/modules
say "modules loaded: $(wc -l </proc/modules); not loaded: ${missing[*]:-none}"

ip link set lo up
cd /kselftest || { say "no /kselftest"; power_off; }
# Kernel messages from here on are the suite's.
dmesg -C 2>/dev/null
say "run_kselftest.sh -c zerocopy"
if [[ " $cmdline " == *" zc.fault=crash-in-suite "* ]]; then
	./run_kselftest.sh -c zerocopy | while IFS= read -r line; do
		echo "$line"
		[ "$line" != "# KTAP version 1" ] || echo c >/proc/sysrq-trigger
	done
else
	./run_kselftest.sh -c zerocopy
fi
say "run_kselftest.sh exit $?"
# What the kernel said while the suite ran, at warning level and above.
dmesg --level=emerg,alert,crit,err,warn 2>/dev/null | sed 's/^/zc-vm: dmesg: /'
read -r up _ </proc/uptime
say "done at ${up}s"
power_off
