/*
 * agg_collect.c - the aggregates whose state is a collection: COLLECT_LIST,
 * COLLECT_SET, HISTOGRAM, TOPK, TOPKDISTINCT and ATTR.
 *
 * In:  states and arguments (cast to AggCall.params).  Out: new states
 *      and results in the caller's arena (aggregates.h's ownership rule:
 *      a new state shares element memory with the old one and the row).
 *
 * States (the exact shape AggCall.state_type names):
 *   COLLECT_LIST, COLLECT_SET   ARRAY<T>, in arrival order
 *   HISTOGRAM                   MAP<STRING, BIGINT>, in order of first arrival
 *   TOPK, TOPKDISTINCT          ARRAY<T>, largest first, at most k entries
 *   ATTR                        ARRAY<STRUCT<VALUE T, COUNT INTEGER>>
 *
 * Following ksqlDB's CollectListUdaf, CollectSetUdaf, HistogramUdaf,
 * TopkKudaf, TopkDistinctKudaf and Attr:
 *   - COLLECT_LIST and COLLECT_SET collect NULLs (the set holds one);
 *     both stop growing at AGG_COLLECT_LIMIT entries and ignore later
 *     values; a merge appends the later session's entries until the limit.
 *   - COLLECT_LIST's undo removes the LAST entry equal to the value (as
 *     ksqlDB's does: the one it added may have been another), and nothing
 *     if the value never made it past the limit.
 *   - HISTOGRAM counts at most AGG_COLLECT_LIMIT distinct strings; undo
 *     decrements and drops a key at zero.  NULL is skipped: a map key
 *     cannot be NULL in any of eddy's formats (ksqlDB's Java map would
 *     count it under a null key that no serde can write).
 *   - TOPK keeps duplicates, TOPKDISTINCT does not; both skip NULLs and
 *     never allocate k slots up front, so a huge k costs nothing until
 *     rows arrive.
 *   - ATTR keeps a count per distinct value (undo floors it at 0, as
 *     ksqlDB does) and yields the value only while exactly one count is
 *     positive.
 * Undo: COLLECT_LIST, HISTOGRAM, ATTR.  Every function here merges.
 */
#include "agg_int.h"

#include <string.h>

/* The items of an ARRAY state (none if the state is anything else). */
static const Value *items_of(const Value *state, int32_t *n)
{
    if (state->kind != TYPE_ARRAY || state->u.arr.n <= 0) {
        *n = 0;
        return NULL;
    }
    *n = state->u.arr.n;
    return state->u.arr.items;
}

/* A new array: items[0..n) with v inserted at pos, cut to max entries. */
static Value insert_at(Arena *a, const Value *items, int32_t n, int32_t pos, const Value *v, int32_t max)
{
    int32_t m = (int64_t)n + 1 > max ? max : n + 1;
    Value out = agg_array(a, m);
    for (int32_t i = 0, j = 0; j < m; j++)
        out.u.arr.items[j] = j == pos ? *v : items[i++];
    return out;
}

/* A new array: items[0..n) without entry pos. */
static Value remove_at(Arena *a, const Value *items, int32_t n, int32_t pos)
{
    Value out = agg_array(a, n - 1);
    for (int32_t i = 0, j = 0; i < n; i++)
        if (i != pos)
            out.u.arr.items[j++] = items[i];
    return out;
}

static int32_t index_of(const Value *items, int32_t n, const Value *v)
{
    for (int32_t i = 0; i < n; i++)
        if (value_equal(&items[i], v))
            return i;
    return -1;
}

static void empty_array_init(const AggCall *c, Value *state, Arena *a)
{
    *state = agg_array(a, 0);
}

static void array_result(const AggCall *c, const Value *state, Value *out, Arena *a)
{
    *out = state->kind == TYPE_ARRAY ? *state : agg_array(a, 0);
}

/* ---- COLLECT_LIST ----------------------------------------------------------------- */

static void list_step(const AggCall *c, Value *state, const Value *args, int64_t rowtime, int64_t offset,
                      Arena *a)
{
    int32_t n;
    const Value *items = items_of(state, &n);
    if (n < AGG_COLLECT_LIMIT)
        *state = insert_at(a, items, n, n, &args[0], AGG_COLLECT_LIMIT);
}

static void list_undo(const AggCall *c, Value *state, const Value *args, Arena *a)
{
    int32_t n;
    const Value *items = items_of(state, &n);
    for (int32_t i = n - 1; i >= 0; i--)
        if (value_equal(&items[i], &args[0])) {
            *state = remove_at(a, items, n, i);
            return;
        }
}

