# exercises: sed -e chains, a/i/c text, y///, hold space (tac with 1!G;h;$!d), N to join lines
# status: 0
# gnu: same
sed -e 's/north/NORTH/' -e 's/south/SOUTH/' sales.csv | sed -n '2,5p'
sed '2i\
inserted before line 2' project/items.txt | head -4
sed '/^hinge/a\
appended after hinge' project/items.txt | tail -3
sed '/^nut/c\
nut;0;0.00' project/items.txt | sed -n 3p
echo "hello world" | sed 'y/abcdefghijklmnopqrstuvwxyz/ABCDEFGHIJKLMNOPQRSTUVWXYZ/'
sed '1!G;h;$!d' project/items.txt
sed 'N;s/\n/ + /' project/items.txt
sed = project/items.txt | sed 'N;s/\n/: /' | tail -2
sed -n 'h;n;G;p' project/items.txt
