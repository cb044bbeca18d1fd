# exercises: word splitting with default and custom IFS, "$@" vs $* vs "$*"
# status: 0
# gnu: same
count() { echo "$# args"; for a; do printf '[%s]' "$a"; done; echo; }
v="  one   two	three  "
count $v
count "$v"
empty=""
count $empty
count "$empty"
IFS=:
p="a:b::c:"
count $p
set -- x "y z" w
count "$@"
count $*
count "$*"
IFS=,
echo "$*"
unset IFS
count $v
line="k1=v1;k2=v2"
IFS=';' ; set -- $line ; unset IFS
count "$@"
