"""Exports that open right, deep traces and truncated ones.

The chrome export is loaded by the programs people open it in, run in node (tests/node/trees.mjs:
speedscope's importer and Chrome's trace engine, from npm), and the call tree each rebuilds for
every thread must be the graph's: same functions, same nesting, same order. Every track is named,
with -p too, and the command is in the metadata. A 70,000-deep recursion gives folded stacks of
bounded size, with a warning. A trace file cut anywhere closes its open calls at its last time, the
same way in every view."""
import atexit
import json
import os
import re
import resource
import select
import shutil
import signal
import subprocess
import time

import pytest

from conftest import FNTRACE, ROOT, fmt_duration, fntrace, prog

pytestmark = pytest.mark.samepath   # run once: the same whichever path made the events (conftest.py)


NODE_DIR = os.path.join(ROOT, "tests", "node")


def read(path):
    with open(path, errors="surrogateescape") as f:
        return f.read()


_trees = None   # this test process's node trees.mjs --serve: speedscope's bundle loaded once


def consumers(path):
    """What speedscope and Chrome's trace engine make of the chrome export at path."""
    global _trees
    if not shutil.which("node") or not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "speedscope")):
        pytest.fail("node or tests/node/node_modules is missing: run scripts/deps.sh")
    if _trees is None or _trees.poll() is not None:
        _trees = subprocess.Popen(["node", os.path.join(NODE_DIR, "trees.mjs"), "--serve"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        atexit.register(_trees.kill)
    _trees.stdin.write(f"{path}\n")
    _trees.stdin.flush()
    ready, _, _ = select.select([_trees.stdout], [], [], 120)
    line = _trees.stdout.readline() if ready else ""
    if not line:
        _trees.kill()
        pytest.fail(f"node trees.mjs gave no answer for {path}")
    got = json.loads(line)
    assert "error" not in got, got["error"]
    return got


LINE = re.compile(r"^.{11} \[\s*(\d+)\] \| ((?:  )*)(.*)$")


def graph_trees(text, signals=False):
    """The call graph as {tid: calls}, flat: a call's name where it opens, None where it closes;
    with signals, a signal as its line and None."""
    trees, depths = {}, {}
    for line in text.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        tid, depth, what = int(m.group(1)), len(m.group(2)) // 2, m.group(3)
        calls = trees.setdefault(tid, [])
        if what.startswith("--- "):
            calls += [what, None] if signals else []
            continue
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


# ---- the chrome export ----

def by_tid(threads):
    return {int(key.split(":")[1]): tree for key, tree in threads.items()}


def check_consumers_see_the_graph(tmp_path, target, opts):
    """Traces target, writing the chrome export and a trace file; the graph read from the file is
    the tree speedscope and the trace engine rebuild from the export, thread by thread."""
    out, ft, graph = tmp_path / "t.json", tmp_path / "t.ft", tmp_path / "t.graph"
    r = fntrace(["--format=chrome", "-o", str(out), "-w", str(ft), *opts, *target])
    assert "fntrace:" not in r.stderr, r.stderr
    assert fntrace(["-r", str(ft), "-o", str(graph)]).returncode == 0
    want = graph_trees(read(graph))
    assert want and all(want.values())
    got = consumers(out)
    ss, te = got["speedscope"], got["trace_engine"]
    assert ss["importer"] == "Importing as Trace Event Format profile"
    assert ss["warnings"] == []
    assert by_tid(ss["threads"]) == want
    assert te["errors"] == []
    assert by_tid(te["threads"]) == graph_trees(read(graph), signals=True)
    return json.loads(read(out)), got


# (id, program, arguments, fntrace options): tail calls, exit deep in the stack, threads, a C++
# throw, recursion, longjmp, signals, processes.
CASES = [
    ("abc", "abc", [], []),
    ("tail", "tail", [], []),
    ("exitdeep", "exitdeep", [], []),
    ("threads", "threads", ["calls", "30"], ["-i", "t_*", "-i", "main"]),
    ("throw", "throw", [], ["-i", "t_*", "-i", "main", "-i", "std::*", "-i", "__cxa_*", "-i", "_Unwind_*"]),
    ("fib", "fib", ["10"], []),
    ("mutual", "mutual", [], []),
    ("longjmp", "longjmp", [], []),
    ("deep", "deep", ["2000"], []),
    ("usr1", "die", ["usr1"], []),
    ("forks", "forks", ["fork"], ["-f"]),
]


@pytest.mark.parametrize("variant", ["gcc-pie-O2-cf", "clang-nopie-O0-nocf", "gcc-static-O3-nocf"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_speedscope_and_the_trace_engine_rebuild_the_graph(tmp_path, variant, case):
    _, name, args, opts = case
    check_consumers_see_the_graph(tmp_path, [prog(variant, name), *args], opts)


def test_calls_are_named_by_function_alone(tmp_path):
    # speedscope keys a frame by its name and args: args on calls would split a function by them.
    trace, got = check_consumers_see_the_graph(tmp_path, [prog("gcc-pie-O2-cf", "fib"), "8"], ["-i", "fib"])
    calls = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert calls and all("args" not in e and e["name"] == "fib" for e in calls)


def test_same_instant_ends_stay_equal_in_floating_point(tmp_path):
    # exitdeep's frames all close at the exit, at one instant: as ts + dur in binary64 (what the
    # consumers compute), each end is exactly the double its exact time reads as.
    trace, _ = check_consumers_see_the_graph(tmp_path, [prog("gcc-pie-O2-cf", "exitdeep")], [])
    out = fntrace(["--format=json", "-r", str(tmp_path / "t.ft"), "-o", str(tmp_path / "t.jsonl")])
    assert out.returncode == 0
    exits = {(e["tid"], e["fn"], e["ts"] - e["dur"]): e["ts"] for e in map(json.loads, read(tmp_path / "t.jsonl")
                                                                        .splitlines()) if e["type"] == "exit"}
    calls = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert len(calls) == len(exits)
    ends = {}
    for c in calls:
        t0 = round(c["ts"] * 1000)
        end_ns = exits[(c["tid"], c["name"], t0)]
        assert c["ts"] + c["dur"] == float(f"{end_ns // 1000}.{end_ns % 1000:03d}"), c
        assert round(c["dur"] * 1000) == end_ns - t0, c       # Perfetto's reading: exact ns
        ends.setdefault(end_ns, set()).add(c["ts"] + c["dur"])
    assert all(len(v) == 1 for v in ends.values())
    assert max(len([c for c in calls if exits[(c["tid"], c["name"], round(c["ts"] * 1000))] == e]) for e in ends) > 3


def test_metadata_names_every_track_and_the_command(tmp_path):
    out = tmp_path / "t.json"
    target = [prog("gcc-pie-O2-cf", "threads"), "calls", "5"]
    assert fntrace(["--format=chrome", "-o", str(out), "-i", "t_*", *target]).returncode == 0
    trace = json.loads(read(out))
    assert "displayTimeUnit" not in trace   # Perfetto reads "ns" there as the unit of ts
    assert trace["otherData"]["command"] == " ".join(target)
    meta = [e for e in trace["traceEvents"] if e["ph"] == "M"]
    threads = {e["tid"]: e["args"]["name"] for e in meta if e["name"] == "thread_name"}
    tids = {e["tid"] for e in trace["traceEvents"] if e["ph"] != "M"}
    assert tids <= set(threads) and len(tids) == 9
    assert set(threads.values()) == {"threads"}


def test_command_with_quotes_survives_the_trace_file(tmp_path):
    out, ft = tmp_path / "t.json", tmp_path / "t.ft"
    target = [prog("gcc-nopie-O2-nocf", "fib"), "5", "it's a test"]
    assert fntrace(["--format=chrome", "-o", str(out), "-w", str(ft), "-i", "fib", *target]).returncode == 0
    cmd = json.loads(read(out))["otherData"]["command"]
    assert cmd == target[0] + " 5 'it'\\x5c''s a test'"
    assert fntrace(["--format=chrome", "-o", str(tmp_path / "r.json"), "-r", str(ft)]).returncode == 0
    assert read(tmp_path / "r.json") == read(out)


def test_attached_threads_are_all_named(tmp_path):
    # With -p, every thread found at attach has its name, the main thread too.
    p = subprocess.Popen([prog("gcc-pie-O2-cf", "counter"), "3", "20"], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().startswith("0 ")
        out = tmp_path / "p.json"
        f = subprocess.Popen([FNTRACE, "-p", str(p.pid), "--format=chrome", "-i", "t_*", "-o", str(out)],
                             stderr=subprocess.PIPE, text=True)
        for _ in range(30):             # the main thread prints every 20 ms: traced lines
            p.stdout.readline()
        f.send_signal(signal.SIGINT)
        assert f.wait(timeout=20) == 0, f.stderr.read()
    finally:
        p.kill()
        p.wait()
    trace = json.loads(read(out))
    tids = {e["tid"] for e in trace["traceEvents"] if e["ph"] == "X"}
    assert len(tids) == 3 and p.pid not in tids      # the counting threads
    names = {e["tid"]: e["args"]["name"] for e in trace["traceEvents"]
             if e["ph"] == "M" and e["name"] == "thread_name"}
    assert names == {t: "counter" for t in tids | {p.pid}}
    procs = {e["pid"]: e["args"]["name"] for e in trace["traceEvents"]
             if e["ph"] == "M" and e["name"] == "process_name"}
    assert procs == {p.pid: "counter"}
    assert trace["otherData"]["command"].endswith("counter 3 20")


def folded_lines(text):
    return [(line.rsplit(" ", 1)[0].split(";"), int(line.rsplit(" ", 1)[1])) for line in text.splitlines()]


def exits_of(tmp_path, ft):
    out = tmp_path / "events.jsonl"
    fntrace(["--format=json", "-r", str(ft), "-o", str(out)])
    return [e for e in map(json.loads, read(out).splitlines()) if e["type"] == "exit"]


# ---- deep call paths ----

def limited(size):
    """A preexec_fn that caps the size of any file the child writes (SIGXFSZ past it)."""
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


def test_folded_cuts_a_70000_deep_recursion_with_a_warning(tmp_path):
    ft, live, replay = tmp_path / "d.ft", tmp_path / "live.folded", tmp_path / "replay.folded"
    target = [prog("gcc-pie-O2-cf", "deep"), "70000"]
    # Uncut, this writes gigabytes: past 200 MB fntrace is stopped, and the test fails.
    r = subprocess.run([FNTRACE, "--format=folded", "-o", str(live), "-w", str(ft), "-i", "t_*", *target],
                       capture_output=True, text=True, timeout=300, preexec_fn=limited(200 << 20))
    assert r.returncode == 0 and r.stdout == "70001\n"
    warning = ("fntrace: --format=folded: 69002 call paths deeper than 1000 frames cut there; their weight is on "
               "lines ending in [deeper]\n")
    assert r.stderr == warning
    r = subprocess.run([FNTRACE, "--format=folded", "-o", str(replay), "-r", str(ft)], capture_output=True, text=True,
                       timeout=300, preexec_fn=limited(200 << 20))
    assert r.returncode == 0 and r.stderr == warning
    assert read(live) == read(replay)
    size = os.path.getsize(live)
    assert size < 10 * os.path.getsize(ft), (size, os.path.getsize(ft))
    stacks = folded_lines(read(live))
    assert max(len(path) for path, _ in stacks) == 1001
    deeper = [(path, w) for path, w in stacks if path[-1] == "[deeper]"]
    assert len(deeper) == 1 and deeper[0][0][:-1] == ["t_down"] * 1000
    # The lines still add up to the traced time, and the calls to the calls.
    exits = exits_of(tmp_path, ft)
    assert sum(w for _, w in stacks) == sum(e["dur"] for e in exits if e["depth"] == 1)
    r = fntrace(["--format=folded", "--weight=calls", "-o", str(replay), "-r", str(ft)])
    assert sum(w for _, w in folded_lines(read(replay))) == len(exits) == 70002


def test_folded_paths_at_the_limit_are_not_cut(tmp_path):
    out = tmp_path / "t.folded"
    r = fntrace(["--format=folded", "--weight=calls", "-o", str(out), "-i", "t_*",
                 prog("clang-nopie-O0-nocf", "deep"), "998"])
    assert r.stderr == ""
    stacks = folded_lines(read(out))
    assert max(len(path) for path, _ in stacks) == 1000
    assert stacks[-1] == (["t_down"] * 999 + ["t_leaf"], 1)


# ---- truncated trace files ----

UNITS = {"ns": 1, "us": 10**3, "ms": 10**6, "s": 10**9}


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
