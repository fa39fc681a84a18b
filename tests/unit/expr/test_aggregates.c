/* test_aggregates.c - the aggregate function registry: resolution, each
 * function over rows with NULLs, undo, merge, and state round trips.
 *
 * Expected values are ksqlDB's where its query-validation tests give them
 * (average-udaf.json, standarddeviation.json, topk-group-by.json,
 * collect-list.json, collect-set.json, earliest-offset-udaf.json), checked
 * to the last bit for the doubles.
 *
 * Every state goes through what the engine does between records: each
 * step, undo and merge runs in a scratch arena, the new state is copied
 * (value_copy) into a fresh arena, and both the scratch arena and the
 * previous state's arena are destroyed.  Under ASan, a state that still
 * pointed into either would fail here. */
#include "eddy/engine/aggregates.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>

static Arena *A;   /* test-lifetime: rows, types, resolved calls */

/* ---- value builders ------------------------------------------------------------ */

static Value S(const char *s) { return v_string_cstr(A, s); }
static Value I(int32_t i) { return v_int(i); }
static Value L(int64_t i) { return v_bigint(i); }
static Value D(double d) { return v_double(d); }
static Value B(bool b) { return v_bool(b); }
static Value DEC(int64_t unscaled, int p, int s) { return v_decimal(unscaled, p, s); }
#define N v_null()

static const SqlType *T(TypeKind k) { return type_prim(k); }

/* ---- resolving ------------------------------------------------------------------ */

static EddyError err;

/* name(types...) with literal values where lits[i].kind != TYPE__COUNT. */
static int resolve_n(AggCall *c, const char *name, int n, const SqlType *const *types, const Value *lits)
{
    const Value *litp[8] = {0};
    for (int i = 0; i < n; i++)
        if (lits && lits[i].kind != TYPE__COUNT)
            litp[i] = &lits[i];
    eddy_error_clear(&err);
    return agg_resolve(name, types, litp, n, false, A, c, &err);
}

static AggCall call1(const char *name, const SqlType *t)
{
    AggCall c;
    if (resolve_n(&c, name, 1, &t, NULL) != 0) {
        fprintf(stderr, "resolve %s: %s\n", name, err.msg);
        abort();
    }
    return c;
}

static Value NOLIT(void) { Value v; v.kind = TYPE__COUNT; v.u.i64 = 0; return v; }

/* name(col t, literal...) */
static AggCall call_lits(const char *name, const SqlType *t, int nlits, const Value *lits)
{
    AggCall c;
    const SqlType *types[4] = {t};
    Value all[4] = {NOLIT()};
    for (int i = 0; i < nlits; i++) {
        all[i + 1] = lits[i];
        types[i + 1] = value_prim_type(&lits[i]);
    }
    if (resolve_n(&c, name, nlits + 1, types, all) != 0) {
        fprintf(stderr, "resolve %s: %s\n", name, err.msg);
        abort();
    }
    return c;
}

/* ---- the engine's life cycle of a state ---------------------------------------------- */

typedef struct Acc {
    AggCall c;
    Arena *arena;       /* holds state */
    Value state;
    int64_t offset;     /* next row's offset */
} Acc;

/* Copies *v into a fresh arena, destroying the scratch arena and the old one. */
static void settle(Acc *g, Value *v, Arena *scratch)
{
    Arena *fresh = arena_create(0);
    Value copy = value_copy(fresh, v);
    CHECK(value_hash(&copy) == value_hash(v));   /* O(n); value_equal on a big map is O(n^2) */
    arena_destroy(scratch);
    if (g->arena)
        arena_destroy(g->arena);
    g->arena = fresh;
    g->state = copy;
}

static void acc_begin(Acc *g, AggCall c)
{
    g->c = c;
    g->arena = NULL;
    g->offset = 0;
    Arena *scratch = arena_create(0);
    Value s;
    c.fns->init(&g->c, &s, scratch);
    settle(g, &s, scratch);
}

static void acc_end(Acc *g)
{
    arena_destroy(g->arena);
    g->arena = NULL;
}

static void acc_step_args(Acc *g, const Value *args)
{
    Arena *scratch = arena_create(0);
    Value s = g->state;
    g->c.fns->step(&g->c, &s, args, 1000 + g->offset, g->offset, scratch);
    g->offset++;
    settle(g, &s, scratch);
}

static void acc_step(Acc *g, Value v)
{
    acc_step_args(g, &v);
}

static void acc_undo_args(Acc *g, const Value *args)
{
    CHECK(g->c.fns->undo != NULL);
    if (g->c.fns->undo == NULL)
        return;
    Arena *scratch = arena_create(0);
    Value s = g->state;
    g->c.fns->undo(&g->c, &s, args, scratch);
    settle(g, &s, scratch);
}

static void acc_undo(Acc *g, Value v)
{
    acc_undo_args(g, &v);
}

static void acc_merge(Acc *g, const Acc *other)
{
    CHECK(g->c.fns->merge != NULL);
    Arena *scratch = arena_create(0);
    Value s = g->state;
    g->c.fns->merge(&g->c, &s, &other->state, scratch);
    settle(g, &s, scratch);
}

/* The result, as text ("null", "[c, b, b]", "{a=2}"). */
static const char *acc_text(const Acc *g)
{
    static char bufs[8][4096];
    static int next;
    char *buf = bufs[next++ % 8];
    Arena *scratch = arena_create(0);
    Value out;
    g->c.fns->result(&g->c, &g->state, &out, scratch);
    StrBuf sb;
    sb_init(&sb);
    value_format_typed(&out, g->c.result, &sb);
    snprintf(buf, sizeof bufs[0], "%s", sb.data ? sb.data : "");
    sb_free(&sb);
    arena_destroy(scratch);
    return buf;
}

static double acc_double(const Acc *g)
{
    Arena *scratch = arena_create(0);
    Value out;
    g->c.fns->result(&g->c, &g->state, &out, scratch);
    double d = out.kind == TYPE_DOUBLE ? out.u.d : -12345.678;
    arena_destroy(scratch);
    return d;
}

static int64_t acc_bigint(const Acc *g)
{
    Arena *scratch = arena_create(0);
    Value out;
    g->c.fns->result(&g->c, &g->state, &out, scratch);
    int64_t x = out.kind == TYPE_BIGINT ? out.u.i64 : -999;
    arena_destroy(scratch);
    return x;
}

/* Steps each value and checks the result text after each. */
static void run_texts(AggCall c, int n, const Value *in, const char *const *want)
{
    Acc g;
    acc_begin(&g, c);
    for (int i = 0; i < n; i++) {
        acc_step(&g, in[i]);
        CHECK_STR(acc_text(&g), want[i]);
    }
    acc_end(&g);
}

/* Steps each value and checks the DOUBLE result after each, bit for bit. */
static void run_doubles(AggCall c, int n, const Value *in, const double *want)
{
    Acc g;
    acc_begin(&g, c);
    for (int i = 0; i < n; i++) {
        acc_step(&g, in[i]);
        double got = acc_double(&g);
        if (got != want[i])
            fprintf(stderr, "  %s row %d: got %.17g, want %.17g\n", c.name, i, got, want[i]);
        CHECK(got == want[i]);
    }
    acc_end(&g);
}

#define VALS(...) (const Value[]){__VA_ARGS__}
#define NVALS(...) ((int)(sizeof((Value[]){__VA_ARGS__}) / sizeof(Value)))
#define TEXTS(...) (const char *const[]){__VA_ARGS__}
#define DOUBLES(...) (const double[]){__VA_ARGS__}
#define RUN_TEXTS(c, in, ...) run_texts(c, (int)(sizeof(in) / sizeof(Value)), in, TEXTS(__VA_ARGS__))

/* ---- merge and undo, as properties ------------------------------------------------------ */

/* Same result value (maps: same entries in any order), else both texts shown. */
static void check_same_result(const Acc *got, const Acc *want, const char *what, int at)
{
    Arena *scratch = arena_create(0);
    Value g, w;
    got->c.fns->result(&got->c, &got->state, &g, scratch);
    want->c.fns->result(&want->c, &want->state, &w, scratch);
    bool same = value_equal(&g, &w) && g.kind == w.kind;
    if (!same)
        fprintf(stderr, "  %s %s at %d: got %s, want %s\n", what, got->c.name, at, acc_text(got), acc_text(want));
    CHECK(same);
    arena_destroy(scratch);
}

