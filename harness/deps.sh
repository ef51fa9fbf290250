#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Check what the suite needs and, as root, install what is missing with
# one apt-get invocation (waiting for a dpkg lock held by someone else).
#
#   deps.sh [GROUP...]     default: build run
#   deps.sh --missing GROUP...   print the missing packages, install
#                                nothing (what a script skips for)
#
# Not root: prints the missing packages and the apt-get line.  Exits 1
# only when the build itself cannot happen (a "build" dependency is
# missing); a missing tool of another group makes what needs it skip,
# naming it.  ZC_BUILD (the build directory) and KSFT_DIR tell where the
# kselftest headers may already be.
set -u

# ip, tc and sysctl live in sbin, which a user's PATH may lack.
PATH=$PATH:/usr/sbin:/sbin
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${ZC_BUILD:-$top/build}

# group  probe                        package            used by
deps="
build    cmd:gcc                      gcc                compiling
build    cmd:make                     make               the build
build    file:/usr/include/stdio.h    libc6-dev          compiling
build    cmd:tar                      tar                harness/provision.sh
build    cmd:xz                       xz-utils           harness/provision.sh
build    ksft                         linux-source-6.12  kselftest headers, kunit.py
build    file:/usr/include/libmnl/libmnl.h libmnl-dev     netlink in libzc (diag)
run      cmd:ip                       iproute2           topologies (netns/)
run      cmd:tc                       iproute2           qdiscs and filters (sink, forward, veth_tbf, hold)
run      cmd:sysctl                   procps             forwarding in the forward namespace
run      cmd:timeout                  coreutils          per-program timeout
run      cmd:stdbuf                   coreutils          line-buffered test output

# ---- check-only: the project's own tests (make check, make stress); add
# new ones here
lint     cmd:shellcheck               shellcheck         make lint
check    cmd:python3                  python3            kunit.py parse (selftests/runner_test.sh)
check    cmd:nft                      nftables           self-tests
ksft     cmd:rsync                    rsync              kselftest install (make ksft-check, harness/ksft_tree.sh)
fuzz     cmd:clang                    clang              fuzz targets (selftests/fuzz.sh)
fuzz     fuzzer                       libclang-rt-dev    libFuzzer runtime (fuzz targets)
stress   cmd:taskset                  util-linux         make stress (CPU placements)
vm       cmd:qemu-system-x86_64       qemu-system-x86    make vm-check, vm-matrix (harness/vm.sh)
vm       cmd:cpio                     cpio               the guest's initramfs
vm       cmd:depmod                   kmod               the guest's module tables
vm       cmd:xz                       xz-utils           .ko.xz modules of 6.12 kernels
vm       cmd:ethtool                  ethtool            in the guest, for a look at its devices
"

# probe PROBE: whether it is satisfied.
probe()
{
	case $1 in
	cmd:*) command -v "${1#cmd:}" >/dev/null ;;
	file:*) [ -e "${1#file:}" ] ;;
	ksft)
		[ -n "${KSFT_DIR:-}" ] ||
		[ -f "$build/ksft/kselftest_harness.h" ] ||
		[ -f /usr/src/linux-source-6.12.tar.xz ]
		;;
	fuzzer)
		# The runtime -fsanitize=fuzzer links on this machine.
		[ -f "$(clang -print-file-name="libclang_rt.fuzzer-$(uname -m).a" \
			2>/dev/null)" ]
		;;
	*) return 1 ;;
	esac
}

only_list=0
[ "${1:-}" != --missing ] || { only_list=1; shift; }
groups=" ${*:-build run} "
# check includes lint and fuzz.
[[ $groups != *" check "* ]] || groups+="lint fuzz "

# find_missing: the packages of the selected groups whose probe fails, in
# missing (and those of the build group in missing_build).
find_missing()
{
	local group pr pkg

	missing=() missing_build=()
	while read -r group pr pkg _; do
		[[ -n $group && $group != \#* ]] || continue
		[[ $groups == *" $group "* ]] || continue
		probe "$pr" && continue
		[[ " ${missing[*]} " == *" $pkg "* ]] || missing+=("$pkg")
		[ "$group" != build ] || missing_build+=("$pkg")
	done <<<"$deps"
}

find_missing
if [ "$only_list" -eq 1 ]; then
	[ "${#missing[@]}" -eq 0 ] || echo "${missing[*]}"
	exit 0
fi
[ "${#missing[@]}" -gt 0 ] || exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
	echo "# deps: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt=(apt-get -o DPkg::Lock::Timeout=600 -y -q)
	if ! "${apt[@]}" install --no-install-recommends "${missing[@]}" >&2; then
		"${apt[@]}" update >&2 &&
		"${apt[@]}" install --no-install-recommends "${missing[@]}" >&2 ||
			echo "# deps: apt-get install failed" >&2
	fi
	# What is still missing decides, whatever apt-get said.
	find_missing
	[ "${#missing[@]}" -gt 0 ] || exit 0
fi

echo "# deps: missing: ${missing[*]}" >&2
echo "# deps: install as root with: apt-get install ${missing[*]}" >&2
if [ "${#missing_build[@]}" -gt 0 ]; then
	echo "# deps: cannot build without: ${missing_build[*]}" \
	     "(or KSFT_DIR=<kernel tree> for the kselftest headers)" >&2
	exit 1
fi
exit 0
