/* test_checkpoint_record.c - the checkpoint record that ties a RocksDB
 * state directory to its catalog (state/checkpoint_id.c), on real RocksDB:
 * ids agree after checkpoints and reopen; an older copy of the database,
 * a deleted one, a record two checkpoints behind are refused (with the
 * remedy named) and one checkpoint behind (a crash between the batch and
 * the record) is accepted; a reset of the offsets lifts a refusal; a
 * restore gives a new id; deleting a scope's offsets forgets it; the id
 * entry is not an offset; a MANIFEST cut short and a missing CURRENT are
 * errors at open; a record that cannot be written fails the checkpoint
 * and every write after it. */
#define _GNU_SOURCE
#include "eddy/store.h"
#include "testutil.h"

#include <stdlib.h>
#include <unistd.h>

static char root[] = "/tmp/eddy-test-record-XXXXXX";
static char dbdir[4200], record[4200];

static void sh(const char *fmt, const char *a, const char *b)
{
    char cmd[9000];
    snprintf(cmd, sizeof cmd, fmt, a, b);
    CHECK_EQ_INT(system(cmd), 0);
}

static StateDb *open_db(void)
{
    EddyError err;
    StateDb *db = statedb_open_recorded(dbdir, record, 1 << 20, &err);
    if (db == NULL)
        fprintf(stderr, "open: %s\n", err.msg);
    return db;
}

/* One checkpoint of scope with key k = v and offset off. */
static int step(StateDb *db, const char *scope, const char *k, const char *v, int64_t off,
                EddyError *err)
{
    char name[64];
    snprintf(name, sizeof name, "%s.agg", scope);
    Store *s = statedb_store(db, name, err);
    if (s == NULL)
        return -1;
    store_put(s, k, strlen(k), v, strlen(v));
    TopicPartitionOffset o = {"events", 0, off};
    const char *scopes[] = {scope};
    return statedb_checkpoint(db, scopes, &o, 1, err);
}

static bool record_has(const char *line)
{
    char *text = NULL;
    size_t n = 0;
    FILE *f = fopen(record, "r");
    if (f == NULL)
        return false;
    ssize_t got = getdelim(&text, &n, '\0', f);
    fclose(f);
    bool found = got > 0 && strstr(text, line) != NULL;
    free(text);
    return found;
}

static void test_ids_agree(void)
{
    EddyError err;
    StateDb *db = open_db();
    CHECK(db != NULL);
    CHECK_EQ_INT(step(db, "q1", "a", "1", 10, &err), 0);
    CHECK_EQ_INT(step(db, "q1", "a", "2", 20, &err), 0);
    CHECK(record_has("eddy-state-checkpoints 1\nlast 2\nmanifest MANIFEST-"));
    CHECK(record_has("\n2 q1\n"));
    /* the id entry is not an offset */
    TopicPartitionOffset *offs;
    int n;
    CHECK_EQ_INT(statedb_read_offsets(db, "q1", &offs, &n, &err), 0);
    CHECK(n == 1 && offs[0].offset == 20);
    statedb_free_offsets(offs, n);
    statedb_close(db);
    db = open_db();
    CHECK(db != NULL);
    CHECK_EQ_INT(statedb_check_scope(db, "q1", &err), 0);
    CHECK_EQ_INT(statedb_check_scope(db, "never", &err), 0);   /* neither knows it */
    CHECK(!statedb_scope_refused(db, "q1"));
    statedb_close(db);
}

