"""Output manners: the trace reaches its reader while the program runs, a trace that could not be
written is said to be lost, files per process are created safely and closed, export formats go
to files, and messages are the ones people know."""
import os
import re
import resource
import select
import shutil
import stat
import subprocess
import tempfile
import time

import pytest

from conftest import FNTRACE, PROGS, fntrace, prog, varint

SLOW = os.path.join(PROGS, "slowcall")
DEADLINE = 20   # seconds a test waits for something that must come; never a measurement


# ---- live output ----

def read_count(fd, want, n, buf):
    """Reads fd until want (bytes) occurs n times in what was read; fails after DEADLINE."""
    end = time.monotonic() + DEADLINE
    while buf.count(want) < n:
        left = end - time.monotonic()
        assert left > 0, f"{want!r} x{n} never came; got {buf!r}"
        r, _, _ = select.select([fd], [], [], left)
        if r:
            chunk = os.read(fd, 4096)
            assert chunk, f"end of output before {want!r} x{n}; got {buf!r}"
            buf += chunk
    return buf


@pytest.mark.parametrize("view", [["--flat"], []], ids=["flat", "graph"])
def test_each_line_reaches_a_pipe_while_the_program_runs(view):
    """slowcall waits for a line on stdin after each t_ping: the test sends it only once the
    call's line came through fntrace's stderr pipe, so a trace held in a buffer blocks the run
    (until DEADLINE fails it). The graph's line of a leaf comes with its return, before the wait."""
    p = subprocess.Popen([FNTRACE, *view, "-i", "t_ping", SLOW, "3"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        buf = b""
        for i in range(3):
            buf = read_count(p.stderr.fileno(), b"t_ping();", i + 1, buf)
            p.stdin.write(b"go\n")
            p.stdin.flush()
        out, _ = p.communicate(timeout=DEADLINE)
        assert p.returncode == 0 and out == b"done 3\n"
    finally:
        p.kill()
        p.wait()


def test_an_output_file_can_be_followed(tmp_path):
    """tail -f of -o FILE sees each call while the program waits."""
    out = tmp_path / "live.txt"
    p = subprocess.Popen([FNTRACE, "--flat", "-o", str(out), "-i", "t_ping", SLOW, "2"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        tail = subprocess.Popen(["tail", "-F", "-s", "0.05", str(out)], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)
        try:
            buf = b""
            for i in range(2):
                buf = read_count(tail.stdout.fileno(), b"t_ping();", i + 1, buf)
                p.stdin.write(b"go\n")
                p.stdin.flush()
        finally:
            tail.kill()
            tail.wait()
        p.communicate(timeout=DEADLINE)
        assert p.returncode == 0
        assert out.read_text() == "t_ping();\nt_ping();\n"
    finally:
        p.kill()
        p.wait()


# ---- lost output ----

def lost(r, where):
    """The one message a lost trace gives."""
    lines = [l for l in r.stderr.splitlines() if l.startswith("fntrace: ")]
    assert len(lines) == 1, r.stderr
    assert re.fullmatch(rf"fntrace: writing the trace to {re.escape(where)}: No space left on device "
                        r"\(trace incomplete: \d+ bytes not written\)", lines[0]), lines[0]


def test_dev_full_is_a_lost_trace():
    r = fntrace(["-o", "/dev/full", prog("gcc-pie-O2-cf", "abc")])
    assert r.stdout == "A\nB\nB\n"
    assert r.returncode == 1
    lost(r, "/dev/full")
    # The program's own failure is still what fntrace exits with.
    r = fntrace(["-o", "/dev/full", prog("gcc-pie-O2-cf", "die"), "exit", "42"])
    assert r.returncode == 42
    lost(r, "/dev/full")
    r = fntrace(["-o", "/dev/full", prog("gcc-pie-O2-cf", "die"), "segv"])
    assert r.returncode == -11
    lost(r, "/dev/full")


def test_trace_on_stderr_that_is_full():
    with open("/dev/full", "w") as full:
        r = subprocess.run([FNTRACE, "--flat", prog("gcc-pie-O2-cf", "abc")], stdout=subprocess.PIPE,
                           stderr=full, stdin=subprocess.DEVNULL)
    assert r.returncode == 1 and r.stdout == b"A\nB\nB\n"


def test_trace_file_on_dev_full():
    r = fntrace(["-q", "-w", "/dev/full", prog("gcc-pie-O2-cf", "abc")])
    assert r.returncode == 1
    assert r.stderr == ("fntrace: writing the trace file /dev/full: No space left on device "
                        "(the file ends here, incomplete)\n")


@pytest.fixture
def small_disk(tmp_path):
    """A 64 KiB file system, full long before the trace ends."""
    d = tmp_path / "small"
    d.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(d)], capture_output=True)
    if r.returncode:
        pytest.skip(f"cannot mount a tmpfs: {r.stderr.decode().strip()}")
    yield d
    subprocess.run(["umount", str(d)], check=True)


def test_full_disk_is_a_lost_trace(small_disk):
    out = small_disk / "t.txt"
    r = fntrace(["-o", str(out), prog("gcc-pie-O2-cf", "fib"), "20"])
    assert r.stdout == "fib(20) = 6765\n"
    assert r.returncode == 1
    lost(r, str(out))
    assert 0 < out.stat().st_size <= 65536
    ft = small_disk / "t.ft"
    out.unlink()
    r = fntrace(["-q", "-w", str(ft), prog("gcc-pie-O2-cf", "fib"), "22"])
    assert r.returncode == 1
    assert r.stderr == (f"fntrace: writing the trace file {ft}: No space left on device "
                        "(the file ends here, incomplete)\n")


def test_a_whole_trace_is_no_loss(tmp_path):
    r = fntrace(["-o", str(tmp_path / "t"), "-w", str(tmp_path / "t.ft"), prog("gcc-pie-O2-cf", "fib"), "20"])
    assert r.returncode == 0 and r.stderr == ""


def test_output_that_is_the_program_is_refused(tmp_path):
    exe = tmp_path / "abc"
    shutil.copy(prog("gcc-pie-O2-cf", "abc"), exe)
    size = exe.stat().st_size
    for args in (["-o", str(exe)], ["-w", str(exe)], ["-o", str(tmp_path / "." / "abc")]):
        r = fntrace([*args, str(exe)])
        assert r.returncode == 1 and r.stdout == ""
        assert r.stderr.count("\n") == 1 and "is PROGRAM itself" in r.stderr, r.stderr
        assert exe.stat().st_size == size
    # Found through PATH, too.
    r = fntrace(["-o", str(exe), "abc"], env={**os.environ, "PATH": str(tmp_path)})
    assert r.returncode == 1 and "is PROGRAM itself" in r.stderr
    assert exe.stat().st_size == size


def test_one_file_for_two_writers_is_refused(tmp_path):
    os.chdir(tmp_path)
    for args, what in [(["-o", "x", "-w", "x"], "-o/--output and -w/--write"),
                       (["-o", "x", "-w", "./x"], "-o/--output and -w/--write"),
                       (["-o", "x", "-w", str(tmp_path / "x")], "-o/--output and -w/--write")]:
        r = fntrace([*args, prog("gcc-pie-O2-cf", "abc")])
        assert r.returncode == 1 and r.stdout == ""
        assert r.stderr == f"fntrace: {what} cannot name the same file (see fntrace --help)\n"
        assert not os.path.exists("x")
    fntrace(["-q", "-w", "t.ft", prog("gcc-pie-O2-cf", "abc")])
    data = (tmp_path / "t.ft").read_bytes()
    r = fntrace(["-r", "t.ft", "-o", str(tmp_path / "t.ft")])
    assert r.returncode == 1 and "-o/--output and -r/--read cannot name the same file" in r.stderr
    assert (tmp_path / "t.ft").read_bytes() == data
    # Devices are no conflict.
    assert fntrace(["-o", "/dev/null", "-w", "/dev/null", prog("gcc-pie-O2-cf", "abc")]).returncode == 0


# ---- files per process ----

def test_double_f_is_one_file_per_process(tmp_path):
    base = tmp_path / "sep"
    r = fntrace(["-ff", "-o", str(base), "-i", "t_*", prog("gcc-pie-O2-cf", "forks"), "fork"])
    assert r.returncode == 0, r.stderr
    files = sorted(tmp_path.glob("sep.*"))
    assert len(files) == 2
    assert "t_child_work" in "".join(f.read_text() for f in files)
    assert not base.exists()
    r = fntrace(["-ff", prog("gcc-pie-O2-cf", "forks"), "fork"])
    assert r.returncode == 1 and r.stderr == ("fntrace: -ff writes one file per process, FILE.PID: it needs "
                                              "-o/--output FILE (see fntrace --help)\n")


def test_a_file_per_process_is_closed_when_it_ends(tmp_path):
    """With 40 descriptors, 150 processes one after the other: each file is closed as its
    process ends (fntrace kept them all open and crashed once descriptors ran out)."""
    def few_fds():
        resource.setrlimit(resource.RLIMIT_NOFILE, (40, 40))
    base = tmp_path / "sep"
    r = subprocess.run([FNTRACE, "-f", "--output-separately", "-o", str(base), "-i", "t_ping", SLOW, "150", "fork"],
                       capture_output=True, text=True, stdin=subprocess.DEVNULL, preexec_fn=few_fds, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "done 150\n" and r.stderr == ""
    files = list(tmp_path.glob("sep.*"))
    assert len(files) == 151
    children = [f for f in files if "t_ping();" in f.read_text()]
    assert len(children) == 150


def test_a_file_that_cannot_be_created_is_no_crash(tmp_path):
    """Out of descriptors with every process alive: what cannot be written is said, once per
    process, and the program runs on untouched."""
    def few_fds():
        resource.setrlimit(resource.RLIMIT_NOFILE, (12, 12))
    base = tmp_path / "sep"
    r = subprocess.run([FNTRACE, "-f", "--output-separately", "-o", str(base), "-i", "t_*", SLOW, "30", "together"],
                       capture_output=True, text=True, stdin=subprocess.DEVNULL, preexec_fn=few_fds, timeout=300)
    assert r.stdout == "done 30\n"
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    assert lines
    for line in lines:
        assert re.fullmatch(r"fntrace: cannot create output file \S+ \(the trace of process \d+ is not "
                            r"written\): Too many open files", line), line
    made = list(tmp_path.glob("sep.*"))
    assert len(made) + len(lines) == 31
    assert all(f.read_text().startswith("# DURATION") for f in made)


def last_pid():
    with open("/proc/sys/kernel/ns_last_pid") as f:
        return int(f.read())


def test_planted_links_are_not_followed(tmp_path):
    """Per-process names are predictable: links planted under them (as another user could in a
    shared directory) must not lead fntrace to write elsewhere, nor may a file already there be
    overwritten."""
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    start = last_pid()
    for pid in range(start + 1, start + 3000):
        os.symlink(victim, tmp_path / f"sep.{pid}")
    r = fntrace(["-ff", "-o", str(tmp_path / "sep"), "-i", "t_*", prog("gcc-pie-O2-cf", "forks"), "fork"])
    assert victim.read_text() == "precious\n"
    made = [p for p in tmp_path.glob("sep.*") if not p.is_symlink()]
    refused = re.findall(r"^fntrace: \S+/sep\.(\d+) exists already; not overwritten \(the trace of process "
                         r"\d+ is not written\)$", r.stderr, re.M)
    assert len(made) + len(refused) == 2, (made, r.stderr)
    assert refused, "no planted name was used: the pids went past the window"
    assert r.returncode == 1


def test_a_file_already_there_is_not_overwritten(tmp_path):
    start = last_pid()
    for pid in range(start + 1, start + 3000):
        (tmp_path / f"sep.{pid}").write_text("old\n")
    r = fntrace(["-ff", "-o", str(tmp_path / "sep"), "-i", "t_*", prog("gcc-pie-O2-cf", "forks"), "fork"])
    assert "exists already; not overwritten" in r.stderr and r.returncode == 1
    assert all(p.read_text() == "old\n" for p in tmp_path.glob("sep.*") if p.stat().st_size == 4)
    assert sum(p.read_text() == "old\n" for p in tmp_path.glob("sep.*")) >= 2998


# ---- where each view goes ----

@pytest.mark.parametrize("fmt", ["chrome", "json", "folded", "svg"])
def test_a_live_export_needs_a_file(fmt):
    r = fntrace([f"--format={fmt}", prog("gcc-pie-O2-cf", "abc")])
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr == (f"fntrace: --format={fmt} makes a file for other tools: name it with -o/--output FILE "
                        "(see fntrace --help)\n")


@pytest.mark.parametrize("fmt", ["graph", "flat", "summary", "chrome", "json", "folded", "svg"])
def test_a_trace_file_is_shown_on_stdout(tmp_path, fmt):
    ft = tmp_path / "t.ft"
    fntrace(["-q", "-w", str(ft), prog("gcc-pie-O2-cf", "abc")])
    r = fntrace([f"--format={fmt}", "-r", str(ft)])
    assert r.returncode == 0 and r.stderr == ""
    assert "main" in r.stdout
    fntrace([f"--format={fmt}", "-r", str(ft), "-o", str(tmp_path / "out")])
    assert (tmp_path / "out").read_text() == r.stdout


def test_a_live_trace_stays_on_stderr():
    r = fntrace(["--flat", "-i", "func1", prog("gcc-pie-O2-cf", "abc")])
    assert (r.stdout, r.stderr) == ("A\nB\nB\n", "func1();\n")


# ---- messages ----

@pytest.mark.parametrize("args, message", [
    (["--bogus=1"], "unrecognized option '--bogus=1'"),
    (["--bogus"], "unrecognized option '--bogus'"),
    (["--fo"], "option '--fo' is ambiguous; possibilities: '--follow-forks' '--format'"),
    (["--out=x"], "option '--out=x' is ambiguous; possibilities: '--output' '--output-fields' '--output-separately'"),
    (["--flat=yes"], "option '--flat' doesn't allow an argument"),
    (["-Z"], "invalid option -- 'Z'"),
    (["-o"], "option requires an argument -- 'o'"),
    (["--depth"], "option '--depth' requires an argument"),
    (["--dep"], "option '--depth' requires an argument"),
])
def test_option_messages_in_getopts_words(args, message):
    r = fntrace([*args])
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr == f"fntrace: {message} (see fntrace --help)\n"


def test_a_glob_that_matched_nothing_is_reported(tmp_path):
    abc = prog("gcc-pie-O2-cf", "abc")
    r = fntrace(["-o", str(tmp_path / "t"), "-i", "func*", "-i", "fnuc*", "-x", "func3", "-x", "nope",
                 "-l", "libnothing*", abc])
    assert r.returncode == 0 and r.stdout == "A\nB\nB\n"
    assert r.stderr == ("fntrace: -i/--include 'fnuc*' matched no function\n"
                        "fntrace: -x/--exclude 'nope' matched no function\n"
                        "fntrace: -l/--lib 'libnothing*' matched no library the program loaded\n")
    # A glob that matches only a library function, or a library, is no typo.
    r = fntrace(["-o", str(tmp_path / "t"), "-i", "puts", "-l", "libc.so*", "-i", "main", abc])
    assert r.returncode == 0 and r.stderr == ""
    # Reading a file: the names are the file's.
    fntrace(["-q", "-w", str(tmp_path / "t.ft"), abc])
    r = fntrace(["-r", str(tmp_path / "t.ft"), "--flat", "-i", "main", "-i", "zzz"])
    assert r.returncode == 0 and r.stdout == "main();\n"
    assert r.stderr == "fntrace: -i/--include 'zzz' matched no function in the trace file\n"


UTF8_C = r"""
#include <stdio.h>
__attribute__((noinline)) int fa(int x) { __asm__ volatile("" : "+r"(x)); return x; }
__attribute__((noinline)) int fb(int x) { __asm__ volatile("" : "+r"(x)); return x + 1; }
__attribute__((noinline)) int fc(int x) { __asm__ volatile("" : "+r"(x)); return x + 2; }
int main(void) { printf("%d\n", fa(1) + fb(2) + fc(3)); return 0; }
"""


def test_utf8_names_print_as_utf8(tmp_path):
    src, plain, exe = tmp_path / "u.c", tmp_path / "plain", tmp_path / "u"
    src.write_text(UTF8_C)
    subprocess.run(["gcc", "-O1", "-no-pie", "-fno-pie", "-o", str(plain), str(src)], check=True)
    # größe; a name with a C1 control (U+009B, CSI to some terminals); one with an overlong '/'.
    names = {"fa": "gr\u00f6\u00dfe".encode(), "fb": b"t_\xc2\x9b2J", "fc": b"t_\xc0\xaf"}
    cmd = [b"objcopy"]
    for old, new in names.items():
        cmd += [b"--redefine-sym", old.encode() + b"=" + new]
    subprocess.run([*cmd, str(plain).encode(), str(exe).encode()], check=True)
    r = subprocess.run([FNTRACE, "--flat", "-i", "main", "-i", "gr*", "-i", "t_*", str(exe)], capture_output=True,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0 and r.stdout == b"9\n"
    assert r.stderr == ("main();\ngr\u00f6\u00dfe();\n").encode() + b"t_\\xc2\\x9b2J();\nt_\\xc0\\xaf();\n"


def test_the_tid_column_fits_seven_digits(tmp_path):
    """pid_max goes up to 4194304: a trace file of such a thread, read back, keeps the columns."""
    ft = tmp_path / "t.ft"
    fntrace(["-q", "-w", str(ft), prog("gcc-pie-O2-cf", "abc")])
    data = bytearray(ft.read_bytes())
    # The first thread record: tag 0x10, the tid as a zigzag varint, the pid as a varint. It comes
    # after the extension records (writer, date, program) that follow the header: skip them by
    # their lengths, since a 0x10 byte can be inside one.
    at = 12
    while data[at] >= 0x80:
        n, shift, at = 0, 0, at + 1
        while True:
            n |= (data[at] & 0x7f) << shift
            shift += 7
            at += 1
            if not data[at - 1] & 0x80:
                break
        at += n
    assert data[at] == 0x10
    old = []
    i = at + 1
    for _ in range(2):
        v, shift = 0, 0
        while True:
            b = data[i]
            i += 1
            v |= (b & 0x7f) << shift
            shift += 7
            if not b & 0x80:
                break
        old.append(v)

    big = 4194303
    data[at + 1:i] = varint(big * 2) + varint(big)
    ft.write_bytes(bytes(data))
    fntrace(["-r", str(ft), "-o", str(tmp_path / "graph")])
    lines = (tmp_path / "graph").read_text().splitlines()
    assert lines[0] == "# DURATION       TID     FUNCTION"
    body = [l for l in lines[1:] if "|" in l]
    assert body and all(re.match(r"^.{11} \[4194303\] \| ", l) for l in body), lines[:5]
    assert all(l.index("|") == 22 for l in body)


# ---- privileges ----

IDS_C = r"""
#include <stdio.h>
#include <unistd.h>
int main(void) { printf("euid %d\n", (int)geteuid()); return 0; }
"""


def test_a_setuid_program_is_said_to_run_without_its_privileges():
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to make a set-user-ID program and run as another user")
    d = tempfile.mkdtemp(prefix="fntrace-suid-")   # pytest's own are root's alone
    try:
        os.chmod(d, 0o755)
        src, exe, tracer = os.path.join(d, "ids.c"), os.path.join(d, "ids"), os.path.join(d, "fntrace")
        with open(src, "w") as f:
            f.write(IDS_C)
        subprocess.run(["gcc", "-o", exe, src], check=True)
        os.chmod(exe, 0o4755)
        shutil.copy(FNTRACE, tracer)
        nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        untraced = subprocess.run([*nobody, exe], capture_output=True, text=True)
        assert untraced.stdout == "euid 0\n"
        r = subprocess.run([*nobody, tracer, "-o", "/dev/null", exe], capture_output=True, text=True,
                           stdin=subprocess.DEVNULL)
        assert r.stdout == "euid 65534\n"
        assert r.stderr == (f"fntrace: note: {exe} is set-user-ID (uid 0); traced, it runs without those "
                            "privileges, as uid 65534\n")
        # Run by a traced shell, under -f: said when it is executed.
        r = subprocess.run([*nobody, tracer, "-f", "-o", "/dev/null", "/bin/sh", "-c", f"{exe}; echo $?"],
                           capture_output=True, text=True, stdin=subprocess.DEVNULL)
        assert r.stdout == "euid 65534\n0\n"
        assert r.stderr == (f"fntrace: note: {exe} is set-user-ID (uid 0); traced, it runs without those "
                            "privileges, as uid 65534\n")
        # Root may trace it with its privileges: nothing to say.
        r = fntrace(["-o", "/dev/null", exe])
        assert r.stdout == "euid 0\n" and r.stderr == ""
    finally:
        shutil.rmtree(d)
