/* The bundled example: main calls func1 (prints "A"), func3, func2 (prints "B"), func2, func3. */
#include <stdio.h>

__attribute__((noinline)) void func1(void)
{
	printf("A\n");
}

__attribute__((noinline)) void func2(void)
{
	printf("B\n");
}

__attribute__((noinline)) void func3(void)
{
	__asm__ volatile("");
}

int main(void)
{
	func1();
	func3();
	func2();
	func2();
	func3();
	return 0;
}
