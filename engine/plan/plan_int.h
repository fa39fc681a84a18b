/*
 * plan_int.h - private to engine/plan/: what the planner (planner.c)
 * borrows from binding (bind.c) besides analyze_expr.
 *
 * Everything returned lives in the arena the caller passes (the
 * statement's, or the catalog's for a persistent query's plan).
 */
#ifndef EDDY_PLAN_INT_H
#define EDDY_PLAN_INT_H

#include "eddy/engine/analyze.h"

/* A bound node of kind k and type t at pos (its operands left zero). */
BExpr *bind_node(Arena *a, BExprKind k, const SqlType *t, SrcPos pos);
/* A reference to column idx of sc. */
BExpr *bind_column(Arena *a, const Schema *sc, int idx, SrcPos pos);
/* Binds e and requires BOOLEAN (a NULL literal becomes a BOOLEAN null);
 * what names the clause in the message ("WHERE condition"). */
int bind_bool(const Scope *s, const AstExpr *e, Arena *a, BExpr **out, const char *what,
              EddyError *err);
/* The common type two operands compare or combine in; NULL if none. */
const SqlType *bind_common_type(Arena *a, const SqlType *x, const SqlType *y);
/* e as text (ast_format_expr), for messages and for matching GROUP BY and
 * PARTITION BY expressions in the select list; "?" for NULL. */
char *bind_text(Arena *a, const AstExpr *e);

/* ---- models (bind_model.c) ----------------------------------------------
 *
 * PREDICT(model, feature, ...) and MODEL_VERSION(model) are not functions
 * of the registry: a model scores a poll batch at a time, in a SCORE node
 * below the node that reads the result.  A ScoreScope collects the calls
 * bound over one node's output (`base`); each becomes a hidden column
 * after base's columns, and the call binds to a reference to it.  Once the
 * query is planned, plan_place_score puts the SCORE node right above base. */

typedef struct ScoreScope {
    const Catalog *cat;
    Plan *base;                   /* the node whose output the calls read */
    PtrVec calls;                 /* ScoreCall*, in order of first use */
    bool in_features;             /* binding a call's features (no nesting) */
} ScoreScope;

ScoreScope *score_scope_new(const Catalog *cat, Plan *base, Arena *a);
/* Is name PREDICT or MODEL_VERSION (case-insensitive)? */
bool bind_is_model_call(const char *name);
/* Binds a PREDICT / MODEL_VERSION call e in s: checks the model, the
 * feature count against its current version and the features' types,
 * registers the call in s->score and returns the reference to its column. */
int bind_model_call(const Scope *s, const AstExpr *e, Arena *a, BExpr **out, EddyError *err);
/* Puts ss's SCORE node between ss->base and the node above it in the plan
 * topped by top (no-op without calls). */
void plan_place_score(Plan *top, ScoreScope *ss, Arena *a);

#endif
