# exercises: grep exit statuses 0/1/2, -q, -s, several files and -h/-H prefixes
# status: 0
# gnu: same
grep -q gadget sales.csv; echo "found: $?"
grep -q unicorn sales.csv; echo "not found: $?"
grep -s gadget no-such-file; echo "missing file, -s: $?"
grep -qs gadget no-such-file sales.csv; echo "-q with a match in one file: $?"
grep -c bolt project/items.txt project/README.md
grep -h -c bolt project/items.txt project/README.md
grep -H washer project/items.txt
grep -E '(' sales.csv 2>/dev/null; echo "bad regex: $?"
echo x | grep -q x && echo "stdin match"
