/*
 * pull.c - pull queries: SELECT ... FROM table [WHERE ...] without EMIT
 * CHANGES, answered at once from the table's materialised rows (the store
 * "materialized" of the CREATE TABLE AS SELECT query that writes it).
 *
 * WHERE key = literal (or key IN (literals)) on a single-key table is a
 * point lookup (a prefix scan of the key's windows for a windowed table);
 * any other WHERE, on value columns or window bounds, is a scan of the
 * whole table.  Either way the whole WHERE is evaluated on every
 * candidate row, so the lookup is only a shortcut; LIMIT n stops either
 * after n rows.  Window bounds may be epoch milliseconds or ISO-8601 text
 * (WINDOWSTART >= '2023-01-01T05:00'), which binding (engine/plan/bind.c) turns into BIGINT.
 */
#include "engine_int.h"
#include "eddy/codec.h"
#include "eddy/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Pull {
    Engine *e;
    const CatSource *table;
    const BExpr *pred;            /* NULL = every row */
    const Plan *project;
    Arena *arena;
    EvalCtx ev;
    int64_t rows;
    int64_t limit;                /* LIMIT n, or -1 */
    char qid[300];                /* the id its JSON rows carry (out.row_json) */
} Pull;

static bool pull_full(const Pull *p)
{
    return p->limit >= 0 && p->rows >= p->limit;
}

/* Decodes one materialised entry into a row of the table's schema. */
static int decode_entry(Pull *p, const void *k, size_t kl, const void *v, size_t vl, Row *row,
                        EddyError *err)
{
    const Schema *s = p->table->schema;
    int nk = s->nkeys, nv = s->ncols - s->nkeys;
    row->ncols = s->ncols;
    row->cols = arena_alloc(p->arena, sizeof(Value) * (size_t)(s->ncols + 1));
    size_t used;
    if (keycodec_decode_prefix(k, kl, row->cols, nk, &used, p->arena, err) != 0)
        return -1;
    Value *vals = arena_alloc(p->arena, sizeof(Value) * (size_t)(nv + 4));
    int n = 0;
    if (rowcodec_decode(v, vl, vals, nv + 3, &n, p->arena, err) != 0 || n != nv + 3)
        return eddy_error(err, ERR_INTERNAL, (SrcPos){0}, "a materialised row of %s is malformed",
                          p->table->name);
    row->rowtime = vals[0].u.i64;
    row->window_start = vals[1].u.i64;
    row->window_end = vals[2].u.i64;
    memcpy(row->cols + nk, vals + 3, sizeof(Value) * (size_t)nv);
    row->partition = -1;
    row->offset = -1;
    return 0;
}

static void emit_row(Pull *p, const Row *row)
{
    if (pull_full(p) || (p->pred && !expr_eval_pred(p->pred, row, &p->ev)))
        return;
    const Plan *pr = p->project;
    int n = pr->u.project.n;
    const char *cells[256];
    StrBuf bufs[256];
    Value vals[256];
    vals[0].kind = TYPE_NULL;   /* n may be 0; GCC cannot tell the array is read only below n */
    if (n > 256)
        n = 256;
    for (int i = 0; i < n; i++) {
        expr_eval(pr->u.project.exprs[i], row, &p->ev, &vals[i]);
        sb_init(&bufs[i]);
        value_format(&vals[i], &bufs[i]);
        cells[i] = bufs[i].data ? bufs[i].data : "";
    }
    engine_json_row(p->e, p->qid, pr->schema, vals, n);
    if (p->e->out.row)
        p->e->out.row(p->e->out.ud, cells, n, false);
    for (int i = 0; i < n; i++)
        sb_free(&bufs[i]);
    p->rows++;
}

/* Scans [lo, hi) of the store (NULL lo: everything).  A scan that stops
 * on a read error fails the query: its answer would lack rows. */
