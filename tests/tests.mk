# tests: cmocka unit tests of the pure modules (no ptrace, no tracee). `make check-unit` (or
# `make unit`) builds every test into tests/build/unit/ and runs them all; it fails if one fails.

NM ?= nm
UNIT_DIR := tests/build/unit
UNIT_FIX := $(UNIT_DIR)/fixtures
UNIT_CFLAGS = $(CFLAGS) -Isrc $(shell pkg-config --cflags cmocka) -DUNIT_FIXTURES='"$(abspath $(UNIT_FIX))"'
UNIT_LIBS := $(shell pkg-config --libs cmocka)

# One test per module; each links only the objects of the module it tests (and util). What those
# call elsewhere the test defines itself: test_callstack records sink_event(), test_view_common has
# empty formatters.
UNIT_TESTS := insn scan symtab symcache callstack view_common view_summary stacks calltree funcs addrmap addrbits \
	      tracefile \
	      seccomp fast_window fast_evict fast_mapcache fast_tramp fast_clock args_proto args_format args_dwarf util profile gadget
# scan.c decodes with insn.c's shared Zydis decoder (insn_decoder): whatever links scan.o links insn.o.
SCAN_OBJS := build/src/arch/x86_64/scan.o build/src/arch/x86_64/insn.o
# Discovery goes through the disk cache (discache.c): whatever links discover.o links those too.
DISCOVER_OBJS := build/src/elf/discover.o build/src/elf/discache.o build/src/util/dcache.o build/src/util/hash.o
unit_objs_insn       := build/src/arch/x86_64/insn.o build/src/util/util.o
unit_objs_scan       := $(SCAN_OBJS) build/src/util/util.o
unit_objs_symtab     := build/src/elf/symtab.o $(DISCOVER_OBJS) $(SCAN_OBJS) build/src/util/util.o
unit_objs_symcache   := build/src/elf/symcache.o build/src/elf/symtab.o $(DISCOVER_OBJS) \
			build/src/elf/debuginfo.o $(SCAN_OBJS) build/src/util/util.o
unit_objs_callstack  := build/src/rec/callstack.o build/src/util/util.o
unit_objs_view_common := build/src/view/common.o build/src/rec/names.o build/src/rec/funcs.o build/src/util/addrmap.o \
			build/src/util/util.o
unit_objs_view_summary := build/src/view/summary.o $(unit_objs_view_common)
unit_objs_stacks     := build/src/view/stacks.o build/src/rec/funcs.o build/src/rec/names.o build/src/util/addrmap.o \
			build/src/util/util.o
unit_objs_calltree   := build/src/view/calltree.o build/src/util/addrmap.o build/src/util/util.o
unit_objs_funcs      := build/src/rec/funcs.o build/src/util/addrmap.o build/src/util/util.o
unit_objs_profile    := build/src/view/profile.o build/src/rec/funcs.o build/src/util/addrmap.o build/src/util/util.o
unit_objs_seccomp    := build/src/trace/seccomp.o build/src/util/util.o
unit_objs_gadget     := build/src/arch/x86_64/gadget.o
unit_objs_addrmap    := build/src/util/addrmap.o build/src/util/util.o
unit_objs_addrbits   := build/src/util/addrbits.o build/src/util/addrmap.o build/src/util/util.o
unit_objs_tracefile  := build/src/rec/tracefile.o build/src/rec/funcs.o build/src/rec/names.o build/src/util/glob.o \
			build/src/util/addrmap.o build/src/util/util.o
unit_objs_fast_window := build/src/fast/window.o build/src/fast/lsda.o build/src/fast/image.o \
			build/src/elf/symtab.o $(DISCOVER_OBJS) $(SCAN_OBJS) build/src/util/util.o
unit_objs_fast_tramp  := build/src/fast/tramp.o build/src/fast/reloc.o build/src/fast/evict.o $(unit_objs_fast_window) \
			$(UNIT_DIR)/fast_funcs.o
