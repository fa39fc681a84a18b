/*
 * transport_kafka.c - the Kafka transport: TransportOps over librdkafka.
 *
 * In:  property pairs passed through to librdkafka (bootstrap.servers,
 *      security.*, ...).  Out: consumers over whole topics, one shared
 *      producer, topic metadata and watermarks, offsets for times (found
 *      in the records where the broker has none), topic creation.
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
 *    checkpoint reflects (consumer_commit).
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
#include "eddy/transport.h"

#include <librdkafka/rdkafka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Bounds for calls that talk to the cluster: never hang the caller. */
#define METADATA_TIMEOUT_MS 3000
#define CREATE_TOPICS_TIMEOUT_MS 3000
#define COMMIT_SEEK_TIMEOUT_MS 10000

/* The mock cluster answers an empty fetch only after the consumer's whole
 * fetch.wait.max.ms (500 ms by default): it cannot cut the wait short when
 * records arrive.  Against it (development only) a short wait keeps a
 * query that reads another query's output close behind it. */
#define MOCK_FETCH_WAIT_MS "50"

typedef struct KafkaTransport {
    Transport base;            /* first: a Transport * is a KafkaTransport * */
    rd_kafka_t *producer;
    char **props;              /* accepted key, value pairs, for consumers */
    int nprops;
    char **pending_logs;       /* warnings from create, before t->log was set */
    int npending_logs;
    int is_mock;               /* talking to librdkafka's mock cluster: -1 = not known yet */
    EmbeddedBroker *broker;    /* in-process development broker, if any (borrowed) */
    /* Delivery accounting since the last flush (touched by dr_msg_cb, which
     * runs inside produce/poll/flush on the caller's thread). */
    long failed;
    char first_failure[256];
    /* While kafka_transport_ping waits: producer errors are kept for its
     * message instead of logged. */
    bool pinging;
    bool all_brokers_down;
    char ping_error[512];
} KafkaTransport;

/* One assigned partition of a consumer. */
typedef struct PartState {
    char *topic;
    int32_t partition;
    bool eof;                  /* consumed up to the end (see kc_poll) */
    bool touched;              /* returned records in the current poll */
    int64_t last;              /* offset of the last of them */
    int64_t open_high;         /* high watermark when the consumer opened, -1 = unknown */
    int64_t next;              /* next offset to consume (for the lag), or a logical offset */
} PartState;

struct Consumer {
    KafkaTransport *t;
    rd_kafka_t *rk;
    rd_kafka_message_t **held; /* handed out by the last poll, borrowed */
    int nheld, capheld;
    PartState *parts;
    int nparts, capparts;
    int neof;                  /* parts with eof set */
    int hint;                  /* index into parts of the last record's partition */
    OffsetReset reset;
    char group[256];           /* for messages */
};

/* ---- logging -------------------------------------------------------- */

static void tlog(KafkaTransport *t, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void tlog(KafkaTransport *t, int level, const char *fmt, ...)
{
    if (t->base.log == NULL)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    t->base.log(t->base.log_ud, level, msg);
}

/* Warnings found before the caller could set t->log come out at the first
 * call that can deliver them. */
static void flush_pending_logs(KafkaTransport *t)
{
    if (t->npending_logs == 0 || t->base.log == NULL)
        return;
    for (int i = 0; i < t->npending_logs; i++) {
        t->base.log(t->base.log_ud, 1, t->pending_logs[i]);
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

/* syslog levels (0 emerg .. 7 debug) to the transport's 0 info, 1 warning, 2 error. */
static int map_level(int syslog_level)
{
    return syslog_level <= 3 ? 2 : syslog_level == 4 ? 1 : 0;
}

/* Broker connection failures come both as a FAIL log line and as an error
 * event; the error callbacks report them once. */
static bool duplicate_of_error(const char *fac)
{
    return strcmp(fac, "FAIL") == 0;
}

static void producer_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    KafkaTransport *t = rd_kafka_opaque(rk);
    if (!duplicate_of_error(fac) && !t->pinging)
        tlog(t, map_level(level), "kafka producer: %s: %s", fac, buf);
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
    tlog(t, fatal ? 2 : 1, "kafka producer: %s%s", fatal ? "fatal: " : "", reason);
}

static void consumer_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    Consumer *c = rd_kafka_opaque(rk);
    if (!duplicate_of_error(fac))
        tlog(c->t, map_level(level), "kafka consumer: %s: %s", fac, buf);
}

static void consumer_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    Consumer *c = opaque;
    bool fatal = err == RD_KAFKA_RESP_ERR__FATAL;
    tlog(c->t, fatal ? 2 : 1, "kafka consumer: %s%s", fatal ? "fatal: " : "", reason);
}

