/*
 * planner.c - planning: a SELECT -> a tree of read-only Plan nodes
 * (plan.h), its expressions bound by bind.c.
 *
 * In:  a parsed SELECT and the catalog.
 * Out: SelectAnalysis (the plan, ending in a PROJECT node, and the
 *      sources it reads), every node in the caller's arena; or -1 and an
 *      error positioned at the offending clause.  plan_sink puts the SINK
 *      on top for each kind of query.
 *
 * The order of nodes is ksqlDB's (see plan.h): FROM (SOURCE, or a
 * left-deep chain of JOINs), WHERE (FILTER), GROUP BY + WINDOW + HAVING
 * (AGGREGATE, FILTER) or PARTITION BY (REKEY), then the select list
 * (PROJECT).  Each clause is checked as ksqlDB checks it, before anything
 * runs: a plan that comes out can be started.
 */
#include "plan_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static Plan *plan_new(Arena *a, PlanTag tag, Plan *input, const Schema *schema)
{
    Plan *p = arena_alloc(a, sizeof *p);
    p->tag = tag;
    p->input = input;
    p->schema = schema;
    return p;
}

/* ksqlDB's default name for a select item: the column's name, a struct
 * field's name, else KSQL_COL_<n>. */
static const char *default_name(const AstExpr *e, Arena *a, int *gen)
{
    if (e->kind == EXPR_COLUMN)
        return arena_strdup(a, e->u.col.name);
    if (e->kind == EXPR_DEREF)
        return arena_strdup(a, e->u.deref.field);
    return arena_sprintf(a, "KSQL_COL_%d", (*gen)++);
}

static int ref_rel(const JoinScope *js, const AstExpr *e);

/* One side of a join condition as ksqlDB prints it in its messages: a
 * column qualified by its relation ("LEFT_TABLE.F1"), else the text. */
static const char *join_side_text(const JoinScope *both, const AstExpr *e, Arena *a)
{
    if (e->kind == EXPR_COLUMN && e->u.col.qualifier)
        return arena_sprintf(a, "%s.%s", e->u.col.qualifier, e->u.col.name);
    int r = e->kind == EXPR_COLUMN ? ref_rel(both, e) : -1;
    return r >= 0 ? arena_sprintf(a, "%s.%s", both->rels[r].alias, e->u.col.name) : bind_text(a, e);
}

static bool names_taken(Column *cols, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(cols[i].name, name) == 0)
            return true;
    return false;
}

/* Is e a plain reference to input column idx? */
static bool is_column_ref(const BExpr *e, int idx)
{
    return e->kind == BX_COLUMN && e->u.column == idx;
}

/* Which PARTITION BY expression (by its text) does e repeat?  -1 if none. */
static int rekey_match(const Plan *rekey, const AstExpr *e)
{
    if (e->kind == EXPR_COLUMN && e->u.col.qualifier == NULL && strcmp(e->u.col.name, "ROWTIME") != 0 &&
        strcmp(e->u.col.name, "ROWPARTITION") != 0 && strcmp(e->u.col.name, "ROWOFFSET") != 0)
        return -1;   /* plain columns resolve by name; pseudo columns match as expressions */
    if (e->kind == EXPR_COLUMN && e->u.col.qualifier)
        return -1;
    StrBuf sb;
    sb_init(&sb);
    ast_format_expr(e, &sb);
    int found = -1;
    for (int k = 0; k < rekey->u.rekey.nkeys && found < 0; k++)
        if (rekey->u.rekey.texts[k] && sb.data && strcmp(sb.data, rekey->u.rekey.texts[k]) == 0)
            found = k;
    sb_free(&sb);
    return found;
}

/* ---- aggregation ---------------------------------------------------------- */

/* Collects the calls of functions `is` says yes to in e (not descending
 * into them), deduplicated by text. */
void plan_collect_calls(const AstExpr *e, bool (*is)(const char *), Arena *a, PtrVec *calls,
                        PtrVec *texts)
{
    if (e == NULL)
        return;
    if (e->kind == EXPR_FUNC && is(e->u.func.name)) {
        const char *t = bind_text(a, e);
        for (int i = 0; i < texts->n; i++)
            if (strcmp(texts->items[i], t) == 0)
                return;
        ptrvec_push(a, calls, (void *)e);
        ptrvec_push(a, texts, (void *)t);
        return;
    }
    switch (e->kind) {
    case EXPR_UNARY: plan_collect_calls(e->u.unary.a, is, a, calls, texts); break;
    case EXPR_BINARY: case EXPR_IS_DISTINCT: case EXPR_SUBSCRIPT:
        plan_collect_calls(e->u.binary.a, is, a, calls, texts);
        plan_collect_calls(e->u.binary.b, is, a, calls, texts);
        break;
    case EXPR_LIKE:
        plan_collect_calls(e->u.like.a, is, a, calls, texts);
        plan_collect_calls(e->u.like.pattern, is, a, calls, texts);
        break;
    case EXPR_BETWEEN:
        plan_collect_calls(e->u.between.a, is, a, calls, texts);
        plan_collect_calls(e->u.between.lo, is, a, calls, texts);
        plan_collect_calls(e->u.between.hi, is, a, calls, texts);
        break;
    case EXPR_IN:
        plan_collect_calls(e->u.in.a, is, a, calls, texts);
        for (int i = 0; i < e->u.in.list.n; i++)
            plan_collect_calls(e->u.in.list.items[i], is, a, calls, texts);
        break;
    case EXPR_IS_NULL: plan_collect_calls(e->u.is_null.a, is, a, calls, texts); break;
    case EXPR_CASE:
        plan_collect_calls(e->u.case_.operand, is, a, calls, texts);
        for (int i = 0; i < e->u.case_.whens.n; i++) {
            const AstWhen *w = e->u.case_.whens.items[i];
            plan_collect_calls(w->when, is, a, calls, texts);
            plan_collect_calls(w->then, is, a, calls, texts);
        }
        plan_collect_calls(e->u.case_.else_, is, a, calls, texts);
        break;
    case EXPR_CAST: plan_collect_calls(e->u.cast.a, is, a, calls, texts); break;
    case EXPR_DEREF: plan_collect_calls(e->u.deref.a, is, a, calls, texts); break;
    case EXPR_FUNC:
        for (int i = 0; i < e->u.func.args.n; i++)
            plan_collect_calls(e->u.func.args.items[i], is, a, calls, texts);
        break;
    case EXPR_ARRAY:
        for (int i = 0; i < e->u.list.n; i++)
            plan_collect_calls(e->u.list.items[i], is, a, calls, texts);
        break;
    case EXPR_MAP: case EXPR_STRUCT:
        for (int i = 0; i < e->u.map.vals.n; i++)
            plan_collect_calls(e->u.map.vals.items[i], is, a, calls, texts);
        break;
    case EXPR_LAMBDA: plan_collect_calls(e->u.lambda.body, is, a, calls, texts); break;
    default:
        break;
    }
}

static void collect_aggs(const AstExpr *e, Arena *a, PtrVec *calls, PtrVec *texts)
{
    plan_collect_calls(e, func_is_aggregate, a, calls, texts);
}

static bool is_literal(const AstExpr *e)
{
    return e->kind == EXPR_BOOL || e->kind == EXPR_INT || e->kind == EXPR_DOUBLE ||
           e->kind == EXPR_DECIMAL || e->kind == EXPR_STRING ||
           (e->kind == EXPR_UNARY && e->u.unary.op == OP_NEG && is_literal(e->u.unary.a));
}

static int window_spec(const AstWindow *w, bool emit_final, WindowSpec *out, EddyError *err)
{
    memset(out, 0, sizeof *out);
    out->kind = w->kind == WINDOW_TUMBLING ? WKIND_TUMBLING : w->kind == WINDOW_HOPPING ? WKIND_HOPPING
              : w->kind == WINDOW_SESSION ? WKIND_SESSION : WKIND_NONE;
    if (out->kind == WKIND_NONE)
        return 0;
    if (w->size_ms <= 0)
        return eddy_error(err, ERR_ANALYSIS, w->pos, "window size must be positive");
    out->size_ms = w->size_ms;
    out->advance_ms = out->kind == WKIND_HOPPING ? w->advance_ms : w->size_ms;
    if (out->kind == WKIND_HOPPING && (out->advance_ms <= 0 || out->advance_ms > out->size_ms))
        return eddy_error(err, ERR_ANALYSIS, w->pos,
                          "ADVANCE BY must be positive and not larger than the window size");
    /* Without GRACE PERIOD: 24 h (Kafka Streams' legacy default), but 0 for
     * EMIT FINAL, as ksqlDB does, so final results come when windows end. */
    out->grace_ms = w->grace_ms >= 0 ? w->grace_ms : emit_final ? 0 : 24LL * 3600 * 1000;
    int64_t min_retention = out->size_ms + out->grace_ms;
    if (w->retention_ms >= 0 && w->retention_ms < min_retention)
        return eddy_error(err, ERR_ANALYSIS, w->pos,
                          "RETENTION must be at least the window size plus the grace period (%lld ms)",
                          (long long)min_retention);
    out->retention_ms = w->retention_ms >= 0 ? w->retention_ms : min_retention;
    return 0;
}

