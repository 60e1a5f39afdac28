/* test_symtab: functions, aliases and errors of symtab_load, on fixtures built with the tests. */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "elf/symtab.h"

#ifndef UNIT_FIXTURES
#error "UNIT_FIXTURES must name the directory of the fixture programs"
#endif

static const char *const fixtures[] = { "funcs-O0-nopie", "funcs-O2-pie", "funcs-O2-static" };

/* One line of the fixture's nm listing. */
struct nmsym {
	uint64_t addr;
	char type;
	char name[256];
};

struct nmlist {
	struct nmsym *v;
	size_t n;
};

static char tmpdir[64];

/* ---- helpers ---- */

static void fixture_path(char *buf, size_t len, const char *name, const char *ext)
{
	snprintf(buf, len, "%s/%s%s", UNIT_FIXTURES, name, ext);
}

static void nm_load(const char *name, struct nmlist *l)
{
	char path[512], line[512];
	fixture_path(path, sizeof(path), name, ".nm");
	FILE *fp = fopen(path, "r");
	if (!fp)
		fail_msg("%s: %s (build the fixtures with make check-unit)", path, strerror(errno));
	size_t cap = 0;
	l->v = NULL;
	l->n = 0;
	while (fgets(line, sizeof(line), fp)) {
		struct nmsym s;
		unsigned long long a;
		if (sscanf(line, "%llx %c %255s", &a, &s.type, s.name) != 3)
			continue;
		s.addr = a;
		if (l->n == cap) {
			cap = cap ? cap * 2 : 256;
			l->v = realloc(l->v, cap * sizeof(*l->v));
			assert_non_null(l->v);
		}
		l->v[l->n++] = s;
	}
	fclose(fp);
	assert_true(l->n > 0);
}

static const struct nmsym *nm_find(const struct nmlist *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].name, name))
			return &l->v[i];
	return NULL;
}

/* Static names can repeat (one per object file): is any of them at addr? */
static bool nm_has(const struct nmlist *l, const char *name, uint64_t addr)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].addr == addr && !strcmp(l->v[i].name, name))
			return true;
	return false;
}

static const struct func *find_name(const struct symtab *st, const char *name)
{
	for (size_t i = 0; i < st->nfuncs; i++)
		if (!strcmp(st->funcs[i].name, name))
			return &st->funcs[i];
	return NULL;
}

static void load_fixture(const char *name, struct symtab *st)
{
	char path[512], err[512] = "";
	fixture_path(path, sizeof(path), name, "");
	if (symtab_load(path, st, err, sizeof(err)))
		fail_msg("symtab_load(%s): %s", path, err);
}

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* Reads a whole file into a malloc'ed buffer. */
static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	long n = ftell(fp);
	assert_true(n > 0);
	rewind(fp);
	uint8_t *buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

/* Loads path, which must fail with a message containing want (and the path). */
static void expect_error(const char *path, const char *want)
{
	struct symtab st;
	char err[512] = "";
	assert_int_equal(symtab_load(path, &st, err, sizeof(err)), -1);
	if (!strstr(err, want) || strncmp(err, path, strlen(path)))
		fail_msg("symtab_load(%s): \"%s\", want \"%s\"", path, err, want);
	assert_null(st.funcs);
	assert_null(st.xsegs);
	assert_null(st.path);
	assert_int_equal(st.nfuncs, 0);
}

static void tmp_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

static uint64_t rng_state;

static uint64_t rng(void)
{
	return unit_rng(&rng_state);
}

/* What every successful load must satisfy, whatever the input. */
static void check_invariants(const struct symtab *st)
{
	for (size_t i = 0; i < st->nfuncs; i++) {
		const struct func *f = &st->funcs[i];
		assert_non_null(f->name);
		assert_true(f->name[0] != 0);
		assert_null(strstr(f->name, ".cold"));
		assert_true(symtab_in_text(st, f->addr, 1));
		if (i)
			assert_true(st->funcs[i - 1].addr < f->addr);   /* sorted, one per address */
		assert_ptr_equal(symtab_at(st, f->addr), f);
	}
	for (size_t i = 0; i < st->nxsegs; i++)
		assert_true(st->xsegs[i].lo < st->xsegs[i].hi);
}

/* ---- loading the fixtures ---- */

