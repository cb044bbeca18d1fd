# exercises: > truncates, >> appends, < reads, >/dev/null, redirecting a group
# status: 0
# gnu: same
echo first > out.txt
echo second >> out.txt
cat < out.txt
echo replaced > out.txt
cat out.txt
{ echo one; echo two; } > group.txt
wc -l < group.txt
echo silent > /dev/null
: > empty.txt
wc -c < empty.txt
> also-empty.txt
ls *empty*
cat < group.txt > copy.txt
cmp group.txt copy.txt && echo same
for i in 1 2 3; do echo "line $i"; done > loop.txt
cat loop.txt
