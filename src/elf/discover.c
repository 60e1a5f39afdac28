/* discover: function starts in a stripped binary. libelf reads sections, libdw the call frame
 * information, Zydis (arch/x86_64/scan) the code. */
#include "discover.h"
#include "../arch/x86_64/scan.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <stdlib.h>
#include <string.h>

struct image {
	taddr_t *starts;          /* everything found so far, for the thunk pass */
	size_t nstarts, capstarts;
	taddr_t *calls, *jccs;    /* targets of direct calls and of conditional jumps, sorted */
	size_t ncalls, njccs, capcalls, capjccs;
	taddr_t *addrs;           /* addresses taken in code */
	size_t naddrs, capaddrs;
	taddr_t *insides;         /* aligned addresses inside a decoded instruction (REF_INSIDE), sorted */
	size_t ninsides, capinsides;
	bool absolute;            /* ET_EXEC: an immediate can be an address (REF_IMM) */
	taddr_t *jmps, *bounds;   /* unconditional jump targets; boundaries (scan.h), sorted */
	size_t njmps, capjmps, nbounds, capbounds;
	struct fde { taddr_t lo, hi; bool fn; } *fdes;   /* every FDE's code, sorted; fn: starts like a function */
	size_t nfdes, capfdes;
	Elf *e;
	const struct symtab *st;
	const char *raw;          /* the whole file */
	size_t rawlen;
	struct rel { taddr_t at, val; bool ifunc; } *rels;   /* RELATIVE and IRELATIVE, sorted by at */
	size_t nrels;
	struct range *plt;        /* PLT sections: stubs, not functions; sorted, disjoint */
	size_t nplt, capplt, caprels;
	GElf_Phdr *loads;         /* the PT_LOAD segments, sorted by p_vaddr */
	size_t nloads;
	void (*add)(taddr_t addr, const char *name, void *arg);
	void *arg;
};

/* The file bytes at link-time address a (len bytes), or NULL if they are not in the file.
 * im->loads is sorted by address: the segment that holds a is one of the last few that start
 * at or before it (only a hostile file has PT_LOADs overlapping more than that). */
static const uint8_t *bytes_at(struct image *im, taddr_t a, size_t len)
{
	size_t lo = 0, hi = im->nloads;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (im->loads[mid].p_vaddr <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t k = 0; lo && k < 16; k++, lo--) {
		const GElf_Phdr *ph = &im->loads[lo - 1];
		taddr_t d = a - ph->p_vaddr;   /* no sum of the file's values can wrap around */
		if (d <= ph->p_filesz && len <= ph->p_filesz - d &&
		    ph->p_offset <= im->rawlen && d + len <= im->rawlen - ph->p_offset)
			return (const uint8_t *)im->raw + ph->p_offset + d;
	}
	return NULL;
}

static int phdr_cmp(const void *pa, const void *pb)
{
	const GElf_Phdr *a = pa, *b = pb;
	return a->p_vaddr < b->p_vaddr ? -1 : a->p_vaddr > b->p_vaddr;
}

static void read_loads(struct image *im)
{
	size_t phnum = 0, cap = 0;
	elf_getphdrnum(im->e, &phnum);
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(im->e, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		xgrow(&im->loads, &cap, im->nloads + 1, sizeof(*im->loads));
		im->loads[im->nloads++] = ph;
	}
	if (im->nloads)
		qsort(im->loads, im->nloads, sizeof(*im->loads), phdr_cmp);
}

static int rel_cmp(const void *pa, const void *pb)
{
	const struct rel *a = pa, *b = pb;
	return a->at < b->at ? -1 : a->at > b->at;
}

/* A pointer stored at a as the program will see it: a RELATIVE relocation's addend in a PIE,
 * the file's bytes otherwise. */
