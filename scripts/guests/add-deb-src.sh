#!/bin/bash
# scripts/guests/add-deb-src.sh: make `apt-get source` work (needed by
# `make guests`) by adding deb-src entries that mirror the system's own
# Debian `deb` entries (same URIs, suites, components, keyring), in
# /etc/apt/sources.list.d/wasmbox-src.sources; then `apt-get update`.
# No archive host is named here: everything is copied from the existing
# apt configuration. Idempotent; does nothing if a deb-src entry exists.
# Run as root (scripts/setup.sh calls it).
set -euo pipefail

out=/etc/apt/sources.list.d/wasmbox-src.sources

have_src() {
    grep -qsE '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list \
        /etc/apt/sources.list.d/*.list 2>/dev/null && return 0
    grep -qsE '^Types:.*\bdeb-src\b' /etc/apt/sources.list.d/*.sources 2>/dev/null
}
if have_src; then
    echo "add-deb-src: a deb-src entry already exists"
    exit 0
fi

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

# deb822 stanzas (*.sources) whose Types include "deb" and whose keyring
# or URIs are Debian's: copy them with Types: deb-src.
for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN { RS = ""; FS = "\n" }
         {
             isdeb = 0; debian = 0; off = 0; out = ""
             for (i = 1; i <= NF; i++) {
                 if ($i ~ /^#/) continue
                 if ($i ~ /^Types:/) {
                     n = split(substr($i, 7), t, /[ \t]+/)
                     for (k = 1; k <= n; k++) if (t[k] == "deb") isdeb = 1
                     $i = "Types: deb-src"
                 }
                 if ($i ~ /^URIs:.*\/debian/ || $i ~ /debian-archive-keyring/) debian = 1
                 if ($i ~ /^Enabled:[ \t]*no/) off = 1
                 out = out $i "\n"
             }
             if (isdeb && debian && !off) printf "%s\n", out
         }' "$f" >> "$tmp"
done

# one-line entries (sources.list, *.list): "deb [opts] URI SUITE COMP..."
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1 == "deb" && /\/debian/ {
             opts = ""; i = 2
             if ($2 ~ /^\[/) {
                 while (i <= NF) { opts = opts " " $i; if ($i ~ /\]$/) break; i++ }
                 i++
             }
             uri = $i; suite = $(i + 1); comps = ""
             for (j = i + 2; j <= NF; j++) comps = comps " " $j
             signed = ""
             if (match(opts, /signed-by=[^] ]+/))
                 signed = substr(opts, RSTART + 10, RLENGTH - 10)
             printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents:%s\n", uri, suite, comps
             if (signed != "") printf "Signed-By: %s\n", signed
             printf "\n"
         }' "$f" >> "$tmp"
done

if [ ! -s "$tmp" ]; then
    echo "add-deb-src: no Debian deb entry found to mirror" >&2
    exit 1
fi
install -m 0644 "$tmp" "$out"
echo "add-deb-src: wrote $out"
apt-get update
