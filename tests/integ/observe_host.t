#!/bin/bash
# observe_host.t - several processes in one run (observe -a, --cgroup,
# several -p: user/scope.c, user/analysis/host.c, user/output/host_report.c
# and json.c's host document), against the demos' ground truth:
#  1. several -p: a starving demo (S1) and its --fixed twin (F1), as
#     -p S1 -p F1 and as -p S1,F1: exit 0, both ranked, S1 first with
#     executor_starvation, F1 healthy, detail[] holds both whole documents;
#     --top 1 --no-runtime (text) ranks S1 alone, says F1 is below the
#     cut, and its detail says "runtime tier: off" with no reason;
#  2. --cgroup NAME, relative (found under /sys/fs/cgroup/unified on a
#     hybrid hierarchy): a scratch cgroup whose child holds a starving demo
#     (the descendant walk) and into which a convoy demo is moved at
#     t ~ 1.5 s (the rescan; -i 1 shows it absent from the first interval
#     and present in the last): both with their verdicts, and nothing else
#     (S1 and F1 run outside it); a member's child that exits at once is
#     seen, and a process outside given its pid is not followed;
#  3. -a --top 10000 (every process listed): S1 above F1; no kernel thread
#     (PF_KTHREAD in /proc/PID/stat, or a kworker-like name) among the
#     processes or the detailed threads; observe's own pid nowhere;
#  4. the same run with -i 1 --json -d 4.5: JSON Lines, every line an
#     object, four interval lines (t_s ~ 1..4: 0.5 s for a late one, the
#     box is shared) then the host document; S1's worker rq_count summed
#     over the intervals is at most the run's and at least 80% of it (the
#     intervals cover 4 s of 4.5 s, 89%: the margin is for a demo whose
#     wakeups come in 25 ms bursts);
#  5. the runtime tiers, per process: with -p S1 -p F1 each document's
#     runtime is rt, its workers and slow polls are its own threads (tids
#     of /proc/PID/task), S1 has slow polls and F1 ten times fewer; -a
#     also finds the Tokio tier on a tokio_starvation (T1, when built) and
#     lists its own workers; --cgroup attaches the rt tier
#     to the convoy demo moved in after the start (the rescan);
#  6. bad use: exit 1 (a missing cgroup, a missing pid among several) or 2
#     (usage: the exclusive scopes, --top without several processes or out
#     of range, --prometheus without a port), one line on stderr, nothing
#     loaded left behind.
# Every run that attached leaves none of its programs and maps.  ~15 s:
# 1, 3, 4 and 5 at once (their demos sleep far more than they run), then
# 2 alone (its convoy keeps both CPUs busy and would blur F1's verdict).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/observe_lib.sh"
need_root
need_observe
DEMOS=$TOP/demos
for d in demo_starvation demo_convoy; do
	[ -x "$DEMOS/$d" ] || skip_all "demos/$d not built"
done

plan 71

# The scratch cgroup: v2, under the hybrid hierarchy's unified/ or the root.
if [ -e /sys/fs/cgroup/unified/cgroup.procs ]; then
	CG_PARENT=/sys/fs/cgroup/unified
elif [ -e /sys/fs/cgroup/cgroup.controllers ]; then
	CG_PARENT=/sys/fs/cgroup
else
	CG_PARENT=
fi
CG_NAME=tbb-host-$$
CG=${CG_PARENT:+$CG_PARENT/$CG_NAME}

