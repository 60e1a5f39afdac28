"""The interactive view of trace files (issue 11): fntrace -r FILE --tui, driven in tmux.

A test types keys as a person would and reads the screen with `tmux capture-pane`; the row under
the cursor is the one drawn in reverse video. The exact screens come from trace files with known
times (conftest's TraceFile); a real run of a test program checks the rest, times
normalised."""
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import FNTRACE, US, Terminal, TraceFile, known_main_thread, prog

pytestmark = pytest.mark.samepath   # run once: the same whichever path made the events (conftest.py)

REVERSE = re.compile(r"\x1b\[(?:[0-9;]*;)?7(?:;[0-9;]*)?m")
TIME = re.compile(r"\d+(\.\d+)? (ns|us|ms| s)")


def known_file(tmp_path):
    """Two threads of one process: main calls work (which calls leaf), leaf and old; the worker
    thread calls work once."""
    t = known_main_thread(TraceFile())
    t.thread(101, 100, 0, "worker")
    t.call("work", 1000 * US, 1600 * US, ("leaf", 1100 * US, 1400 * US))
    return t.write(tmp_path / "k.ft", 2000 * US)


class Tui(Terminal):
    """fntrace --tui on a file in a tmux session; the shell then says how it ended."""

    def __init__(self, tmp_path, args, height=16, width=80, stty=False):
        """With stty, the terminal's settings are saved before (in tmp_path/before) and after."""
        save = f"stty -g > {tmp_path}/before; " if stty else ""
        again = f"stty -g > {tmp_path}/after; " if stty else ""
        cmd = f"{save}{FNTRACE} {args}; echo rc=$?; {again}sleep 60"
        super().__init__(f"fntrace-tui-{tmp_path.name}", cmd, height=height, width=width)
        self.wait_for("Function")

    def lines(self):
        return self.screen().rstrip("\n").split("\n")

    def body(self):
        """The rows between the column titles and the status line, blank ones at the end dropped."""
        rows = self.lines()[2:-1]
        while rows and not rows[-1].strip():
            rows.pop()
        return [r.rstrip() for r in rows]

    def selected(self):
        """The row under the cursor (in reverse video), or None."""
        out = self.tmux("capture-pane", "-e", "-p", "-t", self.name).stdout.split("\n")
        for i, line in enumerate(out[2:], 2):
            if REVERSE.search(line):
                return self.lines()[i].rstrip()
        return None

    def keys(self, *keys, expect=None):
        """Sends keys, then waits until the screen's body is expect (a list of rows), if given."""
        self.send(*keys)
        if expect is None:
            time.sleep(0.3)
            return
        for _ in range(100):
            if self.body() == expect:
                return
            time.sleep(0.05)
        assert self.body() == expect


GRAPH = [
    "   1.000 ms           1  - thread 100 (prog)",
    "   1.000 ms           1    - main",
    " 500.000 us           1      - work",
    " 100.000 us           1          leaf",
    " 100.000 us           1        leaf",
    "  50.000 us           1        old",
    " 600.000 us           1  - thread 101 (worker)",
    " 600.000 us           1    - work",
    " 300.000 us           1        leaf",
]


def test_graph_folds_unfolds_and_moves(tmp_path):
    with Tui(tmp_path, f"-r {known_file(tmp_path)} --tui") as t:
        assert t.lines()[0].startswith(" call graph - fntrace /")
        assert t.lines()[1] == "      Total       Calls  Function"
        assert t.body() == GRAPH
        assert t.selected() == GRAPH[0]
        t.keys("j", "Down")
        assert t.selected() == GRAPH[2]
        t.keys("Enter", expect=GRAPH[:2] + [" 500.000 us           1      + work"] + GRAPH[4:])
        t.keys("Space", expect=GRAPH)
        t.keys("-", expect=GRAPH[:2] + [" 500.000 us           1      + work"] + GRAPH[4:])
        t.keys("Left")   # on a folded node: up to its caller
        assert t.selected() == GRAPH[1]
        t.keys("Left", expect=GRAPH[:1] + ["   1.000 ms           1    + main"] + GRAPH[6:])
        t.keys("k", "Enter", expect=["   1.000 ms           1  + thread 100 (prog)"] + GRAPH[6:])
        t.keys("e", expect=GRAPH)
        folded_main = "   1.000 ms           1    + main"
        t.keys("x", expect=[GRAPH[0], folded_main, GRAPH[6], " 600.000 us           1    + work"])
        t.keys("End")
        assert t.selected() == " 600.000 us           1    + work"
        t.keys("+", expect=[GRAPH[0], folded_main] + GRAPH[6:])
        t.keys("Home")
        assert t.selected() == GRAPH[0]
        t.keys("q")
        t.wait_for("rc=0")


