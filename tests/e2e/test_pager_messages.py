"""Messages printed while the pager of -r has the terminal (issue 11): held, and written below
the pager's last screen once it quits, never drawn over it."""
import os
import subprocess

from conftest import FNTRACE, Terminal, prog

WARNING = "fntrace: -x/--exclude 'nosuch' matched no function in the trace file"


def long_trace(tmp_path):
    """A trace file whose graph is longer than a screen."""
    ft = tmp_path / "fib.ft"
    r = subprocess.run([FNTRACE, "-q", "-w", str(ft), "-i", "fib", prog("gcc-pie-O2-cf", "fib"), "8"],
                       capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
    assert r.returncode == 0
    return ft


def test_warnings_wait_for_the_pager_to_quit(tmp_path):
    ft = long_trace(tmp_path)
    env = "env -u PAGER -u LESS TERM=xterm-256color"
    with Terminal(f"fntrace-pagermsg-{os.getpid()}", f"{env} {FNTRACE} -r {ft} -x nosuch; echo EXITED $?; sleep 30",
                  height=12) as term:
        term.wait_for("fib() {")
        term.wait_for(lambda s: s.rstrip().endswith(":"))   # less waits at its prompt
        # fntrace has read the whole file (it is small) and warned by now; the pager's screen is
        # still its own
        term.send("G")
        term.wait_for(lambda s: "(END)" in s)
        assert "fntrace:" not in term.screen()
        term.send("q")
        term.wait_for("EXITED 0")
        lines = [x for x in term.screen().splitlines() if x.strip()]
        assert lines[-2:] == [WARNING, "EXITED 0"], lines


def test_warnings_without_a_terminal_are_as_before(tmp_path):
    ft = long_trace(tmp_path)
    r = subprocess.run([FNTRACE, "-r", str(ft), "-x", "nosuch"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stderr == WARNING + "\n"
    # stdout on a terminal, stderr to a file: held nowhere, the file gets the warning
    err = tmp_path / "err"
    with Terminal(f"fntrace-pagerfile-{os.getpid()}", f"env -u PAGER -u LESS {FNTRACE} -r {ft} -x nosuch "
                  f"2>{err}; echo EXITED $?; sleep 30", height=12) as term:
        term.wait_for(lambda s: s.rstrip().endswith(":"))
        term.send("q")
        term.wait_for("EXITED 0")
    assert err.read_text() == WARNING + "\n"
