# budget.gp - the cooperative budget (128 ready awaits per poll) on and off:
# K greedy tasks drain an always-ready channel for B ms every 25 ms, with
# the budget (default), without it (--no-budget) and without it but with a
# hand-written yield every 128 items (--no-budget --fixed), for each (K, B)
# case in the CSV: probe p99, victim delay p50, ready receives per poll.
W = 1150
TOP = 140
H = 500
load dir . "/common.gp"

# x position of a case (K, B): its order of appearance, plus a small offset
# per series so that the six bars of a case do not overlap.
ncase = 0
array CK[20]
array CB[20]
stats data("runtime=rt fixed=0 budget=1") using (ncase = ncase + 1, CK[ncase] = column("blockers"), CB[ncase] = column("block_ms")) nooutput
if (ncase == 0) {
	# a Tokio-only sweep (the C demo predates the flags)
	stats data("runtime=tokio fixed=0 budget=1") using (ncase = ncase + 1, CK[ncase] = column("blockers"), CB[ncase] = column("block_ms")) nooutput
}
casex(k, b) = sum [c = 1:ncase] ((CK[c] == k && CB[c] == b) ? c : 0)
# series s = 1..6: rt budget, rt no-budget, rt fixed, tokio ...
s_rt6(s) = s <= 3 ? "rt" : "tokio"
s_where(s) = sprintf("runtime=%s ", s_rt6(s)) . word("fixed=0_budget=1 fixed=0_budget=0 fixed=1_budget=0", (s - 1) % 3 + 1)
where(s) = system(sprintf("echo '%s' | tr _ ' '", s_where(s)))
s_pt(s) = word("7 9 4", (s - 1) % 3 + 1) + 0
s_col(s) = s <= 3 ? RT_COLOR : TOKIO_COLOR
s_var(v) = v == 1 ? " (budget)" : v == 2 ? " --no-budget" : " --no-budget --fixed"
s_title6(s) = (s <= 3 ? "C rt" : "Tokio") . s_var((s - 1) % 3 + 1)
xoff(s) = (s - 3.5) * 0.08
# the model (docs/models.md): with the budget (or the hand-written yield)
# polls end after 128 receives and the probe keeps its floor; without it a
# drain is one B ms poll and the window model applies (P = 25 ms)
bd_nobudget(c, r) = m_q(0.99, CB[c], 25, r, m_fl(r))

set multiplot title sprintf("Cooperative budget: K greedy tasks drain an always-ready channel B ms every 25 ms (2 workers)\n{/*0.8 %s; %s}", NOTE, MODEL_NOTE)
set xrange [0.4:ncase + 0.6]
set xtics font ",9"
set xtics ()
do for [c = 1:ncase] {
	set xtics add (sprintf("K=%d B=%d", CK[c], CB[c]) c)
}
set xlabel "greedy tasks K, drain length B (ms)"
set logscale y
set format y "10^{%L}"
unset key
array M[3] = ["probe_p99_us", "victim_p50_us", "recv_per_poll"]
array T[3] = ["probe lateness p99", "victim wake-to-poll delay p50", "ready receives per poll (greedy tasks)"]
array Y[3] = ["probe lateness p99 (µs, log)", "victim delay p50 (µs, log)", "receives per poll (log)"]
do for [j = 1:3] {
	m = M[j]
	eval PANEL(1, j, 1, 3)
	set title T[j]
	set ylabel Y[j]
	set yrange [1:*]
	# model marks: a short dotted segment per case and runtime
	plot for [r = 1:2] for [c = 1:ncase] '+' using (c - 0.35 + 0.35 * (r - 1) + $0 * 0.3 / 9):( \
		j == 1 ? bd_nobudget(c, r) : j == 2 ? CB[c] * 1000 : 1 / 0) every ::0::9 with lines ls 8 + r, \
	     for [r = 1:2] (j == 1 ? m_fl(r) : NaN) with lines ls 8 + r, \
	     (j == 3 ? 128 : NaN) with lines ls 11, \
	     for [s = 1:6] data(where(s)) \
		using (casex(column("blockers"), column("block_ms")) + xoff(s)):(fl(med(m))):(fl(lo(m))):(fl(hi(m))) \
		with yerrorbars lc rgb s_col(s) lw 1.5 pt s_pt(s) ps 1
}
eval KEY_STRIP
plot for [s = 1:6] 2 with points lc rgb s_col(s) pt s_pt(s) ps 1 title s_title6(s), \
	for [r = 1:2] 2 with lines ls 8 + r title (r == 1 ? "model, C rt" : "model, Tokio"), \
	2 with lines ls 11 title "budget: 128"
unset multiplot
