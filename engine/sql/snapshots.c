/*
 * snapshots.c - CREATE SNAPSHOT, DROP SNAPSHOT, SHOW SNAPSHOTS, automatic
 * snapshots and their retention; the offsets sets REPLAY shares.
 *
 * Layout (a state directory): <state.dir>/snapshots/<name>/db is the
 * RocksDB checkpoint (statedb_snapshot, hard links), taken right after an
 * engine checkpoint, so it holds every query's stores and offsets at one
 * consistent point; <state.dir>/snapshots/<name>/eddy-snapshot.json is the
 * manifest (name, time, automatic or not, FOR QUERY label, the queries it
 * is for with their offsets).  The manifest is written last (a temporary
 * file, fsync, rename): a directory without one is a snapshot a crash cut
 * short, removed at the next start.  A drop removes the manifest first.
 * Without a state directory (eddy test) snapshots are the memory twin's
 * copies and the manifests live only in memory.
 *
 * Retention (snapshot.retention.count, snapshot.retention.ms) applies to
 * automatic snapshots only: a named one is kept until DROP SNAPSHOT.  A
 * snapshot an unfinished replay still needs is never dropped.
 */
#include "replay.h"
#include "eddy/engine/runtime.h"
#include "eddy/store.h"
#include "table_fmt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MANIFEST "eddy-snapshot.json"
#define NAME_MAX_LEN 100

/* ---- offset sets --------------------------------------------------------- */

