/* test_snapshot.c - snapshots of state: statedb_snapshot_info, statedb_restore_scope
 * and statedb_drop_snapshot against RocksDB and the in-memory twin (two
 * scopes; puts, deletes, a new store and a dropped one after the snapshot;
 * dirty and clean cache entries at restore; restore twice; a write failure
 * after every batch of a restore, then the restore again), then RocksDB
 * alone: a child SIGKILLed in the middle of restores, corrupt and missing
 * snapshots, drop's refusals; the scope's generation (statedb_reset_offsets). */
#define _GNU_SOURCE
#include "eddy/codec.h"
#include "eddy/store.h"
#include "testutil.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char tmp_root[] = "/tmp/eddy-test-snapshot-XXXXXX";
static int tmp_seq;

/* ---- backends ------------------------------------------------------------- */

typedef struct Backend {
    const char *name;
    bool durable;
} Backend;

static const Backend MEMORY = {"memory", false}, ROCKSDB = {"rocksdb", true};

/* A fresh directory name under tmp_root (not created). */
static const char *new_path(const char *what)
{
    static char buf[8][4096];
    static int slot;
    char *p = buf[slot++ % 8];
    snprintf(p, 4096, "%s/%s%d", tmp_root, what, ++tmp_seq);
    return p;
}

static StateDb *open_db(const Backend *b, const char *dir)
{
    if (!b->durable)
        return statedb_open_memory(STATEDB_DEFAULT_CACHE_BYTES);
    EddyError err;
    StateDb *db = statedb_open(dir, STATEDB_DEFAULT_CACHE_BYTES, &err);
    if (db == NULL)
        fprintf(stderr, "statedb_open(%s): %s\n", dir, err.msg);
    return db;
}

/* ---- helpers -------------------------------------------------------------- */

static Store *store(StateDb *db, const char *name)
{
    EddyError err;
    Store *s = statedb_store(db, name, &err);
    if (s == NULL)
        fprintf(stderr, "statedb_store(%s): %s\n", name, err.msg);
    return s;
}

static void put(StateDb *db, const char *st, const char *k, const char *v)
{
    CHECK_EQ_INT(store_put(store(db, st), k, strlen(k), v, strlen(v)), 0);
}

static void del(StateDb *db, const char *st, const char *k)
{
    CHECK_EQ_INT(store_delete(store(db, st), k, strlen(k)), 0);
}

static const char *get(StateDb *db, const char *st, const char *k)
{
    static StrBuf out;
    EddyError err;
    int rc = store_get(store(db, st), k, strlen(k), &out, &err);
    return rc < 0 ? "<error>" : rc ? out.data : "<absent>";
}

/* "k=v,k=v" of a whole store (cache and database merged), appended to out. */
static void dump_store(StateDb *db, const char *name, StrBuf *out)
{
    StoreIter *it = store_iter(store(db, name), NULL, 0, NULL, 0);
    const void *k, *v;
    size_t kl, vl;
    sb_puts(out, name);
    sb_puts(out, ":");
    while (store_iter_next(it, &k, &kl, &v, &vl)) {
        sb_append(out, k, kl);
        sb_putc(out, '=');
        sb_append(out, v, vl);
        sb_putc(out, ',');
    }
    EddyError err;
    if (store_iter_error(it, &err) != 0)
        sb_printf(out, "<error %s>", err.msg);
    store_iter_close(it);
    sb_puts(out, "\n");
}

static void dump_offsets(StateDb *db, const char *scope, StrBuf *out)
{
    TopicPartitionOffset *offs;
    int n;
    EddyError err;
    sb_printf(out, "offsets %s:", scope);
    if (statedb_read_offsets(db, scope, &offs, &n, &err) != 0) {
        sb_printf(out, "<error %s>\n", err.msg);
        return;
    }
    for (int i = 0; i < n; i++)
        sb_printf(out, "%s/%d@%lld,", offs[i].topic, offs[i].partition, (long long)offs[i].offset);
    statedb_free_offsets(offs, n);
    sb_puts(out, "\n");
}

/* Everything db holds for a scope: the names of its stores that have keys,
 * each one's keys, its offsets.  An empty store and a missing one read the
 * same, so empty ones are left out. */
static char *dump_scope(StateDb *db, const char *scope)
{
    StrBuf out, one;
    sb_init(&out);
    sb_init(&one);
    sb_puts(&out, "");
    char **names;
    EddyError err;
    int n = statedb_list_stores(db, &names, &err);
    size_t len = strlen(scope);
    for (int i = 0; i < n; i++) {
        if (strncmp(names[i], scope, len) != 0 || names[i][len] != '.')
            continue;
        sb_reset(&one);
        dump_store(db, names[i], &one);
        if (one.data[one.len - 2] != ':')
            sb_append(&out, one.data, one.len);
    }
    statedb_free_names(names, n);
    dump_offsets(db, scope, &out);
    sb_free(&one);
    return out.data;   /* owned by the caller */
}

