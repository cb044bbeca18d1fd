# exercises: du -a and du -s (names only: block counts depend on the file system), stat -c %s %n %F
# status: 0
# gnu: same
du -a project | awk '{print $2}' | sort
du -s project | awk '{print $2}'
du project | wc -l
stat -c '%s %n' sales.csv app.log project/items.txt
stat -c '%F' sales.csv project
ln -s sales.csv link
stat -c '%F %N' link
stat -L -c '%F %s' link
: > empty
stat -c '%s %F' empty
