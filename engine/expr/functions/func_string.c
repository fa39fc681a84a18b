/*
 * func_string.c - string and bytes functions of the builtin registry (the
 * table is in functions.c): case, length, SUBSTRING, TRIM, CONCAT, INSTR,
 * REPLACE, padding, SPLIT, masking, CHR/ELT/FIELD/UUID, the encodings
 * (ENCODE, TO_BYTES, FROM_BYTES) and BYTES -> number conversions.
 * Regular expressions are in func_regex.c.
 *
 * In:  argument Values already cast to the overload's parameter types.
 * Out: a Value allocated in ctx->arena, or -1 with ctx->err set (the
 *      evaluator then yields NULL and counts the row's error).
 *
 * Characters: ksqlDB runs on Java strings (UTF-16); eddy's strings are
 * UTF-8.  Lengths and positions (LEN, SUBSTRING, INSTR, LPAD, ...) count
 * Unicode code points, which equals Java's count for every character of
 * the Basic Multilingual Plane (a character outside it counts 1 here, 2
 * in Java).  Bytes that are not valid UTF-8 count one each.  Case mapping
 * covers ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic.
 */
#define _GNU_SOURCE   /* memmem */
#include "func_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- case -------------------------------------------------------------- */

/* Simple one-to-one case mapping for the scripts in the file comment. */
static uint32_t cp_upper(uint32_t c)
{
    if (c < 0x80)
        return c >= 'a' && c <= 'z' ? c - 32 : c;
    if ((c >= 0xE0 && c <= 0xFE && c != 0xF7))
        return c - 32;
    if (c == 0xFF)
        return 0x178;
    if (c == 0xB5)
        return 0x39C;
    if (c >= 0x100 && c <= 0x17F) {
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
            return c % 2 == 0 ? c - 1 : c;
        if (c == 0x131)
            return 'I';
        if (c == 0x17F)
            return 'S';
        if (c == 0x138 || c == 0x149)
            return c;
        return c % 2 == 1 ? c - 1 : c;
    }
    if (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2)
        return c - 32;
    if (c == 0x3C2)
        return 0x3A3;
    if (c >= 0x3AC && c <= 0x3AF)
        return c == 0x3AC ? 0x386 : c - 37;
    if (c >= 0x430 && c <= 0x44F)
        return c - 32;
    if (c >= 0x450 && c <= 0x45F)
        return c - 80;
    return c;
}

static uint32_t cp_lower(uint32_t c)
{
    if (c < 0x80)
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
        return c + 32;
    if (c == 0x178)
        return 0xFF;
    if (c >= 0x100 && c <= 0x17F) {
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
            return c % 2 == 1 ? c + 1 : c;
        if (c == 0x130)
            return 'i';
        if (c == 0x138 || c == 0x149 || c == 0x131 || c == 0x17F)
            return c;
        return c % 2 == 0 ? c + 1 : c;
    }
    if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2)
        return c + 32;
    if (c == 0x386)
        return 0x3AC;
    if (c >= 0x388 && c <= 0x38A)
        return c + 37;
    if (c >= 0x410 && c <= 0x42F)
        return c + 32;
    if (c >= 0x400 && c <= 0x40F)
        return c + 80;
    return c;
}

static bool cp_is_upper(uint32_t c)
{
    return !cp_invalid(c) && cp_lower(c) != c;
}

static bool cp_is_lower(uint32_t c)
{
    return !cp_invalid(c) && (cp_upper(c) != c || c == 0xDF);
}

static int map_case(const Value *s, Value *out, FuncCtx *ctx, bool upper)
{
    ABuf b;
    ab_init(&b, ctx->arena, (size_t)s->u.str.len + 1);
    const char *p = s->u.str.ptr;
    size_t n = (size_t)s->u.str.len;
    for (size_t i = 0; i < n;) {
        uint32_t cp = u8_next(p, n, &i);
        char enc[4];
        ab_put(&b, enc, (size_t)u8_encode(upper ? cp_upper(cp) : cp_lower(cp), enc));
    }
    return ab_done(&b, TYPE_STRING, out, ctx, upper ? "UCASE" : "LCASE");
}

int fn_ucase(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    if (v_is_null(&a[0]))
        RETURN_NULL;
    return map_case(&a[0], out, ctx, true);
}

int fn_lcase(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    if (v_is_null(&a[0]))
        RETURN_NULL;
    return map_case(&a[0], out, ctx, false);
}