/* GROUP BY [WINDOW] [HAVING]: builds AGGREGATE (+ HAVING filter) over p and
 * returns the scope the select list binds in.  src: the query's (first)
 * source, whose value format ksqlDB also keeps the aggregation state in. */
static int analyze_aggregate(const AstSelect *sel, const CatSource *src, Plan **pp, Scope *scope,
                             Arena *a, EddyError *err)
{
    Plan *p = *pp;
    const Scope in = *scope;
    int nkeys = sel->group_by.n;
    Plan *ag = plan_new(a, PLAN_AGGREGATE, p, NULL);
    ag->u.aggregate.nkeys = nkeys;
    ag->u.aggregate.keys = arena_alloc(a, sizeof(BExpr *) * (size_t)nkeys);
    ag->u.aggregate.key_texts = arena_alloc(a, sizeof(char *) * (size_t)nkeys);
    ag->u.aggregate.store = "aggregate";
    ag->u.aggregate.input_is_table = p->schema && in.rel_name &&
                                     (*pp)->tag == PLAN_SOURCE && (*pp)->u.source.src->is_table;
    for (const Plan *q = p; q; q = q->input)
        if (q->tag == PLAN_SOURCE)
            ag->u.aggregate.input_is_table = q->u.source.src->is_table;
    for (int i = 0; i < nkeys; i++) {
        const AstExpr *ke = sel->group_by.items[i];
        if (analyze_expr(&in, ke, a, &ag->u.aggregate.keys[i], err) != 0)
            return -1;
        ag->u.aggregate.key_texts[i] = bind_text(a, ke);
        if (in.windowed && !is_column_ref(ag->u.aggregate.keys[i], i))
            return eddy_error(err, ERR_ANALYSIS, ke->pos,
                              "implicit repartitioning of windowed sources is not supported: %s is not the key of %s",
                              ag->u.aggregate.key_texts[i], in.rel_name);
    }
    if (in.windowed)   /* grouped by its own key: its windows would need keeping */
        return eddy_error(err, ERR_UNSUPPORTED, ((AstExpr *)sel->group_by.items[0])->pos,
                          "GROUP BY on the windowed source %s is not supported yet", in.rel_name);
    /* Aggregate calls of the select list and HAVING. */
    PtrVec calls = {0}, texts = {0};
    for (int i = 0; i < sel->items.n; i++) {
        const AstSelectItem *it = sel->items.items[i];
        if (it->expr->kind == EXPR_STAR)
            return eddy_error(err, ERR_ANALYSIS, it->expr->pos,
                              "SELECT * is not allowed with GROUP BY: list the columns");
        collect_aggs(it->expr, a, &calls, &texts);
    }
    collect_aggs(sel->having, a, &calls, &texts);
    int naggs = calls.n;
    if (naggs == 0) {
        for (int i = 0; i < sel->items.n; i++) {   /* an unknown function says so first */
            const AstExpr *x = ((const AstSelectItem *)sel->items.items[i])->expr;
            if (x->kind == EXPR_FUNC && !func_exists(x->u.func.name) && !bind_is_model_call(x->u.func.name))
                return eddy_error(err, ERR_ANALYSIS, x->pos, "unknown function %s", x->u.func.name);
        }
        return eddy_error(err, ERR_ANALYSIS, sel->pos,
                          "GROUP BY requires an aggregate function in the select list or HAVING");
    }
    ag->u.aggregate.naggs = naggs;
    ag->u.aggregate.aggs = arena_alloc(a, sizeof(AggCall) * (size_t)(naggs + 1));
    ag->u.aggregate.args = arena_alloc(a, sizeof(BExpr **) * (size_t)(naggs + 1));
    ag->u.aggregate.agg_texts = (const char **)texts.items;
    Scope arg_scope = in;
    arg_scope.in_aggregate_arg = true;
    for (int i = 0; i < naggs; i++) {
        const AstExpr *call = calls.items[i];
        int n = call->u.func.args.n;
        BExpr **args = arena_alloc(a, sizeof(BExpr *) * (size_t)(n + 1));
        const SqlType **types = arena_alloc(a, sizeof(SqlType *) * (size_t)(n + 1));
        const Value **lits = arena_alloc(a, sizeof(Value *) * (size_t)(n + 1));
        for (int j = 0; j < n; j++) {
            const AstExpr *arg = call->u.func.args.items[j];
            if (analyze_expr(&arg_scope, arg, a, &args[j], err) != 0)
                return -1;
            types[j] = args[j]->type;
            lits[j] = is_literal(arg) && args[j]->kind == BX_CONST ? &args[j]->u.constant : NULL;
        }
        AggCall *ac = &ag->u.aggregate.aggs[i];
        if (agg_resolve(call->u.func.name, types, lits, n, call->u.func.star, a, ac, err) != 0) {
            err->pos = call->pos;
            return -1;
        }
        /* ksqlDB stores each group's state in the source's value format,
         * and DELIMITED holds no STRUCT, ARRAY or MAP: it rejects AVG,
         * TOPK, COLLECT_LIST... there.  eddy's own state store could keep
         * them; it rejects them too, so a ksqlDB script means the same. */
        TypeKind sk = ac->state_type ? ac->state_type->kind : TYPE_NULL;
        if (src->value_format == FMT_DELIMITED && (sk == TYPE_STRUCT || sk == TYPE_ARRAY || sk == TYPE_MAP))
            return eddy_error(err, ERR_ANALYSIS, call->pos,
                              "One of the functions used in the statement has an intermediate type that the value format can not handle. Please remove the function or change the format. (%s keeps a %s per group; %s's value format DELIMITED holds only primitive columns)",
                              ac->name, type_to_string(a, ac->state_type), src->name);
        if (ag->u.aggregate.input_is_table && ac->fns->undo == NULL)
            return eddy_error(err, ERR_ANALYSIS, call->pos,
                              "the aggregate function %s cannot be used on a table: it cannot retract rows",
                              ac->name);
        for (int j = 0; j < ac->nargs && j < n; j++)
            if (ac->params && ac->params[j])
                args[j] = analyze_coerce(a, args[j], ac->params[j]);
        ag->u.aggregate.args[i] = args;
    }
    if (window_spec(&sel->window, sel->emit == EMIT_FINAL, &ag->u.aggregate.window, err) != 0)
        return -1;
    if (sel->emit == EMIT_FINAL && ag->u.aggregate.window.kind == WKIND_NONE)
        return eddy_error(err, ERR_ANALYSIS, sel->pos, "EMIT FINAL is only supported for windowed aggregations");
    if (ag->u.aggregate.input_is_table && ag->u.aggregate.window.kind != WKIND_NONE)
        return eddy_error(err, ERR_ANALYSIS, sel->window.pos, "windowed aggregations are not supported on tables");
    ag->u.aggregate.emit_final = sel->emit == EMIT_FINAL;

    /* Output: [keys] + [aggregate results]. */
    Schema *os = schema_create(a, nkeys + naggs);
    int gen = 0;
    for (int k = 0; k < nkeys; k++) {
        const AstExpr *ke = sel->group_by.items[k];
        os->cols[k].name = default_name(ke, a, &gen);
        for (int j = 0; j < k; j++)
            if (strcmp(os->cols[j].name, os->cols[k].name) == 0)
                return eddy_error(err, ERR_ANALYSIS, ke->pos, "duplicate GROUP BY expression %s",
                                  ag->u.aggregate.key_texts[k]);
        os->cols[k].type = ag->u.aggregate.keys[k]->type;
        os->cols[k].role = COL_KEY;
    }
    for (int i = 0; i < naggs; i++) {
        os->cols[nkeys + i].name = arena_sprintf(a, "KSQL_AGG_VARIABLE_%d", i);
        os->cols[nkeys + i].type = ag->u.aggregate.aggs[i].result;
        os->cols[nkeys + i].role = COL_VALUE;
    }
    os->nkeys = nkeys;
    ag->schema = os;
    p = ag;

    AggScope *g = arena_alloc(a, sizeof *g);
    g->key_texts = ag->u.aggregate.key_texts;
    g->nkeys = nkeys;
    g->agg_texts = ag->u.aggregate.agg_texts;
    g->naggs = naggs;
    Scope out = {.schema = os, .rel_name = in.rel_name, .rel_alias = in.rel_alias,
                 .windowed = ag->u.aggregate.window.kind != WKIND_NONE, .agg = g,
                 .score = in.score ? score_scope_new(in.score->cat, ag, a) : NULL};
    if (sel->having) {
        BExpr *pred;
        Scope hs = out;
        hs.in_having = true;
        if (bind_bool(&hs, sel->having, a, &pred, "HAVING condition", err) != 0)
            return -1;
        Plan *f = plan_new(a, PLAN_FILTER, p, os);
        f->u.filter.pred = pred;
        f->u.filter.text = bind_text(a, sel->having);
        f->u.filter.changelog = true;
        p = f;
    }
    *pp = p;
    *scope = out;
    return 0;
}

