/*
 * serde_json_scan.c - the JSON value decoder of a source: one pass over
 * the record's bytes that validates all of it and materialises only the
 * columns the query reads (SerdeReader, serde.h).
 *
 * The reference is serde_json_decode (jansson): for every record this
 * decoder gives the same rows, and rejects exactly the records it
 * rejects, with the same message.  How that is kept:
 *
 * - The scanner is stricter than jansson or equal to it, never looser:
 *   RFC 8259 grammar with jansson's limits (integers in 64 bits, reals
 *   within DOUBLE's range, strict UTF-8 everywhere, no unpaired
 *   surrogate escapes, no NUL in keys).  Whatever it does not accept, or
 *   is not sure of (escaped keys, nesting beyond 512, very long numbers),
 *   goes to the reference decoder, which then decides and words the error.
 * - Every column is converted or checked as json_conv would (numbers from
 *   numeric strings, ranges, DECIMAL exactness, ISO times), so a type
 *   error in a column the query does not read still rejects the record; a
 *   conversion that fails sends the record to the reference decoder for
 *   its message.  A column not read is checked without copying (a STRING
 *   column takes any value, so it costs nothing).
 * - Field names match as object_field does: the exact name (the last of
 *   duplicate keys wins, as in jansson), else the first key whose
 *   upper-cased form is the name.
 * - Numbers are parsed as jansson does (strtoll, strtod) but without the
 *   locale path: a real with at most 19 significant digits and a small
 *   exponent is exact in one multiplication or division (Clinger's fast
 *   path); others go to strtod_l in the C locale.
 * - Objects and arrays in columns go through jansson for their subtree
 *   only (json_to_value), the same code as the reference.
 *
 * No per-record malloc: token tables are the reader's; strings go to the
 * batch arena.  tests/unit/serde/test_serde_scan.c holds the two paths to
 * the same rows over edge cases and random records.
 */
#define _GNU_SOURCE   /* strtod_l, newlocale */
#include "serde_int.h"

#include <jansson.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SCAN_MAX_DEPTH 512       /* beyond: the reference decides (its own limit is 2048) */
#define KEY_SLOTS 64             /* remembered key positions */
#define NUM_MAX 128              /* longer numbers: the reference */

typedef enum TokKind { TK_NONE, TK_STR, TK_NUM, TK_TRUE, TK_FALSE, TK_NULL, TK_OBJ, TK_ARR } TokKind;

typedef struct Tok {
    uint8_t kind;
    bool esc;                  /* TK_STR: holds escapes */
    bool real;                 /* TK_NUM: has a fraction or exponent */
    const char *p;             /* TK_STR: the contents between the quotes; else the token */
    size_t n;
} Tok;

/* What a key at one position of the last records matched. */
typedef struct KeySlot {
    char *key;                 /* malloc'd copy; NULL = empty slot */
    size_t n;
    int exact, upper;          /* column index or -1 */
} KeySlot;

struct SerdeReader {
    Format fmt;
    SerdeOptions opts;
    const Column *cols;
    int ncols;
    bool *need;                /* per column */
    size_t *name_len;
    KeySlot slots[KEY_SLOTS];
    Tok *exact, *upper;        /* per column, per record */
    const char **upper_key;    /* the key that won the upper-case match */
    size_t *upper_key_n;
    StrBuf num;                /* scratch for number text */
    locale_t c_locale;
    bool fast;                 /* JSON object values: this file's decoder */
    long fallbacks;            /* records handed to the reference */
};

/* ---- the scanner ---------------------------------------------------------- */

static inline const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

/* 1: a byte that may stand in a string as it is (ASCII, not '"', '\\' or a
 * control character). */
static const uint8_t plain_byte[256] = {
#define R16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
    R16(0), R16(0),
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,      /* 0x20: '"' is 0x22 */
    R16(1), R16(1),
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,      /* 0x50: '\\' is 0x5C */
    R16(1), R16(1),
    R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0),
#undef R16
};

static inline int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int hex4(const char *p, const char *end)
{
    if (end - p < 4)
        return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0)
            return -1;
        v = v << 4 | h;
    }
    return v;
}

