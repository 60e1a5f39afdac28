"""Names: a stripped library's exported functions keep their .dynsym names under -l, with the
counts gdb's breakpoints give; separate debug files (build-id, .gnu_debuglink) name the local
functions of stripped files."""
import os
import re
import shutil
import subprocess

import pytest

from conftest import PROGS, prog, run

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


# ---- separate debug files ----

DBG = os.path.join(PROGS, "debuginfo")
DBG_LIB = "libdbgdemo.so"


def dbg_prog():
    path = os.path.join(DBG, "dbgdemo")
    if not os.path.exists(path):
        pytest.fail(f"{path} is missing: run 'make test-progs'")
    return path


def build_id(path):
    out = subprocess.run(["readelf", "-n", path], capture_output=True, text=True, check=True).stdout
    return re.search(r"Build ID: ([0-9a-f]+)", out).group(1)


def install_by_build_id(debugdir, elf, debug):
    """Puts debug where a lookup by elf's build-id finds it under debugdir; returns its path."""
    bid = build_id(elf)
    d = os.path.join(debugdir, ".build-id", bid[:2])
    os.makedirs(d, exist_ok=True)
    dest = os.path.join(d, bid[2:] + ".debug")
    shutil.copyfile(debug, dest)
    return dest


def symtab_names(debug):
    """{address: name} of the functions in a debug file's .symtab (one name each here)."""
    out = subprocess.run(["readelf", "-W", "-s", debug], capture_output=True, text=True, check=True).stdout
    names = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 8 and f[3] == "FUNC" and f[6] != "UND" and int(f[1], 16):
            names[int(f[1], 16)] = f[7]
    return names


def named_like(trace, exe_names, lib_names):
    """The trace with every sub_<hex> replaced by what the debug files call that address."""
    def sub(m):
        table = lib_names if m.group(2) else exe_names
        return table[int(m.group(1), 16)] + (m.group(2) or "")
    return re.sub(r"sub_([0-9a-f]+)(@" + re.escape(DBG_LIB) + ")?", sub, trace)


def test_debug_files_by_build_id_name_every_function(tmp_path):
    """A stripped program and library whose debug files are under DIR/.build-id/ (the option):
    every function has its name, the local ones too, and the graph is the one without debug
    files with each sub_ name replaced."""
    exe, lib = dbg_prog(), os.path.join(DBG, DBG_LIB)
    dirs = tmp_path / "debug"
    install_by_build_id(str(dirs), exe, os.path.join(DBG, "keep", "dbgdemo.debug"))
    install_by_build_id(str(dirs), lib, os.path.join(DBG, "keep", DBG_LIB + ".debug"))
    bare = run(["-l", "libdbg*", "--debuginfo-path", str(tmp_path / "none"), exe], tmp_path)
    assert bare.rc == 1 and "--debuginfo-path" in bare.stderr and "No such file" in bare.stderr
    (tmp_path / "none").mkdir()
    bare = run(["-l", "libdbg*", "--debuginfo-path", str(tmp_path / "none"), exe], tmp_path)
    assert bare.rc == 0, bare.stderr
    assert "sub_" in bare.trace and "prog_local" not in bare.trace and "dbg_twice" not in bare.trace
    r = run(["-l", "libdbg*", f"--debuginfo-path={dirs}", exe], tmp_path)
    assert r.rc == 0, r.stderr
    assert r.stdout == "41\n"
    assert "sub_" not in r.trace
    for name in ("prog_local", "dbg_twice@libdbgdemo.so", "dbg_plus_one@libdbgdemo.so",
                 "frame_dummy@libdbgdemo.so", "dbg_api@libdbgdemo.so"):
        assert name + "()" in r.trace
    want = named_like(bare.norm, symtab_names(os.path.join(DBG, "keep", "dbgdemo.debug")),
                      symtab_names(os.path.join(DBG, "keep", DBG_LIB + ".debug")))
    assert r.norm == want


