/* test_fast_mapcache: the disk cache of maps and discovered functions: a map read back equals
 * the one built, damaged, truncated or foreign entries are refused, keys change with what the
 * map depends on, and the directory is kept under its limit. */
#include <dirent.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "elf/discache.h"
#include "elf/discover.h"
#include "elf/symtab.h"
#include "fast/image.h"
#include "fast/mapfile.h"
#include "fast/window.h"
#include "util/dcache.h"

#define LIBC "/usr/lib/x86_64-linux-gnu/libc.so.6"
#define LIBSTDCXX "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"

static char dir[512];

/* A directory of the test's own under the build tree (nothing in /tmp), removed at the end. */
static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "%s/../cache-XXXXXX", UNIT_FIXTURES);
	if (!mkdtemp(dir))
		return -1;
	dcache_configure(dir);
	static const uint8_t fp[16] = { 1 };
	dcache_set_fingerprint(fp);
	dcache_set_limit(DCACHE_LIMIT_DEFAULT);
	return 0;
}

static void empty_dir(void)
{
	DIR *d = opendir(dir);
	for (struct dirent *de; d && (de = readdir(d));) {
		char p[1024];
		if (de->d_name[0] == '.' && (!de->d_name[1] || de->d_name[1] == '.'))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
}

static int teardown(void **state)
{
	empty_dir();
	rmdir(dir);
	dcache_configure(NULL);
	return 0;
}

struct built {
	struct symtab st;
	struct fast_image im;
	struct fast_map m;
	struct func *starts;
	size_t nstarts;
};

/* The map as fntrace builds it: the symbols' starts, and discovery's in a stripped file. */
static bool build(const char *path, struct built *b)
{
	char err[256];
	memset(b, 0, sizeof(*b));
	if (symtab_load(path, &b->st, err, sizeof(err)) || fast_image_load(path, &b->im, err, sizeof(err)))
		return false;
	b->starts = discache_starts(&b->st, &b->nstarts);
	fast_map_build(&b->m, &b->im, b->starts, b->nstarts);
	return true;
}

static void unbuild(struct built *b)
{
	fast_map_free(&b->m);
	fast_image_free(&b->im);
	symtab_free(&b->st);
	free(b->starts);
}

#define SAME(a, b, field, n) assert_memory_equal((a)->field, (b)->field, (n) * sizeof(*(a)->field))

static void assert_same_map(const struct fast_map *a, const struct fast_map *b)
{
	assert_int_equal(a->ntargets, b->ntargets);
	assert_int_equal(a->nunsure, b->nunsure);
	assert_int_equal(a->nstarts, b->nstarts);
	assert_int_equal(a->ncalls, b->ncalls);
	assert_int_equal(a->nunresolved, b->nunresolved);
	assert_int_equal(a->nholes, b->nholes);
	assert_int_equal(a->npads, b->npads);
	assert_int_equal(a->ntables, b->ntables);
	if (a->ntargets)
		SAME(a, b, targets, a->ntargets);
	if (a->nunsure)
		SAME(a, b, unsure, a->nunsure);
	if (a->nstarts) {
		SAME(a, b, starts, a->nstarts);
		SAME(a, b, ext, a->nstarts);
	}
	for (size_t i = 0; i < a->ncalls; i++) {
		assert_int_equal(a->calls[i].at, b->calls[i].at);
		assert_int_equal(a->calls[i].func, b->calls[i].func);
		assert_int_equal(a->calls[i].len, b->calls[i].len);
	}
	if (a->nunresolved)
		SAME(a, b, unresolved, a->nunresolved);
	for (size_t i = 0; i < a->nholes; i++) {
		assert_int_equal(a->holes[i].lo, b->holes[i].lo);
		assert_int_equal(a->holes[i].hi, b->holes[i].hi);
		assert_int_equal(a->holes[i].trailing, b->holes[i].trailing);
	}
}

/* Every window the checker gives is the same on both maps, as --debug=fast would count them. */
static void assert_same_windows(const struct fast_map *a, const struct fast_map *b)
{
	for (size_t i = 0; i < a->nstarts; i++) {
		struct fast_window wa, wb;
		taddr_t at = fast_window_entry(a, a->starts[i]);
		assert_int_equal(fast_window_check(a, at, &wa), fast_window_check(b, at, &wb));
	}
	for (size_t i = 0; i < a->ncalls; i++) {
		struct fast_window wa, wb;
		taddr_t at = a->calls[i].at + a->calls[i].len;
		assert_int_equal(fast_window_check(a, at, &wa), fast_window_check(b, at, &wb));
	}
}

static const char *const files[] = { "fast_hazards-pie", "fast_hazards-nopie", "fast_eh", "funcs-O2-static" };

static void round_trip(const char *path)
{
	struct built b;
	if (!build(path, &b)) {
		print_message("skipped: %s cannot be read\n", path);
		return;
	}
	size_t len, glen;
	uint8_t *p = fast_map_encode(&b.m, &len), key[16];
	fast_map_key(&b.im, b.starts, b.nstarts, key);
	assert_int_equal(dcache_put("map", key, p, len), 0);
	uint8_t *g = dcache_get("map", key, &glen);
	assert_non_null(g);
	assert_int_equal(glen, len);
	assert_memory_equal(g, p, len);
	struct fast_map m;
	assert_int_equal(fast_map_decode(&m, &b.im, g, glen), 0);
	assert_same_map(&b.m, &m);
	assert_same_windows(&b.m, &m);
	fast_map_free(&m);
	free(g);
	free(p);
	unbuild(&b);
}

static void test_round_trip(void **state)
{
	char path[512];
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", UNIT_FIXTURES, files[i]);
		round_trip(path);
	}
	round_trip(LIBC);   /* stripped: discovery's starts too; and every kind of table */
	round_trip(LIBSTDCXX);   /* functions whose extents overlap: the same padding found twice */
}

