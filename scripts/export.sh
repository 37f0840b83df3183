#!/bin/bash
# Write the tree's commits since "base" to PATCHDIR as a git format-patch
# series with a cover letter.  The cover letter's subject and text come from
# the branch description (tree.sh loads it from the existing cover letter;
# edit it with "git -C TREE branch --edit-description").
# usage: export.sh TREE PATCHDIR
set -eu
. "$(dirname "$0")/lib.sh"
tree=$1 patchdir=$2
[ -z "$(git -C "$tree" status --porcelain --untracked-files=no)" ] ||
	die "$tree has uncommitted changes; commit them first"
n=$(git -C "$tree" rev-list --count base..HEAD)
mkdir -p "$patchdir"
rm -f "$patchdir"/*.patch
if [ "$n" = 0 ]; then
	say "no commits on top of base: $patchdir is now empty"
else
	git -C "$tree" config branch.main.description >/dev/null ||
		git -C "$tree" config branch.main.description "*** SUBJECT HERE ***

*** BLURB HERE ***"
	git -C "$tree" format-patch -q --cover-letter --cover-from-description=subject \
		--base=base --no-signature -o "$(realpath "$patchdir")" base..HEAD
	say "exported $n patch(es) and a cover letter to $patchdir"
fi
# The tree now matches patches/: record it so tree.sh does not re-apply.
echo "$(files_hash $(series_patches "$patchdir") /dev/null) $(git -C "$tree" rev-parse HEAD)" \
	> "$tree/.git/bench-applied"
