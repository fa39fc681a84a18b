/*
 * models.c - the model statements: CREATE [OR REPLACE] MODEL, DROP MODEL,
 * SHOW MODELS, DESCRIBE MODEL; which queries score with which version;
 * and the exact switch of running queries to a new version.
 *
 * A model name has numbered versions (catalog.h).  CREATE MODEL n FROM
 * 'path' reads the file (relative to the statement's file, the working
 * directory in the REPL), loads it (model.h checks it), copies its bytes
 * into the state directory (model_store.c) and logs the canonical
 * statement that restores exactly those bytes.  Without a state directory
 * (eddy test, a REPL without --state-dir) models live in memory.
 *
 * CREATE OR REPLACE MODEL while queries score with the model switches them
 * at one exact point each: a checkpoint first (every record before it was
 * scored by the old version and its output delivered; state and offsets
 * stored together), then each query's next offsets are recorded as the
 * point the new version scores from, then the version is logged and the
 * queries' uses move to it.  The engine is single-threaded and a SCORE node
 * holds no row between polls, so no record is in flight at that point:
 * none is skipped and none is scored by both.  A restart always scores
 * with the current version: a query resumes at its stored offsets, which
 * only move forward from the switch (REPLAY is the way back).
 *
 * Replaying the command log (e->replaying) repeats CREATE OR REPLACE
 * MODEL as the canonical statements say, loading each stored copy and
 * checking its SHA-256; models_restore then reads switches.json, and a
 * query whose last recorded version is not the current one (the process
 * died between logging a version and recording its switch) is recorded as
 * switched at the offsets it resumes from, which are exactly those.
 */
#include "engine_int.h"
#include "eddy/engine/runtime.h"
#include "eddy/store.h"
#include "table_fmt.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- WITH properties ------------------------------------------------------ */

typedef struct ModelProps {
    ModelFormat format;
    int version;                  /* the engine's own properties (replay only): */
    const char *sha256, *origin;  /* VERSION, SHA256, ORIGIN, CREATED */
    int64_t created_ms;
} ModelProps;

static int parse_model_props(Engine *e, const AstStmt *s, ModelProps *out, EddyError *err)
{
    memset(out, 0, sizeof *out);
    out->format = MODEL_FORMAT_AUTO;
    for (int i = 0; i < s->u.model.props.n; i++) {
        const AstProperty *p = s->u.model.props.items[i];
        const AstExpr *v = p->value;
        const char *text = v->kind == EXPR_STRING ? v->u.text
                         : v->kind == EXPR_COLUMN ? v->u.col.name : NULL;
        bool own = str_ieq(p->name, "VERSION") || str_ieq(p->name, "SHA256") ||
                   str_ieq(p->name, "CREATED") || str_ieq(p->name, "ORIGIN");
        if (str_ieq(p->name, "FORMAT")) {
            if (text == NULL || model_format_from_name(text, &out->format) != 0)
                return eddy_error(err, ERR_ANALYSIS, p->pos,
                                  "FORMAT of a model must be 'XGBOOST' or 'LINEAR', not %s",
                                  text ? text : "that");
        } else if (own && !e->replaying) {
            return eddy_error(err, ERR_ANALYSIS, p->pos,
                              "%s is the engine's record of a stored model version; a statement cannot set it (CREATE MODEL takes FORMAT)",
                              p->name);
        } else if (own && str_ieq(p->name, "VERSION") && v->kind == EXPR_INT && v->u.i > 0 &&
                   v->u.i < INT_MAX) {
            out->version = (int)v->u.i;
        } else if (own && str_ieq(p->name, "CREATED") && v->kind == EXPR_INT) {
            out->created_ms = v->u.i;
        } else if (own && str_ieq(p->name, "SHA256") && v->kind == EXPR_STRING) {
            out->sha256 = v->u.text;
        } else if (own && str_ieq(p->name, "ORIGIN") && v->kind == EXPR_STRING) {
            out->origin = v->u.text;
        } else {
            return eddy_error(err, ERR_ANALYSIS, p->pos,
                              "invalid config variable in the WITH clause of CREATE MODEL: %s (it takes FORMAT)",
                              p->name);
        }
    }
    return 0;
}

