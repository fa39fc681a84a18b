/*
 * store_rocksdb.c - the RocksDB backend: the only file in eddy that
 * includes RocksDB headers.
 *
 * One database per state directory; a column family per store plus
 * "offsets" (RocksDB's "default" family stays empty).  All families are
 * opened at statedb_open, so a restarted engine finds the stores and
 * offsets of its queries.  Writes are only atomic WriteBatches with
 * sync=true and the write-ahead log on: a batch is durable and whole after
 * a crash or power cut, across families.  Every RocksDB error (its errptr)
 * becomes an EddyError in rocks_error and nowhere else.  Paranoid checks
 * and checksum verification on every read are on, so a damaged file is a
 * read error, never wrong state.
 *
 * Snapshots are RocksDB checkpoints: a directory holding hard links to the
 * live SST files and its own MANIFEST, CURRENT and OPTIONS (no WAL: the
 * memtables are flushed first).  They are read by opening them read-only
 * (which takes no lock and writes nothing there) and deleted file by file,
 * CURRENT last, only when every file in them has a RocksDB name.
 */
#define _GNU_SOURCE
#include "store_int.h"

#include <rocksdb/c.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const SrcPos NOPOS = {0, 0};

struct StoreFamily {
    char *name;
    rocksdb_column_family_handle_t *h;
};

typedef struct RocksDb {
    rocksdb_t *db;
    rocksdb_options_t *opts;
    rocksdb_block_based_table_options_t *table_opts;
    rocksdb_readoptions_t *ropts;
    rocksdb_writeoptions_t *wopts;       /* sync = true */
    StrMap *families;                    /* name -> StoreFamily* */
    char *dir;
    bool readonly;                       /* a snapshot opened for reading */
} RocksDb;

static RocksDb *rdb(StateDb *db)
{
    return db->impl;
}

/* THE conversion of a RocksDB errptr: fills err with ERR_IO, frees the
 * message, returns -1. */
static int rocks_error(EddyError *err, char *errptr, const char *what, const char *name)
{
    eddy_error(err, ERR_IO, NOPOS, "state store: %s%s%s: %s", what, name ? " " : "",
               name ? name : "", errptr ? errptr : "unknown RocksDB error");
    rocksdb_free(errptr);
    return -1;
}

static StoreFamily *family_new(RocksDb *r, const char *name, rocksdb_column_family_handle_t *h)
{
    StoreFamily *f = calloc(1, sizeof *f);
    if (f == NULL || (f->name = strdup(name)) == NULL)
        EDDY_PANIC("out of memory");
    f->h = h;
    strmap_put(r->families, name, f);
    return f;
}

static void family_free(StoreFamily *f)
{
    rocksdb_column_family_handle_destroy(f->h);
    free(f->name);
    free(f);
}

/* ---- families -------------------------------------------------------------- */

static StoreFamily *rocks_family_open(StateDb *db, const char *name, bool create, EddyError *err)
{
    RocksDb *r = rdb(db);
    StoreFamily *f = strmap_get(r->families, name);
    if (f || !create)
        return f;
    char *errptr = NULL;
    rocksdb_column_family_handle_t *h = rocksdb_create_column_family(r->db, r->opts, name, &errptr);
    if (errptr) {
        rocks_error(err, errptr, "cannot create column family", name);
        return NULL;
    }
    return family_new(r, name, h);
}

static int rocks_family_drop(StateDb *db, StoreFamily *f, EddyError *err)
{
    RocksDb *r = rdb(db);
    char *errptr = NULL;
    rocksdb_drop_column_family(r->db, f->h, &errptr);
    strmap_del(r->families, f->name);
    int rc = errptr ? rocks_error(err, errptr, "cannot drop column family", f->name) : 0;
    family_free(f);
    return rc;
}

