/* test_serde_scan.c - the source's reader (serde_json_scan.c, DELIMITED's
 * decode_some) against the reference decoder (serde_decode, jansson):
 * edge cases and random records, every column needed, none, and random
 * subsets.  The reader must give the same result code, the same error
 * text and the same value for every needed column, bit for bit. */
#include "eddy/engine/serde.h"

#include "testutil.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static Arena *A;

/* ---- comparing values ------------------------------------------------------ */

static bool same(const Value *a, const Value *b)
{
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case TYPE_NULL: return true;
    case TYPE_BOOLEAN: return a->u.b == b->u.b;
    case TYPE_INT: case TYPE_DATE: case TYPE_TIME: return a->u.i32 == b->u.i32;
    case TYPE_BIGINT: case TYPE_TIMESTAMP: return a->u.i64 == b->u.i64;
    case TYPE_DOUBLE: return memcmp(&a->u.d, &b->u.d, sizeof(double)) == 0;
    case TYPE_DECIMAL:
        return a->u.dec.unscaled == b->u.dec.unscaled && a->u.dec.scale == b->u.dec.scale &&
               a->u.dec.precision == b->u.dec.precision;
    case TYPE_STRING: case TYPE_BYTES:
        return a->u.str.len == b->u.str.len &&
               memcmp(a->u.str.ptr, b->u.str.ptr, (size_t)a->u.str.len) == 0;
    case TYPE_ARRAY:
        if (a->u.arr.n != b->u.arr.n)
            return false;
        for (int i = 0; i < a->u.arr.n; i++)
            if (!same(&a->u.arr.items[i], &b->u.arr.items[i]))
                return false;
        return true;
    case TYPE_MAP:
        if (a->u.map.n != b->u.map.n)
            return false;
        for (int i = 0; i < a->u.map.n; i++)
            if (!same(&a->u.map.keys[i], &b->u.map.keys[i]) ||
                !same(&a->u.map.vals[i], &b->u.map.vals[i]))
                return false;
        return true;
    case TYPE_STRUCT:
        if (a->u.st.n != b->u.st.n)
            return false;
        for (int i = 0; i < a->u.st.n; i++)
            if (!same(&a->u.st.fields[i], &b->u.st.fields[i]))
                return false;
        return true;
    default:
        return false;
    }
}

/* ---- the columns ------------------------------------------------------------ */

#define NC 16
static Column cols[NC];

static void make_columns(void)
{
    static SqlField sf[2];
    sf[0] = (SqlField){"A", type_prim(TYPE_INT)};
    sf[1] = (SqlField){"b", type_prim(TYPE_STRING)};
    const char *names[NC] = {"B", "I", "BI", "D", "DEC", "S", "BY", "TS",
                             "TM", "DT", "ARR", "M", "ST", "city", "CITY", "S2"};
    const SqlType *types[NC] = {
        type_prim(TYPE_BOOLEAN), type_prim(TYPE_INT), type_prim(TYPE_BIGINT),
        type_prim(TYPE_DOUBLE), type_decimal(A, 10, 2), type_prim(TYPE_STRING),
        type_prim(TYPE_BYTES), type_prim(TYPE_TIMESTAMP), type_prim(TYPE_TIME),
        type_prim(TYPE_DATE), type_array(A, type_prim(TYPE_INT)),
        type_map(A, type_prim(TYPE_STRING), type_prim(TYPE_DOUBLE)), type_struct(A, sf, 2),
        type_prim(TYPE_STRING), type_prim(TYPE_STRING), type_prim(TYPE_STRING)};
    for (int i = 0; i < NC; i++)
        cols[i] = (Column){names[i], types[i], COL_VALUE};
}

/* ---- the comparison ----------------------------------------------------------- */

static long compared, rejected;

