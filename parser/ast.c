/*
 * ast.c - building the syntax tree.
 *
 * Constructors (parse_int.h) are what grammar.y's actions call: they
 * allocate in the statement arena, fill a node and record position.  They
 * check only what the syntax itself bounds: nesting depth, number ranges,
 * type names.  Such an error is recorded in the parse state and reported
 * when parse_script() returns; the parse goes on so actions stay simple.
 * Printing the tree back is ast_print.c's.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "keywords.h"   /* the type names */
#include "parse_int.h"

/* ---- nesting depth -------------------------------------------------------
 * Each expression node is allocated behind a private header holding the
 * depth of its subtree, so constructors bound the nesting without a field
 * in the public AstExpr.  Only nodes built here carry the header, and only
 * constructors here read it. */

typedef struct ExprNode {
    int depth;
    AstExpr e;
} ExprNode;

static int depth_of(const AstExpr *e)
{
    return e ? ((const ExprNode *)(const void *)((const char *)e - offsetof(ExprNode, e)))->depth : 0;
}

static int max_depth(const PtrVec *v)
{
    int d = 0;
    for (int i = 0; i < v->n; i++) {
        int x = depth_of(v->items[i]);
        if (x > d)
            d = x;
    }
    return d;
}

static int max2(int a, int b)
{
    return a > b ? a : b;
}

/* A node of kind k whose children reach `child_depth`. */
static AstExpr *new_expr(ParseState *ps, AstExprKind k, SrcPos pos, int child_depth)
{
    ExprNode *n = arena_alloc(ps->arena, sizeof *n);
    n->depth = child_depth + 1;
    if (n->depth > AST_MAX_DEPTH)
        ps_error(ps, pos, "expression nested too deeply (more than %d levels)", AST_MAX_DEPTH);
    n->e.kind = k;
    n->e.pos = pos;
    return &n->e;
}

/* ---- names and literals ------------------------------------------------- */

AstName ast_name(ParseState *ps, const char *name, bool quoted, EddyLoc l)
{
    (void)ps;
    return (AstName){.name = name, .quoted = quoted, .pos = loc_pos(l)};
}

AstExpr *ast_null(ParseState *ps, EddyLoc l)
{
    return new_expr(ps, EXPR_NULL, loc_pos(l), 0);
}

AstExpr *ast_bool(ParseState *ps, bool b, EddyLoc l)
{
    AstExpr *e = new_expr(ps, EXPR_BOOL, loc_pos(l), 0);
    e->u.b = b;
    return e;
}

