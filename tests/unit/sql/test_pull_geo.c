/*
 * test_pull_geo.c - the geo index of pull queries (op_sink.c, pull.c):
 * GEO_DISTANCE(lat, lng, ...) < r read through the index answers exactly
 * the rows a table scan answers (the same WHERE written so that the index
 * cannot serve it), for many centres, radii, units and operator forms,
 * with rows that move, rows without a position, and after the index is
 * rebuilt from the table (state from before the index).  In-memory topics,
 * state in RocksDB under a temporary directory.
 */
#include "eddy/eddy.h"
#include "eddy/store.h"
#include "eddy/transport.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static StrBuf text_out, rows_out;
static int nrows;

static void on_text(void *ud, const char *t) { sb_puts(&text_out, t); }
static void on_log(void *ud, int level, const char *m) {}
static void on_row(void *ud, const char *const *cols, int n, bool header)
{
    if (header)
        return;
    for (int i = 0; i < n; i++)
        sb_printf(&rows_out, "%s%s", i ? "|" : "", cols[i]);
    sb_puts(&rows_out, "\n");
    nrows++;
}

static Engine *make(Transport *t, const char *dir)
{
    const char *props[] = {"auto.offset.reset", "earliest", "max.task.idle.ms", "-1", NULL};
    EngineConfig cfg = {.transport = t, .state_dir = dir,
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
    sb_reset(&rows_out);
    sb_puts(&rows_out, "");
    nrows = 0;
    int rc = engine_execute(e, sql, "test", &err);
    if (rc != 0)
        fprintf(stderr, "%s: %s\n", sql, err.msg);
    return rc;
}

static int cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The rows of the last query, sorted, one per line (malloc'd). */
static char *sorted_rows(void)
{
    char *copy = strdup(rows_out.data ? rows_out.data : ""), *lines[4096];
    int n = 0;
    for (char *tok = strtok(copy, "\n"); tok && n < 4096; tok = strtok(NULL, "\n"))
        lines[n++] = tok;
    qsort(lines, (size_t)n, sizeof lines[0], cmp_line);
    StrBuf sb;
    sb_init(&sb);
    sb_puts(&sb, "");
    for (int i = 0; i < n; i++)
        sb_printf(&sb, "%s\n", lines[i]);
    free(copy);
    return sb.data;
}

static void poll_all(Engine *e)
{
    EddyError err;
    for (int i = 0; i < 200 && !(engine_poll(e, 0, &err) == 0 && engine_caught_up(e)); i++) {
    }
}

static uint64_t rng = 88172645463325252ULL;
static double unit(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static void put(Transport *t, const char *id, const char *value)
{
    EddyError err;
    CHECK_EQ_INT(t->ops->produce(t, "pts", -1, id, strlen(id), value, strlen(value), 1000, &err), 0);
}

/* The geo query (index) and the same WHERE with "+ 0" after the call (a
 * scan) give the same rows; the index was used; returns the count. */
static int same_rows(Engine *e, const char *cond_fmt, double lat, double lng, double r,
                     const char *unit_arg)
{
    char call[200], idx[600], scan[600];
    snprintf(call, sizeof call, "GEO_DISTANCE(lat, lng, %.6f, %.6f%s)", lat, lng, unit_arg);
    char cond[300], cond0[300], call0[220];
    snprintf(cond, sizeof cond, cond_fmt, call, r);
    snprintf(call0, sizeof call0, "(%s + 0)", call);
    snprintf(cond0, sizeof cond0, cond_fmt, call0, r);
    snprintf(idx, sizeof idx, "SELECT id, lat, lng FROM pts_by_id WHERE %s;", cond);
    snprintf(scan, sizeof scan, "SELECT id, lat, lng FROM pts_by_id WHERE %s;", cond0);
    CHECK_EQ_INT(run(e, idx), 0);
    bool used = strstr(text_out.data, "by its geo index") != NULL;
    if (!used)
        fprintf(stderr, "not by the index: %s -> %s", idx, text_out.data);
    CHECK(used);
    char *a = sorted_rows();
    int n = nrows;
    CHECK_EQ_INT(run(e, scan), 0);
    CHECK(strstr(text_out.data, "by a table scan") != NULL);
    char *b = sorted_rows();
    if (strcmp(a, b) != 0)
        fprintf(stderr, "index and scan differ for %s\nindex:\n%s\nscan:\n%s", idx, a, b);
    CHECK_STR(a, b);
    free(a);
    free(b);
    return n;
}

static void check_many(Engine *e)
{
    /* Positional arguments: 1 the call, 2 the bound. */
    static const char *const forms[] = {"%1$s < %2$.4f", "%1$s <= %2$.4f", "%2$.4f > %1$s",
                                        "%2$.4f >= %1$s", "id <> 'none' AND %1$s < %2$.4f"};
    int total = 0;
    for (int i = 0; i < 40; i++) {
        double lat = 39.0997 + (unit() - 0.5) * 0.3, lng = -94.5786 + (unit() - 0.5) * 0.3;
        double r = 0.2 + unit() * 12;
        const char *u = i % 3 == 0 ? ", 'MI'" : i % 3 == 1 ? ", 'km'" : "";
        total += same_rows(e, forms[i % 5], lat, lng, r, u);
    }
    CHECK(total > 100);   /* the queries found rows: the comparison means something */
    /* A point exactly at the centre, radius 0 with <=: itself. */
    CHECK_EQ_INT(same_rows(e, "%1$s <= %2$.4f", 39.0, -94.0, 0.0, ""), 1);
}

/* sql runs as a table scan; returns its row count. */
static int scans(Engine *e, const char *sql)
{
    CHECK_EQ_INT(run(e, sql), 0);
    CHECK(strstr(text_out.data, "by a table scan") != NULL);
    return nrows;
}

static void test_index_equals_scan(void)
{
    char dir[] = "/tmp/eddy_test_pull_geo_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    Transport *t = memory_transport_create(4);
    Engine *e = make(t, dir);
    CHECK_EQ_INT(run(e, "CREATE STREAM pts (id STRING KEY, lat DOUBLE, lng DOUBLE) "
                        "WITH (kafka_topic='pts', value_format='JSON', partitions=4);"),
                 0);
    CHECK_EQ_INT(run(e, "CREATE TABLE pts_by_id AS SELECT id, LATEST_BY_OFFSET(lat) AS lat, "
                        "LATEST_BY_OFFSET(lng) AS lng FROM pts GROUP BY id;"),
                 0);
    char id[32], v[128];
    for (int i = 0; i < 1500; i++) {
        snprintf(id, sizeof id, "p%d", i);
        snprintf(v, sizeof v, "{\"LAT\":%.6f,\"LNG\":%.6f}", 39.0997 + (unit() - 0.5) * 0.4,
                 -94.5786 + (unit() - 0.5) * 0.4);
        put(t, id, v);
    }
    put(t, "centre", "{\"LAT\":39.0,\"LNG\":-94.0}");
    put(t, "nopos", "{\"LAT\":null,\"LNG\":-94.58}");
    poll_all(e);
    /* Half of them move (a later record of the id), some far away. */
    for (int i = 0; i < 1500; i += 2) {
        snprintf(id, sizeof id, "p%d", i);
        snprintf(v, sizeof v, "{\"LAT\":%.6f,\"LNG\":%.6f}",
                 i % 6 == 0 ? 45.0 : 39.0997 + (unit() - 0.5) * 0.4, -94.5786 + (unit() - 0.5) * 0.4);
        put(t, id, v);
    }
    poll_all(e);
    EddyError err;
    CHECK_EQ_INT(engine_checkpoint(e, &err), 0);
    CHECK_EQ_INT(run(e, "SELECT id FROM pts_by_id;"), 0);
    CHECK_EQ_INT(nrows, 1502);
    check_many(e);
    /* Far away: the moved rows are found at their new place only. */
    int far = same_rows(e, "%1$s < %2$.4f", 45.0, -94.5786, 30.0, "");
    CHECK_EQ_INT(far, 250);
    /* Beyond the index's reach: a box over a pole or the antimeridian,
     * or too many cells, is a scan. */
    scans(e, "SELECT id FROM pts_by_id WHERE GEO_DISTANCE(lat, lng, 89.9, 0.0) < 50;");
    scans(e, "SELECT id FROM pts_by_id WHERE GEO_DISTANCE(lat, lng, 0.0, 179.99) < 5;");
    CHECK_EQ_INT(scans(e, "SELECT id FROM pts_by_id WHERE GEO_DISTANCE(lat, lng, 39.0, -94.0) < 3000;"),
                 1501);   /* every row with a position */
    /* Not a radius conjunct: OR, columns swapped, the far side. */
    scans(e, "SELECT id FROM pts_by_id WHERE GEO_DISTANCE(lat, lng, 39.0, -94.0) < 5 OR id = 'x';");
    scans(e, "SELECT id FROM pts_by_id WHERE GEO_DISTANCE(lng, lat, 39.0, -94.0) < 5;");
    scans(e, "SELECT id FROM pts_by_id WHERE GEO_DISTANCE(lat, lng, 39.0, -94.0) > 5;");
    /* A bad unit: as a scan would, no row (the call is NULL). */
    CHECK_EQ_INT(run(e, "SELECT id FROM pts_by_id WHERE GEO_DISTANCE(lat, lng, 39.0, -94.0, 'furlong') < 5;"), 0);
    CHECK_EQ_INT(nrows, 0);
    engine_destroy(e);

    /* State from before the index: the geo store dropped; the sink rebuilds
     * it when the query starts again, and the answers are the same. */
    StateDb *db = statedb_open(dir, 1 << 20, &err);
    CHECK(db != NULL);
    CHECK_EQ_INT(statedb_drop_store(db, "CTAS_PTS_BY_ID_1.geo", &err), 0);
    statedb_close(db);
    e = make(t, dir);
    CHECK(e != NULL);
    poll_all(e);
    check_many(e);
    CHECK_EQ_INT(same_rows(e, "%1$s < %2$.4f", 45.0, -94.5786, 30.0, ""), 250);
    engine_destroy(e);
    t->ops->destroy(t);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ_INT(system(cmd), 0);
}

int main(void)
{
    sb_init(&text_out);
    sb_init(&rows_out);
    sb_puts(&text_out, "");
    test_index_equals_scan();
    sb_free(&text_out);
    sb_free(&rows_out);
    return testutil_done();
}
