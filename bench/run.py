#!/usr/bin/python3
"""fntrace's benchmarks: cost per traced call against the floor tracer, peak memory, and the time
to plant 100,000 breakpoints. Builds what it needs into bench/build/. Usage: bench/run.py [--quick]

Cost per call = (traced time - untraced time) / calls. The floor is bench/floor.c tracing
calls-int3, whose every call executes its own int3: one bare ptrace stop (waitpid + PTRACE_CONT)
per call. Everything is measured in one run and reported as ratios, because the machine is shared
and absolute times vary from run to run."""
import os
import subprocess
import sys
import time

from benchlib import BUILD, FNTRACE, HERE, REPEAT, ROOT, best, sh

QUICK = "--quick" in sys.argv


def build():
    os.makedirs(BUILD, exist_ok=True)
    sh(f"make -s -C {ROOT} fntrace")
    sh(f"cc -O2 -o {BUILD}/floor {HERE}/floor.c")
    sh(f"cc -O2 -o {BUILD}/calls {HERE}/calls.c")
    sh(f"cc -O2 -DINT3 -o {BUILD}/calls-int3 {HERE}/calls.c")
    if not os.path.exists(f"{BUILD}/manyfuncs"):
        sh(f"/usr/bin/python3 {HERE}/manyfuncs.py 100000 > {BUILD}/manyfuncs.c")
        sh(f"cc -O0 -o {BUILD}/manyfuncs {BUILD}/manyfuncs.c")


def per_call(n, pin):
    calls = f"{BUILD}/calls"
    base, _, _ = best([calls, str(n)], pin)
    floor, _, _ = best([f"{BUILD}/floor", f"{BUILD}/calls-int3", str(n)], pin)
    flat, rss_flat, _ = best([FNTRACE, "--flat", "-o", "/dev/null", calls, str(n)], pin)
    graph, rss_graph, _ = best([FNTRACE, "-o", "/dev/null", calls, str(n)], pin)
    summ, rss_summ, _ = best([FNTRACE, "-c", "-o", "/dev/null", calls, str(n)], pin)
    ns = lambda t: (t - base) / n * 1e9
    return {"floor": ns(floor), "flat": ns(flat), "graph": ns(graph), "summary": ns(summ),
            "rss_flat": rss_flat, "rss_graph": rss_graph, "rss_summary": rss_summ}


def planting():
    prog = f"{BUILD}/manyfuncs"
    none, _, _ = best([FNTRACE, "--flat", "-i", "no_such_function", "-o", "/dev/null", prog], False)
    every, rss, _ = best([FNTRACE, "--flat", "-o", "/dev/null", prog], False)
    return none, every, rss


def libs_startup():
    """Start-up with every function of every library traced (-l '*'), on the bundled example."""
    sh(f"make -s -C {ROOT} examples/abc")
    prog = os.path.join(ROOT, "examples", "abc")
    plain, _, _ = best([FNTRACE, "--no-libcalls", "--flat", "-o", "/dev/null", prog], False)
    every, rss, _ = best([FNTRACE, "-l", "*", "--flat", "-o", "/dev/null", prog], False)
    dbg = subprocess.run([FNTRACE, "-l", "*", "--debug=bp", "--flat", "-o", "/dev/null", prog],
                         capture_output=True, text=True).stderr
    planted = sum(int(w) for w in __import__("re").findall(r": (\d+) entry breakpoints planted", dbg))
    return plain, every, rss, planted


def big_libs_startup():
    """-l '*' on clang --version: libLLVM and libclang-cpp, a quarter of a million functions, most
    found by discovery (Debian strips its libraries). --debug=bp says how long each module took
    to read and to plant; the rest of the run is the traced calls of the static constructors."""
    clang = "/usr/lib/llvm-14/bin/clang"
    if not os.path.exists(clang):
        return None
    dbg = subprocess.run([FNTRACE, "-l", "*", "--debug=bp", "-c", "-o", "/dev/null", clang, "--version"],
                         capture_output=True, text=True).stderr
    rows = __import__("re").findall(r": (\d+) entry breakpoints planted in ([\d.]+) ms "
                                    r"\((\d+) functions read in ([\d.]+) ms\)", dbg)
    top = max(rows, key=lambda r: int(r[2]))
    return (len(rows), sum(int(r[0]) for r in rows), sum(float(r[1]) for r in rows),
            sum(int(r[2]) for r in rows), sum(float(r[3]) for r in rows), top)


def main():
    build()
    print(f"# fntrace benchmarks, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, best of {REPEAT}")
    ns = [10**5] if QUICK else [10**5, 10**6]
    print()
    print("| scheduling | N | floor ns/call | --flat ns/call (x floor) | graph ns/call (x floor) "
          "| -c ns/call (x floor) | peak RSS flat / graph / -c |")
    print("|---|---|---|---|---|---|---|")
    for pin in (False, True):
        for n in ns:
            r = per_call(n, pin)
            f = r["floor"]
            print(f"| {'one CPU (taskset -c 0)' if pin else 'default'} | {n:.0e} | {f:,.0f} "
                  f"| {r['flat']:,.0f} ({r['flat'] / f:.2f}x) | {r['graph']:,.0f} ({r['graph'] / f:.2f}x) "
                  f"| {r['summary']:,.0f} ({r['summary'] / f:.2f}x) "
                  f"| {r['rss_flat'] / 1024:.1f} / {r['rss_graph'] / 1024:.1f} / {r['rss_summary'] / 1024:.1f} MiB |",
                  flush=True)
    plain, every_lib, rss_lib, planted = libs_startup()
    print()
    print(f"-l '*' on examples/abc (libc and the loader, stripped: every function found by discovery): "
          f"{planted:,} breakpoints, whole run {every_lib * 1000:.0f} ms against {plain * 1000:.0f} ms with "
          f"--no-libcalls; peak RSS {rss_lib / 1024:.1f} MiB.")
    big = big_libs_startup()
    if big:
        mods, bps, plant_ms, funcs, read_ms, top = big
        print()
        print(f"-l '*' on clang --version: {mods} modules, {funcs:,} functions read in {read_ms:,.0f} ms, "
              f"{bps:,} breakpoints planted in {plant_ms:,.0f} ms; the largest, {int(top[2]):,} functions, "
              f"read in {float(top[3]):,.0f} ms and planted in {float(top[1]):,.0f} ms.")
    none, every, rss = planting()
    print()
    print(f"Planting 100,000 breakpoints (bench/manyfuncs.py): fntrace run with none planted {none * 1000:.0f} ms, "
          f"with all 100,002 planted {every * 1000:.0f} ms: {(every - none) * 1000:.0f} ms to plant; "
          f"peak RSS {rss / 1024:.1f} MiB.")


if __name__ == "__main__":
    main()
