/*
 * aggregates.h - the aggregate function registry (engine/expr/aggregates/:
 * aggregates.c and agg_*.c): COUNT, SUM, AVG, MIN, MAX, TOPK,
 * COLLECT_LIST, ... as ksqlDB defines them.
 *
 * The analyzer resolves a call once (agg_resolve) to an AggCall; the
 * aggregate operator then drives the call's AggFns per group:
 *
 *   init -> step per row (undo per retracted table row) -> result per emit
 *   merge when two session windows of a key become one
 *
 * State.  The state of every aggregate is ONE Value (composites for
 * multi-part states: AVG is STRUCT<SUM, COUNT>), so the operator can keep
 * it in its cache and write it to RocksDB with the binary Value encoding
 * between records.  Its shape is AggCall.state_type (a NULL Value is a
 * valid state of any type: MIN's "nothing seen yet").
 *
 * Ownership, for every AggFns entry:
 *   - `*state` (in), `args`, `other`: borrowed, never modified;
 *   - `*state` (out), `*out`: allocated in arena `a`, and may borrow memory
 *     from the old state, from `args` and from `other`.  The caller copies
 *     the new state out (value_copy) before it releases any of those --
 *     value_copy is a deep copy, so the copy points into nothing of
 *     theirs.  A step that changes nothing leaves *state as it was, with
 *     no allocation.
 *   - `a` should be short-lived (reset once the new state is copied out):
 *     a collection's state is rebuilt on each step, so a batch arena
 *     would keep every intermediate version of it until the batch ends.
 *
 * NULL handling follows ksqlDB's UDAFs: most functions skip NULL
 * arguments (COUNT(col), SUM, AVG, MIN, MAX, TOPK, COUNT_DISTINCT, ...);
 * COLLECT_LIST and COLLECT_SET collect NULLs; *_BY_OFFSET skip them unless
 * ignoreNulls is false.  SUM and COUNT start at 0, AVG of no values is
 * 0.0, MIN/MAX of no values is NULL.
 *
 * Table input: a function with undo == NULL cannot aggregate a table
 * (ksqlDB rejects MIN, MAX, TOPK, COLLECT_SET, COUNT_DISTINCT, ... there);
 * the analyzer reports that.  `F(*)` and `F()` mean F(ROWTIME) in ksqlDB
 * for every F but COUNT: the analyzer passes ROWTIME as the argument;
 * COUNT(*) (and COUNT()) is count_star here.
 */
#ifndef EDDY_AGGREGATES_H
#define EDDY_AGGREGATES_H

#include "eddy/base.h"
#include "eddy/types.h"
#include "eddy/value.h"

/* COLLECT_LIST and COLLECT_SET keep at most this many entries, HISTOGRAM
 * this many distinct keys; later values are ignored (ksqlDB's
 * ksql.functions.collect_*.limit, 1000 in Confluent Cloud and in
 * HISTOGRAM). */
#define AGG_COLLECT_LIMIT 1000

typedef struct AggCall AggCall;

typedef struct AggFns {
    /* The initial state (e.g. COUNT: 0; MIN: NULL). */
    void (*init)(const AggCall *c, Value *state, Arena *a);
    /* Adds one row's arguments (already cast to c->params); rowtime/offset
     * for *_BY_OFFSET.  args has c->nargs entries (none for COUNT(*)). */
    void (*step)(const AggCall *c, Value *state, const Value *args, int64_t rowtime, int64_t offset,
                 Arena *a);
    /* Removes one row (a table row being replaced or deleted), or NULL if
     * the function cannot undo (the engine then rejects aggregating a
     * table with it, as ksqlDB does). */
    void (*undo)(const AggCall *c, Value *state, const Value *args, Arena *a);
    /* Merges `other` into state (session windows merging), or NULL if
     * unsupported.  Order matters for COLLECT_LIST: state is the earlier
     * session, other the later one. */
    void (*merge)(const AggCall *c, Value *state, const Value *other, Arena *a);
    /* The result from the state. */
    void (*result)(const AggCall *c, const Value *state, Value *out, Arena *a);
} AggFns;

struct AggCall {
    const char *name;               /* canonical upper case */
    const AggFns *fns;
    const SqlType *result;          /* result type */
    const SqlType *state_type;      /* the state's type (documentation / codec hint) */
    const SqlType **params;         /* nargs entries: type each (non-literal) argument is cast to */
    int nargs;                      /* column arguments */
    Value *literals;                /* trailing literal arguments (TOPK's k, ...), nliterals entries */
    int nliterals;
    bool count_star;                /* COUNT(*) */
};

/* Resolves name(args).  arg_types[i] for each argument (NULL or a
 * TYPE_NULL type for a NULL literal); literal_args[i] is non-NULL where
 * argument i is a literal (constant) -- TOPK(col, 3): the 3.  count_star
 * for COUNT(*) (nargs 0).  Literal-only parameters (TOPK's k,
 * LATEST_BY_OFFSET's n and ignoreNulls) must be literals; k and n must be
 * integers from 1 to 2147483647.  literal_args may be NULL when no
 * argument is a literal.
 * Returns 0 and fills *out (allocated in arena), or -1 with ERR_ANALYSIS
 * naming the function and the types ("function SUM does not accept
 * (STRING); it takes (INTEGER) or (BIGINT) or ..."). */
int agg_resolve(const char *name, const SqlType *const *arg_types, const Value *const *literal_args,
                int nargs, bool count_star, Arena *arena, AggCall *out, EddyError *err);

/* Is `name` an aggregate function here?  Case-insensitive. */
bool agg_exists(const char *name);

/* For SHOW FUNCTIONS / DESCRIBE FUNCTION.  Signatures read like
 * "TOPK(col INTEGER, k INTEGER literal) -> ARRAY<INTEGER>".  The AggInfo
 * entries and their strings are static (built once on first use, thread-
 * safe); they live for the process and callers never free them. */
typedef struct AggInfo {
    const char *name, *description;
    int nsignatures;
    const char *const *signatures;
} AggInfo;

int agg_count(void);
const AggInfo *agg_info_at(int i);          /* sorted by name */
const AggInfo *agg_info(const char *name);  /* case-insensitive; NULL if none */

#endif
