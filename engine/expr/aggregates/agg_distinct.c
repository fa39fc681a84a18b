/*
 * agg_distinct.c - COUNT_DISTINCT: the number of distinct non-NULL values.
 *
 * In:  states and arguments.  Out: new states and results in the caller's
 *      arena.
 *
 * ksqlDB estimates with a HyperLogLog of 2^14 registers (standard error
 * below 1%) and so returns approximate counts even for three values.
 * eddy counts exactly while a group has few distinct values and switches
 * to the same kind of sketch when the exact set would outgrow it, so the
 * state stays bounded (16 KiB) however many values a group sees:
 *
 *   state = BYTES, first byte the format:
 *     1  exact set: up to 2048 distinct 64-bit value hashes, sorted,
 *        8 bytes each, little-endian.  Exact up to hash collisions
 *        (for 2048 values in 2^64, about 1e-13).
 *     2  HyperLogLog, p = 14: 16384 one-byte registers (standard error
 *        1.04 / sqrt(16384), about 0.8%), with linear counting below
 *        2.5 * 16384 as the original paper prescribes.
 *   A malformed state (not written by this file) counts as empty.
 *
 * The hashes are value_hash() (numbers that compare equal hash equal),
 * finished with one more mix; they are stored, so value_hash must stay
 * stable across releases or stored states would count old values again.
 * No undo (ksqlDB's COUNT_DISTINCT is stream-only, and a sketch cannot
 * forget); merge is set union, register max, or both.
 */
#include "agg_int.h"

#include <math.h>
#include <string.h>

enum { FMT_SET = 1, FMT_HLL = 2 };

#define EXACT_MAX 2048
#define HLL_P 14
#define HLL_M (1 << HLL_P)

