# exercises: tr: ranges, classes, -d, -s, -c, newlines to spaces, rot13
# status: 0
# gnu: same
echo "Hello, World" | tr 'a-z' 'A-Z'
echo "Hello, World" | tr '[:upper:]' '[:lower:]'
echo "phone: 555-0100 ext. 42" | tr -d '0-9'
echo "phone: 555-0100 ext. 42" | tr -cd '0-9'; echo
echo "too    many     spaces" | tr -s ' '
echo "aabbccdd" | tr -s 'a-c'
head -3 project/items.txt | tr '\n' ' '; echo
echo "Uryyb, jbeyq" | tr 'A-Za-z' 'N-ZA-Mn-za-m'
tr ';' '\t' < project/items.txt | head -2
echo "a,b;c:d" | tr ',;:' '   '
echo "keep-only_letters 123!" | tr -c '[:alpha:]\n' '.'
echo "tabs	and spaces" | tr '[:space:]' '_'; echo
