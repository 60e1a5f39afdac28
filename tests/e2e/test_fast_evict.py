"""The fast path's evicted neighbours: a return site or an entry whose window is too short for a
jmp rel32, with no padding in reach, takes a jmp rel8 to a jmp rel32 in the dead bytes of a
neighbour whose instructions now run in a trampoline of their own. The program must compute what
it computes untraced, the counts must be the int3 path's, no signal may find the program in our
code, and a detach must leave its text as it was."""
import re
import signal
import subprocess
import time

import pytest

from conftest import FNTRACE, prog, run, untraced
from test_fast import both, summary_counts
from test_fast_attach import assert_text_identical, end, maps, traced_by, tracer, wait_planted, wait_traced

pytestmark = pytest.mark.onepath   # every test gives --fast itself

VARIANTS = ["gcc-pie-O2-cf", "clang-nopie-O0-nocf", "gcc-static-O2-nocf", "clang-spie-O2-cf"]
EVICTED = r"in-process \(jmp rel8 to 0x[0-9a-f]+, by eviction of 0x[0-9a-f]+\)"


def sites_by_eviction(stderr, path):
    """The return sites of the executable whose jmp rel8 goes to an evicted neighbour, as
    --debug=fast counts them."""
    m = re.search(re.escape(path) + r": entries .*; return sites \d+ in-process \(\d+ by jmp rel8, (\d+) by eviction\)",
                  stderr)
    assert m, stderr[-2000:]
    return int(m.group(1))


@pytest.mark.parametrize("variant", VARIANTS)
def test_evicted_neighbours_same_as_int3(tmp_path, variant):
    # gawk's shape (a 3-byte instruction after the call, then a branch target), a site 2 bytes
    # before its function's end and an entry whose loop comes back to entry+3, all hot.
    path = prog(variant, "evict")
    f, i = both(["-c", "-i", "t_e_*", path, "3000"], tmp_path)
    assert (f.rc, f.stdout) == (0, untraced(path, ["3000"]).stdout)
    assert f.stdout.startswith("rounds 3000: right\n")
    assert summary_counts(f.trace) == summary_counts(i.trace)
    assert sites_by_eviction(f.stderr, path) >= 2
    assert re.search(r"t_e_loop at 0x[0-9a-f]+: in-process \(3 bytes relocated, jmp rel8 to 0x[0-9a-f]+, "
                     r"by eviction of 0x[0-9a-f]+\)", f.stderr)
    # both shapes of site: each names its site, its hole and the neighbour evicted
    assert len(re.findall(r"return site 0x[0-9a-f]+: " + EVICTED, f.stderr)) >= 2


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_signal_in_evicted_code(tmp_path, variant):
    # A SIGALRM every 100 us must never find the program outside its own code (an evicted
    # neighbour's trampoline, a site's): the rounds are long enough that, were signals
    # delivered there, some would be (10 to 16 a run, tried).
    path = prog(variant, "evict")
    f = run(["--fast", "-c", "-i", "t_e_*", path, "30000", "alarm"], tmp_path)
    assert (f.rc, f.stdout) == (0, "rounds 30000: right\nsignals outside the program's code 0\n")
    counts = dict(summary_counts(f.trace))
    assert counts["t_e_round"] == counts["t_e_end"] == counts["t_e_loop"] == 30000
    assert counts["t_e_leaf"] == 30000 + sum(k & 15 for k in range(30000))


@pytest.mark.parametrize("variant", ["gcc-pie-O2-cf", "gcc-static-O2-nocf"])
def test_evicted_neighbours_graph_and_flat(tmp_path, variant):
    path = prog(variant, "evict")
    f, i = both(["-i", "t_e_*", path, "20"], tmp_path)
    assert f.rc == i.rc == 0
    assert f.norm == i.norm
    f, i = both(["--flat", "-i", "t_e_*", path, "20"], tmp_path)
    assert f.trace == i.trace != ""


def test_unfollowed_fork_child_gets_the_original_code(tmp_path):
    # Without -f, a fork child is released with every byte given back, the neighbours' too: its
    # text is its file's, and it computes right on its own.
    path = prog("gcc-pie-O2-cf", "evict")
    f = subprocess.Popen([FNTRACE, "--fast", "-c", "-i", "t_e_*", "-o", str(tmp_path / "c.txt"), path, "fork"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        child = int(f.stdout.readline())
        deadline = time.time() + 20
        while traced_by(child) and time.time() < deadline:
            time.sleep(0.01)
        assert traced_by(child) == 0
        assert_text_identical(child)
        assert not [l for l in maps(child) if " r-xp " in l and l.split()[-1] == "0"], maps(child)
        f.stdin.write("go\n")
        f.stdin.close()
        assert f.stdout.read() == "child ok\n"
        assert f.wait(timeout=30) == 0
    finally:
        if f.poll() is None:
            f.kill()
        f.wait()


@pytest.mark.parametrize("variant", ["gcc-pie-O2-cf", "clang-nopie-O0-nocf"])
def test_attach_detach_evicted_neighbours(tmp_path, variant):
    # Two threads in the hot rounds: patched with both stopped (none resumed inside a window
    # or an evicted neighbour), counted, detached: the text byte-identical to the file, no
    # mapping left, the rounds still right. Five times.
    p = subprocess.Popen([prog(variant, "evict"), "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline() == "started\n"
        time.sleep(0.1)
        before = maps(p.pid)
        for k in range(5):
            out = tmp_path / f"c{k}.txt"
            f = tracer(["--fast", "-p", str(p.pid), "-c", "-i", "t_e_*", "--debug=fast", "-o", str(out)])
            wait_traced([p.pid], f.pid)
            said = wait_planted(f)
            assert "3 threads stopped for patching" in said
            assert sites_by_eviction(said, prog(variant, "evict")) >= 2
            time.sleep(0.2)
            f.send_signal(signal.SIGINT)
            assert f.wait(timeout=20) == 0
            rows = {l.split()[-1]: int(l.split()[-8]) for l in out.read_text().splitlines() if "t_e_" in l}
            assert rows.get("t_e_end", 0) > 100 and rows.get("t_e_loop", 0) > 100
            assert p.poll() is None
            assert traced_by(p.pid) == 0
            assert maps(p.pid) == before
            assert_text_identical(p.pid)
        out, _ = p.communicate(timeout=60)
        assert out == "ok\n" and p.returncode == 0
    finally:
        end(p)