static int scan(Pull *p, Store *st, const void *lo, size_t lolen, const void *hi, size_t hilen,
                EddyError *err)
{
    StoreIter *it = store_iter(st, lo, lolen, hi, hilen);
    const void *k, *v;
    size_t kl, vl;
    int rc = 0;
    while (rc == 0 && !pull_full(p) && store_iter_next(it, &k, &kl, &v, &vl)) {
        Row row = {0};
        if ((rc = decode_entry(p, k, kl, v, vl, &row, err)) == 0)
            emit_row(p, &row);
    }
    EddyError rerr;
    eddy_error_clear(&rerr);
    if (rc == 0 && store_iter_error(it, &rerr) != 0)
        rc = eddy_error(err, ERR_IO, (SrcPos){0}, "cannot read state store %s: %s", store_name(st),
                        rerr.msg);
    store_iter_close(it);
    return rc;
}

/* Can e be evaluated before any row is read?  Literals and expressions of
 * them; anything naming a column (or a pseudo column, which the empty row
 * of the lookup would not hold) is not, and leaves the query a scan. */
static bool is_constant(const AstExpr *e)
{
    switch (e->kind) {
    case EXPR_NULL: case EXPR_BOOL: case EXPR_INT: case EXPR_DECIMAL: case EXPR_DOUBLE:
    case EXPR_STRING:
        return true;
    case EXPR_UNARY:
        return is_constant(e->u.unary.a);
    case EXPR_BINARY:
        return is_constant(e->u.binary.a) && is_constant(e->u.binary.b);
    case EXPR_CAST:
        return is_constant(e->u.cast.a);
    case EXPR_FUNC:
        if (e->u.func.star)
            return false;
        for (int i = 0; i < e->u.func.args.n; i++)
            if (!is_constant(e->u.func.args.items[i]))
                return false;
        return true;
    default:
        return false;
    }
}

/* The literals a top-level conjunct pins the (single) key column to:
 * KEY = lit, lit = KEY or KEY IN (lits).  Returns the count, -1 if none. */
static int key_literals(const AstExpr *w, const char *key, const AstExpr **lits, int max)
{
    if (w == NULL)
        return -1;
    if (w->kind == EXPR_BINARY && w->u.binary.op == OP_AND) {
        int n = key_literals(w->u.binary.a, key, lits, max);
        return n >= 0 ? n : key_literals(w->u.binary.b, key, lits, max);
    }
    if (w->kind == EXPR_BINARY && w->u.binary.op == OP_EQ) {
        const AstExpr *a = w->u.binary.a, *b = w->u.binary.b;
        if (b->kind == EXPR_COLUMN) {
            const AstExpr *t = a;
            a = b;
            b = t;
        }
        if (a->kind == EXPR_COLUMN && strcmp(a->u.col.name, key) == 0 && is_constant(b) && max > 0) {
            lits[0] = b;
            return 1;
        }
    }
    if (w->kind == EXPR_IN && !w->u.in.negated && w->u.in.a->kind == EXPR_COLUMN &&
        strcmp(w->u.in.a->u.col.name, key) == 0 && w->u.in.list.n <= max) {
        for (int i = 0; i < w->u.in.list.n; i++) {
            const AstExpr *x = w->u.in.list.items[i];
            if (!is_constant(x))
                return -1;
            lits[i] = x;
        }
        return w->u.in.list.n;
    }
    return -1;
}

static bool nl_is_scan(const AstSelect *sel, const Schema *sc)
{
    const AstExpr *lits[64];
    return sc->nkeys != 1 || key_literals(sel->where, sc->cols[0].name, lits, 64) < 0;
}

