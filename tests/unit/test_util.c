/* test_util: util_sort_unique against qsort and a dedup, on sizes and value ranges that take
 * every path of the radix sort (digits all values share are skipped). */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sort_unique),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
