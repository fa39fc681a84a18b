/*
 * show.c - statements that only read: SHOW, DESCRIBE, EXPLAIN, PRINT, and
 * the record codecs the test runner uses.  Output is ksqlDB's CLI layout
 * where ksqlDB has one.
 */
#include "engine_int.h"
#include "eddy/engine/changelog.h"
#include "eddy/engine/runtime.h"
#include "replay.h"
#include "table_fmt.h"
#include "eddy/engine/functions.h"
#include "eddy/engine/serde.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* fit: cut the table to the output's width (e.out.width), column
 * `prefer` first (see tfmt_render_fit). */
static void render_fit(Engine *e, TextTable *t, bool fit, int prefer)
{
    StrBuf sb;
    sb_init(&sb);
    int width = fit && e->out.width ? e->out.width(e->out.ud) : 0;
    /* One column spare: a line exactly as wide as the terminal wraps on some. */
    tfmt_render_fit(t, &sb, width > 1 ? width - 1 : 0, prefer);
    engine_text(e, sb.data ? sb.data : "");
    sb_free(&sb);
    tfmt_free(t);
}

static void render(Engine *e, TextTable *t)
{
    render_fit(e, t, false, -1);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void show_sources(Engine *e, bool tables, bool extended)
{
    TextTable t;
    tfmt_init(&t, 5);
    tfmt_cell(&t, tables ? "Table Name" : "Stream Name");
    tfmt_cell(&t, "Kafka Topic");
    tfmt_cell(&t, "Key Format");
    tfmt_cell(&t, "Value Format");
    tfmt_cell(&t, "Windowed");
    const char *names[4096];
    int n = 0;
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(e->cat.sources, &it, &k, &v) && n < 4096)
        if (((CatSource *)v)->is_table == tables)
            names[n++] = k;
    qsort(names, (size_t)n, sizeof names[0], cmp_str);
    for (int i = 0; i < n; i++) {
        CatSource *s = catalog_find(&e->cat, names[i]);
        tfmt_cell(&t, s->name);
        tfmt_cell(&t, s->topic);
        tfmt_cell(&t, format_name(s->key_format));
        tfmt_cell(&t, format_name(s->value_format));
        tfmt_cell(&t, s->window_kind != WKIND_NONE ? "true" : "false");
    }
    (void)extended;
    render(e, &t);
}

const char *query_state_name(QueryState s)
{
    return s == QSTATE_RUNNING ? "RUNNING" : s == QSTATE_ERROR ? "ERROR" : "TERMINATED";
}

static bool query_reads(const Query *q, const CatSource *src)
{
    for (int k = 0; k < q->ninputs; k++)
        if (q->inputs[k] == src)
            return true;
    return false;
}

/* A statement on one line: a line break and the indentation after it
 * become one space.  In a (NULL: malloc'd). */
static char *one_line(Arena *a, const char *text)
{
    char *out = a ? arena_strdup(a, text) : strdup(text), *to = out;
    for (const char *p = text; *p; p++) {
        bool brk = *p == '\n' || *p == '\r';
        *to++ = brk || *p == '\t' ? ' ' : *p;
        while (brk && (p[1] == ' ' || p[1] == '\t' || p[1] == '\n' || p[1] == '\r'))
            p++;
    }
    *to = '\0';
    return out;
}

/* A running query's "Local runtime statistics" (ksqlDB's heading): the
 * numbers GET /metrics serves (engine_query_progress), then its lag per
 * input partition.  Deterministic runs (eddy test) leave out what the wall
 * clock decides: checkpoint durations. */