/* ---- FROM, WHERE, PARTITION BY, the select list ---------------------------- */

/* A SOURCE node.  In a join (window_cols) a windowed source's rows carry
 * their window as value columns WINDOWSTART, WINDOWEND after the key
 * columns, as in ksqlDB's join schema, so SELECT * shows each side's
 * bounds as <ALIAS>_WINDOWSTART/_WINDOWEND. */
static Plan *source_plan(Arena *a, CatSource *src, bool window_cols)
{
    const Schema *sc = src->schema;
    Plan *p = plan_new(a, PLAN_SOURCE, NULL, sc);
    p->u.source.src = src;
    if (!window_cols || src->window_kind == WKIND_NONE)
        return p;
    Schema *ws = schema_create(a, sc->ncols + 2);
    int nk = sc->nkeys;
    memcpy(ws->cols, sc->cols, sizeof(Column) * (size_t)nk);
    ws->cols[nk] = (Column){.name = "WINDOWSTART", .type = type_prim(TYPE_BIGINT), .role = COL_VALUE};
    ws->cols[nk + 1] = (Column){.name = "WINDOWEND", .type = type_prim(TYPE_BIGINT), .role = COL_VALUE};
    memcpy(ws->cols + nk + 2, sc->cols + nk, sizeof(Column) * (size_t)(sc->ncols - nk));
    ws->nkeys = nk;
    p->schema = ws;
    p->u.source.window_cols = true;
    return p;
}

/* ksqlDB's rule for joining windowed sources (Analyzer's
 * throwOnIncompatibleSourceWindowing): both windowed or neither, and
 * session windows only with session windows. */
static int check_join_windowing(const char *lname, const CatSource *l, const char *rname,
                                const CatSource *r, SrcPos pos, EddyError *err)
{
    WindowKind lk = l->window_kind, rk = r->window_kind;
    const char *ln = window_kind_name(lk), *rn = window_kind_name(rk);
    if ((lk == WKIND_NONE) != (rk == WKIND_NONE))
        return eddy_error(err, ERR_ANALYSIS, pos,
                          "can not join windowed source to non-windowed source: %s is %s windowed, %s is %s windowed",
                          lname, ln ? ln : "not", rname, rn ? rn : "not");
    if ((lk == WKIND_SESSION) != (rk == WKIND_SESSION))
        return eddy_error(err, ERR_ANALYSIS, pos,
                          "incompatible windowed sources: %s is %s windowed, %s is %s windowed; session windowed sources can only be joined to other session windowed sources, hopping and tumbling windowed sources only to hopping and tumbling ones",
                          lname, ln, rname, rn);
    return 0;
}

static CatSource *find_source(const Catalog *c, const AstName *n, EddyError *err)
{
    CatSource *src = catalog_find(c, n->name);
    if (src)
        return src;
    const char *hint = catalog_suggest(c, n->name);
    if (hint)
        eddy_error(err, ERR_ANALYSIS, n->pos, "unknown stream or table %s; did you mean %s?", n->name, hint);
    else
        eddy_error(err, ERR_ANALYSIS, n->pos, "unknown stream or table %s", n->name);
    return NULL;
}

/* Which relations of js does e reference?  Bit r for relation r; bit 31
 * for an unknown or unqualified-ambiguous name (left to binding to report). */
static unsigned rels_of(const JoinScope *js, const AstExpr *e)
{
    if (e == NULL)
        return 0;
    switch (e->kind) {
    case EXPR_COLUMN: {
        unsigned m = 0;
        for (int r = 0; r < js->nrels; r++) {
            const JoinRel *rel = &js->rels[r];
            const char *q = e->u.col.qualifier;
            if (q && strcmp(q, rel->alias) != 0 && strcmp(q, rel->name) != 0)
                continue;
            if (schema_find(rel->schema, e->u.col.name) >= 0)
                m |= 1u << r;
        }
        return m ? m : 1u << 31;
    }
    case EXPR_UNARY: return rels_of(js, e->u.unary.a);
    case EXPR_BINARY: case EXPR_IS_DISTINCT: case EXPR_SUBSCRIPT:
        return rels_of(js, e->u.binary.a) | rels_of(js, e->u.binary.b);
    case EXPR_CAST: return rels_of(js, e->u.cast.a);
    case EXPR_DEREF: return rels_of(js, e->u.deref.a);
    case EXPR_FUNC: {
        unsigned m = 0;
        for (int i = 0; i < e->u.func.args.n; i++)
            m |= rels_of(js, e->u.func.args.items[i]);
        return m;
    }
    default:
        return 0;
    }
}

static void restore_key_cols(JoinScope *js, const int *saved)
{
    for (int r = 0; r < js->nrels; r++)
        js->rels[r].key_col = saved[r];
}

/* FROM a JOIN b ... JOIN c ...: a left-deep chain of JOIN nodes.  Each
 * join's output is [key] + the left side's columns (less a left join's own
 * key) + the right source's columns, named <ALIAS>_<COLUMN>. */
