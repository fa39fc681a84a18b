/* agg_testutil.h - what the aggregate tests share (test_aggregates.c,
 * test_agg_collect.c): value builders, resolving calls, a state's life
 * cycle as the engine runs it (acc_*), and the merge/undo properties.
 *
 * Every state goes through what the engine does between records: each
 * step, undo and merge runs in a scratch arena, the new state is copied
 * (value_copy) into a fresh arena, and both the scratch arena and the
 * previous state's arena are destroyed.  Under ASan, a state that still
 * pointed into either would fail here. */
#ifndef EDDY_AGG_TESTUTIL_H
#define EDDY_AGG_TESTUTIL_H

#include "eddy/engine/aggregates.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>

static Arena *A;   /* test-lifetime: rows, types, resolved calls */

/* ---- value builders ------------------------------------------------------------ */

static inline Value S(const char *s) { return v_string_cstr(A, s); }
static inline Value I(int32_t i) { return v_int(i); }
static inline Value L(int64_t i) { return v_bigint(i); }
static inline Value D(double d) { return v_double(d); }
static inline Value B(bool b) { return v_bool(b); }
static inline Value DEC(int64_t unscaled, int p, int s) { return v_decimal(unscaled, p, s); }
#define N v_null()

static inline const SqlType *T(TypeKind k) { return type_prim(k); }

/* ---- resolving ------------------------------------------------------------------ */

static EddyError err;

/* name(types...) with literal values where lits[i].kind != TYPE__COUNT. */
static inline int resolve_n(AggCall *c, const char *name, int n, const SqlType *const *types, const Value *lits)
{
    const Value *litp[8] = {0};
    for (int i = 0; i < n; i++)
        if (lits && lits[i].kind != TYPE__COUNT)
            litp[i] = &lits[i];
    eddy_error_clear(&err);
    return agg_resolve(name, types, litp, n, false, A, c, &err);
}

static inline AggCall call1(const char *name, const SqlType *t)
{
    AggCall c;
    if (resolve_n(&c, name, 1, &t, NULL) != 0) {
        fprintf(stderr, "resolve %s: %s\n", name, err.msg);
        abort();
    }
    return c;
}

static inline Value NOLIT(void) { Value v; v.kind = TYPE__COUNT; v.u.i64 = 0; return v; }

/* name(col t, literal...) */
static inline AggCall call_lits(const char *name, const SqlType *t, int nlits, const Value *lits)
{
    AggCall c;
    const SqlType *types[4] = {t};
    Value all[4] = {NOLIT()};
    for (int i = 0; i < nlits; i++) {
        all[i + 1] = lits[i];
        types[i + 1] = value_prim_type(&lits[i]);
    }
    if (resolve_n(&c, name, nlits + 1, types, all) != 0) {
        fprintf(stderr, "resolve %s: %s\n", name, err.msg);
        abort();
    }
    return c;
}

/* ---- the engine's life cycle of a state ---------------------------------------------- */

typedef struct Acc {
    AggCall c;
    Arena *arena;       /* holds state */
    Value state;
    int64_t offset;     /* next row's offset */
} Acc;

/* Copies *v into a fresh arena, destroying the scratch arena and the old one. */
static inline void settle(Acc *g, Value *v, Arena *scratch)
{
    Arena *fresh = arena_create(0);
    Value copy = value_copy(fresh, v);
    CHECK(value_hash(&copy) == value_hash(v));   /* O(n); value_equal on a big map is O(n^2) */
    arena_destroy(scratch);
    if (g->arena)
        arena_destroy(g->arena);
    g->arena = fresh;
    g->state = copy;
}

static inline void acc_begin(Acc *g, AggCall c)
{
    g->c = c;
    g->arena = NULL;
    g->offset = 0;
    Arena *scratch = arena_create(0);
    Value s;
    c.fns->init(&g->c, &s, scratch);
    settle(g, &s, scratch);
}

static inline void acc_end(Acc *g)
{
    arena_destroy(g->arena);
    g->arena = NULL;
}

static inline void acc_step_args(Acc *g, const Value *args)
{
    Arena *scratch = arena_create(0);
    Value s = g->state;
    g->c.fns->step(&g->c, &s, args, 1000 + g->offset, g->offset, scratch);
    g->offset++;
    settle(g, &s, scratch);
}

static inline void acc_step(Acc *g, Value v)
{
    acc_step_args(g, &v);
}

static inline void acc_undo_args(Acc *g, const Value *args)
{
    CHECK(g->c.fns->undo != NULL);
    if (g->c.fns->undo == NULL)
        return;
    Arena *scratch = arena_create(0);
    Value s = g->state;
    g->c.fns->undo(&g->c, &s, args, scratch);
    settle(g, &s, scratch);
}

static inline void acc_undo(Acc *g, Value v)
{
    acc_undo_args(g, &v);
}

static inline void acc_merge(Acc *g, const Acc *other)
{
    CHECK(g->c.fns->merge != NULL);
    Arena *scratch = arena_create(0);
    Value s = g->state;
    g->c.fns->merge(&g->c, &s, &other->state, scratch);
    settle(g, &s, scratch);
}

/* The result, as text ("null", "[c, b, b]", "{a=2}"). */
static inline const char *acc_text(const Acc *g)
{
    static char bufs[8][4096];
    static int next;
    char *buf = bufs[next++ % 8];
    Arena *scratch = arena_create(0);
    Value out;
    g->c.fns->result(&g->c, &g->state, &out, scratch);
    StrBuf sb;
    sb_init(&sb);
    value_format_typed(&out, g->c.result, &sb);
    snprintf(buf, sizeof bufs[0], "%s", sb.data ? sb.data : "");
    sb_free(&sb);
    arena_destroy(scratch);
    return buf;
}

