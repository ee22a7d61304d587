#!/bin/bash
# rt_probes.t - every rt:* USDT probe fires with the arguments the runtime
# documents (docs/probes.md), checked against the ground truth that
# tests/targets/rt_probe_target writes, and the published per-worker state
# (rt_probe_abi.h) holds the polled task while poll_start fires.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd bpftrace

T=$BUILD/tests/targets/rt_probe_target
TRUTH=$TMPDIR_T/truth
OUT=$TMPDIR_T/trace
MS=1000000

plan 37
if [ ! -x "$T" ]; then
	ok 0 "target built ($T)"
	done_testing
fi
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing
ulimit -l unlimited 2>/dev/null || true

# One printf per probe, arguments in declaration order.
cat > "$TMPDIR_T/probes.bt" <<BT
usdt:$T:rt:worker_start { @pub[arg0] = arg2; printf("worker_start %d %d %lu\n", arg0, arg1, arg2); }
usdt:$T:rt:worker_stop { printf("worker_stop %d %d %lu\n", arg0, arg1, arg2); }
usdt:$T:rt:worker_park { printf("worker_park %d\n", arg0); }
usdt:$T:rt:worker_unpark { printf("worker_unpark %d %lu\n", arg0, arg1); }
usdt:$T:rt:task_spawn { printf("task_spawn %lu %lu\n", arg0, arg1); }
usdt:$T:rt:task_wake { printf("task_wake %lu %lu\n", arg0, arg1); }
usdt:$T:rt:poll_start {
	\$p = @pub[arg1];
	printf("poll_start %lu %d %lu %lu\n", arg0, arg1,
	       *(uint64 *)uptr(\$p), *(uint64 *)uptr(\$p + 8));
}
usdt:$T:rt:poll_end { printf("poll_end %lu %d %lu %d\n", arg0, arg1, arg2, arg3); }
usdt:$T:rt:slow_poll { printf("slow_poll %lu %d %lu %lu\n", arg0, arg1, arg2, arg3); }
usdt:$T:rt:slow_schedule { printf("slow_schedule %lu %d %lu %lu\n", arg0, arg1, arg2, arg3); }
usdt:$T:rt:timer_fire { printf("timer_fire %lu %lu %lu\n", arg0, arg1, arg2); }
usdt:$T:rt:mutex_wait { printf("mutex_wait %lu %lu\n", arg0, arg1); }
usdt:$T:rt:mutex_acquire { printf("mutex_acquire %lu %lu %lu\n", arg0, arg1, arg2); }
usdt:$T:rt:mutex_release { printf("mutex_release %lu %lu %lu %lu\n", arg0, arg1, arg2, arg3); }
usdt:$T:rt:sync_wait { printf("sync_wait %lu %lu\n", arg0, arg1); }
usdt:$T:rt:sync_acquire { printf("sync_acquire %lu %lu %lu\n", arg0, arg1, arg2); }
usdt:$T:rt:sync_release { printf("sync_release %lu %lu %lu\n", arg0, arg1, arg2); }
usdt:$T:rt:blocking_queue { printf("blocking_queue %lu\n", arg0); }
usdt:$T:rt:blocking_start { printf("blocking_start %lu %lu\n", arg0, arg1); }
usdt:$T:rt:blocking_end { printf("blocking_end %lu %lu\n", arg0, arg1); }
BT

# -c holds the target until every probe is attached.
timeout 60 bpftrace "$TMPDIR_T/probes.bt" -c "$T $TRUTH" >"$OUT" 2>"$TMPDIR_T/err"
rc=$?
ok "$((rc == 0))" "bpftrace and the target ran (rc=$rc)"
[ $rc = 0 ] || diag "$(grep -v RLIMIT_MEMLOCK "$TMPDIR_T/err" | head -5)"

# truth KEY FIELD: field FIELD (1-based, after the key) of the first KEY line.
truth() { awk -v k="$1" -v f="$2" '$1 == k { print $(f + 1); exit }' "$TRUTH"; }
# has PATTERN: 1 if some trace line matches the awk condition.
has() { awk "$1 { found = 1 } END { print found ? 1 : 0 }" "$OUT"; }

missing=""
for p in worker_start worker_stop worker_park worker_unpark task_spawn task_wake \
	poll_start poll_end slow_poll slow_schedule timer_fire mutex_wait mutex_acquire \
	mutex_release sync_wait sync_acquire sync_release blocking_queue \
	blocking_start blocking_end; do
	grep -q "^$p " "$OUT" || missing="$missing $p"
