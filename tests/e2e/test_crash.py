"""A traced program runs as it would untraced: no breakpoint lands in the middle of an
instruction, where its 0xCC would make the program run another instruction. Discovery in a
stripped file took a constant for an address taken (libcurl's mov $0x10900, in the middle of
crtstuff's register_tm_clones, which has no FDE): the breakpoint there turned sub %rdi,%rsi into
sub %rcx,%rsp, and gdb, which links libcurl, died of SIGSEGV under -l 'libcurl*'."""
import os
import shutil

import pytest

from conftest import PROGS, run, untraced

CRASH = os.path.join(PROGS, "crash")


def crash_prog(name):
    path = os.path.join(CRASH, name)
    if not os.path.exists(path):
        pytest.fail(f"{path} is missing: run 'make test-progs'")
    return path


def test_constant_inside_an_instruction_is_no_function(tmp_path):
    """A non-PIE program's mov $nofde+16 names the ModRM byte of a sub: no breakpoint there."""
    path = crash_prog("midinsn-nopie")
    r = run([path], tmp_path)
    assert r.rc == untraced(path).returncode == 1, r.stderr + r.trace
    assert "SIGSEGV" not in r.trace
    assert "main() {" in r.trace
    assert "sub_401140();" in r.trace   # nofde, called, and nothing found inside it


def test_immediate_in_position_independent_code_is_no_address(tmp_path):
    """In a PIE an immediate is never an address (it would need a text relocation): the PIE's
    mov $0x1170, the link-time address of an instruction inside nofde, names no function."""
    path = crash_prog("midinsn-pie")
    r = run([path], tmp_path)
    assert r.rc == 1, r.stderr + r.trace
    assert "sub_1160();" in r.trace, r.trace
    assert "sub_1170" not in r.trace, r.trace


def test_gdb_with_libcurl_traced(tmp_path):
    """The issue's case: gdb --version with its libcurl traced prints its version and exits 0."""
    gdb = shutil.which("gdb")
    if not gdb:
        pytest.skip("gdb not installed (scripts/deps.sh installs it)")
    want = untraced(gdb, ["--version"])
    if not os.path.exists("/usr/lib/x86_64-linux-gnu/libcurl-gnutls.so.4"):
        pytest.skip("this gdb does not link libcurl-gnutls")
    r = run(["-l", "libcurl*", gdb, "--version"], tmp_path, timeout=300)
    assert r.rc == want.returncode == 0, r.stderr + r.trace[-2000:]
    assert r.stdout == want.stdout
    assert "SIGSEGV" not in r.trace
    assert "sub_108f0@libcurl-gnutls.so.4()" in r.trace   # register_tm_clones, entered and left
