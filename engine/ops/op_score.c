/*
 * op_score.c - SCORE: the outputs of PREDICT(model, feature, ...) and
 * MODEL_VERSION(model), a poll batch at a time.
 *
 * In:  rows of the node below (the source or join, a REKEY, an AGGREGATE).
 * Out: the same rows in the same order, cut to the input's nbase columns
 *      and followed by one hidden column per ScoreCall (plan.h), pushed on
 *      when the batch ends (batch_end), not as they come.
 *
 * A row's features are evaluated when it arrives, into one row-major
 * matrix per PREDICT call; at the batch's end each call makes one
 * model_predict over the whole matrix (libxgboost scores a batch much
 * faster than row by row), then every row goes on.  A table's change
 * carries the row it replaces (Row.prior): that one is scored too, so a
 * filter on a score can retract it.  A deleted row (tombstone) is not
 * scored: its hidden columns are NULL.
 *
 * Which version scores: the one the query uses now (QueryModelUse), looked
 * up at the batch's end.  The engine switches versions only between polls,
 * so a batch is scored by one version, and MODEL_VERSION says which.
 *
 * Values: a NULL feature is NaN, which xgboost takes as missing (the
 * split's default direction); DECIMAL is converted to DOUBLE.  An output
 * NaN (a LINEAR model given a missing feature) is NULL; an infinite one
 * stays a DOUBLE, as the model gave it.  A model that fails on a batch
 * (libxgboost's error) leaves that batch's outputs NULL and counts one
 * expression error per row, as a function that fails on a row does.
 *
 * Memory: the waiting rows live in the batch arena, which the runtime
 * resets only after batch_end.  Rows built in the batch arena from the
 * record (a source's) are kept as they are; others (a join's or an
 * aggregate's output may point into their operators' reused buffers) are
 * copied into it.  The row and feature buffers are kept and reused.
 */
#include "eddy/engine/analyze.h"
#include "op_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct ScoreOp {
    Operator base;
    Row *rows;                    /* waiting, in arrival order */
    int nrows, caprows;
    Value **slots;                /* hidden columns of each scored row (rows' and priors') */
    int nslots, capslots;
    double **x;                   /* per call: capslots * nfeatures (NULL for MODEL_VERSION) */
    double *y;                    /* one call's outputs */
    size_t capy;
} ScoreOp;

static void *grow(void *p, size_t n, size_t size)
{
    void *q = realloc(p, n * size);
    if (q == NULL)
        EDDY_PANIC("out of memory");
    return q;
}

static double feature_value(const Value *v)
{
    switch (v->kind) {
    case TYPE_INT: return v->u.i32;
    case TYPE_BIGINT: return (double)v->u.i64;
    case TYPE_DOUBLE: return v->u.d;
    case TYPE_DECIMAL: {
        double scale = 1;
        for (int i = 0; i < v->u.dec.scale; i++)
            scale *= 10;
        return (double)v->u.dec.unscaled / scale;
    }
    default:
        return NAN;   /* NULL: missing */
    }
}

/* A slot for one more scored row: its features evaluated over src. */
static void add_slot(ScoreOp *s, const Row *src, Value *hidden)
{
    const Plan *p = s->base.plan;
    if (s->nslots == s->capslots) {
        s->capslots = s->capslots ? s->capslots * 2 : 512;
        s->slots = grow(s->slots, (size_t)s->capslots, sizeof(Value *));
        for (int c = 0; c < p->u.score.ncalls; c++)
            if (!p->u.score.calls[c].version)
                s->x[c] = grow(s->x[c], (size_t)s->capslots * (size_t)p->u.score.calls[c].nfeatures,
                               sizeof(double));
    }
    EvalCtx *ev = &s->base.ctx->eval;
    for (int c = 0; c < p->u.score.ncalls; c++) {
        const ScoreCall *call = &p->u.score.calls[c];
        if (call->version)
            continue;
        double *x = s->x[c] + (size_t)s->nslots * (size_t)call->nfeatures;
        for (int j = 0; j < call->nfeatures; j++) {
            Value v;
            expr_eval(call->features[j], src, ev, &v);
            x[j] = feature_value(&v);
        }
    }
    s->slots[s->nslots++] = hidden;
}

/* src's columns cut (or padded) to nbase, then the hidden ones (NULL until
 * the batch ends), in the batch arena; a live row gets a slot. */
static Value *widen(ScoreOp *s, const Row *src)
{
    const Plan *p = s->base.plan;
    Arena *a = s->base.ctx->eval.arena;
    int nb = p->u.score.nbase, n = nb + p->u.score.ncalls;
    Value *cols = arena_alloc(a, sizeof(Value) * (size_t)n);
    int have = src->ncols < nb ? src->ncols : nb;
    if (p->u.score.copy_rows)
        for (int i = 0; i < have; i++)
            cols[i] = value_copy(a, &src->cols[i]);
    else
        memcpy(cols, src->cols, sizeof(Value) * (size_t)have);
    for (int i = have; i < n; i++)
        cols[i] = v_null();
    if (!src->tombstone)
        add_slot(s, src, cols + nb);
    return cols;
}

