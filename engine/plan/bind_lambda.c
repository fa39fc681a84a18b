/*
 * bind_lambda.c - binding of the lambda functions TRANSFORM, FILTER and
 * REDUCE: their collection, their lambdas' parameters and bodies, into a
 * BX_LAMBDA_CALL (expr.h) that engine/expr/expr_lambda.c evaluates.
 *
 * In:  a call TRANSFORM(coll, x => ...), FILTER(coll, x => ...),
 *      REDUCE(coll, init, (s, x) => ...) (over a MAP: (k, v) => ... and
 *      (s, k, v) => ...; TRANSFORM over a MAP takes a key lambda and a value
 *      lambda) and the Scope it is bound in.
 * Out: the bound call, or -1 and an error positioned at the offending
 *      argument.
 *
 * ksqlDB's rules (its AstSanitizer and lambda QTTs): a lambda only as an
 * argument of these functions; a parameter may not be named like a column
 * of the query's sources ("Lambda function argument can't be a column
 * name"), nor like a parameter of an enclosing lambda or another of its
 * own ("Reusing lambda arguments in nested lambda is not allowed"); so a
 * name in a lambda body is a parameter if one of its lambdas declares it,
 * else a column.  Parameters are typed from the collection (element; key
 * and value) and, for REDUCE, the initial state.  FILTER's lambda must be
 * BOOLEAN.  REDUCE's state takes the type of its initial value, widened
 * (INT -> BIGINT -> DECIMAL -> DOUBLE) when the lambda returns a wider
 * number, which ksqlDB would reject: REDUCE(bigints, 0, (s, x) => s + x)
 * sums in BIGINT.
 */
#include "plan_int.h"

#include <string.h>

/* What a function takes, for messages. */
static const char *takes(LambdaFn fn)
{
    switch (fn) {
    case LAMBDA_TRANSFORM: return "(ARRAY<T>, T => R) or (MAP<K, V>, (K, V) => R, (K, V) => W)";
    case LAMBDA_FILTER: return "(ARRAY<T>, T => BOOLEAN) or (MAP<K, V>, (K, V) => BOOLEAN)";
    case LAMBDA_REDUCE: return "(ARRAY<T>, S, (S, T) => S) or (MAP<K, V>, S, (S, K, V) => S)";
    }
    return "";
}

static const char *fn_name(LambdaFn fn)
{
    return fn == LAMBDA_TRANSFORM ? "TRANSFORM" : fn == LAMBDA_FILTER ? "FILTER" : "REDUCE";
}

/* "function TRANSFORM does not accept (ARRAY<INTEGER>, a lambda of 2
 * parameters); it takes ...": the shape of the call as written. */
static int shape_error(LambdaFn fn, const AstExpr *e, const SqlType *coll, const AstExpr *at,
                       Arena *a, EddyError *err)
{
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < e->u.func.args.n; i++) {
        const AstExpr *arg = e->u.func.args.items[i];
        if (i)
            sb_puts(&sb, ", ");
        if (arg->kind == EXPR_LAMBDA)
            sb_printf(&sb, "a lambda of %d parameter%s", arg->u.lambda.params.n,
                      arg->u.lambda.params.n == 1 ? "" : "s");
        else if (i == 0 && coll)
            sb_puts(&sb, type_to_string(a, coll));
        else
            sb_puts(&sb, bind_text(a, arg));
    }
    eddy_error(err, ERR_ANALYSIS, at->pos, "function %s does not accept (%s); it takes %s", fn_name(fn),
               sb.data ? sb.data : "", takes(fn));
    sb_free(&sb);
    return -1;
}

static bool names_column(const Scope *s, const char *name)
{
    if (s->join) {
        for (int r = 0; r < s->join->nrels; r++)
            if (schema_find(s->join->rels[r].schema, name) >= 0)
                return true;
        return false;
    }
    return s->schema && schema_find(s->schema, name) >= 0;
}