@pytest.mark.parametrize("where", ["beside", ".debug"])
def test_debug_file_by_debuglink(tmp_path, where):
    """.gnu_debuglink, with the default path: the debug file beside the library or in the .debug
    directory beside it."""
    shutil.copy(dbg_prog(), tmp_path / "dbgdemo")
    lib = tmp_path / DBG_LIB
    keep = tmp_path / "linked.dbg"
    shutil.copyfile(os.path.join(DBG, "keep", DBG_LIB + ".debug"), keep)
    subprocess.run(["objcopy", f"--add-gnu-debuglink={keep}", os.path.join(DBG, DBG_LIB), str(lib)], check=True)
    if where == ".debug":
        (tmp_path / ".debug").mkdir()
        keep.rename(tmp_path / ".debug" / "linked.dbg")
    r = run(["-l", "libdbg*", str(tmp_path / "dbgdemo")], tmp_path)
    assert r.rc == 0, r.stderr
    assert "dbg_twice@libdbgdemo.so()" in r.trace and "dbg_plus_one@libdbgdemo.so()" in r.trace
    assert "sub_" not in "\n".join(l for l in r.trace.splitlines() if "@libdbgdemo.so" in l)


def test_debug_file_lookup_loads_no_debuginfod_client(tmp_path):
    """Without DEBUGINFOD_URLS, looking for debug files (found by build-id, then not found at
    all) loads no libdebuginfod: libdwfl's standard lookup loaded it, and libcurl's dependencies,
    in every run (a tenth of tracing a small program). The dynamic loader's log of fntrace's own
    process (LD_DEBUG_OUTPUT: one file per process) shows every library it loads."""
    exe, lib = dbg_prog(), os.path.join(DBG, DBG_LIB)
    dirs = tmp_path / "debug"
    install_by_build_id(str(dirs), lib, os.path.join(DBG, "keep", DBG_LIB + ".debug"))
    env = {k: v for k, v in os.environ.items() if k != "DEBUGINFOD_URLS"}
    env.update(LD_DEBUG="files", LD_DEBUG_OUTPUT=str(tmp_path / "ld"))
    r = run(["-l", "libdbg*", f"--debuginfo-path={dirs}", exe], tmp_path, env=env)
    assert r.rc == 0, r.stderr
    assert "dbg_twice@libdbgdemo.so()" in r.trace   # (found by build-id)
    logs = [f for f in os.listdir(tmp_path) if f.startswith("ld.")]
    assert logs
    for f in logs:
        text = (tmp_path / f).read_text()
        assert "libdw.so" in text or "dbgdemo" in text   # (fntrace's log, or the program's)
        assert "libdebuginfod" not in text and "libcurl" not in text, f


@pytest.mark.parametrize("crc", ["right", "wrong"])
@pytest.mark.parametrize("where", ["beside", "under the absolute directory"])
def test_debug_file_by_debuglink_crc_without_build_id(tmp_path, crc, where):
    """A library and its debug file without build-ids: the .gnu_debuglink's CRC decides, beside
    the library or under an absolute directory of the path (holding the library's directory, or
    a tail of it). A debug file changed after the link was made is not used."""
    shutil.copy(dbg_prog(), tmp_path / "dbgdemo")
    keep = tmp_path / "linked.dbg"
    strip_id = ["objcopy", "--remove-section=.note.gnu.build-id"]
    subprocess.run([*strip_id, os.path.join(DBG, "keep", DBG_LIB + ".debug"), str(keep)], check=True)
    subprocess.run([*strip_id, f"--add-gnu-debuglink={keep}", os.path.join(DBG, DBG_LIB), str(tmp_path / DBG_LIB)],
                   check=True)
    assert "Build ID" not in subprocess.run(["readelf", "-n", str(tmp_path / DBG_LIB)], capture_output=True,
                                            text=True).stdout
    if crc == "wrong":
        with open(keep, "ab") as f:
            f.write(b"x")
    args = []
    if where != "beside":
        root = tmp_path / "root"
        tail = str(tmp_path).lstrip("/").split("/", 1)[1]   # (the directory without its first part)
        (root / tail).mkdir(parents=True)
        keep.rename(root / tail / "linked.dbg")
        args = [f"--debuginfo-path={root}"]
    r = run([*args, "-l", "libdbg*", str(tmp_path / "dbgdemo")], tmp_path)
    assert r.rc == 0, r.stderr
    assert ("dbg_twice@libdbgdemo.so()" in r.trace) == (crc == "right")
    assert "dbg_api@libdbgdemo.so()" in r.trace


