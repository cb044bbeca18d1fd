# exercises: shift in a loop over arguments, shift N, key=value argument parsing
# status: 0
# gnu: same
set -- name=widget --count 3 -x --ratio=0.5 file1 file2
while [ $# -gt 0 ]; do
    case $1 in
        --count) count=$2; shift 2 ;;
        --*=*) key=${1%%=*}; echo "long ${key#--} = ${1#*=}"; shift ;;
        -x) echo "flag x"; shift ;;
        *=*) echo "assign ${1%%=*} := ${1#*=}"; shift ;;
        *) break ;;
    esac
done
echo "count=$count remaining=$# first=$1"
shift $#
echo "after shift \$#: $#"
