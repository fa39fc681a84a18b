/*
 * cache.c - the write-back cache shared by the stores of a StateDb (see
 * cache.h for its invariants).
 *
 * A get of a cached key is one hash, one chain walk and (for a clean hit)
 * an O(1) move to the front of the LRU list.  A put of a cached key copies
 * into the entry's value room; it allocates only when the value outgrows
 * it.  A key becoming dirty costs one O(log n) skip-list insertion.
 */
#include "cache.h"

#include <stdlib.h>
#include <string.h>

int cache_key_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c != 0)
        return c;
    return (alen > blen) - (alen < blen);
}

static uint64_t hash_key(const unsigned char *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0xff51afd7ed558ccdULL);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 31;
        p += 8;
        n -= 8;
    }
    uint64_t t = 0;
    memcpy(&t, p, n);
    h = (h ^ t) * 0x94d049bb133111ebULL;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    return h ^ (h >> 32);
}

/* ---- shared LRU list of clean entries ---------------------------------- */

void cache_shared_init(CacheShared *sh, size_t max_bytes)
{
    memset(sh, 0, sizeof *sh);
    sh->max_bytes = max_bytes;
}

static void lru_unlink(CacheShared *sh, CacheEntry *e)
{
    if (e->lru_prev)
        e->lru_prev->lru_next = e->lru_next;
    else
        sh->lru_head = e->lru_next;
    if (e->lru_next)
        e->lru_next->lru_prev = e->lru_prev;
    else
        sh->lru_tail = e->lru_prev;
    e->lru_prev = e->lru_next = NULL;
}

static void lru_push_front(CacheShared *sh, CacheEntry *e)
{
    e->lru_prev = NULL;
    e->lru_next = sh->lru_head;
    if (sh->lru_head)
        sh->lru_head->lru_prev = e;
    else
        sh->lru_tail = e;
    sh->lru_head = e;
}

/* ---- entries ----------------------------------------------------------- */

/* Value room with some slack, so an aggregate whose value grows by a byte
 * or two does not reallocate on every update. */
static uint32_t value_room(size_t vlen)
{
    size_t room = vlen + vlen / 8 + 8;
    return room > UINT32_MAX ? (uint32_t)vlen : (uint32_t)room;
}

/* Tower heights with p = 1/4, as in Pugh's paper. */
static int random_level(Cache *c)
{
    c->rng ^= c->rng << 13;
    c->rng ^= c->rng >> 7;
    c->rng ^= c->rng << 17;
    uint64_t r = c->rng;
    int level = 1;
    while (level < CACHE_MAX_LEVEL && (r & 3) == 0) {
        level++;
        r >>= 2;
    }
    return level;
}

static CacheEntry *entry_new(Cache *c, const void *key, size_t klen, uint64_t hash,
                             const void *val, size_t vlen)
{
    int level = random_level(c);
    uint32_t vcap = vlen ? value_room(vlen) : 0;
    size_t size = sizeof(CacheEntry) + sizeof(CacheEntry *) * (size_t)level + klen + vcap;
    CacheEntry *e = malloc(size);
    if (e == NULL)
        EDDY_PANIC("out of memory (%zu bytes)", size);
    memset(e, 0, sizeof *e);
    e->level = (uint8_t)level;
    memset(e->fwd, 0, sizeof(CacheEntry *) * (size_t)level);
    e->owner = c;
    e->hash = hash;
    e->klen = (uint32_t)klen;
    unsigned char *kp = (unsigned char *)&e->fwd[level];
    if (klen)
        memcpy(kp, key, klen);
    e->val = kp + klen;
    e->vcap = vcap;
    e->vlen = (uint32_t)vlen;
    if (vlen)
        memcpy(e->val, val, vlen);
    e->bytes = size;
    return e;
}

static void entry_free(CacheEntry *e)
{
    if (e->val_heap)
        free(e->val);
    free(e);
}

