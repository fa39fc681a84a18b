/*
 * bind.c - binding: resolves names against a Scope and types every
 * expression, AstExpr -> BExpr (expr.h), inserting implicit casts.
 *
 * In:  an AST expression and the Scope it is bound in (one relation, the
 *      relations of a join, or the output of an aggregation).
 * Out: a BExpr tree in the caller's arena, or -1 and an error positioned
 *      at the offending node.
 *
 * Follows ksqlDB's rules: unquoted identifiers are already upper-cased by
 * the parser and match exactly; numeric operands widen INT -> BIGINT ->
 * DECIMAL -> DOUBLE; comparisons need comparable types (a STRING literal
 * compares with TIMESTAMP/DATE/TIME by parsing it, and with ROWTIME,
 * WINDOWSTART, WINDOWEND as the epoch milliseconds it names); WHERE must be
 * BOOLEAN.  Every error points at the offending node, with a "did you
 * mean" hint for misspelt names.  Turning a whole SELECT into a plan is
 * planner.c's.
 */
#include "eddy/datetime.h"
#include "plan_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

BExpr *bind_node(Arena *a, BExprKind k, const SqlType *t, SrcPos pos)
{
    BExpr *e = arena_alloc(a, sizeof *e);
    e->kind = k;
    e->type = t;
    e->pos = pos;
    return e;
}

static char *type_str(Arena *a, const SqlType *t)
{
    return type_to_string(a, t);
}

/* ---- string literals among numbers ---------------------------------------
 * ksqlDB's implicit coercion in ARRAY[...] and MAP(...) values: where the
 * other elements are numbers (or booleans), a string literal that reads as
 * one is that number ('2e1' among INTs is 20); one that does not is an
 * error.  The common type is then found over the converted elements. */

static int numeric_rank(TypeKind k);

/* The type of the elements that are not string literals (TYPE_NULL if
 * none or if they have no common type). */
static const SqlType *non_literal_type(Arena *a, BExpr *const *items, const AstExpr *const *asts, int n)
{
    const SqlType *t = type_prim(TYPE_NULL);
    for (int i = 0; i < n && t; i++)
        if (asts[i]->kind != EXPR_STRING)
            t = bind_common_type(a, t, items[i]->type);
    return t ? t : type_prim(TYPE_NULL);
}

/* Replaces each string literal of items by the number (or boolean) it
 * reads as when target is numeric (or BOOLEAN); 0, or -1 with err. */
static int coerce_string_literals(Arena *a, BExpr **items, const AstExpr *const *asts, int n,
                                  const SqlType *target, const AstExpr *map, EddyError *err)
{
    bool num = numeric_rank(target->kind) > 0, boolean = target->kind == TYPE_BOOLEAN;
    if (!num && !boolean)
        return 0;
    for (int i = 0; i < n; i++) {
        if (asts[i]->kind != EXPR_STRING)
            continue;
        const char *text = asts[i]->u.text;
        BExpr *c = NULL;
        char *end;
        if (boolean && (str_ieq(text, "true") || str_ieq(text, "false"))) {
            c = bind_node(a, BX_CONST, type_prim(TYPE_BOOLEAN), asts[i]->pos);
            c->u.constant = v_bool(str_ieq(text, "true"));
        } else if (num && *text && !isspace((unsigned char)*text)) {
            errno = 0;
            long long l = strtoll(text, &end, 10);
            if (*end == '\0' && errno == 0) {
                c = bind_node(a, BX_CONST, type_prim(TYPE_BIGINT), asts[i]->pos);
                c->u.constant = v_bigint(l);
            } else {
                double d = strtod(text, &end);
                if (*end == '\0' && isfinite(d)) {
                    c = bind_node(a, BX_CONST, type_prim(TYPE_DOUBLE), asts[i]->pos);
                    c->u.constant = v_double(d);
                }
            }
        }
        if (c == NULL && map)   /* ksqlDB's words for a MAP */
            return eddy_error(err, ERR_ANALYSIS, asts[i]->pos,
                              "Cannot construct a map with mismatching value types ([%s, STRING]) from expression %s.",
                              type_str(a, target), bind_text(a, map));
        if (c == NULL)
            return eddy_error(err, ERR_ANALYSIS, asts[i]->pos,
                              "elements must have one type: '%s' is not a %s (invalid input syntax for type %s: \"%s\")",
                              text, type_str(a, target), type_str(a, target), text);
        items[i] = c;
    }
    return 0;
}

/* ---- numeric widening -------------------------------------------------- */

static int numeric_rank(TypeKind k)
{
    switch (k) {
    case TYPE_INT: return 1;
    case TYPE_BIGINT: return 2;
    case TYPE_DECIMAL: return 3;
    case TYPE_DOUBLE: return 4;
    default: return 0;
    }
}

/* The DECIMAL an integer type widens to (ksqlDB: INT -> DECIMAL(10,0),
 * BIGINT -> DECIMAL(19,0)). */
static const SqlType *as_decimal(Arena *a, const SqlType *t)
{
    if (t->kind == TYPE_DECIMAL)
        return t;
    return type_decimal(a, t->kind == TYPE_INT ? 10 : 19, 0);
}

static int imax(int a, int b) { return a > b ? a : b; }
static int imin(int a, int b) { return a < b ? a : b; }

static const SqlType *decimal_result(Arena *a, int op, const SqlType *x, const SqlType *y)
{
    int p1 = x->precision, s1 = x->scale, p2 = y->precision, s2 = y->scale, p, s;
    switch (op) {
    case OP_ADD:
    case OP_SUB:
        s = imax(s1, s2);
        p = imax(p1 - s1, p2 - s2) + s + 1;
        break;
    case OP_MUL:
        p = p1 + p2 + 1;
        s = s1 + s2;
        break;
    case OP_DIV:
        s = imax(6, s1 + p2 + 1);
        p = p1 - s1 + s2 + s;
        break;
    default: /* OP_MOD */
        s = imax(s1, s2);
        p = imin(p1 - s1, p2 - s2) + s;
        break;
    }
    if (p > 38)
        p = 38;
    if (s > p)
        s = p;
    return type_decimal(a, p, s);
}

/* The common type two operands compare or combine in; NULL if none. */
const SqlType *bind_common_type(Arena *a, const SqlType *x, const SqlType *y)
{
    if (x->kind == TYPE_NULL)
        return y;
    if (y->kind == TYPE_NULL)
        return x;
    int rx = numeric_rank(x->kind), ry = numeric_rank(y->kind);
    if (rx && ry) {
        if (rx == 3 || ry == 3) {
            if (rx == 4 || ry == 4)
                return type_prim(TYPE_DOUBLE);
            const SqlType *dx = as_decimal(a, x), *dy = as_decimal(a, y);
            int s = imax(dx->scale, dy->scale);
            int p = imax(dx->precision - dx->scale, dy->precision - dy->scale) + s;
            return type_decimal(a, p > 38 ? 38 : p, s);
        }
        return rx >= ry ? x : y;
    }
    if (type_equal(x, y))
        return x;
    if (x->kind == y->kind && x->kind != TYPE_STRUCT && x->kind != TYPE_ARRAY &&
        x->kind != TYPE_MAP)
        return x;
    if (x->kind == y->kind && x->kind == TYPE_ARRAY) {
        const SqlType *e = bind_common_type(a, x->elem, y->elem);
        return e ? type_array(a, e) : NULL;
    }
    return NULL;
}

