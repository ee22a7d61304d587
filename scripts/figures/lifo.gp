# lifo.gp - K < N blockers: the victim woken right before each block, with
# the LIFO slot (default), without it (--no-lifo) and with the blocking call
# on the blocking pool (--fixed), for each (N, K) case in the CSV.
W = 1000
TOP = 130
H = 470
load dir . "/common.gp"

# x position of a case: its order of appearance, plus a small offset per
# series so that the six bars of a case do not overlap.
ncase = 0
array CN[20]
array CK[20]
stats data("runtime=rt fixed=0 lifo=1") using (ncase = ncase + 1, CN[ncase] = column("workers"), CK[ncase] = column("blockers")) nooutput
casex(n, k) = sum [c = 1:ncase] ((CN[c] == n && CK[c] == k) ? c : 0)
# series s = 1..6: rt lifo, rt no-lifo, rt fixed, tokio lifo, tokio no-lifo, tokio fixed
s_rt6(s) = s <= 3 ? "rt" : "tokio"
s_where(s) = sprintf("runtime=%s ", s_rt6(s)) . word("fixed=0_lifo=1 fixed=0_lifo=0 fixed=1_lifo=1", (s - 1) % 3 + 1)
s_pt(s) = word("7 9 4", (s - 1) % 3 + 1) + 0
s_col(s) = s <= 3 ? RT_COLOR : TOKIO_COLOR
s_var(v) = v == 1 ? " (LIFO slot)" : v == 2 ? " --no-lifo" : " --fixed"
s_title6(s) = (s <= 3 ? "C rt" : "Tokio") . s_var((s - 1) % 3 + 1)
where(s) = system(sprintf("echo '%s' | tr _ ' '", s_where(s)))
xoff(s) = (s - 3.5) * 0.08

B_US = 20000
set multiplot title sprintf("LIFO slot with K < N blockers (B = 20 ms every 25 ms, 1 victim per block)\n{/*0.8 %s; %s}", NOTE, MODEL_NOTE)
set xrange [0.4:ncase + 0.6]
set xtics () 
do for [c = 1:ncase] {
	set xtics add (sprintf("N = %d, K = %d", CN[c], CK[c]) c)
}
set xlabel "workers N, blockers K"
set logscale y
set format y "10^{%L}"
unset key
array M[2] = ["victim_p50_us", "probe_p99_us"]
array T[2] = ["victim wake-to-poll delay p50", "probe lateness p99"]
array Y[2] = ["victim delay p50 (µs, log)", "probe lateness p99 (µs, log)"]
do for [j = 1:2] {
	m = M[j]
	eval PANEL(1, j, 1, 2)
	set title T[j]
	set ylabel Y[j]
	set yrange [1:*]
	# the model: with the LIFO slot the victim (and the probe, when its
	# timer fires on the blocker's worker) waits the block, B; otherwise
	# a free worker takes it (the probe's floor, per runtime)
	plot B_US with lines ls 11, \
	     for [r = 1:2] (j == 2 ? m_fl(r) : NaN) with lines ls 8 + r, \
	     for [s = 1:6] data(where(s)) \
		using (casex(column("workers"), column("blockers")) + xoff(s)):(fl(med(m))):(fl(lo(m))):(fl(hi(m))) \
		with yerrorbars lc rgb s_col(s) lw 1.5 pt s_pt(s) ps 1
}
eval KEY_STRIP
plot for [s = 1:6] 2 with points lc rgb s_col(s) pt s_pt(s) ps 1 title s_title6(s), \
	2 with lines ls 11 title "model, LIFO slot: B", \
	for [r = 1:2] 2 with lines ls 8 + r title (r == 1 ? "model, no LIFO: C rt floor" : "model, no LIFO: Tokio floor")
unset multiplot
