"""Arguments and return values (-a, -A, -R, --strsize): own functions with DWARF at -O0 and -O2
and without it, C++, library calls with the shipped prototypes, a library's separate debug file,
hostile and long strings, every view and the trace file's round trip."""
import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import PROGS, normalize, prog, run, untraced

ARGS = os.path.join(PROGS, "args")
WITH_G = ["gcc-O0-g", "gcc-O2-g", "clang-O0-g", "clang-O2-g"]
OWN = ["-i", "t_*"]


def lines_of(trace):
    """The trace's lines without the duration and TID columns."""
    return [l.split("| ", 1)[1].strip() for l in trace.splitlines() if "| " in l]


@pytest.mark.parametrize("variant", WITH_G)
def test_own_functions_from_dwarf(variant, tmp_path):
    r = run(["-a", *OWN, os.path.join(ARGS, variant)], tmp_path)
    assert r.rc == 0, r.stderr
    got = lines_of(r.trace)
    for want in [
        "t_ints(a=1, b=-2, c=3, d=4) = 6;",
        "t_seven(a=1, b=2, c=3, d=4, e=5, f=6, g=7) = 28;",      # g is on the stack
        "t_colour(c=GREEN, loud=true) = \"GREEN\";",             # enum, bool, char * return
        "t_mix(f=1.5, d=2.25, i=3) = 6.75;",                     # xmm0, xmm1 and rdi
        "t_pair(p={...}) = 42;",                                 # a struct by value
        "t_make(x=3) = {...};",                                  # a struct returned
        "t_str(s=\"tab\\there \\33[31mred\\33[0m\") = 21;",      # escaped, never raw
        "t_str(s=\"a string much longer than thirty\"...) = 60;",  # cut at 32 bytes
        "t_files(path=\"/etc/hostname\") = -1;",
    ]:
        assert want in got, f"{want!r} not in {got}"
    assert "\x1b" not in r.trace


def test_without_dwarf_only_specs_show_values(tmp_path):
    exe = os.path.join(ARGS, "gcc-O2-nog")
    r = run(["-a", *OWN, exe], tmp_path)
    assert r.rc == 0
    assert "t_ints();" in lines_of(r.trace)                       # no prototype: no values
    r = run(["-A", "t_ints@arg1,arg2/x,arg3/u", "-R", "t_ints@retval/d32", "-A", "t_str@arg1/s",
             "-A", "t_seven@arg7", "-R", "t_mix@retval/f", "-A", "t_mix@fparg1/32,fparg2,arg1",
             *OWN, exe], tmp_path)
    got = lines_of(r.trace)
    assert "t_ints(1, 0xfffffffffffffffe, 3) = 6;" in got
    assert "t_seven(7);" in got
    assert "t_mix(1.5, 2.25, 3) = 6.75;" in got
    assert 't_str("tab\\there \\33[31mred\\33[0m");' in got
    assert "t_colour();" in got                                   # named by no spec


@pytest.mark.parametrize("opt", ["O0", "O2"])
def test_cxx_this_reference_enum_class_bool_double(opt, tmp_path):
    r = run(["-a", "-i", "Counter*", os.path.join(ARGS, f"cxx-{opt}")], tmp_path)
    assert r.rc == 0 and r.stdout == "24 6\n"
    got = lines_of(r.trace)
    add = [l for l in got if l.startswith("Counter::add(")]
    assert len(add) == 1 and re.fullmatch(
        r"Counter::add\(this=0x[0-9a-f]+, n=2, by=0x[0-9a-f]+, m=Fast, twice=true\) = 24;", add[0]), got
    assert any(re.fullmatch(r"Counter::ratio\(this=0x[0-9a-f]+, d=4\) = 6;", l) for l in got), got


LIBC = ["-i", "open", "-i", "read", "-i", "write", "-i", "close", "-i", "strlen", "-i", "strcmp",
        "-i", "memcpy", "-i", "malloc", "-i", "free", "-i", "fopen", "-i", "getenv"]


