/*
 * bind_model.c - binding of PREDICT(model, feature, ...) and
 * MODEL_VERSION(model), and the SCORE node they read from (plan_int.h).
 *
 * In:  a call in a Scope that has a ScoreScope (the select list, WHERE,
 *      GROUP BY, aggregate arguments, PARTITION BY, HAVING).
 * Out: a reference to a hidden column of the SCORE node the planner puts
 *      above the ScoreScope's base: DOUBLE, ARRAY<DOUBLE> for a model with
 *      several outputs (multi:softprob's class probabilities), INT for
 *      MODEL_VERSION.  Errors point at the offending argument.
 *
 * The first argument names a model of the catalog (an identifier, not a
 * column); features follow by position, as many as the model's current
 * version takes, each numeric (INT, BIGINT, DECIMAL, DOUBLE) or NULL
 * (passed to the model as missing).  Calls with the same text share one
 * column, so PREDICT(RISK, SPEED) in WHERE and in the select list scores
 * once.  A call cannot take another call's output as a feature: both are
 * computed when the batch ends.
 */
#include "plan_int.h"

#include <string.h>

ScoreScope *score_scope_new(const Catalog *cat, Plan *base, Arena *a)
{
    ScoreScope *ss = arena_alloc(a, sizeof *ss);
    ss->cat = cat;
    ss->base = base;
    return ss;
}

bool bind_is_model_call(const char *name)
{
    return str_ieq(name, "PREDICT") || str_ieq(name, "MODEL_VERSION");
}

/* "SPEED, SPEED_LIMIT, ..." or "5 features" when the model names none. */
static const char *feature_list(Arena *a, const CatModelVersion *v)
{
    if (v->feature_names == NULL)
        return arena_sprintf(a, "%d unnamed features", v->num_features);
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < v->num_features; i++)
        sb_printf(&sb, "%s%s", i ? ", " : "", v->feature_names[i]);
    char *s = arena_strdup(a, sb.data);
    sb_free(&sb);
    return s;
}

static CatModel *resolve_model(const ScoreScope *ss, const AstExpr *e, const char *fn,
                               const char *usage, EddyError *err)
{
    const AstExpr *arg = e->u.func.args.n > 0 ? e->u.func.args.items[0] : NULL;
    if (arg == NULL || arg->kind != EXPR_COLUMN || arg->u.col.qualifier) {
        eddy_error(err, ERR_ANALYSIS, arg ? arg->pos : e->pos,
                   "the first argument of %s names a model: %s", fn, usage);
        return NULL;
    }
    CatModel *m = catalog_find_model(ss->cat, arg->u.col.name);
    if (m)
        return m;
    const char *hint = catalog_suggest_model(ss->cat, arg->u.col.name);
    eddy_error(err, ERR_ANALYSIS, arg->pos, "unknown model %s%s%s%s", arg->u.col.name,
               hint ? "; did you mean " : " (CREATE MODEL adds one; SHOW MODELS lists them)",
               hint ? hint : "", hint ? "?" : "");
    return NULL;
}

static bool numeric_feature(TypeKind k)
{
    return k == TYPE_INT || k == TYPE_BIGINT || k == TYPE_DECIMAL || k == TYPE_DOUBLE ||
           k == TYPE_NULL;
}

/* Binds the features of PREDICT e for version v into call. */
static int bind_features(const Scope *s, const AstExpr *e, const CatModel *m,
                         const CatModelVersion *v, Arena *a, ScoreCall *call, EddyError *err)
{
    int n = e->u.func.args.n - 1;
    if (n != v->num_features) {
        const AstExpr *at = n > v->num_features ? e->u.func.args.items[v->num_features + 1] : NULL;
        return eddy_error(err, ERR_ANALYSIS, at ? at->pos : e->pos,
                          "PREDICT(%s, ...) has %d feature%s, but model %s (version %d) takes %d: %s",
                          m->name, n, n == 1 ? "" : "s", m->name, v->version, v->num_features,
                          feature_list(a, v));
    }
    call->nfeatures = n;
    call->features = arena_alloc(a, sizeof(BExpr *) * (size_t)n);
    s->score->in_features = true;
    for (int i = 0; i < n; i++) {
        const AstExpr *arg = e->u.func.args.items[i + 1];
        if (analyze_expr(s, arg, a, &call->features[i], err) != 0) {
            s->score->in_features = false;
            return -1;
        }
        const SqlType *t = call->features[i]->type;
        if (!numeric_feature(t->kind)) {
            s->score->in_features = false;
            const char *name = v->feature_names ? v->feature_names[i] : NULL;
            return eddy_error(err, ERR_ANALYSIS, arg->pos,
                              "feature %d%s%s%s of PREDICT(%s, ...) must be numeric (INT, BIGINT, DECIMAL or DOUBLE), not %s: %s",
                              i + 1, name ? " (" : "", name ? name : "", name ? ")" : "", m->name,
                              type_to_string(a, t), bind_text(a, arg));
        }
    }
    s->score->in_features = false;
    return 0;
}

