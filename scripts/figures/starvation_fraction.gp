# starvation_fraction.gp - the probe versus the blocking fraction B/P with
# every worker blocking (K = N = 2, B = 5 ms): lateness p50 and p99, and the
# probe's wake-ups per second (the capacity left to it).
W = 1150
H = 430
load dir . "/common.gp"

# figures.sh passes Bf and Nf (the block length and worker count of the CSV)
Bv = Bf + 0
Nv = Nf + 0
# the aligned model (all N workers block together B of every P = B / x ms),
# per runtime r; and independent blockers (all blocked (B/P)^N of the time),
# with the C runtime's floor
fr_model(j, x, r) = j == 1 ? m_q(0.5, Bv, Bv / x, r, m_dl(r) * 1000) : \
	j == 2 ? m_q(0.99, Bv, Bv / x, r, m_fl(r)) : m_wakes(Bv, Bv / x, r)
fr_indep(x) = x ** Nv > 0.01 ? Bv * 1000 : m_fl(1)

set multiplot title sprintf("Executor starvation versus blocking fraction B/P (K = N = %s workers, B = %s ms)\n{/*0.8 %s; %s}", Nf, Bf, NOTE, MODEL_NOTE)
set samples 400
set xlabel "blocking fraction B/P (time blocked / period)"
set xrange [0:1.05]
set xtics 0.2
unset key
array M[3] = ["probe_p50_us", "probe_p99_us", "probe_per_s"]
array T[3] = ["probe lateness p50", "probe lateness p99", "probe wake-ups per second"]
array Y[3] = ["lateness p50 (µs, log)", "lateness p99 (µs, log)", "wake-ups/s (1 ms sleep loop)"]
do for [j = 1:3] {
	eval PANEL(1, j, 1, 3)
	m = M[j]
	set title T[j]
	set ylabel Y[j]
	if (j < 3) {
		set logscale y
		set format y "10^{%L}"
		set yrange [1:*]
	} else {
		unset logscale y
		set format y "%g"
		set yrange [0:*]
	}
	plot for [r = 1:2] [0.03:1] fr_model(j, x, r) with lines ls 8 + r, \
	     [0.03:1] (j == 2 ? fr_indep(x) : NaN) with lines ls 11, \
	     for [i = 1:4] data(sprintf("runtime=%s fixed=%d", s_rt(i), s_fixed(i))) \
		using "fraction":(fl(med(m))) with linespoints ls i, \
	     for [i = 1:4] data(sprintf("runtime=%s fixed=%d", s_rt(i), s_fixed(i))) \
		using "fraction":(fl(med(m))):(fl(lo(m))):(fl(hi(m))) with yerrorbars ls i + 4
}
eval KEY_STRIP
plot for [i = 1:4] 2 with linespoints ls i title s_title(i), \
	for [r = 1:2] 2 with lines ls 8 + r title (r == 1 ? "aligned model, C rt" : "aligned model, Tokio"), \
	2 with lines ls 11 title "independent blockers (p99)"
unset multiplot
