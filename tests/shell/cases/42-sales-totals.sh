# exercises: CSV: awk -F, skipping the header, revenue per region and product, %.2f
# status: 0
# gnu: same
awk -F, 'NR > 1 {rev[$2] += $4 * $5; units[$2] += $4}
         END {for (r in rev) printf "%-6s %5d units %9.2f\n", r, units[r], rev[r]}' sales.csv | sort
echo "--"
awk -F, 'NR > 1 {rev[$3] += $4 * $5} END {for (p in rev) printf "%.2f %s\n", rev[p], p}' sales.csv |
    sort -rn
echo "--"
awk -F, 'NR > 1 {t += $4 * $5; n++} END {printf "%d sales, %.2f total, %.3f mean\n", n, t, t / n}' sales.csv
