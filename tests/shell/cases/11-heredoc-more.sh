# exercises: two here-documents on one line, here-doc into a loop, a function, a file
# status: 0
# gnu: same
paste_two() { cat; cat <&3; }
paste_two <<A 3<<B
from A
A
from B
B
while read -r k v; do
    echo "$v=$k"
done <<EOF
one 1
two 2
three 3
EOF
show() { sed 's/^/> /'; }
show <<EOF
quoted by a function
EOF
cat > made.txt <<'EOF'
written by a here-doc
EOF
cat made.txt
wc -l < made.txt
