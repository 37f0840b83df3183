#!/usr/bin/env python3
"""Judge one guest run from its logs: test results joined with kernel splats.

  verdict.py [--expect-version UTS] [--splats FILE] PLAN RUNDIR

Reads RUNDIR/results.log (the guest's test channel) and RUNDIR/console.log
(the kernel console).  A test passes when its KTAP line says ok and no
unexpected splat fired while it ran; a planned test that never reported, a
test killed by its time limit and a splat outside any test all fail.
Prints one line per failure or skip, the splats, and writes
"PASSED FAILED SKIPPED" to RUNDIR/counts.  Exit status 1 if anything failed.
"""
import argparse
import re
import sys

TS = r"(?:\[\s*\d+\.\d+\]\s*)?(?:\[\s*[CT]\d+\]\s*)?"
HEADERS = [
    r"BUG: .*", r"WARNING: .*", r"INFO: task .* blocked for more than .*",
    r"INFO: rcu.* (?:stall|detected).*", r"INFO: .*", r"general protection fault.*",
    r"Unable to handle kernel .*", r"kernel BUG at .*", r"Kernel panic.*",
    r"invalid opcode: .*", r"divide error: .*", r"UBSAN: .*", r"Oops: .*",
    r".*possible recursive locking.*", r".*inconsistent lock state.*",
    r".*suspicious RCU usage.*", r".*sleeping function called from invalid context.*",
    r"Bad page state.*", r"Bad rss-counter state.*", r"watchdog: BUG: soft lockup.*",
    r"unreferenced object .*", r"FAULT_FLAG_ALLOW_RETRY missing.*",
    r"kmemleak: \d+ new suspected memory leaks.*",
]
HEADER_RE = re.compile(r"^" + TS + r"(" + "|".join(HEADERS) + r")\s*$")
IGNORE_RE = re.compile(r"INFO: lockdep is turned off")
FRAME_RE = re.compile(r"^" + TS + r"\s+(\?\s+)?([A-Za-z0-9_.]+)\+0x")
BORING = re.compile(r"^(dump_stack|show_stack|__warn|warn_slowpath|report_bug|handle_bug|"
                    r"exc_invalid_op|asm_exc_invalid_op|__dump_stack|print_|lockdep_|"
                    r"check_|validate_chain|__lock_acquire|lock_acquire|_printk|printk|"
                    r"down_|up_|mutex_|_raw_|rwsem_|__might|might_|__schedule|schedule)")
MARK_RE = re.compile(r"bench: (begin|end) (\S+)")
RESULT_RE = re.compile(r"^(not )?ok \d+ (\S+)(.*)$")


class Splat:
    def __init__(self, title, test, lineno):
        self.title, self.test, self.lineno, self.frame = title, test, lineno, None
        self.allowed = False

    def __str__(self):
        where = f" in {self.frame}" if self.frame else ""
        return f"{self.title}{where} [during {self.test}; console.log line {self.lineno}]"


def scan_console(path):
    splats, test, cur, in_trace = [], "(boot)", None, False
    with open(path, errors="replace") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            m = MARK_RE.search(line)
            if m:
                test = m.group(2) if m.group(1) == "begin" else "(between tests)"
                cur, in_trace = None, False
                continue
            if IGNORE_RE.search(line):
                continue
            h = HEADER_RE.match(line)
            if h and cur is not None and cur.frame is None and not in_trace \
                    and n - cur.lineno <= 10:
                continue            # e.g. "Oops:" right after "BUG:": one report
            if h:
                cur, in_trace = Splat(h.group(1).strip(), test, n), False
                splats.append(cur)
                continue
            if re.search(r"Call Trace:", line):
                if cur is None or cur.frame is not None:
                    cur = Splat("stack dump", test, n)
                    splats.append(cur)
                in_trace = True
                continue
            if cur is not None and in_trace:
                fm = FRAME_RE.match(line)
                if fm and not fm.group(1) and cur.frame is None and not BORING.match(fm.group(2)):
                    cur.frame = fm.group(2)
                elif not fm and not re.search(r"</?(TASK|IRQ|NMI|SOFTIRQ)>|^" + TS + r"\s*$", line):
                    in_trace = False
                    if "end trace" in line:
                        cur = None
    return splats


