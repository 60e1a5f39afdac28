/* test_addrmap: the breakpoint hash table against a plain array model, tombstones and growth included. */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "util/addrmap.h"

/* Values are pointers into this array, so a value names the model slot it belongs to. */
#define NKEYS 6000
static taddr_t keys[NKEYS];
static char vals[NKEYS][2];     /* [i][0] and [i][1]: two distinct values per key */
static void *model[NKEYS];      /* what the map must hold for keys[i], or NULL */

static uint64_t rng_state;

static uint64_t rng(void)
{
	return unit_rng(&rng_state);
}

/* Distinct keys shaped like breakpoint addresses: clustered, aligned, some random, 0 and ~0. */
static void make_keys(void)
{
	for (size_t i = 0; i < NKEYS; i++) {
		switch (i % 4) {
		case 0:  keys[i] = 0x401000 + 16 * i; break;
		case 1:  keys[i] = 0x555555554000ull + 0x1000 * i; break;
		case 2:  keys[i] = 0x7ffff7a00000ull + i; break;
		default: keys[i] = (rng() & ~0xfffull) | i; break;   /* low bits keep it distinct */
		}
	}
	keys[0] = 0;
	keys[1] = ~0ull;
}

struct walk {
	size_t count;
	bool seen[NKEYS];
};

static void visit(taddr_t key, void *val, void *arg)
{
	struct walk *w = arg;
	size_t i = (size_t)((char *)val - &vals[0][0]) / 2;
	assert_true(i < NKEYS);
	assert_int_equal(keys[i], key);
	assert_ptr_equal(model[i], val);
	assert_false(w->seen[i]);
	w->seen[i] = true;
	w->count++;
}

/* The map holds exactly the model. */
static void check_all(const struct addrmap *m)
{
	static struct walk w;
	size_t live = 0;
	memset(&w, 0, sizeof(w));
	for (size_t i = 0; i < NKEYS; i++) {
		assert_ptr_equal(addrmap_get(m, keys[i]), model[i]);
		live += model[i] != NULL;
	}
	addrmap_each(m, visit, &w);
	assert_int_equal(w.count, live);
	assert_int_equal(m->n, live);
	assert_true(m->used >= m->n);
	assert_true(m->cap == 0 || m->used * 4 < m->cap * 3);   /* load, tombstones included, below 3/4 */
	assert_int_equal(m->cap & (m->cap - 1), 0);
}

static void test_empty(void **state)
{
	struct addrmap m = { 0 };
	struct walk w = { 0 };
	assert_null(addrmap_get(&m, 0x401000));
	assert_null(addrmap_del(&m, 0x401000));
	addrmap_each(&m, visit, &w);
	assert_int_equal(w.count, 0);
	addrmap_free(&m);
	addrmap_free(&m);
}

static void test_basic(void **state)
{
	struct addrmap m = { 0 };
	int a, b, c;
	addrmap_put(&m, 0x401000, &a);
	assert_ptr_equal(addrmap_get(&m, 0x401000), &a);
	assert_null(addrmap_get(&m, 0x401001));
	addrmap_put(&m, 0x401000, &b);                   /* replace */
	assert_ptr_equal(addrmap_get(&m, 0x401000), &b);
	assert_int_equal(m.n, 1);
	addrmap_put(&m, 0, &c);                          /* 0 is a key like any other */
	addrmap_put(&m, ~0ull, &a);
	assert_ptr_equal(addrmap_get(&m, 0), &c);
	assert_ptr_equal(addrmap_get(&m, ~0ull), &a);
	assert_int_equal(m.n, 3);
	assert_ptr_equal(addrmap_del(&m, 0x401000), &b);
	assert_null(addrmap_del(&m, 0x401000));
	assert_null(addrmap_get(&m, 0x401000));
	assert_int_equal(m.n, 2);
	addrmap_put(&m, 0x401000, &a);                   /* back again */
	assert_ptr_equal(addrmap_get(&m, 0x401000), &a);
	assert_int_equal(m.n, 3);
	addrmap_free(&m);
	assert_int_equal(m.cap, 0);
	assert_null(addrmap_get(&m, 0));
}

/* The home slot, as addrmap.c computes it. Only used to build colliding keys on purpose: if the
 * hash changes, the test below still passes, it just tests less. */
static size_t home(taddr_t key, size_t cap)
{
	return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 17) & (cap - 1);
}

/* Keys in one probe chain: a tombstone in the middle must neither hide a later key nor let a
 * put of a later key create a second copy of it. */
