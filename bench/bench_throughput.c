/*
 * bench_throughput.c - eddy's throughput against the raw speed of the same
 * input (DESIGN.md section 7).  A benchmark, not a test: never under CTest.
 *
 * In:  --records N, --partitions P, --only NAME, -X key=value (librdkafka
 *      properties for every consumer, raw and eddy's alike).
 * Out: one table on stdout, every figure over the SAME records of one topic:
 *      raw librdkafka consume, raw jansson parse, eddy stateless
 *      filter+project, eddy tumbling aggregate (EMIT CHANGES, EMIT FINAL),
 *      joins, and a projection with and without PREDICT (a 100-tree xgboost
 *      model trained at start by bench/make_bench_model.py).
 *      Progress and eddy's log lines go to stderr.  Exits non-zero if any
 *      stage does not see every record.
 *
 * How: an embedded broker (librdkafka's mock cluster) in this process; the
 * topic `bench_in` is filled once with deterministic road-accident JSON
 * through the Kafka transport, then each stage reads all of it from the
 * beginning.  The mock cluster keeps about 5 MB per partition and silently
 * drops the oldest beyond that, so the partition count is raised until the
 * data fits; an untimed pass then checks that every partition still starts
 * at offset 0 and that all records are there, and keeps the values for the
 * jansson row.
 *
 * Rates count from each stage's first record, so they leave out consumer
 * start-up (for eddy, the consumer group's first join: ~3 s on the mock
 * cluster); "total" also counts it.  The raw consumer stops the clock at
 * the last record of every partition (eddy's consumer likewise knows its
 * end from the high watermark, not from the later EOF event).  Eddy rows
 * end after the final engine_checkpoint, so output is delivered, not just
 * queued.  The mock broker runs in this process and takes its share of
 * the CPUs in every row.
 */
#define _GNU_SOURCE   /* nftw */
#include "eddy/eddy.h"

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include <ftw.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TOPIC "bench_in"
#define DEFAULT_RECORDS 1000000L
#define DEFAULT_PARTITIONS 4
/* The mock cluster's limit per partition (librdkafka 2.0.2: 5 MiB of
 * record batches) and how much of it we allow ourselves: keys do not hash
 * perfectly evenly, and batches carry headers. */
#define MOCK_PARTITION_BYTES (5L * 1024 * 1024)
#define PARTITION_BUDGET (MOCK_PARTITION_BYTES * 6 / 10)
/* Record overhead inside a batch (length, attributes, deltas, header
 * count varints), a generous estimate. */
#define RECORD_OVERHEAD 12
#define BASE_TS 1700000000000LL   /* 2023-11-14T22:13:20Z */
/* A stage that makes no progress for this long has failed. */
#define STALL_MS 60000

/* ---- options and machine facts ---------------------------------------- */

#define MAX_XPROPS 16

typedef struct Options {
    long records;
    int partitions;
    bool partitions_given;
    const char *only;
    /* -X key=value: librdkafka properties for every consumer (raw and
     * eddy's), as key, value pairs, NULL-terminated. */
    char *xprops[2 * MAX_XPROPS + 1];
    int nxprops;
} Options;

/* Set once by main: the -X properties. */
static const Options *opts;
static int stage_threads = 1;   /* num.stream.threads of the eddy rows */

static const char *const stage_names[] = {"consume", "parse", "stateless", "tumbling",
                                          "tumbling_final", "join_ss", "join_st",
                                          "py_stateless", "py_tumbling", "predict_base",
                                          "predict", "threads1_stateless", "threads2_stateless",
                                          "threads1_keyagg", "threads2_keyagg",
                                          "threads1_city", "threads2_city"};
#define NSTAGES ((int)(sizeof stage_names / sizeof stage_names[0]))

static void usage(FILE *f)
{
    fprintf(f, "usage: bench_throughput [--records N] [--partitions P] [--only NAME]\n"
               "                        [-X key=value]...\n"
               "  --records N     records in the input topic (default %ld)\n"
               "  --partitions P  partitions of the input topic (default %d, raised if the\n"
               "                  data would not fit the mock cluster's 5 MB per partition)\n"
               "  --only NAME     run one row: consume, parse, stateless, tumbling,\n"
               "                  tumbling_final, join_ss, join_st, py_stateless, py_tumbling,\n"
               "                  predict_base, predict (predict_base and predict run together)\n"
               "  -X key=value    a librdkafka property for every consumer, raw and eddy's\n"
               "                  (e.g. -X queued.min.messages=1000000)\n",
            DEFAULT_RECORDS, DEFAULT_PARTITIONS);
}

static int parse_options(int argc, char **argv, Options *o)
{
    *o = (Options){.records = DEFAULT_RECORDS, .partitions = DEFAULT_PARTITIONS};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "--records") == 0 && v) {
            o->records = strtol(v, NULL, 10);
            i++;
        } else if (strcmp(a, "--partitions") == 0 && v) {
            o->partitions = (int)strtol(v, NULL, 10);
            o->partitions_given = true;
            i++;
        } else if (strcmp(a, "--only") == 0 && v) {
            o->only = v;
            i++;
        } else if (strcmp(a, "-X") == 0 && v && strchr(v, '=') && o->nxprops < 2 * MAX_XPROPS) {
            const char *eq = strchr(v, '=');
            o->xprops[o->nxprops++] = strndup(v, (size_t)(eq - v));
            o->xprops[o->nxprops++] = strdup(eq + 1);
            i++;
        } else {
            usage(stderr);
            return -1;
        }
    }
    if (o->records <= 0 || o->partitions <= 0) {
        fprintf(stderr, "bench: --records and --partitions must be positive\n");
        return -1;
    }
    if (o->only) {
        bool known = false;
        for (int i = 0; i < NSTAGES; i++)
            known |= strcmp(o->only, stage_names[i]) == 0 || strcmp(o->only, "threads") == 0;
        if (!known) {
            fprintf(stderr, "bench: unknown stage '%s'\n", o->only);
            usage(stderr);
            return -1;
        }
    }
    return 0;
}