static void compare(Format fmt, const Column *cs, int nc, const bool *need, const char *rec,
                    size_t len)
{
    SerdeOptions o = {.wrap_single = true, .delimiter = ','};
    Value ref[NC], got[NC];
    EddyError e1, e2;
    eddy_error_clear(&e1);
    eddy_error_clear(&e2);
    int r1 = serde_decode(fmt, &o, cs, nc, rec, len, ref, A, &e1);
    SerdeReader *r = serde_reader_create(fmt, &o, cs, nc, need);
    int r2 = serde_reader_decode(r, rec, len, got, A, &e2);
    compared++;
    bool ok = r1 == r2;
    if (ok && r1 != 0) {
        rejected++;
        ok = strcmp(e1.msg, e2.msg) == 0;
    }
    for (int i = 0; ok && r1 == 0 && i < nc; i++)
        ok = need && !need[i] ? got[i].kind == TYPE_NULL : same(&ref[i], &got[i]);
    if (!ok) {
        tu_failed++;
        fprintf(stderr, "differs on %.*s\n  reference rc %d %s\n  reader    rc %d %s\n", (int)len,
                rec, r1, e1.msg, r2, e2.msg);
        for (int i = 0; r1 == 0 && r2 == 0 && i < nc; i++)
            if (!(need && !need[i]) && !same(&ref[i], &got[i])) {
                StrBuf a, b;
                sb_init(&a);
                sb_init(&b);
                value_format(&ref[i], &a);
                value_format(&got[i], &b);
                fprintf(stderr, "  column %s: %s vs %s\n", cs[i].name, a.data ? a.data : "",
                        b.data ? b.data : "");
                sb_free(&a);
                sb_free(&b);
            }
    } else {
        tu_passed++;
    }
    serde_reader_destroy(r);
}

/* Every need pattern worth trying: all, none, each single column. */
static void compare_all(Format fmt, const char *rec, size_t len, uint64_t *rng)
{
    bool need[NC];
    compare(fmt, cols, NC, NULL, rec, len);
    memset(need, 0, sizeof need);
    compare(fmt, cols, NC, need, rec, len);
    for (int i = 0; i < NC; i++)
        need[i] = (*rng >> i) & 1;
    compare(fmt, cols, NC, need, rec, len);
}

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* ---- edge cases -------------------------------------------------------------- */

