/*
 * test_parser.c - the parser (parser/): statements from ksqlDB's docs
 * parsed and dumped (clauses as S-expressions, expressions as KSQL text),
 * precedence, identifiers, every statement kind, error messages with exact
 * positions, statement texts, parse_is_complete, the keyword classes, the
 * round trip of expression text, and a fuzz loop (random bytes, token
 * soup, truncations, mutations, deep nesting) that must never crash, leak
 * or hang -- run it under ASan/UBSan (-DEDDY_SANITIZE=ON).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/ast.h"
#include "testutil.h"
#include "keywords.h"   /* white-box: the keyword classes (parser/) */

static Arena *T;   /* holds every string the checks compare; freed at exit */

/* ---- helpers ------------------------------------------------------------- */

static const char *err_text(const EddyError *err)
{
    return arena_sprintf(T, "%d:%d: %s", err->pos.line, err->pos.col, err->msg);
}

/* Dump of every statement of src, one per line, or "L:C: message". */
static const char *dump(const char *src)
{
    Arena *a = arena_create(0);
    PtrVec v = {0};
    EddyError err;
    const char *res;
    if (parse_script(src, a, &v, &err) != 0) {
        res = err_text(&err);
    } else {
        StrBuf sb;
        sb_init(&sb);
        for (int i = 0; i < v.n; i++) {
            if (i)
                sb_putc(&sb, '\n');
            ast_dump_stmt(v.items[i], &sb);
        }
        res = arena_strdup(T, sb.data ? sb.data : "");
        sb_free(&sb);
    }
    arena_destroy(a);
    return res;
}

/* The error of src, "L:C: message", or "ok". */
static const char *error_of(const char *src)
{
    Arena *a = arena_create(0);
    PtrVec v = {0};
    EddyError err;
    const char *res = parse_script(src, a, &v, &err) == 0 ? "ok" : err_text(&err);
    arena_destroy(a);
    return res;
}

static bool parses(const char *src)
{
    return strcmp(error_of(src), "ok") == 0;
}

/* ast_format_expr of the first select item of "SELECT <e> FROM s;", or
 * "L:C: message".  Every operator comes out parenthesised, so the text
 * shows the tree's shape: "(A + (B * C))". */
static const char *expr(const char *e)
{
    Arena *a = arena_create(0);
    PtrVec v = {0};
    EddyError err;
    const char *res;
    const char *src = arena_sprintf(a, "SELECT %s FROM s;", e);
    if (parse_script(src, a, &v, &err) != 0) {
        res = err_text(&err);
    } else {
        const AstStmt *s = v.items[0];
        const AstSelectItem *it = s->u.select->items.items[0];
        StrBuf sb;
        sb_init(&sb);
        ast_format_expr(it->expr, &sb);
        res = arena_strdup(T, sb.data);
        sb_free(&sb);
    }
    arena_destroy(a);
    return res;
}

/* Parses src; returns its statements (in T) or NULL on error. */
static PtrVec *parse_ok(const char *src)
{
    PtrVec *v = arena_alloc(T, sizeof *v);
    EddyError err;
    if (parse_script(src, T, v, &err) != 0) {
        fprintf(stderr, "unexpected error %s in: %s\n", err_text(&err), src);
        return NULL;
    }
    return v;
}

/* ---- expressions ----------------------------------------------------------- */

static void test_precedence(void)
{
    CHECK_STR(expr("a + b * c"), "(A + (B * C))");
    CHECK_STR(expr("(a + b) * c"), "((A + B) * C)");
    CHECK_STR(expr("a - b - c"), "((A - B) - C)");
    CHECK_STR(expr("a / b % c * d"), "(((A / B) % C) * D)");
    CHECK_STR(expr("a || b + c"), "(A || (B + C))");
    CHECK_STR(expr("a || b || c"), "((A || B) || C)");
    CHECK_STR(expr("a OR b AND c"), "(A OR (B AND C))");
    CHECK_STR(expr("a AND b OR c"), "((A AND B) OR C)");
    CHECK_STR(expr("NOT a = b"), "(NOT (A = B))");
    CHECK_STR(expr("NOT a AND b"), "((NOT A) AND B)");
    CHECK_STR(expr("NOT NOT a"), "(NOT (NOT A))");
    CHECK_STR(expr("a = b + 1 AND c <> d"), "((A = (B + 1)) AND (C <> D))");
    CHECK_STR(expr("a != b"), "(A <> B)");
    CHECK_STR(expr("a < b OR a <= b OR a > b OR a >= b"),
              "((((A < B) OR (A <= B)) OR (A > B)) OR (A >= B))");
    CHECK_STR(expr("-a * b"), "((-A) * B)");
    CHECK_STR(expr("- a->b"), "(-A->B)");
    CHECK_STR(expr("+a"), "(+A)");
    CHECK_STR(expr("-(a + b)"), "(-(A + B))");
    CHECK_STR(expr("a - -b"), "(A - (-B))");
    CHECK_STR(expr("a + b BETWEEN 1 AND 2 + 3"), "((A + B) BETWEEN 1 AND (2 + 3))");
    CHECK_STR(expr("a BETWEEN 1 AND 2 AND b"), "((A BETWEEN 1 AND 2) AND B)");
    CHECK_STR(expr("a || 'x' LIKE 'y%'"), "((A || 'x') LIKE 'y%')");
    CHECK_STR(expr("a IS NULL OR b IS NOT NULL"), "((A IS NULL) OR (B IS NOT NULL))");
    /* comparison is not associative */
    CHECK_STR(error_of("SELECT a = b = c FROM s;"), "1:14: syntax error at '='");
}

static void test_literals(void)
{
    CHECK_STR(expr("42"), "42");
    CHECK_STR(expr("-5"), "-5");
    CHECK_STR(expr("- 5"), "-5");
    CHECK_STR(expr("-9223372036854775808"), "-9223372036854775808");
    CHECK_STR(expr("9223372036854775807"), "9223372036854775807");
    CHECK_STR(expr("9223372036854775808"), "9223372036854775808");   /* exact, as DECIMAL */
    CHECK_STR(expr("1.5"), "1.5");
    CHECK_STR(expr(".5"), ".5");
    CHECK_STR(expr("-2.50"), "-2.50");
    CHECK_STR(expr("1.5E3"), "1500E0");
    CHECK_STR(expr("1e-2"), "0.01E0");
    CHECK_STR(expr("-2E0"), "-2E0");
    CHECK_STR(expr("'it''s'"), "'it''s'");
    CHECK_STR(expr("''"), "''");
    CHECK_STR(expr("TRUE"), "TRUE");
    CHECK_STR(expr("false"), "FALSE");
    CHECK_STR(expr("null"), "NULL");
    CHECK_STR(error_of("SELECT 1E999 FROM s;"), "1:8: number out of range: 1E999");
    /* the sign joins the literal (ksqlDB: number: MINUS? ...), as often as it is written */
    CHECK_STR(expr("-94.5786"), "-94.5786");
    CHECK_STR(expr("- -2.5"), "2.5");
    CHECK_STR(expr("- - -2.5"), "-2.5");
    CHECK_STR(expr("-(2.5)"), "-2.5");
    CHECK_STR(expr("-.5"), "-.5");
    CHECK_STR(expr("-0.0"), "-0.0");
    CHECK_STR(expr("-0"), "0");
    CHECK_STR(expr("-0.0E0"), "-0E0");
    CHECK_STR(expr("3 - -2.5"), "(3 - -2.5)");
    CHECK_STR(expr("-a - -1.5"), "((-A) - -1.5)");
    CHECK_STR(expr("- -9223372036854775808"), "(- -9223372036854775808)");
    CHECK_STR(expr("-9223372036854775809"), "-9223372036854775809");   /* the analyzer rejects it */

    Arena *a = arena_create(0);
    PtrVec v = {0};
    EddyError err;
    CHECK_EQ_INT(parse_script("SELECT 1, 1.5, 2E1, 'x', -7, 99999999999999999999 FROM s;", a, &v, &err), 0);
    const AstSelect *s = ((AstStmt *)v.items[0])->u.select;
    const AstExpr *e[6];
    for (int i = 0; i < 6; i++)
        e[i] = ((AstSelectItem *)s->items.items[i])->expr;
    CHECK_EQ_INT(e[0]->kind, EXPR_INT);
    CHECK_EQ_INT(e[0]->u.i, 1);
    CHECK_EQ_INT(e[1]->kind, EXPR_DECIMAL);
    CHECK_STR(e[1]->u.text, "1.5");
    CHECK_EQ_INT(e[2]->kind, EXPR_DOUBLE);
    CHECK(e[2]->u.d == 20.0);
    CHECK_EQ_INT(e[3]->kind, EXPR_STRING);
    CHECK_EQ_INT(e[4]->kind, EXPR_INT);
    CHECK_EQ_INT(e[4]->u.i, -7);
    CHECK_EQ_INT(e[4]->pos.col, 26);
    CHECK_EQ_INT(e[5]->kind, EXPR_DECIMAL);
    CHECK_STR(ast_expr_kind_name(e[5]->kind), "EXPR_DECIMAL");
    arena_destroy(a);
}

