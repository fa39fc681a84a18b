/*
 * plan.h - the logical plan of one query: a tree of read-only nodes.
 *
 * The planner (engine/plan/planner.c, with expressions bound by bind.c)
 * builds it from a SELECT (analyze_select in analyze.h) and plan_sink
 * tops it; EXPLAIN (explain.c) prints it; the runtime instantiates one
 * operator per node (PostgreSQL's Plan / PlanState split).  Every node's
 * `schema` is its output; expressions in a node refer to its input's
 * schema.  Nodes live in the arena they were planned in (the catalog's
 * for a persistent query) and are never changed after planning.
 *
 * Stateless order, as ksqlDB evaluates it:
 *   SOURCE -> FILTER (WHERE) -> REKEY (PARTITION BY) -> PROJECT -> SINK
 * Aggregation:
 *   SOURCE -> FILTER (WHERE) -> AGGREGATE (GROUP BY, WINDOW) -> FILTER (HAVING)
 *          -> PROJECT -> SINK
 * AGGREGATE's output schema is [group keys (KEY)] + [one column per
 * aggregate call]; HAVING and the select list are bound to it.
 * Table functions (EXPLODE, CUBE_EXPLODE in the select list of a stream
 * query): a FLATMAP node right below the PROJECT emits, per input row, as
 * many rows as the longest call's result, each the input's columns plus
 * one column per call (NULL where a call's result is shorter: ksqlDB zips
 * them); the calls bind to those columns.
 * Models: a SCORE node sits right above the node whose output the PREDICT /
 * MODEL_VERSION calls read (the source or join, a PARTITION BY's REKEY,
 * the AGGREGATE), adding their results as hidden columns after that
 * node's; the calls bind to those columns.
 */
#ifndef EDDY_PLAN_H
#define EDDY_PLAN_H

#include "eddy/engine/aggregates.h"
#include "eddy/engine/catalog.h"
#include "eddy/engine/expr.h"

#define PLAN_TAG_LIST(X) \
    X(PLAN_SOURCE,  "Source")  \
    X(PLAN_FILTER,  "Filter")  \
    X(PLAN_REKEY,   "Rekey")   \
    X(PLAN_PROJECT, "Project") \
    X(PLAN_AGGREGATE, "Aggregate") \
    X(PLAN_JOIN,    "Join")    \
    X(PLAN_SCORE,   "Score")   \
    X(PLAN_FLATMAP, "FlatMap") \
    X(PLAN_SINK,    "Sink")

typedef enum PlanTag {
#define X(t, n) t,
    PLAN_TAG_LIST(X)
#undef X
} PlanTag;

/* A window of an aggregation (times in ms; -1 = not given). */
typedef struct WindowSpec {
    WindowKind kind;
    int64_t size_ms;              /* TUMBLING/HOPPING size; SESSION gap */
    int64_t advance_ms;           /* HOPPING; = size for TUMBLING */
    int64_t grace_ms;             /* default 24 h, as Kafka Streams' legacy default */
    int64_t retention_ms;         /* default size + grace (at least the session gap) */
} WindowSpec;

typedef enum JoinType { JOINTYPE_INNER, JOINTYPE_LEFT, JOINTYPE_RIGHT, JOINTYPE_FULL } JoinType;
typedef enum JoinKind {
    JOIN_STREAM_STREAM,           /* both sides buffered within the window */
    JOIN_STREAM_TABLE,            /* the stream looks up the table's current row */
    JOIN_TABLE_TABLE,             /* on the primary key; a changelog out */
    JOIN_TABLE_TABLE_FK           /* left.fk = right's primary key; keyed by the left key */
} JoinKind;

/* One hidden column a SCORE node adds: a model's output for the row
 * (PREDICT) or the version that scored it (MODEL_VERSION). */
typedef struct ScoreCall {
    CatModel *model;
    BExpr **features;             /* over the node's input; NULL for MODEL_VERSION */
    int nfeatures;
    bool version;                 /* MODEL_VERSION(model) */
    const SqlType *type;          /* DOUBLE, ARRAY<DOUBLE> (num_outputs > 1), or INT */
    const char *text;             /* the call as written, e.g. PREDICT(RISK, SPEED) */
} ScoreCall;

