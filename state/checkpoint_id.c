/*
 * checkpoint_id.c - the record that ties a state directory to its catalog:
 * every write that defines a scope's state (a checkpoint, a replay's
 * offsets reset, the end of a restore) carries a checkpoint id, stored in
 * the scope's offsets (key scope 0x00 0x00 0x01) in the same batch, and,
 * once the batch is durable, in a small file beside the catalog
 * (statedb_attach_record).  On start, statedb_check_scope compares the
 * two: a state directory that was deleted, replaced by an older copy, or
 * lost recent files (a truncated MANIFEST) holds an older id or none, and
 * its scope is refused rather than run from wrong state.
 *
 * The file is written after the batch (a temporary file, fsync, rename,
 * fsync of the directory), so after a crash between the two the database
 * holds the id after the file's last one: accepted.  Any other difference
 * is damage.  A file write that fails is sticky (StateDb.write_failed):
 * a further batch would put the database two ids ahead and make its own
 * restart refuse it.
 *
 * File: "eddy-state-checkpoints 1", "last <id>", then "<id> <scope>" per
 * scope, sorted by scope.  No file: nothing recorded yet (a new state
 * directory, or one from before this record existed: its scopes hold no
 * id and are accepted).
 */
#define _GNU_SOURCE
#include "store_int.h"
#include "eddy/codec.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const SrcPos NOPOS = {0, 0};

#define RECORD_HEADER "eddy-state-checkpoints 1"

/* The id entry's key: "scope 0x00 0x00 0x01" (sorted after the
 * generation, before the offsets: topics are never empty). */
static void id_key(StrBuf *k, const char *scope)
{
    sb_reset(k);
    sb_append(k, scope, strlen(scope) + 1);
    sb_putc(k, '\0');
    sb_putc(k, '\x01');
}

bool statedb_record_attached(const StateDb *db)
{
    return db->record_path != NULL;
}

void statedb_record_put(StateDb *db, BackendBatch *b, const char *scope, int64_t id)
{
    StrBuf k;
    unsigned char v[8];
    sb_init(&k);
    id_key(&k, scope);
    keycodec_put_i64(v, id);
    db->ops->batch_put(b, db->offsets, k.data, k.len, v, 8);
    sb_free(&k);
}

int64_t statedb_record_next(const StateDb *db)
{
    return db->record_last + 1;
}

static void set_id(StateDb *db, const char *scope, int64_t id)
{
    int64_t *p = strmap_get(db->record_ids, scope);
    if (p == NULL) {
        if ((p = malloc(sizeof *p)) == NULL)
            EDDY_PANIC("out of memory");
        strmap_put(db->record_ids, scope, p);
    }
    *p = id;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int sys_fail(StateDb *db, EddyError *err, const char *what, const char *path)
{
    int e = errno;
    eddy_error(&db->write_error, ERR_IO, NOPOS,
               "state store: the checkpoint is in the state directory but its record could not "
               "be written (%s %s: %s): no further state is written; free space or fix the file "
               "system and restart (the restart accepts the checkpoint)",
               what, path, strerror(e));
    db->write_failed = true;
    if (err)
        *err = db->write_error;
    return -1;
}

/* Writes the record file whole: temporary file, fsync, rename, fsync of
 * the directory. */
static int record_write(StateDb *db, EddyError *err)
{
    StrBuf text, tmp;
    sb_init(&text);
    sb_init(&tmp);
    sb_printf(&text, "%s\nlast %" PRId64 "\n", RECORD_HEADER, db->record_last);
    StrBuf man;
    uint64_t msize;
    sb_init(&man);
    if (db->ops->manifest && db->dir && db->ops->manifest(db->dir, &man, &msize) == 0)
        sb_printf(&text, "manifest %s %" PRIu64 "\n", man.data, msize);
    sb_free(&man);
    int n = strmap_count(db->record_ids), k = 0;
    const char **names = malloc(sizeof *names * (size_t)(n ? n : 1));
    if (names == NULL)
        EDDY_PANIC("out of memory");
    size_t it = 0;
    const char *name;
    void *val;
    while (strmap_next(db->record_ids, &it, &name, &val))
        names[k++] = name;
    qsort(names, (size_t)k, sizeof *names, cmp_str);
    for (int i = 0; i < k; i++)
        sb_printf(&text, "%" PRId64 " %s\n", *(int64_t *)strmap_get(db->record_ids, names[i]),
                  names[i]);
    free(names);
    sb_printf(&tmp, "%s.tmp", db->record_path);
    int rc = 0;
    int fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = sys_fail(db, err, "cannot create", tmp.data);
    } else {
        size_t off = 0;
        while (rc == 0 && off < text.len) {
            ssize_t w = write(fd, text.data + off, text.len - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                rc = sys_fail(db, err, "cannot write", tmp.data);
            else
                off += (size_t)w;
        }
        if (rc == 0 && fsync(fd) != 0)
            rc = sys_fail(db, err, "cannot sync", tmp.data);
        if (close(fd) != 0 && rc == 0)
            rc = sys_fail(db, err, "cannot close", tmp.data);
        if (rc == 0 && rename(tmp.data, db->record_path) != 0)
            rc = sys_fail(db, err, "cannot rename", tmp.data);
        if (rc != 0)
            unlink(tmp.data);
    }
    if (rc == 0) {
        /* The rename is durable once the directory is synced. */
        char *dir = strdup(db->record_path);
        if (dir == NULL)
            EDDY_PANIC("out of memory");
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = slash == dir ? (slash[1] = '\0', '/') : '\0';
        int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || fsync(dfd) != 0)
            rc = sys_fail(db, err, "cannot sync the directory of", db->record_path);
        if (dfd >= 0)
            close(dfd);
        free(dir);
    }
    sb_free(&text);
    sb_free(&tmp);
    return rc;
}

