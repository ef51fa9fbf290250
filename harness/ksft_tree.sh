#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The suite the way kernel CI fleets (KernelCI, LKFT, 0-day) take it: from
# a kernel tree's tools/testing/selftests/zerocopy, installed with the
# kselftest Makefile and run with run_kselftest.sh.
#
#   ksft_tree.sh install DIR   copy this project into a kernel tree's
#                              tools/testing/selftests/zerocopy and run
#                              make -C tools/testing/selftests
#                              TARGETS=zerocopy install INSTALL_PATH=DIR
#   ksft_tree.sh check         install into $ZC_BUILD/kselftest, then run
#                              run_kselftest.sh -c zerocopy there; the
#                              suite's KTAP is relayed on stdout
#
# The kernel tree is KSFT_TREE=<kernel source tree> when set (used as it
# is, never written but for tools/testing/selftests/zerocopy), else the
# top Makefile, scripts/ and tools/ of Debian's linux-source-6.12,
# extracted once into $ZC_BUILD/linux-source-6.12 (13 s, 90 MB) and
# cached (ZC_SOURCE_TARBALL=FILE for another copy of that tarball).  The project is copied from the working tree as it is
# (uncommitted edits too), without build directories.
#
# Exit status: 0 installed (install) or the suite passed (check), 1 it
# failed, 2 usage, 4 skipped: the tarball is missing (the reason on
# stderr), or the suite skipped everything (not root).
set -u

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${ZC_BUILD:-$TOP/build}
PKG=linux-source-6.12
TARBALL=${ZC_SOURCE_TARBALL:-/usr/src/$PKG.tar.xz}
# What run_kselftest.sh prints for the suite (kselftest/runner.sh).
HDR="selftests: zerocopy: run_tests.sh"

usage()
{
	echo "usage: ksft_tree.sh install DIR | check" >&2
	exit 2
}

msg()
{
	echo "# ksft_tree: $*" >&2
}

# The kernel tree: KSFT_TREE, or the parts of the tarball the kselftest
# build needs, extracted once.  Prints its path.
kernel_tree()
{
	local tree=$BUILD/$PKG tmp

	if [ -n "${KSFT_TREE:-}" ]; then
		[ -f "$KSFT_TREE/tools/testing/selftests/lib.mk" ] || {
			msg "KSFT_TREE=$KSFT_TREE has no tools/testing/selftests/lib.mk"
			return 1
		}
		echo "$KSFT_TREE"
		return 0
	fi
	if [ -f "$tree/tools/testing/selftests/lib.mk" ]; then
		echo "$tree"
		return 0
	fi
	if [ ! -f "$TARBALL" ]; then
		msg "SKIP $TARBALL missing (apt-get install $PKG, or" \
		    "KSFT_TREE=<kernel tree>)"
		return 4
	fi
	msg "extracting Makefile, scripts/ and tools/ of $TARBALL"
	mkdir -p "$BUILD" || return 1
	tmp=$(mktemp -d "$BUILD/$PKG.tmp.XXXXXX") || return 1
	# An interrupted extraction (Ctrl-C) leaves no half tree behind.  A
	# command substitution runs this function: the traps are that
	# subshell's, and cleared below for any other caller.
	trap 'rm -rf "$tmp"' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	if ! tar -xJf "$TARBALL" -C "$tmp" "$PKG/Makefile" "$PKG/scripts" \
	     "$PKG/tools"; then
		rm -rf "$tmp"
		trap - EXIT INT TERM
		msg "cannot extract $TARBALL"
		return 1
	fi
	# Another run may have finished first: keep its tree.
	mv -T "$tmp/$PKG" "$tree" 2>/dev/null || [ -d "$tree" ]
	rm -rf "$tmp"
	trap - EXIT INT TERM
	echo "$tree"
}

# install DIR
do_install()
{
	local dest=$1 tree rc sel excl=()

	tree=$(kernel_tree) || return
	sel=$tree/tools/testing/selftests
	# The build directory, wherever it is, is no part of the sources.
	[[ $BUILD != "$TOP"/* ]] || excl+=(--exclude="/${BUILD#"$TOP"/}")
	if ! rsync -a --delete --exclude=/.git --exclude=/build \
	     "${excl[@]}" "$TOP/" "$sel/zerocopy/"; then
		msg "cannot copy the project into $sel/zerocopy"
		return 1
	fi
	rm -rf "$dest"
	mkdir -p "$dest" || return 1
	make -s -C "$sel" TARGETS=zerocopy install INSTALL_PATH="$dest" >&2
	rc=$?
	if [ "$rc" -ne 0 ]; then
		msg "make -C $sel TARGETS=zerocopy install failed (exit $rc)"
		return 1
	fi
	[ -x "$dest/run_kselftest.sh" ] || {
		msg "no run_kselftest.sh in $dest after the install"
		return 1
	}
	msg "installed into $dest"
}

# run_kselftest.sh's output: the suite's lines are "# "-prefixed between
# the header and its result line.  Relay them without the prefix, and
# exit with the suite's status from that result line.
do_check()
{
	local dest=$BUILD/kselftest line in=0 rc=1 res=''

	do_install "$dest" || return
	while IFS= read -r line; do
		if [ "$in" -eq 0 ]; then
			[ "$line" != "# $HDR" ] || in=1
			continue
		fi
		case $line in
		"ok "*" $HDR" | "ok "*" $HDR # SKIP" | "not ok "*" $HDR"*)
			res=$line
			break
			;;
		"# "*) echo "${line#\# }" ;;
		"#") echo ;;
		*) echo "$line" ;;
		esac
	done < <(cd "$dest" && ./run_kselftest.sh -c zerocopy 2>&1)
	case $res in
	"ok "*"# SKIP") rc=4 ;;
	"ok "*) rc=0 ;;
	"not ok "*) rc=1 ;;
	*) msg "run_kselftest.sh printed no result line for the suite" ;;
	esac
	msg "run_kselftest.sh: ${res:-nothing}"
	return "$rc"
}

case ${1:-} in
install) [ $# -eq 2 ] || usage; do_install "$2" ;;
check) [ $# -eq 1 ] || usage; do_check ;;
*) usage ;;
esac