static bool wanted(const Options *o, const char *stage)
{
    if (o->only && strncmp(o->only, "predict", 7) == 0 && strncmp(stage, "predict", 7) == 0)
        return true;   /* the PREDICT row is read beside its base row, from the same run */
    if (o->only && strcmp(o->only, "threads") == 0)
        return strncmp(stage, "threads", 7) == 0;   /* the 1- and 2-thread rows together */
    return o->only == NULL || strcmp(o->only, stage) == 0;
}

static void cpu_model(char *buf, size_t n)
{
    snprintf(buf, n, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0)
            continue;
        const char *p = strchr(line, ':');
        if (p == NULL)
            continue;
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        snprintf(buf, n, "%s", p);
        buf[strcspn(buf, "\n")] = '\0';
        break;
    }
    fclose(f);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the input ------------------------------------------------------------ */

#define CITY_TOPIC "bench_cities"

static const char *const cities[] = {
    "Dallas",     "Houston",      "Austin",       "Miami",         "Orlando",
    "Atlanta",    "Charlotte",    "Raleigh",      "Nashville",     "Memphis",
    "Chicago",    "Detroit",      "Columbus",     "Phoenix",       "Tucson",
    "Denver",     "Seattle",      "Portland",     "Sacramento",    "Los Angeles",
    "San Diego",  "San Jose",     "Oakland",      "Minneapolis",   "Boston",
    "New York",   "Philadelphia", "Baltimore",    "Richmond",      "Salt Lake City"};
#define NCITIES ((int)(sizeof cities / sizeof cities[0]))

static uint64_t mix64(uint64_t x)   /* splitmix64's finaliser */
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

typedef struct Accident {
    char key[24];
    int key_len;
    char value[640];
    int value_len;
    int64_t ts;
} Accident;

static const char *const weather[] = {"Clear", "Fair", "Partly Cloudy", "Mostly Cloudy",
                                      "Overcast", "Light Rain", "Rain", "Fog", "Light Snow",
                                      "Thunderstorm"};
static const char *const roads[] = {"I-35E", "I-45", "US-75", "I-10", "I-95", "SR-417", "I-75",
                                    "I-85", "I-40", "US-101"};

static void iso_time(int64_t ms, char *buf, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
}

/* Record n (1-based) of the input: the same for every run.  The shape of
 * `eddy gen accidents` (the US Accidents data set): 17 fields, ~420
 * bytes, mixed-case names that match the columns by their upper-cased
 * form; the queries read 4 of them. */
static void make_accident(long n, Accident *a)
{
    uint64_t h = mix64((uint64_t)n), h2 = mix64(h);
    int sev_roll = (int)(h % 100);
    int severity = sev_roll < 10 ? 1 : sev_roll < 55 ? 2 : sev_roll < 90 ? 3 : 4;
    int ci = (int)((h >> 8) % NCITIES);
    const char *city = cities[ci];
    int temp10 = (int)((h >> 16) % 1150) - 150;   /* -15.0 .. 99.9 F */
    int vis10 = (int)((h >> 32) % 101);           /* 0.0 .. 10.0 mi */
    int wind10 = (int)(h2 % 400), precip = (int)((h2 >> 12) % 60);
    double lat = 25.0 + (double)((h2 >> 20) % 2000000) / 100000.0;
    double lng = -120.0 + (double)((h2 >> 40) % 4000000) / 100000.0;
    /* ~10 ms apart and strictly increasing: n*10 plus 0..9 ms. */
    a->ts = BASE_TS + (int64_t)n * 10 + (int64_t)((h >> 48) % 10);
    char start[32], end[32];
    iso_time(a->ts, start, sizeof start);
    iso_time(a->ts + 60000 * (int64_t)(15 + (h2 >> 8) % 240), end, sizeof end);
    a->key_len = snprintf(a->key, sizeof a->key, "A-%ld", n);
    a->value_len = snprintf(
        a->value, sizeof a->value,
        "{\"ID\":\"A-%ld\",\"Severity\":%d,\"Start_Time\":\"%s\",\"End_Time\":\"%s\","
        "\"Start_Lat\":%.6f,\"Start_Lng\":%.6f,\"City\":\"%s\",\"County\":\"%s County\","
        "\"State\":\"S%02d\",\"Zipcode\":\"%05d\",\"Weather_Condition\":\"%s\","
        "\"Temperature_F\":%s%d.%d,\"Visibility_mi\":%d.%d,\"Wind_Speed_mph\":%d.%d,"
        "\"Precipitation_in\":0.%02d,\"Description\":\"Lane blocked due to accident on %s %sB "
        "near Exit %d. Expect delays.\",\"TS\":%" PRId64 "}",
        n, severity, start, end, lat, lng, city, city, ci, 10000 + (int)(h2 % 89999),
        weather[(h2 >> 30) % 10], temp10 < 0 ? "-" : "", abs(temp10) / 10, abs(temp10) % 10,
        vis10 / 10, vis10 % 10, wind10 / 10, wind10 % 10, precip, roads[(h2 >> 50) % 10],
        (h2 >> 56) & 1 ? "N" : "S", (int)((h2 >> 3) % 500), a->ts);
}

/* Bytes the records take in the broker's log, estimated. */
static int64_t estimate_log_bytes(long records)
{
    int64_t total = 0;
    Accident a;
    for (long n = 1; n <= records; n++) {
        make_accident(n, &a);
        total += a.key_len + a.value_len + RECORD_OVERHEAD;
    }
    return total;
}

static void log_to_stderr(void *ud, int level, const char *msg)
{
    (void)ud;
    if (level >= EDDY_LOG_WARNING)
        fprintf(stderr, "  [%s] %s\n", eddy_log_level_name(level), msg);
}

/* for_input: the transport that fills the topic (a producer queue that
 * holds the whole input; consumers would warn about that property).
 * Otherwise eddy's, with the -X properties (its producer warns about the
 * consumer-only ones). */
static Transport *connect_kafka(const char *bootstrap, bool for_input, EddyError *err)
{
    const char *props[2 * MAX_XPROPS + 5] = {"bootstrap.servers", bootstrap};
    int n = 2;
    if (for_input) {
        props[n++] = "queue.buffering.max.messages";
        props[n++] = "1000000";
    } else {
        for (int i = 0; i < opts->nxprops; i++)
            props[n++] = opts->xprops[i];
    }
    props[n] = NULL;
    Transport *t = kafka_transport_create(props, err);
    if (t)
        t->log = log_to_stderr;
    return t;
}

