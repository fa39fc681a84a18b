/* test_bytes.c - base's big-endian integers: the exact bytes, round trips
 * at the edges (0, -1, INT64_MIN/MAX), unaligned access, and the ordered
 * form's promise that memcmp order is the integers' order. */
#include "eddy/base.h"

#include "testutil.h"

#include <stdint.h>

static void test_exact_bytes(void)
{
    unsigned char b[9] = {0};
    be32_put(b, 0x01020304u);
    CHECK(memcmp(b, "\x01\x02\x03\x04", 4) == 0);
    CHECK_EQ_INT(be32_get(b), 0x01020304u);
    be64_put(b, 0x0102030405060708ULL);
    CHECK(memcmp(b, "\x01\x02\x03\x04\x05\x06\x07\x08", 8) == 0);
    CHECK(be64_get(b) == 0x0102030405060708ULL);
    /* Unaligned: one byte in. */
    be64_put(b + 1, 0xfffefdfcfbfaf9f8ULL);
    CHECK_EQ_INT(b[1], 0xff);
    CHECK_EQ_INT(b[8], 0xf8);
    CHECK(be64_get(b + 1) == 0xfffefdfcfbfaf9f8ULL);
    /* Kafka's BIGINT -1 is eight 0xff bytes; the ordered form flips the sign bit. */
    be64_put(b, (uint64_t)(int64_t)-1);
    CHECK(memcmp(b, "\xff\xff\xff\xff\xff\xff\xff\xff", 8) == 0);
    be64_put_ordered(b, -1);
    CHECK(memcmp(b, "\x7f\xff\xff\xff\xff\xff\xff\xff", 8) == 0);
    be64_put_ordered(b, 0);
    CHECK(memcmp(b, "\x80\x00\x00\x00\x00\x00\x00\x00", 8) == 0);
}

static void test_round_trips_and_order(void)
{
    const int64_t vals[] = {INT64_MIN, INT64_MIN + 1, -4294967296LL, -1, 0, 1, 255, 256,
                            4294967296LL, INT64_MAX - 1, INT64_MAX};
    const int n = (int)(sizeof vals / sizeof vals[0]);
    unsigned char prev[8];
    for (int i = 0; i < n; i++) {
        unsigned char b[8];
        be64_put(b, (uint64_t)vals[i]);
        CHECK((int64_t)be64_get(b) == vals[i]);
        be64_put_ordered(b, vals[i]);
        CHECK(be64_get_ordered(b) == vals[i]);
        if (i > 0)
            CHECK(memcmp(prev, b, 8) < 0);   /* ascending integers, ascending bytes */
        memcpy(prev, b, 8);
    }
}

/* The StrBuf forms append exactly what the array forms write. */
static void test_appends(void)
{
    StrBuf sb;
    sb_init(&sb);
    sb_puts(&sb, "k");
    sb_put_be64(&sb, 0x0102030405060708ULL);
    sb_put_be64_ordered(&sb, -2);
    CHECK_EQ_INT(sb.len, 17);
    CHECK_EQ_INT(sb.data[0], 'k');
    CHECK(be64_get(sb.data + 1) == 0x0102030405060708ULL);
    CHECK(be64_get_ordered(sb.data + 9) == -2);
    sb_free(&sb);
}

int main(void)
{
    test_exact_bytes();
    test_round_trips_and_order();
    test_appends();
    return testutil_done();
}