/* Binds lambda lam (params typed types[]) in s: its parameters get the
 * next slots after the enclosing lambdas'. */
static int bind_body(const Scope *s, const AstExpr *lam, const SqlType *const *types, Arena *a,
                     BExpr **out, int *slot, EddyError *err)
{
    const LambdaScope *outer = s->lambda;
    LambdaScope *ls = arena_alloc(a, sizeof *ls);
    if (outer)
        *ls = *outer;
    int n = lam->u.lambda.params.n;
    if (ls->n + n > EXPR_MAX_LAMBDA_VARS)
        return eddy_error(err, ERR_UNSUPPORTED, lam->pos,
                          "lambdas nested too deep: at most %d lambda parameters can be in scope at once",
                          EXPR_MAX_LAMBDA_VARS);
    *slot = ls->n;
    for (int i = 0; i < n; i++) {
        const char *name = lam->u.lambda.params.items[i];
        if (names_column(s, name))
            return eddy_error(err, ERR_ANALYSIS, lam->pos,
                              "Lambda function argument can't be a column name: %s", name);
        for (int j = 0; j < ls->n; j++)
            if (strcmp(ls->names[j], name) == 0)
                return eddy_error(err, ERR_ANALYSIS, lam->pos,
                                  "Reusing lambda arguments in nested lambda is not allowed: %s is already a lambda argument here",
                                  name);
        ls->names[ls->n] = name;
        ls->types[ls->n] = types[i];
        ls->n++;
    }
    Scope inner = *s;
    inner.lambda = ls;
    inner.score = NULL;   /* a model scores rows, not a lambda's elements */
    inner.tfn = NULL;
    return analyze_expr(&inner, lam->u.lambda.body, a, out, err);
}

static int require_type(const BExpr *b, const AstExpr *body, const char *what, Arena *a,
                        EddyError *err)
{
    if (b->type->kind == TYPE_NULL)
        return eddy_error(err, ERR_ANALYSIS, body->pos,
                          "can't infer the type of %s %s: it is NULL; use CAST(NULL AS <type>)", what,
                          bind_text(a, body));
    return 0;
}

