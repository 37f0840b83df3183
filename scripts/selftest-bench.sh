#!/bin/bash
# Test the bench itself: a guest that passes, fails a test, splats, panics or
# hangs must each get the right verdict (tests/bench/cases), and the log
# parser must judge the recorded logs in tests/bench/logs right.
# Writes "PASSED FAILED 0" to RUNDIR/counts.
# usage: selftest-bench.sh OBJ RUNDIR
set -eu
. "$(dirname "$0")/lib.sh"
obj=$1 rundir=$2
top=$(realpath "$(dirname "$0")/..")
mkdir -p "$rundir"
pass=0 fail=0
verdict() { # NAME OK?
	if [ "$2" = 0 ]; then pass=$((pass + 1)); echo "    ok   bench:$1"
	else fail=$((fail + 1)); echo "    FAIL bench:$1 (see $3)"; fi
}

# 1. The parser on recorded logs (fast, no guest).
for d in "$top"/tests/bench/logs/*/; do
	[ -d "$d" ] || continue
	n=$(basename "$d")
	want_rc=$(sed -n 1p "$d/expect") want_re=$(sed -n 2p "$d/expect")
	out=$rundir/log-$n.out
	mkdir -p "$rundir/log-$n"
	cp "$d"/console.log "$d"/results.log "$rundir/log-$n/"
	set +e
	"$top/scripts/verdict.py" --expect-version "#1 SMP" --splats "$d/splats" "$d/plan" "$rundir/log-$n" > "$out" 2>&1
	rc=$?
	set -e
	ok=1; [ "$rc" = "$want_rc" ] && grep -qE "$want_re" "$out" && ok=0
	verdict "log-$n" $ok "$out"
done

# 2. Real guest boots, one per case.
while IFS='	' read -r name want_rc want_re limit allow cmd; do
	case "$name" in ''|'#'*) continue ;; esac
	d=$rundir/boot-$name
	mkdir -p "$d"
	printf 'bench:%s\t600\t%s\n' "$name" "$cmd" > "$d/plan.in"
	if [ "$allow" = - ]; then : > "$d/splats"; else printf 'bench:%s\t%s\n' "$name" "$allow" > "$d/splats"; fi
	set +e
	PLAN=$d/plan.in SPLATS=$d/splats SETUP=$top/tests/bench/setup TIMEOUT=$limit QUIET=1 \
		"$top/scripts/run.sh" "$obj" "$d" > "$d/out" 2>&1
	rc=$?
	set -e
	ok=1; [ "$rc" = "$want_rc" ] && grep -qE "$want_re" "$d/out" && ok=0
	verdict "boot-$name" $ok "$d/out"
done < "$top/tests/bench/cases"
echo "$pass $fail 0" > "$rundir/counts"
[ "$fail" = 0 ]