static int rocks_list_families(StateDb *db, char ***names, EddyError *err)
{
    RocksDb *r = rdb(db);
    int n = strmap_count(r->families);
    char **v = malloc(sizeof *v * (size_t)(n ? n : 1));
    if (v == NULL)
        EDDY_PANIC("out of memory");
    size_t i = 0;
    const char *name;
    void *val;
    int k = 0;
    while (strmap_next(r->families, &i, &name, &val))
        if ((v[k++] = strdup(name)) == NULL)
            EDDY_PANIC("out of memory");
    *names = v;
    return k;
}

static int rocks_get(StateDb *db, StoreFamily *f, const void *k, size_t klen, StrBuf *out,
                     EddyError *err)
{
    RocksDb *r = rdb(db);
    char *errptr = NULL;
    sb_reset(out);
    rocksdb_pinnableslice_t *v = rocksdb_get_pinned_cf(r->db, r->ropts, f->h, k, klen, &errptr);
    if (errptr)
        return rocks_error(err, errptr, "read failed in", f->name);
    if (v == NULL)
        return 0;
    size_t vlen;
    const char *p = rocksdb_pinnableslice_value(v, &vlen);
    sb_append(out, p, vlen);
    rocksdb_pinnableslice_destroy(v);
    return 1;
}

/* ---- iterators ------------------------------------------------------------- */

/* Bounds are checked here as well as given to RocksDB: the upper bound
 * (forward) lets RocksDB stop early over deleted keys; a reverse scan
 * starts with SeekForPrev and skips the bound itself. */
struct BackendIter {
    rocksdb_iterator_t *it;
    rocksdb_readoptions_t *ro;
    StrBuf lo, hi;               /* RocksDB keeps pointers to these */
    bool has_lo, has_hi, reverse, started, done;   /* done: never move an invalid iterator */
    char *errptr;                /* the error that stopped iteration */
};

static BackendIter *rocks_iter_open(StateDb *db, StoreFamily *f, const void *lo, size_t lolen,
                                    const void *hi, size_t hilen, bool reverse)
{
    BackendIter *it = calloc(1, sizeof *it);
    if (it == NULL)
        EDDY_PANIC("out of memory");
    sb_init(&it->lo);
    sb_init(&it->hi);
    it->has_lo = lo != NULL;
    it->has_hi = hi != NULL;
    it->reverse = reverse;
    if (lo)
        sb_append(&it->lo, lo, lolen);
    if (hi)
        sb_append(&it->hi, hi, hilen);
    it->ro = rocksdb_readoptions_create();
    rocksdb_readoptions_set_verify_checksums(it->ro, 1);
    if (it->has_lo)
        rocksdb_readoptions_set_iterate_lower_bound(it->ro, it->lo.data, it->lo.len);
    if (it->has_hi && !reverse)
        rocksdb_readoptions_set_iterate_upper_bound(it->ro, it->hi.data, it->hi.len);
    it->it = rocksdb_create_iterator_cf(rdb(db)->db, it->ro, f->h);
    return it;
}

static bool rocks_iter_next(BackendIter *it, const void **k, size_t *klen, const void **v,
                            size_t *vlen)
{
    if (it->done)
        return false;
    if (!it->started) {
        it->started = true;
        if (!it->reverse) {
            if (it->has_lo)
                rocksdb_iter_seek(it->it, it->lo.data, it->lo.len);
            else
                rocksdb_iter_seek_to_first(it->it);
        } else if (it->has_hi) {
            rocksdb_iter_seek_for_prev(it->it, it->hi.data, it->hi.len);
        } else {
            rocksdb_iter_seek_to_last(it->it);
        }
    } else if (!it->reverse) {
        rocksdb_iter_next(it->it);
    } else {
        rocksdb_iter_prev(it->it);
    }
    for (;;) {
        if (!rocksdb_iter_valid(it->it)) {
            rocksdb_iter_get_error(it->it, &it->errptr);
            it->done = true;
            return false;
        }
        const char *key = rocksdb_iter_key(it->it, klen);
        if (!it->reverse) {
            if (it->has_hi && cache_key_cmp(key, *klen, it->hi.data, it->hi.len) >= 0) {
                it->done = true;
                return false;
            }
        } else {
            if (it->has_hi && cache_key_cmp(key, *klen, it->hi.data, it->hi.len) >= 0) {
                rocksdb_iter_prev(it->it);   /* SeekForPrev lands on hi itself */
                continue;
            }
            if (it->has_lo && cache_key_cmp(key, *klen, it->lo.data, it->lo.len) < 0) {
                it->done = true;
                return false;
            }
        }
        *k = key;
        *v = rocksdb_iter_value(it->it, vlen);
        return true;
    }
}

