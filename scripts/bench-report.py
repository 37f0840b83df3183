#!/usr/bin/env python3
"""Turn hmm-bench output into the benchmark report.

  bench-report.py --check RESULTS.LOG
      the test command's smoke check: every method at every size reported,
      fields well formed (no timing is judged)
  bench-report.py OUTDIR MAIN.LOG BASE-REFACTOR.LOG PATCHED-REFACTOR.LOG [NOVERIFY.LOG]
      writes OUTDIR/results.md, OUTDIR/bench.dat and OUTDIR/bench.png
      (gnuplot), and prints results.md; NOVERIFY.LOG is hmm_resume on a
      kernel whose helper skips its verification walk, for its cost
  bench-report.py --mainline OUTDIR SERIES.LOG STOCK.LOG STOCK-REFACTOR.LOG
                  SERIES-REFACTOR.LOG [NOVERIFY.LOG [RXE-SERIES.LOG RXE-STOCK.LOG]]
      the same for a base whose mainline has the helper (7.3): hmm_resume
      on mainline's mm/hmm.c (STOCK.LOG) against the series (SERIES.LOG);
      with the rxe logs (hmm-rxe --bench on the series and on stock 7.3),
      a table of rxe's ODP prefetch, and its two lines on the plot
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


def ratio(a, b):
    """a's ns/page over b's, for a table cell ("-" if either is missing)."""
    return f"{a['ns_per_page'] / b['ns_per_page']:.3f}" if a and b else "-"


def flat_note(label, rows):
    """The largest size's ns/page over the smallest's, as a note line (or none)."""
    if len(rows) < 2:
        return []
    return [f"- {label} at {rows[-1]['mib']} MiB vs {rows[0]['mib']} MiB: "
            f"{rows[-1]['ns_per_page'] / rows[0]['ns_per_page']:.3f}x ns/page (flat is 1.000)."]


def check(path):
    rows, notes = parse(path)
    sizes = sorted({r["mib"] for r in rows})
    # the methods this build of hmm-bench has (hmm_restart is 6.12's only)
    methods = next((n.split()[1:] for n in notes if n.startswith("methods:")), METHODS)
    bad = []
    if not sizes:
        bad.append("no RESULT line")
    for s in sizes:
        for m in methods:
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


def plot(outdir, title, columns):
    script = f"""set terminal pngcairo size 900,560 noenhanced
set output '{outdir}/bench.png'
set title '{title}'
set logscale xy
set xlabel 'range size (MiB)'
set ylabel 'ns per page (= instructions)'
set key top left
set grid
plot for [i=2:{columns + 1}] '{outdir}/bench.dat' using 1:i with linespoints title columnhead(i)
"""
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"gnuplot failed: {e}", file=sys.stderr)
        return 1
    return 0


def refactor_table(base_log, patched_log, base_name):
    b, _ = parse(base_log)
    p, _ = parse(patched_log)
    bget = {r["method"]: r for r in b}
    lines = ["", f"## Refactor overhead: stock ioctls, {base_name} vs patched kernel", "",
             f"| case | size | {base_name} ns/page | patched ns/page | patched / {base_name} |",
             "|---|---|---|---|---|"]
    for r in p:
        o = bget.get(r["method"])
        if o:
            lines.append(f"| {r['method']} | {r['mib']} MiB | {o['ns_per_page']:,.1f} | "
                         f"{r['ns_per_page']:,.1f} | {r['ns_per_page'] / o['ns_per_page']:.4f} |")
    return lines


def noverify_table(get, sizes, noverify_log):
    nv = {r["mib"]: r for r in parse(noverify_log)[0] if r["method"] == "hmm_resume"}
    lines = ["", "## What the verification walk costs: hmm_resume with and without it", "",
             "| size | with (ns/page) | without (ns/page) | with / without |",
             "|---|---|---|---|"]
    for s in sizes:
        r, o = get.get(("hmm_resume", s)), nv.get(s)
        if r and o:
            lines.append(f"| {s} MiB | {r['ns_per_page']:,.0f} | {o['ns_per_page']:,.0f} | "
                         f"{r['ns_per_page'] / o['ns_per_page']:.4f} |")
    return lines


def rxe_table(get, rxe_series, rxe_stock):
    """rxe's ODP prefetch over userfaultfd memory, stock 7.3 against the series."""
    rows, notes = parse(rxe_series)
    srows, snotes = parse(rxe_stock)
    for r in rows:
        get[("rxe_" + r["method"], r["mib"])] = r
    for r in srows:
        if r["method"] == "rxe_prefetch":
            get[("rxe_stock_prefetch", r["mib"])] = r
    sizes = sorted({r["mib"] for r in rows + srows})
    cell = lambda r: f"{r['ns_per_page']:,.0f}" if r else "not run"
    lines = ["", "## A real driver: rxe's ODP prefetch of userfaultfd memory, 7.3.4 against the series",
             "", "The owner's ibv_advise_mr(PREFETCH_WRITE, FLUSH) over an ODP MR of a fresh "
             "anonymous MISSING area (one hmm_range, hmm_range_fault_unlocked_timeout() from "
             "ib_umem_odp_map_dma_and_lock()), one UFFDIO_COPY per page; cpu_touch is the "
             "same area faulted by one load per page, in the same program and guest.", "",
             "| size | pages | cpu_touch ns/page | rxe prefetch 7.3.4 ns/page | "
             "rxe prefetch series ns/page | 7.3.4 / series | series / cpu_touch |",
             "|---|---|---|---|---|---|---|"]
    for s in sizes:
        cpu, st, se = (get.get((m, s)) for m in ("rxe_cpu_touch", "rxe_stock_prefetch",
                                                 "rxe_rxe_prefetch"))
        lines.append(f"| {s} MiB | {s * 256:,} | {cell(cpu)} | {cell(st)} | {cell(se)} | "
                     f"{ratio(st, se)} | {ratio(se, cpu)} |")
    lines.append("")
    lines += flat_note("Series", [get[("rxe_rxe_prefetch", s)] for s in sizes
                                  if ("rxe_rxe_prefetch", s) in get])
    lines += [f"- 7.3.4: {n}" for n in snotes if not n.startswith("method")]
    lines += [f"- series: {n}" for n in notes if not n.startswith("method")]
    return lines, sizes


