#!/bin/bash
# make bench: measure the fault path in guests under qemu -icount (guest time
# counts instructions, so figures repeat within about 0.2%).
#  1. the patched kernel (OBJ): bench/hmm-bench.c over 2 MiB to 1 GiB;
#  2. refactor overhead: hmm-bench --refactor on the base's mm/hmm.c (6.12:
#     the pristine base; 7.3: the series with mainline's mm/hmm.c, built in
#     TREE/../bench-base) and on the patched kernel, same config and guest;
#     on 7.3 the same kernel times mainline's helper too (hmm_resume there
#     restarts from the start after every lock drop);
#  3. the verification walk's cost: hmm_resume alone on the series with
#     bases/BASE/no-verify.patch (built in TREE/../bench-noverify);
#  4. 7.3: rxe's ODP prefetch of userfaultfd memory (hmm-rxe --bench) on
#     the series and on stock 7.3 (scripts/stock.sh, TREE/../stock);
#  5. scripts/bench-report.py: table, RUNDIR/results.md, RUNDIR/bench.png.
# usage: bench.sh TREE OBJ RUNDIR FRAGMENT...   (env BASE: 6.12 or 7.3)
# env:   SIZES=2,4,8,16,128,1024  RESTART_LIMIT=seconds of guest time (60;
#        120 for mainline's helper on 7.3, so that it reaches 128 MiB)
set -eu
. "$(dirname "$0")/lib.sh"
tree=$(realpath "$1") obj=$(realpath "$2") rundir=$3; shift 3
top=$(realpath "$(dirname "$0")/..")
sizes=${SIZES:-2,4,8,16,128,1024}
mkdir -p "$rundir"
export ICOUNT=1 TIMEOUT=${TIMEOUT:-5400}

guest() { # OBJ NAME ARGS...: run hmm-bench in a guest booted from OBJ
	local o=$1 name=$2; shift 2
	printf 'bench:%s\t%s\t/bench/bin/hmm-bench %s\n' "$name" "$TIMEOUT" "$*" > "$rundir/$name.plan"
	say "hmm-bench $* on $(basename "$(dirname "$o")")/$(basename "$o") (qemu -icount; this takes minutes)"
	PLAN=$rundir/$name.plan SHOW=all "$top/scripts/run.sh" "$o" "$rundir/$name"
}

rxe_guest() { # OBJ NAME ARGS...: run hmm-rxe --bench in an rxe guest booted from OBJ
	local o=$1 name=$2; shift 2
	printf 'bench:%s\t%s\t/bench/bin/hmm-rxe --bench %s\n' "$name" "$TIMEOUT" "$*" > "$rundir/$name.plan"
	say "hmm-rxe --bench $* on $(basename "$(dirname "$o")")/$(basename "$o") (qemu -icount; this takes minutes)"
	PLAN=$rundir/$name.plan SHOW=all "$top/scripts/rxe.sh" "$o" "$obj/progs" "$rundir/$name"
}

# The base's mm/hmm.c, same config, in the same layout as the main tree so
# that ccache hits.  It gets the patched build's hmm-bench.  On 6.12 it is
# the pristine base (--refactor uses only ioctls a kernel without the series
# has); on 7.3, whose mainline has the helper, it is the series with
# mainline's mm/hmm.c, so that HMM_DMIRROR_RANGE_FAULT times mainline's
# helper too.
base=$(dirname "$tree")/bench-base
git -C "$tree" worktree prune
[ -d "$base/linux" ] || git -C "$tree" worktree add -q --detach "$base/linux" base
if [ "${BASE:-6.12}" = 6.12 ]; then
	git -C "$base/linux" checkout -qf --detach base
else
	git -C "$base/linux" checkout -qf --detach "$(git -C "$tree" rev-parse HEAD)"
	git -C "$base/linux" checkout base -- mm/hmm.c
fi
build_side "$base/linux" "$base/obj" "$@"
cp "$obj/progs/hmm-bench" "$base/obj/progs/"

# The series as it is, but with a helper that trusts what it stored before
# a lock drop (no verification walk): what the walk costs, nothing else.
nov=$(dirname "$tree")/bench-noverify
[ -d "$nov/linux" ] || git -C "$tree" worktree add -q --detach "$nov/linux" HEAD
git -C "$nov/linux" checkout -qf --detach "$(git -C "$tree" rev-parse HEAD)"
git -C "$nov/linux" apply "$top/bases/${BASE:-6.12}/no-verify.patch"
build_side "$nov/linux" "$nov/obj" "$@"
cp "$obj/progs/hmm-bench" "$nov/obj/progs/"

guest "$obj" main --sizes "$sizes" --restart-limit "${RESTART_LIMIT:-60}"
guest "$nov/obj" noverify --methods hmm_resume --sizes "$sizes"
guest "$base/obj" refactor-pristine --refactor --sizes 1024
guest "$obj" refactor-patched --refactor --sizes 1024
if [ "${BASE:-6.12}" = 6.12 ]; then
	"$top/scripts/bench-report.py" "$rundir" "$rundir/main/results.log" \
		"$rundir/refactor-pristine/results.log" "$rundir/refactor-patched/results.log" \
		"$rundir/noverify/results.log"
else
	guest "$base/obj" mainline --methods hmm_resume --quadratic hmm_resume \
		--sizes "$sizes" --restart-limit "${RESTART_LIMIT:-120}"
	"$top/scripts/stock.sh" "$tree" "$@"
	rxe_guest "$obj" rxe-series --sizes "$sizes"
	rxe_guest "$(dirname "$tree")/stock/obj" rxe-stock --sizes "$sizes" --quadratic \
		--restart-limit "${RESTART_LIMIT:-120}"
	"$top/scripts/bench-report.py" --mainline "$rundir" "$rundir/main/results.log" \
		"$rundir/mainline/results.log" "$rundir/refactor-pristine/results.log" \
		"$rundir/refactor-patched/results.log" "$rundir/noverify/results.log" \
		"$rundir/rxe-series/results.log" "$rundir/rxe-stock/results.log"
fi
