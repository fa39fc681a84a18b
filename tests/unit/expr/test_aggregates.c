/* test_aggregates.c - the aggregate function registry: resolution, the
 * numeric functions (COUNT, SUM, AVG, MIN, MAX, STDDEV_*, CORRELATION)
 * over rows with NULLs, undo and merge; introspection; every function's
 * state round trip and random input (the collecting functions' own cases
 * are in test_agg_collect.c).
 *
 * Expected values are ksqlDB's where its query-validation tests give them
 * (average-udaf.json, standarddeviation.json), checked to the last bit for
 * the doubles.  States live as the engine keeps them (agg_testutil.h). */
#include "agg_testutil.h"

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
    CHECK_EQ_INT(f->nsignatures, 9);   /* every comparable type, as MIN and MAX */
    CHECK_STR(f->signatures[0], "TOPK(col INTEGER, k INTEGER literal) -> ARRAY<INTEGER>");
    CHECK_STR(f->signatures[8], "TOPK(col BYTES, k INTEGER literal) -> ARRAY<BYTES>");
    CHECK_EQ_INT(agg_info("TOPKDISTINCT")->nsignatures, 9);
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
    test_info();
    test_roundtrip();
    test_random();
    arena_destroy(A);
    return testutil_done();
}
