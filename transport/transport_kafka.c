/*
 * transport_kafka.c - the Kafka transport: TransportOps over librdkafka.
 *
 * In:  property pairs passed through to librdkafka (bootstrap.servers,
 *      security.*, ...).  Out: consumers over whole topics, one shared
 *      producer, topic metadata and watermarks, offsets for times (found
 *      in the records where the broker has none), topic creation.
 *
 * This file: the transport, its logs and errors (kafka_error: every
 * failure of the transport becomes an EddyError there), configuration,
 * producer, metadata and topics.  Consumers are kafka_consumer.c's,
 * offsets for times kafka_offsets.c's; kafka_int.h is what they share.
 *
 * Invariants:
 *  - One idempotent producer per transport, partitioner murmur2_random, so a
 *    key lands on the partition a Java client would choose (co-partitioning
 *    with ksqlDB / Kafka Streams output holds).
 *  - A consumer is assigned every partition of its topics when it opens
 *    (assign, not subscribe): a query reads all of them anyway and its
 *    offsets come from its own state, so joining a group would only cost
 *    the group's first-join delay (~3 s).  The group id names the
 *    committed offsets; commits need no membership.
 *  - Consumers never auto-commit: the runtime commits the offsets its
 *    checkpoint reflects (consumer_commit), asynchronously, so a broker
 *    outage never holds the query loop; failures are logged.
 *  - librdkafka never calls back from its own threads: logs go through
 *    log.queue to the handle's poll queue, so t->log and the delivery-report
 *    callback run inside produce/poll/flush/consumer_poll on the caller's
 *    thread.
 *  - at_end is exact: a partition counts as "at end" once its position
 *    reached the high watermark known at the open, or an EOF event was seen
 *    for it, or its last returned record reached the high watermark of the
 *    last fetch; and no record from it was returned after that.
 *  - Every assigned partition starts at an explicit offset (the committed
 *    offset, else the reset policy), so a seek right after the open is
 *    never undone by a start position looked up later.
 *  - No CreateTopics to a cluster without a controller (librdkafka's mock
 *    cluster, eddy's development broker): the admin request would only
 *    wait for a controller that never comes.  Topics are made there by the
 *    in-process broker itself, or by `eddy broker`'s admin topic, or by
 *    auto-creation (then with the broker's default count, said once).
 */
#include "kafka_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CREATE_TOPICS_TIMEOUT_MS 3000

/* ---- errors and logging ---------------------------------------------- */

int kafka_error(EddyError *err, rd_kafka_resp_err_t code, const char *fmt, ...)
{
    if (err == NULL)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    if (code != RD_KAFKA_RESP_ERR_NO_ERROR) {
        size_t n = strlen(err->msg);
        snprintf(err->msg + n, sizeof err->msg - n, ": %s", rd_kafka_err2str(code));
    }
    err->kind = ERR_IO;
    err->pos = (SrcPos){0, 0};
    return -1;
}

rd_kafka_t *kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf, const char *what,
                      EddyError *err)
{
    char errstr[512];
    rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
    if (rk == NULL) {
        rd_kafka_conf_destroy(conf);
        kafka_error(err, KAFKA_NO_CODE, "%s: %s", what, errstr);
    }
    return rk;
}

/* Consumers of tasks on worker threads log from those threads (their
 * callbacks run inside consumer_poll): one line at a time. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void kafka_log(KafkaTransport *t, int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&log_lock);
    eddy_vlog(t->base.log, t->base.log_ud, level, fmt, ap);
    pthread_mutex_unlock(&log_lock);
    va_end(ap);
}

/* Warnings found before the caller could set t->log come out at the first
 * call that can deliver them. */
void kafka_flush_logs(KafkaTransport *t)
{
    if (t->npending_logs == 0 || t->base.log == NULL)
        return;
    for (int i = 0; i < t->npending_logs; i++) {
        t->base.log(t->base.log_ud, EDDY_LOG_WARNING, t->pending_logs[i]);
        free(t->pending_logs[i]);
    }
    t->npending_logs = 0;
}

