# exercises: wc -l -w -c on stdin and on files, several files with a total
# status: 0
# gnu: differs: wc: busybox pads every count to nine columns once it prints more than one number or file, GNU to the width of the largest count (seven columns on stdin)
wc -l < sales.csv
wc -w < notes.txt
wc -c < app.conf
wc -l sales.csv
wc sales.csv
wc -l sales.csv app.log access.log
printf 'no newline' | wc -l
printf 'one\ntwo\n' | wc -lwc
echo "$(wc -l < project/src/parser.c) lines of C"
cat project/src/*.py | wc -l