/* p is after the opening quote.  Sets t (contents) and returns the byte
 * after the closing quote, or NULL if the string is not one jansson takes. */
static const char *scan_string(const char *p, const char *end, Tok *t)
{
    const char *s = p;
    bool esc = false;
    for (;;) {
        /* 8 bytes at a time: stop at the first '"', '\\', control or
         * non-ASCII byte (the lowest flagged byte is exact; borrows only
         * flag bytes after it); little-endian, where the first byte is the
         * lowest */
        while (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
            uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
            uint64_t m = ((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w) | w;
            m &= high;
            if (m) {
                p += __builtin_ctzll(m) / 8;
                break;
            }
            p += 8;
        }
        while (p < end && plain_byte[(unsigned char)*p])
            p++;
        if (p >= end)
            return NULL;
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            break;
        if (c == '\\') {
            esc = true;
            if (p + 1 >= end)
                return NULL;
            char e = p[1];
            if (e == 'u') {
                int v = hex4(p + 2, end);
                if (v < 0)
                    return NULL;
                p += 6;
                if (v >= 0xDC00 && v <= 0xDFFF)
                    return NULL;
                if (v >= 0xD800 && v <= 0xDBFF) {
                    if (end - p < 2 || p[0] != '\\' || p[1] != 'u')
                        return NULL;
                    int v2 = hex4(p + 2, end);
                    if (v2 < 0xDC00 || v2 > 0xDFFF)
                        return NULL;
                    p += 6;
                }
            } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                       e == 'r' || e == 't') {
                p += 2;
            } else {
                return NULL;
            }
            continue;
        }
        if (c < 0x20)
            return NULL;
        /* jansson's rules are RFC 3629's: shortest forms, no surrogates, <= U+10FFFF */
        size_t n = utf8_seq_len(p, (size_t)(end - p));
        if (n == 0)
            return NULL;
        p += n;
    }
    t->kind = TK_STR;
    t->esc = esc;
    t->p = s;
    t->n = (size_t)(p - s);
    return p + 1;
}