static void add_pending_log(KafkaTransport *t, const char *msg)
{
    char **p = realloc(t->pending_logs, sizeof *p * (size_t)(t->npending_logs + 1));
    if (p == NULL)
        return;
    t->pending_logs = p;
    char *copy = strdup(msg);
    if (copy)
        t->pending_logs[t->npending_logs++] = copy;
}

int kafka_log_level(int syslog_level)
{
    return syslog_level <= 3    ? EDDY_LOG_ERROR
           : syslog_level == 4 ? EDDY_LOG_WARNING
                               : EDDY_LOG_INFO;
}

/* Broker connection failures come both as a FAIL log line and as an error
 * event; the error callbacks report them once. */
bool kafka_log_wanted(const char *fac, const char *buf)
{
    if (strcmp(fac, "FAIL") == 0)
        return false;   /* connection failures come as errors too */
    /* The user's librdkafka properties go to every client eddy makes
     * (producers, consumers, the group member): that one kind ignores the
     * other's is expected, not news. */
    return !(strcmp(fac, "CONFWARN") == 0 && (strstr(buf, "is a consumer property") ||
                                              strstr(buf, "is a producer property")));
}

static void producer_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    KafkaTransport *t = rd_kafka_opaque(rk);
    if (kafka_log_wanted(fac, buf) && !t->pinging)
        kafka_log(t, kafka_log_level(level), "kafka producer: %s: %s", fac, buf);
}

static void producer_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    KafkaTransport *t = opaque;
    if (t->pinging) {
        /* The first reason is the telling one ("Connection refused"); the
         * all-brokers-down event that follows only says the count. */
        if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
            t->all_brokers_down = true;
        else if (t->ping_error[0] == '\0')
            snprintf(t->ping_error, sizeof t->ping_error, "%s", reason);
        return;
    }
    bool fatal = err == RD_KAFKA_RESP_ERR__FATAL;
    kafka_log(t, fatal ? EDDY_LOG_ERROR : EDDY_LOG_WARNING, "kafka producer: %s%s",
              fatal ? "fatal: " : "", reason);
}

static void consumer_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    Consumer *c = rd_kafka_opaque(rk);
    if (kafka_log_wanted(fac, buf))
        kafka_log(c->t, kafka_log_level(level), "kafka consumer: %s: %s", fac, buf);
}

static void consumer_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    Consumer *c = opaque;
    bool fatal = err == RD_KAFKA_RESP_ERR__FATAL;
    kafka_log(c->t, fatal ? EDDY_LOG_ERROR : EDDY_LOG_WARNING, "kafka consumer: %s%s",
              fatal ? "fatal: " : "", reason);
}

/* ---- configuration -------------------------------------------------- */

int kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *val, bool *unknown,
                   EddyError *err)
{
    char errstr[512];
    rd_kafka_conf_res_t res = rd_kafka_conf_set(conf, key, val, errstr, sizeof errstr);
    if (unknown)
        *unknown = res == RD_KAFKA_CONF_UNKNOWN;
    if (res == RD_KAFKA_CONF_OK || res == RD_KAFKA_CONF_UNKNOWN)
        return 0;
    return kafka_error(err, KAFKA_NO_CODE, "kafka property %s: %s", key, errstr);
}

int kafka_conf_apply_props(KafkaTransport *t, rd_kafka_conf_t *conf, EddyError *err)
{
    for (int i = 0; i + 1 < t->nprops; i += 2)
        if (kafka_conf_set(conf, t->props[i], t->props[i + 1], NULL, err) < 0)
            return -1;
    return 0;
}

void kafka_conf_route_logs(rd_kafka_conf_t *conf,
                           void (*log_cb)(const rd_kafka_t *, int, const char *, const char *),
                           void (*error_cb)(rd_kafka_t *, int, const char *, void *))
{
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    rd_kafka_conf_set(conf, "log.queue", "true", NULL, 0);
}