static void check_fixture(const char *name)
{
	struct symtab st;
	struct nmlist nm;
	load_fixture(name, &st);
	nm_load(name, &nm);
	check_invariants(&st);

	assert_true(st.nxsegs >= 1);
	assert_true(symtab_in_text(&st, st.entry, 1));
	assert_int_equal(st.pie, strstr(name, "-pie") != NULL);
	assert_int_equal(st.interp, strstr(name, "-static") == NULL);
	assert_non_null(strstr(st.path, name));

	/* The fixture's own functions, at nm's addresses, each with its preferred name. */
	static const char *const own[] = { "main", "func1", "func2", "visible_name", "global_fn", "_only_under",
					   "hot_with_cold", "report" };
	for (size_t i = 0; i < ARRAY_SIZE(own); i++) {
		const struct nmsym *s = nm_find(&nm, own[i]);
		if (!s)
			fail_msg("%s: nm does not list %s", name, own[i]);
		const struct func *f = symtab_at(&st, s->addr);
		if (!f || strcmp(f->name, own[i]))
			fail_msg("%s: at %#" PRIx64 " (%s): %s", name, s->addr, own[i], f ? f->name : "nothing");
		assert_ptr_equal(find_name(&st, own[i]), f);
	}
	assert_true(find_name(&st, "func1")->size > 0);

	/* Aliases are merged into the entry above, whose size they share. */
	static const char *const aliases[] = { "__hidden_alias", "weak_name", "_under_global", "aaa_local",
					       "__only_under" };
	for (size_t i = 0; i < ARRAY_SIZE(aliases); i++) {
		assert_non_null(nm_find(&nm, aliases[i]));
		if (find_name(&st, aliases[i]))
			fail_msg("%s: alias %s listed on its own", name, aliases[i]);
	}
	assert_int_equal(nm_find(&nm, "__hidden_alias")->addr, find_name(&st, "visible_name")->addr);

	/* .cold fragments exist in the binary but are not functions. */
	size_t ncold = 0;
	for (size_t i = 0; i < nm.n; i++) {
		if (!strstr(nm.v[i].name, ".cold"))
			continue;
		ncold++;
		const struct func *f = symtab_at(&st, nm.v[i].addr);
		if (f && strstr(f->name, ".cold"))
			fail_msg("%s: %s listed", name, nm.v[i].name);
	}
	assert_true(ncold >= 1);   /* asm_frag.cold at least */

	/* Every function listed is a symbol nm lists at that address. */
	for (size_t i = 0; i < st.nfuncs; i++)
		if (!nm_has(&nm, st.funcs[i].name, st.funcs[i].addr))
			fail_msg("%s: %s at %#" PRIx64 " is not in nm's list", name, st.funcs[i].name,
				 st.funcs[i].addr);
	free(nm.v);
	symtab_free(&st);
	assert_int_equal(st.nfuncs, 0);
	assert_null(st.funcs);
	symtab_free(&st);   /* a freed symtab can be freed again */
}

static void test_fixtures(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++)
		check_fixture(fixtures[i]);
}

/* gcc -O2 splits hot_with_cold: the fragment must not become a function of its own. */
static void test_cold_split(void **state)
{
	struct nmlist nm;
	struct symtab st;
	nm_load("funcs-O2-pie", &nm);
	const struct nmsym *cold = nm_find(&nm, "hot_with_cold.cold");
	if (!cold) {
		free(nm.v);
		skip();   /* the compiler did not split it */
	}
	load_fixture("funcs-O2-pie", &st);
	assert_null(symtab_at(&st, cold->addr));
	assert_null(find_name(&st, "hot_with_cold.cold"));
	assert_non_null(find_name(&st, "hot_with_cold"));
	free(nm.v);
	symtab_free(&st);
}

/* glibc, statically linked, has many names per function: malloc is also __libc_malloc. */
static void test_static_libc_aliases(void **state)
{
	struct nmlist nm;
	struct symtab st;
	nm_load("funcs-O2-static", &nm);
	load_fixture("funcs-O2-static", &st);
	assert_true(st.nfuncs > 500);
	const struct nmsym *m = nm_find(&nm, "malloc"), *lm = nm_find(&nm, "__libc_malloc");
	assert_non_null(m);
	if (lm)
		assert_int_equal(lm->addr, m->addr);
	const struct func *f = symtab_at(&st, m->addr);
	assert_non_null(f);
	assert_string_equal(f->name, "malloc");
	free(nm.v);
	symtab_free(&st);
}

