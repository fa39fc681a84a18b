/*
 * runtime.h - one running query (consumer, operator chain, batch arena,
 * offsets): what engine/runtime/ offers the statement layer (engine/sql/),
 * which polls every query in turn and takes the checkpoints.
 */
#ifndef EDDY_RUNTIME_H
#define EDDY_RUNTIME_H

#include "eddy/engine/catalog.h"
#include "eddy/eddy.h"
#include "eddy/engine/operator.h"

typedef struct Engine Engine;

/* Row delivery for transient queries (the client's view); the row is
 * borrowed for the call. */
typedef void (*RowFn)(void *ud, const Schema *schema, const Row *row);

typedef struct QueryRuntime QueryRuntime;

struct StateDb;
struct Changelog;

/* Starts q (plan ready, sink topic ensured): builds its operators, opens
 * its stores in db and its consumer, which starts at the offsets db holds
 * for the query (its last checkpoint), so state and offsets always match;
 * without stored offsets at `reset`.  rows/rows_ud receive a transient
 * query's rows.  Borrows q, t, db, out and rows_ud until runtime_stop.
 * Returns the runtime owned by the caller; free with runtime_stop.  NULL
 * with err on failure. */
QueryRuntime *runtime_start(Query *q, Transport *t, struct StateDb *db, OffsetReset reset,
                            RowFn rows, void *rows_ud, const EngineOutput *out,
                            int64_t commit_interval_ms, int workers, EddyError *err);
/* Assigned mode (engine/README.md, "Scale-out"): the number of tasks q
 * divides into across an application's members -- one per partition of
 * its inputs (co-partitioned), its state split the same way (recorded in
 * db for a new state) -- or 0 when q cannot be divided (a plan whose
 * state spans partitions, state split otherwise or whole from before);
 * -1 with err. */
int runtime_partition_tasks(Query *q, Transport *t, struct StateDb *db, EddyError *err);
/* Starts only tasks owned[0..nowned) of ntasks (runtime_partition_tasks):
 * task p reads partition p of every input, its state is view p of each
 * store.  nowned may be 0 (a member holding nothing yet).  A plan that
 * groups by something other than its input's key hands rows to the
 * group's task through topic `repartition` (created with ntasks
 * partitions; task p also reads its partition p). */
QueryRuntime *runtime_start_owned(Query *q, Transport *t, struct StateDb *db, OffsetReset reset,
                                  const EngineOutput *out, int64_t commit_interval_ms, int workers,
                                  int ntasks, const int *owned, int nowned,
                                  const char *repartition, EddyError *err);
/* The query's task count (runtime_ntasks: how many run here); the tasks
 * this runtime runs (*owned borrowed), or -1 when not in assigned mode. */
int runtime_total_tasks(const QueryRuntime *rt);
int runtime_owned(const QueryRuntime *rt, const int **owned);
/* Assigned mode: the query's membership of its group (kafka_group_join),
 * which the runtime holds and runtime_stop leaves; detach takes it back
 * (a runtime restarted for a new assignment keeps the membership). */
void runtime_set_member(QueryRuntime *rt, GroupMember *m);
GroupMember *runtime_member(const QueryRuntime *rt);
GroupMember *runtime_detach_member(QueryRuntime *rt);
/* While awaiting its first assignment a runtime is not at its inputs'
 * end (runtime_at_end): `eddy run --until-caught-up` waits for it. */
void runtime_set_awaiting(QueryRuntime *rt, bool awaiting);
bool runtime_awaiting(const QueryRuntime *rt);
/* Exactly-once (processing.guarantee exactly_once_v2; engine/README.md,
 * "Scale-out"): every task of rt gets a transactional producer, id
 * `<service>-<query id>-<task>` (opening it fences an older owner's), and
 * a transaction begun; the sink's records go there.  0, or -1 with err. */
int runtime_enable_txn(QueryRuntime *rt, const char *service, EddyError *err);
bool runtime_txn(const QueryRuntime *rt);
/* A changelog record of task `task` into its transaction. */
int runtime_txn_produce(QueryRuntime *rt, int task, const char *topic, int32_t partition,
                        const void *key, size_t klen, const void *value, size_t vlen,
                        EddyError *err);
/* Waits (at most timeout_ms) until every record task `task`'s transaction
 * produced so far is on the broker (changelog.c: its output and entries
 * before its checkpoint records). */
void runtime_txn_flush(QueryRuntime *rt, int task, int timeout_ms);
/* Each task's input offsets into its transaction, the commit, and the next
 * transaction begun.  TXN_OK, or the first failure's class (the query must
 * then rewind: its runtime restarts from the last committed checkpoint). */
TxnStatus runtime_txn_commit(QueryRuntime *rt, EddyError *err);
/* Consumes up to one batch and processes the buffered records in
 * event-time order as far as they may go.  Returns records consumed or
 * processed (the larger), or -1
 * with err when the query cannot go on (an output that cannot be produced,
 * a state read that failed): the caller stops it. */
int runtime_poll(QueryRuntime *rt, int timeout_ms, EddyError *err);
bool runtime_at_end(QueryRuntime *rt);   /* consumer at its end, nothing buffered */
/* max.task.idle.ms: how long the event-time order waits for a caught-up
 * input partition with no buffered record before it processes the others
 * without it; < 0 = never wait, not even for records still on the broker
 * (runtime.c's header).  ksqlDB's default: */
#define RUNTIME_MAX_TASK_IDLE_MS 500
void runtime_set_max_task_idle(QueryRuntime *rt, int64_t ms);
/* Input records not consumed yet (the transport's consumer_lag); -1 = not known. */
int64_t runtime_lag(QueryRuntime *rt);
/* The same per input partition (engine_query_partition_lags says what
 * the numbers are): fills out[0 .. min(n, max)) and returns n. */
