/*
 * test_utf8.c - UTF-8 validity and JSON string literals (base/utf8.c):
 * every sequence length, the invalid forms RFC 3629 rules out (overlong,
 * surrogates, above U+10FFFF, stray continuation bytes, cut sequences), the
 * valid prefix, and JSON escapes with U+FFFD for invalid bytes.
 */
#include "eddy/base.h"
#include "testutil.h"

static size_t seq(const char *s)
{
    return utf8_seq_len(s, strlen(s));
}

static char out[256];

static const char *json(const char *s, size_t n)
{
    StrBuf sb;
    sb_init(&sb);
    sb_put_json_string(&sb, s, n);
    snprintf(out, sizeof out, "%s", sb.data);
    sb_free(&sb);
    return out;
}

int main(void)
{
    CHECK_EQ_INT(seq("a"), 1);
    CHECK_EQ_INT(seq("\xC3\xA9"), 2);              /* é */
    CHECK_EQ_INT(seq("\xE2\x82\xAC"), 3);          /* € */
    CHECK_EQ_INT(seq("\xF0\x9F\x98\x80"), 4);      /* U+1F600 */
    CHECK_EQ_INT(seq("\xF4\x8F\xBF\xBF"), 4);      /* U+10FFFF, the last */
    CHECK_EQ_INT(seq("\xC0\x80"), 0);              /* overlong NUL */
    CHECK_EQ_INT(seq("\xE0\x80\xAF"), 0);          /* overlong '/' */
    CHECK_EQ_INT(seq("\xF0\x80\x80\xAF"), 0);      /* overlong, 4 bytes */
    CHECK_EQ_INT(seq("\xED\xA0\x80"), 0);          /* surrogate U+D800 */
    CHECK_EQ_INT(seq("\xF4\x90\x80\x80"), 0);      /* U+110000 */
    CHECK_EQ_INT(seq("\xF5\x80\x80\x80"), 0);
    CHECK_EQ_INT(seq("\x80"), 0);                  /* stray continuation */
    CHECK_EQ_INT(seq("\xC3("), 0);                 /* bad continuation */
    CHECK_EQ_INT(utf8_seq_len("\xE2\x82\xAC", 2), 0);   /* cut short */

    CHECK_EQ_INT(utf8_valid_prefix("ab\xC3\xA9" "c", 5), 5);
    CHECK_EQ_INT(utf8_valid_prefix("ab\xFF" "cd", 5), 2);
    CHECK_EQ_INT(utf8_valid_prefix("ab\xE2\x82", 4), 2);
    CHECK_EQ_INT(utf8_valid_prefix("", 0), 0);

    CHECK_STR(json("plain", 5), "\"plain\"");
    CHECK_STR(json("q\"b\\s/", 6), "\"q\\\"b\\\\s/\"");
    CHECK_STR(json("\n\r\t\b\f\x01\x1f", 7), "\"\\n\\r\\t\\b\\f\\u0001\\u001f\"");
    CHECK_STR(json("nul\0in", 6), "\"nul\\u0000in\"");
    CHECK_STR(json("\xC3\xA9\xF0\x9F\x98\x80", 6), "\"\xC3\xA9\xF0\x9F\x98\x80\"");
    CHECK_STR(json("x\xFFy", 3), "\"x\xEF\xBF\xBDy\"");
    CHECK_STR(json("\xED\xA0\x80", 3), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
    CHECK_STR(json("", 0), "\"\"");
    return testutil_done();
}