/* Cut anywhere, the encoding is refused; damaged anywhere, it is refused or gives a map whose
 * tables still hold what lookups assume (the payload's hash stops damage before this). */
static void test_truncated_and_damaged(void **state)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/fast_hazards-pie", UNIT_FIXTURES);
	struct built b;
	assert_true(build(path, &b));
	size_t len;
	uint8_t *p = fast_map_encode(&b.m, &len);
	struct fast_map m;
	for (size_t cut = 0; cut < len; cut++)
		assert_int_equal(fast_map_decode(&m, &b.im, p, cut), -1);
	uint64_t rng = 42;
	uint8_t *q = malloc(len);
	for (int k = 0; k < 4000; k++) {
		memcpy(q, p, len);
		size_t at = unit_rng(&rng) % len;
		q[at] ^= (uint8_t)(1u << (unit_rng(&rng) % 8));
		if (fast_map_decode(&m, &b.im, q, len))
			continue;
		for (size_t i = 1; i < m.ntargets; i++)
			assert_true(m.targets[i - 1] < m.targets[i]);
		for (size_t i = 0; i < m.ncalls; i++) {
			assert_true(m.calls[i].func < m.nstarts);
			assert_non_null(fast_image_bytes(&b.im, m.calls[i].at, m.calls[i].len));
		}
		fast_map_free(&m);
	}
	/* An extra byte, and another version, are refused too. */
	uint8_t *longer = malloc(len + 1);
	memcpy(longer, p, len);
	longer[len] = 0;
	assert_int_equal(fast_map_decode(&m, &b.im, longer, len + 1), -1);
	memcpy(q, p, len);
	q[8] ^= 1;   /* FAST_MAP_VERSION, the second word */
	assert_int_equal(fast_map_decode(&m, &b.im, q, len), -1);
	free(longer);
	free(q);
	free(p);
	unbuild(&b);
}

