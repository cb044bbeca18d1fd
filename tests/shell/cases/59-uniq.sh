# exercises: uniq: adjacent duplicates only, -c, -d, -u, -i; with sort
# status: 0
# gnu: same
printf 'a\na\nb\na\nc\nc\nc\n' > letters
uniq letters | tr '\n' ' '; echo
sort letters | uniq | tr '\n' ' '; echo
sort letters | uniq -c
sort letters | uniq -d
sort letters | uniq -u
printf 'Alpha\nalpha\nALPHA\nbeta\n' | uniq -i -c
cut -d, -f2 sales.csv | sed 1d | sort | uniq -c | sort -k1,1nr -k2
awk '{print $3}' app.log | sort | uniq -c | sort -k1,1nr -k2 | head -3
