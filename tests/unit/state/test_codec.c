/* test_codec.c - key and row codecs: memcmp order of key encodings equals
 * SQL order (value_compare) for random values of every type, round trips,
 * window suffixes, and decoding of random, truncated and corrupted bytes
 * (must fail cleanly, never crash: run under -DEDDY_SANITIZE=ON too). */
#include "eddy/codec.h"
#include "eddy/value.h"
#include "testutil.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

/* ---- deterministic randomness ------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int rnd_below(int n)
{
    return (int)(rnd() % (uint64_t)n);
}

/* ---- random values of a shape -------------------------------------------- */

typedef struct Shape Shape;
struct Shape {
    TypeKind kind;
    int precision, scale;      /* DECIMAL; scale -1 = random per value */
    const Shape *elem;         /* ARRAY element, MAP value */
    const Shape *fields[4];    /* STRUCT */
    int nfields;
};

static int64_t rnd_i64(void)
{
    switch (rnd_below(6)) {
    case 0: return rnd_below(7) - 3;
    case 1: return INT64_MIN + rnd_below(3);
    case 2: return INT64_MAX - rnd_below(3);
    case 3: return (int64_t)(rnd() >> rnd_below(64));
    case 4: return -(int64_t)(rnd() >> (1 + rnd_below(63)));
    default: return (int64_t)rnd();
    }
}

static int32_t rnd_i32(void)
{
    switch (rnd_below(5)) {
    case 0: return rnd_below(7) - 3;
    case 1: return INT32_MIN + rnd_below(3);
    case 2: return INT32_MAX - rnd_below(3);
    default: return (int32_t)(uint32_t)rnd();
    }
}

static double rnd_double(void)
{
    static const double specials[] = {0.0, -0.0, 1.0, -1.0, 0.5, -0.5, DBL_MIN, -DBL_MIN,
                                      DBL_MAX, -DBL_MAX, 5e-324, -5e-324, 1e300, -1e-300};
    switch (rnd_below(6)) {
    case 0: return specials[rnd_below((int)(sizeof specials / sizeof specials[0]))];
    case 1: {
        int k = rnd_below(3);
        return k == 0 ? NAN : k == 1 ? INFINITY : -INFINITY;
    }
    case 2: return (double)(rnd_below(7) - 3);
    case 3: {
        uint64_t bits = rnd();
        double d;
        memcpy(&d, &bits, 8);
        return d;   /* any bit pattern, NaN payloads and denormals included */
    }
    default: return ((double)(int64_t)rnd() / 9.2e18) * pow(10.0, rnd_below(40) - 20);
    }
}

static int64_t pow10_i64(int n)
{
    int64_t p = 1;
    while (n-- > 0)
        p *= 10;
    return p;
}

static Value rnd_decimal(const Shape *s)
{
    int scale = s->scale >= 0 ? s->scale : rnd_below(19);
    int precision = s->scale >= 0 ? s->precision : 18;
    int64_t lim = precision >= 18 ? INT64_MAX : pow10_i64(precision) - 1;
    int64_t u;
    switch (rnd_below(4)) {
    case 0: u = rnd_below(21) - 10; break;
    case 1: u = (rnd_below(2) ? 1 : -1) * (lim - rnd_below(2)); break;
    case 2: u = (int64_t)(rnd() % (uint64_t)lim) * (rnd_below(2) ? 1 : -1); break;
    default: u = (rnd_below(19) - 9) * pow10_i64(rnd_below(scale + 1)); break;
    }
    if (s->scale < 0 && rnd_below(8) == 0)
        u = rnd_below(2) ? INT64_MIN : INT64_MAX;
    return v_decimal(u, precision, scale);
}

/* Small alphabet with 0x00, 0x01, 0xFF so ties, prefixes and escapes are common. */
static Value rnd_bytes(Arena *a, TypeKind kind)
{
    static const char alpha[] = {0x00, 0x01, (char)0xFF, 'a', 'b', (char)0xFE};
    char buf[8];
    int n = rnd_below(7);
    for (int i = 0; i < n; i++)
        buf[i] = alpha[rnd_below(6)];
    Value v = kind == TYPE_STRING ? v_string(a, buf, n) : v_bytes(a, buf, n);
    return v;
}

