/*
 * fuzz_exchange.c - libFuzzer target: repartition records as a task reads
 * them (op_exchange.c: op_exchange_receive, op_exchange_origin,
 * op_exchange_is_mark).  A repartition topic is an ordinary Kafka topic:
 * anyone can write anything to it.
 *
 * Input: byte 0 picks the exchange that reads the rest (b % 6):
 *   0  below an aggregate without windows;
 *   1  below a windowed aggregate (entries carry stream times, marks);
 *   2  below an aggregate over a table (entries carry a prior row);
 *   3  a stream-stream join's left side (times), 4 its right side;
 *   5  a stream-table join's right (table) side.
 *
 * Invariants beyond "no crash, no leak, no UB": receive answers 0 (read)
 * or 1 (refused), never -1 (the operator above never fails here); a
 * refused record pushes nothing and hands up no time; a read one pushes
 * exactly one row, unless it is a time mark, which pushes none and hands
 * up one time; an entry of the join's other side is refused; what
 * op_exchange_is_mark says agrees with what was read.
 */
#include "eddy/engine/operator.h"
#include "eddy/store.h"
#include "fuzz_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Up {
    Operator base;
    int rows, times;
} Up;

static int up_push(Operator *op, Row *row, EddyError *err)
{
    (void)err;
    Up *u = (Up *)op;
    u->rows++;
    /* Touch what a real operator reads. */
    volatile int64_t sink = row->rowtime + row->ncols;
    for (int i = 0; i < row->ncols; i++)
        sink += row->cols[i].kind;
    if (row->prior)
        for (int i = 0; i < row->prior->ncols; i++)
            sink += row->prior->cols[i].kind;
    (void)sink;
    return 0;
}

static int up_time(Operator *op, int32_t partition, int64_t t, EddyError *err)
{
    (void)partition, (void)t, (void)err;
    ((Up *)op)->times++;
    return 0;
}

static const OperatorOps up_ops = {.name = "up", .push = up_push, .partition_time = up_time};

static StateDb *db;
static BExpr key0 = {.kind = BX_COLUMN}, key1 = {.kind = BX_COLUMN};
static BExpr *keys[1] = {&key0};
static Plan plans[6];
static const int sides[6] = {0, 0, 0, 0, 1, 1};

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_exchange: %s\n", what);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    db = statedb_open_memory(1 << 20);
    key0.u.column = 0;
    key1.u.column = 1;
    for (int i = 0; i < 3; i++) {
        plans[i].tag = PLAN_AGGREGATE;
        plans[i].u.aggregate.nkeys = 1;
        plans[i].u.aggregate.keys = keys;
    }
    plans[1].u.aggregate.window.kind = WKIND_TUMBLING;
    plans[1].u.aggregate.window.size_ms = 1000;
    plans[2].u.aggregate.input_is_table = true;
    for (int i = 3; i < 6; i++) {
        plans[i].tag = PLAN_JOIN;
        plans[i].u.join.kind = i < 5 ? JOIN_STREAM_STREAM : JOIN_STREAM_TABLE;
        plans[i].u.join.left_key = &key1;
        plans[i].u.join.right_key = &key0;
        plans[i].u.join.id = i;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1)
        return 0;
    int mode = data[0] % 6;
    unsigned char *buf = fuzz_bytes(data + 1, size - 1);
    size_t len = size - 1;
    Arena *arena = arena_create(0);
    Exchange ex = {.ntasks = 4, .remote = true, .join = mode >= 3};
    OpCtx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.eval.arena = arena;
    ctx.state = db;
    ctx.query_id = "fuzz";
    ctx.task = 0;
    ctx.ntasks = 4;
    ctx.exchange = &ex;
    EddyError err;
    Operator *x = op_exchange_create(&plans[mode], sides[mode], &ctx, &err);
    if (x == NULL)
        fail("cannot create the exchange");
    Up up = {.base = {.ops = &up_ops}};
    x->downstream = &up.base;

    bool mark = op_exchange_is_mark(buf, len);
    int side = -1;
    int32_t partition = 0;
    int64_t offset = 0;
    bool origin = op_exchange_origin(buf, len, &side, &partition, &offset);
    int rc = op_exchange_receive(x, buf, len, &err);
    if (rc != 0 && rc != 1)
        fail("receive answered neither 0 nor 1");
    if (rc == 1 && (up.rows != 0 || up.times != 0))
        fail("a refused record pushed a row or a time");
    if (rc == 0 && mark && (up.rows != 0 || up.times != 1))
        fail("a time mark pushed a row, or not exactly one time");
    if (rc == 0 && !mark && up.rows != 1)
        fail("a read entry did not push exactly one row");
    if (rc == 0 && origin && side != sides[mode])
        fail("an entry of the other side was read");
    (void)partition, (void)offset;

    x->ops->close(x);
    for (int i = 0; i < ctx.nstores; i++)
        free(ctx.store_names[i]);
    arena_destroy(arena);
    free(buf);
    return 0;
}
