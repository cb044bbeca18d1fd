# exercises: awk as a config parser: sections, comments, trimming, -v, END lookups, exit status
# status: 0
# gnu: same
awk '
    /^[[:space:]]*(#|$)/ { next }
    /^\[.*\]$/ { section = substr($0, 2, length($0) - 2); next }
    { key = $0; sub(/[[:space:]]*=.*/, "", key); val = $0; sub(/^[^=]*=[[:space:]]*/, "", val)
      print section "." key "=" val }
' app.conf > flat.txt
cat flat.txt
port=$(awk -F= -v want=server.port '$1 == want {print $2}' flat.txt)
echo "port is $port"
awk -F= '$1 == "cache.ttl" {exit ($2 > 100 ? 0 : 1)}' flat.txt && echo "ttl above 100"
awk 'END {exit 3}' flat.txt; echo "awk exit: $?"
