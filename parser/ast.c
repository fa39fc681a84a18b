/*
 * ast.c - building the syntax tree and printing it back.
 *
 * Constructors (parse_int.h) are what grammar.y's actions call: they
 * allocate in the statement arena, fill a node and record position.  They
 * check only what the syntax itself bounds: nesting depth, number ranges,
 * type names.  Such an error is recorded in the parse state and reported
 * when parse_script() returns; the parse goes on so actions stay simple.
 *
 * Printers: ast_dump_stmt/ast_dump_expr write S-expressions for tests and
 * debugging, e.g. "(+ A (* B C))"; ast_format_expr writes KSQL text that
 * parses back to the same tree (operators fully parenthesised, names
 * back-quoted where needed).
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keywords.h"
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
AstExpr *ast_struct(ParseState *ps, PtrVec names, PtrVec vals, EddyLoc l)
{
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

/* A named type: BOOLEAN, INT, ..., DECIMAL(p, s), VARCHAR(n) (length
 * ignored, as ksqlDB's strings are unbounded).  ksqlDB's custom types
 * (CREATE TYPE) cannot be referenced yet: SqlType has no kind for a name
 * to resolve later, so an unknown name is an error here. */
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

void ast_stmt_finish(ParseState *ps, AstStmt *s, EddyLoc first, EddyLoc last)
{
    EddyLoc span = first;
    span.end = last.end;
    s->text = ps_text(ps, span);
    ptrvec_push(ps->arena, ps->stmts, s);
}

/* ---- names of things ------------------------------------------------------ */

const char *ast_expr_kind_name(AstExprKind k)
{
    static const char *const names[] = {
#define X(k) #k,
        AST_EXPR_LIST(X)
#undef X
    };
    if ((int)k < 0 || k >= EXPR__COUNT)
        return "EXPR_?";
    return names[k];
}

const char *ast_op_name(AstOp op)
{
    switch (op) {
    case OP_ADD: return "+";
    case OP_SUB: return "-";
    case OP_MUL: return "*";
    case OP_DIV: return "/";
    case OP_MOD: return "%";
    case OP_CONCAT: return "||";
    case OP_EQ: return "=";
    case OP_NE: return "<>";
    case OP_LT: return "<";
    case OP_LE: return "<=";
    case OP_GT: return ">";
    case OP_GE: return ">=";
    case OP_AND: return "AND";
    case OP_OR: return "OR";
    case OP_NEG: return "-";
    case OP_NOT: return "NOT";
    case OP_PLUS: return "+";
    }
    return "?";
}

typedef struct KeywordClass {
    const char *name;
    int cls;
} KeywordClass;

static const KeywordClass keyword_classes[] = {
#define X(name, cls) {#name, cls},
    EDDY_KEYWORD_LIST(X)
#undef X
};

static int keyword_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const KeywordClass *)elem)->name);
}

/* True if `name` can be written without back-quotes and reads back the
 * same: an upper-case word that is not a reserved keyword. */
static bool plain_name(const char *name)
{
    if (!((name[0] >= 'A' && name[0] <= 'Z') || name[0] == '_'))
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '@'))
            return false;
    const KeywordClass *kw = bsearch(name, keyword_classes,
                                     sizeof keyword_classes / sizeof keyword_classes[0],
                                     sizeof keyword_classes[0], keyword_cmp);
    return kw == NULL || kw->cls != KW_RESERVED;
}

static void put_name(StrBuf *out, const char *name, bool force_quotes)
{
    if (!force_quotes && plain_name(name)) {
        sb_puts(out, name);
        return;
    }
    sb_putc(out, '`');
    for (const char *p = name; *p; p++) {
        if (*p == '`')
            sb_putc(out, '`');
        sb_putc(out, *p);
    }
    sb_putc(out, '`');
}

static void put_string(StrBuf *out, const char *s)
{
    sb_putc(out, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            sb_putc(out, '\'');
        sb_putc(out, *s);
    }
    sb_putc(out, '\'');
}

