# Shared helpers for the bench scripts (sourced, not run).
say()  { printf '==> %s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die()  { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# Identity for commits the bench makes itself (base import, git am) when the
# machine has none configured.  Patch authorship always comes from the patch.
bench_git_identity() {
	if ! git config user.name >/dev/null 2>&1; then
		export GIT_AUTHOR_NAME=hmm-bench GIT_COMMITTER_NAME=hmm-bench
		export GIT_AUTHOR_EMAIL=hmm-bench@localhost GIT_COMMITTER_EMAIL=hmm-bench@localhost
	fi
}

# Hash of every file given (order-independent of the environment).
files_hash() { cat "$@" 2>/dev/null | sha1sum | cut -c1-16; }

# The patches of the series in DIR, cover letter excluded, in order.
series_patches() { ls "$1"/*.patch 2>/dev/null | grep -v '/0000-cover-letter.patch$' || true; }

# Build a side tree (a bisect step, the pristine base) in OBJ: config from the
# fragments, kernel, and only the tree's own guest tests.
# usage: build_side SRC OBJ FRAGMENT...
build_side() {
	local src=$1 obj=$2 lib
	lib=$(dirname "${BASH_SOURCE[0]}")
	shift 2
	"$lib/config.sh" "$src" "$obj" "$@" &&
	"$lib/build.sh" "$src" "$obj" &&
	TREE_ONLY=1 "$lib/progs.sh" "$src" "$obj" "$obj/progs"
}
