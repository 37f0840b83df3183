#!/usr/bin/env python3
"""Write the guest's test plan: one line "NAME<TAB>TIMEOUT<TAB>COMMAND" per test.

  plan.py [--filter REGEX] [--timeout S] PROGRAM...

Each PROGRAM is a kselftest-harness binary built for the guest; it is run
here on the host with -l only to list its tests (listing opens no device),
and every test becomes its own line, run in the guest as
"/bench/bin/PROGRAM -r FIXTURE.VARIANT.TEST".  One process per test lets the
guest mark each test's start and end in the kernel log, so a splat is
charged to the test that caused it, and a test that never reports is seen.
"""
import argparse
import os
import re
import subprocess
import sys


def harness_tests(prog):
    # the harness exits KSFT_SKIP (4) after listing
    out = subprocess.run([prog, "-l"], capture_output=True, text=True)
    if out.returncode not in (0, 4):
        sys.exit(f"plan.py: {prog} -l failed ({out.returncode})")
    names = []
    blocks, cur = [], []
    for line in (out.stderr + out.stdout).splitlines():
        if line.startswith("# FIXTURE"):
            continue
        if line.startswith("-----"):
            blocks.append(cur)
            cur = []
            continue
        cur.append(line)
    blocks.append(cur)
    ident = re.compile(r"[A-Za-z0-9_]*$")
    for block in blocks:
        fixture, variants, tests = None, [], []
        for line in block:
            # test_harness_list_tests() prints "%-20s %-25s %s"; other
            # lines (a program's own messages: "hugetlb page size: ...")
            # are not tests
            f, v, t = line[0:20].strip(), line[21:46].strip(), line[47:].strip()
            if not all(ident.match(x) for x in (f, v, t)) or line[20:21].strip() \
                    or line[46:47].strip():
                # a name longer than its column shifts the others: say so
                # rather than leave the test out of the plan
                if re.fullmatch(r"\s*\w+(\s+\w+){0,2}\s*", line):
                    sys.exit(f"plan.py: {prog} -l: cannot parse '{line}' "
                             "(a fixture name over 20 or a variant over 25 characters?)")
                continue
            fixture = fixture or f
            if v:
                variants.append(v)
            if t:
                tests.append(t)
        for v in variants or [""]:
            for t in tests:
                names.append(".".join(x for x in (fixture, v, t) if x))
    return names


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--filter", default="")
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("programs", nargs="+")
    args = ap.parse_args()
    pat = re.compile(args.filter)
    n = 0
    for prog in args.programs:
        if prog.endswith(".log") or not os.access(prog, os.X_OK):
            continue
        base = os.path.basename(prog)
        for name in harness_tests(prog):
            full = f"{base}:{name}"
            if pat.search(full):
                print(f"{full}\t{args.timeout}\t/bench/bin/{base} -r {name}")
                n += 1
    if n == 0:
        sys.exit(f"plan.py: no test matches '{args.filter}'")


if __name__ == "__main__":
    main()
