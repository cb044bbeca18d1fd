/* cli.c: what the subcommands share: the one-line error, whole-file
 * reads, and getopt_long with whole option names (cli.h). */
#include "cli.h"
#include "common/file.h"

#include <errno.h>
#include <stdbool.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Files larger than this are refused before reading (the engine's own
 * module size limit is 1 GiB too). */
#define WB_CLI_MAX_FILE (1u << 30)

void wb_cli_vline(char *buf, size_t cap, const char *fmt, va_list ap)
{
    vsnprintf(buf, cap, fmt, ap);
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

void wb_cli_error(const char *what, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    wb_cli_vline(msg, sizeof msg, fmt, ap);   /* library messages too */
    va_end(ap);
    if (what)
        fprintf(stderr, "wasmbox: %s: %s\n", what, msg);
    else
        fprintf(stderr, "wasmbox: %s\n", msg);
}

uint8_t *wb_cli_read_file(const char *path, size_t *len, char *why,
                          size_t whylen)
{
    uint8_t *buf;
    int e = wb_file_read(path, WB_CLI_MAX_FILE, &buf, len);
    if (e)
        snprintf(why, whylen, "cannot read: %s", e == EFBIG
                 ? "file larger than 1 GiB" : strerror(e));
    return e ? NULL : buf;
}

void wb_cli_opts_begin(wb_cli_opts *o, int argc, char **argv,
                       const char *shortopts, const struct option *longopts)
{
    memset(o, 0, sizeof *o);
    o->argc = argc;
    o->argv = argv;
    o->shortopts = shortopts;
    o->longopts = longopts;
    optind = 0;                     /* glibc: start over, from argv[1] */
    opterr = 0;
}

/* Was argv[at] the option's whole name ("--name" or "--name=...")? */
static bool whole_name(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return !strncmp(arg, "--", 2) && !strncmp(arg + 2, name, n) &&
           (arg[2 + n] == 0 || arg[2 + n] == '=');
}

/* For a '?' or ':' of getopt_long: the argument at fault. A long one
 * when the last argument taken is a long option that optopt (0: an
 * unknown name, else its val) points to; a short one otherwise. */
static void find_bad(wb_cli_opts *o)
{
    const char *last = optind > 0 ? o->argv[optind - 1] : "";
    bool is_long = !strncmp(last, "--", 2) && last[2] && optopt == 0;
    for (int i = 0; !is_long && o->longopts[i].name; i++)
        is_long = o->longopts[i].val == optopt &&
                  whole_name(last, o->longopts[i].name);
    snprintf(o->shortbad, sizeof o->shortbad, "-%c", optopt);
    o->bad = is_long ? last : o->shortbad;
}

int wb_cli_opt(wb_cli_opts *o)
{
    int idx = -1, before = optind ? optind : 1;
    int c = getopt_long(o->argc, o->argv, o->shortopts, o->longopts, &idx);
    o->bad = NULL;
    if (c == '?' || c == ':') {
        find_bad(o);
        o->at = before;
        return c;
    }
    if (c == -1 || idx < 0)
        return c;
    int at = optind - 1;
    if (o->longopts[idx].has_arg == required_argument &&
        optarg == o->argv[optind - 1])
        at--;                       /* "--name VALUE" */
    if (!whole_name(o->argv[at], o->longopts[idx].name)) {
        o->bad = o->argv[at];       /* an abbreviation */
        o->at = optind = at;        /* not taken: it is where we stopped */
        return '?';
    }
    return c;
}

int wb_cli_opt_error(const wb_cli_opts *o, int c, const char *cmd,
                     int status)
{
    if (c == ':')
        wb_cli_error(cmd, "option '%s' needs a value (try 'wasmbox %s "
                     "--help')", o->bad, cmd);
    else
        wb_cli_error(cmd, "unknown option '%s' (try 'wasmbox %s --help')",
                     o->bad, cmd);
    return status;
}

bool wb_cli_count(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    size_t n = strlen(s);
    if (n == 0 || n > 20 || strspn(s, "0123456789") != n)
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

int wb_cli_isolate(const char *cmd, wb_session_options *o, bool off,
                   const char *user, wb_isolation **iso)
{
    *iso = NULL;
    if (off)
        return 0;
    wb_error err = { 0 };
    if (wb_isolation_start(o, user, iso, &err)) {
        wb_cli_error(cmd, "cannot start the worker processes: %s (pass "
                     "--no-os-sandbox to run guests in this process)",
                     err.message);
        return WB_EXIT_FAIL;
    }
    o->isolation = *iso;
    return 0;
}
