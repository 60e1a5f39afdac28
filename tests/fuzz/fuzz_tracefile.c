/* fuzz_tracefile: libFuzzer harness for `fntrace -r FILE`: the trace-file reader, replayed through
 * the sink into every formatter (output to /dev/null), and once with -D and a read-time filter. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "view/view.h"
#include "rec/funcs.h"
#include "rec/sink.h"
#include "rec/tracefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void replay(const char *path, enum view_format format, unsigned depth, char **include, char **exclude)
{
	static struct view_config oc;
	oc = (struct view_config){ .format = format, .path = "/dev/null", .per_thread = depth > 0,
				  .per_process = depth > 0 };
	char err[512];
	struct tracefile *tf = tracefile_open(path, err, sizeof(err));
	if (!tf)
		return;
	view_open(&oc);
	sink_setup(view_event, depth);
	tracefile_replay(tf, include, exclude, err, sizeof(err));
	view_close();
	tracefile_close(tf);
	funcs_reset();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("fuzz_tracefile", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	for (int f = VIEW_GRAPH; f <= VIEW_SVG; f++)
		replay(path, (enum view_format)f, 0, NULL, NULL);
	char *inc[] = { "*a*", NULL }, *exc[] = { "*b*", NULL };
	replay(path, VIEW_GRAPH, 3, inc, exc);
	replay(path, VIEW_SUMMARY, 2, NULL, exc);
	return 0;
}
