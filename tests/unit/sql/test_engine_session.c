/*
 * test_engine_session.c - what a session (REPL, eddy run) sees of the
 * engine besides results: per-query progress and lag, SHOW QUERIES cut to
 * the output's width, the footer of a stream scan, and the command log
 * across restarts (no duplicate SET lines, skipped statements named in
 * one line, nothing said again while the log is replayed).  In-memory
 * topics.
 */
#include "eddy/eddy.h"
#include "eddy/transport.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static StrBuf text_out, log_out;
static int out_width;

static void on_text(void *ud, const char *t) { sb_puts(&text_out, t); }
static void on_log(void *ud, int level, const char *m) { sb_printf(&log_out, "%d %s\n", level, m); }
static void on_row(void *ud, const char *const *cols, int n, bool header) {}
static int on_width(void *ud) { return out_width; }

static Engine *make(Transport *t, const char *state_dir)
{
    const char *props[] = {"auto.offset.reset", "earliest", NULL};
    EngineConfig cfg = {.transport = t, .state_dir = state_dir,
                        .out = {.text = on_text, .log = on_log, .row = on_row, .width = on_width},
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

static int count_lines_with(const char *text, const char *what)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, what)) != NULL; p++)
        n++;
    return n;
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

/* SHOW QUERIES fits the output's width, marking the cut with an ellipsis;
 * with no width it shows the whole statement, on one line. */
static void test_show_queries_fits(void)
{
    Transport *t = memory_transport_create(1);
    Engine *e = make(t, NULL);
    CHECK_EQ_INT(run(e, DDL), 0);
    CHECK_EQ_INT(run(e, "CREATE STREAM severe_with_a_long_name AS\n"
                        "  SELECT id, city, severity FROM acc\n"
                        "  WHERE severity >= 3 AND city <> 'Nowhere at all';"), 0);
    out_width = 0;
    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "SHOW QUERIES;"), 0);
    CHECK(strstr(text_out.data, "CREATE STREAM severe_with_a_long_name AS SELECT id, city, "
                                "severity FROM acc WHERE severity >= 3 AND city <> 'Nowhere at "
                                "all';") != NULL);
    CHECK(strstr(text_out.data, "\xe2\x80\xa6") == NULL);
    /* Wide enough for all but the statement; then narrower than the rest. */
    for (int width = 100; width >= 70; width -= 30) {
        out_width = width;
        sb_reset(&text_out);
        CHECK_EQ_INT(run(e, "SHOW QUERIES;"), 0);
        CHECK(strstr(text_out.data, "| CREATE STRE") != NULL);
        if (width == 100) {   /* only the statement is cut */
            CHECK_EQ_INT(count_lines_with(text_out.data, "\xe2\x80\xa6"), 1);
            CHECK(strstr(text_out.data, "CSAS_SEVERE_WITH_A_LONG_NAME_1") != NULL);
        } else {
            CHECK(count_lines_with(text_out.data, "\xe2\x80\xa6") > 1);
        }
        /* Every line fits (code points; the ellipsis is one). */
        int col = 0, widest = 0;
        for (const char *p = text_out.data; *p; p++) {
            if (*p == '\n')
                col = 0;
            else if (((unsigned char)*p & 0xC0) != 0x80 && ++col > widest)
                widest = col;
        }
        if (widest >= width) fputs(text_out.data, stderr);
        CHECK(widest < width);
        CHECK(widest >= width - 2);   /* and uses the room it has */
    }
    out_width = 0;
    engine_destroy(e);
    t->ops->destroy(t);
}

/* A SELECT on a stream without EMIT CHANGES reads to the end and ends with
 * a footer, also when nothing matched. */
static void test_scan_footer(void)
{
    Transport *t = memory_transport_create(1);
    Engine *e = make(t, NULL);
    CHECK_EQ_INT(run(e, DDL), 0);
    produce(t, 10);
    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "SELECT id FROM acc WHERE severity > 100;"), 0);
    CHECK(strstr(text_out.data, "(0 rows from ACC)") != NULL);
    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "SELECT id FROM acc WHERE severity = 4;"), 0);
    CHECK(strstr(text_out.data, "(2 rows from ACC)") != NULL);
    sb_reset(&text_out);
    CHECK_EQ_INT(run(e, "SELECT id FROM acc WHERE severity = 4 LIMIT 1;"), 0);
    CHECK(strstr(text_out.data, "(1 row from ACC)") != NULL);
    engine_destroy(e);
    t->ops->destroy(t);
}

static char *read_log(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/commands.ksql", dir);
    EddyError err;
    char *text = eddy_read_file(path, &err);
    return text ? text : strdup("");
}

/* Restarting with the same file adds nothing to the command log: not the
 * statements (skipped, each named in one log line) and not the SETs. */
