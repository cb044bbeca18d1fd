# exercises: grep -r -n -l -L -c over a source tree, results sorted
# status: 0
# gnu: same
grep -rn TODO project | sort
echo "files with TODO:"
grep -rl TODO project | sort
echo "files without TODO:"
grep -rL TODO project | sort
echo "counts:"
grep -rc import project/src project/tests | sort
echo "defs: $(grep -r '^def ' project | wc -l)"
grep -rh '#include' project | sort | uniq -c
grep -rnw items project/src | sort
