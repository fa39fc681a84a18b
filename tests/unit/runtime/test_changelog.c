/*
 * test_changelog.c - the changelog's restore rule (engine/runtime/
 * changelog.c), on changelogs written by hand in the in-memory transport:
 * only entries of complete checkpoints count (a checkpoint cut short is
 * ignored, even when later runs complete theirs), a checkpoint is
 * complete when its record is on as many partitions as it says (a store
 * opened later makes later checkpoints wider without voiding the earlier
 * ones), a counted reset voids what comes before it on its partition, and
 * the inputs start at the restored checkpoint's offsets.  A member of an
 * application (changelog_open_member) reads only the tail past its
 * positions -- past the last complete checkpoint it applied in each
 * partition -- so a checkpoint incomplete at one restore (its record on
 * one partition only) counts at the next once it completes, a reset in
 * the tail voids its own view only, and the result equals a restore of
 * the whole changelog.  Records a member writes count per task (their
 * count flagged 0x80000000: one record per store on the task's partition),
 * so a member killed between two tasks' writes loses only the unwritten.
 *
 * The framing is the one changelog.c's header documents:
 * type, epoch (8), sequence (8), payload.
 */
#include "eddy/engine/changelog.h"
#include "eddy/store.h"
#include "testutil.h"

static Transport *t;

static void put_at(const char *topic, int32_t part, char type, int64_t e, int64_t s,
                   const char *key, size_t klen, const char *val, const char *payload, size_t plen)
{
    StrBuf v;
    sb_init(&v);
    sb_putc(&v, type);
    sb_put_be64(&v, (uint64_t)e);
    sb_put_be64(&v, (uint64_t)s);
    if (val)
        sb_puts(&v, val);
    if (payload)
        sb_append(&v, payload, plen);
    EddyError err;
    CHECK(t->ops->produce(t, topic, part, key, klen, v.data, v.len, -1, &err) == 0);
    sb_free(&v);
}

static void put(const char *topic, char type, int64_t e, int64_t s, const char *key,
                const char *val, const char *payload, size_t plen)
{
    put_at(topic, 0, type, e, s, key, strlen(key) + (key[0] == '\0' ? 5 : 0), val, payload,
           plen);
}

/* Task `task`'s key `name` (the 4-byte view prefix, then the name). */
static const char *task_key(int task, const char *name, size_t *klen)
{
    static char buf[64];
    be32_put(buf, (uint32_t)task);
    snprintf(buf + 4, sizeof buf - 4, "%s", name);
    *klen = 4 + strlen(name);
    return buf;
}

/* Member mode, 2 tasks: a put (val) or delete (NULL) of task p's key. */
static void mput(const char *topic, int p, int64_t e, int64_t s, const char *name,
                 const char *val)
{
    size_t kl;
    const char *k = task_key(p, name, &kl);
    put_at(topic, p, val ? 'P' : 'D', e, s, k, kl, val, NULL, 0);
}

/* The checkpoint record on partition p of an ntasks-task query, written
 * to nparts partitions: task p's input "in" partition p at offset next. */
static void record_at(const char *topic, int p, int ntasks, int64_t e, int64_t s, uint32_t nparts,
                      int64_t next)
{
    unsigned char b[12];
    StrBuf pl;
    sb_init(&pl);
    be32_put(b, (uint32_t)ntasks);
    be32_put(b + 4, nparts);
    be32_put(b + 8, 1);
    sb_append(&pl, (const char *)b, 12);
    sb_putc(&pl, 0);
    sb_putc(&pl, 2);
    sb_puts(&pl, "in");
    be32_put(b, (uint32_t)p);
    sb_append(&pl, (const char *)b, 4);
    sb_put_be64(&pl, (uint64_t)next);
    put_at(topic, p, 'C', e, s, "\0eddy-checkpoint", 16, NULL, pl.data, pl.len);
    sb_free(&pl);
}

/* A checkpoint record of a 1-task query. */
static void record(const char *topic, int64_t e, int64_t s, int nparts, int64_t next)
{
    record_at(topic, 0, 1, e, s, nparts, next);
}

/* Member mode: the record on partition p of a 2-task query. */
static void mrecord(const char *topic, int p, int64_t e, int64_t s, int nparts, int64_t next)
{
    record_at(topic, p, 2, e, s, nparts, next);
}

/* The value of key in store (malloc'd), "(none)" or "(error)". */
static char *get_key(StateDb *db, const char *store, const char *key, size_t klen)
{
    EddyError err;
    Store *s = statedb_store(db, store, &err);
    StrBuf out;
    sb_init(&out);
    int rc = s ? store_get(s, key, klen, &out, &err) : -1;
    char *r = rc == 1 ? strndup(out.data, out.len) : strdup(rc == 0 ? "(none)" : "(error)");
    sb_free(&out);
    return r;
}

