# exercises: the classic pipeline: tr | sort | uniq -c | sort -rn | head on a text
# status: 0
# gnu: same
cat notes.txt project/README.md project/docs/usage.md |
    tr 'A-Z' 'a-z' | tr -cs 'a-z' '\n' | grep -v '^$' |
    sort | uniq -c | sort -rn | head -8
