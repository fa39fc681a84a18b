/* test_serde.c - JSON, DELIMITED and KAFKA formats, JSON <-> Value, fuzzing. */
#include "eddy/engine/serde.h"

#include "testutil.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>

static Arena *A;
static EddyError err;

static const SqlType *T(TypeKind k)
{
    return type_prim(k);
}

static Column col(const char *name, const SqlType *t)
{
    return (Column){name, t, COL_VALUE};
}

static const SerdeOptions WRAP = {.wrap_single = true, .delimiter = ','};
static const SerdeOptions BARE = {.wrap_single = false, .delimiter = ','};

static int decode(Format f, const SerdeOptions *o, const Column *cols, int n, const char *text,
                  Value *out)
{
    eddy_error_clear(&err);
    return serde_decode(f, o, cols, n, text, strlen(text), out, A, &err);
}

/* Encodes and returns the text (owned by A). */
static const char *encode(Format f, const SerdeOptions *o, const Column *cols, int n,
                          const Value *vals)
{
    StrBuf sb;
    sb_init(&sb);
    eddy_error_clear(&err);
    int rc = serde_encode(f, o, cols, n, vals, &sb, &err);
    CHECK_EQ_INT(rc, 0);
    char *s = arena_strndup(A, sb.data ? sb.data : "", sb.len);
    sb_free(&sb);
    return s;
}

static const char *fmtv(const Value *v, const SqlType *t)
{
    StrBuf sb;
    sb_init(&sb);
    value_format_typed(v, t, &sb);
    char *s = arena_strndup(A, sb.data ? sb.data : "", sb.len);
    sb_free(&sb);
    return s;
}

static void err_has(const char *needle)
{
    if (strstr(err.msg, needle) == NULL) {
        fprintf(stderr, "error '%s' lacks '%s'\n", err.msg, needle);
        CHECK(0);
    } else {
        CHECK(1);
    }
}

static void test_formats(void)
{
    Format f;
    CHECK_EQ_INT(format_parse("json", &f), 0);
    CHECK(f == FMT_JSON);
    CHECK_EQ_INT(format_parse("Delimited", &f), 0);
    CHECK(f == FMT_DELIMITED);
    CHECK_EQ_INT(format_parse("KAFKA", &f), 0);
    CHECK(f == FMT_KAFKA);
    CHECK_EQ_INT(format_parse("none", &f), 0);
    CHECK(f == FMT_NONE);
    CHECK_EQ_INT(format_parse("AVRO", &f), -1);
    CHECK_STR(format_name(FMT_DELIMITED), "DELIMITED");

    Column ok1[] = {col("K", T(TYPE_BIGINT))};
    CHECK_EQ_INT(serde_check(FMT_KAFKA, ok1, 1, true, &err), 0);
    CHECK_EQ_INT(serde_check(FMT_KAFKA, NULL, 0, true, &err), 0);
    Column b[] = {col("FLAG", T(TYPE_BOOLEAN))};
    CHECK_EQ_INT(serde_check(FMT_KAFKA, b, 1, true, &err), -1);
    err_has("BOOLEAN");
    err_has("FLAG");
    CHECK(err.kind == ERR_ANALYSIS);
    Column two[] = {col("A", T(TYPE_INT)), col("B", T(TYPE_INT))};
    CHECK_EQ_INT(serde_check(FMT_KAFKA, two, 2, true, &err), -1);
    err_has("single field");
    Column d[] = {col("D", type_decimal(A, 4, 2))};
    CHECK_EQ_INT(serde_check(FMT_KAFKA, d, 1, false, &err), -1);
    Column arr[] = {col("A", T(TYPE_INT)), col("TAGS", type_array(A, T(TYPE_STRING)))};
    CHECK_EQ_INT(serde_check(FMT_DELIMITED, arr, 2, false, &err), -1);
    err_has("TAGS");
    err_has("ARRAY<STRING>");
    CHECK_EQ_INT(serde_check(FMT_JSON, arr, 2, false, &err), 0);
    Column m[] = {col("M", type_map(A, T(TYPE_INT), T(TYPE_INT)))};
    CHECK_EQ_INT(serde_check(FMT_JSON, m, 1, false, &err), -1);
    err_has("STRING keys");
    CHECK_EQ_INT(serde_check(FMT_NONE, ok1, 1, true, &err), -1);
    CHECK_EQ_INT(serde_check(FMT_NONE, NULL, 0, true, &err), 0);
}

