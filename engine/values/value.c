/*
 * value.c - runtime values: construction, deep copy, SQL comparison and
 * hashing, schemas.  CAST is value_cast.c; text forms value_text.c.
 *
 * In:  Values (value.h encodings).  Out: new Values in a caller's arena;
 *      orders and hashes.
 * Invariants: numbers compare by value across INT/BIGINT/DOUBLE/DECIMAL,
 * and values that compare equal hash equal (integral numbers hash as
 * their int64, the rest as their double).
 */
#include "value_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- constructors --------------------------------------------------------- */

Value v_string_borrow(const char *s, int32_t len)
{
    Value v;
    v.kind = TYPE_STRING;
    v.u.i64 = 0;
    v.u.str.ptr = s;
    v.u.str.len = len;
    return v;
}

Value v_string(Arena *a, const char *s, int32_t len)
{
    return v_string_borrow(arena_strndup(a, s, (size_t)len), len);
}

Value v_string_cstr(Arena *a, const char *s)
{
    return v_string(a, s, (int32_t)strlen(s));
}

Value v_bytes(Arena *a, const void *p, int32_t len)
{
    Value v = v_string(a, (const char *)p, len);
    v.kind = TYPE_BYTES;
    return v;
}

Value v_decimal(int64_t unscaled, int precision, int scale)
{
    Value v;
    v.kind = TYPE_DECIMAL;
    memset(&v.u, 0, sizeof v.u);
    v.u.dec.unscaled = unscaled;
    v.u.dec.precision = precision;
    v.u.dec.scale = scale;
    return v;
}

Value value_copy(Arena *a, const Value *v)
{
    Value out = *v;
    switch (v->kind) {
    case TYPE_STRING:
    case TYPE_BYTES:
        out.u.str.ptr = arena_strndup(a, v->u.str.ptr, (size_t)v->u.str.len);
        break;
    case TYPE_ARRAY:
        out.u.arr.items = arena_alloc(a, sizeof(Value) * (size_t)v->u.arr.n);
        for (int32_t i = 0; i < v->u.arr.n; i++)
            out.u.arr.items[i] = value_copy(a, &v->u.arr.items[i]);
        break;
    case TYPE_MAP:
        out.u.map.keys = arena_alloc(a, sizeof(Value) * (size_t)v->u.map.n);
        out.u.map.vals = arena_alloc(a, sizeof(Value) * (size_t)v->u.map.n);
        for (int32_t i = 0; i < v->u.map.n; i++) {
            out.u.map.keys[i] = value_copy(a, &v->u.map.keys[i]);
            out.u.map.vals[i] = value_copy(a, &v->u.map.vals[i]);
        }
        break;
    case TYPE_STRUCT:
        out.u.st.fields = arena_alloc(a, sizeof(Value) * (size_t)v->u.st.n);
        for (int32_t i = 0; i < v->u.st.n; i++)
            out.u.st.fields[i] = value_copy(a, &v->u.st.fields[i]);
        break;
    default:
        break;
    }
    return out;
}

const SqlType *value_prim_type(const Value *v)
{
    switch (v->kind) {
    case TYPE_DECIMAL:
        if (v->u.dec.precision >= 1 && v->u.dec.precision <= 18 && v->u.dec.scale >= 0
            && v->u.dec.scale <= v->u.dec.precision)
            return type_decimal(NULL, v->u.dec.precision, v->u.dec.scale);
        return NULL;
    case TYPE_ARRAY:
    case TYPE_MAP:
    case TYPE_STRUCT:
    case TYPE__COUNT:
        return NULL;
    default:
        return type_prim(v->kind);
    }
}

/* ---- comparison ---------------------------------------------------------- */

static int cmp_i64(int64_t a, int64_t b)
{
    return (a > b) - (a < b);
}

/* Total order on doubles: -0.0 == 0.0, NaN equals NaN and sorts above
 * everything (as Java's Double.compare puts it). */
static int cmp_double(double a, double b)
{
    bool an = isnan(a), bn = isnan(b);
    if (an || bn)
        return an - bn;
    return (a > b) - (a < b);
}

