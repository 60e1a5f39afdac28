#!/usr/bin/python3
"""fntrace -p killed by SIGKILL at random moments (issue 9, "a killed tracer"): how often the
program dies of it, at the kill (a thread at one of fntrace's traps, single-stepped, or running
a system call fntrace injected) and after (an int3 the guardian left). Each run starts a busy
attachee (two workers in traced calls, a thread in read(2), one in a futex), attaches
`fntrace -p PID -i 't_*'`, kills it at a moment drawn uniformly from the first WINDOW seconds
(the attach, when fntrace maps its scratch, the threads' blocks and the trampolines by system
calls run in the threads, takes most of that), waits for the guardian's end, then asks the
program for a new thread running traced calls and for a sigaction (an int3 fntrace kept), and
for its normal end. The fntraces given are run in turn, in the same run. Usage:
bench/killed.py [--runs N] [--window S] FNTRACE [FNTRACE...]"""
import argparse
import os
import random
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROG = os.path.join(ROOT, "tests/build/progs/gcc-pie-O2-cf/attachee")


def guardian_gone(tracer, timeout=20.0):
    name = f"ftguard-{tracer}"[:15]
    deadline = time.time() + timeout
    while time.time() < deadline:
        alive = False
        for d in os.listdir("/proc"):
            try:
                with open(f"/proc/{d}/comm") as c:
                    alive = alive or c.read().strip() == name
            except OSError:
                pass
        if not alive:
            return
        time.sleep(0.005)


def ask(p, line, want):
    try:
        p.stdin.write(line + "\n")
        p.stdin.flush()
        return p.stdout.readline() == want + "\n"
    except BrokenPipeError:
        return False


def one(fntrace, delay):
    """'kill' if the program died at the kill, 'after' if later, 'ok' if it ran on to its end."""
    p = subprocess.Popen([PROG, "2"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline() == "started\n"
        time.sleep(0.1)
        f = subprocess.Popen([fntrace, "-p", str(p.pid), "-i", "t_*", "-o", os.devnull],
                             stderr=subprocess.DEVNULL)
        time.sleep(delay)
        f.kill()
        f.wait()
        guardian_gone(f.pid)
        time.sleep(0.05)
        if p.poll() is not None:
            return "kill"
        if not (ask(p, "thread", "thread ok") and ask(p, "sig", "sig ok")):
            return "after"
        out, _ = p.communicate(timeout=60)
        return "ok" if out == "ok\n" and p.returncode == 0 else "after"
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--window", type=float, default=0.3)
    ap.add_argument("fntraces", nargs="+")
    a = ap.parse_args()
    counts = {f: {"ok": 0, "kill": 0, "after": 0} for f in a.fntraces}
    for i in range(a.runs):
        for f in a.fntraces:
            counts[f][one(f, random.uniform(0, a.window))] += 1
        if (i + 1) % 10 == 0:
            print(f"{i + 1} runs: {counts}", flush=True)
    with open("/proc/loadavg") as l:
        load = l.read().split()[0]
    for f, c in counts.items():
        print(f"{f}: {a.runs} runs, died at the kill {c['kill']}, after {c['after']}, ran on {c['ok']} "
              f"(load {load})")


main()
