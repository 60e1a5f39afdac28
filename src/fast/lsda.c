/* fast/lsda: a reader of the .eh_frame entries and LSDA call-site tables, bounds-checked: the
 * file is untrusted, and anything unreadable makes the code it covers unsure, never skipped. */
#include "lsda.h"

#include <string.h>

enum {
	PE_OMIT = 0xff, PE_ABSPTR = 0x00, PE_ULEB = 0x01, PE_UDATA2 = 0x02, PE_UDATA4 = 0x03,
	PE_UDATA8 = 0x04, PE_SLEB = 0x09, PE_SDATA2 = 0x0a, PE_SDATA4 = 0x0b, PE_SDATA8 = 0x0c,
	PE_PCREL = 0x10, PE_TEXTREL = 0x20, PE_DATAREL = 0x30, PE_FUNCREL = 0x40, PE_ALIGNED = 0x50,
	PE_INDIRECT = 0x80,
};

/* A read position in one section: p at link-time address addr, end its limit. */
struct cur {
	const uint8_t *p, *end;
	taddr_t addr;
	bool bad;
};

static bool cur_at(const struct fast_image *im, taddr_t addr, struct cur *c)
{
	const struct fast_sec *s = fast_image_sec(im, addr);
	if (!s || !s->bytes)
		return false;
	c->p = s->bytes + (addr - s->addr);
	c->end = s->bytes + s->size;
	c->addr = addr;
	c->bad = false;
	return true;
}

static void skip(struct cur *c, size_t n)
{
	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = true;
		return;
	}
	c->p += n;
	c->addr += n;
}

static uint64_t fixed(struct cur *c, size_t n)
{
	uint64_t v = 0;
	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = true;
		return 0;
	}
	memcpy(&v, c->p, n);   /* little-endian host and file */
	skip(c, n);
	return v;
}

static uint64_t uleb(struct cur *c)
{
	uint64_t v = 0;
	for (unsigned shift = 0; !c->bad; shift += 7) {
		uint8_t b = (uint8_t)fixed(c, 1);
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
		if (shift > 70)
			c->bad = true;
	}
	return 0;
}

static int64_t sleb(struct cur *c)
{
	uint64_t v = 0;
	unsigned shift = 0;
	uint8_t b = 0x80;
	while (!c->bad && (b & 0x80)) {
		b = (uint8_t)fixed(c, 1);
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (shift > 70)
			c->bad = true;
	}
	if (shift < 64 && (b & 0x40))
		v |= ~0ull << shift;
	return (int64_t)v;
}

/* Reads a pointer in DW_EH_PE encoding enc. Relative forms other than pcrel (and funcrel, to
 * func) are not used by the toolchains for these tables: they mark the read bad. */
static uint64_t encoded(const struct fast_image *im, struct cur *c, uint8_t enc, taddr_t func)
{
	taddr_t at = c->addr;
	uint64_t v;
	switch (enc & 0x0f) {
	case PE_ABSPTR: v = fixed(c, 8); break;
	case PE_ULEB:   v = uleb(c); break;
	case PE_UDATA2: v = fixed(c, 2); break;
	case PE_UDATA4: v = fixed(c, 4); break;
	case PE_UDATA8: v = fixed(c, 8); break;
	case PE_SLEB:   v = (uint64_t)sleb(c); break;
	case PE_SDATA2: v = (uint64_t)(int64_t)(int16_t)fixed(c, 2); break;
	case PE_SDATA4: v = (uint64_t)(int64_t)(int32_t)fixed(c, 4); break;
	case PE_SDATA8: v = fixed(c, 8); break;
	default: c->bad = true; return 0;
	}
	switch (enc & 0x70) {
	case 0: break;
	case PE_PCREL: v += at; break;
	case PE_FUNCREL: v += func; break;
	default: c->bad = true; return 0;
	}
	if (enc & PE_INDIRECT) {
		const uint8_t *p = fast_image_bytes(im, v, 8);
		if (!p) {
			c->bad = true;
			return 0;
		}
		memcpy(&v, p, 8);
	}
	return v;
}

/* What an FDE needs from its CIE. */
struct cie {
	bool z;
	uint8_t fde_enc, lsda_enc;
};

