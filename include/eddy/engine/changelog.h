/*
 * changelog.h - a query's state stores backed by Kafka changelog topics
 * (engine/README.md, "Scale-out"): every checkpoint writes the query's
 * dirty store entries to `<service.id>-<query id>-<store>-changelog`,
 * then a checkpoint record with its input offsets; a query whose local
 * state is missing (or older than the changelog's last complete
 * checkpoint) gets it back from there before it starts.
 *
 * Exactness does not depend on the broker (no transactions, no
 * compaction): entries carry the (epoch, sequence) of the checkpoint that
 * wrote them, and a restore applies only those of checkpoints whose record
 * reached every partition of every store of the query.
 */
#ifndef EDDY_ENGINE_CHANGELOG_H
#define EDDY_ENGINE_CHANGELOG_H

#include "eddy/base.h"
#include "eddy/transport.h"

struct StateDb;
typedef struct Changelog Changelog;

/* Before query qid starts (its stores not opened yet): opens its changelog
 * and makes db's state of qid the changelog's last complete checkpoint
 * when db lacks it -- no offsets of qid (a new state directory), or the
 * changelog holds a checkpoint record past the position db recorded (the
 * process died between the changelog write and the local one).  A restore
 * is built in a temporary database under work_dir, then put in place by
 * statedb_restore_scope (crash-safe: re-run on the next start).  Local
 * state written before changelogs were on is written whole at the first
 * checkpoint, as is local state the changelog cannot place (no recorded
 * positions: see changelog_forget).  NULL with err on failure (the broker unreachable, a
 * changelog that lost its oldest records). */
Changelog *changelog_open(Transport *t, struct StateDb *db, const char *service, const char *qid,
                          const char *work_dir, EddyError *err);

/* The same for a member of an application whose tasks other members may
 * have run (assigned mode).  Its recorded positions are past the last
 * complete checkpoint it applied in each partition (others' partitions
 * included), so only the changelog's tail past them is read and applied
 * on top of its state (a tail restore, logged with its figures).  Local
 * state the changelog cannot place (no recorded positions, or a position
 * the broker no longer keeps) is replaced by the changelog's whole, never
 * written over it (changelog_open writes it whole: state from before
 * service.id). */
Changelog *changelog_open_member(Transport *t, struct StateDb *db, const char *service,
                                 const char *qid, const char *work_dir, EddyError *err);
/* Step 2a of a checkpoint, before db's own write: the query's dirty
 * entries (with ntasks tasks, task i's go to partition i), delivered, then
 * a checkpoint record on every partition of every store's changelog,
 * carrying the offsets of that partition's task (offs[0..n): the query's
 * next offsets), delivered.  Sets *pos (borrowed until the next call) to
 * the changelog positions past those records (a member's: on partitions
 * it does not own, where its restore left it), which the caller stores
 * under changelog_scope(c) in the same batch as the state.  1 when it
 * wrote, 0 when there was nothing new (no dirty entry, the offsets of the
 * last record: nothing is written, *pos is the last one's), or -1 with
 * err (nothing may be written locally then). */
int changelog_write(Changelog *c, struct StateDb *db, int ntasks, const TopicPartitionOffset *offs,
                    int n, const TopicPartitionOffset **pos, int *npos, EddyError *err);

/* "<query id>#changelog": the offsets scope db keeps the positions under
 * (outside the query's own range, so its offsets and restores ignore it). */
const char *changelog_scope(const Changelog *c);
#define CHANGELOG_SCOPE_SUFFIX "#changelog"

/* qid's local state was redefined (a REPLAY put a snapshot back or emptied
 * it): its changelog positions are forgotten, so that its next start
 * writes the state whole to the changelog (a reset first) instead of
 * restoring the changelog's older state over it.  0, or -1 with err. */
int changelog_forget(struct StateDb *db, const char *qid, EddyError *err);

/* Assigned mode (engine/README.md, "Scale-out"): this member runs tasks
 * tasks[0..n) only, so its checkpoint records (and whole writes) go to
 * their partitions only, and a record counts those partitions. */
void changelog_set_owned(Changelog *c, const int *tasks, int n);

/* A standby's step (num.standby.replicas > 0, assigned mode): the tail of
 * the partitions of tasks this member does not own, past its positions,
 * applied to its state in place with those tasks' offsets and the new
 * positions, in one checkpoint -- so a takeover reads only what is left.
 * Call it with no dirty state of c's query (right after a checkpoint): its
 * checkpoint writes every store's dirty entries.  Skipped when a needed
 * record is gone from the broker (the takeover then restores whole).  1
 * when it applied something, 0 when nothing was new, -1 with err. */
int changelog_catch_up(Changelog *c, struct StateDb *db, EddyError *err);

/* Records and bytes read past this member's positions so far (tail
 * restores and standby catch-ups). */
void changelog_tail_figures(const Changelog *c, int64_t *records, int64_t *bytes);
/* Exactly-once: the changelog's records of task `task` go through fn
 * (into that task's transaction, runtime_txn_produce) instead of the
 * transport, and a checkpoint's writes wait for no delivery (the commits
 * that follow deliver them). */
typedef int (*ChangelogProduceFn)(void *ud, int task, const char *topic, int32_t partition,
                                  const void *key, size_t klen, const void *value, size_t vlen,
                                  EddyError *err);
/* flush(ud, task): every record task `task` produced so far delivered
 * (its output and entries before its checkpoint records). */
typedef void (*ChangelogFlushFn)(void *ud, int task);
void changelog_set_producer(Changelog *c, ChangelogProduceFn fn, ChangelogFlushFn flush,
                            void *ud);
void changelog_close(Changelog *c);

#endif
