/*
 * transport.h - where records come from and go to: Kafka (librdkafka) or
 * in-memory topics (the test runner's twin).  The runtime only sees this
 * vtable; operators never see it at all.
 *
 * Records handed out by a consumer are borrowed: valid until the next
 * poll/close on that consumer.
 */
#ifndef EDDY_TRANSPORT_H
#define EDDY_TRANSPORT_H

#include "eddy/base.h"

typedef struct TransportRecord {
    const char *topic;
    int32_t partition;
    int64_t offset;
    int64_t timestamp;        /* ms since epoch; -1 if none */
    const void *key;          /* NULL = null key */
    size_t key_len;
    const void *value;        /* NULL = null value (tombstone) */
    size_t value_len;
} TransportRecord;

typedef struct Transport Transport;
typedef struct Consumer Consumer;

/* Where a consumer starts when it has no committed offset. */
typedef enum OffsetReset { RESET_LATEST = 0, RESET_EARLIEST = 1 } OffsetReset;

typedef struct TopicPartitionOffset {
    const char *topic;
    int32_t partition;
    int64_t offset;           /* next offset to consume */
} TopicPartitionOffset;

typedef struct TransportOps {
    /* Makes sure the topic exists.  partitions/replicas <= 0 = defaults.
     * Returns the partition count the topic has, which can differ from the
     * one asked for (an existing topic, or a broker that gives every new
     * topic its default count; said once through the log), 0 if the broker
     * will only create the topic on first use (count unknown yet), -1 on
     * error.  Never blocks longer than a few seconds. */
    int (*topic_ensure)(Transport *t, const char *topic, int partitions, int replicas,
                        EddyError *err);
    /* Number of partitions, or -1 if the topic does not exist (or unknown). */
    int (*topic_partitions)(Transport *t, const char *topic);
    /* Fills *names (malloc'd array of malloc'd strings; free with
     * transport_free_names) with the topics the cluster knows. Returns count or -1. */
    int (*list_topics)(Transport *t, char ***names, EddyError *err);
    /* Oldest kept (low) and next-to-write (high) offset of every partition of
     * `topic`, partition i at index i.  Returns the partition count with
     * *low and *high malloc'd arrays of that length (free both), or -1 with
     * err set (a topic that does not exist is an error). */
    int (*watermarks)(Transport *t, const char *topic, int64_t **low, int64_t **high,
                      EddyError *err);
    /* Kafka's offsetsForTimes for every partition of `topic`: the offset of
     * the partition's first record whose timestamp is >= ts_ms, or its high
     * watermark if it has none (an empty partition: its high watermark).
     * ts_ms < 0 counts as 0.  Returns 0 with *out a malloc'd array of *n
     * entries (free it), partition i at index i, whose topic borrows
     * `topic`; or -1 with err set (a topic that does not exist is an
     * error).  Kafka: asks the broker; a partition it has no answer for
     * (librdkafka's mock cluster, `eddy broker`, answers "none" for every
     * time) is searched in its records, a few reads of one record each
     * (transport/kafka_offsets.c; engine/README.md says when that is exact).
     * Memory: exact, from the records. */
    int (*offsets_for_times)(Transport *t, const char *topic, int64_t ts_ms,
                             TopicPartitionOffset **out, int *n, EddyError *err);

    /* A consumer assigned every partition the `topics` have now (no group
     * membership, so no rebalance wait: a query reads all partitions of its
     * inputs anyway).  `group` only names the committed offsets, which win
     * over `reset`; start[0..nstart) (may be NULL; borrowed for the call),
     * next offsets of some partitions, win over both: a query's offsets
     * stored with its state are where it starts, with no seek after the
     * open (and so no record from an earlier position can slip in).  Fails
     * if a topic does not exist. */
    Consumer *(*consumer_open)(Transport *t, const char *group, const char *const *topics,
                               int ntopics, OffsetReset reset, const TopicPartitionOffset *start,
                               int nstart, EddyError *err);
    /* The same for one task of a query split into ntasks: assigned only the
     * partitions p with p % ntasks == task (partition p of every input is
     * the same task: co-partitioned inputs).  consumer_open is (0, 1). */
    Consumer *(*consumer_open_task)(Transport *t, const char *group, const char *const *topics,
                                    int ntopics, OffsetReset reset,
                                    const TopicPartitionOffset *start, int nstart, int task,
                                    int ntasks, EddyError *err);
    /* Up to max records into out[]; waits at most timeout_ms for the first.
     * Returns count (0 = none now), -1 on fatal error (err set). */
    int (*consumer_poll)(Consumer *c, TransportRecord *out, int max, int timeout_ms,
                         EddyError *err);
    /* True once every assigned partition has been consumed up to its end
     * (high watermark as of the last poll, or as of the open). */
    bool (*consumer_at_end)(Consumer *c);
    /* Records between the consumer's positions and the ends of its
     * assigned partitions (high watermarks as of the last fetch; asks the
     * cluster nothing).  -1 while not known (before the assignment and the
     * first fetch of every partition not at its end). */
    int64_t (*consumer_lag)(Consumer *c);
    /* The same for one assigned partition: 0 = caught up, -1 = not known
     * (or not assigned).  The runtime's event-time order waits for a
     * partition that still has records on the broker. */
    int64_t (*consumer_partition_lag)(Consumer *c, const char *topic, int32_t partition);
    /* Commits next-offsets.  Kafka: asynchronously (the outcome is
     * logged), so an unreachable broker does not hold the caller. */
    int (*consumer_commit)(Consumer *c, const TopicPartitionOffset *offs, int n, EddyError *err);
    /* Moves the given partitions' position (for replay / restore from state). */
    int (*consumer_seek)(Consumer *c, const TopicPartitionOffset *offs, int n, EddyError *err);
    void (*consumer_close)(Consumer *c);

    /* Produces one record. partition < 0 = partition by key (murmur2, as Java
     * clients do, so co-partitioning with ksqlDB/Kafka Streams holds), or
     * round-robin for a null key.  value == NULL = tombstone.  Copies buffers. */
    int (*produce)(Transport *t, const char *topic, int32_t partition,
                   const void *key, size_t key_len, const void *value, size_t value_len,
                   int64_t timestamp, EddyError *err);
    /* Serves delivery callbacks without blocking (call often). */
    void (*poll)(Transport *t);
    /* Waits until everything produced so far is delivered (or failed).
     * Returns 0 if all delivered, -1 if any delivery failed, -2 if the
     * timeout passed with records still queued and none failed (they stay
     * queued: a later flush may deliver them); err is set for both. */
    int (*flush)(Transport *t, int timeout_ms, EddyError *err);
    void (*destroy)(Transport *t);
    /* Records produced and not delivered yet (may be NULL: none ever
     * wait).  Asks the cluster nothing. */
    int64_t (*pending)(Transport *t);
} TransportOps;

