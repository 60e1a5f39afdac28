/* symtab: open an ELF executable and list its functions (symbols in executable sections). */
#ifndef FNTRACE_SYMTAB_H
#define FNTRACE_SYMTAB_H

#include <stdbool.h>
#include "../util/util.h"

struct func {
	taddr_t addr;     /* link-time address (st_value); add the load bias for the runtime one */
	uint64_t size;    /* st_size, 0 if unknown */
	char *name;       /* as in the binary (mangled), NUL-terminated; owned by the symtab */
	bool exported;    /* in .dynsym, global or weak: other modules can call it by name */
};

struct range {
	taddr_t lo, hi;   /* [lo, hi) */
};

/* A GOT slot the loader fills with a function's address. */
struct gotref {
	taddr_t slot;         /* link-time address of the slot */
	taddr_t resolver;     /* IRELATIVE: the resolver run for it (the addend); else 0 */
	char *name;           /* JUMP_SLOT, GLOB_DAT: the symbol; NULL for IRELATIVE */
};

struct symtab {
	char *path;
	char *soname;         /* DT_SONAME, or NULL */
	bool pie;             /* ET_DYN: loaded at a bias chosen at run time */
	bool interp;          /* has PT_INTERP: the dynamic loader runs first */
	bool stripped;        /* no .symtab: only .dynsym names, until symtab_read_debug() or
			       * symtab_discover() */
	char *debug;          /* the separate debug file whose .symtab named the functions, or NULL */
	bool go;              /* built by the Go toolchain (has .gopclntab) */
	taddr_t entry;        /* e_entry, link-time */
	struct func *funcs;   /* sorted by addr, one per address (aliases merged) */
	size_t nfuncs;
	struct func *ifuncs;  /* exported STT_GNU_IFUNC symbols: addr is the resolver's */
	size_t nifuncs;
	struct gotref *gots;  /* IRELATIVE slots, and JUMP_SLOT/GLOB_DAT ones of undefined or IFUNC
			       * symbols: where to find what the loader resolved after an attach */
	size_t ngots;
	taddr_t r_debug;      /* the dynamic loader's _r_debug object, link-time; 0 elsewhere */
	struct range *xsegs;  /* code, link-time: executable sections within executable PT_LOAD
			       * segments (the segments, if there are no section headers); sorted,
			       * disjoint */
	size_t nxsegs;
};

/* Opens path and reads its functions into *st. Returns 0, or -1 with a one-line reason in err
 * (not an ELF, wrong class or machine, unreadable). The symtab owns everything it points to. */
int symtab_load(const char *path, struct symtab *st, char *err, size_t errlen);
/* The same from fd, open on the file that path names (path is what messages show); fd stays
 * open. Anything but a regular file is refused. */
int symtab_load_fd(int fd, const char *path, struct symtab *st, char *err, size_t errlen);
void symtab_free(struct symtab *st);

/* For a stripped binary, adds the functions discover.h finds, named sub_<hex> after their
 * link-time address as objdump shows it, main named main. Returns how many it added. */
size_t symtab_discover(struct symtab *st);

/* For a stripped binary, reads the .symtab of its separate debug file (open on fd, which stays
 * the caller's; path is its name): its names come before .dynsym's, and its local functions are
 * added. The binary then counts as not stripped. Returns how many functions it named or added;
 * 0, changing nothing, if the file is no x86-64 ELF with a .symtab. */
size_t symtab_read_debug(struct symtab *st, int fd, const char *path);

/* Returns the function starting exactly at link-time address addr, or NULL. */
const struct func *symtab_at(const struct symtab *st, taddr_t addr);
/* The index of the first function at or after link-time address addr (nfuncs if none). */
size_t symtab_first_from(const struct symtab *st, taddr_t addr);
/* Returns true if [addr, addr+len) lies inside one executable segment. */
bool symtab_in_text(const struct symtab *st, taddr_t addr, size_t len);

/* Sorts r[0..n) and joins the ranges that overlap or are at most gap bytes apart: the result is
 * in order and disjoint, so lookups can bisect it. Returns the new count. */
size_t symtab_join_ranges(struct range *r, size_t n, taddr_t gap);

/* The range of r[0..n) (sorted, disjoint) that holds addr, or NULL. */
const struct range *symtab_range_of(const struct range *r, size_t n, taddr_t addr);

/* Ranks two names for one address: < 0 if a should be shown rather than b. Exposed for tests. */
int symtab_alias_cmp(const char *a, int bind_a, const char *b, int bind_b);

#endif
