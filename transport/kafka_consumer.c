/*
 * kafka_consumer.c - the Kafka transport's consumers: assignment of every
 * partition at explicit start offsets, polling, the end and lag of each
 * partition, commits and seeks.
 *
 * In: a group (it names the committed offsets; no membership), topics, a
 * reset policy and start offsets.  Out: borrowed records, valid until the
 * next poll or the close.  What stays true (at_end exact, explicit start
 * offsets, no auto-commit) is in transport_kafka.c's header.
 */
#include "kafka_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define COMMIT_SEEK_TIMEOUT_MS 10000

/* The mock cluster answers an empty fetch only after the consumer's whole
 * fetch.wait.max.ms (500 ms by default): it cannot cut the wait short when
 * records arrive.  Against it (development only) a short wait keeps a
 * query that reads another query's output close behind it. */
#define MOCK_FETCH_WAIT_MS "50"

/* One assigned partition of a consumer. */
typedef struct PartState {
    char *topic;
    int32_t partition;
    bool eof;                  /* consumed up to the end (see kafka_consumer_poll) */
    bool touched;              /* returned records in the current poll */
    int64_t last;              /* offset of the last of them */
    int64_t open_high;         /* high watermark when the consumer opened, -1 = unknown */
    int64_t next;              /* next offset to consume (for the lag), or a logical offset */
} PartState;

/* ---- consumer: partition tracking ----------------------------------- */

static PartState *part_find(Consumer *c, const char *topic, int32_t partition)
{
    for (int i = 0; i < c->nparts; i++)
        if (c->parts[i].partition == partition && strcmp(c->parts[i].topic, topic) == 0)
            return &c->parts[i];
    return NULL;
}

/* The record path's lookup: records come in runs from one partition. */
static PartState *part_of(Consumer *c, const rd_kafka_message_t *m)
{
    const char *topic = rd_kafka_topic_name(m->rkt);
    if (c->hint < c->nparts) {
        PartState *p = &c->parts[c->hint];
        if (p->partition == m->partition && strcmp(p->topic, topic) == 0)
            return p;
    }
    for (int i = 0; i < c->nparts; i++)
        if (c->parts[i].partition == m->partition && strcmp(c->parts[i].topic, topic) == 0) {
            c->hint = i;
            return &c->parts[i];
        }
    return NULL;
}

/* High watermark from the last fetch response (no request), else the one
 * known at the open, or -1. */
static int64_t cached_high(Consumer *c, const PartState *p)
{
    int64_t lo, hi;
    if (rd_kafka_get_watermark_offsets(c->rk, p->topic, p->partition, &lo, &hi) || hi < 0)
        return p->open_high;
    return hi;
}

static void part_set_eof(Consumer *c, PartState *p, bool eof)
{
    if (p->eof != eof)
        c->neof += eof ? 1 : -1;
    p->eof = eof;
}

static int parts_add(Consumer *c, const rd_kafka_topic_partition_list_t *list)
{
    PartState *p = calloc((size_t)list->cnt + 1, sizeof *p);
    if (p == NULL)
        return -1;
    c->parts = p;
    for (int i = 0; i < list->cnt; i++) {
        char *topic = strdup(list->elems[i].topic);
        if (topic == NULL)
            return -1;
        c->parts[c->nparts++] = (PartState){
            .topic = topic, .partition = list->elems[i].partition, .open_high = -1,
            .next = list->elems[i].offset};
    }
    return 0;
}

static void parts_clear(Consumer *c)
{
    for (int i = 0; i < c->nparts; i++)
        free(c->parts[i].topic);
    c->nparts = 0;
    c->neof = 0;
}

/* Every partition of `topics` now, in a new list (offsets INVALID).  A
 * topic just created may take a moment to show in the metadata. */
