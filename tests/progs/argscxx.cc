/* argscxx: C++ arguments fntrace shows (tests/e2e/test_args.py): `this`, a reference, an enum
 * class, a bool, a method returning a double. */
#include <cstdio>
#include "t.h"

enum class Mode { Slow = 1, Fast = 2 };

struct Counter {
	long total = 0;
	T_FN long add(long n, const long &by, Mode m, bool twice);
	T_FN double ratio(double d) const;
};

long Counter::add(long n, const long &by, Mode m, bool twice)
{
	total += n * by * (m == Mode::Fast ? 2 : 1) * (twice ? 2 : 1);
	return total;
}

double Counter::ratio(double d) const
{
	return total / d;
}

int main()
{
	Counter c;
	long by = 3;
	c.add(2, by, Mode::Fast, true);
	std::printf("%ld %g\n", c.total, c.ratio(4.0));
	return 0;
}
