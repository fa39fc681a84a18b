/*
 * test_engine.c - the engine through its embedding API on in-memory
 * topics: positioned errors with hints, statements that fail change
 * nothing, the persisted catalog and restart, SHOW/DESCRIBE/EXPLAIN
 * text, INSERT VALUES, bad records counted, push queries to a client,
 * pull queries (lookups, scans, LIMIT, window bounds as text or epoch ms).
 */
#include "eddy/eddy.h"
#include "eddy/engine/serde.h"
#include "eddy/transport.h"
#include "engine_testutil.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *DDL =
    "CREATE STREAM acc (id STRING KEY, severity INT, city STRING)\n"
    "  WITH (kafka_topic='acc', value_format='JSON');\n";

static void test_positioned_errors(void)
{
    Transport *t = memory_transport_create(1);
    Engine *e = make(t, NULL);
    EddyError err;
    CHECK_EQ_INT(run(e, DDL, &err), 0);

    /* Misspelt column: line and column of the name, and a hint. */
    const char *bad = "CREATE STREAM o AS\n  SELECT id,\n         sevrity FROM acc;";
    CHECK_EQ_INT(run(e, bad, &err), -1);
    CHECK_EQ_INT(err.pos.line, 3);
    CHECK_EQ_INT(err.pos.col, 10);
    CHECK(strstr(err.msg, "SEVRITY") != NULL);
    CHECK(strstr(err.msg, "did you mean SEVERITY?") != NULL);
    char buf[2048];
    eddy_error_format(&err, bad, buf, sizeof buf);
    CHECK(strstr(buf, "line 3:10: ") == buf);
    CHECK(strstr(buf, "\n         sevrity FROM acc;\n         ^") != NULL);

    /* Misspelt stream name. */
    CHECK_EQ_INT(run(e, "SELECT * FROM acx;", &err), -1);
    CHECK(strstr(err.msg, "did you mean ACC?") != NULL);
    CHECK_EQ_INT(err.pos.col, 15);

    /* Syntax error: FORM reads as an alias of id, so the error is at acc,
     * and the message says FROM was expected. */
    CHECK_EQ_INT(run(e, "SELECT id\nFORM acc;", &err), -1);
    CHECK_EQ_INT(err.kind, ERR_SYNTAX);
    CHECK_EQ_INT(err.pos.line, 2);
    CHECK_EQ_INT(err.pos.col, 6);
    CHECK(strstr(err.msg, "expected one of: FROM") != NULL);

    /* Type error in WHERE names both sides. */
    CHECK_EQ_INT(run(e, "CREATE STREAM o AS SELECT id FROM acc WHERE severity = 'x';", &err), -1);
    CHECK(strstr(err.msg, "SEVERITY (INTEGER)") != NULL);
    CHECK(strstr(err.msg, "STRING") != NULL);

    /* None of the failures changed the catalog. */
    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "SHOW STREAMS;", &err), 0);
    CHECK(strstr(text_out.data, "ACC") != NULL);
    CHECK(strstr(text_out.data, " O ") == NULL);
    engine_destroy(e);
    t->ops->destroy(t);
}

static void test_failed_statement_changes_nothing(void)
{
    Transport *t = memory_transport_create(1);
    Engine *e = make(t, NULL);
    EddyError err;
    /* The second statement fails: the first stays, the third never runs. */
    const char *script = "CREATE STREAM a (id STRING KEY, v INT) WITH (kafka_topic='a', value_format='JSON');\n"
                         "CREATE STREAM b (id STRING KEY, v INT) WITH (kafka_topic='b', value_format='AVROX');\n"
                         "CREATE STREAM c (id STRING KEY, v INT) WITH (kafka_topic='c', value_format='JSON');\n";
    CHECK_EQ_INT(run(e, script, &err), -1);
    CHECK_EQ_INT(err.pos.line, 2);
    CHECK(strstr(err.msg, "AVROX") != NULL);
    sb_reset(&text_out);
    run(e, "SHOW STREAMS;", &err);
    CHECK(strstr(text_out.data, " A ") != NULL);
    CHECK(strstr(text_out.data, " B ") == NULL);
    CHECK(strstr(text_out.data, " C ") == NULL);
    engine_destroy(e);
    t->ops->destroy(t);
}