static void test_json_decode(void)
{
    SqlField sf[] = {{"CITY", T(TYPE_STRING)}, {"ZIP", T(TYPE_INT)}};
    Column cols[] = {
        col("ID", T(TYPE_BIGINT)), col("NAME", T(TYPE_STRING)), col("SPEED", T(TYPE_DOUBLE)),
        col("OK", T(TYPE_BOOLEAN)), col("PRICE", type_decimal(A, 6, 2)),
        col("TS", T(TYPE_TIMESTAMP)), col("D", T(TYPE_DATE)), col("T", T(TYPE_TIME)),
        col("RAW", T(TYPE_BYTES)), col("TAGS", type_array(A, T(TYPE_INT))),
        col("ATTRS", type_map(A, T(TYPE_STRING), T(TYPE_DOUBLE))),
        col("ADDR", type_struct(A, sf, 2)), col("MISSING", T(TYPE_INT)),
    };
    int n = sizeof cols / sizeof cols[0];
    Value v[13];
    const char *rec =
        "{\"id\": 7, \"Name\": \"bob\", \"speed\": \"1.5\", \"OK\": true, \"price\": 12.3,"
        " \"ts\": 1000, \"d\": 19358, \"t\": 36000000, \"raw\": \"YWJj\", \"tags\": [1, \"2\", null],"
        " \"attrs\": {\"a\": 1, \"b\": 2.5}, \"addr\": {\"city\": \"Paris\", \"Zip\": \"75001\"},"
        " \"extra\": [1,2,3]}";
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, cols, n, rec, v), 0);
    CHECK(v[0].kind == TYPE_BIGINT && v[0].u.i64 == 7);
    CHECK_STR(v[1].u.str.ptr, "bob");
    CHECK(v[2].kind == TYPE_DOUBLE && v[2].u.d == 1.5);
    CHECK(v[3].kind == TYPE_BOOLEAN && v[3].u.b);
    CHECK(v[4].kind == TYPE_DECIMAL && v[4].u.dec.unscaled == 1230 && v[4].u.dec.scale == 2);
    CHECK(v[5].kind == TYPE_TIMESTAMP && v[5].u.i64 == 1000);
    CHECK(v[6].kind == TYPE_DATE && v[6].u.i32 == 19358);
    CHECK(v[7].kind == TYPE_TIME && v[7].u.i32 == 36000000);
    CHECK(v[8].kind == TYPE_BYTES && v[8].u.str.len == 3 && memcmp(v[8].u.str.ptr, "abc", 3) == 0);
    CHECK_STR(fmtv(&v[9], NULL), "[1, 2, null]");
    CHECK_STR(fmtv(&v[10], NULL), "{a=1.0, b=2.5}");
    CHECK_STR(fmtv(&v[11], cols[11].type), "{CITY=Paris, ZIP=75001}");
    CHECK(v[12].kind == TYPE_NULL);

    /* exact match preferred over a case-insensitive one */
    Column one[] = {col("NAME", T(TYPE_STRING))};
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, one, 1, "{\"name\": \"a\", \"NAME\": \"b\"}", v), 0);
    CHECK_STR(v[0].u.str.ptr, "b");
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, one, 1, "{\"nAmE\": \"c\"}", v), 0);
    CHECK_STR(v[0].u.str.ptr, "c");
    Column quoted[] = {col("camelCase", T(TYPE_INT))};
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, quoted, 1, "{\"CAMELCASE\": 1, \"camelCase\": 2}", v), 0);
    CHECK_EQ_INT(v[0].u.i32, 2);

    /* STRING takes any value's text */
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, one, 1, "{\"NAME\": 12}", v), 0);
    CHECK_STR(v[0].u.str.ptr, "12");
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, one, 1, "{\"NAME\": 1.50}", v), 0);
    CHECK_STR(v[0].u.str.ptr, "1.5");
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, one, 1, "{\"NAME\": 0.00001}", v), 0);
    CHECK_STR(v[0].u.str.ptr, "0.00001");
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, one, 1, "{\"NAME\": false}", v), 0);
    CHECK_STR(v[0].u.str.ptr, "false");
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, one, 1, "{\"NAME\": {\"a\": [1, \"x\"], \"b\": null}}", v), 0);
    CHECK_STR(v[0].u.str.ptr, "{\"a\":[1,\"x\"],\"b\":null}");
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, one, 1, "{\"NAME\": [\"a\", 1, null, [2]]}", v), 0);
    CHECK_STR(v[0].u.str.ptr, "[a, 1, null, [2]]");
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, one, 1, "{\"NAME\": \"nul\\u0000in\"}", v), 0);
    CHECK(v[0].u.str.len == 6 && memcmp(v[0].u.str.ptr, "nul\0in", 6) == 0);

    /* numbers: numeric strings, reals truncated for integers, range errors */
    Column ci[] = {col("N", T(TYPE_INT))};
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, ci, 1, "{\"N\": \"-12\"}", v), 0);
    CHECK_EQ_INT(v[0].u.i32, -12);
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, ci, 1, "{\"N\": 3.9}", v), 0);
    CHECK_EQ_INT(v[0].u.i32, 3);
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, ci, 1, "{\"N\": 2147483648}", v), -1);
    err_has("field N");
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, ci, 1, "{\"N\": \"x\"}", v), -1);
    err_has("field N: cannot convert 'x' to INTEGER");
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, ci, 1, "{\"N\": true}", v), -1);
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, ci, 1, "{\"N\": null}", v), 0);
    CHECK(v[0].kind == TYPE_NULL);
    Column cb[] = {col("B", T(TYPE_BOOLEAN))};
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, cb, 1, "{\"B\": \"true\"}", v), -1);   /* ksqlDB: booleans only */
    Column cd[] = {col("PRICE", type_decimal(A, 4, 2))};
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, cd, 1, "{\"PRICE\": \"-0.5\"}", v), 0);
    CHECK_EQ_INT(v[0].u.dec.unscaled, -50);
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, cd, 1, "{\"PRICE\": 12}", v), 0);
    CHECK_EQ_INT(v[0].u.dec.unscaled, 1200);
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, cd, 1, "{\"PRICE\": 1.125}", v), -1);
    err_has("PRICE");
    err_has("without rounding");
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, cd, 1, "{\"PRICE\": 100}", v), -1);
    err_has("does not fit DECIMAL(4, 2)");
    Column ct[] = {col("T", T(TYPE_TIME))};
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, ct, 1, "{\"T\": 86400000}", v), -1);
    Column cts[] = {col("TS", T(TYPE_TIMESTAMP))};
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, cts, 1, "{\"TS\": \"2023-01-01T10:00:00Z\"}", v), 0);
    CHECK(v[0].u.i64 == 1672567200000LL);
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, cts, 1, "{\"TS\": \"1000\"}", v), 0);
    CHECK(v[0].u.i64 == 1000);

    /* nested paths in errors */
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, cols, n, "{\"ADDR\": {\"ZIP\": \"x\"}}", v), -1);
    err_has("field ADDR.ZIP");
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, cols, n, "{\"TAGS\": [1, 2, {}]}", v), -1);
    err_has("field TAGS[2]");
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, cols, n, "{\"ATTRS\": {\"k\": \"v\"}}", v), -1);
    err_has("field ATTRS.k");

    /* shape errors */
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, cols, n, "[1, 2]", v), -1);
    err_has("object");
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, cols, n, "{\"ID\": 1} x", v), -1);
    err_has("invalid JSON");
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, cols, n, "{\"ID\": 1", v), -1);
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, cols, n, "", v), -1);
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, cols, n, "null", v), 0);   /* all NULL */
    CHECK(v[0].kind == TYPE_NULL && v[12].kind == TYPE_NULL);

    /* unwrapped single values (WRAP_SINGLE_VALUE=false, and keys) */
    CHECK_EQ_INT(decode(FMT_JSON, &BARE, ci, 1, "42", v), 0);
    CHECK_EQ_INT(v[0].u.i32, 42);
    CHECK_EQ_INT(decode(FMT_JSON, &BARE, one, 1, "\"k1\"", v), 0);
    CHECK_STR(v[0].u.str.ptr, "k1");
    CHECK_EQ_INT(decode(FMT_JSON, &BARE, ci, 1, "{\"N\": 1}", v), -1);
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, ci, 1, "42", v), -1);
}

