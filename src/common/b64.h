/* b64.h: base64 (RFC 4648), the one codec of the servers. Not installed.
 *
 * Decoding takes the standard alphabet and the URL-safe one ('-', '_'),
 * ignores ASCII whitespace anywhere, and takes padding or none; when
 * '=' is there it ends the data, and the groups must then be complete
 * ("QQ==", not "QQ=", "Q===" or "QQ==QQ"). A lone last character (6
 * bits, no byte) is refused, and so is any other byte, NUL included. */
#ifndef WB_B64_H
#define WB_B64_H

#include <stddef.h>
#include <stdint.h>

/* Decode s[0..n) into a malloc'd buffer (NUL-terminated, *len without
 * the NUL). NULL when the text is not base64 or memory ran out; `why`
 * (may be NULL) then says which: "invalid character '%' at offset 3". */
uint8_t *wb_b64_decode(const char *s, size_t n, size_t *len, char *why,
                       size_t whylen);

/* Standard alphabet with padding; malloc'd and NUL-terminated, NULL when
 * memory ran out. */
char *wb_b64_encode(const uint8_t *data, size_t n);

#endif
