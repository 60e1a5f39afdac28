/* symtab: open an ELF executable with libelf and list its functions. */
#include "symtab.h"
#include "discache.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct cand {
	taddr_t addr;
	uint64_t size;
	const char *name;   /* points into libelf's string table while loading */
	int bind;
	bool exported;
};

static int bind_rank(int bind)
{
	switch (bind) {
	case STB_GLOBAL: return 0;
	case STB_WEAK:   return 1;
	default:         return 2;
	}
}

static int leading_underscores(const char *s)
{
	int n = 0;
	while (s[n] == '_')
		n++;
	return n;
}

int symtab_alias_cmp(const char *a, int bind_a, const char *b, int bind_b)
{
	int d = (leading_underscores(a) > 0) - (leading_underscores(b) > 0);
	if (d)
		return d;
	d = bind_rank(bind_a) - bind_rank(bind_b);
	if (d)
		return d;
	d = leading_underscores(a) - leading_underscores(b);
	if (d)
		return d;
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

static int cand_cmp(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;
	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	return symtab_alias_cmp(a->name, a->bind, b->name, b->bind);
}

static int range_cmp(const void *pa, const void *pb)
{
	const struct range *a = pa, *b = pb;
	return a->lo < b->lo ? -1 : a->lo > b->lo;
}

size_t symtab_join_ranges(struct range *r, size_t n, taddr_t gap)
{
	if (!n)
		return 0;
	qsort(r, n, sizeof(*r), range_cmp);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m && (r[i].lo <= r[m - 1].hi || r[i].lo - r[m - 1].hi <= gap)) {
			if (r[i].hi > r[m - 1].hi)
				r[m - 1].hi = r[i].hi;
		} else {
			r[m++] = r[i];
		}
	}
	return m;
}

/* Narrows st->xsegs, the executable segments (sorted, disjoint), to the executable sections
 * inside them. An old or lld-linked library has one R+X segment that holds .rodata, .eh_frame
 * and the symbol tables too: data there, decoded as code, would give false call targets, and a
 * breakpoint planted in it would change the program's constants. Without section headers the
 * segments stay. The sections are joined first and then cut by the segments in one sweep, so
 * a file of many sections and segments takes n log n time, not sections times segments. */
static void code_sections(Elf *e, struct symtab *st)
{
	struct range *secs = NULL, *code = NULL;
	size_t nsecs = 0, cap = 0, n = 0, ccap = 0;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS || !sh.sh_size ||
		    (sh.sh_flags & (SHF_ALLOC | SHF_EXECINSTR)) != (SHF_ALLOC | SHF_EXECINSTR))
			continue;
		taddr_t end = sh.sh_addr + sh.sh_size < sh.sh_addr ? UINT64_MAX : sh.sh_addr + sh.sh_size;
		xgrow(&secs, &cap, nsecs + 1, sizeof(*secs));
		secs[nsecs++] = (struct range){ sh.sh_addr, end };
	}
	nsecs = symtab_join_ranges(secs, nsecs, 0);
	for (size_t i = 0, j = 0; i < nsecs && j < st->nxsegs;) {
		taddr_t lo = secs[i].lo > st->xsegs[j].lo ? secs[i].lo : st->xsegs[j].lo;
		taddr_t hi = secs[i].hi < st->xsegs[j].hi ? secs[i].hi : st->xsegs[j].hi;
		if (lo < hi) {
			xgrow(&code, &ccap, n + 1, sizeof(*code));
			code[n++] = (struct range){ lo, hi };
		}
		if (secs[i].hi < st->xsegs[j].hi)
			i++;
		else
			j++;
	}
	free(secs);
	if (!n)
		return;
	free(st->xsegs);
	st->xsegs = code;
	/* sections a few alignment bytes apart are read and written as one */
	st->nxsegs = symtab_join_ranges(code, n, 256);
}

static const char *machine_name(int m)
{
	switch (m) {
	case EM_386:     return "i386";
	case EM_ARM:     return "ARM";
	case EM_AARCH64: return "AArch64";
	case EM_RISCV:   return "RISC-V";
	case EM_PPC64:   return "PowerPC64";
	case EM_S390:    return "s390";
	case EM_MIPS:    return "MIPS";
	default:         return NULL;
	}
}

/* Reads the function symbols of one symbol table section into *c. */
struct funcvec {
	struct func *v;
	size_t n, cap;
};