/* Shortest text that reads back as the same double; with `lexable`, always
 * with an exponent so it lexes as a DOUBLE again: 1500 -> "1500E0". */
static void put_double(StrBuf *out, double d, bool lexable)
{
    char buf[64];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    for (char *p = buf; *p; p++)
        if (*p == 'e')
            *p = 'E';
    sb_puts(out, buf);
    if (lexable && !strchr(buf, 'E') && isfinite(d))
        sb_puts(out, "E0");
}

/* ---- S-expression dump --------------------------------------------------- */

static void dump_list(const PtrVec *v, StrBuf *out)
{
    for (int i = 0; i < v->n; i++) {
        sb_putc(out, ' ');
        ast_dump_expr(v->items[i], out);
    }
}

void ast_dump_expr(const AstExpr *e, StrBuf *out)
{
    if (e == NULL) {
        sb_puts(out, "<null>");
        return;
    }
    switch (e->kind) {
    case EXPR_NULL:
        sb_puts(out, "NULL");
        return;
    case EXPR_BOOL:
        sb_puts(out, e->u.b ? "TRUE" : "FALSE");
        return;
    case EXPR_INT:
        sb_printf(out, "%lld", (long long)e->u.i);
        return;
    case EXPR_DECIMAL:
        sb_puts(out, e->u.text);
        return;
    case EXPR_DOUBLE:
        sb_puts(out, "(double ");
        put_double(out, e->u.d, false);
        sb_putc(out, ')');
        return;
    case EXPR_STRING:
        put_string(out, e->u.text);
        return;
    case EXPR_COLUMN:
        if (e->u.col.qualifier) {
            put_name(out, e->u.col.qualifier, false);
            sb_putc(out, '.');
        }
        put_name(out, e->u.col.name, e->u.col.quoted);
        return;
    case EXPR_STAR:
        if (e->u.col.qualifier) {
            put_name(out, e->u.col.qualifier, false);
            sb_putc(out, '.');
        }
        sb_putc(out, '*');
        return;
    case EXPR_UNARY:
        sb_printf(out, "(%s ", ast_op_name(e->u.unary.op));
        ast_dump_expr(e->u.unary.a, out);
        sb_putc(out, ')');
        return;
    case EXPR_BINARY:
        sb_printf(out, "(%s ", ast_op_name(e->u.binary.op));
        ast_dump_expr(e->u.binary.a, out);
        sb_putc(out, ' ');
        ast_dump_expr(e->u.binary.b, out);
        sb_putc(out, ')');
        return;
    case EXPR_LIKE:
        sb_puts(out, e->u.like.negated ? "(NOT LIKE " : "(LIKE ");
        ast_dump_expr(e->u.like.a, out);
        sb_putc(out, ' ');
        ast_dump_expr(e->u.like.pattern, out);
        if (e->u.like.escape) {
            sb_puts(out, " (ESCAPE ");
            ast_dump_expr(e->u.like.escape, out);
            sb_putc(out, ')');
        }
        sb_putc(out, ')');
        return;
    case EXPR_BETWEEN:
        sb_puts(out, e->u.between.negated ? "(NOT BETWEEN " : "(BETWEEN ");
        ast_dump_expr(e->u.between.a, out);
        sb_putc(out, ' ');
        ast_dump_expr(e->u.between.lo, out);
        sb_putc(out, ' ');
        ast_dump_expr(e->u.between.hi, out);
        sb_putc(out, ')');
        return;
    case EXPR_IN:
        sb_puts(out, e->u.in.negated ? "(NOT IN " : "(IN ");
        ast_dump_expr(e->u.in.a, out);
        sb_puts(out, " (");
        for (int i = 0; i < e->u.in.list.n; i++) {
            if (i)
                sb_putc(out, ' ');
            ast_dump_expr(e->u.in.list.items[i], out);
        }
        sb_puts(out, "))");
        return;
    case EXPR_IS_NULL:
        sb_puts(out, e->u.is_null.negated ? "(IS NOT NULL " : "(IS NULL ");
        ast_dump_expr(e->u.is_null.a, out);
        sb_putc(out, ')');
        return;
    case EXPR_IS_DISTINCT:
        sb_puts(out, e->u.binary.negated ? "(IS NOT DISTINCT FROM " : "(IS DISTINCT FROM ");
        ast_dump_expr(e->u.binary.a, out);
        sb_putc(out, ' ');
        ast_dump_expr(e->u.binary.b, out);
        sb_putc(out, ')');
        return;
    case EXPR_CASE:
        sb_puts(out, "(CASE");
        if (e->u.case_.operand) {
            sb_putc(out, ' ');
            ast_dump_expr(e->u.case_.operand, out);
        }
        for (int i = 0; i < e->u.case_.whens.n; i++) {
            const AstWhen *w = e->u.case_.whens.items[i];
            sb_puts(out, " (WHEN ");
            ast_dump_expr(w->when, out);
            sb_putc(out, ' ');
            ast_dump_expr(w->then, out);
            sb_putc(out, ')');
        }
        if (e->u.case_.else_) {
            sb_puts(out, " (ELSE ");
            ast_dump_expr(e->u.case_.else_, out);
            sb_putc(out, ')');
        }
        sb_putc(out, ')');
        return;
    case EXPR_CAST:
        sb_puts(out, "(CAST ");
        ast_dump_expr(e->u.cast.a, out);
        sb_putc(out, ' ');
        type_format(e->u.cast.type, out);
        sb_putc(out, ')');
        return;
    case EXPR_DEREF:
        sb_puts(out, "(-> ");
        ast_dump_expr(e->u.deref.a, out);
        sb_putc(out, ' ');
        put_name(out, e->u.deref.field, false);
        sb_putc(out, ')');
        return;
    case EXPR_SUBSCRIPT:
        sb_puts(out, "([] ");
        ast_dump_expr(e->u.binary.a, out);
        sb_putc(out, ' ');
        ast_dump_expr(e->u.binary.b, out);
        sb_putc(out, ')');
        return;
    case EXPR_FUNC:
        sb_putc(out, '(');
        put_name(out, e->u.func.name, false);
        if (e->u.func.star)
            sb_puts(out, " *");
        if (e->u.func.distinct)
            sb_puts(out, " DISTINCT");
        dump_list(&e->u.func.args, out);
        sb_putc(out, ')');
        return;
    case EXPR_ARRAY:
        sb_puts(out, "(ARRAY");
        dump_list(&e->u.list, out);
        sb_putc(out, ')');
        return;
    case EXPR_MAP:
    case EXPR_STRUCT:
        sb_puts(out, e->kind == EXPR_MAP ? "(MAP" : "(STRUCT");
        for (int i = 0; i < e->u.map.keys.n; i++) {
            const AstExpr *k = e->u.map.keys.items[i];
            sb_puts(out, " (");
            if (e->kind == EXPR_STRUCT)
                put_name(out, k->u.text, false);
            else
                ast_dump_expr(k, out);
            sb_putc(out, ' ');
            ast_dump_expr(e->u.map.vals.items[i], out);
            sb_putc(out, ')');
        }
        sb_putc(out, ')');
        return;
    case EXPR_LAMBDA:
        sb_puts(out, "(LAMBDA (");
        for (int i = 0; i < e->u.lambda.params.n; i++) {
            if (i)
                sb_putc(out, ' ');
            put_name(out, e->u.lambda.params.items[i], false);
        }
        sb_puts(out, ") ");
        ast_dump_expr(e->u.lambda.body, out);
        sb_putc(out, ')');
        return;
    case EXPR_INTERVAL:
        sb_printf(out, "(INTERVAL %lld)", (long long)e->u.interval.ms);
        return;
    case EXPR__COUNT:
        break;
    }
    EDDY_PANIC("ast_dump_expr: unexpected kind %d", (int)e->kind);
}

