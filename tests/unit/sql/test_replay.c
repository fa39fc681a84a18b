/*
 * test_replay.c - REPLAY QUERY, snapshots and in-place upgrades through the
 * embedding API on in-memory topics (two partitions, records put on each
 * by hand): every REPLAY form on a stateless query; a stateful one moved
 * back to the newest snapshot at or before its target (muted up to it),
 * refused when none is old enough, WITH EMPTY STATE; the final table equal
 * to an uninterrupted run's; the statements' errors; SHOW SNAPSHOTS, DROP
 * SNAPSHOT, automatic snapshots and their retention; progress (SHOW
 * QUERIES, engine_query_progress); the command log across restarts (a
 * recorded replay not applied yet is applied at the next start, once;
 * the state's writes failing at every point of a REPLAY, as a crash there
 * would stop them, then a restart);
 * CREATE OR REPLACE ... AS SELECT upgrades and their refusals.
 */
#include "eddy/eddy.h"
#include "eddy/store.h"
#include "eddy/transport.h"
#include "engine_int.h"   /* Engine.state: the crash points fail its writes */
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
    const char *props[] = {"auto.offset.reset", "earliest", "max.task.idle.ms", "0", NULL};
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
    sb_reset(&text_out);
    int rc = engine_execute(e, sql, "test", &err);
    if (rc != 0)
        fprintf(stderr, "%s: %d:%d: %s\n", sql, err.pos.line, err.pos.col, err.msg);
    return rc;
}

/* The error of a statement that must fail: "L:C: message". */
static const char *fails(Engine *e, const char *sql)
{
    static char buf[2048];
    EddyError err;
    sb_reset(&text_out);
    if (engine_execute(e, sql, "test", &err) == 0)
        return "(succeeded)";
    snprintf(buf, sizeof buf, "%d:%d: %s", err.pos.line, err.pos.col, err.msg);
    return buf;
}

static void drain(Engine *e)
{
    EddyError err;
    while (engine_poll(e, 0, &err) > 0) {
    }
}

static const char *DDL =
    "CREATE STREAM ev (k STRING KEY, v INT) WITH (kafka_topic='ev', value_format='JSON', partitions=2);";

/* n records on partition p, keys a and b in turn, v = first, first+1, ...;
 * timestamp 1000 * v. */
static void produce(Transport *t, int p, int first, int n)
{
    EddyError err;
    for (int i = first; i < first + n; i++) {
        char v[64];
        int len = snprintf(v, sizeof v, "{\"V\":%d}", i);
        t->ops->produce(t, "ev", p, i % 2 ? "b" : "a", 1, v, (size_t)len, 1000LL * i, &err);
    }
}

static int records(Transport *t, const char *topic)
{
    const TransportRecord *recs;
    return memory_transport_records(t, topic, &recs);
}

/* The table a changelog topic ends as: the last value per key, sorted
 * "key=value;" (records from index `from` on only, when from > 0). */
static char *final_table(Transport *t, const char *topic, int from)
{
    const TransportRecord *recs;
    int n = memory_transport_records(t, topic, &recs);
    char *keys[64], *vals[64];
    int nk = 0;
    for (int i = from; i < n; i++) {
        char k[64];
        snprintf(k, sizeof k, "%.*s", (int)recs[i].key_len, (const char *)recs[i].key);
        int j = 0;
        while (j < nk && strcmp(keys[j], k) != 0)
            j++;
        if (j == nk) {
            keys[nk] = strdup(k);
            vals[nk++] = NULL;
        }
        free(vals[j]);
        vals[j] = recs[i].value ? strndup(recs[i].value, recs[i].value_len) : strdup("null");
    }
    StrBuf out;
    sb_init(&out);
    sb_puts(&out, "");
    for (int done = 0; done < nk; done++) {
        int best = -1;
        for (int j = 0; j < nk; j++)
            if (keys[j] && (best < 0 || strcmp(keys[j], keys[best]) < 0))
                best = j;
        sb_printf(&out, "%s=%s;", keys[best], vals[best]);
        free(keys[best]);
        free(vals[best]);
        keys[best] = NULL;
    }
    return out.data;
}

#define CHECK_TABLE(t, topic, want) do { \
    char *got_ = final_table(t, topic, 0); \
    CHECK_STR(got_, want); \
    free(got_); \
} while (0)

/* ---- stateless ----------------------------------------------------------------- */

