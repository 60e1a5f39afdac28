"""Programs that fight back: their own SIGTRAP setup (ignored, blocked, handled, their own int3),
and code they change after start (a patched immediate, inline hooks, a JIT-like rewrite). Under
fntrace each must print and exit exactly as untraced, and keep the code it wrote."""
import os
import signal
import subprocess
import time

import pytest

from conftest import FNTRACE, PROGS, run, untraced

FIGHT = os.path.join(PROGS, "fightback")
SIGTRAP_BUILDS = ["O0", "O2", "cf", "static"]
SELFMOD_BUILDS = ["O2", "nopie", "static"]
# How the program is traced: every library call, no library calls, only work() (no breakpoint on
# the C library's signal functions but the ones fntrace watches), entries only, each once, and
# with its children (spawn: a vfork child has signal actions of its own).
HOW = [[], ["--no-libcalls"], ["-i", "work"], ["--flat"], ["--once"], ["-f"]]


def fight(name):
    path = os.path.join(FIGHT, name)
    if not os.path.exists(path):
        pytest.fail(f"{path} is missing: run 'make test-progs'")
    return path


@pytest.mark.parametrize("how", HOW, ids=lambda h: " ".join(h) or "graph")
@pytest.mark.parametrize("mode", ["ign", "block", "handler", "spawn"])
@pytest.mark.parametrize("build", SIGTRAP_BUILDS)
def test_sigtrap_as_untraced(tmp_path, build, mode, how):
    path = fight(f"sigtrap-{build}")
    plain = untraced(path, [mode])
    assert plain.returncode == 0, plain.stdout + plain.stderr
    r = run([*how, path, mode], tmp_path)
    assert (r.rc, r.stdout, r.stderr) == (0, plain.stdout, "")
    assert "work()" in r.trace or "work() {" in r.trace


def test_sigtrap_blocking_thread_costs_no_syscall_stops(tmp_path):
    """A thread that blocks every signal (SIGTRAP with them), as thread pools do, is not followed
    through its system calls: its 10000 raw getppid calls make no syscall stops."""
    path = fight("sigtrap-O2")
    plain = untraced(path, ["pool"])
    r = run(["--debug=stop", path, "pool"], tmp_path)
    assert (r.rc, r.stdout) == (0, plain.stdout)
    assert r.stderr.count(": syscall sig 0") < 200
    assert r.trace.count("work()") == 100


def test_sigtrap_handler_calls_traced(tmp_path):
    """The handler, run by raise(SIGTRAP) and by the program's own int3, calls traced code: the
    trace shows both deliveries and the calls inside."""
    r = run([fight("sigtrap-O2"), "handler"], tmp_path)
    assert r.rc == 0, r.stdout + r.stderr
    assert r.trace.count("--- SIGTRAP ---") == 3
    assert r.trace.count("on_trap() {") == 3
    lines = r.trace.splitlines()
    first = next(i for i, l in enumerate(lines) if "on_trap() {" in l)
    assert "work() {" in lines[first + 1]
    assert "leaf();" in lines[first + 2]


def test_sigtrap_blocked_pending_is_kept(tmp_path):
    """A SIGTRAP raised while blocked stays pending through our traps, and the handler runs
    once, when the program unblocks it."""
    r = run(["--debug=step", fight("sigtrap-O2"), "block"], tmp_path)
    assert r.rc == 0 and "block: ok (handled 1)" in r.stdout, r.stdout
    assert "the program's pending SIGTRAP (code -6) stays pending" in r.stderr
    assert r.trace.count("--- SIGTRAP ---") == 1



@pytest.mark.parametrize("inject", [False, True], ids=["plain", "inject-at-signal"])
@pytest.mark.parametrize("mode", ["value", "eintr", "restart"])
@pytest.mark.parametrize("build", ["O2", "static"])
def test_signal_after_injected_syscall_as_untraced(tmp_path, build, mode, inject):
    """A system call fntrace runs in a thread at a signal's stop (FNTRACE_TEST=inject-at-signal
    makes one at every such stop) leaves it at a syscall-exit stop, where the kernel would only
    send the signal anew, as SI_KERNEL: the signal is queued again with its siginfo and delivered
    at its new stop, and the system call it interrupted fails with EINTR or restarts as the
    handler's SA_RESTART says. Without that, the handler saw SI_KERNEL (or no signal at all),
    and a read without SA_RESTART restarted."""
    path = fight(f"siginfo-{build}")
    plain = untraced(path, [mode])
    assert plain.returncode == 0, plain.stdout + plain.stderr
    env = dict(os.environ, FNTRACE_TEST="inject-at-signal") if inject else None
    r = run([path, mode], tmp_path, env=env, timeout=30)
    assert (r.rc, r.stdout, r.stderr) == (0, plain.stdout, "")
    assert "work()" in r.trace


