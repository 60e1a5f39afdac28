/* addrmap: open addressing with linear probing; keys are tracee addresses. */
#include "addrmap.h"

#include <stdlib.h>

static char tombstone_obj;
#define TOMBSTONE ((void *)&tombstone_obj)

/* Fibonacci hashing: the top bits of the product depend on every bit of the key, so keys that
 * differ only high up ((tid << 32) | fn) spread as well as addresses do. */
static size_t slot_of(taddr_t key, size_t cap)
{
	uint64_t h = key * 0x9E3779B97F4A7C15ull;
	return (size_t)(h >> (64 - __builtin_ctzll(cap)));
}

void *addrmap_get(const struct addrmap *m, taddr_t key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		void *v = m->vals[i];
		if (!v)
			return NULL;
		if (v != TOMBSTONE && m->keys[i] == key)
			return v;
	}
}

static void rehash(struct addrmap *m, size_t ncap)
{
	struct addrmap old = *m;
	m->keys = xmalloc(ncap * sizeof(*m->keys));
	m->vals = xcalloc(ncap, sizeof(*m->vals));
	m->cap = ncap;
	m->used = m->n = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.vals[i] && old.vals[i] != TOMBSTONE)
			addrmap_put(m, old.keys[i], old.vals[i]);
	free(old.keys);
	free(old.vals);
}

void addrmap_put(struct addrmap *m, taddr_t key, void *val)
{
	ASSERT(val != NULL, "addrmap_put(%#" PRIx64 ", NULL)", key);
	if ((m->used + 1) * 4 >= m->cap * 3)
		rehash(m, m->cap ? (m->n * 2 >= m->cap ? m->cap * 2 : m->cap) : 64);
	size_t grave = (size_t)-1;
	for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		void *v = m->vals[i];
		if (!v) {
			if (grave != (size_t)-1)
				i = grave;
			else
				m->used++;
			m->keys[i] = key;
			m->vals[i] = val;
			m->n++;
			return;
		}
		if (v == TOMBSTONE) {
			if (grave == (size_t)-1)
				grave = i;
		} else if (m->keys[i] == key) {
			m->vals[i] = val;
			return;
		}
	}
}

void *addrmap_del(struct addrmap *m, taddr_t key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		void *v = m->vals[i];
		if (!v)
			return NULL;
		if (v != TOMBSTONE && m->keys[i] == key) {
			m->vals[i] = TOMBSTONE;
			m->n--;
			return v;
		}
	}
}

void addrmap_each(const struct addrmap *m, void (*fn)(taddr_t, void *, void *), void *arg)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->vals[i] && m->vals[i] != TOMBSTONE)
			fn(m->keys[i], m->vals[i], arg);
}

void addrmap_free(struct addrmap *m)
{
	free(m->keys);
	free(m->vals);
	*m = (struct addrmap){0};
}

void *addrmap_get_or_new(struct addrmap *m, taddr_t key, size_t size)
{
	void *val = addrmap_get(m, key);
	if (!val) {
		val = xcalloc(1, size);
		addrmap_put(m, key, val);
	}
	return val;
}
