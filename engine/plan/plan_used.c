/*
 * plan_used.c - which columns of each source a query reads, so that the
 * source decodes only those (serde_decode_some: the rest are validated
 * but not materialised).
 *
 * The walk goes down from the root with the set of the node's output
 * columns that something above reads: a SINK reads every column of its
 * input; a PROJECT the columns its expressions name; a FILTER passes its
 * set on and adds its predicate's; a REKEY maps [new keys][input] back to
 * its input and adds its key expressions'; an AGGREGATE reads its group
 * keys and arguments; a JOIN maps [key][left][right][event times] back to
 * each side and adds its join expressions'.  Key columns are always kept
 * (they come from the record key, not the value).  Any node or expression
 * kind this file does not know keeps every column of its input, so a new
 * operator is correct before it is taught here; only speed is lost.
 */
#include "plan_int.h"

#include <string.h>

/* Marks the columns e reads in used[0..n); false if e holds an expression
 * kind not known here (the caller then keeps every column). */
static bool expr_cols(const BExpr *e, bool *used, int n)
{
    if (e == NULL)
        return true;
    switch (e->kind) {
    case BX_CONST:
    case BX_PSEUDO:
        return true;
    case BX_COLUMN:
        if (e->u.column < 0 || e->u.column >= n)
            return false;
        used[e->u.column] = true;
        return true;
    case BX_CAST: case BX_NEG: case BX_NOT: case BX_IS_NULL:
        return expr_cols(e->u.unary.a, used, n);
    case BX_ARITH: case BX_CONCAT: case BX_CMP: case BX_AND: case BX_OR:
    case BX_DISTINCT: case BX_SUBSCRIPT:
        return expr_cols(e->u.binary.a, used, n) && expr_cols(e->u.binary.b, used, n);
    case BX_LIKE:
        return expr_cols(e->u.like.a, used, n) && expr_cols(e->u.like.pattern, used, n);
    case BX_BETWEEN:
        return expr_cols(e->u.between.a, used, n) && expr_cols(e->u.between.lo, used, n) &&
               expr_cols(e->u.between.hi, used, n);
    case BX_IN:
        for (int i = 0; i < e->u.in.n; i++)
            if (!expr_cols(e->u.in.list[i], used, n))
                return false;
        return expr_cols(e->u.in.a, used, n);
    case BX_CASE:
        for (int i = 0; i < e->u.case_.n; i++)
            if (!expr_cols(e->u.case_.whens[i], used, n) || !expr_cols(e->u.case_.thens[i], used, n))
                return false;
        return expr_cols(e->u.case_.else_, used, n);
    case BX_FUNC:
        for (int i = 0; i < e->u.func.nargs; i++)
            if (!expr_cols(e->u.func.args[i], used, n))
                return false;
        return true;
    case BX_DEREF:
        return expr_cols(e->u.deref.a, used, n);
    case BX_ARRAY:
    case BX_STRUCT:
        for (int i = 0; i < e->u.list.n; i++)
            if (!expr_cols(e->u.list.items[i], used, n))
                return false;
        return true;
    case BX_MAP:
        for (int i = 0; i < e->u.map.n; i++)
            if (!expr_cols(e->u.map.keys[i], used, n) || !expr_cols(e->u.map.vals[i], used, n))
                return false;
        return true;
    case BX_LAMBDA_VAR:
        return true;
    case BX_LAMBDA_CALL:
        return expr_cols(e->u.lambda.coll, used, n) &&
               (!e->u.lambda.init || expr_cols(e->u.lambda.init, used, n)) &&
               expr_cols(e->u.lambda.body[0], used, n) &&
               (!e->u.lambda.body[1] || expr_cols(e->u.lambda.body[1], used, n));
    }
    return false;
}

static bool *all_used(Arena *a, int n)
{
    bool *u = arena_alloc(a, sizeof(bool) * (size_t)(n > 0 ? n : 1));
    memset(u, 1, sizeof(bool) * (size_t)(n > 0 ? n : 1));
    return u;
}

static bool *none_used(Arena *a, const Schema *s)
{
    int n = s->ncols;
    bool *u = arena_alloc(a, sizeof(bool) * (size_t)(n > 0 ? n : 1));
    memset(u, 0, sizeof(bool) * (size_t)(n > 0 ? n : 1));
    for (int i = 0; i < s->nkeys && i < n; i++)
        u[i] = true;
    return u;
}

