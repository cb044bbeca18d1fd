/* json.h: jansson helpers shared by the report and the servers. Not
 * installed. */
#ifndef WB_JSON_H
#define WB_JSON_H

#include <jansson.h>
#include <stddef.h>

/* A JSON string from bytes that may not be UTF-8 (guest output, trap
 * messages, file names): ill-formed parts become U+FFFD (utf8.h). Never
 * NULL unless memory ran out. */
json_t *wb_json_text(const char *s, size_t n);

#endif