static void read_symbols(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh, size_t shnum,
			 const bool *xsec, struct cand **c, size_t *n, size_t *cap, taddr_t *st_r_debug,
			 struct funcvec *st_ifuncs)
{
	Elf_Data *data = elf_getdata(scn, NULL), *xndx = NULL;
	if (!data || !sh->sh_entsize)
		return;
	/* With more than 65,279 sections, a symbol's section number is in SHT_SYMTAB_SHNDX. */
	size_t self = elf_ndxscn(scn);
	for (Elf_Scn *x = NULL; !xndx && (x = elf_nextscn(e, x));) {
		GElf_Shdr xsh;
		if (gelf_getshdr(x, &xsh) && xsh.sh_type == SHT_SYMTAB_SHNDX && xsh.sh_link == self)
			xndx = elf_getdata(x, NULL);
	}
	size_t count = sh->sh_size / sh->sh_entsize;
	for (size_t i = 0; i < count; i++) {
		GElf_Sym sym;
		Elf32_Word big = 0;
		if (!gelf_getsymshndx(data, xndx, (int)i, &sym, &big))
			break;
		size_t shndx = sym.st_shndx == SHN_XINDEX ? big : sym.st_shndx >= SHN_LORESERVE ? 0 : sym.st_shndx;
		if (GELF_ST_TYPE(sym.st_info) == STT_OBJECT && sym.st_value && st_r_debug &&
		    !strcmp(elf_strptr(e, sh->sh_link, sym.st_name) ?: "", "_r_debug"))
			*st_r_debug = sym.st_value;
		int type = GELF_ST_TYPE(sym.st_info);
		if (type != STT_FUNC && type != STT_GNU_IFUNC)
			continue;
		if (shndx == SHN_UNDEF || shndx >= shnum || !xsec[shndx] || !sym.st_value)
			continue;
		if (type == STT_GNU_IFUNC) {
			/* The resolver runs once; what the program calls is what it returns. */
			const char *iname = elf_strptr(e, sh->sh_link, sym.st_name);
			if (sh->sh_type == SHT_DYNSYM && iname && *iname && GELF_ST_BIND(sym.st_info) != STB_LOCAL &&
			    st_ifuncs) {
				xgrow(&st_ifuncs->v, &st_ifuncs->cap, st_ifuncs->n + 1, sizeof(struct func));
				st_ifuncs->v[st_ifuncs->n++] = (struct func){ sym.st_value, 0, xstrdup(iname), true };
			}
			continue;
		}
		const char *name = elf_strptr(e, sh->sh_link, sym.st_name);
		/* foo.cold is the cold part of foo, entered by jumps, not calls. */
		if (!name || !*name || strstr(name, ".cold"))
			continue;
		int bind = GELF_ST_BIND(sym.st_info);
		bool exported = sh->sh_type == SHT_DYNSYM && (bind == STB_GLOBAL || bind == STB_WEAK) &&
				GELF_ST_VISIBILITY(sym.st_other) == STV_DEFAULT;
		xgrow(c, cap, *n + 1, sizeof(**c));
		(*c)[(*n)++] = (struct cand){ sym.st_value, sym.st_size, name, bind, exported };
	}
}

/* Which sections of e hold code: executable, and of type type (SHT_PROGBITS; SHT_NOBITS too
 * in a debug file, where the code is left out). Indexed by section number; the caller frees. */
static bool *exec_sections(Elf *e, size_t shnum, Elf64_Word type)
{
	bool *xsec = xcalloc(shnum + 1, sizeof(*xsec));
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		size_t idx = elf_ndxscn(scn);
		if (gelf_getshdr(scn, &sh) && idx < shnum)
			xsec[idx] = (sh.sh_flags & SHF_EXECINSTR) &&
				    (sh.sh_type == SHT_PROGBITS || sh.sh_type == type);
	}
	return xsec;
}

/* name without a symbol version: a .symtab calls a versioned function foo@@VERSION (the
 * default one) or foo@VERSION (an older one), where .dynsym and people say foo. */
static char *unversioned(const char *name)
{
	const char *at = strchr(name, '@');
	if (!at || at == name)
		return xstrdup(name);
	const char *v = at + 1 + (at[1] == '@');
	bool version = *v && !(*v >= '0' && *v <= '9');
	for (const char *p = v; *p && version; p++)
		version = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			  *p == '_' || *p == '.';
	char *s = xstrdup(name);
	if (version)
		s[at - name] = 0;
	return s;
}

