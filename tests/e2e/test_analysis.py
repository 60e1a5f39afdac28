"""Analysis of trace files (issue 11): -r A -c --diff B, -r FILE --graph FUNC, -r FILE --info.

Exact outputs come from trace files this test writes itself, with known times (conftest's
TraceFile, from doc/tracefile.md); real runs of the test programs check what does not depend on
time exactly, with times normalised."""
import os
import re
import subprocess

import pytest

from conftest import FNTRACE, US, TraceFile, fntrace, known_main_thread, prog

pytestmark = pytest.mark.samepath   # run once: the same whichever path made the events (conftest.py)

P = "gcc-pie-O2-cf"




def run_a(tmp_path):
    return known_main_thread(TraceFile()).write(tmp_path / "a.ft", 1020 * US)


def run_b(tmp_path):
    t = TraceFile()
    t.thread(200, 200, 0, "prog")
    t.call("main", 10 * US, 2010 * US,
           ("work", 100 * US, 1600 * US, ("leaf", 200 * US, 400 * US), ("leaf", 500 * US, 600 * US)),
           ("new@libnew.so.1", 1700 * US, 1750 * US))
    return t.write(tmp_path / "b.ft", 2020 * US)


DIFF_AB = """\
# A: {a}
# B: {b}
    Total A      Total B        Change         %        Self A       Self B        Change         %    Calls A   Calls B     Change  Function
===========  ===========  ============  ========   ===========  ===========  ============  ========   ========  ========  =========  ====================
   1.000 ms     2.000 ms     +1.000 ms   +100.0%    350.000 us   450.000 us   +100.000 us    +28.6%          1         1         +0  main
 500.000 us     1.500 ms     +1.000 ms   +200.0%    400.000 us     1.200 ms   +800.000 us   +200.0%          1         1         +0  work
 200.000 us   300.000 us   +100.000 us    +50.0%    200.000 us   300.000 us   +100.000 us    +50.0%          2         2         +0  leaf
          -    50.000 us    +50.000 us       new             -    50.000 us    +50.000 us       new          -         1         +1  new@libnew.so.1
  50.000 us            -    -50.000 us      gone     50.000 us            -    -50.000 us      gone          1         -         -1  old
"""


def test_diff_of_two_files_with_known_times(tmp_path):
    a, b = run_a(tmp_path), run_b(tmp_path)
    r = fntrace(["-r", a, "-c", "--diff", b])
    assert r.returncode == 0, r.stderr
    assert r.stdout == DIFF_AB.format(a=a, b=b)
    assert r.stderr == ""


def test_diff_sort_keys_and_the_other_way_round(tmp_path):
    a, b = run_a(tmp_path), run_b(tmp_path)
    def names(*opts):
        r = fntrace(["-r", a, "-c", "--diff", b, *opts])
        assert r.returncode == 0, r.stderr
        return [line.split()[-1] for line in r.stdout.splitlines()[4:]]
    assert names("-s", "self") == ["work", "leaf", "main", "new@libnew.so.1", "old"]
    assert names("-s", "calls") == ["new@libnew.so.1", "old", "leaf", "main", "work"]
    assert names("-s", "name") == ["leaf", "main", "new@libnew.so.1", "old", "work"]
    r = fntrace(["-r", b, "-c", "--diff", a])
    row = [line for line in r.stdout.splitlines() if line.endswith(" work")][0]
    assert row.split()[:9] == ["1.500", "ms", "500.000", "us", "-1.000", "ms", "-66.7%", "1.200", "ms"]
    # -i and -x filter both files alike
    r = fntrace(["-r", a, "-c", "--diff", b, "-x", "leaf", "-x", "old", "-x", "new"])
    assert [line.split()[-1] for line in r.stdout.splitlines()[4:]] == ["main", "work"]


TIME = re.compile(r"[+-]?\d+\.\d{3} (us|ms| s)|[+-]?\d+ ns")
PERCENT = re.compile(r"[+-]?\d+\.\d%")


def normalized_rows(out):
    return [" ".join(PERCENT.sub("P", TIME.sub("T", line)).split()) for line in out.splitlines()[4:]]


def test_diff_of_two_runs_with_different_inputs(tmp_path):
    fib = prog(P, "fib")
    a, b = str(tmp_path / "fib4.ft"), str(tmp_path / "fib6.ft")
    assert fntrace(["-q", "-w", a, fib, "4"]).returncode == 0
    assert fntrace(["-q", "-w", b, fib, "6"]).returncode == 0
    r = fntrace(["-r", a, "-c", "--diff", b, "-s", "calls"])
    assert r.returncode == 0, r.stderr
    assert normalized_rows(r.stdout) == [
        "T T T P T T T P 9 25 +16 fib",
    ] + [f"T T T P T T T P 1 1 +0 {f}" for f in [
        "__cxa_finalize", "__do_global_dtors_aux", "__libc_start_main", "_fini", "_init", "_start",
        "deregister_tm_clones", "frame_dummy", "main", "printf", "register_tm_clones", "strtol"]]


