/*
 * test_changelog.c - the changelog's restore rule (engine/runtime/
 * changelog.c), on changelogs written by hand in the in-memory transport:
 * only entries of complete checkpoints count (a checkpoint cut short is
 * ignored, even when later runs complete theirs), a checkpoint is
 * complete when its record is on as many partitions as it says (a store
 * opened later makes later checkpoints wider without voiding the earlier
 * ones), a counted reset voids what comes before it on its partition, and
 * the inputs start at the restored checkpoint's offsets.
 *
 * The framing is the one changelog.c's header documents:
 * type, epoch (8), sequence (8), payload.
 */
#include "eddy/engine/changelog.h"
#include "eddy/store.h"
#include "testutil.h"

static Transport *t;

static void put(const char *topic, char type, int64_t e, int64_t s, const char *key,
                const char *val, const char *payload, size_t plen)
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
    CHECK(t->ops->produce(t, topic, 0, key, strlen(key) + (key[0] == '\0' ? 5 : 0), v.data,
                          v.len, -1, &err) == 0);
    sb_free(&v);
}

/* A checkpoint record: 1 task, written to nparts partitions, input "in"
 * partition 0 at offset next. */
static void record(const char *topic, int64_t e, int64_t s, int nparts, int64_t next)
{
    unsigned char b[12];
    StrBuf p;
    sb_init(&p);
    be32_put(b, 1);
    be32_put(b + 4, (uint32_t)nparts);
    be32_put(b + 8, 1);
    sb_append(&p, (const char *)b, 12);
    sb_putc(&p, 0);
    sb_putc(&p, 2);
    sb_puts(&p, "in");
    be32_put(b, 0);
    sb_append(&p, (const char *)b, 4);
    sb_put_be64(&p, (uint64_t)next);
    put(topic, 'C', e, s, "\0eddy", NULL, p.data, p.len);
    sb_free(&p);
}

static char *get(StateDb *db, const char *store, const char *key)
{
    EddyError err;
    Store *s = statedb_store(db, store, &err);
    StrBuf out;
    sb_init(&out);
    int rc = s ? store_get(s, key, strlen(key), &out, &err) : -1;
    char *r = rc == 1 ? strndup(out.data, out.len) : strdup(rc == 0 ? "(none)" : "(error)");
    sb_free(&out);
    return r;
}

static void check_value(StateDb *db, const char *store, const char *key, const char *want)
{
    char *got = get(db, store, key);
    CHECK_STR(got, want);
    free(got);
}

static int64_t input_offset(StateDb *db, const char *qid)
{
    TopicPartitionOffset *offs;
    int n;
    EddyError err;
    if (statedb_read_offsets(db, qid, &offs, &n, &err) != 0)
        return -2;
    int64_t r = -1;
    for (int i = 0; i < n; i++)
        if (strcmp(offs[i].topic, "in") == 0)
            r = offs[i].offset;
    statedb_free_offsets(offs, n);
    return r;
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

    statedb_close(db);
    t->ops->destroy(t);
    testutil_rmtree(dir);
    printf("%d passed, %d failed\n", tu_passed, tu_failed);
    return tu_failed != 0;
}
