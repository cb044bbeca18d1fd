# exercises: find -exec {} \; and {} +, find | xargs, xargs -n, -I, -0 with -print0
# status: 0
# gnu: differs: wc with several files: busybox pads the counts to nine columns, GNU to the width of the largest count
find project -name '*.py' -exec wc -l {} \; | sort -k2
find project -name '*.[ch]' -exec grep -c include {} + | sort
find project -name '*.md' | sort | xargs grep -l TODO
find project -type f | sort | xargs wc -l | tail -1
echo a b c d e | xargs -n 2 echo pair:
printf '%s\n' x y | xargs -I{} echo "item {} done"
mkdir 'with space'
touch 'with space/one file' 'with space/two'
find 'with space' -type f -print0 | xargs -0 ls | sort
printf '1\n2\n3\n' | xargs echo sum:
echo | xargs echo "empty input runs once:"
find project -name '*.py' -exec basename {} .py \; | sort