done
is "$missing" "" "all 20 probes fired"

# worker_start(worker_idx, tid, &published_state)
for i in 0 1; do
	line=$(awk -v i=$i '$1 == "worker" && $2 == i' "$TRUTH")
	set -- $line
	ok "$(has "\$1 == \"worker_start\" && \$2 == $2 && \$3 == $3 && \$4 == $4")" \
		"worker_start $i: tid $3 and state address match"
done

# worker_stop(worker_idx, tid, &published_state): once per worker, at
# rt_free, with the address worker_start handed over.
for i in 0 1; do
	line=$(awk -v i=$i '$1 == "worker" && $2 == i' "$TRUTH")
	set -- $line
	n=$(awk -v i="$2" -v t="$3" -v a="$4" \
		'$1 == "worker_stop" && $2 == i && $3 == t && $4 == a' "$OUT" | wc -l)
	is "$n" 1 "worker_stop $i: fired once, tid $3 and the worker_start address"
done
n=$(grep -c '^worker_stop ' "$OUT")
is "$n" 2 "worker_stop fired once per worker in all ($n)"

child=$(truth spawn 1); parent=$(truth spawn 2)
ok "$(has "\$1 == \"task_spawn\" && \$2 == $child && \$3 == $parent")" \
	"task_spawn(child $child, parent $parent)"
ok "$(has '$1 == "task_spawn" && $3 == 0')" "task_spawn from outside a task has parent 0"
ok "$(has "\$1 == \"task_wake\" && \$2 == $(truth wake 1) && \$3 == $(truth wake 2)")" \
	"task_wake(child, waker = root task)"

# poll_start / poll_end pair up; the published state names the polled task.
ns=$(grep -c '^poll_start ' "$OUT"); ne=$(grep -c '^poll_end ' "$OUT")
ok "$((ns == ne && ns > 0))" "poll_start and poll_end pair up ($ns / $ne)"
bad=$(awk '$1 == "poll_start" && ($4 != $2 || $5 == 0)' "$OUT" | wc -l)
is "$bad" 0 "published worker state holds the polled task id and start time"
ok "$(has '$1 == "poll_end" && $5 == 1')" "poll_end reports READY (1)"
ok "$(has '$1 == "poll_end" && $5 == 0')" "poll_end reports PENDING (0)"

# slow_poll(task, worker, start_ns, duration_ns): the 20 ms poll.
st=$(truth slow 1); sw=$(truth slow 2); sd=$(truth slow 3)
line=$(awk -v t="$st" -v w="$sw" '$1 == "slow_poll" && $2 == t && $3 == w' "$OUT" | head -1)
set -- $line
ok "$(( ${#line} > 0 ))" "slow_poll for task $st on worker $sw"
cmp_num "${5:-0}" ">=" "$sd" "slow_poll duration >= 20 ms (${5:-0} ns)"
cmp_num "${5:-0}" "<" "$((sd + 2000 * MS))" "slow_poll duration is that poll's, not more"
ok "$(has "\$1 == \"poll_end\" && \$2 == $st && \$4 >= $sd")" "poll_end carries the same long duration"
cnt=$(awk '$1 == "slow_poll"' "$OUT" | wc -l)
ok "$((cnt >= 1 && cnt <= 3))" "slow_poll is rare: $cnt fired (one 20 ms poll injected)"

# slow_schedule(task, worker, woken_ns, delay_ns): with the probe attached
# (its semaphore turns the wake timestamps on), the child woken into the
# LIFO slot right before the 20 ms poll waits it out on that worker.
ct=$(truth sched 1); cw=$(truth sched 2); cd=$(truth sched 3)
line=$(awk -v t="$ct" -v w="$cw" '$1 == "slow_schedule" && $2 == t && $3 == w' "$OUT" | head -1)
set -- $line
ok "$(( ${#line} > 0 ))" "slow_schedule for task $ct on worker $cw (the woken child)"
# the wake comes before the spin starts: the whole spin is in the delay
cmp_num "${5:-0}" ">=" "$cd" "slow_schedule delay_ns covers the 20 ms poll (${5:-0} ns)"

