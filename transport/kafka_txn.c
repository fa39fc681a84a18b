/*
 * kafka_txn.c - the transactional producer of one task, for exactly-once
 * output (engine/README.md, "Scale-out": Exactly-once).  A transaction
 * holds a checkpoint interval's output, changelog and checkpoint records
 * and the consumed input offsets; they commit together or not at all, and
 * read_committed readers (every eddy consumer) see only committed ones.
 *
 * In: a Kafka transport (its properties), a transactional id (one per
 * task), calls begin, produce..., send offsets, commit or abort.  Out: a
 * TxnStatus per call that tells the caller what to do next (transport.h).
 *
 * Invariants:
 *  - A producer of its own per task (librdkafka: one transaction at a time
 *    per producer), never t's shared producer.
 *  - The state machine below is eddy's, checked before librdkafka is
 *    called: an out-of-order call fails TXN_MISUSE and changes nothing.
 *    After an abortable failure only abort is accepted, after a fence or
 *    a fatal error nothing (the same class again) but close.
 *  - Fenced is told apart from other fatal errors: it means that another
 *    member took the task over (its open fenced this one), not that the
 *    producer is broken; both are final for this producer.
 *  - Every call is bounded by the timeout given at open, commit and abort
 *    too.  librdkafka recommends -1 (the rest of transaction.timeout.ms,
 *    60 s by default) for those two; a bounded one keeps the task's loop
 *    responsive while the broker is away, and a commit or abort that timed
 *    out is TXN_RETRIABLE and resumes when called again (librdkafka
 *    documents both as resumable), so nothing gets out of step.
 *  - Logs and errors go to the transport's log sink through the handle's
 *    queue, served on the caller's thread in these calls.
 */
#include "kafka_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum TxnState {
    TXN_S_READY,        /* no transaction open: begin */
    TXN_S_OPEN,         /* begun: produce, send offsets, commit, abort */
    TXN_S_COMMITTING,   /* a commit timed out: commit again (it resumes) */
    TXN_S_ABORTING,     /* an abort timed out: abort again */
    TXN_S_MUST_ABORT,   /* the transaction failed: abort */
    TXN_S_DEAD,         /* fenced or fatal: close */
} TxnState;

struct TxnProducer {
    KafkaTransport *t;
    rd_kafka_t *rk;
    TxnState state;
    int timeout_ms;
    TxnStatus dead;            /* TXN_FENCED or TXN_FATAL once state is DEAD */
    char dead_reason[1024];    /* repeated by every call after */
    char id[256];
};

static const char *status_name(TxnStatus s)
{
    switch (s) {
    case TXN_OK:
        return "ok";
    case TXN_RETRIABLE:
        return "retriable";
    case TXN_ABORTABLE:
        return "abortable";
    case TXN_FENCED:
        return "fenced";
    case TXN_FATAL:
        return "fatal";
    case TXN_MISUSE:
        return "out of order";
    }
    EDDY_PANIC("unexpected TxnStatus %d", (int)s);
}

/* Fills err: "<class>: transaction <id>: <what>: <why>"; returns s. */
static TxnStatus txn_error(EddyError *err, TxnStatus s, const char *id, const char *what,
                           const char *why)
{
    kafka_error(err, KAFKA_NO_CODE, "%s: transaction %s: %s: %s", status_name(s), id, what, why);
    return s;
}

/* ---- logs -------------------------------------------------------------- */

static void txn_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    TxnProducer *p = rd_kafka_opaque(rk);
    if (kafka_log_wanted(fac, buf))
        kafka_log(p->t, kafka_log_level(level), "kafka transactional producer %s: %s: %s", p->id,
                  fac, buf);
}

static void txn_error_cb(rd_kafka_t *rk, int code, const char *reason, void *opaque)
{
    TxnProducer *p = opaque;
    bool fatal = code == RD_KAFKA_RESP_ERR__FATAL;
    kafka_log(p->t, fatal ? EDDY_LOG_ERROR : EDDY_LOG_WARNING,
              "kafka transactional producer %s: %s%s", p->id, fatal ? "fatal: " : "", reason);
}

