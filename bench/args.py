#!/usr/bin/python3
"""The cost of arguments and return values, in one run: ns per call of bench/argcalls.c (a call
of strlen and of an own function leaf(int) each iteration) traced plainly, with -a, and with
manual -A/-R specs, on the int3 path and on the fast path (and leaf alone there, plainly and
with -a: the cost of the site records' values half), and ltrace -e strlen on the same program;
then, built with -g, leaf8 (two of its eight arguments on the stack: the entry records' stack
words) and ldleaf (a long double returned: its sites' st0, by fxsave), plainly and with -a on
the fast path. Cost per call = (time for N - time for 1) / calls. Usage: bench/args.py
[--quick]"""
import os
import sys

from benchlib import BUILD, FNTRACE, HERE, ROOT, best, sh

QUICK = "--quick" in sys.argv
PROG = os.path.join(BUILD, "argcalls")
PROG_G = os.path.join(BUILD, "argcalls-g")
SPEC = ["-A", "leaf@arg1", "-R", "leaf@retval/d32", "-A", "strlen@arg1/s"]
RUNS = [
    ("int3, plain", ["--no-fast", "-o", "/dev/null"]),
    ("int3, -a", ["--no-fast", "-a", "-o", "/dev/null"]),
    ("int3, -A/-R specs", ["--no-fast", *SPEC, "-o", "/dev/null"]),
    ("fast, plain", ["--fast", "-o", "/dev/null"]),
    ("fast, -A/-R specs", ["--fast", *SPEC, "-o", "/dev/null"]),
    ("fast, -a", ["--fast", "-a", "-o", "/dev/null"]),
    # leaf alone (no prototype without -g: its entry stays a trampoline): the site records'
    # values half (rdx, xmm0, xmm1, errno) that -a adds, against plain records
    ("fast, plain, -i leaf", ["--fast", "-i", "leaf", "-o", "/dev/null"]),
    ("fast, -a, -i leaf", ["--fast", "-a", "-i", "leaf", "-o", "/dev/null"]),
]
# the runs whose calls are all recorded in-process: many more iterations to measure them
ALL_FAST = ("fast, plain", "fast, plain, -i leaf", "fast, -a, -i leaf")
# argcalls-g's modes, every call in-process: (name, fntrace options, mode)
G_RUNS = [
    ("fast, plain, -i leaf8", ["--fast", "-i", "leaf8", "-o", "/dev/null"], "stack"),
    ("fast, -a, -i leaf8 (stack words)", ["--fast", "-a", "-i", "leaf8", "-o", "/dev/null"], "stack"),
    ("fast, plain, -i ldleaf", ["--fast", "-i", "ldleaf", "-o", "/dev/null"], "x87"),
    ("fast, -a, -i ldleaf (st0 at its sites)", ["--fast", "-a", "-i", "ldleaf", "-o", "/dev/null"], "x87"),
]


def per_call(cmd, n, calls_per_iter, prog=PROG, mode=()):
    one, _, _ = best([*cmd, prog, "1", *mode])
    t, _, _ = best([*cmd, prog, str(n), *mode])
    return (t - one) / (n * calls_per_iter) * 1e9


def main():
    os.makedirs(BUILD, exist_ok=True)
    sh(f"make -s -C {ROOT} fntrace")
    sh(f"cc -O2 -fno-builtin -o {PROG} {HERE}/argcalls.c")
    sh(f"cc -O2 -g -fno-builtin -o {PROG_G} {HERE}/argcalls.c")
    n = 5000 if QUICK else 20000
    print("| run | ns per traced call |")
    print("|---|---|")
    for name, opts in RUNS:
        m = n * 50 if name in ALL_FAST else n
        calls = 1 if "-i leaf" in name else 2
        print(f"| fntrace {name} | {per_call([FNTRACE, *opts], m, calls):,.0f} |")
    print(f"| ltrace -e strlen (strlen's calls only) | "
          f"{per_call(['ltrace', '-e', 'strlen', '-o', '/dev/null'], n, 1):,.0f} |")
    for name, opts, mode in G_RUNS:
        print(f"| fntrace {name} | {per_call([FNTRACE, *opts], n * 50, 1, PROG_G, [mode]):,.0f} |")


main()
