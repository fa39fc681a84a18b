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
 *
 * A top-level conjunct GEO_DISTANCE(lat, lng, c1, c2[, unit]) < r (or <=,
 * or r > ..., with constants) on a table with a geo index (op_sink.c:
 * DOUBLE columns LAT and LNG, not windowed) reads only the geohash cells
 * of the box around the circle (geo_scan): every row within r of the
 * centre lies in the box (its bounds are those of the spherical cap, with
 * a margin), so the index only leaves out rows the WHERE would reject,
 * and the WHERE is still evaluated on each row read.  A box that reaches
 * a pole or the antimeridian, or spans more than GEO_MAX_CELLS cells,
 * leaves the query a scan.  The rows come in cell order, not key order
 * (a scan's); with LIMIT n, which n rows is left open, as in ksqlDB.
 */
#include "engine_int.h"
#include "eddy/codec.h"
#include "eddy/engine/operator.h"
#include "eddy/engine/runtime.h"
#include "eddy/store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Beyond this many cells a radius query scans the table instead. */
#define GEO_MAX_CELLS 4096

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

/* A table whose writer's tasks are shared by members: the tasks this
 * member has no view of (never held) are read through the whole store
 * under their 4-byte prefix (kept there by engine_pull_catch_up). */
typedef struct TaskPart {
    Store *whole;
    int task;
} TaskPart;

static void task_range(int task, const void *lo, size_t lolen, const void *hi, size_t hilen,
                       StrBuf *blo, StrBuf *bhi)
{
    unsigned char pre[4], next[4];
    be32_put(pre, (uint32_t)task);
    be32_put(next, (uint32_t)task + 1);
    sb_reset(blo);
    sb_reset(bhi);
    sb_append(blo, (const char *)pre, 4);
    sb_append(blo, lo, lo ? lolen : 0);
    if (hi) {
        sb_append(bhi, (const char *)pre, 4);
        sb_append(bhi, hi, hilen);
    } else {
        sb_append(bhi, (const char *)next, 4);
    }
}

static int scan(Pull *p, Store *st, size_t skip, const void *lo, size_t lolen, const void *hi,
                size_t hilen, EddyError *err);

/* Scans [lo, hi) (NULL: from the start, to the end) of task part t. */
static int scan_part(Pull *p, const TaskPart *t, const void *lo, size_t lolen, const void *hi,
                     size_t hilen, EddyError *err)
{
    StrBuf blo, bhi;
    sb_init(&blo);
    sb_init(&bhi);
    task_range(t->task, lo, lolen, hi, hilen, &blo, &bhi);
    int rc = scan(p, t->whole, 4, blo.data, blo.len, bhi.data, bhi.len, err);
    sb_free(&blo);
    sb_free(&bhi);
    return rc;
}

/* The tasks of q's store `st` that this member has no view of, when q's
 * tasks are shared (else none): *parts, allocated in arena. */
static int task_parts(Query *q, Store *st, Store **views, int nviews, Arena *a, TaskPart **parts)
{
    const int *owned;
    *parts = NULL;
    if (q->rt == NULL || runtime_owned(q->rt, &owned) < 0)
        return 0;
    int total = runtime_total_tasks(q->rt), n = 0;
    if (total <= 1)
        return 0;   /* one task keeps its rows without a task prefix: the whole store */
    *parts = arena_alloc(a, sizeof **parts * (size_t)(total + 1));
    for (int t = 0; t < total; t++) {
        bool have = false;
        for (int v = 0; v < nviews && !have; v++)
            have = statedb_store_task_of(views[v]) == t;
        if (!have)
            (*parts)[n++] = (TaskPart){st, t};
    }
    return n;
}

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

/* Scans [lo, hi) of the store (NULL lo: everything), each key's first
 * `skip` bytes (a task's prefix, read through the whole store: scan_part)
 * not the table's.  A scan that stops on a read error fails the query:
 * its answer would lack rows. */
static int scan(Pull *p, Store *st, size_t skip, const void *lo, size_t lolen, const void *hi,
                size_t hilen, EddyError *err)
{
    StoreIter *it = store_iter(st, lo, lolen, hi, hilen);
    const void *k, *v;
    size_t kl, vl;
    int rc = 0;
    while (rc == 0 && !pull_full(p) && store_iter_next(it, &k, &kl, &v, &vl)) {
        Row row = {0};
        if (kl >= skip && (rc = decode_entry(p, (const char *)k + skip, kl - skip, v, vl, &row, err)) == 0)
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

/* ---- the geo index ------------------------------------------------------ */

/* The box (degrees) every row of a radius conjunct lies in. */
typedef struct GeoBox {
    double lat_lo, lat_hi, lng_lo, lng_hi;
} GeoBox;

/* b's value if it is a constant (a literal, or casts of one). */
static bool constant_value(const BExpr *b, EvalCtx *ev, Value *out)
{
    const BExpr *x = b;
    while (x->kind == BX_CAST)
        x = x->u.unary.a;
    if (x->kind != BX_CONST)
        return false;
    Row none = {0};
    expr_eval(b, &none, ev, out);
    return true;
}

/* b's value as a DOUBLE if it is a constant number. */
static bool constant_double(const BExpr *b, EvalCtx *ev, double *out)
{
    Value v, d;
    EddyError err;
    if (!constant_value(b, ev, &v) || v.kind == TYPE_NULL ||
        value_cast(&v, type_prim(TYPE_DOUBLE), ev->arena, &d, &err) != 0 || d.kind != TYPE_DOUBLE)
        return false;
    *out = d.u.d;
    return true;
}

/* The GEO_DISTANCE call over the columns lat and lng and constants, or NULL. */
static const BExpr *geo_call(const BExpr *e, int lat, int lng, EvalCtx *ev)
{
    if (e->kind != BX_FUNC || strcmp(e->u.func.call.name, "GEO_DISTANCE") != 0 ||
        e->u.func.nargs < 4)
        return NULL;
    BExpr *const *a = e->u.func.args;
    if (a[0]->kind != BX_COLUMN || a[0]->u.column != lat || a[1]->kind != BX_COLUMN ||
        a[1]->u.column != lng)
        return NULL;
    for (int i = 2; i < e->u.func.nargs; i++) {
        Value v;
        if (!constant_value(a[i], ev, &v))
            return NULL;
    }
    return e;
}

/* The box of the first top-level conjunct of w that is a radius query
 * over the columns lat and lng of a row of ncols columns. */
static bool geo_box(const BExpr *w, int lat, int lng, int ncols, EvalCtx *ev, GeoBox *box)
{
    if (w == NULL || w->negated)
        return false;
    if (w->kind == BX_AND)
        return geo_box(w->u.binary.a, lat, lng, ncols, ev, box) ||
               geo_box(w->u.binary.b, lat, lng, ncols, ev, box);
    if (w->kind != BX_CMP)
        return false;
    const BExpr *call, *bound;
    int op = w->u.binary.op;
    if (op == OP_LT || op == OP_LE) {
        call = w->u.binary.a;
        bound = w->u.binary.b;
    } else if (op == OP_GT || op == OP_GE) {
        call = w->u.binary.b;
        bound = w->u.binary.a;
    } else {
        return false;
    }
    double r, lat0, lng0;
    if ((call = geo_call(call, lat, lng, ev)) == NULL || !constant_double(bound, ev, &r) ||
        !(r >= 0) || !constant_double(call->u.func.args[2], ev, &lat0) ||
        !constant_double(call->u.func.args[3], ev, &lng0))
        return false;
    /* The call's own unit: its distance along the meridian for one degree
     * (exactly the radius times pi/180; NULL for a bad unit or centre). */
    Value *cols = arena_alloc(ev->arena, sizeof(Value) * (size_t)ncols);
    for (int i = 0; i < ncols; i++)
        cols[i] = v_null();
    cols[lat] = v_double(lat0 > 0 ? lat0 - 1 : lat0 + 1);
    cols[lng] = v_double(lng0);
    Row probe = {.cols = cols, .ncols = ncols};
    Value d;
    int64_t errors = ev->errors;
    expr_eval(call, &probe, ev, &d);
    ev->errors = errors;
    if (d.kind != TYPE_DOUBLE || !(d.u.d > 0))
        return false;
    double deg = M_PI / 180.0, theta = r / (d.u.d / deg);   /* radians */
    double margin = 1e-6;   /* degrees (~10 cm): rounding in the haversine */
    double dlat = theta / deg + margin;
    if (fabs(lat0) + dlat >= 89.0)
        return false;   /* the cap reaches (near) a pole */
    double s = sin(theta) / cos(lat0 * deg);
    if (!(s < 1.0))
        return false;
    double dlng = asin(s) / deg + margin;
    *box = (GeoBox){lat0 - dlat, lat0 + dlat, lng0 - dlng, lng0 + dlng};
    return box->lng_lo > -180.0 && box->lng_hi < 180.0;
}

static int geo_row(Pull *p, Store **rows, int nrows, const void *mkey, size_t mklen, StrBuf *tmp,
                   EddyError *err)
{
    for (int v = 0; v < nrows; v++) {
        int found = store_get(rows[v], mkey, mklen, tmp, err);
        if (found < 0)
            return -1;
        if (found == 1) {
            Row row = {0};
            if (decode_entry(p, mkey, mklen, tmp->data, tmp->len, &row, err) != 0)
                return -1;
            emit_row(p, &row);
            return 0;
        }
    }
    return 0;   /* an entry the table no longer has: it cannot be (op_sink.c), skip it */
}

/* The rows of the box's cells: each index entry inside the box is read
 * from the table (rows[0..nrows): its task views) and goes through the
 * WHERE as a scan's rows do. */
static int geo_scan(Pull *p, const GeoBox *box, Store *geo, Store **rows, int nrows,
                    EddyError *err)
{
    Store **views = &geo;
    int nviews = statedb_store_views(geo, &views);
    if (nviews == 0) {
        views = &geo;
        nviews = 1;
    }
    int la0, lg0, la1, lg1;
    geocell_axes(box->lat_lo, box->lng_lo, &la0, &lg0);
    geocell_axes(box->lat_hi, box->lng_hi, &la1, &lg1);
    StrBuf tmp;
    sb_init(&tmp);
    int rc = 0;
    for (int la = la0; la <= la1 && rc == 0; la++)
        for (int lg = lg0; lg <= lg1 && rc == 0 && !pull_full(p); lg++) {
            unsigned char lo[4], hi[4];
            geocell_key(la, lg, lo);
            memcpy(hi, lo, 4);
            for (int i = 3; i >= 0 && ++hi[i] == 0; i--) {
            }
            for (int v = 0; v < nviews && rc == 0 && !pull_full(p); v++) {
                StoreIter *it = store_iter(views[v], lo, 4, hi, 4);
                const void *k, *val;
                size_t kl, vl;
                while (rc == 0 && !pull_full(p) && store_iter_next(it, &k, &kl, &val, &vl)) {
                    double pos[2];
                    if (vl != sizeof pos || kl < 4)
                        continue;
                    memcpy(pos, val, sizeof pos);
                    if (pos[0] < box->lat_lo || pos[0] > box->lat_hi || pos[1] < box->lng_lo ||
                        pos[1] > box->lng_hi)
                        continue;
                    rc = geo_row(p, rows, nrows, (const char *)k + 4, kl - 4, &tmp, err);
                }
                EddyError rerr;
                eddy_error_clear(&rerr);
                if (rc == 0 && store_iter_error(it, &rerr) != 0)
                    rc = eddy_error(err, ERR_IO, (SrcPos){0}, "cannot read state store %s: %s",
                                    store_name(views[v]), rerr.msg);
                store_iter_close(it);
            }
        }
    sb_free(&tmp);
    return rc;
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
    /* Shared tasks: the other members' tasks' rows, as of their last
     * checkpoint, from the changelog. */
    if (engine_pull_catch_up(e, table->writer, err) != 0) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        return eddy_error(err, ERR_RUNTIME, sel->pos,
                          "cannot read the rows of %s held by the other members: %s", table->name,
                          msg);
    }
    Pull p = {.e = e, .table = table, .arena = arena_create(0), .limit = sel->limit};
    p.ev.arena = p.arena;
    SelectAnalysis an;
    int rc = -1;
    bool by_index = false;   /* a radius query read the geo index */
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
    Store **parts;
    int nparts = statedb_store_views(st, &parts);
    TaskPart *tparts;
    int ntp = task_parts(table->writer, st, parts, nparts, p.arena, &tparts);
    if (nparts == 0 && ntp == 0) {   /* one task: the whole store is its state */
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
    int lat, lng;
    GeoBox box;
    if (nl < 0 && ntp == 0 && op_geo_columns(sc, table->window_kind != WKIND_NONE, &lat, &lng) &&
        geo_box(p.pred, lat, lng, sc->ncols, &p.ev, &box)) {
        int la0, lg0, la1, lg1;
        geocell_axes(box.lat_lo, box.lng_lo, &la0, &lg0);
        geocell_axes(box.lat_hi, box.lng_hi, &la1, &lg1);
        if ((int64_t)(la1 - la0 + 1) * (lg1 - lg0 + 1) <= GEO_MAX_CELLS) {
            snprintf(name, sizeof name, "%s.geo", table->writer->id);
            Store *geo = statedb_store(e->state, name, err);
            rc = geo ? geo_scan(&p, &box, geo, parts, nparts, err) : -1;
            by_index = true;
            goto out;
        }
    }
    if (nl < 0) {
        rc = 0;
        for (int i = 0; i < nparts && rc == 0; i++)
            rc = scan(&p, parts[i], 0, NULL, 0, NULL, 0, err);   /* a table scan */
        for (int i = 0; i < ntp && rc == 0; i++)
            rc = scan_part(&p, &tparts[i], NULL, 0, NULL, 0, err);
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
            StrBuf pk;
            sb_init(&pk);
            for (int v = 0; v < ntp && found == 0; v++) {
                unsigned char pre[4];
                be32_put(pre, (uint32_t)tparts[v].task);
                sb_reset(&pk);
                sb_append(&pk, (const char *)pre, 4);
                sb_append(&pk, key.data, key.len);
                found = store_get(tparts[v].whole, pk.data, pk.len, &tmp, err);
            }
            sb_free(&pk);
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
                rc = scan(&q, parts[v], 0, key.data, key.len, hi.data, hi.len, err);
            for (int v = 0; v < ntp && rc == 0; v++)
                rc = scan_part(&q, &tparts[v], key.data, key.len, hi.data, hi.len, err);
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
                 table->name, by_index ? ", by its geo index" : nl_is_scan(sel, sc) ? ", by a table scan" : "");
        engine_text(e, buf);
    }
    arena_destroy(p.arena);
    return rc;
}
