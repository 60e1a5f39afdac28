/* dwarf: prototypes from DWARF. A function is found by its entry address (DW_AT_low_pc, the
 * entry_pc or the first range of a split function); its parameters are taken from its abstract
 * origin or declaration when it has them, since an optimised concrete copy may list fewer. A
 * type that cannot be placed makes the whole prototype unknown: a guess would shift every value
 * after it. */
#include "dwarf.h"

#include "abi.h"
#include "../elf/debuginfo.h"
#include "../util/util.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct dwfunc {
	uint64_t addr;
	Dwarf_Off off;          /* of the DIE with the code */
};

struct args_dwarf {
	int fd;
	Elf *elf;
	Dwarf *dw;
	struct dwfunc *funcs;   /* sorted by addr */
	size_t n, cap;
};

/* ---- the index ---- */

static bool entry_of(Dwarf_Die *die, uint64_t *addr)
{
	Dwarf_Addr a, base, end;
	if (dwarf_hasattr(die, DW_AT_entry_pc) && dwarf_entrypc(die, &a) == 0) {
		*addr = a;
		return true;
	}
	if (dwarf_lowpc(die, &a) == 0) {
		*addr = a;
		return true;
	}
	if (dwarf_ranges(die, 0, &base, &a, &end) > 0) {
		*addr = a;
		return true;
	}
	return false;
}

/* Adds the functions with code under die: a CU's, a namespace's, a class's. */
static void index_children(struct args_dwarf *d, Dwarf_Die *parent)
{
	Dwarf_Die die;
	if (dwarf_child(parent, &die) != 0)
		return;
	do {
		int tag = dwarf_tag(&die);
		uint64_t addr;
		if (tag == DW_TAG_subprogram && !dwarf_hasattr(&die, DW_AT_declaration) && entry_of(&die, &addr)) {
			xgrow(&d->funcs, &d->cap, d->n + 1, sizeof(*d->funcs));
			d->funcs[d->n++] = (struct dwfunc){ addr, dwarf_dieoffset(&die) };
		} else if (tag == DW_TAG_namespace || tag == DW_TAG_class_type || tag == DW_TAG_structure_type ||
			   tag == DW_TAG_union_type || tag == DW_TAG_module) {
			index_children(d, &die);
		}
	} while (dwarf_siblingof(&die, &die) == 0);
}

