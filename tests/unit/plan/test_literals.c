/*
 * test_literals.c - literals from text to typed constants: the parser folds
 * a minus sign into the number (ast.c), binding types and values it
 * (engine/plan/bind.c, bind_literal), the printer writes it back so it
 * parses to the same tree (EXPLAIN, expression texts).  Every numeric literal form, each
 * with and without a sign: DECIMAL, DOUBLE, INT, BIGINT and its limits,
 * negative zero, nested and parenthesised minus; ROWTIME/WINDOWSTART/
 * WINDOWEND compared with ISO-8601 text.
 */
#include <stdio.h>
#include <string.h>

#include "eddy/ast.h"
#include "testutil.h"
#include "eddy/engine/analyze.h"   /* analyze_expr on an empty scope */

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

/* A STRING literal compared with ROWTIME/WINDOWSTART/WINDOWEND is the
 * instant it names, as BIGINT epoch milliseconds. */
static void test_time_text(void)
{
    static const struct { const char *text; int64_t ms; } ok[] = {
        {"2023-01-01T05:00:00", 1672549200000},
        {"2023-01-01T05:00:00.000", 1672549200000},
        {"2023-01-01T05:00:00.5", 1672549200500},
        {"2023-01-01T05:00", 1672549200000},
        {"2023-01-01T05", 1672549200000},
        {"2023-01-01T06:00:00+0100", 1672549200000},
        {"2023-01-01T06:00:00.000+01:00", 1672549200000},
        {"2023-01-01T01:30:00-0330", 1672549200000},
        {"2023-01-01T05:00:00Z", 1672549200000},
        {"2023-01-01", 1672531200000},
        {"2023-01", 1672531200000},
        {"2023", 1672531200000},
        {"1970-01-01T00:00:00", 0},
    };
    Arena *a = arena_create(0);
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        const char *eq = arena_sprintf(a, "ROWTIME = '%s'", ok[i].text);
        const char *rev = arena_sprintf(a, "'%s' < ROWTIME", ok[i].text);
        CHECK_STR(typed_at(eq, ok[i].ms), "BOOLEAN true");
        CHECK_STR(typed_at(eq, ok[i].ms + 1), "BOOLEAN false");
        CHECK_STR(typed_at(rev, ok[i].ms + 1), "BOOLEAN true");
        CHECK_STR(typed_at(rev, ok[i].ms), "BOOLEAN false");
    }
    CHECK_STR(typed_at("ROWTIME BETWEEN '2023' AND '2023-01-01T05'", 1672549200000), "BOOLEAN true");
    CHECK_STR(typed_at("ROWTIME NOT BETWEEN '2023' AND '2023-01-01T05'", 1672549200001), "BOOLEAN true");
    CHECK_STR(typed_at("ROWTIME IS DISTINCT FROM '2023'", 1672531200000), "BOOLEAN false");
    CHECK_STR(typed_at("ROWTIME <> '2023'", 1672531200000), "BOOLEAN false");
    /* Not a time: an error at the text.  Other columns and expressions of
     * ROWTIME are not rewritten (ksqlDB: only a direct column reference). */
    static const char *const bad[] = {
        "2023-13-01", "2023-02-30", "2023-01-01T24:00", "2023-01T05", "yesterday", "", "2023-01-01T05:00+25",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *got = typed(arena_sprintf(a, "ROWTIME >= '%s'", bad[i]));
        const char *want = arena_sprintf(a, "1:19: cannot parse '%s' as a time for ROWTIME", bad[i]);
        if (strncmp(got, want, strlen(want)) != 0)
            fprintf(stderr, "got %s\nwant %s\n", got, want);
        CHECK(strncmp(got, want, strlen(want)) == 0);
    }
    CHECK_STR(typed("ROWTIME + 0 > '2023'"), "1:20: Cannot compare (ROWTIME + 0) (BIGINT) to '2023' (STRING) with GREATER_THAN.");
    CHECK_STR(typed("ROWPARTITION > '2023'"), "1:21: Cannot compare ROWPARTITION (INTEGER) to '2023' (STRING) with GREATER_THAN.");
    arena_destroy(a);
}

int main(void)
{
    T = arena_create(0);
    test_decimal();
    test_integers();
    test_double();
    test_printed();
    test_time_text();
    arena_destroy(T);
    return testutil_done();
}