static void test_expressions(void)
{
    CHECK_STR(expr("a NOT LIKE 'x%' ESCAPE '!'"), "(A NOT LIKE 'x%' ESCAPE '!')");
    CHECK_STR(expr("a LIKE b"), "(A LIKE B)");
    CHECK_STR(expr("a NOT BETWEEN b AND c"), "(A NOT BETWEEN B AND C)");
    CHECK_STR(expr("a IN (1, 2, 3)"), "(A IN (1, 2, 3))");
    CHECK_STR(expr("a NOT IN ('x')"), "(A NOT IN ('x'))");
    CHECK_STR(expr("a IS DISTINCT FROM b"), "(A IS DISTINCT FROM B)");
    CHECK_STR(expr("a IS NOT DISTINCT FROM b + 1"), "(A IS NOT DISTINCT FROM (B + 1))");
    CHECK_STR(expr("CASE WHEN a > 1 THEN 'big' WHEN a > 0 THEN 'small' ELSE 'neg' END"),
              "(CASE WHEN (A > 1) THEN 'big' WHEN (A > 0) THEN 'small' ELSE 'neg' END)");
    CHECK_STR(expr("CASE a WHEN 1 THEN 'one' END"), "(CASE A WHEN 1 THEN 'one' END)");
    CHECK_STR(expr("CAST(a AS DECIMAL(10, 2))"), "CAST(A AS DECIMAL(10, 2))");
    CHECK_STR(expr("CAST(a AS VARCHAR)"), "CAST(A AS STRING)");
    CHECK_STR(expr("CAST(b AS ARRAY<MAP<STRING, INT>>)"), "CAST(B AS ARRAY<MAP<STRING, INTEGER>>)");
    CHECK_STR(expr("CAST(b AS ARRAY<ARRAY<ARRAY<BIGINT>>>)"),
              "CAST(B AS ARRAY<ARRAY<ARRAY<BIGINT>>>)");
    CHECK_STR(expr("CAST(b AS STRUCT<a INT, `b` ARRAY<STRING>>)"),
              "CAST(B AS STRUCT<`A` INTEGER, `b` ARRAY<STRING>>)");
    CHECK_STR(expr("s->f->g"), "S->F->G");
    CHECK_STR(expr("arr[1]"), "ARR[1]");
    CHECK_STR(expr("m['k'][2]"), "M['k'][2]");
    CHECK_STR(expr("SPLIT(x, ',')[2]->y"), "SPLIT(X, ',')[2]->Y");
    CHECK_STR(expr("(a)[1]"), "A[1]");
    CHECK_STR(expr("t.col->f"), "T.COL->F");
    CHECK_STR(expr("COUNT(*)"), "COUNT(*)");
    CHECK_STR(expr("count(DISTINCT x)"), "COUNT(DISTINCT X)");
    CHECK_STR(expr("NOW()"), "NOW()");
    CHECK_STR(expr("SUBSTRING(s, 1, 2)"), "SUBSTRING(S, 1, 2)");
    CHECK_STR(expr("ARRAY[1, 2]"), "ARRAY[1, 2]");
    CHECK_STR(expr("ARRAY[]"), "ARRAY[]");
    CHECK_STR(expr("MAP('a' := 1, 'b' := 2)"), "MAP('a':=1, 'b':=2)");
    CHECK_STR(expr("MAP()"), "MAP()");
    CHECK_STR(expr("STRUCT(name := 'x', `Age` := 3)"), "STRUCT(NAME:='x', `Age`:=3)");
    CHECK_STR(expr("STRUCT()"), "STRUCT()");
    CHECK_STR(expr("TRANSFORM(arr, x => x * 2)"), "TRANSFORM(ARR, (X) => (X * 2))");
    CHECK_STR(expr("REDUCE(arr, 0, (s, x) => s + x)"), "REDUCE(ARR, 0, (S, X) => (S + X))");
    CHECK_STR(expr("FILTER(m, (k, v) => v > 1)"), "FILTER(M, (K, V) => (V > 1))");
    CHECK_STR(expr("TRANSFORM(a, ( x ) => x)"), "TRANSFORM(A, (X) => X)");
    CHECK_STR(expr("TRANSFORM(m, (`k`, v) => CONCAT(`k`, v))"),
              "TRANSFORM(M, (`k`, V) => CONCAT(`k`, V))");
    CHECK_STR(expr("TIMESTAMPADD(SECONDS, 5, ts)"), "TIMESTAMPADD(SECONDS, 5, TS)");
    CHECK_STR(expr("REPLACE(s, 'a', 'b')"), "REPLACE(S, 'a', 'b')");
    /* a lambda is an argument, not an expression of its own */
    CHECK_STR(error_of("SELECT x => 1 FROM s;"), "1:10: syntax error at '=>'");
}

/* Positions: first token, except operators, which carry their own. */
static void test_expr_positions(void)
{
    PtrVec *v = parse_ok("SELECT a +\n  b * f(c), t.x, -y FROM s WHERE z IS NULL;");
    if (!v)
        return;
    const AstSelect *s = ((AstStmt *)v->items[0])->u.select;
    const AstExpr *add = ((AstSelectItem *)s->items.items[0])->expr;
    CHECK_EQ_INT(add->pos.line, 1);
    CHECK_EQ_INT(add->pos.col, 10);
    CHECK_EQ_INT(add->u.binary.a->pos.col, 8);
    const AstExpr *mul = add->u.binary.b;
    CHECK_EQ_INT(mul->pos.line, 2);
    CHECK_EQ_INT(mul->pos.col, 5);
    CHECK_EQ_INT(mul->u.binary.b->pos.col, 7);               /* f( */
    CHECK_EQ_INT(mul->u.binary.b->u.func.args.n, 1);
    CHECK_EQ_INT(((AstExpr *)mul->u.binary.b->u.func.args.items[0])->pos.col, 9);
    const AstExpr *col = ((AstSelectItem *)s->items.items[1])->expr;
    CHECK_EQ_INT(col->pos.col, 13);
    CHECK_STR(col->u.col.qualifier, "T");
    CHECK_STR(col->u.col.name, "X");
    const AstExpr *neg = ((AstSelectItem *)s->items.items[2])->expr;
    CHECK_EQ_INT(neg->pos.col, 18);
    CHECK_EQ_INT(s->where->pos.line, 2);
    CHECK_EQ_INT(s->where->pos.col, 36);
    CHECK_EQ_INT(s->where->u.is_null.a->pos.col, 34);
}

/* ---- identifiers --------------------------------------------------------- */

static void test_identifiers(void)
{
    CHECK_STR(expr("fooBar"), "FOOBAR");
    CHECK_STR(expr("`fooBar`"), "`fooBar`");
    CHECK_STR(expr("\"fooBar\""), "`fooBar`");
    CHECK_STR(expr("`a``b`"), "`a``b`");
    CHECK_STR(expr("\"a\"\"b\""), "`a\"b`");
    CHECK_STR(expr("`FOO`"), "`FOO`");
    CHECK_STR(expr("_x@1"), "_X@1");
    CHECK_STR(expr("t.`Mixed`"), "T.`Mixed`");
    CHECK_STR(expr("`select`"), "`select`");
    CHECK_STR(expr("`FROM`"), "`FROM`");
    /* real schemas name columns after keywords */
    CHECK_STR(dump("SELECT key, timestamp, date, time, type, size, window, emit, partition, value, "
                   "topic, source, session, interval, offset, end_x FROM s;"),
              "(SELECT (ITEMS KEY TIMESTAMP DATE TIME TYPE SIZE WINDOW EMIT PARTITION VALUE "
              "TOPIC SOURCE SESSION INTERVAL OFFSET END_X) (FROM S))");
    CHECK_STR(dump("CREATE STREAM s (key STRING KEY, timestamp BIGINT, date DATE, type STRING, "
                   "size INT, window STRING) WITH (kafka_topic='t', value_format='JSON');"),
              "(CREATE STREAM S (COLUMNS (KEY STRING KEY) (TIMESTAMP BIGINT) (DATE DATE) (TYPE STRING) "
              "(SIZE INTEGER) (WINDOW STRING)) (WITH (KAFKA_TOPIC 't') (VALUE_FORMAT 'JSON')))");
    CHECK_STR(dump("select Key from Users u where u.Timestamp > 0;"),
              "(SELECT (ITEMS KEY) (FROM USERS AS U) (WHERE (U.TIMESTAMP > 0)))");

    PtrVec *v = parse_ok("SELECT `low` FROM `MyStream` `m`;");
    if (v) {
        const AstSelect *s = ((AstStmt *)v->items[0])->u.select;
        const AstExpr *e = ((AstSelectItem *)s->items.items[0])->expr;
        CHECK_STR(e->u.col.name, "low");
        CHECK(e->u.col.quoted);
        CHECK_STR(s->from.name.name, "MyStream");
        CHECK(s->from.name.quoted);
        CHECK_STR(s->from.alias.name, "m");
    }
    v = parse_ok("SELECT x FROM s;");
    if (v) {
        const AstSelect *s = ((AstStmt *)v->items[0])->u.select;
        CHECK(!s->from.name.quoted);
        CHECK(s->from.alias.name == NULL);
    }
}

/* Every keyword is reserved, unreserved or "noalias" as keywords.h says,
 * and the lexer finds each one in any case. */
