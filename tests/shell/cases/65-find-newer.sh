# exercises: touch -d with a fixed date, find -newer, test -nt, stat -c %Y, ls -t
# status: 0
# gnu: same
mkdir times && cd times || exit 1
touch -d '2021-05-01 10:00:00' old.txt
touch -d '2022-05-01 10:00:00' ref.txt
touch -d '2023-05-01 10:00:00' new.txt
touch -d '2024-01-01 00:00:00' newest.txt
find . -type f -newer ref.txt | sort
stat -c '%Y %n' old.txt ref.txt new.txt newest.txt
ls -t
ls -tr | head -1
[ newest.txt -nt old.txt ] && echo "newest is newer than old"
touch -r old.txt copy-time.txt
stat -c '%Y' copy-time.txt
date -u -d @"$(stat -c %Y new.txt)" '+%Y-%m-%d %H:%M:%S'
