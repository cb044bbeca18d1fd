# exercises: access log: bytes sent per path and per agent, awk sums and printf, sort -k
# status: 0
# gnu: same
awk '{bytes[$7] += $10; hits[$7]++}
     END {for (p in bytes) printf "%-20s %6d hits %8d bytes %8.1f avg\n", p, hits[p], bytes[p], bytes[p] / hits[p]}' access.log |
    sort -k4,4nr -k1,1
echo "total: $(awk '{s += $10} END {print s}' access.log) bytes"
awk -F'"' '{print $6}' access.log | sort | uniq -c | sort -k1,1nr -k2
