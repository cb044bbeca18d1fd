# exercises: $(...) and backticks, nesting, trailing newlines stripped, status of $(...)
# status: 0
# gnu: same
n=$(wc -l < sales.csv)
echo "sales lines: $n"
echo "regions: $(cut -d, -f2 sales.csv | sed 1d | sort -u | tr '\n' ' ')"
echo "nested: $(echo "a$(echo "b$(echo c)")")"
echo "backticks: `echo old style` and `echo \`echo inner\``"
trail=$(printf 'x\n\n\n')
echo "[$trail]"
lead=$(printf '\n\nx')
echo "[$lead]"
v=$(false)
echo "status of assignment from false: $?"
v=$(exit 7)
echo "and from exit 7: $?"
words=$(echo "  spaced   out  ")
echo "[$words]" [$words]
files=$(ls project/src)
echo "$files" | wc -l
echo $(echo one; echo two)
