/*
 * func_json.c - the JSON-string functions of the builtin registry (the
 * table is in functions.c): EXTRACTJSONFIELD, IS_JSON_STRING,
 * JSON_ARRAY_LENGTH, JSON_KEYS, JSON_RECORDS, JSON_CONCAT,
 * JSON_ARRAY_CONTAINS, JSON_ITEMS, and TO_JSON_STRING (a Value written as
 * JSON, which reads struct field names from the argument's type).
 *
 * In:  STRING arguments holding JSON text (and a JSON path, or a value to
 *      look for).  Out: a Value in ctx->arena, or -1 with ctx->err set.
 *
 * JSON is scanned in place by a small validating parser rather than
 * decoded with jansson, because ksqlDB returns numbers as written
 * (EXTRACTJSONFIELD('{"a": 1.23450}', '$.a') is '1.23450'; a double would
 * print 1.2345).  Objects and arrays come back in compact form
 * ({"a":1,"b":[2,3]}), strings unquoted.  Nesting deeper than 512 levels
 * is rejected as invalid.
 */
#include "func_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- JSON scanning ------------------------------------------------------ */

#define JSON_MAX_DEPTH 512

typedef struct JScan {
    const char *s;
    size_t n, i;
    int depth;
} JScan;

static void j_ws(JScan *j)
{
    while (j->i < j->n && (j->s[j->i] == ' ' || j->s[j->i] == '\t' || j->s[j->i] == '\n' || j->s[j->i] == '\r'))
        j->i++;
}

static bool j_hex4(const char *p)
{
    for (int k = 0; k < 4; k++)
        if (hexval(p[k]) < 0)
            return false;
    return true;
}

static bool j_string(JScan *j)
{
    if (j->i >= j->n || j->s[j->i] != '"')
        return false;
    j->i++;
    while (j->i < j->n) {
        unsigned char c = (unsigned char)j->s[j->i];
        if (c == '"') {
            j->i++;
            return true;
        }
        if (c < 0x20)
            return false;
        if (c == '\\') {
            if (j->i + 1 >= j->n)
                return false;
            char e = j->s[j->i + 1];
            if (e == 'u') {
                if (j->i + 6 > j->n || !j_hex4(j->s + j->i + 2))
                    return false;
                j->i += 6;
                continue;
            }
            if (!strchr("\"\\/bfnrt", e) || e == '\0')
                return false;
            j->i += 2;
            continue;
        }
        j->i++;
    }
    return false;
}

static bool j_number(JScan *j)
{
    size_t i = j->i;
    const char *s = j->s;
    if (i < j->n && s[i] == '-')
        i++;
    if (i >= j->n)
        return false;
    if (s[i] == '0')
        i++;
    else if (s[i] >= '1' && s[i] <= '9')
        while (i < j->n && s[i] >= '0' && s[i] <= '9')
            i++;
    else
        return false;
    if (i < j->n && s[i] == '.') {
        i++;
        size_t st = i;
        while (i < j->n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == st)
            return false;
    }
    if (i < j->n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < j->n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t st = i;
        while (i < j->n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == st)
            return false;
    }
    j->i = i;
    return true;
}

static bool j_value(JScan *j);

static bool j_container(JScan *j, char open, char close)
{
    if (++j->depth > JSON_MAX_DEPTH)
        return false;
    j->i++;   /* open */
    j_ws(j);
    if (j->i < j->n && j->s[j->i] == close) {
        j->i++;
        j->depth--;
        return true;
    }
    for (;;) {
        j_ws(j);
        if (open == '{') {
            if (!j_string(j))
                return false;
            j_ws(j);
            if (j->i >= j->n || j->s[j->i] != ':')
                return false;
            j->i++;
            j_ws(j);
        }
        if (!j_value(j))
            return false;
        j_ws(j);
        if (j->i >= j->n)
            return false;
        if (j->s[j->i] == ',') {
            j->i++;
            continue;
        }
        if (j->s[j->i] == close) {
            j->i++;
            j->depth--;
            return true;
        }
        return false;
    }
}