static inline bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Parses an integer token as strtoll would; false beyond 64 bits. */
static bool int_value(const char *p, size_t n, int64_t *out)
{
    bool neg = *p == '-';
    size_t i = neg;
    uint64_t v = 0;
    for (; i < n; i++) {
        unsigned d = (unsigned)(p[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1)
            return false;
        *out = (int64_t)(0 - v);
    } else {
        if (v > (uint64_t)INT64_MAX)
            return false;
        *out = (int64_t)v;
    }
    return true;
}

static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* A real token's double, as strtod gives it (correctly rounded).  false if
 * it does not fit a double (jansson's "real number overflow"). */
static bool real_value(const SerdeReader *r, const char *p, size_t n, double *out)
{
    const char *q = p, *end = p + n;
    bool neg = *q == '-';
    q += neg;
    uint64_t w = 0;
    int digits = 0, exp10 = 0;
    bool exact = true;
    for (; q < end && is_digit(*q); q++) {
        if (digits < 19) {
            w = w * 10 + (uint64_t)(*q - '0');
            if (w)
                digits++;
        } else {
            exact = false;
            exp10++;
        }
    }
    if (q < end && *q == '.')
        for (q++; q < end && is_digit(*q); q++) {
            if (digits < 19) {
                w = w * 10 + (uint64_t)(*q - '0');
                if (w)
                    digits++;
                exp10--;
            } else {
                exact = false;
            }
        }
    if (q < end && (*q == 'e' || *q == 'E')) {
        q++;
        bool eneg = *q == '-';
        if (*q == '+' || *q == '-')
            q++;
        int e = 0;
        for (; q < end && is_digit(*q); q++)
            if (e < 100000)
                e = e * 10 + (*q - '0');
        exp10 += eneg ? -e : e;
    }
    if (exact && w <= (1ULL << 53) && exp10 >= -22 && exp10 <= 22) {
        double d = (double)w;
        d = exp10 >= 0 ? d * pow10_exact[exp10] : d / pow10_exact[-exp10];
        *out = neg ? -d : d;
        return true;
    }
    if (exact && w == 0) {   /* 0.000e999: a zero whatever the exponent */
        *out = neg ? -0.0 : 0.0;
        return true;
    }
    char text[NUM_MAX + 1];
    memcpy(text, p, n);
    text[n] = '\0';
    double d = strtod_l(text, NULL, r->c_locale);
    if (isinf(d))
        return false;
    *out = d;
    return true;
}

/* p at the first byte of a number.  Returns the byte after it or NULL. */
static const char *scan_number(const SerdeReader *r, const char *p, const char *end, Tok *t)
{
    const char *s = p;
    if (p < end && *p == '-')
        p++;
    if (p >= end)
        return NULL;
    if (*p == '0') {
        p++;
        if (p < end && is_digit(*p))
            return NULL;
    } else if (is_digit(*p)) {
        while (p < end && is_digit(*p))
            p++;
    } else {
        return NULL;
    }
    size_t int_digits = (size_t)(p - s) - (*s == '-');
    bool real = false;
    long exp = 0;
    if (p < end && *p == '.') {
        real = true;
        p++;
        if (p >= end || !is_digit(*p))
            return NULL;
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        real = true;
        p++;
        bool eneg = false;
        if (p < end && (*p == '+' || *p == '-'))
            eneg = *p++ == '-';
        if (p >= end || !is_digit(*p))
            return NULL;
        while (p < end && is_digit(*p)) {
            if (exp < 100000)
                exp = exp * 10 + (*p - '0');
            p++;
        }
        if (eneg)
            exp = -exp;
    }
    size_t n = (size_t)(p - s);
    if (n > NUM_MAX)
        return NULL;
    if (!real) {
        int64_t v;
        if (int_digits > 18 && !int_value(s, n, &v))
            return NULL;   /* "too big integer" */
    } else if ((long)int_digits + exp >= 300) {
        double d;
        if (!real_value(r, s, n, &d))
            return NULL;   /* "real number overflow" */
    }
    t->kind = TK_NUM;
    t->real = real;
    t->p = s;
    t->n = n;
    return p;
}

static const char *scan_value(const SerdeReader *r, const char *p, const char *end, int depth,
                              Tok *t);

/* p after '{' or '['. */
static const char *scan_composite(const SerdeReader *r, const char *p, const char *end, int depth,
                                  bool object)
{
    if (depth > SCAN_MAX_DEPTH)
        return NULL;
    char close = object ? '}' : ']';
    p = skip_ws(p, end);
    if (p < end && *p == close)
        return p + 1;
    for (;;) {
        Tok t;
        if (object) {
            if (p >= end || *p != '"')
                return NULL;
            if ((p = scan_string(p + 1, end, &t)) == NULL)
                return NULL;
            if (t.esc)
                return NULL;   /* a NUL in a key is refused: let the reference look */
            p = skip_ws(p, end);
            if (p >= end || *p != ':')
                return NULL;
            p = skip_ws(p + 1, end);
        }
        if ((p = scan_value(r, p, end, depth, &t)) == NULL)
            return NULL;
        p = skip_ws(p, end);
        if (p >= end)
            return NULL;
        if (*p == close)
            return p + 1;
        if (*p != ',')
            return NULL;
        p = skip_ws(p + 1, end);
    }
}

static const char *scan_value(const SerdeReader *r, const char *p, const char *end, int depth,
                              Tok *t)
{
    if (p >= end)
        return NULL;
    const char *s = p;
    switch (*p) {
    case '"':
        return scan_string(p + 1, end, t);
    case '{':
    case '[':
        if ((p = scan_composite(r, p + 1, end, depth + 1, *p == '{')) == NULL)
            return NULL;
        t->kind = *s == '{' ? TK_OBJ : TK_ARR;
        t->p = s;
        t->n = (size_t)(p - s);
        return p;
    case 't':
        if (end - p < 4 || memcmp(p, "true", 4) != 0)
            return NULL;
        t->kind = TK_TRUE;
        return p + 4;
    case 'f':
        if (end - p < 5 || memcmp(p, "false", 5) != 0)
            return NULL;
        t->kind = TK_FALSE;
        return p + 5;
    case 'n':
        if (end - p < 4 || memcmp(p, "null", 4) != 0)
            return NULL;
        t->kind = TK_NULL;
        return p + 4;
    default:
        return scan_number(r, p, end, t);
    }
}

/* ---- tokens to Values, as json_conv ------------------------------------------- */

/* A string token's text, unescaped, NUL-terminated, in the arena (jansson
 * gives its strings the same way). */
static char *tok_text(const Tok *t, Arena *a, size_t *len)
{
    char *o = arena_alloc(a, t->n + 1);
    if (!t->esc) {
        memcpy(o, t->p, t->n);
        *len = t->n;
        return o;
    }
    size_t k = 0;
    for (const char *p = t->p, *end = t->p + t->n; p < end;) {
        if (*p != '\\') {
            o[k++] = *p++;
            continue;
        }
        char e = p[1];
        p += 2;
        switch (e) {
        case 'b': o[k++] = '\b'; break;
        case 'f': o[k++] = '\f'; break;
        case 'n': o[k++] = '\n'; break;
        case 'r': o[k++] = '\r'; break;
        case 't': o[k++] = '\t'; break;
        case 'u': {
            uint32_t v = (uint32_t)hex4(p, end);
            p += 4;
            if (v >= 0xD800 && v <= 0xDBFF) {   /* the scanner checked the pair */
                uint32_t v2 = (uint32_t)hex4(p + 2, end);
                p += 6;
                v = ((v - 0xD800) << 10) + (v2 - 0xDC00) + 0x10000;
            }
            if (v < 0x80) {
                o[k++] = (char)v;
            } else if (v < 0x800) {
                o[k++] = (char)(0xC0 | v >> 6);
                o[k++] = (char)(0x80 | (v & 0x3F));
            } else if (v < 0x10000) {
                o[k++] = (char)(0xE0 | v >> 12);
                o[k++] = (char)(0x80 | (v >> 6 & 0x3F));
                o[k++] = (char)(0x80 | (v & 0x3F));
            } else {
                o[k++] = (char)(0xF0 | v >> 18);
                o[k++] = (char)(0x80 | (v >> 12 & 0x3F));
                o[k++] = (char)(0x80 | (v >> 6 & 0x3F));
                o[k++] = (char)(0x80 | (v & 0x3F));
            }
            break;
        }
        default: o[k++] = e; break;   /* " \ / */
        }
    }
    o[k] = '\0';
    *len = k;
    return o;
}

/* json_integral: integers as they are, reals truncated, numeric strings. */
static bool tok_integral(const SerdeReader *r, const Tok *t, int64_t lo, int64_t hi, Arena *a,
                         int64_t *out)
{
    if (t->kind == TK_NUM && !t->real) {
        int64_t v;
        if (!int_value(t->p, t->n, &v) || v < lo || v > hi)
            return false;
        *out = v;
        return true;
    }
    if (t->kind == TK_NUM) {
        double d;
        if (!real_value(r, t->p, t->n, &d))
            return false;
        d = trunc(d);
        if (!(d >= (double)lo && d <= (double)hi) || d >= 9223372036854775808.0)
            return false;
        *out = (int64_t)d;
        return true;
    }
    if (t->kind == TK_STR) {
        size_t n;
        const char *s = t->esc ? tok_text(t, a, &n) : t->p;
        if (!t->esc)
            n = t->n;
        return value_parse_long(s, n, lo, hi, out);
    }
    return false;
}

/* A temporal value from a string that is not a number: the ISO form. */
static bool tok_temporal(const Tok *t, const SqlType *type, Arena *a, Value *out)
{
    if (t->kind != TK_STR)
        return false;
    size_t n;
    char *s = tok_text(t, a, &n);
    Value sv = v_string_borrow(s, (int32_t)n);
    return value_cast(&sv, type, NULL, out, NULL) == 0;
}

/* Composite columns: jansson parses the subtree, json_conv converts it. */
static int tok_tree(const Tok *t, const SqlType *type, Arena *a, Value *out)
{
    json_error_t jerr;
    json_t *j = json_loadb(t->p, t->n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (j == NULL)
        return -1;
    EddyError e;
    int rc = json_to_value(j, type, a, out, &e);
    json_decref(j);
    return rc;
}

/* Converts t to type as json_conv does; with !need only checks that it
 * would convert (out is then NULL).  -1: it would not (the caller asks the
 * reference decoder for the message). */
static int tok_conv(SerdeReader *r, const Tok *t, const SqlType *type, bool need, Arena *a,
                    Value *out)
{
    *out = v_null();
    if (t->kind == TK_NONE || t->kind == TK_NULL)
        return 0;
    int64_t i;
    switch (type->kind) {
    case TYPE_BOOLEAN:
        if (t->kind != TK_TRUE && t->kind != TK_FALSE)
            return -1;
        if (need)
            *out = v_bool(t->kind == TK_TRUE);
        return 0;
    case TYPE_INT:
        if (!tok_integral(r, t, INT32_MIN, INT32_MAX, a, &i))
            return -1;
        if (need)
            *out = v_int((int32_t)i);
        return 0;
    case TYPE_BIGINT:
        if (!tok_integral(r, t, INT64_MIN, INT64_MAX, a, &i))
            return -1;
        if (need)
            *out = v_bigint(i);
        return 0;
    case TYPE_DOUBLE:
        if (t->kind == TK_NUM) {
            if (!need)
                return 0;   /* the scanner made sure it is finite */
            if (t->real) {
                double d;
                if (!real_value(r, t->p, t->n, &d))
                    return -1;
                *out = v_double(d);
            } else {
                if (!int_value(t->p, t->n, &i))
                    return -1;
                *out = v_double((double)i);
            }
            return 0;
        }
        if (t->kind == TK_STR) {
            size_t n;
            char *s = tok_text(t, a, &n);
            Value sv = v_string_borrow(s, (int32_t)n);
            Value d;
            if (value_cast(&sv, type, a, &d, NULL) != 0)
                return -1;
            if (need)
                *out = d;
            return 0;
        }
        return -1;
    case TYPE_DECIMAL: {
        const char *text;
        size_t n;
        sb_reset(&r->num);
        if (t->kind == TK_STR) {
            text = tok_text(t, a, &n);
        } else if (t->kind == TK_NUM && !t->real) {
            if (!int_value(t->p, t->n, &i))
                return -1;
            value_format_long(i, &r->num);
            text = r->num.data;
            n = r->num.len;
        } else if (t->kind == TK_NUM) {
            double d;
            if (!real_value(r, t->p, t->n, &d))
                return -1;
            value_format_double(d, &r->num);
            text = r->num.data;
            n = r->num.len;
        } else {
            return -1;
        }
        int64_t u;
        if (value_parse_decimal(text, n, type->precision, type->scale, false, &u) != DEC_OK)
            return -1;
        if (need)
            *out = v_decimal(u, type->precision, type->scale);
        return 0;
    }
    case TYPE_STRING:
        if (!need)
            return 0;   /* any JSON value has a text */
        if (t->kind == TK_STR) {
            if (t->esc) {
                size_t n;
                char *s = tok_text(t, a, &n);
                *out = v_string(a, s, (int32_t)n);
            } else {
                *out = v_string(a, t->p, (int32_t)t->n);
            }
            return 0;
        }
        if (t->kind == TK_TRUE || t->kind == TK_FALSE) {
            *out = t->kind == TK_TRUE ? v_string(a, "true", 4) : v_string(a, "false", 5);
            return 0;
        }
        if (t->kind == TK_NUM) {
            sb_reset(&r->num);
            if (t->real) {
                double d;
                if (!real_value(r, t->p, t->n, &d))
                    return -1;
                serde_real_text(d, &r->num);
            } else {
                if (!int_value(t->p, t->n, &i))
                    return -1;
                value_format_long(i, &r->num);
            }
            *out = v_string(a, r->num.data, (int32_t)r->num.len);
            return 0;
        }
        return tok_tree(t, type, a, out);
    case TYPE_BYTES: {
        if (t->kind != TK_STR)
            return -1;
        size_t n;
        char *s = tok_text(t, a, &n);
        Value b;
        if (value_base64_decode(s, n, a, &b) != 0)
            return -1;
        if (need)
            *out = b;
        return 0;
    }
    case TYPE_TIMESTAMP:
    case TYPE_TIME:
    case TYPE_DATE: {
        Value v;
        int64_t lo = type->kind == TYPE_DATE ? INT32_MIN : INT64_MIN;
        int64_t hi = type->kind == TYPE_DATE ? INT32_MAX : INT64_MAX;
        if (tok_integral(r, t, lo, hi, a, &i)) {
            if (type->kind == TYPE_TIME && (i < 0 || i >= MS_PER_DAY))
                return -1;
            v = type->kind == TYPE_TIMESTAMP ? v_timestamp(i)
                : type->kind == TYPE_TIME    ? v_time((int32_t)i)
                                             : v_date((int32_t)i);
        } else if (!tok_temporal(t, type, a, &v)) {
            return -1;
        }
        if (need)
            *out = v;
        return 0;
    }
    case TYPE_ARRAY:
    case TYPE_MAP:
    case TYPE_STRUCT: {
        if (t->kind != (type->kind == TYPE_ARRAY ? TK_ARR : TK_OBJ))
            return -1;
        Value v;
        if (tok_tree(t, type, a, &v) != 0)
            return -1;
        if (need)
            *out = v;
        return 0;
    }
    case TYPE_NULL:
    case TYPE__COUNT:
        break;
    }
    return -1;
}

/* ---- field names ----------------------------------------------------------------- */

static bool upper_equals_n(const char *key, size_t n, const char *name, size_t name_n)
{
    if (n != name_n)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c >= 'a' && c <= 'z')
            c = (unsigned char)(c - 'a' + 'A');
        if (c != (unsigned char)name[i])
            return false;
    }
    return true;
}

/* The columns the key at position k matches (exact, upper-cased). */
static const KeySlot *key_lookup(SerdeReader *r, int k, const char *key, size_t n, KeySlot *tmp)
{
    KeySlot *s = k < KEY_SLOTS ? &r->slots[k] : tmp;
    if (s->key && s->n == n && memcmp(s->key, key, n) == 0)
        return s;
    s->exact = s->upper = -1;
    for (int c = 0; c < r->ncols; c++) {
        const char *name = r->cols[c].name;
        if (r->name_len[c] == n && memcmp(name, key, n) == 0)
            s->exact = c;
        else if (upper_equals_n(key, n, name, r->name_len[c]))
            s->upper = c;   /* names are unique: at most one column of each kind */
    }
    if (s != tmp) {
        char *copy = realloc(s->key, n + 1);
        if (copy == NULL)
            EDDY_PANIC("out of memory");
        memcpy(copy, key, n);
        copy[n] = '\0';
        s->key = copy;
        s->n = n;
    }
    return s;
}

/* ---- the reader --------------------------------------------------------------- */

static int reference_decode(SerdeReader *r, const void *buf, size_t len, Value *out, Arena *arena,
                            EddyError *err)
{
    if (serde_json_decode(&r->opts, r->cols, r->ncols, buf, len, out, arena, err) != 0)
        return -1;
    for (int i = 0; i < r->ncols; i++)
        if (!r->need[i])
            out[i] = v_null();
    return 0;
}

/* 0: decoded; 1: not decided here (the reference decodes). */
static int fast_decode(SerdeReader *r, const char *buf, size_t len, Value *out, Arena *arena)
{
    const char *p = skip_ws(buf, buf + len), *end = buf + len;
    if (p >= end)
        return 1;
    if (*p == 'n') {
        if (end - p < 4 || memcmp(p, "null", 4) != 0 || skip_ws(p + 4, end) != end)
            return 1;
        for (int i = 0; i < r->ncols; i++)
            out[i] = v_null();
        return 0;
    }
    if (*p != '{')
        return 1;
    int nc = r->ncols;
    memset(r->exact, 0, sizeof(Tok) * (size_t)nc);
    memset(r->upper, 0, sizeof(Tok) * (size_t)nc);
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}') {
        p++;
    } else {
        for (int k = 0;; k++) {
            Tok key, val;
            if (p >= end || *p != '"' || (p = scan_string(p + 1, end, &key)) == NULL || key.esc)
                return 1;
            p = skip_ws(p, end);
            if (p >= end || *p != ':')
                return 1;
            p = skip_ws(p + 1, end);
            if ((p = scan_value(r, p, end, 1, &val)) == NULL)
                return 1;
            KeySlot tmp = {0};
            const KeySlot *s = key_lookup(r, k, key.p, key.n, &tmp);
            if (s->exact >= 0)
                r->exact[s->exact] = val;   /* duplicates: the last wins */
            if (s->upper >= 0) {
                int c = s->upper;
                if (r->upper[c].kind == TK_NONE) {
                    r->upper[c] = val;
                    r->upper_key[c] = key.p;
                    r->upper_key_n[c] = key.n;
                } else if (r->upper_key_n[c] == key.n &&
                           memcmp(r->upper_key[c], key.p, key.n) == 0) {
                    r->upper[c] = val;      /* the same key again */
                }
            }
            p = skip_ws(p, end);
            if (p >= end)
                return 1;
            if (*p == '}') {
                p++;
                break;
            }
            if (*p != ',')
                return 1;
            p = skip_ws(p + 1, end);
        }
    }
    if (skip_ws(p, end) != end)
        return 1;
    for (int i = 0; i < nc; i++) {
        const Tok *t = r->exact[i].kind != TK_NONE ? &r->exact[i] : &r->upper[i];
        if (tok_conv(r, t, r->cols[i].type, r->need[i], arena, &out[i]) != 0)
            return 1;
    }
    return 0;
}

