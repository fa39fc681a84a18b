/*
 * test_transport_kafka.c - the Kafka transport against an in-process
 * embedded broker (librdkafka mock cluster): produce, consume (every
 * partition assigned at open, no group join), at_end (also for empty
 * partitions, at once), commit and resume, seek, metadata, topic_ensure
 * (the partition count asked for, through the attached broker and through
 * `eddy broker`'s admin topic; the broker's default said once otherwise),
 * watermarks and the retention check, offsets clamped to the watermarks,
 * offsets for times (the broker-less search against a brute-force read of
 * the records, and the memory twin), ping of an unreachable broker, consumer lag,
 * and the transport's errors (kafka_error: ERR_IO, no position, librdkafka's
 * reason after the context).
 */
#include "eddy/transport.h"
#include "kafka_int.h"   /* white-box: kafka_error (transport/) */
#include "testutil.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NRECORDS 1000
#define NPARTS 3
#define TS_BASE 1672531200000LL   /* 2023-01-01T00:00:00Z */

static int warnings;
static bool saw_assign;   /* the transport logged group gs's assignment */

static void test_log(void *ud, int level, const char *msg)
{
    if (level >= 1)
        warnings++;
    if (strstr(msg, "kafka consumer: group gs: assigned"))
        saw_assign = true;
    if (getenv("EDDY_TEST_VERBOSE"))
        fprintf(stderr, "[log %d] %s\n", level, msg);
}

/* Kafka's Java partitioner: toPositive(murmur2(key)) % partitions. */
static int java_partition(const char *key, size_t len, int partitions)
{
    const uint32_t m = 0x5bd1e995, seed = 0x9747b28c;
    const int r = 24;
    uint32_t h = seed ^ (uint32_t)len;
    const unsigned char *data = (const unsigned char *)key;
    size_t i = 0;
    for (; i + 4 <= len; i += 4) {
        uint32_t k = (uint32_t)data[i] | (uint32_t)data[i + 1] << 8 |
                     (uint32_t)data[i + 2] << 16 | (uint32_t)data[i + 3] << 24;
        k *= m;
        k ^= k >> r;
        k *= m;
        h *= m;
        h ^= k;
    }
    switch (len & 3) {
    case 3: h ^= (uint32_t)data[i + 2] << 16; /* fall through */
    case 2: h ^= (uint32_t)data[i + 1] << 8;  /* fall through */
    case 1: h ^= data[i]; h *= m;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return (int)((h & 0x7fffffff) % (uint32_t)partitions);
}

/* What one consumer run saw. */
typedef struct Seen {
    int count;
    int per_part[NPARTS];
    int64_t last_offset[NPARTS];   /* -1 = none */
    int order_errors;              /* offsets not increasing within a partition */
    int content_errors;            /* value/timestamp/partition not as produced */
    int dup_or_unknown;
    unsigned char seen[NRECORDS];
    bool at_end;
} Seen;

static void seen_init(Seen *s)
{
    memset(s, 0, sizeof *s);
    for (int p = 0; p < NPARTS; p++)
        s->last_offset[p] = -1;
}

/* Checks one record of t3 against what was produced and counts it. */
static void seen_add(Seen *s, const TransportRecord *r)
{
    char key[32] = "", want[32];
    if (r->key && r->key_len < sizeof key)
        memcpy(key, r->key, r->key_len), key[r->key_len] = '\0';
    int id = key[0] == 'k' ? atoi(key + 1) : -1;
    if (id < 0 || id >= NRECORDS || r->partition < 0 || r->partition >= NPARTS) {
        s->dup_or_unknown++;
        return;
    }
    if (s->seen[id]++)
        s->dup_or_unknown++;
    snprintf(want, sizeof want, "v%d", id);
    if (!r->value || r->value_len != strlen(want) || memcmp(r->value, want, r->value_len) ||
        r->timestamp != TS_BASE + id || strcmp(r->topic, "t3") != 0 ||
        r->partition != java_partition(key, strlen(key), NPARTS))
        s->content_errors++;
    if (r->offset <= s->last_offset[r->partition])
        s->order_errors++;
    s->last_offset[r->partition] = r->offset;
    s->per_part[r->partition]++;
    s->count++;
}

/* Polls until at_end and `quiet_ms` passed without records, or deadline. */
static void consume(Transport *t, Consumer *c, Seen *s, int quiet_ms, int deadline_ms)
{
    TransportRecord recs[128];
    EddyError err;
    int64_t start = eddy_mono_ms(), last = start;
    while (eddy_mono_ms() - start < deadline_ms) {
        int n = t->ops->consumer_poll(c, recs, 128, 100, &err);
        if (n < 0) {
            fprintf(stderr, "poll: %s\n", err.msg);
            s->content_errors++;
            return;
        }
        for (int i = 0; i < n; i++)
            seen_add(s, &recs[i]);
        if (n > 0)
            last = eddy_mono_ms();
        s->at_end = t->ops->consumer_at_end(c);
        if (s->at_end && eddy_mono_ms() - last >= quiet_ms)
            return;
    }
}

static void quiet(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
}

/* A seek made just after the assignment, while the partitions are still
 * starting, must win over their start at the committed/reset offset.  The
 * window is widened with a 300 ms broker round trip (librdkafka's mock
 * cluster, used directly here to set the RTT). */
static void test_seek_while_starting(void)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, quiet);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    rd_kafka_mock_cluster_t *mc = rk ? rd_kafka_mock_cluster_new(rk, 1) : NULL;
    CHECK(mc != NULL);
    if (mc == NULL)
        return;
    rd_kafka_mock_topic_create(mc, "slow", 2, 1);
    const char *props[] = {"bootstrap.servers", rd_kafka_mock_cluster_bootstraps(mc), NULL};
    EddyError err;
    Transport *t = kafka_transport_create(props, &err);
    CHECK(t != NULL);
    if (t == NULL)
        return;
    t->log = test_log;
    for (int i = 0; i < 200; i++) {
        char k[16];
        int n = snprintf(k, sizeof k, "k%d", i);
        t->ops->produce(t, "slow", i % 2, k, (size_t)n, k, (size_t)n, TS_BASE + i, &err);
    }
    CHECK_EQ_INT(t->ops->flush(t, 10000, &err), 0);
    rd_kafka_mock_broker_set_rtt(mc, 1, 300);

    const char *topics[] = {"slow"};
    saw_assign = false;
    Consumer *c = t->ops->consumer_open(t, "gs", topics, 1, RESET_EARLIEST, NULL, 0, &err);
    CHECK(c != NULL);
    TransportRecord recs[256];
    int n = 0, per_part[2] = {0, 0}, min_p0 = 1000;
    int64_t start = eddy_mono_ms();
    while (c && !saw_assign && n == 0 && eddy_mono_ms() - start < 30000)
        n = t->ops->consumer_poll(c, recs, 256, 5, &err);
    CHECK(saw_assign);
    TopicPartitionOffset to75 = {"slow", 0, 75};
    CHECK_EQ_INT(c ? t->ops->consumer_seek(c, &to75, 1, &err) : -1, 0);
    while (c && eddy_mono_ms() - start < 30000 && !(n == 0 && t->ops->consumer_at_end(c))) {
        for (int i = 0; i < n; i++) {
            per_part[recs[i].partition & 1]++;
            if (recs[i].partition == 0 && recs[i].offset < min_p0)
                min_p0 = (int)recs[i].offset;
        }
        n = t->ops->consumer_poll(c, recs, 256, 100, &err);
    }
    printf("seek while starting: partition 0 from offset %d, %d + %d records\n", min_p0,
           per_part[0], per_part[1]);
    CHECK_EQ_INT(min_p0, 75);
    CHECK_EQ_INT(per_part[0], 25);
    CHECK_EQ_INT(per_part[1], 100);
    if (c)
        t->ops->consumer_close(c);
    t->ops->destroy(t);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
}


