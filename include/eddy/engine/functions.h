/*
 * functions.h - the scalar function registry (engine/functions.c).
 *
 * The registry is one table (an X-macro list in functions.c) of
 * functions, each with one or more overloads.  The analyzer resolves a
 * call once (func_resolve) to a ResolvedCall; the evaluator then calls
 * func_call per row.  SHOW FUNCTIONS and DESCRIBE FUNCTION read the same
 * table.
 *
 * Null handling follows ksqlDB's function reference: most functions
 * return NULL when an argument is NULL; COALESCE, IFNULL, CONCAT,
 * CONCAT_WS, ... say otherwise and are implemented so.
 */
#ifndef EDDY_FUNCTIONS_H
#define EDDY_FUNCTIONS_H

#include "eddy/base.h"
#include "eddy/types.h"
#include "eddy/value.h"

typedef struct FuncCtx {
    Arena *arena;              /* where results (strings, arrays) are allocated */
    /* Set by a function to report a per-row problem (bad format string,
     * unparsable date): the evaluator then yields NULL and counts/logs it. */
    EddyError *err;
} FuncCtx;

/* Evaluates one overload.  args are already cast to the overload's
 * parameter types (NULLs are passed through unless the overload says it
 * handles them).  Returns 0, or -1 with ctx->err set. */
typedef int (*ScalarFn)(const Value *args, int nargs, Value *out, FuncCtx *ctx);

typedef struct ResolvedCall {
    const char *name;          /* canonical upper-case name */
    ScalarFn fn;
    bool null_in_null_out;     /* evaluator may short-circuit: any NULL arg -> NULL */
    const SqlType *result;     /* the call's result type */
    const SqlType **params;    /* nargs entries: the type each argument must be cast to
                                * (the evaluator inserts casts where arg type differs) */
    int nargs;
} ResolvedCall;

/* Resolves name(args) for the given argument types (TYPE_NULL for a NULL
 * literal).  Picks the overload that needs the fewest implicit widenings
 * (INT -> BIGINT -> DECIMAL -> DOUBLE).  Returns 0 and fills *out (params
 * allocated in arena), or -1 with ERR_ANALYSIS:
 *   "unknown function FOO" / "function SUBSTRING does not accept
 *   (INTEGER); it takes (STRING, INTEGER[, INTEGER])". */
int func_resolve(const char *name, const SqlType *const *arg_types, int nargs,
                 Arena *arena, ResolvedCall *out, EddyError *err);

/* Is `name` an aggregate function (COUNT, SUM, ...)?  The analyzer routes
 * those elsewhere (aggregates are a later milestone). */
bool func_is_aggregate(const char *name);

/* Is `name` a known scalar function? */
bool func_exists(const char *name);

/* Registry introspection for SHOW FUNCTIONS / DESCRIBE FUNCTION. */
typedef struct FuncInfo {
    const char *name;
    const char *category;      /* "STRING", "MATHEMATICAL", "DATE / TIME", ... */
    const char *description;
    int noverloads;
    const char *const *signatures;   /* e.g. "SUBSTRING(str STRING, pos INT, len INT) -> STRING" */
} FuncInfo;

int func_count(void);
const FuncInfo *func_info_at(int i);           /* sorted by name */
const FuncInfo *func_info(const char *name);   /* case-insensitive; NULL if none */

#endif
