#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the suite inside other kernels under qemu, the way kernel CI runs
# kselftests in virtual machines: the kselftest tree installed from a
# kernel tree (harness/ksft_tree.sh), run by run_kselftest.sh in a guest
# whose only file system is an initramfs made here, and a verdict table
# per kernel.
#
#   vm.sh KERNEL...
#
# KERNEL is one of
#   6.1, 6.12           the newest Debian 12 cloud-amd64 build of that
#                       series (bookworm, bookworm-security,
#                       bookworm-backports)
#   6.1.192-3, 6.12.117-1~deb12u1, 6.12.107
#                       that Debian package version (or the newest with
#                       that upstream version)
#   /path/to/vmlinuz    a kernel image; its modules from VM_MODULES=DIR
#                       (a lib/modules/<release> directory), else
#                       /lib/modules/<release> when the image is
#                       .../vmlinuz-<release>, else none (built in)
#
# Debian packages are found through an apt configuration of its own under
# $ZC_BUILD/vm/apt (this machine's apt sources are never read or changed)
# and cached, with their extracted trees, under $ZC_BUILD/vm.  The guest
# (qemu, KVM when it works, else TCG; $VM_CPUS CPUs, $VM_MEM MB) has no
# network device (-nic none): it reaches nothing outside itself.  It gets
# copies of the installed kselftest tree, of this machine's bash, iproute2,
# coreutils, procps, util-linux and kmod with their libraries, and of the
# kernel's modules that the suite needs (decompressed, with depmod's
# tables).  Its console (ttyS0) is read as it comes: the suite's KTAP is
# relayed on stdout, nested per kernel.  Nothing is left behind but the
# files under $ZC_BUILD/vm.
#
# A guest that dies before the suite starts (a boot panic) is booted once
# more; a guest that dies during the suite is a failure (the kernel
# crashed under test), its panic lines shown.  A watchdog kills a guest
# that has not booted after VM_BOOT_TIMEOUT seconds (default 120) or not
# finished after VM_TIMEOUT (default: the suite's settings timeout plus
# VM_BOOT_TIMEOUT), showing its last console lines.
#
# Afterwards: a verdict table of every kernel on stdout ("# " lines) and in
# $ZC_BUILD/vm/verdicts.txt, one line per test case in
# $ZC_BUILD/vm/verdicts.tsv, and per kernel in $ZC_BUILD/vm/runs/<kernel>/
# the console log, the suite's KTAP and the times.
#
# Exit status: the suite's (0 passed, 1 failed, 4 all skipped), the worst
# over the kernels; 2 bad usage; 70 the VM path failed (no kernel package,
# no qemu, a guest that hung, a module the guest could not load); 75 a
# guest died twice before the suite started (an infrastructure error, not
# a test failure).  A test failure beats 70, which beats 75.
#
# Environment: ZC_BUILD (build directory), VM_CPUS (2), VM_MEM (1024),
# VM_CPU (qemu -cpu under TCG, e.g. max), VM_TCG (TCG options, e.g.
# thread=single),
# VM_BOOT_TIMEOUT, VM_TIMEOUT, VM_KSFT (an installed kselftest tree to use
# instead of installing one), VM_ENV (the suite's environment in the
# guest: NAME=VALUE words without spaces, e.g. "ZC_TOPOLOGIES=lo,veth"),
# VM_APPEND (more kernel command line), VM_OUT (where runs/ and the
# verdicts go, default $ZC_BUILD/vm),
# VM_FAULT (for the tool's own tests, harness/vm_selftest.sh: "panic" or
# "hang" in the guest before anything runs, "panic-once" on the first boot
# only, "crash-in-suite" a panic once the suite has started, "noinit" a
# command line with no init, "drop-module:NAME" a module left out of the
# guest after its tables were made).
set -u
shopt -s nullglob

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=netns/lib.sh
. "$TOP/netns/lib.sh"
BUILD=${ZC_BUILD:-$TOP/build}
VMDIR=$BUILD/vm
# Where the runs and the verdicts go (the caches stay in VMDIR).
OUT=${VM_OUT:-$VMDIR}
APTDIR=$VMDIR/apt
EX_INFRA=70
EX_DIED=75
SCRATCH=''		# the directory being filled, removed on any exit
PATH=$PATH:/usr/sbin:/sbin

: "${VM_CPUS:=2}" "${VM_MEM:=1024}" "${VM_BOOT_TIMEOUT:=120}"
: "${VM_FAULT:=}" "${VM_APPEND:=}" "${VM_ENV:=}"
RESULT_HDR="selftests: zerocopy: run_tests.sh"
KEEP_LINES=20		# console lines shown for a guest that hung or died
QEMU_STOP_BOUND=5	# seconds qemu may take to exit after SIGTERM

