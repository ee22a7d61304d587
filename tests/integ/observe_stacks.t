#!/bin/bash
# observe_stacks.t - the line of code to blame: DWARF-unwound user stacks
# of notable spans, their call sites in the verdict, the report and the
# JSON, and --folded.  Ground truth: the function each demo blocks or spins
# in (demos/demo_starvation.c block_once, demos/lib/block.c demo_sleep_ns,
# demos/tokio/src/work.rs), none of them built with frame pointers.
# ~30 s: 8 runs of 2 s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/observe_lib.sh"
need_root
need_observe
need_cmd strip
[ "$(uname -m)" = x86_64 ] || skip_all "DWARF user stacks are x86_64 only"
TOKIO=$BUILD/tokio/release
D=$TOP/demos/demo_starvation

plan 23

j() { local n=$1; shift; jq -r "$@" "$TMPDIR_T/$n.json" 2>/dev/null; }
# the verdict's call-site evidence line ("N blocking spans (T) on workers
# from SITE"), "" if none
site_line() { j "$1" '[.findings[0].evidence[] | select(test("on workers from "))][0] // ""'; }

# srun NAME CMD...: observe --no-runtime (the kernel tier's spans, as for
# any runtime), --json and --folded.
srun() {
	local name=$1
	shift
	timeout -k 5 60 "$OBSERVE" --no-runtime --json -o "$TMPDIR_T/$name.json" \
		--folded "$TMPDIR_T/$name.folded" -- "$@" \
		>/dev/null 2>"$TMPDIR_T/$name.err"
	RC=$?
}

# ---- C: sleep, read, spin ------------------------------------------------------
srun sleep "$D" --workers 2 --secs 2 --mode sleep
is "$RC" 0 "sleep: exit 0"
line=$(site_line sleep)
case "$line" in
*"block_once → demo_sleep_ns → clock_nanosleep (demos/lib/block.c:"*)
	ok 1 "sleep: the verdict names block_once → demo_sleep_ns → clock_nanosleep (block.c:LINE)" ;;
*) ok 0 "sleep: the verdict names the blocking call site"; diag "got: $line" ;;
esac
is "$(j sleep '[.notable[] | select(.kind == "off_cpu" and .syscall == "clock_nanosleep")] |
	map(.frames | map(.sym) | index("worker_main") != null) | (length > 0 and all)')" true \
	"sleep: every clock_nanosleep span unwinds down to the rt worker loop"
is "$(j sleep '[.notable[] | select(.frames) | .frames[0] | has("sym","module","build_id","offset","file","line")] | (length > 0 and all)')" true \
	"sleep: frames carry sym, module, build_id, offset, file, line"
is "$(j sleep '.diagnostics.ustack_copies_lost')" 0 "sleep: no stack copy lost"

# folded: every line parses, and the weights are the spans' time
awk 'NF < 2 || $NF !~ /^[0-9]+$/ || $1 !~ /^(worker|blocking|other)\/[^;]*;\[(off-cpu|cpu-run)\];/ { bad++ }
	END { exit bad > 0 }' "$TMPDIR_T/sleep.folded"
ok $((! $?)) "sleep: --folded: every line is ROLE/COMM;[KIND];frames... WEIGHT"
fsum=$(awk '$1 ~ /\[off-cpu\]/ { s += $NF } END { print s + 0 }' "$TMPDIR_T/sleep.folded")
nsum=$(j sleep '[.notable[] | select(.kind == "off_cpu") | .ns] | add / 1000')
within "$fsum" "$nsum" 1 0 "sleep: folded off-CPU weights = the notable off-CPU time (us) within 1%"
grep -q '^worker/rt-worker-[0-9]*;\[off-cpu\];.*worker_main;.*block_once;demo_sleep_ns;clock_nanosleep [0-9]*$' \
	"$TMPDIR_T/sleep.folded"
ok $((! $?)) "sleep: a folded line runs outermost first, worker_main ... demo_sleep_ns;clock_nanosleep"

srun io "$D" --workers 2 --secs 2 --mode io
line=$(site_line io)
case "$line" in
*"block_once → read ("*|*"blocker_poll → block_once → read ("*)
	ok 1 "io: the verdict names block_once → read" ;;
*) ok 0 "io: the verdict names block_once → read"; diag "got: $line" ;;
esac

srun spin "$D" --workers 2 --secs 2 --mode spin
line=$(j spin '[.findings[0].evidence[] | select(test("long CPU runs? .* on workers from "))][0] // ""')
case "$line" in
*block_once*) ok 1 "spin: the verdict names block_once for the long CPU runs" ;;
*) ok 0 "spin: the verdict names block_once for the long CPU runs"; diag "got: $line" ;;
esac
is "$(j spin '[.notable[] | select(.kind == "cpu_run")] | (map(select(.frames)) | length) > 0')" true \
	"spin: CPU runs carry a sampled stack"