static void test_older_copy_refused(void)
{
    EddyError err;
    char copy[4300], rec1[4300], rec2[4300];
    snprintf(copy, sizeof copy, "%s.copy", dbdir);
    snprintf(rec1, sizeof rec1, "%s.1", record);
    snprintf(rec2, sizeof rec2, "%s.2", record);
    StateDb *db = open_db();
    CHECK_EQ_INT(step(db, "q1", "a", "3", 30, &err), 0);   /* id 3 */
    statedb_close(db);
    sh("cp -a '%s' '%s'", dbdir, copy);
    sh("cp '%s' '%s'", record, rec1);
    db = open_db();
    CHECK_EQ_INT(step(db, "q1", "a", "4", 40, &err), 0);   /* id 4 */
    statedb_close(db);
    sh("cp '%s' '%s'", record, rec2);

    /* The record one checkpoint behind the database: a crash between the
     * batch and the record's rename.  Accepted. */
    sh("cp '%s' '%s'", rec1, record);
    db = open_db();
    CHECK(db != NULL);
    CHECK_EQ_INT(statedb_check_scope(db, "q1", &err), 0);
    statedb_close(db);

    /* The database one checkpoint older than the record: its MANIFEST is
     * older (each open starts a new one), so the open fails ... */
    sh("cp '%s' '%s'", rec2, record);
    sh("rm -rf '%s'%s", dbdir, "");
    sh("mv '%s' '%s'", copy, dbdir);
    CHECK(statedb_open_recorded(dbdir, record, 1 << 20, &err) == NULL);
    CHECK(strstr(err.msg, "is older than") != NULL);
    /* ... and without that line in the record, the ids alone refuse it. */
    sh("sed -i '/^manifest /d' '%s'%s", record, "");
    db = open_db();
    CHECK(db != NULL);
    CHECK_EQ_INT(statedb_check_scope(db, "q1", &err), -1);
    CHECK(strstr(err.msg, "does not match its catalog") != NULL);
    CHECK(strstr(err.msg, "records checkpoint #4") != NULL);
    CHECK(strstr(err.msg, "holds checkpoint #3") != NULL);
    CHECK(strstr(err.msg, "REPLAY QUERY q1 FROM BEGINNING WITH EMPTY STATE") != NULL);
    CHECK(statedb_scope_refused(db, "q1"));
    /* A reset of its offsets (REPLAY ... WITH EMPTY STATE) defines its
     * state again. */
    TopicPartitionOffset o = {"events", 0, 0};
    CHECK_EQ_INT(statedb_drop_store(db, "q1.agg", &err), 0);
    CHECK_EQ_INT(statedb_reset_offsets(db, "q1", &o, 1, 1, &err), 0);
    CHECK(!statedb_scope_refused(db, "q1"));
    CHECK_EQ_INT(statedb_check_scope(db, "q1", &err), 0);
    CHECK(record_has("\n5 q1\n"));
    statedb_close(db);
    db = open_db();
    CHECK_EQ_INT(statedb_check_scope(db, "q1", &err), 0);
    statedb_close(db);
}

static void test_two_behind_and_deleted(void)
{
    EddyError err;
    char rec[4300], recx[4300];
    snprintf(rec, sizeof rec, "%s.old", record);
    snprintf(recx, sizeof recx, "%s.new", record);
    sh("cp '%s' '%s'", record, rec);
    StateDb *db = open_db();
    CHECK_EQ_INT(step(db, "q1", "a", "6", 60, &err), 0);
    CHECK_EQ_INT(step(db, "q1", "a", "7", 70, &err), 0);
    statedb_close(db);
    /* a record two checkpoints behind: the database is not the one it knows */
    sh("cp '%s' '%s'", record, recx);
    sh("cp '%s' '%s'", rec, record);
    db = open_db();
    CHECK_EQ_INT(statedb_check_scope(db, "q1", &err), -1);
    statedb_close(db);
    sh("cp '%s' '%s'", recx, record);
    /* the database deleted, the record kept */
    sh("rm -rf '%s'%s", dbdir, "");
    db = open_db();
    CHECK(db != NULL);
    CHECK_EQ_INT(statedb_check_scope(db, "q1", &err), -1);
    CHECK(strstr(err.msg, "holds no checkpoint of it") != NULL);
    CHECK(strstr(err.msg, dbdir) != NULL);
    statedb_close(db);
    /* and a reopen of the new, empty database is not taken for an older
     * MANIFEST (the record named the deleted one's) */
    db = open_db();
    CHECK(db != NULL);
    CHECK_EQ_INT(statedb_delete_offsets(db, "q1", &err), 0);   /* forgets q1 */
    CHECK(!record_has(" q1\n"));
    CHECK_EQ_INT(statedb_check_scope(db, "q1", &err), 0);
    statedb_close(db);
}

static void test_restore_new_id(void)
{
    EddyError err;
    char snap[4300];
    snprintf(snap, sizeof snap, "%s/snap", root);
    StateDb *db = open_db();
    CHECK_EQ_INT(step(db, "q2", "k", "v", 5, &err), 0);
    CHECK_EQ_INT(statedb_snapshot(db, snap, &err), 0);
    CHECK_EQ_INT(step(db, "q2", "k", "w", 6, &err), 0);
    CHECK_EQ_INT(statedb_restore_scope(db, snap, "q2", &err), 0);
    CHECK_EQ_INT(statedb_check_scope(db, "q2", &err), 0);
    statedb_close(db);
    db = open_db();
    CHECK_EQ_INT(statedb_check_scope(db, "q2", &err), 0);
    CHECK_EQ_INT(statedb_drop_snapshot(db, snap, &err), 0);
    statedb_close(db);
}

