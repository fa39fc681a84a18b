/*
 * agg_offset.c - EARLIEST_BY_OFFSET and LATEST_BY_OFFSET, with or without
 * n, with or without ignoreNulls (default true: NULLs are skipped).
 *
 * In:  states, arguments (cast to AggCall.params) and each row's offset.
 * Out: new states and results in the caller's arena.
 *
 * States (the exact shape AggCall.state_type names):
 *   col [, ignoreNulls]     NULL until a row is kept, then STRUCT<SEQ BIGINT, VAL T>
 *   col, n [, ignoreNulls]  ARRAY<STRUCT<SEQ BIGINT, VAL T>>, oldest first
 *
 * As ksqlDB's EarliestByOffset / LatestByOffset: a step keeps the row by
 * processing order -- the first row kept stays earliest, each new row is
 * latest -- and SEQ only decides between two states when session windows
 * merge.  ksqlDB's SEQ is a per-process counter, which a restart or a
 * REPLAY would renumber; eddy stores the row's offset instead, so a
 * merge after recovery picks the same row as before.  For one key the
 * offsets come from one partition (the group-by repartition guarantees
 * it), so they order the rows.  Ties go where ksqlDB sends them.
 * No undo (ksqlDB's are stream-only); all merge.
 */
#include "agg_int.h"

#include <string.h>

static int64_t seq_of(const Value *entry)
{
    if (entry->kind != TYPE_STRUCT || entry->u.st.n != 2 || entry->u.st.fields[0].kind != TYPE_BIGINT)
        return 0;
    return entry->u.st.fields[0].u.i64;
}

static const Value *val_of(const Value *entry)
{
    static const Value null_value = {TYPE_NULL, {0}};
    return entry->kind == TYPE_STRUCT && entry->u.st.n == 2 ? &entry->u.st.fields[1] : &null_value;
}

static Value entry(Arena *a, int64_t offset, const Value *v)
{
    Value e = agg_struct(a, 2);
    e.u.st.fields[0] = v_bigint(offset);
    e.u.st.fields[1] = *v;
    return e;
}

static bool skip(const AggCall *c, const Value *v)
{
    return v_is_null(v) && agg_literal_bool(c, true);
}

static int cmp_seq(const Value *x, const Value *y)
{
    int64_t a = seq_of(x), b = seq_of(y);
    return (a > b) - (a < b);
}

/* ---- one value: NULL or STRUCT<SEQ, VAL> --------------------------------------- */

static void one_init(const AggCall *c, Value *state, Arena *a)
{
    *state = v_null();
}

static void earliest_step(const AggCall *c, Value *state, const Value *args, int64_t rowtime, int64_t offset,
                          Arena *a)
{
    if (state->kind != TYPE_STRUCT && !skip(c, &args[0]))
        *state = entry(a, offset, &args[0]);
}

static void latest_step(const AggCall *c, Value *state, const Value *args, int64_t rowtime, int64_t offset,
                        Arena *a)
{
    if (!skip(c, &args[0]))
        *state = entry(a, offset, &args[0]);
}

static void earliest_merge(const AggCall *c, Value *state, const Value *other, Arena *a)
{
    if (other->kind != TYPE_STRUCT)
        return;
    if (state->kind != TYPE_STRUCT || cmp_seq(state, other) >= 0)
        *state = *other;
}

static void latest_merge(const AggCall *c, Value *state, const Value *other, Arena *a)
{
    if (other->kind != TYPE_STRUCT)
        return;
    if (state->kind != TYPE_STRUCT) {
        *state = *other;
        return;
    }
    if (agg_literal_bool(c, true)) {   /* a NULL loses whatever its SEQ */
        bool sn = v_is_null(val_of(state)), on = v_is_null(val_of(other));
        if (sn != on) {
            if (sn)
                *state = *other;
            return;
        }
    }
    if (cmp_seq(state, other) < 0)
        *state = *other;
}

static void one_result(const AggCall *c, const Value *state, Value *out, Arena *a)
{
    *out = *val_of(state);
}

const AggFns agg_earliest_fns = {one_init, earliest_step, NULL, earliest_merge, one_result};
const AggFns agg_latest_fns = {one_init, latest_step, NULL, latest_merge, one_result};

/* ---- n values: ARRAY<STRUCT<SEQ, VAL>>, oldest first ------------------------------- */