static Value rnd_value(Arena *a, const Shape *s, int depth)
{
    if (rnd_below(8) == 0)
        return v_null();
    Value v;
    memset(&v, 0, sizeof v);
    v.kind = s->kind;
    switch (s->kind) {
    case TYPE_BOOLEAN: return v_bool(rnd_below(2));
    case TYPE_INT: return v_int(rnd_i32());
    case TYPE_BIGINT: return v_bigint(rnd_i64());
    case TYPE_TIMESTAMP: return v_timestamp(rnd_i64());
    case TYPE_DATE: return v_date(rnd_i32());
    case TYPE_TIME: return v_time(rnd_below(86400000));
    case TYPE_DOUBLE: return v_double(rnd_double());
    case TYPE_DECIMAL: return rnd_decimal(s);
    case TYPE_STRING:
    case TYPE_BYTES: return rnd_bytes(a, s->kind);
    case TYPE_ARRAY: {
        int n = rnd_below(4);
        v.u.arr.n = n;
        v.u.arr.items = arena_alloc(a, sizeof(Value) * 4);
        for (int i = 0; i < n; i++)
            v.u.arr.items[i] = rnd_value(a, s->elem, depth + 1);
        return v;
    }
    case TYPE_STRUCT:
        v.u.st.n = s->nfields;
        v.u.st.fields = arena_alloc(a, sizeof(Value) * 4);
        for (int i = 0; i < s->nfields; i++)
            v.u.st.fields[i] = rnd_value(a, s->fields[i], depth + 1);
        return v;
    case TYPE_MAP: {
        int n = rnd_below(4);
        v.u.map.n = n;
        v.u.map.keys = arena_alloc(a, sizeof(Value) * 4);
        v.u.map.vals = arena_alloc(a, sizeof(Value) * 4);
        int first = rnd_below(5);
        for (int i = 0; i < n; i++) {   /* distinct keys, as a map has */
            char k[2] = {(char)('a' + (first + i) % 5), 0};
            v.u.map.keys[i] = v_string(a, k, 1);
            v.u.map.vals[i] = rnd_value(a, s->elem, depth + 1);
        }
        return v;
    }
    default:
        return v_null();
    }
}

/* ---- shapes under test ---------------------------------------------------- */

static const Shape S_BOOL = {.kind = TYPE_BOOLEAN};
static const Shape S_INT = {.kind = TYPE_INT};
static const Shape S_BIGINT = {.kind = TYPE_BIGINT};
static const Shape S_DOUBLE = {.kind = TYPE_DOUBLE};
static const Shape S_DEC = {.kind = TYPE_DECIMAL, .precision = 10, .scale = 3};
static const Shape S_DEC0 = {.kind = TYPE_DECIMAL, .precision = 18, .scale = 0};
static const Shape S_DEC18 = {.kind = TYPE_DECIMAL, .precision = 18, .scale = 18};
static const Shape S_DECANY = {.kind = TYPE_DECIMAL, .scale = -1};
static const Shape S_STRING = {.kind = TYPE_STRING};
static const Shape S_BYTES = {.kind = TYPE_BYTES};
static const Shape S_TS = {.kind = TYPE_TIMESTAMP};
static const Shape S_DATE = {.kind = TYPE_DATE};
static const Shape S_TIME = {.kind = TYPE_TIME};
static const Shape S_ARR_INT = {.kind = TYPE_ARRAY, .elem = &S_INT};
static const Shape S_ARR_STR = {.kind = TYPE_ARRAY, .elem = &S_STRING};
static const Shape S_ARR_ARR = {.kind = TYPE_ARRAY, .elem = &S_ARR_INT};
static const Shape S_STRUCT = {.kind = TYPE_STRUCT, .nfields = 3,
                               .fields = {&S_INT, &S_STRING, &S_DOUBLE}};
static const Shape S_STRUCT_NEST = {.kind = TYPE_STRUCT, .nfields = 2,
                                    .fields = {&S_ARR_STR, &S_STRUCT}};
static const Shape S_MAP = {.kind = TYPE_MAP, .elem = &S_INT};
static const Shape S_MAP_ARR = {.kind = TYPE_MAP, .elem = &S_ARR_INT};

