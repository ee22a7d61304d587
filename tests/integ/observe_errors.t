#!/bin/bash
# observe_errors.t - bad input gives one clear line on stderr and the
# contract's exit code:
#	no such PID 1, not root (names CAP_BPF/CAP_PERFMON) non-zero,
#	command not found 127, bad option 2, -p together with -- 2.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/observe_lib.sh"
need_root
need_observe

plan 18

# expect_error NAME WANT_RC CMD...: checks exit code and a single stderr line.
expect_error() {
	local name=$1 want=$2 rc err=$TMPDIR_T/err
	shift 2
	timeout -k 5 30 "$@" >"$TMPDIR_T/out" 2>"$err"
	rc=$?
	if [ "$want" = nonzero ]; then
		ok "$((rc != 0 && rc != 124))" "$name: non-zero exit (got $rc)"
	else
		is "$rc" "$want" "$name: exit $want"
	fi
	is "$(stderr_lines "$err")" 1 "$name: exactly one line on stderr"
	[ "$(stderr_lines "$err")" = 1 ] || diag "stderr: $(head -c 1000 "$err")"
	LAST_ERR=$(cat "$err")
}

# A pid that surely does not exist: one that just exited and was reaped.
true &
dead=$!
wait "$dead"
expect_error "no such pid" 1 "$OBSERVE" -p "$dead" -d 1
ok "$(grep -qw -- "$dead" <<<"$LAST_ERR" && echo 1 || echo 0)" "no such pid: the message names the pid ($LAST_ERR)"

expect_error "command not found (path)" 127 "$OBSERVE" -- /nonexistent/tbb-no-such-cmd
expect_error "command not found (PATH lookup)" 127 "$OBSERVE" -- tbb-no-such-cmd-xyz
expect_error "bad option" 2 "$OBSERVE" --no-such-option -p 1
expect_error "bad option value" 2 "$OBSERVE" -d not-a-number -p 1
expect_error "-p together with --" 2 "$OBSERVE" -p 1 -- true
expect_error "neither -p nor --" 2 "$OBSERVE" -d 1

# Not root: run observe as nobody, on a process owned by nobody, so the only
# thing missing is the capability.
if command -v setpriv >/dev/null; then
	asnobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
	"${asnobody[@]}" sleep 30 &
	npid=$!
	expect_error "not root" nonzero "${asnobody[@]}" "$OBSERVE" -p "$npid" -d 1
	ok "$(grep -qE 'CAP_BPF|CAP_PERFMON' <<<"$LAST_ERR" && echo 1 || echo 0)" \
		"not root: the message names CAP_BPF or CAP_PERFMON ($LAST_ERR)"
	kill "$npid"
	wait "$npid" 2>/dev/null
else
	for _ in 1 2 3; do skip "setpriv not installed"; done
fi
done_testing