static int rocks_iter_error(const BackendIter *it, EddyError *err)
{
    if (it->errptr == NULL)
        return 0;
    return eddy_error(err, ERR_IO, NOPOS, "state store: iteration failed: %s", it->errptr);
}

static void rocks_iter_close(BackendIter *it)
{
    if (it == NULL)
        return;
    rocksdb_iter_destroy(it->it);
    rocksdb_readoptions_destroy(it->ro);
    sb_free(&it->lo);
    sb_free(&it->hi);
    rocksdb_free(it->errptr);
    free(it);
}

/* ---- batches --------------------------------------------------------------- */

static BackendBatch *rocks_batch_create(StateDb *db)
{
    return (BackendBatch *)rocksdb_writebatch_create();
}

static void rocks_batch_put(BackendBatch *b, StoreFamily *f, const void *k, size_t klen,
                            const void *v, size_t vlen)
{
    rocksdb_writebatch_put_cf((rocksdb_writebatch_t *)b, f->h, k, klen, v, vlen);
}

static void rocks_batch_delete(BackendBatch *b, StoreFamily *f, const void *k, size_t klen)
{
    rocksdb_writebatch_delete_cf((rocksdb_writebatch_t *)b, f->h, k, klen);
}

static void rocks_batch_delete_range(BackendBatch *b, StoreFamily *f, const void *lo, size_t lolen,
                                     const void *hi, size_t hilen)
{
    rocksdb_writebatch_delete_range_cf((rocksdb_writebatch_t *)b, f->h, lo, lolen, hi, hilen);
}

static int rocks_batch_write(StateDb *db, BackendBatch *b, EddyError *err)
{
    char *errptr = NULL;
    rocksdb_write(rdb(db)->db, rdb(db)->wopts, (rocksdb_writebatch_t *)b, &errptr);
    return errptr ? rocks_error(err, errptr, "write failed in", rdb(db)->dir) : 0;
}

static void rocks_batch_destroy(BackendBatch *b)
{
    if (b)
        rocksdb_writebatch_destroy((rocksdb_writebatch_t *)b);
}

/* ---- snapshots ------------------------------------------------------------- */

static int rocks_snapshot(StateDb *db, const char *dir, EddyError *err)
{
    char *errptr = NULL;
    rocksdb_checkpoint_t *cp = rocksdb_checkpoint_object_create(rdb(db)->db, &errptr);
    if (errptr)
        return rocks_error(err, errptr, "cannot snapshot to", dir);
    /* log_size_for_flush = 0: flush the memtables, so the snapshot needs
     * no write-ahead log. */
    rocksdb_checkpoint_create(cp, dir, 0, &errptr);
    rocksdb_checkpoint_object_destroy(cp);
    return errptr ? rocks_error(err, errptr, "cannot snapshot to", dir) : 0;
}

static int sys_error(EddyError *err, const char *what, const char *path)
{
    return eddy_error(err, ERR_IO, NOPOS, "snapshot '%s': %s: %s", path, what, strerror(errno));
}

/* 0 if dir is a directory other than db's own; -1 with err otherwise
 * (missing: errno ENOENT). */