/* ---- helpers -------------------------------------------------------------------- */

/* path relative to the statement's origin (its file's folder, or the
 * working directory), malloc'd. */
static char *resolve_path(Engine *e, const char *path)
{
    if (path[0] == '/' || e->origin_dir == NULL || strcmp(e->origin_dir, ".") == 0)
        return strdup(path);
    size_t n = strlen(e->origin_dir) + strlen(path) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", e->origin_dir, path);
    return p;
}

static const char *arena_origin(Arena *a, const char *path)
{
    char *real = realpath(path, NULL);
    const char *out = arena_strdup(a, real ? real : path);
    free(real);
    return out;
}

static CatModelVersion *new_version(Arena *a, Model *model, int version, const char *sha)
{
    const ModelInfo *mi = model_info(model);
    CatModelVersion *v = arena_alloc(a, sizeof *v);
    v->version = version;
    snprintf(v->sha256, sizeof v->sha256, "%s", sha);
    v->format = mi->format;
    v->encoding = arena_strdup(a, mi->encoding);
    v->booster = mi->booster ? arena_strdup(a, mi->booster) : NULL;
    v->objective = arena_strdup(a, mi->objective);
    v->num_features = mi->num_features;
    v->num_outputs = mi->num_outputs;
    v->num_rounds = mi->num_rounds;
    if (mi->feature_names) {
        v->feature_names = arena_alloc(a, sizeof(char *) * (size_t)mi->num_features);
        for (int i = 0; i < mi->num_features; i++)
            v->feature_names[i] = arena_strdup(a, mi->feature_names[i]);
    }
    v->model = model;
    return v;
}

/* The live version of m with these bytes, or NULL. */
static const CatModelVersion *version_with(const CatModel *m, const char *sha)
{
    for (int i = m->versions.n - 1; i >= m->first_live; i--) {
        const CatModelVersion *v = m->versions.items[i];
        if (strcmp(v->sha256, sha) == 0)
            return v;
    }
    return NULL;
}

static int next_version(const CatModel *m)
{
    if (m == NULL || m->versions.n == 0)
        return 1;
    return ((const CatModelVersion *)m->versions.items[m->versions.n - 1])->version + 1;
}

/* Calls plans make of m: every ScoreCall of q's SCORE nodes. */
static void collect_calls(const Plan *p, const CatModel *m, Arena *a, PtrVec *out)
{
    for (; p; p = p->input) {
        if (p->right)
            collect_calls(p->right, m, a, out);
        if (p->tag != PLAN_SCORE)
            continue;
        for (int i = 0; i < p->u.score.ncalls; i++)
            if (m == NULL || p->u.score.calls[i].model == m)
                ptrvec_push(a, out, (void *)&p->u.score.calls[i]);
    }
}

/* The queries that score with m now: running persistent ones, then the
 * running transient ones. */
static void live_users(Engine *e, const CatModel *m, Arena *a, PtrVec *out)
{
    for (int i = 0; i < e->cat.queries.n + e->ntransients; i++) {
        Query *q = i < e->cat.queries.n ? e->cat.queries.items[i]
                                        : e->transients[i - e->cat.queries.n].q;
        if (q && q->rt && query_model_use(q, m))
            ptrvec_push(a, out, q);
    }
}

static void put_offsets(StrBuf *sb, const ModelOffset *o, int n)
{
    if (n == 0)
        sb_puts(sb, "the query's start");
    for (int i = 0; i < n; i++)
        sb_printf(sb, "%s%s[%d]@%lld", i ? ", " : "", o[i].topic, (int)o[i].partition,
                  (long long)o[i].offset);
}

/* Switch points read in (topic, partition) order wherever they are shown. */
static int cmp_offset(const void *pa, const void *pb)
{
    const ModelOffset *a = pa, *b = pb;
    int c = strcmp(a->topic, b->topic);
    return c ? c : (a->partition > b->partition) - (a->partition < b->partition);
}

