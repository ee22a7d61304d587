#!/bin/bash
# observe_errors.t - bad input gives one clear line on stderr and the
# contract's exit code:
#	no such PID 1, a kernel thread 1, not root (names CAP_BPF/CAP_PERFMON)
#	non-zero, no BTF 1, command not found 127, bad option 2, -p together
#	with -- 2;
#	and a target whose binary cannot be read (PID 1 here) runs with the
#	kernel tier, one line saying why the runtime tier is off.
# Capabilities (issue 12), observe as user 65534 (docs/observe.md, KERNEL
# REQUIREMENTS): none, or CAP_BPF or CAP_PERFMON alone, on another user's
# process: exit 1, the line names what is missing; CAP_BPF + CAP_PERFMON
# on its own process: the kernel tier, one line (the rt tier's uprobes need
# CAP_SYS_ADMIN), the report says the BPF cost needs CAP_SYS_ADMIN; on
# root's process: one line naming CAP_SYS_PTRACE.  A binary its user may
# run but not read (mode 0111): launched and attached to, one line; as
# root, read anyway.  Every run that loaded BPF leaves none of it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/observe_lib.sh"
need_root
need_observe

plan 50

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

# ---- capabilities, and a binary that may be run but not read -------------------
OFF=": runtime tier off, kernel tier only"
DEMO=$TOP/demos/demo_probe
# nobody CAPS: the setpriv command that runs what follows as user 65534
# with exactly CAPS ("" for none), to be expanded unquoted (setpriv execs:
# $! is the command's own PID)
nobody() {
	local caps=-all${1:+,$1}
	echo "setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=$caps --ambient-caps=$caps"
}

# start NAME CAPS ARGS...: observe ARGS as user 65534 with CAPS, in the
# background; its report to NAME.out (in W, which that user may write),
# stderr to NAME.err, the command's own output to NAME.cmd.
# collect NAMES...: once they all run, what each held (bpf_held) into
# HELD[NAME], then each one's exit status into RCS[NAME].
declare -A PIDS HELD RCS
start() {
	local name=$1 caps=$2
	shift 2
	# shellcheck disable=SC2046 # nobody: words
	$(nobody "$caps") "$OBSERVE" -o "$W/$name.out" "$@" \
		>"$TMPDIR_T/$name.cmd" 2>"$TMPDIR_T/$name.err" &
	PIDS[$name]=$!
}