/* The stream-table row's table: one row per city, keyed by its name. */
static int produce_cities(const char *bootstrap, EddyError *err)
{
    Transport *t = connect_kafka(bootstrap, true, err);
    if (t == NULL)
        return -1;
    int rc = 0;
    for (int i = 0; i < NCITIES && rc == 0; i++) {
        char v[128];
        int n = snprintf(v, sizeof v, "{\"STATE\":\"S%02d\",\"POPULATION\":%d}", i, 100000 * (i + 1));
        rc = t->ops->produce(t, CITY_TOPIC, -1, cities[i], strlen(cities[i]), v, (size_t)n, 1, err);
    }
    if (rc == 0)
        rc = t->ops->flush(t, 60000, err);
    t->ops->destroy(t);
    return rc;
}

static int produce_input(const char *bootstrap, long records, EddyError *err)
{
    Transport *t = connect_kafka(bootstrap, true, err);
    if (t == NULL)
        return -1;
    Accident a;
    int rc = 0;
    for (long n = 1; n <= records && rc == 0; n++) {
        make_accident(n, &a);
        rc = t->ops->produce(t, TOPIC, -1, a.key, (size_t)a.key_len, a.value,
                             (size_t)a.value_len, a.ts, err);
        if (n % 10000 == 0)
            t->ops->poll(t);
    }
    if (rc == 0)
        rc = t->ops->flush(t, 120000, err);
    t->ops->destroy(t);
    return rc;
}

/* ---- raw librdkafka ------------------------------------------------------ */

static rd_kafka_t *raw_consumer(const char *bootstrap, const char *topic, int partitions)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *kv[][2] = {{"bootstrap.servers", bootstrap},
                           {"group.id", "bench_raw"},
                           {"enable.auto.commit", "false"},
                           {"enable.partition.eof", "true"},
                           {"auto.offset.reset", "earliest"}};
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        if (rd_kafka_conf_set(conf, kv[i][0], kv[i][1], errstr, sizeof errstr) !=
            RD_KAFKA_CONF_OK) {
            fprintf(stderr, "bench: %s: %s\n", kv[i][0], errstr);
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    for (int i = 0; i + 1 < opts->nxprops; i += 2)
        if (rd_kafka_conf_set(conf, opts->xprops[i], opts->xprops[i + 1], errstr,
                              sizeof errstr) != RD_KAFKA_CONF_OK) {
            fprintf(stderr, "bench: -X %s: %s\n", opts->xprops[i], errstr);
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (rk == NULL) {
        fprintf(stderr, "bench: consumer: %s\n", errstr);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; p++)
        rd_kafka_topic_partition_list_add(list, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_resp_err_t e = rd_kafka_assign(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "bench: assign: %s\n", rd_kafka_err2str(e));
        rd_kafka_destroy(rk);
        return NULL;
    }
    return rk;
}

/* Every record's value, in consumption order, in one buffer. */
typedef struct Values {
    char *data;
    size_t len, cap;
    size_t *off;        /* value i is data[off[i] .. off[i+1]) */
    long n, capn;
} Values;

static void values_add(Values *v, const void *p, size_t len)
{
    if (v->n + 2 > v->capn) {
        v->capn = v->capn ? v->capn * 2 : 1 << 16;
        v->off = realloc(v->off, sizeof *v->off * (size_t)v->capn);
    }
    if (v->len + len > v->cap) {
        v->cap = v->cap ? v->cap * 2 : 1 << 24;
        while (v->cap < v->len + len)
            v->cap *= 2;
        v->data = realloc(v->data, v->cap);
    }
    if (v->off == NULL || v->data == NULL) {
        fprintf(stderr, "bench: out of memory\n");
        exit(1);
    }
    if (v->n == 0)
        v->off[0] = 0;
    memcpy(v->data + v->len, p, len);
    v->len += len;
    v->off[++v->n] = v->len;
}

typedef struct Result {
    const char *name;
    bool ran, ok, skipped;
    char note[256];
    long records;          /* records the stage saw */
    double total_s;        /* from the start of the stage */
    double steady_s;       /* from the first record */
    long steady_records;   /* records processed within steady_s */
    int64_t bytes;         /* input bytes (keys + values) */
    int64_t records_out;   /* eddy: output records */
    double wall_s;         /* start-up included: eddy from engine_create, Python from its spawn */
    double rss_mb;         /* resident set at the end of the row (Python: its peak) */
    double rss_growth_mb;  /* growth during the row (in-process rows) */
    double cpu_pct;        /* eddy rows: process CPU from the first record on, % of one core
                            * (the in-process broker's threads included) */
} Result;

/* User + system CPU seconds of the whole process so far. */
static double cpu_now_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* The process's resident set now, in MB (from /proc/self/statm). */
static double rss_now_mb(void)
{
    long pages = 0, res = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &res) != 2)
        res = 0;
    fclose(f);
    return (double)res * (double)sysconf(_SC_PAGESIZE) / 1e6;
}

/* Reads the topic from the beginning until every partition is at its end.
 * With ends == NULL (the untimed pass): the end is each partition's EOF
 * event; every value is copied into *keep and each partition's end offset
 * goes to ends_out.  With ends (the timed pass): the clock stops at the
 * last record of every partition, as eddy's consumer knows its end from
 * the high watermark; the EOF events after it only confirm that no record
 * came after (librdkafka sends them a fetch round later, up to
 * fetch.wait.max.ms, which would otherwise count against the raw figure). */
