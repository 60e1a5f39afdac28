/* discache: discovery's list, each function as its address, its name's length and its name. */
#include "discache.h"
#include "discover.h"
#include "../util/dcache.h"
#include "../util/hash.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NO_NAME 0xffffffffu

struct found {
	struct discache_fn *v;
	size_t n, cap;
	void (*add)(taddr_t addr, const char *name, void *arg);
	void *arg;
};

static void keep(taddr_t addr, const char *name, void *arg)
{
	struct found *f = arg;
	xgrow(&f->v, &f->cap, f->n + 1, sizeof(*f->v));
	f->v[f->n++] = (struct discache_fn){ addr, name ? xstrdup(name) : NULL };
	f->add(addr, name, f->arg);
}

uint8_t *discache_encode(const struct discache_fn *v, size_t n, size_t *len)
{
	size_t size = 16;
	for (size_t i = 0; i < n; i++)
		size += 12 + (v[i].name ? strlen(v[i].name) : 0);
	uint8_t *p = xmalloc(size), *q = p;
	uint64_t head[2] = { DISCOVER_VERSION, n };
	memcpy(q, head, 16);
	q += 16;
	for (size_t i = 0; i < n; i++) {
		uint32_t nl = v[i].name ? (uint32_t)strlen(v[i].name) : NO_NAME;
		memcpy(q, &v[i].addr, 8);
		memcpy(q + 8, &nl, 4);
		q += 12;
		if (v[i].name) {
			memcpy(q, v[i].name, nl);
			q += nl;
		}
	}
	*len = size;
	return p;
}

/* Checks the whole encoding first, so that add sees all of it or nothing. */
static bool well_formed(const uint8_t *p, size_t len, uint64_t *n)
{
	uint64_t head[2];
	if (len < 16)
		return false;
	memcpy(head, p, 16);
	if (head[0] != DISCOVER_VERSION || head[1] > (len - 16) / 12)
		return false;
	size_t at = 16;
	for (uint64_t i = 0; i < head[1]; i++) {
		uint32_t nl;
		if (len - at < 12)
			return false;
		memcpy(&nl, p + at + 8, 4);
		at += 12;
		if (nl == NO_NAME)
			continue;
		if (nl > len - at || memchr(p + at, 0, nl))
			return false;
		at += nl;
	}
	*n = head[1];
	return at == len;
}

int discache_decode(const uint8_t *p, size_t len, void (*add)(taddr_t addr, const char *name, void *arg), void *arg)
{
	uint64_t n;
	if (!well_formed(p, len, &n))
		return -1;
	char *name = NULL;
	size_t cap = 0;
	for (size_t i = 0, at = 16; i < n; i++) {
		taddr_t addr;
		uint32_t nl;
		memcpy(&addr, p + at, 8);
		memcpy(&nl, p + at + 8, 4);
		at += 12;
		if (nl == NO_NAME) {
			add(addr, NULL, arg);
			continue;
		}
		xgrow(&name, &cap, (size_t)nl + 1, 1);
		memcpy(name, p + at, nl);
		name[nl] = 0;
		at += nl;
		add(addr, name, arg);
	}
	free(name);
	return 0;
}

bool discache_functions(int fd, Elf *e, const GElf_Ehdr *eh, const struct symtab *st,
			void (*add)(taddr_t addr, const char *name, void *arg), void *arg)
{
	uint8_t key[16];
	bool cache = dcache_on() && hash_file(fd, DISCOVER_VERSION, key) == 0;   /* every byte of the file */
	if (cache) {
		size_t len;
		uint8_t *p = dcache_get("discover", key, &len);
		int rc = p ? discache_decode(p, len, add, arg) : -1;
		free(p);
		if (rc == 0) {
			DEBUG(DBG_ELF, "%s: discovered functions from the cache", st->path);
			return true;
		}
	}
	struct found f = { NULL, 0, 0, add, arg };
	discover_functions(e, eh, st, cache ? keep : add, cache ? (void *)&f : arg);
	if (cache) {
		size_t len;
		uint8_t *p = discache_encode(f.v, f.n, &len);
		dcache_put("discover", key, p, len);
		free(p);
		for (size_t i = 0; i < f.n; i++)
			free(f.v[i].name);
		free(f.v);
	}
	return false;
}

struct starts {
	struct func *v;
	size_t n, cap;
};

static void add_start(taddr_t addr, const char *name, void *arg)
{
	struct starts *s = arg;
	(void)name;
	xgrow(&s->v, &s->cap, s->n + 1, sizeof(*s->v));
	s->v[s->n++] = (struct func){ .addr = addr };
}

struct func *discache_starts(const struct symtab *st, size_t *n)
{
	struct starts s = { NULL, 0, 0 };
	for (size_t i = 0; i < st->nfuncs; i++) {
		xgrow(&s.v, &s.cap, s.n + 1, sizeof(*s.v));
		s.v[s.n++] = st->funcs[i];
	}
	if (st->stripped) {
		int fd = open(st->path, O_RDONLY | O_CLOEXEC);
		Elf *e = fd >= 0 ? elf_begin(fd, ELF_C_READ_MMAP, NULL) : NULL;
		GElf_Ehdr eh;
		if (e && elf_kind(e) == ELF_K_ELF && gelf_getehdr(e, &eh))
			discache_functions(fd, e, &eh, st, add_start, &s);
		if (e)
			elf_end(e);
		if (fd >= 0)
			close(fd);
	}
	*n = s.n;
	return s.v;
}
