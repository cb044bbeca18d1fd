# exercises: cp onto an existing file, cp into a directory, cp -p keeps times, mv onto a file, mv a directory
# status: 0
# gnu: same
echo new > src.txt
echo old > dst.txt
cp src.txt dst.txt; cat dst.txt
mkdir dir
cp src.txt sales.csv dir/
ls dir
touch -d '2020-02-02 02:02:02' stamped
cp -p stamped kept; cp stamped fresh
[ "$(stat -c %Y kept)" = "$(stat -c %Y stamped)" ] && echo "cp -p kept the time"
echo moved > m1; echo target > m2
mv m1 m2; cat m2; ls m1 2>/dev/null || echo "m1 is gone"
mv dir renamed; ls renamed | wc -l
mkdir into; mv renamed into/; ls into
cp -r into into2; find into2 | sort
mv src.txt into/renamed/src-moved.txt; ls into/renamed
ln dst.txt hard; echo appended >> hard; cat dst.txt
stat -c '%h %n' dst.txt