static void runtime_statistics(Engine *e, Query *q, StrBuf *sb)
{
    if (q->rt == NULL)
        return;
    int64_t lag = runtime_lag(q->rt), bytes = runtime_state_bytes(q->rt);
    const int *owned;
    int nowned = runtime_owned(q->rt, &owned);
    sb_printf(sb, "\nLocal runtime statistics (%s)\n------------------------\n", q->id);
    sb_printf(sb, "total-messages: %lld  messages-out: %lld  failed-messages: %lld  "
                  "expression-errors: %lld  late-messages: %lld\n",
              (long long)q->records_in, (long long)q->records_out, (long long)q->records_skipped,
              (long long)q->eval_errors, (long long)q->records_late);
    sb_printf(sb, "consumer-lag: ");
    sb_printf(sb, lag < 0 ? "not known yet" : "%lld", (long long)lag);
    sb_printf(sb, "  state-bytes: ");
    sb_printf(sb, bytes >= 0 ? "%lld" : nowned == 0 ? "none here (no task on this member)"
                                            : "none (stateless)", (long long)bytes);
    sb_printf(sb, "  checkpoints: %lld", (long long)q->checkpoints);
    if (!e->deterministic && q->checkpoints > 0)
        sb_printf(sb, "  checkpoint-ms-last: %.3f  checkpoint-ms-avg: %.3f",
                  (double)q->checkpoint_us_last / 1000.0,
                  (double)q->checkpoint_us_total / 1000.0 / (double)q->checkpoints);
    int64_t done, total;
    if (replay_progress(e, q, &done, &total))
        sb_printf(sb, "  replay: %lld of %lld records", (long long)done, (long long)total);
    sb_puts(sb, "\n");
    if (nowned >= 0) {
        /* Assigned mode: the tasks the group gave this member. */
        const char *id = commands_member_id(e);
        sb_printf(sb, "tasks on this member (%s): [", id ? id : "not known yet");
        for (int i = 0; i < nowned; i++)
            sb_printf(sb, "%s%d", i ? "," : "", owned[i]);
        sb_printf(sb, "] of %d%s\n", runtime_total_tasks(q->rt),
                  runtime_awaiting(q->rt) ? " (awaiting the group's first assignment)" : "");
        if (runtime_repartition(q->rt))
            sb_printf(sb, "repartition topic: %s\n", runtime_repartition(q->rt));
        const Changelog *cl = runtime_changelog(q->rt);
        int64_t recs, bytes;
        if (cl && engine_standbys(e)) {
            changelog_tail_figures(cl, &recs, &bytes);
            sb_printf(sb, "standby copies: the other %d tasks' state, kept from their changelog "
                          "(%lld records, %.2f MB read since these tasks started)\n",
                      runtime_total_tasks(q->rt) - nowned, (long long)recs, (double)bytes / 1e6);
        }
    }
    EnginePartitionLag parts[256];
    int n = runtime_partition_lags(q->rt, parts, 256);
    if (n <= 0)
        return;
    TextTable t;
    tfmt_init(&t, 3);
    tfmt_cell(&t, "Kafka topic");
    tfmt_cell(&t, "Partition");
    tfmt_cell(&t, "Lag");
    for (int i = 0; i < n && i < 256; i++) {
        tfmt_cell(&t, parts[i].topic);
        tfmt_cell(&t, arena_sprintf(t.arena, "%d", (int)parts[i].partition));
        tfmt_cell(&t, parts[i].lag < 0 ? "not known yet"
                                       : arena_sprintf(t.arena, "%lld", (long long)parts[i].lag));
    }
    tfmt_render(&t, sb);
    tfmt_free(&t);
}

static void show_queries(Engine *e)
{
    TextTable t;
    tfmt_init(&t, 5);
    tfmt_cell(&t, "Query ID");
    tfmt_cell(&t, "Query Type");
    tfmt_cell(&t, "Status");
    tfmt_cell(&t, "Sink Name");
    tfmt_cell(&t, "Query String");
    for (int i = 0; i < e->cat.queries.n; i++) {
        Query *q = e->cat.queries.items[i];
        if (q->state == QSTATE_TERMINATED)
            continue;
        tfmt_cell(&t, q->id);
        tfmt_cell(&t, "PERSISTENT");
        int64_t done, total;
        if (q->state == QSTATE_RUNNING && replay_progress(e, q, &done, &total))
            tfmt_cell(&t, arena_sprintf(t.arena, "REPLAYING (%d%%)", (int)(100 * done / total)));
        else if (q->rt && runtime_stalled(q->rt))
            tfmt_cell(&t, "STALLED");   /* running, but input left and no progress */
        else
            tfmt_cell(&t, query_state_name(q->state));
        tfmt_cell(&t, q->sink ? q->sink->name : "");
        /* render_fit cuts the statement to the output's width. */
        tfmt_cell(&t, one_line(t.arena, q->sql));
    }
    render_fit(e, &t, true, 4);   /* the statement gives way first */
}

/* SHOW QUERIES EXTENDED: a block per query, as ksqlDB's (its id, type,
 * statement, status, sources and sink), then its runtime statistics. */
static void show_queries_extended(Engine *e)
{
    StrBuf sb;
    sb_init(&sb);
    Arena *a = arena_create(4096);
    for (int i = 0; i < e->cat.queries.n; i++) {
        Query *q = e->cat.queries.items[i];
        if (q->state == QSTATE_TERMINATED)
            continue;
        sb_printf(&sb, "\nID                   : %s\nQuery Type           : PERSISTENT\n", q->id);
        sb_printf(&sb, "SQL                  : %s\n", one_line(a, q->sql));
        sb_printf(&sb, "Status               : %s\n",
                  q->rt && runtime_stalled(q->rt) ? "STALLED" : query_state_name(q->state));
        sb_puts(&sb, "Sources that this query reads from: ");
        for (int k = 0; k < q->ninputs; k++)
            sb_printf(&sb, "%s%s", k ? ", " : "", q->inputs[k]->name);
        sb_printf(&sb, "\nSinks that this query writes to: %s\n", q->sink ? q->sink->name : "");
        runtime_statistics(e, q, &sb);
    }
    arena_destroy(a);
    engine_text(e, sb.data ? sb.data : "");
    sb_free(&sb);
}