/* A transport on `b`'s address, with test_log; attached to b if asked. */
static Transport *transport_on(EmbeddedBroker *b, bool attach)
{
    const char *props[] = {"bootstrap.servers", embedded_broker_bootstrap(b), NULL};
    EddyError err;
    Transport *t = kafka_transport_create(props, &err);
    if (t == NULL) {
        fprintf(stderr, "transport: %s\n", err.msg);
        return NULL;
    }
    t->log = test_log;
    if (attach)
        kafka_transport_use_broker(t, b);
    return t;
}

/* A broker of its own and a transport attached to it; NULL if either
 * failed (counted). */
static Transport *fresh_broker(EmbeddedBroker **b)
{
    EddyError err;
    *b = embedded_broker_start(1, &err);
    Transport *t = *b ? transport_on(*b, true) : NULL;
    CHECK(t != NULL);
    if (t == NULL && *b)
        embedded_broker_stop(*b);
    return t;
}

static void fresh_broker_stop(Transport *t, EmbeddedBroker *b)
{
    t->ops->destroy(t);
    embedded_broker_stop(b);
}

/* The development broker gets the partition count asked for: in process
 * through the attached broker, from another process through `eddy
 * broker`'s admin topic.  Neither sends CreateTopics (which waited ~3 s
 * for a controller the mock cluster does not have). */
static void test_topic_ensure_counts(void)
{
    EddyError err;
    EmbeddedBroker *b;
    Transport *t = fresh_broker(&b);
    if (t == NULL)
        return;
    int before = warnings;
    int64_t t0 = eddy_mono_ms();
    CHECK_EQ_INT(t->ops->topic_ensure(t, "two", 2, 1, &err), 2);
    CHECK_EQ_INT(t->ops->topic_ensure(t, "one", 1, 1, &err), 1);
    CHECK_EQ_INT(t->ops->topic_ensure(t, "dflt", 0, 0, &err), 4);
    int64_t took = eddy_mono_ms() - t0;
    printf("topic_ensure x3, attached broker: %lld ms\n", (long long)took);
    CHECK(took < 1000);
    CHECK_EQ_INT(warnings, before);
    CHECK_EQ_INT(t->ops->topic_partitions(t, "two"), 2);
    /* An existing topic stays as it is, said once. */
    CHECK_EQ_INT(t->ops->topic_ensure(t, "two", 3, 1, &err), 2);
    CHECK_EQ_INT(warnings, before + 1);
    t->ops->destroy(t);

    /* Another process: the admin topic. */
    CHECK_EQ_INT(embedded_broker_serve_admin(b, &err), 0);
    t = transport_on(b, false);
    CHECK(t != NULL);
    if (t == NULL)
        return;
    before = warnings;
    t0 = eddy_mono_ms();
    CHECK_EQ_INT(t->ops->topic_ensure(t, "viaadmin", 3, 1, &err), 3);
    CHECK_EQ_INT(t->ops->topic_ensure(t, "viaadmin1", 1, 1, &err), 1);
    took = eddy_mono_ms() - t0;
    printf("topic_ensure x2 through the admin topic: %lld ms\n", (long long)took);
    CHECK(took < 2000);
    CHECK_EQ_INT(warnings, before);
    CHECK_EQ_INT(t->ops->topic_partitions(t, "viaadmin"), 3);
    /* The admin topic is internal: not listed. */
    char **names = NULL;
    int n = t->ops->list_topics(t, &names, &err), admin = 0;
    for (int i = 0; i < n; i++)
        admin += strcmp(names[i], EMBEDDED_BROKER_ADMIN_TOPIC) == 0;
    transport_free_names(names, n);
    CHECK_EQ_INT(admin, 0);
    t->ops->destroy(t);
    embedded_broker_stop(b);
}

/* at_end without waiting for EOF events: 3 records all in partition 1 of
 * 4 (the PRINT report), an empty topic, a consumer starting at the end;
 * an unknown topic is an error, not an endless wait. */