static int analyze_joins(const Catalog *c, const AstSelect *sel, Arena *a, SelectAnalysis *out,
                         Plan **pp, Scope *scope, EddyError *err)
{
    JoinScope *js = arena_alloc(a, sizeof *js);
    int n = sel->joins.n;
    out->inputs = arena_alloc(a, sizeof(CatSource *) * (size_t)(n + 1));
    CatSource *first = find_source(c, &sel->from.name, err);
    if (first == NULL)
        return -1;
    out->inputs[0] = first;
    out->ninputs = 1;
    Plan *left = source_plan(a, first, true);
    js->rels[0] = (JoinRel){first->name, sel->from.alias.name ? sel->from.alias.name : first->name,
                            left->schema, 0, -1, 0};
    js->nrels = 1;
    bool left_is_table = first->is_table;
    int left_skip = 0;            /* the left input's columns start here */
    for (int j = 0; j < n; j++) {
        const AstJoin *aj = sel->joins.items[j];
        if (js->nrels == 16)
            return eddy_error(err, ERR_UNSUPPORTED, aj->pos, "at most 15 joins in one query");
        CatSource *rs = find_source(c, &aj->right.name, err);
        if (rs == NULL)
            return -1;
        const char *ralias = aj->right.alias.name ? aj->right.alias.name : rs->name;
        for (int r = 0; r < js->nrels; r++)
            if (strcmp(js->rels[r].alias, ralias) == 0)
                return eddy_error(err, ERR_ANALYSIS, aj->right.name.pos,
                                  "%s appears twice in the join: give each an alias", ralias);
        bool found_input = false;
        for (int i = 0; i < out->ninputs; i++)
            found_input |= out->inputs[i] == rs;
        if (!found_input)
            out->inputs[out->ninputs++] = rs;
        Plan *right = source_plan(a, rs, true);
        const Schema *rsch = right->schema;
        if (check_join_windowing(js->rels[0].alias, first, ralias, rs, aj->pos, err) != 0)
            return -1;
        bool windowed = rs->window_kind != WKIND_NONE;

        /* Kind of join. */
        JoinKind kind;
        if (!left_is_table && !rs->is_table)
            kind = JOIN_STREAM_STREAM;
        else if (!left_is_table && rs->is_table)
            kind = JOIN_STREAM_TABLE;
        else if (left_is_table && rs->is_table)
            kind = JOIN_TABLE_TABLE;
        else
            return eddy_error(err, ERR_ANALYSIS, aj->pos,
                              "invalid join order: a table cannot be joined with a stream on its right; put the stream first (stream JOIN table) (ksqlDB: Invalid join order: table-stream joins are not supported; only stream-table joins.)");
        JoinType type = aj->kind == JOIN_LEFT ? JOINTYPE_LEFT : aj->kind == JOIN_RIGHT ? JOINTYPE_RIGHT
                      : aj->kind == JOIN_FULL ? JOINTYPE_FULL : JOINTYPE_INNER;
        if (kind == JOIN_STREAM_STREAM && !aj->has_within)
            return eddy_error(err, ERR_ANALYSIS, aj->pos,
                              "stream-stream joins must have a WITHIN clause specifying the join window");
        if (kind != JOIN_STREAM_STREAM && aj->has_within)
            return eddy_error(err, ERR_ANALYSIS, aj->pos,
                              "WITHIN is only allowed in stream-stream joins");
        if (kind == JOIN_STREAM_TABLE && (type == JOINTYPE_RIGHT || type == JOINTYPE_FULL))
            return eddy_error(err, ERR_ANALYSIS, aj->pos,
                              "%s JOIN is not supported for a stream-table join: use INNER or LEFT (ksqlDB: Invalid join type: %s join not supported for stream-table joins.)",
                              type == JOINTYPE_RIGHT ? "RIGHT" : "FULL OUTER",
                              type == JOINTYPE_RIGHT ? "right" : "full-outer");

        /* ON: an equality with one side on the left relations, one on the right. */
        const AstExpr *on = aj->on;
        if (on == NULL || on->kind != EXPR_BINARY || on->u.binary.op != OP_EQ)
            return eddy_error(err, ERR_ANALYSIS, on ? on->pos : aj->pos,
                              "unsupported join criteria %s: joins need an equality, e.g. a.id = b.id",
                              on ? bind_text(a, on) : "");
        JoinScope both = *js;
        both.rels[both.nrels] = (JoinRel){rs->name, ralias, rsch, 0, -1, 0};
        both.nrels++;
        unsigned rbit = 1u << js->nrels, lmask = rbit - 1;
        const AstExpr *le = on->u.binary.a, *re = on->u.binary.b;
        for (int side = 0; side < 2; side++) {
            const AstExpr *x = side ? on->u.binary.b : on->u.binary.a;
            if (x->kind == EXPR_COLUMN && x->u.col.qualifier == NULL) {
                unsigned m = rels_of(&both, x);
                if (!(m & (1u << 31)) && (m & (m - 1)))
                    return eddy_error(err, ERR_ANALYSIS, x->pos,
                                      "column %s is ambiguous: qualify it with a source alias, e.g. %s.%s",
                                      x->u.col.name, both.rels[0].alias, x->u.col.name);
            }
        }
        unsigned lm = rels_of(&both, le), rm = rels_of(&both, re);
        if ((lm & rbit) && !(lm & lmask) && !(rm & rbit)) {
            const AstExpr *t = le;
            le = re;
            re = t;
            unsigned tm = lm;
            lm = rm;
            rm = tm;
        }
        if ((lm & (1u << 31)) || (rm & (1u << 31))) {
            /* let binding report the unknown name */
        } else if (lm == 0 || rm == 0 || (lm & rbit) || (rm & lmask) || rm != rbit) {
            return eddy_error(err, ERR_ANALYSIS, on->pos,
                              "invalid join condition %s: each side of the comparison must reference exactly one side of the join",
                              bind_text(a, on));
        }
        Scope ls = {.schema = left->schema, .join = js};
        JoinScope rj = {.nrels = 1};
        rj.rels[0] = (JoinRel){rs->name, ralias, rsch, 0, -1, 0};
        Scope rsc = {.schema = rsch, .join = &rj};
        BExpr *lk, *rk;
        if (analyze_expr(&ls, le, a, &lk, err) != 0 || analyze_expr(&rsc, re, a, &rk, err) != 0)
            return -1;
        bool right_on_key = rk->kind == BX_COLUMN && rsch->nkeys == 1 && rk->u.column == 0;
        if (kind == JOIN_TABLE_TABLE) {
            bool left_on_key = lk->kind == BX_COLUMN && left->schema->nkeys == 1 && lk->u.column == 0;
            if (!right_on_key)
                return eddy_error(err, ERR_ANALYSIS, re->pos,
                                  "Invalid join condition: table-table joins require to join on the primary key of the right input table. Got %s = %s. (%s is not %s's PRIMARY KEY)",
                                  join_side_text(&both, on->u.binary.a, a), join_side_text(&both, on->u.binary.b, a),
                                  bind_text(a, re), rs->name);
            if (!left_on_key) {
                if (windowed)
                    return eddy_error(err, ERR_ANALYSIS, aj->pos,
                                      "foreign-key table-table joins are not supported on windowed tables");
                if (type == JOINTYPE_RIGHT || type == JOINTYPE_FULL)
                    return eddy_error(err, ERR_ANALYSIS, aj->pos,
                                      "%s OUTER JOIN on a foreign key is not supported: foreign-key table-table joins support INNER and LEFT only",
                                      type == JOINTYPE_RIGHT ? "RIGHT" : "FULL");
                /* The result is keyed by the left table's primary key,
                 * which the join keeps as one column. */
                if (left->schema->nkeys > 1)
                    return eddy_error(err, ERR_UNSUPPORTED, aj->pos,
                                      "foreign-key joins from a table with %d PRIMARY KEY columns are not supported yet",
                                      left->schema->nkeys);
                kind = JOIN_TABLE_TABLE_FK;
            }
        }
        /* Windowed rows meet on key and window, and ksqlDB cannot
         * repartition a windowed source: both sides on their keys, typed
         * alike. */
        if (windowed && (!right_on_key || lk->kind != BX_COLUMN || lk->u.column != 0 ||
                         left->schema->nkeys != 1 || !type_equal(lk->type, rk->type)))
            return eddy_error(err, ERR_ANALYSIS, on->pos,
                              "implicit repartitioning of windowed sources is not supported: join windowed sources on their key columns (%s)",
                              bind_text(a, on));
        if (kind == JOIN_STREAM_TABLE && !right_on_key)
            return eddy_error(err, ERR_ANALYSIS, re->pos,
                              "a stream-table join must be on the table's primary key: %s is not %s's PRIMARY KEY (ksqlDB: Invalid join condition: stream-table joins require to join on the table's primary key)",
                              bind_text(a, re), rs->name);
        if (!type_equal(lk->type, rk->type)) {
            const SqlType *common = bind_common_type(a, lk->type, rk->type);
            if (common == NULL || kind == JOIN_TABLE_TABLE) {
                bool swapped = le != on->u.binary.a;   /* print in the statement's order */
                return eddy_error(err, ERR_ANALYSIS, on->pos,
                                  "Invalid join condition: types don't match. Got %s{%s} = %s{%s}.",
                                  join_side_text(&both, on->u.binary.a, a),
                                  type_to_string(a, swapped ? rk->type : lk->type),
                                  join_side_text(&both, on->u.binary.b, a),
                                  type_to_string(a, swapped ? lk->type : rk->type));
            }
            lk = analyze_coerce(a, lk, common);
            rk = analyze_coerce(a, rk, common);
        }
        /* Co-partitioning, as ksqlDB requires (not for foreign-key joins). */
        if (kind != JOIN_TABLE_TABLE_FK && first->partitions > 0 && rs->partitions > 0 &&
            out->inputs[0]->partitions != rs->partitions)
            return eddy_error(err, ERR_ANALYSIS, aj->pos,
                              "can't join %s with %s since the number of partitions don't match: %s has %d partitions, %s has %d; repartition one of them so they match",
                              js->rels[0].name, rs->name, js->rels[0].name, out->inputs[0]->partitions,
                              rs->name, rs->partitions);

        /* Output schema. */
        int nl = left->schema->ncols - left_skip, nr = rsch->ncols;
        int nextra = left_skip == 0 ? 2 : 1;   /* hidden event times: the first source's, the right's */
        Schema *os = schema_create(a, 1 + nl + nr + nextra);
        for (int i = 0; i < nl; i++) {
            os->cols[1 + i] = left->schema->cols[left_skip + i];
            os->cols[1 + i].role = COL_VALUE;
        }
        if (left_skip == 0)   /* the first source: prefix its names */
            for (int i = 0; i < nl; i++)
                os->cols[1 + i].name = arena_sprintf(a, "%s_%s", js->rels[0].alias, left->schema->cols[i].name);
        for (int i = 0; i < nr; i++) {
            os->cols[1 + nl + i].name = arena_sprintf(a, "%s_%s", ralias, rsch->cols[i].name);
            os->cols[1 + nl + i].type = rsch->cols[i].type;
            os->cols[1 + nl + i].role = COL_VALUE;
        }
        int extra = 1 + nl + nr;
        if (left_skip == 0) {
            os->cols[extra].name = arena_sprintf(a, "%s_ROWTIME", js->rels[0].alias);
            os->cols[extra].type = type_prim(TYPE_BIGINT);
            os->cols[extra].role = COL_VALUE;
            js->rels[0].rowtime_col = extra++;
        }
        os->cols[extra].name = arena_sprintf(a, "%s_ROWTIME", ralias);
        os->cols[extra].type = type_prim(TYPE_BIGINT);
        os->cols[extra].role = COL_VALUE;
        /* The result key: the left join column (INNER/LEFT), the right one
         * (RIGHT), or a synthetic key (FULL OUTER); an FK join keeps the
         * left table's primary key. */
        const char *keyname;
        if (kind == JOIN_TABLE_TABLE_FK) {
            os->cols[0].type = left->schema->cols[0].type;
            keyname = os->cols[1].name;
        } else {
            os->cols[0].type = lk->type;
            keyname = type == JOINTYPE_FULL ? "ROWKEY" : NULL;
        }
        os->cols[0].role = COL_KEY;
        os->nkeys = 1;
        /* Relations: the left ones keep their offsets (a join's key at 0 is
         * replaced by this one's); the first source's start at 1. */
        if (left_skip == 0)
            js->rels[0].offset = 1;
        int saved_key_col[16];
        for (int r = 0; r < js->nrels; r++) {
            saved_key_col[r] = js->rels[r].key_col;
            js->rels[r].key_col = -1;
        }
        js->rels[js->nrels] = (JoinRel){rs->name, ralias, rsch, 1 + nl, -1, extra};
        /* Which side's column names the result key (a reference to it
         * resolves to column 0). */
        const BExpr *lb = lk->kind == BX_CAST ? lk->u.unary.a : lk;
        const BExpr *rb = rk->kind == BX_CAST ? rk->u.unary.a : rk;
        if (kind == JOIN_TABLE_TABLE_FK) {
            if (left_skip == 0)
                js->rels[0].key_col = 0;   /* the left table's primary key */
            else
                restore_key_cols(js, saved_key_col);
        } else if (type != JOINTYPE_FULL) {
            /* INNER, LEFT and RIGHT: the first join column (left side first)
             * names the key (ksqlDB's JoinTree.viableKeyColumns). */
            if (lb->kind == BX_COLUMN && left_skip && lb->u.column == 0) {
                restore_key_cols(js, saved_key_col);   /* joined again on the previous key */
            } else if (lb->kind == BX_COLUMN) {
                int oc = left_skip ? lb->u.column : 1 + lb->u.column;
                for (int r = 0; r < js->nrels; r++)
                    if (oc >= js->rels[r].offset && oc < js->rels[r].offset + js->rels[r].schema->ncols)
                        js->rels[r].key_col = oc - js->rels[r].offset;
            }
            /* The right join column equals the key wherever the right row
             * is always there (INNER, RIGHT); in a LEFT join it is NULL
             * when nothing matched, so it stays a value column. */
            if ((type == JOINTYPE_INNER || type == JOINTYPE_RIGHT) && rb->kind == BX_COLUMN)
                js->rels[js->nrels].key_col = rb->u.column;
        }
        js->nrels++;
        int key_idx = -1;
        for (int r = 0; r < js->nrels && key_idx < 0; r++)
            if (js->rels[r].key_col >= 0)
                key_idx = js->rels[r].offset + js->rels[r].key_col;
        os->cols[0].name = keyname ? keyname : key_idx > 0 ? os->cols[key_idx].name : "ROWKEY";

        Plan *jp = plan_new(a, PLAN_JOIN, left, os);
        jp->right = right;
        jp->u.join.type = type;
        jp->u.join.kind = kind;
        jp->u.join.left_key = lk;
        jp->u.join.right_key = rk;
        jp->u.join.on_text = bind_text(a, on);
        jp->u.join.before_ms = aj->within_before_ms;
        jp->u.join.after_ms = aj->within_after_ms;
        jp->u.join.grace_given = aj->grace_ms >= 0;
        jp->u.join.grace_ms = aj->grace_ms >= 0 ? aj->grace_ms : 24LL * 3600 * 1000;
        jp->u.join.nleft = nl;
        jp->u.join.nright = nr;
        jp->u.join.nextra = nextra;
        jp->u.join.left_skip = left_skip;
        jp->u.join.windowed = windowed;
        jp->u.join.id = j;
        left = jp;
        left_skip = 1;
        left_is_table = kind == JOIN_TABLE_TABLE || kind == JOIN_TABLE_TABLE_FK;
    }
    *pp = left;
    *scope = (Scope){.schema = left->schema, .join = js,
                     .rel_name = js->rels[0].name, .rel_alias = js->rels[0].alias};
    return 0;
}