def test_library_calls_with_shipped_prototypes(tmp_path):
    data = tmp_path / "data.txt"
    data.write_text("hello\n")
    env = dict(os.environ, FNTRACE_ARGS_ENV="set\x1b[2J")
    exe = os.path.join(ARGS, "gcc-O2-g")
    r = run(["-a", "--strsize", "256", *LIBC, exe, str(data)], tmp_path, env=env)
    assert r.rc == 0
    assert r.stdout == untraced(exe, [str(data)]).stdout.replace("(unset)", "set\x1b[2J")
    got = lines_of(r.trace)
    fd = [l for l in got if l.startswith(f'open("{data}"')]
    assert fd == [f'open("{data}", O_RDONLY|O_CLOEXEC) = 3;'], got
    assert any(re.fullmatch(r"read\(3, 0x[0-9a-f]+, 16\) = 6;", l) for l in got), got
    assert "close(3) = 0;" in got
    assert any(re.fullmatch(r"write\(1, 0x[0-9a-f]+, 6\) = 6;", l) for l in got), got
    assert 'open("/nonexistent/fntrace-args", O_RDONLY) = -1 ENOENT (No such file or directory);' in got
    assert 'strlen("tab\\there \\33[31mred\\33[0m") = 21;' in got
    assert 'strcmp("copied", "copied") = 0;' in got
    mal = [re.fullmatch(r"malloc\(24\) = (0x[0-9a-f]+);", l) for l in got]
    ptr = [m.group(1) for m in mal if m]
    assert len(ptr) == 1
    assert f"memcpy({ptr[0]}, " in "\n".join(got)
    assert f"free({ptr[0]});" in got                              # the pointer malloc returned
    assert any(re.fullmatch(r'fopen\("/dev/null", "r"\) = 0x[0-9a-f]+;', l) for l in got), got
    assert 'getenv("FNTRACE_ARGS_ENV") = "set\\33[2J";' in got
    assert "\x1b" not in r.trace


def test_strsize_cuts_strings(tmp_path):
    r = run(["--strsize", "5", "-A", "t_str@arg1/s", *OWN, os.path.join(ARGS, "gcc-O2-g")], tmp_path)
    got = lines_of(r.trace)
    assert 't_str("tab\\th"...);' in got and 't_str("a str"...);' in got
    r = run(["--strsize", "0", "-A", "t_str@arg1/s", *OWN, os.path.join(ARGS, "gcc-O2-g")], tmp_path)
    assert 't_str(""...);' in lines_of(r.trace)


def test_printf_values_and_flat(tmp_path):
    r = run(["--flat", "-a", "-i", "printf", "-i", "t_ints", os.path.join(ARGS, "gcc-O0-g")], tmp_path)
    got = r.trace.splitlines()
    assert "t_ints(a=1, b=-2, c=3, d=4);" in got                  # --flat: no return values
    assert 'printf("%d %ld %s %g %ld %d %g\\n", 6, 28, "GREEN", 6.75, 42, 3, 1.5);' in got


def test_no_values_asked_changes_nothing(tmp_path):
    exe = os.path.join(ARGS, "gcc-O2-g")
    plain = run([*OWN, exe], tmp_path)
    assert "t_ints();" in lines_of(plain.trace)
    assert "=" not in "".join(l for l in lines_of(plain.trace))
    # -c: the same functions and calls (its columns: total, self, calls, avg, min, max, name)
    calls = lambda t: sorted((l.split()[-1], l.split()[4]) for l in t.splitlines() if l.split()[-1].startswith("t_"))
    s1 = run(["-c", *OWN, exe], tmp_path)
    s2 = run(["-c", "-a", *OWN, exe], tmp_path)
    assert calls(s1.trace) == calls(s2.trace) and len(calls(s1.trace)) == 16


SPECS = ["-A", "t_ints@arg1,arg2/x,arg3/u", "-R", "t_ints@retval/d32", "-A", "t_str@arg1/s,retval/u",
         "-A", "t_seven@arg7", "-A", "t_mix@fparg1/32,fparg2,arg1", "-A", "t_colour", "-R", "t_seven@retval",
         "-A", "open@arg1/s,arg2/x,retval/d32"]