/* ---- errors ---- */

static void test_not_elf(void **state)
{
	char path[128];
	tmp_path(path, sizeof(path), "text");
	write_file(path, "hello, world\n", 13);
	expect_error(path, "not an ELF file");
	tmp_path(path, sizeof(path), "empty");
	write_file(path, "", 0);
	expect_error(path, "not an ELF file");
	tmp_path(path, sizeof(path), "archive");
	write_file(path, "!<arch>\n", 8);
	expect_error(path, "not an ELF file");
	tmp_path(path, sizeof(path), "magic-only");
	write_file(path, ELFMAG, SELFMAG);
	expect_error(path, "not an ELF file");
}

static void test_elf32(void **state)
{
	Elf32_Ehdr eh;
	memset(&eh, 0, sizeof(eh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS32;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_386;
	eh.e_version = EV_CURRENT;
	eh.e_entry = 0x8048000;
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf32_Phdr);
	eh.e_shentsize = sizeof(Elf32_Shdr);
	char path[128];
	tmp_path(path, sizeof(path), "elf32");
	write_file(path, &eh, sizeof(eh));
	expect_error(path, "32-bit");
	expect_error(path, "i386");

	eh.e_machine = EM_ARM;
	write_file(path, &eh, sizeof(eh));
	expect_error(path, "32-bit ELF for ARM");
}

/* Copies fixture name to the temp dir with the 16-bit field at off set to v. */
static void patched_copy(const char *name, size_t off, uint16_t v, char *path, size_t pathlen)
{
	char src[512];
	size_t len;
	fixture_path(src, sizeof(src), name, "");
	uint8_t *buf = read_file(src, &len);
	memcpy(buf + off, &v, 2);
	tmp_path(path, pathlen, "patched");
	write_file(path, buf, len);
	free(buf);
}

static void test_other_machine(void **state)
{
	char path[128];
	patched_copy("funcs-O0-nopie", offsetof(Elf64_Ehdr, e_machine), EM_AARCH64, path, sizeof(path));
	expect_error(path, "another architecture");
	expect_error(path, "AArch64");
	patched_copy("funcs-O0-nopie", offsetof(Elf64_Ehdr, e_machine), 0x1234, path, sizeof(path));
	expect_error(path, "another architecture (machine 4660)");
}

static void test_not_executable(void **state)
{
	char path[128];
	patched_copy("funcs-O2-pie", offsetof(Elf64_Ehdr, e_type), ET_REL, path, sizeof(path));
	expect_error(path, "not an executable ELF file");
	patched_copy("funcs-O2-pie", offsetof(Elf64_Ehdr, e_type), ET_CORE, path, sizeof(path));
	expect_error(path, "not an executable ELF file");
}

static void test_missing(void **state)
{
	char path[128];
	tmp_path(path, sizeof(path), "does-not-exist");
	expect_error(path, strerror(ENOENT));
	expect_error(tmpdir, "");   /* a directory: any message, no crash */
}

/* Loads buf as a file: it may fail, but it must not crash, and what it returns must hold. */
static void load_garbage(const uint8_t *buf, size_t len)
{
	char path[128], err[256];
	struct symtab st;
	tmp_path(path, sizeof(path), "garbage");
	write_file(path, buf, len);
	err[0] = 0;
	if (symtab_load(path, &st, err, sizeof(err)) == 0) {
		check_invariants(&st);
		symtab_free(&st);
	} else {
		assert_true(err[0] != 0);
		assert_null(st.funcs);
	}
}

static void test_garbage_after_magic(void **state)
{
	static const size_t sizes[] = { 5, 16, 52, 63, 64, 65, 200, 4096, 65536 };
	uint8_t *buf = malloc(65536);
	assert_non_null(buf);
	for (uint64_t seed = 1; seed <= 8; seed++) {
		rng_state = seed * 0x9e3779b97f4a7c15ull;
		for (size_t k = 0; k < ARRAY_SIZE(sizes); k++) {
			for (size_t i = 0; i < sizes[k]; i++)
				buf[i] = (uint8_t)rng();
			memcpy(buf, ELFMAG, SELFMAG);
			load_garbage(buf, sizes[k]);
			/* The same with a plausible x86-64 header, to get past the first checks. */
			if (sizes[k] >= EI_NIDENT + 4) {
				buf[EI_CLASS] = ELFCLASS64;
				buf[EI_DATA] = ELFDATA2LSB;
				buf[EI_VERSION] = EV_CURRENT;
				buf[16] = (uint8_t)(seed & 1 ? ET_EXEC : ET_DYN);
				buf[17] = 0;
				buf[18] = EM_X86_64;
				buf[19] = 0;
				load_garbage(buf, sizes[k]);
			}
		}
	}
	free(buf);
}

/* A real binary, truncated, or with bytes overwritten in its headers and tables. */
static void test_damaged_binary(void **state)
{
	char src[512];
	size_t len;
	fixture_path(src, sizeof(src), "funcs-O2-pie", "");
	uint8_t *orig = read_file(src, &len), *buf = malloc(len);
	assert_non_null(buf);
	Elf64_Ehdr eh;
	memcpy(&eh, orig, sizeof(eh));

	static const size_t cuts[] = { 64, 100, 1000, 4096, 8192 };
	for (size_t k = 0; k < ARRAY_SIZE(cuts); k++)
		if (cuts[k] < len)
			load_garbage(orig, cuts[k]);
	load_garbage(orig, eh.e_shoff + 10);     /* section headers cut short */
	load_garbage(orig, len - 1);

	for (uint64_t seed = 1; seed <= 200; seed++) {
		rng_state = seed * 0xd1b54a32d192ed03ull;
		memcpy(buf, orig, len);
		int nflips = 1 + (int)(rng() % 16);
		for (int i = 0; i < nflips; i++) {
			size_t at;
			switch (rng() % 3) {
			case 0:  at = rng() % sizeof(Elf64_Ehdr); break;
			case 1:  at = eh.e_shoff + rng() % ((size_t)eh.e_shnum * eh.e_shentsize); break;
			default: at = rng() % len; break;
			}
			if (at < SELFMAG || at >= len)
				continue;
			buf[at] = (uint8_t)rng();
		}
		load_garbage(buf, len);
	}
	free(buf);
	free(orig);
}

/* The header of the section called name in buf, an ELF file, or NULL. */
static Elf64_Shdr *section(uint8_t *buf, const char *name)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	Elf64_Shdr *sh = (Elf64_Shdr *)(buf + eh->e_shoff);
	const char *strs = (const char *)buf + sh[eh->e_shstrndx].sh_offset;
	for (int i = 0; i < eh->e_shnum; i++)
		if (!strcmp(strs + sh[i].sh_name, name))
			return &sh[i];
	fail_msg("no section %s", name);
	return NULL;
}

