# exercises: ? and [...] globs: ranges, negation [!...], classes
# status: 0
# gnu: same
mkdir g && cd g || exit 1
touch a1 a2 a3 b1 b22 c.txt C.txt .hidden x-y _z
echo a?
echo ?1
echo [ab]*
echo [!ab]*
echo [a-c]?
echo *[0-9]
echo [[:upper:]]*
echo *[[:digit:]][[:digit:]]
echo ??
echo [x]-*
echo [-_]* *[-]*
