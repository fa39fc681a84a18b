/*
 * op_join.c - joins, with both sides' state in the query's stores.
 *
 * Output rows are [key] + left columns + right columns (NULLs for a
 * missing side).  Two entry points (op_join_side 0 and 1) feed one join.
 *
 * Stream-stream (WITHIN before, after; GRACE PERIOD): each side's rows are
 * buffered in store "join<n>.buf<side>" under key | time | sequence, with
 * an index by time ("join<n>.exp<side>") to find closed windows.  A row
 * joins the other side's buffered rows of the same key within the window;
 * a left row at t matches right rows in [t - before, t + after].  Outer
 * rows (a side without a match) are emitted once the window has closed:
 * t + after (before, for the right side) + grace < stream time - so no
 * premature null results.  Stream time is kept per input partition number
 * (Kafka Streams' task for partition p sees partition p of both sides): a
 * record is late against its own partition's.  Buffered rows are kept
 * until the slowest partition has passed them (the minimum stream time),
 * so rows from partitions consumed at different paces still meet when the
 * join key is not the partitioning key.  The index by time is
 * "partition | time | seq | key".  Probes read an in-memory copy of the
 * recent part of each buffer (join_mem.c: rows from JOIN_MEM_SLACK_MS
 * before the reach of the slowest partition's stream time), rebuilt from
 * the store at start; a late record reaching further back reads the
 * store.
 *
 * Stream-table: the table side is kept in "join<n>.tab1"; a stream row
 * looks up its key's current row; table changes produce no output.
 *
 * Table-table: both sides kept in "join<n>.tab0/1"; each change recomputes
 * the key's joined row: an upsert if the join type has one, a tombstone if
 * it had one before and not now.  Foreign-key joins keep an index
 * "join<n>.fk" (fk | left key) so a right change reaches every left row
 * that references it; their output key is the left table's key.
 */
#include "eddy/codec.h"
#include "eddy/store.h"
#include "op_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct JoinOp JoinOp;

typedef struct JoinSide {
    Operator base;
    JoinOp *join;
    int side;
} JoinSide;

struct JoinOp {
    Operator base;
    JoinSide sides[2];
    Store *buf[2], *exp[2], *tab[2], *fk, *meta;
    PartitionTimes times;         /* per input partition (Row.partition), in "meta" under
                                   * "t" | partition; times.min is the close time */
    /* Per partition slot of `times` and side: */
    int64_t exp_next[OP_MAX_PARTITIONS][2];   /* earliest time buffered;
                                               * INT64_MAX none, INT64_MIN unknown */
    int64_t exp_floor[OP_MAX_PARTITIONS][2];  /* every index entry before this time is gone:
                                               * scans seek past the deletions instead of
                                               * walking them */
    const Row *cur;               /* the input row being processed */
    int64_t seq;
    StrBuf key, val, tmp, idx;
    StrBuf lo, hi;                /* scan bounds */
    JoinMem *mem[2];              /* stream-stream: each buffer's recent rows */
    /* A partition time heard through an exchange moved the close time:
     * the windows close after the row that came with it, or before the
     * next row or time, or at the batch's end (side_partition_time). */
    bool close_pending;
};

/* How far behind the reach of the slowest partition's stream time rows
 * stay in memory: records at most this late (against that time) still
 * probe memory only.  Memory holds the rows of about reach + this much
 * event time. */
#define JOIN_MEM_SLACK_MS 5000

/* ---- rows in stores: [flag, rowtime, columns...] ------------------------------ */

static int ncols_of(const JoinOp *j, int side)
{
    const Plan *p = j->base.plan;
    return side == 0 ? (p->input->schema->ncols) : p->right->schema->ncols;
}

static void encode_row(JoinOp *j, const Row *r, bool flag, StrBuf *out)
{
    Arena *a = j->base.ctx->eval.arena;
    Value *vals = arena_alloc(a, sizeof(Value) * (size_t)(r->ncols + 4));
    vals[0] = v_bool(flag);
    vals[1] = v_bigint(r->rowtime);
    vals[2] = v_bigint(r->window_start);
    vals[3] = v_bigint(r->window_end);
    memcpy(vals + 4, r->cols, sizeof(Value) * (size_t)r->ncols);
    sb_reset(out);
    rowcodec_encode(vals, r->ncols + 4, out);
}

