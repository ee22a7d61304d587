#!/bin/bash
# check-article.sh - every number of the article traced to committed data
# (issue #15): a number must appear in a file under docs/data that its
# paragraph names, or the paragraph must say why it is not a measurement.
#
#	scripts/check-article.sh [--data DIR] [--explain] [FILE.md]
#	scripts/check-article.sh --selftest     # TAP: a made-up article and repo
#
# FILE.md defaults to docs/article.md and DIR to docs/data (paths from the
# repository root).  A paragraph is a run of non-blank lines; a fenced code
# block is one whole paragraph, with a marker line directly above it; a
# table is a paragraph.  A marker is an HTML comment as the first line(s) of
# its paragraph, and applies to that paragraph only:
#	<!-- src: starvation.csv models.csv runs/article-2026-12-04.txt -->
#		the numbers must be found in these files (relative to DIR), each
#		of which must exist and be tracked by git; a file under runs/ is
#		the archived output of a quoted single run
#	<!-- unmeasured: REASON -->
#		the numbers are not checked (a design constant, a hypothetical);
#		REASON must not be empty
# A paragraph with numbers and no marker fails, and so does an unmarked
# fenced block with numbers unless its info string is sh, bash or console (a
# command listing).  A fenced block under a src: marker is checked.
#
# Not numbers: headings; `code spans`; link targets, reference labels and
# URLs; HTML comments; the item numbers of a paragraph that is a list (in
# other text a line may start with "20. "); Figure, Table or section N
# ("Figures 2 and 3", "sections 4-6", "section 8.2"); issue #N and #N; dates
# YYYY-MM-DD; times HH:MM[:SS] [UTC]; a version after Debian, gcc, clang,
# Node.js or LLVM ("Debian 12"), or a dotted one after Tokio, tokio, Rust,
# rustc, kernel, Linux or libbpf ("kernel 6.18"; "Tokio 2 988 acq/s" is a
# number); digits glued on their left to a letter or _, or to letter- (p99,
# x86_64, u64, UTF-8); dotted triples (1.2.3).
# A number is digits with optional thousands groups (a space, thin space,
# narrow or plain no-break space or comma, then exactly 3 digits; not inside
# code blocks, whose output is quoted as printed) and an optional decimal
# part: 19 857, 1,500, 4.1.  Its sign is dropped, a - or en dash between two
# numbers separates a range (4.2-37.8), units may follow (20ms, 10x, 4 %).
#
# Matching: every number token of the src files (CSV cells, .meta values,
# text output) is a value y; a number x written with d decimals is traced
# if sprintf("%.df", |y| * s) is x for a scale s of 1, 1000, 0.001 or 100
# (us, ms and s; a fraction as a percentage).  A tie (0.145, 2.5) matches
# rounded either way.
#
# Output, on stdout: FILE:LINE: one line per untraced number, unmarked
# paragraph (its numbers listed), bad marker or bad src file; then a summary
# line on stderr.  --explain adds, for every traced number,
#	LINE: NUMBER <- SRC (exact|rounded[, xSCALE]: VALUE)
# (the first value that matched, unscaled preferred), and each unmeasured
# paragraph with its reason.
# Exit status: 0 every number traced, 1 not, 2 bad usage or no FILE.md.
set -euo pipefail

# the script by its full path (the self-test runs it from elsewhere); no
# dirname, a fork costs milliseconds per run on the 2-core box
case $0 in /*) SELF=$0 ;; */*) SELF=$PWD/$0 ;; *) SELF=$(command -v "$0") ;; esac
cd "${SELF%/*}/.."
FILE=docs/article.md
DATA=docs/data
EXPLAIN=0
die() { echo "check-article.sh: $*" >&2; exit 2; }

