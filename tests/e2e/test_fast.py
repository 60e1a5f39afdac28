"""The fast path (--fast): calls recorded inside the program by injected trampolines, where a
function's entry or a return site can take a jump, and breakpoints everywhere else. Whatever
path each call takes, every view must say what the breakpoints alone say (durations aside), and
the program must compute what it computes untraced."""
import json
import os
import re
import subprocess

import pytest

from conftest import SOME_VARIANTS, normalize, prog, run, untraced

# Every test here chooses its path (--fast, --no-fast): the int3 pass does not run them again.
pytestmark = pytest.mark.onepath

PROGS = ["fasthaz", "mutual", "tail", "longjmp", "throw", "exitdeep", "kinds", "fib", "shortjmp"]
SUMMARY = re.compile(r"^\s*\d+(?:\.\d+)? (?:ns|us|ms| s)\s+\d+(?:\.\d+)? (?:ns|us|ms| s)\s+(\d+)\s.*\s(\S+)$")


def summary_counts(trace):
    """The calls of each function in a -c summary, as a sorted list (its order is by time)."""
    return sorted((m.group(2), int(m.group(1))) for m in map(SUMMARY.match, trace.splitlines()) if m)


def fast_used(stderr):
    """How many entries --debug=fast says were patched in-process, over all modules."""
    return sum(int(n) for n in re.findall(r": entries (\d+) in-process", stderr))


def same(a, b):
    """Compares two traces; on a difference, says where, without pytest's slow diff of huge
    strings."""
    la, lb = a.splitlines(), b.splitlines()
    for n, (x, y) in enumerate(zip(la, lb)):
        if x != y:
            lo = max(0, n - 3)
            pytest.fail(f"line {n + 1} differs:\n--fast:\n" + "\n".join(la[lo:n + 3]) +
                        "\n--no-fast:\n" + "\n".join(lb[lo:n + 3]))
    if len(la) != len(lb):
        pytest.fail(f"--fast gave {len(la)} lines, --no-fast {len(lb)}")


def both(args, tmp_path, **kw):
    """Runs fntrace with --fast (and --debug=fast) and with --no-fast; returns both runs."""
    f = run(["--fast", "--debug=fast", *args], tmp_path, **kw)
    i = run(["--no-fast", *args], tmp_path, **kw)
    return f, i


@pytest.mark.parametrize("variant", SOME_VARIANTS)
@pytest.mark.parametrize("name", PROGS)
def test_graph_same_as_int3(tmp_path, variant, name):
    path = prog(variant, name)
    expect = untraced(path)
    f, i = both(["-i", "t_*", "-i", "is_*", "-i", "fib", "-i", "main", path], tmp_path)
    assert (f.rc, f.stdout) == (expect.returncode, expect.stdout)
    assert fast_used(f.stderr) > 0
    same(f.norm, i.norm)


@pytest.mark.parametrize("variant", ["gcc-pie-O2-cf", "clang-nopie-O0-nocf", "gcc-static-O2-nocf"])
@pytest.mark.parametrize("name", ["fasthaz", "throw", "longjmp"])
def test_summary_and_flat_same_as_int3(tmp_path, variant, name):
    path = prog(variant, name)
    f, i = both(["-c", path], tmp_path)
    assert f.rc == i.rc
    assert summary_counts(f.trace) == summary_counts(i.trace) != []
    f, i = both(["--flat", path], tmp_path)
    assert f.trace != ""
    same(f.trace, i.trace)


@pytest.mark.parametrize("variant", ["gcc-pie-O2-cf", "clang-nopie-O2-nocf", "gcc-nopie-O0-cf"])
def test_lane_same_as_int3(tmp_path, variant):
    # The drain's lane (plain records, -c and the graph with nothing else asked) against the
    # breakpoints: more return sites than the table of sites seen holds, a tail jump from the
    # program into the C library, a library function calling back, all repeated.
    path = prog(variant, "lanemix")
    expect = untraced(path)
    f, i = both(["-c", path], tmp_path)
    assert (f.rc, f.stdout) == (expect.returncode, expect.stdout)
    assert fast_used(f.stderr) > 0
    counts = dict(summary_counts(f.trace))
    assert counts["t_leaf"] == 400 * 50 and counts["t_len"] == 50
    assert counts["strlen"] >= 100 and counts["t_cmp"] >= 50
    assert counts["qsort"] == counts["qsort_r"] == 50   # (not qsort's jump to qsort_r)
    assert summary_counts(f.trace) == summary_counts(i.trace)
    f, i = both([path], tmp_path)
    same(f.norm, i.norm)