unit_objs_fast_mapcache := build/src/fast/mapfile.o $(unit_objs_fast_window)
unit_objs_fast_evict  := build/src/fast/evict.o $(unit_objs_fast_window)
unit_objs_fast_clock  := build/src/fast/clock.o build/src/util/util.o
ARGS_CORE := build/src/args/proto.o build/src/args/abi.o build/src/args/flags.o build/src/args/text.o \
	     build/src/util/util.o
unit_objs_args_proto  := build/src/args/protolist.o build/src/args/protos_data.o build/src/args/spec.o \
			build/src/args/format.o $(ARGS_CORE)
unit_objs_args_format := build/src/args/format.o build/src/args/protolist.o build/src/args/protos_data.o \
			$(ARGS_CORE)
unit_objs_args_dwarf  := build/src/args/dwarf.o build/src/elf/debuginfo.o build/src/args/format.o $(ARGS_CORE) \
			$(UNIT_DIR)/args_capture.o
unit_objs_util        := build/src/util/util.o

UNIT_BINS := $(UNIT_TESTS:%=$(UNIT_DIR)/test_%)

$(foreach t,$(UNIT_TESTS),$(eval $(UNIT_DIR)/test_$(t): $(unit_objs_$(t))))

$(UNIT_DIR)/test_%: tests/unit/test_%.c
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -MMD -MP -o $@ $< $(filter %.o,$^) $(UNIT_LIBS) $(LDLIBS)

-include $(UNIT_BINS:=.d)

# Programs test_symtab reads, each with the nm listing it checks addresses against.
UNIT_FIXTURES := $(UNIT_FIX)/funcs-O0-nopie $(UNIT_FIX)/funcs-O2-pie $(UNIT_FIX)/funcs-O2-static
ufix_flags_O0-nopie  := -O0 -no-pie -fno-pie
ufix_flags_O2-pie    := -O2 -pie -fPIE
ufix_flags_O2-static := -O2 -static -no-pie -fno-pie

$(UNIT_FIX)/funcs-%: tests/unit/fixtures/funcs.c tests/tests.mk
	@mkdir -p $(@D)
	$(CC) -g -fcf-protection $(ufix_flags_$*) -o $@ $<
	$(NM) --defined-only $@ > $@.nm
	strip -o $@.stripped $@
	objcopy --only-keep-debug $@ $@.debug

# More sections than ELF's 16-bit section numbers hold (extended numbering), one symbol each.
UNIT_FIXTURES += $(UNIT_FIX)/manysections
$(UNIT_FIX)/manysections: bench/manysections.py
	@mkdir -p $(@D)
	/usr/bin/python3 bench/manysections.py --compact 66000 $@

# The fast path's hazards, linked without libc as a PIE and not; a C++ program for its LSDAs; the
# functions test_fast_tramp patches in its own process.
UNIT_FIXTURES += $(UNIT_FIX)/fast_hazards-nopie $(UNIT_FIX)/fast_hazards-pie $(UNIT_FIX)/fast_eh $(UNIT_FIX)/fast_evict
$(UNIT_FIX)/fast_evict: tests/unit/fixtures/fast_evict.S
	@mkdir -p $(@D)
	$(CC) -nostdlib -static -no-pie -Wl,-e,ev_leaf -o $@ $<
$(UNIT_FIX)/fast_hazards-nopie: tests/unit/fixtures/fast_hazards.S
	@mkdir -p $(@D)
	$(CC) -nostdlib -static -no-pie -DHZ_NOPIE -Wl,-e,hz_ret -o $@ $<
$(UNIT_FIX)/fast_hazards-pie: tests/unit/fixtures/fast_hazards.S
	@mkdir -p $(@D)
	$(CC) -nostdlib -pie -fPIE -Wl,-e,hz_ret -o $@ $<
$(UNIT_FIX)/fast_eh: tests/unit/fixtures/fast_eh.cpp
	@mkdir -p $(@D)
	$(CXX) -O2 -g -o $@ $<
