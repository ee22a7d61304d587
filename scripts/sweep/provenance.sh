#!/bin/bash
# provenance.sh - where each sweep CSV came from, as a markdown table, from
# the raw files scripts/sweep.sh keeps (NAME.meta and NAME.tsv).
#
#	scripts/sweep/provenance.sh [RAW_DIR]     (default docs/data/raw)
#
# One row per NAME.meta: commit, UTC start and end, run length, repeats,
# point runs, the runs re-run for load, and over all its runs the load at
# their start (CPUs busy over 0.25 s: median and max), the steal and the
# machine's busy share (max and median, %).  docs/data/README.md quotes it.
set -euo pipefail

RAW=${1:-docs/data/raw}
[ -d "$RAW" ] || { echo "provenance.sh: no directory $RAW" >&2; exit 2; }
echo "| sweep | git | UTC | secs x repeats | point runs | re-run for load | load at start, median / max (CPUs busy) | steal max | busy median |"
echo "|---|---|---|---|---|---|---|---|---|"
for meta in "$RAW"/*.meta; do
	name=$(basename "$meta" .meta)
	tsv=$RAW/$name.tsv
	[ -s "$tsv" ] || continue
	# the .meta is key=value words; the TSV: point, repeat, wall s, loadavg
	# after, load at start, steal %, busy %, metrics...
	awk -v name="$name" '
	FNR == NR { for (i = 1; i <= NF; i++) if (split($i, kv, "=") == 2) m[kv[1]] = kv[2]; next }
	{ n++; ld[n] = $5 + 0; bz[n] = $7 + 0; if ($6 + 0 > st) st = $6 + 0 }
	function med(a, k,   i, j, t) {
		for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
	}
	END {
		lmax = 0; for (i = 1; i <= n; i++) if (ld[i] > lmax) lmax = ld[i]
		lmed = med(ld, n); bmed = med(bz, n)
		printf "| %s | %s | %s - %s | %s x %s | %d | %s | %.2f / %.2f | %.1f %% | %.1f %% |\n", name, m["git"], \
			substr(m["started"], 1, 10) " " substr(m["started"], 12, 8), substr(m["finished"], 12, 8), \
			m["secs"], m["repeats"], n, m["reruns"], lmed, lmax, st, bmed
	}' "$meta" "$tsv"
done