static ModelSwitch *new_switch(Engine *e, Arena *a, int version, const TopicPartitionOffset *o,
                               int n)
{
    ModelSwitch *sw = arena_alloc(a, sizeof *sw);
    sw->version = version;
    sw->at_ms = e->deterministic ? 0 : eddy_now_ms();
    sw->noffsets = n;
    sw->offsets = arena_alloc(a, sizeof(ModelOffset) * (size_t)(n + 1));
    for (int i = 0; i < n; i++)
        sw->offsets[i] = (ModelOffset){arena_strdup(a, o[i].topic), o[i].partition, o[i].offset};
    qsort(sw->offsets, (size_t)n, sizeof *sw->offsets, cmp_offset);
    return sw;
}

/* ---- queries and their models ---------------------------------------------------- */

void models_attach(Engine *e, Query *q, Arena *a)
{
    PtrVec calls = {0};
    Arena *tmp = arena_create(0);
    collect_calls(q->plan, NULL, tmp, &calls);
    bool record = !e->replaying && !e->starting_logged && q->kind != QUERY_TRANSIENT;
    int added = 0;
    /* Where a model starts scoring: the query's stored offsets — none for a
     * new query (its start), the checkpoint just taken for one upgraded in
     * place (CREATE OR REPLACE ... AS SELECT that adds a PREDICT). */
    TopicPartitionOffset *at = NULL;
    int nat = 0;
    EddyError oerr;
    if (record && e->state && statedb_read_offsets(e->state, q->id, &at, &nat, &oerr) != 0)
        nat = 0;
    for (int i = 0; i < calls.n; i++) {
        CatModel *m = ((ScoreCall *)calls.items[i])->model;
        if (query_model_use(q, m))
            continue;
        added++;
        QueryModelUse *u = arena_alloc(a, sizeof *u);
        u->model = m;
        u->version = m->current;
        if (record)
            ptrvec_push(a, &u->switches, new_switch(e, a, m->current->version, at, nat));
        ptrvec_push(a, &q->models, u);
    }
    arena_destroy(tmp);
    statedb_free_offsets(at, nat);
    EddyError err;
    if (record && added > 0 && model_switches_write(e, q, &err) != 0)
        engine_log(e, 1, "query %s: its model versions are not recorded: %s", q->id, err.msg);
}

/* Does new version nv fit every call running queries make of m?  The
 * feature count must match, and the result type (one output or several)
 * must stay what the queries' outputs were planned with. */
static int check_compatible(Engine *e, const CatModel *m, const CatModelVersion *nv, SrcPos pos,
                            EddyError *err)
{
    Arena *a = arena_create(0);
    PtrVec users = {0};
    live_users(e, m, a, &users);
    int rc = 0;
    for (int i = 0; i < users.n && rc == 0; i++) {
        const Query *q = users.items[i];
        PtrVec calls = {0};
        collect_calls(q->plan, m, a, &calls);
        for (int k = 0; k < calls.n && rc == 0; k++) {
            const ScoreCall *c = calls.items[k];
            if (c->version)
                continue;
            if (c->nfeatures != nv->num_features)
                rc = eddy_error(err, ERR_ANALYSIS, pos,
                                "cannot replace model %s: version %d takes %d features, but query %s calls %s with %d; terminate the query first",
                                m->name, nv->version, nv->num_features, q->id, c->text, c->nfeatures);
            else if ((nv->num_outputs > 1) != (c->type->kind == TYPE_ARRAY))
                rc = eddy_error(err, ERR_ANALYSIS, pos,
                                "cannot replace model %s: version %d gives %d output%s per row, but query %s's %s is %s; terminate the query first",
                                m->name, nv->version, nv->num_outputs, nv->num_outputs == 1 ? "" : "s",
                                q->id, c->text, c->type->kind == TYPE_ARRAY ? "an ARRAY" : "a DOUBLE");
        }
    }
    arena_destroy(a);
    return rc;
}

/* ---- CREATE [OR REPLACE] MODEL ------------------------------------------------------ */

