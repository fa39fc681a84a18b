/*
 * op_exchange.c - hands each row to the task that owns its group, below
 * an aggregate that groups by something other than its input's key in a
 * query split into tasks (engine/README.md, "Tasks and threads").
 *
 * A task's rows come from its input partitions; the groups are divided
 * among the tasks by a hash of the group's key bytes (the key codec's
 * encoding of the GROUP BY values), so each group's state lives in one
 * task's store view.  A row whose group is the task's own goes straight
 * up; any other is copied into the box from this task to the owner
 * (Exchange.box[from * ntasks + to]), and the owner pushes it up in the
 * drain that ends the round (op_exchange_drain, after every task polled),
 * so at every checkpoint the boxes are empty and state reflects exactly
 * the records before the offsets.  Rows of one partition and group all
 * take the same path, in order.  A row carries its time, partition,
 * offset, window, tombstone and muted flag (a REPLAY's muted output
 * stays muted on the other task).
 *
 * Remote exchange (tasks shared by an application's members; engine/
 * README.md, "Scale-out", repartition topics): the entry for another task
 * is the value of a record to that task's partition of the query's
 * repartition topic, keyed by the group's key bytes; the owner reads the
 * topic as one more input and hands each entry to op_exchange_receive
 * (after dropping one its source record was already counted for, by the
 * source partition and offset the entry carries: op_exchange_origin).
 *
 * Windowed aggregates and stream-stream joins (remote only:
 * keyed_like_source in runtime.c).  A
 * window closes on the slowest input partition's stream time and a row is
 * late against its own partition's (op_aggregate.c), so a group's owner
 * must hear every source partition's time, not only its rows' times.  The
 * exchange keeps each source partition's stream time as one task would
 * see it (the largest rowtime of the rows that reach the aggregate, in
 * store "meta" under "xt", checkpointed with the offsets), and (1) every
 * entry carries its partition's time as of its row (flag 8), which the
 * owner applies before the row; the task's own aggregate hears it for
 * every row, sent or kept; (2) at the end of each batch a partition whose
 * time moved sends a time mark (flag 16, no row) to every other task.
 * A join's two sides keep one set of times (op_exchange_pair: a join's
 * partition time counts both sides' rows, in the join's store "meta"),
 * and its left side sends the marks.  So an owner's times
 * trail the source's, never lead: windows close no earlier than in one
 * process, and a row is late exactly when it would be there.
 *
 * Aggregates over a table: a change carries its previous row (its group
 * loses it), so an entry may carry it too (flag 64); a change whose old
 * and new groups are other tasks' goes as two entries (table_change).
 *
 * Foreign-key joins (a table joined on a value column to another table's
 * key): the left table's rows stay in their own task (it is keyed as its
 * source, so a left key's rows and its join output stay in one task, in
 * order), and the right table's rows go to every task (`broadcast`, the
 * right side's exchange only), each of which keeps a copy of the right
 * table, as every Kafka Streams instance keeps a GlobalKTable.  Each task
 * gets one entry per source record, so the duplicate check holds.
 *
 * Entry: u8 flags (1 tombstone, 4 muted, 8 time follows, 16 time mark,
 * 32 a join's right side, 64 a prior row follows),
 * then 8 bytes each: rowtime (a mark: the time), partition, offset,
 * window start, window end, column count, byte count; then the row
 * codec's bytes of the columns; then, with flag 8, 8 bytes: the source
 * partition's stream time; then, with flag 64, the prior row: 8 bytes
 * each, column count and byte count, and its bytes.
 */
#include "eddy/codec.h"
#include "op_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ExchangeOp {
    Operator base;
    BExpr *const *keys;           /* what routes: the aggregate's GROUP BY, or a join side's key */
    int nkeys;
    int side;                     /* below a join: its side (entries of the right one: flag 32) */
    StrBuf key, row, entry;
    Value *keyvals;
    bool timed;                   /* windowed: times travel with the rows (above) */
    bool table;                   /* an aggregate over a table: changes carry their prior */
    StrBuf okey;                  /* a table change's old group */
    bool marks;                   /* sends the time marks (not a join's right side) */
    bool broadcast;               /* a foreign-key join's right side: rows to every task */
    Store *meta;
    PartitionTimes times;         /* source partitions' stream times ("xt") */
    PartitionTimes *tp;           /* &times, or the left side's (op_exchange_pair) */
    int64_t marked[OP_MAX_PARTITIONS];   /* the time each last sent in a mark */
} ExchangeOp;

