/*
 * bench_pull_radius.c - latency of the radius pull query of
 * queries/accidents_near.ksql (README "Performance").  A benchmark, not a
 * test: never under CTest, and nothing here is asserted about time.
 *
 * In:  --rows N (default 100,000 accidents), --requests R (default 200).
 * Out: a table on stdout: per kind of request, its rows out and the
 *      latency p50 / p99 / mean over R requests, each a whole pull query
 *      through the embedding API (parse, plan, scan of the table's RocksDB
 *      store, GEO_DISTANCE on every row, rows formatted for the output):
 *      - radius, geo index: WHERE GEO_DISTANCE(lat, lng, 39.0997, -94.5786,
 *        'KM') < 5, which reads the table's geo index (pull.c);
 *      - radius, table scan: the same with "+ 0" after the call, which the
 *        index does not serve (every row decoded and tested);
 *      - scan, no row out: WHERE lat > 1000 (the same scan, the cheapest
 *        predicate, nothing to format: the baseline every request pays
 *        while pull queries scan the table);
 *      - scan, every row out: SELECT id (the whole table to the client);
 *      - raw C: the same haversine over the rows in a plain array in
 *        memory, no engine (the floor: what a hand-written service with
 *        the table in RAM, pandas-like, pays).
 *      The HTTP figure (the same query through eddy server and curl) is
 *      bench/bench_pull_radius_http.sh's.
 *
 * How: in-memory topics (the transport is not what is measured), state in
 * RocksDB under a fresh temporary directory; N accidents spread around 32
 * US cities as `eddy gen accidents` places them (Gaussian, sigma 0.05
 * degrees), Kansas City among them; the table is loaded by the query of
 * accidents_near.ksql itself, read from the source tree, and checkpointed
 * before any request.  The row count is checked (exit 1 if not N).
 */
#define _GNU_SOURCE   /* nftw */
#include "eddy/eddy.h"
#include "eddy/transport.h"

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct Place {
    const char *city;
    double lat, lng;
} Place;

