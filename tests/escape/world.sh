# tests/escape/world.sh: the world an escape case runs in (sourced by
# tests/escape/run.sh, serve.sh and tests/shell/escape.sh, not run).
# Under $1: data/ (the grant) next to outside/ (must stay untouched) and
# ro/ (a read-only grant), with host-made symlinks pointing out of the
# grant. The three directories must exist and be empty.
escape_world() {
    mkdir -p "$1/data/sub" "$1/ro/dir"
    echo "top secret" > "$1/outside/secret"
    echo "hello" > "$1/ro/file.txt"
    echo "inner" > "$1/ro/dir/inner.txt"
    ln -s /etc/passwd "$1/data/host_abs"
    ln -s ../outside/secret "$1/data/host_rel"
    ln -s ../outside "$1/data/host_dir"
    ln -s ../../outside/secret "$1/data/sub/host_deep"
}

# escape_fingerprint DIR: everything outside the writable grant, plus
# /etc/passwd
escape_fingerprint() {
    (cd "$1" && find outside ro -printf '%p %y %s %m %T@\n' | sort &&
        find outside ro -type f -exec sha256sum {} + | sort) 2>/dev/null
    sha256sum /etc/passwd
}

# links_outside DIR: symlinks below DIR, other than the host-made host_*,
# that a host tool following them would resolve outside DIR.
links_outside() {
    local top l r
    top=$(realpath "$1")
    find "$top" -type l ! -name 'host_*' | while read -r l; do
        r=$(realpath -m "$l" 2>/dev/null) || continue      # loops lead nowhere
        case $r in "$top" | "$top"/*) ;; *) echo "$l -> $(readlink "$l")" ;; esac
    done
}
