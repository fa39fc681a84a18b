/*
 * engine.c - the engine object: statement dispatch, properties, the
 * persisted command log, and the poll loop over running queries.
 *
 * The catalog persists as <state.dir>/commands.ksql, the statements that
 * built it, in order (ksqlDB keeps a command topic to the same end).  On
 * start they are replayed quietly; a statement given again with the same
 * text (a restarted `eddy run` of the same file) is skipped.  A SET or
 * UNSET is written only just before the next statement that is, and only
 * if it changes what the log says, so such a restart adds nothing.
 */
#include "engine_int.h"
#include "eddy/engine/changelog.h"
#include "eddy/engine/runtime.h"
#include "eddy/store.h"
#include "replay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- output ------------------------------------------------------------ */

void engine_text(Engine *e, const char *text)
{
    if (!e->replaying && !e->text_off && e->out.text)
        e->out.text(e->out.ud, text);
}

void engine_log(Engine *e, int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    eddy_vlog(e->out.log, e->out.ud, level, fmt, ap);
    va_end(ap);
}

static void transport_log(void *ud, int level, const char *msg)
{
    Engine *e = ud;
    engine_log(e, level, "%s", msg);
}

Query *engine_find_query(Engine *e, const char *id)
{
    for (int i = 0; i < e->cat.queries.n; i++) {
        Query *q = e->cat.queries.items[i];
        if (str_ieq(q->id, id))
            return q;
    }
    return NULL;
}

void engine_stop_query(Engine *e, Query *q)
{
    if (q->rt) {
        EddyError err;
        if (q->kind != QUERY_TRANSIENT)
            engine_checkpoint(e, &err);
        runtime_stop(q->rt);
        q->rt = NULL;
    }
    q->state = QSTATE_TERMINATED;
    if (q->sink && q->sink->writer == q)
        q->sink->writer = NULL;
}

void engine_terminate_query(Engine *e, Query *q)
{
    if (q->rt) {
        EddyError err;
        engine_checkpoint(e, &err);
        runtime_drop_state(q->rt);
        runtime_stop(q->rt);
        q->rt = NULL;
    }
    engine_stop_query(e, q);
}

/* ---- properties ---------------------------------------------------------- */

static void pending_set_free(PendingSet *p)
{
    free(p->name);
    free(p->value);
    free(p->text);
}

/* Notes a SET (value) or UNSET (NULL) for the command log; see Engine. */
static void note_set(Engine *e, const char *name, const char *value, const char *text)
{
    if (e->state_dir == NULL)
        return;
    if (e->replaying) {   /* the log's own lines: what it says now */
        if (value)
            strmap_put(e->logged_props, name, arena_strdup(e->cat.arena, value));
        else
            strmap_del(e->logged_props, name);
        return;
    }
    for (int i = 0; i < e->npending_sets; i++)
        if (strcmp(e->pending_sets[i].name, name) == 0) {   /* superseded */
            pending_set_free(&e->pending_sets[i]);
            memmove(&e->pending_sets[i], &e->pending_sets[i + 1],
                    sizeof(PendingSet) * (size_t)(e->npending_sets - i - 1));
            e->npending_sets--;
            break;
        }
    const char *logged = strmap_get(e->logged_props, name);
    if (logged == NULL ? value == NULL : value && strcmp(logged, value) == 0)
        return;
    e->pending_sets = realloc(e->pending_sets, sizeof(PendingSet) * (size_t)(e->npending_sets + 1));
    e->pending_sets[e->npending_sets++] =
        (PendingSet){strdup(name), value ? strdup(value) : NULL, strdup(text)};
}

static int exec_set(Engine *e, const AstStmt *s, EddyError *err)
{
    const char *name = s->u.set.name;
    const char *value = s->u.set.value;
    /* Properties shape the queries created after them (auto.offset.reset
     * decides where a new query starts), so they go to the command log too
     * (before the next logged statement): a query restored from the log
     * sees what it was created under. */
    if (value == NULL) {
        note_set(e, name, NULL, s->text);
        strmap_del(e->cat.props, name);
        return 0;
    }
    /* ksqlDB accepts both spellings of the offset reset. */
    if (strcmp(name, "ksql.streams.auto.offset.reset") == 0)
        name = "auto.offset.reset";
    if (strcmp(name, "ksql.streams.max.task.idle.ms") == 0)
        name = "max.task.idle.ms";
    /* Properties with a fixed set of values: anything else is refused,
     * naming them. */
    static const struct {
        const char *name;
        const char *values[4];
    } choices[] = {
        {"auto.offset.reset", {"earliest", "latest"}},
        {"ksql.logging.processing.topic.auto.create", {"true", "false"}},
        {"ksql.persistence.wrap.single.values", {"true", "false"}},
        {"processing.guarantee", {"at_least_once", "exactly_once_v2", "exactly_once"}},
        {"task.assignment", {"group", "none"}},
    };
    for (size_t i = 0; i < sizeof choices / sizeof choices[0]; i++) {
        if (strcmp(name, choices[i].name) != 0)
            continue;
        int n = 0;
        bool ok = false;
        for (; n < 4 && choices[i].values[n]; n++)
            ok = ok || str_ieq(value, choices[i].values[n]);
        if (ok)
            break;
        StrBuf list;
        sb_init(&list);
        for (int k = 0; k < n; k++)
            sb_printf(&list, "%s'%s'", k == 0 ? "" : k == n - 1 ? " or " : ", ",
                      choices[i].values[k]);
        eddy_error(err, ERR_ANALYSIS, s->pos, "%s must be %s, not '%s'", name, list.data, value);
        sb_free(&list);
        return -1;
    }
    if ((strcmp(name, "num.stream.threads") == 0 ||
         strcmp(name, "ksql.streams.num.stream.threads") == 0) &&
        (atoi(value) < 1 || atoi(value) > 64 || strspn(value, "0123456789") != strlen(value)))
        return eddy_error(err, ERR_ANALYSIS, s->pos,
                          "%s must be a number of threads from 1 to 64, not '%s'", name, value);
    static const char *const counts[] = {"commit.interval.ms", "snapshot.interval.ms",
                                         "snapshot.retention.ms", "snapshot.retention.count",
                                         "max.task.idle.ms", "num.standby.replicas"};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        char *end;
        long long v = strtoll(value, &end, 10);
        long long min = strcmp(name, "max.task.idle.ms") == 0 ? -1 : 0;   /* -1: never idle */
        if (strcmp(name, counts[i]) == 0 && (*end || end == value || v < min))
            return eddy_error(err, ERR_ANALYSIS, s->pos, "%s must be a number%s, not '%s'", name,
                              strstr(name, ".ms") ? " of milliseconds" : "", value);
    }
    note_set(e, name, value, s->text);
    strmap_put(e->cat.props, name, arena_strdup(e->cat.arena, value));
    char buf[600];
    snprintf(buf, sizeof buf, "Successfully changed local property '%s' to '%s'.\n", name, value);
    engine_text(e, buf);
    return 0;
}