if command -v setpriv >/dev/null && [ -x "$DEMO" ]; then
	# the run's user must reach the binaries and the copy
	chmod 711 "$TMPDIR_T"
	mkdir -m 755 "$TMPDIR_T/ro"
	mkdir -m 1777 "$TMPDIR_T/w"
	W=$TMPDIR_T/w
	X111=$TMPDIR_T/ro/demo_probe_111
	cp "$DEMO" "$X111"
	chmod 111 "$X111"
	# shellcheck disable=SC2046
	$(nobody "") "$DEMO" --workers 1 --secs 30 >/dev/null &
	npid=$!
	"$DEMO" --workers 1 --secs 30 >/dev/null &
	rpid=$!
	# shellcheck disable=SC2046
	$(nobody "") "$X111" --workers 1 --secs 30 >/dev/null &
	xpid=$!
	sleep 0.3

	# Missing capabilities: refused before anything is loaded.
	# shellcheck disable=SC2046
	expect_error "no capabilities, root's process" 1 $(nobody "") "$OBSERVE" -p "$rpid" -d 1
	is "$LAST_ERR" "observe: not permitted: missing CAP_BPF and CAP_PERFMON (run as root, e.g. with sudo)" \
		"no capabilities, root's process: the line names both"
	# shellcheck disable=SC2046
	expect_error "CAP_BPF alone" 1 $(nobody +bpf) "$OBSERVE" -p "$npid" -d 1
	is "$LAST_ERR" "observe: not permitted: missing CAP_PERFMON (run as root, e.g. with sudo)" \
		"CAP_BPF alone: the line names CAP_PERFMON"
	# shellcheck disable=SC2046
	expect_error "CAP_PERFMON alone" 1 $(nobody +perfmon) "$OBSERVE" -p "$npid" -d 1
	is "$LAST_ERR" "observe: not permitted: missing CAP_BPF (run as root, e.g. with sudo)" \
		"CAP_PERFMON alone: the line names CAP_BPF"

	# Four runs at once (of at least 0.7 s: the cost's first window opens
	# at 0.5 s): CAP_BPF + CAP_PERFMON on its own process, on root's, on
	# a binary of mode 0111 that its user runs, and that binary launched.
	start caps.own +bpf,+perfmon -p "$npid" -d 0.7
	start caps.root +bpf,+perfmon -p "$rpid" -d 0.7
	start x111.attach +bpf,+perfmon -p "$xpid" -d 0.7
	start x111.launch +bpf,+perfmon -- "$X111" --workers 1 --secs 0.7
	collect caps.own caps.root x111.attach x111.launch

	# Its own process: the kernel tier.  The rt tier's perf uprobes need
	# CAP_SYS_ADMIN since Linux commit ba677dbe77af; a kernel without it
	# attaches them (no line, rt on).
	is "${RCS[caps.own]}" 0 "CAP_BPF+CAP_PERFMON, own process: exit 0"
	err=$(cat "$TMPDIR_T/caps.own.err")
	ok "$( { [ "$err" = "observe: cannot attach the rt probes in $DEMO (uprobes need CAP_SYS_ADMIN)$OFF" ] &&
		grep -qxF "runtime tier: off (cannot attach the rt probes in $DEMO (uprobes need CAP_SYS_ADMIN))" \
			"$W/caps.own.out"; } ||
		{ [ -z "$err" ] && grep -q '^runtime tier: rt in ' "$W/caps.own.out"; } && echo 1 || echo 0)" \
		"CAP_BPF+CAP_PERFMON, own process: one line, the report's reason the same, or the rt tier on ($err)"
	ok "$(grep -c '^observing cost: .*BPF not timed (its run-time statistics need CAP_SYS_ADMIN)$' "$W/caps.own.out")" \
		"CAP_BPF+CAP_PERFMON: the report says the BPF cost needs CAP_SYS_ADMIN"
	n=$(sed -n '/^ *TID COMM /,/^$/p' "$W/caps.own.out" | grep -c '^ *[0-9]* rt-worker-0  *worker ')
	is "$n" 1 "CAP_BPF+CAP_PERFMON, own process: the kernel tier's row of the worker"
	[ "$n" = 1 ] || diag "$(sed -n '/TID/,/^$/p' "$W/caps.own.out" | head -20)"
	nothing_left caps.own "CAP_BPF+CAP_PERFMON, own process"

	# Root's process: /proc/PID/exe needs CAP_SYS_PTRACE.
	is "${RCS[caps.root]}" 0 "CAP_BPF+CAP_PERFMON, root's process: exit 0"
	is "$(cat "$TMPDIR_T/caps.root.err")" \
		"observe: cannot read /proc/$rpid/exe (Permission denied: needs CAP_SYS_PTRACE, and so do its user stacks)$OFF" \
		"CAP_BPF+CAP_PERFMON, root's process: one line naming CAP_SYS_PTRACE"
	nothing_left caps.root "CAP_BPF+CAP_PERFMON, root's process"

	# A binary its user may run but not read (exec needs only x for ELF).
	ok "$([ "${RCS[x111.launch]}" = 0 ] && grep -q '^scenario' "$TMPDIR_T/x111.launch.cmd" && echo 1 || echo 0)" \
		"mode 0111, launched: exit 0, the command ran (rc ${RCS[x111.launch]})"
	is "$(cat "$TMPDIR_T/x111.launch.err")" "observe: cannot read $X111 (Permission denied)$OFF" \
		"mode 0111, launched: one line"
	nothing_left x111.launch "mode 0111, launched"
	is "${RCS[x111.attach]}" 0 "mode 0111, attached: exit 0"
	is "$(cat "$TMPDIR_T/x111.attach.err")" "observe: cannot read $X111 (Permission denied)$OFF" \
		"mode 0111, attached: one line, naming the file"
	nothing_left x111.attach "mode 0111, attached"
	# root reads it anyway (CAP_DAC_OVERRIDE): the rt tier
	timeout -k 5 30 "$OBSERVE" --json -o "$TMPDIR_T/x111.root.json" -p "$xpid" -d 0.5 \
		2>"$TMPDIR_T/x111.root.err"
	rc=$?
	ok "$([ "$rc" = 0 ] && [ "$(stderr_lines "$TMPDIR_T/x111.root.err")" = 0 ] &&
		[ "$(jq -r '.runtime.kind' "$TMPDIR_T/x111.root.json" 2>/dev/null)" = rt ] && echo 1 || echo 0)" \
		"mode 0111, root attached: exit 0, no line, the rt tier on (rc $rc)"
	kill "$npid" "$rpid" "$xpid" 2>/dev/null
	wait "$npid" "$rpid" "$xpid" 2>/dev/null
else
	for _ in $(seq 24); do skip "setpriv not installed, or $DEMO not built"; done
fi
done_testing