static void dump_name(const AstName *n, StrBuf *out)
{
    put_name(out, n->name, n->quoted);
}

static void dump_props(const PtrVec *props, StrBuf *out)
{
    if (props->n == 0)
        return;
    sb_puts(out, " (WITH");
    for (int i = 0; i < props->n; i++) {
        const AstProperty *p = props->items[i];
        sb_puts(out, " (");
        sb_puts(out, p->name);
        sb_putc(out, ' ');
        ast_dump_expr(p->value, out);
        sb_putc(out, ')');
    }
    sb_putc(out, ')');
}

static void dump_relation(const AstRelation *r, StrBuf *out)
{
    dump_name(&r->name, out);
    if (r->alias.name) {
        sb_puts(out, " AS ");
        dump_name(&r->alias, out);
    }
}

static void dump_expr_list(const char *tag, const PtrVec *v, StrBuf *out)
{
    if (v->n == 0)
        return;
    sb_printf(out, " (%s", tag);
    dump_list(v, out);
    sb_putc(out, ')');
}

static void dump_select(const AstSelect *s, StrBuf *out)
{
    static const char *const join_names[] = {"INNER", "LEFT", "RIGHT", "FULL"};
    static const char *const window_names[] = {"NONE", "TUMBLING", "HOPPING", "SESSION"};

    sb_puts(out, "(SELECT (ITEMS");
    for (int i = 0; i < s->items.n; i++) {
        const AstSelectItem *it = s->items.items[i];
        sb_putc(out, ' ');
        if (it->alias.name) {
            sb_puts(out, "(AS ");
            ast_dump_expr(it->expr, out);
            sb_putc(out, ' ');
            dump_name(&it->alias, out);
            sb_putc(out, ')');
        } else {
            ast_dump_expr(it->expr, out);
        }
    }
    sb_puts(out, ") (FROM ");
    dump_relation(&s->from, out);
    sb_putc(out, ')');
    for (int i = 0; i < s->joins.n; i++) {
        const AstJoin *j = s->joins.items[i];
        sb_printf(out, " (%s JOIN ", join_names[j->kind]);
        dump_relation(&j->right, out);
        if (j->has_within)
            sb_printf(out, " (WITHIN %lld %lld)", (long long)j->within_before_ms,
                      (long long)j->within_after_ms);
        if (j->grace_ms >= 0)
            sb_printf(out, " (GRACE %lld)", (long long)j->grace_ms);
        sb_puts(out, " (ON ");
        ast_dump_expr(j->on, out);
        sb_puts(out, "))");
    }
    const AstWindow *w = &s->window;
    if (w->kind != WINDOW_NONE) {
        sb_printf(out, " (WINDOW %s (%s %lld)", window_names[w->kind],
                  w->kind == WINDOW_SESSION ? "GAP" : "SIZE", (long long)w->size_ms);
        if (w->kind == WINDOW_HOPPING)
            sb_printf(out, " (ADVANCE %lld)", (long long)w->advance_ms);
        if (w->retention_ms >= 0)
            sb_printf(out, " (RETENTION %lld)", (long long)w->retention_ms);
        if (w->grace_ms >= 0)
            sb_printf(out, " (GRACE %lld)", (long long)w->grace_ms);
        sb_putc(out, ')');
    }
    if (s->where) {
        sb_puts(out, " (WHERE ");
        ast_dump_expr(s->where, out);
        sb_putc(out, ')');
    }
    dump_expr_list("GROUP BY", &s->group_by, out);
    dump_expr_list("PARTITION BY", &s->partition_by, out);
    if (s->having) {
        sb_puts(out, " (HAVING ");
        ast_dump_expr(s->having, out);
        sb_putc(out, ')');
    }
    if (s->emit != EMIT_NONE)
        sb_puts(out, s->emit == EMIT_CHANGES ? " (EMIT CHANGES)" : " (EMIT FINAL)");
    if (s->limit >= 0)
        sb_printf(out, " (LIMIT %lld)", (long long)s->limit);
    sb_putc(out, ')');
}

