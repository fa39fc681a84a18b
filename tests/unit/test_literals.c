/*
 * test_literals.c - literals from text to typed constants: the parser folds
 * a minus sign into the number (ast.c), the analyzer types and values it
 * (analyze.c bind_literal), the printer writes it back so it parses to the
 * same tree (EXPLAIN, expression texts).  Every numeric literal form, each
 * with and without a sign: DECIMAL, DOUBLE, INT, BIGINT and its limits,
 * negative zero, nested and parenthesised minus.
 */
#include <stdio.h>
#include <string.h>

#include "eddy/ast.h"
#include "testutil.h"
#include "../../engine/engine_int.h"   /* white-box: analyze_expr on an empty scope */

static Arena *T;

/* "TYPE value" of the first select item of "SELECT <e> FROM s;", bound
 * with no columns in scope and evaluated on a row of that ROWTIME, or
 * "L:C: message". */
static const char *typed_at(const char *e, int64_t rowtime)
{
    Arena *a = arena_create(0);
    PtrVec v = {0};
    EddyError err;
    const char *res;
    const char *src = arena_sprintf(a, "SELECT %s FROM s;", e);
    if (parse_script(src, a, &v, &err) != 0) {
        res = arena_sprintf(T, "%d:%d: %s", err.pos.line, err.pos.col, err.msg);
    } else {
        const AstSelectItem *it = ((AstStmt *)v.items[0])->u.select->items.items[0];
        Scope none = {0};
        BExpr *b;
        if (analyze_expr(&none, it->expr, a, &b, &err) != 0) {
            res = arena_sprintf(T, "%d:%d: %s", err.pos.line, err.pos.col, err.msg);
        } else {
            EvalCtx ev = {.arena = a};
            Row row = {.rowtime = rowtime};
            Value val;
            expr_eval(b, &row, &ev, &val);
            StrBuf sb;
            sb_init(&sb);
            value_format(&val, &sb);
            res = arena_sprintf(T, "%s %s", type_to_string(a, b->type), sb.data ? sb.data : "");
            sb_free(&sb);
        }
    }
    arena_destroy(a);
    return res;
}

static const char *typed(const char *e)
{
    return typed_at(e, 0);
}

/* ast_format_expr of the first select item (the text EXPLAIN shows). */
static const char *formatted(const char *e)
{
    Arena *a = arena_create(0);
    PtrVec v = {0};
    EddyError err;
    const char *res = "parse error";
    if (parse_script(arena_sprintf(a, "SELECT %s FROM s;", e), a, &v, &err) == 0) {
        const AstSelectItem *it = ((AstStmt *)v.items[0])->u.select->items.items[0];
        StrBuf sb;
        sb_init(&sb);
        ast_format_expr(it->expr, &sb);
        res = arena_strdup(T, sb.data);
        sb_free(&sb);
    }
    arena_destroy(a);
    return res;
}

static void test_decimal(void)
{
    CHECK_STR(typed("94.5786"), "DECIMAL(6, 4) 94.5786");
    CHECK_STR(typed("-94.5786"), "DECIMAL(6, 4) -94.5786");
    CHECK_STR(typed("- 94.5786"), "DECIMAL(6, 4) -94.5786");
    CHECK_STR(typed("- -2.5"), "DECIMAL(2, 1) 2.5");
    CHECK_STR(typed("-(2.5)"), "DECIMAL(2, 1) -2.5");
    CHECK_STR(typed("-(-(2.5))"), "DECIMAL(2, 1) 2.5");
    CHECK_STR(typed("-.5"), "DECIMAL(2, 1) -0.5");
    CHECK_STR(typed("-0.05"), "DECIMAL(3, 2) -0.05");
    CHECK_STR(typed("-1."), "DECIMAL(1, 0) -1");
    CHECK_STR(typed("-007.50"), "DECIMAL(3, 2) -7.50");
    CHECK_STR(typed("-0.0"), "DECIMAL(2, 1) 0.0");
    CHECK_STR(typed("-0.00"), "DECIMAL(3, 2) 0.00");
    CHECK_STR(typed("3 - -2.5"), "DECIMAL(12, 1) 5.5");
    CHECK_STR(typed("-123456789012.345678"), "DECIMAL(18, 6) -123456789012.345678");
    CHECK_STR(typed("-0.12345678901234567"), "DECIMAL(18, 17) -0.12345678901234567");
    CHECK_STR(typed("-1234567890123.456789"), "1:8: decimal literal -1234567890123.456789 has more than 18 digits");
}

static void test_integers(void)
{
    CHECK_STR(typed("-5"), "INTEGER -5");
    CHECK_STR(typed("- -5"), "INTEGER 5");
    CHECK_STR(typed("-(5)"), "INTEGER -5");
    CHECK_STR(typed("-0"), "INTEGER 0");
    CHECK_STR(typed("2147483647"), "INTEGER 2147483647");
    CHECK_STR(typed("-2147483648"), "INTEGER -2147483648");   /* ksqlDB: an IntegerLiteral */
    CHECK_STR(typed("2147483648"), "BIGINT 2147483648");
    CHECK_STR(typed("-2147483649"), "BIGINT -2147483649");
    CHECK_STR(typed("-9223372036854775808"), "BIGINT -9223372036854775808");
    CHECK_STR(typed("9223372036854775807"), "BIGINT 9223372036854775807");
    CHECK_STR(typed("-9223372036854775809"),
              "1:8: integer literal -9223372036854775809 is out of range: BIGINT holds "
              "-9223372036854775808 to 9223372036854775807");
    CHECK_STR(typed("9223372036854775808"),
              "1:8: integer literal 9223372036854775808 is out of range: BIGINT holds "
              "-9223372036854775808 to 9223372036854775807");
    CHECK_STR(typed("1 + 99999999999999999999"),
              "1:12: integer literal 99999999999999999999 is out of range: BIGINT holds "
              "-9223372036854775808 to 9223372036854775807");
}

static void test_double(void)
{
    CHECK_STR(typed("-1.5E0"), "DOUBLE -1.5");
    CHECK_STR(typed("- -1.5E0"), "DOUBLE 1.5");
    CHECK_STR(typed("-1.5E2"), "DOUBLE -150.0");
    CHECK_STR(typed("-0.0E0"), "DOUBLE -0.0");
    CHECK_STR(typed("-.5e-1"), "DOUBLE -0.05");
}

/* The printed text parses back to the same value (the catalog keeps the
 * statement text, EXPLAIN and expression matching use this one). */
static void test_printed(void)
{
    static const char *const exprs[] = {
        "-94.5786", "3 - -2.5", "- -2.5", "-(2.5)", "-.5", "-0.0", "-0.00", "-1.5E0", "-0.0E0",
        "-2147483648", "-9223372036854775808", "- -5", "ARRAY[-1.5, 2.5][1]",
    };
    for (size_t i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
        const char *f = formatted(exprs[i]);
        const char *a = typed(exprs[i]), *b = typed(f);
        if (strcmp(a, b) != 0)
            fprintf(stderr, "%s printed as %s: %s vs %s\n", exprs[i], f, a, b);
        CHECK_STR(b, a);
    }
    CHECK_STR(formatted("3 - -2.5"), "(3 - -2.5)");
    CHECK_STR(formatted("- -2.5"), "2.5");
}

int main(void)
{
    T = arena_create(0);
    test_decimal();
    test_integers();
    test_double();
    test_printed();
    arena_destroy(T);
    return testutil_done();
}