BExpr *analyze_coerce(Arena *a, BExpr *e, const SqlType *t)
{
    if (type_equal(e->type, t))
        return e;
    if (e->kind == BX_CONST && e->type->kind == TYPE_NULL) {
        BExpr *n = bind_node(a, BX_CONST, t, e->pos);
        n->u.constant = v_null();
        return n;
    }
    BExpr *c = bind_node(a, BX_CAST, t, e->pos);
    c->u.unary.a = e;
    return c;
}

bool analyze_assignable(const SqlType *from, const SqlType *to)
{
    if (from->kind == TYPE_NULL || type_equal(from, to))
        return true;
    int rf = numeric_rank(from->kind), rt = numeric_rank(to->kind);
    if (rf && rt)
        return rf <= rt || to->kind == TYPE_DECIMAL || from->kind == TYPE_DECIMAL;
    if (from->kind == TYPE_STRING &&
        (to->kind == TYPE_TIMESTAMP || to->kind == TYPE_DATE || to->kind == TYPE_TIME))
        return true;
    if (from->kind == to->kind && from->kind == TYPE_ARRAY)
        return analyze_assignable(from->elem, to->elem);
    if (from->kind == to->kind && from->kind == TYPE_MAP)
        return analyze_assignable(from->elem, to->elem);
    if (from->kind == to->kind && from->kind == TYPE_STRUCT)
        return true;
    return false;
}

/* ---- column resolution ------------------------------------------------- */

static const char *suggest_column(const Scope *s, const char *name)
{
    const char *best = NULL;
    int bestd = 3;
    for (int i = 0; i < s->schema->ncols; i++) {
        int d = str_edit_distance(name, s->schema->cols[i].name);
        if (d < bestd) {
            bestd = d;
            best = s->schema->cols[i].name;
        }
    }
    return best;
}

static int pseudo_column(const char *name, bool windowed, PseudoCol *out)
{
    static const struct { const char *name; PseudoCol col; bool windowed; } pseudo[] = {
        {"ROWTIME", PSEUDO_ROWTIME, false},
        {"ROWPARTITION", PSEUDO_ROWPARTITION, false},
        {"ROWOFFSET", PSEUDO_ROWOFFSET, false},
        {"WINDOWSTART", PSEUDO_WINDOWSTART, true},
        {"WINDOWEND", PSEUDO_WINDOWEND, true},
    };
    for (size_t i = 0; i < sizeof pseudo / sizeof pseudo[0]; i++)
        if (strcmp(name, pseudo[i].name) == 0 && (windowed || !pseudo[i].windowed)) {
            *out = pseudo[i].col;
            return 0;
        }
    return -1;
}

/* A column of one of a join's relations: qualified by alias (or source
 * name), or unqualified and unique among the relations. */
static int resolve_join_column(const Scope *s, const AstExpr *e, Arena *a, BExpr **out,
                               EddyError *err)
{
    const JoinScope *js = s->join;
    const char *q = e->u.col.qualifier, *name = e->u.col.name;
    const JoinRel *found = NULL;
    int idx = -1;
    for (int r = 0; r < js->nrels; r++) {
        const JoinRel *rel = &js->rels[r];
        if (q && strcmp(q, rel->alias) != 0 && strcmp(q, rel->name) != 0)
            continue;
        int i = schema_find(rel->schema, name);
        if (i < 0)
            continue;
        if (found)
            return eddy_error(err, ERR_ANALYSIS, e->pos,
                              "column %s is ambiguous: it is in %s and %s; qualify it, e.g. %s.%s",
                              name, found->alias, rel->alias, found->alias, name);
        found = rel;
        idx = i;
    }
    if (found == NULL && q && strcmp(name, "ROWTIME") == 0) {
        for (int r = 0; r < js->nrels; r++)
            if ((strcmp(q, js->rels[r].alias) == 0 || strcmp(q, js->rels[r].name) == 0) &&
                js->rels[r].rowtime_col > 0) {
                *out = bind_column(a, s->schema, js->rels[r].rowtime_col, e->pos);
                return 0;
            }
    }
    if (found == NULL) {
        if (q) {
            bool known = false;
            for (int r = 0; r < js->nrels; r++)
                known |= strcmp(q, js->rels[r].alias) == 0 || strcmp(q, js->rels[r].name) == 0;
            if (!known)
                return eddy_error(err, ERR_ANALYSIS, e->pos, "unknown source %s in %s.%s", q, q, name);
            return eddy_error(err, ERR_ANALYSIS, e->pos, "unknown column %s.%s", q, name);
        }
        PseudoCol pc;
        if (pseudo_column(name, s->windowed, &pc) == 0)
            return 1;   /* ROWTIME of the joined row */
        if (s->schema && s->schema->ncols > 0 && strcmp(s->schema->cols[0].name, name) == 0 &&
            s->schema->cols[0].role == COL_KEY) {
            *out = bind_column(a, s->schema, 0, e->pos);   /* the synthetic key, ROWKEY */
            return 0;
        }
        return eddy_error(err, ERR_ANALYSIS, e->pos, "unknown column %s in the join", name);
    }
    int col = idx == found->key_col ? 0 : found->offset + idx;
    *out = bind_column(a, s->schema, col, e->pos);
    return 0;
}

static int resolve_column(const Scope *s, const AstExpr *e, Arena *a, BExpr **out,
                          EddyError *err)
{
    if (bind_lambda_var(s, e, a, out))
        return 0;
    if (s->join) {
        int rc = resolve_join_column(s, e, a, out, err);
        if (rc <= 0)
            return rc;
    }
    const char *q = e->u.col.qualifier, *name = e->u.col.name;
    if (q && !s->join && !(s->rel_name && strcmp(q, s->rel_name) == 0) &&
        !(s->rel_alias && strcmp(q, s->rel_alias) == 0))
        return eddy_error(err, ERR_ANALYSIS, e->pos, "unknown source %s in %s.%s", q, q, name);
    int idx = s->schema ? schema_find(s->schema, name) : -1;
    if (idx >= 0) {
        BExpr *b = bind_node(a, BX_COLUMN, s->schema->cols[idx].type, e->pos);
        b->u.column = idx;
        *out = b;
        return 0;
    }
    PseudoCol pc;
    if (pseudo_column(name, s->windowed, &pc) == 0) {
        BExpr *b = bind_node(a, BX_PSEUDO,
                          type_prim(pc == PSEUDO_ROWPARTITION ? TYPE_INT : TYPE_BIGINT), e->pos);
        b->u.pseudo = pc;
        *out = b;
        return 0;
    }
    /* WINDOWSTART/WINDOWEND outside a windowed source or the select list
     * of a windowed aggregation: ksqlDB's sentence says where they go. */
    if (s->rel_name && (str_ieq(name, "WINDOWSTART") || str_ieq(name, "WINDOWEND")))
        return eddy_error(err, ERR_ANALYSIS, e->pos,
                          "unknown column %s in %s: Window bounds column %s can only be used in the SELECT clause of windowed aggregations",
                          name, s->rel_name, name);
    const char *hint = s->schema ? suggest_column(s, name) : NULL;
    if (s->rel_name == NULL)
        return eddy_error(err, ERR_ANALYSIS, e->pos, "unknown column %s: no columns are in scope here", name);
    if (hint)
        return eddy_error(err, ERR_ANALYSIS, e->pos, "unknown column %s in %s; did you mean %s?",
                          name, s->rel_name, hint);
    return eddy_error(err, ERR_ANALYSIS, e->pos, "unknown column %s in %s", name, s->rel_name);
}

