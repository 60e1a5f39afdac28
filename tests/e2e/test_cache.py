"""The disk cache of the fast path's maps and of discovery's functions (util/dcache.c): a second
run reads them instead of building them, prints the same trace, and never serves a file that
changed, or an entry that is damaged, from the old entry. Each test has a cache directory of its
own (the rest of the suite runs with FNTRACE_CACHE=off)."""
import os
import re

import pytest

from conftest import PROGS, run

pytestmark = pytest.mark.onepath   # (the maps are the fast path's: --fast throughout)

FIB = os.path.join(PROGS, "gcc-pie-O2-cf", "fib")


def env_with(cache):
    env = dict(os.environ)
    env["FNTRACE_CACHE"] = str(cache)
    return env


def traced(tmp_path, prog, cache, *extra):
    """fntrace --fast --debug=fast,elf PROG 5: the trace, and the debug lines on stderr."""
    r = run(["--fast", "--debug=fast,elf", *extra, prog, "5"], tmp_path, env=env_with(cache))
    assert r.rc == 0, r.stderr
    return r


def maps(stderr, how):
    """The files whose map was built, or came from the cache ("built", "from cache")."""
    return re.findall(r"debug: (\S+): map of .* " + how + r" in ", stderr)


def entries(cache):
    return sorted(os.listdir(cache)) if os.path.isdir(cache) else []


@pytest.mark.parametrize("prog", ["fib", "fib.stripped"])
def test_cold_then_warm(tmp_path, prog):
    cache = tmp_path / "cache"
    path = os.path.join(PROGS, "gcc-pie-O2-cf", prog)
    cold = traced(tmp_path, path, cache)
    assert maps(cold.stderr, "built") and not maps(cold.stderr, "from cache")
    assert any(e.startswith("map-") for e in entries(cache))
    warm = traced(tmp_path, path, cache)
    assert sorted(maps(warm.stderr, "from cache")) == sorted(maps(cold.stderr, "built"))
    assert not maps(warm.stderr, "built")
    assert warm.norm == cold.norm
    assert "main() {" in warm.trace   # (discovery names main in the stripped one)
    if prog.endswith(".stripped"):   # discovery's functions came from the cache too
        assert "discovered functions from the cache" in warm.stderr
        assert "discovered functions from the cache" not in cold.stderr
    # The same per-function paths and counts as without the cache.
    none = run(["--fast", "--debug=fast", "--no-cache", path, "5"], tmp_path, env=env_with(cache))
    def paths(err):
        return sorted(re.sub(r"0x[0-9a-f]+|pid \d+", "", l) for l in err.splitlines()
                      if ": in-process" in l or ": int3" in l or "entries " in l)
    assert paths(warm.stderr) == paths(none.stderr)
    assert none.norm == cold.norm


@pytest.mark.parametrize("name", ["fib", "fib.stripped"])
def test_changed_file_is_built_again(tmp_path, name):
    cache = tmp_path / "cache"
    prog = tmp_path / name
    with open(os.path.join(PROGS, "gcc-pie-O2-cf", name), "rb") as f:
        code = f.read()
    prog.write_bytes(code)
    prog.chmod(0o755)
    traced(tmp_path, str(prog), cache)
    assert str(prog) in maps(traced(tmp_path, str(prog), cache).stderr, "from cache")
    # One byte of its read-only data: the same size, the map's input changed.
    assert code.count(b"fib(%d) = %d") == 1
    prog.write_bytes(code.replace(b"fib(%d) = %d", b"fib(%d) - %d"))
    r = traced(tmp_path, str(prog), cache)
    assert str(prog) in maps(r.stderr, "built")
    assert "fib(5) - 5" in r.stdout
    assert "discovered functions from the cache" not in r.stderr


def test_damaged_entries_are_built_again(tmp_path):
    cache = tmp_path / "cache"
    cold = traced(tmp_path, FIB, cache)
    names = [e for e in entries(cache) if e.startswith("map-")]
    assert names
    for i, name in enumerate(names):   # cut short, or one byte changed
        p = cache / name
        data = p.read_bytes()
        p.write_bytes(data[: len(data) // 2] if i % 2 == 0 else data[:100] + bytes([data[100] ^ 1]) + data[101:])
    again = traced(tmp_path, FIB, cache)
    assert sorted(maps(again.stderr, "built")) == sorted(maps(cold.stderr, "built"))
    assert again.norm == cold.norm
    warm = traced(tmp_path, FIB, cache)   # written again, whole
    assert sorted(maps(warm.stderr, "from cache")) == sorted(maps(cold.stderr, "built"))
    assert not [e for e in entries(cache) if e.startswith(".tmp-")]


@pytest.mark.parametrize("how", ["--no-cache", "FNTRACE_CACHE=off"])
def test_off(tmp_path, how):
    cache = tmp_path / "cache"
    env = env_with("off" if how.startswith("FNTRACE_CACHE") else cache)
    for _ in range(2):
        r = run(["--fast", "--debug=fast"] + ([how] if how.startswith("--") else []) + [FIB, "5"],
                tmp_path, env=env)
        assert r.rc == 0, r.stderr
        assert maps(r.stderr, "built") and not maps(r.stderr, "from cache")
    assert not os.path.exists(cache)


def test_default_directory(tmp_path):
    """Without FNTRACE_CACHE: $XDG_CACHE_HOME/fntrace, else ~/.cache/fntrace, made mode 0700."""
    env = dict(os.environ)
    env.pop("FNTRACE_CACHE", None)
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    env["HOME"] = str(tmp_path / "home")
    assert run(["--fast", FIB, "5"], tmp_path, env=env).rc == 0
    assert entries(tmp_path / "xdg" / "fntrace")
    assert os.stat(tmp_path / "xdg" / "fntrace").st_mode & 0o777 == 0o700
    del env["XDG_CACHE_HOME"]
    assert run(["--fast", FIB, "5"], tmp_path, env=env).rc == 0
    assert entries(tmp_path / "home" / ".cache" / "fntrace")


def test_directory_others_can_write_is_refused(tmp_path):
    cache = tmp_path / "shared"
    cache.mkdir()
    cache.chmod(0o777)
    r = run(["--fast", "--debug=fast", FIB, "5"], tmp_path, env=env_with(cache))
    assert r.rc == 0
    assert "cache directory" in r.stderr and "the cache is off" in r.stderr
    assert not entries(cache)
    assert maps(r.stderr, "built")
