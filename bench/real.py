#!/usr/bin/python3
"""Traced over untraced time of real Debian programs, -c, --fast on the full input and on a small
one, --no-fast on the small one, all in one run (best of 3; --no-fast once). The fast path's runs
have a warm disk cache of maps (a directory a first run filled). With --before PATH, that build
runs too, and this one with a cold cache (an empty directory each run), instead of --no-fast.
Usage: bench/real.py [--before PATH] [--after PATH (instead of the tree's build)]"""
import os
import random
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
F = os.path.join(HERE, "..", "fntrace")
D = os.path.join(HERE, "build", "real")
W = '{ for (i = 1; i <= NF; i++) n[$i]++ } END { for (w in n) if (n[w] > 100) print n[w], w }'


def inputs():
    os.makedirs(D, exist_ok=True)
    rnd = random.Random(1)
    nums = "".join(f"{rnd.randint(0, 10 ** 9)}\n" for _ in range(110000))
    words = ["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta", "iota", "kappa"]
    text = []
    n = 0
    while n < 1000000:
        line = " ".join(rnd.choice(words) + str(rnd.randint(0, 99)) for _ in range(10)) + "\n"
        text.append(line)
        n += len(line)
    text = "".join(text)
    # jq's input: an array of objects with numeric arrays, `map(.v|add)` sums them (libjq's
    # interpreter, jq_next and jv_*, call-dense); 500 KB and a 20 KB cut of it
    objs = [f'{{"k":{i},"v":[' + ",".join(str(rnd.randint(0, 999)) for _ in range(8)) + "]}" for i in range(10400)]
    json = lambda n: "[" + ",".join(objs[:n]) + "]\n"
    for name, data in [("nums", nums), ("n20k", nums[:20000]), ("words", text), ("w120k", text[:120000]),
                       ("w10k", text[:10000]), ("j500k", json(len(objs))), ("j20k", json(500))]:
        with open(os.path.join(D, name), "w") as f:
            f.write(data)


BEFORE = sys.argv[sys.argv.index("--before") + 1] if "--before" in sys.argv else None
F = sys.argv[sys.argv.index("--after") + 1] if "--after" in sys.argv else F
COLD = os.path.join(HERE, "build", "cache-cold")
WARM = os.path.join(HERE, "build", "cache-warm")


def best(cmd, n=3, cache="off"):
    env = dict(os.environ, FNTRACE_CACHE=cache)
    if cache == WARM:
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env)
    b = 1e9
    for _ in range(n):
        if cache == COLD:
            shutil.rmtree(COLD, ignore_errors=True)
        t = time.monotonic()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env)
        b = min(b, time.monotonic() - t)
    return b


def compare(name, cmd, lib, small):
    """Before, after with a cold cache, after with a warm one: full and small input."""
    plain, sp = best(cmd), best(small)
    cells = []
    for fntrace, cache in [(BEFORE, "off"), (F, COLD), (F, WARM)]:
        fast = best([fntrace, "--fast", "-c", "-o", "/dev/null", *lib, *cmd], cache=cache)
        sf = best([fntrace, "--fast", "-c", "-o", "/dev/null", *lib, *small], cache=cache)
        cells.append(f"{fast * 1e3:.0f} ms ({fast / plain:.1f}x), {sf * 1e3:.0f} ms ({sf / sp:.0f}x)")
    print(f"| {name} | {plain * 1e3:.0f} ms, {sp * 1e3:.0f} ms | " + " | ".join(cells) + " |", flush=True)


def cases():
    """(title, command on the full input, libraries for -l, command on the small input), on
    the inputs inputs() writes; bench/realcpu.py runs the same."""
    d = lambda name: os.path.join(D, name)
    return [
        ("sort -nr (1 MB; small: 20 KB)", ["/usr/bin/sort", "-nr", d("nums")], [], ["/usr/bin/sort", "-nr", d("n20k")]),
        ("gawk, word counts (1 MB; small: 10 KB)", ["/usr/bin/gawk", W, d("words")], [], ["/usr/bin/gawk", W, d("w10k")]),
        ("bzip2 -c -l 'libbz2*' (120 KB; small: 10 KB)", ["/usr/bin/bzip2", "-c", d("w120k")], ["libbz2*"],
         ["/usr/bin/bzip2", "-c", d("w10k")]),
        ("xz -c -l 'liblzma*' (120 KB; small: 10 KB)", ["/usr/bin/xz", "-c", d("w120k")], ["liblzma*"],
         ["/usr/bin/xz", "-c", d("w10k")]),
        ("python3 -S -c 'sum(i*i for i in range(10**5))', its own functions",
         ["/usr/bin/python3", "-S", "-c", "sum(i*i for i in range(10**5))"], [],
         ["/usr/bin/python3", "-S", "-c", "sum(i*i for i in range(10**3))"]),
        ("jq -c 'map(.v|add)' -l 'libjq*' (500 KB; small: 20 KB)", ["/usr/bin/jq", "-c", "map(.v|add)", d("j500k")],
         ["libjq*"], ["/usr/bin/jq", "-c", "map(.v|add)", d("j20k")]),
    ]


def main():
    inputs()
    if BEFORE:
        print("| program | untraced: full, small | before: --fast -c full, small | after, cold cache | after, warm cache |")
        print("|---|---|---|---|---|")
    else:
        print("| program | untraced | --fast -c | x | small input: untraced | --fast -c | x | --no-fast -c | x |")
        print("|---|---|---|---|---|---|---|---|---|")
    shutil.rmtree(WARM, ignore_errors=True)
    for name, cmd, libs, small in cases():
        if not os.path.exists(cmd[0]):
            continue
        lib = sum((["-l", l] for l in libs), [])
        if BEFORE:
            compare(name, cmd, lib, small)
            continue
        plain = best(cmd)
        fast = best([F, "--fast", "-c", "-o", "/dev/null", *lib, *cmd], cache=WARM)
        sp = best(small)
        sf = best([F, "--fast", "-c", "-o", "/dev/null", *lib, *small], cache=WARM)
        si = best([F, "--no-fast", "-c", "-o", "/dev/null", *lib, *small], 1)
        print(f"| {name} | {plain * 1e3:.0f} ms | {fast * 1e3:.0f} ms | {fast / plain:.1f} | {sp * 1e3:.0f} ms | "
              f"{sf * 1e3:.0f} ms | {sf / sp:.0f} | {si * 1e3:.0f} ms | {si / sp:.0f} |", flush=True)


if __name__ == "__main__":
    main()
    shutil.rmtree(COLD, ignore_errors=True)
    shutil.rmtree(WARM, ignore_errors=True)
