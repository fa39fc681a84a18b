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
 *
 * A snapshot is a deep copy of every family, kept in the MemDb under the
 * snapshot's directory name (nothing touches the disk); snapshot_open
 * gives a StateDb that borrows the copy's families.
 *
 * For tests, statedb_fail_reads makes every read of one family fail, as
 * a damaged file would make RocksDB's (the twin has no files to damage).
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
    StrMap *snapshots;           /* dir -> MemDb* (a deep copy); NULL in a borrowed view */
    bool borrowed;               /* a snapshot's view: families belong to the snapshot */
    char *fail_reads;            /* tests: reads of this family fail (statedb_fail_reads) */
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

static void family_del_range(StoreFamily *f, const void *lo, size_t lolen, const void *hi,
                             size_t hilen)
{
    size_t b = lower_bound(f, lo, lolen, true), e = lower_bound(f, hi, hilen, true);
    if (e <= b)
        return;
    for (size_t i = b; i < e; i++)
        free(f->items[i]);
    memmove(&f->items[b], &f->items[e], sizeof *f->items * (f->n - e));
    f->n -= e - b;
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

static bool read_fails(StateDb *db, const StoreFamily *f)
{
    return mem(db)->fail_reads && strcmp(mem(db)->fail_reads, f->name) == 0;
}

static int mem_get(StateDb *db, StoreFamily *f, const void *k, size_t klen, StrBuf *out,
                   EddyError *err)
{
    sb_reset(out);
    if (read_fails(db, f))
        return eddy_error(err, ERR_IO, NOPOS,
                          "state store: read failed in %s (injected by statedb_fail_reads)", f->name);
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
    bool failed;                 /* statedb_fail_reads: no entry, an error */
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
    it->failed = read_fails(db, f);
    it->next = reverse ? e : b;
    it->end = reverse ? b : e;
    return it;
}

static bool mem_iter_next(BackendIter *it, const void **k, size_t *klen, const void **v,
                          size_t *vlen)
{
    MemKV *kv;
    if (it->failed)
        return false;
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
    if (!it->failed)
        return 0;
    return eddy_error(err, ERR_IO, NOPOS,
                      "state store: iteration failed: injected by statedb_fail_reads");
}

static void mem_iter_close(BackendIter *it)
{
    free(it);
}

/* ---- batches --------------------------------------------------------------- */

typedef enum MemOpKind { MEM_PUT, MEM_DEL, MEM_DEL_RANGE } MemOpKind;

typedef struct MemOp {
    StoreFamily *f;
    MemOpKind kind;
    size_t off, klen, vlen;      /* key then value (range: lo then hi) at data + off */
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

static void batch_add(BackendBatch *b, StoreFamily *f, MemOpKind kind, const void *k, size_t klen,
                      const void *v, size_t vlen)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->ops = realloc(b->ops, sizeof *b->ops * b->cap);
        if (b->ops == NULL)
            EDDY_PANIC("out of memory");
    }
    b->ops[b->n++] = (MemOp){f, kind, b->data.len, klen, vlen};
    sb_append(&b->data, k, klen);
    sb_append(&b->data, v, vlen);
}

static void mem_batch_put(BackendBatch *b, StoreFamily *f, const void *k, size_t klen,
                          const void *v, size_t vlen)
{
    batch_add(b, f, MEM_PUT, k, klen, v, vlen);
}

static void mem_batch_delete(BackendBatch *b, StoreFamily *f, const void *k, size_t klen)
{
    batch_add(b, f, MEM_DEL, k, klen, NULL, 0);
}

static void mem_batch_delete_range(BackendBatch *b, StoreFamily *f, const void *lo, size_t lolen,
                                   const void *hi, size_t hilen)
{
    batch_add(b, f, MEM_DEL_RANGE, lo, lolen, hi, hilen);
}

