# shellcheck shell=bash
# bpf_fds.sh - what BPF objects a process holds, read from /proc/PID/fdinfo.
# Sourced by tests/integ/observe_lib.sh and scripts/bench-observer.sh.

# bpf_prog_ids PID: the BPF program ids a process holds, as program fds or
# through links (fdinfo "prog_id:"), one per line, sorted.  One cat for all
# fds, not a process per fd: polled under load, that took ~1 s a call.
bpf_prog_ids() {
	cat /proc/"$1"/fdinfo/* 2>/dev/null | awk '$1 == "prog_id:" { print $2 }' |
		sort -un
}

# bpf_map_ids PID: the BPF map ids a process holds as map fds, one per line,
# sorted.
bpf_map_ids() {
	cat /proc/"$1"/fdinfo/* 2>/dev/null | awk '$1 == "map_id:" { print $2 }' |
		sort -un
}

# bpf_link_count PID: bpf links (attached programs) a process holds.
bpf_link_count() {
	cat /proc/"$1"/fdinfo/* 2>/dev/null | grep -c '^link_type:'
}

# wait_attached PID [SECS [POLLS]]: waits until PID holds BPF links and their
# number has been stable for POLLS polls of 0.1 s (default 5); returns 1 on
# timeout or if PID died.
wait_attached() {
	local pid=$1 secs=${2:-20} need=${3:-5} prev=-1 n stable=0 i
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || return 1
		n=$(bpf_link_count "$pid")
		if [ "$n" -gt 0 ] && [ "$n" = "$prev" ]; then
			stable=$((stable + 1))
			[ "$stable" -ge "$need" ] && return 0
		else
			stable=0
		fi
		prev=$n
		sleep 0.1
	done
	return 1
}


# bpf_map_entries PID NAME: entries in the map called NAME that PID holds
# (bpftool dumps it), empty if PID holds no such map.  A dump fails when an
# entry is deleted under it (observe reaps dead threads): tried 5 times.
bpf_map_entries() {
	local f id i n
	for f in /proc/"$1"/fdinfo/*; do
		id=$(awk '$1 == "map_id:" { print $2 }' "$f" 2>/dev/null)
		[ -n "$id" ] || continue
		if [ "$(bpftool -j map show id "$id" 2>/dev/null | jq -r .name)" = "$2" ]; then
			for ((i = 0; i < 5; i++)); do
				n=$(bpftool -j map dump id "$id" 2>/dev/null | jq length 2>/dev/null)
				[ -n "$n" ] && break
			done
			echo "$n"
			return
		fi
	done
}
