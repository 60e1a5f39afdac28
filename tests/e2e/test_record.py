"""Trace files (-w, -r) and the views: every format read back from a file is what it was live;
chrome, folded, json and svg are checked for what their readers need (the svg in headless
Chromium); names that need escaping; -c -s and --per-process; bad trace files give clear errors."""
import html
import json
import math
import os
import re
import shutil
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest

from conftest import FNTRACE, PROGS, fntrace, normalize, prog

pytestmark = pytest.mark.samepath   # run once: the same whichever path made the events (conftest.py)

FORMATS = ["graph", "flat", "summary", "chrome", "folded", "json", "svg"]
# Every link mode, both compilers, -O0 and -O2, with and without endbr64.
RT_VARIANTS = ["gcc-nopie-O0-nocf", "gcc-pie-O2-cf", "clang-static-O0-cf", "clang-spie-O2-nocf"]
# (id, program, its arguments, fntrace options)
CASES = [
    ("abc", "abc", [], []),
    ("fib", "fib", ["12"], ["-i", "fib", "-i", "main"]),
    ("tail", "tail", [], ["-i", "t_*"]),
    ("mutual", "mutual", [], []),
    ("longjmp", "longjmp", [], []),
    # Filtered: in a static non-PIE build (no .eh_frame_hdr) the unwinder sorts every FDE with
    # about 110,000 calls per throw, slow to trace seven times over.
    ("throw", "throw", [], ["-i", "t_*", "-i", "main", "-i", "std::*", "-i", "__cxa_*"]),
    ("threads", "threads", ["calls", "40"], ["-i", "t_*", "-i", "main"]),
    ("forks", "forks", ["fork"], ["-f"]),
    ("exec", "forks", ["exec"], ["-f"]),
    ("usr1", "die", ["usr1"], ["-i", "t_*"]),
    ("segv", "die", ["segv"], ["-i", "t_*", "-i", "main"]),
]


def read(path):
    with open(path, errors="surrogateescape") as f:
        return f.read()


def live_and_replay(tmp_path, opts, target, name="t"):
    """Traces target with opts, writing the trace file; reads the file back with the same display
    options. Returns (live output, replayed output, path of the trace file)."""
    ft = tmp_path / f"{name}.ft"
    live, replay = tmp_path / f"{name}.live", tmp_path / f"{name}.replay"
    r = fntrace(["-o", str(live), "-w", str(ft), *opts, *target])
    assert "fntrace:" not in r.stderr, r.stderr
    display = [o for o in opts if o not in ("-f",)]
    display = [o for i, o in enumerate(display)
               if o not in ("-i", "-x", "-l") and (i == 0 or display[i - 1] not in ("-i", "-x", "-l"))]
    rr = fntrace(["-o", str(replay), "-r", str(ft), *display])
    assert rr.returncode == 0 and rr.stderr == "", rr.stderr
    return read(live), read(replay), ft


@pytest.mark.parametrize("variant", RT_VARIANTS)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_round_trip_every_format(tmp_path, variant, case):
    _, name, args, opts = case
    target = [prog(variant, name), *args]
    for fmt in FORMATS:
        live, replay, _ = live_and_replay(tmp_path, [f"--format={fmt}", *opts], target, fmt)
        assert live == replay, fmt
        assert live.strip() or fmt == "flat", fmt


@pytest.mark.parametrize("flavour", ["gcc-lazy", "clang-noplt"])
def test_round_trip_library_calls_and_dlopen(tmp_path, flavour):
    path = os.path.join(PROGS, "libcalls", flavour)
    if not os.path.exists(path):
        pytest.fail(f"{path} is missing: run 'make test-progs'")
    for fmt in FORMATS:
        live, replay, _ = live_and_replay(tmp_path, [f"--format={fmt}", "-l", "*", "-x", "_*"], [path, "dl"], fmt)
        assert live == replay, fmt
        if fmt == "flat":
            assert "plug_fn@libplug.so();" in live.splitlines()


DISPLAY_OPTIONS = [
    ["-D", "2"],
    ["--flat", "-D", "3"],
    ["-c", "-s", "self"],
    ["-c", "-s", "calls", "--per-thread"],
    ["-c", "-s", "name", "--per-process"],
    ["-c", "-s", "avg", "-D", "2"],
    ["--format=folded", "--weight=calls", "--per-thread"],
    ["--format=svg", "--per-process"],
    ["--format=chrome", "-D", "1"],
]


