/*
 * store.h - operator state: key-value stores in one database per state
 * directory, each behind a write-back cache, checkpointed atomically with
 * the input offsets they reflect (DESIGN.md section 3).
 *
 * A StateDb is RocksDB (statedb_open) or its in-memory twin
 * (statedb_open_memory); both behave the same except that the twin keeps
 * nothing after statedb_close.  A Store is one column family named
 * "<query id>.<store name>"; keys and values are opaque bytes (see
 * eddy/codec.h for the encodings the engine uses), ordered bytewise
 * (memcmp, a prefix first).
 *
 * Writes go to the cache only ("dirty").  Nothing reaches the database
 * until statedb_checkpoint, which writes every store's dirty entries and
 * the offsets in one synced WriteBatch: after a crash the database holds
 * exactly the state of the last checkpoint and the offsets it reflects.
 * Clean entries (read from the database or checkpointed) stay cached,
 * least recently used evicted first, while all entries together fit in
 * cache_max_bytes; dirty entries are never evicted: when they alone exceed
 * the budget, statedb_cache_full says so and the runtime checkpoints.
 *
 * Read errors (a RocksDB checksum mismatch, an I/O error) cannot be
 * missed: store_get returns -1, store_iter_next returns false and
 * store_iter_error says why, and the first such failure is kept in the
 * StateDb: every later statedb_checkpoint fails with it (statedb_read_error
 * tells), so state computed from a read nobody checked is never written.
 *
 * Snapshots (statedb_snapshot ... statedb_drop_snapshot) keep the database
 * as of a checkpoint under a directory of its own; statedb_restore_scope
 * puts one query's stores and offsets back from one (state/README.md has
 * the layout and the crash argument).
 *
 * Not thread-safe: one StateDb is used by one thread at a time.
 * Library code: functions return status and fill EddyError (ERR_IO for
 * database failures); nothing prints or exits.
 */
#ifndef EDDY_STORE_H
#define EDDY_STORE_H

#include "eddy/base.h"
#include "eddy/transport.h"

typedef struct StateDb StateDb;   /* one database per state directory */
typedef struct Store Store;       /* one column family, with a write-back cache */
typedef struct StoreIter StoreIter;

/* Reserved family names: "default" (RocksDB's) and "offsets". */
#define STATEDB_OFFSETS_FAMILY "offsets"

/* ksqlDB's cache.max.bytes.buffering default. */
#define STATEDB_DEFAULT_CACHE_BYTES ((size_t)10 * 1024 * 1024)

/* ---- databases ---------------------------------------------------------- */

/* Opens RocksDB at dir (created if missing; existing column families are
 * opened).  cache_max_bytes bounds the caches of all stores together.
 * Returns a StateDb owned by the caller; close with statedb_close.
 * NULL with err (ERR_IO) on failure, e.g. another process holds the dir. */
StateDb *statedb_open(const char *dir, size_t cache_max_bytes, EddyError *err);

/* The in-memory twin, same semantics (for eddy test and unit tests).
 * Returns a StateDb owned by the caller; close with statedb_close. */
StateDb *statedb_open_memory(size_t cache_max_bytes);

/* Closes the database and frees every Store and StoreIter of it.  Does NOT
 * flush: dirty cache entries are lost, as in a crash. */
void statedb_close(StateDb *db);

/* Names of the stores the database holds (its column families, reserved
 * ones excluded), sorted.  Returns the count and sets *names (malloc'd
 * array of malloc'd strings, owned by the caller; free with
 * statedb_free_names), or -1 with err. */
int statedb_list_stores(StateDb *db, char ***names, EddyError *err);
void statedb_free_names(char **names, int n);

/* ---- stores ------------------------------------------------------------- */

/* Opens the store (column family) `name`, creating it if missing.  The
 * same name gives the same pointer.  The Store is owned by db: valid until
 * statedb_drop_store of its name or statedb_close.  NULL with err for a
 * reserved or empty name or a database failure. */
Store *statedb_store(StateDb *db, const char *name, EddyError *err);

