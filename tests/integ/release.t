#!/bin/bash
# release.t - what someone installing observe gets:
#  1. observe --version: the git describe of the tree and libbpf's version;
#  2. make install DESTDIR=... PREFIX=/usr: the binary, the man page and the
#     bash completion, and the installed binary runs from another directory
#     (root: a launched `true` under it);
#  3. the checked-in man page is what pandoc makes of docs/observe.md now,
#     and man(1) renders its NAME section;
#  4. the completion script registers itself for observe and offers every
#     long option --help lists;
#  5. LICENSE and CHANGELOG.md exist, and every SPDX licence in the sources
#     is one LICENSE names;
#  6. make observe-static: one static binary that runs, copied elsewhere
#     (root: it observes a launched `true`).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/observe_lib.sh"
need_observe

plan 15

# runs_elsewhere BIN WHAT: BIN prints --version from / as $OBSERVE does and,
# as root, observes a launched `true` with no file of the tree (2 tests).
runs_elsewhere() {
	is "$(cd / && "$1" --version 2>&1)" "$v" "$2 runs from another directory"
	if [ "$(id -u)" = 0 ]; then
		(cd / && "$1" -d 5 -o "$TMPDIR_T/elsewhere.rep" -- true) 2>"$TMPDIR_T/elsewhere.err"
		ok "$([ $? = 0 ] && grep -q '^verdict: ' "$TMPDIR_T/elsewhere.rep" && echo 1 || echo 0)" \
			"$2 observes a command (no file of the tree needed)"
	else
		skip "needs root (BPF)"
	fi
}

# ---- 1. --version -------------------------------------------------------------
v=$("$OBSERVE" --version)
ok "$(grep -qE '^observe [^ ]+ \(libbpf v?[0-9]+\.[0-9]+[^)]*\)$' <<<"$v" && echo 1 || echo 0)" \
	"--version: 'observe DESCRIBE (libbpf VERSION)' ($v)"
if git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1; then
	# the build's describe: the tree may have changed since, so compare
	# the commit part only
	want=$(git -C "$TOP" describe --always --tags 2>/dev/null)
	got=$(sed -n 's/^observe \([^ ]*\) .*/\1/p' <<<"$v")
	is "${got%-dirty}" "$want" "--version: the git describe of the tree built"
else
	skip "not a git checkout"
fi

# ---- 2. make install ------------------------------------------------------------
D=$TMPDIR_T/root
make -s -C "$TOP" BUILD="$BUILD" install DESTDIR="$D" PREFIX=/usr \
	>"$TMPDIR_T/install.out" 2>&1
is "$?" 0 "make install DESTDIR PREFIX=/usr exits 0"
is "$(cd "$D" && find . -type f | sort | tr '\n' ' ')" \
	"./usr/bin/observe ./usr/share/bash-completion/completions/observe ./usr/share/man/man1/observe.1 " \
	"it installs the binary, the man page and the completion"
runs_elsewhere "$D/usr/bin/observe" "the installed binary"

# ---- 3. the man page ------------------------------------------------------------
if command -v pandoc >/dev/null; then
	# the Makefile's own pandoc command line, into a file of the test's
	make -s -C "$TOP" BUILD="$BUILD" --eval 'render-man: ; @$(PANDOC_MAN) docs/observe.md -o $(OUT)' \
		render-man OUT="$TMPDIR_T/observe.1" 2>"$TMPDIR_T/man.err"
	ok "$(cmp -s "$TMPDIR_T/observe.1" "$TOP/docs/observe.1" && echo 1 || echo 0)" \
		"docs/observe.1 is current (make man)"
else
	skip "no pandoc"
fi
if command -v man >/dev/null; then
	ok "$(MANWIDTH=80 man -l "$D/usr/share/man/man1/observe.1" 2>/dev/null |
		grep -qE '^ +observe - ' && echo 1 || echo 0)" "man renders the page's NAME line"
else
	skip "no man"
fi

# ---- 4. bash completion -----------------------------------------------------------
is "$(bash -c ". '$TOP/completions/observe.bash'; complete -p observe")" \
	"complete -F _observe observe" "the completion registers for observe"
opts=$("$OBSERVE" --help | grep -o -- '--[a-z][a-z-]*' | sort -u)
missing=$(for o in $opts; do grep -q -- "$o\b" "$TOP/completions/observe.bash" || echo "$o"; done)
is "$missing" "" "the completion offers every long option of --help"

# ---- 5. licence and changelog ------------------------------------------------------
ok "$([ -s "$TOP/LICENSE" ] && [ -s "$TOP/LICENSES/GPL-2.0.txt" ] && [ -s "$TOP/CHANGELOG.md" ] &&
	echo 1 || echo 0)" "LICENSE, LICENSES/GPL-2.0.txt and CHANGELOG.md exist"
tag='SPDX-License''-Identifier: '	# split: this file must not match itself
ids=$(cd "$TOP" && git ls-files 2>/dev/null | grep -E '\.(c|h|sh|bash|t)$' |
	xargs grep -ho "${tag}[A-Za-z0-9.+-]*" 2>/dev/null |
	awk '{ print $2 }' | sort -u | tr '\n' ' ')
is "$ids" "GPL-2.0 MIT " "every SPDX licence in the sources is MIT or GPL-2.0 (LICENSE)"

# ---- 6. the static binary ----------------------------------------------------------
S=$TMPDIR_T/elsewhere
mkdir -p "$S"
make -s -C "$TOP" BUILD="$BUILD" observe-static >"$TMPDIR_T/static.out" 2>&1 &&
	cp "$TOP/observe-static" "$S/observe"
ok "$([ -x "$S/observe" ] && readelf -l "$S/observe" | grep -q INTERP && echo 0 || echo 1)" \
	"make observe-static: a binary with no program interpreter (static)"
runs_elsewhere "$S/observe" "the static binary"

done_testing