static void test_catalog_persists(void)
{
    char dir[] = "/tmp/eddy-test-engine-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    Transport *t = memory_transport_create(1);
    Engine *e = make(t, dir);
    EddyError err;
    CHECK_EQ_INT(run(e, DDL, &err), 0);
    const char *csas = "CREATE STREAM severe AS SELECT id, city FROM acc WHERE severity >= 3;";
    CHECK_EQ_INT(run(e, csas, &err), 0);
    CHECK_EQ_INT(engine_running_queries(e), 1);
    t->ops->produce(t, "acc", -1, "a1", 2, "{\"severity\":4,\"city\":\"Dallas\"}", 30, 1000, &err);
    drain(e);
    CHECK_EQ_INT(engine_checkpoint(e, &err), 0);
    engine_destroy(e);

    /* Restart on the same state: the catalog and the query come back, the
     * same statements again are skipped, and the query resumes from its
     * committed offset (no duplicate output). */
    e = make(t, dir);
    CHECK(e != NULL);
    CHECK_EQ_INT(engine_running_queries(e), 1);
    CHECK_EQ_INT(run(e, DDL, &err), 0);
    CHECK_EQ_INT(run(e, csas, &err), 0);
    CHECK_EQ_INT(engine_running_queries(e), 1);
    t->ops->produce(t, "acc", -1, "a2", 2, "{\"severity\":3,\"city\":\"Austin\"}", 30, 2000, &err);
    drain(e);
    const TransportRecord *recs;
    int n = memory_transport_records(t, "SEVERE", &recs);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_STR((const char *)recs[0].value, "{\"CITY\":\"Dallas\"}");
        CHECK_STR((const char *)recs[1].value, "{\"CITY\":\"Austin\"}");
    }
    /* A different definition under an existing name is an error. */
    CHECK_EQ_INT(run(e, "CREATE STREAM severe AS SELECT id, city FROM acc;", &err), -1);
    CHECK(strstr(err.msg, "already exists") != NULL);
    engine_destroy(e);
    t->ops->destroy(t);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ_INT(system(cmd), 0);
}

/* CREATE TYPE and ALTER ... ADD COLUMN go to the command log: after a
 * restart the type name is known again (SHOW TYPES, a new source using
 * it) and the added column is read by a query created afterwards. */
static void test_types_and_alter_persist(void)
{
    char dir[] = "/tmp/eddy-test-engine-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    Transport *t = memory_transport_create(1);
    Engine *e = make(t, dir);
    EddyError err;
    CHECK_EQ_INT(run(e, "CREATE TYPE pair AS STRUCT<a INT, b STRING>;", &err), 0);
    CHECK_EQ_INT(run(e, "CREATE STREAM s (id STRING KEY, p PAIR) WITH (kafka_topic='s', value_format='JSON');", &err), 0);
    CHECK_EQ_INT(run(e, "ALTER STREAM s ADD COLUMN extra INT;", &err), 0);
    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "SHOW TYPES;", &err), 0);
    CHECK(strstr(text_out.data, "PAIR") != NULL);
    CHECK(strstr(text_out.data, "STRUCT<`A` INTEGER, `B` STRING>") != NULL);
    CHECK_EQ_INT(engine_checkpoint(e, &err), 0);
    engine_destroy(e);

    e = make(t, dir);
    CHECK(e != NULL);
    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "SHOW TYPES;", &err), 0);
    CHECK(strstr(text_out.data, "PAIR") != NULL);
    CHECK_EQ_INT(run(e, "CREATE STREAM s2 (id STRING KEY, q PAIR) WITH (kafka_topic='s2', value_format='JSON');", &err), 0);
    CHECK_EQ_INT(run(e, "CREATE STREAM o AS SELECT id, p->b AS b, extra FROM s;", &err), 0);
    t->ops->produce(t, "s", -1, "k", 1, "{\"P\":{\"A\":1,\"B\":\"x\"},\"EXTRA\":5}", 31, 1000, &err);
    drain(e);
    const TransportRecord *recs;
    int n = memory_transport_records(t, "O", &recs);
    CHECK_EQ_INT(n, 1);
    if (n == 1)
        CHECK_STR((const char *)recs[0].value, "{\"B\":\"x\",\"EXTRA\":5}");
    CHECK_EQ_INT(run(e, "DROP TYPE pair;", &err), 0);
    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "SHOW TYPES;", &err), 0);
    CHECK(strstr(text_out.data, "PAIR") == NULL);
    engine_destroy(e);
    t->ops->destroy(t);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ_INT(system(cmd), 0);
}

/* The catalog re-parses each statement's text on restart: negative
 * literals in a query must mean the same afterwards (issue 7: they lost
 * their sign when bound). */
static void test_negative_literals_survive_restart(void)
{
    char dir[] = "/tmp/eddy-test-engine-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    Transport *t = memory_transport_create(1);
    Engine *e = make(t, dir);
    EddyError err;
    const char *ddl = "CREATE STREAM pos (id STRING KEY, lng DOUBLE, d DECIMAL(6,4)) "
                      "WITH (kafka_topic='pos', value_format='JSON');";
    const char *csas = "CREATE STREAM west AS SELECT id, lng * -1.5 AS x, d + -0.25 AS y, -1.5E0 AS z "
                       "FROM pos WHERE lng BETWEEN -95.0 AND -94.0 AND lng <> -94.5;";
    CHECK_EQ_INT(run(e, ddl, &err), 0);
    CHECK_EQ_INT(run(e, csas, &err), 0);
    CHECK_EQ_INT(run(e, "INSERT INTO pos (id, lng, d) VALUES ('a', -94.6, -0.5);", &err), 0);
    drain(e);
    CHECK_EQ_INT(engine_checkpoint(e, &err), 0);
    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "EXPLAIN CSAS_WEST_1;", &err), 0);
    CHECK(strstr(text_out.data, "(LNG BETWEEN -95.0 AND -94.0)") != NULL);
    CHECK(strstr(text_out.data, "(LNG <> -94.5)") != NULL);
    engine_destroy(e);

    e = make(t, dir);
    CHECK(e != NULL);
    CHECK_EQ_INT(engine_running_queries(e), 1);
    CHECK_EQ_INT(run(e, "INSERT INTO pos (id, lng, d) VALUES ('b', -94.2, -1.25);", &err), 0);
    CHECK_EQ_INT(run(e, "INSERT INTO pos (id, lng, d) VALUES ('c', 94.2, -1.25);", &err), 0);
    CHECK_EQ_INT(run(e, "INSERT INTO pos (id, lng, d) VALUES ('d', -94.5, -1.25);", &err), 0);
    drain(e);
    const TransportRecord *recs;
    int n = memory_transport_records(t, "WEST", &recs);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_STR((const char *)recs[0].value, "{\"X\":141.89999999999998,\"Y\":-0.7500,\"Z\":-1.5}");
        CHECK_STR((const char *)recs[1].value, "{\"X\":141.3,\"Y\":-1.5000,\"Z\":-1.5}");
    }
    engine_destroy(e);
    t->ops->destroy(t);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ_INT(system(cmd), 0);
}