SerdeReader *serde_reader_create(Format fmt, const SerdeOptions *opts, const Column *cols,
                                 int ncols, const bool *need)
{
    SerdeReader *r = calloc(1, sizeof *r);
    size_t n = (size_t)(ncols > 0 ? ncols : 1);
    if (r == NULL || (r->need = calloc(n, sizeof *r->need)) == NULL ||
        (r->name_len = calloc(n, sizeof *r->name_len)) == NULL ||
        (r->exact = calloc(n, sizeof *r->exact)) == NULL ||
        (r->upper = calloc(n, sizeof *r->upper)) == NULL ||
        (r->upper_key = calloc(n, sizeof *r->upper_key)) == NULL ||
        (r->upper_key_n = calloc(n, sizeof *r->upper_key_n)) == NULL)
        EDDY_PANIC("out of memory");
    r->fmt = fmt;
    r->opts = opts ? *opts : (SerdeOptions){.wrap_single = true, .delimiter = ','};
    r->cols = cols;
    r->ncols = ncols;
    for (int i = 0; i < ncols; i++) {
        r->need[i] = need == NULL || need[i];
        r->name_len[i] = strlen(cols[i].name);
    }
    sb_init(&r->num);
    /* A single unwrapped column is the whole value: the reference. */
    r->fast = fmt == FMT_JSON && !(ncols == 1 && !r->opts.wrap_single);
    if (r->fast && (r->c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0)) == (locale_t)0)
        r->fast = false;
    return r;
}

long serde_reader_fallbacks(const SerdeReader *r)
{
    return r->fallbacks;
}

void serde_reader_destroy(SerdeReader *r)
{
    if (r == NULL)
        return;
    for (int i = 0; i < KEY_SLOTS; i++)
        free(r->slots[i].key);
    free(r->need);
    free(r->name_len);
    free(r->exact);
    free(r->upper);
    free(r->upper_key);
    free(r->upper_key_n);
    sb_free(&r->num);
    if (r->c_locale)
        freelocale(r->c_locale);
    free(r);
}

int serde_reader_decode(SerdeReader *r, const void *buf, size_t len, Value *out, Arena *arena,
                        EddyError *err)
{
    if (r->fmt == FMT_DELIMITED)
        return serde_delim_decode_some(&r->opts, r->cols, r->ncols, r->need, buf, len, out, arena,
                                       err);
    if (!r->fast)
        return serde_decode(r->fmt, &r->opts, r->cols, r->ncols, buf, len, out, arena, err);
    if (fast_decode(r, buf, len, out, arena) == 0)
        return 0;
    r->fallbacks++;
    return reference_decode(r, buf, len, out, arena, err);
}