static int raw_consume(const char *bootstrap, int partitions, long expect, Result *r,
                       Values *keep, const int64_t *ends, int64_t *ends_out)
{
    double t0 = now_s(), t1 = 0, tlast = 0;
    rd_kafka_t *rk = raw_consumer(bootstrap, TOPIC, partitions);
    if (rk == NULL)
        return -1;
    bool *eof = calloc((size_t)partitions, sizeof *eof);
    bool *done = calloc((size_t)partitions, sizeof *done);
    bool *seen = calloc((size_t)partitions, sizeof *seen);
    int neof = 0, ndone = 0;
    for (int p = 0; ends && p < partitions; p++)
        if (ends[p] <= 0) {
            done[p] = true;
            ndone++;
        }
    long count = 0;
    int64_t bytes = 0;
    double last_progress = now_s();
    while (neof < partitions) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
        if (m == NULL) {
            if ((now_s() - last_progress) * 1000 > STALL_MS) {
                fprintf(stderr, "bench: raw consumer stalled at %ld records\n", count);
                break;
            }
            continue;
        }
        last_progress = now_s();
        int32_t p = m->partition;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (p >= 0 && p < partitions && !eof[p]) {
                eof[p] = true;
                neof++;
                if (ends_out)
                    ends_out[p] = m->offset;
            }
        } else if (m->err) {
            fprintf(stderr, "bench: raw consumer: %s\n", rd_kafka_message_errstr(m));
        } else {
            if (count++ == 0)
                t1 = now_s();
            bytes += (int64_t)m->len + (int64_t)m->key_len;
            if (keep)
                values_add(keep, m->payload, m->len);
            if (ends_out && p >= 0 && p < partitions && !seen[p]) {
                seen[p] = true;
                if (m->offset != 0)
                    fprintf(stderr, "bench: %s [%d] starts at offset %" PRId64
                                    ": the broker dropped its oldest records\n",
                            TOPIC, p, m->offset);
            }
            if (ends && p >= 0 && p < partitions && !done[p] && m->offset + 1 >= ends[p]) {
                done[p] = true;
                if (++ndone == partitions)
                    tlast = now_s();
            }
        }
        rd_kafka_message_destroy(m);
    }
    double t2 = now_s();
    if (ends == NULL || ndone < partitions)
        tlast = t2;
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    free(eof);
    free(done);
    free(seen);
    r->ran = true;
    r->records = count;
    r->bytes = bytes;
    r->rss_mb = rss_now_mb();
    r->total_s = tlast - t0;
    r->steady_s = count > 0 ? tlast - t1 : 0;
    r->steady_records = count > 0 ? count - 1 : 0;
    r->ok = count == expect;
    if (!r->ok)
        snprintf(r->note, sizeof r->note, "saw %ld of %ld records", count, expect);
    if (ends)
        fprintf(stderr, "  all records at %.3f s, every partition's EOF event at %.3f s\n",
                tlast - t0, t2 - t0);
    return 0;
}

static void raw_parse(const Values *v, long expect, Result *r)
{
    long ok = 0;
    double t0 = now_s();
    for (long i = 0; i < v->n; i++) {
        json_error_t jerr;
        /* The flags eddy's JSON serde uses. */
        json_t *j = json_loadb(v->data + v->off[i], v->off[i + 1] - v->off[i],
                               JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        if (j) {
            ok++;
            json_decref(j);
        }
    }
    double t1 = now_s();
    r->ran = true;
    r->records = ok;
    r->rss_mb = rss_now_mb();
    r->bytes = (int64_t)v->len;
    r->total_s = r->steady_s = t1 - t0;
    r->steady_records = ok;
    r->ok = ok == expect;
    if (!r->ok)
        snprintf(r->note, sizeof r->note, "parsed %ld of %ld records", ok, expect);
}

/* ---- eddy ------------------------------------------------------------------ */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static const char create_acc[] =
    "CREATE STREAM acc (id STRING KEY, severity INT, start_time STRING, end_time STRING, "
    "start_lat DOUBLE, start_lng DOUBLE, city STRING, county STRING, state STRING, "
    "zipcode STRING, weather_condition STRING, temperature_f DOUBLE, visibility_mi DOUBLE, "
    "wind_speed_mph DOUBLE, precipitation_in DOUBLE, description STRING, ts BIGINT) "
    "WITH (kafka_topic='" TOPIC "', value_format='JSON', timestamp='ts');\n";

/* Runs `query` (after the CREATE STREAM) in a fresh engine and state dir
 * until every record of the topic went through it. */
static void eddy_stage(const char *bootstrap, const char *query, long expect, int64_t bytes,
                       Result *r)
{
    r->ran = true;
    double ts = now_s(), rss0 = rss_now_mb();
    char dir[] = "/tmp/eddy-bench-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        snprintf(r->note, sizeof r->note, "mkdtemp failed");
        return;
    }
    EddyError err;
    eddy_error_clear(&err);
    Transport *t = connect_kafka(bootstrap, false, &err);
    Engine *e = NULL;
    if (t == NULL) {
        snprintf(r->note, sizeof r->note, "%.200s", err.msg);
        goto out;
    }
    /* A backlog read to its end, as `eddy run --until-caught-up` does: no
     * idle wait for records not on the broker yet (max.task.idle.ms 0). */
    /* One worker thread unless the row is about threads (stage_threads). */
    char threads[16];
    snprintf(threads, sizeof threads, "%d", stage_threads);
    const char *props[] = {"auto.offset.reset", "earliest", "max.task.idle.ms", "0",
                           "num.stream.threads", threads, NULL};
    EngineConfig cfg = {
        .transport = t,
        .state_dir = dir,
        .out = {.log = log_to_stderr},
        .props = props,
    };
    e = engine_create(&cfg, &err);
    if (e == NULL) {
        snprintf(r->note, sizeof r->note, "engine: %.200s", err.msg);
        goto out;
    }
    size_t len = strlen(create_acc) + strlen(query) + 1;
    char *text = malloc(len);
    snprintf(text, len, "%s%s", create_acc, query);
    double t0 = now_s(), t1 = 0;
    int rc = engine_execute(e, text, "bench", &err);
    free(text);
    fprintf(stderr, "  engine ready in %.3f s, statements executed in %.3f s\n", t0 - ts,
            now_s() - t0);
    if (rc != 0) {
        r->skipped = true;
        snprintf(r->note, sizeof r->note, "does not run: %.200s", err.msg);
        goto out;
    }
    EngineStats st = {0};
    int64_t first_in = 0;
    double last_progress = now_s(), cpu1 = 0;
    for (;;) {
        int n = engine_poll(e, 100, &err);
        if (n < 0) {
            snprintf(r->note, sizeof r->note, "poll: %.200s", err.msg);
            goto out;
        }
        engine_stats(e, &st);
        if (n > 0) {
            last_progress = now_s();
            if (t1 == 0) {
                t1 = last_progress;
                cpu1 = cpu_now_s();
                first_in = st.records_in;
                fprintf(stderr, "  first records %.3f s after the first statement\n", t1 - t0);
            }
        }
        if (engine_caught_up(e) && st.records_in >= expect)
            break;
        if (engine_running_queries(e) == 0) {
            snprintf(r->note, sizeof r->note, "the query stopped (see the log above)");
            break;
        }
        if ((now_s() - last_progress) * 1000 > STALL_MS) {
            snprintf(r->note, sizeof r->note, "no progress for %d s", STALL_MS / 1000);
            break;
        }
    }
    double tc = now_s();
    fprintf(stderr, "  caught up %.3f s after the first record\n", t1 > 0 ? tc - t1 : 0);
    if (engine_checkpoint(e, &err) != 0) {
        snprintf(r->note, sizeof r->note, "checkpoint: %.200s", err.msg);
        goto out;
    }
    double t2 = now_s();
    engine_stats(e, &st);
    r->records = (long)st.records_in;
    r->records_out = st.records_out;
    r->bytes = bytes;
    r->total_s = t2 - t0;
    r->wall_s = t2 - ts;
    r->rss_mb = rss_now_mb();
    r->rss_growth_mb = r->rss_mb - rss0;
    r->steady_s = t1 > 0 ? t2 - t1 : 0;
    r->cpu_pct = r->steady_s > 0 ? 100.0 * (cpu_now_s() - cpu1) / r->steady_s : 0;
    r->steady_records = (long)(st.records_in - first_in);
    r->ok = st.records_in == expect && r->note[0] == '\0';
    if (r->ok && (st.records_skipped > 0 || st.eval_errors > 0)) {
        r->ok = false;
        snprintf(r->note, sizeof r->note, "%lld bad records, %lld expression errors",
                 (long long)st.records_skipped, (long long)st.eval_errors);
    } else if (!r->ok && r->note[0] == '\0') {
        snprintf(r->note, sizeof r->note, "saw %lld of %ld records", (long long)st.records_in,
                 expect);
    }
    fprintf(stderr, "  %lld in, %lld out; final checkpoint %.3f s\n", (long long)st.records_in,
            (long long)st.records_out, t2 - tc);
out:
    engine_destroy(e);
    if (t)
        t->ops->destroy(t);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Sum of the N column over an EMIT FINAL table's output topic: how many
 * input records its emitted windows counted (the rest are in windows still open at the end or arrived after their window
 * had closed and were dropped as late).  Returns -1 if it cannot tell. */
static long long final_counted(const char *bootstrap, const char *topic, int partitions)
{
    rd_kafka_t *rk = raw_consumer(bootstrap, topic, partitions);
    if (rk == NULL)
        return -1;
    long long sum = 0;
    int neof = 0;
    double last_progress = now_s();
    while (neof < partitions && (now_s() - last_progress) * 1000 < STALL_MS) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
        if (m == NULL)
            continue;
        last_progress = now_s();
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            neof++;
        } else if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->payload) {
            json_t *j = json_loadb(m->payload, m->len, 0, NULL);
            sum += j ? json_integer_value(json_object_get(j, "N")) : 0;
            json_decref(j);
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return neof == partitions ? sum : -1;
}