/* Loads buf, a damaged stripped binary, and finds its functions: that must end, without a crash,
 * and what it returns must hold. */
static void discover_damaged(const uint8_t *buf, size_t len)
{
	char path[128], err[256];
	struct symtab st;
	tmp_path(path, sizeof(path), "damaged");
	write_file(path, buf, len);
	assert_int_equal(symtab_load(path, &st, err, sizeof(err)), 0);
	symtab_discover(&st);
	check_invariants(&st);
	symtab_free(&st);
}

/* Sizes and offsets that reach past the file, or wrap around: discovery reads nothing outside
 * the file (the sanitized build checks it) and ends. */
static void test_discover_damaged(void **state)
{
	char src[512];
	size_t len;
	fixture_path(src, sizeof(src), "funcs-O2-pie", ".stripped");
	uint8_t *orig = read_file(src, &len), *buf = malloc(len);
	assert_non_null(buf);
	alarm(60);   /* a loop over a bogus size fails the test rather than hang it */

	/* An init array of 2^60 bytes: its pointers end with the file. */
	memcpy(buf, orig, len);
	section(buf, ".init_array")->sh_size = 1ull << 60;
	discover_damaged(buf, len);

	/* The code segment at file offset 2^64 - 256: the offset of an address in it wraps around. */
	memcpy(buf, orig, len);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	Elf64_Phdr *ph = (Elf64_Phdr *)(buf + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X))
			ph[i].p_offset = -(uint64_t)256;
	discover_damaged(buf, len);

	/* A Go function table (a note renamed .gopclntab, a header over .text) whose offset + size
	 * wraps around to 16 bytes, and whose function table is 1 GiB away. */
	memcpy(buf, orig, len);
	Elf64_Shdr *go = section(buf, ".note.gnu.build-id"), *text = section(buf, ".text");
	Elf64_Shdr *shstr = (Elf64_Shdr *)(buf + eh->e_shoff) + eh->e_shstrndx;
	strcpy((char *)buf + shstr->sh_offset + go->sh_name, ".gopclntab");
	go->sh_offset = text->sh_offset;
	go->sh_size = -go->sh_offset + 16;
	uint8_t *t = buf + go->sh_offset;
	uint64_t h[8] = { 1, 0, 0, 0, 0, 0, 0, 1ull << 30 };   /* nfunc, ..., functab */
	memcpy(t, "\xf1\xff\xff\xff\0\0\1\x08", 8);
	memcpy(t + 8, h, sizeof(h));
	discover_damaged(buf, len);

	alarm(0);
	free(buf);
	free(orig);
}

