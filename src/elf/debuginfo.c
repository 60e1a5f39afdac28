/* debuginfo: separate debug files, found with libdwfl's standard lookup. */
#include "debuginfo.h"

#include "../util/util.h"

#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char *search_path;   /* NULL: libdwfl's default */

void debuginfo_set_path(char *path)
{
	search_path = path;
}

int debuginfo_open(const char *path, const char *name, char **found)
{
	static const Dwfl_Callbacks cb = {
		.find_debuginfo = dwfl_standard_find_debuginfo,
		.debuginfo_path = &search_path,
	};
	*found = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), dfd = -1;
	if (fd < 0)
		return -1;
	Dwfl *dwfl = dwfl_begin(&cb);
	if (!dwfl) {
		close(fd);
		return -1;
	}
	/* The module owns fd from here. Reported under its real name: the debuglink search looks
	 * in that file's directory (path may be /proc/PID/exe). Asking for its symbol table makes
	 * libdwfl look for the debug file (the file itself has no .symtab) with the callback above,
	 * and that is all it needs to read: not the DWARF, which Debian compresses. */
	Dwfl_Module *mod = dwfl_report_offline(dwfl, name, name, fd);
	dwfl_report_end(dwfl, NULL, NULL);
	const char *debug = NULL;
	if (mod && dwfl_module_getsymtab(mod) >= 0)
		dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, &debug);
	struct stat sb;
	if (debug && (dfd = open(debug, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) >= 0) {
		if (!fstat(dfd, &sb) && S_ISREG(sb.st_mode)) {
			*found = xstrdup(debug);
		} else {
			close(dfd);
			dfd = -1;
		}
	}
	dwfl_end(dwfl);
	return dfd;
}
