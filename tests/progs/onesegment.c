/* onesegment: built by its test with -z noseparate-code, so that its constants share the R+X
 * segment with its code. Some of those bytes decode as calls into the constants themselves; the
 * program prints their checksum, which a breakpoint planted among them would change. */
#include <stdio.h>
#include "t.h"

#define NOPS 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90
#define CALL_AHEAD 0xe8, 0x0b, 0x00, 0x00, 0x00   /* call .+16: into this table */

static const unsigned char table[] = {
	NOPS, CALL_AHEAD, NOPS, CALL_AHEAD, NOPS, CALL_AHEAD, NOPS, CALL_AHEAD, NOPS,
};

T_FN static unsigned checksum(const unsigned char *p, unsigned n)
{
	unsigned s = 0;
	for (unsigned i = 0; i < n; i++)
		s = s * 31 + p[i];
	return s;
}

T_FN static unsigned twice(unsigned x)
{
	T_KEEP(x);
	return 2 * x;
}

int main(void)
{
	printf("%u\n", twice(checksum(table, sizeof(table))));
	return 0;
}
