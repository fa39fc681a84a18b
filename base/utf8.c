/*
 * utf8.c - UTF-8 validity and JSON string literals: text utilities the
 * JSON serde and the eddy command (eddy load) share.
 *
 * Valid UTF-8 is RFC 3629's: shortest forms only, no surrogates, nothing
 * above U+10FFFF.  An invalid byte in a JSON string literal becomes U+FFFD,
 * as Java's UTF-8 decoding (and so ksqlDB) would make it.
 */
#include "eddy/base.h"

size_t utf8_seq_len(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return len;
}

size_t utf8_valid_prefix(const char *s, size_t n)
{
    size_t i = 0, len;
    while (i < n && (len = utf8_seq_len(s + i, n - i)) > 0)
        i += len;
    return i;
}

void sb_put_json_string(StrBuf *out, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    sb_putc(out, '"');
    size_t run = 0, i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t len = utf8_seq_len(str + i, n - i);
            if (len > 0) {
                i += len;
                continue;
            }
        }
        sb_append(out, str + run, i - run);
        switch (c) {
        case '"': sb_puts(out, "\\\""); break;
        case '\\': sb_puts(out, "\\\\"); break;
        case '\n': sb_puts(out, "\\n"); break;
        case '\r': sb_puts(out, "\\r"); break;
        case '\t': sb_puts(out, "\\t"); break;
        case '\b': sb_puts(out, "\\b"); break;
        case '\f': sb_puts(out, "\\f"); break;
        default:
            if (c < 0x20) {
                char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                sb_append(out, esc, 6);
            } else {
                sb_puts(out, "\xEF\xBF\xBD");   /* invalid UTF-8 byte */
            }
        }
        i++;
        run = i;
    }
    sb_append(out, str + run, n - run);
    sb_putc(out, '"');
}
