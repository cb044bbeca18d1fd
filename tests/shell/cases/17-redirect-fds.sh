# exercises: 2>&1 and its order, >&2, 2>/dev/null, exec 3>file, 3>&-, exec <file
# status: 0
# gnu: same
err() { echo "to stderr" >&2; echo "to stdout"; }
err 2>&1
err 2>/dev/null
err 2>err.txt >out.txt
echo "err.txt: $(cat err.txt) / out.txt: $(cat out.txt)"
err 2>&1 >/dev/null | sed 's/^/piped: /'
{ err 2>&1 1>&3 | sed "s/^/only err: /"; } 3>fd3-swap.txt; cat fd3-swap.txt
exec 3>fd3.txt
echo "via fd 3" >&3
echo "again" >&3
exec 3>&-
cat fd3.txt
(echo closed >&3) 2>/dev/null || echo "fd 3 is closed"
exec 4<fd3.txt
read -r first <&4
read -r second <&4
exec 4<&-
echo "$first / $second"
exec 5>&1
echo "dup of stdout" >&5
