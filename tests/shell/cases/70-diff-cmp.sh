# exercises: diff (normal, -u with fixed times, identical), its status; cmp -s and cmp's first difference
# status: 0
# gnu: differs: busybox diff always writes unified diffs, with no times in the headers; GNU diff writes the normal format by default and puts the files' times in -u headers
cp app.conf new.conf
sed -i 's/^port = 8080/port = 9090/; s/^ttl = 300/ttl = 600/; /^rotate/d' new.conf
echo "extra = 1" >> new.conf
touch -d '2024-03-01 12:00:00' app.conf
touch -d '2024-03-02 13:30:00' new.conf
diff app.conf new.conf; echo "diff status: $?"
diff -u app.conf new.conf; echo "diff -u status: $?"
diff app.conf app.conf; echo "same: $?"
diff app.conf missing.conf 2>/dev/null; echo "missing: $?"
cmp -s app.conf new.conf; echo "cmp -s: $?"
cmp app.conf new.conf
cmp sales.csv sales.csv && echo "cmp identical"
printf 'abc' > short; printf 'abcdef' > long
cmp short long 2>/dev/null; echo "cmp EOF: $?"