/* Deletes the store's column family, its data and its cache entries (dirty
 * ones included); a Store pointer for it becomes invalid.  Dropping a store
 * that does not exist is not an error.  Fails (ERR_INTERNAL) while an
 * iterator of db is open. */
int statedb_drop_store(StateDb *db, const char *name, EddyError *err);
/* Drops every store named "<scope>.<name>" (a query's stores). */
int statedb_drop_scope_stores(StateDb *db, const char *scope, EddyError *err);

/* One task's part of the store `name` (created if missing): the keys it
 * reads and writes are the task's own, stored as a 4-byte task prefix +
 * key in the family, so a query split into tasks keeps one family per
 * store and each task scans only its keys.  Its cache counts against
 * worker `slot`'s budget (0: the database's; each worker's is
 * cache_max_bytes), and only that worker may touch it while others run.
 * Owned by the whole store (freed when it is dropped or the database
 * closes).  The same (name, task) gives the same pointer; statedb_store
 * of the name gives the whole store, whose gets, puts and deletes of a key
 * with an open view's prefix go to that view (a changelog restore writes
 * through the whole store: the view must not keep reading what it cached
 * before); its iterators do not see the views' unwritten entries: scan a
 * split store through its views (statedb_store_views). */
Store *statedb_store_task(StateDb *db, const char *name, int task, int slot, EddyError *err);
/* The task views of a whole store, in the order they were opened. */
int statedb_store_views(Store *s, Store ***views);
/* The task a view is of (statedb_store_task), -1 for a whole store. */
int statedb_store_task_of(const Store *s);

const char *store_name(const Store *s);   /* borrows until the store is dropped */

/* Reads see the cache first, then the database (a database hit is cached
 * clean).  get copies the value into *out (sb_reset first); returns 1
 * found, 0 absent, -1 error (err set; the error is also kept: see
 * statedb_read_error). */
int store_get(Store *s, const void *key, size_t klen, StrBuf *out, EddyError *err);

/* Copies key and value into the cache as a dirty entry.  Returns 0. */
int store_put(Store *s, const void *key, size_t klen, const void *val, size_t vlen);

/* A dirty tombstone in the cache: the key reads as absent, and the next
 * checkpoint deletes it from the database.  Returns 0. */
int store_delete(Store *s, const void *key, size_t klen);

/* Ordered iteration over keys in [lo, hi) (lo NULL = from the first key,
 * hi NULL = to the end), merging cache and database; deletes are hidden
 * and the cache wins over the database.  The iterator sees the database as
 * of its creation and the cache as it changes: a key put or deleted ahead
 * of the iterator's position is seen, behind it is not.  Returns an
 * iterator owned by the caller; close with store_iter_close before the
 * next statedb_checkpoint, statedb_drop_store or statedb_close (those fail,
 * or for close free it, while one is open). */
StoreIter *store_iter(Store *s, const void *lo, size_t lolen, const void *hi, size_t hilen);

/* The same range, in descending key order.  store_iter_reverse(s, lo, n, x,
 * m) then one store_iter_next gives the last key < x (and >= lo). */
StoreIter *store_iter_reverse(Store *s, const void *lo, size_t lolen, const void *hi, size_t hilen);

/* The next entry, or false at the end OR on a database error; after a
 * database error it returns false for good (no cache entries past it
 * either).  A caller that stops at false must call store_iter_error before
 * it treats the scan as complete; one that does not still cannot
 * checkpoint the result (see statedb_read_error).  *key and *val borrow
 * until the next call on it. */
bool store_iter_next(StoreIter *it, const void **key, size_t *klen, const void **val, size_t *vlen);

/* 0, or -1 with err (ERR_IO) if iteration stopped on a database error. */
int store_iter_error(const StoreIter *it, EddyError *err);

void store_iter_close(StoreIter *it);

/* ---- cache and checkpoints ---------------------------------------------- */