static bool read_cie(const struct fast_image *im, struct cur c, struct cie *cie)
{
	memset(cie, 0, sizeof(*cie));
	cie->lsda_enc = PE_OMIT;
	uint8_t version = (uint8_t)fixed(&c, 1);
	const char *aug = (const char *)c.p;
	size_t alen = strnlen(aug, (size_t)(c.end - c.p));
	if (c.bad || alen == (size_t)(c.end - c.p))
		return false;
	skip(&c, alen + 1);
	if (strstr(aug, "eh"))
		fixed(&c, 8);
	uleb(&c);
	sleb(&c);
	if (version == 1)
		fixed(&c, 1);
	else
		uleb(&c);
	if (aug[0] != 'z')
		return !c.bad && !aug[0];   /* an augmentation we cannot size: give up on its FDEs */
	cie->z = true;
	uleb(&c);
	for (const char *a = aug + 1; *a && !c.bad; a++) {
		switch (*a) {
		case 'L': cie->lsda_enc = (uint8_t)fixed(&c, 1); break;
		case 'R': cie->fde_enc = (uint8_t)fixed(&c, 1); break;
		case 'P': encoded(im, &c, (uint8_t)fixed(&c, 1), 0); break;
		case 'S': case 'B': break;
		default: return false;
		}
	}
	return !c.bad;
}

/* Reports the landing pads of the LSDA at lsda, for the function starting at func. */
static bool read_lsda(const struct fast_image *im, taddr_t lsda, taddr_t func, const struct lsda_out *out)
{
	struct cur c;
	if (!cur_at(im, lsda, &c))
		return false;
	uint8_t lp_enc = (uint8_t)fixed(&c, 1);
	taddr_t lpstart = lp_enc == PE_OMIT ? func : encoded(im, &c, lp_enc, func);
	uint8_t tt_enc = (uint8_t)fixed(&c, 1);
	if (tt_enc != PE_OMIT)
		uleb(&c);
	uint8_t cs_enc = (uint8_t)fixed(&c, 1);
	uint64_t cs_len = uleb(&c);
	if (c.bad || cs_len > (size_t)(c.end - c.p) || (cs_enc & 0x70) || cs_enc == PE_OMIT)
		return false;
	struct cur t = c;
	t.end = c.p + cs_len;
	while (t.p < t.end && !t.bad) {
		encoded(im, &t, cs_enc, 0);               /* call-site start */
		encoded(im, &t, cs_enc, 0);               /* its length */
		uint64_t lp = encoded(im, &t, cs_enc, 0);
		uleb(&t);                                 /* action */
		if (!t.bad && lp)
			out->pad(lpstart + lp, out->arg);
	}
	return !t.bad;
}

size_t lsda_pads(const struct fast_image *im, const struct lsda_out *out)
{
	const struct fast_sec *eh = fast_image_named(im, ".eh_frame");
	const struct fast_sec *gx = fast_image_named(im, ".gcc_except_table");
	size_t n = 0;
	if (!eh || !eh->bytes) {
		if (gx)   /* landing pads, and nothing to find them with */
			out->unsure(0, ~0ull, out->arg);
		return 0;
	}
	struct cur c = { eh->bytes, eh->bytes + eh->size, eh->addr, false };
	while (c.p < c.end) {
		struct cur ent = c;
		uint64_t len = fixed(&ent, 4);
		if (len == 0xffffffff)
			len = fixed(&ent, 8);
		if (ent.bad || len > (size_t)(ent.end - ent.p)) {
			out->unsure(0, ~0ull, out->arg);
			return n;
		}
		if (!len)
			break;   /* the terminator */
		struct cur body = ent;
		body.end = ent.p + len;
		taddr_t id_at = body.addr;
		uint32_t id = (uint32_t)fixed(&body, 4);
		skip(&c, (size_t)(body.end - c.p));
		if (!id)
			continue;   /* a CIE: read when an FDE names it */
		struct cur cc;
		struct cie cie;
		if (id > id_at - eh->addr || !cur_at(im, id_at - id, &cc)) {
			out->unsure(0, ~0ull, out->arg);
			return n;
		}
		uint64_t clen = fixed(&cc, 4);
		if (clen == 0xffffffff)
			clen = fixed(&cc, 8);
		if (cc.bad || clen > (size_t)(cc.end - cc.p) || clen < 4) {
			out->unsure(0, ~0ull, out->arg);
			return n;
		}
		cc.end = cc.p + clen;
		fixed(&cc, 4);   /* its id, 0 */
		bool cie_ok = read_cie(im, cc, &cie);
		taddr_t lo = encoded(im, &body, cie.fde_enc, 0);
		taddr_t range = encoded(im, &body, cie.fde_enc & 0x0f, 0);
		if (body.bad) {
			out->unsure(0, ~0ull, out->arg);
			return n;
		}
		if (!cie_ok) {
			out->unsure(lo, lo + range, out->arg);
			continue;
		}
		if (!cie.z || cie.lsda_enc == PE_OMIT)
			continue;
		uleb(&body);
		taddr_t lsda = encoded(im, &body, cie.lsda_enc, lo);
		if (body.bad) {
			out->unsure(lo, lo + range, out->arg);
			continue;
		}
		if (!lsda)
			continue;
		n++;
		if (!read_lsda(im, lsda, lo, out))
			out->unsure(lo, lo + range, out->arg);
	}
	return n;
}
