"""The core: every call of every function of the main executable, with entries, exits, nesting
and durations, on every build of the test programs (gcc and clang; non-PIE, PIE, static and
static-pie; -O0 to -O3; with and without endbr64 prologues)."""
import re

import pytest

from conftest import FNTRACE, SOME_VARIANTS, Terminal, distinct_builds, golden, prog, run, untraced

EXAMPLE_FLAT = """_start();
_init();
frame_dummy();
register_tm_clones();
main();
func1();
func3();
func2();
func2();
func3();
__do_global_dtors_aux();
deregister_tm_clones();
_fini();
"""


@pytest.mark.parametrize("opt", ["O0", "O1", "O2", "O3"])
@pytest.mark.parametrize("cf", ["cf", "nocf"])
def test_example_flat_lists_every_function_in_order(tmp_path, opt, cf):
    # The example built non-PIE with gcc: pre-main and exit-time functions included.
    r = run(["--flat", "--no-libcalls", prog(f"gcc-nopie-{opt}-{cf}", "abc")], tmp_path)
    assert r.rc == 0
    assert r.stdout == "A\nB\nB\n"
    assert r.trace == EXAMPLE_FLAT


def test_example_graph(tmp_path):
    r = run(["--no-libcalls", prog("gcc-nopie-O0-nocf", "abc")], tmp_path)
    assert r.rc == 0
    assert r.norm == golden("abc.graph")


def test_example_graph_durations_add_up(tmp_path):
    r = run([prog("gcc-nopie-O0-nocf", "abc")], tmp_path)
    units = {"ns": 1, "us": 1e3, "ms": 1e6, " s": 1e9}
    durs = {}
    for line in r.trace.splitlines():
        m = re.match(r"^ *(\d+(?:\.\d+)?) (ns|us|ms| s) \[ *\d+\] \| +(?:\} /\* (\w+) \*/|(\w+)\(\);)$", line)
        if m:
            durs.setdefault(m.group(3) or m.group(4), []).append(float(m.group(1)) * units[m.group(2)])
    # main encloses its five callees; _start encloses everything.
    assert durs["main"][0] >= sum(durs["func1"] + durs["func2"] + durs["func3"])
    assert durs["_start"][0] >= durs["main"][0]


@pytest.mark.parametrize("variant", distinct_builds("abc"))
def test_example_across_matrix(tmp_path, variant):
    r = run(["-i", "main", "-i", "func*", prog(variant, "abc")], tmp_path)
    assert r.rc == 0
    assert r.stdout == "A\nB\nB\n"
    assert r.norm == golden("abc-main.graph")


@pytest.mark.parametrize("name,variant", [(n, v) for n in ["mutual", "tail", "longjmp", "throw", "exitdeep", "kinds"]
                                          for v in distinct_builds(n)])
def test_graph_golden(tmp_path, variant, name):
    path = prog(variant, name)
    expect = untraced(path)
    globs = ["-i", "is_*"] if name == "mutual" else ["-i", "t_*"]   # a glob matching nothing is reported
    r = run([*globs, path], tmp_path)
    assert (r.rc, r.stdout, r.stderr) == (expect.returncode, expect.stdout, expect.stderr)
    assert r.norm == golden(f"{name}.graph")


@pytest.mark.parametrize("variant", distinct_builds("fib"))
def test_fib_summary_counts_every_call(tmp_path, variant):
    r = run(["-c", prog(variant, "fib"), "12"], tmp_path)
    assert r.rc == 0
    assert r.stdout == "fib(12) = 144\n"
    rows = {line.split()[-1]: line for line in r.trace.splitlines()[2:]}
    # fib(n) makes 2*fib(n+1)-1 calls: 2*233-1.
    assert re.search(r"\s465\s", rows["fib"]), rows["fib"]
    assert re.search(r"\s1\s", rows["main"]), rows["main"]


