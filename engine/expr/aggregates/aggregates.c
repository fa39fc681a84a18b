/*
 * aggregates.c - the builtin aggregate function registry: one table of
 * aggregate functions and their signatures, resolution for the analyzer,
 * and the introspection SHOW FUNCTIONS / DESCRIBE FUNCTION read.
 *
 * In:  a function name, its argument types and which arguments are
 *      literals (agg_resolve); a name (agg_exists, agg_info).
 * Out: an AggCall (the AggFns to run, the type each column argument is
 *      cast to, the validated literal arguments, the result and state
 *      types) or an ERR_ANALYSIS message.
 *
 * The table (EDDY_AGG_LIST below, alphabetical) lists each function with a
 * description and its signatures.  A signature gives the parameter kinds
 * (a type, generic T, or a literal-only parameter such as TOPK's k), the
 * result and state type rules, and the AggFns, which live in
 * agg_numeric.c, agg_collect.c, agg_offset.c and agg_distinct.c.
 *
 * Resolution matches scalar functions' (functions.c): an argument fits a
 * parameter of its own type or one it widens to (INT -> BIGINT -> DECIMAL
 * -> DOUBLE, one point per step), a NULL literal fits anything but
 * DECIMAL, generic T takes the argument's type (STRING for a NULL
 * literal), and the cheapest signature wins, ties to the one listed first.
 * Literal-only parameters come last in every signature; they need a
 * literal argument of the right kind, and k / n must be 1 to 2^31 - 1.
 *
 * Sources for the semantics: ksqlDB's aggregate function reference and
 * its UDAF implementations (ksqldb-engine/.../function/udaf/), including
 * their query-validation tests; each implementation file says where it
 * follows them and where it departs.
 */
#include "../registry.h"
#include "agg_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- signatures ------------------------------------------------------------ */

/* Parameter kinds: a TypeKind, or one of these. */
enum {
    P_INT = TYPE_INT, P_BIGINT = TYPE_BIGINT, P_DOUBLE = TYPE_DOUBLE, P_DECIMAL = TYPE_DECIMAL,
    P_STRING = TYPE_STRING, P_BYTES = TYPE_BYTES, P_TS = TYPE_TIMESTAMP, P_DATE = TYPE_DATE,
    P_TIME = TYPE_TIME,
    P_T = 100,          /* any type T */
    P_LIT_INT,          /* literal integer, 1 .. INT32_MAX (TOPK's k, *_BY_OFFSET's n) */
    P_LIT_BOOL,         /* literal boolean (*_BY_OFFSET's ignoreNulls) */
};

/* Result and state types, from the first parameter's type A. */
typedef enum TypeRule {
    T_FIXED,            /* the kind given beside the rule */
    T_ARG,              /* A */
    T_ARRAY_ARG,        /* ARRAY<A> */
    T_HISTOGRAM,        /* MAP<STRING, BIGINT> */
    T_AVG,              /* STRUCT<SUM A, COUNT BIGINT> */
    T_STDDEV,           /* STRUCT<SUM A, COUNT BIGINT, M2 DOUBLE> */
    T_CORRELATION,      /* STRUCT<X_SUM, Y_SUM, X_SQUARED_SUM, Y_SQUARED_SUM, XY_SUM DOUBLE, COUNT BIGINT> */
    T_OFFSET,           /* STRUCT<SEQ BIGINT, VAL A> */
    T_OFFSET_N,         /* ARRAY<STRUCT<SEQ BIGINT, VAL A>> */
    T_ATTR,             /* ARRAY<STRUCT<VALUE A, COUNT INTEGER>> */
} TypeRule;

#define AGG_MAX_PARAMS 4

typedef struct AggSig {
    const AggFns *fns;
    uint8_t ret_rule, ret_kind;
    uint8_t state_rule, state_kind;
    bool star;                  /* COUNT(*) */
    uint8_t nparams;
    uint8_t params[AGG_MAX_PARAMS];
    const char *names;          /* parameter names, ", "-separated */
} AggSig;

