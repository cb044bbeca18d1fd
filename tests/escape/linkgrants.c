// The host's symlinks to the outside may not be carried into another
// grant: run with --dir data:/data --dir other:/other (both writable).
// data/ holds the host-made links host_abs (-> /etc/passwd), host_rel
// (-> ../outside/secret) and host_dir (-> ../outside). Within /data they
// may move (they are the user's, and an absolute one means the same at
// any depth), but moved into /other, alone or inside a directory, each
// would become a link out of a grant that never held one: refused with
// EPERM, as a new link or a second name for them is (found by make
// fuzz-hostcall: an absolute one could be moved). run.sh checks on the
// host that no link in other/ leads out. Exit 0 if all went as expected.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "want.h"

int main(void)
{
    want("host_abs into /other", rename("/data/host_abs", "/other/abs"),
         EPERM);
    want("host_rel into /other", rename("/data/host_rel", "/other/rel"),
         EPERM);
    want("host_dir into /other", rename("/data/host_dir", "/other/dir"),
         EPERM);
    want("hard link of host_abs in /other", link("/data/host_abs",
         "/other/abs2"), EPERM);
    /* within /data they move; a directory holding them does not leave */
    want("mkdir box", mkdir("/data/box", 0755), 0);
    want("host_abs into box", rename("/data/host_abs", "/data/box/abs"), 0);
    want("box into /other", rename("/data/box", "/other/box"), EPERM);
    want("box deeper in /data", rename("/data/box", "/data/sub/box"), 0);
    want("sub/box/abs back up", rename("/data/sub/box/abs", "/data/abs"), 0);
    /* what stays inside moves freely */
    want("mkdir ok", mkdir("/data/ok", 0755), 0);
    want("a file", close(open("/data/ok/f", O_CREAT | O_WRONLY, 0644)), 0);
    want("ok/l -> f", symlink("f", "/data/ok/l"), 0);
    want("ok/up -> ../ok/f", symlink("../ok/f", "/data/ok/up"), 0);
    want("ok into /other", rename("/data/ok", "/other/ok"), 0);
    want("ok/up into /other's top", rename("/other/ok/up", "/other/up"),
         EPERM);
    struct stat st;
    want("/other/ok/up reads ok/f", stat("/other/ok/up", &st), 0);
    return bad;
}
