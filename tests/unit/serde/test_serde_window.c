/* test_serde_window.c - the windowed-key codec: Kafka Streams' byte layouts,
 * round trips through every key format, and bad bytes (short, garbage,
 * invalid bounds) giving errors, never crashes. */
#include "eddy/engine/serde.h"

#include "testutil.h"

#include <stdint.h>
#include <stdlib.h>

static Arena *A;
static EddyError err;

static const SerdeOptions KEYOPTS = {.wrap_single = false, .delimiter = ','};

static int has(const char *needle)
{
    return strstr(err.msg, needle) != NULL;
}

/* The exact bytes: inner key, then big-endian start (time windows) or
 * end then start (sessions), as TimeWindowedSerializer and
 * SessionWindowedSerializer write them. */
static void test_layouts(void)
{
    Column k = {"K", type_prim(TYPE_STRING), COL_KEY};
    Value v = v_string(A, "ab", 2);
    StrBuf sb;
    sb_init(&sb);
    CHECK_EQ_INT(serde_encode_key(FMT_KAFKA, &KEYOPTS, &k, 1, &v, WKIND_TUMBLING, 0x0102, 0x0102 + 60000,
                                  &sb, &err), 0);
    const unsigned char tumbling[] = {'a', 'b', 0, 0, 0, 0, 0, 0, 0x01, 0x02};
    CHECK_EQ_INT(sb.len, sizeof tumbling);
    CHECK(memcmp(sb.data, tumbling, sizeof tumbling) == 0);
    sb_reset(&sb);
    CHECK_EQ_INT(serde_encode_key(FMT_KAFKA, &KEYOPTS, &k, 1, &v, WKIND_SESSION, 5, 7, &sb, &err), 0);
    const unsigned char session[] = {'a', 'b', 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 5};
    CHECK_EQ_INT(sb.len, sizeof session);
    CHECK(memcmp(sb.data, session, sizeof session) == 0);
    sb_reset(&sb);
    CHECK_EQ_INT(serde_encode_key(FMT_KAFKA, &KEYOPTS, &k, 1, &v, WKIND_NONE, -1, -1, &sb, &err), 0);
    CHECK_EQ_INT(sb.len, 2);
    CHECK_EQ_INT(serde_window_len(WKIND_NONE), 0);
    CHECK_EQ_INT(serde_window_len(WKIND_HOPPING), 8);
    CHECK_EQ_INT(serde_window_len(WKIND_SESSION), 16);
    /* Invalid bounds are refused when writing too. */
    sb_reset(&sb);
    CHECK_EQ_INT(serde_encode_key(FMT_KAFKA, &KEYOPTS, &k, 1, &v, WKIND_SESSION, 9, 3, &sb, &err), -1);
    CHECK(has("before its start"));
    CHECK_EQ_INT(serde_encode_key(FMT_KAFKA, &KEYOPTS, &k, 1, &v, WKIND_TUMBLING, -5, 0, &sb, &err), -1);
    CHECK(has("negative"));
    sb_free(&sb);
}

/* Encode then decode gives the same key and window, for each window kind
 * and key format, multi-column keys included. */
static void test_round_trips(void)
{
    Column k1[] = {{"ID", type_prim(TYPE_INT), COL_KEY}};
    Column k2[] = {{"CITY", type_prim(TYPE_STRING), COL_KEY}, {"N", type_prim(TYPE_BIGINT), COL_KEY}};
    const struct { Format f; const Column *cols; int n; } cases[] = {
        {FMT_KAFKA, k1, 1}, {FMT_JSON, k1, 1}, {FMT_DELIMITED, k1, 1},
        {FMT_JSON, k2, 2}, {FMT_DELIMITED, k2, 2},
    };
    const WindowKind kinds[] = {WKIND_TUMBLING, WKIND_HOPPING, WKIND_SESSION};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (size_t w = 0; w < 3; w++) {
            Value in[2] = {cases[c].n == 1 ? v_int(-42) : v_string(A, "Paris, TX", 9), v_bigint(7)};
            int64_t start = 1581323504000, size = 60000;
            int64_t end = kinds[w] == WKIND_SESSION ? start + 1234 : start + size;
            StrBuf sb;
            sb_init(&sb);
            CHECK_EQ_INT(serde_encode_key(cases[c].f, &KEYOPTS, cases[c].cols, cases[c].n, in, kinds[w],
                                          start, end, &sb, &err), 0);
            Value out[2];
            int64_t s = 0, e = 0;
            CHECK_EQ_INT(serde_decode_key(cases[c].f, &KEYOPTS, cases[c].cols, cases[c].n, kinds[w], size,
                                          sb.data, sb.len, out, &s, &e, A, &err), 0);
            CHECK_EQ_INT(s, start);
            CHECK_EQ_INT(e, end);
            for (int i = 0; i < cases[c].n; i++)
                CHECK(value_equal(&in[i], &out[i]));
            /* The window splits off alone, too. */
            size_t inner;
            CHECK_EQ_INT(serde_window_decode(kinds[w], size, sb.data, sb.len, &inner, &s, &e, &err), 0);
            CHECK_EQ_INT(inner, sb.len - serde_window_len(kinds[w]));
            sb_free(&sb);
        }
    /* Not windowed: no window, bounds -1. */
    Value v = v_int(3), out;
    int64_t s = 0, e = 0;
    StrBuf sb;
    sb_init(&sb);
    serde_encode_key(FMT_KAFKA, &KEYOPTS, k1, 1, &v, WKIND_NONE, -1, -1, &sb, &err);
    CHECK_EQ_INT(serde_decode_key(FMT_KAFKA, &KEYOPTS, k1, 1, WKIND_NONE, 0, sb.data, sb.len, &out, &s,
                                  &e, A, &err), 0);
    CHECK_EQ_INT(out.u.i32, 3);
    CHECK_EQ_INT(s, -1);
    CHECK_EQ_INT(e, -1);
    sb_free(&sb);
}

