/*
 * wasmbox.h: the public API of libwasmbox. Include this header; it
 * includes one header per layer, each over the one below it:
 *
 *   wasmbox/common.h   the export macro WB_API, wb_status, wb_error
 *   wasmbox/engine.h   modules, stores, linking, instances, calls,
 *                      memories, tables, globals, host functions
 *   wasmbox/sandbox.h  one guest under WASI preview1: grants, budget,
 *                      the run and its JSON report; the WASI context
 *   wasmbox/snapshot.h snapshots of instances and their WASI state,
 *                      restored copy-on-write
 *   wasmbox/policy.h   policy files, languages, session settings
 *   wasmbox/session.h  sessions: workspaces, steps, kernels, expiry
 *
 * Each header states who owns what; each function says what it does, its
 * errors, and what it copies or borrows. Every call that can fail returns
 * a wb_status and fills a caller-provided wb_error (which may be NULL)
 * with a one-line message. The library never exits the process and never
 * prints.
 *
 * Only the functions marked WB_API are exported from libwasmbox.so
 * (scripts/check-api.sh holds the two lists equal).
 *
 * Linking
 *   libwasmbox.so alone, or libwasmbox.a with -lm -lpthread -lyaml
 *   -ljansson -lseccomp -lxxhash (the JSON report and the sessions use
 *   jansson, policy files libyaml, snapshots libxxhash). examples/embed.c is a complete program.
 */
#ifndef WASMBOX_H
#define WASMBOX_H

#include "wasmbox/common.h"
#include "wasmbox/engine.h"
#include "wasmbox/sandbox.h"
#include "wasmbox/snapshot.h"
#include "wasmbox/policy.h"
#include "wasmbox/session.h"

#endif