static char *canonical_statement(const char *name, const CatModelVersion *v)
{
    StrBuf sb;
    sb_init(&sb);
    AstExpr n = {.kind = EXPR_COLUMN}, str = {.kind = EXPR_STRING};
    n.u.col.name = name;
    sb_puts(&sb, "CREATE OR REPLACE MODEL ");
    ast_format_expr(&n, &sb);
    sb_puts(&sb, " FROM ");
    str.u.text = v->stored;
    ast_format_expr(&str, &sb);
    sb_printf(&sb, " WITH (FORMAT='%s', VERSION=%d, SHA256='%s', CREATED=%lld, ORIGIN=",
              model_format_name(v->format), v->version, v->sha256, (long long)v->created_ms);
    str.u.text = v->origin;
    ast_format_expr(&str, &sb);
    sb_puts(&sb, ");");
    return sb.data;
}

/* m's catalog entry, created or brought back from a DROP, with nv as its
 * current version; the queries scoring with m move to nv (the caller has
 * checkpointed and recorded where), and the version before is unloaded. */
static CatModel *make_current(Engine *e, CatModel *m, const char *name, CatModelVersion *nv)
{
    Arena *a = e->cat.arena;
    bool fresh = m == NULL || m->dropped;
    if (m == NULL) {
        m = arena_alloc(a, sizeof *m);
        m->name = arena_strdup(a, name);
        strmap_put(e->cat.models, m->name, m);
    }
    bool in_versions = m->versions.n > 0 && m->versions.items[m->versions.n - 1] == nv;
    if (!in_versions)
        ptrvec_push(a, &m->versions, nv);
    if (fresh) {
        m->dropped = false;
        m->first_live = m->versions.n - 1;
    }
    CatModelVersion *old = m->current;
    m->current = nv;
    PtrVec users = {0};
    live_users(e, m, a, &users);
    for (int i = 0; i < users.n; i++)
        query_model_use(users.items[i], m)->version = nv;
    if (old && old != nv && old->model) {
        model_destroy(old->model);
        old->model = NULL;
    }
    return m;
}

/* Replay of the canonical statement: the stored copy, checked. */
static int restore_version(Engine *e, const AstStmt *s, CatModel *m, const ModelProps *p,
                           const char *path, EddyError *err)
{
    const char *name = s->u.model.name.name;
    if (p->version <= 0 || p->sha256 == NULL)
        return eddy_error(err, ERR_ANALYSIS, s->pos,
                          "CREATE MODEL %s in the command log lacks the VERSION and SHA256 eddy writes",
                          name);
    size_t n;
    EddyError rerr;
    void *bytes = model_file_read(path, &n, &rerr);
    if (bytes == NULL)
        return eddy_error(err, ERR_IO, s->pos, "the stored copy of model %s version %d is gone: %s",
                          name, p->version, rerr.msg);
    char sha[65];
    Model *model = NULL;
    int rc = model_sha256_hex(bytes, n, sha, err);
    if (rc == 0 && strcmp(sha, p->sha256) != 0)
        rc = eddy_error(err, ERR_IO, s->pos,
                        "the stored copy of model %s version %d (%s) was changed: its SHA-256 is %s, the catalog recorded %s; put the original file back",
                        name, p->version, path, sha, p->sha256);
    if (rc == 0 && (model = model_load(bytes, n, p->format, err)) == NULL) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        rc = eddy_error(err, ERR_ANALYSIS, s->pos, "cannot load model %s version %d from %s: %s",
                        name, p->version, path, msg);
    }
    free(bytes);
    if (rc != 0)
        return -1;
    CatModelVersion *nv = new_version(e->cat.arena, model, p->version, sha);
    nv->stored = arena_strdup(e->cat.arena, s->u.model.path);
    nv->origin = arena_strdup(e->cat.arena, p->origin ? p->origin : s->u.model.path);
    nv->created_ms = p->created_ms;
    make_current(e, m, name, nv);
    return 0;
}

/* Records, for each running persistent query in users, the offsets from
 * which it scores with version nv (after the caller's checkpoint). */
static void record_switches(Engine *e, const CatModel *m, const PtrVec *users, int version)
{
    for (int i = 0; i < users->n; i++) {
        Query *q = users->items[i];
        if (q->kind == QUERY_TRANSIENT)
            continue;
        const TopicPartitionOffset *o;
        int n = runtime_offsets(q->rt, &o);
        QueryModelUse *u = query_model_use(q, m);
        ptrvec_push(e->cat.arena, &u->switches, new_switch(e, e->cat.arena, version, o, n));
    }
}

