/*
 * kafka_int.h - private to transport/: the Kafka transport's state and what
 * its files share.  transport_kafka.c is the transport (its logs,
 * configuration, producer, metadata and topics); kafka_consumer.c its
 * consumers; kafka_offsets.c offsets for times, found in the records where
 * the broker has none.  With embedded_broker.c, the only includers of
 * librdkafka (transport_kafka.c's header says what stays true).
 */
#ifndef EDDY_TRANSPORT_KAFKA_INT_H
#define EDDY_TRANSPORT_KAFKA_INT_H

#include "eddy/transport.h"

#include <librdkafka/rdkafka.h>

/* Bounds for calls that talk to the cluster: never hang the caller. */
#define METADATA_TIMEOUT_MS 3000

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

typedef struct PartState PartState;   /* kafka_consumer.c */

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
    int commit_failures;       /* asynchronous commits failed in a row (commit_done_cb) */
    char group[256];           /* for messages */
};

/* ---- errors and logs (transport_kafka.c) -------------------------------- */

/* The transport's one way to fill an EddyError: ERR_IO, no position, the
 * message from fmt, then ": " and librdkafka's text for `code` unless code
 * is RD_KAFKA_RESP_ERR_NO_ERROR (a reason librdkafka gives as text, an
 * errstr or a fatal error's, goes among fmt's arguments).  Returns -1. */
#define KAFKA_NO_CODE RD_KAFKA_RESP_ERR_NO_ERROR   /* kafka_error: no librdkafka code */
int kafka_error(EddyError *err, rd_kafka_resp_err_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A librdkafka handle of `type`; takes ownership of conf (destroyed on
 * failure too).  Returns the handle owned by the caller (rd_kafka_destroy),
 * or NULL with err "<what>: <librdkafka's reason>". */
rd_kafka_t *kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf, const char *what,
                      EddyError *err);
/* A line to the transport's log sink (t->base.log), if one is set. */
void kafka_log(KafkaTransport *t, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* librdkafka's log levels (syslog's: 0 emerg .. 7 debug) as the log sink's. */
int kafka_log_level(int syslog_level);
/* Delivers the warnings found before the caller could set the log sink;
 * every entry point calls it first. */
void kafka_flush_logs(KafkaTransport *t);

/* ---- configuration and metadata (transport_kafka.c) ------------------- */

/* Sets key=value; on an invalid value fills err and returns -1.  Unknown
 * keys are reported through *unknown (may be NULL; the caller decides). */
int kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *val, bool *unknown,
                   EddyError *err);
/* eddy's producer defaults (client.id, idempotence, murmur2 partitioner,
 * linger, queue room), set before the user's properties so they can
 * override them: t's producer and the transactional ones (kafka_txn.c). */
int kafka_producer_defaults(rd_kafka_conf_t *conf, EddyError *err);
/* Routes a handle's logs and errors to its poll queue, so they are served
 * on the caller's thread (transport_kafka.c's header). */
void kafka_conf_route_logs(rd_kafka_conf_t *conf,
                           void (*log_cb)(const rd_kafka_t *, int, const char *, const char *),
                           void (*error_cb)(rd_kafka_t *, int, const char *, void *));
/* Applies the accepted pass-through properties to a consumer's conf. */
int kafka_conf_apply_props(KafkaTransport *t, rd_kafka_conf_t *conf, EddyError *err);
/* A new conf for consumer c: its logs and errors go to c->t's log sink
 * through the handle's poll queue; opaque = c.  Returns it owned by the
 * caller (rd_kafka_new takes it over; else rd_kafka_conf_destroy). */
rd_kafka_conf_t *kafka_consumer_conf(Consumer *c);
/* True if the cluster is librdkafka's mock (its cluster id says so). */
bool kafka_is_mock(KafkaTransport *t);
/* Metadata of every topic (*md owned by the caller: free with
 * rd_kafka_metadata_destroy), or -1 with err set (err may be NULL). */
