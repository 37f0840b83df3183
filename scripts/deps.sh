#!/bin/bash
# Install the Debian packages the bench needs, if any is missing.
# usage: deps.sh [EXTRA-PACKAGE...]
set -eu
. "$(dirname "$0")/lib.sh"
pkgs="make gcc libc6-dev git python3 perl flex bison bc libelf-dev libssl-dev cpio kmod
	rsync xz-utils ccache busybox-static qemu-system-x86 linux-source-6.12 gnuplot-nox sparse python3-docutils
	libibverbs-dev ibverbs-providers perftest iproute2 $*"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
[ "$(id -u)" = 0 ] || die "missing packages:$missing (run as root, or install them)"
say "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing > /tmp/bench-apt.log 2>&1 ||
	{ tail -20 /tmp/bench-apt.log >&2; die "apt-get install failed (see /tmp/bench-apt.log)"; }
