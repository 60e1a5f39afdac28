/* test_symcache: one read per file, shared; a changed file read again; a debug file that came
 * or went seen; idle files kept. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "elf/debuginfo.h"
#include "elf/symcache.h"

#ifndef UNIT_FIXTURES
#error "UNIT_FIXTURES must name the directory of the fixture programs"
#endif

static char tmpdir[64];

static void copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	assert_non_null(in);
	assert_non_null(out);
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
}

static void test_shared_until_the_file_changes(void **state)
{
	(void)state;
	char path[128], err[256];
	snprintf(path, sizeof(path), "%s/funcs", tmpdir);
	copy_file(UNIT_FIXTURES "/funcs-O2-pie", path);

	struct symtab *a = symcache_get(path, err, sizeof(err));
	assert_non_null(a);
	assert_true(a->nfuncs > 0);
	struct symtab *b = symcache_get(path, err, sizeof(err));
	assert_ptr_equal(a, b);                     /* read once */
	symcache_put(b);
	symcache_put(a);
	assert_ptr_equal(symcache_get(path, err, sizeof(err)), a);   /* idle, kept */
	symcache_put(a);

	/* Rebuilt in place (same inode, new contents and time): read again. */
	struct timespec times[2] = { { 0, UTIME_OMIT }, { 1000000000, 0 } };
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
	struct symtab *c = symcache_get(path, err, sizeof(err));
	assert_non_null(c);
	assert_ptr_not_equal(c, a);
	assert_int_equal(c->nfuncs, a->nfuncs);
	symcache_put(c);
	unlink(path);
}

static void test_discovery_once(void **state)
{
	(void)state;
	char err[256];
	struct symtab *st = symcache_get(UNIT_FIXTURES "/funcs-O2-static.stripped", err, sizeof(err));
	assert_non_null(st);
	size_t named = st->nfuncs;
	debuginfo_set_path(tmpdir);                 /* no debug file there */
	assert_ptr_equal(symcache_complete(st, UNIT_FIXTURES "/funcs-O2-static.stripped", "x"), st);
	size_t found = st->nfuncs;
	assert_true(found > named);
	struct symtab *again = symcache_get(UNIT_FIXTURES "/funcs-O2-static.stripped", err, sizeof(err));
	assert_ptr_equal(again, st);
	assert_ptr_equal(symcache_complete(again, UNIT_FIXTURES "/funcs-O2-static.stripped", "x"), st);
	assert_int_equal(again->nfuncs, found);     /* not twice */
	debuginfo_set_path(NULL);
	symcache_put(again);
	symcache_put(st);
}

static bool has_func(const struct symtab *st, const char *name)
{
	for (size_t i = 0; i < st->nfuncs; i++)
		if (!strcmp(st->funcs[i].name, name))
			return true;
	return false;
}

/* The build-id of the fixture, as a path under a debug directory: .build-id/xx/rest.debug. */
static void build_id_path(const char *elf, char *dir, size_t dlen, char *file, size_t flen)
{
	char cmd[512], id[128] = "";
	snprintf(cmd, sizeof(cmd), "readelf -n '%s' | awk '/Build ID/ { print $3 }'", elf);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(id, sizeof(id), p));
	pclose(p);
	id[strcspn(id, "\n")] = 0;
	assert_true(strlen(id) > 2);
	snprintf(dir, dlen, "%s/.build-id/%.2s", tmpdir, id);
	snprintf(file, flen, "%s/%s.debug", dir, id + 2);
}

/* A stripped file read before its debug file was installed, and again after: the second time it
 * gets a table of its own, named by the debug file; the first stays as its modules had it. */
static void test_debug_file_keyed_in(void **state)
{
	(void)state;
	char path[128], err[256], dir[256], dbg[512], top[256];
	snprintf(path, sizeof(path), "%s/funcs.stripped", tmpdir);
	copy_file(UNIT_FIXTURES "/funcs-O2-pie.stripped", path);
	debuginfo_set_path(tmpdir);

	struct symtab *a = symcache_get(path, err, sizeof(err));
	assert_non_null(a);
	assert_ptr_equal(symcache_complete(a, path, path), a);
	assert_null(a->debug);
	assert_false(has_func(a, "func1"));         /* a sub_ name: nothing names it */
	symcache_put(a);

	build_id_path(path, dir, sizeof(dir), dbg, sizeof(dbg));
	snprintf(top, sizeof(top), "%s/.build-id", tmpdir);
	assert_int_equal(mkdir(top, 0755), 0);
	assert_int_equal(mkdir(dir, 0755), 0);
	copy_file(UNIT_FIXTURES "/funcs-O2-pie.debug", dbg);

	struct symtab *b = symcache_get(path, err, sizeof(err));
	assert_ptr_equal(b, a);                     /* the same file */
	b = symcache_complete(b, path, path);
	assert_ptr_not_equal(b, a);                 /* but not the same debug file */
	assert_non_null(b->debug);
	assert_true(has_func(b, "func1") && has_func(b, "deregister_tm_clones") && has_func(b, "frame_dummy"));
	assert_true(has_func(b, "main"));
	struct symtab *c = symcache_get(path, err, sizeof(err));
	assert_ptr_equal(symcache_complete(c, path, path), b);   /* the one with this debug file */
	symcache_put(b);
	symcache_put(b);

	/* Removed again: back to the table without it. */
	unlink(dbg);
	struct symtab *d = symcache_get(path, err, sizeof(err));
	d = symcache_complete(d, path, path);
	assert_null(d->debug);
	assert_false(has_func(d, "func1"));
	symcache_put(d);
	rmdir(dir);
	rmdir(top);
	unlink(path);
	debuginfo_set_path(NULL);
}

static void test_errors(void **state)
{
	(void)state;
	char err[256], path[128];
	snprintf(path, sizeof(path), "%s/none", tmpdir);
	assert_null(symcache_get(path, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, strerror(ENOENT)));
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("not an ELF file\n", f);
	fclose(f);
	assert_null(symcache_get(path, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	unlink(path);
}

/* More idle files than are kept: the oldest go, the ones in use stay. */
static void test_idle_files_trimmed(void **state)
{
	(void)state;
	char err[256], path[40][128];
	struct symtab *st[40];
	for (int i = 0; i < 40; i++) {
		snprintf(path[i], sizeof(path[i]), "%s/f%d", tmpdir, i);
		copy_file(UNIT_FIXTURES "/funcs-O0-nopie", path[i]);
		st[i] = symcache_get(path[i], err, sizeof(err));
		assert_non_null(st[i]);
	}
	size_t idle = symcache_idle();
	for (int i = 1; i < 40; i++)
		symcache_put(st[i]);
	assert_int_equal(symcache_idle(), 16);
	assert_true(idle < 16);
	assert_ptr_equal(symcache_get(path[0], err, sizeof(err)), st[0]);   /* in use all along */
	assert_ptr_equal(symcache_get(path[39], err, sizeof(err)), st[39]); /* idle, recent */
	symcache_put(st[0]);
	symcache_put(st[0]);
	symcache_put(st[39]);
	for (int i = 0; i < 40; i++)
		unlink(path[i]);
}

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_symcache.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	(void)state;
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_until_the_file_changes),
		cmocka_unit_test(test_discovery_once),
		cmocka_unit_test(test_debug_file_keyed_in),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_idle_files_trimmed),
	};
	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