def test_debug_file_of_another_build_is_not_used(tmp_path):
    """A debug file at the right place but of another build (its build-id differs): ignored."""
    exe, lib = dbg_prog(), os.path.join(DBG, DBG_LIB)
    dirs = tmp_path / "debug"
    dest = install_by_build_id(str(dirs), lib, os.path.join(DBG, "keep", "dbgdemo.debug"))
    assert build_id(dest) != build_id(lib)
    r = run(["-l", "libdbg*", f"--debuginfo-path={dirs}", exe], tmp_path)
    assert r.rc == 0, r.stderr
    assert "dbg_twice" not in r.trace and "prog_local" not in r.trace
    assert "dbg_api@libdbgdemo.so()" in r.trace and "sub_" in r.trace


def test_debug_file_installed_under_usr_lib_debug(tmp_path):
    """The default place, as libc6-dbg and *-dbgsym packages install them: the library is
    rebuilt here with a build-id of its own, so no other run can meet its debug file, which
    is removed afterwards."""
    if os.geteuid() != 0:
        pytest.skip("installing under /usr/lib/debug needs root")
    import uuid
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "progs", "lib", "dbgdemo.c")
    full, lib = tmp_path / "full.so", tmp_path / DBG_LIB
    subprocess.run(["gcc", "-O2", "-g", "-shared", "-fPIC", f"-Wl,--build-id=0x{uuid.uuid4().hex}",
                    "-Wl,-soname,libdbgdemo.so", "-o", str(full), src], check=True)
    subprocess.run(["objcopy", "--only-keep-debug", str(full), str(tmp_path / "lib.debug")], check=True)
    subprocess.run(["strip", "-o", str(lib), str(full)], check=True)
    shutil.copy(dbg_prog(), tmp_path / "dbgdemo")
    bid = build_id(str(lib))
    d = os.path.join("/usr/lib/debug/.build-id", bid[:2])
    made = [p for p in ("/usr/lib/debug", "/usr/lib/debug/.build-id", d) if not os.path.isdir(p)]
    dest = os.path.join(d, bid[2:] + ".debug")
    try:
        os.makedirs(d, exist_ok=True)
        shutil.copyfile(tmp_path / "lib.debug", dest)
        r = run(["-c", "-l", "libdbg*", str(tmp_path / "dbgdemo")], tmp_path)
    finally:
        if os.path.exists(dest):
            os.unlink(dest)
        for p in reversed(made):
            try:
                os.rmdir(p)
            except OSError:
                pass   # another run put a file there meanwhile: it removes its own
    assert r.rc == 0, r.stderr
    counts = summary_counts(r.trace)
    assert counts["dbg_twice@libdbgdemo.so"] == 1 and counts["dbg_plus_one@libdbgdemo.so"] == 1


def libc_debug_file():
    libc = "/lib/x86_64-linux-gnu/libc.so.6"
    bid = build_id(libc)
    path = f"/usr/lib/debug/.build-id/{bid[:2]}/{bid[2:]}.debug"
    if not os.path.exists(path):
        pytest.fail(f"{path} is missing: install libc6-dbg (scripts/deps.sh)")
    return path


def test_libc6_dbg_names_libc_internals(tmp_path):
    """Debian's libc6-dbg: libc's local functions by the names gdb gives them."""
    libc_debug_file()
    r = run(["-c", "-l", "libc.so*", prog("gcc-pie-O2-nocf", "threads")], tmp_path, timeout=120)
    assert r.rc == 0, r.stderr
    counts = summary_counts(r.trace)
    assert counts.get("__libc_start_call_main@libc.so.6") == 1
    assert counts.get("start_thread@libc.so.6", 0) >= 1
    assert not any(re.match(r"sub_[0-9a-f]+@libc\.so\.6$", n) for n in counts)
    # Versioned names in the .symtab (__libc_start_main@@GLIBC_2.34) show as .dynsym has them.
    assert counts.get("__libc_start_main@libc.so.6") == 1
    assert not any("@GLIBC" in n for n in counts), [n for n in counts if "@GLIBC" in n]


def test_debuginfo_path_with_read_is_refused(tmp_path):
    r = run(["-r", str(tmp_path / "x.ft"), "--debuginfo-path=/tmp"], tmp_path)
    assert r.rc == 1 and "-r/--read and --debuginfo-path cannot be used together" in r.stderr
