/*
 * expr_lambda.c - evaluates the lambda functions TRANSFORM, FILTER and
 * REDUCE (BX_LAMBDA_CALL, bound by plan/bind_lambda.c).
 *
 * A lambda's parameters are slots of EvalCtx.vars: the call sets them for
 * each element (or map entry, after REDUCE's state) and evaluates the body,
 * which reads them as BX_LAMBDA_VAR.  Nested lambdas have slots of their
 * own, so an inner call never overwrites what its outer body still reads.
 *
 * NULLs, as ksqlDB's implementations (Transform, Filter, Reduce) give
 * them: a NULL collection gives NULL (REDUCE: its initial state); a NULL
 * initial state gives NULL; NULL elements go through the lambda like any
 * other.  Where ksqlDB's Java fails on a row, the result is NULL and the
 * row's error is counted, as for any expression error: a FILTER lambda that
 * is NULL for an element (Java unboxes it), a map result with a NULL value
 * or a repeated key (Collectors.toMap refuses both), and here also a NULL
 * key (a map key cannot be NULL in eddy's formats).  Map results keep
 * their input order.
 *
 * REDUCE over a map folds its entries in the order ksqlDB's does: a Java
 * HashMap's iteration order (see java_order below), so a lambda whose
 * result depends on the order (ksqlDB's reduce-map.json "reduce map with
 * double") gives ksqlDB's answer.
 */
#include "expr_int.h"

#include <stdio.h>
#include <stdlib.h>

static Value fail(const BExpr *e, EvalCtx *ctx, const char *why)
{
    ctx->errors++;
    eddy_error(&ctx->last_error, ERR_RUNTIME, e->pos, "%s: %s",
               e->u.lambda.fn == LAMBDA_TRANSFORM ? "TRANSFORM"
               : e->u.lambda.fn == LAMBDA_FILTER  ? "FILTER"
                                                   : "REDUCE",
               why);
    return v_null();
}

static Value body(const BExpr *b, const Row *row, EvalCtx *ctx)
{
    Value v;
    expr_eval(b, row, ctx, &v);
    return v;
}

static Value over_array(const BExpr *e, const Value *c, const Row *row, EvalCtx *ctx)
{
    int slot = e->u.lambda.slot, n = c->u.arr.n;
    Value *vars = ctx->vars;
    Value out;
    out.kind = TYPE_ARRAY;
    out.u.arr.n = 0;
    out.u.arr.items = arena_alloc(ctx->arena, sizeof(Value) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        vars[slot] = c->u.arr.items[i];
        Value r = body(e->u.lambda.body[0], row, ctx);
        if (e->u.lambda.fn == LAMBDA_TRANSFORM) {
            out.u.arr.items[out.u.arr.n++] = r;
            continue;
        }
        if (r.kind == TYPE_NULL)
            return fail(e, ctx, "the lambda is NULL for an element (it must be TRUE or FALSE)");
        if (r.u.b)
            out.u.arr.items[out.u.arr.n++] = c->u.arr.items[i];
    }
    return out;
}

/* Adds k -> v to out (room for it allocated); -1 with why on a NULL or a
 * repeated key, or a NULL value. */
static int put_entry(Value *out, const Value *k, const Value *v, const char **why)
{
    if (k->kind == TYPE_NULL) {
        *why = "a map key is NULL";
        return -1;
    }
    if (v->kind == TYPE_NULL) {
        *why = "a map value is NULL";
        return -1;
    }
    for (int32_t j = 0; j < out->u.map.n; j++)
        if (value_equal(&out->u.map.keys[j], k)) {
            *why = "two entries have the same key";
            return -1;
        }
    out->u.map.keys[out->u.map.n] = *k;
    out->u.map.vals[out->u.map.n] = *v;
    out->u.map.n++;
    return 0;
}

static Value over_map(const BExpr *e, const Value *c, const Row *row, EvalCtx *ctx)
{
    int slot = e->u.lambda.slot, n = c->u.map.n;
    Value *vars = ctx->vars;
    Value out;
    out.kind = TYPE_MAP;
    out.u.map.n = 0;
    out.u.map.keys = arena_alloc(ctx->arena, sizeof(Value) * (size_t)(n + 1));
    out.u.map.vals = arena_alloc(ctx->arena, sizeof(Value) * (size_t)(n + 1));
    const char *why = NULL;
    for (int i = 0; i < n; i++) {
        vars[slot] = c->u.map.keys[i];
        vars[slot + 1] = c->u.map.vals[i];
        if (e->u.lambda.fn == LAMBDA_TRANSFORM) {
            Value k = body(e->u.lambda.body[0], row, ctx);
            vars[slot] = c->u.map.keys[i];   /* the key lambda may hold a nested call: reset */
            vars[slot + 1] = c->u.map.vals[i];
            Value v = body(e->u.lambda.body[1], row, ctx);
            if (put_entry(&out, &k, &v, &why) != 0)
                return fail(e, ctx, why);
            continue;
        }
        Value keep = body(e->u.lambda.body[0], row, ctx);
        if (keep.kind == TYPE_NULL)
            return fail(e, ctx, "the lambda is NULL for an entry (it must be TRUE or FALSE)");
        if (keep.u.b && put_entry(&out, &c->u.map.keys[i], &c->u.map.vals[i], &why) != 0)
            return fail(e, ctx, why);
    }
    return out;
}