static void unrecord_switches(const CatModel *m, const PtrVec *users)
{
    for (int i = 0; i < users->n; i++) {
        Query *q = users->items[i];
        if (q->kind != QUERY_TRANSIENT)
            query_model_use(q, m)->switches.n--;
    }
}

/* What the new version is and where each query switched, for a person. */
static void report_created(Engine *e, const CatModel *m, const CatModelVersion *v,
                           const PtrVec *users)
{
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "Model %s version %d created (%s %s, %d feature%s, SHA-256 %.12s...).\n", m->name,
              v->version, model_format_name(v->format), v->objective, v->num_features,
              v->num_features == 1 ? "" : "s", v->sha256);
    for (int i = 0; i < users->n; i++) {
        const Query *q = users->items[i];
        if (q->kind == QUERY_TRANSIENT) {
            sb_printf(&sb, "The running push query scores with version %d from its next batch.\n",
                      v->version);
            continue;
        }
        const ModelSwitch *sw = query_model_use(q, m)->switches.items[query_model_use(q, m)->switches.n - 1];
        sb_printf(&sb, "Query %s scores with version %d from offsets ", q->id, v->version);
        put_offsets(&sb, sw->offsets, sw->noffsets);
        sb_puts(&sb, " on (a checkpoint was taken: every record before them was scored by the version before).\n");
    }
    engine_text(e, sb.data);
    sb_free(&sb);
}

/* A new version, live queries switched at a checkpoint (see the top). */
static int add_version(Engine *e, const AstStmt *s, CatModel *m, CatModelVersion *nv,
                       const void *bytes, size_t n, EddyError *err)
{
    const char *name = s->u.model.name.name;
    CatModel *live = m && !m->dropped ? m : NULL;
    Arena *a = arena_create(0);
    PtrVec users = {0};
    if (live)
        live_users(e, live, a, &users);
    bool persistent_users = false;
    for (int i = 0; i < users.n; i++)
        persistent_users |= ((Query *)users.items[i])->kind != QUERY_TRANSIENT;
    int rc = 0;
    if (e->state_dir) {
        nv->stored = model_store_copy(e, name, nv->version, nv->encoding, bytes, n, err);
        rc = nv->stored ? 0 : -1;
    }
    if (rc == 0 && persistent_users)
        rc = engine_checkpoint(e, err);
    if (rc == 0 && persistent_users) {
        ptrvec_push(e->cat.arena, &live->versions, nv);   /* named by the records */
        record_switches(e, live, &users, nv->version);
        rc = model_switches_write(e, NULL, err);
        if (rc != 0) {
            unrecord_switches(live, &users);
            live->versions.n--;
        }
    }
    char *sql = rc == 0 ? canonical_statement(name, nv) : NULL;
    if (rc == 0 && (rc = engine_persist(e, sql, err)) != 0 && persistent_users) {
        unrecord_switches(live, &users);
        live->versions.n--;
        EddyError ignore;
        model_switches_write(e, NULL, &ignore);   /* drop the records again */
    }
    free(sql);
    if (rc != 0) {
        err->pos = s->pos;
        arena_destroy(a);
        return -1;
    }
    m = make_current(e, m, name, nv);
    report_created(e, m, nv, &users);
    arena_destroy(a);
    return 0;
}

