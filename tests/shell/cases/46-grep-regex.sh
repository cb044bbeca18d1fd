# exercises: grep -E alternation and repetition, BRE anchors and classes, -F with regex characters, -o
# status: 0
# gnu: same
grep -E '\[(auth|cache)\]' app.log | grep -E 'ERROR|WARN'
grep -E '^2024-03-12T10:[0-2][0-9]' app.log | wc -l
grep '^[[:space:]]*#' app.conf
grep -c '^$' app.conf
grep -E '[0-9]{4}' notes.txt
grep -F '[db]' app.log | wc -l
grep -F '.*' notes.txt || echo "no literal .* in notes.txt"
grep -o 'user=[a-z]*' app.log | sort | uniq -c
grep -oE '"(GET|POST) [^ ]+' access.log | sort -u | head -5
grep 'x\{2,\}' notes.txt || echo "no xx"
grep -E 'fo+x' notes.txt
