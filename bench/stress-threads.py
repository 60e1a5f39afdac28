#!/usr/bin/python3
"""The full-size thread stress run of issue 3: 8 threads each making 100,000 calls to each of two
shared functions, traced with -c, 20 times; every run must count exactly 800,000 calls of each
and leave the program's output unchanged. Too slow for the test suite at two ptrace stops per
call (the suite runs the same program with 2,000 calls per thread). Usage:
bench/stress-threads.py [RUNS] [CALLS]"""
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
calls = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
prog = os.path.join(ROOT, "tests/build/progs/gcc-pie-O2-cf/threads")
subprocess.run(["make", "-s", "-C", ROOT, "fntrace", prog], check=True)
failures = 0
for i in range(runs):
    t = time.perf_counter()
    p = subprocess.run([os.path.join(ROOT, "fntrace"), "-c", "-i", "t_*", prog, "calls", str(calls)],
                       capture_output=True, text=True)
    dt = time.perf_counter() - t
    counts = {}
    for line in p.stderr.splitlines():
        f = line.split()
        if len(f) == 12 and f[4].isdigit():
            counts[f[-1]] = int(f[4])
    ok = (p.returncode == 0 and p.stdout == f"sum {8 * calls}\n"
          and counts == {"t_inc": 8 * calls, "t_dec": 8 * calls})
    failures += not ok
    print(f"run {i + 1:2}: {'ok  ' if ok else 'FAIL'} {dt:6.1f} s, {counts}, "
          f"{dt / (16 * calls) * 1e9:,.0f} ns per traced call", flush=True)
print(f"{runs - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