def test_search_finds_a_function_and_unfolds_its_callers(tmp_path):
    with Tui(tmp_path, f"-r {known_file(tmp_path)} --tui") as t:
        t.keys("x")
        t.keys("/", "lea", "Enter", expect=GRAPH[:7] + [" 600.000 us           1    + work"])
        assert t.selected() == GRAPH[3]
        t.keys("n")
        assert t.selected() == GRAPH[4]
        t.keys("n", expect=GRAPH)
        assert t.selected() == GRAPH[8]
        t.keys("n")
        assert t.selected() == GRAPH[3]
        assert t.lines()[-1] == "search went on from the top"
        t.keys("N")
        assert t.selected() == GRAPH[8]
        assert t.lines()[-1] == "search went on from the bottom"
        t.keys("/", "o*d", "Enter")   # a glob
        assert t.selected() == GRAPH[5]
        t.keys("/", "nosuch", "Enter")
        assert t.lines()[-1] == "no call of a function matching 'nosuch'"
        assert t.selected() == GRAPH[5]


SUMMARY = [
    "   1.100 ms   700.000 us           2   550.000 us   500.000 us   600.000 us  work",
    "   1.000 ms   350.000 us           1     1.000 ms     1.000 ms     1.000 ms  main",
    " 500.000 us   500.000 us           3   166.666 us   100.000 us   300.000 us  leaf",
    "  50.000 us    50.000 us           1    50.000 us    50.000 us    50.000 us  old",
]


def test_summary_sorted_by_each_column(tmp_path):
    with Tui(tmp_path, f"-r {known_file(tmp_path)} --tui", width=100) as t:
        t.keys("c", expect=SUMMARY)
        assert t.lines()[1] == ("     *Total         Self       Calls          Avg          Min          Max"
                                "  Function")
        assert t.lines()[-1].startswith("sorted by Total; ")
        t.keys("s", expect=[SUMMARY[0], SUMMARY[2], SUMMARY[1], SUMMARY[3]])
        assert t.lines()[1].startswith("      Total        *Self ")
        t.keys("s", expect=[SUMMARY[2], SUMMARY[0], SUMMARY[1], SUMMARY[3]])   # calls
        assert t.lines()[-1].startswith("sorted by Calls; ")
        t.keys("s", "s", "s", "s", expect=[SUMMARY[2], SUMMARY[1], SUMMARY[3], SUMMARY[0]])   # by name
        t.keys("S", "S", "S", "S", "S", "S", expect=SUMMARY)
        t.keys("Tab", expect=GRAPH)
        t.keys("Tab", expect=SUMMARY)


def test_summary_on_80_columns_leaves_out_min_and_max(tmp_path):
    with Tui(tmp_path, f"-r {known_file(tmp_path)} --tui") as t:
        t.keys("c", expect=[r[:51] + r[77:] for r in SUMMARY])   # the name moves left
        assert t.lines()[1] == "     *Total         Self       Calls          Avg  Function"


def test_function_screen_lists_callers_callees_and_call_paths(tmp_path):
    with Tui(tmp_path, f"-r {known_file(tmp_path)} --tui") as t:
        t.keys("c", "j", "Enter", expect=[
            "   1.000 ms   350.000 us           1      (outermost)",
            "   1.000 ms   350.000 us           1  main",
            " 500.000 us   400.000 us           1      -> work",
            " 100.000 us   100.000 us           1      -> leaf",
            "  50.000 us    50.000 us           1      -> old",
            "",
            "      Total                    Calls  Call paths (Enter: show in the graph)",
            "   1.000 ms                        1  main",
        ])
        assert t.lines()[0].startswith(" function - ")
        assert t.selected() == "   1.000 ms   350.000 us           1  main"
        t.keys("j", "Enter", expect=[
            " 600.000 us   300.000 us           1      (outermost)",
            " 500.000 us   400.000 us           1      main",
            "   1.100 ms   700.000 us           2  work",
            " 400.000 us   400.000 us           2      -> leaf",
            "",
            "      Total                    Calls  Call paths (Enter: show in the graph)",
            " 500.000 us                        1  main > work",
            " 600.000 us                        1  work",
        ])
        t.keys("End", "Enter", expect=GRAPH)   # the second path: the worker's work
        assert t.selected() == GRAPH[7]
        t.keys("f", "b")   # back from a function opened in the graph: the graph
        assert t.body() == GRAPH
        t.keys("c", "Home", "j", "Enter", "j", "Enter", "b")
        assert t.selected() == "   1.000 ms   350.000 us           1  main"
        t.keys("b")
        assert t.lines()[0].startswith(" summary - ")


