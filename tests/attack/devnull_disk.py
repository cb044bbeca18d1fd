# wasmbox python --report R --max-disk 1M devnull_disk.py (grant the
# directory: --dir tests/attack:/app:ro, run /app/devnull_disk.py):
# truncating or allocating /dev/null stores nothing and fails (EINVAL),
# yet the size is charged to the disk budget first: 10 bytes show in
# disk_bytes, and a size past --max-disk ends the run with disk-limit.
import os
try:
    os.truncate("/dev/null", 10)
except OSError as e:
    print("truncate 10:", e)
fd = os.open("/dev/null", os.O_RDWR)
os.ftruncate(fd, 50_000_000)          # ends the run: outcome disk-limit
print("not reached")