static int analyze_from(const Catalog *c, const AstSelect *sel, Arena *a, SelectAnalysis *out,
                        Plan **pp, Scope *scope, EddyError *err)
{
    if (sel->joins.n > 0)
        return analyze_joins(c, sel, a, out, pp, scope, err);
    CatSource *src = find_source(c, &sel->from.name, err);
    if (src == NULL)
        return -1;
    out->inputs = arena_alloc(a, sizeof(CatSource *));
    out->inputs[0] = src;
    out->ninputs = 1;
    Plan *p = source_plan(a, src, false);
    *scope = (Scope){.schema = src->schema, .rel_name = src->name, .rel_alias = sel->from.alias.name,
                     .windowed = src->window_kind != WKIND_NONE};
    *pp = p;
    return 0;
}

static int analyze_where(const AstSelect *sel, Plan **pp, const Scope *scope, Arena *a,
                         EddyError *err)
{
    if (sel->where == NULL)
        return 0;
    BExpr *pred;
    if (bind_bool(scope, sel->where, a, &pred, "WHERE condition", err) != 0)
        return -1;
    Plan *f = plan_new(a, PLAN_FILTER, *pp, (*pp)->schema);
    f->u.filter.pred = pred;
    f->u.filter.text = bind_text(a, sel->where);
    /* On a table, a row that stops matching is deleted downstream. */
    f->u.filter.changelog = ((*pp)->tag == PLAN_SOURCE && (*pp)->u.source.src->is_table) ||
                            ((*pp)->tag == PLAN_JOIN && ((*pp)->u.join.kind == JOIN_TABLE_TABLE ||
                                                         (*pp)->u.join.kind == JOIN_TABLE_TABLE_FK));
    *pp = f;
    return 0;
}

