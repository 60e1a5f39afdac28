"""Shared helpers for fntrace's end-to-end tests: where things are, how to run fntrace, and how to
normalise a trace (durations and TIDs vary from run to run; nothing else may)."""
import functools
import hashlib
import os
import re
import struct
import subprocess
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FNTRACE = os.path.join(ROOT, "fntrace")
PROGS = os.path.join(ROOT, "tests", "build", "progs")
GOLDEN = os.path.join(ROOT, "tests", "e2e", "golden")

# make check runs the suite twice: on the default path (the fast path where it applies, int3
# elsewhere), then with FNTRACE_FAST=0, the int3 path alone. The second pass repeats only what
# can differ: tests marked onepath choose their path themselves (--fast, --no-fast) and are not
# run again, and the matrix of builds is smaller (every compiler, link mode and -O level, half
# of the -fcf-protection choices): the int3 path's stepping over a first instruction is what
# code generation changes for it, and 32 builds already meet every prologue the 64 have.
INT3_PASS = os.environ.get("FNTRACE_FAST") == "0"

# The disk cache of maps and discovered functions is off for every test, so that each test
# builds what it uses, whatever ran before it (and nothing is written to the user's cache);
# test_cache.py turns it on in a directory of its own, cold then warm.
os.environ["FNTRACE_CACHE"] = "off"

CCS = ["gcc", "clang"]
LINKS = ["nopie", "pie", "static", "spie"]
OPTS = ["O0", "O1", "O2", "O3"]
CFS = ["cf", "nocf"]
VARIANTS = [f"{c}-{l}-{o}-{f}" for c in CCS for l in LINKS for o in OPTS for f in CFS
            if not INT3_PASS or (f == "cf") == (OPTS.index(o) % 2 == LINKS.index(l) % 2)]
# A smaller set for tests whose subject is not code generation: every link mode and both
# compilers, at -O0 and -O2, with endbr64 prologues in half of them.
SOME_VARIANTS = ["gcc-nopie-O0-nocf", "gcc-pie-O2-cf", "gcc-static-O2-nocf", "gcc-spie-O0-cf",
                 "clang-nopie-O2-cf", "clang-pie-O0-nocf", "clang-static-O0-cf", "clang-spie-O2-nocf"]



@functools.lru_cache(maxsize=None)
def same_program_key(path):
    """What fntrace reads of an ELF file when it traces it (without -a): its program headers, its
    entry point, and every section, bytes and address, but DWARF (.debug_*) and the build ID (a
    hash that covers the DWARF too). Two builds with one key are one program to the tracer."""
    with open(path, "rb") as f:
        elf = f.read()
    entry, phoff, shoff = struct.unpack_from("<QQQ", elf, 0x18)
    phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from("<HHHHH", elf, 0x36)
    h = hashlib.blake2b(elf[phoff:phoff + phentsize * phnum] + struct.pack("<Q", entry))
    headers = [struct.unpack_from("<IIQQQQ", elf, shoff + i * shentsize) for i in range(shnum)]
    names = headers[shstrndx][4]
    for name, kind, flags, addr, off, size in headers:
        name = elf[names + name:elf.index(b"\0", names + name)]
        if name.startswith(b".debug") or name == b".note.gnu.build-id":
            continue
        h.update(name + struct.pack("<IQQQ", kind, flags, addr, size))
        if kind != 8:   # SHT_NOBITS: no bytes in the file
            h.update(elf[off:off + size])
    return h.digest()


def distinct_builds(name, variants=None):
    """The variants (VARIANTS unless given) whose build of program name is not the same program
    as an earlier one's (same_program_key): -O3 often makes exactly -O2's code of a small
    program, and clang's -O1 its -O2's. Tracing such a twin again would prove nothing new: the
    matrix tests run each distinct build once. If a build is missing (not made yet), all are
    kept, and prog() says what to do."""
    variants = VARIANTS if variants is None else variants
    seen, kept = set(), []
    for v in variants:
        path = os.path.join(PROGS, v, name)
        if not os.path.exists(path):
            return list(variants)
        key = same_program_key(path)
        if key not in seen:
            seen.add(key)
            kept.append(v)
    return kept


