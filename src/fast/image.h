/* fast/image: the bytes of one ELF file that the window checker reads, at link-time addresses:
 * its allocated sections (code, read-only data, .eh_frame, .gcc_except_table) and the addresses
 * its relocations store into data. Read from the file, never from a process. */
#ifndef FNTRACE_FAST_IMAGE_H
#define FNTRACE_FAST_IMAGE_H

#include <stdbool.h>
#include "../util/util.h"

struct fast_sec {
	taddr_t addr;
	size_t size;
	uint8_t *bytes;      /* owned by the image; NULL for SHT_NOBITS (.bss) */
	bool exec;           /* SHF_EXECINSTR: code */
	char *name;
};

struct fast_image {
	struct fast_sec *secs;   /* SHF_ALLOC sections, sorted by addr */
	size_t nsecs;
	taddr_t *relptrs;        /* link-time addresses that dynamic relocations store (RELATIVE and
				  * IRELATIVE addends, absolute symbol values): pointers into code */
	size_t nrelptrs;
};

/* Reads path. Returns 0, or -1 with a one-line reason in err. */
int fast_image_load(const char *path, struct fast_image *im, char *err, size_t errlen);
void fast_image_free(struct fast_image *im);

/* The bytes at link-time [addr, addr+len) if one section holds them all, else NULL. Owned by
 * the image. */
const uint8_t *fast_image_bytes(const struct fast_image *im, taddr_t addr, size_t len);
/* The section holding addr, or NULL. */
const struct fast_sec *fast_image_sec(const struct fast_image *im, taddr_t addr);
/* The section named name, or NULL. */
const struct fast_sec *fast_image_named(const struct fast_image *im, const char *name);
/* Whether addr lies in code. */
bool fast_image_in_code(const struct fast_image *im, taddr_t addr);

#endif