rd_kafka_conf_t *kafka_consumer_conf(Consumer *c)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    kafka_conf_route_logs(conf, consumer_log_cb, consumer_error_cb);
    rd_kafka_conf_set_opaque(conf, c);
    return conf;
}

/* ---- producer ------------------------------------------------------- */

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    KafkaTransport *t = opaque;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR)
        return;
    pthread_mutex_lock(&log_lock);   /* produce may serve reports on a worker thread */
    if (t->failed++ == 0)
        snprintf(t->first_failure, sizeof t->first_failure, "%s [%d]: %s",
                 m->rkt ? rd_kafka_topic_name(m->rkt) : "?", (int)m->partition,
                 rd_kafka_err2str(m->err));
    pthread_mutex_unlock(&log_lock);
}

rd_kafka_resp_err_t kafka_produce_record(rd_kafka_t *rk, const char *topic, int32_t partition,
                                         const void *key, size_t key_len, const void *value,
                                         size_t value_len, int64_t timestamp)
{
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic),
            RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA : partition),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY((void *)key, key ? key_len : 0),
            RD_KAFKA_V_VALUE((void *)value, value ? value_len : 0),
            RD_KAFKA_V_TIMESTAMP(timestamp >= 0 ? timestamp : 0), RD_KAFKA_V_END);
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return e;
        /* The local queue is full: serve delivery reports until there is
         * room.  Messages time out after message.timeout.ms, so this ends. */
        if (rd_kafka_fatal_error(rk, NULL, 0))
            return RD_KAFKA_RESP_ERR__FATAL;
        rd_kafka_poll(rk, 50);
    }
}

static int kt_produce(Transport *tr, const char *topic, int32_t partition, const void *key,
                      size_t key_len, const void *value, size_t value_len, int64_t timestamp,
                      EddyError *err)
{
    KafkaTransport *t = (KafkaTransport *)tr;
    kafka_flush_logs(t);
    rd_kafka_resp_err_t e = kafka_produce_record(t->producer, topic, partition, key, key_len,
                                                 value, value_len, timestamp);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
        return 0;
    char fatal[256];
    if (rd_kafka_fatal_error(t->producer, fatal, sizeof fatal))
        return kafka_error(err, KAFKA_NO_CODE, "produce to %s: %s", topic, fatal);
    return kafka_error(err, e, "produce to %s", topic);
}

static void kt_poll(Transport *tr)
{
    KafkaTransport *t = (KafkaTransport *)tr;
    kafka_flush_logs(t);
    rd_kafka_poll(t->producer, 0);
}

static int kt_flush(Transport *tr, int timeout_ms, EddyError *err)
{
    KafkaTransport *t = (KafkaTransport *)tr;
    kafka_flush_logs(t);
    rd_kafka_resp_err_t e = rd_kafka_flush(t->producer, timeout_ms);
    rd_kafka_poll(t->producer, 0);   /* serve the last delivery reports */
    long failed = t->failed;
    t->failed = 0;
    if (failed > 0)
        return kafka_error(err, KAFKA_NO_CODE, "%ld record(s) not delivered; first: %s",
                           failed, t->first_failure);
    char fatal[256];
    if (rd_kafka_fatal_error(t->producer, fatal, sizeof fatal))
        return kafka_error(err, KAFKA_NO_CODE, "producer failed: %s", fatal);
    if (e == RD_KAFKA_RESP_ERR__TIMED_OUT) {
        kafka_error(err, KAFKA_NO_CODE,
                    "flush timed out after %d ms with %d record(s) undelivered", timeout_ms,
                    rd_kafka_outq_len(t->producer));
        return -2;   /* none failed: still queued (the broker may be away) */
    }
    return 0;
}

static int64_t kt_pending(Transport *tr)
{
    return rd_kafka_outq_len(((KafkaTransport *)tr)->producer);
}

/* ---- metadata and topics -------------------------------------------- */

