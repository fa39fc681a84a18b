/*
 * test_exchange.c - the exchange below an aggregate grouped by a value
 * (op_exchange.c), remote form (a repartition topic between members):
 * a row of another task's group is produced to that task's partition, one
 * of the task's own goes straight up; the produced value read back by the
 * owner (op_exchange_receive) is the row again, with its time, source
 * partition and offset (op_exchange_origin), window and tombstone; bytes
 * that are not a whole entry (every truncation, every single-byte
 * corruption of one) are refused or read as some row, never a crash.
 */
#include "eddy/engine/operator.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

/* What reached the operator above (the aggregate's place). */
typedef struct Capture {
    Operator base;
    int rows;
    Row last;
    char text[64];
} Capture;

static int capture_push(Operator *op, Row *row, EddyError *err)
{
    (void)err;
    Capture *c = (Capture *)op;
    c->rows++;
    c->last = *row;
    c->text[0] = '\0';
    if (row->ncols > 0 && row->cols[0].kind == TYPE_STRING)
        snprintf(c->text, sizeof c->text, "%.*s", (int)row->cols[0].u.str.len, row->cols[0].u.str.ptr);
    return 0;
}

static const OperatorOps capture_ops = {.name = "capture", .push = capture_push};

/* What the exchange produced (OpOutput.repartition). */
typedef struct Sent {
    int n;
    int32_t partition;
    char value[4096];
    size_t len;
    int64_t timestamp;
} Sent;

static int sent_repartition(void *ud, int32_t partition, const void *key, size_t klen,
                            const void *value, size_t vlen, int64_t timestamp, EddyError *err)
{
    (void)key;
    (void)klen;
    (void)err;
    Sent *s = ud;
    s->n++;
    s->partition = partition;
    s->len = vlen < sizeof s->value ? vlen : sizeof s->value;
    memcpy(s->value, value, s->len);
    s->timestamp = timestamp;
    return 0;
}

int main(void)
{
    Arena *arena = arena_create(0);
    BExpr key = {.kind = BX_COLUMN};
    key.u.column = 0;
    BExpr *keys[1] = {&key};
    Plan agg;
    memset(&agg, 0, sizeof agg);
    agg.tag = PLAN_AGGREGATE;
    agg.u.aggregate.nkeys = 1;
    agg.u.aggregate.keys = keys;

    enum { TASKS = 4 };
    Exchange ex = {.ntasks = TASKS, .remote = true};
    Sent sent = {0};
    OpCtx ctx[TASKS];
    Operator *x[TASKS];
    Capture up[TASKS];
    for (int t = 0; t < TASKS; t++) {
        memset(&ctx[t], 0, sizeof ctx[t]);
        ctx[t].eval.arena = arena;
        ctx[t].task = t;
        ctx[t].ntasks = TASKS;
        ctx[t].exchange = &ex;
        ctx[t].out.repartition = sent_repartition;
        ctx[t].out.ud = &sent;
        x[t] = op_exchange_create(&agg, &ctx[t]);
        memset(&up[t], 0, sizeof up[t]);
        up[t].base.ops = &capture_ops;
        x[t]->downstream = &up[t].base;
    }

    /* Rows of 40 groups pushed on task 0: each either goes up there or is
     * sent to another task's partition, and read back there as itself. */
    int local = 0, remote = 0;
    for (int g = 0; g < 40; g++) {
        char name[16];
        snprintf(name, sizeof name, "R%d", g);
        Value cols[2] = {v_string_cstr(arena, name), v_bigint(g * 10)};
        Row row = {.cols = cols, .ncols = 2, .rowtime = 1000 + g, .partition = 3,
                   .offset = 500 + g, .window_start = -1, .window_end = -1,
                   .tombstone = g % 7 == 0};
        EddyError err;
        int before_up = up[0].rows, before_sent = sent.n;
        CHECK_EQ_INT(op_push(x[0], &row, &err), 0);
        if (up[0].rows > before_up) {
            local++;
            CHECK_EQ_INT(sent.n, before_sent);
            CHECK_STR(up[0].text, name);
            continue;
        }
        remote++;
        CHECK_EQ_INT(sent.n, before_sent + 1);
        CHECK(sent.partition > 0 && sent.partition < TASKS);
        CHECK_EQ_INT(sent.timestamp, 1000 + g);
        int32_t from = -1;
        int64_t at = -1;
        CHECK(op_exchange_origin(sent.value, sent.len, &from, &at));
        CHECK_EQ_INT(from, 3);
        CHECK_EQ_INT(at, 500 + g);
        Capture *owner = &up[sent.partition];
        int before = owner->rows;
        CHECK_EQ_INT(op_exchange_receive(x[sent.partition], sent.value, sent.len, &err), 0);
        CHECK_EQ_INT(owner->rows, before + 1);
        CHECK_STR(owner->text, name);
        CHECK_EQ_INT(owner->last.ncols, 2);
        CHECK_EQ_INT(owner->last.cols[1].u.i64, g * 10);
        CHECK_EQ_INT(owner->last.rowtime, 1000 + g);
        CHECK_EQ_INT(owner->last.partition, 3);
        CHECK_EQ_INT(owner->last.offset, 500 + g);
        CHECK_EQ_INT(owner->last.window_start, -1);
        CHECK_EQ_INT(owner->last.tombstone, g % 7 == 0);
        /* The same group always goes to the same task. */
        int32_t first = sent.partition;
        CHECK_EQ_INT(op_push(x[0], &row, &err), 0);
        CHECK_EQ_INT(sent.partition, first);
    }
    printf("40 groups from task 0: %d kept, %d sent to other tasks\n", local, remote);
    CHECK(local > 0 && remote > 0);

    /* Bytes that are not a whole entry: every cut of the last one sent is
     * refused (1), nothing pushed; every single-byte change is refused or
     * read as a row, never a crash. */
    char entry[4096];
    size_t len = sent.len;
    memcpy(entry, sent.value, len);
    int refused = 0, cuts = 0;
    for (size_t cut = 0; cut < len; cut++) {
        EddyError err;
        int before = up[1].rows;
        char *copy = malloc(cut + 1);
        memcpy(copy, entry, cut);
        int rc = op_exchange_receive(x[1], copy, cut, &err);
        free(copy);
        cuts++;
        refused += rc == 1;
        CHECK_EQ_INT(up[1].rows, before);
    }
    CHECK_EQ_INT(refused, cuts);
    int32_t p;
    int64_t o;
    CHECK(!op_exchange_origin(entry, 10, &p, &o));
    CHECK(!op_exchange_origin(NULL, 0, &p, &o));
    int read = 0, bad = 0;
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            char copy[4096];
            memcpy(copy, entry, len);
            copy[i] ^= (char)(1 << bit);
            EddyError err;
            int rc = op_exchange_receive(x[1], copy, len, &err);
            CHECK(rc == 0 || rc == 1);
            read += rc == 0;
            bad += rc == 1;
        }
    }
    printf("single-bit changes of a %zu-byte entry: %d read as a row, %d refused\n", len, read,
           bad);
    CHECK(bad > 0);

    for (int t = 0; t < TASKS; t++)
        x[t]->ops->close(x[t]);
    arena_destroy(arena);
    printf("%d passed, %d failed\n", tu_passed, tu_failed);
    return tu_failed > 0;
}
