#!/bin/bash
# The test command (make check): build, test the bench itself, run the test
# suite in the guest on the bench kernel and on the debug kernel, and end with
# one line "N passed, N failed[, N skipped]".
# Every part runs even when an earlier one failed, so the summary is whole.
# usage: check.sh   (env from the Makefile: SRC OBJ LOGS)
set -u
. "$(dirname "$0")/lib.sh"
top=$(realpath "$(dirname "$0")/..")
: "${SRC:?}" "${OBJ:?}" "${LOGS:?}"
mkdir -p "$LOGS"
parts=() t_build=0 t_run=0

part() { # NAME COMMAND... : run one part, remember its counts
	local name=$1 t=$(date +%s); shift
	say "$name"
	rm -f "$LOGS/$name/counts"
	"$@"
	[ -f "$LOGS/$name/counts" ] || { mkdir -p "$LOGS/$name"; echo "0 1 0" > "$LOGS/$name/counts"; }
	echo $(( $(date +%s) - t )) > "$LOGS/$name/seconds"
	t_run=$((t_run + $(date +%s) - t))
	parts+=("$name")
}

t=$(date +%s)
if ! make -s -C "$top" kernel progs; then
	echo "the kernel or the test programs did not build; see $OBJ/build.log"
	echo "0 passed, 1 failed"
	exit 1
fi
# The debug kernel (config/debug.config: KASAN, kmemleak, lockdep...) runs
# the same suite; its build failing fails that part only.
debug_ok=1
make -s -C "$top" progs DEBUG=1 || debug_ok=0
t_build=$(( $(date +%s) - t ))

# The series' own checks need its tree; a user's KSRC tree is not the series.
if [ -z "${KSRC:-}" ]; then
	part upstream "$top/scripts/upstream-checks.sh" "$SRC" "$top/patches" "$LOGS/upstream" "$OBJ"
	# sparse, W=1 and the config matrix
	part compile "$top/scripts/compile-checks.sh" "$SRC" "$LOGS/compile" $FRAGS
fi
part bench-selftest "$top/scripts/selftest-bench.sh" "$OBJ" "$LOGS/bench-selftest"
part suite "$top/scripts/run.sh" "$OBJ" "$LOGS/suite"
part demo env PLAN="$top/demo/plan" QUIET=1 "$top/scripts/run.sh" "$OBJ" "$LOGS/demo"
part bench-smoke "$top/scripts/bench-smoke.sh" "$OBJ" "$LOGS/bench-smoke"
# Every prefix of the series builds and passes the tests it has.
[ -n "${KSRC:-}" ] || part bisect "$top/scripts/bisect.sh" "$SRC" "$LOGS/bisect" $FRAGS
if [ "$debug_ok" = 1 ]; then
	part debug-suite "$top/scripts/run.sh" "$DEBUG_OBJ" "$LOGS/debug-suite"
else
	warn "the debug kernel did not build; see $DEBUG_OBJ/build.log"
	mkdir -p "$LOGS/debug-suite"; echo "0 1 0" > "$LOGS/debug-suite/counts"; parts+=(debug-suite)
	echo 0 > "$LOGS/debug-suite/seconds"
fi

P=0 F=0 S=0
echo "---- summary (logs in $LOGS/<part>/) ----"
for p in "${parts[@]}"; do
	read -r a b c < "$LOGS/$p/counts"
	printf '  %-16s %4d passed, %d failed, %d skipped  (%ss)\n' "$p" "$a" "$b" "$c" \
		"$(cat "$LOGS/$p/seconds" 2>/dev/null || echo ?)"
	P=$((P + a)) F=$((F + b)) S=$((S + c))
done
echo "  time: build ${t_build}s, guest runs ${t_run}s"
if [ "$S" -gt 0 ]; then echo "$P passed, $F failed, $S skipped"; else echo "$P passed, $F failed"; fi
[ "$F" = 0 ]
