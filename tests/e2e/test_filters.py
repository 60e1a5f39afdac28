"""Filters of issue 11, live and on -r: subtrees (-F, -N) with -i, -x and -D, in every view."""
import json
import os
import re
import subprocess
import time

import pytest

from conftest import FNTRACE, SOME_VARIANTS, Terminal, fmt_duration, fntrace, normalize, prog, run

HEAD = "# DURATION       TID     FUNCTION\n"


def summary_rows(trace):
    """-c's rows as (calls, function), in their order."""
    return [(int(line.split()[4]), line.split()[-1]) for line in trace.splitlines()[2:] if line.strip()]


def recorded(tmp_path, target, opts=()):
    """A trace file of target, with nothing filtered."""
    ft = tmp_path / "all.ft"
    assert fntrace(["-q", "-w", str(ft), *opts, *target]).returncode == 0
    return str(ft)


# ---- -F, -N: subtrees ----

TAIL_F_SECOND = HEAD + """\
            [TID] | t_second() {
        DUR [TID] |   t_third();
        DUR [TID] | } /* t_second */
"""

TAIL_N_SECOND = HEAD + """\
        DUR [TID] | t_first();
        DUR [TID] | t_after();
"""


@pytest.mark.parametrize("variant", SOME_VARIANTS)
def test_filter_shows_the_subtree_from_depth_one(tmp_path, variant):
    r = run(["-i", "t_*", "-F", "t_second", prog(variant, "tail")], tmp_path)
    assert r.rc == 0 and r.stderr == "", r.stderr
    assert r.norm == TAIL_F_SECOND


@pytest.mark.parametrize("variant", SOME_VARIANTS)
def test_notrace_hides_the_function_and_its_subtree(tmp_path, variant):
    r = run(["-i", "t_*", "-N", "t_second", prog(variant, "tail")], tmp_path)
    assert r.rc == 0 and r.stderr == "", r.stderr
    assert r.norm == TAIL_N_SECOND


def test_filter_with_depth_counts_from_the_filtered_function(tmp_path):
    r = run(["-F", "main", "-D", "2", prog("gcc-nopie-O2-nocf", "abc")], tmp_path)
    assert r.norm == HEAD + """\
            [TID] | main() {
        DUR [TID] |   func1();
        DUR [TID] |   func3();
        DUR [TID] |   func2();
        DUR [TID] |   func2();
        DUR [TID] |   func3();
        DUR [TID] | } /* main */
"""


def test_filter_inside_itself_opens_at_the_outermost_call(tmp_path):
    r = run(["-F", "fib", "-D", "2", prog("clang-pie-O2-cf", "fib"), "5"], tmp_path)
    assert r.norm == HEAD + """\
            [TID] | fib() {
        DUR [TID] |   fib();
        DUR [TID] |   fib();
        DUR [TID] | } /* fib */
"""


def test_filters_repeat_take_globs_and_notrace_wins(tmp_path):
    path = prog("gcc-pie-O2-cf", "abc")
    r = run(["--flat", "-F", "func1", "-F", "func[2]", "-N", "puts", path], tmp_path)
    assert r.trace == "func1();\nfunc2();\nfunc2();\n"
    # A function under both: hidden, with what it calls.
    r = run(["--flat", "-F", "func*", "-N", "func2", path], tmp_path)
    assert r.trace == "func1();\nputs();\nfunc3();\nfunc3();\n"
    # -N inside -F, -F inside -N: the subtree of -N is hidden either way.
    r = run(["--flat", "-F", "main", "-N", "func[12]", path], tmp_path)
    assert r.trace == "main();\nfunc3();\nfunc3();\n"


def test_notrace_with_summary(tmp_path):
    """The calls hidden are not counted; their time stays in their caller's self time."""
    r = run(["-c", "-s", "name", "-N", "func2", "-F", "main", prog("gcc-pie-O2-cf", "abc")], tmp_path)
    assert summary_rows(r.trace) == [(1, "func1"), (2, "func3"), (1, "main"), (1, "puts")]
    rows = {line.split()[-1]: line.split() for line in r.trace.splitlines()[2:]}
    assert rows["main"][0:2] != rows["main"][2:4]   # main's self time is not its total


def test_filter_with_summary_per_thread(tmp_path):
    """Each thread enters and leaves its own subtrees."""
    r = run(["-c", "--per-thread", "-F", "t_inc", prog("gcc-pie-O2-cf", "threads"), "calls", "25"], tmp_path)
    assert r.rc == 0 and r.stdout == "sum 200\n"
    tables = [t for t in r.trace.split("\n\n") if t.strip()]
    assert len(tables) == 8
    for t in tables:
        assert re.search(r"\s25\s+(\S+ \S+\s+){3}t_inc$", t.rstrip().splitlines()[-1]), t
        assert "t_dec" not in t and "main" not in t


