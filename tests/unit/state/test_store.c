/* test_store.c - state stores: the same tests against RocksDB and the
 * in-memory twin (get/put/delete through the cache, ordered and reverse
 * iteration merging cache and database, cache_full and eviction, offsets,
 * drop, a randomized comparison with a model), then RocksDB alone: crash
 * without flush and reopen, a child SIGKILLed in the middle of a series of
 * checkpoints (state and offsets must agree after reopen), snapshots, read
 * errors from damaged files. */
#define _GNU_SOURCE
#include "eddy/codec.h"
#include "eddy/store.h"
#include "testutil.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char tmp_root[] = "/tmp/eddy-test-store-XXXXXX";
static int tmp_seq;

static uint64_t rng_state = 0x243f6a8885a308d3ULL;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int rnd_below(int n)
{
    return (int)(rnd() % (uint64_t)n);
}

/* ---- backends ------------------------------------------------------------- */

typedef struct Backend {
    const char *name;
    StateDb *(*open)(const char *dir, size_t cache_bytes);   /* dir NULL = a new one */
    bool durable;
} Backend;

static char last_dir[4096];

static StateDb *open_memory(const char *dir, size_t cache_bytes)
{
    return statedb_open_memory(cache_bytes);
}

static StateDb *open_rocksdb(const char *dir, size_t cache_bytes)
{
    if (dir == NULL) {
        snprintf(last_dir, sizeof last_dir, "%s/db%d", tmp_root, ++tmp_seq);
        dir = last_dir;
    }
    EddyError err;
    StateDb *db = statedb_open(dir, cache_bytes, &err);
    if (db == NULL)
        fprintf(stderr, "statedb_open(%s): %s\n", dir, err.msg);
    return db;
}

static const Backend BACKENDS[] = {
    {"memory", open_memory, false},
    {"rocksdb", open_rocksdb, true},
};

/* ---- helpers -------------------------------------------------------------- */

static void put(Store *s, const char *k, const char *v)
{
    CHECK_EQ_INT(store_put(s, k, strlen(k), v, strlen(v)), 0);
}

/* The value as a string, or "<absent>". */
static const char *get(Store *s, const char *k)
{
    static StrBuf out;
    EddyError err;
    int rc = store_get(s, k, strlen(k), &out, &err);
    if (rc < 0)
        return "<error>";
    return rc ? out.data : "<absent>";
}

/* "k=v,k=v" of an iterator, which it closes. */
static const char *drain(StoreIter *it)
{
    static StrBuf out;
    sb_reset(&out);
    sb_puts(&out, "");
    const void *k, *v;
    size_t kl, vl;
    while (store_iter_next(it, &k, &kl, &v, &vl)) {
        if (out.len)
            sb_putc(&out, ',');
        sb_append(&out, k, kl);
        sb_putc(&out, '=');
        sb_append(&out, v, vl);
    }
    CHECK_EQ_INT(store_iter_error(it, NULL), 0);
    store_iter_close(it);
    return out.data;
}

static const char *scan(Store *s, const char *lo, const char *hi, bool reverse)
{
    size_t ll = lo ? strlen(lo) : 0, hl = hi ? strlen(hi) : 0;
    return drain(reverse ? store_iter_reverse(s, lo, ll, hi, hl) : store_iter(s, lo, ll, hi, hl));
}

static int checkpoint0(StateDb *db)
{
    EddyError err;
    int rc = statedb_checkpoint(db, NULL, NULL, 0, &err);
    if (rc != 0)
        fprintf(stderr, "checkpoint: %s\n", err.msg);
    return rc;
}

/* ---- generic tests (both backends) ----------------------------------------- */

static void test_get_put_delete(StateDb *db)
{
    EddyError err;
    Store *s = statedb_store(db, "q1.agg", &err);
    CHECK(s != NULL);
    CHECK(statedb_store(db, "q1.agg", &err) == s);
    CHECK_STR(store_name(s), "q1.agg");
    CHECK(statedb_store(db, "offsets", &err) == NULL);
    CHECK(statedb_store(db, "default", &err) == NULL);
    CHECK(statedb_store(db, "", &err) == NULL);

    CHECK_STR(get(s, "a"), "<absent>");
    put(s, "a", "1");
    CHECK_STR(get(s, "a"), "1");
    put(s, "a", "22");
    CHECK_STR(get(s, "a"), "22");
    CHECK_EQ_INT(store_delete(s, "a", 1), 0);
    CHECK_STR(get(s, "a"), "<absent>");
    put(s, "a", "a much longer value than before, so the entry's value room must grow");
    CHECK_STR(get(s, "a"), "a much longer value than before, so the entry's value room must grow");
    put(s, "a", "333");
    CHECK(statedb_cache_bytes(db) > 0);
    CHECK_EQ_INT(checkpoint0(db), 0);
    CHECK_EQ_INT(statedb_cache_bytes(db), 0);
    CHECK(!statedb_cache_full(db));
    CHECK_STR(get(s, "a"), "333");
    CHECK_EQ_INT(store_delete(s, "a", 1), 0);
    CHECK_STR(get(s, "a"), "<absent>");
    CHECK_EQ_INT(checkpoint0(db), 0);
    CHECK_STR(get(s, "a"), "<absent>");

    /* Empty values, binary keys with NUL bytes, an empty key. */
    StrBuf out;
    sb_init(&out);
    CHECK_EQ_INT(store_put(s, "e", 1, "", 0), 0);
    CHECK_EQ_INT(store_get(s, "e", 1, &out, &err), 1);
    CHECK_EQ_INT(out.len, 0);
    CHECK_EQ_INT(store_put(s, "k\0x", 3, "v1", 2), 0);
    CHECK_EQ_INT(store_put(s, "k\0y", 3, "v2", 2), 0);
    CHECK_EQ_INT(store_put(s, "", 0, "root", 4), 0);
    CHECK_EQ_INT(checkpoint0(db), 0);
    CHECK_EQ_INT(store_get(s, "k\0x", 3, &out, &err), 1);
    CHECK_STR(out.data, "v1");
    CHECK_EQ_INT(store_get(s, "k\0y", 3, &out, &err), 1);
    CHECK_STR(out.data, "v2");
    CHECK_EQ_INT(store_get(s, "k", 1, &out, &err), 0);
    CHECK_EQ_INT(out.len, 0);
    CHECK_EQ_INT(store_get(s, "", 0, &out, &err), 1);
    CHECK_STR(out.data, "root");
    CHECK_EQ_INT(store_get(s, "e", 1, &out, &err), 1);
    CHECK_EQ_INT(out.len, 0);

    /* Stores are separate. */
    Store *t = statedb_store(db, "q2.agg", &err);
    CHECK(t != NULL && t != s);
    CHECK_STR(get(t, "e"), "<absent>");
    put(t, "e", "other");
    CHECK_EQ_INT(checkpoint0(db), 0);
    CHECK_STR(get(t, "e"), "other");
    CHECK_EQ_INT(store_get(s, "e", 1, &out, &err), 1);
    CHECK_EQ_INT(out.len, 0);
    sb_free(&out);
}

