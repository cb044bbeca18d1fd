# exercises: sed s///: g, nth occurrence, &, \1 groups, -E, other delimiters, escaped newline
# status: 0
# gnu: same
sed 's/fox/cat/' notes.txt | head -2
sed 's/fox/cat/g' notes.txt | sed -n 2p
sed 's/e/E/2' notes.txt | head -1
sed 's/[0-9][0-9]*/<&>/g' notes.txt | grep numbers
sed 's/\([a-z]*\) \([a-z]*\)/\2 \1/' notes.txt | tail -1
sed -E 's/^([0-9-]+)T([0-9:]+)Z/\2 on \1/' app.log | head -3
sed 's|/var/log|/tmp/log|' app.conf | grep file
sed 's/ *= */=/' app.conf | grep '^[a-z_]*=' | head -4
echo "a.b.c" | sed 's/\./\//g'
echo "one two" | sed 's/ /\
/'