GRAPH_WORK_LEAF = """\
# leaf: callers above, callees below (->)
      Total         Self       Calls  Function
===========  ===========  ==========  ====================
 300.000 us   300.000 us           2      work
 100.000 us   100.000 us           1      main
 400.000 us   400.000 us           3  leaf

# work: callers above, callees below (->)
      Total         Self       Calls  Function
===========  ===========  ==========  ====================
   1.500 ms     1.200 ms           1      main
   1.500 ms     1.200 ms           1  work
 300.000 us   300.000 us           2      -> leaf
"""


def test_graph_of_functions_with_known_times(tmp_path):
    t = TraceFile()
    t.thread(100, 100, 0, "prog")
    t.call("main", 10 * US, 2010 * US,
           ("work", 100 * US, 1600 * US, ("leaf", 200 * US, 400 * US), ("leaf", 500 * US, 600 * US)),
           ("leaf", 1700 * US, 1800 * US))
    f = t.write(tmp_path / "g.ft")
    r = fntrace(["-r", f, "--graph", "[lw]*"])
    assert r.returncode == 0, r.stderr
    assert r.stdout == GRAPH_WORK_LEAF
    r = fntrace(["-r", f, "--graph=main"])
    assert r.stdout == """\
# main: callers above, callees below (->)
      Total         Self       Calls  Function
===========  ===========  ==========  ====================
   2.000 ms   400.000 us           1      (outermost)
   2.000 ms   400.000 us           1  main
   1.500 ms     1.200 ms           1      -> work
 100.000 us   100.000 us           1      -> leaf
"""


def test_graph_of_a_recursive_function_in_a_real_run(tmp_path):
    ft = str(tmp_path / "fib.ft")
    assert fntrace(["-q", "-w", ft, prog(P, "fib"), "6"]).returncode == 0
    r = fntrace(["-r", ft, "--graph", "fib"])
    assert r.returncode == 0, r.stderr
    lines = [" ".join(TIME.sub("T", line).split()) for line in r.stdout.splitlines()]
    assert lines[0] == "# fib: callers above, callees below (->)"
    assert lines[3:] == ["T T 24 fib", "T T 1 main", "T T 25 fib", "T T 24 -> fib"]
    r = fntrace(["-r", ft, "--graph", "main", "-D", "3"])   # -D: nothing deeper than main
    assert " ".join(r.stdout.split()).endswith("1 main")


def test_info_of_a_file_with_every_record(tmp_path):
    t = TraceFile()
    real = 1_700_000_000 * 10**9   # 2023-11-14 22:13:20 UTC
    t.meta(writer="0.1.0", real=real, mono=5 * 10**9, program="/usr/bin/prog", build_id="00ff12",
           command="prog 'a b'")
    t.thread(100, 100, 5 * 10**9 + 3 * 10**9, "prog")
    t.call("main", 8 * 10**9 + 10 * US, 8 * 10**9 + 1010 * US, ("f", 8 * 10**9 + 20 * US, 8 * 10**9 + 30 * US))
    t.thread(101, 100, 8 * 10**9 + 40 * US, "worker")
    t.call("f", 8 * 10**9 + 50 * US, 8 * 10**9 + 60 * US)
    t.event(0x03, [10], 8 * 10**9 + 70 * US)
    f = t.write(tmp_path / "i.ft", 8 * 10**9 + 2 * 10**6)
    r = fntrace(["-r", f, "--info"], env={**os.environ, "TZ": "UTC"})
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"""\
trace file    : {f} ({os.path.getsize(f)} bytes, format version 1)
written by    : fntrace 0.1.0
date          : 2023-11-14 22:13:23 UTC (the first event)
command       : prog 'a b'
program       : /usr/bin/prog
build-id      : 00ff12
processes     : 1: 100 (prog)
threads       : 2: 100 (prog), 101 (worker)
functions     : 2 called
events        : 10 (3 entries, 3 exits, 1 signals, 2 thread starts, 1 process ends)
duration      : 2.000 ms (from the first event to the last)
"""