$(UNIT_DIR)/fast_funcs.o: tests/unit/fixtures/fast_funcs.S
	@mkdir -p $(@D)
	$(CC) -c -o $@ $<
$(UNIT_DIR)/args_capture.o: tests/unit/fixtures/args_capture.S
	@mkdir -p $(@D)
	$(CC) -c -o $@ $<

# Programs test_args_dwarf reads prototypes from, C and C++ at -O0 and -O2, with their nm listings;
# each also stripped, with its debug file under debugroot/.build-id/ as Debian installs them.
ARGS_FIXTURES := $(foreach p,args args_cpp,$(foreach o,O0 O2,$(UNIT_FIX)/$(p)-$(o)))
UNIT_FIXTURES += $(ARGS_FIXTURES)
define args_fixture
	@mkdir -p $(@D)
	$(1) -g -$* -o $@ $< tests/unit/fixtures/args_stub.S
	$(NM) --defined-only $@ > $@.nm
	strip -o $@.stripped $@
	objcopy --only-keep-debug $@ $@.debug
	id=$$(readelf -n $@ | sed -n 's/.*Build ID: //p'); d=$(UNIT_FIX)/debugroot/.build-id/$$(echo $$id | cut -c1-2); \
	mkdir -p $$d && cp $@.debug $$d/$$(echo $$id | cut -c3-).debug
endef
$(UNIT_FIX)/args-%: tests/unit/fixtures/args.c tests/unit/fixtures/args_stub.S tests/tests.mk
	$(call args_fixture,$(CC))
$(UNIT_FIX)/args_cpp-%: tests/unit/fixtures/args_cpp.cpp tests/unit/fixtures/args_stub.S tests/tests.mk
	$(call args_fixture,$(CXX))

check-unit: $(UNIT_BINS) $(UNIT_FIXTURES)
	@fail=0; for t in $(UNIT_BINS); do echo "== $$t"; ./$$t || fail=1; done; exit $$fail

unit: check-unit

clean-unit:
	rm -rf $(UNIT_DIR)

clean: clean-unit

.PHONY: unit check-unit clean-unit

# The tests of the parsers of untrusted input (ELF files, trace files, seccomp filters, -A/-R specs,
# the program's strings) run once more, built with
# ASan and UBSan: undefined behaviour on a malformed file is a bug even where it shows no symptom.
SAN_TESTS := symtab tracefile stacks seccomp args_proto args_format fast_mapcache
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_DIR := $(UNIT_DIR)/san
SAN_BINS := $(SAN_TESTS:%=$(SAN_DIR)/test_%)

build/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -MMD -MP -c -o $@ $<

build/san/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) -c -o $@ $<

$(foreach t,$(SAN_TESTS),$(eval $(SAN_DIR)/test_$(t): $(unit_objs_$(t):build/%=build/san/%)))

$(SAN_DIR)/test_%: tests/unit/test_%.c
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) $(SAN_FLAGS) -MMD -MP -o $@ $< $(filter %.o,$^) $(UNIT_LIBS) $(LDLIBS)

-include $(SAN_BINS:=.d) $(foreach t,$(SAN_TESTS),$(unit_objs_$(t):build/%.o=build/san/%.d))

check-unit-san: $(SAN_BINS) $(UNIT_FIXTURES)
	@fail=0; for t in $(SAN_BINS); do echo "== $$t"; ASAN_OPTIONS=detect_leaks=0 ./$$t || fail=1; done; exit $$fail

check-unit: check-unit-san

# fntrace itself, built the same way, for tests/e2e/test_sanitized.py: the cases where the tracer
# had undefined behaviour or a memory error that the plain build did not show.
SAN_FNTRACE := build/san/fntrace
SAN_OBJS := $(OBJS:build/%=build/san/%)

$(SAN_FNTRACE): $(SAN_OBJS)
	$(CC) $(LDFLAGS) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)

-include $(SAN_OBJS:.o=.d)

.PHONY: check-unit-san