static void test_stateless_forms(void)
{
    Transport *t = memory_transport_create(2);
    Engine *e = make(t, NULL);
    CHECK_EQ_INT(run(e, DDL), 0);
    CHECK_EQ_INT(run(e, "CREATE STREAM out AS SELECT k, v FROM ev;"), 0);
    produce(t, 0, 0, 5);
    produce(t, 1, 100, 5);
    drain(e);
    CHECK_EQ_INT(records(t, "OUT"), 10);

    /* OFFSET n: the same offset on every partition. */
    CHECK_EQ_INT(run(e, "REPLAY QUERY CSAS_OUT_1 FROM OFFSET 3;"), 0);
    CHECK(strstr(text_out.data, "Replaying query CSAS_OUT_1 from offset 3 (generation 1): ev[0]@3 ev[1]@3, 4 records") != NULL);
    drain(e);
    CHECK_EQ_INT(records(t, "OUT"), 14);
    const TransportRecord *recs;
    memory_transport_records(t, "OUT", &recs);
    CHECK_STR((const char *)recs[10].value, "{\"V\":3}");

    /* BEGINNING: everything again. */
    CHECK_EQ_INT(run(e, "REPLAY QUERY csas_out_1 FROM BEGINNING;"), 0);
    CHECK(strstr(text_out.data, "(generation 2)") != NULL);
    drain(e);
    CHECK_EQ_INT(records(t, "OUT"), 24);

    /* OFFSETS: only the partitions given move; topic:partition:offset too. */
    CHECK_EQ_INT(run(e, "REPLAY QUERY CSAS_OUT_1 FROM OFFSETS (1:4);"), 0);
    drain(e);
    CHECK_EQ_INT(records(t, "OUT"), 25);
    memory_transport_records(t, "OUT", &recs);
    CHECK_STR((const char *)recs[24].value, "{\"V\":104}");
    CHECK_EQ_INT(run(e, "REPLAY QUERY CSAS_OUT_1 FROM OFFSETS (ev:0:2, 'ev':1:3);"), 0);
    drain(e);
    CHECK_EQ_INT(records(t, "OUT"), 30);

    /* TIMESTAMP: per partition, the first record at or after it. */
    CHECK_EQ_INT(run(e, "REPLAY QUERY CSAS_OUT_1 FROM TIMESTAMP '1970-01-01T00:00:04Z';"), 0);
    drain(e);
    CHECK_EQ_INT(records(t, "OUT"), 36);   /* ev[0] from 4 (1), ev[1] from 0 (5) */

    /* Past the end: clamped, with a note; nothing re-emitted. */
    CHECK_EQ_INT(run(e, "REPLAY QUERY CSAS_OUT_1 FROM OFFSET 99;"), 0);
    CHECK(strstr(text_out.data, "Note: ev[0] ends at offset 5: it resumes there (offset 99 is past its end).") != NULL);
    drain(e);
    CHECK_EQ_INT(records(t, "OUT"), 36);
    /* New records still flow after a replay. */
    produce(t, 0, 5, 1);
    drain(e);
    CHECK_EQ_INT(records(t, "OUT"), 37);
    engine_destroy(e);
    t->ops->destroy(t);
}