/* A time window's end is start + size, saturating as Kafka Streams does. */
static void test_time_window_end(void)
{
    StrBuf sb;
    sb_init(&sb);
    serde_window_encode(WKIND_TUMBLING, INT64_MAX - 10, 0, &sb);
    size_t inner;
    int64_t s, e;
    CHECK_EQ_INT(serde_window_decode(WKIND_TUMBLING, 60000, sb.data, sb.len, &inner, &s, &e, &err), 0);
    CHECK_EQ_INT(inner, 0);
    CHECK(s == INT64_MAX - 10);
    CHECK(e == INT64_MAX);
    sb_free(&sb);
}

/* Short and garbage keys: errors with a reason, nothing read outside. */
static void test_bad_bytes(void)
{
    Column k = {"ID", type_prim(TYPE_INT), COL_KEY};
    Value out;
    int64_t s, e;
    size_t inner;
    /* Shorter than the window (each length below it, from a heap copy so
     * ASan sees any overread). */
    for (size_t len = 0; len < 16; len++) {
        unsigned char *b = malloc(len ? len : 1);
        memset(b, 0x01, len);
        int rc = serde_window_decode(WKIND_SESSION, 0, b, len, &inner, &s, &e, &err);
        CHECK_EQ_INT(rc, -1);
        if (len < 8)
            CHECK_EQ_INT(serde_window_decode(WKIND_HOPPING, 1000, b, len, &inner, &s, &e, &err), -1);
        free(b);
    }
    CHECK_EQ_INT(serde_window_decode(WKIND_HOPPING, 1000, "1234567", 7, &inner, &s, &e, &err), -1);
    CHECK(has("needs at least 8 bytes of window, got 7 bytes"));
    CHECK_EQ_INT(serde_window_decode(WKIND_TUMBLING, 1000, NULL, 0, &inner, &s, &e, &err), -1);
    /* A session whose end is before its start; a negative start. */
    StrBuf sb;
    sb_init(&sb);
    serde_window_encode(WKIND_SESSION, 100, 50, &sb);   /* start 100, end 50 */
    CHECK_EQ_INT(serde_window_decode(WKIND_SESSION, 0, sb.data, sb.len, &inner, &s, &e, &err), -1);
    CHECK(has("before its start"));
    sb_reset(&sb);
    serde_window_encode(WKIND_TUMBLING, -1, 0, &sb);
    CHECK_EQ_INT(serde_window_decode(WKIND_TUMBLING, 10, sb.data, sb.len, &inner, &s, &e, &err), -1);
    CHECK(has("negative"));
    /* A valid window after an inner key its format cannot read: KAFKA INT
     * needs 4 bytes. */
    sb_reset(&sb);
    sb_append(&sb, "abc", 3);
    serde_window_encode(WKIND_TUMBLING, 1000, 0, &sb);
    CHECK_EQ_INT(serde_decode_key(FMT_KAFKA, &KEYOPTS, &k, 1, WKIND_TUMBLING, 10, sb.data, sb.len, &out,
                                  &s, &e, A, &err), -1);
    CHECK(has("4 bytes"));
    sb_free(&sb);
    /* Random bytes of every length through every kind and format: either
     * an error or values; never a crash. */
    srand(7);
    const Format fmts[] = {FMT_KAFKA, FMT_JSON, FMT_DELIMITED};
    const WindowKind kinds[] = {WKIND_TUMBLING, WKIND_HOPPING, WKIND_SESSION};
    int ok = 0, failed = 0;
    for (int i = 0; i < 3000; i++) {
        size_t len = (size_t)(rand() % 40);
        unsigned char *b = malloc(len ? len : 1);
        for (size_t j = 0; j < len; j++)
            b[j] = (unsigned char)(i % 3 == 0 ? rand() % 256 : (rand() % 2 ? 0 : '1' + rand() % 9));
        int rc = serde_decode_key(fmts[i % 3], &KEYOPTS, &k, 1, kinds[(i / 3) % 3], 5000, b, len, &out,
                                  &s, &e, A, &err);
        if (rc == 0) {
            ok++;
            CHECK(s >= 0 && e >= s);
        } else {
            failed++;
        }
        free(b);
    }
    CHECK(ok > 0);
    CHECK(failed > 0);
    printf("fuzz: %d decoded, %d rejected\n", ok, failed);
}

static void test_names(void)
{
    WindowKind k = WKIND_NONE;
    CHECK_EQ_INT(window_kind_parse("hoPPinG", &k), 0);
    CHECK_EQ_INT(k, WKIND_HOPPING);
    CHECK_EQ_INT(window_kind_parse("Session", &k), 0);
    CHECK_EQ_INT(k, WKIND_SESSION);
    CHECK_EQ_INT(window_kind_parse("HoppPPinG", &k), -1);
    CHECK_STR(window_kind_name(WKIND_TUMBLING), "TUMBLING");
    CHECK(window_kind_name(WKIND_NONE) == NULL);
}

int main(void)
{
    A = arena_create(0);
    test_layouts();
    test_round_trips();
    test_time_window_end();
    test_bad_bytes();
    test_names();
    arena_destroy(A);
    return testutil_done();
}