int exec_pull(Engine *e, const AstStmt *s, CatSource *table, EddyError *err)
{
    const AstSelect *sel = s->u.select;
    if (sel->group_by.n || sel->window.kind != WINDOW_NONE || sel->partition_by.n || sel->having ||
        sel->joins.n)
        return eddy_error(err, ERR_ANALYSIS, sel->pos,
                          "pull queries do not support GROUP BY, WINDOW, PARTITION BY, HAVING or JOIN; add EMIT CHANGES for a push query");
    if (table->writer == NULL || table->writer->rt == NULL)
        return eddy_error(err, ERR_ANALYSIS, sel->from.name.pos,
                          "%s is not materialised: pull queries read tables built by a running CREATE TABLE AS SELECT query; use EMIT CHANGES for a push query",
                          table->name);
    Pull p = {.e = e, .table = table, .arena = arena_create(0), .limit = sel->limit};
    p.ev.arena = p.arena;
    SelectAnalysis an;
    int rc = -1;
    if (analyze_select(&e->cat, sel, false, p.arena, &an, err) != 0)
        goto out;
    for (const Plan *n = an.plan; n; n = n->input)
        if (n->tag == PLAN_SCORE) {
            arena_destroy(p.arena);
            return eddy_error(err, ERR_UNSUPPORTED, sel->pos,
                              "pull queries cannot score with a model (PREDICT, MODEL_VERSION) yet; add EMIT CHANGES for a push query");
        }
    p.project = an.plan;
    if (an.plan->input && an.plan->input->tag == PLAN_FILTER)
        p.pred = an.plan->input->u.filter.pred;
    char name[512];
    snprintf(name, sizeof name, "%s.materialized", table->writer->id);
    Store *st = statedb_store(e->state, name, err);
    if (st == NULL)
        goto out;
    /* A query split into tasks keeps each task's rows in its view
     * (engine/README.md, "Tasks and threads"): read them view by view. */
    Store **parts = &st;
    int nparts = statedb_store_views(st, &parts);
    if (nparts == 0) {
        parts = &st;
        nparts = 1;
    }
    if (e->out.row_json) {
        /* ksqlDB names a pull query too; the id is only for the client. */
        snprintf(p.qid, sizeof p.qid, "pull_%s_%lld", table->name, (long long)eddy_now_ms());
        engine_json_header(e, p.qid, an.plan->schema);
    }
    if (e->out.row) {
        const char *cells[256];
        int n = an.plan->schema->ncols < 256 ? an.plan->schema->ncols : 256;
        for (int i = 0; i < n; i++)
            cells[i] = an.plan->schema->cols[i].name;
        e->out.row(e->out.ud, cells, n, true);
    }
    const Schema *sc = table->schema;
    const AstExpr *lits[64];
    int nl = sc->nkeys == 1 ? key_literals(sel->where, sc->cols[0].name, lits, 64) : -1;
    if (nl < 0) {
        rc = 0;
        for (int i = 0; i < nparts && rc == 0; i++)
            rc = scan(&p, parts[i], NULL, 0, NULL, 0, err);   /* a table scan */
        goto out;
    }
    Scope none = {0};
    StrBuf key, tmp;
    sb_init(&key);
    sb_init(&tmp);
    rc = 0;
    for (int i = 0; i < nl && rc == 0 && !pull_full(&p); i++) {
        BExpr *b;
        if ((rc = analyze_expr(&none, lits[i], p.arena, &b, err)) != 0)
            break;
        if (!analyze_assignable(b->type, sc->cols[0].type))
            continue;   /* a literal of another type matches no key */
        Value kv;
        Row empty = {0};
        expr_eval(analyze_coerce(p.arena, b, sc->cols[0].type), &empty, &p.ev, &kv);
        sb_reset(&key);
        if (kv.kind == TYPE_NULL || keycodec_encode(&kv, 1, &key) != 0)
            continue;
        if (table->window_kind == WKIND_NONE) {
            int found = 0;
            for (int v = 0; v < nparts && found == 0; v++)
                found = store_get(parts[v], key.data, key.len, &tmp, err);
            if (found < 0) {
                rc = -1;
            } else if (found == 1) {
                Row row = {0};
                if ((rc = decode_entry(&p, key.data, key.len, tmp.data, tmp.len, &row, err)) == 0)
                    emit_row(&p, &row);
            }
        } else {
            /* The key's windows: keys with this prefix and a 8- or 16-byte suffix. */
            StrBuf hi;
            sb_init(&hi);
            sb_append(&hi, key.data, key.len);
            for (int j = 0; j < 17; j++)
                sb_putc(&hi, (char)0xff);
            Pull q = p;
            for (int v = 0; v < nparts && rc == 0; v++)
                rc = scan(&q, parts[v], key.data, key.len, hi.data, hi.len, err);
            p.rows = q.rows;
            sb_free(&hi);
        }
    }
    sb_free(&key);
    sb_free(&tmp);
out:
    if (rc == 0 && !e->replaying) {
        char buf[160];
        snprintf(buf, sizeof buf, "(%lld row%s from %s%s)\n", (long long)p.rows, p.rows == 1 ? "" : "s",
                 table->name, nl_is_scan(sel, sc) ? ", by a table scan" : "");
        engine_text(e, buf);
    }
    arena_destroy(p.arena);
    return rc;
}