/* ---- error classes ----------------------------------------------------- */

static bool is_fence(rd_kafka_resp_err_t code)
{
    return code == RD_KAFKA_RESP_ERR__FENCED || code == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
           code == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH;
}

/* The producer is done for: every later call but close gets s again. */
static TxnStatus set_dead(TxnProducer *p, TxnStatus s, const char *what, const char *why,
                          EddyError *err)
{
    p->state = TXN_S_DEAD;
    p->dead = s;
    snprintf(p->dead_reason, sizeof p->dead_reason, "%s failed earlier: %s", what, why);
    return txn_error(err, s, p->id, what, why);
}

/* A fatal error of the handle: fenced or fatal, never retried. */
static TxnStatus fail_fatal(TxnProducer *p, const char *what, EddyError *err)
{
    char why[512];
    rd_kafka_resp_err_t code = rd_kafka_fatal_error(p->rk, why, sizeof why);
    return set_dead(p, is_fence(code) ? TXN_FENCED : TXN_FATAL, what, why, err);
}

/* Classifies librdkafka's answer to a transactional call (destroys e) and
 * moves the state: fatal first (librdkafka marks a fence fatal), then
 * abortable, then retriable; anything else is fatal too, as librdkafka's
 * documentation asks. */
static TxnStatus fail(TxnProducer *p, rd_kafka_error_t *e, const char *what, EddyError *err)
{
    rd_kafka_resp_err_t code = rd_kafka_error_code(e);
    char why[512];
    snprintf(why, sizeof why, "%s", rd_kafka_error_string(e));
    bool fatal = rd_kafka_error_is_fatal(e), abortable = rd_kafka_error_txn_requires_abort(e);
    bool retriable = rd_kafka_error_is_retriable(e);
    rd_kafka_error_destroy(e);
    rd_kafka_poll(p->rk, 0);   /* the error events that came with it */
    rd_kafka_resp_err_t fatal_code = rd_kafka_fatal_error(p->rk, NULL, 0);
    if (fatal || fatal_code != RD_KAFKA_RESP_ERR_NO_ERROR)
        return set_dead(p, is_fence(code) || is_fence(fatal_code) ? TXN_FENCED : TXN_FATAL, what,
                        why, err);
    if (abortable) {
        p->state = TXN_S_MUST_ABORT;
        return txn_error(err, TXN_ABORTABLE, p->id, what, why);
    }
    if (retriable)
        return txn_error(err, TXN_RETRIABLE, p->id, what, why);
    return set_dead(p, TXN_FATAL, what, why, err);
}

/* The answer to a call the state does not allow: the dead class again
 * after a fence, abortable while the transaction must be aborted, else
 * TXN_MISUSE, saying what to call instead. */
static TxnStatus refuse(TxnProducer *p, const char *what, EddyError *err)
{
    switch (p->state) {
    case TXN_S_DEAD:
        return txn_error(err, p->dead, p->id, what, p->dead_reason);
    case TXN_S_MUST_ABORT:
        return txn_error(err, TXN_ABORTABLE, p->id, what,
                         "the transaction failed earlier: abort it first");
    case TXN_S_READY:
        return txn_error(err, TXN_MISUSE, p->id, what, "no transaction is open (begin one)");
    case TXN_S_OPEN:
        return txn_error(err, TXN_MISUSE, p->id, what,
                         "a transaction is open already (commit or abort it)");
    case TXN_S_COMMITTING:
        return txn_error(err, TXN_MISUSE, p->id, what,
                         "a commit timed out: call commit again (it resumes)");
    case TXN_S_ABORTING:
        return txn_error(err, TXN_MISUSE, p->id, what,
                         "an abort timed out: call abort again (it resumes)");
    }
    EDDY_PANIC("unexpected TxnState %d", (int)p->state);
}

/* ---- the producer ------------------------------------------------------ */

/* A configuration the producer cannot be made with: fatal (opening again
 * would fail the same way); err (set by the failing call) gets the class. */