/* PARTITION BY: new key columns; every input column becomes a value. */
static int analyze_partition_by(const AstSelect *sel, Plan **pp, Scope *scope, Arena *a,
                                EddyError *err)
{
    int n = sel->partition_by.n;
    Plan *p = *pp;
    Plan *r = plan_new(a, PLAN_REKEY, p, NULL);
    r->u.rekey.keys = arena_alloc(a, sizeof(BExpr *) * (size_t)n);
    r->u.rekey.texts = arena_alloc(a, sizeof(char *) * (size_t)n);
    bool null_key = false;
    for (int i = 0; i < n; i++) {
        const AstExpr *ke = sel->partition_by.items[i];
        if (ke->kind == EXPR_NULL) {   /* PARTITION BY NULL: no key */
            null_key = true;
            continue;
        }
        if (analyze_expr(scope, ke, a, &r->u.rekey.keys[i], err) != 0)
            return -1;
        r->u.rekey.texts[i] = bind_text(a, ke);
        if (scope->windowed && !is_column_ref(r->u.rekey.keys[i], i))
            return eddy_error(err, ERR_ANALYSIS, ke->pos,
                              "implicit repartitioning of windowed sources is not supported: %s is not the key of %s",
                              r->u.rekey.texts[i], scope->rel_name);
    }
    if (scope->windowed && (null_key || n != p->schema->nkeys))
        return eddy_error(err, ERR_ANALYSIS, ((AstExpr *)sel->partition_by.items[0])->pos,
                          "implicit repartitioning of windowed sources is not supported: PARTITION BY must name the key of %s",
                          scope->rel_name);
    if (null_key && n > 1)
        return eddy_error(err, ERR_ANALYSIS, ((AstExpr *)sel->partition_by.items[0])->pos,
                          "PARTITION BY NULL cannot be combined with other expressions");
    int nk = null_key ? 0 : n;
    r->u.rekey.nkeys = nk;
    const Schema *in = p->schema;
    Schema *rs = schema_create(a, nk + in->ncols);
    int gen = 0;
    for (int i = 0; i < nk; i++) {
        const AstExpr *ke = sel->partition_by.items[i];
        int rel = scope->join && ke->kind == EXPR_COLUMN ? ref_rel(scope->join, ke) : -1;
        /* A join's column keeps its <ALIAS>_<COLUMN> name as the key (ksqlDB). */
        /* A pseudo column (PARTITION BY ROWTIME) gets a generated name, as
         * any expression: ROWTIME cannot name a column. */
        bool pseudo = r->u.rekey.keys[i]->kind == BX_PSEUDO;
        rs->cols[i].name = rel >= 0 ? arena_sprintf(a, "%s_%s", scope->join->rels[rel].alias, ke->u.col.name)
                         : pseudo ? arena_sprintf(a, "KSQL_COL_%d", gen++)
                                  : default_name(ke, a, &gen);
        rs->cols[i].type = r->u.rekey.keys[i]->type;
        rs->cols[i].role = COL_KEY;
    }
    rs->nkeys = nk;
    for (int i = 0; i < in->ncols; i++) {
        rs->cols[nk + i] = in->cols[i];
        rs->cols[nk + i].role = COL_VALUE;
    }
    r->schema = rs;
    *pp = r;
    scope->schema = rs;
    if (scope->join) {
        /* The join's columns now start after the new key: each relation's
         * columns (its key's value copy included) and event time move by
         * nk, and the old join key is no longer the key. */
        JoinScope *js = arena_alloc(a, sizeof *js);
        *js = *scope->join;
        for (int i = 0; i < js->nrels; i++) {
            js->rels[i].offset += nk;
            js->rels[i].key_col = -1;
            if (js->rels[i].rowtime_col > 0)
                js->rels[i].rowtime_col += nk;
        }
        scope->join = js;
    }
    return 0;
}

/* ksqlDB's name for a qualified column of a join (AstSanitizer): the bare
 * name if only one relation has a column of that name, else
 * <ALIAS>_<COLUMN>. */
static const char *join_column_name(const JoinScope *js, const AstExpr *e, Arena *a)
{
    const char *q = e->u.col.qualifier, *name = e->u.col.name;
    int holders = 0;
    const char *alias = NULL;
    for (int r = 0; r < js->nrels; r++) {
        if (schema_find(js->rels[r].schema, name) >= 0)
            holders++;
        if (strcmp(q, js->rels[r].alias) == 0 || strcmp(q, js->rels[r].name) == 0)
            alias = js->rels[r].alias;
    }
    if (strcmp(name, "ROWTIME") == 0 && alias)
        return arena_sprintf(a, "%s_ROWTIME", alias);   /* every source has one: always a clash */
    if (holders > 1 && alias)
        return arena_sprintf(a, "%s_%s", alias, name);
    return arena_strdup(a, name);
}

/* Appends WINDOWSTART and WINDOWEND (the row's window) to a select list. */
static int add_window_bounds(BExpr **exprs, Column *cols, int n, Arena *a, SrcPos pos)
{
    static const char *const names[2] = {"WINDOWSTART", "WINDOWEND"};
    for (int i = 0; i < 2; i++) {
        exprs[n] = bind_node(a, BX_PSEUDO, type_prim(TYPE_BIGINT), pos);
        exprs[n]->u.pseudo = i == 0 ? PSEUDO_WINDOWSTART : PSEUDO_WINDOWEND;
        cols[n] = (Column){.name = names[i], .type = exprs[n]->type, .role = COL_VALUE};
        n++;
    }
    return n;
}

/* Which relation of a join a plain column reference names: by its
 * qualifier, else the first holding the name; -1 if none. */
static int ref_rel(const JoinScope *js, const AstExpr *e)
{
    const char *q = e->u.col.qualifier;
    for (int r = 0; r < js->nrels; r++)
        if (q ? strcmp(q, js->rels[r].alias) == 0 || strcmp(q, js->rels[r].name) == 0
              : schema_find(js->rels[r].schema, e->u.col.name) >= 0)
            return r;
    return -1;
}

/* Which PARTITION BY column of a join does the plain column reference e
 * name (the same column of the same relation)?  -1 if none.  (Without a
 * join the new key resolves by its name.) */
static int rekey_column_match(const AstSelect *sel, const JoinScope *js, const AstExpr *e)
{
    if (e->kind != EXPR_COLUMN)
        return -1;
    int rel = ref_rel(js, e);
    for (int k = 0; rel >= 0 && k < sel->partition_by.n; k++) {
        const AstExpr *pe = sel->partition_by.items[k];
        if (pe->kind == EXPR_COLUMN && strcmp(pe->u.col.name, e->u.col.name) == 0 && ref_rel(js, pe) == rel)
            return k;
    }
    return -1;
}

/* Do two select items that both resolve to key column k name the same
 * source column?  Without a join, always (SELECT *, or K and K AS K2).
 * In a join each side's join column resolves to the key, and ksqlDB
 * keeps the left one as the key and the right one as a value (SELECT *
 * gives L_ID KEY and R_ID): only two references to the same column of
 * the same relation are a repeated key. */
static bool same_key_ref(const Scope *scope, const AstSelectItem *x, const AstSelectItem *y)
{
    if (scope->join == NULL)
        return true;
    const AstExpr *ex = x->expr, *ey = y->expr;
    if (ex->kind != EXPR_COLUMN || ey->kind != EXPR_COLUMN || strcmp(ex->u.col.name, ey->u.col.name) != 0)
        return false;
    int rx = ref_rel(scope->join, ex);
    return rx >= 0 && rx == ref_rel(scope->join, ey);
}

/* ksqlDB's "The projection contains a key column more than once": a key
 * column is the record's key once, so a second plain reference to it
 * (K, K AS K2; or SELECT *, K AS K2) is refused rather than silently made
 * a value column; AS_VALUE(K) copies it.  The names are listed sorted, as
 * ksqlDB does ("K and K2", "A, B and C"); the error points at the
 * second reference. */
static int key_repeated(const Schema *in, int k, BExpr *const *exprs, const Column *cols,
                        const AstSelectItem *const *item_of, int n, int found, const Scope *scope,
                        Arena *a, EddyError *err)
{
    const char **names = arena_alloc(a, sizeof(char *) * (size_t)(n + 1));
    int nn = 0, second = -1;
    names[nn++] = cols[found].name;
    for (int j = found + 1; j < n; j++)
        if (is_column_ref(exprs[j], k) && same_key_ref(scope, item_of[found], item_of[j])) {
            names[nn++] = cols[j].name;
            if (second < 0)
                second = j;
        }
    if (second < 0)
        return 0;
    for (int i = 1; i < nn; i++)   /* insertion sort: a handful of names */
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            const char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < nn; i++)
        sb_printf(&sb, "%s%s", i == 0 ? "" : i == nn - 1 ? " and " : ", ", names[i]);
    const AstSelectItem *it = item_of[second];
    eddy_error(err, ERR_ANALYSIS, it->alias.name ? it->alias.pos : it->expr->pos,
               "The projection contains a key column (`%s`) more than once, aliased as: %s. Each key column can be in the projection only once; to copy the key into the value, use AS_VALUE(%s)",
               in->cols[k].name, sb.data, cols[found].name);
    sb_free(&sb);
    return -1;
}

/* "Key missing from projection", in ksqlDB's words for a foreign-key join
 * (whose key is the left table's primary key). */