void offs_free(OffsetSet *s)
{
    for (int i = 0; i < s->n; i++)
        free((char *)s->v[i].topic);
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

TopicPartitionOffset *offs_find(const OffsetSet *s, const char *topic, int32_t partition)
{
    for (int i = 0; i < s->n; i++)
        if (s->v[i].partition == partition && strcmp(s->v[i].topic, topic) == 0)
            return &s->v[i];
    return NULL;
}

static int cmp_tpo(const void *a, const void *b)
{
    const TopicPartitionOffset *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

void offs_put(OffsetSet *s, const char *topic, int32_t partition, int64_t offset)
{
    TopicPartitionOffset *o = offs_find(s, topic, partition);
    if (o) {
        o->offset = offset;
        return;
    }
    s->v = realloc(s->v, sizeof *s->v * (size_t)(s->n + 1));
    char *t = strdup(topic);
    if (s->v == NULL || t == NULL)
        EDDY_PANIC("out of memory");
    s->v[s->n++] = (TopicPartitionOffset){t, partition, offset};
    qsort(s->v, (size_t)s->n, sizeof *s->v, cmp_tpo);
}

void offs_copy(OffsetSet *dst, const TopicPartitionOffset *v, int n)
{
    for (int i = 0; i < n; i++)
        offs_put(dst, v[i].topic, v[i].partition, v[i].offset);
}

void offs_text(const OffsetSet *s, StrBuf *out)
{
    for (int i = 0; i < s->n; i++)
        sb_printf(out, "%s%s[%d]@%lld", i ? " " : "", s->v[i].topic, s->v[i].partition,
                  (long long)s->v[i].offset);
    if (s->n == 0)
        sb_puts(out, "its start (nothing read yet)");
}

void offs_serial(const OffsetSet *s, StrBuf *out)
{
    for (int i = 0; i < s->n; i++)
        sb_printf(out, "%s%s:%d:%lld", i ? "," : "", s->v[i].topic, s->v[i].partition,
                  (long long)s->v[i].offset);
}

int offs_parse(const char *text, OffsetSet *out)
{
    const char *p = text;
    while (*p) {
        const char *c1 = strchr(p, ':');
        if (c1 == NULL || c1 == p)
            return -1;
        char *end;
        long long part = strtoll(c1 + 1, &end, 10);
        if (*end != ':' || end == c1 + 1 || part < 0 || part > INT32_MAX)
            return -1;
        const char *num = end + 1;
        long long off = strtoll(num, &end, 10);
        if (end == num || (*end != ',' && *end != '\0'))
            return -1;
        char *topic = strndup(p, (size_t)(c1 - p));
        if (topic == NULL)
            EDDY_PANIC("out of memory");
        offs_put(out, topic, (int32_t)part, off);
        free(topic);
        p = *end ? end + 1 : end;
    }
    return 0;
}

/* ---- the list ------------------------------------------------------------- */

ReplayState *replay_state(Engine *e)
{
    if (e->replay == NULL) {
        e->replay = calloc(1, sizeof *e->replay);
        if (e->replay == NULL)
            EDDY_PANIC("out of memory");
        e->replay->last_auto_ms = eddy_now_ms();
    }
    return e->replay;
}

static void snapshot_free(Snapshot *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < s->nqueries; i++) {
        free(s->queries[i].id);
        offs_free(&s->queries[i].offs);
    }
    free(s->queries);
    free(s->name);
    free(s->dir);
    free(s->home);
    free(s->for_query);
    free(s);
}

void replay_state_free(Engine *e)
{
    ReplayState *st = e->replay;
    if (st == NULL)
        return;
    for (int i = 0; i < st->nsnaps; i++)
        snapshot_free(st->snaps[i]);
    for (int i = 0; i < st->nreplays; i++)
        replay_discard(st->replays[i]);
    for (int i = 0; i < st->nsuperseded; i++) {
        free(st->superseded[i].name);
        free(st->superseded[i].sql);
    }
    free(st->superseded);
    free(st->snaps);
    free(st->replays);
    free(st->starts);
    free(st);
    e->replay = NULL;
}

Snapshot *snapshot_find(Engine *e, const char *name)
{
    ReplayState *st = replay_state(e);
    for (int i = 0; i < st->nsnaps; i++)
        if (str_ieq(st->snaps[i]->name, name))
            return st->snaps[i];
    return NULL;
}

const char *snapshot_suggest(Engine *e, const char *name)
{
    ReplayState *st = replay_state(e);
    const char *best = NULL;
    int bestd = 3;
    for (int i = 0; i < st->nsnaps; i++) {
        int d = str_edit_distance(name, st->snaps[i]->name);
        if (d < bestd) {
            bestd = d;
            best = st->snaps[i]->name;
        }
    }
    return best;
}

const SnapQuery *snapshot_query(const Snapshot *s, const char *query_id)
{
    for (int i = 0; i < s->nqueries; i++)
        if (str_ieq(s->queries[i].id, query_id))
            return &s->queries[i];
    return NULL;
}

/* Newest last: by time, then by creation order. */
static int cmp_snap(const void *a, const void *b)
{
    const Snapshot *x = *(Snapshot *const *)a, *y = *(Snapshot *const *)b;
    if (x->created_ms != y->created_ms)
        return x->created_ms < y->created_ms ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static void snapshot_add(Engine *e, Snapshot *s)
{
    ReplayState *st = replay_state(e);
    s->seq = st->next_seq++;
    st->snaps = realloc(st->snaps, sizeof *st->snaps * (size_t)(st->nsnaps + 1));
    if (st->snaps == NULL)
        EDDY_PANIC("out of memory");
    st->snaps[st->nsnaps++] = s;
    qsort(st->snaps, (size_t)st->nsnaps, sizeof *st->snaps, cmp_snap);
    if (s->automatic && s->created_ms > st->last_auto_ms)
        st->last_auto_ms = s->created_ms;
}

static void snapshot_remove(Engine *e, Snapshot *s)
{
    ReplayState *st = replay_state(e);
    for (int i = 0; i < st->nsnaps; i++)
        if (st->snaps[i] == s) {
            memmove(&st->snaps[i], &st->snaps[i + 1], sizeof *st->snaps * (size_t)(st->nsnaps - i - 1));
            st->nsnaps--;
            break;
        }
    snapshot_free(s);
}

void snapshot_time_text(const Engine *e, int64_t ms, StrBuf *out)
{
    if (e->deterministic)
        sb_puts(out, "-");
    else
        eddy_format_time(ms, out);
}

/* ---- files ------------------------------------------------------------------ */

static char *path_join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    if (p == NULL)
        EDDY_PANIC("out of memory");
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

static char *snapshots_root(Engine *e)
{
    return path_join(e->state_dir, "snapshots");
}

static void fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

static json_t *offs_json(const OffsetSet *s)
{
    json_t *a = json_array();
    for (int i = 0; i < s->n; i++)
        json_array_append_new(a, json_pack("{s:s, s:i, s:I}", "topic", s->v[i].topic, "partition",
                                           (int)s->v[i].partition, "offset",
                                           (json_int_t)s->v[i].offset));
    return a;
}

static json_t *manifest_json(const Snapshot *s)
{
    json_t *qs = json_array();
    for (int i = 0; i < s->nqueries; i++)
        json_array_append_new(qs, json_pack("{s:s, s:o}", "id", s->queries[i].id, "offsets",
                                            offs_json(&s->queries[i].offs)));
    StrBuf t;
    sb_init(&t);
    eddy_format_time(s->created_ms, &t);
    json_t *m = json_pack("{s:s, s:I, s:s, s:b, s:o, s:o}", "name", s->name, "created_ms",
                          (json_int_t)s->created_ms, "created", t.data, "automatic", s->automatic,
                          "for_query", s->for_query ? json_string(s->for_query) : json_null(),
                          "queries", qs);
    sb_free(&t);
    return m;
}

/* Writes the manifest atomically: temporary file, fsync, rename, fsync of
 * the directory. */
static int manifest_write(const Snapshot *s, EddyError *err)
{
    json_t *m = manifest_json(s);
    char *text = json_dumps(m, JSON_INDENT(2));
    json_decref(m);
    char *tmp = path_join(s->home, MANIFEST ".tmp"), *path = path_join(s->home, MANIFEST);
    int rc = -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    size_t len = strlen(text);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) != 0) {
        eddy_error(err, ERR_IO, (SrcPos){0}, "cannot write %s: %s", tmp, strerror(errno));
    } else if (rename(tmp, path) != 0) {
        eddy_error(err, ERR_IO, (SrcPos){0}, "cannot rename %s: %s", tmp, strerror(errno));
    } else {
        fsync_dir(s->home);
        rc = 0;
    }
    if (fd >= 0)
        close(fd);
    free(text);
    free(tmp);
    free(path);
    return rc;
}