int exec_create_model(Engine *e, const AstStmt *s, EddyError *err)
{
    const char *name = s->u.model.name.name;
    bool replace = s->u.model.or_replace;
    ModelProps p;
    if (parse_model_props(e, s, &p, err) != 0)
        return -1;
    CatModel *m = strmap_get(e->cat.models, name);
    CatModel *live = m && !m->dropped ? m : NULL;
    char *path = resolve_path(e, s->u.model.path);
    if (e->replaying) {
        int rc = restore_version(e, s, m, &p, path, err);
        free(path);
        return rc;
    }
    size_t n;
    EddyError rerr;
    void *bytes = model_file_read(path, &n, &rerr);
    int rc = -1;
    char sha[65];
    if (bytes == NULL && live && !replace) {
        engine_log(e, 0, "skipped CREATE MODEL %s: it exists (version %d) and %s; the stored copy is kept",
                   name, live->current->version, rerr.msg);
        rc = 0;
    } else if (bytes == NULL) {
        eddy_error(err, ERR_IO, s->pos, "%s", rerr.msg);
    } else if (model_sha256_hex(bytes, n, sha, err) != 0) {
        err->pos = s->pos;
    } else if (live && strcmp(sha, live->current->sha256) == 0) {
        engine_log(e, 0, replace ? "model %s: version %d has these bytes already; no new version"
                                 : "skipped CREATE MODEL %s: it exists with these bytes (version %d)",
                   name, live->current->version);
        rc = 0;
    } else if (live && !replace && version_with(live, sha)) {
        /* The statement that created it, run again (a restarted eddy run
         * of the same file after an upgrade). */
        engine_log(e, 0, "skipped CREATE MODEL %s: version %d has these bytes; the model is at version %d",
                   name, version_with(live, sha)->version, live->current->version);
        rc = 0;
    } else if (live && !replace) {
        eddy_error(err, ERR_ANALYSIS, s->u.model.name.pos,
                   "model %s exists (version %d); CREATE OR REPLACE MODEL loads a new version", name,
                   live->current->version);
    } else {
        EddyError lerr;
        Model *model = model_load(bytes, n, p.format, &lerr);
        if (model == NULL) {
            eddy_error(err, ERR_ANALYSIS, s->pos, "cannot load model %s from %s: %s", name, path,
                       lerr.msg);
        } else {
            if (live && version_with(live, sha))
                engine_log(e, 1, "model %s: these bytes are version %d's; version %d gets them (a rollback)",
                           name, version_with(live, sha)->version, next_version(m));
            CatModelVersion *nv = new_version(e->cat.arena, model, next_version(m), sha);
            nv->origin = arena_origin(e->cat.arena, path);
            nv->stored = nv->origin;
            nv->created_ms = e->deterministic ? 0 : eddy_now_ms();
            rc = live ? check_compatible(e, live, nv, s->pos, err) : 0;
            if (rc == 0)
                rc = add_version(e, s, m, nv, bytes, n, err);
            if (rc != 0)
                model_destroy(model);
        }
    }
    free(bytes);
    free(path);
    return rc;
}

/* ---- DROP MODEL ------------------------------------------------------------------------ */

static int unknown_model(Engine *e, const AstName *n, EddyError *err)
{
    const char *hint = catalog_suggest_model(&e->cat, n->name);
    return eddy_error(err, ERR_ANALYSIS, n->pos, "unknown model %s%s%s%s", n->name,
                      hint ? "; did you mean " : "", hint ? hint : "", hint ? "?" : "");
}

int exec_drop_model(Engine *e, const AstStmt *s, EddyError *err)
{
    CatModel *m = catalog_find_model(&e->cat, s->u.drop.name.name);
    if (m == NULL)
        return s->u.drop.if_exists ? 0 : unknown_model(e, &s->u.drop.name, err);
    Arena *a = arena_create(0);
    PtrVec users = {0};
    live_users(e, m, a, &users);
    if (users.n > 0) {
        StrBuf sb;
        sb_init(&sb);
        for (int i = 0; i < users.n; i++)
            sb_printf(&sb, "%s%s", i ? ", " : "", ((Query *)users.items[i])->id);
        eddy_error(err, ERR_ANALYSIS, s->u.drop.name.pos,
                   "cannot drop model %s: quer%s %s score%s with it; terminate %s first", m->name,
                   users.n == 1 ? "y" : "ies", sb.data, users.n == 1 ? "s" : "",
                   users.n == 1 ? "it" : "them");
        sb_free(&sb);
        arena_destroy(a);
        return -1;
    }
    arena_destroy(a);
    if (engine_persist(e, s->text, err) != 0)
        return -1;
    m->dropped = true;
    if (m->current->model) {
        model_destroy(m->current->model);
        m->current->model = NULL;
    }
    char buf[600];
    snprintf(buf, sizeof buf, "Model %s was dropped.\n", m->name);
    engine_text(e, buf);
    return 0;
}

