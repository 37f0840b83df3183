#!/bin/bash
# Bisectability: build every prefix of the series (base+1 .. HEAD) in a
# separate worktree and object directory (TREE/../bisect), and run the test
# suite on each; a prefix whose commit changes nothing the bench config
# builds or runs (documentation, a driver the config leaves out) gets the
# previous prefix's result, and says so.
# Writes "PASSED FAILED 0" (one per prefix) to RUNDIR/counts.
# usage: bisect.sh TREE RUNDIR FRAGMENT...
# env:   BISECT_TESTS=regex: the tests each prefix runs (all by default)
#        BISECT_HEAD_COUNTS=file: the counts ("PASSED FAILED SKIPPED") of a
#        run of the whole suite on HEAD, the last prefix, built from the same
#        tree and config (make check's suite part); HEAD takes that result
#        instead of being built and run again
set -eu
. "$(dirname "$0")/lib.sh"
tree=$(realpath "$1") rundir=$2; shift 2
top=$(realpath "$(dirname "$0")/..")
# The same layout as the main tree (linux/ and obj/ side by side), so that
# ccache sees the same relative paths and the builds hit the cache.
wt=$(dirname "$tree")/bisect/linux obj=$(dirname "$tree")/bisect/obj
mkdir -p "$rundir"
git -C "$tree" worktree prune
[ -d "$wt" ] || git -C "$tree" worktree add -q --detach "$wt" base
# Does commit C change nothing that the bench config builds or runs? Only
# documentation, or driver C files of which the last build made no object
# (drivers the config leaves out): then its kernel and tests are the
# previous prefix's. Anything else (the tests in tools/, headers, lib/, mm/)
# is built and run.
inert() { # C
	local f
	for f in $(git -C "$tree" diff --name-only "$1^" "$1"); do
		case $f in
		Documentation/*) ;;
		drivers/*.c) [ ! -e "$obj/${f%.c}.o" ] || return 1 ;;
		*) return 1 ;;
		esac
	done
}

pass=0 fail=0 last=
for c in $(git -C "$tree" rev-list --reverse base..HEAD); do
	subj=$(git -C "$tree" log -1 --format='%h %s' "$c")
	say "prefix up to $subj"
	git -C "$wt" checkout -q --detach "$c"
	d=$rundir/$(git -C "$tree" log -1 --format=%h "$c")
	mkdir -p "$d"
	if [ "$c" = "$(git -C "$tree" rev-parse HEAD)" ] && [ -n "${BISECT_HEAD_COUNTS:-}" ]; then
		if read -r hp hf _ < "$BISECT_HEAD_COUNTS" && [ "$hf" = 0 ] && [ "$hp" -gt 0 ]; then
			pass=$((pass + 1))
			echo "    ok   bisect:$subj (the series itself: the suite part, $hp passed, 0 failed)"
		else
			fail=$((fail + 1))
			echo "    FAIL bisect:$subj (the series itself: see the suite part, $BISECT_HEAD_COUNTS)"
		fi
		continue
	fi
	if [ -n "$last" ] && inert "$c"; then
		pass=$((pass + 1))
		echo "    ok   bisect:$subj (as the previous prefix, $last: nothing it changes is built by the bench config)"
		continue
	fi
	if build_side "$wt" "$obj" "$@" > "$d/build.out" 2>&1 &&
	   QUIET=1 TESTS=${BISECT_TESTS:-${TESTS:-}} "$top/scripts/run.sh" "$obj" "$d" > "$d/out" 2>&1; then
		last=$(tail -1 "$d/out" | sed 's/.*: //')
		pass=$((pass + 1)); echo "    ok   bisect:$subj ($last)"
	else
		last=
		fail=$((fail + 1)); echo "    FAIL bisect:$subj (see $d)"
	fi
done
echo "$pass $fail 0" > "$rundir/counts"
[ "$fail" = 0 ]
