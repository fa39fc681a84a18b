/*
 * analyze.h - the catalog container and the analyzer: what engine/plan/
 * offers the statement layer (engine/sql/).  analyze_select binds a SELECT
 * against the catalog (names resolved, every expression typed, implicit
 * casts inserted: bind.c) and plans it (planner.c); errors are positioned
 * at the AST node.  Everything it returns lives in the arena passed in.
 */
#ifndef EDDY_ANALYZE_H
#define EDDY_ANALYZE_H

#include "eddy/ast.h"
#include "eddy/engine/catalog.h"
#include "eddy/engine/plan.h"

typedef struct Catalog {
    Arena *arena;                 /* lives as long as the engine */
    StrMap *sources;              /* name -> CatSource* (live ones) */
    PtrVec queries;               /* Query*, in creation order (terminated ones stay) */
    int next_query_num;
    StrMap *props;                /* SET properties: name -> arena string */
    StrMap *models;               /* name -> CatModel* (dropped ones stay, marked) */
} Catalog;

CatSource *catalog_find(const Catalog *c, const char *name);
/* "did you mean X?" over the catalog's sources; NULL if nothing close. */
const char *catalog_suggest(const Catalog *c, const char *name);
const char *catalog_prop(const Catalog *c, const char *name, const char *dflt);
/* q's copy of the catalog's properties, taken now (in the catalog's arena). */
void query_capture_props(Catalog *c, Query *q);
/* A property as q was created with it (catalog_prop before the capture). */
const char *query_prop(const Catalog *c, const Query *q, const char *name, const char *dflt);
/* A model that is not dropped, or NULL; "did you mean" over those. */
CatModel *catalog_find_model(const Catalog *c, const char *name);
const char *catalog_suggest_model(const Catalog *c, const char *name);
/* How q uses model m, or NULL. */
QueryModelUse *query_model_use(const Query *q, const CatModel *m);

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

/* ---- binding (bind.c) ---- */

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

/* Above a FLATMAP node: table function call i (matched by its text) is
 * column base + i of the node's output. */
typedef struct TableFnScope {
    const char *const *texts;
    int n;
    int base;
} TableFnScope;

typedef struct Scope {
    const Schema *schema;
    const char *rel_name;         /* source name, for qualified refs and messages */
    const char *rel_alias;        /* or NULL */
    bool windowed;                /* WINDOWSTART / WINDOWEND allowed */
    const AggScope *agg;          /* non-NULL above an aggregation */
    bool in_aggregate_arg;        /* binding an aggregate's argument: no nested aggregates */
    bool in_having;               /* WINDOWSTART/WINDOWEND are not allowed in HAVING */
    const JoinScope *join;        /* non-NULL: columns resolve through the join's relations */
    struct ScoreScope *score;     /* non-NULL where PREDICT / MODEL_VERSION may be used:
                                   * collects them for a SCORE node (plan_int.h) */
    const TableFnScope *tfn;      /* non-NULL in the select list over a FLATMAP */
    const struct LambdaScope *lambda;   /* non-NULL in a lambda's body: its parameters
                                         * (plan_int.h) */
} Scope;

/* Types and binds e in scope s (INSERT VALUES and pull-query keys use an
 * empty Scope: no columns).  *out lives in a. */
int analyze_expr(const Scope *s, const AstExpr *e, Arena *a, BExpr **out, EddyError *err);
/* Wraps e in a cast to t when its type differs (NULL literal: retyped). */
BExpr *analyze_coerce(Arena *a, BExpr *e, const SqlType *t);
/* Can a value of type `from` be assigned to a column of type `to` implicitly? */
bool analyze_assignable(const SqlType *from, const SqlType *to);

#endif
