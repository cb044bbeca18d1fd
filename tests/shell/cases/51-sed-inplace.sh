# exercises: sed -i on a copy: edit in place, several expressions, delete lines; the original is unchanged
# status: 0
# gnu: same
cp app.conf edit.conf
sed -i 's/^port = 8080/port = 9090/' edit.conf
sed -i -e '/^#/d' -e '/^ *#/d' -e '/^$/d' edit.conf
sed -i '/^\[cache\]/,/^backend/s/enabled = false/enabled = true/' edit.conf
cat edit.conf
echo "--"
diff app.conf edit.conf > /dev/null; echo "differs: $?"
grep -c '^#' app.conf edit.conf
ls edit.conf*
cp project/src/util.py u.py
sed -i.bak 's/    /\t/g' u.py
ls u.py*
cmp -s u.py.bak project/src/util.py && echo "backup is the original"
grep -c "$(printf '\t')" u.py
