/*
 * plan_tfunc.c - table functions: EXPLODE and CUBE_EXPLODE in a select
 * list become a FLATMAP node (plan.h) between the node below the select
 * list (source, WHERE, PARTITION BY or join) and the PROJECT.
 *
 * In:  a SELECT's select list, the scope it binds in, the plan so far.
 * Out: the FLATMAP node (input columns + one column per distinct call,
 *      KSQL_SYNTH_<i>) and a scope in which each call binds to its column;
 *      or -1 and a positioned error.
 *
 * ksqlDB's rules (its Analyzer and QTT explode.json / table-functions.json):
 * table functions only in the select list of a query on a stream ("Table
 * source is not supported with table functions"), never together with an
 * aggregation ("Table functions cannot be used with aggregations."), never
 * nested, and several in one select list are zipped: as many rows as the
 * longest result, the shorter ones NULL.  A call repeated with the same
 * text is one column, as in ksqlDB.
 */
#include "plan_int.h"

#include <string.h>

static void collect_table_fns(const AstSelect *sel, Arena *a, PtrVec *calls, PtrVec *texts)
{
    for (int i = 0; i < sel->items.n; i++) {
        const AstSelectItem *it = sel->items.items[i];
        plan_collect_calls(it->expr, func_is_table, a, calls, texts);
    }
}

/* The first table function call anywhere in e, or NULL. */
static const AstExpr *first_table_fn(const AstExpr *e, Arena *a)
{
    PtrVec calls = {0}, texts = {0};
    plan_collect_calls(e, func_is_table, a, &calls, &texts);
    return calls.n > 0 ? calls.items[0] : NULL;
}

int plan_check_table_fns(const AstSelect *sel, bool grouped, Arena *a, EddyError *err)
{
    PtrVec calls = {0}, texts = {0};
    collect_table_fns(sel, a, &calls, &texts);
    if (calls.n == 0)
        return 0;
    const AstExpr *first = calls.items[0];
    PtrVec aggs = {0}, agg_texts = {0};
    for (int i = 0; i < sel->items.n; i++)
        plan_collect_calls(((const AstSelectItem *)sel->items.items[i])->expr, func_is_aggregate, a,
                           &aggs, &agg_texts);
    if (grouped || aggs.n > 0)
        return eddy_error(err, ERR_ANALYSIS, first->pos,
                          "Table functions cannot be used with aggregations.  %s cannot be in the select list of a query with %s; "
                          "aggregate its rows in a query that reads this one's output",
                          (const char *)texts.items[0], grouped ? "GROUP BY" : "aggregate functions");
    for (int i = 0; i < calls.n; i++) {
        const AstExpr *c = calls.items[i];
        for (int j = 0; j < c->u.func.args.n; j++) {
            const AstExpr *inner = first_table_fn(c->u.func.args.items[j], a);
            if (inner)
                return eddy_error(err, ERR_ANALYSIS, inner->pos,
                                  "table functions cannot be nested: %s is inside %s",
                                  bind_text(a, inner), (const char *)texts.items[i]);
        }
    }
    return 0;
}

int plan_table_fns(const AstSelect *sel, const CatSource *src, Plan **pp, Scope *scope, Arena *a,
                   EddyError *err)
{
    PtrVec calls = {0}, texts = {0};
    collect_table_fns(sel, a, &calls, &texts);
    int n = calls.n;
    if (n == 0)
        return 0;
    const AstExpr *first = calls.items[0];
    if (src->is_table)
        return eddy_error(err, ERR_ANALYSIS, first->pos,
                          "Table source is not supported with table functions: %s is a table; "
                          "table functions need a stream",
                          src->name);
    Plan *in = *pp;
    const Schema *is = in->schema;
    Plan *fm = arena_alloc(a, sizeof *fm);
    fm->tag = PLAN_FLATMAP;
    fm->input = in;
    fm->u.flatmap.n = n;
    fm->u.flatmap.nbase = is->ncols;
    fm->u.flatmap.args = arena_alloc(a, sizeof(BExpr *) * (size_t)n);
    fm->u.flatmap.texts = (const char **)texts.items;
    fm->u.flatmap.cube = arena_alloc(a, sizeof(bool) * (size_t)n);
    Schema *os = schema_create(a, is->ncols + n);
    memcpy(os->cols, is->cols, sizeof(Column) * (size_t)is->ncols);
    os->nkeys = is->nkeys;
    for (int i = 0; i < n; i++) {
        const AstExpr *c = calls.items[i];
        int nargs = c->u.func.args.n;
        BExpr **args = arena_alloc(a, sizeof(BExpr *) * (size_t)(nargs + 1));
        const SqlType **types = arena_alloc(a, sizeof(SqlType *) * (size_t)(nargs + 1));
        for (int j = 0; j < nargs; j++) {
            const AstExpr *arg = c->u.func.args.items[j];
            if (analyze_expr(scope, arg, a, &args[j], err) != 0)
                return -1;
            types[j] = args[j]->type;
            if (types[j]->kind == TYPE_NULL)
                return eddy_error(err, ERR_ANALYSIS, arg->pos,
                                  "can't infer a type of null; use CAST(NULL AS ARRAY<...>)");
        }
        ResolvedCall rc;
        if (func_resolve(c->u.func.name, types, nargs, a, &rc, err) != 0) {
            err->pos = c->pos;
            return -1;
        }
        /* Both take one ARRAY: resolution checked the count. */
        fm->u.flatmap.args[i] = analyze_coerce(a, args[0], rc.params[0]);
        fm->u.flatmap.cube[i] = str_ieq(c->u.func.name, "CUBE_EXPLODE");
        os->cols[is->ncols + i] = (Column){.name = arena_sprintf(a, "KSQL_SYNTH_%d", i),
                                           .type = rc.result, .role = COL_VALUE};
    }
    fm->schema = os;
    TableFnScope *t = arena_alloc(a, sizeof *t);
    t->texts = fm->u.flatmap.texts;
    t->n = n;
    t->base = is->ncols;
    scope->schema = os;
    scope->tfn = t;
    *pp = fm;
    return 0;
}

int bind_table_fn(const Scope *s, const AstExpr *e, Arena *a, BExpr **out, EddyError *err)
{
    const char *text = bind_text(a, e);
    for (int i = 0; s->tfn && i < s->tfn->n; i++)
        if (strcmp(text, s->tfn->texts[i]) == 0) {
            *out = bind_column(a, s->schema, s->tfn->base + i, e->pos);
            return 0;
        }
    char *name = arena_strdup(a, e->u.func.name);
    for (char *p = name; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    return eddy_error(err, ERR_ANALYSIS, e->pos,
                      "table function %s is not allowed here: table functions can only be used in the select list of a query on a stream",
                      name);
}