struct Transport {
    const TransportOps *ops;
    /* Optional log sink for warnings (e.g. "broker cannot create topics").
     * level: 0 = info, 1 = warning, 2 = error. */
    void (*log)(void *log_ud, int level, const char *msg);
    void *log_ud;
};

void transport_free_names(char **names, int n);

/* Moves each offs[i].offset into [low watermark, high watermark] of its
 * partition (offs[i].topic, offs[i].partition; any topics, any order): a
 * REPLAY FROM OFFSET below the oldest record kept starts there, one past
 * the end waits for new records.  Returns how many offsets moved (the
 * caller says so: the records below the low watermark are gone), or -1
 * with err set (a topic that does not exist, a partition it does not
 * have); offs is then unchanged. */
int transport_clamp_offsets(Transport *t, TopicPartitionOffset *offs, int n, EddyError *err);

/* ---- retention (transport/transport.c) ---------------------------------- */

/* A broker with bounded retention (the development broker keeps ~5 MB per
 * partition) drops the oldest records of a partition silently.  A producer
 * (eddy gen, eddy load) takes a mark before producing and checks after its
 * flush how many of the records it wrote are already gone. */
typedef struct RetentionMark {
    int n;                    /* partitions known at the mark */
    int64_t *high;            /* their high watermarks (malloc'd) */
} RetentionMark;

/* Remembers the high watermarks of `topic`; a topic that does not exist
 * yet marks nothing (every offset counts as written after the mark). */
int transport_retention_mark(Transport *t, const char *topic, RetentionMark *m, EddyError *err);
/* After a flush: *written = records the topic gained since the mark,
 * *dropped = how many of them the broker no longer keeps (0 = all there).
 * Returns 0, or -1 with err set.  Frees nothing; see retention_mark_free. */