static void list_merge(const AggCall *c, Value *state, const Value *other, Arena *a)
{
    int32_t n, on;
    const Value *items = items_of(state, &n), *oitems = items_of(other, &on);
    int32_t take = AGG_COLLECT_LIMIT - n < on ? AGG_COLLECT_LIMIT - n : on;
    if (take <= 0)
        return;
    Value out = agg_array(a, n + take);
    if (n)
        memcpy(out.u.arr.items, items, sizeof(Value) * (size_t)n);
    memcpy(out.u.arr.items + n, oitems, sizeof(Value) * (size_t)take);
    *state = out;
}

const AggFns agg_collect_list_fns = {empty_array_init, list_step, list_undo, list_merge, array_result};

/* ---- COLLECT_SET ------------------------------------------------------------------- */

static void set_step(const AggCall *c, Value *state, const Value *args, int64_t rowtime, int64_t offset,
                     Arena *a)
{
    int32_t n;
    const Value *items = items_of(state, &n);
    if (n < AGG_COLLECT_LIMIT && index_of(items, n, &args[0]) < 0)
        *state = insert_at(a, items, n, n, &args[0], AGG_COLLECT_LIMIT);
}

static void set_merge(const AggCall *c, Value *state, const Value *other, Arena *a)
{
    int32_t n, on;
    const Value *items = items_of(state, &n), *oitems = items_of(other, &on);
    if (on == 0 || n >= AGG_COLLECT_LIMIT)
        return;
    int32_t cap = (int64_t)n + on < AGG_COLLECT_LIMIT ? n + on : AGG_COLLECT_LIMIT;
    Value out = agg_array(a, cap);
    if (n)
        memcpy(out.u.arr.items, items, sizeof(Value) * (size_t)n);
    int32_t m = n;
    for (int32_t i = 0; i < on && m < cap; i++)
        if (index_of(out.u.arr.items, m, &oitems[i]) < 0)
            out.u.arr.items[m++] = oitems[i];
    out.u.arr.n = m;
    *state = out;
}

const AggFns agg_collect_set_fns = {empty_array_init, set_step, NULL, set_merge, array_result};

/* ---- HISTOGRAM: MAP<STRING, BIGINT> --------------------------------------------------- */

static void hist_init(const AggCall *c, Value *state, Arena *a)
{
    Value m = v_null();
    m.kind = TYPE_MAP;
    m.u.map.keys = arena_alloc(a, sizeof(Value));
    m.u.map.vals = arena_alloc(a, sizeof(Value));
    m.u.map.n = 0;
    *state = m;
}

/* A copy of map `state` with room for `extra` more entries (no more
 * than the limit lets in). */
static Value hist_copy(const Value *state, int32_t extra, Arena *a)
{
    int32_t n = state->kind == TYPE_MAP && state->u.map.n > 0 ? state->u.map.n : 0;
    if (extra > AGG_COLLECT_LIMIT)
        extra = AGG_COLLECT_LIMIT;
    Value m = v_null();
    m.kind = TYPE_MAP;
    m.u.map.keys = arena_alloc(a, sizeof(Value) * (size_t)(n + extra > 0 ? n + extra : 1));
    m.u.map.vals = arena_alloc(a, sizeof(Value) * (size_t)(n + extra > 0 ? n + extra : 1));
    if (n > 0) {
        memcpy(m.u.map.keys, state->u.map.keys, sizeof(Value) * (size_t)n);
        memcpy(m.u.map.vals, state->u.map.vals, sizeof(Value) * (size_t)n);
    }
    m.u.map.n = n;
    return m;
}

static int32_t hist_find(const Value *m, const Value *key)
{
    if (m->kind != TYPE_MAP)
        return -1;
    return index_of(m->u.map.keys, m->u.map.n, key);
}

/* Adds `count` occurrences of key to the map being built (in place: m is new). */
static void hist_add(Value *m, const Value *key, int64_t count)
{
    int32_t i = hist_find(m, key);
    if (i >= 0) {
        m->u.map.vals[i] = v_bigint(agg_wrap_add64(agg_i64(&m->u.map.vals[i]), count));
    } else if (m->u.map.n < AGG_COLLECT_LIMIT) {
        m->u.map.keys[m->u.map.n] = *key;
        m->u.map.vals[m->u.map.n] = v_bigint(count);
        m->u.map.n++;
    }
}

static void hist_step(const AggCall *c, Value *state, const Value *args, int64_t rowtime, int64_t offset,
                      Arena *a)
{
    if (v_is_null(&args[0]))
        return;
    int32_t n = state->kind == TYPE_MAP ? state->u.map.n : 0;
    if (n >= AGG_COLLECT_LIMIT && hist_find(state, &args[0]) < 0)
        return;
    Value m = hist_copy(state, 1, a);
    hist_add(&m, &args[0], 1);
    *state = m;
}

