#!/bin/bash
# Build the kernel (bzImage), its modules and the exported UAPI headers out of
# tree in OBJ, with ccache.  Modules are installed into OBJ/modroot.
# usage: build.sh SRC OBJ
set -eu
. "$(dirname "$0")/lib.sh"
src=$(realpath "$1") obj=$(realpath "$2")
jobs=${JOBS:-$(nproc)}
# A fixed base dir lets ccache hit across clones in different directories.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(dirname "$src")}
export CCACHE_NOHASHDIR=1
# The kernel passes -fmacro-prefix-map=<absolute source path>/=, which only
# strips that path from __FILE__: the objects are the same wherever the tree
# is, so do not let the path defeat the cache.
export CCACHE_IGNOREOPTIONS='-fmacro-prefix-map=*'
export KBUILD_BUILD_USER=bench KBUILD_BUILD_HOST=bench
cc="ccache gcc"
command -v ccache >/dev/null || cc=gcc

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
