#!/usr/bin/python3
"""Two builds of fntrace on real Debian programs, --fast -c, in one run, their runs taking turns
(5 each): per build, the least wall time, and the least CPU time of fntrace itself and of the
program, told apart by reading /proc while fntrace is a zombie (on 2 CPUs they overlap: the wall
time is not their sum; on a shared machine the least is the least disturbed). The inputs are
bench/real.py's (run it once first). The disk cache is off (FNTRACE_CACHE=off), as in the
builds before it.
Usage: bench/realcpu.py --before PATH"""
import os
import subprocess
import sys
import time

from real import D, cases

HERE = os.path.dirname(os.path.abspath(__file__))
F = os.path.join(HERE, "..", "fntrace")



BEFORE = sys.argv[sys.argv.index("--before") + 1] if "--before" in sys.argv else None
TCK = os.sysconf("SC_CLK_TCK")


def run(cmd):
    """(wall s, CPU s of cmd's process, CPU s of the children it waited for) of one run: read from
    /proc while it is a zombie (waitid with WNOWAIT), so fntrace and its program are told apart."""
    t = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         env=dict(os.environ, FNTRACE_CACHE="off"))
    os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT)
    wall = time.monotonic() - t
    with open(f"/proc/{p.pid}/stat") as f:
        st = f.read().rsplit(")", 1)[1].split()
    if p.wait():
        raise SystemExit(f"{cmd}: exit status {p.returncode}")
    ut, stime, cut, cst = (int(x) for x in st[11:15])
    return wall, (ut + stime) / TCK, (cut + cst) / TCK


def least(runs):
    """The least wall time, fntrace CPU and program CPU, each over runs."""
    return tuple(min(r[i] for r in runs) for i in range(3))


def compare(cases):
    """--before: both builds, --fast -c, in one run."""
    print("| program | untraced: wall, CPU | before: wall, CPU fntrace + program (x wall) | "
          "after: wall, CPU fntrace + program (x wall) |")
    print("|---|---|---|---|")
    for name, cmd, libs, _ in cases:
        if not os.path.exists(cmd[0]):
            continue
        lib = sum((["-l", l] for l in libs), [])
        w, c, _ = least([run(cmd) for _ in range(5)])
        runs = {f: [] for f in [BEFORE, F]}
        for _ in range(5):
            for f in runs:
                runs[f].append(run([f, "--fast", "-c", "-o", "/dev/null", *lib, *cmd]))
        cells = []
        for f in runs:
            fw, ft, fp = least(runs[f])
            cells.append(f"{fw * 1e3:,.0f} ms, {ft * 1e3:,.0f} + {fp * 1e3:,.0f} ms ({fw / w:.1f}x)")
        print(f"| {name} | {w * 1e3:,.0f} ms, {c * 1e3:,.0f} ms | " + " | ".join(cells) + " |", flush=True)


def main():
    if not BEFORE or not os.path.exists(D):
        raise SystemExit(__doc__)
    compare(cases())


if __name__ == "__main__":
    main()
