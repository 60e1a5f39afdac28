/* readin: an interactive program: reads lines from stdin and answers each one. */
#include <stdio.h>
#include <string.h>
#include "t.h"

T_FN void t_answer(const char *line)
{
	printf("you said: %s", line);
	fflush(stdout);
}

int main(void)
{
	char buf[256];
	printf("> ");
	fflush(stdout);
	while (fgets(buf, sizeof(buf), stdin)) {
		if (!strcmp(buf, "quit\n"))
			return 3;
		t_answer(buf);
		printf("> ");
		fflush(stdout);
	}
	return 0;
}