@pytest.mark.onepath
def test_fast_and_int3_paths_show_the_same(tmp_path):
    """Manual specs keep the fast path on (values read at the int3 entries it leaves to them,
    return values from rax in its site records): the same trace as the int3 path's."""
    exe = os.path.join(ARGS, "gcc-O2-g")
    fast = run(["--fast", "--debug=fast", *SPECS, *OWN, "-i", "open", exe], tmp_path)
    slow = run(["--no-fast", *SPECS, *OWN, "-i", "open", exe], tmp_path)
    assert fast.rc == slow.rc == 0
    assert re.search(r"args/gcc-O2-g: entries [1-9]\d* in-process", fast.stderr), fast.stderr
    strip = lambda t: re.sub(r"0x[0-9a-f]{6,}", "ADDR", normalize(t))
    assert strip(fast.trace) == strip(slow.trace)
    got = lines_of(fast.trace)
    assert "t_seven(7) = 28;" in got and "t_colour(c=GREEN, loud=true);" in got
    assert 't_str("tab\\there \\33[31mred\\33[0m") = 21;' in got
    assert 'open("/nonexistent/fntrace-args", 0) = -1;' in got


@pytest.mark.onepath
@pytest.mark.parametrize("args", [["-a"], ["-R", "t_mix"], ["-R", "t_mix@retval/f"], ["-a", "-R", "t_make"]])
def test_values_outside_rax_on_the_fast_path(args, tmp_path):
    """-a (errno, doubles), -R FUNC (a type known only when traced) and a floating-point retval
    keep the fast path: its site records then keep rdx, xmm0, xmm1 and errno too, its entry
    records the argument registers where no memory is read, and the trace is the int3 path's."""
    exe = os.path.join(ARGS, "gcc-O2-g")
    fast = run(["--fast", "--debug=fast", *args, *OWN, *LIBC, exe], tmp_path)
    slow = run(["--no-fast", *args, *OWN, *LIBC, exe], tmp_path)
    assert fast.rc == slow.rc == 0
    assert re.search(r"args/gcc-O2-g: .*return sites [1-9]\d* in-process", fast.stderr), fast.stderr
    strip = lambda t: re.sub(r"0x[0-9a-f]{6,}", "ADDR", normalize(t))
    assert strip(fast.trace) == strip(slow.trace)
    got = lines_of(fast.trace)
    assert [l for l in got if l.startswith("t_mix(")][0].endswith("= 6.75;")
    if args[0] == "-a":
        assert 'open("/nonexistent/fntrace-args", O_RDONLY) = -1 ENOENT (No such file or directory);' in got
        assert "errno at %fs:" in fast.stderr
        # arguments in registers and on the stack (t_seven's seventh) come from the entry
        # trampolines' records; a string keeps the int3 entry, and so does a string returned
        # (t_colour's): that call's return site then stops, where it is read
        assert re.search(r"args/gcc-O2-g: entries [1-9]\d* in-process", fast.stderr), fast.stderr
        int3 = set(re.findall(r"debug: (\w+) at 0x[0-9a-f]+: int3 \(its values are read from memory", fast.stderr))
        assert {"t_str", "t_files", "open", "t_colour", "t_name"} <= int3, int3
        assert not {"t_ints", "t_mix", "t_pair", "close", "t_seven", "t_eight", "t_nine", "t_big",
                    "t_ldouble"} & int3, int3
        assert re.search(r"return site 0x[0-9a-f]+: stops \(a string is returned there\)", fast.stderr)
        assert 't_colour(c=GREEN, loud=true) = "GREEN";' in got
        assert "t_ints(a=1, b=-2, c=3, d=4) = 6;" in got and "t_mix(f=1.5, d=2.25, i=3) = 6.75;" in got


STACK_ARGS = [
    "t_seven(a=1, b=2, c=3, d=4, e=5, f=6, g=7) = 28;",
    "t_eight(a=1, b=2, c=3, d=4, e=5, f=6, g=7, h=8) = 77;",           # g, h on the stack
    "t_nine(a=1, b=2, c=3, d=4, e=5, f=6, g=7, h=8, i=9) = 126;",      # i on the stack
    "t_big(b={...}, x=5, y=6) = 35;",                                   # b in memory
    "t_ldouble(x=1, k=3) = 0.333333;",                                  # x on the stack, st0 back
]


