/*
 * op_aggregate.c - GROUP BY with optional TUMBLING / HOPPING / SESSION
 * windows, EMIT CHANGES or EMIT FINAL.
 *
 * State (store "aggregate"): key = order-preserving encoding of the group
 * values [| window start] (time windows) or [| end | start] (sessions);
 * value = row encoding of [max rowtime, state of each aggregate].  Every
 * update goes through the store's write-back cache, so state reaches
 * RocksDB only with a checkpoint, together with the offsets it reflects.
 *
 * Time follows Kafka Streams, where each input partition is a task with
 * its own stream time (the largest rowtime it has seen): a record is late
 * against its own partition's stream time - a time window once end + grace
 * <= it, a session once end < it - grace - and is dropped and counted.
 * One query here reads every partition, so windows close (EMIT FINAL,
 * retention) on the slowest partition's stream time: the minimum over the
 * partitions that have delivered records.  Stream times are kept in store
 * "meta" so a restart resumes them.  Windows are deleted once end + retention <= stream time
 * (index store "expiry": end | window key).  EMIT FINAL keeps pending
 * windows in index store "final" (end | window key) and emits each once it
 * closes, unless stream time has moved on so far that Kafka Streams
 * would no longer see it (final_visible).  The output timestamp is the largest rowtime in the
 * window/group.
 */
#include "eddy/codec.h"
#include "eddy/store.h"
#include "op_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct AggOp {
    Operator base;
    Store *state, *meta, *final, *expiry;
    int64_t part_time;            /* stream time of the current record's partition */
    PartitionTimes times;         /* per input partition (Row.partition; -1 after a join);
                                   * times.min closes windows: -1 before any record */
    int64_t final_next;           /* earliest end in "final" (INT64_MAX: none; INT64_MIN: unknown) */
    int64_t expiry_floor;         /* every "expiry" entry before this end is gone */
    int64_t final_floor;          /* every "final" entry before this end was emitted */
    int64_t expired_up_to;        /* stream time of the last expiry sweep */
    StrBuf key, val, tmp, idx;
    StrBuf lo, hi;                /* scan bounds */
    Value *states;                /* naggs + 1 */
    Value *keyvals;
} AggOp;

#define NO_TIME INT64_MIN

/* Times in index keys and meta values: the key codec's order-preserving
 * form (be64_put_ordered), so scans run in time order. */

/* ---- state encoding ---------------------------------------------------------- */

static int load_state(AggOp *op, const void *k, size_t klen, bool *found, EddyError *err)
{
    const Plan *p = op->base.plan;
    int naggs = p->u.aggregate.naggs;
    Arena *a = op->base.ctx->eval.arena;
    int rc = store_get(op->state, k, klen, &op->tmp, err);
    if (rc < 0)
        return -1;
    *found = rc == 1;
    if (rc == 1) {
        int n = 0;
        if (rowcodec_decode(op->tmp.data, op->tmp.len, op->states, naggs + 1, &n, a, err) != 0)
            return -1;
        if (n != naggs + 1)
            return eddy_error(err, ERR_INTERNAL, (SrcPos){0}, "aggregate state has %d values, not %d",
                              n, naggs + 1);
        return 0;
    }
    op->states[0] = v_bigint(NO_TIME);
    for (int i = 0; i < naggs; i++)
        p->u.aggregate.aggs[i].fns->init(&p->u.aggregate.aggs[i], &op->states[i + 1], a);
    return 0;
}

static int save_state(AggOp *op, const void *k, size_t klen)
{
    sb_reset(&op->val);
    rowcodec_encode(op->states, op->base.plan->u.aggregate.naggs + 1, &op->val);
    return store_put(op->state, k, klen, op->val.data, op->val.len);
}

/* The arguments of aggregate i over row (at most 8). */
static void eval_args(AggOp *op, int i, const Row *row, Value args[8])
{
    const Plan *p = op->base.plan;
    int n = p->u.aggregate.aggs[i].nargs < 8 ? p->u.aggregate.aggs[i].nargs : 8;
    for (int j = 0; j < n; j++)
        expr_eval(p->u.aggregate.args[i][j], row, &op->base.ctx->eval, &args[j]);
}

