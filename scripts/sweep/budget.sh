# shellcheck shell=bash disable=SC2034 # sourced by scripts/sweep.sh
# budget: the cooperative budget (Tokio's coop, 128 per poll) on and off.
# Not runnable yet: rt_config.disable_budget exists in demos/rt but no demo
# flag sets it, and no demo loops on an always-ready leaf (every loop yields
# or sleeps), so the budget never decides an outcome.  docs/sweeps.md
# ("budget") specifies what is needed: demo_starvation --mode greedy (K
# tasks draining an always-full channel B ms per period) and --no-budget.
# This sweep runs as soon as a demo's --help lists both.

budget__params() { echo workers,blockers,block_ms,budget; }

budget__metrics() {
	echo 'probe_p99_us=.probe.p99_us'
	echo 'probe_max_us=.probe.max_us'
	echo 'probe_per_s=.probe.count / .secs'
}

# has_budget_flags BIN: BIN's --help lists --no-budget and the greedy mode.
has_budget_flags() {
	local help
	help=$("$1" --help 2>/dev/null) || return 1
	grep -q -- '--no-budget' <<<"$help" && grep -q 'greedy' <<<"$help"
}

budget__points() {
	local bs=(5 20) ks=(1 2) rts=() r b k
	has_budget_flags "$DEMO_DIR/demo_starvation" && rts+=(rt)
	has_budget_flags "$BUILD/tokio/release/tokio_starvation" && rts+=(tokio)
	if [ ${#rts[@]} -eq 0 ]; then
		echo "sweep.sh: budget: skipped: no demo has --mode greedy and --no-budget yet (docs/sweeps.md, \"budget\")" >&2
		SKIPPED=1
		return 0
	fi
	[ "$QUICK" = 1 ] && bs=(20)
	for b in "${bs[@]}"; do
		for k in "${ks[@]}"; do
			for r in "${rts[@]}"; do
				point "$r" 0 starvation "2,$k,$b,1" --workers 2 \
					--mode greedy --blockers "$k" --block-ms "$b"
				point "$r" 0 starvation "2,$k,$b,0" --workers 2 \
					--mode greedy --blockers "$k" --block-ms "$b" --no-budget
			done
		done
	done
}