/* True when the caches hold more than cache_max_bytes of dirty data: the
 * runtime then takes a checkpoint early (writing dirty state between
 * checkpoints would break exactness). */
bool statedb_cache_full(const StateDb *db);

/* Bytes of dirty data in all caches (key + value + per-entry overhead):
 * the figure statedb_cache_full compares with cache_max_bytes. */
size_t statedb_cache_bytes(const StateDb *db);

/* Bytes of all cached entries, clean and dirty. */
size_t statedb_cache_total_bytes(const StateDb *db);

/* Bytes store `name` takes in the database as of its last checkpoint
 * (RocksDB: its column family's live SST data plus its memtables, both
 * RocksDB's estimates; memory: its keys and values).  Dirty entries not
 * checkpointed yet are in the cache, not here.  -1 when the store does
 * not exist or the backend cannot say. */
int64_t statedb_store_bytes(StateDb *db, const char *name);

/* THE checkpoint (DESIGN.md section 3, step 2): every store's dirty cache
 * entries AND the next-offsets offs[0..n) in ONE WriteBatch, written with
 * sync=true.  scopes[i] (a query id) names the query offs[i] belongs to;
 * the offsets family keys them scope|topic|partition.  On success the
 * caches are clean; on failure (-1, err) nothing was written and the
 * caches stay dirty, so the checkpoint can be retried.  Fails
 * (ERR_INTERNAL) while an iterator of db is open, and (ERR_IO) for good
 * once a read of db failed (statedb_read_error).  Borrows scopes and offs
 * for the call. */
int statedb_checkpoint(StateDb *db, const char *const *scopes, const TopicPartitionOffset *offs,
                       int n, EddyError *err);

/* The offsets stored for a scope, ordered by topic then partition.
 * Returns 0 and sets *offs (malloc'd, topics malloc'd too; owned by the
 * caller; free with statedb_free_offsets) and *n (0 and NULL when none),
 * or -1 with err; ERR_IO naming the snapshot while a restore of the scope
 * has not finished (statedb_restore_pending). */
int statedb_read_offsets(StateDb *db, const char *scope, TopicPartitionOffset **offs, int *n,
                         EddyError *err);
void statedb_free_offsets(TopicPartitionOffset *offs, int n);

/* Deletes every offset of a scope at once (a synced write of its own, not
 * part of a checkpoint); a pending restore's marker goes too. */
int statedb_delete_offsets(StateDb *db, const char *scope, EddyError *err);

/* Replaces every offset of a scope (its restore marker included) by
 * offs[0..n) and sets the scope's generation, all in one synced write:
 * the engine's REPLAY moves a query to new offsets and records which
 * replay did so in the same atomic step, so a restart knows whether that
 * replay was applied (state/README.md).  The caller makes the scope's
 * stores what the offsets need first (restored or dropped).  Fails
 * (ERR_INTERNAL) while an iterator of db is open.  Borrows offs. */
int statedb_reset_offsets(StateDb *db, const char *scope, const TopicPartitionOffset *offs, int n,
                          int64_t generation, EddyError *err);

/* The generation statedb_reset_offsets last set for scope, 0 if none (or
 * since a checkpoint-only history, a restore, or statedb_delete_offsets).
 * 0, or -1 with err. */
int statedb_read_generation(StateDb *db, const char *scope, int64_t *generation, EddyError *err);

/* The number of tasks scope's state is split into (statedb_store_task),
 * 0 if never written: state written before it is whole.  Kept with the
 * scope's offsets, so statedb_delete_offsets and a snapshot's restore
 * carry it.  write_tasks writes it at once (not with a checkpoint: it
 * describes the layout, not the state). */
int statedb_read_tasks(StateDb *db, const char *scope, int *ntasks, EddyError *err);
int statedb_write_tasks(StateDb *db, const char *scope, int ntasks, EddyError *err);