static void step_row(AggOp *op, const Row *row)
{
    const Plan *p = op->base.plan;
    Arena *a = op->base.ctx->eval.arena;
    for (int i = 0; i < p->u.aggregate.naggs; i++) {
        const AggCall *c = &p->u.aggregate.aggs[i];
        Value args[8];
        eval_args(op, i, row, args);
        c->fns->step(c, &op->states[i + 1], args, row->rowtime, row->offset, a);
    }
    if (row->rowtime > op->states[0].u.i64)
        op->states[0] = v_bigint(row->rowtime);
}

/* ---- output -------------------------------------------------------------------- */

/* The result row of the current states (or a tombstone for a window that
 * disappeared in a session merge), in the batch arena. */
static Row *result_row(AggOp *op, const Value *keyvals, int64_t wstart, int64_t wend,
                       bool tombstone, int64_t ts)
{
    const Plan *p = op->base.plan;
    int nk = p->u.aggregate.nkeys, naggs = p->u.aggregate.naggs;
    Arena *a = op->base.ctx->eval.arena;
    Row *out = arena_alloc(a, sizeof *out);
    out->ncols = nk + naggs;
    out->cols = arena_alloc(a, sizeof(Value) * (size_t)(out->ncols + 1));
    for (int k = 0; k < nk; k++)
        out->cols[k] = keyvals[k];
    for (int i = 0; i < naggs; i++) {
        if (tombstone)
            out->cols[nk + i] = v_null();
        else
            p->u.aggregate.aggs[i].fns->result(&p->u.aggregate.aggs[i], &op->states[i + 1],
                                               &out->cols[nk + i], a);
    }
    out->rowtime = ts;
    out->window_start = wstart;
    out->window_end = wend;
    out->tombstone = tombstone;
    out->partition = -1;
    out->offset = -1;
    return out;
}

/* Emits the current states; prior is the group's previous result (for
 * HAVING's changelog rule), or NULL for a new group. */
static int emit(AggOp *op, const Value *keyvals, int64_t wstart, int64_t wend, bool tombstone,
                int64_t ts, const Row *prior, EddyError *err)
{
    Row *out = result_row(op, keyvals, wstart, wend, tombstone, ts);
    out->prior = prior;
    return op_push(op->base.downstream, out, err);
}

/* Index entry "end | window key" in an index store. */
static int index_put(AggOp *op, Store *s, int64_t end, const void *k, size_t klen)
{
    if (s == op->final && op->final_next != INT64_MIN && end < op->final_next)
        op->final_next = end;
    /* A partition that delivers late can open a window ending before what
     * a scan already passed: the scans must start there again. */
    if (s == op->final && end < op->final_floor)
        op->final_floor = end;
    if (s == op->expiry && end < op->expiry_floor)
        op->expiry_floor = end;
    sb_reset(&op->idx);
    sb_put_be64_ordered(&op->idx, end);
    sb_append(&op->idx, k, klen);
    return store_put(s, op->idx.data, op->idx.len, "", 0);
}

static int index_del(AggOp *op, Store *s, int64_t end, const void *k, size_t klen)
{
    sb_reset(&op->idx);
    sb_put_be64_ordered(&op->idx, end);
    sb_append(&op->idx, k, klen);
    return store_delete(s, op->idx.data, op->idx.len);
}

