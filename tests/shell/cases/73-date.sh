# exercises: date -d with fixed dates and epochs, -u, + formats (%Y %m %d %H %M %S %j %a %A %b %B %s %u %Z)
# status: 0
# gnu: same
date -u -d '2024-02-29 13:45:06' '+%Y-%m-%d %H:%M:%S'
date -u -d '2024-02-29 13:45:06' '+%a %A %b %B %j %u %w'
date -u -d '2024-02-29 13:45:06' '+%s'
date -u -d @0 '+%Y-%m-%d %H:%M:%S %Z'
date -u -d @1700000000
date -u -d '2023-12-31 23:59:59' '+%y %e %I %p %%'
date -u -d '1999-01-01' '+%D %T'
for d in 2024-01-01 2024-07-04 2024-12-25; do
    echo "$d is a $(date -u -d "$d" +%A)"
done
start=$(date -u -d '2024-03-01 00:00:00' +%s)
end=$(date -u -d '2024-03-31 00:00:00' +%s)
echo "days: $(( (end - start) / 86400 ))"
