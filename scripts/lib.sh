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

# apt sources and state of the bench's own in DIR, with the one sources
# line LINE, so that another Debian suite is reached without touching the
# machine's apt: sets the array apt_opts to pass to apt-get and apt-cache.
# usage: bench_apt DIR LINE
bench_apt() {
	mkdir -p "$1/lists/partial" "$1/cache/archives/partial" "$1/state"
	echo "$2" > "$1/sources.list"
	apt_opts=(-o Dir::Etc::sourcelist="$1/sources.list" -o Dir::Etc::sourceparts=/dev/null
		  -o Dir::State="$1/state" -o Dir::State::Lists="$1/lists"
		  -o Dir::State::status=/dev/null -o Dir::Cache="$1/cache"
		  -o APT::Sandbox::User=root)
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

# ccache for kernel builds of the tree SRC: sets $cc ("ccache gcc", or gcc
# without ccache) and the environment that lets builds of the same objects hit
# the cache from any clone or worktree laid out as DIR/linux + DIR/obj.
# usage: bench_ccache SRC
bench_ccache() {
	export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(dirname "$1")}
	export CCACHE_NOHASHDIR=1
	# The kernel passes -fmacro-prefix-map=<absolute source path>/=, which
	# only strips that path from __FILE__: the objects are the same wherever
	# the tree is, so do not let the path defeat the cache.
	export CCACHE_IGNOREOPTIONS='-fmacro-prefix-map=*'
	cc="ccache gcc"
	command -v ccache >/dev/null || cc=gcc
}

# The guest kernel's command line, shared by every boot (qemu.sh, shell.sh).
# 512 MiB of real RAM at 2 GiB is reserved (E820) for the two test_hmm
# device-coherent chunks; THP is opt-in (madvise), see the README.  The
# bench kernel has no ACPI: it finds one CPU per socket in QEMU's MP table,
# so every vCPU is a socket of its own (-smp N,sockets=N), and the guest's
# init fails the run if fewer than bench.cpus CPUs came online.  QEMU's
# vCPUs share one TSC, but the kernel's check across sockets calls it
# unsynchronized and falls back to jiffies (4 ms steps): keep the TSC.
# usage: guest_cmdline NCPUS
guest_cmdline() {
	echo "console=ttyS0 panic=-1 printk.devkmsg=on transparent_hugepage=madvise" \
		"memmap=512M\$0x80000000 bench.cpus=$1 tsc=reliable"
}