#define RET(rule, kind) rule, kind
#define STATE(rule, kind) rule, kind
#define SIG(fns_, ret_, state_, names_, ...) \
    {&fns_, ret_, state_, false, (uint8_t)sizeof((uint8_t[]){__VA_ARGS__}), {__VA_ARGS__}, names_}
#define SIG_STAR(fns_, ret_, state_) {&fns_, ret_, state_, true, 0, {0}, ""}

#define R_BIGINT RET(T_FIXED, TYPE_BIGINT)
#define R_DOUBLE RET(T_FIXED, TYPE_DOUBLE)
#define R_ARG RET(T_ARG, 0)
#define R_ARRAY RET(T_ARRAY_ARG, 0)
#define S(rule) STATE(rule, 0)

/* The comparable types of MIN and MAX (ksqlDB's NUMERICAL_TIME plus STRING and BYTES). */
#define SIGS_COMPARABLE(fns_)                                                             \
    SIG(fns_, R_ARG, S(T_ARG), "col", P_INT), SIG(fns_, R_ARG, S(T_ARG), "col", P_BIGINT), \
    SIG(fns_, R_ARG, S(T_ARG), "col", P_DOUBLE), SIG(fns_, R_ARG, S(T_ARG), "col", P_DECIMAL), \
    SIG(fns_, R_ARG, S(T_ARG), "col", P_DATE), SIG(fns_, R_ARG, S(T_ARG), "col", P_TIME),  \
    SIG(fns_, R_ARG, S(T_ARG), "col", P_TS), SIG(fns_, R_ARG, S(T_ARG), "col", P_STRING),  \
    SIG(fns_, R_ARG, S(T_ARG), "col", P_BYTES)

/* INT, BIGINT, DOUBLE (DECIMAL widens to DOUBLE): AVG, STDDEV_*. */
#define SIGS_MEAN(fns_, state_)                                                                 \
    SIG(fns_, R_DOUBLE, S(state_), "col", P_INT), SIG(fns_, R_DOUBLE, S(state_), "col", P_BIGINT), \
    SIG(fns_, R_DOUBLE, S(state_), "col", P_DOUBLE)

/* col [, n] [, ignoreNulls]: EARLIEST_BY_OFFSET, LATEST_BY_OFFSET. */
#define SIGS_BY_OFFSET(one_, many_)                                                       \
    SIG(one_, R_ARG, S(T_OFFSET), "col", P_T),                                            \
    SIG(one_, R_ARG, S(T_OFFSET), "col, ignoreNulls", P_T, P_LIT_BOOL),                   \
    SIG(many_, R_ARRAY, S(T_OFFSET_N), "col, n", P_T, P_LIT_INT),                         \
    SIG(many_, R_ARRAY, S(T_OFFSET_N), "col, n, ignoreNulls", P_T, P_LIT_INT, P_LIT_BOOL)

