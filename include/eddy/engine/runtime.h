/*
 * runtime.h - private to engine/: one running query (consumer, operator
 * chain, batch arena, offsets) and the engine-wide poll loop.
 */
#ifndef EDDY_RUNTIME_H
#define EDDY_RUNTIME_H

#include "eddy/engine/catalog.h"
#include "eddy/eddy.h"
#include "eddy/engine/operator.h"

typedef struct Engine Engine;

/* Row delivery for transient queries (the client's view). */
typedef void (*RowFn)(void *ud, const Schema *schema, const Row *row);

typedef struct QueryRuntime QueryRuntime;

/* Starts q (plan ready, sink topic ensured).  reset: where to start
 * without committed offsets.  rows/rows_ud: transient output. */
struct StateDb;
/* Opens the query's stores in db and, where db holds offsets for the query
 * (its last checkpoint), seeks the consumer there: state and offsets
 * always match. */
QueryRuntime *runtime_start(Query *q, Transport *t, struct StateDb *db, OffsetReset reset,
                            RowFn rows, void *rows_ud, const EngineOutput *out,
                            int64_t commit_interval_ms, EddyError *err);
/* Consumes and processes up to one batch.  Returns records consumed, -1 fatal. */
int runtime_poll(QueryRuntime *rt, int timeout_ms, EddyError *err);
bool runtime_at_end(QueryRuntime *rt);
/* Input records not consumed yet (the transport's consumer_lag); -1 = not known. */
int64_t runtime_lag(QueryRuntime *rt);
bool runtime_done(QueryRuntime *rt);          /* transient LIMIT reached */
/* Commits the offsets of processed records (output must be flushed first). */
int runtime_commit(QueryRuntime *rt, EddyError *err);
bool runtime_commit_due(QueryRuntime *rt, int64_t now_ms);
void runtime_stop(QueryRuntime *rt);          /* closes the consumer and operators, frees */
/* The next offsets of every partition consumed so far (borrowed). */
int runtime_offsets(QueryRuntime *rt, const TopicPartitionOffset **offs);
void runtime_mark_clean(QueryRuntime *rt);
/* Deletes the query's stores and stored offsets (TERMINATE, DROP). */
void runtime_drop_state(QueryRuntime *rt);

#endif
