# exercises: * skips dot files, .* matches them; explicit dot paths
# status: 0
# gnu: same
mkdir d && cd d || exit 1
touch .env .profile visible other
echo *
echo .[!.]*
echo .p*
ls
ls -a
ls -A
