/*
 * wasmbox/policy.h: policy files and languages (src/policy).
 *
 * A policy file (YAML, docs/policy.example.yaml) is the deny-by-default
 * description of what agent code may use: grants, the budget of each
 * step, and session settings. It parses into the same model as the
 * `wasmbox run` flags: a wb_sandbox_config plus wb_session_settings.
 *
 * Include <wasmbox.h> rather than this header: it includes every layer.
 */
#ifndef WASMBOX_POLICY_H
#define WASMBOX_POLICY_H

#include "wasmbox/sandbox.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum wb_lang {
    WB_LANG_PYTHON = 0, WB_LANG_JAVASCRIPT, WB_LANG_LUA, WB_LANG_SQL,
    WB_LANG_WASM, WB_LANG_SHELL, WB_LANG_COUNT
} wb_lang;
#define WB_LANG_BIT(l) (1u << (l))
/* The name of a language: "python", "javascript", "lua", "sql", "wasm",
 * "shell" ("?" for a value that is none); a static string. */
WB_API const char *wb_lang_name(wb_lang l);
/* The language named `name`: a wb_lang_name or "js", "sqlite", "sqlite3",
 * "python3", "sh". false for any other name. */
WB_API bool wb_lang_parse(const char *name, wb_lang *out);

typedef struct wb_session_settings {
    uint64_t idle_expiry_ms;   /* delete a session idle this long; 0: never */
    uint32_t languages;        /* WB_LANG_BIT() of each allowed language */
    bool interp;               /* session.tier "interp": the runtimes run in
                                  the interpreter. false ("cached", the
                                  default): as machine code when the native
                                  code cache holds theirs, loaded before any
                                  lock-down, never compiled on the way
                                  (docs/native-tier.md, "Sessions") */
} wb_session_settings;

/* Where a directory of the user's pure-Python packages is granted,
 * read-only: `wasmbox python --packages DIR` and the policy key
 * python.packages. The Python image's start-up hook puts it on sys.path
 * when it exists (scripts/guests/python/_wasmbox_site.py); to the
 * sandbox it is a grant like any other (docs/grants.md). */
#define WB_PYTHON_PACKAGES_GUEST "/packages"

/* Fill `s` with the settings used without a policy file: expire after
 * 24 h; python, javascript, lua, sql; tier cached. */
WB_API void wb_session_settings_default(wb_session_settings *s);

/* Parse policy file `path` into `cfg` (initialised by the caller with
 * wb_sandbox_config_init, freed by it with wb_sandbox_config_free) and
 * `ss` (may be NULL). The budget starts from wb_budget_default; grants
 * and env are appended; `ss` starts empty: a policy allows no language it
 * does not list. Relative host paths are relative to the file's
 * directory. An unknown key, a malformed value or a contradiction fails
 * with WB_E_ARG and a message naming file, line and key:
 * "policy.yaml:12: unknown key 'memroy' in budget". A file that cannot be
 * read: WB_E_NOT_FOUND or WB_E_IO. */
WB_API wb_status wb_policy_load(const char *path, wb_sandbox_config *cfg,
                                wb_session_settings *ss, wb_error *err);
/* wb_policy_load from `len` bytes of `text`; `name` is used in messages,
 * `base_dir` for relative host paths (NULL: the current directory). */
WB_API wb_status wb_policy_parse(const char *text, size_t len,
                                 const char *name, const char *base_dir,
                                 wb_sandbox_config *cfg,
                                 wb_session_settings *ss, wb_error *err);

#ifdef __cplusplus
}
#endif
#endif