static int key_missing(const AstSelect *sel, const Plan *p, const Scope *scope, int k, EddyError *err)
{
    while (p->tag == PLAN_FILTER)
        p = p->input;
    if (p->tag == PLAN_JOIN && p->u.join.kind == JOIN_TABLE_TABLE_FK && p->u.join.left_skip == 0 && scope->join)
        return eddy_error(err, ERR_ANALYSIS, sel->pos,
                          "Primary key column missing in projection. For foreign-key table-table joins, the projection must include all primary key columns from the left input table (`%s`). Missing column: `%s`.",
                          scope->join->rels[0].name, scope->join->rels[0].schema->cols[0].name);
    /* ksqlDB's words; exec_create_as adds the sink's name. */
    const char *what = "key column", *text = p->schema->cols[k].name;
    if (p->tag == PLAN_REKEY && k < p->u.rekey.nkeys && p->u.rekey.texts[k] &&
        (((const AstExpr *)sel->partition_by.items[k])->kind != EXPR_COLUMN ||
         p->u.rekey.keys[k]->kind == BX_PSEUDO)) {
        what = "partitioning expression";
        text = p->u.rekey.texts[k];
    } else if (p->tag == PLAN_AGGREGATE && k < p->u.aggregate.nkeys && p->u.aggregate.key_texts[k] &&
               ((const AstExpr *)sel->group_by.items[k])->kind != EXPR_COLUMN) {
        what = "grouping expression";
        text = p->u.aggregate.key_texts[k];
    }
    return eddy_error(err, ERR_ANALYSIS, sel->pos,
                      "Key missing from projection (ie, SELECT). The query must include the %s %s in its projection (eg, SELECT %s...).",
                      what, text, text);
}

/* The select list over p's schema; key columns of p must be projected by a
 * persistent query (ksqlDB: "Key missing from projection"). */
static int analyze_projection(const AstSelect *sel, bool persistent, const char *src_name,
                              Plan **pp, const Scope *scope, Arena *a, EddyError *err)
{
    Plan *p = *pp;
    /* Over a FLATMAP, * and the keys are its input's (a prefix of its columns). */
    const Plan *base = p->tag == PLAN_FLATMAP ? p->input : p;
    const Schema *in = base->schema;
    bool rekeyed = base->tag == PLAN_REKEY;
    int nkeys_new = rekeyed ? base->u.rekey.nkeys : -1;
    bool star_window = !persistent && scope->windowed && !scope->join && !scope->agg;
    int nitems = 0;
    for (int i = 0; i < sel->items.n; i++) {
        const AstSelectItem *it = sel->items.items[i];
        if (it->expr->kind == EXPR_STAR) {
            const char *q = it->expr->u.col.qualifier;
            if (scope->join) {
                nitems += in->ncols;
                continue;
            }
            if (q && strcmp(q, src_name) != 0 && !(sel->from.alias.name && strcmp(q, sel->from.alias.name) == 0))
                return eddy_error(err, ERR_ANALYSIS, it->expr->pos, "unknown source %s in %s.*", q, q);
            nitems += in->ncols + (star_window ? 2 : 0);
        } else {
            nitems++;
        }
    }
    BExpr **exprs = arena_alloc(a, sizeof(BExpr *) * (size_t)(nitems + 1));
    Column *cols = arena_alloc(a, sizeof(Column) * (size_t)(nitems + 1));
    const AstSelectItem **item_of = arena_alloc(a, sizeof(AstSelectItem *) * (size_t)(nitems + 1));
    int n = 0, gen = 0;
    for (int i = 0; i < sel->items.n; i++) {
        const AstSelectItem *it = sel->items.items[i];
        for (int j = n; j < nitems; j++)   /* the columns this item adds */
            item_of[j] = it;
        if (it->expr->kind == EXPR_STAR && scope->join) {
            /* Every relation's columns (or one relation's: a.*), named
             * <ALIAS>_<COLUMN>; the key-side join column is the key. */
            const JoinScope *js = scope->join;
            const char *q = it->expr->u.col.qualifier;
            bool any = false;
            if (q == NULL && js->rels[0].key_col < 0 && in->cols[0].role == COL_KEY) {
                bool named = false;
                for (int r = 1; r < js->nrels; r++)
                    named |= js->rels[r].key_col >= 0;
                if (!named) {   /* a synthetic key (FULL OUTER): ROWKEY first */
                    exprs[n] = bind_column(a, in, 0, it->expr->pos);
                    cols[n] = in->cols[0];
                    n++;
                }
            }
            for (int r = 0; r < js->nrels; r++) {
                const JoinRel *rel = &js->rels[r];
                if (q && strcmp(q, rel->alias) != 0 && strcmp(q, rel->name) != 0)
                    continue;
                any = true;
                for (int k = 0; k < rel->schema->ncols; k++) {
                    /* After PARTITION BY, the column the new key was named
                     * after is the key (as without a join). */
                    if (nkeys_new >= 0 && names_taken(cols, n, in->cols[rel->offset + k].name))
                        continue;
                    int col = k == rel->key_col ? 0 : rel->offset + k;
                    exprs[n] = bind_column(a, in, col, it->expr->pos);
                    cols[n] = in->cols[rel->offset + k];
                    n++;
                }
            }
            if (!any)
                return eddy_error(err, ERR_ANALYSIS, it->expr->pos, "unknown source %s in %s.*", q, q);
            continue;
        }
        if (it->expr->kind == EXPR_STAR) {
            if (in->nkeys == 0 && star_window)
                n = add_window_bounds(exprs, cols, n, a, it->expr->pos);
            for (int k = 0; k < in->ncols; k++) {
                /* After PARTITION BY col, the old column of that name is the new key. */
                if (nkeys_new >= 0 && k >= nkeys_new && names_taken(cols, n, in->cols[k].name))
                    continue;
                BExpr *b = bind_node(a, BX_COLUMN, in->cols[k].type, it->expr->pos);
                b->u.column = k;
                exprs[n] = b;
                cols[n] = in->cols[k];
                n++;
                /* A client's SELECT * on a windowed source shows the window
                 * after the key columns, as ksqlDB does; a persistent query
                 * keeps it in the output's key instead. */
                if (k == in->nkeys - 1 && star_window)
                    n = add_window_bounds(exprs, cols, n, a, it->expr->pos);
            }
            continue;
        }
        int keyref = nkeys_new > 0 ? rekey_match(base, it->expr) : -1;
        if (keyref < 0 && nkeys_new > 0 && scope->join)
            keyref = rekey_column_match(sel, scope->join, it->expr);
        if (keyref >= 0) {   /* the PARTITION BY expression itself: the new key */
            exprs[n] = bind_node(a, BX_COLUMN, in->cols[keyref].type, it->expr->pos);
            exprs[n]->u.column = keyref;
        } else if (analyze_expr(scope, it->expr, a, &exprs[n], err) != 0) {
            return -1;
        }
        if (exprs[n]->type->kind == TYPE_NULL)
            return eddy_error(err, ERR_ANALYSIS, it->expr->pos,
                              "can't infer a type of null; use CAST(NULL AS <type>)");
        const char *name = it->alias.name ? arena_strdup(a, it->alias.name)
                         : scope->join && it->expr->kind == EXPR_COLUMN && it->expr->u.col.qualifier
                             ? join_column_name(scope->join, it->expr, a)
                             : default_name(it->expr, a, &gen);
        if (persistent && exprs[n]->kind == BX_PSEUDO && it->alias.name == NULL &&
            exprs[n]->u.pseudo != PSEUDO_WINDOWSTART && exprs[n]->u.pseudo != PSEUDO_WINDOWEND)
            return eddy_error(err, ERR_ANALYSIS, it->expr->pos,
                              "reserved column name in select: %s; please use an alias", name);
        if (names_taken(cols, n, name))
            return eddy_error(err, ERR_ANALYSIS, it->alias.name ? it->alias.pos : it->expr->pos,
                              "duplicate column name %s in the select list; use an alias", name);
        cols[n].name = name;
        cols[n].type = exprs[n]->type;
        n++;
    }

    /* Key columns: the first plain reference to each key column of p. */
    int nkeys = 0;
    for (int j = 0; j < n; j++)
        cols[j].role = COL_VALUE;
    if (persistent) {
        for (int k = 0; k < in->nkeys; k++) {
            int found = -1;
            for (int j = 0; j < n && found < 0; j++)
                if (is_column_ref(exprs[j], k) && cols[j].role == COL_VALUE)
                    found = j;
            if (found < 0)
                return key_missing(sel, p, scope, k, err);
            if (key_repeated(in, k, exprs, cols, item_of, n, found, scope, a, err) != 0)
                return -1;
            cols[found].role = COL_KEY;
            nkeys++;
        }
    }
    /* Order: key columns first (in key order), then values. */
    Schema *os = schema_create(a, n);
    BExpr **oexprs = arena_alloc(a, sizeof(BExpr *) * (size_t)(n + 1));
    int o = 0;
    for (int k = 0; k < in->nkeys && persistent; k++)
        for (int j = 0; j < n; j++)
            if (cols[j].role == COL_KEY && is_column_ref(exprs[j], k)) {
                os->cols[o] = cols[j];
                oexprs[o++] = exprs[j];
                break;
            }
    for (int j = 0; j < n; j++)
        if (cols[j].role == COL_VALUE) {
            os->cols[o] = cols[j];
            oexprs[o++] = exprs[j];
        }
    os->nkeys = nkeys;
    if (persistent && nkeys == n)
        return eddy_error(err, ERR_ANALYSIS, sel->pos,
                          "the projection has no value columns: select at least one non-key column");
    Plan *proj = plan_new(a, PLAN_PROJECT, p, os);
    proj->u.project.exprs = oexprs;
    proj->u.project.n = o;
    *pp = proj;
    return 0;
}

