# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Checks of the suite's KTAP output, for its self-tests (runner_test.sh,
# torture.sh).  Each sets WHY and returns 1 when the check fails.
# Defines functions and variables only; installs no traps.
# shellcheck disable=SC2034 # WHY is for the caller

# kunit_find: locate kunit.py (ZC_KUNIT, as make provisions it); without
# it or python3, kunit_agrees passes and KUNIT_MISSING says why.
kunit_find()
{
	local top

	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	KUNIT=${ZC_KUNIT:-${ZC_BUILD:-$top/build}/kunit/tools/testing/kunit/kunit.py}
	KUNIT_MISSING=''
	if ! command -v python3 >/dev/null; then
		KUNIT_MISSING="python3 not installed"
	elif [ ! -f "$KUNIT" ]; then
		KUNIT_MISSING="no $KUNIT (make runner-test provisions it)"
	fi
	[ -z "$KUNIT_MISSING" ] ||
		ktap_print_msg "kunit.py parse not checked: $KUNIT_MISSING"
}

# ktap_agrees FILE: every plan matches its results, and the last line
# counts the leaf results.  Sets WHY when not.
ktap_agrees()
{
	local out

	out=$(awk '
	{
		match($0, /^ */)
		lvl = RLENGTH / 4
		line = substr($0, RLENGTH + 1)
	}
	line ~ /^1\.\.[0-9]+/ {
		plan[lvl] = substr(line, 4) + 0
		has[lvl] = 1
		if (lvl > 0)
			nested[lvl - 1] = 1
		next
	}
	line ~ /^(not )?ok [0-9]+/ {
		n[lvl]++
		if (nested[lvl]) {
			if (!has[lvl + 1])
				bad = bad "no plan before: " $0 "; "
			else if (n[lvl + 1] != plan[lvl + 1])
				bad = bad n[lvl + 1] " results for plan " \
				      plan[lvl + 1] " before: " $0 "; "
			n[lvl + 1] = has[lvl + 1] = nested[lvl] = 0
		} else if (line ~ /^not ok/) {
			f++
		} else if (line ~ /# SKIP/) {
			s++
		} else {
			p++
		}
		next
	}
	/^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$/ {
		fp = $1; ff = $3; fs = $5; last = NR
	}
	END {
		if (!has[0])
			bad = bad "no top-level plan; "
		else if (n[0] != plan[0])
			bad = bad n[0] " top-level results for plan " plan[0] "; "
		if (last != NR)
			bad = bad "the last line is not the summary; "
		else if (fp != p + 0 || ff != f + 0 || fs != s + 0)
			bad = bad "summary " fp "/" ff "/" fs " but results " \
			      p + 0 "/" f + 0 "/" s + 0 "; "
		printf "%s", bad
	}' "$1")
	[ -z "$out" ] && return 0
	WHY="KTAP disagrees with itself: $out"
	return 1
}

# kunit_agrees FILE: kunit.py parse reads it without error, with the
# counts of the summary line.
kunit_agrees()
{
	local out p f s kp kf ks

	[ -z "$KUNIT_MISSING" ] || return 0
	out=$(python3 "$KUNIT" parse "$1" 2>&1)
	# A run of no test is an error for kunit.py too.
	if [ "$(tail -n 1 "$1")" = "0 passed, 0 failed, 0 skipped" ]; then
		[[ $out == *"0 tests run"* ]] && return 0
		WHY="kunit.py parse does not see an empty run: $out"
		return 1
	fi
	read -r p _ f _ s _ < <(tail -n 1 "$1")
	kp=$(sed -n 's/.*Ran .* passed: \([0-9]*\).*/\1/p' <<<"$out")
	kf=$(sed -n 's/.*Ran .* failed: \([0-9]*\).*/\1/p' <<<"$out")
	ks=$(sed -n 's/.*Ran .* skipped: \([0-9]*\).*/\1/p' <<<"$out")
	# Its own complaints, not the test logs it echoes.
	if grep -qE '\[(ERROR|WARNING)\]|errors: [1-9]' <<<"$out"; then
		WHY="kunit.py parse: $(grep -m1 -E '\[(ERROR|WARNING)\]|errors: [1-9]' <<<"$out")"
	elif [ "${kp:-0}/${kf:-0}/${ks:-0}" != "$p/$f/$s" ]; then
		WHY="kunit.py parse counts ${kp:-0}/${kf:-0}/${ks:-0}, summary $p/$f/$s"
	else
		return 0
	fi
	return 1
}