# The modules the suite needs, loaded by the guest's init: "name  why".
# A module the package does not have (nor has built in) is a feature that
# kernel lacks: the tests that need it skip, naming it.
NEEDED_MODULES="
veth            topologies veth, forward, veth_tbf
ifb             topologies sink, forward
tun             copy_causes: a tun device as egress
sch_tbf         topology veth_tbf, out-of-order completions
af_packet       packet sockets (packet_tx_ring, copy_causes' taps)
af_packet_diag  lib/zc_diag: packet sockets on a path (sock_diag)
ipv6            every ip6 variant
"
# Modules the guest may load on demand (modprobe through the kernel's
# request_module): every qdisc, classifier and action, nftables, and more
# devices, for tests that set them up themselves.
OPTIONAL_MODULE_DIRS="kernel/net/sched kernel/net/packet"
OPTIONAL_MODULE_GLOBS="kernel/drivers/net/dummy.ko* kernel/drivers/net/macvlan.ko*
kernel/net/netfilter/nf_tables.ko* kernel/net/netfilter/nft_*.ko*
kernel/net/ipv4/*diag*.ko* kernel/net/ipv6/*diag*.ko* kernel/net/core/*diag*.ko*
kernel/net/netlink/*diag*.ko*"
# This machine's programs the guest gets (with their libraries).
GUEST_PROGS="bash dash sh mount umount mkdir mkfifo mknod cat ls ln rm cp mv
chmod sync sleep timeout stdbuf env uname nproc id date mktemp readlink realpath
dirname basename head tail cut tr sort uniq wc tee sed grep awk mawk find
xargs ip tc ss nstat sysctl ps pgrep pkill kill modprobe insmod lsmod dmesg
setsid setpriv nsenter unshare prlimit taskset flock ethtool nft"

usage()
{
	sed -n '9,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# Diagnostics: KTAP "# " lines on stdout, prefixed with the kernel.
msg()
{
	echo "# vm${CUR:+[$CUR]}: $*"
}

die()
{
	msg "$*"
	exit "$EX_INFRA"
}

# ---- kernels: Debian packages through a private apt configuration -------

APT_OPTS=()
apt_setup()
{
	local s keyring=/usr/share/keyrings/debian-archive-keyring.gpg

	APT_OPTS=(-o "Dir::Etc::SourceList=$APTDIR/sources.list"
		  -o "Dir::Etc::SourceParts=$APTDIR/sources.list.d"
		  -o "Dir::State::Lists=$APTDIR/lists"
		  -o "Dir::Cache=$APTDIR/cache"
		  -o "Dir::State::status=/dev/null"
		  -o "Acquire::Languages=none"
		  -o "APT::Architecture=amd64"
		  -o "APT::Architectures=amd64"
		  -o "APT::Sandbox::User=root" -q)
	[ -f "$APTDIR/sources.list" ] && return 0
	mkdir -p "$APTDIR/sources.list.d" "$APTDIR/lists/partial" \
		"$APTDIR/cache/archives/partial" || return 1
	command -v apt-get >/dev/null || {
		msg "apt-get not found: name a vmlinuz instead of a version"
		return 1
	}
	for s in "debian bookworm" "debian bookworm-backports" \
		 "debian-security bookworm-security"; do
		echo "deb [signed-by=$keyring] http://deb.debian.org/${s% *} ${s#* } main"
	done >"$APTDIR/sources.list.tmp" &&
		mv "$APTDIR/sources.list.tmp" "$APTDIR/sources.list"
}

# apt_update [FORCE]: the package lists, refreshed once a day.
apt_update()
{
	local stamp=$APTDIR/updated

	if [ -z "${1:-}" ] && [ -f "$stamp" ] &&
	   [ -n "$(find "$stamp" -mmin -1440 2>/dev/null)" ]; then
		return 0
	fi
	msg "updating the package lists of bookworm, bookworm-security and bookworm-backports"
	apt-get "${APT_OPTS[@]}" update >"$APTDIR/update.log" 2>&1 || {
		msg "apt-get update failed:"
		tail -n 5 "$APTDIR/update.log" | sed 's/^/#   /'
		return 1
	}
	touch "$stamp"
}

# Every cloud-amd64 kernel image package (not the meta packages, which
# name no release): "package version" per line.
apt_images()
{
	local -a names

	mapfile -t names < <(apt-cache "${APT_OPTS[@]}" pkgnames linux-image- |
		grep -E '^linux-image-[0-9]+\.[0-9]+\.[0-9]+[^ ]*-cloud-amd64$')
	[ "${#names[@]}" -gt 0 ] || return 1
	apt-cache "${APT_OPTS[@]}" madison "${names[@]}" |
		awk -F ' *[|] *' '{ print $1, $2 }' | sort -u
}

# resolve KERNEL: "package version" of the newest image KERNEL names.
resolve()
{
	local want=$1 pkg ver best='' bestv=''

	while read -r pkg ver; do
		case $ver in
		"$want" | "$want".* | "$want"-*) ;;
		*) continue ;;
		esac
		if [ -z "$bestv" ] || dpkg --compare-versions "$ver" gt "$bestv"; then
			best=$pkg bestv=$ver
		fi
	done < <(apt_images)
	[ -n "$best" ] && echo "$best $bestv"
}

# fetch KERNEL: sets K_LABEL, K_IMAGE (vmlinuz), K_MODDIR (its
# lib/modules/<release>, or empty), K_DESC.
fetch()
{
	local want=$1 pkg ver deb tree rel tmp

	K_MODDIR='' K_IMAGE=''
	if [[ $want == */* ]]; then
		[ -f "$want" ] || { msg "no kernel image $want"; return 1; }
		K_IMAGE=$(readlink -f "$want")
		rel=${K_IMAGE##*/vmlinuz-}
		[ "$rel" != "$K_IMAGE" ] || rel=''
		if [ -n "${VM_MODULES:-}" ]; then
			K_MODDIR=$VM_MODULES
		elif [ -n "$rel" ] && [ -d "/lib/modules/$rel" ]; then
			K_MODDIR=/lib/modules/$rel
		fi
		K_LABEL=${rel:-${K_IMAGE##*/}}
		K_DESC="$K_IMAGE${K_MODDIR:+, modules from $K_MODDIR}"
		return 0
	fi
	[[ $want =~ ^[0-9][0-9A-Za-z.+~:-]*$ ]] ||
		{ msg "KERNEL must be a version (6.1, 6.12, 6.1.192-3) or a path, not '$want'"; return 2; }
	apt_setup && apt_update || return 1
	read -r pkg ver < <(resolve "$want")
	if [ -z "${pkg:-}" ]; then
		# A version newer than the lists: refresh once.
		apt_update force || return 1
		read -r pkg ver < <(resolve "$want")
	fi
	if [ -z "${pkg:-}" ]; then
		msg "no Debian 12 cloud-amd64 kernel package with version $want; there are:"
		apt_images | awk '{ print $2 }' | sort -V | paste -sd ' ' - |
			fold -s -w 70 | sed 's/^/#   /'
		return 1
	fi
	K_LABEL=$ver
	K_DESC="$pkg $ver"
	mkdir -p "$VMDIR/debs" "$VMDIR/kernels" || return 1
	deb=$VMDIR/debs/${pkg}_${ver//:/%3a}_amd64.deb
	if [ ! -f "$deb" ]; then
		msg "downloading $pkg $ver"
		tmp=$(mktemp -d "$VMDIR/debs/tmp.XXXXXX") || return 1
		SCRATCH=$tmp
		if ! (cd "$tmp" && apt-get "${APT_OPTS[@]}" download \
		      "$pkg=$ver" >download.log 2>&1); then
			msg "apt-get download $pkg=$ver failed:"
			tail -n 5 "$tmp/download.log" | sed 's/^/#   /'
			rm -rf "$tmp"
			return 1
		fi
		mv "$tmp"/*.deb "$deb" && rm -rf "$tmp" || return 1
		SCRATCH=''
	fi
	tree=$VMDIR/kernels/$pkg-$ver
	if [ ! -d "$tree" ]; then
		tmp=$(mktemp -d "$VMDIR/kernels/tmp.XXXXXX") || return 1
		SCRATCH=$tmp
		if ! dpkg-deb -x "$deb" "$tmp"; then
			rm -rf "$tmp"
			msg "cannot extract $deb"
			return 1
		fi
		mv -T "$tmp" "$tree" 2>/dev/null || rm -rf "$tmp"
		SCRATCH=''
	fi
	K_IMAGE=$(printf '%s\n' "$tree"/boot/vmlinuz-* | head -n 1)
	[ -n "$K_IMAGE" ] || { msg "no boot/vmlinuz-* in $deb"; return 1; }
	rel=${K_IMAGE##*/vmlinuz-}
	for K_MODDIR in "$tree/lib/modules/$rel" "$tree/usr/lib/modules/$rel" ''; do
		[ -z "$K_MODDIR" ] || [ -d "$K_MODDIR" ] && break
	done
}

# ---- the guest's initramfs ----------------------------------------------

# add_file ROOT PATH: PATH (and what its symlinks point to) into ROOT.
add_file()
{
	local root=$1 path=$2 real

	[ -e "$root$path" ] && return 0
	real=$(readlink -f "$path") || return 1
	if [ "$real" != "$path" ]; then
		add_file "$root" "$real" || return 1
		mkdir -p "$root${path%/*}"
		# A directory symlinked (merged /usr) is made by the caller.
		[ -e "$root$path" ] || ln -s "$real" "$root$path"
		return 0
	fi
	mkdir -p "$root${path%/*}" && cp -a "$path" "$root$path"
}

# add_prog ROOT NAME: a program from this machine, with its libraries.
add_prog()
{
	local root=$1 name=$2 path lib

	path=$(command -v "$name") || return 1
	[[ $path == /* ]] || return 0	# a shell builtin
	add_file "$root" "$path" || return 1
	while read -r lib; do
		add_file "$root" "$lib" || return 1
	done < <(ldd "$path" 2>/dev/null |
		 sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p')
}

# modules_closure MODDIR NAME...: the files of the modules and of every
# module they need, one per line ("builtin" ones left out); a name that
# is not there is reported on fd 3.
modules_closure()
{
	local moddir=$1 base rel name line out
	shift

	base=${moddir%/lib/modules/*}
	rel=${moddir##*/}
	for name; do
		if ! out=$(modprobe -d "$base" -S "$rel" -D "$name" 2>&1); then
			echo "$name" >&3
			continue
		fi
		while read -r line; do
			line=${line#insmod }
			line=${line%% *}
			[[ $line == /* ]] && echo "$line"
		done <<<"$out"
	done
}

# build_initramfs OUT: the guest's root file system as a cpio archive.
# Sets G_MODULES (the list the guest loads) and G_NOTES (what is missing).
build_initramfs()
{
	local out=$1 root rel f g dir dest mod rc=0 moddir=$K_MODDIR work
	local -a needed=() files=() missing=()

	root=$(mktemp -d "$VMDIR/root.XXXXXX") && chmod 755 "$root" || return 1
	SCRATCH=$root
	mkdir -p "$root"/{proc,sys,dev,run,tmp,root,etc/zc-vm,usr/bin,usr/sbin,usr/lib,usr/lib64}
	ln -s usr/bin "$root/bin"
	ln -s usr/sbin "$root/sbin"
	ln -s usr/lib "$root/lib"
	ln -s usr/lib64 "$root/lib64"
	cp "$TOP/harness/vm-init.sh" "$root/init" && chmod 755 "$root/init" ||
		rc=1
	for f in $GUEST_PROGS; do
		add_prog "$root" "$f" || true
	done
	# stdbuf preloads this library.
	[ ! -e /usr/libexec/coreutils/libstdbuf.so ] ||
		add_file "$root" /usr/libexec/coreutils/libstdbuf.so
	# run_kselftest.sh and kselftest/runner.sh are /bin/sh scripts.
	[ -e "$root/usr/bin/sh" ] || ln -s bash "$root/usr/bin/sh"
	echo "root:x:0:0:root:/root:/bin/bash" >"$root/etc/passwd"
	echo "root:x:0:" >"$root/etc/group"
	for f in /etc/iproute2 /usr/share/iproute2; do
		[ -d "$f" ] || continue
		mkdir -p "$root${f%/*}" && cp -a "$f" "$root$f"
	done
	cp -a "$KSFT" "$root/kselftest" || rc=1

	# Modules: the needed ones and their dependencies, and the optional
	# ones, decompressed; then depmod's tables for this set.
	G_NOTES=''
	if [ -n "$moddir" ]; then
		moddir=$(readlink -f "$moddir")
		rel=${moddir##*/}
		# Dependency tables: a Debian package ships none; make them
		# in its extracted tree, or in a copy of a directory of this
		# machine's, once.
		if [ ! -f "$moddir/modules.dep" ]; then
			if [[ $moddir != "$VMDIR"/* ]]; then
				work=$VMDIR/moddeps/${moddir//\//_}
				if [ ! -d "$work/lib/modules/$rel" ]; then
					mkdir -p "$work/lib/modules" &&
					cp -a "$moddir" "$work/lib/modules/$rel.tmp" &&
					mv -T "$work/lib/modules/$rel.tmp" \
						"$work/lib/modules/$rel" || rc=1
				fi
				moddir=$work/lib/modules/$rel
			fi
			if [ "$rc" -ne 0 ] ||
			   ! depmod -b "${moddir%/lib/modules/*}" "$rel"; then
				msg "depmod failed for $moddir"
				rm -rf "$root"
				return 1
			fi
		fi
		while read -r mod _; do
			[ -n "$mod" ] && needed+=("$mod")
		done <<<"$NEEDED_MODULES"
		mapfile -t missing < <(modules_closure "$moddir" \
			"${needed[@]}" 3>&1 >/dev/null)
		mapfile -t files < <(modules_closure "$moddir" \
			"${needed[@]}" 3>/dev/null)
		for dir in $OPTIONAL_MODULE_DIRS; do
			for f in "$moddir/$dir"/*.ko*; do
				files+=("$f")
			done
		done
		for g in $OPTIONAL_MODULE_GLOBS; do
			for f in "$moddir"/$g; do
				mod=${f##*/}
				mapfile -t -O "${#files[@]}" files < <(
					modules_closure "$moddir" "${mod%%.ko*}" \
					3>/dev/null)
			done
		done
		for f in "${files[@]}"; do
			dir=$root/lib/modules/$rel/${f#*/lib/modules/"$rel"/}
			case $f in
			*.ko.xz) dest=${dir%.xz} ;;
			*.ko.zst) dest=${dir%.zst} ;;
			*.ko.gz) dest=${dir%.gz} ;;
			*) dest=$dir ;;
			esac
			[ -e "$dest" ] && continue
			mkdir -p "${dest%/*}"
			case $f in
			*.ko.xz) xz -dc "$f" >"$dest" ;;
			*.ko.zst) zstd -qdc "$f" >"$dest" ;;
			*.ko.gz) gzip -dc "$f" >"$dest" ;;
			*) cp "$f" "$dest" ;;
			esac || rc=1
		done
		for f in modules.builtin modules.builtin.modinfo modules.order; do
			[ -f "$moddir/$f" ] && cp "$moddir/$f" "$root/lib/modules/$rel/"
		done
		if [[ $VM_FAULT == drop-module:* ]]; then
			mod=${VM_FAULT#drop-module:}
			depmod -b "$root" "$rel" || rc=1
			find "$root/lib/modules" -name "$mod.ko" -delete
			msg "VM_FAULT: $mod.ko left out of the guest after depmod"
		else
			depmod -b "$root" "$rel" || rc=1
		fi
		for mod in "${needed[@]}"; do
			[[ " ${missing[*]} " == *" $mod "* ]] && continue
			echo "$mod"
		done >"$root/etc/zc-vm/modules"
		if [ "${#missing[@]}" -gt 0 ]; then
			G_NOTES="no module ${missing[*]} in the package (nor built in): the tests that need it skip"
		fi
	else
		: >"$root/etc/zc-vm/modules"
		G_NOTES="no modules for this kernel: what the suite needs must be built in"
	fi
	[ "$rc" -eq 0 ] || { rm -rf "$root"; msg "cannot build the initramfs"; return 1; }
	(cd "$root" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --quiet) >"$out.tmp" &&
		mv "$out.tmp" "$out" || rc=1
	rm -rf "$root"
	SCRATCH=''
	return "$rc"
}

