/*
 * store_memory.c - the in-memory twin of the RocksDB backend: same
 * families, ordering, atomic batches and iterators; nothing survives
 * statedb_close and "sync" is a no-op.  For eddy test and unit tests.
 *
 * A family is a sorted array of entries (binary search; an insert moves
 * the tail), which is simple and fast enough at test sizes.  Entries are
 * one malloc each (header, key, value).  Writes happen only in
 * batch_write, which statedb.c never calls while a store iterator is open,
 * so an iterator's index range stays valid: it sees the family as of its
 * creation, as a RocksDB iterator does.
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

static const SrcPos NOPOS = {0, 0};

typedef struct MemKV {
    size_t klen, vlen;
    unsigned char *val;          /* after the key */
    unsigned char key[];
} MemKV;

struct StoreFamily {
    char *name;
    MemKV **items;
    size_t n, cap;
};

typedef struct MemDb {
    StrMap *families;            /* name -> StoreFamily* */
} MemDb;

static MemDb *mem(StateDb *db)
{
    return db->impl;
}

/* First index whose key is >= k (inclusive) or > k. */
static size_t lower_bound(const StoreFamily *f, const void *k, size_t klen, bool inclusive)
{
    size_t lo = 0, hi = f->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cache_key_cmp(f->items[mid]->key, f->items[mid]->klen, k, klen);
        if (c < 0 || (c == 0 && !inclusive))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static MemKV *kv_new(const void *k, size_t klen, const void *v, size_t vlen)
{
    MemKV *kv = malloc(sizeof *kv + klen + vlen + 1);
    if (kv == NULL)
        EDDY_PANIC("out of memory");
    kv->klen = klen;
    kv->vlen = vlen;
    if (klen)
        memcpy(kv->key, k, klen);
    kv->val = kv->key + klen;
    if (vlen)
        memcpy(kv->val, v, vlen);
    return kv;
}

static void family_free(StoreFamily *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->items[i]);
    free(f->items);
    free(f->name);
    free(f);
}

static void family_put(StoreFamily *f, const void *k, size_t klen, const void *v, size_t vlen)
{
    size_t i = lower_bound(f, k, klen, true);
    MemKV *kv = kv_new(k, klen, v, vlen);
    if (i < f->n && cache_key_cmp(f->items[i]->key, f->items[i]->klen, k, klen) == 0) {
        free(f->items[i]);
        f->items[i] = kv;
        return;
    }
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 16;
        f->items = realloc(f->items, sizeof *f->items * f->cap);
        if (f->items == NULL)
            EDDY_PANIC("out of memory");
    }
    memmove(&f->items[i + 1], &f->items[i], sizeof *f->items * (f->n - i));
    f->items[i] = kv;
    f->n++;
}

static void family_del(StoreFamily *f, const void *k, size_t klen)
{
    size_t i = lower_bound(f, k, klen, true);
    if (i < f->n && cache_key_cmp(f->items[i]->key, f->items[i]->klen, k, klen) == 0) {
        free(f->items[i]);
        memmove(&f->items[i], &f->items[i + 1], sizeof *f->items * (f->n - i - 1));
        f->n--;
    }
}

/* ---- families -------------------------------------------------------------- */

static StoreFamily *mem_family_open(StateDb *db, const char *name, bool create, EddyError *err)
{
    StoreFamily *f = strmap_get(mem(db)->families, name);
    if (f || !create)
        return f;
    f = calloc(1, sizeof *f);
    if (f == NULL || (f->name = strdup(name)) == NULL)
        EDDY_PANIC("out of memory");
    strmap_put(mem(db)->families, name, f);
    return f;
}

static int mem_family_drop(StateDb *db, StoreFamily *f, EddyError *err)
{
    strmap_del(mem(db)->families, f->name);
    family_free(f);
    return 0;
}

static int mem_list_families(StateDb *db, char ***names, EddyError *err)
{
    StrMap *m = mem(db)->families;
    int n = strmap_count(m);
    char **v = malloc(sizeof *v * (size_t)(n ? n : 1));
    if (v == NULL)
        EDDY_PANIC("out of memory");
    size_t i = 0;
    const char *name;
    void *val;
    int k = 0;
    while (strmap_next(m, &i, &name, &val))
        if ((v[k++] = strdup(name)) == NULL)
            EDDY_PANIC("out of memory");
    *names = v;
    return k;
}

static int mem_get(StateDb *db, StoreFamily *f, const void *k, size_t klen, StrBuf *out,
                   EddyError *err)
{
    sb_reset(out);
    size_t i = lower_bound(f, k, klen, true);
    if (i < f->n && cache_key_cmp(f->items[i]->key, f->items[i]->klen, k, klen) == 0) {
        sb_append(out, (const char *)f->items[i]->val, f->items[i]->vlen);
        return 1;
    }
    return 0;
}

/* ---- iterators ------------------------------------------------------------- */

struct BackendIter {
    StoreFamily *f;
    size_t next, end;            /* forward: next < end; reverse: end < next, next is one past */
    bool reverse;
};