def test_include_traces_the_filtered_functions_and_exclude_wins(tmp_path):
    path = prog("gcc-pie-O2-cf", "abc")
    r = run(["--flat", "-i", "main", "-F", "func2", path], tmp_path)
    assert r.trace == "func2();\nfunc2();\n"
    r = run(["--flat", "-i", "func*", "-x", "func2", "-F", "func2", path], tmp_path)
    assert r.trace == "" and "-F/--filter 'func2' matched no function called" in r.stderr


def test_signals_show_where_their_thread_is_shown(tmp_path):
    path = prog("gcc-pie-O2-cf", "die")
    r = run(["-i", "t_*", "-F", "t_raise", path, "usr1"], tmp_path)
    assert r.norm == HEAD + """\
            [TID] | t_raise() {
            [TID] |   --- SIGUSR1 ---
        DUR [TID] |   t_in_handler();
        DUR [TID] |   t_work();
        DUR [TID] | } /* t_raise */
"""
    r = run(["-i", "t_*", "-N", "t_raise", path, "usr1"], tmp_path)
    assert r.norm == HEAD + "        DUR [TID] | t_work();\n" * 2
    r = run(["-i", "t_*", "-F", "t_in_handler", path, "usr1"], tmp_path)
    assert r.norm == HEAD + "        DUR [TID] | t_in_handler();\n"


def test_unmatched_filters_are_named(tmp_path):
    r = run(["-F", "no_such", "-N", "nor_this", "-N", "func1", prog("gcc-pie-O2-cf", "abc")], tmp_path)
    assert r.rc == 0 and r.trace == HEAD
    assert r.stderr.splitlines() == ["fntrace: -F/--filter 'no_such' matched no function called",
                                     "fntrace: -N/--notrace 'nor_this' matched no function called"]


# ---- on -r, in every view ----

VIEWS = ["graph", "flat", "summary", "chrome", "folded", "json", "svg"]
FILTERS = [["-F", "main", "-N", "func1"], ["-F", "func2"], ["-N", "func*", "-D", "3"], ["-F", "main", "-D", "2"]]


@pytest.mark.parametrize("filters", FILTERS, ids=[" ".join(f) for f in FILTERS])
def test_read_filters_as_live_in_every_view(tmp_path, filters):
    """-r FILE with a filter shows what tracing with it showed; the file holds every call."""
    path = prog("gcc-nopie-O0-nocf", "abc")
    ft = recorded(tmp_path, [path])
    for fmt in VIEWS:
        out = tmp_path / f"live.{fmt}"
        live = fntrace([f"--format={fmt}", "-o", str(out), *filters, path])
        assert live.returncode == 0 and live.stderr == "", live.stderr
        replay = fntrace([f"--format={fmt}", "-r", ft, *filters])
        assert replay.returncode == 0 and replay.stderr == "", replay.stderr
        got, want = replay.stdout, out.read_text()
        if fmt == "graph":
            got, want = normalize(got), normalize(want)
        elif fmt == "svg":
            # The flame graph leaves out frames too narrow to see: which, depends on the times.
            folded = fntrace(["--format=folded", "-r", ft, *filters]).stdout
            names = {n for line in folded.splitlines() for n in line.rsplit(" ", 1)[0].split(";")}
            got, want = shape(fmt, got) <= names | {"all"}, True
        elif fmt != "flat":   # the same calls, nested the same way; times differ
            got, want = shape(fmt, got), shape(fmt, want)
        assert got == want, fmt


def shape(fmt, text):
    """What a view says of the calls, without times, addresses or ids."""
    if fmt == "summary":
        return sorted(summary_rows(text))
    if fmt == "folded":
        return sorted(re.sub(r" \d+$", "", line) for line in text.splitlines())
    if fmt == "json":
        return [(e["type"], e.get("fn"), e.get("depth")) for e in map(json.loads, text.splitlines())
                if e["type"] in ("entry", "exit")]
    if fmt == "chrome":
        return [(e.get("name"), e.get("ph")) for e in json.loads(text)["traceEvents"] if e.get("ph") == "X"]
    if fmt == "svg":
        return set(re.findall(r"<title>([^(<]*) \(", text))
    raise AssertionError(fmt)