int transport_retention_check(Transport *t, const char *topic, const RetentionMark *m,
                              int64_t *written, int64_t *dropped, EddyError *err);
void transport_retention_mark_free(RetentionMark *m);

/* ---- Kafka (transport/transport_kafka.c) -------------------------------- */

/* props: NULL-terminated list of key, value pairs passed through to
 * librdkafka (bootstrap.servers, security.*, sasl.*, ...).  Keys that are
 * not librdkafka properties are ignored with a warning. */
Transport *kafka_transport_create(const char *const *props, EddyError *err);
/* Whether t is a Kafka transport (consumer groups need one). */
bool kafka_transport_is(const Transport *t);
/* Waits until a broker answers (metadata), at most timeout_ms; returns 0,
 * or -1 with err saying why none did (refused, unknown host, timeout). */
int kafka_transport_ping(Transport *t, int timeout_ms, EddyError *err);

/* Membership of a consumer group, for the assignment only (transport/
 * kafka_group.c; engine/README.md, "Scale-out"): joins `group` subscribed
 * to `topics` with the cooperative-sticky assignor and fetches nothing
 * (what it is given is paused).  NULL with err on failure. */
typedef struct GroupMember GroupMember;
GroupMember *kafka_group_join(Transport *t, const char *group, const char *const *topics,
                              int ntopics, EddyError *err);
/* Serves the group (heartbeats, rebalances) for up to timeout_ms; *held
 * (borrowed until the next call) = the partitions held now, offsets -1.
 * 1 when they changed since the last call, 0 if not, -1 with err. */
int kafka_group_poll(GroupMember *m, int timeout_ms, const TopicPartitionOffset **held, int *n,
                     EddyError *err);
/* fn(ud) runs inside kafka_group_poll when partitions are revoked, before
 * the group may give them to another member: the time to checkpoint them.
 * kafka_group_lost: whether partitions were lost instead (the member's
 * session timed out: another may own them already) since the last call. */
void kafka_group_on_revoke(GroupMember *m, void (*fn)(void *ud), void *ud);
bool kafka_group_lost(GroupMember *m);
/* Leaves the group (the others rebalance at once) and frees m. */
void kafka_group_leave(GroupMember *m);

/* ---- the transactional producer (transport/kafka_txn.c) ---------------- */

/* One task's producer for exactly-once output (engine/README.md,
 * "Scale-out": Exactly-once): the task's output, changelog and checkpoint
 * records and its consumed input offsets commit together or not at all. */
typedef struct TxnProducer TxnProducer;

/* What a transactional call's failure asks of the caller (every failure is
 * < 0; err.msg starts with the class's name and says why). */
typedef enum TxnStatus {
    TXN_OK = 0,
    /* A passing failure (a timeout, the coordinator moving): make the same
     * call again; a commit or abort that timed out resumes. */
    TXN_RETRIABLE = -1,
    /* The transaction failed: kafka_txn_abort, rewind the task to its last
     * checkpoint (state and input offsets), begin again and redo. */
    TXN_ABORTABLE = -2,
    /* A newer producer opened this transactional id: this member no
     * longer owns the task.  Stop the task, close; never retry. */
    TXN_FENCED = -3,
    /* The producer cannot go on (a broker without transactions, a
     * transaction.timeout.ms the broker refuses, ...): close it. */
    TXN_FATAL = -4,
    /* Called out of order (produce outside a transaction, commit without
     * begin, begin twice, anything after a fence): a bug in the caller;
     * nothing was done. */
    TXN_MISUSE = -5,
} TxnStatus;

/* Opens a transactional producer with `transactional_id` (one per task:
 * `<service.id>-<query id>-<partition>`) on t's cluster, with t's
 * properties (client.id, linger and partitioner as t's own producer;
 * enable.idempotence is implied), and initializes its transactions:
 * on a real cluster this fences any older producer with the same id
 * (Kafka's zombie fencing: its next produce or commit fails TXN_FENCED)
 * and aborts the transaction it left open (the development broker does
 * neither: engine/README.md, "Scale-out").  timeout_ms bounds this and every later call of p.  Returns
 * p owned by the caller (kafka_txn_close), or NULL with *status (may be
 * NULL) TXN_RETRIABLE (open again) or TXN_FATAL, and err set. */
TxnProducer *kafka_txn_open(Transport *t, const char *transactional_id, int timeout_ms,
                            TxnStatus *status, EddyError *err);
