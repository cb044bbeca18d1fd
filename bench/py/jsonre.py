"""jsonre.py: a json- and regex-heavy benchmark for the CPython guest.

Builds deterministic records, round-trips them through json.dumps and
json.loads, then scans the text with several compiled regular
expressions (findall, sub, finditer with groups, split). Prints
"jsonre CHECKSUM" (64-bit hex), the same on every runtime.

    python3 bench/py/jsonre.py [N]    N rounds (default 14)
"""
import json
import re
import sys
import zlib

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf",
         "hotel", "india", "juliett", "kilo", "lima", "mike", "november"]


def records(seed, count):
    x = seed
    out = []
    for i in range(count):
        x = (x * 6364136223846793005 + 1442695040888963407) & (2 ** 64 - 1)
        w = WORDS[(x >> 33) % len(WORDS)]
        out.append({
            "id": i,
            "name": f"{w}-{(x >> 20) & 0xFFFF:04x}",
            "email": f"{w}.{i}@host{(x >> 40) % 97}.example.org",
            "score": ((x >> 11) % 100000) / 128.0,
            "tags": [WORDS[(x >> s) % len(WORDS)] for s in (3, 17, 29)],
            "when": f"2024-{(x >> 5) % 12 + 1:02d}-{(x >> 9) % 28 + 1:02d}",
            "ok": bool(x & 4),
        })
    return out


EMAIL = re.compile(r"([a-z]+)\.(\d+)@host(\d+)\.example\.org")
DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
NUMBER = re.compile(r"-?\d+\.\d+")
WORD = re.compile(r"\b[a-z]{4,}\b")
SPLIT = re.compile(r"[,:{}\[\]]\s*")


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 14
    crc = 0
    total = 0
    for r in range(n):
        data = records(r + 1, 300)
        text = json.dumps(data, sort_keys=True)
        back = json.loads(text)
        total += len(back) + sum(d["id"] for d in back)
        pretty = json.dumps(back, indent=1)
        for m in EMAIL.finditer(text):
            total += int(m.group(2)) + int(m.group(3)) + len(m.group(1))
        for y, mo, d in DATE.findall(pretty):
            total += int(mo) * 31 + int(d)
        total += len(NUMBER.findall(text))
        words = WORD.findall(text)
        total += len(words)
        swapped = DATE.sub(r"\3/\2/\1", text)
        masked = EMAIL.sub(lambda m: m.group(1).upper() + "@x", swapped)
        parts = SPLIT.split(masked)
        total += len(parts)
        crc = zlib.crc32(masked.encode(), crc)
    h = (total << 32 | crc) & 0xFFFFFFFFFFFFFFFF
    print(f"jsonre {h:016x}")


main()
