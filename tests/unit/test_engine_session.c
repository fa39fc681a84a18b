/*
 * test_engine_session.c - what a session (REPL, eddy run) sees of the
 * engine besides results: per-query progress and lag.  In-memory topics.
 */
#include "eddy/eddy.h"
#include "eddy/transport.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static StrBuf text_out, log_out;

static void on_text(void *ud, const char *t) { sb_puts(&text_out, t); }
static void on_log(void *ud, int level, const char *m) { sb_printf(&log_out, "%d %s\n", level, m); }
static void on_row(void *ud, const char *const *cols, int n, bool header) {}

static Engine *make(Transport *t, const char *state_dir)
{
    const char *props[] = {"auto.offset.reset", "earliest", NULL};
    EngineConfig cfg = {.transport = t, .state_dir = state_dir,
                        .out = {.text = on_text, .log = on_log, .row = on_row},
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
    int rc = engine_execute(e, sql, "test", &err);
    if (rc != 0)
        fprintf(stderr, "%s: %s\n", sql, err.msg);
    return rc;
}

static const char *DDL =
    "CREATE STREAM acc (id STRING KEY, severity INT, city STRING)\n"
    "  WITH (kafka_topic='acc', value_format='JSON');\n";

static void produce(Transport *t, int n)
{
    EddyError err;
    for (int i = 0; i < n; i++) {
        char k[32], v[64];
        int kl = snprintf(k, sizeof k, "k%d", i);
        int vl = snprintf(v, sizeof v, "{\"severity\":%d,\"city\":\"c%d\"}", i % 5, i % 7);
        t->ops->produce(t, "acc", -1, k, (size_t)kl, v, (size_t)vl, 1000 + i, &err);
    }
}

static void test_progress_and_lag(void)
{
    Transport *t = memory_transport_create(1);
    Engine *e = make(t, NULL);
    CHECK_EQ_INT(run(e, DDL), 0);
    CHECK_EQ_INT(run(e, "CREATE STREAM severe AS SELECT id, city FROM acc WHERE severity >= 3;"), 0);
    produce(t, 1200);
    EngineQueryProgress p[4];
    CHECK_EQ_INT(engine_query_progress(e, p, 4), 1);
    CHECK_STR(p[0].id, "CSAS_SEVERE_1");
    CHECK_EQ_INT(p[0].records_in, 0);
    CHECK_EQ_INT(p[0].lag, 1200);
    /* One poll takes one batch (500 records): the rest is the lag. */
    EddyError err;
    CHECK_EQ_INT(engine_poll(e, 0, &err), 500);
    CHECK_EQ_INT(engine_query_progress(e, p, 4), 1);
    CHECK_EQ_INT(p[0].records_in, 500);
    CHECK_EQ_INT(p[0].records_out, 200);   /* severity 3 and 4 of 0..4 */
    CHECK_EQ_INT(p[0].lag, 700);
    while (engine_poll(e, 0, &err) > 0) {
    }
    CHECK_EQ_INT(engine_query_progress(e, p, 4), 1);
    CHECK_EQ_INT(p[0].records_in, 1200);
    CHECK_EQ_INT(p[0].records_out, 480);
    CHECK_EQ_INT(p[0].lag, 0);
    /* A second query; max bounds what is filled, not what is counted. */
    CHECK_EQ_INT(run(e, "CREATE STREAM mild AS SELECT id, city FROM acc WHERE severity < 3;"), 0);
    CHECK_EQ_INT(engine_query_progress(e, p, 1), 2);
    CHECK_STR(p[0].id, "CSAS_SEVERE_1");
    CHECK_EQ_INT(engine_query_progress(e, p, 4), 2);
    CHECK_STR(p[1].id, "CSAS_MILD_2");
    CHECK_EQ_INT(p[1].lag, 1200);
    /* A terminated query is not running: no progress line. */
    CHECK_EQ_INT(run(e, "TERMINATE CSAS_SEVERE_1;"), 0);
    CHECK_EQ_INT(engine_query_progress(e, p, 4), 1);
    CHECK_STR(p[0].id, "CSAS_MILD_2");
    engine_destroy(e);
    t->ops->destroy(t);
}

int main(void)
{
    sb_init(&text_out);
    sb_init(&log_out);
    sb_puts(&text_out, "");
    sb_puts(&log_out, "");
    test_progress_and_lag();
    sb_free(&text_out);
    sb_free(&log_out);
    return testutil_done();
}
