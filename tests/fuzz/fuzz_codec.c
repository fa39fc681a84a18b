/*
 * fuzz_codec.c - libFuzzer target: the state stores' byte encodings
 * (codec.h): order-preserving keys and compact rows.
 *
 * Input: byte 0 picks the mode (b % 3), byte 1 a parameter, the rest is
 * the payload.
 *   0  keys: decode 1 + byte1 % 8 values from any bytes (also as a prefix
 *      of a longer key, as a window suffix follows one);
 *   1  rows: decode a row of at most byte1 % 32 values from any bytes;
 *   2  values: the payload is a JSON array; each element becomes a Value
 *      of type types[byte1 % ntypes] (json_to_value, as INSERT VALUES and
 *      the decoders build them); elements that do not convert are left out.
 *
 * Invariants beyond "no crash, no leak, no UB": whatever decodes
 * re-encodes to bytes that decode to equal values and encode to the same
 * bytes again; built values round-trip exactly through both codecs; and
 * key encodings sort (memcmp, shorter first) as value_compare orders the
 * values, for values without a MAP (maps have no SQL order).
 */
#include "eddy/codec.h"
#include "eddy/engine/serde.h"
#include "fuzz_util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXV 32

static const SqlType *types[24];
static int ntypes;
static Arena *type_arena;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    Arena *a = type_arena = arena_create(0);
    TypeKind prims[] = {TYPE_BOOLEAN, TYPE_INT, TYPE_BIGINT, TYPE_DOUBLE, TYPE_STRING,
                        TYPE_BYTES, TYPE_TIMESTAMP, TYPE_DATE, TYPE_TIME};
    for (size_t i = 0; i < sizeof prims / sizeof *prims; i++)
        types[ntypes++] = type_prim(prims[i]);
    types[ntypes++] = type_decimal(a, 10, 2);
    types[ntypes++] = type_decimal(a, 18, 0);
    types[ntypes++] = type_decimal(a, 4, 4);
    types[ntypes++] = type_array(a, type_prim(TYPE_INT));
    types[ntypes++] = type_array(a, type_prim(TYPE_STRING));
    types[ntypes++] = type_array(a, type_array(a, type_prim(TYPE_DOUBLE)));
    types[ntypes++] = type_map(a, type_prim(TYPE_STRING), type_prim(TYPE_DOUBLE));
    SqlField xy[] = {{"X", type_prim(TYPE_INT)}, {"Y", type_array(a, type_prim(TYPE_STRING))}};
    types[ntypes++] = type_struct(a, xy, 2);
    SqlField m[] = {{"M", type_map(a, type_prim(TYPE_STRING), type_array(a, type_prim(TYPE_BYTES)))}};
    types[ntypes++] = type_array(a, type_struct(a, m, 1));
    return 0;
}

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_codec: %s\n", what);
    abort();
}

static bool same(const Value *a, const Value *b, int n)
{
    for (int i = 0; i < n; i++)
        if (!value_equal(&a[i], &b[i]))
            return false;
    return true;
}

/* Encodes vals with the key (key=true) or row codec. */
static int encode(bool key, const Value *vals, int n, StrBuf *out)
{
    return key ? keycodec_encode(vals, n, out) : rowcodec_encode(vals, n, out);
}

static int decode(bool key, const void *buf, size_t len, Value *out, int n, int *got, Arena *a,
                  EddyError *err)
{
    if (key) {
        *got = n;
        return keycodec_decode(buf, len, out, n, a, err);
    }
    return rowcodec_decode(buf, len, out, n, got, a, err);
}

