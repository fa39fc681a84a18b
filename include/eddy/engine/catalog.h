/*
 * catalog.h - what the engine knows: streams, tables, queries, settings.
 *
 * Everything here lives in the catalog arena until the engine is
 * destroyed (dropped entries stay allocated; they are few).  The catalog
 * is persisted as the log of the statements that built it
 * (<state.dir>/commands.ksql), replayed on start, as ksqlDB does with its
 * command topic.
 */
#ifndef EDDY_CATALOG_H
#define EDDY_CATALOG_H

#include "eddy/base.h"
#include "eddy/engine/serde.h"
#include "eddy/value.h"

typedef struct Query Query;

typedef struct CatSource {
    const char *name;            /* upper-cased unless quoted */
    bool is_table;
    const char *topic;
    Format key_format, value_format;
    SerdeOptions key_opts, value_opts;
    Schema *schema;              /* key columns first */
    int timestamp_col;           /* TIMESTAMP= column index, -1 = record timestamp */
    const char *timestamp_format;/* TIMESTAMP_FORMAT, or NULL */
    int partitions, replicas;    /* as given or discovered; 0 = unknown */
    const char *sql;             /* the statement that created it */
    Query *writer;               /* the CSAS/CTAS query that writes it, or NULL */
    WindowKind window_kind;      /* a windowed source: keys carry window bounds (serde.h) */
    int64_t window_size_ms;      /* TUMBLING/HOPPING size (the key holds only the start) */
    bool dropped;
} CatSource;

typedef enum QueryKind { QUERY_PERSISTENT_CSAS, QUERY_PERSISTENT_CTAS, QUERY_INSERT, QUERY_TRANSIENT } QueryKind;
typedef enum QueryState { QSTATE_RUNNING, QSTATE_TERMINATED, QSTATE_ERROR } QueryState;

struct Plan;
struct QueryRuntime;

struct Query {
    const char *id;              /* CSAS_SEVERE_1, INSERTQUERY_3, transient_... */
    QueryKind kind;
    QueryState state;
    const char *sql;
    struct Plan *plan;           /* read-only once built */
    CatSource *sink;             /* NULL for transient queries */
    CatSource **inputs;
    int ninputs;
    struct QueryRuntime *rt;     /* running state; NULL when not running */
    /* counters, for DESCRIBE EXTENDED / SHOW QUERIES */
    int64_t records_in, records_out, records_skipped, eval_errors, records_late;
};

#endif