grep -q '^worker/rt-worker-[0-9]*;\[cpu-run\];.*block_once' "$TMPDIR_T/spin.folded"
ok $((! $?)) "spin: folded [cpu-run] lines reach block_once"

# ---- a stripped copy: module+offset, and one reason ----------------------------
cp "$D" "$TMPDIR_T/demo_stripped" && strip "$TMPDIR_T/demo_stripped"
srun stripped "$TMPDIR_T/demo_stripped" --workers 2 --secs 2 --mode sleep
is "$RC" 0 "stripped: exit 0"
is "$(j stripped '[.notable[] | select(.syscall == "clock_nanosleep" and .frames) |
	.frames[] | select(.module | test("demo_stripped$")) | .sym] | unique | tostring')" '[null]' \
	"stripped: the binary's frames have no symbol"
is "$(j stripped '[.notable[] | select(.syscall == "clock_nanosleep") | .unwind_stopped // ""] | unique | .[0]')" \
	"stripped: no symbols in $TMPDIR_T/demo_stripped" "stripped: unwind_stopped says the module is stripped"
case "$(site_line stripped)" in
*"demo_stripped+0x"*"clock_nanosleep"*) ok 1 "stripped: the call site shows module+offset" ;;
*) ok 0 "stripped: the call site shows module+offset"; diag "got: $(site_line stripped)" ;;
esac
is "$(j stripped '[.notable[] | select(.syscall == "clock_nanosleep") | .frames | map(.sym) | index("start_thread") != null] | (length > 0 and all)')" true \
	"stripped: the unwind still goes through (CFI stays in a stripped binary)"

# ---- Tokio ---------------------------------------------------------------------
if [ -x "$TOKIO/tokio_starvation" ]; then
	srun tk_sleep "$TOKIO/tokio_starvation" --workers 2 --secs 2 --mode sleep
	line=$(site_line tk_sleep)
	case "$line" in
	*"tokio_demos::work::sleep → std::thread::sleep → clock_nanosleep"*)
		ok 1 "tokio sleep: tokio_demos::work::sleep → std::thread::sleep → clock_nanosleep" ;;
	*) ok 0 "tokio sleep: the task's sleep call site"; diag "got: $line" ;;
	esac
	is "$(j tk_sleep '[.notable[] | select(.syscall == "clock_nanosleep" and .tid != .pid) |
		.frames | map(.sym) | index("tokio::runtime::scheduler::multi_thread::worker::run") != null] | (length > 0 and all)')" true \
		"tokio sleep: worker spans unwind through Tokio's worker loop"
	grep -q '^worker/tokio-runtime-w;\[off-cpu\];.*worker::run;.*tokio_demos::work::sleep;std::thread::sleep;' \
		"$TMPDIR_T/tk_sleep.folded"
	ok $((! $?)) "tokio sleep: folded lines from Tokio's worker::run to std::thread::sleep"

	srun tk_io "$TOKIO/tokio_starvation" --workers 2 --secs 2 --mode io
	case "$(site_line tk_io)" in
	*"PipeBlocker::block"*"read"*) ok 1 "tokio io: PipeBlocker::block → ... read" ;;
	*) ok 0 "tokio io: PipeBlocker::block → ... read"; diag "got: $(site_line tk_io)" ;;
	esac

	srun tk_spin "$TOKIO/tokio_starvation" --workers 2 --secs 2 --mode spin
	case "$(j tk_spin '[.findings[0].evidence[] | select(test("CPU runs? .* on workers from "))][0] // ""')" in
	*"tokio_demos::work::spin"*) ok 1 "tokio spin: the long CPU runs from tokio_demos::work::spin" ;;
	*) ok 0 "tokio spin: the long CPU runs from tokio_demos::work::spin"
	   diag "got: $(j tk_spin '.findings[0].evidence')" ;;
	esac
else
	skip "no Tokio demos" && skip "no Tokio demos" && skip "no Tokio demos" &&
		skip "no Tokio demos" && skip "no Tokio demos"
fi

# ---- bad usage -------------------------------------------------------------------
"$OBSERVE" --threshold-ms 0 --folded "$TMPDIR_T/x" -- true >/dev/null 2>"$TMPDIR_T/u.err"
is "$?:$(stderr_lines "$TMPDIR_T/u.err")" "2:1" "--folded with --threshold-ms 0: usage error, one line"

done_testing
