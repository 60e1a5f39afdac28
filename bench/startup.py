#!/usr/bin/python3
"""Start-up cost of fntrace, in one run for two builds (the one in the tree and --before PATH):
planting bench/manyfuncs.py's 100,000 functions on both paths (--flat), and the start-up on real
programs doing next to nothing or little (python3, sort, gawk; the fast path, and python3 on the
int3 path), with the untraced time. Per case: best wall time of 3 runs, the CPU time (user +
system, fntrace and the program) of that run, and the highest peak RSS (fntrace's, GNU time's
%M). The build in the tree runs twice: with a cold disk cache (an empty directory for every run:
the maps and discovered functions built, and written) and a warm one (a directory that a first
run filled); --before's with a warm one of its own. Then what --debug=bp says of planting
python3's own module and the C library (best of 3, warm caches).
Usage: bench/startup.py [--before PATH] [--after PATH (instead of the tree's build)]"""
import os
import random
import re
import shutil
import subprocess
import sys

from benchlib import BUILD, FNTRACE, HERE, REPEAT, sh

BEFORE = sys.argv[sys.argv.index("--before") + 1] if "--before" in sys.argv else None
AFTER = sys.argv[sys.argv.index("--after") + 1] if "--after" in sys.argv else FNTRACE


def build():
    os.makedirs(BUILD, exist_ok=True)
    if not os.path.exists(f"{BUILD}/manyfuncs"):
        sh(f"/usr/bin/python3 {HERE}/manyfuncs.py 100000 > {BUILD}/manyfuncs.c")
        sh(f"cc -O0 -o {BUILD}/manyfuncs {BUILD}/manyfuncs.c")
    rnd = random.Random(1)   # (bench/real.py's numbers, its 20 KB cut)
    with open(NUMS, "w") as f:
        f.write("".join(f"{rnd.randint(0, 10 ** 9)}\n" for _ in range(3000))[:20000])


COLD = os.path.join(BUILD, "cache-cold")
WARM = os.path.join(BUILD, "cache-warm")
WARM_BEFORE = os.path.join(BUILD, "cache-warm-before")
NUMS = os.path.join(BUILD, "startup-n20k")


def run(cmd, cache="off"):
    """(wall s, cpu s, peak RSS KiB) of one run, measured by GNU time. cache: the FNTRACE_CACHE
    of the run; COLD is emptied first."""
    out = os.path.join(BUILD, "startup-time.txt")
    if cache == COLD:
        shutil.rmtree(COLD, ignore_errors=True)
    env = dict(os.environ, FNTRACE_CACHE=cache)
    subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", out, *cmd], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env)
    with open(out) as f:
        e, u, s, m = f.read().split()[-4:]
    return float(e), float(u) + float(s), int(m)


def best(cmd, cache="off"):
    if cache in (WARM, WARM_BEFORE):
        run(cmd, cache)   # (fills it)
    runs = [run(cmd, cache) for _ in range(REPEAT)]
    wall = min(runs)
    return wall[0], wall[1], max(r[2] for r in runs)


CASES = [
    ("manyfuncs, 100,000 functions, --no-fast --flat", ["--no-fast", "--flat"], [f"{BUILD}/manyfuncs"]),
    ("manyfuncs, 100,000 functions, --fast --flat", ["--fast", "--flat"], [f"{BUILD}/manyfuncs"]),
    ("python3 -S -c pass, --fast -c", ["--fast", "-c"], ["/usr/bin/python3", "-S", "-c", "pass"]),
    ("python3 -S -c pass, --no-fast -c", ["--no-fast", "-c"], ["/usr/bin/python3", "-S", "-c", "pass"]),
    ("sort -n /dev/null, --fast -c", ["--fast", "-c"], ["/usr/bin/sort", "-n", "/dev/null"]),
    ("sort -nr, 20 KB of numbers, --fast -c", ["--fast", "-c"], ["/usr/bin/sort", "-nr", NUMS]),
    ("gawk 'BEGIN{}', --fast -c", ["--fast", "-c"], ["/usr/bin/gawk", "BEGIN{}"]),
]

PLANTED = re.compile(r"pid \d+: (\S+): \d+ entry breakpoints planted in ([0-9.]+) ms")


def planted(fntrace, cache, cmd, module):
    """The best of REPEAT runs of what --debug=bp says planting module took, in ms."""
    env = dict(os.environ, FNTRACE_CACHE=cache)
    times = []
    for _ in range(REPEAT):
        p = subprocess.run([fntrace, "--fast", "--debug=bp", "-c", "-o", "/dev/null", *cmd], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        times += [float(m.group(2)) for m in PLANTED.finditer(p.stderr) if os.path.basename(m.group(1)) == module]
    return min(times) if times else float("nan")


PLANTS = [
    ("python3.11 (6,834 entries, 49,000 return sites)", ["/usr/bin/python3", "-S", "-c", "pass"], "python3.11"),
    ("libc.so.6 (2,129 entries), under sort", ["/usr/bin/sort", "-n", "/dev/null"], "libc.so.6"),
]


def main():
    build()
    shutil.rmtree(WARM, ignore_errors=True)
    shutil.rmtree(WARM_BEFORE, ignore_errors=True)
    builds = [("before, warm cache", BEFORE, WARM_BEFORE)] if BEFORE else []
    name = "after" if BEFORE else "this build"
    builds += [(name + ", cold cache", AFTER, COLD), (name + ", warm cache", AFTER, WARM)]
    print("| case | untraced | " + " | ".join(f"{n}: wall, CPU, peak RSS" for n, _, _ in builds) + " |")
    print("|---|---|" + "---|" * len(builds))
    for name, opts, cmd in CASES:
        base = f"{best(cmd)[0] * 1e3:.0f} ms" if "manyfuncs" not in name else "-"
        cells = []
        for _, fntrace, cache in builds:
            w, c, m = best([fntrace, *opts, "-o", "/dev/null", *cmd], cache)
            cells.append(f"{w * 1e3:,.0f} ms, {c * 1e3:,.0f} ms, {m / 1024:.1f} MiB")
        print(f"| {name} | {base} | " + " | ".join(cells) + " |", flush=True)
    warm = [(n, f, c) for n, f, c in builds if c != COLD]
    print()
    print("| planting (--debug=bp) | " + " | ".join(n for n, _, _ in warm) + " |")
    print("|---|" + "---|" * len(warm))
    for name, cmd, module in PLANTS:
        print(f"| {name} | " + " | ".join(f"{planted(f, c, cmd, module):.1f} ms" for _, f, c in warm) + " |",
              flush=True)


main()
shutil.rmtree(COLD, ignore_errors=True)
shutil.rmtree(WARM, ignore_errors=True)