/* For a changelog (engine/README.md, "Scale-out"): calls fn once per open
 * store of scope ("<scope>.<name>"), with key NULL, and, when entries, then
 * once per dirty cache entry of that store and of its task views, with the
 * key as the family holds it (a view's 4-byte task prefix included), task
 * the view's task (-1: the whole store's cache) and val NULL for a
 * tombstone.  Entries come per cache in key order; what statedb_checkpoint
 * would write.  Stops at, and returns, fn's first non-zero answer.  Call it
 * between rounds (no worker touches a cache then). */
typedef int (*StateEntryFn)(void *ud, const char *store, int task, const void *key, size_t klen,
                            const void *val, size_t vlen);
int statedb_scope_dirty(StateDb *db, const char *scope, bool entries, StateEntryFn fn, void *ud);
/* True when some store of scope (or a task view of one) has a dirty entry. */
bool statedb_scope_has_dirty(StateDb *db, const char *scope);

/* 0, or -1 with err set to the first store_get or store iterator of db
 * that failed.  Sticky until statedb_close: checkpoints fail after it. */
int statedb_read_error(const StateDb *db, EddyError *err);

/* 0, or -1 with err set to the first write of db that failed (a batch, or
 * a family RocksDB could not create, or the checkpoint record).  Sticky
 * until statedb_close: every later write fails with it at once, without
 * reaching RocksDB (which aborts when written again after a failed write).
 * The database holds the last checkpoint that succeeded. */
int statedb_write_error(const StateDb *db, EddyError *err);

/* ---- the checkpoint record (state/README.md) ------------------------------
 * Ties the database to the catalog beside it: each write that defines a
 * scope's state (statedb_checkpoint, statedb_reset_offsets, the end of
 * statedb_restore_scope) stores a new checkpoint id in the scope's offsets
 * and then, once durable, in the record file at path (temporary file,
 * fsync, rename); statedb_delete_offsets forgets the scope.  A record that
 * cannot be written fails the call and is sticky (statedb_write_error). */

/* Reads the record at path (none yet: nothing recorded) and keeps it up
 * to date from now on.  -1 with err if it is unreadable or malformed. */
int statedb_attach_record(StateDb *db, const char *path, EddyError *err);

/* statedb_open, then statedb_attach_record(record); first, the RocksDB
 * MANIFEST is checked against the one the record names (RocksDB would
 * take a MANIFEST that lost its tail for an older state and delete the
 * newer table files): NULL with err (ERR_IO, naming the remedy) when it
 * is shorter or older. */
StateDb *statedb_open_recorded(const char *dir, const char *record, size_t cache_max_bytes,
                               EddyError *err);

/* 0 if the scope's state is the one the record names (or neither knows
 * it, or the database holds the checkpoint right after the record's last,
 * written just before a crash); else -1 with err (ERR_IO) naming the
 * record, the store and the remedy, and the scope is refused
 * (statedb_scope_refused) until a write defines its state again (a
 * replay's statedb_reset_offsets or a restore).  Always 0 without a
 * record. */
int statedb_check_scope(StateDb *db, const char *scope, EddyError *err);

/* True while statedb_check_scope's refusal of scope stands: the caller
 * must not checkpoint offsets of it. */
bool statedb_scope_refused(const StateDb *db, const char *scope);

/* ---- snapshots ---------------------------------------------------------- */

/* Snapshot (DESIGN.md section 3): the database as of the last
 * statedb_checkpoint (the caches are not written), stores and offsets of
 * every scope at one consistent point, kept under dir, which must not
 * exist.  RocksDB: a RocksDB checkpoint (SST files hard-linked, so it
 * costs little disk until the live database compacts them away);
 * statedb_open(dir) could open it, statedb_snapshot_info reads it without
 * opening it for writing.  The memory twin keeps a deep copy named dir in
 * db (nothing on disk; it goes with statedb_close). */
int statedb_snapshot(StateDb *db, const char *dir, EddyError *err);

typedef struct StateSnapshotScope {
    char *scope;                  /* a query id */
    TopicPartitionOffset *offsets;   /* next offsets, ordered by topic then partition */
    int noffsets;
    char **stores;                /* its stores' full names "<scope>.<store>", sorted */
    int nstores;
    bool restoring;               /* taken while a restore of it was unfinished:
                                     statedb_restore_scope refuses this scope */
} StateSnapshotScope;

