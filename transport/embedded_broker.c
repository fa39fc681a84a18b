/*
 * embedded_broker.c - the in-process development broker: librdkafka's mock
 * cluster, served on ephemeral 127.0.0.1 ports that any Kafka client can use.
 *
 * Facts of the mock cluster (librdkafka 2.0.2) that users notice: it keeps
 * about 5 MB (and at most 100,000 produce batches) per partition in memory
 * and drops the oldest beyond that; it auto-creates an unknown topic on
 * first use with 4 partitions; it does not serve the admin API's
 * CreateTopics, so topics with another partition count are made here with
 * rd_kafka_mock_topic_create: directly for the process's own transport
 * (kafka_transport_use_broker), and for clients in other processes through
 * the admin topic served by embedded_broker_serve_admin.
 */
#include "kafka_int.h"   /* kafka_error */

#include <librdkafka/rdkafka_mock.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct EmbeddedBroker {
    rd_kafka_t *rk;                 /* bookkeeping handle the cluster needs */
    rd_kafka_mock_cluster_t *mc;
    /* The admin service (embedded_broker_serve_admin), if started. */
    rd_kafka_t *admin;              /* consumer of EMBEDDED_BROKER_ADMIN_TOPIC */
    pthread_t admin_thread;
    atomic_bool admin_stop;
};

/* The handle never connects anywhere; its logs are of no use to anyone. */
static void quiet_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
}

EmbeddedBroker *embedded_broker_start(int brokers, EddyError *err)
{
    EmbeddedBroker *b = calloc(1, sizeof *b);
    if (b == NULL) {
        kafka_error(err, KAFKA_NO_CODE, "out of memory");
        return NULL;
    }
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, quiet_log_cb);
    b->rk = kafka_new(RD_KAFKA_PRODUCER, conf, "embedded broker", err);
    if (b->rk == NULL) {
        free(b);
        return NULL;
    }
    b->mc = rd_kafka_mock_cluster_new(b->rk, brokers > 0 ? brokers : 1);
    if (b->mc == NULL) {
        rd_kafka_destroy(b->rk);
        free(b);
        kafka_error(err, KAFKA_NO_CODE, "embedded broker: cannot start the mock cluster");
        return NULL;
    }
    return b;
}

const char *embedded_broker_bootstrap(EmbeddedBroker *b)
{
    return rd_kafka_mock_cluster_bootstraps(b->mc);
}

rd_kafka_mock_cluster_t *embedded_broker_mock(EmbeddedBroker *b)
{
    return b->mc;
}

int embedded_broker_create_topic(EmbeddedBroker *b, const char *topic, int partitions,
                                 EddyError *err)
{
    if (topic == NULL || topic[0] == '\0')
        return kafka_error(err, KAFKA_NO_CODE, "empty topic name");
    rd_kafka_resp_err_t e =
        rd_kafka_mock_topic_create(b->mc, topic, partitions > 0 ? partitions : 4, 1);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
        return kafka_error(err, e, "create topic %s", topic);
    return 0;
}

/* One request: "PARTITIONS:NAME" (PARTITIONS 0 = the default count).  A
 * topic that exists already is left as it is: the client reads its count
 * from the metadata. */
static void admin_request(EmbeddedBroker *b, const char *req, size_t len)
{
    char buf[512];
    if (len == 0 || len >= sizeof buf)
        return;
    memcpy(buf, req, len);
    buf[len] = '\0';
    char *colon = strchr(buf, ':'), *end;
    long parts = colon ? strtol(buf, &end, 10) : -1;
    if (colon == NULL || end != colon || parts < 0 || parts > 10000 || colon[1] == '\0')
        return;
    EddyError err;
    embedded_broker_create_topic(b, colon + 1, (int)parts, &err);
}

static void *admin_main(void *arg)
{
    EmbeddedBroker *b = arg;
    while (!atomic_load(&b->admin_stop)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(b->admin, 100);
        if (m == NULL)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->payload)
            admin_request(b, m->payload, m->len);
        rd_kafka_message_destroy(m);
    }
    return NULL;
}

int embedded_broker_serve_admin(EmbeddedBroker *b, EddyError *err)
{
    if (b->admin)
        return 0;
    rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(b->mc, EMBEDDED_BROKER_ADMIN_TOPIC, 1, 1);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
        return kafka_error(err, e, "embedded broker: admin topic");
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, quiet_log_cb);
    char errstr[512];
    /* A group id only because librdkafka's assign wants one; no group is
     * joined.  From the beginning (the topic is new), so no request made
     * before the consumer is ready is missed.  A short fetch wait bounds
     * how long a request waits (the mock answers an empty fetch only after
     * the whole wait). */
    if (rd_kafka_conf_set(conf, "bootstrap.servers", embedded_broker_bootstrap(b), errstr,
                          sizeof errstr) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "group.id", "__eddy_broker_admin", errstr, sizeof errstr) !=
            RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "fetch.wait.max.ms", "50", errstr, sizeof errstr) !=
            RD_KAFKA_CONF_OK ||
        (b->admin = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr)) == NULL) {
        rd_kafka_conf_destroy(conf);
        return kafka_error(err, KAFKA_NO_CODE, "embedded broker: admin consumer: %s", errstr);
    }
    rd_kafka_poll_set_consumer(b->admin);
    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(1);
    /* Offset 0 rather than BEGINNING: a logical offset is looked up only
     * after a retry timer (~0.5 s) while the leader is not known yet. */
    rd_kafka_topic_partition_list_add(tp, EMBEDDED_BROKER_ADMIN_TOPIC, 0)->offset = 0;
    e = rd_kafka_assign(b->admin, tp);
    rd_kafka_topic_partition_list_destroy(tp);
    atomic_store(&b->admin_stop, false);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR ||
        pthread_create(&b->admin_thread, NULL, admin_main, b) != 0) {
        rd_kafka_destroy(b->admin);
        b->admin = NULL;
        return kafka_error(err, KAFKA_NO_CODE,
                           "embedded broker: cannot start the admin service: %s",
                           e ? rd_kafka_err2str(e) : "no thread");
    }
    return 0;
}

/* Stops still running in the background (see embedded_broker_stop). */
static atomic_int pending_stops;

static void *finish_stop(void *arg)
{
    EmbeddedBroker *b = arg;
    rd_kafka_mock_cluster_destroy(b->mc);
    rd_kafka_destroy(b->rk);
    free(b);
    atomic_fetch_sub(&pending_stops, 1);
    return NULL;
}

bool embedded_broker_wait_stopped(int timeout_ms)
{
    int64_t deadline = eddy_mono_ms() + timeout_ms;
    while (atomic_load(&pending_stops) > 0) {
        if (eddy_mono_ms() >= deadline)
            return false;
        struct timespec pause = {0, 5 * 1000000L};
        nanosleep(&pause, NULL);
    }
    return true;
}

void embedded_broker_stop(EmbeddedBroker *b)
{
    if (b == NULL)
        return;
    if (b->admin) {
        atomic_store(&b->admin_stop, true);
        pthread_join(b->admin_thread, NULL);
        rd_kafka_consumer_close(b->admin);
        rd_kafka_destroy(b->admin);
    }
    /* Joining the cluster's threads takes 1 s in about every other stop
     * (librdkafka 2.0.2: its internal broker thread can miss the wake-up
     * and sleep out a 1 s wait), so they are joined in the background: a
     * process that exits right after does not wait for them. */
    pthread_t th;
    atomic_fetch_add(&pending_stops, 1);
    if (pthread_create(&th, NULL, finish_stop, b) == 0)
        pthread_detach(th);
    else
        finish_stop(b);
}
