/*
 * statedb.c - the backend-independent half of state: stores and their
 * caches, iterators that merge cache and database, the checkpoint and the
 * offsets family.  Dispatches to a backend through StateDbOps
 * (store_rocksdb.c, store_memory.c).
 *
 * Offsets family layout (one entry per input partition of a query):
 *   key   = scope 0x00 topic 0x00 partition   (4 bytes, sign-flipped big-endian)
 *   value = next offset                       (8 bytes, sign-flipped big-endian)
 * Scope and topic are C strings, so the 0x00 separators make the layout
 * prefix-free: a scope's offsets are the range [scope 0x00, scope 0x01),
 * ordered by topic then partition.  The key scope 0x00 alone marks a scope
 * whose restore from a snapshot has not finished (snapshot.c): its
 * offsets are then refused, so a half-restored scope is never run.  The
 * key scope 0x00 0x00 (an empty topic, which Kafka never has) holds the
 * scope's generation (statedb_reset_offsets), sorted before its offsets.
 *
 * Read errors are sticky: the first failed store_get or store iterator is
 * kept in the StateDb and every later checkpoint fails with it, so state
 * that a caller computed from a read it did not check never reaches the
 * database.
 *
 * Iterator merge: clean cache entries equal the database, so an iterator
 * walks the backend iterator and the store's dirty skip list side by side;
 * on equal keys the cache wins, and tombstones are skipped.  The cache
 * side is re-sought from the last key passed whenever the skip list gained
 * an entry (Cache.gen), so writes ahead of the position are seen.
 */
#include "store_int.h"
#include "eddy/codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const SrcPos NOPOS = {0, 0};

struct StoreIter {
    Store *s;
    StoreIter *prev, *next;      /* db->iters, or the free list (next only) */
    BackendIter *bi;
    bool reverse, has_lo, has_hi;
    bool failed;                 /* the backend iterator stopped on an error */
    StrBuf lo, hi;
    /* database side: the entry not yet merged */
    bool db_valid, db_advance;
    const void *dk, *dv;
    size_t dkl, dvl;
    /* cache side: the next dirty entry in iteration order */
    CacheEntry *ce;
    uint64_t ce_gen;
    bool ce_fresh;
    StrBuf pos;                  /* the last key emitted or passed */
    bool has_pos;
    StrBuf outk, outv;           /* a cache entry's copy, borrowed by the caller */
};

/* Closed iterators kept for reuse (their StrBufs keep their memory). */
#define ITER_FREE_MAX 8
static void iter_free_all(StoreIter *it);

bool statedb_reserved_name(const char *name)
{
    return strcmp(name, "default") == 0 || strcmp(name, STATEDB_OFFSETS_FAMILY) == 0;
}

/* ---- databases ----------------------------------------------------------- */

int statedb_init(StateDb *db, const StateDbOps *ops, void *impl, size_t cache_max_bytes,
                 EddyError *err)
{
    db->ops = ops;
    db->impl = impl;
    db->stores = strmap_create();
    cache_shared_init(&db->cache, cache_max_bytes);
    memset(db->slots, 0, sizeof db->slots);
    pthread_mutex_init(&db->lock, NULL);
    db->iters = NULL;
    db->niters = 0;
    db->pool = NULL;
    db->npool = 0;
    db->read_failed = false;
    eddy_error_clear(&db->read_error);
    db->write_failed = false;
    eddy_error_clear(&db->write_error);
    db->record_ids = strmap_create();
    db->refused = strmap_create();
    db->restore_batch_bytes = STATEDB_RESTORE_BATCH_BYTES;
    db->fail_writes_after = -1;
    db->offsets = ops->family_open(db, STATEDB_OFFSETS_FAMILY, true, err);
    return db->offsets ? 0 : -1;
}

static void store_free(Store *s)
{
    for (int i = 0; i < s->nviews; i++)
        store_free(s->views[i]);
    free(s->views);
    cache_clear(&s->cache);
    sb_free(&s->kbuf);
    free(s->name);
    free(s);
}

void statedb_close(StateDb *db)
{
    if (db == NULL)
        return;
    while (db->iters)
        store_iter_close(db->iters);
    while (db->pool) {
        StoreIter *it = db->pool;
        db->pool = it->next;
        iter_free_all(it);
    }
    if (db->stores) {
        size_t i = 0;
        const char *name;
        void *val;
        while (strmap_next(db->stores, &i, &name, &val))
            store_free(val);
        strmap_destroy(db->stores);
    }
    for (int i = 0; i < STATEDB_MAX_SLOTS; i++)
        free(db->slots[i]);
    pthread_mutex_destroy(&db->lock);
    statedb_record_free(db);
    db->ops->close(db);
}

/* ---- stores -------------------------------------------------------------- */

/* A read error means a damaged or unreadable file: say what to do.  The
 * store "<query id>.<name>" belongs to that query. */
