# exercises: ${#x} ${x%pat} ${x%%pat} ${x#pat} ${x##pat} with glob patterns
# status: 0
# gnu: same
path=/srv/data/archive.tar.gz
echo "${#path}"
echo "${path%.*}"
echo "${path%%.*}"
echo "${path#*/}"
echo "${path##*/}"
echo "${path%/*}"
f=report-2024-03.csv
echo "${f%-*}" "${f#*-}" "${f##*-}" "${f%%-*}"
echo "${f%.[ct]sv}" "${f%[0-9][0-9].csv}"
v=aaa-bbb
echo "${v#a}" "${v##a*}" "${v%b}" "${v%%-*}"
pat='*.gz'
echo "${path%$pat}" "${path%"$pat"}"
empty=
echo "[${#empty}] [${empty%x}]"
n=12345
echo "${#n} $((${#n} * 2))"
