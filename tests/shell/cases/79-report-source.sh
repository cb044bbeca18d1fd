# exercises: a source-tree survey: lines per extension, longest file, functions defined, TODO list with file:line
# status: 0
# gnu: same
echo "lines by extension:"
find project -type f -name '*.*' | sort | while read -r f; do
    echo "${f##*.} $(wc -l < "$f")"
done | awk '{n[$1] += $2; c[$1]++} END {for (e in n) printf "  %-3s %2d files %4d lines\n", e, c[e], n[e]}' | sort
find project -type f | xargs wc -l | grep -v ' total$' | sort -k1,1nr -k2 | head -1 |
    awk '{print "longest:", $2, "(" $1 " lines)"}'
echo "python functions:"
find project -name '*.py' | sort | xargs grep -h 'def ' | sed 's/^ *def \([a-z_]*\).*/  \1/'
echo "C functions:"
grep -h '^[a-z].*(.*)$' project/src/parser.c | sed 's/(.*//; s/.* \**//' | sed 's/^/  /'
echo "TODO:"
grep -rn 'TODO:' project | sort -t: -k1,1 -k2,2n |
    awk -F: '{where = $1 ":" $2; sub(/^.*TODO: */, ""); print "  " where ": " $0}'