/* The functions of c[0..n) inside st's code, one per address (aliases merged: the first one
 * sorted is the preferred name), sorted. Sorts c. */
static struct func *to_funcs(const struct symtab *st, struct cand *c, size_t n, size_t *nf)
{
	if (n)
		qsort(c, n, sizeof(*c), cand_cmp);
	struct func *v = xmalloc((n ? n : 1) * sizeof(*v));
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m && v[m - 1].addr == c[i].addr) {
			if (!v[m - 1].size)
				v[m - 1].size = c[i].size;
			v[m - 1].exported |= c[i].exported;
			continue;
		}
		if (symtab_in_text(st, c[i].addr, 1))
			v[m++] = (struct func){ c[i].addr, c[i].size, unversioned(c[i].name), c[i].exported };
	}
	*nf = m;
	return v;
}

/* The GOT slots of IFUNC resolutions and imported functions, from the RELA sections. */
static void read_gots(Elf *e, struct symtab *st)
{
	size_t cap = 0;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh, symsh;
		Elf_Data *d, *syms;
		Elf_Scn *symscn;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
			continue;
		symscn = elf_getscn(e, sh.sh_link);
		syms = symscn && gelf_getshdr(symscn, &symsh) ? elf_getdata(symscn, NULL) : NULL;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Rela r;
			GElf_Sym sym;
			if (!gelf_getrela(d, (int)i, &r))
				break;
			unsigned type = (unsigned)GELF_R_TYPE(r.r_info);
			struct gotref g = { r.r_offset, 0, NULL };
			if (type == R_X86_64_IRELATIVE) {
				g.resolver = (taddr_t)r.r_addend;
			} else if (type == R_X86_64_JUMP_SLOT || type == R_X86_64_GLOB_DAT) {
				const char *name;
				if (!syms || !GELF_R_SYM(r.r_info) || !gelf_getsym(syms, (int)GELF_R_SYM(r.r_info), &sym) ||
				    (sym.st_shndx != SHN_UNDEF && GELF_ST_TYPE(sym.st_info) != STT_GNU_IFUNC) ||
				    !(name = elf_strptr(e, symsh.sh_link, sym.st_name)) || !*name)
					continue;
				g.name = xstrdup(name);
			} else {
				continue;
			}
			xgrow(&st->gots, &cap, st->ngots + 1, sizeof(*st->gots));
			st->gots[st->ngots++] = g;
		}
	}
}

/* DT_SONAME from the dynamic section, if any. */
static void read_soname(Elf *e, struct symtab *st)
{
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC || !sh.sh_entsize)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Dyn dyn;
			if (!gelf_getdyn(data, (int)i, &dyn))
				break;
			if (dyn.d_tag == DT_SONAME) {
				const char *name = elf_strptr(e, sh.sh_link, dyn.d_un.d_val);
				if (name && *name)
					st->soname = xstrdup(name);
				return;
			}
		}
	}
}

