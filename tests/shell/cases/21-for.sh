# exercises: for over words, globs, $(...), positional params; break, continue, break 2
# status: 0
# gnu: same
for w in alpha beta "gamma delta"; do echo "[$w]"; done
for f in project/src/*; do echo "${f##*/}"; done
for n in $(seq 1 10); do
    [ $((n % 3)) -eq 0 ] && continue
    [ "$n" -gt 8 ] && break
    printf '%s ' "$n"
done
echo
for i in 1 2 3; do
    for j in a b c; do
        [ "$j" = c ] && continue 2
        [ "$i" = 3 ] && break 2
        printf '%s%s ' "$i" "$j"
    done
done
echo
set -- x y z
for p; do printf '%s.' "$p"; done
echo
for empty in; do echo never; done
echo "done: ${w}"
