#!/bin/bash
# Pack the guest's initramfs (uncompressed newc cpio): busybox-static, the
# init and setup scripts, the test plan, the test programs and the modules,
# and PROGDIR/rootfs (Debian programs with their libraries) at /, if made.
# usage: initramfs.sh OBJ PROGDIR PLAN INIT SETUP OUT
set -eu
. "$(dirname "$0")/lib.sh"
obj=$1 progs=$2 plan=$3 init=$4 setup=$5 out=$6
bb=/bin/busybox      # from busybox-static: the guest has no libc
[ -x "$bb" ] || die "busybox-static is not installed"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,tmp,bench/bin,lib/modules}
cp "$bb" "$stage/bin/busybox"
install -m 755 "$init" "$stage/init"
cp "$setup" "$stage/bench/setup"
cp "$plan" "$stage/bench/plan"
for p in "$progs"/*; do
	case "$p" in *.log|*.list|*/rootfs) continue ;; esac
	cp "$p" "$stage/bench/bin/"
done
[ ! -d "$progs/rootfs" ] || cp -a "$progs/rootfs/." "$stage/"
find "$obj/modroot" -name '*.ko' -exec cp {} "$stage/lib/modules/" \;
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$out"