/* The scope reads exactly as want. */
#define CHECK_SCOPE(db, scope, want) do { \
    char *got_ = dump_scope(db, scope); \
    CHECK_STR(got_, want); \
    free(got_); \
} while (0)

static int checkpoint(StateDb *db, const char *scope, const char *topic, int partition,
                      int64_t offset)
{
    EddyError err;
    TopicPartitionOffset off = {topic, partition, offset};
    int rc = statedb_checkpoint(db, scope ? &scope : NULL, scope ? &off : NULL, scope ? 1 : 0, &err);
    if (rc != 0)
        fprintf(stderr, "checkpoint: %s\n", err.msg);
    return rc;
}

static bool has_store(StateDb *db, const char *name)
{
    char **names;
    EddyError err;
    int n = statedb_list_stores(db, &names, &err);
    bool found = false;
    for (int i = 0; i < n; i++)
        found |= strcmp(names[i], name) == 0;
    statedb_free_names(names, n);
    return found;
}

/* ---- the scenario --------------------------------------------------------------
 * Scope "qa" (the one restored): qa.agg, qa.join1.left, qa.old (dropped
 * after the snapshot); "qb" and "qa2" (a scope whose name has qa as a
 * prefix) must never change. */

static void fill_snapshot_state(StateDb *db, int nkeys)
{
    char k[32], v[64];
    for (int i = 0; i < nkeys; i++) {
        snprintf(k, sizeof k, "a%04d", i);
        snprintf(v, sizeof v, "agg-%d-at-snapshot", i);
        put(db, "qa.agg", k, v);
        if (i % 3 == 0)
            put(db, "qa.join1.left", k, "left");
    }
    put(db, "qa.old", "x", "only in the snapshot");
    put(db, "qa2.agg", "k", "qa2 before");
    put(db, "qb.agg", "k", "qb before");
    put(db, "qb.agg", "k2", "qb before");
    CHECK_EQ_INT(checkpoint(db, "qa", "t", 0, 100), 0);
    CHECK_EQ_INT(checkpoint(db, "qa", "t", 1, 200), 0);
    CHECK_EQ_INT(checkpoint(db, "qb", "t", 0, 300), 0);
    CHECK_EQ_INT(checkpoint(db, "qa2", "u", 0, 400), 0);
}

/* After the snapshot: puts, deletes, a new store, a dropped one, offsets
 * moved on; then dirty and clean cache entries on top. */
static void change_state(StateDb *db, int nkeys, int round)
{
    char k[32], v[64];
    EddyError err;
    for (int i = 0; i < nkeys; i += 2) {
        snprintf(k, sizeof k, "a%04d", i);
        snprintf(v, sizeof v, "agg-%d-changed-%d", i, round);
        put(db, "qa.agg", k, v);
    }
    for (int i = 1; i < nkeys; i += 4) {
        snprintf(k, sizeof k, "a%04d", i);
        del(db, "qa.agg", k);
    }
    put(db, "qa.agg", "zz-new", "after the snapshot");
    put(db, "qa.new", "n", "a store created after the snapshot");
    CHECK_EQ_INT(statedb_drop_store(db, "qa.old", &err), 0);
    del(db, "qa.join1.left", "a0000");
    put(db, "qb.agg", "k", "qb after");
    del(db, "qb.agg", "k2");
    CHECK_EQ_INT(checkpoint(db, "qa", "t", 0, 150 + round), 0);
    CHECK_EQ_INT(checkpoint(db, "qa", "t", 2, 50), 0);
    CHECK_EQ_INT(checkpoint(db, "qb", "t", 0, 350), 0);
}

static void add_cache_entries(StateDb *db)
{
    put(db, "qa.agg", "a0000", "dirty, must go");
    put(db, "qa.agg", "dirty-only", "dirty, must go");
    del(db, "qa.agg", "a0003");                 /* a dirty tombstone over a snapshot key */
    put(db, "qa.join1.left", "a0003", "dirty, must go");
    CHECK_STR(get(db, "qa.agg", "a0002"), "agg-2-changed-0");   /* now clean in the cache */
    put(db, "qb.agg", "dirty-b", "dirty, must stay");
}

/* statedb_reset_offsets: a scope's offsets and generation replaced in one
 * write; the generation is not an offset (read_offsets, snapshot info),
 * survives checkpoints and a reopen, and goes with a restore, with
 * delete_offsets, and never touches another scope. */
