# observer_overhead.gp - what observing costs a context-switch-heavy
# workload (scripts/bench-observer.sh -u LIST, docs/bench-observer.md): the
# workload's CPU per round trip over bare, by its bare switch rate, for
# observe, observe attached to another (idle) process, runqlat and
# offcputime.
W = 900
H = 560
TOP = 110
load dir . "/common.gp"

tools = "observe observe-other runqlat offcputime"
t_title(i) = i == 1 ? "observe" : i == 2 ? "observe, attached to another (idle) process" : \
	i == 3 ? "runqlat (libbpf-tools)" : "offcputime (libbpf-tools)"
t_col(i) = word("#c0392b #e39b8f #1f5fa8 #555555", i)
t_pt(i) = word("7 6 5 9", i) + 0

set multiplot title sprintf("What observing costs a ping-pong workload pinned to one CPU, by its switch rate\n{/*0.8 %s}", NOTE)
eval KEY_STRIP
plot for [i = 1:4] 2 with linespoints lc rgb t_col(i) pt t_pt(i) lw 2 title t_title(i)
eval PANEL(1, 1, 1, 1)
set border; set tics; set grid
unset key
set logscale x
set xrange [10000:600000]
set xtics (10000, 20000, 50000, 100000, 200000, 500000)
set format x "%.0s%c"
set xlabel "bare workload's context switches/s (log)"
set ylabel "workload CPU per round trip over bare (%)"
set yrange [0:*]
plot for [i = 1:4] data(sprintf("tool=%s", word(tools, i))) \
	using 4:6:5:7 with yerrorbars lc rgb t_col(i) pt t_pt(i) notitle, \
     for [i = 1:4] data(sprintf("tool=%s", word(tools, i))) \
	using 4:6 with lines lc rgb t_col(i) lw 2 notitle
unset multiplot