static void damaged_hint(const char *store, EddyError *e)
{
    const char *dot = strchr(store, '.');
    int qlen = dot ? (int)(dot - store) : (int)strlen(store);
    size_t n = strlen(e->msg);
    snprintf(e->msg + n, sizeof e->msg - n,
             " (the state of query %.*s is damaged or unreadable; nothing computed from it is "
             "kept: rebuild it with REPLAY QUERY %.*s FROM BEGINNING WITH EMPTY STATE, or restore "
             "a snapshot with REPLAY QUERY %.*s FROM SNAPSHOT <name>)",
             qlen, store, qlen, store, qlen, store);
    if (e->kind == ERR_NONE)
        e->kind = ERR_IO;
}

static Store *store_open(StateDb *db, const char *name, EddyError *err);

/* Operators may open a store at their first record, on a worker thread
 * (a table source's): the registry and a store's views are opened under
 * db->lock. */
Store *statedb_store(StateDb *db, const char *name, EddyError *err)
{
    pthread_mutex_lock(&db->lock);
    Store *s = store_open(db, name, err);
    pthread_mutex_unlock(&db->lock);
    return s;
}

static Store *store_open(StateDb *db, const char *name, EddyError *err)
{
    if (name == NULL || name[0] == '\0' || statedb_reserved_name(name)) {
        eddy_error(err, ERR_INTERNAL, NOPOS, "invalid state store name '%s'", name ? name : "");
        return NULL;
    }
    Store *s = strmap_get(db->stores, name);
    if (s)
        return s;
    if (statedb_write_error(db, err) != 0)
        return NULL;
    StoreFamily *f = db->ops->family_open(db, name, true, &db->write_error);
    if (f == NULL) {
        /* Creating a family writes RocksDB's MANIFEST: a failure there
         * ends writing as a failed batch does. */
        db->write_failed = true;
        if (err)
            *err = db->write_error;
        return NULL;
    }
    s = calloc(1, sizeof *s);
    if (s == NULL)
        EDDY_PANIC("out of memory");
    s->db = db;
    s->name = strdup(name);
    if (s->name == NULL)
        EDDY_PANIC("out of memory");
    s->fam = f;
    cache_init(&s->cache, &db->cache);
    strmap_put(db->stores, name, s);
    return s;
}

static Store *view_open(StateDb *db, const char *name, int task, int slot, EddyError *err);

Store *statedb_store_task(StateDb *db, const char *name, int task, int slot, EddyError *err)
{
    if (task < 0 || slot < 0 || slot >= STATEDB_MAX_SLOTS) {
        eddy_error(err, ERR_INTERNAL, NOPOS, "state store %s: task %d on slot %d", name, task,
                   slot);
        return NULL;
    }
    pthread_mutex_lock(&db->lock);
    Store *v = view_open(db, name, task, slot, err);
    pthread_mutex_unlock(&db->lock);
    return v;
}

static Store *view_open(StateDb *db, const char *name, int task, int slot, EddyError *err)
{
    Store *whole = store_open(db, name, err);
    if (whole == NULL)
        return NULL;
    unsigned char prefix[4] = {(unsigned char)(task >> 24), (unsigned char)(task >> 16),
                               (unsigned char)(task >> 8), (unsigned char)task};
    for (int i = 0; i < whole->nviews; i++)
        if (memcmp(whole->views[i]->prefix, prefix, 4) == 0)
            return whole->views[i];
    CacheShared *sh = &db->cache;
    if (slot > 0) {
        if (db->slots[slot] == NULL) {
            db->slots[slot] = malloc(sizeof *db->slots[slot]);
            if (db->slots[slot] == NULL)
                EDDY_PANIC("out of memory");
            cache_shared_init(db->slots[slot], db->cache.max_bytes);
        }
        sh = db->slots[slot];
    }
    /* From now on the whole store's reads and writes of this task's keys
     * go to the view (route): entries of them the whole store cached
     * before would go stale, so its clean entries go (a restore leaves
     * none dirty: it checkpoints before any task opens its views). */
    if (whole->cache.ndirty == 0) {
        CacheShared *wsh = whole->cache.shared;
        cache_clear(&whole->cache);
        cache_init(&whole->cache, wsh);
    }
    Store *v = calloc(1, sizeof *v);
    Store **grown = realloc(whole->views, sizeof *grown * (size_t)(whole->nviews + 1));
    if (v == NULL || grown == NULL)
        EDDY_PANIC("out of memory");
    whole->views = grown;
    whole->views[whole->nviews++] = v;
    v->db = db;
    v->name = strdup(name);
    if (v->name == NULL)
        EDDY_PANIC("out of memory");
    v->fam = whole->fam;
    v->whole = whole;
    memcpy(v->prefix, prefix, 4);
    v->plen = 4;
    cache_init(&v->cache, sh);
    return v;
}

int statedb_store_task_of(const Store *s)
{
    return s->plen == 4 ? (int)be32_get(s->prefix) : -1;
}

int statedb_store_views(Store *s, Store ***views)
{
    *views = s->views;
    return s->nviews;
}

int statedb_drop_scope_stores(StateDb *db, const char *scope, EddyError *err)
{
    char **names;
    int n = statedb_list_stores(db, &names, err);
    if (n < 0)
        return -1;
    size_t len = strlen(scope);
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        if (strncmp(names[i], scope, len) == 0 && names[i][len] == '.')
            rc = statedb_drop_store(db, names[i], err);
    statedb_free_names(names, n);
    return rc;
}