/* ---- SHOW MODELS, DESCRIBE MODEL --------------------------------------------------------- */

static int cmp_name(const void *a, const void *b)
{
    return strcmp((*(const CatModel *const *)a)->name, (*(const CatModel *const *)b)->name);
}

/* The live models, by name (malloc'd array). */
static int sorted_models(Engine *e, CatModel ***out)
{
    int n = 0, cap = strmap_count(e->cat.models) + 1;
    CatModel **ms = malloc(sizeof *ms * (size_t)cap);
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(e->cat.models, &it, &k, &v))
        if (!((CatModel *)v)->dropped)
            ms[n++] = v;
    qsort(ms, (size_t)n, sizeof *ms, cmp_name);
    *out = ms;
    return n;
}

static void put_features(StrBuf *sb, const CatModelVersion *v)
{
    sb_printf(sb, "%d", v->num_features);
    if (v->feature_names) {
        sb_puts(sb, " (");
        for (int i = 0; i < v->num_features; i++)
            sb_printf(sb, "%s%s", i ? ", " : "", v->feature_names[i]);
        sb_puts(sb, ")");
    }
}

static void put_format(StrBuf *sb, const CatModelVersion *v)
{
    sb_printf(sb, "%s (%s", model_format_name(v->format), v->encoding);
    if (v->booster)
        sb_printf(sb, ", %s, %d round%s", v->booster, v->num_rounds, v->num_rounds == 1 ? "" : "s");
    sb_puts(sb, ")");
}

void show_models(Engine *e, TextTable *out)
{
    TextTable t;
    tfmt_init(&t, 6);
    const char *head[] = {"Model Name", "Version", "Format", "Objective", "Features", "Used By"};
    for (int i = 0; i < 6; i++)
        tfmt_cell(&t, head[i]);
    CatModel **ms;
    int n = sorted_models(e, &ms);
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < n; i++) {
        const CatModelVersion *v = ms[i]->current;
        tfmt_cell(&t, ms[i]->name);
        tfmt_cell(&t, arena_sprintf(t.arena, "%d", v->version));
        tfmt_cell(&t, model_format_name(v->format));
        tfmt_cell(&t, v->objective);
        sb_reset(&sb);
        put_features(&sb, v);
        tfmt_cell(&t, sb.data);
        sb_reset(&sb);
        PtrVec users = {0};
        live_users(e, ms[i], t.arena, &users);
        for (int k = 0; k < users.n; k++) {
            const Query *q = users.items[k];
            sb_printf(&sb, "%s%s (v%d)", k ? ", " : "", q->kind == QUERY_TRANSIENT ? "push query" : q->id,
                      query_model_use(q, ms[i])->version->version);
        }
        tfmt_cell(&t, sb.data ? sb.data : "");
    }
    sb_free(&sb);
    free(ms);
    *out = t;
}

static void put_time(Engine *e, StrBuf *sb, int64_t ms)
{
    if (ms <= 0 || e->deterministic)
        sb_puts(sb, "-");
    else
        eddy_format_time(ms, sb);
}

