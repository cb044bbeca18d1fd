# shellcheck shell=bash
# scripts/guests/pypkgs.sh: the Python guest's own site-packages and time
# zone database. Sourced by python.sh (after common.sh), which calls
# install_pypkgs while it assembles the image.
#
# What is shipped (README.md, "Python packages", says why these):
#   - PYPKGS, Debian's binary packages of pure-Python libraries, pinned in
#     SOURCES (kind debbin): their dist-packages directory (code and
#     metadata, so importlib.metadata sees them) goes into the image's
#     lib/python3.11/site-packages, seen by the guest at
#     /lib/python3.11/site-packages: read-only, on sys.path (site adds it).
#     A package holding any compiled file is refused: WASI has no dynamic
#     loading, so it could not work.
#   - Debian's tzdata zone files, into lib/zoneinfo (/lib/zoneinfo in the
#     guest): pytz cannot import without them, and the stdlib's zoneinfo
#     and dateutil.tz find zones there (patches/pypkgs-01-*.patch,
#     patches/pyimage-03-tzpath.patch). Without right/ (leap-second
#     variants of every zone: half the size, seldom wanted), posix/ (links
#     to the same zones) and localtime (a link to the host's /etc); links
#     are copied as files, so the image holds no symlink.
#   - python/_wasmbox_site.py (the import hooks: --packages on sys.path,
#     clear errors for C-extension packages and pip), the .pth line in
#     site-packages that installs them at start-up and python/
#     sitecustomize.py, which puts --packages on sys.path after that.

PYPKGS="python3-dateutil python3-tz python3-tabulate python3-attr
        python3-packaging python3-six python3-typing-extensions"

# deb_unpack NAME DIR: the files of pinned binary package NAME into DIR
# (no maintainer scripts run).
deb_unpack() {
    local deb
    deb=$(fetch "$1")
    mkdir -p "$2"
    dpkg-deb -x "$deb" "$2" || die "$1: cannot unpack $(basename "$deb")"
}

# install_pypkgs LIB: LIB is the image's lib/ (python3.11/ inside it).
install_pypkgs() {
    local lib=$1 sp=$1/python3.11/site-packages tmp p bad
    command -v dpkg-deb >/dev/null || die "dpkg-deb not found"
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/wbpypkgs.XXXXXX")
    for p in $PYPKGS; do
        deb_unpack "$p" "$tmp/$p"
        bad=$(find "$tmp/$p" -name '*.so' -o -name '*.so.*' | head -n 1)
        [ -z "$bad" ] || die "$p: not pure Python (${bad#"$tmp/"})"
        cp -r "$tmp/$p/usr/lib/python3/dist-packages/." "$sp/"
    done
    # type stubs are for type checkers on the host, not for imports
    find "$sp" -name '*.pyi' -delete
    apply_patches "$sp" pypkgs
    deb_unpack tzdata "$tmp/tzdata"
    local z=$tmp/tzdata/usr/share/zoneinfo
    [ -f "$z/tzdata.zi" ] || die "tzdata: no usr/share/zoneinfo/tzdata.zi"
    rm -rf "$z/right" "$z/posix" "$z/localtime"
    cp -rL "$z" "$lib/zoneinfo"
    rm -rf "$tmp"
    cp "$WB_GUESTS_DIR/python/_wasmbox_site.py" \
       "$WB_GUESTS_DIR/python/sitecustomize.py" "$lib/python3.11/"
    echo 'import _wasmbox_site' > "$sp/wasmbox-site.pth"
    log "python: site-packages $(size_of "$sp"), zoneinfo $(size_of "$lib/zoneinfo")"
}
