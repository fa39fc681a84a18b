/*
 * snapshot.c - snapshots of a StateDb, the backend-independent half:
 * taking one, reading one (statedb_snapshot_info), putting one scope of
 * the live database back from one (statedb_restore_scope), dropping one.
 *
 * A snapshot is opened through its backend (ops->snapshot_open) as a
 * StateDb that is only read, so its stores and offsets are read with the
 * same code and layouts as the live database's.
 *
 * Restore invariants (the crash argument is in state/README.md):
 *   - nothing of db changes until the snapshot's part was read whole;
 *   - the first batch written puts the scope's restore marker (offsets
 *     key "scope 0x00"); the last one deletes the scope's whole offsets
 *     range (marker included) and puts the snapshot's offsets; batches in
 *     between only clear and fill the scope's stores;
 *   - every step is derived from the snapshot alone, never from how far
 *     an earlier attempt got, so re-running after a crash gives the same
 *     end state.
 */
#include "store_int.h"
#include "eddy/codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const SrcPos NOPOS = {0, 0};

/* memcpy and the backends want non-NULL key pointers even for 0 bytes. */
static const char EMPTY[1];

int statedb_snapshot(StateDb *db, const char *dir, EddyError *err)
{
    return db->ops->snapshot(db, dir, err);
}

int statedb_drop_snapshot(StateDb *db, const char *dir, EddyError *err)
{
    return db->ops->snapshot_drop(db, dir, err);
}

/* Prefixes err's message with "snapshot 'dir': " unless it names dir. */
static int in_snapshot(EddyError *err, const char *dir)
{
    if (err && strstr(err->msg, dir) == NULL) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        eddy_error(err, err->kind == ERR_NONE ? ERR_IO : err->kind, NOPOS, "snapshot '%s': %s",
                   dir, msg);
    }
    return -1;
}

static bool in_scope(const char *name, const char *scope, size_t n)
{
    return strncmp(name, scope, n) == 0 && name[n] == '.';
}

/* The stores of scope in db, sorted; free with statedb_free_names. */
static int scope_stores(StateDb *db, const char *scope, char ***names, EddyError *err)
{
    int n = statedb_list_stores(db, names, err);
    if (n < 0)
        return -1;
    size_t len = strlen(scope);
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (in_scope((*names)[i], scope, len))
            (*names)[k++] = (*names)[i];
        else
            free((*names)[i]);
    }
    return k;
}