static const AggSig sig_ATTR[] = {SIG(agg_attr_fns, R_ARG, S(T_ATTR), "col", P_T)};
static const AggSig sig_AVG[] = {SIGS_MEAN(agg_avg_fns, T_AVG)};
static const AggSig sig_COLLECT_LIST[] = {SIG(agg_collect_list_fns, R_ARRAY, S(T_ARRAY_ARG), "col", P_T)};
static const AggSig sig_COLLECT_SET[] = {SIG(agg_collect_set_fns, R_ARRAY, S(T_ARRAY_ARG), "col", P_T)};
static const AggSig sig_CORRELATION[] = {
    SIG(agg_correlation_fns, R_DOUBLE, S(T_CORRELATION), "x, y", P_DOUBLE, P_DOUBLE),
};
static const AggSig sig_COUNT[] = {
    SIG_STAR(agg_count_star_fns, R_BIGINT, STATE(T_FIXED, TYPE_BIGINT)),
    SIG(agg_count_fns, R_BIGINT, STATE(T_FIXED, TYPE_BIGINT), "col", P_T),
};
static const AggSig sig_COUNT_DISTINCT[] = {
    SIG(agg_count_distinct_fns, R_BIGINT, STATE(T_FIXED, TYPE_BYTES), "col", P_T),
};
static const AggSig sig_EARLIEST_BY_OFFSET[] = {SIGS_BY_OFFSET(agg_earliest_fns, agg_earliest_n_fns)};
static const AggSig sig_HISTOGRAM[] = {
    SIG(agg_histogram_fns, RET(T_HISTOGRAM, 0), S(T_HISTOGRAM), "col", P_STRING),
};
static const AggSig sig_LATEST_BY_OFFSET[] = {SIGS_BY_OFFSET(agg_latest_fns, agg_latest_n_fns)};
static const AggSig sig_MAX[] = {SIGS_COMPARABLE(agg_max_fns)};
static const AggSig sig_MIN[] = {SIGS_COMPARABLE(agg_min_fns)};
static const AggSig sig_STDDEV_SAMP[] = {SIGS_MEAN(agg_stddev_samp_fns, T_STDDEV)};
static const AggSig sig_STDDEV_SAMPLE[] = {SIGS_MEAN(agg_stddev_sample_fns, T_STDDEV)};
static const AggSig sig_SUM[] = {
    SIG(agg_sum_fns, R_ARG, S(T_ARG), "col", P_INT), SIG(agg_sum_fns, R_ARG, S(T_ARG), "col", P_BIGINT),
    SIG(agg_sum_fns, R_ARG, S(T_ARG), "col", P_DOUBLE), SIG(agg_sum_fns, R_ARG, S(T_ARG), "col", P_DECIMAL),
};
/* TOPK, TOPKDISTINCT: every comparable type of MIN and MAX (ksqlDB takes INT,
 * BIGINT, DOUBLE and STRING for TOPK; the others order the same way). */
#define SIGS_TOPK(fns_)                                                                          \
    SIG(fns_, R_ARRAY, S(T_ARRAY_ARG), "col, k", P_INT, P_LIT_INT),                              \
    SIG(fns_, R_ARRAY, S(T_ARRAY_ARG), "col, k", P_BIGINT, P_LIT_INT),                           \
    SIG(fns_, R_ARRAY, S(T_ARRAY_ARG), "col, k", P_DOUBLE, P_LIT_INT),                           \
    SIG(fns_, R_ARRAY, S(T_ARRAY_ARG), "col, k", P_STRING, P_LIT_INT),                           \
    SIG(fns_, R_ARRAY, S(T_ARRAY_ARG), "col, k", P_DECIMAL, P_LIT_INT),                          \
    SIG(fns_, R_ARRAY, S(T_ARRAY_ARG), "col, k", P_DATE, P_LIT_INT),                             \
    SIG(fns_, R_ARRAY, S(T_ARRAY_ARG), "col, k", P_TIME, P_LIT_INT),                             \
    SIG(fns_, R_ARRAY, S(T_ARRAY_ARG), "col, k", P_TS, P_LIT_INT),                               \
    SIG(fns_, R_ARRAY, S(T_ARRAY_ARG), "col, k", P_BYTES, P_LIT_INT)
static const AggSig sig_TOPK[] = {SIGS_TOPK(agg_topk_fns)};
static const AggSig sig_TOPKDISTINCT[] = {SIGS_TOPK(agg_topkdistinct_fns)};

/* ---- the table ---------------------------------------------------------------- */