/* ---- the ranking of names and the lookups ---- */

/* Without .symtab, discovery finds the functions the unstripped build names: each found address
 * is a function start there, main is named, the rest sub_<hex>; the .cold fragment is not one. */
static void test_discover_stripped(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++) {
		char path[512], err[256];
		struct nmlist nm;
		struct symtab st;
		nm_load(fixtures[i], &nm);
		fixture_path(path, sizeof(path), fixtures[i], ".stripped");
		assert_int_equal(symtab_load(path, &st, err, sizeof(err)), 0);
		assert_true(st.stripped);
		size_t found = symtab_discover(&st);
		assert_true(found > 0);
		assert_int_equal(symtab_discover(&st), 0);   /* a second call adds nothing */
		bool main_seen = false, func1_seen = false;
		for (size_t j = 0; j < st.nfuncs; j++) {
			const struct func *f = &st.funcs[j];
			bool is_fn = false, is_cold = false;
			for (size_t k = 0; k < nm.n; k++)
				if (nm.v[k].addr == f->addr && strchr("TtWi", nm.v[k].type)) {
					is_fn = true;
					/* The fixture's own fragment, entered by a conditional jump. (A cold
					 * fragment entered by an unconditional jump, as some in static libgcc,
					 * looks like a tail-called function and is taken for one.) */
					is_cold |= !strncmp(nm.v[k].name, "hot_with_cold.cold", 18);
					func1_seen |= !strcmp(nm.v[k].name, "func1");
				}
			assert_true(is_fn || !strcmp(f->name, "main"));
			assert_false(is_cold);
			if (!strcmp(f->name, "main"))
				main_seen = true;
			else if (!f->exported) {
				char want[32];
				snprintf(want, sizeof(want), "sub_%" PRIx64, f->addr);
				assert_string_equal(f->name, want);
			}
		}
		assert_true(main_seen);
		assert_true(func1_seen);
		symtab_free(&st);
		free(nm.v);
	}
}