static void test_keyword_classes(void)
{
    static const struct { const char *name; int cls; } kws[] = {
#define X(name, cls) {#name, cls},
        EDDY_KEYWORD_LIST(X)
#undef X
    };
    int n = (int)(sizeof kws / sizeof kws[0]);
    for (int i = 1; i < n; i++)
        CHECK(strcmp(kws[i - 1].name, kws[i].name) < 0);     /* the lexer's bsearch */
    for (int i = 0; i < n; i++) {
        const char *k = kws[i].name;
        char lower[32];
        size_t j;
        for (j = 0; k[j] && j < sizeof lower - 1; j++)
            lower[j] = (char)(k[j] >= 'A' && k[j] <= 'Z' ? k[j] - 'A' + 'a' : k[j]);
        lower[j] = '\0';
        bool as_column = parses(arena_sprintf(T, "SELECT t.%s FROM t;", k));
        bool as_alias = parses(arena_sprintf(T, "SELECT a %s FROM t;", lower));
        bool as_as_alias = parses(arena_sprintf(T, "SELECT a AS %s FROM t;", k));
        bool as_source = parses(arena_sprintf(T, "CREATE STREAM %s (%s INT) WITH (kafka_topic='x');", k, k));
        bool as_rel_alias = parses(arena_sprintf(T, "SELECT * FROM t %s;", k));
        switch (kws[i].cls) {
        case KW_RESERVED:
            if (as_column || as_alias || as_as_alias || as_source)
                fprintf(stderr, "reserved keyword %s parses as a name\n", k);
            CHECK(!as_column && !as_alias && !as_as_alias && !as_source);
            break;
        case KW_UNRESERVED:
            if (!(as_column && as_alias && as_as_alias && as_source && as_rel_alias))
                fprintf(stderr, "unreserved keyword %s: column %d alias %d as %d source %d rel %d\n",
                        k, as_column, as_alias, as_as_alias, as_source, as_rel_alias);
            CHECK(as_column && as_alias && as_as_alias && as_source && as_rel_alias);
            /* the constructor words print quoted (ast_print.c) */
            CHECK_STR(expr(lower), strcmp(k, "ARRAY") && strcmp(k, "MAP") && strcmp(k, "STRUCT")
                                       ? k : arena_sprintf(T, "`%s`", k));
            break;
        case KW_NOALIAS:
            if (!(as_column && !as_alias && as_as_alias && as_source))
                fprintf(stderr, "noalias keyword %s: column %d alias %d as %d source %d\n",
                        k, as_column, as_alias, as_as_alias, as_source);
            CHECK(as_column && !as_alias && as_as_alias && as_source);
            break;
        default:
            CHECK(0);
        }
    }
    /* ARRAY, MAP, STRUCT: names (ksqlDB's nonReserved words) except where
     * '[' or '(' follows in an expression, which makes them constructors */
    CHECK_STR(dump("CREATE STREAM map (map MAP<STRING, INT>, array ARRAY<INT>, struct STRUCT<map INT>) "
                   "WITH (kafka_topic='x');"),
              "(CREATE STREAM `MAP` (COLUMNS (`MAP` MAP<STRING, INTEGER>) (`ARRAY` ARRAY<INTEGER>) "
              "(`STRUCT` STRUCT<`MAP` INTEGER>)) (WITH (KAFKA_TOPIC 'x')))");
    CHECK_STR(expr("map"), "`MAP`");
    CHECK_STR(expr("map['k'] + array[1] + struct->map"), "((`MAP`['k'] + ARRAY[1]) + `STRUCT`->`MAP`)");
    CHECK_STR(expr("`ARRAY`[1]"), "`ARRAY`[1]");
    CHECK_STR(expr("REDUCE(map, 0, (s, k, v) => s + v)"), "REDUCE(`MAP`, 0, (S, K, V) => (S + V))");
    CHECK_STR(expr("t.map"), "T.`MAP`");
    CHECK_STR(expr("MAP('a' := array)"), "MAP('a':=`ARRAY`)");
    CHECK_STR(expr("STRUCT(map := struct)"), "STRUCT(`MAP`:=`STRUCT`)");
    CHECK_STR(dump("SELECT a AS map, b array, c struct FROM map m;"),
              "(SELECT (ITEMS (AS A `MAP`) (AS B `ARRAY`) (AS C `STRUCT`)) (FROM `MAP` AS M))");
    CHECK(parses("SELECT ARRAY(1) FROM s;"));   /* a call of a function named ARRAY: unknown when bound */
    /* DESCRIBE's own words need quotes there */
    CHECK_STR(dump("DESCRIBE `EXTENDED`;"), "(DESCRIBE `EXTENDED`)");
    CHECK_STR(dump("DESCRIBE FUNCTION;"), "(DESCRIBE FUNCTION)");
    CHECK_STR(dump("DESCRIBE key EXTENDED;"), "(DESCRIBE EXTENDED KEY)");
    CHECK_STR(dump("DESCRIBE window; DESCRIBE EXTENDED emit; DESCRIBE FUNCTION partition;"),
              "(DESCRIBE WINDOW)\n(DESCRIBE EXTENDED EMIT)\n(DESCRIBE FUNCTION PARTITION)");
    CHECK_STR(error_of("DESCRIBE extended;"), "1:18: syntax error at ';', expected identifier");

    const char *const *words = parse_keywords();
    int count = 0;
    bool has_select = false, has_bigint = false, dup = false;
    for (; words[count]; count++) {
        has_select |= strcmp(words[count], "SELECT") == 0;
        has_bigint |= strcmp(words[count], "BIGINT") == 0;
        for (int j = 0; j < count; j++)
            dup |= strcmp(words[j], words[count]) == 0;
    }
    CHECK(has_select && has_bigint && !dup);
    CHECK(count > n);
    CHECK(parse_keywords() == words);
}

/* ---- statements from ksqlDB's docs, and every kind ----------------------- */

static void test_create(void)
{
    CHECK_STR(dump("CREATE STREAM pageviews (page_id BIGINT, viewtime BIGINT, user_id VARCHAR)\n"
                   "  WITH (KAFKA_TOPIC = 'keyless-pageviews-topic', VALUE_FORMAT = 'JSON');"),
              "(CREATE STREAM PAGEVIEWS (COLUMNS (PAGE_ID BIGINT) (VIEWTIME BIGINT) (USER_ID STRING)) "
              "(WITH (KAFKA_TOPIC 'keyless-pageviews-topic') (VALUE_FORMAT 'JSON')))");
    CHECK_STR(dump("CREATE TABLE users (id BIGINT PRIMARY KEY, usertimestamp BIGINT, gender VARCHAR, "
                   "region_id VARCHAR) WITH (KAFKA_TOPIC = 'my-users-topic', VALUE_FORMAT = 'JSON');"),
              "(CREATE TABLE USERS (COLUMNS (ID BIGINT PRIMARY KEY) (USERTIMESTAMP BIGINT) (GENDER STRING) "
              "(REGION_ID STRING)) (WITH (KAFKA_TOPIC 'my-users-topic') (VALUE_FORMAT 'JSON')))");
    CHECK_STR(dump("CREATE STREAM `s1` (`foo` VARCHAR KEY, `BAR` INT, `Baz` VARCHAR, "
                   "`grault` STRUCT<`Corge` VARCHAR, `garply` INT>, qux INT) "
                   "WITH (kafka_topic = 's1', partitions = 1, value_format = 'avro');"),
              "(CREATE STREAM `s1` (COLUMNS (`foo` STRING KEY) (`BAR` INTEGER) (`Baz` STRING) "
              "(`grault` STRUCT<`Corge` STRING, `garply` INTEGER>) (QUX INTEGER)) "
              "(WITH (KAFKA_TOPIC 's1') (PARTITIONS 1) (VALUE_FORMAT 'avro')))");
    CHECK_STR(dump("CREATE OR REPLACE TABLE IF NOT EXISTS t (id INT PRIMARY KEY, "
                   "m MAP<STRING, ARRAY<ARRAY<INT>>>, d DECIMAL(4,2), e STRUCT<>, f STRUCT< >, "
                   "b BOOLEAN, y BYTES, ts TIMESTAMP, dt DATE, tm TIME, dbl DOUBLE, i INTEGER, s STRING) "
                   "WITH (kafka_topic='t', format='json', partitions=2, replicas=-1, wrap_single_value=false);"),
              "(CREATE OR REPLACE TABLE IF NOT EXISTS T (COLUMNS (ID INTEGER PRIMARY KEY) "
              "(M MAP<STRING, ARRAY<ARRAY<INTEGER>>>) (D DECIMAL(4, 2)) (E STRUCT< >) (F STRUCT< >) "
              "(B BOOLEAN) (Y BYTES) (TS TIMESTAMP) (DT DATE) (TM TIME) (DBL DOUBLE) (I INTEGER) (S STRING)) "
              "(WITH (KAFKA_TOPIC 't') (FORMAT 'json') (PARTITIONS 2) (REPLICAS -1) (WRAP_SINGLE_VALUE FALSE)))");
    CHECK_STR(dump("CREATE STREAM s (h BYTES HEADER('trace-id'), hs ARRAY<STRUCT<key STRING, value BYTES>> HEADERS) "
                   "WITH (kafka_topic='x');"),
              "(CREATE STREAM S (COLUMNS (H BYTES HEADER 'trace-id') "
              "(HS ARRAY<STRUCT<`KEY` STRING, `VALUE` BYTES>> HEADERS)) (WITH (KAFKA_TOPIC 'x')))");
    CHECK_STR(dump("CREATE SOURCE TABLE t2 (k STRING PRIMARY KEY) WITH ('kafka_topic'='x', value_format='JSON');"),
              "(CREATE SOURCE TABLE T2 (COLUMNS (K STRING PRIMARY KEY)) "
              "(WITH (KAFKA_TOPIC 'x') (VALUE_FORMAT 'JSON')))");
    CHECK_STR(dump("CREATE SOURCE STREAM IF NOT EXISTS s (a INT);"),
              "(CREATE SOURCE STREAM IF NOT EXISTS S (COLUMNS (A INTEGER)))");
    CHECK_STR(dump("CREATE STREAM s3 WITH (kafka_topic='x', value_format='AVRO');"),
              "(CREATE STREAM S3 (WITH (KAFKA_TOPIC 'x') (VALUE_FORMAT 'AVRO')))");
    CHECK_STR(dump("CREATE STREAM if (a INT);"), "(CREATE STREAM IF (COLUMNS (A INTEGER)))");
    CHECK_STR(dump("CREATE STREAM s (a INT) WITH (x = 1.5, y = 2E1, z = TRUE, w = NULL, v = -0.5);"),
              "(CREATE STREAM S (COLUMNS (A INTEGER)) (WITH (X 1.5) (Y 20E0) (Z TRUE) (W NULL) "
              "(V -0.5)))");

    CHECK_STR(dump("CREATE STREAM pageviews_enriched AS\n"
                   "  SELECT pv.viewtime, pv.userid AS userid, pv.pageid, u.gender\n"
                   "  FROM pageviews pv\n"
                   "  LEFT JOIN users_table u ON pv.userid = u.userid\n"
                   "  EMIT CHANGES;"),
              "(CREATE STREAM PAGEVIEWS_ENRICHED (AS (SELECT (ITEMS PV.VIEWTIME (AS PV.USERID "
              "USERID) PV.PAGEID U.GENDER) (FROM PAGEVIEWS AS PV) (LEFT JOIN USERS_TABLE AS U "
              "(ON (PV.USERID = U.USERID))) (EMIT CHANGES))))");
    CHECK_STR(dump("CREATE OR REPLACE TABLE IF NOT EXISTS pageviews_per_region WITH (kafka_topic='ppr', "
                   "value_format='JSON') AS SELECT regionid, COUNT(*) AS numusers FROM pageviews "
                   "WINDOW TUMBLING (SIZE 1 HOUR, RETENTION 7 DAYS, GRACE PERIOD 10 MINUTES) "
                   "GROUP BY regionid HAVING COUNT(*) > 1 EMIT FINAL;"),
              "(CREATE OR REPLACE TABLE IF NOT EXISTS PAGEVIEWS_PER_REGION (WITH (KAFKA_TOPIC "
              "'ppr') (VALUE_FORMAT 'JSON')) (AS (SELECT (ITEMS REGIONID (AS COUNT(*) "
              "NUMUSERS)) (FROM PAGEVIEWS) (WINDOW TUMBLING (SIZE 3600000) (RETENTION "
              "604800000) (GRACE 600000)) (GROUP BY REGIONID) (HAVING (COUNT(*) > 1)) (EMIT "
              "FINAL))))");

    CHECK_STR(dump("CREATE TYPE ADDRESS AS STRUCT<number INTEGER, street VARCHAR, city VARCHAR>;"),
              "(CREATE TYPE ADDRESS STRUCT<`NUMBER` INTEGER, `STREET` STRING, `CITY` STRING>)");
    CHECK_STR(dump("CREATE TYPE IF NOT EXISTS money AS DECIMAL(10, 2);"),
              "(CREATE TYPE IF NOT EXISTS MONEY DECIMAL(10, 2))");
    CHECK_STR(dump("CREATE MODEL risk FROM 'models/risk.json';"), "(CREATE MODEL RISK 'models/risk.json')");
    CHECK_STR(dump("create or replace model risk from 'models/risk_v2.json'"),
              "(CREATE OR REPLACE MODEL RISK 'models/risk_v2.json')");
    CHECK_STR(dump("CREATE MODEL risk FROM 'r.json' WITH (format='LINEAR');"),
              "(CREATE MODEL RISK 'r.json' (WITH (FORMAT 'LINEAR')))");
    CHECK_STR(dump("DESCRIBE MODEL risk; DESCRIBE MODEL; DESCRIBE model extended; DESCRIBE MODEL `m`;"),
              "(DESCRIBE MODEL RISK)\n(DESCRIBE MODEL)\n(DESCRIBE EXTENDED MODEL)\n(DESCRIBE MODEL `m`)");

    PtrVec *v = parse_ok("CREATE STREAM s (a INT KEY) WITH (kafka_topic='k');");
    if (v) {
        const AstStmt *s = v->items[0];
        CHECK_EQ_INT(s->kind, STMT_CREATE_SOURCE);
        CHECK(!s->u.create.is_table && !s->u.create.is_source && !s->u.create.or_replace);
        const AstColumnDef *c = s->u.create.columns.items[0];
        CHECK_EQ_INT(c->role, COLROLE_KEY);
        CHECK_EQ_INT(c->type->kind, TYPE_INT);
        /* (this also makes the linker pull engine/types.c in before the
         * parser library that uses it) */
        CHECK(type_equal(c->type, type_prim(TYPE_INT)));
        CHECK_EQ_INT(c->name.pos.col, 18);
        const AstProperty *p = s->u.create.props.items[0];
        CHECK_STR(p->name, "KAFKA_TOPIC");
        CHECK_EQ_INT(p->pos.col, 35);
        CHECK_STR(p->value->u.text, "k");
    }
}

