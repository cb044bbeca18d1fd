# exercises: eval (building commands and variable names), . to source a file made in the work directory
# status: 0
# gnu: same
for i in 1 2 3; do eval "var_$i=\$((i * i))"; done
echo "$var_1 $var_2 $var_3"
name=var_2
eval "echo indirect: \$$name"
cmd='ls project | head -2'
eval "$cmd"
cat > lib.sh <<'EOF'
LIB_VERSION=1.4
shout() { echo "$*" | tr a-z A-Z; }
EOF
. ./lib.sh
echo "lib $LIB_VERSION"
shout sourced function
eval 'set -- "a b" c'; echo "$# [$1]"
eval "false"; echo "eval status: $?"
