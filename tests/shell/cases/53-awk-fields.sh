# exercises: awk fields: $1, $NF, NF, -F, OFS, assigning $0 and fields, NR, FNR over two files
# status: 0
# gnu: same
awk '{print NF, $1, $NF}' notes.txt
awk -F';' 'NR > 1 {print $1 ":" $2}' project/items.txt
awk -F';' -v OFS=' | ' 'NR > 1 {$1 = toupper($1); print}' project/items.txt
awk -F';' 'BEGIN {OFS = ";"} NR > 1 {$3 = $3 * 2; print}' project/items.txt
awk 'FNR == 1 {print FILENAME, NR, FNR}' sales.csv app.conf notes.txt
awk '{ $0 = "rebuilt " $0; print $1, NF }' notes.txt | head -2
awk -F= '/=/ {gsub(/ /, "", $1); gsub(/^ +/, "", $2); print $1 "=" $2}' app.conf | head -4
awk 'NR % 20 == 0 {print NR": "$3}' app.log
echo "a:b:c" | awk -F: '{$2 = ""; print; print NF}'
