/*
 * test_exchange.c - the exchange below an aggregate grouped by a value
 * (op_exchange.c), remote form (a repartition topic between members):
 * a row of another task's group is produced to that task's partition, one
 * of the task's own goes straight up; the produced value read back by the
 * owner (op_exchange_receive) is the row again, with its time, source
 * partition and offset (op_exchange_origin) and window; a row the
 * aggregate would drop (a tombstone, a null group key) goes nowhere; bytes
 * that are not a whole entry (every truncation, every single-byte
 * corruption of one) are refused or read as some row, never a crash.
 *
 * Windowed (timed): each entry carries its source partition's stream time
 * as of its row (the largest rowtime so far, rows of other groups
 * included), which reaches the owner's aggregate before the row, and the
 * sending task's own aggregate for every row; a batch end sends a time mark to every
 * other task for a partition whose time moved, none when it did not; a
 * mark pushes no row and is never taken for a duplicate; the times are in
 * store "meta", so a restarted exchange carries the time from before.
 *
 * Below an aggregate over a table: a change whose old and new groups one
 * task owns goes whole, with its prior row; otherwise the old group's
 * owner gets a deletion of the old row and the new one's the new row
 * alone; every cut of an entry with a prior row is refused.
 *
 * Below a stream-table join: the stream side routes by its join value, the
 * table side by its key, so a key's table row and the stream rows with
 * that value meet on one task; a right side's entry says so (and the left
 * side's exchange refuses it).
 */
#include "eddy/engine/operator.h"
#include "eddy/store.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

/* What reached the operator above (the aggregate's place). */
typedef struct Capture {
    Operator base;
    int rows;
    Row last;
    char text[64];
    int times;                    /* partition_time calls */
    int32_t time_partition;
    int64_t time;
    int rows_at_time;             /* rows before the last partition_time */
} Capture;

static int capture_time(Operator *op, int32_t partition, int64_t t, EddyError *err)
{
    (void)err;
    Capture *c = (Capture *)op;
    c->times++;
    c->time_partition = partition;
    c->time = t;
    c->rows_at_time = c->rows;
    return 0;
}

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