static void check_value(StateDb *db, const char *store, const char *key, const char *want)
{
    char *got = get_key(db, store, key, strlen(key));
    CHECK_STR(got, want);
    free(got);
}

static void check_task_value(StateDb *db, const char *store, int task, const char *name,
                             const char *want)
{
    size_t kl;
    const char *k = task_key(task, name, &kl);
    char *got = get_key(db, store, k, kl);
    CHECK_STR(got, want);
    free(got);
}

/* The offset stored for (topic, partition) under scope; -1 none. */
static int64_t stored_offset(StateDb *db, const char *scope, const char *topic, int partition)
{
    TopicPartitionOffset *offs;
    int n;
    EddyError err;
    if (statedb_read_offsets(db, scope, &offs, &n, &err) != 0)
        return -2;
    int64_t r = -1;
    for (int i = 0; i < n; i++)
        if (strcmp(offs[i].topic, topic) == 0 && offs[i].partition == partition)
            r = offs[i].offset;
    statedb_free_offsets(offs, n);
    return r;
}

/* A state database in dir/name (name: "rocksdb2", ...). */
static StateDb *open_db(const char *dir, const char *name)
{
    char path[300];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    EddyError err;
    StateDb *db = statedb_open(path, 1 << 20, &err);
    CHECK(db != NULL);
    return db;
}

static int64_t input_offset(StateDb *db, const char *qid)
{
    return stored_offset(db, qid, "in", 0);
}