/* Where a query names source src (FROM or a JOIN), for messages. */
static SrcPos source_pos(const AstSelect *sel, const CatSource *src)
{
    for (int i = 0; i < sel->joins.n; i++) {
        const AstJoin *j = sel->joins.items[i];
        if (str_ieq(j->right.name.name, src->name))
            return j->right.name.pos;
    }
    return sel->from.name.pos;
}

static bool any_aggregate(const AstSelect *sel, Arena *a)
{
    PtrVec calls = {0}, texts = {0};
    for (int i = 0; i < sel->items.n; i++) {
        const AstSelectItem *it = sel->items.items[i];
        collect_aggs(it->expr, a, &calls, &texts);
    }
    return calls.n > 0;
}

/* The select list with each a->* item replaced by one item per field of
 * a's STRUCT type, a->F AS F (ksqlDB's struct "all fields" projection);
 * *selp is left as it is when there is none.  a is typed over the source
 * (or join) scope: a struct's fields are the same after WHERE, PARTITION BY
 * or a table function. */
static int expand_struct_all(const AstSelect **selp, const Scope *scope, Arena *a, EddyError *err)
{
    const AstSelect *sel = *selp;
    int found = 0;
    for (int i = 0; i < sel->items.n; i++) {
        const AstExpr *x = ((const AstSelectItem *)sel->items.items[i])->expr;
        found += x->kind == EXPR_DEREF && x->u.deref.field == NULL;
    }
    if (found == 0)
        return 0;
    AstSelect *copy = arena_alloc(a, sizeof *copy);
    *copy = *sel;
    copy->items = (PtrVec){0};
    for (int i = 0; i < sel->items.n; i++) {
        AstSelectItem *it = sel->items.items[i];
        if (it->expr->kind != EXPR_DEREF || it->expr->u.deref.field != NULL) {
            ptrvec_push(a, &copy->items, it);
            continue;
        }
        BExpr *base;
        if (analyze_expr(scope, it->expr->u.deref.a, a, &base, err) != 0)
            return -1;
        if (base->type->kind != TYPE_STRUCT)
            return eddy_error(err, ERR_ANALYSIS, it->expr->pos, "->* needs a STRUCT, not %s",
                              type_to_string(a, base->type));
        for (int f = 0; f < base->type->nfields; f++) {
            AstExpr *d = arena_alloc(a, sizeof *d);
            *d = *it->expr;
            d->u.deref.field = base->type->fields[f].name;
            AstSelectItem *item = arena_alloc(a, sizeof *item);
            item->expr = d;
            item->alias = (AstName){base->type->fields[f].name, true, it->expr->pos};
            ptrvec_push(a, &copy->items, item);
        }
    }
    *selp = copy;
    return 0;
}

int analyze_select(const Catalog *c, const AstSelect *sel, bool persistent, Arena *a,
                   SelectAnalysis *out, EddyError *err)
{
    memset(out, 0, sizeof *out);
    bool grouped = sel->group_by.n > 0;
    if (plan_check_table_fns(sel, grouped, a, err) != 0)
        return -1;
    if (!grouped) {
        if (any_aggregate(sel, a))
            return eddy_error(err, ERR_ANALYSIS, sel->pos,
                              "aggregate functions need a GROUP BY clause");
        if (sel->having)
            return eddy_error(err, ERR_ANALYSIS, sel->having->pos, "HAVING needs a GROUP BY clause");
        if (sel->window.kind != WINDOW_NONE)
            return eddy_error(err, ERR_ANALYSIS, sel->window.pos,
                              "WINDOW needs an aggregation with GROUP BY");
        if (sel->emit == EMIT_FINAL)
            return eddy_error(err, ERR_ANALYSIS, sel->pos,
                              "EMIT FINAL is only supported for windowed aggregations");
    }
    if (grouped && sel->partition_by.n > 0)
        return eddy_error(err, ERR_ANALYSIS, ((AstExpr *)sel->partition_by.items[0])->pos,
                          "PARTITION BY cannot be combined with GROUP BY");
    Plan *p = NULL;
    Scope scope;
    if (analyze_from(c, sel, a, out, &p, &scope, err) != 0)
        return -1;
    if (expand_struct_all(&sel, &scope, a, err) != 0)
        return -1;
    for (int i = 0; persistent && i < out->ninputs; i++)
        if (out->inputs[i]->is_table && out->inputs[i]->window_kind != WKIND_NONE)
            return eddy_error(err, ERR_ANALYSIS, source_pos(sel, out->inputs[i]),
                              "persistent queries on windowed tables are not supported (as in ksqlDB): %s is a %s-windowed table; read it with a push or pull query, or declare a stream over its topic WITH (WINDOW_TYPE='%s')",
                              out->inputs[i]->name, window_kind_name(out->inputs[i]->window_kind),
                              window_kind_name(out->inputs[i]->window_kind));
    if (scope.join && (grouped || sel->partition_by.n > 0))
        for (int i = 0; i < out->ninputs; i++)
            if (out->inputs[i]->window_kind != WKIND_NONE)
                return eddy_error(err, ERR_UNSUPPORTED, sel->pos,
                                  "%s over a join of windowed sources is not supported yet",
                                  grouped ? "GROUP BY" : "PARTITION BY");
    const CatSource *src = out->inputs[0];
    if (src->is_table && sel->partition_by.n > 0)
        return eddy_error(err, ERR_ANALYSIS, ((AstExpr *)sel->partition_by.items[0])->pos,
                          "PARTITION BY is not supported on tables");
    /* PREDICT over the source's (or join's) rows; after an aggregation or
     * PARTITION BY, over that node's (plan_int.h). */
    ScoreScope *input_models = scope.score = score_scope_new(c, p, a);
    if (analyze_where(sel, &p, &scope, a, err) != 0)
        return -1;
    if (grouped) {
        if (analyze_aggregate(sel, src, &p, &scope, a, err) != 0)
            return -1;
    } else if (sel->partition_by.n > 0) {
        if (analyze_partition_by(sel, &p, &scope, a, err) != 0)
            return -1;
        scope.score = score_scope_new(c, p, a);
    }
    if (!grouped && plan_table_fns(sel, src, &p, &scope, a, err) != 0)
        return -1;
    if (analyze_projection(sel, persistent, src->name, &p, &scope, a, err) != 0)
        return -1;
    if (scope.tfn && ((input_models && input_models->calls.n > 0) || (scope.score && scope.score->calls.n > 0)))
        return eddy_error(err, ERR_UNSUPPORTED, sel->pos,
                          "PREDICT and MODEL_VERSION cannot be combined with table functions yet");
    plan_place_score(p, input_models, a);
    if (scope.score != input_models)
        plan_place_score(p, scope.score, a);
    out->plan = p;
    return 0;
}

Plan *plan_sink(Arena *a, Plan *input, CatSource *sink, bool sink_timestamp, int64_t limit)
{
    Plan *p = plan_new(a, PLAN_SINK, input, sink ? sink->schema : input->schema);
    p->u.sink.sink = sink;
    p->u.sink.limit = limit;
    p->u.sink.sink_timestamp = sink_timestamp;
    plan_mark_used(a, p);
    return p;
}