static void test_show_describe_explain(void)
{
    Transport *t = memory_transport_create(1);
    Engine *e = make(t, NULL);
    EddyError err;
    run(e, DDL, &err);
    CHECK_EQ_INT(run(e, "CREATE STREAM s2 AS SELECT id, UCASE(city) AS c FROM acc WHERE severity > 1;", &err), 0);
    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "DESCRIBE acc;", &err), 0);
    CHECK(strstr(text_out.data, "ID") && strstr(text_out.data, "(key)"));
    CHECK(strstr(text_out.data, "SEVERITY") && strstr(text_out.data, "INTEGER"));
    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "SHOW QUERIES;", &err), 0);
    CHECK(strstr(text_out.data, "CSAS_S2_1") != NULL);
    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "EXPLAIN CSAS_S2_1;", &err), 0);
    const char *p = text_out.data;
    const char *sink = strstr(p, "Sink S2"), *proj = strstr(p, "Project"),
               *filt = strstr(p, "Filter WHERE (SEVERITY > 1)"), *src = strstr(p, "Source ACC");
    CHECK(sink && proj && filt && src && sink < proj && proj < filt && filt < src);
    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "DESCRIBE FUNCTION ucase;", &err), 0);
    CHECK(strstr(text_out.data, "UCASE") != NULL);
    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "SHOW FUNCTIONS;", &err), 0);
    CHECK(strstr(text_out.data, "GEO_DISTANCE") != NULL);
    CHECK(strstr(text_out.data, "EXTRACTJSONFIELD") != NULL);
    engine_destroy(e);
    t->ops->destroy(t);
}

static void test_insert_values_and_bad_records(void)
{
    Transport *t = memory_transport_create(1);
    Engine *e = make(t, NULL);
    EddyError err;
    run(e, DDL, &err);
    CHECK_EQ_INT(run(e, "CREATE STREAM s AS SELECT id, severity * 2 AS dbl FROM acc;", &err), 0);
    CHECK_EQ_INT(run(e, "INSERT INTO acc (id, severity, city) VALUES ('k1', 4, 'X');", &err), 0);
    /* Wrong type for a column: rejected, nothing produced. */
    CHECK_EQ_INT(run(e, "INSERT INTO acc (id, severity) VALUES ('k2', 'high');", &err), -1);
    CHECK(strstr(err.msg, "SEVERITY") != NULL);
    t->ops->produce(t, "acc", -1, "k3", 2, "{not json", 9, 5, &err);
    t->ops->produce(t, "acc", -1, "k4", 2, "{\"severity\":1}", 14, 6, &err);
    drain(e);
    const TransportRecord *recs;
    int n = memory_transport_records(t, "S", &recs);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_STR((const char *)recs[0].value, "{\"DBL\":8}");
        CHECK_STR((const char *)recs[1].value, "{\"DBL\":2}");
    }
    EngineStats st;
    engine_stats(e, &st);
    CHECK_EQ_INT(st.records_in, 3);
    CHECK_EQ_INT(st.records_skipped, 1);
    CHECK(strstr(log_out.data, "skipped bad record at acc[0]@1") != NULL);
    engine_destroy(e);
    t->ops->destroy(t);
}

/* CUBE_EXPLODE's bound: 12 elements give all 4,096 combinations, 13 drop
 * the record as an expression error (logged with its position), and the
 * records around it are processed. */