static void test_errors(void)
{
    Transport *t = memory_transport_create(2);
    Engine *e = make(t, NULL);
    CHECK_EQ_INT(run(e, DDL), 0);
    CHECK_EQ_INT(run(e, "CREATE STREAM out AS SELECT k, v FROM ev;"), 0);
    CHECK_EQ_INT(run(e, "CREATE TABLE cnt AS SELECT k, COUNT(*) AS n FROM ev GROUP BY k;"), 0);
    CHECK_STR(fails(e, "REPLAY QUERY CSAS_OUT_9 FROM BEGINNING;"),
              "1:14: unknown query CSAS_OUT_9; did you mean CSAS_OUT_1?");
    CHECK_STR(fails(e, "REPLAY QUERY nothing_like_it FROM BEGINNING;"), "1:14: unknown query NOTHING_LIKE_IT");
    CHECK_STR(fails(e, "REPLAY QUERY CSAS_OUT_1 FROM SNAPSHOT nope;"), "1:39: unknown snapshot NOPE");
    CHECK_STR(fails(e, "REPLAY QUERY CSAS_OUT_1 FROM TIMESTAMP 'yesterday';"),
              "1:40: 'yesterday' is not an ISO-8601 time");
    CHECK_STR(fails(e, "REPLAY QUERY CSAS_OUT_1 FROM OFFSETS (0:1, 7:1);"),
              "1:44: topic ev has no partition 7 (it has 2)");
    CHECK_STR(fails(e, "REPLAY QUERY CSAS_OUT_1 FROM OFFSETS (other:0:1);"),
              "1:39: topic other is not an input of query CSAS_OUT_1 (it reads ev)");
    CHECK_STR(fails(e, "REPLAY QUERY CSAS_OUT_1 FROM BEGINNING WITH (GENERATION=5);"),
              "1:46: REPLAY takes no WITH (...) properties: GENERATION is written by the engine in its command log");
    CHECK_STR(fails(e, "REPLAY QUERY CSAS_OUT_1 FROM SNAPSHOT s WITH EMPTY STATE;"),
              "1:1: WITH EMPTY STATE contradicts FROM SNAPSHOT: a snapshot replay restores its state");
    /* A stateful query without a snapshot: refused, naming where it is. */
    produce(t, 0, 0, 3);
    drain(e);
    CHECK_STR(fails(e, "REPLAY QUERY CTAS_CNT_2 FROM BEGINNING;"),
              "1:14: cannot replay query CTAS_CNT_2 from the beginning (ev[0]@0 ev[1]@0): it keeps "
              "state, and it has no snapshot it can be restored from; the oldest point it can replay "
              "from is where it is now (ev[0]@3 ev[1]@0); CREATE SNAPSHOT takes one. Give WITH EMPTY "
              "STATE to replay from there with empty state");
    /* A transient query, and a terminated one. */
    CHECK_EQ_INT(run(e, "SELECT * FROM ev EMIT CHANGES;"), 0);
    CHECK(engine_has_transient(e));
    CHECK_STR(fails(e, "REPLAY QUERY transient_EV_1700000000000 FROM BEGINNING;"),
              "1:14: query TRANSIENT_EV_1700000000000 is a transient query (a client's push query): "
              "only persistent queries can be replayed");
    CHECK_EQ_INT(run(e, "TERMINATE CSAS_OUT_1;"), 0);
    CHECK_STR(fails(e, "REPLAY QUERY CSAS_OUT_1 FROM BEGINNING;"),
              "1:14: query CSAS_OUT_1 is not running (terminated): only a running query can be replayed");
    /* Snapshot statements. */
    CHECK_STR(fails(e, "CREATE SNAPSHOT 'a/b';"),
              "1:17: invalid snapshot name 'a/b': use letters, digits, '_', '-' and '.' (not first), at most 100 characters");
    CHECK_EQ_INT(run(e, "CREATE SNAPSHOT s1;"), 0);
    CHECK_STR(fails(e, "CREATE SNAPSHOT S1;"), "1:17: snapshot S1 already exists");
    CHECK_STR(fails(e, "DROP SNAPSHOT s2;"), "1:15: unknown snapshot S2; did you mean S1?");
    CHECK_EQ_INT(run(e, "DROP SNAPSHOT IF EXISTS s2;"), 0);
    CHECK_STR(fails(e, "CREATE SNAPSHOT FOR QUERY CSAS_OUT_1;"), "1:27: query CSAS_OUT_1 is not running");
    CHECK_STR(fails(e, "REPLAY QUERY CTAS_CNT_2 FROM SNAPSHOT s;"), "1:39: unknown snapshot S; did you mean S1?");
    CHECK_EQ_INT(run(e, "TERMINATE CTAS_CNT_2;"), 0);
    CHECK_STR(fails(e, "CREATE SNAPSHOT;"),
              "1:1: no running query keeps state, so there is nothing to snapshot (CREATE SNAPSHOT ... "
              "FOR QUERY id takes one of any query)");
    engine_destroy(e);
    t->ops->destroy(t);
}

/* ---- stateful -------------------------------------------------------------------- */

static const char *CTAS = "CREATE TABLE cnt AS SELECT k, COUNT(*) AS n, SUM(v) AS s FROM ev GROUP BY k;";