/* A broker that does not answer is an error, not an empty list. */
static int show_topics(Engine *e, EddyError *err)
{
    char **names = NULL;
    int n = e->t->ops->list_topics(e->t, &names, err);
    if (n < 0)
        return -1;
    TextTable t;
    tfmt_init(&t, 2);
    tfmt_cell(&t, "Kafka Topic");
    tfmt_cell(&t, "Partitions");
    if (n > 0)
        qsort(names, (size_t)n, sizeof names[0], cmp_str);
    for (int i = 0; i < n; i++) {
        if (names[i][0] == '_')
            continue;   /* internal topics, as ksqlDB hides them */
        char parts[32];
        snprintf(parts, sizeof parts, "%d", e->t->ops->topic_partitions(e->t, names[i]));
        tfmt_cell(&t, names[i]);
        tfmt_cell(&t, parts);
    }
    transport_free_names(names, n);
    render(e, &t);
    return 0;
}

static void show_properties(Engine *e)
{
    static const char *const defaults[][2] = {
        {"auto.offset.reset", "latest"},
        {"commit.interval.ms", "2000"},
        {"cache.max.bytes.buffering", "10000000"},
        {"max.task.idle.ms", "500"},
        {"num.standby.replicas", "0"},
        {"processing.guarantee", "at_least_once"},
        {"snapshot.interval.ms", "3600000"},
        {"snapshot.retention.count", "24"},
        {"snapshot.retention.ms", "86400000"},
    };
    TextTable t;
    tfmt_init(&t, 3);
    tfmt_cell(&t, "Property");
    tfmt_cell(&t, "Scope");
    tfmt_cell(&t, "Value");
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
        const char *set = strmap_get(e->cat.props, defaults[i][0]);
        tfmt_cell(&t, defaults[i][0]);
        tfmt_cell(&t, set ? "SESSION" : "DEFAULT");
        tfmt_cell(&t, set ? set : defaults[i][1]);
    }
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(e->cat.props, &it, &k, &v)) {
        bool dflt = false;
        for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
            dflt |= strcmp(defaults[i][0], k) == 0;
        if (dflt)
            continue;
        tfmt_cell(&t, k);
        tfmt_cell(&t, "SESSION");
        tfmt_cell(&t, strstr(k, "password") || strstr(k, "secret") ? "[hidden]" : (const char *)v);
    }
    render(e, &t);
}

/* Every function, as ksqlDB lists them: scalar, table and lambda functions
 * from the function registry, aggregates (category AGGREGATE) from theirs,
 * merged by name. */
static void show_functions(Engine *e)
{
    TextTable t;
    tfmt_init(&t, 2);
    tfmt_cell(&t, "Function Name");
    tfmt_cell(&t, "Category");
    int i = 0, j = 0, nf = func_count(), na = agg_count();
    while (i < nf || j < na) {
        const FuncInfo *f = i < nf ? func_info_at(i) : NULL;
        const AggInfo *g = j < na ? agg_info_at(j) : NULL;
        if (f && (g == NULL || strcmp(f->name, g->name) < 0)) {
            tfmt_cell(&t, f->name);
            tfmt_cell(&t, f->category);
            i++;
        } else {
            tfmt_cell(&t, g->name);
            tfmt_cell(&t, "AGGREGATE");
            j++;
        }
    }
    render(e, &t);
}

int exec_show(Engine *e, const AstStmt *s, EddyError *err)
{
    switch (s->u.show.what) {
    case SHOW_STREAMS: show_sources(e, false, s->u.show.extended); return 0;
    case SHOW_TABLES: show_sources(e, true, s->u.show.extended); return 0;
    case SHOW_QUERIES:
        if (s->u.show.extended)
            show_queries_extended(e);
        else
            show_queries(e);
        return 0;
    case SHOW_TOPICS: return show_topics(e, err);
    case SHOW_PROPERTIES: show_properties(e); return 0;
    case SHOW_FUNCTIONS: show_functions(e); return 0;
    case SHOW_MODELS: {
        TextTable t;
        show_models(e, &t);
        render_fit(e, &t, true, 4);   /* the feature names give way first */
        return 0;
    }
    case SHOW_SNAPSHOTS: show_snapshots(e); return 0;
    case SHOW_TYPES: show_types(e); return 0;
    case SHOW_VARIABLES: show_variables(e); return 0;
    }
    EDDY_PANIC("bad SHOW %d", (int)s->u.show.what);
}

/* DESCRIBE FUNCTION: a scalar, table or lambda function of the function
 * registry, or an aggregate of its own registry. */
static int describe_function(Engine *e, const AstStmt *s, EddyError *err)
{
    const FuncInfo *f = func_info(s->u.describe.name.name);
    const AggInfo *g = f ? NULL : agg_info(s->u.describe.name.name);
    if (f == NULL && g == NULL)
        return eddy_error(err, ERR_ANALYSIS, s->u.describe.name.pos, "unknown function %s",
                          s->u.describe.name.name);
    const char *name = f ? f->name : g->name, *category = f ? f->category : "AGGREGATE";
    const char *description = f ? f->description : g->description;
    int n = f ? f->noverloads : g->nsignatures;
    const char *const *sigs = f ? f->signatures : g->signatures;
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "Name        : %s\nCategory    : %s\nDescription : %s\n", name, category, description);
    for (int i = 0; i < n; i++)
        sb_printf(&sb, "Variation   : %s\n", sigs[i]);
    engine_text(e, sb.data);
    sb_free(&sb);
    return 0;
}

