# exercises: subshells and groups inside pipelines, pipelines inside subshells, nested $( ) with pipes
# status: 0
# gnu: same
( echo b; echo a; echo c ) | sort
{ echo header; sort -r project/items.txt | grep -v '^#'; } | head -3
( cd project && find . -name '*.py' | sort ) | sed 's|^\./||'
echo "$(echo "$(seq 3 | tr '\n' +)0" | sed 's/+/ + /g')"
x=$( (seq 5 | (sed 1d | (sed 1d | (sort -rn)))) | head -1)
echo "innermost: $x"
( (echo out; echo err >&2) 2>&1 | sort ) | tr a-z A-Z
count=0
seq 3 | while read -r n; do count=$((count + n)); echo "in loop: $count"; done
echo "after the piped loop: $count"
count=$(seq 3 | { c=0; while read -r n; do c=$((c + n)); done; echo $c; })
echo "through a group: $count"
