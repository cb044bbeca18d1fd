/* wb_policy_lang.c: language names and the session settings used when no
 * policy file is given. */
#include "wasmbox/policy.h"
#include <string.h>

static const char *const lang_names[WB_LANG_COUNT] = {
    "python", "javascript", "lua", "sql", "wasm", "shell",
};

const char *wb_lang_name(wb_lang l)
{
    return (unsigned)l < WB_LANG_COUNT ? lang_names[l] : "?";
}

bool wb_lang_parse(const char *name, wb_lang *out)
{
    static const struct { const char *alias; wb_lang l; } aliases[] = {
        { "js", WB_LANG_JAVASCRIPT }, { "sqlite", WB_LANG_SQL },
        { "sqlite3", WB_LANG_SQL }, { "python3", WB_LANG_PYTHON },
        { "sh", WB_LANG_SHELL },
    };
    for (int i = 0; i < WB_LANG_COUNT; i++)
        if (!strcmp(name, lang_names[i])) {
            *out = (wb_lang)i;
            return true;
        }
    for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
        if (!strcmp(name, aliases[i].alias)) {
            *out = aliases[i].l;
            return true;
        }
    return false;
}

void wb_session_settings_default(wb_session_settings *s)
{
    s->idle_expiry_ms = 24ull * 3600 * 1000;
    s->interp = false;
    s->languages = WB_LANG_BIT(WB_LANG_PYTHON) |
                   WB_LANG_BIT(WB_LANG_JAVASCRIPT) |
                   WB_LANG_BIT(WB_LANG_LUA) | WB_LANG_BIT(WB_LANG_SQL) |
                   WB_LANG_BIT(WB_LANG_SHELL);
}
