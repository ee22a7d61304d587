# mk/rt.mk - the runtime's micro-benchmark (owned by the runtime, demos/rt).
#	make bench-rt  -> scripts/bench-rt.sh runs $(BUILD)/bench/bench_rt and,
#	side by side, its Tokio twin $(BUILD)/tokio/release/tokio_bench (built
#	with the other Tokio peers by mk/tokio.mk; docs/bench-rt.md)

BENCH_RT := $(BUILD)/bench/bench_rt
all: $(BENCH_RT)

$(BENCH_RT): $(BUILD)/bench/bench_rt.o $(LIBRT)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@