static int by_addr(const void *a, const void *b)
{
	const struct dwfunc *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void build_index(struct args_dwarf *d)
{
	Dwarf_Off off = 0, next;
	size_t hsize;
	while (dwarf_nextcu(d->dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu;
		/* An assembler's CU names its functions and nothing of their parameters (glibc's
		 * system call stubs): no prototype is better than an empty one. */
		if (dwarf_offdie(d->dw, off + hsize, &cu) && dwarf_srclang(&cu) != DW_LANG_Mips_Assembler)
			index_children(d, &cu);
		off = next;
	}
	qsort(d->funcs, d->n, sizeof(*d->funcs), by_addr);
}

/* ---- opening ---- */

static bool open_file(struct args_dwarf *d, int fd)
{
	d->fd = fd;
	d->elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	d->dw = d->elf ? dwarf_begin_elf(d->elf, DWARF_C_READ, NULL) : NULL;
	if (d->dw)
		return true;
	if (d->elf)
		elf_end(d->elf);
	close(fd);
	d->elf = NULL;
	return false;
}

struct args_dwarf *args_dwarf_open(const char *path, const char *name)
{
	elf_version(EV_CURRENT);
	struct args_dwarf *d = xcalloc(1, sizeof(*d));
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0 && open_file(d, fd)) {
		build_index(d);
		if (d->n)
			return d;
		dwarf_end(d->dw);
		elf_end(d->elf);
		close(d->fd);
	}
	char *found;
	fd = debuginfo_open(path, name ? name : path, &found);
	free(found);
	if (fd >= 0 && open_file(d, fd)) {
		build_index(d);
		return d;
	}
	free(d);
	return NULL;
}

void args_dwarf_close(struct args_dwarf *d)
{
	if (!d)
		return;
	dwarf_end(d->dw);
	elf_end(d->elf);
	close(d->fd);
	free(d->funcs);
	free(d);
}

/* One reader per file, opened at its first function asked for (NULL when it has none). */
struct dfile {
	char *path;
	struct args_dwarf *d;
};
static struct dfile *dfiles;
static size_t ndfiles, capdfiles;

struct args_dwarf *args_dwarf_cached(const char *path, const char *name)
{
	for (size_t i = 0; i < ndfiles; i++)
		if (!strcmp(dfiles[i].path, path))
			return dfiles[i].d;
	xgrow(&dfiles, &capdfiles, ndfiles + 1, sizeof(*dfiles));
	dfiles[ndfiles].path = xstrdup(path);
	dfiles[ndfiles].d = args_dwarf_open(path, name ? name : path);
	return dfiles[ndfiles++].d;
}

void args_dwarf_close_cached(void)
{
	for (size_t i = 0; i < ndfiles; i++) {
		free(dfiles[i].path);
		args_dwarf_close(dfiles[i].d);
	}
	free(dfiles);
	dfiles = NULL;
	ndfiles = capdfiles = 0;
}

size_t args_dwarf_count(const struct args_dwarf *d)
{
	return d->n;
}

/* ---- types ---- */

static bool type_of(Dwarf_Die *die, struct arg_type *ty);


static Dwarf_Word size_of(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	Dwarf_Word w = 0;
	if (dwarf_attr_integrate(die, DW_AT_byte_size, &a))
		dwarf_formudata(&a, &w);
	return w;
}

/* The type DIE a DIE refers to, peeled of typedefs and qualifiers; false for none (void). */
static bool ref_type(Dwarf_Die *die, Dwarf_Die *type)
{
	Dwarf_Attribute a;
	Dwarf_Die t;
	if (!dwarf_attr_integrate(die, DW_AT_type, &a) || !dwarf_formref_die(&a, &t))
		return false;
	return dwarf_peel_type(&t, type) == 0;
}

static bool is_char_type(Dwarf_Die *t)
{
	Dwarf_Attribute a;
	Dwarf_Word enc = 0;
	if (dwarf_tag(t) != DW_TAG_base_type || size_of(t) != 1 || !dwarf_attr(t, DW_AT_encoding, &a))
		return false;
	dwarf_formudata(&a, &enc);
	return enc == DW_ATE_signed_char || enc == DW_ATE_unsigned_char;
}

/* Whether a (peeled) type is libstdc++'s std::string (std::__cxx11::basic_string<char, ...>),
 * whose characters a pointer or reference to it can show. */
static bool is_std_string(Dwarf_Die *t)
{
	int tag = dwarf_tag(t);
	const char *name = dwarf_diename(t);
	return (tag == DW_TAG_class_type || tag == DW_TAG_structure_type) && name &&
	       !strncmp(name, "basic_string<char,", 18);
}

static enum arg_class merge(enum arg_class a, enum arg_class b)
{
	if (a == b || b == CLASS_NONE)
		return a;
	if (a == CLASS_NONE)
		return b;
	if (a == CLASS_MEMORY || b == CLASS_MEMORY || a == CLASS_X87 || b == CLASS_X87)
		return CLASS_MEMORY;
	if (a == CLASS_INTEGER || b == CLASS_INTEGER)
		return CLASS_INTEGER;
	return CLASS_SSE;
}

static void classify_at(Dwarf_Die *type, uint64_t off, enum arg_class cls[2], bool *by_ref, int depth);

/* The eightbyte classes of a scalar of type ty at off. */
static void classify_scalar(const struct arg_type *ty, uint64_t off, enum arg_class cls[2])
{
	enum arg_class c = ty->kind == ARG_FLOAT ? (ty->size == 16 ? CLASS_X87 : CLASS_SSE) : CLASS_INTEGER;
	if (ty->size && off % (ty->size < 8 ? ty->size : 8))
		c = CLASS_MEMORY;       /* unaligned (packed): the ABI passes it in memory */
	for (uint64_t b = off / 8; b < 2 && b <= (off + (ty->size ? ty->size : 1) - 1) / 8; b++)
		cls[b] = merge(cls[b], c);
	if (off + ty->size > 16)
		cls[0] = CLASS_MEMORY;
}

/* Whether a C++ class may not be copied bit for bit: the ABI then passes it by reference. Its
 * DWARF 5 calling convention says so when the compiler writes it; else a user-declared
 * destructor, a copy or move constructor, or a vtable pointer does. */
static bool not_trivially_copyable(Dwarf_Die *type)
{
	Dwarf_Attribute a;
	Dwarf_Word cc;
	if (dwarf_attr(type, DW_AT_calling_convention, &a) && dwarf_formudata(&a, &cc) == 0)
		return cc == DW_CC_pass_by_reference;
	const char *cname = dwarf_diename(type);
	Dwarf_Die m;
	if (dwarf_child(type, &m) != 0)
		return false;
	do {
		const char *mname = dwarf_diename(&m);
		if (!mname)
			continue;
		if (dwarf_tag(&m) == DW_TAG_member && !strncmp(mname, "_vptr", 5))
			return true;
		if (dwarf_tag(&m) != DW_TAG_subprogram || dwarf_hasattr(&m, DW_AT_artificial))
			continue;
		if (mname[0] == '~')
			return true;
		if (cname && !strcmp(mname, cname)) {  /* a constructor: one taking a reference copies */
			Dwarf_Die p, pt;
			int nparam = 0;
			if (dwarf_child(&m, &p) == 0)
				do {
					if (dwarf_tag(&p) == DW_TAG_formal_parameter && nparam++ == 1 &&
					    ref_type(&p, &pt) && (dwarf_tag(&pt) == DW_TAG_reference_type ||
								   dwarf_tag(&pt) == DW_TAG_rvalue_reference_type))
						return true;
				} while (dwarf_siblingof(&p, &p) == 0);
		}
	} while (dwarf_siblingof(&m, &m) == 0);
	return false;
}

static void classify_members(Dwarf_Die *type, uint64_t off, enum arg_class cls[2], bool *by_ref, int depth)
{
	Dwarf_Die m;
	if (dwarf_child(type, &m) != 0)
		return;
	do {
		int tag = dwarf_tag(&m);
		if ((tag != DW_TAG_member && tag != DW_TAG_inheritance) || dwarf_hasattr(&m, DW_AT_external) ||
		    dwarf_hasattr(&m, DW_AT_declaration))
			continue;       /* static members take no room */
		Dwarf_Attribute a;
		Dwarf_Word moff = 0;
		if (dwarf_attr(&m, DW_AT_data_member_location, &a) && dwarf_formudata(&a, &moff) != 0) {
			cls[0] = CLASS_MEMORY;  /* a location expression: virtual base */
			return;
		}
		if (dwarf_attr(&m, DW_AT_data_bit_offset, &a) && dwarf_formudata(&a, &moff) == 0)
			moff /= 8;
		Dwarf_Die mt;
		if (!ref_type(&m, &mt)) {
			cls[0] = CLASS_MEMORY;
			return;
		}
		if (dwarf_hasattr(&m, DW_AT_bit_size)) {   /* a bitfield: integer bits where it is */
			cls[(off + moff) / 8 < 2 ? (off + moff) / 8 : 1] =
				merge(cls[(off + moff) / 8 < 2 ? (off + moff) / 8 : 1], CLASS_INTEGER);
			continue;
		}
		classify_at(&mt, off + moff, cls, by_ref, depth + 1);
	} while (dwarf_siblingof(&m, &m) == 0);
}

static void classify_array(Dwarf_Die *type, uint64_t off, enum arg_class cls[2], bool *by_ref, int depth)
{
	Dwarf_Die et;
	Dwarf_Word esize, count = 0, total = size_of(type);
	if (!ref_type(type, &et)) {
		cls[0] = CLASS_MEMORY;
		return;
	}
	struct arg_type scalar = { 0 };
	bool is_scalar = type_of(&et, &scalar) && scalar.kind != ARG_STRUCT;
	esize = is_scalar ? scalar.size : size_of(&et);
	arg_type_free(&scalar);
	if (!total) {
		Dwarf_Die sub;
		Dwarf_Attribute a;
		Dwarf_Word ub;
		if (dwarf_child(type, &sub) == 0 && dwarf_tag(&sub) == DW_TAG_subrange_type) {
			if (dwarf_attr(&sub, DW_AT_count, &a) && dwarf_formudata(&a, &count) == 0)
				total = count * esize;
			else if (dwarf_attr(&sub, DW_AT_upper_bound, &a) && dwarf_formudata(&a, &ub) == 0)
				total = (ub + 1) * esize;
		}
	}
	if (!esize || total > 16) {
		cls[0] = total || !esize ? CLASS_MEMORY : cls[0];  /* a flexible array member is no room */
		return;
	}
	for (Dwarf_Word o = 0; o < total; o += esize)
		classify_at(&et, off + o, cls, by_ref, depth + 1);
}

/* Merges the classes of a value of type (peeled) at offset off of an aggregate into cls. */
static void classify_at(Dwarf_Die *type, uint64_t off, enum arg_class cls[2], bool *by_ref, int depth)
{
	int tag = dwarf_tag(type);
	if (depth > 32 || off >= 16) {
		cls[0] = CLASS_MEMORY;
		return;
	}
	if (tag == DW_TAG_structure_type || tag == DW_TAG_class_type || tag == DW_TAG_union_type) {
		if (size_of(type) + off > 16) {
			cls[0] = CLASS_MEMORY;
			return;
		}
		if (not_trivially_copyable(type))
			*by_ref = true;
		classify_members(type, off, cls, by_ref, depth);
		return;
	}
	if (tag == DW_TAG_array_type) {
		classify_array(type, off, cls, by_ref, depth);
		return;
	}
	struct arg_type ty;
	if (!type_of(type, &ty)) {
		cls[0] = CLASS_MEMORY;
		return;
	}
	if (ty.kind == ARG_STRUCT) {    /* complex numbers and member function pointers */
		for (int i = 0; i < 2 && off / 8 + i < 2; i++)
			cls[off / 8 + i] = merge(cls[off / 8 + i], ty.cls[i]);
		return;
	}
	classify_scalar(&ty, off, cls);
}

static bool aggregate_type(Dwarf_Die *t, struct arg_type *ty)
{
	Dwarf_Word size = size_of(t);
	if (dwarf_hasattr(t, DW_AT_declaration))
		return false;   /* incomplete: its size is unknown */
	*ty = (struct arg_type){ .kind = ARG_STRUCT, .size = (unsigned)size, .align = 8 };
	bool by_ref = false;
	if (size > 16) {
		ty->cls[0] = CLASS_MEMORY;
		by_ref = not_trivially_copyable(t);
	} else {
		classify_at(t, 0, ty->cls, &by_ref, 0);
		/* No member said anything: an empty C++ class (passed in nothing since GCC 8), or
		 * an aggregate whose members DWARF left out (glibc's transparent unions). */
		if (ty->cls[0] == CLASS_NONE && ty->cls[1] == CLASS_NONE)
			return false;
	}
	abi_classify_finish(ty->cls, (unsigned)size);
	ty->by_ref = by_ref;
	return true;
}

static bool enum_type(Dwarf_Die *t, struct arg_type *ty)
{
	unsigned size = (unsigned)size_of(t);
	*ty = arg_type_int(ARG_ENUM, size ? size : 4);
	Dwarf_Die e;
	if (dwarf_child(t, &e) != 0)
		return true;
	size_t cap = 0;
	do {
		Dwarf_Attribute a;
		Dwarf_Sword v;
		const char *name = dwarf_diename(&e);
		if (dwarf_tag(&e) != DW_TAG_enumerator || !name || !dwarf_attr(&e, DW_AT_const_value, &a) ||
		    dwarf_formsdata(&a, &v) != 0)
			continue;
		xgrow(&ty->enums, &cap, ty->nenums + 1, sizeof(*ty->enums));
		ty->enums[ty->nenums++] = (struct arg_enumerator){ v, xstrdup(name) };
	} while (dwarf_siblingof(&e, &e) == 0);
	return true;
}

static bool base_type(Dwarf_Die *t, struct arg_type *ty)
{
	Dwarf_Attribute a;
	Dwarf_Word enc = 0;
	unsigned size = (unsigned)size_of(t);
	const char *name = dwarf_diename(t);
	if (dwarf_attr(t, DW_AT_encoding, &a))
		dwarf_formudata(&a, &enc);
	switch (enc) {
	case DW_ATE_boolean:
		*ty = arg_type_int(ARG_BOOL, size);
		return true;
	case DW_ATE_signed_char:
	case DW_ATE_unsigned_char:
		if (size == 1 && name && !strcmp(name, "char")) {
			*ty = arg_type_int(ARG_CHAR, 1);
			return true;
		}
		*ty = arg_type_int(enc == DW_ATE_signed_char ? ARG_SINT : ARG_UINT, size);
		return true;
	case DW_ATE_signed:
		*ty = arg_type_int(ARG_SINT, size);
		return size == 1 || size == 2 || size == 4 || size == 8 || size == 16;
	case DW_ATE_unsigned:
	case DW_ATE_UTF:
		*ty = arg_type_int(ARG_UINT, size);
		return size == 1 || size == 2 || size == 4 || size == 8 || size == 16;
	case DW_ATE_float:
		/* float, double and x87's long double (16 bytes here); _Float128 is SSE in 16 bytes,
		 * which nothing here reads. */
		if (size == 16 && name && strstr(name, "128"))
			return false;
		*ty = arg_type_float(size);
		return size == 4 || size == 8 || size == 16;
	case DW_ATE_complex_float:      /* two floats: a struct of them, for the ABI */
		*ty = (struct arg_type){ .kind = ARG_STRUCT, .size = size, .align = size / 2 };
		ty->cls[0] = size == 32 ? CLASS_MEMORY : CLASS_SSE;
		ty->cls[1] = size == 16 ? CLASS_SSE : CLASS_NONE;
		return size == 8 || size == 16 || size == 32;
	default:
		return false;
	}
}

/* The prototype type of a (peeled) type DIE; false when fntrace cannot place it. */
static bool type_of(Dwarf_Die *t, struct arg_type *ty)
{
	Dwarf_Die pointee;
	switch (dwarf_tag(t)) {
	case DW_TAG_base_type:
		return base_type(t, ty);
	case DW_TAG_pointer_type:
		if (!ref_type(t, &pointee))
			*ty = arg_type_ptr(ARG_PTR);    /* void * */
		else if (is_char_type(&pointee))
			*ty = arg_type_ptr(ARG_STRING);
		else if (is_std_string(&pointee))
			*ty = arg_type_ptr(ARG_STDSTRING);
		else if (dwarf_tag(&pointee) == DW_TAG_subroutine_type)
			*ty = arg_type_ptr(ARG_FUNCPTR);
		else
			*ty = arg_type_ptr(ARG_PTR);
		return true;
	case DW_TAG_reference_type:
	case DW_TAG_rvalue_reference_type:
		*ty = arg_type_ptr(ref_type(t, &pointee) && is_std_string(&pointee) ? ARG_STDSTRING : ARG_PTR);
		return true;
	case DW_TAG_unspecified_type:   /* std::nullptr_t */
		*ty = arg_type_ptr(ARG_PTR);
		return true;
	case DW_TAG_ptr_to_member_type:
		if (ref_type(t, &pointee) && dwarf_tag(&pointee) == DW_TAG_subroutine_type) {
			*ty = (struct arg_type){ .kind = ARG_STRUCT, .size = 16, .align = 8,
						 .cls = { CLASS_INTEGER, CLASS_INTEGER } };
			return true;
		}
		*ty = arg_type_int(ARG_SINT, 8);
		return true;
	case DW_TAG_enumeration_type:
		return enum_type(t, ty);
	case DW_TAG_structure_type:
	case DW_TAG_class_type:
	case DW_TAG_union_type:
		return aggregate_type(t, ty);
	default:
		return false;
	}
}

/* ---- functions ---- */

/* The DIE that declares the parameters of the function whose code is at die: its abstract
 * origin (an optimised or inlined function's), then that one's declaration (a C++ method's, in
 * its class), unless the one before lists them itself. */
static void declaring_die(Dwarf_Die *die, Dwarf_Die *out)
{
	*out = *die;
	for (int hops = 0; hops < 8; hops++) {
		Dwarf_Attribute a;
		Dwarf_Die next;
		Dwarf_Die child;
		bool has_params = false;
		if (dwarf_child(out, &child) == 0)
			do {
				int tag = dwarf_tag(&child);
				if (tag == DW_TAG_formal_parameter || tag == DW_TAG_unspecified_parameters)
					has_params = true;
			} while (!has_params && dwarf_siblingof(&child, &child) == 0);
		if (has_params && !dwarf_hasattr(out, DW_AT_abstract_origin))
			return;
		if (!(dwarf_attr(out, DW_AT_abstract_origin, &a) || dwarf_attr(out, DW_AT_specification, &a)) ||
		    !dwarf_formref_die(&a, &next))
			return;
		*out = next;
	}
}

static struct proto *proto_of(Dwarf_Die *fn)
{
	const char *name = dwarf_diename(fn);
	struct proto *pr = proto_new(name ? name : "?");
	Dwarf_Die t, decl, p;
	if (ref_type(fn, &t) && !type_of(&t, &pr->ret))
		goto unknown;
	declaring_die(fn, &decl);
	if (dwarf_child(&decl, &p) != 0)
		return pr;
	do {
		int tag = dwarf_tag(&p);
		if (tag == DW_TAG_unspecified_parameters) {
			pr->variadic = true;
			continue;
		}
		if (tag != DW_TAG_formal_parameter)
			continue;
		struct arg_type ty;
		if (!ref_type(&p, &t) || !type_of(&t, &ty))
			goto unknown;
		proto_add_param(pr, dwarf_diename(&p), &ty);
	} while (dwarf_siblingof(&p, &p) == 0);
	return pr;
unknown:
	proto_free(pr);
	return NULL;
}

static bool named(Dwarf_Die *die, const char *name)
{
	const char *n = dwarf_diename(die);
	if (n && !strcmp(n, name))
		return true;
	Dwarf_Attribute a;
	const char *linkage = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &a));
	return linkage && !strcmp(linkage, name);
}