static void test_chain_with_tombstone(void **state)
{
	struct addrmap m = { 0 };
	int x;
	addrmap_put(&m, 0x1000, &x);                     /* the table now exists */
	size_t cap = m.cap;
	taddr_t k[3];
	size_t nk = 0;
	for (taddr_t a = 0x400000; nk < 3; a += 16)
		if (home(a, cap) == home(0x400000, cap))
			k[nk++] = a;
	int v[3], w2;
	for (int i = 0; i < 3; i++)
		addrmap_put(&m, k[i], &v[i]);
	assert_ptr_equal(addrmap_del(&m, k[1]), &v[1]);
	assert_ptr_equal(addrmap_get(&m, k[2]), &v[2]);
	addrmap_put(&m, k[2], &w2);                      /* replace, past the tombstone */
	assert_int_equal(m.n, 3);
	assert_ptr_equal(addrmap_get(&m, k[2]), &w2);
	assert_ptr_equal(addrmap_del(&m, k[2]), &w2);
	assert_null(addrmap_get(&m, k[2]));              /* no stale copy left behind */
	addrmap_put(&m, k[1], &v[1]);                    /* reuses the tombstone */
	assert_ptr_equal(addrmap_get(&m, k[1]), &v[1]);
	assert_ptr_equal(addrmap_get(&m, k[0]), &v[0]);
	assert_int_equal(m.n, 3);
	assert_int_equal(m.cap, cap);
	addrmap_free(&m);
}

/* Many keys: growth through several rehashes, then everything still there. */
static void test_growth(void **state)
{
	struct addrmap m = { 0 };
	rng_state = 0x853c49e6748fea9bull;
	make_keys();
	memset(model, 0, sizeof(model));
	size_t rehashes = 0, cap = 0;
	for (size_t i = 0; i < NKEYS; i++) {
		addrmap_put(&m, keys[i], vals[i]);
		model[i] = vals[i];
		if (m.cap != cap) {
			rehashes++;
			cap = m.cap;
		}
		if (i % 997 == 0)
			check_all(&m);
	}
	assert_true(rehashes >= 5);
	check_all(&m);
	addrmap_free(&m);
}

/* Random puts, replacements and deletes against the model. */
static void test_random_ops(void **state)
{
	for (uint64_t seed = 1; seed <= 4; seed++) {
		struct addrmap m = { 0 };
		rng_state = seed * 0x9e3779b97f4a7c15ull;
		make_keys();
		memset(model, 0, sizeof(model));
		size_t universe = seed * NKEYS / 4;        /* from a small, dense table to a big one */
		for (int op = 0; op < 100000; op++) {
			size_t i = rng() % universe;
			switch (rng() % 3) {
			case 0:
				assert_ptr_equal(addrmap_del(&m, keys[i]), model[i]);
				model[i] = NULL;
				break;
			default: {
				void *v = vals[i] + rng() % 2;
				addrmap_put(&m, keys[i], v);
				model[i] = v;
				break;
			}
			}
			assert_ptr_equal(addrmap_get(&m, keys[i]), model[i]);
			if (op % 10007 == 0)
				check_all(&m);
		}
		check_all(&m);
		/* Delete everything: the map is empty but still usable. */
		for (size_t i = 0; i < NKEYS; i++) {
			assert_ptr_equal(addrmap_del(&m, keys[i]), model[i]);
			model[i] = NULL;
		}
		check_all(&m);
		addrmap_put(&m, keys[5], vals[5]);
		model[5] = vals[5];
		check_all(&m);
		addrmap_free(&m);
	}
}

/* Insert and delete ever new keys while few are live: tombstones are swept, the table stays small. */
static void test_tombstone_churn(void **state)
{
	struct addrmap m = { 0 };
	int v;
	for (taddr_t k = 0; k < 200000; k++) {
		addrmap_put(&m, 0x401000 + 16 * k, &v);
		if (k >= 8)
			assert_ptr_equal(addrmap_del(&m, 0x401000 + 16 * (k - 8)), &v);
		assert_true(m.n <= 9);
	}
	assert_true(m.cap <= 64);
	for (taddr_t k = 200000 - 8; k < 200000; k++)
		assert_ptr_equal(addrmap_get(&m, 0x401000 + 16 * k), &v);
	assert_null(addrmap_get(&m, 0x401000 + 16 * 5));
	addrmap_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_chain_with_tombstone),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_random_ops),
		cmocka_unit_test(test_tombstone_churn),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