def report_mainline(outdir, series_log, stock_log, ref_stock, ref_series, noverify_log=None,
                    rxe_series=None, rxe_stock=None):
    """Mainline's helper (stock mm/hmm.c) against the series' on one table."""
    rows, notes = parse(series_log)
    srows, snotes = parse(stock_log)
    get = {(r["method"], r["mib"]): r for r in rows}
    for r in srows:
        if r["method"] == "hmm_resume":
            get[("mainline", r["mib"])] = r
    sizes = sorted({r["mib"] for r in rows + srows})
    cols = ["cpu_touch", "process_vm_readv", "mainline", "hmm_resume"]
    names = ["cpu_touch", "process_vm_readv", "mainline helper", "series helper"]
    # the plot has the table's columns, and rxe's two when there are rxe logs
    plot_cols, plot_names, rxe_lines, plot_sizes = cols, names, [], sizes
    if rxe_series and rxe_stock:
        rxe_lines, rxe_sizes = rxe_table(get, rxe_series, rxe_stock)
        plot_sizes = sorted(set(sizes) | set(rxe_sizes))
        plot_cols = cols + ["rxe_stock_prefetch", "rxe_rxe_prefetch"]
        plot_names = names + ["rxe prefetch 7.3.4", "rxe prefetch series"]
    out = ["| size | pages | " + " | ".join(f"{n} ns/page" for n in names) +
           " | mainline / series | series / process_vm_readv | series / cpu_touch |",
           "|---" * (len(cols) + 5) + "|"]
    for s in sizes:
        cells = [f"{get[(m, s)]['ns_per_page']:,.0f}" if (m, s) in get else "not run"
                 for m in cols]
        res, main, pvr, cpu = (get.get((m, s)) for m in ("hmm_resume", "mainline",
                                                         "process_vm_readv", "cpu_touch"))
        out.append(f"| {s} MiB | {s * 256:,} | " + " | ".join(cells) +
                   f" | {ratio(main, res)} | {ratio(res, pvr)} | {ratio(res, cpu)} |")
    lines = ["## Fault path on userfaultfd memory: mainline's helper against the series'",
             "", "One hmm_range over the whole area (HMM_DMIRROR_RANGE_FAULT, "
             "hmm_range_fault_unlocked_timeout()), one UFFDIO_COPY per page.", ""] + out + [""]
    lines += flat_note("Series", [get[("hmm_resume", s)] for s in sizes
                                  if ("hmm_resume", s) in get])
    lines += [f"- mainline: {n}" for n in snotes if not n.startswith("method")]
    lines += [f"- {n}" for n in notes if not n.startswith("method")]
    if noverify_log:
        lines += noverify_table(get, sizes, noverify_log)
    lines += rxe_lines
    lines += refactor_table(ref_stock, ref_series, "mainline")
    text = "\n".join(lines) + "\n"
    open(f"{outdir}/results.md", "w").write(text)
    with open(f"{outdir}/bench.dat", "w") as f:
        f.write("mib " + " ".join(n.replace(" ", "_") for n in plot_names) + "\n")
        for s in plot_sizes:
            f.write(f"{s} " + " ".join(str(get[(m, s)]["ns_per_page"]) if (m, s) in get
                                        else "NaN" for m in plot_cols) + "\n")
    if plot(outdir, "Faulting userfaultfd memory on 7.3: cost per page "
            "(guest instructions, qemu -icount)", len(plot_cols)):
        return 1
    print(text)
    print(f"plot: {outdir}/bench.png")
    return 0


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
        out.append(f"| {s} MiB | {s * 256:,} | " + " | ".join(cells) +
                   f" | {ratio(res, pvr)} | {ratio(res, cpu)} |")
    lines = ["## Fault path on userfaultfd memory (one UFFDIO_COPY per page)", ""] + out + [""]
    lines += flat_note("Resume", [get[("hmm_resume", s)] for s in sizes
                                  if ("hmm_resume", s) in get])
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
        lines += noverify_table(get, sizes, noverify_log)
    if base_log and patched_log:
        lines += refactor_table(base_log, patched_log, "pristine")
    text = "\n".join(lines) + "\n"
    open(f"{outdir}/results.md", "w").write(text)
    with open(f"{outdir}/bench.dat", "w") as f:
        f.write("mib " + " ".join(METHODS) + "\n")
        for s in sizes:
            vals = [str(get[(m, s)]["ns_per_page"]) if (m, s) in get else "NaN" for m in METHODS]
            f.write(f"{s} {' '.join(vals)}\n")
    if plot(outdir, "Faulting userfaultfd memory: cost per page "
            "(guest instructions, qemu -icount)", len(METHODS)):
        return 1
    print(text)
    print(f"plot: {outdir}/bench.png")
    return 0


if __name__ == "__main__":
    if len(sys.argv) in (7, 8, 10) and sys.argv[1] == "--mainline":
        sys.exit(report_mainline(*sys.argv[2:]))
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        sys.exit(check(sys.argv[2]))
    if len(sys.argv) in (3, 5, 6):
        sys.exit(report(*sys.argv[1:], *([None, None] if len(sys.argv) == 3 else [])))
    sys.exit(__doc__)
