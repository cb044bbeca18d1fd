# exercises: export and env, VAR=value prefixes, unset, readonly, env -u, variables reaching children
# status: 0
# gnu: same
plain=local
export EXPORTED=visible
sh -c 'echo "child sees [${plain-}] [${EXPORTED-}]"'
GREETING=hi sh -c 'echo "prefix: $GREETING"'
echo "after prefix: [${GREETING-unset}]"
env ONE=1 TWO=2 sh -c 'echo "env: $ONE $TWO"'
env | grep '^EXPORTED='
env -u EXPORTED sh -c 'echo "env -u: [${EXPORTED-unset}]"'
unset EXPORTED
sh -c 'echo "after unset: [${EXPORTED-unset}]"'
readonly FIXED=constant
(FIXED=changed) 2>/dev/null || echo "readonly refused: $FIXED"
export LIST="a b c"
sh -c 'set -- $LIST; echo "$# words"'
x=1 y=2
echo "$x$y"
