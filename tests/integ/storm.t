#!/bin/bash
# storm.t - tests/targets/storm, the workload of bench-observer -S host:
# it prints one JSON document with a distinct pid and round trips per
# process, in both modes; it leaves no process behind, whether it ends or
# is stopped with SIGTERM while its children wait (-w); bad usage is one
# line and exit 2.  Numbers are not judged, only that they are positive
# (a workload, not a benchmark).  ~2.5 s, no root.
. "$(dirname "$0")/lib.sh"

STORM=$BUILD/tests/targets/storm
[ -x "$STORM" ] || skip_all "$STORM not built (make BUILD=$BUILD)"
need_cmd jq

plan 12

# running PID: 1 if PID is a live process (not gone, not a zombie).
running() {
	local st
	st=$(awk '$1 == "State:" { print $2 }' "/proc/$1/status" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ] && echo 1 || echo 0
}

# none_running PID...: 1 if none of them is a live process.
none_running() {
	local p
	for p in "$@"; do
		[ "$(running "$p")" = 0 ] || { diag "pid $p still running"; echo 0; return; }
	done
	echo 1
}

# 1. pipes, 4 processes of 2 pairs
timeout -k 2 10 "$STORM" -P 4 -t 4 -s 1 >"$TMPDIR_T/out" 2>"$TMPDIR_T/err"
rc=$?
ok "$((rc == 0))" "storm -P 4 -t 4 -s 1 exits 0 (rc=$rc)"
[ -s "$TMPDIR_T/err" ] && diag "stderr: $(head -3 "$TMPDIR_T/err")"
ok "$(jq -e . "$TMPDIR_T/out" >/dev/null 2>&1 && echo 1 || echo 0)" "stdout is one valid JSON document"
J=$TMPDIR_T/out
is "$(jq '[.children[].pid] | unique | length' "$J" 2>/dev/null)" 4 "4 distinct child pids"
is "$(jq '.storm.nproc == 4 and .storm.threads_per_proc == 4 and .storm.mode == "pipe"' "$J" 2>/dev/null)" \
	true "it echoes its settings"
is "$(jq '.roundtrips > 0 and .roundtrips_per_s > 0 and .cpu_ns_per_roundtrip > 0' "$J" 2>/dev/null)" \
	true "round trips, round trips/s and CPU per round trip are positive"
is "$(jq '(.children | all(.roundtrips > 0)) and ([.children[].roundtrips] | add) == .roundtrips' "$J" 2>/dev/null)" \
	true "every child made round trips, and they add up to the total"
mapfile -t pids < <(jq '.children[].pid' "$J" 2>/dev/null)
ok "$(none_running "${pids[@]}")" "no child left running after a normal end"

# 2. futex mode
timeout -k 2 10 "$STORM" -P 2 -s 1 -m futex >"$TMPDIR_T/fx" 2>"$TMPDIR_T/err"
rc=$?
is "$rc:$(jq '.storm.mode == "futex" and (.children | length) == 2 and (.children | all(.roundtrips > 0))' \
	"$TMPDIR_T/fx" 2>/dev/null)" 0:true "-m futex: exit 0, both children made round trips"

# 3. SIGTERM while the children wait to start: all killed and reaped
"$STORM" -P 3 -s 30 -w 10 >/dev/null 2>&1 &
p=$!
kids=()
for ((i = 0; i < 50; i++)); do
	read -r -a kids <"/proc/$p/task/$p/children" 2>/dev/null
	[ ${#kids[@]} -eq 3 ] && break
	sleep 0.02
done
is "${#kids[@]}" 3 "-P 3 forks 3 children before its -w wait"
kill -TERM "$p"
wait "$p"
rc=$?
is "$rc" 143 "SIGTERM: exit 128+15"
ok "$(none_running "${kids[@]}")" "SIGTERM: no child left running"

# 4. bad usage
"$STORM" -t 3 >/dev/null 2>"$TMPDIR_T/err"
rc=$?
is "$rc:$(wc -l <"$TMPDIR_T/err")" 2:1 "odd -t: exit 2, one line on stderr"

done_testing
