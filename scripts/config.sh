#!/bin/bash
# Make OBJ/.config: tinyconfig plus the fragments given, then prove that every
# option the fragments ask for made it into the final config.  Regenerates
# only when a fragment or the source tree changed, so rebuilds stay
# incremental (kbuild itself re-syncs .config when the tree's Kconfig changes).
# usage: config.sh SRC OBJ FRAGMENT...
set -eu
. "$(dirname "$0")/lib.sh"
src=$(realpath "$1") obj=$2; shift 2
mkdir -p "$obj"; obj=$(realpath "$obj")
frags=()
for f in "$@"; do frags+=("$(realpath "$f")"); done

stamp=$obj/.bench-config
want=$(files_hash "${frags[@]}")-$(echo "$src" | sha1sum | cut -c1-8)
if [ -f "$obj/.config" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
	exit 0
fi
say "configuring $obj: tinyconfig + $(printf "%s " "${frags[@]##*/}")"
make -s -C "$src" O="$obj" tinyconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "${frags[@]}" >/dev/null
make -s -C "$src" O="$obj" olddefconfig >/dev/null

# kunit.py-style check: every requested setting must be in the result.  A
# later fragment overrides an earlier one, as in merge_config.sh.
missing=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*) grep -qxF "$line" "$obj/.config" || {
			warn "$line requested but Kconfig gave: $(grep -E "^(# )?${line%%=*}[= ]" "$obj/.config" || echo 'nothing')"
			missing=1; } ;;
	"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *}
		! grep -q "^$opt=" "$obj/.config" || {
			warn "$line requested but Kconfig gave: $(grep "^$opt=" "$obj/.config")"
			missing=1; } ;;
	esac
done < <(cat "${frags[@]}" | awk '
	/^CONFIG_[A-Za-z0-9_]+=/ { o = $0; sub(/=.*/, "", o) }
	/^# CONFIG_[A-Za-z0-9_]+ is not set$/ { o = $2 }
	o != "" { if (!(o in v)) order[++n] = o; v[o] = $0; o = "" }
	END { for (i = 1; i <= n; i++) print v[order[i]] }')
[ "$missing" = 0 ] || die "kernel config incomplete (dependencies missing?); see $obj/.config"
echo "$want" > "$stamp"