/* Stepping all rows == stepping rows[0..k) and rows[k..n) apart and merging, for every k. */
static void check_merge(AggCall c, int n, const Value *rows, bool approx)
{
    Acc all;
    acc_begin(&all, c);
    for (int i = 0; i < n; i++)
        acc_step(&all, rows[i]);
    for (int k = 0; k <= n; k++) {
        Acc x, y;
        acc_begin(&x, c);
        acc_begin(&y, c);
        for (int i = 0; i < k; i++)
            acc_step(&x, rows[i]);
        y.offset = k;   /* the later session's rows keep their offsets */
        for (int i = k; i < n; i++)
            acc_step(&y, rows[i]);
        acc_merge(&x, &y);
        if (approx) {
            double a = acc_double(&all), b = acc_double(&x);
            bool ok = fabs(a - b) <= 1e-9 * (fabs(a) > 1 ? fabs(a) : 1);
            if (!ok)
                fprintf(stderr, "  merge %s at %d: %.17g vs %.17g\n", c.name, k, b, a);
            CHECK(ok);
        } else {
            check_same_result(&x, &all, "merge", k);
        }
        acc_end(&x);
        acc_end(&y);
    }
    acc_end(&all);
}

/* Stepping all rows then undoing row j == stepping every row but j, for every j. */
static void check_undo(AggCall c, int n, const Value *rows, bool approx)
{
    for (int j = 0; j < n; j++) {
        Acc x, y;
        acc_begin(&x, c);
        acc_begin(&y, c);
        for (int i = 0; i < n; i++) {
            acc_step(&x, rows[i]);
            if (i != j)
                acc_step(&y, rows[i]);
        }
        acc_undo(&x, rows[j]);
        if (approx) {
            double a = acc_double(&y), b = acc_double(&x);
            bool ok = fabs(a - b) <= 1e-9 * (fabs(a) > 1 ? fabs(a) : 1) || (isnan(a) && isnan(b));
            if (!ok)
                fprintf(stderr, "  undo %s row %d: %.17g vs %.17g\n", c.name, j, b, a);
            CHECK(ok);
        } else {
            check_same_result(&x, &y, "undo", j);
        }
        acc_end(&x);
        acc_end(&y);
    }
}

#define CHECK_MERGE(c, rows) check_merge(c, (int)(sizeof(rows) / sizeof(Value)), rows, false)
#define CHECK_MERGE_APPROX(c, rows) check_merge(c, (int)(sizeof(rows) / sizeof(Value)), rows, true)
#define CHECK_UNDO(c, rows) check_undo(c, (int)(sizeof(rows) / sizeof(Value)), rows, false)
#define CHECK_UNDO_APPROX(c, rows) check_undo(c, (int)(sizeof(rows) / sizeof(Value)), rows, true)

/* ---- resolution ------------------------------------------------------------------------- */

static const char *result_type(const char *name, const SqlType *t)
{
    AggCall c = call1(name, t);
    return type_to_string(A, c.result);
}

static const char *resolve_error(const char *name, int n, const SqlType *const *types, const Value *lits)
{
    AggCall c;
    int rc = resolve_n(&c, name, n, types, lits);
    CHECK(rc == -1);
    if (rc != -1)
        return "(resolved)";
    CHECK(err.kind == ERR_ANALYSIS);
    return err.msg;
}