int exec_describe(Engine *e, const AstStmt *s, EddyError *err)
{
    if (s->u.describe.is_function)
        return describe_function(e, s, err);
    if (s->u.describe.is_model)
        return describe_model(e, s, err);
    if (s->u.describe.is_list_streams || s->u.describe.is_list_tables) {
        show_sources(e, s->u.describe.is_list_tables, s->u.describe.extended);
        return 0;
    }
    const char *name = s->u.describe.name.name;
    CatSource *src = catalog_find(&e->cat, name);
    if (src == NULL) {
        const char *hint = catalog_suggest(&e->cat, name);
        return eddy_error(err, ERR_ANALYSIS, s->u.describe.name.pos,
                          "unknown stream or table %s%s%s%s", name, hint ? "; did you mean " : "",
                          hint ? hint : "", hint ? "?" : "");
    }
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "\nName                 : %s\n", src->name);
    TextTable t;
    tfmt_init(&t, 2);
    tfmt_cell(&t, "Field");
    tfmt_cell(&t, "Type");
    for (int i = 0; i < src->schema->ncols; i++) {
        const Column *c = &src->schema->cols[i];
        char *ty = type_to_string(e->cat.arena, c->type);
        tfmt_cell(&t, c->name);
        /* ksqlDB marks a windowed source's key columns with the window type. */
        const char *wt = window_kind_name(src->window_kind);
        tfmt_cell(&t, c->role == COL_KEY
                          ? arena_sprintf(e->cat.arena, "%s  (%s)%s%s%s", ty,
                                          src->is_table ? "primary key" : "key",
                                          wt ? " (Window type: " : "", wt ? wt : "", wt ? ")" : "")
                          : ty);
    }
    tfmt_render(&t, &sb);
    tfmt_free(&t);
    if (s->u.describe.extended) {
        sb_printf(&sb, "\nType                 : %s\n", src->is_table ? "TABLE" : "STREAM");
        sb_printf(&sb, "Timestamp field      : %s\n",
                  src->timestamp_col >= 0 ? src->schema->cols[src->timestamp_col].name
                                          : "Not set - using <ROWTIME>");
        sb_printf(&sb, "Key format           : %s\nValue format         : %s\n",
                  format_name(src->key_format), format_name(src->value_format));
        sb_printf(&sb, "Kafka topic          : %s (partitions: %d)\n", src->topic, src->partitions);
        sb_printf(&sb, "Statement            : %s\n", src->sql);
        /* ksqlDB's sections: the queries that write and read the source,
         * then the runtime statistics of each (its "Local runtime
         * statistics"), with the consumer lag per partition as its
         * "Consumer Groups summary" shows it. */
        for (int pass = 0; pass < 2; pass++) {
            bool header = false;
            for (int i = 0; i < e->cat.queries.n; i++) {
                Query *q = e->cat.queries.items[i];
                if (q->state != QSTATE_RUNNING || (pass == 0) != (q->sink == src) ||
                    (pass == 1 && !query_reads(q, src)))
                    continue;
                if (!header) {
                    char h[64];
                    int hn = snprintf(h, sizeof h, "Queries that %s this %s",
                                      pass == 0 ? "write into" : "read from",
                                      src->is_table ? "TABLE" : "STREAM");
                    sb_printf(&sb, "\n%s\n%.*s\n", h, hn,
                              "------------------------------------------------");
                    header = true;
                }
                char *sql = one_line(NULL, q->sql);
                sb_printf(&sb, "%s (%s) : %s\n", q->id, query_state_name(q->state), sql);
                free(sql);
            }
        }
        for (int i = 0; i < e->cat.queries.n; i++) {
            Query *q = e->cat.queries.items[i];
            if (q->state != QSTATE_RUNNING || (!query_reads(q, src) && q->sink != src))
                continue;
            runtime_statistics(e, q, &sb);
            if (q->sink == src)
                replay_describe(e, q, &sb);
        }
    }
    engine_text(e, sb.data);
    sb_free(&sb);
    return 0;
}

/* Whether a plan joins on a foreign key (its repartition topic carries
 * the right table to every task). */
static bool has_fk_join(const Plan *p)
{
    for (; p; p = p->input)
        if (p->tag == PLAN_JOIN &&
            (p->u.join.kind == JOIN_TABLE_TABLE_FK || has_fk_join(p->right)))
            return true;
    return false;
}

static int cmp_prop(const void *a, const void *b)
{
    return strcmp(**(const char *const *const *)a, **(const char *const *const *)b);
}

/* The properties q was created with and keeps for every start (ksqlDB's
 * "Overridden Properties"), by name. */