static bool pointer_at(struct image *im, taddr_t a, taddr_t *val)
{
	struct rel key = { a, 0, false }, *r = im->nrels ? bsearch(&key, im->rels, im->nrels, sizeof(key), rel_cmp) : NULL;
	if (r) {
		*val = r->val;
		return true;
	}
	const uint8_t *b = bytes_at(im, a, 8);
	if (!b)
		return false;
	memcpy(val, b, 8);
	return true;
}

static bool in_plt(const struct image *im, taddr_t a)
{
	return symtab_range_of(im->plt, im->nplt, a) != NULL;
}

static void found(struct image *im, taddr_t a, const char *name)
{
	if (!a || !symtab_in_text(im->st, a, 1) || in_plt(im, a))
		return;
	im->add(a, name, im->arg);
	xgrow(&im->starts, &im->capstarts, im->nstarts + 1, sizeof(*im->starts));
	im->starts[im->nstarts++] = a;
}

/* A function that only jumps to another (frame_dummy to register_tm_clones) makes its target a
 * function too, entered by a tail call rather than a call. */
static void find_thunk_targets(struct image *im)
{
	for (size_t i = 0; i < im->nstarts && i < 1000000; i++) {
		const uint8_t *b = NULL;
		size_t len = 32;
		taddr_t t;
		while (len && !(b = bytes_at(im, im->starts[i], len)))
			len /= 2;
		/* A jump just ahead stays inside the function: no thunk. */
		if (b && scan_thunk_target(b, len, im->starts[i], &t) && (t < im->starts[i] || t >= im->starts[i] + 32))
			found(im, t, NULL);   /* appended: its own target is looked at in turn */
	}
}

static void push(taddr_t **v, size_t *n, size_t *cap, taddr_t a)
{
	xgrow(v, cap, *n + 1, sizeof(**v));
	(*v)[(*n)++] = a;
}

static void branch_cb(taddr_t a, enum code_ref ref, void *arg)
{
	struct image *im = arg;
	if (ref == REF_JMP) {
		push(&im->jmps, &im->njmps, &im->capjmps, a);
	} else if (ref == REF_BOUNDARY) {
		push(&im->bounds, &im->nbounds, &im->capbounds, a);
	} else if (ref == REF_INSIDE) {
		push(&im->insides, &im->ninsides, &im->capinsides, a);
	} else if (ref == REF_ADDR || ref == REF_IMM) {
		if ((ref == REF_ADDR || im->absolute) && symtab_in_text(im->st, a, 1)) {
			xgrow(&im->addrs, &im->capaddrs, im->naddrs + 1, sizeof(*im->addrs));
			im->addrs[im->naddrs++] = a;
		}
	} else if (ref == REF_JCC) {
		xgrow(&im->jccs, &im->capjccs, im->njccs + 1, sizeof(*im->jccs));
		im->jccs[im->njccs++] = a;
	} else {
		xgrow(&im->calls, &im->capcalls, im->ncalls + 1, sizeof(*im->calls));
		im->calls[im->ncalls++] = a;
	}
}

static int addr_cmp(const void *pa, const void *pb)
{
	taddr_t a = *(const taddr_t *)pa, b = *(const taddr_t *)pb;
	return a < b ? -1 : a > b;
}

static bool in_sorted(const taddr_t *v, size_t n, taddr_t a)
{
	return n && bsearch(&a, v, n, sizeof(*v), addr_cmp);
}

/* Calls fn for every section, with its header and name ("" if it has none). */
static void each_section(struct image *im, void (*fn)(struct image *im, Elf_Scn *scn, const GElf_Shdr *sh,
						      const char *name))
{
	size_t shstrndx = 0;
	elf_getshdrstrndx(im->e, &shstrndx);
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(im->e, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			continue;
		const char *name = elf_strptr(im->e, shstrndx, sh.sh_name);
		fn(im, scn, &sh, name ? name : "");
	}
}