static Row *decode_row(JoinOp *j, int side, const void *buf, size_t len, bool *flag, EddyError *err)
{
    Arena *a = j->base.ctx->eval.arena;
    int nc = ncols_of(j, side), n = 0;
    Value *vals = arena_alloc(a, sizeof(Value) * (size_t)(nc + 5));
    if (rowcodec_decode(buf, len, vals, nc + 4, &n, a, err) != 0 || (n != nc + 4 && n != nc + 2)) {
        eddy_error(err, ERR_INTERNAL, (SrcPos){0}, "a buffered join row is malformed");
        return NULL;
    }
    /* [flag, rowtime, window start, window end, columns]; rows buffered
     * before windows were kept have no window. */
    int h = n - nc;
    Row *r = arena_alloc(a, sizeof *r);
    r->cols = vals + h;
    r->ncols = nc;
    r->rowtime = vals[1].u.i64;
    r->window_start = h == 4 ? vals[2].u.i64 : -1;
    r->window_end = h == 4 ? vals[3].u.i64 : -1;
    if (flag)
        *flag = vals[0].u.b;
    return r;
}

/* The store key of a join key; in a join of windowed sources rows meet on
 * key and window (Kafka Streams joins on the whole windowed key), so the
 * window follows the key. */
static void join_key(JoinOp *j, const Row *row, const Value *key)
{
    sb_reset(&j->key);
    keycodec_encode(key, 1, &j->key);
    if (j->base.plan->u.join.windowed) {
        sb_put_be64_ordered(&j->key, row->window_start);
        sb_put_be64_ordered(&j->key, row->window_end);
    }
}

/* The stored row of key in a table store, or NULL. */
static Row *tab_get(JoinOp *j, int side, const void *k, size_t kl, EddyError *err, int *rc)
{
    *rc = store_get(j->tab[side], k, kl, &j->tmp, err);
    if (*rc != 1)
        return NULL;
    Row *r = decode_row(j, side, j->tmp.data, j->tmp.len, NULL, err);
    if (r == NULL)
        *rc = -1;
    return r;
}

static int tab_put(JoinOp *j, int side, const void *k, size_t kl, const Row *r)
{
    if (r == NULL)
        return store_delete(j->tab[side], k, kl);
    encode_row(j, r, false, &j->val);
    return store_put(j->tab[side], k, kl, j->val.data, j->val.len);
}

/* ---- output ------------------------------------------------------------------------- */

static int emit(JoinOp *j, const Value *key, const Row *l, const Row *r, int64_t ts, bool tombstone,
                EddyError *err)
{
    const Plan *p = j->base.plan;
    int nl = p->u.join.nleft, nr = p->u.join.nright, skip = p->u.join.left_skip;
    Arena *a = j->base.ctx->eval.arena;
    Row out = {0};
    out.ncols = 1 + nl + nr + p->u.join.nextra;
    out.cols = arena_alloc(a, sizeof(Value) * (size_t)(out.ncols + 1));
    out.cols[0] = *key;
    for (int i = 0; i < nl; i++)
        out.cols[1 + i] = l ? l->cols[skip + i] : v_null();
    for (int i = 0; i < nr; i++)
        out.cols[1 + nl + i] = r ? r->cols[i] : v_null();
    int x = 1 + nl + nr;   /* the sides' event times (a.ROWTIME, b.ROWTIME) */
    if (p->u.join.nextra == 2)
        out.cols[x++] = l ? v_bigint(l->rowtime) : v_null();
    out.cols[x] = r ? v_bigint(r->rowtime) : v_null();
    out.rowtime = ts;
    /* The same window on both sides, when windowed; a tombstone has the
     * window of the change that caused it. */
    const Row *w = l ? l : r ? r : j->cur;
    out.window_start = w ? w->window_start : -1;
    out.window_end = w ? w->window_end : -1;
    out.partition = -1;
    out.offset = -1;
    out.tombstone = tombstone;
    return op_push(j->base.downstream, &out, err);
}

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

/* Does a joined row exist for these sides under the join type? */
static bool joinable(JoinType t, const Row *l, const Row *r)
{
    switch (t) {
    case JOINTYPE_INNER: return l && r;
    case JOINTYPE_LEFT: return l != NULL;
    case JOINTYPE_RIGHT: return r != NULL;
    case JOINTYPE_FULL: return l || r;
    }
    return false;
}

/* ---- stream-stream ---------------------------------------------------------------- */