/* Exact int64 vs double. */
static int cmp_i64_double(int64_t a, double b)
{
    if (isnan(b))
        return -1;
    if (b >= 9223372036854775808.0)
        return -1;
    if (b < -9223372036854775808.0)
        return 1;
    double f = floor(b);
    int64_t bi = (int64_t)f;   /* exact: |f| < 2^63 */
    if (a != bi)
        return a < bi ? -1 : 1;
    return b > f ? -1 : 0;
}

static int cmp_dec_dec(int64_t ua, int sa, int64_t ub, int sb)
{
    __int128 a = ua, b = ub;
    for (int i = sa; i < sb; i++)
        a *= 10;
    for (int i = sb; i < sa; i++)
        b *= 10;
    return (a > b) - (a < b);
}

static int cmp_dec_double(int64_t u, int s, double d)
{
    if (isnan(d))
        return -1;
    if (dec_is_integral(u, s))
        return cmp_i64_double(dec_trunc(u, s), d);
    return cmp_double(value_dec_to_double(u, s), d);
}

static int cmp_numeric(const Value *a, const Value *b)
{
    TypeKind ka = a->kind, kb = b->kind;
    bool ai = ka == TYPE_INT || ka == TYPE_BIGINT, bi = kb == TYPE_INT || kb == TYPE_BIGINT;
    if (ai && bi)
        return cmp_i64(value_as_i64(a), value_as_i64(b));
    if (ka == TYPE_DOUBLE && kb == TYPE_DOUBLE)
        return cmp_double(a->u.d, b->u.d);
    if (ai && kb == TYPE_DOUBLE)
        return cmp_i64_double(value_as_i64(a), b->u.d);
    if (ka == TYPE_DOUBLE && bi)
        return -cmp_i64_double(value_as_i64(b), a->u.d);
    /* At least one decimal. */
    if (ka == TYPE_DECIMAL && kb == TYPE_DECIMAL)
        return cmp_dec_dec(a->u.dec.unscaled, a->u.dec.scale, b->u.dec.unscaled, b->u.dec.scale);
    if (ka == TYPE_DECIMAL && bi)
        return cmp_dec_dec(a->u.dec.unscaled, a->u.dec.scale, value_as_i64(b), 0);
    if (ai && kb == TYPE_DECIMAL)
        return cmp_dec_dec(value_as_i64(a), 0, b->u.dec.unscaled, b->u.dec.scale);
    if (ka == TYPE_DECIMAL)
        return cmp_dec_double(a->u.dec.unscaled, a->u.dec.scale, b->u.d);
    return -cmp_dec_double(b->u.dec.unscaled, b->u.dec.scale, a->u.d);
}

static int cmp_bytes(const Value *a, const Value *b)
{
    int32_t la = a->u.str.len, lb = b->u.str.len;
    int c = memcmp(a->u.str.ptr, b->u.str.ptr, (size_t)(la < lb ? la : lb));
    if (c != 0)
        return c < 0 ? -1 : 1;
    return (la > lb) - (la < lb);
}

static int64_t temporal_ms(const Value *v)
{
    return v->kind == TYPE_DATE ? (int64_t)v->u.i32 * MS_PER_DAY : v->u.i64;
}

static int compare_rec(const Value *a, const Value *b, bool *ok);

/* Maps have no order in SQL; this gives equality (same entries, any order)
 * and, for unequal maps, a deterministic antisymmetric answer. */
static bool map_contains(const Value *m, const Value *k, const Value *v)
{
    for (int32_t i = 0; i < m->u.map.n; i++) {
        bool ok = true;
        if (compare_rec(&m->u.map.keys[i], k, &ok) == 0 && ok) {
            ok = true;
            return compare_rec(&m->u.map.vals[i], v, &ok) == 0 && ok;
        }
    }
    return false;
}

