/* fast/mapfile: the map's tables written one after another, each after its count, in the
 * machine's byte order (x86-64 only, as all of fntrace). */
#include "mapfile.h"
#include "../util/hash.h"

#include <stdlib.h>
#include <string.h>

#define MAGIC 0x70616d746e66ull   /* "fntmap" */

void fast_map_key(const struct fast_image *im, const struct func *funcs, size_t nfuncs, uint8_t key[16])
{
	struct hash128 h;
	hash_init(&h);
	hash_add_u64(&h, FAST_MAP_VERSION);
	hash_add_u64(&h, im->nsecs);
	for (size_t i = 0; i < im->nsecs; i++) {
		const struct fast_sec *s = &im->secs[i];
		hash_add_u64(&h, s->addr);
		hash_add_u64(&h, s->size);
		hash_add_u64(&h, s->exec | (uint64_t)(s->bytes != NULL) << 1);
		hash_add(&h, s->name, strlen(s->name));
		if (s->bytes)
			hash_add(&h, s->bytes, s->size);
	}
	hash_add(&h, im->relptrs, im->nrelptrs * sizeof(*im->relptrs));
	hash_add_u64(&h, nfuncs);
	for (size_t i = 0; i < nfuncs; i++) {   /* (the map reads a start's address and size only) */
		hash_add_u64(&h, funcs[i].addr);
		hash_add_u64(&h, funcs[i].size);
	}
	hash_final(&h, key);
}

/* ---- writing ---- */

struct out {
	uint8_t *p;
	size_t n, cap;
};

static void put(struct out *o, const void *v, size_t len)
{
	if (!len)
		return;   /* (v may be NULL for nothing) */
	xgrow(&o->p, &o->cap, o->n + len, 1);
	memcpy(o->p + o->n, v, len);
	o->n += len;
}

static void put_u64(struct out *o, uint64_t v)
{
	put(o, &v, sizeof(v));
}

uint8_t *fast_map_encode(const struct fast_map *m, size_t *len)
{
	struct out o = { NULL, 0, 0 };
	put_u64(&o, MAGIC);
	put_u64(&o, FAST_MAP_VERSION);
	put_u64(&o, m->npads);
	put_u64(&o, m->ntables);
	put_u64(&o, m->ntargets);
	put(&o, m->targets, m->ntargets * sizeof(*m->targets));
	put_u64(&o, m->nunsure);
	for (size_t i = 0; i < m->nunsure; i++) {
		put_u64(&o, m->unsure[i].lo);
		put_u64(&o, m->unsure[i].hi);
	}
	put_u64(&o, m->nstarts);
	for (size_t i = 0; i < m->nstarts; i++) {   /* a start is its extent's lo */
		put_u64(&o, m->ext[i].lo);
		put_u64(&o, m->ext[i].hi);
	}
	put_u64(&o, m->ncalls);
	for (size_t i = 0; i < m->ncalls; i++) {
		put_u64(&o, m->calls[i].at);
		put_u64(&o, (uint64_t)m->calls[i].func << 8 | m->calls[i].len);
	}
	put_u64(&o, m->nunresolved);
	put(&o, m->unresolved, m->nunresolved * sizeof(*m->unresolved));
	put_u64(&o, m->nholes);
	for (size_t i = 0; i < m->nholes; i++) {
		put_u64(&o, m->holes[i].lo);
		put_u64(&o, m->holes[i].hi);
		put_u64(&o, m->holes[i].trailing);
	}
	*len = o.n;
	return o.p;
}

/* ---- reading, every step checked ---- */

struct in {
	const uint8_t *p;
	size_t n, at;
	bool bad;
};

static uint64_t get_u64(struct in *in)
{
	uint64_t v = 0;
	if (in->bad || in->n - in->at < sizeof(v)) {
		in->bad = true;
		return 0;
	}
	memcpy(&v, in->p + in->at, sizeof(v));
	in->at += sizeof(v);
	return v;
}

/* A count of items of words u64s each, which the rest of the input must be able to hold (so a
 * damaged count never makes us allocate more than the input's size). */
static size_t get_count(struct in *in, size_t words)
{
	uint64_t c = get_u64(in);
	if (in->bad || c > (in->n - in->at) / (words * sizeof(uint64_t))) {
		in->bad = true;
		return 0;
	}
	return (size_t)c;
}

