/* own.h: whether an address is the program's own code, as a handler or backtrace() must see
 * it: inside a file-backed executable mapping (the executable, a library) or the vDSO, never
 * an anonymous one (a tracer's trampolines). The mappings are read once, before the checks. */
#ifndef OWN_H
#define OWN_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define OWN_MAX 64
static uintptr_t own_lo[OWN_MAX], own_hi[OWN_MAX];
static int own_n;

static void own_read(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	own_n = 0;
	while (f && own_n < OWN_MAX && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, off, ino;
		char perms[8], dev[16];
		int at = 0;
		if (sscanf(line, "%lx-%lx %7s %lx %15s %lu %n", &lo, &hi, perms, &off, dev, &ino, &at) < 6 ||
		    perms[2] != 'x')
			continue;
		const char *name = line + at;
		if (name[0] == '/' || !strncmp(name, "[vdso]", 6)) {
			own_lo[own_n] = lo;
			own_hi[own_n++] = hi;
		}
	}
	if (f)
		fclose(f);
}

/* Async-signal-safe. */
static int own_code(uintptr_t pc)
{
	for (int i = 0; i < own_n; i++)
		if (pc >= own_lo[i] && pc < own_hi[i])
			return 1;
	return 0;
}

#endif