/* Relocations that put code addresses in data, and the PLT sections. */
static void read_section(struct image *im, Elf_Scn *scn, const GElf_Shdr *sh, const char *name)
{
	Elf_Data *d;
	if (sh->sh_type == SHT_RELA && sh->sh_entsize && (d = elf_getdata(scn, NULL))) {
		for (size_t i = 0; i < sh->sh_size / sh->sh_entsize; i++) {
			GElf_Rela r;
			if (!gelf_getrela(d, (int)i, &r))
				break;
			int type = (int)GELF_R_TYPE(r.r_info);
			if (type == R_X86_64_RELATIVE || type == R_X86_64_IRELATIVE) {
				xgrow(&im->rels, &im->caprels, im->nrels + 1, sizeof(*im->rels));
				im->rels[im->nrels++] = (struct rel){ r.r_offset, (taddr_t)r.r_addend,
								      type == R_X86_64_IRELATIVE };
			}
		}
	}
	if (!strncmp(name, ".plt", 4) || !strncmp(name, ".iplt", 5)) {
		xgrow(&im->plt, &im->capplt, im->nplt + 1, sizeof(*im->plt));
		im->plt[im->nplt++] = (struct range){ sh->sh_addr, sh->sh_addr + sh->sh_size };
	}
}

/* .init, .fini, and the pointers in the init, fini and preinit arrays. */
static void init_fini_section(struct image *im, Elf_Scn *scn, const GElf_Shdr *sh, const char *name)
{
	(void)scn;
	if (!strcmp(name, ".init") || !strcmp(name, ".fini"))
		found(im, sh->sh_addr, NULL);
	if (sh->sh_type == SHT_INIT_ARRAY || sh->sh_type == SHT_FINI_ARRAY || sh->sh_type == SHT_PREINIT_ARRAY)
		for (taddr_t a = sh->sh_addr; a + 8 <= sh->sh_addr + sh->sh_size && a >= sh->sh_addr; a += 8) {
			taddr_t v;
			if (!pointer_at(im, a, &v))
				break;   /* past the file: a bogus sh_size, however large, ends here */
			if (v != (taddr_t)-1)
				found(im, v, NULL);
		}
}

/* True if CFA is rsp+8 at a: the return address is on top of the stack, as at a call. */
static bool starts_function(Dwarf_CFI *cfi, taddr_t a)
{
	Dwarf_Frame *frame;
	Dwarf_Op *ops;
	size_t nops;
	bool yes = false;
	if (dwarf_cfi_addrframe(cfi, a, &frame))
		return false;
	if (!dwarf_frame_cfa(frame, &ops, &nops) && nops == 1)
		yes = (ops[0].atom == DW_OP_breg7 && ops[0].number == 8) ||
		      (ops[0].atom == DW_OP_bregx && ops[0].number == 7 && ops[0].number2 == 8);
	free(frame);
	return yes;
}

/* The FDE pointer encoding a CIE announces with 'R' in its augmentation (absptr if none). */
static uint8_t fde_encoding(const Dwarf_CIE *cie)
{
	const char *aug = cie->augmentation;
	const uint8_t *d = cie->augmentation_data;
	size_t i = 0, n = cie->augmentation_data_size;
	if (!aug || aug[0] != 'z' || !d)
		return DW_EH_PE_absptr;
	for (aug++; *aug && i < n; aug++) {
		switch (*aug) {
		case 'R':
			return d[i];
		case 'L':
			i++;
			break;
		case 'P': {
			uint8_t enc = d[i++];
			size_t sz = (enc & 0x07) == DW_EH_PE_udata2 ? 2 : (enc & 0x07) == DW_EH_PE_udata4 ? 4 : 8;
			i += sz;
			break;
		}
		default:
			break;
		}
	}
	return DW_EH_PE_absptr;
}