@pytest.mark.parametrize("opts", DISPLAY_OPTIONS, ids=[" ".join(o) for o in DISPLAY_OPTIONS])
def test_round_trip_display_options(tmp_path, opts):
    for target, trace_opts in [([prog("gcc-pie-O2-cf", "threads"), "calls", "30"], ["-i", "t_*", "-i", "main"]),
                               ([prog("clang-nopie-O0-nocf", "forks"), "fork"], ["-f"])]:
        live, replay, _ = live_and_replay(tmp_path, [*opts, *trace_opts], target)
        assert live == replay


def test_round_trip_output_separately(tmp_path):
    target = [prog("gcc-pie-O0-cf", "forks"), "fork"]
    ft = tmp_path / "f.ft"
    fntrace(["-f", "-w", str(ft), "--output-separately", "-o", str(tmp_path / "live"), *target])
    fntrace(["-r", str(ft), "--output-separately", "-o", str(tmp_path / "replay")])
    lives = sorted(p.name for p in tmp_path.glob("live.*"))
    assert len(lives) == 2
    for name in lives:
        assert read(tmp_path / name) == read(tmp_path / name.replace("live", "replay"))


def test_quiet_writes_only_the_file(tmp_path):
    ft = tmp_path / "q.ft"
    r = fntrace(["-q", "-w", str(ft), prog("gcc-nopie-O2-nocf", "abc")])
    assert r.returncode == 0 and r.stdout == "A\nB\nB\n" and r.stderr == ""
    assert fntrace(["-r", str(ft), "--flat", "-i", "func*"]).stdout == \
        "func1();\nfunc3();\nfunc2();\nfunc2();\nfunc3();\n"
    # -q -r checks a file without printing it.
    r = fntrace(["-q", "-r", str(ft)])
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")


def test_write_keeps_the_exit_status_and_signal(tmp_path):
    r = fntrace(["-w", str(tmp_path / "a.ft"), "-o", str(tmp_path / "t"), prog("gcc-pie-O2-cf", "die"), "exit", "42"])
    assert r.returncode == 42
    r = fntrace(["-w", str(tmp_path / "b.ft"), "-o", str(tmp_path / "t"), prog("gcc-pie-O2-cf", "die"), "segv"])
    assert r.returncode == -signal.SIGSEGV
    assert fntrace(["-r", str(tmp_path / "b.ft")]).stdout.endswith("+++ killed by SIGSEGV +++\n")


@pytest.mark.parametrize("globs", [["-i", "func*"], ["-i", "main", "-i", "func2"], ["-x", "puts*", "-x", "_*"],
                                   ["-i", "*", "-x", "func[13]"]])
def test_read_time_filters_match_tracing_with_them(tmp_path, globs):
    """-i/-x on -r drop the calls of other functions and recount depths: the graph is the one
    tracing with the same filters gives, durations aside."""
    path = prog("gcc-nopie-O0-nocf", "abc")
    full = tmp_path / "full.ft"
    fntrace(["-q", "-w", str(full), path])
    for fmt in ["graph", "flat", "folded"]:
        fntrace([f"--format={fmt}", "-o", str(tmp_path / "live"), *globs, path])
        live = read(tmp_path / "live")
        replay = fntrace([f"--format={fmt}", "-r", str(full), *globs]).stdout
        if fmt == "folded":
            live, replay = [re.sub(r" \d+$", "", x, flags=re.M) for x in (live, replay)]
        assert normalize(live) == normalize(replay), fmt


def test_read_and_write_filters_a_file_into_another(tmp_path):
    path = prog("gcc-nopie-O0-nocf", "abc")
    fntrace(["-q", "-w", str(tmp_path / "all.ft"), path])
    r = fntrace(["-q", "-r", str(tmp_path / "all.ft"), "-w", str(tmp_path / "some.ft"), "-i", "func*"])
    assert r.returncode == 0, r.stderr
    assert fntrace(["--flat", "-r", str(tmp_path / "some.ft")]).stdout == \
        "func1();\nfunc3();\nfunc2();\nfunc2();\nfunc3();\n"
    assert os.path.getsize(tmp_path / "some.ft") < os.path.getsize(tmp_path / "all.ft")


