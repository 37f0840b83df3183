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
