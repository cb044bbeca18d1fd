# exercises: ${x:-w} ${x-w} ${x:=w} ${x:+w} ${x:?msg} on set, empty and unset
# status: 0
# gnu: same
unset u
e=""
s=set
echo "1 [${u:-dflt}] [${e:-dflt}] [${s:-dflt}]"
echo "2 [${u-dflt}] [${e-dflt}] [${s-dflt}]"
echo "3 [${u:+alt}] [${e:+alt}] [${s:+alt}]"
echo "4 [${u+alt}] [${e+alt}] [${s+alt}]"
echo "5 [${u:=assigned}] now u=[$u]"
echo "6 [${e=kept}] e=[$e] [${e:=filled}] e=[$e]"
(echo "${nope:?is required}") 2>/dev/null
echo "7 status $?"
(: "${s:?never}") && echo "8 set passes"
name=${HOME:+has-home}
echo "9 $name"
echo "10 ${u:-$(echo from-subst)} ${undefined:-"quoted  words"}"