@pytest.mark.onepath
@pytest.mark.parametrize("variant", ["gcc-O0-g", "gcc-O2-g", "clang-O2-g"])
def test_stack_arguments_and_long_double_on_the_fast_path(variant, tmp_path):
    """Arguments on the stack come from the entry records' copy of the stack words above the
    return address, a long double returned from the st0 that its call's site record keeps
    (fxsave): no stop for them, and the trace is the int3 path's. The program prints the x87
    status and tag words as the return left them: a trampoline that popped, pushed or cleared
    C1 would change its output."""
    exe = os.path.join(ARGS, variant)
    fast = run(["--fast", "--debug=fast", "-a", *OWN, exe], tmp_path)
    slow = run(["--no-fast", "-a", *OWN, exe], tmp_path)
    plain = untraced(exe)
    assert fast.rc == slow.rc == plain.returncode == 0
    assert fast.stdout == slow.stdout == plain.stdout
    assert "0.333333333333333333 fsw 0x3a20 ftw 0x80" in plain.stdout   # C1 set by the division
    strip = lambda t: re.sub(r"0x[0-9a-f]{6,}", "ADDR", normalize(t))
    assert strip(fast.trace) == strip(slow.trace)
    got = lines_of(fast.trace)
    for want in STACK_ARGS:
        assert want in got, f"{want!r} not in {got}"
    for fn in ("t_seven", "t_eight", "t_nine", "t_big", "t_ldouble"):
        assert re.search(rf"debug: {fn} at 0x[0-9a-f]+: in-process", fast.stderr), fn


@pytest.mark.onepath
def test_stack_arguments_of_specs_on_the_fast_path(tmp_path):
    exe = os.path.join(ARGS, "gcc-O2-nog")
    spec = ["-A", "t_eight@arg7,arg8/x", "-A", "t_big@arg1,arg7", "-R", "t_eight@retval"]
    fast = run(["--fast", "--debug=fast", *spec, *OWN, exe], tmp_path)
    slow = run(["--no-fast", *spec, *OWN, exe], tmp_path)
    assert lines_of(fast.trace) == lines_of(slow.trace)
    got = lines_of(fast.trace)
    assert "t_eight(7, 0x8) = 77;" in got and "t_big(5, 1);" in got, got
    assert re.search(r"debug: t_eight at 0x[0-9a-f]+: in-process", fast.stderr)


@pytest.mark.parametrize("variant", ["gcc-O2-g", "clang-O0-g"])
def test_string_returned_is_read_at_the_return(variant, tmp_path):
    """t_name returns its static buffer, which the caller overwrites at once: the value shown
    is the one at the return, not what the buffer held later."""
    exe = os.path.join(ARGS, variant)
    r = run(["-a", "-i", "t_name", exe], tmp_path)
    assert r.rc == 0 and r.stdout.endswith("overwritten\n")
    assert lines_of(r.trace) == ['t_name(n=1) = "at-return";'], r.trace
    r = run(["-R", "t_name@retval/s", "-i", "t_name", os.path.join(ARGS, "gcc-O2-nog")], tmp_path)
    assert lines_of(r.trace) == ['t_name() = "at-return";'], r.trace


@pytest.mark.onepath
def test_errno_of_the_first_calls(tmp_path):
    """liberrctor.so's constructor fails close and dup before the program's _start: errno shows
    on the fast path as on the int3 path, the offset written at the loader's announcement."""
    exe = os.path.join(ARGS, "errctor")
    args = ["-a", "-l", "liberrctor*", "-l", "libc.so.6", "-i", "close", "-i", "dup", "-i", "early*", exe]
    fast = run(["--fast", "--debug=fast", *args], tmp_path)
    slow = run(["--no-fast", *args], tmp_path)
    assert fast.rc == slow.rc == 0
    assert lines_of(fast.trace) == lines_of(slow.trace)
    got = lines_of(fast.trace)
    assert "close@libc.so.6(-1) = -1 EBADF (Bad file descriptor);" in got, got
    assert "dup@libc.so.6(-7) = -1 EBADF (Bad file descriptor);" in got, got
    # written once the C library is planted (the loader's announcement), before the first
    # record is written
    debug = fast.stderr.splitlines()
    first = lambda s: min(i for i, l in enumerate(debug) if s in l)   # noqa: E731
    assert first("errno at %fs:") < first(": records at 0x"), fast.stderr


@pytest.mark.parametrize("variant", WITH_G)
def test_pointers_unreadable_string_and_a_return_in_rax_rdx(variant, tmp_path):
    r = run(["-a", "-i", "t_ptrs", "-i", "t_wide", os.path.join(ARGS, variant)], tmp_path)
    assert r.rc == 0
    got = lines_of(r.trace)
    # struct and union pointers as addresses; a char * that cannot be read, as its address
    assert any(re.fullmatch(r"t_ptrs\(p=0x[0-9a-f]+, e=0x[0-9a-f]+, unreadable=0x10\) = 1;", l) for l in got), got
    assert "t_wide(a=2) = 0x20000000000000005;" in got, got      # rdx:rax