static void test_generation(const Backend *b)
{
    const char *dir = new_path("gen");
    StateDb *db = open_db(b, dir);
    EddyError err;
    int64_t g = -1;
    CHECK_EQ_INT(statedb_read_generation(db, "qa", &g, &err), 0);
    CHECK_EQ_INT(g, 0);
    put(db, "qa.agg", "k", "v");
    CHECK_EQ_INT(checkpoint(db, "qa", "t", 0, 100), 0);
    CHECK_EQ_INT(checkpoint(db, "qa", "t", 1, 200), 0);
    CHECK_EQ_INT(checkpoint(db, "qb", "t", 0, 300), 0);
    CHECK_EQ_INT(checkpoint(db, "qa2", "t", 0, 400), 0);
    const char *snap = new_path("gen-snap");
    CHECK_EQ_INT(statedb_snapshot(db, snap, &err), 0);

    /* Partition 1 goes back, partition 0 forward, partition 2 is new. */
    TopicPartitionOffset to[] = {{"t", 0, 150}, {"t", 1, 20}, {"t", 2, 5}};
    CHECK_EQ_INT(statedb_reset_offsets(db, "qa", to, 3, 7, &err), 0);
    CHECK_EQ_INT(statedb_read_generation(db, "qa", &g, &err), 0);
    CHECK_EQ_INT(g, 7);
    CHECK_SCOPE(db, "qa", "qa.agg:k=v,\noffsets qa:t/0@150,t/1@20,t/2@5,\n");
    CHECK_SCOPE(db, "qb", "offsets qb:t/0@300,\n");
    CHECK_SCOPE(db, "qa2", "offsets qa2:t/0@400,\n");
    CHECK_EQ_INT(statedb_read_generation(db, "qa2", &g, &err), 0);
    CHECK_EQ_INT(g, 0);

    /* A checkpoint moves offsets on and keeps the generation; a snapshot
     * of it lists offsets only. */
    CHECK_EQ_INT(checkpoint(db, "qa", "t", 1, 25), 0);
    CHECK_EQ_INT(statedb_read_generation(db, "qa", &g, &err), 0);
    CHECK_EQ_INT(g, 7);
    const char *snap2 = new_path("gen-snap");
    CHECK_EQ_INT(statedb_snapshot(db, snap2, &err), 0);
    StateSnapshotInfo info;
    CHECK_EQ_INT(statedb_snapshot_info(db, snap2, &info, &err), 0);
    CHECK_EQ_INT(info.nscopes, 3);
    CHECK_STR(info.scopes[0].scope, "qa");
    CHECK_EQ_INT(info.scopes[0].noffsets, 3);
    statedb_snapshot_info_free(&info);
    if (b->durable) {
        statedb_close(db);
        db = open_db(b, dir);
        CHECK_EQ_INT(statedb_read_generation(db, "qa", &g, &err), 0);
        CHECK_EQ_INT(g, 7);
        CHECK_SCOPE(db, "qa", "qa.agg:k=v,\noffsets qa:t/0@150,t/1@25,t/2@5,\n");
    }

    /* A restore puts the snapshot's offsets back and no generation; the
     * engine sets its own after it. */
    CHECK_EQ_INT(statedb_restore_scope(db, snap, "qa", &err), 0);
    CHECK_EQ_INT(statedb_read_generation(db, "qa", &g, &err), 0);
    CHECK_EQ_INT(g, 0);
    CHECK_SCOPE(db, "qa", "qa.agg:k=v,\noffsets qa:t/0@100,t/1@200,\n");
    CHECK_EQ_INT(statedb_reset_offsets(db, "qa", to, 1, 8, &err), 0);
    CHECK_SCOPE(db, "qa", "qa.agg:k=v,\noffsets qa:t/0@150,\n");

    /* A restore marker left by an unfinished restore goes too. */
    statedb_fail_writes_after(db, 0);
    CHECK_EQ_INT(statedb_reset_offsets(db, "qa", to, 3, 9, &err), -1);
    statedb_fail_writes_after(db, -1);
    CHECK_EQ_INT(statedb_read_generation(db, "qa", &g, &err), 0);
    CHECK_EQ_INT(g, 8);
    CHECK_EQ_INT(statedb_delete_offsets(db, "qa", &err), 0);
    CHECK_EQ_INT(statedb_read_generation(db, "qa", &g, &err), 0);
    CHECK_EQ_INT(g, 0);
    CHECK_SCOPE(db, "qb", "offsets qb:t/0@300,\n");
    TopicPartitionOffset bad[] = {{"", 0, 1}};
    CHECK_EQ_INT(statedb_reset_offsets(db, "qa", bad, 1, 10, &err), -1);
    CHECK_EQ_INT(err.kind, ERR_INTERNAL);
    CHECK_EQ_INT(statedb_drop_snapshot(db, snap, &err), 0);
    CHECK_EQ_INT(statedb_drop_snapshot(db, snap2, &err), 0);
    statedb_close(db);
}

/* ---- generic tests (both backends) ------------------------------------------------ */