static rd_kafka_topic_partition_list_t *all_partitions(KafkaTransport *t, const char *const *topics,
                                                       int ntopics, int task, int ntasks,
                                                       EddyError *err)
{
    int64_t deadline = eddy_mono_ms() + METADATA_TIMEOUT_MS;
    for (;;) {
        const struct rd_kafka_metadata *md;
        if (kafka_fetch_metadata(t, &md, err) < 0)
            return NULL;
        rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(16);
        const char *missing = NULL;
        for (int i = 0; i < ntopics && missing == NULL; i++) {
            int n = kafka_md_partitions(md, topics[i]);
            if (n <= 0)
                missing = topics[i];
            for (int p = 0; p < n; p++)
                if (p % ntasks == task)
                    rd_kafka_topic_partition_list_add(list, topics[i], p);
        }
        if (missing == NULL) {
            rd_kafka_metadata_destroy(md);
            return list;
        }
        rd_kafka_topic_partition_list_destroy(list);
        if (eddy_mono_ms() >= deadline) {
            kafka_error(err, KAFKA_NO_CODE, "topic %s does not exist", missing);
            rd_kafka_metadata_destroy(md);
            return NULL;
        }
        rd_kafka_metadata_destroy(md);
        struct timespec pause = {0, 100 * 1000000L};
        nanosleep(&pause, NULL);
    }
}

/* Gives every partition of the assignment an explicit start offset: the
 * group's committed offset, else the reset policy.  Left to librdkafka
 * (INVALID), the committed offset is looked up asynchronously and the
 * partition started afterwards, which silently undoes a seek made in the
 * meantime. */
static void resolve_start_offsets(Consumer *c, rd_kafka_topic_partition_list_t *list,
                                  const TopicPartitionOffset *start, int nstart)
{
    rd_kafka_topic_partition_list_t *ask = rd_kafka_topic_partition_list_copy(list);
    rd_kafka_resp_err_t e = rd_kafka_committed(c->rk, ask, COMMIT_SEEK_TIMEOUT_MS);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
        kafka_log(c->t, EDDY_LOG_WARNING,
                  "kafka consumer: cannot read committed offsets of group %s: %s", c->group,
                  rd_kafka_err2str(e));
    for (int i = 0; i < list->cnt; i++) {
        const rd_kafka_topic_partition_t *a = &ask->elems[i];
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR && a->err == RD_KAFKA_RESP_ERR_NO_ERROR &&
            a->offset >= 0)
            list->elems[i].offset = a->offset;
        else
            list->elems[i].offset =
                c->reset == RESET_EARLIEST ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
        for (int k = 0; k < nstart; k++)
            if (start[k].partition == list->elems[i].partition &&
                strcmp(start[k].topic, list->elems[i].topic) == 0)
                list->elems[i].offset = start[k].offset;
    }
    rd_kafka_topic_partition_list_destroy(ask);
}

/* Turns the logical start offsets (BEGINNING, END) into absolute ones from
 * the watermarks: librdkafka would look them up itself, but only after a
 * retry timer when the partition's leader is not known yet (~0.5 s at every
 * start).  Notes each partition's high watermark in *hi (-1 if the lookup
 * failed: then librdkafka resolves them). */
static void resolve_logical_offsets(Consumer *c, rd_kafka_topic_partition_list_t *list,
                                    int64_t *hi)
{
    int64_t *lo = calloc((size_t)list->cnt + 1, sizeof *lo);
    bool ok = lo && kafka_list_offsets(c->rk, list, RD_KAFKA_OFFSET_BEGINNING, lo, NULL) == 0 &&
              kafka_list_offsets(c->rk, list, RD_KAFKA_OFFSET_END, hi, NULL) == 0;
    for (int i = 0; i < list->cnt; i++) {
        if (!ok)
            hi[i] = -1;
        else if (list->elems[i].offset == RD_KAFKA_OFFSET_BEGINNING)
            list->elems[i].offset = lo[i];
        else if (list->elems[i].offset == RD_KAFKA_OFFSET_END)
            list->elems[i].offset = hi[i];
    }
    free(lo);
}

/* ---- consumer ------------------------------------------------------- */

static void consumer_release_held(Consumer *c)
{
    for (int i = 0; i < c->nheld; i++)
        rd_kafka_message_destroy(c->held[i]);
    c->nheld = 0;
}

void kafka_consumer_free(Consumer *c)
{
    if (c == NULL)
        return;
    consumer_release_held(c);
    if (c->rk)
        rd_kafka_destroy(c->rk);
    parts_clear(c);
    free(c->parts);
    free(c->held);
    free(c);
}

/* The value of a pass-through property the user set, or NULL. */
static const char *prop_value(const KafkaTransport *t, const char *key)
{
    for (int i = 0; i + 1 < t->nprops; i += 2)
        if (strcmp(t->props[i], key) == 0)
            return t->props[i + 1];
    return NULL;
}

