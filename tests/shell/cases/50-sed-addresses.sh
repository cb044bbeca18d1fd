# exercises: sed addresses: N, N,M, $, /re/, /re/,/re/, !, -n with p, d, q, =
# status: 0
# gnu: same
sed -n 3p app.conf
sed -n '2,4p' sales.csv
sed -n '$p' sales.csv
sed -n '/^\[database\]/,/^\[/p' app.conf
sed '/^#/d; /^$/d' app.conf | head -5
sed -n '/^\[cache\]/,/^$/!d; /=/p' app.conf
sed 3q notes.txt
sed -n '/ERROR/=' app.log | head -3
sed '1!d' sales.csv
sed -n '10,$p' app.conf | wc -l
sed -n '/widget/{p;q;}' sales.csv
