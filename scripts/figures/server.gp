# server.gp - demo_server (top row) and tokio_server (bottom row) versus
# offered rate, one line per injected block length B (figures.sh passes Bs),
# --fixed dashed in the same colour: server timeout rate, latency p99 and
# p99.9.  A runtime without rows in the CSV (an older, C-only sweep) leaves
# its row empty.
nb = words(Bs)
W = 1150
H = 800
load dir . "/common.gp"

# one colour per block length, the same in every figure of this sweep
bcolv(b) = b == 0 ? "#7f7f7f" : b <= 5 ? "#2ca02c" : b <= 10 ? "#ff7f0e" : b <= 20 ? "#c0392b" : "#8e44ad"
bcol(k) = bcolv(word(Bs, k) + 0)
# B = 0 (no block) has no --fixed run
k1 = word(Bs, 1) eq "0" ? 2 : 1

# The window model (docs/models.md): a run of secs at R requests/s has
# floor(R secs / E) blocks; each times out the requests that arrive in the
# first B - T ms of the block, and the blocking request itself when B >= T.
sr_model(R, b, E, T) = 100.0 * floor(R * secs / E + 1e-9) * ((b >= T) + R * mx(b - T, 0) / 1000.0) / (R * secs)

set multiplot title sprintf("Server: requests under open-loop load, every 200th handler blocks B ms (2 workers, server timeout 10 ms)\n{/*0.8 %s; dotted: the model, timeouts (docs/models.md)}", NOTE)
set xlabel "offered rate (requests/s, log)"
set logscale x
set autoscale y
stats data("") using "rate" nooutput
set xrange [STATS_min / 1.4:STATS_max * 1.4]
set xtics ()
do for [r = 1:words(Rs)] {
	set xtics add (word(Rs, r) word(Rs, r) + 0)
}
unset key
array M[3] = ["server_timeout_pct", "lat_p99_us", "lat_p999_us"]
array T[3] = ["server timeouts", "client latency p99", "client latency p99.9"]
array Y[3] = ["requests timed out (%)", "latency p99 (µs, log)", "latency p99.9 (µs, log)"]
array RT[2] = ["rt", "tokio"]
array RTNAME[2] = ["C rt", "Tokio"]
do for [i = 1:2] {
rt = RT[i]
do for [j = 1:3] {
	m = M[j]
	eval PANEL(i, j, 2, 3)
	set title RTNAME[i] . ": " . T[j]
	set ylabel Y[j]
	# percentages on a linear axis keep their zeros; latencies are clamped
	yv(v) = j == 1 ? v : fl(v)
	if (j == 1) {
		unset logscale y
		set format y "%g"
		set yrange [0:*]
	} else {
		set logscale y
		set format y "10^{%L}"
		set yrange [*:*]
	}
	# broken solid, --fixed dashed, one colour per block length; bars first
	plot for [k = 1:nb] data(sprintf("block_ms=%s runtime=%s fixed=0", word(Bs, k), rt)) \
		using "rate":(j == 1 ? mn(sr_model(column("rate"), word(Bs, k) + 0, column("block_every"), column("timeout_ms")), 100) : NaN) \
		with lines lc rgb bcol(k) lw 2.5 dt (1, 3), \
	     for [k = 1:nb] data(sprintf("block_ms=%s runtime=%s", word(Bs, k), rt)) \
		using "rate":(yv(med(m))):(yv(lo(m))):(yv(hi(m))) with yerrorbars lc rgb bcol(k) lw 1 pt 7 ps 0.5, \
	     for [k = 1:nb] data(sprintf("block_ms=%s runtime=%s fixed=0", word(Bs, k), rt)) \
		using "rate":(yv(med(m))) with linespoints lc rgb bcol(k) lw 2 dt 1 pt 7 ps 0.7, \
	     for [k = k1:nb] data(sprintf("block_ms=%s runtime=%s fixed=1", word(Bs, k), rt)) \
		using "rate":(yv(med(m))) with linespoints lc rgb bcol(k) lw 2 dt 2 pt 4 ps 0.8
}
}
eval KEY_STRIP
plot for [k = 1:nb] 2 with linespoints lc rgb bcol(k) lw 2 pt 7 title sprintf("B = %s ms", word(Bs, k)), \
	2 with linespoints lc rgb "#444444" lw 2 dt 2 pt 4 title "--fixed (dashed, same colour)", \
	2 with lines lc rgb "#444444" lw 2.5 dt (1, 3) title "model (dotted, same colour)"
unset multiplot