static void put_be32(StrBuf *sb, int32_t v)
{
    char b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (char)(((uint32_t)v >> (24 - 8 * i)) & 0xff);
    sb_append(sb, b, 4);
}

static int32_t get_be32(const void *p)
{
    const unsigned char *b = p;
    return (int32_t)((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]);
}

/* The floor of the in-memory buffers for the current close time. */
static int64_t mem_floor(const JoinOp *j)
{
    const Plan *p = j->base.plan;
    int64_t reach = max64(p->u.join.before_ms, p->u.join.after_ms);
    if (j->times.min <= INT64_MIN / 4 || reach > ((int64_t)1 << 60))
        return INT64_MIN;
    return j->times.min - reach - JOIN_MEM_SLACK_MS;
}

/* Time and sequence at the end of a buffer key (key | time | seq). */
static void buf_key_time(const char *k, size_t kl, int64_t *t, int64_t *seq)
{
    *t = be64_get_ordered(k + kl - 16);
    *seq = be64_get_ordered(k + kl - 8);
}

/* Loads each buffer's rows at or after the floor into memory (start). */
static int mem_restore(JoinOp *j, EddyError *err)
{
    int64_t floor = mem_floor(j);
    for (int side = 0; side < 2; side++) {
        j->mem[side] = joinmem_create(floor);
        StoreIter *it = store_iter(j->buf[side], NULL, 0, NULL, 0);
        const void *k, *v;
        size_t kl, vl;
        while (store_iter_next(it, &k, &kl, &v, &vl)) {
            if (kl < 16)
                continue;
            int64_t t, seq;
            buf_key_time(k, kl, &t, &seq);
            joinmem_add(j->mem[side], k, kl - 16, t, seq, v, vl);
        }
        if (op_scan_close(j->buf[side], it, err) != 0)
            return -1;
    }
    return 0;
}

/* Saves a partition's stream time and the sequence. */
static int save_meta(JoinOp *j, int ps)
{
    unsigned char seq[8];
    keycodec_put_i64(seq, j->seq);
    int rc = op_times_save(&j->times, j->meta, ps);
    return rc == 0 ? store_put(j->meta, "seq", 3, seq, 8) : rc;
}

/* Emits the outer rows of partition ps's closed windows and drops its
 * expired buffered rows. */
static int close_windows(JoinOp *j, int ps, EddyError *err)
{
    const Plan *p = j->base.plan;
    Arena *a = j->base.ctx->eval.arena;
    int64_t st = j->times.min;
    int rc = 0;
    for (int side = 0; side < 2 && rc == 0; side++) {
        int64_t reach = side == 0 ? p->u.join.after_ms : p->u.join.before_ms;
        /* Most records close nothing: skip the scan until the earliest
         * buffered row's window has closed. */
        int64_t *next = &j->exp_next[ps][side];
        if (*next == INT64_MAX || (*next != INT64_MIN && *next + reach + p->u.join.grace_ms >= st))
            continue;
        *next = INT64_MAX;
        int32_t part = j->times.ids[ps];
        sb_reset(&j->lo);
        sb_reset(&j->hi);
        put_be32(&j->lo, part);
        sb_put_be64_ordered(&j->lo, j->exp_floor[ps][side]);
        put_be32(&j->hi, part);   /* the partition's prefix: past any time | seq */
        for (int b = 0; b < 9; b++)
            sb_putc(&j->hi, (char)0xff);
        bool outer = side == 0 ? (p->u.join.type == JOINTYPE_LEFT || p->u.join.type == JOINTYPE_FULL)
                               : (p->u.join.type == JOINTYPE_RIGHT || p->u.join.type == JOINTYPE_FULL);
        PtrVec done = {0};
        StoreIter *it = store_iter(j->exp[side], j->lo.data, j->lo.len, j->hi.data, j->hi.len);
        const void *k, *v;
        size_t kl, vl;
        while (store_iter_next(it, &k, &kl, &v, &vl)) {
            if (kl < 20 || get_be32(k) != part)
                continue;
            int64_t t = be64_get_ordered((const char *)k + 4);
            if (t + reach + p->u.join.grace_ms >= st) {
                *next = t;
                break;
            }
            j->exp_floor[ps][side] = t;
            ptrvec_push(a, &done, arena_strndup(a, k, kl));
            ptrvec_push(a, &done, (void *)(uintptr_t)kl);
        }
        if (op_scan_close(j->exp[side], it, err) != 0)
            return -1;
        for (int i = 0; i < done.n && rc == 0; i += 2) {
            const char *ik = done.items[i];
            size_t ikl = (size_t)(uintptr_t)done.items[i + 1];
            const char *bk = ik + 20;   /* partition | time | seq | buffer key */
            size_t bkl = ikl - 20;
            int got = store_get(j->buf[side], bk, bkl, &j->tmp, err);
            if (got < 0)
                return -1;
            if (got == 1 && outer) {
                bool matched;
                Row *r = decode_row(j, side, j->tmp.data, j->tmp.len, &matched, err);
                if (r == NULL)
                    return -1;
                if (!matched) {
                    Value key;
                    size_t used;
                    if (keycodec_decode_prefix(bk, bkl, &key, 1, &used, a, err) != 0)
                        return -1;
                    rc = emit(j, &key, side == 0 ? r : NULL, side == 0 ? NULL : r, r->rowtime, false, err);
                }
            }
            if (rc == 0 && bkl >= 16) {
                int64_t bt, bseq;
                buf_key_time(bk, bkl, &bt, &bseq);
                joinmem_remove(j->mem[side], bk, bkl - 16, bt, bseq);
            }
            if (rc == 0)
                rc = store_delete(j->buf[side], bk, bkl);
            if (rc == 0)
                rc = store_delete(j->exp[side], ik, ikl);
        }
    }
    return rc;
}

