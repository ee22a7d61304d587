#!/bin/bash
# fuzz.sh - runs the libFuzzer targets built by `make fuzz` (mk/fuzz.mk),
# each for FUZZ_SECS seconds (default 60) from its committed corpus, and
# prints one line per target: executions, rate, coverage, corpus.
#	scripts/fuzz.sh TARGET...	(elfsym diag_json cli)
# BUILD (default build) locates $BUILD/fuzz/fuzz_TARGET.  Inputs that add
# coverage go to $BUILD/fuzz/corpus/TARGET, never into tests/fuzz/corpus:
# a new seed is committed by hand.  A crash, a sanitizer report, a leak or
# an input slower than FUZZ_TIMEOUT seconds (default 10) fails the target:
# its input is $BUILD/fuzz/crashes/TARGET-*, its log $BUILD/fuzz/TARGET.log.
# Exit 1 if any target failed; every target runs first.
set -euf
BUILD=${BUILD:-build}
FUZZ_SECS=${FUZZ_SECS:-60}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-10}
DIR=$BUILD/fuzz
SEEDS=tests/fuzz/corpus

[ $# -gt 0 ] || { echo "usage: $0 TARGET..." >&2; exit 2; }
case $FUZZ_SECS in '' | *[!0-9]* | 0) echo "fuzz.sh: FUZZ_SECS wants a positive count" >&2; exit 2 ;; esac

# The longest input each target reads: ELF seeds are 0.1-3 KB; the
# documents are up to 17 KB (bounds.json: every DIAG_MAX_* array one past
# its bound), and larger ones are slower than they find more; a command line
# is short.  -close_fd_mask=3: cli prints a usage error per input;
# libFuzzer keeps its own stderr for reports.
opts() {
	case $1 in
	elfsym) echo -max_len=65536 ;;
	diag_json) echo -max_len=32768 ;;
	cli) echo -max_len=1024 -close_fd_mask=3 ;;
	*) echo "fuzz.sh: no such target '$1'" >&2; return 1 ;;
	esac
}

# stat NAME LOG: a value of libFuzzer's -print_final_stats.
stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -n 1; }

failed=0
mkdir -p "$DIR/crashes"
for t in "$@"; do
	bin=$DIR/fuzz_$t log=$DIR/$t.log
	o=$(opts "$t") || exit 2
	# keys and options to splice in: tests/fuzz/TARGET.dict
	[ ! -f "tests/fuzz/$t.dict" ] || o="$o -dict=tests/fuzz/$t.dict"
	[ -x "$bin" ] || { echo "fuzz.sh: $bin not built (make fuzz-build)" >&2; exit 1; }
	mkdir -p "$DIR/corpus/$t"
	# shellcheck disable=SC2086 # $o is a list of flags
	if "$bin" $o -max_total_time="$FUZZ_SECS" -timeout="$FUZZ_TIMEOUT" \
		-print_final_stats=1 -artifact_prefix="$DIR/crashes/$t-" \
		"$DIR/corpus/$t" "$SEEDS/$t" >"$log" 2>&1; then
		done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
		cov=$(echo "$done_line" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
		corp=$(echo "$done_line" | sed -n 's/.* corp: \([^ ]*\).*/\1/p')
		printf '  %-8s %s: %s execs in %s s (%s/s), cov %s, corpus %s (%s seeds), no crash\n' \
			FUZZ "$t" "$(stat number_of_executed_units "$log")" "$FUZZ_SECS" \
			"$(stat average_exec_per_sec "$log")" "${cov:-?}" "${corp:-?}" \
			"$(find "$SEEDS/$t" -type f | wc -l)"
	else
		failed=1
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*FUZZ_CHECK|.*runtime error)' "$log" | head -n 5 >&2 || true
		printf '  %-8s %s: FAILED, input %s, log %s\n' FUZZ "$t" \
			"$(sed -n 's/.*Test unit written to \(.*\)/\1/p' "$log" | tail -n 1)" "$log" >&2
	fi
done
exit "$failed"