static void test_json_encode(void)
{
    SqlField sf[] = {{"CITY", T(TYPE_STRING)}, {"zip", T(TYPE_INT)}};
    Column cols[] = {
        col("ID", T(TYPE_INT)), col("name", T(TYPE_STRING)), col("D", T(TYPE_DOUBLE)),
        col("BIG", T(TYPE_DOUBLE)), col("DEC", type_decimal(A, 4, 2)), col("TS", T(TYPE_TIMESTAMP)),
        col("DT", T(TYPE_DATE)), col("TM", T(TYPE_TIME)), col("B", T(TYPE_BYTES)),
        col("N", T(TYPE_STRING)), col("OK", T(TYPE_BOOLEAN)),
        col("ARR", type_array(A, T(TYPE_DOUBLE))), col("M", type_map(A, T(TYPE_STRING), T(TYPE_INT))),
        col("S", type_struct(A, sf, 2)), col("BI", T(TYPE_BIGINT)),
    };
    int n = sizeof cols / sizeof cols[0];
    Value items[] = {v_double(0.1), v_null()};
    Value mk[] = {v_string_cstr(A, "k")}, mv[] = {v_int(1)};
    Value sv[] = {v_string_cstr(A, "Paris"), v_int(75001)};
    Value vals[] = {
        v_int(1), v_string_cstr(A, "a\"b\\c\n\x01\xc3\xa9"), v_double(1.0), v_double(1e10),
        v_decimal(1230, 4, 2), v_timestamp(1000), v_date(19358), v_time(36000000),
        v_bytes(A, "abc", 3), v_null(), v_bool(true),
        {.kind = TYPE_ARRAY, .u.arr = {items, 2}}, {.kind = TYPE_MAP, .u.map = {mk, mv, 1}},
        {.kind = TYPE_STRUCT, .u.st = {sv, 2}}, v_bigint(INT64_MIN),
    };
    const char *text = encode(FMT_JSON, &WRAP, cols, n, vals);
    CHECK_STR(text, "{\"ID\":1,\"name\":\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\",\"D\":1.0,\"BIG\":1.0E10,"
                    "\"DEC\":12.30,\"TS\":1000,\"DT\":19358,\"TM\":36000000,\"B\":\"YWJj\",\"N\":null,"
                    "\"OK\":true,\"ARR\":[0.1,null],\"M\":{\"k\":1},\"S\":{\"CITY\":\"Paris\",\"zip\":75001},"
                    "\"BI\":-9223372036854775808}");

    /* it reads back to the same values */
    Value back[15];
    CHECK_EQ_INT(decode(FMT_JSON, &WRAP, cols, n, text, back), 0);
    for (int i = 0; i < n; i++) {
        if (!value_equal(&vals[i], &back[i])) {
            fprintf(stderr, "round trip of %s: %s != %s\n", cols[i].name, fmtv(&vals[i], cols[i].type),
                    fmtv(&back[i], cols[i].type));
            CHECK(0);
        } else {
            CHECK(1);
        }
    }

    /* unwrapped, non-finite doubles, invalid UTF-8 */
    CHECK_STR(encode(FMT_JSON, &BARE, cols, 1, vals), "1");
    CHECK_STR(encode(FMT_JSON, &WRAP, cols, 1, vals), "{\"ID\":1}");
    Value nan = v_double(NAN);
    CHECK_STR(encode(FMT_JSON, &BARE, &cols[2], 1, &nan), "\"NaN\"");
    Value nb;
    CHECK_EQ_INT(decode(FMT_JSON, &BARE, &cols[2], 1, "\"NaN\"", &nb), 0);
    CHECK(isnan(nb.u.d));
    Value badutf = v_string(A, "x\xff" "y", 3);
    CHECK_STR(encode(FMT_JSON, &BARE, &cols[1], 1, &badutf), "\"x\xEF\xBF\xBDy\"");
}

