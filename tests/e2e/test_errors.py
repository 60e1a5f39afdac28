"""Every error a user can cause: one line naming the cause, a non-zero exit, no process left."""
import os
import shutil
import stat
import subprocess

import pytest

from conftest import FNTRACE, PROGS, prog


def fntrace(*args, **kw):
    return subprocess.run([FNTRACE, *args], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=30, **kw)


def one_line_error(proc, *needles):
    assert proc.returncode != 0
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("fntrace: ")
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("args,needle", [
    (["--bogus", "ls"], "unrecognized option '--bogus'"),
    (["-Q", "ls"], "invalid option -- 'Q'"),
    (["--once=2", "ls"], "option '--once' doesn't allow an argument"),
    (["-D"], "option requires an argument -- 'D'"),
    (["--output"], "option '--output' requires an argument"),
    (["-D", "x", "ls"], "-D/--depth: 'x' is not a depth"),
    (["-D", "0", "ls"], "-D/--depth: '0' is not a depth"),
    (["--depth=-3", "ls"], "-D/--depth: '-3' is not a depth"),
    (["--flat", "-c", "ls"], "--flat and -c/--summary cannot be used together"),
    ([], "no PROGRAM to trace"),
    (["--debug=nonsense", "ls"], "--debug: unknown category 'nonsense'"),
])
def test_bad_options(args, needle):
    one_line_error(fntrace(*args), needle)


def test_missing_program(tmp_path):
    one_line_error(fntrace(str(tmp_path / "nope")), "nope", "No such file or directory")
    one_line_error(fntrace("no-such-command-anywhere"), "no-such-command-anywhere", "not found")


def test_program_not_executable(tmp_path):
    p = tmp_path / "prog"
    shutil.copy(prog("gcc-pie-O0-nocf", "abc"), p)
    os.chmod(p, 0o644)
    one_line_error(fntrace(str(p)), "Permission denied")


def test_directory(tmp_path):
    one_line_error(fntrace(str(tmp_path)), "Is a directory")


def test_not_an_elf(tmp_path):
    p = tmp_path / "data"
    p.write_bytes(b"\x00\x01hello, not an ELF at all\n" * 10)
    os.chmod(p, 0o755)
    one_line_error(fntrace(str(p)), "not an ELF file")


def test_script_names_its_interpreter(tmp_path):
    p = tmp_path / "script.sh"
    p.write_text("#!/bin/sh\necho hi\n")
    os.chmod(p, 0o755)
    one_line_error(fntrace(str(p)), "not an ELF file", "script", "/bin/sh")


def elf_header(cls, machine):
    """A minimal ELF header (no sections, no segments) of the given class and machine."""
    import struct
    ident = b"\x7fELF" + bytes([cls, 1, 1, 0]) + bytes(8)
    if cls == 1:
        return ident + struct.pack("<HHIIIIIHHHHHH", 2, machine, 1, 0x8048000, 0, 0, 0, 52, 0, 0, 40, 0, 0)
    return ident + struct.pack("<HHIQQQIHHHHHH", 2, machine, 1, 0x400000, 0, 0, 0, 64, 0, 0, 64, 0, 0)


def test_32bit_elf(tmp_path):
    p = tmp_path / "i386"
    p.write_bytes(elf_header(1, 3))
    os.chmod(p, 0o755)
    one_line_error(fntrace(str(p)), "32-bit", "x86-64")


def test_other_architecture(tmp_path):
    # A real x86-64 program relabelled as AArch64, and a bare header for RISC-V.
    p = tmp_path / "arm"
    data = bytearray(open(prog("gcc-pie-O0-nocf", "abc"), "rb").read())
    data[18:20] = (183).to_bytes(2, "little")
    p.write_bytes(bytes(data))
    os.chmod(p, 0o755)
    one_line_error(fntrace(str(p)), "another architecture", "AArch64")
    q = tmp_path / "riscv"
    q.write_bytes(elf_header(2, 243))
    os.chmod(q, 0o755)
    one_line_error(fntrace(str(q)), "another architecture", "RISC-V")


def test_truncated_elf_never_crashes(tmp_path):
    src = open(prog("gcc-static-O2-nocf", "abc"), "rb").read()
    for n in [16, 64, 100, 4096, len(src) // 2]:
        p = tmp_path / f"trunc{n}"
        p.write_bytes(src[:n])
        os.chmod(p, 0o755)
        proc = fntrace(str(p))
        # Either fntrace refuses it with one line, or the kernel runs what is there and the
        # program dies, which fntrace reports: fntrace itself never crashes.
        if proc.returncode > 0:
            assert proc.stderr.startswith("fntrace: "), proc.stderr
        else:
            assert proc.stderr.rstrip().endswith("+++ killed by SIGSEGV +++"), (n, proc.stderr)


def test_unwritable_output(tmp_path):
    one_line_error(fntrace("-o", str(tmp_path / "no" / "such" / "dir"), prog("gcc-pie-O0-nocf", "abc")),
                   "cannot open output file", "No such file or directory")


def processes_running(exe):
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.readlink(f"/proc/{pid}/exe") == exe:
                    found.append(pid)
            except OSError:
                pass
    return found


def test_ptrace_not_permitted_leaves_nothing_behind(tmp_path):
    p = tmp_path / "victim"
    shutil.copy(prog("gcc-pie-O0-nocf", "readin"), p)
    proc = subprocess.run([os.path.join(PROGS, "noptrace"), FNTRACE, str(p)], capture_output=True, text=True,
                          stdin=subprocess.PIPE, timeout=30)
    # noptrace runs fntrace under a seccomp filter that refuses ptrace: the message says so, and
    # names /proc/sys/kernel/yama/ptrace_scope only where that file exists.
    one_line_error(proc, "Operation not permitted", "seccomp filter")
    assert ("ptrace_scope" in proc.stderr) == (os.path.exists("/proc/sys/kernel/yama/ptrace_scope") and
                                                open("/proc/sys/kernel/yama/ptrace_scope").read().strip() != "0")
    assert processes_running(str(p)) == []
