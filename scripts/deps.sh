#!/bin/sh
# Install the Debian packages that the build, the tests and the benchmarks need.
# Only missing packages are installed, and `apt-get update` runs at most once.
# Usage: scripts/deps.sh [--check]   (--check: list what is missing, exit 1 if any)
set -eu

# package: why
PACKAGES="
clang           BPF target and the demos' second compiler
llvm            llvm-strip for BPF objects
libbpf-dev      loader library, bpf_helpers.h
bpftool         skeletons and vmlinux.h
libelf-dev      libbpf's ELF dependency
libdw-dev       DWARF CFI unwinding and file:line of user stacks
libc6-dbg       names of glibc's internal functions in those stacks (start_thread)
zlib1g-dev      libbpf's zlib dependency
pkg-config      library flags
systemtap-sdt-dev sys/sdt.h for the runtime's USDT probes
make            build
gcc             build
perl            prove, the TAP test runner
jq              JSON checks in integration tests
bpftrace        probe-firing test (tests/integ)
libbpf-tools    peers for bench-observer (runqlat, offcputime)
cargo           the real-Tokio test target
librust-tokio-dev Tokio's source for offline cargo builds
libjansson-dev  JSON output of observe and the demos
libiberty-dev   the demangler for the Tokio tier's symbol names
gnuplot-nox     SVG figures from the sweep CSVs (make figures)
nodejs          the Node.js demo (demos/node)
time            GNU time: observe's own CPU in scripts/bench-ustacks.sh
pandoc          the man page, docs/observe.1, from docs/observe.md (make man)
"

missing=""
for pkg in $(printf '%s\n' "$PACKAGES" | awk 'NF { print $1 }'); do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $pkg"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi
if [ "${1:-}" = "--check" ]; then
	echo "missing packages:$missing" >&2
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: need root to install:$missing (run: sudo scripts/deps.sh)" >&2
	exit 1
fi
echo "deps.sh: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >&2