static void test_cube_explode_bound(void)
{
    Transport *t = memory_transport_create(1);
    Engine *e = make(t, NULL);
    EddyError err;
    CHECK_EQ_INT(run(e, "CREATE STREAM arrs (id STRING KEY, a ARRAY<INT>) "
                        "WITH (kafka_topic='arrs', value_format='JSON');", &err), 0);
    CHECK_EQ_INT(run(e, "CREATE STREAM cubes AS SELECT id, CUBE_EXPLODE(a) AS c FROM arrs;", &err), 0);
    const char *twelve = "{\"a\":[1,2,3,4,5,6,7,8,9,10,11,12]}";
    const char *thirteen = "{\"a\":[1,2,3,4,5,6,7,8,9,10,11,12,13]}";
    const char *two = "{\"a\":[1,2]}";
    t->ops->produce(t, "arrs", -1, "a", 1, twelve, strlen(twelve), 1, &err);
    t->ops->produce(t, "arrs", -1, "b", 1, thirteen, strlen(thirteen), 2, &err);
    t->ops->produce(t, "arrs", -1, "c", 1, two, strlen(two), 3, &err);
    drain(e);
    const TransportRecord *recs;
    int n = memory_transport_records(t, "CUBES", &recs);
    CHECK_EQ_INT(n, 4096 + 4);
    if (n == 4096 + 4) {
        CHECK_STR((const char *)recs[0].value,
                  "{\"C\":[null,null,null,null,null,null,null,null,null,null,null,null]}");
        CHECK_STR((const char *)recs[4095].value, "{\"C\":[1,2,3,4,5,6,7,8,9,10,11,12]}");
        CHECK(recs[4096].key_len == 1 && ((const char *)recs[4096].key)[0] == 'c');
        CHECK_STR((const char *)recs[4099].value, "{\"C\":[1,2]}");
    }
    EngineStats st;
    engine_stats(e, &st);
    CHECK_EQ_INT(st.records_in, 3);
    CHECK_EQ_INT(st.eval_errors, 1);
    CHECK(strstr(log_out.data, "CUBE_EXPLODE input size (13) exceeds the maximum of 12") != NULL);
    engine_destroy(e);
    t->ops->destroy(t);
}

static void test_push_query_rows(void)
{
    Transport *t = memory_transport_create(1);
    Engine *e = make(t, NULL);
    EddyError err;
    run(e, DDL, &err);
    t->ops->produce(t, "acc", -1, "a", 1, "{\"severity\":1,\"city\":\"x\"}", 25, 1, &err);
    t->ops->produce(t, "acc", -1, "b", 1, "{\"severity\":4,\"city\":\"y\"}", 25, 2, &err);
    t->ops->produce(t, "acc", -1, "c", 1, "{\"severity\":4,\"city\":\"z\"}", 25, 3, &err);
    sb_reset(&rows_out);
    /* Without EMIT CHANGES: what is in the stream now, then done. */
    CHECK_EQ_INT(run(e, "SELECT id, city FROM acc WHERE severity = 4 LIMIT 1;", &err), 0);
    CHECK_STR(rows_out.data, "ID,CITY (header)\nb,y\n");
    CHECK(!engine_has_transient(e));
    /* A push query, then a SELECT that fails analysis: the bad one changes
     * nothing (the running query goes on; the failed one's memory is gone
     * and nothing may point into it: ASan checks); a good one replaces it. */
    CHECK_EQ_INT(run(e, "SELECT id FROM acc EMIT CHANGES;", &err), 0);
    CHECK(engine_has_transient(e));
    CHECK_EQ_INT(run(e, "SELECT sevrity FROM acc EMIT CHANGES;", &err), -1);
    CHECK_EQ_INT(engine_transient_count(e), 1);
    CHECK_EQ_INT(run(e, "SELECT city FROM acc EMIT CHANGES;", &err), 0);
    CHECK_EQ_INT(engine_transient_count(e), 1);
    engine_cancel_transient(e);
    CHECK(!engine_has_transient(e));
    engine_destroy(e);
    t->ops->destroy(t);
}

/* Accidents in `cities` at times `ts`, severity 1, 2, ...; then runs the
 * queries until idle. */
static void produce_acc(Engine *e, Transport *t, const char *const *cities, const int64_t *ts, int n)
{
    EddyError err;
    for (int i = 0; i < n; i++) {
        char v[64];
        int len = snprintf(v, sizeof v, "{\"severity\":%d,\"city\":\"%s\"}", i + 1, cities[i]);
        t->ops->produce(t, "acc", -1, "k", 1, v, (size_t)len, ts[i], &err);
    }
    drain(e);
}

static void test_pull_queries(void)
{
    Transport *t = memory_transport_create(1);
    Engine *e = make(t, NULL);
    EddyError err;
    run(e, DDL, &err);
    CHECK_EQ_INT(run(e, "CREATE TABLE per_city AS SELECT city, COUNT(*) AS n, MAX(severity) AS worst "
                        "FROM acc GROUP BY city;", &err), 0);
    CHECK_EQ_INT(run(e, "CREATE TABLE per_min AS SELECT city, COUNT(*) AS n FROM acc "
                        "WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY city;", &err), 0);
    const char *const cities[] = {"Dallas", "Austin", "Dallas", "Waco", "Dallas"};
    const int64_t ts[] = {1000, 2000, 70000, 80000, 130000};
    produce_acc(e, t, cities, ts, 5);
    /* Point lookup on the key. */
    sb_reset(&rows_out);
    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "SELECT city, n, worst FROM per_city WHERE city = 'Dallas';", &err), 0);
    CHECK_STR(rows_out.data, "CITY,N,WORST (header)\nDallas,3,5\n");
    CHECK(strstr(text_out.data, "(1 row from PER_CITY)") != NULL);
    /* IN: several lookups; an absent key gives nothing. */
    sb_reset(&rows_out);
    CHECK_EQ_INT(run(e, "SELECT * FROM per_city WHERE city IN ('Waco', 'Austin', 'Nowhere');", &err), 0);
    CHECK_STR(rows_out.data, "CITY,N,WORST (header)\nWaco,1,4\nAustin,1,2\n");
    /* A WHERE on a value column is a scan, in key order. */
    sb_reset(&rows_out);
    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "SELECT city FROM per_city WHERE n = 1;", &err), 0);
    CHECK_STR(rows_out.data, "CITY (header)\nAustin\nWaco\n");
    CHECK(strstr(text_out.data, "by a table scan") != NULL);
    /* A windowed table: the key's windows, bounded by WINDOWSTART. */
    sb_reset(&rows_out);
    CHECK_EQ_INT(run(e, "SELECT city, WINDOWSTART AS ws, WINDOWEND AS we, n FROM per_min "
                        "WHERE city = 'Dallas' AND WINDOWSTART >= 60000;", &err), 0);
    CHECK_STR(rows_out.data, "CITY,WS,WE,N (header)\nDallas,60000,120000,1\nDallas,120000,180000,1\n");
    /* A source table is not materialised: a clear error. */
    run(e, "CREATE TABLE ref (id STRING PRIMARY KEY, v INT) WITH (kafka_topic='ref', value_format='JSON');", &err);
    CHECK_EQ_INT(run(e, "SELECT * FROM ref WHERE id = 'x';", &err), -1);
    CHECK(strstr(err.msg, "not materialised") != NULL);
    engine_destroy(e);
    t->ops->destroy(t);
}