def load_allowed(path):
    rules = []
    if not path:
        return rules
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            test_re, splat_re = line.split("\t", 1)
            rules.append((re.compile(test_re), re.compile(splat_re)))
    return rules


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--expect-version", default="")
    ap.add_argument("--splats", default="")
    ap.add_argument("plan")
    ap.add_argument("rundir")
    a = ap.parse_args()

    planned = [l.split("\t")[0] for l in open(a.plan) if l.strip()]
    results, problems = {}, []
    cur, boot, taint, done = None, None, None, False
    for line in open(f"{a.rundir}/results.log", errors="replace"):
        line = line.rstrip("\r\n")
        if line.startswith("BENCH-BOOT "):
            boot = line[len("BENCH-BOOT "):]
        elif line.startswith("BENCH-BEGIN "):
            cur = line.split()[1]
            results[cur] = {"status": None, "rc": None, "why": ""}
        elif line.startswith("BENCH-END ") and cur:
            results[cur]["rc"] = int(line.rsplit("rc=", 1)[1])
            cur = None
        elif line.startswith("BENCH-SETUP-FAILED"):
            problems.append("guest setup failed: " + (line[len("BENCH-SETUP-FAILED"):].strip() or "see results.log"))
        elif line.startswith("BENCH-TAINTED "):
            taint = int(line.split()[1])
        elif line.startswith("BENCH-DONE"):
            done = True
        elif cur:
            m = RESULT_RE.match(line)
            if m and results[cur]["status"] is None:
                skip = re.search(r"#\s*SKIP", m.group(3), re.I)
                results[cur]["status"] = "fail" if m.group(1) else ("skip" if skip else "pass")
                results[cur]["why"] = m.group(3).strip(" #")

    if a.expect_version and boot is not None and a.expect_version not in boot:
        problems.append(f"guest booted '{boot}', not the kernel just built ('{a.expect_version}')")
    if boot is None:
        problems.append("the guest never started its tests (no BENCH-BOOT)")

    rules = load_allowed(a.splats)
    splats = scan_console(f"{a.rundir}/console.log")
    for s in splats:
        s.allowed = any(t.search(s.test) and r.search(s.title) for t, r in rules)

    passed = failed = skipped = 0
    for name in planned:
        r = results.get(name)
        bad = [s for s in splats if s.test == name and not s.allowed]
        if r is None:
            status, why = "fail", "never ran (the guest died or stopped earlier)"
        elif r["rc"] is None:
            status, why = "fail", "did not finish"
        elif r["rc"] == 137:
            status, why = "fail", "killed by its time limit"
        elif r["status"] is None:
            status, why = "fail", f"reported no result (exit code {r['rc']})"
        elif r["status"] == "pass" and r["rc"] not in (0,):
            status, why = "fail", f"said ok but exited with {r['rc']}"
        else:
            status, why = r["status"], r["why"]
        if bad and status != "fail":
            status, why = "fail", f"kernel splat: {bad[0].title}"
        if status == "pass":
            passed += 1
        elif status == "skip":
            skipped += 1
            print(f"  SKIP {name}: {why}")
        else:
            failed += 1
            print(f"  FAIL {name}: {why}")

    stray = [s for s in splats if s.test not in planned and not s.allowed]
    for s in stray:
        problems.append(f"kernel splat outside any test: {s}")
    shown = set()
    for s in splats:
        key = (s.title, s.frame, s.allowed)
        if key in shown:
            continue
        shown.add(key)
        print(f"  {'expected' if s.allowed else 'SPLAT'}: {s}")
    if taint and not splats:
        problems.append(f"kernel tainted ({taint}) but no splat found in the console log")
    if not done:
        problems.append("the guest did not reach the end of its run")
    for p in problems:
        print(f"  FAIL {p}")
    failed += len(problems)
    with open(f"{a.rundir}/counts", "w") as f:
        f.write(f"{passed} {failed} {skipped}\n")
    extra = f", {skipped} skipped" if skipped else ""
    print(f"  {a.rundir}: {passed} passed, {failed} failed{extra}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