BExpr *bind_column(Arena *a, const Schema *sc, int idx, SrcPos pos)
{
    BExpr *b = bind_node(a, BX_COLUMN, sc->cols[idx].type, pos);
    b->u.column = idx;
    return b;
}

/* ---- expressions ------------------------------------------------------- */

static int bind(const Scope *s, const AstExpr *e, Arena *a, BExpr **out, EddyError *err);

int bind_bool(const Scope *s, const AstExpr *e, Arena *a, BExpr **out, const char *what,
                     EddyError *err)
{
    /* WHERE and HAVING say which clause, in ksqlDB's words too. */
    const char *clause = strcmp(what, "WHERE condition") == 0 ? "WHERE"
                       : strcmp(what, "HAVING condition") == 0 ? "HAVING" : NULL;
    if (bind(s, e, a, out, err) != 0) {
        if (clause && (strncmp(err->msg, "Cannot compare ", 15) == 0 ||
                       strncmp(err->msg, "Unsupported arithmetic types. ", 30) == 0)) {
            char msg[sizeof err->msg + 64];
            int n = snprintf(msg, sizeof msg, "Error in %s expression: %s", clause, err->msg);
            size_t keep = n < 0 ? 0 : (size_t)n < sizeof err->msg ? (size_t)n : sizeof err->msg - 1;
            memcpy(err->msg, msg, keep);
            err->msg[keep] = '\0';
        }
        return -1;
    }
    if ((*out)->type->kind == TYPE_NULL) {
        *out = analyze_coerce(a, *out, type_prim(TYPE_BOOLEAN));
        return 0;
    }
    if ((*out)->type->kind != TYPE_BOOLEAN && clause)
        return eddy_error(err, ERR_ANALYSIS, e->pos,
                          "Type error in %s expression: Should evaluate to boolean but is %s (%s) instead.",
                          clause, bind_text(a, e), type_str(a, (*out)->type));
    if ((*out)->type->kind != TYPE_BOOLEAN)
        return eddy_error(err, ERR_ANALYSIS, e->pos, "%s must be BOOLEAN, but %s is %s", what,
                          bind_text(a, e), type_str(a, (*out)->type));
    return 0;
}

static bool is_temporal(TypeKind k)
{
    return k == TYPE_TIMESTAMP || k == TYPE_DATE || k == TYPE_TIME;
}

char *bind_text(Arena *a, const AstExpr *e)
{
    StrBuf sb;
    sb_init(&sb);
    if (e)
        ast_format_expr(e, &sb);
    char *s = arena_strdup(a, sb.data ? sb.data : "?");
    sb_free(&sb);
    return s;
}

/* ksqlDB's (Java's) name of a comparison operator, for its messages. */
static const char *java_op_name(const char *opname)
{
    static const char *const ops[][2] = {
        {"=", "EQUAL"}, {"<>", "NOT_EQUAL"}, {"!=", "NOT_EQUAL"}, {"<", "LESS_THAN"},
        {"<=", "LESS_THAN_OR_EQUAL"}, {">", "GREATER_THAN"}, {">=", "GREATER_THAN_OR_EQUAL"},
        {"IS DISTINCT FROM", "IS_DISTINCT_FROM"}, {"IS NOT DISTINCT FROM", "IS_NOT_DISTINCT_FROM"}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(opname, ops[i][0]) == 0)
            return ops[i][1];
    return opname;   /* BETWEEN, IN */
}

/* Does the operator order its operands (ARRAY, MAP, STRUCT have no order)? */
static bool is_ordering(const char *opname)
{
    return strcmp(opname, "<") == 0 || strcmp(opname, "<=") == 0 || strcmp(opname, ">") == 0 ||
           strcmp(opname, ">=") == 0 || strcmp(opname, "BETWEEN") == 0;
}

/* Brings two operands of a comparison to one type; errors name both
 * (ax, ay: their source, for the message; may be NULL). */
static int coerce_comparable_named(Arena *a, BExpr **x, BExpr **y, const char *opname, SrcPos pos,
                                   const AstExpr *ax, const AstExpr *ay, EddyError *err)
{
    const SqlType *tx = (*x)->type, *ty = (*y)->type;
    if (tx->kind == TYPE_NULL && ty->kind == TYPE_NULL)
        return eddy_error(err, ERR_ANALYSIS, pos, "comparison with NULL not supported: %s %s %s",
                          bind_text(a, ax), opname, bind_text(a, ay));
    if (is_temporal(tx->kind) && ty->kind == TYPE_STRING) {
        *y = analyze_coerce(a, *y, tx);
        return 0;
    }
    if (is_temporal(ty->kind) && tx->kind == TYPE_STRING) {
        *x = analyze_coerce(a, *x, ty);
        return 0;
    }
    const SqlType *c = bind_common_type(a, tx, ty);
    if (c == NULL)
        return eddy_error(err, ERR_ANALYSIS, pos, "Cannot compare %s (%s) to %s (%s) with %s.",
                          bind_text(a, ax), type_str(a, tx), bind_text(a, ay), type_str(a, ty),
                          java_op_name(opname));
    /* ARRAY, MAP and STRUCT values are equal or not (=, <>, IS [NOT]
     * DISTINCT FROM, IN) but have no order, as in ksqlDB, whose message
     * names the operator as Java's enum does. */
    if (is_ordering(opname) && (c->kind == TYPE_ARRAY || c->kind == TYPE_MAP || c->kind == TYPE_STRUCT))
        return eddy_error(err, ERR_ANALYSIS, pos, "Cannot compare %s (%s) to %s (%s) with %s.",
                          bind_text(a, ax), type_str(a, tx), bind_text(a, ay), type_str(a, ty),
                          java_op_name(opname));
    if (numeric_rank(c->kind)) {   /* value_compare handles mixed numerics exactly */
        return 0;
    }
    *x = analyze_coerce(a, *x, c);
    *y = analyze_coerce(a, *y, c);
    return 0;
}

/* ---- time bounds as text ----------------------------------------------
 * ksqlDB's "magic pseudo timestamps" (StatementRewriteForMagicPseudoTimestamp):
 * a STRING literal compared with ROWTIME, WINDOWSTART or WINDOWEND (by =,
 * <>, <, <=, >, >=, IS [NOT] DISTINCT FROM or BETWEEN) is a point in time,
 * and becomes the BIGINT epoch milliseconds those columns hold.  The text
 * is ISO-8601 and may be partial, as ksqlDB's PartialStringToTimestampParser
 * allows: '2023', '2023-01', '2023-01-01', '2023-01-01T05', ...T05:30,
 * ...T05:30:00, ...T05:30:00.123; UTC unless an offset follows the time
 * (+02:00, -0330, +02; Z too, which ksqlDB does not take). */