static void test_json_values(void)
{
    /* json_to_value / value_to_json round trips through jansson */
    SqlField sf[] = {{"A", T(TYPE_INT)}, {"B", type_array(A, T(TYPE_STRING))}};
    const SqlType *types[] = {
        T(TYPE_BOOLEAN), T(TYPE_INT), T(TYPE_BIGINT), T(TYPE_DOUBLE), type_decimal(A, 5, 2),
        T(TYPE_STRING), T(TYPE_BYTES), T(TYPE_TIMESTAMP), T(TYPE_DATE), T(TYPE_TIME),
        type_map(A, T(TYPE_STRING), T(TYPE_BIGINT)), type_struct(A, sf, 2),
    };
    const char *texts[] = {
        "true", "-5", "9007199254740993", "2.5", "123.45", "\"hi\"", "\"YWJj\"", "1672567200000",
        "19358", "1000", "{\"x\": 1, \"y\": null}", "{\"A\": 1, \"B\": [\"p\", null]}",
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        json_error_t je;
        json_t *j = json_loads(texts[i], JSON_DECODE_ANY, &je);
        Value v;
        CHECK_EQ_INT(json_to_value(j, types[i], A, &v, &err), 0);
        json_t *back = value_to_json(&v, types[i]);
        Value v2;
        CHECK_EQ_INT(json_to_value(back, types[i], A, &v2, &err), 0);
        CHECK(value_equal(&v, &v2));
        if (types[i]->kind != TYPE_DECIMAL && !json_equal(j, back)) {
            char *a = json_dumps(j, JSON_ENCODE_ANY), *b = json_dumps(back, JSON_ENCODE_ANY);
            fprintf(stderr, "json round trip: %s -> %s\n", a, b);
            free(a);
            free(b);
            CHECK(0);
        }
        json_decref(j);
        json_decref(back);
    }
    json_t *j = json_real(12.3);
    Value v;
    CHECK_EQ_INT(json_to_value(j, T(TYPE_STRING), A, &v, &err), 0);
    CHECK_STR(v.u.str.ptr, "12.3");
    CHECK_EQ_INT(json_to_value(j, T(TYPE_BOOLEAN), A, &v, &err), -1);
    err_has("cannot convert 12.3 to BOOLEAN");
    json_decref(j);
    Value dec = v_decimal(1230, 4, 2);
    j = value_to_json(&dec, type_decimal(A, 4, 2));
    CHECK(json_is_real(j) && json_real_value(j) == 12.3);
    json_decref(j);
    Value d = v_double(INFINITY);
    j = value_to_json(&d, T(TYPE_DOUBLE));
    CHECK(json_is_string(j) && strcmp(json_string_value(j), "Infinity") == 0);
    json_decref(j);
}

