#!/usr/bin/python3
"""Trace files: bytes per event, writing and reading speed, and memory that must not grow with the
length of the trace. Usage: bench/tracefile.py [--full]   (--full adds 10^8-event files, ~350 MB)

Synthetic traces come from bench/tfgen.c, which drives fntrace's own writer and reader without
ptrace (a 64-function program, calls up to 12 deep, 1-6 us between events like ptrace stops).
Real traces are fntrace -w runs of bench/build/calls and of the threads test program. Files are
written to bench/build/ (page cache: the speeds are the code's, not the disk's) and removed."""
import os
import subprocess
import sys
import time

from benchlib import BUILD, FNTRACE, HERE, REPEAT, ROOT, best, sh

TFGEN = os.path.join(BUILD, "tfgen")
FULL = "--full" in sys.argv


def build():
    os.makedirs(BUILD, exist_ok=True)
    sh(f"make -s -C {ROOT} fntrace")
    objs = " ".join(f"{ROOT}/build/src/{o}.o" for o in ["rec/tracefile", "rec/funcs", "rec/names", "util/addrmap",
                                                          "util/util"])
    sh(f"cc -O2 -Wall -D_GNU_SOURCE -I{ROOT}/src -o {TFGEN} {HERE}/tfgen.c {objs}")
    sh(f"cc -O2 -o {BUILD}/calls {HERE}/calls.c")


def count(path):
    """Events in a trace file, by replaying it."""
    return int(subprocess.run([TFGEN, "read", path], capture_output=True, text=True, check=True).stdout.split()[0])


def mib(kib):
    return f"{kib / 1024:.1f} MiB"


def synthetic(n, threads):
    path = os.path.join(BUILD, f"synth-{n}-{threads}.ft")
    wall, rss_w, out = best([TFGEN, "write", path, str(n), str(threads)])
    inner = float(out.split()[1])
    size = os.path.getsize(path)
    _, _, out = best([TFGEN, "read", path])
    dec = float(out.split()[1])
    q, rss_q, _ = best([FNTRACE, "-q", "-r", path])
    c, rss_c, _ = best([FNTRACE, "-c", "-o", "/dev/null", "-r", path])
    fo, rss_f, _ = best([FNTRACE, "--format=folded", "-o", "/dev/null", "-r", path])
    os.unlink(path)
    return {"n": n, "threads": threads, "size": size, "write": inner, "rss_w": rss_w, "decode": dec, "q": q,
            "rss_q": rss_q, "c": c, "rss_c": rss_c, "folded": fo, "rss_f": rss_f}


def real(name, cmd):
    path = os.path.join(BUILD, f"real-{name}.ft")
    subprocess.run([FNTRACE, "-q", "-w", path, *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    n, size = count(path), os.path.getsize(path)
    os.unlink(path)
    return n, size


def cost_of_writing(n):
    """Per traced call: fntrace -q with and without -w on bench/build/calls N."""
    calls = f"{BUILD}/calls"
    path = os.path.join(BUILD, "cost.ft")
    without, _, _ = best([FNTRACE, "-q", calls, str(n)])
    with_w, _, _ = best([FNTRACE, "-q", "-w", path, calls, str(n)])
    os.unlink(path)
    return without / n * 1e9, with_w / n * 1e9


def main():
    build()
    print(f"# trace files, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, best of {REPEAT}")
    print()
    print("| trace | events | bytes | bytes/event |")
    print("|---|---|---|---|")
    n, size = real("calls", [f"{BUILD}/calls", "1000000"])
    print(f"| fntrace -w, bench/build/calls 1000000 (one thread, one function) | {n:,} | {size:,} | {size / n:.2f} |")
    threads = os.path.join(ROOT, "tests", "build", "progs", "gcc-nopie-O2-nocf", "threads")
    if os.path.exists(threads):
        n, size = real("threads", ["-i", "t_*", threads, "calls", "20000"])
        print(f"| fntrace -w, tests' threads calls 20000 (8 threads) | {n:,} | {size:,} | {size / n:.2f} |")
    for th in (1, 8):
        r = synthetic(10**6, th)
        print(f"| synthetic, {th} thread{'s' if th > 1 else ''} | {r['n']:,} | {r['size']:,} "
              f"| {r['size'] / r['n']:.2f} |", flush=True)
    print()
    print("| synthetic trace | file | write (tfgen) | decode only (tfgen read) | fntrace -r -q | fntrace -r -c "
          "| fntrace -r --format=folded | peak RSS: write / -r -q / -r -c / -r folded |")
    print("|---|---|---|---|---|---|---|---|")
    sizes = [10**6, 10**7] + ([10**8] if FULL else [])
    for n in sizes:
        for th in (1, 8):
            r = synthetic(n, th)
            rate = lambda t: f"{n / t / 1e6:,.0f} M ev/s" if t > 0 else "-"
            print(f"| {n:.0e} events, {th} thread{'s' if th > 1 else ''} | {r['size'] / 2**20:,.0f} MiB "
                  f"| {rate(r['write'])} ({r['size'] / r['write'] / 2**20:,.0f} MiB/s) | {rate(r['decode'])} "
                  f"| {rate(r['q'])} | {rate(r['c'])} | {rate(r['folded'])} "
                  f"| {mib(r['rss_w'])} / {mib(r['rss_q'])} / {mib(r['rss_c'])} / {mib(r['rss_f'])} |", flush=True)
    print()
    without, with_w = cost_of_writing(10**5)
    print(f"Live tracing, bench/build/calls 100000 with -q: {without:,.0f} ns per call without -w, "
          f"{with_w:,.0f} ns with -w ({with_w - without:+,.0f} ns).")


if __name__ == "__main__":
    main()
