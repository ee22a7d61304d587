# model.awk - the models' predictions for one series of a figure, read from
# models.csv (scripts/models.sh), so that a figure draws exactly what
# docs/models.md tabulates instead of computing the model a second time.
#	awk -F, -v shape=S -v metric=M -v runtime=R -v variant=broken \
#	    -v pat='^N=2 .* B=20 ' -v x=K -f model.awk models.csv
# Prints "x,y" then one line per matching row: the value of parameter x
# (from the `parameters` column, "N=2 K=1 B=20 P=25") and the prediction,
# sorted by x.  No models.csv, or no row: only the header (no line drawn).
BEGIN { print "x,y" }
$1 == shape && $3 == runtime && $4 == variant && $6 == metric && $5 ~ pat {
	n = split($5, kv, " ")
	for (i = 1; i <= n; i++)
		if (index(kv[i], x "=") == 1)
			pts[substr(kv[i], length(x) + 2) + 0] = $7
}
END {
	m = 0
	for (k in pts)
		xs[++m] = k + 0
	for (i = 2; i <= m; i++)
		for (j = i; j > 1 && xs[j - 1] > xs[j]; j--) { t = xs[j]; xs[j] = xs[j - 1]; xs[j - 1] = t }
	for (i = 1; i <= m; i++)
		print xs[i] "," pts[xs[i]]
}