# ---- booting and watching a guest ---------------------------------------

# The panic lines of a console log, or its last lines.
show_death()
{
	local log=$1 first

	first=$(grep -n -m 1 -E 'Kernel panic|BUG:|Oops|general protection|int3|Unable to mount|No working init|Failed to execute' "$log" |
		cut -d: -f1)
	if [ -n "$first" ]; then
		msg "console from line $first:"
		tail -n "+$first" "$log" | head -n 25 | sed 's/^/#   /'
	else
		msg "last $KEEP_LINES console lines:"
		tail -n "$KEEP_LINES" "$log" | sed 's/^/#   /'
	fi
}

# relay LINE: a line of the suite (run_kselftest.sh prefixes them "# "),
# nested one level down, and into the suite's KTAP file.
relay()
{
	local line=$1

	case $line in
	"# "*) line=${line#\# } ;;
	"#") line='' ;;
	*) return ;;	# the kernel's, not the suite's
	esac
	echo "$line" >>"$RUN/suite.ktap"
	if [ "$SUITE_STARTED" -eq 0 ] && [ "$line" = "KTAP version 1" ]; then
		SUITE_STARTED=1
		echo "    KTAP version 1"
		echo "    # Subtest: $K_LABEL"
		return
	fi
	[ "$SUITE_STARTED" -eq 1 ] && echo "    $line"
}

