/* test_addrbits: the sparse bitmap against a byte-per-address model, across word and chunk
 * boundaries, at both ends of the address space. */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "util/addrbits.h"

/* The model covers SPAN addresses from each base: three chunks and a bit, so that ranges cross
 * chunk boundaries. */
#define SPAN (3 * ADDRBITS_CHUNK + 200)
static const taddr_t bases[] = { 0, 0x555555554000ull - ADDRBITS_CHUNK / 2, 0x7ffff7a00000ull + 13,
				 ~0ull - SPAN };   /* (base + SPAN: the last address, no wrap) */
static uint8_t model[SPAN];

static uint64_t rng_state;

static bool model_any(size_t lo, size_t hi)
{
	for (size_t i = lo; i < hi; i++)
		if (model[i])
			return true;
	return false;
}

static void test_empty(void **state)
{
	struct addrbits b = { 0 };
	assert_false(addrbits_any(&b, 0, ~0ull));
	addrbits_clear(&b, 0x1000, 0x2000);   /* (makes nothing) */
	assert_int_equal(b.chunks.n, 0);
	addrbits_set(&b, 0x1000, 0x1000);     /* an empty range */
	assert_int_equal(b.chunks.n, 0);
	addrbits_free(&b);
}

static void test_one_word_edges(void **state)
{
	struct addrbits b = { 0 };
	addrbits_set(&b, 63, 65);   /* the last bit of a word and the first of the next */
	assert_false(addrbits_any(&b, 0, 63));
	assert_true(addrbits_any(&b, 63, 64));
	assert_true(addrbits_any(&b, 64, 65));
	assert_false(addrbits_any(&b, 65, 200));
	addrbits_set(&b, 128, 192);   /* one whole word */
	assert_true(addrbits_any(&b, 191, 192));
	assert_false(addrbits_any(&b, 192, 256));
	addrbits_clear(&b, 64, 191);
	assert_true(addrbits_any(&b, 63, 64));
	assert_false(addrbits_any(&b, 64, 191));
	assert_true(addrbits_any(&b, 191, 192));
	addrbits_free(&b);
	assert_false(addrbits_any(&b, 0, 1000));
}

/* A query across chunks that were never made skips them, and finds a bit past them. */
static void test_absent_chunks(void **state)
{
	struct addrbits b = { 0 };
	taddr_t c = ADDRBITS_CHUNK;
	addrbits_set(&b, 5 * c + 7, 5 * c + 8);
	assert_int_equal(b.chunks.n, 1);
	assert_false(addrbits_any(&b, 0, 5 * c + 7));
	assert_true(addrbits_any(&b, 1, 5 * c + 8));
	assert_true(addrbits_any(&b, 3 * c + 3, 9 * c));
	assert_false(addrbits_any(&b, 5 * c + 8, 9 * c));
	assert_false(addrbits_any(&b, ~0ull - 2 * c, ~0ull));   /* (up to the end of the space) */
	addrbits_free(&b);
}

/* Random sets and clears of short and long ranges, every query checked against the model. */
static void test_random_ops(void **state)
{
	for (size_t bi = 0; bi < sizeof(bases) / sizeof(bases[0]); bi++) {
		struct addrbits b = { 0 };
		taddr_t base = bases[bi];
		memset(model, 0, sizeof(model));
		rng_state = 0x9e3779b97f4a7c15ull + bi;
		for (int op = 0; op < 20000; op++) {
			uint64_t r = unit_rng(&rng_state);
			size_t len = r % 8 == 0 ? (size_t)(r >> 8) % (2 * ADDRBITS_CHUNK) : (size_t)(r >> 8) % 20;
			size_t lo = (size_t)(r >> 32) % SPAN, hi = lo + len > SPAN ? SPAN : lo + len;
			switch (r % 5) {
			case 0:
				addrbits_set(&b, base + lo, base + hi);
				memset(model + lo, 1, hi - lo);
				break;
			case 1:
				addrbits_clear(&b, base + lo, base + hi);
				memset(model + lo, 0, hi - lo);
				break;
			default:
				assert_int_equal(addrbits_any(&b, base + lo, base + hi), model_any(lo, hi));
			}
		}
		for (size_t i = 0; i < SPAN; i++)
			assert_int_equal(addrbits_any(&b, base + i, base + i + 1), model[i]);
		addrbits_free(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_one_word_edges),
		cmocka_unit_test(test_absent_chunks),
		cmocka_unit_test(test_random_ops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
