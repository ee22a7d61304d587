#!/bin/bash
# observe_futex.t - futex wait accounting per address, with waiters and wakers.
#
# futex_convoy prints the address it contends on, so the entry in futex[] can
# be found by address:
#  1. 4 threads hammer one pthread mutex (20 us of work inside): the mutex
#     word shows waits, >= 2 waiters (all convoy-N threads) and >= 1 waker.
#  2. one thread, same loop: never contended, no entry for the mutex.
#  3. FUTEX_WAIT_BITSET (what Rust's std and glibc's timed waits use): 20
#     waits of 20 ms each, woken with FUTEX_WAKE_BITSET, are all counted.
#  4. a priority-inheritance mutex (FUTEX_LOCK_PI / FUTEX_UNLOCK_PI) convoy.
#  5. futex_waitv(2) on two words: counted on the first word of the vector.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/observe_lib.sh"
need_root
need_observe
need_target futex_convoy

plan $((9 + 3 + 7 + 4 + 4))

# futex_at JSON ADDR FILTER: FILTER on the futex[] entry whose uaddr is ADDR,
# comparing numerically (either side may be zero-padded or in any case).
futex_at() {
	local want
	want=$(printf '%d' "$2")
	jq -r --arg w "$want" "[.futex[] | select((.uaddr | ascii_downcase |
		ltrimstr(\"0x\") | explode | reduce .[] as \$c (0; . * 16 +
		(if \$c >= 97 then \$c - 87 else \$c - 48 end))) == (\$w | tonumber))]
		| first | $3" "$1"
}

run() {	# run NAME ARGS...: observe --json on futex_convoy
	local name=$1
	shift
	timeout -k 5 60 "$OBSERVE" --json -o "$TMPDIR_T/$name.json" -- \
		"$TARGETS/futex_convoy" "$@" >"$TMPDIR_T/$name.out" 2>"$TMPDIR_T/$name.err"
	local rc=$?
	if [ "$rc" = 0 ] && json_ok "$TMPDIR_T/$name.json"; then
		ok 1 "$name: observe exits 0 with a valid JSON document"
	else
		ok 0 "$name: observe exits 0 with a valid JSON document"
		diag "exit $rc; stderr: $(head -c 2000 "$TMPDIR_T/$name.err")"
	fi
}

# ---- 1. contended mutex --------------------------------------------------------
run convoy -m mutex -t 4 -s 2
J=$TMPDIR_T/convoy.json
addr=$(field "$TMPDIR_T/convoy.out" mutex 1)
is "$(futex_at "$J" "$addr" 'if . == null then "missing" else "present" end')" \
	present "convoy: mutex $addr is in futex[]"
cmp_num "$(futex_at "$J" "$addr" '.waits // 0')" '>' 0 "convoy: waits > 0"
cmp_num "$(futex_at "$J" "$addr" '.waiters | length')" '>=' 2 "convoy: >= 2 waiters"
cmp_num "$(futex_at "$J" "$addr" '.wakers | length')" '>=' 1 "convoy: >= 1 waker"
is "$(futex_at "$J" "$addr" '[.waiters[], .wakers[] | .comm | startswith("convoy-")] | all')" \
	true "convoy: waiters and wakers are convoy-N threads"
ok "$(futex_at "$J" "$addr" 'if . != null and .wait_ns >= .max_ns and .max_ns > 0 then 1 else 0 end')" \
	"convoy: wait_ns >= max_ns > 0"
is "$(futex_at "$J" "$addr" '[.waiters[].waits] | add')" "$(futex_at "$J" "$addr" '.waits')" \
	"convoy: per-waiter waits add up to the address's waits"
# The threads' own futex counters see the same waits.
cmp_num "$(jq '[.threads[] | select(.comm | startswith("convoy-")) | .futex_waits] | add // 0' "$J")" \
	'>=' "$(futex_at "$J" "$addr" '.waits // 1')" \
	"convoy: threads' futex_waits >= the mutex's waits (> 0)"

