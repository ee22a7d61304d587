# starvation_fraction.gp - the probe versus the blocking fraction B/P with
# every worker blocking (K = N = 2, B = 5 ms): lateness p50 and p99, and the
# probe's wake-ups per second (the capacity left to it).
W = 1150
H = 430
load dir . "/common.gp"

set multiplot title sprintf("Executor starvation versus blocking fraction B/P (K = N = 2 workers, B = 5 ms)\n{/*0.8 %s}", NOTE)
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
	plot for [i = 1:4] data(sprintf("runtime=%s fixed=%d", s_rt(i), s_fixed(i))) \
		using "fraction":(fl(med(m))) with linespoints ls i, \
	     for [i = 1:4] data(sprintf("runtime=%s fixed=%d", s_rt(i), s_fixed(i))) \
		using "fraction":(fl(med(m))):(fl(lo(m))):(fl(hi(m))) with yerrorbars ls i + 4
}
eval KEY_STRIP
plot for [i = 1:4] 2 with linespoints ls i title s_title(i)
unset multiplot