static int offs_from_json(json_t *a, OffsetSet *out)
{
    size_t i;
    json_t *o;
    if (!json_is_array(a))
        return -1;
    json_array_foreach(a, i, o) {
        const char *topic;
        int part;
        json_int_t off;
        if (json_unpack(o, "{s:s, s:i, s:I}", "topic", &topic, "partition", &part, "offset", &off) != 0)
            return -1;
        offs_put(out, topic, part, off);
    }
    return 0;
}

/* The manifest at home, or NULL (with why) when missing or malformed. */
static Snapshot *manifest_read(const char *home, const char *name, char *why, size_t whylen)
{
    char *path = path_join(home, MANIFEST);
    json_error_t jerr;
    json_t *m = json_load_file(path, 0, &jerr);
    free(path);
    if (m == NULL) {
        snprintf(why, whylen, "%s", jerr.text);
        return NULL;
    }
    const char *mname, *for_query = NULL;
    json_int_t created;
    int automatic;
    json_t *queries, *fq = NULL;
    Snapshot *s = NULL;
    if (json_unpack(m, "{s:s, s:I, s:b, s?o, s:o}", "name", &mname, "created_ms", &created,
                    "automatic", &automatic, "for_query", &fq, "queries", &queries) != 0 ||
        strcmp(mname, name) != 0 || !json_is_array(queries)) {
        snprintf(why, whylen, "not an eddy snapshot manifest");
        goto out;
    }
    if (json_is_string(fq))
        for_query = json_string_value(fq);
    s = calloc(1, sizeof *s);
    s->name = strdup(name);
    s->home = strdup(home);
    s->dir = path_join(home, "db");
    s->created_ms = created;
    s->automatic = automatic;
    s->for_query = for_query ? strdup(for_query) : NULL;
    size_t i;
    json_t *q;
    json_array_foreach(queries, i, q) {
        const char *id;
        json_t *offs;
        if (json_unpack(q, "{s:s, s:o}", "id", &id, "offsets", &offs) != 0)
            break;
        s->queries = realloc(s->queries, sizeof *s->queries * (size_t)(s->nqueries + 1));
        SnapQuery *sq = &s->queries[s->nqueries++];
        memset(sq, 0, sizeof *sq);
        sq->id = strdup(id);
        if (offs_from_json(offs, &sq->offs) != 0)
            break;
    }
    if (i < json_array_size(queries)) {
        snprintf(why, whylen, "malformed query entry %zu", i);
        snapshot_free(s);
        s = NULL;
    }
out:
    json_decref(m);
    return s;
}

