# exercises: sort -t, -k with numeric and reverse keys, -u, -s; cut columns
# status: 0
# gnu: same
sed 1d sales.csv > body.csv
echo "largest 5 sales by units:"
sort -t, -k4,4nr -k1,1 body.csv | head -5
echo "regions:"
cut -d, -f2 body.csv | sort -u
echo "products by price then name:"
cut -d, -f3,5 body.csv | sort -u | sort -t, -k2,2n -k1,1
echo "per month, stable by region:"
cut -c1-7,11- body.csv | sort -s -t, -k2,2 | head -6
echo "last in reverse date order: $(sort -r body.csv | tail -1)"