int describe_model(Engine *e, const AstStmt *s, EddyError *err)
{
    CatModel *m = catalog_find_model(&e->cat, s->u.describe.name.name);
    if (m == NULL)
        return unknown_model(e, &s->u.describe.name, err);
    const CatModelVersion *cur = m->current;
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "\nName                 : %s\nCurrent version      : %d\nFormat               : ",
              m->name, cur->version);
    put_format(&sb, cur);
    sb_printf(&sb, "\nObjective            : %s\nOutputs per row      : %d%s\nFeatures             : ",
              cur->objective, cur->num_outputs, cur->num_outputs > 1 ? " (PREDICT gives an ARRAY<DOUBLE>)" : "");
    put_features(&sb, cur);
    sb_puts(&sb, "\n\n");
    TextTable t;
    tfmt_init(&t, 7);
    const char *head[] = {"Version", "Created", "SHA-256", "Format", "Objective", "Features", "Loaded From"};
    for (int i = 0; i < 7; i++)
        tfmt_cell(&t, head[i]);
    StrBuf cell;
    sb_init(&cell);
    for (int i = m->first_live; i < m->versions.n; i++) {
        const CatModelVersion *v = m->versions.items[i];
        tfmt_cell(&t, arena_sprintf(t.arena, "%d", v->version));
        sb_reset(&cell);
        put_time(e, &cell, v->created_ms);
        tfmt_cell(&t, cell.data);
        tfmt_cell(&t, v->sha256);
        sb_reset(&cell);
        put_format(&cell, v);
        tfmt_cell(&t, cell.data);
        tfmt_cell(&t, v->objective);
        sb_reset(&cell);
        put_features(&cell, v);
        tfmt_cell(&t, cell.data);
        tfmt_cell(&t, v->origin ? v->origin : "");
    }
    tfmt_render(&t, &sb);
    tfmt_free(&t);
    /* Each running query: the versions it scored with, and from where. */
    TextTable qt;
    tfmt_init(&qt, 4);
    const char *qhead[] = {"Query", "Version", "Since", "From Offsets"};
    for (int i = 0; i < 4; i++)
        tfmt_cell(&qt, qhead[i]);
    int rows = 0;
    for (int i = 0; i < e->cat.queries.n; i++) {
        const Query *q = e->cat.queries.items[i];
        const QueryModelUse *u = q->rt ? query_model_use(q, m) : NULL;
        for (int k = 0; u && k < u->switches.n; k++) {
            const ModelSwitch *sw = u->switches.items[k];
            tfmt_cell(&qt, q->id);
            tfmt_cell(&qt, arena_sprintf(qt.arena, "%d%s", sw->version,
                                         k == u->switches.n - 1 ? " (now)" : ""));
            sb_reset(&cell);
            put_time(e, &cell, sw->at_ms);
            tfmt_cell(&qt, cell.data);
            sb_reset(&cell);
            put_offsets(&cell, sw->offsets, sw->noffsets);
            tfmt_cell(&qt, cell.data);
            rows++;
        }
    }
    sb_puts(&sb, "\n");
    if (rows > 0)
        tfmt_render(&qt, &sb);
    else
        sb_puts(&sb, "No running query scores with it.\n");
    tfmt_free(&qt);
    sb_free(&cell);
    engine_text(e, sb.data);
    sb_free(&sb);
    return 0;
}

/* ---- start and end ---------------------------------------------------------------------- */

void models_restore(Engine *e)
{
    EddyError err;
    if (e->state_dir == NULL)
        return;
    int dropped = 0;
    if (model_switches_read(e, &dropped, &err) != 0)
        engine_log(e, 1, "the record of model versions per query is lost: %s", err.msg);
    bool changed = dropped > 0;
    for (int i = 0; i < e->cat.queries.n; i++) {
        Query *q = e->cat.queries.items[i];
        for (int k = 0; q->rt && k < q->models.n; k++) {
            QueryModelUse *u = q->models.items[k];
            const ModelSwitch *last = u->switches.n ? u->switches.items[u->switches.n - 1] : NULL;
            if (last && last->version == u->version->version)
                continue;
            /* Logged, not recorded: the query resumes from its stored
             * offsets with this version, and nothing ran after the switch. */
            TopicPartitionOffset *o = NULL;
            int n = 0;
            if (statedb_read_offsets(e->state, q->id, &o, &n, &err) != 0)
                n = 0;
            ptrvec_push(e->cat.arena, &u->switches,
                        new_switch(e, e->cat.arena, u->version->version, o, n));
            statedb_free_offsets(o, n);
            changed = true;
        }
    }
    if (changed && model_switches_write(e, NULL, &err) != 0)
        engine_log(e, 1, "cannot record model versions per query: %s", err.msg);
}

void models_free(Engine *e)
{
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(e->cat.models, &it, &k, &v)) {
        CatModel *m = v;
        for (int i = 0; i < m->versions.n; i++) {
            CatModelVersion *mv = m->versions.items[i];
            model_destroy(mv->model);
            mv->model = NULL;
        }
    }
}
