"""Other languages: Rust (legacy and v0 mangling) and Go (gc toolchain, with and without symbols).
Each is built here with the toolchain Debian provides (scripts/deps.sh installs rustc and
golang-go); a missing toolchain skips its tests."""
import os
import shutil
import subprocess

import pytest

from conftest import ROOT, run

LANG = os.path.join(ROOT, "tests", "progs", "lang")


def build(cmd, cwd, env=None):
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr


@pytest.fixture(scope="module")
def rust_bins(tmp_path_factory):
    rustc = shutil.which("rustc")
    if not rustc:
        pytest.skip("rustc not installed")
    d = tmp_path_factory.mktemp("rust")
    src = os.path.join(LANG, "rustprog.rs")
    build([rustc, "-O", "-o", str(d / "legacy"), src], d)
    bins = {"legacy": str(d / "legacy")}
    v0 = subprocess.run([rustc, "-O", "-C", "symbol-mangling-version=v0", "-o", str(d / "v0"), src],
                        capture_output=True, text=True)
    if v0.returncode == 0:
        bins["v0"] = str(d / "v0")
    return bins


def test_rust_legacy_names_demangled(tmp_path, rust_bins):
    r = run(["--flat", "-i", "rustprog::*", rust_bins["legacy"]], tmp_path)
    assert r.rc == 0 and r.stdout == "3 9 42\n"
    assert r.trace.splitlines() == ["rustprog::main();", "rustprog::add();", "rustprog::shapes::Square::area();",
                                    "rustprog::twice();"]


def test_rust_v0_names_demangled(tmp_path, rust_bins):
    if "v0" not in rust_bins:
        pytest.skip("this rustc cannot emit v0 mangling")
    r = run(["--flat", "-i", "rustprog::*", "-i", "<rustprog::*", rust_bins["v0"]], tmp_path)
    assert r.rc == 0 and r.stdout == "3 9 42\n"
    assert "rustprog::add();" in r.trace.splitlines()
    assert "rustprog::twice::<u64>();" in r.trace.splitlines()


@pytest.fixture(scope="module")
def go_bins(tmp_path_factory):
    go = shutil.which("go") or (os.path.exists("/usr/bin/go") and "/usr/bin/go")
    if not go:
        pytest.skip("go not installed")
    d = tmp_path_factory.mktemp("go")
    env = dict(os.environ, GOCACHE=str(d / "cache"), GOPATH=str(d / "gopath"), GO111MODULE="off",
               HOME=str(d))
    src = os.path.join(LANG, "goprog.go")
    build([go, "build", "-o", str(d / "plain"), src], d, env)
    build([go, "build", "-ldflags=-s -w", "-o", str(d / "stripped"), src], d, env)
    build([go, "build", "-o", str(d / "preempt"), os.path.join(LANG, "gopreempt.go")], d, env)
    build([go, "build", "-o", str(d / "migrate"), os.path.join(LANG, "gomigrate.go")], d, env)
    return {"plain": str(d / "plain"), "stripped": str(d / "stripped"), "preempt": str(d / "preempt"),
            "migrate": str(d / "migrate")}


@pytest.mark.parametrize("which", ["plain", "stripped"])
def test_go_program_traced_without_harm(tmp_path, go_bins, which):
    # Every function, runtime included: the program must run as without fntrace.
    r = run(["--flat", go_bins[which]], tmp_path, timeout=120)
    assert r.rc == 0 and r.stdout == "total 14995000\n"
    assert any(l.endswith("main.main();") for l in r.trace.splitlines())
    # Names come from .gopclntab, stripped or not; counts are exact.
    r = run(["-c", "-i", "main.*", go_bins[which]], tmp_path, timeout=120)
    assert r.rc == 0 and r.stdout == "total 14995000\n"
    rows = {l.split()[-1]: int(l.split()[4]) for l in r.trace.splitlines()[2:] if len(l.split()) == 12}
    assert rows["main.add"] == 10000 and rows["main.work"] == 4 and rows["main.main"] == 1


def test_go_function_restarted_by_the_scheduler_is_one_call(tmp_path, go_bins):
    # With one P and no asynchronous preemption, the scheduler can only stop the busy goroutine
    # at the stack check of step's prologue, and then restarts step from its entry, tens of
    # times in this run: each restart is the call already open, not a new one.
    env = dict(os.environ, GOMAXPROCS="1", GODEBUG="asyncpreemptoff=1")
    r = run(["-c", "-i", "main.*", go_bins["preempt"]], tmp_path, timeout=120, env=env)
    assert r.rc == 0 and r.stdout == "sum 16000\n"
    rows = {l.split()[-1]: int(l.split()[4]) for l in r.trace.splitlines()[2:] if len(l.split()) == 12}
    assert rows["main.step"] == 4000 and rows["main.leaf"] == 4000 and rows["main.main"] == 1
    g = run(["-i", "main.*", go_bins["preempt"]], tmp_path, timeout=120, env=env)
    assert g.rc == 0
    steps = [l for l in g.trace.splitlines() if "main.step" in l]
    assert sum("main.step() {" in l for l in steps) == 4000
    assert sum("} /* main.step */" in l for l in steps) == 4000


def test_go_call_returning_on_another_thread_is_not_a_restart(tmp_path, go_bins):
    # Eight goroutines on two threads, preempted inside spin's calls (each longer than the
    # scheduler's 10 ms slice): a call that returned on another thread must not leave behind an
    # open frame that the next call from the same place, at the same sp, passes for a restart of.
    env = dict(os.environ, GOMAXPROCS="2")
    r = run(["-c", "-i", "main.*", go_bins["migrate"]], tmp_path, timeout=120, env=env)
    assert r.rc == 0 and r.stdout == "total 96\n"
    rows = {l.split()[-1]: int(l.split()[4]) for l in r.trace.splitlines()[2:] if len(l.split()) == 12}
    assert rows["main.spin"] == 48 and rows["main.work"] == 8


def test_cxx_namespaces_templates_and_overloads(tmp_path):
    gxx = shutil.which("g++")
    if not gxx:
        pytest.skip("g++ not installed")
    exe = tmp_path / "cxxnames"
    build([gxx, "-O0", "-o", str(exe), os.path.join(LANG, "cxxnames.cc")], tmp_path)   # -O0: push_back not inlined
    r = run(["--flat", "-i", "geo::*", "-i", "std::vector*push_back", str(exe)], tmp_path)
    assert r.rc == 0 and r.stdout == "24 10 5.0 42\n"
    calls = r.trace.splitlines()
    assert "geo::Box<int>::area();" in calls
    assert "geo::twice<int>();" in calls and "geo::twice<long>();" in calls
    assert calls.count("geo::scale();") == 2            # overloads share a name
    assert "std::vector<int, std::allocator<int> >::push_back();" in calls
    raw = run(["--flat", "--no-demangle", "-i", "_ZN3geo*", str(exe)], tmp_path)
    assert "_ZN3geo5scaleEi();" in raw.trace.splitlines() and "_ZN3geo5scaleEd();" in raw.trace.splitlines()
