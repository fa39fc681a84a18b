/*
 * join_mem.c - the in-memory copy of one side of a stream-stream join's
 * window buffer, so that a probe costs a hash lookup instead of a RocksDB
 * iterator.  The store "join<n>.buf<side>" stays the durable copy (and
 * the one checkpointed); this index is rebuilt from it at start.
 *
 * Invariant: every row buffered in the store whose time is >= the floor
 * is here too, with the same bytes (op_join.c adds, updates and deletes
 * both together), so a probe whose range starts at or after the floor is
 * answered here exactly.  Below the floor rows may be missing: the floor
 * follows stream time (joinmem_evict), so memory holds the recent rows a
 * new record can meet, not the whole grace period; a late record that
 * reaches below it is answered by the store, as before.
 *
 * Rows of a key are kept sorted by (time, sequence), the order of the
 * store's keys, so matches come out in the same order either way.
 * Eviction sweeps every key when as many rows were added since the last
 * sweep as are kept (amortised O(1) a row).
 */
#include "op_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct MemKey {
    char *key;
    size_t klen;
    uint64_t hash;
    JoinMemRow *rows;           /* sorted by (t, seq) */
    int n, cap;
} MemKey;

struct JoinMem {
    MemKey **slots;             /* open addressing; NULL empty, TOMB deleted */
    size_t nslots, used, live_keys;
    int64_t floor;
    long rows, added_since_sweep;
    size_t bytes;
};

static MemKey tomb_key;
#define TOMB (&tomb_key)

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    return h ^ (h >> 29);
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (q == NULL && n > 0)
        EDDY_PANIC("out of memory");
    return q;
}

JoinMem *joinmem_create(int64_t floor)
{
    JoinMem *m = calloc(1, sizeof *m);
    if (m == NULL)
        EDDY_PANIC("out of memory");
    m->floor = floor;
    return m;
}

static void key_free(MemKey *k)
{
    for (int i = 0; i < k->n; i++)
        free(k->rows[i].val);
    free(k->rows);
    free(k->key);
    free(k);
}

void joinmem_destroy(JoinMem *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->nslots; i++)
        if (m->slots[i] && m->slots[i] != TOMB)
            key_free(m->slots[i]);
    free(m->slots);
    free(m);
}

static MemKey **slot_of(JoinMem *m, const char *key, size_t klen, uint64_t h)
{
    if (m->nslots == 0)
        return NULL;
    MemKey **tomb = NULL;
    for (size_t i = h & (m->nslots - 1);; i = (i + 1) & (m->nslots - 1)) {
        MemKey *k = m->slots[i];
        if (k == NULL)
            return tomb ? tomb : &m->slots[i];
        if (k == TOMB) {
            if (tomb == NULL)
                tomb = &m->slots[i];
        } else if (k->hash == h && k->klen == klen && memcmp(k->key, key, klen) == 0) {
            return &m->slots[i];
        }
    }
}

static MemKey *lookup(JoinMem *m, const char *key, size_t klen)
{
    MemKey **s = slot_of(m, key, klen, hash_bytes(key, klen));
    return s && *s && *s != TOMB ? *s : NULL;
}

static void grow(JoinMem *m)
{
    size_t old_n = m->nslots;
    MemKey **old = m->slots;
    m->nslots = old_n ? (m->live_keys * 4 > old_n ? old_n * 2 : old_n) : 64;
    m->slots = calloc(m->nslots, sizeof *m->slots);
    if (m->slots == NULL)
        EDDY_PANIC("out of memory");
    m->used = 0;
    for (size_t i = 0; i < old_n; i++)
        if (old[i] && old[i] != TOMB) {
            *slot_of(m, old[i]->key, old[i]->klen, old[i]->hash) = old[i];
            m->used++;
        }
    free(old);
}

static MemKey *lookup_or_add(JoinMem *m, const char *key, size_t klen)
{
    if ((m->used + 1) * 2 > m->nslots)
        grow(m);
    uint64_t h = hash_bytes(key, klen);
    MemKey **s = slot_of(m, key, klen, h);
    if (*s && *s != TOMB)
        return *s;
    MemKey *k = calloc(1, sizeof *k);
    if (k == NULL || (k->key = malloc(klen ? klen : 1)) == NULL)
        EDDY_PANIC("out of memory");
    memcpy(k->key, key, klen);
    k->klen = klen;
    k->hash = h;
    if (*s == NULL)
        m->used++;
    *s = k;
    m->live_keys++;
    return k;
}