/* Completes the partial forms to what dt_parse_timestamp_iso takes. */
static int parse_time_bound(const char *text, int64_t *ms)
{
    char buf[96];
    const char *t = strchr(text, 'T');
    size_t n = strlen(text);
    if (n >= 64)
        return -1;
    if (t == NULL) {
        int dashes = 0;
        for (const char *p = text; *p; p++)
            dashes += *p == '-';
        snprintf(buf, sizeof buf, "%s%s", text, dashes == 0 ? "-01-01" : dashes == 1 ? "-01" : "");
        return dt_parse_timestamp_iso(buf, ms);
    }
    size_t time_len = strcspn(t + 1, "+-Z");
    const char *minutes = time_len == 2 ? ":00" : "";   /* 'T05': an hour alone */
    snprintf(buf, sizeof buf, "%.*sT%.*s%s%s", (int)(t - text), text, (int)time_len, t + 1,
             minutes, t + 1 + time_len);
    return dt_parse_timestamp_iso(buf, ms);
}

static bool is_time_column(const AstExpr *e)
{
    return e->kind == EXPR_COLUMN &&
           (strcmp(e->u.col.name, "ROWTIME") == 0 || strcmp(e->u.col.name, "WINDOWSTART") == 0 ||
            strcmp(e->u.col.name, "WINDOWEND") == 0);
}

/* If `col` is one of those columns (bound to BIGINT as cb) and `lit` a
 * STRING literal, replaces *lb with the instant lit names. */
static int bind_time_bound(const AstExpr *col, const BExpr *cb, const AstExpr *lit, Arena *a,
                           BExpr **lb, EddyError *err)
{
    if (!is_time_column(col) || cb->type->kind != TYPE_BIGINT || lit->kind != EXPR_STRING)
        return 0;
    int64_t ms;
    if (parse_time_bound(lit->u.text, &ms) != 0)
        return eddy_error(err, ERR_ANALYSIS, lit->pos,
                          "cannot parse '%s' as a time for %s: expected ISO-8601 such as "
                          "'2023-01-01T05:00:00.000', possibly partial ('2023-01-01', "
                          "'2023-01-01T05:00') and with an offset ('+02:00'), or epoch milliseconds",
                          lit->u.text, col->u.col.name);
    BExpr *b = bind_node(a, BX_CONST, type_prim(TYPE_BIGINT), lit->pos);
    b->u.constant = v_bigint(ms);
    *lb = b;
    return 0;
}

/* Both orders: x op y where either side may be the column. */
static int bind_time_bounds(const AstExpr *ax, BExpr **x, const AstExpr *ay, BExpr **y, Arena *a,
                            EddyError *err)
{
    if (bind_time_bound(ax, *x, ay, a, y, err) != 0)
        return -1;
    return bind_time_bound(ay, *y, ax, a, x, err);
}


static int bind_arith(const Scope *s, const AstExpr *e, Arena *a, BExpr **out, EddyError *err)
{
    BExpr *x, *y;
    if (bind(s, e->u.binary.a, a, &x, err) || bind(s, e->u.binary.b, a, &y, err))
        return -1;
    int op = e->u.binary.op;
    const SqlType *tx = x->type, *ty = y->type;
    if (op == OP_CONCAT || (op == OP_ADD && (tx->kind == TYPE_STRING || ty->kind == TYPE_STRING))) {
        if ((tx->kind != TYPE_STRING && tx->kind != TYPE_NULL) ||
            (ty->kind != TYPE_STRING && ty->kind != TYPE_NULL))
            return eddy_error(err, ERR_ANALYSIS, e->pos, "cannot concatenate %s and %s",
                              type_str(a, tx), type_str(a, ty));
        BExpr *b = bind_node(a, BX_CONCAT, type_prim(TYPE_STRING), e->pos);
        b->u.binary.op = OP_CONCAT;
        b->u.binary.a = analyze_coerce(a, x, type_prim(TYPE_STRING));
        b->u.binary.b = analyze_coerce(a, y, type_prim(TYPE_STRING));
        *out = b;
        return 0;
    }
    if (tx->kind == TYPE_NULL && ty->kind == TYPE_NULL)
        return eddy_error(err, ERR_ANALYSIS, e->pos, "cannot infer a type for NULL %s NULL",
                          ast_op_name(op));
    const SqlType *ex = tx->kind == TYPE_NULL ? ty : tx, *ey = ty->kind == TYPE_NULL ? tx : ty;
    if (!numeric_rank(ex->kind) || !numeric_rank(ey->kind))
        return eddy_error(err, ERR_ANALYSIS, e->pos,
                          "Unsupported arithmetic types. %s %s: %s %s %s (both sides must be numeric)",
                          type_kind_name(tx->kind), type_kind_name(ty->kind),
                          type_str(a, tx), ast_op_name(op), type_str(a, ty));
    const SqlType *t;
    if (ex->kind == TYPE_DOUBLE || ey->kind == TYPE_DOUBLE)
        t = type_prim(TYPE_DOUBLE);
    else if (ex->kind == TYPE_DECIMAL || ey->kind == TYPE_DECIMAL)
        t = decimal_result(a, op, as_decimal(a, ex), as_decimal(a, ey));
    else
        t = numeric_rank(ex->kind) >= numeric_rank(ey->kind) ? ex : ey;
    BExpr *b = bind_node(a, BX_ARITH, t, e->pos);
    b->u.binary.op = op;
    if (t->kind == TYPE_DECIMAL) {
        b->u.binary.a = analyze_coerce(a, x, as_decimal(a, ex));
        b->u.binary.b = analyze_coerce(a, y, as_decimal(a, ey));
    } else {
        b->u.binary.a = analyze_coerce(a, x, t);
        b->u.binary.b = analyze_coerce(a, y, t);
    }
    *out = b;
    return 0;
}

/* Functions whose first argument is a time-unit keyword (DAYS, HOURS, ...). */
static bool takes_unit(const char *name)
{
    static const char *const fns[] = {"DATEADD", "DATESUB", "TIMEADD", "TIMESUB", "TIMESTAMPADD",
                                      "TIMESTAMPSUB"};
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
        if (strcmp(name, fns[i]) == 0)
            return true;
    return false;
}