static bool j_lit(JScan *j, const char *lit)
{
    size_t n = strlen(lit);
    if (j->n - j->i < n || memcmp(j->s + j->i, lit, n) != 0)
        return false;
    j->i += n;
    return true;
}

/* Skips one value at j->i (no leading whitespace), validating it. */
static bool j_value(JScan *j)
{
    if (j->i >= j->n)
        return false;
    switch (j->s[j->i]) {
    case '{': return j_container(j, '{', '}');
    case '[': return j_container(j, '[', ']');
    case '"': return j_string(j);
    case 't': return j_lit(j, "true");
    case 'f': return j_lit(j, "false");
    case 'n': return j_lit(j, "null");
    default: return j_number(j);
    }
}

/* Is s[0..n) one JSON value (with optional surrounding whitespace)?  On
 * success [*vs, *ve) is the value's span. */
static bool j_document(const char *s, size_t n, size_t *vs, size_t *ve)
{
    JScan j = {s, n, 0, 0};
    j_ws(&j);
    size_t st = j.i;
    if (!j_value(&j))
        return false;
    size_t en = j.i;
    j_ws(&j);
    if (j.i != n)
        return false;
    *vs = st;
    *ve = en;
    return true;
}

/* The four hex digits at p (validated by j_hex4). */
static uint32_t hex4(const char *p)
{
    uint32_t v = 0;
    for (int k = 0; k < 4; k++)
        v = v * 16 + (uint32_t)hexval(p[k]);
    return v;
}

/* Decodes the (validated) JSON string at s[0..n) (with quotes) into the arena. */
static Value j_decode_string(Arena *a, const char *s, size_t n)
{
    char *buf = arena_alloc(a, n + 1);
    size_t len = 0;
    for (size_t i = 1; i + 1 < n;) {
        char c = s[i];
        if (c != '\\') {
            buf[len++] = c;
            i++;
            continue;
        }
        char e = s[i + 1];
        i += 2;
        switch (e) {
        case 'b': buf[len++] = '\b'; break;
        case 'f': buf[len++] = '\f'; break;
        case 'n': buf[len++] = '\n'; break;
        case 'r': buf[len++] = '\r'; break;
        case 't': buf[len++] = '\t'; break;
        case 'u': {
            uint32_t cp = hex4(s + i);
            i += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && i + 6 <= n - 1 && s[i] == '\\' && s[i + 1] == 'u') {
                uint32_t lo = hex4(s + i + 2);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
            }
            if (cp >= 0xD800 && cp < 0xE000)
                cp = 0xFFFD;   /* a lone surrogate has no UTF-8 form */
            len += (size_t)u8_encode(cp, buf + len);
            break;
        }
        default: buf[len++] = e; break;   /* " \ / */
        }
    }
    buf[len] = '\0';
    return v_string_borrow(buf, (int32_t)len);
}

/* Appends the compact form of the (validated) value s[0..n) to sb:
 * whitespace outside strings dropped, numbers and strings as written. */
static void j_compact(const char *s, size_t n, StrBuf *sb)
{
    size_t i = 0, run = 0;
    while (i < n) {
        char c = s[i];
        if (c == '"') {
            JScan j = {s, n, i, 0};
            j_string(&j);
            i = j.i;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            sb_append(sb, s + run, i - run);
            i++;
            run = i;
            continue;
        }
        i++;
    }
    sb_append(sb, s + run, n - run);
}

static Value compact_value(Arena *a, const char *s, size_t n)
{
    StrBuf *sb = func_scratch();
    j_compact(s, n, sb);
    Value v = v_string(a, sb->data ? sb->data : "", (int32_t)sb->len);
    return v;
}

/* Iterates the members of the object/array at s[st..en).  For objects
 * [*ks, *ke) is the key span (with quotes).  Returns false when done. */
typedef struct JIter {
    JScan j;
    bool object, started;
} JIter;

static void ji_init(JIter *it, const char *s, size_t st, size_t en)
{
    it->j = (JScan){s, en, st + 1, 0};
    it->object = s[st] == '{';
    it->started = false;
}

