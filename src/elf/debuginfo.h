/* debuginfo: the separate debug file of a stripped ELF file (Debian's libc6-dbg, *-dbgsym), found
 * as libdwfl finds it for elfutils' tools: by build-id under .build-id/ of each debug directory,
 * then by .gnu_debuglink next to the file, in its .debug/ and under each debug directory. */
#ifndef FNTRACE_DEBUGINFO_H
#define FNTRACE_DEBUGINFO_H

/* The directories to look in, as elfutils' --debuginfo-path takes them (NULL: libdwfl's default,
 * ":.debug:/usr/lib/debug"). The string must live as long as lookups are made. */
void debuginfo_set_path(char *path);

/* Opens the debug file of the ELF file at path, whose real name is name (.gnu_debuglink is looked
 * for in its directory). Returns a read-only descriptor the caller closes, and the file's path in
 * *found (the caller frees it); -1 if there is none, or if it does not match the file's build-id
 * (or debuglink CRC). */
int debuginfo_open(const char *path, const char *name, char **found);

#endif