static void test_at_end_at_open(void)
{
    EddyError err;
    EmbeddedBroker *b;
    Transport *t = fresh_broker(&b);
    if (t == NULL)
        return;
    CHECK_EQ_INT(t->ops->topic_ensure(t, "sparse", 4, 1, &err), 4);
    CHECK_EQ_INT(t->ops->topic_ensure(t, "empty", 4, 1, &err), 4);
    for (int i = 0; i < 3; i++)
        t->ops->produce(t, "sparse", 1, "k", 1, "v", 1, TS_BASE + i, &err);
    CHECK_EQ_INT(t->ops->flush(t, 10000, &err), 0);

    const char *sparse[] = {"sparse"}, *empty[] = {"empty"}, *none[] = {"no-such"};
    Consumer *c = t->ops->consumer_open(t, "ge1", empty, 1, RESET_EARLIEST, NULL, 0, &err);
    CHECK(c != NULL && t->ops->consumer_at_end(c));
    if (c)
        t->ops->consumer_close(c);
    c = t->ops->consumer_open(t, "ge2", sparse, 1, RESET_LATEST, NULL, 0, &err);
    CHECK(c != NULL && t->ops->consumer_at_end(c));
    if (c)
        t->ops->consumer_close(c);

    int64_t t0 = eddy_mono_ms();
    c = t->ops->consumer_open(t, "ge3", sparse, 1, RESET_EARLIEST, NULL, 0, &err);
    CHECK(c != NULL && !t->ops->consumer_at_end(c));
    TransportRecord recs[8];
    int got = 0, in_p1 = 0;
    while (c && !(got == 3 && t->ops->consumer_at_end(c)) && eddy_mono_ms() - t0 < 10000) {
        int n = t->ops->consumer_poll(c, recs, 8, 100, &err);
        for (int i = 0; i < n; i++)
            in_p1 += recs[i].partition == 1;
        got += n > 0 ? n : 0;
    }
    printf("3 records of a 4-partition topic (3 partitions empty): %lld ms to at_end\n",
           (long long)(eddy_mono_ms() - t0));
    CHECK_EQ_INT(got, 3);
    CHECK_EQ_INT(in_p1, 3);
    CHECK(c && t->ops->consumer_at_end(c));
    CHECK(eddy_mono_ms() - t0 < 2000);
    if (c)
        t->ops->consumer_close(c);

    t0 = eddy_mono_ms();
    c = t->ops->consumer_open(t, "ge4", none, 1, RESET_EARLIEST, NULL, 0, &err);
    CHECK(c == NULL);
    CHECK(c == NULL && strstr(err.msg, "no-such") && strstr(err.msg, "does not exist"));
    CHECK(eddy_mono_ms() - t0 < 6000);
    fresh_broker_stop(t, b);
}

/* "small" lost its oldest records (its low watermark is `low`; offsets
 * 10 + i hold time TS_BASE + i): offsets for times start at the oldest
 * kept, and offsets asked for are clamped to what the partition has. */
static void check_trimmed(Transport *t, int64_t low)
{
    EddyError err;
    TopicPartitionOffset *o = NULL;
    int n = 0;
    CHECK(low > 10);
    CHECK_EQ_INT(t->ops->offsets_for_times(t, "small", TS_BASE, &o, &n, &err), 0);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(n == 1 ? o[0].offset : -1, low);
    free(o);
    CHECK_EQ_INT(t->ops->offsets_for_times(t, "small", TS_BASE + 7000, &o, &n, &err), 0);
    CHECK_EQ_INT(n == 1 ? o[0].offset : -1, 7010);
    free(o);
    CHECK_EQ_INT(t->ops->offsets_for_times(t, "small", TS_BASE + 8000, &o, &n, &err), 0);
    CHECK_EQ_INT(n == 1 ? o[0].offset : -1, 8010);
    free(o);

    /* REPLAY FROM OFFSET n: the same n on every partition, clamped. */
    CHECK_EQ_INT(t->ops->topic_ensure(t, "three", 3, 1, &err), 3);
    for (int i = 0; i < 6; i++)
        t->ops->produce(t, "three", i % 2, "k", 1, "v", 1, TS_BASE, &err);
    CHECK_EQ_INT(t->ops->flush(t, 10000, &err), 0);
    TopicPartitionOffset offs[] = {{"small", 0, 0},  {"three", 0, 2}, {"three", 1, 5},
                                   {"three", 2, 0},  {"small", 0, 7009}, {"small", 0, 9000},
                                   {"three", 0, -1}};
    CHECK_EQ_INT(transport_clamp_offsets(t, offs, 7, &err), 4);
    CHECK_EQ_INT(offs[0].offset, low);    /* below the oldest kept */
    CHECK_EQ_INT(offs[1].offset, 2);
    CHECK_EQ_INT(offs[2].offset, 3);      /* past the end of 3 records */
    CHECK_EQ_INT(offs[3].offset, 0);      /* empty partition */
    CHECK_EQ_INT(offs[4].offset, 7009);
    CHECK_EQ_INT(offs[5].offset, 8010);
    CHECK_EQ_INT(offs[6].offset, 0);
    /* A partition the topic does not have, a topic that does not exist:
     * an error, and nothing moved. */
    TopicPartitionOffset bad[] = {{"three", 0, 100}, {"three", 3, 0}};
    CHECK_EQ_INT(transport_clamp_offsets(t, bad, 2, &err), -1);
    CHECK(strstr(err.msg, "three has no partition 3") != NULL);
    CHECK_EQ_INT(bad[0].offset, 100);
    TopicPartitionOffset none[] = {{"no-such-topic", 0, 1}};
    CHECK_EQ_INT(transport_clamp_offsets(t, none, 1, &err), -1);
    CHECK(strstr(err.msg, "no-such-topic") != NULL);
}

/* The development broker keeps ~5 MB per partition: 8,000 records of
 * ~1 KB into one partition lose the oldest, and the retention check says
 * how many, from the watermarks. */
