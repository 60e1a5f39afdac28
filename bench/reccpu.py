#!/usr/bin/python3
"""fntrace's own CPU time per record (issue 9): user + system time of the fntrace process alone
(read from /proc while it is a zombie, as bench/realcpu.py does), on a job with millions of
calls less the same job with few, over the difference in records (two per call: the entry's and
the return's; the calls are the -c table's). Per output mode (-c, the graph, -q -w FILE, --flat),
--fast, a warm disk cache of maps. With --before PATH, that build too, the runs taking turns
(5 each, the least: on a shared machine the least is the least disturbed).
The inputs are bench/real.py's (run it once first).
Usage: bench/reccpu.py [--before PATH] [--quick]"""
import os
import subprocess
import sys
import tempfile

from real import D, W
from realcpu import run as run_split

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, "build")
F = os.path.join(HERE, "..", "fntrace")
BEFORE = sys.argv[sys.argv.index("--before") + 1] if "--before" in sys.argv else None
RUNS = 2 if "--quick" in sys.argv else 5
CACHE = os.path.join(BUILD, "cache-reccpu")
TFILE = os.path.join(BUILD, "reccpu.ft")

MODES = [("-c", ["-c", "-o", "/dev/null"]), ("graph", ["-o", "/dev/null"]), ("-q -w", ["-q", "-w", TFILE]),
         ("--flat", ["--flat", "-o", "/dev/null"])]


def cases():
    """(title, command with many calls, the same with few)."""
    d = lambda name: os.path.join(D, name)
    tc = os.path.join(BUILD, "tcalls")
    return [
        ("bench/tcalls, 4 M calls", [tc, "4000000"], [tc, "1"]),
        ("sort -nr (1 MB)", ["/usr/bin/sort", "-nr", d("nums")], ["/usr/bin/sort", "-nr", d("n20k")]),
        ("gawk, word counts (1 MB)", ["/usr/bin/gawk", W, d("words")], ["/usr/bin/gawk", W, d("w10k")]),
    ]


def fntrace_cpu(fntrace, opts, cmd):
    os.environ["FNTRACE_CACHE"] = CACHE
    return run_split([fntrace, "--fast", *opts, *cmd])[1]


def calls(cmd):
    """Calls in the -c table of cmd (every traced call, whichever path took it)."""
    with tempfile.NamedTemporaryFile("r", dir=BUILD, suffix=".txt") as out:
        subprocess.run([F, "--fast", "-c", "-o", out.name, *cmd], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True, env=dict(os.environ, FNTRACE_CACHE=CACHE))
        rows = out.read().splitlines()[2:]
    return sum(int(r[26:36]) for r in rows if r[26:36].strip().isdigit())   # (the Calls column)


def main():
    if not os.path.exists(D):
        raise SystemExit(__doc__)
    os.makedirs(BUILD, exist_ok=True)
    subprocess.run(f"cc -O2 -pthread -o {BUILD}/tcalls {HERE}/tcalls.c", shell=True, check=True)
    builds = [("before", BEFORE), ("after", F)] if BEFORE else [("", F)]
    print("| program, build | records | " + " | ".join(f"{m} ns/record" for m, _ in MODES) + " |")
    print("|---|---|" + "---|" * len(MODES))
    for title, big, small in cases():
        recs = 2 * (calls(big) - calls(small))
        for b in builds:   # warm the cache (and the page cache) for each build
            fntrace_cpu(b[1], MODES[0][1], big)
        cells = {b[0]: [] for b in builds}
        for _, opts in MODES:
            least = {b[0]: [1e9, 1e9] for b in builds}
            for _ in range(RUNS):
                for label, fntrace in builds:
                    least[label][0] = min(least[label][0], fntrace_cpu(fntrace, opts, big))
                    least[label][1] = min(least[label][1], fntrace_cpu(fntrace, opts, small))
            for label, _ in builds:
                cells[label].append(f"{(least[label][0] - least[label][1]) / recs * 1e9:.1f}")
        for label, _ in builds:
            print(f"| {title}{', ' + label if label else ''} | {recs:,} | " + " | ".join(cells[label]) + " |",
                  flush=True)
    if os.path.exists(TFILE):
        os.remove(TFILE)


main()
