# exercises: IFS=: read over a passwd-like file, IFS restored, empty fields, read of the last field with separators
# status: 0
# gnu: same
cat > users.txt <<'EOF'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1::/usr/sbin:/usr/sbin/nologin
alice:x:1000:1000:Alice Liddell,,,:/home/alice:/bin/sh
bob:x:1001:1001:Bob:/home/bob:/bin/false
EOF
while IFS=: read -r user _ uid gid gecos home shell; do
    [ "$uid" -ge 1000 ] || continue
    echo "$user uid=$uid home=$home shell=${shell##*/} name=${gecos%%,*}"
done < users.txt
IFS=: read -r a b rest < users.txt
echo "rest keeps separators: $rest"
while IFS=: read -r user _ _ _ gecos _; do
    [ -z "$gecos" ] && echo "$user has no gecos"
done < users.txt
printf 'x y\n' | { read -r a b; echo "default IFS after: [$a][$b]"; }