static void hist_undo(const AggCall *c, Value *state, const Value *args, Arena *a)
{
    int32_t i = v_is_null(&args[0]) ? -1 : hist_find(state, &args[0]);
    if (i < 0)
        return;
    Value m = hist_copy(state, 0, a);
    int64_t left = agg_wrap_sub64(agg_i64(&m.u.map.vals[i]), 1);
    if (left >= 1) {
        m.u.map.vals[i] = v_bigint(left);
    } else {
        memmove(&m.u.map.keys[i], &m.u.map.keys[i + 1], sizeof(Value) * (size_t)(m.u.map.n - i - 1));
        memmove(&m.u.map.vals[i], &m.u.map.vals[i + 1], sizeof(Value) * (size_t)(m.u.map.n - i - 1));
        m.u.map.n--;
    }
    *state = m;
}

static void hist_merge(const AggCall *c, Value *state, const Value *other, Arena *a)
{
    if (other->kind != TYPE_MAP || other->u.map.n == 0)
        return;
    Value m = hist_copy(state, other->u.map.n, a);
    for (int32_t i = 0; i < other->u.map.n; i++)
        hist_add(&m, &other->u.map.keys[i], agg_i64(&other->u.map.vals[i]));
    *state = m;
}

static void hist_result(const AggCall *c, const Value *state, Value *out, Arena *a)
{
    if (state->kind == TYPE_MAP)
        *out = *state;
    else
        hist_init(c, out, a);
}

const AggFns agg_histogram_fns = {hist_init, hist_step, hist_undo, hist_merge, hist_result};

/* ---- TOPK, TOPKDISTINCT: ARRAY<T>, largest first ------------------------------------------ */

/* What an item is ordered by: itself, or for the variadic TOPK (items
 * STRUCT<sort_col, col0, ...>) its first field. */
static const Value *sort_key(const Value *item, bool structured)
{
    return structured && item->kind == TYPE_STRUCT && item->u.st.n > 0 ? &item->u.st.fields[0] : item;
}

