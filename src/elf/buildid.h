/* buildid: the GNU build-id note of an ELF file, which names one build of a program. */
#ifndef FNTRACE_BUILDID_H
#define FNTRACE_BUILDID_H

#include <stddef.h>

/* Writes the build-id of the ELF file at path into hex (lowercase hex digits, NUL-terminated).
 * Returns 0, or -1 with hex set to "" if the file cannot be read or has no build-id. */
int buildid_read(const char *path, char *hex, size_t hexlen);

#endif
