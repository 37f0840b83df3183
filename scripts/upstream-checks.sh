#!/bin/bash
# Checks a maintainer runs before reading a series, one PASS/FAIL line each:
# checkpatch --strict on every patch, kernel-doc -Wall on every changed C
# file (nothing new against the base), the form of the series (Signed-off-by
# on every patch, a cover letter with a diffstat, a base-commit line),
# Documentation/mm/hmm.rst through docutils (nothing new against the base),
# and its caller examples built as a module against the tree built in OBJ.
# Writes "PASSED FAILED 0" to RUNDIR/counts.
# usage: upstream-checks.sh TREE PATCHDIR RUNDIR OBJ
set -u
. "$(dirname "$0")/lib.sh"
tree=$(realpath "$1") patchdir=$(realpath "$2") rundir=$(realpath -m "$3") obj=$(realpath "$4")
mkdir -p "$rundir"
pass=0 fail=0
gate() { # NAME LOGFILE STATUS: passed if STATUS is 0 and LOGFILE is empty
	if [ "$3" = 0 ] && [ ! -s "$2" ]; then pass=$((pass + 1)); echo "    PASS $1"
	else fail=$((fail + 1)); echo "    FAIL $1 (see $2)"; sed 's/^/      /' "$2" | head -20; fi
}
series=$(series_patches "$patchdir")
[ -n "$series" ] || die "no patches in $patchdir"

for p in $series; do
	(cd "$tree" && ./scripts/checkpatch.pl --strict -q "$p") > "$rundir/checkpatch.log" 2>&1
	gate "checkpatch --strict $(basename "$p")" "$rundir/checkpatch.log" $?
done

# kernel-doc: no warning the base's copy of the same file does not have
# (a driver file may come with old ones, in functions the series leaves alone)
files=$(git -C "$tree" diff --name-only base..HEAD -- '*.c' '*.h')
kb=$rundir/kernel-doc-base
rm -rf "$kb"
for f in $files; do
	git -C "$tree" cat-file -e "base:$f" 2>/dev/null || continue
	mkdir -p "$kb/$(dirname "$f")"
	git -C "$tree" show "base:$f" > "$kb/$f"
done
(cd "$tree" && ./scripts/kernel-doc -none -Wall $files) > "$rundir/kernel-doc.log" 2>&1
st=$?
(cd "$kb" && "$tree/scripts/kernel-doc" -none -Wall $(find . -type f)) \
	> "$rundir/kernel-doc-base.log" 2>&1
# 6.12's kernel-doc prints "FILE:LINE: warning: ...", 7.3's (Python)
# "Warning: FILE:LINE ...": compare without line numbers and "./"
kdoc_norm() { sed -E 's#(^|[ :])\./#\1#g; s/:[0-9]+(: | )/: /' "$1" | sort -u; }
comm -23 <(kdoc_norm "$rundir/kernel-doc.log") <(kdoc_norm "$rundir/kernel-doc-base.log") \
	> "$rundir/kernel-doc.new"
[ "$st" = 0 ] || grep -q . "$rundir/kernel-doc.new" || st=0	# its status counts warnings
gate "kernel-doc -Wall on $(echo $files | wc -w) changed C files: nothing new against the base ($(kdoc_norm "$rundir/kernel-doc-base.log" | grep -ci "warning") old)" \
	"$rundir/kernel-doc.new" $st

: > "$rundir/form.log"
for p in $series; do
	grep -q '^Signed-off-by: ' "$p" || echo "$(basename "$p"): no Signed-off-by" >> "$rundir/form.log"
	grep -qE '^Subject: \[PATCH [0-9]+/[0-9]+\] [a-zA-Z/_.-]+: ' "$p" ||
		echo "$(basename "$p"): subject has no subsystem prefix" >> "$rundir/form.log"
done
cover=$patchdir/0000-cover-letter.patch
grep -q 'files\? changed' "$cover" 2>/dev/null || echo "cover letter: no diffstat" >> "$rundir/form.log"
grep -q '^base-commit: ' "$cover" 2>/dev/null || echo "cover letter: no base-commit" >> "$rundir/form.log"
grep -q 'SUBJECT HERE\|BLURB HERE' "$cover" 2>/dev/null && echo "cover letter: template text" >> "$rundir/form.log"
gate "series form: $(echo "$series" | wc -l) patches with Signed-off-by and subsystem prefix, cover letter" "$rundir/form.log" 0

rst=Documentation/mm/hmm.rst
git -C "$tree" show "base:$rst" > "$rundir/hmm-base.rst"
"$(dirname "$0")/doc-check.py" rst "$tree/$rst" "$rundir/hmm-base.rst" > "$rundir/rst.log" 2>&1
gate "docutils on $rst: nothing new against the base" "$rundir/rst.log" $?

ex=$rundir/doc-example
rm -rf "$ex"; mkdir -p "$ex"
if n=$("$(dirname "$0")/doc-check.py" example "$tree/$rst" "$ex" 2> "$rundir/example.log"); then
	echo "obj-m := example.o" > "$ex/Kbuild"
	make -s -C "$tree" O="$obj" M="$ex" W=1 modules > "$ex/build.log" 2>&1
	st=$?
	grep -iE 'warning|error' "$ex/build.log" >> "$rundir/example.log"
	gate "the ${n:-0} caller examples in $rst build as a module (W=1)" "$rundir/example.log" $st
elif ! "$(dirname "$0")/doc-check.py" example "$rundir/hmm-base.rst" "$ex" > /dev/null 2>&1; then
	# mainline's examples are pseudo-code ("..."), and the series adds none
	: > "$rundir/example.log"
	gate "no compilable caller example in $rst, none in the base's either" "$rundir/example.log" 0
else
	gate "the caller examples in $rst build as a module (W=1)" "$rundir/example.log" 1
fi

echo "$pass $fail 0" > "$rundir/counts"
[ "$fail" = 0 ]
