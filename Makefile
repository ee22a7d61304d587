# tokio-blocking-bench: one entry point.
#   make            build everything (runtime, demos, BPF, observer, tests)
#   make check      run every test (integration tests need root)
#   make demo       the main job: observe a convoy demo
#   make sanitize   ASan+UBSan build, unit tests; TSan on the runtime's tests
#   make fuzz       libFuzzer on observe's parsers, FUZZ_SECS each (mk/fuzz.mk)
#   make bench-rt / bench-observer   benchmarks (not tests)
#   make soak       observe attached for 30 min to a churning target
#   make bench / figures   demo sweeps -> docs/data/*.csv -> docs/figures/*.svg
#   make vmlinux    regenerate vmlinux/<arch>/vmlinux.h from this kernel's BTF
#   make observe    the observer alone, with only its own dependencies
#   make observe-static   the same, one static binary to copy to a host
#   make install    observe, its man page and bash completion (PREFIX, DESTDIR)
#   make man        docs/observe.1 from docs/observe.md (pandoc)
# V=1 shows the commands.  Generated files live in build/ (BUILD=...), except
# the binaries users run: ./observe and ./demos/demo_*.

BUILD    ?= build
CC       ?= cc
CLANG    ?= clang
# /usr/sbin may be missing from PATH; bpftool may not be installed yet.
BPFTOOL  ?= $(shell command -v bpftool || echo /usr/sbin/bpftool)
ARCH     := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
SAN      ?=

ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

WARN     := -Wall -Wextra -Werror
CFLAGS   ?= -O2 -g
CFLAGS   += $(WARN) -std=gnu11 -pthread -D_GNU_SOURCE -MMD -MP
# Each part of the tree gets its own include path, so that no header name
# can resolve to two files (demos/lib and user/ both have a cli.h).
DEMO_CPPFLAGS := -Idemos/rt -Idemos/lib -Iabi
USER_CPPFLAGS := -Iuser -Iabi -Ibpf -I$(BUILD)/bpf -I$(BUILD)/gen
LDLIBS   += -pthread -lm
ifneq ($(SAN),)
CFLAGS   += -fsanitize=$(SAN) -fno-omit-frame-pointer -O1
LDFLAGS  += -fsanitize=$(SAN)
endif

.DELETE_ON_ERROR:
# Keep objects and skeletons made by chained rules: make would delete them
# as intermediates and rebuild everything next time.
.SECONDARY:
.PHONY: all check check-unit check-integ stability demo sanitize tsan bench-rt \
	bench-observer soak vmlinux clean deps

all:

# ---- dependencies: installed by the project's own script --------------------
# The observer's own (make observe), and everything (the rest).
OBS_DEPS_STAMP := $(BUILD)/.deps-observe-ok
DEPS_STAMP     := $(BUILD)/.deps-ok
$(OBS_DEPS_STAMP): scripts/deps.sh
	$(Q)mkdir -p $(@D)
	$(Q)scripts/deps.sh --check observe 2>/dev/null || scripts/deps.sh observe
	$(Q)touch $@
$(DEPS_STAMP): scripts/deps.sh
	$(Q)mkdir -p $(@D)
	$(Q)scripts/deps.sh --check 2>/dev/null || scripts/deps.sh
	$(Q)touch $@
deps: $(DEPS_STAMP)

# ---- the runtime: demos/rt -> librt.a ---------------------------------------
RT_SRCS := $(wildcard demos/rt/*.c)
RT_OBJS := $(RT_SRCS:%.c=$(BUILD)/%.o)
LIBRT   := $(BUILD)/librt.a

# ---- demo helpers: demos/lib -> libdemo.a; demos/demo_*.c -> demos/demo_* ----
DEMOLIB_SRCS := $(wildcard demos/lib/*.c)
DEMOLIB_OBJS := $(DEMOLIB_SRCS:%.c=$(BUILD)/%.o)
LIBDEMO      := $(BUILD)/libdemo.a
DEMO_SRCS    := $(wildcard demos/demo_*.c)
DEMOS        := $(DEMO_SRCS:%.c=%)

# ---- BPF: bpf/*.bpf.c -> objects -> skeletons --------------------------------
BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/bpf/%.bpf.o)
BPF_SKELS := $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/bpf/%.skel.h)
VMLINUX   := vmlinux/$(ARCH)/vmlinux.h
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-Ivmlinux/$(ARCH) -Ibpf -Iabi \
	-idirafter /usr/include/$(shell gcc -print-multiarch)
# (the multiarch directory: libbpf's usdt.bpf.h includes <linux/errno.h>,
# which needs <asm/errno.h>)

# ---- the observer: user/**/*.c (observe.c has main) -> ./observe -------------
USER_SRCS := $(filter-out user/observe.c,$(wildcard user/*.c user/*/*.c))
USER_OBJS := $(USER_SRCS:%.c=$(BUILD)/%.o)
LIBOBSERVE := $(BUILD)/libobserve.a
OBSERVE_LIBS := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf) -ldw -lelf -lz -ljansson -liberty -lmicrohttpd

