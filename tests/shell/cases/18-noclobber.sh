# exercises: set -C refuses > onto an existing file; >| overrides; >> still appends
# status: 0
# gnu: same
echo original > f.txt
set -C
(echo clobber > f.txt) 2>/dev/null && echo wrote || echo "refused"
echo appended >> f.txt
echo forced >| f.txt
cat f.txt
echo new > g.txt && echo "new file ok"
set +C
echo back > f.txt
cat f.txt
