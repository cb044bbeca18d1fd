# exercises: tee to one and two files, tee -a, tee in the middle of a pipeline
# status: 0
# gnu: same
grep ERROR app.log | tee errors.txt | wc -l
cat errors.txt | head -2
echo first | tee a.txt b.txt
echo second | tee -a a.txt > /dev/null
cat a.txt b.txt
seq 5 | tee all.txt | awk '{s += $1} END {print "sum", s}'
wc -l < all.txt
echo "into nothing" | tee