static const char *const edge[] = {
    "{}", "null", " null ", "{ }", "[]", "1", "\"x\"", "", " ", "{", "}", "{\"I\":}", "{\"I\":1,}",
    "{\"I\":1} x", "{\"I\":1}\n", "{\"I\" : 1 , \"D\" : 2.5 }",
    /* names: exact, upper-cased, the first upper-cased key, duplicates */
    "{\"i\":1}", "{\"I\":1,\"i\":2}", "{\"i\":2,\"I\":1}", "{\"i\":1,\"i\":2}",
    "{\"s\":\"a\",\"S\":\"b\",\"s\":\"c\"}", "{\"City\":\"x\"}", "{\"city\":\"x\"}",
    "{\"CITY\":\"x\",\"city\":\"y\"}", "{\"cItY\":\"a\",\"City\":\"b\",\"cItY\":\"c\"}",
    "{\"City\":\"a\",\"cItY\":\"b\",\"City\":\"c\"}", "{\"I\":1,\"I\":\"x\"}", "{\"I\":\"x\",\"I\":1}",
    "{\"\\u0049\":5}", "{\"I\\u0000\":5}", "{\"\":1}", "{\"ST\":{\"a\":1,\"A\":2,\"b\":\"x\"}}",
    /* integers */
    "{\"I\":2147483647}", "{\"I\":2147483648}", "{\"I\":-2147483648}", "{\"I\":-2147483649}",
    "{\"BI\":9223372036854775807}", "{\"BI\":9223372036854775808}",
    "{\"BI\":-9223372036854775808}", "{\"BI\":-9223372036854775809}",
    "{\"BI\":99999999999999999999}", "{\"I\":-0}", "{\"D\":-0}", "{\"I\":01}", "{\"I\":-}",
    "{\"I\":+1}", "{\"I\":1.}", "{\"I\":.5}", "{\"I\":1e}", "{\"I\":1e+}", "{\"I\":2.9}",
    "{\"I\":-2.9}", "{\"I\":1e3}", "{\"I\":1e10}", "{\"BI\":9.3e18}", "{\"BI\":-9.3e18}",
    "{\"I\":\"42\"}", "{\"I\":\" 42\"}", "{\"I\":\"+42\"}", "{\"I\":\"4.5\"}", "{\"I\":true}",
    "{\"I\":[1]}", "{\"I\":{}}", "{\"I\":\"\\u0034\\u0032\"}",
    /* reals */
    "{\"D\":0.1}", "{\"D\":-0.0}", "{\"D\":1e308}", "{\"D\":1.8e308}", "{\"D\":-1.8e308}",
    "{\"D\":1e-400}", "{\"D\":4.9e-324}", "{\"D\":2.2250738585072011e-308}",
    "{\"D\":123456789012345678901234567890.5}", "{\"D\":0.30000000000000004}",
    "{\"D\":9007199254740993}", "{\"D\":9007199254740993.0}", "{\"D\":1.7976931348623157e308}",
    "{\"D\":0e999999}", "{\"D\":1E22}", "{\"D\":1e23}", "{\"D\":\"NaN\"}", "{\"D\":\"Infinity\"}",
    "{\"D\":\"1e3\"}", "{\"D\":\"x\"}", "{\"D\":true}", "{\"D\":3}", "{\"S\":1e300}", "{\"S\":1e21}",
    "{\"S\":100000000000000000000.0}", "{\"S\":0.00001}", "{\"S\":1.50}", "{\"S\":-0.0}",
    "{\"S2\":12345678901234567890123}",
    /* decimals */
    "{\"DEC\":12.34}", "{\"DEC\":12.345}", "{\"DEC\":\"12.345\"}", "{\"DEC\":\"12.3\"}",
    "{\"DEC\":12345678901}", "{\"DEC\":1e2}", "{\"DEC\":0.1}", "{\"DEC\":\"x\"}", "{\"DEC\":false}",
    /* strings */
    "{\"S\":\"plain\"}", "{\"S\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"}", "{\"S\":\"\\u00e9\\u20ac\"}",
    "{\"S\":\"\\ud83d\\ude00\"}", "{\"S\":\"\\ud83d\"}", "{\"S\":\"\\ude00\"}",
    "{\"S\":\"\\ud83d\\u0041\"}", "{\"S\":\"\\u0000x\"}", "{\"S\":\"\\x\"}", "{\"S\":\"\\u12\"}",
    "{\"S\":\"\\u12G4\"}", "{\"S\":\"caf\xc3\xa9\"}", "{\"S\":\"\xe2\x82\xac\xf0\x9f\x98\x80\"}",
    "{\"S\":\"\xc3\"}", "{\"S\":\"\xc0\xaf\"}", "{\"S\":\"\xed\xa0\x80\"}", "{\"S\":\"\xf4\x90\x80\x80\"}",
    "{\"S\":\"\xe0\x80\xaf\"}", "{\"S\":\"\xf0\x80\x80\xaf\"}", "{\"S\":\"\xff\"}", "{\"S\":\"a\tb\"}",
    "{\"S\":\"a\nb\"}", "{\"S\":\"unterminated}", "{\"S\":true}", "{\"S\":false}", "{\"S\":null}",
    "{\"S\":[1,\"a\",[true,null],{\"k\":1.5}]}", "{\"S\":{\"b\":1,\"a\":[1,2],\"b\":3}}",
    "{\"S\":{\"k\":\"\\u00e9\"}}", "{\"S\":12345}", "{\"S\":-7}", "{\"S\":2.50}",
    /* booleans, bytes, times */
    "{\"B\":true}", "{\"B\":false}", "{\"B\":\"true\"}", "{\"B\":1}", "{\"B\":tru}", "{\"B\":truex}",
    "{\"BY\":\"aGVsbG8=\"}", "{\"BY\":\"!!\"}", "{\"BY\":5}",
    "{\"TS\":1700000000000}", "{\"TS\":\"2023-11-14T22:13:20.000\"}", "{\"TS\":\"x\"}",
    "{\"TS\":1.7e12}", "{\"TS\":\"1700000000000\"}", "{\"TM\":3600000}", "{\"TM\":86400000}",
    "{\"TM\":-1}", "{\"TM\":\"10:00:00\"}", "{\"DT\":19000}", "{\"DT\":2147483648}",
    "{\"DT\":\"2023-01-01\"}", "{\"DT\":\"2023-13-01\"}",
    /* composites */
    "{\"ARR\":[1,2,3]}", "{\"ARR\":[1,\"2\",null]}", "{\"ARR\":[1,\"x\"]}", "{\"ARR\":{}}",
    "{\"ARR\":[]}", "{\"M\":{\"a\":1.5,\"b\":\"2\"}}", "{\"M\":{\"a\":\"x\"}}", "{\"M\":[]}",
    "{\"ST\":{\"A\":1,\"b\":\"x\",\"c\":[1,{\"d\":null}]}}", "{\"ST\":{\"a\":\"x\"}}",
    "{\"ST\":5}", "{\"X\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}", "{\"X\":[1,]}", "{\"X\":[,1]}",
    "{\"X\":{\"a\"}}", "{\"X\":{\"a\":1 \"b\":2}}", "{\"X\":{1:2}}", "{\"X\":\"\\ud800\"}",
    "{\"X\":1e999}", "{\"X\":123456789012345678901234567890}",
    /* whitespace and junk */
    "\t{\r\n\"I\"\t:\n1\r}\t", "{\"I\":1}\x00", "\x00{\"I\":1}", "{\"I\":1}{}", "{\"I\":1}]",
    "\xef\xbb\xbf{\"I\":1}",
};