# boot ATTEMPT: one guest.  Sets OUTCOME (done, died, hung, qemu) and
# SUITE_RC, BOOT_MS, SUITE_MS.  Returns 1, the reason in BOOT_ERR and
# OUTCOME empty, when the guest could not be started.
boot()
{
	local attempt=$1 append env line part='' left t0 deadline boot_deadline
	local cfd qpid st in_suite=0 done_at=0 rc
	local -a qemu

	append="console=ttyS0 panic=-1 oops=panic quiet rdinit=/init"
	case $VM_FAULT in
	panic) append+=" zc.fault=panic" ;;
	panic-once) [ "$attempt" -gt 1 ] || append+=" zc.fault=panic" ;;
	hang) append+=" zc.fault=hang" ;;
	crash-in-suite) append+=" zc.fault=crash-in-suite" ;;
	noinit) append=${append/rdinit=\/init/rdinit=\/no-such-init}" root=/dev/nothing" ;;
	esac
	for env in ${VM_ENV:-}; do
		append+=" zc.env=$env"
	done
	append+=${VM_APPEND:+ $VM_APPEND}
	qemu=(qemu-system-x86_64 -nodefaults -no-user-config -display none
	      -no-reboot -nic none -smp "$VM_CPUS" -m "$VM_MEM"
	      -kernel "$K_IMAGE" -initrd "$RUN/initramfs.cpio"
	      -append "$append" -serial stdio -monitor none)
	if [ -w /dev/kvm ] && grep -qE 'vmx|svm' /proc/cpuinfo; then
		qemu+=(-accel kvm -cpu host)
		ACCEL=KVM
	else
		qemu+=(-accel "tcg${VM_TCG:+,$VM_TCG}")
		[ -z "${VM_CPU:-}" ] || qemu+=(-cpu "$VM_CPU")
		ACCEL="TCG${VM_TCG:+ $VM_TCG}${VM_CPU:+ -cpu $VM_CPU}"
	fi
	# Nothing of a previous guest (or kernel) may survive a failure here.
	OUTCOME='' SUITE_RC='' BOOT_MS='' SUITE_MS='' SUITE_STARTED=0
	GUEST_MISSING='' BOOT_ERR=''
	rm -f "$RUN/console.fifo"
	if ! BOOT_ERR=$({ : >"$RUN/console.log" && : >"$RUN/suite.ktap" &&
			mkfifo "$RUN/console.fifo"; } 2>&1); then
		BOOT_ERR=${BOOT_ERR:-cannot create the console files in $RUN}
		BOOT_ERR=${BOOT_ERR//$'\n'/ }
		return 1
	fi
	t0=$(timestamp_ms)
	boot_deadline=$((t0 + VM_BOOT_TIMEOUT * 1000))
	deadline=$((t0 + VM_TIMEOUT * 1000))
	"${qemu[@]}" </dev/null >"$RUN/console.fifo" 2>"$RUN/qemu.err" &
	qpid=$!
	QEMU_PID=$qpid
	QEMU_START=$(proc_start_time "$qpid")
	exec {cfd}<"$RUN/console.fifo"
	msg "boot $attempt: qemu $ACCEL, $VM_CPUS CPUs, ${VM_MEM} MB, no network; console in $RUN/console.log"
	while :; do
		st=$(timestamp_ms)
		if [ -z "$BOOT_MS" ]; then
			left=$((boot_deadline - st))
		elif [ "$done_at" -gt 0 ]; then
			# The suite reported: the guest powers off now.
			left=$((done_at + 15000 - st))
		else
			left=$((deadline - st))
		fi
		if [ "$left" -le 0 ]; then
			OUTCOME=hung
			[ "$done_at" -eq 0 ] || OUTCOME='done'
			break
		fi
		# At most a second per read: a signal that arrives while a
		# command substitution runs is handled only when the next
		# command returns.
		[ "$left" -le 1000 ] || left=1000
		line=''
		IFS= read -r -t "$((left / 1000)).$(printf '%03d' $((left % 1000)))" \
			-u "$cfd" line
		rc=$?
		if [ "$rc" -gt 128 ]; then
			part+=$line
			continue
		fi
		line=$part$line
		part=''
		line=${line%$'\r'}
		if [ "$rc" -ne 0 ] && [ -z "$line" ]; then
			break	# qemu exited
		fi
		printf '%s\n' "$line" >>"$RUN/console.log"
		case $line in
		"zc-vm: booted "*)
			BOOT_MS=$(($(timestamp_ms) - t0))
			msg "${line#zc-vm: } (${BOOT_MS} ms after qemu started)"
			;;
		"zc-vm: module "*)
			msg "${line#zc-vm: }"
			line=${line#zc-vm: module }
			GUEST_MISSING+=" ${line%%:*}"
			;;
		"zc-vm: modules loaded"* | "zc-vm: zc.fault"* | "zc-vm: no "* | \
		"zc-vm: environment"*)
			msg "${line#zc-vm: }"
			;;
		"zc-vm: dmesg: "*) echo "${line#zc-vm: }" >>"$RUN/dmesg.txt" ;;
		"# $RESULT_HDR") in_suite=1 ;;
		"ok "*" $RESULT_HDR # SKIP")
			SUITE_RC=4 ;;
		"ok "*" $RESULT_HDR")
			SUITE_RC=0 ;;
		"not ok "*" $RESULT_HDR"*)
			SUITE_RC=1 ;;
		*)
			[ "$in_suite" -eq 1 ] && relay "$line"
			;;
		esac
		if [ -n "$SUITE_RC" ] && [ "$done_at" -eq 0 ]; then
			in_suite=0
			done_at=$(timestamp_ms)
			SUITE_MS=$((done_at - t0 - ${BOOT_MS:-0}))
		fi
		[ "$rc" -eq 0 ] || break
	done
	exec {cfd}<&-
	# Hung, or powering off late.
	qemu_stop "$qpid" "$QEMU_START"
	QEMU_PID='' QEMU_START=''
	rm -f "$RUN/console.fifo"
	if [ -n "$SUITE_RC" ]; then
		OUTCOME='done'
	elif [ "$OUTCOME" != hung ]; then
		if [ ! -s "$RUN/console.log" ] && [ -s "$RUN/qemu.err" ]; then
			OUTCOME=qemu
		else
			OUTCOME=died
		fi
	fi
	return 0
}

