#!/bin/bash
# Build the guest's test programs, statically linked against the tree's
# exported UAPI headers (OBJ/usr/include): the tree's own hmm-tests, and this
# project's programs in tests/ (each tests/*.c is one program).
# usage: progs.sh SRC OBJ OUTDIR
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
	if grep -q 'warning:' "$out/$o.log"; then cat "$out/$o.log" >&2; fi
}

build hmm-tests "$mm/hmm-tests.c"
for c in "$top"/tests/*.c; do
	[ -e "$c" ] || continue
	build "$(basename "$c" .c)" -I "$mm" "$c"
done
say "test programs built: $(cd "$out" && ls | grep -v '\.log$' | tr '\n' ' ')"