static uint64_t load64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void store64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t hash_of(const Value *v)
{
    uint64_t x = value_hash(v);
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

/* A view of a state: its format and payload. */
typedef struct View {
    int fmt;
    const unsigned char *p;
    int32_t n;          /* FMT_SET: hashes; FMT_HLL: registers */
} View;

static View view_of(const Value *state)
{
    View v = {FMT_SET, NULL, 0};
    if (state->kind != TYPE_BYTES || state->u.str.len < 1 || state->u.str.ptr == NULL)
        return v;
    const unsigned char *b = (const unsigned char *)state->u.str.ptr;
    int32_t len = state->u.str.len - 1;
    if (b[0] == FMT_SET && len % 8 == 0 && len / 8 <= EXACT_MAX)
        v = (View){FMT_SET, b + 1, len / 8};
    else if (b[0] == FMT_HLL && len == HLL_M)
        v = (View){FMT_HLL, b + 1, HLL_M};
    return v;
}

/* A new BYTES state of 1 + len bytes (format byte set, payload zeroed). */
static Value new_state(Arena *a, int fmt, int32_t len, unsigned char **payload)
{
    unsigned char *b = arena_alloc(a, (size_t)len + 2);   /* + NUL, as value.h wants */
    b[0] = (unsigned char)fmt;
    *payload = b + 1;
    Value v = v_null();
    v.kind = TYPE_BYTES;
    v.u.str.ptr = (const char *)b;
    v.u.str.len = len + 1;
    return v;
}

/* Index of h in the sorted set, or -(insertion point) - 1. */
static int32_t set_find(const View *s, uint64_t h)
{
    int32_t lo = 0, hi = s->n;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        uint64_t x = load64(s->p + 8 * (size_t)mid);
        if (x == h)
            return mid;
        if (x < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -lo - 1;
}

static void hll_offer(unsigned char *regs, uint64_t h)
{
    uint32_t idx = (uint32_t)(h >> (64 - HLL_P));
    uint64_t w = h << HLL_P;
    int rank = w == 0 ? 64 - HLL_P + 1 : __builtin_clzll(w) + 1;
    if (regs[idx] < rank)
        regs[idx] = (unsigned char)rank;
}

/* Would h raise a register of regs? */
static bool hll_would_change(const unsigned char *regs, uint64_t h)
{
    uint32_t idx = (uint32_t)(h >> (64 - HLL_P));
    uint64_t w = h << HLL_P;
    int rank = w == 0 ? 64 - HLL_P + 1 : __builtin_clzll(w) + 1;
    return regs[idx] < rank;
}

/* A HyperLogLog state holding the set s (and, if hll != NULL, those registers). */
static Value to_hll(Arena *a, const View *s, const unsigned char *hll, unsigned char **regs)
{
    Value v = new_state(a, FMT_HLL, HLL_M, regs);
    if (hll)
        memcpy(*regs, hll, HLL_M);
    for (int32_t i = 0; s && i < s->n; i++)
        hll_offer(*regs, load64(s->p + 8 * (size_t)i));
    return v;
}

static void cd_init(const AggCall *c, Value *state, Arena *a)
{
    unsigned char *p;
    *state = new_state(a, FMT_SET, 0, &p);
}

static void cd_step(const AggCall *c, Value *state, const Value *args, int64_t rowtime, int64_t offset,
                    Arena *a)
{
    if (v_is_null(&args[0]))
        return;
    uint64_t h = hash_of(&args[0]);
    View s = view_of(state);
    unsigned char *p;
    if (s.fmt == FMT_HLL) {
        if (!hll_would_change(s.p, h))
            return;
        *state = to_hll(a, NULL, s.p, &p);
        hll_offer(p, h);
        return;
    }
    int32_t at = set_find(&s, h);
    if (at >= 0)
        return;
    if (s.n >= EXACT_MAX) {
        *state = to_hll(a, &s, NULL, &p);
        hll_offer(p, h);
        return;
    }
    int32_t ins = -at - 1;
    *state = new_state(a, FMT_SET, 8 * (s.n + 1), &p);
    if (ins > 0)
        memcpy(p, s.p, 8 * (size_t)ins);
    store64(p + 8 * (size_t)ins, h);
    if (s.n > ins)
        memcpy(p + 8 * (size_t)(ins + 1), s.p + 8 * (size_t)ins, 8 * (size_t)(s.n - ins));
}

static void cd_merge(const AggCall *c, Value *state, const Value *other, Arena *a)
{
    View x = view_of(state), y = view_of(other);
    unsigned char *p;
    if (y.n == 0 && y.fmt == FMT_SET)
        return;
    if (x.fmt == FMT_HLL || y.fmt == FMT_HLL) {
        const View *hll = x.fmt == FMT_HLL ? &x : &y, *rest = x.fmt == FMT_HLL ? &y : &x;
        *state = to_hll(a, rest->fmt == FMT_SET ? rest : NULL, hll->p, &p);
        if (rest->fmt == FMT_HLL)
            for (int32_t i = 0; i < HLL_M; i++)
                if (p[i] < rest->p[i])
                    p[i] = rest->p[i];
        return;
    }
    /* Union of two sorted sets. */
    unsigned char *u = arena_alloc(a, 8 * ((size_t)x.n + (size_t)y.n) + 1);
    int32_t i = 0, j = 0, n = 0;
    while (i < x.n || j < y.n) {
        uint64_t hx = i < x.n ? load64(x.p + 8 * (size_t)i) : UINT64_MAX;
        uint64_t hy = j < y.n ? load64(y.p + 8 * (size_t)j) : UINT64_MAX;
        uint64_t h;
        if (j >= y.n || (i < x.n && hx <= hy)) {
            h = hx;
            i++;
            if (j < y.n && hy == hx)
                j++;
        } else {
            h = hy;
            j++;
        }
        store64(u + 8 * (size_t)n++, h);
    }
    View all = {FMT_SET, u, n};
    if (n > EXACT_MAX) {
        *state = to_hll(a, &all, NULL, &p);
        return;
    }
    *state = new_state(a, FMT_SET, 8 * n, &p);
    memcpy(p, u, 8 * (size_t)n);
}

static int64_t hll_estimate(const unsigned char *regs)
{
    double m = HLL_M, sum = 0.0;
    int32_t zeros = 0;
    for (int32_t i = 0; i < HLL_M; i++) {
        sum += ldexp(1.0, -(int)regs[i]);
        zeros += regs[i] == 0;
    }
    double e = 0.7213 / (1.0 + 1.079 / m) * m * m / sum;
    if (e <= 2.5 * m && zeros > 0)
        e = m * log(m / zeros);
    return (int64_t)llround(e);
}

static void cd_result(const AggCall *c, const Value *state, Value *out, Arena *a)
{
    View s = view_of(state);
    *out = v_bigint(s.fmt == FMT_HLL ? hll_estimate(s.p) : s.n);
}

const AggFns agg_count_distinct_fns = {cd_init, cd_step, NULL, cd_merge, cd_result};