/* Decodes an FDE's initial location at p (link-time address at). */
static bool read_encoded(uint8_t enc, const uint8_t *p, const uint8_t *end, taddr_t at, taddr_t *val)
{
	int64_t v;
	switch (enc & 0x0f) {
	case DW_EH_PE_absptr:
	case DW_EH_PE_udata8:
	case DW_EH_PE_sdata8:
		if (end - p < 8)
			return false;
		memcpy(&v, p, 8);
		break;
	case DW_EH_PE_sdata4: {
		int32_t s32;
		if (end - p < 4)
			return false;
		memcpy(&s32, p, 4);
		v = s32;
		break;
	}
	case DW_EH_PE_udata4: {
		uint32_t u32;
		if (end - p < 4)
			return false;
		memcpy(&u32, p, 4);
		v = u32;
		break;
	}
	default:
		return false;
	}
	switch (enc & 0x70) {
	case DW_EH_PE_absptr:
		break;
	case DW_EH_PE_pcrel:
		v += (int64_t)at;
		break;
	default:
		return false;
	}
	*val = (taddr_t)v;
	return true;
}

/* Every FDE in .eh_frame whose code starts like a function. */
static void find_fdes(struct image *im)
{
	size_t shstrndx = 0;
	elf_getshdrstrndx(im->e, &shstrndx);
	Dwarf_CFI *cfi = dwarf_getcfi_elf(im->e);
	if (!cfi)
		return;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(im->e, scn));) {
		GElf_Shdr sh;
		const char *name;
		Elf_Data *data;
		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(im->e, shstrndx, sh.sh_name)) ||
		    strcmp(name, ".eh_frame") || !(data = elf_getdata(scn, NULL)) || !data->d_buf)
			continue;
		const unsigned char *ident = (const unsigned char *)elf_getident(im->e, NULL);
		struct { Dwarf_Off off; uint8_t enc; } *cies = NULL;
		size_t ncies = 0, cap = 0;
		Dwarf_Off off = 0, next;
		Dwarf_CFI_Entry entry;
		for (int guard = 0; guard < 10000000 && dwarf_next_cfi(ident, data, true, off, &next, &entry) == 0;
		     guard++, off = next) {
			if (next <= off)
				break;   /* a corrupt length: the same entry again and again */
			if (dwarf_cfi_cie_p(&entry)) {
				xgrow(&cies, &cap, ncies + 1, sizeof(*cies));
				cies[ncies].off = off;
				cies[ncies++].enc = fde_encoding(&entry.cie);
				continue;
			}
			uint8_t enc = DW_EH_PE_absptr;
			/* CIEs come in order of offset: found by bisection, so that a file of
			 * millions of CIEs and FDEs takes no quadratic time. */
			size_t lo = 0, hi = ncies;
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if (cies[mid].off < entry.fde.CIE_pointer)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo < ncies && cies[lo].off == entry.fde.CIE_pointer)
				enc = cies[lo].enc;
			const uint8_t *p = entry.fde.start;
			taddr_t a, at = sh.sh_addr + (taddr_t)(p - (const uint8_t *)data->d_buf);
			/* A cold fragment (foo.cold) starts like a function but is entered by a
			 * conditional jump, never by a call. */
			taddr_t range;
			if (!read_encoded(enc, p, entry.fde.end, at, &a) ||
			    !read_encoded(enc & 0x0f, p + ((enc & 0x0f) == DW_EH_PE_sdata4 ||
							 (enc & 0x0f) == DW_EH_PE_udata4 ? 4 : 8),
					  entry.fde.end, 0, &range))
				continue;
			bool fn = starts_function(cfi, a);
			xgrow(&im->fdes, &im->capfdes, im->nfdes + 1, sizeof(*im->fdes));
			im->fdes[im->nfdes++] = (struct fde){ a, a + range, fn };
			/* Hand-written code can open its FDE on the alignment padding before it. */
			const uint8_t *b = bytes_at(im, a, 16);
			taddr_t real = b ? scan_skip_padding(b, 16, a) : a;
			if (real != a && !(real & 15))
				a = real;
			if (fn &&
			    (!in_sorted(im->jccs, im->njccs, a) || in_sorted(im->calls, im->ncalls, a)))
				found(im, a, NULL);
		}
		free(cies);
		break;
	}
	dwarf_cfi_end(cfi);
}