/* The consumer's handle, configured; NULL with err set. */
static rd_kafka_t *consumer_handle(Consumer *c, OffsetReset reset, EddyError *err)
{
    KafkaTransport *t = c->t;
    rd_kafka_conf_t *conf = kafka_consumer_conf(c);
    kafka_consumer_conf_commits(conf);
    /* A deep prefetch queue keeps the engine fed: with librdkafka's default
     * (100,000 messages across partitions) the poll loop waited on an empty
     * queue about a third of the time (bench_throughput, perf).  Before the
     * user's properties, so they can override it; ours after them, as the
     * runtime depends on those.  isolation.level=read_committed is
     * librdkafka's default already; set here so no property can change it
     * (exactly-once output needs every reader to skip aborted and open
     * transactions, as Kafka Streams' consumers do under exactly-once;
     * accept_props warns about a property that asks otherwise). */
    if (kafka_conf_set(conf, "client.id", "eddy", NULL, err) < 0 ||
        kafka_conf_set(conf, "queued.min.messages", "1000000", NULL, err) < 0 ||
        (kafka_is_mock(t) && prop_value(t, "fetch.wait.max.ms") == NULL &&
         kafka_conf_set(conf, "fetch.wait.max.ms", MOCK_FETCH_WAIT_MS, NULL, err) < 0) ||
        kafka_conf_apply_props(t, conf, err) < 0 ||
        kafka_conf_set(conf, "group.id", c->group, NULL, err) < 0 ||
        kafka_conf_set(conf, "enable.auto.commit", "false", NULL, err) < 0 ||
        kafka_conf_set(conf, "enable.auto.offset.store", "false", NULL, err) < 0 ||
        kafka_conf_set(conf, "enable.partition.eof", "true", NULL, err) < 0 ||
        kafka_conf_set(conf, "isolation.level", "read_committed", NULL, err) < 0 ||
        kafka_conf_set(conf, "auto.offset.reset",
                       reset == RESET_EARLIEST ? "earliest" : "latest", NULL, err) < 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_t *rk = kafka_new(RD_KAFKA_CONSUMER, conf, "kafka consumer", err);
    if (rk == NULL)
        return NULL;
    rd_kafka_set_log_queue(rk, NULL);   /* main queue ... */
    rd_kafka_poll_set_consumer(rk);      /* ... served by consumer_poll */
    return rk;
}

Consumer *kafka_consumer_open(Transport *tr, const char *group, const char *const *topics,
                              int ntopics, OffsetReset reset, const TopicPartitionOffset *start,
                              int nstart, EddyError *err)
{
    return kafka_consumer_open_task(tr, group, topics, ntopics, reset, start, nstart, 0, 1, err);
}

Consumer *kafka_consumer_open_task(Transport *tr, const char *group, const char *const *topics,
                                   int ntopics, OffsetReset reset,
                                   const TopicPartitionOffset *start, int nstart, int task,
                                   int ntasks, EddyError *err)
{
    KafkaTransport *t = (KafkaTransport *)tr;
    kafka_flush_logs(t);
    if (group == NULL || group[0] == '\0' || ntopics <= 0) {
        kafka_error(err, KAFKA_NO_CODE, "consumer needs a group and at least one topic");
        return NULL;
    }
    Consumer *c = calloc(1, sizeof *c);
    if (c == NULL) {
        kafka_error(err, KAFKA_NO_CODE, "out of memory");
        return NULL;
    }
    c->t = t;
    c->reset = reset;
    snprintf(c->group, sizeof c->group, "%s", group);
    rd_kafka_topic_partition_list_t *list = all_partitions(t, topics, ntopics, task, ntasks, err);
    if (list == NULL || (c->rk = consumer_handle(c, reset, err)) == NULL) {
        if (list)
            rd_kafka_topic_partition_list_destroy(list);
        kafka_consumer_free(c);
        return NULL;
    }
    int64_t *hi = calloc((size_t)list->cnt + 1, sizeof *hi);
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR__NOENT;
    if (hi) {
        resolve_start_offsets(c, list, start, nstart);
        resolve_logical_offsets(c, list, hi);
        e = rd_kafka_assign(c->rk, list);
    }
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR || parts_add(c, list) < 0) {
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
            kafka_error(err, e, "kafka assign");
        else
            kafka_error(err, KAFKA_NO_CODE, "kafka assign: out of memory");
        free(hi);
        rd_kafka_topic_partition_list_destroy(list);
        kafka_consumer_free(c);
        return NULL;
    }
    /* A partition that starts at its end brings no record, and on the mock
     * cluster its EOF event only after a whole fetch wait: it is at its
     * end now. */
    for (int i = 0; i < list->cnt; i++) {
        c->parts[i].open_high = hi[i];
        if (hi[i] >= 0 && list->elems[i].offset >= hi[i])
            part_set_eof(c, &c->parts[i], true);
    }
    free(hi);
    /* A changelog's reads (restores, a standby's catch-up every second)
     * say what they read in lines of their own. */
    if (strncmp(c->group, "eddy_changelog_", strlen("eddy_changelog_")) != 0)
        kafka_log(t, EDDY_LOG_INFO, "kafka consumer: group %s: assigned %d partition(s)", c->group,
                  list->cnt);
    rd_kafka_topic_partition_list_destroy(list);
    return c;
}

