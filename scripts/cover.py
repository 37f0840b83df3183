#!/usr/bin/env python3
"""Cover letter <-> branch description, so the cover text survives export.

  cover.py get COVER   print "subject\n\nblurb" of a format-patch cover letter
"""
import re
import sys


def get(path):
    text = open(path, encoding="utf-8").read()
    head, _, body = text.partition("\n\n")
    subj = ""
    lines = head.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Subject:"):
            subj = line[len("Subject:"):].strip()
            # folded header continuation lines
            for cont in lines[i + 1:]:
                if not cont.startswith((" ", "\t")):
                    break
                subj += " " + cont.strip()
    subj = re.sub(r"^\[[^]]*\]\s*", "", subj)
    # The blurb ends where git's shortlog ("Name (N):") starts.
    out = []
    for line in body.splitlines():
        if re.match(r"^\S.* \(\d+\):$", line):
            break
        out.append(line)
    print(subj + "\n\n" + "\n".join(out).strip())


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "get":
        sys.exit(__doc__)
    get(sys.argv[2])
