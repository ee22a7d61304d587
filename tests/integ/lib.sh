# shellcheck shell=bash
# lib.sh - TAP helpers for the integration tests (tests/integ/*.t), sourced.
#
#	. "$(dirname "$0")/lib.sh"
#	plan 3
#	need_root                   # whole file skipped unless root
#	ok "$((x > 5))" "x is above 5 (x=$x)"
#	is "$a" "$b" "a equals b"
#	within "$got" "$want" 3 1000000 "rq delay matches schedstat"
#
# Every helper prints one TAP line; failures print the values as diagnostics.

set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
TAP_N=0
TAP_FAILED=0
TMPDIR_T=$(mktemp -d "${TMPDIR:-/tmp}/tbb-test.XXXXXX")
trap 'rm -rf "$TMPDIR_T"' EXIT

plan() { echo "1..$1"; }

# Skips the whole file: must come before any test line.
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
need_root() { [ "$(id -u)" -eq 0 ] || skip_all "needs root (BPF)"; }
need_cmd() { command -v "$1" >/dev/null 2>&1 || skip_all "needs $1"; }

diag() { printf '# %s\n' "$@" >&2; }

# ok COND DESCRIPTION: COND is 1 (pass) or 0 (fail), e.g. "$((a < b))".
ok() {
	TAP_N=$((TAP_N + 1))
	if [ "$1" = 1 ]; then
		echo "ok $TAP_N - $2"
	else
		echo "not ok $TAP_N - $2"
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
}

is() {
	if [ "$1" = "$2" ]; then ok 1 "$3"; else
		ok 0 "$3"; diag "got:      '$1'" "expected: '$2'"; fi
}

skip() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N # SKIP $*"; }

# within GOT WANT PCT FLOOR DESCRIPTION: |GOT - WANT| <= max(WANT*PCT/100, FLOOR).
within() {
	local got=$1 want=$2 pct=$3 floor=$4 desc=$5
	local res
	res=$(awk -v g="$got" -v w="$want" -v p="$pct" -v f="$floor" 'BEGIN {
		d = g - w; if (d < 0) d = -d
		tol = w * p / 100; if (tol < 0) tol = -tol; if (tol < f) tol = f
		print (d <= tol) ? 1 : 0 }')
	ok "$res" "$desc"
	[ "$res" = 1 ] || diag "got $got, want $want (+-${pct}% or $floor)"
}

# cmp_num A OP B DESCRIPTION with OP one of < <= > >= (awk, floats allowed).
cmp_num() {
	local res
	res=$(awk -v a="$1" -v b="$3" -v op="$2" 'BEGIN {
		if (op == "<") r = a < b; else if (op == "<=") r = a <= b
		else if (op == ">") r = a > b; else if (op == ">=") r = a >= b
		else r = 0
		print r ? 1 : 0 }')
	ok "$res" "$4"
	[ "$res" = 1 ] || diag "expected $1 $2 $3"
}

# Exit status of a TAP file: non-zero if anything failed.
done_testing() { exit $((TAP_FAILED > 0)); }
