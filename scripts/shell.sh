#!/bin/bash
# Boot the guest interactively: test_hmm loaded, huge pages reserved, the
# test programs in /bench/bin, a shell on this terminal.  Leave with
# "reboot -f" (or Ctrl-A X).
# usage: shell.sh OBJ RUNDIR
set -eu
top=$(realpath "$(dirname "$0")/..")
. "$top/scripts/lib.sh"
obj=$1 rundir=$2
mkdir -p "$rundir"
: > "$rundir/plan"
"$top/scripts/initramfs.sh" "$obj" "$obj/progs" "$rundir/plan" "$top/guest/init" \
	"$top/guest/setup" "$rundir/initrd.cpio"
accel=(-accel tcg,thread=multi)
[ "${ACCEL:-}" = kvm ] && accel=(-accel kvm -cpu host)
smp=${SMP:-2}
exec qemu-system-x86_64 -M pc "${accel[@]}" -m "${MEM:-3G}" -smp "$smp,sockets=$smp" \
	-kernel "$obj/arch/x86/boot/bzImage" -initrd "$rundir/initrd.cpio" \
	-append "$(guest_cmdline "$smp") bench.shell=1" \
	-display none -no-reboot -serial mon:stdio -serial "file:$rundir/results.log"