@pytest.mark.parametrize("variant", ["gcc-pie-O2-cf", "clang-pie-O2-nocf", "gcc-nopie-O0-cf"])
def test_hazards_stay_on_int3(tmp_path, variant):
    # The loop back to t_h_loop's entry+2 allows no 5-byte window there, only a jmp rel8 over
    # its 2-byte first instruction; the rest of fasthaz's shapes take a 5-byte one.
    f = run(["--fast", "--debug=fast", "-i", "t_h_*", prog(variant, "fasthaz")], tmp_path)
    assert f.rc == 0
    assert re.search(r"t_h_loop at 0x[0-9a-f]+: in-process \(2 bytes relocated, jmp rel8 to", f.stderr)
    for fn in ["t_h_ret", "t_h_xorret", "t_h_cmprip", "t_h_cf", "t_h_switch", "t_h_goto"]:
        assert re.search(fn + r" at 0x[0-9a-f]+: in-process \(\d+ bytes relocated\)", f.stderr), fn


@pytest.mark.parametrize("variant", ["gcc-pie-O2-cf", "clang-nopie-O0-nocf", "gcc-static-O2-nocf", "clang-spie-O2-cf"])
def test_short_jumps(tmp_path, variant):
    # Entries whose first instruction alone is the window, patched with a jmp rel8 to a jmp
    # rel32 in padding: loops back to entry+2..4 and a jump into entry+3 run the original bytes
    # there; a 1-byte first instruction followed by a target stays int3. The program checks
    # that no SIGALRM (every 100 us) finds it at a padding byte or outside its code.
    path = prog(variant, "shortjmp")
    f, i = both(["-c", "-i", "t_s_*", path, "3000", "alarm"], tmp_path)
    assert (f.rc, f.stdout) == (0, untraced(path, ["3000", "alarm"]).stdout)
    # (the breakpoints' run is compared by its sum only: they can let a signal find the
    # program in one of their out-of-line slots)
    assert i.stdout.splitlines()[0] == f.stdout.splitlines()[0]
    # a signal that stops a thread inside a trampoline must not make its records count twice
    assert summary_counts(f.trace) == summary_counts(i.trace)
    counts = dict(summary_counts(f.trace))
    assert counts["t_s_body"] == counts["t_s_join"] == 3000   # the jumps into t_s_body+3 are no calls
    for fn in ["t_s_loop2", "t_s_loop3", "t_s_loop4", "t_s_body"]:
        assert re.search(fn + r" at 0x[0-9a-f]+: in-process \(\d bytes relocated, jmp rel8 to", f.stderr), fn
    assert re.search(r"t_s_loop1 at 0x[0-9a-f]+: int3 \(branch target inside\)", f.stderr)
    assert re.search(r"t_s_tail at 0x[0-9a-f]+: in-process", f.stderr)   # its jmp *%rax is an argument
    assert re.search(r"return sites \d+ in-process \([1-9]\d* by jmp rel8, \d+ by eviction\)", f.stderr)


@pytest.mark.parametrize("variant", ["gcc-pie-O2-cf", "clang-nopie-O0-nocf", "gcc-static-O2-nocf"])
def test_cold_fragments(tmp_path, variant):
    # A tail call through a register whose function has a cold fragment jumping back into it:
    # the fragment leaves the register alone, so the entry's window of three instructions is
    # patched; its twin's fragment computes the register, which keeps that entry on int3. Both
    # paths run; results and counts are those of the int3 path.
    path = prog(variant, "coldtail")
    f, i = both(["-c", "-i", "t_c_*", path, "2000"], tmp_path)
    assert (f.rc, f.stdout) == (0, untraced(path, ["2000"]).stdout)
    assert i.stdout == f.stdout
    assert summary_counts(f.trace) == summary_counts(i.trace)
    assert dict(summary_counts(f.trace))["t_c_hot"] == 2000
    assert re.search(r"t_c_hot at 0x[0-9a-f]+: in-process \(6 bytes relocated\)", f.stderr)
    assert re.search(r"t_c_computed at 0x[0-9a-f]+: int3 \(targets not all known\)", f.stderr)