/* Java's Pattern \s: space, \t \n \x0B \f \r. */
static bool java_space(uint32_t c)
{
    return c == ' ' || (c >= 9 && c <= 13);
}

int fn_initcap(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    if (v_is_null(&a[0]))
        RETURN_NULL;
    ABuf b;
    ab_init(&b, ctx->arena, (size_t)a[0].u.str.len + 1);
    const char *p = a[0].u.str.ptr;
    size_t len = (size_t)a[0].u.str.len;
    bool word_start = true;
    for (size_t i = 0; i < len;) {
        uint32_t cp = u8_next(p, len, &i);
        char enc[4];
        if (java_space(cp)) {
            word_start = true;
            ab_put(&b, enc, (size_t)u8_encode(cp, enc));
            continue;
        }
        ab_put(&b, enc, (size_t)u8_encode(word_start ? cp_upper(cp_lower(cp)) : cp_lower(cp), enc));
        word_start = false;
    }
    return ab_done(&b, TYPE_STRING, out, ctx, "INITCAP");
}

/* ---- length, substring, trim ---------------------------------------- */

int fn_len_string(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n, (void)ctx;
    if (v_is_null(&a[0]))
        RETURN_NULL;
    *out = v_int((int32_t)u8_count(a[0].u.str.ptr, (size_t)a[0].u.str.len));
    return 0;
}

int fn_len_bytes(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n, (void)ctx;
    if (v_is_null(&a[0]))
        RETURN_NULL;
    *out = v_int(a[0].u.str.len);
    return 0;
}

/* ksqlDB's SUBSTRING index rules, in units of `count` characters. */
static void substring_range(int64_t count, int64_t pos, bool has_len, int64_t len, int64_t *start, int64_t *end)
{
    int64_t s = pos < 0 ? count + pos : pos - 1;
    if (pos >= 0 && s > count)
        s = count;
    if (s < 0)
        s = 0;
    int64_t e = count;
    if (has_len) {
        e = s + len;
        if (e > count)
            e = count;
        if (e < s)
            e = s;
    }
    *start = s;
    *end = e;
}

int fn_substring(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    for (int i = 0; i < n; i++)
        if (v_is_null(&a[i]))
            RETURN_NULL;
    const char *p = a[0].u.str.ptr;
    size_t bytes = (size_t)a[0].u.str.len;
    bool is_bytes = a[0].kind == TYPE_BYTES;
    int64_t count = is_bytes ? (int64_t)bytes : (int64_t)u8_count(p, bytes);
    int64_t s, e;
    substring_range(count, a[1].u.i32, n > 2, n > 2 ? a[2].u.i32 : 0, &s, &e);
    size_t bs = is_bytes ? (size_t)s : u8_offset(p, bytes, (size_t)s);
    size_t be = is_bytes ? (size_t)e : bs + u8_offset(p + bs, bytes - bs, (size_t)(e - s));
    *out = str_value(ctx->arena, p + bs, be - bs, a[0].kind);
    return 0;
}

/* Java's String.trim: strips characters <= U+0020 from the chosen ends. */
static int trim_impl(const Value *a, Value *out, FuncCtx *ctx, bool left, bool right)
{
    if (v_is_null(&a[0]))
        RETURN_NULL;
    const unsigned char *p = (const unsigned char *)a[0].u.str.ptr;
    size_t s = 0, e = (size_t)a[0].u.str.len;
    if (left)
        while (s < e && p[s] <= ' ')
            s++;
    if (right)
        while (e > s && p[e - 1] <= ' ')
            e--;
    *out = v_string(ctx->arena, (const char *)p + s, (int32_t)(e - s));
    return 0;
}

int fn_trim(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    return trim_impl(a, out, ctx, true, true);
}

int fn_ltrim(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    return trim_impl(a, out, ctx, true, false);
}

int fn_rtrim(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    return trim_impl(a, out, ctx, false, true);
}

/* ---- concat ----------------------------------------------------------- */

int fn_concat(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    size_t total = 0;
    TypeKind kind = TYPE_STRING;
    for (int i = 0; i < n; i++)
        if (!v_is_null(&a[i])) {
            total += (size_t)a[i].u.str.len;
            kind = a[i].kind;
        }
    if (total > FUNC_MAX_RESULT)
        return func_fail(ctx, "CONCAT: result would exceed %d bytes", FUNC_MAX_RESULT);
    ABuf b;
    ab_init(&b, ctx->arena, total + 1);
    for (int i = 0; i < n; i++)
        if (!v_is_null(&a[i]))
            ab_put(&b, a[i].u.str.ptr, (size_t)a[i].u.str.len);
    return ab_done(&b, kind, out, ctx, "CONCAT");
}

