/* proto: what fntrace knows of a function's parameters and return type, whatever told it (DWARF,
 * the shipped prototype list, a -A/-R spec): enough to find each value (abi.h) and print it
 * (format.h). Nothing here reads a program. */
#ifndef FNTRACE_ARGS_PROTO_H
#define FNTRACE_ARGS_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct flagset;

/* How a value is shown. The kind also says how the ABI passes it (abi.c). */
enum arg_kind {
	ARG_VOID,       /* a return that shows nothing */
	ARG_SINT,       /* size 1, 2, 4, 8 or 16 */
	ARG_UINT,
	ARG_BOOL,
	ARG_CHAR,       /* one character, quoted as strace does: 'a', '\n' */
	ARG_ENUM,       /* an enumerator's name, or its number */
	ARG_FLAGS,      /* a flagset's names: O_RDONLY|O_CLOEXEC */
	ARG_PTR,        /* an address: 0x7ffd..., NULL (struct, union and reference too) */
	ARG_FUNCPTR,    /* an address the views may name (uftrace's /p) */
	ARG_STRING,     /* char *: the characters, read at most N bytes */
	ARG_STDSTRING,  /* std::string * (libstdc++): its characters (uftrace's /S) */
	ARG_FLOAT,      /* size 4 (float), 8 (double) or 16 (long double, x87) */
	ARG_STRUCT,     /* an aggregate by value: {...}, its size and ABI class decide where it is */
};

/* The System V classes of an eightbyte (ABI 3.2.3). NONE: padding, or past the aggregate. */
enum arg_class { CLASS_NONE, CLASS_INTEGER, CLASS_SSE, CLASS_X87, CLASS_MEMORY };

enum arg_base { BASE_DEC, BASE_HEX, BASE_OCT };

struct arg_enumerator {
	int64_t value;
	char *name;
};

struct arg_type {
	enum arg_kind kind;
	unsigned size;                  /* bytes; a pointer's is 8 */
	enum arg_base base;             /* integers, enums out of range, flags left over */
	/* ARG_STRUCT: the class of each eightbyte; cls[0] == CLASS_MEMORY for one passed in memory
	 * (bigger than 16 bytes, unaligned, x87 inside, or not trivially copyable in C++, which
	 * the ABI passes by a hidden reference: then by_ref). */
	enum arg_class cls[2];
	bool by_ref;
	unsigned align;                 /* for the stack slot: 16 for long double, __int128 */
	const struct flagset *flags;    /* ARG_FLAGS */
	struct arg_enumerator *enums;   /* ARG_ENUM, owned by the prototype */
	size_t nenums;
};

struct arg_param {
	char *name;                     /* NULL when unnamed: shown without "name=" */
	struct arg_type type;
};

struct proto {
	char *name;
	struct arg_type ret;
	bool ret_errno;                 /* -1 is an error: show errno's name, as strace does */
	struct arg_param *params;
	size_t nparams;
	bool variadic;                  /* ... after the params */
	int printf_fmt;                 /* index of a printf-family format param, or -1 */
	bool va_list_fmt;               /* vprintf and friends: the values are behind a va_list */
};

/* A new prototype named name, returning void and taking nothing. Free with proto_free(). */
struct proto *proto_new(const char *name);
/* Appends a parameter (name may be NULL); the type's enumerators are moved into the proto. */
void proto_add_param(struct proto *pr, const char *name, const struct arg_type *type);
struct proto *proto_dup(const struct proto *pr);
void proto_free(struct proto *pr);

/* Frees what a type owns (its enumerators): for a type never added to a prototype. */
void arg_type_free(struct arg_type *ty);
/* The value of the low size bytes of v as a signed integer (size 0 or 8 and up: v itself). */
int64_t arg_sign_extend(uint64_t v, unsigned size);

/* Common types, for the parsers and tests. */
struct arg_type arg_type_int(enum arg_kind kind, unsigned size);
struct arg_type arg_type_ptr(enum arg_kind kind);
struct arg_type arg_type_float(unsigned size);

/* The prototype as C would declare it, for --debug output and tests: "int open(char *path,
 * flags:open flags, ...)". Writes at most len bytes (NUL included). */
void proto_describe(const struct proto *pr, char *out, size_t len);

#endif
