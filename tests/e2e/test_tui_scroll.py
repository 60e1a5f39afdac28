"""The interactive view's sideways scrolling (< >) and regular-expression search (r), issue 11,
driven in tmux as test_tui.py drives the rest."""
from test_analysis import US, TraceFile
from test_tui import GRAPH, Tui, known_file

LONG = "a_function_whose_name_is_longer_than_an_80_column_terminal_can_show_" + "x" * 20 + "_END"


def long_file(tmp_path):
    t = TraceFile()
    t.thread(100, 100, 0, "prog")
    t.call("main", 10 * US, 1010 * US, (LONG, 100 * US, 600 * US))
    return t.write(tmp_path / "long.ft", 2000 * US)


def test_long_lines_scroll_sideways(tmp_path):
    with Tui(tmp_path, f"-r {long_file(tmp_path)} --tui", width=80) as t:
        row = " 500.000 us           1        " + LONG
        assert t.body()[2] == row[:80]
        assert t.lines()[1] == "      Total       Calls  Function"
        t.keys(">")
        assert t.body()[2] == row[8:88]
        assert t.lines()[1] == "tal       Calls  Function"   # the titles go with the rows
        assert t.lines()[-1].startswith("scrolled 8 columns (< back); ")
        assert t.lines()[0].startswith(" call graph - fntrace ")   # the top line stays
        for _ in range(5):
            t.keys(">")
        assert t.body()[2] == row[48:128].rstrip() and t.body()[2].endswith("_END")
        t.keys("<", "<", "<", "<", "<", "<")
        assert t.body()[2] == row[:80] and t.lines()[1] == "      Total       Calls  Function"
        t.keys("<")   # never left of the first column
        assert t.body()[2] == row[:80]
        t.keys("S-Right")
        assert t.body()[2] == row[8:88]
        t.keys("S-Left")
        assert t.body()[2] == row[:80]
        t.keys("?")
        assert "  r  search with a regular expression (POSIX, extended)    < >  scroll sideways" in t.lines()


def search(t, key, pattern):
    """Types key, then pattern as it is (tmux would read ^o as Ctrl-O), then Enter."""
    t.send(key)
    assert t.tmux("send-keys", "-l", "-t", t.name, pattern).returncode == 0
    t.keys("Enter")


def test_regex_search(tmp_path):
    with Tui(tmp_path, f"-r {known_file(tmp_path)} --tui") as t:
        search(t, "r", "^l.af$")
        assert t.selected() == GRAPH[3]
        t.keys("n")
        assert t.selected() == GRAPH[4]
        search(t, "r", "^(old|main)$")
        assert t.selected() == GRAPH[5]
        t.keys("N")
        assert t.selected() == GRAPH[1]
        # / stays a text search: ^ is a character of the name there
        search(t, "/", "^o")
        assert t.lines()[-1] == "no call of a function matching '^o'"
        search(t, "r", "(")
        assert t.lines()[-1].startswith("bad regular expression '(': ")
        t.keys("n")   # the last search that compiled goes on
        assert t.lines()[-1] == "no call of a function matching '^o'"
        search(t, "r", "k$")
        assert t.selected() == GRAPH[2]
        t.keys("c")
        search(t, "r", "^w")   # the summary too
        assert t.selected().endswith("  work")
        t.keys("q")
        t.wait_for("rc=0")