static void test_select(void)
{
    CHECK_STR(dump("SELECT * FROM riderLocations WHERE GEO_DISTANCE(latitude, longitude, 37.4133, -122.1162) <= 5 "
                   "EMIT CHANGES;"),
              "(SELECT (ITEMS *) (FROM RIDERLOCATIONS) (WHERE (GEO_DISTANCE(LATITUDE, "
              "LONGITUDE, 37.4133, -122.1162) <= 5)) (EMIT CHANGES))");
    CHECK_STR(dump("SELECT regionid, COUNT(*) FROM pageviews WINDOW TUMBLING (SIZE 20 SECONDS) "
                   "GROUP BY regionid EMIT CHANGES;"),
              "(SELECT (ITEMS REGIONID COUNT(*)) (FROM PAGEVIEWS) (WINDOW TUMBLING (SIZE "
              "20000)) (GROUP BY REGIONID) (EMIT CHANGES))");
    CHECK_STR(dump("SELECT windowstart, windowend, item_id, SUM(quantity) FROM orders "
                   "WINDOW HOPPING (SIZE 20 SECONDS, ADVANCE BY 5 SECONDS) GROUP BY item_id EMIT CHANGES;"),
              "(SELECT (ITEMS WINDOWSTART WINDOWEND ITEM_ID SUM(QUANTITY)) (FROM ORDERS) "
              "(WINDOW HOPPING (SIZE 20000) (ADVANCE 5000)) (GROUP BY ITEM_ID) (EMIT CHANGES))");
    CHECK_STR(dump("SELECT x FROM s WINDOW SESSION (60 SECONDS, RETENTION 2 DAYS, GRACE PERIOD 1 MILLISECOND) "
                   "GROUP BY (x, y) PARTITION BY z EMIT CHANGES;"),
              "(SELECT (ITEMS X) (FROM S) (WINDOW SESSION (GAP 60000) (RETENTION 172800000) (GRACE 1)) "
              "(GROUP BY X Y) (PARTITION BY Z) (EMIT CHANGES))");
    CHECK_STR(dump("SELECT x FROM s WINDOW TUMBLING (SIZE 500 MILLISECONDS, GRACE PERIOD 0 SECONDS) GROUP BY x;"),
              "(SELECT (ITEMS X) (FROM S) (WINDOW TUMBLING (SIZE 500) (GRACE 0)) (GROUP BY X))");
    CHECK_STR(dump("SELECT x FROM s WINDOW TUMBLING (SIZE 1 DAY) GROUP BY (x) + 1;"),
              "(SELECT (ITEMS X) (FROM S) (WINDOW TUMBLING (SIZE 86400000)) (GROUP BY (X + 1)))");
    CHECK_STR(dump("SELECT x FROM s WINDOW TUMBLING (SIZE 2 MINUTE, RETENTION 3 HOURS) GROUP BY ();"),
              "(SELECT (ITEMS X) (FROM S) (WINDOW TUMBLING (SIZE 120000) (RETENTION 10800000)))");
    CHECK_STR(dump("SELECT * FROM impressions i INNER JOIN clicks c WITHIN 1 MINUTE GRACE PERIOD 2 MINUTES "
                   "ON i.id = c.id EMIT CHANGES;"),
              "(SELECT (ITEMS *) (FROM IMPRESSIONS AS I) (INNER JOIN CLICKS AS C (WITHIN 60000 "
              "60000) (GRACE 120000) (ON (I.ID = C.ID))) (EMIT CHANGES))");
    CHECK_STR(dump("SELECT a.*, b.x FROM a JOIN b ON a.id = b.id RIGHT OUTER JOIN c ON a.id = c.id "
                   "FULL OUTER JOIN d WITHIN (10 SECONDS, 2 MINUTES) ON a.id = d.id "
                   "LEFT OUTER JOIN e AS ee ON a.id = ee.id FULL JOIN f ON TRUE RIGHT JOIN g ON TRUE;"),
              "(SELECT (ITEMS A.* B.X) (FROM A) (INNER JOIN B (ON (A.ID = B.ID))) (RIGHT JOIN "
              "C (ON (A.ID = C.ID))) (FULL JOIN D (WITHIN 10000 120000) (ON (A.ID = D.ID))) "
              "(LEFT JOIN E AS EE (ON (A.ID = EE.ID))) (FULL JOIN F (ON TRUE)) (RIGHT JOIN G "
              "(ON TRUE)))");
    CHECK_STR(dump("SELECT address->street, address->city FROM users EMIT CHANGES LIMIT 3;"),
              "(SELECT (ITEMS ADDRESS->STREET ADDRESS->CITY) (FROM USERS) (EMIT CHANGES) "
              "(LIMIT 3))");
    CHECK_STR(dump("SELECT id, CASE WHEN amount > 100 THEN 'large' ELSE 'small' END AS size FROM t "
                   "WHERE ts BETWEEN 1 AND 2 PARTITION BY id;"),
              "(SELECT (ITEMS ID (AS (CASE WHEN (AMOUNT > 100) THEN 'large' ELSE 'small' END) "
              "SIZE)) (FROM T) (WHERE (TS BETWEEN 1 AND 2)) (PARTITION BY ID))");
    CHECK_STR(dump("SELECT TIMESTAMPTOSTRING(WINDOWSTART, 'yyyy-MM-dd HH:mm:ss Z') AS ws, "
                   "TRANSFORM(numbers, x => x + 5) nums FROM stream1 WHERE profileId = 'c2309eec';"),
              "(SELECT (ITEMS (AS TIMESTAMPTOSTRING(WINDOWSTART, 'yyyy-MM-dd HH:mm:ss Z') WS) "
              "(AS TRANSFORM(NUMBERS, (X) => (X + 5)) NUMS)) (FROM STREAM1) (WHERE (PROFILEID "
              "= 'c2309eec')))");
    /* pull query */
    CHECK_STR(dump("SELECT * FROM pageviews_per_region WHERE regionid = 'Region_1';"),
              "(SELECT (ITEMS *) (FROM PAGEVIEWS_PER_REGION) (WHERE (REGIONID = 'Region_1')))");

    /* joins come before WINDOW */
    CHECK_STR(error_of("SELECT a FROM s\n  WINDOW TUMBLING (SIZE 5 SECONDS)\n  LEFT JOIN x ON 1 = 1;"),
              "3:3: syntax error at 'LEFT'");
    PtrVec *v = parse_ok("SELECT a FROM s s1 JOIN t ON s1.a = t.a;");
    if (v) {
        const AstSelect *s = ((AstStmt *)v->items[0])->u.select;
        CHECK_EQ_INT(s->window.kind, WINDOW_NONE);
        CHECK_EQ_INT(s->window.retention_ms, -1);
        CHECK_EQ_INT(s->window.grace_ms, -1);
        CHECK_EQ_INT(s->limit, -1);
        CHECK_EQ_INT(s->emit, EMIT_NONE);
        const AstJoin *j = s->joins.items[0];
        CHECK_EQ_INT(j->kind, JOIN_INNER);
        CHECK(!j->has_within);
        CHECK_EQ_INT(j->grace_ms, -1);
        CHECK_EQ_INT(j->pos.col, 20);
    }
}