def test_read_filter_json_depths_start_at_one(tmp_path):
    ft = recorded(tmp_path, [prog("gcc-pie-O2-cf", "abc")])
    r = fntrace(["--format=json", "-r", ft, "-F", "func2"])
    events = [json.loads(line) for line in r.stdout.splitlines()]
    calls = [(e["type"], e["fn"], e["depth"]) for e in events if e["type"] in ("entry", "exit")]
    assert calls == [("entry", "func2", 1), ("entry", "puts", 2), ("exit", "puts", 2), ("exit", "func2", 1)] * 2


def test_read_filter_with_include(tmp_path):
    """-i on -r keeps the -F functions too; their depths are recounted as -i's are."""
    ft = recorded(tmp_path, [prog("gcc-pie-O2-cf", "abc")])
    r = fntrace(["--flat", "-r", ft, "-i", "puts", "-F", "func2"])
    assert r.stdout == "func2();\nputs();\nfunc2();\nputs();\n"


# ---- --time-filter, --time-range ----

def calls_of(text):
    """The calls of a json view, in order of entry: dicts with fn, tid, depth, ts, dur and
    the index of the enclosing call (None at the top)."""
    calls, open_ = [], {}
    for e in map(json.loads, text.splitlines()):
        if e["type"] == "entry":
            stack = open_.setdefault(e["tid"], [])
            calls.append({"fn": e["fn"], "tid": e["tid"], "depth": e["depth"], "ts": e["ts"],
                          "parent": stack[-1] if stack else None})
            stack.append(len(calls) - 1)
        elif e["type"] == "exit":
            calls[open_[e["tid"]].pop()]["dur"] = e["dur"]
    return calls


def kept(calls, keep):
    """The calls keep() wants, and every call around one of them, as (fn, tid, depth)."""
    shown = set()
    for i, c in enumerate(calls):
        if keep(c):
            while i is not None and i not in shown:
                shown.add(i)
                i = calls[i]["parent"]
    return [(c["fn"], c["tid"], c["depth"]) for i, c in enumerate(calls) if i in shown]


def shown_calls(text):
    return [(c["fn"], c["tid"], c["depth"]) for c in calls_of(text)]


def same_calls(got, want):
    """The same calls in the same order in each thread (threads interleave as they may)."""
    def split(calls):
        by = {}
        for c in calls:
            by.setdefault(c[1], []).append(c)
        return by
    return split(got) == split(want)


TIMED = {"fib": (["fib", "12"], ["-i", "fib", "-i", "main"]),
         "threads": (["threads", "churn"], ["-i", "t_*", "-i", "main", "-i", "*caller*"])}


@pytest.fixture(scope="module", params=sorted(TIMED))
def timed_file(request, tmp_path_factory):
    """A trace file with nested calls (fib) or many threads, and its calls."""
    (name, *args), opts = TIMED[request.param]
    ft = recorded(tmp_path_factory.mktemp(name), [prog("gcc-pie-O2-cf", name), *args], opts)
    return ft, calls_of(fntrace(["--format=json", "-r", ft]).stdout)


