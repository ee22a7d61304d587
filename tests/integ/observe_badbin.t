#!/bin/bash
# observe_badbin.t - targets whose binary is malformed where observe reads
# it (issue 12): copies of demos/demo_probe (rt probes) and of tokio_probe
# (Tokio symbols) with one section-level field corrupted by
# tests/targets/elf_corrupt.  The kernel still runs them (it reads only the
# program headers); observe must run the kernel tier, say in exactly one
# line why the runtime tier is off, exit as usual and leave no program or
# map behind, launched and attached to alike:
#	a note past the end of .note.stapsdt, a probe or semaphore address in
#	no segment, .note.stapsdt and the section headers past the end of the
#	file; .symtab, .strtab past the end of the file, .symtab's sh_link and
#	names out of range (Tokio); and a script as CMD (not ELF at all).
# Each case runs its two observers at once: ~1.3 s a case, ~15 s in all.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/observe_lib.sh"
need_root
need_observe
need_cmd bpftool
need_target elf_corrupt
DEMO=$TOP/demos/demo_probe
TOKIO=$BUILD/tokio/release/tokio_probe
[ -x "$DEMO" ] || skip_all "$DEMO not built"

RT_CASES=6
TK_CASES=4
plan $((7 * (RT_CASES + TK_CASES) + 3))

OFF=": runtime tier off, kernel tier only"

# pair NAME COPY ARGS...: COPY observed both ways at once: launched
# (observe -- COPY ARGS --secs 0.5) and attached to (a run of 6 s, observe
# -p -d 0.5).  Leaves NAME.{a,l}.{err,json}, NAME.l.out (the demo's own
# lines), RC_A, RC_L, and HELD[NAME]: the programs and maps both observers
# held (checked at the end, when their grace periods are over).
declare -A HELD
NAMES=()
pair() {
	local name=$1 copy=$2 tpid apid lpid i
	shift 2
	"$copy" "$@" --secs 6 >/dev/null 2>&1 &
	tpid=$!
	"$OBSERVE" --json -o "$TMPDIR_T/$name.l.json" -- "$copy" "$@" --secs 0.5 \
		>"$TMPDIR_T/$name.l.out" 2>"$TMPDIR_T/$name.l.err" &
	lpid=$!
	# attached once it has exec'd: /proc/PID/exe is the copy
	for ((i = 0; i < 100; i++)); do
		[ "$(readlink "/proc/$tpid/exe")" = "$copy" ] && break
		sleep 0.02
	done
	"$OBSERVE" --json -o "$TMPDIR_T/$name.a.json" -p "$tpid" -d 0.5 \
		>/dev/null 2>"$TMPDIR_T/$name.a.err" &
	apid=$!
	HELD[$name]="$(bpf_held "$lpid") $(bpf_held "$apid")"
	NAMES+=("$name")
	reap "$apid" 30
	RC_A=$?
	reap "$lpid" 30
	RC_L=$?
	kill "$tpid" 2>/dev/null
	wait "$tpid" 2>/dev/null
}

# kernel_only NAME.MODE: "null true" when the document has no runtime tier
# and the kernel tier's threads.
kernel_only() {
	jq -r '"\(.runtime) \(.threads | length > 0)"' "$TMPDIR_T/$1.json" 2>/dev/null
}

# check NAME WANT: six tests on what pair left; WANT is the one stderr
# line, the same both ways.
check() {
	local name=$1 want=$2
	ok "$([ "$RC_L" = 0 ] && grep -q '^scenario' "$TMPDIR_T/$name.l.out" && echo 1 || echo 0)" \
		"$name: launched, observe exits 0 and the copy ran to its end (rc $RC_L)"
	is "$(cat "$TMPDIR_T/$name.l.err")" "$want" "$name: launched, the one stderr line"
	is "$(kernel_only "$name.l")" "null true" "$name: launched, kernel tier only"
	is "$RC_A" 0 "$name: attached, observe exits 0"
	is "$(cat "$TMPDIR_T/$name.a.err")" "$want" "$name: attached, the one stderr line"
	is "$(kernel_only "$name.a")" "null true" "$name: attached, kernel tier only"
}

# corrupt CASE IN: the copy's path (made once per case).
corrupt() {
	local out=$TMPDIR_T/$(basename "$2").$1
	"$BUILD/tests/targets/elf_corrupt" "$1" "$2" "$out" || return 1
	echo "$out"
}

# ---- the rt probe notes and the section headers (demo_probe) -------------------
# case, then the parenthesis of the line (%s: the copy's path)
rt_cases=(
	"note-descsz|the note at offset 0 runs past the end of .note.stapsdt"
	"note-pc|rt:worker_start at 0x7ff0deadb000: in no executable segment"
	"note-sema|rt:worker_start's semaphore at 0x7ff0deadb000: in no data segment"
	"note-pc-later|rt:slow_poll at 0x7ff0deadb000: in no executable segment"
	"notes-eof|.note.stapsdt past the end of the file"
	"shoff-eof|section headers past the end of the file"
)
[ "${#rt_cases[@]}" = "$RT_CASES" ] || diag "RT_CASES is not ${#rt_cases[@]}"
for c in "${rt_cases[@]}"; do
	case=${c%%|*}
	copy=$(corrupt "$case" "$DEMO")
	pair "rt.$case" "$copy" --workers 1
	check "rt.$case" "observe: malformed ELF file $copy (${c#*|})$OFF"
done

# ---- the symbol table (tokio_probe) ---------------------------------------------
tk_cases=(symtab-eof strtab-eof symtab-link symtab-names)
[ "${#tk_cases[@]}" = "$TK_CASES" ] || diag "TK_CASES is not ${#tk_cases[@]}"
if [ -x "$TOKIO" ]; then
	for case in "${tk_cases[@]}"; do
		copy=$(corrupt "$case" "$TOKIO")
		pair "tk.$case" "$copy" --workers 1
		check "tk.$case" "observe: malformed ELF file $copy (symbol table or headers out of bounds)$OFF"
	done
else
	for _ in $(seq $((6 * TK_CASES))); do skip "$TOKIO not built (no cargo: mk/tokio.mk)"; done
fi

# ---- nothing left behind, by any of them --------------------------------------
for name in "${NAMES[@]}"; do nothing_left "$name"; done
[ -x "$TOKIO" ] || for _ in $(seq "$TK_CASES"); do skip "$TOKIO not built"; done

# ---- not ELF at all: a script -------------------------------------------------------
printf '#!/bin/sh\nsleep 0.5\nexit 3\n' >"$TMPDIR_T/script.sh"
chmod +x "$TMPDIR_T/script.sh"
timeout -k 5 30 "$OBSERVE" --json -o "$TMPDIR_T/script.json" -- "$TMPDIR_T/script.sh" \
	>/dev/null 2>"$TMPDIR_T/script.err"
is "$?" 3 "script: observe exits with the script's status (3)"
is "$(cat "$TMPDIR_T/script.err")" \
	"observe: no rt probes or Tokio symbols in $TMPDIR_T/script.sh$OFF" \
	"script: the one stderr line"
is "$(kernel_only script)" "null true" "script: kernel tier only"
done_testing
