#!/bin/bash
# One guest run: make the test plan (or take PLAN), pack the initramfs, boot,
# and judge the logs.  Exit status 0 only if every planned test passed.
# usage: run.sh OBJ RUNDIR
# env:   TESTS=regex (filter on "program:test")  PLAN=file (use this plan)
#        SPLATS=file (expected splats)  SETUP=file (guest setup script)
#        plus qemu.sh's ACCEL, TIMEOUT, ICOUNT
set -eu
. "$(dirname "$0")/lib.sh"
obj=$1 rundir=$2
top=$(realpath "$(dirname "$0")/..")
mkdir -p "$rundir"
rm -f "$rundir"/{counts,console.log,results.log}
if [ -n "${PLAN:-}" ]; then
	cp "$PLAN" "$rundir/plan"
else
	"$top/scripts/plan.py" --filter "${TESTS:-}" $(sed "s|^|$obj/progs/|" "$obj/progs/harness.list") > "$rundir/plan" ||
		die "no test plan"
	# a kmemleak kernel ends with a leak scan (guest/kmemleak-check)
	! grep -qx CONFIG_DEBUG_KMEMLEAK=y "$obj/.config" ||
		printf 'kmemleak:scan\t300\t/bench/bin/kmemleak-check\n' >> "$rundir/plan"
fi
"$top/scripts/initramfs.sh" "$obj" "$obj/progs" "$rundir/plan" "$top/guest/init" \
	"${SETUP:-$top/guest/setup}" "$rundir/initrd.cpio"
uts=$(sed -n 's/^#define UTS_VERSION "\(.*\)"/\1/p' "$obj/include/generated/compile.h")
guest=0
"$top/scripts/qemu.sh" "$obj/arch/x86/boot/bzImage" "$rundir/initrd.cpio" "$rundir" || guest=1
"$top/scripts/verdict.py" --expect-version "$uts" --splats "${SPLATS:-$top/tests/expected-splats}" \
	"$rundir/plan" "$rundir" || exit 1
exit $guest