/* Updates one group (non-windowed) or one time window with row. */
static int update_window(AggOp *op, const Row *row, int64_t wstart, int64_t wend, EddyError *err)
{
    const Plan *p = op->base.plan;
    size_t base = op->key.len;
    if (wstart != NO_TIME)
        keycodec_window(&op->key, wstart);
    bool found;
    int rc = load_state(op, op->key.data, op->key.len, &found, err);
    const Row *prior = NULL;
    if (rc == 0 && found && !p->u.aggregate.emit_final)
        prior = result_row(op, op->keyvals, wstart == NO_TIME ? -1 : wstart,
                           wstart == NO_TIME ? -1 : wend, false, op->states[0].u.i64);
    if (rc == 0) {
        step_row(op, row);
        rc = save_state(op, op->key.data, op->key.len);
    }
    if (rc == 0 && !found && wstart != NO_TIME) {
        rc = index_put(op, op->expiry, wend, op->key.data, op->key.len);
        if (rc == 0 && p->u.aggregate.emit_final)
            rc = index_put(op, op->final, wend, op->key.data, op->key.len);
    }
    if (rc == 0 && !p->u.aggregate.emit_final)
        rc = emit(op, op->keyvals, wstart == NO_TIME ? -1 : wstart, wstart == NO_TIME ? -1 : wend,
                  false, op->states[0].u.i64, prior, err);
    op->key.len = base;
    op->key.data[base] = '\0';
    return rc;
}

/* Session windows: merge every session of this key within gap of t. */
static int update_session(AggOp *op, const Row *row, EddyError *err)
{
    const Plan *p = op->base.plan;
    const WindowSpec *w = &p->u.aggregate.window;
    Arena *a = op->base.ctx->eval.arena;
    int naggs = p->u.aggregate.naggs;
    int64_t t = row->rowtime, gap = w->size_ms;
    size_t klen = op->key.len;
    char *kbytes = arena_strndup(a, op->key.data, klen);

    /* Sessions of this key sorted by end: from end >= t - gap on. */
    StrBuf *lo = &op->lo, *hi = &op->hi;
    sb_reset(lo);
    sb_reset(hi);
    sb_append(lo, kbytes, klen);
    keycodec_session(lo, t - gap, INT64_MIN);
    sb_append(hi, kbytes, klen);
    for (int i = 0; i < 17; i++)
        sb_putc(hi, (char)0xff);
    int64_t start = t, end = t;
    Value *merged = arena_alloc(a, sizeof(Value) * (size_t)(naggs + 1));
    merged[0] = v_bigint(NO_TIME);
    for (int i = 0; i < naggs; i++)
        p->u.aggregate.aggs[i].fns->init(&p->u.aggregate.aggs[i], &merged[i + 1], a);
    typedef struct Old { int64_t start, end; char *key; size_t len; } Old;
    Old olds[64];
    int nold = 0;
    StoreIter *it = store_iter(op->state, lo->data, lo->len, hi->data, hi->len);
    const void *k, *v;
    size_t kl, vl;
    int rc = 0;
    while (rc == 0 && store_iter_next(it, &k, &kl, &v, &vl)) {
        if (kl != klen + 16 || memcmp(k, kbytes, klen) != 0)
            continue;
        int64_t se = be64_get_ordered((const unsigned char *)k + klen);
        int64_t ss = be64_get_ordered((const unsigned char *)k + klen + 8);
        if (ss > t + gap || se < t - gap)
            continue;
        if (nold == 64)
            break;   /* more overlapping sessions than anyone should have: merge what we have */
        Value *st = arena_alloc(a, sizeof(Value) * (size_t)(naggs + 1));
        int n = 0;
        if (rowcodec_decode(v, vl, st, naggs + 1, &n, a, err) != 0 || n != naggs + 1) {
            rc = -1;
            break;
        }
        for (int i = 0; i < naggs; i++) {
            const AggCall *c = &p->u.aggregate.aggs[i];
            if (c->fns->merge)
                c->fns->merge(c, &merged[i + 1], &st[i + 1], a);
        }
        if (st[0].u.i64 > merged[0].u.i64)
            merged[0] = st[0];
        olds[nold++] = (Old){ss, se, arena_strndup(a, k, kl), kl};
        if (ss < start)
            start = ss;
        if (se > end)
            end = se;
    }
    if (rc != 0) {
        store_iter_close(it);
        return -1;
    }
    if (op_scan_close(op->state, it, err) != 0)
        return -1;
    /* Late: the merged session closed already. */
    if (end < op->part_time - w->grace_ms) {
        if (op->base.ctx->late_dropped)
            (*op->base.ctx->late_dropped)++;
        return 0;
    }
    for (int i = 0; i < naggs + 1; i++)
        op->states[i] = merged[i];
    step_row(op, row);
    /* As Kafka Streams: every merged session is removed and tombstoned
     * (stamped with its own end), unless the result is the record's own
     * point window [t, t]; session results are stamped with their end. */
    bool point = start == t && end == t;
    for (int i = 0; i < nold && rc == 0; i++) {
        rc = store_delete(op->state, olds[i].key, olds[i].len);
        if (rc == 0)
            rc = index_del(op, op->expiry, olds[i].end, olds[i].key, olds[i].len);
        if (rc == 0 && p->u.aggregate.emit_final)
            rc = index_del(op, op->final, olds[i].end, olds[i].key, olds[i].len);
        if (rc == 0 && !p->u.aggregate.emit_final && !point)
            rc = emit(op, op->keyvals, olds[i].start, olds[i].end, true, olds[i].end, NULL, err);
    }
    if (rc != 0)
        return -1;
    keycodec_session(&op->key, end, start);
    rc = save_state(op, op->key.data, op->key.len);
    if (rc == 0)
        rc = index_put(op, op->expiry, end, op->key.data, op->key.len);
    if (rc == 0 && p->u.aggregate.emit_final)
        rc = index_put(op, op->final, end, op->key.data, op->key.len);
    if (rc == 0 && !p->u.aggregate.emit_final)
        rc = emit(op, op->keyvals, start, end, false, end, NULL, err);
    op->key.len = klen;
    op->key.data[klen] = '\0';
    return rc;
}

