# exercises: find -name -type -path, ! and -o, -maxdepth, -mindepth; output sorted
# status: 0
# gnu: same
find project -name '*.py' | sort
find project -type d | sort
find . -maxdepth 1 -type f | sort
find project -type f ! -name '*.py' ! -name '*.md' | sort
find project \( -name '*.c' -o -name '*.h' \) | sort
find project -path '*src*' -type f | sort
find project -mindepth 2 -type f -name '*.md' | sort
find project -name Makefile
find . -name 'nothing*'; echo "no match: $?"
find project -type f | wc -l