static bool ji_next(JIter *it, size_t *ks, size_t *ke, size_t *vs, size_t *ve)
{
    JScan *j = &it->j;
    j_ws(j);
    if (it->started) {
        if (j->s[j->i] != ',')
            return false;
        j->i++;
        j_ws(j);
    } else if (j->s[j->i] == ']' || j->s[j->i] == '}') {
        return false;
    }
    it->started = true;
    *ks = *ke = j->i;   /* an array member has no key: an empty span */
    if (it->object) {
        j_string(j);
        *ke = j->i;
        j_ws(j);
        j->i++;   /* ':' */
        j_ws(j);
    }
    *vs = j->i;
    j_value(j);
    *ve = j->i;
    return true;
}

/* Starts it on the members of the JSON text v if that is one valid
 * document whose value is an object; false otherwise. */
static bool ji_object(JIter *it, const Value *v)
{
    const char *s = v->u.str.ptr;
    size_t vs, ve;
    if (!j_document(s, (size_t)v->u.str.len, &vs, &ve) || s[vs] != '{')
        return false;
    ji_init(it, s, vs, ve);
    return true;
}

static bool key_equals(const char *s, size_t ks, size_t ke, const char *key, size_t keylen, Arena *a)
{
    /* Fast path: no escapes in the raw key. */
    if (memchr(s + ks, '\\', ke - ks) == NULL)
        return ke - ks - 2 == keylen && memcmp(s + ks + 1, key, keylen) == 0;
    Value k = j_decode_string(a, s + ks, ke - ks);
    return (size_t)k.u.str.len == keylen && memcmp(k.u.str.ptr, key, keylen) == 0;
}

/* ---- JSON path ($.a.b, $.a[0], $['a'], $["a"]) ------------------------- */

typedef struct JPathTok {
    const char *name;
    size_t len;
} JPathTok;

#define JPATH_MAX 64

static int jpath_parse(const char *p, size_t n, Arena *a, JPathTok *toks, int *ntoks, FuncCtx *ctx)
{
    size_t i = 0;
    *ntoks = 0;
    if (n == 0 || p[0] != '$')
        return func_fail(ctx, "Invalid JSON path '%.100s': must start with '$'", p);
    i = 1;
    while (i < n) {
        if (*ntoks >= JPATH_MAX)
            return func_fail(ctx, "Invalid JSON path '%.100s': too deep", p);
        JPathTok *t = &toks[*ntoks];
        if (p[i] == '.') {
            size_t st = ++i;
            while (i < n && p[i] != '.' && p[i] != '[')
                i++;
            if (i == st)
                return func_fail(ctx, "Invalid JSON path '%.100s': empty key at index %zu", p, st);
            t->name = p + st;
            t->len = i - st;
        } else if (p[i] == '[') {
            i++;
            if (i < n && (p[i] == '"' || p[i] == '\'')) {
                char q = p[i++];
                char *buf = arena_alloc(a, n);
                size_t len = 0;
                while (i < n && p[i] != q) {
                    if (p[i] == '\\' && i + 1 < n)
                        i++;
                    buf[len++] = p[i++];
                }
                if (i >= n)
                    return func_fail(ctx, "Invalid JSON path '%.100s': unterminated quoted key", p);
                i++;
                t->name = buf;
                t->len = len;
            } else {
                size_t st = i;
                if (i < n && p[i] == '-')
                    i++;
                while (i < n && p[i] >= '0' && p[i] <= '9')
                    i++;
                if (i == st || (i == st + 1 && p[st] == '-'))
                    return func_fail(ctx, "Invalid JSON path '%.100s': expected an index or a quoted key", p);
                t->name = p + st;
                t->len = i - st;
            }
            if (i >= n || p[i] != ']')
                return func_fail(ctx, "Invalid JSON path '%.100s': expected ']'", p);
            i++;
        } else {
            return func_fail(ctx, "Invalid JSON path '%.100s': unexpected '%c' at index %zu", p, p[i], i);
        }
        (*ntoks)++;
    }
    return 0;
}