static int stream_stream(JoinOp *j, int side, const Row *row, const Value *key, EddyError *err)
{
    const Plan *p = j->base.plan;
    Arena *a = j->base.ctx->eval.arena;
    int64_t t = row->rowtime;
    int64_t before = p->u.join.before_ms, after = p->u.join.after_ms;
    int64_t reach = side == 0 ? after : before;
    int ps = op_times_slot(&j->times, row->partition);
    bool close_moved = op_times_advance(&j->times, ps, t);
    /* A record whose window closed before it arrived still joins what the
     * other side still holds, but is not kept; on an outer side with no
     * match its null row comes at once (as Kafka Streams does). */
    bool closed = t + reach + p->u.join.grace_ms < j->times.times[ps];
    /* Matches on the other side: a left row at t takes right rows in
     * [t - before, t + after]; a right row at t takes left rows in
     * [t - after, t + before]. */
    int o = 1 - side;
    int64_t lo = side == 0 ? t - before : t - after, hi = side == 0 ? t + after : t + before;
    join_key(j, row, key);
    size_t klen = j->key.len;
    PtrVec matches = {0};
    if (lo >= joinmem_floor(j->mem[o])) {
        /* the whole range is in memory: no store iterator */
        const JoinMemRow *mr;
        int n = joinmem_find(j->mem[o], j->key.data, klen, lo, hi, &mr);
        for (int i = 0; i < n; i++) {
            char *mk = arena_alloc(a, klen + 16);
            memcpy(mk, j->key.data, klen);
            be64_put_ordered(mk + klen, mr[i].t);
            be64_put_ordered(mk + klen + 8, mr[i].seq);
            ptrvec_push(a, &matches, mk);
            ptrvec_push(a, &matches, arena_strndup(a, mr[i].val, mr[i].vlen));
            ptrvec_push(a, &matches, (void *)(uintptr_t)mr[i].vlen);
        }
    } else {
        sb_reset(&j->lo);
        sb_reset(&j->hi);
        sb_append(&j->lo, j->key.data, klen);
        sb_put_be64_ordered(&j->lo, lo);
        sb_append(&j->hi, j->key.data, klen);
        sb_put_be64_ordered(&j->hi, hi == INT64_MAX ? hi : hi + 1);
        StoreIter *it = store_iter(j->buf[o], j->lo.data, j->lo.len, j->hi.data, j->hi.len);
        const void *k, *v;
        size_t kl, vl;
        while (store_iter_next(it, &k, &kl, &v, &vl)) {
            if (kl != klen + 16)
                continue;
            ptrvec_push(a, &matches, arena_strndup(a, k, kl));
            ptrvec_push(a, &matches, arena_strndup(a, v, vl));
            ptrvec_push(a, &matches, (void *)(uintptr_t)vl);
        }
        if (op_scan_close(j->buf[o], it, err) != 0)
            return -1;
    }
    int rc = 0;
    for (int i = 0; i < matches.n && rc == 0; i += 3) {
        bool matched;
        size_t mvl = (size_t)(uintptr_t)matches.items[i + 2];
        Row *m = decode_row(j, o, matches.items[i + 1], mvl, &matched, err);
        if (m == NULL)
            return -1;
        rc = emit(j, key, side == 0 ? row : m, side == 0 ? m : row, max64(t, m->rowtime), false, err);
        if (rc == 0 && !matched) {   /* it has found a partner: no outer row for it */
            encode_row(j, m, true, &j->val);
            rc = store_put(j->buf[o], matches.items[i], klen + 16, j->val.data, j->val.len);
            int64_t mt, mseq;
            buf_key_time(matches.items[i], klen + 16, &mt, &mseq);
            joinmem_update(j->mem[o], matches.items[i], klen, mt, mseq, j->val.data, j->val.len);
        }
    }
    if (rc != 0)
        return -1;
    bool outer = side == 0 ? (p->u.join.type == JOINTYPE_LEFT || p->u.join.type == JOINTYPE_FULL)
                           : (p->u.join.type == JOINTYPE_RIGHT || p->u.join.type == JOINTYPE_FULL);
    close_moved = close_moved || j->close_pending;
    j->close_pending = false;
    if (close_moved) {
        int64_t floor = mem_floor(j);
        joinmem_evict(j->mem[0], floor);
        joinmem_evict(j->mem[1], floor);
    }
    if (closed) {
        if (outer && matches.n == 0 &&
            emit(j, key, side == 0 ? row : NULL, side == 0 ? NULL : row, t, false, err) != 0)
            return -1;
        if (save_meta(j, ps) != 0)
            return -1;
        for (int i = 0; close_moved && i < j->times.n; i++)
            if (close_windows(j, i, err) != 0)
                return -1;
        return 0;
    }
    /* Buffer this row: key | t | seq, and its index entry t | seq | key. */
    int64_t seq = j->seq++;
    sb_put_be64_ordered(&j->key, t);
    sb_put_be64_ordered(&j->key, seq);
    encode_row(j, row, matches.n > 0, &j->val);
    if (store_put(j->buf[side], j->key.data, j->key.len, j->val.data, j->val.len) != 0)
        return -1;
    joinmem_add(j->mem[side], j->key.data, klen, t, seq, j->val.data, j->val.len);
    sb_reset(&j->idx);
    put_be32(&j->idx, j->times.ids[ps]);
    sb_put_be64_ordered(&j->idx, t);
    sb_put_be64_ordered(&j->idx, seq);
    sb_append(&j->idx, j->key.data, j->key.len);
    if (j->exp_next[ps][side] != INT64_MIN && t < j->exp_next[ps][side])
        j->exp_next[ps][side] = t;
    if (t < j->exp_floor[ps][side])
        j->exp_floor[ps][side] = t;   /* scans must reach it */
    if (store_put(j->exp[side], j->idx.data, j->idx.len, "", 0) != 0 || save_meta(j, ps) != 0)
        return -1;
    /* Without GRACE PERIOD ksqlDB keeps the older, eager outer join: a row
     * with no partner yet is emitted at once (and again joined later). */
    if (!p->u.join.grace_given && outer && matches.n == 0 &&
        emit(j, key, side == 0 ? row : NULL, side == 0 ? NULL : row, t, false, err) != 0)
        return -1;
    for (int i = 0; close_moved && i < j->times.n; i++)
        if (close_windows(j, i, err) != 0)
            return -1;
    return 0;
}