def decode(data):
    """A reader written from doc/tracefile.md alone: the events of a file, as the json view shows
    them (entry, exit, signal, thread_start, process_end), and the names it sets."""
    assert data[:8] == b"FNTRACE\0" and data[8:10] == b"\x01\x00"
    pos, ts, tid, pid = 12, 0, 0, 0
    funcs, stacks, out, names = [], {}, [], {}

    def varint():
        nonlocal pos
        v = shift = 0
        while True:
            b = data[pos]
            pos += 1
            v |= (b & 0x7f) << shift
            shift += 7
            if not b & 0x80:
                return v

    def signed():
        v = varint()
        return (v >> 1) ^ -(v & 1)

    def text():
        nonlocal pos
        n = varint()
        pos += n
        return data[pos - n:pos].decode()

    while True:
        tag = data[pos]
        pos += 1
        if tag == 0x1f:
            assert pos == len(data)
            return out, names
        if tag == 0x10:
            tid += signed()
            pid = varint() or pid
        elif tag == 0x11:
            funcs.append((varint(), text()))
        elif tag in (0x12, 0x13):
            key = ("process" if tag == 0x12 else "thread", varint())
            names[key] = text()
        elif tag == 0x80:
            names["command"] = text()
        elif tag == 0x84:   # the module and source line of the function defined last
            end = varint() + pos
            module = text()
            funcs[-1] += (module, data[pos:end].decode())
            pos = end
        elif tag > 0x80:
            n = varint()   # an extension: its payload is opaque to a reader that does not know it
            pos += n
        else:
            a = [varint() for _ in range({0x01: 1, 0x03: 1, 0x04: 2}.get(tag, 0))]
            ts += signed()
            st = stacks.setdefault(tid, [])
            head = {"ts": ts, "pid": pid, "tid": tid}
            if tag == 0x01:
                st.append((ts, a[0]))
                out.append({"type": "entry", **head, "depth": len(st), "fn": funcs[a[0]][1],
                            "addr": hex(funcs[a[0]][0]), **({"module": funcs[a[0]][2]} if len(funcs[a[0]]) > 2 else {})})
            elif tag == 0x02:
                t0, fn = st.pop()
                out.append({"type": "exit", **head, "depth": len(st) + 1, "fn": funcs[fn][1], "dur": ts - t0})
            elif tag == 0x03:
                out.append({"type": "signal", **head, "depth": len(st), "signo": a[0]})
            elif tag == 0x04:
                out.append({"type": "process_end", "ts": ts, "pid": a[0], "status": a[1]})
            elif tag == 0x05:
                out.append({"type": "thread_start", **head})
            else:
                raise AssertionError(f"unknown record {tag:#x} at {pos - 1}")


@pytest.mark.parametrize("target", [["abc"], ["threads", "calls", "20"], ["forks", "exec"], ["die", "usr1"]],
                         ids=["abc", "threads", "exec", "usr1"])
def test_file_format_is_as_documented(tmp_path, target):
    ft = tmp_path / "t.ft"
    fntrace(["-q", "-f", "-w", str(ft), prog("clang-pie-O0-cf", target[0]), *target[1:]])
    mine, names = decode(ft.read_bytes())
    theirs = events(ft)
    keys = lambda e: {k: v for k, v in e.items() if k != "signal" and k != "how"}
    assert [keys(e) for e in theirs if e["type"] not in ("process", "thread")] == mine
    for e in theirs:
        if e["type"] in ("process", "thread"):
            assert names[(e["type"], e["pid"] if e["type"] == "process" else e["tid"])] == e["name"]


# ---- what each view must be ----

def events(path):
    """The json view of a trace file, as a list of objects."""
    out = fntrace(["--format=json", "-r", str(path)]).stdout
    return [json.loads(line) for line in out.splitlines()]


def perfetto_ns(us):
    """A time in microseconds as Perfetto's JSON importer reads it: llround(value * 1000) ns."""
    return int(math.floor(us * 1000 + 0.5))


def check_chrome_nesting(trace, evs):
    """Read as Perfetto reads it, there is one complete event per call (per exit in the json
    view), with its exact start and duration in ns, and per thread they nest by time alone: sorted
    by start (the longer first), each lies inside the innermost one still open, or after it.
    tests/e2e/test_exports.py checks what speedscope and Chrome's trace engine rebuild."""
    calls = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert not [e for e in trace["traceEvents"] if e["ph"] in "BE"]
    spans = [(c["pid"], c["tid"], c["name"], perfetto_ns(c["ts"]), perfetto_ns(c["dur"])) for c in calls]
    exits = [(e["pid"], e["tid"], e["fn"], e["ts"] - e["dur"], e["dur"]) for e in evs if e["type"] == "exit"]
    assert sorted(spans) == sorted(exits)
    by_tid = {}
    for pid, tid, name, ts, dur in spans:
        by_tid.setdefault((pid, tid), []).append((ts, -dur, name))
    for tid, v in by_tid.items():
        stack = []
        for ts, mdur, name in sorted(v):
            end = ts - mdur
            while stack and stack[-1] <= ts:
                stack.pop()
            assert not stack or end <= stack[-1], (tid, name)
            stack.append(end)


