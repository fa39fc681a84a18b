/*
 * alter.c - ALTER STREAM|TABLE n ADD [COLUMN] c type, ...: value columns
 * added to a source declared with CREATE STREAM|TABLE (ksqlDB's ALTER).
 *
 * The source gets a new Schema (the old one plus the columns, at the end);
 * queries already running keep the schema they were planned with, and the
 * statement goes to the command log, so a restart replays it after the
 * queries created before it and before those created after.  A source
 * made by CREATE ... AS SELECT is refused, as in ksqlDB: its schema is
 * its query's.
 */
#include "engine_int.h"
#include "eddy/engine/serde.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Does text hold the word SELECT, in any case? */
static bool mentions_select(const char *text)
{
    for (const char *p = text; *p; p++)
        if (strncasecmp(p, "SELECT", 6) == 0)
            return true;
    return false;
}

/* Was src created by CREATE ... AS SELECT (running or not)? */
static bool made_by_query(Engine *e, const CatSource *src)
{
    if (src->writer)
        return true;
    if (src->sql == NULL)
        return false;
    Arena *a = arena_create(0);
    PtrVec stmts = {0};
    EddyError ignore;
    int rc = parse_script_types(src->sql, a, &stmts, engine_type_lookup, e, &ignore);
    /* Unreadable now (a custom type since dropped): a SELECT in the text
     * can only be CREATE ... AS SELECT's, and refusing is the safe side. */
    bool as = rc == 0 ? stmts.n > 0 && ((const AstStmt *)stmts.items[0])->kind == STMT_CREATE_AS
                      : mentions_select(src->sql);
    arena_destroy(a);
    return as;
}

int exec_alter(Engine *e, const AstStmt *s, EddyError *err)
{
    const AstName *name = &s->u.alter.name;
    CatSource *src = catalog_find(&e->cat, name->name);
    if (src == NULL)
        return eddy_error(err, ERR_ANALYSIS, name->pos, "Source %s does not exist.", name->name);
    if (src->is_table != s->u.alter.is_table)
        return eddy_error(err, ERR_ANALYSIS, name->pos,
                          "Incompatible data source type is %s, but statement was ALTER %s",
                          src->is_table ? "TABLE" : "STREAM", s->u.alter.is_table ? "TABLE" : "STREAM");
    if (made_by_query(e, src))
        return eddy_error(err, ERR_ANALYSIS, s->pos,
                          "ALTER command is not supported for CREATE ... AS statements.");
    const Schema *old = src->schema;
    int add = s->u.alter.columns.n;
    Arena *a = e->cat.arena;
    Schema *ns = schema_create(a, old->ncols + add);
    memcpy(ns->cols, old->cols, sizeof(Column) * (size_t)old->ncols);
    ns->nkeys = old->nkeys;
    for (int i = 0; i < add; i++) {
        const AstColumnDef *c = s->u.alter.columns.items[i];
        /* Names are matched as queries match them: exactly, then ignoring case. */
        ns->ncols = old->ncols + i;
        if (schema_find(ns, c->name.name) >= 0 || schema_find_ci(ns, c->name.name) >= 0)
            return eddy_error(err, ERR_ANALYSIS, c->name.pos,
                              "Cannot add column `%s` to schema. A column with the same name already exists.",
                              c->name.name);
        Column *col = &ns->cols[old->ncols + i];
        memset(col, 0, sizeof *col);
        col->name = arena_strdup(a, c->name.name);
        col->type = type_copy(a, c->type);
        col->role = COL_VALUE;
    }
    ns->ncols = old->ncols + add;
    if (serde_check(src->value_format, ns->cols + ns->nkeys, ns->ncols - ns->nkeys, false, err) != 0) {
        if (err->pos.line == 0)
            err->pos = s->pos;
        return -1;
    }
    if (engine_persist(e, s->text, err) != 0)
        return -1;
    src->schema = ns;
    char buf[300];
    snprintf(buf, sizeof buf, "%s %s altered: %d column%s added.\n", src->is_table ? "Table" : "Stream",
             src->name, add, add == 1 ? "" : "s");
    engine_text(e, buf);
    return 0;
}