static void explain_props(const Query *q, StrBuf *sb)
{
    if (q->nprops == 0)
        return;
    const char ***names = calloc((size_t)q->nprops, sizeof *names);
    if (names == NULL)
        EDDY_PANIC("out of memory");
    for (int i = 0; i < q->nprops; i++)
        names[i] = &q->prop_names[i];
    qsort(names, (size_t)q->nprops, sizeof *names, cmp_prop);
    sb_puts(sb, "\nOverridden Properties (set when the query was created; every start of it "
                "uses them):\n");
    for (int i = 0; i < q->nprops; i++) {
        int k = (int)(names[i] - q->prop_names);
        sb_printf(sb, "  %s = %s\n", q->prop_names[k], q->prop_values[k]);
    }
    free(names);
}

int exec_explain(Engine *e, const AstStmt *s, EddyError *err)
{
    const Plan *plan = NULL;
    Arena *a = NULL;
    const char *sql = NULL;
    const char *qid = NULL;
    if (s->u.explain.query_id) {
        Query *q = engine_find_query(e, s->u.explain.query_id);
        if (q == NULL)
            return eddy_error(err, ERR_ANALYSIS, s->pos, "unknown query id %s", s->u.explain.query_id);
        plan = q->plan;
        sql = q->sql;
        qid = q->id;
    } else {
        const AstStmt *inner = s->u.explain.stmt;
        const AstSelect *sel = inner->kind == STMT_SELECT ? inner->u.select
                               : inner->kind == STMT_CREATE_AS ? inner->u.create.select
                               : inner->kind == STMT_INSERT_SELECT ? inner->u.insert.select : NULL;
        if (sel == NULL)
            return eddy_error(err, ERR_ANALYSIS, inner->pos, "EXPLAIN needs a query or a query id");
        a = arena_create(0);
        SelectAnalysis an;
        if (analyze_select(&e->cat, sel, inner->kind != STMT_SELECT, a, &an, err) != 0) {
            arena_destroy(a);
            return -1;
        }
        plan = an.plan;
        sql = inner->text;
    }
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "Statement: %s\n\nExecution plan:\n", sql);
    plan_explain(plan, qid, &sb);
    if (qid && engine_find_query(e, qid)->rt) {
        /* Tasks and threads (engine/README.md, "Tasks and threads"). */
        QueryRuntime *rt = engine_find_query(e, qid)->rt;
        int n = runtime_ntasks(rt), workers = 1;
        for (int t = 0; t < n; t++)
            if (runtime_task_worker(rt, t) + 1 > workers)
                workers = runtime_task_worker(rt, t) + 1;
        const int *owned;
        bool assigned = runtime_owned(rt, &owned) >= 0;
        bool fk = has_fk_join(plan);
        const char *how = runtime_repartition(rt) && fk
                              ? "; the left table's rows stay in their task, the right table's "
                                "go to every task (through the repartition topic)"
                          : runtime_repartition(rt) ? "; rows spread over the tasks by a hash of "
                                                    "their group or join key (through the "
                                                    "repartition topic)"
                          : n == 1 && !assigned ? "; one task reads every partition"
                          : runtime_exchanges(rt) ? "; groups spread over the tasks by a hash of "
                                                    "their key (in-process exchange)"
                          : runtime_store_count(rt) > 0
                              ? "; each key's state stays in its partition's task"
                              : "";
        if (assigned)
            sb_printf(&sb, "\nTasks: %d of %d on this member (task p reads partition p of each "
                           "input) on %d worker thread%s%s\n",
                      n, runtime_total_tasks(rt), workers, workers == 1 ? "" : "s", how);
        else
            sb_printf(&sb, "\nTasks: %d (partitions p with p %% %d == task) on %d worker "
                           "thread%s%s\n",
                      n, n, workers, workers == 1 ? "" : "s", how);
        if (runtime_repartition(rt))
            sb_printf(&sb, "Repartition topic: %s (tasks shared by the application's members: %s "
                           "through its partition of the topic)\n",
                      runtime_repartition(rt),
                      fk ? "a right table's row goes to every other task, each keeping a copy "
                           "of that table,"
                         : "a row goes to its group's or join key's task");
    }
    if (qid)
        explain_props(engine_find_query(e, qid), &sb);
    engine_text(e, sb.data);
    sb_free(&sb);
    arena_destroy(a);
    return 0;
}

/* ---- PRINT -------------------------------------------------------------------
 *
 * PRINT is a push statement, as in ksqlDB: it prints the topic's records
 * from its beginning (FROM BEGINNING) or from its end, then every new one,
 * until LIMIT records are printed or it is cancelled (Ctrl-C in the REPL, a
 * next push statement).  The records there when it starts are printed
 * before exec_print returns (so a script's next push statement does not
 * cut them short); then it runs beside the persistent queries: engine_poll
 * drives it, engine_has_transient/engine_cancel_transient see it.  Lines
 * are ksqlDB's ("rowtime: 2020/01/15 02:30:30.000 Z, key: k, value: v,
 * partition: 0"), after a "Key format / Value format" guess made from the
 * first record. */