/* Cannot fail half way (out of memory panics), so all or nothing holds. */
static int mem_batch_write(StateDb *db, BackendBatch *b, EddyError *err)
{
    for (size_t i = 0; i < b->n; i++) {
        const MemOp *op = &b->ops[i];
        const char *k = b->data.data + op->off;
        switch (op->kind) {
        case MEM_PUT:
            family_put(op->f, k, op->klen, k + op->klen, op->vlen);
            break;
        case MEM_DEL:
            family_del(op->f, k, op->klen);
            break;
        case MEM_DEL_RANGE:
            family_del_range(op->f, k, op->klen, k + op->klen, op->vlen);
            break;
        default:
            EDDY_PANIC("memory batch: op kind %d", (int)op->kind);
        }
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

/* ---- snapshots, close ------------------------------------------------------ */

static void memdb_free(MemDb *m)
{
    size_t i = 0;
    const char *name;
    void *val;
    if (!m->borrowed) {
        while (strmap_next(m->families, &i, &name, &val))
            family_free(val);
        strmap_destroy(m->families);
    }
    if (m->snapshots) {
        i = 0;
        while (strmap_next(m->snapshots, &i, &name, &val))
            memdb_free(val);
        strmap_destroy(m->snapshots);
    }
    free(m->fail_reads);
    free(m);
}

static int mem_snapshot(StateDb *db, const char *dir, EddyError *err)
{
    MemDb *m = mem(db);
    if (m->snapshots == NULL)
        return eddy_error(err, ERR_INTERNAL, NOPOS, "snapshot of a snapshot '%s'", dir);
    if (strmap_get(m->snapshots, dir))
        return eddy_error(err, ERR_IO, NOPOS, "snapshot '%s' already exists", dir);
    MemDb *copy = calloc(1, sizeof *copy);
    if (copy == NULL)
        EDDY_PANIC("out of memory");
    copy->families = strmap_create();
    size_t i = 0;
    const char *name;
    void *val;
    while (strmap_next(m->families, &i, &name, &val)) {
        const StoreFamily *f = val;
        StoreFamily *c = calloc(1, sizeof *c);
        if (c == NULL || (c->name = strdup(name)) == NULL
            || (c->items = malloc(sizeof *c->items * (f->n ? f->n : 1))) == NULL)
            EDDY_PANIC("out of memory");
        for (size_t j = 0; j < f->n; j++)
            c->items[j] = kv_new(f->items[j]->key, f->items[j]->klen, f->items[j]->val,
                                 f->items[j]->vlen);
        c->n = c->cap = f->n;
        strmap_put(copy->families, name, c);
    }
    strmap_put(m->snapshots, dir, copy);
    return 0;
}

static const StateDbOps MEMORY_OPS;

static StateDb *mem_snapshot_open(StateDb *db, const char *dir, EddyError *err)
{
    MemDb *snap = mem(db)->snapshots ? strmap_get(mem(db)->snapshots, dir) : NULL;
    if (snap == NULL) {
        eddy_error(err, ERR_IO, NOPOS, "snapshot '%s' does not exist (in-memory state)", dir);
        return NULL;
    }
    StateDb *view = calloc(1, sizeof *view);
    MemDb *m = calloc(1, sizeof *m);
    if (view == NULL || m == NULL)
        EDDY_PANIC("out of memory");
    m->families = snap->families;
    m->borrowed = true;
    if (statedb_init(view, &MEMORY_OPS, m, 0, err) != 0)
        EDDY_PANIC("in-memory snapshot: %s", err ? err->msg : "no offsets family");
    return view;
}

static int mem_snapshot_size(StateDb *db, const char *dir, uint64_t *bytes, uint64_t *own,
                             EddyError *err)
{
    MemDb *snap = mem(db)->snapshots ? strmap_get(mem(db)->snapshots, dir) : NULL;
    if (snap == NULL)
        return eddy_error(err, ERR_IO, NOPOS, "snapshot '%s' does not exist (in-memory state)",
                          dir);
    uint64_t n = 0;
    size_t i = 0;
    void *val;
    while (strmap_next(snap->families, &i, NULL, &val)) {
        const StoreFamily *f = val;
        for (size_t j = 0; j < f->n; j++)
            n += f->items[j]->klen + f->items[j]->vlen;
    }
    *bytes = *own = n;
    return 0;
}

static int mem_snapshot_drop(StateDb *db, const char *dir, EddyError *err)
{
    MemDb *snap = mem(db)->snapshots ? strmap_del(mem(db)->snapshots, dir) : NULL;
    if (snap)
        memdb_free(snap);
    return 0;
}

static void mem_close(StateDb *db)
{
    memdb_free(mem(db));
    free(db);
}

static uint64_t mem_family_bytes(StateDb *db, StoreFamily *f)
{
    (void)db;
    uint64_t n = 0;
    for (size_t i = 0; i < f->n; i++)
        n += f->items[i]->klen + f->items[i]->vlen;
    return n;
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
    .batch_delete_range = mem_batch_delete_range,
    .batch_write = mem_batch_write,
    .batch_destroy = mem_batch_destroy,
    .snapshot = mem_snapshot,
    .snapshot_open = mem_snapshot_open,
    .snapshot_size = mem_snapshot_size,
    .snapshot_drop = mem_snapshot_drop,
    .family_bytes = mem_family_bytes,
    .close = mem_close,
};

StateDb *statedb_open_memory(size_t cache_max_bytes)
{
    StateDb *db = calloc(1, sizeof *db);
    MemDb *m = calloc(1, sizeof *m);
    if (db == NULL || m == NULL)
        EDDY_PANIC("out of memory");
    m->families = strmap_create();
    m->snapshots = strmap_create();
    EddyError err;
    if (statedb_init(db, &MEMORY_OPS, m, cache_max_bytes, &err) != 0)
        EDDY_PANIC("in-memory state: %s", err.msg);
    return db;
}

void statedb_fail_reads(StateDb *db, const char *store)
{
    if (db->ops != &MEMORY_OPS)
        return;
    MemDb *m = mem(db);
    free(m->fail_reads);
    m->fail_reads = store ? strdup(store) : NULL;
}