static int check_snapshot_dir(StateDb *db, const char *dir, EddyError *err)
{
    struct stat st, live;
    if (stat(dir, &st) != 0)
        return sys_error(err, "cannot open it", dir);
    if (!S_ISDIR(st.st_mode))
        return eddy_error(err, ERR_IO, NOPOS, "snapshot '%s' is not a directory", dir);
    if (stat(rdb(db)->dir, &live) == 0 && live.st_dev == st.st_dev && live.st_ino == st.st_ino)
        return eddy_error(err, ERR_IO, NOPOS, "'%s' is the live state directory, not a snapshot",
                          dir);
    return 0;
}

static StateDb *rocks_open(const char *dir, size_t cache_max_bytes, bool readonly, EddyError *err);

static StateDb *rocks_snapshot_open(StateDb *db, const char *dir, EddyError *err)
{
    if (check_snapshot_dir(db, dir, err) != 0)
        return NULL;
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/CURRENT", dir);
    if (stat(path, &st) != 0) {
        eddy_error(err, ERR_IO, NOPOS, "snapshot '%s' is not a state snapshot (no CURRENT file)",
                   dir);
        return NULL;
    }
    return rocks_open(dir, 0, true, err);
}

/* A directory listing: names malloc'd, free with names_free. */
static int list_dir(const char *dir, char ***names, EddyError *err)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return sys_error(err, "cannot list it", dir);
    int n = 0, cap = 16;
    char **v = malloc(sizeof *v * (size_t)cap);
    if (v == NULL)
        EDDY_PANIC("out of memory");
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (n == cap && (v = realloc(v, sizeof *v * (size_t)(cap *= 2))) == NULL)
            EDDY_PANIC("out of memory");
        if ((v[n++] = strdup(e->d_name)) == NULL)
            EDDY_PANIC("out of memory");
    }
    closedir(d);
    *names = v;
    return n;
}

typedef struct FileId {
    dev_t dev;
    ino_t ino;
} FileId;

static int cmp_ids(const void *a, const void *b)
{
    const FileId *x = a, *y = b;
    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    return (x->ino > y->ino) - (x->ino < y->ino);
}

/* Files of the live directory with more than one link, sorted: the only
 * ones a snapshot can share with it. */
static FileId *live_links(RocksDb *r, int *n)
{
    char **names;
    int count = list_dir(r->dir, &names, NULL);
    *n = 0;
    if (count < 0)
        return NULL;
    FileId *ids = malloc(sizeof *ids * (size_t)(count ? count : 1));
    if (ids == NULL)
        EDDY_PANIC("out of memory");
    char path[4096];
    struct stat st;
    for (int i = 0; i < count; i++) {
        snprintf(path, sizeof path, "%s/%s", r->dir, names[i]);
        if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink > 1)
            ids[(*n)++] = (FileId){st.st_dev, st.st_ino};
        free(names[i]);
    }
    free(names);
    qsort(ids, (size_t)*n, sizeof *ids, cmp_ids);
    return ids;
}

static int rocks_snapshot_size(StateDb *db, const char *dir, uint64_t *bytes, uint64_t *own,
                               EddyError *err)
{
    char **names;
    int n = list_dir(dir, &names, err);
    if (n < 0)
        return -1;
    int nlive;
    FileId *live = live_links(rdb(db), &nlive);
    char path[4096];
    struct stat st;
    int rc = 0;
    *bytes = *own = 0;
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (rc == 0 && lstat(path, &st) != 0)
            rc = sys_error(err, "cannot stat a file of it", path);
        if (rc == 0 && S_ISREG(st.st_mode)) {
            FileId id = {st.st_dev, st.st_ino};
            *bytes += (uint64_t)st.st_size;
            if (st.st_nlink < 2 || !bsearch(&id, live, (size_t)nlive, sizeof id, cmp_ids))
                *own += (uint64_t)st.st_size;
        }
        free(names[i]);
    }
    free(names);
    free(live);
    return rc;
}

