#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the suite's C code inside other distributions' root file systems,
# to check that it builds with their libc, compiler and kernel headers.
#
#   check-build.sh [options] ROOT...     build in each ROOT, then summarise
#   check-build.sh --bootstrap SUITE DIR make a Debian SUITE root in DIR
#
# ROOT is a directory holding a root file system with gcc, libc and libmnl
# headers (debootstrap --variant=minbase
# --include=gcc,make,libc6-dev,xz-utils,tar,libmnl-dev), entered with
# chroot(8), so as root; "/" builds on this machine instead.
# Keep the roots outside this repository.  --bootstrap also installs what
# --run needs (iproute2, procps, ethtool, kmod).
#
# What is built, from the working tree as it is (uncommitted edits too):
#   lib/*.c                     into libzc.a
#   tests, selftests, tools/*.c a program each when it has a main() (or
#                               TEST_HARNESS_MAIN), else a shared object
#                               (an LD_PRELOAD library); fuzz targets
#                               (LLVMFuzzerTestOneInput) need clang: skipped
# with the kselftest headers that harness/provision.sh provides on this
# machine (KSFT_DIR=<kernel tree> as for make), and -D_GNU_SOURCE as both
# the standalone Makefile and a 6.12 kernel tree's lib.mk define it.
#
# The sources and headers are copied into a scratch directory under
# ROOT/tmp, built there and removed afterwards: nothing is written into this
# tree but the provisioned headers ($BUILD/ksft, as make does).  Warnings
# are reported, not fatal.  Every file is compiled even after a failure, so
# one run lists every file that does not build.
#
# Options:
#   -n N              show at most N lines of diagnostics per file (20)
#   --no-gnu-source   leave _GNU_SOURCE undefined, as lib.mk of kernel trees
#                     before it defined it does; finds missing definitions
#   --keep            keep the scratch directories, and print where
#   --src DIR         build the sources of another checkout of this suite
#                     (read only; its headers still come from this one)
#   --run             then also build the whole tree with its Makefile and
#                     run ./run_tests.sh inside ROOT, with ROOT's bash,
#                     iproute2 and procps, against this machine's kernel
#                     (in a private mount namespace, with its own /proc,
#                     /sys and /run); CHECK_RUN_ARGS are run_tests.sh's
#                     arguments, e.g. "-t lo,veth"
# Environment:
#   CHECK_CFLAGS      compiler flags (default: the Makefile's warnings, -O2)
#   CHECK_CC          compiler inside the root (gcc)
#   BUILD, KSFT_DIR   as for make: where the kselftest headers are
#
# Exit status: 0 when everything built in every ROOT, 1 when something did
# not, 2 on a usage or setup error.
set -eu
shopt -s nullglob

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SRC=$TOP
CLEANUP=
trap '[ -z "$CLEANUP" ] || rm -rf "$CLEANUP"' EXIT
trap 'exit 130' INT TERM
DEFAULT_CFLAGS="-O2 -g -Wall -Wextra -Wno-unused-parameter -Wno-clobbered"

usage() {
	sed -n '4,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	echo "see the comment at the top of ${BASH_SOURCE[0]}" >&2
	exit 2
}

die() {
	echo "check-build: $*" >&2
	exit 2
}

