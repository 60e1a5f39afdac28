/* discover: the functions of a binary without a symbol table, from what stripping leaves. */
#ifndef FNTRACE_DISCOVER_H
#define FNTRACE_DISCOVER_H

#include <gelf.h>
#include "symtab.h"

/* Calls add(addr, name) for every function start found in e (link-time addresses): the entry
 * point, .init and .fini, init/fini arrays, .eh_frame FDEs that begin a function (CFA = rsp+8
 * on their first instruction, which leaves out foo.cold fragments), direct call targets, and
 * main (found as the first argument _start passes to __libc_start_main), and in Go binaries
 * every function .gopclntab names. name is "main" for main, the Go name for Go functions, NULL
 * otherwise. PLT stubs are left out. Never fails: what it cannot read it skips. */
void discover_functions(Elf *e, const GElf_Ehdr *eh, const struct symtab *st,
			void (*add)(taddr_t addr, const char *name, void *arg), void *arg);

#endif