def test_summary_columns_and_order(tmp_path):
    r = run(["-c", prog("gcc-pie-O2-nocf", "fib"), "10"], tmp_path)
    lines = r.trace.splitlines()
    assert lines[0].split() == ["Total", "Self", "Calls", "Avg", "Min", "Max", "Function"]
    assert set(lines[1].replace(" ", "")) == {"="}
    units = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}
    totals = []
    for line in lines[2:]:
        f = line.split()
        totals.append(float(f[0]) * units[f[1]])
    assert totals == sorted(totals, reverse=True)
    assert lines[2].split()[-1] == "_start"


@pytest.mark.parametrize("variant", SOME_VARIANTS)
def test_program_output_and_exit_status_untouched(tmp_path, variant):
    for name, args in [("fib", ["15"]), ("die", ["exit", "42"]), ("exitdeep", []), ("exitdeep", ["x"])]:
        path = prog(variant, name)
        expect = untraced(path, args)
        r = run([path, *args], tmp_path)
        assert (r.rc, r.stdout, r.stderr) == (expect.returncode, expect.stdout, expect.stderr), name


@pytest.mark.parametrize("variant", SOME_VARIANTS)
@pytest.mark.parametrize("how,sig", [("segv", "SIGSEGV"), ("abort", "SIGABRT"), ("kill", "SIGKILL")])
def test_death_by_signal_passed_through(tmp_path, variant, how, sig):
    import signal
    r = run(["-i", "t_*", "-i", "main", prog(variant, "die"), how], tmp_path)
    assert r.rc == -getattr(signal, sig)
    assert r.trace.endswith(f"+++ killed by {sig} +++\n")
    # Every open frame is closed when the program dies.
    assert r.norm.count("{") == r.norm.count("}")


@pytest.mark.parametrize("variant", SOME_VARIANTS)
def test_program_raising_sigtrap_gets_it(tmp_path, variant):
    path = prog(variant, "die")
    r = run(["-i", "t_*", path, "trap"], tmp_path)
    assert r.rc == 0
    assert r.stdout == "handled 5\n"
    assert r.norm == golden("die-trap.graph")


@pytest.mark.parametrize("variant", SOME_VARIANTS)
def test_signal_handler_calls_nest_where_it_interrupted(tmp_path, variant):
    r = run(["-i", "t_*", prog(variant, "die"), "usr1"], tmp_path)
    assert r.rc == 0
    assert r.stdout == "handled 10\n"
    assert r.norm == golden("die-usr1.graph")


@pytest.mark.parametrize("variant", SOME_VARIANTS)
def test_interactive_program_reads_stdin(tmp_path, variant):
    path = prog(variant, "readin")
    r = run(["-i", "t_*", path], tmp_path, input="hello\nworld\nquit\nignored\n")
    assert r.rc == 3
    assert r.stdout == "> you said: hello\n> you said: world\n> "
    assert r.norm == golden("readin.graph")


def test_interactive_program_in_a_terminal(tmp_path):
    """A person types into the program while fntrace traces it (tmux gives it a real tty)."""
    out = tmp_path / "trace.txt"
    cmd = f"{FNTRACE} -o {out} -i 't_*' {prog('gcc-pie-O2-cf', 'readin')}; echo rc=$?"
    with Terminal(f"fntrace-test-{tmp_path.name}", cmd + "; sleep 30") as term:
        term.wait_for(">")
        term.send("ping", "Enter")
        term.wait_for("you said: ping")
        term.send("quit", "Enter")
        term.wait_for("rc=3")
    assert "t_answer();" in out.read_text()


def test_trace_goes_to_stderr_by_default(tmp_path):
    r = run(["--flat", "-i", "func*", prog("gcc-pie-O0-nocf", "abc")], tmp_path, to_file=False)
    assert r.stdout == "A\nB\nB\n"
    assert r.stderr == "func1();\nfunc3();\nfunc2();\nfunc2();\nfunc3();\n"