static bool all_digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* The names RocksDB gives the files of a database directory. */
static bool rocksdb_file_name(const char *name)
{
    static const char *const exact[] = {"CURRENT", "IDENTITY", "LOCK", "LOG"};
    static const char *const prefixes[] = {"LOG.old.", "MANIFEST-", "OPTIONS-"};
    static const char *const suffixes[] = {".sst", ".log", ".blob"};
    size_t len = strlen(name);
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (strcmp(name, exact[i]) == 0)
            return true;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t sl = strlen(suffixes[i]);
        if (len > sl && strcmp(name + len - sl, suffixes[i]) == 0 && all_digits(name, len - sl))
            return true;
    }
    return len > 6 && strcmp(name + len - 6, ".dbtmp") == 0;
}

/* Only a directory that holds nothing but RocksDB's files is deleted, so a
 * wrong path costs an error, not someone's data.  CURRENT goes last and
 * rmdir only removes an empty directory: a drop cut short leaves a
 * directory that a re-run still recognises and finishes. */
static int rocks_snapshot_drop(StateDb *db, const char *dir, EddyError *err)
{
    if (check_snapshot_dir(db, dir, err) != 0)
        return errno == ENOENT ? 0 : -1;
    char **names;
    int n = list_dir(dir, &names, err);
    if (n < 0)
        return -1;
    char path[4096];
    struct stat st;
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (!rocksdb_file_name(names[i]) || lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
            rc = eddy_error(err, ERR_IO, NOPOS,
                            "'%s' does not look like a state snapshot (it holds '%s'): not "
                            "deleting it", dir, names[i]);
    }
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        for (int i = 0; i < n && rc == 0; i++) {
            if ((strcmp(names[i], "CURRENT") == 0) != (pass == 1))
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            if (unlink(path) != 0 && errno != ENOENT)
                rc = sys_error(err, "cannot delete a file of it", path);
        }
    }
    if (rc == 0 && rmdir(dir) != 0)
        rc = sys_error(err, "cannot remove the directory", dir);
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

/* ---- close ------------------------------------------------------------------ */

static void rocks_free(RocksDb *r)
{
    if (r->families) {
        size_t i = 0;
        const char *name;
        void *val;
        while (strmap_next(r->families, &i, &name, &val))
            family_free(val);
        strmap_destroy(r->families);
    }
    if (r->db)
        rocksdb_close(r->db);
    if (r->ropts)
        rocksdb_readoptions_destroy(r->ropts);
    if (r->wopts)
        rocksdb_writeoptions_destroy(r->wopts);
    if (r->opts)
        rocksdb_options_destroy(r->opts);
    if (r->table_opts)
        rocksdb_block_based_options_destroy(r->table_opts);
    free(r->dir);
    free(r);
}

static void rocks_close(StateDb *db)
{
    rocks_free(rdb(db));
    free(db);
}

static int rocks_manifest(const char *dir, StrBuf *name, uint64_t *size)
{
    char path[4096], cur[256];
    snprintf(path, sizeof path, "%s/CURRENT", dir);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    bool ok = fgets(cur, sizeof cur, f) != NULL;
    fclose(f);
    cur[strcspn(cur, "\n")] = '\0';
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, cur);
    if (!ok || strncmp(cur, "MANIFEST-", 9) != 0 || stat(path, &st) != 0)
        return -1;
    sb_reset(name);
    sb_puts(name, cur);
    *size = (uint64_t)st.st_size;
    return 0;
}

/* RocksDB's estimates, asking no file: live data in the family's SST
 * files, and its memtables (what the last checkpoints wrote and no flush
 * has moved to a file yet).  A memtable's size is its allocated blocks,
 * a few KB even when empty: memtables without an entry count 0. */
