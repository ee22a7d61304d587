# common.gp - loaded by every figure script after it sets W and H (pixels).
# scripts/figures.sh passes: csv (input), out (output), term ("svg" or "png"),
# sel (select.awk), quick (1: smoke-test data), runs and secs (from the CSV),
# ci (1: the CSV has the <metric>_ci_lo/_ci_hi columns).
#
# One look for every figure: rt red, Tokio blue; the broken variant a solid
# line with filled dots, --fixed a dashed line with open squares; each point
# is the median of the runs, its bar the 95 % bootstrap interval of that
# median when the CSV has one (sweeps since issue #15), else min..max.

if (term eq "png") {
	set terminal pngcairo size W, H enhanced font "DejaVu Sans,10" background "white"
} else {
	set terminal svg size W, H dynamic enhanced font "Helvetica,12" background "white"
}
set output out
set datafile separator ","
set datafile columnheaders
set grid lc rgb "#dddddd"
set border lc rgb "#444444"
set key box opaque samplen 4 spacing 1.1 font ",10"

# Multiplot geometry in pixels, without `layout` (which cannot give the key a
# row of its own): a title band of TOP px with the key strip in it, then a
# ROWS x COLS grid of panels, each with room for its title and axis labels.
# (a figure with a long key sets TOP before loading this file)
if (!exists("TOP")) { TOP = 110 }
PANEL_L = 75
PANEL_R = 20
PANEL_T = 34
PANEL_B = 62
pw(cols) = (W - 10.0) / cols
ph(rows) = (H - TOP - 5.0) / rows
PANEL(r, c, rows, cols) = sprintf("set lmargin at screen %g; set rmargin at screen %g; set tmargin at screen %g; set bmargin at screen %g", \
	(10 + (c - 1) * pw(cols) + PANEL_L) / W, (10 + c * pw(cols) - PANEL_R) / W, \
	(H - TOP - (r - 1) * ph(rows) - PANEL_T) / H, (H - TOP - r * ph(rows) + PANEL_B) / H)
# The key strip: eval KEY_STRIP, then plot each series as a constant outside
# the [0:1] y range (nothing drawn but the key).
KEY_STRIP = "unset arrow; unset logscale; unset title; unset xlabel; unset ylabel; " . \
	"unset border; unset tics; unset grid; set xrange [0:1]; set yrange [0:1]; " . \
	sprintf("set lmargin at screen 0.02; set rmargin at screen 0.98; set tmargin at screen %g; set bmargin at screen %g; ", 1 - 58.0 / H, 1 - (TOP - 15.0) / H) . \
	"set key horizontal center center"
set errorbars small

RT_COLOR = "#c0392b"
TOKIO_COLOR = "#1f5fa8"
set style line 1 lc rgb RT_COLOR lw 2 dt 1 pt 7 ps 0.6
set style line 2 lc rgb RT_COLOR lw 2 dt 2 pt 4 ps 0.8
set style line 3 lc rgb TOKIO_COLOR lw 2 dt 1 pt 7 ps 0.6
set style line 4 lc rgb TOKIO_COLOR lw 2 dt 2 pt 4 ps 0.8
# error bars always solid (a dashed bar is hard to read): ls i + 4
set style line 5 lc rgb RT_COLOR lw 1 dt 1 pt 7 ps 0.6
set style line 6 lc rgb RT_COLOR lw 1 dt 1 pt 4 ps 0.8
set style line 7 lc rgb TOKIO_COLOR lw 1 dt 1 pt 7 ps 0.6
set style line 8 lc rgb TOKIO_COLOR lw 1 dt 1 pt 4 ps 0.8

# The four series of a runtime x variant figure, i = 1..4.
s_rt(i) = i <= 2 ? "rt" : "tokio"
s_fixed(i) = (i - 1) % 2
s_title(i) = (i <= 2 ? "C rt" : "Tokio") . (s_fixed(i) ? " --fixed" : "")