static BackendIter *mem_iter_open(StateDb *db, StoreFamily *f, const void *lo, size_t lolen,
                                  const void *hi, size_t hilen, bool reverse)
{
    BackendIter *it = calloc(1, sizeof *it);
    if (it == NULL)
        EDDY_PANIC("out of memory");
    size_t b = lo ? lower_bound(f, lo, lolen, true) : 0;
    size_t e = hi ? lower_bound(f, hi, hilen, true) : f->n;
    if (e < b)
        e = b;
    it->f = f;
    it->reverse = reverse;
    it->next = reverse ? e : b;
    it->end = reverse ? b : e;
    return it;
}

static bool mem_iter_next(BackendIter *it, const void **k, size_t *klen, const void **v,
                          size_t *vlen)
{
    MemKV *kv;
    if (!it->reverse) {
        if (it->next >= it->end)
            return false;
        kv = it->f->items[it->next++];
    } else {
        if (it->next <= it->end)
            return false;
        kv = it->f->items[--it->next];
    }
    *k = kv->key;
    *klen = kv->klen;
    *v = kv->val;
    *vlen = kv->vlen;
    return true;
}

static int mem_iter_error(const BackendIter *it, EddyError *err)
{
    return 0;
}

static void mem_iter_close(BackendIter *it)
{
    free(it);
}

/* ---- batches --------------------------------------------------------------- */

typedef struct MemOp {
    StoreFamily *f;
    bool del;
    size_t off, klen, vlen;      /* key then value at data + off */
} MemOp;

struct BackendBatch {
    MemOp *ops;
    size_t n, cap;
    StrBuf data;
};

static BackendBatch *mem_batch_create(StateDb *db)
{
    BackendBatch *b = calloc(1, sizeof *b);
    if (b == NULL)
        EDDY_PANIC("out of memory");
    sb_init(&b->data);
    return b;
}

static void batch_add(BackendBatch *b, StoreFamily *f, bool del, const void *k, size_t klen,
                      const void *v, size_t vlen)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->ops = realloc(b->ops, sizeof *b->ops * b->cap);
        if (b->ops == NULL)
            EDDY_PANIC("out of memory");
    }
    b->ops[b->n++] = (MemOp){f, del, b->data.len, klen, vlen};
    sb_append(&b->data, k, klen);
    sb_append(&b->data, v, vlen);
}

static void mem_batch_put(BackendBatch *b, StoreFamily *f, const void *k, size_t klen,
                          const void *v, size_t vlen)
{
    batch_add(b, f, false, k, klen, v, vlen);
}

static void mem_batch_delete(BackendBatch *b, StoreFamily *f, const void *k, size_t klen)
{
    batch_add(b, f, true, k, klen, NULL, 0);
}

/* Cannot fail half way (out of memory panics), so all or nothing holds. */
static int mem_batch_write(StateDb *db, BackendBatch *b, EddyError *err)
{
    for (size_t i = 0; i < b->n; i++) {
        const MemOp *op = &b->ops[i];
        const char *k = b->data.data + op->off;
        if (op->del)
            family_del(op->f, k, op->klen);
        else
            family_put(op->f, k, op->klen, k + op->klen, op->vlen);
    }
    return 0;
}

static void mem_batch_destroy(BackendBatch *b)
{
    if (b == NULL)
        return;
    free(b->ops);
    sb_free(&b->data);
    free(b);
}

static int mem_snapshot(StateDb *db, const char *dir, EddyError *err)
{
    return eddy_error(err, ERR_UNSUPPORTED, NOPOS,
                      "snapshots need the RocksDB state store, not the in-memory one");
}

static void mem_close(StateDb *db)
{
    MemDb *m = mem(db);
    size_t i = 0;
    const char *name;
    void *val;
    while (strmap_next(m->families, &i, &name, &val))
        family_free(val);
    strmap_destroy(m->families);
    free(m);
    free(db);
}

static const StateDbOps MEMORY_OPS = {
    .name = "memory",
    .family_open = mem_family_open,
    .family_drop = mem_family_drop,
    .list_families = mem_list_families,
    .get = mem_get,
    .iter_open = mem_iter_open,
    .iter_next = mem_iter_next,
    .iter_error = mem_iter_error,
    .iter_close = mem_iter_close,
    .batch_create = mem_batch_create,
    .batch_put = mem_batch_put,
    .batch_delete = mem_batch_delete,
    .batch_write = mem_batch_write,
    .batch_destroy = mem_batch_destroy,
    .snapshot = mem_snapshot,
    .close = mem_close,
};

StateDb *statedb_open_memory(size_t cache_max_bytes)
{
    StateDb *db = calloc(1, sizeof *db);
    MemDb *m = calloc(1, sizeof *m);
    if (db == NULL || m == NULL)
        EDDY_PANIC("out of memory");
    m->families = strmap_create();
    EddyError err;
    if (statedb_init(db, &MEMORY_OPS, m, cache_max_bytes, &err) != 0)
        EDDY_PANIC("in-memory state: %s", err.msg);
    return db;
}