static void test_delimited(void)
{
    Column cols[] = {
        col("ID", T(TYPE_INT)), col("NAME", T(TYPE_STRING)), col("SPEED", T(TYPE_DOUBLE)),
        col("OK", T(TYPE_BOOLEAN)), col("PRICE", type_decimal(A, 4, 2)), col("TS", T(TYPE_TIMESTAMP)),
        col("RAW", T(TYPE_BYTES)),
    };
    Value v[7];
    CHECK_EQ_INT(decode(FMT_DELIMITED, &WRAP, cols, 7, "1,\"a,\"\"b\"\"\",2.5,TRUE,1.5,1000,YWJj", v), 0);
    CHECK_EQ_INT(v[0].u.i32, 1);
    CHECK_STR(v[1].u.str.ptr, "a,\"b\"");
    CHECK(v[2].u.d == 2.5);
    CHECK(v[3].u.b);
    CHECK_EQ_INT(v[4].u.dec.unscaled, 150);
    CHECK(v[5].kind == TYPE_TIMESTAMP && v[5].u.i64 == 1000);
    CHECK(v[6].kind == TYPE_BYTES && v[6].u.str.len == 3);

    /* empty fields are NULL for every type, STRING included */
    CHECK_EQ_INT(decode(FMT_DELIMITED, &WRAP, cols, 7, ",,,,,,", v), 0);
    for (int i = 0; i < 7; i++)
        CHECK(v[i].kind == TYPE_NULL);
    CHECK_EQ_INT(decode(FMT_DELIMITED, &WRAP, cols, 7, "1,\"\",x,,,,", v), -1);
    err_has("field SPEED");
    CHECK_EQ_INT(decode(FMT_DELIMITED, &WRAP, cols, 7, "1,\"\",,yes,,,", v), 0);
    CHECK(v[1].kind == TYPE_NULL && v[3].kind == TYPE_BOOLEAN && !v[3].u.b);

    /* field counts */
    CHECK_EQ_INT(decode(FMT_DELIMITED, &WRAP, cols, 7, "1,a", v), -1);
    err_has("expected 7");
    err_has("got 2");
    CHECK_EQ_INT(decode(FMT_DELIMITED, &WRAP, cols, 2, "1,a,b", v), -1);
    err_has("expected 2 fields, got 3");
    CHECK_EQ_INT(decode(FMT_DELIMITED, &WRAP, cols, 2, "", v), -1);
    CHECK_EQ_INT(decode(FMT_DELIMITED, &WRAP, cols, 2, "1,\"open", v), -1);
    err_has("unterminated");
    CHECK_EQ_INT(decode(FMT_DELIMITED, &WRAP, cols, 2, "1,\"a\"b", v), -1);
    /* only the first record; quotes inside an unquoted field are literal */
    CHECK_EQ_INT(decode(FMT_DELIMITED, &WRAP, cols, 2, "\n5,x\"y\r\n6,z", v), 0);
    CHECK_EQ_INT(v[0].u.i32, 5);
    CHECK_STR(v[1].u.str.ptr, "x\"y");
    CHECK_EQ_INT(decode(FMT_DELIMITED, &WRAP, cols, 2, " 5,x", v), -1);   /* Integer.parseInt */
    CHECK_EQ_INT(decode(FMT_DELIMITED, &WRAP, cols, 2, "5,\"multi\nline\"", v), 0);
    CHECK_STR(v[1].u.str.ptr, "multi\nline");
    CHECK_EQ_INT(decode(FMT_DELIMITED, &WRAP, &cols[4], 1, "1.555", v), -1);
    err_has("PRICE");

    /* other delimiters */
    SerdeOptions tab = {.wrap_single = true, .delimiter = '\t'};
    CHECK_EQ_INT(decode(FMT_DELIMITED, &tab, cols, 2, "9\ta,b", v), 0);
    CHECK_STR(v[1].u.str.ptr, "a,b");

    /* encoding: minimal quoting, NULL empty, round trip */
    Value vals[] = {v_int(-3), v_string_cstr(A, "say \"hi\", bye"), v_double(1e7), v_bool(false),
                    v_decimal(-5, 4, 2), v_timestamp(1672567200000LL), v_bytes(A, "ab", 2)};
    const char *text = encode(FMT_DELIMITED, &WRAP, cols, 7, vals);
    /* Commons CSV quotes a record's first field unless it starts with a
     * letter or digit (ksqlDB's datesub test: "\"-5\""); not later ones */
    CHECK_STR(text, "\"-3\",\"say \"\"hi\"\", bye\",1.0E7,false,-0.05,1672567200000,YWI=");
    Value back[7];
    CHECK_EQ_INT(decode(FMT_DELIMITED, &WRAP, cols, 7, text, back), 0);
    for (int i = 0; i < 7; i++)
        CHECK(value_equal(&vals[i], &back[i]));
    Value withnull[] = {v_null(), v_string_cstr(A, "line\nbreak")};
    text = encode(FMT_DELIMITED, &WRAP, cols, 2, withnull);
    CHECK_STR(text, ",\"line\nbreak\"");
    CHECK_EQ_INT(decode(FMT_DELIMITED, &WRAP, cols, 2, text, back), 0);
    CHECK(back[0].kind == TYPE_NULL);
    CHECK_STR(back[1].u.str.ptr, "line\nbreak");
    Value plain[] = {v_int(1), v_string_cstr(A, "a\tb")};
    CHECK_STR(encode(FMT_DELIMITED, &tab, cols, 2, plain), "1\t\"a\tb\"");
    /* generated text meeting an odd delimiter is quoted too */
    SerdeOptions dot = {.wrap_single = true, .delimiter = '.'};
    Column nd[] = {col("ID", T(TYPE_INT)), col("SPEED", T(TYPE_DOUBLE)), col("RAW", T(TYPE_BYTES))};
    Value nv[] = {v_int(1), v_double(2.5), v_bytes(A, "ab", 2)};
    CHECK_STR(encode(FMT_DELIMITED, &dot, nd, 3, nv), "1.\"2.5\".YWI=");
    CHECK_EQ_INT(decode(FMT_DELIMITED, &dot, nd, 3, "1.\"2.5\".YWI=", back), 0);
    CHECK(back[1].u.d == 2.5);
    SerdeOptions eq = {.wrap_single = true, .delimiter = '='};
    CHECK_STR(encode(FMT_DELIMITED, &eq, &nd[2], 1, &nv[2]), "\"YWI=\"");
    /* the rest of Commons CSV's minimal quoting: a start up to '#', an end
     * up to a space, an empty first field; NULL stays empty and bare */
    Column ss[] = {col("A", T(TYPE_STRING)), col("B", T(TYPE_STRING))};
    struct { const char *a, *b, *want; } q[] = {
        {"/a", "/a", "\"/a\",/a"},      {"a", "#b", "a,\"#b\""},     {"a", " b", "a,\" b\""},
        {"a", "b ", "a,\"b \""},        {"a", "!b", "a,\"!b\""},     {"", "b", "\"\",b"},
        {"a", "", "a,"},                {"_x", "-1", "\"_x\",-1"},   {"Zed", "x~", "Zed,x~"},
        {"\xc3\xa9", "\xc3\xa9", "\"\xc3\xa9\",\xc3\xa9"},
    };
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        Value sv[] = {v_string_cstr(A, q[i].a), v_string_cstr(A, q[i].b)};
        CHECK_STR(encode(FMT_DELIMITED, &WRAP, ss, 2, sv), q[i].want);
    }
    Value nulls[] = {v_null(), v_string_cstr(A, "x")};
    CHECK_STR(encode(FMT_DELIMITED, &WRAP, ss, 2, nulls), ",x");
}