int kafka_fetch_metadata(KafkaTransport *t, const struct rd_kafka_metadata **md, EddyError *err)
{
    /* all_topics = 1: asking for one named topic could auto-create it. */
    rd_kafka_resp_err_t e = rd_kafka_metadata(t->producer, 1, NULL, md, METADATA_TIMEOUT_MS);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
        return kafka_error(err, KAFKA_NO_CODE,
                           "the Kafka broker did not answer within %d ms (metadata: %s)",
                           METADATA_TIMEOUT_MS, rd_kafka_err2str(e));
    return 0;
}

/* Partitions of `topic` in md, or -1 if the cluster does not know it. */
int kafka_md_partitions(const struct rd_kafka_metadata *md, const char *topic)
{
    for (int i = 0; i < md->topic_cnt; i++) {
        const struct rd_kafka_metadata_topic *mt = &md->topics[i];
        if (strcmp(mt->topic, topic) == 0)
            return mt->err == RD_KAFKA_RESP_ERR_NO_ERROR ? mt->partition_cnt : -1;
    }
    return -1;
}

/* Partitions of `topic` as the cluster says now; -1 if unknown. */
static int current_partitions(KafkaTransport *t, const char *topic)
{
    const struct rd_kafka_metadata *md;
    if (kafka_fetch_metadata(t, &md, NULL) < 0)
        return -1;
    int n = kafka_md_partitions(md, topic);
    rd_kafka_metadata_destroy(md);
    return n;
}

static int kt_topic_partitions(Transport *tr, const char *topic)
{
    KafkaTransport *t = (KafkaTransport *)tr;
    kafka_flush_logs(t);
    return current_partitions(t, topic);
}

/* Internal topics (__consumer_offsets, ...) are left out, as Kafka's
 * AdminClient.listTopics does by default. */
static int kt_list_topics(Transport *tr, char ***names, EddyError *err)
{
    KafkaTransport *t = (KafkaTransport *)tr;
    kafka_flush_logs(t);
    *names = NULL;
    const struct rd_kafka_metadata *md;
    if (kafka_fetch_metadata(t, &md, err) < 0)
        return -1;
    char **out = calloc((size_t)md->topic_cnt + 1, sizeof *out);
    int n = 0;
    for (int i = 0; out && i < md->topic_cnt; i++) {
        const char *name = md->topics[i].topic;
        if (md->topics[i].err != RD_KAFKA_RESP_ERR_NO_ERROR || strncmp(name, "__", 2) == 0)
            continue;
        if ((out[n] = strdup(name)) == NULL)
            break;
        n++;
    }
    rd_kafka_metadata_destroy(md);
    if (out == NULL)
        return kafka_error(err, KAFKA_NO_CODE, "out of memory listing topics");
    *names = out;
    return n;
}

/* Asks for the offsets at `which` (RD_KAFKA_OFFSET_BEGINNING = low
 * watermark, RD_KAFKA_OFFSET_END = high) of every partition in `parts`, one
 * ListOffsets request per leader, into out[i] for parts->elems[i]. */
rd_kafka_resp_err_t kafka_list_offsets_code(rd_kafka_t *rk,
                                            const rd_kafka_topic_partition_list_t *parts,
                                            int64_t which, int64_t *out)
{
    rd_kafka_topic_partition_list_t *q = rd_kafka_topic_partition_list_copy(parts);
    for (int i = 0; i < q->cnt; i++)
        q->elems[i].offset = which;
    rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(rk, q, METADATA_TIMEOUT_MS);
    for (int i = 0; e == RD_KAFKA_RESP_ERR_NO_ERROR && i < q->cnt; i++) {
        e = q->elems[i].err;
        out[i] = q->elems[i].offset;
    }
    rd_kafka_topic_partition_list_destroy(q);
    return e;
}

int kafka_list_offsets(rd_kafka_t *rk, const rd_kafka_topic_partition_list_t *parts,
                       int64_t which, int64_t *out, EddyError *err)
{
    rd_kafka_resp_err_t e = kafka_list_offsets_code(rk, parts, which, out);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
        return kafka_error(err, e, "kafka list offsets");
    return 0;
}

