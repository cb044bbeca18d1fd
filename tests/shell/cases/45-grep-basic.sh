# exercises: grep -n -c -v -i -w -x -m on a log with timestamps
# status: 0
# gnu: same
grep -n ERROR app.log
echo "errors: $(grep -c ERROR app.log), not INFO: $(grep -vc INFO app.log)"
grep -i 'LOGIN FAILED' app.log
grep -w db app.log | head -3
grep -x 'the end' notes.txt
grep -m 2 WARN app.log
grep -n -i fox notes.txt
grep -v -e INFO -e DEBUG -e WARN app.log | wc -l