/* Replaces the value; returns the change in e->bytes. */
static ptrdiff_t entry_set_value(CacheEntry *e, const void *val, size_t vlen)
{
    ptrdiff_t delta = 0;
    if (vlen > e->vcap) {
        uint32_t room = value_room(vlen);
        unsigned char *p = e->val_heap ? realloc(e->val, room) : malloc(room);
        if (p == NULL)
            EDDY_PANIC("out of memory (%u bytes)", room);
        delta = e->val_heap ? (ptrdiff_t)room - (ptrdiff_t)e->vcap : (ptrdiff_t)room;
        e->val = p;
        e->val_heap = true;
        e->vcap = room;
        e->bytes += (size_t)delta;
    }
    if (vlen)
        memcpy(e->val, val, vlen);
    e->vlen = (uint32_t)vlen;
    return delta;
}

/* ---- hash table -------------------------------------------------------- */

void cache_init(Cache *c, CacheShared *sh)
{
    memset(c, 0, sizeof *c);
    c->shared = sh;
    c->mask = 63;
    c->buckets = calloc(c->mask + 1, sizeof *c->buckets);
    if (c->buckets == NULL)
        EDDY_PANIC("out of memory");
    c->level = 1;
    c->rng = 0x2545f4914f6cdd1dULL ^ (uint64_t)(uintptr_t)c;
    if (c->rng == 0)
        c->rng = 1;
}

static void table_grow(Cache *c)
{
    size_t nmask = c->mask * 2 + 1;
    CacheEntry **nb = calloc(nmask + 1, sizeof *nb);
    if (nb == NULL)
        EDDY_PANIC("out of memory");
    for (size_t i = 0; i <= c->mask; i++) {
        for (CacheEntry *e = c->buckets[i], *next; e; e = next) {
            next = e->hnext;
            size_t j = e->hash & nmask;
            e->hnext = nb[j];
            nb[j] = e;
        }
    }
    free(c->buckets);
    c->buckets = nb;
    c->mask = nmask;
}

static void table_insert(Cache *c, CacheEntry *e)
{
    if (c->count >= c->mask + 1)
        table_grow(c);
    size_t i = e->hash & c->mask;
    e->hnext = c->buckets[i];
    c->buckets[i] = e;
    c->count++;
}

static void table_remove(Cache *c, CacheEntry *e)
{
    CacheEntry **pp = &c->buckets[e->hash & c->mask];
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    c->count--;
}

static CacheEntry *table_find(const Cache *c, const void *key, size_t klen, uint64_t hash)
{
    for (CacheEntry *e = c->buckets[hash & c->mask]; e; e = e->hnext)
        if (e->hash == hash && e->klen == klen && memcmp(cache_entry_key(e), key, klen) == 0)
            return e;
    return NULL;
}

void cache_clear(Cache *c)
{
    CacheShared *sh = c->shared;
    if (c->buckets == NULL)
        return;
    for (size_t i = 0; i <= c->mask; i++) {
        for (CacheEntry *e = c->buckets[i], *next; e; e = next) {
            next = e->hnext;
            if (e->dirty)
                sh->dirty_bytes -= e->bytes;
            else
                lru_unlink(sh, e);
            sh->total_bytes -= e->bytes;
            entry_free(e);
        }
    }
    free(c->buckets);
    c->buckets = NULL;
    c->count = 0;
    memset(c->head, 0, sizeof c->head);
    c->level = 1;
    c->ndirty = 0;
}

/* ---- skip list of dirty entries ----------------------------------------- */

static int entry_cmp(const CacheEntry *e, const void *k, size_t klen)
{
    return cache_key_cmp(cache_entry_key(e), e->klen, k, klen);
}

static void skip_insert(Cache *c, CacheEntry *e)
{
    CacheEntry **update[CACHE_MAX_LEVEL];
    CacheEntry **fwd = c->head;   /* the forward pointers of the current node */
    const unsigned char *k = cache_entry_key(e);
    for (int i = c->level - 1; i >= 0; i--) {
        while (fwd[i] && entry_cmp(fwd[i], k, e->klen) < 0)
            fwd = fwd[i]->fwd;
        update[i] = fwd;
    }
    if (e->level > c->level) {
        for (int i = c->level; i < e->level; i++)
            update[i] = c->head;
        c->level = e->level;
    }
    for (int i = 0; i < e->level; i++) {
        e->fwd[i] = update[i][i];
        update[i][i] = e;
    }
    c->ndirty++;
    c->gen++;
}