static void test_other_statements(void)
{
    CHECK_STR(dump("INSERT INTO foo SELECT * FROM bar;"), "(INSERT INTO FOO (SELECT (ITEMS *) (FROM BAR)))");
    CHECK_STR(dump("INSERT INTO foo WITH (QUERY_ID='q1') SELECT * FROM bar EMIT CHANGES;"),
              "(INSERT INTO FOO (WITH (QUERY_ID 'q1')) (SELECT (ITEMS *) (FROM BAR) (EMIT CHANGES)))");
    CHECK_STR(dump("INSERT INTO foo (ROWTIME, KEY_COL, COL_A) VALUES (1510923225000, 'key', 'A');"),
              "(INSERT INTO FOO (COLUMNS ROWTIME KEY_COL COL_A) (VALUES 1510923225000 'key' 'A'))");
    CHECK_STR(dump("INSERT INTO foo VALUES ('it''s', -2.5, ARRAY[1], STRUCT(a := 1), NULL);"),
              "(INSERT INTO FOO (VALUES 'it''s' -2.5 ARRAY[1] STRUCT(A:=1) NULL))");
    CHECK_STR(dump("INSERT INTO foo VALUES ();"), "(INSERT INTO FOO (VALUES))");
    CHECK_STR(dump("DROP STREAM IF EXISTS foo DELETE TOPIC;"), "(DROP STREAM IF EXISTS FOO DELETE TOPIC)");
    CHECK_STR(dump("DROP TABLE bar;"), "(DROP TABLE BAR)");
    CHECK_STR(dump("DROP STREAM if;"), "(DROP STREAM IF)");
    CHECK_STR(dump("DROP TYPE IF EXISTS addr;"), "(DROP TYPE IF EXISTS ADDR)");
    /* a name CREATE TYPE gave earlier in the script stands for its type;
     * after DROP TYPE it is unknown again */
    CHECK_STR(dump("CREATE TYPE pt AS STRUCT<x INT>; CREATE STREAM s (c PT, d ARRAY<pt>) WITH (kafka_topic='t');"),
              "(CREATE TYPE PT STRUCT<`X` INTEGER>)\n(CREATE STREAM S (COLUMNS (C STRUCT<`X` INTEGER>) "
              "(D ARRAY<STRUCT<`X` INTEGER>>)) (WITH (KAFKA_TOPIC 't')))");
    CHECK_STR(error_of("CREATE TYPE pt AS INT; DROP TYPE pt; CREATE STREAM s (c PT) WITH (kafka_topic='t');"),
              "1:57: unknown type 'PT'");
    CHECK_STR(dump("DROP MODEL m; DROP MODEL IF EXISTS m"), "(DROP MODEL M)\n(DROP MODEL IF EXISTS M)");
    /* DEFINE / UNDEFINE keep the name as written; both words still name things */
    CHECK_STR(dump("DEFINE fmt = '''x'''; undefine Fmt; CREATE STREAM define (undefine INT) WITH (kafka_topic='t');"),
              "(DEFINE fmt '''x''')\n(UNDEFINE Fmt)\n"
              "(CREATE STREAM DEFINE (COLUMNS (UNDEFINE INTEGER)) (WITH (KAFKA_TOPIC 't')))");
    CHECK_STR(error_of("DEFINE `a` = '1';"),
              "1:8: invalid variable name `a`: a letter or '_', then letters, digits or '_'");
    CHECK_STR(error_of("DEFINE a = 1;"), "1:12: syntax error at '1', expected string");
    /* parse_script has no variables: ${ is no token, strings keep it */
    CHECK_STR(error_of("SELECT '${a}' FROM s LIMIT ${n};"),
              "1:28: invalid character '$' (variable substitution is off: ksql.variable.substitution.enable)");
    CHECK_STR(dump("SHOW STREAMS; LIST TABLES EXTENDED; SHOW QUERIES EXTENDED; LIST TOPICS; SHOW PROPERTIES; "
                   "SHOW FUNCTIONS; SHOW MODELS; SHOW SNAPSHOTS; LIST TYPES; SHOW VARIABLES;"),
              "(SHOW STREAMS)\n(SHOW TABLES EXTENDED)\n(SHOW QUERIES EXTENDED)\n(SHOW TOPICS)\n"
              "(SHOW PROPERTIES)\n(SHOW FUNCTIONS)\n(SHOW MODELS)\n(SHOW SNAPSHOTS)\n(SHOW TYPES)\n"
              "(SHOW VARIABLES)");
    CHECK_STR(dump("DESCRIBE foo; DESCRIBE foo EXTENDED; describe extended foo; DESCRIBE FUNCTION substring; "
                   "DESCRIBE STREAMS; DESCRIBE TABLES EXTENDED; DESCRIBE `Mixed`;"),
              "(DESCRIBE FOO)\n(DESCRIBE EXTENDED FOO)\n(DESCRIBE EXTENDED FOO)\n"
              "(DESCRIBE FUNCTION SUBSTRING)\n(DESCRIBE STREAMS)\n(DESCRIBE TABLES EXTENDED)\n"
              "(DESCRIBE `Mixed`)");
    CHECK_STR(dump("EXPLAIN CSAS_FOO_0; EXPLAIN SELECT * FROM foo; EXPLAIN CREATE STREAM x AS SELECT * FROM y;"),
              "(EXPLAIN CSAS_FOO_0)\n(EXPLAIN (SELECT (ITEMS *) (FROM FOO)))\n"
              "(EXPLAIN (CREATE STREAM X (AS (SELECT (ITEMS *) (FROM Y)))))");
    CHECK_STR(dump("TERMINATE CSAS_FOO_0; TERMINATE ALL;"), "(TERMINATE CSAS_FOO_0)\n(TERMINATE ALL)");
    CHECK_STR(dump("PRINT 'rider-locations' FROM BEGINNING INTERVAL 2 LIMIT 10; PRINT myTopic; "
                   "PRINT t SAMPLE 3;"),
              "(PRINT 'rider-locations' FROM BEGINNING (INTERVAL 2) (LIMIT 10))\n(PRINT 'myTopic')\n"
              "(PRINT 't' (INTERVAL 3))");
    CHECK_STR(dump("SET 'auto.offset.reset' = 'earliest'; UNSET 'auto.offset.reset';"),
              "(SET 'auto.offset.reset' 'earliest')\n(UNSET 'auto.offset.reset')");
    CHECK_STR(dump("RUN SCRIPT '/tmp/x.ksql';"), "(RUN SCRIPT '/tmp/x.ksql')");
    CHECK_STR(dump("REPLAY QUERY CSAS_X_1 FROM OFFSET 42; REPLAY QUERY q FROM TIMESTAMP '2024-01-01T00:00:00Z'; "
                   "REPLAY QUERY q FROM BEGINNING; REPLAY QUERY q FROM SNAPSHOT 3; REPLAY QUERY q FROM SNAPSHOT s1;"),
              "(REPLAY QUERY CSAS_X_1 FROM OFFSET 42)\n(REPLAY QUERY Q FROM TIMESTAMP '2024-01-01T00:00:00Z')\n"
              "(REPLAY QUERY Q FROM BEGINNING)\n(REPLAY QUERY Q FROM SNAPSHOT '3')\n"
              "(REPLAY QUERY Q FROM SNAPSHOT 'S1')");
    CHECK_STR(dump("CHECKPOINT; CHECKPOINT QUERY q1;"), "(CHECKPOINT)\n(CHECKPOINT QUERY Q1)");
    /* FROM OFFSETS, WITH EMPTY STATE on every form, and the engine's log
     * form (topic:partition:offset, WITH (...)). */
    CHECK_STR(dump("REPLAY QUERY q FROM OFFSETS (0:10, 3:0); "
                   "REPLAY QUERY q FROM OFFSETS ('acc-1':0:5, acc:1:6) WITH (GENERATION=2, SNAPSHOT='s');"),
              "(REPLAY QUERY Q FROM OFFSETS (0:10, 3:0))\n"
              "(REPLAY QUERY Q FROM OFFSETS ('acc-1':0:5, 'acc':1:6) (WITH (GENERATION 2) (SNAPSHOT 's')))");
    CHECK_STR(dump("REPLAY QUERY q FROM OFFSET 1 WITH EMPTY STATE; REPLAY QUERY q FROM OFFSETS (0:1) WITH EMPTY STATE; "
                   "REPLAY QUERY q FROM TIMESTAMP '2024' WITH EMPTY STATE; "
                   "REPLAY QUERY q FROM BEGINNING WITH EMPTY STATE; REPLAY QUERY q FROM SNAPSHOT s WITH EMPTY STATE; "
                   "REPLAY QUERY q FROM BEGINNING WITH EMPTY STATE WITH (GENERATION=3);"),
              "(REPLAY QUERY Q FROM OFFSET 1 WITH EMPTY STATE)\n(REPLAY QUERY Q FROM OFFSETS (0:1) WITH EMPTY STATE)\n"
              "(REPLAY QUERY Q FROM TIMESTAMP '2024' WITH EMPTY STATE)\n"
              "(REPLAY QUERY Q FROM BEGINNING WITH EMPTY STATE)\n(REPLAY QUERY Q FROM SNAPSHOT 'S' WITH EMPTY STATE)\n"
              "(REPLAY QUERY Q FROM BEGINNING WITH EMPTY STATE (WITH (GENERATION 3)))");
    /* Snapshots: a name is optional, FOR is a keyword only before QUERY. */
    CHECK_STR(dump("CREATE SNAPSHOT; CREATE SNAPSHOT before_upgrade; CREATE SNAPSHOT 'auto-1' FOR QUERY CTAS_T_1; "
                   "CREATE SNAPSHOT FOR QUERY q; CREATE SNAPSHOT for; DROP SNAPSHOT s1; DROP SNAPSHOT IF EXISTS 'x-y';"),
              "(CREATE SNAPSHOT)\n(CREATE SNAPSHOT 'BEFORE_UPGRADE')\n(CREATE SNAPSHOT 'auto-1' FOR QUERY CTAS_T_1)\n"
              "(CREATE SNAPSHOT FOR QUERY Q)\n(CREATE SNAPSHOT 'FOR')\n(DROP SNAPSHOT 'S1')\n"
              "(DROP SNAPSHOT IF EXISTS 'x-y')");
    CHECK_STR(error_of("REPLAY QUERY q FROM OFFSETS ();"), "1:30: syntax error at ')', expected an expression");
    CHECK_STR(error_of("REPLAY QUERY q FROM OFFSETS (1);"), "1:31: syntax error at ')', expected ':'");
    CHECK_STR(error_of("REPLAY QUERY q FROM BEGINNING WITH EMPTY;"), "1:41: syntax error at ';', expected STATE");
    CHECK_STR(error_of("REPLAY QUERY q FROM OFFSET -1;"), "1:28: syntax error at '-', expected integer");
    CHECK_STR(error_of("DROP SNAPSHOT;"), "1:14: syntax error at ';', expected an expression");

    PtrVec *v = parse_ok("PRINT t; TERMINATE ALL; SHOW TOPICS EXTENDED; DESCRIBE FUNCTION f; "
                         "REPLAY QUERY q FROM OFFSET 7; CHECKPOINT; EXPLAIN q1;");
    if (v && v->n == 7) {
        const AstStmt *s = v->items[0];
        CHECK_EQ_INT(s->kind, STMT_PRINT);
        CHECK_EQ_INT(s->u.print.interval, -1);
        CHECK_EQ_INT(s->u.print.limit, -1);
        CHECK(!s->u.print.from_beginning);
        CHECK_EQ_INT(((AstStmt *)v->items[1])->kind, STMT_TERMINATE);
        CHECK(((AstStmt *)v->items[1])->u.terminate.all);
        s = v->items[2];
        CHECK_EQ_INT(s->u.show.what, SHOW_TOPICS);
        CHECK(s->u.show.extended);
        s = v->items[3];
        CHECK(s->u.describe.is_function);
        CHECK_STR(s->u.describe.name.name, "F");
        s = v->items[4];
        CHECK_EQ_INT(s->u.replay.from, REPLAY_OFFSET);
        CHECK_EQ_INT(s->u.replay.offset, 7);
        CHECK_STR(s->u.replay.query_id, "Q");
        CHECK_EQ_INT(s->u.replay.query_pos.col, 81);   /* the id's column */
        CHECK(!s->u.replay.empty_state);
        CHECK(((AstStmt *)v->items[5])->u.checkpoint.query_id == NULL);
        s = v->items[6];
        CHECK_STR(s->u.explain.query_id, "Q1");
        CHECK(s->u.explain.stmt == NULL);
    } else {
        CHECK(0);
    }
}