static bool parse_index(const char *s, size_t n, int64_t *out)
{
    if (n == 0 || n > 10)
        return false;
    size_t i = 0;
    bool neg = false;
    if (s[0] == '-') {
        neg = true;
        i = 1;
        if (n == 1)
            return false;
    }
    int64_t v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = neg ? -v : v;
    return true;
}

/* EXTRACTJSONFIELD(json, path): as ksqlDB's Jackson walk: a key on an
 * object (last duplicate wins), an index on an array, anything else NULL.
 * A JSON null found at the path comes back as the text 'null', as
 * Jackson's NullNode prints. */
int fn_extractjsonfield(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    if (v_is_null(&a[0]) || v_is_null(&a[1]))
        RETURN_NULL;
    JPathTok toks[JPATH_MAX];
    int ntoks;
    if (jpath_parse(a[1].u.str.ptr, (size_t)a[1].u.str.len, ctx->arena, toks, &ntoks, ctx) != 0)
        return -1;
    const char *s = a[0].u.str.ptr;
    size_t vs, ve;
    if (!j_document(s, (size_t)a[0].u.str.len, &vs, &ve))
        return func_fail(ctx, "Invalid JSON format: '%.100s'", s);
    for (int t = 0; t < ntoks; t++) {
        char c = s[vs];
        size_t ks, ke, cs, ce, fs = 0, fe = 0;
        bool found = false;
        JIter it;
        if (c == '[') {
            int64_t idx;
            if (!parse_index(toks[t].name, toks[t].len, &idx))
                RETURN_NULL;
            int64_t k = 0;
            ji_init(&it, s, vs, ve);
            while (ji_next(&it, &ks, &ke, &cs, &ce))
                if (k++ == idx) {
                    fs = cs, fe = ce, found = true;
                    break;
                }
        } else if (c == '{') {
            ji_init(&it, s, vs, ve);
            while (ji_next(&it, &ks, &ke, &cs, &ce))
                if (key_equals(s, ks, ke, toks[t].name, toks[t].len, ctx->arena))
                    fs = cs, fe = ce, found = true;
        }
        if (!found)
            RETURN_NULL;
        vs = fs, ve = fe;
    }
    if (s[vs] == '"')
        *out = j_decode_string(ctx->arena, s + vs, ve - vs);
    else
        *out = compact_value(ctx->arena, s + vs, ve - vs);
    return 0;
}

int fn_is_json_string(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n, (void)ctx;
    size_t vs, ve;
    *out = v_bool(!v_is_null(&a[0]) && j_document(a[0].u.str.ptr, (size_t)a[0].u.str.len, &vs, &ve));
    return 0;
}

int fn_json_array_length(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    if (v_is_null(&a[0]))
        RETURN_NULL;
    size_t vs, ve, ks, ke, cs, ce;
    const char *s = a[0].u.str.ptr;
    if (!j_document(s, (size_t)a[0].u.str.len, &vs, &ve))
        return func_fail(ctx, "Invalid JSON format: '%.100s'", s);
    if (s[vs] != '[')
        RETURN_NULL;
    JIter it;
    ji_init(&it, s, vs, ve);
    int32_t count = 0;
    while (ji_next(&it, &ks, &ke, &cs, &ce))
        count++;
    *out = v_int(count);
    return 0;
}

int fn_json_keys(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    JIter it;
    if (v_is_null(&a[0]) || !ji_object(&it, &a[0]))
        RETURN_NULL;
    const char *s = a[0].u.str.ptr;
    size_t ks, ke, cs, ce;
    VVec v = {.a = ctx->arena};
    while (ji_next(&it, &ks, &ke, &cs, &ce))
        vv_push(&v, j_decode_string(ctx->arena, s + ks, ke - ks));
    *out = array_of(v.items, v.n);
    return 0;
}

