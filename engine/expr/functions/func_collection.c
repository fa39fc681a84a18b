/*
 * func_collection.c - the conditional, array and map functions of the
 * builtin registry (the table is in functions.c): COALESCE, IFNULL,
 * NULLIF, AS_VALUE; ARRAY_*, SLICE, GENERATE_SERIES; MAP_*, AS_MAP,
 * ENTRIES.
 *
 * In:  argument Values cast to the overload's parameter types; generic
 *      (T) arguments all share one type, chosen by func_resolve.
 * Out: a Value in ctx->arena or borrowed from the arguments (an element,
 *      a slice, a map's keys), or -1 with ctx->err set.
 *
 * Elements and keys compare as value_equal does (NULL equals NULL), so
 * ARRAY_DISTINCT keeps one NULL and a map built here never repeats a key.
 */
#include "func_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- NULL handling -------------------------------------------------- */

int fn_coalesce(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)ctx;
    for (int i = 0; i < n; i++)
        if (!v_is_null(&a[i])) {
            *out = a[i];
            return 0;
        }
    RETURN_NULL;
}

int fn_as_value(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n, (void)ctx;
    *out = a[0];
    return 0;
}

int fn_ifnull(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n, (void)ctx;
    *out = v_is_null(&a[0]) ? a[1] : a[0];
    return 0;
}

int fn_nullif(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n, (void)ctx;
    if (v_is_null(&a[0]) || (!v_is_null(&a[1]) && value_equal(&a[0], &a[1])))
        RETURN_NULL;
    *out = a[0];
    return 0;
}

/* ---- arrays ------------------------------------------------------------ */

/* A set of Values for DISTINCT-style functions: hashed with value_hash and
 * compared with value_equal (NULL equals NULL), in the arena. */
typedef struct VSet {
    const Value **slots;
    size_t cap, n;
} VSet;

static void vset_init(VSet *s, Arena *a, size_t expect)
{
    s->cap = 16;
    while (s->cap < expect * 2)
        s->cap *= 2;
    s->slots = arena_alloc(a, sizeof(Value *) * s->cap);
    s->n = 0;
}

/* Adds v (borrowed) unless present; returns true if it was added. */
static bool vset_add(VSet *s, const Value *v, bool insert)
{
    size_t mask = s->cap - 1;
    for (size_t i = value_hash(v) & mask;; i = (i + 1) & mask) {
        if (s->slots[i] == NULL) {
            if (insert) {
                s->slots[i] = v;
                s->n++;
            }
            return true;
        }
        if (value_equal(s->slots[i], v))
            return false;
    }
}

static bool vset_has(VSet *s, const Value *v)
{
    return !vset_add(s, v, false);
}

int fn_array_length(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n, (void)ctx;
    if (v_is_null(&a[0]))
        RETURN_NULL;
    *out = v_int(a[0].u.arr.n);
    return 0;
}

int fn_array_contains(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n, (void)ctx;
    *out = v_bool(false);
    if (v_is_null(&a[0]))
        return 0;
    for (int32_t i = 0; i < a[0].u.arr.n; i++)
        if (value_equal(&a[0].u.arr.items[i], &a[1])) {
            *out = v_bool(true);
            break;
        }
    return 0;
}

