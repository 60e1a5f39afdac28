/* fast/lsda: the exception landing pads of a module, from .eh_frame and .gcc_except_table.
 * A landing pad is where the unwinder resumes a function (a catch, or a cleanup): a branch
 * target that no instruction in the code names, so a patch window must never cover one. */
#ifndef FNTRACE_FAST_LSDA_H
#define FNTRACE_FAST_LSDA_H

#include "image.h"

struct lsda_out {
	/* A landing pad (link-time address). */
	void (*pad)(taddr_t pad, void *arg);
	/* Code whose landing pads could not all be read: [lo, hi) of an FDE whose LSDA is
	 * malformed, or lo = 0 and hi = ~0 if .eh_frame itself could not be walked. */
	void (*unsure)(taddr_t lo, taddr_t hi, void *arg);
	void *arg;
};

/* Walks every FDE of im's .eh_frame and every call-site table its LSDA points at. Returns the
 * number of FDEs that had an LSDA. */
size_t lsda_pads(const struct fast_image *im, const struct lsda_out *out);

#endif