/* ---- persistence ---------------------------------------------------------- */

static char *log_path(Engine *e)
{
    size_t n = strlen(e->state_dir) + 32;
    char *p = malloc(n);
    snprintf(p, n, "%s/commands.ksql", e->state_dir);
    return p;
}

/* The log is replaced whole, never appended to: its old lines and the
 * new ones go to a temporary file, which is synced and renamed over it
 * (and the directory synced).  So a full disk or a crash leaves the old
 * log or the new one, never a half line, and the pending SETs count as
 * logged only once the rename is done. */
int engine_persist(Engine *e, const char *sql, EddyError *err)
{
    if (e->validating) {   /* checked: what it would log goes to the command topic */
        StrBuf t;
        sb_init(&t);
        for (int i = 0; i < e->npending_sets; i++)
            sb_printf(&t, "%s\n", e->pending_sets[i].text);
        sb_printf(&t, "%s\n", sql);
        free(e->validated_text);
        e->validated_text = t.data;
        return eddy_error(err, ERR_ANALYSIS, (SrcPos){0}, "checked, not run");
    }
    if (e->state_dir == NULL || e->replaying)
        return 0;
    char *path = log_path(e);
    StrBuf text, tmp;
    sb_init(&text);
    sb_init(&tmp);
    FILE *old = fopen(path, "rb");
    if (old) {
        char buf[8192];
        size_t got;
        while ((got = fread(buf, 1, sizeof buf, old)) > 0)
            sb_append(&text, buf, got);
        fclose(old);
        if (text.len > 0 && text.data[text.len - 1] != '\n')
            sb_putc(&text, '\n');
    }
    size_t start = text.len;   /* what this statement adds: it goes to the command topic too */
    for (int i = 0; i < e->npending_sets; i++)
        sb_printf(&text, "%s\n", e->pending_sets[i].text);
    sb_printf(&text, "%s\n", sql);
    sb_printf(&tmp, "%s.tmp", path);
    const char *what = "cannot write";
    FILE *f = fopen(tmp.data, "wb");
    bool ok = f != NULL && fwrite(text.data, 1, text.len, f) == text.len && fflush(f) == 0 &&
              fsync(fileno(f)) == 0;
    if (f && fclose(f) != 0)
        ok = false;
    if (ok && rename(tmp.data, path) != 0) {
        what = "cannot rename to";
        ok = false;
    }
    if (ok) {
        /* Synced, the rename too: a REPLAY is applied only after its line
         * is on disk (replay.c). */
        int dfd = open(e->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ok = dfd >= 0 && fsync(dfd) == 0;
        if (dfd >= 0)
            close(dfd);
        what = "cannot sync the directory of";
    }
    int rc = 0;
    if (!ok) {
        rc = eddy_error(err, ERR_IO, (SrcPos){0}, "%s %s: %s (the statement is not recorded)",
                        what, path, strerror(errno));
        unlink(tmp.data);
    } else {
        for (int i = 0; i < e->npending_sets; i++) {
            PendingSet *p = &e->pending_sets[i];
            if (p->value)
                strmap_put(e->logged_props, p->name, arena_strdup(e->cat.arena, p->value));
            else
                strmap_del(e->logged_props, p->name);
            pending_set_free(p);
        }
        e->npending_sets = 0;
    }
    if (rc == 0 && commands_publish(e, text.data + start, err) != 0) {
        engine_log(e, 1, "the statement ran here but could not be sent to the command topic: %s",
                   err->msg);
        eddy_error_clear(err);
    }
    sb_free(&text);
    sb_free(&tmp);
    free(path);
    return rc;
}

int engine_mkdir_p(const char *dir)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0755);
            *p = '/';
        }
    return mkdir(buf, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

/* ---- create / destroy ------------------------------------------------------ */

Engine *engine_create(const EngineConfig *cfg, EddyError *err)
{
    Engine *e = calloc(1, sizeof *e);
    if (e == NULL)
        EDDY_PANIC("out of memory");
    e->t = cfg->transport;
    e->out = cfg->out;
    e->deterministic = cfg->deterministic;
    e->many_transients = cfg->many_transients;
    e->auto_create_topics = cfg->auto_create_topics;
    e->cat.arena = arena_create(0);
    e->cat.sources = strmap_create();
    e->cat.props = strmap_create();
    e->cat.models = strmap_create();
    e->logged_props = strmap_create();
    e->types = strmap_create();
    e->cat.next_query_num = 1;
    e->last_checkpoint_ms = eddy_mono_ms();
    if (e->t && e->t->log == NULL) {
        e->t->log = transport_log;
        e->t->log_ud = e;
    }
    for (const char *const *p = cfg->props; p && p[0] && p[1]; p += 2)
        strmap_put(e->cat.props, p[0], arena_strdup(e->cat.arena, p[1]));
    size_t cache_max = (size_t)strtoull(catalog_prop(&e->cat, "cache.max.bytes.buffering", "10000000"), NULL, 10);
    e->scratch = statedb_open_memory(cache_max);
    if (cfg->state_dir == NULL)
        e->state = statedb_open_memory(cache_max);
    if (cfg->state_dir) {
        e->state_dir = strdup(cfg->state_dir);
        if (engine_mkdir_p(e->state_dir) != 0) {
            eddy_error(err, ERR_IO, (SrcPos){0}, "cannot create state directory %s: %s",
                       e->state_dir, strerror(errno));
            engine_destroy(e);
            return NULL;
        }
        char dbdir[4200];
        snprintf(dbdir, sizeof dbdir, "%s/rocksdb", e->state_dir);
        char record[4200];
        snprintf(record, sizeof record, "%s/state-checkpoints", e->state_dir);
        e->state = statedb_open_recorded(dbdir, record, cache_max, err);
        if (e->state == NULL || snapshots_load(e, err) != 0) {
            engine_destroy(e);
            return NULL;
        }
        char *path = log_path(e);
        FILE *f = fopen(path, "rb");
        if (f) {
            fclose(f);
            char *text = eddy_read_file(path, err);
            if (text) {
                e->replaying = true;
                int rc = engine_execute(e, text, path, err);
                e->replaying = false;
                free(text);
                /* Queries start once the whole log is read, each after its
                 * unfinished replay, if any, is applied. */
                if (rc == 0)
                    rc = replay_start_queries(e, err);
                if (rc != 0) {
                    char msg[sizeof err->msg];
                    snprintf(msg, sizeof msg, "%s", err->msg);
                    eddy_error(err, ERR_IO, err->pos, "cannot restore the catalog from %s: %s",
                               path, msg);
                    free(path);
                    engine_destroy(e);
                    return NULL;
                }
                models_restore(e);
                engine_log(e, 0, "restored %d streams/tables and %d queries from %s",
                           strmap_count(e->cat.sources), engine_running_queries(e), path);
            }
        }
        free(path);
    }
    return e;
}

void engine_destroy(Engine *e)
{
    if (e == NULL)
        return;
    for (int i = 0; i < e->cat.queries.n; i++) {
        Query *q = e->cat.queries.items[i];
        if (q->rt)
            engine_stop_query(e, q);
    }
    while (e->ntransients > 0)
        transient_free(e, e->ntransients - 1);
    free(e->transients);
    print_stop(e);
    commands_close(e);
    pool_destroy(e->pool);
    replay_state_free(e);
    if (e->state)
        statedb_close(e->state);
    if (e->scratch)
        statedb_close(e->scratch);
    models_free(e);
    strmap_destroy(e->cat.sources);
    strmap_destroy(e->cat.props);
    strmap_destroy(e->cat.models);
    strmap_destroy(e->logged_props);
    strmap_destroy(e->types);
    engine_vars_free(e->vars);
    for (int i = 0; i < e->npending_sets; i++)
        pending_set_free(&e->pending_sets[i]);
    free(e->pending_sets);
    arena_destroy(e->cat.arena);
    free(e->state_dir);
    free(e->origin_dir);
    free(e);
}

/* ---- statements ------------------------------------------------------------- */

/* Same statement text, ignoring whitespace runs and case outside quotes? No:
 * exact text modulo whitespace, which is what a re-run of a file gives. */
static bool same_sql(const char *a, const char *b)
{
    for (;;) {
        while (*a == ' ' || *a == '\t' || *a == '\n' || *a == '\r')
            a++;
        while (*b == ' ' || *b == '\t' || *b == '\n' || *b == '\r')
            b++;
        if (*a != *b)
            return false;
        if (*a == '\0')
            return true;
        a++;
        b++;
    }
}

/* A restarted `eddy run` gives the statements that built the catalog again
 * (a query's definition before an in-place upgrade included). */
static bool already_done(Engine *e, const AstStmt *s)
{
    if (s->kind == STMT_CREATE_SOURCE || s->kind == STMT_CREATE_AS) {
        CatSource *src = catalog_find(&e->cat, s->u.create.name.name);
        if (src && same_sql(src->sql, s->text))
            return true;
        const ReplayState *st = replay_state(e);
        for (int i = 0; src && i < st->nsuperseded; i++)
            if (strcmp(st->superseded[i].name, src->name) == 0 && same_sql(st->superseded[i].sql, s->text))
                return true;
        return false;
    }
    if (s->kind == STMT_INSERT_SELECT) {
        for (int i = 0; i < e->cat.queries.n; i++) {
            Query *q = e->cat.queries.items[i];
            if (q->kind == QUERY_INSERT && q->state == QSTATE_RUNNING && same_sql(q->sql, s->text))
                return true;
        }
    }
    return false;
}

static int exec_run_script(Engine *e, const AstStmt *s, EddyError *err)
{
    if (e->script_depth >= 8)
        return eddy_error(err, ERR_ANALYSIS, s->pos, "RUN SCRIPT nested too deeply");
    char *text = eddy_read_file(s->u.run_script.path, err);
    if (text == NULL) {
        err->pos = s->pos;
        return -1;
    }
    e->script_depth++;
    EddyError inner;
    eddy_error_clear(&inner);
    int rc = engine_execute(e, text, s->u.run_script.path, &inner);
    e->script_depth--;
    if (rc != 0) {
        char buf[1024];
        eddy_error_format(&inner, text, buf, sizeof buf);
        eddy_error(err, inner.kind, s->pos, "in %s: %s", s->u.run_script.path, buf);
    }
    free(text);
    return rc;
}

static int exec_one(Engine *e, const AstStmt *s, EddyError *err)
{
    if (commands_routed(e, s))
        return commands_run(e, s, exec_one, err);
    if (!e->replaying && already_done(e, s)) {
        /* Named in one line, not the statement's (multi-line) text. */
        bool insert = s->kind == STMT_INSERT_SELECT;
        const char *what = insert ? "INSERT INTO"
                           : s->u.create.is_table ? "CREATE TABLE" : "CREATE STREAM";
        const char *name = insert ? s->u.insert.target.name : s->u.create.name.name;
        const char *tail = insert ? " SELECT" : s->kind == STMT_CREATE_AS ? " AS SELECT" : "";
        engine_log(e, 0, "skipped %s %s%s: already in the catalog", what, name, tail);
        return 0;
    }
    switch (s->kind) {
    case STMT_CREATE_SOURCE: return exec_create_source(e, s, err);
    case STMT_CREATE_AS: return exec_create_as(e, s, err);
    case STMT_INSERT_SELECT: return exec_insert_select(e, s, err);
    case STMT_INSERT_VALUES: return exec_insert_values(e, s, err);
    case STMT_SELECT: return exec_select(e, s, err);
    case STMT_DROP: return exec_drop(e, s, err);
    case STMT_ALTER: return exec_alter(e, s, err);
    case STMT_TERMINATE: return exec_terminate(e, s, err);
    case STMT_SHOW: return exec_show(e, s, err);
    case STMT_DESCRIBE: return exec_describe(e, s, err);
    case STMT_EXPLAIN: return exec_explain(e, s, err);
    case STMT_PRINT: return exec_print(e, s, err);
    case STMT_SET:
    case STMT_UNSET: return exec_set(e, s, err);
    case STMT_RUN_SCRIPT: return exec_run_script(e, s, err);
    case STMT_CHECKPOINT:
        if (engine_checkpoint(e, err) != 0)
            return -1;
        engine_text(e, "Checkpoint taken: output flushed and offsets committed.\n");
        return 0;
    case STMT_CREATE_MODEL: return exec_create_model(e, s, err);
    case STMT_DROP_MODEL: return exec_drop_model(e, s, err);
    case STMT_REPLAY: return exec_replay(e, s, err);
    case STMT_CREATE_SNAPSHOT: return exec_create_snapshot(e, s, err);
    case STMT_DROP_SNAPSHOT: return exec_drop_snapshot(e, s, err);
    case STMT_CREATE_TYPE: return exec_create_type(e, s, err);
    case STMT_DEFINE:
    case STMT_UNDEFINE: return exec_define(e, s, err);
    case STMT__COUNT:
        break;
    }
    EDDY_PANIC("bad statement kind %d", (int)s->kind);
}

int engine_execute(Engine *e, const char *text, const char *origin, EddyError *err)
{
    Arena *a = arena_create(0);
    PtrVec stmts = {0};
    eddy_error_clear(err);
    if (parse_script_vars(text, a, &stmts, engine_type_lookup, e,
                          engine_vars_enabled(e) ? engine_var_lookup : NULL, e, err) != 0) {
        arena_destroy(a);
        return -1;
    }
    /* Paths in the text (CREATE MODEL ... FROM 'path') start from its
     * file's folder; "repl", "stdin" and the like name no folder: ".". */
    char *outer_dir = e->origin_dir;
    const char *slash = origin ? strrchr(origin, '/') : NULL;
    e->origin_dir = slash == NULL ? strdup(".")
                  : slash == origin ? strdup("/") : strndup(origin, (size_t)(slash - origin));
    int rc = 0;
    for (int i = 0; i < stmts.n && rc == 0; i++) {
        const AstStmt *s = stmts.items[i];
        rc = exec_one(e, s, err);
        if (rc != 0 && err->pos.line == 0)
            err->pos = s->pos;
    }
    free(e->origin_dir);
    e->origin_dir = outer_dir;
    arena_destroy(a);
    return rc;
}

/* ---- running ------------------------------------------------------------------ */

int engine_running_queries(Engine *e)
{
    int n = 0;
    for (int i = 0; i < e->cat.queries.n; i++)
        n += ((Query *)e->cat.queries.items[i])->rt != NULL;
    return n;
}

int transient_find(Engine *e, const char *id)
{
    for (int i = 0; i < e->ntransients; i++)
        if (str_ieq(e->transients[i].q->id, id))
            return i;
    return -1;
}

/* Its scratch stores go with it: ids never repeat, so nothing would read
 * them again, and a server running push query after push query would
 * otherwise keep every one's state. */
void transient_free(Engine *e, int i)
{
    if (i < 0 || i >= e->ntransients)
        return;
    Transient t = e->transients[i];
    memmove(&e->transients[i], &e->transients[i + 1],
            sizeof(Transient) * (size_t)(e->ntransients - i - 1));
    e->ntransients--;
    if (t.q->rt) {
        runtime_drop_state(t.q->rt);
        engine_stop_query(e, t.q);
    }
    arena_destroy(t.arena);
}

bool engine_has_transient(Engine *e)
{
    return e->ntransients > 0 || e->print;
}

void engine_cancel_transient(Engine *e)
{
    while (e->ntransients > 0)
        transient_free(e, e->ntransients - 1);
    print_stop(e);
}

int engine_transient_count(Engine *e)
{
    return e->ntransients;
}

const char *engine_transient_id(Engine *e, int i)
{
    return i >= 0 && i < e->ntransients ? e->transients[i].q->id : NULL;
}

bool engine_transient_running(Engine *e, const char *id)
{
    return transient_find(e, id) >= 0;
}

int engine_cancel_query(Engine *e, const char *id)
{
    int i = transient_find(e, id);
    if (i < 0)
        return -1;
    transient_free(e, i);
    return 0;
}

/* The checkpoint of DESIGN.md section 3: (1) operators flushed and every
 * output delivered; (2) dirty state and each query's next offsets in one
 * synced RocksDB WriteBatch; (3) the same offsets committed to Kafka, for
 * monitoring only: the RocksDB copy is the truth on restart. */
static int checkpoint_store(Engine *e, int64_t start_us, EddyError *err);

/* Checkpoint durations are too short for ms. */
static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int engine_checkpoint(Engine *e, EddyError *err)
{
    int64_t start_us = mono_us();
    /* After a flush that timed out (the broker away), the next ones (each
     * query's stop at exit) wait only a moment: no 60 s more per query. */
    int rc = e->t->ops->flush(e->t, e->flush_timed_out ? 1000 : 60000, err);
    e->flush_timed_out = rc == -2;
    if (rc != 0)
        return -1;
    e->delivering = e->delivering_logged = false;
    return checkpoint_store(e, start_us, err);
}

/* EDDY_TEST_CHECKPOINT_PAUSE_MS (tests only): each checkpoint stops that
 * long, saying so, once its output is delivered and before its state is
 * written, and again after, so a test can kill the process in the middle
 * of one (tests/integration/crash/test_crash_threads.sh). */
static void test_pause(Engine *e, const char *where)
{
    static int pause_ms = -1;
    if (pause_ms < 0) {
        const char *v = getenv("EDDY_TEST_CHECKPOINT_PAUSE_MS");
        pause_ms = v ? atoi(v) : 0;
    }
    if (pause_ms <= 0)
        return;
    engine_log(e, 0, "checkpoint paused %s (EDDY_TEST_CHECKPOINT_PAUSE_MS)", where);
    struct timespec ts = {pause_ms / 1000, (pause_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The changelog q's other tasks are caught up from (standbys, pull
 * queries), or NULL: a running query, not rewinding after a failed
 * transaction, whose state the database accepted. */
static Changelog *catch_up_changelog(Engine *e, Query *q)
{
    return q->rt && !q->rewind && e->state && !statedb_scope_refused(e->state, q->id)
               ? runtime_changelog(q->rt)
               : NULL;
}

/* num.standby.replicas > 0 (engine/README.md, "Scale-out"): at most once
 * a second, while no state is dirty (right after a checkpoint, or idle:
 * the catch-up's own checkpoint writes every dirty entry), each member
 * applies the changelog written for the tasks it does not own, so a
 * takeover reads only what is left.  A failure is logged: the takeover
 * then reads more, nothing is lost. */
static void keep_standbys(Engine *e)
{
    if (e->state == NULL || e->delivering || e->revoking || !engine_standbys(e) ||
        statedb_cache_bytes(e->state) != 0)
        return;
    int64_t now = eddy_mono_ms();
    if (now - e->last_standby_ms < 1000)
        return;
    e->last_standby_ms = now;
    for (int i = 0; i < e->cat.queries.n; i++) {
        Query *q = e->cat.queries.items[i];
        Changelog *cl = catch_up_changelog(e, q);
        EddyError err;
        if (cl && changelog_catch_up(cl, e->state, &err) < 0)
            engine_log(e, 1, "query %s: %s", q->id, err.msg);
    }
}

int engine_pull_catch_up(Engine *e, Query *q, EddyError *err)
{
    const int *owned;
    Changelog *cl = q->rt && runtime_owned(q->rt, &owned) >= 0 ? catch_up_changelog(e, q) : NULL;
    if (cl == NULL || e->delivering || e->revoking)
        return 0;
    int64_t now = eddy_mono_ms();
    if (q->pull_caught_up_ms && now - q->pull_caught_up_ms < PULL_CATCH_UP_MS)
        return 0;
    /* The catch-up's own checkpoint writes every dirty entry: state moved
     * since the last checkpoint is checkpointed first, offsets and all. */
    if (statedb_cache_bytes(e->state) != 0 && engine_checkpoint(e, err) != 0)
        return -1;
    if (changelog_catch_up(cl, e->state, err) < 0)
        return -1;
    q->pull_caught_up_ms = eddy_mono_ms();
    return 0;
}

/* Steps (2) and (3), once the output is delivered (the last wait for it
 * began at start_us: the checkpoint's duration counts from there).  A
 * query with a changelog writes it first (changelog.h); its positions go
 * into the same batch as the state, under the changelog's own scope. */
static int checkpoint_store(Engine *e, int64_t start_us, EddyError *err)
{
    test_pause(e, "before the state write");
    const char **scopes = NULL;
    TopicPartitionOffset *offs = NULL;
    int k = 0, cap = 0;
    bool logged = false;
    for (int i = 0; i < e->cat.queries.n; i++) {
        Query *q = e->cat.queries.items[i];
        const TopicPartitionOffset *o = NULL, *pos = NULL;
        /* A query whose state was refused (replay.c) is not run: its
         * offsets must not make that state look checkpointed. */
        /* A query whose transactions failed (exactly-once) is left out
         * until it restarts from its last committed checkpoint. */
        bool live = q->rt && !statedb_scope_refused(e->state, q->id) && !q->rewind;
        int m = live ? runtime_offsets(q->rt, &o) : 0;
        int npos = 0;
        Changelog *cl = live ? runtime_changelog(q->rt) : NULL;
        int wrote = cl ? changelog_write(cl, e->state, runtime_total_tasks(q->rt), o, m, &pos, &npos,
                                         err)
                       : 0;
        if (wrote >= 0 && live && runtime_txn(q->rt)) {
            /* Exactly-once: output, changelog entries, checkpoint records
             * and input offsets commit per task; the local write follows.
             * A failed transaction leaves this query out of the local
             * write: it restarts from its last committed checkpoint. */
            TxnStatus st = runtime_txn_commit(q->rt, err);
            if (st != TXN_OK) {
                engine_log(e, 2, "query %s: exactly-once transaction failed, %s: it restarts "
                                 "from its last committed checkpoint", q->id, err->msg);
                eddy_error_clear(err);
                q->rewind = true;
                m = npos = 0;
            }
        }
        if (wrote < 0) {
            free(scopes);
            free(offs);
            return -1;
        }
        logged = logged || wrote > 0;
        if (k + m + npos > cap) {
            cap = (k + m + npos) * 2 + 16;
            scopes = realloc(scopes, sizeof *scopes * (size_t)cap);
            offs = realloc(offs, sizeof *offs * (size_t)cap);
            if (scopes == NULL || offs == NULL)
                EDDY_PANIC("out of memory");
        }
        for (int j = 0; j < m; j++) {
            scopes[k] = q->id;
            offs[k++] = o[j];
        }
        for (int j = 0; j < npos; j++) {
            scopes[k] = changelog_scope(cl);
            offs[k++] = pos[j];
        }
    }
    /* The queries this checkpoint moves on (processed records since the
     * last): the ones it counts for (Query.checkpoints). */
    bool *moved = calloc((size_t)e->cat.queries.n + 1, sizeof *moved);
    for (int i = 0; i < e->cat.queries.n; i++) {
        Query *q = e->cat.queries.items[i];
        moved[i] = q->rt && !statedb_scope_refused(e->state, q->id) && runtime_dirty(q->rt);
    }
    if (logged)
        test_pause(e, "after the changelog write");
    int rc = statedb_checkpoint(e->state, scopes, offs, k, err);
    free(scopes);
    free(offs);
    if (rc != 0) {
        free(moved);
        return -1;
    }
    test_pause(e, "after the state write");
    for (int i = 0; i < e->cat.queries.n; i++) {
        Query *q = e->cat.queries.items[i];
        if (q->rt && !q->rewind && runtime_commit(q->rt, err) != 0)
            engine_log(e, 1, "query %s: committing offsets to Kafka failed (state is safe): %s",
                       q->id, err->msg);
    }
    int64_t took = mono_us() - start_us;
    for (int i = 0; i < e->cat.queries.n; i++) {
        Query *q = e->cat.queries.items[i];
        if (moved[i]) {
            q->checkpoints++;
            q->checkpoint_us_total += took;
            q->checkpoint_us_last = took;
        }
    }
    free(moved);
    e->last_checkpoint_ms = eddy_mono_ms();
    keep_standbys(e);
    return 0;
}

static void query_failed(Engine *e, Query *q, EddyError *err);

static int poll_query(Engine *e, Query *q, int timeout_ms, EddyError *err)
{
    /* State that does not match the catalog is never run (a REPLAY given
     * before the first poll may have rebuilt it). */
    int n = statedb_scope_refused(e->state, q->id) ? statedb_check_scope(e->state, q->id, err)
                                                    : 0;
    if (n == 0)
        n = runtime_poll(q->rt, timeout_ms, err);
    if (n < 0) {
        query_failed(e, q, err);
        return 0;
    }
    return n;
}

/* The periodic checkpoint waits for its output in steps of at most
 * wait_ms: while the broker is away the records stay queued in the
 * producer (they fail only after its message.timeout.ms), and the loop
 * goes on answering (progress, SHOW QUERIES) instead of blocking in one
 * long flush that would fail the run.  Until they are delivered the
 * queries are not polled, so neither state nor output runs further ahead
 * of what the next checkpoint stores.  A record that failed is fatal. */
static int checkpoint_step(Engine *e, int wait_ms, EddyError *err)
{
    int64_t start_us = mono_us();
    int rc = e->t->ops->flush(e->t, wait_ms, err);
    int64_t now = eddy_mono_ms();
    if (rc == -2) {
        e->delivering_since_ms = e->delivering ? e->delivering_since_ms : now;
        e->delivering = true;
        /* A busy moment is no news: say so after a second. */
        if (!e->delivering_logged && now - e->delivering_since_ms >= 1000) {
            engine_log(e, 1, "checkpoint waits for output to be delivered (%s); queries paused",
                       err->msg);
            e->delivering_logged = true;
        }
        eddy_error_clear(err);
        return 0;
    }
    if (rc != 0)
        return -1;
    if (e->delivering_logged)
        engine_log(e, 0, "output delivered after %.1f s; checkpoint taken, queries resume",
                   (double)(now - e->delivering_since_ms) / 1000.0);
    e->delivering = e->delivering_logged = false;
    return checkpoint_store(e, start_us, err);
}

/* A query that took no record for this long while its input has some
 * left is reported stalled (a log line; STALLED in SHOW QUERIES and the
 * progress lines). */
#define STALL_REPORT_MS 10000

static void stall_reports(Engine *e, int64_t now)
{
    for (int i = 0; i < e->cat.queries.n; i++) {
        Query *q = e->cat.queries.items[i];
        int64_t lag, idle;
        if (q->rt == NULL)
            continue;
        int change = runtime_stall_check(q->rt, now, STALL_REPORT_MS, &lag, &idle);
        char left[64];
        snprintf(left, sizeof left, lag < 0 ? "its input's end not known" : "%lld records to read",
                 (long long)lag);
        if (change > 0)
            engine_log(e, 1, "query %s: stalled: %s and none taken for %lld s%s", q->id, left,
                       (long long)(idle / 1000),
                       e->delivering ? " (its output waits for the broker)" : "");
        else if (change < 0)
            engine_log(e, 0, "query %s: resumed after %lld s without progress", q->id,
                       (long long)(idle / 1000));
    }
}

/* Output waiting in the producer beyond which the queries pause for a
 * checkpoint: far below the producer's queue (1,000,000 records), whose
 * filling up would block produce, and with it the loop, while the broker
 * is away. */
#define PENDING_PAUSE 100000

bool engine_standbys(Engine *e)
{
    return strtoll(catalog_prop(&e->cat, "num.standby.replicas", "0"), NULL, 10) > 0;
}

int engine_workers(Engine *e, const Query *q)
{
    if (e->deterministic || e->t->ops->consumer_open_task == NULL)
        return 1;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    char dflt[32];
    snprintf(dflt, sizeof dflt, "%ld", cores > 0 ? cores : 1);
    const char *v = query_prop(&e->cat, q, "num.stream.threads",
                               query_prop(&e->cat, q, "ksql.streams.num.stream.threads", dflt));
    long n = strtol(v, NULL, 10);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

/* A query whose task failed stops, with the first task's error. */
static void query_failed(Engine *e, Query *q, EddyError *err)
{
    engine_log(e, 2, "query %s failed and was stopped: %s", q->id, err->msg);
    engine_stop_query(e, q);
    q->state = QSTATE_ERROR;
    eddy_error_clear(err);
}

/* The persistent queries' tasks on the worker threads, in rounds (pool.c):
 * first without waiting, so a busy task is not held up by an idle one on
 * another worker; if no task had anything, once more with each worker's
 * share of the timeout.  A query with refused state is not polled there
 * (poll_query reports it). */
#define ROUND_BUDGET_MS 50

/* The drains that end a round for queries whose groups are spread over
 * their tasks (runtime_exchanges): each task on its worker, after every
 * task's polls.  A query with a failed task is not drained (it stops); a
 * failed drain fails its job. */
static void drain_round(Engine *e, PoolJob *jobs, int k)
{
    PoolJob *d = calloc((size_t)k + 1, sizeof *d);
    int *from = calloc((size_t)k + 1, sizeof *from);
    if (d == NULL || from == NULL)
        EDDY_PANIC("out of memory");
    int nd = 0;
    for (int j = 0; j < k; j++) {
        if (!runtime_exchanges(jobs[j].rt))
            continue;
        bool failed = false;
        for (int m = 0; m < k; m++)
            failed = failed || (jobs[m].rt == jobs[j].rt && jobs[m].result < 0);
        if (failed)
            continue;
        d[nd] = jobs[j];
        d[nd].drain = true;
        from[nd++] = j;
    }
    if (nd > 0)
        pool_run(e->pool, d, nd, 0);
    for (int i = 0; i < nd; i++)
        if (d[i].result < 0) {
            jobs[from[i]].result = -1;
            jobs[from[i]].err = d[i].err;
        }
    free(d);
    free(from);
}

static int poll_tasks(Engine *e, int timeout_ms, EddyError *err)
{
    int njobs = 0, workers = 1, total = 0;
    for (int i = 0; i < e->cat.queries.n; i++) {
        Query *q = e->cat.queries.items[i];
        if (q->rt && !statedb_scope_refused(e->state, q->id))
            njobs += runtime_ntasks(q->rt);
    }
    PoolJob *jobs = calloc((size_t)njobs + 1, sizeof *jobs);
    int per[64] = {0};   /* jobs per worker (engine_workers: at most 64) */
    if (jobs == NULL)
        EDDY_PANIC("out of memory");
    int k = 0;
    for (int i = 0; i < e->cat.queries.n; i++) {
        Query *q = e->cat.queries.items[i];
        if (q->rt == NULL)
            continue;
        if (statedb_scope_refused(e->state, q->id)) {
            total += poll_query(e, q, 0, err);
            continue;
        }
        for (int t = 0; t < runtime_ntasks(q->rt); t++) {
            int w = runtime_task_worker(q->rt, t);
            jobs[k++] = (PoolJob){.rt = q->rt, .task = t, .worker = w};
            per[w]++;
            workers = w + 1 > workers ? w + 1 : workers;
        }
    }
    if (e->pool && pool_workers(e->pool) < workers) {
        pool_destroy(e->pool);
        e->pool = NULL;
    }
    if (e->pool == NULL)
        e->pool = pool_create(workers);
    for (int pass = 0; pass < 2 && k > 0; pass++) {
        for (int j = 0; j < k; j++)
            jobs[j].timeout_ms = pass == 0 ? 0 : timeout_ms / per[jobs[j].worker];
        pool_run(e->pool, jobs, k, ROUND_BUDGET_MS);
        drain_round(e, jobs, k);
        int got = 0;
        for (int j = 0; j < k; j++) {
            if (j == 0 || jobs[j].rt != jobs[j - 1].rt)
                runtime_round_end(jobs[j].rt);
            got += jobs[j].result > 0 ? jobs[j].result : 0;
        }
        /* Failures after the round: a query stops once, with its first
         * error; its jobs leave the list before its runtime is freed. */
        for (int j = 0; j < k; j++) {
            QueryRuntime *failed = jobs[j].rt;
            if (failed == NULL || jobs[j].result >= 0)
                continue;
            *err = jobs[j].err;
            for (int m = j; m < k; m++)
                if (jobs[m].rt == failed)
                    jobs[m].rt = NULL;
            for (int i = 0; i < e->cat.queries.n; i++) {
                Query *q = e->cat.queries.items[i];
                if (q->rt == failed) {
                    query_failed(e, q, err);
                    break;
                }
            }
        }
        int live = 0;
        for (int j = 0; j < k; j++)
            if (jobs[j].rt)
                jobs[live++] = jobs[j];
        k = live;
        total += got;
        if (got > 0 || timeout_ms <= 0)
            break;
    }
    free(jobs);
    return total;
}

/* Are the queries split into tasks on more than one worker? */
static bool any_threaded(Engine *e)
{
    for (int i = 0; i < e->cat.queries.n; i++) {
        Query *q = e->cat.queries.items[i];
        if (q->rt)
            for (int t = 0; t < runtime_ntasks(q->rt); t++)
                if (runtime_task_worker(q->rt, t) > 0)
                    return true;
    }
    return false;
}

int engine_poll(Engine *e, int timeout_ms, EddyError *err)
{
    int total = 0, nq = engine_running_queries(e) + e->ntransients + (e->print != NULL);
    int per = nq > 0 ? timeout_ms / nq : 0;
    bool backlog = e->t->ops->pending && e->t->ops->pending(e->t) > PENDING_PAUSE;
    if ((e->delivering || backlog) && checkpoint_step(e, timeout_ms, err) != 0)
        return -1;
    if (!e->delivering) {
        replay_rewind(e, err);
        replay_reassign(e, err);
    }
    if (!e->delivering && any_threaded(e))
        total += poll_tasks(e, per * engine_running_queries(e), err);
    else
        for (int i = 0; i < e->cat.queries.n && !e->delivering; i++) {
            Query *q = e->cat.queries.items[i];
            if (q->rt)
                total += poll_query(e, q, per, err);
        }
    /* The transient queries run on this thread, one task each (exec_select
     * starts them with one worker): a client's push query is small next to
     * the persistent ones, and its rows go out through this thread's
     * EngineOutput.  One that failed or reached its LIMIT is freed here. */
    for (int i = 0; i < e->ntransients;) {
        Query *q = e->transients[i].q;
        total += poll_query(e, q, per, err);
        if (q->rt == NULL || runtime_done(q->rt))
            transient_free(e, i);
        else
            i++;
    }
    total += print_poll(e, per, err);
    if (commands_poll(e, err) < 0) {
        engine_log(e, 1, "command topic: %s", err->msg);   /* the queries go on */
        eddy_error_clear(err);
    }
    e->t->ops->poll(e->t);
    int64_t now = eddy_mono_ms();
    bool due = false;
    for (int i = 0; i < e->cat.queries.n && !due; i++) {
        Query *q = e->cat.queries.items[i];
        due = q->rt && runtime_commit_due(q->rt, now);
    }
    /* A full write-back cache also forces a checkpoint: writing dirty state
     * to RocksDB between checkpoints would let state run ahead of offsets. */
    if (!e->delivering && (due || statedb_cache_full(e->state)) &&
        checkpoint_step(e, timeout_ms, err) != 0)
        return -1;
    keep_standbys(e);
    stall_reports(e, now);
    snapshots_tick(e);
    if (nq == 0 && timeout_ms > 0) {
        struct timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    return total;
}

bool engine_caught_up(Engine *e)
{
    for (int i = 0; i < e->cat.queries.n; i++) {
        Query *q = e->cat.queries.items[i];
        if (q->rt && !runtime_at_end(q->rt))
            return false;
    }
    for (int i = 0; i < e->ntransients; i++)
        if (e->transients[i].q->rt && !runtime_at_end(e->transients[i].q->rt))
            return false;
    return print_at_end(e);
}

void engine_stats(Engine *e, EngineStats *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < e->cat.queries.n; i++) {
        Query *q = e->cat.queries.items[i];
        out->records_in += q->records_in;
        out->records_out += q->records_out;
        out->records_skipped += q->records_skipped;
        out->eval_errors += q->eval_errors;
        out->records_late += q->records_late;
        out->queries_failed += q->state == QSTATE_ERROR;
    }
}

int engine_query_progress(Engine *e, EngineQueryProgress *out, int max)
{
    int n = 0;
    for (int i = 0; i < e->cat.queries.n; i++) {
        Query *q = e->cat.queries.items[i];
        if (q->rt == NULL)
            continue;
        if (n < max) {
            out[n] = (EngineQueryProgress){.id = q->id, .records_in = q->records_in,
                                           .records_out = q->records_out,
                                           .records_skipped = q->records_skipped,
                                           .eval_errors = q->eval_errors,
                                           .records_late = q->records_late,
                                           .checkpoints = q->checkpoints,
                                           .checkpoint_us_total = q->checkpoint_us_total,
                                           .checkpoint_us_last = q->checkpoint_us_last,
                                           .state_bytes = runtime_state_bytes(q->rt),
                                           .lag = runtime_lag(q->rt),
                                           .stalled = runtime_stalled(q->rt)};
            if (!replay_progress(e, q, &out[n].replay_done, &out[n].replay_total))
                out[n].replay_done = out[n].replay_total = 0;
        }
        n++;
    }
    return n;
}

int engine_query_partition_lags(Engine *e, const char *query_id, EnginePartitionLag *out,
                                int max)
{
    for (int i = 0; i < e->cat.queries.n; i++) {
        Query *q = e->cat.queries.items[i];
        if (q->rt && strcmp(q->id, query_id) == 0)
            return runtime_partition_lags(q->rt, out, max);
    }
    return -1;
}

int engine_names(Engine *e, const char ***names)
{
    static const char **buf;
    static int cap;
    int n = 0;
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(e->cat.sources, &it, &k, &v)) {
        CatSource *s = v;
        int need = n + 1 + s->schema->ncols;
        if (need > cap) {
            cap = need * 2;
            buf = realloc(buf, sizeof(char *) * (size_t)cap);
        }
        buf[n++] = s->name;
        for (int i = 0; i < s->schema->ncols; i++)
            buf[n++] = s->schema->cols[i].name;
    }
    for (it = 0; strmap_next(e->cat.models, &it, &k, &v);) {   /* models, for PREDICT(m, ...) */
        if (n + 1 > cap) {
            cap = (n + 1) * 2;
            buf = realloc(buf, sizeof(char *) * (size_t)cap);
        }
        if (!((CatModel *)v)->dropped)
            buf[n++] = k;
    }
    *names = buf;
    return n;
}
