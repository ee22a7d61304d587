# convoy.gp - the sync-lock convoy versus scheduler pressure K, one column
# per critical-section length H (figures.sh passes Hs): throughput, hold
# time p50 and p99.
nh = words(Hs)
W = nh > 2 ? 380 * nh + 20 : 900
TOP = 135
H = 3 * 295 + 145
load dir . "/common.gp"

# The models (docs/models.md): broken, one holder at a time sharing its core
# with floor(K / cores) pressure threads, 1 / (H (1 + floor(K / 2)) + d0);
# fixed, the work outside the lock on every worker: min(N, cores) / H.
CORES = 2
cv_model(K, h) = 1e6 / (h * (1 + floor(K / CORES)) + d0_rt)
set style line 12 lc rgb "#555555" lw 1.5 dt (8, 4, 2, 4)

set multiplot title sprintf("Mutex convoy versus scheduler pressure K (sync lock held around H µs of CPU work, M = 4 contenders, 2 workers)\n{/*0.8 %s; %s}", NOTE, MODEL_NOTE)
set xlabel "pressure K (CPU-bound threads on the 2 cores)"
set logscale y
set format y "10^{%L}"
set xtics 1
set offsets 0.3, 0.3, 0, 0
set autoscale xfix
unset key
array M[3] = ["acq_per_s", "hold_p50_us", "hold_p99_us"]
array T[3] = ["throughput", "lock hold p50", "lock hold p99"]
array Y[3] = ["acquisitions/s (log)", "hold time p50 (µs, log)", "hold time p99 (µs, log)"]
do for [j = 1:3] {
	m = M[j]
	# stats filters by the current ranges: widen them first
	set autoscale y
	stats data("") using (fl(hi(m))) nooutput
	ymax = 10 ** ceil(log10(STATS_max * 1.5))
	stats data("") using (fl(lo(m))) nooutput
	ymin = 10 ** floor(log10(STATS_min / 1.5))
	do for [hi_ = 1:nh] {
		h = word(Hs, hi_)
		eval PANEL(j, hi_, 3, nh)
		set title sprintf("%s, H = %s µs", T[j], h)
		set ylabel Y[j]
		set yrange [ymin:ymax]
		# the CPU work itself: a hold can be no shorter
		if (j > 1) {
			set arrow 1 from graph 0, first h to graph 1, first h nohead lc rgb "#888888" dt 3
		} else {
			unset arrow 1
		}
		plot data(sprintf("hold_us=%s runtime=rt fixed=0", h)) \
			using "pressure":(j == 1 ? cv_model(column("pressure"), h + 0) : NaN) with lines ls 11, \
		     data(sprintf("hold_us=%s runtime=rt fixed=1", h)) \
			using "pressure":(j == 1 ? mn(column("workers"), CORES) * 1e6 / h : NaN) with lines ls 12, \
		     for [i = 1:4] data(sprintf("hold_us=%s runtime=%s fixed=%d", h, s_rt(i), s_fixed(i))) \
			using "pressure":(fl(med(m))) with linespoints ls i, \
		     for [i = 1:4] data(sprintf("hold_us=%s runtime=%s fixed=%d", h, s_rt(i), s_fixed(i))) \
			using "pressure":(fl(med(m))):(fl(lo(m))):(fl(hi(m))) with yerrorbars ls i + 4
	}
}
eval KEY_STRIP
plot for [i = 1:4] 2 with linespoints ls i title s_title(i), \
	2 with lines lc rgb "#888888" dt 3 title "H (the CPU work)", \
	2 with lines ls 11 title "model 1/(H(1+⌊K/2⌋)+d_0)", \
	2 with lines ls 12 title "fixed model: 2/H (CPU bound)"
unset multiplot