typedef struct Plan Plan;
struct Plan {
    PlanTag tag;
    const Schema *schema;         /* output schema */
    Plan *input;                  /* NULL for SOURCE; the left side of a JOIN */
    Plan *right;                  /* the right side of a JOIN */
    union {
        /* window_cols: a windowed source in a join carries its window as
         * value columns WINDOWSTART, WINDOWEND right after its key columns
         * (ksqlDB's join schema), so each side's bounds survive the join.
         * used: per output column, whether a node above reads it (set by
         * plan_sink through plan_mark_used; NULL = every column), so the
         * source materialises only those (serde_decode_some). */
        struct { CatSource *src; bool window_cols; const bool *used; } source;
        struct { BExpr *pred; const char *text; bool changelog; } filter;  /* changelog: failing rows become tombstones */
        struct { BExpr **keys; int nkeys; const char **texts; } rekey;
        struct { BExpr **exprs; int n; } project;      /* one per output column */
        struct {
            BExpr **keys;         /* GROUP BY expressions over the input */
            const char **key_texts;
            int nkeys;
            AggCall *aggs;        /* one per distinct aggregate call */
            BExpr ***args;        /* args[i][j]: argument j of aggs[i] */
            const char **agg_texts;
            int naggs;
            WindowSpec window;
            bool emit_final;
            bool input_is_table;  /* retractions: undo the prior row */
            const char *store;    /* state store name (within the query) */
        } aggregate;
        struct {
            JoinType type;
            JoinKind kind;
            BExpr *left_key, *right_key;   /* join expressions over each side's schema */
            const char *on_text;
            int64_t before_ms, after_ms;   /* WITHIN (before, after) */
            int64_t grace_ms;
            bool grace_given;
            int nleft, nright;    /* value columns taken from each side (output = [key] + left + right) */
            int left_skip;        /* 1 when the left input is a join: its key column is not copied */
            int nextra;           /* hidden event-time columns after the right's: [left,] right */
            bool windowed;        /* both sides windowed: rows meet on key and window, and the
                                   * result keeps the window */
            int id;               /* join number in the query, for store names */
        } join;
        /* Scores a poll batch at a time: the rows wait in the node until the
         * batch ends, then one model call per ScoreCall fills the hidden
         * columns [nbase, nbase + ncalls) after the input's first nbase. */
        struct {
            ScoreCall *calls;
            int ncalls;
            int nbase;            /* input columns kept (the input schema's) */
            bool copy_rows;       /* rows must be copied to wait (input not a SOURCE,
                                   * whose rows live in the batch arena already) */
        } score;
        /* Output: the input's columns, then column nbase + i for call i. */
        struct {
            BExpr **args;         /* each call's ARRAY argument, over the input */
            const char **texts;   /* the calls as written, e.g. EXPLODE(A) */
            bool *cube;           /* CUBE_EXPLODE (else EXPLODE) */
            int n;
            int nbase;            /* input columns kept */
        } flatmap;
        struct {
            CatSource *sink;      /* NULL = transient: rows go to the client */
            int64_t limit;        /* transient LIMIT; -1 = none */
            bool sink_timestamp;  /* CREATE ... AS SELECT WITH (TIMESTAMP=): each record's
                                   * timestamp is the sink's TIMESTAMP column, not ROWTIME */
        } sink;
    } u;
};

const char *plan_tag_name(PlanTag t);
/* The SINK on top of a planned SELECT (input: SelectAnalysis.plan), in
 * arena a.  sink: the stream or table written (its schema is the node's),
 * or NULL for a client's transient query (the input's schema).
 * sink_timestamp: CREATE ... AS SELECT WITH (TIMESTAMP=...) (INSERT INTO
 * keeps ROWTIME).  limit: a transient query's LIMIT, -1 = none. */
Plan *plan_sink(Arena *a, Plan *input, CatSource *sink, bool sink_timestamp, int64_t limit);
/* Sets u.source.used of every SOURCE under root (plan_used.c): the columns
 * some node reads, walking down from root, whose whole output is used.  A
 * node it does not know keeps all of its input's columns. */
void plan_mark_used(Arena *a, Plan *root);
/* EXPLAIN's text: one line per node, indented by depth, with schemas, and
 * the state stores and internal topics of query `query_id` (NULL: not
 * started yet). */
void plan_explain(const Plan *p, const char *query_id, StrBuf *out);

#endif
