# The test programs, each built across the matrix: gcc and clang; non-PIE, PIE, static and
# static-pie; -O0 to -O3; with and without -fcf-protection (endbr64 prologues).
# Binaries land in tests/build/progs/<cc>-<link>-<opt>-<cf>/<prog>.

TPROG_C   := abc fib mutual tail longjmp exitdeep readin die kinds threads forks counter evil deep fasthaz hammer \
	     shortjmp coldtail attachee blocks lanemix evict
TPROG_CXX := throw
# The matrix programs are built in every variant (tests/e2e/test_core.py, test_stripped.py); the
# others only in the variants tests name (T_FEW_VARIANTS: conftest's SOME_VARIANTS and the builds
# tests ask for by name), since no test runs them elsewhere. A test that needs another build of
# one of them adds its variant here (prog() says which file is missing).
T_MATRIX_PROGS := abc fib mutual tail longjmp exitdeep kinds throw
T_FEW_VARIANTS := gcc-nopie-O0-nocf gcc-nopie-O0-cf gcc-nopie-O2-nocf gcc-nopie-O2-cf gcc-pie-O0-nocf gcc-pie-O0-cf \
		  gcc-pie-O2-nocf gcc-pie-O2-cf gcc-static-O2-nocf gcc-static-O3-nocf gcc-spie-O0-cf gcc-spie-O2-cf \
		  clang-nopie-O0-nocf clang-nopie-O1-nocf clang-nopie-O2-nocf clang-nopie-O2-cf clang-pie-O0-nocf \
		  clang-pie-O0-cf clang-pie-O2-nocf clang-pie-O2-cf clang-static-O0-cf clang-spie-O1-cf \
		  clang-spie-O2-nocf clang-spie-O2-cf
t_progs_of = $(T_MATRIX_PROGS) $(if $(filter $(1),$(T_FEW_VARIANTS)),$(filter-out $(T_MATRIX_PROGS),$(TPROG_C) $(TPROG_CXX)))
T_CCS     := gcc clang
T_LINKS   := nopie pie static spie
T_OPTS    := O0 O1 O2 O3
T_CFS     := cf nocf

t_link_nopie  := -no-pie -fno-pie
t_link_pie    := -pie -fPIE
t_link_static := -static -no-pie -fno-pie
t_link_spie   := -static-pie -fPIE
t_cf_cf       := -fcf-protection=full
t_cf_nocf     := -fcf-protection=none
t_cxx_gcc     := g++
t_cxx_clang   := clang++
t_src_abc     := examples/abc.c

T_VARIANTS := $(foreach c,$(T_CCS),$(foreach l,$(T_LINKS),$(foreach o,$(T_OPTS),$(foreach f,$(T_CFS),$(c)-$(l)-$(o)-$(f)))))
T_BIN := tests/build/progs

# $(1) = variant, $(2) = program, $(3) = compiler, $(4) = link, $(5) = opt, $(6) = cf
define t_prog_rule
$(T_BIN)/$(1)/$(2): $(or $(t_src_$(2)),$(wildcard tests/progs/$(2).c tests/progs/$(2).cc)) tests/progs/t.h
	@mkdir -p $$(dir $$@)
	@$(if $(filter $(2),$(TPROG_CXX)),$(t_cxx_$(3)),$(3)) -g -$(5) $(t_link_$(4)) $(t_cf_$(6)) -Itests/progs -pthread -w -o $$@ $$<
T_ALL_PROGS += $(T_BIN)/$(1)/$(2)
endef

$(foreach v,$(T_VARIANTS),$(foreach p,$(call t_progs_of,$(v)),\
	$(eval $(call t_prog_rule,$(v),$(p),$(word 1,$(subst -, ,$(v))),$(word 2,$(subst -, ,$(v))),$(word 3,$(subst -, ,$(v))),$(word 4,$(subst -, ,$(v)))))))

# Every build again, stripped: fntrace must find the same functions without their names.
define t_strip_rule
$(T_BIN)/$(1)/$(2).stripped: $(T_BIN)/$(1)/$(2)
	@strip -o $$@ $$<