/* JSON_RECORDS(json): top-level key -> the value's JSON text. */
int fn_json_records(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    JIter it;
    if (v_is_null(&a[0]) || !ji_object(&it, &a[0]))
        RETURN_NULL;
    const char *s = a[0].u.str.ptr;
    size_t ks, ke, cs, ce;
    VVec keys = {.a = ctx->arena}, vals = {.a = ctx->arena};
    while (ji_next(&it, &ks, &ke, &cs, &ce)) {
        Value k = j_decode_string(ctx->arena, s + ks, ke - ks);
        Value v = compact_value(ctx->arena, s + cs, ce - cs);
        map_put(&keys, &vals, &k, &v);   /* a repeated key: the last value */
    }
    *out = map_of(keys.items, vals.items, keys.n);
    return 0;
}

/* JSON_CONCAT(json...): PostgreSQL's || on jsonb: all objects -> merged
 * object (later keys win, first position kept); otherwise an array of all
 * elements (non-array inputs wrapped).  Any NULL or invalid input -> NULL. */
int fn_json_concat(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    size_t *vs = arena_alloc(ctx->arena, sizeof(size_t) * (size_t)(n + 1) * 2);
    size_t *ve = vs + n + 1;
    bool all_objects = true;
    for (int i = 0; i < n; i++) {
        if (v_is_null(&a[i]) || !j_document(a[i].u.str.ptr, (size_t)a[i].u.str.len, &vs[i], &ve[i]))
            RETURN_NULL;
        if (a[i].u.str.ptr[vs[i]] != '{')
            all_objects = false;
    }
    StrBuf *sb = func_scratch();
    size_t ks, ke, cs, ce;
    JIter it;
    if (all_objects) {
        /* keys: decoded names; spans: (raw key, raw value) pairs per key */
        VVec keys = {.a = ctx->arena}, spans = {.a = ctx->arena};
        for (int i = 0; i < n; i++) {
            const char *s = a[i].u.str.ptr;
            ji_init(&it, s, vs[i], ve[i]);
            while (ji_next(&it, &ks, &ke, &cs, &ce)) {
                Value k = j_decode_string(ctx->arena, s + ks, ke - ks);
                Value raw = v_string_borrow(s + cs, (int32_t)(ce - cs));   /* span, not NUL-terminated */
                Value rawkey = v_string_borrow(s + ks, (int32_t)(ke - ks));
                int32_t j;
                for (j = 0; j < keys.n && !value_equal(&keys.items[j], &k); j++)
                    ;
                if (j < keys.n) {
                    spans.items[2 * j + 1] = raw;
                } else {
                    vv_push(&keys, k);
                    vv_push(&spans, rawkey);
                    vv_push(&spans, raw);
                }
            }
        }
        sb_putc(sb, '{');
        for (int32_t j = 0; j < keys.n; j++) {
            if (j)
                sb_putc(sb, ',');
            sb_append(sb, spans.items[2 * j].u.str.ptr, (size_t)spans.items[2 * j].u.str.len);
            sb_putc(sb, ':');
            j_compact(spans.items[2 * j + 1].u.str.ptr, (size_t)spans.items[2 * j + 1].u.str.len, sb);
        }
        sb_putc(sb, '}');
    } else {
        bool first = true;
        sb_putc(sb, '[');
        for (int i = 0; i < n; i++) {
            const char *s = a[i].u.str.ptr;
            if (s[vs[i]] == '[') {
                ji_init(&it, s, vs[i], ve[i]);
                while (ji_next(&it, &ks, &ke, &cs, &ce)) {
                    if (!first)
                        sb_putc(sb, ',');
                    j_compact(s + cs, ce - cs, sb);
                    first = false;
                }
            } else {
                if (!first)
                    sb_putc(sb, ',');
                j_compact(s + vs[i], ve[i] - vs[i], sb);
                first = false;
            }
        }
        sb_putc(sb, ']');
    }
    *out = v_string(ctx->arena, sb->data, (int32_t)sb->len);
    return 0;
}

/* JSON_ARRAY_CONTAINS(json, value): false unless json is an array holding
 * an element of value's JSON kind equal to it (integers match integer
 * tokens, DOUBLEs fractional ones, strings strings; NULL matches null). */
