#!/bin/bash
# Find or fetch the kernel source tarball of a base (bases/<version>/base.conf)
# and print its path.  A base from the machine's own suite (SUITE empty) is
# an installed package (scripts/deps.sh installs linux-source-6.12).  Any
# other suite is fetched with apt sources and state of the bench's own under
# DLDIR, never touching the machine's: apt-get download of exactly VERSION,
# whose SHA256 is checked against the suite's Packages index, then the
# tarball is taken out with dpkg-deb.  Only Debian's archive is needed.
# usage: fetch-base.sh BASEDIR DLDIR
set -eu
. "$(dirname "$0")/lib.sh"
basedir=$1 dl=$2
PKG= VERSION= SUITE= TARBALL=
. "$basedir/base.conf"
if [ -z "$SUITE" ]; then
	[ -f "$TARBALL" ] || die "$TARBALL missing (apt-get install $PKG)"
	echo "$TARBALL"
	exit 0
fi
mkdir -p "$dl"; dl=$(realpath "$dl")
out=$dl/$TARBALL
stamp=$dl/fetched               # "<package> <version> <sha256 of the .deb>"
if [ -f "$out" ] && [ "$(cut -d' ' -f1,2 "$stamp" 2>/dev/null)" = "$PKG $VERSION" ]; then
	echo "$out"
	exit 0
fi
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
	die "fetching $PKG needs apt-get and dpkg-deb (a Debian machine)"
apt=$dl/apt
bench_apt "$apt" "deb http://deb.debian.org/debian $SUITE main"
opts=("${apt_opts[@]}")
say "fetching $PKG $VERSION from Debian's $SUITE (apt state of the bench's own in $apt)" >&2
apt-get "${opts[@]}" -qq update >&2 || die "apt-get update of $SUITE failed"
record=$(apt-cache "${opts[@]}" show "$PKG=$VERSION" 2>/dev/null) ||
	die "$SUITE has no $PKG $VERSION (apt-cache ${opts[*]} policy $PKG lists what it has)"
want=$(echo "$record" | sed -n 's/^SHA256: //p' | head -1)
[ -n "$want" ] || die "no SHA256 for $PKG $VERSION in $SUITE's Packages index"
rm -f "$dl"/*.deb
(cd "$dl" && apt-get "${opts[@]}" -qq download "$PKG=$VERSION") >&2 ||
	die "apt-get download $PKG=$VERSION failed"
deb=$(ls "$dl"/*.deb)
got=$(sha256sum "$deb" | cut -d' ' -f1)
[ "$got" = "$want" ] || die "$deb: SHA256 $got, but the Packages index of $SUITE says $want"
say "$(basename "$deb"): SHA256 $got matches $SUITE's Packages index; taking out $TARBALL" >&2
rm -rf "$dl/usr"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dl" "./$TARBALL"
[ -f "$out" ] || die "$deb has no $TARBALL"
rm -f "$deb"
echo "$PKG $VERSION $got" > "$stamp"
echo "$out"
