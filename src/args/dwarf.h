/* dwarf: prototypes from the DWARF of an ELF file, or of its separate debug file (found as
 * elf/debuginfo.h finds it: build-id, then .gnu_debuglink), through libdw: parameter names and
 * types, typedefs followed and qualifiers dropped, enums with their enumerators, bool, char *
 * as a string, references and struct or union pointers as addresses, aggregates by value with
 * their ABI class, C++'s `this`, and `...`. */
#ifndef FNTRACE_ARGS_DWARF_H
#define FNTRACE_ARGS_DWARF_H

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
/* How many functions with code the DWARF describes. */
size_t args_dwarf_count(const struct args_dwarf *d);
void args_dwarf_close(struct args_dwarf *d);

#endif
