/*
 * upgrade.c - CREATE OR REPLACE STREAM|TABLE name AS SELECT over a running
 * query's output: an in-place upgrade, as ksqlDB calls it.  The query keeps
 * its id, its state and its offsets; at a checkpoint (every record before
 * it processed by the old plan and its output delivered) the new plan
 * takes over and processes every record from those offsets on.
 *
 * What may change and what may not follows from the state the query
 * keeps, compared node by node (filters and projections left out, since
 * they keep none):
 *   - the sources, in order (their offsets are where it resumes);
 *   - PARTITION BY, GROUP BY, the WINDOW, EMIT, the aggregate calls (the
 *     state holds one value per group and call), the joins (kind, ON,
 *     WITHIN, GRACE: both sides' buffers);
 *   - the output: its topic, formats and windowing, its key columns, and
 *     every value column, which keeps its name and type; a stream may
 *     gain value columns at the end (its readers, by name, are unharmed),
 *     a table may not (its rows are kept in state).
 * WHERE, HAVING and the select list's expressions may change.  ksqlDB
 * allows fewer (not windowed aggregates or joins); eddy's stores keep
 * their layout under these rules, so it allows them.  Anything else is
 * refused with the reason, and nothing changes.
 */
#include "replay.h"
#include "eddy/engine/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The nodes that keep state or decide it, in pre-order (a join's left,
 * then its right). */
static int skeleton(const Plan *p, const Plan **out, int n, int max)
{
    for (; p; p = p->input) {
        bool stateless = p->tag == PLAN_FILTER || p->tag == PLAN_PROJECT ||
                         p->tag == PLAN_SCORE || p->tag == PLAN_FLATMAP || p->tag == PLAN_SINK;
        if (!stateless && n < max)
            out[n++] = p;
        if (p->tag == PLAN_JOIN)
            n = skeleton(p->right, out, n, max);
    }
    return n;
}

static void texts(StrBuf *out, const char *const *t, int n)
{
    sb_putc(out, '(');
    for (int i = 0; i < n; i++)
        sb_printf(out, "%s%s", i ? ", " : "", t[i]);
    sb_putc(out, ')');
}

/* 0 when a and b are the same texts; else -1 and "<what> would change
 * from (a) to (b)" in why. */
static int texts_diff(const char *what, const char *const *a, int na, const char *const *b, int nb,
                      StrBuf *why)
{
    bool same = na == nb;
    for (int i = 0; same && i < na; i++)
        same = strcmp(a[i], b[i]) == 0;
    if (same)
        return 0;
    sb_printf(why, "%s would change from ", what);
    texts(why, a, na);
    sb_puts(why, " to ");
    texts(why, b, nb);
    return -1;
}

static bool same_window(const WindowSpec *a, const WindowSpec *b)
{
    return a->kind == b->kind && a->size_ms == b->size_ms && a->advance_ms == b->advance_ms &&
           a->grace_ms == b->grace_ms && a->retention_ms == b->retention_ms;
}

static const char *node_kind(const Plan *p)
{
    switch (p->tag) {
    case PLAN_SOURCE: return "reads a source";
    case PLAN_REKEY: return "repartitions (PARTITION BY)";
    case PLAN_AGGREGATE: return "aggregates (GROUP BY)";
    case PLAN_JOIN: return "joins";
    default: return plan_tag_name(p->tag);
    }
}

static int aggregate_diff(const Plan *x, const Plan *y, StrBuf *why)
{
    const char *const *xk = x->u.aggregate.key_texts, *const *yk = y->u.aggregate.key_texts;
    const char *const *xa = x->u.aggregate.agg_texts, *const *ya = y->u.aggregate.agg_texts;
    int nxk = x->u.aggregate.nkeys, nyk = y->u.aggregate.nkeys;
    int nxa = x->u.aggregate.naggs, nya = y->u.aggregate.naggs;
    if (texts_diff("GROUP BY", xk, nxk, yk, nyk, why) != 0) {
        sb_puts(why, ": its state is kept per group");
        return -1;
    }
    if (!same_window(&x->u.aggregate.window, &y->u.aggregate.window) ||
        x->u.aggregate.emit_final != y->u.aggregate.emit_final) {
        sb_puts(why, "its WINDOW or EMIT would change: its state is kept per window");
        return -1;
    }
    if (texts_diff("its aggregate calls", xa, nxa, ya, nya, why) != 0) {
        sb_puts(why, ": its state holds one value per call");
        return -1;
    }
    return 0;
}