/* ---- configuration -------------------------------------------------- */

/* Sets key=value; on an invalid value fills err and returns -1.  Unknown
 * keys are reported through *unknown (the caller decides what to do). */
static int conf_set(rd_kafka_conf_t *conf, const char *key, const char *val, bool *unknown,
                    EddyError *err)
{
    char errstr[512];
    rd_kafka_conf_res_t res = rd_kafka_conf_set(conf, key, val, errstr, sizeof errstr);
    if (unknown)
        *unknown = res == RD_KAFKA_CONF_UNKNOWN;
    if (res == RD_KAFKA_CONF_OK || res == RD_KAFKA_CONF_UNKNOWN)
        return 0;
    return eddy_error(err, ERR_IO, (SrcPos){0}, "kafka property %s: %s", key, errstr);
}

/* Applies the accepted pass-through properties to a consumer's conf. */
static int conf_apply_props(KafkaTransport *t, rd_kafka_conf_t *conf, EddyError *err)
{
    for (int i = 0; i + 1 < t->nprops; i += 2)
        if (conf_set(conf, t->props[i], t->props[i + 1], NULL, err) < 0)
            return -1;
    return 0;
}

/* Routes a handle's logs to its poll queue (see the file header). */
static void conf_route_logs(rd_kafka_conf_t *conf,
                            void (*log_cb)(const rd_kafka_t *, int, const char *, const char *),
                            void (*error_cb)(rd_kafka_t *, int, const char *, void *))
{
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    rd_kafka_conf_set(conf, "log.queue", "true", NULL, 0);
}

/* ---- producer ------------------------------------------------------- */

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    KafkaTransport *t = opaque;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR)
        return;
    if (t->failed++ == 0)
        snprintf(t->first_failure, sizeof t->first_failure, "%s [%d]: %s",
                 m->rkt ? rd_kafka_topic_name(m->rkt) : "?", (int)m->partition,
                 rd_kafka_err2str(m->err));
}

static int kt_produce(Transport *tr, const char *topic, int32_t partition, const void *key,
                      size_t key_len, const void *value, size_t value_len, int64_t timestamp,
                      EddyError *err)
{
    KafkaTransport *t = (KafkaTransport *)tr;
    flush_pending_logs(t);
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            t->producer, RD_KAFKA_V_TOPIC(topic),
            RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA : partition),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY((void *)key, key ? key_len : 0),
            RD_KAFKA_V_VALUE((void *)value, value ? value_len : 0),
            RD_KAFKA_V_TIMESTAMP(timestamp >= 0 ? timestamp : 0), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
            return 0;
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return eddy_error(err, ERR_IO, (SrcPos){0}, "produce to %s: %s", topic,
                              rd_kafka_err2str(e));
        /* The local queue is full: serve delivery reports until there is
         * room.  Messages time out after message.timeout.ms, so this ends. */
        char fatal[256];
        if (rd_kafka_fatal_error(t->producer, fatal, sizeof fatal))
            return eddy_error(err, ERR_IO, (SrcPos){0}, "produce to %s: %s", topic, fatal);
        rd_kafka_poll(t->producer, 50);
    }
}

static void kt_poll(Transport *tr)
{
    KafkaTransport *t = (KafkaTransport *)tr;
    flush_pending_logs(t);
    rd_kafka_poll(t->producer, 0);
}