/* ---- stream-table ------------------------------------------------------------------ */

static int stream_table(JoinOp *j, int side, const Row *row, const Value *key, EddyError *err)
{
    join_key(j, row, key);
    if (side == 1)   /* a table change: kept, no output */
        return tab_put(j, 1, j->key.data, j->key.len, row->tombstone ? NULL : row) == 0 ? 0 : -1;
    if (row->tombstone)
        return 0;
    int rc;
    Row *r = tab_get(j, 1, j->key.data, j->key.len, err, &rc);
    if (rc < 0)
        return -1;
    if (r == NULL && j->base.plan->u.join.type == JOINTYPE_INNER)
        return 0;
    return emit(j, key, row, r, row->rowtime, false, err);
}

/* ---- table-table --------------------------------------------------------------------- */

static int table_table(JoinOp *j, int side, const Row *row, const Value *key, EddyError *err)
{
    JoinType t = j->base.plan->u.join.type;
    join_key(j, row, key);
    char *k = arena_strndup(j->base.ctx->eval.arena, j->key.data, j->key.len);
    size_t kl = j->key.len;
    int rc;
    Row *old = tab_get(j, side, k, kl, err, &rc);
    if (rc < 0)
        return -1;
    const Row *now = row->tombstone ? NULL : row;
    if (tab_put(j, side, k, kl, now) != 0)
        return -1;
    Row *other = tab_get(j, 1 - side, k, kl, err, &rc);
    if (rc < 0)
        return -1;
    const Row *l0 = side == 0 ? old : other, *r0 = side == 0 ? other : old;
    const Row *l1 = side == 0 ? now : other, *r1 = side == 0 ? other : now;
    if (joinable(t, l1, r1))   /* stamped max(this record, the other side's row) */
        return emit(j, key, l1, r1, max64(row->rowtime, other ? other->rowtime : INT64_MIN), false, err);
    if (joinable(t, l0, r0))
        return emit(j, key, NULL, NULL, row->rowtime, true, err);
    return 0;
}

