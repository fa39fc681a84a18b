/*
 * codec.c - order-preserving key encoding and compact row encoding of
 * Values (the formats are described in include/eddy/codec.h).
 *
 * Invariants: an encoded key value is self-delimiting and its first
 * differing byte against another value of the same column decides their
 * SQL order; decoders check every length against the bytes left before
 * reading, and recursion is bounded by CODEC_MAX_DEPTH.  This file uses
 * only the Value layout, not the engine's value functions (state sits
 * below the engine).
 */
#include "eddy/codec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const SrcPos NOPOS = {0, 0};

/* ---- fixed-width big-endian helpers ------------------------------------ */

static void put_be32(unsigned char *d, uint32_t v)
{
    d[0] = (unsigned char)(v >> 24);
    d[1] = (unsigned char)(v >> 16);
    d[2] = (unsigned char)(v >> 8);
    d[3] = (unsigned char)v;
}

static uint32_t get_be32(const unsigned char *s)
{
    return (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 | (uint32_t)s[2] << 8 | s[3];
}

void keycodec_put_i64(unsigned char dst[8], int64_t v)
{
    be64_put_ordered(dst, v);
}

int64_t keycodec_get_i64(const unsigned char src[8])
{
    return be64_get_ordered(src);
}

static int geocell_axis(double v, double lo, double span)
{
    double x = (v - lo) / span * GEOCELL_AXIS_CELLS;
    if (!(x >= 0))   /* below, or NaN */
        return 0;
    return x >= GEOCELL_AXIS_CELLS ? GEOCELL_AXIS_CELLS - 1 : (int)x;
}

void geocell_axes(double lat, double lng, int *lat_i, int *lng_i)
{
    *lat_i = geocell_axis(lat, -90.0, 180.0);
    *lng_i = geocell_axis(lng, -180.0, 360.0);
}

void geocell_key(int lat_i, int lng_i, unsigned char out[4])
{
    uint32_t cell = 0;
    for (int b = GEOCELL_AXIS_BITS - 1; b >= 0; b--)
        cell = (cell << 2) | ((uint32_t)((lng_i >> b) & 1) << 1) | (uint32_t)((lat_i >> b) & 1);
    out[0] = (unsigned char)(cell >> 24);
    out[1] = (unsigned char)(cell >> 16);
    out[2] = (unsigned char)(cell >> 8);
    out[3] = (unsigned char)cell;
}

static void append_i32(StrBuf *out, int32_t v)
{
    unsigned char b[4];
    put_be32(b, (uint32_t)v ^ 0x80000000U);
    sb_append(out, (const char *)b, 4);
}

/* ======================================================================== */
/* Keys                                                                     */
/* ======================================================================== */

/* Tags: the end of a sequence sorts below NULL, NULL below every kind. */
enum { KT_END = 0x00, KT_NULL = 0x01, KT_BASE = 0x10 };

/* Decimal sign classes, and the digit terminators that make a shorter
 * digit string (a smaller magnitude) sort first for positives and last
 * for negatives. */
enum { KD_NEG = 0x01, KD_ZERO = 0x02, KD_POS = 0x03, KD_POS_END = 0x00, KD_NEG_END = 0x0B };

/* A DECIMAL value's precision and scale as the engine makes them: the
 * scale indexes value_pow10 (0..18), so a decoder takes nothing else. */
static bool decimal_shape_ok(int32_t precision, int32_t scale)
{
    return scale >= 0 && scale <= 18 && precision >= 0 && precision <= 1000;
}

static int key_encode_value(const Value *v, StrBuf *out, int depth);

/* Sign-folded IEEE bits: the unsigned order of the result is the numeric
 * order, with -0.0 folded into 0.0 and one NaN above +Infinity. */
static uint64_t double_key_bits(double d)
{
    if (isnan(d))
        d = NAN;
    else if (d == 0.0)
        d = 0.0;
    uint64_t bits;
    memcpy(&bits, &d, 8);
    if (isnan(d))
        bits = 0x7ff8000000000000ULL;
    return (bits & 0x8000000000000000ULL) ? ~bits : bits | 0x8000000000000000ULL;
}

static double double_from_key_bits(uint64_t bits)
{
    bits = (bits & 0x8000000000000000ULL) ? bits & ~0x8000000000000000ULL : ~bits;
    double d;
    memcpy(&d, &bits, 8);
    return d;
}

/* DECIMAL by value: value = 0.d1..dn * 10^E with d1 != 0 and dn != 0.
 * Order: sign class, then E (bigger E = bigger magnitude), then the digits
 * (a prefix is smaller); negatives invert both.  Precision and scale follow
 * the terminator, so they only separate equal values. */
static void key_encode_decimal(const Value *v, StrBuf *out)
{
    int64_t u = v->u.dec.unscaled;
    unsigned char b[1 + 8 + 19 + 1 + 8];   /* class, exponent, digits, end, precision+scale */
    size_t n = 0;
    if (u == 0) {
        b[n++] = KD_ZERO;
    } else {
        bool neg = u < 0;
        uint64_t m = neg ? 0 - (uint64_t)u : (uint64_t)u;
        int tz = 0;
        while (m % 10 == 0) {
            m /= 10;
            tz++;
        }
        char digits[20];
        int nd = 0;
        for (uint64_t t = m; t; t /= 10)
            digits[nd++] = (char)(t % 10);          /* reversed */
        int64_t e = (int64_t)nd + tz - (int64_t)v->u.dec.scale;
        b[n++] = neg ? KD_NEG : KD_POS;
        keycodec_put_i64(b + n, e);
        if (neg)
            for (int i = 0; i < 8; i++)
                b[n + i] = (unsigned char)~b[n + i];
        n += 8;
        for (int i = nd - 1; i >= 0; i--)
            b[n++] = (unsigned char)(neg ? 10 - digits[i] : digits[i] + 1);
        b[n++] = neg ? KD_NEG_END : KD_POS_END;
    }
    put_be32(b + n, (uint32_t)v->u.dec.precision ^ 0x80000000U);
    put_be32(b + n + 4, (uint32_t)v->u.dec.scale ^ 0x80000000U);
    n += 8;
    sb_append(out, (const char *)b, n);
}

/* 0x00 -> 0x00 0xFF; end 0x00 0x01.  Runs without a 0x00 are copied whole. */
static void key_encode_bytes(const char *p, size_t len, StrBuf *out)
{
    static const char esc[2] = {0x00, (char)0xFF}, end[2] = {0x00, 0x01};
    while (len > 0) {
        const char *z = memchr(p, 0, len);
        size_t run = z ? (size_t)(z - p) : len;
        sb_append(out, p, run);
        if (z == NULL)
            break;
        sb_append(out, esc, 2);
        p += run + 1;
        len -= run + 1;
    }
    sb_append(out, end, 2);
}

typedef struct EntrySpan {
    const unsigned char *p;
    size_t len;
} EntrySpan;

static int span_cmp(const void *x, const void *y)
{
    const EntrySpan *a = x, *b = y;
    int c = memcmp(a->p, b->p, a->len < b->len ? a->len : b->len);
    if (c != 0)
        return c;
    return (a->len > b->len) - (a->len < b->len);
}

/* Entries encoded one by one into a scratch buffer, sorted by their bytes
 * (key first: keys are self-delimiting), then appended in that order. */
static int key_encode_map(const Value *v, StrBuf *out, int depth)
{
    int32_t n = v->u.map.n;
    if (n < 0 || (n > 0 && (v->u.map.keys == NULL || v->u.map.vals == NULL)))
        return -1;
    StrBuf tmp;
    sb_init(&tmp);
    size_t small_off[17];
    size_t *off = n < 17 ? small_off : malloc(sizeof(size_t) * ((size_t)n + 1));
    EntrySpan small_spans[16];
    EntrySpan *spans = n <= 16 ? small_spans : malloc(sizeof(EntrySpan) * (size_t)n);
    int rc = (off == NULL || spans == NULL) ? -1 : 0;
    for (int32_t i = 0; i < n && rc == 0; i++) {
        off[i] = tmp.len;
        if (key_encode_value(&v->u.map.keys[i], &tmp, depth + 1) != 0
            || key_encode_value(&v->u.map.vals[i], &tmp, depth + 1) != 0)
            rc = -1;
    }
    if (rc == 0) {
        off[n] = tmp.len;
        for (int32_t i = 0; i < n; i++) {
            spans[i].p = (const unsigned char *)tmp.data + off[i];
            spans[i].len = off[i + 1] - off[i];
        }
        qsort(spans, (size_t)n, sizeof *spans, span_cmp);
        for (int32_t i = 0; i < n; i++)
            sb_append(out, (const char *)spans[i].p, spans[i].len);
        sb_putc(out, KT_END);
    }
    if (off != small_off)
        free(off);
    if (spans != small_spans)
        free(spans);
    sb_free(&tmp);
    return rc;
}

static int key_encode_seq(const Value *items, int32_t n, StrBuf *out, int depth)
{
    if (n < 0 || (n > 0 && items == NULL))
        return -1;
    for (int32_t i = 0; i < n; i++)
        if (key_encode_value(&items[i], out, depth + 1) != 0)
            return -1;
    sb_putc(out, KT_END);
    return 0;
}

static int key_encode_value(const Value *v, StrBuf *out, int depth)
{
    if (depth > CODEC_MAX_DEPTH)
        return -1;
    if (v->kind == TYPE_NULL) {
        sb_putc(out, KT_NULL);
        return 0;
    }
    if ((unsigned)v->kind >= TYPE__COUNT)
        return -1;
    sb_putc(out, (char)(KT_BASE + v->kind));
    switch (v->kind) {
    case TYPE_BOOLEAN:
        sb_putc(out, v->u.b ? 1 : 0);
        return 0;
    case TYPE_INT:
    case TYPE_DATE:
    case TYPE_TIME:
        append_i32(out, v->u.i32);
        return 0;
    case TYPE_BIGINT:
    case TYPE_TIMESTAMP:
        sb_put_be64_ordered(out, v->u.i64);
        return 0;
    case TYPE_DOUBLE:
        sb_put_be64(out, double_key_bits(v->u.d));
        return 0;
    case TYPE_DECIMAL:
        key_encode_decimal(v, out);
        return 0;
    case TYPE_STRING:
    case TYPE_BYTES:
        if (v->u.str.len < 0 || (v->u.str.len > 0 && v->u.str.ptr == NULL))
            return -1;
        key_encode_bytes(v->u.str.ptr, (size_t)v->u.str.len, out);
        return 0;
    case TYPE_ARRAY:
        return key_encode_seq(v->u.arr.items, v->u.arr.n, out, depth);
    case TYPE_STRUCT:
        return key_encode_seq(v->u.st.fields, v->u.st.n, out, depth);
    case TYPE_MAP:
        return key_encode_map(v, out, depth);
    case TYPE_NULL:
    case TYPE__COUNT:
        break;
    }
    return -1;
}

int keycodec_encode(const Value *vals, int n, StrBuf *out)
{
    size_t start = out->len;
    for (int i = 0; i < n; i++) {
        if (key_encode_value(&vals[i], out, 0) != 0) {
            out->len = start;
            if (out->data)
                out->data[start] = '\0';
            return -1;
        }
    }
    return 0;
}

/* ---- key decoding ------------------------------------------------------ */

typedef struct Reader {
    const unsigned char *p, *start, *end;
    Arena *a;
} Reader;

static bool have(const Reader *r, size_t n)
{
    return (size_t)(r->end - r->p) >= n;
}

static int key_decode_value(Reader *r, Value *out, int depth);

static int key_decode_decimal(Reader *r, Value *out)
{
    if (!have(r, 1))
        return -1;
    int cls = *r->p++;
    uint64_t m = 0;
    int64_t e = 0;
    int nd = 0;
    if (cls == KD_POS || cls == KD_NEG) {
        bool neg = cls == KD_NEG;
        if (!have(r, 8))
            return -1;
        unsigned char eb[8];
        for (int i = 0; i < 8; i++)
            eb[i] = neg ? (unsigned char)~r->p[i] : r->p[i];
        e = keycodec_get_i64(eb);
        r->p += 8;
        if (e < -((int64_t)1 << 40) || e > ((int64_t)1 << 40))
            return -1;   /* encoders write nd + tz - scale: within int32 range + 40 */
        for (;;) {
            if (!have(r, 1))
                return -1;
            int c = *r->p++;
            if (c == (neg ? KD_NEG_END : KD_POS_END))
                break;
            if (c < 1 || c > 10 || nd >= 19)
                return -1;
            int d = neg ? 10 - c : c - 1;
            m = m * 10 + (uint64_t)d;
            nd++;
        }
        if (nd == 0 || m == 0)
            return -1;
    } else if (cls != KD_ZERO) {
        return -1;
    }
    if (!have(r, 8))
        return -1;
    int32_t precision = (int32_t)(get_be32(r->p) ^ 0x80000000U);
    int32_t scale = (int32_t)(get_be32(r->p + 4) ^ 0x80000000U);
    r->p += 8;
    if (!decimal_shape_ok(precision, scale))
        return -1;
    /* unscaled = digits * 10^(E - n + scale), which must be exact and fit. */
    int64_t k = e - nd + (int64_t)scale;
    if (m != 0) {
        if (k < 0 || k > 19)
            return -1;
        for (int64_t i = 0; i < k; i++) {
            if (m > UINT64_MAX / 10)
                return -1;
            m *= 10;
        }
    }
    int64_t u;
    if (cls == KD_NEG) {
        if (m > 0x8000000000000000ULL)
            return -1;
        u = (int64_t)(0 - m);
    } else {
        if (m > (uint64_t)INT64_MAX)
            return -1;
        u = (int64_t)m;
    }
    out->kind = TYPE_DECIMAL;
    out->u.dec.unscaled = u;
    out->u.dec.precision = precision;
    out->u.dec.scale = scale;
    return 0;
}

/* Two passes: measure (and validate) the stuffed run, then copy. */
static int key_decode_bytes(Reader *r, Value *out, TypeKind kind)
{
    size_t n = 0;
    const unsigned char *q = r->p;
    for (;;) {
        const unsigned char *z = memchr(q, 0, (size_t)(r->end - q));
        if (z == NULL || z + 1 >= r->end)
            return -1;
        n += (size_t)(z - q);
        if (z[1] == 0x01) {
            q = z + 2;
            break;
        }
        if (z[1] != 0xFF)
            return -1;
        n++;
        q = z + 2;
    }
    if (n > INT32_MAX)
        return -1;
    char *s = arena_alloc(r->a, n + 1);
    size_t w = 0;
    while (w < n) {
        const unsigned char *z = memchr(r->p, 0, (size_t)(r->end - r->p));
        size_t run = (size_t)(z - r->p);
        memcpy(s + w, r->p, run);
        w += run;
        if (w < n) {
            s[w++] = '\0';
            r->p = z + 2;
        } else {
            r->p = z;
        }
    }
    r->p = q;
    s[n] = '\0';
    out->kind = kind;
    out->u.str.ptr = s;
    out->u.str.len = (int32_t)n;
    return 0;
}

/* Values until KT_END, into a doubling arena array; per = 1 (array,
 * struct) or 2 (map: key, value). */
static int key_decode_seq(Reader *r, Value **items_out, int32_t *n_out, int per, int depth)
{
    Value *items = NULL;
    size_t n = 0, cap = 0;
    EntrySpan prev = {NULL, 0};
    for (;;) {
        if (!have(r, 1))
            return -1;
        if (*r->p == KT_END) {
            r->p++;
            break;
        }
        if (n + (size_t)per > cap) {
            size_t ncap = cap ? cap * 2 : 8;
            items = arena_realloc(r->a, items, cap * sizeof(Value), ncap * sizeof(Value));
            cap = ncap;
        }
        const unsigned char *entry = r->p;
        for (int j = 0; j < per; j++)
            if (key_decode_value(r, &items[n++], depth + 1) != 0)
                return -1;
        /* A map's entries in the encoder's order (sorted by their bytes):
         * any other order would decode to a map that encodes differently. */
        if (per == 2) {
            EntrySpan cur = {entry, (size_t)(r->p - entry)};
            if (prev.p && span_cmp(&prev, &cur) > 0)
                return -1;
            prev = cur;
        }
        if (n / (size_t)per > INT32_MAX)
            return -1;
    }
    *items_out = items;
    *n_out = (int32_t)(n / (size_t)per);
    return 0;
}

static int key_decode_value(Reader *r, Value *out, int depth)
{
    if (depth > CODEC_MAX_DEPTH || !have(r, 1))
        return -1;
    int tag = *r->p++;
    memset(out, 0, sizeof *out);
    if (tag == KT_NULL) {
        out->kind = TYPE_NULL;
        return 0;
    }
    if (tag < KT_BASE || tag >= KT_BASE + TYPE__COUNT || tag == KT_BASE + TYPE_NULL)
        return -1;
    TypeKind kind = (TypeKind)(tag - KT_BASE);
    out->kind = kind;
    switch (kind) {
    case TYPE_BOOLEAN:
        if (!have(r, 1) || *r->p > 1)
            return -1;
        out->u.b = *r->p++ != 0;
        return 0;
    case TYPE_INT:
    case TYPE_DATE:
    case TYPE_TIME:
        if (!have(r, 4))
            return -1;
        out->u.i32 = (int32_t)(get_be32(r->p) ^ 0x80000000U);
        r->p += 4;
        return 0;
    case TYPE_BIGINT:
    case TYPE_TIMESTAMP:
        if (!have(r, 8))
            return -1;
        out->u.i64 = keycodec_get_i64(r->p);
        r->p += 8;
        return 0;
    case TYPE_DOUBLE:
        if (!have(r, 8))
            return -1;
        out->u.d = double_from_key_bits(be64_get(r->p));
        /* Only the encoder's bits: one NaN, no negative zero. */
        if (double_key_bits(out->u.d) != be64_get(r->p))
            return -1;
        r->p += 8;
        return 0;
    case TYPE_DECIMAL:
        return key_decode_decimal(r, out);
    case TYPE_STRING:
    case TYPE_BYTES:
        return key_decode_bytes(r, out, kind);
    case TYPE_ARRAY:
        return key_decode_seq(r, &out->u.arr.items, &out->u.arr.n, 1, depth);
    case TYPE_STRUCT:
        return key_decode_seq(r, &out->u.st.fields, &out->u.st.n, 1, depth);
    case TYPE_MAP: {
        Value *kv;
        int32_t n;
        if (key_decode_seq(r, &kv, &n, 2, depth) != 0)
            return -1;
        out->u.map.n = n;
        out->u.map.keys = n ? arena_alloc(r->a, sizeof(Value) * (size_t)n) : NULL;
        out->u.map.vals = n ? arena_alloc(r->a, sizeof(Value) * (size_t)n) : NULL;
        for (int32_t i = 0; i < n; i++) {
            out->u.map.keys[i] = kv[2 * i];
            out->u.map.vals[i] = kv[2 * i + 1];
        }
        return 0;
    }
    case TYPE_NULL:
    case TYPE__COUNT:
        break;
    }
    return -1;
}

int keycodec_decode_prefix(const void *buf, size_t len, Value *out, int n, size_t *used,
                           Arena *a, EddyError *err)
{
    static const unsigned char empty[1];
    if (buf == NULL) {
        buf = empty;
        len = 0;
    }
    Reader r = {buf, buf, (const unsigned char *)buf + len, a};
    for (int i = 0; i < n; i++)
        if (key_decode_value(&r, &out[i], 0) != 0)
            return eddy_error(err, ERR_RUNTIME, NOPOS,
                              "malformed state key: column %d, byte %zu of %zu", i + 1,
                              (size_t)(r.p - r.start), len);
    if (used)
        *used = (size_t)(r.p - r.start);
    return 0;
}

int keycodec_decode(const void *buf, size_t len, Value *out, int n, Arena *a, EddyError *err)
{
    size_t used = 0;
    if (keycodec_decode_prefix(buf, len, out, n, &used, a, err) != 0)
        return -1;
    if (used != len)
        return eddy_error(err, ERR_RUNTIME, NOPOS,
                          "malformed state key: %zu bytes after %d columns", len - used, n);
    return 0;
}

/* ---- windows ----------------------------------------------------------- */

void keycodec_window(StrBuf *out, int64_t window_start)
{
    sb_put_be64_ordered(out, window_start);
}

int keycodec_split_window(const void *buf, size_t len, size_t *key_len, int64_t *window_start)
{
    if (buf == NULL || len < 8)
        return -1;
    *key_len = len - 8;
    *window_start = keycodec_get_i64((const unsigned char *)buf + len - 8);
    return 0;
}

void keycodec_session(StrBuf *out, int64_t window_end, int64_t window_start)
{
    sb_put_be64_ordered(out, window_end);
    sb_put_be64_ordered(out, window_start);
}

int keycodec_split_session(const void *buf, size_t len, size_t *key_len,
                           int64_t *window_end, int64_t *window_start)
{
    if (buf == NULL || len < 16)
        return -1;
    const unsigned char *p = (const unsigned char *)buf + len - 16;
    *key_len = len - 16;
    *window_end = keycodec_get_i64(p);
    *window_start = keycodec_get_i64(p + 8);
    return 0;
}

/* ======================================================================== */
/* Rows                                                                     */
/* ======================================================================== */

/* Small pieces are staged in a local buffer and appended in one call. */
typedef struct Writer {
    StrBuf *out;
    size_t n;
    unsigned char buf[256];
} Writer;

static void w_flush(Writer *w)
{
    if (w->n) {
        sb_append(w->out, (const char *)w->buf, w->n);
        w->n = 0;
    }
}

static void w_room(Writer *w, size_t n)
{
    if (w->n + n > sizeof w->buf)
        w_flush(w);
}

static void w_byte(Writer *w, unsigned char b)
{
    w_room(w, 1);
    w->buf[w->n++] = b;
}

static void w_uvarint(Writer *w, uint64_t v)
{
    w_room(w, 10);
    while (v >= 0x80) {
        w->buf[w->n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    w->buf[w->n++] = (unsigned char)v;
}

static void w_svarint(Writer *w, int64_t v)
{
    w_uvarint(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static void w_bytes(Writer *w, const void *p, size_t n)
{
    if (n <= sizeof w->buf / 4) {
        w_room(w, n);
        memcpy(w->buf + w->n, p, n);
        w->n += n;
    } else {
        w_flush(w);
        sb_append(w->out, p, n);
    }
}

static int row_encode_value(Writer *w, const Value *v, int depth);

static int row_encode_seq(Writer *w, const Value *items, int32_t n, int depth)
{
    if (n < 0 || (n > 0 && items == NULL))
        return -1;
    w_uvarint(w, (uint64_t)n);
    for (int32_t i = 0; i < n; i++)
        if (row_encode_value(w, &items[i], depth + 1) != 0)
            return -1;
    return 0;
}

static int row_encode_value(Writer *w, const Value *v, int depth)
{
    if (depth > CODEC_MAX_DEPTH || (unsigned)v->kind >= TYPE__COUNT)
        return -1;
    w_byte(w, (unsigned char)v->kind);
    switch (v->kind) {
    case TYPE_NULL:
        return 0;
    case TYPE_BOOLEAN:
        w_byte(w, v->u.b ? 1 : 0);
        return 0;
    case TYPE_INT:
    case TYPE_DATE:
    case TYPE_TIME:
        w_svarint(w, v->u.i32);
        return 0;
    case TYPE_BIGINT:
    case TYPE_TIMESTAMP:
        w_svarint(w, v->u.i64);
        return 0;
    case TYPE_DOUBLE: {
        uint64_t bits;
        memcpy(&bits, &v->u.d, 8);
        unsigned char b[8];
        for (int i = 0; i < 8; i++)
            b[i] = (unsigned char)(bits >> (8 * i));
        w_bytes(w, b, 8);
        return 0;
    }
    case TYPE_DECIMAL:
        w_svarint(w, v->u.dec.unscaled);
        w_svarint(w, v->u.dec.precision);
        w_svarint(w, v->u.dec.scale);
        return 0;
    case TYPE_STRING:
    case TYPE_BYTES:
        if (v->u.str.len < 0 || (v->u.str.len > 0 && v->u.str.ptr == NULL))
            return -1;
        w_uvarint(w, (uint64_t)v->u.str.len);
        w_bytes(w, v->u.str.ptr, (size_t)v->u.str.len);
        return 0;
    case TYPE_ARRAY:
        return row_encode_seq(w, v->u.arr.items, v->u.arr.n, depth);
    case TYPE_STRUCT:
        return row_encode_seq(w, v->u.st.fields, v->u.st.n, depth);
    case TYPE_MAP:
        if (v->u.map.n < 0 || (v->u.map.n > 0 && (v->u.map.keys == NULL || v->u.map.vals == NULL)))
            return -1;
        w_uvarint(w, (uint64_t)v->u.map.n);
        for (int32_t i = 0; i < v->u.map.n; i++)
            if (row_encode_value(w, &v->u.map.keys[i], depth + 1) != 0
                || row_encode_value(w, &v->u.map.vals[i], depth + 1) != 0)
                return -1;
        return 0;
    case TYPE__COUNT:
        break;
    }
    return -1;
}

int rowcodec_encode(const Value *vals, int n, StrBuf *out)
{
    size_t start = out->len;
    Writer w;
    w.out = out;
    w.n = 0;
    if (n < 0)
        return -1;
    w_uvarint(&w, (uint64_t)n);
    for (int i = 0; i < n; i++) {
        if (row_encode_value(&w, &vals[i], 0) != 0) {
            out->len = start;
            if (out->data)
                out->data[start] = '\0';
            return -1;
        }
    }
    w_flush(&w);
    return 0;
}

/* ---- row decoding ------------------------------------------------------ */

static int r_uvarint(Reader *r, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (!have(r, 1))
            return -1;
        unsigned char b = *r->p++;
        if (shift == 63 && b > 1)
            return -1;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

static int r_svarint(Reader *r, int64_t *v)
{
    uint64_t u;
    if (r_uvarint(r, &u) != 0)
        return -1;
    *v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
    return 0;
}

static int r_i32(Reader *r, int32_t *v)
{
    int64_t x;
    if (r_svarint(r, &x) != 0 || x < INT32_MIN || x > INT32_MAX)
        return -1;
    *v = (int32_t)x;
    return 0;
}

/* A count of things that each take at least min_bytes: bounded by the
 * bytes left, so hostile counts cannot make huge allocations. */
static int r_count(Reader *r, size_t min_bytes, int32_t *n)
{
    uint64_t u;
    if (r_uvarint(r, &u) != 0 || u > INT32_MAX || u > (uint64_t)(r->end - r->p) / min_bytes)
        return -1;
    *n = (int32_t)u;
    return 0;
}

static int row_decode_value(Reader *r, Value *out, int depth);

static int row_decode_values(Reader *r, Value **items, int32_t n, int depth)
{
    *items = n ? arena_alloc(r->a, sizeof(Value) * (size_t)n) : NULL;
    for (int32_t i = 0; i < n; i++)
        if (row_decode_value(r, &(*items)[i], depth + 1) != 0)
            return -1;
    return 0;
}

static int row_decode_value(Reader *r, Value *out, int depth)
{
    if (depth > CODEC_MAX_DEPTH || !have(r, 1))
        return -1;
    int kind = *r->p++;
    if (kind >= TYPE__COUNT)
        return -1;
    memset(out, 0, sizeof *out);
    out->kind = (TypeKind)kind;
    switch ((TypeKind)kind) {
    case TYPE_NULL:
        return 0;
    case TYPE_BOOLEAN:
        if (!have(r, 1) || *r->p > 1)
            return -1;
        out->u.b = *r->p++ != 0;
        return 0;
    case TYPE_INT:
    case TYPE_DATE:
    case TYPE_TIME:
        return r_i32(r, &out->u.i32);
    case TYPE_BIGINT:
    case TYPE_TIMESTAMP:
        return r_svarint(r, &out->u.i64);
    case TYPE_DOUBLE: {
        if (!have(r, 8))
            return -1;
        uint64_t bits = 0;
        for (int i = 0; i < 8; i++)
            bits |= (uint64_t)r->p[i] << (8 * i);
        r->p += 8;
        memcpy(&out->u.d, &bits, 8);
        return 0;
    }
    case TYPE_DECIMAL:
        if (r_svarint(r, &out->u.dec.unscaled) != 0 || r_i32(r, &out->u.dec.precision) != 0
            || r_i32(r, &out->u.dec.scale) != 0)
            return -1;
        return decimal_shape_ok(out->u.dec.precision, out->u.dec.scale) ? 0 : -1;
    case TYPE_STRING:
    case TYPE_BYTES: {
        int32_t n;
        if (r_count(r, 1, &n) != 0)
            return -1;
        char *s = arena_alloc(r->a, (size_t)n + 1);
        memcpy(s, r->p, (size_t)n);
        s[n] = '\0';
        r->p += n;
        out->u.str.ptr = s;
        out->u.str.len = n;
        return 0;
    }
    case TYPE_ARRAY:
        if (r_count(r, 1, &out->u.arr.n) != 0)
            return -1;
        return row_decode_values(r, &out->u.arr.items, out->u.arr.n, depth);
    case TYPE_STRUCT:
        if (r_count(r, 1, &out->u.st.n) != 0)
            return -1;
        return row_decode_values(r, &out->u.st.fields, out->u.st.n, depth);
    case TYPE_MAP: {
        int32_t n;
        if (r_count(r, 2, &n) != 0)
            return -1;
        out->u.map.n = n;
        out->u.map.keys = n ? arena_alloc(r->a, sizeof(Value) * (size_t)n) : NULL;
        out->u.map.vals = n ? arena_alloc(r->a, sizeof(Value) * (size_t)n) : NULL;
        for (int32_t i = 0; i < n; i++)
            if (row_decode_value(r, &out->u.map.keys[i], depth + 1) != 0
                || row_decode_value(r, &out->u.map.vals[i], depth + 1) != 0)
                return -1;
        return 0;
    }
    case TYPE__COUNT:
        break;
    }
    return -1;
}

int rowcodec_decode(const void *buf, size_t len, Value *out, int max, int *n,
                    Arena *a, EddyError *err)
{
    static const unsigned char empty[1];
    if (buf == NULL) {
        buf = empty;
        len = 0;
    }
    Reader r = {buf, buf, (const unsigned char *)buf + len, a};
    int32_t count;
    *n = 0;
    if (r_count(&r, 1, &count) != 0)
        return eddy_error(err, ERR_RUNTIME, NOPOS, "malformed state row: bad value count");
    if (count > max)
        return eddy_error(err, ERR_RUNTIME, NOPOS,
                          "malformed state row: %d values, at most %d expected", (int)count, max);
    for (int32_t i = 0; i < count; i++)
        if (row_decode_value(&r, &out[i], 0) != 0)
            return eddy_error(err, ERR_RUNTIME, NOPOS,
                              "malformed state row: value %d, byte %zu of %zu", (int)i + 1,
                              (size_t)(r.p - r.start), len);
    if (r.p != r.end)
        return eddy_error(err, ERR_RUNTIME, NOPOS,
                          "malformed state row: %zu bytes after %d values",
                          (size_t)(r.end - r.p), (int)count);
    *n = count;
    return 0;
}