def test_time_filter_keeps_the_long_calls_and_what_is_around_them(timed_file):
    ft, calls = timed_file
    durs = sorted(c["dur"] for c in calls)
    assert len(durs) > 10
    for threshold in (durs[len(durs) // 2], durs[-3], durs[0]):
        r = fntrace(["--format=json", "-r", ft, f"--time-filter={threshold}ns"])
        assert r.returncode == 0 and r.stderr == "", r.stderr
        want = kept(calls, lambda c: c["dur"] >= threshold)
        assert same_calls(shown_calls(r.stdout), want)
        assert len(want) < len(calls) or threshold == durs[0]
        # The graph nests the same calls: a line per call, at its depth.
        graph = fntrace(["--flat", "-r", ft, f"--time-filter={threshold}ns"]).stdout
        assert sorted(w for w in graph.split() if w.endswith("();")) == sorted(f"{c[0]}();" for c in want)


def test_time_filter_with_summary(timed_file):
    ft, calls = timed_file
    threshold = sorted(c["dur"] for c in calls)[len(calls) // 2]
    r = fntrace(["-c", "-s", "name", "-r", ft, f"--time-filter={threshold}ns"])
    want = {}
    for fn, _, _ in kept(calls, lambda c: c["dur"] >= threshold):
        want[fn] = want.get(fn, 0) + 1
    assert dict((fn, n) for n, fn in summary_rows(r.stdout)) == want


def test_time_range_keeps_the_calls_begun_in_it(timed_file):
    ft, calls = timed_file
    first = json.loads(fntrace(["--format=json", "-r", ft]).stdout.splitlines()[0])["ts"]
    starts = sorted(c["ts"] for c in calls)
    lo, hi = starts[len(starts) // 3], starts[2 * len(starts) // 3]
    for spec, keep in [
        (f"{lo // 10**9}.{lo % 10**9:09d}~{hi // 10**9}.{hi % 10**9:09d}", lambda c: lo <= c["ts"] <= hi),
        (f"+{lo - first}ns~+{hi - first}ns", lambda c: lo <= c["ts"] <= hi),
        (f"{lo - first}ns~", lambda c: c["ts"] >= lo),
        (f"~+{hi - first}ns", lambda c: c["ts"] <= hi),
    ]:
        r = fntrace(["--format=json", "-r", ft, f"--time-range={spec}"])
        assert r.returncode == 0 and r.stderr == "", r.stderr
        assert same_calls(shown_calls(r.stdout), kept(calls, keep)), spec


def test_time_filter_live_shows_all_or_nothing_at_the_extremes(tmp_path):
    path = prog("gcc-pie-O2-cf", "abc")
    every = run(["-i", "main", "-i", "func*", path], tmp_path).norm
    assert run(["--time-filter", "1ns", "-i", "main", "-i", "func*", path], tmp_path).norm == every
    r = run(["--time-filter", "1000s", "-i", "main", "-i", "func*", path], tmp_path)
    assert r.rc == 0 and r.stdout == "A\nB\nB\n" and r.trace == HEAD


def test_time_filter_with_filter_and_depth(tmp_path):
    """-F picks the subtree, the time filter its long calls, -D the depth."""
    r = run(["-F", "main", "--time-filter", "1ns", "-D", "1", prog("gcc-pie-O2-cf", "abc")], tmp_path)
    assert r.norm == HEAD + "        DUR [TID] | main();\n"


# ---- -T: triggers ----

ABC_CALLS = ["-i", "main", "-i", "func*", "-i", "puts"]
TRIGGERS = {
    "on-off": (["-T", "func1@trace_on", "-T", "func2@trace_off"], """\
            [TID] | func1() {
        DUR [TID] |   puts();
        DUR [TID] | } /* func1 */
        DUR [TID] | func3();
"""),
    # Off inside main: main's exit is still shown, so main is a leaf.
    "off-open": (["-T", "func1@trace_off"], "        DUR [TID] | main();\n"),
    # On inside a call not shown: depth 1; on again after off.
    "on-inside": (["-T", "puts@trace_on", "-T", "func3@trace_off"], """\
        DUR [TID] | puts();
        DUR [TID] | puts();
            [TID] | func2() {
        DUR [TID] |   puts();
        DUR [TID] | } /* func2 */
"""),
    "depth": (["-T", "main@depth=2", "-T", "func2@depth=1"], """\
            [TID] | main() {
        DUR [TID] |   func1();
        DUR [TID] |   func3();
        DUR [TID] |   func2();
        DUR [TID] |   func2();
        DUR [TID] |   func3();
        DUR [TID] | } /* main */
"""),
    "actions": (["-T", "func[12]@trace_on,depth=1", "-T", "func3@notrace"], """\
        DUR [TID] | func1();
        DUR [TID] | func2();
        DUR [TID] | func2();
"""),
    "filter": (["-T", "func2@filter"], """\
            [TID] | func2() {
        DUR [TID] |   puts();
        DUR [TID] | } /* func2 */
""" * 2),
}


@pytest.mark.parametrize("variant", ["gcc-nopie-O0-nocf", "clang-pie-O2-cf"])
@pytest.mark.parametrize("case", sorted(TRIGGERS))
def test_triggers_live_and_read(tmp_path, variant, case):
    triggers, want = TRIGGERS[case]
    path = prog(variant, "abc")
    r = run([*ABC_CALLS, *triggers, path], tmp_path)
    assert r.rc == 0 and r.stderr == "", r.stderr
    assert r.norm == HEAD + want
    ft = recorded(tmp_path, [path], ABC_CALLS)
    replay = fntrace(["-r", ft, *triggers])
    assert replay.stderr == "" and normalize(replay.stdout) == HEAD + want


def test_triggers_in_every_view_on_read(tmp_path):
    ft = recorded(tmp_path, [prog("gcc-pie-O2-cf", "abc")], ABC_CALLS)
    trig = ["-T", "func1@trace_on", "-T", "func2@trace_off"]
    assert fntrace(["--flat", "-r", ft, *trig]).stdout == "func1();\nputs();\nfunc3();\n"
    assert summary_rows(fntrace(["-c", "-s", "name", "-r", ft, *trig]).stdout) == \
        [(1, "func1"), (1, "func3"), (1, "puts")]
    calls = shown_calls(fntrace(["--format=json", "-r", ft, *trig]).stdout)
    assert [(c[0], c[2]) for c in calls] == [("func1", 1), ("puts", 2), ("func3", 1)]
    folded = fntrace(["--format=folded", "-r", ft, *trig]).stdout
    assert sorted(re.sub(r" \d+$", "", x) for x in folded.splitlines()) == ["func1", "func1;puts", "func3"]


def test_trigger_on_a_library_function_and_unmatched(tmp_path):
    r = run(["--flat", "-T", "puts@libc.so.6@trace_on", "-T", "nosuch@trace_off", "-l", "libc.so.6", "-i", "puts*",
             "-i", "func*", prog("gcc-pie-O2-cf", "abc")], tmp_path)
    assert r.trace.splitlines()[0] == "puts@libc.so.6();"
    assert r.stderr == "fntrace: -T/--trigger 'nosuch' matched no function called\n"


# ---- -C: the paths to a function ----

CALLERS = {
    "puts": (["-C", "puts"], """\
            [TID] | main() {
            [TID] |   func1() {
        DUR [TID] |     puts();
        DUR [TID] |   } /* func1 */
            [TID] |   func2() {
        DUR [TID] |     puts();
        DUR [TID] |   } /* func2 */
            [TID] |   func2() {
        DUR [TID] |     puts();
        DUR [TID] |   } /* func2 */
        DUR [TID] | } /* main */
"""),
    # Not what FUNC calls: func2 is a leaf.
    "func2": (["-C", "func2"], """\
            [TID] | main() {
        DUR [TID] |   func2();
        DUR [TID] |   func2();
        DUR [TID] | } /* main */
"""),
    "globs": (["-C", "func[13]", "-C", "nothing*", "-N", "func1"], """\
            [TID] | main() {
        DUR [TID] |   func3();
        DUR [TID] |   func3();
        DUR [TID] | } /* main */
"""),
    "with-F-and-D": (["-C", "puts", "-F", "func2", "-D", "1"], """\
        DUR [TID] | func2();
        DUR [TID] | func2();
"""),
}


@pytest.mark.parametrize("variant", ["gcc-static-O2-nocf", "gcc-pie-O0-cf"])
@pytest.mark.parametrize("case", sorted(CALLERS))
def test_caller_filter_live_and_read(tmp_path, variant, case):
    opts, want = CALLERS[case]
    path = prog(variant, "abc")
    r = run([*ABC_CALLS, *opts, path], tmp_path)
    assert r.rc == 0, r.stderr
    assert r.norm == HEAD + want
    ft = recorded(tmp_path, [path], ABC_CALLS)
    replay = fntrace(["-r", ft, *opts])
    assert normalize(replay.stdout) == HEAD + want


def test_caller_filter_in_summary_and_recursion(tmp_path):
    r = run(["-c", "-s", "name", *ABC_CALLS, "-C", "func2", prog("gcc-pie-O2-cf", "abc")], tmp_path)
    assert summary_rows(r.trace) == [(2, "func2"), (1, "main")]
    # Every fib call leads to a fib call: the paths are the whole recursion.
    r = run(["-c", "-C", "fib", "-i", "fib", "-i", "main", prog("gcc-pie-O2-cf", "fib"), "10"], tmp_path)
    assert sorted(summary_rows(r.trace)) == [(1, "main"), (177, "fib")]


def test_caller_filter_with_time_filter(timed_file):
    """-C and --time-filter together: the long calls of the function, and their paths."""
    ft, calls = timed_file
    target = "fib" if any(c["fn"] == "fib" for c in calls) else "t_slow"
    threshold = sorted(c["dur"] for c in calls if c["fn"] == target)[-2]
    r = fntrace(["--format=json", "-r", ft, "-C", target, f"--time-filter={threshold}ns"])
    want = kept(calls, lambda c: c["fn"] == target and c["dur"] >= threshold)
    assert want and same_calls(shown_calls(r.stdout), want)


# ---- columns: --output-fields, -t ----

def squeeze(text):
    """A duration column as fmt_duration spells it ("1.5  s" is "1.5 s")."""
    return " ".join(text.split())


@pytest.fixture(scope="module")
def abc_file(tmp_path_factory):
    """A trace file of abc and its json events."""
    tmp = tmp_path_factory.mktemp("abc")
    ft = recorded(tmp, [prog("gcc-pie-O2-cf", "abc")], ABC_CALLS)
    return ft, [json.loads(x) for x in fntrace(["--format=json", "-r", ft]).stdout.splitlines()]


def test_elapsed_and_delta_columns_of_flat(abc_file):
    ft, evs = abc_file
    first = evs[0]["ts"]
    entries = [e for e in evs if e["type"] == "entry"]
    r = fntrace(["--flat", "--output-fields=elapsed,delta", "-r", ft])
    assert r.returncode == 0 and r.stderr == "", r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == len(entries)
    prev = None
    for line, e in zip(lines, entries):
        assert squeeze(line[:11]) == fmt_duration(e["ts"] - first)
        assert squeeze(line[12:23]) == ("" if prev is None else fmt_duration(e["ts"] - prev))
        assert line[24:] == f"{e['fn']}();"
        prev = e["ts"]


def test_graph_columns_in_the_order_given(abc_file):
    ft, evs = abc_file
    first = evs[0]["ts"]
    r = fntrace(["-r", ft, "--output-fields=+elapsed"])
    lines = r.stdout.splitlines()
    assert lines[0] == "#  DURATION       TID     ELAPSED   FUNCTION"
    # main's entry opens a block: no duration, the time since the first event of its entry.
    main = next(e for e in evs if e["type"] == "entry" and e["fn"] == "main")
    m = re.fullmatch(r" {11} \[ *\d+\] +(\S+ +\S+) \| main\(\) \{", lines[1])
    assert m and squeeze(m.group(1)) == fmt_duration(main["ts"] - first)
    r = fntrace(["-r", ft, "--output-fields=tid,delta"])
    assert r.stdout.splitlines()[0] == "#     TID       DELTA   FUNCTION"
    assert re.fullmatch(r"\[ *\d+\] {13}\| main\(\) \{", r.stdout.splitlines()[1])
    assert all(re.fullmatch(r"\[ *\d+\] +-?\d+\.?\d* (ns|us|ms| s) \| .*", x) for x in r.stdout.splitlines()[2:])


def test_wall_clock_columns_agree(abc_file):
    """-ttt is the event clock plus the date record's offset; -tt the same time of day (UTC)."""
    ft, evs = abc_file
    entries = [e for e in evs if e["type"] == "entry"]
    env = {"TZ": "UTC", "PATH": "/usr/bin:/bin"}
    ttt = subprocess.run([FNTRACE, "--flat", "-ttt", "-r", ft], capture_output=True, text=True, env=env).stdout
    tt = subprocess.run([FNTRACE, "--flat", "-tt", "-r", ft], capture_output=True, text=True, env=env).stdout
    t = subprocess.run([FNTRACE, "--flat", "-t", "-r", ft], capture_output=True, text=True, env=env).stdout
    offsets = []
    for a, b, c, e in zip(ttt.splitlines(), tt.splitlines(), t.splitlines(), entries):
        sec, _, rest = a.partition(" ")
        assert rest == f"{e['fn']}();"
        s, us = sec.split(".")
        offsets.append(int(s) * 10**9 + int(us) * 1000 - e["ts"])
        day = time.strftime("%H:%M:%S", time.gmtime(int(s)))
        assert b == f"{day}.{us} {rest}" and c == f"{day} {rest}"
    assert len(offsets) == len(entries) and max(offsets) - min(offsets) < 1000
    # The date the file records: within a day of now.
    assert abs(int(ttt.split(".")[0]) - time.time()) < 86400


def test_t_live_puts_the_time_first(tmp_path):
    r = run(["-t", *ABC_CALLS, prog("gcc-pie-O2-cf", "abc")], tmp_path)
    lines = r.trace.splitlines()
    assert lines[0] == "#   TIME    DURATION       TID   FUNCTION"
    assert all(re.match(r"\d\d:\d\d:\d\d {13}\[", x) or re.match(r"\d\d:\d\d:\d\d +\d", x) for x in lines[1:]), lines
    r = run(["--flat", "-tt", "-i", "func1", prog("gcc-pie-O2-cf", "abc")], tmp_path)
    assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{6} func1\(\);\n", r.trace)


# ---- --color, the pager ----

def test_color_always_auto_never(tmp_path):
    ft = recorded(tmp_path, [prog("gcc-pie-O2-cf", "die"), "usr1"], ["-i", "t_*"])
    always = fntrace(["--color=always", "-r", ft]).stdout
    assert "\033[35m--- SIGUSR1 ---\033[0m" in always
    # Durations from 1 ms in yellow: t_raise waits for its signal's handler.
    for line in always.splitlines():
        m = re.match(r"^(\033\[3[13]m)?( *[\d.]+ (ns|us|ms| s))(\033\[0m)? \[", line)
        if m:
            unit = m.group(3)
            assert (m.group(1) or "") == {"ms": "\033[33m", " s": "\033[31m"}.get(unit, ""), line
    plain = fntrace(["-r", ft]).stdout
    assert "\033" not in plain                       # auto, piped
    assert re.sub(r"\033\[\d+m", "", always) == plain
    assert "\033" not in fntrace(["--color=never", "-r", ft]).stdout
    env = dict(os.environ, NO_COLOR="1")
    assert "\033" in subprocess.run([FNTRACE, "--colour=always", "-r", ft], capture_output=True, text=True,
                                    env=env).stdout


def test_color_error():
    r = fntrace(["--color=sometimes", "ls"])
    assert r.stderr == "fntrace: --color: 'sometimes' is not auto, always or never (see fntrace --help)\n"


def long_trace(tmp_path):
    """A trace file whose graph is longer than a screen."""
    return recorded(tmp_path, [prog("gcc-pie-O2-cf", "fib"), "8"], ["-i", "fib"])


def test_read_on_a_terminal_goes_through_the_pager(tmp_path):
    ft = long_trace(tmp_path)
    env = f"env -u PAGER -u LESS TERM=xterm-256color"
    with Terminal(f"fntrace-pager-{os.getpid()}", f"{env} {FNTRACE} -r {ft}; echo EXITED $?; sleep 30",
                  height=12) as term:
        term.wait_for("fib() {")
        term.wait_for(lambda s: s.rstrip().endswith(":"))   # less waits at its prompt
        assert "EXITED" not in term.screen()
        term.send("G")
        term.wait_for(lambda s: "(END)" in s)
        term.send("q")
        term.wait_for("EXITED 0")


def test_no_pager_and_pager_env(tmp_path):
    ft = long_trace(tmp_path)
    # No pager: the whole trace is written, and the shell goes on with no key pressed.
    with Terminal(f"fntrace-nopager-{os.getpid()}", f"env -u PAGER {FNTRACE} --no-pager -r {ft}; echo EXITED; "
                  "sleep 30", height=12) as term:
        term.wait_for("EXITED")
        assert "} /* fib */\nEXITED" in term.screen()
    # $PAGER is run by the shell; cat means none.
    out = tmp_path / "paged"
    with Terminal(f"fntrace-pagerenv-{os.getpid()}", f"PAGER='cat > {out}' {FNTRACE} -r {ft} --flat; echo EXITED; "
                  "sleep 30", height=12) as term:
        term.wait_for("EXITED")
    assert out.read_text() == fntrace(["-r", ft, "--flat"]).stdout


# ---- every option error of this file's options ----

@pytest.mark.parametrize("args, message", [
    (["-r", "x.ft", "--graph", "main", "-F", "main"], "--graph adds up whole files: no -F, -N, -C, -T, --tid, --pid-filter, --time-filter or --time-range with it"),
    (["-r", "x.ft", "--info", "-N", "main"], "--info adds up whole files: no -F, -N, -C, -T, --tid, --pid-filter, --time-filter or --time-range with it"),
    (["-F"], "option requires an argument -- 'F'"),
    (["--notrace"], "option '--notrace' requires an argument"),
])
def test_filter_option_errors(args, message):
    r = fntrace(args)
    assert r.returncode == 1
    assert r.stderr.startswith(f"fntrace: {message}"), r.stderr


# ---- --tid, --pid-filter ----

def events(text):
    """The json view's events, as (type, pid, tid, fn), the names of tracks at the end left out."""
    return [(e["type"], e["pid"], e.get("tid"), e.get("fn")) for e in map(json.loads, text.splitlines())
            if e["type"] not in ("process", "thread")]


def test_tid_shows_those_threads_only(tmp_path):
    ft = recorded(tmp_path, [prog("gcc-pie-O2-cf", "threads"), "calls", "3"], ["-i", "t_*"])
    every = events(fntrace(["--format=json", "-r", ft]).stdout)
    tids = sorted({e[2] for e in every if e[0] == "entry"})
    assert len(tids) == 8
    some = tids[2:4]
    r = fntrace(["--format=json", "-r", ft, "--tid", f"{some[0]}", "--tid", f"{some[1]}"])
    assert r.returncode == 0 and r.stderr == ""
    assert events(r.stdout) == [e for e in every if e[2] in some or e[0] == "process_end"]
    r = fntrace(["-c", "--per-thread", "-r", ft, "--tid", f"{some[0]},{some[1]}"])
    assert [line for line in r.stdout.splitlines() if line.startswith("# thread")] == \
        [f"# thread {t}" for t in some]


def test_pid_filter_shows_that_process_and_its_end(tmp_path):
    ft = recorded(tmp_path, [prog("gcc-pie-O2-cf", "forks"), "fork"], ["-f", "-i", "t_*"])
    every = events(fntrace(["--format=json", "-r", ft]).stdout)
    parent = every[0][1]
    child = next(e[1] for e in every if e[1] != parent)
    r = fntrace(["--format=json", "-r", ft, "--pid-filter", str(child)])
    assert r.returncode == 0 and r.stderr == ""
    assert events(r.stdout) == [e for e in every if e[1] == child]
    assert [e[0] for e in events(r.stdout)] == ["thread_start", "entry", "exit", "process_end"]
    r = fntrace(["--flat", "-r", ft, "--pid-filter", str(parent)])
    assert r.stdout == "t_parent_work();\nt_do_fork();\n--- SIGCHLD ---\nt_parent_work();\n"


def test_tid_of_another_process_shows_its_end(tmp_path):
    """--tid of a process's main thread: the process's end is shown, its child's is not."""
    ft = recorded(tmp_path, [prog("gcc-pie-O2-cf", "forks"), "fork"], ["-f", "-i", "t_*"])
    every = events(fntrace(["--format=json", "-r", ft]).stdout)
    parent = every[0][1]
    r = fntrace(["--format=json", "-r", ft, "--tid", str(parent)])
    assert [e[0] for e in events(r.stdout) if e[0] == "process_end"] == ["process_end"]
    assert {e[1] for e in events(r.stdout)} == {parent}


def test_ids_matching_nothing_are_named(tmp_path):
    r = run(["--tid", "999999999", "--pid-filter", "999999998", prog("gcc-pie-O2-cf", "abc")], tmp_path)
    assert r.rc == 0 and r.trace == HEAD
    assert sorted(r.stderr.splitlines()) == ["fntrace: --pid-filter 999999998 matched no process",
                                             "fntrace: --tid 999999999 matched no thread"]


@pytest.mark.parametrize("args, message", [
    (["--tid", "x", "ls"], "--tid: 'x' is not a thread id"),
    (["--tid", ",", "ls"], "--tid: ',' is not a thread id"),
    (["--pid-filter", "0", "ls"], "--pid-filter: '0' is not a process id"),
    (["--time-filter", "5", "ls"], "--time-filter: '5' is not a duration like 5us, 1.5ms or 2s (ns, us, ms, s)"),
    (["--time-filter", "0us", "ls"], "--time-filter: '0us' is not a duration like 5us, 1.5ms or 2s (ns, us, ms, s)"),
    (["--time-filter", "1.5m", "ls"], "--time-filter: '1.5m' is not a duration like 5us, 1.5ms or 2s (ns, us, ms, s)"),
    (["--time-range", "1ms", "ls"], "--time-range: '1ms' is not START~END (either may be left out)"),
    (["--time-range", "x~", "ls"], "--time-range: 'x' is no timestamp (seconds, as 21774.3336) nor a time since "
                                   "the start (+1.5ms; ns, us, ms, s)"),
    (["-T", "main", "ls"], "-T/--trigger: 'main' is not FUNC@ACTION[,ACTION...]"),
    (["-T", "main@", "ls"], "-T/--trigger: 'main@' is not FUNC@ACTION[,ACTION...]"),
    (["-T", "main@trace", "ls"], "-T/--trigger: unknown action 'trace' (trace_on, trace_off, depth=N, filter, notrace)"),
    (["-T", "main@depth=0", "ls"], "-T/--trigger: unknown action 'depth=0' (trace_on, trace_off, depth=N, filter, notrace)"),
    (["-T", "main@trace_on,trace_off", "ls"], "-T/--trigger: 'main@trace_on,trace_off' turns the trace both on and off"),
    (["--output-fields=size", "ls"], "--output-fields: unknown field 'size' (duration, tid, time, elapsed, delta, module)"),
    (["--output-fields=duration", "--flat", "ls"], "--output-fields: no duration with --flat (it prints entries)"),
    (["-c", "-t", "ls"], "-t goes with the call graph or --flat"),
    (["--format=json", "-o", "x", "--output-fields=tid", "ls"], "--output-fields goes with the call graph or --flat"),
    (["--output-fields=,", "ls"], "--output-fields: ',' has no field"),
])
def test_option_errors(args, message):
    r = fntrace(args)
    assert r.returncode == 1 and r.stderr == f"fntrace: {message} (see fntrace --help)\n", r.stderr
