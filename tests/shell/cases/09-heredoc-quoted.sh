# exercises: quoted here-document delimiters ('EOF', "EOF", \EOF): no expansion
# status: 0
# gnu: same
x=expanded
cat <<'EOF'
$x ${x} $(echo no) `echo no` \n \\
EOF
cat <<"EOF"
still $x literal
EOF
cat <<\EOF
backslash form $x
EOF
cat <<EOF
but here $x
EOF
