#!/usr/bin/env python3
"""Turn hmm-bench output into the benchmark report.

  bench-report.py --check RESULTS.LOG
      the test command's smoke check: every method at every size reported,
      fields well formed (no timing is judged)
  bench-report.py OUTDIR MAIN.LOG BASE-REFACTOR.LOG PATCHED-REFACTOR.LOG [NOVERIFY.LOG]
      writes OUTDIR/results.md, OUTDIR/bench.dat and OUTDIR/bench.png
      (gnuplot), and prints results.md; NOVERIFY.LOG is hmm_resume on a
      kernel whose helper skips its verification walk, for its cost
"""
import re
import subprocess
import sys

METHODS = ["cpu_touch", "process_vm_readv", "hmm_resume", "hmm_restart"]
RESULT = re.compile(r"^RESULT (.*)$")


def parse(path):
    rows, notes = [], []
    for line in open(path, errors="replace"):
        line = line.rstrip("\r\n")
        m = RESULT.match(line)
        if m:
            kv = dict(f.split("=", 1) for f in m.group(1).split())
            for k in ("mib", "pages", "faults", "walks"):
                kv[k] = int(kv[k])
            for k in ("ns_per_page", "total_ms"):
                kv[k] = float(kv[k])
            rows.append(kv)
        elif line.startswith("NOTE "):
            notes.append(line[5:])
    return rows, notes


def check(path):
    rows, _ = parse(path)
    sizes = sorted({r["mib"] for r in rows})
    bad = []
    if not sizes:
        bad.append("no RESULT line")
    for s in sizes:
        for m in METHODS:
            r = [x for x in rows if x["mib"] == s and x["method"] == m]
            if len(r) != 1:
                bad.append(f"{m} at {s} MiB: {len(r)} results")
            elif r[0]["faults"] != r[0]["pages"] or r[0]["ns_per_page"] <= 0:
                bad.append(f"{m} at {s} MiB: {r[0]}")
            elif m == "hmm_restart" and r[0]["walks"] != r[0]["pages"] + 1:
                bad.append(f"hmm_restart at {s} MiB walked {r[0]['walks']} times")
            elif m == "hmm_resume" and r[0]["walks"] != 1:
                bad.append(f"hmm_resume at {s} MiB walked {r[0]['walks']} times")
    for b in bad:
        print(f"  FAIL bench output: {b}")
    print(f"  bench output: {len(rows)} results at {sizes} MiB, "
          f"{'well formed' if not bad else 'MALFORMED'}")
    return 1 if bad else 0


