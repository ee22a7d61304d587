#!/bin/bash
# node_demos.t - the Node.js demo (demos/node) blocks its event loop in each
# mode as its ground truth says, --fixed removes the block, the thread roles
# it prints are the process's threads, and no child outlives it.
#
# Runs are 2 s each, one at a time (five runs, ~15 s in all).  B = 100 ms
# every 100th request at 200 req/s: 2 slow calls a second, the event loop
# blocked ~20% of the time in the broken runs, and --mode cpu costs a fifth
# of a core either way.  (At 40% of a core, on 2 cores loaded by another
# benchmark, the cpu --fixed twin's fast p99 reached 68 ms, above its broken
# twin's, its loop healthy: the CPU was short, not the loop.)  B is five
# times the default so that every line below stays clear of the resolution
# of monitorEventLoopDelay (10 ms) and of the stalls a loaded 2-core machine
# adds.  No root needed.
. "$(dirname "$0")/lib.sh"

NODE=${NODE:-/usr/bin/node}
[ -x "$NODE" ] || skip_all "needs $NODE (Debian's nodejs, scripts/deps.sh)"
need_cmd jq
DEMO=$TOP/demos/node/server.js
unset UV_THREADPOOL_SIZE # the thread checks expect libuv's default pool: 4

plan 39

SECS=2
RATE=200
B=100
EVERY=100
SENT=$((SECS * RATE))        # requests due in SECS at RATE
SLOW=$((SENT / EVERY))       # every EVERY-th of them is slow
ARGS=(--secs "$SECS" --rate "$RATE" --block-ms "$B" --block-every "$EVERY")
# Named tolerances:
# ELD_RATIO: monitorEventLoopDelay ticks every 10 ms; a tick due during a
#   block of D ms is late by D - 10 .. D ms, so the broken p99 is >= 0.7 D
#   for any D >= 33 ms.  D is B, or the measured mean block when shorter
#   (pbkdf2 calibrated in a slow phase of the CPU, below).  Measured: p99
#   0.95-1.8 x B.
# HEALTHY: a healthy loop's p99 stays below B/2 (measured 0.8-6 ms).
# BLOCK_LO, BLOCK_HI: the mean slow call lasts B within these factors.  A
#   read waits B and ~1 ms for the backend (measured 1.01-1.03 B).
#   pbkdf2's speed on this VM varies 1.8x between phases of ~100 ms
#   (260-475 ns per iteration); the count is calibrated on the fastest
#   rate seen at startup, so a call lasts 0.55 B (startup saw only a slow
#   phase, the calls run in a fast one) to 1.8 B, and preemption on a loaded
#   machine stretches it further (measured 1.0-1.9 B at load average 0.7).
ELD_RATIO=0.7
HEALTHY=$((B / 2))
BLOCK_LO=0.4
BLOCK_HI=4

# j NAME FILTER: a value from a run's JSON (0 if missing, so asserts fail).
j() { jq -r "($2) | if . == null then 0 else . end" "$TMPDIR_T/$1.json" 2>/dev/null || echo 0; }

# start NAME ARGS...: starts the demo in the background with --json and
# NODE_DEMO_TIDS=1, output in $TMPDIR_T/NAME.{json,err}; sets PID.  The
# FIFOs of --mode read go to $TMPDIR_T/tmp, to check they are removed.
start() {
	local name=$1
	shift
	TMPDIR=$TMPDIR_T/tmp NODE_DEMO_TIDS=1 "$NODE" "$DEMO" --json "$@" \
		>"$TMPDIR_T/$name.json" 2>"$TMPDIR_T/$name.err" &
	PID=$!
	echo "$PID" >"$TMPDIR_T/$name.pid"
}

# finish NAME [RC]: waits for the demo (30 s at most, then SIGKILL) and
# checks that it exited RC (default 0) and printed one JSON object.
finish() {
	local name=$1 want=${2:-0} rc
	for _ in $(seq 300); do
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$PID" 2>/dev/null
	wait "$PID"
	rc=$?
	if [ "$rc" = "$want" ] && jq -se 'length == 1 and (.[0] | type) == "object"' \
		"$TMPDIR_T/$name.json" >/dev/null 2>&1; then
		ok 1 "$name: exit $want, one JSON object"
	else
		ok 0 "$name: exit $want, one JSON object (rc=$rc)"
		diag "stdout: $(head -c 500 "$TMPDIR_T/$name.json")" "stderr: $(head -c 500 "$TMPDIR_T/$name.err")"
	fi
}

