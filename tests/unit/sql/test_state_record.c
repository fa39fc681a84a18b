/*
 * test_state_record.c - the engine with a state directory that does not
 * match its catalog, and a command log that cannot be written (on
 * in-memory topics, RocksDB state):
 *   - the rocksdb directory deleted, commands.ksql and the checkpoint
 *     record kept: the start logs the refusal with the remedy, the query
 *     is stopped at its first poll and writes nothing; REPLAY ... WITH
 *     EMPTY STATE then gives the table an uninterrupted run gives, and
 *     later restarts run it normally;
 *   - commands.ksql cannot be replaced (its temporary file's path is
 *     taken): CREATE TABLE AS fails saying the statement is not recorded,
 *     no query runs, the log is unchanged, and a restart brings back only
 *     what succeeded.
 */
#include "engine_testutil.h"
#include "eddy/transport.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *DDL =
    "CREATE STREAM ev (k STRING KEY, v INT) WITH (kafka_topic='ev', value_format='JSON', partitions=2);";
static const char *CTAS = "CREATE TABLE cnt AS SELECT k, COUNT(*) AS n, SUM(v) AS s FROM ev GROUP BY k;";

/* Records first..first+n-1 on both transports (the test's and the
 * reference run's), keys a, b, c in turn, partition by key. */
static void produce(Transport **ts, int nts, int first, int n)
{
    EddyError err;
    for (int i = first; i < first + n; i++) {
        char v[64];
        const char *k = i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : "c";
        int len = snprintf(v, sizeof v, "{\"V\":%d}", i);
        for (int j = 0; j < nts; j++)
            ts[j]->ops->produce(ts[j], "ev", k[0] == 'b', k, 1, v, (size_t)len, 1000LL * i, &err);
    }
}

/* The table a changelog topic ends as: "key=value;" sorted by key (keys
 * a, b, c only). */
static char *final_table(Transport *t, const char *topic)
{
    const TransportRecord *recs;
    int n = memory_transport_records(t, topic, &recs);
    char *vals[3] = {NULL, NULL, NULL};
    for (int i = 0; i < n; i++) {
        int j = ((const char *)recs[i].key)[0] - 'a';
        if (j < 0 || j > 2)
            continue;
        free(vals[j]);
        vals[j] = recs[i].value ? strndup(recs[i].value, recs[i].value_len) : strdup("null");
    }
    StrBuf out;
    sb_init(&out);
    sb_puts(&out, "");
    for (int j = 0; j < 3; j++) {
        sb_printf(&out, "%c=%s;", 'a' + j, vals[j] ? vals[j] : "-");
        free(vals[j]);
    }
    return out.data;
}

static int records(Transport *t, const char *topic)
{
    const TransportRecord *recs;
    return memory_transport_records(t, topic, &recs);
}

static void test_rocksdb_deleted(void)
{
    char dir[] = "/tmp/eddy-test-record-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    Transport *t = memory_transport_create(2), *ref_t = memory_transport_create(2);
    Transport *both[] = {t, ref_t};
    EddyError err;
    Engine *e = make(t, dir), *ref = make(ref_t, NULL);
    CHECK_EQ_INT(run(e, DDL, &err), 0);
    CHECK_EQ_INT(run(e, CTAS, &err), 0);
    CHECK_EQ_INT(run(ref, DDL, &err), 0);
    CHECK_EQ_INT(run(ref, CTAS, &err), 0);
    produce(both, 2, 0, 9);
    drain(e);
    engine_destroy(e);

    char path[300];
    snprintf(path, sizeof path, "%s/rocksdb", dir);
    testutil_rmtree(path);
    produce(both, 2, 9, 6);
    drain(ref);
    char *want = final_table(ref_t, "CNT");

    sb_reset(&log_out);
    e = make(t, dir);
    CHECK(e != NULL);
    CHECK(strstr(log_out.data, "the state of query CTAS_CNT_1 does not match its catalog") != NULL);
    CHECK(strstr(log_out.data, "holds no checkpoint of it") != NULL);
    CHECK(strstr(log_out.data, "REPLAY QUERY CTAS_CNT_1 FROM BEGINNING WITH EMPTY STATE") != NULL);
    int before = records(t, "CNT");
    drain(e);
    CHECK_EQ_INT(records(t, "CNT"), before);   /* not one row from empty state */
    CHECK_EQ_INT(engine_running_queries(e), 0);
    CHECK(strstr(log_out.data, "query CTAS_CNT_1 failed and was stopped") != NULL);
    engine_destroy(e);

    /* Still refused at the next start; the remedy, given before the
     * first poll, rebuilds it. */
    sb_reset(&log_out);
    e = make(t, dir);
    CHECK(strstr(log_out.data, "does not match its catalog") != NULL);
    CHECK_EQ_INT(run(e, "REPLAY QUERY CTAS_CNT_1 FROM BEGINNING WITH EMPTY STATE;", &err), 0);
    drain(e);
    CHECK_EQ_INT(engine_running_queries(e), 1);
    char *got = final_table(t, "CNT");
    CHECK_STR(got, want);
    free(got);
    engine_destroy(e);

    sb_reset(&log_out);
    e = make(t, dir);
    CHECK(strstr(log_out.data, "does not match") == NULL);
    produce(both, 2, 15, 3);
    drain(e);
    drain(ref);
    free(want);
    want = final_table(ref_t, "CNT");
    got = final_table(t, "CNT");
    CHECK_STR(got, want);
    free(got);
    free(want);
    engine_destroy(e);
    engine_destroy(ref);
    t->ops->destroy(t);
    ref_t->ops->destroy(ref_t);
    testutil_rmtree(dir);
}

static void test_log_not_writable(void)
{
    char dir[] = "/tmp/eddy-test-record-log-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char log[300], tmp[300];
    snprintf(log, sizeof log, "%s/commands.ksql", dir);
    snprintf(tmp, sizeof tmp, "%s/commands.ksql.tmp", dir);
    Transport *t = memory_transport_create(2);
    EddyError err;
    Engine *e = make(t, dir);
    CHECK_EQ_INT(run(e, DDL, &err), 0);
    char *before = eddy_read_file(log, &err);
    CHECK(mkdir(tmp, 0755) == 0);   /* the log cannot be replaced now */
    CHECK_EQ_INT(run(e, CTAS, &err), -1);
    CHECK(strstr(err.msg, "commands.ksql") != NULL && strstr(err.msg, "the statement is not recorded") != NULL);
    CHECK_EQ_INT(engine_running_queries(e), 0);
    char *after = eddy_read_file(log, &err);
    CHECK_STR(after, before);
    free(after);
    rmdir(tmp);
    CHECK_EQ_INT(run(e, CTAS, &err), 0);
    CHECK_EQ_INT(engine_running_queries(e), 1);
    engine_destroy(e);
    sb_reset(&log_out);
    e = make(t, dir);
    CHECK(strstr(log_out.data, "restored 2 streams/tables and 1 queries") != NULL);
    engine_destroy(e);
    free(before);
    t->ops->destroy(t);
    testutil_rmtree(dir);
}

int main(void)
{
    sb_init(&text_out);
    sb_init(&log_out);
    sb_init(&rows_out);
    test_rocksdb_deleted();
    test_log_not_writable();
    sb_free(&text_out);
    sb_free(&log_out);
    sb_free(&rows_out);
    return testutil_done();
}