/* The index of the first row at or after (t, seq). */
static int lower_bound(const MemKey *k, int64_t t, int64_t seq)
{
    int lo = 0, hi = k->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        const JoinMemRow *r = &k->rows[mid];
        if (r->t < t || (r->t == t && r->seq < seq))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int64_t joinmem_floor(const JoinMem *m)
{
    return m->floor;
}

long joinmem_rows(const JoinMem *m)
{
    return m->rows;
}

void joinmem_add(JoinMem *m, const char *key, size_t klen, int64_t t, int64_t seq, const void *val,
                 size_t vlen)
{
    if (t < m->floor)
        return;   /* below the floor: the store alone holds it */
    MemKey *k = lookup_or_add(m, key, klen);
    if (k->n == k->cap) {
        k->cap = k->cap ? k->cap * 2 : 4;
        k->rows = xrealloc(k->rows, sizeof *k->rows * (size_t)k->cap);
    }
    int at = k->n;
    if (at > 0) {
        const JoinMemRow *last = &k->rows[at - 1];
        if (last->t > t || (last->t == t && last->seq > seq))
            at = lower_bound(k, t, seq);   /* an out-of-order row */
    }
    memmove(&k->rows[at + 1], &k->rows[at], sizeof *k->rows * (size_t)(k->n - at));
    JoinMemRow *r = &k->rows[at];
    r->t = t;
    r->seq = seq;
    r->vlen = vlen;
    r->val = malloc(vlen ? vlen : 1);
    if (r->val == NULL)
        EDDY_PANIC("out of memory");
    memcpy(r->val, val, vlen);
    k->n++;
    m->rows++;
    m->added_since_sweep++;
    m->bytes += vlen;
}

static JoinMemRow *find_row(JoinMem *m, const char *key, size_t klen, int64_t t, int64_t seq,
                            MemKey **kout)
{
    MemKey *k = lookup(m, key, klen);
    if (k == NULL)
        return NULL;
    int i = lower_bound(k, t, seq);
    if (i >= k->n || k->rows[i].t != t || k->rows[i].seq != seq)
        return NULL;
    if (kout)
        *kout = k;
    return &k->rows[i];
}

void joinmem_update(JoinMem *m, const char *key, size_t klen, int64_t t, int64_t seq,
                    const void *val, size_t vlen)
{
    JoinMemRow *r = find_row(m, key, klen, t, seq, NULL);
    if (r == NULL)
        return;
    if (vlen != r->vlen)
        r->val = xrealloc(r->val, vlen ? vlen : 1);
    m->bytes += vlen - r->vlen;
    memcpy(r->val, val, vlen);
    r->vlen = vlen;
}

static void drop_key_if_empty(JoinMem *m, MemKey *k)
{
    if (k->n > 0)
        return;
    MemKey **s = slot_of(m, k->key, k->klen, k->hash);
    *s = TOMB;
    m->live_keys--;
    key_free(k);
}

void joinmem_remove(JoinMem *m, const char *key, size_t klen, int64_t t, int64_t seq)
{
    MemKey *k = NULL;
    JoinMemRow *r = find_row(m, key, klen, t, seq, &k);
    if (r == NULL)
        return;
    free(r->val);
    m->bytes -= r->vlen;
    int i = (int)(r - k->rows);
    memmove(&k->rows[i], &k->rows[i + 1], sizeof *k->rows * (size_t)(k->n - i - 1));
    k->n--;
    m->rows--;
    drop_key_if_empty(m, k);
}

int joinmem_find(JoinMem *m, const char *key, size_t klen, int64_t lo, int64_t hi,
                 const JoinMemRow **rows)
{
    MemKey *k = lookup(m, key, klen);
    if (k == NULL)
        return 0;
    int a = lower_bound(k, lo, INT64_MIN), b = a;
    while (b < k->n && k->rows[b].t <= hi)
        b++;
    *rows = &k->rows[a];
    return b - a;
}

void joinmem_evict(JoinMem *m, int64_t floor)
{
    if (floor <= m->floor)
        return;
    m->floor = floor;
    if (m->added_since_sweep < 1024 || m->added_since_sweep < m->rows / 2)
        return;   /* rows below the floor may stay a while: harmless */
    m->added_since_sweep = 0;
    for (size_t i = 0; i < m->nslots; i++) {
        MemKey *k = m->slots[i];
        if (k == NULL || k == TOMB)
            continue;
        int cut = lower_bound(k, floor, INT64_MIN);
        if (cut == 0)
            continue;
        for (int r = 0; r < cut; r++) {
            m->bytes -= k->rows[r].vlen;
            free(k->rows[r].val);
        }
        memmove(k->rows, k->rows + cut, sizeof *k->rows * (size_t)(k->n - cut));
        k->n -= cut;
        m->rows -= cut;
        drop_key_if_empty(m, k);
    }
    /* tombstones pile up as keys come and go: rebuild when they dominate */
    if (m->used > 2 * m->live_keys + 64)
        grow(m);
}