static int score_push(Operator *op, Row *row, EddyError *err)
{
    ScoreOp *s = (ScoreOp *)op;
    (void)err;
    if (s->nrows == s->caprows) {
        s->caprows = s->caprows ? s->caprows * 2 : 512;
        s->rows = grow(s->rows, (size_t)s->caprows, sizeof(Row));
    }
    int n = op->plan->u.score.nbase + op->plan->u.score.ncalls;
    Row *r = &s->rows[s->nrows++];
    *r = *row;
    r->cols = widen(s, row);
    r->ncols = n;
    if (row->prior) {
        Row *pr = arena_alloc(op->ctx->eval.arena, sizeof *pr);
        *pr = *row->prior;
        pr->cols = widen(s, row->prior);
        pr->ncols = n;
        r->prior = pr;
    }
    return 0;
}

/* One call's outputs into the rows' hidden column c. */
static void fill_outputs(ScoreOp *s, int c, int nout)
{
    Arena *a = s->base.ctx->eval.arena;
    for (int k = 0; k < s->nslots; k++) {
        const double *y = s->y + (size_t)k * (size_t)nout;
        Value *v = &s->slots[k][c];
        if (nout == 1) {
            *v = isnan(y[0]) ? v_null() : v_double(y[0]);
            continue;
        }
        Value *items = arena_alloc(a, sizeof(Value) * (size_t)nout);
        for (int j = 0; j < nout; j++)
            items[j] = isnan(y[j]) ? v_null() : v_double(y[j]);
        v->kind = TYPE_ARRAY;
        v->u.arr.items = items;
        v->u.arr.n = nout;
    }
}

/* Scores every slot with call c's model; a failure leaves NULLs, counted. */
static int score_call(ScoreOp *s, int c, EddyError *err)
{
    const ScoreCall *call = &s->base.plan->u.score.calls[c];
    const QueryModelUse *use = query_model_use(s->base.ctx->query, call->model);
    if (use == NULL || use->version == NULL || use->version->model == NULL)
        return eddy_error(err, ERR_INTERNAL, (SrcPos){0}, "query %s has no loaded version of model %s",
                          s->base.ctx->query_id, call->model->name);
    if (call->version) {
        for (int k = 0; k < s->nslots; k++)
            s->slots[k][c] = v_int(use->version->version);
        return 0;
    }
    int nout = use->version->num_outputs;
    if ((nout > 1) != (call->type->kind == TYPE_ARRAY))
        return eddy_error(err, ERR_INTERNAL, (SrcPos){0},
                          "model %s version %d has %d outputs, which %s cannot hold",
                          call->model->name, use->version->version, nout, call->text);
    size_t need = (size_t)s->nslots * (size_t)nout;
    if (need > s->capy) {
        s->capy = need;
        s->y = grow(s->y, need, sizeof(double));
    }
    EddyError perr;
    EvalCtx *ev = &s->base.ctx->eval;
    if (model_predict(use->version->model, s->x[c], (size_t)s->nslots, (size_t)call->nfeatures, s->y,
                      &perr) != 0) {
        ev->errors += s->nslots;
        eddy_error(&ev->last_error, ERR_RUNTIME, (SrcPos){0}, "%s: model %s version %d: %s",
                   call->text, call->model->name, use->version->version, perr.msg);
        return 0;
    }
    fill_outputs(s, c, nout);
    return 0;
}

static int score_batch_end(Operator *op, EddyError *err)
{
    ScoreOp *s = (ScoreOp *)op;
    int rc = 0;
    for (int c = 0; c < op->plan->u.score.ncalls && rc == 0 && s->nslots > 0; c++)
        rc = score_call(s, c, err);
    for (int i = 0; i < s->nrows && rc == 0; i++)
        rc = op_push(op->downstream, &s->rows[i], err);
    s->nrows = 0;
    s->nslots = 0;
    return rc;
}

static void score_close(Operator *op)
{
    ScoreOp *s = (ScoreOp *)op;
    for (int c = 0; c < op->plan->u.score.ncalls; c++)
        free(s->x[c]);
    free(s->x);
    free(s->rows);
    free(s->slots);
    free(s->y);
    free(s);
}

static const OperatorOps score_ops = {
    .name = "score",
    .push = score_push,
    .advance = op_generic_advance,
    .flush = op_generic_flush,
    .batch_end = score_batch_end,
    .close = score_close,
};

Operator *op_score_create(const Plan *p, OpCtx *ctx)
{
    ScoreOp *s = (ScoreOp *)op_alloc(sizeof(ScoreOp), &score_ops, p, ctx);
    s->x = calloc((size_t)p->u.score.ncalls, sizeof(double *));
    if (s->x == NULL)
        EDDY_PANIC("out of memory");
    return &s->base;
}