static void test_iteration(StateDb *db)
{
    EddyError err;
    Store *s = statedb_store(db, "q1.iter", &err);
    put(s, "b", "1");
    put(s, "d", "1");
    put(s, "f", "1");
    put(s, "h", "1");
    CHECK_EQ_INT(checkpoint0(db), 0);
    /* Now in the database; the cache changes some of it. */
    put(s, "c", "2");
    store_delete(s, "d", 1);
    put(s, "f", "2");
    put(s, "a", "2");
    put(s, "g", "2");
    store_delete(s, "zz", 2);   /* deleting an absent key */
    for (int round = 0; round < 2; round++) {
        CHECK_STR(scan(s, NULL, NULL, false), "a=2,b=1,c=2,f=2,g=2,h=1");
        CHECK_STR(scan(s, "b", "f", false), "b=1,c=2");
        CHECK_STR(scan(s, "c", NULL, false), "c=2,f=2,g=2,h=1");
        CHECK_STR(scan(s, NULL, "c", false), "a=2,b=1");
        CHECK_STR(scan(s, "bb", "ff", false), "c=2,f=2");
        CHECK_STR(scan(s, "d", "e", false), "");
        CHECK_STR(scan(s, "f", "b", false), "");
        CHECK_STR(scan(s, NULL, NULL, true), "h=1,g=2,f=2,c=2,b=1,a=2");
        CHECK_STR(scan(s, "b", "f", true), "c=2,b=1");
        CHECK_STR(scan(s, "b", "g", true), "f=2,c=2,b=1");
        CHECK_STR(scan(s, "bb", NULL, true), "h=1,g=2,f=2,c=2");
        CHECK_STR(scan(s, NULL, "b", true), "a=2");
        CHECK_STR(scan(s, "d", "e", true), "");
        /* "the last key < e" */
        StoreIter *it = store_iter_reverse(s, NULL, 0, "e", 1);
        const void *k, *v;
        size_t kl, vl;
        CHECK(store_iter_next(it, &k, &kl, &v, &vl) && kl == 1 && memcmp(k, "c", 1) == 0);
        store_iter_close(it);
        CHECK_EQ_INT(checkpoint0(db), 0);   /* round 2: the same, all from the database */
    }

    /* Prefixes sort first; windowed keys of one key are contiguous. */
    Store *w = statedb_store(db, "q1.win", &err);
    Value keys[3] = {v_string_borrow("ab", 2), v_string_borrow("a", 1), v_string_borrow("abc", 3)};
    StrBuf k;
    sb_init(&k);
    for (int i = 0; i < 3; i++) {
        for (int64_t ws = -2000; ws <= 2000; ws += 1000) {
            sb_reset(&k);
            keycodec_encode(&keys[i], 1, &k);
            keycodec_window(&k, ws);
            char val[32];
            snprintf(val, sizeof val, "%.*s@%lld", (int)keys[i].u.str.len, keys[i].u.str.ptr,
                     (long long)ws);
            store_put(w, k.data, k.len, val, strlen(val));
        }
        if (i == 1)
            CHECK_EQ_INT(checkpoint0(db), 0);   /* some in the database, some cached */
    }
    /* The windows of "ab" with start in [-1000, 1000]: */
    StrBuf lo, hi;
    sb_init(&lo);
    sb_init(&hi);
    keycodec_encode(&keys[0], 1, &lo);
    keycodec_window(&lo, -1000);
    keycodec_encode(&keys[0], 1, &hi);
    keycodec_window(&hi, 1001);
    StoreIter *it = store_iter(w, lo.data, lo.len, hi.data, hi.len);
    const void *kp, *vp;
    size_t kl, vl;
    StrBuf seen;
    sb_init(&seen);
    while (store_iter_next(it, &kp, &kl, &vp, &vl)) {
        sb_append(&seen, vp, vl);
        sb_putc(&seen, ' ');
    }
    store_iter_close(it);
    CHECK_STR(seen.data, "ab@-1000 ab@0 ab@1000 ");
    /* all of "a" then all of "ab" then all of "abc" */
    it = store_iter(w, NULL, 0, NULL, 0);
    sb_reset(&seen);
    while (store_iter_next(it, &kp, &kl, &vp, &vl)) {
        sb_append(&seen, vp, vl);
        sb_putc(&seen, ' ');
    }
    store_iter_close(it);
    CHECK_STR(seen.data, "a@-2000 a@-1000 a@0 a@1000 a@2000 ab@-2000 ab@-1000 ab@0 ab@1000 "
                         "ab@2000 abc@-2000 abc@-1000 abc@0 abc@1000 abc@2000 ");
    sb_free(&k);
    sb_free(&lo);
    sb_free(&hi);
    sb_free(&seen);
}