/* Each statement keeps its own text, from its first token to its ';'. */
static void test_statement_text(void)
{
    const char *src =
        "-- a comment\n"
        "SET 'a' = 'b';  /* block\n comment */ SHOW STREAMS\n"
        "  ;\n"
        ";;\n"
        "EXPLAIN SELECT x FROM s;\n"
        "  SELECT a\n   FROM s";
    PtrVec *v = parse_ok(src);
    if (!v || v->n != 4) {
        CHECK(0);
        return;
    }
    const AstStmt *s0 = v->items[0], *s1 = v->items[1], *s2 = v->items[2], *s3 = v->items[3];
    CHECK_STR(s0->text, "SET 'a' = 'b';");
    CHECK_EQ_INT(s0->pos.line, 2);
    CHECK_EQ_INT(s0->pos.col, 1);
    CHECK_STR(s1->text, "SHOW STREAMS\n  ;");
    CHECK_EQ_INT(s1->pos.line, 3);
    CHECK_EQ_INT(s1->pos.col, 13);
    CHECK_STR(s2->text, "EXPLAIN SELECT x FROM s;");
    CHECK_STR(s2->u.explain.stmt->text, "SELECT x FROM s");
    CHECK_EQ_INT(s2->u.explain.stmt->pos.col, 9);
    CHECK_STR(s3->text, "SELECT a\n   FROM s");
    CHECK_EQ_INT(s3->pos.line, 7);
    CHECK_EQ_INT(s3->pos.col, 3);

    CHECK_STR(dump(""), "");
    CHECK_STR(dump("  -- nothing\n ; ; /* */"), "");
    CHECK_STR(dump("SELECT 'a;b' FROM `x;y`;"), "(SELECT (ITEMS 'a;b') (FROM `x;y`))");

    /* an error leaves the caller's list untouched */
    Arena *a = arena_create(0);
    PtrVec out = {0};
    EddyError err;
    CHECK_EQ_INT(parse_script("SHOW STREAMS; SHOW FOO;", a, &out, &err), -1);
    CHECK_EQ_INT(out.n, 0);
    CHECK_EQ_INT(err.kind, ERR_SYNTAX);
    CHECK_EQ_INT(parse_script("SHOW STREAMS; SHOW TABLES", a, &out, NULL), 0);
    CHECK_EQ_INT(out.n, 2);
    CHECK_EQ_INT(parse_script("SHOW FOO", a, &out, NULL), -1);
    CHECK_EQ_INT(out.n, 2);
    arena_destroy(a);
}

/* ---- errors ---------------------------------------------------------------- */

static void test_errors(void)
{
    CHECK_STR(error_of("SELECT * FORM s;"), "1:10: syntax error at 'FORM', expected one of: FROM, ','");
    CHECK_STR(error_of("SELECT *\n  FROM s\n  WHERE x = ;"), "3:13: syntax error at ';', expected an expression");
    CHECK_STR(error_of("SELECT a, FROM s;"), "1:11: syntax error at 'FROM', expected one of: expression, '*'");
    CHECK_STR(error_of("SELECT * FROM"), "1:14: unexpected end of input, expected identifier");
    CHECK_STR(error_of("SELECT * FROM   \n\n"), "1:14: unexpected end of input, expected identifier");
    CHECK_STR(error_of("SELECT"), "1:7: unexpected end of input, expected one of: expression, '*'");
    CHECK_STR(error_of("SELECT a FROM s EMIT;"), "1:21: syntax error at ';', expected one of: CHANGES, FINAL");
    CHECK_STR(error_of("SELECT * FROM s JOIN t;"),
              "1:23: syntax error at ';', expected one of: identifier, AS, GRACE, ON, WITHIN");
    CHECK_STR(error_of("SET 'a' 'b';"), "1:9: syntax error at ''b'', expected '='");
    CHECK_STR(error_of("CREATE STREAM (a INT);"), "1:15: syntax error at '(', expected identifier");
    CHECK_STR(error_of("CREATE STREAM s (a INT) WITH (x=1) AS SELECT * FROM t;"),
              "1:36: syntax error at 'AS', expected one of: end of input, ';'");
    CHECK_STR(error_of("SELECT CAST(a AS) FROM s;"), "1:17: syntax error at ')', expected identifier");
    /* ARRAY is a column here (ksqlDB's nonReserved words): ARRAY < INT > ... */
    CHECK_STR(error_of("SELECT ARRAY<INT> FROM s;"), "1:17: syntax error at '>'");
    CHECK_STR(error_of("SELECT x FROM s WINDOW SESSION (1 SECOND, SIZE 2 SECONDS);"),
              "1:43: syntax error at 'SIZE', expected one of: GRACE, RETENTION");
    CHECK_STR(error_of("SELECT x FROM s WINDOW TUMBLING (SIZE 1 FORTNIGHT);"),
              "1:41: syntax error at 'FORTNIGHT'");
    CHECK_STR(error_of("SELECT f(1,) FROM s;"), "1:12: syntax error at ')', expected an expression");
    CHECK_STR(error_of("DROP STREAM;"), "1:12: syntax error at ';', expected identifier");
    CHECK_STR(error_of("SHOW FOO;"), "1:6: syntax error at 'FOO'");
    CHECK_STR(error_of("SELECT * FROM s;\nSELECT * FROM t WHERE;"),
              "2:22: syntax error at ';', expected an expression");
    CHECK_STR(error_of("SELECT a FROM s LIMIT x;"), "1:23: syntax error at 'x', expected integer");
    CHECK_STR(error_of("SELECT 'aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd' 'x' FROM s;"),
              "1:51: syntax error at ''x''");
    CHECK_STR(error_of("SELECT a b c FROM s"), "1:12: syntax error at 'c', expected one of: FROM, ','");

    /* lexical errors */
    CHECK_STR(error_of("SELECT 'abc FROM s;"), "1:8: unterminated string literal");
    CHECK_STR(error_of("SELECT `abc FROM s;"), "1:8: unterminated quoted identifier");
    CHECK_STR(error_of("SELECT \"abc FROM s;"), "1:8: unterminated quoted identifier");
    CHECK_STR(error_of("SELECT ``, 1 FROM s;"), "1:8: empty quoted identifier");
    CHECK_STR(error_of("SELECT a\n  # b FROM s;"), "2:3: invalid character '#'");
    CHECK_STR(error_of("SELECT \x01 FROM s;"), "1:8: invalid character '\\x01'");
    CHECK_STR(error_of("SELECT \xc3\xa9 FROM s;"), "1:8: invalid character '\\xC3'");
    CHECK_STR(error_of("SELECT a ! b FROM s;"), "1:10: invalid character '!'");
    CHECK_STR(error_of("SELECT 1 FROM s; /* never\n closed"), "1:18: unterminated comment");
    CHECK_STR(error_of("SELECT 1abc FROM s;"),
              "1:8: identifiers must not start with a digit: '1abc' (back-quote it)");

    /* checks the constructors make */
    CHECK_STR(error_of("CREATE STREAM s (a FOO);"), "1:20: unknown type 'FOO'");
    CHECK_STR(error_of("CREATE STREAM s (a ARRAY<address>);"), "1:26: unknown type 'ADDRESS'");
    CHECK_STR(error_of("CREATE STREAM s (a DECIMAL);"),
              "1:20: DECIMAL needs a precision and a scale: DECIMAL(precision, scale)");
    CHECK_STR(error_of("CREATE STREAM s (a INT(3));"), "1:20: type INT takes no parameters");
    CHECK_STR(dump("CREATE STREAM s (a VARCHAR(30));"), "(CREATE STREAM S (COLUMNS (A STRING)))");
    CHECK_STR(error_of("SELECT a FROM s LIMIT 99999999999999999999;"),
              "1:23: number too large: 99999999999999999999");
    CHECK_STR(error_of("SELECT * FROM s WINDOW TUMBLING (SIZE 9999999999999999 DAYS);"),
              "1:39: duration too large");
    /* a sign where only a count or a duration fits: at the sign */
    CHECK_STR(error_of("SELECT a FROM s LIMIT -1;"), "1:23: LIMIT must not be negative");
    CHECK_STR(error_of("PRINT t FROM BEGINNING LIMIT -3;"), "1:30: LIMIT must not be negative");
    CHECK_STR(error_of("SELECT * FROM s WINDOW TUMBLING (SIZE -1 SECOND);"),
              "1:39: a duration must not be negative");
    CHECK_STR(error_of("SELECT * FROM s WINDOW HOPPING (SIZE 2 SECONDS, ADVANCE BY -1 SECOND);"),
              "1:60: a duration must not be negative");
    CHECK_STR(error_of("SELECT * FROM s WINDOW SESSION (-5 MINUTES);"), "1:33: a duration must not be negative");
    CHECK_STR(error_of("SELECT * FROM s WINDOW TUMBLING (SIZE 1 SECOND, RETENTION -1 DAY);"),
              "1:59: a duration must not be negative");
    CHECK_STR(error_of("SELECT * FROM s WINDOW TUMBLING (SIZE 1 SECOND, GRACE PERIOD -0 SECONDS);"),
              "1:62: a duration must not be negative");
    CHECK_STR(error_of("SELECT * FROM s JOIN t WITHIN -1 SECOND ON s.a = t.a;"),
              "1:31: a duration must not be negative");
    CHECK_STR(error_of("SELECT * FROM s JOIN t WITHIN (1 SECOND, -2 SECONDS) ON s.a = t.a;"),
              "1:42: a duration must not be negative");
    CHECK_STR(error_of("SELECT * FROM s JOIN t WITHIN 1 SECOND GRACE PERIOD -1 SECOND ON s.a = t.a;"),
              "1:53: a duration must not be negative");
    CHECK_STR(error_of("SELECT a FROM s LIMIT - 1.5;"), "1:25: syntax error at '1.5', expected integer");
    /* the first error wins, even when a later one is a syntax error */
    CHECK_STR(error_of("CREATE STREAM s (a FOO, b BAR) WITH (;"), "1:20: unknown type 'FOO'");

    /* the formatted message has the line and a caret */
    Arena *a = arena_create(0);
    PtrVec v = {0};
    EddyError err;
    const char *src = "SELECT *\n\tFORM s;";
    CHECK_EQ_INT(parse_script(src, a, &v, &err), -1);
    char buf[512];
    eddy_error_format(&err, src, buf, sizeof buf);
    CHECK_STR(buf, "line 2:2: syntax error at 'FORM', expected one of: FROM, ','\n\tFORM s;\n\t^");
    arena_destroy(a);
}