static void test_kafka(void)
{
    Column ci[] = {col("K", T(TYPE_INT))}, cb[] = {col("K", T(TYPE_BIGINT))},
           cd[] = {col("K", T(TYPE_DOUBLE))}, cs[] = {col("K", T(TYPE_STRING))},
           cy[] = {col("K", T(TYPE_BYTES))};
    Value v = v_int(1);
    StrBuf sb;
    sb_init(&sb);
    CHECK_EQ_INT(serde_encode(FMT_KAFKA, NULL, ci, 1, &v, &sb, &err), 0);
    CHECK(sb.len == 4 && memcmp(sb.data, "\0\0\0\1", 4) == 0);
    sb_reset(&sb);
    v = v_int(-2);
    serde_encode(FMT_KAFKA, NULL, ci, 1, &v, &sb, &err);
    CHECK(sb.len == 4 && memcmp(sb.data, "\xff\xff\xff\xfe", 4) == 0);
    sb_reset(&sb);
    v = v_bigint(0x0102030405060708LL);
    serde_encode(FMT_KAFKA, NULL, cb, 1, &v, &sb, &err);
    CHECK(sb.len == 8 && memcmp(sb.data, "\1\2\3\4\5\6\7\10", 8) == 0);
    sb_reset(&sb);
    v = v_double(1.0);
    serde_encode(FMT_KAFKA, NULL, cd, 1, &v, &sb, &err);
    CHECK(sb.len == 8 && memcmp(sb.data, "\x3f\xf0\0\0\0\0\0\0", 8) == 0);
    sb_reset(&sb);
    v = v_string_cstr(A, "key-1");
    serde_encode(FMT_KAFKA, NULL, cs, 1, &v, &sb, &err);
    CHECK(sb.len == 5 && memcmp(sb.data, "key-1", 5) == 0);
    sb_reset(&sb);
    v = v_int(5);   /* a narrower number is widened to the column's type */
    CHECK_EQ_INT(serde_encode(FMT_KAFKA, NULL, cb, 1, &v, &sb, &err), 0);
    CHECK(sb.len == 8 && sb.data[7] == 5);
    sb_reset(&sb);
    v = v_null();
    CHECK_EQ_INT(serde_encode(FMT_KAFKA, NULL, ci, 1, &v, &sb, &err), 0);
    CHECK_EQ_INT(sb.len, 0);
    sb_free(&sb);

    Value out;
    CHECK_EQ_INT(serde_decode(FMT_KAFKA, NULL, ci, 1, "\0\0\1\0", 4, &out, A, &err), 0);
    CHECK_EQ_INT(out.u.i32, 256);
    CHECK_EQ_INT(serde_decode(FMT_KAFKA, NULL, ci, 1, "\0\0\1", 3, &out, A, &err), -1);
    err_has("4 bytes");
    err_has("got 3");
    CHECK_EQ_INT(serde_decode(FMT_KAFKA, NULL, cb, 1, "\xff\xff\xff\xff\xff\xff\xff\xff", 8, &out, A, &err), 0);
    CHECK(out.u.i64 == -1);
    CHECK_EQ_INT(serde_decode(FMT_KAFKA, NULL, cd, 1, "\x40\x09\x21\xfb\x54\x44\x2d\x18", 8, &out, A, &err), 0);
    CHECK(out.u.d == 3.141592653589793);
    CHECK_EQ_INT(serde_decode(FMT_KAFKA, NULL, cd, 1, "\0", 1, &out, A, &err), -1);
    CHECK_EQ_INT(serde_decode(FMT_KAFKA, NULL, cs, 1, "h\0i", 3, &out, A, &err), 0);
    CHECK(out.u.str.len == 3 && memcmp(out.u.str.ptr, "h\0i", 3) == 0);
    CHECK_EQ_INT(serde_decode(FMT_KAFKA, NULL, cy, 1, "", 0, &out, A, &err), 0);
    CHECK(out.kind == TYPE_BYTES && out.u.str.len == 0);
    CHECK_EQ_INT(serde_decode(FMT_KAFKA, NULL, NULL, 0, "x", 1, &out, A, &err), 0);
    CHECK_EQ_INT(serde_decode(FMT_NONE, NULL, NULL, 0, "x", 1, &out, A, &err), 0);
}

