/*
 * embedded_broker.c - the in-process development broker: librdkafka's mock
 * cluster, served on ephemeral 127.0.0.1 ports that any Kafka client can use.
 *
 * Facts of the mock cluster (librdkafka 2.0.2) that users notice: it keeps
 * about 5 MB per partition in memory and drops the oldest beyond that; it
 * auto-creates an unknown topic on first use with 4 partitions; it does not
 * serve the admin API's CreateTopics, so topics with another partition
 * count are made here with rd_kafka_mock_topic_create.
 */
#include "eddy/transport.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <stdlib.h>

struct EmbeddedBroker {
    rd_kafka_t *rk;                 /* bookkeeping handle the cluster needs */
    rd_kafka_mock_cluster_t *mc;
};

/* The handle never connects anywhere; its logs are of no use to anyone. */
static void quiet_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
}

EmbeddedBroker *embedded_broker_start(int brokers, EddyError *err)
{
    EmbeddedBroker *b = calloc(1, sizeof *b);
    if (b == NULL) {
        eddy_error(err, ERR_IO, (SrcPos){0}, "out of memory");
        return NULL;
    }
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, quiet_log_cb);
    char errstr[512];
    b->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (b->rk == NULL) {
        rd_kafka_conf_destroy(conf);
        free(b);
        eddy_error(err, ERR_IO, (SrcPos){0}, "embedded broker: %s", errstr);
        return NULL;
    }
    b->mc = rd_kafka_mock_cluster_new(b->rk, brokers > 0 ? brokers : 1);
    if (b->mc == NULL) {
        rd_kafka_destroy(b->rk);
        free(b);
        eddy_error(err, ERR_IO, (SrcPos){0}, "embedded broker: cannot start the mock cluster");
        return NULL;
    }
    return b;
}

const char *embedded_broker_bootstrap(EmbeddedBroker *b)
{
    return rd_kafka_mock_cluster_bootstraps(b->mc);
}

int embedded_broker_create_topic(EmbeddedBroker *b, const char *topic, int partitions,
                                 EddyError *err)
{
    if (topic == NULL || topic[0] == '\0')
        return eddy_error(err, ERR_IO, (SrcPos){0}, "empty topic name");
    rd_kafka_resp_err_t e =
        rd_kafka_mock_topic_create(b->mc, topic, partitions > 0 ? partitions : 4, 1);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
        return eddy_error(err, ERR_IO, (SrcPos){0}, "create topic %s: %s", topic,
                          rd_kafka_err2str(e));
    return 0;
}

void embedded_broker_stop(EmbeddedBroker *b)
{
    if (b == NULL)
        return;
    rd_kafka_mock_cluster_destroy(b->mc);
    rd_kafka_destroy(b->rk);
    free(b);
}
