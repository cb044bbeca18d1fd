# exercises: a realistic CSV report: filter by region with a function, top-N with sort, a grand total check
# status: 0
# gnu: same
region_total() {
    awk -F, -v r="$1" 'NR > 1 && $2 == r {s += $4 * $5} END {printf "%.2f\n", s}' sales.csv
}
for r in $(cut -d, -f2 sales.csv | sed 1d | sort -u); do
    printf '%-6s %9s\n' "$r" "$(region_total "$r")"
done > regions.txt
cat regions.txt
sum=$(awk '{s += $2} END {printf "%.2f", s}' regions.txt)
all=$(awk -F, 'NR > 1 {s += $4 * $5} END {printf "%.2f", s}' sales.csv)
[ "$sum" = "$all" ] && echo "regions add up to $all"
echo "top 3 sales:"
sed 1d sales.csv | awk -F, '{printf "%.2f,%s\n", $4 * $5, $0}' | sort -t, -k1,1nr | head -3 | cut -d, -f2-
echo "months with a gadget sale: $(grep gadget sales.csv | cut -c1-7 | sort -u | tr '\n' ' ')"