static void test_iter_while_writing(StateDb *db)
{
    EddyError err;
    Store *s = statedb_store(db, "q1.mut", &err);
    put(s, "b", "1");
    put(s, "d", "1");
    CHECK_EQ_INT(checkpoint0(db), 0);
    put(s, "f", "1");
    StoreIter *it = store_iter(s, NULL, 0, NULL, 0);
    const void *k, *v;
    size_t kl, vl;
    CHECK(store_iter_next(it, &k, &kl, &v, &vl) && memcmp(k, "b", 1) == 0);
    put(s, "a", "behind");        /* behind the position: not seen */
    put(s, "c", "ahead");         /* ahead: seen */
    store_delete(s, "f", 1);      /* ahead, deleted: hidden */
    put(s, "d", "changed");       /* ahead, changed: the new value */
    CHECK_EQ_INT(statedb_checkpoint(db, NULL, NULL, 0, &err), -1);   /* not while iterating */
    CHECK_EQ_INT(err.kind, ERR_INTERNAL);
    CHECK_EQ_INT(statedb_drop_store(db, "q1.mut", &err), -1);
    StrBuf rest;
    sb_init(&rest);
    while (store_iter_next(it, &k, &kl, &v, &vl)) {
        sb_append(&rest, k, kl);
        sb_putc(&rest, '=');
        sb_append(&rest, v, vl);
        sb_putc(&rest, ' ');
    }
    store_iter_close(it);
    CHECK_STR(rest.data, "c=ahead d=changed ");
    sb_free(&rest);
    CHECK_EQ_INT(checkpoint0(db), 0);
    CHECK_STR(scan(s, NULL, NULL, false), "a=behind,b=1,c=ahead,d=changed");
    /* An open iterator is freed by statedb_close (checked by ASan). */
    (void)store_iter(s, NULL, 0, NULL, 0);
}

/* db opened with a 16 KiB cache. */
static void test_cache_full(StateDb *db)
{
    EddyError err;
    Store *s = statedb_store(db, "q1.big", &err);
    char val[1000], key[16];
    memset(val, 'x', sizeof val);
    int n = 0;
    while (!statedb_cache_full(db) && n < 1000) {
        snprintf(key, sizeof key, "k%04d", n);
        val[0] = (char)('a' + n % 26);
        store_put(s, key, strlen(key), val, sizeof val);
        n++;
    }
    CHECK(statedb_cache_full(db));
    CHECK(n >= 10 && n <= 17);   /* ~1.2 KiB each (value room + overhead) against 16 KiB */
    CHECK(statedb_cache_bytes(db) > 16 * 1024);
    /* Rewriting a cached key does not grow the dirty bytes. */
    size_t before = statedb_cache_bytes(db);
    store_put(s, "k0000", 5, val, sizeof val);
    CHECK_EQ_INT(statedb_cache_bytes(db), before);
    CHECK_EQ_INT(checkpoint0(db), 0);
    CHECK(!statedb_cache_full(db));
    CHECK_EQ_INT(statedb_cache_bytes(db), 0);
    CHECK(statedb_cache_total_bytes(db) <= 16 * 1024);   /* clean entries evicted to budget */
    /* Many more keys than fit: every one reads back (evicted ones from the db). */
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 200; i++) {
            snprintf(key, sizeof key, "k%04d", i);
            val[0] = (char)('A' + (i + round) % 26);
            store_put(s, key, strlen(key), val, 100 + i);
            if (statedb_cache_full(db))
                CHECK_EQ_INT(checkpoint0(db), 0);
        }
        CHECK_EQ_INT(checkpoint0(db), 0);
        int bad = 0;
        StrBuf out;
        sb_init(&out);
        for (int i = 0; i < 200; i++) {
            snprintf(key, sizeof key, "k%04d", i);
            if (store_get(s, key, strlen(key), &out, &err) != 1 || out.len != (size_t)(100 + i)
                || out.data[0] != (char)('A' + (i + round) % 26))
                bad++;
        }
        sb_free(&out);
        CHECK_EQ_INT(bad, 0);
        CHECK(statedb_cache_total_bytes(db) <= 16 * 1024);
    }
    /* A cache of 0 bytes: every dirty write makes it full (ksqlDB's "no caching"). */
}

static void test_offsets(StateDb *db)
{
    EddyError err;
    const char *scopes[] = {"q1", "q1", "q2", "q10", "q1"};
    TopicPartitionOffset offs[] = {
        {"t", 1, 20}, {"t", 0, 10}, {"t", 0, 5}, {"t", 0, 99}, {"t2", -1, 7},
    };
    CHECK_EQ_INT(statedb_checkpoint(db, scopes, offs, 5, &err), 0);
    TopicPartitionOffset *got;
    int n;
    CHECK_EQ_INT(statedb_read_offsets(db, "q1", &got, &n, &err), 0);
    CHECK_EQ_INT(n, 3);
    if (n == 3) {
        CHECK_STR(got[0].topic, "t");
        CHECK_EQ_INT(got[0].partition, 0);
        CHECK_EQ_INT(got[0].offset, 10);
        CHECK_STR(got[1].topic, "t");
        CHECK_EQ_INT(got[1].partition, 1);
        CHECK_EQ_INT(got[1].offset, 20);
        CHECK_STR(got[2].topic, "t2");
        CHECK_EQ_INT(got[2].partition, -1);
        CHECK_EQ_INT(got[2].offset, 7);
    }
    statedb_free_offsets(got, n);
    CHECK_EQ_INT(statedb_read_offsets(db, "q", &got, &n, &err), 0);
    CHECK_EQ_INT(n, 0);
    CHECK(got == NULL);
    CHECK_EQ_INT(statedb_read_offsets(db, "q10", &got, &n, &err), 0);
    CHECK(n == 1 && got[0].offset == 99);
    statedb_free_offsets(got, n);

    /* A later checkpoint moves one partition on. */
    TopicPartitionOffset next = {"t", 0, 11};
    const char *q1 = "q1";
    CHECK_EQ_INT(statedb_checkpoint(db, &q1, &next, 1, &err), 0);
    CHECK_EQ_INT(statedb_read_offsets(db, "q1", &got, &n, &err), 0);
    CHECK(n == 3 && got[0].offset == 11 && got[1].offset == 20);
    statedb_free_offsets(got, n);

    CHECK_EQ_INT(statedb_delete_offsets(db, "q1", &err), 0);
    CHECK_EQ_INT(statedb_read_offsets(db, "q1", &got, &n, &err), 0);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(statedb_read_offsets(db, "q2", &got, &n, &err), 0);
    CHECK(n == 1 && got[0].offset == 5);
    statedb_free_offsets(got, n);
    CHECK_EQ_INT(statedb_delete_offsets(db, "nothing", &err), 0);
}