/* The file of the only entry in the directory. */
static void entry_file(char *out, size_t outlen)
{
	DIR *d = opendir(dir);
	out[0] = 0;
	for (struct dirent *de; d && (de = readdir(d));)
		if (de->d_name[0] != '.')
			snprintf(out, outlen, "%s/%s", dir, de->d_name);
	closedir(d);
	assert_true(out[0]);
}

static void rewrite(const char *path, const uint8_t *p, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, len, f), len);
	fclose(f);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	uint8_t *p = malloc((size_t)sb.st_size + 1);
	FILE *f = fopen(path, "rb");
	*len = fread(p, 1, (size_t)sb.st_size, f);
	fclose(f);
	return p;
}

/* An entry file cut short, with any bit flipped, or written by another fntrace (another
 * fingerprint) or for another key, is a miss, never a payload. */
static void test_entry_refused(void **state)
{
	empty_dir();
	static const uint8_t key[16] = { 7 }, other[16] = { 8 };
	uint8_t data[300];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	size_t len;
	assert_int_equal(dcache_put("map", key, data, sizeof(data)), 0);
	uint8_t *g = dcache_get("map", key, &len);
	assert_non_null(g);
	free(g);
	assert_null(dcache_get("map", other, &len));
	assert_null(dcache_get("discover", key, &len));
	char path[1024];
	entry_file(path, sizeof(path));
	size_t flen;
	uint8_t *whole = slurp(path, &flen);
	for (size_t cut = 0; cut < flen; cut += 7) {
		rewrite(path, whole, cut);
		assert_null(dcache_get("map", key, &len));
	}
	for (size_t at = 0; at < flen; at++) {
		whole[at] ^= 0x10;
		rewrite(path, whole, flen);
		assert_null(dcache_get("map", key, &len));
		whole[at] ^= 0x10;
	}
	rewrite(path, whole, flen);
	g = dcache_get("map", key, &len);
	assert_non_null(g);
	assert_memory_equal(g, data, sizeof(data));
	free(g);
	/* Another build of fntrace neither finds it nor could read it. */
	static const uint8_t fp2[16] = { 2 }, fp1[16] = { 1 };
	dcache_set_fingerprint(fp2);
	assert_null(dcache_get("map", key, &len));
	/* Its own entry goes in a file of its own: the two builds do not replace each other's. */
	assert_int_equal(dcache_put("map", key, data, 10), 0);
	g = dcache_get("map", key, &len);
	assert_non_null(g);
	assert_int_equal(len, 10);
	free(g);
	dcache_set_fingerprint(fp1);
	g = dcache_get("map", key, &len);
	assert_non_null(g);
	assert_int_equal(len, sizeof(data));
	free(g);
	free(whole);
	empty_dir();
}

/* Over the limit, the entries least recently used (written or read) go first. */
static void test_eviction(void **state)
{
	empty_dir();
	uint8_t data[1000] = { 0 };
	uint8_t key[16] = { 0 };
	dcache_set_limit(5500);   /* five entries of 1000 bytes and a header */
	for (int i = 0; i < 5; i++) {
		key[0] = (uint8_t)i;
		assert_int_equal(dcache_put("map", key, data, sizeof(data)), 0);
		usleep(20000);   /* (distinct mtimes) */
	}
	size_t len;
	key[0] = 0;
	uint8_t *g = dcache_get("map", key, &len);   /* the oldest, used again */
	assert_non_null(g);
	free(g);
	usleep(20000);
	key[0] = 5;
	assert_int_equal(dcache_put("map", key, data, sizeof(data)), 0);
	int n = 0;
	for (int i = 0; i <= 5; i++) {
		key[0] = (uint8_t)i;
		g = dcache_get("map", key, &len);
		n += g != NULL;
		if (i == 1)
			assert_null(g);   /* the least recently used */
		else if (i == 0 || i == 5)
			assert_non_null(g);
		free(g);
	}
	assert_true(n <= 5);
	/* What cannot fit is not written. */
	uint8_t big[6000] = { 0 };
	key[0] = 9;
	assert_int_equal(dcache_put("map", key, big, sizeof(big)), -1);
	dcache_set_limit(DCACHE_LIMIT_DEFAULT);
	empty_dir();
}

