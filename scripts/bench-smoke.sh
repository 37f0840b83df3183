#!/bin/bash
# The benchmark's smoke test for make check: hmm-bench at 2 and 4 MiB in the
# guest (no icount), then a check that its output is complete and well formed.
# Timing is not judged here; make bench measures.
# usage: bench-smoke.sh OBJ RUNDIR
set -eu
top=$(realpath "$(dirname "$0")/..")
obj=$1 rundir=$2
mkdir -p "$rundir"
printf 'bench:hmm-bench-smoke\t300\t/bench/bin/hmm-bench --sizes 2,4\n' > "$rundir/plan.in"
rc=0
PLAN=$rundir/plan.in QUIET=1 "$top/scripts/run.sh" "$obj" "$rundir" || rc=1
read -r p f s < "$rundir/counts"
if "$top/scripts/bench-report.py" --check "$rundir/results.log"; then
	p=$((p + 1))
else
	f=$((f + 1)); rc=1
fi
echo "$p $f $s" > "$rundir/counts"
exit $rc