# ---- inside the root: compile and link, report per file ---------------
#
# inner SCRATCH MAXLINES GNU_SOURCE(0|1) RUN(0|1): sources in SCRATCH/src,
# headers in SCRATCH/ksft, output in SCRATCH/out, the whole tree in
# SCRATCH/tree for RUN.  Prints one line per file:
#   ok|warn|FAIL|skip <path> [why]
# followed by that file's diagnostics (indented), and a last line
#   result <ok|FAIL> <built> <warned> <failed> <skipped>
inner() {
	local scratch=$1 maxlines=$2 gnu=$3 run=$4
	local cc=${CHECK_CC:-gcc} src out log f obj kind
	local built=0 warned=0 failed=0 skipped=0 lib_ok=1
	local -a cflags defs

	read -r -a cflags <<<"${CHECK_CFLAGS:-$DEFAULT_CFLAGS}"
	defs=()
	[ "$gnu" = 1 ] && defs=(-D_GNU_SOURCE)
	src=$scratch/src
	out=$scratch/out
	mkdir -p "$out/lib" "$out/tests" "$out/selftests" "$out/tools"
	cd "$src"

	# What this root offers, for the report.
	local os glibc hdrs
	# shellcheck source=/dev/null # the root's own, read at run time
	os=$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-?}") || os='?'
	glibc=$(getconf GNU_LIBC_VERSION 2>/dev/null) || glibc="libc ?"
	hdrs=$(awk '/define LINUX_VERSION_CODE/ {
		printf "%d.%d", $3 / 65536, ($3 / 256) % 256 }' \
		/usr/include/linux/version.h 2>/dev/null) || true
	echo "env $os; $glibc; $("$cc" --version 2>/dev/null | head -n 1);" \
	     "kernel headers ${hdrs:-?}"

	# report STATUS FILE LOG [WHY]
	report() {
		echo "$1 $2${4:+ ($4)}"
		if [ -s "$3" ]; then
			local n first=1 w
			n=$(wc -l <"$3")
			# A failure shows its first error, not the warnings
			# before it: from the line above the first error on.
			if [ "$1" = FAIL ]; then
				first=$(grep -n -m 1 -E 'error|undefined reference' \
					"$3" | cut -d: -f1) || first=1
				[ "${first:-1}" -le 1 ] || first=$((first - 1))
				w=$(head -n "$((${first:-1} - 1))" "$3" |
					grep -c 'warning:') || true
				[ "${w:-0}" -eq 0 ] ||
					echo "    ... $w warnings before the first error"
			fi
			sed -n "${first:-1},$((${first:-1} + maxlines - 1))p" "$3" |
				sed "s|$scratch/src/||g; s|$scratch/||g; s/^/    /"
			n=$((n - ${first:-1} + 1 - maxlines))
			[ "$n" -le 0 ] || echo "    ... $n more lines"
		fi
		case $1 in
		ok) built=$((built + 1)) ;;
		warn) built=$((built + 1)); warned=$((warned + 1)) ;;
		FAIL) failed=$((failed + 1)) ;;
		skip) skipped=$((skipped + 1)) ;;
		esac
	}

	# compile FILE OBJ LOG [EXTRA...]: 0 when it built
	compile() {
		local file=$1 o=$2 l=$3
		shift 3
		"$cc" "${cflags[@]}" "${defs[@]}" -Ilib -I"$scratch/ksft" "$@" \
			-c "$file" -o "$o" >"$l" 2>&1
	}

	status_of() { # LOG: ok or warn, for a file that built
		if grep -q 'warning:' "$1"; then echo warn; else echo ok; fi
	}

	for f in lib/*.c; do
		obj=$out/${f%.c}.o
		log=$out/${f%.c}.log
		if compile "$f" "$obj" "$log"; then
			report "$(status_of "$log")" "$f" "$log"
		else
			report FAIL "$f" "$log"
			lib_ok=0
		fi
	done
	log=$out/lib/libzc.a.log
	if [ "$lib_ok" = 1 ]; then
		if ar rcs "$out/lib/libzc.a" "$out"/lib/*.o >"$log" 2>&1; then
			report ok lib/libzc.a "$log"
		else
			report FAIL lib/libzc.a "$log" "ar"
			lib_ok=0
		fi
	fi

	for f in tests/*.c selftests/*.c tools/*.c; do
		obj=$out/${f%.c}.o
		log=$out/${f%.c}.log
		if grep -q LLVMFuzzerTestOneInput "$f"; then
			report skip "$f" /dev/null "fuzz target: needs clang"
			continue
		fi
		if grep -Eq '(^|[^A-Za-z0-9_])main[[:space:]]*\(|TEST_HARNESS_MAIN' "$f"; then
			kind=program
			compile "$f" "$obj" "$log" || { report FAIL "$f" "$log"; continue; }
		else
			kind=shared
			compile "$f" "$obj" "$log" -fPIC ||
				{ report FAIL "$f" "$log"; continue; }
		fi
		if [ "$kind" = shared ]; then
			# As the Makefile links the LD_PRELOAD library.
			"$cc" "${cflags[@]}" -shared -o "$out/${f%.c}.so" "$obj" \
				-ldl >>"$log" 2>&1 ||
				{ report FAIL "$f" "$log" "link"; continue; }
		elif [ "$lib_ok" = 1 ]; then
			# The Makefile's libraries (libmnl) and no other: a
			# glibc before 2.34 needs -lpthread for threads, and
			# this finds it.
			"$cc" "${cflags[@]}" -o "$out/${f%.c}" "$obj" \
				"$out/lib/libzc.a" -lmnl >>"$log" 2>&1 ||
				{ report FAIL "$f" "$log" "link"; continue; }
		else
			report FAIL "$f" "$log" "not linked: libzc.a did not build"
			continue
		fi
		report "$(status_of "$log")" "$f" "$log" "$kind"
	done

	if [ "$run" = 1 ] && [ "$failed" -eq 0 ]; then
		run_suite "$scratch" "$maxlines" || failed=$((failed + 1))
	fi

	local verdict=ok
	[ "$failed" -eq 0 ] || verdict=FAIL
	echo "result $verdict $built $warned $failed $skipped"
}

# run_suite SCRATCH MAXLINES: make all and ./run_tests.sh in SCRATCH/tree;
# prints "run ok|FAIL ..." and the run's last lines; 0 when both passed.
run_suite() {
	local tree=$1/tree log=$1/run.log rc=0 n
	local -a args

	read -r -a args <<<"${CHECK_RUN_ARGS:-}"
	cd "$tree"
	if ! KSFT_DIR=$1/ksft make -s all >"$log" 2>&1; then
		echo "run FAIL make all"
		tail -n "$2" "$log" | sed 's/^/    /'
		return 1
	fi
	./run_tests.sh "${args[@]}" >"$log" 2>&1 || rc=$?
	n=$(grep -c '^\(not \)\{0,1\}ok ' "$log") || true
	if [ "$rc" -eq 0 ]; then
		echo "run ok ./run_tests.sh ${args[*]} ($n top-level results)"
	else
		echo "run FAIL ./run_tests.sh ${args[*]} exited $rc"
		grep -E '^ *not ok|# SKIP|setup failed' "$log" | head -n "$2" |
			sed 's/^/    /'
	fi
	tail -n 1 "$log" | sed 's/^/    /'
	[ "$rc" -eq 0 ]
}

# ---- on the host -------------------------------------------------------

bootstrap() {
	local suite=$1 dir=$2
	local mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

	[ "$(id -u)" -eq 0 ] || die "--bootstrap needs root (debootstrap)"
	command -v debootstrap >/dev/null ||
		die "--bootstrap needs debootstrap: apt-get install debootstrap"
	case $(cd "$(dirname "$dir")" 2>/dev/null && pwd)/ in
	"$TOP"/*) die "keep the root outside the repository: $dir" ;;
	esac
	[ ! -e "$dir/etc/os-release" ] || die "$dir already holds a root"
	debootstrap --variant=minbase \
		--include=gcc,make,libc6-dev,xz-utils,tar,libmnl-dev,iproute2,procps,ethtool,kmod \
		"$suite" "$dir" "$mirror"
}

# stage SCRATCH KSFT RUN: copy the sources, the kselftest headers in KSFT
# and this script (for RUN, the whole tree too) into SCRATCH; on failure
# prints which step failed and returns 1.
stage() {
	local scratch=$1 ksft=$2 run=$3 d

	mkdir -p "$scratch/src" "$scratch/ksft" ||
		{ echo "mkdir src, ksft"; return 1; }
	for d in lib tests selftests tools; do
		[ ! -d "$SRC/$d" ] || cp -R "$SRC/$d" "$scratch/src/" ||
			{ echo "cp -R $SRC/$d"; return 1; }
	done
	cp "$ksft"/*.h "$scratch/ksft/" ||
		{ echo "cp $ksft/*.h"; return 1; }
	if [ "$run" = 1 ]; then
		mkdir -p "$scratch/tree" || { echo "mkdir tree"; return 1; }
		tar -C "$SRC" --exclude=./.git --exclude=./build -cf - . |
			tar -C "$scratch/tree" -xf -
		[ "${PIPESTATUS[0]}${PIPESTATUS[1]}" = 00 ] ||
			{ echo "tar of $SRC into tree"; return 1; }
	fi
	cp "${BASH_SOURCE[0]}" "$scratch/check-build.sh" ||
		{ echo "cp ${BASH_SOURCE[0]}"; return 1; }
}

# check_root ROOT MAXLINES GNU KEEP KSFT RUN: build (and run) in one root;
# prints the report; returns 0 when everything built (and passed).
check_root() {
	local root=$1 maxlines=$2 gnu=$3 keep=$4 ksft=$5 run=$6
	local scratch inside d rc=0 res

	if [ "$root" != / ]; then
		root=$(cd "$root" 2>/dev/null && pwd) ||
			{ echo "FAIL $1: no such directory"; return 1; }
		[ "$(id -u)" -eq 0 ] ||
			{ echo "FAIL $root: chroot needs root"; return 1; }
		[ -x "$root/bin/bash" ] ||
			{ echo "FAIL $root: no /bin/bash in it"; return 1; }
	fi
	[ -x "$root/usr/bin/${CHECK_CC:-gcc}" ] ||
		{ echo "FAIL $root: no /usr/bin/${CHECK_CC:-gcc} in it"; return 1; }

	# check_root runs as an if condition, where set -e does not act:
	# every step is checked, so that a failure never leaves an empty
	# scratch and copies into the root's /.
	if ! mkdir -p "${root%/}/tmp" ||
		! scratch=$(mktemp -d "${root%/}/tmp/zc-check-build.XXXXXX") ||
		[ ! -d "$scratch" ]; then
		echo "FAIL $root: cannot make a scratch directory in ${root%/}/tmp"
		return 1
	fi
	[ "$keep" = 1 ] || CLEANUP=$scratch
	inside=/tmp/${scratch##*/}
	if ! d=$(stage "$scratch" "$ksft" "$run"); then
		echo "FAIL $root: cannot fill $scratch: $d"
		[ "$keep" = 1 ] || { rm -rf "$scratch"; CLEANUP=; }
		return 1
	fi

	echo "# root $root"
	if [ "$root" = / ]; then
		res=$(bash "$scratch/check-build.sh" --inner "$inside" \
			"$maxlines" "$gnu" "$run" 2>&1) || rc=$?
	elif [ "$run" = 1 ]; then
		# A private mount namespace: the root becomes a mount point
		# (ip netns needs one), with its own /proc, /sys and /run,
		# all gone when the namespace ends.
		# shellcheck disable=SC2016 # expanded by the inner bash
		res=$(unshare --mount --propagation private /bin/bash -c '
			mount --bind "$1" "$1" &&
			mount -t proc proc "$1/proc" &&
			mount -t sysfs sysfs "$1/sys" &&
			mount -t tmpfs run "$1/run" &&
			shift && exec chroot "$@"' bash "$root" \
			"$root" /usr/bin/env PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			/bin/bash "$inside/check-build.sh" --inner "$inside" \
			"$maxlines" "$gnu" "$run" 2>&1) || rc=$?
	else
		res=$(chroot "$root" /bin/bash "$inside/check-build.sh" \
			--inner "$inside" "$maxlines" "$gnu" "$run" 2>&1) || rc=$?
	fi
	printf '%s\n' "$res"
	if [ "$keep" = 1 ]; then
		echo "# kept $scratch"
	else
		rm -rf "$scratch"
		CLEANUP=
	fi
	[ "$rc" -eq 0 ] || { echo "FAIL $root: the build script exited $rc"; return 1; }
	case $(printf '%s\n' "$res" | tail -n 1) in
	"result ok "*) return 0 ;;
	*) return 1 ;;
	esac
}