static int kt_flush(Transport *tr, int timeout_ms, EddyError *err)
{
    KafkaTransport *t = (KafkaTransport *)tr;
    flush_pending_logs(t);
    rd_kafka_resp_err_t e = rd_kafka_flush(t->producer, timeout_ms);
    rd_kafka_poll(t->producer, 0);   /* serve the last delivery reports */
    long failed = t->failed;
    t->failed = 0;
    if (failed > 0)
        return eddy_error(err, ERR_IO, (SrcPos){0}, "%ld record(s) not delivered; first: %s",
                          failed, t->first_failure);
    if (e == RD_KAFKA_RESP_ERR__TIMED_OUT)
        return eddy_error(err, ERR_IO, (SrcPos){0},
                          "flush timed out after %d ms with %d record(s) undelivered",
                          timeout_ms, rd_kafka_outq_len(t->producer));
    char fatal[256];
    if (rd_kafka_fatal_error(t->producer, fatal, sizeof fatal))
        return eddy_error(err, ERR_IO, (SrcPos){0}, "producer failed: %s", fatal);
    return 0;
}

/* ---- metadata and topics -------------------------------------------- */

static int fetch_metadata(KafkaTransport *t, const struct rd_kafka_metadata **md, EddyError *err)
{
    /* all_topics = 1: asking for one named topic could auto-create it. */
    rd_kafka_resp_err_t e = rd_kafka_metadata(t->producer, 1, NULL, md, METADATA_TIMEOUT_MS);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
        return eddy_error(err, ERR_IO, (SrcPos){0},
                          "the Kafka broker did not answer within %d ms (metadata: %s)",
                          METADATA_TIMEOUT_MS, rd_kafka_err2str(e));
    return 0;
}

/* Partitions of `topic` in md, or -1 if the cluster does not know it. */
static int md_partitions(const struct rd_kafka_metadata *md, const char *topic)
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
    if (fetch_metadata(t, &md, NULL) < 0)
        return -1;
    int n = md_partitions(md, topic);
    rd_kafka_metadata_destroy(md);
    return n;
}

static int kt_topic_partitions(Transport *tr, const char *topic)
{
    KafkaTransport *t = (KafkaTransport *)tr;
    flush_pending_logs(t);
    return current_partitions(t, topic);
}

/* Internal topics (__consumer_offsets, ...) are left out, as Kafka's
 * AdminClient.listTopics does by default. */
static int kt_list_topics(Transport *tr, char ***names, EddyError *err)
{
    KafkaTransport *t = (KafkaTransport *)tr;
    flush_pending_logs(t);
    *names = NULL;
    const struct rd_kafka_metadata *md;
    if (fetch_metadata(t, &md, err) < 0)
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
        return eddy_error(err, ERR_IO, (SrcPos){0}, "out of memory listing topics");
    *names = out;
    return n;
}

/* Asks for the offsets at `which` (RD_KAFKA_OFFSET_BEGINNING = low
 * watermark, RD_KAFKA_OFFSET_END = high) of every partition in `parts`, one
 * ListOffsets request per leader, into out[i] for parts->elems[i]. */
