/* symcache: each ELF file's functions read once and shared by every module that maps it: a
 * library in every traced process, a followed fork's copy of its parent's modules, each exec of
 * the same program under -f. A file is known by its device, inode, size and modification time,
 * so one rebuilt or replaced in between is read again; so is a stripped file whose debug file
 * came, went or changed. */
#ifndef FNTRACE_SYMCACHE_H
#define FNTRACE_SYMCACHE_H

#include "symtab.h"

/* The functions of the file at path, read now or earlier. NULL, with a one-line reason in err,
 * if it is no ELF file we can read. Every symtab got is put back once, when its module goes. */
struct symtab *symcache_get(const char *path, char *err, size_t errlen);
/* The same for the file open at fd (path is what messages show): a regular file only. */
struct symtab *symcache_get_fd(int fd, const char *path, char *err, size_t errlen);
/* Takes one more reference to st, for another module of the same file (a fork's copy). */
struct symtab *symcache_ref(struct symtab *st);
/* Completes st, got for the file at path whose real name is name: a stripped file's debug file
 * (debuginfo.h) names its functions, and discovery finds those that no symbol names. Returns the
 * complete table, st itself or, if st was completed with another debug file than the one found
 * now, another table of the same file (st is then put back). */
struct symtab *symcache_complete(struct symtab *st, const char *path, const char *name);
void symcache_put(struct symtab *st);
/* How many files no module uses are kept (at most 16). Exposed for tests. */
size_t symcache_idle(void);

#endif