# ---- tests: tests/unit/test_*.c, tests/targets/*.c, tests/integ/*.t ----------
UNIT_SRCS   := $(wildcard tests/unit/test_*.c)
UNIT_TESTS  := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
TARGET_SRCS := $(wildcard tests/targets/*.c)
TARGETS     := $(TARGET_SRCS:tests/targets/%.c=$(BUILD)/tests/targets/%)
INTEG_TESTS := $(wildcard tests/integ/*.t)

BINS := $(DEMOS) $(UNIT_TESTS) $(TARGETS)
ifneq ($(wildcard user/observe.c),)
BINS += observe
endif
all: $(BINS)

# Include paths per part of the tree: the observer and its tests see user/,
# the runtime, demos and their tests see demos/; both see abi/.
$(BUILD)/user/%.o $(BUILD)/tests/unit/test_diag%.o $(BUILD)/tests/unit/test_elfsym.o \
$(BUILD)/tests/unit/test_host.o \
$(BUILD)/tests/unit/test_unwind.o: CPPFLAGS += $(USER_CPPFLAGS)
# test_unwind's call chains must unwind by CFI alone: no frame pointers,
# even under SAN (last flag wins), and no sibling calls to skip a frame;
# -g for the file:line it checks.
$(BUILD)/tests/unit/test_unwind.o: CFLAGS += -g -fomit-frame-pointer \
	-fno-optimize-sibling-calls
$(BUILD)/demos/%.o $(BUILD)/bench/%.o $(BUILD)/tests/targets/%.o: CPPFLAGS += $(DEMO_CPPFLAGS)
$(BUILD)/tests/unit/test_rt_%.o $(BUILD)/tests/unit/test_stats.o: CPPFLAGS += $(DEMO_CPPFLAGS)

# Every object waits for the dependencies and for generated headers; the
# observer's wait only for its own (the more specific pattern wins).
$(BUILD)/%.o: %.c | $(DEPS_STAMP) $(BPF_SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@
$(BUILD)/user/%.o: user/%.c | $(OBS_DEPS_STAMP) $(BPF_SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIBRT): $(RT_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^
$(LIBDEMO): $(DEMOLIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^
$(LIBOBSERVE): $(USER_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

demos/demo_%: $(BUILD)/demos/demo_%.o $(LIBDEMO) $(LIBRT)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -ljansson -o $@

# observe --version: git describe of the tree it was built from.  The header
# is rewritten only when that changes, so a commit relinks one object.
OBS_VERSION := $(shell git describe --always --dirty --tags 2>/dev/null || echo unknown)
$(BUILD)/gen/version.h: FORCE
	$(Q)mkdir -p $(@D)
	$(Q)printf '#define OBS_VERSION "%s"\n' "$(OBS_VERSION)" > $@.tmp
	$(Q)cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
$(BUILD)/user/cli.o: $(BUILD)/gen/version.h
.PHONY: FORCE
FORCE:

observe: $(BUILD)/user/observe.o $(LIBOBSERVE)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(OBSERVE_LIBS) $(LDLIBS) -o $@

# One file to copy to a production host: Debian's static libbpf, libelf,
# libdw (and its xz and bzip2), zlib, jansson and glibc.  The linker warns
# that getpwuid and libdw's dlopen (debuginfod) need the build's glibc at
# run time: without it, the launched command gets no supplementary groups
# and there is no debuginfod, nothing else.
# Debian's static libmicrohttpd needs GnuTLS's, which needs p11-kit's, which
# Debian does not ship: this binary's --prometheus says so and exits 1
# (metrics_http.c without OBS_HTTP; the object comes before the archive,
# so the linker takes it instead of the archive's).
OBSERVE_STATIC_LIBS := -lbpf -ldw -lelf -llzma -lbz2 -lz -ljansson -liberty
$(BUILD)/static/metrics_http.o: user/output/metrics_http.c | $(OBS_DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(USER_CPPFLAGS) -DOBS_NO_HTTP -c $< -o $@
.PHONY: observe-static
observe-static: $(BUILD)/user/observe.o $(BUILD)/static/metrics_http.o $(LIBOBSERVE)
	$(call msg,LINK,$@)
	$(Q)$(CC) -static $(LDFLAGS) $^ $(OBSERVE_STATIC_LIBS) $(LDLIBS) -o $@ \
		2>$@.log; st=$$?; grep -v -e 'statically linked applications requires' \
		-e ': in function' $@.log >&2; rm -f $@.log; exit $$st

# Unit tests link everything they might test; the linker takes what is used.
$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIBOBSERVE) $(LIBDEMO) $(LIBRT)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(OBSERVE_LIBS) $(LDLIBS) -o $@

# An LD_PRELOAD library, not a target program (tests/targets/preload/).
MAPCOPY := $(BUILD)/tests/targets/libmapcopy.so
all: $(MAPCOPY)
$(MAPCOPY): tests/targets/preload/mapcopy.c | $(DEPS_STAMP)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -shared -fPIC $< -o $@

$(BUILD)/tests/targets/%: $(BUILD)/tests/targets/%.o $(LIBRT)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(VMLINUX) | $(OBS_DEPS_STAMP)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@
	$(Q)llvm-strip -g $@

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# vmlinux.h is checked in per architecture so that builds are reproducible;
# this regenerates it from the running kernel's BTF.
vmlinux: | $(DEPS_STAMP)
	$(Q)mkdir -p vmlinux/$(ARCH)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX)

# ---- running --------------------------------------------------------------
# prove runs each test as its own process under a timeout; TAP output.
PROVE := BUILD=$(BUILD) prove --exec 'timeout -k 10 600' --timer

check: all
	$(Q)$(PROVE) $(UNIT_TESTS) $(INTEG_TESTS)

# The kernel tier's verdicts on runtimes without probes, at the issues'
# bars (10 of 10 convoys, 5 of 5 everything else), thread churn for 60 s,
# and observe_verdict.t five times in a row: 5.3 min (2026-12-03),
# root.  `make check` runs fewer and shorter.
stability: all
	$(Q)REPEAT=5 CONVOY_RUNS=10 CHURN_SECS=60 $(PROVE) \
		tests/integ/observe_roles.t tests/integ/observe_node.t \
		tests/integ/observe_churn.t
	$(Q)for i in 1 2 3 4 5; do $(PROVE) tests/integ/observe_verdict.t || exit 1; done

check-unit: $(UNIT_TESTS)
	$(Q)$(PROVE) $(UNIT_TESTS)

check-integ: all
	$(Q)$(PROVE) $(INTEG_TESTS)

demo: all
	./observe -- ./demos/demo_convoy --workers 2 --secs 5

sanitize:
	$(MAKE) BUILD=build/asan SAN=address,undefined check-unit
	$(MAKE) BUILD=build/tsan SAN=thread TSAN_ONLY=1 check-tsan

# The runtime's concurrency tests (tests/unit/test_rt_*) under ThreadSanitizer.
check-tsan: $(filter $(BUILD)/tests/test_rt_%,$(UNIT_TESTS))
	$(Q)TSAN_OPTIONS=halt_on_error=1 $(PROVE) $^

bench-rt: all
	scripts/bench-rt.sh

bench-observer: all
	scripts/bench-observer.sh

# observe on a churning, switching target for 30 min (SOAK_SECS): RSS, map
# sizes and CPU over time -> docs/data/soak/ (docs/soak.md).  Root.
SOAK_SECS ?= 1800
soak: all
	BUILD=$(BUILD) scripts/soak.sh -s $(SOAK_SECS)

# The sweeps (scripts/sweep.sh, docs/sweeps.md): ~88 min at 5 repeats (more with load
# waits), never part of check; refuses a modified tree (SWEEP_FLAGS=--allow-dirty).
# SWEEP_FLAGS="--quick" for a smoke test; `make figures` renders the SVGs.
.PHONY: bench figures
# Every sweep, as the second edition ran them (docs/data/README.md): the
# blocking-fraction sweep with 6 s runs, whose p99 at long periods needs
# more wake-ups than 1.5 s gives.  ~2 h on the 2-CPU VM; a quiet box only.
bench: all
	BUILD=$(BUILD) scripts/sweep.sh $(SWEEP_FLAGS) starvation convoy \
		suspension suspension_all server workers lifo budget
	BUILD=$(BUILD) scripts/sweep.sh --secs 6 $(SWEEP_FLAGS) starvation_fraction

figures: | $(DEPS_STAMP)
	scripts/models.sh --quiet
	scripts/figures.sh

# ---- install ------------------------------------------------------------------
# The man page is generated from docs/observe.md and checked in, so that
# installing needs no pandoc (tests/integ/release.t checks it is current).
PREFIX  ?= /usr/local
DESTDIR ?=
PANDOC_MAN := pandoc -s -t man --shift-heading-level-by=-1 -M title=OBSERVE \
	-M section=1 -M header=tokio-blocking-bench -M footer=observe
.PHONY: man install uninstall
man: docs/observe.1
docs/observe.1: docs/observe.md | $(DEPS_STAMP)
	$(call msg,MAN,$@)
	$(Q)$(PANDOC_MAN) $< -o $@

install: observe
	install -D -m 755 observe $(DESTDIR)$(PREFIX)/bin/observe
	install -D -m 644 docs/observe.1 $(DESTDIR)$(PREFIX)/share/man/man1/observe.1
	install -D -m 644 completions/observe.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/observe

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/observe \
		$(DESTDIR)$(PREFIX)/share/man/man1/observe.1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/observe

clean:
	rm -rf $(BUILD) $(DEMOS) observe observe-static

# Fragments owned by one part of the project (e.g. the Tokio target).
-include mk/*.mk

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