/* Where key goes in descending items (after its equals); n if it ranks last. */
static int32_t rank_of(const Value *items, int32_t n, const Value *key, bool structured)
{
    int32_t lo = 0, hi = n;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (agg_compare(sort_key(&items[mid], structured), key) >= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void topk_offer(const AggCall *c, Value *state, const Value *v, bool distinct, bool structured,
                       Arena *a)
{
    const Value *key = sort_key(v, structured);
    if (v_is_null(key))
        return;
    int32_t k = agg_literal_int(c, 1), n;
    const Value *items = items_of(state, &n);
    int32_t pos = rank_of(items, n, key, structured);
    if (pos >= k)
        return;   /* full, and v is no larger than the last */
    if (distinct && pos > 0 && agg_compare(&items[pos - 1], v) == 0)
        return;
    *state = insert_at(a, items, n > k ? k : n, pos, v, k);
}

static void topk_step(const AggCall *c, Value *state, const Value *args, int64_t rowtime, int64_t offset,
                      Arena *a)
{
    topk_offer(c, state, &args[0], false, false, a);
}

/* TOPK(sort_col, col0, ..., k): the row's columns as one STRUCT item. */
static void topk_struct_step(const AggCall *c, Value *state, const Value *args, int64_t rowtime,
                             int64_t offset, Arena *a)
{
    if (v_is_null(&args[0]))
        return;
    Value item = agg_struct(a, c->nargs);
    for (int i = 0; i < c->nargs; i++)
        item.u.st.fields[i] = args[i];
    topk_offer(c, state, &item, false, true, a);
}

static void topkdistinct_step(const AggCall *c, Value *state, const Value *args, int64_t rowtime,
                              int64_t offset, Arena *a)
{
    topk_offer(c, state, &args[0], true, false, a);
}

/* Merges two descending lists into the k largest (distinct: equal heads once). */
static void topk_merge_with(const AggCall *c, Value *state, const Value *other, bool distinct,
                            bool structured, Arena *a)
{
    int32_t k = agg_literal_int(c, 1), n1, n2;
    const Value *x = items_of(state, &n1), *y = items_of(other, &n2);
    if (n2 == 0)
        return;
    int64_t total = (int64_t)n1 + n2;
    int32_t cap = total < k ? (int32_t)total : k;
    Value out = agg_array(a, cap);
    int32_t i = 0, j = 0, m = 0;
    while (m < cap && (i < n1 || j < n2)) {
        int cmp = i >= n1 ? -1 : j >= n2 ? 1
                : agg_compare(sort_key(&x[i], structured), sort_key(&y[j], structured));
        if (cmp == 0 && distinct) {
            out.u.arr.items[m++] = x[i++];
            j++;
        } else if (cmp >= 0) {
            out.u.arr.items[m++] = x[i++];
        } else {
            out.u.arr.items[m++] = y[j++];
        }
    }
    out.u.arr.n = m;
    *state = out;
}

static void topk_merge(const AggCall *c, Value *state, const Value *other, Arena *a)
{
    topk_merge_with(c, state, other, false, false, a);
}

static void topk_struct_merge(const AggCall *c, Value *state, const Value *other, Arena *a)
{
    topk_merge_with(c, state, other, false, true, a);
}

static void topkdistinct_merge(const AggCall *c, Value *state, const Value *other, Arena *a)
{
    topk_merge_with(c, state, other, true, false, a);
}

const AggFns agg_topk_fns = {empty_array_init, topk_step, NULL, topk_merge, array_result};
const AggFns agg_topk_struct_fns = {empty_array_init, topk_struct_step, NULL, topk_struct_merge,
                                    array_result};
const AggFns agg_topkdistinct_fns = {empty_array_init, topkdistinct_step, NULL, topkdistinct_merge,
                                     array_result};

/* ---- ATTR: ARRAY<STRUCT<VALUE T, COUNT INTEGER>> --------------------------------------------- */

static int32_t attr_count(const Value *entry)
{
    if (entry->kind != TYPE_STRUCT || entry->u.st.n != 2 || entry->u.st.fields[1].kind != TYPE_INT)
        return 0;
    return entry->u.st.fields[1].u.i32;
}

static const Value *attr_value(const Value *entry)
{
    static const Value null_value = {TYPE_NULL, {0}};
    return entry->kind == TYPE_STRUCT && entry->u.st.n == 2 ? &entry->u.st.fields[0] : &null_value;
}

static Value attr_entry(Arena *a, const Value *v, int32_t count)
{
    Value e = agg_struct(a, 2);
    e.u.st.fields[0] = *v;
    e.u.st.fields[1] = v_int(count);
    return e;
}

/* ksqlDB's update(): the value's count + delta, floored at 0; a new
 * entry only for a positive delta.  out is a new array with room for one
 * more entry. */
static void attr_update(Value *out, const Value *v, int32_t delta, Arena *a)
{
    for (int32_t i = 0; i < out->u.arr.n; i++) {
        if (value_equal(attr_value(&out->u.arr.items[i]), v)) {
            int64_t c = (int64_t)attr_count(&out->u.arr.items[i]) + delta;
            out->u.arr.items[i] = attr_entry(a, v, c < 0 ? 0 : c > INT32_MAX ? INT32_MAX : (int32_t)c);
            return;
        }
    }
    if (delta > 0)
        out->u.arr.items[out->u.arr.n++] = attr_entry(a, v, delta);
}

static Value attr_copy(const Value *state, int32_t extra, Arena *a)
{
    int32_t n;
    const Value *items = items_of(state, &n);
    Value out = agg_array(a, n + extra);
    if (n)
        memcpy(out.u.arr.items, items, sizeof(Value) * (size_t)n);
    out.u.arr.n = n;
    return out;
}

static void attr_step(const AggCall *c, Value *state, const Value *args, int64_t rowtime, int64_t offset,
                      Arena *a)
{
    Value out = attr_copy(state, 1, a);
    attr_update(&out, &args[0], 1, a);
    *state = out;
}

static void attr_undo(const AggCall *c, Value *state, const Value *args, Arena *a)
{
    Value out = attr_copy(state, 0, a);
    attr_update(&out, &args[0], -1, a);
    *state = out;
}

static void attr_merge(const AggCall *c, Value *state, const Value *other, Arena *a)
{
    int32_t on;
    const Value *oitems = items_of(other, &on);
    Value out = attr_copy(state, on, a);
    for (int32_t i = 0; i < on; i++)
        attr_update(&out, attr_value(&oitems[i]), attr_count(&oitems[i]), a);
    *state = out;
}

static void attr_result(const AggCall *c, const Value *state, Value *out, Arena *a)
{
    int32_t n, live = 0;
    const Value *items = items_of(state, &n), *only = NULL;
    for (int32_t i = 0; i < n; i++)
        if (attr_count(&items[i]) > 0) {
            live++;
            only = attr_value(&items[i]);
        }
    *out = live == 1 ? *only : v_null();
}

const AggFns agg_attr_fns = {empty_array_init, attr_step, attr_undo, attr_merge, attr_result};
