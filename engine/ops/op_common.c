/*
 * op_common.c - what the operator files share: allocation, the defaults
 * most operators take (no time-driven work, nothing to flush), the
 * query's stores (op_store) and the end of their scans, and the
 * per-partition stream times of the aggregate and the stream-stream join
 * (op_int.h says how they work).
 */
#include "eddy/codec.h"
#include "op_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void op_generic_close(Operator *op)
{
    free(op);
}

int op_generic_advance(Operator *op, int64_t t, EddyError *err)
{
    return op->downstream ? op->downstream->ops->advance(op->downstream, t, err) : 0;
}

int op_generic_flush(Operator *op, EddyError *err)
{
    return op->downstream ? op->downstream->ops->flush(op->downstream, err) : 0;
}

Operator *op_alloc(size_t size, const OperatorOps *ops, const Plan *p, OpCtx *ctx)
{
    Operator *op = calloc(1, size);
    if (op == NULL)
        EDDY_PANIC("out of memory");
    op->ops = ops;
    op->plan = p;
    op->ctx = ctx;
    return op;
}

/* ---- stores ------------------------------------------------------------ */

Store *op_store(OpCtx *ctx, const char *name, EddyError *err)
{
    char full[512];
    snprintf(full, sizeof full, "%s.%s", ctx->query_id, name);
    Store *s = ctx->ntasks > 1 ? statedb_store_task(ctx->state, full, ctx->task, ctx->slot, err)
                               : statedb_store(ctx->state, full, err);
    if (s && ctx->nstores < 32)
        ctx->store_names[ctx->nstores++] = strdup(full);
    return s;
}

int op_scan_close(Store *s, StoreIter *it, EddyError *err)
{
    EddyError rerr;
    eddy_error_clear(&rerr);
    int rc = store_iter_error(it, &rerr);
    store_iter_close(it);
    if (rc == 0)
        return 0;
    return eddy_error(err, ERR_IO, (SrcPos){0}, "cannot read state store %s: %s", store_name(s),
                      rerr.msg);
}

/* ---- stream time per input partition --------------------------------------- */

void op_times_init(PartitionTimes *pt, const char *prefix, int64_t unseen, int64_t none)
{
    pt->prefix = prefix;
    pt->n = 0;
    pt->unseen = unseen;
    pt->min = none;
}

int op_times_slot(PartitionTimes *pt, int32_t part)
{
    for (int i = 0; i < pt->n; i++)
        if (pt->ids[i] == part)
            return i;
    if (pt->n == OP_MAX_PARTITIONS)
        return OP_MAX_PARTITIONS - 1;
    int i = pt->n++;
    pt->ids[i] = part;
    pt->times[i] = pt->unseen;
    return i;
}

bool op_times_advance(PartitionTimes *pt, int slot, int64_t t)
{
    if (t <= pt->times[slot])
        return false;
    pt->times[slot] = t;
    int64_t m = INT64_MAX;
    for (int i = 0; i < pt->n; i++)
        if (pt->times[i] < m)
            m = pt->times[i];
    bool moved = m > pt->min;
    pt->min = m;
    return moved;
}

/* prefix | partition, big-endian; returns its length. */
static size_t times_key(const PartitionTimes *pt, int32_t part, char out[16])
{
    size_t n = strlen(pt->prefix);
    memcpy(out, pt->prefix, n);
    for (int i = 0; i < 4; i++)
        out[n + (size_t)i] = (char)(((uint32_t)part >> (24 - 8 * i)) & 0xff);
    return n + 4;
}

int op_times_save(const PartitionTimes *pt, Store *meta, int slot)
{
    char k[16];
    size_t kl = times_key(pt, pt->ids[slot], k);
    unsigned char v[8];
    keycodec_put_i64(v, pt->times[slot]);
    return store_put(meta, k, kl, v, 8);
}

int op_times_load(PartitionTimes *pt, Store *meta, EddyError *err)
{
    char lo[16], hi[16];
    size_t n = strlen(pt->prefix);
    memcpy(lo, pt->prefix, n);
    memcpy(hi, pt->prefix, n);
    hi[n - 1]++;   /* every key that starts with the prefix */
    StoreIter *it = store_iter(meta, lo, n, hi, n);
    const void *k, *v;
    size_t kl, vl;
    while (store_iter_next(it, &k, &kl, &v, &vl))
        if (kl == n + 4 && vl == 8) {
            const unsigned char *b = (const unsigned char *)k + n;
            int32_t part = (int32_t)((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
                                     (uint32_t)b[2] << 8 | b[3]);
            pt->times[op_times_slot(pt, part)] = keycodec_get_i64(v);
        }
    if (op_scan_close(meta, it, err) != 0)
        return -1;
    for (int i = 0; i < pt->n; i++)
        if (i == 0 || pt->times[i] < pt->min)
            pt->min = pt->times[i];
    return 0;
}
