/*
 * test_state_errors.c - a state read that fails is never taken for an
 * empty answer.  For every scan of a state store an operator or a pull
 * query makes, the memory twin is told to fail reads of that one store
 * (statedb_fail_reads, as a damaged RocksDB file would), then the record
 * that makes the scan arrives: the query stops with an error naming the
 * store, where it would have produced rows; a query whose stores cannot
 * be read when it starts is not created; a pull query's scan fails the
 * statement.  Afterwards the engine refuses to checkpoint (the failure is
 * kept by the StateDb).  In-memory topics and state.
 */
#include "eddy/eddy.h"
#include "eddy/store.h"
#include "eddy/transport.h"
#include "engine_int.h"   /* Engine.state: the hook needs the engine's StateDb */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static StrBuf text_out, log_out;

static void on_text(void *ud, const char *t) { sb_puts(&text_out, t); }
static void on_log(void *ud, int level, const char *m) { sb_printf(&log_out, "%d %s\n", level, m); }
static void on_row(void *ud, const char *const *cols, int n, bool header) {}

typedef struct Fixture {
    Transport *t;
    Engine *e;
} Fixture;

static Fixture open_engine(const char *ddl)
{
    Fixture f = {.t = memory_transport_create(1)};
    const char *props[] = {"auto.offset.reset", "earliest", "max.task.idle.ms", "0", NULL};
    EngineConfig cfg = {.transport = f.t, .out = {.text = on_text, .log = on_log, .row = on_row},
                        .props = props, .auto_create_topics = true, .deterministic = true};
    EddyError err;
    f.e = engine_create(&cfg, &err);
    sb_reset(&text_out);
    sb_reset(&log_out);
    if (engine_execute(f.e, ddl, "test", &err) != 0)
        fprintf(stderr, "%s\n-> %s\n", ddl, err.msg);
    return f;
}

static void close_engine(Fixture *f)
{
    engine_destroy(f->e);
    f->t->ops->destroy(f->t);
}

static void produce(Fixture *f, const char *topic, const char *key, const char *value, int64_t ts)
{
    EddyError err;
    f->t->ops->produce(f->t, topic, 0, key, strlen(key), value, value ? strlen(value) : 0, ts,
                       &err);
}

static void drain(Fixture *f)
{
    EddyError err;
    while (engine_poll(f->e, 0, &err) > 0) {
    }
}

static int records(Fixture *f, const char *topic)
{
    const TransportRecord *recs;
    return memory_transport_records(f->t, topic, &recs);
}

/* The query stopped, and said why: "query Q failed and was stopped:
 * cannot read state store Q.<store>: <the state's reason>". */
static void check_stopped(Fixture *f, const char *store)
{
    CHECK_EQ_INT(engine_running_queries(f->e), 0);
    char want[256];
    snprintf(want, sizeof want, "query %.*s failed and was stopped: cannot read state store %s: ",
             (int)strcspn(store, "."), store, store);
    const char *log = log_out.data ? log_out.data : "";
    CHECK(strstr(log, want) != NULL);
    if (strstr(log, want) == NULL)
        fprintf(stderr, "  want: %s\n  log:  %s\n", want, log);
    EddyError err;
    CHECK_EQ_INT(engine_checkpoint(f->e, &err), -1);   /* the failed read is remembered */
}

#define STREAM_S \
    "CREATE STREAM s (id STRING KEY, v INT) WITH (kafka_topic='s', value_format='JSON');\n"
#define STREAMS_LR \
    "CREATE STREAM l (id STRING KEY, a INT) WITH (kafka_topic='l', value_format='JSON');\n" \
    "CREATE STREAM r (id STRING KEY, b INT) WITH (kafka_topic='r', value_format='JSON');\n"

typedef struct Rec {
    const char *topic, *key, *value;
    int64_t ts;
} Rec;

/* A query, records that build its state, the store whose reads then fail,
 * and records that make the query scan it. */
typedef struct ScanCase {
    const char *what;
    const char *ddl;
    Rec before[2];
    const char *store;
    Rec after[3];
    const char *sink;             /* the query's topic */
    int rows_before, rows_after;  /* records in it before the failure, and at the end */
} ScanCase;

