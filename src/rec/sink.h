/* sink: the junction every event passes through on its way to the formatter. */
#ifndef FNTRACE_SINK_H
#define FNTRACE_SINK_H

#include "event.h"

/* Sends events to fn, dropping entries and exits nested deeper than max_depth (0: no limit). */
void sink_setup(void (*fn)(const struct event *ev), unsigned max_depth);

#endif