DEMO_PIDS=()
# cleanup: our demos stopped, the scratch cgroup emptied into its parent
# and removed (a cgroup of exited but unreaped tasks is busy a moment).
cleanup() {
	local d p i
	[ ${#DEMO_PIDS[@]} -gt 0 ] && kill "${DEMO_PIDS[@]}" 2>/dev/null
	[ -n "$CG" ] || return 0
	for d in "$CG/inner" "$CG"; do
		[ -d "$d" ] || continue
		while read -r p; do
			echo "$p" >"$CG_PARENT/cgroup.procs"
		done 2>/dev/null <"$d/cgroup.procs"
		for ((i = 0; i < 20; i++)); do
			rmdir "$d" 2>/dev/null && break
			sleep 0.1
		done
	done
	[ ! -d "$CG" ] || diag "could not remove the scratch cgroup $CG"
}
trap 'cleanup; rm -rf "$TMPDIR_T"' EXIT

# start NAME ARGS...: observe -o NAME.out ARGS in the background, stderr to
# NAME.err; PIDS[NAME] is observe's own pid (bpf_held needs it).
# collect NAMES... (observe_lib.sh): what each held (HELD), its exit
# status (RCS); last_json NAMES...: its last JSON document as NAME.json.
declare -A PIDS HELD RCS
start() {
	local name=$1
	shift
	"$OBSERVE" -o "$TMPDIR_T/$name.out" "$@" >/dev/null 2>"$TMPDIR_T/$name.err" &
	PIDS[$name]=$!
}
# the last JSON document of each (it follows the interval lines of -i)
last_json() {
	local name
	for name in "$@"; do
		jq -s last "$TMPDIR_T/$name.out" >"$TMPDIR_T/$name.json" 2>/dev/null
	done
}


# clean_exit NAME: one test, exit 0 and nothing on stderr.
clean_exit() {
	is "${RCS[$1]}:$(stderr_lines "$TMPDIR_T/$1.err")" 0:0 "$1: exit 0, nothing on stderr"
	[ "$(stderr_lines "$TMPDIR_T/$1.err")" = 0 ] || diag "$1: $(head -c 500 "$TMPDIR_T/$1.err")"
}

# rp NAME PID FILTER: FILTER on the ranked process PID of NAME.json, "absent"
# if it is not ranked once, "" if the document is missing or bad.
rp() {
	jq -r --argjson p "$2" "[.processes[] | select(.pid == \$p)] |
		if length == 1 then .[0] | $3 else \"absent\" end" "$TMPDIR_T/$1.json" 2>/dev/null
}

# explain NAME: the ranking, on failure.
explain() {
	diag "$1: $(jq -c '[.processes[] | {rank, pid, comm, workers,
		v: .diagnosis.verdict.shape, c: .diagnosis.verdict.confidence}]' \
		"$TMPDIR_T/$1.json" 2>/dev/null | head -c 1500)"
}

# kthreads: the pids of the kernel threads now (PF_KTHREAD, 0x00200000, in
# /proc/PID/stat's flags, field 9; the comm before them may hold spaces).
kthreads() {
	local f line rest
	for f in /proc/[0-9]*/stat; do
		{ read -r line <"$f"; } 2>/dev/null || continue
		read -ra rest <<<"${line##*) }"
		(( rest[6] & 0x00200000 )) && echo "${line%% *}"
	done
}

# ---- the demos of 1, 3 and 4 --------------------------------------------------
"$DEMOS/demo_starvation" --workers 2 --secs 20 >/dev/null &
S1=$!
"$DEMOS/demo_starvation" --workers 2 --secs 20 --fixed >/dev/null &
F1=$!
DEMO_PIDS+=("$S1" "$F1")
T1=
if [ -x "$BUILD/tokio/release/tokio_starvation" ]; then
	"$BUILD/tokio/release/tokio_starvation" --secs 20 >/dev/null &
	T1=$!
	DEMO_PIDS+=("$T1")
fi
sleep 0.3	# their workers exist

KT=$(kthreads)
start pp -p "$S1" -p "$F1" -d 3 --json
start pc -p "$S1,$F1" -d 3 --json
start top -p "$S1" -p "$F1" --top 1 -d 3 --no-runtime
start all -a --top 10000 -d 4.5 -i 1 --json
# what each holds, now: the bad-use runs below take 2.5-4 s on a busy box,
# past the end of a 3 s run
for name in pp pc top all; do HELD[$name]=$(bpf_held "${PIDS[$name]}"); done

