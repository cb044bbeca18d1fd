# exercises: ls: names sorted in C order, several arguments, -r -a -A -d -p -F -1, ls of a file, missing names
# status: 0
# gnu: differs: ls of a missing name exits with 1 in busybox, 2 in GNU
mkdir l && cd l || exit 1
mkdir Zdir adir
touch b a C _u .dot
ln -s a alink
ls
echo "--"
ls -r
echo "--"
ls -A
echo "--"
ls -p | tr '\n' ' '; echo
ls -F | tr '\n' ' '; echo
ls -d adir Zdir
ls a b
ls adir
echo "empty dir listed: $(ls adir | wc -l)"
ls missing 2>/dev/null; echo "missing: $?"
ls -1 ../project/src
ls ../project/src ../project/include