static const Value *entries_of(const Value *state, int32_t *n)
{
    if (state->kind != TYPE_ARRAY || state->u.arr.n <= 0) {
        *n = 0;
        return NULL;
    }
    *n = state->u.arr.n;
    return state->u.arr.items;
}

static void many_init(const AggCall *c, Value *state, Arena *a)
{
    *state = agg_array(a, 0);
}

static void earliest_n_step(const AggCall *c, Value *state, const Value *args, int64_t rowtime,
                            int64_t offset, Arena *a)
{
    int32_t n;
    const Value *items = entries_of(state, &n);
    if (skip(c, &args[0]) || n >= agg_literal_int(c, 1))
        return;
    Value out = agg_array(a, n + 1);
    if (n)
        memcpy(out.u.arr.items, items, sizeof(Value) * (size_t)n);
    out.u.arr.items[n] = entry(a, offset, &args[0]);
    *state = out;
}

static void latest_n_step(const AggCall *c, Value *state, const Value *args, int64_t rowtime, int64_t offset,
                          Arena *a)
{
    int32_t n, keep = agg_literal_int(c, 1);
    const Value *items = entries_of(state, &n);
    if (skip(c, &args[0]))
        return;
    int32_t old = n < keep ? n : keep - 1;   /* the newest `old` entries stay */
    Value out = agg_array(a, old + 1);
    if (old > 0)
        memcpy(out.u.arr.items, items + (n - old), sizeof(Value) * (size_t)old);
    out.u.arr.items[old] = entry(a, offset, &args[0]);
    *state = out;
}

/* Stable merge sort of v[0..n) by SEQ (tmp has n slots). */
static void sort_by_seq(Value *v, Value *tmp, int32_t n)
{
    for (int32_t width = 1; width < n; width *= 2) {
        for (int32_t lo = 0; lo < n; lo += 2 * width) {
            int32_t mid = lo + width < n ? lo + width : n;
            int32_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            int32_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = cmp_seq(&v[j], &v[i]) < 0 ? v[j++] : v[i++];
            while (i < mid)
                tmp[k++] = v[i++];
            while (j < hi)
                tmp[k++] = v[j++];
        }
        memcpy(v, tmp, sizeof(Value) * (size_t)n);
        if (width > n / 2)
            break;
    }
}

/* Both lists by SEQ; the first (earliest) or last (latest) n of them. */
static void many_merge(const AggCall *c, Value *state, const Value *other, bool earliest, Arena *a)
{
    int32_t n1, n2, keep = agg_literal_int(c, 1);
    const Value *x = entries_of(state, &n1), *y = entries_of(other, &n2);
    if (n2 == 0)
        return;
    int64_t total = (int64_t)n1 + n2;
    int32_t n = total > INT32_MAX ? INT32_MAX : (int32_t)total;
    Value *all = arena_alloc(a, sizeof(Value) * (size_t)n), *tmp = arena_alloc(a, sizeof(Value) * (size_t)n);
    if (n1)
        memcpy(all, x, sizeof(Value) * (size_t)n1);
    memcpy(all + n1, y, sizeof(Value) * (size_t)(n - n1));
    sort_by_seq(all, tmp, n);
    int32_t m = n < keep ? n : keep;
    Value out = v_null();
    out.kind = TYPE_ARRAY;
    out.u.arr.items = earliest ? all : all + (n - m);
    out.u.arr.n = m;
    *state = out;
}

static void earliest_n_merge(const AggCall *c, Value *state, const Value *other, Arena *a)
{
    many_merge(c, state, other, true, a);
}

static void latest_n_merge(const AggCall *c, Value *state, const Value *other, Arena *a)
{
    many_merge(c, state, other, false, a);
}

static void many_result(const AggCall *c, const Value *state, Value *out, Arena *a)
{
    int32_t n;
    const Value *items = entries_of(state, &n);
    Value arr = agg_array(a, n);
    for (int32_t i = 0; i < n; i++)
        arr.u.arr.items[i] = *val_of(&items[i]);
    *out = arr;
}

const AggFns agg_earliest_n_fns = {many_init, earliest_n_step, NULL, earliest_n_merge, many_result};
const AggFns agg_latest_n_fns = {many_init, latest_n_step, NULL, latest_n_merge, many_result};