bool kafka_consumer_at_end(Consumer *c)
{
    return c->neof == c->nparts;
}

/* Records not consumed yet: the high watermarks of the last fetch (or, before
 * the first, those read when the consumer opened) minus the positions, which
 * are concrete offsets from the open on (start offsets are resolved then). */
int64_t kafka_consumer_lag(Consumer *c)
{
    int64_t lag = 0;
    for (int i = 0; i < c->nparts; i++) {
        const PartState *p = &c->parts[i];
        int64_t lo, hi;
        if (p->eof)
            continue;
        if (rd_kafka_get_watermark_offsets(c->rk, p->topic, p->partition, &lo, &hi) || hi < 0)
            hi = p->open_high;
        if (hi < 0 || p->next < 0)
            return -1;
        if (hi > p->next)
            lag += hi - p->next;
    }
    return lag;
}

int64_t kafka_consumer_partition_lag(Consumer *c, const char *topic, int32_t partition)
{
    const PartState *p = part_find(c, topic, partition);
    if (p == NULL)
        return -1;
    if (p->eof)
        return 0;
    int64_t hi = cached_high(c, p);
    if (hi < 0 || p->next < 0)
        return -1;
    return hi > p->next ? hi - p->next : 0;
}

/* Handles an event (error or EOF) from the consumer queue.  Returns -1 only
 * for a fatal error. */
int kafka_consumer_event(Consumer *c, const rd_kafka_message_t *m, EddyError *err)
{
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        PartState *p = m->rkt ? part_find(c, rd_kafka_topic_name(m->rkt), m->partition) : NULL;
        if (p)
            part_set_eof(c, p, true);
        return 0;
    }
    char fatal[256];
    if (m->err == RD_KAFKA_RESP_ERR__FATAL && rd_kafka_fatal_error(c->rk, fatal, sizeof fatal))
        return kafka_error(err, KAFKA_NO_CODE, "kafka consumer: %s", fatal);
    /* Everything else (unknown topic, broker down, ...) is retried by
     * librdkafka; tell the user and go on. */
    kafka_log(c->t, EDDY_LOG_WARNING, "kafka consumer: %s%s%s",
              m->rkt ? rd_kafka_topic_name(m->rkt) : "", m->rkt ? ": " : "",
              rd_kafka_message_errstr(m));
    return 0;
}
/* Fills *r from m (pointers into m) and notes the partition's progress. */
static void take_record(Consumer *c, const rd_kafka_message_t *m, TransportRecord *r)
{
    PartState *p = part_of(c, m);
    if (p) {
        part_set_eof(c, p, false);
        p->touched = true;
        p->last = m->offset;
        p->next = m->offset + 1;
    }
    rd_kafka_timestamp_type_t tstype;
    int64_t ts = rd_kafka_message_timestamp(m, &tstype);
    *r = (TransportRecord){
        .topic = rd_kafka_topic_name(m->rkt),
        .partition = m->partition,
        .offset = m->offset,
        .timestamp = tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? -1 : ts,
        .key = m->key,
        .key_len = m->key ? m->key_len : 0,
        .value = m->payload,
        .value_len = m->payload ? m->len : 0,
    };
}

/* librdkafka reports EOF once per end offset: after a seek back, the
 * partition reaches the same end again without a new EOF event.  So a
 * partition whose last record reached the high watermark of the last fetch
 * is at its end too. */