/* Why the new plan cannot take over the old one's state: -1 and the
 * reason in why, or 0. */
static int state_diff(const Plan *old, const Plan *new, StrBuf *why)
{
    const Plan *a[64], *b[64];
    int na = skeleton(old, a, 0, 64), nb = skeleton(new, b, 0, 64);
    for (int i = 0; i < na || i < nb; i++) {
        if (i >= na || i >= nb || a[i]->tag != b[i]->tag) {
            const Plan *x = i < na ? a[i] : NULL, *y = i < nb ? b[i] : NULL;
            sb_printf(why, "its structure would change: where the running query %s, the new one %s",
                      x ? node_kind(x) : "ends", y ? node_kind(y) : "ends");
            return -1;
        }
        const Plan *x = a[i], *y = b[i];
        switch (x->tag) {
        case PLAN_SOURCE:
            if (x->u.source.src != y->u.source.src) {
                sb_printf(why, "its source %s would become %s: it resumes from its offsets in %s",
                          x->u.source.src->name, y->u.source.src->name, x->u.source.src->topic);
                return -1;
            }
            break;
        case PLAN_REKEY:
            if (texts_diff("PARTITION BY", x->u.rekey.texts, x->u.rekey.nkeys, y->u.rekey.texts,
                           y->u.rekey.nkeys, why) != 0)
                return -1;
            break;
        case PLAN_AGGREGATE:
            if (aggregate_diff(x, y, why) != 0)
                return -1;
            break;
        case PLAN_JOIN:
            if (x->u.join.type != y->u.join.type || x->u.join.kind != y->u.join.kind ||
                strcmp(x->u.join.on_text, y->u.join.on_text) != 0 ||
                x->u.join.before_ms != y->u.join.before_ms || x->u.join.after_ms != y->u.join.after_ms ||
                x->u.join.grace_ms != y->u.join.grace_ms || x->u.join.grace_given != y->u.join.grace_given) {
                sb_printf(why, "its join ON %s would change (its kind, ON, WITHIN or GRACE): both "
                          "sides' rows are kept in state", x->u.join.on_text);
                return -1;
            }
            break;
        default:
            break;
        }
    }
    return 0;
}

static const char *col_text(Arena *a, const Column *c)
{
    return arena_sprintf(a, "%s %s", c->name, type_to_string(a, c->type));
}

/* The output's columns: keys the same, every value column kept (a stream
 * may add some at the end). */
static int schema_diff(Arena *a, const CatSource *old, const Schema *n, StrBuf *why)
{
    const Schema *o = old->schema;
    bool keys = o->nkeys == n->nkeys;
    for (int i = 0; keys && i < o->nkeys; i++)
        keys = strcmp(o->cols[i].name, n->cols[i].name) == 0 && type_equal(o->cols[i].type, n->cols[i].type);
    if (!keys) {
        sb_puts(why, "its key columns would change");
        return -1;
    }
    int ov = o->ncols - o->nkeys, nv = n->ncols - n->nkeys;
    for (int i = 0; i < ov; i++) {
        const Column *c = &o->cols[o->nkeys + i];
        if (i >= nv) {
            sb_printf(why, "its value column %s would be dropped", col_text(a, c));
            return -1;
        }
        const Column *d = &n->cols[n->nkeys + i];
        if (strcmp(c->name, d->name) != 0 || !type_equal(c->type, d->type)) {
            sb_printf(why, "its value column %s would become %s (columns keep their names, types and order)",
                      col_text(a, c), col_text(a, d));
            return -1;
        }
    }
    if (nv > ov && old->is_table) {
        sb_printf(why, "it would gain the value column %s: a table's rows are kept in state, so its columns stay",
                  col_text(a, &n->cols[n->nkeys + ov]));
        return -1;
    }
    return 0;
}