static void test_resolution(void)
{
    const SqlType *dec = type_decimal(A, 4, 2);

    /* Result types: ksqlDB's factories (SumAggFunctionFactory keeps the column type). */
    CHECK_STR(result_type("SUM", T(TYPE_INT)), "INTEGER");
    CHECK_STR(result_type("sum", T(TYPE_BIGINT)), "BIGINT");
    CHECK_STR(result_type("SUM", T(TYPE_DOUBLE)), "DOUBLE");
    CHECK_STR(result_type("SUM", dec), "DECIMAL(4, 2)");
    CHECK_STR(result_type("AVG", T(TYPE_INT)), "DOUBLE");
    CHECK_STR(result_type("AVG", dec), "DOUBLE");   /* DECIMAL widens to DOUBLE */
    CHECK_STR(result_type("COUNT", T(TYPE_STRING)), "BIGINT");
    CHECK_STR(result_type("MIN", T(TYPE_STRING)), "STRING");
    CHECK_STR(result_type("MAX", T(TYPE_DATE)), "DATE");
    CHECK_STR(result_type("MAX", T(TYPE_TIMESTAMP)), "TIMESTAMP");
    CHECK_STR(result_type("MIN", dec), "DECIMAL(4, 2)");
    CHECK_STR(result_type("COLLECT_LIST", T(TYPE_BOOLEAN)), "ARRAY<BOOLEAN>");
    CHECK_STR(result_type("COLLECT_SET", type_array(A, T(TYPE_INT))), "ARRAY<ARRAY<INTEGER>>");
    CHECK_STR(result_type("HISTOGRAM", T(TYPE_STRING)), "MAP<STRING, BIGINT>");
    CHECK_STR(result_type("COUNT_DISTINCT", T(TYPE_DOUBLE)), "BIGINT");
    CHECK_STR(result_type("STDDEV_SAMP", T(TYPE_BIGINT)), "DOUBLE");
    CHECK_STR(result_type("STDDEV_SAMPLE", T(TYPE_INT)), "DOUBLE");
    CHECK_STR(result_type("LATEST_BY_OFFSET", T(TYPE_TIME)), "TIME");
    CHECK_STR(result_type("ATTR", T(TYPE_STRING)), "STRING");
    AggCall c = call_lits("TOPK", T(TYPE_BIGINT), 1, VALS(I(3)));
    CHECK_STR(type_to_string(A, c.result), "ARRAY<BIGINT>");
    CHECK_EQ_INT(c.nargs, 1);
    CHECK_EQ_INT(c.nliterals, 1);
    CHECK_EQ_INT(c.literals[0].u.i32, 3);
    c = call_lits("EARLIEST_BY_OFFSET", T(TYPE_STRING), 2, VALS(L(2), B(false)));
    CHECK_STR(type_to_string(A, c.result), "ARRAY<STRING>");
    CHECK_STR(type_to_string(A, c.state_type), "ARRAY<STRUCT<`SEQ` BIGINT, `VAL` STRING>>");
    c = call_lits("LATEST_BY_OFFSET", T(TYPE_STRING), 1, VALS(B(false)));
    CHECK_STR(type_to_string(A, c.result), "STRING");
    c = call1("AVG", T(TYPE_INT));
    CHECK_STR(type_to_string(A, c.state_type), "STRUCT<`SUM` INTEGER, `COUNT` BIGINT>");
    CHECK(c.params[0]->kind == TYPE_INT);
    c = call1("AVG", dec);
    CHECK(c.params[0]->kind == TYPE_DOUBLE);   /* the analyzer casts the DECIMAL */
    c = call1("STDDEV_SAMP", T(TYPE_DOUBLE));
    CHECK_STR(type_to_string(A, c.state_type), "STRUCT<`SUM` DOUBLE, `COUNT` BIGINT, `M2` DOUBLE>");
    c = call1("COUNT_DISTINCT", T(TYPE_STRING));
    CHECK_STR(type_to_string(A, c.state_type), "BYTES");
    c = call_lits("TOPK", T(TYPE_DOUBLE), 1, VALS(I(1)));
    CHECK_STR(type_to_string(A, c.state_type), "ARRAY<DOUBLE>");

    /* COUNT(*), COUNT() */
    CHECK_EQ_INT(agg_resolve("count", NULL, NULL, 0, true, A, &c, &err), 0);
    CHECK(c.count_star);
    CHECK_EQ_INT(c.nargs, 0);
    CHECK_STR(c.name, "COUNT");
    CHECK_EQ_INT(agg_resolve("COUNT", NULL, NULL, 0, false, A, &c, &err), 0);
    CHECK(c.count_star);
    CHECK_EQ_INT(agg_resolve("SUM", NULL, NULL, 0, true, A, &c, &err), -1);
    CHECK_STR(err.msg, "function SUM does not accept (*); it takes (INTEGER) or (BIGINT) or (DOUBLE) or (DECIMAL)");

    /* Type errors name the function and the types. */
    CHECK_STR(resolve_error("SUM", 1, (const SqlType *[]){T(TYPE_STRING)}, NULL),
              "function SUM does not accept (STRING); it takes (INTEGER) or (BIGINT) or (DOUBLE) or (DECIMAL)");
    CHECK_STR(resolve_error("AVG", 1, (const SqlType *[]){T(TYPE_BOOLEAN)}, NULL),
              "function AVG does not accept (BOOLEAN); it takes (INTEGER) or (BIGINT) or (DOUBLE)");
    CHECK(strstr(resolve_error("MAX", 1, (const SqlType *[]){T(TYPE_BOOLEAN)}, NULL),
                 "function MAX does not accept (BOOLEAN)") != NULL);
    CHECK(strstr(resolve_error("MIN", 1, (const SqlType *[]){type_array(A, T(TYPE_INT))}, NULL),
                 "does not accept (ARRAY<INTEGER>)") != NULL);
    CHECK(strstr(resolve_error("HISTOGRAM", 1, (const SqlType *[]){T(TYPE_INT)}, NULL),
                 "function HISTOGRAM does not accept (INTEGER); it takes (STRING)") != NULL);
    CHECK(strstr(resolve_error("SUM", 2, (const SqlType *[]){T(TYPE_INT), T(TYPE_INT)}, NULL),
                 "does not accept (INTEGER, INTEGER)") != NULL);
    CHECK(strstr(resolve_error("CORRELATION", 1, (const SqlType *[]){T(TYPE_INT)}, NULL),
                 "it takes (DOUBLE, DOUBLE)") != NULL);
    CHECK(strstr(resolve_error("TOPK", 2, (const SqlType *[]){T(TYPE_BOOLEAN), T(TYPE_INT)}, VALS(NOLIT(), I(2))),
                 "function TOPK does not accept (BOOLEAN, INTEGER)") != NULL);
    CHECK_STR(resolve_error("SUMM", 1, (const SqlType *[]){T(TYPE_INT)}, NULL),
              "unknown aggregate function SUMM; did you mean SUM?");
    CHECK_STR(resolve_error("UCASE", 1, (const SqlType *[]){T(TYPE_STRING)}, NULL),
              "unknown aggregate function UCASE");
    CHECK_STR(resolve_error("su", 1, (const SqlType *[]){T(TYPE_INT)}, NULL),
              "unknown aggregate function su; did you mean SUM?");   /* short names get hints here */
    CHECK(strstr(resolve_error("SUM", 0, NULL, NULL), "function SUM does not accept ()") != NULL);

    /* k and n: literal integers from 1 to 2^31 - 1. */
    const SqlType *ti[] = {T(TYPE_INT), T(TYPE_INT)}, *tb[] = {T(TYPE_INT), T(TYPE_BIGINT)};
    CHECK_STR(resolve_error("TOPK", 2, ti, VALS(NOLIT(), I(0))), "TOPK: k must be from 1 to 2147483647; got 0");
    CHECK_STR(resolve_error("TOPK", 2, ti, VALS(NOLIT(), I(-5))), "TOPK: k must be from 1 to 2147483647; got -5");
    CHECK_STR(resolve_error("TOPKDISTINCT", 2, tb, VALS(NOLIT(), L(3000000000LL))),
              "TOPKDISTINCT: k must be from 1 to 2147483647; got 3000000000");
    CHECK_STR(resolve_error("TOPK", 2, ti, VALS(NOLIT(), NOLIT())),
              "TOPK: k must be a literal INTEGER from 1 to 2147483647");
    CHECK_STR(resolve_error("TOPK", 2, (const SqlType *[]){T(TYPE_INT), NULL}, VALS(NOLIT(), N)),
              "TOPK: k must be a literal INTEGER from 1 to 2147483647");
    CHECK_STR(resolve_error("LATEST_BY_OFFSET", 2, ti, VALS(NOLIT(), I(0))),
              "LATEST_BY_OFFSET: n must be from 1 to 2147483647; got 0");
    CHECK_STR(resolve_error("EARLIEST_BY_OFFSET", 2, (const SqlType *[]){T(TYPE_INT), T(TYPE_STRING)},
                            VALS(NOLIT(), S("x"))),
              "EARLIEST_BY_OFFSET: ignoreNulls must be a literal BOOLEAN (TRUE or FALSE)");
    CHECK_STR(resolve_error("EARLIEST_BY_OFFSET", 3,
                            (const SqlType *[]){T(TYPE_INT), T(TYPE_INT), T(TYPE_BOOLEAN)},
                            VALS(NOLIT(), I(2), NOLIT())),
              "EARLIEST_BY_OFFSET: ignoreNulls must be a literal BOOLEAN (TRUE or FALSE)");
    c = call_lits("TOPK", T(TYPE_INT), 1, VALS(I(INT32_MAX)));   /* huge k is fine: nothing preallocated */
    CHECK_EQ_INT(c.literals[0].u.i32, INT32_MAX);

    /* A literal column argument is still a column argument. */
    const Value five = I(5);
    const Value *lp[1] = {&five};
    const SqlType *t1[1] = {T(TYPE_INT)};
    CHECK_EQ_INT(agg_resolve("SUM", t1, lp, 1, false, A, &c, &err), 0);
    CHECK_EQ_INT(c.nargs, 1);
    CHECK_EQ_INT(c.nliterals, 0);
    /* A NULL literal: generic T becomes STRING. */
    const SqlType *tn[1] = {NULL};
    CHECK_EQ_INT(agg_resolve("COLLECT_LIST", tn, NULL, 1, false, A, &c, &err), 0);
    CHECK_STR(type_to_string(A, c.result), "ARRAY<STRING>");
    CHECK_EQ_INT(agg_resolve("COUNT", NULL, NULL, 1, false, A, &c, &err), 0);   /* no types: NULL literals */
    CHECK(!c.count_star && c.nargs == 1);

    /* undo exactly where ksqlDB has a TableUdaf. */
    const char *undo_yes[] = {"COUNT", "SUM", "AVG", "COLLECT_LIST", "HISTOGRAM", "STDDEV_SAMP",
                              "STDDEV_SAMPLE", "ATTR"};
    const char *undo_no[] = {"MIN", "MAX", "COLLECT_SET", "COUNT_DISTINCT", "EARLIEST_BY_OFFSET",
                             "LATEST_BY_OFFSET"};
    for (size_t i = 0; i < sizeof undo_yes / sizeof undo_yes[0]; i++)
        CHECK(call1(undo_yes[i], strcmp(undo_yes[i], "HISTOGRAM") == 0 ? T(TYPE_STRING) : T(TYPE_INT)).fns->undo
              != NULL);
    const SqlType *dd[2] = {T(TYPE_DOUBLE), T(TYPE_DOUBLE)};
    CHECK_EQ_INT(resolve_n(&c, "CORRELATION", 2, dd, NULL), 0);
    CHECK(c.fns->undo != NULL);
    for (size_t i = 0; i < sizeof undo_no / sizeof undo_no[0]; i++)
        CHECK(call1(undo_no[i], T(TYPE_INT)).fns->undo == NULL);
    CHECK(call_lits("TOPK", T(TYPE_INT), 1, VALS(I(2))).fns->undo == NULL);
    CHECK(call_lits("TOPKDISTINCT", T(TYPE_INT), 1, VALS(I(2))).fns->undo == NULL);
    CHECK(call_lits("LATEST_BY_OFFSET", T(TYPE_INT), 1, VALS(I(2))).fns->undo == NULL);
    /* merge everywhere */
    for (int i = 0; i < agg_count(); i++) {
        const char *name = agg_info_at(i)->name;
        const SqlType *t = strcmp(name, "HISTOGRAM") == 0 ? T(TYPE_STRING) : T(TYPE_DOUBLE);
        const SqlType *tt[2] = {t, t};
        Value lits[2] = {NOLIT(), I(2)};
        bool two = strcmp(name, "CORRELATION") == 0 || strncmp(name, "TOPK", 4) == 0;
        if (strncmp(name, "TOPK", 4) == 0)
            tt[1] = T(TYPE_INT);
        CHECK_EQ_INT(resolve_n(&c, name, two ? 2 : 1, tt, lits), 0);
        CHECK(c.fns->merge != NULL && c.fns->init && c.fns->step && c.fns->result);
    }
}

/* ---- COUNT ------------------------------------------------------------------------------- */

static void test_count(void)
{
    AggCall star;
    CHECK_EQ_INT(agg_resolve("COUNT", NULL, NULL, 0, true, A, &star, &err), 0);
    AggCall col = call1("COUNT", T(TYPE_STRING));

    Acc s, c;
    acc_begin(&s, star);
    acc_begin(&c, col);
    CHECK_STR(acc_text(&s), "0");
    CHECK_STR(acc_text(&c), "0");
    Value rows[] = {S("a"), N, S("b"), N, N, S("a")};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        acc_step_args(&s, NULL);
        acc_step(&c, rows[i]);
    }
    CHECK_EQ_INT(acc_bigint(&s), 6);   /* COUNT(*): rows */
    CHECK_EQ_INT(acc_bigint(&c), 3);   /* COUNT(col): non-NULL values */
    /* undo: a NULL row leaves COUNT(col) alone, COUNT(*) drops it. */
    acc_undo_args(&s, NULL);
    acc_undo(&c, N);
    CHECK_EQ_INT(acc_bigint(&s), 5);
    CHECK_EQ_INT(acc_bigint(&c), 3);
    acc_undo(&c, S("b"));
    CHECK_EQ_INT(acc_bigint(&c), 2);
    acc_end(&s);
    acc_end(&c);

    CHECK_MERGE(col, rows);
    CHECK_UNDO(col, rows);
}

/* ---- SUM --------------------------------------------------------------------------------- */

