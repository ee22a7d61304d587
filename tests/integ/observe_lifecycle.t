#!/bin/bash
# observe_lifecycle.t - targets that go away, and observe told to stop:
#  1. a zombie (exited, not reaped): refused before anything is loaded, one
#     line, exit 1;
#  2. SIGINT, SIGTERM and SIGHUP to an attached observe: each ends the run
#     with its report, exit 0, and none of observe's programs is left;
#  3. the target exits during the run (attach mode, -d 30): observe ends
#     then, exit 0, with a report of about the target's remaining life;
#  4. a target that exits while observe attaches: either a report (exit 0)
#     or one line (exit 1), never a hang or a crash.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/observe_lib.sh"
need_root
need_observe
need_cmd bpftool
need_cmd python3

plan 14

# ---- 1. a zombie ------------------------------------------------------------------
python3 -c 'import os, time
p = os.fork()
if p == 0:
    os._exit(0)
print(p, flush=True)
time.sleep(15)' >"$TMPDIR_T/zombie.pid" &
parent=$!
for _ in $(seq 50); do [ -s "$TMPDIR_T/zombie.pid" ] && break; sleep 0.1; done
zpid=$(cat "$TMPDIR_T/zombie.pid")
for _ in $(seq 50); do grep -q '^State:.*Z' "/proc/$zpid/status" 2>/dev/null && break; sleep 0.1; done
timeout -k 5 20 "$OBSERVE" -p "$zpid" -d 2 >"$TMPDIR_T/z.out" 2>"$TMPDIR_T/z.err"
is "$?" 1 "zombie: exit 1"
is "$(stderr_lines "$TMPDIR_T/z.err")" 1 "zombie: one line ($(head -1 "$TMPDIR_T/z.err"))"
ok "$(grep -q 'zombie' "$TMPDIR_T/z.err" && echo 1 || echo 0)" "zombie: the line says so"
kill "$parent" 2>/dev/null; wait "$parent" 2>/dev/null

# ---- 2. signals -------------------------------------------------------------------
for sig in INT TERM HUP; do
	sleep 60 &
	spid=$!
	"$OBSERVE" -p "$spid" -o "$TMPDIR_T/$sig.rep" 2>"$TMPDIR_T/$sig.err" &
	opid=$!
	ids=""
	wait_attached "$opid" 20 && ids=$(bpf_prog_ids "$opid")
	kill -"$sig" "$opid"
	wait "$opid"
	rc=$?
	kill "$spid"; wait "$spid" 2>/dev/null
	ok "$([ "$rc" = 0 ] && grep -q '^verdict: ' "$TMPDIR_T/$sig.rep" && echo 1 || echo 0)" \
		"SIG$sig: exit 0 ($rc) with the report"
	left=$(gone $ids)
	ok "$([ -n "$ids" ] && [ -z "$left" ] && echo 1 || echo 0)" \
		"SIG$sig: none of its $(wc -w <<<"$ids") programs left${left:+ (left:$left)}"
done

# ---- 3. the target exits during the run ------------------------------------------
sleep 3 &
spid=$!
t0=$(date +%s%N)
timeout -k 5 40 "$OBSERVE" -p "$spid" -d 30 --json -o "$TMPDIR_T/exit.json" 2>"$TMPDIR_T/exit.err"
rc=$?
secs=$(( ($(date +%s%N) - t0) / 1000000000 ))
is "$rc" 0 "target exits during the run: exit 0"
ok "$([ "$secs" -lt 10 ] && echo 1 || echo 0)" \
	"target exits during the run: observe ends with it (${secs} s, -d 30)"
cmp_num "$(jq '.duration_s' "$TMPDIR_T/exit.json")" '<' 4 \
	"target exits during the run: the report covers the run up to the exit"
ok "$(json_ok "$TMPDIR_T/exit.json" && echo 1 || echo 0)" "target exits during the run: the JSON is complete"

# ---- 4. the target exits while observe attaches ------------------------------------
sleep 0.05 &
spid=$!
timeout -k 5 20 "$OBSERVE" -p "$spid" -d 5 -o "$TMPDIR_T/race.rep" 2>"$TMPDIR_T/race.err"
rc=$?
wait "$spid" 2>/dev/null
ok "$( { [ "$rc" = 0 ] && grep -q '^verdict: ' "$TMPDIR_T/race.rep"; } ||
	{ [ "$rc" = 1 ] && [ "$(stderr_lines "$TMPDIR_T/race.err")" = 1 ]; } &&
	echo 1 || echo 0)" \
	"target exits during attach: a report or one line (exit $rc: $(head -2 "$TMPDIR_T/race.err" | tr '\n' '|'))"

done_testing
