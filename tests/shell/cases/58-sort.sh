# exercises: sort: lexical vs -n, -r, -u, -k with -t, -f, -b, -c, -o into the input file
# status: 0
# gnu: same
printf '10\n9\n100\n-3\n2.5\n007\n' > nums
sort nums | tr '\n' ' '; echo
sort -n nums | tr '\n' ' '; echo
sort -rn nums | tr '\n' ' '; echo
printf 'banana\nApple\ncherry\napple\nBanana\n' > fruit
sort fruit | tr '\n' ' '; echo
sort -f fruit | tr '\n' ' '; echo
sort -u -f fruit | wc -l
sort -t';' -k3,3n project/items.txt | sed 1d | head -3
sort -t';' -k2,2nr project/items.txt | head -2
printf '  b\n a\nc\n' | sort -b | tr '\n' '|'; echo
sort -c nums 2>/dev/null; echo "nums sorted? $?"
sort -n nums | sort -c -n && echo "now sorted"
sort -o fruit fruit; head -1 fruit
sort -k2 <<EOF
x 3 b
y 1 c
z 2 a
EOF
