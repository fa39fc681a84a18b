/*
 * runtime.h - private to engine/: one running query (consumer, operator
 * chain, batch arena, offsets) and the engine-wide poll loop.
 */
#ifndef EDDY_RUNTIME_H
#define EDDY_RUNTIME_H

#include "engine_int.h"
#include "eddy/operator.h"

typedef struct Engine Engine;

/* Row delivery for transient queries (the client's view). */
typedef void (*RowFn)(void *ud, const Schema *schema, const Row *row);

typedef struct QueryRuntime QueryRuntime;

/* Starts q (plan ready, sink topic ensured).  reset: where to start
 * without committed offsets.  rows/rows_ud: transient output. */
QueryRuntime *runtime_start(Query *q, Transport *t, OffsetReset reset, RowFn rows, void *rows_ud,
                            const EngineOutput *out, int64_t commit_interval_ms, EddyError *err);
/* Consumes and processes up to one batch.  Returns records consumed, -1 fatal. */
int runtime_poll(QueryRuntime *rt, int timeout_ms, EddyError *err);
bool runtime_at_end(QueryRuntime *rt);
bool runtime_done(QueryRuntime *rt);          /* transient LIMIT reached */
/* Commits the offsets of processed records (output must be flushed first). */
int runtime_commit(QueryRuntime *rt, EddyError *err);
bool runtime_commit_due(QueryRuntime *rt, int64_t now_ms);
void runtime_stop(QueryRuntime *rt);          /* closes the consumer and operators, frees */

#endif
