/* demangle: C++ (Itanium) and Rust (legacy and v0) symbol names as people write them. */
#ifndef FNTRACE_DEMANGLE_H
#define FNTRACE_DEMANGLE_H

/* Returns the demangled name without parameter lists ("ns::Class::method",
 * "std::vector<int>::push_back", "crate::module::fn"), malloc'd, or NULL if name is not mangled. */
char *demangle(const char *name);

#endif