/* vals[0..n) encode, decode to equal values, and encode to the same bytes. */
static void round_trip(bool key, const Value *vals, int n, Arena *a)
{
    StrBuf e1, e2;
    sb_init(&e1);
    sb_init(&e2);
    if (encode(key, vals, n, &e1) != 0)
        fail("a value does not encode");
    Value back[MAXV];
    int got;
    EddyError err;
    if (decode(key, e1.data ? e1.data : "", e1.len, back, n, &got, a, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        fail("an encoding does not decode");
    }
    if (got != n || !same(vals, back, n))
        fail("a round trip changes the values");
    if (encode(key, back, n, &e2) != 0 || e1.len != e2.len ||
        memcmp(e1.data ? e1.data : "", e2.data ? e2.data : "", e1.len) != 0)
        fail("a round trip changes the bytes");
    sb_free(&e1);
    sb_free(&e2);
}

static bool has_map(const Value *v)
{
    switch (v->kind) {
    case TYPE_MAP:
        return true;
    case TYPE_ARRAY:
        for (int32_t i = 0; i < v->u.arr.n; i++)
            if (has_map(&v->u.arr.items[i]))
                return true;
        return false;
    case TYPE_STRUCT:
        for (int32_t i = 0; i < v->u.st.n; i++)
            if (has_map(&v->u.st.fields[i]))
                return true;
        return false;
    default:
        return false;
    }
}

static int sign(int c)
{
    return (c > 0) - (c < 0);
}

/* memcmp order of the key encodings of a and b, shorter first on a tie. */
static int key_order(const Value *a, const Value *b)
{
    StrBuf ea, eb;
    sb_init(&ea);
    sb_init(&eb);
    keycodec_encode(a, 1, &ea);
    keycodec_encode(b, 1, &eb);
    size_t n = ea.len < eb.len ? ea.len : eb.len;
    int c = sign(memcmp(ea.data, eb.data, n));
    if (c == 0)
        c = (ea.len > eb.len) - (ea.len < eb.len);
    sb_free(&ea);
    sb_free(&eb);
    return c;
}

static void from_bytes(bool key, const uint8_t *p, size_t len, int n, Arena *a)
{
    unsigned char *buf = fuzz_bytes(p, len);
    Value v[MAXV];
    int got;
    EddyError err;
    if (decode(key, buf, len, v, n, &got, a, &err) == 0) {
        round_trip(key, v, got, a);
    } else if (err.msg[0] == '\0') {
        fail("a failed decode without a reason");
    }
    if (key) {
        size_t used;
        if (keycodec_decode_prefix(buf, len, v, n, &used, a, &err) == 0 && used > len)
            fail("a key prefix longer than the key");
    }
    free(buf);
}

static void from_json(const uint8_t *p, size_t len, const SqlType *type, Arena *a)
{
    json_t *arr = json_loadb((const char *)p, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!json_is_array(arr)) {
        json_decref(arr);
        return;
    }
    Value v[MAXV];
    int n = 0;
    for (size_t i = 0; i < json_array_size(arr) && n < MAXV; i++) {
        EddyError err;
        if (json_to_value(json_array_get(arr, i), type, a, &v[n], &err) == 0)
            n++;
    }
    json_decref(arr);
    round_trip(false, v, n, a);
    round_trip(true, v, n, a);
    for (int i = 0; i < n; i++) {
        round_trip(true, &v[i], 1, a);
        for (int j = 0; j < n; j++) {
            bool ok = true;
            int c = value_compare(&v[i], &v[j], &ok);
            if (!ok || has_map(&v[i]) || has_map(&v[j]))
                continue;
            if (key_order(&v[i], &v[j]) != sign(c)) {
                StrBuf t;
                sb_init(&t);
                value_format(&v[i], &t);
                sb_puts(&t, " vs ");
                value_format(&v[j], &t);
                fprintf(stderr, "%s: compare %d, keys %d\n", t.data, c, key_order(&v[i], &v[j]));
                sb_free(&t);
                fail("key encodings do not sort as the values");
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 4096)
        return 0;
    Arena *a = arena_create(0);
    switch (data[0] % 3) {
    case 0:
        from_bytes(true, data + 2, size - 2, 1 + data[1] % 8, a);
        break;
    case 1:
        from_bytes(false, data + 2, size - 2, data[1] % MAXV, a);
        break;
    default:
        from_json(data + 2, size - 2, types[data[1] % ntypes], a);
        break;
    }
    arena_destroy(a);
    return 0;
}
