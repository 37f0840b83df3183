#!/bin/bash
# The compiler gates a maintainer's build bots run, one PASS/FAIL line each:
# the config matrix (config/matrix/*.config on top of the bench config, where
# bases/BASE/matrix/ has a file of the same name, that one instead): the
# objects the series changes, and the in-tree callers of the base's HMM fault
# API (CALLERS in bases/BASE/base.conf), where the config has them, build
# with W=1 with no error and no warning
# that the pristine base's build of the same objects in the same config does
# not have (a warning is new when its file and text, line numbers aside, are
# not in the base's output); in "callers", which has them all, sparse (C=2)
# runs on them too (scripts/sparse.sh finds or builds a sparse the tree
# accepts).
# Only what each gate needs is built: "make prepare" and single objects, in
# build/gates/, with ccache.
# usage: compile-checks.sh TREE RUNDIR FRAGMENT...
# env:   BASE (6.12 by default)
#        MATRIX="callers no-thp" limits the matrix to those configs; unset,
#        every config/matrix/*.config runs (make check, make gates)
# Writes "PASSED FAILED SKIPPED" to RUNDIR/counts.
set -eu
. "$(dirname "$0")/lib.sh"
tree=$(realpath "$1") rundir=$(realpath -m "$2"); shift 2
top=$(realpath "$(dirname "$0")/..")
frags=("$@")
mkdir -p "$rundir"
bench_ccache "$tree"

# The callers of the base's HMM fault API, built where a config enables them.
CALLERS=
. "$top/bases/${BASE:-6.12}/base.conf"
callers=$CALLERS
[ -n "$callers" ] || die "bases/${BASE:-6.12}/base.conf lists no CALLERS"
changed=$(git -C "$tree" diff --name-only base HEAD -- '*.c' | grep -v '^tools/' | sed 's/\.c$/.o/')

# The base, checked out next to the tree (the same layout: ccache hits).
gates=$(dirname "$tree")/gates
# tools the bench builds itself (scripts/sparse.sh), shared by the bases
tools=$(cd "$top" && realpath -m "${BUILD:-build}")/tools
git -C "$tree" worktree prune
[ -d "$gates/base" ] || git -C "$tree" worktree add -q --detach "$gates/base" base

enabled() { # OBJ OBJECT... : the objects that OBJ's config builds
	local obj=$1 o sym
	shift
	for o in "$@"; do
		sym=$(sed -n "s/^obj-\$(\(CONFIG_[A-Z0-9_]*\)).*\b$(basename "$o")\b.*/\1/p" \
			"$tree/$(dirname "$o")/Makefile" 2>/dev/null | head -1)
		case $o in	# the drivers' objects are listed by module
		*nouveau*) sym=CONFIG_DRM_NOUVEAU_SVM ;;
		*amdgpu_hmm*) sym=CONFIG_HSA_AMD ;;
		*xe_hmm*) sym=CONFIG_DRM_XE ;;
		*umem_odp*|*mlx5/odp*|*rxe/rxe_odp*) sym=CONFIG_INFINIBAND_ON_DEMAND_PAGING ;;
		*infiniband/sw/rxe/*) sym=CONFIG_RDMA_RXE ;;
		*mshv_regions*) sym=CONFIG_MSHV_ROOT ;;
		*amdxdna/*) sym=CONFIG_DRM_ACCEL_AMDXDNA ;;
		*drm_gpusvm*) sym=CONFIG_DRM_GPUSVM ;;
		esac
		grep -qE "^$sym=(y|m)" "$obj/.config" && echo "$o"
	done
	return 0
}

side_src() { [ "$1" = base ] && echo "$gates/base" || echo "$tree"; }

build() { # SIDE CONFIG MAKE-ARGS... : warnings of building $objs, normalized
	local side=$1 cfg=$2 obj o
	shift 2
	obj=$gates/$cfg-$side
	# Compile afresh (an up-to-date object prints no warning); only the
	# sparse pass, which follows a W=1 build, reuses the objects.
	[[ " $* " == *" C=2 "* ]] || for o in $objs; do rm -f "$obj/$o"; done
	make -s -C "$(side_src "$side")" O="$obj" CC="$cc" HOSTCC="$cc" "$@" $objs > "$rundir/$cfg.$side.log" 2>&1 ||
		echo "error: the build failed (see $rundir/$cfg.$side.log)"
	# A warning is its file, its function (gcc's "In function" line before
	# it) and its text; line numbers and, for -Wframe-larger-than, the size
	# are left out, so that a function whose frame was already too large in
	# the base does not count as new when its size moves.
	awk '/: In function /{fn=$0; sub(/^.*In function [^a-zA-Z_]*/,"",fn);
			     sub(/[^a-zA-Z0-9_]*:?$/,"",fn);
			     ff=$0; sub(/: In function .*/,"",ff); next}
	     /: At top level:/{fn=""; next}
	     /(warning|error):/{f=$0; sub(/:.*/,"",f);
				print $0 (fn != "" && f == ff ? " [in " fn "]" : "")}' \
		"$rundir/$cfg.$side.log" |
		sed -E 's#^(\.\./)*[^ ]*/(linux|base)/##; s#^([^:]+):[0-9]+:([0-9]+:)? #\1: #
			s#the frame size of [0-9]+ bytes#the frame size of N bytes#' |
		sort -u
}