int fn_concat_bytes(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    int rc = fn_concat(a, n, out, ctx);
    if (rc == 0)
        out->kind = TYPE_BYTES;
    return rc;
}

int fn_concat_ws(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    if (v_is_null(&a[0]))
        RETURN_NULL;
    ABuf b;
    ab_init(&b, ctx->arena, 64);
    bool first = true;
    for (int i = 1; i < n; i++) {
        if (v_is_null(&a[i]))
            continue;
        if (!first)
            ab_put(&b, a[0].u.str.ptr, (size_t)a[0].u.str.len);
        ab_put(&b, a[i].u.str.ptr, (size_t)a[i].u.str.len);
        first = false;
    }
    return ab_done(&b, a[0].kind, out, ctx, "CONCAT_WS");
}

/* ---- search and replace ---------------------------------------------- */

/* Byte index of the ordinal-th (1-based) occurrence of sub in s, counting
 * overlapping occurrences (commons-lang ordinalIndexOf); -1 if none. */
static int64_t ordinal_index(const char *s, size_t n, const char *sub, size_t m, int64_t ordinal)
{
    if (ordinal <= 0)
        return -1;
    if (m == 0)
        return 0;
    int64_t found = 0;
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(s + i, sub, m) == 0 && ++found == ordinal)
            return (int64_t)i;
    return -1;
}

/* Reverses a UTF-8 string by code points into the arena. */
static char *u8_reverse(Arena *a, const char *s, size_t n)
{
    char *r = arena_alloc(a, n + 1);
    size_t w = n;
    for (size_t i = 0; i < n;) {
        size_t st = i;
        u8_next(s, n, &i);
        w -= i - st;
        memcpy(r + w, s + st, i - st);
    }
    return r;
}

int fn_instr(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    if (v_is_null(&a[0]) || v_is_null(&a[1])) {
        *out = v_int(0);
        return 0;
    }
    if ((n > 2 && v_is_null(&a[2])) || (n > 3 && v_is_null(&a[3])))
        RETURN_NULL;
    int64_t position = n > 2 ? a[2].u.i32 : 1;
    int64_t occurrence = n > 3 ? a[3].u.i32 : 1;
    const char *s = a[0].u.str.ptr, *sub = a[1].u.str.ptr;
    size_t sn = (size_t)a[0].u.str.len, subn = (size_t)a[1].u.str.len;
    int64_t len = (int64_t)u8_count(s, sn);
    int64_t sublen = (int64_t)u8_count(sub, subn);
    *out = v_int(0);
    if (position == 0 || position > len || -position > len)
        return 0;
    bool reversed = position < 0;
    if (reversed) {
        s = u8_reverse(ctx->arena, s, sn);
        sub = u8_reverse(ctx->arena, sub, subn);
        position = -position;
    }
    size_t from = u8_offset(s, sn, (size_t)(position - 1));
    int64_t bi = ordinal_index(s + from, sn - from, sub, subn, occurrence);
    if (bi < 0)
        return 0;
    int64_t i = (int64_t)u8_count(s + from, (size_t)bi);   /* in characters */
    *out = v_int((int32_t)(reversed ? len - position - i - sublen + 2 : i + position));
    return 0;
}

/* Java's String.replace: every occurrence, left to right; an empty target
 * inserts the replacement around every character. */
int fn_replace(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    if (v_is_null(&a[0]) || v_is_null(&a[1]) || v_is_null(&a[2]))
        RETURN_NULL;
    const char *s = a[0].u.str.ptr, *t = a[1].u.str.ptr, *r = a[2].u.str.ptr;
    size_t sn = (size_t)a[0].u.str.len, tn = (size_t)a[1].u.str.len, rn = (size_t)a[2].u.str.len;
    ABuf b;
    ab_init(&b, ctx->arena, sn + 16);
    if (tn == 0) {
        ab_put(&b, r, rn);
        for (size_t i = 0; i < sn && !b.overflow;) {
            size_t st = i;
            u8_next(s, sn, &i);
            ab_put(&b, s + st, i - st);
            ab_put(&b, r, rn);
        }
        return ab_done(&b, TYPE_STRING, out, ctx, "REPLACE");
    }
    size_t i = 0;
    while (i < sn && !b.overflow) {
        const char *hit = tn <= sn - i ? memmem(s + i, sn - i, t, tn) : NULL;
        if (hit == NULL)
            break;
        ab_put(&b, s + i, (size_t)(hit - (s + i)));
        ab_put(&b, r, rn);
        i = (size_t)(hit - s) + tn;
    }
    ab_put(&b, s + i, sn - i);
    return ab_done(&b, TYPE_STRING, out, ctx, "REPLACE");
}

