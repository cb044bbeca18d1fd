# exercises: printf (dash's builtin): %s %d %i %x %o %c %u %f %e %g %b %%, widths, precision, reuse
# status: 0
# gnu: same
printf '%s|%5s|%-5s|%.2s|\n' abc abc abc abc
printf '%d|%5d|%-5d|%05d|%+d|%d\n' 42 42 42 42 42 -7
printf '%x %X %o %#x %#o %u\n' 255 255 8 255 8 3000000000
printf '%c%c%c\n' hello world !
printf '%.2f|%8.3f|%-8.1f|%e|%g|%g\n' 3.14159 2.5 1.25 12345.678 0.0001 100000000
printf '%b\n' 'tab\there' 'oct\0101'
printf '%s\n' one two three
printf '%s=%s\n' a 1 b 2 c
printf 'no args: [%s] [%d]\n'
printf '%%literal\n'
printf '%d\n' 0x10 010 "'A"
printf '\101\102\n'
printf '%s' "no newline"; echo
printf -- '-dash first\n'
printf '%3$s %1$s %2$s\n' a b c 2>/dev/null || echo "no positional args in printf"
