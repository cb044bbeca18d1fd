"""loop.py: a pure-Python loop benchmark for the CPython guest.

Integer arithmetic, a small function call, list indexing and a dict
counter in an interpreted loop; no C helpers doing the work. Prints
"loop CHECKSUM" (64-bit hex), the same on every runtime.

    python3 bench/py/loop.py [N]      N iterations (default 300000)
"""
import sys

MASK = 0xFFFFFFFFFFFFFFFF


def step(x):
    # xorshift64, kept to 64 bits
    x ^= (x << 13) & MASK
    x ^= x >> 7
    x ^= (x << 17) & MASK
    return x


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300000
    table = [0] * 256
    counts = {}
    x = 0x9E3779B97F4A7C15
    acc = 0
    for i in range(n):
        x = step(x)
        b = x & 255
        table[b] += 1
        k = b % 37
        counts[k] = counts.get(k, 0) + 1
        if x & 1:
            acc = (acc * 31 + b + i) & MASK
        else:
            acc ^= table[(b + i) & 255] << (i % 48)
    h = acc
    for k in sorted(counts):
        h = (h * 1099511628211 + k * 65537 + counts[k]) & MASK
    for v in table:
        h = (h ^ v) * 0x100000001B3 & MASK
    print(f"loop {h:016x}")


main()