int fn_json_array_contains(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    *out = v_bool(false);
    if (v_is_null(&a[0]))
        return 0;
    const char *s = a[0].u.str.ptr;
    size_t vs, ve, ks, ke, cs, ce;
    if (!j_document(s, (size_t)a[0].u.str.len, &vs, &ve) || s[vs] != '[')
        return 0;
    JIter it;
    ji_init(&it, s, vs, ve);
    while (ji_next(&it, &ks, &ke, &cs, &ce)) {
        const char *e = s + cs;
        size_t el = ce - cs;
        bool hit = false;
        switch (a[1].kind) {
        case TYPE_NULL:
            hit = el == 4 && memcmp(e, "null", 4) == 0;
            break;
        case TYPE_BOOLEAN:
            hit = a[1].u.b ? (el == 4 && memcmp(e, "true", 4) == 0) : (el == 5 && memcmp(e, "false", 5) == 0);
            break;
        case TYPE_INT:
        case TYPE_BIGINT: {
            if (!((e[0] >= '0' && e[0] <= '9') || e[0] == '-') || memchr(e, '.', el) || memchr(e, 'e', el) ||
                memchr(e, 'E', el) || el > 20)
                break;
            char buf[24];
            memcpy(buf, e, el);
            buf[el] = '\0';
            long long x = strtoll(buf, NULL, 10);
            hit = x == (a[1].kind == TYPE_INT ? (long long)a[1].u.i32 : (long long)a[1].u.i64);
            break;
        }
        case TYPE_DOUBLE: {
            if (!((e[0] >= '0' && e[0] <= '9') || e[0] == '-') ||
                !(memchr(e, '.', el) || memchr(e, 'e', el) || memchr(e, 'E', el)))
                break;
            /* value_cast parses numbers locale-independently. */
            Value sv = v_string(ctx->arena, e, (int32_t)el), dv;
            EddyError err;
            if (value_cast(&sv, type_prim(TYPE_DOUBLE), ctx->arena, &dv, &err) == 0)
                hit = dv.u.d == a[1].u.d;
            break;
        }
        case TYPE_STRING:
            if (e[0] == '"') {
                Value d = j_decode_string(ctx->arena, e, el);
                hit = d.u.str.len == a[1].u.str.len && memcmp(d.u.str.ptr, a[1].u.str.ptr, (size_t)d.u.str.len) == 0;
            }
            break;
        default:
            break;
        }
        if (hit) {
            *out = v_bool(true);
            return 0;
        }
    }
    return 0;
}

/* JSON_ITEMS(json): the items of a JSON array, each as compact JSON text.
 * As ksqlDB: text that is not a JSON array is an error (-> NULL); an
 * array with any item that is not an object gives NULL. */
int fn_json_items(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    size_t vs, ve, ks, ke, cs, ce;
    const char *s = a[0].u.str.ptr;
    int len = a[0].u.str.len;
    if (!j_document(s, (size_t)len, &vs, &ve) || s[vs] != '[')
        return func_fail(ctx, "JSON_ITEMS: not a JSON array: '%.*s'", len > 100 ? 100 : len, s);
    JIter it;
    ji_init(&it, s, vs, ve);
    VVec v = {.a = ctx->arena};
    while (ji_next(&it, &ks, &ke, &cs, &ce)) {
        if (s[cs] != '{')
            RETURN_NULL;
        vv_push(&v, compact_value(ctx->arena, s + cs, ce - cs));
    }
    *out = array_of(v.items, v.n);
    return 0;
}

/* ---- TO_JSON_STRING ------------------------------------------------------ */

/* Sort order of map entries / struct fields: ksqlDB writes them through a
 * TreeMap, so by name (byte order here, Java's UTF-16 order for the BMP). */
typedef struct JEntry {
    const char *name;
    size_t len;
    const Value *v;
    const SqlType *t;
} JEntry;

