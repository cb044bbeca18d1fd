# exercises: CSV report: monthly units with awk substr, a here-doc header, column formatting
# status: 0
# gnu: same
cat <<EOF
month    units  revenue
-------  -----  --------
EOF
awk -F, 'NR > 1 {m = substr($1, 1, 7); u[m] += $4; r[m] += $4 * $5}
         END {for (m in u) printf "%s  %5d  %8.2f\n", m, u[m], r[m]}' sales.csv | sort
best=$(awk -F, 'NR > 1 {u[$3] += $4} END {for (p in u) print u[p], p}' sales.csv | sort -rn | head -1)
echo "best seller: ${best#* } (${best%% *} units)"