/* X-macro, alphabetical: name, description. */
#define EDDY_AGG_LIST(X)                                                                            \
    X(ATTR, "The one value the column takes in the group, or NULL if it takes more than one.")      \
    X(AVG, "The mean of the non-NULL values, as a DOUBLE (0.0 when there are none).")                \
    X(COLLECT_LIST, "All values, NULLs included, in arrival order (at most 1000).")                  \
    X(COLLECT_SET, "The distinct values, NULL included, in order of first arrival (at most 1000).") \
    X(CORRELATION, "The Pearson correlation coefficient of the rows where both x and y are non-NULL.") \
    X(COUNT, "COUNT(*): the number of rows; COUNT(col): the number of rows where col is non-NULL.")   \
    X(COUNT_DISTINCT, "The number of distinct non-NULL values: exact up to 2048, then a HyperLogLog " \
                      "estimate (standard error about 0.8%).")                                      \
    X(EARLIEST_BY_OFFSET, "The earliest value (or the earliest n values, as an array) by offset; "   \
                          "NULLs are skipped unless ignoreNulls is false.")                          \
    X(HISTOGRAM, "A map from each distinct non-NULL string to the number of times it occurs "        \
                 "(at most 1000 keys).")                                                            \
    X(LATEST_BY_OFFSET, "The latest value (or the latest n values, as an array) by offset; "         \
                        "NULLs are skipped unless ignoreNulls is false.")                            \
    X(MAX, "The largest non-NULL value, or NULL if there is none.")                                  \
    X(MIN, "The smallest non-NULL value, or NULL if there is none.")                                 \
    X(STDDEV_SAMP, "The sample VARIANCE of the non-NULL values (ksqlDB's STDDEV_SAMP returns the "   \
                   "square of the standard deviation; STDDEV_SAMPLE is the standard deviation); "    \
                   "0.0 below two values.")                                                         \
    X(STDDEV_SAMPLE, "The sample standard deviation of the non-NULL values; 0.0 below two values.") \
    X(SUM, "The sum of the non-NULL values (0 when there are none); same type as the column.")      \
    X(TOPK, "The k largest non-NULL values, largest first, duplicates kept; TOPK(sort_col, col0, "   \
            "..., k): the rows of the k largest sort_col, as ARRAY<STRUCT<sort_col, col0, ...>>.")  \
    X(TOPKDISTINCT, "The k largest distinct non-NULL values, largest first.")

typedef struct AggDef {
    const char *name, *description;
    const AggSig *sigs;
    int nsigs;
} AggDef;

#define AGG_ENTRY(name_, desc_) {#name_, desc_, sig_##name_, (int)(sizeof sig_##name_ / sizeof sig_##name_[0])},
static const AggDef defs[] = {EDDY_AGG_LIST(AGG_ENTRY)};
#undef AGG_ENTRY

#define NDEFS ((int)(sizeof defs / sizeof defs[0]))

static const NameTable agg_table = NAMETAB_INIT(defs, AggDef, name);

static const AggDef *find_def(const char *name)
{
    int i = nametab_find(&agg_table, name);
    return i < 0 ? NULL : &defs[i];
}

bool agg_exists(const char *name)
{
    return find_def(name) != NULL;
}

/* ---- types ----------------------------------------------------------------- */

static TypeKind kind_of(const SqlType *t)
{
    return t ? t->kind : TYPE_NULL;
}

static const SqlType *struct_of(Arena *a, int n, const char *const *names, const SqlType *const *types)
{
    SqlField f[6];
    for (int i = 0; i < n; i++)
        f[i] = (SqlField){names[i], types[i]};
    return type_struct(a, f, n);
}

static const SqlType *rule_type(TypeRule rule, TypeKind kind, const SqlType *A, Arena *a)
{
    const SqlType *bigint = type_prim(TYPE_BIGINT), *dbl = type_prim(TYPE_DOUBLE);
    switch (rule) {
    case T_FIXED:
        return type_prim(kind);
    case T_ARG:
        return A;
    case T_ARRAY_ARG:
        return type_array(a, A);
    case T_HISTOGRAM:
        return type_map(a, type_prim(TYPE_STRING), bigint);
    case T_AVG:
        return struct_of(a, 2, (const char *[]){"SUM", "COUNT"}, (const SqlType *[]){A, bigint});
    case T_STDDEV:
        return struct_of(a, 3, (const char *[]){"SUM", "COUNT", "M2"}, (const SqlType *[]){A, bigint, dbl});
    case T_CORRELATION:
        return struct_of(a, 6,
                         (const char *[]){"X_SUM", "Y_SUM", "X_SQUARED_SUM", "Y_SQUARED_SUM", "XY_SUM", "COUNT"},
                         (const SqlType *[]){dbl, dbl, dbl, dbl, dbl, bigint});
    case T_OFFSET:
        return struct_of(a, 2, (const char *[]){"SEQ", "VAL"}, (const SqlType *[]){bigint, A});
    case T_OFFSET_N:
        return type_array(a, rule_type(T_OFFSET, kind, A, a));
    case T_ATTR:
        return type_array(a, struct_of(a, 2, (const char *[]){"VALUE", "COUNT"},
                                       (const SqlType *[]){A, type_prim(TYPE_INT)}));
    }
    EDDY_PANIC("rule_type: bad rule %d", (int)rule);
}

