/*
 * test_transients.c - several push (transient) queries in one engine:
 * with many_transients each SELECT ... EMIT CHANGES runs beside the
 * others with an id of its own (never repeated, even within one ms), its
 * rows reach row_json tagged with that id, engine_cancel_query ends one
 * and leaves the others running, a LIMIT frees its query in the poll
 * that reaches it; without many_transients a new push query replaces the
 * running one (the REPL's one at a time).  In-memory topics.
 */
#include "eddy/transport.h"
#include "engine_testutil.h"

#include <stdlib.h>
#include <string.h>

/* Rows seen per query id: "<id> <json>\n" lines. */
static StrBuf tagged;

static void on_row_json(void *ud, const char *id, const char *json, bool header)
{
    if (!header)
        sb_printf(&tagged, "%s %s\n", id, json);
}

static Engine *make_many(Transport *t, bool many)
{
    EngineConfig cfg = test_engine_config(t, NULL);
    cfg.out.row_json = on_row_json;
    cfg.many_transients = many;
    EddyError err;
    Engine *e = engine_create(&cfg, &err);
    if (e == NULL)
        fprintf(stderr, "engine_create: %s\n", err.msg);
    return e;
}

static void produce(Transport *t, const char *topic, int from, int to)
{
    EddyError err;
    for (int i = from; i < to; i++) {
        char k[32], v[64];
        int kl = snprintf(k, sizeof k, "k%d", i);
        int vl = snprintf(v, sizeof v, "{\"g\":%d}", i % 2);
        t->ops->produce(t, topic, -1, k, (size_t)kl, v, (size_t)vl, 1000 + i, &err);
    }
}

/* Lines of `tagged` that start with id. */
static int rows_of(const char *id)
{
    int n = 0;
    size_t len = strlen(id);
    for (const char *p = tagged.data; p && *p; p = strchr(p, '\n') + 1) {
        n += strncmp(p, id, len) == 0 && p[len] == ' ';
        if (strchr(p, '\n') == NULL)
            break;
    }
    return n;
}

static const char *const DDL =
    "CREATE STREAM a (id STRING KEY, g INT) WITH (kafka_topic='a', value_format='JSON', partitions=1);"
    "CREATE STREAM b (id STRING KEY, g INT) WITH (kafka_topic='b', value_format='JSON', partitions=1);";

static void test_many(void)
{
    Transport *t = memory_transport_create(1);
    Engine *e = make_many(t, true);
    EddyError err;
    CHECK(e != NULL);
    CHECK_EQ_INT(run(e, DDL, &err), 0);
    /* Ten push queries started in a burst (same ms): a, a WHERE g = 0, b, ... */
    static const char *const sql[] = {"SELECT * FROM a EMIT CHANGES;",
                                      "SELECT * FROM a WHERE g = 0 EMIT CHANGES;",
                                      "SELECT * FROM b EMIT CHANGES;",
                                      "SELECT * FROM b WHERE g = 1 EMIT CHANGES LIMIT 3;"};
    char ids[10][128];
    for (int i = 0; i < 10; i++) {
        CHECK_EQ_INT(run(e, sql[i % 4], &err), 0);
        CHECK_EQ_INT(engine_transient_count(e), i + 1);
        snprintf(ids[i], sizeof ids[i], "%s", engine_transient_id(e, i));
        CHECK(strncmp(ids[i], i % 4 < 2 ? "transient_A_" : "transient_B_", 12) == 0);
        for (int j = 0; j < i; j++)
            CHECK(strcmp(ids[i], ids[j]) != 0);
    }
    produce(t, "a", 0, 10);
    produce(t, "b", 0, 10);
    drain(e);
    /* a: 10 rows; a with g = 0: 5; b: 10; b with g = 1 and LIMIT 3: 3, then gone. */
    static const int want[] = {10, 5, 10, 3};
    for (int i = 0; i < 10; i++)
        CHECK_EQ_INT(rows_of(ids[i]), want[i % 4]);
    CHECK_EQ_INT(engine_transient_count(e), 8);   /* the two with LIMIT 3 ended */
    CHECK(!engine_transient_running(e, ids[3]));
    CHECK(!engine_transient_running(e, ids[7]));
    CHECK(engine_transient_running(e, ids[0]));

    /* Cancel one by id (any case): the others go on. */
    CHECK_EQ_INT(engine_cancel_query(e, ids[0]), 0);
    CHECK_EQ_INT(engine_cancel_query(e, ids[0]), -1);
    CHECK_EQ_INT(engine_cancel_query(e, "transient_NOPE_1"), -1);
    CHECK_EQ_INT(engine_transient_count(e), 7);
    sb_reset(&tagged);
    produce(t, "a", 10, 14);
    drain(e);
    CHECK_EQ_INT(rows_of(ids[0]), 0);
    CHECK_EQ_INT(rows_of(ids[4]), 4);
    CHECK_EQ_INT(rows_of(ids[5]), 2);

    /* TERMINATE ends a push query too (ksqlDB's TERMINATE of a transient id). */
    sb_reset(&text_out);
    char stmt[200];
    snprintf(stmt, sizeof stmt, "TERMINATE %s;", ids[4]);
    CHECK_EQ_INT(run(e, stmt, &err), 0);
    CHECK(!engine_transient_running(e, ids[4]));
    CHECK_EQ_INT(engine_transient_count(e), 6);
    CHECK(text_out.data && strstr(text_out.data, "terminated") != NULL);
    CHECK(run(e, stmt, &err) != 0);   /* not running any more */

    /* Ctrl-C: all of them. */
    engine_cancel_transient(e);
    CHECK_EQ_INT(engine_transient_count(e), 0);
    CHECK(!engine_has_transient(e));
    engine_destroy(e);
    t->ops->destroy(t);
}

static void test_one_at_a_time(void)
{
    Transport *t = memory_transport_create(1);
    Engine *e = make_many(t, false);
    EddyError err;
    CHECK(e != NULL);
    CHECK_EQ_INT(run(e, DDL, &err), 0);
    CHECK_EQ_INT(run(e, "SELECT * FROM a EMIT CHANGES;", &err), 0);
    char first[128];
    snprintf(first, sizeof first, "%s", engine_transient_id(e, 0));
    CHECK_EQ_INT(run(e, "SELECT * FROM b EMIT CHANGES;", &err), 0);
    CHECK_EQ_INT(engine_transient_count(e), 1);
    CHECK(!engine_transient_running(e, first));
    /* A failing SELECT changes nothing: the running one goes on. */
    char second[128];
    snprintf(second, sizeof second, "%s", engine_transient_id(e, 0));
    CHECK(run(e, "SELECT nope FROM a EMIT CHANGES;", &err) != 0);
    CHECK_EQ_INT(engine_transient_count(e), 1);
    CHECK(engine_transient_running(e, second));
    engine_destroy(e);
    t->ops->destroy(t);
}

int main(void)
{
    sb_init(&tagged);
    sb_puts(&tagged, "");
    sb_init(&text_out);
    sb_init(&log_out);
    sb_init(&rows_out);
    test_many();
    test_one_at_a_time();
    sb_free(&tagged);
    sb_free(&text_out);
    sb_free(&log_out);
    sb_free(&rows_out);
    return testutil_done();
}