int symtab_load(const char *path, struct symtab *st, char *err, size_t errlen)
{
	memset(st, 0, sizeof(*st));
	/* O_NONBLOCK: a FIFO's open would wait for a writer. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	int ret = symtab_load_fd(fd, path, st, err, errlen);
	close(fd);
	return ret;
}

int symtab_load_fd(int fd, const char *path, struct symtab *st, char *err, size_t errlen)
{
	struct stat sb;
	memset(st, 0, sizeof(*st));
	elf_version(EV_CURRENT);
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -1;
	}
	Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	int ret = -1;
	GElf_Ehdr eh;
	if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh)) {
		snprintf(err, errlen, "%s: not an ELF file", path);
		goto out;
	}
	if (gelf_getclass(e) != ELFCLASS64) {
		const char *m = machine_name(eh.e_machine);
		snprintf(err, errlen, "%s: 32-bit ELF%s%s; fntrace traces x86-64 programs only", path,
			 m ? " for " : "", m ? m : "");
		goto out;
	}
	if (eh.e_machine != EM_X86_64) {
		const char *m = machine_name(eh.e_machine);
		char num[32];
		snprintf(num, sizeof(num), "machine %u", eh.e_machine);
		snprintf(err, errlen, "%s: ELF for another architecture (%s); fntrace traces x86-64 programs only",
			 path, m ? m : num);
		goto out;
	}
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
		snprintf(err, errlen, "%s: not an executable ELF file (e_type %u)", path, eh.e_type);
		goto out;
	}
	st->path = xstrdup(path);
	st->pie = eh.e_type == ET_DYN;
	st->entry = eh.e_entry;

	size_t phnum = 0, xcap = 0;
	elf_getphdrnum(e, &phnum);
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(e, (int)i, &ph))
			continue;
		if (ph.p_type == PT_INTERP)
			st->interp = true;
		if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X) && ph.p_memsz &&
		    ph.p_vaddr + ph.p_memsz > ph.p_vaddr) {
			xgrow(&st->xsegs, &xcap, st->nxsegs + 1, sizeof(*st->xsegs));
			st->xsegs[st->nxsegs++] = (struct range){ ph.p_vaddr, ph.p_vaddr + ph.p_memsz };
		}
	}
	st->nxsegs = symtab_join_ranges(st->xsegs, st->nxsegs, 0);
	code_sections(e, st);

	size_t shnum = 0, shstrndx = 0;
	elf_getshdrnum(e, &shnum);
	elf_getshdrstrndx(e, &shstrndx);
	bool *xsec = exec_sections(e, shnum, SHT_PROGBITS);
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			continue;
		const char *name = elf_strptr(e, shstrndx, sh.sh_name);
		st->go |= name && !strcmp(name, ".gopclntab");
	}
	read_soname(e, st);
	read_gots(e, st);
	struct funcvec ifv = { NULL, 0, 0 };
	struct cand *c = NULL;
	size_t n = 0, cap = 0;
	st->stripped = true;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) && (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM))
			read_symbols(e, scn, &sh, shnum, xsec, &c, &n, &cap, &st->r_debug, &ifv);
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			st->stripped = false;
	}
	free(xsec);
	st->ifuncs = ifv.v;
	st->nifuncs = ifv.n;

	st->funcs = to_funcs(st, c, n, &st->nfuncs);
	free(c);
	DEBUG(DBG_ELF, "%s: %zu functions, %s, entry %#" PRIx64, path, st->nfuncs,
	      st->pie ? "PIE" : "non-PIE", st->entry);
	ret = 0;
out:
	if (e)
		elf_end(e);
	if (ret)
		symtab_free(st);
	return ret;
}

void symtab_free(struct symtab *st)
{
	for (size_t i = 0; i < st->nfuncs; i++)
		free(st->funcs[i].name);
	free(st->funcs);
	for (size_t i = 0; i < st->nifuncs; i++)
		free(st->ifuncs[i].name);
	free(st->ifuncs);
	for (size_t i = 0; i < st->ngots; i++)
		free(st->gots[i].name);
	free(st->gots);
	free(st->xsegs);
	free(st->path);
	free(st->soname);
	free(st->debug);
	memset(st, 0, sizeof(*st));
}

struct found {
	taddr_t addr;
	char *name;   /* a copy: a name from the disk cache lives no longer than the call */
};

struct found_vec {
	struct found *v;
	size_t n, cap;
};

static void add_found(taddr_t addr, const char *name, void *arg)
{
	struct found_vec *fv = arg;
	xgrow(&fv->v, &fv->cap, fv->n + 1, sizeof(*fv->v));
	fv->v[fv->n++] = (struct found){ addr, name ? xstrdup(name) : NULL };
}

static int found_cmp(const void *pa, const void *pb)
{
	const struct found *a = pa, *b = pb;
	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	return (b->name != NULL) - (a->name != NULL);   /* a name first */
}

/* Adds to st the functions of add (sorted, at addresses st does not have): one merge of two
 * sorted lists. add's names pass to st. */
static void merge_funcs(struct symtab *st, struct func *add, size_t nadd)
{
	struct func *v = xmalloc((st->nfuncs + nadd + 1) * sizeof(*v));
	size_t i = 0, j = 0, n = 0;
	while (i < st->nfuncs || j < nadd)
		v[n++] = j == nadd || (i < st->nfuncs && st->funcs[i].addr < add[j].addr) ? st->funcs[i++] : add[j++];
	free(st->funcs);
	st->funcs = v;
	st->nfuncs = n;
}