# qemu_stop PID START: stop a guest's qemu that still runs: SIGTERM, and
# SIGKILL if it is still there QEMU_STOP_BOUND s later (said); then reap
# it.  A qemu that exited may be reaped already and its pid reused: the
# start time tells.
qemu_stop()
{
	local pid=$1 start=$2

	# Our own child: its pid is not reused before it is reaped, so a
	# start time missing (it failed to be read) is read now.
	[ -n "$start" ] || start=$(proc_start_time "$pid") || start=''
	if proc_kill TERM "$pid" "$start" &&
	   ! proc_wait_gone "$QEMU_STOP_BOUND" "$pid" "$start"; then
		msg "qemu (pid $pid) still running ${QEMU_STOP_BOUND}s after SIGTERM: SIGKILLed"
		if ! proc_wait_gone "$QEMU_STOP_BOUND" "$pid" "$start"; then
			msg "qemu (pid $pid) still running ${QEMU_STOP_BOUND}s after SIGKILL: not waiting for it"
			return 1
		fi
	fi
	wait "$pid" 2>/dev/null
	return 0
}

# A kernel's verdicts from the suite's KTAP: one TSV line per test case,
# "verdict<TAB>topology/program/case<TAB>reason".  Test case results are
# those nested two levels deep (run_tests.sh: topology, program, case).
# A failure's reason is on its result line, or else the last message of
# the test before it (the harness's TH_LOG).
verdicts()
{
	awk '
	function indent(s) { match(s, /^ */); return RLENGTH }
	{
		n = indent($0); line = substr($0, n + 1)
		if (line ~ /^# Subtest: /) {
			name = substr(line, 12)
			if (n == 4) topo = name
			else if (n == 8) prog = name
			next
		}
		if (n >= 8 && line ~ /^# [^ ]*:[0-9]+:[A-Za-z0-9_]+:/) {
			# FILE:LINE:TEST:message, from an assertion
			m = line
			sub(/^# [^ ]*:[0-9]+:[A-Za-z0-9_]+:/, "", m)
			if (m !~ /^Expected /) said = m
			next
		}
		if (n >= 8 && line ~ /^# / &&
		    line !~ /^# +(RUN|OK|FAIL|SKIP|XFAIL|XPASS) / &&
		    line !~ /: Test terminated by /) {
			said = substr(line, 3)
			next
		}
		if (n < 8 || line !~ /^(not )?ok [0-9]+ /) next
		v = (line ~ /^not ok/) ? "fail" : "pass"
		sub(/^(not )?ok [0-9]+ /, "", line)
		reason = ""
		i = index(line, " # ")
		if (i) { reason = substr(line, i + 3); line = substr(line, 1, i - 1) }
		if (v == "fail" && reason == "") reason = said
		said = ""
		if (v == "pass" && reason ~ /^SKIP/) { v = "skip"; sub(/^SKIP ?/, "", reason) }
		else if (v == "pass" && reason ~ /^XFAIL/) { v = "xfail"; sub(/^XFAIL ?/, "", reason) }
		else if (v == "pass" && reason ~ /^XPASS/) { v = "xpass"; sub(/^XPASS ?/, "", reason) }
		gsub(/\t/, " ", reason)
		printf "%s\t%s/%s/%s\t%s\n", v, topo, prog, line, reason
	}' "$1"
}

# run_kernel KERNEL: fetch, build, boot (twice if it died before the
# suite); print the kernel's subtest; set K_RC and append to the tables.
run_kernel()
{
	local want=$1 attempt why='' pass fail skip xfail xpass fixes

	CUR=$want K_RC=0 RUN='' K_LABEL='' K_DESC='' SUITE_STARTED=0
	OUTCOME='' SUITE_RC='' BOOT_MS='' SUITE_MS='' GUEST_MISSING=''
	fetch "$want"
	case $? in
	0) ;;
	2) K_RC=2; return ;;
	*) K_RC=$EX_INFRA why="no kernel: $want" ;;
	esac
	if [ "$K_RC" -eq 0 ]; then
		CUR=$K_LABEL
		RUN=$OUT/runs/${K_LABEL//[\/~:]/_}
		rm -rf "$RUN"
		mkdir -p "$RUN"
		msg "kernel $K_DESC"
		if ! build_initramfs "$RUN/initramfs.cpio"; then
			K_RC=$EX_INFRA why="cannot build the initramfs"
		fi
		[ -z "$G_NOTES" ] || msg "$G_NOTES"
	fi
	if [ "$K_RC" -eq 0 ]; then
		msg "initramfs $(du -m "$RUN/initramfs.cpio" | cut -f1) MB"
		for attempt in 1 2; do
			K_RC=0 why=''
			if ! boot "$attempt"; then
				why="cannot start the guest: $BOOT_ERR"
				msg "$why"
				K_RC=$EX_INFRA
				break
			fi
			case $OUTCOME in
			done)
				[ "$attempt" -eq 1 ] ||
					msg "booted on the second attempt: the first died before the suite (console.1.log)"
				break
				;;
			hung)
				why="the guest hung: no $([ -z "$BOOT_MS" ] && echo "boot within ${VM_BOOT_TIMEOUT}s" || echo "result within ${VM_TIMEOUT}s"), killed"
				msg "watchdog: $why"
				show_death "$RUN/console.log"
				K_RC=$EX_INFRA
				break
				;;
			qemu)
				why="qemu failed: $(head -n 3 "$RUN/qemu.err" | tr '\n' ' ')"
				msg "$why"
				K_RC=$EX_INFRA
				break
				;;
			died)
				show_death "$RUN/console.log"
				cp "$RUN/console.log" "$RUN/console.$attempt.log"
				if [ "$SUITE_STARTED" -eq 1 ]; then
					why="the guest kernel died while the suite ran (console.$attempt.log)"
					msg "$why"
					K_RC=1
					break
				fi
				why="the guest died before the suite started, $attempt time$([ "$attempt" -eq 1 ] || echo s) (console.$attempt.log)"
				if [ "$attempt" -eq 1 ]; then
					msg "$why; booting it once more"
				else
					msg "$why"
				fi
				K_RC=$EX_DIED
				;;
			esac
		done
	fi
	if [ "${SUITE_STARTED:-0}" -ne 1 ]; then
		echo "    KTAP version 1"
		echo "    # Subtest: ${K_LABEL:-$want}"
		echo "    1..0"
	fi
	if [ "$K_RC" -eq 0 ] && [ -n "$SUITE_RC" ]; then
		K_RC=$SUITE_RC
		if [ -n "$GUEST_MISSING" ]; then
			why="the guest could not load module${GUEST_MISSING}"
			msg "broken guest: $why"
			[ "$K_RC" -eq 1 ] || K_RC=$EX_INFRA
		fi
	fi
	KNO=$((KNO + 1))
	case $K_RC in
	0) echo "ok $KNO ${K_LABEL:-$want}" ;;
	4) echo "ok $KNO ${K_LABEL:-$want} # SKIP every test skipped" ;;
	*) echo "not ok $KNO ${K_LABEL:-$want}${why:+ # $why}" ;;
	esac
	[ ! -s "${RUN:-/nonexistent}/dmesg.txt" ] || {
		msg "kernel messages during the suite:"
		head -n 20 "$RUN/dmesg.txt" | sed 's/^/#   /'
	}

	# The tables.
	verdicts "${RUN:-/dev/null}/suite.ktap" 2>/dev/null |
		sed "s/^/${K_LABEL:-$want}\t/" >>"$TSV"
	read -r pass fail skip xfail xpass < <(verdicts "${RUN:-/dev/null}/suite.ktap" 2>/dev/null |
		awk -F '\t' '{ c[$1]++ } END { printf "%d %d %d %d %d\n", c["pass"], c["fail"], c["skip"], c["xfail"], c["xpass"] }')
	fixes=$(verdicts "${RUN:-/dev/null}/suite.ktap" 2>/dev/null |
		awk -F '\t' -v hex='[0-9a-f]' '
		BEGIN { re = "predates "; for (i = 0; i < 12; i++) re = re hex
			re = re "( \\(\"[^\"]*\"\\))?" }
		$1 == "xfail" && match($3, re) {
			print substr($3, RSTART + 9, RLENGTH - 9) }' | sort -u |
		paste -sd ';' -)
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
		"${K_LABEL:-$want}" "${K_DESC:-$want}" "$K_RC" "$pass" "$fail" \
		"$skip" "$xfail" "$xpass" "$(ms_s "${BOOT_MS:-}")" \
		"$(ms_s "${SUITE_MS:-}")" "${fixes:--}" "${why:--}" >>"$SUMMARY"
	CUR=''
}

