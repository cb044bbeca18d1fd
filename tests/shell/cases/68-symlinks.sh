# exercises: ln -s to files and directories, readlink, readlink -f, realpath, test -L, rm of a link, ln -sf
# status: 0
# gnu: same
top=$(pwd -P)
ln -s sales.csv link.csv
ln -s project/src srclink
readlink link.csv; readlink srclink
head -1 link.csv
ls srclink
[ -L link.csv ] && [ ! -L sales.csv ] && echo "only link.csv is a link"
realpath link.csv | sed "s|^$top|TOP|"
readlink -f srclink/main.py | sed "s|^$top|TOP|"
cd srclink && pwd | sed "s|^$top|TOP|" && pwd -P | sed "s|^$top|TOP|" && cd ..
mkdir sub && ln -s ../notes.txt sub/notes && head -1 sub/notes
ln -sf app.log link.csv; readlink link.csv
rm link.csv; ls sales.csv app.log
ls link.csv 2>/dev/null || echo "the link is gone, its targets stay"
ln -s nowhere dangling
[ -e dangling ] || echo "dangling link does not -e"
[ -L dangling ] && echo "but it is -L"
find . -type l | sort