int kafka_fetch_metadata(KafkaTransport *t, const struct rd_kafka_metadata **md, EddyError *err);
/* Partitions of `topic` in md, or -1 if the cluster does not know it. */
int kafka_md_partitions(const struct rd_kafka_metadata *md, const char *topic);
/* Offsets at `which` of every partition in `parts` into out[i]:
 * RD_KAFKA_OFFSET_BEGINNING (low watermarks), RD_KAFKA_OFFSET_END (high),
 * or a time >= 0 (the first offset at or after it, -1 if none).  _code
 * returns librdkafka's error, kafka_list_offsets -1 with err set. */
rd_kafka_resp_err_t kafka_list_offsets_code(rd_kafka_t *rk,
                                            const rd_kafka_topic_partition_list_t *parts,
                                            int64_t which, int64_t *out);
int kafka_list_offsets(rd_kafka_t *rk, const rd_kafka_topic_partition_list_t *parts,
                       int64_t which, int64_t *out, EddyError *err);

/* ---- producing (transport_kafka.c) -------------------------------------- */

/* One record to rk (partition < 0 = by key; buffers copied), waiting for
 * room while the local queue is full.  Returns librdkafka's error
 * (RD_KAFKA_RESP_ERR__FATAL once the handle has a fatal error). */
rd_kafka_resp_err_t kafka_produce_record(rd_kafka_t *rk, const char *topic, int32_t partition,
                                         const void *key, size_t key_len, const void *value,
                                         size_t value_len, int64_t timestamp);

/* ---- consumers (kafka_consumer.c): TransportOps entries ---------------- */

Consumer *kafka_consumer_open_task(Transport *tr, const char *group, const char *const *topics,
                                   int ntopics, OffsetReset reset,
                                   const TopicPartitionOffset *start, int nstart, int task,
                                   int ntasks, EddyError *err);
Consumer *kafka_consumer_open(Transport *tr, const char *group, const char *const *topics,
                              int ntopics, OffsetReset reset, const TopicPartitionOffset *start,
                              int nstart, EddyError *err);
int kafka_consumer_poll(Consumer *c, TransportRecord *out, int max, int timeout_ms,
                        EddyError *err);
bool kafka_consumer_at_end(Consumer *c);
int64_t kafka_consumer_lag(Consumer *c);
int64_t kafka_consumer_partition_lag(Consumer *c, const char *topic, int32_t partition);
/* Sets the callback that reports the outcome of consumer_commit's
 * asynchronous commits (served by consumer_poll). */
void kafka_consumer_conf_commits(rd_kafka_conf_t *conf);
int kafka_consumer_commit(Consumer *c, const TopicPartitionOffset *offs, int n, EddyError *err);
int kafka_consumer_seek(Consumer *c, const TopicPartitionOffset *offs, int n, EddyError *err);
void kafka_consumer_close(Consumer *c);
/* Handles an error or EOF event m from c's queue: an EOF marks its
 * partition, a fatal error fills err and returns -1, anything else
 * (librdkafka retries it) is logged and returns 0. */
int kafka_consumer_event(Consumer *c, const rd_kafka_message_t *m, EddyError *err);
/* Frees c and destroys its handle without closing it (for a consumer that
 * never opened); NULL is fine. */
void kafka_consumer_free(Consumer *c);

/* ---- the development broker (embedded_broker.c) ------------------------- */

/* The mock cluster behind b (borrowed), for tests that inject errors
 * (rd_kafka_mock_push_request_errors). */
struct rd_kafka_mock_cluster_s *embedded_broker_mock(EmbeddedBroker *b);

/* ---- offsets for times (kafka_offsets.c): a TransportOps entry ---------- */

int kafka_offsets_for_times(Transport *tr, const char *topic, int64_t ts_ms,
                            TopicPartitionOffset **out, int *nout, EddyError *err);

/* Whether a librdkafka log line is worth the user's log: not a
 * connection failure (an error says it too), nor a CONFWARN that one kind
 * of client ignores a property of the other kind (the user's properties
 * go to every client). */
bool kafka_log_wanted(const char *fac, const char *buf);

#endif
