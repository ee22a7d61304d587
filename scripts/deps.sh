#!/bin/sh
# Install the Debian packages that the build, the tests and the benchmarks need.
# Only missing packages are installed, and `apt-get update` runs at most once.
# Usage: scripts/deps.sh [--check] [observe]
#   --check  list what is missing, exit 1 if any
#   observe  only what building the observer needs (make observe,
#            make observe-static); default: everything
set -eu

# package, group (observe: the observer's build; all: the rest), why
PACKAGES="
clang             observe BPF target and the demos' second compiler
llvm              observe llvm-strip for BPF objects
libbpf-dev        observe loader library, bpf_helpers.h
bpftool           observe skeletons and vmlinux.h
libelf-dev        observe libbpf's ELF dependency
libdw-dev         observe DWARF CFI unwinding and file:line of user stacks
libc6-dbg         all     names of glibc's internal functions in those stacks (start_thread)
zlib1g-dev        observe libbpf's zlib dependency
pkg-config        observe library flags
systemtap-sdt-dev all     sys/sdt.h for the runtime's USDT probes
make              observe build
gcc               observe build
perl              all     prove, the TAP test runner
jq                all     JSON checks in integration tests
bpftrace          all     probe-firing test (tests/integ)
libbpf-tools      all     peers for bench-observer (runqlat, offcputime)
cargo             all     the real-Tokio test target
librust-tokio-dev all     Tokio's source for offline cargo builds
libjansson-dev    observe JSON output of observe and the demos
libiberty-dev     observe the demangler for the Tokio tier's symbol names
libmicrohttpd-dev observe the --prometheus endpoint's HTTP server
liblzma-dev       observe libdw's xz dependency, static (make observe-static)
libbz2-dev        observe libdw's bzip2 dependency, static (make observe-static)
gnuplot-nox       all     SVG figures from the sweep CSVs (make figures)
nodejs            all     the Node.js demo (demos/node)
time              all     GNU time: observe's own CPU in scripts/bench-ustacks.sh
pandoc            all     the man page, docs/observe.1, from docs/observe.md (make man)
prometheus        all     a real Prometheus scraping --prometheus (tests/integ)
chromium-headless-shell all a real browser for observe --html (tests/integ/observe_see.t)
"

check=""
if [ "${1:-}" = "--check" ]; then
	check=1
	shift
fi
group=${1:-all}
case $group in
observe | all) ;;
*) echo "deps.sh: unknown group '$group' (observe or all)" >&2; exit 2 ;;
esac

missing=""
for pkg in $(printf '%s\n' "$PACKAGES" |
	awk -v g="$group" 'NF && (g == "all" || $2 == g) { print $1 }'); do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $pkg"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi
if [ -n "$check" ]; then
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