static void test_sum(void)
{
    AggCall si = call1("SUM", T(TYPE_INT));
    Value ints[] = {I(1), N, I(5), I(-2), N};
    RUN_TEXTS(si, ints, "1", "1", "6", "4", "4");
    CHECK_MERGE(si, ints);
    CHECK_UNDO(si, ints);

    /* No non-NULL value: 0, as ksqlDB's SUM initialises to zero. */
    Acc g;
    acc_begin(&g, si);
    acc_step(&g, N);
    CHECK_STR(acc_text(&g), "0");
    /* INT sums wrap like Java's int. */
    acc_step(&g, I(INT32_MAX));
    acc_step(&g, I(1));
    CHECK_STR(acc_text(&g), "-2147483648");
    acc_undo(&g, I(1));
    CHECK_STR(acc_text(&g), "2147483647");
    acc_end(&g);

    AggCall sl = call1("SUM", T(TYPE_BIGINT));
    Value longs[] = {L(2147483648LL), L(100), N, L(-7)};
    RUN_TEXTS(sl, longs, "2147483648", "2147483748", "2147483748", "2147483741");
    CHECK_MERGE(sl, longs);
    CHECK_UNDO(sl, longs);
    acc_begin(&g, sl);
    acc_step(&g, L(INT64_MAX));
    acc_step(&g, L(2));
    CHECK_STR(acc_text(&g), "-9223372036854775807");
    acc_end(&g);

    AggCall sd = call1("SUM", T(TYPE_DOUBLE));
    Value doubles[] = {D(0.1), D(0.2), N, D(-1.5)};
    RUN_TEXTS(sd, doubles, "0.1", "0.30000000000000004", "0.30000000000000004", "-1.2");
    CHECK_MERGE_APPROX(sd, doubles);
    CHECK_UNDO_APPROX(sd, doubles);

    /* DECIMAL(4, 2): the column's type; a sum that leaves it skips the row
     * (ksqlDB fails the record with "Numeric field overflow"). */
    AggCall sdec = call1("SUM", type_decimal(A, 4, 2));
    Value decs[] = {DEC(1050, 4, 2), N, DEC(-25, 4, 2), DEC(9000, 4, 2), DEC(1, 4, 2)};
    RUN_TEXTS(sdec, decs, "10.50", "10.50", "10.25", "10.25", "10.26");
    acc_begin(&g, sdec);
    CHECK_STR(acc_text(&g), "0.00");
    acc_step(&g, DEC(9999, 4, 2));
    acc_step(&g, DEC(-9999, 4, 2));
    CHECK_STR(acc_text(&g), "0.00");
    acc_undo(&g, DEC(-1, 4, 2));
    CHECK_STR(acc_text(&g), "0.01");
    acc_end(&g);
    Value decs_ok[] = {DEC(1050, 4, 2), N, DEC(-25, 4, 2), DEC(1, 4, 2)};
    CHECK_MERGE(sdec, decs_ok);
    CHECK_UNDO(sdec, decs_ok);
}

/* ---- AVG: ksqlDB's average-udaf.json --------------------------------------------------------- */

static void test_avg(void)
{
    AggCall ai = call1("AVG", T(TYPE_INT));
    run_doubles(ai, 4, VALS(I(1), I(2), I(2), N), DOUBLES(1.0, 1.5, 1.6666666666666667, 1.6666666666666667));
    run_doubles(ai, 3, VALS(I(2), I(2), I(0)), DOUBLES(2.0, 2.0, 1.3333333333333333));
    AggCall al = call1("AVG", T(TYPE_BIGINT));
    run_doubles(al, 4, VALS(L(-1), L(INT64_MAX), L(1), N),
                DOUBLES(-1.0, 4.6116860184273879E18, 3.0744573456182584E18, 3.0744573456182584E18));
    run_doubles(al, 3, VALS(L(2), L(-2), L(0)), DOUBLES(2.0, 0.0, 0.0));
    AggCall ad = call1("AVG", T(TYPE_DOUBLE));
    run_doubles(ad, 4, VALS(D(-1.8), D(9223372036854.775807), D(100.2), N),
                DOUBLES(-1.8, 4.611686018426487E12, 3.074457345651058E12, 3.074457345651058E12));
    run_doubles(ad, 3, VALS(D(2.3), D(-200000.6), D(0.0)), DOUBLES(2.3, -99999.15000000001, -66666.1));

    /* No values: 0.0 (ksqlDB's map() of a zero count), and back to it by undo. */
    Acc g;
    acc_begin(&g, ai);
    CHECK(acc_double(&g) == 0.0);
    acc_step(&g, N);
    CHECK(acc_double(&g) == 0.0);
    acc_step(&g, I(4));
    acc_undo(&g, I(4));
    CHECK(acc_double(&g) == 0.0);
    acc_end(&g);

    Value rows[] = {I(1), N, I(4), I(-2), I(10)};
    CHECK_MERGE(ai, rows);
    CHECK_UNDO(ai, rows);
    Value drows[] = {D(1.5), N, D(4.25), D(-2)};
    CHECK_MERGE_APPROX(ad, drows);
    CHECK_UNDO_APPROX(ad, drows);
}

/* ---- MIN, MAX -------------------------------------------------------------------------------- */

static void test_min_max(void)
{
    Value ints[] = {N, I(5), I(-3), N, I(8), I(-3)};
    RUN_TEXTS(call1("MIN", T(TYPE_INT)), ints, "null", "5", "-3", "-3", "-3", "-3");
    RUN_TEXTS(call1("MAX", T(TYPE_INT)), ints, "null", "5", "5", "5", "8", "8");
    CHECK_MERGE(call1("MIN", T(TYPE_INT)), ints);
    CHECK_MERGE(call1("MAX", T(TYPE_INT)), ints);

    Value strs[] = {S("pear"), N, S("apple"), S("zucchini"), S("Zebra")};
    RUN_TEXTS(call1("MIN", T(TYPE_STRING)), strs, "pear", "pear", "apple", "apple", "Zebra");
    RUN_TEXTS(call1("MAX", T(TYPE_STRING)), strs, "pear", "pear", "pear", "zucchini", "zucchini");
    CHECK_MERGE(call1("MAX", T(TYPE_STRING)), strs);

    Value dates[] = {v_date(19000), v_date(18000), N, v_date(20000)};
    RUN_TEXTS(call1("MIN", T(TYPE_DATE)), dates, "2022-01-08", "2019-04-14", "2019-04-14", "2019-04-14");
    Value tss[] = {v_timestamp(1000), v_timestamp(-1000), N};
    RUN_TEXTS(call1("MAX", T(TYPE_TIMESTAMP)), tss, "1970-01-01T00:00:01.000", "1970-01-01T00:00:01.000",
              "1970-01-01T00:00:01.000");
    Value decs[] = {DEC(150, 4, 2), DEC(-99, 4, 2), N};
    RUN_TEXTS(call1("MIN", type_decimal(A, 4, 2)), decs, "1.50", "-0.99", "-0.99");
    Value dbls[] = {D(1.5), D(NAN), D(-0.5)};
    RUN_TEXTS(call1("MAX", T(TYPE_DOUBLE)), dbls, "1.5", "NaN", "NaN");   /* Java: NaN is the largest */
    RUN_TEXTS(call1("MIN", T(TYPE_DOUBLE)), dbls, "1.5", "1.5", "-0.5");

    /* No values: NULL, and merge with an empty state keeps the other side. */
    Acc g, e;
    acc_begin(&g, call1("MIN", T(TYPE_BIGINT)));
    acc_begin(&e, call1("MIN", T(TYPE_BIGINT)));
    CHECK_STR(acc_text(&g), "null");
    acc_merge(&g, &e);
    CHECK_STR(acc_text(&g), "null");
    acc_step(&e, L(7));
    acc_merge(&g, &e);
    CHECK_STR(acc_text(&g), "7");
    acc_end(&g);
    acc_end(&e);
}

/* ---- STDDEV_SAMP, STDDEV_SAMPLE: ksqlDB's standarddeviation.json ------------------------------ */