@pytest.mark.parametrize("variant", RT_VARIANTS)
@pytest.mark.parametrize("case", [("abc", []), ("fib", ["10"]), ("threads", ["calls", "40"]), ("forks", ["fork"])],
                         ids=["abc", "fib", "threads", "forks"])
def test_chrome_is_json_with_nested_calls_and_named_tracks(tmp_path, variant, case):
    name, args = case
    ft = tmp_path / "t.ft"
    out = tmp_path / "t.json"
    r = fntrace(["-f", "--format=chrome", "-o", str(out), "-w", str(ft), prog(variant, name), *args])
    assert "fntrace:" not in r.stderr
    trace = json.loads(read(out))
    check_chrome_nesting(trace, events(ft))
    meta = [e for e in trace["traceEvents"] if e["ph"] == "M"]
    procs = {e["pid"]: e["args"]["name"] for e in meta if e["name"] == "process_name"}
    threads = {e["tid"]: e["args"]["name"] for e in meta if e["name"] == "thread_name"}
    calls = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert calls
    assert {c["pid"] for c in calls} <= set(procs) and set(procs.values()) == {name}
    assert {c["tid"] for c in calls} <= set(threads)
    if name == "threads":
        assert len({c["tid"] for c in calls}) == 9
    if name == "forks":
        assert len(procs) == 2
    ends = [e for e in trace["traceEvents"] if e["ph"] == "I" and e["cat"] == "process"]
    assert ends[-1]["name"] == "exited with 0" and ends[-1]["s"] == "p"


def test_chrome_signals_are_thread_instants(tmp_path):
    out = tmp_path / "t.json"
    fntrace(["--format=chrome", "-o", str(out), "-i", "t_*", prog("gcc-pie-O2-cf", "die"), "usr1"])
    trace = json.loads(read(out))
    sigs = [e for e in trace["traceEvents"] if e.get("cat") == "signal"]
    assert [(s["ph"], s["s"], s["name"]) for s in sigs] == [("I", "t", "SIGUSR1")]


def folded_lines(text):
    lines = text.splitlines()
    for line in lines:
        assert re.fullmatch(r"[^;]+(;[^;]+)* \d+", line), line
    return [(line.rsplit(" ", 1)[0], int(line.rsplit(" ", 1)[1])) for line in lines]


@pytest.mark.parametrize("variant", RT_VARIANTS)
@pytest.mark.parametrize("case", [("abc", []), ("fib", ["12"]), ("threads", ["calls", "40"]), ("mutual", []),
                                  ("longjmp", [])], ids=["abc", "fib", "threads", "mutual", "longjmp"])
def test_folded_weights_add_up_to_the_traced_time(tmp_path, variant, case):
    name, args = case
    ft = tmp_path / "t.ft"
    out = tmp_path / "t.folded"
    fntrace(["--format=folded", "-o", str(out), "-w", str(ft), prog(variant, name), *args])
    stacks = folded_lines(read(out))
    evs = events(ft)
    top = [e for e in evs if e["type"] == "exit" and e["depth"] == 1]
    assert sum(w for _, w in stacks) == sum(e["dur"] for e in top)
    calls = folded_lines(fntrace(["--format=folded", "--weight=calls", "-r", str(ft)]).stdout)
    assert sum(w for _, w in calls) == sum(1 for e in evs if e["type"] == "exit")
    # Every path is a chain of real calls: each frame's parent is the frame before it.
    names = {e["fn"] for e in evs if e["type"] == "entry"}
    for path, _ in calls:
        assert set(path.split(";")) <= names


def test_folded_paths_of_the_example(tmp_path):
    out = tmp_path / "abc.folded"
    fntrace(["--format=folded", "-o", str(out), "--weight=calls", "-i", "main", "-i", "func*", "-i", "puts",
             prog("gcc-nopie-O2-nocf", "abc")])
    assert read(out) == ("main 1\nmain;func1 1\nmain;func1;puts 1\nmain;func2 2\nmain;func2;puts 2\n"
                         "main;func3 2\n")
    fntrace(["--format=folded", "-o", str(out), "--weight=calls", "--per-thread", "-i", "main",
             prog("gcc-nopie-O2-nocf", "abc")])
    assert re.fullmatch(r"abc-\d+;main 1\n", read(out))