/* ---- resolution ------------------------------------------------------------ */

/* Why a signature did not fit; the worse the literal, the more specific
 * its message (an out-of-range k beats "must be a BOOLEAN" from a
 * neighbouring signature). */
typedef enum Fit { FIT_NO = -1, FIT_LITERAL_KIND = -2, FIT_LITERAL_RANGE = -3 } Fit;

static bool is_literal_param(uint8_t p)
{
    return p == P_LIT_INT || p == P_LIT_BOOL;
}

/* Checks a literal-only parameter: 0 with *v filled, or a Fit with a message. */
static int check_literal(const AggDef *f, const AggSig *sig, int i, uint8_t p, const Value *lit,
                          Value *v, char *msg, size_t msgsize)
{
    size_t len;
    const char *name = reg_param_name(sig->names, i, &len);
    char pname[32] = "argument";
    if (len)
        snprintf(pname, sizeof pname, "%.*s", (int)len, name);
    if (p == P_LIT_BOOL) {
        if (lit && lit->kind == TYPE_BOOLEAN) {
            *v = *lit;
            return 0;
        }
        snprintf(msg, msgsize, "%s: %s must be a literal BOOLEAN (TRUE or FALSE)", f->name, pname);
        return FIT_LITERAL_KIND;
    }
    if (lit && (lit->kind == TYPE_INT || lit->kind == TYPE_BIGINT)) {
        int64_t k = agg_i64(lit);
        if (k >= 1 && k <= INT32_MAX) {
            *v = v_int((int32_t)k);
            return 0;
        }
        snprintf(msg, msgsize, "%s: %s must be from 1 to 2147483647; got %lld", f->name, pname, (long long)k);
        return FIT_LITERAL_RANGE;
    }
    snprintf(msg, msgsize, "%s: %s must be a literal INTEGER from 1 to 2147483647", f->name, pname);
    return FIT_LITERAL_KIND;
}

/* Tries one signature: a Fit (< 0) if it does not fit, else its widening
 * cost, with params[] (column parameters) and lits[] filled. */
static int try_sig(const AggDef *f, const AggSig *sig, const SqlType *const *args,
                   const Value *const *literal_args, int n, Arena *a, const SqlType **params,
                   Value *lits, char *msg, size_t msgsize)
{
    if (sig->star || n != sig->nparams)
        return FIT_NO;
    int cost = 0, bad_literal = 0;
    for (int i = 0; i < n; i++) {
        uint8_t p = sig->params[i];
        const Value *lit = literal_args ? literal_args[i] : NULL;
        TypeKind k = kind_of(args[i]);
        if (is_literal_param(p)) {
            if (bad_literal == 0)
                bad_literal = check_literal(f, sig, i, p, lit, &lits[i], msg, msgsize);
            continue;
        }
        if (p == P_T) {
            params[i] = k == TYPE_NULL ? type_prim(TYPE_STRING) : args[i];
            continue;
        }
        TypeKind want = (TypeKind)p;
        if (k == TYPE_NULL) {
            if (want == TYPE_DECIMAL)
                return FIT_NO;
            params[i] = type_prim(want);
            continue;
        }
        int c = type_widen_cost(k, want);
        if (c < 0 || (want == TYPE_DECIMAL && k != TYPE_DECIMAL))
            return FIT_NO;   /* no INT -> DECIMAL here: every DECIMAL signature has INT/BIGINT twins */
        cost += c;
        params[i] = want == TYPE_DECIMAL ? args[i] : type_prim(want);
    }
    return bad_literal ? bad_literal : cost;
}