/* Deletes what a snapshot has on disk (the manifest first, so a drop cut
 * short reads as an unfinished snapshot and is finished at the next start). */
static int snapshot_delete_files(Engine *e, const char *home, const char *dir, EddyError *err)
{
    if (home) {
        char *m = path_join(home, MANIFEST), *tmp = path_join(home, MANIFEST ".tmp");
        unlink(m);
        unlink(tmp);
        free(m);
        free(tmp);
        fsync_dir(home);
    }
    if (statedb_drop_snapshot(e->state, dir, err) != 0)
        return -1;
    if (home && rmdir(home) != 0 && errno != ENOENT)
        return eddy_error(err, ERR_IO, (SrcPos){0}, "cannot remove %s: %s", home, strerror(errno));
    return 0;
}

int snapshots_load(Engine *e, EddyError *err)
{
    replay_state(e);
    if (e->state_dir == NULL)
        return 0;
    char *root = snapshots_root(e);
    DIR *d = opendir(root);
    if (d == NULL) {
        free(root);
        return 0;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char *home = path_join(root, de->d_name);
        char why[200];
        Snapshot *s = manifest_read(home, de->d_name, why, sizeof why);
        if (s) {
            snapshot_add(e, s);
        } else {
            /* A snapshot whose creation (or drop) a crash cut short. */
            char *dir = path_join(home, "db");
            EddyError derr;
            if (snapshot_delete_files(e, home, dir, &derr) == 0)
                engine_log(e, 1, "removed the unfinished snapshot %s (%s)", de->d_name, why);
            else
                engine_log(e, 1, "snapshot %s is unfinished (%s) and cannot be removed: %s",
                           de->d_name, why, derr.msg);
            free(dir);
        }
        free(home);
    }
    closedir(d);
    free(root);
    (void)err;
    return 0;
}

/* ---- taking one ------------------------------------------------------------------ */

static bool valid_name(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len > NAME_MAX_LEN || n[0] == '.' || n[0] == '-')
        return false;
    for (const char *p = n; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-' || *p == '.'))
            return false;
    return true;
}

/* "<prefix>-20240501T120000Z" (the UTC time), or "<prefix>-<n>" in a
 * deterministic engine; "-2", "-3", ... after it if taken. */
