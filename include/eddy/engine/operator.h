/*
 * operator.h - the running form of a plan node (PostgreSQL's PlanState).
 *
 * Every operator has the same small interface: push a row downstream,
 * advance stream time, flush before a checkpoint, close.  Operators never
 * talk to Kafka or RocksDB directly (DESIGN.md section 2): they get rows
 * and the query's stores (op_store), and the sink hands its records to
 * the output the runtime supplies (OpCtx.out).  Rows and their values
 * live in the batch arena (ctx->eval.arena) until the runtime resets it
 * after the batch.
 */
#ifndef EDDY_OPERATOR_H
#define EDDY_OPERATOR_H

#include "eddy/engine/expr.h"
#include "eddy/engine/plan.h"
#include "eddy/transport.h"

typedef struct Operator Operator;

struct StateDb;
struct Store;

/* Where a query's sink sends what it finishes; the runtime fills it. */
typedef struct OpOutput {
    /* Produces one record to topic; a NULL key or value is a null key or
     * value (a tombstone).  Borrows the bytes for the call.  0, or -1
     * with err (the query stops). */
    int (*produce)(void *ud, const char *topic, const void *key, size_t klen, const void *value,
                   size_t vlen, int64_t timestamp, EddyError *err);
    /* Hands a transient query's row to its client; borrows it for the call. */
    void (*deliver)(void *ud, const Schema *schema, const Row *row);
    /* Sends an exchange entry to partition `partition` of the query's
     * repartition topic (Exchange.remote); as produce. */
    int (*repartition)(void *ud, int32_t partition, const void *key, size_t klen,
                       const void *value, size_t vlen, int64_t timestamp, EddyError *err);
    void *ud;
} OpOutput;

/* Rows tasks hand to each other (op_exchange.c): box[from * ntasks + to],
 * written by task `from` while the tasks run, read and emptied by task
 * `to` in the drain that ends the round.  Remote (tasks shared by an
 * application's members): a row for another task goes to that task's
 * partition of the repartition topic instead (OpOutput.repartition), and
 * the task reads it back as an input record (op_exchange_receive). */
typedef struct Exchange {
    int ntasks;
    bool join;                   /* below a join's two sides, not an aggregate */
    StrBuf *box;
    bool remote;
    char *topic;                 /* remote: the repartition topic */
} Exchange;

typedef struct OpCtx {
    EvalCtx eval;                /* batch arena + per-row error count */
    struct StateDb *state;       /* the engine's state database */
    const char *query_id;        /* store names are "<query id>.<store>" */
    int64_t *late_dropped;       /* records later than a window's grace period */
    char *store_names[32];       /* full names of the stores this query opened (malloc'd) */
    int nstores;
    OpOutput out;
    int64_t *emitted;            /* rows the sink wrote or delivered */
    const Query *query;          /* the query the operators run for (its model versions) */
    int task, ntasks;            /* ntasks > 1: the query's state is split into tasks (op_store) */
    int slot;                    /* the worker the task runs on (its cache budget) */
    Exchange *exchange;          /* the query's, when its groups are spread over tasks */
    bool *muted;                 /* the task's "output muted" flag (a REPLAY below its target) */
} OpCtx;

typedef struct OperatorOps {
    const char *name;
    int (*push)(Operator *op, Row *row, EddyError *err);
    int (*advance)(Operator *op, int64_t stream_time, EddyError *err);
    int (*flush)(Operator *op, EddyError *err);
    /* Optional (NULL: nothing to do): the poll batch is over, its rows are
     * still in the batch arena.  An operator that holds rows (SCORE)
     * finishes them and pushes them on.  The runtime calls it on every
     * operator that has one, upstream first, before it resets the arena,
     * so between two polls (and so at every checkpoint) no row is held. */
    int (*batch_end)(Operator *op, EddyError *err);
    /* Optional: raises the stream time of input partition `partition` to
     * t, as a row of that time would (a windowed aggregate fed through an
     * exchange hears its partitions' times from there, op_exchange.c). */
    int (*partition_time)(Operator *op, int32_t partition, int64_t t, EddyError *err);
    void (*close)(Operator *op);
} OperatorOps;

struct Operator {
    const OperatorOps *ops;
    const Plan *plan;
    Operator *downstream;        /* NULL for the sink */
    OpCtx *ctx;
};

