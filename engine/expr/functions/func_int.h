/*
 * func_int.h - private to the scalar functions (engine/expr/functions/):
 * the list of implementations the registry's table (functions.c) names,
 * and the helpers the implementation files (func_*.c) share.
 *
 * Every implementation is a ScalarFn (functions.h).  Its arguments are
 * borrowed and already cast to the overload's parameter types; its result
 * is built in ctx->arena or borrows from the arguments (ELT returns one of
 * them, SLICE and MAP_KEYS point into theirs), which live at least as long
 * as that arena.  A per-row problem is reported with func_fail and yields
 * -1; the evaluator turns it into NULL.  No implementation mallocs per
 * call: text is built in func_scratch() or an ABuf, then lives in the
 * arena.
 */
#ifndef EDDY_FUNC_INT_H
#define EDDY_FUNC_INT_H

#include "eddy/engine/functions.h"

#include <string.h>

/* ---- the implementations (X-macro: C name), by file -------------------- */

#define FUNC_IMPLS(X)                                                                       \
    /* func_string.c */                                                                     \
    X(fn_ucase) X(fn_lcase) X(fn_initcap) X(fn_len_string) X(fn_len_bytes) X(fn_substring)  \
    X(fn_trim) X(fn_ltrim) X(fn_rtrim) X(fn_concat) X(fn_concat_bytes) X(fn_concat_ws)      \
    X(fn_instr) X(fn_replace) X(fn_lpad) X(fn_rpad) X(fn_split) X(fn_split_to_map)          \
    X(fn_mask) X(fn_mask_left) X(fn_mask_right) X(fn_mask_keep_left) X(fn_mask_keep_right)  \
    X(fn_chr_int) X(fn_chr_string) X(fn_elt) X(fn_field) X(fn_uuid) X(fn_encode)            \
    X(fn_to_bytes) X(fn_from_bytes) X(fn_int_from_bytes) X(fn_bigint_from_bytes)            \
    X(fn_double_from_bytes)                                                                 \
    /* func_regex.c */                                                                      \
    X(fn_regexp_extract) X(fn_regexp_extract_all) X(fn_regexp_replace) X(fn_regexp_split)   \
    /* func_math.c */                                                                       \
    X(fn_abs) X(fn_ceil) X(fn_floor) X(fn_sign) X(fn_round) X(fn_trunc) X(fn_sqrt)          \
    X(fn_cbrt) X(fn_exp) X(fn_ln) X(fn_log) X(fn_power) X(fn_acos) X(fn_asin) X(fn_atan)    \
    X(fn_atan2) X(fn_cos) X(fn_cosh) X(fn_cot) X(fn_sin) X(fn_sinh) X(fn_tan) X(fn_tanh)    \
    X(fn_degrees) X(fn_radians) X(fn_pi) X(fn_random) X(fn_greatest) X(fn_least)            \
    X(fn_geo_distance)                                                                      \
    /* func_datetime.c */                                                                   \
    X(fn_unix_timestamp) X(fn_unix_date) X(fn_timestamptostring) X(fn_stringtotimestamp)    \
    X(fn_format_timestamp) X(fn_parse_timestamp) X(fn_format_date) X(fn_parse_date)         \
    X(fn_format_time) X(fn_parse_time) X(fn_datetostring) X(fn_stringtodate)                \
    X(fn_convert_tz) X(fn_from_unixtime) X(fn_from_days) X(fn_dateadd) X(fn_datesub)        \
    X(fn_timeadd) X(fn_timesub) X(fn_timestampadd) X(fn_timestampsub)                       \
    /* func_json.c */                                                                       \
    X(fn_extractjsonfield) X(fn_is_json_string) X(fn_json_array_length) X(fn_json_keys)     \
    X(fn_json_records) X(fn_json_concat) X(fn_json_array_contains) X(fn_json_items)         \
    X(fn_to_json_string)                                                                    \
    /* func_url.c */                                                                        \
    X(fn_url_extract_host) X(fn_url_extract_path) X(fn_url_extract_port)                    \
    X(fn_url_extract_protocol) X(fn_url_extract_query) X(fn_url_extract_fragment)           \
    X(fn_url_extract_parameter) X(fn_url_encode_param) X(fn_url_decode_param)               \
    /* func_collection.c */                                                                 \
    X(fn_as_value) X(fn_coalesce) X(fn_ifnull) X(fn_nullif) X(fn_array_length)              \
    X(fn_array_contains) X(fn_array_distinct) X(fn_array_union) X(fn_array_intersect)       \
    X(fn_array_except) X(fn_array_concat) X(fn_array_remove) X(fn_array_max)                \
    X(fn_array_min) X(fn_array_sort) X(fn_array_join) X(fn_slice) X(fn_generate_series)     \
    X(fn_map_keys) X(fn_map_values) X(fn_map_union) X(fn_as_map) X(fn_entries)          \
    /* func_common.c */                                                                     \
    X(fn_not_scalar)

