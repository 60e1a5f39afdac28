/* test_scan: a scan cut in parts and decoded in parallel reports what one scan reports, in the
 * same order: on a real program's code cut at its functions, and on the edge cases of a cut
 * (padding across a cut, an undecodable byte just after one). */
#include <gelf.h>
#include <fcntl.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "arch/x86_64/scan.h"

#ifndef UNIT_FIXTURES
#error "UNIT_FIXTURES must name the directory of the fixture programs"
#endif

struct refs {
	taddr_t *target;
	enum code_ref *ref;
	size_t n, cap;
};

static void record(taddr_t target, enum code_ref ref, void *arg)
{
	struct refs *r = arg;
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 1024;
		r->target = realloc(r->target, r->cap * sizeof(*r->target));
		r->ref = realloc(r->ref, r->cap * sizeof(*r->ref));
		assert_non_null(r->target);
		assert_non_null(r->ref);
	}
	r->target[r->n] = target;
	r->ref[r->n++] = ref;
}

static void assert_same_scan(const uint8_t *code, size_t len, taddr_t vaddr, const taddr_t *splits, size_t n)
{
	struct refs one = { 0 }, parts = { 0 };
	scan_calls(code, len, vaddr, record, &one);
	scan_calls_split(code, len, vaddr, splits, n, record, &parts);
	assert_int_equal(parts.n, one.n);
	for (size_t i = 0; i < one.n; i++) {
		assert_int_equal(parts.target[i], one.target[i]);
		assert_int_equal(parts.ref[i], one.ref[i]);
	}
	free(one.target);
	free(one.ref);
	free(parts.target);
	free(parts.ref);
}

static int addr_cmp(const void *a, const void *b)
{
	taddr_t x = *(const taddr_t *)a, y = *(const taddr_t *)b;
	return x < y ? -1 : x > y;
}

/* The static fixture's .text, cut at its functions every `every` bytes. */
static void test_program_cut_at_functions(void **state)
{
	(void)state;
	const char *path = UNIT_FIXTURES "/funcs-O2-static";
	elf_version(EV_CURRENT);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(e);
	size_t shstrndx;
	assert_int_equal(elf_getshdrstrndx(e, &shstrndx), 0);
	GElf_Shdr text = { 0 };
	const uint8_t *code = NULL;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		gelf_getshdr(scn, &sh);
		if (!strcmp(elf_strptr(e, shstrndx, sh.sh_name), ".text")) {
			text = sh;
			code = elf_getdata(scn, NULL)->d_buf;
		}
	}
	assert_non_null(code);
	assert_true(text.sh_size > 100000);

	/* Function starts, sorted, from the nm listing built with the fixture. */
	FILE *nm = fopen(UNIT_FIXTURES "/funcs-O2-static.nm", "r");
	assert_non_null(nm);
	taddr_t *funcs = malloc(100000 * sizeof(*funcs));
	size_t nfuncs = 0;
	unsigned long addr;
	char type, name[512];
	while (nfuncs < 100000 && fscanf(nm, "%lx %c %511s", &addr, &type, name) == 3)
		if ((type == 'T' || type == 't') && addr > text.sh_addr && addr < text.sh_addr + text.sh_size)
			funcs[nfuncs++] = addr;
	fclose(nm);
	assert_true(nfuncs > 100);
	qsort(funcs, nfuncs, sizeof(*funcs), addr_cmp);

	static const size_t every[] = { 1, 4096, 65536, 1 << 20 };
	taddr_t *splits = malloc(nfuncs * sizeof(*splits));
	for (size_t k = 0; k < sizeof(every) / sizeof(every[0]); k++) {
		size_t n = 0;
		for (size_t i = 0; i < nfuncs; i++)
			if (funcs[i] >= (n ? splits[n - 1] : text.sh_addr) + every[k])
				splits[n++] = funcs[i];
		assert_same_scan(code, text.sh_size, text.sh_addr, splits, n);
	}
	free(splits);
	free(funcs);
	elf_end(e);
	close(fd);
}

/* ret, then padding across two cuts, then a call at an aligned address: a boundary there, as in
 * one scan; with an undecodable byte in the padding, none. Cuts out of range are ignored. */
static void test_cut_edges(void **state)
{
	(void)state;
	uint8_t code[64];
	memset(code, 0x90, sizeof(code));
	code[0] = 0xc3;                                    /* ret */
	code[32] = 0xe8;                                   /* call .+5 */
	memset(code + 33, 0, 4);
	const taddr_t at = 0x401000;
	static const taddr_t cuts[][3] = {
		{ at + 8, at + 16, at + 32 }, { at + 8, at + 9, at + 10 }, { at + 1, at + 31, at + 32 },
		{ at, at + 64, at + 100 },
	};
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		assert_same_scan(code, sizeof(code), at, cuts[i], 3);
		code[12] = 0x06;                           /* undecodable in 64-bit mode */
		assert_same_scan(code, sizeof(code), at, cuts[i], 3);
		code[12] = 0x90;
	}
	struct refs r = { 0 };
	scan_calls_split(code, sizeof(code), at, cuts[0], 3, record, &r);
	assert_true(r.n >= 2);
	assert_int_equal(r.target[0], at);                 /* the ret: nothing before it */
	assert_int_equal(r.ref[0], REF_BOUNDARY);
	assert_int_equal(r.target[1], at + 32);            /* the call, after ret and padding */
	assert_int_equal(r.ref[1], REF_BOUNDARY);
	free(r.target);
	free(r.ref);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_program_cut_at_functions),
		cmocka_unit_test(test_cut_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
