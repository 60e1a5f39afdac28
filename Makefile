# fntrace: GNU Make with pkg-config. `make`, `make check`, `make install PREFIX=...`.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man/man1
VERSION := 0.1.0

CC ?= cc
PKGS := libelf libdw
# Zydis ships no pkg-config file on Debian 12: fall back to plain -l flags.
ZYDIS_LIBS := $(shell pkg-config --libs zydis 2>/dev/null || echo -lZydis -lZycore)
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Wshadow -Wno-unused-parameter -D_GNU_SOURCE \
	  -DFNTRACE_VERSION='"$(VERSION)"' $(shell pkg-config --cflags $(PKGS))
LDLIBS += $(shell pkg-config --libs $(PKGS)) $(ZYDIS_LIBS) -liberty -pthread
# ncurses, for the interactive view (--tui) alone: its flags (_XOPEN_SOURCE...) go to tui.c only.
LDLIBS += $(shell pkg-config --libs ncursesw)
build/src/view/tui.o build/san/src/view/tui.o: CFLAGS += $(shell pkg-config --cflags ncursesw)

SRCS := $(wildcard src/*.c src/*/*.c src/*/*/*.c)
# Data built into fntrace with .incbin (src/args/protos_data.S: the prototype list).
ASM_SRCS := $(wildcard src/*/*.S)
OBJS := $(SRCS:%.c=build/%.o) $(ASM_SRCS:%.S=build/%.o)
LIB_OBJS := $(filter-out build/src/main.o,$(OBJS))

all: fntrace

fntrace: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

build/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

build/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) -c -o $@ $<

# .incbin is no #include: the compiler's -MMD does not see the file it reads.
build/src/args/protos_data.o build/san/src/args/protos_data.o: src/args/protos.list

-include $(OBJS:.o=.d)

# The fast path's coverage of ELF files, read offline (bench/README.md, "Coverage").
bench/build/fastcov: bench/fastcov.c $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Isrc -o $@ $^ $(LDLIBS)

include tests/tests.mk
include tests/progs.mk

PYTEST ?= /usr/bin/python3 -m pytest

# The bundled example, built plainly, and traced.
examples/abc: examples/abc.c
	$(CC) -O0 -g -o $@ $<

example: fntrace examples/abc
	./fntrace examples/abc

# The whole test suite: unit tests, then the end-to-end tests twice, two at a time (pytest-xdist):
# on the default path (the fast path where it applies), then on the int3 path alone
# (FNTRACE_FAST=0: a smaller matrix of builds, and no test that chooses its path itself).
E2E_JOBS ?= 2
check: fntrace $(SAN_FNTRACE) test-progs check-unit
	$(PYTEST) -q -p no:cacheprovider -n $(E2E_JOBS) tests/e2e
	FNTRACE_FAST=0 $(PYTEST) -q -p no:cacheprovider -n $(E2E_JOBS) tests/e2e

install: fntrace
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)
	install -m 755 fntrace $(DESTDIR)$(BINDIR)/fntrace
	install -m 644 doc/fntrace.1 $(DESTDIR)$(MANDIR)/fntrace.1

clean:
	rm -rf build fntrace tests/build examples/abc

.PHONY: all example check install clean