def test_info_of_a_file_from_before_the_records(tmp_path):
    f = run_a(tmp_path)
    r = fntrace(["-r", f, "--info"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[1:6] == [
        "written by    : not recorded (an older fntrace)",
        "date          : not recorded (the file was written before fntrace recorded it)",
        "command       : not recorded",
        "program       : not recorded",
        "build-id      : not recorded",
    ]


def test_info_of_a_real_run(tmp_path):
    ft = str(tmp_path / "t.ft")
    threads = prog(P, "threads")
    assert fntrace(["-q", "-w", ft, "-i", "t_*", "-i", "main", threads, "calls", "3"]).returncode == 0
    r = fntrace(["-r", ft, "--info", "-o", str(tmp_path / "info.txt")])
    assert r.returncode == 0 and r.stdout == "", r.stderr
    out = (tmp_path / "info.txt").read_text()
    note = subprocess.run(["readelf", "-n", threads], capture_output=True, text=True).stdout
    build_id = re.search(r"Build ID: ([0-9a-f]+)", note).group(1)
    norm = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+", "DATE", out)
    norm = re.sub(r"\b\d{2,}\b(?= \()|\(\d+ bytes", lambda m: "(N bytes" if "bytes" in m[0] else "ID", norm)
    norm = TIME.sub("T", norm)
    assert norm.splitlines()[1:6] == [
        "written by    : fntrace 0.1.0",
        "date          : DATE (the first event)",
        f"command       : {threads} calls 3",
        f"program       : {os.path.realpath(threads)}",
        f"build-id      : {build_id}",
    ]
    assert norm.splitlines()[6].startswith("processes     : 1: ID (threads)")
    assert norm.splitlines()[7].startswith("threads       : 9: ID (threads), ID (")
    assert re.fullmatch(r"events        : ID \((\d+) entries, \1 exits, 0 signals, 9 thread starts, "
                        r"1 process ends\)", norm.splitlines()[9])


@pytest.mark.parametrize("args, message", [
    (["--diff", "B", "-c", "PROG"], "--diff reads trace files: it needs -r/--read FILE"),
    (["-r", "A", "--diff", "B"], "--diff compares the summaries of two files: it goes with -r FILE -c/--summary"),
    (["-r", "A", "--graph", "f", "-c"], "--graph is an output of its own: no -c/--summary, --flat or --format with it"),
    (["-r", "A", "--info", "--format=json"], "--info is an output of its own: no -c/--summary, --flat or --format with it"),
    (["-r", "A", "--info", "-i", "main"], "--info describes the whole file: no -i, -x or -D with it"),
    (["-r", "A", "--info", "--graph", "f"], "--diff, --graph and --info cannot be used together"),
    (["-r", "A", "-c", "--diff", "B", "--per-thread"],
     "--diff adds up every thread and process: no --per-thread or --per-process with it"),
    (["--graph", "main", "PROG"], "--graph reads trace files: it needs -r/--read FILE"),
])
def test_option_errors(args, message):
    r = fntrace(args)
    assert r.returncode == 1
    assert r.stderr == f"fntrace: {message} (see fntrace --help)\n"


def test_file_errors(tmp_path):
    a = run_a(tmp_path)
    text_file = tmp_path / "notes.txt"
    text_file.write_text("hello\n")
    missing = str(tmp_path / "missing.ft")
    for args, message in [
        (["-r", a, "-c", "--diff", missing], f"{missing}: No such file or directory"),
        (["-r", missing, "-c", "--diff", a], f"{missing}: No such file or directory"),
        (["-r", a, "-c", "--diff", str(text_file)], f"{text_file}: not an fntrace trace file"),
        (["-r", str(text_file), "--info"], f"{text_file}: not an fntrace trace file"),
        (["-r", a, "--graph", "nosuch*"], f"--graph: no function matching 'nosuch*' was called in {a}"),
    ]:
        r = fntrace(args)
        assert (r.returncode, r.stdout, r.stderr) == (1, "", f"fntrace: {message}\n"), args


def test_a_truncated_file_is_analysed_up_to_its_cut(tmp_path):
    a = run_a(tmp_path)
    data = open(a, "rb").read()
    cut = tmp_path / "cut.ft"
    cut.write_bytes(data[:-12])
    r = fntrace(["-r", str(cut), "--graph", "main"])
    assert r.returncode == 1
    assert "main" in r.stdout
    assert r.stderr.count("\n") == 1 and "truncated at byte" in r.stderr


def test_graph_finds_a_library_function_by_its_bare_name(tmp_path):
    b = run_b(tmp_path)
    r = fntrace(["-r", b, "--graph", "new"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "# new@libnew.so.1: callers above, callees below (->)"
    assert r.stdout.splitlines()[3:] == [
        "  50.000 us    50.000 us           1      main",
        "  50.000 us    50.000 us           1  new@libnew.so.1",
    ]


def test_under_asan_and_ubsan(tmp_path):
    """build/san/fntrace (ASan, UBSan), which make check builds: a report ends it with a message."""
    san = os.path.join(os.path.dirname(FNTRACE), "build", "san", "fntrace")
    if not os.path.exists(san):
        pytest.fail(f"{san} is missing: run 'make build/san/fntrace'")
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0", UBSAN_OPTIONS="print_stacktrace=1")
    a, b = run_a(tmp_path), run_b(tmp_path)
    real = str(tmp_path / "real.ft")
    assert fntrace(["-q", "-w", real, prog(P, "threads"), "calls", "3"]).returncode == 0
    for args in [["-r", a, "-c", "--diff", b], ["-r", real, "-c", "--diff", a, "-s", "calls"],
                 ["-r", b, "--graph", "*"], ["-r", real, "--graph", "*"], ["-r", real, "--info"],
                 ["-r", a, "--info"]]:
        r = subprocess.run([san, *args], capture_output=True, text=True, timeout=120, env=env)
        assert (r.returncode, r.stderr) == (0, ""), args
        assert r.stdout == fntrace(args).stdout