def test_json_lines_nest_and_carry_names(tmp_path):
    ft = tmp_path / "t.ft"
    fntrace(["-q", "-w", str(ft), "-i", "t_*", "-i", "main", prog("clang-pie-O2-cf", "threads"), "calls", "20"])
    evs = events(ft)
    stacks = {}
    for e in evs:
        if e["type"] == "entry":
            st = stacks.setdefault(e["tid"], [])
            st.append(e)
            assert e["depth"] == len(st) and e["addr"].startswith("0x")
        elif e["type"] == "exit":
            st = stacks[e["tid"]]
            entry = st.pop()
            assert (e["fn"], e["depth"], e["dur"]) == (entry["fn"], len(st) + 1, e["ts"] - entry["ts"])
    assert all(not st for st in stacks.values())
    kinds = {e["type"] for e in evs}
    assert kinds == {"entry", "exit", "thread_start", "process_end", "process", "thread"}
    assert [e["name"] for e in evs if e["type"] == "process"] == ["threads"]
    assert len([e for e in evs if e["type"] == "thread"]) == 9


# ---- names that every format must escape ----

WEIRD_C = r"""
#include <stdio.h>
__attribute__((noinline)) void fq(void) { __asm__ volatile(""); }
__attribute__((noinline)) void fb(void) { __asm__ volatile(""); }
__attribute__((noinline)) void fx(void) { fq(); __asm__ volatile(""); }
__attribute__((noinline)) void fs(void) { fb(); __asm__ volatile(""); }
__attribute__((noinline)) void fu(void) { __asm__ volatile(""); }
int main(void) { fx(); fs(); fu(); fu(); puts("ok"); return 0; }
"""
WEIRD = {"fq": 'quote"d', "fb": "back\\slash", "fx": "<tag attr='1'>&amp;</tag>", "fs": "semi;colon and space",
         "fu": "caf\u00e9"}
# As fntrace shows them: backslashes, control characters and bytes that are no UTF-8 character
# as \xNN; UTF-8 as it is.
SHOWN = {"fq": 'quote"d', "fb": "back\\x5cslash", "fx": "<tag attr='1'>&amp;</tag>", "fs": "semi;colon and space",
         "fu": "caf\u00e9"}


@pytest.fixture(scope="module")
def weird(tmp_path_factory):
    """A program whose functions are named with quotes, a backslash, markup, a semicolon, spaces
    and UTF-8: the symbols are renamed in the binary, which no compiler would name so."""
    d = tmp_path_factory.mktemp("weird")
    src, plain, exe = d / "weird.c", d / "plain", d / "weird"
    src.write_text(WEIRD_C)
    subprocess.run(["gcc", "-O0", "-no-pie", "-fno-pie", "-o", str(plain), str(src)], check=True)
    cmd = ["objcopy"]
    for old, new in WEIRD.items():
        cmd += ["--redefine-sym", f"{old}={new}"]
    subprocess.run([*cmd, str(plain), str(exe)], check=True)
    return str(exe)


WEIRD_OPTS = ["-i", "main", "-i", "puts", "-i", "quote*", "-i", "back?slash", "-i", "<tag*", "-i", "semi*", "-i", "caf*"]


def test_weird_names_in_every_format(tmp_path, weird):
    outs = {}
    for fmt in FORMATS:
        live, replay, _ = live_and_replay(tmp_path, [f"--format={fmt}", *WEIRD_OPTS], [weird], fmt)
        assert live == replay, fmt
        outs[fmt] = live
    flat = outs["flat"].splitlines()
    assert flat == ["main();", f"{SHOWN['fx']}();", f"{SHOWN['fq']}();", f"{SHOWN['fs']}();", f"{SHOWN['fb']}();",
                    f"{SHOWN['fu']}();", f"{SHOWN['fu']}();", "puts();"]
    # Nothing but ASCII and the one UTF-8 name.
    assert all(ord(c) < 128 for fmt in FORMATS for c in outs[fmt].replace(SHOWN["fu"], ""))
    # JSON and Chrome: every line or the whole parses, and the names come back as shown.
    names = {json.loads(line).get("fn") for line in outs["json"].splitlines()}
    assert set(SHOWN.values()) <= names
    chrome = json.loads(outs["chrome"])
    assert set(SHOWN.values()) <= {e["name"] for e in chrome["traceEvents"]}
    # Folded: a ';' inside a name would make two frames of one; it becomes ':'.
    stacks = dict(folded_lines(outs["folded"]))
    assert f"main;{SHOWN['fs'].replace(';', ':')};{SHOWN['fb']}" in stacks
    assert f"main;{SHOWN['fx'].replace(';', ':')};{SHOWN['fq']}" in stacks
    # SVG: well-formed XML whose titles hold the names, and nothing fetched from anywhere (the
    # one URL is the SVG namespace).
    assert re.findall(r"https?:[^\"]*", outs["svg"]) == ["http://www.w3.org/2000/svg"]
    root = ET.fromstring(outs["svg"])
    ns = {"s": "http://www.w3.org/2000/svg"}
    titles = [t.text for t in root.iterfind(".//s:g[@class='frame']/s:title", ns)]
    for shown in SHOWN.values():
        assert any(t.startswith(shown + " (") for t in titles), shown


