# mk/fuzz.mk - fuzzing the observer's parsers (tests/fuzz/, docs/fuzzing.md).
#	make fuzz          clang's libFuzzer with ASan and UBSan: each target
#	                   runs FUZZ_SECS (60) seconds from its corpus; a crash,
#	                   a sanitizer report or a slow input fails the make
#	                   (scripts/fuzz.sh), the input is in $(BUILD)/fuzz/crashes
#	make all           the replays $(BUILD)/fuzz/replay_*: the same
#	                   harnesses built with gcc and tests/fuzz/replay_main.c,
#	                   which make check runs over the committed corpus
#	                   (tests/integ/fuzz_replay.t)
#
# libobserve.a is gcc's and uninstrumented, so the fuzzers compile the
# sources each target reaches again, with clang, into $(BUILD)/fuzz/obj.

FUZZ_TARGETS := elfsym diag_json cli
FUZZ_SECS    ?= 60
FUZZ_DIR     := $(BUILD)/fuzz

FUZZ_SRCS_elfsym    := user/common/elfsym.c user/common/usdt.c
FUZZ_LIBS_elfsym    := -lelf -liberty
FUZZ_SRCS_diag_json := user/analysis/diag_json.c user/analysis/diagnose.c \
	user/common/hist.c user/output/verdict.c
FUZZ_LIBS_diag_json := -ljansson -lm
FUZZ_SRCS_cli       := user/cli.c
FUZZ_LIBS_cli       := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf)

# -O1 and frame pointers for readable reports; UBSan aborts (no recovery)
# so that libFuzzer saves the input.
FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS := -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN) \
	-fsanitize=fuzzer-no-link $(WARN) -std=gnu11 -D_GNU_SOURCE -MMD -MP
FUZZ_BINS   := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)
REPLAY_BINS := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/replay_%)

.PHONY: fuzz fuzz-build
all: $(REPLAY_BINS)

fuzz: fuzz-build
	$(Q)BUILD=$(BUILD) FUZZ_SECS=$(FUZZ_SECS) scripts/fuzz.sh $(FUZZ_TARGETS)

fuzz-build: $(FUZZ_BINS)

$(BUILD)/tests/fuzz/%.o: CPPFLAGS += $(USER_CPPFLAGS)
$(FUZZ_DIR)/obj/user/cli.o: $(BUILD)/gen/version.h

$(FUZZ_DIR)/obj/%.o: %.c | $(DEPS_STAMP) $(BPF_SKELS)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(USER_CPPFLAGS) $(FUZZ_CFLAGS) -c $< -o $@

# fuzz_rule,TARGET: the libFuzzer binary and the replay of one harness.
define fuzz_rule
$(FUZZ_DIR)/fuzz_$(1): $(FUZZ_DIR)/obj/tests/fuzz/fuzz_$(1).o \
		$(FUZZ_SRCS_$(1):%.c=$(FUZZ_DIR)/obj/%.o)
	$$(call msg,LINK,$$@)
	$(Q)$(CLANG) -fsanitize=fuzzer $(FUZZ_SAN) $$^ $(FUZZ_LIBS_$(1)) -o $$@

$(FUZZ_DIR)/replay_$(1): $(BUILD)/tests/fuzz/fuzz_$(1).o \
		$(BUILD)/tests/fuzz/replay_main.o $(LIBOBSERVE)
	$$(call msg,LINK,$$@)
	$(Q)mkdir -p $$(@D)
	$(Q)$(CC) $(LDFLAGS) $$^ $(OBSERVE_LIBS) $(LDLIBS) -o $$@
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_rule,$(t))))