static void test_drop(StateDb *db)
{
    EddyError err;
    Store *s = statedb_store(db, "q9.a", &err);
    put(s, "k", "committed");
    CHECK_EQ_INT(checkpoint0(db), 0);
    put(s, "j", "dirty");
    CHECK(statedb_store(db, "q9.b", &err) != NULL);
    char **names;
    int n = statedb_list_stores(db, &names, &err);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_STR(names[0], "q9.a");
        CHECK_STR(names[1], "q9.b");
    }
    statedb_free_names(names, n);
    size_t dirty = statedb_cache_bytes(db);
    CHECK(dirty > 0);
    CHECK_EQ_INT(statedb_drop_store(db, "q9.a", &err), 0);
    CHECK_EQ_INT(statedb_cache_bytes(db), 0);   /* its dirty entries went with it */
    n = statedb_list_stores(db, &names, &err);
    CHECK(n == 1 && strcmp(names[0], "q9.b") == 0);
    statedb_free_names(names, n);
    s = statedb_store(db, "q9.a", &err);
    CHECK_STR(get(s, "k"), "<absent>");
    CHECK_STR(get(s, "j"), "<absent>");
    CHECK_STR(scan(s, NULL, NULL, false), "");
    CHECK_EQ_INT(statedb_drop_store(db, "never.existed", &err), 0);
    CHECK_EQ_INT(statedb_drop_store(db, "offsets", &err), -1);
}

/* ---- randomized: the store against a model ---------------------------------- */

#define MKEYS 48

typedef struct Model {
    bool present[MKEYS];
    char val[MKEYS][64];
    int vlen[MKEYS];
} Model;

static char mkey[MKEYS][6];
static int mklen[MKEYS];
static int korder[MKEYS];   /* key indexes in bytewise order */

static int mkey_cmp(int a, int b)
{
    int c = memcmp(mkey[a], mkey[b], (size_t)(mklen[a] < mklen[b] ? mklen[a] : mklen[b]));
    return c ? c : mklen[a] - mklen[b];
}

static void make_keys(void)
{
    static const char alpha[] = {0x00, 'a', 'b', (char)0xff};
    for (int i = 0; i < MKEYS; i++) {
    again:
        mklen[i] = rnd_below(5);
        for (int j = 0; j < mklen[i]; j++)
            mkey[i][j] = alpha[rnd_below(4)];
        for (int j = 0; j < i; j++)
            if (mkey_cmp(i, j) == 0)
                goto again;
        korder[i] = i;
    }
    for (int i = 1; i < MKEYS; i++)   /* insertion sort by key */
        for (int j = i; j > 0 && mkey_cmp(korder[j - 1], korder[j]) > 0; j--) {
            int t = korder[j];
            korder[j] = korder[j - 1];
            korder[j - 1] = t;
        }
}

/* Compares a scan of [lo, hi) (key indexes; -1 = unbounded) with the model. */
static int check_scan(Store *s, const Model *m, int lo, int hi, bool reverse)
{
    StoreIter *it = reverse ? store_iter_reverse(s, lo < 0 ? NULL : mkey[lo], lo < 0 ? 0 : (size_t)mklen[lo],
                                                 hi < 0 ? NULL : mkey[hi], hi < 0 ? 0 : (size_t)mklen[hi])
                            : store_iter(s, lo < 0 ? NULL : mkey[lo], lo < 0 ? 0 : (size_t)mklen[lo],
                                         hi < 0 ? NULL : mkey[hi], hi < 0 ? 0 : (size_t)mklen[hi]);
    int want[MKEYS], nw = 0;
    for (int i = 0; i < MKEYS; i++) {
        int k = korder[reverse ? MKEYS - 1 - i : i];
        if (!m->present[k] || (lo >= 0 && mkey_cmp(k, lo) < 0) || (hi >= 0 && mkey_cmp(k, hi) >= 0))
            continue;
        want[nw++] = k;
    }
    int bad = 0, got = 0;
    const void *k, *v;
    size_t kl, vl;
    while (store_iter_next(it, &k, &kl, &v, &vl)) {
        if (got >= nw) {
            bad++;
            break;
        }
        int w = want[got++];
        if (kl != (size_t)mklen[w] || memcmp(k, mkey[w], kl) != 0 || vl != (size_t)m->vlen[w]
            || memcmp(v, m->val[w], vl) != 0)
            bad++;
    }
    if (got != nw)
        bad++;
    store_iter_close(it);
    return bad;
}

/* reopen NULL: the backend cannot survive a close (memory). */
static void test_random_model(const Backend *b)
{
    EddyError err;
    StateDb *db = b->open(NULL, 2048);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", last_dir);
    Store *s = statedb_store(db, "q.rand", &err);
    Model m, committed;
    memset(&m, 0, sizeof m);
    committed = m;
    StrBuf out;
    sb_init(&out);
    int bad = 0, checkpoints = 0, reopens = 0;
    int nops = b->durable ? 8000 : 30000;   /* synced checkpoints and reopens take ms each */
    for (int op = 0; op < nops; op++) {
        int k = rnd_below(MKEYS), r = rnd_below(100);
        if (r < 40) {
            int len = rnd_below(64);
            for (int j = 0; j < len; j++)
                m.val[k][j] = (char)rnd();
            m.vlen[k] = len;
            m.present[k] = true;
            store_put(s, mkey[k], (size_t)mklen[k], m.val[k], (size_t)len);
        } else if (r < 55) {
            m.present[k] = false;
            store_delete(s, mkey[k], (size_t)mklen[k]);
        } else if (r < 85) {
            int rc = store_get(s, mkey[k], (size_t)mklen[k], &out, &err);
            if (rc != (m.present[k] ? 1 : 0)
                || (rc == 1 && (out.len != (size_t)m.vlen[k] || memcmp(out.data, m.val[k], out.len) != 0)))
                bad++;
        } else if (r < 95) {
            int lo = rnd_below(4) ? rnd_below(MKEYS) : -1, hi = rnd_below(4) ? rnd_below(MKEYS) : -1;
            bad += check_scan(s, &m, lo, hi, rnd_below(2));
        } else if (r < 99 || !b->durable) {
            if (checkpoint0(db) != 0)
                bad++;
            committed = m;
            checkpoints++;
        } else {
            /* crash: unflushed writes are lost */
            statedb_close(db);
            db = b->open(dir, 2048);
            s = statedb_store(db, "q.rand", &err);
            m = committed;
            reopens++;
        }
        if (!(statedb_cache_total_bytes(db) <= 2048 || statedb_cache_full(db)))
            bad++;
    }
    bad += check_scan(s, &m, -1, -1, false);
    CHECK_EQ_INT(bad, 0);
    CHECK(checkpoints > 100);
    if (b->durable)
        CHECK(reopens > 20);
    sb_free(&out);
    statedb_close(db);
}

