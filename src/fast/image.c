/* fast/image: an ELF file's allocated sections and relocated pointers, read with libelf. */
#include "image.h"

#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int sec_cmp(const void *pa, const void *pb)
{
	const struct fast_sec *a = pa, *b = pb;
	return a->addr < b->addr ? -1 : a->addr > b->addr;
}

/* Adds what each dynamic relocation of a RELA section stores, when that is a known address. */
static void take_relocs(struct fast_image *im, Elf *e, Elf_Scn *scn, const GElf_Shdr *sh, size_t *cap)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	if (!d || !sh->sh_entsize)
		return;
	Elf_Data *symd = NULL;
	Elf_Scn *symscn = elf_getscn(e, sh->sh_link);
	if (symscn)
		symd = elf_getdata(symscn, NULL);
	size_t n = sh->sh_size / sh->sh_entsize;
	for (size_t i = 0; i < n; i++) {
		GElf_Rela r;
		if (!gelf_getrela(d, (int)i, &r))
			break;
		taddr_t v;
		switch (GELF_R_TYPE(r.r_info)) {
		case R_X86_64_RELATIVE:
		case R_X86_64_IRELATIVE:
			v = (taddr_t)r.r_addend;
			break;
		case R_X86_64_64:
		case R_X86_64_GLOB_DAT:
		case R_X86_64_JUMP_SLOT: {
			GElf_Sym s;
			if (!symd || !gelf_getsym(symd, (int)GELF_R_SYM(r.r_info), &s) || s.st_shndx == SHN_UNDEF)
				continue;
			v = s.st_value + (taddr_t)r.r_addend;
			break;
		}
		default:
			continue;
		}
		xgrow(&im->relptrs, cap, im->nrelptrs + 1, sizeof(*im->relptrs));
		im->relptrs[im->nrelptrs++] = v;
	}
}

int fast_image_load(const char *path, struct fast_image *im, char *err, size_t errlen)
{
	memset(im, 0, sizeof(*im));
	elf_version(EV_CURRENT);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %m", path);
		return -1;
	}
	Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	size_t shstrndx;
	if (!e || elf_kind(e) != ELF_K_ELF || elf_getshdrstrndx(e, &shstrndx)) {
		snprintf(err, errlen, "%s: not an ELF file with section headers", path);
		if (e)
			elf_end(e);
		close(fd);
		return -1;
	}
	size_t cap = 0, relcap = 0;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_RELA && (sh.sh_flags & SHF_ALLOC))
			take_relocs(im, e, scn, &sh, &relcap);
		if (!(sh.sh_flags & SHF_ALLOC) || !sh.sh_size || sh.sh_addr + sh.sh_size < sh.sh_addr)
			continue;
		struct fast_sec s = { .addr = sh.sh_addr, .size = sh.sh_size,
				      .exec = (sh.sh_flags & SHF_EXECINSTR) != 0 };
		const char *name = elf_strptr(e, shstrndx, sh.sh_name);
		s.name = xstrdup(name ? name : "");
		if (sh.sh_type != SHT_NOBITS) {
			Elf_Data *d = elf_getdata(scn, NULL);
			if (!d || !d->d_buf || d->d_size != sh.sh_size) {
				free(s.name);
				continue;
			}
			s.bytes = xmalloc(s.size);
			memcpy(s.bytes, d->d_buf, s.size);
		}
		xgrow(&im->secs, &cap, im->nsecs + 1, sizeof(*im->secs));
		im->secs[im->nsecs++] = s;
	}
	elf_end(e);
	close(fd);
	if (im->nsecs)
		qsort(im->secs, im->nsecs, sizeof(*im->secs), sec_cmp);
	return 0;
}

void fast_image_free(struct fast_image *im)
{
	for (size_t i = 0; i < im->nsecs; i++) {
		free(im->secs[i].bytes);
		free(im->secs[i].name);
	}
	free(im->secs);
	free(im->relptrs);
	memset(im, 0, sizeof(*im));
}

const struct fast_sec *fast_image_sec(const struct fast_image *im, taddr_t addr)
{
	size_t lo = 0, hi = im->nsecs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (im->secs[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	const struct fast_sec *s = &im->secs[lo - 1];
	return addr - s->addr < s->size ? s : NULL;
}

const uint8_t *fast_image_bytes(const struct fast_image *im, taddr_t addr, size_t len)
{
	const struct fast_sec *s = fast_image_sec(im, addr);
	if (!s || !s->bytes || len > s->size - (addr - s->addr))
		return NULL;
	return s->bytes + (addr - s->addr);
}

const struct fast_sec *fast_image_named(const struct fast_image *im, const char *name)
{
	for (size_t i = 0; i < im->nsecs; i++)
		if (!strcmp(im->secs[i].name, name))
			return &im->secs[i];
	return NULL;
}

bool fast_image_in_code(const struct fast_image *im, taddr_t addr)
{
	const struct fast_sec *s = fast_image_sec(im, addr);
	return s && s->exec;
}
