# exercises: cut -d -f (ranges, lists, open ranges), -c, -s, tabs as the default delimiter
# status: 0
# gnu: same
cut -d, -f1,3 sales.csv | head -3
cut -d, -f2- sales.csv | head -2
cut -d, -f-2 sales.csv | tail -1
cut -c1-10 app.log | sort -u | head -3
cut -c12-19 app.log | head -2
printf 'a\tb\tc\nno tabs here\n' > t.tsv
cut -f2 t.tsv
cut -s -f2 t.tsv
cut -d' ' -f1,2 notes.txt | head -2
awk '{print $1}' access.log | cut -d. -f1-2 | sort | uniq -c