def test_per_process_merges_the_threads(tmp_path):
    with Tui(tmp_path, f"-r {known_file(tmp_path)} --tui") as t:
        t.keys("p", expect=[
            "   1.600 ms           2  - process 100 (prog)",
            "   1.000 ms           1    - main",
            " 500.000 us           1      - work",
            " 100.000 us           1          leaf",
            " 100.000 us           1        leaf",
            "  50.000 us           1        old",
            " 600.000 us           1    - work",
            " 300.000 us           1        leaf",
        ])
        assert t.lines()[-1] == "the call graph per process"
        t.keys("p", expect=GRAPH)


def test_help_and_quit_restore_the_terminal(tmp_path):
    with Tui(tmp_path, f"-r {known_file(tmp_path)} --tui", stty=True) as t:
        t.keys("?")
        assert t.lines()[0].startswith(" help - ")
        assert "  /  search a function (text, or a glob with * ? [)    n N  next, previous" in t.lines()
        t.keys("j", expect=GRAPH)   # any key closes the help
        t.keys("h")
        assert t.lines()[0].startswith(" help - ")
        t.keys("q")
        t.wait_for("rc=0")
        assert "fntrace" not in t.screen()   # the shell's screen is back
        t.wait_for(lambda s: (tmp_path / "after").exists() and (tmp_path / "after").stat().st_size)
    assert (tmp_path / "before").read_text() == (tmp_path / "after").read_text()


def pane_child(t):
    """The pid of the process the pane's shell runs (fntrace)."""
    shell = t.tmux("display", "-p", "-t", t.name, "#{pane_pid}").stdout.strip()
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if pid.isdigit() and fields[1] == shell:
            return int(pid)
    return None


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_restores_the_terminal_and_a_resize_redraws(tmp_path, sig):
    with Tui(tmp_path, f"-r {known_file(tmp_path)} --tui", stty=True) as t:
        assert t.tmux("resize-window", "-t", t.name, "-x", "60", "-y", "8").returncode == 0
        t.wait_for(lambda s: len(s.rstrip("\n").split("\n")) == 8 and "thread 101" not in s)
        assert t.body() == GRAPH[:5]
        assert t.lines()[-1] == "Enter: fold  f: function  c: summary  /: search  ?: help  q: quit"[:59]   # not the last cell
        pid = pane_child(t)
        assert pid
        os.kill(pid, sig)
        t.wait_for(f"rc={128 + sig}")
        # The view's screen is gone (the shell may echo the killed command, fntrace's path in it).
        assert "call graph -" not in t.screen() and "Enter: fold" not in t.screen()
        t.wait_for(lambda s: (tmp_path / "after").exists() and (tmp_path / "after").stat().st_size)
    assert (tmp_path / "before").read_text() == (tmp_path / "after").read_text()


def test_a_real_run(tmp_path):
    ft = tmp_path / "fib.ft"
    r = subprocess.run([FNTRACE, "-q", "-w", str(ft), prog("gcc-pie-O2-cf", "fib"), "4"], capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=60)
    assert r.returncode == 0
    with Tui(tmp_path, f"-r {ft} --tui -i 'main' -i 'fib'") as t:
        rows = [" ".join(TIME.sub("T", row).split()) for row in t.body()]
        assert rows[0].startswith("T 1 - thread ") and rows[0].endswith(" (fib)")
        assert rows[1:] == ["T 1 - main", "T 1 - fib", "T 2 - fib", "T 4 - fib", "T 2 fib"]
        t.keys("/", "fib", "Enter", "n", "n", "n")
        assert " ".join(TIME.sub("T", t.selected()).split()) == "T 2 fib"
        t.keys("f")
        rows = [" ".join(TIME.sub("T", row).split()) for row in t.body()]
        assert sorted(rows[:2]) == ["T T 1 main", "T T 8 fib"]   # callers, the larger total first
        assert rows[2:4] == ["T T 9 fib", "T T 8 -> fib"]
        assert rows[-4:] == ["T 1 main > fib", "T 2 main > fib > fib", "T 4 main > fib > fib > fib",
                             "T 2 main > fib > fib > fib > fib"]


@pytest.mark.parametrize("args, message", [
    (["--tui"], "fntrace: --tui shows a trace file: it needs -r/--read FILE (see fntrace --help)"),
    (["--tui", "-c", "-r", "F"], "fntrace: --tui is a view of its own: only -i, -x and -D go with it "
     "(see fntrace --help)"),
    (["--tui", "-o", "out", "-r", "F"], "fntrace: --tui is a view of its own: only -i, -x and -D go with it "
     "(see fntrace --help)"),
    (["--tui", "--info", "-r", "F"], "fntrace: --tui and --info cannot be used together (see fntrace --help)"),
    (["--tui", "-r", "F", "prog"], "fntrace: -r/--read and PROGRAM cannot be used together (see fntrace --help)"),
])
def test_option_errors(tmp_path, args, message):
    r = subprocess.run([FNTRACE, *args], capture_output=True, text=True, stdin=subprocess.DEVNULL, cwd=tmp_path)
    assert (r.returncode, r.stdout, r.stderr) == (1, "", message + "\n")