main() {
	local maxlines=20 gnu=1 keep=0 run=0 ksft root failed=0
	local -a roots=() summary=()

	while [ $# -gt 0 ]; do
		case $1 in
		--inner)
			[ $# -eq 5 ] || die "--inner SCRATCH MAXLINES GNU RUN"
			inner "$2" "$3" "$4" "$5"
			return ;;
		--bootstrap)
			[ $# -eq 3 ] || usage
			bootstrap "$2" "$3"
			return ;;
		-n)
			if [ $# -lt 2 ] || ! [ "$2" -gt 0 ] 2>/dev/null; then
				usage
			fi
			maxlines=$2
			shift ;;
		--src)
			[ $# -ge 2 ] || usage
			SRC=$(cd "$2" 2>/dev/null && pwd) || die "no such tree: $2"
			shift ;;
		--no-gnu-source) gnu=0 ;;
		--keep) keep=1 ;;
		--run) run=1 ;;
		-h|--help) usage ;;
		-*) usage ;;
		*) roots+=("$1") ;;
		esac
		shift
	done
	[ ${#roots[@]} -gt 0 ] || usage

	# Where the Makefile finds them: a KSFT_DIR tree, or the build dir.
	ksft=${BUILD:-$TOP/build}/ksft
	if [ -n "${KSFT_DIR:-}" ]; then
		ksft=$KSFT_DIR/tools/testing/selftests
		[ -e "$ksft/kselftest_harness.h" ] || ksft=$KSFT_DIR
	fi
	"$TOP/harness/provision.sh" ksft "$ksft" ||
		die "no kselftest headers (see above)"

	for root in "${roots[@]}"; do
		if check_root "$root" "$maxlines" "$gnu" "$keep" "$ksft" \
			"$run"; then
			summary+=("ok   $root")
		else
			summary+=("FAIL $root")
			failed=1
		fi
		echo
	done
	echo "# summary$([ "$gnu" = 1 ] || echo ' (without _GNU_SOURCE)')"
	printf '%s\n' "${summary[@]}"
	return "$failed"
}

main "$@"