static void test_restore(const Backend *b)
{
    const char *dir = new_path("db"), *snap = new_path("snap");
    EddyError err;
    StateDb *db = open_db(b, dir);
    fill_snapshot_state(db, 60);
    put(db, "qa.agg", "not-checkpointed", "dirty at the snapshot, so not in it");
    CHECK_EQ_INT(statedb_snapshot(db, snap, &err), 0);
    CHECK_EQ_INT(statedb_snapshot(db, snap, &err), -1);   /* exists */
    CHECK_EQ_INT(err.kind, ERR_IO);
    del(db, "qa.agg", "not-checkpointed");
    char *want_qa = dump_scope(db, "qa");   /* the scope as the snapshot has it */
    CHECK(strstr(want_qa, "qa.old:x=only in the snapshot") != NULL);
    CHECK(strstr(want_qa, "offsets qa:t/0@100,t/1@200,") != NULL);

    change_state(db, 60, 0);
    char *want_qb = dump_scope(db, "qb"), *want_qa2 = dump_scope(db, "qa2");
    add_cache_entries(db);
    char *got = dump_scope(db, "qa");
    CHECK(strcmp(got, want_qa) != 0);
    free(got);
    size_t dirty_before = statedb_cache_bytes(db);

    /* Not while an iterator is open; nothing changes. */
    StoreIter *it = store_iter(store(db, "qb.agg"), NULL, 0, NULL, 0);
    CHECK_EQ_INT(statedb_restore_scope(db, snap, "qa", &err), -1);
    CHECK_EQ_INT(err.kind, ERR_INTERNAL);
    store_iter_close(it);
    CHECK_EQ_INT(statedb_cache_bytes(db), dirty_before);
    CHECK_STR(get(db, "qa.agg", "dirty-only"), "dirty, must go");

    Store *agg = store(db, "qa.agg");
    CHECK_EQ_INT(statedb_restore_scope(db, snap, "qa", &err), 0);
    CHECK(store(db, "qa.agg") == agg);   /* Store pointers stay valid */
    CHECK_SCOPE(db, "qa", want_qa);
    CHECK_STR(get(db, "qa.agg", "dirty-only"), "<absent>");
    CHECK_STR(get(db, "qa.agg", "a0000"), "agg-0-at-snapshot");
    CHECK_STR(get(db, "qa.agg", "a0002"), "agg-2-at-snapshot");   /* not the stale clean entry */
    CHECK_STR(get(db, "qa.agg", "a0003"), "agg-3-at-snapshot");
    CHECK_STR(get(db, "qa.join1.left", "a0003"), "left");
    CHECK_STR(get(db, "qa.new", "n"), "<absent>");
    CHECK(statedb_cache_bytes(db) < dirty_before);
    CHECK(statedb_cache_bytes(db) > 0);   /* qb's dirty entry */
    CHECK_STR(get(db, "qb.agg", "dirty-b"), "dirty, must stay");
    CHECK(has_store(db, "qa.old"));
    StrBuf pending;
    sb_init(&pending);
    CHECK_EQ_INT(statedb_restore_pending(db, "qa", &pending, &err), 0);

    /* The other scopes: untouched (qb's dirty entry still to be written). */
    CHECK_EQ_INT(checkpoint(db, NULL, NULL, 0, 0), 0);
    put(db, "qb.agg", "dirty-b", "x");
    del(db, "qb.agg", "dirty-b");
    CHECK_EQ_INT(checkpoint(db, NULL, NULL, 0, 0), 0);
    CHECK_SCOPE(db, "qb", want_qb);
    CHECK_SCOPE(db, "qa2", want_qa2);

    /* Twice: the same. */
    put(db, "qa.agg", "dirty-again", "x");
    CHECK_EQ_INT(statedb_restore_scope(db, snap, "qa", &err), 0);
    CHECK_SCOPE(db, "qa", want_qa);

    /* Durable: after a crash (close without checkpoint) and reopen. */
    if (b->durable) {
        statedb_close(db);
        db = open_db(b, dir);
        CHECK_SCOPE(db, "qa", want_qa);
        CHECK_SCOPE(db, "qb", want_qb);
        /* A store the snapshot lacks that no one has open is dropped. */
        put(db, "qa.new", "n", "again");
        CHECK_EQ_INT(checkpoint(db, NULL, NULL, 0, 0), 0);
        statedb_close(db);
        db = open_db(b, dir);
        CHECK(has_store(db, "qa.new"));
        CHECK_EQ_INT(statedb_restore_scope(db, snap, "qa", &err), 0);
        CHECK(!has_store(db, "qa.new"));
        CHECK_SCOPE(db, "qa", want_qa);
    }

    /* A scope the snapshot does not hold restores to empty. */
    put(db, "qz.agg", "k", "v");
    CHECK_EQ_INT(checkpoint(db, "qz", "t", 0, 9), 0);
    CHECK_EQ_INT(statedb_restore_scope(db, snap, "qz", &err), 0);
    CHECK_SCOPE(db, "qz", "offsets qz:\n");

    /* Missing snapshot: ERR_IO naming it, nothing changes. */
    const char *missing = new_path("missing");
    put(db, "qa.agg", "dirty-kept", "x");
    CHECK_EQ_INT(statedb_restore_scope(db, missing, "qa", &err), -1);
    CHECK_EQ_INT(err.kind, ERR_IO);
    CHECK(strstr(err.msg, missing) != NULL);
    CHECK_STR(get(db, "qa.agg", "dirty-kept"), "x");
    StateSnapshotInfo info;
    CHECK_EQ_INT(statedb_snapshot_info(db, missing, &info, &err), -1);
    CHECK_EQ_INT(err.kind, ERR_IO);
    CHECK(strstr(err.msg, missing) != NULL);
    CHECK_EQ_INT(info.nscopes, 0);

    /* Drop: gone, and dropping again is no error. */
    CHECK_EQ_INT(statedb_drop_snapshot(db, snap, &err), 0);
    CHECK_EQ_INT(statedb_restore_scope(db, snap, "qa", &err), -1);
    CHECK(strstr(err.msg, snap) != NULL);
    CHECK_EQ_INT(statedb_drop_snapshot(db, snap, &err), 0);
    sb_free(&pending);
    free(want_qa);
    free(want_qb);
    free(want_qa2);
    statedb_close(db);
}