static rd_kafka_resp_err_t list_offsets_code(rd_kafka_t *rk,
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

/* list_offsets_code with the error as a message.  `which` may also be a
 * time (ms since the epoch, >= 0): the first offset at or after it, -1 if
 * none (see kt_offsets_for_times). */
static int list_offsets(rd_kafka_t *rk, const rd_kafka_topic_partition_list_t *parts,
                        int64_t which, int64_t *out, EddyError *err)
{
    rd_kafka_resp_err_t e = list_offsets_code(rk, parts, which, out);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
        return eddy_error(err, ERR_IO, (SrcPos){0}, "kafka list offsets: %s", rd_kafka_err2str(e));
    return 0;
}

static int kt_watermarks(Transport *tr, const char *topic, int64_t **low, int64_t **high,
                         EddyError *err)
{
    KafkaTransport *t = (KafkaTransport *)tr;
    flush_pending_logs(t);
    *low = *high = NULL;
    int n = current_partitions(t, topic);
    if (n < 0)
        return eddy_error(err, ERR_IO, (SrcPos){0}, "topic %s does not exist", topic);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(n);
    for (int p = 0; p < n; p++)
        rd_kafka_topic_partition_list_add(parts, topic, p);
    int64_t *lo = calloc((size_t)n + 1, sizeof *lo), *hi = calloc((size_t)n + 1, sizeof *hi);
    int rc = lo && hi ? 0 : eddy_error(err, ERR_IO, (SrcPos){0}, "out of memory");
    if (rc == 0)
        rc = list_offsets(t->producer, parts, RD_KAFKA_OFFSET_BEGINNING, lo, err);
    if (rc == 0)
        rc = list_offsets(t->producer, parts, RD_KAFKA_OFFSET_END, hi, err);
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
static bool is_mock_cluster(KafkaTransport *t)
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
            tlog(t, 1, "%s", e2.msg);
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
        n = md_partitions(md, topic);
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
    flush_pending_logs(t);
    if (topic == NULL || topic[0] == '\0')
        return eddy_error(err, ERR_IO, (SrcPos){0}, "empty topic name");
    const struct rd_kafka_metadata *md;
    if (fetch_metadata(t, &md, err) < 0)
        return -1;
    int have = md_partitions(md, topic);
    bool admin_topic = md_partitions(md, EMBEDDED_BROKER_ADMIN_TOPIC) > 0;
    bool controller = has_controller(md, rd_kafka_controllerid(t->producer, 0));
    rd_kafka_metadata_destroy(md);
    if (have >= 0) {
        if (partitions > 0 && have != partitions)
            tlog(t, 1, "topic %s exists with %d partitions, not %d; using it as it is", topic,
                 have, partitions);
        return have;
    }
    int got;
    if (t->broker || !controller || is_mock_cluster(t)) {
        got = create_without_controller(t, topic, partitions, admin_topic);
        if (got > 0 && partitions > 0 && got != partitions)
            tlog(t, 1,
                 "topic %s was created with %d partitions, not the %d asked for: the "
                 "development broker cannot choose a count here (pre-create it with "
                 "`eddy broker --topic %s:%d`)",
                 topic, got, partitions, topic, partitions);
        return got > 0 ? got : 0;
    }
    char msg[512];
    rd_kafka_resp_err_t e = create_topic(t, topic, partitions, replicas, msg, sizeof msg);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        got = wait_for_topic(t, topic, METADATA_TIMEOUT_MS);
        if (got > 0 && partitions > 0 && got != partitions)
            tlog(t, 1, "topic %s has %d partitions, not the %d asked for", topic, got,
                 partitions);
        return got > 0 ? got : 0;
    }
    tlog(t, 1,
         "cannot create topic %s (%s); it will be created on first use with the "
         "broker's default partition count",
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
    return eddy_error(err, ERR_IO, (SrcPos){0}, "%s",
                      t->ping_error[0] ? t->ping_error
                      : t->all_brokers_down ? "all brokers are down"
                                            : "no broker answered");
}

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
                                                       int ntopics, EddyError *err)
{
    int64_t deadline = eddy_mono_ms() + METADATA_TIMEOUT_MS;
    for (;;) {
        const struct rd_kafka_metadata *md;
        if (fetch_metadata(t, &md, err) < 0)
            return NULL;
        rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(16);
        const char *missing = NULL;
        for (int i = 0; i < ntopics && missing == NULL; i++) {
            int n = md_partitions(md, topics[i]);
            if (n <= 0)
                missing = topics[i];
            for (int p = 0; p < n; p++)
                rd_kafka_topic_partition_list_add(list, topics[i], p);
        }
        if (missing == NULL) {
            rd_kafka_metadata_destroy(md);
            return list;
        }
        rd_kafka_topic_partition_list_destroy(list);
        if (eddy_mono_ms() >= deadline) {
            eddy_error(err, ERR_IO, (SrcPos){0}, "topic %s does not exist", missing);
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
        tlog(c->t, 1, "kafka consumer: cannot read committed offsets of group %s: %s", c->group,
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
    bool ok = lo && list_offsets(c->rk, list, RD_KAFKA_OFFSET_BEGINNING, lo, NULL) == 0 &&
              list_offsets(c->rk, list, RD_KAFKA_OFFSET_END, hi, NULL) == 0;
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

static void consumer_free(Consumer *c)
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

static bool has_prop(const KafkaTransport *t, const char *key)
{
    for (int i = 0; i + 1 < t->nprops; i += 2)
        if (strcmp(t->props[i], key) == 0)
            return true;
    return false;
}

/* The consumer's handle, configured; NULL with err set. */
static rd_kafka_t *consumer_handle(Consumer *c, OffsetReset reset, EddyError *err)
{
    KafkaTransport *t = c->t;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    conf_route_logs(conf, consumer_log_cb, consumer_error_cb);
    rd_kafka_conf_set_opaque(conf, c);
    /* A deep prefetch queue keeps the engine fed: with librdkafka's default
     * (100,000 messages across partitions) the poll loop waited on an empty
     * queue about a third of the time (bench_throughput, perf).  Before the
     * user's properties, so they can override it; ours after them, as the
     * runtime depends on those. */
    if (conf_set(conf, "client.id", "eddy", NULL, err) < 0 ||
        conf_set(conf, "queued.min.messages", "1000000", NULL, err) < 0 ||
        (is_mock_cluster(t) && !has_prop(t, "fetch.wait.max.ms") &&
         conf_set(conf, "fetch.wait.max.ms", MOCK_FETCH_WAIT_MS, NULL, err) < 0) ||
        conf_apply_props(t, conf, err) < 0 ||
        conf_set(conf, "group.id", c->group, NULL, err) < 0 ||
        conf_set(conf, "enable.auto.commit", "false", NULL, err) < 0 ||
        conf_set(conf, "enable.auto.offset.store", "false", NULL, err) < 0 ||
        conf_set(conf, "enable.partition.eof", "true", NULL, err) < 0 ||
        conf_set(conf, "auto.offset.reset", reset == RESET_EARLIEST ? "earliest" : "latest", NULL,
                 err) < 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    char errstr[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (rk == NULL) {
        rd_kafka_conf_destroy(conf);
        eddy_error(err, ERR_IO, (SrcPos){0}, "kafka consumer: %s", errstr);
        return NULL;
    }
    rd_kafka_set_log_queue(rk, NULL);   /* main queue ... */
    rd_kafka_poll_set_consumer(rk);      /* ... served by consumer_poll */
    return rk;
}

static Consumer *kt_consumer_open(Transport *tr, const char *group, const char *const *topics,
                                  int ntopics, OffsetReset reset,
                                  const TopicPartitionOffset *start, int nstart, EddyError *err)
{
    KafkaTransport *t = (KafkaTransport *)tr;
    flush_pending_logs(t);
    if (group == NULL || group[0] == '\0' || ntopics <= 0) {
        eddy_error(err, ERR_IO, (SrcPos){0}, "consumer needs a group and at least one topic");
        return NULL;
    }
    Consumer *c = calloc(1, sizeof *c);
    if (c == NULL) {
        eddy_error(err, ERR_IO, (SrcPos){0}, "out of memory");
        return NULL;
    }
    c->t = t;
    c->reset = reset;
    snprintf(c->group, sizeof c->group, "%s", group);
    rd_kafka_topic_partition_list_t *list = all_partitions(t, topics, ntopics, err);
    if (list == NULL || (c->rk = consumer_handle(c, reset, err)) == NULL) {
        if (list)
            rd_kafka_topic_partition_list_destroy(list);
        consumer_free(c);
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
        eddy_error(err, ERR_IO, (SrcPos){0}, "kafka assign: %s",
                   e ? rd_kafka_err2str(e) : "out of memory");
        free(hi);
        rd_kafka_topic_partition_list_destroy(list);
        consumer_free(c);
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
    tlog(t, 0, "kafka consumer: group %s: assigned %d partition(s)", c->group, list->cnt);
    rd_kafka_topic_partition_list_destroy(list);
    return c;
}

static bool kc_at_end(Consumer *c)
{
    return c->neof == c->nparts;
}

/* Records not consumed yet: the high watermarks of the last fetch (or, before
 * the first, those read when the consumer opened) minus the positions, which
 * are concrete offsets from the open on (start offsets are resolved then). */
static int64_t kc_lag(Consumer *c)
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

/* Handles an event (error or EOF) from the consumer queue.  Returns -1 only
 * for a fatal error. */
static int consumer_event(Consumer *c, const rd_kafka_message_t *m, EddyError *err)
{
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        PartState *p = m->rkt ? part_find(c, rd_kafka_topic_name(m->rkt), m->partition) : NULL;
        if (p)
            part_set_eof(c, p, true);
        return 0;
    }
    char fatal[256];
    if (m->err == RD_KAFKA_RESP_ERR__FATAL && rd_kafka_fatal_error(c->rk, fatal, sizeof fatal))
        return eddy_error(err, ERR_IO, (SrcPos){0}, "kafka consumer: %s", fatal);
    /* Everything else (unknown topic, broker down, ...) is retried by
     * librdkafka; tell the user and go on. */
    tlog(c->t, 1, "kafka consumer: %s%s%s", m->rkt ? rd_kafka_topic_name(m->rkt) : "",
         m->rkt ? ": " : "", rd_kafka_message_errstr(m));
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

static int kc_poll(Consumer *c, TransportRecord *out, int max, int timeout_ms, EddyError *err)
{
    consumer_release_held(c);
    flush_pending_logs(c->t);
    char fatal[256];
    if (rd_kafka_fatal_error(c->rk, fatal, sizeof fatal))
        return eddy_error(err, ERR_IO, (SrcPos){0}, "kafka consumer: %s", fatal);
    if (max <= 0)
        return 0;
    if (c->capheld < max) {
        rd_kafka_message_t **h = realloc(c->held, sizeof *h * (size_t)max);
        if (h == NULL)
            return eddy_error(err, ERR_IO, (SrcPos){0}, "out of memory");
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
            rc = consumer_event(c, m, err);
            rd_kafka_message_destroy(m);
            if (rc < 0 || (n == 0 && kc_at_end(c)))
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

static int kc_commit(Consumer *c, const TopicPartitionOffset *offs, int n, EddyError *err)
{
    flush_pending_logs(c->t);
    if (n <= 0)
        return 0;
    rd_kafka_topic_partition_list_t *list = tpo_list(offs, n);
    rd_kafka_resp_err_t e = rd_kafka_commit(c->rk, list, 0 /* synchronous */);
    for (int i = 0; e == RD_KAFKA_RESP_ERR_NO_ERROR && i < list->cnt; i++)
        e = list->elems[i].err;
    rd_kafka_topic_partition_list_destroy(list);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
        return eddy_error(err, ERR_IO, (SrcPos){0}, "kafka commit: %s", rd_kafka_err2str(e));
    return 0;
}

/* Moves assigned partitions' positions; a partition the consumer does not
 * have (a stored offset of a partition the topic no longer has) is skipped
 * with a warning. */
static int kc_seek(Consumer *c, const TopicPartitionOffset *offs, int n, EddyError *err)
{
    flush_pending_logs(c->t);
    rd_kafka_topic_partition_list_t *now = rd_kafka_topic_partition_list_new(n > 0 ? n : 1);
    for (int i = 0; i < n; i++) {
        PartState *p = part_find(c, offs[i].topic, offs[i].partition);
        if (p == NULL) {
            tlog(c->t, 1, "kafka consumer: group %s: not seeking %s [%d]: not a partition of "
                 "the topic now", c->group, offs[i].topic, (int)offs[i].partition);
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
            rc = eddy_error(err, ERR_IO, (SrcPos){0}, "kafka seek: %s",
                            rd_kafka_error_string(error));
            rd_kafka_error_destroy(error);
        }
        for (int i = 0; rc == 0 && i < now->cnt; i++)
            if (now->elems[i].err)
                rc = eddy_error(err, ERR_IO, (SrcPos){0}, "kafka seek %s [%d]: %s",
                                now->elems[i].topic, (int)now->elems[i].partition,
                                rd_kafka_err2str(now->elems[i].err));
        if (rc == 0)
            break;
    }
    rd_kafka_topic_partition_list_destroy(now);
    return rc;
}

static void kc_close(Consumer *c)
{
    if (c == NULL)
        return;
    consumer_release_held(c);
    rd_kafka_consumer_close(c->rk);
    consumer_free(c);
}

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
        eddy_error(err, ERR_IO, (SrcPos){0}, "out of memory");
        return NULL;
    }
    c->t = t;
    snprintf(c->group, sizeof c->group, "eddy-offsets-for-times");
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    conf_route_logs(conf, consumer_log_cb, consumer_error_cb);
    rd_kafka_conf_set_opaque(conf, c);
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
    if (conf_set(conf, "client.id", "eddy", NULL, err) < 0 ||
        conf_apply_props(t, conf, err) < 0 ||
        conf_set(conf, "fetch.wait.max.ms", "1", NULL, err) < 0 ||
        conf_set(conf, "max.partition.fetch.bytes", "65536", NULL, err) < 0 ||
        conf_set(conf, "group.id", "eddy-offsets-for-times", NULL, err) < 0 ||
        conf_set(conf, "enable.auto.commit", "false", NULL, err) < 0 ||
        conf_set(conf, "enable.partition.eof", "true", NULL, err) < 0 ||
        conf_set(conf, "auto.offset.reset", "earliest", NULL, err) < 0) {
        rd_kafka_conf_destroy(conf);
        consumer_free(c);
        return NULL;
    }
    char errstr[512];
    c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (c->rk == NULL) {
        rd_kafka_conf_destroy(conf);
        consumer_free(c);
        eddy_error(err, ERR_IO, (SrcPos){0}, "kafka consumer: %s", errstr);
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
        return eddy_error(err, ERR_IO, (SrcPos){0}, "kafka assign %s [%d]: %s", s->topic,
                          (int)s->partition, rd_kafka_err2str(e));
    s->reads++;
    int64_t deadline = eddy_mono_ms() + SEARCH_READ_TIMEOUT_MS;
    for (;;) {
        int64_t left = deadline - eddy_mono_ms();
        if (left <= 0)
            return eddy_error(err, ERR_IO, (SrcPos){0},
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
            if (consumer_event(s->c, m, err) < 0) {
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

static int kt_offsets_for_times(Transport *tr, const char *topic, int64_t ts_ms,
                                TopicPartitionOffset **out, int *nout, EddyError *err)
{
    KafkaTransport *t = (KafkaTransport *)tr;
    flush_pending_logs(t);
    *out = NULL;
    *nout = 0;
    if (ts_ms < 0)
        ts_ms = 0;   /* negative times are logical offsets to the broker (-1 end, -2 start) */
    int64_t *low, *high;
    int n = kt_watermarks(tr, topic, &low, &high, err);
    if (n < 0)
        return -1;
    TopicPartitionOffset *res = calloc((size_t)n + 1, sizeof *res);
    int64_t *asked = calloc((size_t)n + 1, sizeof *asked);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(n);
    for (int p = 0; p < n; p++)
        rd_kafka_topic_partition_list_add(parts, topic, p);
    int rc = res && asked ? 0 : eddy_error(err, ERR_IO, (SrcPos){0}, "out of memory");
    rd_kafka_resp_err_t e = rc == 0 ? list_offsets_code(t->producer, parts, ts_ms, asked)
                                    : RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_topic_partition_list_destroy(parts);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR && !cannot_answer(e))
        rc = eddy_error(err, ERR_IO, (SrcPos){0}, "kafka offsets for times of %s: %s", topic,
                        rd_kafka_err2str(e));
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
        kc_close(s.c);
        if (rc == 0)
            tlog(t, 0,
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

static const TransportOps kafka_ops = {
    .topic_ensure = kt_topic_ensure,
    .topic_partitions = kt_topic_partitions,
    .list_topics = kt_list_topics,
    .watermarks = kt_watermarks,
    .offsets_for_times = kt_offsets_for_times,
    .consumer_open = kt_consumer_open,
    .consumer_poll = kc_poll,
    .consumer_at_end = kc_at_end,
    .consumer_lag = kc_lag,
    .consumer_commit = kc_commit,
    .consumer_seek = kc_seek,
    .consumer_close = kc_close,
    .produce = kt_produce,
    .poll = kt_poll,
    .flush = kt_flush,
    .destroy = kt_destroy,
};

/* Checks every pass-through pair against librdkafka, keeps the valid ones
 * for consumers and applies them to the producer's conf. */
static int accept_props(KafkaTransport *t, const char *const *props, rd_kafka_conf_t *conf,
                        EddyError *err)
{
    int n = 0;
    while (props && props[n] && props[n + 1])
        n += 2;
    if (props && props[n])
        return eddy_error(err, ERR_IO, (SrcPos){0}, "kafka property %s has no value", props[n]);
    t->props = calloc((size_t)n + 1, sizeof *t->props);
    if (t->props == NULL)
        return eddy_error(err, ERR_IO, (SrcPos){0}, "out of memory");
    bool have_bootstrap = false;
    for (int i = 0; i < n; i += 2) {
        bool unknown;
        if (conf_set(conf, props[i], props[i + 1], &unknown, err) < 0)
            return -1;
        if (unknown) {
            char msg[512];
            snprintf(msg, sizeof msg, "ignoring %s: not a Kafka client property", props[i]);
            add_pending_log(t, msg);
            continue;
        }
        if (strcmp(props[i], "bootstrap.servers") == 0 ||
            strcmp(props[i], "metadata.broker.list") == 0 ||
            strcmp(props[i], "test.mock.num.brokers") == 0)
            have_bootstrap = true;
        t->props[t->nprops] = strdup(props[i]);
        t->props[t->nprops + 1] = strdup(props[i + 1]);
        if (!t->props[t->nprops] || !t->props[t->nprops + 1])
            return eddy_error(err, ERR_IO, (SrcPos){0}, "out of memory");
        t->nprops += 2;
    }
    if (!have_bootstrap)
        return eddy_error(err, ERR_IO, (SrcPos){0}, "bootstrap.servers is not set");
    return 0;
}

Transport *kafka_transport_create(const char *const *props, EddyError *err)
{
    KafkaTransport *t = calloc(1, sizeof *t);
    if (t == NULL) {
        eddy_error(err, ERR_IO, (SrcPos){0}, "out of memory");
        return NULL;
    }
    t->base.ops = &kafka_ops;
    t->is_mock = -1;

    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    conf_route_logs(conf, producer_log_cb, producer_error_cb);
    rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
    rd_kafka_conf_set_opaque(conf, t);
    /* Defaults first, so the user's properties can override them. */
    if (conf_set(conf, "client.id", "eddy", NULL, err) < 0 ||
        conf_set(conf, "enable.idempotence", "true", NULL, err) < 0 ||
        conf_set(conf, "partitioner", "murmur2_random", NULL, err) < 0 ||
        conf_set(conf, "linger.ms", "5", NULL, err) < 0 || accept_props(t, props, conf, err) < 0) {
        rd_kafka_conf_destroy(conf);
        kt_destroy(&t->base);
        return NULL;
    }
    char errstr[512];
    t->producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (t->producer == NULL) {
        rd_kafka_conf_destroy(conf);
        kt_destroy(&t->base);
        eddy_error(err, ERR_IO, (SrcPos){0}, "kafka producer: %s", errstr);
        return NULL;
    }
    rd_kafka_set_log_queue(t->producer, NULL);   /* served by rd_kafka_poll */
    return &t->base;
}

void kafka_transport_use_broker(Transport *tr, EmbeddedBroker *b)
{
    ((KafkaTransport *)tr)->broker = b;
}
