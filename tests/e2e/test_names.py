"""Names: a stripped library's exported functions keep their .dynsym names under -l, with the
counts gdb's breakpoints give; separate debug files (build-id, .gnu_debuglink) name the local
functions of stripped files."""
import os
import re
import shutil
import subprocess

import pytest

from conftest import run

LIBDIR = "/usr/lib/x86_64-linux-gnu"


def dynsym_funcs(path):
    """{address: name} of the defined functions in path's .dynsym."""
    out = subprocess.run(["readelf", "-W", "--dyn-syms", path], capture_output=True, text=True,
                         check=True).stdout
    funcs = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 8 and f[3] == "FUNC" and f[6] != "UND":
            funcs[int(f[1], 16)] = f[7].split("@")[0]
    return funcs


def summary_counts(trace):
    """{function: calls} from a -c summary."""
    counts = {}
    for line in trace.splitlines():
        f = line.split()
        # Total, Self, Avg, Min and Max are each a number and a unit.
        if len(f) >= 12 and f[4].isdigit():
            counts[" ".join(f[11:])] = int(f[4])
    return counts


def gdb_counts(argv, funcs):
    """How many times gdb's breakpoints at the entry of each of funcs are hit in one run of
    argv. They are set once the loader is done (at __libc_start_main), and never stop the
    program (ignore): the hit counts are all that is kept."""
    # The program must run as under fntrace: no shell in between, and without the LINES and
    # COLUMNS gdb adds to its environment (tclsh copies its environment into a Tcl array).
    cmds = ["set breakpoint pending on", "set pagination off", "set startup-with-shell off",
            "unset environment LINES", "unset environment COLUMNS", "break __libc_start_main", "run"]
    for i, fn in enumerate(funcs):
        cmds += [f"break *{fn}", f"ignore {i + 2} 100000000"]
    cmds += ["continue", "info breakpoints"]
    args = ["gdb", "-nx", "-batch"]
    for c in cmds:
        args += ["-ex", c]
    out = subprocess.run(args + ["--args"] + argv, capture_output=True, text=True, timeout=300,
                         stdin=subprocess.DEVNULL).stdout
    counts, cur = {}, None
    for line in out.splitlines():
        m = re.match(r"^(\d+)\s+breakpoint\s.*<([^>+]+)>", line)
        if m:
            cur = m.group(2)
            counts[cur] = 0
            continue
        m = re.match(r"^\s+breakpoint already hit (\d+) time", line)
        if m and cur:
            counts[cur] = int(m.group(1))
    assert set(counts) == set(funcs), out
    return counts


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("names")
    with open("/etc/services") as f:
        text = f.read()
    (d / "small.txt").write_text(text[:20000])
    subprocess.run(["xz", "-T1", "-1", "-k", str(d / "small.txt")], check=True)
    (d / "t.tcl").write_text("set s {}\nfor {set i 0} {$i < 50} {incr i} { append s [format %d $i] }\n"
                             "puts [string length $s]\n")
    return d


# (library file, -l glob, command, functions whose counts gdb checks). grep -P compiles its
# pattern with the JIT once and runs it once per line: pcre2_match_8 then pcre2_jit_match_8
# (the JIT code it enters is anonymous memory neither tool looks at), so both tools count the
# same entries of named addresses. xz -T1 -t decodes (and checks) a file in one thread.
CASES = {
    "pcre2": ("libpcre2-8.so.0", "libpcre2-8*", lambda d: ["/usr/bin/grep", "-cP", "ser[a-z]+ce", "/etc/services"],
              ["pcre2_match_8", "pcre2_jit_match_8", "pcre2_jit_compile_8", "pcre2_compile_8"]),
    "lzma": ("liblzma.so.5", "liblzma*", lambda d: ["/usr/bin/xz", "-T1", "-t", str(d / "small.txt.xz")],
             ["lzma_crc32", "lzma_crc64", "lzma_code", "lzma_vli_size"]),
    "tcl": ("libtcl8.6.so", "libtcl8.6*", lambda d: ["/usr/bin/tclsh", str(d / "t.tcl")],
            ["Tcl_DStringInit", "Tcl_DStringFree", "Tcl_Eval", "Tcl_NewStringObj"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_stripped_library_keeps_dynsym_names(case, inputs, tmp_path):
    lib, glob, argv, sample = CASES[case]
    path = os.path.join(LIBDIR, lib)
    if not os.path.exists(path) or not shutil.which(argv(inputs)[0]):
        pytest.fail(f"{path} or {argv(inputs)[0]} is missing: run scripts/deps.sh")
    out = subprocess.run(["readelf", "-S", "-W", path], capture_output=True, text=True).stdout
    assert " .symtab " not in out, f"{path} is not stripped: the test means nothing"
    exported = dynsym_funcs(path)
    soname = lib
    r = run(["-c", "-l", glob, *argv(inputs)], tmp_path, timeout=300)
    assert r.rc == 0, r.stderr
    counts = summary_counts(r.trace)
    # No exported function is shown under a made-up name.
    for name in counts:
        m = re.match(r"^sub_([0-9a-f]+)@" + re.escape(soname) + "$", name)
        assert not (m and int(m.group(1), 16) in exported), \
            f"{name} is {exported[int(m.group(1), 16)]}"
    shown = {n.split("@")[0] for n in counts if n.endswith("@" + soname)}
    called = shown & set(exported.values())
    assert set(sample) <= called, sorted(called)
    want = gdb_counts(argv(inputs), sample)
    assert {fn: counts[f"{fn}@{soname}"] for fn in sample} == want