# ---- 6. bad use, meanwhile -------------------------------------------------------
# refused NAME WANT ARGS...: observe ARGS; two tests: exit WANT, one line
# on stderr (LAST_ERR).  REFUSED_LEFT gathers what any of them left loaded
# (polled while it runs: a refused run should load nothing).
REFUSED_LEFT=
refused() {
	local name=$1 want=$2 pid rc ids="" i err=$TMPDIR_T/refused.err
	shift 2
	"$OBSERVE" "$@" >/dev/null 2>"$err" &
	pid=$!
	for ((i = 0; i < 200; i++)); do
		running "$pid" || break
		[ "$(bpf_link_count "$pid")" -gt 0 ] &&
			ids=$({ bpf_prog_ids "$pid"; bpf_map_ids "$pid" | sed 's/^/map:/'; } | tr '\n' ' ')
		sleep 0.05
	done
	reap "$pid" 5
	rc=$?
	# shellcheck disable=SC2086 # ids: words
	REFUSED_LEFT="$REFUSED_LEFT$(gone $ids)"
	is "$rc" "$want" "$name: exit $want"
	is "$(stderr_lines "$err")" 1 "$name: exactly one line on stderr"
	[ "$(stderr_lines "$err")" = 1 ] || diag "stderr: $(head -c 500 "$err")"
	LAST_ERR=$(cat "$err")
}

true &
dead=$!
wait "$dead"
refused "--cgroup of a missing path" 1 --cgroup "tbb-no-such-cgroup-$$" -d 1
ok "$(grep -qF "tbb-no-such-cgroup-$$" <<<"$LAST_ERR" && echo 1 || echo 0)" \
	"--cgroup of a missing path: the line names it ($LAST_ERR)"
refused "-p S1 -p DEAD" 1 -p "$S1" -p "$dead" -d 1
ok "$(grep -qw -- "$dead" <<<"$LAST_ERR" && echo 1 || echo 0)" \
	"-p S1 -p DEAD: the line names the missing pid ($LAST_ERR)"
refused "-p S1,DEAD" 1 -p "$S1,$dead" -d 1
refused "-a with -p" 2 -a -p "$S1" -d 1
refused "-a with --cgroup" 2 -a --cgroup "${CG_PARENT:-/sys/fs/cgroup}" -d 1
refused "--cgroup with -p" 2 --cgroup "${CG_PARENT:-/sys/fs/cgroup}" -p "$S1" -d 1
refused "-a with -- true" 2 -a -- true
refused "--cgroup with -- true" 2 --cgroup "${CG_PARENT:-/sys/fs/cgroup}" -- true
refused "several -p with -- true" 2 -p "$S1" -p "$F1" -- true
refused "--top with one -p" 2 --top 5 -p "$S1" -d 1
refused "--top 0" 2 -a --top 0 -d 1
refused "--prometheus without a port" 2 -a --prometheus 127.0.0.1 -d 1
is "$REFUSED_LEFT" "" "no refused run left a program or map loaded"

collect pp pc top all
last_json pp pc top all
KT=$(printf '%s\n' "$KT" "$(kthreads)" | sort -un)

# ---- 1. several -p ----------------------------------------------------------------
sorted_pids=$(printf '%s\n' "$S1" "$F1" | sort -n | paste -sd, -)
for name in pp pc; do
	syntax=$([ $name = pp ] && echo "-p S1 -p F1" || echo "-p S1,F1")
	clean_exit $name
	is "$(jq -r '"\(.type) \(.scope.kind) \(.processes_seen)"' "$TMPDIR_T/$name.json" 2>/dev/null)" \
		"host pids 2" "$syntax: one host document, scope pids, 2 processes seen"
	is "$(jq -c '[.processes[].pid] | sort' "$TMPDIR_T/$name.json" 2>/dev/null)" "[$sorted_pids]" \
		"$syntax: both ranked"
	got=$(rp $name "$S1" '"\(.rank) \(.diagnosis.verdict.shape)"')
	is "$got" "1 executor_starvation" "$syntax: the starving demo ranked first, executor_starvation"
	[ "$got" = "1 executor_starvation" ] || explain $name
	got=$(rp $name "$F1" '"\(.rank) \(.diagnosis.verdict.shape)"')
	is "$got" "2 healthy" "$syntax: its --fixed twin second, healthy"
	[ "$got" = "2 healthy" ] || explain $name
	is "$(jq -c '[.detail[] | .target.pid]' "$TMPDIR_T/$name.json" 2>/dev/null)" "[$S1,$F1]" \
		"$syntax: detail[] holds both whole documents, worst first"