T_ALL_PROGS += $(T_BIN)/$(1)/$(2).stripped
endef
$(foreach v,$(T_VARIANTS),$(foreach p,$(call t_progs_of,$(v)),$(eval $(call t_strip_rule,$(v),$(p)))))

# Helpers that are not traced themselves.
$(T_BIN)/noptrace: tests/progs/noptrace.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -o $@ $<
T_ALL_PROGS += $(T_BIN)/noptrace


# Library calls: the same program bound lazily, with -z now, and without a PLT (-fno-plt), by
# both compilers, linked with a test library and able to dlopen a plugin.
T_LIBDIR := $(T_BIN)/libcalls
T_LIBCALL_FLAVOURS := $(foreach c,gcc clang,$(c)-lazy $(c)-now $(c)-noplt)
t_bind_lazy  :=
t_bind_now   := -Wl,-z,now
t_bind_noplt := -fno-plt -Wl,-z,now

$(T_LIBDIR)/libfnt.so: tests/progs/lib/fnt.c tests/progs/t.h
	@mkdir -p $(dir $@)
	@gcc -O2 -g -shared -fPIC -Wl,-soname,libfnt.so -o $@ $<
$(T_LIBDIR)/libplug.so: tests/progs/lib/plug.c tests/progs/t.h
	@mkdir -p $(dir $@)
	@gcc -O2 -g -shared -fPIC -Wl,-soname,libplug.so -o $@ $<

define t_libcall_rule
$(T_LIBDIR)/$(1): tests/progs/libcalls.c tests/progs/t.h $(T_LIBDIR)/libfnt.so $(T_LIBDIR)/libplug.so
	@$(word 1,$(subst -, ,$(1))) -O2 -g -fno-builtin $(t_bind_$(word 2,$(subst -, ,$(1)))) -Itests/progs -w -o $$@ $$< \
		-L$(T_LIBDIR) -lfnt -Wl,-rpath,'$$$$ORIGIN' -ldl
T_ALL_PROGS += $(T_LIBDIR)/$(1)
endef
$(foreach f,$(T_LIBCALL_FLAVOURS),$(eval $(call t_libcall_rule,$(f))))

# A program slower than its reader (live output), built once.
$(T_BIN)/slowcall: tests/progs/slowcall.c tests/progs/t.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -no-pie -fno-pie -Itests/progs -Wall -Wextra -o $@ $<
T_ALL_PROGS += $(T_BIN)/slowcall

# Separate debug files: a stripped program and library, their debug files kept apart in
# debuginfo/keep/ (objcopy --only-keep-debug, where no lookup finds them), for test_names.py to
# install under a .build-id/ directory or link with .gnu_debuglink.
T_DBGDIR := $(T_BIN)/debuginfo
$(T_DBGDIR)/libdbgdemo.so: tests/progs/lib/dbgdemo.c tests/progs/t.h
	@mkdir -p $(dir $@)keep
	@gcc -O2 -g -shared -fPIC -Wl,--build-id -Wl,-soname,libdbgdemo.so -o $@.full $<
	@objcopy --only-keep-debug $@.full $(dir $@)keep/libdbgdemo.so.debug
	@strip -o $@ $@.full && rm $@.full
$(T_DBGDIR)/dbgdemo: tests/progs/dbgdemo.c tests/progs/t.h $(T_DBGDIR)/libdbgdemo.so
	@gcc -O2 -g -Wl,--build-id -Itests/progs -o $@.full $< -L$(T_DBGDIR) -ldbgdemo -Wl,-rpath,'$$ORIGIN'
	@objcopy --only-keep-debug $@.full $(dir $@)keep/dbgdemo.debug
	@strip -o $@ $@.full && rm $@.full
T_ALL_PROGS += $(T_DBGDIR)/libdbgdemo.so $(T_DBGDIR)/dbgdemo

