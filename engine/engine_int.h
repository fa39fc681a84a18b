/*
 * engine_int.h - private to engine/: the catalog container and the
 * analyzer's entry points shared by engine.c, analyze.c and runtime.c.
 */
#ifndef EDDY_ENGINE_INT_H
#define EDDY_ENGINE_INT_H

#include "eddy/ast.h"
#include "eddy/catalog.h"
#include "eddy/eddy.h"
#include "eddy/plan.h"

typedef struct Catalog {
    Arena *arena;                 /* lives as long as the engine */
    StrMap *sources;              /* name -> CatSource* (live ones) */
    PtrVec queries;               /* Query*, in creation order (terminated ones stay) */
    int next_query_num;
    StrMap *props;                /* SET properties: name -> arena string */
} Catalog;

CatSource *catalog_find(const Catalog *c, const char *name);
/* "did you mean X?" over the catalog's sources; NULL if nothing close. */
const char *catalog_suggest(const Catalog *c, const char *name);
const char *catalog_prop(const Catalog *c, const char *name, const char *dflt);

/* Analysis of one SELECT into a plan.  persistent: CSAS/INSERT (key
 * columns must be projected, pseudo-columns aliased); transient: a push
 * query for a client. */
typedef struct SelectAnalysis {
    Plan *plan;                   /* ends in a PROJECT node; caller adds the SINK */
    CatSource **inputs;
    int ninputs;
} SelectAnalysis;

int analyze_select(const Catalog *c, const AstSelect *sel, bool persistent, Arena *a,
                   SelectAnalysis *out, EddyError *err);

/* Types and binds an expression against one relation's schema (INSERT
 * VALUES uses an empty schema). */
/* After GROUP BY, expressions bind to the aggregate's output: a grouping
 * expression (by its text) is key column k, an aggregate call (by its
 * text) is column nkeys + i, and any other column is an error. */
typedef struct AggScope {
    const char *const *key_texts;
    int nkeys;
    const char *const *agg_texts;
    int naggs;
} AggScope;

/* A relation in a join's scope: its columns sit at [offset, offset + ncols)
 * of the join output; a reference to key_col (its join column on the side
 * that gives the result key) resolves to the output key, column 0. */
typedef struct JoinRel {
    const char *name, *alias;
    const Schema *schema;
    int offset;
    int key_col;                  /* -1 = none */
    int rowtime_col;              /* its event time, a hidden column of the join output */
} JoinRel;

typedef struct JoinScope {
    JoinRel rels[16];
    int nrels;
} JoinScope;

typedef struct Scope {
    const Schema *schema;
    const char *rel_name;         /* source name, for qualified refs and messages */
    const char *rel_alias;        /* or NULL */
    bool windowed;                /* WINDOWSTART / WINDOWEND allowed */
    const AggScope *agg;          /* non-NULL above an aggregation */
    bool in_aggregate_arg;        /* binding an aggregate's argument: no nested aggregates */
    bool in_having;               /* WINDOWSTART/WINDOWEND are not allowed in HAVING */
    const JoinScope *join;        /* non-NULL: columns resolve through the join's relations */
} Scope;

int analyze_expr(const Scope *s, const AstExpr *e, Arena *a, BExpr **out, EddyError *err);
/* Wraps e in a cast to t when its type differs (NULL literal: retyped). */
BExpr *analyze_coerce(Arena *a, BExpr *e, const SqlType *t);
/* Can a value of type `from` be assigned to a column of type `to` implicitly? */
bool analyze_assignable(const SqlType *from, const SqlType *to);

/* ---- the engine --------------------------------------------------------- */

struct StateDb;

/* A SET or UNSET (value NULL) not yet in the command log. */
typedef struct PendingSet {
    char *name, *value, *text;
} PendingSet;

struct Engine {
    Transport *t;
    struct StateDb *state;        /* RocksDB under <state.dir>/rocksdb, or the memory twin */
    struct StateDb *scratch;      /* memory state for transient (client) queries */
    EngineOutput out;
    Catalog cat;
    char *state_dir;
    bool replaying;               /* executing the persisted command log */
    bool deterministic;
    bool auto_create_topics;
    int script_depth;             /* RUN SCRIPT nesting */
    Query *transient;             /* the running push query, if any */
    struct PrintTask *print;      /* the running PRINT, if any (show.c) */
    Arena *transient_arena;
    int64_t last_checkpoint_ms;
    /* SET/UNSET go to the command log only just before the next statement
     * that is logged, and only if they change what the log says, so a
     * restarted `eddy run` of the same file adds nothing (engine.c). */
    PendingSet *pending_sets;
    int npending_sets;
    StrMap *logged_props;         /* property values as the command log leaves them */
};

void engine_text(Engine *e, const char *text);
void engine_log(Engine *e, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Appends a statement to the persisted command log (no-op without a state dir). */
int engine_persist(Engine *e, const char *sql, EddyError *err);

/* Statement executors (ddl.c, show.c). */
int exec_create_source(Engine *e, const AstStmt *s, EddyError *err);
int exec_create_as(Engine *e, const AstStmt *s, EddyError *err);
int exec_insert_select(Engine *e, const AstStmt *s, EddyError *err);
int exec_insert_values(Engine *e, const AstStmt *s, EddyError *err);
int exec_drop(Engine *e, const AstStmt *s, EddyError *err);
int exec_terminate(Engine *e, const AstStmt *s, EddyError *err);
int exec_select(Engine *e, const AstStmt *s, EddyError *err);
int exec_show(Engine *e, const AstStmt *s, EddyError *err);
int exec_describe(Engine *e, const AstStmt *s, EddyError *err);
int exec_explain(Engine *e, const AstStmt *s, EddyError *err);
int exec_print(Engine *e, const AstStmt *s, EddyError *err);
/* The running PRINT (a push statement beside the push query): polled by
 * engine_poll; stops itself at its LIMIT. */
int print_poll(Engine *e, int timeout_ms, EddyError *err);
bool print_at_end(Engine *e);
void print_stop(Engine *e);
int exec_pull(Engine *e, const AstStmt *s, CatSource *table, EddyError *err);

Query *engine_find_query(Engine *e, const char *id);
/* Stops a query's runtime and marks it terminated (its state stays). */
void engine_stop_query(Engine *e, Query *q);
/* TERMINATE: stops the query and deletes its state and stored offsets. */
void engine_terminate_query(Engine *e, Query *q);

#endif