static int output_diff(const CatSource *old, const CatSource *fresh, StrBuf *why)
{
    if (old->is_table != fresh->is_table)
        sb_printf(why, "%s is a %s", old->name, old->is_table ? "table" : "stream");
    else if (strcmp(old->topic, fresh->topic) != 0)
        sb_printf(why, "its output topic would change from %s to %s", old->topic, fresh->topic);
    else if (old->key_format != fresh->key_format || old->value_format != fresh->value_format)
        sb_printf(why, "its formats would change from %s/%s to %s/%s", format_name(old->key_format),
                  format_name(old->value_format), format_name(fresh->key_format),
                  format_name(fresh->value_format));
    else if (old->window_kind != fresh->window_kind || old->window_size_ms != fresh->window_size_ms)
        sb_puts(why, "its output's windowing would change");
    return why->len ? -1 : 0;
}

int exec_replace_query(Engine *e, const AstStmt *s, CatSource *old, const CatSource *fresh,
                       const SelectAnalysis *an, EddyError *err)
{
    Query *q = old->writer;
    if (q->state != QSTATE_RUNNING)
        return eddy_error(err, ERR_ANALYSIS, s->u.create.name.pos,
                          "cannot upgrade query %s in place: it is not running", q->id);
    Arena *a = e->cat.arena;
    StrBuf why;
    sb_init(&why);
    int rc = output_diff(old, fresh, &why);
    if (rc == 0 && (an->ninputs != q->ninputs))
        sb_puts(&why, "its sources would change"), rc = -1;
    for (int i = 0; rc == 0 && i < an->ninputs; i++)
        if (an->inputs[i] != q->inputs[i]) {
            sb_printf(&why, "its source %s would become %s: it resumes from its offsets in %s",
                      q->inputs[i]->name, an->inputs[i]->name, q->inputs[i]->topic);
            rc = -1;
        }
    if (rc == 0)
        rc = state_diff(q->plan, an->plan, &why);
    if (rc == 0)
        rc = schema_diff(a, old, fresh->schema, &why);
    if (rc != 0) {
        eddy_error(err, ERR_ANALYSIS, s->u.create.select->pos,
                   "cannot upgrade query %s in place: %s.  To start it over, TERMINATE %s and DROP %s %s first",
                   q->id, why.data, q->id, old->is_table ? "TABLE" : "STREAM", old->name);
        sb_free(&why);
        return -1;
    }
    sb_free(&why);
    /* Every record before is processed by the old plan and its output
     * delivered; the log says from here on the new plan runs. */
    if (e->validating)
        return engine_persist(e, s->text, err);
    if (!e->replaying && (engine_checkpoint(e, err) != 0 || engine_persist(e, s->text, err) != 0))
        return -1;
    if (q->rt) {
        runtime_stop(q->rt);
        q->rt = NULL;
    }
    ReplayState *st = replay_state(e);
    st->superseded = realloc(st->superseded, sizeof *st->superseded * (size_t)(st->nsuperseded + 1));
    if (st->superseded == NULL)
        EDDY_PANIC("out of memory");
    st->superseded[st->nsuperseded++] = (Superseded){strdup(old->name), strdup(old->sql)};
    old->schema = fresh->schema;
    old->timestamp_col = fresh->timestamp_col;
    old->timestamp_format = fresh->timestamp_format;
    old->sql = arena_strdup(a, s->text);
    q->sql = old->sql;
    q->plan = plan_sink(a, an->plan, old, old->timestamp_col >= 0, -1);
    models_attach(e, q, a);   /* a model the new plan scores with */
    if (e->replaying)
        return 0;   /* it starts with the others, after the log */
    if (engine_restart_query(e, q, err) != 0) {
        q->state = QSTATE_ERROR;
        return -1;
    }
    char buf[600];
    snprintf(buf, sizeof buf, "Upgraded query %s in place: it goes on from its offsets with its state.\n",
             q->id);
    engine_text(e, buf);
    return 0;
}