#define FUNC_DECLARE_IMPL(f) int f(const Value *args, int nargs, Value *out, FuncCtx *ctx);
FUNC_IMPLS(FUNC_DECLARE_IMPL)
#undef FUNC_DECLARE_IMPL

/* ---- results and errors (func_common.c) --------------------------------- */

/* Largest string or bytes result a function builds (a guard against
 * LPAD(x, 2000000000, 'y') and friends). */
#define FUNC_MAX_RESULT (16 * 1024 * 1024)

#define RETURN_NULL do { *out = v_null(); return 0; } while (0)

/* Sets ctx->err (ERR_RUNTIME, no position) if there is one; returns -1. */
int func_fail(FuncCtx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The calling thread's scratch buffer, emptied: text is built here, then
 * copied into the arena, so no call mallocs once the buffer has grown.
 * Owned by the thread; valid until the next func_scratch() call, so a
 * function holding it must not call another function that takes it. */
StrBuf *func_scratch(void);

/* 64 random bits for UUID() and RANDOM(): a per-thread xorshift seeded
 * from the kernel. */
uint64_t func_random_u64(void);

/* A STRING (or BYTES) value of s[0..n) copied into a. */
static inline Value str_value(Arena *a, const char *s, size_t n, TypeKind kind)
{
    Value v = v_string(a, s, (int32_t)n);
    v.kind = kind;
    return v;
}

/* ---- arena-backed output buffer ------------------------------------------ */

/* Text built straight in the arena (no copy at the end), capped at
 * FUNC_MAX_RESULT: past it, writes are dropped and ab_done fails. */
typedef struct ABuf {
    Arena *a;
    char *p;
    size_t len, cap;
    bool overflow;
} ABuf;

static inline void ab_init(ABuf *b, Arena *a, size_t cap)
{
    b->a = a;
    b->cap = cap < 16 ? 16 : cap;
    if (b->cap > FUNC_MAX_RESULT + 1)
        b->cap = FUNC_MAX_RESULT + 1;
    b->p = arena_alloc(a, b->cap);
    b->len = 0;
    b->overflow = false;
}

static inline void ab_put(ABuf *b, const char *s, size_t n)
{
    if (b->overflow)
        return;
    if (b->len + n > FUNC_MAX_RESULT) {
        b->overflow = true;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t ncap = b->cap * 2;
        while (ncap < b->len + n + 1)
            ncap *= 2;
        b->p = arena_realloc(b->a, b->p, b->cap, ncap);
        b->cap = ncap;
    }
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static inline void ab_putc(ABuf *b, char c)
{
    ab_put(b, &c, 1);
}

/* Finishes b into *out as a STRING or BYTES value borrowing b's arena
 * memory; -1 with "FNAME: result would exceed ..." after an overflow. */
static inline int ab_done(ABuf *b, TypeKind kind, Value *out, FuncCtx *ctx, const char *fname)
{
    if (b->overflow)
        return func_fail(ctx, "%s: result would exceed %d bytes", fname, FUNC_MAX_RESULT);
    *out = v_string_borrow(b->p, (int32_t)b->len);
    out->kind = kind;
    return 0;
}

/* ---- UTF-8 ------------------------------------------------------------------- */

/* Decodes the code point at s[*i] (n = byte length), advancing *i.  A byte
 * that does not start a valid sequence decodes as itself (one byte), marked
 * invalid: 0xFFFD00 | byte (cp_invalid). */
static inline uint32_t u8_next(const char *str, size_t n, size_t *i)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned char c = s[*i];
    if (c < 0x80) {
        (*i)++;
        return c;
    }
    int len = c >= 0xF0 && c < 0xF5 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
    if (len == 0 || *i + (size_t)len > n) {
        (*i)++;
        return 0xFFFD00u | c;
    }
    uint32_t cp = c & (0x7F >> len);
    for (int k = 1; k < len; k++) {
        if ((s[*i + (size_t)k] & 0xC0) != 0x80) {
            (*i)++;
            return 0xFFFD00u | c;
        }
        cp = (cp << 6) | (s[*i + (size_t)k] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp < 0xE000))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
        (*i)++;
        return 0xFFFD00u | c;
    }
    *i += (size_t)len;
    return cp;
}