static inline int op_push(Operator *op, Row *row, EddyError *err)
{
    return op->ops->push(op, row, err);
}

/* One constructor per operator file; only runtime.c switches on plan tags. */
Operator *op_filter_create(const Plan *p, OpCtx *ctx);
Operator *op_rekey_create(const Plan *p, OpCtx *ctx);
Operator *op_project_create(const Plan *p, OpCtx *ctx);
/* NULL with err when a table sink's store "materialized" cannot be opened. */
Operator *op_sink_create(const Plan *p, OpCtx *ctx, EddyError *err);
/* The value columns a table's geo index is kept on (op_sink.c's header):
 * true with their indexes for DOUBLE columns named LAT and LNG (or LON;
 * or LATITUDE and LONGITUDE) of a table that is not windowed. */
bool op_geo_columns(const Schema *s, bool windowed, int *lat, int *lng);
/* The geo index's entry that says it is complete (op_sink.c). */
#define OP_GEO_MARKER "\xff"

Operator *op_aggregate_create(const Plan *p, OpCtx *ctx, EddyError *err);
Operator *op_score_create(const Plan *p, OpCtx *ctx);
/* Routes rows to the task owning their group of aggregate `p`, or their
 * join key of join `p`'s side `side`; drain pushes the rows other tasks
 * sent this one (op_exchange.c).  NULL with err when a windowed
 * aggregate's store cannot be opened. */
Operator *op_exchange_create(const Plan *p, int side, OpCtx *ctx, EddyError *err);
int op_exchange_drain(Operator *x, EddyError *err);
/* A join's right side's exchange keeps its stream times with the left
 * side's (one time per partition for both sides, as the join counts it);
 * the left one sends the time marks. */
void op_exchange_pair(Operator *left, Operator *right);
/* A repartition record's value (an exchange entry): the join side (0
 * for an aggregate's), partition and offset of the source record its row
 * came from; false if it is not an entry.  op_exchange_receive pushes its row up: 0, 1 for a bad entry
 * (err says why; nothing pushed), -1 with err. */
bool op_exchange_origin(const void *value, size_t len, int *side, int32_t *partition,
                        int64_t *offset);
/* A repartition record that carries a source partition's stream time
 * only (a windowed aggregate's time mark): no row, never a duplicate. */
bool op_exchange_is_mark(const void *value, size_t len);
int op_exchange_receive(Operator *x, const void *value, size_t len, EddyError *err);
Operator *op_flatmap_create(const Plan *p, OpCtx *ctx);
/* A join has two entry points: op_join_side(join, 0) takes left rows,
 * op_join_side(join, 1) right rows (each an operator whose downstream is
 * the join).  Closing the join closes its sides' storage, not the sides. */
Operator *op_join_create(const Plan *p, OpCtx *ctx, EddyError *err);
Operator *op_join_side(Operator *join, int side);
/* The query's store `name`, or NULL with err set. */
struct Store *op_store(OpCtx *ctx, const char *name, EddyError *err);
void op_generic_close(Operator *op);   /* frees op (malloc'd) */
int op_generic_advance(Operator *op, int64_t t, EddyError *err);
int op_generic_flush(Operator *op, EddyError *err);

/* The source is fed records, not rows: it decodes, extracts event time and
 * attaches pseudo-columns.  A record that does not decode is skipped:
 * returns 1 with *err describing why (the runtime counts and logs it). */
typedef struct SourceOp SourceOp;
/* index numbers the query's sources (a table's store is "source<index>"). */
SourceOp *op_source_create(const Plan *p, OpCtx *ctx, Operator *downstream, int index);
int op_source_record(SourceOp *s, const TransportRecord *rec, EddyError *err);
void op_source_destroy(SourceOp *s);
/* Event time from a TIMESTAMP column's value v (column col, for messages):
 * BIGINT or TIMESTAMP as ms, a STRING parsed with format (ISO-8601 when
 * NULL).  -1 with ERR_RUNTIME for a null, unparsable or negative time.
 * Sources use it for TIMESTAMP=, sinks for CREATE ... AS SELECT WITH
 * (TIMESTAMP=). */
int op_source_event_time(const Value *v, const char *col, const char *format, int64_t *out,
                         EddyError *err);

#endif
