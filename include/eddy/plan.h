/*
 * plan.h - the logical plan of one query: a tree of read-only nodes.
 *
 * The analyzer/planner (engine/analyze.c, engine/planner.c) builds it from
 * a SELECT; EXPLAIN prints it; the runtime instantiates one operator per
 * node (PostgreSQL's Plan / PlanState split).  Every node's `schema` is its
 * output; expressions in a node refer to its input's schema.
 *
 * Stateless order, as ksqlDB evaluates it:
 *   SOURCE -> FILTER (WHERE) -> REKEY (PARTITION BY) -> PROJECT -> SINK
 */
#ifndef EDDY_PLAN_H
#define EDDY_PLAN_H

#include "eddy/catalog.h"
#include "eddy/expr.h"

#define PLAN_TAG_LIST(X) \
    X(PLAN_SOURCE,  "Source")  \
    X(PLAN_FILTER,  "Filter")  \
    X(PLAN_REKEY,   "Rekey")   \
    X(PLAN_PROJECT, "Project") \
    X(PLAN_SINK,    "Sink")

typedef enum PlanTag {
#define X(t, n) t,
    PLAN_TAG_LIST(X)
#undef X
} PlanTag;

typedef struct Plan Plan;
struct Plan {
    PlanTag tag;
    const Schema *schema;         /* output schema */
    Plan *input;                  /* NULL for SOURCE */
    union {
        struct { CatSource *src; } source;
        struct { BExpr *pred; const char *text; } filter;
        struct { BExpr **keys; int nkeys; const char **texts; } rekey;
        struct { BExpr **exprs; int n; } project;      /* one per output column */
        struct {
            CatSource *sink;      /* NULL = transient: rows go to the client */
            int64_t limit;        /* transient LIMIT; -1 = none */
        } sink;
    } u;
};

const char *plan_tag_name(PlanTag t);
/* EXPLAIN's text: one line per node, indented by depth, with schemas. */
void plan_explain(const Plan *p, StrBuf *out);

#endif
