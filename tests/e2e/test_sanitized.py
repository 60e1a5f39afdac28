"""fntrace built with ASan and UBSan (build/san/fntrace, which `make check` builds) on the cases
where the tracer had a memory error or undefined behaviour that the plain build did not show. Any
sanitizer report ends fntrace with a message on stderr."""
import os
import signal
import subprocess
import time

import pytest

from conftest import PROGS, ROOT, prog, run, untraced

FNTRACE_SAN = os.path.join(ROOT, "build", "san", "fntrace")
SAN_ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=0", UBSAN_OPTIONS="print_stacktrace=1")


def run_san(args, tmp_path):
    if not os.path.exists(FNTRACE_SAN):
        pytest.fail(f"{FNTRACE_SAN} is missing: run 'make build/san/fntrace'")
    return run(args, tmp_path, env=SAN_ENV, fntrace=FNTRACE_SAN)


# With -i t_*, every traced first instruction is emulated (endbr64 in a -cf build), so no scratch
# region is ever mapped: a fork child used to get its parent's empty scratch list copied from NULL.
@pytest.mark.parametrize("variant", ["gcc-spie-O0-cf", "clang-static-O0-cf"])
@pytest.mark.parametrize("follow", [[], ["-f"]], ids=["released", "followed"])
def test_fork_without_scratch(tmp_path, variant, follow):
    r = run_san(follow + ["--flat", "-i", "t_*", prog(variant, "forks"), "fork"], tmp_path)
    assert (r.rc, r.stdout, r.stderr) == (0, "in child 2\nfork child exited 7\n", "")


# A sample of every path, in case a change brings a new memory error: library calls stepped out
# of line, -l on every library (stripped ones: discovery, the parallel scan of big code aside),
# dlopen and dlclose, threads, followed forks and execs, signals, a C++ throw, a trace file.
SAMPLE = [
    (["--flat"], "gcc-pie-O2-cf", "abc", []),
    (["-l", "*", "-c"], "clang-nopie-O1-nocf", "abc", []),
    (["-c", "-i", "t_*"], "gcc-pie-O2-nocf", "threads", ["calls", "300"]),
    (["-f", "-c"], "gcc-pie-O0-cf", "forks", ["exec"]),
    (["-f"], "clang-pie-O2-cf", "forks", ["spawn"]),
    ([], "gcc-nopie-O2-cf", "throw", []),
    (["-c"], "gcc-spie-O2-cf", "die", ["usr1"]),
    (["--flat"], "gcc-static-O2-nocf", "fib.stripped", ["8"]),
]


@pytest.mark.parametrize("opts,variant,name,args", SAMPLE, ids=lambda v: v if isinstance(v, str) else None)
def test_sample_runs_clean(tmp_path, opts, variant, name, args):
    path = prog(variant, name)
    plain = untraced(path, args)
    r = run_san(opts + [path, *args], tmp_path)
    assert (r.rc, r.stdout, r.stderr) == (plain.returncode, plain.stdout, "")
    assert r.trace


def test_libraries_loaded_and_unloaded(tmp_path):
    path = os.path.join(PROGS, "libcalls", "gcc-lazy")
    plain = untraced(path, ["dl"])
    r = run_san(["-l", "libplug*", path, "dl"], tmp_path)
    assert (r.rc, r.stdout, r.stderr) == (plain.returncode, plain.stdout, "")
    assert "plug_fn@libplug.so" in r.trace


def test_trace_file_written_and_read(tmp_path):
    path = prog("gcc-pie-O2-cf", "fib")
    tf = str(tmp_path / "t.ft")
    r = run_san(["-w", tf, path, "10"], tmp_path)
    assert (r.rc, r.stderr) == (0, "")
    for fmt in ["graph", "summary", "chrome", "folded", "json", "svg"]:
        out = run_san(["-r", tf, f"--format={fmt}"], tmp_path)
        assert (out.rc, out.stderr) == (0, ""), fmt
        assert out.trace, fmt


def test_attach_and_detach(tmp_path):
    path = prog("gcc-pie-O2-cf", "counter")
    p = subprocess.Popen([path, "3", "30", "busy"], stdout=subprocess.DEVNULL)
    try:
        time.sleep(0.1)
        f = subprocess.Popen([FNTRACE_SAN, "-p", str(p.pid), "-c", "-o", str(tmp_path / "s.txt")],
                             env=SAN_ENV, stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)
        f.send_signal(signal.SIGINT)
        assert f.wait(timeout=30) == 0
        assert f.stderr.read() == ""
        time.sleep(0.1)
        assert p.poll() is None
        with open(f"/proc/{p.pid}/status") as st:
            assert "TracerPid:\t0\n" in st.read()
    finally:
        p.kill()
        p.wait()


# The disk cache, cold, warm and damaged: maps and discovered functions written, read back, and
# refused when cut short (a stripped program: both kinds of entry).
def test_cache_runs_clean(tmp_path):
    cache = tmp_path / "cache"
    env = dict(SAN_ENV, FNTRACE_CACHE=str(cache))
    path = prog("gcc-pie-O2-cf", "fib.stripped")
    outs = []
    for step in ("cold", "warm", "damaged"):
        if step == "damaged":
            for e in os.listdir(cache):
                data = (cache / e).read_bytes()
                (cache / e).write_bytes(data[: len(data) // 3])
        r = run(["--fast", "-c", path, "6"], tmp_path, env=env, fntrace=FNTRACE_SAN)
        assert (r.rc, r.stderr) == (0, ""), step
        outs.append(sorted(l.split()[-1] for l in r.trace.splitlines()[2:]))
    assert outs[0] == outs[1] == outs[2]
    assert os.listdir(cache)