def test_without_a_terminal_it_says_so(tmp_path):
    f = known_file(tmp_path)
    r = subprocess.run([FNTRACE, "-r", f, "--tui"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert (r.returncode, r.stdout, r.stderr) == (1, "", "fntrace: --tui needs a terminal: the standard "
                                                 "input is not one\n")
    with Terminal(f"fntrace-tui-pipe-{tmp_path.name}",
                  f"{FNTRACE} -r {f} --tui > {tmp_path}/out; echo rc=$?; sleep 60") as t:
        t.wait_for("rc=")
        assert "fntrace: --tui needs a terminal: the standard output is not one\nrc=1" in t.screen()


def test_under_asan_and_ubsan(tmp_path):
    """build/san/fntrace (ASan, UBSan, leaks too), which make check builds, through every screen; a
    report would end it with a status other than 0, its message kept in a file."""
    san = os.path.join(os.path.dirname(FNTRACE), "build", "san", "fntrace")
    if not os.path.exists(san):
        pytest.fail(f"{san} is missing: run 'make build/san/fntrace'")
    real = tmp_path / "real.ft"
    r = subprocess.run([FNTRACE, "-q", "-w", str(real), prog("gcc-pie-O2-cf", "threads"), "calls", "3"],
                       capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
    assert r.returncode == 0
    for i, f in enumerate([known_file(tmp_path), str(real)]):
        cmd = (f"UBSAN_OPTIONS=print_stacktrace=1 {san} -r {f} --tui 2> {tmp_path}/err; echo rc=$?; sleep 60")
        with Terminal(f"fntrace-tui-san{i}-{tmp_path.name}", cmd, width=100) as t:
            t.wait_for("Function", seconds=20)
            t.send("j", "Enter", "x", "e", "/", "t_", "Enter", "n", "N", "p", "p", "End", "f", "j", "Enter",
                   "End", "Enter", "c", "s", "s", "S", "Enter", "Home", "Enter", "b", "b", "?", "j", "q")
            t.wait_for("rc=", seconds=20)
            assert "rc=0" in t.screen(), (tmp_path / "err").read_text()


def test_the_summary_is_the_c_table(tmp_path):
    """The same rows as -r FILE -c, in the same order, on a real run with threads."""
    ft = tmp_path / "t.ft"
    r = subprocess.run([FNTRACE, "-q", "-w", str(ft), "-i", "t_*", "-i", "main", prog("gcc-pie-O2-cf", "threads"),
                        "calls", "2"], capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
    assert r.returncode == 0
    table = subprocess.run([FNTRACE, "-r", str(ft), "-c", "-s", "calls"], capture_output=True, text=True,
                           stdin=subprocess.DEVNULL).stdout.splitlines()[2:]
    assert 2 < len(table) < 30
    with Tui(tmp_path, f"-r {ft} --tui", height=40, width=120) as t:
        t.keys("c", "s", "s", expect=table)


def test_calls_screen_lists_each_call(tmp_path):
    with Tui(tmp_path, f"-r {known_file(tmp_path)} --tui") as t:
        t.keys("c", "f", "l", expect=[
            " 100.000 us   500.000 us         100      2  work",
            "   1.000 ms   600.000 us         101      1  work",
        ])
        assert t.lines()[0].startswith(" calls - ")
        assert t.lines()[1] == "      Start     Duration         TID  Depth  Function"
        t.keys("j")
        assert t.selected() == "   1.000 ms   600.000 us         101      1  work"
        t.keys("b")
        assert t.lines()[0].startswith(" function - ")
        assert t.selected() == "   1.100 ms   700.000 us           2  work"


def test_calls_screen_shows_arguments_and_return_values(tmp_path):
    # a trace file written with -a: each call of the function with its arguments and its value
    ft = tmp_path / "args.ft"
    r = subprocess.run([FNTRACE, "-q", "-a", "-i", "t_*", "-w", str(ft), prog("args", "gcc-O2-g")],
                       capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
    assert r.returncode == 0
    with Tui(tmp_path, f"-r {ft} --tui", width=120) as t:
        t.keys("/", "t_ints", "Enter", "f", "l")
        rows = [" ".join(TIME.sub("T", row).split()) for row in t.body()]
        assert len(rows) == 1 and rows[0].endswith(" 1 t_ints(a=1, b=-2, c=3, d=4) = 6"), rows
        t.keys("b", "b", "/", "t_str", "Enter", "f", "l")
        rows = [row.split(" t_str", 1)[1] for row in t.body()]
        assert rows == ['(s="tab\\there \\33[31mred\\33[0m") = 21', '(s="a string much longer than thirty"...) = 60']
