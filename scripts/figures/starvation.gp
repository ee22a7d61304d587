# starvation.gp - probe lateness versus blockers K, one panel per block
# length B (rows) and worker count N (columns).  figures.sh passes Bs and Ns
# (the values in the CSV) and metric/ylabel (probe_p99_us or probe_max_us).
nb = words(Bs)
nn = words(Ns)
W = 360 * nn + 20
H = 290 * nb + 120
load dir . "/common.gp"

# One y range for every panel, so that panels compare at a glance.
stats data("") using (hi(metric)) nooutput
YMAX = 10 ** ceil(log10(STATS_max * 1.5))

# The model: its rows in models.csv, each K in the regime the rules give it
# (docs/models.md); no line at K = 0 or where it claims no value.
set multiplot title sprintf("Executor starvation: %s versus blockers K\n{/*0.8 %s; %s}", mtitle, NOTE, MODEL_NOTE)
set logscale y
set format y "10^{%L}"
set xlabel "blockers K (each blocks B ms every 25 ms)"
set ylabel ylabel
set yrange [10:YMAX]
set xtics 1
unset key
do for [bi = 1:nb] {
	B = word(Bs, bi)
	do for [ni = 1:nn] {
		N = word(Ns, ni)
		eval PANEL(bi, ni, nb, nn)
		set title sprintf("B = %s ms, N = %s worker%s", B, N, N eq "1" ? "" : "s")
		set xrange [-0.3:2 * N + 0.3]
		# K = N: every worker has a blocker
		set arrow 1 from N, graph 0 to N, graph 1 nohead lc rgb "#888888" dt 3
		set label 1 "K = N" at N, graph 0.95 offset 0.5, 0 left tc rgb "#666666" font ",9"
		plot for [i = 1:4] data(sprintf("block_ms=%s workers=%s runtime=%s fixed=%d", B, N, s_rt(i), s_fixed(i))) \
			using "blockers":(fl(med(metric))) with linespoints ls i, \
		     for [i = 1:4] data(sprintf("block_ms=%s workers=%s runtime=%s fixed=%d", B, N, s_rt(i), s_fixed(i))) \
			using "blockers":(fl(med(metric))):(fl(lo(metric))):(fl(hi(metric))) with yerrorbars ls i + 4, \
		     for [r = 1:2] mdata("starvation", metric, s_rt(2 * r), sprintf("^N=%s .* B=%s ", N, B), "K") \
			using "x":"y" with lines ls 8 + r
	}
}
eval KEY_STRIP
plot for [i = 1:4] 2 with linespoints ls i title s_title(i), \
	for [r = 1:2] 2 with lines ls 8 + r title (r == 1 ? "model, C rt" : "model, Tokio")
unset multiplot