#define F_TOMBSTONE 1
#define F_MUTED 4
#define F_TIME 8
#define F_MARK 16
#define F_RIGHT 32
#define F_PRIOR 64

static uint64_t fnv1a(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

#define ENTRY_HEAD 57

/* Appends row's exchange entry to out; `time` (not NO_PART_TIME) is its
 * partition's stream time. */
#define NO_PART_TIME INT64_MIN
static int put_entry(ExchangeOp *x, const Row *row, int64_t time, StrBuf *out, EddyError *err)
{
    OpCtx *ctx = x->base.ctx;
    sb_reset(&x->row);
    if (rowcodec_encode(row->cols, row->ncols, &x->row) != 0)
        return eddy_error(err, ERR_INTERNAL, (SrcPos){0}, "exchange: a row that cannot be encoded");
    const Row *prior = row->prior && !row->prior->tombstone ? row->prior : NULL;
    sb_putc(out, (char)((row->tombstone ? F_TOMBSTONE : 0) | (ctx->muted && *ctx->muted ? F_MUTED : 0) |
                        (time != NO_PART_TIME ? F_TIME : 0) | (x->side == 1 ? F_RIGHT : 0) |
                        (prior ? F_PRIOR : 0)));
    sb_put_be64(out, (uint64_t)row->rowtime);
    sb_put_be64(out, (uint64_t)(int64_t)row->partition);
    sb_put_be64(out, (uint64_t)row->offset);
    sb_put_be64(out, (uint64_t)row->window_start);
    sb_put_be64(out, (uint64_t)row->window_end);
    sb_put_be64(out, (uint64_t)row->ncols);
    sb_put_be64(out, (uint64_t)x->row.len);
    sb_append(out, x->row.data, x->row.len);
    if (time != NO_PART_TIME)
        sb_put_be64(out, (uint64_t)time);
    if (prior) {
        sb_reset(&x->row);
        if (rowcodec_encode(prior->cols, prior->ncols, &x->row) != 0)
            return eddy_error(err, ERR_INTERNAL, (SrcPos){0}, "exchange: a row that cannot be encoded");
        sb_put_be64(out, (uint64_t)prior->ncols);
        sb_put_be64(out, (uint64_t)x->row.len);
        sb_append(out, x->row.data, x->row.len);
    }
    return 0;
}

/* Decodes the entry at p (at most end): *row (columns in the batch
 * arena), *flags, *used its length.  1 for bytes that are not an entry
 * (err says why), -1 with err. */
static int get_entry(OpCtx *ctx, const unsigned char *p, const unsigned char *end, Row *row,
                     int *flags, int64_t *time, size_t *used, EddyError *err)
{
    if (end - p < ENTRY_HEAD) {
        eddy_error(err, ERR_RUNTIME, (SrcPos){0}, "exchange: a cut entry");
        return 1;
    }
    *row = (Row){0};
    *flags = p[0];
    row->rowtime = (int64_t)be64_get(p + 1);
    row->partition = (int32_t)(int64_t)be64_get(p + 9);
    row->offset = (int64_t)be64_get(p + 17);
    row->window_start = (int64_t)be64_get(p + 25);
    row->window_end = (int64_t)be64_get(p + 33);
    uint64_t cap = be64_get(p + 41), len = be64_get(p + 49);
    uint64_t tail = *flags & F_TIME ? 8 : 0;
    if ((uint64_t)(end - p - ENTRY_HEAD) < tail || (uint64_t)(end - p - ENTRY_HEAD) - tail < len ||
        cap > 4096) {
        eddy_error(err, ERR_RUNTIME, (SrcPos){0}, "exchange: a cut row");
        return 1;
    }
    *time = tail ? (int64_t)be64_get(p + ENTRY_HEAD + len) : NO_PART_TIME;
    if (*flags & F_MARK) {
        if (tail == 0 || len != 0 || cap != 0 || row->partition < 0) {
            eddy_error(err, ERR_RUNTIME, (SrcPos){0}, "exchange: a time mark with a row");
            return 1;
        }
        *used = ENTRY_HEAD + 8;
        return 0;
    }
    int n = 0;
    row->cols = arena_alloc(ctx->eval.arena, sizeof(Value) * (size_t)(cap + 1));
    if (rowcodec_decode(p + ENTRY_HEAD, (size_t)len, row->cols, (int)cap, &n, ctx->eval.arena,
                        err) != 0)
        return 1;
    row->ncols = n;
    row->tombstone = *flags & F_TOMBSTONE;
    *used = ENTRY_HEAD + (size_t)len + (size_t)tail;
    if (*flags & F_PRIOR) {   /* a table change's previous row: count, length, bytes */
        const unsigned char *q = p + *used;
        if (end - q < 16) {
            eddy_error(err, ERR_RUNTIME, (SrcPos){0}, "exchange: a cut prior row");
            return 1;
        }
        uint64_t pcap = be64_get(q), plen = be64_get(q + 8);
        if ((uint64_t)(end - q - 16) < plen || pcap > 4096) {
            eddy_error(err, ERR_RUNTIME, (SrcPos){0}, "exchange: a cut prior row");
            return 1;
        }
        Row *prior = arena_alloc(ctx->eval.arena, sizeof *prior);
        *prior = *row;
        prior->tombstone = false;
        prior->cols = arena_alloc(ctx->eval.arena, sizeof(Value) * (size_t)(pcap + 1));
        int pn = 0;
        if (rowcodec_decode(q + 16, (size_t)plen, prior->cols, (int)pcap, &pn, ctx->eval.arena,
                            err) != 0)
            return 1;
        prior->ncols = pn;
        row->prior = prior;
        *used += 16 + (size_t)plen;
    }
    return 0;
}

/* Hands a row (or a time mark) on to the aggregate above, its partition's
 * time first. */
static int hand_up(Operator *op, Row *row, int flags, int64_t time, EddyError *err)
{
    Operator *up = op->downstream;
    if (time != NO_PART_TIME && row->partition >= 0 && up->ops->partition_time &&
        up->ops->partition_time(up, row->partition, time, err) != 0)
        return -1;
    return flags & F_MARK ? 0 : op_push(op->downstream, row, err);
}

/* A timed exchange's stream time of the row's partition, the row counted. */
static int part_time(ExchangeOp *x, const Row *row, int64_t *time, EddyError *err)
{
    *time = NO_PART_TIME;
    if (!x->timed || row->partition < 0)
        return 0;
    PartitionTimes *tp = x->tp;
    int slot = op_times_slot(tp, row->partition);
    if (row->rowtime > tp->times[slot]) {
        op_times_advance(tp, slot, row->rowtime);
        if (op_times_save(tp, x->meta, slot) != 0)
            return eddy_error(err, ERR_IO, (SrcPos){0}, "exchange: cannot save stream time");
    }
    *time = tp->times[slot];
    return 0;
}

/* The task that owns r's group (its key bytes in *key), or -1 for a null
 * key. */
static int owner_of(ExchangeOp *x, const Row *r, StrBuf *key)
{
    OpCtx *ctx = x->base.ctx;
    for (int i = 0; i < x->nkeys; i++) {
        expr_eval(x->keys[i], r, &ctx->eval, &x->keyvals[i]);
        if (x->keyvals[i].kind == TYPE_NULL)
            return -1;
    }
    sb_reset(key);
    if (keycodec_encode(x->keyvals, x->nkeys, key) != 0)
        return 0;
    return (int)(fnv1a(key->data, key->len) % (uint64_t)ctx->exchange->ntasks);
}

/* Hands row (with its prior, if any) to task `to`: up here, or through
 * the repartition topic (keyed by `key`), or into the box. */
static int send_to(ExchangeOp *x, int to, Row *row, int64_t time, const StrBuf *key, EddyError *err)
{
    OpCtx *ctx = x->base.ctx;
    if (to == ctx->task)
        return op_push(x->base.downstream, row, err);
    if (ctx->exchange->remote) {
        sb_reset(&x->entry);
        if (put_entry(x, row, time, &x->entry, err) != 0)
            return -1;
        return ctx->out.repartition(ctx->out.ud, to, key->data, key->len, x->entry.data,
                                    x->entry.len, row->rowtime, err);
    }
    return put_entry(x, row, time, &ctx->exchange->box[ctx->task * ctx->exchange->ntasks + to], err);
}

/* A change of a table below an aggregate: its old row leaves the old
 * group and its new row joins the new one (op_aggregate.c,
 * aggregate_table).  One task owning both (or the only one) gets the
 * change whole; two get a retraction (a deletion whose prior is the old
 * row) and an addition (the new row without prior), each one entry per
 * source record, so the duplicate check by source offset holds. */
static int table_change(ExchangeOp *x, Row *row, EddyError *err)
{
    const Row *old = row->prior && !row->prior->tombstone ? row->prior : NULL;
    int told = old ? owner_of(x, old, &x->okey) : -1;
    int tnew = row->tombstone ? -1 : owner_of(x, row, &x->key);
    if (told < 0 && tnew < 0)
        return 0;   /* nothing for the aggregate */
    if (told < 0 || tnew < 0 || told == tnew)
        return send_to(x, tnew >= 0 ? tnew : told, row, NO_PART_TIME, tnew >= 0 ? &x->key : &x->okey,
                       err);
    Row retract = *row, add = *row;
    retract.tombstone = true;
    retract.cols = old->cols;
    retract.ncols = old->ncols;
    retract.prior = old;
    add.prior = NULL;
    return send_to(x, told, &retract, NO_PART_TIME, &x->okey, err) != 0 ? -1
           : send_to(x, tnew, &add, NO_PART_TIME, &x->key, err);
}

/* A foreign-key join's right row, to every task (a null key joins
 * nothing). */
static int broadcast(ExchangeOp *x, Row *row, EddyError *err)
{
    if (owner_of(x, row, &x->key) < 0)
        return 0;
    for (int to = 0; to < x->base.ctx->exchange->ntasks; to++)
        if (send_to(x, to, row, NO_PART_TIME, &x->key, err) != 0)
            return -1;
    return 0;
}

static int exchange_push(Operator *op, Row *row, EddyError *err)
{
    ExchangeOp *x = (ExchangeOp *)op;
    if (x->table)
        return table_change(x, row, err);
    if (x->broadcast)
        return broadcast(x, row, err);
    /* Rows the operator above drops, before they count for time: a null
     * group or join key, a tombstone in a stream's aggregate or a
     * stream-stream join (a table's deletions do go on). */
    if (row->tombstone && (x->timed || op->plan->tag == PLAN_AGGREGATE))
        return 0;
    int to = owner_of(x, row, &x->key);
    if (to < 0)
        return 0;
    /* The aggregate here hears its partition's time whichever task the
     * row goes to: its windows close on every partition it reads. */
    int64_t time;
    if (part_time(x, row, &time, err) != 0 || hand_up(op, row, F_MARK, time, err) != 0)
        return -1;
    /* To the owner (through its partition of the repartition topic, keyed
     * by the group: engine/README.md, "Scale-out"). */
    return send_to(x, to, row, time, &x->key, err);
}

/* The batch is over: each source partition whose time moved since its
 * last mark sends one to every other task (remote, timed only). */
static int exchange_batch_end(Operator *op, EddyError *err)
{
    ExchangeOp *x = (ExchangeOp *)op;
    OpCtx *ctx = op->ctx;
    if (!x->timed || !x->marks || !ctx->exchange->remote)
        return 0;
    for (int i = 0; i < x->times.n; i++) {
        if (x->times.times[i] <= x->marked[i])
            continue;
        int64_t t = x->times.times[i];
        sb_reset(&x->entry);
        sb_putc(&x->entry, (char)(F_MARK | F_TIME));
        sb_put_be64(&x->entry, (uint64_t)t);
        sb_put_be64(&x->entry, (uint64_t)(int64_t)x->times.ids[i]);
        sb_put_be64(&x->entry, (uint64_t)(int64_t)-1);   /* no record: no offset */
        for (int k = 0; k < 4; k++)                       /* window, columns, bytes */
            sb_put_be64(&x->entry, 0);
        sb_put_be64(&x->entry, (uint64_t)t);
        char key[4] = {(char)(x->times.ids[i] >> 24), (char)(x->times.ids[i] >> 16),
                       (char)(x->times.ids[i] >> 8), (char)x->times.ids[i]};
        for (int to = 0; to < ctx->exchange->ntasks; to++)
            if (to != ctx->task &&
                ctx->out.repartition(ctx->out.ud, to, key, sizeof key, x->entry.data, x->entry.len,
                                     t, err) != 0)
                return -1;
        x->marked[i] = t;
    }
    return 0;
}

bool op_exchange_origin(const void *value, size_t len, int *side, int32_t *partition,
                        int64_t *offset)
{
    const unsigned char *p = value;
    if (p == NULL || len < ENTRY_HEAD)
        return false;
    *side = p[0] & F_RIGHT ? 1 : 0;
    *partition = (int32_t)(int64_t)be64_get(p + 9);
    *offset = (int64_t)be64_get(p + 17);
    return *partition >= 0 && *offset >= 0;
}

bool op_exchange_is_mark(const void *value, size_t len)
{
    const unsigned char *p = value;
    return p != NULL && len == ENTRY_HEAD + 8 && (p[0] & F_MARK) != 0;
}

int op_exchange_receive(Operator *op, const void *value, size_t len, EddyError *err)
{
    const unsigned char *p = value;
    Row row;
    int flags;
    int64_t time;
    size_t used;
    int rc = get_entry(op->ctx, p, p + len, &row, &flags, &time, &used, err);
    if (rc != 0)
        return rc;
    if (used != len) {
        eddy_error(err, ERR_RUNTIME, (SrcPos){0}, "exchange: bytes after the entry");
        return 1;
    }
    if (time != NO_PART_TIME && !((ExchangeOp *)op)->timed) {
        eddy_error(err, ERR_RUNTIME, (SrcPos){0}, "exchange: a stream time for an aggregate without windows");
        return 1;
    }
    if (((flags & F_RIGHT) != 0) != (((ExchangeOp *)op)->side == 1)) {
        eddy_error(err, ERR_RUNTIME, (SrcPos){0}, "exchange: an entry of the other side of the join");
        return 1;
    }
    return hand_up(op, &row, flags, time, err) == 0 ? 0 : -1;
}

int op_exchange_drain(Operator *op, EddyError *err)
{
    OpCtx *ctx = op->ctx;
    Exchange *ex = ctx->exchange;
    for (int from = 0; from < ex->ntasks; from++) {
        if (from == ctx->task)
            continue;
        StrBuf *box = &ex->box[from * ex->ntasks + ctx->task];
        const unsigned char *p = (const unsigned char *)box->data, *end = p + box->len;
        int rc = 0;
        while (rc == 0 && p < end) {
            Row row;
            int flags;
            int64_t time;
            size_t used;
            if (get_entry(ctx, p, end, &row, &flags, &time, &used, err) != 0) {
                err->kind = ERR_INTERNAL;   /* our own bytes */
                return -1;
            }
            p += used;
            if (ctx->muted)
                *ctx->muted = (flags & F_MUTED) != 0;
            rc = hand_up(op, &row, flags, time, err);
        }
        sb_reset(box);
        if (rc != 0)
            return rc;
    }
    if (ctx->muted)
        *ctx->muted = false;
    return 0;
}

static void exchange_close(Operator *op)
{
    ExchangeOp *x = (ExchangeOp *)op;
    sb_free(&x->key);
    sb_free(&x->okey);
    sb_free(&x->row);
    sb_free(&x->entry);
    free(x->keyvals);
    free(x);
}

static const OperatorOps exchange_ops = {
    .name = "exchange",
    .push = exchange_push,
    .advance = op_generic_advance,
    .flush = op_generic_flush,
    .batch_end = exchange_batch_end,
    .close = exchange_close,
};

Operator *op_exchange_create(const Plan *p, int side, OpCtx *ctx, EddyError *err)
{
    ExchangeOp *x = (ExchangeOp *)op_alloc(sizeof(ExchangeOp), &exchange_ops, p, ctx);
    const char *meta = "meta";
    char join_meta[64];
    if (p->tag == PLAN_JOIN) {
        x->keys = side == 0 ? &p->u.join.left_key : &p->u.join.right_key;
        x->nkeys = 1;
        x->side = side;
        x->timed = p->u.join.kind == JOIN_STREAM_STREAM;
        x->broadcast = p->u.join.kind == JOIN_TABLE_TABLE_FK && side == 1;
        snprintf(join_meta, sizeof join_meta, "join%d.meta", p->u.join.id);
        meta = join_meta;   /* the join's own (its times are under "t") */
    } else {
        x->keys = p->u.aggregate.keys;
        x->nkeys = p->u.aggregate.nkeys;
        x->timed = p->u.aggregate.window.kind != WKIND_NONE;
        x->table = p->u.aggregate.input_is_table;
    }
    x->marks = true;
    x->tp = &x->times;
    x->keyvals = calloc((size_t)x->nkeys + 1, sizeof(Value));
    if (x->keyvals == NULL)
        EDDY_PANIC("out of memory");
    op_times_init(&x->times, "xt", INT64_MIN, -1);
    if (x->timed && ((x->meta = op_store(ctx, meta, err)) == NULL ||
                     op_times_load(&x->times, x->meta, err) != 0)) {
        exchange_close(&x->base);
        return NULL;
    }
    for (int i = 0; i < OP_MAX_PARTITIONS; i++)
        x->marked[i] = INT64_MIN;   /* a restart marks every partition again */
    return &x->base;
}

void op_exchange_pair(Operator *left, Operator *right)
{
    ExchangeOp *l = (ExchangeOp *)left, *r = (ExchangeOp *)right;
    r->tp = &l->times;
    r->marks = false;
}
