#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Provide the upstream kselftest headers (kselftest.h, kselftest_harness.h)
# in a directory, never committed to this repository.
#
#   provision.sh OUTDIR
#
# Sources, in order:
#   KSFT_DIR=<kernel tree>        use <tree>/tools/testing/selftests as is
#   OUTDIR already holds them     nothing to do (cached)
#   Debian's linux-source-6.12    extract the two headers from its tarball,
#                                 installing the package first when root
# Prints the directory to use as an include path on stdout.
set -eu

out=${1:?usage: provision.sh OUTDIR}
pkg=linux-source-6.12
tarball=/usr/src/$pkg.tar.xz
headers="kselftest.h kselftest_harness.h"

have_headers() {
	local h
	for h in $headers; do
		[ -f "$1/$h" ] || return 1
	done
}

if [ -n "${KSFT_DIR:-}" ]; then
	for d in "$KSFT_DIR/tools/testing/selftests" "$KSFT_DIR"; do
		if have_headers "$d"; then
			(cd "$d" && pwd)
			exit 0
		fi
	done
	echo "provision: KSFT_DIR=$KSFT_DIR has no tools/testing/selftests/kselftest_harness.h" >&2
	exit 1
fi

if have_headers "$out"; then
	(cd "$out" && pwd)
	exit 0
fi

if [ ! -f "$tarball" ]; then
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
		echo "provision: installing $pkg for the kselftest headers" >&2
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y -q "$pkg" >&2 ||
			{ apt-get update -q >&2 && apt-get install -y -q "$pkg" >&2; }
	else
		echo "provision: need the kselftest headers: install $pkg" \
		     "(apt-get install $pkg) or set KSFT_DIR=<kernel tree>" >&2
		exit 1
	fi
fi

echo "provision: extracting kselftest headers from $tarball" >&2
mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d "${out%/}.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
members=
for h in $headers; do
	members="$members $pkg/tools/testing/selftests/$h"
done
# shellcheck disable=SC2086 # members is a list of paths without spaces
tar -xJf "$tarball" -C "$tmp" $members
mkdir -p "$out"
for h in $headers; do
	mv "$tmp/$pkg/tools/testing/selftests/$h" "$out/$h"
done
(cd "$out" && pwd)