static void test_stateful(void)
{
    Transport *t = memory_transport_create(2);
    Engine *e = make(t, NULL);
    CHECK_EQ_INT(run(e, DDL), 0);
    CHECK_EQ_INT(run(e, CTAS), 0);
    /* s0 at (2, 2), s1 at (5, 5), the end at (10, 10). */
    produce(t, 0, 0, 2);
    produce(t, 1, 100, 2);
    drain(e);
    CHECK_EQ_INT(run(e, "CREATE SNAPSHOT s0;"), 0);
    CHECK_STR(text_out.data, "Created snapshot S0 (-): query CTAS_CNT_1 at ev[0]@2 ev[1]@2\n");
    produce(t, 0, 2, 3);
    produce(t, 1, 102, 3);
    drain(e);
    CHECK_EQ_INT(run(e, "CREATE SNAPSHOT s1 FOR QUERY CTAS_CNT_1;"), 0);
    produce(t, 0, 5, 5);
    produce(t, 1, 105, 5);
    drain(e);
    const char *final = "a={\"N\":10,\"S\":540};b={\"N\":10,\"S\":550};";
    CHECK_TABLE(t, "CNT", final);
    CHECK_EQ_INT(run(e, "SHOW SNAPSHOTS;"), 0);
    CHECK(strstr(text_out.data, "S0") && strstr(text_out.data, "S1") &&
          strstr(text_out.data, "ev[0]@5 ev[1]@5"));

    /* FROM SNAPSHOT: its state back, the records after it again. */
    int before = records(t, "CNT");
    CHECK_EQ_INT(run(e, "REPLAY QUERY CTAS_CNT_1 FROM SNAPSHOT s1;"), 0);
    CHECK(strstr(text_out.data, "state restored from snapshot S1") != NULL);
    drain(e);
    CHECK_EQ_INT(records(t, "CNT"), before + 10);
    CHECK_TABLE(t, "CNT", final);   /* not counted twice */

    /* FROM OFFSET 3: s0 (the newest at or before 3), muted up to 3. */
    before = records(t, "CNT");
    CHECK_EQ_INT(run(e, "REPLAY QUERY CTAS_CNT_1 FROM OFFSET 3;"), 0);
    CHECK(strstr(text_out.data, "state restored from snapshot S0; no output for the records before ev[0]@3 ev[1]@3") != NULL);
    drain(e);
    CHECK_EQ_INT(records(t, "CNT"), before + 14);
    CHECK_TABLE(t, "CNT", final);
    char *tail = final_table(t, "CNT", before);
    CHECK_STR(tail, final);
    free(tail);
    const TransportRecord *recs;
    memory_transport_records(t, "CNT", &recs);
    /* The first output re-emitted is record 3 of ev[0], key b, its count
     * as of it: s0 holds b's 1 and 101, then 3. */
    CHECK_STR((const char *)recs[before].value, "{\"N\":3,\"S\":105}");

    /* FROM OFFSET 1: no snapshot that old; refused naming the oldest. */
    CHECK_STR(fails(e, "REPLAY QUERY CTAS_CNT_1 FROM OFFSET 1;"),
              "1:14: cannot replay query CTAS_CNT_1 from offset 1 (ev[0]@1 ev[1]@1): it keeps state, and "
              "no snapshot of it is at or before that point; the oldest point it can replay from is "
              "snapshot S0 (taken -: ev[0]@2 ev[1]@2). Give WITH EMPTY STATE to replay from there with empty state");
    CHECK_TABLE(t, "CNT", final);   /* the refusal changed nothing */

    /* A target at its live position or later needs no snapshot. */
    before = records(t, "CNT");
    CHECK_EQ_INT(run(e, "REPLAY QUERY CTAS_CNT_1 FROM OFFSETS (0:10);"), 0);
    CHECK(strstr(text_out.data, "state restored") == NULL);
    drain(e);
    CHECK_EQ_INT(records(t, "CNT"), before);

    /* WITH EMPTY STATE: counts start over at the target. */
    CHECK_EQ_INT(run(e, "REPLAY QUERY CTAS_CNT_1 FROM OFFSET 1 WITH EMPTY STATE;"), 0);
    CHECK(strstr(text_out.data, "with empty state") != NULL);
    drain(e);
    CHECK_TABLE(t, "CNT", "a={\"N\":8,\"S\":440};b={\"N\":10,\"S\":550};");   /* without 0 and 100 */
    /* ... and the same from s1 brings the full counts back. */
    CHECK_EQ_INT(run(e, "REPLAY QUERY CTAS_CNT_1 FROM SNAPSHOT s1;"), 0);
    drain(e);
    CHECK_TABLE(t, "CNT", final);
    CHECK_EQ_INT(run(e, "DROP SNAPSHOT s0;"), 0);
    CHECK_STR(text_out.data, "Snapshot S0 dropped.\n");
    CHECK_STR(fails(e, "REPLAY QUERY CTAS_CNT_1 FROM SNAPSHOT s0;"), "1:39: unknown snapshot S0; did you mean S1?");
    engine_destroy(e);
    t->ops->destroy(t);
}

/* A windowed aggregate and a snapshot taken for one query of two. */
static void test_windowed_and_for_query(void)
{
    Transport *t = memory_transport_create(2);
    Engine *e = make(t, NULL);
    CHECK_EQ_INT(run(e, DDL), 0);
    CHECK_EQ_INT(run(e, "CREATE TABLE w AS SELECT k, COUNT(*) AS n FROM ev WINDOW TUMBLING (SIZE 3 SECONDS) GROUP BY k;"), 0);
    CHECK_EQ_INT(run(e, "CREATE TABLE other AS SELECT k, MAX(v) AS m FROM ev GROUP BY k;"), 0);
    produce(t, 0, 0, 4);
    drain(e);
    CHECK_EQ_INT(run(e, "CREATE SNAPSHOT only_w FOR QUERY CTAS_W_1;"), 0);
    produce(t, 0, 4, 6);
    drain(e);
    int n = records(t, "W");
    char *want = final_table(t, "W", 0);
    CHECK_EQ_INT(run(e, "REPLAY QUERY CTAS_W_1 FROM SNAPSHOT only_w;"), 0);
    drain(e);
    CHECK_EQ_INT(records(t, "W"), n + 6);
    CHECK_TABLE(t, "W", want);
    free(want);
    CHECK_STR(fails(e, "REPLAY QUERY CTAS_OTHER_2 FROM SNAPSHOT only_w;"),
              "1:41: snapshot ONLY_W holds no state of query CTAS_OTHER_2 (it is for CTAS_W_1)");
    engine_destroy(e);
    t->ops->destroy(t);
}

