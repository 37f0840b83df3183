#!/bin/bash
# Build the converted driver's modules whole (vmlinux, then ib_core.ko,
# ib_uverbs.ko, mlx5_core.ko and mlx5_ib.ko, through modpost) with the
# series, in their own object directory: the link and modpost steps that the
# single-object gates of make check skip. Fails if a module is missing or
# the build prints a warning for a driver file the series changed.
# usage: drivers.sh TREE OBJDIR FRAGMENT...
set -eu
. "$(dirname "$0")/lib.sh"
tree=$(realpath "$1") obj=$(realpath -m "$2"); shift 2
top=$(realpath "$(dirname "$0")/..")
bench_ccache "$tree"
"$top/scripts/config.sh" "$tree" "$obj" "$@" "$top/config/drivers.config"
# the driver files the series changed (the rest has its W=1 and sparse
# gates), compiled afresh on every run: an up-to-date object prints nothing
changed=$(git -C "$tree" diff --name-only base HEAD -- 'drivers/*.c' 'drivers/*.h')
for f in $(echo "$changed" | grep '\.c$' || true); do rm -f "$obj/${f%.c}.o"; done
say "building vmlinux and modules in $obj ($(nproc) jobs; log: $obj/drivers.log)"
t=$(date +%s)
make -C "$tree" O="$obj" CC="$cc" HOSTCC="$cc" -j"$(nproc)" vmlinux modules \
	> "$obj/drivers.log" 2>&1 || die "the build failed; see $obj/drivers.log"
for m in drivers/infiniband/core/ib_core.ko drivers/infiniband/core/ib_uverbs.ko \
	 drivers/net/ethernet/mellanox/mlx5/core/mlx5_core.ko \
	 drivers/infiniband/hw/mlx5/mlx5_ib.ko; do
	[ -f "$obj/$m" ] || die "$m was not built; see $obj/drivers.log"
done
if [ -n "$changed" ] && grep -E '(warning|error):' "$obj/drivers.log" | grep -F "$changed"; then
	die "warnings in driver files the series changed (above); see $obj/drivers.log"
fi
say "PASS: ib_core, ib_uverbs, mlx5_core and mlx5_ib built in $(( $(date +%s) - t )) s"
