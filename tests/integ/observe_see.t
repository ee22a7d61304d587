#!/bin/bash
# observe_see.t - the pictures of a run (issue 14): --html renders in a real
# browser (Debian's headless chromium) with nothing fetched, --trace is
# Chrome Trace Event JSON with every poll of an rt demo, and observe report
# draws the same files from the saved JSON document without root.
#
# Two 2 s demo runs (starvation, suspension), each drawn; chromium runs in a
# network namespace with no interface, so a page that needed the network
# could not render.  SEE_FIGURES=DIR keeps the screenshots (docs/figures).
# ~15 s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/observe_lib.sh"
need_root
need_observe
need_cmd python3
need_cmd unshare
CHROMIUM=$(command -v chromium-headless-shell || command -v chromium) ||
	skip_all "needs chromium-headless-shell or chromium (scripts/deps.sh)"
for d in demo_starvation demo_suspension; do
	[ -x "$TOP/demos/$d" ] || skip_all "demos/$d not built"
done

plan 22

T=$TMPDIR_T
W=(--workers 2 --secs 2)

# browse NAME ARGS...: chromium on NAME.html, without any network.
browse() {
	local name=$1
	shift
	timeout -k 5 60 unshare -n "$CHROMIUM" --headless --no-sandbox \
		--disable-gpu --hide-scrollbars --window-size=1280,900 "$@" \
		"file://$T/$name.html" 2>>"$T/$name.chromium.err"
}

# jq_is FILTER FILE: FILTER's raw output, "" if the file does not parse.
jq_is() { jq -r "$1" "$2" 2>/dev/null; }

# see NAME SHAPE -- CMD...: one observed run drawn, and its 9 checks.
see() {
	local name=$1 shape=$2 polls workers got remedy colours top
	shift 3
	run "$name" --html "$T/$name.html" --trace "$T/$name.trace.json" -- "$@"
	ok "$([ "$RC" = 0 ] && json_ok "$T/$name.json" && [ -s "$T/$name.html" ] &&
		[ -s "$T/$name.trace.json" ] && echo 1 || echo 0)" \
		"$name: observe exits 0 and writes the JSON, the HTML and the trace (rc $RC)"
	is "$(jq_is .verdict.shape "$T/$name.json")" "$shape" "$name: the run's verdict is $shape"
	is "$(grep -Eoc 'https?://|src=|href=|url\(|@import' "$T/$name.html")" 0 \
		"$name: the HTML refers to nothing outside itself"

	browse "$name" --screenshot="$T/$name.png" >/dev/null
	read -r colours top < <(python3 "$TOP/tests/integ/png_colours.py" \
		"$T/$name.png" 2>/dev/null || echo "0 1")
	ok "$(awk -v c="$colours" -v t="$top" 'BEGIN { print (c >= 16 && t < 0.97) ? 1 : 0 }')" \
		"$name: the screenshot is not blank ($colours colours, the commonest $top of it)"
	if [ -n "${SEE_FIGURES:-}" ]; then cp "$T/$name.png" "$SEE_FIGURES/see-$name.png"; fi

	browse "$name" --dump-dom >"$T/$name.dom"
	is "$(grep -Eo '<h2 data-shape="[a-z_]+"' "$T/$name.dom" | head -1)" \
		"<h2 data-shape=\"$shape\"" "$name: the rendered page opens with the verdict"
	remedy=$(jq_is .verdict.remedy "$T/$name.json")
	ok "$([ -n "$remedy" ] && grep -qF "$remedy" "$T/$name.dom" && echo 1 || echo 0)" \
		"$name: the rendered page gives the remedy"
	workers=$(jq_is '[.threads[] | select(.role == "worker")] | length' "$T/$name.json")
	ok "$([ "${workers:-0}" -gt 0 ] && [ "$(grep -o '<svg class="timeline"[^>]*data-role="worker"' \
		"$T/$name.dom" | wc -l)" = "$workers" ] && echo 1 || echo 0)" \
		"$name: one timeline SVG per worker in the rendered page ($workers workers)"

	ok "$(jq -e '(.traceEvents | length > 0) and (.otherData.dropped | type == "object")' \
		"$T/$name.trace.json" >/dev/null 2>&1 && echo 1 || echo 0)" \
		"$name: the trace is JSON with traceEvents, and says what it dropped"
	polls=$(jq_is '.runtime.polls.count' "$T/$name.json")
	if [ "$(jq_is '.timeline.dropped | add' "$T/$name.json")" = 0 ]; then
		got=$(jq_is '[.traceEvents[] | select(.ph == "X" and .cat == "poll")] | length' \
			"$T/$name.trace.json")
		ok "$([ "${polls:-0}" -gt 0 ] 2>/dev/null && [ "$got" = "$polls" ] && echo 1 || echo 0)" \
			"$name: as many poll slices in the trace as the runtime counted polls ($got of $polls)"
	else
		skip "$name: the timeline dropped spans: over the bound"
	fi
}

see starv executor_starvation -- "$TOP/demos/demo_starvation" "${W[@]}"
see susp suspension_convoy -- "$TOP/demos/demo_suspension" "${W[@]}"

# ---- observe report: the saved document, drawn again by nobody ------------------
chmod 755 "$T"
chmod 644 "$T/starv.json"
mkdir -m 777 "$T/nobody"
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	"$OBSERVE" report "$T/starv.json" --html "$T/nobody/starv.html" \
	--trace "$T/nobody/starv.trace.json" 2>"$T/report.err"
is "$?" 0 "observe report runs without root ($(head -c 200 "$T/report.err"))"
ok "$([ -s "$T/nobody/starv.html" ] && cmp -s "$T/starv.html" "$T/nobody/starv.html" &&
	echo 1 || echo 0)" "observe report draws the run's own HTML, verdict and all"
ok "$([ -s "$T/nobody/starv.trace.json" ] &&
	cmp -s "$T/starv.trace.json" "$T/nobody/starv.trace.json" && echo 1 || echo 0)" \
	"observe report draws the run's own trace"
# a document from before the timeline: refused in one line, nothing written
echo '{"version": 1}' >"$T/old.json"
"$OBSERVE" report "$T/old.json" --html "$T/old.html" 2>"$T/old.err"
ok "$([ $? = 1 ] && [ "$(stderr_lines "$T/old.err")" = 1 ] && [ ! -s "$T/old.html" ] &&
	echo 1 || echo 0)" "observe report of a document without a timeline: exit 1, one line ($(head -c 200 "$T/old.err"))"
done_testing
