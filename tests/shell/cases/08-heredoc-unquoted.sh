# exercises: here-documents with expansion: variables, $(...), backticks, escapes
# status: 0
# gnu: same
name=world
n=3
cat <<EOF
Hello, $name!
${name}s: $((n * 2))
today is not $(echo printed)
tick: `echo backtick`
escaped: \$name \`x\` \\ done
single 'quotes' and "double" stay
EOF
cat <<END | tr a-z A-Z
piped $name
END
