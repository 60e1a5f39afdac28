/* symcache: each ELF file's functions read once and shared by every module that maps it: a
 * library in every traced process, a followed fork's copy of its parent's modules, each exec of
 * the same program under -f. A file is known by its device, inode, size and modification time,
 * so one rebuilt or replaced in between is read again. */
#ifndef FNTRACE_SYMCACHE_H
#define FNTRACE_SYMCACHE_H

#include "symtab.h"

/* The functions of the file at path, read now or earlier. NULL, with a one-line reason in err,
 * if it is no ELF file we can read. Every symtab got is put back once, when its module goes. */
struct symtab *symcache_get(const char *path, char *err, size_t errlen);
/* Adds a stripped file's functions found without their names (symtab_discover), once. */
void symcache_discover(struct symtab *st);
void symcache_put(struct symtab *st);
/* How many files no module uses are kept (at most 16). Exposed for tests. */
size_t symcache_idle(void);

#endif