done

# --top 1, the text report: one ranked line, the other below the cut
T=$TMPDIR_T/top.out
ok "$([ "${RCS[top]}" = 0 ] &&
	[ "$(grep -cE "^ +1 +$S1 +demo_starvation +2 +executor_starvation " "$T")" = 1 ] &&
	[ "$(grep -cE "^ +2 +$F1 " "$T")" = 0 ] && echo 1 || echo 0)" \
	"--top 1: exit ${RCS[top]}, the starving demo alone ranked, executor_starvation"
ok "$(grep -qxF "(1 more processes: below the --top cut)" "$T" &&
	[ "$(grep -c '^==== ' "$T")" = 1 ] && grep -qxF "==== 1. pid $S1 (demo_starvation) ====" "$T" &&
	echo 1 || echo 0)" "--top 1: the twin said to be below the cut, one detailed report, the starving demo's"
grep -q '^RANK\|^ *RANK' "$T" || diag "top: $(head -c 800 "$T")"
is "$(grep -c '^runtime tier: off (' "$T"):$(grep -c '^runtime tier: off$' "$T")" 0:1 \
	"--top 1 --no-runtime: the detailed report says the runtime tier is off, with no reason"

# ---- 3. -a --------------------------------------------------------------------------
A=$TMPDIR_T/all.out
L=$TMPDIR_T/all.json
clean_exit all
n=$(jq -r '"\(.scope.kind) \(.processes_seen) \(.processes | length)"' "$L" 2>/dev/null)
read -r kind seen listed <<<"$n"
ok "$([ "$kind" = all ] && [ "${seen:-0}" -ge 3 ] && [ "$listed" = "$seen" ] && echo 1 || echo 0)" \
	"-a: scope all, every process seen listed with --top 10000 (kind $kind, seen $seen, listed $listed)"