static const OperatorOps capture_ops = {.name = "capture", .push = capture_push,
                                        .partition_time = capture_time};

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
        EddyError cerr;
        x[t] = op_exchange_create(&agg, 0, &ctx[t], &cerr);
        memset(&up[t], 0, sizeof up[t]);
        up[t].base.ops = &capture_ops;
        x[t]->downstream = &up[t].base;
    }

    /* Rows of 40 groups pushed on task 0: each either goes up there or is
     * sent to another task's partition, and read back there as itself. */
    int local = 0, remote = 0, side = -1;
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
        if (row.tombstone) {   /* a stream's aggregate drops it: so does the exchange */
            CHECK_EQ_INT(up[0].rows, before_up);
            CHECK_EQ_INT(sent.n, before_sent);
            continue;
        }
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
        CHECK(op_exchange_origin(sent.value, sent.len, &side, &from, &at));
        CHECK_EQ_INT(from, 3);
        CHECK_EQ_INT(at, 500 + g);
        CHECK_EQ_INT(side, 0);
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
        CHECK_EQ_INT(owner->last.tombstone, false);
        /* The same group always goes to the same task. */
        int32_t first = sent.partition;
        CHECK_EQ_INT(op_push(x[0], &row, &err), 0);
        CHECK_EQ_INT(sent.partition, first);
    }
    /* A null group key: the aggregate drops the row, the exchange too. */
    {
        Value cols[2] = {v_null(), v_bigint(1)};
        Row row = {.cols = cols, .ncols = 2, .rowtime = 5, .partition = 3, .offset = 9,
                   .window_start = -1, .window_end = -1};
        EddyError err;
        int before_up = up[0].rows, before_sent = sent.n;
        CHECK_EQ_INT(op_push(x[0], &row, &err), 0);
        CHECK_EQ_INT(up[0].rows, before_up);
        CHECK_EQ_INT(sent.n, before_sent);
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
    CHECK(!op_exchange_origin(entry, 10, &side, &p, &o));
    CHECK(!op_exchange_origin(NULL, 0, &side, &p, &o));
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

    /* ---- windowed: stream times travel with the rows ---- */
    Plan wagg = agg;
    wagg.u.aggregate.window.kind = WKIND_TUMBLING;
    wagg.u.aggregate.window.size_ms = 1000;
    StateDb *db = statedb_open_memory(1 << 20);
    Operator *w[TASKS];
    for (int t = 0; t < TASKS; t++) {
        ctx[t].state = db;
        ctx[t].query_id = "q";
        EddyError err;
        w[t] = op_exchange_create(&wagg, 0, &ctx[t], &err);
        CHECK(w[t] != NULL);
        memset(&up[t], 0, sizeof up[t]);
        up[t].base.ops = &capture_ops;
        w[t]->downstream = &up[t].base;
    }
    /* Rows of source partition 3 on task 0, times out of order: each
     * reaches its aggregate after the partition's time so far. */
    static const int64_t times[] = {1000, 900, 1500, 1200, 1600, 800, 2000, 1999};
    int64_t max = INT64_MIN;
    int to_local = 0, to_remote = 0;
    for (int g = 0; g < 40; g++) {
        char name[16];
        snprintf(name, sizeof name, "W%d", g);
        Value cols[2] = {v_string_cstr(arena, name), v_bigint(g)};
        int64_t t = times[g % 8] + g / 8 * 1000;
        Row row = {.cols = cols, .ncols = 2, .rowtime = t, .partition = 3, .offset = 900 + g,
                   .window_start = -1, .window_end = -1};
        if (t > max)
            max = t;
        EddyError err;
        int before_up = up[0].rows, before_sent = sent.n;
        CHECK_EQ_INT(op_push(w[0], &row, &err), 0);
        if (up[0].rows > before_up) {
            to_local++;
            CHECK_EQ_INT(up[0].time_partition, 3);
            CHECK_EQ_INT(up[0].time, max);
            CHECK_EQ_INT(up[0].rows_at_time, before_up);   /* the time came first */
            continue;
        }
        to_remote++;
        CHECK_EQ_INT(sent.n, before_sent + 1);
        CHECK_EQ_INT(up[0].time, max);   /* task 0's aggregate heard it too */
        CHECK(!op_exchange_is_mark(sent.value, sent.len));
        Capture *owner = &up[sent.partition];
        int before = owner->rows;
        CHECK_EQ_INT(op_exchange_receive(w[sent.partition], sent.value, sent.len, &err), 0);
        CHECK_EQ_INT(owner->rows, before + 1);
        CHECK_EQ_INT(owner->time_partition, 3);
        CHECK_EQ_INT(owner->time, max);
        CHECK_EQ_INT(owner->rows_at_time, before);
        CHECK_EQ_INT(owner->last.rowtime, t);
        CHECK_STR(owner->text, name);
    }
    printf("windowed, 40 groups from task 0: %d kept, %d sent; partition 3's time %lld\n", to_local,
           to_remote, (long long)max);
    CHECK(to_local > 0 && to_remote > 0);

    /* The batch ends: one mark for partition 3 to each other task. */
    EddyError err;
    int before_marks = sent.n;
    CHECK_EQ_INT(w[0]->ops->batch_end(w[0], &err), 0);
    CHECK_EQ_INT(sent.n, before_marks + TASKS - 1);
    CHECK(op_exchange_is_mark(sent.value, sent.len));
    CHECK(!op_exchange_origin(sent.value, sent.len, &side, &p, &o));
    Capture *marked = &up[sent.partition];
    int rows_before = marked->rows, times_before = marked->times;
    CHECK_EQ_INT(op_exchange_receive(w[sent.partition], sent.value, sent.len, &err), 0);
    CHECK_EQ_INT(marked->rows, rows_before);
    CHECK_EQ_INT(marked->times, times_before + 1);
    CHECK_EQ_INT(marked->time_partition, 3);
    CHECK_EQ_INT(marked->time, max);
    /* Every cut of a mark is refused. */
    char mark[128];
    size_t mlen = sent.len;
    memcpy(mark, sent.value, mlen);
    for (size_t cut = 0; cut < mlen; cut++) {
        char *copy = malloc(cut + 1);
        memcpy(copy, mark, cut);
        CHECK_EQ_INT(op_exchange_receive(w[1], copy, cut, &err), 1);
        free(copy);
    }
    CHECK_EQ_INT(marked->rows, rows_before);
    /* A second batch end with no time moved: no marks. */
    CHECK_EQ_INT(w[0]->ops->batch_end(w[0], &err), 0);
    CHECK_EQ_INT(sent.n, before_marks + TASKS - 1);

    /* Restarted: the exchange reads partition 3's time back from "meta";
     * a late row carries it, and the first batch end marks it again. */
    w[0]->ops->close(w[0]);
    w[0] = op_exchange_create(&wagg, 0, &ctx[0], &err);
    CHECK(w[0] != NULL);
    w[0]->downstream = &up[0].base;
    int before_restart = sent.n, local_before = up[0].rows;
    for (int g = 0; g < 40 && sent.n == before_restart && up[0].rows == local_before; g++) {
        Value cols[2] = {v_string_cstr(arena, "late"), v_bigint(g)};
        Row row = {.cols = cols, .ncols = 2, .rowtime = 5, .partition = 3, .offset = 2000 + g,
                   .window_start = -1, .window_end = -1};
        CHECK_EQ_INT(op_push(w[0], &row, &err), 0);
    }
    if (up[0].rows > local_before) {
        CHECK_EQ_INT(up[0].time, max);
    } else {
        CHECK_EQ_INT(op_exchange_receive(w[sent.partition], sent.value, sent.len, &err), 0);
        CHECK_EQ_INT(up[sent.partition].time, max);
        CHECK_EQ_INT(up[sent.partition].last.rowtime, 5);
    }
    before_marks = sent.n;
    CHECK_EQ_INT(w[0]->ops->batch_end(w[0], &err), 0);
    CHECK_EQ_INT(sent.n, before_marks + TASKS - 1);

    /* A timed entry at an exchange without windows is refused, nothing
     * pushed; one without a time at a windowed one is read (old entries). */
    int rows_x = up[1].rows;
    Operator *plain = op_exchange_create(&agg, 0, &ctx[1], &err);
    plain->downstream = &up[1].base;
    CHECK_EQ_INT(op_exchange_receive(plain, mark, mlen, &err), 1);
    CHECK_EQ_INT(up[1].rows, rows_x);
    CHECK_EQ_INT(op_exchange_receive(plain, entry, len, &err), 0);
    CHECK_EQ_INT(up[1].rows, rows_x + 1);
    CHECK_EQ_INT(op_exchange_receive(w[1], entry, len, &err), 0);
    CHECK_EQ_INT(up[1].rows, rows_x + 2);
    plain->ops->close(plain);
    for (int t = 0; t < TASKS; t++)
        w[t]->ops->close(w[t]);

    /* ---- an aggregate over a table: a change carries its old row ---- */
    Plan tagg = agg;
    tagg.u.aggregate.input_is_table = true;
    Operator *tx[TASKS];
    Capture tup[TASKS];
    for (int t = 0; t < TASKS; t++) {
        tx[t] = op_exchange_create(&tagg, 0, &ctx[t], &err);
        memset(&tup[t], 0, sizeof tup[t]);
        tup[t].base.ops = &capture_ops;
        tx[t]->downstream = &tup[t].base;
    }
    /* Where a group's rows go: found by pushing a change without prior. */
    int owner[12];
    for (int g = 0; g < 12; g++) {
        char name[16];
        snprintf(name, sizeof name, "G%d", g);
        Value cols[2] = {v_string_cstr(arena, name), v_bigint(g)};
        Row row = {.cols = cols, .ncols = 2, .rowtime = 1, .partition = 0, .offset = g,
                   .window_start = -1, .window_end = -1};
        int before = sent.n, before_up = tup[0].rows;
        CHECK_EQ_INT(op_push(tx[0], &row, &err), 0);
        owner[g] = tup[0].rows > before_up ? 0 : sent.partition;
        CHECK(tup[0].rows > before_up || sent.n == before + 1);
    }
    /* Changes from group a to group b, for every pair: one whole entry
     * (with its prior) when one task owns both, else a retraction to a's
     * owner and an addition to b's. */
    int whole = 0, split = 0;
    for (int a = 0; a < 12; a++) {
        for (int b = 0; b < 12; b++) {
            if (a == b || (owner[a] != 0 && owner[b] != 0 && owner[a] == owner[b] && a > 4))
                continue;
            char an[16], bn[16];
            snprintf(an, sizeof an, "G%d", a);
            snprintf(bn, sizeof bn, "G%d", b);
            Value ocols[2] = {v_string_cstr(arena, an), v_bigint(a)};
            Value ncols[2] = {v_string_cstr(arena, bn), v_bigint(b)};
            Row old = {.cols = ocols, .ncols = 2, .rowtime = 1, .partition = 0, .offset = 50,
                       .window_start = -1, .window_end = -1};
            Row row = {.cols = ncols, .ncols = 2, .rowtime = 2, .partition = 0, .offset = 100 + a * 12 + b,
                       .window_start = -1, .window_end = -1, .prior = &old};
            int before = sent.n, before_up = tup[0].rows;
            CHECK_EQ_INT(op_push(tx[0], &row, &err), 0);
            int moved = (sent.n - before) + (tup[0].rows - before_up);
            if (owner[a] == owner[b]) {
                whole++;
                CHECK_EQ_INT(moved, 1);
                const Row *got = &tup[0].last;
                if (owner[a] != 0) {
                    int rb = tup[owner[a]].rows;
                    CHECK_EQ_INT(op_exchange_receive(tx[owner[a]], sent.value, sent.len, &err), 0);
                    CHECK_EQ_INT(tup[owner[a]].rows, rb + 1);
                    got = &tup[owner[a]].last;
                }
                CHECK_EQ_INT(got->tombstone, false);
                CHECK(got->prior != NULL);
                if (got->prior)
                    CHECK_EQ_INT(got->prior->cols[1].u.i64, a);
                CHECK_EQ_INT(got->cols[1].u.i64, b);
            } else {
                split++;
                CHECK_EQ_INT(moved, 2);
            }
        }
    }
    /* A split change read back: the owner of the old group gets a deletion
     * of the old row, the owner of the new one the new row alone. */
    int a0 = -1, b0 = -1;
    for (int a = 0; a < 12 && a0 < 0; a++)
        for (int b = 0; b < 12; b++)
            if (owner[a] != owner[b] && owner[a] != 0 && owner[b] != 0) {
                a0 = a;
                b0 = b;
                break;
            }
    if (a0 >= 0) {
        char an[16], bn[16];
        snprintf(an, sizeof an, "G%d", a0);
        snprintf(bn, sizeof bn, "G%d", b0);
        Value ocols[2] = {v_string_cstr(arena, an), v_bigint(a0)};
        Value ncols[2] = {v_string_cstr(arena, bn), v_bigint(b0)};
        Row old = {.cols = ocols, .ncols = 2, .rowtime = 1, .partition = 0, .offset = 50,
                   .window_start = -1, .window_end = -1};
        Row row = {.cols = ncols, .ncols = 2, .rowtime = 2, .partition = 0, .offset = 900,
                   .window_start = -1, .window_end = -1, .prior = &old};
        /* Two entries: the retraction, then the addition (the last sent). */
        Sent first;
        int before = sent.n;
        CHECK_EQ_INT(op_push(tx[0], &row, &err), 0);
        CHECK_EQ_INT(sent.n, before + 2);
        first = sent;   /* the last: the addition */
        CHECK_EQ_INT(first.partition, owner[b0]);
        int rb = tup[owner[b0]].rows;
        CHECK_EQ_INT(op_exchange_receive(tx[owner[b0]], first.value, first.len, &err), 0);
        CHECK_EQ_INT(tup[owner[b0]].rows, rb + 1);
        CHECK(tup[owner[b0]].last.prior == NULL);
        CHECK_EQ_INT(tup[owner[b0]].last.tombstone, false);
        CHECK_EQ_INT(tup[owner[b0]].last.cols[1].u.i64, b0);
        /* A deletion: to the old group's owner, its prior with it. */
        Row only_old = {.cols = ocols, .ncols = 2, .rowtime = 2, .partition = 0, .offset = 901,
                        .window_start = -1, .window_end = -1, .tombstone = true, .prior = &old};
        before = sent.n;
        CHECK_EQ_INT(op_push(tx[0], &only_old, &err), 0);
        CHECK_EQ_INT(sent.n, before + 1);
        CHECK_EQ_INT(sent.partition, owner[a0]);
        int ra = tup[owner[a0]].rows;
        CHECK_EQ_INT(op_exchange_receive(tx[owner[a0]], sent.value, sent.len, &err), 0);
        CHECK_EQ_INT(tup[owner[a0]].rows, ra + 1);
        CHECK_EQ_INT(tup[owner[a0]].last.tombstone, true);
        CHECK(tup[owner[a0]].last.prior != NULL);
        if (tup[owner[a0]].last.prior)
            CHECK_EQ_INT(tup[owner[a0]].last.prior->cols[1].u.i64, a0);
        /* Every cut of an entry with a prior row is refused. */
        for (size_t cut = 0; cut < sent.len; cut++)
            CHECK_EQ_INT(op_exchange_receive(tx[owner[a0]], sent.value, cut, &err), 1);
    }
    printf("table changes: %d whole (one owner), %d split (retraction and addition)\n", whole, split);
    CHECK(whole > 0 && split > 0);
    for (int t = 0; t < TASKS; t++)
        tx[t]->ops->close(tx[t]);

    /* ---- below a join: each side routes by its join key ---- */
    BExpr lkey = {.kind = BX_COLUMN}, rkey = {.kind = BX_COLUMN};
    lkey.u.column = 1;   /* the left row's second column: a value */
    rkey.u.column = 0;   /* the right (table) row's key */
    Plan join;
    memset(&join, 0, sizeof join);
    join.tag = PLAN_JOIN;
    join.u.join.kind = JOIN_STREAM_TABLE;
    join.u.join.left_key = &lkey;
    join.u.join.right_key = &rkey;
    Operator *jl[TASKS], *jr[TASKS];
    Capture lup[TASKS], rup[TASKS];
    for (int t = 0; t < TASKS; t++) {
        jl[t] = op_exchange_create(&join, 0, &ctx[t], &err);
        jr[t] = op_exchange_create(&join, 1, &ctx[t], &err);
        memset(&lup[t], 0, sizeof lup[t]);
        memset(&rup[t], 0, sizeof rup[t]);
        lup[t].base.ops = rup[t].base.ops = &capture_ops;
        jl[t]->downstream = &lup[t].base;
        jr[t]->downstream = &rup[t].base;
    }
    /* Key k's table row (pushed on task 1) and a stream row with k as its
     * value (pushed on task 2) reach the same task, each on its own side. */
    int met = 0;
    for (int k = 0; k < 24; k++) {
        char kname[16];
        snprintf(kname, sizeof kname, "K%d", k);
        Value tcols[2] = {v_string_cstr(arena, kname), v_bigint(k)};
        Value scols[2] = {v_string_cstr(arena, "event"), v_string_cstr(arena, kname)};
        Row trow = {.cols = tcols, .ncols = 2, .rowtime = 10, .partition = 1, .offset = k,
                    .window_start = -1, .window_end = -1, .tombstone = k % 5 == 4};
        Row srow = {.cols = scols, .ncols = 2, .rowtime = 20, .partition = 2, .offset = 100 + k,
                    .window_start = -1, .window_end = -1};
        int towner = -1, sowner = -1;
        int before_sent = sent.n, before_r = rup[1].rows;
        CHECK_EQ_INT(op_push(jr[1], &trow, &err), 0);
        if (rup[1].rows > before_r) {
            towner = 1;
        } else {
            CHECK_EQ_INT(sent.n, before_sent + 1);
            towner = sent.partition;
            CHECK(op_exchange_origin(sent.value, sent.len, &side, &p, &o));
            CHECK_EQ_INT(side, 1);
            CHECK_EQ_INT(p, 1);
            CHECK_EQ_INT(o, k);
            /* The left side's exchange refuses a right side's entry. */
            CHECK_EQ_INT(op_exchange_receive(jl[towner], sent.value, sent.len, &err), 1);
            int rb = rup[towner].rows;
            CHECK_EQ_INT(op_exchange_receive(jr[towner], sent.value, sent.len, &err), 0);
            CHECK_EQ_INT(rup[towner].rows, rb + 1);
            CHECK_STR(rup[towner].text, kname);
            CHECK_EQ_INT(rup[towner].last.tombstone, k % 5 == 4);   /* a table's deletion goes on */
        }
        before_sent = sent.n;
        int before_l = lup[2].rows;
        CHECK_EQ_INT(op_push(jl[2], &srow, &err), 0);
        if (lup[2].rows > before_l) {
            sowner = 2;
        } else {
            CHECK_EQ_INT(sent.n, before_sent + 1);
            sowner = sent.partition;
            CHECK(op_exchange_origin(sent.value, sent.len, &side, &p, &o));
            CHECK_EQ_INT(side, 0);
            CHECK_EQ_INT(op_exchange_receive(jr[sowner], sent.value, sent.len, &err), 1);
            int lb = lup[sowner].rows;
            CHECK_EQ_INT(op_exchange_receive(jl[sowner], sent.value, sent.len, &err), 0);
            CHECK_EQ_INT(lup[sowner].rows, lb + 1);
        }
        CHECK_EQ_INT(towner, sowner);
        met += towner == sowner;
    }
    printf("join: 24 keys, table row and stream row met on one task for %d\n", met);
    for (int t = 0; t < TASKS; t++) {
        jl[t]->ops->close(jl[t]);
        jr[t]->ops->close(jr[t]);
    }

    /* ---- below a foreign-key join: the right table's rows go to every
     * task (one entry each, so each task's duplicate check holds), a
     * deletion too, a null key to none ---- */
    join.u.join.kind = JOIN_TABLE_TABLE_FK;
    Operator *fr[TASKS];
    Capture fup[TASKS];
    for (int t = 0; t < TASKS; t++) {
        fr[t] = op_exchange_create(&join, 1, &ctx[t], &err);
        memset(&fup[t], 0, sizeof fup[t]);
        fup[t].base.ops = &capture_ops;
        fr[t]->downstream = &fup[t].base;
    }
    for (int k = 0; k < 12; k++) {
        char kname[16];
        snprintf(kname, sizeof kname, "P%d", k);
        Value fcols[2] = {k == 11 ? v_null() : v_string_cstr(arena, kname), v_bigint(k)};
        Row frow = {.cols = fcols, .ncols = 2, .rowtime = 30, .partition = k % TASKS, .offset = 200 + k,
                    .window_start = -1, .window_end = -1, .tombstone = k % 4 == 3};
        int from = k % TASKS, before_sent = sent.n;
        int seen_by[TASKS] = {0};
        /* Every task but the sender through its partition of the topic;
         * the sender's own join gets the row at once. */
        for (int t = 0; t < TASKS; t++)
            seen_by[t] = fup[t].rows;
        CHECK_EQ_INT(op_push(fr[from], &frow, &err), 0);
        if (k == 11) {   /* a null key joins nothing: sent nowhere */
            CHECK_EQ_INT(sent.n, before_sent);
            CHECK_EQ_INT(fup[from].rows, seen_by[from]);
            continue;
        }
        CHECK_EQ_INT(sent.n, before_sent + TASKS - 1);
        CHECK_EQ_INT(fup[from].rows, seen_by[from] + 1);
        CHECK_EQ_INT(fup[from].last.tombstone, k % 4 == 3);
        /* The last entry sent: to the highest other task; each entry is
         * the same bytes, so it reads as the right side's row there. */
        int to = from == TASKS - 1 ? TASKS - 2 : TASKS - 1;
        CHECK_EQ_INT(sent.partition, to);
        CHECK(op_exchange_origin(sent.value, sent.len, &side, &p, &o));
        CHECK_EQ_INT(side, 1);
        CHECK_EQ_INT(p, from);
        CHECK_EQ_INT(o, 200 + k);
        CHECK_EQ_INT(op_exchange_receive(fr[to], sent.value, sent.len, &err), 0);
        CHECK_EQ_INT(fup[to].rows, seen_by[to] + 1);
        CHECK_STR(fup[to].text, kname);
        CHECK_EQ_INT(fup[to].last.tombstone, k % 4 == 3);
    }
    printf("foreign-key join: 11 right rows each sent to the %d other tasks\n", TASKS - 1);
    for (int t = 0; t < TASKS; t++)
        fr[t]->ops->close(fr[t]);
    for (int t = 0; t < TASKS; t++)   /* op_store's names (the runtime frees them) */
        for (int i = 0; i < ctx[t].nstores; i++)
            free(ctx[t].store_names[i]);
    statedb_close(db);
    arena_destroy(arena);
    printf("%d passed, %d failed\n", tu_passed, tu_failed);
    return tu_failed > 0;
}