# The exit status of several kernels is the worst: usage, a test failure,
# the VM path, a guest that died, a pass, everything skipped.
rank()
{
	case $1 in
	2) echo 6 ;;
	1) echo 5 ;;
	"$EX_INFRA") echo 4 ;;
	"$EX_DIED") echo 3 ;;
	0) echo 2 ;;
	4) echo 1 ;;
	*) echo 4 ;;
	esac
}

ms_s()
{
	[ -n "$1" ] || { echo -; return; }
	printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100))
}

# The verdict table of every kernel run: counts and times, then each test
# case that did not simply pass, with its verdict per kernel, then the
# reasons.
table()
{
	awk -F '\t' -v sum="$SUMMARY" '
	BEGIN {
		while ((getline l < sum) > 0) {
			split(l, f, "\t"); k[++nk] = f[1]
			for (i = 1; i <= 12; i++) S[nk, i] = f[i]
		}
	}
	{ V[$1, $3] = $2; R[$1, $3] = $4; if (!($3 in seen)) { seen[$3] = 1; order[++nc] = $3 } }
	END {
		kw = 8
		for (j = 1; j <= nk; j++) if (length(k[j]) > kw) kw = length(k[j])
		tw = 32
		for (c = 1; c <= nc; c++) if (length(order[c]) > tw) tw = length(order[c])
		print "verdict table"
		for (j = 1; j <= nk; j++) printf "  %s: %s\n", k[j], S[j, 2]
		printf "%-34s", "verdicts per kernel"
		for (j = 1; j <= nk; j++) printf " %-*s", kw, k[j]; print ""
		split("exit status|passed|failed|skipped|xfail|xpass|boot (s)|suite (s)", lab, "|")
		split("3 4 5 6 7 8 9 10", col, " ")
		for (r = 1; r <= 8; r++) {
			printf "  %-32s", lab[r]
			for (j = 1; j <= nk; j++) printf " %-*s", kw, S[j, col[r]]
			print ""
		}
		printf "  %-32s", "boot to verdict (s)"
		for (j = 1; j <= nk; j++) {
			v = (S[j, 9] == "-" || S[j, 10] == "-") ? "-" : sprintf("%.1f", S[j, 9] + S[j, 10])
			printf " %-*s", kw, v
		}
		print ""
		printf "  %-32s", "missing fixes (XFAIL)"
		for (j = 1; j <= nk; j++) { v = S[j, 11]; gsub(/ \("[^"]*"\)/, "", v); gsub(/;/, " ", v); printf " %-*s", kw, v }
		print ""
		for (j = 1; j <= nk; j++)
			if (S[j, 12] != "-") printf "  %s: %s\n", k[j], S[j, 12]
		for (j = 1; j <= nk; j++) if (S[j, 11] != "-") {
			n = split(S[j, 11], fx, ";")
			for (i = 1; i <= n; i++) if (!(fx[i] in fxs)) { fxs[fx[i]] = 1; fxo[++nf] = fx[i] }
		}
		for (i = 1; i <= nf; i++) {
			printf "  %s missing in:", fxo[i]
			for (j = 1; j <= nk; j++) if (index(";" S[j, 11] ";", ";" fxo[i] ";")) printf " %s", k[j]
			print ""
		}
		print ""
		hdr = 0
		for (c = 1; c <= nc; c++) {
			t = order[c]; plain = 1
			for (j = 1; j <= nk; j++) if (V[k[j], t] != "pass") plain = 0
			if (plain) continue
			if (!hdr) { printf "%-*s", tw + 2, "test case (not a plain pass)"; for (j = 1; j <= nk; j++) printf " %-*s", kw, k[j]; print ""; hdr = 1 }
			printf "  %-*s", tw, t
			for (j = 1; j <= nk; j++) { v = V[k[j], t]; printf " %-*s", kw, (v == "" ? "-" : toupper(v)) }
			print ""
		}
		if (!hdr) exit
		# The reasons, each once: without the "ip4_udp@sink: " that
		# names the variant, with the number of cases per kernel.
		for (c = 1; c <= nc; c++) {
			t = order[c]
			for (j = 1; j <= nk; j++) {
				v = V[k[j], t]
				if (v == "" || v == "pass") continue
				r = R[k[j], t]
				sub(/^[a-z0-9_]+@[a-z0-9_]+(, [^:]*)?: /, "", r)
				key = toupper(v) " " r
				if (!(key in nr)) { nr[key] = 0; ro[++nro] = key }
				N[key, j]++
			}
		}
		print ""
		print "reasons (cases per kernel):"
		for (i = 1; i <= nro; i++) {
			key = ro[i]; sp = index(key, " ")
			printf "  %s in", substr(key, 1, sp - 1)
			sep = " "
			for (j = 1; j <= nk; j++) if (N[key, j]) {
				printf "%s%s (%d)", sep, k[j], N[key, j]; sep = ", "
			}
			printf ": %s\n", substr(key, sp + 1)
		}
	}' "$TSV"
}

# shellcheck disable=SC2317 # the EXIT trap
on_exit()
{
	[ -z "${QEMU_PID:-}" ] || qemu_stop "$QEMU_PID" "${QEMU_START:-}"
	[ -z "${RUN:-}" ] || rm -f "$RUN/console.fifo"
	# This run's scratch directory only: another run may be making its
	# own beside it.
	[ -z "${SCRATCH:-}" ] || rm -rf "$SCRATCH"
}

main()
{
	local k worst settings p=0 f=0 s=0 lockfd

	[ $# -gt 0 ] || usage
	case $1 in -h | --help) usage ;; esac
	for k in VM_CPUS VM_MEM VM_BOOT_TIMEOUT; do
		[[ ${!k} =~ ^[1-9][0-9]{0,5}$ ]] ||
			{ echo "vm.sh: $k must be a positive number, not '${!k}'" >&2; exit 2; }
	done
	settings=$(zc_settings_timeout "$TOP")
	: "${VM_TIMEOUT:=$((${settings:-900} + VM_BOOT_TIMEOUT))}"
	[[ $VM_TIMEOUT =~ ^[1-9][0-9]{0,5}$ ]] ||
		{ echo "vm.sh: VM_TIMEOUT must be a positive number, not '$VM_TIMEOUT'" >&2; exit 2; }
	for k in $VM_ENV; do
		[[ $k =~ ^[A-Z_][A-Z0-9_]*=[^[:space:]]*$ ]] ||
			{ echo "vm.sh: VM_ENV words must be NAME=VALUE, not '$k'" >&2; exit 2; }
	done
	trap on_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	mkdir -p "$OUT/runs" || exit "$EX_INFRA"
	# One run at a time writes to OUT (runs/, the tables).
	exec {lockfd}>"$OUT/lock"
	flock -n "$lockfd" || {
		echo "vm.sh: another vm.sh is writing to $OUT (set VM_OUT for a run beside it)" >&2
		exit "$EX_INFRA"
	}

	echo "KTAP version 1"
	msg "zerocopy selftests under qemu, kernels: $*"
	command -v qemu-system-x86_64 >/dev/null ||
		die "qemu-system-x86_64 not found (install qemu-system-x86; make deps DEPS=vm)"
	for k in cpio depmod modprobe dpkg-deb; do
		command -v "$k" >/dev/null || die "'$k' not found (make deps DEPS=vm)"
	done
	if [ -n "${VM_KSFT:-}" ]; then
		KSFT=$VM_KSFT
	else
		KSFT=$BUILD/kselftest
		msg "installing the kselftest tree into $KSFT (harness/ksft_tree.sh)"
		"$TOP/harness/ksft_tree.sh" install "$KSFT" 2>&1 | sed 's/^# //; s/^/# /'
		[ "${PIPESTATUS[0]}" -eq 0 ] || die "cannot install the kselftest tree"
	fi
	[ -x "$KSFT/run_kselftest.sh" ] || die "no run_kselftest.sh in $KSFT"

	TSV=$OUT/verdicts.tsv SUMMARY=$OUT/summary.tsv
	printf 'kernel\tverdict\ttest\treason\n' >"$TSV.hdr"
	: >"$TSV"
	: >"$SUMMARY"
	echo "1..$#"
	KNO=0
	worst=''
	for k; do
		run_kernel "$k"
		if [ -z "$worst" ] || [ "$(rank "$K_RC")" -gt "$(rank "$worst")" ]; then
			worst=$K_RC
		fi
	done
	table >"$OUT/verdicts.txt"
	sed 's/^/# /' "$OUT/verdicts.txt"
	{ cat "$TSV.hdr" "$TSV"; } >"$TSV.tmp" && mv "$TSV.tmp" "$TSV"
	rm -f "$TSV.hdr"
	msg "verdicts in $OUT/verdicts.txt and $OUT/verdicts.tsv"
	read -r p f s < <(awk -F '\t' 'NR > 1 { if ($2 == "fail") f++; else if ($2 == "skip") s++; else p++ }
		END { printf "%d %d %d\n", p, f, s }' "$TSV")
	case $worst in
	"$EX_DIED") msg "INFRASTRUCTURE ERROR: a guest died twice before the suite started (exit $EX_DIED): not a test failure" ;;
	"$EX_INFRA") msg "ERROR in the VM path (exit $EX_INFRA)" ;;
	esac
	echo "$p passed, $f failed, $s skipped"
	exit "$worst"
}

main "$@"