static const struct {
    const char *name;
    const Shape *shape;
} ORDERED[] = {
    {"BOOLEAN", &S_BOOL}, {"INT", &S_INT}, {"BIGINT", &S_BIGINT}, {"DOUBLE", &S_DOUBLE},
    {"DECIMAL(10,3)", &S_DEC}, {"DECIMAL(18,0)", &S_DEC0}, {"DECIMAL(18,18)", &S_DEC18},
    {"STRING", &S_STRING}, {"BYTES", &S_BYTES}, {"TIMESTAMP", &S_TS}, {"DATE", &S_DATE},
    {"TIME", &S_TIME}, {"ARRAY<INT>", &S_ARR_INT}, {"ARRAY<STRING>", &S_ARR_STR},
    {"ARRAY<ARRAY<INT>>", &S_ARR_ARR}, {"STRUCT", &S_STRUCT}, {"STRUCT<nested>", &S_STRUCT_NEST},
};

static int sign(int c)
{
    return (c > 0) - (c < 0);
}

static int bytes_cmp(const StrBuf *a, const StrBuf *b)
{
    int c = memcmp(a->data, b->data, a->len < b->len ? a->len : b->len);
    if (c != 0)
        return sign(c);
    return (a->len > b->len) - (a->len < b->len);
}

static void describe(const char *what, const Value *a, const Value *b)
{
    StrBuf sa, sb;
    sb_init(&sa);
    sb_init(&sb);
    value_format(a, &sa);
    value_format(b, &sb);
    fprintf(stderr, "  %s: %s vs %s\n", what, sa.data, sb.data);
    sb_free(&sa);
    sb_free(&sb);
}

/* ---- order ---------------------------------------------------------------- */

