# exercises: awk built-ins: length substr index split sprintf toupper tolower gsub sub match; user functions
# status: 0
# gnu: same
awk 'BEGIN {
    s = "Inventory Service"
    print length(s), substr(s, 1, 9), substr(s, 11), index(s, "Serv")
    n = split("2024-03-12", d, "-"); print n, d[1], d[2] + 0, d[3]
    print toupper(s), tolower(s)
    t = "a.b.c"; k = gsub(/\./, "/", t); print t, k
    u = "aaa"; sub(/a/, "b", u); print u
    if (match("order #4521 shipped", /[0-9]+/)) print RSTART, RLENGTH
    printf "%s|%5.1f|%-4s|%03d|%x|%c\n", "x", 3.14159, "ab", 7, 255, 65
    print sprintf("%08.3f", 3.14159)
    print 7 / 2, int(7 / 2), 10 % 3, -7 % 3
    print 1e6, 1000000, 0.1 + 0.2, 100 / 3
}'
awk 'function max(a, b) { return a > b ? a : b }
     function rev(s,   r, i) { for (i = length(s); i > 0; i--) r = r substr(s, i, 1); return r }
     { m = max(m, length($0)) } END { print "longest line:", m; print rev("stressed") }' notes.txt
