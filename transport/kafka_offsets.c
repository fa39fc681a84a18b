/*
 * kafka_offsets.c - offsets for times: the broker's answer, and where it has
 * none (librdkafka's mock cluster, `eddy broker`), a search in the records.
 *
 * In: a topic and a time.  Out: per partition, the offset of its first
 * record at or after the time, or its high watermark.  The search's method
 * and when it is exact are below and in engine/README.md.
 */
#include "kafka_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- offsets for times ---------------------------------------------- */

/* Kafka's answer for a time is the first offset whose record has a
 * timestamp >= it, or -1 ("none": the end) if no record has.  A -1 for a
 * partition with records is checked against its last SEARCH_WINDOW
 * records: if one of them is that late, the broker could not answer
 * (librdkafka's mock cluster answers -1 for every time) and eddy finds the
 * offset in the records: a binary search over offsets, one record read per
 * probe, which is exact when timestamps do not decrease; then the window
 * before its answer is read, and an earlier record with a timestamp >= the
 * time moves the answer back (and the window before that is read, until
 * one holds none).  So records out of time order are found as long as they
 * are less than a window away from the boundary (engine/README.md). */
#define SEARCH_WINDOW 10000
#define SEARCH_READ_TIMEOUT_MS 10000

/* The search's reader: a consumer of one partition at a time, assigned at
 * the offset wanted for each read (the assignment is the seek).  It joins
 * no group (librdkafka's assign needs a group id all the same) and commits
 * nothing.  A Consumer, so that its logs go where every consumer's go. */
static Consumer *searcher_open(KafkaTransport *t, EddyError *err)
{
    Consumer *c = calloc(1, sizeof *c);
    if (c == NULL) {
        kafka_error(err, KAFKA_NO_CODE, "out of memory");
        return NULL;
    }
    c->t = t;
    snprintf(c->group, sizeof c->group, "eddy-offsets-for-times");
    rd_kafka_conf_t *conf = kafka_consumer_conf(c);
    /* Each read reassigns the partition, which waits for the fetch in
     * flight: so fetches wait at most 1 ms for records (a longer wait at
     * a partition's end held every next read by it: 50 ms each on the
     * mock cluster, 500 by default elsewhere) and fetch 64 KB, not 1 MB,
     * for a probe's one record.  librdkafka's read-ahead threshold stays
     * as it is: a small one (1 or 1,000 records) made it pause fetching
     * for a second whenever the queue filled, 60 times slower in all.  A
     * read below the low watermark (retention moved it meanwhile) starts
     * at the oldest record kept, which the search takes as the first at or
     * after that offset.  These after the user's properties: they are the
     * search's own. */
    if (kafka_conf_set(conf, "client.id", "eddy", NULL, err) < 0 ||
        kafka_conf_apply_props(t, conf, err) < 0 ||
        kafka_conf_set(conf, "fetch.wait.max.ms", "1", NULL, err) < 0 ||
        kafka_conf_set(conf, "max.partition.fetch.bytes", "65536", NULL, err) < 0 ||
        kafka_conf_set(conf, "group.id", "eddy-offsets-for-times", NULL, err) < 0 ||
        kafka_conf_set(conf, "enable.auto.commit", "false", NULL, err) < 0 ||
        kafka_conf_set(conf, "enable.partition.eof", "true", NULL, err) < 0 ||
        kafka_conf_set(conf, "auto.offset.reset", "earliest", NULL, err) < 0) {
        rd_kafka_conf_destroy(conf);
        kafka_consumer_free(c);
        return NULL;
    }
    c->rk = kafka_new(RD_KAFKA_CONSUMER, conf, "kafka consumer", err);
    if (c->rk == NULL) {
        kafka_consumer_free(c);
        return NULL;
    }
    rd_kafka_set_log_queue(c->rk, NULL);
    rd_kafka_poll_set_consumer(c->rk);
    return c;
}

/* One partition's search: what it reads and how much it read. */
typedef struct Search {
    Consumer *c;
    const char *topic;
    int32_t partition;
    int64_t ts;               /* the time searched for */
    int reads;                /* assignments made (probes and window reads) */
    int64_t records;          /* records looked at */
} Search;

/* The first record in [from, to) whose timestamp is >= min_ts: *off its
 * offset (-1 if none) and *ts its timestamp.  Reads from `from` on. */
static int search_read(Search *s, int64_t from, int64_t to, int64_t min_ts, int64_t *off,
                       int64_t *ts, EddyError *err)
{
    *off = *ts = -1;
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, s->topic, s->partition)->offset = from;
    rd_kafka_resp_err_t e = rd_kafka_assign(s->c->rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
        return kafka_error(err, e, "kafka assign %s [%d]", s->topic, (int)s->partition);
    s->reads++;
    int64_t deadline = eddy_mono_ms() + SEARCH_READ_TIMEOUT_MS;
    for (;;) {
        int64_t left = deadline - eddy_mono_ms();
        if (left <= 0)
            return kafka_error(err, KAFKA_NO_CODE,
                               "reading %s [%d] from offset %lld: no record within %d ms",
                               s->topic, (int)s->partition, (long long)from,
                               SEARCH_READ_TIMEOUT_MS);
        rd_kafka_message_t *m = rd_kafka_consumer_poll(s->c->rk, left < 100 ? (int)left : 100);
        if (m == NULL)
            continue;
        bool ours = m->partition == s->partition && m->offset >= from;
        bool done = false;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            done = ours;
        } else if (m->err) {
            if (kafka_consumer_event(s->c, m, err) < 0) {
                rd_kafka_message_destroy(m);
                return -1;
            }
        } else if (ours) {
            s->records++;
            rd_kafka_timestamp_type_t tstype;
            int64_t rts = rd_kafka_message_timestamp(m, &tstype);
            if (tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE)
                rts = -1;
            if (m->offset < to && rts >= min_ts) {
                *off = m->offset;
                *ts = rts;
            }
            /* The last offset of the range ends the read without waiting
             * for the end-of-partition event (a whole fetch wait on the
             * mock cluster). */
            done = *off >= 0 || m->offset + 1 >= to;
        }
        rd_kafka_message_destroy(m);
        if (done)
            return 0;
    }
}

