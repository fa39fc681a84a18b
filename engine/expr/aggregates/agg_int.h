/*
 * agg_int.h - private to the aggregate registry (aggregates.c) and the
 * implementations (agg_numeric.c, agg_collect.c, agg_offset.c,
 * agg_distinct.c): the AggFns tables and the small helpers they share.
 *
 * Every implementation follows aggregates.h's ownership rule: it reads the
 * old state, builds the new one in the arena it was given, and never
 * writes into memory it did not allocate in that call.
 */
#ifndef EDDY_AGG_INT_H
#define EDDY_AGG_INT_H

#include "eddy/engine/aggregates.h"

#include <stdint.h>

/* The implementations, one AggFns each (X-macro: C name). */
#define AGG_FNS_LIST(X)                                                                     \
    /* agg_numeric.c */                                                                     \
    X(agg_count_star_fns) X(agg_count_fns) X(agg_sum_fns) X(agg_avg_fns) X(agg_min_fns)     \
    X(agg_max_fns) X(agg_stddev_samp_fns) X(agg_stddev_sample_fns) X(agg_correlation_fns)   \
    /* agg_collect.c */                                                                     \
    X(agg_collect_list_fns) X(agg_collect_set_fns) X(agg_histogram_fns) X(agg_topk_fns)     \
    X(agg_topkdistinct_fns) X(agg_topk_struct_fns) X(agg_attr_fns)                                               \
    /* agg_offset.c */                                                                      \
    X(agg_earliest_fns) X(agg_earliest_n_fns) X(agg_latest_fns) X(agg_latest_n_fns)         \
    /* agg_distinct.c */                                                                    \
    X(agg_count_distinct_fns)

#define AGG_DECLARE_FNS(f) extern const AggFns f;
AGG_FNS_LIST(AGG_DECLARE_FNS)
#undef AGG_DECLARE_FNS

/* ---- helpers (aggregates.c) --------------------------------------------- */

/* A STRUCT / ARRAY value with n fields / items allocated in a, all NULL. */
Value agg_struct(Arena *a, int32_t n);
Value agg_array(Arena *a, int32_t n);

/* The k / n literal (an INT literal, validated by agg_resolve), or `dflt`
 * if the call has none. */
int32_t agg_literal_int(const AggCall *c, int32_t dflt);
/* The ignoreNulls literal, or `dflt`. */
bool agg_literal_bool(const AggCall *c, bool dflt);

/* Java's wrapping integer arithmetic (ksqlDB sums INT in an int and
 * BIGINT in a long, and overflow wraps there), without C's undefined
 * behaviour. */
static inline int32_t agg_wrap_add32(int32_t x, int32_t y)
{
    return (int32_t)(uint32_t)((uint32_t)x + (uint32_t)y);
}
static inline int32_t agg_wrap_sub32(int32_t x, int32_t y)
{
    return (int32_t)(uint32_t)((uint32_t)x - (uint32_t)y);
}
static inline int64_t agg_wrap_add64(int64_t x, int64_t y)
{
    return (int64_t)((uint64_t)x + (uint64_t)y);
}
static inline int64_t agg_wrap_sub64(int64_t x, int64_t y)
{
    return (int64_t)((uint64_t)x - (uint64_t)y);
}
static inline int64_t agg_wrap_mul64(int64_t x, int64_t y)
{
    return (int64_t)((uint64_t)x * (uint64_t)y);
}

/* Integral value of an INT or BIGINT (0 for anything else). */
static inline int64_t agg_i64(const Value *v)
{
    return v->kind == TYPE_INT ? v->u.i32 : v->kind == TYPE_BIGINT ? v->u.i64 : 0;
}

/* Total order for the values an aggregate compares (same kind after the
 * casts): value_compare, with incomparable kinds ordered by kind so a
 * corrupt state can never make a sort inconsistent. */
int agg_compare(const Value *x, const Value *y);

#endif