/* which: 0 distinct(a), 1 union(a, b), 2 intersect(a, b), 3 except(a, b) */
static int set_op(const Value *a, Value *out, FuncCtx *ctx, int which)
{
    if (v_is_null(&a[0]) || (which > 0 && v_is_null(&a[1])))
        RETURN_NULL;
    int32_t na = a[0].u.arr.n, nb = which > 0 ? a[1].u.arr.n : 0;
    VSet seen, other = {0};
    vset_init(&seen, ctx->arena, (size_t)na + (size_t)nb);
    if (which >= 2) {
        vset_init(&other, ctx->arena, (size_t)nb);
        for (int32_t i = 0; i < nb; i++)
            vset_add(&other, &a[1].u.arr.items[i], true);
    }
    VVec v = {.a = ctx->arena};
    for (int32_t i = 0; i < na; i++) {
        const Value *x = &a[0].u.arr.items[i];
        if (which == 2 && !vset_has(&other, x))
            continue;
        if (which == 3 && vset_has(&other, x))
            continue;
        if (vset_add(&seen, x, true))
            vv_push(&v, *x);
    }
    if (which == 1)
        for (int32_t i = 0; i < nb; i++)
            if (vset_add(&seen, &a[1].u.arr.items[i], true))
                vv_push(&v, a[1].u.arr.items[i]);
    *out = array_of(v.items, v.n);
    return 0;
}

int fn_array_distinct(const Value *a, int n, Value *out, FuncCtx *ctx) { (void)n; return set_op(a, out, ctx, 0); }
int fn_array_union(const Value *a, int n, Value *out, FuncCtx *ctx) { (void)n; return set_op(a, out, ctx, 1); }
int fn_array_intersect(const Value *a, int n, Value *out, FuncCtx *ctx) { (void)n; return set_op(a, out, ctx, 2); }
int fn_array_except(const Value *a, int n, Value *out, FuncCtx *ctx) { (void)n; return set_op(a, out, ctx, 3); }

int fn_array_concat(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    if (v_is_null(&a[0]) && v_is_null(&a[1]))
        RETURN_NULL;
    if (v_is_null(&a[0]) || v_is_null(&a[1])) {
        *out = v_is_null(&a[0]) ? a[1] : a[0];
        return 0;
    }
    int32_t na = a[0].u.arr.n, nb = a[1].u.arr.n;
    Value *items = arena_alloc(ctx->arena, sizeof(Value) * (size_t)(na + nb + 1));
    memcpy(items, a[0].u.arr.items, sizeof(Value) * (size_t)na);
    memcpy(items + na, a[1].u.arr.items, sizeof(Value) * (size_t)nb);
    *out = array_of(items, na + nb);
    return 0;
}

int fn_array_remove(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    if (v_is_null(&a[0]))
        RETURN_NULL;
    VVec v = {.a = ctx->arena};
    for (int32_t i = 0; i < a[0].u.arr.n; i++)
        if (!value_equal(&a[0].u.arr.items[i], &a[1]))
            vv_push(&v, a[0].u.arr.items[i]);
    *out = array_of(v.items, v.n);
    return 0;
}

static int extreme(const Value *a, Value *out, FuncCtx *ctx, int sign)
{
    if (v_is_null(&a[0]))
        RETURN_NULL;
    const Value *best = NULL;
    for (int32_t i = 0; i < a[0].u.arr.n; i++) {
        const Value *x = &a[0].u.arr.items[i];
        if (v_is_null(x))
            continue;
        bool ok = true;
        if (best == NULL || value_compare(x, best, &ok) * sign > 0)
            best = x;
        if (!ok)
            return func_fail(ctx, "array elements are not comparable");
    }
    *out = best ? *best : v_null();
    return 0;
}

int fn_array_max(const Value *a, int n, Value *out, FuncCtx *ctx) { (void)n; return extreme(a, out, ctx, 1); }
int fn_array_min(const Value *a, int n, Value *out, FuncCtx *ctx) { (void)n; return extreme(a, out, ctx, -1); }

/* Stable merge sort (NULLs last in both directions). */
static void msort(Value *v, Value *tmp, int32_t n, int dir)
{
    if (n < 2)
        return;
    int32_t h = n / 2;
    msort(v, tmp, h, dir);
    msort(v + h, tmp, n - h, dir);
    int32_t i = 0, j = h, k = 0;
    while (i < h && j < n) {
        bool take_right;
        if (v_is_null(&v[i]))
            take_right = !v_is_null(&v[j]);
        else if (v_is_null(&v[j]))
            take_right = false;
        else
            take_right = value_compare(&v[j], &v[i], NULL) * dir < 0;
        tmp[k++] = take_right ? v[j++] : v[i++];
    }
    while (i < h)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, sizeof(Value) * (size_t)n);
}