/* Binary search over [lo, end) for the first record whose timestamp is >=
 * s->ts, as if timestamps did not decrease; *cand becomes it, or stays.
 * Each probe reads the first record at or after the middle. */
static int search_bisect(Search *s, int64_t lo, int64_t end, int64_t *cand, EddyError *err)
{
    while (lo < end) {
        int64_t mid = lo + (end - lo) / 2, off, ts;
        if (search_read(s, mid, end, INT64_MIN, &off, &ts, err) < 0)
            return -1;
        if (off < 0) {
            end = mid;              /* no record in [mid, end) */
        } else if (ts >= s->ts) {
            *cand = off;
            end = mid;
        } else {
            lo = off + 1;
        }
    }
    return 0;
}

/* Moves *cand back to an earlier record whose timestamp is >= s->ts in the
 * window before it, window by window, until a window holds none. */
static int search_back(Search *s, int64_t low, int64_t *cand, EddyError *err)
{
    while (*cand > low) {
        int64_t from = *cand - low > SEARCH_WINDOW ? *cand - SEARCH_WINDOW : low, off, ts;
        if (search_read(s, from, *cand, s->ts, &off, &ts, err) < 0)
            return -1;
        if (off < 0)
            break;
        *cand = off;
    }
    return 0;
}

/* The offset for s->ts in the records [low, high) (not empty) of a
 * partition the broker said "none" for.  The last window is read first: if
 * none of its records is that late, the broker's answer (the high
 * watermark) stands, as it does on a broker that answers; if one is, the
 * answer lies before it. */
static int search_partition(Search *s, int64_t low, int64_t high, int64_t *out, EddyError *err)
{
    int64_t tail = high - low > SEARCH_WINDOW ? high - SEARCH_WINDOW : low, off, ts;
    if (search_read(s, tail, high, s->ts, &off, &ts, err) < 0)
        return -1;
    if (off < 0) {
        *out = high;
        return 0;
    }
    if (tail > low && (search_bisect(s, low, tail, &off, err) < 0 ||
                       search_back(s, low, &off, err) < 0))
        return -1;
    *out = off;
    return 0;
}

/* True if the broker's error says it has no offsets-for-times at all (a
 * broker before Kafka 0.10.1): then every partition is searched. */
static bool cannot_answer(rd_kafka_resp_err_t e)
{
    return e == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE ||
           e == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION || e == RD_KAFKA_RESP_ERR_INVALID_REQUEST;
}

int kafka_offsets_for_times(Transport *tr, const char *topic, int64_t ts_ms,
                            TopicPartitionOffset **out, int *nout, EddyError *err)
{
    KafkaTransport *t = (KafkaTransport *)tr;
    kafka_flush_logs(t);
    *out = NULL;
    *nout = 0;
    if (ts_ms < 0)
        ts_ms = 0;   /* negative times are logical offsets to the broker (-1 end, -2 start) */
    int64_t *low, *high;
    int n = tr->ops->watermarks(tr, topic, &low, &high, err);
    if (n < 0)
        return -1;
    TopicPartitionOffset *res = calloc((size_t)n + 1, sizeof *res);
    int64_t *asked = calloc((size_t)n + 1, sizeof *asked);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(n);
    for (int p = 0; p < n; p++)
        rd_kafka_topic_partition_list_add(parts, topic, p);
    int rc = res && asked ? 0 : kafka_error(err, KAFKA_NO_CODE, "out of memory");
    rd_kafka_resp_err_t e = rc == 0 ? kafka_list_offsets_code(t->producer, parts, ts_ms, asked)
                                    : RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_topic_partition_list_destroy(parts);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR && !cannot_answer(e))
        rc = kafka_error(err, e, "kafka offsets for times of %s", topic);
    Search s = {.topic = topic, .ts = ts_ms};
    int searched = 0;
    int64_t t0 = eddy_mono_ms();
    for (int p = 0; rc == 0 && p < n; p++) {
        res[p] = (TopicPartitionOffset){topic, p, high[p]};
        int64_t a = e == RD_KAFKA_RESP_ERR_NO_ERROR ? asked[p] : -1;
        if (low[p] >= high[p])
            continue;   /* empty: its end, whatever the broker said */
        if (a >= 0) {
            res[p].offset = a < low[p] ? low[p] : a > high[p] ? high[p] : a;
            continue;
        }
        if (s.c == NULL && (s.c = searcher_open(t, err)) == NULL) {
            rc = -1;
            break;
        }
        s.partition = p;
        searched++;
        rc = search_partition(&s, low[p], high[p], &res[p].offset, err);
    }
    if (s.c) {
        kafka_consumer_close(s.c);
        if (rc == 0)
            kafka_log(t, EDDY_LOG_INFO,
                      "kafka: offsets of %s for time %lld: the broker had none for %d "
                      "partition(s) with records; read them instead (%d reads, %lld records, "
                      "%lld ms)",
                      topic, (long long)ts_ms, searched, s.reads, (long long)s.records,
                      (long long)(eddy_mono_ms() - t0));
    }
    free(asked);
    free(low);
    free(high);
    if (rc < 0) {
        free(res);
        return -1;
    }
    *out = res;
    *nout = n;
    return 0;
}