static int kt_watermarks(Transport *tr, const char *topic, int64_t **low, int64_t **high,
                         EddyError *err)
{
    KafkaTransport *t = (KafkaTransport *)tr;
    kafka_flush_logs(t);
    *low = *high = NULL;
    int n = current_partitions(t, topic);
    if (n < 0)
        return kafka_error(err, KAFKA_NO_CODE, "topic %s does not exist", topic);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(n);
    for (int p = 0; p < n; p++)
        rd_kafka_topic_partition_list_add(parts, topic, p);
    int64_t *lo = calloc((size_t)n + 1, sizeof *lo), *hi = calloc((size_t)n + 1, sizeof *hi);
    int rc = lo && hi ? 0 : kafka_error(err, KAFKA_NO_CODE, "out of memory");
    if (rc == 0)
        rc = kafka_list_offsets(t->producer, parts, RD_KAFKA_OFFSET_BEGINNING, lo, err);
    if (rc == 0)
        rc = kafka_list_offsets(t->producer, parts, RD_KAFKA_OFFSET_END, hi, err);
    rd_kafka_topic_partition_list_destroy(parts);
    if (rc < 0) {
        free(lo);
        free(hi);
        return -1;
    }
    *low = lo;
    *high = hi;
    return n;
}

/* True if the cluster is librdkafka's mock (its cluster id says so). */
bool kafka_is_mock(KafkaTransport *t)
{
    if (t->is_mock < 0) {
        char *id = rd_kafka_clusterid(t->producer, METADATA_TIMEOUT_MS);
        if (id == NULL)
            return false;   /* unknown: ask again next time */
        t->is_mock = strncmp(id, "mockCluster", 11) == 0;
        rd_kafka_mem_free(t->producer, id);
    }
    return t->is_mock == 1;
}

/* True if the metadata names a controller among its brokers: only then can
 * the cluster serve CreateTopics (the mock cluster names broker 0, which
 * does not exist). */
static bool has_controller(const struct rd_kafka_metadata *md, int32_t controller)
{
    for (int i = 0; controller >= 0 && i < md->broker_cnt; i++)
        if (md->brokers[i].id == controller)
            return true;
    return false;
}

/* Runs CreateTopics with a short timeout.  Returns the librdkafka error for
 * the topic (NO_ERROR on success); *msg gets a description. */