def test_library_parameters_from_a_debug_file_by_debuglink(tmp_path):
    """libdbgdemo.so stripped, with a .gnu_debuglink to its debug file beside it (the default
    path): -a shows its parameters by name, as with a debug file found by build-id."""
    d = os.path.join(PROGS, "debuginfo")
    shutil.copy(os.path.join(d, "dbgdemo"), tmp_path / "dbgdemo")
    keep = tmp_path / "linked.dbg"
    shutil.copyfile(os.path.join(d, "keep", "libdbgdemo.so.debug"), keep)
    subprocess.run(["objcopy", f"--add-gnu-debuglink={keep}", os.path.join(d, "libdbgdemo.so"),
                    str(tmp_path / "libdbgdemo.so")], check=True)
    r = run(["-a", "-l", "libdbg*", "-i", "dbg_*", str(tmp_path / "dbgdemo")], tmp_path)
    assert r.rc == 0, r.stderr
    assert "dbg_twice@libdbgdemo.so(x=20) = 40;" in lines_of(r.trace), r.trace


def test_long_option_spellings(tmp_path):
    exe = os.path.join(ARGS, "gcc-O2-nog")
    r = run(["--auto-args", "--argument=t_ints@arg1", "--retval", "t_ints@retval/d32", "--strsize=4",
             "--argument", "t_str@arg1/s", "-i", "t_ints", "-i", "t_str", exe], tmp_path)
    assert r.rc == 0, r.stderr
    got = lines_of(r.trace)
    assert "t_ints(1) = 6;" in got and 't_str("tab\\t"...);' in got, got


def build_id(path):
    out = subprocess.run(["readelf", "-n", path], capture_output=True, text=True).stdout
    return re.search(r"Build ID: ([0-9a-f]+)", out).group(1)


def test_stripped_library_debug_file_by_build_id(tmp_path):
    """libdbgdemo.so is stripped; its debug file, under DIR/.build-id/xx/yyyy.debug, gives the
    parameters' names and types."""
    d = os.path.join(PROGS, "debuginfo")
    lib = os.path.join(d, "libdbgdemo.so")
    bid = build_id(lib)
    dest = tmp_path / "dbg" / ".build-id" / bid[:2]
    dest.mkdir(parents=True)
    shutil.copy(os.path.join(d, "keep", "libdbgdemo.so.debug"), dest / f"{bid[2:]}.debug")
    r = run(["-a", "-l", "libdbg*", "-i", "dbg_*", f"--debuginfo-path={tmp_path / 'dbg'}",
             os.path.join(d, "dbgdemo")], tmp_path)
    got = lines_of(r.trace)
    assert got == ["dbg_api@libdbgdemo.so(x=20) {", "dbg_plus_one@libdbgdemo.so(x=20) {",
                   "dbg_twice@libdbgdemo.so(x=20) = 40;", "} = 41; /* dbg_plus_one@libdbgdemo.so */",
                   "} = 41; /* dbg_api@libdbgdemo.so */"], got
    r = run(["-a", "-l", "libdbg*", "-i", "dbg_*", f"--debuginfo-path={tmp_path}",
             os.path.join(d, "dbgdemo")], tmp_path)
    assert lines_of(r.trace) == ["dbg_api@libdbgdemo.so();"]      # no debug file there: no values


@pytest.mark.parametrize("fmt", ["graph", "flat", "json", "chrome", "summary"])
def test_write_read_round_trip(fmt, tmp_path):
    exe = os.path.join(ARGS, "gcc-O2-g")
    ft = tmp_path / "t.ft"
    live = run(["-a", *OWN, *LIBC, f"--format={fmt}", "-w", str(ft), exe], tmp_path)
    assert live.rc == 0
    assert ft.read_bytes()[8:10] == b"\x02\x00"
    back = run(["-r", str(ft), f"--format={fmt}"], tmp_path)
    assert back.rc == 0, back.stderr
    if fmt in ("graph", "flat"):
        assert normalize(back.trace) == normalize(live.trace)
        assert "t_ints(a=1, b=-2, c=3, d=4)" in back.trace
    elif fmt == "json":
        ev = [json.loads(l) for l in back.trace.splitlines()]
        ent = [e for e in ev if e["type"] == "entry" and e["fn"] == "t_ints"]
        ext = [e for e in ev if e["type"] == "exit" and e["fn"] == "t_ints"]
        assert ent[0]["args"] == "a=1, b=-2, c=3, d=4" and ext[0]["retval"] == "6"
        assert [e.get("args") for e in ev] == [e.get("args") for e in map(json.loads, live.trace.splitlines())]
    elif fmt == "chrome":
        doc = json.loads(back.trace)
        x = [e for e in doc["traceEvents"] if e.get("name") == "t_seven"]
        assert x[0]["args"] == {"args": "a=1, b=2, c=3, d=4, e=5, f=6, g=7", "retval": "28"}
    else:
        assert normalize(back.trace).count("t_ints") == 1