int bind_model_call(const Scope *s, const AstExpr *e, Arena *a, BExpr **out, EddyError *err)
{
    bool version = str_ieq(e->u.func.name, "MODEL_VERSION");
    const char *fn = version ? "MODEL_VERSION" : "PREDICT";
    const char *usage = version ? "MODEL_VERSION(model)" : "PREDICT(model, feature, ...)";
    ScoreScope *ss = s->score;
    if (e->u.func.star || e->u.func.distinct)
        return eddy_error(err, ERR_ANALYSIS, e->pos, "%s takes no %s: %s", fn,
                          e->u.func.star ? "*" : "DISTINCT", usage);
    if (ss == NULL)
        return eddy_error(err, ERR_ANALYSIS, e->pos,
                          "%s is not allowed here: models score rows in the select list, WHERE, GROUP BY, PARTITION BY and HAVING",
                          fn);
    if (ss->in_features)
        return eddy_error(err, ERR_ANALYSIS, e->pos,
                          "%s cannot be a feature of PREDICT: model outputs are computed together, once a batch of rows is in",
                          fn);
    CatModel *m = resolve_model(ss, e, fn, usage, err);
    if (m == NULL)
        return -1;
    if (version && e->u.func.args.n != 1)
        return eddy_error(err, ERR_ANALYSIS, ((AstExpr *)e->u.func.args.items[1])->pos,
                          "MODEL_VERSION takes one argument, the model: %s", usage);
    const char *text = bind_text(a, e);
    int idx = -1;
    for (int i = 0; i < ss->calls.n && idx < 0; i++)
        if (strcmp(((ScoreCall *)ss->calls.items[i])->text, text) == 0)
            idx = i;
    if (idx < 0) {
        const CatModelVersion *v = m->current;
        ScoreCall *call = arena_alloc(a, sizeof *call);
        call->model = m;
        call->version = version;
        call->text = text;
        if (version) {
            call->type = type_prim(TYPE_INT);
        } else {
            if (bind_features(s, e, m, v, a, call, err) != 0)
                return -1;
            call->type = v->num_outputs > 1 ? type_array(a, type_prim(TYPE_DOUBLE))
                                            : type_prim(TYPE_DOUBLE);
        }
        ptrvec_push(a, &ss->calls, call);
        idx = ss->calls.n - 1;
    }
    const ScoreCall *call = ss->calls.items[idx];
    BExpr *b = bind_node(a, BX_COLUMN, call->type, e->pos);
    b->u.column = ss->base->schema->ncols + idx;
    *out = b;
    return 0;
}

void plan_place_score(Plan *top, ScoreScope *ss, Arena *a)
{
    if (ss == NULL || ss->calls.n == 0)
        return;
    Plan *base = ss->base;
    int nb = base->schema->ncols, n = ss->calls.n;
    Schema *sc = schema_create(a, nb + n);
    memcpy(sc->cols, base->schema->cols, sizeof(Column) * (size_t)nb);
    sc->nkeys = base->schema->nkeys;
    ScoreCall *calls = arena_alloc(a, sizeof(ScoreCall) * (size_t)n);
    for (int i = 0; i < n; i++) {
        calls[i] = *(ScoreCall *)ss->calls.items[i];
        sc->cols[nb + i] = (Column){.name = calls[i].text, .type = calls[i].type, .role = COL_VALUE};
    }
    Plan *p = arena_alloc(a, sizeof *p);
    p->tag = PLAN_SCORE;
    p->input = base;
    p->schema = sc;
    p->u.score.calls = calls;
    p->u.score.ncalls = n;
    p->u.score.nbase = nb;
    p->u.score.copy_rows = base->tag != PLAN_SOURCE;
    for (Plan *q = top; q; q = q->input)
        if (q->input == base) {
            q->input = p;
            return;
        }
    EDDY_PANIC("plan_place_score: the SCORE node's input is not in the plan");
}
