# exercises: command -v, type for builtins, cd -, pwd, :, exec in a subshell, wait, times-free builtins
# status: 0
# gnu: same
command -v cd; command -v echo
command -v ls >/dev/null && echo "ls is on PATH"
command -v no-such-tool >/dev/null || echo "no-such-tool is not"
top=$(pwd)
cd project/src && basename "$(pwd)"
cd - >/dev/null && [ "$(pwd)" = "$top" ] && echo "cd - came back"
cd project; cd ..; [ "$(pwd)" = "$top" ] && echo "cd .. came back"
: this is ignored; echo ": status $?"
(exec echo "exec replaced the subshell"; echo never)
sh -c 'echo from child' &
wait $!; echo "waited: $?"
(exit 4) & wait $!; echo "background status: $?"
alias ll='ls -1' 2>/dev/null; echo "alias ok"
type cd | sed 's/ is .*/ is known/'
