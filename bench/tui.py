#!/usr/bin/python3
"""The interactive view's start-up (--tui): wall time from start to the first screen and back out,
and peak RSS, on real traces. Usage: bench/tui.py

Each trace is opened in a tmux session of its own with `q` typed at once: the key waits in the
terminal until fntrace has read the file and drawn its first screen, so the time is the reading,
the building of the call tree and profile, one screen, and the exit. `-r FILE -c` on the same file
is shown beside it for comparison. Traces are written to bench/build/ and removed."""
import os
import subprocess
import time

from benchlib import BUILD, FNTRACE, REPEAT, ROOT, best, sh


def tui_once(path):
    """Wall seconds and peak RSS (KiB) of one fntrace -r path --tui, measured by GNU time."""
    out = os.path.join(BUILD, "tui-time.txt")
    if os.path.exists(out):
        os.remove(out)
    sock = f"fntrace-bench-{os.getpid()}"
    cmd = f"/usr/bin/time -f '%e %M' -o {out} {FNTRACE} -r {path} --tui"
    subprocess.run(["tmux", "-L", sock, "new-session", "-d", "-x", "100", "-y", "30", cmd], check=True)
    subprocess.run(["tmux", "-L", sock, "send-keys", "q"], check=True)
    for _ in range(1200):
        if os.path.exists(out) and os.path.getsize(out):
            break
        time.sleep(0.05)
    path = subprocess.run(["tmux", "-L", sock, "display", "-p", "#{socket_path}"], capture_output=True,
                          text=True).stdout.strip()
    subprocess.run(["tmux", "-L", sock, "kill-server"], capture_output=True)
    if path and os.path.exists(path):   # tmux leaves it behind
        os.unlink(path)
    with open(out) as f:
        wall, rss = f.read().split()[-2:]
    return float(wall), int(rss)


def events(path):
    info = subprocess.run([FNTRACE, "-r", path, "--info"], capture_output=True, text=True).stdout
    line = next(l for l in info.splitlines() if l.startswith("events"))
    return int(line.split(":")[1].split()[0])


def main():
    os.makedirs(BUILD, exist_ok=True)
    sh(f"make -s -C {ROOT} fntrace")
    text = os.path.join(BUILD, "tui-1m.txt")
    sh(f"base64 /dev/urandom | head -c 1000000 > {text}")
    traces = [
        ("sort, 1 MB file, -l libc.so.6", ["-l", "libc.so.6", "sort", text, "-o", "/dev/null"]),
        ("python3 -c 'import json; json.dumps(list(range(20000)))'",
         ["/usr/bin/python3", "-c", "import json; json.dumps(list(range(20000)))"]),
        ("xz -9 of the 1 MB file, -l 'liblzma*'", ["-l", "liblzma*", "xz", "-9", "-c", text]),
    ]
    print("| trace | events | file | --tui: start and quit | --tui: peak RSS | -r -c: time | -r -c: peak RSS |")
    print("|---|---|---|---|---|---|---|")
    for name, args in traces:
        path = os.path.join(BUILD, "tui.ft")
        subprocess.run([FNTRACE, "-q", "-w", path, *args], stdout=subprocess.DEVNULL, check=True)
        runs = [tui_once(path) for _ in range(REPEAT)]
        c_wall, c_rss, _ = best([FNTRACE, "-r", path, "-c"])
        print(f"| {name} | {events(path):,} | {os.path.getsize(path) / 2**20:.1f} MiB | "
              f"{min(r[0] for r in runs):.2f} s | {max(r[1] for r in runs) / 1024:.1f} MiB | "
              f"{c_wall:.2f} s | {c_rss / 1024:.1f} MiB |")
        os.remove(path)
    os.remove(text)


if __name__ == "__main__":
    main()
