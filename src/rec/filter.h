/* filter: which calls reach the views: the subtree filters (-F, -N), the thread and process
 * filters (--tid, --pid-filter). */
#ifndef FNTRACE_FILTER_H
#define FNTRACE_FILTER_H

#include <stdbool.h>

#include "event.h"

/* Shows only the calls made inside a function matching a glob of only (-F), the function
 * included, and none inside a function matching a glob of hide (-N), the function included.
 * Both NULL-terminated, or NULL for no such filter. The globs are kept, not copied. */
void filter_setup(char **only, char **hide);
/* Shows only the events of the threads tids (ntids of them) and of the processes pids, each
 * list ignored if empty; a process's end is shown if some event of it was. Kept, not copied. */
void filter_ids(const int *tids, int ntids, const int *pids, int npids);
/* Names each id of filter_ids that no event was of (a typo, or the wrong file). */
void filter_warn_unseen(void);
/* Whether a subtree filter is set: then the exits are needed to know where subtrees end. */
bool filter_active(void);
/* Whether filter_event hands every event on as it is, at once: no subtree, thread, process or
 * time filter, no -T, no -C. Valid once the options are set up. */
bool filter_none(void);
/* Hands ev to emit as the views should see it (its depth counted from the outermost call -F
 * shows), later (the time filters hold entries back), or never. Events must come well nested
 * per thread, as event.h promises: the filters keep each thread's state from them. */
void filter_event(const struct event *ev, void (*emit)(const struct event *ev));

#endif
