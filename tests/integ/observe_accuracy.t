#!/bin/bash
# observe_accuracy.t - per-thread on-CPU time and run-queue delay measured by
# observe against the kernel's own accounting (/proc/.../schedstat).
#
# spin_threads runs 4 CPU-bound threads on a 2-core box for 3 s, so each is
# preempted hundreds of times; just before exiting each thread prints its
# schedstat.  In launch mode the child is held until the probes are attached,
# so observe and schedstat both count from the thread's creation.
#
# Tolerances: 3% or 1 ms, whichever is larger (the brief's figure).  What
# legitimately differs: the few microseconds between the thread's schedstat
# read and its exit, and at most one more preemption in that window: one
# run-queue wait, allowed on top in the upper bounds of rq delay.  On a
# heavily loaded box the kernel's sched_switch tracepoint sometimes misses
# 1-3 switch-ins that schedstat counts (seen with an independent BPF checker
# too), moving 5-25 ms from on-CPU to run-queue time: under 3% of a 3 s run,
# and on-CPU + run-queue time stays exact (checked to 1%).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/observe_lib.sh"
need_root
need_observe
need_target spin_threads

NTHREADS=4
SECS=3
PER_THREAD=11
OUT=$TMPDIR_T/target.out
JSON=$TMPDIR_T/observe.json
ERR=$TMPDIR_T/observe.err

plan $((10 + NTHREADS * PER_THREAD))

# --workers names the spinning threads as workers: roles{} must add them up.
timeout -k 5 60 "$OBSERVE" --json -o "$JSON" --workers 'spin-*' -- \
	"$TARGETS/spin_threads" -t "$NTHREADS" -s "$SECS" >"$OUT" 2>"$ERR"
rc=$?
is "$rc" 0 "observe exits with the target's status (0)"
[ "$rc" = 0 ] || diag "stderr: $(head -c 2000 "$ERR")"
if ! json_ok "$JSON"; then
	ok 0 "observe wrote one JSON document of version 1 to -o FILE"
	diag "json: $(head -c 500 "$JSON" 2>/dev/null)"
	done_testing
fi
ok 1 "observe wrote one JSON document of version 1 to -o FILE"
pid=$(field "$OUT" pid 1)
is "$(jq -r '.target.mode' "$JSON")" launch "target.mode is launch"
is "$(jq -r '.target.pid' "$JSON")" "$pid" "target.pid is the launched process"
is "$(jq -r '.exit_status' "$JSON")" 0 "exit_status is 0"
is "$(grep -c '^schedstat ' "$OUT")" "$NTHREADS" "each spinning thread reported its schedstat"
is "$(jq -c '.drops' "$JSON")" '{"ringbuf":0,"threads_full":0,"futex_full":0,"other_full":0}' \
	"no drops"
is "$(jq -r '[.threads[] | select(.comm | startswith("spin-")) | .role] | unique | join(",")' "$JSON")" \
	worker "--workers 'spin-*': the spinning threads have role worker"
is "$(jq -r '[.threads[] | select(.tid == .pid) | .role] | join(",")' "$JSON")" \
	other "--workers 'spin-*': the main thread has role other"
is "$(jq -r '.roles.worker | "\(.threads) \(.on_cpu_ns) \(.rq_delay_ns)"' "$JSON")" \
	"$(jq -r '[.threads[] | select(.role == "worker")] |
		"\(length) \(map(.on_cpu_ns) | add) \(map(.rq_delay_ns.total) | add)"' "$JSON")" \
	"roles.worker: threads, on_cpu_ns and rq_delay_ns add up the worker threads"

while read -r _ tid on_cpu rq_wait slices; do
	t="spin thread $tid"
	if [ -z "$(jt "$JSON" "$tid" .tid)" ]; then
		for ((i = 0; i < PER_THREAD; i++)); do
			ok 0 "$t: present in threads[]"
		done
		continue
	fi
	within "$(jt "$JSON" "$tid" .on_cpu_ns)" "$on_cpu" 3 1000000 \
		"$t: on_cpu_ns within 3% of schedstat ($on_cpu)"
	# observe also sees the thread after its schedstat read: one more
	# preemption there adds one run-queue wait (44 ms seen on the loaded
	# box, 1.5% of the run).  The upper bounds allow the thread's longest
	# single wait (rq_delay_ns.max) on top of the tolerance.
	rq_got=$(jt "$JSON" "$tid" .rq_delay_ns.total)
	rq_max=$(jt "$JSON" "$tid" .rq_delay_ns.max)
	cmp_num "$rq_got" '>=' "$(awk -v w="$rq_wait" 'BEGIN { printf "%.0f", w * 0.97 - 1000000 }')" \
		"$t: rq_delay_ns.total ($rq_got) >= schedstat ($rq_wait) - 3%"
	cmp_num "$rq_got" '<=' "$(awk -v w="$rq_wait" -v m="${rq_max:-0}" 'BEGIN { printf "%.0f", w * 1.03 + 1000000 + m }')" \
		"$t: rq_delay_ns.total <= schedstat + 3% + one wait ($rq_max)"
	# Time is conserved even when the on-CPU / rq split is off by a
	# switch the tracepoint missed (see observe_threads.t): the thread
	# never sleeps, so on-CPU + rq delay is its whole life.
	all=$(jt "$JSON" "$tid" '.on_cpu_ns + .rq_delay_ns.total')
	cmp_num "$all" '>=' "$(awk -v w="$((on_cpu + rq_wait))" 'BEGIN { printf "%.0f", w * 0.99 - 1000000 }')" \
		"$t: on_cpu_ns + rq_delay_ns.total ($all) >= schedstat ($((on_cpu + rq_wait))) - 1%"
	cmp_num "$all" '<=' "$(awk -v w="$((on_cpu + rq_wait))" -v m="${rq_max:-0}" 'BEGIN { printf "%.0f", w * 1.01 + 1000000 + m }')" \
		"$t: on_cpu_ns + rq_delay_ns.total <= schedstat + 1% + one wait"
	# Every run-queue wait ends with a switch-in that schedstat counts.
	within "$(jt "$JSON" "$tid" .rq_delay_ns.count)" "$slices" 3 2 \
		"$t: rq_delay_ns.count within 3% of schedstat timeslices ($slices)"
	is "$(jt "$JSON" "$tid" '.rq_delay_ns.wakeup + .rq_delay_ns.preempt')" \
		"$(jt "$JSON" "$tid" .rq_delay_ns.total)" \
		"$t: rq_delay_ns.total = wakeup + preempt"
	# A CPU-bound thread is woken once (creation) and preempted hundreds
	# of times: the preempt part must dominate.
	cmp_num "$(jt "$JSON" "$tid" .rq_delay_ns.preempt)" '>=' \
		"$(jt "$JSON" "$tid" '.rq_delay_ns.total * 0.9')" \
		"$t: preempt part >= 90% of rq delay"
	is "$(jt "$JSON" "$tid" '[.rq_hist[].count] | add')" \
		"$(jt "$JSON" "$tid" .rq_delay_ns.count)" \
		"$t: rq_hist counts add up to rq_delay_ns.count"
	ok "$(jt "$JSON" "$tid" 'if .rq_delay_ns.p50 <= .rq_delay_ns.p99 and .rq_delay_ns.max > 0 then 1 else 0 end')" \
		"$t: p50 <= p99 and max > 0"
	is "$(jt "$JSON" "$tid" .exited)" true "$t: marked exited"
done < <(grep '^schedstat ' "$OUT")

done_testing