int main(void)
{
    char dir[] = "/tmp/eddy_test_changelog_XXXXXX";
    if (mkdtemp(dir) == NULL)
        return 1;
    char dbdir[256];
    snprintf(dbdir, sizeof dbdir, "%s/rocksdb", dir);
    EddyError err;
    StateDb *db = statedb_open(dbdir, 1 << 20, &err);
    CHECK(db != NULL);
    t = memory_transport_create(1);

    /* Q1: epoch 5 completes checkpoint 1 (a=1 b=1 c=1, input at 10), then
     * cuts checkpoint 2 short (a=2 and d=2 written, no record); epoch 9
     * writes b=3 and completes its checkpoint 1 (input at 30).  Store t
     * exists from epoch 9 on: its records make epoch 9's checkpoints wider
     * (2 partitions), epoch 5's stay complete at 1. */
    const char *s1 = "app-Q1-s-changelog", *t1 = "app-Q1-t-changelog";
    put(s1, 'P', 5, 1, "a", "1", NULL, 0);
    put(s1, 'P', 5, 1, "b", "1", NULL, 0);
    put(s1, 'P', 5, 1, "c", "1", NULL, 0);
    record(s1, 5, 1, 1, 10);
    put(s1, 'P', 5, 2, "a", "2", NULL, 0);
    put(s1, 'P', 5, 2, "d", "2", NULL, 0);
    put(s1, 'P', 9, 1, "b", "3", NULL, 0);
    put(t1, 'P', 9, 1, "x", "9", NULL, 0);
    record(s1, 9, 1, 2, 30);
    record(t1, 9, 1, 2, 30);
    /* epoch 9's checkpoint 2 reaches only store s: not complete. */
    put(s1, 'D', 9, 2, "c", NULL, NULL, 0);
    record(s1, 9, 2, 2, 40);
    Changelog *c = changelog_open(t, db, "app", "Q1", dir, &err);
    CHECK(c != NULL);
    if (c == NULL)
        fprintf(stderr, "%s\n", err.msg);
    check_value(db, "Q1.s", "a", "1");        /* not 2: its checkpoint was cut short */
    check_value(db, "Q1.s", "b", "3");
    check_value(db, "Q1.s", "c", "1");        /* the delete's checkpoint is incomplete */
    check_value(db, "Q1.s", "d", "(none)");
    check_value(db, "Q1.t", "x", "9");
    CHECK_EQ_INT(input_offset(db, "Q1"), 30);
    changelog_close(c);

    /* Q2: a counted reset voids what came before it on its partition; one
     * of a checkpoint cut short does not. */
    const char *s2 = "app-Q2-s-changelog";
    put(s2, 'P', 3, 1, "a", "1", NULL, 0);
    put(s2, 'P', 3, 1, "b", "1", NULL, 0);
    record(s2, 3, 1, 1, 5);
    put(s2, 'R', 3, 2, "\0eddy", NULL, NULL, 0);   /* cut short: no record */
    put(s2, 'P', 3, 2, "z", "2", NULL, 0);
    put(s2, 'R', 7, 1, "\0eddy", NULL, NULL, 0);
    put(s2, 'P', 7, 1, "b", "7", NULL, 0);
    record(s2, 7, 1, 1, 8);
    c = changelog_open(t, db, "app", "Q2", dir, &err);
    CHECK(c != NULL);
    check_value(db, "Q2.s", "a", "(none)");   /* before the counted reset */
    check_value(db, "Q2.s", "b", "7");
    check_value(db, "Q2.s", "z", "(none)");
    CHECK_EQ_INT(input_offset(db, "Q2"), 8);
    changelog_close(c);

    /* Q3: no complete checkpoint at all: nothing restored, no offsets. */
    const char *s3 = "app-Q3-s-changelog";
    put(s3, 'P', 2, 1, "a", "1", NULL, 0);
    c = changelog_open(t, db, "app", "Q3", dir, &err);
    CHECK(c != NULL);
    CHECK_EQ_INT(input_offset(db, "Q3"), -1);
    changelog_close(c);

    /* Q4: member mode, 2 tasks, one store.  Writer epoch 10 owns both
     * tasks: checkpoint 1 complete (offsets 0..4 of partitions 0 and 1),
     * checkpoint 2's record only on partition 0 so far (offsets 5, 6). */
    const char *s4 = "app-Q4-s-changelog";
    CHECK(t->ops->topic_ensure(t, s4, 2, 1, &err) >= 0);
    mput(s4, 0, 10, 1, "a", "1");
    mput(s4, 0, 10, 1, "b", "1");
    mput(s4, 1, 10, 1, "x", "1");
    mrecord(s4, 0, 10, 1, 2, 100);      /* p0 offset 2 */
    mrecord(s4, 1, 10, 1, 2, 200);      /* p1 offset 1 */
    mput(s4, 0, 10, 2, "a", "2");       /* p0 offset 3 */
    mrecord(s4, 0, 10, 2, 2, 110);      /* p0 offset 4 */
    c = changelog_open_member(t, db, "app", "Q4", dir, &err);
    CHECK(c != NULL);
    check_task_value(db, "Q4.s", 0, "a", "1");   /* checkpoint 2 incomplete */
    check_task_value(db, "Q4.s", 1, "x", "1");
    /* Positions past each partition's last complete record, not its end:
     * checkpoint 2's entries on partition 0 are still to come. */
    CHECK_EQ_INT(stored_offset(db, "Q4#changelog", s4, 0), 3);
    CHECK_EQ_INT(stored_offset(db, "Q4#changelog", s4, 1), 2);
    CHECK_EQ_INT(stored_offset(db, "Q4", "in", 0), 100);
    changelog_close(c);
    /* A key only this member's state holds: a tail restore keeps it, a
     * whole one would not (the proof the tail path ran). */
    {
        size_t kl;
        const char *k = task_key(1, "local", &kl);
        Store *st = statedb_store(db, "Q4.s", &err);
        store_put(st, k, kl, "L", 1);
        CHECK(statedb_checkpoint(db, NULL, NULL, 0, &err) == 0);
    }

    /* Checkpoint 2 completes (its record lands on partition 1). */
    mrecord(s4, 1, 10, 2, 2, 210);
    c = changelog_open_member(t, db, "app", "Q4", dir, &err);
    CHECK(c != NULL);
    check_task_value(db, "Q4.s", 0, "a", "2");   /* counted now: the tail began before it */
    check_task_value(db, "Q4.s", 0, "b", "1");
    check_task_value(db, "Q4.s", 1, "local", "L");
    CHECK_EQ_INT(stored_offset(db, "Q4", "in", 0), 110);
    CHECK_EQ_INT(stored_offset(db, "Q4", "in", 1), 210);
    CHECK_EQ_INT(stored_offset(db, "Q4#changelog", s4, 0), 5);
    CHECK_EQ_INT(stored_offset(db, "Q4#changelog", s4, 1), 3);
    changelog_close(c);

    /* Epoch 20 takes task 0 only: a reset (its view written whole after
     * it), c=3, a delete of nothing; complete on its one partition. */
    put_at(s4, 0, 'R', 20, 1, "\0eddy-reset", 11, NULL, NULL, 0);
    mput(s4, 0, 20, 1, "c", "3");
    mrecord(s4, 0, 20, 1, 1, 120);
    /* Epoch 10, still on task 1: x deleted, y=4, but cut short. */
    mput(s4, 1, 10, 3, "x", NULL);
    mput(s4, 1, 10, 3, "y", "4");
    c = changelog_open_member(t, db, "app", "Q4", dir, &err);
    CHECK(c != NULL);
    check_task_value(db, "Q4.s", 0, "a", "(none)");   /* before the counted reset */
    check_task_value(db, "Q4.s", 0, "c", "3");
    check_task_value(db, "Q4.s", 1, "x", "1");        /* its checkpoint is incomplete */
    check_task_value(db, "Q4.s", 1, "y", "(none)");
    check_task_value(db, "Q4.s", 1, "local", "L");    /* the reset was task 0's */
    CHECK_EQ_INT(stored_offset(db, "Q4", "in", 0), 120);
    CHECK_EQ_INT(stored_offset(db, "Q4", "in", 1), 210);
    changelog_close(c);

    /* Epoch 10's checkpoint 3 completes (1 partition written: its tasks
     * changed, a new epoch would be usual; the rule only counts records). */
    mrecord(s4, 1, 10, 3, 2, 230);
    mrecord(s4, 0, 10, 3, 2, 999);   /* a record of the same checkpoint on p0 */
    c = changelog_open_member(t, db, "app", "Q4", dir, &err);
    CHECK(c != NULL);
    check_task_value(db, "Q4.s", 1, "x", "(none)");
    check_task_value(db, "Q4.s", 1, "y", "4");
    CHECK_EQ_INT(stored_offset(db, "Q4", "in", 1), 230);
    changelog_close(c);

    /* The same changelog restored whole into an empty state: the same
     * values, without the key only the member's state had. */
    StateDb *db2 = open_db(dir, "rocksdb2");
    c = changelog_open_member(t, db2, "app", "Q4", dir, &err);
    CHECK(c != NULL);
    const char *names[] = {"a", "b", "c", "x", "y", "local"};
    for (int task = 0; task < 2; task++)
        for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
            size_t kl;
            const char *k = task_key(task, names[i], &kl);
            char *one = get_key(db, "Q4.s", k, kl), *two = get_key(db2, "Q4.s", k, kl);
            if (strcmp(names[i], "local") == 0)
                CHECK_STR(two, "(none)");
            else
                CHECK_STR(one, two);
            free(one);
            free(two);
        }
    CHECK_EQ_INT(stored_offset(db2, "Q4", "in", 0), stored_offset(db, "Q4", "in", 0));
    CHECK_EQ_INT(stored_offset(db2, "Q4", "in", 1), stored_offset(db, "Q4", "in", 1));
    changelog_close(c);
    statedb_close(db2);

    /* Q5: a member's records count per task.  Stores s and t, 2 tasks,
     * epoch 30: checkpoint 1 complete on both tasks; checkpoint 2 complete
     * for task 0 (its record on s and t), cut short for task 1 (its record
     * on s only: killed before t). */
    const uint32_t per_task = 0x80000000u | 2;
    const char *s5 = "app-Q5-s-changelog", *t5 = "app-Q5-t-changelog";
    CHECK(t->ops->topic_ensure(t, s5, 2, 1, &err) >= 0);
    CHECK(t->ops->topic_ensure(t, t5, 2, 1, &err) >= 0);
    mput(s5, 0, 30, 1, "a", "1");
    mput(t5, 0, 30, 1, "x", "1");
    mput(s5, 1, 30, 1, "b", "1");
    for (int p = 0; p < 2; p++) {
        record_at(s5, p, 2, 30, 1, per_task, 10 + p);
        record_at(t5, p, 2, 30, 1, per_task, 10 + p);
    }
    mput(s5, 0, 30, 2, "a", "2");
    mput(t5, 0, 30, 2, "x", "2");
    mput(s5, 1, 30, 2, "b", "2");
    mput(t5, 1, 30, 2, "y", "2");
    record_at(s5, 0, 2, 30, 2, per_task, 20);
    record_at(t5, 0, 2, 30, 2, per_task, 20);
    record_at(s5, 1, 2, 30, 2, per_task, 21);
    StateDb *db3 = open_db(dir, "rocksdb3");
    c = changelog_open_member(t, db3, "app", "Q5", dir, &err);
    CHECK(c != NULL);
    check_task_value(db3, "Q5.s", 0, "a", "2");   /* task 0's part completed */
    check_task_value(db3, "Q5.t", 0, "x", "2");
    check_task_value(db3, "Q5.s", 1, "b", "1");   /* task 1's did not */
    check_task_value(db3, "Q5.t", 1, "y", "(none)");
    CHECK_EQ_INT(stored_offset(db3, "Q5", "in", 0), 20);
    CHECK_EQ_INT(stored_offset(db3, "Q5", "in", 1), 11);
    changelog_close(c);
    /* Task 1's record reaches t: now its part counts too (a tail restore
     * on the same state). */
    record_at(t5, 1, 2, 30, 2, per_task, 21);
    c = changelog_open_member(t, db3, "app", "Q5", dir, &err);
    CHECK(c != NULL);
    check_task_value(db3, "Q5.s", 1, "b", "2");
    check_task_value(db3, "Q5.t", 1, "y", "2");
    CHECK_EQ_INT(stored_offset(db3, "Q5", "in", 1), 21);
    changelog_close(c);
    statedb_close(db3);

    statedb_close(db);
    t->ops->destroy(t);
    testutil_rmtree(dir);
    printf("%d passed, %d failed\n", tu_passed, tu_failed);
    return tu_failed != 0;
}