static uint64_t rocks_family_bytes(StateDb *db, StoreFamily *f)
{
    rocksdb_t *r = rdb(db)->db;
    uint64_t sst = 0, mem = 0, active = 0, imm = 0;
    if (rocksdb_property_int_cf(r, f->h, "rocksdb.estimate-live-data-size", &sst) != 0)
        sst = 0;
    if (rocksdb_property_int_cf(r, f->h, "rocksdb.num-entries-active-mem-table", &active) != 0 ||
        rocksdb_property_int_cf(r, f->h, "rocksdb.num-entries-imm-mem-tables", &imm) != 0)
        active = imm = 1;   /* not known: count what the memtables take */
    if (active + imm > 0 &&
        rocksdb_property_int_cf(r, f->h, "rocksdb.cur-size-all-mem-tables", &mem) != 0)
        mem = 0;
    return sst + mem;
}

static const StateDbOps ROCKSDB_OPS = {
    .name = "rocksdb",
    .family_open = rocks_family_open,
    .family_drop = rocks_family_drop,
    .list_families = rocks_list_families,
    .get = rocks_get,
    .iter_open = rocks_iter_open,
    .iter_next = rocks_iter_next,
    .iter_error = rocks_iter_error,
    .iter_close = rocks_iter_close,
    .batch_create = rocks_batch_create,
    .batch_put = rocks_batch_put,
    .batch_delete = rocks_batch_delete,
    .batch_delete_range = rocks_batch_delete_range,
    .batch_write = rocks_batch_write,
    .batch_destroy = rocks_batch_destroy,
    .snapshot = rocks_snapshot,
    .snapshot_open = rocks_snapshot_open,
    .snapshot_size = rocks_snapshot_size,
    .snapshot_drop = rocks_snapshot_drop,
    .manifest = rocks_manifest,
    .family_bytes = rocks_family_bytes,
    .close = rocks_close,
};

/* ---- open ------------------------------------------------------------------ */

static void set_options(RocksDb *r)
{
    r->opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(r->opts, !r->readonly);
    rocksdb_options_set_create_missing_column_families(r->opts, !r->readonly);
    rocksdb_options_set_keep_log_file_num(r->opts, 3);
    /* FATAL only: RocksDB's LOG is on the same disk as the state, and
     * once a write to it failed (a full disk), RocksDB aborts the process
     * on the next line it logs (an assertion in its file writer), which
     * its own recovery thread does at ERROR level.  Every error eddy must
     * act on reaches it as a status anyway. */
    rocksdb_options_set_info_log_level(r->opts, 4);
    /* A damaged file or a failed write stops reads and writes with an
     * error (the default, stated because exactness depends on it). */
    rocksdb_options_set_paranoid_checks(r->opts, 1);
    /* Bloom filters: most gets of an aggregate are for keys not seen yet. */
    r->table_opts = rocksdb_block_based_options_create();
    rocksdb_block_based_options_set_filter_policy(r->table_opts,
                                                  rocksdb_filterpolicy_create_bloom(10));
    rocksdb_options_set_block_based_table_factory(r->opts, r->table_opts);
    /* The MANIFEST records the write-ahead logs too, and an open checks
     * they are all there: a MANIFEST that lost its tail (it would name an
     * older log, deleted since, and forget newer table files) is a
     * Corruption error, not an older state.  Not in the C API: set by its
     * option string. */
    char *errptr = NULL;
    rocksdb_options_t *o = rocksdb_options_create();
    rocksdb_get_options_from_string(r->opts, "track_and_verify_wals_in_manifest=true", o, &errptr);
    if (errptr == NULL) {
        rocksdb_options_destroy(r->opts);
        r->opts = o;
    } else {
        rocksdb_free(errptr);
        rocksdb_options_destroy(o);
    }
    r->ropts = rocksdb_readoptions_create();
    rocksdb_readoptions_set_verify_checksums(r->ropts, 1);
    r->wopts = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(r->wopts, 1);
}

/* A directory without CURRENT is new only if it holds no database file:
 * with a MANIFEST, a write-ahead log or a table file in it, CURRENT was
 * lost, and RocksDB's own message ("wal_dir contains existing log file")
 * would not say so.  true (err set) when damaged. */
