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
#include "eddy/engine/model.h"
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
    bool read_only;              /* CREATE SOURCE STREAM|TABLE: no INSERT, no DROP ... DELETE
                                  * TOPIC, no CREATE OR REPLACE (ksqlDB's read-only sources) */
    bool dropped;
} CatSource;

/* ---- models (engine/sql/models.c keeps them; binding reads them) ------
 *
 * A model is a name with numbered versions; each version is the bytes of
 * one model file, kept under the state directory (models.c) and loaded
 * once.  Queries score with a version through a QueryModelUse, which
 * CREATE OR REPLACE MODEL moves to the new version at a checkpoint. */

typedef struct CatModelVersion {
    int version;                  /* 1, 2, ... per model name; never reused */
    char sha256[65];              /* of the bytes scored with */
    int64_t created_ms;
    const char *stored;           /* the copy loaded: relative to the state directory,
                                   * or the original file when there is none */
    const char *origin;           /* the file given to CREATE MODEL, as resolved then */
    ModelFormat format;
    const char *encoding, *booster, *objective;   /* ModelInfo's, copied (booster NULL for LINEAR) */
    int num_features, num_outputs, num_rounds;
    const char **feature_names;   /* num_features names, or NULL when the model has none */
    Model *model;                 /* loaded; NULL once no query can score with it */
} CatModelVersion;

typedef struct CatModel {
    const char *name;             /* upper-cased unless quoted */
    PtrVec versions;              /* CatModelVersion*, oldest first */
    CatModelVersion *current;     /* what new queries score with (and switched ones) */
    int first_live;               /* versions[first_live..] are this model's; earlier ones
                                   * belong to a dropped model of the same name */
    bool dropped;
} CatModel;

typedef struct ModelOffset {
    const char *topic;
    int32_t partition;
    int64_t offset;               /* the first offset scored with the new version */
} ModelOffset;

/* A point from which a query scores with a version of a model. */
typedef struct ModelSwitch {
    int version;
    int64_t at_ms;
    ModelOffset *offsets;         /* the query's next offsets then; none = from its start */
    int noffsets;
} ModelSwitch;

/* A model as one query uses it. */
typedef struct QueryModelUse {
    CatModel *model;
    CatModelVersion *version;     /* what its SCORE nodes score with now */
    PtrVec switches;              /* ModelSwitch*, oldest first; the last is `version`'s */
} QueryModelUse;

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
    PtrVec models;               /* QueryModelUse*: the models its plan scores with */
    /* counters, for DESCRIBE EXTENDED / SHOW QUERIES */
    int64_t records_in, records_out, records_skipped, eval_errors, records_late;
    /* Checkpoints that moved its offsets on, and their durations (output
     * delivery wait, state write, offset commit) in microseconds. */
    int64_t checkpoints, checkpoint_us_total, checkpoint_us_last;
    /* Exactly-once: its transactions of the last checkpoint failed; the
     * engine restarts it from its last committed checkpoint (replay.c). */
    bool rewind;
    /* Shared tasks: when a pull query last caught up the other members'
     * tasks' state (engine_pull_catch_up). */
    int64_t pull_caught_up_ms;
    /* The consumer group its tasks commit their input offsets to:
     * eddy_<service.id>_<id> when a service.id is set (so another
     * application's query of the same id does not share its positions, as
     * Kafka Streams' group is its application.id), else eddy_<id>; NULL:
     * eddy_<id>. */
    const char *offsets_group;
    /* The properties in force when it was created (SET, -p), as ksqlDB
     * keeps a query's overrides with it: what every later start of it
     * reads (a rebalance, a restart, a REPLAY), whatever SETs came after.
     * props_captured false: the catalog's (transient queries). */
    bool props_captured;
    int nprops;
    const char **prop_names, **prop_values;
};

#endif