static void test_restart_log_hygiene(void)
{
    char dir[] = "/tmp/eddy-test-session-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    Transport *t = memory_transport_create(1);
    const char *file =
        "SET 'auto.offset.reset' = 'earliest';\n"
        "SET 'commit.interval.ms' = '500';\n"
        "CREATE STREAM acc (id STRING KEY, severity INT, city STRING)\n"
        "  WITH (kafka_topic='acc', value_format='JSON');\n"
        "SET 'commit.interval.ms' = '1000';\n"
        "CREATE STREAM severe AS\n"
        "  SELECT id, city FROM acc\n"
        "  WHERE severity >= 3;\n"
        "INSERT INTO severe SELECT id, city FROM acc WHERE severity = 0;\n";
    Engine *e = make(t, dir);
    CHECK_EQ_INT(run(e, file), 0);
    engine_destroy(e);
    char *first = read_log(dir);
    CHECK_EQ_INT(count_lines_with(first, "SET 'auto.offset.reset'"), 1);
    CHECK_EQ_INT(count_lines_with(first, "SET 'commit.interval.ms'"), 2);
    for (int restart = 0; restart < 3; restart++) {
        e = make(t, dir);
        CHECK_EQ_INT(engine_running_queries(e), 2);
        sb_reset(&log_out);
        CHECK_EQ_INT(run(e, file), 0);
        CHECK_EQ_INT(engine_running_queries(e), 2);
        CHECK(strstr(log_out.data, "0 skipped CREATE STREAM ACC: already in the catalog\n") != NULL);
        CHECK(strstr(log_out.data, "0 skipped CREATE STREAM SEVERE AS SELECT: already in the catalog\n") != NULL);
        CHECK(strstr(log_out.data, "0 skipped INSERT INTO SEVERE SELECT: already in the catalog\n") != NULL);
        engine_destroy(e);
        char *now = read_log(dir);
        CHECK_STR(now, first);
        free(now);
    }
    /* A SET that changes something goes to the log, before the next
     * statement that does; a SET nothing follows does not. */
    e = make(t, dir);
    CHECK_EQ_INT(run(e, "SET 'auto.offset.reset' = 'latest';\n"
                        "CREATE STREAM mild AS SELECT id, city FROM acc WHERE severity < 3;\n"
                        "SET 'commit.interval.ms' = '2000';\n"), 0);
    engine_destroy(e);
    char *after = read_log(dir);
    const char *tail = after + strlen(first);
    CHECK(strncmp(after, first, strlen(first)) == 0);
    CHECK_STR(tail, "SET 'auto.offset.reset' = 'latest';\n"
                    "CREATE STREAM mild AS SELECT id, city FROM acc WHERE severity < 3;\n");
    free(after);
    free(first);
    t->ops->destroy(t);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ_INT(system(cmd), 0);
}

/* A restart replays the command log silently: what the statements said
 * when they ran (results, notes, warnings such as DELETE TOPIC's) was said
 * then; the restart says only what it restored. */
static void test_restart_says_nothing_again(void)
{
    char dir[] = "/tmp/eddy-test-session-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    Transport *t = memory_transport_create(1);
    produce(t, 20);
    Engine *e = make(t, dir);
    sb_reset(&log_out);
    CHECK_EQ_INT(run(e, "CREATE STREAM acc (id STRING KEY, severity INT, city STRING)\n"
                        "  WITH (kafka_topic='acc', value_format='JSON');\n"
                        "CREATE STREAM severe AS SELECT id, city FROM acc WHERE severity >= 3;\n"
                        "CREATE TABLE per_city AS SELECT city, COUNT(*) AS n FROM acc GROUP BY city;\n"
                        "CREATE STREAM mild AS SELECT id, city FROM acc WHERE severity < 3;\n"
                        "CREATE TABLE per_city2 AS SELECT city, COUNT(*) AS n FROM acc GROUP BY city;\n"
                        "DROP STREAM severe DELETE TOPIC;\n"
                        "DROP TABLE per_city DELETE TOPIC;\n"
                        "TERMINATE CSAS_MILD_3;\n"
                        "DROP STREAM IF EXISTS nothing DELETE TOPIC;\n"), 0);
    CHECK_EQ_INT(count_lines_with(log_out.data, "DELETE TOPIC: deleting topics is not supported yet"), 2);
    engine_destroy(e);
    for (int restart = 0; restart < 2; restart++) {
        sb_reset(&log_out);
        sb_reset(&text_out);
        e = make(t, dir);
        CHECK(e != NULL);
        CHECK_EQ_INT(engine_running_queries(e), 1);
        CHECK_STR(text_out.data, "");
        char want[300];
        snprintf(want, sizeof want, "0 restored 3 streams/tables and 1 queries from %s/commands.ksql\n", dir);
        CHECK_STR(log_out.data, want);
        engine_destroy(e);
    }
    t->ops->destroy(t);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ_INT(system(cmd), 0);
}

int main(void)
{
    sb_init(&text_out);
    sb_init(&log_out);
    sb_puts(&text_out, "");
    sb_puts(&log_out, "");
    test_progress_and_lag();
    test_show_queries_fits();
    test_scan_footer();
    test_restart_log_hygiene();
    test_restart_says_nothing_again();
    sb_free(&text_out);
    sb_free(&log_out);
    return testutil_done();
}
