"""What the benchmark scripts share: where things are, running a shell step, and timing a
command with its peak memory."""
import os
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.path.join(HERE, "build")
FNTRACE = os.path.join(ROOT, "fntrace")
REPEAT = 3


def sh(cmd):
    subprocess.run(cmd, shell=True, check=True)


def timed(cmd, pin=False):
    """Wall time of cmd, the peak RSS in KiB of cmd's first process, and its stdout. GNU time
    measures the RSS: Linux carries a process's peak RSS across exec, so the command must be
    started from a small process, not forked from this Python (whose size it would report)."""
    os.makedirs(BUILD, exist_ok=True)
    rss_file = os.path.join(BUILD, "rss.txt")
    cmd = ["/usr/bin/time", "-f", "%M", "-o", rss_file, *cmd]
    if pin:
        cmd = ["taskset", "-c", "0", *cmd]
    t = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    dt = time.perf_counter() - t
    with open(rss_file) as f:
        return dt, int(f.read().split()[-1]), p.stdout


def best(cmd, pin=False):
    """The best wall time and the highest peak RSS of REPEAT runs, and the first run's stdout."""
    runs = [timed(cmd, pin) for _ in range(REPEAT)]
    return min(r[0] for r in runs), max(r[1] for r in runs), runs[0][2]