static TxnProducer *open_failed(TxnProducer *p, EddyError *err)
{
    if (err) {
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        txn_error(err, TXN_FATAL, p->id, "open", why);
    }
    free(p);
    return NULL;
}

TxnProducer *kafka_txn_open(Transport *tr, const char *transactional_id, int timeout_ms,
                            TxnStatus *status, EddyError *err)
{
    KafkaTransport *t = (KafkaTransport *)tr;
    TxnStatus ignored;
    if (status == NULL)
        status = &ignored;
    *status = TXN_FATAL;
    kafka_flush_logs(t);
    if (transactional_id == NULL || transactional_id[0] == '\0' ||
        strlen(transactional_id) >= sizeof ((TxnProducer *)NULL)->id) {
        txn_error(err, TXN_FATAL, "?", "open", "the transactional id is empty or too long");
        return NULL;
    }
    TxnProducer *p = calloc(1, sizeof *p);
    if (p == NULL) {
        txn_error(err, TXN_FATAL, transactional_id, "open", "out of memory");
        return NULL;
    }
    p->t = t;
    p->timeout_ms = timeout_ms > 0 ? timeout_ms : METADATA_TIMEOUT_MS;
    snprintf(p->id, sizeof p->id, "%s", transactional_id);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    kafka_conf_route_logs(conf, txn_log_cb, txn_error_cb);
    rd_kafka_conf_set_opaque(conf, p);
    /* eddy's defaults, the user's properties, then what transactions
     * need (after: no property may turn them off). */
    if (kafka_producer_defaults(conf, err) < 0 || kafka_conf_apply_props(t, conf, err) < 0 ||
        kafka_conf_set(conf, "enable.idempotence", "true", NULL, err) < 0 ||
        kafka_conf_set(conf, "transactional.id", transactional_id, NULL, err) < 0) {
        rd_kafka_conf_destroy(conf);
        return open_failed(p, err);
    }
    p->rk = kafka_new(RD_KAFKA_PRODUCER, conf, "producer", err);
    if (p->rk == NULL)
        return open_failed(p, err);
    rd_kafka_set_log_queue(p->rk, NULL);   /* served by rd_kafka_poll in the calls */
    rd_kafka_error_t *e = rd_kafka_init_transactions(p->rk, p->timeout_ms);
    if (e != NULL) {
        TxnStatus s = fail(p, e, "open", err);
        /* Fenced cannot come from the open (it is the one that fences);
         * a retriable failure is retried by opening again. */
        *status = s == TXN_RETRIABLE ? TXN_RETRIABLE : TXN_FATAL;
        rd_kafka_destroy(p->rk);
        free(p);
        return NULL;
    }
    p->state = TXN_S_READY;
    *status = TXN_OK;
    return p;
}

TxnStatus kafka_txn_begin(TxnProducer *p, EddyError *err)
{
    rd_kafka_poll(p->rk, 0);
    if (p->state != TXN_S_READY)
        return refuse(p, "begin", err);
    rd_kafka_error_t *e = rd_kafka_begin_transaction(p->rk);
    if (e != NULL)
        return fail(p, e, "begin", err);
    p->state = TXN_S_OPEN;
    return TXN_OK;
}

TxnStatus kafka_txn_produce(TxnProducer *p, const char *topic, int32_t partition,
                            const void *key, size_t key_len, const void *value,
                            size_t value_len, int64_t timestamp, EddyError *err)
{
    if (p->state != TXN_S_OPEN)
        return refuse(p, "produce", err);
    rd_kafka_resp_err_t e = kafka_produce_record(p->rk, topic, partition, key, key_len, value,
                                                 value_len, timestamp);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
        return TXN_OK;
    char what[300];
    snprintf(what, sizeof what, "produce to %s", topic);
    if (rd_kafka_fatal_error(p->rk, NULL, 0))
        return fail_fatal(p, what, err);
    /* Not queued.  librdkafka refuses records (_STATE) once it has left
     * the transaction because of an abortable error (a record that could
     * not be delivered); any other refusal leaves the transaction without
     * a record the task produced, so it must not commit either. */
    p->state = TXN_S_MUST_ABORT;
    return txn_error(err, TXN_ABORTABLE, p->id, what,
                     e == RD_KAFKA_RESP_ERR__STATE
                         ? "the transaction failed (a record could not be delivered)"
                         : rd_kafka_err2str(e));
}

