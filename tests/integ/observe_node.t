#!/bin/bash
# observe_node.t - observe, with no flags, on a Node.js service it has no
# probes for (demos/node): the event loop is found as the worker (it waits
# in epoll; every thread is named `node`), a sync CPU call and a sync read
# on it are executor_starvation naming it, and the async twins (libuv's
# threadpool) are healthy.  Ground truth: the demo's own "threads" (the
# event loop is the main thread, the pool is found by starting it).  Each
# case runs REPEAT times (2, to keep make check under 10 minutes; `make
# stability` runs 5, the issue's bar); ~25 s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/observe_lib.sh"
need_root
need_observe
NODE=${NODE:-/usr/bin/node}
[ -x "$NODE" ] || skip_all "needs $NODE (Debian's nodejs, scripts/deps.sh)"

REPEAT=${REPEAT:-2}	# make stability: 5, the issue's bar (5 of 5)
plan $((4 * 2 + 2 + 2))

j() { local n=$1; shift; jq -r "$@" "$TMPDIR_T/$n.json" 2>/dev/null; }	# observe's
d() { local n=$1; shift; jq -r "$@" "$TMPDIR_T/$n.out" 2>/dev/null; }	# the demo's

# nrun NAME ARGS...: observe (no flags) launches the demo for 2 s.
nrun() {
	local name=$1
	shift
	timeout -k 5 60 "$OBSERVE" --json -o "$TMPDIR_T/$name.json" -- \
		"$NODE" "$TOP/demos/node/server.js" --secs 2 --json "$@" \
		>"$TMPDIR_T/$name.out" 2>"$TMPDIR_T/$name.err"
	RC=$?
}

# case_runs NAME WANT ARGS...: REPEAT runs; counts the verdicts that are WANT,
# and (for starvation) that name the event loop in the evidence; the role
# observe gave the event loop in every run.
case_runs() {
	local name=$1 want=$2 r n pass=0 named=0 roles="" all="" loop
	shift 2
	for ((r = 1; r <= REPEAT; r++)); do
		n=${name}_$r
		nrun "$n" "$@"
		all="$all $(shape "$n")"
		loop=$(d "$n" .threads.event_loop)
		roles="$roles $(j "$n" ".threads[] | select(.tid == ${loop:-0}) | \"\(.role):\(.role_by)\"")"
		if [ "$(shape "$n")" = "$want" ]; then
			pass=$((pass + 1))
		else
			explain "$n"
		fi
		[ "$(j "$n" "[.findings[0].evidence[] | select(test(\"node/${loop:-x}\\\\b\"))] | length")" -gt 0 ] 2>/dev/null &&
			named=$((named + 1))
	done
	diag "$name verdicts:$all"
	is "$pass" "$REPEAT" "$name: $want in $REPEAT of $REPEAT runs"
	is "$(echo "$roles" | tr ' ' '\n' | grep . | sort -u | tr '\n' ' ')" "worker:epoll " \
		"$name: the event loop is a worker, by its epoll waits, in every run"
	NAMED=$named
}

case_runs cpu executor_starvation --mode cpu
is "$NAMED" "$REPEAT" "cpu: the evidence names the event loop (node/TID) in every run"
case_runs read executor_starvation --mode read
is "$NAMED" "$REPEAT" "read: the evidence names the event loop (node/TID) in every run"
case_runs cpu_fixed healthy --mode cpu --fixed
case_runs read_fixed healthy --mode read --fixed

# what decided it, on the last runs
is "$(j cpu_$REPEAT '[.findings[0].evidence[] | select(test("CPU runs >= 10 ms"))] | length')" 1 \
	"cpu: the evidence is the event loop's long CPU runs"
pool=$(d cpu_fixed_$REPEAT '.threads.threadpool | map(tostring) | join(",")')
is "$(j cpu_fixed_$REPEAT "[.threads[] | select(.tid as \$t | [${pool:-0}] | index(\$t)) | .role] | unique | join(\",\")")" \
	blocking "cpu --fixed: libuv's threadpool (busy with pbkdf2) is blocking, not workers"
done_testing
