/* gadget: the injected system call's code (see gadget.h), written out byte by byte;
 * tests/unit/test_gadget.c runs it in its own process. */
#include "gadget.h"

#include <stddef.h>
#include <string.h>

_Static_assert(GADGET_AREA + sizeof(struct gadget_area) <= GADGET_SIZE && GADGET_SIZE % 32 == 0,
	       "the gadget's slots hold its code and its save area");

/* The registers the gadget loads, in the save area's order: REX prefix and ModRM reg field. */
static const uint8_t regs[15][2] = {
	{ 0x48, 0 }, { 0x48, 3 }, { 0x48, 1 }, { 0x48, 2 }, { 0x48, 6 }, { 0x48, 7 }, { 0x48, 5 },
	{ 0x4c, 0 }, { 0x4c, 1 }, { 0x4c, 2 }, { 0x4c, 3 }, { 0x4c, 4 }, { 0x4c, 5 }, { 0x4c, 6 }, { 0x4c, 7 },
};

static void put(uint8_t *g, size_t *n, const uint8_t *b, size_t len)
{
	memcpy(g + *n, b, len);
	*n += len;
}

/* Appends op, whose rip-relative operand is the save area's field at off. */
static void rip_rel(uint8_t *g, size_t *n, const uint8_t *op, size_t nop, size_t off)
{
	put(g, n, op, nop);
	int32_t d = (int32_t)(GADGET_AREA + off) - (int32_t)(*n + 4);
	put(g, n, (const uint8_t *)&d, 4);
}

void gadget_code(uint8_t g[GADGET_AREA])
{
	static const uint8_t mov_eax[] = { 0x8b, 0x05 }, sys[] = { 0x0f, 0x05 }, mov_rsp[] = { 0x48, 0x8b, 0x25 },
			     below[] = { 0x48, 0x8d, 0xa4, 0x24, 0x78, 0xff, 0xff, 0xff },   /* lea -136(%rsp),%rsp */
			     push[] = { 0xff, 0x35 }, popf[] = { 0x9d },
			     above[] = { 0x48, 0x8d, 0xa4, 0x24, 0x88, 0x00, 0x00, 0x00 },   /* lea 136(%rsp),%rsp */
			     jmp[] = { 0xff, 0x25 };
	size_t n = 0;
	memset(g, 0xcc, GADGET_AREA);
	rip_rel(g, &n, mov_eax, sizeof(mov_eax), offsetof(struct gadget_area, nr));
	put(g, &n, sys, sizeof(sys));
	rip_rel(g, &n, mov_rsp, sizeof(mov_rsp), offsetof(struct gadget_area, rsp));
	put(g, &n, below, sizeof(below));
	rip_rel(g, &n, push, sizeof(push), offsetof(struct gadget_area, flags));
	put(g, &n, popf, sizeof(popf));
	put(g, &n, above, sizeof(above));
	for (int i = 0; i < 15; i++) {
		const uint8_t mov[3] = { regs[i][0], 0x8b, (uint8_t)(regs[i][1] << 3 | 5) };   /* mov disp32(%rip),reg */
		rip_rel(g, &n, mov, sizeof(mov), offsetof(struct gadget_area, gpr) + 8 * (size_t)i);
	}
	rip_rel(g, &n, jmp, sizeof(jmp), offsetof(struct gadget_area, rip));
}