static int jentry_cmp(const void *x, const void *y)
{
    const JEntry *a = x, *b = y;
    int c = memcmp(a->name, b->name, a->len < b->len ? a->len : b->len);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

static void to_json(const Value *v, const SqlType *t, StrBuf *sb, Arena *a);

static void to_json_object(JEntry *e, int32_t n, StrBuf *sb, Arena *a)
{
    qsort(e, (size_t)n, sizeof *e, jentry_cmp);
    sb_putc(sb, '{');
    for (int32_t i = 0; i < n; i++) {
        if (i)
            sb_putc(sb, ',');
        sb_put_json_string(sb, e[i].name, e[i].len);
        sb_putc(sb, ':');
        to_json(e[i].v, e[i].t, sb, a);
    }
    sb_putc(sb, '}');
}

/* Writes v (of type t, which may be NULL for an untyped NULL) as Jackson
 * writes what ksqlDB hands it: numbers bare (DOUBLE as Double.toString,
 * NaN/Infinity quoted; DECIMAL plain with its scale), BYTES as base64,
 * DATE/TIME/TIMESTAMP as their ISO text, composites compact. */
static void to_json(const Value *v, const SqlType *t, StrBuf *sb, Arena *a)
{
    switch (v->kind) {
    case TYPE_NULL:
        sb_puts(sb, "null");
        return;
    case TYPE_BOOLEAN:
    case TYPE_INT:
    case TYPE_BIGINT:
    case TYPE_DECIMAL:
        value_format(v, sb);
        return;
    case TYPE_DOUBLE:
        if (isfinite(v->u.d)) {
            value_format_double(v->u.d, sb);
            return;
        }
        break;
    case TYPE_ARRAY: {
        sb_putc(sb, '[');
        for (int32_t i = 0; i < v->u.arr.n; i++) {
            if (i)
                sb_putc(sb, ',');
            to_json(&v->u.arr.items[i], t && t->kind == TYPE_ARRAY ? t->elem : NULL, sb, a);
        }
        sb_putc(sb, ']');
        return;
    }
    case TYPE_MAP: {
        JEntry *e = arena_alloc(a, sizeof(JEntry) * (size_t)(v->u.map.n + 1));
        int32_t m = 0;
        for (int32_t i = 0; i < v->u.map.n; i++) {
            const Value *k = &v->u.map.keys[i];
            if (k->kind != TYPE_STRING)
                continue;   /* ksqlDB map keys are STRING; a NULL key has no JSON name */
            e[m++] = (JEntry){k->u.str.ptr, (size_t)k->u.str.len, &v->u.map.vals[i],
                              t && t->kind == TYPE_MAP ? t->elem : NULL};
        }
        to_json_object(e, m, sb, a);
        return;
    }
    case TYPE_STRUCT: {
        bool named = t && t->kind == TYPE_STRUCT && t->nfields == v->u.st.n;
        JEntry *e = arena_alloc(a, sizeof(JEntry) * (size_t)(v->u.st.n + 1));
        char *idx = arena_alloc(a, (size_t)v->u.st.n * 12 + 1);
        for (int32_t i = 0; i < v->u.st.n; i++) {
            const char *name = named ? t->fields[i].name : idx + i * 12;
            if (!named)
                snprintf(idx + i * 12, 12, "F%d", (int)i);
            e[i] = (JEntry){name, strlen(name), &v->u.st.fields[i], named ? t->fields[i].type : NULL};
        }
        to_json_object(e, v->u.st.n, sb, a);
        return;
    }
    case TYPE_STRING:
        sb_put_json_string(sb, v->u.str.ptr, (size_t)v->u.str.len);
        return;
    default:
        break;
    }
    /* The rest (BYTES, DATE, TIME, TIMESTAMP, NaN, Infinity) is a JSON
     * string of its text form, which holds nothing to escape. */
    sb_putc(sb, '"');
    value_format(v, sb);
    sb_putc(sb, '"');
}

/* TO_JSON_STRING(value): not null-in-null-out, NULL is the text 'null'. */
int fn_to_json_string(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    StrBuf *sb = func_scratch();
    to_json(&a[0], ctx->types ? ctx->types[0] : NULL, sb, ctx->arena);
    if (sb->len > FUNC_MAX_RESULT)
        return func_fail(ctx, "TO_JSON_STRING: result would exceed %d bytes", FUNC_MAX_RESULT);
    *out = v_string(ctx->arena, sb->data ? sb->data : "", (int32_t)sb->len);
    return 0;
}