static int compare_maps(const Value *a, const Value *b, bool *ok)
{
    if (a->u.map.n != b->u.map.n)
        return a->u.map.n < b->u.map.n ? -1 : 1;
    bool equal = true;
    for (int32_t i = 0; i < a->u.map.n && equal; i++)
        equal = map_contains(b, &a->u.map.keys[i], &a->u.map.vals[i]);
    if (equal)
        return 0;
    uint64_t ha = value_hash(a), hb = value_hash(b);
    if (ha != hb)
        return ha < hb ? -1 : 1;
    for (int32_t i = 0; i < a->u.map.n; i++) {
        int c = compare_rec(&a->u.map.keys[i], &b->u.map.keys[i], ok);
        if (c == 0)
            c = compare_rec(&a->u.map.vals[i], &b->u.map.vals[i], ok);
        if (c != 0)
            return c;
    }
    return 0;   /* equal entries in order: equal maps (with a repeated key, which
                 * map_contains cannot tell apart: decoded from damaged state) */
}

static int compare_seq(const Value *a, int32_t na, const Value *b, int32_t nb, bool *ok)
{
    int32_t n = na < nb ? na : nb;
    for (int32_t i = 0; i < n; i++) {
        int c = compare_rec(&a[i], &b[i], ok);
        if (c != 0 || !*ok)
            return c;
    }
    return (na > nb) - (na < nb);
}

/* NULLs inside composites sort first and equal each other. */
static int compare_rec(const Value *a, const Value *b, bool *ok)
{
    if (a->kind == TYPE_NULL || b->kind == TYPE_NULL)
        return (b->kind == TYPE_NULL) - (a->kind == TYPE_NULL);
    if (is_numeric_kind(a->kind) && is_numeric_kind(b->kind))
        return cmp_numeric(a, b);
    if ((a->kind == TYPE_TIMESTAMP || a->kind == TYPE_DATE)
        && (b->kind == TYPE_TIMESTAMP || b->kind == TYPE_DATE))
        return cmp_i64(temporal_ms(a), temporal_ms(b));
    if (a->kind != b->kind) {
        *ok = false;
        return 0;
    }
    switch (a->kind) {
    case TYPE_BOOLEAN:
        return (int)a->u.b - (int)b->u.b;
    case TYPE_STRING:
    case TYPE_BYTES:
        return cmp_bytes(a, b);
    case TYPE_TIME:
        return cmp_i64(a->u.i32, b->u.i32);
    case TYPE_ARRAY:
        return compare_seq(a->u.arr.items, a->u.arr.n, b->u.arr.items, b->u.arr.n, ok);
    case TYPE_STRUCT:
        return compare_seq(a->u.st.fields, a->u.st.n, b->u.st.fields, b->u.st.n, ok);
    case TYPE_MAP:
        return compare_maps(a, b, ok);
    default:
        *ok = false;
        return 0;
    }
}

int value_compare(const Value *a, const Value *b, bool *ok)
{
    bool dummy = true;
    if (ok == NULL)
        ok = &dummy;
    *ok = true;
    int c = compare_rec(a, b, ok);
    if (!*ok)
        return 0;
    return c < 0 ? -1 : c > 0;
}

bool value_equal(const Value *a, const Value *b)
{
    bool ok = true;
    return value_compare(a, b, &ok) == 0 && ok;
}

/* ---- hashing ------------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static uint64_t hash_combine(uint64_t h, uint64_t x)
{
    return mix64(h ^ (x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2)));
}

static uint64_t hash_bytes(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *b = p;
    uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ULL);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, b, 8);
        h = mix64(h ^ w) * 0xff51afd7ed558ccdULL;
        b += 8;
        n -= 8;
    }
    uint64_t t = 0;
    memcpy(&t, b, n);
    return mix64(h ^ t ^ n);
}

enum { H_NULL = 1, H_NUM, H_BOOL, H_STR, H_BYTES, H_TEMPORAL, H_TIME, H_ARRAY, H_MAP, H_STRUCT };

static uint64_t hash_i64(int64_t v)
{
    return mix64((uint64_t)v ^ ((uint64_t)H_NUM << 56));
}

static uint64_t hash_double(double d)
{
    if (isnan(d))
        return mix64(0x7ff8000000000000ULL);
    if (d == floor(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0)
        return hash_i64((int64_t)d);   /* also folds -0.0 into 0 */
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return mix64(bits ^ ((uint64_t)H_NUM << 56));
}