size_t symtab_discover(struct symtab *st)
{
	if (!st->stripped)
		return 0;
	int fd = open(st->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	GElf_Ehdr eh;
	struct found_vec fv = { NULL, 0, 0 };
	if (e && elf_kind(e) == ELF_K_ELF && gelf_getehdr(e, &eh))
		discache_functions(fd, e, &eh, st, add_found, &fv);
	if (fv.n)
		qsort(fv.v, fv.n, sizeof(*fv.v), found_cmp);
	/* A symbol always names its address: only the addresses no symbol names are added. */
	struct func *add = xmalloc((fv.n + 1) * sizeof(*add));
	size_t added = 0;
	for (size_t i = 0; i < fv.n; i++) {
		if ((i && fv.v[i].addr == fv.v[i - 1].addr) || symtab_at(st, fv.v[i].addr))
			continue;
		char name[32];
		snprintf(name, sizeof(name), "sub_%" PRIx64, fv.v[i].addr);
		add[added++] = (struct func){ fv.v[i].addr, 0, xstrdup(fv.v[i].name ? fv.v[i].name : name), false };
	}
	merge_funcs(st, add, added);
	free(add);
	for (size_t i = 0; i < fv.n; i++)
		free(fv.v[i].name);
	free(fv.v);
	if (e)
		elf_end(e);
	close(fd);
	st->stripped = false;   /* discovered: a second call adds nothing */
	DEBUG(DBG_ELF, "%s: %zu functions found without symbols", st->path, added);
	return added;
}

size_t symtab_read_debug(struct symtab *st, int fd, const char *path)
{
	Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	GElf_Ehdr eh;
	size_t shnum = 0, n = 0, cap = 0, nd = 0, named = 0;
	struct cand *c = NULL;
	bool has_symtab = false;
	if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh) || gelf_getclass(e) != ELFCLASS64 ||
	    eh.e_machine != EM_X86_64 || elf_getshdrnum(e, &shnum))
		goto out;
	bool *xsec = exec_sections(e, shnum, SHT_NOBITS);
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB) {
			read_symbols(e, scn, &sh, shnum, xsec, &c, &n, &cap, NULL, NULL);
			has_symtab = true;
		}
	}
	free(xsec);
	if (!has_symtab)
		goto out;
	/* The debug file's names first: it is the file's own .symtab, kept apart. .dynsym's
	 * names stay where it has none, and so does what .dynsym says is exported. */
	struct func *d = to_funcs(st, c, n, &nd);
	struct func *v = xmalloc((st->nfuncs + nd + 1) * sizeof(*v));
	size_t i = 0, j = 0, m = 0;
	while (i < st->nfuncs || j < nd) {
		if (j == nd || (i < st->nfuncs && st->funcs[i].addr < d[j].addr)) {
			v[m++] = st->funcs[i++];
			continue;
		}
		named++;
		if (i == st->nfuncs || d[j].addr < st->funcs[i].addr) {
			v[m++] = d[j++];
			continue;
		}
		struct func f = st->funcs[i++];
		free(f.name);
		f.name = d[j].name;
		if (!f.size)
			f.size = d[j].size;
		v[m++] = f;
		j++;
	}
	free(d);
	free(st->funcs);
	st->funcs = v;
	st->nfuncs = m;
	st->stripped = false;   /* as complete as a .symtab of its own: nothing left to discover */
	free(st->debug);
	st->debug = xstrdup(path);
	DEBUG(DBG_ELF, "%s: %zu functions named by %s", st->path, named, path);
out:
	free(c);
	if (e)
		elf_end(e);
	return named;
}

size_t symtab_first_from(const struct symtab *st, taddr_t addr)
{
	size_t lo = 0, hi = st->nfuncs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (st->funcs[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct func *symtab_at(const struct symtab *st, taddr_t addr)
{
	size_t i = symtab_first_from(st, addr);
	return i < st->nfuncs && st->funcs[i].addr == addr ? &st->funcs[i] : NULL;
}

const struct range *symtab_range_of(const struct range *r, size_t n, taddr_t addr)
{
	/* sorted and disjoint: the one that can hold addr is the last starting at or before it */
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r[mid].lo <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && addr < r[lo - 1].hi ? &r[lo - 1] : NULL;
}

bool symtab_in_text(const struct symtab *st, taddr_t addr, size_t len)
{
	const struct range *r = symtab_range_of(st->xsegs, st->nxsegs, addr);
	return r && addr + len <= r->hi && addr + len > addr;
}