/* Foreign key: left rows keyed by their own key; the index fk | left key. */
static int fk_index(JoinOp *j, const Value *fk, const char *lk, size_t lkl, bool add)
{
    sb_reset(&j->idx);
    keycodec_encode(fk, 1, &j->idx);
    sb_append(&j->idx, lk, lkl);
    return add ? store_put(j->fk, j->idx.data, j->idx.len, "", 0)
               : store_delete(j->fk, j->idx.data, j->idx.len);
}

/* The right table's row a foreign key points at (NULL for a null key or
 * none); *rc < 0 on a store error. */
static Row *right_by_fk(JoinOp *j, const Value *fk, EddyError *err, int *rc)
{
    *rc = 0;
    if (fk->kind == TYPE_NULL)
        return NULL;
    sb_reset(&j->key);
    keycodec_encode(fk, 1, &j->key);
    return tab_get(j, 1, j->key.data, j->key.len, err, rc);
}

static int table_table_fk(JoinOp *j, int side, const Row *row, EddyError *err)
{
    const Plan *p = j->base.plan;
    Arena *a = j->base.ctx->eval.arena;
    bool inner = p->u.join.type == JOINTYPE_INNER;
    EvalCtx *ev = &j->base.ctx->eval;
    int rc;
    if (side == 0) {
        Value lkv = row->cols[0];   /* the left table's key */
        sb_reset(&j->key);
        keycodec_encode(&lkv, 1, &j->key);
        char *lk = arena_strndup(a, j->key.data, j->key.len);
        size_t lkl = j->key.len;
        Row *old = tab_get(j, 0, lk, lkl, err, &rc);
        if (rc < 0)
            return -1;
        const Row *now = row->tombstone ? NULL : row;
        Value ofk = v_null(), nfk = v_null();
        if (old)
            expr_eval(p->u.join.left_key, old, ev, &ofk);
        if (now)
            expr_eval(p->u.join.left_key, now, ev, &nfk);
        if (old && ofk.kind != TYPE_NULL && fk_index(j, &ofk, lk, lkl, false) != 0)
            return -1;
        if (tab_put(j, 0, lk, lkl, now) != 0)
            return -1;
        if (now && nfk.kind != TYPE_NULL && fk_index(j, &nfk, lk, lkl, true) != 0)
            return -1;
        Row *r1 = now ? right_by_fk(j, &nfk, err, &rc) : NULL;
        if (rc < 0)
            return -1;
        bool cur = now && (!inner || r1);
        if (cur)
            return emit(j, &lkv, now, r1, max64(now->rowtime, r1 ? r1->rowtime : INT64_MIN), false, err);
        /* As Kafka Streams' foreign-key join: a deleted left row, or an
         * updated one whose key finds no right row, writes a tombstone
         * whether or not a result was out ("unset any output of the
         * previous foreign key"); an inner join skips a row whose
         * foreign key is NULL, and a new left row without a match writes
         * nothing. */
        if (old && !(inner && now && nfk.kind == TYPE_NULL))
            return emit(j, &lkv, NULL, NULL, row->rowtime, true, err);
        return 0;
    }
    /* A right change reaches every left row that references its key. */
    Value rkv;
    expr_eval(p->u.join.right_key, row, ev, &rkv);
    if (rkv.kind == TYPE_NULL)
        return 0;
    sb_reset(&j->key);
    keycodec_encode(&rkv, 1, &j->key);
    char *rk = arena_strndup(a, j->key.data, j->key.len);
    size_t rkl = j->key.len;
    Row *old = tab_get(j, 1, rk, rkl, err, &rc);
    if (rc < 0)
        return -1;
    const Row *now = row->tombstone ? NULL : row;
    if (tab_put(j, 1, rk, rkl, now) != 0)
        return -1;
    sb_reset(&j->hi);
    sb_append(&j->hi, rk, rkl);
    sb_putc(&j->hi, (char)0xff);
    PtrVec lefts = {0};
    StoreIter *it = store_iter(j->fk, rk, rkl, j->hi.data, j->hi.len);
    const void *k, *v;
    size_t kl, vl;
    while (store_iter_next(it, &k, &kl, &v, &vl)) {
        size_t used;
        Value probe;
        if (kl <= rkl || keycodec_decode_prefix(k, kl, &probe, 1, &used, a, err) != 0 || used != rkl)
            continue;
        ptrvec_push(a, &lefts, arena_strndup(a, (const char *)k + rkl, kl - rkl));
        ptrvec_push(a, &lefts, (void *)(uintptr_t)(kl - rkl));
    }
    if (op_scan_close(j->fk, it, err) != 0)
        return -1;
    for (int i = 0; i < lefts.n; i += 2) {
        size_t lkl = (size_t)(uintptr_t)lefts.items[i + 1];
        Row *l = tab_get(j, 0, lefts.items[i], lkl, err, &rc);
        if (rc < 0)
            return -1;
        if (l == NULL)
            continue;
        Value lkv = l->cols[0];
        bool cur = !inner || now, prev = !inner || old;
        if (cur) {
            if (emit(j, &lkv, l, now, max64(l->rowtime, row->rowtime), false, err) != 0)
                return -1;
        } else if (prev && emit(j, &lkv, NULL, NULL, row->rowtime, true, err) != 0) {
            return -1;
        }
    }
    return 0;
}