static void test_retention_check(void)
{
    EddyError err;
    EmbeddedBroker *b;
    Transport *t = fresh_broker(&b);
    if (t == NULL)
        return;
    CHECK_EQ_INT(t->ops->topic_ensure(t, "small", 1, 1, &err), 1);
    for (int i = 0; i < 10; i++)   /* there before the mark: not counted */
        t->ops->produce(t, "small", 0, "k", 1, "early", 5, TS_BASE, &err);
    CHECK_EQ_INT(t->ops->flush(t, 10000, &err), 0);
    RetentionMark m;
    CHECK_EQ_INT(transport_retention_mark(t, "small", &m, &err), 0);
    CHECK_EQ_INT(m.n, 1);
    char value[1000];
    memset(value, 'x', sizeof value);
    for (int i = 0; i < 8000; i++)
        t->ops->produce(t, "small", 0, "k", 1, value, sizeof value, TS_BASE + i, &err);
    CHECK_EQ_INT(t->ops->flush(t, 30000, &err), 0);
    int64_t written = -1, dropped = -1, *low = NULL, *high = NULL;
    CHECK_EQ_INT(transport_retention_check(t, "small", &m, &written, &dropped, &err), 0);
    CHECK_EQ_INT(t->ops->watermarks(t, "small", &low, &high, &err), 1);
    printf("retention: 8000 records of 1 KB into one partition: %lld dropped, low %lld, high %lld\n",
           (long long)dropped, low ? (long long)low[0] : -1LL, high ? (long long)high[0] : -1LL);
    CHECK_EQ_INT(written, 8000);
    CHECK(dropped > 2000 && dropped < 8000);
    CHECK_EQ_INT(dropped, low ? low[0] - 10 : -1);
    CHECK_EQ_INT(high ? high[0] : -1, 8010);
    check_trimmed(t, low ? low[0] : -1);
    free(low);
    free(high);
    transport_retention_mark_free(&m);

    /* A topic that did not exist at the mark counts from offset 0. */
    CHECK_EQ_INT(transport_retention_mark(t, "fresh", &m, &err), 0);
    CHECK_EQ_INT(m.n, 0);
    t->ops->produce(t, "fresh", -1, "k", 1, "v", 1, TS_BASE, &err);
    CHECK_EQ_INT(t->ops->flush(t, 10000, &err), 0);
    CHECK_EQ_INT(transport_retention_check(t, "fresh", &m, &written, &dropped, &err), 0);
    CHECK_EQ_INT(written, 1);
    CHECK_EQ_INT(dropped, 0);
    transport_retention_mark_free(&m);
    fresh_broker_stop(t, b);

    /* The memory twin never drops. */
    Transport *mt = memory_transport_create(2);
    CHECK_EQ_INT(mt->ops->topic_ensure(mt, "m", 2, 1, &err), 2);
    CHECK_EQ_INT(transport_retention_mark(mt, "m", &m, &err), 0);
    for (int i = 0; i < 5; i++)
        mt->ops->produce(mt, "m", i % 2, "k", 1, "v", 1, TS_BASE, &err);
    CHECK_EQ_INT(transport_retention_check(mt, "m", &m, &written, &dropped, &err), 0);
    CHECK_EQ_INT(written, 5);
    CHECK_EQ_INT(dropped, 0);
    transport_retention_mark_free(&m);
    mt->ops->destroy(mt);
}

/* ---- offsets for times ---------------------------------------------- */

/* One partition's records as a consumer reads them: offsets and
 * timestamps in offset order, and the high watermark. */
typedef struct PartLog {
    int64_t *off, *ts;
    int n, cap;
    int64_t low, high;
} PartLog;

static void partlog_add(PartLog *l, int64_t off, int64_t ts)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->off = realloc(l->off, sizeof *l->off * (size_t)l->cap);
        l->ts = realloc(l->ts, sizeof *l->ts * (size_t)l->cap);
    }
    l->off[l->n] = off;
    l->ts[l->n++] = ts;
}

static void partlogs_free(PartLog *logs, int n)
{
    for (int p = 0; p < n; p++) {
        free(logs[p].off);
        free(logs[p].ts);
    }
    free(logs);
}

/* Every record of `topic`, read with a consumer of the transport from the
 * start, per partition; NULL if the read failed (counted). */
static PartLog *read_topic(Transport *t, const char *topic, int *nparts)
{
    EddyError err;
    int64_t *low, *high;
    int n = t->ops->watermarks(t, topic, &low, &high, &err);
    CHECK(n > 0);
    if (n <= 0)
        return NULL;
    PartLog *logs = calloc((size_t)n, sizeof *logs);
    for (int p = 0; p < n; p++) {
        logs[p].low = low[p];
        logs[p].high = high[p];
    }
    free(low);
    free(high);
    char group[64];
    static int seq;
    snprintf(group, sizeof group, "brute-%d", ++seq);
    Consumer *c = t->ops->consumer_open(t, group, &topic, 1, RESET_EARLIEST, NULL, 0, &err);
    CHECK(c != NULL);
    if (c == NULL) {
        partlogs_free(logs, n);
        return NULL;
    }
    TransportRecord recs[512];
    int64_t start = eddy_mono_ms();
    for (;;) {
        int got = t->ops->consumer_poll(c, recs, 512, 100, &err);
        for (int i = 0; i < got; i++)
            partlog_add(&logs[recs[i].partition], recs[i].offset, recs[i].timestamp);
        if ((got == 0 && t->ops->consumer_at_end(c)) || got < 0 ||
            eddy_mono_ms() - start > 60000)
            break;
    }
    t->ops->consumer_close(c);
    for (int p = 0; p < n; p++)
        CHECK_EQ_INT(logs[p].n, logs[p].high - logs[p].low);   /* read it all */
    *nparts = n;
    return logs;
}

/* Kafka's answer by brute force: the first record whose timestamp is >= ts,
 * else the high watermark. */
static int64_t brute_offset(const PartLog *l, int64_t ts)
{
    for (int i = 0; i < l->n; i++)
        if (l->ts[i] >= ts)
            return l->off[i];
    return l->high;
}

/* offsets_for_times for every time in times[] against the brute force;
 * returns the number of wrong offsets (each printed). */
