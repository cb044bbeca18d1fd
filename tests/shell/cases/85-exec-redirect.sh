# exercises: exec >file inside a subshell, exec 2>, restoring stdout through a saved fd, logging to two places
# status: 0
# gnu: same
(
    exec > inner.log
    echo "this goes to inner.log"
    echo "and this"
)
echo "inner.log has $(wc -l < inner.log) lines"
exec 3>&1
exec > redirected.txt
echo "into redirected.txt"
exec 1>&3 3>&-
echo "stdout is back"
cat redirected.txt
(
    exec 2> errors.log
    echo "an error" >&2
    sh -c 'echo "from a child" >&2'
    echo "done"
)
echo "errors.log lines: $(wc -l < errors.log)"
log() { echo "$*" | tee -a run.log; }
log step one; log step two
wc -l < run.log