static rd_kafka_resp_err_t create_topic(KafkaTransport *t, const char *topic, int partitions,
                                        int replicas, char *msg, size_t msgsize)
{
    char errstr[256];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions > 0 ? partitions : -1,
                                                    replicas > 0 ? replicas : -1, errstr,
                                                    sizeof errstr);
    if (nt == NULL) {
        snprintf(msg, msgsize, "%s", errstr);
        return RD_KAFKA_RESP_ERR__INVALID_ARG;
    }
    rd_kafka_AdminOptions_t *opts =
        rd_kafka_AdminOptions_new(t->producer, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_request_timeout(opts, CREATE_TOPICS_TIMEOUT_MS, NULL, 0);
    rd_kafka_AdminOptions_set_operation_timeout(opts, CREATE_TOPICS_TIMEOUT_MS, NULL, 0);
    rd_kafka_queue_t *q = rd_kafka_queue_new(t->producer);
    rd_kafka_CreateTopics(t->producer, &nt, 1, opts, q);

    /* The request times itself out; the extra second covers scheduling. */
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, CREATE_TOPICS_TIMEOUT_MS + 1000);
    rd_kafka_resp_err_t e;
    if (ev == NULL) {
        e = RD_KAFKA_RESP_ERR__TIMED_OUT;
        snprintf(msg, msgsize, "no answer within %d ms", CREATE_TOPICS_TIMEOUT_MS);
    } else if ((e = rd_kafka_event_error(ev)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(msg, msgsize, "%s", rd_kafka_event_error_string(ev));
    } else {
        size_t cnt = 0;
        const rd_kafka_topic_result_t **res =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
        e = cnt > 0 ? rd_kafka_topic_result_error(res[0]) : RD_KAFKA_RESP_ERR_NO_ERROR;
        const char *es = cnt > 0 ? rd_kafka_topic_result_error_string(res[0]) : NULL;
        snprintf(msg, msgsize, "%s", es ? es : rd_kafka_err2str(e));
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_AdminOptions_destroy(opts);
    rd_kafka_NewTopic_destroy(nt);
    return e;
}

/* Waits (at most timeout_ms) until the metadata shows `topic`; returns its
 * partition count, or -1. */
static int wait_for_topic(KafkaTransport *t, const char *topic, int timeout_ms)
{
    int64_t deadline = eddy_mono_ms() + timeout_ms;
    for (;;) {
        int n = current_partitions(t, topic);
        if (n > 0 || eddy_mono_ms() >= deadline)
            return n;
        struct timespec pause = {0, 20 * 1000000L};
        nanosleep(&pause, NULL);
    }
}

/* Asks `eddy broker` (another process) to create the topic through its
 * admin topic; returns the partition count the topic then has, or -1. */
static int request_from_admin_topic(KafkaTransport *t, const char *topic, int partitions)
{
    char req[512];
    int len = snprintf(req, sizeof req, "%d:%s", partitions > 0 ? partitions : 0, topic);
    if (len <= 0 || (size_t)len >= sizeof req ||
        rd_kafka_producev(t->producer, RD_KAFKA_V_TOPIC(EMBEDDED_BROKER_ADMIN_TOPIC),
                          RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                          RD_KAFKA_V_VALUE(req, (size_t)len), RD_KAFKA_V_END) != 0)
        return -1;
    rd_kafka_flush(t->producer, METADATA_TIMEOUT_MS);
    return wait_for_topic(t, topic, METADATA_TIMEOUT_MS);
}

/* Creates the missing topic on a cluster without a controller.  Returns its
 * partition count, 0 if unknown. */
static int create_without_controller(KafkaTransport *t, const char *topic, int partitions,
                                     bool admin_topic)
{
    if (t->broker) {
        EddyError e2;
        if (embedded_broker_create_topic(t->broker, topic, partitions, &e2) < 0)
            kafka_log(t, EDDY_LOG_WARNING, "%s", e2.msg);
        return wait_for_topic(t, topic, METADATA_TIMEOUT_MS);
    }
    if (admin_topic) {
        int n = request_from_admin_topic(t, topic, partitions);
        if (n > 0)
            return n;
    }
    /* A plain mock cluster: asking for the topic by name auto-creates it
     * with the broker's default count, so at least its count is known. */
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(t->producer, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    int n = -1;
    if (rkt && rd_kafka_metadata(t->producer, 0, rkt, &md, METADATA_TIMEOUT_MS) == 0) {
        n = kafka_md_partitions(md, topic);
        rd_kafka_metadata_destroy(md);
    }
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    return n > 0 ? n : wait_for_topic(t, topic, METADATA_TIMEOUT_MS);
}

static int kt_topic_ensure(Transport *tr, const char *topic, int partitions, int replicas,
                           EddyError *err)
{
    KafkaTransport *t = (KafkaTransport *)tr;
    kafka_flush_logs(t);
    if (topic == NULL || topic[0] == '\0')
        return kafka_error(err, KAFKA_NO_CODE, "empty topic name");
    const struct rd_kafka_metadata *md;
    if (kafka_fetch_metadata(t, &md, err) < 0)
        return -1;
    int have = kafka_md_partitions(md, topic);
    bool admin_topic = kafka_md_partitions(md, EMBEDDED_BROKER_ADMIN_TOPIC) > 0;
    bool controller = has_controller(md, rd_kafka_controllerid(t->producer, 0));
    rd_kafka_metadata_destroy(md);
    if (have >= 0) {
        if (partitions > 0 && have != partitions)
            kafka_log(t, EDDY_LOG_WARNING,
                      "topic %s exists with %d partitions, not %d; using it as it is", topic, have,
                      partitions);
        return have;
    }
    int got;
    if (t->broker || !controller || kafka_is_mock(t)) {
        got = create_without_controller(t, topic, partitions, admin_topic);
        if (got > 0 && partitions > 0 && got != partitions)
            kafka_log(t, EDDY_LOG_WARNING,
                      "topic %s was created with %d partitions, not the %d asked for: the "
                      "development broker cannot choose a count here (pre-create it with `eddy "
                      "broker --topic %s:%d`)",
                      topic, got, partitions, topic, partitions);
        return got > 0 ? got : 0;
    }
    char msg[512];
    rd_kafka_resp_err_t e = create_topic(t, topic, partitions, replicas, msg, sizeof msg);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        got = wait_for_topic(t, topic, METADATA_TIMEOUT_MS);
        if (got > 0 && partitions > 0 && got != partitions)
            kafka_log(t, EDDY_LOG_WARNING, "topic %s has %d partitions, not the %d asked for",
                      topic, got, partitions);
        return got > 0 ? got : 0;
    }
    kafka_log(t, EDDY_LOG_WARNING,
              "cannot create topic %s (%s); it will be created on first use with the broker's "
              "default partition count",
              topic, msg);
    return 0;
}

int kafka_transport_ping(Transport *tr, int timeout_ms, EddyError *err)
{
    KafkaTransport *t = (KafkaTransport *)tr;
    t->pinging = true;
    t->all_brokers_down = false;
    t->ping_error[0] = '\0';
    int64_t deadline = eddy_mono_ms() + timeout_ms;
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR__TIMED_OUT;
    for (;;) {
        int64_t left = deadline - eddy_mono_ms();
        if (left <= 0)
            break;
        const struct rd_kafka_metadata *md;
        /* Brokers only (no topics): cheap, and answers as soon as one is up. */
        e = rd_kafka_metadata(t->producer, 0, NULL, &md, left < 200 ? (int)left : 200);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
            rd_kafka_metadata_destroy(md);
            break;
        }
        rd_kafka_poll(t->producer, 0);   /* serves the error events */
        if (t->all_brokers_down)
            break;
    }
    t->pinging = false;
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
        return 0;
    return kafka_error(err, KAFKA_NO_CODE, "%s",
                       t->ping_error[0]      ? t->ping_error
                       : t->all_brokers_down ? "all brokers are down"
                                             : "no broker answered");
}