static void test_order(void)
{
    Arena *a = arena_create(0);
    StrBuf ea, eb;
    sb_init(&ea);
    sb_init(&eb);
    for (size_t t = 0; t < sizeof ORDERED / sizeof ORDERED[0]; t++) {
        int bad = 0, encfail = 0;
        for (int i = 0; i < 5000; i++) {
            Value x = rnd_value(a, ORDERED[t].shape, 0), y = rnd_value(a, ORDERED[t].shape, 0);
            if (rnd_below(10) == 0)
                y = value_copy(a, &x);   /* ties */
            sb_reset(&ea);
            sb_reset(&eb);
            if (keycodec_encode(&x, 1, &ea) != 0 || keycodec_encode(&y, 1, &eb) != 0) {
                encfail++;
                continue;
            }
            bool ok = true;
            int want = sign(value_compare(&x, &y, &ok));
            if (ok && want != bytes_cmp(&ea, &eb)) {
                if (bad++ < 3) {
                    fprintf(stderr, "order mismatch for %s (want %d):\n", ORDERED[t].name, want);
                    describe("values", &x, &y);
                }
            }
            if (i % 500 == 0)
                arena_reset(a);
        }
        if (bad || encfail)
            fprintf(stderr, "%s: %d order mismatches, %d encode failures\n", ORDERED[t].name,
                    bad, encfail);
        CHECK_EQ_INT(bad, 0);
        CHECK_EQ_INT(encfail, 0);
    }
    /* Decimals of any scale: ordered by value (equal values of different
     * scales may encode differently: their precision/scale bytes follow). */
    int bad = 0;
    for (int i = 0; i < 20000; i++) {
        Value x = rnd_value(a, &S_DECANY, 0), y = rnd_value(a, &S_DECANY, 0);
        sb_reset(&ea);
        sb_reset(&eb);
        keycodec_encode(&x, 1, &ea);
        keycodec_encode(&y, 1, &eb);
        int want = sign(value_compare(&x, &y, NULL));
        if (want != 0 && want != bytes_cmp(&ea, &eb) && bad++ < 3)
            describe("decimal order", &x, &y);
        if (i % 500 == 0)
            arena_reset(a);
    }
    CHECK_EQ_INT(bad, 0);

    /* Multi-column keys: lexicographic by column. */
    bad = 0;
    for (int i = 0; i < 20000; i++) {
        Value x[3] = {rnd_value(a, &S_STRING, 0), rnd_value(a, &S_INT, 0),
                      rnd_value(a, &S_DOUBLE, 0)};
        Value y[3] = {rnd_value(a, &S_STRING, 0), rnd_value(a, &S_INT, 0),
                      rnd_value(a, &S_DOUBLE, 0)};
        for (int j = 0; j < 2; j++)
            if (rnd_below(2))
                y[j] = x[j];
        int want = 0;
        for (int j = 0; j < 3 && want == 0; j++)
            want = sign(value_compare(&x[j], &y[j], NULL));
        sb_reset(&ea);
        sb_reset(&eb);
        keycodec_encode(x, 3, &ea);
        keycodec_encode(y, 3, &eb);
        if (want != bytes_cmp(&ea, &eb))
            bad++;
        if (i % 500 == 0)
            arena_reset(a);
    }
    CHECK_EQ_INT(bad, 0);

    /* Maps: equal maps (entries in any order) encode equally. */
    bad = 0;
    for (int i = 0; i < 5000; i++) {
        Value x = rnd_value(a, &S_MAP_ARR, 0);
        if (x.kind != TYPE_MAP)
            continue;
        Value y = value_copy(a, &x);
        for (int j = y.u.map.n - 1; j > 0; j--) {   /* shuffle the entries */
            int k = rnd_below(j + 1);
            Value tk = y.u.map.keys[j], tv = y.u.map.vals[j];
            y.u.map.keys[j] = y.u.map.keys[k];
            y.u.map.vals[j] = y.u.map.vals[k];
            y.u.map.keys[k] = tk;
            y.u.map.vals[k] = tv;
        }
        Value z = rnd_value(a, &S_MAP_ARR, 0);
        sb_reset(&ea);
        sb_reset(&eb);
        keycodec_encode(&x, 1, &ea);
        keycodec_encode(&y, 1, &eb);
        if (bytes_cmp(&ea, &eb) != 0)
            bad++;
        sb_reset(&eb);
        keycodec_encode(&z, 1, &eb);
        if ((bytes_cmp(&ea, &eb) == 0) != value_equal(&x, &z))
            bad++;
        if (i % 500 == 0)
            arena_reset(a);
    }
    CHECK_EQ_INT(bad, 0);

    /* Spot checks that read as SQL. */
    Value vals[] = {v_null(), v_double(-INFINITY), v_double(-1.5), v_double(-0.0),
                    v_double(0.0), v_double(5e-324), v_double(2.0), v_double(INFINITY),
                    v_double(NAN)};
    for (size_t i = 0; i + 1 < sizeof vals / sizeof vals[0]; i++) {
        sb_reset(&ea);
        sb_reset(&eb);
        keycodec_encode(&vals[i], 1, &ea);
        keycodec_encode(&vals[i + 1], 1, &eb);
        CHECK(bytes_cmp(&ea, &eb) == (i == 3 ? 0 : -1));   /* -0.0 == 0.0 */
    }
    Value s1 = v_string_borrow("ab", 2), s2 = v_string_borrow("ab\0", 3),
          s3 = v_string_borrow("abc", 3);
    sb_reset(&ea);
    sb_reset(&eb);
    keycodec_encode(&s1, 1, &ea);
    keycodec_encode(&s2, 1, &eb);
    CHECK(bytes_cmp(&ea, &eb) < 0);
    sb_reset(&ea);
    keycodec_encode(&s3, 1, &ea);
    CHECK(bytes_cmp(&eb, &ea) < 0);
    sb_free(&ea);
    sb_free(&eb);
    arena_destroy(a);
}

/* ---- round trips ----------------------------------------------------------- */

static const Shape *ALL_SHAPES[] = {&S_BOOL, &S_INT, &S_BIGINT, &S_DOUBLE, &S_DEC, &S_DEC0,
                                    &S_DEC18, &S_DECANY, &S_STRING, &S_BYTES, &S_TS, &S_DATE,
                                    &S_TIME, &S_ARR_INT, &S_ARR_STR, &S_ARR_ARR, &S_STRUCT,
                                    &S_STRUCT_NEST, &S_MAP, &S_MAP_ARR};
#define NSHAPES ((int)(sizeof ALL_SHAPES / sizeof ALL_SHAPES[0]))