TxnStatus kafka_txn_send_offsets(TxnProducer *p, const char *group,
                                 const TopicPartitionOffset *offs, int n, EddyError *err)
{
    rd_kafka_poll(p->rk, 0);
    if (p->state != TXN_S_OPEN)
        return refuse(p, "send offsets", err);
    if (n <= 0)
        return TXN_OK;
    if (group == NULL || group[0] == '\0')
        return txn_error(err, TXN_MISUSE, p->id, "send offsets", "no consumer group given");
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(n);
    for (int i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(list, offs[i].topic, offs[i].partition)->offset =
            offs[i].offset;
    /* A group's metadata without a member: eddy's tasks read through
     * assigned consumers, and the group member only takes the assignment
     * (kafka_group.c); fencing is by transactional id (one per task). */
    rd_kafka_consumer_group_metadata_t *md = rd_kafka_consumer_group_metadata_new(group);
    rd_kafka_error_t *e = rd_kafka_send_offsets_to_transaction(p->rk, list, md, p->timeout_ms);
    rd_kafka_consumer_group_metadata_destroy(md);
    rd_kafka_topic_partition_list_destroy(list);
    return e == NULL ? TXN_OK : fail(p, e, "send offsets", err);
}

TxnStatus kafka_txn_commit(TxnProducer *p, EddyError *err)
{
    if (p->state != TXN_S_OPEN && p->state != TXN_S_COMMITTING)
        return refuse(p, "commit", err);
    rd_kafka_error_t *e = rd_kafka_commit_transaction(p->rk, p->timeout_ms);
    rd_kafka_poll(p->rk, 0);
    if (e == NULL) {
        p->state = TXN_S_READY;
        return TXN_OK;
    }
    TxnStatus s = fail(p, e, "commit", err);
    if (s == TXN_RETRIABLE)
        p->state = TXN_S_COMMITTING;
    return s;
}

TxnStatus kafka_txn_abort(TxnProducer *p, EddyError *err)
{
    if (p->state != TXN_S_OPEN && p->state != TXN_S_MUST_ABORT && p->state != TXN_S_ABORTING)
        return refuse(p, "abort", err);
    rd_kafka_error_t *e = rd_kafka_abort_transaction(p->rk, p->timeout_ms);
    rd_kafka_poll(p->rk, 0);
    if (e == NULL) {
        p->state = TXN_S_READY;
        return TXN_OK;
    }
    TxnState before = p->state;
    TxnStatus s = fail(p, e, "abort", err);
    if (s == TXN_RETRIABLE)
        p->state = TXN_S_ABORTING;
    else if (s == TXN_ABORTABLE)
        p->state = before == TXN_S_ABORTING ? TXN_S_ABORTING : TXN_S_MUST_ABORT;
    return s;
}

void kafka_txn_flush(TxnProducer *p, int timeout_ms)
{
    if (p && p->rk)
        rd_kafka_flush(p->rk, timeout_ms);
}

bool kafka_txn_open_transaction(const TxnProducer *p)
{
    return p->state == TXN_S_OPEN || p->state == TXN_S_COMMITTING ||
           p->state == TXN_S_ABORTING || p->state == TXN_S_MUST_ABORT;
}

void kafka_txn_close(TxnProducer *p)
{
    if (p == NULL)
        return;
    if (p->state == TXN_S_OPEN || p->state == TXN_S_MUST_ABORT || p->state == TXN_S_ABORTING ||
        p->state == TXN_S_COMMITTING) {
        rd_kafka_error_t *e = rd_kafka_abort_transaction(p->rk, p->timeout_ms);
        if (e != NULL)
            rd_kafka_error_destroy(e);
    }
    rd_kafka_poll(p->rk, 0);
    rd_kafka_destroy(p->rk);
    free(p);
}