/* ---- parse_is_complete ----------------------------------------------------- */

static void test_is_complete(void)
{
    CHECK(parse_is_complete("SELECT 1 FROM s;"));
    CHECK(parse_is_complete("SELECT 1 FROM s;  \n"));
    CHECK(parse_is_complete("SELECT 1 FROM s; -- done"));
    CHECK(parse_is_complete("SELECT 1 FROM s; /* done */ "));
    CHECK(parse_is_complete("SHOW STREAMS; SHOW TABLES;"));
    CHECK(parse_is_complete("SELECT 'it''s;' FROM s;"));
    CHECK(!parse_is_complete(""));
    CHECK(!parse_is_complete("   "));
    CHECK(!parse_is_complete(NULL));
    CHECK(!parse_is_complete("SELECT 1 FROM s"));
    CHECK(!parse_is_complete("SELECT ';"));
    CHECK(!parse_is_complete("SELECT 'a'';"));
    CHECK(!parse_is_complete("SELECT `a;"));
    CHECK(!parse_is_complete("SELECT \"a;"));
    CHECK(!parse_is_complete("SELECT 1 -- ;"));
    CHECK(!parse_is_complete("SELECT 1 /* ; */"));
    CHECK(!parse_is_complete("SELECT 1; /* unfinished"));
    CHECK(!parse_is_complete("SHOW STREAMS; SHOW"));
    CHECK(parse_is_complete(";"));
}

/* ---- round trip: ast_format_expr parses back to the same tree --------------- */

/* The text of e's tree parses back to a tree with the same text.  The text
 * is fully parenthesised and spells every node kind its own way, so equal
 * texts mean equal trees. */
static void check_round_trip(const char *e)
{
    const char *f1 = expr(e);
    const char *f2 = expr(f1);
    if (strcmp(f1, f2) != 0)
        fprintf(stderr, "round trip of %s: %s -> %s\n", e, f1, f2);
    CHECK_STR(f1, f2);
}

static void test_format(void)
{
    CHECK_STR(expr("NOT a AND `b c` IS NULL"), "((NOT A) AND (`b c` IS NULL))");
    CHECK_STR(expr("CAST(x AS DECIMAL(4, 2))"), "CAST(X AS DECIMAL(4, 2))");
    CHECK_STR(expr("s->`f`[1]"), "S->`f`[1]");
    CHECK_STR(expr("- -1"), "1");
    CHECK_STR(expr("+ -1"), "(+ -1)");
    CHECK_STR(expr("-(-a)"), "(- (-A))");
    CHECK_STR(expr("`from`.x"), "`from`.X");
    CHECK_STR(expr("`FROM`"), "`FROM`");
    CHECK_STR(expr("key"), "KEY");
    CHECK_STR(expr("TRANSFORM(a, (x, y) => x + y)"), "TRANSFORM(A, (X, Y) => (X + Y))");
    CHECK_STR(expr("MAP('a' := 1)"), "MAP('a':=1)");

    static const char *const exprs[] = {
        "a + b * c - d / e % f", "a || b || 'c''d'", "NOT a OR b AND NOT c", "-a", "- -a", "-(-1)",
        "- 9223372036854775808", "+ -1.5", "1.5E-7", "0.1E0", "1E300", "-0.0E0",
        "a NOT LIKE 'x' ESCAPE '!'", "a BETWEEN -1 AND b + 1", "a NOT IN (1, 'x', NULL)",
        "a IS NOT DISTINCT FROM b", "CASE a WHEN 1 THEN 2 ELSE 3 END", "CASE WHEN a THEN b END",
        "CAST(a AS STRUCT<x ARRAY<MAP<STRING, DOUBLE>>, `y` BOOLEAN>)", "CAST(a AS STRUCT< >)",
        "s->f->`g`[1]['k']", "(-1)[1]", "f()", "COUNT(DISTINCT a, b)", "ARRAY[ARRAY[1], ARRAY[]]",
        "MAP('a' := MAP(), 'b' := STRUCT())", "STRUCT(`a b` := 1, c := ARRAY[2])",
        "REDUCE(a, 0, (s, x) => s + x)", "FILTER(m, k => k IS NULL)", "t.`Weird``name`",
        "`where` = `SELECT`", "key + timestamp", "`x`->`select`",
    };
    for (size_t i = 0; i < sizeof exprs / sizeof exprs[0]; i++)
        check_round_trip(exprs[i]);
    CHECK_STR(ast_op_name(OP_CONCAT), "||");
    CHECK_STR(ast_op_name(OP_NE), "<>");
    CHECK_STR(ast_op_name(OP_AND), "AND");
}

/* ---- nesting limits ----------------------------------------------------------- */

static char *repeat(const char *prefix, const char *unit, int n, const char *mid,
                    const char *unit2, int n2, const char *suffix)
{
    StrBuf sb;
    sb_init(&sb);
    sb_puts(&sb, prefix);
    for (int i = 0; i < n; i++)
        sb_puts(&sb, unit);
    sb_puts(&sb, mid);
    for (int i = 0; i < n2; i++)
        sb_puts(&sb, unit2);
    sb_puts(&sb, suffix);
    char *s = arena_strdup(T, sb.data);
    sb_free(&sb);
    return s;
}

static void test_deep_nesting(void)
{
    /* parentheses build no nodes; the parse stack is what they use up */
    CHECK(parses(repeat("SELECT ", "(", 2000, "1", ")", 2000, " FROM s;")));
    CHECK_STR(error_of(repeat("SELECT ", "(", 5000, "", "", 0, "")), "1:5008: unexpected end of input, expected an expression");
    CHECK_STR(error_of(repeat("SELECT ", "(", 20000, "1", ")", 20000, " FROM s;")),
              "1:10004: statement nested too deeply");
    CHECK_STR(error_of(repeat("", "(", 5000, "", "", 0, "")), "1:1: syntax error at '('");
    /* operators build nodes: the tree is bounded */
    CHECK(parses(repeat("SELECT ", "-(", 900, "a", ")", 900, " FROM s;")));
    CHECK_STR(error_of(repeat("SELECT ", "-(", 1200, "a", ")", 1200, " FROM s;")),
              "1:408: expression nested too deeply (more than 1000 levels)");
    CHECK_STR(error_of(repeat("SELECT a", " + a", 5000, "", "", 0, " FROM s;")),
              "1:4006: expression nested too deeply (more than 1000 levels)");
    CHECK_STR(error_of(repeat("SELECT ", "NOT ", 5000, "a", "", 0, " FROM s;")),
              "1:16008: expression nested too deeply (more than 1000 levels)");
    CHECK_STR(error_of(repeat("SELECT ", "NOT ", 12000, "a", "", 0, " FROM s;")),
              "1:39992: statement nested too deeply");
    CHECK_STR(error_of(repeat("SELECT ", "f(", 1500, "1", ")", 1500, " FROM s;")),
              "1:1008: expression nested too deeply (more than 1000 levels)");
    CHECK_STR(error_of(repeat("SELECT a", "[1]", 1500, "", "", 0, " FROM s;")),
              "1:3006: expression nested too deeply (more than 1000 levels)");
    CHECK_STR(error_of(repeat("CREATE STREAM s (a ", "ARRAY<", 1500, "INT", ">", 1500, ");")),
              "1:3020: type nested too deeply (more than 1000 levels)");
    CHECK(parses(repeat("CREATE STREAM s (a ", "ARRAY<", 900, "INT", ">", 900, ");")));
    CHECK(parses(repeat("SELECT a FROM s WHERE a IN (1", ", 1", 20000, ")", "", 0, ";")));
    CHECK(parses(repeat("", "SHOW STREAMS;", 20000, "", "", 0, "")));
}

