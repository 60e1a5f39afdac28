#!/usr/bin/python3
"""Traced over untraced time of real Debian programs, -c, --fast on the full input and on a small
one, --no-fast on the small one, all in one run (best of 3; --no-fast once). Usage: bench/real.py"""
import os
import random
import subprocess
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
    for name, data in [("nums", nums), ("n20k", nums[:20000]), ("words", text), ("w120k", text[:120000]),
                       ("w10k", text[:10000])]:
        with open(os.path.join(D, name), "w") as f:
            f.write(data)


def best(cmd, n=3):
    b = 1e9
    for _ in range(n):
        t = time.monotonic()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        b = min(b, time.monotonic() - t)
    return b


def main():
    inputs()
    d = lambda name: os.path.join(D, name)
    cases = [
        ("sort -nr (1 MB; small: 20 KB)", ["/usr/bin/sort", "-nr", d("nums")], [], ["/usr/bin/sort", "-nr", d("n20k")]),
        ("gawk, word counts (1 MB; small: 10 KB)", ["/usr/bin/gawk", W, d("words")], [], ["/usr/bin/gawk", W, d("w10k")]),
        ("bzip2 -c -l 'libbz2*' (120 KB; small: 10 KB)", ["/usr/bin/bzip2", "-c", d("w120k")], ["libbz2*"],
         ["/usr/bin/bzip2", "-c", d("w10k")]),
        ("xz -c -l 'liblzma*' (120 KB; small: 10 KB)", ["/usr/bin/xz", "-c", d("w120k")], ["liblzma*"],
         ["/usr/bin/xz", "-c", d("w10k")]),
        ("python3 -S -c 'sum(i*i for i in range(10**5))', its own functions",
         ["/usr/bin/python3", "-S", "-c", "sum(i*i for i in range(10**5))"], [],
         ["/usr/bin/python3", "-S", "-c", "sum(i*i for i in range(10**3))"]),
    ]
    print("| program | untraced | --fast -c | x | small input: untraced | --fast -c | x | --no-fast -c | x |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, cmd, libs, small in cases:
        if not os.path.exists(cmd[0]):
            continue
        lib = sum((["-l", l] for l in libs), [])
        plain = best(cmd)
        fast = best([F, "--fast", "-c", "-o", "/dev/null", *lib, *cmd])
        sp = best(small)
        sf = best([F, "--fast", "-c", "-o", "/dev/null", *lib, *small])
        si = best([F, "--no-fast", "-c", "-o", "/dev/null", *lib, *small], 1)
        print(f"| {name} | {plain * 1e3:.0f} ms | {fast * 1e3:.0f} ms | {fast / plain:.1f} | {sp * 1e3:.0f} ms | "
              f"{sf * 1e3:.0f} ms | {sf / sp:.0f} | {si * 1e3:.0f} ms | {si / sp:.0f} |", flush=True)


main()
