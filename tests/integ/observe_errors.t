#!/bin/bash
# observe_errors.t - bad input gives one clear line on stderr and the
# contract's exit code:
#	no such PID 1, a kernel thread 1, not root (names CAP_BPF/CAP_PERFMON)
#	non-zero, no BTF 1, command not found 127, bad option 2, -p together
#	with -- 2;
#	and a target whose binary cannot be read (PID 1 here) runs with the
#	kernel tier, one line saying why the runtime tier is off.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/observe_lib.sh"
need_root
need_observe

plan 26

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

# A kernel thread: refused before anything is loaded (kthreadd is PID 2).
if grep -q '^2 (kthreadd)' /proc/2/stat 2>/dev/null; then
	expect_error "kernel thread" 1 "$OBSERVE" -p 2 -d 1
	ok "$(grep -q 'kernel thread' <<<"$LAST_ERR" && echo 1 || echo 0)" \
		"kernel thread: the line says so ($LAST_ERR)"
else
	for _ in 1 2 3; do skip "PID 2 is not kthreadd here"; done
fi

# A binary observe cannot read (PID 1's from this namespace): the kernel
# tier runs and exits 0; one line says why the runtime tier is off.
if ! readlink /proc/1/exe >/dev/null 2>&1 || ! [ -r "$(readlink /proc/1/exe)" ]; then
	timeout -k 5 30 "$OBSERVE" -p 1 -d 1 >"$TMPDIR_T/out" 2>"$TMPDIR_T/err"
	is "$?" 0 "unreadable binary: observe -p 1 -d 1 exits 0 (kernel tier)"
	ok "$(grep -c '^observe: cannot read /proc/1/exe (.*): runtime tier off, kernel tier only$' "$TMPDIR_T/err")" \
		"unreadable binary: one line says why the runtime tier is off"
else
	for _ in 1 2; do skip "PID 1's binary is readable here"; done
fi

# No BTF, simulated: OBSERVE_BTF names a missing file.  Refused before
# anything is loaded, the line names the file.
expect_error "no BTF" 1 env OBSERVE_BTF=/nonexistent/tbb-vmlinux "$OBSERVE" -p $$ -d 1
is "$LAST_ERR" "observe: kernel has no BTF (/nonexistent/tbb-vmlinux: No such file or directory); CONFIG_DEBUG_INFO_BTF=y is required" \
	"no BTF: the line names the file and the kernel option"

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