static bool damaged_without_current(RocksDb *r, EddyError *err)
{
    if (r->readonly)
        return false;
    char **names;
    int n = list_dir(r->dir, &names, NULL);
    const char *found = NULL;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        if (found == NULL && (strncmp(names[i], "MANIFEST-", 9) == 0 ||
                              (len > 4 && (strcmp(names[i] + len - 4, ".log") == 0 ||
                                           strcmp(names[i] + len - 4, ".sst") == 0))))
            found = names[i];
    }
    if (found)
        eddy_error(err, ERR_IO, NOPOS,
                   "state store %s is damaged: its CURRENT file is missing, yet it holds a "
                   "database (%s); eddy will not start on it.  Restore the state directory "
                   "from a copy, or move %s aside and rebuild each query's state with REPLAY "
                   "QUERY <id> FROM BEGINNING WITH EMPTY STATE (or FROM SNAPSHOT <name>)",
                   r->dir, found, r->dir);
    for (int i = 0; i < n; i++)
        free(names[i]);
    if (n >= 0)
        free(names);
    return found != NULL;
}

/* The families the directory holds ("default" alone for a new one); list
 * malloc'd by RocksDB, free with rocksdb_list_column_families_destroy. */
static char **existing_families(RocksDb *r, size_t *n, EddyError *err)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/CURRENT", r->dir);
    if (stat(path, &st) != 0) {
        *n = 0;
        return damaged_without_current(r, err) ? (*n = (size_t)-1, NULL) : NULL;
    }
    char *errptr = NULL;
    char **names = rocksdb_list_column_families(r->opts, r->dir, n, &errptr);
    if (errptr) {
        /* RocksDB allocates the (empty) list even when it fails. */
        rocksdb_list_column_families_destroy(names, *n);
        rocks_error(err, errptr, "cannot read the state directory", r->dir);
        *n = (size_t)-1;
        return NULL;
    }
    return names;
}

/* Read-only (a snapshot): no lock is taken and nothing is written, so the
 * families must all exist already. */
static StateDb *rocks_open(const char *dir, size_t cache_max_bytes, bool readonly, EddyError *err)
{
    RocksDb *r = calloc(1, sizeof *r);
    if (r == NULL || (r->dir = strdup(dir)) == NULL)
        EDDY_PANIC("out of memory");
    r->readonly = readonly;
    r->families = strmap_create();
    set_options(r);

    size_t nexist;
    char **exist = existing_families(r, &nexist, err);
    if (nexist == (size_t)-1) {
        rocks_free(r);
        return NULL;
    }
    /* Open every existing family, plus default and offsets if missing. */
    size_t n = 0;
    const char **names = malloc(sizeof *names * (nexist + 2));
    if (names == NULL)
        EDDY_PANIC("out of memory");
    bool have_default = false, have_offsets = false;
    for (size_t i = 0; i < nexist; i++) {
        names[n++] = exist[i];
        have_default |= strcmp(exist[i], "default") == 0;
        have_offsets |= strcmp(exist[i], STATEDB_OFFSETS_FAMILY) == 0;
    }
    if (!have_default)
        names[n++] = "default";
    if (!have_offsets && !readonly)
        names[n++] = STATEDB_OFFSETS_FAMILY;
    const rocksdb_options_t **fopts = malloc(sizeof *fopts * n);
    rocksdb_column_family_handle_t **handles = calloc(n, sizeof *handles);
    if (fopts == NULL || handles == NULL)
        EDDY_PANIC("out of memory");
    for (size_t i = 0; i < n; i++)
        fopts[i] = r->opts;

    char *errptr = NULL;
    if (readonly)
        r->db = rocksdb_open_for_read_only_column_families(r->opts, dir, (int)n, names, fopts,
                                                           handles, 0, &errptr);
    else
        r->db = rocksdb_open_column_families(r->opts, dir, (int)n, names, fopts, handles, &errptr);
    if (errptr) {
        rocks_error(err, errptr, "cannot open", dir);
        r->db = NULL;
    } else {
        for (size_t i = 0; i < n; i++)
            family_new(r, names[i], handles[i]);
    }
    free(fopts);
    free(handles);
    free(names);
    if (exist)
        rocksdb_list_column_families_destroy(exist, nexist);
    if (r->db == NULL) {
        rocks_free(r);
        return NULL;
    }
    if (readonly && !have_offsets) {
        eddy_error(err, ERR_IO, NOPOS, "snapshot '%s' has no offsets: not a state snapshot", dir);
        rocks_free(r);
        return NULL;
    }

    StateDb *db = calloc(1, sizeof *db);
    if (db == NULL)
        EDDY_PANIC("out of memory");
    if (statedb_init(db, &ROCKSDB_OPS, r, cache_max_bytes, err) != 0) {
        strmap_destroy(db->stores);
        statedb_record_free(db);
        rocks_close(db);
        return NULL;
    }
    db->dir = r->dir;   /* borrowed: freed with the backend */
    return db;
}