static void test_alias_cmp(void **state)
{
	/* No underscore beats binding; then global, weak, local; then fewer underscores; shorter; strcmp. */
	assert_true(symtab_alias_cmp("foo", STB_GLOBAL, "_foo", STB_GLOBAL) < 0);
	assert_true(symtab_alias_cmp("foo", STB_LOCAL, "__foo", STB_GLOBAL) < 0);
	assert_true(symtab_alias_cmp("zzz", STB_GLOBAL, "aaa", STB_LOCAL) < 0);
	assert_true(symtab_alias_cmp("zzz", STB_GLOBAL, "aaa", STB_WEAK) < 0);
	assert_true(symtab_alias_cmp("zzz", STB_WEAK, "aaa", STB_LOCAL) < 0);
	assert_true(symtab_alias_cmp("_zzz", STB_GLOBAL, "_aaa", STB_LOCAL) < 0);
	assert_true(symtab_alias_cmp("__a", STB_GLOBAL, "_a", STB_WEAK) < 0);
	assert_true(symtab_alias_cmp("_a", STB_GLOBAL, "__a", STB_GLOBAL) < 0);
	assert_true(symtab_alias_cmp("memcpy", STB_GLOBAL, "memcpy_impl", STB_GLOBAL) < 0);
	assert_true(symtab_alias_cmp("abc", STB_GLOBAL, "abd", STB_GLOBAL) < 0);
	assert_true(symtab_alias_cmp("malloc", STB_GLOBAL, "__libc_malloc", STB_GLOBAL) < 0);
	assert_int_equal(symtab_alias_cmp("same", STB_GLOBAL, "same", STB_GLOBAL), 0);
	assert_true(symtab_alias_cmp("same", STB_GLOBAL, "same", STB_LOCAL) < 0);
	assert_true(symtab_alias_cmp("same", STB_GNU_UNIQUE, "same", STB_LOCAL) == 0);   /* both "other" */

	/* A total order, as qsort needs: antisymmetric and transitive over a mixed set. */
	static const char *const names[] = { "a", "b", "ab", "_a", "__a", "_b", "___x", "main", "_start",
					     "x.isra.0", "" };
	static const int binds[] = { STB_GLOBAL, STB_WEAK, STB_LOCAL };
	enum { NN = ARRAY_SIZE(names), NB = ARRAY_SIZE(binds), N = NN * NB };
#define SIGN(x) (((x) > 0) - ((x) < 0))
#define CMP(i, j) SIGN(symtab_alias_cmp(names[(i) / NB], binds[(i) % NB], names[(j) / NB], binds[(j) % NB]))
	for (int i = 0; i < N; i++) {
		assert_int_equal(CMP(i, i), 0);
		for (int j = 0; j < N; j++) {
			assert_int_equal(CMP(i, j), -CMP(j, i));
			for (int k = 0; k < N; k++)
				if (CMP(i, j) <= 0 && CMP(j, k) <= 0)
					assert_true(CMP(i, k) <= 0);
		}
	}
#undef CMP
#undef SIGN
}

static void test_lookup(void **state)
{
	struct func funcs[] = { { 0x1000, 16, "a", false }, { 0x1010, 16, "b", false }, { 0x1020, 0, "c", false },
				{ 0x5000, 8, "d", false } };
	struct range xsegs[] = { { 0x1000, 0x2000 }, { 0x5000, 0x5100 } };
	struct symtab st = { .funcs = funcs, .nfuncs = ARRAY_SIZE(funcs), .xsegs = xsegs, .nxsegs = 2 };

	for (size_t i = 0; i < ARRAY_SIZE(funcs); i++)
		assert_ptr_equal(symtab_at(&st, funcs[i].addr), &funcs[i]);
	assert_null(symtab_at(&st, 0x1011));
	assert_null(symtab_at(&st, 0xfff));
	assert_null(symtab_at(&st, 0x1021));
	assert_null(symtab_at(&st, 0x5001));
	assert_null(symtab_at(&st, 0));
	assert_null(symtab_at(&st, ~0ull));
	struct symtab empty = { 0 };
	assert_null(symtab_at(&empty, 0x1000));
	assert_false(symtab_in_text(&empty, 0x1000, 1));

	assert_true(symtab_in_text(&st, 0x1000, 1));
	assert_true(symtab_in_text(&st, 0x1fff, 1));
	assert_true(symtab_in_text(&st, 0x1ff0, 0x10));
	assert_true(symtab_in_text(&st, 0x1000, 0x1000));
	assert_false(symtab_in_text(&st, 0x1fff, 2));        /* runs past the end */
	assert_false(symtab_in_text(&st, 0x2000, 1));
	assert_false(symtab_in_text(&st, 0xfff, 2));         /* starts before */
	assert_false(symtab_in_text(&st, 0x1ff0, 0x3020));   /* spans two segments and the gap */
	assert_true(symtab_in_text(&st, 0x50ff, 1));
	assert_false(symtab_in_text(&st, 0x5100, 1));
	assert_false(symtab_in_text(&st, ~0ull, 2));          /* wraps around */
}

