"""Programs that fight back and input chosen to mislead: seccomp, a loader list that names other
files, hostile names in messages, repeated warnings, and why an attach is refused."""
import os
import shutil
import signal
import subprocess
import time

import pytest

from conftest import FNTRACE, PROGS, Terminal, prog, run

HOSTILE = os.path.join(PROGS, "libcalls", "hostile")
STARTED = []


@pytest.fixture(autouse=True)
def cleanup():
    """Whatever a failed test leaves running goes: fntrace first (it detaches), then the program."""
    yield
    for proc in reversed(STARTED):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    STARTED.clear()


def start(*args, user=None, exe=HOSTILE):
    """Starts hostile (or its copy exe) with args (as user, if given) and waits until it is ready."""
    cmd = [exe, *args]
    if user:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *cmd]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    STARTED.append(p)
    assert p.stdout.readline() == "ready 0\n"
    return p


def attach(pid, out, *opts):
    """Attaches fntrace to pid; returns once libfnt.so's breakpoints are in (--debug=bp says so)."""
    f = subprocess.Popen([FNTRACE, "-p", str(pid), "--flat", "-o", str(out), "--debug=bp", *opts],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    STARTED.append(f)
    f.seen = []
    for line in f.stderr:
        f.seen.append(line)
        if "libfnt.so: " in line and "planted" in line:
            break
    return f


def messages(f, debug=False):
    """What fntrace printed (besides debug output, unless debug), once it has ended."""
    lines = f.seen + f.stderr.read().splitlines(keepends=True)
    return "".join(l for l in lines if debug or not l.startswith("fntrace: debug: "))


def work(p, lines):
    """Sends lines, then closes input; returns the program's exit status and output."""
    out, err = p.communicate("\n" * lines, timeout=60)
    return p.returncode, out, err


def detach(f):
    f.send_signal(signal.SIGINT)
    out, err = f.communicate(timeout=60)
    return f.returncode, err


EXPECTED = "work 3\nlib 3\nwork 5\nlib 5\nbye 2\n"


@pytest.mark.parametrize("mode", ["strict", "kill-mmap", "eperm-mmap"])
def test_attach_to_seccomp_program_never_kills_it(tmp_path, mode):
    # No system call can be run in a strict-mode program, and the filters would kill it or fail
    # mmap: no scratch memory then, and the functions that need none are traced.
    p = start(mode)
    f = attach(p.pid, tmp_path / "t", "-i", "t_*", "-i", "lib_api")
    rc, out, err = work(p, 2)
    assert rc == 0 and out == EXPECTED, (rc, out, err)
    frc, ferr = f.wait(timeout=60), messages(f)
    assert frc == 0, ferr
    lines = ferr.splitlines()
    assert len(lines) <= 1, ferr   # at most one warning, however many breakpoints wanted scratch
    if lines:
        assert "no scratch memory" in lines[0] and "seccomp" in lines[0], ferr
    trace = (tmp_path / "t").read_text().splitlines()
    assert trace.count("lib_api();") == 2, trace


@pytest.mark.parametrize("mode", ["strict"])
def test_detach_from_seccomp_program_never_kills_it(tmp_path, mode):
    # Launched: its scratch is mapped before it goes strict; unmapping it at detach would be a
    # system call the kernel kills it for. Left mapped, the program runs on.
    out = tmp_path / "t"
    f = subprocess.Popen([FNTRACE, "--flat", "-o", str(out), "-i", "t_*", HOSTILE, mode],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    STARTED.append(f)
    assert f.stdout.readline() == "ready 0\n"
    f.stdin.write("\n")
    f.stdin.flush()
    assert f.stdout.readline() == "work 3\n"
    assert f.stdout.readline() == "lib 3\n"
    with open(f"/proc/{f.pid}/task/{f.pid}/children") as ch:
        pid = int(ch.read().split()[0])
    f.send_signal(signal.SIGTERM)   # detach
    for _ in range(500):
        with open(f"/proc/{pid}/status") as st:
            if "TracerPid:\t0\n" in st.read():
                break
        time.sleep(0.01)
    f.stdin.write("\n")
    f.stdin.close()
    rest = f.stdout.read()
    assert rest == "work 5\nlib 5\nbye 2\n", (rest, f.stderr.read())
    f.wait(timeout=60)
    assert "t_work();" in out.read_text().splitlines()


def test_launched_program_that_goes_strict_is_traced(tmp_path):
    out = tmp_path / "t"
    r = subprocess.run([FNTRACE, "--flat", "-o", str(out), "-i", "t_*", "-i", "lib_api", HOSTILE, "strict"],
                       input="\n\n", capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout == "ready 0\n" + EXPECTED, r
    assert out.read_text().splitlines().count("lib_api();") == 2


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to trace another user's process")
def test_loader_list_cannot_name_the_files_we_open(tmp_path):
    # A process of another user rewrites its own link_map names: libfnt.so's to a root-only file,
    # libc's to a FIFO. Opening them would disclose the file's layout (or hang on the FIFO with
    # the program stopped); the files mapped are what count.
    secret = tmp_path / "secret.so"
    shutil.copy(os.path.join(PROGS, "libcalls", "libplug.so"), secret)
    os.chmod(secret, 0o600)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    os.chmod(tmp_path, 0o755)
    # The user must reach the program: a copy beside its library (rpath $ORIGIN) in a directory
    # anyone can enter, wherever the tree was cloned (mktemp -d makes a 0700 directory).
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name in ("hostile", "libfnt.so"):
        shutil.copy(os.path.join(PROGS, "libcalls", name), bindir / name)
    os.chmod(bindir, 0o755)
    for parent in [tmp_path, *tmp_path.parents]:
        if not os.stat(parent).st_mode & 0o001:
            os.chmod(parent, os.stat(parent).st_mode | 0o011)   # pytest's own tmp dirs: 0700
    p = start("lname", str(secret), str(fifo), user=65534, exe=str(bindir / "hostile"))
    f = attach(p.pid, tmp_path / "t", "-i", "lib_api", "-i", "plug_*", "--debug=elf,bp")
    rc, out, err = work(p, 2)
    assert rc == 0 and out == EXPECTED, (rc, out, err)
    assert f.wait(timeout=60) == 0
    ferr = messages(f, debug=True)
    assert str(secret) not in ferr and str(fifo) not in ferr, ferr
    assert str(bindir / "libfnt.so") in ferr   # traced as the file mapped
    assert (tmp_path / "t").read_text().splitlines() == ["lib_api();", "lib_api();"]


def test_messages_escape_hostile_names(tmp_path):
    # A name that would clear the screen reaches the terminal escaped; UTF-8 text stays as it is.
    d = tmp_path / "gr\u00f6\u00dfe\x1b[2J"
    d.mkdir()
    r = subprocess.run([FNTRACE, str(d)], capture_output=True, timeout=30)
    assert r.returncode != 0
    assert b"\x1b" not in r.stderr and "gr\u00f6\u00dfe\\x1b[2J".encode() in r.stderr, r.stderr


def test_repeated_warning_is_printed_once_with_a_count(tmp_path):
    p = start()
    args = [FNTRACE, "-q"]
    for _ in range(300):
        args += ["-p", str(p.pid)]
    f = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    STARTED.append(f)
    time.sleep(1)
    f.send_signal(signal.SIGINT)
    err = f.communicate(timeout=60)[1]
    p.communicate("", timeout=30)
    assert err.splitlines() == [f"fntrace: pid {p.pid} is already being traced by this fntrace",
                                "fntrace: (the message above was repeated 298 more times)"], err


def test_attach_to_a_zombie_says_so():
    z = subprocess.Popen(["true"])
    for _ in range(500):
        with open(f"/proc/{z.pid}/stat") as st:
            if st.read().rsplit(")", 1)[1].split()[0] == "Z":
                break
        time.sleep(0.01)
    r = subprocess.run([FNTRACE, "-p", str(z.pid)], capture_output=True, text=True, timeout=30)
    z.wait()
    assert r.returncode == 1
    assert r.stderr == f"fntrace: cannot attach to pid {z.pid}: process {z.pid} is a zombie (it has exited; " \
                       "its parent has not collected its status)\n"


def test_attach_to_itself_says_so():
    r = subprocess.run(["sh", "-c", f'exec {FNTRACE} -p "$$"'], capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and r.stderr.endswith(": cannot trace fntrace itself\n"), r.stderr


def test_attach_to_a_kernel_thread_says_so():
    kthreadd = 2
    with open(f"/proc/{kthreadd}/stat") as st:
        if "(kthreadd)" not in st.read():
            pytest.skip("no kthreadd at pid 2")
    r = subprocess.run([FNTRACE, "-p", str(kthreadd)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "kernel thread" in r.stderr, r.stderr


@pytest.mark.onepath
def test_slow_symbol_reading_shows_a_status_line_that_goes(tmp_path):
    # libLLVM takes seconds to read with -l: a terminal is told what is going on, and the line
    # is erased once the trace starts.
    clang = shutil.which("clang")
    llvm = [f for f in os.listdir("/usr/lib/x86_64-linux-gnu") if f.startswith("libLLVM")]
    if not clang or not llvm:
        pytest.skip("no clang linked with libLLVM")
    out = tmp_path / "t"
    # --no-fast: the fast path maps every library's code before the trace starts, which takes
    # clang's libraries minutes (its start-up is another matter); the status line is the same.
    with Terminal(f"fntrace-status-{os.getpid()}",
                  f"{FNTRACE} --no-fast -l 'libLLVM*' -o {out} {clang} --version >/dev/null; echo END; sleep 60") as term:
        term.wait_for("fntrace: reading symbols of libLLVM", seconds=30)
        for _ in range(1200):
            if "END" in term.screen():
                break
            time.sleep(0.1)
        screen = term.screen()
        assert "END" in screen and "reading symbols" not in screen, screen


def test_ifunc_resolver_runs_only_when_the_loader_runs_it(tmp_path):
    # libifn's resolver counts its runs and never returns if run before main allows it: fntrace
    # used to call it at the entry point (and hang there, deaf to SIGTERM). Now the loader's own
    # call, at the program's first call of ifn (lazy binding), tells where the entry goes.
    r = subprocess.run([FNTRACE, "--flat", "-o", str(tmp_path / "t"), "-i", "ifn", "-i", "main",
                        os.path.join(PROGS, "libcalls", "ifunc")], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stdout == "ifn 2 3, resolver runs 1\n", r
    assert (tmp_path / "t").read_text().splitlines() == ["main();", "ifn();", "ifn();"]


def test_ifunc_resolved_before_an_attach_is_read_from_the_got(tmp_path):
    # glibc's strlen was resolved by the loader long before -p: the GOT slot it filled says which
    # implementation the program calls, and no resolver is run.
    p = start()
    f = attach(p.pid, tmp_path / "t", "-i", "lib_api", "-i", "strlen", "--debug=step")
    rc, out, err = work(p, 2)
    assert rc == 0 and out == EXPECTED, (rc, out, err)
    assert f.wait(timeout=60) == 0
    ferr = messages(f, debug=True)
    assert "strlen: resolved to" in ferr and "(GOT of " in ferr, ferr
    assert (tmp_path / "t").read_text().splitlines().count("strlen();") == 5   # one per line said