def test_old_trace_file_without_values_still_reads(tmp_path):
    """A file of format version 1, as fntrace wrote it before values: read as it was."""
    fixture = os.path.join(os.path.dirname(__file__), "golden", "args-v1.ft")
    data = open(fixture, "rb").read()
    assert data[8:10] == b"\x01\x00"
    r = run(["-r", fixture], tmp_path)
    assert r.rc == 0, r.stderr
    with open(os.path.join(os.path.dirname(__file__), "golden", "args-v1.txt")) as f:
        assert normalize(r.trace) == f.read()


def test_plain_write_stays_version_1(tmp_path):
    ft = tmp_path / "t.ft"
    r = run(["-q", "-w", str(ft), *OWN, os.path.join(ARGS, "gcc-O2-g")], tmp_path, to_file=False)
    assert r.rc == 0 and ft.read_bytes()[8:10] == b"\x01\x00"


def test_values_record_in_version_1_is_corrupt(tmp_path):
    ft = tmp_path / "t.ft"
    run(["-q", "-a", "-w", str(ft), *OWN, os.path.join(ARGS, "gcc-O2-g")], tmp_path, to_file=False)
    data = bytearray(ft.read_bytes())
    data[8] = 1
    bad = tmp_path / "bad.ft"
    bad.write_bytes(bytes(data))
    r = run(["-r", str(bad)], tmp_path)
    assert r.rc == 1 and "unknown record type 0x6" in r.stderr


def test_hostile_values_in_a_file_are_escaped(tmp_path):
    ft = tmp_path / "t.ft"
    run(["-q", "-A", "t_str@arg1/s", "-w", str(ft), *OWN, os.path.join(ARGS, "gcc-O2-g")], tmp_path,
        to_file=False)
    data = ft.read_bytes()
    at = data.index(b'"tab\\t')
    evil = data[:at] + b'"\x1b[1m\x07' + data[at + 6:]                   # same length
    bad = tmp_path / "evil.ft"
    bad.write_bytes(evil)
    r = run(["-r", str(bad)], tmp_path)
    assert r.rc == 0 and "\x1b" not in r.trace and "\x07" not in r.trace
    assert '"\\x1b[1m\\x07here' in r.trace


@pytest.mark.parametrize("args,msg", [
    (["-A", "f@arg0"], "-A/--argument 'arg0': arguments count from 1"),
    (["-R", "f@retval/q"], "-R/--retval 'retval/q': unknown format 'q'"),
    (["-A", "@arg1"], "-A/--argument '@arg1': no function before '@'"),
    (["--strsize", "-1"], "--strsize: '-1' is not a length from 0 to 65536"),
    (["--strsize", "x"], "--strsize: 'x' is not a length"),
])
def test_bad_options_are_one_line_errors(args, msg, tmp_path):
    r = run([*args, os.path.join(ARGS, "gcc-O2-g")], tmp_path, to_file=False)
    assert r.rc == 1 and msg in r.stderr and r.stderr.count("\n") == 1, r.stderr


def test_read_refuses_value_options(tmp_path):
    r = run(["-r", str(tmp_path / "x.ft"), "-a"], tmp_path, to_file=False)
    assert r.rc == 1 and "-r/--read and -a/--auto-args cannot be used together" in r.stderr


def test_unmatched_spec_is_reported(tmp_path):
    r = run(["-A", "no_such_fn@arg1", *OWN, os.path.join(ARGS, "gcc-O2-g")], tmp_path)
    assert r.rc == 0 and "-A/--argument 'no_such_fn' matched no function" in r.stderr


