/*
 * runtime.c - drives one query: poll a batch from its consumer, push each
 * record through the operator chain, reset the batch arena, and remember
 * each partition's next offset for the next commit.  The sink's records
 * reach the transport through the output it gets here (OpCtx.out): the
 * operators never call the transport.
 *
 * A query REPLAY moved back to a snapshot older than its target is
 * "muted" up to the target (task_mute_until): records of a partition
 * below its target offset update state but their output is dropped, so
 * the replay re-emits exactly the records from the target on.
 *
 * Checkpoint order for stateless queries (issue 2): output is flushed by
 * the engine before task_commit, so a committed offset never runs
 * ahead of delivered output (at-least-once).  Bad records are skipped,
 * counted and logged with topic, partition and offset, at most a few
 * lines per second per query; with the processing log on, each is also
 * written to its topic (log_to_topic).
 *
 * Stall watch: a query whose input has records past its position (or whose
 * position is not known) and that took none for a while is "stalled"
 * (runtime_stall_check); the engine logs the change and shows it.  The
 * position is the query's own: its consumer is assigned every partition at
 * the offsets stored with its state and never rebalanced, so a broker
 * outage cannot move it (librdkafka resumes fetching there).
 *
 * Event-time order (as a Kafka Streams task): polled records wait in a
 * buffer per input partition, and the record processed next is the head
 * with the smallest timestamp (ties: the partition first in input order).
 * While a partition's buffer is empty nothing is processed unless that
 * partition is caught up (no lag) and the query has idled max.task.idle.ms
 * (may_skip), or idling is off (< 0); a partition whose records are still
 * on the broker is waited for (at most FETCH_WAIT_MS, so a partition the
 * broker cannot serve does not stop the query).  Offsets (task_offsets) are those of
 * processed records only: a buffered record is read again after a crash.
 * Buffered records are copied out of the consumer's (borrowed) records
 * before the next poll; past BUFFER_MAX_BYTES of copies the smallest head
 * goes on without waiting (Kafka Streams pauses full partitions instead).
 */
#include "eddy/engine/changelog.h"
#include "eddy/engine/runtime.h"
#include "eddy/store.h"
#include "eddy/value.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH_MAX 500
#define FETCH_WAIT_MS 10000
#define SKIP_RECHECK_MS 50
#define BUFFER_MAX_BYTES (64 << 20)

/* A buffered record; own is its key and value copied (NULL while they
 * are still the consumer's, i.e. within the poll that brought it). */
typedef struct BufRec {
    TransportRecord rec;
    char *own;
} BufRec;

typedef struct Task Task;
static void task_stop(Task *rt);
static bool task_done(Task *rt);

/* One input partition's records waiting to be processed, recs[head..n). */
typedef struct PartBuf {
    const char *topic;            /* the query's copy of the name */
    int32_t partition;
    BufRec *recs;
    int head, n, cap;
    int64_t empty_since;          /* mono ms it was first found empty, -1 = not empty */
    bool idled;                   /* found empty and caught up since its last record */
    int64_t skip_until;           /* mono ms: may_skip said yes, ask again after this */
} PartBuf;

struct Task {
    int index, ntasks;            /* partitions p with p % ntasks == index */
    /* Counts and log lines since the last round end (runtime_round_end):
     * a task on a worker thread touches neither the Query nor the log. */
    int64_t n_in, n_out, n_skipped, n_eval, n_late;
    struct { int level; char *text; } *logs;
    int nlogs, caplogs;
    Query *q;
    Transport *t;
    StateDb *db;
    Operator *xop[2];             /* the exchange below the aggregate (xop[0]) or below
                                   * each side of a join, or NULL */
    Consumer *consumer;
    SourceOp *sources[16];        /* one per SOURCE node; a topic may feed several (self-join) */
    const char *source_topics[16];
    int nsources;
    Operator *chain[64];
    int nchain;
    OpCtx ctx;
    Arena *batch;
    RowFn rows;
    void *rows_ud;
    const EngineOutput *out;
    TopicPartitionOffset *offs;   /* next offset per consumed partition */
    int noffs, capoffs;
    bool dirty;
    int64_t commit_interval_ms, last_commit_ms;
    int64_t log_window_ms, logged_in_window, suppressed;
    int64_t emitted;
    char *plog_topic;             /* processing log topic (task_set_processing_log), or NULL */
    /* Stall watch (runtime_stall_check): when a poll last took records
     * (or the start). */
    int64_t progress_ms;
    /* Muting (task_mute_until): the target offset per partition, and
     * whether the record being processed is below its partition's. */
    TopicPartitionOffset *mute;   /* topics borrow the query's inputs' */
    int nmute;
    bool muted;
    int64_t muted_out;            /* records the sink wrote while muted */
    PartBuf *parts;               /* event-time order: a buffer per input partition */
    int nparts;
    int64_t buffered, buffered_bytes;
    int64_t max_task_idle_ms;
    int64_t idle_since;           /* mono ms the idle wait began, -1 = none (may_skip) */
    /* Exactly-once (runtime_enable_txn): the task's transactional producer,
     * and the first failure of a produce in the open transaction. */
    TxnProducer *txn;
    TxnStatus txn_failed;
    /* A remote exchange (op_exchange.c): the repartition topic (the
     * runtime's), and per source partition the next source offset an
     * entry must carry to count (lower: re-sent after its upstream task's
     * crash), kept with the task's offsets under the topic "<repartition
     * topic>#seen", partition = source partition * ntasks + index (so
     * every filter by partition % ntasks keeps it with its task); a join's
     * right side's under "<repartition topic>#seen1". */
    const char *repart;
    char *seen_topic[2];
    TopicPartitionOffset *seen;
    int nseen;
    int64_t n_resent;             /* entries dropped since the last log line */
    TopicPartitionOffset *alloffs; /* task_offsets: offs and seen */
    TransportRecord recs[BATCH_MAX];
};

