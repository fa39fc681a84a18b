/*
 * functions.h - the scalar function registry (engine/expr/functions/:
 * functions.c holds the table, func_*.c the implementations).
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
 *
 * Ownership: the registry's names, signatures and FuncInfo entries are
 * static (they live for the process; never free them).  A ResolvedCall's
 * params (and composite result types) are allocated in the arena given to
 * func_resolve and live as long as it.
 */
#ifndef EDDY_FUNCTIONS_H
#define EDDY_FUNCTIONS_H

#include "eddy/base.h"
#include "eddy/types.h"
#include "eddy/value.h"

typedef struct FuncCtx {
    Arena *arena;              /* borrowed: results (strings, arrays) are allocated here */
    /* Borrowed, may be NULL.  Set by a function to report a per-row problem
     * (bad format string, unparsable date): the evaluator then yields NULL
     * and counts/logs it. */
    EddyError *err;
    /* Borrowed, may be NULL: the arguments' types (the overload's resolved
     * parameter types, ResolvedCall.params), for a function that needs
     * more than the Values carry (TO_JSON_STRING: struct field names). */
    const SqlType *const *types;
} FuncCtx;

/* Evaluates one overload.  args (borrowed, nargs of them) are already cast
 * to the overload's parameter types (NULLs are passed through unless the
 * overload says it handles them).  *out is allocated in ctx->arena or
 * borrows from args (ELT returns one of them), so it lives as long as both.
 * Returns 0, or -1 with ctx->err set. */
typedef int (*ScalarFn)(const Value *args, int nargs, Value *out, FuncCtx *ctx);

typedef struct ResolvedCall {
    const char *name;          /* canonical upper-case name (static) */
    ScalarFn fn;
    bool null_in_null_out;     /* evaluator may short-circuit: any NULL arg -> NULL */
    const SqlType *result;     /* the call's result type (static or in func_resolve's arena) */
    const SqlType **params;    /* nargs entries, in func_resolve's arena: the type each
                                * argument must be cast to (the evaluator inserts casts
                                * where arg type differs) */
    int nargs;
} ResolvedCall;

/* Resolves name(args) for the given argument types (borrowed; NULL or
 * TYPE_NULL for a NULL literal).  Picks the overload that needs the fewest
 * implicit widenings (INT -> BIGINT -> DECIMAL -> DOUBLE); name matches in
 * any case.  Returns 0 and fills *out (params and composite types
 * allocated in arena, which must outlive *out), or -1 with ERR_ANALYSIS:
 *   "unknown function FOO" / "function SUBSTRING does not accept
 *   (INTEGER); it takes (STRING, INTEGER[, INTEGER])". */
int func_resolve(const char *name, const SqlType *const *arg_types, int nargs,
                 Arena *arena, ResolvedCall *out, EddyError *err);

/* Is `name` an aggregate function (COUNT, SUM, ...)?  The analyzer routes
 * those elsewhere (aggregates are a later milestone). */
bool func_is_aggregate(const char *name);

/* Is `name` a table function (EXPLODE, CUBE_EXPLODE)?  Case-insensitive.
 * The registry types its calls (func_resolve: the result is one output
 * row's value); the planner turns them into a FLATMAP node. */
bool func_is_table(const char *name);
/* Is `name` a lambda function (TRANSFORM, FILTER, REDUCE)?  Listed by the
 * registry; binding types its calls (BX_LAMBDA_CALL). */
bool func_is_lambda(const char *name);

/* Is `name` a known scalar function?  Case-insensitive. */
bool func_exists(const char *name);

/* Registry introspection for SHOW FUNCTIONS / DESCRIBE FUNCTION.  The
 * FuncInfo entries and their strings are static: built once (thread-safe)
 * on first use, they live for the process; callers never free them. */
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
