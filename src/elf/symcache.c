/* symcache: ELF files' symbol tables, read once and shared. */
#include "symcache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define IDLE_MAX 16   /* files no module uses any more, kept for the next exec of them */

struct symfile {
	struct symtab st;        /* first: a symtab pointer is its symfile's */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	bool discovered;         /* symtab_discover has run on it */
	unsigned refs;           /* modules using it */
	struct symfile *next;
};

static struct symfile *files;   /* most recently put back or read first */

static bool same_file(const struct symfile *f, const struct stat *sb)
{
	return f->dev == sb->st_dev && f->ino == sb->st_ino && f->size == sb->st_size &&
	       f->mtime.tv_sec == sb->st_mtim.tv_sec && f->mtime.tv_nsec == sb->st_mtim.tv_nsec;
}

/* Frees the idle files beyond the first IDLE_MAX. */
static void trim(void)
{
	size_t idle = 0;
	for (struct symfile **pf = &files; *pf;) {
		struct symfile *f = *pf;
		if (f->refs || ++idle <= IDLE_MAX) {
			pf = &f->next;
			continue;
		}
		*pf = f->next;
		symtab_free(&f->st);
		free(f);
	}
}

struct symtab *symcache_get(const char *path, char *err, size_t errlen)
{
	struct stat sb;
	struct symfile *f;
	if (stat(path, &sb)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (f = files; f && !same_file(f, &sb); f = f->next)
		;
	if (!f) {
		f = xcalloc(1, sizeof(*f));
		if (symtab_load(path, &f->st, err, errlen)) {
			free(f);
			return NULL;
		}
		f->dev = sb.st_dev;
		f->ino = sb.st_ino;
		f->size = sb.st_size;
		f->mtime = sb.st_mtim;
		f->next = files;
		files = f;
	}
	f->refs++;
	return &f->st;
}

void symcache_discover(struct symtab *st)
{
	struct symfile *f = (struct symfile *)st;
	if (!f->discovered) {
		symtab_discover(st);
		f->discovered = true;
	}
}

void symcache_put(struct symtab *st)
{
	struct symfile *put = (struct symfile *)st, **pf;
	for (pf = &files; *pf && *pf != put; pf = &(*pf)->next)
		;
	if (!*pf || !put->refs)
		return;
	put->refs--;
	*pf = put->next;   /* to the front: the last ones used are the ones kept */
	put->next = files;
	files = put;
	trim();
}

size_t symcache_idle(void)
{
	size_t n = 0;
	for (const struct symfile *f = files; f; f = f->next)
		n += !f->refs;
	return n;
}