/* ---- RocksDB only -------------------------------------------------------------- */

static int64_t get_i64(Store *s, const char *k)
{
    StrBuf out;
    sb_init(&out);
    int rc = store_get(s, k, strlen(k), &out, NULL);
    int64_t v = rc == 1 && out.len == 8 ? keycodec_get_i64((const unsigned char *)out.data) : -1;
    sb_free(&out);
    return v;
}

static void put_i64(Store *s, const char *k, int64_t v)
{
    unsigned char b[8];
    keycodec_put_i64(b, v);
    store_put(s, k, strlen(k), b, 8);
}

static int64_t read_offset(StateDb *db, const char *scope, int32_t partition)
{
    TopicPartitionOffset *offs;
    int n;
    int64_t v = -1;
    if (statedb_read_offsets(db, scope, &offs, &n, NULL) != 0)
        return -2;
    for (int i = 0; i < n; i++)
        if (offs[i].partition == partition && strcmp(offs[i].topic, "in") == 0)
            v = offs[i].offset;
    statedb_free_offsets(offs, n);
    return v;
}

static void test_crash_reopen(void)
{
    EddyError err;
    StateDb *db = open_rocksdb(NULL, STATEDB_DEFAULT_CACHE_BYTES);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", last_dir);
    Store *s = statedb_store(db, "q1.agg", &err);
    put(s, "a", "1");
    put(s, "b", "1");
    const char *scope = "q1";
    TopicPartitionOffset off = {"in", 0, 42};
    CHECK_EQ_INT(statedb_checkpoint(db, &scope, &off, 1, &err), 0);
    put(s, "a", "2");            /* after the checkpoint: lost in the crash */
    put(s, "c", "2");
    store_delete(s, "b", 1);
    CHECK(statedb_store(db, "q1.later", &err) != NULL);   /* created: a family survives */
    statedb_close(db);           /* no flush = crash */

    /* A second open of the same directory while it is open fails cleanly. */
    db = statedb_open(dir, STATEDB_DEFAULT_CACHE_BYTES, &err);
    CHECK(db != NULL);
    StateDb *twice = statedb_open(dir, STATEDB_DEFAULT_CACHE_BYTES, &err);
    CHECK(twice == NULL);
    CHECK_EQ_INT(err.kind, ERR_IO);
    CHECK(strstr(err.msg, "lock") != NULL || strstr(err.msg, "LOCK") != NULL);

    char **names;
    int n = statedb_list_stores(db, &names, &err);
    CHECK(n == 2 && strcmp(names[0], "q1.agg") == 0 && strcmp(names[1], "q1.later") == 0);
    statedb_free_names(names, n);
    s = statedb_store(db, "q1.agg", &err);
    CHECK_STR(get(s, "a"), "1");
    CHECK_STR(get(s, "b"), "1");
    CHECK_STR(get(s, "c"), "<absent>");
    CHECK_STR(scan(s, NULL, NULL, false), "a=1,b=1");
    CHECK_EQ_INT(read_offset(db, "q1", 0), 42);
    statedb_close(db);

    /* A file where the directory should be: an error, not a crash. */
    char path[4200];
    snprintf(path, sizeof path, "%s/not-a-dir", tmp_root);
    FILE *f = fopen(path, "w");
    if (f)
        fclose(f);
    CHECK(statedb_open(path, 1024, &err) == NULL);
    CHECK_EQ_INT(err.kind, ERR_IO);
}

static void on_alarm(int sig)
{
    (void)sig;
    kill(getpid(), SIGKILL);
}

/* The child: from the counter it finds, checkpoint counter = offset = k for
 * k = k0+1, k0+2, ... until the timer SIGKILLs it mid-series. */
static _Noreturn void child_checkpoints(const char *dir, int delay_us)
{
    EddyError err;
    StateDb *db = statedb_open(dir, 64 * 1024, &err);
    if (db == NULL)
        _exit(2);
    Store *a = statedb_store(db, "q1.counter", &err), *b = statedb_store(db, "q2.counter", &err);
    if (a == NULL || b == NULL)
        _exit(2);
    int64_t k = get_i64(a, "counter");
    if (k < 0)
        k = 0;
    signal(SIGALRM, on_alarm);
    struct itimerval t;
    memset(&t, 0, sizeof t);
    t.it_value.tv_sec = delay_us / 1000000;
    t.it_value.tv_usec = delay_us % 1000000;
    setitimer(ITIMER_REAL, &t, NULL);
    char filler[4096], key[32];
    memset(filler, 'f', sizeof filler);
    const char *scopes[] = {"q1", "q2", "q1"};
    for (;;) {
        k++;
        put_i64(a, "counter", k);
        put_i64(b, "counter", k);
        for (int i = 0; i < 8; i++) {   /* bulk, so batches take a while to write */
            snprintf(key, sizeof key, "fill%03d", (int)((k * 8 + i) % 500));
            store_put(a, key, strlen(key), filler, (size_t)(k * 37 + i * 101) % sizeof filler);
        }
        if (k % 7 == 0)
            store_delete(b, "fill", 4);
        TopicPartitionOffset offs[] = {{"in", 0, k}, {"in", 0, k}, {"in", 1, k}};
        if (statedb_checkpoint(db, scopes, offs, 3, &err) != 0)
            _exit(3);
        if (k > 10000000)
            _exit(4);
    }
}