typedef struct StateSnapshotInfo {
    StateSnapshotScope *scopes;   /* ordered by scope */
    int nscopes;
    uint64_t bytes;               /* size of the snapshot's files */
    uint64_t bytes_own;           /* of which not hard-linked with the live
                                     database's files: what the snapshot
                                     costs beside it (the memory twin: all) */
} StateSnapshotInfo;

/* Reads the snapshot at dir (taken of db, or of the same backend) without
 * changing it or db: the scopes it holds (those with offsets or stores; a
 * store "<a>.<b>" belongs to the longest scope with offsets that prefixes
 * it, else to "<a>"), each one's offsets and stores, and its size.  Fills
 * *info (owned by the caller; free with statedb_snapshot_info_free).
 * -1 with err (ERR_IO naming dir) when dir is missing, not a snapshot, or
 * unreadable. */
int statedb_snapshot_info(StateDb *db, const char *dir, StateSnapshotInfo *info, EddyError *err);
void statedb_snapshot_info_free(StateSnapshotInfo *info);

/* Replaces everything db holds for one scope by what the snapshot at dir
 * holds for it: every store "<scope>.*" gets exactly the snapshot's keys
 * (a store the snapshot lacks ends up empty: dropped, or kept empty while
 * a Store of it is open; one only the snapshot has is created), and the
 * scope's offsets become the snapshot's (none if it has none).  Other
 * scopes are untouched, their dirty cache entries included.  The scope's
 * cache entries, dirty ones included, are discarded; its Store pointers
 * stay valid.
 *
 * First the snapshot's part is read whole (so a missing, corrupt or
 * unfinished snapshot fails with err, ERR_IO naming dir, before db
 * changes); then it is written in synced batches of about
 * STATEDB_RESTORE_BATCH_BYTES, the first of which marks the scope as
 * restoring and the last of which writes the offsets and clears the mark.
 * Crash-safe by re-running: after a crash or a failure at any point, the
 * same call gives the same end state; meanwhile statedb_read_offsets of
 * the scope fails, so a half-restored scope is never run.  The snapshot
 * must be kept until a restore from it succeeded.  Fails (ERR_INTERNAL)
 * while an iterator of db is open. */
int statedb_restore_scope(StateDb *db, const char *dir, const char *scope, EddyError *err);

/* 1 and the snapshot directory in *dir (sb_reset first) if a restore of
 * scope began and did not finish, 0 if not, -1 with err. */
int statedb_restore_pending(StateDb *db, const char *scope, StrBuf *dir, EddyError *err);

/* Deletes the snapshot at dir: 0 also when there is none (so a drop cut
 * short by a crash can be re-run).  RocksDB: refuses (ERR_IO) a directory
 * holding anything but RocksDB's files (a subdirectory, another file) and
 * db's own directory; deletes CURRENT last. */
int statedb_drop_snapshot(StateDb *db, const char *dir, EddyError *err);

/* ---- tuning and tests --------------------------------------------------- */

#define STATEDB_RESTORE_BATCH_BYTES ((size_t)4 * 1024 * 1024)

/* The batch size statedb_restore_scope aims at (0 = the default). */
void statedb_set_restore_batch_bytes(StateDb *db, size_t bytes);

/* For tests: after n more batch writes succeed, every write of db fails
 * (ERR_IO, nothing written), as on a disk that died; n < 0 turns it off. */
void statedb_fail_writes_after(StateDb *db, int n);

/* For tests, the memory twin only (no effect on RocksDB): every later
 * read of store `store` (its full name) that reaches the database fails
 * (ERR_IO), as on a damaged file: store_get returns -1, a store iterator
 * stops for good and store_iter_error says why (store_get of a cached key
 * still answers from the cache).  NULL turns it off. */
void statedb_fail_reads(StateDb *db, const char *store);

#endif