static void mark_ends(Consumer *c)
{
    for (int i = 0; i < c->nparts; i++) {
        PartState *p = &c->parts[i];
        if (!p->touched)
            continue;
        p->touched = false;
        int64_t hi = cached_high(c, p);
        if (hi >= 0 && p->last + 1 >= hi)
            part_set_eof(c, p, true);
    }
}

int kafka_consumer_poll(Consumer *c, TransportRecord *out, int max, int timeout_ms,
                        EddyError *err)
{
    consumer_release_held(c);
    kafka_flush_logs(c->t);
    char fatal[256];
    if (rd_kafka_fatal_error(c->rk, fatal, sizeof fatal))
        return kafka_error(err, KAFKA_NO_CODE, "kafka consumer: %s", fatal);
    if (max <= 0)
        return 0;
    if (c->capheld < max) {
        rd_kafka_message_t **h = realloc(c->held, sizeof *h * (size_t)max);
        if (h == NULL)
            return kafka_error(err, KAFKA_NO_CODE, "out of memory");
        c->held = h;
        c->capheld = max;
    }
    int64_t deadline = eddy_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    int n = 0, rc = 0;
    while (n < max) {
        /* Wait only for the first record; then take what is already here. */
        int64_t left = n == 0 ? deadline - eddy_mono_ms() : 0;
        int wait = left > 0 ? (int)left : 0;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, wait);
        if (m == NULL) {
            if (n > 0 || wait == 0)
                break;
            continue;   /* woke early: recompute what is left of the timeout */
        }
        if (m->err) {
            rc = kafka_consumer_event(c, m, err);
            rd_kafka_message_destroy(m);
            if (rc < 0 || (n == 0 && kafka_consumer_at_end(c)))
                break;   /* fatal, or caught up: let the caller see at_end now */
            continue;
        }
        take_record(c, m, &out[n++]);
        c->held[c->nheld++] = m;
    }
    mark_ends(c);
    return rc < 0 && n == 0 ? -1 : n;
}

static rd_kafka_topic_partition_list_t *tpo_list(const TopicPartitionOffset *offs, int n)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(n > 0 ? n : 1);
    for (int i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(list, offs[i].topic, offs[i].partition)->offset =
            offs[i].offset;
    return list;
}

/* The commit's outcome, served by consumer_poll on the caller's thread:
 * a failure is logged (once per run of failures), a success after
 * failures says so.  The offsets stored with the state are the truth; the
 * group's copy is for monitoring. */
static void commit_done_cb(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                           rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
    Consumer *c = opaque;
    for (int i = 0; e == RD_KAFKA_RESP_ERR_NO_ERROR && offsets && i < offsets->cnt; i++)
        e = offsets->elems[i].err;
    if (e == RD_KAFKA_RESP_ERR__NO_OFFSET)
        e = RD_KAFKA_RESP_ERR_NO_ERROR;   /* nothing new to commit */
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR && c->commit_failures++ == 0)
        kafka_log(c->t, EDDY_LOG_WARNING,
                  "kafka consumer: group %s: committing offsets to Kafka failed (the offsets "
                  "stored with the state are safe; retried at the next checkpoint): %s",
                  c->group, rd_kafka_err2str(e));
    else if (e == RD_KAFKA_RESP_ERR_NO_ERROR && c->commit_failures > 0) {
        kafka_log(c->t, EDDY_LOG_INFO,
                  "kafka consumer: group %s: committing offsets to Kafka works again (after %d "
                  "failed commit(s))", c->group, c->commit_failures);
        c->commit_failures = 0;
    }
}

void kafka_consumer_conf_commits(rd_kafka_conf_t *conf)
{
    rd_kafka_conf_set_offset_commit_cb(conf, commit_done_cb);
}

/* Asynchronous: a commit waits for the group's coordinator, which during a
 * broker outage would hold the query loop (no progress lines, no answer to
 * SHOW QUERIES) until the broker is back.  The outcome is logged by
 * commit_done_cb. */
int kafka_consumer_commit(Consumer *c, const TopicPartitionOffset *offs, int n, EddyError *err)
{
    kafka_flush_logs(c->t);
    if (n <= 0)
        return 0;
    rd_kafka_topic_partition_list_t *list = tpo_list(offs, n);
    rd_kafka_resp_err_t e = rd_kafka_commit(c->rk, list, 1 /* asynchronous */);
    rd_kafka_topic_partition_list_destroy(list);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
        return kafka_error(err, e, "kafka commit");
    return 0;
}

