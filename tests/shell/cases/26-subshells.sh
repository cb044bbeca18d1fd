# exercises: ( ) isolates variables, cd and exit; { } does not; nested subshells
# status: 0
# gnu: same
x=outer
(x=inner; echo "in subshell: $x")
echo "after: $x"
{ x=grouped; }
echo "after group: $x"
(cd project/src && ls)
ls -d project
(exit 3)
echo "subshell exit: $?"
( (echo deep; (echo deeper; (echo deepest))) )
out=$( (echo a; echo b) | (read -r first; echo "first=$first"; cat) )
echo "$out"
( set -- p q; echo "$#" )
echo "outer args: $#"
(umask 077; echo inner-umask-set)
y=$( (x=sub; echo "$x") ); echo "$y $x"
