/* funcs: the registry of traced functions. */
#include "funcs.h"
#include "../util/addrmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fentry {
	const char *name;   /* interned: one copy of each name, however many processes map it */
	taddr_t addr;
	const char *module, *srcline;   /* interned, or NULL (funcs_describe) */
	bool described;
};

static struct fentry *tab;
static size_t ntab, captab;

/* Every name once: a library's functions are registered again in each process that maps it
 * (at another address), and their names should not cost memory each time. */
struct iname {
	struct iname *next;
	char s[];
};
static struct addrmap inames;   /* FNV-1a of the name -> its chain */

static const char *intern(const char *esc)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (const char *c = esc; *c; c++)
		h = (h ^ (unsigned char)*c) * 0x100000001b3ull;
	struct iname *first = addrmap_get(&inames, h);
	for (struct iname *n = first; n; n = n->next)
		if (!strcmp(n->s, esc))
			return n->s;
	size_t len = strlen(esc);
	struct iname *n = xmalloc(sizeof(*n) + len + 1);
	memcpy(n->s, esc, len + 1);
	n->next = first;
	addrmap_put(&inames, h, n);
	return n->s;
}

static void free_chain(taddr_t key, void *val, void *arg)
{
	(void)key;
	(void)arg;
	for (struct iname *n = val, *next; n; n = next) {
		next = n->next;
		free(n);
	}
}

void funcs_escape(const char *s, char *out, size_t outlen)
{
	size_t o = 0;
	for (; *s && o + 5 < outlen; s++) {
		unsigned char c = (unsigned char)*s;
		size_t n = c >= 0x80 ? util_utf8_char(s) : 0;
		if (n) {   /* a character in UTF-8 (größe): as it is */
			memcpy(out + o, s, n);
			o += n;
			s += n - 1;
		} else if (c < 0x20 || c >= 0x7f || c == '\\') {
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = 0;
}

const char *funcs_intern(const char *name)
{
	size_t len = strlen(name);
	char buf[1024], *esc = len * 4 + 8 <= sizeof(buf) ? buf : xmalloc(len * 4 + 8);
	funcs_escape(name, esc, len * 4 + 8);
	const char *in = intern(esc);
	if (esc != buf)
		free(esc);
	return in;
}

uint32_t funcs_add_interned(const char *name, taddr_t addr)
{
	xgrow(&tab, &captab, ntab + 1, sizeof(*tab));
	tab[ntab] = (struct fentry){ .name = name, .addr = addr };
	return (uint32_t)ntab++;
}

uint32_t funcs_add(const char *name, taddr_t addr)
{
	return funcs_add_interned(funcs_intern(name), addr);
}

const char *funcs_name(uint32_t id)
{
	return id < ntab ? tab[id].name : "?";
}

taddr_t funcs_addr(uint32_t id)
{
	return id < ntab ? tab[id].addr : 0;
}

void funcs_describe(uint32_t id, const char *module, const char *srcline)
{
	if (id >= ntab)
		return;
	tab[id].module = module ? funcs_intern(module) : NULL;
	tab[id].srcline = srcline ? funcs_intern(srcline) : NULL;
	tab[id].described = true;
}

bool funcs_described(uint32_t id)
{
	return id < ntab && tab[id].described;
}

const char *funcs_module(uint32_t id)
{
	return id < ntab ? tab[id].module : NULL;
}

const char *funcs_srcline(uint32_t id)
{
	return id < ntab ? tab[id].srcline : NULL;
}

uint32_t funcs_count(void)
{
	return (uint32_t)ntab;
}

void funcs_reset(void)
{
	addrmap_each(&inames, free_chain, NULL);
	addrmap_free(&inames);
	free(tab);
	tab = NULL;
	ntab = captab = 0;
}