/* Starts a transaction (none may be open). */
TxnStatus kafka_txn_begin(TxnProducer *p, EddyError *err);
/* Produces one record in the open transaction; arguments as the
 * transport's produce (partition < 0 = by key, value NULL = tombstone,
 * buffers copied).  Delivery is asynchronous: a record that cannot be
 * delivered fails the transaction, at a later call or at the commit. */
TxnStatus kafka_txn_produce(TxnProducer *p, const char *topic, int32_t partition,
                            const void *key, size_t key_len, const void *value,
                            size_t value_len, int64_t timestamp, EddyError *err);
/* Adds consumed offsets (next offsets to read) of `group` to the open
 * transaction: they count as committed only if it commits.  n = 0 does
 * nothing.  A retriable failure is retried with the same offsets. */
TxnStatus kafka_txn_send_offsets(TxnProducer *p, const char *group,
                                 const TopicPartitionOffset *offs, int n, EddyError *err);
/* Delivers everything produced and commits the open transaction. */
TxnStatus kafka_txn_commit(TxnProducer *p, EddyError *err);
/* Aborts the open transaction (the records produced in it are purged or
 * marked aborted; read_committed readers never see them). */
TxnStatus kafka_txn_abort(TxnProducer *p, EddyError *err);
/* True while a transaction is open (begun, not yet committed or aborted). */
bool kafka_txn_open_transaction(const TxnProducer *p);
/* Waits (at most timeout_ms) until every record produced so far is on the
 * broker: a changelog's records after the task's output and entries, and
 * tests that must know what an abort leaves there. */
void kafka_txn_flush(TxnProducer *p, int timeout_ms);
/* Closes p; a transaction still open is aborted first (best effort: the
 * broker aborts it anyway at the next owner's open or after
 * transaction.timeout.ms).  NULL is fine. */
void kafka_txn_close(TxnProducer *p);

/* The development broker (librdkafka mock cluster, transport/embedded_broker.c). */
typedef struct EmbeddedBroker EmbeddedBroker;
/* Starts a mock cluster with `brokers` brokers; returns NULL on failure. */
EmbeddedBroker *embedded_broker_start(int brokers, EddyError *err);
const char *embedded_broker_bootstrap(EmbeddedBroker *b);   /* "HOST:PORT[,...]" */
int embedded_broker_create_topic(EmbeddedBroker *b, const char *topic, int partitions,
                                 EddyError *err);
/* Serves topic creation to clients in other processes (`eddy broker`): the
 * mock cluster has no CreateTopics, so a client produces "PARTITIONS:NAME"
 * to EMBEDDED_BROKER_ADMIN_TOPIC and the broker creates the topic; the
 * client sees it in the metadata.  Starts a thread; stopped by _stop. */
#define EMBEDDED_BROKER_ADMIN_TOPIC "__eddy_create_topics"
int embedded_broker_serve_admin(EmbeddedBroker *b, EddyError *err);
/* Stops the broker.  Its threads are joined in the background (librdkafka
 * 2.0.2 sometimes sleeps out a 1 s wait there): a process must not exit
 * while they run (exit handlers would race them), so it calls
 * embedded_broker_wait_stopped first. */
void embedded_broker_stop(EmbeddedBroker *b);
/* Waits up to timeout_ms for every stop to finish: true when none runs
 * (then exit normally), false if one still does (then leave with _exit,
 * which runs no exit handler). */
bool embedded_broker_wait_stopped(int timeout_ms);
/* Topics `t` (a Kafka transport on b's bootstrap) ensures are created in b
 * directly, with the partition count asked for.  Borrows b until t is
 * destroyed. */
void kafka_transport_use_broker(Transport *t, EmbeddedBroker *b);

/* ---- in-memory (transport/transport_memory.c) --------------------------- */

/* Topics are created on first produce with `default_partitions` partitions.
 * Deterministic: polls return records in produce order per partition and
 * partitions in ascending order. */
Transport *memory_transport_create(int default_partitions);
/* Test runner access: all records of a topic in produce order (all
 * partitions interleaved by produce order).  Returns count; *out borrowed. */
int memory_transport_records(Transport *t, const char *topic, const TransportRecord **out);
/* Names of all topics, borrowed, in creation order. */
int memory_transport_topics(Transport *t, const char *const **names);

#endif