/* ---- time ------------------------------------------------------------------------ */

/* Advances the record's partition's stream time (saved in "meta" under
 * "st" | partition); true in *close_moved if the close time moved. */
static int advance_time(AggOp *op, int32_t part, int64_t t, bool *close_moved)
{
    int i = op_times_slot(&op->times, part);
    *close_moved = false;
    if (t > op->times.times[i]) {
        *close_moved = op_times_advance(&op->times, i, t);
        if (op_times_save(&op->times, op->meta, i) != 0)
            return -1;
    }
    op->part_time = op->times.times[i];
    return 0;
}

static bool window_closed(const AggOp *op, const WindowSpec *w, int64_t end)
{
    int64_t now = op->times.min;
    return w->kind == WKIND_SESSION ? end < now - w->grace_ms : end + w->grace_ms <= now;
}

/* Would Kafka Streams still show this closed time window to EMIT FINAL?
 * It reads closed windows from a store that hides those starting more
 * than the retention (size + grace unless RETENTION) before the newest
 * window start it holds, the start of the latest window stream time
 * `now` falls in.  So a window whose close finds stream time already a
 * window further on (a jump past it) is never emitted: ksqlDB's EMIT
 * FINAL shows nothing for it (its suppress tests), and neither do we. */
static bool final_visible(const WindowSpec *w, int64_t ws, int64_t now)
{
    int64_t adv = w->advance_ms > 0 ? w->advance_ms : w->size_ms;
    int64_t newest = now >= 0 ? now - now % adv : now;
    return ws >= newest - w->retention_ms;
}

/* Emits pending EMIT FINAL windows that have closed.  The earliest pending
 * end is remembered, so most records cost no scan of the index at all. */
