#!/bin/bash
# observe_overflow.t - full maps and a full ring buffer are counted and shown,
# never silent.  OBSERVE_SMALL_MAPS=1 shrinks the maps (threads 16, futex
# addresses 4, pairs 8, rt locks 1, Tokio tasks 2) and the ring buffer (one
# page), so that small targets fill each:
#  1. spin_threads, 1 spinner, 2 sleepers and 14 lock waiters (18 threads),
#     the ring buffer first read after 0.5 s,
#     --threshold-ms 1: threads_full, futex_full and ringbuf are all > 0 in
#     the JSON, the report's drops line says INCOMPLETE with the same kind
#     of counts, and the verdict says the data is incomplete;
#  2. the same target without the knob: no drop at all (the counts above
#     are the small maps', not the target's);
#  3. Tokio's suspension twin (tasks holding a semaphore across awaits),
#     with the Tokio tier on: futex_full > 0, the count the tier's task
#     maps share with the kernel's futex maps (docs/observe.md, MAP BOUNDS).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/observe_lib.sh"
need_root
need_observe
need_target spin_threads

plan 9

ARGS=(--threshold-ms 1 -- "$TARGETS/spin_threads" -t 1 -z 2 -k 14 -s 1)

# ---- 1. everything full ---------------------------------------------------------
OBSERVE_SMALL_MAPS=1 timeout -k 5 60 "$OBSERVE" --json -o "$TMPDIR_T/small.json" "${ARGS[@]}" \
	>/dev/null 2>"$TMPDIR_T/small.err"
is "$?" 0 "small maps: observe exits 0"
for d in threads_full futex_full ringbuf; do
	n=$(jq ".drops.$d" "$TMPDIR_T/small.json")
	ok "$([ "${n:-0}" -gt 0 ] && echo 1 || echo 0)" "small maps: drops.$d counted ($n)"
done
OBSERVE_SMALL_MAPS=1 timeout -k 5 60 "$OBSERVE" -o "$TMPDIR_T/small.txt" "${ARGS[@]}" \
	>/dev/null 2>&1
ok "$(grep -cE '^drops: ringbuf [1-9][0-9]*, threads_full [1-9][0-9]*, futex_full [1-9][0-9]*, other_full 0  \(INCOMPLETE' "$TMPDIR_T/small.txt")" \
	"small maps: the report's drops line counts each kind and says INCOMPLETE"
ok "$(grep -cE '^    - the data is incomplete \([0-9]+ events dropped\)' "$TMPDIR_T/small.txt")" \
	"small maps: the verdict says the data is incomplete"

# ---- 2. the same target, maps as shipped ---------------------------------------
timeout -k 5 60 "$OBSERVE" --json -o "$TMPDIR_T/full.json" "${ARGS[@]}" >/dev/null 2>&1
is "$?:$(jq -c '[.drops[]] | add' "$TMPDIR_T/full.json")" "0:0" "maps as shipped: exit 0, no drop"
is "$(jq '.threads | length' "$TMPDIR_T/full.json")" 18 "maps as shipped: all 18 threads"

# ---- 3. the Tokio tier's task maps -------------------------------------------------
TK=$BUILD/tokio/release/tokio_suspension
if [ -x "$TK" ]; then
	OBSERVE_SMALL_MAPS=1 timeout -k 5 60 "$OBSERVE" --json -o "$TMPDIR_T/tokio.json" -- \
		"$TK" --workers 2 --secs 2 >/dev/null 2>&1
	rc=$?
	n=$(jq '.drops.futex_full' "$TMPDIR_T/tokio.json")
	ok "$([ "$rc" = 0 ] && [ "${n:-0}" -gt 0 ] && echo 1 || echo 0)" \
		"Tokio suspension, small maps: exit $rc, drops.futex_full counted ($n)"
else
	skip "Tokio demos not built"
fi
done_testing