prepare_side() { # SIDE CONFIG FRAGMENT...
	local side=$1 cfg=$2 src
	shift 2
	src=$(side_src "$side")
	"$top/scripts/config.sh" "$src" "$gates/$cfg-$side" "$@" > /dev/null &&
	make -s -C "$src" O="$gates/$cfg-$side" CC="$cc" HOSTCC="$cc" prepare \
		> "$rundir/$cfg.$side.prepare.log" 2>&1
}

prepare() { # CONFIG FRAGMENT... : configure and prepare both sides, at once
	local cfg=$1 side
	shift
	prepare_side series "$cfg" "$@" & local s=$!
	prepare_side base "$cfg" "$@" & local b=$!
	for side in series:$s base:$b; do
		wait "${side#*:}" || die "configuring $cfg (${side%:*}) failed;" \
			"see $rundir/$cfg.${side%:*}.prepare.log"
	done
}

pass=0 fail=0 skip=0
gate() { # NAME SERIES-FILE BASE-FILE
	local new
	new=$(comm -23 "$2" "$3")
	if [ -z "$new" ]; then
		pass=$((pass + 1))
		echo "    PASS $1 ($(wc -l < "$3") warnings in the base too)"
	else
		fail=$((fail + 1))
		echo "    FAIL $1: new:"
		echo "$new" | sed 's/^/      /'
	fi
}

# the config matrix; "callers" (the bench config plus every caller) is the
# one where sparse runs too
for f in "$top"/config/matrix/*.config; do
	cfg=$(basename "$f" .config)
	[ ! -f "$top/bases/${BASE:-6.12}/matrix/$cfg.config" ] ||
		f=$top/bases/${BASE:-6.12}/matrix/$cfg.config
	[ -z "${MATRIX:-}" ] || [[ " $MATRIX " == *" $cfg "* ]] || continue
	prepare "$cfg" "${frags[@]}" "$f"
	objs=$(enabled "$gates/$cfg-series" $changed $callers | sort -u)
	if [ -z "$objs" ]; then
		pass=$((pass + 1))
		echo "    PASS $cfg: nothing of the series or its callers is built (Kconfig leaves it out)"
		continue
	fi
	build series "$cfg" W=1 > "$rundir/$cfg.series" &
	build base "$cfg" W=1 > "$rundir/$cfg.base"
	wait $!
	gate "W=1, $cfg: $(echo $objs | wc -w) objects ($(echo $objs | sed 's#[^ ]*/##g'))" \
		"$rundir/$cfg.series" "$rundir/$cfg.base"
	[ "$cfg" = callers ] || continue
	# a sparse the tree accepts (7.3's wants a newer one than Debian 12's)
	if ! sparse=$("$top/scripts/sparse.sh" "$tree" "$tools/sparse" 2> "$rundir/sparse.log"); then
		skip=$((skip + 1))
		echo "    SKIP sparse (C=2), $cfg: no sparse this tree accepts: $(tail -1 "$rundir/sparse.log")"
		continue
	fi
	for side in series base; do
		build $side "$cfg" W=1 C=2 CHECK="$sparse" | grep -v '\[-W' > "$rundir/$cfg.sparse.$side" || true &
	done
	wait
	# kbuild skips sparse, saying so, when the tree does not accept it:
	# that is no pass.
	if grep -q 'not available or not up to date' "$rundir/$cfg.series.log"; then
		fail=$((fail + 1))
		echo "    FAIL sparse (C=2), $cfg: kbuild did not run $sparse (see $rundir/$cfg.series.log)"
		continue
	fi
	gate "sparse (C=2), $cfg: the same objects" "$rundir/$cfg.sparse.series" \
		"$rundir/$cfg.sparse.base"
done
echo "$pass $fail $skip" > "$rundir/counts"
[ "$fail" = 0 ]
