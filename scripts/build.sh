#!/bin/bash
# Build the kernel (bzImage), its modules and the exported UAPI headers out of
# tree in OBJ, with ccache.  Modules are installed into OBJ/modroot.
# usage: build.sh SRC OBJ
set -eu
. "$(dirname "$0")/lib.sh"
src=$(realpath "$1") obj=$(realpath "$2")
jobs=${JOBS:-$(nproc)}
bench_ccache "$src"
export KBUILD_BUILD_USER=bench KBUILD_BUILD_HOST=bench

say "building kernel in $obj ($jobs jobs; log: $obj/build.log)"
t0=$(date +%s)
if ! make -C "$src" O="$obj" -j"$jobs" CC="$cc" bzImage modules > "$obj/build.log" 2>&1; then
	grep -E 'error|Error' "$obj/build.log" | head -20 >&2
	die "kernel build failed; see $obj/build.log"
fi
make -s -C "$src" O="$obj" headers_install >> "$obj/build.log" 2>&1
rm -rf "$obj/modroot"
make -s -C "$src" O="$obj" INSTALL_MOD_PATH="$obj/modroot" modules_install >> "$obj/build.log" 2>&1
grep -E 'warning:' "$obj/build.log" | sort -u | head -20 >&2 || true
say "kernel $(cat "$obj/include/config/kernel.release") built in $(( $(date +%s) - t0 ))s"