static int fde_cmp(const void *pa, const void *pb)
{
	const struct fde *a = pa, *b = pb;
	return a->lo < b->lo ? -1 : a->lo > b->lo;
}

/* The FDE whose code holds a strictly after its start, or NULL (fdes sorted). */
static const struct fde *inside_fde(const struct image *im, taddr_t a)
{
	size_t lo = 0, hi = im->nfdes;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (im->fdes[mid].lo <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && im->fdes[lo - 1].lo < a && a < im->fdes[lo - 1].hi ? &im->fdes[lo - 1] : NULL;
}

/* An address taken in code is a function (a pointer an IFUNC resolver returns, a callback) if
 * it is aligned like one and does not fall inside the code of a function's FDE. Inside an FDE
 * that is no function's (glibc's signal trampoline __restore_rt sits one byte into a
 * signal-frame FDE) it still is one. Never inside a decoded instruction: a constant that
 * happens to match (libcurl's mov $0x10900, in the middle of register_tm_clones's
 * sub %rdi,%rsi, which has no FDE) would get a breakpoint that turns the instruction into
 * another (sub %rcx,%rsp). */
static void find_taken(struct image *im)
{
	if (im->nfdes)
		qsort(im->fdes, im->nfdes, sizeof(*im->fdes), fde_cmp);
	if (im->ninsides)
		qsort(im->insides, im->ninsides, sizeof(*im->insides), addr_cmp);
	for (size_t i = 0; i < im->naddrs; i++) {
		taddr_t a = im->addrs[i];
		const struct fde *f = inside_fde(im, a);
		if (!(a & 15) && (!f || !f->fn) && !in_sorted(im->insides, im->ninsides, a))
			found(im, a, NULL);   /* at an FDE start too: a cold fragment's address is never taken */
	}
}

/* Code without call frame information (crtstuff's register_tm_clones) entered by a tail jump:
 * a jump target where nothing falls through, outside every FDE. */
static void find_jumped(struct image *im)
{
	if (im->nbounds)
		qsort(im->bounds, im->nbounds, sizeof(*im->bounds), addr_cmp);
	for (size_t i = 0; i < im->njmps; i++) {
		taddr_t a = im->jmps[i];
		if (in_sorted(im->bounds, im->nbounds, a) && !inside_fde(im, a) && !in_sorted(im->jccs, im->njccs, a))
			found(im, a, NULL);
	}
}

/* Big code is decoded in parts of about this size, cut where a named function starts. The cuts
 * depend on the file only, so the functions found do not depend on the machine. */
#define SCAN_PART (4u << 20)

static void find_branches(struct image *im)
{
	const struct symtab *st = im->st;
	taddr_t *splits = xmalloc((st->nfuncs + 1) * sizeof(*splits));
	for (size_t i = 0; i < st->nxsegs; i++) {
		taddr_t lo = st->xsegs[i].lo, hi = st->xsegs[i].hi;
		const uint8_t *b = bytes_at(im, lo, hi - lo);
		if (!b)
			continue;
		size_t nsplits = 0;
		for (size_t j = symtab_first_from(st, lo); j < st->nfuncs && st->funcs[j].addr < hi; j++)
			if (st->funcs[j].addr >= (nsplits ? splits[nsplits - 1] : lo) + SCAN_PART)
				splits[nsplits++] = st->funcs[j].addr;
		scan_calls_split(b, hi - lo, lo, splits, nsplits, branch_cb, im);
	}
	free(splits);
	if (im->ncalls)
		qsort(im->calls, im->ncalls, sizeof(*im->calls), addr_cmp);
	if (im->njccs)
		qsort(im->jccs, im->njccs, sizeof(*im->jccs), addr_cmp);
}

static void find_main(struct image *im, taddr_t entry, int depth)
{
	const uint8_t *b = NULL;
	size_t len = 128;
	while (len && !(b = bytes_at(im, entry, len)))
		len /= 2;
	taddr_t v;
	if (!b)
		return;
	switch (scan_main_arg(b, len, entry, &v)) {
	case MAIN_FOLLOW:
		if (depth < 1)
			find_main(im, v, depth + 1);
		break;
	case MAIN_ADDR:
		found(im, v, "main");
		break;
	case MAIN_POINTER:
		if (pointer_at(im, v, &v))
			found(im, v, "main");
		break;
	case MAIN_NONE:
		break;
	}
}

/* Go binaries name every function in .gopclntab, stripped or not (Go 1.18 and later layout:
 * a header of pointer-sized offsets, a table of (entry, _func) offsets, names in funcnametab). */
static void find_go(struct image *im)
{
	size_t shstrndx = 0;
	elf_getshdrstrndx(im->e, &shstrndx);
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(im->e, scn));) {
		GElf_Shdr sh;
		const char *name;
		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(im->e, shstrndx, sh.sh_name)) ||
		    strcmp(name, ".gopclntab") || sh.sh_type == SHT_NOBITS || sh.sh_offset > im->rawlen ||
		    sh.sh_size > im->rawlen - sh.sh_offset)
			continue;
		const uint8_t *t = (const uint8_t *)im->raw + sh.sh_offset;
		size_t len = sh.sh_size;
		uint32_t magic;
		if (len < 8 + 8 * 8)
			return;
		memcpy(&magic, t, 4);
		if ((magic != 0xfffffff0 && magic != 0xfffffff1) || t[7] != 8)
			return;
		uint64_t h[8];   /* nfunc, nfiles, textStart, funcname, cu, filetab, pctab, functab */
		memcpy(h, t + 8, sizeof(h));
		uint64_t nfunc = h[0], text = h[2], names = h[3], ftab = h[7];
		if (ftab > len || names > len || nfunc > (len - ftab) / 8)
			return;
		for (uint64_t i = 0; i < nfunc; i++) {
			uint32_t ent[2], fent[2];
			memcpy(ent, t + ftab + i * 8, 8);
			if ((uint64_t)ent[1] + 8 > len - ftab)
				continue;
			memcpy(fent, t + ftab + ent[1], 8);   /* _func: entryOff, nameOff */
			uint64_t at = names + fent[1];
			if (at >= len || !memchr(t + at, 0, len - at))
				continue;
			found(im, text + ent[0], (const char *)t + at);
		}
		return;
	}
}

