# exercises: read: fields with IFS, the rest in the last variable, -r, missing final newline
# status: 0
# gnu: same
IFS=, read -r date region product units price < sales.csv
echo "header: $date|$region|$product|$units|$price"
sed -n 2,4p sales.csv | while IFS=, read -r d r p u pr; do
    echo "$r sold $u $p at $pr on $d"
done
echo "a b c d e" | { read -r one two rest; echo "[$one] [$two] [$rest]"; }
echo "only" | { read -r a b; echo "[$a] [$b]"; }
printf 'back\\slash\n' | { read -r raw; echo "raw: $raw"; }
printf 'back\\slash\n' | { read cooked; echo "cooked: $cooked"; }
printf 'no newline' | { read -r last; echo "status $? [$last]"; }
printf 'x\ny\n' | { read -r a; read -r b; read -r c; echo "third read: $? [$a$b$c]"; }
printf '  padded  \n' | { read -r p; echo "[$p]"; }
printf '  padded  \n' | { IFS= read -r p; echo "[$p]"; }