/* ---- padding ------------------------------------------------------------ */

static int pad_impl(const Value *a, Value *out, FuncCtx *ctx, bool left)
{
    if (v_is_null(&a[0]) || v_is_null(&a[1]) || v_is_null(&a[2]))
        RETURN_NULL;
    int64_t target = a[1].u.i32;
    const char *in = a[0].u.str.ptr, *pad = a[2].u.str.ptr;
    size_t inb = (size_t)a[0].u.str.len, padb = (size_t)a[2].u.str.len;
    if (padb == 0 || target < 0)
        RETURN_NULL;
    bool bytes = a[0].kind == TYPE_BYTES;
    int64_t inlen = bytes ? (int64_t)inb : (int64_t)u8_count(in, inb);
    int64_t padlen = bytes ? (int64_t)padb : (int64_t)u8_count(pad, padb);
    /* Worst case 4 bytes per character. */
    if ((uint64_t)target * (bytes ? 1 : 4) > FUNC_MAX_RESULT && target > inlen)
        return func_fail(ctx, "%s: result would exceed %d bytes", left ? "LPAD" : "RPAD", FUNC_MAX_RESULT);
    ABuf b;
    ab_init(&b, ctx->arena, (size_t)(target < inlen ? inb : (size_t)target * (bytes ? 1 : 2)) + 1);
    int64_t need = target > inlen ? target - inlen : 0;
    int64_t keep = target < inlen ? target : inlen;
    size_t keepb = bytes ? (size_t)keep : u8_offset(in, inb, (size_t)keep);
    if (!left)
        ab_put(&b, in, keepb);
    int64_t whole = need / padlen, rest = need % padlen;
    for (int64_t k = 0; k < whole && !b.overflow; k++)
        ab_put(&b, pad, padb);
    ab_put(&b, pad, bytes ? (size_t)rest : u8_offset(pad, padb, (size_t)rest));
    if (left)
        ab_put(&b, in, keepb);
    return ab_done(&b, a[0].kind, out, ctx, left ? "LPAD" : "RPAD");
}

int fn_lpad(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    return pad_impl(a, out, ctx, true);
}

int fn_rpad(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    return pad_impl(a, out, ctx, false);
}

/* ---- split -------------------------------------------------------------- */

int fn_split(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    if (v_is_null(&a[0]) || v_is_null(&a[1]))
        RETURN_NULL;
    TypeKind kind = a[0].kind;
    const char *s = a[0].u.str.ptr, *d = a[1].u.str.ptr;
    size_t sn = (size_t)a[0].u.str.len, dn = (size_t)a[1].u.str.len;
    VVec v = {.a = ctx->arena};
    if (dn == 0) {
        /* Every character (or byte) on its own; "" gives [""]. */
        if (sn == 0)
            vv_push(&v, str_value(ctx->arena, "", 0, kind));
        for (size_t i = 0; i < sn;) {
            size_t st = i;
            if (kind == TYPE_BYTES)
                i++;
            else
                u8_next(s, sn, &i);
            vv_push(&v, str_value(ctx->arena, s + st, i - st, kind));
        }
    } else {
        size_t i = 0;
        for (;;) {
            const char *hit = dn <= sn - i ? memmem(s + i, sn - i, d, dn) : NULL;
            if (hit == NULL)
                break;
            vv_push(&v, str_value(ctx->arena, s + i, (size_t)(hit - (s + i)), kind));
            i = (size_t)(hit - s) + dn;
        }
        vv_push(&v, str_value(ctx->arena, s + i, sn - i, kind));
    }
    *out = array_of(v.items, v.n);
    return 0;
}