rs=$(rp all "$S1" '"\(.rank) \(.diagnosis.verdict.shape)"')
rf=$(rp all "$F1" '"\(.rank) \(.diagnosis.verdict.shape)"')
ok "$([ "${rs#* }" = executor_starvation ] && [ "${rf#* }" = healthy ] &&
	[ "${rs%% *}" -lt "${rf%% *}" ] 2>/dev/null && echo 1 || echo 0)" \
	"-a: the starving demo (rank ${rs%% *}, ${rs#* }) above its twin (rank ${rf%% *}, ${rf#* })"

# every pid the run names: ranked, in each interval, and the detailed threads
jq -r '(.processes // [])[].pid, (.detail // [])[].threads[].tid' "$A" 2>/dev/null |
	sort -un >"$TMPDIR_T/all.pids"
jq -r '(.processes // [])[].comm, (.detail // [])[].threads[].comm' "$A" 2>/dev/null |
	sort -u >"$TMPDIR_T/all.comms"
npids=$(grep -c . "$TMPDIR_T/all.pids")
is "$(grep -cx "${PIDS[all]}" "$TMPDIR_T/all.pids"):$((npids > 0))" 0:1 \
	"-a: observe's own pid (${PIDS[all]}) is nowhere among the $npids pids it names"
nkt=$(grep -c . <<<"$KT")
kin=$(comm -12 <(sort -u "$TMPDIR_T/all.pids") <(sort -u <<<"$KT") | paste -sd, -)
ok "$([ "$npids" -gt 0 ] && [ "$nkt" -gt 0 ] && [ -z "$kin" ] && echo 1 || echo 0)" \
	"-a: none of the $nkt kernel threads (PF_KTHREAD) is named (named:${kin:- none})"
kcomm=$(grep -E '^(kthreadd|kworker|ksoftirqd|migration/|rcu_|cpuhp/|kswapd|watchdog/)' \
	"$TMPDIR_T/all.comms" | paste -sd, -)
ok "$([ "$(grep -c . "$TMPDIR_T/all.comms")" -gt 0 ] && [ -z "$kcomm" ] && echo 1 || echo 0)" \
	"-a: no kernel thread's name (kworker, ksoftirqd...) among the processes and threads (${kcomm:-none})"

# ---- 4. -a -i 1 --json: JSON Lines ---------------------------------------------------
nl=$(grep -c . "$A")
bad=$(jq -R 'try (fromjson | if type == "object" then empty else "bad" end) catch "bad"' "$A" |
	grep -c .)
ok "$([ "$nl" -gt 0 ] && [ "$bad" = 0 ] && echo 1 || echo 0)" \
	"-i 1 --json: every one of the $nl lines is a JSON object ($bad not)"
got=$(jq -r '.type' "$A" 2>/dev/null | paste -sd' ' -)
is "$got" "interval interval interval interval host" \
	"-d 4.5 -i 1 --json: four interval lines, then the host document"
[ "$got" = "interval interval interval interval host" ] ||
	diag "all: $(jq -c '{type, t_s, dt_s, duration_s, processes_seen}' "$A" 2>/dev/null | paste -sd' ' -)"
ts=$(jq -r 'select(.type == "interval") | "\(.t_s) \(.dt_s)"' "$A" 2>/dev/null)
ok "$(awk 'NF == 2 { n++; if ($1 < n - 0.1 || $1 > n + 0.45 || $2 < 0.9 || $2 > 1.45) bad++ }
	END { print (n == 4 && !bad) ? 1 : 0 }' <<<"$ts")" \
	"the interval lines at t_s ~ 1, 2, 3, 4 s, dt_s ~ 1 s ($(paste -sd, - <<<"$ts"))"
sum=$(jq -s --argjson p "$S1" '[.[] | select(.type == "interval") | .processes[] |
	select(.pid == $p) | .roles.worker.rq_count] | "\(length) \(add // 0)"' -r "$A" 2>/dev/null)
read -r nin sum <<<"$sum"
tot=$(rp all "$S1" '.roles.worker.rq_count')
ok "$([ "${nin:-0}" = 4 ] && [ "${tot:-0}" -gt 0 ] 2>/dev/null && [ "$sum" -le "$tot" ] && echo 1 || echo 0)" \
	"the starving demo's worker rq_count over its $nin interval lines ($sum) is at most the run's ($tot)"
ok "$([ "${tot:-0}" -gt 0 ] 2>/dev/null && [ $((sum * 100)) -ge $((tot * 80)) ] && echo 1 || echo 0)" \
	"... and at least 80% of it ($((${tot:-0} > 0 ? sum * 100 / tot : 0))%)"

# ---- 5. the runtime tiers, per process ---------------------------------------------
# rt_of NAME PID: "KIND WORKERS OVER_10MS LONGEST FOREIGN" of PID's whole
# document in NAME.json: its runtime tier, workers, polls over 10 ms,
# longest polls listed, and how many of the workers and longest polls are
# threads of another process.
rt_of() {
	local tids
	tids=$(ls "/proc/$2/task" 2>/dev/null | paste -sd, -)
	jq -r --argjson p "$2" --argjson t "[${tids:-0}]" '[.detail[] |
		select(.target.pid == $p) | .runtime] |
		if length != 1 then "absent" elif .[0] == null then "null" else .[0] |
		"\(.kind) \(.workers | length) \(.polls.over_10ms) \(.longest_polls | length) \(
		[.workers[].tid, .longest_polls[].tid] | map(select(. as $x | $t | index($x) | not)) |
		length)" end' "$TMPDIR_T/$1.json" 2>/dev/null
}
is "$(rp pp "$S1" .runtime) $(rp pp "$F1" .runtime)" "rt rt" \
	"-p S1 -p F1: both ranked with the rt tier"
