/*
 * op_int.h - private to engine/ops/: what the operator files share
 * (op_common.c): allocation, the query's stores and their scans, and the
 * per-partition stream times of the aggregate and the stream-stream join.
 */
#ifndef EDDY_OP_INT_H
#define EDDY_OP_INT_H

#include "eddy/engine/operator.h"
#include "eddy/store.h"

/* Returns an operator of `size` bytes (its struct embeds Operator first),
 * zeroed, owned by the caller; free with free() (op_generic_close). */
Operator *op_alloc(size_t size, const OperatorOps *ops, const Plan *p, OpCtx *ctx);

/* Ends a scan: closes it and returns 0, or -1 with err naming the store
 * when the scan stopped on a read error rather than at its end
 * (store_iter_next says false for both).  The caller must then fail: the
 * entries it did not see would be missing from its result. */
int op_scan_close(Store *s, StoreIter *it, EddyError *err);

/* ---- a stream-stream join's window buffer in memory (join_mem.c) ------
 *
 * One side's buffered rows by join key, each key's rows sorted by (time,
 * sequence); every row of the side's store at or after joinmem_floor is
 * here with the same bytes, so a probe starting there needs no store
 * iterator.  The floor only rises (joinmem_evict). */
typedef struct JoinMemRow {
    int64_t t, seq;
    char *val;                    /* the row as stored (encode_row) */
    size_t vlen;
} JoinMemRow;
typedef struct JoinMem JoinMem;
JoinMem *joinmem_create(int64_t floor);
void joinmem_destroy(JoinMem *m);
int64_t joinmem_floor(const JoinMem *m);
long joinmem_rows(const JoinMem *m);
/* A row buffered under key; ignored below the floor. */
void joinmem_add(JoinMem *m, const char *key, size_t klen, int64_t t, int64_t seq, const void *val,
                 size_t vlen);
/* Replaces the bytes of a row (if here). */
void joinmem_update(JoinMem *m, const char *key, size_t klen, int64_t t, int64_t seq,
                    const void *val, size_t vlen);
void joinmem_remove(JoinMem *m, const char *key, size_t klen, int64_t t, int64_t seq);
/* key's rows with lo <= t <= hi, in order: *rows[0..n), valid until the
 * next change.  Complete only when lo >= joinmem_floor(m). */
int joinmem_find(JoinMem *m, const char *key, size_t klen, int64_t lo, int64_t hi,
                 const JoinMemRow **rows);
/* Raises the floor; rows below it are dropped now or at a later sweep. */
void joinmem_evict(JoinMem *m, int64_t floor);

/* ---- stream time per input partition ----------------------------------
 *
 * Kafka Streams gives each input partition a task with its own stream time
 * (the largest rowtime it has seen), and a record is late against its own
 * partition's.  One query here reads every partition, so an operator keeps
 * one stream time per partition number and closes windows on the slowest:
 * the minimum over the partitions that have delivered records.  The times
 * are kept in the operator's meta store under prefix | partition (4 bytes,
 * big-endian) -> time (keycodec_put_i64), so a restart resumes them.
 * More partitions than OP_MAX_PARTITIONS share the last slot. */

#define OP_MAX_PARTITIONS 256

typedef struct PartitionTimes {
    const char *prefix;           /* of the meta keys (static string) */
    int32_t ids[OP_MAX_PARTITIONS];   /* partition numbers seen (Row.partition) */
    int64_t times[OP_MAX_PARTITIONS]; /* their stream times */
    int n;
    int64_t unseen;               /* a new partition's time before its first record */
    int64_t min;                  /* the close time: min over times[0..n), or the
                                   * `none` given to op_times_init while n == 0 */
} PartitionTimes;

void op_times_init(PartitionTimes *pt, const char *prefix, int64_t unseen, int64_t none);
/* The slot of partition part (created on first sight). */
int op_times_slot(PartitionTimes *pt, int32_t part);
/* Raises the slot's stream time to t if t is later; true if that moved
 * the close time (pt->min). */
bool op_times_advance(PartitionTimes *pt, int slot, int64_t t);
/* Writes the slot's time to meta (the write-back cache: it is
 * checkpointed with the offsets). */
int op_times_save(const PartitionTimes *pt, Store *meta, int slot);
/* Reads every saved time from meta and sets the close time; -1 with err
 * on a read error. */
int op_times_load(PartitionTimes *pt, Store *meta, EddyError *err);

#endif