static int emit_closed(AggOp *op, EddyError *err)
{
    const Plan *p = op->base.plan;
    const WindowSpec *w = &p->u.aggregate.window;
    bool session = w->kind == WKIND_SESSION;
    if (op->final_next != INT64_MIN && (op->final_next == INT64_MAX || !window_closed(op, w, op->final_next)))
        return 0;
    /* The scan starts at the last emitted end (index_put lowers it when a
     * window ending earlier is added). */
    sb_reset(&op->lo);
    sb_put_be64_ordered(&op->lo, op->final_floor);
    StoreIter *it = store_iter(op->final, op->lo.data, op->lo.len, NULL, 0);
    const void *k, *v;
    size_t kl, vl;
    int rc = 0;
    Arena *a = op->base.ctx->eval.arena;
    PtrVec done = {0};
    op->final_next = INT64_MAX;   /* unless a pending window remains (set below) */
    while (rc == 0 && store_iter_next(it, &k, &kl, &v, &vl)) {
        if (kl < 8)
            continue;
        int64_t end = be64_get_ordered(k);
        if (!window_closed(op, w, end)) {
            op->final_next = end;
            break;
        }
        op->final_floor = end;
        ptrvec_push(a, &done, arena_strndup(a, k, kl));
        ptrvec_push(a, &done, (void *)(uintptr_t)kl);
    }
    if (op_scan_close(op->final, it, err) != 0)
        return -1;
    for (int i = 0; i < done.n && rc == 0; i += 2) {
        const char *ik = done.items[i];
        size_t ikl = (size_t)(uintptr_t)done.items[i + 1];
        const char *wk = ik + 8;
        size_t wkl = ikl - 8;
        bool found;
        if (load_state(op, wk, wkl, &found, err) != 0)
            return -1;
        if (found) {
            size_t keylen = wkl - (session ? 16 : 8);
            Value *kv = arena_alloc(a, sizeof(Value) * (size_t)(p->u.aggregate.nkeys + 1));
            if (keycodec_decode(wk, keylen, kv, p->u.aggregate.nkeys, a, err) != 0)
                return -1;
            int64_t ws = session ? be64_get_ordered((const unsigned char *)wk + keylen + 8)
                                 : be64_get_ordered((const unsigned char *)wk + keylen);
            int64_t we = session ? be64_get_ordered((const unsigned char *)wk + keylen) : ws + w->size_ms;
            if (session || final_visible(w, ws, op->times.min))
                rc = emit(op, kv, ws, we, false, session ? we : op->states[0].u.i64, NULL, err);
        }
        if (rc == 0)
            rc = store_delete(op->final, ik, ikl);
    }
    return rc;
}

/* Deletes windows past their retention. */
static int expire(AggOp *op, EddyError *err)
{
    const WindowSpec *w = &op->base.plan->u.aggregate.window;
    Arena *a = op->base.ctx->eval.arena;
    /* From the last sweep's end: what lies before it is deleted, and seeking
     * past deletions is far cheaper than walking them. */
    sb_reset(&op->lo);
    sb_put_be64_ordered(&op->lo, op->expiry_floor);
    StoreIter *it = store_iter(op->expiry, op->lo.data, op->lo.len, NULL, 0);
    const void *k, *v;
    size_t kl, vl;
    PtrVec done = {0};
    while (store_iter_next(it, &k, &kl, &v, &vl)) {
        if (kl < 8)
            continue;
        if (be64_get_ordered(k) + w->retention_ms > op->times.min)
            break;
        op->expiry_floor = be64_get_ordered(k);
        ptrvec_push(a, &done, arena_strndup(a, k, kl));
        ptrvec_push(a, &done, (void *)(uintptr_t)kl);
        if (done.n >= 2000)
            break;   /* the rest next time */
    }
    if (op_scan_close(op->expiry, it, err) != 0)
        return -1;
    int rc = 0;
    for (int i = 0; i < done.n && rc == 0; i += 2) {
        const char *ik = done.items[i];
        size_t ikl = (size_t)(uintptr_t)done.items[i + 1];
        rc = store_delete(op->state, ik + 8, ikl - 8);
        if (rc == 0)
            rc = store_delete(op->expiry, ik, ikl);
    }
    return rc;
}

/* ---- tables: retract the prior row, add the new one ------------------------------------- */

/* Group key bytes of r into op->key (and op->keyvals); false if a key is null. */
static bool group_key(AggOp *op, const Row *r)
{
    const Plan *p = op->base.plan;
    for (int k = 0; k < p->u.aggregate.nkeys; k++) {
        expr_eval(p->u.aggregate.keys[k], r, &op->base.ctx->eval, &op->keyvals[k]);
        if (op->keyvals[k].kind == TYPE_NULL)
            return false;
    }
    sb_reset(&op->key);
    keycodec_encode(op->keyvals, p->u.aggregate.nkeys, &op->key);
    return true;
}

