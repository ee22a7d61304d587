# suspension.gp - the suspension convoy versus the await S held under the
# lock, one column per peer count M (figures.sh passes Ms): total peer
# throughput and peer wait p50.
nm = words(Ms)
W = nm > 2 ? 330 * nm + 20 : 900
H = 2 * 290 + 120
load dir . "/common.gp"

set multiplot title sprintf("Suspension convoy (async lock held across an S ms await, peers think 1 ms, 2 workers)\n{/*0.8 %s; %s}", NOTE, MODEL_NOTE)
set xlabel "await S under the lock (ms, log)"
set logscale xy
set format y "10^{%L}"
set xrange [0.7:80]
set xtics ()
do for [k = 1:words(Ss)] {
	set xtics add (word(Ss, k) word(Ss, k) + 0)
}
set samples 50
unset key
array M[2] = ["peer_acq_per_s", "peer_wait_p50_us"]
array T[2] = ["peer throughput", "peer wait p50"]
array Y[2] = ["acquisitions/s, all peers (log)", "wait p50 (µs, log; < 0.1 shown at 0.1)"]
do for [j = 1:2] {
	m = M[j]
	# stats filters by the current ranges: widen them first
	set autoscale y
	stats data("") using (fl(hi(m))) nooutput
	ymax = 10 ** ceil(log10(STATS_max * 1.5))
	stats data("") using (fl(lo(m))) nooutput
	ymin = 10 ** floor(log10(STATS_min / 1.5))
	do for [mi = 1:nm] {
		mm = word(Ms, mi)
		eval PANEL(j, mi, 2, nm)
		set title sprintf("%s, M = %s peer%s", T[j], mm, mm eq "1" ? "" : "s")
		set ylabel Y[j]
		set yrange [ymin:ymax]
		# the model (docs/models.md), per runtime r: a round lasts S plus
		# the runtime's sleep overshoot delta, a peer's think time (1 ms)
		# 1 + delta; each peer gets the lock once per round when the
		# round is the longer, after waiting the round minus its think
		# time; fixed, once per think time
		rnd(x, r) = x + m_dl(r)
		thk(r) = 1 + m_dl(r)
		sp_model(x, r) = j == 1 ? mm * 1000.0 / mx(rnd(x, r), thk(r)) : fl(mx(rnd(x, r) - thk(r), 0) * 1000)
		sp_fixed(x, r) = j == 1 ? mm * 1000.0 / thk(r) : NaN
		plot for [r = 1:2] sp_model(x, r) with lines ls 8 + r, \
		     for [r = 1:2] sp_fixed(x, r) with lines ls 8 + r, \
		     for [i = 1:4] data(sprintf("peers=%s runtime=%s fixed=%d", mm, s_rt(i), s_fixed(i))) \
			using "await_ms":(fl(med(m))) with linespoints ls i, \
		     for [i = 1:4] data(sprintf("peers=%s runtime=%s fixed=%d", mm, s_rt(i), s_fixed(i))) \
			using "await_ms":(fl(med(m))):(fl(lo(m))):(fl(hi(m))) with yerrorbars ls i + 4
	}
}
eval KEY_STRIP
plot for [i = 1:4] 2 with linespoints ls i title s_title(i), \
	for [r = 1:2] 2 with lines ls 8 + r title (r == 1 ? "model, C rt" : "model, Tokio")
unset multiplot
