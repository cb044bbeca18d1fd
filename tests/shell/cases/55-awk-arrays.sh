# exercises: awk associative arrays: counting, in, delete, multiple keys with SUBSEP, sorted output
# status: 0
# gnu: same
awk '{gsub(/[][]/, "", $3); n[$3]++; lv[$2 SUBSEP $3]++}
     END {
        for (c in n) print "component", c, n[c]
        for (k in lv) { split(k, p, SUBSEP); if (p[1] == "ERROR") print "errors in", p[2], lv[k] }
     }' app.log | sort
awk -F, 'NR > 1 {seen[$3]} END {if ("gizmo" in seen) print "gizmo sold"; if (!("sprocket2" in seen)) print "no sprocket2"}' sales.csv
awk -F, 'NR > 1 {r[$2]++} END {delete r["east"]; for (k in r) print k; print length(r) " left"}' sales.csv 2>/dev/null | sort
awk '!seen[$1]++ {print $1}' access.log