static void test_kill_during_checkpoints(void)
{
    StateDb *db = open_rocksdb(NULL, STATEDB_DEFAULT_CACHE_BYTES);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", last_dir);
    statedb_close(db);
    int64_t prev = 0;
    for (int round = 0; round < 8; round++) {
        int delay_us = 40000 + rnd_below(120000);
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            /* A fresh process: RocksDB's background threads, started in
             * this one by earlier tests, do not survive a fork. */
            char delay[32];
            snprintf(delay, sizeof delay, "%d", delay_us);
            execl("/proc/self/exe", "test_store", "--checkpoint-child", dir, delay, (char *)NULL);
            _exit(5);
        }
        CHECK(pid > 0);
        int status = 0;
        waitpid(pid, &status, 0);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        EddyError err;
        db = statedb_open(dir, STATEDB_DEFAULT_CACHE_BYTES, &err);
        CHECK(db != NULL);
        if (db == NULL)
            return;
        Store *a = statedb_store(db, "q1.counter", &err), *b = statedb_store(db, "q2.counter", &err);
        int64_t ca = get_i64(a, "counter"), cb = get_i64(b, "counter");
        int64_t o1 = read_offset(db, "q1", 0), o2 = read_offset(db, "q2", 0), o3 = read_offset(db, "q1", 1);
        printf("kill round %d after %d ms: counters %lld %lld, offsets %lld %lld %lld\n", round,
               delay_us / 1000, (long long)ca, (long long)cb, (long long)o1, (long long)o2,
               (long long)o3);
        CHECK(ca > prev);   /* progress: the child checkpointed before it died */
        CHECK_EQ_INT(ca, cb);
        CHECK_EQ_INT(ca, o1);
        CHECK_EQ_INT(ca, o2);
        CHECK_EQ_INT(ca, o3);
        prev = ca;
        statedb_close(db);
    }
}

static void test_snapshot(void)
{
    EddyError err;
    StateDb *db = open_rocksdb(NULL, STATEDB_DEFAULT_CACHE_BYTES);
    Store *s = statedb_store(db, "q1.agg", &err);
    put(s, "a", "at-snapshot");
    const char *scope = "q1";
    TopicPartitionOffset off = {"in", 0, 100};
    CHECK_EQ_INT(statedb_checkpoint(db, &scope, &off, 1, &err), 0);
    put(s, "b", "dirty, not in the snapshot");
    char snap[4200];
    snprintf(snap, sizeof snap, "%s/snap1", tmp_root);
    CHECK_EQ_INT(statedb_snapshot(db, snap, &err), 0);
    CHECK_EQ_INT(statedb_snapshot(db, snap, &err), -1);   /* exists already */
    put(s, "a", "later");
    off.offset = 200;
    CHECK_EQ_INT(statedb_checkpoint(db, &scope, &off, 1, &err), 0);
    statedb_close(db);

    StateDb *old = statedb_open(snap, STATEDB_DEFAULT_CACHE_BYTES, &err);
    CHECK(old != NULL);
    if (old) {
        s = statedb_store(old, "q1.agg", &err);
        CHECK_STR(scan(s, NULL, NULL, false), "a=at-snapshot");
        CHECK_EQ_INT(read_offset(old, "q1", 0), 100);
        statedb_close(old);
    }
    /* The memory twin keeps snapshots by name (test_snapshot.c has more). */
    StateDb *mem = statedb_open_memory(1024);
    CHECK_EQ_INT(statedb_snapshot(mem, snap, &err), 0);
    CHECK_EQ_INT(statedb_snapshot(mem, snap, &err), -1);
    CHECK_EQ_INT(err.kind, ERR_IO);
    statedb_close(mem);
}

/* Flips one byte in the first data block of every SST file of a closed
 * database (a disk that returned bad data). */
static int corrupt_ssts(const char *dir)
{
    char cmd[4200], name[4500];
    snprintf(cmd, sizeof cmd, "ls %s/*.sst", dir);
    FILE *ls = popen(cmd, "r");
    int n = 0;
    while (ls && fgets(name, sizeof name, ls)) {
        name[strcspn(name, "\n")] = 0;
        FILE *f = fopen(name, "r+b");
        int c;
        if (f && fseek(f, 12, SEEK_SET) == 0 && (c = fgetc(f)) != EOF && fseek(f, 12, SEEK_SET) == 0
            && fputc(c ^ 0x55, f) != EOF)
            n++;
        if (f)
            fclose(f);
    }
    if (ls)
        pclose(ls);
    return n;
}

/* A database whose files are damaged: reads fail, a scan stops at the
 * failure (the cache's dirty entries past it are not returned as if the
 * scan were complete), and no checkpoint is taken after it. */
