"""Binaries without symbols: a stripped build is traced as completely as the unstripped one, its
functions named sub_<hex> after their addresses as objdump shows them, main kept; hostile names
are escaped."""
import os
import re
import subprocess

import pytest

from conftest import FNTRACE, ROOT, SOME_VARIANTS, VARIANTS, distinct_builds, normalize, prog, run, untraced

TOK = re.compile(r"^(.*?\| +(?:\} /\* )?)([^ ();]+)(\(\);|\(\) \{| \*/)$")


def names_at(path):
    """Every name nm knows for each address of the unstripped build."""
    out = subprocess.run(["nm", "--defined-only", path], capture_output=True, text=True).stdout
    at = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3:
            at.setdefault(int(f[0], 16), set()).add(f[2])
    return at


def assert_same_graph(plain, stripped, at):
    """The stripped graph is the plain one with each name replaced by sub_<its address>."""
    a, b = plain.splitlines(), stripped.splitlines()
    assert len(a) == len(b), (len(a), len(b))
    for x, y in zip(a, b):
        if x == y:
            continue
        mx, my = TOK.match(x), TOK.match(y)
        assert mx and my and mx.group(1) == my.group(1) and mx.group(3) == my.group(3), (x, y)
        sub = my.group(2)
        assert sub.startswith("sub_") and mx.group(2) in at.get(int(sub[4:], 16), ()), (x, y)


CASES = [("abc", []), ("fib", ["10"]), ("longjmp", [])]
# Not static non-PIE: there, without .eh_frame_hdr, the unwinder makes about 110,000 calls per
# throw (sorting every FDE), which takes minutes to trace twice. abc and fib cover those builds.
THROW_VARIANTS = [v for v in VARIANTS if "-static-" not in v]
MORE = [("mutual", []), ("tail", []), ("exitdeep", []), ("kinds", []), ("die", ["usr1"])]


@pytest.mark.parametrize("name,args,variant", [pytest.param(n, a, v, id=f"{n}-args{i}-{v}")
                                               for i, (n, a) in enumerate(CASES) for v in distinct_builds(n)])
def test_stripped_graph_equals_unstripped(tmp_path, variant, name, args):
    check_stripped(tmp_path, variant, name, args)


def check_stripped(tmp_path, variant, name, args):
    """Traces a build and its stripped twin: same program behaviour, same graph but for names."""
    path = prog(variant, name)
    plain = run(["--no-demangle", path, *args], tmp_path)
    stripped = run(["--no-demangle", path + ".stripped", *args], tmp_path)
    assert (stripped.rc, stripped.stdout) == (plain.rc, plain.stdout)
    assert_same_graph(plain.norm, stripped.norm, names_at(path))


@pytest.mark.parametrize("variant", distinct_builds("throw", THROW_VARIANTS))
def test_stripped_cxx_graph_equals_unstripped(tmp_path, variant):
    check_stripped(tmp_path, variant, "throw", [])


@pytest.mark.parametrize("variant", SOME_VARIANTS)
@pytest.mark.parametrize("name,args", MORE)
def test_stripped_graph_equals_unstripped_more(tmp_path, variant, name, args):
    check_stripped(tmp_path, variant, name, args)


def counts(trace):
    rows = {}
    for line in trace.splitlines()[2:]:
        f = line.split()
        if len(f) == 12:
            rows[f[-1]] = int(f[4])
    return rows


@pytest.mark.parametrize("variant", SOME_VARIANTS)
def test_stripped_summary_counts_identical(tmp_path, variant):
    path = prog(variant, "fib")
    at = names_at(path)
    plain = counts(run(["-c", "--no-demangle", path, "12"], tmp_path).trace)
    stripped = counts(run(["-c", "--no-demangle", path + ".stripped", "12"], tmp_path).trace)
    renamed = {}
    for name, n in stripped.items():
        if name.startswith("sub_"):
            names = at[int(name[4:], 16)] & set(plain)
            assert len(names) == 1, (name, names)
            name = names.pop()
        renamed[name] = n
    assert renamed == plain
    assert plain["fib"] == 465 and stripped["main"] == 1