/* Moves assigned partitions' positions; a partition the consumer does not
 * have (a stored offset of a partition the topic no longer has) is skipped
 * with a warning. */
int kafka_consumer_seek(Consumer *c, const TopicPartitionOffset *offs, int n, EddyError *err)
{
    kafka_flush_logs(c->t);
    rd_kafka_topic_partition_list_t *now = rd_kafka_topic_partition_list_new(n > 0 ? n : 1);
    for (int i = 0; i < n; i++) {
        PartState *p = part_find(c, offs[i].topic, offs[i].partition);
        if (p == NULL) {
            kafka_log(c->t, EDDY_LOG_WARNING,
                      "kafka consumer: group %s: not seeking %s [%d]: not a partition of the "
                      "topic now",
                      c->group, offs[i].topic, (int)offs[i].partition);
            continue;
        }
        /* Seeking to the end of a partition already at EOF brings no new
         * EOF event: decide from the last known high watermark. */
        int64_t hi = cached_high(c, p);
        part_set_eof(c, p, offs[i].offset >= 0 && hi >= 0 && offs[i].offset >= hi);
        p->next = offs[i].offset;
        rd_kafka_topic_partition_list_add(now, offs[i].topic, offs[i].partition)->offset =
            offs[i].offset;
    }
    int rc = 0;
    /* A partition that is still starting can refuse a seek for a moment
     * (a state error); librdkafka's own threads settle it, so try again a
     * few times before reporting. */
    for (int attempt = 0; now->cnt > 0 && attempt < 5; attempt++) {
        if (attempt > 0) {
            struct timespec pause = {0, 100 * 1000000L};
            nanosleep(&pause, NULL);
            for (int i = 0; i < now->cnt; i++)
                now->elems[i].err = RD_KAFKA_RESP_ERR_NO_ERROR;
        }
        rc = 0;
        rd_kafka_error_t *error = rd_kafka_seek_partitions(c->rk, now, COMMIT_SEEK_TIMEOUT_MS);
        if (error) {
            rc = kafka_error(err, KAFKA_NO_CODE, "kafka seek: %s", rd_kafka_error_string(error));
            rd_kafka_error_destroy(error);
        }
        for (int i = 0; rc == 0 && i < now->cnt; i++)
            if (now->elems[i].err)
                rc = kafka_error(err, now->elems[i].err, "kafka seek %s [%d]", now->elems[i].topic,
                                 (int)now->elems[i].partition);
        if (rc == 0)
            break;
    }
    rd_kafka_topic_partition_list_destroy(now);
    return rc;
}

/* How long a close waits for its last asynchronous commits. */
#define CLOSE_TIMEOUT_MS 2000

/* The close has only the last commits to finish (no group membership), and
 * those wait for the coordinator: with the broker gone for good,
 * rd_kafka_consumer_close never returned and `eddy run` hung at exit.  So
 * the close is given CLOSE_TIMEOUT_MS, then the handle is destroyed without
 * it (the offsets stored with the state are the truth; the group's copy
 * only lags). */
void kafka_consumer_close(Consumer *c)
{
    if (c == NULL)
        return;
    consumer_release_held(c);
    rd_kafka_queue_t *q = rd_kafka_queue_new(c->rk);
    rd_kafka_error_t *error = rd_kafka_consumer_close_queue(c->rk, q);
    if (error)
        rd_kafka_error_destroy(error);
    int64_t deadline = eddy_mono_ms() + CLOSE_TIMEOUT_MS;
    while (!error && !rd_kafka_consumer_closed(c->rk) && eddy_mono_ms() < deadline) {
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 100);
        if (ev)
            rd_kafka_event_destroy(ev);
    }
    rd_kafka_queue_destroy(q);
    if (!rd_kafka_consumer_closed(c->rk)) {
        kafka_log(c->t, EDDY_LOG_WARNING,
                  "kafka consumer: group %s: closed without its last commit to Kafka (broker "
                  "unreachable; the offsets stored with the state are safe)",
                  c->group);
        rd_kafka_destroy_flags(c->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
        c->rk = NULL;
    }
    kafka_consumer_free(c);
}
