/*
 * store_int.h - what statedb.c (the backend-independent half: caches,
 * iterators merging cache and database, checkpoints, offsets) needs from a
 * backend, and the structures they share.  Private to state/.
 *
 * A backend (store_rocksdb.c, store_memory.c) fills a StateDbOps table and
 * calls statedb_init; it never sees caches.  Its families, iterators and
 * batches are its own structs behind the opaque types below.
 */
#ifndef EDDY_STATE_STORE_INT_H
#define EDDY_STATE_STORE_INT_H

#include "eddy/store.h"
#include "cache.h"

#include <pthread.h>

typedef struct StoreFamily StoreFamily;   /* one column family */
typedef struct BackendIter BackendIter;
typedef struct BackendBatch BackendBatch;

typedef struct StateDbOps {
    const char *name;   /* "rocksdb", "memory" */
    /* The family `name`; created if missing when create, else NULL without
     * error when missing.  Owned by the backend until family_drop or close. */
    StoreFamily *(*family_open)(StateDb *db, const char *name, bool create, EddyError *err);
    /* Deletes the family and its data; frees f (even on error). */
    int (*family_drop)(StateDb *db, StoreFamily *f, EddyError *err);
    /* All family names, reserved ones included (malloc'd array of malloc'd). */
    int (*list_families)(StateDb *db, char ***names, EddyError *err);
    /* 1 found (value copied into out after sb_reset), 0 absent, -1 error. */
    int (*get)(StateDb *db, StoreFamily *f, const void *k, size_t klen, StrBuf *out,
               EddyError *err);
    /* Keys in [lo, hi) (NULL = unbounded), ascending or descending; bounds
     * are copied.  The iterator sees the family as of its creation. */
    BackendIter *(*iter_open)(StateDb *db, StoreFamily *f, const void *lo, size_t lolen,
                              const void *hi, size_t hilen, bool reverse);
    /* Borrowed until the next call on it. */
    bool (*iter_next)(BackendIter *it, const void **k, size_t *klen, const void **v,
                      size_t *vlen);
    int (*iter_error)(const BackendIter *it, EddyError *err);
    void (*iter_close)(BackendIter *it);
    /* An atomic batch: puts and deletes are copied; batch_write applies all
     * or nothing, synced. */
    BackendBatch *(*batch_create)(StateDb *db);
    void (*batch_put)(BackendBatch *b, StoreFamily *f, const void *k, size_t klen,
                      const void *v, size_t vlen);
    void (*batch_delete)(BackendBatch *b, StoreFamily *f, const void *k, size_t klen);
    /* Deletes the keys in [lo, hi). */
    void (*batch_delete_range)(BackendBatch *b, StoreFamily *f, const void *lo, size_t lolen,
                               const void *hi, size_t hilen);
    int (*batch_write)(StateDb *db, BackendBatch *b, EddyError *err);
    void (*batch_destroy)(BackendBatch *b);
    /* Snapshots (snapshot.c): the database as of the last batch_write,
     * kept under dir (must not exist yet). */
    int (*snapshot)(StateDb *db, const char *dir, EddyError *err);
    /* The snapshot at dir as a StateDb of the same backend that is only
     * read (never written); close with statedb_close.  NULL with err
     * (ERR_IO naming dir) when dir is missing, is no snapshot, is db's
     * own directory, or cannot be read. */
    StateDb *(*snapshot_open)(StateDb *db, const char *dir, EddyError *err);
    /* Bytes of the snapshot's files, and of those among them that db's
     * own files do not share (hard links). */
    int (*snapshot_size)(StateDb *db, const char *dir, uint64_t *bytes, uint64_t *own,
                         EddyError *err);
    /* Deletes the snapshot; 0 when there is none. */
    int (*snapshot_drop)(StateDb *db, const char *dir, EddyError *err);
    /* The database's current MANIFEST file name and size (NULL for a
     * backend without one; -1 when unknown). */
    int (*manifest)(const char *dir, StrBuf *name, uint64_t *size);
    /* Bytes the family's data takes in the database (NULL: not known). */
    uint64_t (*family_bytes)(StateDb *db, StoreFamily *f);
    /* Frees the backend (its families included). */
    void (*close)(StateDb *db);
} StateDbOps;

/* A whole store, or one task's part of it (a task view, statedb_store_task):
 * a view's keys are its 4-byte task prefix + the key in the family, and it
 * has a cache of its own, in its worker's budget (StateDb.slots), touched
 * only by the worker that runs the task. */
struct Store {
    StateDb *db;
    char *name;
    StoreFamily *fam;
    Cache cache;
    Store *whole;                /* a view: the store it is part of; NULL for a whole store */
    unsigned char prefix[4];     /* a view's task id, big-endian */
    size_t plen;                 /* 4 for a view, 0 for a whole store */
    StrBuf kbuf;                 /* a view's prefixed key */
    Store **views;               /* a whole store: its views (freed with it) */
    int nviews;
};