@pytest.mark.parametrize("cmd", [["ls", "/usr"], ["cat", "/etc/passwd"], ["python3", "-c", "pass"],
                                 ["sort", "/etc/passwd"]])
def test_real_programs_run_unchanged(cmd, tmp_path):
    path = shutil.which(cmd[0], path="/usr/bin:/bin")
    if not path:
        pytest.skip(f"{cmd[0]} not installed")
    lib = ["-l", "libc.so.6"] if cmd[0] != "python3" else []
    r = run(["-a", *lib, path, *cmd[1:]], tmp_path, timeout=300)
    u = untraced(path, cmd[1:])
    assert (r.rc, r.stdout, r.stderr) == (u.returncode, u.stdout, u.stderr)
    assert re.search(r"\w\(.+\) = ", r.trace)
    assert "\x1b" not in r.trace


def test_function_pointer_is_named(tmp_path):
    r = run(["-a", "-i", "qsort", os.path.join(PROGS, "libcalls", "gcc-lazy")], tmp_path)
    assert r.rc == 0
    assert any(re.fullmatch(r"qsort\(0x[0-9a-f]+, 3, 4, &t_cmp\);", l) for l in lines_of(r.trace)), r.trace


def test_rewriting_a_file_keeps_its_values(tmp_path):
    """-r FILE -w OTHER: OTHER is of version 2 too, with the values of the calls left."""
    ft, other = tmp_path / "t.ft", tmp_path / "o.ft"
    run(["-q", "-a", "-w", str(ft), *OWN, os.path.join(ARGS, "gcc-O2-g")], tmp_path, to_file=False)
    r = run(["-q", "-r", str(ft), "-i", "t_ints", "-w", str(other)], tmp_path, to_file=False)
    assert r.rc == 0 and other.read_bytes()[8:10] == b"\x02\x00"
    back = run(["-r", str(other)], tmp_path)
    assert lines_of(back.trace) == ["t_ints(a=1, b=-2, c=3, d=4) = 6;"]


def test_values_survive_the_filters_that_hold_entries(tmp_path):
    # --time-filter and -C keep entries back until their exit: the values go with them.
    exe = os.path.join(ARGS, "gcc-O0-g")
    strip = lambda t: [re.sub(r"0x[0-9a-f]{6,}", "ADDR", l) for l in lines_of(t)]   # (stack addresses)
    plain = strip(run(["-a", *OWN, exe], tmp_path).trace)
    held = run(["-a", *OWN, "--time-filter", "1ns", exe], tmp_path)
    assert held.rc == 0 and strip(held.trace) == plain
    path = run(["-a", *OWN, "-C", "t_ints", exe], tmp_path)
    assert lines_of(path.trace) == ["t_ints(a=1, b=-2, c=3, d=4) = 6;"]


@pytest.mark.parametrize("safe", ["0", "1"])
def test_return_value_from_a_site_record_in_both_trampoline_modes(safe, tmp_path):
    # Safe mode (-p's trampolines) checks the block with lahf/seto before storing the record:
    # the value returned must still be the program's rax, not those flags.
    exe = os.path.join(ARGS, "gcc-O2-nog")
    env = dict(os.environ, FNTRACE_FAST_SAFE=safe)
    r = run(["--fast", "-R", "t_ints@retval/d32", *OWN, exe], tmp_path, env=env)
    assert r.rc == 0 and "t_ints() = 6;" in lines_of(r.trace)


@pytest.mark.onepath
def test_ifunc_implementations_under_lib_show_their_values_on_both_paths(tmp_path):
    """Under -l, glibc's __strlen_evex is planted under its own name before the loader picks
    it for strlen: the fast path leaves its entry to an int3 too, so that it shows as
    strlen@libc.so.6 with strlen's values, as on the int3 path."""
    exe = os.path.join(ARGS, "gcc-O2-g")
    args = ["-a", "-l", "libc.so.6", "-i", "strlen*", "-i", "strcmp*", "-i", "__str*", "-i", "__mem*", exe]
    fast, slow = run(["--fast", *args], tmp_path), run(["--no-fast", *args], tmp_path)
    assert fast.rc == slow.rc == 0
    strip = lambda t: re.sub(r"0x[0-9a-f]{6,}", "ADDR", normalize(t))
    assert strip(fast.trace) == strip(slow.trace)
    assert 'strlen@libc.so.6("tab\\there \\33[31mred\\33[0m") = 21;' in lines_of(fast.trace)
