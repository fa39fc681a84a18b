/*
 * test_engine_metrics.c - the numbers GET /metrics, DESCRIBE EXTENDED and
 * SHOW QUERIES EXTENDED show, through the embedding API on in-memory
 * topics: lag per input partition (exact, before and after the records
 * are taken), late records of a windowed aggregate, checkpoints counted
 * only for the queries they moved on, state bytes (none for a stateless
 * query), and no wall-clock figure in a deterministic run's text.
 */
#include "eddy/eddy.h"
#include "eddy/transport.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static StrBuf text_out;

static void on_text(void *ud, const char *t) { sb_puts(&text_out, t); }
static void on_log(void *ud, int level, const char *m) {}
static void on_row(void *ud, const char *const *cols, int n, bool header) {}

static Engine *make(Transport *t)
{
    const char *props[] = {"auto.offset.reset", "earliest", "max.task.idle.ms", "-1", NULL};
    EngineConfig cfg = {.transport = t, .out = {.text = on_text, .log = on_log, .row = on_row},
                        .props = props, .auto_create_topics = true, .deterministic = true};
    EddyError err;
    Engine *e = engine_create(&cfg, &err);
    if (e == NULL)
        fprintf(stderr, "engine_create: %s\n", err.msg);
    return e;
}

static int run(Engine *e, const char *sql)
{
    EddyError err;
    sb_reset(&text_out);
    int rc = engine_execute(e, sql, "test", &err);
    if (rc != 0)
        fprintf(stderr, "%s: %s\n", sql, err.msg);
    return rc;
}

static void put(Transport *t, const char *topic, int partition, const char *key, const char *value,
                int64_t ts)
{
    EddyError err;
    CHECK_EQ_INT(t->ops->produce(t, topic, partition, key, strlen(key), value, strlen(value), ts,
                                 &err),
                 0);
}

static void poll_all(Engine *e)
{
    EddyError err;
    for (int i = 0; i < 100 && !(engine_poll(e, 0, &err) == 0 && engine_caught_up(e)); i++) {
    }
}

static const EngineQueryProgress *find(EngineQueryProgress *p, int n, const char *id)
{
    for (int i = 0; i < n; i++)
        if (strcmp(p[i].id, id) == 0)
            return &p[i];
    CHECK(false);
    return &p[0];
}

