# common.gp - loaded by every figure script after it sets W and H (pixels).
# scripts/figures.sh passes: csv (input), out (output), term ("svg" or "png"),
# sel (select.awk), quick (1: smoke-test data), runs and secs (from the CSV).
#
# One look for every figure: rt red, Tokio blue; the broken variant a solid
# line with filled dots, --fixed a dashed line with open squares; each point
# is the median of the runs, its bar spans min..max.

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
TOP = 110
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
	sprintf("set lmargin at screen 0.02; set rmargin at screen 0.98; set tmargin at screen %g; set bmargin at screen %g; ", 1 - 58.0 / H, 1 - 95.0 / H) . \
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
lo(m) = column(m . "_min")
hi(m) = column(m . "_max")
# Log axes cannot show 0 (a fixed run's wait is 0.0 us): clamp to a floor.
FLOOR = 0.1
fl(v) = v < FLOOR ? FLOOR : v

NOTE = sprintf("each point: median of %s runs of %s s; bars: min-max", runs, secs)
if (quick) {
	NOTE = NOTE . "  --  QUICK smoke-test grid, not results"
}