static char *new_name(Engine *e, const char *prefix, int64_t now)
{
    char base[64];
    if (e->deterministic) {
        snprintf(base, sizeof base, "%s-%lld", prefix, (long long)replay_state(e)->next_seq + 1);
    } else {
        time_t t = (time_t)(now / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        char ts[32];
        strftime(ts, sizeof ts, "%Y%m%dT%H%M%SZ", &tm);
        snprintf(base, sizeof base, "%s-%s", prefix, ts);
    }
    char name[80];
    snprintf(name, sizeof name, "%s", base);
    for (int i = 2; snapshot_find(e, name); i++)
        snprintf(name, sizeof name, "%s-%d", base, i);
    return strdup(name);
}

/* Takes a snapshot of the state as of the last checkpoint (the caller
 * takes one first) for the queries ids[0..n).  Adds it to the list. */
static Snapshot *snapshot_take(Engine *e, const char *name, bool automatic, const char *for_query,
                               const char *const *ids, int n, EddyError *err)
{
    Snapshot *s = calloc(1, sizeof *s);
    if (s == NULL)
        EDDY_PANIC("out of memory");
    s->name = strdup(name);
    s->automatic = automatic;
    s->for_query = for_query ? strdup(for_query) : NULL;
    s->created_ms = eddy_now_ms();   /* shown as "-" in a deterministic engine */
    if (e->state_dir) {
        char *root = snapshots_root(e);
        mkdir(root, 0755);
        s->home = path_join(root, name);
        free(root);
        if (mkdir(s->home, 0755) != 0) {
            eddy_error(err, ERR_IO, (SrcPos){0}, "cannot create %s: %s", s->home, strerror(errno));
            free(s->home);
            s->home = NULL;   /* not ours: leave it */
            snapshot_free(s);
            return NULL;
        }
        s->dir = path_join(s->home, "db");
    } else {
        s->dir = path_join("snapshots", name);
    }
    StateSnapshotInfo info;
    if (statedb_snapshot(e->state, s->dir, err) != 0 ||
        statedb_snapshot_info(e->state, s->dir, &info, err) != 0)
        goto fail;
    for (int i = 0; i < n; i++) {
        s->queries = realloc(s->queries, sizeof *s->queries * (size_t)(s->nqueries + 1));
        SnapQuery *sq = &s->queries[s->nqueries++];
        memset(sq, 0, sizeof *sq);
        sq->id = strdup(ids[i]);
        for (int k = 0; k < info.nscopes; k++)
            if (strcmp(info.scopes[k].scope, ids[i]) == 0)
                offs_copy(&sq->offs, info.scopes[k].offsets, info.scopes[k].noffsets);
    }
    statedb_snapshot_info_free(&info);
    if (s->home && manifest_write(s, err) != 0)
        goto fail;
    snapshot_add(e, s);
    return s;
fail:;
    EddyError derr;
    snapshot_delete_files(e, s->home, s->dir, &derr);
    snapshot_free(s);
    return NULL;
}

/* The running persistent queries that keep state. */
static int stateful_queries(Engine *e, const char **ids, int max)
{
    int n = 0;
    for (int i = 0; i < e->cat.queries.n && n < max; i++) {
        Query *q = e->cat.queries.items[i];
        if (q->rt && runtime_store_count(q->rt) > 0)
            ids[n++] = q->id;
    }
    return n;
}

static void describe_taken(Engine *e, const Snapshot *s, StrBuf *out)
{
    sb_printf(out, "Created snapshot %s (", s->name);
    snapshot_time_text(e, s->created_ms, out);
    sb_puts(out, ")");
    for (int i = 0; i < s->nqueries; i++) {
        sb_printf(out, "%s query %s at ", i ? ";" : ":", s->queries[i].id);
        offs_text(&s->queries[i].offs, out);
    }
    sb_puts(out, "\n");
}

int exec_create_snapshot(Engine *e, const AstStmt *s, EddyError *err)
{
    if (e->replaying)
        return 0;   /* not a definition: never logged */
    const char *ids[256];
    int n;
    const char *for_query = NULL;
    if (s->u.snapshot.query_id) {
        Query *q = engine_find_query(e, s->u.snapshot.query_id);
        if (q == NULL || q->rt == NULL)
            return eddy_error(err, ERR_ANALYSIS, s->u.snapshot.query_pos,
                              q ? "query %s is not running" : "unknown query %s",
                              s->u.snapshot.query_id);
        ids[0] = for_query = q->id;
        n = 1;
    } else {
        n = stateful_queries(e, ids, 256);
        if (n == 0)
            return eddy_error(err, ERR_ANALYSIS, s->pos,
                              "no running query keeps state, so there is nothing to snapshot "
                              "(CREATE SNAPSHOT ... FOR QUERY id takes one of any query)");
    }
    char *name;
    if (s->u.snapshot.name) {
        if (!valid_name(s->u.snapshot.name))
            return eddy_error(err, ERR_ANALYSIS, s->u.snapshot.name_pos,
                              "invalid snapshot name '%s': use letters, digits, '_', '-' and '.' "
                              "(not first), at most %d characters",
                              s->u.snapshot.name, NAME_MAX_LEN);
        Snapshot *old = snapshot_find(e, s->u.snapshot.name);
        if (old)
            return eddy_error(err, ERR_ANALYSIS, s->u.snapshot.name_pos,
                              "snapshot %s already exists", old->name);
        name = strdup(s->u.snapshot.name);
    } else {
        name = new_name(e, "snapshot", eddy_now_ms());
    }
    Snapshot *snap = NULL;
    if (engine_checkpoint(e, err) == 0)
        snap = snapshot_take(e, name, false, for_query, ids, n, err);
    free(name);
    if (snap == NULL)
        return -1;
    StrBuf out;
    sb_init(&out);
    describe_taken(e, snap, &out);
    engine_text(e, out.data);
    sb_free(&out);
    return 0;
}

int exec_drop_snapshot(Engine *e, const AstStmt *s, EddyError *err)
{
    if (e->replaying)
        return 0;
    Snapshot *snap = snapshot_find(e, s->u.snapshot.name);
    if (snap == NULL) {
        if (s->u.snapshot.if_exists)
            return 0;
        const char *hint = snapshot_suggest(e, s->u.snapshot.name);
        return eddy_error(err, ERR_ANALYSIS, s->u.snapshot.name_pos, "unknown snapshot %s%s%s%s",
                          s->u.snapshot.name, hint ? "; did you mean " : "", hint ? hint : "",
                          hint ? "?" : "");
    }
    if (replay_needs_snapshot(e, snap->name))
        return eddy_error(err, ERR_ANALYSIS, s->u.snapshot.name_pos,
                          "cannot drop snapshot %s: a replay restoring it has not finished "
                          "(it finishes at the next start)", snap->name);
    char *name = strdup(snap->name);
    int rc = snapshot_delete_files(e, snap->home, snap->dir, err);
    if (rc == 0) {
        snapshot_remove(e, snap);
        char buf[200];
        snprintf(buf, sizeof buf, "Snapshot %s dropped.\n", name);
        engine_text(e, buf);
    }
    free(name);
    return rc;
}

/* ---- SHOW SNAPSHOTS ------------------------------------------------------------- */

static void size_text(uint64_t b, StrBuf *out)
{
    if (b < 1024)
        sb_printf(out, "%llu B", (unsigned long long)b);
    else if (b < 1024 * 1024)
        sb_printf(out, "%.1f KB", (double)b / 1024);
    else if (b < 1024ull * 1024 * 1024)
        sb_printf(out, "%.1f MB", (double)b / (1024 * 1024));
    else
        sb_printf(out, "%.1f GB", (double)b / (1024.0 * 1024 * 1024));
}

void show_snapshots(Engine *e)
{
    ReplayState *st = replay_state(e);
    TextTable t;
    tfmt_init(&t, 5);
    tfmt_cell(&t, "Snapshot Name");
    tfmt_cell(&t, "Query");
    tfmt_cell(&t, "Created");
    tfmt_cell(&t, "Offsets");
    tfmt_cell(&t, "Size On Disk");
    StrBuf sb;
    sb_init(&sb);
    for (int i = 0; i < st->nsnaps; i++) {
        const Snapshot *s = st->snaps[i];
        StateSnapshotInfo info;
        EddyError err;
        sb_reset(&sb);
        if (statedb_snapshot_info(e->state, s->dir, &info, &err) == 0) {
            size_text(info.bytes, &sb);
            sb_puts(&sb, " (");
            size_text(info.bytes_own, &sb);
            sb_puts(&sb, " not shared)");
            statedb_snapshot_info_free(&info);
        } else {
            sb_printf(&sb, "unreadable: %s", err.msg);
        }
        const char *size = arena_strdup(t.arena, sb.data);
        for (int k = 0; k < s->nqueries || k == 0; k++) {
            tfmt_cell(&t, arena_sprintf(t.arena, "%s%s", s->name, s->automatic ? " (auto)" : ""));
            tfmt_cell(&t, k < s->nqueries ? s->queries[k].id : "");
            sb_reset(&sb);
            snapshot_time_text(e, s->created_ms, &sb);
            tfmt_cell(&t, sb.data);
            sb_reset(&sb);
            if (k < s->nqueries)
                offs_text(&s->queries[k].offs, &sb);
            tfmt_cell(&t, sb.data ? sb.data : "");
            tfmt_cell(&t, size);
        }
    }
    sb_reset(&sb);
    tfmt_render(&t, &sb);
    tfmt_free(&t);
    engine_text(e, sb.data ? sb.data : "");
    sb_free(&sb);
}

/* ---- automatic snapshots ---------------------------------------------------------- */

static int64_t prop_ms(Engine *e, const char *name, int64_t dflt)
{
    const char *v = catalog_prop(&e->cat, name, NULL);
    return v ? strtoll(v, NULL, 10) : dflt;
}

/* Drops automatic snapshots beyond the newest `count` or older than `ms`
 * (0 = no limit), except those an unfinished replay needs. */
static void retention(Engine *e, int64_t now)
{
    ReplayState *st = replay_state(e);
    int64_t count = prop_ms(e, "snapshot.retention.count", 24);
    int64_t age = prop_ms(e, "snapshot.retention.ms", 86400000);
    int kept = 0;
    for (int i = st->nsnaps - 1; i >= 0; i--) {   /* newest first */
        Snapshot *s = st->snaps[i];
        if (!s->automatic)
            continue;
        bool expire = (count > 0 && kept >= count) || (age > 0 && now - s->created_ms > age);
        if (!expire || replay_needs_snapshot(e, s->name)) {
            kept++;
            continue;
        }
        EddyError err;
        if (snapshot_delete_files(e, s->home, s->dir, &err) != 0) {
            engine_log(e, 1, "cannot drop the expired snapshot %s: %s", s->name, err.msg);
            kept++;
            continue;
        }
        engine_log(e, 0, "dropped the expired automatic snapshot %s", s->name);
        snapshot_remove(e, s);   /* shifts the ones after i, which were seen */
    }
}

void snapshots_tick(Engine *e)
{
    ReplayState *st = replay_state(e);
    int64_t interval = prop_ms(e, "snapshot.interval.ms", 3600000);
    int64_t now = eddy_now_ms();
    if (interval <= 0 || now - st->last_auto_ms < interval)
        return;
    st->last_auto_ms = now;   /* also when it fails: retried an interval later */
    const char *ids[256];
    int n = stateful_queries(e, ids, 256);
    if (n == 0)
        return;
    EddyError err;
    char *name = new_name(e, "auto", now);
    Snapshot *s = NULL;
    if (engine_checkpoint(e, &err) == 0)
        s = snapshot_take(e, name, true, NULL, ids, n, &err);
    if (s)
        engine_log(e, 0, "took the automatic snapshot %s of %d quer%s", s->name, n,
                   n == 1 ? "y" : "ies");
    else
        engine_log(e, 1, "automatic snapshot %s failed: %s", name, err.msg);
    free(name);
    retention(e, now);
}