int fn_array_sort(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    if (v_is_null(&a[0]) || (n > 1 && v_is_null(&a[1])))
        RETURN_NULL;
    int dir = 1;
    if (n > 1) {
        const char *d = a[1].u.str.ptr;
        if (str_ieq(d, "DESC") || str_ieq(d, "DESCENDING"))
            dir = -1;
        else if (!str_ieq(d, "ASC") && !str_ieq(d, "ASCENDING"))
            RETURN_NULL;
    }
    int32_t len = a[0].u.arr.n;
    Value *items = arena_alloc(ctx->arena, sizeof(Value) * (size_t)(len + 1) * 2);
    memcpy(items, a[0].u.arr.items, sizeof(Value) * (size_t)len);
    msort(items, items + len + 1, len, dir);
    *out = array_of(items, len);
    return 0;
}

int fn_array_join(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    if (v_is_null(&a[0]))
        RETURN_NULL;
    const char *delim = ",";
    size_t dlen = 1;
    if (n > 1) {
        delim = v_is_null(&a[1]) ? "" : a[1].u.str.ptr;
        dlen = v_is_null(&a[1]) ? 0 : (size_t)a[1].u.str.len;
    }
    StrBuf *sb = func_scratch();
    for (int32_t i = 0; i < a[0].u.arr.n; i++) {
        if (i)
            sb_append(sb, delim, dlen);
        const Value *x = &a[0].u.arr.items[i];
        if (x->kind == TYPE_ARRAY || x->kind == TYPE_MAP || x->kind == TYPE_STRUCT) {
            return func_fail(ctx, "ARRAY_JOIN: only arrays of primitive types are supported");
        }
        value_format(x, sb);
        if (sb->len > 16 * 1024 * 1024) {
            return func_fail(ctx, "ARRAY_JOIN: result too large");
        }
    }
    *out = v_string(ctx->arena, sb->data ? sb->data : "", (int32_t)sb->len);
    return 0;
}

/* SLICE(array, from, to): 1-based, both ends included; NULL bounds mean the
 * array's ends; bounds outside the array give NULL (Java's subList). */
int fn_slice(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n, (void)ctx;
    if (v_is_null(&a[0]))
        RETURN_NULL;
    int64_t size = a[0].u.arr.n;
    int64_t start = v_is_null(&a[1]) ? 0 : (int64_t)a[1].u.i32 - 1;
    int64_t end = v_is_null(&a[2]) ? size : a[2].u.i32;
    if (start < 0 || end > size || start > end)
        RETURN_NULL;
    *out = array_of(a[0].u.arr.items + start, (int32_t)(end - start));
    return 0;
}

/* GENERATE_SERIES(start, end[, step]) for INT and BIGINT. */
int fn_generate_series(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    for (int i = 0; i < n; i++)
        if (v_is_null(&a[i]))
            RETURN_NULL;
    bool big = a[0].kind == TYPE_BIGINT;
    int64_t start = big ? a[0].u.i64 : a[0].u.i32, end = big ? a[1].u.i64 : a[1].u.i32;
    int64_t step = n > 2 ? a[2].u.i32 : (end > start ? 1 : -1);
    if (step == 0)
        return func_fail(ctx, "GENERATE_SERIES step cannot be zero");
    /* Differences computed in unsigned arithmetic: BIGINT ends may be far apart. */
    bool up = end >= start;
    uint64_t diff = up ? (uint64_t)end - (uint64_t)start : (uint64_t)start - (uint64_t)end;
    if (diff != 0 && (up != (step > 0)))
        return func_fail(ctx, "GENERATE_SERIES step has wrong sign");
    uint64_t astep = step > 0 ? (uint64_t)step : (uint64_t)-step;
    if (diff / astep >= 1000000)
        return func_fail(ctx, "GENERATE_SERIES would produce more than 1000000 elements");
    uint64_t count = diff / astep + 1;
    Value *items = arena_alloc(ctx->arena, sizeof(Value) * (size_t)count);
    int64_t val = start;
    for (uint64_t i = 0; i < count; i++) {
        items[i] = big ? v_bigint(val) : v_int((int32_t)val);
        val = (int64_t)((uint64_t)val + (uint64_t)step);
    }
    *out = array_of(items, (int32_t)count);
    return 0;
}

