#!/bin/bash
# Stage the Debian 12 programs the rxe tests run in the guest, with the
# shared libraries they load, under ROOT (copied to / by initramfs.sh):
# iproute2's ip and rdma (make the veth pair and the rxe device), perftest's
# ib_read_bw and ib_write_bw, and libibverbs' rxe provider with its driver
# file (perftest is linked dynamically and loads providers as plugins).
# usage: rxe-root.sh ROOT
set -eu
. "$(dirname "$0")/lib.sh"
root=$1
multi=/usr/lib/x86_64-linux-gnu
rm -rf "$root"
mkdir -p "$root/usr/sbin" "$root/usr/bin" "$root/etc/libibverbs.d" "$root$multi/libibverbs"
cp /usr/bin/ip /usr/bin/rdma "$root/usr/sbin/"
cp /usr/bin/ib_read_bw /usr/bin/ib_write_bw "$root/usr/bin/"
cp "$multi/libibverbs/librxe-rdmav34.so" "$root$multi/libibverbs/"
cp /etc/libibverbs.d/rxe.driver "$root/etc/libibverbs.d/"
# every library the programs and the provider need, at the path the dynamic
# loader looks for it (ld.so.cache is not copied: /lib/x86_64-linux-gnu and
# /usr/lib/x86_64-linux-gnu are in the loader's default path)
for f in "$root"/usr/sbin/* "$root"/usr/bin/* "$root$multi/libibverbs/librxe-rdmav34.so"; do
	ldd "$f" | awk '/=> \// { print $3 } /^\t\/lib64\// { print $1 }'
done | sort -u | while read -r lib; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
[ -e "$root/lib64/ld-linux-x86-64.so.2" ] || die "ldd gave no dynamic loader"