static void test_manifest_and_current(void)
{
    EddyError err;
    StateDb *db = open_db();
    CHECK_EQ_INT(step(db, "q3", "a", "1", 1, &err), 0);
    statedb_close(db);
    char copy[4300];
    snprintf(copy, sizeof copy, "%s.keep", dbdir);
    sh("cp -a '%s' '%s'", dbdir, copy);
    /* MANIFEST cut to half: RocksDB alone would open an older state */
    sh("f=$(ls '%s'/MANIFEST-*); truncate -s $(($(stat -c %%s $f) / 2)) $f%s", dbdir, "");
    CHECK(statedb_open_recorded(dbdir, record, 1 << 20, &err) == NULL);
    CHECK(strstr(err.msg, "is shorter than") != NULL);
    CHECK(strstr(err.msg, "WITH EMPTY STATE") != NULL);
    /* CURRENT deleted: not RocksDB's "wal_dir contains existing log file" */
    sh("rm -rf '%s'%s", dbdir, "");
    sh("mv '%s' '%s'", copy, dbdir);
    sh("rm '%s/CURRENT'%s", dbdir, "");
    CHECK(statedb_open(dbdir, 1 << 20, &err) == NULL);
    CHECK(strstr(err.msg, "CURRENT file is missing") != NULL);
    CHECK(strstr(err.msg, "wal_dir") == NULL);
}

static void test_record_write_fails(void)
{
    EddyError err;
    char dir[4300], rdir[4300], rec[4400];
    snprintf(dir, sizeof dir, "%s/db2", root);
    snprintf(rdir, sizeof rdir, "%s/rec2", root);
    snprintf(rec, sizeof rec, "%s/state-checkpoints", rdir);
    sh("mkdir -p '%s'%s", rdir, "");
    StateDb *db = statedb_open_recorded(dir, rec, 1 << 20, &err);
    CHECK(db != NULL);
    sh("rm -rf '%s'%s", rdir, "");   /* the record cannot be written now */
    Store *s = statedb_store(db, "q.agg", &err);
    store_put(s, "a", 1, "1", 1);
    TopicPartitionOffset o = {"events", 0, 1};
    const char *scopes[] = {"q"};
    CHECK_EQ_INT(statedb_checkpoint(db, scopes, &o, 1, &err), -1);
    CHECK(strstr(err.msg, "its record could not be written") != NULL);
    CHECK_EQ_INT(statedb_write_error(db, NULL), -1);
    /* sticky: no further write reaches the database */
    sh("mkdir -p '%s'%s", rdir, "");
    store_put(s, "b", 1, "2", 1);
    CHECK_EQ_INT(statedb_checkpoint(db, scopes, &o, 1, &err), -1);
    CHECK(statedb_store(db, "q.other", &err) == NULL);
    CHECK_EQ_INT(statedb_reset_offsets(db, "q", &o, 1, 1, &err), -1);
    statedb_close(db);
    /* the batch is in the database, the record lacks it: a restart
     * accepts it (one checkpoint ahead) and holds "a" but not "b" */
    db = statedb_open_recorded(dir, rec, 1 << 20, &err);
    CHECK(db != NULL);
    CHECK_EQ_INT(statedb_check_scope(db, "q", &err), 0);
    s = statedb_store(db, "q.agg", &err);
    StrBuf v;
    sb_init(&v);
    CHECK_EQ_INT(store_get(s, "a", 1, &v, &err), 1);
    CHECK_EQ_INT(store_get(s, "b", 1, &v, &err), 0);
    sb_free(&v);
    statedb_close(db);
}

int main(void)
{
    if (mkdtemp(root) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(dbdir, sizeof dbdir, "%s/db", root);
    snprintf(record, sizeof record, "%s/state-checkpoints", root);
    test_ids_agree();
    test_older_copy_refused();
    test_two_behind_and_deleted();
    test_restore_new_id();
    test_manifest_and_current();
    test_record_write_fails();
    testutil_rmtree(root);
    printf("%d passed, %d failed\n", tu_passed, tu_failed);
    return tu_failed ? 1 : 0;
}