/* SHOW QUERIES and engine_query_progress while a replay is under way. */
static void test_progress(void)
{
    Transport *t = memory_transport_create(2);
    Engine *e = make(t, NULL);
    CHECK_EQ_INT(run(e, DDL), 0);
    CHECK_EQ_INT(run(e, "CREATE STREAM out AS SELECT k, v FROM ev;"), 0);
    produce(t, 0, 0, 1000);
    drain(e);
    EngineQueryProgress p[2];
    CHECK_EQ_INT(engine_query_progress(e, p, 2), 1);
    CHECK_EQ_INT(p[0].replay_total, 0);
    CHECK_EQ_INT(run(e, "REPLAY QUERY CSAS_OUT_1 FROM BEGINNING;"), 0);
    EddyError err;
    CHECK_EQ_INT(engine_poll(e, 0, &err), 500);
    engine_query_progress(e, p, 2);
    CHECK_EQ_INT(p[0].replay_done, 500);
    CHECK_EQ_INT(p[0].replay_total, 1000);
    CHECK_EQ_INT(run(e, "SHOW QUERIES;"), 0);
    CHECK(strstr(text_out.data, "REPLAYING (50%)") != NULL);
    CHECK_EQ_INT(run(e, "DESCRIBE EXTENDED out;"), 0);
    CHECK(strstr(text_out.data, "Replay of CSAS_OUT_1 (generation 1): REPLAY QUERY CSAS_OUT_1 FROM BEGINNING;") != NULL);
    CHECK(strstr(text_out.data, "  replaying: 500 of 1000 records (50%)\n  ev[0]: from 0, at 500, to 1000\n") != NULL);
    drain(e);
    engine_query_progress(e, p, 2);
    CHECK_EQ_INT(p[0].replay_total, 0);
    CHECK_EQ_INT(run(e, "SHOW QUERIES;"), 0);
    CHECK(strstr(text_out.data, "REPLAYING") == NULL && strstr(text_out.data, "RUNNING") != NULL);
    CHECK_EQ_INT(run(e, "DESCRIBE EXTENDED out;"), 0);
    CHECK(strstr(text_out.data, "finished: every partition reached its end offset at the REPLAY") != NULL);
    engine_destroy(e);
    t->ops->destroy(t);
}

/* ---- across restarts ----------------------------------------------------------- */

static char *read_all(const char *path)
{
    EddyError err;
    return eddy_read_file(path, &err);
}

