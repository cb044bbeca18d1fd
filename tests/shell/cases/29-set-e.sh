# exercises: set -e ends the script at a failing simple command, with its status
# status: 3
# gnu: same
set -e
echo start
true
v=$(echo ok); echo "assignment ok: $v"
sh -c 'exit 0'
echo "before the failure"
sh -c 'exit 3'
echo "never printed"