# tasks_midrun NAME: once the demo has printed its thread roles, waits 1 s
# (the load is running) and saves the process's threads to NAME.tasks.
tasks_midrun() {
	for _ in $(seq 100); do # up to 10 s
		grep -q '^node_demo: event_loop=' "$TMPDIR_T/$1.err" 2>/dev/null && break
		sleep 0.1
	done
	sleep 1
	(cd "/proc/$PID/task" 2>/dev/null && printf '%s\n' *) | sort -n >"$TMPDIR_T/$1.tasks"
}

mkdir -p "$TMPDIR_T/tmp"
RUNS="cpu cpu_fixed read read_fixed"
for r in $RUNS; do
	mode=${r%_fixed}
	fixed=
	[ "$r" = "$mode" ] || fixed=--fixed
	start "$r" --mode "$mode" $fixed "${ARGS[@]}"
	tasks_midrun "$r"
	finish "$r"
done

# ---- every run: all requests answered, all slow calls done, no leftovers ----
for r in $RUNS; do
	mode=${r%_fixed}
	want_fixed=false
	[ "$r" = "$mode" ] || want_fixed=true
	is "$(j "$r" '[.mode, .fixed, .secs, .block_ms, .block_every] | join(" ")')" \
		"$mode $want_fixed $SECS $B $EVERY" "$r: mode, fixed, secs, block_ms, block_every reported"
	q=$(j "$r" '[.requests.sent, .requests.completed, .slow_done] | join(" ")')
	is "$q" "$SENT $SENT $SLOW" "$r: $SENT requests sent and completed, $SLOW slow calls done (sent completed slow: $q)"
	left=
	for p in $(j "$r" '.threads.client_pid, .threads.backend_pid'); do
		[ "$p" = 0 ] || ! kill -0 "$p" 2>/dev/null || left="$left $p"
	done
	# backend_pid: a number in --mode read, null in --mode cpu.
	pids=$(j "$r" '[(.threads.client_pid | type), (.threads.backend_pid | type)] | join(" ")')
	want=$([ "$mode" = read ] && echo "number number" || echo "number null")
	ok "$([ -z "$left" ] && [ "$pids" = "$want" ] && echo 1 || echo 0)" \
		"$r: child pids reported ($pids), none alive after exit ($left)"
done
is "$(ls "$TMPDIR_T/tmp")" "" "read: the FIFOs' temp dirs are removed"

# ---- broken vs --fixed, per mode --------------------------------------------
for mode in cpu read; do
	f=${mode}_fixed
	d=$(j "$mode" "if .slow_done > 0 then [.blocked_ms_total / .slow_done, $B] | min else $B end")
	# The longest delay, not p99: with 10 ms samples a 2 s run has ~200,
	# and its p99 is the 2nd-longest of 4 blocks whose lengths vary 0.55-1.8
	# B (pbkdf2, above): it fell under 0.7 x their mean once (53.9 against
	# 61.8 ms).  The longest block is at least their mean.
	mx=$(j "$mode" .event_loop_delay_ms.max)
	cmp_num "$mx" ">=" "$(awk -v d="$d" -v r="$ELD_RATIO" 'BEGIN { print r * d }')" \
		"$mode: event-loop delay max >= $ELD_RATIO x the mean block (max=$mx ms, block=$d ms)"
	p99f=$(j "$f" .event_loop_delay_ms.p99)
	cmp_num "$p99f" "<" "$HEALTHY" "$f: event-loop delay p99 < B/2 (p99=$p99f ms)"
	# Ground truth: the time in the slow calls is about slow_done x B, on the
	# event loop when broken, on the pool with --fixed.
	mean=$(j "$mode" 'if .slow_done > 0 then .blocked_ms_total / .slow_done else 0 end')
	ok "$(awk -v m="$mean" -v b="$B" -v lo="$BLOCK_LO" -v hi="$BLOCK_HI" -v a="$(j "$mode" .async_ms_total)" \
		'BEGIN { print (m >= lo * b && m <= hi * b && a == 0) ? 1 : 0 }')" \
		"$mode: event loop blocked $BLOCK_LO..$BLOCK_HI x B per slow call (mean=$mean ms), no async calls"
	meanf=$(j "$f" 'if .slow_done > 0 then .async_ms_total / .slow_done else 0 end')
	ok "$(awk -v m="$meanf" -v b="$B" -v lo="$BLOCK_LO" -v z="$(j "$f" .blocked_ms_total)" \
		'BEGIN { print (m >= lo * b && z == 0) ? 1 : 0 }')" \
		"$f: the calls ran on the pool, >= $BLOCK_LO x B each (mean=$meanf ms), none on the loop"
	fp=$(j "$mode" .fast_ms.p99)
	fpf=$(j "$f" .fast_ms.p99)
	cmp_num "$fp" ">" "$fpf" "$mode: fast-request p99 above the --fixed twin's ($fp vs $fpf ms)"
