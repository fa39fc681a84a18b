/*
 * fuzz_serde.c - libFuzzer target: the record decoders (JSON, DELIMITED,
 * KAFKA; values and keys, windowed keys too) on any bytes.
 *
 * Input: byte 0 picks the format (b % 3: JSON, DELIMITED, KAFKA) and the
 * columns (b / 3, one of the schemas below: every primitive type, nested
 * composites, or one column of each type alone); byte 1 the options (bit
 * 0 wrap a single JSON value, bits 1-2 the delimiter, bit 3 decode as a
 * key, bits 4-5 the key's window kind); the rest is the record.  Columns
 * a format cannot carry (serde_check) end the input.
 *
 * Invariants beyond "no crash, no leak, no UB": what decodes re-encodes
 * (when the encoder takes it) into bytes that decode again to equal
 * values (and the same window), and encode to the same bytes again
 * (except a DELIMITED record of one NULL, as in ksqlDB: below).
 */
#include "eddy/engine/serde.h"
#include "fuzz_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NCOLS_MAX 16

typedef struct Schema1 {
    Column cols[NCOLS_MAX];
    int n;
} Schema1;

static Schema1 schemas[32];
static int nschemas;
static Arena *types;   /* the schemas' composite types, for the process */

static const SqlType *prim(TypeKind k)
{
    return type_prim(k);
}

static void add_col(Schema1 *s, const char *name, const SqlType *t)
{
    s->cols[s->n++] = (Column){.name = name, .type = t, .role = COL_VALUE};
}

static void build_schemas(void)
{
    types = arena_create(0);
    const SqlType *dec = type_decimal(types, 10, 2);
    SqlField xy[] = {{"X", prim(TYPE_INT)}, {"Y", type_array(types, prim(TYPE_STRING))}};
    const SqlType *st = type_struct(types, xy, 2);
    SqlField z[] = {{"Z", type_decimal(types, 4, 2)}};
    const SqlType *nested =
        type_array(types, type_map(types, prim(TYPE_STRING), type_struct(types, z, 1)));
    const SqlType *arr = type_array(types, prim(TYPE_INT));
    const SqlType *map = type_map(types, prim(TYPE_STRING), prim(TYPE_DOUBLE));
    struct { const char *name; const SqlType *t; } every[] = {
        {"B", prim(TYPE_BOOLEAN)}, {"I", prim(TYPE_INT)}, {"L", prim(TYPE_BIGINT)},
        {"D", prim(TYPE_DOUBLE)}, {"DC", dec}, {"S", prim(TYPE_STRING)},
        {"BS", prim(TYPE_BYTES)}, {"TS", prim(TYPE_TIMESTAMP)}, {"DT", prim(TYPE_DATE)},
        {"TM", prim(TYPE_TIME)}, {"A", arr}, {"M", map}, {"ST", st}, {"N", nested},
    };
    int nevery = (int)(sizeof every / sizeof *every);
    Schema1 *all = &schemas[nschemas++], *flat = &schemas[nschemas++];
    for (int i = 0; i < nevery; i++) {
        add_col(all, every[i].name, every[i].t);
        if (every[i].t->kind != TYPE_ARRAY && every[i].t->kind != TYPE_MAP &&
            every[i].t->kind != TYPE_STRUCT)
            add_col(flat, every[i].name, every[i].t);
    }
    for (int i = 0; i < nevery; i++)
        add_col(&schemas[nschemas++], every[i].name, every[i].t);
}

static bool same_values(const Value *a, const Value *b, int n)
{
    for (int i = 0; i < n; i++)
        if (!value_equal(&a[i], &b[i]))
            return false;
    return true;
}

static void fail(const char *what, const Schema1 *s, Format fmt)
{
    fprintf(stderr, "fuzz_serde: %s (format %s, %d columns, first %s)\n", what, format_name(fmt),
            s->n, s->cols[0].name);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    build_schemas();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static const Format fmts[] = {FMT_JSON, FMT_DELIMITED, FMT_KAFKA};
    static const char delims[] = {',', '|', '\t', ' '};
    static const WindowKind kinds[] = {WKIND_NONE, WKIND_TUMBLING, WKIND_HOPPING, WKIND_SESSION};
    Format fmt = fmts[data[0] % 3];
    const Schema1 *s = &schemas[(data[0] / 3) % nschemas];
    bool is_key = data[1] & 8;
    WindowKind kind = kinds[(data[1] >> 4) & 3];
    SerdeOptions opts = {.wrap_single = data[1] & 1, .delimiter = delims[(data[1] >> 1) & 3]};
    EddyError err;
    if (serde_check(fmt, s->cols, s->n, is_key, &err) != 0)
        return 0;
    size_t len = size - 2;
    unsigned char *buf = fuzz_bytes(data + 2, len);

    Arena *a = arena_create(0);
    Value v1[NCOLS_MAX], v2[NCOLS_MAX];
    int64_t start1 = -1, end1 = -1, start2 = -1, end2 = -1;
    const int64_t size_ms = 60000;
    int rc = is_key ? serde_decode_key(fmt, &opts, s->cols, s->n, kind, size_ms, buf, len, v1,
                                       &start1, &end1, a, &err)
                    : serde_decode(fmt, &opts, s->cols, s->n, buf, len, v1, a, &err);
    if (rc != 0 && err.msg[0] == '\0')
        fail("a failed decode without a reason", s, fmt);
    StrBuf e1, e2;
    sb_init(&e1);
    sb_init(&e2);
    if (rc == 0) {
        int erc = is_key ? serde_encode_key(fmt, &opts, s->cols, s->n, v1, kind, start1, end1,
                                            &e1, &err)
                         : serde_encode(fmt, &opts, s->cols, s->n, v1, &e1, &err);
        /* As ksqlDB's (Commons CSV) does, DELIMITED writes a record of one
         * NULL field as no bytes, which no decoder reads ("no fields in
         * record"): the one encoding that does not decode (in a key, before
         * the window). */
        bool unreadable = fmt == FMT_DELIMITED && e1.len == (is_key ? serde_window_len(kind) : 0);
        if (erc == 0 && !unreadable) {
            const char *p = e1.data ? e1.data : "";
            rc = is_key ? serde_decode_key(fmt, &opts, s->cols, s->n, kind, size_ms, p, e1.len,
                                           v2, &start2, &end2, a, &err)
                        : serde_decode(fmt, &opts, s->cols, s->n, p, e1.len, v2, a, &err);
            if (rc != 0) {
                fprintf(stderr, "re-encoded: %.*s\nerror: %s\n", (int)e1.len, p, err.msg);
                fail("a record it encoded does not decode", s, fmt);
            }
            if (!same_values(v1, v2, s->n) || start1 != start2 || end1 != end2)
                fail("a decoded record re-encodes to different values", s, fmt);
            erc = is_key ? serde_encode_key(fmt, &opts, s->cols, s->n, v2, kind, start2, end2,
                                            &e2, &err)
                         : serde_encode(fmt, &opts, s->cols, s->n, v2, &e2, &err);
            if (erc != 0 || e1.len != e2.len || memcmp(p, e2.data ? e2.data : "", e1.len) != 0)
                fail("encoding is not stable", s, fmt);
        }
    }
    sb_free(&e1);
    sb_free(&e2);
    arena_destroy(a);
    free(buf);
    return 0;
}