# ---- 2. uncontended: one thread --------------------------------------------------
run single -m mutex -t 1 -s 1
J=$TMPDIR_T/single.json
addr=$(field "$TMPDIR_T/single.out" mutex 1)
is "$(futex_at "$J" "$addr" 'if . == null then "missing" else "present" end')" \
	missing "single: uncontended mutex $addr is not in futex[]"
is "$(jq '[.threads[] | select(.comm == "convoy-0")] | length' "$J")" 1 \
	"single: the locking thread is reported"

# ---- 3. FUTEX_WAIT_BITSET ------------------------------------------------------
run bitset -m bitset -n 20 -D 20
J=$TMPDIR_T/bitset.json
addr=$(field "$TMPDIR_T/bitset.out" word 1)
wall=$(field "$TMPDIR_T/bitset.out" bitset 2)
waits=$(futex_at "$J" "$addr" '.waits // 0')
# 20 waits, unless the box stalled the waiter for 20 ms before it slept (then
# FUTEX_WAIT_BITSET returns EAGAIN without blocking): allow two such misses.
ok "$(( ${waits:-0} >= 18 && ${waits:-0} <= 20 ))" "bitset: 18..20 waits counted on $addr (got ${waits:-none})"
cmp_num "$(futex_at "$J" "$addr" '.wait_ns // 0')" '>=' $((18 * 20000000 * 95 / 100)) \
	"bitset: wait_ns >= 95% of 18 x 20 ms"
cmp_num "$(futex_at "$J" "$addr" '.wait_ns // 0')" '<=' "$(( ${wall:-0} + 1000000 ))" \
	"bitset: wait_ns <= the waiter's own wall time ($wall)"
is "$(futex_at "$J" "$addr" '[.waiters[].comm] | join(",")')" bs-waiter \
	"bitset: the waiter is bs-waiter"
is "$(futex_at "$J" "$addr" '[.wakers[].comm] | join(",")')" bs-waker \
	"bitset: the waker is bs-waker"
cmp_num "$(futex_at "$J" "$addr" '[.wakers[].wakes] | add // 0')" '>=' "${waits:-1}" \
	"bitset: at least one wake per wait"

# ---- 4. PI mutex: FUTEX_LOCK_PI ------------------------------------------------
run pi -m pi -t 4 -s 1
J=$TMPDIR_T/pi.json
addr=$(field "$TMPDIR_T/pi.out" mutex 1)
cmp_num "$(futex_at "$J" "$addr" '.waits // 0')" '>' 0 "pi: FUTEX_LOCK_PI waits on $addr counted"
cmp_num "$(futex_at "$J" "$addr" '.waiters | length')" '>=' 2 "pi: >= 2 waiters"
cmp_num "$(futex_at "$J" "$addr" '.wakers | length')" '>=' 1 "pi: >= 1 waker (FUTEX_UNLOCK_PI)"

# ---- 5. futex_waitv -----------------------------------------------------------
run waitv -m waitv -n 20 -D 20
J=$TMPDIR_T/waitv.json
addr=$(field "$TMPDIR_T/waitv.out" word 1)
waits=$(futex_at "$J" "$addr" '.waits // 0')
ok "$(( ${waits:-0} >= 18 && ${waits:-0} <= 20 ))" "waitv: 18..20 waits counted on $addr, the vector's first word (got ${waits:-none})"
cmp_num "$(futex_at "$J" "$addr" '.wait_ns // 0')" '>=' $((18 * 20000000 * 95 / 100)) \
	"waitv: wait_ns >= 95% of 18 x 20 ms"
is "$(futex_at "$J" "$addr" '([.waiters[].comm] | join(",")) + " / " + ([.wakers[].comm] | join(","))')" \
	"wv-waiter / wv-waker" "waitv: waiter wv-waiter, waker wv-waker"
done_testing
