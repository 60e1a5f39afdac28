/* libcalls: calls into the C library, one of them calling back into the program (qsort), and
 * one into a test library whose internal functions -l can show. argv[1] "dl" also loads a
 * plugin with dlopen, unloads it, loads a big library and loads the plugin again. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "t.h"

int lib_api(int x);

T_FN int t_cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

T_FN void t_sort(void)
{
	int v[3] = { 3, 1, 2 };
	qsort(v, 3, sizeof(v[0]), t_cmp);
	printf("%d %d %d\n", v[0], v[1], v[2]);
}

/* strlen and strcmp are IFUNCs in glibc: the call lands in an implementation chosen at load time. */
T_FN int t_strings(const char *s)
{
	volatile size_t n = strlen(s);
	return (int)n + (strcmp(s, "start") == 0);
}

T_FN int t_plugin(const char *path)
{
	void *h = dlopen(path, RTLD_NOW);
	if (!h) {
		printf("dlopen: %s\n", dlerror());
		return -1;
	}
	int (*fn)(int) = (int (*)(int))dlsym(h, "plug_fn");
	int r = fn(1);
	dlclose(h);
	return r;
}

int main(int argc, char **argv)
{
	puts("start");
	printf("strings %d\n", t_strings("start"));
	t_sort();
	printf("lib %d\n", lib_api(20));
	if (argc > 1 && !strcmp(argv[1], "dl")) {
		char path[4096];
		snprintf(path, sizeof(path), "%s", argv[0]);
		*strrchr(path, '/') = 0;
		strcat(path, "/libplug.so");
		printf("plug %d\n", t_plugin(path));
		void *big = dlopen("libm.so.6", RTLD_NOW);   /* takes the address space the plugin had */
		printf("plug %d\n", t_plugin(path));
		if (big)
			dlclose(big);
	}
	return 0;
}
