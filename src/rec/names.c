/* names: process and thread names, kept by id. */
#include "names.h"
#include "funcs.h"
#include "../util/addrmap.h"

#include <stdlib.h>
#include <string.h>

static struct addrmap procs, threads;
static char *command;
static void (*listener)(char kind, int32_t id, const char *name);

static char *escaped(const char *name)
{
	size_t len = strlen(name);
	char *esc = xmalloc(len * 4 + 8);
	funcs_escape(name, esc, len * 4 + 8);
	return esc;
}

static void set(struct addrmap *m, char kind, int32_t id, const char *name)
{
	char *esc = escaped(name);
	free(addrmap_del(m, (taddr_t)(uint32_t)id));
	addrmap_put(m, (taddr_t)(uint32_t)id, esc);
	if (listener)
		listener(kind, id, esc);
}

void names_process(int32_t pid, const char *name)
{
	set(&procs, 'p', pid, name);
}

void names_thread(int32_t tid, const char *name)
{
	set(&threads, 't', tid, name);
}

void names_command(const char *cmd)
{
	free(command);
	command = escaped(cmd);
	if (listener)
		listener('c', 0, command);
}

const char *names_of_command(void)
{
	return command;
}

const char *names_of_process(int32_t pid)
{
	return addrmap_get(&procs, (taddr_t)(uint32_t)pid);
}

const char *names_of_thread(int32_t tid)
{
	return addrmap_get(&threads, (taddr_t)(uint32_t)tid);
}

struct each {
	void (*fn)(char kind, int32_t id, const char *name, void *arg);
	void *arg;
	char kind;
};

static void each_one(taddr_t key, void *val, void *arg)
{
	struct each *e = arg;
	e->fn(e->kind, (int32_t)(uint32_t)key, val, e->arg);
}

void names_each(void (*fn)(char kind, int32_t id, const char *name, void *arg), void *arg)
{
	struct each e = { fn, arg, 'p' };
	addrmap_each(&procs, each_one, &e);
	e.kind = 't';
	addrmap_each(&threads, each_one, &e);
}

void names_listen(void (*fn)(char kind, int32_t id, const char *name))
{
	listener = fn;
}