void discover_functions(Elf *e, const GElf_Ehdr *eh, const struct symtab *st,
			void (*add)(taddr_t addr, const char *name, void *arg), void *arg)
{
	struct image im = { .e = e, .st = st, .add = add, .arg = arg, .absolute = eh->e_type == ET_EXEC };
	im.raw = elf_rawfile(e, &im.rawlen);
	if (!im.raw)
		return;
	read_loads(&im);
	each_section(&im, read_section);
	if (im.nrels)
		qsort(im.rels, im.nrels, sizeof(*im.rels), rel_cmp);
	im.nplt = symtab_join_ranges(im.plt, im.nplt, 0);
	find_go(&im);
	found(&im, eh->e_entry, NULL);
	for (size_t i = 0; i < im.nrels; i++)
		if (im.rels[i].ifunc)
			found(&im, im.rels[i].val, NULL);   /* an IFUNC resolver, run at start-up */
	find_main(&im, eh->e_entry, 0);
	each_section(&im, init_fini_section);
	find_branches(&im);
	for (size_t i = 0; i < im.ncalls; i++)
		if (!i || im.calls[i] != im.calls[i - 1])
			found(&im, im.calls[i], NULL);
	find_fdes(&im);
	find_taken(&im);
	find_jumped(&im);
	find_thunk_targets(&im);
	free(im.jmps);
	free(im.bounds);
	free(im.addrs);
	free(im.insides);
	free(im.fdes);
	free(im.calls);
	free(im.jccs);
	free(im.starts);
	free(im.rels);
	free(im.plt);
	free(im.loads);
}
