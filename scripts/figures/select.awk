# select.awk - the header and the rows of a sweep CSV that match every
# name=value condition in `where` (space separated), so that gnuplot plots
# each series from its own rows and its lines are not broken by the others.
#	awk -F, -v where='runtime=rt fixed=0' -f select.awk FILE.csv
# A condition on a column the file lacks is an error (a typo would otherwise
# plot nothing, silently).
# Equal as strings, or as numbers when both are numbers ("0.50" = "0.5").
function same(a, b,   num) {
	num = "^-?[0-9]+([.][0-9]*)?$"
	return a == b || (a ~ num && b ~ num && a + 0 == b + 0)
}

BEGIN {
	n = split(where, conds, " ")
	for (i = 1; i <= n; i++) {
		eq = index(conds[i], "=")
		cname[i] = substr(conds[i], 1, eq - 1)
		cval[i] = substr(conds[i], eq + 1)
	}
}
NR == 1 {
	for (c = 1; c <= NF; c++)
		col[$c] = c
	for (i = 1; i <= n; i++)
		if (!(cname[i] in col)) {
			printf "select.awk: %s: no column '%s'\n", FILENAME, cname[i] > "/dev/stderr"
			bad = 1
			exit 1
		}
	print
	next
}
{
	for (i = 1; i <= n; i++)
		if (!same($col[cname[i]], cval[i]))
			next
	print
}
END { if (bad) exit 1 }