static int check_times(Transport *t, const char *topic, const PartLog *logs, int nparts,
                       const int64_t *times, int ntimes, const char *label)
{
    EddyError err;
    int wrong = 0;
    int64_t t0 = eddy_mono_ms(), slowest = 0;
    for (int k = 0; k < ntimes; k++) {
        TopicPartitionOffset *offs = NULL;
        int n = -1;
        int64_t c0 = eddy_mono_ms();
        int rc = t->ops->offsets_for_times(t, topic, times[k], &offs, &n, &err);
        if (eddy_mono_ms() - c0 > slowest)
            slowest = eddy_mono_ms() - c0;
        CHECK_EQ_INT(rc, 0);
        CHECK_EQ_INT(n, nparts);
        if (rc < 0) {
            fprintf(stderr, "offsets_for_times(%s, %lld): %s\n", topic, (long long)times[k],
                    err.msg);
            wrong++;
            continue;
        }
        for (int p = 0; p < n && p < nparts; p++) {
            int64_t want = brute_offset(&logs[p], times[k]);
            if (offs[p].offset != want || offs[p].partition != p ||
                strcmp(offs[p].topic, topic) != 0) {
                fprintf(stderr, "%s: %s [%d] time %lld: offset %lld, Kafka's is %lld\n", label,
                        topic, p, (long long)times[k], (long long)offs[p].offset,
                        (long long)want);
                wrong++;
            }
        }
        free(offs);
    }
    printf("%s: offsets_for_times of %s for %d times: %d wrong, %lld ms (slowest %lld ms)\n",
           label, topic, ntimes, wrong, (long long)(eddy_mono_ms() - t0), (long long)slowest);
    return wrong;
}

/* The times worth asking for: before every record, exactly each distinct
 * timestamp, just after it, between it and the next, and after them all. */
static int64_t *interesting_times(const PartLog *logs, int nparts, int *n)
{
    int cap = 2;
    for (int p = 0; p < nparts; p++)
        cap += 3 * logs[p].n;
    int64_t *times = malloc(sizeof *times * (size_t)cap);
    int k = 0;
    times[k++] = 0;
    times[k++] = INT64_MAX / 2;
    for (int p = 0; p < nparts; p++)
        for (int i = 0; i < logs[p].n; i++) {
            times[k++] = logs[p].ts[i];
            times[k++] = logs[p].ts[i] + 1;
            times[k++] = logs[p].ts[i] - 1;
        }
    *n = k;
    return times;
}

/* A topic of four small partitions, produced to with explicit timestamps:
 * rising, runs of equal ones, none at all, and out of order (late records
 * and one far ahead of its neighbours). */
static void produce_small_times(Transport *t, const char *topic)
{
    EddyError err;
    int rc = 0;
    for (int i = 0; i < 30; i++)
        rc |= t->ops->produce(t, topic, 0, "k", 1, "v", 1, TS_BASE + 10 * i, &err);
    for (int i = 0; i < 30; i++)
        rc |= t->ops->produce(t, topic, 1, "k", 1, "v", 1, TS_BASE + 10 * (i / 5), &err);
    static const int late[] = {0, 10, 20, 5, 30, 40, 15, 50, 500, 60, 70, 65, 80, 20, 90};
    for (size_t i = 0; i < sizeof late / sizeof *late; i++)
        rc |= t->ops->produce(t, topic, 3, "k", 1, "v", 1, TS_BASE + late[i], &err);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(t->ops->flush(t, 10000, &err), 0);
}

static void check_small_times(Transport *t, const char *topic, const char *label)
{
    int nparts = 0, ntimes = 0;
    PartLog *logs = read_topic(t, topic, &nparts);
    if (logs == NULL)
        return;
    CHECK_EQ_INT(nparts, 4);
    CHECK_EQ_INT(logs[2].n, 0);
    int64_t *times = interesting_times(logs, nparts, &ntimes);
    CHECK_EQ_INT(check_times(t, topic, logs, nparts, times, ntimes, label), 0);

    /* A few by hand, so that the brute force is not the only judge. */
    EddyError err;
    TopicPartitionOffset *o = NULL;
    int n = 0;
    CHECK_EQ_INT(t->ops->offsets_for_times(t, topic, TS_BASE + 25, &o, &n, &err), 0);
    CHECK_EQ_INT(n, 4);
    if (n == 4) {
        CHECK_EQ_INT(o[0].offset, 3);    /* between 20 and 30 */
        CHECK_EQ_INT(o[1].offset, 15);   /* the run of 30s starts at 15 */
        CHECK_EQ_INT(o[2].offset, 0);    /* empty: its end */
        CHECK_EQ_INT(o[3].offset, 4);    /* 30, after the late 5 */
    }
    free(o);
    CHECK_EQ_INT(t->ops->offsets_for_times(t, topic, TS_BASE + 300, &o, &n, &err), 0);
    if (n == 4) {
        CHECK_EQ_INT(o[0].offset, 30);   /* after them all: the high watermark */
        CHECK_EQ_INT(o[1].offset, 30);
        CHECK_EQ_INT(o[3].offset, 8);    /* the record far ahead (500) */
    }
    free(o);
    CHECK_EQ_INT(t->ops->offsets_for_times(t, topic, -5, &o, &n, &err), 0);
    if (n == 4)
        CHECK_EQ_INT(o[0].offset + o[1].offset + o[2].offset + o[3].offset, 0);
    free(o);
    o = NULL;
    CHECK_EQ_INT(t->ops->offsets_for_times(t, "no-such-topic", TS_BASE, &o, &n, &err), -1);
    CHECK(o == NULL && strstr(err.msg, "no-such-topic") != NULL);
    free(times);
    partlogs_free(logs, nparts);
}

/* Partitions longer than the search's window (10,000 records), so that
 * the broker-less search bisects: rising timestamps in runs of three, and
 * a block of late records (the clock of a producer behind) that misleads
 * a plain bisection; the read back from its answer puts it right. */
#define BIG_RECORDS 50000
static void produce_big_times(Transport *t, const char *topic)
{
    EddyError err;
    int rc = 0;
    for (int i = 0; i < BIG_RECORDS; i++) {
        int64_t ts = TS_BASE + 2 * (i / 3);
        if (i >= 30000 && i < 30100)
            ts = TS_BASE;   /* late */
        rc |= t->ops->produce(t, topic, 0, NULL, 0, "v", 1, ts, &err);
        if (i % 1000 == 0)
            t->ops->poll(t);
    }
    for (int i = 0; i < 15000; i++)
        rc |= t->ops->produce(t, topic, 1, NULL, 0, "v", 1, TS_BASE + 7 * i, &err);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(t->ops->flush(t, 30000, &err), 0);
}