# The parse: the article's paragraphs and their numbers, one record a line,
# tab-separated:
#	P ID LINE KIND PAYLOAD	KIND src (PAYLOAD: the files), unmeasured (the
#				reason), none, or commands (a sh block: skipped)
#	N ID LINE WRITTEN VALUE DECIMALS	a number of paragraph ID
#	E LINE MESSAGE			a misplaced or malformed marker
#	S FILE...			last: every src file, once
# Run with LC_ALL=C: the thin spaces and dashes are matched as bytes.
# shellcheck disable=SC2016 # awk, not shell
PARSE='
function reset() { inpar = 0; nt = 0; nmk = 0; files = ""; hasun = 0; why = ""; fence = ""; isfence = 0; info = "" }
function begin() { inpar = 1; start = NR; id++ }
function add(s) { if (!inpar) begin(); txt[++nt] = s; ln[nt] = NR }
function err(l, m) { printf "E\t%d\t%s\n", l, m }
function trim(s) { sub(/^[ \t\n]+/, "", s); sub(/[ \t\n]+$/, "", s); return s }
# marker(C): the comment C at the top of a paragraph (from line cline);
# text after its --> is the first line of the paragraph.
function marker(c,   i, body, rest) {
	i = index(c, "-->")
	body = substr(c, 1, i - 1); rest = substr(c, i + 3)
	sub(/^[ \t]*<!--/, "", body); gsub(/[ \t\n]+/, " ", body); body = trim(body)
	if (body ~ /^src:/) {
		nmk++; body = trim(substr(body, 5))
		if (body == "") err(cline, "src: marker names no file")
		else files = files " " body
	} else if (body ~ /^unmeasured:/) {
		nmk++; hasun = 1; body = trim(substr(body, 12))
		if (body == "") err(cline, "unmeasured: marker gives no reason")
		else why = why (why == "" ? "" : "; ") body
	}
	if (rest !~ /^[ \t]*$/) add(rest)
}
function flush(   kind) {
	if (!inpar) { reset(); return }
	if (files != "" && hasun) err(start, "both src: and unmeasured: markers")
	if (!nt && !isfence) {
		if (nmk) err(start, "marker above no paragraph (a blank line below it?)")
		reset(); return
	}
	kind = files != "" ? "src" : (hasun ? "unmeasured" : "none")
	if (isfence && kind == "none" && info ~ /^(sh|bash|console)$/) kind = "commands"
	printf "P\t%d\t%d\t%s\t%s\n", id, start, kind, (kind == "src" ? substr(files, 2) : why)
	if (kind == "src") srcs(files)
	if (kind != "commands") numbers()
	reset()
}
# srcs(F): the files F are printed once, in the S record at the end
function srcs(f,   i, n, F) { n = split(f, F, " "); for (i = 1; i <= n; i++) if (!(F[i] in seen)) { seen[F[i]] = 1; slist = slist "\t" F[i] } }
# blank(S): what is left of removed text S, its newlines (the line count)
function blank(s,   r) { r = " "; while (sub(/\n/, "", s)) r = r "\n"; return r }
# cut(S, RE, KEEP): S with every match of RE blanked; KEEP keeps its first
# character, a boundary (there is no look-behind).
function cut(s, re, keep,   out, m) {
	out = ""
	while (match(s, re)) {
		m = substr(s, RSTART, RLENGTH)
		out = out substr(s, 1, RSTART - 1) (keep ? substr(m, 1, 1) blank(substr(m, 2)) : blank(m))
		s = substr(s, RSTART + RLENGTH)
	}
	return out s
}
# between(S, O, C): S with the spans O...C blanked (an unclosed one is kept)
function between(s, o, c,   out, i, j) {
	out = ""
	while ((i = index(s, o)) && (j = index(substr(s, i + length(o)), c))) {
		out = out substr(s, 1, i - 1) blank(substr(s, i, length(o) + j - 1 + length(c)))
		s = substr(s, i + length(o) + j - 1 + length(c))
	}
	return out s
}
# nocode(S): S without its code spans (a run of backticks to the same run)
function nocode(s,   out, run, rest, j) {
	out = ""
	while (match(s, /`+/)) {
		run = substr(s, RSTART, RLENGTH); rest = substr(s, RSTART + RLENGTH)
		if (!(j = index(rest, run))) break
		out = out substr(s, 1, RSTART - 1) blank(substr(rest, 1, j - 1))
		s = substr(rest, j + length(run))
	}
	return out s
}
# prose(S, LIST): the markdown of a paragraph that is not a code block
# stripped; LIST: the paragraph is a list, whose item numbers go too (in
# other text a line may start with "20. ", a number)
function prose(s, list) {
	s = between(s, "<!--", "-->")
	gsub(/&(nbsp|thinsp|#160|#8201|#8239|#x[aA]0|#x2009|#x202[fF]);/, " ", s)
	s = cut(s, "&#?[0-9A-Za-z]+;", 0)
	s = nocode(s)
	s = cut(s, "\\]\\([^)]*\\)", 0)
	s = cut(s, "\\]\\[[^]\n]*\\]", 0)
	s = cut(s, "\\[\\^[^]\n]*\\]", 0)
	s = cut(s, "\n[ \t]*\\[[^]\n]*\\]:[^\n]*", 1)
	s = cut(s, "[A-Za-z][A-Za-z0-9+.-]*://[^] \t\n<>)\"\047`]*", 0)
	return list ? cut(s, "\n[ \t>]*[0-9]+[.)]([ \t]|\n)", 1) : s
}
# refs(S): S without the references that are not measurements
function refs(s,   N, TIME) {
	N = "[0-9]+(\\.[0-9]+)*[a-z]?"
	TIME = "[0-9]?[0-9]:[0-9][0-9](:[0-9][0-9](\\.[0-9]+)?)?"
	s = cut(s, B "([Ff]igures|[Ff]igs\\.|[Tt]ables|[Ss]ections|\302\247\302\247)[ \t\n]*" N "([ \t\n]*(,|,[ \t\n]*and|and|&|-|\342\200\223|to|or)[ \t\n]*" N ")*", 1)
	s = cut(s, B "([Ff]igure|[Ff]ig\\.|[Tt]able|[Ss]ection|\302\247)[ \t\n]*" N, 1)
	s = cut(s, B "[Ii]ssues?[ \t\n]+#?[0-9]+", 1)
	s = cut(s, B "#[0-9]+", 1)
	s = cut(s, B "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9](T" TIME "Z?)?", 1)
	s = cut(s, B TIME "([ \t]*UTC)?", 1)
	# dotted for these: "a Tokio 1 ms sleep" is no version
	s = cut(s, B "(Tokio|tokio|Rust|rustc|kernel|Linux|libbpf)[ \t\n]+v?[0-9]+(\\.[0-9]+)+(-[0-9A-Za-z.+~_]+)*", 1)
	return cut(s, B "(Debian|gcc|clang|Node\\.js|LLVM)[ \t\n]+v?[0-9]+(\\.[0-9]+)*(-[0-9A-Za-z.+~_]+)*", 1)
}
function numbers(   s, i, n, L) {
	s = ""
	for (i = 1; i <= nt; i++) s = s "\n" txt[i]
	if (!isfence) s = prose(s, txt[1] ~ /^[ \t]*([-*+]|[0-9]+[.)])[ \t]/)
	n = split(refs(s), L, "\n")
	for (i = 2; i <= n; i++) scan(L[i], ln[i - 1], !isfence)
}
# scan(T, LINE, GROUP): print the numbers of text line T; GROUP: thousands
# groups are taken
function scan(t, line, group,   c, c2, rest, w, ip, dp) {
	t = " " t
	while (match(t, /[0-9]+/)) {
		c = substr(t, RSTART - 1, 1); c2 = RSTART > 2 ? substr(t, RSTART - 2, 1) : " "
		rest = substr(t, RSTART)
		if (c ~ /[A-Za-z_]/ || (c == "-" && c2 ~ /[A-Za-z_]/)) {
			match(rest, /^[0-9A-Za-z_]+([.-][0-9A-Za-z_]+)*/)
			t = " " substr(rest, RLENGTH + 1); continue
		}
		match(rest, /^[0-9]+/); ip = substr(rest, 1, RLENGTH); w = RLENGTH
		while (group && match(substr(rest, w + 1), GSEP) && substr(rest, w + RLENGTH + 1, 1) !~ /[0-9]/) {
			ip = ip substr(rest, w + RLENGTH - 2, 3); w += RLENGTH
		}
		dp = ""
		if (match(substr(rest, w + 1), /^\.[0-9]+/)) {
			dp = substr(rest, w + 2, RLENGTH - 1); w += RLENGTH
			if (match(substr(rest, w + 1), /^(\.[0-9]+)+/)) {	# 1.2.3: a version
				t = " " substr(rest, w + RLENGTH + 1); continue
			}
		}
		sub(/^0+/, "", ip); if (ip == "") ip = "0"
		printf "N\t%d\t%d\t%s\t%s\t%d\n", id, line, substr(rest, 1, w), ip (dp == "" ? "" : "." dp), length(dp)
		t = " " substr(rest, w + 1)
	}
}
BEGIN {
	reset(); id = 0
	B = "[^0-9A-Za-z_]"	# the boundary before a reference
	GSEP = "^( |,|\302\240|\342\200\211|\342\200\257)[0-9][0-9][0-9]"
}
{ sub(/\r$/, "") }
fence != "" {
	if ($0 ~ ("^[ \t]*" fence substr(fence, 1, 1) "*[ \t]*$")) flush(); else add($0)
	next
}
incmt { ctext = ctext "\n" $0; if (index($0, "-->")) { incmt = 0; marker(ctext) }; next }
/^[ \t]*$/ { flush(); next }
/^[ \t]*(```|~~~)/ {
	if (nt) flush()
	if (!inpar) begin()
	match($0, /(`+|~+)/); fence = substr($0, RSTART, RLENGTH); isfence = 1; fline = NR
	info = trim(substr($0, RSTART + RLENGTH)); sub(/[ \t{,].*/, "", info)
	next
}
/^[ \t]*#+([ \t]|$)/ { flush(); next }
nt == 0 && /^[ \t]*<!--/ {
	if (!inpar) begin()
	cline = NR; ctext = $0
	if (index($0, "-->")) marker(ctext); else incmt = 1
	next
}
{
	if ($0 ~ /<!--[ \t]*(src|unmeasured):/) err(NR, "a marker must be the first line of its paragraph")
	add($0)
}
END {
	if (fence != "") err(fline, "code fence never closed")
	if (incmt) err(cline, "comment never closed")
	flush()
	print "S" slist
}
'