read -r k w s1_slow l f <<<"$(rt_of pp "$S1")"
ok "$([ "$k $w $f" = "rt 2 0" ] && [ "${s1_slow:-0}" -gt 0 ] && [ "${l:-0}" -gt 0 ] && echo 1 || echo 0)" \
	"-p S1 -p F1: S1's runtime has its 2 workers, $s1_slow polls over 10 ms, $l longest, none another's ($k $w $f)"
read -r k w slow l f <<<"$(rt_of pp "$F1")"
ok "$([ "$k $w $f" = "rt 2 0" ] && [ $((${slow:-1} * 10)) -lt "${s1_slow:-0}" ] && echo 1 || echo 0)" \
	"-p S1 -p F1: F1's runtime has its 2 workers, none another's, $slow polls over 10 ms (S1: $s1_slow)"
if [ -n "$T1" ]; then
	got=$(rp all "$S1" .runtime):$(rp all "$T1" '"\(.runtime) \(.diagnosis.verdict.shape)"')
	is "$got" "rt:tokio executor_starvation" \
		"-a: S1 with the rt tier, the Tokio demo with the Tokio tier, executor_starvation"
	# T1 starves as S1 does: both among the worst three, detailed
	read -r k w slow l f <<<"$(rt_of all "$T1")"
	ok "$([ "$k $f" = "tokio 0" ] && [ "${w:-0}" -ge 1 ] && [ "${slow:-0}" -gt 0 ] && echo 1 || echo 0)" \
		"-a: T1's Tokio tier lists $w workers and $slow polls over 10 ms, none another's ($k, $f foreign)"
else
	for _ in 1 2; do skip "tokio_starvation not built (no cargo: mk/tokio.mk)"; done
fi

for name in pp pc top all; do nothing_left $name; done

