# suspension_all.gp - every peer holds the async lock across its own S ms
# await (--all-hold): total throughput and peer wait p50 against the number
# of peers M, one column per S (figures.sh passes Ss), with the model's rows
# from models.csv.
ns = words(Ss)
W = ns > 1 ? 500 * ns + 20 : 1000
H = 2 * 290 + 120
load dir . "/common.gp"

set multiplot title sprintf("Suspension convoy, every peer holding the lock across its own S ms await (2 workers, think 1 ms)\n{/*0.8 %s; %s}", NOTE, MODEL_NOTE)
set xlabel "peers M"
set xrange [0.5:8.5]
set xtics 1
set logscale y
set format y "10^{%L}"
unset key
array M[2] = ["peer_acq_per_s", "peer_wait_p50_us"]
array T[2] = ["throughput, all peers", "peer wait p50"]
array Y[2] = ["acquisitions/s (log)", "wait p50 (µs, log; < 0.1 shown at 0.1)"]
do for [j = 1:2] {
	m = M[j]
	do for [si = 1:ns] {
		S = word(Ss, si)
		eval PANEL(j, si, 2, ns)
		set title sprintf("%s, S = %s ms", T[j], S)
		set ylabel Y[j]
		set yrange [*:*]
		plot for [i = 1:4] data(sprintf("await_ms=%s runtime=%s fixed=%d", S, s_rt(i), s_fixed(i))) \
			using "peers":(fl(med(m))) with linespoints ls i, \
		     for [i = 1:4] data(sprintf("await_ms=%s runtime=%s fixed=%d", S, s_rt(i), s_fixed(i))) \
			using "peers":(fl(med(m))):(fl(lo(m))):(fl(hi(m))) with yerrorbars ls i + 4, \
		     for [r = 1:2] mdata("suspension_all", m, s_rt(2 * r), sprintf(" S=%s ", S), "M") using "x":"y" with lines ls 8 + r
	}
}
eval KEY_STRIP
plot for [i = 1:4] 2 with linespoints ls i title s_title(i), \
	for [r = 1:2] 2 with lines ls 8 + r title (r == 1 ? "model, C rt" : "model, Tokio")
unset multiplot