# The self-modifying programs check the int3 path's handling of code changed under its
# breakpoints (decoded again, or left as the program wrote it): they pin --no-fast. A program
# that writes over the fast path's jmps is a limit of the fast path (README, Limits).
@pytest.mark.onepath
@pytest.mark.parametrize("mode", ["now", "late", "fork"])
@pytest.mark.parametrize("build", SELFMOD_BUILDS)
def test_selfmod_as_untraced(tmp_path, build, mode):
    """A patched immediate computes the new value under fntrace; inline hooks (the program's own
    function, the C library's getpid) and the program's own int3 work in the process and in an
    unfollowed fork child, which gets back only the bytes that were still ours."""
    path = fight(f"selfmod-{build}")
    plain = untraced(path, [mode])
    assert plain.returncode == 0, plain.stdout + plain.stderr
    for how in ([], ["--once"], ["--flat"]):
        r = run(["--no-fast", *how, path, mode], tmp_path)
        assert (r.rc, r.stdout, r.stderr) == (0, plain.stdout, ""), how


@pytest.mark.onepath
def test_selfmod_followed_fork(tmp_path):
    path = fight("selfmod-O2")
    r = run(["--no-fast", "-f", path, "fork"], tmp_path)
    assert r.rc == 0 and "child: one 42 target 7 getpid 4242 victim 5: ok" in r.stdout, r.stdout


@pytest.mark.onepath
def test_selfmod_debug_says_so(tmp_path):
    r = run(["--no-fast", "--debug=bp", fight("selfmod-O2"), "fork"], tmp_path)
    assert r.rc == 0, r.stdout + r.stderr
    assert "changed under a breakpoint: emulate mov imm (5 bytes)" in r.stderr
    assert "the program wrote over our breakpoint, left as it is" in r.stderr


@pytest.mark.onepath
def test_selfmod_trace_shows_new_code(tmp_path):
    """After the hook, a call of target() is the hook's: the trace shows where the calls went."""
    r = run(["--no-fast", fight("selfmod-O2"), "now"], tmp_path)
    assert r.rc == 0
    assert "hook();" in r.trace and "fake_getpid();" in r.trace


def read_mem(pid, addr, n):
    with open(f"/proc/{pid}/mem", "rb") as m:
        m.seek(addr)
        return m.read(n)


@pytest.mark.onepath
@pytest.mark.parametrize("calls", [3, 0], ids=["calls", "nocalls"])
@pytest.mark.parametrize("build", SELFMOD_BUILDS)
def test_selfmod_detach_keeps_new_code(tmp_path, build, calls):
    """Attached to, the program patches its code, calls it (or not), and is detached from: it
    keeps the bytes it wrote (/proc/PID/mem shows them, not the file's), its own int3 included,
    and computes with them while traced and after."""
    p = subprocess.Popen([fight(f"selfmod-{build}"), "wait"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)

    def say(line):
        p.stdin.write(line + "\n")
        p.stdin.flush()

    try:
        assert p.stdout.readline() == "ready\n"
        out = os.path.join(str(tmp_path), "trace.txt")
        # --no-fast: code written over the fast path's jmps is a limit of the fast path (see
        # test_selfmod_as_untraced), and -p takes the fast path by default.
        f = subprocess.Popen([FNTRACE, "--no-fast", "-p", str(p.pid), "-o", out], stderr=subprocess.PIPE,
                             text=True)
        while "TracerPid:\t0\n" in open(f"/proc/{p.pid}/status").read():
            time.sleep(0.01)
        say("patch")
        wrote = {}
        for _ in range(4):
            name, addr, code = p.stdout.readline().split()
            wrote[name] = (int(addr, 16), bytes.fromhex(code))
        for _ in range(calls):
            say("again")
            assert p.stdout.readline() == "again: one 42 target 7 getpid 4242 victim 5: ok\n"
        f.send_signal(signal.SIGINT)
        assert f.wait(timeout=60) == 0
        assert f.stderr.read() == ""
        assert "TracerPid:\t0\n" in open(f"/proc/{p.pid}/status").read()
        for name, (addr, code) in wrote.items():
            assert read_mem(p.pid, addr, len(code)).hex() == code.hex(), name
        with open(out) as t:
            trace = t.read()
        if calls:
            assert "one();" in trace and "hook();" in trace
        say("again")
        assert p.stdout.readline() == "again: one 42 target 7 getpid 4242 victim 5: ok\n"
        p.stdin.close()
        assert p.wait(timeout=60) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_sigtrap_attach_detach_keeps_setup(tmp_path):
    """A program that ignores and blocks SIGTRAP, with one pending, calls traced functions in a
    loop while fntrace attaches and detaches six times: the int3s of our injected code and the
    traps taken while detaching leave its action, mask and pending SIGTRAP as it set them."""
    p = subprocess.Popen([fight("sigtrap-O2"), "loop"], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline() == "ready\n"
        for _ in range(6):
            f = subprocess.Popen([FNTRACE, "-p", str(p.pid), "-o", os.devnull], stderr=subprocess.PIPE,
                                 text=True)
            while "TracerPid:\t0\n" in open(f"/proc/{p.pid}/status").read():
                time.sleep(0.01)
            time.sleep(0.1)
            f.send_signal(signal.SIGINT)
            assert f.wait(timeout=60) == 0
            assert f.stderr.read() == ""
        os.kill(p.pid, signal.SIGUSR1)
        assert p.stdout.read() == "loop: ok\n"
        assert p.wait(timeout=60) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