static const ScanCase SCANS[] = {
    {"session windows: every record scans its key's sessions",
     STREAM_S "CREATE TABLE t AS SELECT id, COUNT(*) AS n FROM s WINDOW SESSION (10 SECONDS) "
              "GROUP BY id;",
     {{"s", "a", "{\"v\":1}", 1000}},
     "CTAS_T_1.aggregate",
     {{"s", "a", "{\"v\":1}", 2000}, {"s", "b", "{\"v\":1}", 2000}},   /* would merge: 2 rows */
     "T", 1, 1},
    {"EMIT FINAL: closed windows are found by a scan of the pending ones",
     STREAM_S "CREATE TABLE t AS SELECT id, COUNT(*) AS n FROM s WINDOW TUMBLING (SIZE 1 SECOND) "
              "GROUP BY id EMIT FINAL;",
     {{"s", "a", "{\"v\":1}", 500}},
     "CTAS_T_1.final",
     {{"s", "a", "{\"v\":1}", 1500}},   /* closes [0, 1000): one row */
     "T", 0, 0},
    /* Its own row comes before the sweep; the query stops at the sweep, so
     * the records after it produce nothing. */
    {"retention: windows past it are found by a scan of the expiry index",
     STREAM_S "CREATE TABLE t AS SELECT id, COUNT(*) AS n FROM s WINDOW TUMBLING (SIZE 1 SECOND, "
              "GRACE PERIOD 0 SECONDS) GROUP BY id;",
     {{"s", "a", "{\"v\":1}", 500}},
     "CTAS_T_1.expiry",
     {{"s", "a", "{\"v\":1}", 1600}, {"s", "a", "{\"v\":1}", 1700}, {"s", "b", "{\"v\":1}", 1800}},
     "T", 1, 2},
    /* a recent record probes the buffer's copy in memory; one later than
     * that (here 29 s behind the stream time) scans the store */
    {"stream-stream join: a late record scans the other side's buffer for partners",
     STREAMS_LR "CREATE STREAM j AS SELECT l.id, a, b FROM l JOIN r WITHIN 10 SECONDS ON l.id = r.id;",
     {{"r", "k", "{\"b\":1}", 1000}, {"r", "k2", "{\"b\":1}", 30000}},
     "CSAS_J_1.join0.buf1",
     {{"l", "k", "{\"a\":1}", 1000}},   /* would join the right row */
     "J", 0, 0},
    {"outer join with a grace period: closed windows are found by a scan of the time index",
     STREAMS_LR "CREATE STREAM j AS SELECT l.id, a, b FROM l LEFT JOIN r WITHIN 10 SECONDS "
                "GRACE PERIOD 0 SECONDS ON l.id = r.id;",
     {{"l", "k1", "{\"a\":1}", 1000}},
     "CSAS_J_1.join0.exp0",
     {{"r", "k2", "{\"b\":1}", 30000}},   /* closes k1's window: its LEFT row */
     "J", 0, 0},
    {"foreign-key join: a right change scans the left rows that reference it",
     "CREATE TABLE o (id STRING PRIMARY KEY, cid STRING) WITH (kafka_topic='o', value_format='JSON');\n"
     "CREATE TABLE c (cid STRING PRIMARY KEY, name STRING) WITH (kafka_topic='c', value_format='JSON');\n"
     "CREATE TABLE oc AS SELECT o.id, name FROM o JOIN c ON o.cid = c.cid;",
     {{"o", "o1", "{\"cid\":\"c1\"}", 1000}},
     "CTAS_OC_1.join0.fk",
     {{"c", "c1", "{\"name\":\"x\"}", 2000}},   /* would join o1 */
     "OC", 0, 0},
};

static void produce_all(Fixture *f, const Rec *recs, int max)
{
    for (int i = 0; i < max && recs[i].topic; i++)
        produce(f, recs[i].topic, recs[i].key, recs[i].value, recs[i].ts);
    drain(f);
}