static void test_stddev(void)
{
    AggCall ei = call1("STDDEV_SAMPLE", T(TYPE_INT)), el = call1("STDDEV_SAMPLE", T(TYPE_BIGINT));
    AggCall ed = call1("STDDEV_SAMPLE", T(TYPE_DOUBLE));
    run_doubles(ei, 4, VALS(I(0), I(10), I(7), I(6)),
                DOUBLES(0.0, 7.0710678118654755, 5.131601439446884, 4.193248541803041));
    run_doubles(ei, 4, VALS(I(50), I(10), I(3), N),
                DOUBLES(0.0, 28.284271247461902, 25.357444666211933, 25.357444666211933));
    run_doubles(el, 4, VALS(L(2147483648LL), L(100), L(-2), N),
                DOUBLES(0.0, 1.5185001792773468E9, 1.2398502339629574E9, 1.2398502339629574E9));
    run_doubles(el, 4, VALS(L(500), L(100), L(0), L(-6)),
                DOUBLES(0.0, 282.842712474619, 264.5751311064591, 239.32335169528832));
    run_doubles(ed, 4, VALS(D(-1.8), D(2.3), D(100.2), N),
                DOUBLES(0.0, 2.899137802864845, 57.74256084841869, 57.74256084841869));
    run_doubles(ed, 4, VALS(D(9223372036854.775807), D(300.8), D(-200000.6), D(0.0)),
                DOUBLES(0.0, 6.521908912453693E12, 5.32511638596254E12, 4.611686051710689E12));
    run_doubles(ed, 5, VALS(D(10.0), D(12.0), D(13.0), D(14.0), D(16.0)),
                DOUBLES(0.0, 1.4142135623730951, 1.5275252316519465, 1.707825127659933, 2.23606797749979));

    /* STDDEV_SAMP: the same, squared (ksqlDB's tests: "returns the square"). */
    AggCall vi = call1("STDDEV_SAMP", T(TYPE_INT)), vl = call1("STDDEV_SAMP", T(TYPE_BIGINT));
    AggCall vd = call1("STDDEV_SAMP", T(TYPE_DOUBLE));
    run_doubles(vi, 4, VALS(I(0), I(10), I(7), I(6)), DOUBLES(0.0, 50.0, 26.333333333333332, 17.583333333333332));
    run_doubles(vi, 4, VALS(I(50), I(10), I(3), N), DOUBLES(0.0, 800.0, 643.0, 643.0));
    run_doubles(vl, 4, VALS(L(2147483648LL), L(100), L(-2), N),
                DOUBLES(0.0, 2.3058427944653343e+18, 1.5372286026580004e+18, 1.5372286026580004e+18));
    run_doubles(vl, 4, VALS(L(500), L(100), L(0), L(-6)), DOUBLES(0.0, 80000.0, 70000.0, 57275.666666666664));
    run_doubles(vd, 4, VALS(D(-1.8), D(2.3), D(100.2), N), DOUBLES(0.0, 8.405, 3334.2033333333347, 3334.2033333333347));
    run_doubles(vd, 4, VALS(D(9223372036854.775807), D(300.8), D(-200000.6), D(0.0)),
                DOUBLES(0.0, 4.253529586234292e+25, 2.835686452404674e+25, 2.1267648239542927e+25));
    run_doubles(vd, 5, VALS(D(10.0), D(12.0), D(13.0), D(14.0), D(16.0)),
                DOUBLES(0.0, 2.0, 2.333333333333333, 2.9166666666666665, 5.0));

    /* Undo restores the earlier result; merge equals stepping everything
     * (for STDDEV_SAMP on integers only when the partial means are whole:
     * ksqlDB's merge divides the integer sums in integer arithmetic). */
    Value drows[] = {D(10.0), N, D(12.5), D(13.0), D(-4.0), D(16.0)};
    CHECK_UNDO_APPROX(ed, drows);
    CHECK_UNDO_APPROX(vd, drows);
    CHECK_MERGE_APPROX(ed, drows);
    CHECK_MERGE_APPROX(vd, drows);
    Value irows[] = {I(3), I(9), N, I(1), I(7)};
    CHECK_UNDO_APPROX(ei, irows);
    CHECK_UNDO_APPROX(vi, irows);
    CHECK_MERGE_APPROX(ei, irows);
    Value whole[] = {I(2), I(2), I(6), I(6)};
    Acc x, y;
    acc_begin(&x, vi);
    acc_begin(&y, vi);
    acc_step(&x, whole[0]);
    acc_step(&x, whole[1]);
    acc_step(&y, whole[2]);
    acc_step(&y, whole[3]);
    acc_merge(&x, &y);
    CHECK(acc_double(&x) == 16.0 / 3.0);   /* variance of 2, 2, 6, 6 */
    acc_end(&x);
    acc_end(&y);
    /* The quirk, pinned: means 1.5 and 5 become 1 and 5 in STDDEV_SAMP's merge. */
    acc_begin(&x, vi);
    acc_begin(&y, vi);
    acc_step(&x, I(1));
    acc_step(&x, I(2));
    acc_step(&y, I(5));
    acc_merge(&x, &y);
    CHECK(acc_double(&x) == (0.5 + 2.0 * 16.0 / 3.0) / 2.0);
    acc_end(&x);
    acc_end(&y);
    acc_begin(&x, ei);
    acc_begin(&y, ei);
    acc_step(&x, I(1));
    acc_step(&x, I(2));
    acc_step(&y, I(5));
    acc_merge(&x, &y);
    CHECK(fabs(acc_double(&x) - sqrt(13.0 / 3.0)) < 1e-12);   /* sample variance of 1, 2, 5 is 13/3 */
    acc_end(&x);
    acc_end(&y);
}

/* ---- CORRELATION --------------------------------------------------------------------------------- */

static void test_correlation(void)
{
    AggCall c;
    const SqlType *tt[2] = {T(TYPE_INT), T(TYPE_DOUBLE)};
    CHECK_EQ_INT(resolve_n(&c, "CORRELATION", 2, tt, NULL), 0);
    CHECK(c.params[0]->kind == TYPE_DOUBLE && c.params[1]->kind == TYPE_DOUBLE);
    Acc g;
    acc_begin(&g, c);
    CHECK(isnan(acc_double(&g)));   /* no rows: 0/0, as ksqlDB's */
    acc_step_args(&g, VALS(D(1), D(2)));
    acc_step_args(&g, VALS(D(2), N));   /* skipped */
    acc_step_args(&g, VALS(D(2), D(4)));
    acc_step_args(&g, VALS(D(3), D(6)));
    CHECK(fabs(acc_double(&g) - 1.0) < 1e-12);
    acc_step_args(&g, VALS(D(4), D(-10)));
    double before = acc_double(&g);
    CHECK(before < 0);
    acc_step_args(&g, VALS(D(7), D(1)));
    acc_undo_args(&g, VALS(D(7), D(1)));
    CHECK(fabs(acc_double(&g) - before) < 1e-12);
    acc_end(&g);
    /* merge: sums add */
    Acc x, y;
    acc_begin(&x, c);
    acc_begin(&y, c);
    acc_step_args(&x, VALS(D(1), D(1)));
    acc_step_args(&y, VALS(D(2), D(3)));
    acc_step_args(&y, VALS(D(3), D(5)));
    acc_merge(&x, &y);
    CHECK(fabs(acc_double(&x) - 1.0) < 1e-12);
    acc_end(&x);
    acc_end(&y);
}

/* ---- TOPK, TOPKDISTINCT: ksqlDB's topk-group-by.json ------------------------------------------------ */

static void test_topk(void)
{
    AggCall ki = call_lits("TOPK", T(TYPE_INT), 1, VALS(I(3)));
    Value ints[] = {I(0), I(100), I(99), I(7), I(100)};
    RUN_TEXTS(ki, ints, "[0]", "[100, 0]", "[100, 99, 0]", "[100, 99, 7]", "[100, 100, 99]");
    AggCall kl = call_lits("TOPK", T(TYPE_BIGINT), 1, VALS(I(3)));
    Value longs[] = {L(2147483648LL), L(100), L(99), L(7), L(100)};
    RUN_TEXTS(kl, longs, "[2147483648]", "[2147483648, 100]", "[2147483648, 100, 99]", "[2147483648, 100, 99]",
              "[2147483648, 100, 100]");
    AggCall kd = call_lits("TOPK", T(TYPE_DOUBLE), 1, VALS(I(3)));
    Value dbls[] = {D(2147483648.9), D(100.5), D(99.9), D(7.3), D(100.5)};
    RUN_TEXTS(kd, dbls, "[2.1474836489E9]", "[2.1474836489E9, 100.5]", "[2.1474836489E9, 100.5, 99.9]",
              "[2.1474836489E9, 100.5, 99.9]", "[2.1474836489E9, 100.5, 100.5]");
    AggCall ks = call_lits("TOPK", T(TYPE_STRING), 1, VALS(I(3)));
    Value strs[] = {S("a"), S("b"), S("c"), S("b"), S("d")};
    RUN_TEXTS(ks, strs, "[a]", "[b, a]", "[c, b, a]", "[c, b, b]", "[d, c, b]");

    /* NULLs are skipped; DISTINCT keeps one of each. */
    Value mixed[] = {I(5), N, I(5), I(9), I(1), I(9), I(7), N};
    RUN_TEXTS(call_lits("TOPK", T(TYPE_INT), 1, VALS(I(3))), mixed, "[5]", "[5]", "[5, 5]", "[9, 5, 5]", "[9, 5, 5]",
              "[9, 9, 5]", "[9, 9, 7]", "[9, 9, 7]");
    AggCall di = call_lits("TOPKDISTINCT", T(TYPE_INT), 1, VALS(I(3)));
    RUN_TEXTS(di, mixed, "[5]", "[5]", "[5]", "[9, 5]", "[9, 5, 1]", "[9, 5, 1]", "[9, 7, 5]", "[9, 7, 5]");
    AggCall ddec = call_lits("TOPKDISTINCT", type_decimal(A, 3, 1), 1, VALS(I(2)));
    Value decs[] = {DEC(15, 3, 1), DEC(150, 3, 1), DEC(15, 3, 1), N};
    RUN_TEXTS(ddec, decs, "[1.5]", "[15.0, 1.5]", "[15.0, 1.5]", "[15.0, 1.5]");

    CHECK_MERGE(ki, ints);
    CHECK_MERGE(ks, strs);
    CHECK_MERGE(call_lits("TOPK", T(TYPE_INT), 1, VALS(I(3))), mixed);
    CHECK_MERGE(di, mixed);
    CHECK_MERGE(call_lits("TOPKDISTINCT", T(TYPE_INT), 1, VALS(I(10))), mixed);

    /* k = 1 and a huge k. */
    RUN_TEXTS(call_lits("TOPK", T(TYPE_INT), 1, VALS(I(1))), mixed, "[5]", "[5]", "[5]", "[9]", "[9]", "[9]", "[9]",
              "[9]");
    RUN_TEXTS(call_lits("TOPK", T(TYPE_INT), 1, VALS(I(INT32_MAX))), mixed, "[5]", "[5]", "[5, 5]", "[9, 5, 5]",
              "[9, 5, 5, 1]", "[9, 9, 5, 5, 1]", "[9, 9, 7, 5, 5, 1]", "[9, 9, 7, 5, 5, 1]");
    CHECK_MERGE(call_lits("TOPK", T(TYPE_INT), 1, VALS(I(INT32_MAX))), mixed);
    CHECK_MERGE(call_lits("TOPKDISTINCT", T(TYPE_INT), 1, VALS(I(INT32_MAX))), mixed);
}