static void edge_cases(void)
{
    uint64_t rng = 7;
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
        next(&rng);
        compare_all(FMT_JSON, edge[i], strlen(edge[i]), &rng);
    }
    /* NUL bytes inside records (strlen would stop at them) */
    const char with_nul[][16] = {"{\"I\":1}\0", "{\"S\":\"a\0b\"}", "{\"I\":1\0}"};
    const size_t with_nul_len[] = {8, 12, 8};
    for (int i = 0; i < 3; i++)
        compare_all(FMT_JSON, with_nul[i], with_nul_len[i], &rng);
    /* deep nesting: within and beyond the scanner's and jansson's limits */
    for (int depth = 500; depth <= 2100; depth += 400) {
        StrBuf sb;
        sb_init(&sb);
        sb_puts(&sb, "{\"X\":");
        for (int k = 0; k < depth; k++)
            sb_putc(&sb, '[');
        for (int k = 0; k < depth; k++)
            sb_putc(&sb, ']');
        sb_putc(&sb, '}');
        compare_all(FMT_JSON, sb.data, sb.len, &rng);
        sb_free(&sb);
    }
}

/* ---- random records ------------------------------------------------------------- */

static const char *const key_names[] = {"B", "I", "BI", "D", "DEC", "S", "BY", "TS", "TM", "DT",
                                        "ARR", "M", "ST", "city", "CITY", "City", "s2", "S2",
                                        "i", "d", "Extra", "x"};

static void rand_number(StrBuf *sb, uint64_t *rng)
{
    uint64_t h = next(rng);
    switch (h % 9) {
    case 0: sb_printf(sb, "%d", (int)(h >> 8) % 1000 - 500); break;
    case 1: sb_printf(sb, "%lld", (long long)(h >> 1) * ((h & 16) ? -1 : 1)); break;
    case 2: sb_printf(sb, "%d.%0*d", (int)(h >> 8) % 1000 - 500, (int)(h >> 20) % 6 + 1,
                      (int)(h >> 30) % 1000); break;
    case 3: {
        double d;
        uint64_t bits = next(rng);
        memcpy(&d, &bits, sizeof d);
        if (isfinite(d))
            sb_printf(sb, "%.17g", d);
        else
            sb_puts(sb, "1e400");
        break;
    }
    case 4: sb_printf(sb, "%.*g", (int)(h >> 8) % 17 + 1, (double)(h >> 12) / 1e6); break;
    case 5: sb_printf(sb, "%de%d", (int)(h >> 8) % 100, (int)(h >> 20) % 700 - 350); break;
    case 6: sb_printf(sb, "%llu%llu", (unsigned long long)(h >> 40), (unsigned long long)(h >> 3)); break;
    case 7: sb_printf(sb, "0.%018llu", (unsigned long long)(h % 1000000000000000000ULL)); break;
    default: sb_printf(sb, "%d", (int)(h >> 8) % 86400000); break;
    }
}

static void rand_string(StrBuf *sb, uint64_t *rng)
{
    static const char *const pieces[] = {
        "a", "Dallas", " ", "42", "-7", "1.5", "\\n", "\\\"", "\\\\", "\\/", "\\u00e9", "\\u0000",
        "\\ud83d\\ude00", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "2023-01-01",
        "10:00:00", "2023-11-14T22:13:20", "aGVsbG8=", "true", "1e3", "NaN", "\\t", "x"};
    sb_putc(sb, '"');
    int n = (int)(next(rng) % 4);
    for (int i = 0; i < n; i++)
        sb_puts(sb, pieces[next(rng) % (sizeof pieces / sizeof pieces[0])]);
    sb_putc(sb, '"');
}

