#!/bin/bash
# Bisectability: build every prefix of the series (base+1 .. HEAD) in a
# separate worktree and object directory (TREE/../bisect), and run the test
# suite on each.
# Writes "PASSED FAILED 0" (one per prefix) to RUNDIR/counts.
# usage: bisect.sh TREE RUNDIR FRAGMENT...
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
pass=0 fail=0
for c in $(git -C "$tree" rev-list --reverse base..HEAD); do
	subj=$(git -C "$tree" log -1 --format='%h %s' "$c")
	say "prefix up to $subj"
	git -C "$wt" checkout -q --detach "$c"
	d=$rundir/$(git -C "$tree" log -1 --format=%h "$c")
	mkdir -p "$d"
	if build_side "$wt" "$obj" "$@" > "$d/build.out" 2>&1 &&
	   QUIET=1 "$top/scripts/run.sh" "$obj" "$d" > "$d/out" 2>&1; then
		pass=$((pass + 1)); echo "    ok   bisect:$subj ($(tail -1 "$d/out" | sed 's/.*: //'))"
	else
		fail=$((fail + 1)); echo "    FAIL bisect:$subj (see $d)"
	fi
done
echo "$pass $fail 0" > "$rundir/counts"
[ "$fail" = 0 ]