/* ---- fuzz ---------------------------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static const char *const corpus[] = {
    "CREATE STREAM pageviews (viewtime BIGINT, user_id VARCHAR KEY, page_id VARCHAR, ts TIMESTAMP, "
    "h BYTES HEADER('t'), hs ARRAY<STRUCT<key STRING, value BYTES>> HEADERS) "
    "WITH (kafka_topic='pageviews', value_format='JSON', partitions=4, replicas=-1);",
    "CREATE OR REPLACE TABLE IF NOT EXISTS users (id INT PRIMARY KEY, m MAP<STRING, ARRAY<INT>>, "
    "d DECIMAL(4,2), s STRUCT<a INT, `b` STRUCT<c DOUBLE>>) WITH (kafka_topic='users', format='json');",
    "CREATE TABLE counts WITH (kafka_topic='c') AS SELECT page_id, COUNT(*) AS cnt FROM pageviews "
    "WINDOW TUMBLING (SIZE 1 HOUR, RETENTION 7 DAYS, GRACE PERIOD 10 MINUTES) "
    "GROUP BY page_id HAVING COUNT(*) > 1 EMIT FINAL;",
    "SELECT a.*, b.x AS y, -c * 2.5 z FROM a LEFT OUTER JOIN b WITHIN (1 SECOND, 2 HOURS) GRACE PERIOD 3 DAYS "
    "ON a.id = b.id WHERE a.x NOT BETWEEN 1 AND 2 OR a.y NOT IN ('q', NULL) AND a.z IS NOT NULL "
    "PARTITION BY a.k EMIT CHANGES LIMIT 10;",
    "SELECT CASE WHEN x LIKE 'a%' ESCAPE '!' THEN CAST(y AS ARRAY<DOUBLE>) ELSE NULL END, "
    "TRANSFORM(arr, (k, v) => v->f[1] || 'x'), MAP('a' := 1.5E3), STRUCT(q := TRUE), ARRAY[] "
    "FROM s WINDOW HOPPING (SIZE 30 SECONDS, ADVANCE BY 10 SECONDS) GROUP BY (x, y);",
    "INSERT INTO foo (a, `b`) VALUES (1, 'it''s'); INSERT INTO foo WITH (QUERY_ID='q') SELECT * FROM bar;",
    "DROP STREAM IF EXISTS foo DELETE TOPIC; DROP TYPE t; DROP MODEL IF EXISTS m; SHOW QUERIES EXTENDED;",
    "DESCRIBE EXTENDED foo; DESCRIBE FUNCTION f; DESCRIBE STREAMS; EXPLAIN q1; EXPLAIN SELECT * FROM s;",
    "TERMINATE ALL; PRINT 'topic' FROM BEGINNING INTERVAL 2 LIMIT 5; SET 'a' = 'b'; UNSET 'a';",
    "RUN SCRIPT 'x.ksql'; CREATE MODEL m FROM 'm.json'; REPLAY QUERY q FROM TIMESTAMP '2024-01-01'; "
    "REPLAY QUERY q FROM OFFSET 5; CHECKPOINT QUERY q; CREATE TYPE a AS STRUCT<x INT>; -- end\n",
    "REPLAY QUERY q FROM OFFSETS (0:1, 't':1:2) WITH EMPTY STATE; CREATE SNAPSHOT s FOR QUERY q; DROP SNAPSHOT s;",
    "SELECT x FROM s WINDOW SESSION (5 MINUTES) /* c */ GROUP BY x IS DISTINCT FROM y EMIT CHANGES",
};

static const char *const soup[] = {
    "SELECT", "FROM", "WHERE", "GROUP", "BY", "PARTITION", "HAVING", "EMIT", "CHANGES", "FINAL",
    "LIMIT", "WINDOW", "TUMBLING", "HOPPING", "SESSION", "SIZE", "ADVANCE", "RETENTION", "GRACE",
    "PERIOD", "JOIN", "LEFT", "OUTER", "FULL", "INNER", "ON", "WITHIN", "CREATE", "OR", "REPLACE",
    "STREAM", "TABLE", "SOURCE", "IF", "NOT", "EXISTS", "WITH", "AS", "INSERT", "INTO", "VALUES",
    "DROP", "TYPE", "DELETE", "TOPIC", "SHOW", "LIST", "STREAMS", "EXTENDED", "DESCRIBE", "FUNCTION",
    "EXPLAIN", "TERMINATE", "ALL", "PRINT", "BEGINNING", "INTERVAL", "SET", "UNSET", "RUN", "SCRIPT",
    "MODEL", "REPLAY", "QUERY", "OFFSET", "TIMESTAMP", "SNAPSHOT", "CHECKPOINT", "KEY", "PRIMARY",
    "OFFSETS", "EMPTY", "STATE", "FOR", ":",
    "HEADERS", "HEADER", "AND", "LIKE", "ESCAPE", "BETWEEN", "IN", "IS", "NULL", "DISTINCT", "TRUE",
    "FALSE", "CASE", "WHEN", "THEN", "ELSE", "END", "CAST", "ARRAY", "MAP", "STRUCT", "SECONDS",
    "HOUR", "DAYS", "INT", "BIGINT", "DECIMAL", "VARCHAR", "x", "y", "`q`", "\"w\"", "t.x", "1", "0",
    "42", "1.5", ".5", "2E3", "'s'", "'it''s'", "(", ")", ",", ";", ".", "*", "+", "-", "/", "%",
    "=", "<>", "!=", "<", "<=", ">", ">=", "||", ":=", "->", "=>", "[", "]", "(x, y) =>", "--c\n",
    "/*c*/", "COUNT(*)", "f(", "a->", "<", ">>",
};

/* Parses s; on success dumps every statement and round-trips select items
 * through ast_format_expr. */
static void fuzz_one(Arena *a, const char *s)
{
    PtrVec v = {0};
    EddyError err;
    arena_reset(a);
    if (parse_script(s, a, &v, &err) != 0) {
        CHECK(err.msg[0] != '\0' && err.pos.line >= 1 && err.pos.col >= 1);
        return;
    }
    StrBuf sb, f;
    sb_init(&sb);
    sb_init(&f);
    for (int i = 0; i < v.n; i++) {
        const AstStmt *st = v.items[i];
        ast_dump_stmt(st, &sb);
        if (st->kind != STMT_SELECT)
            continue;
        sb_reset(&f);
        sb_puts(&f, "SELECT ");
        for (int j = 0; j < st->u.select->items.n; j++) {
            if (j)
                sb_puts(&f, ", ");
            ast_format_expr(((AstSelectItem *)st->u.select->items.items[j])->expr, &f);
        }
        sb_puts(&f, " FROM s;");
        PtrVec v2 = {0};
        bool ok = parse_script(f.data, a, &v2, &err) == 0;
        if (!ok)
            fprintf(stderr, "formatted text does not parse: %s\n  from: %s\n", f.data, s);
        CHECK(ok);
    }
    sb_free(&sb);
    sb_free(&f);
}

static void test_fuzz(void)
{
    Arena *a = arena_create(0);
    char buf[512];
    int before_failed = tu_failed;

    /* random bytes (no NUL: the input is a C string) */
    for (int it = 0; it < 20000; it++) {
        int n = (int)(rnd() % 200);
        for (int i = 0; i < n; i++)
            buf[i] = (char)(1 + rnd() % 255);
        buf[n] = '\0';
        fuzz_one(a, buf);
    }
    /* printable soup, which gets further into the lexer */
    for (int it = 0; it < 20000; it++) {
        int n = (int)(rnd() % 120);
        for (int i = 0; i < n; i++)
            buf[i] = (char)(' ' + rnd() % 95);
        buf[n] = '\0';
        fuzz_one(a, buf);
    }
    /* token soup, which gets further into the grammar */
    size_t nsoup = sizeof soup / sizeof soup[0];
    for (int it = 0; it < 40000; it++) {
        StrBuf sb;
        sb_init(&sb);
        int n = (int)(rnd() % 40);
        if (rnd() % 2)
            sb_puts(&sb, rnd() % 2 ? "SELECT " : "CREATE STREAM s ");
        for (int i = 0; i < n; i++) {
            sb_puts(&sb, soup[rnd() % nsoup]);
            if (rnd() % 4)
                sb_putc(&sb, ' ');
        }
        fuzz_one(a, sb.data ? sb.data : "");
        sb_free(&sb);
    }
    /* every truncation of every valid script, and random mutations of it */
    for (size_t c = 0; c < sizeof corpus / sizeof corpus[0]; c++) {
        const char *s = corpus[c];
        size_t len = strlen(s);
        PtrVec v = {0};
        arena_reset(a);
        CHECK_EQ_INT(parse_script(s, a, &v, NULL), 0);
        for (size_t cut = 0; cut <= len; cut++) {
            char *t = arena_strndup(T, s, cut);
            fuzz_one(a, t);
        }
        for (int it = 0; it < 3000; it++) {
            char *t = arena_alloc(T, len + 8);
            memcpy(t, s, len + 1);
            int edits = 1 + (int)(rnd() % 3);
            for (int e = 0; e < edits; e++) {
                size_t at = rnd() % (len ? len : 1);
                switch (rnd() % 3) {
                case 0:             /* replace a byte */
                    t[at] = (char)(' ' + rnd() % 95);
                    break;
                case 1:             /* delete a byte */
                    memmove(t + at, t + at + 1, strlen(t + at));
                    break;
                default:            /* swap two bytes */
                    if (at + 1 < strlen(t)) {
                        char x = t[at];
                        t[at] = t[at + 1];
                        t[at + 1] = x;
                    }
                }
            }
            fuzz_one(a, t);
        }
        arena_reset(T);
    }
    CHECK_EQ_INT(tu_failed, before_failed);
    arena_destroy(a);
}

int main(void)
{
    T = arena_create(0);
    test_precedence();
    test_literals();
    test_expressions();
    test_expr_positions();
    test_identifiers();
    test_keyword_classes();
    test_create();
    test_select();
    test_other_statements();
    test_statement_text();
    test_errors();
    test_is_complete();
    test_format();
    test_deep_nesting();
    test_fuzz();
    arena_destroy(T);
    return testutil_done();
}
