/* flags: integers with symbolic names, printed as strace prints them: O_RDONLY|O_CLOEXEC,
 * PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, AT_FDCWD, SIGINT, SEEK_SET, 0644; and errno
 * names for the -1 a failing call returns. */
#ifndef FNTRACE_ARGS_FLAGS_H
#define FNTRACE_ARGS_FLAGS_H

#include <stdint.h>

struct text;
struct flagset;

/* The set the prototype list names (open, prot, mmap, at, dirfd, signal, whence, mode, access,
 * wait, af, socktype, msg, clock), or NULL. Sets are static: never freed. */
const struct flagset *flagset_by_name(const char *name);
const char *flagset_name(const struct flagset *fs);

/* Appends v (of size bytes, sign-extended from it first) as the set shows it. Bits no name
 * covers are appended in hex, so nothing is lost: O_RDONLY|O_CLOEXEC|0x40000000. */
void flagset_format(const struct flagset *fs, uint64_t v, unsigned size, struct text *t);

/* Appends " ENOENT (No such file or directory)" for errno e, or " errno 4242" for one with no
 * name. */
void flags_errno(int e, struct text *t);

#endif
