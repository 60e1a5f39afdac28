/* view/tui (--tui): the interactive view of a trace file in the terminal. */
#ifndef FNTRACE_TUI_H
#define FNTRACE_TUI_H

struct analysis;

/* Reads a->read (with a's -i, -x and -D filters) and lets the user move through it until q.
 * Dies with a one-line message, before reading anything, if stdin or stdout is no terminal.
 * Returns the exit status (0); a signal that ends it (SIGINT, SIGTERM, SIGHUP) ends fntrace the
 * same way, after the terminal is restored. */
int tui_run(const struct analysis *a);

#endif
