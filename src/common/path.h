/* path.h: lexical path helpers (no file system access). Not installed. */
#ifndef WB_PATH_H
#define WB_PATH_H

#include <stdbool.h>
#include <stddef.h>

/* dirname(3) without modifying its argument: "a/b" -> "a", "/a" -> "/",
 * "a" and "" -> ".", trailing slashes ignored ("a/b/" -> "a"). ".." is
 * a name like any other ("a/.." -> "a"): nothing is resolved. False when
 * it does not fit in cap (out then holds ""). */
bool wb_path_dirname(const char *path, char *out, size_t cap);

/* The last component, without trailing slashes ("a/b/" -> "b"), into
 * out; "/" for "/", "." for "". False when it does not fit. */
bool wb_path_basename(const char *path, char *out, size_t cap);

#endif
