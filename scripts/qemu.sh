#!/bin/bash
# Boot KERNEL with INITRD under QEMU and wait for it, with a time limit.
# ttyS0 (kernel console) -> RUNDIR/console.log; ttyS1 (test output) ->
# RUNDIR/results.log, shown live.  Exit status: 0 when the guest reached its
# end marker, 1 otherwise (panic, hang, early exit), with the reason and the
# tail of the console printed.
# usage: qemu.sh KERNEL INITRD RUNDIR [KERNEL-ARGS...]
# env:   ACCEL=auto|tcg|kvm  TIMEOUT=seconds  ICOUNT=1 (repeatable timing)
#        MEM=3G SMP=2  QUIET=1 (no live output)  SHOW=all (all test output)
set -eu
. "$(dirname "$0")/lib.sh"
kernel=$1 initrd=$2 rundir=$3; shift 3
timeout=${TIMEOUT:-600}
mkdir -p "$rundir"
console=$rundir/console.log results=$rundir/results.log
: > "$console"; : > "$results"

smp=${SMP:-2}
append="$(guest_cmdline "$smp") $*"
# Tests run with freed pages zeroed, so that a use of a freed page shows as
# wrong data (the benchmark does not: it would change what it measures).
[ -n "${ICOUNT:-}" ] || append="$append init_on_free=1"

kvm_ok() { # a short probe: does this kernel boot under KVM here?
	local probe=$rundir/../kvm-probe
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
	if [ ! -f "$probe" ]; then
		say "probing KVM (20 s limit)"
		if timeout -k 5 20 qemu-system-x86_64 -M pc -accel kvm -cpu host -m 512M -smp 1 \
			-kernel "$kernel" -initrd "$initrd" -append "console=ttyS0 panic=-1 bench.probe=1" \
			-display none -monitor none -no-reboot -serial null -serial stdio < /dev/null 2>/dev/null |
			grep -q BENCH-PROBE-OK; then echo kvm > "$probe"; else echo tcg > "$probe"; fi
	fi
	[ "$(cat "$probe")" = kvm ]
}

accel=${ACCEL:-auto}
if [ -n "${ICOUNT:-}" ]; then
	# icount counts instructions as time: repeatable, single-threaded TCG
	opts=(-accel tcg -icount shift=0,sleep=off)
	accel=tcg-icount
elif [ "$accel" = kvm ] || { [ "$accel" = auto ] && kvm_ok; }; then
	opts=(-accel kvm -cpu host); accel=kvm
else
	opts=(-accel tcg,thread=multi); accel=tcg
fi

say "booting ($accel, $smp vCPUs, ${MEM:-3G}, limit ${timeout}s; logs in $rundir)"
start=$(date +%s)
set +e
timeout -k 10 "$timeout" qemu-system-x86_64 -M pc "${opts[@]}" -m "${MEM:-3G}" -smp "$smp,sockets=$smp" \
	-kernel "$kernel" -initrd "$initrd" -append "$append" \
	-display none -monitor none -no-reboot \
	-serial "file:$console" -serial stdio < /dev/null 2> "$rundir/qemu.err" |
	tee "$results" |
	if [ -n "${QUIET:-}" ]; then cat > /dev/null
	elif [ "${SHOW:-}" = all ]; then grep --line-buffered -v '^BENCH-'
	else grep --line-buffered -E '^(not )?ok [0-9]+ |^BENCH-(BOOT|DONE)' | sed -u 's/^/    /'; fi
rc=${PIPESTATUS[0]}
set -e
echo "$accel $(( $(date +%s) - start ))" > "$rundir/boot-info"

why=
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	why="the guest did not finish within ${timeout}s (hang?)"
elif grep -q 'Kernel panic' "$console"; then
	why="the guest kernel panicked"
elif [ "$rc" != 0 ]; then
	why="QEMU exited with status $rc: $(head -c 300 "$rundir/qemu.err")"
elif ! grep -q '^BENCH-DONE' "$results"; then
	why="the guest stopped before the end of its run"
fi
if [ -n "$why" ]; then
	echo "GUEST FAILURE: $why" >&2
	echo "---- last 25 lines of $console ----" >&2
	tail -n 25 "$console" >&2
	echo "----" >&2
	exit 1
fi