done

# ---- thread roles ------------------------------------------------------------
# event_loop is the pid; 4 distinct pool threads (UV_THREADPOOL_SIZE's
# default), none of them the event loop or an "other"; the stderr line says
# the same as the JSON; mid-run the process had exactly these threads.
bad_pid= bad_pool= bad_line= bad_tasks=
for r in $RUNS; do
	pid=$(cat "$TMPDIR_T/$r.pid")
	[ "$(j "$r" .threads.event_loop)" = "$pid" ] || bad_pid="$bad_pid $r"
	jq -e '.threads as $t | ($t.threadpool | length) == 4
		and ([$t.event_loop] + $t.threadpool + $t.other | unique | length)
			== 5 + ($t.other | length)' "$TMPDIR_T/$r.json" >/dev/null 2>&1 ||
		bad_pool="$bad_pool $r"
	line=$(j "$r" '.threads | "node_demo: event_loop=\(.event_loop) threadpool=\(.threadpool | join(",")) other=\(.other | join(","))"')
	[ "$(grep -c '^node_demo: event_loop=' "$TMPDIR_T/$r.err")" = 1 ] &&
		grep -qxF "$line" "$TMPDIR_T/$r.err" || bad_line="$bad_line $r"
	listed=$(j "$r" '[.threads.event_loop] + .threads.threadpool + .threads.other | sort | .[]')
	[ -s "$TMPDIR_T/$r.tasks" ] && [ "$listed" = "$(cat "$TMPDIR_T/$r.tasks")" ] || bad_tasks="$bad_tasks $r"
done
is "$bad_pid" "" "threads: event_loop is the process's pid in every run"
is "$bad_pool" "" "threads: 4 distinct threadpool tids, apart from the event loop and the others"
is "$bad_line" "" "threads: the NODE_DEMO_TIDS=1 line on stderr matches the JSON"
is "$bad_tasks" "" "threads: mid-run, the process's threads are exactly the listed ones"

# ---- SIGTERM: the report so far, exit 128+15, children reaped ---------------
start term --mode read "${ARGS[@]}" --secs 10
tasks_midrun term
kill -TERM "$PID"
finish term 143
is "$(j term '[.interrupted, (.requests.completed > 0)] | join(" ")')" "SIGTERM true" \
	"term: interrupted reported, with the requests completed so far"
left=
for p in $(j term '.threads.client_pid, .threads.backend_pid'); do
	[ "$p" = 0 ] || ! kill -0 "$p" 2>/dev/null || left="$left $p"
done
is "$left$(ls "$TMPDIR_T/tmp")" "" "term: no child alive, no FIFO left"

# ---- bad usage: one line on stderr, exit 2 -----------------------------------
bad() {
	local desc=$1 rc lines
	shift
	timeout -k 5 30 "$NODE" "$DEMO" "$@" >"$TMPDIR_T/bad.out" 2>"$TMPDIR_T/bad.err"
	rc=$?
	lines=$(wc -l <"$TMPDIR_T/bad.err")
	ok "$((rc == 2 && lines == 1))" "$desc: exit 2, one line on stderr (rc=$rc, lines=$lines)"
	[ "$rc" = 2 ] && [ "$lines" = 1 ] || diag "stderr: $(head -c 300 "$TMPDIR_T/bad.err")"
}
bad "--mode nope" --mode nope
bad "--rate -1" --rate -1
bad "missing value" --secs
bad "unknown option" --no-such-option
timeout -k 5 30 "$NODE" "$DEMO" --help >"$TMPDIR_T/help.out" 2>&1
ok "$([ $? = 0 ] && grep -q -- '--block-every' "$TMPDIR_T/help.out" && echo 1 || echo 0)" \
	"--help: exit 0, lists the options"

done_testing
