# exercises: a loop over a glob with case on names and sizes, counting with arithmetic, test -s
# status: 0
# gnu: same
py=0 c=0 docs=0 other=0
for f in project/* project/*/*; do
    [ -f "$f" ] || continue
    case ${f##*/} in
        *.py) py=$((py + 1)) ;;
        *.c|*.h) c=$((c + 1)) ;;
        *.md|*.txt) docs=$((docs + 1)) ;;
        *) other=$((other + 1)); echo "other: $f" ;;
    esac
done
echo "python=$py c=$c docs=$docs other=$other"
for f in *; do
    if [ -d "$f" ]; then kind=dir
    elif [ -s "$f" ]; then kind="$(wc -c < "$f" | tr -d ' ') bytes"
    else kind=empty; fi
    echo "$f: $kind"
done