static int bind_func(const Scope *s, const AstExpr *e, Arena *a, BExpr **out, EddyError *err)
{
    const char *name = e->u.func.name;
    if (bind_is_model_call(name))
        return bind_model_call(s, e, a, out, err);
    if (func_is_table(name))
        return bind_table_fn(s, e, a, out, err);
    if (func_is_lambda(name))
        return bind_lambda_call(s, e, a, out, err);
    if (func_is_aggregate(name)) {
        if (s->in_aggregate_arg)
            return eddy_error(err, ERR_ANALYSIS, e->pos,
                              "aggregate functions cannot be nested: %s", bind_text(a, e));
        return eddy_error(err, ERR_ANALYSIS, e->pos,
                          "aggregate function %s is not allowed here: use it in the select list or HAVING of a query with GROUP BY",
                          name);
    }
    int n = e->u.func.args.n;
    BExpr **args = arena_alloc(a, sizeof(BExpr *) * (size_t)(n + 1));
    const SqlType **types = arena_alloc(a, sizeof(SqlType *) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        const AstExpr *arg = e->u.func.args.items[i];
        if (arg->kind == EXPR_LAMBDA)
            return eddy_error(err, ERR_ANALYSIS, arg->pos,
                              "function %s does not take a lambda: lambdas are arguments of TRANSFORM, FILTER and REDUCE",
                              name);
        if (i == 0 && takes_unit(name) && arg->kind == EXPR_COLUMN && arg->u.col.qualifier == NULL &&
            dt_unit_ms(arg->u.col.name) != 0) {
            /* DATEADD(DAYS, 2, d): the unit is a keyword, passed as its name.
             * Any other name is bound as a column, so DATEADD(d, 5, d)
             * fails on its argument types as in ksqlDB. */
            args[i] = bind_node(a, BX_CONST, type_prim(TYPE_STRING), arg->pos);
            args[i]->u.constant = v_string_cstr(a, arg->u.col.name);
            types[i] = args[i]->type;
            continue;
        }
        if (bind(s, arg, a, &args[i], err) != 0)
            return -1;
        types[i] = args[i]->type;
    }
    BExpr *b = bind_node(a, BX_FUNC, NULL, e->pos);
    if (func_resolve(name, types, n, a, &b->u.func.call, err) != 0) {
        err->pos = e->pos;
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (b->u.func.call.params && b->u.func.call.params[i])
            args[i] = analyze_coerce(a, args[i], b->u.func.call.params[i]);
    b->type = b->u.func.call.result;
    b->u.func.args = args;
    b->u.func.nargs = n;
    *out = b;
    return 0;
}

static int bind_case(const Scope *s, const AstExpr *e, Arena *a, BExpr **out, EddyError *err)
{
    int n = e->u.case_.whens.n;
    BExpr *b = bind_node(a, BX_CASE, NULL, e->pos);
    b->u.case_.n = n;
    b->u.case_.whens = arena_alloc(a, sizeof(BExpr *) * (size_t)n);
    b->u.case_.thens = arena_alloc(a, sizeof(BExpr *) * (size_t)n);
    BExpr *operand = NULL;
    if (e->u.case_.operand && bind(s, e->u.case_.operand, a, &operand, err) != 0)
        return -1;
    const SqlType *t = type_prim(TYPE_NULL);
    BExpr **results = arena_alloc(a, sizeof(BExpr *) * (size_t)(n + 1));        /* THENs, then ELSE */
    const AstExpr **rasts = arena_alloc(a, sizeof(AstExpr *) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        const AstWhen *w = e->u.case_.whens.items[i];
        if (operand) {   /* simple CASE x WHEN v: rewritten to x = v */
            BExpr *v, *x = operand;
            if (bind(s, w->when, a, &v, err) || coerce_comparable_named(a, &x, &v, "=", w->when->pos, e->u.case_.operand, w->when, err))
                return -1;
            BExpr *cmp = bind_node(a, BX_CMP, type_prim(TYPE_BOOLEAN), w->when->pos);
            cmp->u.binary.op = OP_EQ;
            cmp->u.binary.a = x;
            cmp->u.binary.b = v;
            b->u.case_.whens[i] = cmp;
        } else if (bind_bool(s, w->when, a, &b->u.case_.whens[i], "WHEN condition", err) != 0) {
            return -1;
        }
        if (bind(s, w->then, a, &results[i], err) != 0)
            return -1;
        rasts[i] = w->then;
    }
    int nr = n;
    if (e->u.case_.else_) {
        if (bind(s, e->u.case_.else_, a, &results[nr], err) != 0)
            return -1;
        rasts[nr++] = e->u.case_.else_;
    }
    /* String literals among numeric (or boolean) results read as those:
     * CASE WHEN c THEN 10 ELSE '20' END is an INTEGER, as in ksqlDB. */
    if (coerce_string_literals(a, results, rasts, nr, non_literal_type(a, results, rasts, nr), NULL, err) != 0)
        return -1;
    for (int i = 0; i < nr; i++) {
        const SqlType *c = bind_common_type(a, t, results[i]->type);
        if (c == NULL)
            return eddy_error(err, ERR_ANALYSIS, rasts[i]->pos,
                              "CASE results must have one type: %s and %s", type_str(a, t),
                              type_str(a, results[i]->type));
        t = c;
    }
    for (int i = 0; i < n; i++)
        b->u.case_.thens[i] = results[i];
    if (e->u.case_.else_)
        b->u.case_.else_ = results[n];
    if (t->kind == TYPE_NULL)
        return eddy_error(err, ERR_ANALYSIS, e->pos,
                          "Invalid Case expression. All case branches have NULL type: CAST one of them, e.g. CAST(NULL AS STRING)");
    for (int i = 0; i < n; i++)
        b->u.case_.thens[i] = analyze_coerce(a, b->u.case_.thens[i], t);
    if (b->u.case_.else_)
        b->u.case_.else_ = analyze_coerce(a, b->u.case_.else_, t);
    b->type = t;
    *out = b;
    return 0;
}

/* A DECIMAL literal's text: [-]digits.[digits] or [-].digits (the parser
 * folds a unary minus into the text, and "- -1.5" back to "1.5").  ksqlDB
 * types it by its digits: 1.50 is DECIMAL(3, 2), 007.5 DECIMAL(2, 1), and
 * a value below 1 keeps one integer digit, 0.05 and .05 DECIMAL(3, 2)
 * (ksql#8720).  Integer text here is an integer literal beyond BIGINT,
 * which ksqlDB rejects ("Invalid numeric literal"). */
static int bind_decimal_text(const AstExpr *e, Arena *a, BExpr *b, EddyError *err)
{
    const char *t = e->u.text, *p = t;
    bool neg = *p == '-';
    if (neg)
        p++;
    if (strchr(p, '.') == NULL)
        return eddy_error(err, ERR_ANALYSIS, e->pos,
                          "integer literal %s is out of range: BIGINT holds -9223372036854775808 "
                          "to 9223372036854775807", t);
    while (*p == '0')
        p++;
    int int_digits = 0, scale = 0;
    int64_t v = 0;
    for (bool after = false; *p; p++) {
        if (*p == '.') {
            after = true;
            continue;
        }
        if (after)
            scale++;
        else
            int_digits++;
        if ((int_digits > 0 ? int_digits : 1) + scale > 18)
            return eddy_error(err, ERR_UNSUPPORTED, e->pos,
                              "decimal literal %s has more than 18 digits", t);
        v = v * 10 + (*p - '0');
    }
    int precision = (int_digits > 0 ? int_digits : 1) + scale;
    b->type = type_decimal(a, precision, scale);
    b->u.constant = v_decimal(neg ? -v : v, precision, scale);
    return 0;
}

static int bind_literal(const AstExpr *e, Arena *a, BExpr **out, EddyError *err)
{
    BExpr *b = bind_node(a, BX_CONST, NULL, e->pos);
    switch (e->kind) {
    case EXPR_NULL:
        b->type = type_prim(TYPE_NULL);
        b->u.constant = v_null();
        break;
    case EXPR_BOOL:
        b->type = type_prim(TYPE_BOOLEAN);
        b->u.constant = v_bool(e->u.b);
        break;
    case EXPR_INT:
        if (e->u.i >= INT32_MIN && e->u.i <= INT32_MAX) {
            b->type = type_prim(TYPE_INT);
            b->u.constant = v_int((int32_t)e->u.i);
        } else {
            b->type = type_prim(TYPE_BIGINT);
            b->u.constant = v_bigint(e->u.i);
        }
        break;
    case EXPR_DOUBLE:
        b->type = type_prim(TYPE_DOUBLE);
        b->u.constant = v_double(e->u.d);
        break;
    case EXPR_DECIMAL:
        if (bind_decimal_text(e, a, b, err) != 0)
            return -1;
        break;
    case EXPR_STRING:
        b->type = type_prim(TYPE_STRING);
        b->u.constant = v_string_cstr(a, e->u.text);
        break;
    default:
        EDDY_PANIC("not a literal: %d", (int)e->kind);
    }
    *out = b;
    return 0;
}

/* Above an aggregation: grouping expressions and aggregate calls are
 * columns of the aggregate's output; returns 1 if e was one of them. */
static int bind_grouped(const Scope *s, const AstExpr *e, Arena *a, BExpr **out, EddyError *err)
{
    const AggScope *g = s->agg;
    bool literal = e->kind == EXPR_NULL || e->kind == EXPR_BOOL || e->kind == EXPR_INT ||
                   e->kind == EXPR_DOUBLE || e->kind == EXPR_DECIMAL || e->kind == EXPR_STRING;
    if (literal)
        return 0;
    const char *text = bind_text(a, e);
    for (int k = 0; k < g->nkeys; k++)
        if (strcmp(text, g->key_texts[k]) == 0) {
            BExpr *b = bind_node(a, BX_COLUMN, s->schema->cols[k].type, e->pos);
            b->u.column = k;
            *out = b;
            return 1;
        }
    if (e->kind == EXPR_FUNC && func_is_aggregate(e->u.func.name)) {
        for (int i = 0; i < g->naggs; i++)
            if (strcmp(text, g->agg_texts[i]) == 0) {
                BExpr *b = bind_node(a, BX_COLUMN, s->schema->cols[g->nkeys + i].type, e->pos);
                b->u.column = g->nkeys + i;
                *out = b;
                return 1;
            }
        EDDY_PANIC("aggregate %s was not collected", text);
    }
    if (e->kind == EXPR_FUNC && !func_exists(e->u.func.name) && !bind_is_model_call(e->u.func.name))
        return eddy_error(err, ERR_ANALYSIS, e->pos, "unknown function %s", e->u.func.name);
    BExpr *lv;
    if (e->kind == EXPR_COLUMN && bind_lambda_var(s, e, a, &lv))
        return 0;   /* a lambda's parameter, not a column */
    if (e->kind == EXPR_COLUMN) {
        PseudoCol pc;
        if (pseudo_column(e->u.col.name, s->windowed, &pc) == 0 &&
            (pc == PSEUDO_WINDOWSTART || pc == PSEUDO_WINDOWEND)) {
            if (s->in_having)
                return eddy_error(err, ERR_ANALYSIS, e->pos,
                                  "%s is not allowed in HAVING", e->u.col.name);
            return 0;
        }
        eddy_error(err, ERR_ANALYSIS, e->pos,
                   "non-aggregate SELECT expression(s) not part of GROUP BY: %s", text);
        return -1;
    }
    return 0;
}

static int bind(const Scope *s, const AstExpr *e, Arena *a, BExpr **out, EddyError *err)
{
    if (s->agg) {
        int rc = bind_grouped(s, e, a, out, err);
        if (rc != 0)
            return rc < 0 ? -1 : 0;
    }
    switch (e->kind) {
    case EXPR_NULL: case EXPR_BOOL: case EXPR_INT: case EXPR_DOUBLE: case EXPR_DECIMAL:
    case EXPR_STRING:
        return bind_literal(e, a, out, err);
    case EXPR_COLUMN:
        return resolve_column(s, e, a, out, err);
    case EXPR_STAR:
        return eddy_error(err, ERR_ANALYSIS, e->pos, "* is only allowed in a select list");
    case EXPR_UNARY: {
        BExpr *x;
        if (e->u.unary.op == OP_NOT) {
            if (bind_bool(s, e->u.unary.a, a, &x, "NOT operand", err) != 0)
                return -1;
            BExpr *b = bind_node(a, BX_NOT, type_prim(TYPE_BOOLEAN), e->pos);
            b->u.unary.a = x;
            *out = b;
            return 0;
        }
        if (bind(s, e->u.unary.a, a, &x, err) != 0)
            return -1;
        if (!numeric_rank(x->type->kind))
            return eddy_error(err, ERR_ANALYSIS, e->pos, "unary %s needs a number, not %s",
                              e->u.unary.op == OP_NEG ? "-" : "+", type_str(a, x->type));
        if (e->u.unary.op == OP_PLUS) {
            *out = x;
            return 0;
        }
        BExpr *b = bind_node(a, BX_NEG, x->type, e->pos);
        b->u.unary.a = x;
        *out = b;
        return 0;
    }
    case EXPR_BINARY: {
        int op = e->u.binary.op;
        if (op == OP_AND || op == OP_OR) {
            BExpr *b = bind_node(a, op == OP_AND ? BX_AND : BX_OR, type_prim(TYPE_BOOLEAN), e->pos);
            const char *what = op == OP_AND ? "AND operand" : "OR operand";
            if (bind_bool(s, e->u.binary.a, a, &b->u.binary.a, what, err) ||
                bind_bool(s, e->u.binary.b, a, &b->u.binary.b, what, err))
                return -1;
            *out = b;
            return 0;
        }
        if (op >= OP_EQ && op <= OP_GE) {
            BExpr *x, *y;
            if (bind(s, e->u.binary.a, a, &x, err) || bind(s, e->u.binary.b, a, &y, err) ||
                bind_time_bounds(e->u.binary.a, &x, e->u.binary.b, &y, a, err) ||
                coerce_comparable_named(a, &x, &y, ast_op_name(op), e->pos, e->u.binary.a,
                                        e->u.binary.b, err))
                return -1;
            BExpr *b = bind_node(a, BX_CMP, type_prim(TYPE_BOOLEAN), e->pos);
            b->u.binary.op = op;
            b->u.binary.a = x;
            b->u.binary.b = y;
            *out = b;
            return 0;
        }
        return bind_arith(s, e, a, out, err);
    }
    case EXPR_LIKE: {
        BExpr *b = bind_node(a, BX_LIKE, type_prim(TYPE_BOOLEAN), e->pos);
        b->negated = e->u.like.negated;
        if (bind(s, e->u.like.a, a, &b->u.like.a, err) ||
            bind(s, e->u.like.pattern, a, &b->u.like.pattern, err))
            return -1;
        if (b->u.like.a->type->kind != TYPE_STRING && b->u.like.a->type->kind != TYPE_NULL)
            return eddy_error(err, ERR_ANALYSIS, e->pos, "LIKE needs a STRING, not %s",
                              type_str(a, b->u.like.a->type));
        if (b->u.like.pattern->type->kind != TYPE_STRING && b->u.like.pattern->type->kind != TYPE_NULL)
            return eddy_error(err, ERR_ANALYSIS, e->u.like.pattern->pos,
                              "LIKE pattern must be a STRING, not %s",
                              type_str(a, b->u.like.pattern->type));
        b->u.like.a = analyze_coerce(a, b->u.like.a, type_prim(TYPE_STRING));
        b->u.like.pattern = analyze_coerce(a, b->u.like.pattern, type_prim(TYPE_STRING));
        if (e->u.like.escape) {
            if (e->u.like.escape->kind != EXPR_STRING || strlen(e->u.like.escape->u.text) != 1)
                return eddy_error(err, ERR_ANALYSIS, e->u.like.escape->pos,
                                  "ESCAPE must be a single character string");
            b->u.like.escape = e->u.like.escape->u.text[0];
        }
        *out = b;
        return 0;
    }
    case EXPR_BETWEEN: {
        BExpr *b = bind_node(a, BX_BETWEEN, type_prim(TYPE_BOOLEAN), e->pos);
        b->negated = e->u.between.negated;
        if (bind(s, e->u.between.a, a, &b->u.between.a, err) ||
            bind(s, e->u.between.lo, a, &b->u.between.lo, err) ||
            bind(s, e->u.between.hi, a, &b->u.between.hi, err) ||
            bind_time_bound(e->u.between.a, b->u.between.a, e->u.between.lo, a, &b->u.between.lo, err) ||
            bind_time_bound(e->u.between.a, b->u.between.a, e->u.between.hi, a, &b->u.between.hi, err))
            return -1;
        BExpr *x = b->u.between.a;
        if (coerce_comparable_named(a, &x, &b->u.between.lo, "BETWEEN", e->pos, e->u.between.a, e->u.between.lo, err))
            return -1;
        BExpr *x2 = b->u.between.a;
        if (coerce_comparable_named(a, &x2, &b->u.between.hi, "BETWEEN", e->pos, e->u.between.a, e->u.between.hi, err))
            return -1;
        b->u.between.a = x;
        *out = b;
        return 0;
    }
    case EXPR_IN: {
        BExpr *b = bind_node(a, BX_IN, type_prim(TYPE_BOOLEAN), e->pos);
        b->negated = e->u.in.negated;
        if (bind(s, e->u.in.a, a, &b->u.in.a, err) != 0)
            return -1;
        int n = e->u.in.list.n;
        b->u.in.n = n;
        b->u.in.list = arena_alloc(a, sizeof(BExpr *) * (size_t)(n + 1));
        /* The tested value and the list, string literals read as the
         * numbers (or booleans) the others are: v IN ('1', 2). */
        BExpr **all = arena_alloc(a, sizeof(BExpr *) * (size_t)(n + 1));
        const AstExpr **asts = arena_alloc(a, sizeof(AstExpr *) * (size_t)(n + 1));
        all[0] = b->u.in.a;
        asts[0] = e->u.in.a;
        for (int i = 0; i < n; i++) {
            asts[i + 1] = e->u.in.list.items[i];
            if (bind(s, asts[i + 1], a, &all[i + 1], err) != 0)
                return -1;
        }
        if (coerce_string_literals(a, all, asts, n + 1, non_literal_type(a, all, asts, n + 1), NULL, err) != 0)
            return -1;
        b->u.in.a = all[0];
        for (int i = 0; i < n; i++) {
            BExpr *x = b->u.in.a;
            b->u.in.list[i] = all[i + 1];
            if (coerce_comparable_named(a, &x, &b->u.in.list[i], "IN", asts[i + 1]->pos, asts[0], asts[i + 1], err))
                return -1;
            b->u.in.a = x;
        }
        *out = b;
        return 0;
    }
    case EXPR_IS_NULL: {
        BExpr *b = bind_node(a, BX_IS_NULL, type_prim(TYPE_BOOLEAN), e->pos);
        b->negated = e->u.is_null.negated;
        if (bind(s, e->u.is_null.a, a, &b->u.unary.a, err) != 0)
            return -1;
        *out = b;
        return 0;
    }
    case EXPR_IS_DISTINCT: {
        BExpr *b = bind_node(a, BX_DISTINCT, type_prim(TYPE_BOOLEAN), e->pos);
        b->negated = e->u.binary.negated;
        if (bind(s, e->u.binary.a, a, &b->u.binary.a, err) ||
            bind(s, e->u.binary.b, a, &b->u.binary.b, err) ||
            bind_time_bounds(e->u.binary.a, &b->u.binary.a, e->u.binary.b, &b->u.binary.b, a, err) ||
            coerce_comparable_named(a, &b->u.binary.a, &b->u.binary.b, "IS DISTINCT FROM", e->pos, e->u.binary.a,
                                    e->u.binary.b, err))
            return -1;
        *out = b;
        return 0;
    }
    case EXPR_CASE:
        return bind_case(s, e, a, out, err);
    case EXPR_CAST: {
        BExpr *x;
        if (bind(s, e->u.cast.a, a, &x, err) != 0)
            return -1;
        const SqlType *to = type_copy(a, e->u.cast.type);   /* outlives the statement */
        TypeKind fk = x->type->kind, tk = to->kind;
        bool composite_from = fk == TYPE_ARRAY || fk == TYPE_MAP || fk == TYPE_STRUCT;
        bool composite_to = tk == TYPE_ARRAY || tk == TYPE_MAP || tk == TYPE_STRUCT;
        if (fk != TYPE_NULL && (composite_from || composite_to) && fk != tk && tk != TYPE_STRING)
            return eddy_error(err, ERR_ANALYSIS, e->pos, "cannot cast %s to %s",
                              type_str(a, x->type), type_str(a, to));
        if ((fk == TYPE_BYTES) != (tk == TYPE_BYTES) && fk != TYPE_NULL && tk != TYPE_STRING)
            return eddy_error(err, ERR_ANALYSIS, e->pos, "cannot cast %s to %s",
                              type_str(a, x->type), type_str(a, to));
        if (type_equal(x->type, to)) {
            *out = x;
            return 0;
        }
        BExpr *b = bind_node(a, BX_CAST, to, e->pos);
        b->u.unary.a = x;
        if (fk == TYPE_NULL) {
            b->kind = BX_CONST;
            b->u.constant = v_null();
        }
        *out = b;
        return 0;
    }
    case EXPR_DEREF: {
        BExpr *x;
        if (e->u.deref.field == NULL)   /* expanded by the planner where allowed */
            return eddy_error(err, ERR_ANALYSIS, e->pos,
                              "->* is only allowed as an item of a SELECT list");
        if (bind(s, e->u.deref.a, a, &x, err) != 0)
            return -1;
        if (x->type->kind != TYPE_STRUCT)
            return eddy_error(err, ERR_ANALYSIS, e->pos, "-> needs a STRUCT, not %s",
                              type_str(a, x->type));
        const char *f = e->u.deref.field;
        int idx = -1;
        for (int i = 0; i < x->type->nfields && idx < 0; i++)
            if (strcmp(x->type->fields[i].name, f) == 0)
                idx = i;
        for (int i = 0; i < x->type->nfields && idx < 0; i++)
            if (str_ieq(x->type->fields[i].name, f))
                idx = i;
        if (idx < 0)
            return eddy_error(err, ERR_ANALYSIS, e->pos, "unknown field %s in %s", f,
                              type_str(a, x->type));
        BExpr *b = bind_node(a, BX_DEREF, x->type->fields[idx].type, e->pos);
        b->u.deref.a = x;
        b->u.deref.field = idx;
        *out = b;
        return 0;
    }
    case EXPR_SUBSCRIPT: {
        BExpr *x, *i;
        if (bind(s, e->u.binary.a, a, &x, err) || bind(s, e->u.binary.b, a, &i, err))
            return -1;
        BExpr *b = bind_node(a, BX_SUBSCRIPT, NULL, e->pos);
        if (x->type->kind == TYPE_ARRAY) {
            if (i->type->kind != TYPE_INT && i->type->kind != TYPE_BIGINT)
                return eddy_error(err, ERR_ANALYSIS, e->u.binary.b->pos,
                                  "array index must be INTEGER, not %s", type_str(a, i->type));
            b->type = x->type->elem;
        } else if (x->type->kind == TYPE_MAP) {
            if (!analyze_assignable(i->type, x->type->key))
                return eddy_error(err, ERR_ANALYSIS, e->u.binary.b->pos,
                                  "map key must be %s, not %s", type_str(a, x->type->key),
                                  type_str(a, i->type));
            i = analyze_coerce(a, i, x->type->key);
            b->type = x->type->elem;
        } else {
            return eddy_error(err, ERR_ANALYSIS, e->pos, "[] needs an ARRAY or MAP, not %s",
                              type_str(a, x->type));
        }
        b->u.binary.a = x;
        b->u.binary.b = i;
        *out = b;
        return 0;
    }
    case EXPR_FUNC:
        return bind_func(s, e, a, out, err);
    case EXPR_ARRAY: {
        int n = e->u.list.n;
        BExpr *b = bind_node(a, BX_ARRAY, NULL, e->pos);
        b->u.list.n = n;
        b->u.list.items = arena_alloc(a, sizeof(BExpr *) * (size_t)(n + 1));
        const SqlType *t = type_prim(TYPE_NULL);
        for (int i = 0; i < n; i++)
            if (bind(s, e->u.list.items[i], a, &b->u.list.items[i], err) != 0)
                return -1;
        const AstExpr *const *asts = (const AstExpr *const *)e->u.list.items;
        if (coerce_string_literals(a, b->u.list.items, asts, n,
                                   non_literal_type(a, b->u.list.items, asts, n), NULL, err) != 0)
            return -1;
        for (int i = 0; i < n; i++) {
            const SqlType *c = bind_common_type(a, t, b->u.list.items[i]->type);
            if (c == NULL)
                return eddy_error(err, ERR_ANALYSIS, b->u.list.items[i]->pos,
                                  "array elements must have one type: %s and %s", type_str(a, t),
                                  type_str(a, b->u.list.items[i]->type));
            t = c;
        }
        if (t->kind == TYPE_NULL)
            return eddy_error(err, ERR_ANALYSIS, e->pos,
                              n == 0 ? "cannot infer the element type of this array: Array constructor cannot be empty. Please supply at least one element (see https://github.com/confluentinc/ksql/issues/4239)."
                                     : "cannot infer the element type of this array: Cannot construct an array with all NULL elements (see https://github.com/confluentinc/ksql/issues/4239). As a workaround, you may cast a NULL value to the desired type.");
        for (int i = 0; i < n; i++)
            b->u.list.items[i] = analyze_coerce(a, b->u.list.items[i], t);
        b->type = type_array(a, t);
        *out = b;
        return 0;
    }
    case EXPR_MAP: {
        int n = e->u.map.keys.n;
        BExpr *b = bind_node(a, BX_MAP, NULL, e->pos);
        b->u.map.n = n;
        b->u.map.keys = arena_alloc(a, sizeof(BExpr *) * (size_t)(n + 1));
        b->u.map.vals = arena_alloc(a, sizeof(BExpr *) * (size_t)(n + 1));
        const SqlType *kt = type_prim(TYPE_NULL), *vt = type_prim(TYPE_NULL);
        for (int i = 0; i < n; i++)
            if (bind(s, e->u.map.keys.items[i], a, &b->u.map.keys[i], err) ||
                bind(s, e->u.map.vals.items[i], a, &b->u.map.vals[i], err))
                return -1;
        const AstExpr *const *vasts = (const AstExpr *const *)e->u.map.vals.items;
        if (coerce_string_literals(a, b->u.map.vals, vasts, n, non_literal_type(a, b->u.map.vals, vasts, n),
                                   e, err) != 0)
            return -1;
        for (int i = 0; i < n; i++) {
            const SqlType *ck = bind_common_type(a, kt, b->u.map.keys[i]->type);
            const SqlType *cv = bind_common_type(a, vt, b->u.map.vals[i]->type);
            if (ck == NULL || cv == NULL)
                return eddy_error(err, ERR_ANALYSIS, b->u.map.keys[i]->pos,
                                  "map keys and values must each have one type");
            kt = ck;
            vt = cv;
        }
        if (n == 0)
            return eddy_error(err, ERR_ANALYSIS, e->pos,
                              "cannot infer the types of this map: Map constructor cannot be empty. Please supply at least one key value pair (see https://github.com/confluentinc/ksql/issues/4239).");
        if (vt->kind == TYPE_NULL)
            return eddy_error(err, ERR_ANALYSIS, e->pos,
                              "cannot infer the types of this map: Cannot construct a map with all NULL values (see https://github.com/confluentinc/ksql/issues/4239). As a workaround, you may cast a NULL value to the desired type.");
        if (kt->kind == TYPE_NULL)
            return eddy_error(err, ERR_ANALYSIS, e->pos, "cannot infer the types of this map");
        /* A NULL literal key can never be looked up: ksqlDB refuses it,
         * listing the keys' types. */
        for (int i = 0; i < n; i++) {
            if (b->u.map.keys[i]->type->kind != TYPE_NULL)
                continue;
            StrBuf sb;
            sb_init(&sb);
            for (int j = 0; j < n; j++)
                sb_printf(&sb, "%s%s", j ? ", " : "", type_str(a, b->u.map.keys[j]->type));
            eddy_error(err, ERR_ANALYSIS, b->u.map.keys[i]->pos,
                       "a MAP key cannot be NULL. Only STRING keys are supported in maps but got: [%s]",
                       sb.data);
            sb_free(&sb);
            return -1;
        }
        for (int i = 0; i < n; i++) {
            b->u.map.keys[i] = analyze_coerce(a, b->u.map.keys[i], kt);
            b->u.map.vals[i] = analyze_coerce(a, b->u.map.vals[i], vt);
        }
        b->type = type_map(a, kt, vt);
        *out = b;
        return 0;
    }
    case EXPR_STRUCT: {
        int n = e->u.map.keys.n;
        BExpr *b = bind_node(a, BX_STRUCT, NULL, e->pos);
        b->u.list.n = n;
        b->u.list.items = arena_alloc(a, sizeof(BExpr *) * (size_t)(n + 1));
        SqlField *fields = arena_alloc(a, sizeof(SqlField) * (size_t)(n + 1));
        for (int i = 0; i < n; i++) {
            const AstExpr *k = e->u.map.keys.items[i];
            if (bind(s, e->u.map.vals.items[i], a, &b->u.list.items[i], err) != 0)
                return -1;
            fields[i].name = arena_strdup(a, k->kind == EXPR_STRING ? k->u.text : k->u.col.name);
            fields[i].type = b->u.list.items[i]->type;
            if (fields[i].type->kind == TYPE_NULL)
                return eddy_error(err, ERR_ANALYSIS, b->u.list.items[i]->pos,
                                  "cannot infer the type of struct field %s", fields[i].name);
        }
        b->type = type_struct(a, fields, n);
        *out = b;
        return 0;
    }
    case EXPR_LAMBDA:
        return eddy_error(err, ERR_ANALYSIS, e->pos,
                          "a lambda is only allowed as an argument of TRANSFORM, FILTER or REDUCE");
    case EXPR_INTERVAL:
        return eddy_error(err, ERR_UNSUPPORTED, e->pos, "interval expressions are not supported yet");
    default:
        break;
    }
    EDDY_PANIC("bad AST expression kind %d", (int)e->kind);
}

int analyze_expr(const Scope *s, const AstExpr *e, Arena *a, BExpr **out, EddyError *err)
{
    return bind(s, e, a, out, err);
}
