# exercises: while and until loops, counters, loop status, while read from a file
# status: 0
# gnu: same
i=0
while [ $i -lt 4 ]; do echo "while $i"; i=$((i + 1)); done
until [ $i -eq 0 ]; do i=$((i - 1)); printf 'until %s\n' "$i"; done
n=0
while read -r line; do
    case $line in \#*|'') continue ;; esac
    n=$((n + 1))
done < app.conf
echo "settings and sections: $n"
while false; do :; done
echo "status after a loop that never ran: $?"
k=1
while :; do k=$((k * 2)); [ $k -gt 100 ] && break; done
echo "k=$k"