int runtime_partition_lags(QueryRuntime *rt, EnginePartitionLag *out, int max);
/* Bytes the query's state stores take in the state database
 * (statedb_store_bytes summed); -1 for a stateless query or none known. */
int64_t runtime_state_bytes(const QueryRuntime *rt);
/* Stall watch at now_ms: the query is stalled once it took no record for
 * after_ms while its input has records past its position (or the position
 * is not known).  Sets *lag (runtime_lag) and *idle_ms (since the last
 * record was taken, or the start; on the return of -1, how long it was
 * stuck); returns +1 when it just became stalled,
 * -1 when it just stopped being so, else 0. */
int runtime_stall_check(QueryRuntime *rt, int64_t now_ms, int64_t after_ms, int64_t *lag,
                        int64_t *idle_ms);
/* As the last runtime_stall_check found. */
bool runtime_stalled(const QueryRuntime *rt);
bool runtime_done(QueryRuntime *rt);          /* transient LIMIT reached */
/* Commits the offsets of processed records (output must be flushed first). */
int runtime_commit(QueryRuntime *rt, EddyError *err);
bool runtime_commit_due(QueryRuntime *rt, int64_t now_ms);
void runtime_stop(QueryRuntime *rt);          /* closes the consumer and operators, frees */
/* The changelog backing the query's stores (changelog.h), owned by rt from
 * now on (closed by runtime_stop); NULL: none. */
void runtime_set_changelog(QueryRuntime *rt, struct Changelog *c);
struct Changelog *runtime_changelog(const QueryRuntime *rt);
/* The next offsets of every partition processed so far (a record polled
 * but still buffered is not in them: it is read again after a restart);
 * *offs borrows
 * until the next runtime_poll or runtime_stop. */
int runtime_offsets(QueryRuntime *rt, const TopicPartitionOffset **offs);
/* True when it processed records since its last commit (runtime_commit). */
bool runtime_dirty(const QueryRuntime *rt);
void runtime_mark_clean(QueryRuntime *rt);
/* Deletes the query's stores and stored offsets (TERMINATE, DROP). */
void runtime_drop_state(QueryRuntime *rt);
/* REPLAY from a snapshot older than its target: records of a partition
 * below until[i].offset (its topic and partition) are processed (state
 * changes) but what the sink makes of them is not produced; the rest are
 * as usual.  Replaces an earlier list; n = 0 mutes nothing.  Copies until
 * (partitions of topics the query does not read are ignored). */
void runtime_mute_until(QueryRuntime *rt, const TopicPartitionOffset *until, int n);
/* Sink records not produced because they were muted, since the start. */
int64_t runtime_muted_records(const QueryRuntime *rt);
/* Writes each skipped (bad) record to `topic` as a processing-log entry
 * (JSON: query id, source topic/partition/offset, error, the value's bytes
 * in base64); NULL turns it off.  Copies topic. */
void runtime_set_processing_log(QueryRuntime *rt, const char *topic);
/* Number of state stores the query's operators opened: 0 = stateless. */
int runtime_store_count(const QueryRuntime *rt);

/* Tasks (engine/README.md, "Tasks and threads"): a query whose state keeps
 * to input partitions runs as up to `workers` tasks, task i over the
 * partitions p with p % ntasks == i, on worker runtime_task_worker (0: the
 * engine's own thread).  runtime_poll_task polls one task and may run on
 * its worker while other tasks run on theirs; nothing else of the runtime
 * may run meanwhile.  runtime_round_end (after every task's poll, on the
 * engine's thread) moves their counts into the Query and logs their lines;
 * runtime_poll is all three on the calling thread. */
int runtime_ntasks(const QueryRuntime *rt);
int runtime_task_worker(const QueryRuntime *rt, int task);
int runtime_poll_task(QueryRuntime *rt, int task, int timeout_ms, EddyError *err);
void runtime_round_end(QueryRuntime *rt);
/* A query whose groups are spread over its tasks in process (op_exchange.c's
 * boxes; a remote exchange has none: runtime_repartition): after
 * every task's poll of a round, each task's drain (on its worker) pushes
 * the rows the others sent it, before runtime_round_end. */
bool runtime_exchanges(const QueryRuntime *rt);
/* The repartition topic the tasks exchange through (runtime_start_owned),
 * or NULL (in-process, or no exchange). */
const char *runtime_repartition(const QueryRuntime *rt);
/* The node a repartition topic of q is named after (ksqlDB's names):
 * "Join" for a stream-table join on a value, else "Aggregate-GroupBy". */
const char *runtime_exchange_node(Query *q, Transport *t);
int runtime_drain_task(QueryRuntime *rt, int task, EddyError *err);

/* Worker threads for tasks (pool.c).  A job is a task polled on its
 * worker, again while it brings records and budget_ms has not passed;
 * pool_run runs worker 0's on the calling thread and returns when all are
 * done (result: the records taken, or -1 with err). */
typedef struct PoolJob {
    QueryRuntime *rt;
    int task, worker, timeout_ms;
    bool drain;                   /* runtime_drain_task instead of polls */
    int result;
    EddyError err;
} PoolJob;
typedef struct WorkerPool WorkerPool;
WorkerPool *pool_create(int nworkers);
int pool_workers(const WorkerPool *p);
void pool_run(WorkerPool *p, PoolJob *jobs, int njobs, int budget_ms);
void pool_destroy(WorkerPool *p);

#endif
