#!/usr/bin/python3
"""The fast path's benchmarks, in one run: ns per traced call (entry and exit recorded) with
--fast (-c, -q -w FILE and the graph), with the breakpoints (--no-fast), and with `uftrace
record` on the same program built with -pg, with 1 and 8 threads; coverage (--debug=fast) on real -O2 binaries; traced time over
untraced time on real Debian programs, both paths; start-up with 100,000 functions.
--calls: the per-call table alone; --before PATH: that table for the build at PATH too, in the
same run (a row per build and thread count).
Usage: bench/fast.py [--quick] [--calls] [--before PATH]"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

from benchlib import BUILD, FNTRACE, HERE, ROOT, best, sh

QUICK = "--quick" in sys.argv
CALLS_ONLY = "--calls" in sys.argv
BEFORE = sys.argv[sys.argv.index("--before") + 1] if "--before" in sys.argv else None
os.makedirs(BUILD, exist_ok=True)
os.chdir(BUILD)   # the -pg program writes gmon.out where it runs


def build():
    os.makedirs(BUILD, exist_ok=True)
    sh(f"make -s -C {ROOT} fntrace")
    sh(f"cc -O2 -pthread -o {BUILD}/tcalls {HERE}/tcalls.c")
    sh(f"cc -O2 -pg -pthread -o {BUILD}/tcalls-pg {HERE}/tcalls.c")
    if not os.path.exists(f"{BUILD}/manyfuncs"):
        sh(f"/usr/bin/python3 {HERE}/manyfuncs.py 100000 > {BUILD}/manyfuncs.c")
        sh(f"cc -O0 -o {BUILD}/manyfuncs {BUILD}/manyfuncs.c")


# What fntrace does with the records, each measured: -c (the summary's tables), -q -w FILE
# (records written to a trace file, nothing printed: what `uftrace record` does), and the graph
# printed to /dev/null (every call formatted as text).
MODES = [("-c", ["-c", "-o", "/dev/null"]), ("-q -w", ["-q", "-w", os.path.join(BUILD, "tcalls.ft")]),
         ("graph", ["-o", "/dev/null"])]


def per_call(threads, fntrace=FNTRACE):
    n = 1000000 if QUICK else 4000000
    n_int3 = n // 20
    prog = f"{BUILD}/tcalls"
    base_i, _, _ = best([prog, str(n_int3), str(threads)])
    row = {"threads": threads}
    for name, opts in MODES:
        # the same command with N = 1 as the baseline: start-up (the C library's map) is not
        # counted per call
        start, _, _ = best([fntrace, "--fast", *opts, prog, "1", str(threads)])
        fast, rss, _ = best([fntrace, "--fast", *opts, prog, str(n), str(threads)])
        row[name] = (fast - start) / (n * threads) * 1e9
        row["rss"] = max(row.get("rss", 0), rss)
    int3, _, _ = best([fntrace, "--no-fast", "-c", "-o", "/dev/null", prog, str(n_int3), str(threads)])
    row["int3"] = (int3 - base_i) / (n_int3 * threads) * 1e9
    if shutil.which("uftrace"):
        d = tempfile.mkdtemp(prefix="uftrace-", dir=BUILD)
        pg_base, _, _ = best([f"{BUILD}/tcalls-pg", str(n), str(threads)])
        uf, _, _ = best(["uftrace", "record", "-d", d, f"{BUILD}/tcalls-pg", str(n), str(threads)])
        shutil.rmtree(d, ignore_errors=True)
        row["uftrace"] = (uf - pg_base) / (n * threads) * 1e9
    return row


def coverage(cmd, libs=()):
    """Per module: entries and return sites patched in-process, of those tried."""
    args = [FNTRACE, "--fast", "--debug=fast", "-c", "-o", "/dev/null"]
    for lib in libs:
        args += ["-l", lib]
    err = subprocess.run(args + cmd, capture_output=True, text=True).stderr
    out = []
    for m in re.finditer(r": ([^ :]+): entries (\d+) in-process, (\d+) int3.*?return sites (\d+) in-process, "
                         r"(\d+) int3", err):
        e, ei, s, si = map(int, m.group(2, 3, 4, 5))
        out.append((m.group(1), e, e + ei, s, s + si))
    return out


def real(cmd, libs=(), small=None):
    """Traced over untraced time, -c, both paths (the breakpoints on the small input if given:
    they take minutes on the full one)."""
    lib = []
    for l in libs:
        lib += ["-l", l]
    plain, _, _ = best(cmd)
    fast, _, _ = best([FNTRACE, "--fast", "-c", "-o", "/dev/null", *lib, *cmd])
    scmd = small or cmd
    splain, _, _ = best(scmd)
    int3, _, _ = best([FNTRACE, "--no-fast", "-c", "-o", "/dev/null", *lib, *scmd])
    return plain, fast, splain, int3


# gawk on a real script: counts of every word, the most frequent first
WORDS = '{ for (i = 1; i <= NF; i++) n[$i]++ } END { for (w in n) if (n[w] > 100) print n[w], w }'


def main():
    build()
    builds = [("before", BEFORE), ("after", FNTRACE)] if BEFORE else [("", FNTRACE)]
    print("| threads | --fast -c | --fast -q -w | --fast graph | --no-fast -c | uftrace record (-pg) | "
          "peak RSS (--fast) |")
    print("|---|---|---|---|---|---|---|")
    for t in [1, 8]:
        for label, fntrace in builds:
            r = per_call(t, fntrace)
            uf = f"{r['uftrace']:,.0f}" if "uftrace" in r else "not installed"
            print(f"| {t}{', ' + label if label else ''} | {r['-c']:,.0f} | {r['-q -w']:,.0f} | {r['graph']:,.0f} | "
                  f"{r['int3']:,.0f} | {uf} | {r['rss'] / 1024:.1f} MiB |", flush=True)
    print()
    if CALLS_ONLY:
        return
    data = os.path.join(BUILD, "numbers")
    small = os.path.join(BUILD, "numbers-small")
    if not os.path.exists(data):
        import random
        rnd = random.Random(1)
        with open(data, "w") as f:
            f.write("".join(f"{rnd.randint(0, 10 ** 9)}\n" for _ in range(100000)))
        with open(small, "w") as f:
            f.write("".join(f"{rnd.randint(0, 10 ** 9)}\n" for _ in range(2000)))
    text = os.path.join(BUILD, "text")
    stext = os.path.join(BUILD, "text-small")
    with open(text, "w") as f:
        f.write("".join(f"line {i} {i * i} {i % 7}\n" for i in range(5000)))
    with open(stext, "w") as f:
        f.write("".join(f"line {i} {i * i} {i % 7}\n" for i in range(500)))
    print("| program | untraced | --fast -c | x | small input: untraced | --no-fast -c | x |")
    print("|---|---|---|---|---|---|---|")
    cases = [
        ("sort -nr (1 MB; small: 20 KB)", ["/usr/bin/sort", "-nr", data], (), ["/usr/bin/sort", "-nr", small]),
        ("bzip2 -kf -l 'libbz2*' (120 KB; small: 10 KB)", ["/usr/bin/bzip2", "-kf", text], ["libbz2*"],
         ["/usr/bin/bzip2", "-kf", stext]),
        ("gawk, word counts (100 KB; small: 10 KB)", ["/usr/bin/gawk", WORDS, text], (),
         ["/usr/bin/gawk", WORDS, stext]),
        ("python3 -S -c 'sum(i*i for i in range(10**5))', its own functions",
         ["/usr/bin/python3", "-S", "-c", "sum(i*i for i in range(10**5))"], (),
         ["/usr/bin/python3", "-S", "-c", "sum(i*i for i in range(10**3))"]),
    ]
    for name, cmd, libs, scmd in cases:
        if not os.path.exists(cmd[0]):
            continue
        plain, fast, splain, int3 = real(cmd, libs, scmd)
        print(f"| {name} | {plain * 1e3:.0f} ms | {fast * 1e3:.0f} ms | {fast / plain:.1f} | {splain * 1e3:.0f} ms | "
              f"{int3 * 1e3:.0f} ms | {int3 / splain:.0f} |")
    print()
    print("| binary | entries in-process | return sites in-process |")
    print("|---|---|---|")
    seen = set()
    for cmd, libs in [(["/usr/bin/sort", "-n", small], ()),
                      (["/usr/bin/python3", "-S", "-c", "pass"], ()),
                      ([os.path.join(ROOT, "tests/build/progs/gcc-pie-O2-cf/throw")], ["libstdc++*"])]:
        for mod, e, et, s, st in coverage(cmd, libs):
            if mod in seen or et < 50:
                continue
            seen.add(mod)
            print(f"| {mod} | {e:,} of {et:,} ({100 * e / et:.2f}%) | "
                  + (f"{s:,} of {st:,} ({100 * s / st:.1f}%) |" if st else "not planted (not traced) |"))
    print()
    prog = f"{BUILD}/manyfuncs"
    for opt in ["--no-fast", "--fast"]:
        t, rss, _ = best([FNTRACE, opt, "--flat", "-o", "/dev/null", prog])
        print(f"start-up, 100,000 functions planted, {opt}: {t * 1e3:.0f} ms, peak RSS {rss / 1024:.1f} MiB")


main()
