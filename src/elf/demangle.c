/* demangle: libiberty does the work (the same demangler as c++filt and GDB). */
#include "demangle.h"

#include <libiberty/demangle.h>
#include <string.h>

char *demangle(const char *name)
{
	if (strncmp(name, "_Z", 2) && strncmp(name, "_R", 2))
		return NULL;
	/* No DMGL_PARAMS: the graph shows name(), like uftrace; overloads share a name. */
	return cplus_demangle(name, DMGL_AUTO | DMGL_ANSI);
}