static bool same_value(const Value *x, const Value *y)
{
    if (x->kind != y->kind)
        return false;
    if (x->kind == TYPE_DECIMAL)
        return x->u.dec.unscaled == y->u.dec.unscaled && x->u.dec.scale == y->u.dec.scale
               && x->u.dec.precision == y->u.dec.precision;
    if (x->kind == TYPE_STRING || x->kind == TYPE_BYTES)
        return x->u.str.len == y->u.str.len && y->u.str.ptr[y->u.str.len] == '\0'
               && memcmp(x->u.str.ptr, y->u.str.ptr, (size_t)x->u.str.len) == 0;
    return value_equal(x, y);
}

static void test_round_trips(void)
{
    Arena *a = arena_create(0), *b = arena_create(0);
    StrBuf e1, e2;
    sb_init(&e1);
    sb_init(&e2);
    EddyError err;
    int bad_key = 0, bad_row = 0, bad_bytes = 0;
    for (int i = 0; i < 20000; i++) {
        Value row[6], back[8];
        int n = 1 + rnd_below(6);
        for (int j = 0; j < n; j++)
            row[j] = rnd_value(a, ALL_SHAPES[rnd_below(NSHAPES)], 0);

        sb_reset(&e1);
        CHECK(keycodec_encode(row, n, &e1) == 0);
        if (keycodec_decode(e1.data, e1.len, back, n, b, &err) != 0) {
            bad_key++;
        } else {
            for (int j = 0; j < n; j++)
                if (!same_value(&row[j], &back[j]))
                    bad_key++;
            sb_reset(&e2);
            keycodec_encode(back, n, &e2);
            if (bytes_cmp(&e1, &e2) != 0)
                bad_bytes++;
        }

        sb_reset(&e1);
        CHECK(rowcodec_encode(row, n, &e1) == 0);
        int m = -1;
        if (rowcodec_decode(e1.data, e1.len, back, 8, &m, b, &err) != 0 || m != n) {
            bad_row++;
        } else {
            for (int j = 0; j < n; j++)
                if (!same_value(&row[j], &back[j]))
                    bad_row++;
            sb_reset(&e2);
            rowcodec_encode(back, n, &e2);   /* exact: same bytes, NaN payloads too */
            if (bytes_cmp(&e1, &e2) != 0)
                bad_bytes++;
        }
        if (i % 200 == 0) {
            arena_reset(a);
            arena_reset(b);
        }
    }
    CHECK_EQ_INT(bad_key, 0);
    CHECK_EQ_INT(bad_row, 0);
    CHECK_EQ_INT(bad_bytes, 0);

    /* -0.0 keeps its sign through rows (not through keys, by design). */
    Value nz = v_double(-0.0), out[1];
    int m;
    sb_reset(&e1);
    rowcodec_encode(&nz, 1, &e1);
    CHECK(rowcodec_decode(e1.data, e1.len, out, 1, &m, b, &err) == 0 && signbit(out[0].u.d));
    sb_reset(&e1);
    keycodec_encode(&nz, 1, &e1);
    CHECK(keycodec_decode(e1.data, e1.len, out, 1, b, &err) == 0 && out[0].u.d == 0.0);

    /* max is enforced; an empty row is 1 byte. */
    Value three[3] = {v_int(1), v_int(2), v_int(3)};
    sb_reset(&e1);
    rowcodec_encode(three, 3, &e1);
    CHECK(rowcodec_decode(e1.data, e1.len, out, 1, &m, b, &err) == -1);
    CHECK(err.kind == ERR_RUNTIME);
    sb_reset(&e1);
    rowcodec_encode(three, 0, &e1);
    CHECK_EQ_INT(e1.len, 1);
    CHECK(rowcodec_decode(e1.data, e1.len, out, 1, &m, b, &err) == 0 && m == 0);

    /* Compactness: small ints are 2 bytes (kind + zig-zag varint). */
    Value small = v_bigint(-5);
    sb_reset(&e1);
    rowcodec_encode(&small, 1, &e1);
    CHECK_EQ_INT(e1.len, 3);

    /* Nesting past CODEC_MAX_DEPTH fails to encode, leaving out unchanged. */
    Value deep = v_int(1);
    for (int d = 0; d < CODEC_MAX_DEPTH + 2; d++) {
        Value *item = arena_alloc(a, sizeof *item);
        *item = deep;
        deep.kind = TYPE_ARRAY;
        deep.u.arr.items = item;
        deep.u.arr.n = 1;
    }
    sb_reset(&e1);
    sb_puts(&e1, "x");
    CHECK(keycodec_encode(&deep, 1, &e1) == -1);
    CHECK(rowcodec_encode(&deep, 1, &e1) == -1);
    CHECK_EQ_INT(e1.len, 1);
    Value badkind;
    memset(&badkind, 0, sizeof badkind);
    badkind.kind = (TypeKind)99;
    CHECK(keycodec_encode(&badkind, 1, &e1) == -1);
    CHECK(rowcodec_encode(&badkind, 1, &e1) == -1);

    sb_free(&e1);
    sb_free(&e2);
    arena_destroy(a);
    arena_destroy(b);
}