/* ---- COLLECT_LIST, COLLECT_SET: ksqlDB's collect-list.json, collect-set.json ------------------------- */

static void test_collect(void)
{
    AggCall ls = call1("COLLECT_LIST", T(TYPE_STRING));
    Value k100[] = {S("baz"), S("baz"), S("foo")};
    RUN_TEXTS(ls, k100, "[baz]", "[baz, baz]", "[baz, baz, foo]");
    Value withnull[] = {I(1), N, I(1), I(2)};
    AggCall li = call1("COLLECT_LIST", T(TYPE_INT));
    RUN_TEXTS(li, withnull, "[1]", "[1, null]", "[1, null, 1]", "[1, null, 1, 2]");
    AggCall ss = call1("COLLECT_SET", T(TYPE_STRING));
    RUN_TEXTS(ss, k100, "[baz]", "[baz]", "[baz, foo]");
    AggCall si = call1("COLLECT_SET", T(TYPE_INT));
    RUN_TEXTS(si, withnull, "[1]", "[1, null]", "[1, null]", "[1, null, 2]");
    AggCall sb = call1("COLLECT_SET", T(TYPE_BOOLEAN));
    Value bools[] = {B(true), B(false), B(true)};
    RUN_TEXTS(sb, bools, "[true]", "[true, false]", "[true, false]");

    /* The table case of collect-list.json: each new row for a key first
     * retracts the old one. */
    Acc g;
    acc_begin(&g, li);
    acc_step(&g, I(0));
    CHECK_STR(acc_text(&g), "[0]");
    acc_undo(&g, I(0));
    CHECK_STR(acc_text(&g), "[]");
    acc_step(&g, I(100));
    CHECK_STR(acc_text(&g), "[100]");
    /* undo removes the last equal entry; an unknown value changes nothing. */
    acc_step(&g, I(7));
    acc_step(&g, I(100));
    acc_undo(&g, I(100));
    CHECK_STR(acc_text(&g), "[100, 7]");
    acc_undo(&g, I(55));
    CHECK_STR(acc_text(&g), "[100, 7]");
    acc_step(&g, N);
    acc_undo(&g, N);
    CHECK_STR(acc_text(&g), "[100, 7]");
    acc_end(&g);

    CHECK_MERGE(li, withnull);
    CHECK_MERGE(ls, k100);
    CHECK_MERGE(si, withnull);
    CHECK_MERGE(ss, k100);
    Value distinct[] = {I(4), I(8), N, I(15)};
    CHECK_UNDO(li, distinct);

    /* The limit: 1000 entries, later values ignored -- also across a merge. */
    Acc x, y;
    acc_begin(&x, li);
    acc_begin(&y, li);
    for (int i = 0; i < 1200; i++)
        acc_step(&x, I(i));
    Arena *scratch = arena_create(0);
    Value out;
    li.fns->result(&li, &x.state, &out, scratch);
    CHECK_EQ_INT(out.u.arr.n, 1000);
    CHECK_EQ_INT(out.u.arr.items[999].u.i32, 999);
    arena_destroy(scratch);
    acc_undo(&x, I(1100));   /* never collected: nothing to remove */
    acc_undo(&x, I(5));
    for (int i = 0; i < 10; i++)
        acc_step(&y, I(-i));
    acc_merge(&x, &y);
    scratch = arena_create(0);
    li.fns->result(&li, &x.state, &out, scratch);
    CHECK_EQ_INT(out.u.arr.n, 1000);
    CHECK_EQ_INT(out.u.arr.items[998].u.i32, 999);
    CHECK_EQ_INT(out.u.arr.items[999].u.i32, 0);   /* one slot left: the later session's first */
    arena_destroy(scratch);
    acc_end(&x);
    acc_end(&y);

    acc_begin(&x, si);
    for (int i = 0; i < 1500; i++)
        acc_step(&x, I(i % 1300));
    scratch = arena_create(0);
    si.fns->result(&si, &x.state, &out, scratch);
    CHECK_EQ_INT(out.u.arr.n, 1000);
    arena_destroy(scratch);
    acc_end(&x);
}

/* ---- HISTOGRAM ------------------------------------------------------------------------------------------ */

static void test_histogram(void)
{
    AggCall h = call1("HISTOGRAM", T(TYPE_STRING));
    Value rows[] = {S("a"), S("b"), N, S("a"), S("c"), S("a")};
    RUN_TEXTS(h, rows, "{a=1}", "{a=1, b=1}", "{a=1, b=1}", "{a=2, b=1}", "{a=2, b=1, c=1}", "{a=3, b=1, c=1}");
    Acc g;
    acc_begin(&g, h);
    CHECK_STR(acc_text(&g), "{}");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        acc_step(&g, rows[i]);
    acc_undo(&g, S("b"));   /* a count that reaches 0 drops its key */
    CHECK_STR(acc_text(&g), "{a=3, c=1}");
    acc_undo(&g, S("a"));
    CHECK_STR(acc_text(&g), "{a=2, c=1}");
    acc_undo(&g, S("zzz"));
    acc_undo(&g, N);
    CHECK_STR(acc_text(&g), "{a=2, c=1}");
    acc_end(&g);

    /* Maps compare as sets of entries, so merge order of keys does not matter. */
    CHECK_MERGE(h, rows);
    CHECK_UNDO(h, rows);

    /* 1000 distinct keys at most; known keys still count. */
    acc_begin(&g, h);
    char key[32];
    for (int i = 0; i < 1100; i++) {
        snprintf(key, sizeof key, "k%d", i);
        acc_step(&g, S(key));
    }
    acc_step(&g, S("k5"));
    acc_step(&g, S("k1050"));
    Arena *scratch = arena_create(0);
    Value out;
    h.fns->result(&h, &g.state, &out, scratch);
    CHECK_EQ_INT(out.u.map.n, 1000);
    CHECK_STR(out.u.map.keys[5].u.str.ptr, "k5");
    CHECK_EQ_INT(out.u.map.vals[5].u.i64, 2);
    arena_destroy(scratch);
    acc_end(&g);
}

/* ---- EARLIEST_BY_OFFSET, LATEST_BY_OFFSET: ksqlDB's earliest-offset-udaf.json ----------------------------- */

