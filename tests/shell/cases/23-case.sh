# exercises: case with literal, glob, alternative and default patterns; quoted patterns
# status: 0
# gnu: same
kind() {
    case $1 in
        *.py) echo "$1: python" ;;
        *.[ch]) echo "$1: C" ;;
        *.md|*.txt) echo "$1: text" ;;
        Makefile) echo "$1: make" ;;
        [A-Z]*) echo "$1: capitalised" ;;
        "") echo "(empty)" ;;
        *) echo "$1: other" ;;
    esac
}
for f in main.py parser.h parser.c README.md items.txt Makefile Other thing ""; do kind "$f"; done
star='*'
case "a*b" in a"$star"b) echo "quoted star is literal" ;; esac
case "axb" in a"$star"b) echo wrong ;; a${star}b) echo "unquoted star is a glob" ;; esac
case x in
    y) echo no ;;
esac
echo "no match: $?"
case 42 in [0-9]|[0-9][0-9]) echo "one or two digits" ;; esac
case "--verbose" in --*) echo long option ;; -*) echo short ;; esac