/* Worker budgets past the first (which is StateDb.cache) for task views. */
#define STATEDB_MAX_SLOTS 64

struct StateDb {
    const StateDbOps *ops;
    void *impl;                  /* the backend's state */
    StrMap *stores;              /* name -> Store* */
    StoreFamily *offsets;        /* the "offsets" family */
    CacheShared cache;
    CacheShared *slots[STATEDB_MAX_SLOTS];   /* slot k >= 1: worker k's budget (NULL until used) */
    pthread_mutex_t lock;        /* iters, pool and read_error: workers open iterators */
    StoreIter *iters;            /* open iterators (closed by statedb_close) */
    int niters;
    StoreIter *pool;             /* closed iterators kept for reuse */
    int npool;
    /* The first store_get or store iterator that failed: sticky, so
     * statedb_checkpoint refuses to write state a caller may have
     * computed from a read it did not check. */
    bool read_failed;
    EddyError read_error;
    /* The first backend write that failed, or the checkpoint record that
     * could not be written: sticky, every later write fails with it (a
     * RocksDB that failed a write must not be written again, and the
     * database must not run ahead of its record). */
    bool write_failed;
    EddyError write_error;
    /* The checkpoint record (checkpoint_id.c); record_path NULL: none. */
    char *record_path;
    StrMap *record_ids;          /* scope -> int64_t*, the id the record holds */
    int64_t record_last;         /* the newest id recorded */
    StrMap *refused;             /* scopes statedb_check_scope refused */
    char *dir;                   /* the backend's directory, for messages (NULL: memory) */
    size_t restore_batch_bytes;  /* statedb_restore_scope writes batches of about this */
    int fail_writes_after;       /* tests: batch writes left before they fail; -1 = never */
};

/* Fills the backend-independent part; opens the offsets family.  On
 * failure (-1, err) the caller closes its backend. */
int statedb_init(StateDb *db, const StateDbOps *ops, void *impl, size_t cache_max_bytes,
                 EddyError *err);

/* True for "default" and "offsets". */
bool statedb_reserved_name(const char *name);

/* THE batch write of statedb.c and snapshot.c: ops->batch_write, or the
 * failure statedb_fail_writes_after asked for. */
int statedb_batch_write(StateDb *db, BackendBatch *b, EddyError *err);

/* Remembers the first failed read (see StateDb.read_failed). */
void statedb_note_read_error(StateDb *db, const EddyError *e);

/* The checkpoint record (checkpoint_id.c).  Ids are only written while
 * a record is attached.  record_put adds a scope's id to a batch;
 * record_commit, after the batch is durable, records the scopes' id in
 * the file (failure: sticky write_failed, -1 with err). */
bool statedb_record_attached(const StateDb *db);
int64_t statedb_record_next(const StateDb *db);
void statedb_record_put(StateDb *db, BackendBatch *b, const char *scope, int64_t id);
int statedb_record_commit(StateDb *db, const char *const *scopes, int n, int64_t id,
                          EddyError *err);
int statedb_record_forget(StateDb *db, const char *scope, EddyError *err);
void statedb_record_free(StateDb *db);
/* The MANIFEST the record at path names: 1 (name, size set), 0 if it
 * names none (or there is no record), -1 with err if unreadable. */
int statedb_record_manifest(const char *path, StrBuf *name, uint64_t *size, EddyError *err);

/* ---- the offsets family ---------------------------------------------------
 * key scope 0x00 topic 0x00 partition(4) -> next offset(8); the key
 * scope 0x00 alone (no topic: Kafka topics are never empty) is the scope's
 * restore marker, value = the snapshot directory being restored; the key
 * scope 0x00 0x00 (an empty topic) is the scope's generation, value 8
 * bytes (statedb_reset_offsets); the key scope 0x00 0x00 0x01 is the
 * scope's checkpoint id, value 8 bytes (checkpoint_id.c). */

/* [scope 0x00, scope 0x01): every key of the scope, its marker included.
 * Appends to lo and hi. */
void statedb_scope_range(StrBuf *lo, StrBuf *hi, const char *scope);

/* The key of a scope's task count (statedb_read_tasks). */
void statedb_tasks_key(StrBuf *k, const char *scope);

/* The key of one offset (sb_reset first). */
void statedb_offsets_key(StrBuf *k, const char *scope, const char *topic, int32_t partition);

typedef struct OffsetsEntry {
    size_t scope_len;            /* the scope is the key's first scope_len bytes */
    bool marker;                 /* the restore marker (the fields below unset) */
    bool generation;             /* the generation entry: its value is in offset */
    bool checkpoint_id;          /* the checkpoint id entry: its value is in offset */
    bool tasks;                  /* the task count entry: its value is in offset */
    const char *topic;           /* borrows from the key */
    int32_t partition;
    int64_t offset;
} OffsetsEntry;

/* Decodes one entry of the offsets family; false if it is malformed. */
bool statedb_offsets_decode(const void *k, size_t klen, const void *v, size_t vlen,
                            OffsetsEntry *out);

#endif