/* ---- entry points ------------------------------------------------------------------------ */

static int side_push(Operator *op, Row *row, EddyError *err)
{
    JoinSide *s = (JoinSide *)op;
    JoinOp *j = s->join;
    const Plan *p = j->base.plan;
    j->cur = row;
    if (p->u.join.kind == JOIN_TABLE_TABLE_FK)
        return table_table_fk(j, s->side, row, err);
    /* The join key of this row; a table's deletion has its key columns. */
    Value key;
    expr_eval(s->side == 0 ? p->u.join.left_key : p->u.join.right_key, row, &j->base.ctx->eval, &key);
    if (key.kind == TYPE_NULL)
        return 0;   /* a null join key joins nothing */
    switch (p->u.join.kind) {
    case JOIN_STREAM_STREAM:
        if (row->tombstone)
            return 0;
        return stream_stream(j, s->side, row, &key, err);
    case JOIN_STREAM_TABLE:
        return stream_table(j, s->side, row, &key, err);
    case JOIN_TABLE_TABLE:
        return table_table(j, s->side, row, &key, err);
    case JOIN_TABLE_TABLE_FK:
        break;
    }
    EDDY_PANIC("bad join kind %d", (int)p->u.join.kind);
}

/* Closes the windows a moved close time closed (close_pending). */
static int close_pending(JoinOp *j, EddyError *err)
{
    if (!j->close_pending)
        return 0;
    j->close_pending = false;
    int64_t floor = mem_floor(j);
    joinmem_evict(j->mem[0], floor);
    joinmem_evict(j->mem[1], floor);
    for (int i = 0; i < j->times.n; i++)
        if (close_windows(j, i, err) != 0)
            return -1;
    return 0;
}

/* A partition's stream time heard through an exchange (op_exchange.c),
 * before the row it came with, if any.  In one process a row first moves
 * its partition's time (so its own lateness is judged by it), then joins,
 * then closes windows: so the time moves now and the windows close after
 * the row (stream_stream), or before whatever comes next here, or at the
 * batch's end. */
static int side_partition_time(Operator *op, int32_t partition, int64_t t, EddyError *err)
{
    JoinOp *j = ((JoinSide *)op)->join;
    if (j->base.plan->u.join.kind != JOIN_STREAM_STREAM)
        return 0;
    if (close_pending(j, err) != 0)
        return -1;
    int ps = op_times_slot(&j->times, partition);
    if (t <= j->times.times[ps])
        return 0;
    j->close_pending = op_times_advance(&j->times, ps, t);
    if (save_meta(j, ps) != 0)
        return eddy_error(err, ERR_IO, (SrcPos){0}, "join: cannot save stream time");
    return 0;
}

