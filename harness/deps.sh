#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Check, and as root install with apt, what the suite needs.
#
#   deps.sh              what building and running the suite needs
#   deps.sh shellcheck   only shellcheck (make lint)
#   deps.sh fuzz         only clang and its libFuzzer runtime (make fuzz)
#
# Not root: prints exactly what to install.  Exits non-zero only when the
# build itself cannot happen (compiler, make, kselftest headers); missing
# runtime tools then make every test skip, which is the not-root outcome
# anyway.
set -u

# ip and ethtool live in sbin, which a user PATH may lack.
PATH=$PATH:/usr/sbin:/sbin
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# command:package, and whether the build needs it
build_deps="gcc:gcc make:make tar:tar xz:xz-utils libmnl/libmnl.h:libmnl-dev"
run_deps="ip:iproute2 tc:iproute2 ethtool:ethtool timeout:coreutils"
# Checked only for `deps.sh fuzz`: the suite does not need them.  A *.a is
# a runtime library that clang must find, not a command.
fuzz_deps="clang:clang libclang_rt.fuzzer-$(uname -m).a:libclang-rt-dev"

# A command on PATH, a header, or a library that clang finds.
have()
{
	case $1 in
	*.h)	[ -f "/usr/include/$1" ] ;;
	*.a)	[ -f "$(clang -print-file-name="$1" 2>/dev/null)" ] ;;
	*)	command -v "$1" >/dev/null ;;
	esac
}

if [ "${1:-}" = fuzz ]; then
	build_deps=$fuzz_deps
	run_deps=
elif [ $# -gt 0 ]; then
	build_deps=
	run_deps=
	for d in "$@"; do
		build_deps="$build_deps $d:$d"
	done
fi

missing_build=
missing_run=
for dep in $build_deps; do
	have "${dep%%:*}" || missing_build="$missing_build ${dep#*:}"
done
for dep in $run_deps; do
	have "${dep%%:*}" || missing_run="$missing_run ${dep#*:}"
done
# The kselftest headers: from KSFT_DIR, the cache in build/, or the
# linux-source-6.12 tarball (harness/provision.sh).
if [ $# -eq 0 ] && [ -z "${KSFT_DIR:-}" ] &&
   [ ! -f "$top/build/ksft/kselftest_harness.h" ] &&
   [ ! -f /usr/src/linux-source-6.12.tar.xz ]; then
	missing_build="$missing_build linux-source-6.12"
fi

# shellcheck disable=SC2086 # lists of package names
pkgs=$(printf '%s\n' $missing_build $missing_run | sort -u | tr '\n' ' ')
pkgs=${pkgs% }
[ -n "$pkgs" ] || exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
	echo "# deps: installing $pkgs" >&2
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	if ! apt-get install -y -q $pkgs >&2; then
		apt-get update -q >&2 &&
		apt-get install -y -q $pkgs >&2 || exit 1
	fi
	exit 0
fi

echo "# deps: missing: $pkgs" >&2
echo "# deps: install as root with: apt-get install -y $pkgs" >&2
if [ -n "$missing_build" ]; then
	hint="(or KSFT_DIR=<kernel tree> for the kselftest headers)"
	[ $# -eq 0 ] || hint=
	echo "# deps: cannot build without:$missing_build $hint" >&2
	exit 1
fi
exit 0