/* ---- transport ------------------------------------------------------ */

static void kt_destroy(Transport *tr)
{
    KafkaTransport *t = (KafkaTransport *)tr;
    if (t == NULL)
        return;
    if (t->producer) {
        rd_kafka_flush(t->producer, 5000);
        rd_kafka_destroy(t->producer);
    }
    for (int i = 0; i < t->nprops; i++)
        free(t->props[i]);
    free(t->props);
    for (int i = 0; i < t->npending_logs; i++)
        free(t->pending_logs[i]);
    free(t->pending_logs);
    free(t);
}

static const TransportOps kafka_ops;

bool kafka_transport_is(const Transport *t)
{
    return t != NULL && t->ops == &kafka_ops;
}

static const TransportOps kafka_ops = {
    .topic_ensure = kt_topic_ensure,
    .topic_partitions = kt_topic_partitions,
    .list_topics = kt_list_topics,
    .watermarks = kt_watermarks,
    .offsets_for_times = kafka_offsets_for_times,
    .consumer_open = kafka_consumer_open,
    .consumer_open_task = kafka_consumer_open_task,
    .consumer_poll = kafka_consumer_poll,
    .consumer_at_end = kafka_consumer_at_end,
    .consumer_lag = kafka_consumer_lag,
    .consumer_partition_lag = kafka_consumer_partition_lag,
    .consumer_commit = kafka_consumer_commit,
    .consumer_seek = kafka_consumer_seek,
    .consumer_close = kafka_consumer_close,
    .produce = kt_produce,
    .poll = kt_poll,
    .flush = kt_flush,
    .destroy = kt_destroy,
    .pending = kt_pending,
};

