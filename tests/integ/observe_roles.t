#!/bin/bash
# observe_roles.t - the kernel tier alone (--no-runtime) on runtimes it has
# no probes for: roles from behaviour, CPU-bound polls as long CPU runs, and
# pool idle queues that are parking, not a convoy.  Ground truth: the
# thread ids each demo reports (its --json "threads"), and the shape the
# demo injects.  ~20 s: 8 runs of 2 s (`make stability`: 31).
#
#  - tokio_starvation --mode spin --fixed: the CPU-bound work on Tokio's
#    blocking pool, named like the workers.  Its pool threads are blocking
#    (idle_queue), the workers workers; healthy or cpu_overload, never a
#    mutex convoy (the pool's idle condvar once was one, 0.95).
#  - tokio_starvation --mode spin: CPU-bound polls on the workers, seen as
#    long CPU runs: executor_starvation from the kernel tier alone.
#  - tokio_convoy --workers 4 (2 pressure threads) on 2 CPUs: mutex_convoy
#    in every one of CONVOY_RUNS runs, all four workers kept.
#  - demo_starvation --mode spin (rt, with its epoll I/O driver): workers by
#    epoll, executor_starvation from CPU runs.
#  - the same with --workers 'tokio-runtime-w*': the pool threads are then
#    workers, and the convoy rule itself sees their idle queue as parking.
#  - demo_server --fixed at 15000 requests/s: busy, many short polls and
#    frequent epoll: healthy, no long CPU run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/observe_lib.sh"
need_root
need_observe
TOKIO=$BUILD/tokio/release
for d in tokio_starvation tokio_convoy; do
	[ -x "$TOKIO/$d" ] || skip_all "$TOKIO/$d not built (no cargo: mk/tokio.mk)"
done

CONVOY_RUNS=${CONVOY_RUNS:-3}	# make stability: 10, the issue's bar
REPEAT=${REPEAT:-1}		# runs of every other case (make stability: 5)
plan $((REPEAT * 9 + 3 + 4 + 3))

j() { local n=$1; shift; jq -r "$@" "$TMPDIR_T/$n.json" 2>/dev/null; }	# observe's
d() { local n=$1; shift; jq -r "$@" "$TMPDIR_T/$n.out" 2>/dev/null; }	# the demo's

# krun NAME CMD...: observe --no-runtime launches CMD, which prints its JSON.
krun() {
	local name=$1
	shift
	# shellcheck disable=SC2086 # KFLAGS: zero or more options
	timeout -k 5 60 "$OBSERVE" --no-runtime ${KFLAGS:-} --json -o "$TMPDIR_T/$name.json" -- \
		"$@" --json >"$TMPDIR_T/$name.out" 2>"$TMPDIR_T/$name.err"
	RC=$?
}

# roles_of NAME KEY: the roles observe gave the demo's KEY threads, sorted
# and unique ("worker:name" ...); "" when the demo reported none.
roles_of() {
	local tids
	tids=$(d "$1" ".threads.$2 | map(tostring) | join(\",\")")
	[ -n "$tids" ] || return
	j "$1" "[.threads[] | select(.tid as \$t | [$tids] | index(\$t)) |
		\"\(.role):\(.role_by)\"] | unique | join(\" \")"
}

for ((r = 1; r <= REPEAT; r++)); do
	n=tk_fixed_$r
	krun "$n" "$TOKIO/tokio_starvation" --workers 2 --secs 2 --mode spin --fixed
	is "$RC" 0 "$n: exit 0"
	case "$(shape "$n")" in
	healthy | cpu_overload) ok 1 "$n: healthy or cpu_overload ($(shape "$n"))" ;;
	*) ok 0 "$n: healthy or cpu_overload"; explain "$n" ;;
	esac
	is "$(has_finding "$n" mutex_convoy)" 0 "$n: no mutex_convoy finding"
	is "$(roles_of "$n" blocking)" "blocking:idle_queue" \
		"$n: the demo's pool threads are blocking, from their idle queue"
	is "$(roles_of "$n" workers)" "worker:name" "$n: its workers stay workers"

	n=tk_spin_$r
	krun "$n" "$TOKIO/tokio_starvation" --workers 2 --secs 2 --mode spin
	is "$(shape "$n")" executor_starvation "$n: executor_starvation" || explain "$n"
	is "$(j "$n" '[.findings[0].evidence[] | select(test("CPU runs >= 10 ms on workers"))] | length')" 1 \
		"$n: the evidence is the workers' long CPU runs"
	tids=$(d "$n" '.threads.workers | map(tostring) | join(",")')
	is "$(j "$n" "[.threads[] | select(.tid as \$t | [${tids:-0}] | index(\$t)) |
		select(.cpu_runs.long >= 10)] | length")" 2 \
		"$n: both workers ran 10 CPU runs >= 10 ms or more"

	n=rt_spin_$r
	krun "$n" "$TOP/demos/demo_starvation" --workers 2 --secs 2 --mode spin
	is "$(shape "$n"):$(j "$n" '[.threads[] | select(.role == "worker") | .role_by] | unique | join(",")')" \
		executor_starvation:epoll "$n: executor_starvation, workers by epoll" ||
		explain "$n"
done

# the convoy, CONVOY_RUNS times in one loop: every run must be one
pass=0 all=""
for ((r = 1; r <= CONVOY_RUNS; r++)); do
	n=tk_convoy_$r
	krun "$n" "$TOKIO/tokio_convoy" --workers 4 --secs 2
	all="$all $(shape "$n")"
	if [ "$(shape "$n")" = mutex_convoy ]; then
		pass=$((pass + 1))
	else
		explain "$n"
	fi
done
is "$pass" "$CONVOY_RUNS" "tokio_convoy, 4 workers, 2 pressure threads, 2 CPUs: mutex_convoy in $CONVOY_RUNS of $CONVOY_RUNS runs"
diag "tokio_convoy verdicts:$all"
is "$(d tk_convoy_1 '.threads.workers | length')" 4 "tokio_convoy: the demo ran 4 workers"
is "$(roles_of tk_convoy_1 workers)" "worker:name" "tokio_convoy: all 4 are workers"

# told the pool threads are workers, the convoy rule still sees parking
n=tk_glob
KFLAGS="--workers tokio-runtime-w*" krun "$n" "$TOKIO/tokio_starvation" \
	--workers 2 --secs 2 --mode spin --fixed
is "$(roles_of "$n" blocking)" "worker:glob" "$n: --workers makes the pool threads workers"
is "$(has_finding "$n" mutex_convoy)" 0 "$n: still no mutex_convoy" || explain "$n"
is "$(j "$n" '[.notes[] | select(test("is a pool.s idle queue, not a lock"))] | length')" 1 \
	"$n: a note says the pool's idle queue is parking"

n=busy
krun "$n" "$TOP/demos/demo_server" --workers 2 --secs 2 --fixed --rate 15000
is "$(shape "$n")" healthy "$n: demo_server --fixed at 15000/s is healthy" || explain "$n"
is "$(j "$n" '[.threads[] | select(.role == "worker")] | length')" 2 "$n: 2 workers"
is "$(j "$n" '[.threads[] | select(.role == "worker" and .cpu_runs.long > 0)] | length')" 0 \
	"$n: no worker ran 10 ms without a syscall"
cmp_num "$(j "$n" '[.threads[] | select(.role == "worker") | .cpu_runs.short
	+ ([.cpu_runs.hist[].count] | add // 0)] | add')" ">=" 10000 \
	"$n: the workers' CPU runs were counted (10000 or more)"

done_testing