/* ---- fuzzing: nothing may crash or leak, whatever the bytes ------------- */

static uint64_t rng = 88172645463325252ULL;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void fuzz_one(const Column *cols, int n, const void *buf, size_t len)
{
    Value out[16];
    EddyError e;
    for (int f = FMT_JSON; f <= FMT_KAFKA; f++) {
        serde_decode((Format)f, &WRAP, cols, n, buf, len, out, A, &e);
        serde_decode((Format)f, &BARE, cols, 1, buf, len, out, A, &e);
    }
    if (serde_decode(FMT_JSON, &WRAP, cols, n, buf, len, out, A, &e) == 0) {
        /* anything decoded must encode and decode again */
        StrBuf sb;
        sb_init(&sb);
        serde_encode(FMT_JSON, &WRAP, cols, n, out, &sb, &e);
        Value again[16];
        CHECK_EQ_INT(serde_decode(FMT_JSON, &WRAP, cols, n, sb.data, sb.len, again, A, &e), 0);
        sb_free(&sb);
    }
}

static void test_fuzz(void)
{
    SqlField sf[] = {{"X", T(TYPE_INT)}, {"Y", type_array(A, T(TYPE_STRING))}};
    Column cols[] = {
        col("A", T(TYPE_STRING)), col("B", T(TYPE_INT)), col("C", type_decimal(A, 6, 3)),
        col("D", T(TYPE_DOUBLE)), col("E", type_array(A, type_map(A, T(TYPE_STRING), T(TYPE_BIGINT)))),
        col("F", type_struct(A, sf, 2)), col("G", T(TYPE_BYTES)), col("H", T(TYPE_TIME)),
    };
    int n = sizeof cols / sizeof cols[0];
    Column flat[] = {col("A", T(TYPE_STRING)), col("B", T(TYPE_INT)), col("C", type_decimal(A, 6, 3)),
                     col("D", T(TYPE_DOUBLE))};
    unsigned char buf[512];

    /* random bytes */
    for (int i = 0; i < 20000; i++) {
        size_t len = rnd() % sizeof buf;
        for (size_t k = 0; k < len; k++)
            buf[k] = (unsigned char)rnd();
        fuzz_one(cols, n, buf, len);
        fuzz_one(flat, 4, buf, len);
        arena_reset(A);
    }
    /* truncations and byte mutations of valid records */
    const char *seeds[] = {
        "{\"a\": \"x\\u00e9\\\"\", \"B\": 12, \"c\": \"1.5\", \"d\": 1e308, \"e\": [{\"k\": 1}, {}],"
        " \"f\": {\"x\": \"3\", \"y\": [\"a\", null, 1]}, \"g\": \"YWJj\", \"h\": 1000}",
        "1,\"a,b\",2.5,\"x\"\"y\"\r\n",
        "[[[[[[[[[[1]]]]]]]]]]",
        "{\"B\": 99999999999999999999999, \"D\": -1e999, \"C\": 123456789012345678901234567890}",
    };
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        size_t len = strlen(seeds[s]);
        for (size_t cut = 0; cut <= len; cut++)
            fuzz_one(cols, n, seeds[s], cut);
        for (int i = 0; i < 20000; i++) {
            memcpy(buf, seeds[s], len);
            int flips = 1 + (int)(rnd() % 4);
            for (int f = 0; f < flips; f++) {
                size_t at = rnd() % len;
                static const char interesting[] = "{}[]\",:\\0123456789eE.-+ntfu\x80\xff";
                buf[at] = rnd() % 2 ? (unsigned char)rnd()
                                    : (unsigned char)interesting[rnd() % (sizeof interesting - 1)];
            }
            fuzz_one(cols, n, buf, len);
            fuzz_one(flat, 4, buf, len);
            arena_reset(A);
        }
    }
    /* deep nesting and huge numbers */
    size_t deep = 200000;
    char *big = malloc(deep * 2 + 64);
    memset(big, '[', deep);
    memset(big + deep, ']', deep);
    fuzz_one(cols, n, big, deep * 2);
    int m = sprintf(big, "{\"E\": ");
    memset(big + m, '[', deep);
    fuzz_one(cols, n, big, (size_t)m + deep);
    memset(big, '9', deep);
    fuzz_one(cols, n, big, deep);
    big[0] = '"';
    big[deep - 1] = '"';
    fuzz_one(cols, n, big, deep);   /* a 200 KB string */
    free(big);
    arena_reset(A);
    CHECK(1);
}

int main(void)
{
    A = arena_create(0);
    test_formats();
    test_json_decode();
    test_json_encode();
    test_json_values();
    test_delimited();
    test_kafka();
    test_fuzz();
    arena_destroy(A);
    return testutil_done();
}
