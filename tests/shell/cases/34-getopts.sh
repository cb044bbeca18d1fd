# exercises: getopts: flags, options with arguments, grouped flags, --, OPTIND, silent errors
# status: 0
# gnu: same
parse() {
    OPTIND=1
    verbose=0 output=- level=1
    while getopts ":vo:l:" opt; do
        case $opt in
            v) verbose=$((verbose + 1)) ;;
            o) output=$OPTARG ;;
            l) level=$OPTARG ;;
            :) echo "  missing argument for -$OPTARG"; return 2 ;;
            \?) echo "  unknown option -$OPTARG"; return 2 ;;
        esac
    done
    shift $((OPTIND - 1))
    echo "  verbose=$verbose output=$output level=$level rest=[$*]"
}
for args in "-v -o out.txt file1" "-vv -l3 a b" "-o" "-x y" "-- -v" "plain -v" ""; do
    echo "parse $args"
    # shellcheck disable=SC2086
    parse $args || echo "  status $?"
done