static void check_big_times(Transport *t, const char *topic, const char *label)
{
    int nparts = 0;
    PartLog *logs = read_topic(t, topic, &nparts);
    if (logs == NULL)
        return;
    CHECK_EQ_INT(logs[0].n, BIG_RECORDS);
    /* Around the start, the middle, the late block and the end, and
     * between runs. */
    int64_t times[] = {0,
                       TS_BASE - 1,
                       TS_BASE,
                       TS_BASE + 1,
                       TS_BASE + 2,
                       TS_BASE + 2 * 5000 + 1,
                       TS_BASE + 2 * (29950 / 3),
                       TS_BASE + 2 * (29950 / 3) + 1,
                       TS_BASE + 2 * (29999 / 3),
                       TS_BASE + 2 * (30000 / 3),
                       TS_BASE + 2 * (30050 / 3),
                       TS_BASE + 2 * (30100 / 3),
                       TS_BASE + 2 * (30101 / 3) + 1,
                       TS_BASE + 2 * (45000 / 3),
                       TS_BASE + 2 * ((BIG_RECORDS - 1) / 3),
                       TS_BASE + 2 * ((BIG_RECORDS - 1) / 3) + 1,
                       TS_BASE + 7 * 14999,
                       TS_BASE + 7 * 15000};
    CHECK_EQ_INT(check_times(t, topic, logs, nparts, times, (int)(sizeof times / sizeof *times),
                             label), 0);
    partlogs_free(logs, nparts);
}

/* offsets_for_times on the development broker, which answers "none" for
 * every time (the transport searches the records), and on the memory twin
 * (exact by construction), against a brute-force read of the records. */
static void test_offsets_for_times(void)
{
    EddyError err;
    EmbeddedBroker *b;
    Transport *t = fresh_broker(&b);
    if (t == NULL)
        return;
    CHECK_EQ_INT(t->ops->topic_ensure(t, "times", 4, 1, &err), 4);
    CHECK_EQ_INT(t->ops->topic_ensure(t, "bigtimes", 2, 1, &err), 2);
    produce_small_times(t, "times");
    check_small_times(t, "times", "mock cluster");
    produce_big_times(t, "bigtimes");
    check_big_times(t, "bigtimes", "mock cluster");
    fresh_broker_stop(t, b);

    Transport *mt = memory_transport_create(4);
    CHECK_EQ_INT(mt->ops->topic_ensure(mt, "times", 4, 1, &err), 4);
    CHECK_EQ_INT(mt->ops->topic_ensure(mt, "bigtimes", 2, 1, &err), 2);
    produce_small_times(mt, "times");
    check_small_times(mt, "times", "memory");
    produce_big_times(mt, "bigtimes");
    check_big_times(mt, "bigtimes", "memory");
    mt->ops->destroy(mt);
}

/* No broker at the address: ping says so within seconds, with the reason. */
static void test_ping(void)
{
    const char *props[] = {"bootstrap.servers", "127.0.0.1:9", NULL};
    EddyError err;
    Transport *t = kafka_transport_create(props, &err);
    CHECK(t != NULL);
    if (t == NULL)
        return;
    t->log = test_log;
    int64_t t0 = eddy_mono_ms();
    CHECK_EQ_INT(kafka_transport_ping(t, 5000, &err), -1);
    int64_t took = eddy_mono_ms() - t0;
    printf("ping of 127.0.0.1:9: %lld ms: %s\n", (long long)took, err.msg);
    CHECK(took < 5500);
    CHECK(strstr(err.msg, "refused") != NULL);
    t->ops->destroy(t);
}

/* Every failure of the transport is an ERR_IO without a position: the
 * context, then librdkafka's reason for a code. */
static void test_errors(EmbeddedBroker *b)
{
    EddyError err = {.kind = ERR_SYNTAX, .pos = {3, 4}};
    CHECK_EQ_INT(kafka_error(&err, RD_KAFKA_RESP_ERR__TIMED_OUT, "kafka commit"), -1);
    char want[256];
    snprintf(want, sizeof want, "kafka commit: %s", rd_kafka_err2str(RD_KAFKA_RESP_ERR__TIMED_OUT));
    CHECK_STR(err.msg, want);
    CHECK_EQ_INT(err.kind, ERR_IO);
    CHECK(err.pos.line == 0 && err.pos.col == 0);
    CHECK_EQ_INT(kafka_error(&err, KAFKA_NO_CODE, "topic %s does not exist", "x"), -1);
    CHECK_STR(err.msg, "topic x does not exist");
    CHECK_EQ_INT(kafka_error(NULL, RD_KAFKA_RESP_ERR__FATAL, "ignored"), -1);
    /* a long context leaves the message cut, terminated */
    char big[2000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    kafka_error(&err, RD_KAFKA_RESP_ERR__TIMED_OUT, "%s", big);
    CHECK_EQ_INT(strlen(err.msg), sizeof err.msg - 1);

    /* through the entry points */
    const char *bad[] = {"bootstrap.servers", embedded_broker_bootstrap(b), "linger.ms", "soon", NULL};
    CHECK(kafka_transport_create(bad, &err) == NULL);
    CHECK(strncmp(err.msg, "kafka property linger.ms: ", 26) == 0);
    CHECK_EQ_INT(err.kind, ERR_IO);
    const char *none[] = {NULL};
    CHECK(kafka_transport_create(none, &err) == NULL);
    CHECK_STR(err.msg, "bootstrap.servers is not set");
    const char *odd[] = {"bootstrap.servers", NULL};
    CHECK(kafka_transport_create(odd, &err) == NULL);
    CHECK_STR(err.msg, "kafka property bootstrap.servers has no value");
    CHECK_EQ_INT(embedded_broker_create_topic(b, "", 1, &err), -1);
    CHECK_STR(err.msg, "empty topic name");
    CHECK_EQ_INT(err.kind, ERR_IO);
}

/* `test_transport_kafka offsets-for-times BOOTSTRAP TOPIC TIME...`: for
 * tests/integration/test_offsets_for_times.sh, which has no eddy command
 * to ask with yet: prints "TIME PARTITION OFFSET" lines. */
static int offsets_for_times_tool(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s offsets-for-times BOOTSTRAP TOPIC TIME...\n", argv[0]);
        return 2;
    }
    const char *props[] = {"bootstrap.servers", argv[2], NULL};
    EddyError err;
    Transport *t = kafka_transport_create(props, &err);
    if (t == NULL) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    int rc = 0;
    for (int i = 4; i < argc && rc == 0; i++) {
        TopicPartitionOffset *o;
        int n;
        long long ts = atoll(argv[i]);
        if (t->ops->offsets_for_times(t, argv[3], ts, &o, &n, &err) < 0) {
            fprintf(stderr, "%s\n", err.msg);
            rc = 1;
            break;
        }
        for (int p = 0; p < n; p++)
            printf("%lld %d %lld\n", ts, (int)o[p].partition, (long long)o[p].offset);
        free(o);
    }
    t->ops->destroy(t);
    return rc;
}

