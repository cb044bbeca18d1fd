/* tree.h: directory trees walked with at most three fds open, whatever
 * their depth, never following symlinks (tree.c). Not installed. */
#ifndef WB_TREE_H
#define WB_TREE_H

#include <sys/stat.h>

typedef struct wb_tree_ops {
    /* a non-directory entry of directory dfd */
    int (*leaf)(void *user, int dfd, const char *name, const struct stat *sb);
    /* a directory of dfd, after everything below it (post-order) */
    int (*dir)(void *user, int dfd, const char *name, const struct stat *sb);
    void *user;
} wb_tree_ops;

/* Visit everything below directory dfd/name (not name itself; symlinks
 * are leaves; a mount point below it is an EXDEV failure, not entered).
 * Failures of the ops do not stop the walk; returns -1 with the errno
 * of the first failure. */
int wb_tree_walk(int dfd, const char *name, const wb_tree_ops *ops);

/* rm -rf dfd/name (gone already: 0); -1 with errno when anything is
 * left. */
int wb_tree_rm(int dfd, const char *name);

#endif