def report(outdir, main_log, base_log, patched_log, noverify_log=None):
    rows, notes = parse(main_log)
    get = {(r["method"], r["mib"]): r for r in rows}
    sizes = sorted({r["mib"] for r in rows})
    out = ["| size | pages | " + " | ".join(f"{m} ns/page" for m in METHODS) +
           " | resume / process_vm_readv | resume / cpu_touch |",
           "|---" * (len(METHODS) + 4) + "|"]
    for s in sizes:
        cells = []
        for m in METHODS:
            r = get.get((m, s))
            cells.append(f"{r['ns_per_page']:,.0f}" if r else "skipped")
        res, pvr, cpu = (get.get((m, s)) for m in ("hmm_resume", "process_vm_readv", "cpu_touch"))
        ratio = lambda a, b: f"{a['ns_per_page'] / b['ns_per_page']:.3f}" if a and b else "-"
        out.append(f"| {s} MiB | {s * 256:,} | " + " | ".join(cells) +
                   f" | {ratio(res, pvr)} | {ratio(res, cpu)} |")
    lines = ["## Fault path on userfaultfd memory (one UFFDIO_COPY per page)", ""] + out + [""]
    res = [get[("hmm_resume", s)] for s in sizes if ("hmm_resume", s) in get]
    if len(res) >= 2:
        lines.append(f"- Resume at {res[-1]['mib']} MiB vs {res[0]['mib']} MiB: "
                     f"{res[-1]['ns_per_page'] / res[0]['ns_per_page']:.3f}x ns/page (flat is 1.000).")
    for s in sizes:
        rs, rr = get.get(("hmm_restart", s)), get.get(("hmm_resume", s))
        if rs and rr:
            lines.append(f"- Restart-from-start at {s} MiB: {rs['ns_per_page'] / rr['ns_per_page']:.2f}x "
                         f"resume ({rs['walks']:,} walks from the start of the range).")
    pts = [(s, get[("hmm_restart", s)]["ns_per_page"] / get[("hmm_resume", s)]["ns_per_page"])
           for s in sizes if ("hmm_restart", s) in get and ("hmm_resume", s) in get]
    for (s0, r0), (s1, r1) in zip(pts, pts[1:]):
        if r0 < 2 <= r1:
            # the excess cost of restarting grows linearly with the size
            x = s0 + (2 - r0) * (s1 - s0) / (r1 - r0)
            lines.append(f"- Restart-from-start becomes 2x slower than resume at about {x:.1f} MiB "
                         f"({x * 256:,.0f} pages; interpolated between {s0} and {s1} MiB).")
    lines += [f"- {n}" for n in notes if not n.startswith("method")]
    if noverify_log:
        nv = {r["mib"]: r for r in parse(noverify_log)[0] if r["method"] == "hmm_resume"}
        lines += ["", "## What the verification walk costs: hmm_resume with and without it", "",
                  "| size | with (ns/page) | without (ns/page) | with / without |",
                  "|---|---|---|---|"]
        for s in sizes:
            r, o = get.get(("hmm_resume", s)), nv.get(s)
            if r and o:
                lines.append(f"| {s} MiB | {r['ns_per_page']:,.0f} | {o['ns_per_page']:,.0f} | "
                             f"{r['ns_per_page'] / o['ns_per_page']:.4f} |")
    if base_log and patched_log:
        b, _ = parse(base_log)
        p, _ = parse(patched_log)
        bget = {r["method"]: r for r in b}
        lines += ["", "## Refactor overhead: stock ioctls, pristine vs patched kernel", "",
                  "| case | size | pristine ns/page | patched ns/page | patched / pristine |",
                  "|---|---|---|---|---|"]
        for r in p:
            o = bget.get(r["method"])
            if o:
                lines.append(f"| {r['method']} | {r['mib']} MiB | {o['ns_per_page']:,.1f} | "
                             f"{r['ns_per_page']:,.1f} | {r['ns_per_page'] / o['ns_per_page']:.4f} |")
    text = "\n".join(lines) + "\n"
    open(f"{outdir}/results.md", "w").write(text)
    with open(f"{outdir}/bench.dat", "w") as f:
        f.write("mib " + " ".join(METHODS) + "\n")
        for s in sizes:
            vals = [str(get[(m, s)]["ns_per_page"]) if (m, s) in get else "NaN" for m in METHODS]
            f.write(f"{s} {' '.join(vals)}\n")
    plot = f"""set terminal pngcairo size 900,560 noenhanced
set output '{outdir}/bench.png'
set title 'Faulting userfaultfd memory: cost per page (guest instructions, qemu -icount)'
set logscale xy
set xlabel 'range size (MiB)'
set ylabel 'ns per page (= instructions)'
set key top left
set grid
plot for [i=2:{len(METHODS) + 1}] '{outdir}/bench.dat' using 1:i with linespoints title columnhead(i)
"""
    try:
        subprocess.run(["gnuplot"], input=plot, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"gnuplot failed: {e}", file=sys.stderr)
        return 1
    print(text)
    print(f"plot: {outdir}/bench.png")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        sys.exit(check(sys.argv[2]))
    if len(sys.argv) in (3, 5, 6):
        sys.exit(report(*sys.argv[1:], *([None, None] if len(sys.argv) == 3 else [])))
    sys.exit(__doc__)