/* count words into a new array (at least one element, as the map's own arrays). */
static uint64_t *get_words(struct in *in, size_t count)
{
	uint64_t *v = xmalloc((count + 1) * sizeof(*v));
	for (size_t i = 0; i < count; i++)
		v[i] = get_u64(in);
	return v;
}

static bool ascending(const taddr_t *v, size_t n, bool strict)
{
	for (size_t i = 1; i < n; i++)
		if (v[i] < v[i - 1] || (strict && v[i] == v[i - 1]))
			return false;
	return true;
}

static bool read_ranges(struct in *in, struct fast_map *m)
{
	m->nunsure = get_count(in, 2);
	m->unsure = xmalloc((m->nunsure + 1) * sizeof(*m->unsure));
	for (size_t i = 0; i < m->nunsure; i++) {
		m->unsure[i].lo = get_u64(in);
		m->unsure[i].hi = get_u64(in);
		if (m->unsure[i].hi < m->unsure[i].lo || (i && m->unsure[i].lo < m->unsure[i - 1].lo))
			return false;
	}
	m->nstarts = get_count(in, 2);
	m->starts = xmalloc((m->nstarts + 1) * sizeof(*m->starts));
	m->ext = xmalloc((m->nstarts + 1) * sizeof(*m->ext));
	for (size_t i = 0; i < m->nstarts; i++) {
		m->ext[i].lo = m->starts[i] = get_u64(in);
		m->ext[i].hi = get_u64(in);
		if (m->ext[i].hi < m->ext[i].lo)
			return false;
	}
	return !in->bad && ascending(m->starts, m->nstarts, true);
}

/* Calls: each inside its function's extent and in the image's code, as fast_map_each_call
 * hands out their bytes. */
static bool read_calls(struct in *in, struct fast_map *m, const struct fast_image *im)
{
	m->ncalls = get_count(in, 2);
	m->calls = xmalloc((m->ncalls + 1) * sizeof(*m->calls));
	for (size_t i = 0; i < m->ncalls; i++) {
		struct fast_call *c = &m->calls[i];
		c->at = get_u64(in);
		uint64_t fl = get_u64(in);
		c->func = (uint32_t)(fl >> 8);
		c->len = (uint8_t)fl;
		if (in->bad || fl >> 40 || c->func >= m->nstarts || !c->len || c->len > 15 ||
		    c->at < m->ext[c->func].lo || c->at >= m->ext[c->func].hi ||
		    !fast_image_in_code(im, c->at) || !fast_image_bytes(im, c->at, c->len))
			return false;
	}
	return true;
}

static bool read_holes(struct in *in, struct fast_map *m, const struct fast_image *im)
{
	m->nholes = get_count(in, 3);
	m->holes = xmalloc((m->nholes + 1) * sizeof(*m->holes));
	for (size_t i = 0; i < m->nholes; i++) {
		struct hole *h = &m->holes[i];
		h->lo = get_u64(in);
		h->hi = get_u64(in);
		uint64_t tr = get_u64(in);
		h->trailing = tr == 1;
		/* (a hole's slots get a jmp written: they must be the module's own code) */
		if (tr > 1 || h->hi <= h->lo || (i && h->lo < m->holes[i - 1].hi) || !fast_image_in_code(im, h->lo) ||
		    !fast_image_bytes(im, h->lo, h->hi - h->lo))
			return false;
	}
	return !in->bad;
}

int fast_map_decode(struct fast_map *m, const struct fast_image *im, const uint8_t *p, size_t len)
{
	memset(m, 0, sizeof(*m));
	m->im = im;
	struct in in = { p, len, 0, false };
	bool ok = get_u64(&in) == MAGIC && get_u64(&in) == FAST_MAP_VERSION;
	m->npads = (size_t)get_u64(&in);
	m->ntables = (size_t)get_u64(&in);
	if (ok) {
		m->ntargets = get_count(&in, 1);
		m->targets = get_words(&in, m->ntargets);
		ok = !in.bad && ascending(m->targets, m->ntargets, true);
	}
	ok = ok && read_ranges(&in, m) && read_calls(&in, m, im);
	if (ok) {
		m->nunresolved = get_count(&in, 1);
		m->unresolved = get_words(&in, m->nunresolved);
	}
	ok = ok && !in.bad && read_holes(&in, m, im) && in.at == in.n;
	if (!ok) {
		fast_map_free(m);
		return -1;
	}
	return 0;
}
