/* dwarf: prototypes from the DWARF of an ELF file, or of its separate debug file (found as
 * elf/debuginfo.h finds it: build-id, then .gnu_debuglink), through libdw: parameter names and
 * types, typedefs followed and qualifiers dropped, enums with their enumerators, bool, char *
 * as a string, references and struct or union pointers as addresses, aggregates by value with
 * their ABI class, C++'s `this`, and `...`. */
#ifndef FNTRACE_ARGS_DWARF_H
#define FNTRACE_ARGS_DWARF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct args_dwarf;

/* Reads the DWARF of the ELF file at path, whose real name is name (for .gnu_debuglink; path may
 * be /proc/PID/map_files/...). Returns NULL when neither it nor a debug file has DWARF. Its
 * function index is built here, once: lookups are then a binary search. */
struct args_dwarf *args_dwarf_open(const char *path, const char *name);
/* The prototype of the function whose entry is at addr (the file's own addresses, as in its
 * symbol table); with addr 0, of the function called name (its DWARF name or linkage name).
 * NULL when DWARF does not describe it, or describes a type fntrace cannot place (then no value
 * could be located safely). The caller frees it with proto_free(). */
struct proto *args_dwarf_proto(struct args_dwarf *d, const char *name, uint64_t addr);
/* Where the function whose entry is at addr (as for args_dwarf_proto) is in the source:
 * "file:line" of its declaration (its definition, for a function with code), or of its entry's
 * row in the line table when DWARF gives no declaration, into out (len bytes). A file name under
 * the compilation's directory is given relative to it ("src/abc.c:12"). false (out untouched)
 * when DWARF does not describe the function. */
bool args_dwarf_srcline(struct args_dwarf *d, uint64_t addr, char *out, size_t len);
/* args_dwarf_open once per path: a later call for the same path gives the same reader (or NULL
 * again). Every reader opened so is closed by args_dwarf_close_cached(). */
struct args_dwarf *args_dwarf_cached(const char *path, const char *name);
void args_dwarf_close_cached(void);
/* How many functions with code the DWARF describes. */
size_t args_dwarf_count(const struct args_dwarf *d);
void args_dwarf_close(struct args_dwarf *d);

#endif