/* The DIE of the function whose entry is at addr, into *die. */
static bool die_at(struct args_dwarf *d, uint64_t addr, Dwarf_Die *die)
{
	struct dwfunc key = { addr, 0 };
	struct dwfunc *f = bsearch(&key, d->funcs, d->n, sizeof(*d->funcs), by_addr);
	return f && dwarf_offdie(d->dw, f->off, die);
}

struct proto *args_dwarf_proto(struct args_dwarf *d, const char *name, uint64_t addr)
{
	Dwarf_Die die;
	if (addr)
		return die_at(d, addr, &die) ? proto_of(&die) : NULL;
	for (size_t i = 0; i < d->n; i++)
		if (dwarf_offdie(d->dw, d->funcs[i].off, &die) && named(&die, name))
			return proto_of(&die);
	return NULL;
}

/* ---- source lines ---- */

/* file relative to the compilation's directory when it lies under it: the path as the build
 * named it ("src/abc.c"), not where the build happened to run. */
static const char *under_comp_dir(Dwarf_Die *cu, const char *file)
{
	Dwarf_Attribute a;
	const char *dir = dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &a));
	size_t n = dir ? strlen(dir) : 0;
	if (n && !strncmp(file, dir, n) && file[n] == '/' && file[n + 1])
		return file + n + 1;
	return file;
}