/* Digits to a non-negative int64; false if it does not fit. */
static bool parse_digits(const char *s, int64_t *out)
{
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (v > ((uint64_t)INT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = (int64_t)v;
    return true;
}

/* An integer too large for BIGINT stays exact as a DECIMAL literal (the
 * analyzer decides whether that is acceptable); -9223372036854775808 folds
 * back to BIGINT in ast_unary. */
AstExpr *ast_int(ParseState *ps, const char *text, EddyLoc l)
{
    int64_t v;
    if (!parse_digits(text, &v))
        return ast_decimal(ps, text, l);
    AstExpr *e = new_expr(ps, EXPR_INT, loc_pos(l), 0);
    e->u.i = v;
    return e;
}

AstExpr *ast_decimal(ParseState *ps, const char *text, EddyLoc l)
{
    AstExpr *e = new_expr(ps, EXPR_DECIMAL, loc_pos(l), 0);
    e->u.text = text;
    return e;
}

AstExpr *ast_double(ParseState *ps, const char *text, EddyLoc l)
{
    AstExpr *e = new_expr(ps, EXPR_DOUBLE, loc_pos(l), 0);
    errno = 0;
    e->u.d = strtod(text, NULL);
    if (!isfinite(e->u.d))
        ps_error(ps, e->pos, "number out of range: %s", text);
    return e;
}

AstExpr *ast_string(ParseState *ps, const char *text, EddyLoc l)
{
    AstExpr *e = new_expr(ps, EXPR_STRING, loc_pos(l), 0);
    e->u.text = text;
    return e;
}

AstExpr *ast_column(ParseState *ps, const AstName *qualifier, AstName name)
{
    AstExpr *e = new_expr(ps, EXPR_COLUMN, qualifier ? qualifier->pos : name.pos, 0);
    e->u.col.qualifier = qualifier ? qualifier->name : NULL;
    e->u.col.name = name.name;
    e->u.col.quoted = name.quoted;
    return e;
}

AstExpr *ast_star(ParseState *ps, const AstName *qualifier, EddyLoc l)
{
    AstExpr *e = new_expr(ps, EXPR_STAR, loc_pos(l), 0);
    e->u.col.qualifier = qualifier ? qualifier->name : NULL;
    e->u.col.name = "*";
    return e;
}

/* ---- operators ---------------------------------------------------------- */

/* "-<number>" becomes a negative literal (as in ksqlDB, where the sign is
 * part of the number), so -9223372036854775808 is a valid BIGINT. */
AstExpr *ast_unary(ParseState *ps, AstOp op, AstExpr *a, EddyLoc l)
{
    if (op == OP_NEG) {
        switch (a->kind) {
        case EXPR_INT:
            if (a->u.i == INT64_MIN)
                break;
            a->u.i = -a->u.i;
            a->pos = loc_pos(l);
            return a;
        case EXPR_DECIMAL:
            if (strcmp(a->u.text, "9223372036854775808") == 0) {
                a->kind = EXPR_INT;
                a->u.i = INT64_MIN;
            } else if (a->u.text[0] == '-') {
                a->u.text++;
            } else {
                a->u.text = arena_sprintf(ps->arena, "-%s", a->u.text);
            }
            a->pos = loc_pos(l);
            return a;
        case EXPR_DOUBLE:
            a->u.d = -a->u.d;
            a->pos = loc_pos(l);
            return a;
        default:
            break;
        }
    }
    AstExpr *e = new_expr(ps, EXPR_UNARY, loc_pos(l), depth_of(a));
    e->u.unary.op = op;
    e->u.unary.a = a;
    return e;
}

AstExpr *ast_binary(ParseState *ps, AstOp op, AstExpr *a, AstExpr *b, EddyLoc l)
{
    AstExpr *e = new_expr(ps, EXPR_BINARY, loc_pos(l), max2(depth_of(a), depth_of(b)));
    e->u.binary.op = op;
    e->u.binary.a = a;
    e->u.binary.b = b;
    return e;
}

AstExpr *ast_like(ParseState *ps, AstExpr *a, AstExpr *pattern, AstExpr *escape, bool negated, EddyLoc l)
{
    AstExpr *e = new_expr(ps, EXPR_LIKE, loc_pos(l), max2(depth_of(a), depth_of(pattern)));
    e->u.like.a = a;
    e->u.like.pattern = pattern;
    e->u.like.escape = escape;
    e->u.like.negated = negated;
    return e;
}

AstExpr *ast_between(ParseState *ps, AstExpr *a, AstExpr *lo, AstExpr *hi, bool negated, EddyLoc l)
{
    int d = max2(depth_of(a), max2(depth_of(lo), depth_of(hi)));
    AstExpr *e = new_expr(ps, EXPR_BETWEEN, loc_pos(l), d);
    e->u.between.a = a;
    e->u.between.lo = lo;
    e->u.between.hi = hi;
    e->u.between.negated = negated;
    return e;
}

AstExpr *ast_in(ParseState *ps, AstExpr *a, PtrVec list, bool negated, EddyLoc l)
{
    AstExpr *e = new_expr(ps, EXPR_IN, loc_pos(l), max2(depth_of(a), max_depth(&list)));
    e->u.in.a = a;
    e->u.in.list = list;
    e->u.in.negated = negated;
    return e;
}

AstExpr *ast_is_null(ParseState *ps, AstExpr *a, bool negated, EddyLoc l)
{
    AstExpr *e = new_expr(ps, EXPR_IS_NULL, loc_pos(l), depth_of(a));
    e->u.is_null.a = a;
    e->u.is_null.negated = negated;
    return e;
}

/* a IS DISTINCT FROM b: u.binary with op OP_NE; IS NOT DISTINCT sets negated. */
AstExpr *ast_is_distinct(ParseState *ps, AstExpr *a, AstExpr *b, bool negated, EddyLoc l)
{
    AstExpr *e = new_expr(ps, EXPR_IS_DISTINCT, loc_pos(l), max2(depth_of(a), depth_of(b)));
    e->u.binary.op = OP_NE;
    e->u.binary.a = a;
    e->u.binary.b = b;
    e->u.binary.negated = negated;
    return e;
}

AstWhen *ast_when(ParseState *ps, AstExpr *when, AstExpr *then)
{
    AstWhen *w = arena_alloc(ps->arena, sizeof *w);
    w->when = when;
    w->then = then;
    return w;
}

AstExpr *ast_case(ParseState *ps, AstExpr *operand, PtrVec whens, AstExpr *else_, EddyLoc l)
{
    int d = max2(depth_of(operand), depth_of(else_));
    for (int i = 0; i < whens.n; i++) {
        const AstWhen *w = whens.items[i];
        d = max2(d, max2(depth_of(w->when), depth_of(w->then)));
    }
    AstExpr *e = new_expr(ps, EXPR_CASE, loc_pos(l), d);
    e->u.case_.operand = operand;
    e->u.case_.whens = whens;
    e->u.case_.else_ = else_;
    return e;
}

AstExpr *ast_cast(ParseState *ps, AstExpr *a, TypeVal type, EddyLoc l)
{
    AstExpr *e = new_expr(ps, EXPR_CAST, loc_pos(l), depth_of(a));
    e->u.cast.a = a;
    e->u.cast.type = type.t;
    return e;
}

AstExpr *ast_deref(ParseState *ps, AstExpr *a, AstName field, EddyLoc l)
{
    AstExpr *e = new_expr(ps, EXPR_DEREF, loc_pos(l), depth_of(a));
    e->u.deref.a = a;
    e->u.deref.field = field.name;
    return e;
}

/* a->* (a select item): u.deref.field NULL; the planner expands it into
 * one item per field of a's STRUCT type. */
AstExpr *ast_deref_all(ParseState *ps, AstExpr *a, EddyLoc l)
{
    AstExpr *e = new_expr(ps, EXPR_DEREF, loc_pos(l), depth_of(a));
    e->u.deref.a = a;
    e->u.deref.field = NULL;
    return e;
}

AstExpr *ast_subscript(ParseState *ps, AstExpr *a, AstExpr *index, EddyLoc l)
{
    AstExpr *e = new_expr(ps, EXPR_SUBSCRIPT, loc_pos(l), max2(depth_of(a), depth_of(index)));
    e->u.binary.a = a;
    e->u.binary.b = index;
    return e;
}

AstExpr *ast_func(ParseState *ps, AstName name, PtrVec args, bool star, bool distinct)
{
    AstExpr *e = new_expr(ps, EXPR_FUNC, name.pos, max_depth(&args));
    e->u.func.name = name.name;
    e->u.func.args = args;
    e->u.func.star = star;
    e->u.func.distinct = distinct;
    return e;
}

AstExpr *ast_array(ParseState *ps, PtrVec elems, EddyLoc l)
{
    AstExpr *e = new_expr(ps, EXPR_ARRAY, loc_pos(l), max_depth(&elems));
    e->u.list = elems;
    return e;
}

AstExpr *ast_map(ParseState *ps, PtrVec keys, PtrVec vals, EddyLoc l)
{
    AstExpr *e = new_expr(ps, EXPR_MAP, loc_pos(l), max2(max_depth(&keys), max_depth(&vals)));
    e->u.map.keys = keys;
    e->u.map.vals = vals;
    return e;
}

/* STRUCT(name := v): the names become EXPR_STRING keys (ast.h). */
/* A field named twice in STRUCT(...) or STRUCT<...>: ksqlDB's "Duplicate
 * field names found in STRUCT", at the second one.  Names compare as
 * written after case folding (`a` and A differ, a and A do not). */
static void check_struct_names(ParseState *ps, PtrVec names)
{
    for (int i = 1; i < names.n; i++)
        for (int j = 0; j < i; j++) {
            const AstName *x = names.items[j], *y = names.items[i];
            if (strcmp(x->name, y->name) == 0) {
                ps_error(ps, y->pos, "Duplicate field names found in STRUCT: %s", y->name);
                return;
            }
        }
}

AstExpr *ast_struct(ParseState *ps, PtrVec names, PtrVec vals, EddyLoc l)
{
    check_struct_names(ps, names);
    AstExpr *e = new_expr(ps, EXPR_STRUCT, loc_pos(l), max_depth(&vals));
    for (int i = 0; i < names.n; i++) {
        const AstName *n = names.items[i];
        AstExpr *k = new_expr(ps, EXPR_STRING, n->pos, 0);
        k->u.text = n->name;
        ptrvec_push(ps->arena, &e->u.map.keys, k);
    }
    e->u.map.vals = vals;
    return e;
}

AstExpr *ast_lambda(ParseState *ps, PtrVec params, AstExpr *body, EddyLoc l)
{
    AstExpr *e = new_expr(ps, EXPR_LAMBDA, loc_pos(l), depth_of(body));
    for (int i = 0; i < params.n; i++)
        ptrvec_push(ps->arena, &e->u.lambda.params, (void *)((const AstName *)params.items[i])->name);
    e->u.lambda.body = body;
    return e;
}

/* ---- types ---------------------------------------------------------------- */

static const struct {
    const char *name;
    TypeKind kind;
} type_names[] = {
#define X(s, k) {s, k},
    EDDY_TYPE_NAME_LIST(X)
#undef X
};

static TypeVal type_val(ParseState *ps, const SqlType *t, int child_depth, EddyLoc l)
{
    TypeVal v = {t, child_depth + 1};
    if (v.depth > AST_MAX_DEPTH)
        ps_error(ps, loc_pos(l), "type nested too deeply (more than %d levels)", AST_MAX_DEPTH);
    return v;
}

void ast_note_type(ParseState *ps, AstName name, const SqlType *type)
{
    ptrvec_push(ps->arena, &ps->type_names, (void *)name.name);
    ptrvec_push(ps->arena, &ps->type_defs, (void *)type);
}

/* Nesting depth of a type (a custom type's definition was bounded by
 * AST_MAX_DEPTH when it was parsed, so this recursion is too). */
static int type_depth(const SqlType *t)
{
    int d = 0;
    if (t->elem)
        d = max2(d, type_depth(t->elem));
    if (t->key)
        d = max2(d, type_depth(t->key));
    for (int i = 0; i < t->nfields; i++)
        d = max2(d, type_depth(t->fields[i].type));
    return t->elem || t->key || t->nfields ? d + 1 : d;
}

/* A custom type's definition: the script's latest CREATE TYPE (or DROP
 * TYPE: none) of that name, else the caller's; NULL if unknown. */
static const SqlType *custom_type(ParseState *ps, const char *name)
{
    for (int i = ps->type_names.n - 1; i >= 0; i--)
        if (strcmp(ps->type_names.items[i], name) == 0)
            return ps->type_defs.items[i];
    const SqlType *t = ps->type_lookup ? ps->type_lookup(ps->type_lookup_ud, name) : NULL;
    return t ? type_copy(ps->arena, t) : NULL;
}

/* A named type: BOOLEAN, INT, ..., DECIMAL(p, s), VARCHAR(n) (length
 * ignored, as ksqlDB's strings are unbounded), or a custom type (CREATE
 * TYPE), replaced by its definition here, as ksqlDB does. */
TypeVal ast_type_named(ParseState *ps, AstName name, PtrVec params, EddyLoc l)
{
    SrcPos pos = loc_pos(l);
    const SqlType *fallback = type_prim(TYPE_STRING);
    int kind = -1;
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
        if (name.quoted ? strcmp(name.name, type_names[i].name) == 0
                        : str_ieq(name.name, type_names[i].name))
            kind = (int)type_names[i].kind;
    if (kind < 0) {
        const SqlType *custom = params.n == 0 ? custom_type(ps, name.name) : NULL;
        if (custom)
            return type_val(ps, custom, type_depth(custom), l);
        ps_error(ps, pos, "unknown type '%s'", name.name);
        return type_val(ps, fallback, 0, l);
    }
    if (kind == TYPE_DECIMAL) {
        int64_t p, s;
        if (params.n != 2) {
            ps_error(ps, pos, "DECIMAL needs a precision and a scale: DECIMAL(precision, scale)");
            return type_val(ps, fallback, 0, l);
        }
        if (!parse_digits(params.items[0], &p) || !parse_digits(params.items[1], &s)
            || p > 1000 || s > 1000) {
            ps_error(ps, pos, "DECIMAL precision or scale out of range");
            return type_val(ps, fallback, 0, l);
        }
        return type_val(ps, type_decimal(ps->arena, (int)p, (int)s), 0, l);
    }
    if (params.n > 0 && !(kind == TYPE_STRING && params.n == 1)) {
        ps_error(ps, pos, "type %s takes no parameters", name.name);
        return type_val(ps, fallback, 0, l);
    }
    return type_val(ps, type_prim((TypeKind)kind), 0, l);
}

TypeVal ast_type_array(ParseState *ps, TypeVal elem, EddyLoc l)
{
    return type_val(ps, type_array(ps->arena, elem.t), elem.depth, l);
}

TypeVal ast_type_map(ParseState *ps, TypeVal key, TypeVal val, EddyLoc l)
{
    return type_val(ps, type_map(ps->arena, key.t, val.t), max2(key.depth, val.depth), l);
}

TypeVal ast_type_struct(ParseState *ps, PtrVec names, PtrVec types, EddyLoc l)
{
    check_struct_names(ps, names);
    SqlField *fields = arena_alloc(ps->arena, sizeof *fields * (size_t)(names.n ? names.n : 1));
    int d = 0;
    for (int i = 0; i < names.n; i++) {
        const TypeVal *tv = types.items[i];
        fields[i].name = ((const AstName *)names.items[i])->name;
        fields[i].type = tv->t;
        d = max2(d, tv->depth);
    }
    return type_val(ps, type_struct(ps->arena, fields, names.n), d, l);
}

TypeVal *ast_type_box(ParseState *ps, TypeVal t)
{
    return ast_box(ps, &t, sizeof t);
}

/* ---- numbers in clauses ------------------------------------------------- */

int64_t ast_uint(ParseState *ps, const char *digits, EddyLoc l)
{
    int64_t v;
    if (!parse_digits(digits, &v)) {
        ps_error(ps, loc_pos(l), "number too large: %s", digits);
        return 0;
    }
    return v;
}

int64_t ast_duration(ParseState *ps, int64_t n, int64_t unit_ms, EddyLoc l)
{
    if (n > INT64_MAX / unit_ms) {
        ps_error(ps, loc_pos(l), "duration too large");
        return 0;
    }
    return n * unit_ms;
}

/* ksqlDB's grammar takes a signed number in these places and rejects a
 * negative one later (Kafka Streams: "Window size must be larger than
 * zero"); here the grammar takes the sign only to say so at its position. */
int64_t ast_negative(ParseState *ps, const char *what, EddyLoc l)
{
    ps_error(ps, loc_pos(l), "%s must not be negative", what);
    return 0;
}

/* ---- clauses and statements --------------------------------------------- */

void *ast_box(ParseState *ps, const void *v, size_t n)
{
    void *p = arena_alloc(ps->arena, n);
    memcpy(p, v, n);
    return p;
}

AstSelectItem *ast_select_item(ParseState *ps, AstExpr *e, AstName alias)
{
    AstSelectItem *it = arena_alloc(ps->arena, sizeof *it);
    it->expr = e;
    it->alias = alias;
    return it;
}

AstRelation ast_relation(AstName name, AstName alias)
{
    return (AstRelation){.name = name, .alias = alias};
}

AstJoin *ast_join(ParseState *ps, AstJoinKind kind, AstRelation right, EddyLoc l)
{
    AstJoin *j = arena_alloc(ps->arena, sizeof *j);
    j->kind = kind;
    j->right = right;
    j->grace_ms = -1;
    j->pos = loc_pos(l);
    return j;
}

AstProperty *ast_property(ParseState *ps, const char *name, AstExpr *value, EddyLoc l)
{
    AstProperty *p = arena_alloc(ps->arena, sizeof *p);
    p->name = str_upper(ps->arena, name);
    p->value = value;
    p->pos = loc_pos(l);
    return p;
}

AstColumnDef *ast_column_def(ParseState *ps, AstName name, TypeVal type, AstColumnRole role,
                             const char *header_key)
{
    AstColumnDef *c = arena_alloc(ps->arena, sizeof *c);
    c->name = name;
    c->type = type.t;
    c->role = role;
    c->header_key = header_key;
    return c;
}

/* ALTER's "ADD word name type": the word must be COLUMN (unquoted). */
AstColumnDef *ast_alter_column(ParseState *ps, AstName word, AstName name, TypeVal type)
{
    if (word.quoted || strcmp(word.name, "COLUMN") != 0)
        ps_error(ps, word.pos, "syntax error at '%s', expected COLUMN or a column name and its type",
                 word.name);
    return ast_column_def(ps, name, type, COLROLE_VALUE, NULL);
}

AstSelect *ast_select(ParseState *ps, EddyLoc l)
{
    AstSelect *s = arena_alloc(ps->arena, sizeof *s);
    s->window.kind = WINDOW_NONE;
    s->window.retention_ms = s->window.grace_ms = -1;
    s->limit = -1;
    s->pos = loc_pos(l);
    return s;
}

AstStmt *ast_stmt(ParseState *ps, AstStmtKind kind, EddyLoc l)
{
    AstStmt *s = arena_alloc(ps->arena, sizeof *s);
    s->kind = kind;
    s->pos = loc_pos(l);
    return s;
}

AstStmt *ast_replay(ParseState *ps, AstStmt *from, AstName id, const AstStmt *tail, EddyLoc l)
{
    from->pos = loc_pos(l);
    from->u.replay.query_id = id.name;
    from->u.replay.query_pos = id.pos;
    if (tail) {
        from->u.replay.empty_state = tail->u.replay.empty_state;
        from->u.replay.props = tail->u.replay.props;
    }
    return from;
}

AstOffset *ast_offset(ParseState *ps, const char *topic, int64_t partition, int64_t offset, EddyLoc l)
{
    AstOffset *o = arena_alloc(ps->arena, sizeof *o);
    o->topic = topic;
    o->partition = partition;
    o->offset = offset;
    o->pos = loc_pos(l);
    return o;
}

AstStmt *ast_snapshot(ParseState *ps, AstStmtKind kind, const char *name, EddyLoc name_l,
                      const AstName *query, EddyLoc l)
{
    AstStmt *s = ast_stmt(ps, kind, l);
    s->u.snapshot.name = name;
    s->u.snapshot.name_pos = loc_pos(name_l);
    if (query) {
        s->u.snapshot.query_id = query->name;
        s->u.snapshot.query_pos = query->pos;
    }
    return s;
}

void ast_stmt_finish(ParseState *ps, AstStmt *s, EddyLoc first, EddyLoc last)
{
    EddyLoc span = first;
    span.end = last.end;
    s->text = ps_text(ps, span);
    ptrvec_push(ps->arena, ps->stmts, s);
}

