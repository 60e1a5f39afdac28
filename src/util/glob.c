/* glob: matching the user's globs, and noting which matched something, so that a glob that
 * matched nothing can be reported at the end (a typo in -i otherwise looks like no calls). */
#include "glob.h"
#include "addrmap.h"

#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct addrmap used;   /* the address of each glob that matched -> 1 */

bool glob_any(char **globs, const char *name)
{
	bool any = false;
	for (; globs && *globs; globs++) {
		taddr_t key = (taddr_t)(uintptr_t)*globs;
		bool seen = addrmap_get(&used, key) != NULL;
		if (any && seen)
			continue;   /* the answer is known, and so is this glob */
		if (!fnmatch(*globs, name, 0)) {
			any = true;
			if (!seen)
				addrmap_put(&used, key, (void *)1);
		}
	}
	return any;
}

bool glob_any_func(char **globs, const char *name)
{
	if (!globs)
		return false;
	const char *at = strrchr(name, '@');
	if (!at || at == name)
		return glob_any(globs, name);
	char *bare = strndup(name, (size_t)(at - name));
	bool any = glob_any(globs, name) | (bare && glob_any(globs, bare));   /* both noted as used */
	free(bare);
	return any;
}

const char *glob_unused(char **globs, size_t *i)
{
	for (; globs && globs[*i]; (*i)++)
		if (!addrmap_get(&used, (taddr_t)(uintptr_t)globs[*i]))
			return globs[(*i)++];
	return NULL;
}
