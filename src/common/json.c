/* json.c: jansson helpers (json.h). */
#include "common/json.h"
#include "common/utf8.h"
#include <stdlib.h>

json_t *wb_json_text(const char *s, size_t n)
{
    json_t *j = json_stringn(s, n);        /* jansson checks UTF-8 */
    if (j)
        return j;
    size_t len;
    char *fixed = wb_utf8_repair(s, n, &len);
    if (!fixed)
        return NULL;
    j = json_stringn_nocheck(fixed, len);
    free(fixed);
    return j;
}