static bool has_name(char **names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

/* ---- info ------------------------------------------------------------------ */

static StateSnapshotScope *info_scope(StateSnapshotInfo *info, const char *name, size_t len)
{
    for (int i = 0; i < info->nscopes; i++)
        if (strlen(info->scopes[i].scope) == len && memcmp(info->scopes[i].scope, name, len) == 0)
            return &info->scopes[i];
    info->scopes = realloc(info->scopes, sizeof *info->scopes * (size_t)(info->nscopes + 1));
    if (info->scopes == NULL)
        EDDY_PANIC("out of memory");
    StateSnapshotScope *s = &info->scopes[info->nscopes++];
    memset(s, 0, sizeof *s);
    s->scope = strndup(name, len);
    if (s->scope == NULL)
        EDDY_PANIC("out of memory");
    return s;
}

/* Every entry of the offsets family, grouped by scope (in key order, so a
 * scope's offsets come ordered by topic then partition). */
static int info_offsets(StateDb *src, StateSnapshotInfo *info, EddyError *err)
{
    const StateDbOps *ops = src->ops;
    BackendIter *bi = ops->iter_open(src, src->offsets, NULL, 0, NULL, 0, false);
    const void *k, *v;
    size_t klen, vlen;
    int rc = 0;
    while (ops->iter_next(bi, &k, &klen, &v, &vlen)) {
        OffsetsEntry e;
        if (!statedb_offsets_decode(k, klen, v, vlen, &e)) {
            rc = eddy_error(err, ERR_IO, NOPOS, "malformed entry in the offsets");
            break;
        }
        StateSnapshotScope *s = info_scope(info, k, e.scope_len);
        if (e.marker) {
            s->restoring = true;
            continue;
        }
        if (e.generation || e.checkpoint_id || e.tasks)
            continue;
        s->offsets = realloc(s->offsets, sizeof *s->offsets * (size_t)(s->noffsets + 1));
        if (s->offsets == NULL)
            EDDY_PANIC("out of memory");
        TopicPartitionOffset *o = &s->offsets[s->noffsets++];
        o->topic = strdup(e.topic);
        if (o->topic == NULL)
            EDDY_PANIC("out of memory");
        o->partition = e.partition;
        o->offset = e.offset;
    }
    if (rc == 0)
        rc = ops->iter_error(bi, err);
    ops->iter_close(bi);
    return rc;
}

/* Each store goes to the longest scope with offsets that prefixes it
 * ("<scope>."), else to the part of its name before the first '.'. */
static void info_stores(StateSnapshotInfo *info, char **names, int n)
{
    int nknown = info->nscopes;
    for (int i = 0; i < n; i++) {
        StateSnapshotScope *best = NULL;
        size_t best_len = 0;
        for (int j = 0; j < nknown; j++) {
            size_t len = strlen(info->scopes[j].scope);
            if (len > best_len && in_scope(names[i], info->scopes[j].scope, len)) {
                best = &info->scopes[j];
                best_len = len;
            }
        }
        if (best == NULL) {
            const char *dot = strchr(names[i], '.');
            best = info_scope(info, names[i], dot ? (size_t)(dot - names[i]) : strlen(names[i]));
        }
        best->stores = realloc(best->stores, sizeof *best->stores * (size_t)(best->nstores + 1));
        if (best->stores == NULL)
            EDDY_PANIC("out of memory");
        best->stores[best->nstores++] = names[i];   /* takes the name */
        names[i] = NULL;
    }
}

static int cmp_scopes(const void *a, const void *b)
{
    return strcmp(((const StateSnapshotScope *)a)->scope, ((const StateSnapshotScope *)b)->scope);
}

int statedb_snapshot_info(StateDb *db, const char *dir, StateSnapshotInfo *info, EddyError *err)
{
    memset(info, 0, sizeof *info);
    StateDb *src = db->ops->snapshot_open(db, dir, err);
    if (src == NULL)
        return -1;
    char **names = NULL;
    int n = 0;
    int rc = info_offsets(src, info, err);
    if (rc == 0 && (n = statedb_list_stores(src, &names, err)) < 0)
        rc = -1;
    if (rc == 0) {
        info_stores(info, names, n);
        qsort(info->scopes, (size_t)info->nscopes, sizeof *info->scopes, cmp_scopes);
        rc = db->ops->snapshot_size(db, dir, &info->bytes, &info->bytes_own, err);
    }
    statedb_free_names(names, n > 0 ? n : 0);
    statedb_close(src);
    if (rc != 0) {
        statedb_snapshot_info_free(info);
        return in_snapshot(err, dir);
    }
    return 0;
}

void statedb_snapshot_info_free(StateSnapshotInfo *info)
{
    if (info == NULL)
        return;
    for (int i = 0; i < info->nscopes; i++) {
        StateSnapshotScope *s = &info->scopes[i];
        free(s->scope);
        statedb_free_offsets(s->offsets, s->noffsets);
        statedb_free_names(s->stores, s->nstores);
    }
    free(info->scopes);
    memset(info, 0, sizeof *info);
}

/* ---- restore ----------------------------------------------------------------- */

typedef struct Restore {
    StateDb *db, *src;
    const char *dir, *scope;
    char **stores;               /* the snapshot's stores of the scope */
    int nstores;
    TopicPartitionOffset *offs;  /* the snapshot's offsets of the scope */
    int noffs;
    int ntasks;                  /* the snapshot's task count of the scope (0: whole) */
    /* writing */
    BackendBatch *b;
    size_t batch_bytes;
    int batches;
} Restore;

/* Reads the snapshot's part whole before anything is written, so a
 * corrupt snapshot is found while db is still as it was. */
static int restore_read(Restore *r, EddyError *err)
{
    StateDb *src = r->src;
    if ((r->nstores = scope_stores(src, r->scope, &r->stores, err)) < 0)
        return -1;
    if (statedb_read_offsets(src, r->scope, &r->offs, &r->noffs, err) != 0 ||
        statedb_read_tasks(src, r->scope, &r->ntasks, err) != 0)
        return -1;
    for (int i = 0; i < r->nstores; i++) {
        StoreFamily *f = src->ops->family_open(src, r->stores[i], false, err);
        if (f == NULL)
            return -1;
        BackendIter *bi = src->ops->iter_open(src, f, NULL, 0, NULL, 0, false);
        const void *k, *v;
        size_t kl, vl;
        while (src->ops->iter_next(bi, &k, &kl, &v, &vl)) {
        }
        int rc = src->ops->iter_error(bi, err);
        src->ops->iter_close(bi);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static int restore_flush(Restore *r, EddyError *err)
{
    const StateDbOps *ops = r->db->ops;
    int rc = statedb_batch_write(r->db, r->b, err);
    ops->batch_destroy(r->b);
    r->b = ops->batch_create(r->db);
    r->batch_bytes = 0;
    r->batches++;
    return rc;
}

/* Adds the deletion of every key of f (the last key bounds the range). */
static int restore_clear(Restore *r, StoreFamily *f, EddyError *err)
{
    StateDb *db = r->db;
    BackendIter *bi = db->ops->iter_open(db, f, NULL, 0, NULL, 0, true);
    const void *k, *v;
    size_t kl, vl;
    if (db->ops->iter_next(bi, &k, &kl, &v, &vl)) {
        db->ops->batch_delete_range(r->b, f, EMPTY, 0, k, kl);
        db->ops->batch_delete(r->b, f, k, kl);
        r->batch_bytes += kl * 2;
    }
    int rc = db->ops->iter_error(bi, err);
    db->ops->iter_close(bi);
    return rc;
}

/* Copies the snapshot's store into f, flushing full batches. */
static int restore_fill(Restore *r, const char *name, StoreFamily *f, EddyError *err)
{
    StateDb *src = r->src;
    StoreFamily *sf = src->ops->family_open(src, name, false, err);
    if (sf == NULL)
        return -1;
    BackendIter *bi = src->ops->iter_open(src, sf, NULL, 0, NULL, 0, false);
    const void *k, *v;
    size_t kl, vl;
    int rc = 0;
    while (src->ops->iter_next(bi, &k, &kl, &v, &vl)) {
        r->db->ops->batch_put(r->b, f, kl ? k : EMPTY, kl, vl ? v : EMPTY, vl);
        r->batch_bytes += kl + vl + 16;
        if (r->batch_bytes >= r->db->restore_batch_bytes && (rc = restore_flush(r, err)) != 0)
            break;
    }
    if (rc == 0)
        rc = src->ops->iter_error(bi, err);
    src->ops->iter_close(bi);
    if (rc != 0)
        in_snapshot(err, r->dir);
    return rc;
}

/* The family of a store of db: its open Store's, else the backend's
 * (created if create). */
static StoreFamily *live_family(StateDb *db, const char *name, bool create, EddyError *err)
{
    Store *s = strmap_get(db->stores, name);
    if (s)
        return s->fam;
    return db->ops->family_open(db, name, create, err);
}

static int restore_write(Restore *r, EddyError *err)
{
    StateDb *db = r->db;
    const StateDbOps *ops = db->ops;
    size_t slen = strlen(r->scope);
    char **live;
    int nlive = scope_stores(db, r->scope, &live, err);
    if (nlive < 0)
        return -1;
    int rc = 0;
    /* Families first: creating one is not part of a batch, and an empty
     * family is the same state as a missing one. */
    for (int i = 0; i < r->nstores && rc == 0; i++)
        if (live_family(db, r->stores[i], true, err) == NULL)
            rc = -1;

    /* The scope's cache entries describe the state being replaced. */
    size_t it = 0;
    const char *name;
    void *val;
    while (rc == 0 && strmap_next(db->stores, &it, &name, &val)) {
        if (in_scope(name, r->scope, slen)) {
            Store *s = val;
            cache_clear(&s->cache);
            cache_init(&s->cache, &db->cache);
            for (int v = 0; v < s->nviews; v++) {
                CacheShared *sh = s->views[v]->cache.shared;
                cache_clear(&s->views[v]->cache);
                cache_init(&s->views[v]->cache, sh);
            }
        }
    }

    StrBuf lo, hi;
    sb_init(&lo);
    sb_init(&hi);
    statedb_scope_range(&lo, &hi, r->scope);
    r->b = ops->batch_create(db);
    if (rc == 0) {
        /* lo is "scope 0x00": the marker's key. */
        ops->batch_put(r->b, db->offsets, lo.data, lo.len, r->dir, strlen(r->dir));
        for (int i = 0; i < nlive && rc == 0; i++) {
            StoreFamily *f = live_family(db, live[i], false, err);
            if (f && restore_clear(r, f, err) != 0)
                rc = -1;
        }
    }
    for (int i = 0; i < r->nstores && rc == 0; i++) {
        StoreFamily *f = live_family(db, r->stores[i], true, err);
        rc = f ? restore_fill(r, r->stores[i], f, err) : -1;
    }
    if (rc == 0) {
        /* Last: the offsets, and with them the marker's removal. */
        ops->batch_delete_range(r->b, db->offsets, lo.data, lo.len, hi.data, hi.len);
        StrBuf k;
        sb_init(&k);
        for (int i = 0; i < r->noffs; i++) {
            unsigned char v[8];
            statedb_offsets_key(&k, r->scope, r->offs[i].topic, r->offs[i].partition);
            keycodec_put_i64(v, r->offs[i].offset);
            ops->batch_put(r->b, db->offsets, k.data, k.len, v, 8);
        }
        if (r->ntasks > 0) {   /* the layout of the restored state (engine/README.md) */
            unsigned char v[8];
            statedb_tasks_key(&k, r->scope);
            keycodec_put_i64(v, r->ntasks);
            ops->batch_put(r->b, db->offsets, k.data, k.len, v, 8);
        }
        sb_free(&k);
        /* The restored offsets define the scope's state: a new id. */
        int64_t id = statedb_record_next(db);
        if (statedb_record_attached(db))
            statedb_record_put(db, (BackendBatch *)r->b, r->scope, id);
        rc = restore_flush(r, err);
        if (rc == 0)
            rc = statedb_record_commit(db, (const char *const *)&r->scope, 1, id, err);
    }
    ops->batch_destroy(r->b);
    r->b = NULL;
    sb_free(&lo);
    sb_free(&hi);

    /* Stores the snapshot lacks are empty now; drop those nobody has open
     * (a crash before this leaves them empty, which reads the same). */
    for (int i = 0; i < nlive && rc == 0; i++) {
        if (has_name(r->stores, r->nstores, live[i]) || strmap_get(db->stores, live[i]))
            continue;
        StoreFamily *f = ops->family_open(db, live[i], false, err);
        if (f && ops->family_drop(db, f, err) != 0)
            rc = -1;
    }
    statedb_free_names(live, nlive);
    return rc;
}

int statedb_restore_scope(StateDb *db, const char *dir, const char *scope, EddyError *err)
{
    if (db->niters > 0)
        return eddy_error(err, ERR_INTERNAL, NOPOS,
                          "cannot restore '%s' while %d state iterator(s) are open",
                          scope ? scope : "", db->niters);
    if (scope == NULL || scope[0] == '\0' || dir == NULL)
        return eddy_error(err, ERR_INTERNAL, NOPOS, "restore: no scope or snapshot given");
    StateDb *src = db->ops->snapshot_open(db, dir, err);
    if (src == NULL)
        return -1;
    Restore r;
    memset(&r, 0, sizeof r);
    r.db = db;
    r.src = src;
    r.dir = dir;
    r.scope = scope;
    int rc = restore_read(&r, err);
    if (rc != 0)
        in_snapshot(err, dir);
    else
        rc = restore_write(&r, err);
    statedb_free_names(r.stores, r.nstores > 0 ? r.nstores : 0);
    statedb_free_offsets(r.offs, r.noffs);
    statedb_close(src);
    return rc;
}

int statedb_restore_pending(StateDb *db, const char *scope, StrBuf *dir, EddyError *err)
{
    StrBuf k, v;
    sb_init(&k);
    sb_init(&v);
    sb_append(&k, scope, strlen(scope) + 1);   /* the marker's key */
    int rc = db->ops->get(db, db->offsets, k.data, k.len, dir ? dir : &v, err);
    sb_free(&k);
    sb_free(&v);
    return rc;
}