int bind_lambda_call(const Scope *s, const AstExpr *e, Arena *a, BExpr **out, EddyError *err)
{
    const char *name = e->u.func.name;
    LambdaFn fn = str_ieq(name, "TRANSFORM") ? LAMBDA_TRANSFORM
                : str_ieq(name, "FILTER")    ? LAMBDA_FILTER
                                             : LAMBDA_REDUCE;
    int n = e->u.func.args.n;
    const AstExpr *const *args = (const AstExpr *const *)e->u.func.args.items;
    if (n == 0 || args[0]->kind == EXPR_LAMBDA)
        return shape_error(fn, e, NULL, n ? args[0] : e, a, err);
    BExpr *coll;
    if (analyze_expr(s, args[0], a, &coll, err) != 0)
        return -1;
    const SqlType *ct = coll->type;
    if (ct->kind == TYPE_NULL)
        return eddy_error(err, ERR_ANALYSIS, args[0]->pos,
                          "can't infer a type of null; use CAST(NULL AS ARRAY<...>) or CAST(NULL AS MAP<...>)");
    if (ct->kind != TYPE_ARRAY && ct->kind != TYPE_MAP)
        return shape_error(fn, e, ct, args[0], a, err);
    bool map = ct->kind == TYPE_MAP;
    /* Arity: the lambdas after the collection (and REDUCE's state). */
    int first = fn == LAMBDA_REDUCE ? 2 : 1;
    int nlambdas = fn == LAMBDA_TRANSFORM && map ? 2 : 1;
    int nparams = (map ? 2 : 1) + (fn == LAMBDA_REDUCE ? 1 : 0);
    if (n != first + nlambdas)
        return shape_error(fn, e, ct, n > first + nlambdas ? args[first + nlambdas] : e, a, err);
    for (int i = 1; i < n; i++) {
        bool want_lambda = i >= first;
        if ((args[i]->kind == EXPR_LAMBDA) != want_lambda ||
            (want_lambda && args[i]->u.lambda.params.n != nparams))
            return shape_error(fn, e, ct, args[i], a, err);
    }
    BExpr *b = bind_node(a, BX_LAMBDA_CALL, NULL, e->pos);
    b->u.lambda.fn = fn;
    b->u.lambda.map = map;
    b->u.lambda.coll = coll;
    const SqlType *types[3];
    int k = 0;
    const SqlType *state = NULL;
    if (fn == LAMBDA_REDUCE) {
        if (analyze_expr(s, args[1], a, &b->u.lambda.init, err) != 0)
            return -1;
        state = b->u.lambda.init->type;
        if (state->kind == TYPE_NULL)
            return eddy_error(err, ERR_ANALYSIS, args[1]->pos,
                              "can't infer the type of REDUCE's initial state: it is NULL; use CAST(NULL AS <type>)");
        types[k++] = state;
    }
    if (map)
        types[k++] = ct->key;
    types[k++] = ct->elem;

    for (int l = 0; l < nlambdas; l++) {
        const AstExpr *lam = args[first + l];
        BExpr *body;
        if (bind_body(s, lam, types, a, &body, &b->u.lambda.slot, err) != 0)
            return -1;
        if (fn == LAMBDA_FILTER) {
            if (body->type->kind == TYPE_NULL)
                body = analyze_coerce(a, body, type_prim(TYPE_BOOLEAN));
            if (body->type->kind != TYPE_BOOLEAN)
                return eddy_error(err, ERR_ANALYSIS, lam->u.lambda.body->pos,
                                  "FILTER's lambda must return BOOLEAN, but %s is %s",
                                  bind_text(a, lam->u.lambda.body), type_to_string(a, body->type));
        } else if (fn == LAMBDA_REDUCE && !type_equal(body->type, state)) {
            /* The state widens to what the lambda returns, once. */
            const SqlType *c = body->type->kind == TYPE_NULL ? state
                                                             : bind_common_type(a, state, body->type);
            if (c && !type_equal(c, state)) {
                state = types[0] = c;
                if (bind_body(s, lam, types, a, &body, &b->u.lambda.slot, err) != 0)
                    return -1;
            }
            if (c == NULL || !analyze_assignable(body->type, state))
                return eddy_error(err, ERR_ANALYSIS, lam->u.lambda.body->pos,
                                  "REDUCE's lambda returns %s, but its state (the initial value %s) is %s",
                                  type_to_string(a, body->type), bind_text(a, args[1]),
                                  type_to_string(a, state));
            body = analyze_coerce(a, body, state);
        } else if (fn == LAMBDA_TRANSFORM &&
                   require_type(body, lam->u.lambda.body, l == 0 && map ? "the key lambda" : "the lambda", a,
                                err) != 0) {
            return -1;
        }
        b->u.lambda.body[l] = body;
    }
    switch (fn) {
    case LAMBDA_TRANSFORM:
        b->type = map ? type_map(a, b->u.lambda.body[0]->type, b->u.lambda.body[1]->type)
                      : type_array(a, b->u.lambda.body[0]->type);
        break;
    case LAMBDA_FILTER:
        b->type = ct;
        break;
    case LAMBDA_REDUCE:
        b->u.lambda.init = analyze_coerce(a, b->u.lambda.init, state);
        b->type = state;
        break;
    }
    *out = b;
    return 0;
}

int bind_lambda_var(const Scope *s, const AstExpr *e, Arena *a, BExpr **out)
{
    const LambdaScope *ls = s->lambda;
    if (ls == NULL || e->u.col.qualifier != NULL)
        return 0;
    for (int i = ls->n - 1; i >= 0; i--)
        if (strcmp(ls->names[i], e->u.col.name) == 0) {
            BExpr *b = bind_node(a, BX_LAMBDA_VAR, ls->types[i], e->pos);
            b->u.column = i;
            *out = b;
            return 1;
        }
    return 0;
}