/* Rows of a statement that must succeed, "L:C: message" if it fails. */
static const char *rows_of(Engine *e, const char *sql)
{
    EddyError err;
    sb_reset(&rows_out);
    sb_reset(&text_out);
    if (run(e, sql, &err) != 0) {
        static char msg[sizeof err.msg + 32];
        snprintf(msg, sizeof msg, "%d:%d: %s", err.pos.line, err.pos.col, err.msg);
        return msg;
    }
    return rows_out.data ? rows_out.data : "";
}

/* 2023-01-01T00:00:00Z and one hour, in epoch milliseconds. */
#define DAY0 1672531200000LL
#define HOUR 3600000LL

/* LIMIT on every form of pull query (key lookup, IN lookup, scan, windowed
 * lookup and scan), LIMIT 0, and a negative LIMIT. */
static void test_pull_limit(void)
{
    Transport *t = memory_transport_create(1);
    Engine *e = make(t, NULL);
    EddyError err;
    run(e, DDL, &err);
    CHECK_EQ_INT(run(e, "CREATE TABLE per_city AS SELECT city, COUNT(*) AS n FROM acc GROUP BY city;", &err), 0);
    CHECK_EQ_INT(run(e, "CREATE TABLE per_hour AS SELECT city, COUNT(*) AS n FROM acc "
                        "WINDOW TUMBLING (SIZE 1 HOUR) GROUP BY city;", &err), 0);
    const char *const cities[] = {"Dallas", "Austin", "Dallas", "Waco", "Dallas"};
    const int64_t ts[] = {DAY0 + 4 * HOUR, DAY0 + 5 * HOUR, DAY0 + 5 * HOUR + 1, DAY0 + 6 * HOUR,
                          DAY0 + 6 * HOUR + 1};
    produce_acc(e, t, cities, ts, 5);
    CHECK_STR(rows_of(e, "SELECT city, n FROM per_city WHERE city = 'Dallas' LIMIT 1;"),
              "CITY,N (header)\nDallas,3\n");
    CHECK_STR(rows_of(e, "SELECT city, n FROM per_city WHERE city = 'Dallas' LIMIT 0;"), "CITY,N (header)\n");
    CHECK(strstr(text_out.data, "(0 rows from PER_CITY)") != NULL);
    CHECK_STR(rows_of(e, "SELECT city FROM per_city WHERE city IN ('Waco', 'Austin', 'Dallas') LIMIT 2;"),
              "CITY (header)\nWaco\nAustin\n");
    CHECK_STR(rows_of(e, "SELECT city FROM per_city LIMIT 2;"), "CITY (header)\nAustin\nDallas\n");
    CHECK(strstr(text_out.data, "(2 rows from PER_CITY, by a table scan)") != NULL);
    CHECK_STR(rows_of(e, "SELECT city FROM per_city WHERE n < 5 LIMIT 1;"), "CITY (header)\nAustin\n");
    CHECK_STR(rows_of(e, "SELECT * FROM per_city LIMIT 0;"), "CITY,N (header)\n");
    CHECK_STR(rows_of(e, "SELECT city FROM per_city LIMIT 9;"), "CITY (header)\nAustin\nDallas\nWaco\n");
    /* Windowed: the key's windows in start order, or the whole table. */
    CHECK_STR(rows_of(e, "SELECT city, WINDOWSTART - 1672531200000 AS ws FROM per_hour "
                         "WHERE city = 'Dallas' LIMIT 2;"),
              "CITY,WS (header)\nDallas,14400000\nDallas,18000000\n");
    CHECK_STR(rows_of(e, "SELECT city FROM per_hour WHERE city IN ('Waco', 'Dallas') LIMIT 2;"),
              "CITY (header)\nWaco\nDallas\n");
    CHECK_STR(rows_of(e, "SELECT city, n FROM per_hour LIMIT 1;"), "CITY,N (header)\nAustin,1\n");
    CHECK_STR(rows_of(e, "SELECT city FROM per_hour WHERE city = 'Dallas' LIMIT 0;"), "CITY (header)\n");
    /* A key compared with an expression of columns is no lookup: a scan. */
    CHECK_STR(rows_of(e, "SELECT city FROM per_city WHERE city = CONCAT(SUBSTRING(city, 1, 1), SUBSTRING(city, 2));"),
              "CITY (header)\nAustin\nDallas\nWaco\n");
    CHECK(strstr(text_out.data, "by a table scan") != NULL);
    CHECK_STR(rows_of(e, "SELECT city FROM per_city WHERE city IN ('Waco', LCASE(city)) LIMIT 5;"),
              "CITY (header)\nWaco\n");
    CHECK_STR(rows_of(e, "SELECT city FROM per_city WHERE city = CONCAT('Dal', 'las');"), "CITY (header)\nDallas\n");
    CHECK(strstr(text_out.data, "(1 row from PER_CITY)\n") != NULL);
    /* A negative LIMIT is an error at the sign; nothing runs. */
    CHECK_STR(rows_of(e, "SELECT city FROM per_city\n  LIMIT -1;"), "2:9: LIMIT must not be negative");
    CHECK_EQ_INT(rows_out.len, 0);
    engine_destroy(e);
    t->ops->destroy(t);
}

