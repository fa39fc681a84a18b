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

#endif