struct PrintTask {
    Consumer *c;
    int64_t limit;                /* records to print; INT64_MAX = until cancelled */
    int64_t interval;             /* print every interval-th record */
    int64_t seen, shown;
    bool header_done;
    TransportRecord recs[100];
};

/* ksqlDB's guess of a format from one record's bytes (it cannot tell
 * KAFKA_STRING from JSON text, nor BIGINT from DOUBLE). */
static const char *guess_format(const void *p, size_t n)
{
    if (p == NULL)
        return "\xc2\xaf\\_(\xe3\x83\x84)_/\xc2\xaf - no data processed";
    const unsigned char *b = p;
    bool text = true;
    for (size_t i = 0; i < n && text; i++)
        text = b[i] >= 0x20 || b[i] == '\t' || b[i] == '\n' || b[i] == '\r';
    if (text) {
        json_error_t jerr;
        json_t *j = n > 0 ? json_loadb(p, n, JSON_DECODE_ANY, &jerr) : NULL;
        bool is_json = j != NULL;
        json_decref(j);
        return is_json ? "JSON or KAFKA_STRING" : "KAFKA_STRING";
    }
    return n == 4 ? "KAFKA_INT" : n == 8 ? "KAFKA_BIGINT or KAFKA_DOUBLE" : "KAFKA_BYTES";
}

/* Bytes as text: printable text as it is, a 4- or 8-byte binary key or
 * value as the big-endian integer Kafka's serializers write, else hex. */
static void put_bytes(StrBuf *sb, const void *p, size_t n)
{
    if (p == NULL) {
        sb_puts(sb, "<null>");
        return;
    }
    const unsigned char *b = p;
    bool text = true;
    for (size_t i = 0; i < n && text; i++)
        text = b[i] >= 0x20 || b[i] == '\t' || b[i] == '\n' || b[i] == '\r';
    if (text) {
        sb_append(sb, p, n);
    } else if (n == 4 || n == 8) {
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++)
            v = v << 8 | b[i];
        sb_printf(sb, "%lld", n == 4 ? (long long)(int32_t)(uint32_t)v : (long long)(int64_t)v);
    } else {
        for (size_t i = 0; i < n; i++)
            sb_printf(sb, "\\x%02x", b[i]);
    }
}

static CatSource *source_for_topic(Engine *e, const char *topic);

/* PRINT's key: the bytes as text, or for a topic of a windowed source
 * ksqlDB's rendering of a windowed key, [key@start/end] ("-" for a time
 * window's end, which its bytes do not hold); the inner key is decoded
 * with the key format when it is one KAFKA column. */
static void print_key(Engine *e, const char *topic, const TransportRecord *r, StrBuf *out)
{
    if (r->key == NULL) {
        put_bytes(out, NULL, 0);
        return;
    }
    CatSource *s = source_for_topic(e, topic);
    int64_t start, end;
    size_t inner;
    EddyError err;
    if (s == NULL || s->window_kind == WKIND_NONE ||
        serde_window_decode(s->window_kind, s->window_size_ms, r->key, r->key_len, &inner, &start,
                            &end, &err) != 0) {
        put_bytes(out, r->key, r->key_len);
        return;
    }
    sb_putc(out, '[');
    Arena *a = arena_create(0);
    Value v;
    if (s->key_format == FMT_KAFKA && s->schema->nkeys == 1 &&
        serde_decode(FMT_KAFKA, &s->key_opts, s->schema->cols, 1, r->key, inner, &v, a, &err) == 0)
        value_format(&v, out);
    else
        sb_append(out, r->key, inner);
    arena_destroy(a);
    if (s->window_kind == WKIND_SESSION)
        sb_printf(out, "@%lld/%lld]", (long long)start, (long long)end);
    else
        sb_printf(out, "@%lld/-]", (long long)start);
}

static void print_record(Engine *e, struct PrintTask *pt, const TransportRecord *r, StrBuf *sb)
{
    sb_reset(sb);
    if (!pt->header_done) {
        sb_printf(sb, "Key format: %s\nValue format: %s\n", guess_format(r->key, r->key_len),
                  guess_format(r->value, r->value_len));
        pt->header_done = true;
    }
    char when[64] = "-";
    if (r->timestamp >= 0) {
        time_t secs = (time_t)(r->timestamp / 1000);
        struct tm tm;
        gmtime_r(&secs, &tm);
        size_t len = strftime(when, sizeof when, "%Y/%m/%d %H:%M:%S", &tm);
        snprintf(when + len, sizeof when - len, ".%03d Z", (int)(r->timestamp % 1000));
    }
    sb_printf(sb, "rowtime: %s, key: ", when);
    print_key(e, r->topic, r, sb);
    sb_puts(sb, ", value: ");
    put_bytes(sb, r->value, r->value_len);
    sb_printf(sb, ", partition: %d\n", (int)r->partition);
    engine_text(e, sb->data);
}

void print_stop(Engine *e)
{
    struct PrintTask *pt = e->print;
    if (pt == NULL)
        return;
    e->print = NULL;
    e->t->ops->consumer_close(pt->c);
    free(pt);
}