static void dump_create(const AstStmt *s, StrBuf *out)
{
    sb_puts(out, "(CREATE ");
    if (s->u.create.or_replace)
        sb_puts(out, "OR REPLACE ");
    if (s->u.create.is_source)
        sb_puts(out, "SOURCE ");
    sb_puts(out, s->u.create.is_table ? "TABLE " : "STREAM ");
    if (s->u.create.if_not_exists)
        sb_puts(out, "IF NOT EXISTS ");
    dump_name(&s->u.create.name, out);
    if (s->u.create.columns.n > 0) {
        static const char *const roles[] = {"", " KEY", " PRIMARY KEY", " HEADERS"};
        sb_puts(out, " (COLUMNS");
        for (int i = 0; i < s->u.create.columns.n; i++) {
            const AstColumnDef *c = s->u.create.columns.items[i];
            sb_puts(out, " (");
            dump_name(&c->name, out);
            sb_putc(out, ' ');
            type_format(c->type, out);
            if (c->header_key) {
                sb_puts(out, " HEADER ");
                put_string(out, c->header_key);
            } else {
                sb_puts(out, roles[c->role]);
            }
            sb_putc(out, ')');
        }
        sb_putc(out, ')');
    }
    dump_props(&s->u.create.props, out);
    if (s->u.create.select) {
        sb_puts(out, " (AS ");
        dump_select(s->u.create.select, out);
        sb_putc(out, ')');
    }
    sb_putc(out, ')');
}

