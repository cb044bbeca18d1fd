# exercises: a glob that matches nothing stays literal; quoted globs; set -f
# status: 0
# gnu: same
echo *.nothing
echo "*.log" '*.log'
g='*.log'
echo $g
echo "$g"
set -f
echo *.log $g
set +f
echo no-such-dir/* ?.zzz
for f in *.missing; do echo "loop sees: $f"; done
[ -e "*.missing" ] || echo "and it does not exist"
