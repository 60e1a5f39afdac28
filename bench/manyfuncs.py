#!/usr/bin/python3
"""Writes a C program with N functions (default 100000), for the breakpoint-planting benchmark:
main calls a handful of them, the rest only need breakpoints."""
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
out = [f"int f{i}(int x) {{ return x + {i}; }}" for i in range(n)]
out.append("int main(void) { return f0(0) + f1(-1); }")
print("\n".join(out))