static void test_info(const Backend *b)
{
    const char *dir = new_path("db"), *snap = new_path("snap");
    EddyError err;
    StateDb *db = open_db(b, dir);
    fill_snapshot_state(db, 30);
    CHECK_EQ_INT(checkpoint(db, "qc", "t", 0, 1), 0);   /* offsets, no stores */
    put(db, "qd.agg", "k", "v");                         /* stores, no offsets */
    CHECK_EQ_INT(checkpoint(db, NULL, NULL, 0, 0), 0);
    CHECK(store(db, "qe.empty") != NULL);                /* an empty store */
    CHECK_EQ_INT(statedb_snapshot(db, snap, &err), 0);
    change_state(db, 30, 0);   /* the live database moves on; the snapshot does not */

    StateSnapshotInfo info;
    CHECK_EQ_INT(statedb_snapshot_info(db, snap, &info, &err), 0);
    StrBuf out;
    sb_init(&out);
    for (int i = 0; i < info.nscopes; i++) {
        const StateSnapshotScope *s = &info.scopes[i];
        sb_printf(&out, "%s%s:", s->scope, s->restoring ? "(restoring)" : "");
        for (int j = 0; j < s->noffsets; j++)
            sb_printf(&out, " %s/%d@%lld", s->offsets[j].topic, s->offsets[j].partition,
                      (long long)s->offsets[j].offset);
        sb_puts(&out, " |");
        for (int j = 0; j < s->nstores; j++)
            sb_printf(&out, " %s", s->stores[j]);
        sb_puts(&out, "\n");
    }
    CHECK_STR(out.data, "qa: t/0@100 t/1@200 | qa.agg qa.join1.left qa.old\n"
                        "qa2: u/0@400 | qa2.agg\n"
                        "qb: t/0@300 | qb.agg\n"
                        "qc: t/0@1 |\n"
                        "qd: | qd.agg\n"
                        "qe: | qe.empty\n");
    printf("%s snapshot: %llu bytes, %llu not shared with the live database\n", b->name,
           (unsigned long long)info.bytes, (unsigned long long)info.bytes_own);
    CHECK(info.bytes > 0);
    CHECK(info.bytes_own <= info.bytes);
    if (b->durable)
        CHECK(info.bytes_own < info.bytes);   /* the SST files are hard links */
    statedb_snapshot_info_free(&info);
    CHECK_EQ_INT(info.nscopes, 0);
    sb_free(&out);

    /* Info changed nothing: the live db and the snapshot read as before. */
    CHECK_STR(get(db, "qa.agg", "zz-new"), "after the snapshot");
    CHECK_EQ_INT(statedb_snapshot_info(db, snap, &info, &err), 0);
    CHECK_EQ_INT(info.nscopes, 6);
    statedb_snapshot_info_free(&info);
    statedb_close(db);
}

/* A write failure after each batch of a restore (the state a crash there
 * leaves), then the restore again: always the snapshot's state.  Small
 * batches, so one restore is many of them. */