static void test_read_errors(void)
{
    for (int mode = 0; mode < 2; mode++) {   /* 0: a scan fails, 1: a get fails */
        EddyError err;
        StateDb *db = open_rocksdb(NULL, STATEDB_DEFAULT_CACHE_BYTES);
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", last_dir);
        Store *s = statedb_store(db, "q1.agg", &err);
        char k[16];
        for (int i = 0; i < 100; i++) {
            snprintf(k, sizeof k, "k%03d", i);
            put(s, k, "committed");
        }
        const char *scope = "q1";
        TopicPartitionOffset off = {"in", 0, 100};
        CHECK_EQ_INT(statedb_checkpoint(db, &scope, &off, 1, &err), 0);
        char snap[4200];
        snprintf(snap, sizeof snap, "%s.flush", dir);
        CHECK_EQ_INT(statedb_snapshot(db, snap, &err), 0);   /* flushes the memtable to SSTs */
        statedb_close(db);
        CHECK(corrupt_ssts(dir) > 0);

        db = statedb_open(dir, STATEDB_DEFAULT_CACHE_BYTES, &err);
        CHECK(db != NULL);
        if (db == NULL)
            return;
        s = statedb_store(db, "q1.agg", &err);
        put(s, "zz-dirty", "after the damaged part");
        CHECK_EQ_INT(statedb_read_error(db, &err), 0);
        if (mode == 0) {
            StoreIter *it = store_iter(s, NULL, 0, NULL, 0);
            const void *kp, *vp;
            size_t kl, vl;
            int got = 0;
            while (store_iter_next(it, &kp, &kl, &vp, &vl))
                got++;
            CHECK_EQ_INT(got, 0);
            CHECK(!store_iter_next(it, &kp, &kl, &vp, &vl));   /* and stays stopped */
            CHECK_EQ_INT(store_iter_error(it, &err), -1);
            CHECK_EQ_INT(err.kind, ERR_IO);
            CHECK(strstr(err.msg, dir) != NULL);   /* names the damaged file */
            store_iter_close(it);
        } else {
            StrBuf out;
            sb_init(&out);
            CHECK_EQ_INT(store_get(s, "k050", 4, &out, &err), -1);
            CHECK_EQ_INT(err.kind, ERR_IO);
            CHECK_STR(get(s, "zz-dirty"), "after the damaged part");   /* the cache still answers */
            sb_free(&out);
        }
        /* Sticky: the state computed since may be wrong, so no checkpoint. */
        CHECK_EQ_INT(statedb_read_error(db, &err), -1);
        CHECK_EQ_INT(err.kind, ERR_IO);
        CHECK_EQ_INT(statedb_checkpoint(db, &scope, &off, 1, &err), -1);
        CHECK_EQ_INT(err.kind, ERR_IO);
        CHECK(strstr(err.msg, "failed read") != NULL);
        CHECK(statedb_cache_bytes(db) > 0);   /* nothing written, still dirty */
        statedb_close(db);
    }
    /* The memory twin has no read errors. */
    StateDb *mem = statedb_open_memory(1024);
    CHECK_EQ_INT(statedb_read_error(mem, NULL), 0);
    statedb_close(mem);
}

/* ---- speed (informational) ------------------------------------------------------ */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void bench_cache(const Backend *b)
{
    EddyError err;
    StateDb *db = b->open(NULL, STATEDB_DEFAULT_CACHE_BYTES);
    Store *s = statedb_store(db, "q.bench", &err);
    StrBuf out;
    sb_init(&out);
    char key[16], val[24];
    memset(val, 'v', sizeof val);
    const int nkeys = 10000, ops = 500000;
    for (int i = 0; i < nkeys; i++) {
        int kl = snprintf(key, sizeof key, "key%07d", i);
        store_put(s, key, (size_t)kl, val, sizeof val);
    }
    checkpoint0(db);
    double t0 = now_s();
    for (int i = 0; i < ops; i++) {
        int kl = snprintf(key, sizeof key, "key%07d", (int)((uint64_t)i * 7919 % (uint64_t)nkeys));
        store_get(s, key, (size_t)kl, &out, &err);
        out.data[0]++;
        store_put(s, key, (size_t)kl, out.data, out.len);
    }
    double t1 = now_s();
    checkpoint0(db);
    double t2 = now_s();
    printf("%s: cached get+put %.0f ns/pair; checkpoint of %d dirty keys %.1f ms\n", b->name,
           (t1 - t0) / ops * 1e9, nkeys, (t2 - t1) * 1e3);
    sb_free(&out);
    statedb_close(db);
}


/* Task views (statedb_store_task): each task's keys are its own (prefixed
 * in the family), scans see only them, the whole store's views read them
 * all, a checkpoint writes every view's dirty entries, and the task count
 * kept with the offsets survives offset rewrites and is skipped by
 * read_offsets. */
static void test_task_views(StateDb *db)
{
    EddyError err;
    Store *v0 = statedb_store_task(db, "qt.agg", 0, 0, &err);
    Store *v1 = statedb_store_task(db, "qt.agg", 1, 1, &err);
    CHECK(v0 != NULL && v1 != NULL && v0 != v1);
    CHECK(statedb_store_task(db, "qt.agg", 1, 1, &err) == v1);
    CHECK_EQ_INT(store_put(v0, "a", 1, "A0", 2), 0);
    CHECK_EQ_INT(store_put(v0, "c", 1, "C0", 2), 0);
    CHECK_EQ_INT(store_put(v1, "b", 1, "B1", 2), 0);
    CHECK_EQ_INT(store_put(v1, "a", 1, "A1", 2), 0);   /* the same key in another task */
    StrBuf out;
    sb_init(&out);
    CHECK_EQ_INT(store_get(v0, "a", 1, &out, &err), 1);
    CHECK(out.len == 2 && memcmp(out.data, "A0", 2) == 0);
    CHECK_EQ_INT(store_get(v1, "a", 1, &out, &err), 1);
    CHECK(out.len == 2 && memcmp(out.data, "A1", 2) == 0);
    CHECK_EQ_INT(store_get(v0, "b", 1, &out, &err), 0);
    for (int round = 0; round < 2; round++) {   /* from the caches, then from the database */
        StoreIter *it = store_iter(v1, NULL, 0, NULL, 0);
        const void *k, *v;
        size_t kl, vl;
        StrBuf keys;
        sb_init(&keys);
        while (store_iter_next(it, &k, &kl, &v, &vl))
            sb_append(&keys, k, kl);
        store_iter_close(it);
        CHECK(keys.len == 2 && memcmp(keys.data, "ab", 2) == 0);
        sb_free(&keys);
        it = store_iter_reverse(v0, NULL, 0, "c", 1);
        CHECK(store_iter_next(it, &k, &kl, &v, &vl) && kl == 1 && memcmp(k, "a", 1) == 0);
        CHECK(!store_iter_next(it, &k, &kl, &v, &vl));
        store_iter_close(it);
        const char *scope = "qt";
        TopicPartitionOffset off = {"t", 0, 5};
        CHECK_EQ_INT(statedb_checkpoint(db, &scope, &off, 1, &err), 0);
    }
    Store *whole = statedb_store(db, "qt.agg", &err);
    Store **views;
    CHECK_EQ_INT(statedb_store_views(whole, &views), 2);
    CHECK_EQ_INT(store_get(views[1], "b", 1, &out, &err), 1);

    int n = -1;
    CHECK_EQ_INT(statedb_read_tasks(db, "qt", &n, &err), 0);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(statedb_write_tasks(db, "qt", 2, &err), 0);
    CHECK_EQ_INT(statedb_read_tasks(db, "qt", &n, &err), 0);
    CHECK_EQ_INT(n, 2);
    TopicPartitionOffset *got;
    int ng;
    CHECK_EQ_INT(statedb_read_offsets(db, "qt", &got, &ng, &err), 0);
    CHECK(ng == 1 && got[0].offset == 5);
    statedb_free_offsets(got, ng);
    TopicPartitionOffset start = {"t", 0, 3};
    CHECK_EQ_INT(statedb_reset_offsets(db, "qt", &start, 1, 7, &err), 0);
    CHECK_EQ_INT(statedb_read_tasks(db, "qt", &n, &err), 0);
    CHECK_EQ_INT(n, 2);   /* the layout stays with the state */
    CHECK_EQ_INT(statedb_delete_offsets(db, "qt", &err), 0);
    CHECK_EQ_INT(statedb_read_tasks(db, "qt", &n, &err), 0);
    CHECK_EQ_INT(n, 0);
    sb_free(&out);
}