def test_sub_names_are_objdump_addresses(tmp_path):
    for variant in ["gcc-nopie-O2-nocf", "gcc-pie-O2-nocf"]:
        path = prog(variant, "abc")
        r = run(["--flat", "--no-libcalls", path + ".stripped"], tmp_path)
        at = names_at(path)
        subs = [l[:-3] for l in r.trace.splitlines() if l.startswith("sub_")]
        assert subs and all(int(s[4:], 16) in at for s in subs)
        assert "main();" in r.trace.splitlines()
        func1 = min(a for a, n in at.items() if "func1" in n)
        assert f"sub_{func1:x}();" in r.trace.splitlines()


def test_stripped_shared_library_functions(tmp_path):
    # Debian's libc has no .symtab: -l shows its internal functions as sub_<hex>@libc.so.6
    # (unless a debug file names them: none is looked for here, libc6-dbg or not).
    r = run(["--flat", "-l", "libc.so.6", "-i", "sub_*", "--debuginfo-path", str(tmp_path),
             prog("gcc-pie-O0-nocf", "abc")], tmp_path)
    lines = r.trace.splitlines()
    assert len(lines) > 5
    assert all(re.fullmatch(r"sub_[0-9a-f]+@libc\.so\.6\(\);", l) for l in lines), lines[:5]


def test_hostile_names_are_escaped(tmp_path):
    src = prog("gcc-pie-O0-nocf", "evil")
    data = open(src, "rb").read()
    old = b"t_evil_PLACEHOLDER_NAME"
    new = b"t_evil_\x1b[2J\x1b[31mRED\x07\\\xff!"
    assert len(new) <= len(old) and old in data
    bad = tmp_path / "evil"
    bad.write_bytes(data.replace(old, new + b"\0" * (len(old) - len(new))))
    os.chmod(bad, 0o755)
    r = run(["--flat", "-i", "t_evil*", str(bad)], tmp_path)
    assert r.stdout == "evil ran\n"
    assert r.trace == "t_evil_\\x1b[2J\\x1b[31mRED\\x07\\x5c\\xff!();\n"
    assert "\x1b" not in r.trace
    g = run(["-i", "t_evil*", str(bad)], tmp_path)
    assert "\x1b" not in g.trace and "\\x1b[2J" in g.trace


def test_static_musl_stripped_finds_main(tmp_path):
    import shutil
    if not shutil.which("musl-gcc"):
        pytest.skip("musl-gcc not installed")
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "examples", "abc.c")
    exe = tmp_path / "abc-musl"
    subprocess.run(["musl-gcc", "-O2", "-static", "-o", str(exe), src], check=True)
    subprocess.run(["strip", str(exe)], check=True)
    r = run(["--flat", str(exe)], tmp_path)
    assert r.rc == 0 and r.stdout == "A\nB\nB\n"
    calls = r.trace.splitlines()
    assert "main();" in calls
    # main's five calls follow it, each a sub_ named after its address.
    after = calls[calls.index("main();") + 1:]
    assert all(re.fullmatch(r"sub_[0-9a-f]+\(\);", l) for l in after[:1])


def test_code_and_constants_in_one_segment(tmp_path):
    # Linked with -z noseparate-code, .rodata shares the R+X segment with .text. Only executable
    # sections are code: the constants, some of which decode as calls, are neither searched for
    # functions nor given breakpoints, stripped or not.
    src = os.path.join(ROOT, "tests", "progs", "onesegment.c")
    exe = tmp_path / "onesegment"
    subprocess.run(["gcc", "-O2", "-Wl,-z,noseparate-code", "-I", os.path.dirname(src), "-o", str(exe), src],
                   check=True)
    segs = subprocess.run(["readelf", "-lW", str(exe)], capture_output=True, text=True).stdout
    assert re.search(r"LOAD .* R E .*", segs) and not re.search(r"LOAD .* R  .*", segs), segs
    subprocess.run(["strip", "-o", str(exe) + ".stripped", str(exe)], check=True)
    expect = untraced(str(exe)).stdout
    plain = run(["--flat", str(exe)], tmp_path)
    stripped = run(["--flat", str(exe) + ".stripped"], tmp_path)
    assert plain.stdout == stripped.stdout == expect
    assert "checksum();" in plain.trace.splitlines() and "twice();" in plain.trace.splitlines()
    at = names_at(str(exe))
    for x, y in zip(plain.trace.splitlines(), stripped.trace.splitlines(), strict=True):
        assert x == y or (y.startswith("sub_") and x[:-3] in at.get(int(y[4:-3], 16), ())), (x, y)