static void undo_row(AggOp *op, const Row *row)
{
    const Plan *p = op->base.plan;
    Arena *a = op->base.ctx->eval.arena;
    for (int i = 0; i < p->u.aggregate.naggs; i++) {
        const AggCall *c = &p->u.aggregate.aggs[i];
        Value args[8];
        eval_args(op, i, row, args);
        if (c->fns->undo)
            c->fns->undo(c, &op->states[i + 1], args, a);
    }
}

/* Applies (retract and/or add) to the group in op->key; emits its new result
 * stamped ts (a table's changes carry the triggering record's time). */
static int update_group(AggOp *op, const Row *retract, const Row *add, int64_t ts, EddyError *err)
{
    bool found;
    if (load_state(op, op->key.data, op->key.len, &found, err) != 0)
        return -1;
    const Row *prior = found ? result_row(op, op->keyvals, -1, -1, false, op->states[0].u.i64) : NULL;
    if (retract && found)
        undo_row(op, retract);
    if (add)
        step_row(op, add);
    if (save_state(op, op->key.data, op->key.len) != 0)
        return eddy_error(err, ERR_IO, (SrcPos){0}, "cannot save aggregate state");
    return emit(op, op->keyvals, -1, -1, false, ts, prior, err);
}

/* A changed source row is subtracted from its old group, then added to its
 * new group, each step with its own output -- also when both are the same
 * group: Kafka Streams' KGroupedTable forwards the subtraction and the
 * addition as two records, and ksqlDB's tests expect the group's value
 * between the two (correlation-udaf.json 'correlation udaf with table'). */
static int aggregate_table(AggOp *op, const Row *row, EddyError *err)
{
    const Plan *p = op->base.plan;
    Arena *a = op->base.ctx->eval.arena;
    const Row *old = row->prior && !row->prior->tombstone ? row->prior : NULL;
    const Row *new = row->tombstone ? NULL : row;
    char *oldkey = NULL;
    size_t oldlen = 0;
    Value *oldvals = NULL;
    if (old && group_key(op, old)) {
        oldkey = arena_strndup(a, op->key.data, op->key.len);
        oldlen = op->key.len;
        oldvals = arena_alloc(a, sizeof(Value) * (size_t)(p->u.aggregate.nkeys + 1));
        memcpy(oldvals, op->keyvals, sizeof(Value) * (size_t)p->u.aggregate.nkeys);
    }
    bool newkey = new && group_key(op, new);
    if (oldkey) {
        sb_reset(&op->key);
        sb_append(&op->key, oldkey, oldlen);
        Value *save = op->keyvals;
        op->keyvals = oldvals;
        int rc = update_group(op, old, NULL, row->rowtime, err);
        op->keyvals = save;
        if (rc != 0)
            return -1;
        if (newkey && !group_key(op, new))
            return 0;
    }
    return newkey ? update_group(op, NULL, new, row->rowtime, err) : 0;
}

/* ---- push ------------------------------------------------------------------------------ */

/* The close time moved: EMIT FINAL's closed windows go out, and expired
 * windows go (at most once per second of stream time). */
static int time_moved_on(AggOp *op, EddyError *err)
{
    const Plan *p = op->base.plan;
    int rc = 0;
    if (p->u.aggregate.window.kind == WKIND_NONE)
        return 0;
    if (p->u.aggregate.emit_final)
        rc = emit_closed(op, err);
    if (rc == 0 && op->times.min - op->expired_up_to >= 1000) {
        rc = expire(op, err);
        op->expired_up_to = op->times.min;
    }
    return rc;
}

