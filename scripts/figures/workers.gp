# workers.gp - K = 2 blockers (B = 20 ms every 25 ms) against the worker
# count N = 1..8, on a 2-CPU machine: probe p99 lateness, probe wake-ups per
# second and the victim's delay, with the model's rows from models.csv.
W = 1100
H = 470
load dir . "/common.gp"

set multiplot title sprintf("Worker count: 2 blockers (20 ms every 25 ms) on N workers, 2 CPUs\n{/*0.8 %s; %s}", NOTE, MODEL_NOTE)
set xlabel "workers N (the machine has 2 CPUs)"
set xrange [0.5:8.5]
set xtics 1
unset key
array M[3] = ["probe_p99_us", "probe_per_s", "victim_p50_us"]
array T[3] = ["probe lateness p99", "probe wake-ups per second", "victim wake-to-poll delay p50"]
array Y[3] = ["p99 (µs, log)", "wake-ups/s", "delay p50 (µs, log)"]
do for [j = 1:3] {
	m = M[j]
	eval PANEL(1, j, 1, 3)
	set title T[j]
	set ylabel Y[j]
	if (j == 2) { unset logscale y; set format y "%g"; set yrange [0:*] } \
	else { set logscale y; set format y "10^{%L}"; set yrange [1:*] }
	plot for [i = 1:4] data(sprintf("runtime=%s fixed=%d", s_rt(i), s_fixed(i))) \
		using "workers":(fl(med(m))) with linespoints ls i, \
	     for [i = 1:4] data(sprintf("runtime=%s fixed=%d", s_rt(i), s_fixed(i))) \
		using "workers":(fl(med(m))):(fl(lo(m))):(fl(hi(m))) with yerrorbars ls i + 4, \
	     for [r = 1:2] mdata("workers", m, s_rt(2 * r), ".", "N") using "x":"y" with lines ls 8 + r
}
eval KEY_STRIP
plot for [i = 1:4] 2 with linespoints ls i title s_title(i), \
	for [r = 1:2] 2 with lines ls 8 + r title (r == 1 ? "model, C rt" : "model, Tokio")
unset multiplot
