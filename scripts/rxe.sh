#!/bin/bash
# The rxe tests on one kernel: boot OBJ with the rxe guest setup
# (tests/rxe/setup: veth pair, rxe device, huge pages) and run the rxe
# client's tests (tests/rxe/hmm-rxe.c) and perftest (tests/rxe/perftest).
# The programs come from PROGS (progs.sh with RXE=yes), so that a kernel
# built without them (the stock base) runs the same binaries.
# usage: rxe.sh OBJ PROGS RUNDIR
# env:   TESTS=regex (filter on "program:test")  PLAN=file (run this plan
#        instead: make bench's hmm-rxe --bench)  plus run.sh's and qemu.sh's
set -eu
. "$(dirname "$0")/lib.sh"
obj=$(realpath "$1") progs=$(realpath "$2") rundir=$3
top=$(realpath "$(dirname "$0")/..")
mkdir -p "$rundir"
[ -x "$progs/hmm-rxe" ] && [ -d "$progs/rootfs" ] ||
	die "no rxe programs in $progs (build them with RXE=yes in the base's base.conf)"
if [ "$progs" != "$obj/progs" ]; then
	mkdir -p "$obj/progs"
	cp "$progs/hmm-rxe" "$progs/rxe-perftest" "$obj/progs/"
	rm -rf "$obj/progs/rootfs" && cp -a "$progs/rootfs" "$obj/progs/"
fi
if [ -n "${PLAN:-}" ]; then
	cp "$PLAN" "$rundir/plan.in"
else {
	"$top/scripts/plan.py" --filter "${TESTS:-}" "$progs/hmm-rxe" || true
	for t in ib_read_bw ib_write_bw; do
		printf 'perftest:%s\t300\t/bench/bin/rxe-perftest %s\n' "$t" "$t"
	done | { [ -z "${TESTS:-}" ] && cat || grep -P "${TESTS}" || true; }
} > "$rundir/plan.in"
fi
[ -s "$rundir/plan.in" ] || die "no rxe test matches TESTS=${TESTS:-}"
PLAN=$rundir/plan.in SETUP=$top/tests/rxe/setup "$top/scripts/run.sh" "$obj" "$rundir"