static int aggregate_push(Operator *base, Row *row, EddyError *err)
{
    AggOp *op = (AggOp *)base;
    const Plan *p = base->plan;
    const WindowSpec *w = &p->u.aggregate.window;
    if (p->u.aggregate.input_is_table)
        return aggregate_table(op, row, err);
    if (row->tombstone)
        return 0;   /* a null value adds nothing to an aggregate */
    int nk = p->u.aggregate.nkeys;
    for (int k = 0; k < nk; k++) {
        expr_eval(p->u.aggregate.keys[k], row, &base->ctx->eval, &op->keyvals[k]);
        if (op->keyvals[k].kind == TYPE_NULL)
            return 0;   /* ksqlDB drops rows whose grouping key is null */
    }
    sb_reset(&op->key);
    keycodec_encode(op->keyvals, nk, &op->key);
    bool time_moved;
    if (advance_time(op, row->partition, row->rowtime, &time_moved) != 0)
        return eddy_error(err, ERR_IO, (SrcPos){0}, "cannot save stream time");
    int rc = 0;
    switch (w->kind) {
    case WKIND_NONE:
        rc = update_window(op, row, NO_TIME, NO_TIME, err);
        break;
    case WKIND_TUMBLING:
    case WKIND_HOPPING: {
        int64_t t = row->rowtime, adv = w->advance_ms;
        /* Windows [s, s + size) with s a multiple of advance and s <= t < s + size. */
        int64_t first = t - w->size_ms + 1;
        int64_t s = first <= 0 ? 0 : ((first + adv - 1) / adv) * adv;
        if (first < 0 && first % adv != 0)
            s = 0;
        for (; s <= t && rc == 0; s += adv) {
            if (s < 0 || s + w->size_ms <= t)
                continue;
            int64_t end = s + w->size_ms;
            if (end + w->grace_ms <= op->part_time) {   /* late for its partition */
                if (base->ctx->late_dropped)
                    (*base->ctx->late_dropped)++;
                continue;
            }
            rc = update_window(op, row, s, end, err);
        }
        break;
    }
    case WKIND_SESSION:
        rc = update_session(op, row, err);
        break;
    }
    if (rc == 0 && time_moved)
        rc = time_moved_on(op, err);
    return rc;
}

static int aggregate_partition_time(Operator *base, int32_t partition, int64_t t, EddyError *err)
{
    AggOp *op = (AggOp *)base;
    bool moved;
    if (advance_time(op, partition, t, &moved) != 0)
        return eddy_error(err, ERR_IO, (SrcPos){0}, "cannot save stream time");
    return moved ? time_moved_on(op, err) : 0;
}

static int aggregate_advance(Operator *base, int64_t t, EddyError *err)
{
    return op_generic_advance(base, t, err);
}

static void aggregate_close(Operator *base)
{
    AggOp *op = (AggOp *)base;
    sb_free(&op->key);
    sb_free(&op->val);
    sb_free(&op->tmp);
    sb_free(&op->idx);
    sb_free(&op->lo);
    sb_free(&op->hi);
    free(op->states);
    free(op->keyvals);
    free(op);
}

static const OperatorOps aggregate_ops = {
    .name = "aggregate",
    .push = aggregate_push,
    .advance = aggregate_advance,
    .partition_time = aggregate_partition_time,
    .flush = op_generic_flush,
    .close = aggregate_close,
};

Operator *op_aggregate_create(const Plan *p, OpCtx *ctx, EddyError *err)
{
    AggOp *op = (AggOp *)op_alloc(sizeof(AggOp), &aggregate_ops, p, ctx);
    sb_init(&op->key);
    sb_init(&op->val);
    sb_init(&op->tmp);
    sb_init(&op->idx);
    sb_init(&op->lo);
    sb_init(&op->hi);
    op->states = calloc((size_t)p->u.aggregate.naggs + 1, sizeof(Value));
    op->keyvals = calloc((size_t)p->u.aggregate.nkeys + 1, sizeof(Value));
    op_times_init(&op->times, "st", INT64_MIN, -1);
    op->state = op_store(ctx, p->u.aggregate.store, err);
    op->meta = op->state ? op_store(ctx, "meta", err) : NULL;
    op->final = op->meta ? op_store(ctx, "final", err) : NULL;
    op->expiry = op->final ? op_store(ctx, "expiry", err) : NULL;
    if (op->expiry == NULL) {
        aggregate_close(&op->base);
        return NULL;
    }
    op->final_next = INT64_MIN;
    op->expiry_floor = INT64_MIN;
    op->final_floor = INT64_MIN;
    if (op_times_load(&op->times, op->meta, err) != 0) {
        aggregate_close(&op->base);
        return NULL;
    }
    op->expired_up_to = op->times.min;
    return &op->base;
}