# Programs that fight back (tests/e2e/test_fightback.py): their own SIGTRAP setup, and code they
# change after start. selfmod patches mov $1,%eax at one()'s first byte: -O2, no endbr64.
T_FIGHT := $(T_BIN)/fightback
t_fight_O0     := -O0 -fcf-protection=none
t_fight_O2     := -O2 -fcf-protection=none
t_fight_cf     := -O2 -fcf-protection=full
t_fight_static := -O2 -fcf-protection=none -static
t_fight_nopie  := -O2 -fcf-protection=none -no-pie -fno-pie
$(T_FIGHT)/sigtrap-%: tests/progs/fightback/sigtrap.c tests/progs/t.h
	@mkdir -p $(dir $@)
	@gcc $(t_fight_$*) -g -Wall -Wextra -o $@ $< -lpthread
$(T_FIGHT)/siginfo-%: tests/progs/fightback/siginfo.c tests/progs/t.h
	@mkdir -p $(dir $@)
	@gcc $(t_fight_$*) -g -Wall -Wextra -o $@ $<
$(T_FIGHT)/selfmod-%: tests/progs/fightback/selfmod.c tests/progs/t.h
	@mkdir -p $(dir $@)
	@gcc $(t_fight_$*) -g -Wall -Wextra -o $@ $<
T_ALL_PROGS += $(foreach v,O0 O2 cf static,$(T_FIGHT)/sigtrap-$(v)) $(foreach v,O2 nopie static,$(T_FIGHT)/selfmod-$(v)) \
	       $(foreach v,O2 static,$(T_FIGHT)/siginfo-$(v))

# A program that fights back (seccomp, a rewritten loader list), linked with the test library.
$(T_LIBDIR)/hostile: tests/progs/hostile.c tests/progs/t.h $(T_LIBDIR)/libfnt.so
	@gcc -O2 -g -Itests/progs -w -o $@ $< -L$(T_LIBDIR) -lfnt -Wl,-rpath,'$$ORIGIN'
T_ALL_PROGS += $(T_LIBDIR)/hostile

# An IFUNC whose resolver must run only when the loader runs it (at the first call: lazy binding).
$(T_LIBDIR)/libifn.so: tests/progs/lib/ifn.c
	@mkdir -p $(dir $@)
	@gcc -O2 -g -shared -fPIC -Wl,-soname,libifn.so -o $@ $<
$(T_LIBDIR)/ifunc: tests/progs/ifunc.c $(T_LIBDIR)/libifn.so
	@gcc -O2 -g -fno-builtin -Wl,-z,lazy -w -o $@ $< -L$(T_LIBDIR) -lifn -Wl,-rpath,'$$ORIGIN'
T_ALL_PROGS += $(T_LIBDIR)/libifn.so $(T_LIBDIR)/ifunc

# A constant naming code without call frame information, stripped (test_crash.py): in the middle
# of an instruction (a non-PIE program's mov $nofde+16), and at an instruction's start (a PIE's,
# built twice: the first link gives nofde's address, the second writes it; the layout is the same).
T_CRASHDIR := $(T_BIN)/crash
$(T_CRASHDIR)/midinsn-nopie: tests/progs/midinsn.S
	@mkdir -p $(dir $@)
	@gcc -no-pie -fno-pie -o $@.full $<
	@strip -o $@ $@.full && rm $@.full
$(T_CRASHDIR)/midinsn-pie: tests/progs/midinsn.S
	@mkdir -p $(dir $@)
	@gcc -pie -fPIE -DNOFDE_CONST=0 -o $@.full $<
	@gcc -pie -fPIE -DNOFDE_CONST=$$(printf '%#x' $$((0x$$(nm $@.full | awk '$$3 == "nofde" { print $$1 }') + 16))) -o $@.full $<
	@strip -o $@ $@.full && rm $@.full
T_ALL_PROGS += $(T_CRASHDIR)/midinsn-nopie $(T_CRASHDIR)/midinsn-pie

