/* fuzz_elf: libFuzzer harness for what fntrace reads of an ELF file at an exec stop: symtab_load,
 * then the stripped-binary discovery (forced, so every input reaches it), then the names as
 * bp.c registers them (demangled, escaped); and the file read as its own separate debug file
 * (symtab_read_debug). No ptrace. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf/demangle.h"
#include "elf/symtab.h"
#include "rec/funcs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("fuzz_elf", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	struct symtab st;
	char err[512];
	if (symtab_load(path, &st, err, sizeof(err)))
		return 0;
	st.stripped = true;   /* discovery must cope with any file, symbols or not */
	symtab_discover(&st);
	for (size_t i = 0; i < st.nfuncs; i++) {
		char *dem = demangle(st.funcs[i].name);
		funcs_add(dem ? dem : st.funcs[i].name, st.funcs[i].addr);
		free(dem);
		symtab_at(&st, st.funcs[i].addr);
	}
	for (size_t i = 0; i < st.nifuncs; i++)
		funcs_add(st.ifuncs[i].name, st.ifuncs[i].addr);
	symtab_free(&st);
	funcs_reset();
	if (symtab_load(path, &st, err, sizeof(err)))
		return 0;
	symtab_read_debug(&st, fd, path);
	for (size_t i = 0; i < st.nfuncs; i++)
		symtab_at(&st, st.funcs[i].addr);
	symtab_free(&st);
	return 0;
}