/* ---- maps -------------------------------------------------------------- */

int fn_map_keys(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n, (void)ctx;
    if (v_is_null(&a[0]))
        RETURN_NULL;
    *out = array_of(a[0].u.map.keys, a[0].u.map.n);
    return 0;
}

int fn_map_values(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n, (void)ctx;
    if (v_is_null(&a[0]))
        RETURN_NULL;
    *out = array_of(a[0].u.map.vals, a[0].u.map.n);
    return 0;
}

int fn_map_union(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    if (v_is_null(&a[0]) && v_is_null(&a[1]))
        RETURN_NULL;
    VVec keys = {.a = ctx->arena}, vals = {.a = ctx->arena};
    for (int m = 0; m < 2; m++)
        if (!v_is_null(&a[m]))
            for (int32_t i = 0; i < a[m].u.map.n; i++)
                map_put(&keys, &vals, &a[m].u.map.keys[i], &a[m].u.map.vals[i]);
    *out = map_of(keys.items, vals.items, keys.n);
    return 0;
}

/* AS_MAP(keys, values): pairs by position; missing values are NULL, NULL
 * keys are skipped, a repeated key keeps its last value. */
int fn_as_map(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    if (v_is_null(&a[0]) || v_is_null(&a[1]))
        RETURN_NULL;
    VVec keys = {.a = ctx->arena}, vals = {.a = ctx->arena};
    Value nul = v_null();
    for (int32_t i = 0; i < a[0].u.arr.n; i++) {
        if (v_is_null(&a[0].u.arr.items[i]))
            continue;
        map_put(&keys, &vals, &a[0].u.arr.items[i], i < a[1].u.arr.n ? &a[1].u.arr.items[i] : &nul);
    }
    *out = map_of(keys.items, vals.items, keys.n);
    return 0;
}

/* ENTRIES(map, sorted): ARRAY<STRUCT<K STRING, V T>>. */
int fn_entries(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    if (v_is_null(&a[0]) || v_is_null(&a[1]))
        RETURN_NULL;
    int32_t len = a[0].u.map.n;
    int32_t *order = arena_alloc(ctx->arena, sizeof(int32_t) * (size_t)(len + 1));
    for (int32_t i = 0; i < len; i++)
        order[i] = i;
    if (a[1].u.b) {
        /* insertion sort by key: maps are small */
        for (int32_t i = 1; i < len; i++) {
            int32_t k = order[i], j = i - 1;
            while (j >= 0 && value_compare(&a[0].u.map.keys[order[j]], &a[0].u.map.keys[k], NULL) > 0) {
                order[j + 1] = order[j];
                j--;
            }
            order[j + 1] = k;
        }
    }
    Value *items = arena_alloc(ctx->arena, sizeof(Value) * (size_t)(len + 1));
    for (int32_t i = 0; i < len; i++) {
        Value *f = arena_alloc(ctx->arena, sizeof(Value) * 2);
        f[0] = a[0].u.map.keys[order[i]];
        f[1] = a[0].u.map.vals[order[i]];
        items[i].kind = TYPE_STRUCT;
        items[i].u.st.fields = f;
        items[i].u.st.n = 2;
    }
    *out = array_of(items, len);
    return 0;
}
