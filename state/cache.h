/*
 * cache.h - the write-back cache in front of each store (private to state/).
 *
 * Per store: a chained hash map from key bytes to an entry holding the
 * value bytes and a dirty flag, and a skip list ordering the dirty entries
 * by key (for range scans and for writing them out at a checkpoint).
 * Shared by all stores of a StateDb: the byte budget and one LRU list of
 * the clean entries.
 *
 * Invariants:
 *   - an entry is either dirty (in its cache's skip list, counted in
 *     dirty_bytes) or clean (in the shared LRU list); never both;
 *   - only dirty entries are tombstones (a checkpoint frees tombstones);
 *   - clean entries equal what the database holds, so iterators merge the
 *     database with the dirty entries only;
 *   - dirty entries are freed only by cache_checkpointed and cache_clear,
 *     so a pointer to one stays valid between those calls;
 *   - clean entries are evicted (least recently used first) whenever all
 *     entries together exceed max_bytes; dirty entries never are.
 * One entry is one malloc (header, skip-list tower, key, value room); a
 * value that outgrows its room moves to a malloc'd buffer of its own.
 */
#ifndef EDDY_STATE_CACHE_H
#define EDDY_STATE_CACHE_H

#include "eddy/base.h"

#define CACHE_MAX_LEVEL 16

typedef struct Cache Cache;
typedef struct CacheEntry CacheEntry;

struct CacheEntry {
    CacheEntry *hnext;           /* hash bucket chain */
    CacheEntry *lru_prev, *lru_next;   /* clean entries: the shared LRU list */
    Cache *owner;
    uint64_t hash;
    unsigned char *val;          /* inline room after the key, or malloc'd (val_heap) */
    size_t bytes;                /* what the entry costs the budget */
    uint32_t klen, vlen, vcap;
    uint8_t level;               /* skip-list tower height, 1..CACHE_MAX_LEVEL */
    bool dirty, tombstone, val_heap;
    CacheEntry *fwd[];           /* level pointers, then the key bytes, then value room */
};

static inline const unsigned char *cache_entry_key(const CacheEntry *e)
{
    return (const unsigned char *)&e->fwd[e->level];
}

typedef struct CacheShared {
    size_t max_bytes;
    size_t dirty_bytes, total_bytes;
    CacheEntry *lru_head, *lru_tail;   /* most recently used first */
} CacheShared;

struct Cache {
    CacheShared *shared;
    CacheEntry **buckets;
    size_t mask, count;
    CacheEntry *head[CACHE_MAX_LEVEL];   /* skip list of the dirty entries */
    int level;
    size_t ndirty;
    uint64_t gen;                /* bumped when an entry joins the skip list */
    uint64_t rng;
};

void cache_shared_init(CacheShared *sh, size_t max_bytes);

void cache_init(Cache *c, CacheShared *sh);
/* Frees every entry (dirty ones too) and the table. */
void cache_clear(Cache *c);

/* The entry for key, or NULL; a clean hit becomes most recently used. */
CacheEntry *cache_lookup(Cache *c, const void *key, size_t klen);

/* A dirty write: val (vlen bytes) or a tombstone.  Returns 0, or -1 when
 * klen or vlen does not fit 32 bits. */
int cache_put(Cache *c, const void *key, size_t klen, const void *val, size_t vlen, bool tombstone);

/* Caches a value read from the database (clean), if the key is absent and
 * the entry fits beside the dirty data. */
void cache_add_clean(Cache *c, const void *key, size_t klen, const void *val, size_t vlen);

/* Dirty entries in key order: the first with key >= k (inclusive) or > k;
 * k NULL = the first.  Next: e->fwd[0]. */
CacheEntry *cache_dirty_seek(const Cache *c, const void *k, size_t klen, bool inclusive);
/* The last dirty entry with key < k; k NULL = the last. */
CacheEntry *cache_dirty_seek_before(const Cache *c, const void *k, size_t klen);

/* After the dirty entries were written: tombstones are freed, the rest
 * become clean (most recently used), and the budget is enforced. */
void cache_checkpointed(Cache *c);

/* Bytewise key order, a prefix first (RocksDB's default comparator). */
int cache_key_cmp(const void *a, size_t alen, const void *b, size_t blen);

#endif
