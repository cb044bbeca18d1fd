# exercises: mkdir -p, touch, cp, cp -r, mv, rm, rm -r, rm -f, rmdir, ls -R, ls -d, ls -1
# status: 0
# gnu: same
mkdir -p build/out/deep
touch build/out/a.o build/out/b.o
cp sales.csv build/
cp -r project build/project-copy
mv build/out/a.o build/out/deep/
mv build/sales.csv build/data.csv
ls -R build | grep -v '^$'
echo "--"
cmp build/data.csv sales.csv && echo "copy is identical"
diff -r project build/project-copy && echo "tree copy is identical"
rm build/out/b.o
rmdir build/out 2>/dev/null || echo "rmdir refuses a non-empty directory"
rm -r build/out
rm -f build/never-there
rmdir build/project-copy 2>/dev/null || rm -r build/project-copy
ls build
mkdir -p build && echo "mkdir -p on an existing directory is fine"
mkdir build 2>/dev/null || echo "mkdir without -p fails: $?"
rm -r build
ls -d build 2>/dev/null || echo "build is gone"
ls -1 project
mkdir -p a/b/c && rmdir -p a/b/c && ls -d a 2>/dev/null || echo "rmdir -p removed the chain"
