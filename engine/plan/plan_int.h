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

/* Collects the calls of functions `is` says yes to (func_is_aggregate,
 * func_is_table) in e, not descending into them, deduplicated by text:
 * calls gets the AstExpr*, texts their bind_text (planner.c). */
void plan_collect_calls(const AstExpr *e, bool (*is)(const char *), Arena *a, PtrVec *calls,
                        PtrVec *texts);

/* ---- table functions (plan_tfunc.c) -------------------------------------
 *
 * EXPLODE / CUBE_EXPLODE in a select list become a FLATMAP node (plan.h)
 * below the PROJECT; each call binds to its column of that node. */

/* ksqlDB's rules that hold before anything is bound: no table function
 * with an aggregation or GROUP BY, none nested in another. */
int plan_check_table_fns(const AstSelect *sel, bool grouped, Arena *a, EddyError *err);
/* Puts the FLATMAP over *pp when the select list calls table functions
 * (src: the FROM source, which must be a stream) and points scope at it. */
int plan_table_fns(const AstSelect *sel, const CatSource *src, Plan **pp, Scope *scope, Arena *a,
                   EddyError *err);
/* A table function call e met while binding: its FLATMAP column when s is
 * a select list over one, else the error that it is not allowed there. */
int bind_table_fn(const Scope *s, const AstExpr *e, Arena *a, BExpr **out, EddyError *err);

/* ---- lambdas (bind_lambda.c) --------------------------------------------
 *
 * In a lambda body the parameters of it and of its enclosing lambdas are
 * in scope: parameter i (outermost first) is slot i of EvalCtx.vars. */

typedef struct LambdaScope {
    const char *names[EXPR_MAX_LAMBDA_VARS];
    const SqlType *types[EXPR_MAX_LAMBDA_VARS];
    int n;
} LambdaScope;

/* Binds TRANSFORM / FILTER / REDUCE call e (func_is_lambda) in s. */
int bind_lambda_call(const Scope *s, const AstExpr *e, Arena *a, BExpr **out, EddyError *err);
/* 1 and *out a BX_LAMBDA_VAR if column reference e names a parameter of
 * an enclosing lambda, else 0. */
int bind_lambda_var(const Scope *s, const AstExpr *e, Arena *a, BExpr **out);

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
