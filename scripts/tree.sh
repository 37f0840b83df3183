#!/bin/bash
# Make the kernel tree: a base's source tarball as a git repository whose
# first commit (tag "base") is the pristine source, with patches/ applied by
# git am.  Re-applies the series when patches/ changed, but never throws away
# commits made in the tree that were not exported (see "make export").
# usage: tree.sh TARBALL TREE PATCHDIR
set -eu
. "$(dirname "$0")/lib.sh"
tarball=$1 tree=$2 patchdir=$3
bench_git_identity

want=$(files_hash $(series_patches "$patchdir") /dev/null)
stamp=$tree/.git/bench-applied        # "<patches hash> <HEAD after apply>"

import_base() {
	[ -f "$tarball" ] || die "$tarball missing (scripts/fetch-base.sh finds or fetches it)"
	say "unpacking $(basename "$tarball") into $tree (once; about a minute)"
	rm -rf "$tree.tmp"; mkdir -p "$tree.tmp"
	tar -xJf "$tarball" -C "$tree.tmp" --strip-components=1
	cd "$tree.tmp"
	git init -q -b main
	git config core.autocrlf false
	git config gc.auto 0
	# Debian appends "ignore everything at the top level" to .gitignore,
	# which would hide every new file from git status; drop that block.
	sed -i '/^# Debian packaging: ignore everything/,$d' .gitignore
	sed -i '${/^#$/d}' .gitignore
	say "committing the pristine base"
	git add -A -f
	# A fixed date makes the base commit id the same on every machine.
	GIT_AUTHOR_DATE='2000-01-01T00:00:00Z' GIT_COMMITTER_DATE='2000-01-01T00:00:00Z' \
		git commit -q -m "Linux $(make -s kernelversion) from $(basename "$tarball")"
	git tag base
	cd - >/dev/null
	mv "$tree.tmp" "$tree"
}

apply_series() {
	git -C "$tree" am --abort >/dev/null 2>&1 || true
	git -C "$tree" reset -q --hard base
	git -C "$tree" clean -qfdx
	local n=0 n3=0 p
	for p in $(series_patches "$patchdir"); do
		# A newer stable release may need a three-way merge: say so if it did.
		if ! git -C "$tree" am -q --committer-date-is-author-date "$(realpath "$p")" 2>/dev/null; then
			git -C "$tree" am --abort
			git -C "$tree" am -q -3 --committer-date-is-author-date "$(realpath "$p")" ||
				die "patch $(basename "$p") does not apply, not even with git am -3; see 'git -C $tree am --show-current-patch'"
			warn "patch $(basename "$p") needed git am -3"
			n3=$((n3 + 1))
		fi
		n=$((n + 1))
	done
	# Keep the cover letter's text as the branch description, so that
	# "make export" regenerates it with the same subject and blurb.
	if [ -f "$patchdir/0000-cover-letter.patch" ]; then
		python3 "$(dirname "$0")/cover.py" get "$patchdir/0000-cover-letter.patch" |
			git -C "$tree" config branch.main.description "$(cat)"
	fi
	echo "$want $(git -C "$tree" rev-parse HEAD)" > "$stamp"
	say "applied $n patch(es) from $patchdir ($n3 with git am -3) on base $(git -C "$tree" rev-parse --short base): $(git -C "$tree" log -1 --format=%s base)"
	# The cover letter's "Base: Linux X.Y.Z" is what the series was written on.
	local wrote=
	[ ! -f "$patchdir/0000-cover-letter.patch" ] ||
		wrote=$(sed -n 's/^Base: \(Linux [0-9.]*\).*/\1/p' "$patchdir/0000-cover-letter.patch")
	[ -z "$wrote" ] || case "$(git -C "$tree" log -1 --format=%s base)" in
		"$wrote "*) ;;
		*) warn "the series was written against $wrote; this base is different" ;;
	esac
}

[ -d "$tree/.git" ] || import_base
if [ ! -f "$stamp" ]; then
	apply_series
	exit 0
fi
read -r had head < "$stamp"
now=$(git -C "$tree" rev-parse HEAD)
if [ "$had" = "$want" ]; then
	[ "$now" = "$head" ] || say "note: $tree has commits not in patches/ (building them; 'make export' saves them)"
	exit 0
fi
if [ "$now" != "$head" ]; then
	die "patches/ changed AND $tree has new commits; export them ('make export') or drop them ('make reset-tree')"
fi
[ -z "$(git -C "$tree" status --porcelain --untracked-files=no)" ] ||
	die "patches/ changed but $tree has uncommitted edits; commit and export, or 'make reset-tree'"
say "patches/ changed: re-applying the series"
apply_series