static const Place cities[] = {
    {"Houston", 29.7604, -95.3698},        {"Los Angeles", 34.0522, -118.2437},
    {"Miami", 25.7617, -80.1918},          {"Charlotte", 35.2271, -80.8431},
    {"Dallas", 32.7767, -96.7970},         {"Orlando", 28.5383, -81.3792},
    {"Austin", 30.2672, -97.7431},         {"Raleigh", 35.7796, -78.6382},
    {"Nashville", 36.1627, -86.7816},      {"Baton Rouge", 30.4515, -91.1871},
    {"Atlanta", 33.7490, -84.3880},        {"Sacramento", 38.5816, -121.4944},
    {"Phoenix", 33.4484, -112.0740},       {"San Diego", 32.7157, -117.1611},
    {"Minneapolis", 44.9778, -93.2650},    {"Richmond", 37.5407, -77.4360},
    {"Oklahoma City", 35.4676, -97.5164},  {"Jacksonville", 30.3322, -81.6557},
    {"Tucson", 32.2226, -110.9747},        {"San Antonio", 29.4241, -98.4936},
    {"Seattle", 47.6062, -122.3321},       {"Portland", 45.5152, -122.6784},
    {"Denver", 39.7392, -104.9903},        {"Chicago", 41.8781, -87.6298},
    {"New York", 40.7128, -74.0060},       {"Philadelphia", 39.9526, -75.1652},
    {"Columbus", 39.9612, -82.9988},       {"Detroit", 42.3314, -83.0458},
    {"Salt Lake City", 40.7608, -111.8910}, {"Boston", 42.3601, -71.0589},
    {"Kansas City", 39.0997, -94.5786},    {"Greenville", 34.8526, -82.3940},
};
#define NCITIES (int)(sizeof cities / sizeof cities[0])

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static double rng_unit(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static double rng_gauss(void)
{
    double u = rng_unit(), v = rng_unit();
    return sqrt(-2.0 * log(u > 1e-300 ? u : 1e-300)) * cos(2 * M_PI * v);
}

/* The engine's output: rows counted, text kept for the error case. */
static long rows_out;
static void on_text(void *ud, const char *t) { (void)ud; (void)t; }
static void on_row(void *ud, const char *const *cols, int n, bool header)
{
    (void)ud; (void)cols; (void)n;
    if (!header)
        rows_out++;
}
static void on_log(void *ud, int level, const char *m)
{
    (void)ud;
    if (level > 0)
        fprintf(stderr, "eddy: %s\n", m);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, long rows, double *ms, int n)
{
    qsort(ms, (size_t)n, sizeof *ms, cmp_double);
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += ms[i];
    int p99 = (int)ceil(0.99 * n) - 1;
    printf("%-28s %9ld %9.3f %9.3f %9.3f %6d\n", what, rows, ms[(n - 1) / 2], ms[p99 < 0 ? 0 : p99],
           sum / n, n);
}

/* Runs sql `n` times, times each; the rows of the last run to *rows. */
static int timed(Engine *e, const char *sql, int n, double *ms, long *rows)
{
    EddyError err;
    for (int i = 0; i < n; i++) {
        rows_out = 0;
        double t0 = now_ms();
        if (engine_execute(e, sql, "bench", &err) != 0) {
            fprintf(stderr, "%s: %s\n", sql, err.msg);
            return -1;
        }
        ms[i] = now_ms() - t0;
    }
    *rows = rows_out;
    return 0;
}

static double haversine_km(double lat1, double lng1, double lat2, double lng2)
{
    double r = M_PI / 180, dl = (lat2 - lat1) * r, dg = (lng2 - lng1) * r;
    double h = sin(dl / 2) * sin(dl / 2) + cos(lat1 * r) * cos(lat2 * r) * sin(dg / 2) * sin(dg / 2);
    return 2 * asin(sqrt(h)) * 6371.0;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st; (void)flag; (void)f;
    return remove(p);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    StrBuf sb;
    sb_init(&sb);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sb_append(&sb, buf, n);
    fclose(f);
    return sb.data;
}

int main(int argc, char **argv)
{
    long nrows = 100000;
    int nreq = 200;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc)
            nrows = atol(argv[++i]);
        else if (strcmp(argv[i], "--requests") == 0 && i + 1 < argc)
            nreq = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_pull_radius [--rows N] [--requests R]\n");
            return 2;
        }
    }
    if (nrows < 1 || nreq < 1)
        return 2;
    char *ksql = read_file(EDDY_SOURCE_DIR "/queries/accidents_near.ksql");
    if (ksql == NULL) {
        fprintf(stderr, "cannot read %s\n", EDDY_SOURCE_DIR "/queries/accidents_near.ksql");
        return 1;
    }
    char dir[] = "/tmp/eddy_bench_pull_XXXXXX";
    if (mkdtemp(dir) == NULL)
        return 1;
    Transport *t = memory_transport_create(4);
    const char *props[] = {"max.task.idle.ms", "-1", NULL};
    EngineConfig cfg = {.transport = t, .state_dir = dir,
                        .out = {.text = on_text, .row = on_row, .log = on_log},
                        .props = props, .auto_create_topics = true};
    EddyError err;
    Engine *e = engine_create(&cfg, &err);
    if (e == NULL || engine_execute(e, ksql, "accidents_near.ksql", &err) != 0) {
        fprintf(stderr, "accidents_near.ksql: %s\n", err.msg);
        return 1;
    }
    free(ksql);

    double *lat = malloc(sizeof(double) * (size_t)nrows), *lng = malloc(sizeof(double) * (size_t)nrows);
    double t0 = now_ms();
    for (long i = 0; i < nrows; i++) {
        const Place *c = &cities[(int)(rng_unit() * NCITIES) % NCITIES];
        lat[i] = c->lat + 0.05 * rng_gauss();
        lng[i] = c->lng + 0.05 * rng_gauss();
        char k[32], v[512];
        int kl = snprintf(k, sizeof k, "A-%ld", i + 1);
        int vl = snprintf(v, sizeof v,
                          "{\"ID\":\"A-%ld\",\"Severity\":%d,\"Start_Time\":\"2023-01-01 %02ld:%02ld:%02ld\","
                          "\"City\":\"%s\",\"County\":\"X\",\"State\":\"XX\",\"Start_Lat\":%.6f,"
                          "\"Start_Lng\":%.6f,\"Weather_Condition\":\"Clear\",\"Temperature_F\":60.0,"
                          "\"Visibility_mi\":10.0}",
                          i + 1, 1 + (int)(rng_unit() * 4), (i / 3600) % 24, (i / 60) % 60, i % 60,
                          c->city, lat[i], lng[i]);
        if (t->ops->produce(t, "accidents", -1, k, (size_t)kl, v, (size_t)vl, 1672531200000LL + i,
                            &err) != 0) {
            fprintf(stderr, "produce: %s\n", err.msg);
            return 1;
        }
    }
    for (int idle = 0; idle < 3;) {
        int n = engine_poll(e, 0, &err);
        if (n < 0) {
            fprintf(stderr, "poll: %s\n", err.msg);
            return 1;
        }
        idle = n == 0 && engine_caught_up(e) ? idle + 1 : 0;
    }
    if (engine_checkpoint(e, &err) != 0) {
        fprintf(stderr, "checkpoint: %s\n", err.msg);
        return 1;
    }
    double load_ms = now_ms() - t0;
    EngineQueryProgress qp[2];
    engine_query_progress(e, qp, 2);
    fprintf(stderr, "loaded %ld accidents in %.0f ms (index included); table state %.1f MB in RocksDB\n", nrows,
            load_ms, (double)qp[0].state_bytes / 1e6);

    double *ms = malloc(sizeof(double) * (size_t)nreq);
    long rows;
    printf("pull queries over a %ld-row table (accidents_near.ksql), %d requests each\n", nrows, nreq);
    fflush(stdout);
    printf("%-28s %9s %9s %9s %9s %6s\n", "request", "rows out", "p50 ms", "p99 ms", "mean ms", "n");
    if (timed(e, "SELECT id FROM accidents_by_id;", 1, ms, &rows) != 0 || rows != nrows) {
        fprintf(stderr, "the table has %ld rows, not %ld\n", rows, nrows);
        return 1;
    }
    static const char radius[] =
        "SELECT id, severity, city, lat, lng FROM accidents_by_id "
        "WHERE GEO_DISTANCE(lat, lng, 39.0997, -94.5786, 'KM') < 5;";
    if (timed(e, radius, nreq, ms, &rows) != 0)
        return 1;
    report("radius, geo index", rows, ms, nreq);
    long radius_rows = rows;
    static const char radius_scan[] =
        "SELECT id, severity, city, lat, lng FROM accidents_by_id "
        "WHERE GEO_DISTANCE(lat, lng, 39.0997, -94.5786, 'KM') + 0 < 5;";
    if (timed(e, radius_scan, nreq, ms, &rows) != 0)
        return 1;
    report("radius, table scan", rows, ms, nreq);
    if (rows != radius_rows) {
        fprintf(stderr, "the index gave %ld rows, the scan %ld\n", radius_rows, rows);
        return 1;
    }
    if (timed(e, "SELECT id FROM accidents_by_id WHERE lat > 1000;", nreq, ms, &rows) != 0)
        return 1;
    report("scan, no row out", rows, ms, nreq);
    int nall = nreq < 20 ? nreq : 20;
    if (timed(e, "SELECT id FROM accidents_by_id;", nall, ms, &rows) != 0)
        return 1;
    report("scan, every row out", rows, ms, nall);
    volatile long sink = 0;
    for (int r = 0; r < nreq; r++) {
        double s = now_ms();
        long n = 0;
        for (long i = 0; i < nrows; i++)
            n += haversine_km(lat[i], lng[i], 39.0997, -94.5786) < 5;
        ms[r] = now_ms() - s;
        sink = n;
    }
    report("raw C haversine, array", (long)sink, ms, nreq);
    if ((long)sink != radius_rows) {
        fprintf(stderr, "the radius query gave %ld rows, the raw loop %ld\n", radius_rows, (long)sink);
        return 1;
    }
    free(ms);
    free(lat);
    free(lng);
    engine_destroy(e);
    t->ops->destroy(t);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