# ---- the svg in a browser ----

CHROMIUM = shutil.which("chromium")


def chromium(args, tmp_path):
    profile = tmp_path / "profile"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def frames(dom):
    """{name: (x, width, hidden)} of every frame in a dumped SVG DOM (a name drawn more than once
    keeps its widest frame)."""
    out = {}
    for m in re.finditer(r'<g class="frame"( display="none")?><title>(.*?) \([^()]*\)</title><rect x="([\d.]+)" '
                         r'y="[\d.]+" width="([\d.]+)"', dom):
        name, x, w = html.unescape(m.group(2)), float(m.group(3)), float(m.group(4))
        if name not in out or w > out[name][1]:
            out[name] = (x, w, bool(m.group(1)))
    return out


def quiet_browser(c):
    """No script error, nothing written to the console."""
    assert "Uncaught" not in c.stderr and "CONSOLE" not in c.stderr, c.stderr


@pytest.mark.skipif(not CHROMIUM, reason="chromium is not installed (scripts/deps.sh installs it)")
def test_svg_in_headless_chromium(tmp_path, weird):
    svg = tmp_path / "flame.svg"
    # Weighed by calls: by time, a leaf recorded in-process takes tens of ns of a run of
    # hundreds of us, too narrow a frame to be drawn.
    r = fntrace(["--format=svg", "--weight=calls", "-o", str(svg), *WEIRD_OPTS, weird])
    assert r.returncode == 0
    url = "file://" + str(svg)
    shot = tmp_path / "flame.png"
    c = chromium(["--window-size=1200,300", f"--screenshot={shot}", url], tmp_path)
    quiet_browser(c)
    assert shot.exists() and shot.stat().st_size > 1000
    print(f"screenshot: {shot}")

    dom = chromium(["--dump-dom", url], tmp_path)
    quiet_browser(dom)
    fr = frames(dom.stdout)
    assert set(fr) == {"all", "main", "puts"} | set(SHOWN.values())
    assert not any(hidden for _, _, hidden in fr.values())
    assert fr["all"][:2] == pytest.approx((10, 1180)) and fr["main"][:2] == pytest.approx((10, 1180))
    # Callees sit on their caller: fq inside fx, fb inside fs.
    for callee, caller in [("fq", "fx"), ("fb", "fs")]:
        (xc, wc, _), (xp, wp, _) = fr[SHOWN[callee]], fr[SHOWN[caller]]
        assert xp <= xc and xc + wc <= xp + wp + 0.01

    # Zoomed in by the URL: fx fills the width, so do its ancestors, its callee is scaled, the rest
    # is hidden.
    dom = chromium(["--dump-dom", url + "#zoom=" + quote(SHOWN["fx"], safe="")], tmp_path)
    quiet_browser(dom)
    assert 'data-zoomed="' in dom.stdout
    zoomed = frames(dom.stdout)
    for name in ["all", "main", SHOWN["fx"]]:
        assert zoomed[name] == pytest.approx((10, 1180, False)), name
    (xq, wq, _), (xx, wx, _) = fr[SHOWN["fq"]], fr[SHOWN["fx"]]
    scale = 1180 / wx
    assert zoomed[SHOWN["fq"]] == pytest.approx((10 + (xq - xx) * scale, wq * scale, False), rel=1e-3)
    for name in ["puts", SHOWN["fs"], SHOWN["fb"], SHOWN["fu"]]:
        assert zoomed[name][2], name


