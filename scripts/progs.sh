#!/bin/bash
# Build the guest's programs, statically linked against the tree's exported
# UAPI headers (OBJ/usr/include): the tree's own hmm-tests and this project's
# tests/*.c (kselftest-harness programs, listed in OUTDIR/harness.list for the
# test plan), and demo/*.c and bench/*.c (plain programs).
# usage: progs.sh SRC OBJ OUTDIR
# env:   TREE_ONLY=1 builds only the tree's own tests (the project's programs
#        use the series' ioctls, which an early prefix of the series lacks)
#        BASE=version: only the programs its bases/<version>/base.conf lists
#        in PROGS, if it sets PROGS (the others use ioctls of another base);
#        with RXE=yes there, also the rxe tests (tests/rxe/, linked with
#        Debian 12's static libibverbs and its rxe provider) and the Debian
#        programs they run, staged in OUTDIR/rootfs (scripts/rxe-root.sh)
set -eu
. "$(dirname "$0")/lib.sh"
src=$(realpath "$1") obj=$(realpath "$2") out=$3
top=$(realpath "$(dirname "$0")/..")
mkdir -p "$out"
[ -d "$obj/usr/include" ] || die "no exported headers in $obj/usr/include (build the kernel first)"
# The same flags as tools/testing/selftests/mm/Makefile, plus -static.
cflags="-Wall -O2 -static -U_FORTIFY_SOURCE -I $src -I $src/tools/testing/selftests
	-isystem $obj/usr/include -isystem $src/tools/include/uapi"
libs="-lrt -lpthread -lm"
mm=$src/tools/testing/selftests/mm

build() { # OUTPUT SOURCES...
	local o=$1; shift
	gcc $cflags -o "$out/$o" "$@" $libs > "$out/$o.log" 2>&1 ||
		{ cat "$out/$o.log" >&2; die "building $o failed"; }
	# (libnl's getprotobyname() & co warn in every static link)
	if grep -v "in statically linked applications requires" "$out/$o.log" | grep -q 'warning:'; then
		cat "$out/$o.log" >&2
	fi
}

# Newer hmm-tests use the mm selftests' helpers and expect _GNU_SOURCE
# from their Makefile.
extra=()
grep -q '^#define _GNU_SOURCE' "$mm/hmm-tests.c" || extra+=(-D_GNU_SOURCE)
if grep -q '<mm/vm_util.h>\|"vm_util.h"' "$mm/hmm-tests.c"; then
	extra+=(-I "$mm" "$mm/vm_util.c")
	grep -q 'hugepage_settings.h' "$mm/hmm-tests.c" && extra+=("$mm/hugepage_settings.c")
fi
build hmm-tests "${extra[@]}" "$mm/hmm-tests.c"
echo hmm-tests > "$out/harness.list"
install -m 755 "$top/guest/kmemleak-check" "$out/"
[ -z "${TREE_ONLY:-}" ] || { say "guest programs built: hmm-tests"; exit 0; }
PROGS=all RXE=
[ -z "${BASE:-}" ] || [ ! -f "$top/bases/$BASE/base.conf" ] || . "$top/bases/$BASE/base.conf"
wanted() { [ "$PROGS" = all ] || [[ " $PROGS " == *" $(basename "$1" .c) "* ]]; }
for c in "$top"/tests/*.c; do
	[ -e "$c" ] && wanted "$c" || continue
	build "$(basename "$c" .c)" -I "$mm" "$c"
	basename "$c" .c >> "$out/harness.list"
done
for c in "$top"/demo/*.c "$top"/bench/*.c; do
	[ -e "$c" ] && wanted "$c" || continue
	build "$(basename "$c" .c)" "$c"
done
if [ "${RXE:-}" = yes ]; then
	# rdma-core's static link: the rxe provider is linked in, no plugins
	libs="-DRDMA_STATIC_PROVIDERS=rxe -lrxe-rdmav34 -libverbs -lnl-route-3 -lnl-3 -lpthread"
	for c in "$top"/tests/rxe/*.c; do
		build "$(basename "$c" .c)" "$c"
	done
	install -m 755 "$top/tests/rxe/perftest" "$out/rxe-perftest"
	"$top/scripts/rxe-root.sh" "$out/rootfs"
fi
say "guest programs built: $(cd "$out" && ls | grep -vE '\.(log|list)$|^rootfs$' | tr '\n' ' ')"