static void test_partition_lag_late_checkpoints_state(void)
{
    Transport *t = memory_transport_create(4);
    Engine *e = make(t);
    CHECK_EQ_INT(run(e, "CREATE STREAM ev (id STRING KEY, n INT) WITH (kafka_topic='ev', "
                        "value_format='JSON', partitions=4);"),
                 0);
    /* 2, 3, 0 and 4 records on partitions 0..3. */
    static const int per[4] = {2, 3, 0, 4};
    for (int p = 0; p < 4; p++)
        for (int i = 0; i < per[p]; i++)
            put(t, "ev", p, "k", "{\"N\":1}", 1000 + i);
    CHECK_EQ_INT(run(e, "CREATE TABLE ev_count AS SELECT id, COUNT(*) AS c FROM ev GROUP BY id;"), 0);
    CHECK_EQ_INT(run(e, "CREATE STREAM ev_copy AS SELECT * FROM ev;"), 0);
    /* The windowed one: stream time 25000 closes [0, 10000) (no grace);
     * 1000 and 5000 are late for it, 21000 is not. */
    CHECK_EQ_INT(run(e, "CREATE STREAM lt (id STRING KEY, x INT) WITH (kafka_topic='lt', "
                        "value_format='JSON', partitions=1);"),
                 0);
    put(t, "lt", 0, "a", "{\"X\":1}", 0);
    put(t, "lt", 0, "a", "{\"X\":1}", 25000);
    put(t, "lt", 0, "a", "{\"X\":1}", 1000);
    put(t, "lt", 0, "a", "{\"X\":1}", 5000);
    put(t, "lt", 0, "a", "{\"X\":1}", 21000);
    CHECK_EQ_INT(run(e, "CREATE TABLE lt_count AS SELECT id, COUNT(*) AS c FROM lt "
                        "WINDOW TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 0 SECONDS) GROUP BY id;"),
                 0);

    EnginePartitionLag lags[8];
    CHECK_EQ_INT(engine_query_partition_lags(e, "CTAS_EV_COUNT_1", lags, 8), 4);
    for (int i = 0; i < 4; i++) {
        CHECK_STR(lags[i].topic, "ev");
        CHECK_EQ_INT(lags[i].partition, i);
        CHECK_EQ_INT(lags[i].lag, per[i]);
    }
    CHECK_EQ_INT(engine_query_partition_lags(e, "CTAS_EV_COUNT_1", lags, 2), 4);   /* max bounds filling */
    CHECK_EQ_INT(engine_query_partition_lags(e, "NO_SUCH_QUERY", lags, 8), -1);
    EngineQueryProgress p[4];
    CHECK_EQ_INT(engine_query_progress(e, p, 4), 3);
    CHECK_EQ_INT(find(p, 3, "CTAS_EV_COUNT_1")->checkpoints, 0);
    CHECK_EQ_INT(find(p, 3, "CSAS_EV_COPY_2")->state_bytes, -1);   /* stateless */

    poll_all(e);
    EddyError err;
    CHECK_EQ_INT(engine_checkpoint(e, &err), 0);
    CHECK_EQ_INT(engine_query_partition_lags(e, "CTAS_EV_COUNT_1", lags, 8), 4);
    for (int i = 0; i < 4; i++)
        CHECK_EQ_INT(lags[i].lag, 0);
    CHECK_EQ_INT(engine_query_progress(e, p, 4), 3);
    const EngineQueryProgress *c = find(p, 3, "CTAS_EV_COUNT_1");
    CHECK_EQ_INT(c->records_in, 9);
    CHECK_EQ_INT(c->records_late, 0);
    CHECK(c->checkpoints >= 1);
    CHECK(c->state_bytes > 0);
    const EngineQueryProgress *w = find(p, 3, "CTAS_LT_COUNT_3");
    CHECK_EQ_INT(w->records_in, 5);
    CHECK_EQ_INT(w->records_late, 2);
    EngineStats st;
    engine_stats(e, &st);
    CHECK_EQ_INT(st.records_late, 2);

    /* A checkpoint with nothing new moves no query on: not counted. */
    int64_t before = c->checkpoints;
    CHECK_EQ_INT(engine_checkpoint(e, &err), 0);
    engine_query_progress(e, p, 4);
    CHECK_EQ_INT(find(p, 3, "CTAS_EV_COUNT_1")->checkpoints, before);
    /* New input for ev only: its queries count one more, lt_count not. */
    int64_t wbefore = find(p, 3, "CTAS_LT_COUNT_3")->checkpoints;
    put(t, "ev", 2, "k", "{\"N\":1}", 5000);
    poll_all(e);
    CHECK_EQ_INT(engine_checkpoint(e, &err), 0);
    engine_query_progress(e, p, 4);
    CHECK_EQ_INT(find(p, 3, "CTAS_EV_COUNT_1")->checkpoints, before + 1);
    CHECK_EQ_INT(find(p, 3, "CTAS_LT_COUNT_3")->checkpoints, wbefore);

    /* The same numbers in DESCRIBE EXTENDED; no durations (wall clock) in
     * a deterministic run. */
    CHECK_EQ_INT(run(e, "DESCRIBE lt_count EXTENDED;"), 0);
    CHECK(strstr(text_out.data, "Queries that write into this TABLE\n") != NULL);
    CHECK(strstr(text_out.data, "CTAS_LT_COUNT_3 (RUNNING) : CREATE TABLE lt_count AS") != NULL);
    CHECK(strstr(text_out.data, "total-messages: 5  messages-out: 3  failed-messages: 0  "
                                "expression-errors: 0  late-messages: 2\n") != NULL);
    CHECK(strstr(text_out.data, "consumer-lag: 0  state-bytes: ") != NULL);
    CHECK(strstr(text_out.data, "checkpoint-ms") == NULL);
    CHECK_EQ_INT(run(e, "DESCRIBE ev EXTENDED;"), 0);
    CHECK(strstr(text_out.data, "Queries that read from this STREAM\n") != NULL);
    CHECK(strstr(text_out.data, "state-bytes: none (stateless)") != NULL);
    CHECK(strstr(text_out.data, " ev          | 3         | 0   ") != NULL);
    CHECK_EQ_INT(run(e, "SHOW QUERIES EXTENDED;"), 0);
    CHECK(strstr(text_out.data, "ID                   : CTAS_EV_COUNT_1\n") != NULL);
    CHECK(strstr(text_out.data, "Sources that this query reads from: LT\n"
                                "Sinks that this query writes to: LT_COUNT\n") != NULL);
    CHECK(strstr(text_out.data, "total-messages: 10  ") != NULL);
    engine_destroy(e);
    t->ops->destroy(t);
}

int main(void)
{
    sb_init(&text_out);
    sb_puts(&text_out, "");
    test_partition_lag_late_checkpoints_state();
    sb_free(&text_out);
    return testutil_done();
}