static void test_by_offset(void)
{
    AggCall e = call1("EARLIEST_BY_OFFSET", T(TYPE_INT));
    AggCall l = call1("LATEST_BY_OFFSET", T(TYPE_INT));
    AggCall e_keep = call_lits("EARLIEST_BY_OFFSET", T(TYPE_INT), 1, VALS(B(false)));
    AggCall e_ign = call_lits("EARLIEST_BY_OFFSET", T(TYPE_INT), 1, VALS(B(true)));
    AggCall l_keep = call_lits("LATEST_BY_OFFSET", T(TYPE_INT), 1, VALS(B(false)));
    AggCall e2 = call_lits("EARLIEST_BY_OFFSET", T(TYPE_INT), 1, VALS(I(2)));
    AggCall e2_keep = call_lits("EARLIEST_BY_OFFSET", T(TYPE_INT), 2, VALS(I(2), B(false)));
    AggCall l2 = call_lits("LATEST_BY_OFFSET", T(TYPE_INT), 1, VALS(I(2)));
    AggCall l2_keep = call_lits("LATEST_BY_OFFSET", T(TYPE_INT), 2, VALS(I(2), B(false)));

    Value null_first[] = {N, I(13)};
    RUN_TEXTS(e_ign, null_first, "null", "13");
    RUN_TEXTS(e2, null_first, "[]", "[13]");
    RUN_TEXTS(e_keep, null_first, "null", "null");
    RUN_TEXTS(e2_keep, null_first, "[null]", "[null, 13]");
    Value null_later[] = {I(12), N, I(13)};
    RUN_TEXTS(e, null_later, "12", "12", "12");
    RUN_TEXTS(e2, null_later, "[12]", "[12]", "[12, 13]");
    RUN_TEXTS(e_keep, null_later, "12", "12", "12");
    RUN_TEXTS(e2_keep, null_later, "[12]", "[12, null]", "[12, null]");
    Value all_null[] = {N, N};
    RUN_TEXTS(e, all_null, "null", "null");
    RUN_TEXTS(e2, all_null, "[]", "[]");
    Value three[] = {I(12), I(21), I(31)};
    RUN_TEXTS(e2, three, "[12]", "[12, 21]", "[12, 21]");

    RUN_TEXTS(l, null_later, "12", "12", "13");
    RUN_TEXTS(l_keep, null_later, "12", "null", "13");
    RUN_TEXTS(l2, three, "[12]", "[12, 21]", "[21, 31]");
    RUN_TEXTS(l2, null_later, "[12]", "[12]", "[12, 13]");
    RUN_TEXTS(l2_keep, null_later, "[12]", "[12, null]", "[null, 13]");

    /* Composite values go through whole. */
    AggCall ea = call1("EARLIEST_BY_OFFSET", type_array(A, T(TYPE_STRING)));
    Value arr1, arr2;
    arr1.kind = arr2.kind = TYPE_ARRAY;
    arr1.u.arr.items = arena_alloc(A, 2 * sizeof(Value));
    arr1.u.arr.items[0] = S("Early0");
    arr1.u.arr.items[1] = N;
    arr1.u.arr.n = 2;
    arr2.u.arr.items = arena_alloc(A, sizeof(Value));
    arr2.u.arr.items[0] = S("Later0");
    arr2.u.arr.n = 1;
    Value arrs[] = {arr1, arr2};
    RUN_TEXTS(ea, arrs, "[Early0, null]", "[Early0, null]");
    RUN_TEXTS(call1("LATEST_BY_OFFSET", type_array(A, T(TYPE_STRING))), arrs, "[Early0, null]", "[Later0]");

    /* Merge picks by offset, whichever side a row was in. */
    Value rows[] = {I(1), N, I(3), I(4), N};
    CHECK_MERGE(e, rows);
    CHECK_MERGE(l, rows);
    CHECK_MERGE(e_keep, rows);
    CHECK_MERGE(l_keep, rows);
    CHECK_MERGE(e2, rows);
    CHECK_MERGE(l2, rows);
    CHECK_MERGE(e2_keep, rows);
    CHECK_MERGE(l2_keep, rows);
    CHECK_MERGE(call_lits("LATEST_BY_OFFSET", T(TYPE_INT), 1, VALS(I(INT32_MAX))), rows);

    /* ksqlDB's "merging session windows": offsets 0 (1), 1 (3), then 2 (2)
     * bridging them: the merged session's earliest is 1, latest is 2. */
    Acc s0, s1, s2;
    acc_begin(&s0, e);
    acc_begin(&s1, e);
    acc_begin(&s2, e);
    acc_step(&s0, I(1));
    s1.offset = 1;
    acc_step(&s1, I(3));
    s2.offset = 2;
    acc_merge(&s2, &s0);   /* Kafka Streams: the new session merges the old ones in, then adds the row */
    acc_merge(&s2, &s1);
    acc_step(&s2, I(2));
    CHECK_STR(acc_text(&s2), "1");
    acc_end(&s0);
    acc_end(&s1);
    acc_end(&s2);
    acc_begin(&s0, l);
    acc_begin(&s1, l);
    acc_begin(&s2, l);
    acc_step(&s0, I(1));
    s1.offset = 1;
    acc_step(&s1, I(3));
    s2.offset = 2;
    acc_merge(&s2, &s0);
    acc_merge(&s2, &s1);
    CHECK_STR(acc_text(&s2), "3");
    acc_step(&s2, I(2));
    CHECK_STR(acc_text(&s2), "2");
    acc_end(&s0);
    acc_end(&s1);
    acc_end(&s2);
}

/* ---- COUNT_DISTINCT ------------------------------------------------------------------------------------------ */

static void test_count_distinct(void)
{
    AggCall cs = call1("COUNT_DISTINCT", T(TYPE_STRING));
    Value rows[] = {S("a"), N, S("b"), S("a"), S("c"), N, S("b")};
    RUN_TEXTS(cs, rows, "1", "1", "2", "2", "3", "3", "3");
    CHECK_MERGE(cs, rows);
    AggCall cd = call1("COUNT_DISTINCT", T(TYPE_DOUBLE));
    Value dbls[] = {D(1.0), D(-0.0), D(0.0), D(1.0), D(NAN), D(NAN)};
    RUN_TEXTS(cd, dbls, "1", "2", "2", "2", "3", "3");   /* 0.0 and -0.0 compare (and hash) equal */

    /* Exact up to 2048 values, then a sketch within a few percent, and bounded. */
    AggCall cl = call1("COUNT_DISTINCT", T(TYPE_BIGINT));
    Acc g, h;
    acc_begin(&g, cl);
    acc_begin(&h, cl);
    for (int64_t i = 0; i < 2048; i++) {
        acc_step(&g, L(i * 7919));
        acc_step(&g, L(i * 7919));
    }
    CHECK_EQ_INT(acc_bigint(&g), 2048);
    for (int64_t i = 2048; i < 30000; i++)
        acc_step(&g, L(i * 7919));
    int64_t est = acc_bigint(&g);
    CHECK(llabs(est - 30000) < 900);
    CHECK(g.state.kind == TYPE_BYTES && g.state.u.str.len <= 16385);
    /* Merge: a sketch and a small set, two sketches, and union of sets. */
    for (int64_t i = 0; i < 100; i++)
        acc_step(&h, L(-1 - i));
    acc_merge(&h, &g);
    est = acc_bigint(&h);
    CHECK(llabs(est - 30100) < 900);
    acc_merge(&g, &h);
    CHECK(llabs(acc_bigint(&g) - 30100) < 900);
    acc_end(&g);
    acc_end(&h);

    acc_begin(&g, cl);
    acc_begin(&h, cl);
    for (int64_t i = 0; i < 1500; i++)
        acc_step(&g, L(i));
    for (int64_t i = 1000; i < 2500; i++)
        acc_step(&h, L(i));
    acc_merge(&g, &h);   /* 2500 distinct: past the exact limit after the union */
    CHECK(llabs(acc_bigint(&g) - 2500) < 75);
    acc_end(&g);
    acc_end(&h);
    acc_begin(&g, cl);
    acc_begin(&h, cl);
    for (int64_t i = 0; i < 800; i++)
        acc_step(&g, L(i));
    for (int64_t i = 500; i < 1200; i++)
        acc_step(&h, L(i));
    acc_merge(&g, &h);
    CHECK_EQ_INT(acc_bigint(&g), 1200);
    acc_end(&g);
    acc_end(&h);

    /* A state this file did not write counts as empty rather than crashing. */
    Arena *scratch = arena_create(0);
    Value junk = v_bytes(scratch, "\x02junk", 5), out;
    cs.fns->result(&cs, &junk, &out, scratch);
    CHECK_EQ_INT(out.u.i64, 0);
    Value one = S("x");
    cs.fns->step(&cs, &junk, &one, 0, 0, scratch);
    cs.fns->result(&cs, &junk, &out, scratch);
    CHECK_EQ_INT(out.u.i64, 1);
    arena_destroy(scratch);
}

/* ---- ATTR ---------------------------------------------------------------------------------------------------- */

static void test_attr(void)
{
    AggCall at = call1("ATTR", T(TYPE_STRING));
    Value rows[] = {S("x"), S("x"), S("y"), N};
    RUN_TEXTS(at, rows, "x", "x", "null", "null");
    Acc g;
    acc_begin(&g, at);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        acc_step(&g, rows[i]);
    acc_undo(&g, N);
    acc_undo(&g, S("y"));
    CHECK_STR(acc_text(&g), "x");
    acc_undo(&g, S("y"));   /* floored at 0: a second undo does not resurrect anything */
    acc_step(&g, S("y"));
    CHECK_STR(acc_text(&g), "null");
    acc_end(&g);
    CHECK_MERGE(at, rows);
    CHECK_UNDO(at, rows);
}

