"""Options: filters (-i, -x), depth (-D), --once, -c, -o, --help, --version, --debug=step."""
import re
import subprocess

import pytest

from conftest import FNTRACE, SOME_VARIANTS, golden, prog, run


def names(trace):
    return [line[:-3] for line in trace.splitlines()]


@pytest.mark.parametrize("variant", SOME_VARIANTS)
def test_include_globs_repeat(tmp_path, variant):
    r = run(["--flat", "-i", "func1", "-i", "func[23]", prog(variant, "abc")], tmp_path)
    assert names(r.trace) == ["func1", "func3", "func2", "func2", "func3"]


@pytest.mark.parametrize("variant", SOME_VARIANTS)
def test_exclude_wins_over_include(tmp_path, variant):
    r = run(["--flat", "-i", "func*", "-i", "main", "-x", "func2", prog(variant, "abc")], tmp_path)
    assert names(r.trace) == ["main", "func1", "func3", "func3"]


def test_exclude_alone(tmp_path):
    r = run(["--flat", "--no-libcalls", "-x", "_*", "-x", "*tm_clones", "-x", "frame_dummy", prog("gcc-nopie-O0-nocf", "abc")],
            tmp_path)
    assert names(r.trace) == ["main", "func1", "func3", "func2", "func2", "func3"]


def test_include_matching_nothing_still_runs_the_program(tmp_path):
    r = run(["-i", "no_such_function", prog("gcc-pie-O2-cf", "abc")], tmp_path)
    assert r.rc == 0 and r.stdout == "A\nB\nB\n"
    assert r.trace == "# DURATION       TID     FUNCTION\n"


@pytest.mark.parametrize("variant", SOME_VARIANTS)
def test_depth_limits_nesting(tmp_path, variant):
    r = run(["-D", "2", "-i", "t_*", prog(variant, "tail")], tmp_path)
    assert r.norm == golden("tail-depth2.graph")


def test_depth_one_on_the_example(tmp_path):
    r = run(["--depth=1", "-i", "main", "-i", "func*", prog("gcc-nopie-O2-nocf", "abc")], tmp_path)
    assert r.norm.splitlines()[1:] == ["        DUR [TID] | main();"]


def test_depth_applies_to_flat_and_summary(tmp_path):
    path = prog("clang-pie-O2-cf", "fib")
    r = run(["--flat", "-D", "3", "-i", "fib", path, "10"], tmp_path)
    assert names(r.trace) == ["fib"] * 7      # 1 + 2 + 4 calls in the first three levels
    r = run(["-c", "-D", "3", "-i", "fib", path, "10"], tmp_path)
    assert re.search(r"\s7\s+\S+ \S+\s+\S+ \S+\s+\S+ \S+\s+fib$", r.trace.splitlines()[2])


@pytest.mark.parametrize("variant", SOME_VARIANTS)
def test_once_traces_first_call_only(tmp_path, variant):
    path = prog(variant, "fib")
    r = run(["--flat", "--once", "-i", "fib", "-i", "main", path, "10"], tmp_path)
    assert names(r.trace) == ["main", "fib"]
    r = run(["--once", "-i", "fib", "-i", "main", path, "10"], tmp_path)
    assert r.norm.splitlines()[1:] == ["            [TID] | main() {", "        DUR [TID] |   fib();",
                                       "        DUR [TID] | } /* main */"]
    assert r.stdout == "fib(10) = 55\n"


def test_once_summary_lists_in_first_hit_order(tmp_path):
    path = prog("gcc-nopie-O0-nocf", "abc")
    flat = run(["--flat", path], tmp_path).trace
    first = list(dict.fromkeys(names(flat)))
    r = run(["-c", "--once", path], tmp_path)
    rows = r.trace.splitlines()[2:]
    assert [row.split()[-1] for row in rows] == first
    assert all(row.split()[4] == "1" for row in rows)


def test_output_file_and_program_output_kept_apart(tmp_path):
    out = tmp_path / "t.txt"
    proc = subprocess.run([FNTRACE, "--output", str(out), "--flat", "-i", "func1", prog("gcc-pie-O0-cf", "abc")],
                          capture_output=True, text=True)
    assert proc.stdout == "A\nB\nB\n" and proc.stderr == ""
    assert out.read_text() == "func1();\n"


def test_summary_of_recursion_counts_total_once(tmp_path):
    r = run(["-c", "-i", "fib", "-i", "main", prog("gcc-nopie-O2-nocf", "fib"), "15"], tmp_path)
    units = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}
    rows = {}
    for line in r.trace.splitlines()[2:]:
        f = line.split()
        rows[f[-1]] = [float(f[i]) * units[f[i + 1]] for i in (0, 2, 5, 7, 9)] + [int(f[4])]
    total, self_, avg, mn, mx, calls = rows["fib"]
    assert calls == 1973
    # fib's total is its outermost call, not the sum over the recursion, and never exceeds main's.
    assert total <= rows["main"][0]
    assert total == pytest.approx(mx, rel=0.01)
    assert mn <= avg <= mx and self_ <= total


def test_help_and_version():
    h = subprocess.run([FNTRACE, "--help"], capture_output=True, text=True)
    assert h.returncode == 0 and h.stdout.startswith("Usage: fntrace [OPTIONS] [--] PROGRAM [ARGS...]")
    for opt in ["--output", "--flat", "--summary", "--include", "--exclude", "--depth", "--once"]:
        assert opt in h.stdout
    v = subprocess.run([FNTRACE, "--version"], capture_output=True, text=True)
    assert v.returncode == 0 and re.fullmatch(r"fntrace \d+\.\d+\.\d+\n", v.stdout)


def test_double_dash_ends_options(tmp_path):
    r = run(["--flat", "-i", "func1", "--", prog("gcc-pie-O0-cf", "abc"), "--flat"], tmp_path)
    assert r.rc == 0 and r.trace == "func1();\n"


def test_debug_step_tells_how_each_breakpoint_is_stepped_over(tmp_path):
    r = run(["--no-fast", "--debug=step", "-i", "t_k_*", prog("gcc-pie-O2-nocf", "kinds")], tmp_path)
    how = dict(re.findall(r"debug: (t_k_\w+) at 0x[0-9a-f]+: ([a-z /()]+?) \(\d+ bytes\)", r.stderr))
    assert how["t_k_push"] == "emulate push"
    assert how["t_k_movreg"] == "emulate mov reg"
    assert how["t_k_subsp"] == "emulate add/sub rsp"
    assert how["t_k_xor"] == "emulate xor"
    assert how["t_k_jmp"] == "emulate jmp"
    assert how["t_k_jcc"] == "emulate jcc"
    assert how["t_k_call"] == "emulate call"
    assert how["t_k_ret"] == "emulate ret"
    assert how["t_k_nop"] == "emulate skip"
    assert how["t_k_riprel"] == "out of line"
    assert how["t_k_other"] == "out of line"
    assert how["t_k_jrcxz"] == "none (not traced)"