int statedb_record_manifest(const char *path, StrBuf *name, uint64_t *size, EddyError *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return errno == ENOENT ? 0
                               : eddy_error(err, ERR_IO, NOPOS, "cannot read %s: %s", path,
                                            strerror(errno));
    char line[1200], mname[256];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f))
        if (sscanf(line, "manifest %255s %" SCNu64, mname, size) == 2) {
            sb_reset(name);
            sb_puts(name, mname);
            rc = 1;
        }
    fclose(f);
    return rc;
}

int statedb_attach_record(StateDb *db, const char *path, EddyError *err)
{
    free(db->record_path);
    db->record_path = strdup(path);
    if (db->record_path == NULL)
        EDDY_PANIC("out of memory");
    db->record_last = 0;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        if (errno == ENOENT)
            return 0;
        return eddy_error(err, ERR_IO, NOPOS, "cannot read %s: %s", path, strerror(errno));
    }
    char line[1200];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\n")] = '\0';
        char scope[1100];
        int64_t id;
        if (lineno == 1) {
            if (strcmp(line, RECORD_HEADER) != 0)
                rc = -1;
        } else if (lineno == 2) {
            if (sscanf(line, "last %" SCNd64, &db->record_last) != 1)
                rc = -1;
        } else if (strncmp(line, "manifest ", 9) == 0) {
            /* checked before the database is opened (statedb_open_recorded) */
        } else if (sscanf(line, "%" SCNd64 " %1099s", &id, scope) == 2) {
            set_id(db, scope, id);
        } else {
            rc = -1;
        }
    }
    fclose(f);
    if (rc != 0 || lineno < 2)
        return eddy_error(err, ERR_IO, NOPOS,
                          "%s is damaged (line %d): it records the state's checkpoints; restore "
                          "it from a copy of the state directory",
                          path, rc != 0 ? lineno : lineno + 1);
    return 0;
}

/* The id the database holds for scope: 1 (in *id), 0 none, -1 error. */
static int stored_id(StateDb *db, const char *scope, int64_t *id, EddyError *err)
{
    StrBuf k, v;
    sb_init(&k);
    sb_init(&v);
    id_key(&k, scope);
    int rc = db->ops->get(db, db->offsets, k.data, k.len, &v, err);
    if (rc == 1 && v.len != 8)
        rc = eddy_error(err, ERR_IO, NOPOS, "malformed checkpoint id in the offsets of '%s'",
                        scope);
    else if (rc == 1)
        *id = keycodec_get_i64((const unsigned char *)v.data);
    sb_free(&k);
    sb_free(&v);
    return rc;
}

int statedb_check_scope(StateDb *db, const char *scope, EddyError *err)
{
    if (db->record_path == NULL)
        return 0;
    int64_t d = 0;
    int have = stored_id(db, scope, &d, err);
    if (have < 0)
        return -1;
    const int64_t *c = strmap_get(db->record_ids, scope);
    if ((have == 0 && c == NULL) || (have == 1 && ((c && d == *c) || d == db->record_last + 1))) {
        strmap_del(db->refused, scope);
        return 0;
    }
    char holds[64], recorded[64];
    if (have)
        snprintf(holds, sizeof holds, "checkpoint #%" PRId64, d);
    else
        snprintf(holds, sizeof holds, "no checkpoint of it");
    if (c)
        snprintf(recorded, sizeof recorded, "checkpoint #%" PRId64, *c);
    else
        snprintf(recorded, sizeof recorded, "no checkpoint of it");
    strmap_put(db->refused, scope, db);
    return eddy_error(err, ERR_IO, NOPOS,
                      "the state of query %s does not match its catalog: %s records %s, the "
                      "state store %s holds %s (the state directory was deleted, replaced by an "
                      "older copy, or damaged); the query is not run from it.  Rebuild its "
                      "state with REPLAY QUERY %s FROM BEGINNING WITH EMPTY STATE, or restore a "
                      "snapshot with REPLAY QUERY %s FROM SNAPSHOT <name>",
                      scope, db->record_path, recorded, db->dir ? db->dir : "(in memory)",
                      holds, scope, scope);
}

bool statedb_scope_refused(const StateDb *db, const char *scope)
{
    return strmap_get(db->refused, scope) != NULL;
}

int statedb_record_commit(StateDb *db, const char *const *scopes, int n, int64_t id,
                          EddyError *err)
{
    if (db->record_path == NULL)
        return 0;
    for (int i = 0; i < n; i++) {
        set_id(db, scopes[i], id);
        strmap_del(db->refused, scopes[i]);
    }
    if (id > db->record_last)
        db->record_last = id;
    return record_write(db, err);
}

int statedb_record_forget(StateDb *db, const char *scope, EddyError *err)
{
    strmap_del(db->refused, scope);
    if (db->record_path == NULL || strmap_get(db->record_ids, scope) == NULL)
        return 0;
    free(strmap_del(db->record_ids, scope));
    return record_write(db, err);
}

void statedb_record_free(StateDb *db)
{
    if (db->record_ids) {
        size_t it = 0;
        const char *name;
        void *val;
        while (strmap_next(db->record_ids, &it, &name, &val))
            free(val);
        strmap_destroy(db->record_ids);
    }
    strmap_destroy(db->refused);
    free(db->record_path);
}
