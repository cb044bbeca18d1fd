/* file.h: whole-file reads. Not installed.
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

#endif