/* A scalar result (no pointers: it outlives the scratch arena). */
static inline Value acc_scalar(const Acc *g)
{
    Arena *scratch = arena_create(0);
    Value out;
    g->c.fns->result(&g->c, &g->state, &out, scratch);
    arena_destroy(scratch);
    return out;
}

static inline double acc_double(const Acc *g)
{
    Value out = acc_scalar(g);
    return out.kind == TYPE_DOUBLE ? out.u.d : -12345.678;
}

static inline int64_t acc_bigint(const Acc *g)
{
    Value out = acc_scalar(g);
    return out.kind == TYPE_BIGINT ? out.u.i64 : -999;
}

/* Steps each value and checks the result text after each. */
static inline void run_texts(AggCall c, int n, const Value *in, const char *const *want)
{
    Acc g;
    acc_begin(&g, c);
    for (int i = 0; i < n; i++) {
        acc_step(&g, in[i]);
        CHECK_STR(acc_text(&g), want[i]);
    }
    acc_end(&g);
}

/* Steps each value and checks the DOUBLE result after each, bit for bit. */
static inline void run_doubles(AggCall c, int n, const Value *in, const double *want)
{
    Acc g;
    acc_begin(&g, c);
    for (int i = 0; i < n; i++) {
        acc_step(&g, in[i]);
        double got = acc_double(&g);
        if (got != want[i])
            fprintf(stderr, "  %s row %d: got %.17g, want %.17g\n", c.name, i, got, want[i]);
        CHECK(got == want[i]);
    }
    acc_end(&g);
}

#define VALS(...) (const Value[]){__VA_ARGS__}
#define NVALS(...) ((int)(sizeof((Value[]){__VA_ARGS__}) / sizeof(Value)))
#define TEXTS(...) (const char *const[]){__VA_ARGS__}
#define DOUBLES(...) (const double[]){__VA_ARGS__}
#define RUN_TEXTS(c, in, ...) run_texts(c, (int)(sizeof(in) / sizeof(Value)), in, TEXTS(__VA_ARGS__))

/* ---- merge and undo, as properties ------------------------------------------------------ */

/* Same result value (maps: same entries in any order), else both texts shown. */
static inline void check_same_result(const Acc *got, const Acc *want, const char *what, int at)
{
    Arena *scratch = arena_create(0);
    Value g, w;
    got->c.fns->result(&got->c, &got->state, &g, scratch);
    want->c.fns->result(&want->c, &want->state, &w, scratch);
    bool same = value_equal(&g, &w) && g.kind == w.kind;
    if (!same)
        fprintf(stderr, "  %s %s at %d: got %s, want %s\n", what, got->c.name, at, acc_text(got), acc_text(want));
    CHECK(same);
    arena_destroy(scratch);
}

/* Stepping all rows == stepping rows[0..k) and rows[k..n) apart and merging, for every k. */
static inline void check_merge(AggCall c, int n, const Value *rows, bool approx)
{
    Acc all;
    acc_begin(&all, c);
    for (int i = 0; i < n; i++)
        acc_step(&all, rows[i]);
    for (int k = 0; k <= n; k++) {
        Acc x, y;
        acc_begin(&x, c);
        acc_begin(&y, c);
        for (int i = 0; i < k; i++)
            acc_step(&x, rows[i]);
        y.offset = k;   /* the later session's rows keep their offsets */
        for (int i = k; i < n; i++)
            acc_step(&y, rows[i]);
        acc_merge(&x, &y);
        if (approx) {
            double a = acc_double(&all), b = acc_double(&x);
            bool ok = fabs(a - b) <= 1e-9 * (fabs(a) > 1 ? fabs(a) : 1);
            if (!ok)
                fprintf(stderr, "  merge %s at %d: %.17g vs %.17g\n", c.name, k, b, a);
            CHECK(ok);
        } else {
            check_same_result(&x, &all, "merge", k);
        }
        acc_end(&x);
        acc_end(&y);
    }
    acc_end(&all);
}

/* Stepping all rows then undoing row j == stepping every row but j, for every j. */
static inline void check_undo(AggCall c, int n, const Value *rows, bool approx)
{
    for (int j = 0; j < n; j++) {
        Acc x, y;
        acc_begin(&x, c);
        acc_begin(&y, c);
        for (int i = 0; i < n; i++) {
            acc_step(&x, rows[i]);
            if (i != j)
                acc_step(&y, rows[i]);
        }
        acc_undo(&x, rows[j]);
        if (approx) {
            double a = acc_double(&y), b = acc_double(&x);
            bool ok = fabs(a - b) <= 1e-9 * (fabs(a) > 1 ? fabs(a) : 1) || (isnan(a) && isnan(b));
            if (!ok)
                fprintf(stderr, "  undo %s row %d: %.17g vs %.17g\n", c.name, j, b, a);
            CHECK(ok);
        } else {
            check_same_result(&x, &y, "undo", j);
        }
        acc_end(&x);
        acc_end(&y);
    }
}

#define CHECK_MERGE(c, rows) check_merge(c, (int)(sizeof(rows) / sizeof(Value)), rows, false)
#define CHECK_MERGE_APPROX(c, rows) check_merge(c, (int)(sizeof(rows) / sizeof(Value)), rows, true)
#define CHECK_UNDO(c, rows) check_undo(c, (int)(sizeof(rows) / sizeof(Value)), rows, false)
#define CHECK_UNDO_APPROX(c, rows) check_undo(c, (int)(sizeof(rows) / sizeof(Value)), rows, true)

#endif