/* ---- windows ---------------------------------------------------------------- */

static void test_windows(void)
{
    Arena *a = arena_create(0);
    StrBuf x, y;
    sb_init(&x);
    sb_init(&y);
    int bad = 0;
    for (int i = 0; i < 20000; i++) {
        Value kx = rnd_value(a, &S_STRING, 0), ky = rnd_value(a, &S_STRING, 0);
        int64_t wx = rnd_i64(), wy = rnd_below(4) ? rnd_i64() : wx;
        if (rnd_below(3) == 0)
            ky = kx;
        sb_reset(&x);
        sb_reset(&y);
        keycodec_encode(&kx, 1, &x);
        size_t klen = x.len;
        keycodec_window(&x, wx);
        keycodec_encode(&ky, 1, &y);
        keycodec_window(&y, wy);
        int want = sign(value_compare(&kx, &ky, NULL));
        if (want == 0)
            want = (wx > wy) - (wx < wy);
        if (want != bytes_cmp(&x, &y))
            bad++;
        size_t kl;
        int64_t ws;
        if (keycodec_split_window(x.data, x.len, &kl, &ws) != 0 || kl != klen || ws != wx)
            bad++;
        Value back;
        if (keycodec_decode(x.data, kl, &back, 1, a, NULL) != 0 || !same_value(&kx, &back))
            bad++;
        size_t used;
        if (keycodec_decode_prefix(x.data, x.len, &back, 1, &used, a, NULL) != 0 || used != kl)
            bad++;
        if (i % 500 == 0)
            arena_reset(a);
    }
    CHECK_EQ_INT(bad, 0);

    /* Sessions: by key, then end, then start. */
    bad = 0;
    for (int i = 0; i < 5000; i++) {
        int64_t ex = rnd_i64(), sx = rnd_i64(), ey = rnd_below(2) ? ex : rnd_i64(), sy = rnd_i64();
        Value k = v_int(7);
        sb_reset(&x);
        sb_reset(&y);
        keycodec_encode(&k, 1, &x);
        keycodec_session(&x, ex, sx);
        keycodec_encode(&k, 1, &y);
        keycodec_session(&y, ey, sy);
        int want = ex != ey ? (ex > ey) - (ex < ey) : (sx > sy) - (sx < sy);
        if (want != bytes_cmp(&x, &y))
            bad++;
        size_t kl;
        int64_t e, s;
        if (keycodec_split_session(x.data, x.len, &kl, &e, &s) != 0 || kl != 5 || e != ex || s != sx)
            bad++;
    }
    CHECK_EQ_INT(bad, 0);
    size_t kl;
    int64_t w, w2;
    CHECK(keycodec_split_window("1234567", 7, &kl, &w) == -1);
    CHECK(keycodec_split_session("123456789012345", 15, &kl, &w, &w2) == -1);
    CHECK(keycodec_split_window(NULL, 0, &kl, &w) == -1);
    sb_free(&x);
    sb_free(&y);
    arena_destroy(a);
}

/* ---- hostile bytes ----------------------------------------------------------- */

