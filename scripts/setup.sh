#!/bin/bash
# setup.sh: install what wasmbox builds and tests with, on Debian 12.
# Idempotent: does nothing (not even `apt-get update`) when everything is
# already installed. Run as root, or as a user with sudo.
# `scripts/setup.sh numpy` adds the opt-in numpy guest's build tools.
set -euo pipefail

PACKAGES=(
    build-essential make        # gcc 12, the default build
    libcmocka-dev               # unit tests
    libjansson-dev              # JSON: spectest, sessions, MCP, HTTP API
    libyaml-dev                 # policy files
    libmicrohttpd-dev           # MCP Streamable HTTP and `wasmbox serve`
    libseccomp-dev              # the OS lock-down of `wasmbox run` (seccomp)
    libxxhash-dev               # snapshot checksums (XXH3)
    libcurl4-openssl-dev openssl   # outbound HTTP(S) for guests (src/net/); test CA
    curl jq                     # tests/http drives `wasmbox serve`; reports
    wrk                         # bench/http_load.sh (not part of make check)
    clang-14 lld-14             # `make fuzz`, wasm32 test programs
    llvm-19-dev                 # the native tier (src/native/, LLVM 19 C API)
    libclang-rt-14-dev          # libFuzzer and sanitizer runtimes (TSan too)
    iproute2                    # ip: loopback in tests/tsan's network namespace
    wasi-libc libclang-rt-14-dev-wasm32   # WASI test programs
    wabt                        # wat2wasm, for editing test modules
    python3                     # tests/modules/gen_hostile.py
    python3-yaml                # scripts/check-deploy.py (deploy/kubernetes)
    time                        # /usr/bin/time: peak RSS in hostile tests
    dash busybox                # tests/shell: the native reference of the
                                # shell corpus (dash + busybox's applets)
    # guest runtimes (make guests, scripts/guests/)
    llvm-14                     # llvm-ar, llvm-ranlib for the wasm32 builds
    binaryen                    # wasm-opt: Asyncify for the Lua guest
    tcl                         # tclsh: generates SQLite's amalgamation
    patch xz-utils              # applying our patches, unpacking sources
)
# `scripts/setup.sh numpy`: also what the opt-in numpy guest needs (make
# guests-numpy, scripts/guests/numpy.sh): Cython for numpy.random (numpy.sh
# checks for Debian 12's 0.29.32), setuptools for numpy's setup.py, libc++
# for its C++ sources. Not part of the default set (nor of CI) until the
# numpy image is part of `make guests`.
if [ "${1:-}" = numpy ]; then
    PACKAGES+=(cython3 python3-setuptools libc++-14-dev-wasm32 libc++abi-14-dev-wasm32)
fi
# npm (QuickJS sources via npm pack): Debian's, unless a Node.js with npm
# is already installed (another Node.js package conflicts with Debian's npm).
command -v npm >/dev/null || PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
            grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
SUDO=()
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null; then
        SUDO=(sudo)
    elif [ ${#missing[@]} -ne 0 ]; then
        echo "setup: need root (or sudo) to install: ${missing[*]}" >&2
        exit 1
    fi
fi
# Guest sources come from Debian source packages: make sure a deb-src entry
# mirrors the configured deb entries (does nothing when one exists).
"${SUDO[@]}" bash "$(dirname "$0")/guests/add-deb-src.sh"

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all ${#PACKAGES[@]} packages already installed"
    exit 0
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update
"${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