/* Java's hashCode of a map key: String's over its UTF-16 code units,
 * Integer's, Long's, Boolean's.  false for other kinds (no emulation). */
static bool java_hash(const Value *k, uint32_t *out)
{
    uint32_t h = 0;
    switch (k->kind) {
    case TYPE_STRING: {
        const char *p = k->u.str.ptr;
        size_t n = (size_t)k->u.str.len;
        while (n > 0) {
            size_t len = utf8_seq_len(p, n);
            if (len == 0)
                return false;
            const unsigned char *u = (const unsigned char *)p;
            uint32_t cp = len == 1 ? u[0]
                        : len == 2 ? (uint32_t)(u[0] & 0x1F) << 6 | (u[1] & 0x3F)
                        : len == 3 ? (uint32_t)(u[0] & 0x0F) << 12 | (uint32_t)(u[1] & 0x3F) << 6 | (u[2] & 0x3F)
                                   : (uint32_t)(u[0] & 0x07) << 18 | (uint32_t)(u[1] & 0x3F) << 12 |
                                         (uint32_t)(u[2] & 0x3F) << 6 | (u[3] & 0x3F);
            if (cp >= 0x10000) {   /* a surrogate pair */
                cp -= 0x10000;
                h = h * 31 + (0xD800 + (cp >> 10));
                h = h * 31 + (0xDC00 + (cp & 0x3FF));
            } else {
                h = h * 31 + cp;
            }
            p += len;
            n -= len;
        }
        break;
    }
    case TYPE_INT: h = (uint32_t)k->u.i32; break;
    case TYPE_BIGINT: h = (uint32_t)((uint64_t)k->u.i64 ^ ((uint64_t)k->u.i64 >> 32)); break;
    case TYPE_BOOLEAN: h = k->u.b ? 1231 : 1237; break;
    default: return false;
    }
    *out = h;
    return true;
}

typedef struct JavaSlot {
    uint32_t bucket, src_bucket;
    int index;
} JavaSlot;

static int cmp_slot(const void *a, const void *b)
{
    const JavaSlot *x = a, *y = b;
    if (x->bucket != y->bucket)
        return x->bucket < y->bucket ? -1 : 1;
    if (x->src_bucket != y->src_bucket)
        return x->src_bucket < y->src_bucket ? -1 : 1;
    return x->index - y->index;
}

/* The order a map's n entries would come out of the java.util.HashMap
 * ksqlDB's lambda receives: a copy sized for n entries (its table
 * tableSizeFor(n / 0.75 + 1)) of the deserialized map (a default one:
 * 16 slots, doubled while more than 3/4 full), filled in that map's
 * order.  So: by bucket (spread hash & (size - 1)) in the copy, then in
 * the original, then in arrival order.  NULL when a key's kind has no
 * emulated hash (the entries then go in arrival order). */
static int *java_order(const Value *map, Arena *a)
{
    int n = map->u.map.n;
    uint32_t want = (uint32_t)((float)n / 0.75f + 1.0f), size = 1, src = 16;
    while (size < want)
        size <<= 1;
    while ((uint32_t)n > src / 4 * 3)
        src <<= 1;
    JavaSlot *slots = arena_alloc(a, sizeof(JavaSlot) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        uint32_t h;
        if (!java_hash(&map->u.map.keys[i], &h))
            return NULL;
        h ^= h >> 16;   /* HashMap.hash's spread */
        slots[i] = (JavaSlot){h & (size - 1), h & (src - 1), i};
    }
    qsort(slots, (size_t)n, sizeof slots[0], cmp_slot);
    int *order = arena_alloc(a, sizeof(int) * (size_t)(n + 1));
    for (int i = 0; i < n; i++)
        order[i] = slots[i].index;
    return order;
}

static Value reduce(const BExpr *e, const Value *c, const Row *row, EvalCtx *ctx)
{
    Value state = body(e->u.lambda.init, row, ctx);
    if (state.kind == TYPE_NULL || c->kind == TYPE_NULL)
        return state;
    int slot = e->u.lambda.slot;
    Value *vars = ctx->vars;
    int n = c->kind == TYPE_MAP ? c->u.map.n : c->u.arr.n;
    const int *order = c->kind == TYPE_MAP ? java_order(c, ctx->arena) : NULL;
    for (int i = 0; i < n; i++) {
        vars[slot] = state;
        if (c->kind == TYPE_MAP) {
            int j = order ? order[i] : i;
            vars[slot + 1] = c->u.map.keys[j];
            vars[slot + 2] = c->u.map.vals[j];
        } else {
            vars[slot + 1] = c->u.arr.items[i];
        }
        state = body(e->u.lambda.body[0], row, ctx);
    }
    return state;
}

Value expr_eval_lambda(const BExpr *e, const Row *row, EvalCtx *ctx)
{
    Value c = body(e->u.lambda.coll, row, ctx);
    if (e->u.lambda.fn == LAMBDA_REDUCE)
        return reduce(e, &c, row, ctx);
    if (c.kind == TYPE_NULL)
        return c;
    return c.kind == TYPE_MAP ? over_map(e, &c, row, ctx) : over_array(e, &c, row, ctx);
}
