/*
 * func_common.c - the helpers of func_int.h that are one object for every
 * function file: the error setter, the per-thread scratch buffer, the
 * random source, map building.
 */
#include "func_int.h"

#include <pthread.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>

int func_fail(FuncCtx *ctx, const char *fmt, ...)
{
    if (ctx->err) {
        va_list ap;
        va_start(ap, fmt);
        ctx->err->kind = ERR_RUNTIME;
        ctx->err->pos = (SrcPos){0, 0};
        vsnprintf(ctx->err->msg, sizeof ctx->err->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* A thread's scratch buffer lives as long as the thread; a worker thread
 * that ends (pool.c) frees it through the key's destructor. */
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *p)
{
    sb_free(p);
}

static void scratch_key_init(void)
{
    pthread_key_create(&scratch_key, scratch_free);
}

StrBuf *func_scratch(void)
{
    static __thread StrBuf sb;
    static __thread bool registered;
    if (!registered) {
        pthread_once(&scratch_once, scratch_key_init);
        pthread_setspecific(scratch_key, &sb);
        registered = true;
    }
    sb_reset(&sb);
    return &sb;
}

uint64_t func_random_u64(void)
{
    static __thread uint64_t state;
    if (state == 0) {
        if (getrandom(&state, sizeof state, 0) != (ssize_t)sizeof state || state == 0) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            state = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)&state;
            if (state == 0)
                state = 0x9E3779B97F4A7C15ULL;
        }
    }
    /* xorshift64* */
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545F4914F6CDD1DULL;
}

void map_put(VVec *keys, VVec *vals, const Value *k, const Value *v)
{
    for (int32_t i = 0; i < keys->n; i++)
        if (value_equal(&keys->items[i], k)) {
            vals->items[i] = *v;
            return;
        }
    vv_push(keys, *k);
    vv_push(vals, *v);
}

/* EXPLODE and CUBE_EXPLODE are planned as a FLATMAP node, TRANSFORM,
 * FILTER and REDUCE bound as lambda calls: none is evaluated as a scalar.
 * A call reaching here is a planner bug, reported as a per-row error
 * rather than a crash. */
int fn_not_scalar(const Value *args, int nargs, Value *out, FuncCtx *ctx)
{
    (void)args;
    (void)nargs;
    *out = v_null();
    return func_fail(ctx, "a table or lambda function cannot be evaluated as a scalar");
}