uint64_t value_hash(const Value *v)
{
    switch (v->kind) {
    case TYPE_NULL:
        return mix64(H_NULL);
    case TYPE_BOOLEAN:
        return mix64(((uint64_t)H_BOOL << 56) | v->u.b);
    case TYPE_INT:
        return hash_i64(v->u.i32);
    case TYPE_BIGINT:
        return hash_i64(v->u.i64);
    case TYPE_DOUBLE:
        return hash_double(v->u.d);
    case TYPE_DECIMAL:
        if (dec_is_integral(v->u.dec.unscaled, v->u.dec.scale))
            return hash_i64(dec_trunc(v->u.dec.unscaled, v->u.dec.scale));
        return hash_double(value_dec_to_double(v->u.dec.unscaled, v->u.dec.scale));
    case TYPE_STRING:
        return hash_bytes(v->u.str.ptr, (size_t)v->u.str.len, H_STR);
    case TYPE_BYTES:
        return hash_bytes(v->u.str.ptr, (size_t)v->u.str.len, H_BYTES);
    case TYPE_TIMESTAMP:
    case TYPE_DATE:
        return mix64((uint64_t)temporal_ms(v) ^ ((uint64_t)H_TEMPORAL << 56));
    case TYPE_TIME:
        return mix64((uint64_t)(int64_t)v->u.i32 ^ ((uint64_t)H_TIME << 56));
    case TYPE_ARRAY: {
        uint64_t h = mix64(H_ARRAY);
        for (int32_t i = 0; i < v->u.arr.n; i++)
            h = hash_combine(h, value_hash(&v->u.arr.items[i]));
        return h;
    }
    case TYPE_STRUCT: {
        uint64_t h = mix64(H_STRUCT);
        for (int32_t i = 0; i < v->u.st.n; i++)
            h = hash_combine(h, value_hash(&v->u.st.fields[i]));
        return h;
    }
    case TYPE_MAP: {
        /* Order-independent: equal maps may list their entries differently. */
        uint64_t sum = 0;
        for (int32_t i = 0; i < v->u.map.n; i++)
            sum += hash_combine(value_hash(&v->u.map.keys[i]), value_hash(&v->u.map.vals[i]));
        return mix64(sum ^ ((uint64_t)H_MAP << 56));
    }
    case TYPE__COUNT:
        break;
    }
    EDDY_PANIC("value_hash: bad kind %d", (int)v->kind);
}

/* ---- schemas ---------------------------------------------------------------- */

Schema *schema_create(Arena *a, int ncols)
{
    Schema *s = arena_alloc(a, sizeof *s);
    s->ncols = ncols;
    s->cols = arena_alloc(a, sizeof(Column) * (size_t)(ncols > 0 ? ncols : 1));
    s->nkeys = 0;
    return s;
}

int schema_find(const Schema *s, const char *name)
{
    for (int i = 0; i < s->ncols; i++)
        if (s->cols[i].name && strcmp(s->cols[i].name, name) == 0)
            return i;
    return -1;
}

int schema_find_ci(const Schema *s, const char *name)
{
    int exact = schema_find(s, name);
    if (exact >= 0)
        return exact;
    for (int i = 0; i < s->ncols; i++)
        if (str_ieq(s->cols[i].name, name))
            return i;
    return -1;
}

Schema *schema_copy(Arena *a, const Schema *s)
{
    Schema *c = schema_create(a, s->ncols);
    c->nkeys = s->nkeys;
    for (int i = 0; i < s->ncols; i++) {
        c->cols[i].name = arena_strdup(a, s->cols[i].name);
        c->cols[i].type = type_copy(a, s->cols[i].type);
        c->cols[i].role = s->cols[i].role;
    }
    return c;
}
