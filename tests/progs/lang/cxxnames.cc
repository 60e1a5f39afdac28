// cxxnames: namespaces, classes, templates and overloads, for demangled C++ names.
#include <cstdio>
#include <vector>

namespace geo {
template <typename T> struct Box {
	T w, h;
	__attribute__((noinline)) T area() const { return w * h; }
};

template <typename T> __attribute__((noinline)) T twice(T x) { return x + x; }

__attribute__((noinline)) int scale(int x) { return x * 10; }
__attribute__((noinline)) double scale(double x) { return x * 10; }
}

int main()
{
	geo::Box<int> b{ 3, 4 };
	std::vector<int> v;
	v.push_back(geo::twice(b.area()));
	v.push_back(geo::scale(1));
	std::printf("%d %d %.1f %ld\n", v[0], v[1], geo::scale(0.5), geo::twice(21L));
	return 0;
}