DUR = re.compile(r"^ *\d+(\.\d+)? (ns|us|ms| s) (?=\[)")
TID = re.compile(r"\[ *\d+\]")


def pytest_configure(config):
    config.addinivalue_line("markers", "onepath: the test chooses the fast or the int3 path itself "
                            "(not run again in the int3 pass, FNTRACE_FAST=0)")
    config.addinivalue_line("markers", "samepath: the test's subject is what fntrace makes of the "
                            "events (a view, an export, a trace file), whichever path made them; "
                            "test_fast.py checks that both paths make the same events (not run "
                            "again in the int3 pass)")


def pytest_collection_modifyitems(config, items):
    if not INT3_PASS:
        return
    once = lambda i: i.get_closest_marker("onepath") or i.get_closest_marker("samepath")   # noqa: E731
    kept = [i for i in items if not once(i)]
    dropped = [i for i in items if once(i)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def prog(variant, name):
    path = os.path.join(PROGS, variant, name)
    if not os.path.exists(path):
        pytest.fail(f"{path} is missing: run 'make test-progs'")
    return path


def normalize(trace):
    """Replaces durations by DUR and TIDs by [TID], keeping the layout."""
    out = []
    for line in trace.splitlines():
        line = DUR.sub("        DUR ", line)
        line = TID.sub("[TID]", line)
        out.append(line)
    return "\n".join(out) + ("\n" if out else "")


class Run:
    def __init__(self, proc, trace):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.trace = trace

    @property
    def norm(self):
        return normalize(self.trace)


def run(args, tmp_path=None, input=None, timeout=60, to_file=True, env=None, fntrace=FNTRACE):
    """Runs fntrace with args. With to_file, the trace goes to a file (-o) so the program's own
    stdout and stderr are left alone, and comes back in .trace."""
    cmd = [fntrace]
    out = None
    if to_file:
        out = os.path.join(str(tmp_path), "trace.txt")
        cmd += ["-o", out]
    cmd += list(args)
    proc = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout, env=env,
                          stdin=None if input is not None else subprocess.DEVNULL)
    trace = ""
    if out and os.path.exists(out):
        with open(out) as f:
            trace = f.read()
    return Run(proc, trace)


def untraced(path, args=(), input=None, timeout=60):
    return subprocess.run([path, *args], input=input, capture_output=True, text=True, timeout=timeout,
                          stdin=None if input is not None else subprocess.DEVNULL)


def fmt_duration(ns):
    """view_fmt_duration's spelling of a duration, stripped."""
    if ns < 1000:
        return f"{ns} ns"
    div, unit = 1000, "us"
    for u in ("ms", "s"):
        if ns >= div * 1000:
            div, unit = div * 1000, u
    return f"{ns // div}.{ns % div * 1000 // div:03d} {unit}"


def fntrace(args, timeout=120, **kw):
    """fntrace with args and no stdin, its output captured: for what needs no program traced
    (reading a trace file, an option error) or arranges its own -o."""
    kw.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run([FNTRACE, *args], capture_output=True, text=True, timeout=timeout, **kw)