CacheEntry *cache_dirty_seek(const Cache *c, const void *k, size_t klen, bool inclusive)
{
    if (k == NULL)
        return c->head[0];
    CacheEntry *const *fwd = c->head;
    for (int i = c->level - 1; i >= 0; i--) {
        for (;;) {
            CacheEntry *n = fwd[i];
            if (n == NULL)
                break;
            int cmp = entry_cmp(n, k, klen);
            if (cmp < 0 || (cmp == 0 && !inclusive))
                fwd = n->fwd;
            else
                break;
        }
    }
    return fwd[0];
}

CacheEntry *cache_dirty_seek_before(const Cache *c, const void *k, size_t klen)
{
    CacheEntry *last = NULL;
    CacheEntry *const *fwd = c->head;
    for (int i = c->level - 1; i >= 0; i--) {
        while (fwd[i] && (k == NULL || entry_cmp(fwd[i], k, klen) < 0)) {
            last = fwd[i];
            fwd = last->fwd;
        }
    }
    return last;
}

/* ---- the cache operations ----------------------------------------------- */

/* Evicts clean entries, least recently used first, while over budget. */
static void evict(CacheShared *sh)
{
    while (sh->total_bytes > sh->max_bytes && sh->lru_tail) {
        CacheEntry *e = sh->lru_tail;
        lru_unlink(sh, e);
        table_remove(e->owner, e);
        sh->total_bytes -= e->bytes;
        entry_free(e);
    }
}

CacheEntry *cache_lookup(Cache *c, const void *key, size_t klen)
{
    CacheEntry *e = table_find(c, key, klen, hash_key(key, klen));
    if (e && !e->dirty && e != c->shared->lru_head) {
        lru_unlink(c->shared, e);
        lru_push_front(c->shared, e);
    }
    return e;
}

int cache_put(Cache *c, const void *key, size_t klen, const void *val, size_t vlen, bool tombstone)
{
    if (klen > UINT32_MAX || vlen > UINT32_MAX / 2)
        return -1;
    if (tombstone)
        vlen = 0;
    CacheShared *sh = c->shared;
    uint64_t hash = hash_key(key, klen);
    CacheEntry *e = table_find(c, key, klen, hash);
    if (e == NULL) {
        e = entry_new(c, key, klen, hash, val, vlen);
        table_insert(c, e);
        sh->total_bytes += e->bytes;
    } else {
        if (!e->dirty)
            lru_unlink(sh, e);
        else
            sh->dirty_bytes -= e->bytes;
        sh->total_bytes -= e->bytes;
        entry_set_value(e, val, vlen);
        sh->total_bytes += e->bytes;
    }
    e->tombstone = tombstone;
    sh->dirty_bytes += e->bytes;
    if (!e->dirty) {
        e->dirty = true;
        skip_insert(c, e);
    }
    evict(sh);
    return 0;
}

void cache_add_clean(Cache *c, const void *key, size_t klen, const void *val, size_t vlen)
{
    CacheShared *sh = c->shared;
    if (klen > UINT32_MAX || vlen > UINT32_MAX / 2)
        return;
    size_t need = sizeof(CacheEntry) + 2 * sizeof(CacheEntry *) + klen + vlen;
    if (sh->dirty_bytes >= sh->max_bytes || need > sh->max_bytes - sh->dirty_bytes)
        return;
    uint64_t hash = hash_key(key, klen);
    if (table_find(c, key, klen, hash))
        return;
    CacheEntry *e = entry_new(c, key, klen, hash, val, vlen);
    table_insert(c, e);
    sh->total_bytes += e->bytes;
    lru_push_front(sh, e);
    evict(sh);
}

void cache_checkpointed(Cache *c)
{
    CacheShared *sh = c->shared;
    for (CacheEntry *e = c->head[0], *next; e; e = next) {
        next = e->fwd[0];
        memset(e->fwd, 0, sizeof(CacheEntry *) * e->level);
        sh->dirty_bytes -= e->bytes;
        e->dirty = false;
        if (e->tombstone) {
            table_remove(c, e);
            sh->total_bytes -= e->bytes;
            entry_free(e);
        } else {
            lru_push_front(sh, e);
        }
    }
    memset(c->head, 0, sizeof c->head);
    c->level = 1;
    c->ndirty = 0;
    c->gen++;
    evict(sh);
}