static void test_fuzz(void)
{
    Arena *a = arena_create(0);
    StrBuf e, re;
    sb_init(&e);
    sb_init(&re);
    Value out[8];
    EddyError err;
    int m, ok_key = 0, ok_row = 0, bad = 0;
    unsigned char buf[96];

    /* Random bytes, biased toward valid tags and small lengths. */
    for (int i = 0; i < 300000; i++) {
        size_t len = (size_t)rnd_below((int)sizeof buf + 1);
        for (size_t j = 0; j < len; j++) {
            int r = rnd_below(8);
            buf[j] = r == 0 ? (unsigned char)(0x10 + rnd_below(14))
                   : r == 1 ? (unsigned char)rnd_below(14)
                   : r == 2 ? 0x00 : r == 3 ? 0x01 : (unsigned char)rnd();
        }
        /* an exact-size heap copy, so ASan sees any read past the end */
        unsigned char *p = malloc(len ? len : 1);
        memcpy(p, buf, len);
        int n = 1 + rnd_below(3);
        if (keycodec_decode(p, len, out, n, a, &err) == 0) {
            ok_key++;
            sb_reset(&re);
            if (keycodec_encode(out, n, &re) != 0)
                bad++;
        }
        if (rowcodec_decode(p, len, out, 8, &m, a, &err) == 0) {
            ok_row++;
            sb_reset(&re);
            if (rowcodec_encode(out, m, &re) != 0)
                bad++;
        }
        free(p);
        if (i % 1000 == 0)
            arena_reset(a);
    }
    CHECK_EQ_INT(bad, 0);
    printf("fuzz: %d random inputs decoded as keys, %d as rows\n", ok_key, ok_row);

    /* Every proper prefix of a valid encoding fails (both encodings are
     * prefix-free); corrupted bytes never crash. */
    int prefix_ok = 0;
    for (int i = 0; i < 3000; i++) {
        Value row[3];
        int n = 1 + rnd_below(3);
        for (int j = 0; j < n; j++)
            row[j] = rnd_value(a, ALL_SHAPES[rnd_below(NSHAPES)], 0);
        for (int codec = 0; codec < 2; codec++) {
            sb_reset(&e);
            if (codec == 0)
                keycodec_encode(row, n, &e);
            else
                rowcodec_encode(row, n, &e);
            for (size_t cut = 0; cut < e.len; cut++) {
                unsigned char *p = malloc(cut ? cut : 1);
                memcpy(p, e.data, cut);
                int rc = codec == 0 ? keycodec_decode(p, cut, out, n, a, &err)
                                    : rowcodec_decode(p, cut, out, 8, &m, a, &err);
                if (rc == 0)
                    prefix_ok++;
                free(p);
            }
            for (int flips = 0; flips < 8 && e.len; flips++) {
                unsigned char *p = malloc(e.len);
                memcpy(p, e.data, e.len);
                p[rnd_below((int)e.len)] ^= (unsigned char)(1u << rnd_below(8));
                if (rnd_below(2))
                    p[rnd_below((int)e.len)] = (unsigned char)rnd();
                if (codec == 0)
                    (void)keycodec_decode(p, e.len, out, n, a, &err);
                else
                    (void)rowcodec_decode(p, e.len, out, 8, &m, a, &err);
                free(p);
            }
        }
        arena_reset(a);
    }
    CHECK_EQ_INT(prefix_ok, 0);

    /* Hostile lengths and counts fail without huge allocations. */
    const unsigned char huge_str[] = {1, TYPE_STRING, 0xff, 0xff, 0xff, 0xff, 0x07, 'a'};
    CHECK(rowcodec_decode(huge_str, sizeof huge_str, out, 8, &m, a, &err) == -1);
    const unsigned char huge_arr[] = {1, TYPE_ARRAY, 0xff, 0xff, 0xff, 0xff, 0x0f};
    CHECK(rowcodec_decode(huge_arr, sizeof huge_arr, out, 8, &m, a, &err) == -1);
    const unsigned char long_varint[] = {1, TYPE_BIGINT, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                         0xff, 0xff, 0xff, 0xff, 0x01};
    CHECK(rowcodec_decode(long_varint, sizeof long_varint, out, 8, &m, a, &err) == -1);
    const unsigned char int_overflow[] = {1, TYPE_INT, 0x80, 0x80, 0x80, 0x80, 0x20};
    CHECK(rowcodec_decode(int_overflow, sizeof int_overflow, out, 8, &m, a, &err) == -1);
    unsigned char deep[200];
    for (size_t j = 0; j < sizeof deep; j++)
        deep[j] = 0x10 + TYPE_ARRAY;
    CHECK(keycodec_decode(deep, sizeof deep, out, 1, a, &err) == -1);
    CHECK(keycodec_decode(NULL, 0, out, 1, a, &err) == -1);
    CHECK(keycodec_decode(NULL, 0, out, 0, a, &err) == 0);
    CHECK(rowcodec_decode(NULL, 0, out, 8, &m, a, &err) == -1);
    CHECK(strstr(err.msg, "malformed state row") != NULL);

    sb_free(&e);
    sb_free(&re);
    arena_destroy(a);
}