# The fast path's hazards (tests/e2e/test_fast_hazards.py): signals and faults checked from their
# handlers, exceptions and return addresses, non-local jumps and coroutines, int3 and fast
# functions calling each other, a timed sleep and a dlopen loop (dynamic only), in a few variants
# (each link mode, both compilers, endbr64 or not), the first one stripped too; and a static
# musl program, which stays on int3.
T_HAZDIR := $(T_BIN)/hazard
T_HAZ_PROGS := sigpc eh ctx mixed churn sleep10 dlloop
T_HAZ_VARIANTS := gcc-pie-O2-cf clang-nopie-O0-nocf gcc-static-O2-nocf clang-spie-O1-cf
define t_haz_rule
$(T_HAZDIR)/$(1)/$(2): $(wildcard tests/progs/hazard/$(2).c tests/progs/hazard/$(2).cc) tests/progs/hazard/own.h tests/progs/t.h
	@mkdir -p $$(dir $$@)
	@$(if $(filter eh,$(2)),$(t_cxx_$(3)),$(3)) -g -$(5) $(t_link_$(4)) $(t_cf_$(6)) -pthread -w -o $$@ $$< -ldl
T_ALL_PROGS += $(T_HAZDIR)/$(1)/$(2)
endef
$(foreach v,$(T_HAZ_VARIANTS),$(foreach p,$(if $(filter static spie,$(word 2,$(subst -, ,$(v)))),$(filter-out dlloop,$(T_HAZ_PROGS)),$(T_HAZ_PROGS)),\
	$(eval $(call t_haz_rule,$(v),$(p),$(word 1,$(subst -, ,$(v))),$(word 2,$(subst -, ,$(v))),$(word 3,$(subst -, ,$(v))),$(word 4,$(subst -, ,$(v)))))))
$(foreach p,$(T_HAZ_PROGS),$(eval $(call t_strip_rule,hazard/gcc-pie-O2-cf,$(p))))
$(T_HAZDIR)/musl-static/sleep10: tests/progs/hazard/sleep10.c tests/progs/t.h
	@mkdir -p $(dir $@)
	@if command -v musl-gcc >/dev/null; then musl-gcc -static -O2 -g -w -o $@ $<; else echo "no musl-gcc: $@ not built"; fi
T_ALL_PROGS += $(T_HAZDIR)/musl-static/sleep10

# Arguments and return values (tests/e2e/test_args.py): with DWARF at -O0 and -O2 by both
# compilers, and without -g (only -A/-R specs name values there); the C++ program at -O0, -O2.
T_ARGSDIR := $(T_BIN)/args
$(T_ARGSDIR)/%-g: tests/progs/args.c tests/progs/t.h
	@mkdir -p $(dir $@)
	@$(word 1,$(subst -, ,$*)) -g -$(word 2,$(subst -, ,$*)) -fno-builtin -Itests/progs -w -o $@ $<
$(T_ARGSDIR)/%-nog: tests/progs/args.c tests/progs/t.h
	@mkdir -p $(dir $@)
	@$(word 1,$(subst -, ,$*)) -$(word 2,$(subst -, ,$*)) -fno-builtin -Itests/progs -w -o $@ $<
$(T_ARGSDIR)/cxx-%: tests/progs/argscxx.cc tests/progs/t.h
	@mkdir -p $(dir $@)
	@g++ -g -$* -Itests/progs -w -o $@ $<
$(T_ARGSDIR)/liberrctor.so: tests/progs/lib/errctor.c tests/progs/t.h
	@mkdir -p $(dir $@)
	@gcc -O2 -g -shared -fPIC -Wl,-soname,liberrctor.so -o $@ $<
$(T_ARGSDIR)/errctor: tests/progs/errctor.c $(T_ARGSDIR)/liberrctor.so
	@gcc -O2 -g -o $@ $< -L$(T_ARGSDIR) -lerrctor -Wl,-rpath,'$$ORIGIN'
T_ALL_PROGS += $(foreach v,gcc-O0 gcc-O2 clang-O0 clang-O2,$(T_ARGSDIR)/$(v)-g) $(T_ARGSDIR)/gcc-O2-nog \
	$(T_ARGSDIR)/cxx-O0 $(T_ARGSDIR)/cxx-O2 \
	$(T_ARGSDIR)/liberrctor.so $(T_ARGSDIR)/errctor

test-progs: $(T_ALL_PROGS)

.PHONY: test-progs