static void test_restore_failures(const Backend *b)
{
    int batches = 0;
    for (int fail_after = 0;; fail_after++) {
        const char *dir = new_path("db"), *snap = new_path("snap");
        EddyError err;
        StateDb *db = open_db(b, dir);
        fill_snapshot_state(db, 200);
        CHECK_EQ_INT(statedb_snapshot(db, snap, &err), 0);
        char *want = dump_scope(db, "qa");
        change_state(db, 200, 0);
        char *before = dump_scope(db, "qa");
        add_cache_entries(db);
        /* qb as it reads after the restore: its dirty entry survives a
         * restore of qa, not a crash nor the restore of qb below. */
        char *want_qb = strdup(!b->durable && fail_after == 0
                                   ? "qb.agg:dirty-b=dirty, must stay,k=qb after,\n"
                                     "offsets qb:t/0@350,\n"
                                   : "qb.agg:k=qb after,\noffsets qb:t/0@350,\n");
        statedb_set_restore_batch_bytes(db, 1024);
        statedb_fail_writes_after(db, fail_after);
        int rc = statedb_restore_scope(db, snap, "qa", &err);
        statedb_fail_writes_after(db, -1);
        if (rc == 0) {
            batches = fail_after;
            CHECK_SCOPE(db, "qa", want);
            free(want);
            free(before);
            free(want_qb);
            statedb_close(db);
            break;
        }
        CHECK_EQ_INT(err.kind, ERR_IO);
        if (b->durable) {   /* crash: what was written stays, the cache goes */
            statedb_close(db);
            db = open_db(b, dir);
        }
        StrBuf pending;
        sb_init(&pending);
        CHECK_EQ_INT(statedb_restore_pending(db, "qa", &pending, &err), fail_after > 0);
        if (fail_after == 0) {
            CHECK_SCOPE(db, "qa", before);
        } else {
            CHECK_STR(pending.data, snap);
            TopicPartitionOffset *offs;
            int n;
            CHECK_EQ_INT(statedb_read_offsets(db, "qa", &offs, &n, &err), -1);
            CHECK(strstr(err.msg, "half restored") != NULL && strstr(err.msg, snap) != NULL);
            /* A snapshot of a half-restored scope says so, and refuses it. */
            const char *half = new_path("half");
            StateSnapshotInfo info;
            CHECK_EQ_INT(statedb_snapshot(db, half, &err), 0);
            CHECK_EQ_INT(statedb_snapshot_info(db, half, &info, &err), 0);
            CHECK(info.nscopes > 0 && strcmp(info.scopes[0].scope, "qa") == 0
                  && info.scopes[0].restoring);
            statedb_snapshot_info_free(&info);
            CHECK_EQ_INT(statedb_restore_scope(db, half, "qb", &err), 0);   /* other scopes: fine */
            CHECK_EQ_INT(statedb_restore_scope(db, half, "qa", &err), -1);
            CHECK(strstr(err.msg, half) != NULL);
            CHECK_EQ_INT(statedb_drop_snapshot(db, half, &err), 0);
        }
        sb_free(&pending);
        CHECK_EQ_INT(statedb_restore_scope(db, snap, "qa", &err), 0);
        CHECK_SCOPE(db, "qa", want);
        CHECK_SCOPE(db, "qb", want_qb);
        CHECK_EQ_INT(statedb_restore_pending(db, "qa", NULL, &err), 0);
        free(want);
        free(before);
        free(want_qb);
        statedb_close(db);
        if (fail_after > 1000) {
            CHECK(!"restore never succeeded");
            break;
        }
    }
    printf("%s: a restore of 200+ keys in %d batches; a failure after each, then a re-run: exact\n",
           b->name, batches);
    CHECK(batches >= 4);
}

/* ---- RocksDB only ----------------------------------------------------------------- */

static void cp_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    char buf[65536];
    size_t n;
    while (in && out && (n = fread(buf, 1, sizeof buf, in)) > 0)
        fwrite(buf, 1, n, out);
    if (in)
        fclose(in);
    if (out)
        fclose(out);
}

/* A copy of a snapshot (own files, no hard links) with every SST file
 * damaged in its first data block. */
