# exercises: a conversion task: CSV to a Markdown table with awk, numbering with awk NR, sed to escape, column sums
# status: 0
# gnu: same
head -6 sales.csv | awk -F, '
    NR == 1 { h = "| #"; s = "|--"; for (i = 1; i <= NF; i++) { h = h " | " $i; s = s "|---" } print h " |"; print s "|"; next }
    { row = "| " NR - 1; for (i = 1; i <= NF; i++) row = row " | " $i; print row " |" }'
echo
sed -n '2,4p' sales.csv | sed 's/,/ | /g; s/^/| /; s/$/ |/'
echo
awk -F, 'NR > 1 { u += $4 } END { print "| total units | " u " |" }' sales.csv
sed -n 's/\t/<TAB>/gp' notes.txt
