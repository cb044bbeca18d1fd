/* file.h: whole-file reads, exclusive names. Not installed.
 *
 * They read to the end of the file, so pipes and /proc files work too
 * (the size from fstat is only a first guess), refuse directories, and
 * stop at `max` bytes: nothing larger is ever allocated. */
#ifndef WB_FILE_H
#define WB_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Read all of fd into a malloc'd buffer, NUL-terminated (*len without
 * the NUL). Returns 0, or an errno: EISDIR, EFBIG (more than max bytes),
 * ENOMEM, or the failing read's. */
int wb_file_read_fd(int fd, size_t max, uint8_t **out, size_t *len);

/* The same for a path (opened O_RDONLY | O_CLOEXEC). */
int wb_file_read(const char *path, size_t max, uint8_t **out, size_t *len);

/* Give the file `tmp` of directory dfd the name `name` too, which must
 * not exist: link(2), which fails with EEXIST when another process made
 * the name first, atomically on NFS as on a local disk. An NFS reply
 * lost and retried also says EEXIST after our own link: then the name
 * is already tmp's inode, and this succeeds. 0, or -1 with errno. */
int wb_file_link_new(int dfd, const char *tmp, const char *name);

#endif