static void test_ranges(void **state)
{
	/* Joined: in order, overlapping and touching ranges merged, those within gap too. */
	struct range r[] = { { 0x500, 0x600 }, { 0x100, 0x200 }, { 0x150, 0x180 }, { 0x200, 0x210 },
			     { 0x300, 0x310 }, { 0x5f0, 0x700 }, { 0x800, 0x810 } };
	size_t n = symtab_join_ranges(r, ARRAY_SIZE(r), 0);
	assert_int_equal(n, 4);
	assert_true(r[0].lo == 0x100 && r[0].hi == 0x210);
	assert_true(r[1].lo == 0x300 && r[1].hi == 0x310);
	assert_true(r[2].lo == 0x500 && r[2].hi == 0x700);
	assert_true(r[3].lo == 0x800 && r[3].hi == 0x810);
	assert_int_equal(symtab_join_ranges(r, n, 0x100), 2);   /* 0x210..0x300 and 0x700..0x800 */
	assert_true(r[0].lo == 0x100 && r[0].hi == 0x310 && r[1].lo == 0x500 && r[1].hi == 0x810);
	struct range top[] = { { ~0ull - 0x10, ~0ull }, { 0, 0x10 } };
	assert_int_equal(symtab_join_ranges(top, 2, ~0ull), 1);   /* a gap as wide as the address space: no sum overflows */
	assert_int_equal(symtab_join_ranges(NULL, 0, 0), 0);

	/* Many segments and functions: bisection gives what a walk of every one gives. */
	enum { NSEG = 2000, NFN = 6000 };
	struct range *segs = calloc(NSEG, sizeof(*segs));
	struct func *fns = calloc(NFN, sizeof(*fns));
	assert_non_null(segs);
	assert_non_null(fns);
	for (size_t i = 0; i < NSEG; i++)
		segs[i] = (struct range){ 0x10000 + i * 0x400, 0x10000 + i * 0x400 + 0x10 + i % 7 };
	for (size_t i = 0; i < NFN; i++)
		fns[i] = (struct func){ 0x10000 + i * 0x155, 0, "f", false };
	struct symtab st = { .funcs = fns, .nfuncs = NFN, .xsegs = segs, .nxsegs = NSEG };
	for (taddr_t a = 0xff00; a < 0x10000 + NSEG * 0x400 + 0x100; a += 3) {
		bool in = false;
		for (size_t i = 0; i < NSEG; i++)
			in |= a >= segs[i].lo && a + 2 <= segs[i].hi;
		assert_int_equal(symtab_in_text(&st, a, 2), in);
		size_t first = 0;
		while (first < NFN && fns[first].addr < a)
			first++;
		assert_int_equal(symtab_first_from(&st, a), first);
	}
	free(segs);
	free(fns);
}

/* A file of 66,000 executable sections, one function in each: past 65,279 sections, a symbol's
 * section number is in SHT_SYMTAB_SHNDX (st_shndx is SHN_XINDEX, and section 0xffff is data). */
static void test_extended_section_numbers(void **state)
{
	char path[512], err[256];
	fixture_path(path, sizeof(path), "manysections", "");
	struct symtab st;
	assert_int_equal(symtab_load(path, &st, err, sizeof(err)), 0);
	assert_int_equal(st.nfuncs, 66000);
	assert_int_equal(st.nxsegs, 66000);
	for (size_t i = 0; i < st.nfuncs; i += 997) {
		char name[32];
		snprintf(name, sizeof(name), "f%zu", i);
		assert_int_equal(st.funcs[i].addr, 0x401000 + i * 512);
		assert_string_equal(st.funcs[i].name, name);
		assert_true(symtab_in_text(&st, st.funcs[i].addr, 16));
		assert_false(symtab_in_text(&st, st.funcs[i].addr + 16, 1));
	}
	symtab_free(&st);
}

/* ---- setup ---- */

static int make_tmpdir(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_symtab.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	static const char *const files[] = { "text", "empty", "archive", "magic-only", "elf32", "patched",
					     "garbage", "damaged" };
	char path[128];
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		tmp_path(path, sizeof(path), files[i]);
		unlink(path);
	}
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_cold_split),
		cmocka_unit_test(test_static_libc_aliases),
		cmocka_unit_test(test_not_elf),
		cmocka_unit_test(test_elf32),
		cmocka_unit_test(test_other_machine),
		cmocka_unit_test(test_not_executable),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_garbage_after_magic),
		cmocka_unit_test(test_damaged_binary),
		cmocka_unit_test(test_discover_stripped),
		cmocka_unit_test(test_discover_damaged),
		cmocka_unit_test(test_alias_cmp),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_extended_section_numbers),
	};
	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