static void rand_value(StrBuf *sb, uint64_t *rng, int depth)
{
    uint64_t h = next(rng) % 12;
    if (depth > 2 && h >= 9)
        h = 0;
    switch (h) {
    case 0: case 1: case 2: rand_number(sb, rng); break;
    case 3: case 4: case 5: rand_string(sb, rng); break;
    case 6: sb_puts(sb, (next(rng) & 1) ? "true" : "false"); break;
    case 7: sb_puts(sb, "null"); break;
    case 8: rand_number(sb, rng); break;
    case 9: case 10: {
        sb_putc(sb, '[');
        int n = (int)(next(rng) % 4);
        for (int i = 0; i < n; i++) {
            if (i)
                sb_putc(sb, ',');
            rand_value(sb, rng, depth + 1);
        }
        sb_putc(sb, ']');
        break;
    }
    default: {
        sb_putc(sb, '{');
        int n = (int)(next(rng) % 4);
        static const char *const sub[] = {"A", "a", "b", "B", "k"};
        for (int i = 0; i < n; i++) {
            if (i)
                sb_putc(sb, ',');
            sb_printf(sb, "\"%s\":", sub[next(rng) % 5]);
            rand_value(sb, rng, depth + 1);
        }
        sb_putc(sb, '}');
    }
    }
}

/* A value that the column of key k most likely takes. */
static void typed_value(StrBuf *sb, const char *k, uint64_t *rng)
{
    uint64_t h = next(rng);
    if (!strcmp(k, "B"))
        sb_puts(sb, h & 1 ? "true" : "false");
    else if (!strcmp(k, "I") || !strcmp(k, "i") || !strcmp(k, "DT"))
        sb_printf(sb, h & 1 ? "%d" : "\"%d\"", (int)(h >> 8) % 100000 - 50000);
    else if (!strcmp(k, "BI") || !strcmp(k, "TS"))
        sb_printf(sb, "%lld", (long long)(h >> 2) * (h & 2 ? -1 : 1));
    else if (!strcmp(k, "TM"))
        sb_printf(sb, "%d", (int)((h >> 8) % 86400000));
    else if (!strcmp(k, "DEC"))
        sb_printf(sb, h & 1 ? "%d.%02d" : "\"%d.%d\"", (int)(h >> 8) % 100000, (int)(h >> 40) % 100);
    else if (!strcmp(k, "BY"))
        sb_puts(sb, h & 1 ? "\"aGVsbG8=\"" : "\"\"");
    else if (!strcmp(k, "ARR"))
        sb_printf(sb, "[%d,%d,\"%d\",null]", (int)(h % 100), (int)(h >> 8) % 100, (int)(h >> 16) % 100);
    else if (!strcmp(k, "M"))
        sb_printf(sb, "{\"a\":%d.5,\"b\":\"%d\",\"a\":1}", (int)(h % 100), (int)(h >> 8) % 100);
    else if (!strcmp(k, "ST"))
        sb_printf(sb, "{\"A\":%d,\"b\":\"s\",\"a\":2}", (int)(h % 100));
    else if (!strcmp(k, "D") || !strcmp(k, "d"))
        rand_number(sb, rng);
    else
        rand_value(sb, rng, 0);
}

/* A random record, then (sometimes) a random corruption of its bytes. */
static void rand_record(StrBuf *sb, uint64_t *rng)
{
    sb_reset(sb);
    sb_putc(sb, '{');
    int n = (int)(next(rng) % 10);
    for (int i = 0; i < n; i++) {
        if (i)
            sb_puts(sb, (next(rng) % 8) ? "," : " , ");
        const char *k = key_names[next(rng) % (sizeof key_names / sizeof key_names[0])];
        sb_printf(sb, "\"%s\":", k);
        if (next(rng) % 10 < 8)
            typed_value(sb, k, rng);
        else
            rand_value(sb, rng, 0);
    }
    sb_putc(sb, '}');
    uint64_t h = next(rng);
    if (sb->len > 2 && h % 5 == 0) {
        size_t at = (size_t)(next(rng) % sb->len);
        static const char junk[] = {'"', '\\', ',', ':', '}', ']', '{', '[', 'e', '.', '-', '0',
                                    ' ', '\x01', '\x80', '\xc3', 'u', 'n'};
        switch ((h >> 8) % 3) {
        case 0: sb->data[at] = junk[next(rng) % sizeof junk]; break;   /* replace */
        case 1: sb->len = at; break;                                   /* truncate */
        default: sb->data[at] = sb->data[sb->len - 1 - at % sb->len];  /* swap in another byte */
        }
    }
}

