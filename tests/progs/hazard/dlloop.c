/* dlloop: dlopen, call and dlclose a plugin N times (argv[2]; the plugin's path is argv[1]),
 * so that it is mapped and unmapped again and again, usually at the same address. Prints the
 * sum of what plug_fn returned. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include "../t.h"

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	long sum = 0;
	for (int i = 0; i < atoi(argv[2]); i++) {
		void *h = dlopen(argv[1], RTLD_NOW);
		int (*fn)(int) = h ? (int (*)(int))dlsym(h, "plug_fn") : NULL;
		if (!fn) {
			fprintf(stderr, "dlloop: %s\n", dlerror());
			return 1;
		}
		sum += fn(i);
		dlclose(h);
	}
	printf("sum %ld\n", sum);
	return 0;
}