# ---- 2. --cgroup -------------------------------------------------------------------
# observe's own clock says when to move the convoy in: its first interval
# line (t_s ~ 1 s; a poll of its fds from here may come seconds late on a
# loaded box).  The convoy then has 3 s of its 4.5 s, the rescan 1 s of it.
if [ -n "$CG" ] && mkdir "$CG" "$CG/inner" 2>/dev/null; then
	# S2 enters the child before it execs the demo (same pid); C, outside.
	sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" --workers 2 --secs 10' sh \
		"$CG/inner" "$DEMOS/demo_starvation" >/dev/null &
	S2=$!
	"$DEMOS/demo_convoy" --workers 2 --secs 10 >/dev/null &
	C=$!
	# M, a member that forks once when told (through a fifo, the rest
	# builtins: no other fork), writes its child's pid and reaps it
	mkfifo "$TMPDIR_T/go"
	sh -c 'echo $$ >"$1/cgroup.procs" && read -r _ <"$2" &&
		{ (exit 0) & echo $! >"$3"; wait; exec sleep 10; }' sh \
		"$CG" "$TMPDIR_T/go" "$TMPDIR_T/child" &
	M=$!
	DEMO_PIDS+=("$S2" "$C" "$M")
	sleep 0.3
	grep -qx "$S2" "$CG/inner/cgroup.procs" || diag "S2 ($S2) is not in $CG/inner"
	CG_STARTED=$(awk '{ print $1 }' /proc/uptime)
	start cg --cgroup "$CG_NAME" -d 4.5 -i 1 --json
	HELD[cg]=$(bpf_held "${PIDS[cg]}")
	for ((i = 0; i < 200; i++)); do
		[ -s "$TMPDIR_T/cg.out" ] && break
		running "${PIDS[cg]}" || break
		sleep 0.05
	done
	sleep 0.5
	MOVED_AT=$(awk '{ print $1 }' /proc/uptime)
	echo "$C" >"$CG/cgroup.procs" || diag "cannot move $C into $CG"
	# M's child P exits at once; X, outside, is given its pid
	# (ns_last_pid, retried: the box forks too) once it is freed
	echo go >"$TMPDIR_T/go"
	for ((i = 0; i < 100; i++)); do
		[ -s "$TMPDIR_T/child" ] && ! running "$(cat "$TMPDIR_T/child")" && break
		sleep 0.02
	done
	P=$(cat "$TMPDIR_T/child" 2>/dev/null)
	X=
	sleep 0.2	# an RCU grace period: the child's task is freed
	for ((i = 0; i < 30 && ${P:-0} > 1; i++)); do
		echo $((P - 1)) >/proc/sys/kernel/ns_last_pid 2>/dev/null || break
		"$DEMOS/demo_starvation" --workers 2 --secs 4 >/dev/null &
		X=$!
		DEMO_PIDS+=("$X")
		[ "$X" = "$P" ] && break
		kill "$X"
		wait "$X" 2>/dev/null
	done
	reap "${PIDS[cg]}" 30
	RCS[cg]=$?
	CG_ENDED=$(awk '{ print $1 }' /proc/uptime)
	jq -s last "$TMPDIR_T/cg.out" >"$TMPDIR_T/cg.json" 2>/dev/null
	clean_exit cg
	is "$(jq -r '"\(.scope.kind) \(.scope.cgroup)"' "$TMPDIR_T/cg.json" 2>/dev/null)" "cgroup $CG" \
		"--cgroup $CG_NAME: scope cgroup, the directory found ($CG)"
	got=$(rp cg "$S2" '.diagnosis.verdict.shape')
	is "$got" executor_starvation "--cgroup: the starving demo in a child cgroup, executor_starvation"
	[ "$got" = executor_starvation ] || explain cg
	got=$(rp cg "$C" '.diagnosis.verdict.shape')
	is "$got" mutex_convoy "--cgroup: the convoy demo moved in after the first interval, mutex_convoy"
	if [ "$got" != mutex_convoy ]; then
		explain cg
		diag "cg: $(jq -c '{scope, drops, processes_seen, duration_s}' "$TMPDIR_T/cg.json" 2>/dev/null)"
		diag "cg: C moved at uptime $MOVED_AT, observe started at $CG_STARTED, ended at $CG_ENDED; intervals t_s: $(jq -r 'select(.type == "interval") | .t_s' "$TMPDIR_T/cg.out" 2>/dev/null | paste -sd' ' -)"
	fi
	is "$(rp cg "$S2" .runtime) $(rp cg "$C" .runtime)" "rt rt" \
		"--cgroup: the rt tier on the member there at the start and on the one moved in"
	# in the intervals: S2 from the first, C only once it was moved in
	seen=$(jq -r --argjson s "$S2" --argjson c "$C" 'select(.type == "interval") |
		[.processes[].pid] | "\(index($s) != null):\(index($c) != null)"' \
		"$TMPDIR_T/cg.out" 2>/dev/null | paste -sd' ' -)
	ok "$(awk '{ print (NF >= 3 && $1 == "true:false" && $NF == "true:true") ? 1 : 0 }' <<<"$seen")" \
		"--cgroup: by interval (S2:C), C absent from the first, present in the last ($seen)"
	got=$(jq -c '"\(.processes_seen) \([.processes[].pid] | sort)"' -r "$TMPDIR_T/cg.json" 2>/dev/null)
	want="4 [$(printf '%s\n' "$S2" "$C" "$M" "$P" | sort -n | paste -sd, -)]"
	is "$got" "$want" \
		"--cgroup: its members alone (S2, C, M and M's child), not the demos outside it ($S1, $F1)"
	[ "$got" = "$want" ] || explain cg
	if [ "$X" = "$P" ]; then
		is "$(rp cg "$P" '"\(.threads) \(.workers) \(.alive)"')" "1 0 false" \
			"--cgroup: a process outside given the pid of a member's exited child is not followed (pid $P: the child's thread alone)"
	else
		skip "could not give a new process the pid of M's child ($P; got ${X:-none})"
	fi
	nothing_left cg
else
	for _ in 1 2 3 4 5 6 7 8 9; do skip "no cgroup v2 directory to create a scratch cgroup in"; done
fi

cleanup
DEMO_PIDS=()
done_testing
