# exercises: basename (with suffix) and dirname on absolute, relative, trailing-slash and bare paths
# status: 0
# gnu: same
for p in /usr/lib/libc.so.6 project/src/main.py project/src/ main.py / . .. //double//slash/ a/b/../c; do
    printf '%-24s base=%-12s dir=%s\n' "$p" "$(basename "$p")" "$(dirname "$p")"
done
basename project/src/parser.c .c
basename parser.c.c .c
basename .c .c
basename project/README.md .txt
for f in project/src/*.py; do echo "$(basename "$f" .py)"; done