static void rt_log(Task *rt, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Kept until the round ends (task_merge, on the engine's thread). */
static void rt_log(Task *rt, int level, const char *fmt, ...)
{
    if (rt->out == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    char line[1024];
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (rt->nlogs == rt->caplogs) {
        rt->caplogs = rt->caplogs ? rt->caplogs * 2 : 8;
        rt->logs = realloc(rt->logs, sizeof *rt->logs * (size_t)rt->caplogs);
        if (rt->logs == NULL)
            EDDY_PANIC("out of memory");
    }
    rt->logs[rt->nlogs].level = level;
    rt->logs[rt->nlogs].text = strdup(line);
    if (rt->logs[rt->nlogs].text == NULL)
        EDDY_PANIC("out of memory");
    rt->nlogs++;
}

/* At most 5 bad-record lines per second per query; the rest are counted. */
static void log_bad_record(Task *rt, const TransportRecord *rec, const char *why)
{
    int64_t now = eddy_mono_ms();
    if (now - rt->log_window_ms >= 1000) {
        if (rt->suppressed > 0)
            rt_log(rt, 1, "query %s: %lld more bad records not shown", rt->q->id,
                   (long long)rt->suppressed);
        rt->log_window_ms = now;
        rt->logged_in_window = 0;
        rt->suppressed = 0;
    }
    if (rt->logged_in_window++ < 5)
        rt_log(rt, 1, "query %s: skipped bad record at %s[%d]@%lld: %s", rt->q->id, rec->topic,
               rec->partition, (long long)rec->offset, why);
    else
        rt->suppressed++;
}

/* The processing log's entry for a skipped record, in ksqlDB's shape (a
 * deserialization error, message type 0) with the record's partition and
 * offset added, and its value's bytes always included (README.md,
 * "Processing log").  Not while muted: a REPLAY re-processing records
 * already logged would log them again. */
static int log_to_topic(Task *rt, const TransportRecord *rec, const char *why,
                        EddyError *err)
{
    if (rt->plog_topic == NULL || rt->muted)
        return 0;
    StrBuf b64 = {0};
    value_base64_encode(rec->value ? rec->value : "", rec->value_len, &b64);
    char logger[300];
    snprintf(logger, sizeof logger, "processing.%s", rt->q->id);
    json_t *entry = json_pack(
        "{s:s, s:s, s:I, s:{s:i, s:{s:s, s:s, s:s, s:[], s:s, s:i, s:I}, s:n, s:n, s:n, s:n}}",
        "level", "ERROR", "logger", logger, "time", (json_int_t)eddy_now_ms(), "message",
        "type", 0, "deserializationError", "target", "value", "errorMessage", why ? why : "",
        "recordB64", b64.data ? b64.data : "", "cause", "topic", rec->topic, "partition",
        (int)rec->partition, "offset", (json_int_t)rec->offset, "recordProcessingError",
        "productionError", "serializationError", "kafkaStreamsThreadError");
    sb_free(&b64);
    char *text = entry ? json_dumps(entry, JSON_COMPACT) : NULL;
    json_decref(entry);
    if (text == NULL)
        EDDY_PANIC("out of memory");
    int rc = rt->t->ops->produce(rt->t, rt->plog_topic, -1, NULL, 0, text, strlen(text),
                                 rec->timestamp, err);
    free(text);
    return rc;
}

static void task_set_processing_log(Task *rt, const char *topic)
{
    free(rt->plog_topic);
    rt->plog_topic = topic ? strdup(topic) : NULL;
}

/* One record of the task's output (partition -1: the partitioner's):
 * into its transaction under exactly-once, else to the transport. */
static int task_send(Task *rt, const char *topic, int32_t partition, const void *key, size_t klen,
                     const void *value, size_t vlen, int64_t timestamp, EddyError *err)
{
    if (rt->txn) {
        /* A failure is the commit's to handle (the transaction aborts and
         * the task rewinds): processing goes on until the checkpoint. */
        EddyError terr;
        TxnStatus st = rt->txn_failed == TXN_OK
                           ? kafka_txn_produce(rt->txn, topic, partition, key, klen, value, vlen,
                                               timestamp, &terr)
                           : rt->txn_failed;
        if (st != TXN_OK && rt->txn_failed == TXN_OK) {
            rt->txn_failed = st;
            rt_log(rt, 2, "query %s task %d: %s", rt->q->id, rt->index, terr.msg);
        }
        return 0;
    }
    return rt->t->ops->produce(rt->t, topic, partition, key, klen, value, vlen, timestamp, err);
}

/* The sink's output (OpCtx.out): records to the transport, a transient
 * query's rows to its client. */
static int rt_produce(void *ud, const char *topic, const void *key, size_t klen, const void *value,
                      size_t vlen, int64_t timestamp, EddyError *err)
{
    Task *rt = ud;
    if (rt->muted) {
        rt->muted_out++;
        return 0;
    }
    return task_send(rt, topic, -1, key, klen, value, vlen, timestamp, err);
}

/* A remote exchange's entry for task `partition` (OpOutput.repartition). */
static int rt_repartition(void *ud, int32_t partition, const void *key, size_t klen,
                          const void *value, size_t vlen, int64_t timestamp, EddyError *err)
{
    Task *rt = ud;
    return task_send(rt, rt->repart, partition, key, klen, value, vlen, timestamp, err);
}

/* Whether a repartition entry from (source partition, offset) counts: an
 * upstream task restarted from its last checkpoint sends the entries after
 * it again, and those this task has counted come before the next offset
 * it keeps for their source partition (entries of one source partition
 * reach a repartition partition in offset order: one idempotent producer
 * at a time).  Counting it moves that offset on. */
static bool seen_first_time(Task *rt, int side, int32_t partition, int64_t offset)
{
    for (int i = 0; i < rt->nseen; i++) {
        if (rt->seen[i].partition != partition || rt->seen[i].topic != rt->seen_topic[side])
            continue;
        if (offset < rt->seen[i].offset)
            return false;
        rt->seen[i].offset = offset + 1;
        return true;
    }
    rt->seen = realloc(rt->seen, sizeof *rt->seen * (size_t)(rt->nseen + 1));
    if (rt->seen == NULL)
        EDDY_PANIC("out of memory");
    rt->seen[rt->nseen++] = (TopicPartitionOffset){rt->seen_topic[side], partition, offset + 1};
    return true;
}

/* True while rec lies below its partition's mute target; a partition that
 * reached its target leaves the list (the replay there is past muting). */
static bool below_mute(Task *rt, const TransportRecord *rec)
{
    for (int i = 0; i < rt->nmute; i++) {
        TopicPartitionOffset *m = &rt->mute[i];
        if (m->partition != rec->partition || strcmp(m->topic, rec->topic) != 0)
            continue;
        if (rec->offset < m->offset)
            return true;
        *m = rt->mute[--rt->nmute];
        return false;
    }
    return false;
}

static void rt_deliver(void *ud, const Schema *schema, const Row *row)
{
    Task *rt = ud;
    rt->rows(rt->rows_ud, schema, row);
}

static void note_offset(Task *rt, const TransportRecord *rec);

/* The query's own copy of an input topic's name, NULL if not an input. */
static const char *input_topic(const Task *rt, const char *name)
{
    if (rt->repart && strcmp(rt->repart, name) == 0)
        return rt->repart;
    for (int i = 0; i < rt->q->ninputs; i++)
        if (strcmp(rt->q->inputs[i]->topic, name) == 0)
            return rt->q->inputs[i]->topic;
    return NULL;
}

/* The buffer of (topic, partition), added if new; NULL if topic is not
 * an input of the query. */
static PartBuf *part_buf(Task *rt, const char *topic, int32_t partition)
{
    for (int i = 0; i < rt->nparts; i++)
        if (rt->parts[i].partition == partition && strcmp(rt->parts[i].topic, topic) == 0)
            return &rt->parts[i];
    const char *own = input_topic(rt, topic);
    if (own == NULL)
        return NULL;
    rt->parts = realloc(rt->parts, sizeof *rt->parts * (size_t)(rt->nparts + 1));
    if (rt->parts == NULL)
        EDDY_PANIC("out of memory");
    PartBuf *b = &rt->parts[rt->nparts++];
    *b = (PartBuf){.topic = own, .partition = partition, .empty_since = -1};
    return b;
}

static void buffer_add(Task *rt, const TransportRecord *rec)
{
    PartBuf *b = part_buf(rt, rec->topic, rec->partition);
    if (b == NULL)
        return;   /* not an input (cannot happen: the consumer reads the inputs) */
    if (b->head > 0 && b->n == b->cap) {
        memmove(b->recs, b->recs + b->head, sizeof *b->recs * (size_t)(b->n - b->head));
        b->n -= b->head;
        b->head = 0;
    }
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->recs = realloc(b->recs, sizeof *b->recs * (size_t)b->cap);
        if (b->recs == NULL)
            EDDY_PANIC("out of memory");
    }
    b->recs[b->n] = (BufRec){.rec = *rec};
    b->recs[b->n].rec.topic = b->topic;
    b->n++;
    b->empty_since = -1;
    b->skip_until = 0;
    if (b->idled) {
        rt->idle_since = -1;   /* a partition idled for is live: the next idle waits afresh */
        for (int i = 0; i < rt->nparts; i++)
            rt->parts[i].skip_until = 0;   /* and may_skip's answers are stale */
    }
    b->idled = false;
    rt->buffered++;
}

/* Copies the key and value of every record still borrowed from the
 * consumer: its next poll ends them. */
static void buffer_own(Task *rt)
{
    for (int i = 0; i < rt->nparts; i++)
        for (int k = rt->parts[i].head; k < rt->parts[i].n; k++) {
            BufRec *r = &rt->parts[i].recs[k];
            if (r->own != NULL || (r->rec.key == NULL && r->rec.value == NULL))
                continue;
            r->own = malloc(r->rec.key_len + r->rec.value_len + 1);
            if (r->own == NULL)
                EDDY_PANIC("out of memory");
            if (r->rec.key) {
                memcpy(r->own, r->rec.key, r->rec.key_len);
                r->rec.key = r->own;
            }
            if (r->rec.value) {
                memcpy(r->own + r->rec.key_len, r->rec.value, r->rec.value_len);
                r->rec.value = r->own + r->rec.key_len;
            }
            rt->buffered_bytes += (int64_t)(r->rec.key_len + r->rec.value_len);
        }
}

/* True if an empty partition need not be waited for now (see the file
 * header): idling is off, or its records have been waited for
 * FETCH_WAIT_MS, or it is caught up and the query has idled
 * max.task.idle.ms.  That idle is one wait for all caught-up partitions,
 * not one each (a Kafka Streams task's deadlines are per partition, but a
 * task has one partition per input; a query here has all): it starts when
 * the first is found, and only records on a partition idled for start the
 * next.  So a catch-up whose partitions reach their ends one after the
 * other idles once, not once per partition. */
static bool may_skip_now(Task *rt, PartBuf *b, int64_t now)
{
    int64_t lag = rt->t->ops->consumer_partition_lag
                      ? rt->t->ops->consumer_partition_lag(rt->consumer, b->topic, b->partition)
                      : 0;
    if (lag != 0) {
        if (b->empty_since < 0)
            b->empty_since = now;
        return now - b->empty_since >= FETCH_WAIT_MS;
    }
    b->idled = true;
    if (rt->idle_since < 0)
        rt->idle_since = now;
    return now - rt->idle_since >= rt->max_task_idle_ms;
}

/* may_skip, remembered for SKIP_RECHECK_MS once it says yes: the lag
 * lookup is per partition, and a query with many empty partitions (a
 * small table over many partitions) would ask it for each, per record. */
static bool may_skip(Task *rt, PartBuf *b, int64_t now)
{
    if (rt->max_task_idle_ms < 0 || now < b->skip_until)
        return true;
    bool skip = may_skip_now(rt, b, now);
    if (skip)   /* asked again in a while, not for every record */
        b->skip_until = now + SKIP_RECHECK_MS;
    return skip;
}

/* The buffer whose head is processed next, or NULL to wait (an empty
 * partition may still bring an earlier record). */
static PartBuf *next_part(Task *rt)
{
    PartBuf *best = NULL;
    bool wait = false;
    int64_t now = -1;
    for (int i = 0; i < rt->nparts; i++) {
        PartBuf *b = &rt->parts[i];
        if (b->head == b->n) {
            if (now < 0)
                now = eddy_mono_ms();
            wait = wait || !may_skip(rt, b, now);
            continue;
        }
        if (best == NULL || b->recs[b->head].rec.timestamp < best->recs[best->head].rec.timestamp)
            best = b;
    }
    if (wait && rt->buffered_bytes < BUFFER_MAX_BYTES)
        return NULL;
    return best;
}

/* Creates the operators of p and its inputs, p's output going to down
 * (the sink first, then upward).  The only switch on plan tags that
 * builds operators. */
static int build(Task *rt, const Plan *p, Operator *down, EddyError *err)
{
    if (rt->nchain >= 60)
        return eddy_error(err, ERR_INTERNAL, (SrcPos){0}, "plan too large");
    Operator *op = NULL;
    switch (p->tag) {
    case PLAN_SOURCE:
        if (rt->nsources == 16)
            return eddy_error(err, ERR_UNSUPPORTED, (SrcPos){0}, "too many sources in one query");
        rt->source_topics[rt->nsources] = p->u.source.src->topic;
        rt->sources[rt->nsources] = op_source_create(p, &rt->ctx, down, rt->nsources);
        rt->nsources++;
        return 0;
    case PLAN_SINK: op = op_sink_create(p, &rt->ctx, err); break;
    case PLAN_PROJECT: op = op_project_create(p, &rt->ctx); break;
    case PLAN_REKEY: op = op_rekey_create(p, &rt->ctx); break;
    case PLAN_FILTER: op = op_filter_create(p, &rt->ctx); break;
    case PLAN_AGGREGATE:
        op = op_aggregate_create(p, &rt->ctx, err);
        if (op && rt->ctx.exchange && !rt->ctx.exchange->join) {
            /* Rows reach the aggregate through the exchange (op_exchange.c). */
            op->downstream = down;
            rt->chain[rt->nchain++] = op;
            down = op;
            op = rt->xop[0] = op_exchange_create(p, 0, &rt->ctx, err);
        }
        break;
    case PLAN_SCORE: op = op_score_create(p, &rt->ctx); break;
    case PLAN_FLATMAP: op = op_flatmap_create(p, &rt->ctx); break;
    case PLAN_JOIN: {
        op = op_join_create(p, &rt->ctx, err);
        if (op == NULL)
            return -1;
        op->downstream = down;
        rt->chain[rt->nchain++] = op;
        /* The two sides live inside the join and close with it. */
        Operator *l = op_join_side(op, 0), *r = op_join_side(op, 1);
        if (rt->ctx.exchange && rt->ctx.exchange->join && p->u.join.kind == JOIN_TABLE_TABLE_FK) {
            /* A foreign-key join: the left table's rows stay in their
             * task, the right table's go to every task (op_exchange.c). */
            Operator *x = rt->xop[1] = op_exchange_create(p, 1, &rt->ctx, err);
            if (x == NULL)
                return -1;
            x->downstream = r;
            rt->chain[rt->nchain++] = x;
            r = x;
        } else if (rt->ctx.exchange && rt->ctx.exchange->join) {
            /* Each side's rows reach their join key's task through an
             * exchange of their own (op_exchange.c). */
            Operator *x[2];
            for (int side = 0; side < 2; side++) {
                x[side] = rt->xop[side] = op_exchange_create(p, side, &rt->ctx, err);
                if (x[side] == NULL)
                    return -1;
                x[side]->downstream = side == 0 ? l : r;
                rt->chain[rt->nchain++] = x[side];
            }
            op_exchange_pair(x[0], x[1]);
            l = x[0];
            r = x[1];
        }
        if (build(rt, p->input, l, err) != 0)
            return -1;
        return build(rt, p->right, r, err);
    }
    }
    if (op == NULL)
        return -1;
    op->downstream = down;
    rt->chain[rt->nchain++] = op;
    if (p->input == NULL)
        return eddy_error(err, ERR_INTERNAL, (SrcPos){0}, "plan has no source");
    return build(rt, p->input, op, err);
}

static int build_chain(Task *rt, EddyError *err)
{
    return build(rt, rt->q->plan, NULL, err);
}

/* Appends every partition of topic at its low (earliest) or high end. */
static int add_ends(Task *rt, const char *topic, bool earliest, TopicPartitionOffset **out,
                    int *n, EddyError *err)
{
    int64_t *low, *high;
    int np = rt->t->ops->watermarks(rt->t, topic, &low, &high, err);
    if (np < 0)
        return -1;
    TopicPartitionOffset *grown = realloc(*out, sizeof **out * (size_t)(*n + np + 1));
    if (grown == NULL)
        EDDY_PANIC("out of memory");
    *out = grown;
    for (int p = 0; p < np; p++)
        (*out)[(*n)++] = (TopicPartitionOffset){topic, p, earliest ? low[p] : high[p]};
    free(low);
    free(high);
    return 0;
}

/* Where a stateful query with no offsets in its state starts: every input
 * partition at the reset policy's end (its low or high watermark), so that
 * offsets a consumer group of the same name committed in an earlier life
 * (a state directory deleted and the statements run again) are not taken:
 * state built from the middle of a topic would count wrong.  A stateless
 * query may resume from them (its output is at-least-once anyway).
 * *out is malloc'd (topics borrowed from the query's sources). */
static int fresh_start(Task *rt, OffsetReset reset, TopicPartitionOffset **out, int *n,
                       EddyError *err)
{
    const Query *q = rt->ctx.query;
    *out = NULL;
    *n = 0;
    int rc = 0;
    for (int i = 0; i < q->ninputs && rc == 0; i++) {
        bool seen = false;
        for (int k = 0; k < i; k++)
            seen = seen || strcmp(q->inputs[k]->topic, q->inputs[i]->topic) == 0;
        if (!seen)   /* a self-join reads its topic once */
            rc = add_ends(rt, q->inputs[i]->topic, reset == RESET_EARLIEST, out, n, err);
    }
    /* The repartition topic holds only this query's rows, all after their
     * source records: a task new to it reads it from its start. */
    if (rc == 0 && rt->repart)
        rc = add_ends(rt, rt->repart, true, out, n, err);
    if (rc != 0) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

/* The consumer group of q's input offsets (Query.offsets_group). */
static void offsets_group(const Query *q, char *buf, size_t size)
{
    if (q->offsets_group)
        snprintf(buf, size, "%s", q->offsets_group);
    else
        snprintf(buf, size, "eddy_%s", q->id);
}

static Task *task_start(int index, int ntasks, bool assigned, int slot, Exchange *exchange,
                       Query *q, Transport *t, StateDb *db, OffsetReset reset, RowFn rows,
                       void *rows_ud, const EngineOutput *out, int64_t commit_interval_ms,
                       EddyError *err)
{
    Task *rt = calloc(1, sizeof *rt);
    if (rt == NULL)
        EDDY_PANIC("out of memory");
    rt->index = index;
    rt->ntasks = ntasks;
    rt->q = q;
    rt->t = t;
    rt->db = db;
    rt->rows = rows;
    rt->rows_ud = rows_ud;
    rt->out = out;
    rt->batch = arena_create(256 * 1024);
    rt->commit_interval_ms = commit_interval_ms;
    rt->last_commit_ms = eddy_mono_ms();
    rt->progress_ms = rt->last_commit_ms;
    rt->max_task_idle_ms = RUNTIME_MAX_TASK_IDLE_MS;
    rt->idle_since = -1;
    rt->ctx.eval.arena = rt->batch;
    rt->ctx.out = (OpOutput){.produce = rt_produce, .deliver = rt_deliver,
                             .repartition = rt_repartition, .ud = rt};
    rt->ctx.emitted = &rt->emitted;
    rt->ctx.state = db;
    rt->ctx.query_id = q->id;
    rt->ctx.late_dropped = &rt->n_late;
    rt->ctx.task = index;
    rt->ctx.ntasks = ntasks;
    rt->ctx.slot = slot;
    rt->ctx.exchange = exchange;
    rt->ctx.muted = &rt->muted;
    rt->ctx.query = q;
    if (exchange && exchange->remote) {
        rt->repart = exchange->topic;
        size_t len = strlen(exchange->topic) + sizeof "#seen1";
        for (int side = 0; side < 2; side++) {
            rt->seen_topic[side] = malloc(len);
            if (rt->seen_topic[side] == NULL)
                EDDY_PANIC("out of memory");
            snprintf(rt->seen_topic[side], len, "%s#seen%s", exchange->topic, side ? "1" : "");
        }
    }
    if (build_chain(rt, err) != 0) {
        task_stop(rt);
        return NULL;
    }
    /* The offsets stored with the state win over the group's commits: the
     * consumer starts there (no seek after the open, so no record from an
     * earlier position can be taken). */
    TopicPartitionOffset *stored = NULL;
    int nstored = 0;
    if (db && q->kind != QUERY_TRANSIENT &&
        statedb_read_offsets(db, q->id, &stored, &nstored, err) != 0) {
        task_stop(rt);
        return NULL;
    }
    /* Assigned mode (engine/README.md, "Scale-out"): a stateless task
     * moves between members with the offsets committed to Kafka, not the
     * ones this member stored when it last ran it; a stateful one starts a
     * partition no checkpoint knows at the reset policy's end, never at
     * another member's commit (its state would not match). */
    if (assigned && rt->ctx.nstores == 0) {
        statedb_free_offsets(stored, nstored);
        stored = NULL;
        nstored = 0;
    }
    /* A remote exchange's source positions (Task.seen) are kept with the
     * offsets; they leave the list the consumer starts from. */
    for (int i = 0; rt->seen_topic[0] && i < nstored;) {
        int side = strcmp(stored[i].topic, rt->seen_topic[0]) == 0   ? 0
                   : strcmp(stored[i].topic, rt->seen_topic[1]) == 0 ? 1
                                                                      : -1;
        if (side < 0) {
            i++;
            continue;
        }
        if (stored[i].partition % ntasks == index) {
            rt->seen = realloc(rt->seen, sizeof *rt->seen * (size_t)(rt->nseen + 1));
            if (rt->seen == NULL)
                EDDY_PANIC("out of memory");
            rt->seen[rt->nseen++] = (TopicPartitionOffset){
                rt->seen_topic[side], stored[i].partition / ntasks, stored[i].offset};
        }
        free((char *)stored[i].topic);
        stored[i] = stored[--nstored];
    }
    TopicPartitionOffset *fresh = NULL;
    int nfresh = 0;
    if ((nstored == 0 || assigned) && rt->ctx.nstores > 0 && q->kind != QUERY_TRANSIENT &&
        fresh_start(rt, reset, &fresh, &nfresh, err) != 0) {
        statedb_free_offsets(stored, nstored);
        task_stop(rt);
        return NULL;
    }
    const TopicPartitionOffset *start = nfresh ? fresh : stored;
    int nstart = nfresh ? nfresh : nstored;
    if (nstored > 0 && nfresh > 0) {
        /* The stored offsets, and a fresh start for this task's partitions
         * they lack (assigned mode). */
        int k = 0;
        for (int i = 0; i < nfresh; i++) {
            bool known = fresh[i].partition % ntasks != index;
            for (int j = 0; j < nstored && !known; j++)
                known = stored[j].partition == fresh[i].partition &&
                        strcmp(stored[j].topic, fresh[i].topic) == 0;
            if (!known)
                fresh[k++] = fresh[i];
        }
        nfresh = k;
        TopicPartitionOffset *both = realloc(fresh, sizeof *both * (size_t)(nfresh + nstored + 1));
        if (both == NULL)
            EDDY_PANIC("out of memory");
        fresh = both;
        memcpy(fresh + nfresh, stored, sizeof *stored * (size_t)nstored);
        start = fresh;
        nstart = nfresh + nstored;
    }
    int ntopics = q->ninputs;
    const char **topics = calloc((size_t)ntopics + 1, sizeof(char *));
    for (int i = 0; i < q->ninputs; i++)
        topics[i] = q->inputs[i]->topic;
    if (rt->repart)
        topics[ntopics++] = rt->repart;   /* other tasks' rows for this one's groups */
    char group[512];
    offsets_group(q, group, sizeof group);
    rt->consumer = ntasks > 1 ? t->ops->consumer_open_task(t, group, topics, ntopics, reset,
                                                           start, nstart, index, ntasks, err)
                              : t->ops->consumer_open(t, group, topics, ntopics, reset, start,
                                                      nstart, err);
    if (rt->consumer == NULL) {
        free(topics);
        free(fresh);
        statedb_free_offsets(stored, nstored);
        task_stop(rt);
        return NULL;
    }
    /* A fresh start's positions count as processed up to there, so that a
     * checkpoint taken before a partition's first record still says where
     * it starts: a restart (or a restore from the changelog) must not take
     * the reset policy's end again, later (with `latest` that would skip
     * what arrived meanwhile). */
    for (int i = 0; i < nfresh; i++) {
        if (fresh[i].partition % ntasks != index)
            continue;
        TransportRecord r = {.topic = fresh[i].topic, .partition = fresh[i].partition,
                             .offset = fresh[i].offset - 1};
        note_offset(rt, &r);
    }
    free(fresh);
    for (int i = 0; i < nstored; i++) {
        if (stored[i].partition % ntasks != index)
            continue;   /* another task's */
        TransportRecord r = {.topic = stored[i].topic, .partition = stored[i].partition,
                             .offset = stored[i].offset - 1};
        note_offset(rt, &r);
    }
    if (nstored > 0)
        rt->dirty = false;
    statedb_free_offsets(stored, nstored);
    /* Every partition the consumer was assigned, so that one that has not
     * delivered yet is waited for too. */
    for (int i = 0; i < ntopics; i++) {
        int np = t->ops->topic_partitions(t, topics[i]);
        for (int p = index; p < np; p += ntasks)
            part_buf(rt, topics[i], p);
    }
    free(topics);
    return rt;
}

static void note_offset(Task *rt, const TransportRecord *rec)
{
    for (int i = 0; i < rt->noffs; i++)
        if (rt->offs[i].partition == rec->partition && strcmp(rt->offs[i].topic, rec->topic) == 0) {
            rt->offs[i].offset = rec->offset + 1;
            return;
        }
    if (rt->noffs == rt->capoffs) {
        rt->capoffs = rt->capoffs ? rt->capoffs * 2 : 8;
        rt->offs = realloc(rt->offs, sizeof(TopicPartitionOffset) * (size_t)rt->capoffs);
    }
    /* Topic names of records are borrowed; keep the query's own copy. */
    const char *topic = input_topic(rt, rec->topic);
    if (topic == NULL)
        return;   /* not an input of this query (a stale stored offset) */
    rt->offs[rt->noffs++] = (TopicPartitionOffset){topic, rec->partition, rec->offset + 1};
}

/* The batch is over: operators that hold rows (SCORE) push them on,
 * upstream ones first (chain[] is built from the sink upward), so one
 * holding rows for another below it hands them over before that one ends
 * its batch. */
static int batch_end(Task *rt, EddyError *err)
{
    int64_t before = rt->emitted;
    for (int i = rt->nchain - 1; i >= 0; i--)
        if (rt->chain[i]->ops->batch_end && rt->chain[i]->ops->batch_end(rt->chain[i], err) != 0)
            return -1;
    rt->n_out += rt->emitted - before;
    return 0;
}

/* Processes one record (its result, its offset). */
static int process(Task *rt, const TransportRecord *rec, EddyError *err)
{
    EddyError rerr;
    eddy_error_clear(&rerr);
    int64_t before = rt->emitted, muted_before = rt->muted_out;
    rt->muted = rt->nmute > 0 && below_mute(rt, rec);
    int rc = 0;
    if (rt->repart && strcmp(rec->topic, rt->repart) == 0) {
        /* Another task's row for a group (or join key) of this one
         * (op_exchange.c). */
        int side;
        int32_t from;
        int64_t at;
        if (op_exchange_is_mark(rec->value, rec->value_len) && rt->xop[0]) {
            rc = op_exchange_receive(rt->xop[0], rec->value, rec->value_len, &rerr);
        } else if (!op_exchange_origin(rec->value, rec->value_len, &side, &from, &at) ||
                   rt->xop[side] == NULL) {
            eddy_error(&rerr, ERR_RUNTIME, (SrcPos){0}, "not a repartition entry");
            rc = 1;
        } else if (seen_first_time(rt, side, from, at)) {
            rc = op_exchange_receive(rt->xop[side], rec->value, rec->value_len, &rerr);
        } else {
            rt->n_resent++;
        }
    }
    for (int k = 0; k < rt->nsources && rc == 0; k++)
        if (strcmp(rt->source_topics[k], rec->topic) == 0)
            rc = op_source_record(rt->sources[k], rec, &rerr);
    rt->n_in++;
    if (rc > 0) {
        rt->n_skipped++;
        log_bad_record(rt, rec, rerr.msg);
        if (log_to_topic(rt, rec, rerr.msg, err) != 0)
            return -1;   /* as a sink that cannot produce */
    } else if (rc < 0) {
        /* An output that cannot be encoded or produced: the record's
         * result is lost only if we go on, so stop the query. */
        *err = rerr;
        return -1;
    }
    rt->n_out += (rt->emitted - before) - (rt->muted_out - muted_before);
    note_offset(rt, rec);
    rt->dirty = true;
    return 0;
}

static int task_poll(Task *rt, int timeout_ms, EddyError *err)
{
    /* No wait for new records while buffered ones can go now. */
    if (rt->buffered > 0 && next_part(rt) != NULL)
        timeout_ms = 0;
    int n = rt->t->ops->consumer_poll(rt->consumer, rt->recs, BATCH_MAX, timeout_ms, err);
    if (n < 0)
        return n;
    for (int i = 0; i < n; i++)
        buffer_add(rt, &rt->recs[i]);
    /* Up to two batches per call (the batch arena's lifetime), so that a
     * buffer filled while waiting drains. */
    int done = 0;
    for (PartBuf *b; done < 2 * BATCH_MAX && !task_done(rt) && (b = next_part(rt)) != NULL;
         done++) {
        BufRec *r = &b->recs[b->head];
        if (process(rt, &r->rec, err) != 0)
            return -1;
        if (r->own) {
            rt->buffered_bytes -= (int64_t)(r->rec.key_len + r->rec.value_len);
            free(r->own);
        }
        rt->buffered--;
        if (++b->head == b->n)
            b->head = b->n = 0;
    }
    buffer_own(rt);
    if (n > 0 || done > 0)
        rt->progress_ms = eddy_mono_ms();   /* the stall watch: records taken */
    if (done == 0)
        return n;
    if (batch_end(rt, err) != 0)
        return -1;
    Query *q = rt->q;
    if (rt->ctx.eval.errors > 0) {
        rt->n_eval += rt->ctx.eval.errors;
        rt_log(rt, 1, "query %s: %lld expression errors in the last batch (values set to null), last: %s",
               q->id, (long long)rt->ctx.eval.errors, rt->ctx.eval.last_error.msg);
        rt->ctx.eval.errors = 0;
    }
    if (rt->n_resent > 0) {
        rt_log(rt, 0, "query %s task %d: %lld repartition records dropped, sent again after "
                      "their upstream task restarted (already counted)",
               q->id, rt->index, (long long)rt->n_resent);
        rt->n_resent = 0;
    }
    rt->muted = false;
    arena_reset(rt->batch);
    return n > done ? n : done;
}

/* The rows other tasks sent this one this round go up through its
 * aggregate (op_exchange_drain); then the batch ends as a poll's does. */
static int task_drain(Task *rt, EddyError *err)
{
    if (rt->xop[0] == NULL || rt->ctx.exchange->remote)
        return 0;   /* a remote exchange's rows come as input records */
    int64_t before = rt->emitted, muted_before = rt->muted_out;
    if (op_exchange_drain(rt->xop[0], err) != 0)
        return -1;
    rt->n_out += (rt->emitted - before) - (rt->muted_out - muted_before);
    if (batch_end(rt, err) != 0)
        return -1;
    if (rt->ctx.eval.errors > 0) {
        rt->n_eval += rt->ctx.eval.errors;
        rt->ctx.eval.errors = 0;
    }
    rt->muted = false;
    arena_reset(rt->batch);
    return 0;
}

static void task_set_max_task_idle(Task *rt, int64_t ms)
{
    rt->max_task_idle_ms = ms;
}

static void task_mute_until(Task *rt, const TopicPartitionOffset *until, int n)
{
    free(rt->mute);
    rt->mute = NULL;
    rt->nmute = 0;
    for (int i = 0; i < n; i++) {
        const char *topic = input_topic(rt, until[i].topic);
        if (topic == NULL || until[i].partition % rt->ntasks != rt->index)
            continue;
        rt->mute = realloc(rt->mute, sizeof *rt->mute * (size_t)(rt->nmute + 1));
        if (rt->mute == NULL)
            EDDY_PANIC("out of memory");
        rt->mute[rt->nmute++] = (TopicPartitionOffset){topic, until[i].partition, until[i].offset};
    }
}

static int64_t task_muted_records(const Task *rt)
{
    return rt->muted_out;
}

static int task_store_count(const Task *rt)
{
    return rt->ctx.nstores;
}

static bool task_at_end(Task *rt)
{
    return rt->buffered == 0 && rt->t->ops->consumer_at_end(rt->consumer);
}

static int64_t task_lag(Task *rt)
{
    int64_t lag = rt->t->ops->consumer_lag ? rt->t->ops->consumer_lag(rt->consumer) : -1;
    return lag < 0 ? lag : lag + rt->buffered;
}

static bool task_done(Task *rt)
{
    const Plan *sink = rt->q->plan;
    return sink->tag == PLAN_SINK && sink->u.sink.limit >= 0 && rt->emitted >= sink->u.sink.limit;
}

static bool task_commit_due(Task *rt, int64_t now_ms)
{
    return rt->dirty && now_ms - rt->last_commit_ms >= rt->commit_interval_ms;
}

static int task_commit(Task *rt, EddyError *err)
{
    rt->last_commit_ms = eddy_mono_ms();
    if (!rt->dirty || rt->noffs == 0)
        return 0;
    if (rt->t->ops->consumer_commit(rt->consumer, rt->offs, rt->noffs, err) != 0)
        return -1;
    rt->dirty = false;
    return 0;
}

static int task_offsets(Task *rt, const TopicPartitionOffset **offs)
{
    *offs = rt->offs;
    if (rt->nseen == 0)
        return rt->noffs;
    /* With the positions of a remote exchange's sources (Task.seen). */
    rt->alloffs = realloc(rt->alloffs, sizeof *rt->alloffs * (size_t)(rt->noffs + rt->nseen));
    if (rt->alloffs == NULL)
        EDDY_PANIC("out of memory");
    if (rt->noffs > 0)
        memcpy(rt->alloffs, rt->offs, sizeof *rt->offs * (size_t)rt->noffs);
    for (int i = 0; i < rt->nseen; i++) {
        rt->alloffs[rt->noffs + i] = rt->seen[i];
        rt->alloffs[rt->noffs + i].partition = rt->seen[i].partition * rt->ntasks + rt->index;
    }
    *offs = rt->alloffs;
    return rt->noffs + rt->nseen;
}

static void task_mark_clean(Task *rt)
{
    rt->dirty = false;
}

static void task_drop_state(Task *rt)
{
    EddyError err;
    if (rt->db == NULL)
        return;
    for (int i = 0; i < rt->ctx.nstores; i++)
        statedb_drop_store(rt->db, rt->ctx.store_names[i], &err);
    statedb_delete_offsets(rt->db, rt->q->id, &err);
}

static void task_stop(Task *rt)
{
    if (rt == NULL)
        return;
    kafka_txn_close(rt->txn);   /* an open transaction is aborted */
    for (int i = 0; i < rt->ctx.nstores; i++)
        free(rt->ctx.store_names[i]);
    if (rt->consumer)
        rt->t->ops->consumer_close(rt->consumer);
    for (int i = 0; i < rt->nchain; i++)
        rt->chain[i]->ops->close(rt->chain[i]);
    for (int i = 0; i < rt->nsources; i++)
        op_source_destroy(rt->sources[i]);
    arena_destroy(rt->batch);
    for (int i = 0; i < rt->nparts; i++) {
        for (int k = rt->parts[i].head; k < rt->parts[i].n; k++)
            free(rt->parts[i].recs[k].own);
        free(rt->parts[i].recs);
    }
    free(rt->parts);
    free(rt->offs);
    free(rt->alloffs);
    free(rt->seen);
    free(rt->seen_topic[0]);
    free(rt->seen_topic[1]);
    free(rt->mute);
    free(rt->plog_topic);
    for (int i = 0; i < rt->nlogs; i++)
        free(rt->logs[i].text);
    free(rt->logs);
    free(rt);
}

/* ---- the query: its tasks ------------------------------------------------ */

struct QueryRuntime {
    Query *q;
    Task **tasks;
    int ntasks;
    int total;                    /* tasks of the query (more than ntasks when owned, below) */
    int *owned;                   /* assigned mode: the task index of each of tasks[] */
    GroupMember *member;          /* assigned mode: the query's group membership, or NULL */
    bool awaiting;                /* assigned mode: no assignment received yet */
    int workers;                  /* task i runs on worker i % workers */
    TopicPartitionOffset *offs;   /* runtime_offsets: every task's, one after the other */
    int capoffs;
    bool stalled;
    int64_t stalled_ms;           /* idle time at the last check while stalled */
    Exchange exchange;            /* ntasks > 0: groups spread over tasks (op_exchange.c) */
    Changelog *changelog;         /* its stores' changelog (changelog.c), or NULL */
    StateDb *db;                  /* its state (what a member holding no task drops) */
};

/* Where a query's tasks hand rows to each other (op_exchange.c). */
enum { XCHG_NONE, XCHG_AGGREGATE, XCHG_JOIN };

/* One exchange point per query: a second turns *ok false. */
static void set_exchange(int *exchange, int kind, bool *ok)
{
    if (*exchange != XCHG_NONE && *exchange != kind)
        *ok = false;
    else if (*exchange == kind)
        *ok = false;   /* two aggregates or two joins that would each exchange */
    *exchange = kind;
}

/* Are the rows a node gives keyed as its source's records are (so a key
 * lives in one input partition)?  *ok turns false for a node whose state
 * would span partitions: a join, an aggregate or a table grouped by
 * anything but the source's key.  Such a query is one task.  `remote`:
 * the exchange would go through a repartition topic (assigned mode). */
static bool keyed_like_source(const Plan *p, bool remote, bool *ok, int *exchange)
{
    switch (p->tag) {
    case PLAN_SOURCE:
        /* A windowed source's (key, window) is in one partition whichever
         * partitioner wrote it (the whole key's bytes, as eddy's sinks, or
         * the key without its window, as Kafka Streams'): on tasks shared
         * by members it divides like any source (else every member would
         * run it whole); on threads it stays one task. */
        if (p->u.source.src->window_kind != WKIND_NONE && !remote)
            *ok = false;
        return true;
    case PLAN_FILTER:
    case PLAN_SCORE:
    case PLAN_PROJECT:
    case PLAN_FLATMAP:   /* a table function's rows keep their record's key */
        return keyed_like_source(p->input, remote, ok, exchange);
    case PLAN_REKEY:
        keyed_like_source(p->input, remote, ok, exchange);
        return false;
    case PLAN_AGGREGATE: {
        const Schema *in = p->input->schema;
        bool keyed = keyed_like_source(p->input, remote, ok, exchange);
        bool same = keyed && p->u.aggregate.nkeys == in->nkeys;
        for (int i = 0; same && i < p->u.aggregate.nkeys; i++) {
            const BExpr *k = p->u.aggregate.keys[i];
            same = k->kind == BX_COLUMN && k->u.column == i;
        }
        /* Grouped by something else: the groups are spread over the tasks
         * through an exchange.  A table's change retracts its old row from
         * a group that may be another task's: through a repartition topic
         * its entry carries the old row (or goes as a retraction and an
         * addition, op_exchange.c); in process it is one task.  A windowed
         * one closes windows on its partitions' stream times, which a
         * group's owner hears through a repartition topic (time marks);
         * the in-process exchange has no marks, so there it is one task. */
        if (!same && ((p->u.aggregate.input_is_table || p->u.aggregate.window.kind != WKIND_NONE) &&
                      !remote))
            *ok = false;
        else if (!same)
            set_exchange(exchange, XCHG_AGGREGATE, ok);
        return true;
    }
    case PLAN_SINK: {
        bool keyed = keyed_like_source(p->input, remote, ok, exchange);
        if (p->u.sink.sink && p->u.sink.sink->is_table && !keyed)
            *ok = false;
        return keyed;
    }
    case PLAN_JOIN: {
        /* Two sources joined on their keys (co-partitioned: task_count
         * checks their partition counts) keep each key's rows, buffers and
         * table rows in one task; any other join is one task. */
        const Plan *l = p->input, *r = p->right;
        const BExpr *lk = p->u.join.left_key, *rk = p->u.join.right_key;
        bool keyed = l->tag == PLAN_SOURCE && r->tag == PLAN_SOURCE &&
                     p->u.join.kind != JOIN_TABLE_TABLE_FK && lk && rk && lk->kind == BX_COLUMN &&
                     rk->kind == BX_COLUMN && lk->u.column == 0 && rk->u.column == 0 &&
                     l->schema->nkeys == 1 && r->schema->nkeys == 1;
        /* A stream-table join on a value of the stream (the table on its
         * key), or a stream-stream join on values, through a repartition
         * topic: each side's rows go to the task their join key hashes to,
         * so a key's rows meet there; a stream-stream join's windows close
         * on partition times that come with the rows and in time marks, as
         * a windowed aggregate's (op_exchange.c). */
        bool by_value = !keyed && remote && lk && rk && !p->u.join.windowed &&
                        ((p->u.join.kind == JOIN_STREAM_TABLE && rk->kind == BX_COLUMN &&
                          rk->u.column == 0 && r->schema->nkeys == 1) ||
                         p->u.join.kind == JOIN_STREAM_STREAM);
        /* A foreign-key join through a repartition topic: the left table
         * stays in its tasks (keyed as its source: its key's output stays
         * in one task, in order), the right table's rows go to every task
         * (op_exchange.c). */
        if (!keyed && remote && lk && rk && !p->u.join.windowed &&
            p->u.join.kind == JOIN_TABLE_TABLE_FK) {
            int below = XCHG_NONE;
            bool left_keyed = keyed_like_source(l, remote, ok, &below);
            keyed_like_source(r, remote, ok, &below);
            if (below != XCHG_NONE || !left_keyed)
                *ok = false;
            set_exchange(exchange, XCHG_JOIN, ok);
            return left_keyed;
        }
        if (keyed) {
            keyed_like_source(l, remote, ok, exchange);
            keyed_like_source(r, remote, ok, exchange);
        } else if (by_value) {
            int below = XCHG_NONE;
            keyed_like_source(l, remote, ok, &below);
            keyed_like_source(r, remote, ok, &below);
            if (below != XCHG_NONE)
                *ok = false;
            set_exchange(exchange, XCHG_JOIN, ok);
        } else {
            *ok = false;
        }
        return keyed;
    }
    }
    *ok = false;
    return false;
}

static bool plan_stateful(const Plan *p)
{
    for (; p; p = p->input) {
        if (p->tag == PLAN_AGGREGATE || p->tag == PLAN_JOIN)
            return true;
        if (p->tag == PLAN_SOURCE && p->u.source.src->is_table)
            return true;
        if (p->tag == PLAN_SINK && p->u.sink.sink && p->u.sink.sink->is_table)
            return true;
    }
    return false;
}

/* Whether q's state has stored offsets (state from before a split is
 * whole): 1 yes, 0 no, -1 with err. */
static int has_offsets(StateDb *db, const Query *q, EddyError *err)
{
    TopicPartitionOffset *stored = NULL;
    int nstored = 0;
    if (statedb_read_offsets(db, q->id, &stored, &nstored, err) != 0)
        return -1;
    statedb_free_offsets(stored, nstored);
    return nstored > 0;
}

/* Whether q's state keeps to its inputs' partitions, so that partition p
 * of every input can be task p's (keyed_like_source; inputs
 * co-partitioned); *exchange says where rows are spread through an
 * exchange (XCHG_*). */
static bool partition_local(Query *q, Transport *t, bool remote, int *exchange)
{
    bool ok = q->kind != QUERY_TRANSIENT && q->ninputs >= 1 && t->ops->consumer_open_task;
    *exchange = XCHG_NONE;
    if (ok)
        keyed_like_source(q->plan, remote, &ok, exchange);
    for (int i = 1; ok && i < q->ninputs; i++)
        ok = t->ops->topic_partitions(t, q->inputs[i]->topic) ==
             t->ops->topic_partitions(t, q->inputs[0]->topic);
    return ok;
}

/* How many tasks q runs as (engine/README.md, "Tasks and threads"): one
 * per worker (at most one per input partition) when its state keeps to
 * partitions, and stateful state records the count, which then holds for
 * the state's life; state written whole (a count of 0 with offsets) stays
 * one task. */
static int task_count(Query *q, Transport *t, StateDb *db, int workers, int *exchange,
                      EddyError *err)
{
    bool ok = partition_local(q, t, false, exchange);
    if (*exchange != XCHG_NONE && q->ninputs > 1)
        ok = false;   /* an exchange below a join's aggregate: not built */
    bool stateful = db && q->kind != QUERY_TRANSIENT && plan_stateful(q->plan);
    int recorded = 0;
    if (stateful && statedb_read_tasks(db, q->id, &recorded, err) != 0)
        return -1;
    if (recorded > 1 && !ok)
        return eddy_error(err, ERR_UNSUPPORTED, (SrcPos){0},
                          "the state of query %s is split into %d tasks, and its plan now needs "
                          "one task: rebuild it with REPLAY QUERY %s FROM BEGINNING WITH EMPTY "
                          "STATE", q->id, recorded, q->id);
    if (recorded > 0)
        return recorded;
    if (!ok || workers <= 1)
        return 1;
    int np = t->ops->topic_partitions(t, q->inputs[0]->topic);
    int n = np < workers ? np : workers;
    if (n < 1)
        n = 1;
    if (!stateful)
        return n;
    int whole = has_offsets(db, q, err);
    if (whole != 0)
        return whole < 0 ? -1 : 1;   /* whole state from before */
    if (n > 1 && statedb_write_tasks(db, q->id, n, err) != 0)
        return -1;
    return n;
}

/* The worker task i of n runs on (its stores' cache budget too): one
 * task runs on the engine's own thread. */
static int worker_of(int task, int ntasks, int workers)
{
    return ntasks > 1 ? task % workers : 0;
}

/* Tasks owned[0..nowned) of n (all n when owned is NULL). */
static QueryRuntime *start_tasks(Query *q, Transport *t, StateDb *db, OffsetReset reset,
                                 RowFn rows, void *rows_ud, const EngineOutput *out,
                                 int64_t commit_interval_ms, int workers, int n, int exchange,
                                 const int *owned, int nowned, const char *repartition,
                                 EddyError *err)
{
    int k = owned ? nowned : n;
    QueryRuntime *rt = calloc(1, sizeof *rt);
    if (rt == NULL || (rt->tasks = calloc((size_t)k + 1, sizeof *rt->tasks)) == NULL)
        EDDY_PANIC("out of memory");
    rt->q = q;
    rt->db = db;
    rt->total = n;
    if (owned) {
        rt->owned = calloc((size_t)k + 1, sizeof *rt->owned);
        if (rt->owned == NULL)
            EDDY_PANIC("out of memory");
        memcpy(rt->owned, owned, sizeof *owned * (size_t)k);
    }
    rt->workers = workers > 1 ? workers : 1;
    if (exchange && n > 1) {
        rt->exchange.ntasks = n;
        rt->exchange.join = exchange == XCHG_JOIN;
    }
    if (exchange && n > 1 && !repartition) {
        rt->exchange.box = calloc((size_t)(n * n), sizeof(StrBuf));
        if (rt->exchange.box == NULL)
            EDDY_PANIC("out of memory");
    }
    if (exchange && n > 1 && repartition) {
        /* Tasks shared by members: other tasks' rows through a topic with a
         * partition per task (op_exchange.c), not through boxes. */
        rt->exchange.remote = true;
        rt->exchange.topic = strdup(repartition);
        if (rt->exchange.topic == NULL)
            EDDY_PANIC("out of memory");
        int np = t->ops->topic_ensure(t, repartition, n, 1, err);
        if (np >= 0 && np != n)
            np = eddy_error(err, ERR_RUNTIME, (SrcPos){0},
                            "repartition topic %s has %d partitions, and query %s %d tasks: "
                            "delete the topic (it is the query's own)",
                            repartition, np, q->id, n);
        if (np < 0) {
            runtime_stop(rt);
            return NULL;
        }
    }
    for (int i = 0; i < k; i++) {
        int index = owned ? owned[i] : i;
        rt->tasks[i] = task_start(index, n, owned != NULL, worker_of(i, k, rt->workers),
                                  rt->exchange.ntasks ? &rt->exchange : NULL, q, t, db, reset,
                                  rows, rows_ud, out, commit_interval_ms, err);
        if (rt->tasks[i] == NULL) {
            runtime_stop(rt);
            return NULL;
        }
        rt->ntasks++;
    }
    return rt;
}

QueryRuntime *runtime_start(Query *q, Transport *t, StateDb *db, OffsetReset reset, RowFn rows,
                            void *rows_ud, const EngineOutput *out, int64_t commit_interval_ms,
                            int workers, EddyError *err)
{
    int exchange;
    int n = task_count(q, t, db, workers, &exchange, err);
    if (n < 0)
        return NULL;
    return start_tasks(q, t, db, reset, rows, rows_ud, out, commit_interval_ms, workers, n,
                       exchange, NULL, 0, NULL, err);
}

/* Where q's plan hands rows between its tasks (XCHG_*: a GROUP BY other
 * than its input's key, a stream-table join on a value): in assigned mode
 * through a repartition topic. */
static int plan_exchanges(Query *q, Transport *t)
{
    int exchange;
    partition_local(q, t, true, &exchange);
    return exchange;
}

const char *runtime_exchange_node(Query *q, Transport *t)
{
    return plan_exchanges(q, t) == XCHG_JOIN ? "Join" : "Aggregate-GroupBy";
}

int runtime_partition_tasks(Query *q, Transport *t, StateDb *db, EddyError *err)
{
    int exchange;
    bool ok = partition_local(q, t, true, &exchange);
    int np = ok ? t->ops->topic_partitions(t, q->inputs[0]->topic) : -1;
    if (!ok || (exchange == XCHG_AGGREGATE && q->ninputs > 1) || np < 1)
        return 0;   /* an aggregate's exchange over a join: not built */
    if (!(db && plan_stateful(q->plan)))
        return np;
    int recorded = 0;
    if (statedb_read_tasks(db, q->id, &recorded, err) != 0)
        return -1;
    if (recorded == np)
        return np;
    if (recorded > 0)
        return 0;   /* split otherwise for its life */
    int whole = has_offsets(db, q, err);
    if (whole != 0)
        return whole < 0 ? -1 : 0;   /* whole state from before */
    if (statedb_write_tasks(db, q->id, np, err) != 0)
        return -1;
    return np;
}

QueryRuntime *runtime_start_owned(Query *q, Transport *t, StateDb *db, OffsetReset reset,
                                  const EngineOutput *out, int64_t commit_interval_ms, int workers,
                                  int ntasks, const int *owned, int nowned,
                                  const char *repartition, EddyError *err)
{
    return start_tasks(q, t, db, reset, NULL, NULL, out, commit_interval_ms, workers, ntasks,
                       plan_exchanges(q, t), owned, nowned, repartition, err);
}

int runtime_ntasks(const QueryRuntime *rt)
{
    return rt->ntasks;
}

int runtime_total_tasks(const QueryRuntime *rt)
{
    return rt->total;
}

int runtime_owned(const QueryRuntime *rt, const int **owned)
{
    *owned = rt->owned;
    return rt->owned ? rt->ntasks : -1;
}

int runtime_task_worker(const QueryRuntime *rt, int task)
{
    return worker_of(task, rt->ntasks, rt->workers);
}

int runtime_poll_task(QueryRuntime *rt, int task, int timeout_ms, EddyError *err)
{
    return task_poll(rt->tasks[task], timeout_ms, err);
}

/* A task's counts into its Query and its log lines out, on the engine's
 * thread. */
static void task_merge(Task *k)
{
    Query *q = k->q;
    q->records_in += k->n_in;
    q->records_out += k->n_out;
    q->records_skipped += k->n_skipped;
    q->eval_errors += k->n_eval;
    q->records_late += k->n_late;
    k->n_in = k->n_out = k->n_skipped = k->n_eval = k->n_late = 0;
    for (int i = 0; i < k->nlogs; i++) {
        eddy_log(k->out->log, k->out->ud, k->logs[i].level, "%s", k->logs[i].text);
        free(k->logs[i].text);
    }
    k->nlogs = 0;
}

void runtime_round_end(QueryRuntime *rt)
{
    for (int i = 0; i < rt->ntasks; i++)
        task_merge(rt->tasks[i]);
}

int runtime_drain_task(QueryRuntime *rt, int task, EddyError *err)
{
    return task_drain(rt->tasks[task], err);
}

const char *runtime_repartition(const QueryRuntime *rt)
{
    return rt->exchange.remote ? rt->exchange.topic : NULL;
}

bool runtime_exchanges(const QueryRuntime *rt)
{
    return rt->exchange.box != NULL;   /* a remote exchange has nothing to drain */
}

int runtime_poll(QueryRuntime *rt, int timeout_ms, EddyError *err)
{
    if (rt->ntasks == 0) {
        /* A member holding no task (assigned mode): nothing to wait on. */
        struct timespec ts = {0, (long)(timeout_ms < 100 ? timeout_ms : 100) * 1000000L};
        nanosleep(&ts, NULL);
        return 0;
    }
    int total = 0, per = timeout_ms / rt->ntasks;
    for (int i = 0; i < rt->ntasks && total >= 0; i++) {
        int n = task_poll(rt->tasks[i], per, err);
        total = n < 0 ? -1 : total + n;
    }
    for (int i = 0; i < rt->ntasks && total >= 0; i++)
        if (task_drain(rt->tasks[i], err) != 0)
            total = -1;
    runtime_round_end(rt);
    return total;
}

void runtime_set_processing_log(QueryRuntime *rt, const char *topic)
{
    for (int i = 0; i < rt->ntasks; i++)
        task_set_processing_log(rt->tasks[i], topic);
}

void runtime_set_max_task_idle(QueryRuntime *rt, int64_t ms)
{
    for (int i = 0; i < rt->ntasks; i++)
        task_set_max_task_idle(rt->tasks[i], ms);
}

void runtime_mute_until(QueryRuntime *rt, const TopicPartitionOffset *until, int n)
{
    for (int i = 0; i < rt->ntasks; i++)
        task_mute_until(rt->tasks[i], until, n);
}

int64_t runtime_muted_records(const QueryRuntime *rt)
{
    int64_t n = 0;
    for (int i = 0; i < rt->ntasks; i++)
        n += task_muted_records(rt->tasks[i]);
    return n;
}

/* A member of an application may hold none of a query's tasks (more
 * members than partitions, or before its first assignment): then the
 * query has no stores, state or output here. */
int runtime_store_count(const QueryRuntime *rt)
{
    return rt->ntasks > 0 ? task_store_count(rt->tasks[0]) : 0;
}

bool runtime_at_end(QueryRuntime *rt)
{
    if (rt->awaiting)
        return false;   /* a member before its group gave it its tasks */
    for (int i = 0; i < rt->ntasks; i++)
        if (!task_at_end(rt->tasks[i]))
            return false;
    return true;
}

int64_t runtime_lag(QueryRuntime *rt)
{
    int64_t lag = 0;
    for (int i = 0; i < rt->ntasks; i++) {
        int64_t l = task_lag(rt->tasks[i]);
        if (l < 0)
            return l;
        lag += l;
    }
    return lag;
}

int runtime_partition_lags(QueryRuntime *rt, EnginePartitionLag *out, int max)
{
    int n = 0;
    for (int i = 0; i < rt->ntasks; i++) {
        Task *k = rt->tasks[i];
        for (int j = 0; j < k->nparts; j++, n++) {
            const PartBuf *b = &k->parts[j];
            if (n >= max)
                continue;
            int64_t lag = k->t->ops->consumer_partition_lag
                              ? k->t->ops->consumer_partition_lag(k->consumer, b->topic,
                                                                  b->partition)
                              : -1;
            out[n] = (EnginePartitionLag){b->topic, b->partition,
                                           lag < 0 ? -1 : lag + (b->n - b->head)};
        }
    }
    return n;
}

int64_t runtime_state_bytes(const QueryRuntime *rt)
{
    const Task *k = rt->tasks[0];   /* every task's stores have the same names */
    int64_t total = -1;
    for (int i = 0; k && k->db && i < k->ctx.nstores; i++) {
        int64_t b = statedb_store_bytes(k->db, k->ctx.store_names[i]);
        if (b >= 0)
            total = (total < 0 ? 0 : total) + b;
    }
    return total;
}

/* Stalled: no record taken for after_ms while the input has records past
 * the query's position (lag > 0), or while that is not known at all
 * (lag -1: no answer from the input's partitions since the start).  A
 * query at the end of its input is idle, not stalled.  Progress is the
 * latest of its tasks'. */
int runtime_stall_check(QueryRuntime *rt, int64_t now_ms, int64_t after_ms, int64_t *lag,
                        int64_t *idle_ms)
{
    int64_t progress = 0;
    for (int i = 0; i < rt->ntasks; i++)
        if (rt->tasks[i]->progress_ms > progress)
            progress = rt->tasks[i]->progress_ms;
    *lag = runtime_lag(rt);
    *idle_ms = now_ms - progress;
    bool stalled = *idle_ms >= after_ms && *lag != 0 && !runtime_at_end(rt);
    if (stalled)
        rt->stalled_ms = *idle_ms;
    else if (rt->stalled)
        *idle_ms = rt->stalled_ms;   /* moving again: how long it was stuck */
    if (stalled == rt->stalled)
        return 0;
    rt->stalled = stalled;
    return stalled ? 1 : -1;
}

bool runtime_stalled(const QueryRuntime *rt)
{
    return rt->stalled;
}

bool runtime_done(QueryRuntime *rt)
{
    return rt->ntasks > 0 && task_done(rt->tasks[0]);
}

bool runtime_commit_due(QueryRuntime *rt, int64_t now_ms)
{
    for (int i = 0; i < rt->ntasks; i++)
        if (task_commit_due(rt->tasks[i], now_ms))
            return true;
    return false;
}

int runtime_commit(QueryRuntime *rt, EddyError *err)
{
    int rc = 0;
    for (int i = 0; i < rt->ntasks; i++)
        if (task_commit(rt->tasks[i], err) != 0)
            rc = -1;
    return rc;
}

int runtime_offsets(QueryRuntime *rt, const TopicPartitionOffset **offs)
{
    if (rt->ntasks == 1)
        return task_offsets(rt->tasks[0], offs);
    int n = 0;
    for (int i = 0; i < rt->ntasks; i++) {
        const TopicPartitionOffset *o;
        int m = task_offsets(rt->tasks[i], &o);
        if (n + m > rt->capoffs) {
            rt->capoffs = (n + m) * 2;
            rt->offs = realloc(rt->offs, sizeof *rt->offs * (size_t)rt->capoffs);
            if (rt->offs == NULL)
                EDDY_PANIC("out of memory");
        }
        if (m > 0)   /* a task that has read nothing yet has no offsets (o NULL) */
            memcpy(rt->offs + n, o, sizeof *o * (size_t)m);
        n += m;
    }
    *offs = rt->offs;
    return n;
}

bool runtime_dirty(const QueryRuntime *rt)
{
    for (int i = 0; i < rt->ntasks; i++)
        if (rt->tasks[i]->dirty)
            return true;
    return false;
}

void runtime_mark_clean(QueryRuntime *rt)
{
    for (int i = 0; i < rt->ntasks; i++)
        task_mark_clean(rt->tasks[i]);
}

void runtime_drop_state(QueryRuntime *rt)
{
    if (rt->ntasks > 0) {
        task_drop_state(rt->tasks[0]);   /* every task's stores have the same names */
        return;
    }
    /* No task here now: the stores of tasks it held before go by name. */
    EddyError err;
    if (rt->db == NULL)
        return;
    statedb_drop_scope_stores(rt->db, rt->q->id, &err);
    statedb_delete_offsets(rt->db, rt->q->id, &err);
}

void runtime_stop(QueryRuntime *rt)
{
    if (rt == NULL)
        return;
    for (int i = 0; i < rt->ntasks; i++)
        task_stop(rt->tasks[i]);
    free(rt->tasks);
    free(rt->owned);
    free(rt->offs);
    for (int i = 0; rt->exchange.box && i < rt->exchange.ntasks * rt->exchange.ntasks; i++)
        sb_free(&rt->exchange.box[i]);
    free(rt->exchange.box);
    free(rt->exchange.topic);
    changelog_close(rt->changelog);
    kafka_group_leave(rt->member);
    free(rt);
}

void runtime_set_member(QueryRuntime *rt, GroupMember *m)
{
    rt->member = m;
}

bool runtime_awaiting(const QueryRuntime *rt)
{
    return rt->awaiting;
}

void runtime_set_awaiting(QueryRuntime *rt, bool awaiting)
{
    rt->awaiting = awaiting;
}

GroupMember *runtime_member(const QueryRuntime *rt)
{
    return rt->member;
}

GroupMember *runtime_detach_member(QueryRuntime *rt)
{
    GroupMember *m = rt->member;
    rt->member = NULL;
    return m;
}

void runtime_set_changelog(QueryRuntime *rt, Changelog *c)
{
    changelog_close(rt->changelog);
    rt->changelog = c;
}

Changelog *runtime_changelog(const QueryRuntime *rt)
{
    return rt->changelog;
}

/* ---- exactly-once (engine/README.md, "Scale-out") ------------------------ */

int runtime_enable_txn(QueryRuntime *rt, const char *service, EddyError *err)
{
    for (int i = 0; i < rt->ntasks; i++) {
        Task *k = rt->tasks[i];
        char id[1024];
        snprintf(id, sizeof id, "%s-%s-%d", service, rt->q->id, k->index);
        TxnStatus st;
        k->txn = kafka_txn_open(k->t, id, 30000, &st, err);
        if (k->txn == NULL || kafka_txn_begin(k->txn, err) != TXN_OK)
            return -1;
        k->txn_failed = TXN_OK;
    }
    return 0;
}

bool runtime_txn(const QueryRuntime *rt)
{
    return rt->ntasks > 0 && rt->tasks[0]->txn != NULL;
}

int runtime_txn_produce(QueryRuntime *rt, int task, const char *topic, int32_t partition,
                        const void *key, size_t klen, const void *value, size_t vlen,
                        EddyError *err)
{
    for (int i = 0; i < rt->ntasks; i++) {
        Task *k = rt->tasks[i];
        if (k->index != task || k->txn == NULL)
            continue;
        if (k->txn_failed != TXN_OK)
            return eddy_error(err, ERR_IO, (SrcPos){0}, "task %d: its transaction failed", task);
        TxnStatus st = kafka_txn_produce(k->txn, topic, partition, key, klen, value, vlen, -1, err);
        if (st != TXN_OK)
            k->txn_failed = st;
        return st == TXN_OK ? 0 : -1;
    }
    return eddy_error(err, ERR_INTERNAL, (SrcPos){0}, "no transaction for task %d here", task);
}

void runtime_txn_flush(QueryRuntime *rt, int task, int timeout_ms)
{
    for (int i = 0; i < rt->ntasks; i++)
        if (rt->tasks[i]->index == task && rt->tasks[i]->txn)
            kafka_txn_flush(rt->tasks[i]->txn, timeout_ms);
}

/* Tests only: EDDY_TEST_TXN_ABORT_EVERY=n fails every n-th transaction
 * commit of the process as the broker would an abortable one (the
 * transaction is aborted), so the engine's rewind runs
 * (tests/integration/scale/test_assign_eos.sh). */
static bool test_abort_now(void)
{
    static int every = -1, count;
    if (every < 0) {
        const char *v = getenv("EDDY_TEST_TXN_ABORT_EVERY");
        every = v ? atoi(v) : 0;
    }
    return every > 0 && ++count % every == 0;
}

TxnStatus runtime_txn_commit(QueryRuntime *rt, EddyError *err)
{
    char group[512];
    offsets_group(rt->q, group, sizeof group);
    for (int i = 0; i < rt->ntasks; i++) {
        Task *k = rt->tasks[i];
        if (k->txn == NULL)
            continue;
        TxnStatus st = k->txn_failed;
        if (st != TXN_OK) {
            eddy_error(err, ERR_IO, (SrcPos){0}, "task %d: a record of its transaction failed",
                       k->index);
            return st;
        }
        st = kafka_txn_send_offsets(k->txn, group, k->offs, k->noffs, err);
        if (st == TXN_OK && test_abort_now()) {
            /* The development broker shows aborted records to
             * read_committed readers, so a part of a transaction (some
             * partitions' records delivered, the rest purged by the abort)
             * would be a state no real cluster shows: there an abort hides
             * all of it.  So every task's open transaction (this one's,
             * the ones not yet committed, the ones begun after a commit)
             * reaches the broker whole before it is aborted, and takes
             * nothing more until the rewind: the restore sees each as
             * committed, or (on a real cluster) not at all, either way a
             * consistent cut. */
            for (int j = 0; j < rt->ntasks; j++) {
                Task *o = rt->tasks[j];
                if (o->txn == NULL)
                    continue;
                EddyError aerr;
                kafka_txn_flush(o->txn, 10000);
                kafka_txn_abort(o->txn, &aerr);
                o->txn_failed = TXN_ABORTABLE;
            }
            eddy_error(err, ERR_IO, (SrcPos){0}, "abortable: injected (EDDY_TEST_TXN_ABORT_EVERY)");
            return TXN_ABORTABLE;
        }
        for (int tries = 0; st == TXN_OK && tries < 3; tries++) {
            st = kafka_txn_commit(k->txn, err);   /* a timed-out commit resumes */
            if (st != TXN_RETRIABLE)
                break;
        }
        if (st == TXN_OK)
            st = kafka_txn_begin(k->txn, err);
        if (st != TXN_OK) {
            k->txn_failed = st;
            return st;
        }
    }
    return TXN_OK;
}