bool print_at_end(Engine *e)
{
    return e->print == NULL || e->t->ops->consumer_at_end(e->print->c);
}

int print_poll(Engine *e, int timeout_ms, EddyError *err)
{
    struct PrintTask *pt = e->print;
    if (pt == NULL)
        return 0;
    int n = e->t->ops->consumer_poll(pt->c, pt->recs, 100, timeout_ms, err);
    if (n < 0) {
        engine_log(e, 2, "PRINT stopped: %s", err->msg);
        print_stop(e);
        eddy_error_clear(err);
        return 0;
    }
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < n && pt->shown < pt->limit; i++)
        if (pt->seen++ % pt->interval == 0) {
            print_record(e, pt, &pt->recs[i], &sb);
            pt->shown++;
        }
    sb_free(&sb);
    if (pt->shown >= pt->limit)
        print_stop(e);
    return n;
}

/* "Did you mean" for a topic named in another case, as ksqlDB suggests. */
static void suggest_topics(Engine *e, const char *topic, StrBuf *sb)
{
    char **names = NULL;
    int n = e->t->ops->list_topics(e->t, &names, NULL);
    for (int i = 0; i < n; i++)
        if (strcasecmp(names[i], topic) == 0)
            sb_printf(sb, "%sPRINT '%s';", sb->len ? " or " : "; did you mean ", names[i]);
    transport_free_names(names, n > 0 ? n : 0);
}

int exec_print(Engine *e, const AstStmt *s, EddyError *err)
{
    if (e->replaying)
        return 0;
    const char *topic = s->u.print.topic;
    if (s->u.print.interval == 0)
        return eddy_error(err, ERR_ANALYSIS, s->pos, "INTERVAL must be at least 1");
    if (e->t->ops->topic_partitions(e->t, topic) < 0) {
        StrBuf hint;
        sb_init(&hint);
        suggest_topics(e, topic, &hint);
        eddy_error(err, ERR_ANALYSIS, s->pos,
                   "could not find topic '%s' (topic names are case-sensitive)%s", topic,
                   hint.data ? hint.data : "");
        sb_free(&hint);
        return -1;
    }
    /* A new push statement replaces a running one, as a SELECT does (with
     * many_transients: the running PRINT only). */
    if (e->many_transients)
        print_stop(e);
    else if (engine_has_transient(e))
        engine_cancel_transient(e);
    struct PrintTask *pt = calloc(1, sizeof *pt);
    if (pt == NULL)
        return eddy_error(err, ERR_INTERNAL, s->pos, "out of memory");
    pt->limit = s->u.print.limit >= 0 ? s->u.print.limit : INT64_MAX;
    pt->interval = s->u.print.interval > 0 ? s->u.print.interval : 1;
    const char *topics[1] = {topic};
    char group[128];
    snprintf(group, sizeof group, "eddy_print_%lld", (long long)eddy_now_ms());
    pt->c = e->t->ops->consumer_open(e->t, group, topics, 1,
                                     s->u.print.from_beginning ? RESET_EARLIEST : RESET_LATEST,
                                     NULL, 0, err);
    if (pt->c == NULL) {
        free(pt);
        return -1;
    }
    e->print = pt;
    if (pt->limit == 0)
        print_stop(e);
    /* What is there now is printed before the statement returns, so a
     * script's next statement does not cut it short; new records follow
     * from engine_poll. */
    for (int idle = 0; e->print && !print_at_end(e) && idle < 50;) {
        int n = print_poll(e, 100, err);
        idle = n == 0 ? idle + 1 : 0;
    }
    return 0;
}

/* ---- QTT record codecs ---------------------------------------------------- */

static CatSource *source_for_topic(Engine *e, const char *topic)
{
    size_t it = 0;
    const char *k;
    void *v;
    CatSource *found = NULL;
    while (strmap_next(e->cat.sources, &it, &k, &v)) {
        CatSource *s = v;
        if (strcmp(s->topic, topic) == 0 && (found == NULL || s->writer))
            found = s;
    }
    return found;
}

static void dump_json(const json_t *j, StrBuf *out)
{
    char *text = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
    if (text) {
        sb_puts(out, text);
        free(text);
    }
}