/* Window bounds of windowed pull queries: WINDOWSTART and WINDOWEND with
 * =, <, <=, >, >=, BETWEEN, either side, as ISO-8601 text (partial, with
 * or without offset and millis) or epoch milliseconds; bad text is a
 * positioned error. */
static void test_pull_window_bounds(void)
{
    Transport *t = memory_transport_create(1);
    Engine *e = make(t, NULL);
    EddyError err;
    run(e, DDL, &err);
    CHECK_EQ_INT(run(e, "CREATE TABLE per_hour AS SELECT city, COUNT(*) AS n FROM acc "
                        "WINDOW TUMBLING (SIZE 1 HOUR) GROUP BY city;", &err), 0);
    /* Dallas has windows at 04:00, 05:00 and 06:00 on 2023-01-01; Austin at 05:00. */
    const char *const cities[] = {"Dallas", "Dallas", "Austin", "Dallas"};
    const int64_t ts[] = {DAY0 + 4 * HOUR + 5, DAY0 + 5 * HOUR + 5, DAY0 + 5 * HOUR + 9, DAY0 + 6 * HOUR};
    produce_acc(e, t, cities, ts, 4);
    /* Hours of the Dallas windows a WHERE keeps. */
    static const struct { const char *where, *rows; } cases[] = {
        {"WINDOWSTART >= '2023-01-01T05:00:00'", "5,6"},
        {"WINDOWSTART > '2023-01-01T05:00:00'", "6"},
        {"WINDOWSTART < '2023-01-01T05:00:00'", "4"},
        {"WINDOWSTART <= '2023-01-01T05:00:00'", "4,5"},
        {"WINDOWSTART = '2023-01-01T05:00:00'", "5"},
        {"WINDOWSTART = '2023-01-01T05:00:00.000'", "5"},
        {"WINDOWSTART = '2023-01-01T05:00'", "5"},
        {"WINDOWSTART = '2023-01-01T05'", "5"},
        {"WINDOWSTART = '2023-01-01T06:00:00+01:00'", "5"},
        {"WINDOWSTART = '2023-01-01T06:00:00.000+0100'", "5"},
        {"WINDOWSTART = '2023-01-01T01:30:00-0330'", "5"},
        {"WINDOWSTART = '2023-01-01T05:00:00Z'", "5"},
        {"WINDOWSTART = '2023-01-01T05:00:00.001'", ""},
        {"'2023-01-01T05:00:00' <= WINDOWSTART", "5,6"},
        {"'2023-01-01T05:00:00' > WINDOWSTART", "4"},
        {"WINDOWSTART BETWEEN '2023-01-01T04:00' AND '2023-01-01T05:00'", "4,5"},
        {"WINDOWSTART NOT BETWEEN '2023-01-01T04:00' AND '2023-01-01T05:00'", "6"},
        {"WINDOWEND <= '2023-01-01T06:00:00'", "4,5"},
        {"WINDOWEND > '2023-01-01T06:00:00'", "6"},
        {"WINDOWEND = '2023-01-01T07:00:00'", "6"},
        {"WINDOWEND BETWEEN '2023-01-01T05:00' AND '2023-01-01T06:00'", "4,5"},
        {"WINDOWSTART >= '2023-01-01T05:00' AND WINDOWEND <= '2023-01-01T06:00'", "5"},
        {"WINDOWSTART >= '2023-01-01'", "4,5,6"},
        {"WINDOWSTART >= '2023-01-02'", ""},
        {"WINDOWSTART >= '2023-01'", "4,5,6"},
        {"WINDOWSTART < '2023'", ""},
        {"WINDOWSTART >= 1672549200000", "5,6"},
        {"WINDOWSTART = 1672549200000", "5"},
        {"WINDOWEND < 1672552800001", "4,5"},
        {"WINDOWSTART BETWEEN 1672545600000 AND 1672549200000", "4,5"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char sql[512], want[128];
        snprintf(sql, sizeof sql, "SELECT (WINDOWSTART - 1672531200000) / 3600000 AS h FROM per_hour "
                                  "WHERE city = 'Dallas' AND %s;", cases[i].where);
        const char *got = rows_of(e, sql);
        StrBuf w;
        sb_init(&w);
        sb_puts(&w, "H (header)\n");
        for (const char *p = cases[i].rows; *p; p++)
            if (*p != ',')
                sb_printf(&w, "%c\n", *p);
        snprintf(want, sizeof want, "%s", w.data);
        sb_free(&w);
        if (strcmp(got, want) != 0)
            fprintf(stderr, "window bound %s:\n", cases[i].where);
        CHECK_STR(got, want);
    }
    /* A scan (no key) bounded by text, and a key given before the bound. */
    CHECK_STR(rows_of(e, "SELECT city FROM per_hour WHERE WINDOWSTART = '2023-01-01T05:00:00';"),
              "CITY (header)\nAustin\nDallas\n");
    CHECK_STR(rows_of(e, "SELECT city FROM per_hour WHERE WINDOWEND > '2023-01-01T06:30' AND city = 'Dallas';"),
              "CITY (header)\nDallas\n");
    /* Text that is not a time: an error at the literal. */
    const char *bad = rows_of(e, "SELECT * FROM per_hour\nWHERE city = 'Dallas' AND WINDOWSTART >= '2023-13-01';");
    CHECK(strncmp(bad, "2:42: cannot parse '2023-13-01' as a time for WINDOWSTART", 57) == 0);
    bad = rows_of(e, "SELECT * FROM per_hour WHERE WINDOWEND < 'yesterday';");
    CHECK(strncmp(bad, "1:42: cannot parse 'yesterday' as a time for WINDOWEND", 54) == 0);
    bad = rows_of(e, "SELECT * FROM per_hour WHERE WINDOWSTART BETWEEN '2023-01-01' AND '2023-01-01T25:00';");
    CHECK(strncmp(bad, "1:67: cannot parse '2023-01-01T25:00'", 37) == 0);
    CHECK_EQ_INT(rows_out.len, 0);
    engine_destroy(e);
    t->ops->destroy(t);
}

/* LIMIT on every push query form: a stream read to its end, EMIT CHANGES
 * on a stream, on a table, over an aggregation; LIMIT 0. */
static void test_push_limit(void)
{
    Transport *t = memory_transport_create(1);
    Engine *e = make(t, NULL);
    EddyError err;
    run(e, DDL, &err);
    run(e, "CREATE TABLE per_city AS SELECT city, COUNT(*) AS n FROM acc GROUP BY city;", &err);
    const char *const cities[] = {"c0", "c1", "c0", "c1"};
    const int64_t ts[] = {1000, 1001, 1002, 1003};
    produce_acc(e, t, cities, ts, 4);
    CHECK_STR(rows_of(e, "SELECT severity FROM acc LIMIT 2;"), "SEVERITY (header)\n1\n2\n");
    CHECK_STR(rows_of(e, "SELECT severity FROM acc LIMIT 0;"), "SEVERITY (header)\n");
    static const char *const push[] = {
        "SELECT severity FROM acc EMIT CHANGES LIMIT %d;",
        "SELECT city, n FROM per_city EMIT CHANGES LIMIT %d;",
        "SELECT city, COUNT(*) AS n FROM acc GROUP BY city EMIT CHANGES LIMIT %d;",
    };
    for (size_t i = 0; i < sizeof push / sizeof push[0]; i++) {
        for (int limit = 0; limit <= 3; limit += 3) {
            char sql[200];
            snprintf(sql, sizeof sql, push[i], limit);
            sb_reset(&rows_out);
            CHECK_EQ_INT(run(e, sql, &err), 0);
            for (int k = 0; k < 50 && engine_has_transient(e); k++)
                engine_poll(e, 0, &err);
            int lines = 0;
            for (const char *p = rows_out.data; p && *p; p++)
                lines += *p == '\n';
            if (lines != limit + 1 || engine_has_transient(e))
                fprintf(stderr, "%s: %d lines\n%s", sql, lines, rows_out.data);
            CHECK_EQ_INT(lines, limit + 1);   /* the header and LIMIT rows */
            CHECK(!engine_has_transient(e));  /* and the query is done */
        }
    }
    CHECK_STR(rows_of(e, "SELECT severity FROM acc EMIT CHANGES LIMIT -5;"), "1:45: LIMIT must not be negative");
    CHECK(!engine_has_transient(e));
    engine_destroy(e);
    t->ops->destroy(t);
}

/* Issue 7 item 2: a windowed table's key is the key alone; its window is
 * WINDOWSTART/WINDOWEND, shown by SELECT * after the key (ksqlDB's push
 * and pull queries), by DESCRIBE on the key column and by PRINT. */
static void test_windowed_sources(void)
{
    Transport *t = memory_transport_create(1);
    Engine *e = make(t, NULL);
    EddyError err;
    CHECK_EQ_INT(run(e, "CREATE STREAM cams (k STRING KEY, v INT) WITH (kafka_topic='cams', value_format='JSON');"
                        "CREATE TABLE w AS SELECT k, COUNT(*) AS n FROM cams WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY k;",
                     &err), 0);
    const char *keys[] = {"cam-3", "a", "cam-3"};
    const int64_t ts[] = {61000, 62000, 130000};
    for (int i = 0; i < 3; i++)
        t->ops->produce(t, "cams", -1, keys[i], strlen(keys[i]), "{\"v\":1}", 7, ts[i], &err);
    drain(e);
    /* Push queries read the windowed table's topic. */
    sb_reset(&rows_out);
    CHECK_EQ_INT(run(e, "SELECT k, LEN(k) AS l, WINDOWSTART AS ws FROM w EMIT CHANGES;", &err), 0);
    drain(e);
    CHECK_STR(rows_out.data, "K,L,WS (header)\ncam-3,5,60000\na,1,60000\ncam-3,5,120000\n");
    sb_reset(&rows_out);
    CHECK_EQ_INT(run(e, "SELECT * FROM w WHERE k = 'a' EMIT CHANGES;", &err), 0);
    drain(e);
    CHECK_STR(rows_out.data, "K,WINDOWSTART,WINDOWEND,N (header)\na,60000,120000,1\n");
    engine_cancel_transient(e);
    /* A pull query's SELECT * shows the window too. */
    sb_reset(&rows_out);
    CHECK_EQ_INT(run(e, "SELECT * FROM w WHERE k = 'cam-3';", &err), 0);
    CHECK_STR(rows_out.data, "K,WINDOWSTART,WINDOWEND,N (header)\ncam-3,60000,120000,1\ncam-3,120000,180000,1\n");
    /* DESCRIBE marks the key with the window type. */
    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "DESCRIBE w;", &err), 0);
    CHECK(strstr(text_out.data, "STRING  (primary key) (Window type: TUMBLING)") != NULL);
    /* PRINT shows a windowed key as ksqlDB does: [key@start/-]. */
    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "PRINT 'W' FROM BEGINNING LIMIT 1;", &err), 0);
    CHECK(strstr(text_out.data, "key: [cam-3@60000/-], value: {\"N\":1}") != NULL);
    /* A table declared over a session-windowed topic, and a transient
     * join of windowed sources: rows meet on key and window. */
    CHECK_EQ_INT(run(e, "CREATE TABLE st (k STRING PRIMARY KEY, x INT) WITH (kafka_topic='st', value_format='JSON', "
                        "partitions=1, WINDOW_TYPE='SESSION');"
                        "CREATE STREAM ss (k STRING KEY, y INT) WITH (kafka_topic='ss', value_format='JSON', "
                        "partitions=1, WINDOW_TYPE='SESSION');", &err), 0);
    StrBuf key;
    sb_init(&key);
    sb_puts(&key, "u");
    serde_window_encode(WKIND_SESSION, 10, 100, &key);
    t->ops->produce(t, "st", -1, key.data, key.len, "{\"x\":1}", 7, 100, &err);
    sb_reset(&rows_out);
    CHECK_EQ_INT(run(e, "SELECT * FROM st EMIT CHANGES;", &err), 0);
    drain(e);
    CHECK_STR(rows_out.data, "K,WINDOWSTART,WINDOWEND,X (header)\nu,10,100,1\n");
    /* The table is loaded before the stream's records arrive. */
    sb_reset(&rows_out);
    CHECK_EQ_INT(run(e, "SELECT ss.k, y, x, st.WINDOWEND AS we FROM ss LEFT JOIN st ON ss.k = st.k EMIT CHANGES;",
                     &err), 0);
    drain(e);
    t->ops->produce(t, "ss", -1, key.data, key.len, "{\"y\":2}", 7, 100, &err);
    sb_reset(&key);
    sb_puts(&key, "u");
    serde_window_encode(WKIND_SESSION, 10, 200, &key);   /* another session of u */
    t->ops->produce(t, "ss", -1, key.data, key.len, "{\"y\":3}", 7, 200, &err);
    drain(e);
    CHECK_STR(rows_out.data, "SS_K,Y,X,WE (header)\nu,2,1,100\nu,3,null,null\n");
    /* Without key columns the window comes first. */
    CHECK_EQ_INT(run(e, "CREATE STREAM nk (v INT) WITH (kafka_topic='nk', value_format='JSON', partitions=1, "
                        "WINDOW_TYPE='HOPPING', WINDOW_SIZE='10 SECONDS');", &err), 0);
    sb_reset(&key);
    serde_window_encode(WKIND_HOPPING, 5000, 0, &key);
    t->ops->produce(t, "nk", -1, key.data, key.len, "{\"v\":9}", 7, 6000, &err);
    sb_reset(&rows_out);
    CHECK_EQ_INT(run(e, "SELECT * FROM nk EMIT CHANGES;", &err), 0);
    drain(e);
    CHECK_STR(rows_out.data, "WINDOWSTART,WINDOWEND,V (header)\n5000,15000,9\n");
    sb_free(&key);
    engine_destroy(e);
    t->ops->destroy(t);
}

int main(void)
{
    sb_init(&text_out);
    sb_init(&log_out);
    sb_init(&rows_out);
    sb_puts(&log_out, "");
    test_positioned_errors();
    test_failed_statement_changes_nothing();
    test_catalog_persists();
    test_negative_literals_survive_restart();
    test_types_and_alter_persist();
    test_show_describe_explain();
    test_insert_values_and_bad_records();
    test_cube_explode_bound();
    test_push_query_rows();
    test_pull_queries();
    test_pull_limit();
    test_pull_window_bounds();
    test_push_limit();
    test_windowed_sources();
    sb_free(&text_out);
    sb_free(&log_out);
    sb_free(&rows_out);
    return testutil_done();
}