int fn_split_to_map(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    if (v_is_null(&a[0]) || v_is_null(&a[1]) || v_is_null(&a[2]))
        RETURN_NULL;
    const char *s = a[0].u.str.ptr, *ed = a[1].u.str.ptr, *kd = a[2].u.str.ptr;
    size_t sn = (size_t)a[0].u.str.len, en = (size_t)a[1].u.str.len, kn = (size_t)a[2].u.str.len;
    if (en == 0 || kn == 0 || (en == kn && memcmp(ed, kd, en) == 0))
        RETURN_NULL;
    VVec keys = {.a = ctx->arena}, vals = {.a = ctx->arena};
    size_t i = 0;
    while (i <= sn) {
        const char *hit = en <= sn - i ? memmem(s + i, sn - i, ed, en) : NULL;
        size_t end = hit ? (size_t)(hit - s) : sn;
        const char *entry = s + i;
        size_t elen = end - i;
        const char *kv = elen >= kn ? memmem(entry, elen, kd, kn) : NULL;
        if (elen > 0 && kv) {
            /* key = text before the first kv delimiter; value = text up to the next one. */
            const char *vstart = kv + kn;
            size_t vrest = elen - (size_t)(vstart - entry);
            const char *vend = vrest >= kn ? memmem(vstart, vrest, kd, kn) : NULL;
            size_t vlen = vend ? (size_t)(vend - vstart) : vrest;
            Value key = v_string(ctx->arena, entry, (int32_t)(kv - entry));
            Value val = v_string(ctx->arena, vstart, (int32_t)vlen);
            map_put(&keys, &vals, &key, &val);   /* the latest value for a key wins */
        }
        if (hit == NULL)
            break;
        i = end + en;
    }
    *out = map_of(keys.items, vals.items, keys.n);
    return 0;
}

/* ---- masking ---------------------------------------------------------- */

#define NO_MASK 0xFFFFFFFFu

typedef struct Masker {
    uint32_t upper, lower, digit, other;
} Masker;

static const Masker default_mask = {'X', 'x', 'n', '-'};

static int mask_char(const Value *v, uint32_t *out, FuncCtx *ctx)
{
    if (v_is_null(v)) {
        *out = NO_MASK;
        return 0;
    }
    size_t i = 0, n = (size_t)v->u.str.len;
    if (n == 0)
        return func_fail(ctx, "Invalid mask character. Must be only single character, but was ''");
    uint32_t cp = u8_next(v->u.str.ptr, n, &i);
    if (i != n)
        return func_fail(ctx, "Invalid mask character. Must be only single character, but was '%.40s'", v->u.str.ptr);
    *out = cp;
    return 0;
}

static int masker_from(const Value *a, Masker *m, FuncCtx *ctx)
{
    if (mask_char(&a[0], &m->upper, ctx) || mask_char(&a[1], &m->lower, ctx) ||
        mask_char(&a[2], &m->digit, ctx) || mask_char(&a[3], &m->other, ctx))
        return -1;
    return 0;
}

static uint32_t mask_one(const Masker *m, uint32_t c)
{
    uint32_t r;
    if (cp_is_upper(c))
        r = m->upper;
    else if (cp_is_lower(c))
        r = m->lower;
    else if (c >= '0' && c <= '9')
        r = m->digit;
    else
        r = m->other;
    return r == NO_MASK ? c : r;
}

/* Masks characters [from, to) of s (in characters), copying the rest. */
static int mask_range(const Value *s, const Masker *m, int64_t from, int64_t to, Value *out, FuncCtx *ctx)
{
    ABuf b;
    ab_init(&b, ctx->arena, (size_t)s->u.str.len + 1);
    const char *p = s->u.str.ptr;
    size_t n = (size_t)s->u.str.len;
    int64_t k = 0;
    for (size_t i = 0; i < n; k++) {
        size_t st = i;
        uint32_t cp = u8_next(p, n, &i);
        if (k >= from && k < to) {
            char enc[4];
            ab_put(&b, enc, (size_t)u8_encode(mask_one(m, cp), enc));
        } else
            ab_put(&b, p + st, i - st);
    }
    return ab_done(&b, TYPE_STRING, out, ctx, "MASK");
}

int fn_mask(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    Masker m = default_mask;
    if (n == 5 && masker_from(a + 1, &m, ctx) != 0)
        return -1;
    if (v_is_null(&a[0]))
        RETURN_NULL;
    return mask_range(&a[0], &m, 0, INT64_MAX, out, ctx);
}