/* Encodes one side (key or value) of a QTT record. */
static int encode_side(const CatSource *s, bool key, const json_t *j, StrBuf *out, bool *null,
                       EddyError *err)
{
    *null = j == NULL || json_is_null(j);
    if (*null)
        return 0;
    if (s == NULL) {   /* a topic no source describes: JSON text, strings raw */
        if (json_is_string(j))
            sb_puts(out, json_string_value(j));
        else
            dump_json(j, out);
        return 0;
    }
    const Schema *sc = s->schema;
    const Column *cols = key ? sc->cols : sc->cols + sc->nkeys;
    int n = key ? sc->nkeys : sc->ncols - sc->nkeys;
    Format f = key ? s->key_format : s->value_format;
    const SerdeOptions *o = key ? &s->key_opts : &s->value_opts;
    /* DELIMITED (and anything given as a string for a non-string single
     * column) is written as its text; JSON is re-serialised as given so
     * malformed or oddly-typed inputs reach the engine unchanged. */
    if (f == FMT_DELIMITED || f == FMT_JSON) {
        if (f == FMT_DELIMITED && json_is_string(j))
            sb_puts(out, json_string_value(j));
        else
            dump_json(j, out);
        return 0;
    }
    if (n == 0)
        return 0;
    Arena *a = arena_create(0);
    Value *vals = arena_alloc(a, sizeof(Value) * (size_t)n);
    int rc = -1;
    if (n == 1) {
        rc = json_to_value(j, cols[0].type, a, &vals[0], err);
    } else {
        rc = eddy_error(err, ERR_RUNTIME, (SrcPos){0}, "format %s cannot carry %d columns",
                        format_name(f), n);
    }
    if (rc == 0)
        rc = serde_encode(f, o, cols, n, vals, out, err);
    arena_destroy(a);
    return rc;
}

/* The window of a QTT record, {"start", "end", "type"}, after its key. */
static int encode_window(const CatSource *s, const char *topic, const json_t *w, StrBuf *out,
                         EddyError *err)
{
    WindowKind kind = s ? s->window_kind : WKIND_NONE;
    if (w == NULL || json_is_null(w)) {
        if (kind == WKIND_NONE)
            return 0;
        return eddy_error(err, ERR_RUNTIME, (SrcPos){0},
                          "topic %s is %s-windowed: the record needs a \"window\"", topic,
                          window_kind_name(kind));
    }
    if (kind == WKIND_NONE)
        return eddy_error(err, ERR_RUNTIME, (SrcPos){0},
                          "the record has a \"window\" but topic %s is not windowed", topic);
    json_t *start = json_object_get(w, "start"), *end = json_object_get(w, "end");
    if (!json_is_integer(start) || (kind == WKIND_SESSION && !json_is_integer(end)))
        return eddy_error(err, ERR_RUNTIME, (SrcPos){0},
                          "a window needs integer \"start\"%s", kind == WKIND_SESSION ? " and \"end\"" : "");
    serde_window_encode(kind, json_integer_value(start), end ? json_integer_value(end) : 0, out);
    return 0;
}

int engine_encode_record(Engine *e, const char *topic, const json_t *key, const json_t *value,
                         const json_t *window, StrBuf *key_out, bool *key_null, StrBuf *value_out,
                         bool *value_null, EddyError *err)
{
    CatSource *s = source_for_topic(e, topic);
    if (encode_side(s, true, key, key_out, key_null, err) != 0)
        return -1;
    if (s && s->window_kind != WKIND_NONE && *key_null && window && !json_is_null(window))
        *key_null = false;   /* a windowed stream without key columns: the window alone */
    if (!*key_null && encode_window(s, topic, window, key_out, err) != 0)
        return -1;
    return encode_side(s, false, value, value_out, value_null, err);
}

static json_t *decode_side(const CatSource *s, bool key, const void *buf, size_t len,
                           EddyError *err)
{
    if (buf == NULL)
        return json_null();
    Format f = s ? (key ? s->key_format : s->value_format) : FMT_JSON;
    if (f == FMT_JSON) {
        json_error_t jerr;
        json_t *j = json_loadb(buf, len, JSON_DECODE_ANY, &jerr);
        if (j)
            return j;
        return json_stringn(buf, len);
    }
    if (f == FMT_DELIMITED)
        return json_stringn(buf, len);
    const Schema *sc = s->schema;
    const Column *cols = key ? sc->cols : sc->cols + sc->nkeys;
    int n = key ? sc->nkeys : sc->ncols - sc->nkeys;
    if (n != 1)
        return json_stringn(buf, len);
    Arena *a = arena_create(0);
    Value v;
    json_t *out = NULL;
    if (serde_decode(f, key ? &s->key_opts : &s->value_opts, cols, 1, buf, len, &v, a, err) == 0)
        out = value_to_json(&v, cols[0].type);
    arena_destroy(a);
    return out ? out : json_stringn(buf, len);
}

int engine_decode_record(Engine *e, const char *topic, const void *key, size_t key_len,
                         const void *value, size_t value_len, json_t **key_out, json_t **value_out,
                         json_t **window_out, EddyError *err)
{
    CatSource *s = source_for_topic(e, topic);
    *window_out = NULL;
    int64_t start, end;
    size_t inner;
    if (key && s && s->window_kind != WKIND_NONE &&
        serde_window_decode(s->window_kind, s->window_size_ms, key, key_len, &inner, &start, &end,
                            err) == 0) {
        *window_out = json_pack("{s:I, s:I, s:s}", "start", (json_int_t)start, "end", (json_int_t)end,
                                "type", s->window_kind == WKIND_SESSION ? "session" : "time");
        key_len = inner;
        if (s->schema->nkeys == 0)
            key = NULL;   /* a windowed stream without key columns: the window only */
    }
    *key_out = decode_side(s, true, key, key_len, err);
    *value_out = decode_side(s, false, value, value_len, err);
    return 0;
}
