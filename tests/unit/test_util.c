/* test_util: util_sort_unique against qsort and a dedup, and util_sort_by_key against a stable
 * insertion sort, on sizes and value ranges that take every path of the radix sorts (digits all
 * values share are skipped). */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "util/util.h"

static int u64_cmp(const void *pa, const void *pb)
{
	uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
	return a < b ? -1 : a > b;
}

static void check(uint64_t *v, size_t n)
{
	uint64_t *want = test_malloc((n + 1) * sizeof(*want));
	memcpy(want, v, n * sizeof(*v));
	if (n)
		qsort(want, n, sizeof(*want), u64_cmp);
	size_t nw = 0;
	for (size_t i = 0; i < n; i++)
		if (!nw || want[nw - 1] != want[i])
			want[nw++] = want[i];
	size_t got = util_sort_unique(v, n);
	assert_int_equal(got, nw);
	assert_memory_equal(v, want, nw * sizeof(*v));
	test_free(want);
}

static void test_sort_unique(void **state)
{
	(void)state;
	uint64_t seed = 42;
	static const uint64_t masks[] = { 0xf, 0xffff, 0xfffff, 0xffffffffull, ~0ull };
	static const size_t sizes[] = { 0, 1, 2, 3, 17, 1000, 100000 };
	for (size_t s = 0; s < sizeof(sizes) / sizeof(*sizes); s++)
		for (size_t k = 0; k < sizeof(masks) / sizeof(*masks); k++) {
			size_t n = sizes[s];
			uint64_t *v = test_malloc((n + 1) * sizeof(*v));
			for (size_t i = 0; i < n; i++)   /* code addresses: a base and an offset */
				v[i] = 0x7f0000000000ull + (unit_rng(&seed) & masks[k]);
			check(v, n);
			for (size_t i = 0; i < n; i++)   /* the whole range, the top bit too */
				v[i] = unit_rng(&seed) & masks[k] ? unit_rng(&seed) : ~0ull;
			check(v, n);
			test_free(v);
		}
}

/* An element whose key is not its first word, with where it started (equal keys keep their
 * order) and a tail of bytes that must travel with it. */
struct elem {
	uint32_t where;
	uint64_t key;
	uint8_t tail[5];
};

static uint64_t elem_key(const void *e)
{
	return ((const struct elem *)e)->key;
}

static void test_sort_by_key(void **state)
{
	(void)state;
	uint64_t seed = 7;
	static const uint64_t masks[] = { 0, 0x3, 0xfff, 0xffffff, ~0ull };
	static const size_t sizes[] = { 0, 1, 2, 5, 300, 5000 };
	for (size_t s = 0; s < sizeof(sizes) / sizeof(*sizes); s++)
		for (size_t k = 0; k < sizeof(masks) / sizeof(*masks); k++) {
			size_t n = sizes[s];
			struct elem *v = test_calloc(n + 1, sizeof(*v)), *want = test_calloc(n + 1, sizeof(*want));
			for (size_t i = 0; i < n; i++) {
				v[i].where = (uint32_t)i;
				v[i].key = 0x555555554000ull + (unit_rng(&seed) & masks[k]);
				memset(v[i].tail, (int)(v[i].key * 31 + i), sizeof(v[i].tail));
			}
			for (size_t i = 0; i < n; i++) {   /* (insertion sort: stable) */
				size_t j = i;
				for (; j && want[j - 1].key > v[i].key; j--)
					want[j] = want[j - 1];
				want[j] = v[i];
			}
			util_sort_by_key(v, n, sizeof(*v), elem_key);
			for (size_t i = 0; i < n; i++) {   /* (field by field: padding is no one's) */
				assert_int_equal(v[i].where, want[i].where);
				assert_int_equal(v[i].key, want[i].key);
				assert_memory_equal(v[i].tail, want[i].tail, sizeof(v[i].tail));
			}
			test_free(v);
			test_free(want);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sort_unique),
		cmocka_unit_test(test_sort_by_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