# timer_fire(task, deadline_ns, fired_ns)
tt=$(truth timer 1); td=$(truth timer 2)
line=$(awk -v t="$tt" -v d="$td" '$1 == "timer_fire" && $2 == t && $3 == d' "$OUT" | head -1)
set -- $line
ok "$(( ${#line} > 0 ))" "timer_fire(task $tt, deadline $td)"
cmp_num "${4:-0}" ">=" "$td" "timer fired at or after its deadline"

# Async mutex: holder sleeps 10 ms holding it, the waiter waits.
ma=$(truth mutex 1); mh=$(truth mutex 2); mw=$(truth mutex 3); hold=$(truth mutex 4)
ok "$(has "\$1 == \"mutex_wait\" && \$2 == $ma && \$3 == $mw")" "mutex_wait(lock, waiter task)"
ok "$(has "\$1 == \"mutex_acquire\" && \$2 == $ma && \$3 == $mh && \$4 == 0")" \
	"mutex_acquire of a free lock has wait 0"
w=$(awk -v a="$ma" -v t="$mw" '$1 == "mutex_acquire" && $2 == a && $3 == t { print $4 }' "$OUT")
cmp_num "${w:-0}" ">=" "$((hold * 9 / 10))" "mutex_acquire wait_ns covers the holder's 10 ms (${w:-0})"
h=$(awk -v a="$ma" -v t="$mh" '$1 == "mutex_release" && $2 == a && $3 == t { print $4 }' "$OUT")
cmp_num "${h:-0}" ">=" "$hold" "mutex_release hold_ns >= 10 ms (${h:-0})"
# running_ns (4th): the part of the hold inside the holder's polls.  The
# holder slept 10 ms across an await: it ran for microseconds of it.
bad=$(awk -v a="$ma" '$1 == "mutex_release" && $2 == a && $5 > $4' "$OUT" | wc -l)
nrel=$(awk -v a="$ma" '$1 == "mutex_release" && $2 == a' "$OUT" | wc -l)
ok "$((bad == 0 && nrel == 2))" "mutex_release running_ns <= hold_ns ($nrel releases, $bad bad)"
r=$(awk -v a="$ma" -v t="$mh" '$1 == "mutex_release" && $2 == a && $3 == t { print $5 }' "$OUT")
ok "$(( ${#r} > 0 && r < 2 * MS ))" \
	"mutex_release running_ns of the 10 ms hold across an await < 2 ms (${r:-none})"

# Sync mutex: main thread holds 10 ms, another thread waits.
sa=$(truth sync 1); sh=$(truth sync 2); swt=$(truth sync 3)
ok "$(has "\$1 == \"sync_wait\" && \$2 == $sa && \$3 == $swt")" "sync_wait(lock, waiter tid)"
w=$(awk -v a="$sa" -v t="$swt" '$1 == "sync_acquire" && $2 == a && $3 == t { print $4 }' "$OUT")
cmp_num "${w:-0}" ">=" "$((hold * 9 / 10))" "sync_acquire wait_ns covers the 10 ms hold (${w:-0})"
h=$(awk -v a="$sa" -v t="$sh" '$1 == "sync_release" && $2 == a && $3 == t { print $4 }' "$OUT")
cmp_num "${h:-0}" ">=" "$hold" "sync_release hold_ns >= 10 ms (${h:-0})"

# Blocking pool: job 1 runs 15 ms.
ok "$(has '$1 == "blocking_queue" && $2 == 1')" "blocking_queue(job 1)"
ok "$(has '$1 == "blocking_start" && $2 == 1 && $3 < 1000000000')" "blocking_start(job 1, queue_ns < 1 s)"
r=$(awk '$1 == "blocking_end" && $2 == 1 { print $3 }' "$OUT")
cmp_num "${r:-0}" ">=" "$(truth blocking 2)" "blocking_end run_ns >= 15 ms (${r:-0})"

"$T" "$TMPDIR_T/untraced" >/dev/null 2>&1
ok "$(( $(truth semaphore 1) > 0 && \
	$(awk '$1 == "semaphore" { print $2 }' "$TMPDIR_T/untraced") == 0 ))" \
	"semaphore set while traced, 0 untraced (probes are free when unused)"
ok "$(has '$1 == "worker_unpark" && ($2 == 0 || $2 == 1) && $3 > 0')" \
	"worker_unpark(worker, parked_ns > 0)"
done_testing