/* The file of die's declaration. DWARF 5 numbers the CU's own file 0, which clang uses and
 * dwarf_decl_file (elfutils 0.188) refuses: the CU's file table is read here. */
static const char *decl_file(Dwarf_Die *die, Dwarf_Die *cu)
{
	Dwarf_Attribute a;
	Dwarf_Word idx;
	Dwarf_Files *files;
	size_t n;
	if (dwarf_formudata(dwarf_attr_integrate(die, DW_AT_decl_file, &a), &idx) != 0 ||
	    dwarf_getsrcfiles(cu, &files, &n) != 0 || idx >= n)
		return NULL;
	return dwarf_filesrc(files, idx, NULL, NULL);
}

bool args_dwarf_srcline(struct args_dwarf *d, uint64_t addr, char *out, size_t len)
{
	Dwarf_Die die, cu;
	if (!d || !die_at(d, addr, &die) || !dwarf_diecu(&die, &cu, NULL, NULL))
		return false;
	/* The declaration's place (followed through an abstract origin or a specification, as
	 * libdw's integrate does): where a reader finds the function's name and body. */
	const char *file = decl_file(&die, &cu);
	int line = 0;
	if (file && dwarf_decl_line(&die, &line) == 0 && line > 0) {
		snprintf(out, len, "%s:%d", under_comp_dir(&cu, file), line);
		return true;
	}
	Dwarf_Line *row = dwarf_getsrc_die(&cu, addr);
	file = row ? dwarf_linesrc(row, NULL, NULL) : NULL;
	if (!file || dwarf_lineno(row, &line) != 0 || line <= 0)
		return false;
	snprintf(out, len, "%s:%d", under_comp_dir(&cu, file), line);
	return true;
}