/* A key decodes only from the bytes the encoder writes for it, so a
 * decoded key encodes back to the same bytes (found by fuzz_codec): a
 * map's entries in their sorted order, one NaN, no negative zero. */
static void test_key_canonical(void)
{
    Arena *a = arena_create(0);
    EddyError err;
    Value out[2];
    StrBuf e1, e2, m;
    sb_init(&e1);
    sb_init(&e2);
    sb_init(&m);
    Value first[2] = {v_string_borrow("a", 1), v_int(1)}, second[2] = {v_string_borrow("b", 1), v_int(2)};
    keycodec_encode(first, 2, &e1);
    keycodec_encode(second, 2, &e2);
    for (int order = 0; order < 2; order++) {
        sb_reset(&m);
        sb_putc(&m, (char)(0x10 + TYPE_MAP));
        const StrBuf *x = order == 0 ? &e1 : &e2, *y = order == 0 ? &e2 : &e1;
        sb_append(&m, x->data, x->len);
        sb_append(&m, y->data, y->len);
        sb_putc(&m, 0);
        int rc = keycodec_decode(m.data, m.len, out, 1, a, &err);
        CHECK_EQ_INT(rc, order == 0 ? 0 : -1);
        if (rc == 0)
            CHECK_EQ_INT(out[0].u.map.n, 2);
    }
    /* Doubles: the canonical NaN and +0.0 decode; other NaNs and -0.0's
     * bit pattern (which the encoder folds) do not. */
    const uint64_t ok_bits[] = {0xfff8000000000000ULL, 0x8000000000000000ULL},
                   bad_bits[] = {0xfff8000000000001ULL, 0x7fffffffffffffffULL};
    for (int i = 0; i < 4; i++) {
        uint64_t bits = i < 2 ? ok_bits[i] : bad_bits[i - 2];
        unsigned char b[9] = {(unsigned char)(0x10 + TYPE_DOUBLE)};
        for (int k = 0; k < 8; k++)
            b[1 + k] = (unsigned char)(bits >> (56 - 8 * k));
        CHECK_EQ_INT(keycodec_decode(b, sizeof b, out, 1, a, &err), i < 2 ? 0 : -1);
    }
    /* A DECIMAL whose scale is outside 0..18 (value_pow10's range) is
     * refused by both decoders (found by fuzz_codec under UBSan). */
    for (int scale = -1; scale <= 40; scale += 41) {
        Value d = v_decimal(5, 10, 2);
        int m2;
        sb_reset(&e1);
        CHECK_EQ_INT(rowcodec_encode(&d, 1, &e1), 0);
        CHECK_EQ_INT(rowcodec_decode(e1.data, e1.len, out, 1, &m2, a, &err), 0);
        d.u.dec.scale = scale;
        sb_reset(&e1);
        CHECK_EQ_INT(rowcodec_encode(&d, 1, &e1), 0);
        CHECK_EQ_INT(rowcodec_decode(e1.data, e1.len, out, 1, &m2, a, &err), -1);
        sb_reset(&e1);
        if (keycodec_encode(&d, 1, &e1) == 0)
            CHECK_EQ_INT(keycodec_decode(e1.data, e1.len, out, 1, a, &err), -1);
    }
    sb_free(&e1);
    sb_free(&e2);
    sb_free(&m);
    arena_destroy(a);
}

int main(void)
{
    const char *seed = getenv("EDDY_TEST_SEED");
    if (seed)
        rng_state = strtoull(seed, NULL, 0) | 1;
    printf("seed 0x%llx\n", (unsigned long long)rng_state);
    test_order();
    test_round_trips();
    test_windows();
    test_fuzz();
    test_key_canonical();
    return testutil_done();
}