static void corrupt_copy(const char *snap, const char *copy)
{
    char cmd[10000];
    mkdir(copy, 0755);
    snprintf(cmd, sizeof cmd, "ls %s", snap);
    FILE *ls = popen(cmd, "r");
    char name[256], from[4500], to[4500];
    while (ls && fgets(name, sizeof name, ls)) {
        name[strcspn(name, "\n")] = 0;
        snprintf(from, sizeof from, "%s/%s", snap, name);
        snprintf(to, sizeof to, "%s/%s", copy, name);
        cp_file(from, to);
        size_t len = strlen(name);
        if (len > 4 && strcmp(name + len - 4, ".sst") == 0) {
            int fd = open(to, O_RDWR);
            unsigned char c;
            if (fd >= 0 && pread(fd, &c, 1, 12) == 1) {
                c ^= 0x55;
                CHECK_EQ_INT(pwrite(fd, &c, 1, 12), 1);
            }
            if (fd >= 0)
                close(fd);
        }
    }
    if (ls)
        pclose(ls);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_bad_snapshots(void)
{
    const char *dir = new_path("db"), *snap = new_path("snap");
    EddyError err;
    StateDb *db = open_db(&ROCKSDB, dir);
    fill_snapshot_state(db, 50);
    CHECK_EQ_INT(statedb_snapshot(db, snap, &err), 0);
    change_state(db, 50, 0);
    add_cache_entries(db);
    CHECK_EQ_INT(checkpoint(db, NULL, NULL, 0, 0), 0);
    char *live = dump_scope(db, "qa");
    StateSnapshotInfo info;

    /* Each bad snapshot: ERR_IO naming it, and the live scope unchanged. */
    const char *bad[5];
    bad[0] = new_path("empty-dir");
    mkdir(bad[0], 0755);
    bad[1] = new_path("a-file");
    write_file(bad[1], "not a snapshot\n");
    bad[2] = new_path("bad-current");
    mkdir(bad[2], 0755);
    char path[4500];
    snprintf(path, sizeof path, "%s/CURRENT", bad[2]);
    write_file(path, "MANIFEST-999999\n");
    bad[3] = new_path("corrupt-sst");
    corrupt_copy(snap, bad[3]);
    bad[4] = dir;   /* the live directory itself */
    for (int i = 0; i < 5; i++) {
        eddy_error_clear(&err);
        CHECK_EQ_INT(statedb_restore_scope(db, bad[i], "qa", &err), -1);
        CHECK_EQ_INT(err.kind, ERR_IO);
        CHECK(strstr(err.msg, bad[i]) != NULL);
        printf("restore from bad snapshot %d: %s\n", i, err.msg);
        CHECK_SCOPE(db, "qa", live);
        CHECK_EQ_INT(statedb_restore_pending(db, "qa", NULL, &err), 0);
        if (i < 3 || i == 4) {   /* info does not read the stores' data, so a bad SST may pass */
            CHECK_EQ_INT(statedb_snapshot_info(db, bad[i], &info, &err), -1);
            CHECK_EQ_INT(err.kind, ERR_IO);
            CHECK(strstr(err.msg, bad[i]) != NULL);
        }
    }
    /* The good snapshot still restores (the corrupt copy shares no file). */
    CHECK_EQ_INT(statedb_restore_scope(db, snap, "qa", &err), 0);
    char *got = dump_scope(db, "qa");
    CHECK(strstr(got, "qa.old:x=only in the snapshot") != NULL);
    free(got);

    /* Drop refuses what is not a snapshot, and the live directory. */
    const char *foreign = new_path("foreign");
    mkdir(foreign, 0755);
    snprintf(path, sizeof path, "%s/CURRENT", foreign);
    write_file(path, "x");
    snprintf(path, sizeof path, "%s/notes.txt", foreign);
    write_file(path, "keep me");
    CHECK_EQ_INT(statedb_drop_snapshot(db, foreign, &err), -1);
    CHECK(strstr(err.msg, "notes.txt") != NULL && strstr(err.msg, foreign) != NULL);
    CHECK(access(path, F_OK) == 0);
    snprintf(path, sizeof path, "%s/notes.txt", foreign);
    unlink(path);
    snprintf(path, sizeof path, "%s/sub", foreign);
    mkdir(path, 0755);
    CHECK_EQ_INT(statedb_drop_snapshot(db, foreign, &err), -1);
    CHECK(access(path, F_OK) == 0);
    CHECK_EQ_INT(statedb_drop_snapshot(db, dir, &err), -1);
    CHECK(strstr(err.msg, "live") != NULL);
    CHECK_EQ_INT(statedb_drop_snapshot(db, bad[1], &err), -1);   /* a file */
    CHECK(access(bad[1], F_OK) == 0);
    /* A snapshot's directory, and one a drop cut short (CURRENT left). */
    CHECK_EQ_INT(statedb_drop_snapshot(db, bad[3], &err), 0);
    CHECK(access(bad[3], F_OK) != 0);
    CHECK_EQ_INT(statedb_drop_snapshot(db, bad[2], &err), 0);
    CHECK(access(bad[2], F_OK) != 0);
    CHECK_EQ_INT(statedb_drop_snapshot(db, snap, &err), 0);
    CHECK(access(snap, F_OK) != 0);
    free(live);
    statedb_close(db);
}

/* ---- SIGKILL in the middle of restores ---------------------------------------------- */

#define KILL_KEYS 3000

/* The child: opens dir, says so on fd, restores qa from snap, exits 0. */
static _Noreturn void child_restore(const char *dir, const char *snap, int fd)
{
    EddyError err;
    StateDb *db = statedb_open(dir, STATEDB_DEFAULT_CACHE_BYTES, &err);
    if (db == NULL)
        _exit(2);
    statedb_set_restore_batch_bytes(db, 4 * 1024);
    if (write(fd, "r", 1) != 1)
        _exit(3);
    if (statedb_restore_scope(db, snap, "qa", &err) != 0)
        _exit(4);
    statedb_close(db);
    _exit(0);
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Runs the child; kills it delay_us after it began restoring (never if
 * delay_us < 0).  Returns its wait status; *took_us = how long it ran. */
static int run_child(const char *dir, const char *snap, int delay_us, double *took_us)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        /* A fresh process: RocksDB's threads do not survive a fork. */
        char fd[16];
        snprintf(fd, sizeof fd, "%d", p[1]);
        close(p[0]);
        execl("/proc/self/exe", "test_snapshot", "--restore-child", dir, snap, fd, (char *)NULL);
        _exit(5);
    }
    close(p[1]);
    char c;
    bool started = read(p[0], &c, 1) == 1;
    double t0 = now_us();
    if (started && delay_us >= 0) {
        struct timespec ts = {delay_us / 1000000, (delay_us % 1000000) * 1000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    *took_us = now_us() - t0;
    close(p[0]);
    return started ? status : -1;
}

static void test_kill_during_restore(void)
{
    const char *dir = new_path("db"), *snap = new_path("snap");
    EddyError err;
    StateDb *db = open_db(&ROCKSDB, dir);
    fill_snapshot_state(db, KILL_KEYS);
    char big[200];
    memset(big, 'b', sizeof big - 1);
    big[sizeof big - 1] = 0;
    char k[32];
    for (int i = 0; i < KILL_KEYS; i++) {   /* bulk, so the restore takes many batches */
        snprintf(k, sizeof k, "big%05d", i);
        put(db, "qa.big", k, big);
    }
    CHECK_EQ_INT(checkpoint(db, "qa", "t", 3, 777), 0);
    CHECK_EQ_INT(statedb_snapshot(db, snap, &err), 0);
    char *want = dump_scope(db, "qa");
    statedb_close(db);

    /* One undisturbed run, to know how long a restore takes. */
    double took = 0, ran;
    int status = run_child(dir, snap, -1, &took);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    printf("restore of %d keys (~%d KiB) in 4 KiB batches: %.1f ms\n", KILL_KEYS * 5 / 3 + 3,
           KILL_KEYS * 230 / 1024, took / 1000);

    int mid = 0;
    const int rounds = 8;
    for (int round = 0; round < rounds; round++) {
        db = open_db(&ROCKSDB, dir);
        if (db == NULL)
            return;
        change_state(db, KILL_KEYS, round + 1);
        put(db, "qa.big", "big00001", "changed");
        CHECK_EQ_INT(checkpoint(db, NULL, NULL, 0, 0), 0);
        char *old = dump_scope(db, "qa");
        statedb_close(db);
        /* The first part of a restore only reads the snapshot. */
        int delay = (int)(took * (0.3 + 0.7 * (round + 0.5) / rounds));
        status = run_child(dir, snap, delay, &ran);
        db = open_db(&ROCKSDB, dir);
        if (db == NULL)
            return;
        int pending = statedb_restore_pending(db, "qa", NULL, &err);
        mid += pending == 1;
        /* A crash leaves the old state, a marked half-restored scope, or
         * the snapshot's state: never anything else. */
        char *now = dump_scope(db, "qa");
        bool done = strcmp(now, want) == 0, untouched = strcmp(now, old) == 0;
        printf("kill round %d after %d us: child %s, restore %s\n", round, delay,
               WIFSIGNALED(status) ? "killed" : "finished",
               pending == 1 ? "pending" : done ? "done" : untouched ? "not begun" : "BROKEN");
        CHECK(pending == 1 || done || (untouched && WIFSIGNALED(status)));
        CHECK(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0));
        free(now);
        free(old);
        CHECK_EQ_INT(statedb_restore_scope(db, snap, "qa", &err), 0);
        CHECK_SCOPE(db, "qa", want);
        statedb_close(db);
    }
    printf("%d of %d rounds were killed mid-restore; every one restored exactly\n", mid, rounds);
    free(want);
}

/* ---- main ------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "--restore-child") == 0)
        child_restore(argv[2], argv[3], atoi(argv[4]));
    if (mkdtemp(tmp_root) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    const Backend *backends[] = {&MEMORY, &ROCKSDB};
    for (int i = 0; i < 2; i++) {
        printf("backend %s\n", backends[i]->name);
        test_restore(backends[i]);
        test_info(backends[i]);
        test_restore_failures(backends[i]);
        test_generation(backends[i]);
    }
    printf("rocksdb: bad snapshots\n");
    test_bad_snapshots();
    printf("rocksdb: SIGKILL during restores\n");
    test_kill_during_restore();
    testutil_rmtree(tmp_root);
    return testutil_done();
}