static void put_param(StrBuf *sb, uint8_t p)
{
    switch (p) {
    case P_T: sb_puts(sb, "T"); break;
    case P_LIT_INT: sb_puts(sb, "INTEGER literal"); break;
    case P_LIT_BOOL: sb_puts(sb, "BOOLEAN literal"); break;
    default: sb_puts(sb, type_kind_name((TypeKind)p)); break;
    }
}

/* "(INTEGER) or (BIGINT) or ..." */
static void put_accepted(StrBuf *sb, const AggDef *f)
{
    for (int i = 0; i < f->nsigs; i++) {
        const AggSig *sig = &f->sigs[i];
        if (i)
            sb_puts(sb, " or ");
        sb_putc(sb, '(');
        if (sig->star)
            sb_putc(sb, '*');
        for (int p = 0; p < sig->nparams; p++) {
            if (p)
                sb_puts(sb, ", ");
            put_param(sb, sig->params[p]);
        }
        sb_putc(sb, ')');
    }
}

static int not_accepted(const AggDef *f, const SqlType *const *args, int nargs, bool count_star,
                        EddyError *err)
{
    StrBuf sb;
    sb_init(&sb);
    reg_put_rejected(&sb, f->name, args, nargs, count_star);
    put_accepted(&sb, f);
    eddy_error(err, ERR_ANALYSIS, (SrcPos){0, 0}, "%s", sb.data);
    sb_free(&sb);
    return -1;
}

static int unknown_function(const char *name, EddyError *err)
{
    const char *best = nametab_closest(&agg_table, name, 2);
    if (best)
        return eddy_error(err, ERR_ANALYSIS, (SrcPos){0, 0}, "unknown aggregate function %s; did you mean %s?",
                          name ? name : "", best);
    return eddy_error(err, ERR_ANALYSIS, (SrcPos){0, 0}, "unknown aggregate function %s", name ? name : "");
}

static void fill_call(const AggDef *f, const AggSig *sig, const SqlType **params, const Value *lits, int n,
                      Arena *arena, AggCall *out)
{
    int ncols = 0;
    while (ncols < n && !is_literal_param(sig->params[ncols]))
        ncols++;
    memset(out, 0, sizeof *out);
    out->name = f->name;
    out->fns = sig->fns;
    out->count_star = sig->star;
    out->nargs = ncols;
    out->params = arena_alloc(arena, sizeof(SqlType *) * (size_t)(ncols > 0 ? ncols : 1));
    for (int i = 0; i < ncols; i++)
        out->params[i] = params[i];
    out->nliterals = n - ncols;
    out->literals = arena_alloc(arena, sizeof(Value) * (size_t)(n - ncols > 0 ? n - ncols : 1));
    for (int i = ncols; i < n; i++)
        out->literals[i - ncols] = lits[i];
    const SqlType *A = ncols > 0 ? params[0] : type_prim(TYPE_BIGINT);
    out->result = rule_type((TypeRule)sig->ret_rule, (TypeKind)sig->ret_kind, A, arena);
    out->state_type = rule_type((TypeRule)sig->state_rule, (TypeKind)sig->state_kind, A, arena);
}

/* TOPK(sort_col, col0, ..., colN, k) (ksqlDB 0.28's variadic TOPK): the
 * k rows with the largest sort_col, as ARRAY<STRUCT<sort_col, col0, ...>>
 * (field names as ksqlDB gives them), largest first, ties in arrival
 * order.  sort_col takes TOPK's types; the other columns any type. */
#define TOPK_MAX_COLUMNS 64

