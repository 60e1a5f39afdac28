"""--srcline (each function's file:line from DWARF) and the module column (--output-fields module),
live and read back with -r, in the graph, --flat, -c and json (issue 11)."""
import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import FNTRACE, GOLDEN, PROGS, SOME_VARIANTS, normalize, prog, run

TAIL = ["-i", "t_*", "-i", "main"]

TAIL_GRAPH = """\
# DURATION       TID     FUNCTION
            [TID] | main() { /* tests/progs/tail.c:32 */
            [TID] |   t_first() { /* tests/progs/tail.c:20 */
            [TID] |     t_second() { /* tests/progs/tail.c:14 */
        DUR [TID] |       t_third(); /* tests/progs/tail.c:8 */
        DUR [TID] |     } /* t_second */
        DUR [TID] |   } /* t_first */
        DUR [TID] |   t_after(); /* tests/progs/tail.c:26 */
        DUR [TID] | } /* main */
"""

TAIL_FLAT = """\
main(); /* tests/progs/tail.c:32 */
t_first(); /* tests/progs/tail.c:20 */
t_second(); /* tests/progs/tail.c:14 */
t_third(); /* tests/progs/tail.c:8 */
t_after(); /* tests/progs/tail.c:26 */
"""


def fntrace(args):
    return subprocess.run([FNTRACE, *args], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def summary_sources(trace):
    """-c's rows as (function, source or None)."""
    rows = []
    for line in trace.splitlines()[2:]:
        f = line[77:].split()   # after the six columns of times and counts
        rows.append((f[0], f[1] if len(f) > 1 else None))
    return sorted(rows)


@pytest.mark.parametrize("variant", SOME_VARIANTS)
def test_graph_shows_each_entry_source_line(tmp_path, variant):
    r = run(["--srcline", *TAIL, prog(variant, "tail")], tmp_path)
    assert r.rc == 0 and r.stderr == "", r.stderr
    assert r.norm == TAIL_GRAPH


def test_flat_and_summary_show_source_lines(tmp_path):
    exe = prog("gcc-pie-O2-cf", "tail")
    r = run(["--srcline", "--flat", *TAIL, exe], tmp_path)
    assert r.rc == 0 and r.trace == TAIL_FLAT
    r = run(["--srcline", "-c", *TAIL, exe], tmp_path)
    lines = r.trace.splitlines()
    assert re.fullmatch(r" +Total +Self +Calls +Avg +Min +Max  Function +Source", lines[0]), lines[0]
    assert lines[1].endswith("=" * 20 + "  " + "=" * 18)
    assert summary_sources(r.trace) == [("main", "tests/progs/tail.c:32"), ("t_after", "tests/progs/tail.c:26"),
                                        ("t_first", "tests/progs/tail.c:20"), ("t_second", "tests/progs/tail.c:14"),
                                        ("t_third", "tests/progs/tail.c:8")]
    # the Source column starts at the same place on every line
    assert len({line.index("tests/progs/") for line in lines[2:]}) == 1


def test_without_the_option_nothing_changes(tmp_path):
    plain = run([*TAIL, prog("gcc-pie-O2-cf", "tail")], tmp_path)
    assert "/* tests/" not in plain.trace and plain.norm == re.sub(r" /\* tests/progs/tail.c:\d+ \*/", "", TAIL_GRAPH)


def test_functions_without_dwarf_show_nothing(tmp_path):
    """The C runtime's functions have no DWARF in the test programs: no placeholder."""
    r = run(["--srcline", "--flat", "-D", "3", prog("gcc-nopie-O0-nocf", "tail")], tmp_path)
    lines = r.trace.splitlines()
    assert "_start();" in lines and "_init();" in lines
    assert "main(); /* tests/progs/tail.c:32 */" in lines


def test_stripped_program_has_no_lines_and_says_so(tmp_path):
    r = run(["--srcline", "-i", "main", prog("gcc-pie-O2-cf", "tail.stripped")], tmp_path)
    assert r.rc == 0 and "/*" not in r.trace.replace("/* main */", "")
    assert "fntrace: --srcline: no function called has DWARF line information" in r.stderr


def test_library_lines_from_a_debug_file_found_by_build_id(tmp_path):
    d = os.path.join(PROGS, "debuginfo")
    out = subprocess.run(["readelf", "-n", os.path.join(d, "libdbgdemo.so")], capture_output=True, text=True).stdout
    bid = re.search(r"Build ID: ([0-9a-f]+)", out).group(1)
    dest = tmp_path / "dbg" / ".build-id" / bid[:2]
    dest.mkdir(parents=True)
    shutil.copy(os.path.join(d, "keep", "libdbgdemo.so.debug"), dest / f"{bid[2:]}.debug")
    args = ["--srcline", "--flat", "-l", "libdbg*", "-i", "dbg_*", os.path.join(d, "dbgdemo")]
    r = run([f"--debuginfo-path={tmp_path / 'dbg'}", *args], tmp_path)
    assert r.trace.splitlines() == ["dbg_api@libdbgdemo.so(); /* tests/progs/lib/dbgdemo.c:18 */",
                                    "dbg_plus_one@libdbgdemo.so(); /* tests/progs/lib/dbgdemo.c:11 */",
                                    "dbg_twice@libdbgdemo.so(); /* tests/progs/lib/dbgdemo.c:5 */"], r.trace
    # no debug file there: the stripped library's exported function alone, and no line
    r = run([f"--debuginfo-path={tmp_path}", *args], tmp_path)
    assert r.trace.splitlines() == ["dbg_api@libdbgdemo.so();"]


def test_trace_file_keeps_the_lines(tmp_path):
    exe = prog("clang-pie-O0-cf", "tail")
    ft = tmp_path / "t.ft"
    live = run(["--srcline", "-w", str(ft), *TAIL, exe], tmp_path)
    assert live.norm == TAIL_GRAPH
    back = fntrace(["-r", str(ft), "--srcline"])
    assert back.returncode == 0 and back.stderr == ""
    assert back.stdout == live.trace
    assert normalize(fntrace(["-r", str(ft)]).stdout) == re.sub(r" /\* tests/progs/tail.c:\d+ \*/", "", TAIL_GRAPH)
    assert fntrace(["-r", str(ft), "--srcline", "--flat"]).stdout == TAIL_FLAT
    # -r FILE -w OTHER keeps them
    again = tmp_path / "again.ft"
    assert fntrace(["-q", "-r", str(ft), "-w", str(again)]).returncode == 0
    assert fntrace(["-r", str(again), "--srcline"]).stdout == live.trace


def test_file_written_without_srcline_has_none(tmp_path):
    ft = tmp_path / "t.ft"
    assert fntrace(["-q", "-w", str(ft), *TAIL, prog("gcc-pie-O2-cf", "tail")]).returncode == 0
    back = fntrace(["-r", str(ft), "--srcline", "--flat"])
    assert back.stdout == re.sub(r" /\* .* \*/", "", TAIL_FLAT)
    assert back.stderr == f"fntrace: --srcline: {ft} holds no source line (it was written without --srcline, " \
                          "or of code without DWARF)\n"


def test_old_files_still_read(tmp_path):
    r = fntrace(["-r", os.path.join(GOLDEN, "args-v1.ft"), "--srcline", "--output-fields=+module"])
    assert r.returncode == 0 and "/* " not in r.stdout.replace("} /* ", "")
    assert r.stdout.splitlines()[0] == "#  DURATION       TID           MODULE   FUNCTION"


def test_json_carries_module_and_srcline(tmp_path):
    ft = tmp_path / "t.ft"
    assert fntrace(["-q", "--srcline", "-w", str(ft), *TAIL, "-i", "printf", prog("gcc-pie-O2-cf", "tail")]).returncode == 0
    evs = [json.loads(x) for x in fntrace(["-r", str(ft), "--srcline", "--format=json"]).stdout.splitlines()]
    entries = {e["fn"]: e for e in evs if e["type"] == "entry"}
    assert entries["t_first"]["module"] == "tail" and entries["t_first"]["srcline"] == "tests/progs/tail.c:20"
    assert entries["printf"]["module"] == "libc.so.6"
    evs = [json.loads(x) for x in fntrace(["-r", str(ft), "--format=json"]).stdout.splitlines()]
    assert all("srcline" not in e and ("module" in e) == (e["type"] == "entry") for e in evs)


# ---- the module column ----

MODULE_GRAPH = """\
#  DURATION       TID           MODULE   FUNCTION
            [TID]             tail | main() {
            [TID]             tail |   t_first() {
            [TID]             tail |     t_second() {
        DUR [TID]             tail |       t_third();
        DUR [TID]             tail |     } /* t_second */
        DUR [TID]             tail |   } /* t_first */
        DUR [TID]             tail |   t_after();
        DUR [TID]        libc.so.6 |   printf();
        DUR [TID]             tail | } /* main */
"""


@pytest.mark.parametrize("variant", ["gcc-pie-O2-cf", "clang-nopie-O0-nocf"])
def test_module_column_live_and_read_back(tmp_path, variant):
    ft = tmp_path / "t.ft"
    r = run(["--output-fields=+module", "-w", str(ft), *TAIL, "-i", "printf", prog(variant, "tail")], tmp_path)
    assert r.rc == 0 and r.norm == MODULE_GRAPH, r.trace
    back = fntrace(["-r", str(ft), "--output-fields=+module"])
    assert back.stdout == r.trace
    flat = fntrace(["-r", str(ft), "--flat", "--output-fields=module"])
    assert flat.stdout.splitlines() == ["            tail main();", "            tail t_first();",
                                        "            tail t_second();", "            tail t_third();",
                                        "            tail t_after();", "       libc.so.6 printf();"]


def test_module_and_srcline_together(tmp_path):
    r = run(["--srcline", "--output-fields=module,duration", "-i", "t_third", prog("gcc-pie-O2-cf", "tail")],
            tmp_path)
    lines = r.trace.splitlines()
    assert lines[0] == "#         MODULE    DURATION   FUNCTION"
    assert re.fullmatch(r" +tail +\d+(\.\d+)? (ns|us) \| t_third\(\); /\* tests/progs/tail.c:8 \*/", lines[1]), lines


@pytest.mark.parametrize("args, message", [
    (["--srcline", "--format=folded", "-o", "x"], "--srcline goes with the call graph, --flat, -c/--summary or "
                                                  "--format=json"),
    (["--srcline", "--format=chrome", "-o", "x"], "--srcline goes with the call graph, --flat, -c/--summary or "
                                                  "--format=json"),
    (["--output-fields=modul"], "--output-fields: unknown field 'modul' (duration, tid, time, elapsed, delta, "
                                "module)"),
])
def test_option_errors(tmp_path, args, message):
    r = fntrace([*args, prog("gcc-pie-O2-cf", "tail")])
    assert r.returncode == 1 and r.stderr.startswith(f"fntrace: {message}"), r.stderr
