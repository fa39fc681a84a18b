/* test_agg_collect.c - the collecting aggregates: TOPK, TOPKDISTINCT,
 * COLLECT_LIST, COLLECT_SET, HISTOGRAM, EARLIEST/LATEST_BY_OFFSET,
 * COUNT_DISTINCT, ATTR, over rows with NULLs, with undo and merge.
 *
 * Expected values are ksqlDB's where its query-validation tests give them
 * (topk-group-by.json, collect-list.json, collect-set.json,
 * earliest-offset-udaf.json).  States live as the engine keeps them
 * (agg_testutil.h). */
#include "agg_testutil.h"

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

int main(void)
{
    A = arena_create(0);
    test_topk();
    test_collect();
    test_histogram();
    test_by_offset();
    test_count_distinct();
    test_attr();
    arena_destroy(A);
    return testutil_done();
}