# The match: reads the parse's records, loads each src file once into L,
# keyed by file, scale, decimals and the rounded value, for the decimals the
# article uses; prints in article order, exits 1 on any failure.  -v file,
# data, explain, and badlist ("FILE<tab>missing|untracked|outside" lines).
# shellcheck disable=SC2016 # awk, not shell
MATCH='
# put(L, TEXT): an output line about article line L; the lines are printed
# sorted by L at the end (an unmarked paragraph is known only at its end)
function put(l, t) { ol[++no] = l + 0; ot[no] = t }
function fail(l, m) { put(l, file ":" l ": " m); nbad++ }
# values(S): the number tokens of a source line into V[1..n]
function values(s,   n, c) {
	n = 0; s = " " s
	while (match(s, /[-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/)) {
		c = substr(s, RSTART - 1, 1)
		if (c ~ /[A-Za-z_]/) {	# p99, x86_64: a name
			s = substr(s, RSTART); match(s, /^[-+]?[0-9A-Za-z_]+/)
			s = " " substr(s, RLENGTH + 1); continue
		}
		V[++n] = substr(s, RSTART, RLENGTH)
		s = " " substr(s, RSTART + RLENGTH)
	}
	return n
}
# load(F): the values of src file F into L, rounded to each number of
# decimals D[] the article uses, at each scale.  A value ending in 5 may be
# a tie, which printf rounds to even (2.5 to 2) or by its binary value (0.145
# to 0.14): the half-up rounding a reader would do is stored as well.
function load(f,   path, line, n, i, j, s, y, k, tok, half) {
	loaded[f] = 1; path = data "/" f
	while ((getline line < path) > 0) {
		n = values(line)
		for (i = 1; i <= n; i++) {
			tok = V[i]
			if ((f, tok) in seen) continue
			seen[f, tok] = 1
			y = tok + 0; if (y < 0) y = -y
			half = tok; if (half ~ /\./) sub(/0+$/, "", half); half = half ~ /5$/
			for (s = 1; s <= 4; s++) for (j = 1; j <= nd; j++) {
				k = f SUBSEP s SUBSEP D[j] SUBSEP sprintf(FMT[D[j]], y * SC[s])
				if (!(k in L)) L[k] = tok
				if (!half) continue
				k = f SUBSEP s SUBSEP D[j] SUBSEP sprintf(FMT[D[j]], y * SC[s] * (1 + 1e-12))
				if (!(k in L)) L[k] = tok
			}
		}
	}
	close(path)
}
# find(X, D): X (D decimals) in the usable files of the paragraph, unscaled
# first; sets hitf, hits, hitv
function find(x, d,   i, n, F, s, k) {
	n = split(pok, F, " ")
	for (s = 1; s <= 4; s++) for (i = 1; i <= n; i++) {
		if (!(F[i] in loaded)) load(F[i])
		k = F[i] SUBSEP s SUBSEP d SUBSEP x
		if (k in L) { hitf = F[i]; hits = s; hitv = L[k]; return 1 }
	}
	return 0
}
# srcfiles(): the src files of the paragraph that cannot be used are failures;
# pok: the others
function srcfiles(   i, n, F, why) {
	n = split(ppay, F, " "); pok = ""
	for (i = 1; i <= n; i++) {
		if (!(F[i] in bad)) { pok = pok (pok == "" ? "" : " ") F[i]; continue }
		why = bad[F[i]]
		if (why == "missing") why = "does not exist in " data
		else if (why == "outside") why = "is not under " data
		else why = "is not committed (git ls-files does not know it)"
		fail(pline, "src " Q F[i] Q " " why)
	}
}
function endpar() { if (plist != "") fail(pline, "paragraph has no source:" plist); plist = "" }
function record(r,   f, y, how) {
	split(r, f, "\t")
	if (f[1] == "E") { fail(f[2], f[3]); return }
	if (f[1] == "P") {
		endpar(); pline = f[3]; pkind = f[4]; ppay = f[5]
		if (pkind == "src") srcfiles()
		if (pkind == "unmeasured") { nun++; if (explain) put(pline, pline ": unmeasured: " ppay) }
		return
	}
	if (f[1] != "N") return
	nnum++
	if (pkind == "unmeasured") { nunnum++; return }
	if (pkind != "src") { nfail++; plist = plist " " Q f[4] Q; return }
	if (!find(f[5], f[6])) {	# with no usable file, the src failure says why
		nfail++; if (pok != "") fail(f[3], Q f[4] Q " not found in " pok)
		return
	}
	if (!explain) return
	y = hitv + 0; if (y < 0) y = -y
	how = sprintf("%.12g", y * SC[hits]) == sprintf("%.12g", f[5] + 0) ? "exact" : "rounded"
	if (hits > 1) how = how ", x" SC[hits]
	put(f[3], f[3] ": " f[4] " <- " hitf " (" how ": " hitv ")")
}
BEGIN {
	FS = "\t"
	Q = "\047"
	SC[1] = 1; SC[2] = 1000; SC[3] = 0.001; SC[4] = 100
	n = split(badlist, b, "\n")
	for (i = 1; i <= n; i++) if (split(b[i], kv, "\t") == 2) bad[kv[1]] = kv[2]
}
{ rec[++nr] = $0 }
$1 == "P" { kind[$2] = $4 }
$1 == "N" && kind[$2] == "src" && !($6 in FMT) { D[++nd] = $6; FMT[$6] = "%." $6 "f" }
END {
	for (i = 1; i <= nr; i++) record(rec[i])
	endpar()
	for (i = 2; i <= no; i++) {	# insertion sort, stable: nearly sorted already
		l = ol[i]; t = ot[i]
		for (j = i - 1; j >= 1 && ol[j] > l; j--) { ol[j + 1] = ol[j]; ot[j + 1] = ot[j] }
		ol[j + 1] = l; ot[j + 1] = t
	}
	for (i = 1; i <= no; i++) print ot[i]
	printf "check-article.sh: %s: %d numbers: %d traced, %d not traced, %d unmeasured (%d paragraph%s); %d failure%s\n", file, nnum, nnum - nfail - nunnum, nfail, nunnum, nun, (nun == 1 ? "" : "s"), nbad, (nbad == 1 ? "" : "s") > "/dev/stderr"
	exit (nbad > 0)
}
'

# check: the whole check of FILE against DATA; its exit status is the
# script's.  A src file that is not a committed file under DATA goes to the
# match as "FILE<tab>missing|untracked|outside" (git asked in the file's own
# directory, so that a DATA in another repository works).
check() {
	local recs f p bad='' srcs
	recs=$(LC_ALL=C awk "$PARSE" "$FILE")
	IFS=$'\t' read -ra srcs <<<"${recs##*$'\n'}"	# the S record
	for f in "${srcs[@]:1}"; do
		p=$DATA/$f
		if [[ $f == /* || $f == ../* || $f == */../* ]]; then bad+=$f$'\toutside\n'
		elif [ ! -f "$p" ]; then bad+=$f$'\tmissing\n'
		elif ! git -C "${p%/*}" ls-files --error-unmatch -- "${p##*/}" >/dev/null 2>&1; then
			bad+=$f$'\tuntracked\n'
		fi
	done
	LC_ALL=C awk -v file="$FILE" -v data="$DATA" -v explain="$EXPLAIN" \
		-v badlist="$bad" "$MATCH" <<<"$recs"
}

# st_repo DIR: the self-test's data, a git repository DIR/data with s.csv,
# m.csv and runs/r1.txt committed and new.csv left untracked
st_repo() {
	mkdir -p "$1/data/runs"
	printf '%s\n' 'workers,blockers,p99_us,wait_us,lo,hi,share' '2,1,19857.3,5512.2,4.2,37.8,0.145' >"$1/data/s.csv"
	# each of 1, 4 and 2 comes from one value only, as a percentage
	printf '%s\n' 'shape,late,rel_error' 'a,0.0108,0.041' 'b,0.3,-0.02' >"$1/data/m.csv"
	printf '%s\n' '$ ./demo --workers 2 --secs 3' \
		'probe lateness  p50  25.3  p99  19988.5  max  23684.1 us  (n=596)' >"$1/data/runs/r1.txt"
	(cd "$1/data" && git init -q . && git config user.email selftest@example.org &&
		git config user.name selftest && git add s.csv m.csv runs/r1.txt &&
		git -c commit.gpgsign=false commit -q --no-verify -m data) || return 1
	printf '%s\n' 'x' '19857.3' >"$1/data/new.csv"
}

# The cases: paragraphs of two made-up articles, one that must pass and one
# whose every paragraph must fail; at[NAME] is the first line of paragraph
# NAME.  One run per article: a run costs ~40 ms of CPU on the 2-core box.
# para NAME TEXT: TEXT appended to the article art, then a blank line
para() {
	local nls=${2//[!$'\n']/}
	at[$1]=$((nl + 1)); len[$1]=$((${#nls} + 1)); art+=$2$'\n\n'; nl=$((nl + ${#nls} + 2))
}
# run ARTICLE [OPTION...]: the script on ARTICLE; its status rc, its stdout
# and stderr in out, between newlines
run() {
	printf '%s' "$1" >"$d/a.md"; shift
	out=$'\n'$("$self" --data "$d/data" "$@" "$d/a.md" 2>&1)$'\n' && rc=0 || rc=$?
}
has() { [[ $out == *"$1"* ]]; }
line() { has $'\n'"$1"$'\n'; }	# LINE is a whole line of out
# quiet NAME: no failure on the lines of paragraph NAME
quiet() {
	local l
	for ((l = at[$1]; l < at[$1] + len[$1]; l++)); do ! has "a.md:$l:" || return 1; done
}

# shellcheck disable=SC2016 # eval'd test expressions
st_pass() {
	para head '# 1. A title with 2026 in it'
	para sourced $'<!-- src: s.csv -->\nWith 2 workers and 1 blocker the p99 is 19 857 us.'
	para quote $'<!-- src: runs/r1.txt -->\n```\nprobe lateness  p50  25.3  p99  19988.5  max  23684.1 us  (n=596)\n```'
	para code $'<!-- src: s.csv -->\nRun `--workers 9 --secs 77` with 2 workers.'
	para groups $'<!-- src: s.csv -->\nThe p99 is 19 857 us, 19\342\200\211857 us, 19,857 us.'
	para scale $'<!-- src: s.csv -->\nThe wait is 5.5 ms.'
	para pct $'<!-- src: m.csv -->\nLate: 1 %; errors +4 % and \342\210\2222 %.'
	para range $'<!-- src: s.csv -->\nFrom 4.2-37.8 ms.'
	para half $'<!-- src: s.csv -->\nA share of 0.145 is 0.15, or 0.14 as printf has it.'
	para unm $'<!-- unmeasured: design constant -->\nA 64-core box would need 128 units.'
	para sh $'```sh\n./demo --workers 2 --secs 3\n```'
	para refs $'See Figure 7, Figures 2 and 3, section 8 and sections 4-6 on Tokio 1.24\nand kernel 6.18 (Debian 12), run 2026-12-04 at 13:20 UTC for issue #15\nand #16: the p99 of x86_64, in [the models](https://example.org/a/99).'
	para list $'1. The first item;\n2. the second.'
	run "$art" --explain
	t "sourced article: exit 0" '[ "$rc" = 0 ] && quiet sourced && quiet quote'
	t "inline code is exempt" 'quiet code'
	t "19 857 is 19857.3 (groups, rounding)" 'quiet groups'
	t "5.5 ms is 5512.2 us (x0.001)" 'quiet scale'
	t "1 % is 0.0108 (x100), explained" 'line "$((at[pct] + 1)): 1 <- m.csv (rounded, x100: 0.0108)"'
	t "+4 % is 0.041" 'line "$((at[pct] + 1)): 4 <- m.csv (rounded, x100: 0.041)"'
	t "-2 % is -0.02" 'line "$((at[pct] + 1)): 2 <- m.csv (exact, x100: -0.02)"'
	t "range: both ends found" 'quiet range'
	t "a tie rounds either way" 'quiet half'
	t "unmeasured: exempt, explained" 'quiet unm && line "${at[unm]}: unmeasured: design constant"'
	t "sh block is not checked" 'quiet sh'
	t "references are not numbers" 'quiet refs'
	t "list item numbers are not numbers" 'quiet list'
}

# shellcheck disable=SC2016 # eval'd test expressions
st_fail() {
	para absent $'<!-- src: s.csv -->\nWith 2 workers the probe woke 314 times.'
	para near $'<!-- src: s.csv -->\nThe p99 is 19 858 us.'
	para scale $'<!-- src: s.csv -->\nThe wait is 5.6 ms.'
	para range $'<!-- src: s.csv -->\nFrom 4.2-37.9 ms.'
	para bare 'The p99 is 19 857 us.'
	para scope $'<!-- src: s.csv -->\nWith 2 workers.\n\nThe p99 is 19 857 us.'
	para untracked $'<!-- src: new.csv -->\nThe p99 is 19 857 us.'
	para missing $'<!-- src: s.csv gone.csv -->\nThe p99 is 19 857 us.'
	para noreason $'<!--  unmeasured:  -->\nA 64-core box.'
	para block $'Output:\n```text\nprobe p99 19988.5 us (n=596)\n```'
	para srcblock $'<!-- src: runs/r1.txt -->\n```\nprobe p99 19988.6 us\n```'
	para tokio $'Tokio 2 988 acq/s, not Tokio 1.24; the p99 is\n20. Then.'
	run "$art"
	t "failures: exit 1" '[ "$rc" = 1 ]'
	t "absent number: line and number named" 'has "a.md:$((at[absent] + 1)): '"'314'"' not found in s.csv"'
	t "19 858 is not 19857.3" 'has "a.md:$((at[near] + 1)): '"'19 858'"' not found"'
	t "5.6 ms is not 5512.2 us" 'has "a.md:$((at[scale] + 1)): '"'5.6'"' not found"'
	t "range: each end needed" 'has "'"'37.9'"' not found" && ! has "'"'4.2'"' not"'
	t "unmarked paragraph fails" 'has "a.md:${at[bare]}: paragraph has no source: '"'19 857'"'"'
	t "a marker covers its own paragraph only" 'has "a.md:$((at[scope] + 3)): paragraph has no source" && ! has "a.md:$((at[scope] + 1)):"'
	t "untracked src fails, named" 'has "a.md:${at[untracked]}: src '"'new.csv'"' is not committed" && ! has "a.md:$((at[untracked] + 1)):"'
	t "missing src fails, named" 'has "a.md:${at[missing]}: src '"'gone.csv'"' does not exist" && ! has "a.md:$((at[missing] + 1)):"'
	t "unmeasured: no reason fails" 'has "a.md:${at[noreason]}: unmeasured: marker gives no reason"'
	t "unmarked output block fails" 'has "a.md:$((at[block] + 1)): paragraph has no source"'
	t "src-marked block is checked" 'has "a.md:$((at[srcblock] + 2)): '"'19988.6'"' not found"'
	t "Tokio 2 988 is no version, 20. no list item" 'has "a.md:${at[tokio]}: paragraph has no source: '"'2 988' '20'"'"'
}

# shellcheck disable=SC2016,SC2034 # eval'd test expressions
# --selftest: the cases above in a temporary git repository (KEEP=1 keeps it)
selftest() {
	local d n=0 bad=0 self=$SELF out rc art nl
	local -A at len
	d=$(mktemp -d)
	# shellcheck disable=SC2064 # expand d now
	[ -n "${KEEP:-}" ] || trap "rm -rf '$d'" RETURN
	[ -z "${KEEP:-}" ] || echo "# kept $d"
	unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE
	st_repo "$d" >/dev/null 2>&1 || { echo "Bail out! cannot make a git repository in $d"; return 1; }
	t() { n=$((n + 1)); if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; bad=1; fi; }
	art='' nl=0; st_pass
	art='' nl=0; st_fail
	out=$("$self" --bogus 2>&1 >/dev/null) && rc=0 || rc=$?
	t "bad option: exit 2, one line" '[ "$rc" = 2 ] && [[ $out == check-article.sh:* && $out != *$'"'"'\n'"'"'* ]]'
	out=$("$self" --data "$d/data" "$d/none.md" 2>&1 >/dev/null) && rc=0 || rc=$?
	t "no article: exit 2, one line" '[ "$rc" = 2 ] && [[ $out == check-article.sh:* && $out != *$'"'"'\n'"'"'* ]]'
	echo "1..$n"
	return $bad
}

while [ $# -gt 0 ]; do
	case $1 in
	--data) [ $# -ge 2 ] || die "--data needs a value"; DATA=$2; shift ;;
	--explain) EXPLAIN=1 ;;
	--selftest) selftest; exit $? ;;
	-h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$SELF"; exit 0 ;;
	-*) die "unknown option '$1' (try --help)" ;;
	*) [ $# -eq 1 ] || die "one FILE.md only (try --help)"; FILE=$1 ;;
	esac
	shift
done
[ -f "$FILE" ] || die "no article $FILE"
[ -d "$DATA" ] || die "no data directory $DATA"
check