static void random_records(long count)
{
    uint64_t rng = 12345;
    StrBuf sb;
    sb_init(&sb);
    for (long i = 0; i < count; i++) {
        rand_record(&sb, &rng);
        compare_all(FMT_JSON, sb.data ? sb.data : "", sb.len, &rng);
        if (i % 1000 == 0)
            arena_reset(A);
    }
    sb_free(&sb);
}

/* ---- DELIMITED ------------------------------------------------------------------- */

static void delimited(void)
{
    const SqlType *dec = type_decimal(A, 6, 2);
    Column dc[6] = {{"B", type_prim(TYPE_BOOLEAN), COL_VALUE}, {"I", type_prim(TYPE_INT), COL_VALUE},
                    {"D", type_prim(TYPE_DOUBLE), COL_VALUE},  {"DEC", dec, COL_VALUE},
                    {"S", type_prim(TYPE_STRING), COL_VALUE},  {"TM", type_prim(TYPE_TIME), COL_VALUE}};
    static const char *const recs[] = {
        "true,1,1.5,1.25,x,1000", ",,,,,", "yes,x,1.5,1.25,x,1000", "true,1,y,1.25,x,1000",
        "true,1,1.5,1.255,x,1000", "true,1,1.5,1.25,x,-1", "true,1,1.5,1.25,x", "a,1,1.5,1.25,x,1,2",
        "\"t\"\"x\",1,1.5,1.25,\"a,b\",5", "\"unterminated,1,1.5,1.25,x,1000", "true,1,1.5,1.25,x,1000\nmore",
        "\n\ntrue,1,1.5,1.25,x,1000", "", "\n", "TRUE,99999999999,1.5,1.25,x,1000",
    };
    for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++)
        for (int mask = 0; mask < 64; mask++) {
            bool need[6];
            for (int k = 0; k < 6; k++)
                need[k] = (mask >> k) & 1;
            compare(FMT_DELIMITED, dc, 6, need, recs[i], strlen(recs[i]));
        }
}

/* ---- the reader takes its fast path ------------------------------------------------ */

static void fast_path_used(void)
{
    /* A record the reader must decide itself: timing is not asserted, but
     * that the reader did not hand it to jansson is. */
    Column c[3] = {{"SEVERITY", type_prim(TYPE_INT), COL_VALUE},
                   {"CITY", type_prim(TYPE_STRING), COL_VALUE},
                   {"T", type_prim(TYPE_DOUBLE), COL_VALUE}};
    bool need[3] = {true, true, false};
    SerdeOptions o = {.wrap_single = true, .delimiter = ','};
    SerdeReader *r = serde_reader_create(FMT_JSON, &o, c, 3, need);
    const char *rec = "{\"ID\":\"A-1\",\"Severity\":3,\"City\":\"Dallas\",\"T\":71.5,\"x\":[1,{}]}";
    Value out[3];
    EddyError e;
    CHECK_EQ_INT(serde_reader_decode(r, rec, strlen(rec), out, A, &e), 0);
    CHECK_EQ_INT(serde_reader_decode(r, rec, strlen(rec), out, A, &e), 0);
    CHECK_EQ_INT(out[0].kind, TYPE_INT);
    CHECK_EQ_INT(out[0].u.i32, 3);
    CHECK(out[1].kind == TYPE_STRING && out[1].u.str.len == 6);
    CHECK_EQ_INT(out[2].kind, TYPE_NULL);
    CHECK_EQ_INT(serde_reader_fallbacks(r), 0);
    /* a bad record is still rejected, by the reference's words */
    const char *bad = "{\"Severity\":3,\"T\":\"warm\"}";
    CHECK_EQ_INT(serde_reader_decode(r, bad, strlen(bad), out, A, &e), -1);
    CHECK_STR(e.msg, "field T: cannot convert 'warm' to DOUBLE");
    CHECK_EQ_INT(serde_reader_fallbacks(r), 1);
    serde_reader_destroy(r);
}