static void test_operator_scans(void)
{
    for (size_t i = 0; i < sizeof SCANS / sizeof SCANS[0]; i++) {
        const ScanCase *c = &SCANS[i];
        fprintf(stderr, "- %s\n", c->what);
        Fixture f = open_engine(c->ddl);
        produce_all(&f, c->before, 2);
        CHECK_EQ_INT(records(&f, c->sink), c->rows_before);
        statedb_fail_reads(f.e->state, c->store);
        produce_all(&f, c->after, 3);
        CHECK_EQ_INT(records(&f, c->sink), c->rows_after);
        check_stopped(&f, c->store);
        close_engine(&f);
    }
}

/* A query's stream times are read back when it starts: a failed read
 * fails the statement, which creates nothing. */
static void test_start_scan(void)
{
    static const struct {
        const char *ddl, *query, *store, *sink;
    } cases[] = {
        {STREAM_S,
         "CREATE TABLE t AS SELECT id, COUNT(*) AS n FROM s WINDOW TUMBLING (SIZE 1 SECOND) "
         "GROUP BY id;",
         "CTAS_T_1.meta", "T"},
        {STREAMS_LR,
         "CREATE STREAM j AS SELECT l.id, a, b FROM l JOIN r WITHIN 10 SECONDS ON l.id = r.id;",
         "CSAS_J_1.join0.meta", "J"},
        {STREAMS_LR,   /* the buffers' copy in memory is loaded from them */
         "CREATE STREAM j AS SELECT l.id, a, b FROM l JOIN r WITHIN 10 SECONDS ON l.id = r.id;",
         "CSAS_J_1.join0.buf1", "J"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Fixture f = open_engine(cases[i].ddl);
        statedb_fail_reads(f.e->state, cases[i].store);
        EddyError err;
        eddy_error_clear(&err);
        CHECK_EQ_INT(engine_execute(f.e, cases[i].query, "test", &err), -1);
        CHECK(strstr(err.msg, cases[i].store) != NULL);
        CHECK_EQ_INT(engine_running_queries(f.e), 0);
        sb_reset(&text_out);
        engine_execute(f.e, "SHOW STREAMS; SHOW TABLES;", "test", &err);
        char name[32];
        snprintf(name, sizeof name, " %s ", cases[i].sink);
        CHECK(text_out.data && strstr(text_out.data, name) == NULL);
        close_engine(&f);
    }
}

/* Pull queries: a scan of the materialised table, whole or of a key's
 * windows, fails the statement. */
static void test_pull_scan(void)
{
    Fixture f = open_engine(STREAM_S
                            "CREATE TABLE t AS SELECT id, COUNT(*) AS n FROM s GROUP BY id;\n"
                            "CREATE TABLE w AS SELECT id, COUNT(*) AS n FROM s WINDOW TUMBLING "
                            "(SIZE 1 SECOND) GROUP BY id;");
    produce(&f, "s", "a", "{\"v\":1}", 500);
    drain(&f);
    EddyError err;
    CHECK_EQ_INT(engine_execute(f.e, "SELECT * FROM t;", "test", &err), 0);
    statedb_fail_reads(f.e->state, "CTAS_T_1.materialized");
    eddy_error_clear(&err);
    CHECK_EQ_INT(engine_execute(f.e, "SELECT * FROM t;", "test", &err), -1);
    CHECK(strstr(err.msg, "cannot read state store CTAS_T_1.materialized") != NULL);
    statedb_fail_reads(f.e->state, "CTAS_W_2.materialized");
    eddy_error_clear(&err);
    CHECK_EQ_INT(engine_execute(f.e, "SELECT * FROM w WHERE id = 'a';", "test", &err), -1);
    CHECK(strstr(err.msg, "cannot read state store CTAS_W_2.materialized") != NULL);
    close_engine(&f);
}

int main(void)
{
    sb_init(&text_out);
    sb_init(&log_out);
    test_operator_scans();
    test_start_scan();
    test_pull_scan();
    sb_free(&text_out);
    sb_free(&log_out);
    printf("%d passed, %d failed\n", tu_passed, tu_failed);
    return tu_failed ? 1 : 0;
}