static void dump_insert(const AstStmt *s, StrBuf *out)
{
    sb_puts(out, "(INSERT INTO ");
    dump_name(&s->u.insert.target, out);
    dump_props(&s->u.insert.props, out);
    if (s->kind == STMT_INSERT_SELECT) {
        sb_putc(out, ' ');
        dump_select(s->u.insert.select, out);
    } else {
        if (s->u.insert.columns.n > 0) {
            sb_puts(out, " (COLUMNS");
            for (int i = 0; i < s->u.insert.columns.n; i++) {
                sb_putc(out, ' ');
                dump_name(s->u.insert.columns.items[i], out);
            }
            sb_putc(out, ')');
        }
        sb_puts(out, " (VALUES");
        dump_list(&s->u.insert.values, out);
        sb_putc(out, ')');
    }
    sb_putc(out, ')');
}

void ast_dump_stmt(const AstStmt *s, StrBuf *out)
{
    static const char *const show_names[] = {
        "STREAMS", "TABLES", "QUERIES", "TOPICS", "PROPERTIES",
        "FUNCTIONS", "MODELS", "SNAPSHOTS", "TYPES", "VARIABLES",
    };
    switch (s->kind) {
    case STMT_CREATE_SOURCE:
    case STMT_CREATE_AS:
        dump_create(s, out);
        return;
    case STMT_INSERT_SELECT:
    case STMT_INSERT_VALUES:
        dump_insert(s, out);
        return;
    case STMT_SELECT:
        dump_select(s->u.select, out);
        return;
    case STMT_DROP:
    case STMT_DROP_MODEL:
        sb_printf(out, "(DROP %s", s->kind == STMT_DROP_MODEL ? "MODEL"
                                   : s->u.drop.is_type        ? "TYPE"
                                   : s->u.drop.is_table       ? "TABLE" : "STREAM");
        sb_puts(out, s->u.drop.if_exists ? " IF EXISTS " : " ");
        dump_name(&s->u.drop.name, out);
        sb_puts(out, s->u.drop.delete_topic ? " DELETE TOPIC)" : ")");
        return;
    case STMT_SHOW:
        sb_printf(out, "(SHOW %s%s)", show_names[s->u.show.what], s->u.show.extended ? " EXTENDED" : "");
        return;
    case STMT_DESCRIBE:
        sb_puts(out, "(DESCRIBE ");
        if (s->u.describe.is_list_streams || s->u.describe.is_list_tables) {
            sb_puts(out, s->u.describe.is_list_streams ? "STREAMS" : "TABLES");
            sb_puts(out, s->u.describe.extended ? " EXTENDED)" : ")");
            return;
        }
        if (s->u.describe.is_function)
            sb_puts(out, "FUNCTION ");
        if (s->u.describe.extended)
            sb_puts(out, "EXTENDED ");
        dump_name(&s->u.describe.name, out);
        sb_putc(out, ')');
        return;
    case STMT_EXPLAIN:
        sb_puts(out, "(EXPLAIN ");
        if (s->u.explain.stmt)
            ast_dump_stmt(s->u.explain.stmt, out);
        else
            put_name(out, s->u.explain.query_id, false);
        sb_putc(out, ')');
        return;
    case STMT_TERMINATE:
        sb_puts(out, "(TERMINATE ");
        if (s->u.terminate.all)
            sb_puts(out, "ALL");
        else
            put_name(out, s->u.terminate.query_id, false);
        sb_putc(out, ')');
        return;
    case STMT_PRINT:
        sb_puts(out, "(PRINT ");
        put_string(out, s->u.print.topic);
        if (s->u.print.from_beginning)
            sb_puts(out, " FROM BEGINNING");
        if (s->u.print.interval >= 0)
            sb_printf(out, " (INTERVAL %lld)", (long long)s->u.print.interval);
        if (s->u.print.limit >= 0)
            sb_printf(out, " (LIMIT %lld)", (long long)s->u.print.limit);
        sb_putc(out, ')');
        return;
    case STMT_SET:
        sb_puts(out, "(SET ");
        put_string(out, s->u.set.name);
        sb_putc(out, ' ');
        put_string(out, s->u.set.value);
        sb_putc(out, ')');
        return;
    case STMT_UNSET:
        sb_puts(out, "(UNSET ");
        put_string(out, s->u.set.name);
        sb_putc(out, ')');
        return;
    case STMT_RUN_SCRIPT:
        sb_puts(out, "(RUN SCRIPT ");
        put_string(out, s->u.run_script.path);
        sb_putc(out, ')');
        return;
    case STMT_CREATE_MODEL:
        sb_puts(out, s->u.model.or_replace ? "(CREATE OR REPLACE MODEL " : "(CREATE MODEL ");
        dump_name(&s->u.model.name, out);
        sb_putc(out, ' ');
        put_string(out, s->u.model.path);
        sb_putc(out, ')');
        return;
    case STMT_REPLAY:
        sb_puts(out, "(REPLAY QUERY ");
        put_name(out, s->u.replay.query_id, false);
        switch (s->u.replay.from) {
        case REPLAY_OFFSET:
            sb_printf(out, " FROM OFFSET %lld)", (long long)s->u.replay.offset);
            return;
        case REPLAY_TIMESTAMP:
            sb_puts(out, " FROM TIMESTAMP ");
            put_string(out, s->u.replay.text);
            sb_putc(out, ')');
            return;
        case REPLAY_BEGINNING:
            sb_puts(out, " FROM BEGINNING)");
            return;
        case REPLAY_SNAPSHOT:
            sb_puts(out, " FROM SNAPSHOT ");
            put_string(out, s->u.replay.text);
            sb_putc(out, ')');
            return;
        }
        EDDY_PANIC("ast_dump_stmt: unexpected replay origin %d", (int)s->u.replay.from);
    case STMT_CHECKPOINT:
        sb_puts(out, "(CHECKPOINT");
        if (s->u.checkpoint.query_id) {
            sb_puts(out, " QUERY ");
            put_name(out, s->u.checkpoint.query_id, false);
        }
        sb_putc(out, ')');
        return;
    case STMT_CREATE_TYPE:
        sb_puts(out, "(CREATE TYPE ");
        if (s->u.create_type.if_not_exists)
            sb_puts(out, "IF NOT EXISTS ");
        dump_name(&s->u.create_type.name, out);
        sb_putc(out, ' ');
        type_format(s->u.create_type.type, out);
        sb_putc(out, ')');
        return;
    case STMT__COUNT:
        break;
    }
    EDDY_PANIC("ast_dump_stmt: unexpected kind %d", (int)s->kind);
}

