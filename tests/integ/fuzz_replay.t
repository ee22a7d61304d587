#!/bin/bash
# fuzz_replay.t - the fuzzers' corpus as a regression test: each harness
# of tests/fuzz/ (built with gcc, without libFuzzer, as
# $BUILD/fuzz/replay_TARGET by make all) runs once over every input of
# tests/fuzz/corpus/TARGET/, the seeds and the inputs that once crashed,
# and must exit 0 having replayed them all.  A harness aborts on a broken
# check (tests/fuzz/fuzz.h), so a regression is a failed exit here.
# No root, well under a second; `make fuzz` is the search itself.
. "$(dirname "$0")/lib.sh"
cd "$TOP" || exit 1
TARGETS="elfsym diag_json cli"
plan 10

for t in $TARGETS; do
	bin=$BUILD/fuzz/replay_$t dir=tests/fuzz/corpus/$t
	want=$(find "$dir" -type f | wc -l)
	# the last line: -h's help goes to stdout before it
	out=$("$bin" "$dir" 2>"$TMPDIR_T/$t.err")
	rc=$?
	out=$(printf '%s\n' "$out" | tail -n 1)
	is "$rc" 0 "replay_$t exits 0 over $dir"
	[ "$rc" = 0 ] || diag "$(tail -n 5 "$TMPDIR_T/$t.err")"
	ok "$((want > 0))" "$dir holds inputs ($want)"
	is "$out" "replay_$t: $want inputs" "replay_$t replayed each of them"
done

# It can fail: a path that is not there is an error, not 0 inputs.
"$BUILD/fuzz/replay_cli" "$TMPDIR_T/none" >/dev/null 2>&1
ok "$(($? != 0))" "a missing corpus fails the replay"
done_testing
