"""Truncated trace files: a trace file cut anywhere closes its open calls at its last time, the
same way in every view."""
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import time

import pytest

from conftest import FNTRACE, ROOT, prog



def fntrace(args, timeout=120):
    return subprocess.run([FNTRACE, *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def read(path):
    with open(path, errors="surrogateescape") as f:
        return f.read()


LINE = re.compile(r"^.{11} \[\s*(\d+)\] \| ((?:  )*)(.*)$")


def graph_trees(text):
    """The call graph as {tid: calls}, flat: a call's name where it opens, None where it closes."""
    trees, depths = {}, {}
    for line in text.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        tid, depth, what = int(m.group(1)), len(m.group(2)) // 2, m.group(3)
        if what.startswith("--- "):
            continue
        calls = trees.setdefault(tid, [])
        if what.startswith("} /* "):
            calls.append(None)
            depths[tid] -= 1
            continue
        assert depths.setdefault(tid, 0) == depth, line
        if what.endswith("() {"):
            calls.append(what[:-4])
            depths[tid] += 1
        else:
            assert what.endswith("();"), line
            calls += [what[:-3], None]
    return trees


def folded_lines(text):
    return [(line.rsplit(" ", 1)[0].split(";"), int(line.rsplit(" ", 1)[1])) for line in text.splitlines()]


def exits_of(tmp_path, ft):
    out = tmp_path / "events.jsonl"
    fntrace(["--format=json", "-r", str(ft), "-o", str(out)])
    return [e for e in map(json.loads, read(out).splitlines()) if e["type"] == "exit"]


# ---- truncated trace files ----

UNITS = {"ns": 1, "us": 10**3, "ms": 10**6, "s": 10**9}


def fmt_duration(ns):
    """view_fmt_duration's spelling of a duration, stripped."""
    if ns < 1000:
        return f"{ns} ns"
    div, unit = 1000, "us"
    for u in ("ms", "s"):
        if ns >= div * 1000:
            div, unit = div * 1000, u
    return f"{ns // div}.{ns % div * 1000 // div:03d} {unit}"


def summary_rows(text):
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^\s*(\S+ \S+)\s+(\S+ \S+)\s+(\d+)\s+\S+ \S+\s+\S+ \S+\s+\S+ \S+\s+(.*)$", line)
        if m and m.group(3).isdigit() and not line.startswith("Total"):
            rows[m.group(4)] = (m.group(1), m.group(2), int(m.group(3)))
    return rows


def as_ns(text):
    value, unit = text.split()
    return float(value) * UNITS[unit]


@pytest.mark.parametrize("case", [("fib", "gcc-pie-O2-cf", ["14"], []),
                                  ("threads", "clang-nopie-O0-nocf", ["calls", "40"], ["-i", "t_*", "-i", "main"])],
                         ids=["fib", "threads"])
def test_truncated_files_close_open_calls_at_their_last_time_in_every_view(tmp_path, case):
    name, variant, args, opts = case
    full = tmp_path / "full.ft"
    assert fntrace(["-q", "-w", str(full), *opts, prog(variant, name), *args]).returncode == 0
    data = full.read_bytes()
    cut = tmp_path / "cut.ft"
    for frac in (0.2, 0.35, 0.5, 0.65, 0.8, 0.95):
        cut.write_bytes(data[:int(len(data) * frac)])
        outs = {}
        for fmt in ("graph", "flat", "summary", "chrome", "json", "folded", "svg"):
            out = tmp_path / f"cut.{fmt}"
            r = fntrace([f"--format={fmt}", "-r", str(cut), "-o", str(out)])
            assert r.returncode == 1 and "truncated at byte" in r.stderr, (fmt, r.stderr)
            outs[fmt] = read(out)
        evs = [json.loads(line) for line in outs["json"].splitlines()]
        entries = [e for e in evs if e["type"] == "entry"]
        exits = [e for e in evs if e["type"] == "exit"]
        assert len(entries) == len(exits) and exits
        last = max(e["ts"] for e in evs if "ts" in e)
        closed = [e for e in exits if e["ts"] == last]
        assert closed and closed[-1]["depth"] == 1       # the outermost call, last, at the last time
        # The graph closes every call; flat shows every entry.
        trees = graph_trees(outs["graph"])
        assert sum(v.count(None) for v in trees.values()) == len(exits)
        assert len(outs["flat"].splitlines()) == len(entries)
        # -c: Total >= Self for every function, and the calls add up.
        rows = summary_rows(outs["summary"])
        assert rows and all(as_ns(total) >= as_ns(self) for total, self, _ in rows.values()), rows
        assert sum(calls for _, _, calls in rows.values()) == len(exits)
        # folded gives each function the self time and the calls -c gives it.
        self_of, calls_of = {}, {}
        for path, w in folded_lines(outs["folded"]):
            self_of[path[-1]] = self_of.get(path[-1], 0) + w
        r = fntrace(["--format=folded", "--weight=calls", "-r", str(cut), "-o", str(tmp_path / "calls.folded")])
        for path, w in folded_lines(read(tmp_path / "calls.folded")):
            calls_of[path[-1]] = calls_of.get(path[-1], 0) + w
        assert {f: calls for f, (_, _, calls) in rows.items()} == calls_of
        assert {f: self for f, (_, self, _) in rows.items() if self_of.get(f)} == \
            {f: fmt_duration(w) for f, w in self_of.items()}
        top = sum(e["dur"] for e in exits if e["depth"] == 1)
        assert sum(self_of.values()) == top
        # chrome: one complete event per call; svg: the whole is the outermost calls' time.
        trace = json.loads(outs["chrome"])
        assert len([e for e in trace["traceEvents"] if e["ph"] == "X"]) == len(exits)
        assert f"<title>all ({fmt_duration(top)}, 100.00%)</title>" in outs["svg"]
