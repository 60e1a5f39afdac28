"""Programs that fight back: their own SIGTRAP setup (ignored, blocked, handled, their own int3).
Under fntrace each must print and exit exactly as untraced."""
import os

import pytest

from conftest import PROGS, run, untraced

FIGHT = os.path.join(PROGS, "fightback")
SIGTRAP_BUILDS = ["O0", "O2", "cf", "static"]
# How the program is traced: every library call, no library calls, only work() (no breakpoint on
# the C library's signal functions but the ones fntrace watches), entries only, each once.
HOW = [[], ["--no-libcalls"], ["-i", "work"], ["--flat"], ["--once"]]


def fight(name):
    path = os.path.join(FIGHT, name)
    if not os.path.exists(path):
        pytest.fail(f"{path} is missing: run 'make test-progs'")
    return path


@pytest.mark.parametrize("how", HOW, ids=lambda h: " ".join(h) or "graph")
@pytest.mark.parametrize("mode", ["ign", "block", "handler"])
@pytest.mark.parametrize("build", SIGTRAP_BUILDS)
def test_sigtrap_as_untraced(tmp_path, build, mode, how):
    path = fight(f"sigtrap-{build}")
    plain = untraced(path, [mode])
    assert plain.returncode == 0, plain.stdout + plain.stderr
    r = run([*how, path, mode], tmp_path)
    assert (r.rc, r.stdout, r.stderr) == (0, plain.stdout, "")
    assert "work()" in r.trace or "work() {" in r.trace


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