/* Which librdkafka log lines reach the user's log (kafka_log_wanted): not
 * a connection failure (its error says it), not one kind of client
 * ignoring the other kind's property (the user's -p properties go to
 * every client); every other warning does. */
static void test_log_filter(void)
{
    CHECK(!kafka_log_wanted("FAIL", "127.0.0.1:9092/1: Connect to ipv4#127.0.0.1:9092 failed"));
    CHECK(!kafka_log_wanted("CONFWARN", "[thrd:app]: Configuration property session.timeout.ms is "
                                        "a consumer property and will be ignored by this producer "
                                        "instance"));
    CHECK(!kafka_log_wanted("CONFWARN", "[thrd:app]: Configuration property linger.ms is a "
                                        "producer property and will be ignored by this consumer "
                                        "instance"));
    CHECK(kafka_log_wanted("CONFWARN", "[thrd:app]: Configuration property acks is deprecated"));
    CHECK(kafka_log_wanted("ERROR", "a consumer property"));
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "offsets-for-times") == 0)
        return offsets_for_times_tool(argc, argv);
    test_log_filter();
    EddyError err;
    EmbeddedBroker *b = embedded_broker_start(1, &err);
    CHECK(b != NULL);
    if (b == NULL) {
        fprintf(stderr, "embedded broker: %s\n", err.msg);
        return testutil_done();
    }
    const char *bootstrap = embedded_broker_bootstrap(b);
    CHECK(bootstrap != NULL && strncmp(bootstrap, "127.0.0.1:", 10) == 0);
    CHECK_EQ_INT(embedded_broker_create_topic(b, "t3", NPARTS, &err), 0);

    /* Bad properties fail clearly (test_errors); unknown ones only warn. */
    test_errors(b);

    const char *props[] = {"bootstrap.servers", bootstrap, "eddy.not.a.kafka.property", "1", NULL};
    Transport *t = kafka_transport_create(props, &err);
    CHECK(t != NULL);
    if (t == NULL) {
        fprintf(stderr, "transport: %s\n", err.msg);
        embedded_broker_stop(b);
        return testutil_done();
    }
    t->log = test_log;

    /* Metadata. */
    CHECK_EQ_INT(t->ops->topic_partitions(t, "t3"), NPARTS);
    CHECK_EQ_INT(t->ops->topic_partitions(t, "no-such-topic"), -1);
    CHECK(warnings >= 1);   /* the unknown property, reported once log is set */
    char **names = NULL;
    int nnames = t->ops->list_topics(t, &names, &err);
    int found = 0;
    for (int i = 0; i < nnames; i++)
        found += strcmp(names[i], "t3") == 0;
    CHECK_EQ_INT(found, 1);
    transport_free_names(names, nnames);

    /* topic_ensure: an existing topic at once, with its count; a missing
     * one on a plain mock cluster (this transport is not attached to the
     * broker) gets the broker's default 4, said once, within seconds. */
    int64_t t0 = eddy_mono_ms();
    CHECK_EQ_INT(t->ops->topic_ensure(t, "t3", NPARTS, 1, &err), NPARTS);
    CHECK(eddy_mono_ms() - t0 < 1000);
    int before = warnings;
    t0 = eddy_mono_ms();
    CHECK_EQ_INT(t->ops->topic_ensure(t, "ensured", 2, 1, &err), 4);
    int64_t took = eddy_mono_ms() - t0;
    printf("topic_ensure on a missing topic (plain mock) took %lld ms\n", (long long)took);
    CHECK(took < 1000);
    CHECK_EQ_INT(warnings, before + 1);
    CHECK_EQ_INT(t->ops->topic_partitions(t, "ensured"), 4);

    /* Produce 1000 keyed records. */
    int rc = 0;
    for (int i = 0; i < NRECORDS; i++) {
        char key[16], val[16];
        int kl = snprintf(key, sizeof key, "k%d", i), vl = snprintf(val, sizeof val, "v%d", i);
        rc |= t->ops->produce(t, "t3", -1, key, (size_t)kl, val, (size_t)vl, TS_BASE + i, &err);
        t->ops->poll(t);
    }
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(t->ops->flush(t, 10000, &err), 0);

    /* Consume everything in group g1. */
    const char *topics[] = {"t3"};
    Consumer *c = t->ops->consumer_open(t, "g1", topics, 1, RESET_EARLIEST, NULL, 0, &err);
    CHECK(c != NULL);
    if (c == NULL) {
        fprintf(stderr, "consumer: %s\n", err.msg);
        return testutil_done();
    }
    CHECK(!t->ops->consumer_at_end(c));   /* records to read */
    CHECK(t->ops->consumer_lag(c) > 0);       /* known at once: assigned at open */
    Seen s;
    seen_init(&s);
    t0 = eddy_mono_ms();
    consume(t, c, &s, 300, 30000);
    printf("first consume: %d records in %lld ms, per partition %d/%d/%d\n", s.count,
           (long long)(eddy_mono_ms() - t0), s.per_part[0], s.per_part[1], s.per_part[2]);
    CHECK_EQ_INT(s.count, NRECORDS);
    CHECK_EQ_INT(s.dup_or_unknown, 0);
    CHECK_EQ_INT(s.content_errors, 0);
    CHECK_EQ_INT(s.order_errors, 0);
    CHECK(s.at_end);
    CHECK_EQ_INT(t->ops->consumer_lag(c), 0);
    int missing = 0;
    for (int i = 0; i < NRECORDS; i++)
        missing += !s.seen[i];
    CHECK_EQ_INT(missing, 0);
    for (int p = 0; p < NPARTS; p++) {
        CHECK(s.per_part[p] > 0);
        CHECK_EQ_INT(s.last_offset[p], s.per_part[p] - 1);   /* offsets 0..n-1 */
    }

    /* Commit the next offsets, close, reopen: nothing comes again. */
    TopicPartitionOffset offs[NPARTS];
    for (int p = 0; p < NPARTS; p++)
        offs[p] = (TopicPartitionOffset){"t3", p, s.last_offset[p] + 1};
    CHECK_EQ_INT(t->ops->consumer_commit(c, offs, NPARTS, &err), 0);
    t->ops->consumer_close(c);

    int per_part[NPARTS];
    memcpy(per_part, s.per_part, sizeof per_part);
    c = t->ops->consumer_open(t, "g1", topics, 1, RESET_EARLIEST, NULL, 0, &err);
    CHECK(c != NULL);
    if (c == NULL)
        return testutil_done();
    seen_init(&s);
    consume(t, c, &s, 1000, 30000);
    CHECK(s.at_end);
    CHECK_EQ_INT(s.count, 0);

    /* Seek an assigned partition back to 0: its records come again, and
     * at_end becomes true again once they are consumed. */
    TopicPartitionOffset back = {"t3", 1, 0};
    CHECK_EQ_INT(t->ops->consumer_seek(c, &back, 1, &err), 0);
    CHECK(!t->ops->consumer_at_end(c));
    CHECK_EQ_INT(t->ops->consumer_lag(c), per_part[1]);   /* partition 1 again */
    seen_init(&s);
    consume(t, c, &s, 500, 30000);
    CHECK_EQ_INT(s.count, per_part[1]);
    CHECK_EQ_INT(s.per_part[1], per_part[1]);
    CHECK_EQ_INT(s.order_errors + s.content_errors + s.dup_or_unknown, 0);
    CHECK(s.at_end);
    t->ops->consumer_close(c);

    /* Seek before assignment (stored, applied when partition 0 is assigned). */
    c = t->ops->consumer_open(t, "g1", topics, 1, RESET_EARLIEST, NULL, 0, &err);
    CHECK(c != NULL);
    if (c == NULL)
        return testutil_done();
    back = (TopicPartitionOffset){"t3", 0, 0};
    CHECK_EQ_INT(t->ops->consumer_seek(c, &back, 1, &err), 0);
    seen_init(&s);
    consume(t, c, &s, 500, 30000);
    CHECK_EQ_INT(s.count, per_part[0]);
    CHECK_EQ_INT(s.per_part[0], per_part[0]);
    CHECK_EQ_INT(s.order_errors + s.content_errors + s.dup_or_unknown, 0);
    CHECK(s.at_end);
    t->ops->consumer_close(c);

    /* Seek right after the assignment, while the partitions are starting:
     * the seek must not be undone by their start at the reset offset.
     * Seeking after every empty poll puts one seek just after the poll
     * that ran the assignment. */
    c = t->ops->consumer_open(t, "g3", topics, 1, RESET_EARLIEST, NULL, 0, &err);
    CHECK(c != NULL);
    if (c == NULL)
        return testutil_done();
    TopicPartitionOffset from1[NPARTS];
    for (int p = 0; p < NPARTS; p++)
        from1[p] = (TopicPartitionOffset){"t3", p, 1};
    seen_init(&s);
    int64_t start = eddy_mono_ms();
    /* Partitions start fetching at the open now (assigned with explicit
     * offsets): seek once at once, so no poll comes before a seek. */
    rc = t->ops->consumer_seek(c, from1, NPARTS, &err);
    TransportRecord first[NPARTS];
    int nfirst;
    while ((nfirst = t->ops->consumer_poll(c, first, NPARTS, 0, &err)) == 0 &&
           eddy_mono_ms() - start < 30000)
        rc |= t->ops->consumer_seek(c, from1, NPARTS, &err);
    CHECK_EQ_INT(rc, 0);
    for (int i = 0; i < nfirst; i++) {   /* already past the seek */
        CHECK(first[i].offset >= 1);
        seen_add(&s, &first[i]);
    }
    consume(t, c, &s, 500, 30000);
    CHECK_EQ_INT(s.count, NRECORDS - NPARTS);
    for (int p = 0; p < NPARTS; p++)
        CHECK_EQ_INT(s.per_part[p], per_part[p] - 1);
    CHECK_EQ_INT(s.order_errors + s.content_errors + s.dup_or_unknown, 0);
    CHECK(s.at_end);
    t->ops->consumer_close(c);

    /* A tombstone (null value) and a null key round-trip. */
    CHECK_EQ_INT(t->ops->produce(t, "nulls", 0, "k", 1, NULL, 0, TS_BASE, &err), 0);
    CHECK_EQ_INT(t->ops->produce(t, "nulls", 0, NULL, 0, "v", 1, -1, &err), 0);
    CHECK_EQ_INT(t->ops->flush(t, 10000, &err), 0);
    const char *ntopics[] = {"nulls"};
    c = t->ops->consumer_open(t, "g2", ntopics, 1, RESET_EARLIEST, NULL, 0, &err);
    CHECK(c != NULL);
    if (c == NULL)
        return testutil_done();
    TransportRecord recs[8];
    int got = 0, ok = 0;
    start = eddy_mono_ms();
    while (got < 2 && eddy_mono_ms() - start < 30000) {
        int n = t->ops->consumer_poll(c, recs, 8, 100, &err);
        for (int i = 0; i < n; i++, got++) {
            if (got == 0)
                ok += recs[i].key_len == 1 && recs[i].value == NULL && recs[i].timestamp == TS_BASE;
            else
                ok += recs[i].key == NULL && recs[i].value_len == 1 && recs[i].timestamp > TS_BASE;
        }
    }
    CHECK_EQ_INT(got, 2);
    CHECK_EQ_INT(ok, 2);
    t->ops->consumer_close(c);

    CHECK_EQ_INT(kafka_transport_ping(t, 5000, &err), 0);   /* a live broker answers */
    t->ops->destroy(t);
    embedded_broker_stop(b);

    test_seek_while_starting();
    test_topic_ensure_counts();
    test_at_end_at_open();
    test_retention_check();
    test_offsets_for_times();
    test_ping();
    return testutil_done();
}