/* ---- registry introspection ------------------------------------------------------------------------------------ */

static void test_info(void)
{
    CHECK(agg_count() >= 17);
    for (int i = 1; i < agg_count(); i++)
        CHECK(strcmp(agg_info_at(i - 1)->name, agg_info_at(i)->name) < 0);
    CHECK(agg_info_at(-1) == NULL);
    CHECK(agg_info_at(agg_count()) == NULL);
    CHECK(agg_exists("count"));
    CHECK(agg_exists("TopKDistinct"));
    CHECK(!agg_exists("UCASE"));
    CHECK(!agg_exists(NULL));
    const AggInfo *f = agg_info("topk");
    CHECK(f && strcmp(f->name, "TOPK") == 0);
    CHECK_EQ_INT(f->nsignatures, 4);
    CHECK_STR(f->signatures[0], "TOPK(col INTEGER, k INTEGER literal) -> ARRAY<INTEGER>");
    f = agg_info("COUNT");
    CHECK_STR(f->signatures[0], "COUNT(*) -> BIGINT");
    CHECK_STR(f->signatures[1], "COUNT(col T) -> BIGINT");
    f = agg_info("latest_by_offset");
    CHECK_STR(f->signatures[3], "LATEST_BY_OFFSET(col T, n INTEGER literal, ignoreNulls BOOLEAN literal) -> ARRAY<T>");
    CHECK_STR(agg_info("HISTOGRAM")->signatures[0], "HISTOGRAM(col STRING) -> MAP<STRING, BIGINT>");
    CHECK_STR(agg_info("SUM")->signatures[3], "SUM(col DECIMAL) -> DECIMAL");
    CHECK(agg_info("nope") == NULL);
    for (int i = 0; i < agg_count(); i++)
        CHECK(agg_info_at(i)->description && agg_info_at(i)->description[0]);
}

/* ---- round trip of every state, and random input through everything --------------------------------------------------- */

/* Each function's state, built in one arena and copied into another: the
 * copy equals it, and after the first arena is gone the copy still gives
 * the same result and keeps working. */
static void test_roundtrip(void)
{
    struct { const char *name; const SqlType *t; int nlits; Value lit[2]; Value rows[4]; } cases[] = {
        {"COUNT", T(TYPE_STRING), 0, {N}, {S("a"), N, S("b"), S("c")}},
        {"SUM", NULL, 0, {N}, {DEC(105, 5, 2), N, DEC(-5, 5, 2), DEC(1000, 5, 2)}},
        {"AVG", T(TYPE_BIGINT), 0, {N}, {L(4), N, L(8), L(9)}},
        {"MIN", T(TYPE_STRING), 0, {N}, {S("m"), N, S("c"), S("x")}},
        {"MAX", T(TYPE_BYTES), 0, {N}, {v_bytes(A, "ab", 2), N, v_bytes(A, "b", 1), v_bytes(A, "", 0)}},
        {"STDDEV_SAMPLE", T(TYPE_DOUBLE), 0, {N}, {D(1.5), N, D(2.5), D(7)}},
        {"COLLECT_LIST", T(TYPE_STRING), 0, {N}, {S("a"), N, S("b"), S("a")}},
        {"COLLECT_SET", T(TYPE_STRING), 0, {N}, {S("a"), N, S("b"), S("a")}},
        {"HISTOGRAM", T(TYPE_STRING), 0, {N}, {S("a"), N, S("b"), S("a")}},
        {"TOPK", T(TYPE_STRING), 1, {I(2)}, {S("a"), N, S("q"), S("b")}},
        {"TOPKDISTINCT", T(TYPE_STRING), 1, {I(2)}, {S("a"), N, S("q"), S("q")}},
        {"COUNT_DISTINCT", T(TYPE_STRING), 0, {N}, {S("a"), N, S("b"), S("a")}},
        {"EARLIEST_BY_OFFSET", T(TYPE_STRING), 0, {N}, {N, S("e"), S("f"), S("g")}},
        {"LATEST_BY_OFFSET", T(TYPE_STRING), 2, {I(2), B(false)}, {S("a"), S("b"), N, S("c")}},
        {"ATTR", T(TYPE_STRING), 0, {N}, {S("a"), S("a"), N, S("a")}},
    };
    cases[1].t = type_decimal(A, 5, 2);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        AggCall c = cases[i].nlits ? call_lits(cases[i].name, cases[i].t, cases[i].nlits, cases[i].lit)
                                   : call1(cases[i].name, cases[i].t);
        Arena *a1 = arena_create(0), *a2 = arena_create(0);
        Value st;
        c.fns->init(&c, &st, a1);
        for (int r = 0; r < 4; r++)
            c.fns->step(&c, &st, &cases[i].rows[r], r, r, a1);
        Value before;
        c.fns->result(&c, &st, &before, a1);
        StrBuf want;
        sb_init(&want);
        value_format_typed(&before, c.result, &want);
        Value copy = value_copy(a2, &st);
        CHECK(value_equal(&copy, &st));
        arena_destroy(a1);
        Value after;
        c.fns->result(&c, &copy, &after, a2);
        StrBuf got;
        sb_init(&got);
        value_format_typed(&after, c.result, &got);
        CHECK_STR(got.data, want.data);
        Value one = cases[i].rows[3];
        c.fns->step(&c, &copy, &one, 9, 9, a2);   /* and keeps working */
        c.fns->result(&c, &copy, &after, a2);
        sb_free(&want);
        sb_free(&got);
        arena_destroy(a2);
    }
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static Value random_value(TypeKind k)
{
    if (next_rand() % 5 == 0)
        return N;
    int64_t r = (int64_t)(next_rand() % 41) - 20;
    switch (k) {
    case TYPE_INT: return I((int32_t)r);
    case TYPE_BIGINT: return L(r * 1000000007LL);
    case TYPE_DOUBLE: return D((double)r / 4.0);
    case TYPE_STRING: {
        char s[8];
        snprintf(s, sizeof s, "s%d", (int)r);
        return S(s);
    }
    default: return N;
    }
}

/* Every function on every type it takes: random steps, undos of earlier
 * rows, and merges of random partial states; each state survives the copy
 * into a fresh arena (settle()) and the result formats. */
static void test_random(void)
{
    const char *names[] = {"COUNT", "SUM", "AVG", "MIN", "MAX", "STDDEV_SAMP", "STDDEV_SAMPLE", "COLLECT_LIST",
                           "COLLECT_SET", "COUNT_DISTINCT", "HISTOGRAM", "EARLIEST_BY_OFFSET", "LATEST_BY_OFFSET",
                           "ATTR", "TOPK", "TOPKDISTINCT"};
    TypeKind kinds[] = {TYPE_INT, TYPE_BIGINT, TYPE_DOUBLE, TYPE_STRING};
    for (size_t f = 0; f < sizeof names / sizeof names[0]; f++) {
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            for (int variant = 0; variant < 3; variant++) {
                AggCall c;
                const SqlType *types[3] = {T(kinds[k]), T(TYPE_INT), T(TYPE_BOOLEAN)};
                Value lits[3] = {NOLIT(), I(variant == 0 ? 1 : 4), B(variant == 2)};
                int n = 1;
                if (strstr(names[f], "TOPK") || (strstr(names[f], "BY_OFFSET") && variant > 0))
                    n = strstr(names[f], "TOPK") ? 2 : 3;
                else if (variant > 0)
                    continue;
                if (resolve_n(&c, names[f], n, types, lits) != 0)
                    continue;   /* the type is not one this function takes */
                Acc g, other;
                acc_begin(&g, c);
                acc_begin(&other, c);
                Value hist[64];
                int nh = 0;
                for (int i = 0; i < 300; i++) {
                    Value v = random_value(kinds[k]);
                    uint64_t op = next_rand() % 10;
                    if (op < 6) {
                        acc_step(&g, v);
                        if (nh < 64)
                            hist[nh++] = v;
                    } else if (op < 8) {
                        acc_step(&other, v);
                    } else if (op == 8 && c.fns->undo && nh > 0) {
                        acc_undo(&g, hist[--nh]);
                    } else if (c.fns->merge) {
                        acc_merge(&g, &other);
                        acc_end(&other);
                        acc_begin(&other, c);
                        other.offset = g.offset + 1000;
                    }
                    CHECK(acc_text(&g)[0] != '\0');
                }
                acc_end(&g);
                acc_end(&other);
            }
        }
    }
}

int main(void)
{
    A = arena_create(0);
    test_resolution();
    test_count();
    test_sum();
    test_avg();
    test_min_max();
    test_stddev();
    test_correlation();
    test_topk();
    test_collect();
    test_histogram();
    test_by_offset();
    test_count_distinct();
    test_attr();
    test_info();
    test_roundtrip();
    test_random();
    arena_destroy(A);
    return testutil_done();
}