/* ---- the Python peer -------------------------------------------------------- */

/* An interpreter that can import confluent_kafka: $EDDY_PYTHON, python3,
 * /usr/bin/python3 (Debian's python3-confluent-kafka is for the system
 * Python, which a version manager may shadow on PATH); NULL if none. */
static const char *python_with_kafka(void)
{
    static const char *found;
    static bool looked;
    if (looked)
        return found;
    looked = true;
    const char *cands[] = {getenv("EDDY_PYTHON"), "python3", "/usr/bin/python3"};
    for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++) {
        if (cands[i] == NULL || cands[i][0] == '\0')
            continue;
        char cmd[512];
        snprintf(cmd, sizeof cmd, "'%s' -c 'import confluent_kafka' >/dev/null 2>&1", cands[i]);
        if (system(cmd) == 0)
            return found = cands[i];
    }
    return NULL;
}

/* Runs bench/python_peer.py in `mode` over the input topic; the wall time
 * counts from the spawn to its exit (start-up included). */
static void python_stage(const char *bootstrap, const char *mode, const char *out_topic,
                         long expect, int64_t bytes, Result *r)
{
    r->ran = true;
    const char *py = python_with_kafka();
    if (py == NULL) {
        r->skipped = true;
        snprintf(r->note, sizeof r->note,
                 "not run: no python3 that imports confluent_kafka (python3-confluent-kafka)");
        return;
    }
    int fds[2];
    if (pipe(fds) != 0) {
        snprintf(r->note, sizeof r->note, "pipe failed");
        return;
    }
    double t0 = now_s();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execlp(py, py, EDDY_SOURCE_DIR "/bench/python_peer.py", "--bootstrap", bootstrap,
               "--topic", TOPIC, "--mode", mode, "--out", out_topic, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char line[512] = "";
    size_t n = 0;
    ssize_t k;
    while (pid > 0 && n + 1 < sizeof line && (k = read(fds[0], line + n, sizeof line - 1 - n)) > 0)
        n += (size_t)k;
    line[n] = '\0';
    close(fds[0]);
    int status = 0;
    struct rusage ru = {0};
    if (pid < 0 || wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        snprintf(r->note, sizeof r->note, "python_peer.py failed (status %d)", status);
        return;
    }
    double t1 = now_s();
    json_t *j = json_loads(line, 0, NULL);
    r->records = j ? (long)json_integer_value(json_object_get(j, "records")) : 0;
    r->records_out = j ? json_integer_value(json_object_get(j, "out")) : 0;
    json_decref(j);
    r->bytes = bytes;
    r->wall_s = r->total_s = r->steady_s = t1 - t0;
    r->steady_records = r->records;
    r->rss_mb = (double)ru.ru_maxrss * 1024 / 1e6;
    r->ok = r->records == expect;
    if (!r->ok)
        snprintf(r->note, sizeof r->note, "saw %ld of %ld records", r->records, expect);
}

/* ---- PREDICT ------------------------------------------------------------------ */

/* The PREDICT rows: a projection of every accident, and the same with the
 * risk a 100-tree, depth-6 xgboost model gives it (bench/make_bench_model.py
 * trains it now, with python3-xgboost; without it the rows are skipped).
 * note receives what the model is, as the script says. */
static void predict_stages(const char *bootstrap, long records, int64_t bytes, Result *base,
                           Result *scored, char *note, size_t notelen)
{
    char dir[] = "/tmp/eddy-bench-model-XXXXXX";
    if (mkdtemp(dir) == NULL)
        return;
    char cmd[1024], model[256];
    snprintf(model, sizeof model, "%s/risk.json", dir);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/bench/make_bench_model.py %s", EDDY_SOURCE_DIR,
             model);
    fprintf(stderr, "training the PREDICT rows' model: %s\n", cmd);
    FILE *p = popen(cmd, "r");
    if (p == NULL || fgets(note, (int)notelen, p) == NULL)
        note[0] = '\0';
    note[strcspn(note, "\n")] = '\0';
    if ((p == NULL || pclose(p) != 0) || note[0] == '\0') {
        base->ran = scored->ran = base->skipped = scored->skipped = true;
        snprintf(base->note, sizeof base->note, "skipped: no model (needs /usr/bin/python3 with xgboost)");
        snprintf(scored->note, sizeof scored->note, "%s", base->note);
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        return;
    }
    fprintf(stderr, "  %s\n%s ...\n", note, base->name);
    eddy_stage(bootstrap,
               "CREATE STREAM risk_base AS SELECT id, severity, temperature_f, visibility_mi "
               "FROM acc;",
               records, bytes, base);
    char query[1024];
    snprintf(query, sizeof query,
             "CREATE MODEL risk FROM '%s';\n"
             "CREATE STREAM risk_scored AS SELECT id, severity, temperature_f, visibility_mi, "
             "PREDICT(risk, severity, temperature_f, visibility_mi) AS risk FROM acc;",
             model);
    fprintf(stderr, "%s ...\n", scored->name);
    eddy_stage(bootstrap, query, records, bytes, scored);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the table ----------------------------------------------------------- */

static double steady_rate(const Result *r)
{
    return r->ran && r->ok && r->steady_s > 0 ? r->steady_records / r->steady_s : 0;
}

static void print_table(const Result *rs, int n, const Result *consume, const Result *parse)
{
    double raw_rate = steady_rate(consume), parse_rate = steady_rate(parse);
    printf("| stage                          |   records | total s | from 1st record s |"
           "  records/s |   MB/s | %% of raw consume | %% of raw parse | RSS MB | RSS growth MB |\n");
    printf("|--------------------------------|----------:|--------:|------------------:|"
           "-----------:|-------:|-----------------:|---------------:|-------:|--------------:|\n");
    for (int i = 0; i < n; i++) {
        const Result *r = &rs[i];
        if (!r->ran)
            continue;
        if (r->skipped || (!r->ok && r->steady_s <= 0)) {
            printf("| %-30s | %9s | %7s | %17s | %10s | %6s | %16s | %14s | %6s | %13s |  %s\n",
                   r->name, "-", "-", "-", "-", "-", "-", "-", "-", "-", r->note);
            continue;
        }
        double rate = r->steady_s > 0 ? r->steady_records / r->steady_s : 0;
        double mbs = rate * ((double)r->bytes / (double)(r->records > 0 ? r->records : 1)) / 1e6;
        bool eddy = r != consume && r != parse && strncmp(r->name, "python", 6) != 0;
        char pct[32] = "-", ppct[32] = "-";
        if (raw_rate > 0 && (eddy || r == consume))
            snprintf(pct, sizeof pct, "%.1f %%", 100.0 * rate / raw_rate);
        if (parse_rate > 0 && (eddy || r == parse))
            snprintf(ppct, sizeof ppct, "%.1f %%", 100.0 * rate / parse_rate);
        char growth[32] = "-";
        if (eddy)
            snprintf(growth, sizeof growth, "%.1f", r->rss_growth_mb);
        printf("| %-30s | %9ld | %7.2f | %17.2f | %10.0f | %6.1f | %16s | %14s | %6.0f | %13s |%s%s\n",
               r->name, r->records, r->total_s, r->steady_s, rate, mbs, pct, ppct, r->rss_mb,
               growth, r->ok ? "" : "  FAILED: ", r->ok ? "" : r->note);
    }
}

int main(int argc, char **argv)
{
    Options o;
    if (parse_options(argc, argv, &o) != 0)
        return 2;
    opts = &o;
    setvbuf(stdout, NULL, _IOLBF, 0);

    char cpu[256];
    cpu_model(cpu, sizeof cpu);
    printf("command: ");
    for (int i = 0; i < argc; i++)
        printf("%s%s", i ? " " : "", argv[i]);
    time_t now = time(NULL);
    char date[64];
    strftime(date, sizeof date, "%Y-%m-%d %H:%M %Z", localtime(&now));
    printf("\ndate: %s\nmachine: %ld cores (nproc), %s; librdkafka %s, jansson %s\n", date,
           sysconf(_SC_NPROCESSORS_ONLN), cpu, rd_kafka_version_str(), JANSSON_VERSION);

    /* Enough partitions that the mock cluster keeps everything. */
    int64_t log_bytes = estimate_log_bytes(o.records);
    int need = (int)((log_bytes + PARTITION_BUDGET - 1) / PARTITION_BUDGET);
    need = (need + 3) / 4 * 4;   /* a round number reads better in the table */
    if (o.partitions < need) {
        if (o.partitions_given)
            fprintf(stderr,
                    "bench: warning: %d partitions hold ~%.1f MB each, over the mock cluster's "
                    "5 MB; the oldest records will be dropped\n",
                    o.partitions, (double)log_bytes / o.partitions / 1e6);
        else {
            fprintf(stderr,
                    "bench: %d partitions would hold ~%.1f MB each, over the mock cluster's "
                    "5 MB; using %d\n",
                    o.partitions, (double)log_bytes / o.partitions / 1e6, need);
            o.partitions = need;
        }
    }
    printf("input: topic %s, %ld records, %d partitions, ~%.1f MB in the log (~%.2f MB per "
           "partition)\n\n",
           TOPIC, o.records, o.partitions, (double)log_bytes / 1e6,
           (double)log_bytes / o.partitions / 1e6);

    Result rs[NSTAGES] = {
        {.name = "raw librdkafka consume"},
        {.name = "raw jansson parse"},
        {.name = "eddy stateless filter+project"},
        {.name = "eddy tumbling agg EMIT CHANGES"},
        {.name = "eddy tumbling agg EMIT FINAL"},
        {.name = "eddy stream-stream join"},
        {.name = "eddy stream-table join"},
        {.name = "python filter+project"},
        {.name = "python tumbling agg (changes)"},
        {.name = "eddy projection (PREDICT base)"},
        {.name = "eddy projection + PREDICT"},
        {.name = "eddy stateless, 1 thread"},
        {.name = "eddy stateless, 2 threads"},
        {.name = "eddy agg by key, 1 thread"},
        {.name = "eddy agg by key, 2 threads"},
        {.name = "eddy agg by city, 1 thread"},
        {.name = "eddy agg by city, 2 threads"},
    };
    Result *consume = &rs[0];
    int failed = 0, rc = 1;
    int64_t *ends = NULL;   /* each partition's end offset */
    Values vals = {0};
    EddyError err;
    eddy_error_clear(&err);
    EmbeddedBroker *broker = embedded_broker_start(1, &err);
    if (broker == NULL) {
        fprintf(stderr, "bench: %s\n", err.msg);
        goto done;
    }
    const char *bootstrap = embedded_broker_bootstrap(broker);
    /* The sinks too: the mock cluster does not serve CreateTopics, and the
     * engine's attempt would add its 3 s timeout to every eddy row. */
    static const char *const topics[] = {TOPIC, "SEVERE", "PER_CITY", "PER_CITY_FINAL",
                                         "SAME_CITY", "ENRICHED", CITY_TOPIC, "SEVERE_PY",
                                         "PER_CITY_PY", "RISK_BASE", "RISK_SCORED"};
    for (size_t i = 0; i < sizeof topics / sizeof topics[0]; i++)
        if (embedded_broker_create_topic(broker, topics[i], o.partitions, &err) != 0) {
            fprintf(stderr, "bench: %s\n", err.msg);
            goto done;
        }
    fprintf(stderr, "producing %ld records to %s ...\n", o.records, TOPIC);
    double p0 = now_s();
    if (produce_input(bootstrap, o.records, &err) != 0) {
        fprintf(stderr, "bench: produce: %s\n", err.msg);
        goto done;
    }
    fprintf(stderr, "  produced in %.2f s\n", now_s() - p0);
    if (produce_cities(bootstrap, &err) != 0) {
        fprintf(stderr, "bench: produce cities: %s\n", err.msg);
        goto done;
    }


    /* Every record must be there: a pass that keeps the values, untimed,
     * which the jansson row parses. */
    ends = calloc((size_t)o.partitions, sizeof *ends);
    int64_t bytes;   /* keys and values of the whole input */
    {
        Result check = {.name = "check"};
        fprintf(stderr, "reading the topic back (untimed) ...\n");
        if (raw_consume(bootstrap, o.partitions, o.records, &check, &vals, NULL, ends) != 0)
            goto done;
        printf("raw consumer saw %ld of %ld records (%.1f MB of keys and values)\n",
               check.records, o.records, (double)check.bytes / 1e6);
        if (!check.ok) {
            fprintf(stderr, "bench: FAILED: the topic does not hold every record (%s)\n",
                    check.note);
            failed++;
        }
        bytes = check.bytes;
    }
    if (wanted(&o, "consume")) {
        fprintf(stderr, "raw librdkafka consume ...\n");
        if (raw_consume(bootstrap, o.partitions, o.records, consume, NULL, ends, NULL) != 0)
            goto done;
    }
    if (wanted(&o, "parse")) {
        fprintf(stderr, "raw jansson parse ...\n");
        raw_parse(&vals, o.records, &rs[1]);
    }
    free(vals.data);
    free(vals.off);
    vals = (Values){0};

    /* Distinct sink names: each query gets its own consumer group. */
    static const char *const queries[] = {
        "CREATE STREAM severe AS SELECT id, UCASE(city) AS city, temperature_f FROM acc "
        "WHERE severity >= 3;",
        "CREATE TABLE per_city AS SELECT city, COUNT(*) AS n, SUM(temperature_f) AS total, "
        "AVG(temperature_f) AS avg_t FROM acc WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY city "
        "EMIT CHANGES;",
        "CREATE TABLE per_city_final AS SELECT city, COUNT(*) AS n, SUM(temperature_f) AS "
        "total, AVG(temperature_f) AS avg_t FROM acc WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY "
        "city EMIT FINAL;",
    };
    static const char *const py_modes[][2] = {{"filter", "SEVERE_PY"}, {"aggregate", "PER_CITY_PY"}};
    for (int i = 0; i < 3; i++) {
        if (wanted(&o, stage_names[2 + i])) {
            fprintf(stderr, "%s ...\n", rs[2 + i].name);
            eddy_stage(bootstrap, queries[i], o.records, bytes, &rs[2 + i]);
        }
        /* The Python peer right after the eddy row it is compared with. */
        if (i < 2 && wanted(&o, stage_names[7 + i])) {
            fprintf(stderr, "%s ...\n", rs[7 + i].name);
            python_stage(bootstrap, py_modes[i][0], py_modes[i][1], o.records, bytes, &rs[7 + i]);
        }
    }
    /* Joins: a self-join of the accidents on their city within 100 ms (both
     * sides buffered in the window stores; each record is fed to both
     * sides), and a LEFT JOIN of every accident to a 30-row city table
     * (loaded from its own topic by the same query). */
    if (wanted(&o, "join_ss")) {
        fprintf(stderr, "%s ...\n", rs[5].name);
        eddy_stage(bootstrap,
                   "CREATE STREAM same_city AS SELECT a.city, a.id AS first_id, b.id AS second_id "
                   "FROM acc a JOIN acc b WITHIN 100 MILLISECONDS ON a.city = b.city "
                   "WHERE a.id <> b.id;",
                   o.records, bytes, &rs[5]);
    }
    if (wanted(&o, "join_st")) {
        fprintf(stderr, "%s ...\n", rs[6].name);
        eddy_stage(bootstrap,
                   "CREATE TABLE cities (city STRING PRIMARY KEY, state STRING, population BIGINT) "
                   "WITH (kafka_topic='" CITY_TOPIC "', value_format='JSON');\n"
                   "CREATE STREAM enriched AS SELECT a.city, a.id AS id, c.state AS state, "
                   "c.population AS population, a.temperature_f AS temperature_f "
                   "FROM acc a LEFT JOIN cities c ON a.city = c.city;",
                   o.records + NCITIES, bytes, &rs[6]);
    }
    /* Tasks on threads: the same query with 1 and 2 worker threads (tasks
     * are per input partition; an aggregate by the record key keeps to its
     * task, one by city hands rows to the task owning the city through the
     * in-process exchange; a windowed one by city stays one task, as the
     * "tumbling" rows above). */
    static const char *const threaded[] = {   /* distinct sinks: distinct groups */
        "CREATE STREAM severe_t1 AS SELECT id, UCASE(city) AS city, temperature_f FROM acc "
        "WHERE severity >= 3;",
        "CREATE STREAM severe_t2 AS SELECT id, UCASE(city) AS city, temperature_f FROM acc "
        "WHERE severity >= 3;",
        "CREATE TABLE per_id_t1 AS SELECT id, COUNT(*) AS n, SUM(temperature_f) AS total "
        "FROM acc WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY id EMIT CHANGES;",
        "CREATE TABLE per_id_t2 AS SELECT id, COUNT(*) AS n, SUM(temperature_f) AS total "
        "FROM acc WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY id EMIT CHANGES;",
        "CREATE TABLE per_city_t1 AS SELECT city, COUNT(*) AS n, SUM(temperature_f) AS total, "
        "AVG(temperature_f) AS avg_t FROM acc GROUP BY city EMIT CHANGES;",
        "CREATE TABLE per_city_t2 AS SELECT city, COUNT(*) AS n, SUM(temperature_f) AS total, "
        "AVG(temperature_f) AS avg_t FROM acc GROUP BY city EMIT CHANGES;",
    };
    for (int i = 0; i < 6; i++) {
        if (!wanted(&o, stage_names[11 + i]))
            continue;
        fprintf(stderr, "%s ...\n", rs[11 + i].name);
        stage_threads = 1 + i % 2;
        eddy_stage(bootstrap, threaded[i], o.records, bytes, &rs[11 + i]);
        stage_threads = 1;
    }
    char model_note[256] = "";
    if (wanted(&o, "predict"))
        predict_stages(bootstrap, o.records, bytes, &rs[9], &rs[10], model_note, sizeof model_note);

    printf("\n");
    print_table(rs, NSTAGES, consume, &rs[1]);
    for (int i = 0; i < NSTAGES; i++)
        if (rs[i].ran && !rs[i].ok && !rs[i].skipped)
            failed++;
    for (int i = 2; i < NSTAGES; i++)
        if (rs[i].ran && !rs[i].skipped)
            printf("%s: %lld output records\n", rs[i].name, (long long)rs[i].records_out);
    for (int i = 0; i < 2; i++) {
        const Result *e = &rs[2 + i], *py = &rs[7 + i];
        if (!py->ran)
            continue;
        if (py->skipped) {
            printf("%s: %s\n", py->name, py->note);
            continue;
        }
        if (!e->ran || !e->ok || !py->ok || e->wall_s <= 0 || py->wall_s <= 0)
            continue;
        double er = (double)e->records / e->wall_s, pr = (double)py->records / py->wall_s;
        printf("%s vs %s (wall time, start-up included): eddy %.0f records/s (%.2f s), "
               "Python %.0f records/s (%.2f s, %lld out): %.1fx\n",
               e->name, py->name, er, e->wall_s, pr, py->wall_s, (long long)py->records_out,
               er / pr);
    }
    if (rs[4].ran && rs[4].ok) {
        long long counted = final_counted(bootstrap, "PER_CITY_FINAL", o.partitions);
        if (counted >= 0)
            printf("  its emitted windows counted %lld of %ld input records; the rest are in "
                   "windows still open at the end, or arrived after their window closed "
                   "(grace 0; %d partitions)\n",
                   counted, o.records, o.partitions);
    }
    for (int i = 2; i < NSTAGES; i++)
        if (rs[i].ran && rs[i].cpu_pct > 0)
            printf("%s: process CPU %.0f %% of one core (broker and librdkafka threads included)\n",
                   rs[i].name, rs[i].cpu_pct);
    for (int i = 11; i + 1 < 17; i += 2)
        if (rs[i].ran && rs[i + 1].ran && steady_rate(&rs[i]) > 0 && steady_rate(&rs[i + 1]) > 0)
            printf("%s -> 2 threads: %.2fx (goal >= 1.8x)\n", rs[i].name,
                   steady_rate(&rs[i + 1]) / steady_rate(&rs[i]));
    if (rs[9].ran && rs[10].ran && steady_rate(&rs[9]) > 0 && steady_rate(&rs[10]) > 0)
        printf("PREDICT (%s) runs at %.1f %% of the same query without it (goal: 50 %%)\n",
               model_note, 100.0 * steady_rate(&rs[10]) / steady_rate(&rs[9]));
    printf("\nrecords/s, MB/s and the %% columns count from each stage's first record; "
           "\"total s\" for eddy also includes engine_execute and the consumer group's first "
           "join.  Eddy rows end after the final checkpoint (output delivered).\n");
    if (failed)
        fprintf(stderr, "bench: FAILED: %d stage(s) did not see every record\n", failed);
    else
        rc = 0;
done:
    embedded_broker_stop(broker);
    free(ends);
    free(vals.data);
    free(vals.off);
    for (int i = 0; i < o.nxprops; i++)
        free(o.xprops[i]);
    return rc;
}
