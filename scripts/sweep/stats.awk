# stats.awk - the rows of a sweep CSV from the raw runs (scripts/sweep.sh).
#
#	awk -F'\t' -v nm=METRICS -v secs=S -v maxload=L -v seed=N -v boot=B \
#		-f stats.awk NAME.points NAME.tsv
#
# NAME.points: the CSV prefix of point i (parameters,runtime,fixed) on line
# i + 1.  NAME.tsv: one run a line, point, repeat, wall_s, load1_end,
# load1_start, steal_pct, busy_pct, then the nm metrics (an empty cell: the
# metric is undefined in that run).  Not a grid file: sweep.sh only sources
# the names it lists.
#
# For each point, for each metric: min, median, max and the 95 % percentile
# bootstrap interval of the median (ci_lo, ci_hi), then runs (all successful
# runs), secs, load_ok (runs that started at a 1-min load <= maxload).
#  1. The statistics use the point's load_ok runs when there are at least 3,
#     else all its runs (docs/sweeps.md, "Load").
#  2. The interval needs k >= 3 values of the metric; below that its cells
#     are empty.
#  3. Reproducible: the generator is re-seeded with seed + a number derived
#     from the point and the metric before each interval, so a cell depends
#     only on its own runs, the seed, boot and the awk (mawk and gawk have
#     different generators).
#  4. Percentiles are nearest-rank over the boot medians: lo the
#     ceil(0.025 boot)-th smallest, hi the ceil(0.975 boot)-th.

# sort a[1..k] ascending (k is a few runs: insertion sort is enough)
function sort(a, k,   x, y, t) {
	for (x = 2; x <= k; x++)
		for (y = x; y > 1 && a[y - 1] > a[y]; y--) {
			t = a[y]; a[y] = a[y - 1]; a[y - 1] = t
		}
}

# median of the sorted v[1..k] (an even count: the mean of the middle two)
function median(v, k) {
	return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
}

# ceil for x >= 0
function ceil(x) { return x == int(x) ? x : int(x) + 1 }

# boot_ci(v, k, s): sets CI_LO, CI_HI to the percentile bootstrap interval of
# the median of the sorted v[1..k], resampling with the generator seeded s.
# A resample is k draws of ranks with replacement; its median is read from
# the rank counts, so each resample costs O(k) and the boot medians, which
# take at most k (k + 1) / 2 distinct values, are counted rather than sorted.
function boot_ci(v, k, s,   b, j, cnt, mid1, mid2, seen, a1, a2, key, nk, keys, kv, t, x, y, acc, want_lo, want_hi) {
	srand(s)
	delete hits
	for (b = 1; b <= boot; b++) {
		delete cnt
		for (j = 1; j <= k; j++)
			cnt[int(rand() * k) + 1]++
		# the ranks at sorted positions mid1 and mid2 of the resample
		mid1 = k % 2 ? (k + 1) / 2 : k / 2
		mid2 = k % 2 ? mid1 : mid1 + 1
		seen = 0; a1 = a2 = 0
		for (j = 1; j <= k && !a2; j++) {
			seen += cnt[j]
			if (!a1 && seen >= mid1) a1 = j
			if (seen >= mid2) a2 = j
		}
		hits[a1 SUBSEP a2]++
	}
	# the distinct medians in ascending order, then the nearest ranks
	nk = 0
	for (key in hits) {
		split(key, t, SUBSEP)
		keys[++nk] = key
		kv[nk] = (v[t[1]] + v[t[2]]) / 2
	}
	for (x = 2; x <= nk; x++)
		for (y = x; y > 1 && kv[y - 1] > kv[y]; y--) {
			t[0] = kv[y]; kv[y] = kv[y - 1]; kv[y - 1] = t[0]
			t[0] = keys[y]; keys[y] = keys[y - 1]; keys[y - 1] = t[0]
		}
	want_lo = ceil(0.025 * boot); want_hi = ceil(0.975 * boot)
	acc = 0; CI_LO = CI_HI = ""
	for (x = 1; x <= nk; x++) {
		acc += hits[keys[x]]
		if (CI_LO == "" && acc >= want_lo) CI_LO = kv[x]
		if (CI_HI == "" && acc >= want_hi) CI_HI = kv[x]
	}
}

FNR == NR { prefix[NR - 1] = $0; npoints = NR; next }
{
	p = $1
	runs[p]++
	ok = $5 != "" && $5 + 0 <= maxload + 0
	load_ok[p] += ok
	r = runs[p]
	okrow[p, r] = ok
	for (c = 1; c <= nm; c++)
		row[p, r, c] = $(c + 7)
}
END {
	for (p = 0; p < npoints; p++) {
		printf "%s", prefix[p]
		# rule 1: the runs that started at or below maxload, if enough
		use_ok = load_ok[p] >= 3
		for (c = 1; c <= nm; c++) {
			k = 0; delete v
			for (r = 1; r <= runs[p]; r++)
				if ((!use_ok || okrow[p, r]) && row[p, r, c] != "")
					v[++k] = row[p, r, c] + 0
			if (k == 0) { printf ",,,,,"; continue }
			sort(v, k)
			printf ",%.7g,%.7g,%.7g", v[1], median(v, k), v[k]
			if (k < 3) { printf ",,"; continue }
			boot_ci(v, k, seed + 1000 * p + c)
			printf ",%.7g,%.7g", CI_LO, CI_HI
		}
		printf ",%d,%s,%d\n", runs[p], secs, load_ok[p]
	}
}