@pytest.mark.skipif(not CHROMIUM, reason="chromium is not installed (scripts/deps.sh installs it)")
def test_svg_of_a_deep_recursion_in_chromium(tmp_path):
    svg = tmp_path / "fib.svg"
    fntrace(["--format=svg", "-o", str(svg), "-i", "fib", "-i", "main", prog("gcc-nopie-O0-nocf", "fib"), "15"])
    dom = chromium(["--dump-dom", f"file://{svg}"], tmp_path)
    quiet_browser(dom)
    # fib(15) recurses 15 deep: a frame per level, each on the one below (narrow ones left out).
    levels = re.findall(r'<title>fib \([^)]*\)</title><rect x="[\d.]+" y="([\d.]+)"', dom.stdout)
    assert len(set(levels)) >= 10


# ---- -c options ----

def summary_rows(text):
    units = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}
    rows = []
    for line in text.splitlines():
        f = line.split()
        if len(f) < 11 or not f[4].isdigit():
            continue
        rows.append({"total": float(f[0]) * units[f[1]], "self": float(f[2]) * units[f[3]], "calls": int(f[4]),
                     "avg": float(f[5]) * units[f[6]], "name": f[-1]})
    return rows


@pytest.mark.parametrize("key", ["total", "self", "calls", "avg", "name"])
def test_summary_sort_keys(tmp_path, key):
    ft = tmp_path / "t.ft"
    fntrace(["-q", "-w", str(ft), prog("gcc-nopie-O0-nocf", "fib"), "12"])
    r = fntrace(["-c", "-s", key, "-r", str(ft)])
    rows = summary_rows(r.stdout)
    assert len(rows) > 5
    vals = [row[key] for row in rows]
    assert vals == (sorted(vals) if key == "name" else sorted(vals, reverse=True))
    live = fntrace(["-c", "--sort", key, prog("gcc-nopie-O0-nocf", "fib"), "12"]).stderr
    assert {row["name"] for row in summary_rows(live)} == {row["name"] for row in rows}


def test_summary_per_process_and_per_thread(tmp_path):
    r = fntrace(["-f", "-c", "--per-process", "-i", "t_*", prog("gcc-pie-O2-cf", "forks"), "fork"])
    heads = [int(h) for h in re.findall(r"^# process (\d+) \(forks\)$", r.stderr, re.M)]
    assert len(heads) == 2 and heads[0] < heads[1]
    r = fntrace(["-c", "--per-thread", "-i", "t_*", prog("gcc-pie-O2-cf", "threads"), "calls", "30"])
    assert len(re.findall(r"^# thread \d+$", r.stderr, re.M)) == 8


# ---- bad files and options ----

def one_line_error(r, path, what):
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    assert lines and lines[-1].startswith(f"fntrace: {path}: ") and what in lines[-1], r.stderr
    assert "Traceback" not in r.stderr and "Assertion" not in r.stderr


@pytest.fixture
def good(tmp_path):
    ft = tmp_path / "good.ft"
    fntrace(["-q", "-w", str(ft), "-i", "t_*", "-i", "main", prog("gcc-pie-O2-cf", "threads"), "calls", "100"])
    return ft, ft.read_bytes()