/* ---- figures (printed, never asserted) --------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Decoding the benchmark's 17-field accident record: jansson, the reader
 * with every column, with the 4 a query reads, and with none (the
 * validating scan alone). */
static void figures(void)
{
    static const char *const names[] = {"SEVERITY", "START_TIME", "END_TIME", "START_LAT",
                                        "START_LNG", "CITY", "COUNTY", "STATE", "ZIPCODE",
                                        "WEATHER_CONDITION", "TEMPERATURE_F", "VISIBILITY_MI",
                                        "WIND_SPEED_MPH", "PRECIPITATION_IN", "DESCRIPTION", "TS"};
    static const TypeKind kinds[] = {TYPE_INT, TYPE_STRING, TYPE_STRING, TYPE_DOUBLE, TYPE_DOUBLE,
                                     TYPE_STRING, TYPE_STRING, TYPE_STRING, TYPE_STRING,
                                     TYPE_STRING, TYPE_DOUBLE, TYPE_DOUBLE, TYPE_DOUBLE,
                                     TYPE_DOUBLE, TYPE_STRING, TYPE_BIGINT};
    Column c[16];
    for (int i = 0; i < 16; i++)
        c[i] = (Column){names[i], type_prim(kinds[i]), COL_VALUE};
    const char *rec =
        "{\"ID\":\"A-123456\",\"Severity\":3,\"Start_Time\":\"2023-11-14T22:13:20\","
        "\"End_Time\":\"2023-11-15T01:28:20\",\"Start_Lat\":38.123456,\"Start_Lng\":-97.654321,"
        "\"City\":\"Salt Lake City\",\"County\":\"Salt Lake City County\",\"State\":\"S29\","
        "\"Zipcode\":\"84101\",\"Weather_Condition\":\"Partly Cloudy\",\"Temperature_F\":71.5,"
        "\"Visibility_mi\":10.0,\"Wind_Speed_mph\":8.1,\"Precipitation_in\":0.02,"
        "\"Description\":\"Lane blocked due to accident on I-35E NB near Exit 428. Expect delays.\","
        "\"TS\":1700000000010}";
    size_t len = strlen(rec);
    bool all[16], four[16], none[16];
    for (int i = 0; i < 16; i++) {
        all[i] = true;
        none[i] = false;
        four[i] = i == 0 || i == 5 || i == 10 || i == 15;   /* severity, city, temperature, ts */
    }
    SerdeOptions o = {.wrap_single = true, .delimiter = ','};
    Arena *a = arena_create(0);
    Value out[16];
    EddyError e;
    const long n = 200000;
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        serde_decode(FMT_JSON, &o, c, 16, rec, len, out, a, &e);
        if (i % 500 == 0)
            arena_reset(a);
    }
    double tj = now_s() - t0;
    const bool *needs[3] = {all, four, none};
    double tr[3];
    for (int k = 0; k < 3; k++) {
        SerdeReader *r = serde_reader_create(FMT_JSON, &o, c, 16, needs[k]);
        t0 = now_s();
        for (long i = 0; i < n; i++) {
            serde_reader_decode(r, rec, len, out, a, &e);
            if (i % 500 == 0)
                arena_reset(a);
        }
        tr[k] = now_s() - t0;
        CHECK_EQ_INT(serde_reader_fallbacks(r), 0);
        serde_reader_destroy(r);
    }
    fprintf(stderr, "%zu-byte record, 16 columns, records/s: jansson decoder %.0f; reader: every "
                    "column %.0f, 4 columns %.0f, none (the validating scan) %.0f\n",
            len, n / tj, n / tr[0], n / tr[1], n / tr[2]);
    arena_destroy(a);
}

int main(int argc, char **argv)
{
    long count = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
    A = arena_create(0);
    make_columns();
    edge_cases();
    delimited();
    fast_path_used();
    figures();
    Arena *keep = A;
    A = arena_create(0);
    random_records(count);
    arena_destroy(A);
    A = keep;
    fprintf(stderr, "%ld records compared (%ld rejected by both)\n", compared, rejected);
    arena_destroy(A);
    printf("%d passed, %d failed\n", tu_passed, tu_failed);
    return tu_failed ? 1 : 0;
}