/* which: 0 = MASK_LEFT, 1 = MASK_RIGHT, 2 = MASK_KEEP_LEFT, 3 = MASK_KEEP_RIGHT */
static int mask_part(const Value *a, int n, Value *out, FuncCtx *ctx, int which)
{
    static const char *const names[] = {"mask_left", "mask_right", "mask_keep_left", "mask_keep_right"};
    Masker m = default_mask;
    if (n == 6 && masker_from(a + 2, &m, ctx) != 0)
        return -1;
    if (v_is_null(&a[1]))
        RETURN_NULL;
    int64_t k = a[1].u.i32;
    if (k < 0)
        return func_fail(ctx, "function %s requires a non-negative number of characters to mask or skip",
                         names[which]);
    if (v_is_null(&a[0]))
        RETURN_NULL;
    int64_t len = (int64_t)u8_count(a[0].u.str.ptr, (size_t)a[0].u.str.len);
    switch (which) {
    case 0: return mask_range(&a[0], &m, 0, k, out, ctx);
    case 1: return mask_range(&a[0], &m, len - k, len, out, ctx);
    case 2: return mask_range(&a[0], &m, k, len, out, ctx);
    default: return mask_range(&a[0], &m, 0, len - k, out, ctx);
    }
}

int fn_mask_left(const Value *a, int n, Value *out, FuncCtx *ctx) { return mask_part(a, n, out, ctx, 0); }
int fn_mask_right(const Value *a, int n, Value *out, FuncCtx *ctx) { return mask_part(a, n, out, ctx, 1); }
int fn_mask_keep_left(const Value *a, int n, Value *out, FuncCtx *ctx) { return mask_part(a, n, out, ctx, 2); }
int fn_mask_keep_right(const Value *a, int n, Value *out, FuncCtx *ctx) { return mask_part(a, n, out, ctx, 3); }

/* ---- CHR, ELT, FIELD, UUID ------------------------------------------- */

int fn_chr_int(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    if (v_is_null(&a[0]))
        RETURN_NULL;
    int32_t cp = a[0].u.i32;
    /* Java accepts surrogates as code points; UTF-8 cannot hold a lone one. */
    if (cp < 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000))
        RETURN_NULL;
    char enc[4];
    *out = v_string(ctx->arena, enc, u8_encode((uint32_t)cp, enc));
    return 0;
}

/* CHR('\u004b'): Java-unescapes the text (\uXXXX, surrogate pairs joined). */
int fn_chr_string(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    if (v_is_null(&a[0]))
        RETURN_NULL;
    const char *s = a[0].u.str.ptr;
    size_t len = (size_t)a[0].u.str.len;
    if (len < 6 || s[0] != '\\' || s[1] != 'u')
        RETURN_NULL;
    ABuf b;
    ab_init(&b, ctx->arena, len + 1);
    for (size_t i = 0; i < len;) {
        if (s[i] == '\\' && i + 1 < len && s[i + 1] == 'u') {
            size_t j = i + 1;
            while (j < len && s[j] == 'u')
                j++;
            if (j + 4 > len)
                return func_fail(ctx, "Less than 4 hex digits in unicode value: '%.20s'", s + i);
            uint32_t cp = 0;
            for (int k = 0; k < 4; k++) {
                int h = hexval(s[j + (size_t)k]);
                if (h < 0)
                    return func_fail(ctx, "Unable to parse unicode value: %.4s", s + j);
                cp = cp * 16 + (uint32_t)h;
            }
            i = j + 4;
            if (cp >= 0xD800 && cp < 0xDC00 && i + 6 <= len && s[i] == '\\' && s[i + 1] == 'u') {
                uint32_t lo = 0;
                bool ok = true;
                for (int k = 0; k < 4; k++) {
                    int h = hexval(s[i + 2 + (size_t)k]);
                    ok = ok && h >= 0;
                    lo = lo * 16 + (uint32_t)(h < 0 ? 0 : h);
                }
                if (ok && lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
            }
            if (cp >= 0xD800 && cp < 0xE000)
                RETURN_NULL;
            char enc[4];
            ab_put(&b, enc, (size_t)u8_encode(cp, enc));
        } else {
            ab_putc(&b, s[i++]);
        }
    }
    return ab_done(&b, TYPE_STRING, out, ctx, "CHR");
}

int fn_elt(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)ctx;
    if (v_is_null(&a[0]))
        RETURN_NULL;
    int32_t k = a[0].u.i32;
    if (k < 1 || k > n - 1)
        RETURN_NULL;
    *out = a[k];
    return 0;
}

