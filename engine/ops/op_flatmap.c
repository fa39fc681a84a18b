/*
 * op_flatmap.c - table functions (FLATMAP node): one input row becomes
 * zero or more rows, each the input's columns plus one value per call.
 *
 * EXPLODE(array): one row per element; a NULL or empty array gives none.
 * CUBE_EXPLODE(array): every combination of the elements, each kept or
 * NULL, in ksqlDB's order (the combination numbers 0 .. 2^n - 1, the first
 * element the most significant bit); a NULL element has only the NULL
 * choice, so its duplicates are skipped; a NULL array gives no rows, an
 * empty one a single empty array.  More than CUBE_MAX_ELEMENTS elements
 * is a per-row error: the row is dropped and counted, as ksqlDB drops a
 * row whose table function throws.  ksqlDB has no such bound (it runs out
 * of memory); eddy's keeps one record's rows to 4,096: at 20 elements a
 * single record made a million rows, 2 GB and 10 s of work.
 *
 * Several calls are zipped: as many rows as the longest result, the
 * others NULL past their end.  The output rows live in the batch arena,
 * like the input's; the prior row of a changelog is not carried (table
 * functions only run over streams).
 */
#include "op_int.h"

#define CUBE_MAX_ELEMENTS 12

/* The rows call i gives for v: *items[0..*n). */
static int cube_rows(const Value *v, Arena *a, Value **items, int *n, EvalCtx *ev, const BExpr *at)
{
    int k = v->u.arr.n;
    if (k > CUBE_MAX_ELEMENTS) {
        ev->errors++;
        eddy_error(&ev->last_error, ERR_RUNTIME, at->pos,
                   "CUBE_EXPLODE input size (%d) exceeds the maximum of %d elements: it would give 2^%d rows",
                   k, CUBE_MAX_ELEMENTS, k);
        return -1;
    }
    uint32_t present = 0;   /* bit k-1-j: element j is not NULL */
    for (int j = 0; j < k; j++)
        if (v->u.arr.items[j].kind != TYPE_NULL)
            present |= 1u << (k - 1 - j);
    uint32_t total = 1u << k;
    Value *out = arena_alloc(a, sizeof(Value) * (size_t)total);
    int m = 0;
    for (uint32_t mask = 0; mask < total; mask++) {
        if ((mask & present) != mask)
            continue;   /* would repeat a row: a NULL element kept is still NULL */
        Value row;
        row.kind = TYPE_ARRAY;
        row.u.arr.n = k;
        row.u.arr.items = arena_alloc(a, sizeof(Value) * (size_t)(k + 1));
        for (int j = 0; j < k; j++)
            row.u.arr.items[j] = mask & (1u << (k - 1 - j)) ? v->u.arr.items[j] : v_null();
        out[m++] = row;
    }
    *items = out;
    *n = m;
    return 0;
}

static int flatmap_push(Operator *op, Row *row, EddyError *err)
{
    if (row->tombstone)
        return 0;
    const Plan *p = op->plan;
    int nfn = p->u.flatmap.n, nbase = p->u.flatmap.nbase;
    EvalCtx *ev = &op->ctx->eval;
    Arena *a = ev->arena;
    Value **items = arena_alloc(a, sizeof(Value *) * (size_t)nfn);
    int *counts = arena_alloc(a, sizeof(int) * (size_t)nfn);
    int rows = 0;
    for (int i = 0; i < nfn; i++) {
        Value v;
        expr_eval(p->u.flatmap.args[i], row, ev, &v);
        items[i] = NULL;
        counts[i] = 0;
        if (v.kind == TYPE_NULL)
            continue;
        if (!p->u.flatmap.cube[i]) {
            items[i] = v.u.arr.items;
            counts[i] = v.u.arr.n;
        } else if (cube_rows(&v, a, &items[i], &counts[i], ev, p->u.flatmap.args[i]) != 0) {
            return 0;
        }
        if (counts[i] > rows)
            rows = counts[i];
    }
    for (int r = 0; r < rows; r++) {
        Row out = *row;
        out.prior = NULL;
        out.ncols = nbase + nfn;
        out.cols = arena_alloc(a, sizeof(Value) * (size_t)(nbase + nfn));
        for (int c = 0; c < nbase && c < row->ncols; c++)
            out.cols[c] = row->cols[c];
        for (int c = row->ncols; c < nbase; c++)
            out.cols[c] = v_null();
        for (int i = 0; i < nfn; i++)
            out.cols[nbase + i] = r < counts[i] ? items[i][r] : v_null();
        if (op_push(op->downstream, &out, err) != 0)
            return -1;
    }
    return 0;
}

static const OperatorOps flatmap_ops = {
    .name = "flatmap",
    .push = flatmap_push,
    .advance = op_generic_advance,
    .flush = op_generic_flush,
    .close = op_generic_close,
};

Operator *op_flatmap_create(const Plan *p, OpCtx *ctx)
{
    return op_alloc(sizeof(Operator), &flatmap_ops, p, ctx);
}
