#!/bin/bash
# The test command (make check): for every base (bases/*), build, run the
# series' checks and test suite in the guest, and end with one line
# "N passed, N failed[, N skipped]".
#  6.12: upstream gates, compile gates, the bench's self-tests, the suite,
#        the demo, the benchmark smoke test, bisect, the debug kernel's suite.
#  7.3:  the same gates on the 7.3 series, the suite (mainline's hmm-tests
#        and the series' new ones) on 7.3 with the series, the rxe tests on
#        the series and on stock 7.3, the demo, the benchmark smoke test,
#        bisect.
# Every part runs even when an earlier one failed, so the summary is whole.
# usage: check.sh   (env from the Makefile: BASE BUILD KSRC; with KSRC only
#        BASE is checked, on that tree)
set -u
. "$(dirname "$0")/lib.sh"
top=$(realpath "$(dirname "$0")/..")
bases=${BASES:-$(cd "$top/bases" && ls)}
[ -z "${KSRC:-}" ] || bases=$BASE
parts=() t_build=0 t_run=0

part() { # NAME COMMAND... : run one part, remember its counts
	local name=$1 t=$(date +%s) d; shift
	d=$LOGS/$name
	say "$BASE: $name"
	rm -f "$d/counts"
	"$@"
	[ -f "$d/counts" ] || { mkdir -p "$d"; echo "0 1 0" > "$d/counts"; }
	echo $(( $(date +%s) - t )) > "$d/seconds"
	t_run=$((t_run + $(date +%s) - t))
	parts+=("$d")
}

failed_part() { # NAME WHY : a part that could not run counts as one failure
	warn "$2"
	mkdir -p "$LOGS/$1"; echo "0 1 0" > "$LOGS/$1/counts"; echo 0 > "$LOGS/$1/seconds"
	parts+=("$LOGS/$1")
}

base_vars() { # BASE: set SRC OBJ LOGS DEBUG_OBJ PATCHES FRAGS for it
	eval "$(env -u SRC -u OBJ -u LOGS -u FRAGS -u DEBUG_OBJ \
		make -s --no-print-directory -C "$top" BASE="$1" vars)"
	export SRC OBJ LOGS DEBUG_OBJ FRAGS BASE=$1
	mkdir -p "$LOGS"
}

check_612() {
	local t=$(date +%s) debug_ok=1
	if ! make -s -C "$top" BASE="$BASE" kernel progs; then
		failed_part build "the $BASE kernel or the test programs did not build; see $OBJ/build.log"
		return
	fi
	# The debug kernel (config/debug.config: KASAN, kmemleak, lockdep...)
	# runs the same suite; its build failing fails that part only.
	make -s -C "$top" BASE="$BASE" progs DEBUG=1 || debug_ok=0
	t_build=$((t_build + $(date +%s) - t))
	# The series' own checks need its tree; a user's KSRC tree is not the series.
	if [ -z "${KSRC:-}" ]; then
		part upstream "$top/scripts/upstream-checks.sh" "$SRC" "$PATCHES" "$LOGS/upstream" "$OBJ"
		part compile "$top/scripts/compile-checks.sh" "$SRC" "$LOGS/compile" $FRAGS
	fi
	part bench-selftest "$top/scripts/selftest-bench.sh" "$OBJ" "$LOGS/bench-selftest"
	part suite "$top/scripts/run.sh" "$OBJ" "$LOGS/suite"
	part demo env PLAN="$top/demo/plan" QUIET=1 "$top/scripts/run.sh" "$OBJ" "$LOGS/demo"
	part bench-smoke "$top/scripts/bench-smoke.sh" "$OBJ" "$LOGS/bench-smoke"
	# Every prefix of the series builds and passes the tests it has (the
	# last, the series itself, is the suite part above).
	[ -n "${KSRC:-}" ] || part bisect env BISECT_HEAD_COUNTS="$LOGS/suite/counts" \
		"$top/scripts/bisect.sh" "$SRC" "$LOGS/bisect" $FRAGS
	if [ "$debug_ok" = 1 ]; then
		part debug-suite "$top/scripts/run.sh" "$DEBUG_OBJ" "$LOGS/debug-suite"
	else
		failed_part debug-suite "the debug kernel did not build; see $DEBUG_OBJ/build.log"
	fi
}