def test_truncated_file_reads_to_its_last_complete_event(tmp_path, good):
    ft, data = good
    full = fntrace(["--flat", "-r", str(ft)]).stdout
    for cut in [len(data) - 1, len(data) * 2 // 3, len(data) // 3, 100, 13]:
        bad = tmp_path / f"cut{cut}.ft"
        bad.write_bytes(data[:cut])
        r = fntrace(["--flat", "-r", str(bad)])
        one_line_error(r, bad, "truncated at byte")
        shown = r.stdout
        assert r.stderr.count("\n") == 1
        assert full.startswith(shown)
        if cut == len(data) - 1:
            assert shown == full
        for fmt in FORMATS:
            r = fntrace([f"--format={fmt}", "-r", str(bad)])
            one_line_error(r, bad, "truncated at byte")
        r = fntrace(["--format=chrome", "-o", str(tmp_path / "c.json"), "-r", str(bad)])
        json.loads(read(tmp_path / "c.json"))   # still a whole JSON document


def test_tracer_killed_mid_run(tmp_path):
    ft = tmp_path / "killed.ft"
    p = subprocess.Popen([FNTRACE, "-q", "-w", str(ft), "-i", "t_*", prog("gcc-nopie-O2-nocf", "threads"), "calls",
                          "1000000"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while time.time() < deadline and (not ft.exists() or ft.stat().st_size < 200000):
        time.sleep(0.05)
    p.send_signal(signal.SIGKILL)
    p.wait()
    r = fntrace(["-c", "-r", str(ft)])
    one_line_error(r, ft, "truncated at byte")
    assert "t_inc" in r.stdout and "t_dec" in r.stdout


def test_future_version_and_corrupt_files(tmp_path, good):
    ft, data = good
    future = tmp_path / "future.ft"
    future.write_bytes(data[:8] + bytes([3, 0]) + data[10:])
    r = fntrace(["-r", str(future)])
    one_line_error(r, future, "trace file format version 3 is newer than this fntrace reads (2)")
    assert r.stderr.count("\n") == 1   # nothing printed before it

    for name, content, what in [
        ("text.ft", b"# DURATION     TID     FUNCTION\n", "not an fntrace trace file"),
        ("empty.ft", b"", "empty file"),
        ("header.ft", data[:9], "truncated in its header"),
        ("tag.ft", data[:12] + b"\x7e" + data[13:], "corrupt at byte 12: unknown record type 0x7e"),
    ]:
        bad = tmp_path / name
        bad.write_bytes(content)
        one_line_error(fntrace(["-r", str(bad)]), bad, what)

    # Garbage in the middle: whatever it reads as, a clear message or a trace, never a crash.
    for seed in range(40):
        bad = tmp_path / f"garbage{seed}.ft"
        at = 12 + (seed * 7919) % (len(data) - 12)
        bad.write_bytes(data[:at] + os.urandom(16) + data[at + 16:])
        for fmt in ["graph", "summary", "svg"]:
            r = fntrace([f"--format={fmt}", "-r", str(bad)])
            assert r.returncode in (0, 1), (seed, r.returncode, r.stderr[-300:])
            if r.returncode:
                one_line_error(r, bad, "")

    missing = tmp_path / "missing.ft"
    one_line_error(fntrace(["-r", str(missing)]), missing, "No such file or directory")


@pytest.mark.parametrize("args, message", [
    (["-r", "x.ft", "ls"], "-r/--read and PROGRAM cannot be used together"),
    (["-r", "x.ft", "-p", "1"], "-r/--read and -p/--pid cannot be used together"),
    (["-r", "x.ft", "--once"], "-r/--read and --once cannot be used together"),
    (["-r", "x.ft", "-l", "*"], "-r/--read and -l/--lib cannot be used together"),
    (["-r", "x.ft", "--no-libcalls"], "-r/--read and --no-libcalls cannot be used together"),
    (["-r", "x.ft", "--no-demangle"], "-r/--read and --no-demangle cannot be used together"),
    (["-r", "x.ft", "-w", "x.ft"], "-r/--read and -w/--write cannot name the same file"),
    (["--format=html", "ls"], "--format: unknown format 'html' (graph, flat, summary, chrome, folded, json, svg)"),
    (["--format=chrome", "-c", "ls"], "--format and -c/--summary cannot be used together"),
    (["--format=json", "--flat", "ls"], "--format and --flat cannot be used together"),
    (["-s", "size", "-c", "ls"], "-s/--sort: unknown key 'size' (total, self, calls, avg, name)"),
    (["-s", "calls", "ls"], "-s/--sort goes with -c/--summary"),
    (["--weight=calls", "ls"], "--weight goes with --format=folded or --format=svg"),
    (["--weight=bytes", "--format=folded", "ls"], "--weight: 'bytes' is neither time nor calls"),
    (["--per-process", "--format=json", "ls"], "--per-process goes with -c/--summary, --format=folded or --format=svg"),
    (["-c", "--per-thread", "--per-process", "ls"], "--per-thread and --per-process cannot be used together"),
    (["-q", "-o", "x", "ls"], "-q/--quiet and -o/--output cannot be used together"),
    (["-w", "/nonexistent/dir/x.ft", "ls"], "cannot create trace file /nonexistent/dir/x.ft: No such file or directory"),
])
def test_option_errors(args, message):
    r = fntrace(args)
    assert r.returncode == 1
    assert r.stderr.startswith(f"fntrace: {message}"), r.stderr
    assert r.stderr.count("\n") == 1


def test_same_format_twice_is_fine(tmp_path):
    r = fntrace(["--format=flat", "--flat", "-i", "func1", prog("gcc-pie-O0-cf", "abc")])
    assert r.stderr == "func1();\n"
    r = fntrace(["--format=summary", "-c", "-i", "func1", prog("gcc-pie-O0-cf", "abc")])
    assert r.stderr.splitlines()[-1].endswith(" func1")
