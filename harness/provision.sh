#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Provide upstream files at build time, never committed here: the
# kselftest headers the test programs include, and the KUnit tool whose
# KTAP parser the runner's self-tests use.
#
#   provision.sh ksft OUTDIR     kselftest.h, kselftest_harness.h
#   provision.sh kunit OUTDIR    tools/testing/kunit (kunit.py parse); it
#                                only runs from a directory of that name
#
# Sources: KSFT_DIR=<kernel tree> when set, else the tarball of Debian's
# linux-source-6.12 package (make deps installs it as root).  Installs
# nothing.  Extracts into a temporary directory, then renames, so an
# interrupted or concurrent run never leaves a half-written OUTDIR.
set -eu

what=${1:-}
out=${2:-}
pkg=linux-source-6.12
tarball=/usr/src/$pkg.tar.xz

case $what in
ksft) members="tools/testing/selftests/kselftest.h
tools/testing/selftests/kselftest_harness.h" check=kselftest_harness.h ;;
kunit) members=tools/testing/kunit check=kunit.py ;;
*) echo "usage: provision.sh ksft|kunit OUTDIR" >&2; exit 2 ;;
esac
[ -n "$out" ] || { echo "usage: provision.sh ksft|kunit OUTDIR" >&2; exit 2; }
[ -e "$out/$check" ] && exit 0

if [ -n "${KSFT_DIR:-}" ]; then
	src=$KSFT_DIR
	# A kernel tree, or its tools/testing/selftests.
	[ -d "$src/tools/testing" ] || src=$src/../../..
	for m in $members; do
		[ -e "$src/$m" ] && continue
		echo "provision: KSFT_DIR=$KSFT_DIR has no $m" >&2
		exit 1
	done
elif [ ! -f "$tarball" ]; then
	echo "provision: need $tarball for the upstream $what files:" \
	     "run 'make deps' as root, or apt-get install $pkg," \
	     "or set KSFT_DIR=<kernel tree>" >&2
	exit 1
fi

mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d "${out%/}.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/out"
if [ -n "${KSFT_DIR:-}" ]; then
	for m in $members; do
		cp -r "$src/$m" "$tmp/"
	done
else
	echo "provision: extracting $what from $tarball" >&2
	paths=()
	for m in $members; do
		paths+=("$pkg/$m")
	done
	tar -xJf "$tarball" -C "$tmp" "${paths[@]}"
	for m in $members; do
		mv "$tmp/$pkg/$m" "$tmp/"
	done
fi
if [ "$what" = kunit ]; then
	rmdir "$tmp/out"
	mv "$tmp/kunit" "$tmp/out"
else
	for m in $members; do
		mv "$tmp/${m##*/}" "$tmp/out/"
	done
fi
rm -rf "$out"
mv -T "$tmp/out" "$out"