# Trace files written record by record, with known times (doc/tracefile.md), for outputs that
# are exact only with times that do not vary.
def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append(v & 0x7f | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def zigzag(v):
    return v << 1 if v >= 0 else (-v << 1) - 1


def text(s):
    b = s.encode()
    return varint(len(b)) + b


class TraceFile:
    """Writes a trace file record by record; times are absolute, in ns."""

    def __init__(self):
        self.data = bytearray(b"FNTRACE\0\x01\x00\x00\x00")
        self.ts = self.tid = self.pid = 0
        self.funcs = {}

    def meta(self, writer="9.9.9", real=None, mono=0, program=None, build_id="", command=None):
        self.data += b"\x83" + text(writer)
        if real is not None:
            payload = varint(real) + varint(mono)
            self.data += b"\x81" + varint(len(payload)) + payload
        if program is not None:
            payload = text(program) + build_id.encode()
            self.data += b"\x82" + varint(len(payload)) + payload
        if command is not None:
            self.data += b"\x80" + text(command)

    def event(self, tag, fields, ts):
        self.data += bytes([tag]) + b"".join(varint(f) for f in fields) + varint(zigzag(ts - self.ts))
        self.ts = ts

    def thread(self, tid, pid, ts, name=None):
        self.data += b"\x10" + varint(zigzag(tid - self.tid)) + varint(0 if pid == self.pid else pid)
        self.tid, self.pid = tid, pid
        self.event(0x05, [], ts)
        if name and tid == pid:
            self.data += b"\x12" + varint(pid) + text(name)
        if name:
            self.data += b"\x13" + varint(tid) + text(name)

    def call(self, name, t0, t1, *callees):
        """name called at t0, returning at t1, having made the calls callees (tuples like this)."""
        if name not in self.funcs:
            self.funcs[name] = len(self.funcs)
            self.data += b"\x11" + varint(0x1000 + 16 * len(self.funcs)) + text(name)
        self.event(0x01, [self.funcs[name]], t0)
        for c in callees:
            self.call(*c)
        self.event(0x02, [], t1)

    def write(self, path, pid_exit_ts=None):
        if pid_exit_ts is not None:
            self.event(0x04, [self.pid, 0], pid_exit_ts)
        path.write_bytes(bytes(self.data) + b"\x1f")
        return str(path)


US = 1000


def known_main_thread(t):
    """Adds to TraceFile t the main thread 100 of process 100 ("prog"): main (10 us to 1010 us)
    calls work (which calls leaf), then leaf, then old. Returns t."""
    t.thread(100, 100, 0, "prog")
    t.call("main", 10 * US, 1010 * US,
           ("work", 100 * US, 600 * US, ("leaf", 200 * US, 300 * US)),
           ("leaf", 700 * US, 800 * US),
           ("old", 850 * US, 900 * US))
    return t


def golden(name):
    with open(os.path.join(GOLDEN, name)) as f:
        return f.read()


class Terminal:
    """A tmux session with a real tty, where a test types as a person would. Use with `with`;
    the session is killed on the way out."""

    def __init__(self, name, command, height=20, width=80):
        import shutil
        if not shutil.which("tmux"):
            pytest.skip("tmux not installed")
        self.name = name
        # A tmux server of its own (-L), named for this run too: the shared one exits with its last
        # session, and a session started meanwhile, by this test or another run on the machine
        # (whose test of the same name has the same session name), would fail.
        self.socket = f"{name}-{os.getpid()}"
        r = self.tmux("new-session", "-d", "-s", name, "-x", str(width), "-y", str(height), command)
        assert r.returncode == 0, r.stderr

    def tmux(self, *args):
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        socket = self.tmux("display", "-p", "#{socket_path}").stdout.strip()
        self.tmux("kill-server")
        if socket and os.path.exists(socket):   # tmux leaves it behind
            os.unlink(socket)

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", self.name).stdout

    def send(self, *keys):
        r = self.tmux("send-keys", "-t", self.name, *keys)
        assert r.returncode == 0, r.stderr

    def wait_for(self, seen, required=True, seconds=5):
        """Waits up to seconds until seen (text, or a function of the screen) is on the screen."""
        import time
        test = seen if callable(seen) else (lambda s: seen in s)
        for _ in range(int(seconds * 20)):
            if test(self.screen()):
                return
            time.sleep(0.05)
        if required:
            raise AssertionError(f"{seen!r} never appeared:\n{self.screen()}")


def wait_released(pid, timeout=60.0):
    """Waits until no thread of pid is held in a ptrace stop: fntrace has planted everything
    and let them go (with nothing traced running, none stops again)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        states = []
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/stat") as st:
                    states.append(st.read().rsplit(")", 1)[1].split()[0])
            except OSError:
                pass
        if "t" not in states:
            return
        time.sleep(0.005)
    pytest.fail(f"pid {pid}'s threads are still held")