static inline bool cp_invalid(uint32_t cp)
{
    return cp > 0x10FFFF;
}

/* Writes cp's UTF-8 form to buf (4 bytes room); returns its length.  An
 * invalid-byte marker from u8_next writes that byte back. */
static inline int u8_encode(uint32_t cp, char *buf)
{
    if (cp_invalid(cp)) {
        buf[0] = (char)(cp & 0xFF);
        return 1;
    }
    if (cp < 0x80) {
        buf[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        buf[0] = (char)(0xC0 | (cp >> 6));
        buf[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        buf[0] = (char)(0xE0 | (cp >> 12));
        buf[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buf[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    buf[0] = (char)(0xF0 | (cp >> 18));
    buf[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    buf[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    buf[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Code points in s[0..n) (an invalid byte counts one). */
static inline size_t u8_count(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n;) {
        u8_next(s, n, &i);
        count++;
    }
    return count;
}

/* Byte offset of code point k (clamped to n). */
static inline size_t u8_offset(const char *s, size_t n, size_t k)
{
    size_t i = 0;
    while (k > 0 && i < n) {
        u8_next(s, n, &i);
        k--;
    }
    return i;
}

/* Value of a hex digit, -1 if c is none. */
static inline int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* ---- arrays and maps under construction ------------------------------------ */

/* A growable array of Values in the arena (items move as it grows). */
typedef struct VVec {
    Arena *a;
    Value *items;
    int32_t n, cap;
} VVec;

static inline void vv_push(VVec *v, Value x)
{
    if (v->n == v->cap) {
        int32_t ncap = v->cap ? v->cap * 2 : 8;
        v->items = arena_realloc(v->a, v->items, sizeof(Value) * (size_t)v->cap, sizeof(Value) * (size_t)ncap);
        v->cap = ncap;
    }
    v->items[v->n++] = x;
}

/* An ARRAY / MAP value over items the caller allocated (not copied). */
static inline Value array_of(Value *items, int32_t n)
{
    Value v;
    v.kind = TYPE_ARRAY;
    v.u.arr.items = items;
    v.u.arr.n = n;
    return v;
}

static inline Value map_of(Value *keys, Value *vals, int32_t n)
{
    Value v;
    v.kind = TYPE_MAP;
    v.u.map.keys = keys;
    v.u.map.vals = vals;
    v.u.map.n = n;
    return v;
}

/* Puts k -> v into the map under construction (keys, vals): a key already
 * there (value_equal) gets the new value, in its old position. */
void map_put(VVec *keys, VVec *vals, const Value *k, const Value *v);

#endif