def test_records_survive_a_full_block(tmp_path):
    # fib makes far more calls than a block holds: every one must still be counted.
    path = prog("gcc-pie-O2-nocf", "fib")
    f, i = both(["-c", path, "25"], tmp_path)
    assert summary_counts(f.trace) == summary_counts(i.trace)
    assert dict(summary_counts(f.trace)).get("fib", 0) > 100000


def test_library_calls_filtered_in_process(tmp_path):
    # puts called by the program is reported; libc's calls to its own exported functions are not.
    path = prog("gcc-pie-O2-cf", "fasthaz")
    f, i = both(["-c", path], tmp_path)
    assert summary_counts(f.trace) == summary_counts(i.trace)
    assert "printf" in dict(summary_counts(f.trace))


@pytest.mark.parametrize("opt", ["--fast", "--no-fast"])
def test_fast_options_with_read_refused(tmp_path, opt):
    r = run(["-r", "nofile", opt], tmp_path, to_file=False)
    assert r.rc == 1
    assert r.stderr.startswith(f"fntrace: -r/--read and {opt} cannot be used together")


def test_fast_and_no_fast_refused(tmp_path):
    r = run(["--fast", "--no-fast", "true"], tmp_path, to_file=False)
    assert r.rc == 1
    assert r.stderr.startswith("fntrace: --fast and --no-fast cannot be used together")


def real(tmp_path, cmd, libs=(), fresh=None):
    """A Debian program under -c both ways: the same counts, the same output. fresh() is called
    before each run, to give both the same files to start from."""
    args = ["-c"]
    for lib in libs:
        args += ["-l", lib]
    runs = []
    for opt in ["--fast", "--no-fast"]:
        if fresh:
            fresh()
        runs.append(run([opt, "--debug=fast", *args, *cmd], tmp_path))
    f, i = runs
    assert f.rc == i.rc == 0, f.stderr[-2000:]
    assert f.stdout == i.stdout
    assert fast_used(f.stderr) > 0
    assert summary_counts(f.trace) == summary_counts(i.trace) != []


def test_real_sort(tmp_path):
    data = tmp_path / "numbers"
    data.write_text("".join(f"{(i * 7919) % 100003}\n" for i in range(3000)))
    real(tmp_path, ["/usr/bin/sort", "-nr", str(data)])


def test_real_bzip2_with_libbz2(tmp_path):
    if not os.path.exists("/usr/bin/bzip2"):
        pytest.skip("bzip2 not installed")
    data = tmp_path / "text"
    out = tmp_path / "text.bz2"

    def fresh():
        data.write_text("".join(f"line {i} {i * i}\n" for i in range(2000)))
        if out.exists():
            out.unlink()
    real(tmp_path, ["/usr/bin/bzip2", "-k", str(data)], libs=["libbz2*"], fresh=fresh)
    assert subprocess.run(["bzip2", "-t", str(out)]).returncode == 0


@pytest.mark.parametrize("args", [["calls", "20000"], ["churn"], ["exec"]])
def test_threads_same_as_int3(tmp_path, args):
    path = prog("gcc-pie-O2-cf", "threads")
    f, i = both(["-c", path, *args], tmp_path)
    assert (f.rc, f.stdout) == (i.rc, i.stdout)
    assert summary_counts(f.trace) == summary_counts(i.trace) != []


@pytest.mark.parametrize("follow", [[], ["-f"]])
@pytest.mark.parametrize("how", ["fork", "vfork", "spawn", "system", "thread-fork", "exec"])
def test_processes_same_as_int3(tmp_path, how, follow):
    path = prog("gcc-pie-O2-cf", "forks")
    f, i = both([*follow, "-c", path, how], tmp_path)
    assert (f.rc, f.stdout) == (i.rc, i.stdout)
    assert summary_counts(f.trace) == summary_counts(i.trace) != []