int statedb_drop_store(StateDb *db, const char *name, EddyError *err)
{
    if (name == NULL || statedb_reserved_name(name))
        return eddy_error(err, ERR_INTERNAL, NOPOS, "cannot drop state store '%s'",
                          name ? name : "");
    if (db->niters > 0)
        return eddy_error(err, ERR_INTERNAL, NOPOS,
                          "cannot drop state store '%s': %d iterator(s) open", name, db->niters);
    Store *s = strmap_del(db->stores, name);
    StoreFamily *f;
    if (s) {
        f = s->fam;
        store_free(s);
    } else {
        EddyError e2;
        eddy_error_clear(&e2);
        f = db->ops->family_open(db, name, false, &e2);
        if (f == NULL) {
            if (e2.kind == ERR_NONE)
                return 0;   /* no such store: nothing to drop */
            if (err)
                *err = e2;
            return -1;
        }
    }
    return db->ops->family_drop(db, f, err);
}

const char *store_name(const Store *s)
{
    return s->name;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int statedb_list_stores(StateDb *db, char ***names, EddyError *err)
{
    char **all;
    int n = db->ops->list_families(db, &all, err);
    if (n < 0)
        return -1;
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (statedb_reserved_name(all[i]))
            free(all[i]);
        else
            all[k++] = all[i];
    }
    qsort(all, (size_t)k, sizeof *all, cmp_names);
    *names = all;
    return k;
}