int fn_field(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)ctx;
    *out = v_int(0);
    if (v_is_null(&a[0]))
        return 0;
    for (int i = 1; i < n; i++)
        if (!v_is_null(&a[i]) && a[i].u.str.len == a[0].u.str.len &&
            memcmp(a[i].u.str.ptr, a[0].u.str.ptr, (size_t)a[0].u.str.len) == 0) {
            *out = v_int(i);
            return 0;
        }
    return 0;
}

int fn_uuid(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)a, (void)n;
    uint64_t hi = func_random_u64(), lo = func_random_u64();
    hi = (hi & ~0xF000ULL) | 0x4000ULL;                       /* version 4 */
    lo = (lo & ~(0xC0ULL << 56)) | (0x80ULL << 56);          /* IETF variant */
    char buf[37];
    snprintf(buf, sizeof buf, "%08llx-%04llx-%04llx-%04llx-%012llx", (unsigned long long)(hi >> 32),
             (unsigned long long)((hi >> 16) & 0xFFFF), (unsigned long long)(hi & 0xFFFF),
             (unsigned long long)(lo >> 48), (unsigned long long)(lo & 0xFFFFFFFFFFFFULL));
    *out = v_string(ctx->arena, buf, 36);
    return 0;
}

/* ---- encodings ------------------------------------------------------ */

typedef enum Enc { ENC_HEX, ENC_UTF8, ENC_ASCII, ENC_BASE64, ENC_BAD } Enc;

static Enc enc_parse(const Value *v)
{
    static const char *const names[] = {"hex", "utf8", "ascii", "base64"};
    for (int i = 0; i < 4; i++)
        if (str_ieq(v->u.str.ptr, names[i]))
            return (Enc)i;
    return ENC_BAD;
}

/* Decodes text in encoding e into raw bytes (in the arena). */
static int enc_decode(const char *s, size_t n, Enc e, bool strip_hex, Value *bytes, FuncCtx *ctx)
{
    if (e == ENC_HEX) {
        if (strip_hex) {
            if (n >= 2 && s[0] == '0' && s[1] == 'x') {
                s += 2, n -= 2;
            } else if (n >= 3 && (s[0] == 'x' || s[0] == 'X') && s[1] == '\'' && s[n - 1] == '\'') {
                s += 2, n -= 3;
            }
        }
        bool odd = n % 2 != 0;
        size_t outn = (n + 1) / 2;
        unsigned char *p = arena_alloc(ctx->arena, outn + 1);
        for (size_t i = 0, j = 0; i < n; j++) {
            int hi = 0, lo;
            if (!(odd && j == 0)) {
                hi = hexval(s[i++]);
            }
            lo = hexval(s[i++]);
            if (hi < 0 || lo < 0)
                return func_fail(ctx, "Illegal hexadecimal character in '%.40s'", s);
            p[j] = (unsigned char)(hi * 16 + lo);
        }
        *bytes = v_string_borrow((const char *)p, (int32_t)outn);
        bytes->kind = TYPE_BYTES;
        return 0;
    }
    if (e == ENC_BASE64) {
        if (value_base64_decode(s, n, ctx->arena, bytes) != 0)
            return func_fail(ctx, "Illegal base64 input '%.40s'", s);
        bytes->kind = TYPE_BYTES;
        return 0;
    }
    /* utf8 / ascii text: Java's getBytes(US_ASCII) turns non-ASCII characters into '?'. */
    if (e == ENC_ASCII) {
        ABuf b;
        ab_init(&b, ctx->arena, n + 1);
        for (size_t i = 0; i < n;) {
            uint32_t cp = u8_next(s, n, &i);
            ab_putc(&b, cp < 0x80 ? (char)cp : '?');
        }
        *bytes = v_string_borrow(b.p, (int32_t)b.len);
    } else {
        *bytes = v_string(ctx->arena, s, (int32_t)n);
    }
    bytes->kind = TYPE_BYTES;
    return 0;
}

/* Encodes raw bytes as text in encoding e (bytes that are not valid
 * UTF-8 / ASCII become U+FFFD, as Java's new String does).  Hex digits:
 * lower-case for ENCODE, upper-case for FROM_BYTES, as ksqlDB writes them
 * (its QTT encode.json and bytes-and-strings.json). */