check_73() {
	local t=$(date +%s)
	if ! make -s -C "$top" BASE="$BASE" kernel progs; then
		failed_part build "the $BASE kernel or the test programs did not build; see $OBJ/build.log"
		return
	fi
	t_build=$((t_build + $(date +%s) - t))
	if [ -z "${KSRC:-}" ]; then
		part upstream "$top/scripts/upstream-checks.sh" "$SRC" "$PATCHES" "$LOGS/upstream" "$OBJ"
		part compile "$top/scripts/compile-checks.sh" "$SRC" "$LOGS/compile" $FRAGS
	fi
	# The tree's hmm-tests: mainline's own tests and the series' new ones.
	part suite "$top/scripts/run.sh" "$OBJ" "$LOGS/suite"
	# A real driver: rxe's ODP over userfaultfd memory (tests/rxe/), on the
	# series, then on stock 7.3 with the same programs: there only what is
	# meant to pass on both (the owner's death while rxe waits, another
	# process's traffic, perftest). On 7.3.4 the table fails (patch 28)
	# and so do the teardowns while rxe waits (patches 30-32; the README).
	part rxe "$top/scripts/rxe.sh" "$OBJ" "$OBJ/progs" "$LOGS/rxe"
	if [ -z "${KSRC:-}" ]; then
		t=$(date +%s)
		if "$top/scripts/stock.sh" "$SRC" $FRAGS > "$LOGS/stock-build.log" 2>&1; then
			t_build=$((t_build + $(date +%s) - t))
			part rxe-stock env TESTS='^(hmm-rxe:(owner_gone\.(killed|exits)_|global\.stall)|perftest:)' \
				"$top/scripts/rxe.sh" "$(dirname "$SRC")/stock/obj" "$OBJ/progs" "$LOGS/rxe-stock"
		else
			failed_part rxe-stock "stock $BASE did not build; see $LOGS/stock-build.log"
		fi
	fi
	part demo env PLAN="$top/demo/plan" QUIET=1 "$top/scripts/run.sh" "$OBJ" "$LOGS/demo"
	part bench-smoke "$top/scripts/bench-smoke.sh" "$OBJ" "$LOGS/bench-smoke"
	# Every prefix builds and passes its hmm-tests; mainline's THP migration
	# benchmark (90 s a run, unchanged by the series' later patches) runs
	# on the whole series only, in the suite above, which is also the last
	# prefix.
	[ -n "${KSRC:-}" ] ||
		part bisect env BISECT_TESTS='^(?!.*benchmark_thp_migration)' \
			BISECT_HEAD_COUNTS="$LOGS/suite/counts" \
			"$top/scripts/bisect.sh" "$SRC" "$LOGS/bisect" $FRAGS
}

for b in $bases; do
	base_vars "$b"
	case $b in
	6.12) check_612 ;;
	7.3) check_73 ;;
	*) failed_part check "make check does not know base $b (scripts/check.sh)" ;;
	esac
done

P=0 F=0 S=0
echo "---- summary (logs in build/<base>/logs/<part>/) ----"
for d in "${parts[@]}"; do
	read -r a b c < "$d/counts"
	printf '  %-4s %-16s %4d passed, %d failed, %d skipped  (%ss)\n' \
		"$(basename "$(dirname "$(dirname "$d")")")" "$(basename "$d")" "$a" "$b" "$c" \
		"$(cat "$d/seconds" 2>/dev/null || echo ?)"
	P=$((P + a)) F=$((F + b)) S=$((S + c))
done
echo "  time: build ${t_build}s, guest runs and gates ${t_run}s"
if [ "$S" -gt 0 ]; then echo "$P passed, $F failed, $S skipped"; else echo "$P passed, $F failed"; fi
[ "$F" = 0 ]
