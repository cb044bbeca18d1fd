/* utf8.h: UTF-8 checks and repair, for text that reaches JSON (guest
 * output, trap messages, file names). Not installed.
 *
 * Well-formed means Unicode's table 3-7: no overlong forms, no
 * surrogates, nothing past U+10FFFF. NUL is a character like any other.
 * Repair replaces each maximal ill-formed subpart (the longest start of
 * a well-formed sequence, else one byte) with U+FFFD, as Unicode
 * recommends and as Python's errors="replace" and browsers do: a
 * truncated "\xe2\x82" is one U+FFFD, a stray "\x80\x80" two. */
#ifndef WB_UTF8_H
#define WB_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the well-formed sequence at s[0..n) (n > 0), or 0 when it is
 * ill-formed; *bad then gets the length of its maximal subpart (>= 1). */
size_t wb_utf8_seq(const unsigned char *s, size_t n, size_t *bad);

bool wb_utf8_valid(const char *s, size_t n);

/* A malloc'd, NUL-terminated well-formed copy of s[0..n) (*out_len
 * without the NUL); NULL when memory ran out. */
char *wb_utf8_repair(const char *s, size_t n, size_t *out_len);

#endif