static int enc_encode(const char *p, size_t n, Enc e, bool upper_hex, Value *out, FuncCtx *ctx)
{
    ABuf b;
    if (e == ENC_HEX) {
        const char *hx = upper_hex ? "0123456789ABCDEF" : "0123456789abcdef";
        ab_init(&b, ctx->arena, n * 2 + 1);
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)p[i];
            ab_putc(&b, hx[c >> 4]);
            ab_putc(&b, hx[c & 15]);
        }
        return ab_done(&b, TYPE_STRING, out, ctx, "ENCODE");
    }
    if (e == ENC_BASE64) {
        StrBuf *sb = func_scratch();
        value_base64_encode(p, n, sb);
        *out = v_string(ctx->arena, sb->data ? sb->data : "", (int32_t)sb->len);
        return 0;
    }
    ab_init(&b, ctx->arena, n + 1);
    for (size_t i = 0; i < n;) {
        if (e == ENC_ASCII) {
            unsigned char c = (unsigned char)p[i++];
            if (c < 0x80)
                ab_putc(&b, (char)c);
            else
                ab_put(&b, "\xEF\xBF\xBD", 3);
            continue;
        }
        size_t st = i;
        uint32_t cp = u8_next(p, n, &i);
        if (cp_invalid(cp))
            ab_put(&b, "\xEF\xBF\xBD", 3);
        else
            ab_put(&b, p + st, i - st);
    }
    return ab_done(&b, TYPE_STRING, out, ctx, "ENCODE");
}

int fn_encode(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    if (v_is_null(&a[0]) || v_is_null(&a[1]) || v_is_null(&a[2]))
        RETURN_NULL;
    Enc in = enc_parse(&a[1]), to = enc_parse(&a[2]);
    if (in == ENC_BAD || to == ENC_BAD || in == to)
        return func_fail(ctx, "Supported input and output encodings are: hex, utf8, ascii and base64");
    Value raw;
    if (enc_decode(a[0].u.str.ptr, (size_t)a[0].u.str.len, in, true, &raw, ctx) != 0)
        return -1;
    return enc_encode(raw.u.str.ptr, (size_t)raw.u.str.len, to, false, out, ctx);
}

int fn_to_bytes(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    if (v_is_null(&a[0]) || v_is_null(&a[1]))
        RETURN_NULL;
    Enc e = enc_parse(&a[1]);
    if (e == ENC_BAD)
        return func_fail(ctx, "Supported encoding types are: hex, utf8, ascii and base64");
    return enc_decode(a[0].u.str.ptr, (size_t)a[0].u.str.len, e, false, out, ctx);
}

int fn_from_bytes(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    if (v_is_null(&a[0]) || v_is_null(&a[1]))
        RETURN_NULL;
    Enc e = enc_parse(&a[1]);
    if (e == ENC_BAD)
        return func_fail(ctx, "Supported encoding types are: hex, utf8, ascii and base64");
    return enc_encode(a[0].u.str.ptr, (size_t)a[0].u.str.len, e, true, out, ctx);
}

/* ---- BYTES -> numbers ------------------------------------------------- */

static int from_bytes(const Value *a, int n, Value *out, int width, TypeKind kind)
{
    if (v_is_null(&a[0]) || (n > 1 && v_is_null(&a[1])))
        RETURN_NULL;
    bool little = false;
    if (n > 1) {
        if (str_ieq(a[1].u.str.ptr, "LITTLE_ENDIAN"))
            little = true;
        else if (!str_ieq(a[1].u.str.ptr, "BIG_ENDIAN"))
            RETURN_NULL;
    }
    if (a[0].u.str.len != width)
        RETURN_NULL;
    const unsigned char *p = (const unsigned char *)a[0].u.str.ptr;
    uint64_t v = 0;
    for (int i = 0; i < width; i++)
        v = (v << 8) | p[little ? width - 1 - i : i];
    if (kind == TYPE_INT)
        *out = v_int((int32_t)(uint32_t)v);
    else if (kind == TYPE_BIGINT)
        *out = v_bigint((int64_t)v);
    else {
        double d;
        memcpy(&d, &v, sizeof d);
        *out = v_double(d);
    }
    return 0;
}

int fn_int_from_bytes(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)ctx;
    return from_bytes(a, n, out, 4, TYPE_INT);
}

int fn_bigint_from_bytes(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)ctx;
    return from_bytes(a, n, out, 8, TYPE_BIGINT);
}

int fn_double_from_bytes(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)ctx;
    return from_bytes(a, n, out, 8, TYPE_DOUBLE);
}