void statedb_free_names(char **names, int n)
{
    if (names == NULL)
        return;
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* ---- point reads and writes ---------------------------------------------- */

/* memcpy and memcmp want non-NULL pointers even for 0 bytes. */
static const char EMPTY[1];
#define NONNULL(p) ((p) ? (const void *)(p) : (const void *)EMPTY)

/* The key as the family holds it: a view's prefix + key.  Borrows s->kbuf. */
static const void *phys_key(Store *s, const void *key, size_t *klen)
{
    if (s->plen == 0)
        return NONNULL(key);
    sb_reset(&s->kbuf);
    sb_append(&s->kbuf, (const char *)s->prefix, s->plen);
    sb_append(&s->kbuf, NONNULL(key), *klen);
    *klen = s->kbuf.len;
    return s->kbuf.data;
}

/* The store a whole store's key lives in: the task view its 4-byte
 * prefix names, if one is open, else the whole store.  Writes and reads
 * of the whole store (a changelog's restore and a standby's catch-up,
 * engine/runtime/changelog.c, write through it) go to that view's cache,
 * so the view never reads a value it cached before (a task this member
 * held, lost and holds again).  Called on the engine's thread while no
 * worker runs a round (the view's worker alone touches it then). */
static Store *route(Store *s, const void *key, size_t klen)
{
    if (s->plen != 0 || s->nviews == 0 || klen < 4)
        return s;
    for (int i = 0; i < s->nviews; i++)
        if (memcmp(s->views[i]->prefix, key, 4) == 0)
            return s->views[i];
    return s;
}

int store_get(Store *s, const void *key, size_t klen, StrBuf *out, EddyError *err)
{
    key = phys_key(s, key, &klen);
    s = route(s, key, klen);
    sb_reset(out);
    CacheEntry *e = cache_lookup(&s->cache, key, klen);
    if (e) {
        if (e->tombstone)
            return 0;
        sb_append(out, (const char *)e->val, e->vlen);
        return 1;
    }
    EddyError rerr;
    eddy_error_clear(&rerr);
    int rc = s->db->ops->get(s->db, s->fam, key, klen, out, &rerr);
    if (rc == 1)
        cache_add_clean(&s->cache, key, klen, out->data, out->len);
    if (rc < 0) {
        damaged_hint(s->name, &rerr);
        statedb_note_read_error(s->db, &rerr);
        if (err)
            *err = rerr;
    }
    return rc;
}

int store_put(Store *s, const void *key, size_t klen, const void *val, size_t vlen)
{
    key = phys_key(s, key, &klen);
    s = route(s, key, klen);
    return cache_put(&s->cache, key, klen, NONNULL(val), vlen, false);
}

int store_delete(Store *s, const void *key, size_t klen)
{
    key = phys_key(s, key, &klen);
    s = route(s, key, klen);
    return cache_put(&s->cache, key, klen, EMPTY, 0, true);
}

/* ---- iterators ----------------------------------------------------------- */

static void iter_free_all(StoreIter *it)
{
    sb_free(&it->lo);
    sb_free(&it->hi);
    sb_free(&it->pos);
    sb_free(&it->outk);
    sb_free(&it->outv);
    free(it);
}

static StoreIter *iter_open(Store *s, const void *lo, size_t lolen, const void *hi, size_t hilen,
                            bool reverse)
{
    StateDb *db = s->db;
    pthread_mutex_lock(&db->lock);
    StoreIter *it = db->pool;
    if (it) {
        db->pool = it->next;
        db->npool--;
    }
    pthread_mutex_unlock(&db->lock);
    if (it == NULL) {
        it = calloc(1, sizeof *it);
        if (it == NULL)
            EDDY_PANIC("out of memory");
    }
    it->s = s;
    it->reverse = reverse;
    it->has_lo = lo != NULL;
    it->has_hi = hi != NULL;
    sb_reset(&it->lo);
    sb_reset(&it->hi);
    sb_reset(&it->pos);
    if (s->plen > 0) {
        /* A view scans its own keys only: [prefix + lo, prefix + hi), or
         * up to the next prefix. */
        it->has_lo = it->has_hi = true;
        sb_append(&it->lo, (const char *)s->prefix, s->plen);
        sb_append(&it->hi, (const char *)s->prefix, s->plen);
        if (hi == NULL) {
            for (size_t i = s->plen; i-- > 0;)
                if ((unsigned char)++it->hi.data[i] != 0)
                    break;
        }
    }
    if (lo)
        sb_append(&it->lo, lo, lolen);
    if (hi)
        sb_append(&it->hi, hi, hilen);
    if (s->plen > 0) {
        lo = it->lo.data;
        lolen = it->lo.len;
        hi = it->hi.data;
        hilen = it->hi.len;
    }
    it->db_valid = false;
    it->db_advance = true;    /* the first next() fetches */
    it->ce = NULL;
    it->ce_fresh = false;
    it->has_pos = false;
    it->failed = false;
    it->bi = db->ops->iter_open(db, s->fam, lo, lolen, hi, hilen, reverse);
    pthread_mutex_lock(&db->lock);
    it->prev = NULL;
    it->next = db->iters;
    if (db->iters)
        db->iters->prev = it;
    db->iters = it;
    db->niters++;
    pthread_mutex_unlock(&db->lock);
    return it;
}

StoreIter *store_iter(Store *s, const void *lo, size_t lolen, const void *hi, size_t hilen)
{
    return iter_open(s, lo, lolen, hi, hilen, false);
}

StoreIter *store_iter_reverse(Store *s, const void *lo, size_t lolen, const void *hi, size_t hilen)
{
    return iter_open(s, lo, lolen, hi, hilen, true);
}

/* A backend error ends the iteration for good: returning the cache's
 * entries past it would look like a complete scan that merely ended. */
static void db_fetch(StoreIter *it)
{
    StateDb *db = it->s->db;
    it->db_valid = db->ops->iter_next(it->bi, &it->dk, &it->dkl, &it->dv, &it->dvl);
    if (!it->db_valid) {
        EddyError e;
        eddy_error_clear(&e);
        if (db->ops->iter_error(it->bi, &e) != 0) {
            it->failed = true;
            damaged_hint(it->s->name, &e);
            statedb_note_read_error(db, &e);
        }
    }
}

/* The next dirty entry in iteration order past the position, within bounds. */
static CacheEntry *cache_candidate(StoreIter *it)
{
    const Cache *c = &it->s->cache;
    if (it->ce_fresh && it->ce_gen == c->gen)
        return it->ce;
    CacheEntry *e;
    if (!it->reverse) {
        if (it->has_pos)
            e = cache_dirty_seek(c, it->pos.data, it->pos.len, false);
        else
            e = cache_dirty_seek(c, it->has_lo ? it->lo.data : NULL, it->lo.len, true);
        if (e && it->has_hi
            && cache_key_cmp(cache_entry_key(e), e->klen, it->hi.data, it->hi.len) >= 0)
            e = NULL;
    } else {
        if (it->has_pos)
            e = cache_dirty_seek_before(c, it->pos.data, it->pos.len);
        else
            e = cache_dirty_seek_before(c, it->has_hi ? it->hi.data : NULL, it->hi.len);
        if (e && it->has_lo
            && cache_key_cmp(cache_entry_key(e), e->klen, it->lo.data, it->lo.len) < 0)
            e = NULL;
    }
    it->ce = e;
    it->ce_gen = c->gen;
    it->ce_fresh = true;
    return e;
}

static void set_pos(StoreIter *it, const void *k, size_t klen)
{
    sb_reset(&it->pos);
    sb_append(&it->pos, k, klen);
    it->has_pos = true;
}

bool store_iter_next(StoreIter *it, const void **key, size_t *klen, const void **val, size_t *vlen)
{
    if (it->db_advance) {
        db_fetch(it);
        it->db_advance = false;
    }
    for (;;) {
        if (it->failed)
            return false;
        CacheEntry *c = cache_candidate(it);
        if (c == NULL && !it->db_valid)
            return false;
        int cmp;
        if (c == NULL)
            cmp = 1;
        else if (!it->db_valid)
            cmp = -1;
        else {
            cmp = cache_key_cmp(cache_entry_key(c), c->klen, it->dk, it->dkl);
            if (it->reverse)
                cmp = -cmp;
        }
        size_t plen = it->s->plen;   /* a view's keys come out without its prefix */
        if (cmp > 0) {
            set_pos(it, it->dk, it->dkl);
            *key = (const char *)it->dk + plen;
            *klen = it->dkl - plen;
            *val = it->dv;
            *vlen = it->dvl;
            it->db_advance = true;
            return true;
        }
        if (cmp == 0)
            db_fetch(it);   /* the database's older version is shadowed */
        set_pos(it, cache_entry_key(c), c->klen);
        it->ce_fresh = false;
        if (c->tombstone)
            continue;
        sb_reset(&it->outk);
        sb_append(&it->outk, (const char *)cache_entry_key(c), c->klen);
        sb_reset(&it->outv);
        sb_append(&it->outv, (const char *)c->val, c->vlen);
        *key = it->outk.data + plen;
        *klen = it->outk.len - plen;
        *val = it->outv.data;
        *vlen = it->outv.len;
        return true;
    }
}

int store_iter_error(const StoreIter *it, EddyError *err)
{
    if (!it->failed)
        return 0;
    EddyError e;
    eddy_error_clear(&e);
    it->s->db->ops->iter_error(it->bi, &e);
    damaged_hint(it->s->name, &e);
    if (err)
        *err = e;
    return -1;
}

void store_iter_close(StoreIter *it)
{
    if (it == NULL)
        return;
    StateDb *db = it->s->db;
    db->ops->iter_close(it->bi);
    it->bi = NULL;
    pthread_mutex_lock(&db->lock);
    if (it->prev)
        it->prev->next = it->next;
    else
        db->iters = it->next;
    if (it->next)
        it->next->prev = it->prev;
    db->niters--;
    if (db->npool < ITER_FREE_MAX) {
        it->prev = NULL;
        it->next = db->pool;
        db->pool = it;
        db->npool++;
        it = NULL;
    }
    pthread_mutex_unlock(&db->lock);
    if (it)
        iter_free_all(it);
}

/* ---- cache --------------------------------------------------------------- */

/* Each worker's budget is cache_max_bytes (the first is db->cache). */
bool statedb_cache_full(const StateDb *db)
{
    for (int i = 1; i < STATEDB_MAX_SLOTS; i++)
        if (db->slots[i] && db->slots[i]->dirty_bytes > db->slots[i]->max_bytes)
            return true;
    return db->cache.dirty_bytes > db->cache.max_bytes;
}

size_t statedb_cache_bytes(const StateDb *db)
{
    size_t n = db->cache.dirty_bytes;
    for (int i = 1; i < STATEDB_MAX_SLOTS; i++)
        n += db->slots[i] ? db->slots[i]->dirty_bytes : 0;
    return n;
}

size_t statedb_cache_total_bytes(const StateDb *db)
{
    size_t n = db->cache.total_bytes;
    for (int i = 1; i < STATEDB_MAX_SLOTS; i++)
        n += db->slots[i] ? db->slots[i]->total_bytes : 0;
    return n;
}

int64_t statedb_store_bytes(StateDb *db, const char *name)
{
    pthread_mutex_lock(&db->lock);   /* workers open stores */
    Store *s = strmap_get(db->stores, name);
    StoreFamily *f = s ? s->fam : NULL;
    pthread_mutex_unlock(&db->lock);
    if (f == NULL || db->ops->family_bytes == NULL)
        return -1;
    return (int64_t)db->ops->family_bytes(db, f);
}

/* ---- read errors and writes ---------------------------------------------- */

void statedb_note_read_error(StateDb *db, const EddyError *e)
{
    pthread_mutex_lock(&db->lock);   /* workers read too */
    if (!db->read_failed) {
        db->read_failed = true;
        db->read_error = *e;
        if (db->read_error.kind == ERR_NONE)
            db->read_error.kind = ERR_IO;
    }
    pthread_mutex_unlock(&db->lock);
}

int statedb_read_error(const StateDb *db, EddyError *err)
{
    if (!db->read_failed)
        return 0;
    if (err)
        *err = db->read_error;
    return -1;
}

int statedb_batch_write(StateDb *db, BackendBatch *b, EddyError *err)
{
    if (db->write_failed) {
        if (err)
            *err = db->write_error;
        return -1;
    }
    if (db->fail_writes_after == 0)
        return eddy_error(err, ERR_IO, NOPOS,
                          "state store: write failed (injected by statedb_fail_writes_after)");
    if (db->fail_writes_after > 0)
        db->fail_writes_after--;
    /* RocksDB keeps a failed write's error in its log writer, and writing
     * again after one trips an assertion in it (SIGABRT): the first
     * failure ends all writing until the database is reopened. */
    if (db->ops->batch_write(db, b, &db->write_error) == 0)
        return 0;
    db->write_failed = true;
    if (err)
        *err = db->write_error;
    return -1;
}

int statedb_write_error(const StateDb *db, EddyError *err)
{
    if (!db->write_failed)
        return 0;
    if (err)
        *err = db->write_error;
    return -1;
}

void statedb_fail_writes_after(StateDb *db, int n)
{
    db->fail_writes_after = n < 0 ? -1 : n;
}

void statedb_set_restore_batch_bytes(StateDb *db, size_t bytes)
{
    db->restore_batch_bytes = bytes ? bytes : STATEDB_RESTORE_BATCH_BYTES;
}

/* ---- offsets ------------------------------------------------------------- */

static void put_i32(unsigned char *p, int32_t v)
{
    uint32_t u = (uint32_t)v ^ 0x80000000U;
    p[0] = (unsigned char)(u >> 24);
    p[1] = (unsigned char)(u >> 16);
    p[2] = (unsigned char)(u >> 8);
    p[3] = (unsigned char)u;
}

static int32_t get_i32(const unsigned char *p)
{
    uint32_t u = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    return (int32_t)(u ^ 0x80000000U);
}

void statedb_offsets_key(StrBuf *k, const char *scope, const char *topic, int32_t partition)
{
    unsigned char p[4];
    sb_reset(k);
    sb_append(k, scope, strlen(scope) + 1);   /* with its NUL: the separator */
    sb_append(k, topic, strlen(topic) + 1);
    put_i32(p, partition);
    sb_append(k, (const char *)p, 4);
}

bool statedb_offsets_decode(const void *k, size_t klen, const void *v, size_t vlen,
                            OffsetsEntry *out)
{
    const char *key = k;
    const char *z = memchr(key, 0, klen);
    if (z == NULL || z == key)
        return false;
    memset(out, 0, sizeof *out);
    out->scope_len = (size_t)(z - key);
    const char *topic = z + 1;
    size_t rest = klen - out->scope_len - 1;
    if (rest == 0) {
        out->marker = true;
        return true;
    }
    if (rest == 2 && topic[0] == '\0' && (topic[1] == '\x01' || topic[1] == '\x02')) {
        if (vlen != 8)
            return false;
        out->checkpoint_id = topic[1] == '\x01';
        out->tasks = topic[1] == '\x02';
        out->offset = keycodec_get_i64(v);
        return true;
    }
    if (rest == 1 && topic[0] == '\0') {
        if (vlen != 8)
            return false;
        out->generation = true;
        out->offset = keycodec_get_i64(v);
        return true;
    }
    const char *tz = memchr(topic, 0, rest);
    if (tz == NULL || tz == topic || rest - (size_t)(tz - topic) != 5 || vlen != 8)
        return false;
    out->topic = topic;
    out->partition = get_i32((const unsigned char *)tz + 1);
    out->offset = keycodec_get_i64(v);
    return true;
}

/* ---- the checkpoint ------------------------------------------------------ */

int statedb_checkpoint(StateDb *db, const char *const *scopes, const TopicPartitionOffset *offs,
                       int n, EddyError *err)
{
    if (db->niters > 0)
        return eddy_error(err, ERR_INTERNAL, NOPOS,
                          "checkpoint while %d state iterator(s) are open", db->niters);
    if (db->write_failed) {
        if (err)
            *err = db->write_error;
        return -1;
    }
    if (db->read_failed)
        return eddy_error(err, ERR_IO, NOPOS,
                          "state store: no checkpoint after a failed read (%s); state computed "
                          "since the last checkpoint may be wrong: reopen the state directory",
                          db->read_error.msg);
    for (int i = 0; i < n; i++)
        if (scopes[i] == NULL || offs[i].topic == NULL)
            return eddy_error(err, ERR_INTERNAL, NOPOS, "checkpoint: offset %d has no %s", i,
                              scopes[i] ? "topic" : "scope");
    if (n == 0 && statedb_cache_bytes(db) == 0)
        return 0;
    const StateDbOps *ops = db->ops;
    BackendBatch *b = ops->batch_create(db);
    size_t i = 0;
    const char *name;
    void *val;
    while (strmap_next(db->stores, &i, &name, &val)) {
        Store *whole = val;
        for (int v = -1; v < whole->nviews; v++) {
            Store *s = v < 0 ? whole : whole->views[v];
            for (CacheEntry *e = s->cache.head[0]; e; e = e->fwd[0]) {
                if (e->tombstone)
                    ops->batch_delete(b, s->fam, cache_entry_key(e), e->klen);
                else
                    ops->batch_put(b, s->fam, cache_entry_key(e), e->klen, e->val, e->vlen);
            }
        }
    }
    StrBuf k;
    sb_init(&k);
    for (int j = 0; j < n; j++) {
        unsigned char v[8];
        statedb_offsets_key(&k, scopes[j], offs[j].topic, offs[j].partition);
        keycodec_put_i64(v, offs[j].offset);
        ops->batch_put(b, db->offsets, k.data, k.len, v, 8);
    }
    sb_free(&k);
    /* Each scope's checkpoint id, once (scopes come grouped per query). */
    int64_t id = statedb_record_next(db);
    const char **ids = calloc((size_t)n + 1, sizeof *ids);
    int nids = 0;
    if (ids == NULL)
        EDDY_PANIC("out of memory");
    for (int j = 0; j < n && statedb_record_attached(db); j++) {
        bool seen = false;
        for (int m = nids - 1; m >= 0 && !seen; m--)
            seen = strcmp(ids[m], scopes[j]) == 0;
        if (!seen) {
            ids[nids++] = scopes[j];
            statedb_record_put(db, b, scopes[j], id);
        }
    }
    int rc = statedb_batch_write(db, b, err);
    ops->batch_destroy(b);
    if (rc == 0) {
        i = 0;
        while (strmap_next(db->stores, &i, &name, &val)) {
            Store *whole = val;
            cache_checkpointed(&whole->cache);
            for (int v = 0; v < whole->nviews; v++)
                cache_checkpointed(&whole->views[v]->cache);
        }
        if (nids > 0)
            rc = statedb_record_commit(db, ids, nids, id, err);
    }
    free(ids);
    return rc;
}

int statedb_scope_dirty(StateDb *db, const char *scope, bool entries, StateEntryFn fn, void *ud)
{
    size_t len = strlen(scope), i = 0;
    const char *name;
    void *val;
    while (strmap_next(db->stores, &i, &name, &val)) {
        Store *whole = val;
        if (strncmp(name, scope, len) != 0 || name[len] != '.')
            continue;
        int rc = fn(ud, name, -1, NULL, 0, NULL, 0);
        for (int v = -1; v < whole->nviews && entries && rc == 0; v++) {
            Store *s = v < 0 ? whole : whole->views[v];
            int task = v < 0 ? -1 : (int)be32_get(s->prefix);
            for (CacheEntry *e = s->cache.head[0]; e && rc == 0; e = e->fwd[0])
                rc = fn(ud, name, task, cache_entry_key(e), e->klen,
                        e->tombstone ? NULL : e->val, e->tombstone ? 0 : e->vlen);
        }
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int any_entry(void *ud, const char *store, int task, const void *key, size_t klen,
                     const void *val, size_t vlen)
{
    (void)ud, (void)store, (void)task, (void)klen, (void)val, (void)vlen;
    return key != NULL;
}

bool statedb_scope_has_dirty(StateDb *db, const char *scope)
{
    return statedb_scope_dirty(db, scope, true, any_entry, NULL) != 0;
}

void statedb_scope_range(StrBuf *lo, StrBuf *hi, const char *scope)
{
    size_t n = strlen(scope);
    sb_append(lo, scope, n + 1);
    sb_append(hi, scope, n);
    sb_putc(hi, 0x01);
}

int statedb_read_offsets(StateDb *db, const char *scope, TopicPartitionOffset **offs, int *n,
                         EddyError *err)
{
    StrBuf lo, hi;
    sb_init(&lo);
    sb_init(&hi);
    statedb_scope_range(&lo, &hi, scope);
    *offs = NULL;
    *n = 0;
    BackendIter *bi = db->ops->iter_open(db, db->offsets, lo.data, lo.len, hi.data, hi.len, false);
    TopicPartitionOffset *v = NULL;
    int count = 0, cap = 0, rc = 0;
    const void *k, *val;
    size_t klen, vlen;
    while (db->ops->iter_next(bi, &k, &klen, &val, &vlen)) {
        OffsetsEntry e;
        if (!statedb_offsets_decode(k, klen, val, vlen, &e)) {
            rc = eddy_error(err, ERR_IO, NOPOS, "malformed entry in the offsets of '%s'", scope);
            break;
        }
        if (e.marker) {
            rc = eddy_error(err, ERR_IO, NOPOS,
                            "the state of '%s' is half restored from snapshot '%.*s' (the restore "
                            "did not finish): restore it again before running it",
                            scope, (int)vlen, (const char *)val);
            break;
        }
        if (e.generation || e.checkpoint_id || e.tasks)
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 8;
            v = realloc(v, sizeof *v * (size_t)cap);
            if (v == NULL)
                EDDY_PANIC("out of memory");
        }
        v[count].topic = strdup(e.topic);
        if (v[count].topic == NULL)
            EDDY_PANIC("out of memory");
        v[count].partition = e.partition;
        v[count].offset = e.offset;
        count++;
    }
    if (rc == 0)
        rc = db->ops->iter_error(bi, err);
    db->ops->iter_close(bi);
    sb_free(&lo);
    sb_free(&hi);
    if (rc != 0) {
        statedb_free_offsets(v, count);
        return -1;
    }
    *offs = v;
    *n = count;
    return 0;
}

void statedb_free_offsets(TopicPartitionOffset *offs, int n)
{
    if (offs == NULL)
        return;
    for (int i = 0; i < n; i++)
        free((char *)offs[i].topic);
    free(offs);
}

int statedb_delete_offsets(StateDb *db, const char *scope, EddyError *err)
{
    StrBuf lo, hi;
    sb_init(&lo);
    sb_init(&hi);
    statedb_scope_range(&lo, &hi, scope);
    const StateDbOps *ops = db->ops;
    BackendIter *bi = ops->iter_open(db, db->offsets, lo.data, lo.len, hi.data, hi.len, false);
    BackendBatch *b = ops->batch_create(db);
    const void *k, *val;
    size_t klen, vlen;
    int count = 0;
    while (ops->iter_next(bi, &k, &klen, &val, &vlen)) {
        ops->batch_delete(b, db->offsets, k, klen);
        count++;
    }
    int rc = ops->iter_error(bi, err);
    ops->iter_close(bi);
    if (rc == 0 && count > 0)
        rc = statedb_batch_write(db, b, err);
    ops->batch_destroy(b);
    sb_free(&lo);
    sb_free(&hi);
    if (rc == 0)
        rc = statedb_record_forget(db, scope, err);
    return rc;
}

/* The generation entry's key: "scope 0x00 0x00". */
static void generation_key(StrBuf *k, const char *scope)
{
    sb_reset(k);
    sb_append(k, scope, strlen(scope) + 1);
    sb_putc(k, '\0');
}

int statedb_reset_offsets(StateDb *db, const char *scope, const TopicPartitionOffset *offs, int n,
                          int64_t generation, EddyError *err)
{
    if (db->niters > 0)
        return eddy_error(err, ERR_INTERNAL, NOPOS,
                          "cannot reset the offsets of '%s' while %d state iterator(s) are open",
                          scope, db->niters);
    for (int i = 0; i < n; i++)
        if (offs[i].topic == NULL || offs[i].topic[0] == '\0')
            return eddy_error(err, ERR_INTERNAL, NOPOS, "reset offsets: offset %d has no topic", i);
    const StateDbOps *ops = db->ops;
    StrBuf lo, hi, k;
    sb_init(&lo);
    sb_init(&hi);
    sb_init(&k);
    statedb_scope_range(&lo, &hi, scope);
    /* The task count describes the state's layout, which stays. */
    int ntasks = 0;
    if (statedb_read_tasks(db, scope, &ntasks, err) != 0) {
        sb_free(&lo);
        sb_free(&hi);
        sb_free(&k);
        return -1;
    }
    BackendBatch *b = ops->batch_create(db);
    ops->batch_delete_range(b, db->offsets, lo.data, lo.len, hi.data, hi.len);
    unsigned char v[8];
    if (ntasks > 0) {
        statedb_tasks_key(&k, scope);
        keycodec_put_i64(v, ntasks);
        ops->batch_put(b, db->offsets, k.data, k.len, v, 8);
    }
    generation_key(&k, scope);
    keycodec_put_i64(v, generation);
    ops->batch_put(b, db->offsets, k.data, k.len, v, 8);
    for (int i = 0; i < n; i++) {
        statedb_offsets_key(&k, scope, offs[i].topic, offs[i].partition);
        keycodec_put_i64(v, offs[i].offset);
        ops->batch_put(b, db->offsets, k.data, k.len, v, 8);
    }
    /* The offsets now define the scope's state: a new checkpoint id. */
    int64_t id = statedb_record_next(db);
    if (statedb_record_attached(db))
        statedb_record_put(db, b, scope, id);
    int rc = statedb_batch_write(db, b, err);
    ops->batch_destroy(b);
    sb_free(&lo);
    sb_free(&hi);
    sb_free(&k);
    if (rc == 0)
        rc = statedb_record_commit(db, &scope, 1, id, err);
    return rc;
}

/* The 8-byte number kept under key k of the offsets family (0 if none). */
static int read_number(StateDb *db, const StrBuf *k, const char *what, const char *scope,
                       int64_t *out, EddyError *err)
{
    StrBuf v;
    sb_init(&v);
    int rc = db->ops->get(db, db->offsets, k->data, k->len, &v, err);
    *out = 0;
    if (rc == 1 && v.len != 8)
        rc = eddy_error(err, ERR_IO, NOPOS, "malformed %s in the offsets of '%s'", what, scope);
    else if (rc == 1)
        *out = keycodec_get_i64((const unsigned char *)v.data);
    sb_free(&v);
    return rc < 0 ? -1 : 0;
}

int statedb_read_generation(StateDb *db, const char *scope, int64_t *generation, EddyError *err)
{
    StrBuf k;
    sb_init(&k);
    generation_key(&k, scope);
    int rc = read_number(db, &k, "generation", scope, generation, err);
    sb_free(&k);
    return rc;
}

/* ---- a query's task count -------------------------------------------------- */

/* "scope 0x00 0x00 0x02": beside the generation (0x00) and the checkpoint
 * id (0x00 0x01). */
void statedb_tasks_key(StrBuf *k, const char *scope)
{
    sb_reset(k);
    sb_append(k, scope, strlen(scope) + 1);
    sb_putc(k, '\0');
    sb_putc(k, '\x02');
}

int statedb_read_tasks(StateDb *db, const char *scope, int *ntasks, EddyError *err)
{
    StrBuf k;
    sb_init(&k);
    statedb_tasks_key(&k, scope);
    int64_t n;
    int rc = read_number(db, &k, "task count", scope, &n, err);
    *ntasks = rc == 0 && n > 0 && n <= INT32_MAX ? (int)n : 0;
    sb_free(&k);
    return rc;
}

int statedb_write_tasks(StateDb *db, const char *scope, int ntasks, EddyError *err)
{
    if (statedb_write_error(db, err) != 0)
        return -1;
    StrBuf k;
    sb_init(&k);
    statedb_tasks_key(&k, scope);
    unsigned char v[8];
    keycodec_put_i64(v, ntasks);
    BackendBatch *b = db->ops->batch_create(db);
    db->ops->batch_put(b, db->offsets, k.data, k.len, v, 8);
    int rc = statedb_batch_write(db, b, err);
    db->ops->batch_destroy(b);
    sb_free(&k);
    return rc;
}
