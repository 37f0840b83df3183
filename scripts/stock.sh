#!/bin/bash
# Build the pristine base (the tree's tag "base": no patch of the series)
# with the same config, in TREE/../stock/obj from a worktree in
# TREE/../stock/linux, laid out like the main tree so that ccache hits:
# the kernel the series is compared with (7.3: the rxe tests' run on
# stock 7.3, make bench's rxe numbers).  Prints nothing but progress.
# usage: stock.sh TREE FRAGMENT...
set -eu
. "$(dirname "$0")/lib.sh"
tree=$(realpath "$1"); shift
dir=$(dirname "$tree")/stock
git -C "$tree" worktree prune
[ -d "$dir/linux" ] || git -C "$tree" worktree add -q --detach "$dir/linux" base
git -C "$dir/linux" checkout -qf --detach base
build_side "$dir/linux" "$dir/obj" "$@"