static int resolve_topk_struct(const AggDef *f, const SqlType *const *arg_types,
                               const Value *const *literal_args, int nargs, Arena *arena, AggCall *out,
                               EddyError *err)
{
    if (nargs - 1 > TOPK_MAX_COLUMNS)
        return eddy_error(err, ERR_ANALYSIS, (SrcPos){0, 0}, "TOPK takes at most %d columns", TOPK_MAX_COLUMNS);
    /* The sort column and k, as TOPK(col, k) takes them. */
    const SqlType *two[2] = {arg_types[0], arg_types[nargs - 1]};
    const Value *two_lits[2] = {literal_args ? literal_args[0] : NULL, literal_args ? literal_args[nargs - 1] : NULL};
    AggCall base;
    if (agg_resolve(f->name, two, two_lits, 2, false, arena, &base, err) != 0)
        return -1;
    int ncols = nargs - 1;
    memset(out, 0, sizeof *out);
    out->name = f->name;
    out->fns = &agg_topk_struct_fns;
    out->nargs = ncols;
    out->params = arena_alloc(arena, sizeof(SqlType *) * (size_t)ncols);
    SqlField *fields = arena_alloc(arena, sizeof(SqlField) * (size_t)ncols);
    for (int i = 0; i < ncols; i++) {
        out->params[i] = i == 0 ? base.params[0]
                       : arg_types[i] && arg_types[i]->kind != TYPE_NULL ? arg_types[i] : type_prim(TYPE_STRING);
        fields[i].name = i == 0 ? "sort_col" : arena_sprintf(arena, "col%d", i - 1);
        fields[i].type = out->params[i];
    }
    out->nliterals = 1;
    out->literals = base.literals;
    out->result = out->state_type = type_array(arena, type_struct(arena, fields, ncols));
    return 0;
}

int agg_resolve(const char *name, const SqlType *const *arg_types, const Value *const *literal_args,
                int nargs, bool count_star, Arena *arena, AggCall *out, EddyError *err)
{
    const AggDef *f = find_def(name);
    if (f == NULL)
        return unknown_function(name, err);
    if (f->sigs == sig_TOPK && nargs >= 3 && arg_types != NULL && !count_star)
        return resolve_topk_struct(f, arg_types, literal_args, nargs, arena, out, err);
    const SqlType *no_types[AGG_MAX_PARAMS] = {0};
    if (arg_types == NULL)   /* every argument a NULL literal */
        arg_types = no_types;
    if (nargs < 0 || nargs > AGG_MAX_PARAMS || (count_star && nargs != 0))
        return not_accepted(f, arg_types, nargs < 0 ? 0 : nargs, count_star, err);

    /* COUNT(*) and COUNT(): every row (ksqlDB counts ROWTIME, never NULL). */
    if (nargs == 0) {
        for (int i = 0; i < f->nsigs; i++)
            if (f->sigs[i].star) {
                fill_call(f, &f->sigs[i], NULL, NULL, 0, arena, out);
                return 0;
            }
        return not_accepted(f, arg_types, 0, count_star, err);
    }

    const SqlType *params[AGG_MAX_PARAMS], *best_params[AGG_MAX_PARAMS];
    Value lits[AGG_MAX_PARAMS], best_lits[AGG_MAX_PARAMS];
    const AggSig *best = NULL;
    int best_cost = 0;
    char msg[256], literal_msg[256] = "";
    int literal_fit = FIT_NO;
    for (int i = 0; i < f->nsigs; i++) {
        int cost = try_sig(f, &f->sigs[i], arg_types, literal_args, nargs, arena, params, lits, msg, sizeof msg);
        if (cost < literal_fit) {   /* a worse literal problem: a more specific message */
            literal_fit = cost;
            memcpy(literal_msg, msg, sizeof msg);
        }
        if (cost >= 0 && (best == NULL || cost < best_cost)) {
            best = &f->sigs[i];
            best_cost = cost;
            memcpy(best_params, params, sizeof params);
            memcpy(best_lits, lits, sizeof lits);
        }
    }
    if (best == NULL) {
        if (literal_msg[0])
            return eddy_error(err, ERR_ANALYSIS, (SrcPos){0, 0}, "%s", literal_msg);
        return not_accepted(f, arg_types, nargs, count_star, err);
    }
    fill_call(f, best, best_params, best_lits, nargs, arena, out);
    return 0;
}