/* Walks p, whose output columns out[] are read (out has p->schema->ncols
 * entries). */
static void mark(Arena *a, Plan *p, const bool *out)
{
    if (p == NULL)
        return;
    int nout = p->schema->ncols;
    switch (p->tag) {
    case PLAN_SOURCE: {
        bool *u = none_used(a, p->schema);
        for (int i = 0; i < nout; i++)
            u[i] |= out[i] || (p->u.source.used && p->u.source.used[i]);
        p->u.source.used = u;   /* a node reached twice keeps what either reads */
        return;
    }
    case PLAN_FILTER: {
        int nin = p->input->schema->ncols;
        bool *u = none_used(a, p->input->schema);
        for (int i = 0; i < nin && i < nout; i++)
            u[i] |= out[i];
        if (nin != nout || !expr_cols(p->u.filter.pred, u, nin))
            u = all_used(a, nin);
        mark(a, p->input, u);
        return;
    }
    case PLAN_PROJECT: {
        int nin = p->input->schema->ncols;
        bool *u = none_used(a, p->input->schema);
        bool ok = true;
        for (int i = 0; i < p->u.project.n && ok; i++)
            ok = expr_cols(p->u.project.exprs[i], u, nin);
        mark(a, p->input, ok ? u : all_used(a, nin));
        return;
    }
    case PLAN_REKEY: {
        int nin = p->input->schema->ncols, nk = p->u.rekey.nkeys;
        bool *u = none_used(a, p->input->schema);
        bool ok = nk + nin == nout;
        for (int i = 0; i < nin && ok; i++)
            u[i] |= out[nk + i];
        for (int i = 0; i < nk && ok; i++)
            ok = expr_cols(p->u.rekey.keys[i], u, nin);
        mark(a, p->input, ok ? u : all_used(a, nin));
        return;
    }
    case PLAN_AGGREGATE: {
        int nin = p->input->schema->ncols;
        bool *u = none_used(a, p->input->schema);
        bool ok = true;
        for (int i = 0; i < p->u.aggregate.nkeys && ok; i++)
            ok = expr_cols(p->u.aggregate.keys[i], u, nin);
        for (int i = 0; i < p->u.aggregate.naggs && ok; i++)
            for (int j = 0; j < p->u.aggregate.aggs[i].nargs && ok; j++)
                ok = expr_cols(p->u.aggregate.args[i][j], u, nin);
        mark(a, p->input, ok ? u : all_used(a, nin));
        return;
    }
    case PLAN_JOIN: {
        int nl = p->u.join.nleft, nr = p->u.join.nright, skip = p->u.join.left_skip;
        int lin = p->input->schema->ncols, rin = p->right->schema->ncols;
        bool *lu = none_used(a, p->input->schema), *ru = none_used(a, p->right->schema);
        bool ok = 1 + nl + nr + p->u.join.nextra == nout && skip + nl == lin && nr == rin;
        for (int i = 0; i < nl && ok; i++)
            lu[skip + i] |= out[1 + i];
        for (int i = 0; i < nr && ok; i++)
            ru[i] |= out[1 + nl + i];
        /* a table-table join reads the left row's key column itself */
        lu[0] = ru[0] = true;
        ok = ok && expr_cols(p->u.join.left_key, lu, lin) && expr_cols(p->u.join.right_key, ru, rin);
        mark(a, p->input, ok ? lu : all_used(a, lin));
        mark(a, p->right, ok ? ru : all_used(a, rin));
        return;
    }
    case PLAN_FLATMAP: {
        int nin = p->input->schema->ncols;
        bool *u = none_used(a, p->input->schema);
        bool ok = nin == p->u.flatmap.nbase && nout == nin + p->u.flatmap.n;
        for (int i = 0; i < nin && ok; i++)
            u[i] |= out[i];
        for (int i = 0; i < p->u.flatmap.n && ok; i++)
            ok = expr_cols(p->u.flatmap.args[i], u, nin);
        mark(a, p->input, ok ? u : all_used(a, nin));
        return;
    }
    case PLAN_SINK:
    default:
        /* A SINK writes every column; a node not known here keeps all. */
        mark(a, p->input, all_used(a, p->input ? p->input->schema->ncols : 0));
        if (p->right)
            mark(a, p->right, all_used(a, p->right->schema->ncols));
        return;
    }
}

void plan_mark_used(Arena *a, Plan *root)
{
    mark(a, root, all_used(a, root->schema->ncols));
}