/* ---- KSQL text ----------------------------------------------------------- */

static void format_list(const PtrVec *v, StrBuf *out)
{
    for (int i = 0; i < v->n; i++) {
        if (i)
            sb_puts(out, ", ");
        ast_format_expr(v->items[i], out);
    }
}

static bool is_negative_literal(const AstExpr *e)
{
    return (e->kind == EXPR_INT && e->u.i < 0) || (e->kind == EXPR_DOUBLE && signbit(e->u.d))
        || (e->kind == EXPR_DECIMAL && e->u.text[0] == '-');
}

/* The base of a[i] or a->f: parenthesised unless it is already a primary. */
static void format_base(const AstExpr *e, StrBuf *out)
{
    bool paren = is_negative_literal(e) || e->kind == EXPR_LAMBDA;
    if (paren)
        sb_putc(out, '(');
    ast_format_expr(e, out);
    if (paren)
        sb_putc(out, ')');
}

void ast_format_expr(const AstExpr *e, StrBuf *out)
{
    if (e == NULL) {
        sb_puts(out, "NULL");
        return;
    }
    switch (e->kind) {
    case EXPR_NULL:
    case EXPR_BOOL:
    case EXPR_INT:
    case EXPR_DECIMAL:
    case EXPR_STRING:
    case EXPR_COLUMN:
    case EXPR_STAR:
    case EXPR_INTERVAL:
        ast_dump_expr(e, out);
        return;
    case EXPR_DOUBLE:
        put_double(out, e->u.d, true);
        return;
    case EXPR_UNARY:
        sb_putc(out, '(');
        if (e->u.unary.op == OP_NOT)
            sb_puts(out, "NOT ");
        else
            sb_puts(out, ast_op_name(e->u.unary.op));
        /* "- -1" must not become the comment "--1" */
        if (e->u.unary.op != OP_NOT && (is_negative_literal(e->u.unary.a) || e->u.unary.a->kind == EXPR_UNARY))
            sb_putc(out, ' ');
        ast_format_expr(e->u.unary.a, out);
        sb_putc(out, ')');
        return;
    case EXPR_BINARY:
        sb_putc(out, '(');
        ast_format_expr(e->u.binary.a, out);
        sb_printf(out, " %s ", ast_op_name(e->u.binary.op));
        ast_format_expr(e->u.binary.b, out);
        sb_putc(out, ')');
        return;
    case EXPR_LIKE:
        sb_putc(out, '(');
        ast_format_expr(e->u.like.a, out);
        sb_puts(out, e->u.like.negated ? " NOT LIKE " : " LIKE ");
        ast_format_expr(e->u.like.pattern, out);
        if (e->u.like.escape) {
            sb_puts(out, " ESCAPE ");
            ast_format_expr(e->u.like.escape, out);
        }
        sb_putc(out, ')');
        return;
    case EXPR_BETWEEN:
        sb_putc(out, '(');
        ast_format_expr(e->u.between.a, out);
        sb_puts(out, e->u.between.negated ? " NOT BETWEEN " : " BETWEEN ");
        ast_format_expr(e->u.between.lo, out);
        sb_puts(out, " AND ");
        ast_format_expr(e->u.between.hi, out);
        sb_putc(out, ')');
        return;
    case EXPR_IN:
        sb_putc(out, '(');
        ast_format_expr(e->u.in.a, out);
        sb_puts(out, e->u.in.negated ? " NOT IN (" : " IN (");
        format_list(&e->u.in.list, out);
        sb_puts(out, "))");
        return;
    case EXPR_IS_NULL:
        sb_putc(out, '(');
        ast_format_expr(e->u.is_null.a, out);
        sb_puts(out, e->u.is_null.negated ? " IS NOT NULL)" : " IS NULL)");
        return;
    case EXPR_IS_DISTINCT:
        sb_putc(out, '(');
        ast_format_expr(e->u.binary.a, out);
        sb_puts(out, e->u.binary.negated ? " IS NOT DISTINCT FROM " : " IS DISTINCT FROM ");
        ast_format_expr(e->u.binary.b, out);
        sb_putc(out, ')');
        return;
    case EXPR_CASE:
        sb_puts(out, "(CASE");
        if (e->u.case_.operand) {
            sb_putc(out, ' ');
            ast_format_expr(e->u.case_.operand, out);
        }
        for (int i = 0; i < e->u.case_.whens.n; i++) {
            const AstWhen *w = e->u.case_.whens.items[i];
            sb_puts(out, " WHEN ");
            ast_format_expr(w->when, out);
            sb_puts(out, " THEN ");
            ast_format_expr(w->then, out);
        }
        if (e->u.case_.else_) {
            sb_puts(out, " ELSE ");
            ast_format_expr(e->u.case_.else_, out);
        }
        sb_puts(out, " END)");
        return;
    case EXPR_CAST:
        sb_puts(out, "CAST(");
        ast_format_expr(e->u.cast.a, out);
        sb_puts(out, " AS ");
        type_format(e->u.cast.type, out);
        sb_putc(out, ')');
        return;
    case EXPR_DEREF:
        format_base(e->u.deref.a, out);
        sb_puts(out, "->");
        put_name(out, e->u.deref.field, false);
        return;
    case EXPR_SUBSCRIPT:
        format_base(e->u.binary.a, out);
        sb_putc(out, '[');
        ast_format_expr(e->u.binary.b, out);
        sb_putc(out, ']');
        return;
    case EXPR_FUNC:
        put_name(out, e->u.func.name, false);
        sb_putc(out, '(');
        if (e->u.func.star)
            sb_putc(out, '*');
        if (e->u.func.distinct)
            sb_puts(out, "DISTINCT ");
        format_list(&e->u.func.args, out);
        sb_putc(out, ')');
        return;
    case EXPR_ARRAY:
        sb_puts(out, "ARRAY[");
        format_list(&e->u.list, out);
        sb_putc(out, ']');
        return;
    case EXPR_MAP:
    case EXPR_STRUCT:
        sb_puts(out, e->kind == EXPR_MAP ? "MAP(" : "STRUCT(");
        for (int i = 0; i < e->u.map.keys.n; i++) {
            const AstExpr *k = e->u.map.keys.items[i];
            if (i)
                sb_puts(out, ", ");
            if (e->kind == EXPR_STRUCT)
                put_name(out, k->u.text, false);
            else
                ast_format_expr(k, out);
            sb_puts(out, ":=");
            ast_format_expr(e->u.map.vals.items[i], out);
        }
        sb_putc(out, ')');
        return;
    case EXPR_LAMBDA:
        sb_putc(out, '(');
        for (int i = 0; i < e->u.lambda.params.n; i++) {
            if (i)
                sb_puts(out, ", ");
            put_name(out, e->u.lambda.params.items[i], false);
        }
        sb_puts(out, ") => ");
        ast_format_expr(e->u.lambda.body, out);
        return;
    case EXPR__COUNT:
        break;
    }
    EDDY_PANIC("ast_format_expr: unexpected kind %d", (int)e->kind);
}