/* Writes through the whole store to a task's keys (a changelog restore or
 * standby catch-up) are what the task's view then reads, whichever cached
 * the key first: a view that cached a key, then the whole store's put and
 * delete of it (before and after a checkpoint); the whole store's read of
 * a view's unwritten entry; a view opened after the whole store cached
 * its keys. */
static void test_views_coherent(StateDb *db)
{
    EddyError err;
    Store *v2 = statedb_store_task(db, "qc.s", 2, 0, &err);
    Store *whole = statedb_store(db, "qc.s", &err);
    const char k2[5] = {0, 0, 0, 2, 'k'}, j2[5] = {0, 0, 0, 2, 'j'};
    for (int ck = 0; ck < 2; ck++) {   /* with and without a checkpoint between */
        put(v2, "k", "old");
        put(v2, "j", "old");
        if (ck)
            CHECK_EQ_INT(checkpoint0(db), 0);
        CHECK_STR(get(v2, "k"), "old");   /* cached by the view */
        CHECK_EQ_INT(store_put(whole, k2, 5, "new", 3), 0);
        CHECK_EQ_INT(store_delete(whole, j2, 5), 0);
        if (ck)
            CHECK_EQ_INT(checkpoint0(db), 0);
        CHECK_STR(get(v2, "k"), "new");
        CHECK_STR(get(v2, "j"), "<absent>");
    }
    put(v2, "m", "unwritten");
    StrBuf out;
    sb_init(&out);
    const char m2[5] = {0, 0, 0, 2, 'm'};
    CHECK_EQ_INT(store_get(whole, m2, 5, &out, &err), 1);
    CHECK(out.len == 9 && memcmp(out.data, "unwritten", 9) == 0);
    /* Task 5's keys cached by the whole store before its view opens. */
    const char k5[5] = {0, 0, 0, 5, 'k'};
    CHECK_EQ_INT(store_put(whole, k5, 5, "one", 3), 0);
    CHECK_EQ_INT(checkpoint0(db), 0);
    CHECK_EQ_INT(store_get(whole, k5, 5, &out, &err), 1);   /* cached clean */
    Store *v5 = statedb_store_task(db, "qc.s", 5, 0, &err);
    put(v5, "k", "two");
    CHECK_EQ_INT(checkpoint0(db), 0);
    CHECK_EQ_INT(store_get(whole, k5, 5, &out, &err), 1);
    CHECK(out.len == 3 && memcmp(out.data, "two", 3) == 0);
    sb_free(&out);
}

/* ---- main ------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--checkpoint-child") == 0)
        child_checkpoints(argv[2], atoi(argv[3]));
    const char *seed = getenv("EDDY_TEST_SEED");
    if (seed)
        rng_state = strtoull(seed, NULL, 0) | 1;
    printf("seed 0x%llx\n", (unsigned long long)rng_state);
    if (mkdtemp(tmp_root) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    make_keys();
    for (size_t i = 0; i < sizeof BACKENDS / sizeof BACKENDS[0]; i++) {
        const Backend *b = &BACKENDS[i];
        printf("backend %s\n", b->name);
        void (*tests[])(StateDb *) = {test_get_put_delete, test_iteration, test_iter_while_writing,
                                      test_offsets, test_drop, test_task_views,
                                      test_views_coherent};
        for (size_t t = 0; t < sizeof tests / sizeof tests[0]; t++) {
            StateDb *db = b->open(NULL, STATEDB_DEFAULT_CACHE_BYTES);
            CHECK(db != NULL);
            if (db == NULL)
                return testutil_done();
            tests[t](db);
            statedb_close(db);
        }
        StateDb *db = b->open(NULL, 16 * 1024);
        test_cache_full(db);
        statedb_close(db);
        db = b->open(NULL, 0);
        Store *s = statedb_store(db, "q.zero", NULL);
        CHECK(!statedb_cache_full(db));
        put(s, "k", "v");
        CHECK(statedb_cache_full(db));
        CHECK_EQ_INT(checkpoint0(db), 0);
        CHECK(!statedb_cache_full(db));
        CHECK_STR(get(s, "k"), "v");
        statedb_close(db);
        test_random_model(b);
        bench_cache(b);
    }
    printf("rocksdb: crash and reopen\n");
    test_crash_reopen();
    printf("rocksdb: SIGKILL during checkpoints\n");
    test_kill_during_checkpoints();
    printf("rocksdb: snapshots\n");
    test_snapshot();
    printf("rocksdb: damaged files\n");
    test_read_errors();
    testutil_rmtree(tmp_root);
    return testutil_done();
}