static int join_batch_end(Operator *op, EddyError *err)
{
    return close_pending((JoinOp *)op, err);
}

static void side_close(Operator *op)
{
    (void)op;   /* embedded in the join; freed with it */
}

static const OperatorOps side_ops = {
    .name = "join-side",
    .push = side_push,
    .partition_time = side_partition_time,
    .advance = op_generic_advance,
    .flush = op_generic_flush,
    .close = side_close,
};

static int join_push(Operator *op, Row *row, EddyError *err)
{
    (void)op, (void)row;
    return eddy_error(err, ERR_INTERNAL, (SrcPos){0}, "rows reach a join through its sides");
}

static void join_close(Operator *op)
{
    JoinOp *j = (JoinOp *)op;
    joinmem_destroy(j->mem[0]);
    joinmem_destroy(j->mem[1]);
    sb_free(&j->key);
    sb_free(&j->val);
    sb_free(&j->tmp);
    sb_free(&j->idx);
    sb_free(&j->lo);
    sb_free(&j->hi);
    free(j);
}

static const OperatorOps join_ops = {
    .name = "join",
    .push = join_push,
    .batch_end = join_batch_end,
    .advance = op_generic_advance,
    .flush = op_generic_flush,
    .close = join_close,
};

static Store *join_store(JoinOp *j, const char *what, EddyError *err)
{
    char name[64];
    snprintf(name, sizeof name, "join%d.%s", j->base.plan->u.join.id, what);
    return op_store(j->base.ctx, name, err);
}

Operator *op_join_create(const Plan *p, OpCtx *ctx, EddyError *err)
{
    JoinOp *j = (JoinOp *)op_alloc(sizeof(JoinOp), &join_ops, p, ctx);
    for (int s = 0; s < 2; s++) {
        j->sides[s].base.ops = &side_ops;
        j->sides[s].base.plan = p;
        j->sides[s].base.ctx = ctx;
        j->sides[s].base.downstream = &j->base;
        j->sides[s].join = j;
        j->sides[s].side = s;
    }
    sb_init(&j->key);
    sb_init(&j->val);
    sb_init(&j->tmp);
    sb_init(&j->idx);
    sb_init(&j->lo);
    sb_init(&j->hi);
    op_times_init(&j->times, "t", INT64_MIN / 4, INT64_MIN / 4);
    for (int i = 0; i < OP_MAX_PARTITIONS; i++)
        j->exp_next[i][0] = j->exp_next[i][1] = j->exp_floor[i][0] = j->exp_floor[i][1] = INT64_MIN;
    bool ok = (j->meta = join_store(j, "meta", err)) != NULL;
    switch (p->u.join.kind) {
    case JOIN_STREAM_STREAM:
        ok = ok && (j->buf[0] = join_store(j, "buf0", err)) && (j->buf[1] = join_store(j, "buf1", err)) &&
             (j->exp[0] = join_store(j, "exp0", err)) && (j->exp[1] = join_store(j, "exp1", err));
        break;
    case JOIN_STREAM_TABLE:
        ok = ok && (j->tab[1] = join_store(j, "tab1", err));
        break;
    case JOIN_TABLE_TABLE_FK:
        ok = ok && (j->fk = join_store(j, "fk", err));
        /* fall through */
    case JOIN_TABLE_TABLE:
        ok = ok && (j->tab[0] = join_store(j, "tab0", err)) && (j->tab[1] = join_store(j, "tab1", err));
        break;
    }
    if (!ok) {
        join_close(&j->base);
        return NULL;
    }
    /* Restore the sequence and every partition's stream time; each
     * partition's index is scanned once after a (re)start. */
    int got = store_get(j->meta, "seq", 3, &j->tmp, err);
    if (got == 1 && j->tmp.len == 8)
        j->seq = be64_get_ordered(j->tmp.data);
    if (got < 0 || op_times_load(&j->times, j->meta, err) != 0 ||
        (p->u.join.kind == JOIN_STREAM_STREAM && mem_restore(j, err) != 0)) {
        join_close(&j->base);
        return NULL;
    }
    return &j->base;
}

Operator *op_join_side(Operator *join, int side)
{
    return &((JoinOp *)join)->sides[side].base;
}
