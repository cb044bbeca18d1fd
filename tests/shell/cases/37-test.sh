# exercises: test and [: strings, integers, files (-e -f -d -s -L -nt -ot), ! -a -o
# status: 0
# gnu: same
t() { if "$@"; then echo "yes: $*"; else echo "no:  $*"; fi; }
t [ -z "" ]
t [ -n "" ]
t [ abc = abc ]
t [ abc != abd ]
t [ 10 -eq 10 ]
t [ 9 -lt 10 ]
t [ 10 -ge 11 ]
t [ -5 -lt 0 ]
t [ abc \< abd ]
t test -e sales.csv
t test -f project
t test -d project
t test -s sales.csv
: > empty
t test -s empty
ln -s sales.csv link
t test -L link
t test -h sales.csv
touch -d '2020-01-01 00:00:00' old
touch -d '2023-06-15 12:00:00' new
t [ new -nt old ]
t [ new -ot old ]
t [ ! -e missing ]
t [ -f sales.csv -a -d project ]
t [ -f missing -o -d project ]
t [ "(" 1 -eq 1 ")" ]
t [ -r sales.csv ]
t [ x ]
t [ "" ]
[ 1 -eq notanumber ] 2>/dev/null; echo "bad integer: $?"