/* The key follows every input of the map: one byte of code, one start moved. */
static void test_key(void **state)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/fast_hazards-pie", UNIT_FIXTURES);
	struct built b;
	assert_true(build(path, &b));
	uint8_t k1[16], k2[16];
	fast_map_key(&b.im, b.starts, b.nstarts, k1);
	fast_map_key(&b.im, b.starts, b.nstarts, k2);
	assert_memory_equal(k1, k2, 16);
	struct fast_sec *code = NULL;
	for (size_t i = 0; i < b.im.nsecs && !code; i++)
		if (b.im.secs[i].exec && b.im.secs[i].bytes)
			code = &b.im.secs[i];
	assert_non_null(code);
	code->bytes[code->size / 2] ^= 1;
	fast_map_key(&b.im, b.starts, b.nstarts, k2);
	assert_memory_not_equal(k1, k2, 16);
	code->bytes[code->size / 2] ^= 1;
	b.starts[0].addr++;
	fast_map_key(&b.im, b.starts, b.nstarts, k2);
	assert_memory_not_equal(k1, k2, 16);
	b.starts[0].addr--;
	fast_map_key(&b.im, b.starts, b.nstarts - 1, k2);
	assert_memory_not_equal(k1, k2, 16);
	unbuild(&b);
}

struct got {
	struct discache_fn v[8];
	size_t n;
};

static void got_one(taddr_t addr, const char *name, void *arg)
{
	struct got *g = arg;
	assert_true(g->n < 8);
	g->v[g->n].addr = addr;
	g->v[g->n++].name = name ? strdup(name) : NULL;
}

/* Discovery's list: read back as written; any cut refused before a single function is added. */
static void test_discovered(void **state)
{
	struct discache_fn v[] = { { 0x1000, NULL }, { 0x1040, "main" }, { 0x2000, "main.main" }, { 0x3000, "" } };
	size_t len;
	uint8_t *p = discache_encode(v, 4, &len);
	struct got g = { .n = 0 };
	assert_int_equal(discache_decode(p, len, got_one, &g), 0);
	assert_int_equal(g.n, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(g.v[i].addr, v[i].addr);
		if (v[i].name)
			assert_string_equal(g.v[i].name, v[i].name);
		else
			assert_null(g.v[i].name);
		free(g.v[i].name);
	}
	for (size_t cut = 0; cut < len; cut++) {
		g.n = 0;
		assert_int_equal(discache_decode(p, cut, got_one, &g), -1);
		assert_int_equal(g.n, 0);
	}
	free(p);
}

/* The cache gives symtab_discover what discovery gives, cold and warm. */
static void test_discovered_cold_warm(void **state)
{
	empty_dir();
	struct symtab a, b;
	char err[256];
	if (symtab_load(LIBC, &a, err, sizeof(err))) {
		print_message("skipped: %s\n", err);
		return;
	}
	dcache_configure(NULL);
	size_t n0 = symtab_discover(&a);
	dcache_configure(dir);
	for (int warm = 0; warm < 2; warm++) {
		assert_int_equal(symtab_load(LIBC, &b, err, sizeof(err)), 0);
		assert_int_equal(symtab_discover(&b), n0);
		assert_int_equal(b.nfuncs, a.nfuncs);
		for (size_t i = 0; i < a.nfuncs; i++) {
			assert_int_equal(a.funcs[i].addr, b.funcs[i].addr);
			assert_string_equal(a.funcs[i].name, b.funcs[i].name);
		}
		symtab_free(&b);
	}
	symtab_free(&a);
	empty_dir();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_truncated_and_damaged),
		cmocka_unit_test(test_entry_refused),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_discovered),
		cmocka_unit_test(test_discovered_cold_warm),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