int kafka_producer_defaults(rd_kafka_conf_t *conf, EddyError *err)
{
    if (kafka_conf_set(conf, "client.id", "eddy", NULL, err) < 0 ||
        kafka_conf_set(conf, "enable.idempotence", "true", NULL, err) < 0 ||
        kafka_conf_set(conf, "partitioner", "murmur2_random", NULL, err) < 0 ||
        kafka_conf_set(conf, "linger.ms", "5", NULL, err) < 0 ||
        /* Room for what the queries produce between two checkpoints: a
         * full queue would block produce (so the whole loop) while the
         * broker is away; the engine pauses its queries well before
         * (engine_poll, PENDING_PAUSE). */
        kafka_conf_set(conf, "queue.buffering.max.messages", "1000000", NULL, err) < 0)
        return -1;
    return 0;
}

/* Checks every pass-through pair against librdkafka, keeps the valid ones
 * for consumers and applies them to the producer's conf. */
static int accept_props(KafkaTransport *t, const char *const *props, rd_kafka_conf_t *conf,
                        EddyError *err)
{
    int n = 0;
    while (props && props[n] && props[n + 1])
        n += 2;
    if (props && props[n])
        return kafka_error(err, KAFKA_NO_CODE, "kafka property %s has no value", props[n]);
    t->props = calloc((size_t)n + 1, sizeof *t->props);
    if (t->props == NULL)
        return kafka_error(err, KAFKA_NO_CODE, "out of memory");
    bool have_bootstrap = false;
    for (int i = 0; i < n; i += 2) {
        bool unknown;
        if (kafka_conf_set(conf, props[i], props[i + 1], &unknown, err) < 0)
            return -1;
        if (unknown) {
            char msg[512];
            snprintf(msg, sizeof msg, "ignoring %s: not a Kafka client property", props[i]);
            add_pending_log(t, msg);
            continue;
        }
        if (strcmp(props[i], "isolation.level") == 0 &&
            strcmp(props[i + 1], "read_committed") != 0) {
            char msg[512];
            snprintf(msg, sizeof msg,
                     "ignoring isolation.level=%s: eddy's consumers read only committed records",
                     props[i + 1]);
            add_pending_log(t, msg);
        }
        if (strcmp(props[i], "bootstrap.servers") == 0 ||
            strcmp(props[i], "metadata.broker.list") == 0 ||
            strcmp(props[i], "test.mock.num.brokers") == 0)
            have_bootstrap = true;
        t->props[t->nprops] = strdup(props[i]);
        t->props[t->nprops + 1] = strdup(props[i + 1]);
        if (!t->props[t->nprops] || !t->props[t->nprops + 1])
            return kafka_error(err, KAFKA_NO_CODE, "out of memory");
        t->nprops += 2;
    }
    if (!have_bootstrap)
        return kafka_error(err, KAFKA_NO_CODE, "bootstrap.servers is not set");
    return 0;
}

Transport *kafka_transport_create(const char *const *props, EddyError *err)
{
    KafkaTransport *t = calloc(1, sizeof *t);
    if (t == NULL) {
        kafka_error(err, KAFKA_NO_CODE, "out of memory");
        return NULL;
    }
    t->base.ops = &kafka_ops;
    t->is_mock = -1;

    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    kafka_conf_route_logs(conf, producer_log_cb, producer_error_cb);
    rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
    rd_kafka_conf_set_opaque(conf, t);
    /* Defaults first, so the user's properties can override them. */
    if (kafka_producer_defaults(conf, err) < 0 || accept_props(t, props, conf, err) < 0) {
        rd_kafka_conf_destroy(conf);
        kt_destroy(&t->base);
        return NULL;
    }
    t->producer = kafka_new(RD_KAFKA_PRODUCER, conf, "kafka producer", err);
    if (t->producer == NULL) {
        kt_destroy(&t->base);
        return NULL;
    }
    rd_kafka_set_log_queue(t->producer, NULL);   /* served by rd_kafka_poll */
    return &t->base;
}

void kafka_transport_use_broker(Transport *tr, EmbeddedBroker *b)
{
    ((KafkaTransport *)tr)->broker = b;
}