/* ---- introspection ---------------------------------------------------------- */

static AggInfo infos[NDEFS];
static pthread_once_t infos_once = PTHREAD_ONCE_INIT;

static void put_rule(StrBuf *sb, TypeRule rule, TypeKind kind, const char *A)
{
    switch (rule) {
    case T_FIXED: sb_puts(sb, type_kind_name(kind)); break;
    case T_ARG: sb_puts(sb, A); break;
    case T_ARRAY_ARG: sb_printf(sb, "ARRAY<%s>", A); break;
    case T_HISTOGRAM: sb_puts(sb, "MAP<STRING, BIGINT>"); break;
    default: sb_puts(sb, "STRUCT"); break;   /* states only */
    }
}

static char *signature(const AggDef *f, const AggSig *sig)
{
    StrBuf sb;
    sb_init(&sb);
    sb_printf(&sb, "%s(", f->name);
    if (sig->star)
        sb_putc(&sb, '*');
    for (int p = 0; p < sig->nparams; p++) {
        if (p)
            sb_puts(&sb, ", ");
        size_t len;
        const char *name = reg_param_name(sig->names, p, &len);
        if (len) {
            sb_append(&sb, name, len);
            sb_putc(&sb, ' ');
        }
        put_param(&sb, sig->params[p]);
    }
    sb_puts(&sb, ") -> ");
    StrBuf a;
    sb_init(&a);
    if (sig->nparams > 0)
        put_param(&a, sig->params[0]);
    else
        sb_puts(&a, "BIGINT");
    put_rule(&sb, (TypeRule)sig->ret_rule, (TypeKind)sig->ret_kind, a.data);
    sb_free(&a);
    return sb.data;   /* kept for the life of the process */
}

static void infos_init(void)
{
    for (int i = 0; i < NDEFS; i++) {
        const AggDef *f = &defs[i];
        const char **sigs = calloc((size_t)f->nsigs, sizeof(char *));
        if (sigs == NULL)
            EDDY_PANIC("out of memory");
        for (int k = 0; k < f->nsigs; k++)
            sigs[k] = signature(f, &f->sigs[k]);
        infos[i] = (AggInfo){f->name, f->description, f->nsigs, sigs};
    }
}

int agg_count(void)
{
    return NDEFS;
}

const AggInfo *agg_info_at(int i)
{
    if (i < 0 || i >= NDEFS)
        return NULL;
    pthread_once(&infos_once, infos_init);
    return &infos[i];
}

const AggInfo *agg_info(const char *name)
{
    const AggDef *f = find_def(name);
    return f ? agg_info_at((int)(f - defs)) : NULL;
}

/* ---- helpers for agg_*.c ------------------------------------------------------ */

Value agg_struct(Arena *a, int32_t n)
{
    Value v = v_null();
    v.kind = TYPE_STRUCT;
    v.u.st.fields = arena_alloc(a, sizeof(Value) * (size_t)(n > 0 ? n : 1));   /* zeroed: NULLs */
    v.u.st.n = n;
    return v;
}

Value agg_array(Arena *a, int32_t n)
{
    Value v = v_null();
    v.kind = TYPE_ARRAY;
    v.u.arr.items = arena_alloc(a, sizeof(Value) * (size_t)(n > 0 ? n : 1));
    v.u.arr.n = n;
    return v;
}

int32_t agg_literal_int(const AggCall *c, int32_t dflt)
{
    for (int i = 0; i < c->nliterals; i++)
        if (c->literals[i].kind == TYPE_INT)
            return c->literals[i].u.i32;
    return dflt;
}

bool agg_literal_bool(const AggCall *c, bool dflt)
{
    for (int i = 0; i < c->nliterals; i++)
        if (c->literals[i].kind == TYPE_BOOLEAN)
            return c->literals[i].u.b;
    return dflt;
}

int agg_compare(const Value *x, const Value *y)
{
    bool ok = true;
    int c = value_compare(x, y, &ok);
    if (ok)
        return c;
    return (x->kind > y->kind) - (x->kind < y->kind);
}