static void append(const char *path, const char *text)
{
    FILE *f = fopen(path, "a");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_restart(void)
{
    char dir[] = "/tmp/eddy-test-replay-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char log[256];
    snprintf(log, sizeof log, "%s/commands.ksql", dir);
    Transport *t = memory_transport_create(2);
    Engine *e = make(t, dir);
    CHECK_EQ_INT(run(e, DDL), 0);
    CHECK_EQ_INT(run(e, CTAS), 0);
    produce(t, 0, 0, 3);
    produce(t, 1, 100, 3);
    drain(e);
    CHECK_EQ_INT(run(e, "CREATE SNAPSHOT s1;"), 0);
    produce(t, 0, 3, 3);
    produce(t, 1, 103, 3);
    drain(e);
    char *final = final_table(t, "CNT", 0);
    CHECK_EQ_INT(run(e, "REPLAY QUERY CTAS_CNT_1 FROM SNAPSHOT s1;"), 0);
    drain(e);
    CHECK_TABLE(t, "CNT", final);
    engine_destroy(e);

    /* The log holds the engine's form of the replay; a restart does not
     * apply it again (its generation is in the state). */
    char *text = read_all(log);
    const char *line = text ? strstr(text, "REPLAY QUERY `CTAS_CNT_1` FROM OFFSETS ('ev':0:3, 'ev':1:3) WITH "
                                           "(GENERATION=1, SNAPSHOT='S1', ENDS='ev:0:6,ev:1:6', "
                                           "REQUEST='REPLAY QUERY CTAS_CNT_1 FROM SNAPSHOT s1;');") : NULL;
    CHECK(line != NULL);
    int n = records(t, "CNT");
    e = make(t, dir);
    CHECK(e != NULL);
    drain(e);
    CHECK_EQ_INT(records(t, "CNT"), n);
    CHECK_EQ_INT(run(e, "SHOW SNAPSHOTS;"), 0);
    CHECK(strstr(text_out.data, "S1") != NULL);
    engine_destroy(e);

    /* A replay recorded whose apply a crash prevented: the next start
     * applies it (restore, offsets, generation), then never again. */
    sb_reset(&log_out);
    append(log, "REPLAY QUERY `CTAS_CNT_1` FROM OFFSETS ('ev':0:3, 'ev':1:3) WITH (GENERATION=2, "
                "SNAPSHOT='S1', ENDS='ev:0:6,ev:1:6', REQUEST='REPLAY QUERY CTAS_CNT_1 FROM SNAPSHOT s1;');\n");
    e = make(t, dir);
    CHECK(e != NULL);
    CHECK(strstr(log_out.data, "query CTAS_CNT_1: applying again its replay (generation 2), which did not finish") != NULL);
    drain(e);
    CHECK_EQ_INT(records(t, "CNT"), n + 6);
    CHECK_TABLE(t, "CNT", final);
    engine_destroy(e);
    sb_reset(&log_out);
    e = make(t, dir);
    drain(e);
    CHECK(strstr(log_out.data, "applying again") == NULL);
    CHECK_EQ_INT(records(t, "CNT"), n + 6);
    /* The next replay's generation follows the log's. */
    CHECK_EQ_INT(run(e, "REPLAY QUERY CTAS_CNT_1 FROM SNAPSHOT s1;"), 0);
    CHECK(strstr(text_out.data, "(generation 3)") != NULL);
    drain(e);
    CHECK_TABLE(t, "CNT", final);
    engine_destroy(e);

    /* A replay recorded from a snapshot that is gone: the start fails,
     * saying so, and changes nothing. */
    append(log, "REPLAY QUERY `CTAS_CNT_1` FROM OFFSETS ('ev':0:3, 'ev':1:3) WITH (GENERATION=9, "
                "SNAPSHOT='GONE', ENDS='ev:0:6,ev:1:6', REQUEST='x');\n");
    EddyError err;
    const char *props[] = {"auto.offset.reset", "earliest", "max.task.idle.ms", "0", NULL};
    EngineConfig cfg = {.transport = t, .state_dir = dir, .out = {.text = on_text, .log = on_log},
                        .props = props, .deterministic = true};
    CHECK(engine_create(&cfg, &err) == NULL);
    CHECK(strstr(err.msg, "query CTAS_CNT_1: its replay (generation 9) restores snapshot GONE, which is gone") != NULL);
    free(text);
    free(final);
    t->ops->destroy(t);
    testutil_rmtree(dir);
}

/* Every write of the state after the n-th fails, as if the process died
 * there, while a REPLAY FROM SNAPSHOT runs (its checkpoint, the restore's
 * batches of 64 bytes, the offsets and generation); then a restart.  Up to
 * the log line nothing is replayed; after it the restart finishes the
 * replay: the final table is the uninterrupted one either way, and the
 * records after the snapshot are re-emitted exactly when it was logged. */
static void test_crash_points(void)
{
    int logged = 0, applied_at_restart = 0;
    for (int n = 0; n < 12; n++) {
        char dir[] = "/tmp/eddy-test-replay-crash-XXXXXX";
        CHECK(mkdtemp(dir) != NULL);
        Transport *t = memory_transport_create(2);
        Engine *e = make(t, dir);
        CHECK_EQ_INT(run(e, DDL), 0);
        CHECK_EQ_INT(run(e, CTAS), 0);
        for (int i = 0; i < 6; i++) {   /* 12 keys, so the restore takes several batches */
            char k[8], v[32];
            snprintf(k, sizeof k, "k%d", i);
            int len = snprintf(v, sizeof v, "{\"V\":%d}", i);
            EddyError perr;
            t->ops->produce(t, "ev", i % 2, k, strlen(k), v, (size_t)len, 1000, &perr);
        }
        drain(e);
        CHECK_EQ_INT(run(e, "CREATE SNAPSHOT s1;"), 0);
        produce(t, 0, 0, 3);
        produce(t, 1, 100, 3);
        drain(e);
        EddyError err;
        CHECK_EQ_INT(engine_checkpoint(e, &err), 0);   /* no at-least-once re-emission */
        char *final = final_table(t, "CNT", 0);
        int before = records(t, "CNT");
        statedb_set_restore_batch_bytes(e->state, 64);
        statedb_fail_writes_after(e->state, n);
        int rc = engine_execute(e, "REPLAY QUERY CTAS_CNT_1 FROM SNAPSHOT s1;", "test", &err);
        engine_destroy(e);   /* its checkpoints fail too now: a crash */
        char log[256];
        snprintf(log, sizeof log, "%s/commands.ksql", dir);
        char *text = read_all(log);
        bool in_log = text && strstr(text, "REPLAY QUERY `CTAS_CNT_1`");
        free(text);
        logged += in_log;
        sb_reset(&log_out);
        e = make(t, dir);
        CHECK(e != NULL);
        bool again = strstr(log_out.data, "applying again its replay (generation 1)") != NULL;
        applied_at_restart += again;
        CHECK(rc == 0 || in_log || !again);
        drain(e);
        CHECK_TABLE(t, "CNT", final);
        /* Logged: the 6 records after the snapshot re-emitted (once: the
         * query did not run between the REPLAY and the crash); not: none. */
        int got = records(t, "CNT") - before;
        CHECK_EQ_INT(got, in_log ? 6 : 0);
        free(final);
        engine_destroy(e);
        t->ops->destroy(t);
        testutil_rmtree(dir);
    }
    printf("crash points: 12, the replay logged in %d, applied again at the restart in %d\n", logged,
           applied_at_restart);
    CHECK(logged >= 10 && applied_at_restart >= 4);
}

/* Automatic snapshots every snapshot.interval.ms, the newest
 * snapshot.retention.count of them kept; named ones stay. */
static void test_automatic(void)
{
    Transport *t = memory_transport_create(2);
    Engine *e = make(t, NULL);
    CHECK_EQ_INT(run(e, DDL), 0);
    CHECK_EQ_INT(run(e, CTAS), 0);
    CHECK_EQ_INT(run(e, "CREATE SNAPSHOT mine;"), 0);
    CHECK_STR(fails(e, "SET 'snapshot.interval.ms' = 'often';"),
              "1:1: snapshot.interval.ms must be a number of milliseconds, not 'often'");
    CHECK_EQ_INT(run(e, "SET 'snapshot.interval.ms' = '1'; SET 'snapshot.retention.count' = '2';"), 0);
    EddyError err;
    for (int i = 0; i < 4; i++) {
        produce(t, 0, i, 1);
        usleep(3000);
        engine_poll(e, 0, &err);
    }
    CHECK_EQ_INT(run(e, "SHOW SNAPSHOTS;"), 0);
    int autos = 0;
    for (const char *p = text_out.data; (p = strstr(p, "(auto)")) != NULL; p++)
        autos++;
    CHECK_EQ_INT(autos, 2);
    CHECK(strstr(text_out.data, "MINE") != NULL);
    CHECK(strstr(log_out.data, "dropped the expired automatic snapshot auto-") != NULL);
    engine_destroy(e);
    t->ops->destroy(t);
}

/* ---- CREATE OR REPLACE ... AS SELECT ------------------------------------------- */

static void test_upgrade(void)
{
    char dir[] = "/tmp/eddy-test-upgrade-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    Transport *t = memory_transport_create(2);
    Engine *e = make(t, dir);
    CHECK_EQ_INT(run(e, DDL), 0);
    CHECK_EQ_INT(run(e, "CREATE STREAM out AS SELECT k, v FROM ev WHERE v >= 2;"), 0);
    CHECK_EQ_INT(run(e, CTAS), 0);
    produce(t, 0, 0, 4);
    drain(e);
    CHECK_EQ_INT(records(t, "OUT"), 2);

    /* A stream: filter changed, a column added at the end. */
    CHECK_EQ_INT(run(e, "CREATE OR REPLACE STREAM out AS SELECT k, v, v * 10 AS w FROM ev WHERE v < 2 OR v > 4;"), 0);
    CHECK_STR(text_out.data, "Upgraded query CSAS_OUT_1 in place: it goes on from its offsets with its state.\n");
    produce(t, 0, 4, 2);   /* 4 filtered out now, 5 passes */
    drain(e);
    const TransportRecord *recs;
    CHECK_EQ_INT(memory_transport_records(t, "OUT", &recs), 3);
    CHECK_STR((const char *)recs[2].value, "{\"V\":5,\"W\":50}");
    CHECK_EQ_INT(run(e, "SHOW QUERIES;"), 0);
    CHECK(strstr(text_out.data, "CSAS_OUT_1") && strstr(text_out.data, "v * 10 AS w"));

    /* A table: HAVING and the select list's expressions may change; its
     * counts go on. */
    CHECK_EQ_INT(run(e, "CREATE OR REPLACE TABLE cnt AS SELECT k, COUNT(*) * 1 AS n, SUM(v) AS s FROM ev "
                        "GROUP BY k HAVING COUNT(*) > 0;"), 0);
    produce(t, 1, 6, 1);
    drain(e);
    CHECK_TABLE(t, "CNT", "a={\"N\":4,\"S\":12};b={\"N\":3,\"S\":9};");

    /* Refusals, with the reason; nothing changes. */
    CHECK_STR(fails(e, "CREATE OR REPLACE TABLE cnt AS SELECT v, COUNT(*) AS n, SUM(v) AS s FROM ev GROUP BY v;"),
              "1:32: cannot upgrade query CTAS_CNT_2 in place: GROUP BY would change from (K) to (V): "
              "its state is kept per group.  To start it over, TERMINATE CTAS_CNT_2 and DROP TABLE CNT first");
    CHECK_STR(fails(e, "CREATE OR REPLACE TABLE cnt AS SELECT k, COUNT(*) AS n, MAX(v) AS s FROM ev GROUP BY k;"),
              "1:32: cannot upgrade query CTAS_CNT_2 in place: its aggregate calls would change from "
              "(COUNT(*), SUM(V)) to (COUNT(*), MAX(V)): its state holds one value per call.  To start "
              "it over, TERMINATE CTAS_CNT_2 and DROP TABLE CNT first");
    CHECK_STR(fails(e, "CREATE OR REPLACE TABLE cnt AS SELECT k, COUNT(*) AS n, SUM(v) AS s FROM ev "
                       "WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY k;"),
              "1:32: cannot upgrade query CTAS_CNT_2 in place: its output's windowing would change.  To "
              "start it over, TERMINATE CTAS_CNT_2 and DROP TABLE CNT first");
    CHECK_STR(fails(e, "CREATE OR REPLACE TABLE cnt AS SELECT k, COUNT(*) AS n, SUM(v) AS s, 1 AS one FROM ev GROUP BY k;"),
              "1:32: cannot upgrade query CTAS_CNT_2 in place: it would gain the value column ONE INTEGER: "
              "a table's rows are kept in state, so its columns stay.  To start it over, TERMINATE "
              "CTAS_CNT_2 and DROP TABLE CNT first");
    CHECK_EQ_INT(run(e, "CREATE STREAM ev2 (k STRING KEY, v INT) WITH (kafka_topic='ev2', value_format='JSON', partitions=2);"), 0);
    CHECK_STR(fails(e, "CREATE OR REPLACE STREAM out AS SELECT k, v, v * 10 AS w FROM ev2;"),
              "1:33: cannot upgrade query CSAS_OUT_1 in place: its source EV would become EV2: it resumes "
              "from its offsets in ev.  To start it over, TERMINATE CSAS_OUT_1 and DROP STREAM OUT first");
    CHECK_STR(fails(e, "CREATE OR REPLACE STREAM out AS SELECT k, v FROM ev;"),
              "1:33: cannot upgrade query CSAS_OUT_1 in place: its value column W INTEGER would be dropped.  "
              "To start it over, TERMINATE CSAS_OUT_1 and DROP STREAM OUT first");
    CHECK_STR(fails(e, "CREATE OR REPLACE TABLE out AS SELECT k, COUNT(*) AS n FROM ev GROUP BY k;"),
              "1:32: cannot upgrade query CSAS_OUT_1 in place: OUT is a stream.  To start it over, "
              "TERMINATE CSAS_OUT_1 and DROP STREAM OUT first");
    CHECK_STR(fails(e, "CREATE OR REPLACE STREAM ev AS SELECT * FROM ev2;"),
              "1:26: cannot replace stream EV: no running query writes it (only a query's output can be upgraded in place)");
    engine_destroy(e);

    /* After a restart the upgraded plans run; the statements that built
     * them, the replaced definitions included, are skipped as done. */
    e = make(t, dir);
    CHECK(e != NULL);
    sb_reset(&log_out);
    CHECK_EQ_INT(run(e, "CREATE STREAM out AS SELECT k, v FROM ev WHERE v >= 2;\n"
                        "CREATE OR REPLACE STREAM out AS SELECT k, v, v * 10 AS w FROM ev WHERE v < 2 OR v > 4;"), 0);
    CHECK(strstr(log_out.data, "skipped CREATE STREAM OUT AS SELECT: already in the catalog") != NULL);
    CHECK_STR(fails(e, "CREATE STREAM out AS SELECT k, v FROM ev WHERE v >= 3;"),
              "1:15: cannot add stream OUT: a stream with the same name already exists");
    produce(t, 0, 7, 2);   /* 7 passes, 8 too (6 on ev[1] did) */
    drain(e);
    CHECK_EQ_INT(memory_transport_records(t, "OUT", &recs), 6);
    CHECK_STR((const char *)recs[5].value, "{\"V\":8,\"W\":80}");
    CHECK_TABLE(t, "CNT", "a={\"N\":5,\"S\":20};b={\"N\":4,\"S\":16};");
    engine_destroy(e);
    t->ops->destroy(t);
    testutil_rmtree(dir);
}

int main(void)
{
    sb_init(&text_out);
    sb_init(&log_out);
    test_stateless_forms();
    test_errors();
    test_stateful();
    test_windowed_and_for_query();
    test_progress();
    test_restart();
    test_crash_points();
    test_automatic();
    test_upgrade();
    sb_free(&text_out);
    sb_free(&log_out);
    return testutil_done();
}