# The rows of csv that match `where` ("name=value name=value").
data(where) = sprintf("< awk -F, -v where='%s' -f '%s' '%s'", where, sel, csv)
med(m) = column(m . "_median")
# The bars: lo(m)..hi(m).  A CSV with the CI columns may still have a row
# whose interval is empty (fewer than 3 runs): that row's bar is min..max.
if (!exists("ci")) { ci = 0 }
or_else(v, w) = v == v ? v : w
lo(m) = ci ? or_else(column(m . "_ci_lo"), column(m . "_min")) : column(m . "_min")
hi(m) = ci ? or_else(column(m . "_ci_hi"), column(m . "_max")) : column(m . "_max")
# Log axes cannot show 0 (a fixed run's wait is 0.0 us): clamp to a floor.
FLOOR = 0.1
fl(v) = v < FLOOR ? FLOOR : v

NOTE = sprintf("each point: median of %s runs of %s s; bars: ", runs, secs) . \
	(ci ? "95% bootstrap CI of the median" : sprintf("min-max of %s runs", runs))
if (quick) {
	NOTE = NOTE . "  --  QUICK smoke-test grid, not results"
}

# ---- the models (docs/models.md, scripts/models.sh), drawn dotted ----------
# figures.sh passes the calibration constants (from models.csv); these
# defaults are the values measured on 2026-11-27.
if (!exists("tp_rt")) { tp_rt = 1.0541 }
if (!exists("tp_tokio")) { tp_tokio = 2.1186 }
if (!exists("fl_rt")) { fl_rt = 144.9 }
if (!exists("fl_tokio")) { fl_tokio = 1261.7 }
if (!exists("d0_rt")) { d0_rt = 14.40 }
if (!exists("d0_tokio")) { d0_tokio = 14.01 }
# a model line: the runtime's colour, paler, dotted (ls 9 rt, ls 10 Tokio,
# ls 11 one model for both)
set style line 9 lc rgb "#d9776b" lw 3 dt (1, 2)
set style line 10 lc rgb "#5b91d3" lw 3 dt (1, 2)
set style line 11 lc rgb "#555555" lw 2 dt (1, 3)
mn(a, b) = a < b ? a : b
mx(a, b) = a > b ? a : b
# per runtime, rt = 1, Tokio = 2: the probe's 1 ms sleep cycle (ms), its
# overshoot delta (ms) and its healthy p99 (us)
m_tp(r) = r == 1 ? tp_rt : tp_tokio
m_dl(r) = m_tp(r) - 1
m_fl(r) = r == 1 ? fl_rt : fl_tokio
# The window model: every P ms the probe can be stuck for W ms; the one
# wake-up of the period that falls in the window is late by W + delta - u,
# u uniform in [0, min(tp, W)]; the others are on time (the floor).
m_f(W, P, r) = 1.0 / ((P - W) / m_tp(r) + 1)
m_q(q, W, P, r, fl) = W >= P ? (W + m_dl(r)) * 1000 : \
	(m_f(W, P, r) <= 1 - q ? fl : (W + m_dl(r) - mn(m_tp(r), W) * (1 - q) / m_f(W, P, r)) * 1000)
m_wakes(W, P, r) = W >= P ? 1000.0 / W : ((P - W) / m_tp(r) + 1) * 1000.0 / P
MODEL_NOTE = "dotted: the model (docs/models.md)"
# The rows of models.csv (figures.sh passes its path as `models`) for one
# model line: mdata(shape, metric, runtime, regexp on parameters, x name);
# plot it `using "x":"y"`.  The starvation, workers and all-hold figures
# read their model there; the others compute theirs with the functions
# below, which are models.sh's formulas for those shapes.
if (!exists("models")) { models = "/nonexistent" }
mdata(sh, me, rt, re, x) = sprintf("< awk -F, -v shape='%s' -v metric='%s' -v runtime='%s' -v variant=broken -v pat='%s' -v x='%s' -f '%s/model.awk' '%s' 2>/dev/null", \
	sh, me, rt, re, x, dir, models)
