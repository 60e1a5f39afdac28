/* funcs: the registry of traced functions. */
#include "funcs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fentry {
	char *name;
	taddr_t addr;
};

static struct fentry *tab;
static size_t ntab, captab;

void funcs_escape(const char *s, char *out, size_t outlen)
{
	size_t o = 0;
	for (; *s && o + 5 < outlen; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c >= 0x7f || c == '\\')
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = 0;
}

uint32_t funcs_add(const char *name, taddr_t addr)
{
	size_t len = strlen(name);
	char *esc = xmalloc(len * 4 + 8);
	funcs_escape(name, esc, len * 4 + 8);
	xgrow(&tab, &captab, ntab + 1, sizeof(*tab));
	tab[ntab] = (struct fentry){ esc, addr };
	return (uint32_t)ntab++;
}

const char *funcs_name(uint32_t id)
{
	return id < ntab ? tab[id].name : "?";
}

taddr_t funcs_addr(uint32_t id)
{
	return id < ntab ? tab[id].addr : 0;
}

uint32_t funcs_count(void)
{
	return (uint32_t)ntab;
}

void funcs_reset(void)
{
	for (size_t i = 0; i < ntab; i++)
		free(tab[i].name);
	free(tab);
	tab = NULL;
	ntab = captab = 0;
}