def test_unfollowed_child_gets_the_original_code(tmp_path):
    # The child of a fork we do not follow sees no jmp of ours and no mapping of ours.
    r = run(["--fast", prog("gcc-pie-O2-cf", "forks"), "inspect"], tmp_path)
    assert r.rc == 0
    assert "child: 0 anonymous executable mappings, 0 int3 bytes" in r.stdout


def per_thread(trace):
    """A graph's lines, durations normalised, thread by thread in each thread's order: a sorted
    list of one tuple per thread (threads interleave, and their TIDs change from run to run)."""
    lines = {}
    for line in trace.splitlines():
        m = re.search(r"\[\s*(\d+)\]", line)
        if m:
            lines.setdefault(m.group(1), []).append(normalize(line))
    return sorted(tuple(v) for v in lines.values())


@pytest.mark.parametrize("variant", ["gcc-pie-O2-cf", "clang-nopie-O2-nocf"])
def test_many_full_blocks_graph_same_as_int3(tmp_path, variant):
    # Three threads fill about eight blocks each, in six rounds nested differently, each round
    # ended by the thread's own signal (a stop) a varying distance after its last full block: a
    # full block's records are fed after the thread goes on in its other block, and must still
    # come before anything later of that thread, none lost. With FNTRACE_FAST_SAFE=1 the full
    # blocks go through -p's slow path instead of the guard page's fault.
    path = prog(variant, "blocks")
    args = ["-i", "t_*", "-i", "worker", path, "3", "6", "18"]
    i = run(["--no-fast", *args], tmp_path)
    int3 = per_thread(i.trace)
    assert (i.rc, i.stdout) == (0, "sum 81180, signals 18\n")
    assert len(int3) == 3 and sum(len(t) for t in int3) > 3 * 8 * 8192 / 2
    for safe in ["0", "1"]:
        f = run(["--fast", "--debug=fast", *args], tmp_path, env=dict(os.environ, FNTRACE_FAST_SAFE=safe))
        assert (f.rc, f.stdout) == (i.rc, i.stdout)
        assert re.search(r"tid \d+: records at 0x[0-9a-f]+ \(spare block: 0x[1-9a-f]", f.stderr)
        fast = per_thread(f.trace)
        for a, b in zip(fast, int3):
            same("\n".join(a), "\n".join(b))
        assert fast == int3


@pytest.mark.parametrize("variant", ["gcc-pie-O2-cf", "clang-nopie-O2-nocf"])
def test_64_threads_exact_counts(tmp_path, variant):
    path = prog(variant, "hammer")
    for _ in range(20):
        r = run(["--fast", "-c", path, "2000"], tmp_path)
        assert (r.rc, r.stdout) == (0, "128000\n")
        assert dict(summary_counts(r.trace))["t_hammer"] == 128000


def backwards(jsonl):
    """The first event of a thread stamped before that thread's previous one, or None."""
    last = {}
    for line in jsonl.splitlines():
        e = json.loads(line)
        if "ts" not in e or "tid" not in e:
            continue
        if e["ts"] < last.get(e["tid"], (0, None))[0]:
            return last[e["tid"]][1], e
        last[e["tid"]] = (e["ts"], e)
    return None


@pytest.mark.parametrize("variant", ["gcc-pie-O2-cf", "clang-nopie-O0-nocf", "gcc-static-O3-nocf"])
def test_thread_times_never_go_back(tmp_path, variant):
    # Each thread's first call is taken at a stop, by the tracer's clock, before the thread has a
    # block; the next are records, by the TSC converted later. A record could convert to before
    # the stop (the chrome export then nested the thread's calls wrongly, and speedscope failed
    # on it now and then): every event of a thread must be no earlier than the one before. How
    # far the conversion errs depends on the machine's load, so the program runs several times.
    ft = tmp_path / "t.ft"
    for _ in range(3):
        r = run(["--fast", "-w", str(ft), "-i", "t_*", "-i", "main",
                 prog(variant, "threads"), "calls", "30"], tmp_path)
        assert r.rc == 0 and "sum 240" in r.stdout, r.stderr
        j = run(["-r", str(ft), "--format=json", "-o", str(tmp_path / "t.jsonl")], tmp_path, to_file=False)
        assert j.rc == 0, j.stderr
        assert backwards((tmp_path / "t.jsonl").read_text()) is None