StateDb *statedb_open(const char *dir, size_t cache_max_bytes, EddyError *err)
{
    return rocks_open(dir, cache_max_bytes, false, err);
}

/* RocksDB takes a MANIFEST that lost its tail for an older state (a
 * partial last record reads as a crash during its write), forgetting the
 * table files added since, and deletes them; the write-ahead log may
 * still hold the newest offsets, so the checkpoint ids alone would not
 * tell.  The MANIFEST only grows until RocksDB starts a new one with a
 * higher number, and each checkpoint records its name and size: a smaller
 * one, or an older number, is damage.  Checked before RocksDB opens (and
 * starts a new MANIFEST). */
static int check_manifest(const char *dir, const char *record, EddyError *err)
{
    StrBuf rec, cur;
    sb_init(&rec);
    sb_init(&cur);
    uint64_t rsize = 0, csize = 0;
    int rc = statedb_record_manifest(record, &rec, &rsize, err);
    if (rc == 1 && rocks_manifest(dir, &cur, &csize) == 0) {
        unsigned long long rn = strtoull(rec.data + 9, NULL, 10);
        unsigned long long cn = strtoull(cur.data + 9, NULL, 10);
        if (cn < rn || (cn == rn && csize < rsize))
            rc = eddy_error(err, ERR_IO, NOPOS,
                            "state store %s is damaged: its %s is %s than the %s (%llu bytes) "
                            "that %s recorded at the last checkpoint, so table files written "
                            "since would be lost; eddy will not start on it.  Restore the state "
                            "directory from a copy, or move %s aside and rebuild each query's "
                            "state with REPLAY QUERY <id> FROM BEGINNING WITH EMPTY STATE (or "
                            "FROM SNAPSHOT <name>)",
                            dir, cur.data, cn < rn ? "older" : "shorter", rec.data,
                            (unsigned long long)rsize, record, dir);
    }
    sb_free(&rec);
    sb_free(&cur);
    return rc < 0 ? -1 : 0;
}

StateDb *statedb_open_recorded(const char *dir, const char *record, size_t cache_max_bytes,
                               EddyError *err)
{
    if (check_manifest(dir, record, err) != 0)
        return NULL;
    StrBuf cur;
    uint64_t size;
    sb_init(&cur);
    bool fresh = rocks_manifest(dir, &cur, &size) != 0;
    sb_free(&cur);
    StateDb *db = rocks_open(dir, cache_max_bytes, false, err);
    /* A new database (a first start, or one moved aside) starts at a low
     * MANIFEST number: recorded at once, or the next open would take the
     * record's older, higher one for damage. */
    if (db && (statedb_attach_record(db, record, err) != 0 ||
               (fresh && statedb_record_commit(db, NULL, 0, 0, err) != 0))) {
        statedb_close(db);
        return NULL;
    }
    return db;
}
