#!/bin/bash
# Print the path of a sparse that the kernel tree TREE accepts (kbuild runs
# the tree's scripts/checker-valid.sh and skips C=1/C=2 when it fails; 7.3's
# wants __typeof_unqual__, which Debian 12's sparse 0.6.4 lacks).  The
# machine's own sparse if the tree accepts it; else sparse built in DIR from
# Debian's source package SPARSE_VERSION of SPARSE_SUITE (its binary package
# needs a newer glibc than Debian 12's): fetched with apt sources and state of
# the bench's own under DIR, never touching the machine's (apt checks the
# files against the suite's signed Sources index), and built from the
# upstream tarball (Debian's two patches only pin gcc-16 and add
# --as-needed).  Fails, saying why on stderr, when neither is usable.
# usage: sparse.sh TREE DIR
set -eu
. "$(dirname "$0")/lib.sh"
tree=$(realpath "$1") dir=$2
SPARSE_VERSION=0.6.5~rc1-2 SPARSE_SUITE=sid
valid() { # SPARSE: does the tree accept it? (older trees do not check)
	[ ! -f "$tree/scripts/checker-valid.sh" ] ||
		[ "$(sh "$tree/scripts/checker-valid.sh" "$1" 2>/dev/null)" = 1 ]
}

if command -v sparse >/dev/null && valid sparse; then
	command -v sparse
	exit 0
fi
mkdir -p "$dir"; dir=$(realpath "$dir")
bin=$dir/sparse-$SPARSE_VERSION/sparse
if [ ! -x "$bin" ]; then
	mkdir -p "$dir/src"
	bench_apt "$dir/apt" "deb-src http://deb.debian.org/debian $SPARSE_SUITE main"
	opts=("${apt_opts[@]}")
	say "$(sparse --version 2>/dev/null || echo 'no sparse'): too old for $tree;" \
		"building sparse $SPARSE_VERSION from Debian's $SPARSE_SUITE source in $dir" >&2
	apt-get "${opts[@]}" -qq update >&2 || die "apt-get update of $SPARSE_SUITE (deb-src) failed"
	rm -rf "$dir/src"/*
	(cd "$dir/src" && apt-get "${opts[@]}" -qq --download-only source "sparse=$SPARSE_VERSION") >&2 ||
		die "$SPARSE_SUITE has no source of sparse $SPARSE_VERSION; set SPARSE_VERSION in $0" \
		    "to one it has (apt-cache ${opts[*]} showsrc sparse)"
	orig=$(ls "$dir"/src/sparse_*.orig.tar.*)
	rm -rf "$dir/sparse-$SPARSE_VERSION"
	mkdir -p "$dir/sparse-$SPARSE_VERSION"
	tar -x -C "$dir/sparse-$SPARSE_VERSION" --strip-components=1 -f "$orig"
	make -s -C "$dir/sparse-$SPARSE_VERSION" -j"$(nproc)" sparse > "$dir/build.log" 2>&1 ||
		die "building sparse $SPARSE_VERSION failed; see $dir/build.log"
fi
valid "$bin" || die "$bin is not accepted by $tree/scripts/checker-valid.sh either"
echo "$bin"
