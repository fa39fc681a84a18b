/*
 * ast_print.c - the syntax tree as text.
 *
 * ast_format_expr is the one expression printer: KSQL text that parses
 * back to the same tree (operators fully parenthesised, names back-quoted
 * where needed, doubles with an exponent).  EXPLAIN, generated names and
 * error messages show it, and because every operator is parenthesised it
 * also shows the tree's shape, so the tests read it too.
 *
 * ast_dump_stmt writes a statement as an S-expression of its clauses for
 * tests and debugging, e.g. "(SELECT (ITEMS (A + 1)) (FROM S))"; the
 * expressions in it are ast_format_expr's text.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keywords.h"
#include "parse_int.h"

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
    /* ARRAY, MAP and STRUCT name columns too, but before '[' or '(' they
     * read back as constructors: always quoted. */
    return kw == NULL || (kw->cls != KW_RESERVED && strcmp(name, "ARRAY") != 0 &&
                          strcmp(name, "MAP") != 0 && strcmp(name, "STRUCT") != 0);
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

/* Shortest text that reads back as the same double, always with an
 * exponent so it lexes as a DOUBLE again: 1500 -> "1500E0". */
static void put_double(StrBuf *out, double d)
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
    if (!strchr(buf, 'E') && isfinite(d))
        sb_puts(out, "E0");
}

/* ---- expressions as KSQL text ---------------------------------------------- */

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
        put_double(out, e->u.d);
        return;
    case EXPR_STRING:
        put_string(out, e->u.text);
        return;
    case EXPR_COLUMN:
    case EXPR_STAR:
        if (e->u.col.qualifier) {
            put_name(out, e->u.col.qualifier, false);
            sb_putc(out, '.');
        }
        if (e->kind == EXPR_STAR)
            sb_putc(out, '*');
        else
            put_name(out, e->u.col.name, e->u.col.quoted);
        return;
    case EXPR_INTERVAL:   /* no syntax builds one yet (ast.h) */
        sb_printf(out, "(INTERVAL %lld)", (long long)e->u.interval.ms);
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
        if (e->u.deref.field == NULL)
            sb_putc(out, '*');
        else
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

/* ---- statements as S-expressions ------------------------------------------ */

static void dump_list(const PtrVec *v, StrBuf *out)
{
    for (int i = 0; i < v->n; i++) {
        sb_putc(out, ' ');
        ast_format_expr(v->items[i], out);
    }
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
        ast_format_expr(p->value, out);
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
            ast_format_expr(it->expr, out);
            sb_putc(out, ' ');
            dump_name(&it->alias, out);
            sb_putc(out, ')');
        } else {
            ast_format_expr(it->expr, out);
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
        ast_format_expr(j->on, out);
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
        ast_format_expr(s->where, out);
        sb_putc(out, ')');
    }
    dump_expr_list("GROUP BY", &s->group_by, out);
    dump_expr_list("PARTITION BY", &s->partition_by, out);
    if (s->having) {
        sb_puts(out, " (HAVING ");
        ast_format_expr(s->having, out);
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

static void dump_replay(const AstStmt *s, StrBuf *out)
{
    sb_puts(out, "(REPLAY QUERY ");
    put_name(out, s->u.replay.query_id, false);
    switch (s->u.replay.from) {
    case REPLAY_OFFSET:
        sb_printf(out, " FROM OFFSET %lld", (long long)s->u.replay.offset);
        break;
    case REPLAY_OFFSETS:
        sb_puts(out, " FROM OFFSETS (");
        for (int i = 0; i < s->u.replay.offsets.n; i++) {
            const AstOffset *o = s->u.replay.offsets.items[i];
            if (i)
                sb_puts(out, ", ");
            if (o->topic) {
                put_string(out, o->topic);
                sb_putc(out, ':');
            }
            sb_printf(out, "%lld:%lld", (long long)o->partition, (long long)o->offset);
        }
        sb_putc(out, ')');
        break;
    case REPLAY_TIMESTAMP:
        sb_puts(out, " FROM TIMESTAMP ");
        put_string(out, s->u.replay.text);
        break;
    case REPLAY_BEGINNING:
        sb_puts(out, " FROM BEGINNING");
        break;
    case REPLAY_SNAPSHOT:
        sb_puts(out, " FROM SNAPSHOT ");
        put_string(out, s->u.replay.text);
        break;
    default:
        EDDY_PANIC("ast_dump_stmt: unexpected replay origin %d", (int)s->u.replay.from);
    }
    if (s->u.replay.empty_state)
        sb_puts(out, " WITH EMPTY STATE");
    dump_props(&s->u.replay.props, out);
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
        if (s->u.describe.is_model)
            sb_puts(out, "MODEL ");
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
    case STMT_DEFINE:
        sb_printf(out, "(DEFINE %s ", s->u.define.name);
        put_string(out, s->u.define.value);
        sb_putc(out, ')');
        return;
    case STMT_UNDEFINE:
        sb_printf(out, "(UNDEFINE %s)", s->u.define.name);
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
        dump_props(&s->u.model.props, out);
        sb_putc(out, ')');
        return;
    case STMT_REPLAY:
        dump_replay(s, out);
        return;
    case STMT_CREATE_SNAPSHOT:
    case STMT_DROP_SNAPSHOT:
        sb_puts(out, s->kind == STMT_DROP_SNAPSHOT ? "(DROP SNAPSHOT" : "(CREATE SNAPSHOT");
        if (s->u.snapshot.if_exists)
            sb_puts(out, " IF EXISTS");
        if (s->u.snapshot.name) {
            sb_putc(out, ' ');
            put_string(out, s->u.snapshot.name);
        }
        if (s->u.snapshot.query_id) {
            sb_puts(out, " FOR QUERY ");
            put_name(out, s->u.snapshot.query_id, false);
        }
        sb_putc(out, ')');
        return;
    case STMT_CHECKPOINT:
        sb_puts(out, "(CHECKPOINT");
        if (s->u.checkpoint.query_id) {
            sb_puts(out, " QUERY ");
            put_name(out, s->u.checkpoint.query_id, false);
        }
        sb_putc(out, ')');
        return;
    case STMT_ALTER:
        sb_puts(out, s->u.alter.is_table ? "(ALTER TABLE " : "(ALTER STREAM ");
        dump_name(&s->u.alter.name, out);
        for (int i = 0; i < s->u.alter.columns.n; i++) {
            const AstColumnDef *c = s->u.alter.columns.items[i];
            sb_puts(out, " (ADD ");
            dump_name(&c->name, out);
            sb_putc(out, ' ');
            type_format(c->type, out);
            sb_putc(out, ')');
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

