/*
 * func_regex.c - the regular-expression functions of the builtin registry
 * (the table is in functions.c): REGEXP_EXTRACT, REGEXP_EXTRACT_ALL,
 * REGEXP_REPLACE, REGEXP_SPLIT_TO_ARRAY.
 *
 * In:  STRING arguments (the text, a Java regex, a group number or a
 *      replacement).  Out: a Value in ctx->arena, or -1 with ctx->err set
 *      for a pattern eddy cannot run faithfully.
 *
 * ksqlDB uses java.util.regex; eddy uses POSIX extended regexes (glibc
 * regcomp) after translating the common Java syntax: \d \D \s \S \w \W (also inside [...]), \b \B, \Q...\E, \t \n \r
 * \f \xhh \uhhhh, (?:...) (groups are renumbered so $1 / group numbers
 * keep Java's meaning), (?<name>...), a leading (?i).  Rejected with an
 * error instead of silently matching differently: lazy and possessive
 * quantifiers (*? +? ?? *+ ...), lookaround (?= (?! (?<= (?<!, atomic
 * groups (?>, class intersection &&, nested classes, \p{...}.  Matching
 * is byte-wise ('.' matches one byte of a multi-byte character) and
 * alternation picks the longest match (POSIX) where Java picks the first
 * alternative that matches.  Compiled regexes are cached per thread.
 */
#define _GNU_SOURCE   /* memmem */
#include "func_int.h"

#include <ctype.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RX_MAX_GROUPS 32
#define RX_MATCHES (2 * RX_MAX_GROUPS + 2)   /* regmatch_t slots: POSIX groups incl. (?:...) */
#define RX_CACHE 16

typedef struct Rx {
    regex_t re;
    int ngroups;                 /* Java's capturing group count */
    int map[RX_MAX_GROUPS + 1];  /* Java group -> POSIX group */
    int nposix;                  /* POSIX groups (all parentheses) */
} Rx;

typedef struct RxEntry {
    char *pattern;               /* malloc'd; NULL = empty slot */
    size_t len;
    Rx rx;
} RxEntry;

static __thread RxEntry rx_cache[RX_CACHE];
static __thread int rx_next;

/* A thread's cache lives as long as the thread; a worker thread that ends
 * (pool.c) frees it through the key's destructor. */
static pthread_key_t rx_key;
static pthread_once_t rx_once = PTHREAD_ONCE_INIT;

static void rx_cache_free(void *p)
{
    RxEntry *cache = p;
    for (int i = 0; i < RX_CACHE; i++)
        if (cache[i].pattern) {
            regfree(&cache[i].rx.re);
            free(cache[i].pattern);
            cache[i].pattern = NULL;
        }
}

static void rx_key_init(void)
{
    pthread_key_create(&rx_key, rx_cache_free);
}

typedef struct Tr {
    ABuf out;
    int java_groups, posix_groups;
    int map[RX_MAX_GROUPS + 1];
    const char *err;
} Tr;

static void tr_lit(Tr *t, uint32_t cp)
{
    char enc[4];
    int n = u8_encode(cp, enc);
    if (n == 1 && strchr(".[]()*+?{}|^$\\", enc[0]) && enc[0]) {
        ab_putc(&t->out, '\\');
    }
    ab_put(&t->out, enc, (size_t)n);
}

/* Parses an escape's literal character (\t, \xhh, \uhhhh, \\, \.) at p[1..];
 * returns bytes consumed after the backslash, or 0 if not a literal escape. */
static size_t esc_literal(const char *p, size_t n, uint32_t *cp)
{
    if (n < 2)
        return 0;
    char c = p[1];
    switch (c) {
    case 't': *cp = '\t'; return 1;
    case 'n': *cp = '\n'; return 1;
    case 'r': *cp = '\r'; return 1;
    case 'f': *cp = '\f'; return 1;
    case 'a': *cp = 7; return 1;
    case 'e': *cp = 27; return 1;
    case '0': {
        size_t k = 2;
        uint32_t v = 0;
        while (k < n && k < 5 && p[k] >= '0' && p[k] <= '7')
            v = v * 8 + (uint32_t)(p[k++] - '0');
        if (k == 2)
            return 0;
        *cp = v;
        return k - 1;
    }
    case 'x': {
        if (n >= 4 && hexval(p[2]) >= 0 && hexval(p[3]) >= 0) {
            *cp = (uint32_t)(hexval(p[2]) * 16 + hexval(p[3]));
            return 3;
        }
        return 0;
    }
    case 'u': {
        if (n >= 6 && hexval(p[2]) >= 0 && hexval(p[3]) >= 0 && hexval(p[4]) >= 0 && hexval(p[5]) >= 0) {
            *cp = (uint32_t)(((hexval(p[2]) * 16 + hexval(p[3])) * 16 + hexval(p[4])) * 16 + hexval(p[5]));
            return 5;
        }
        return 0;
    }
    default:
        if (!isalnum((unsigned char)c)) {
            size_t i = 1;
            *cp = u8_next(p, n, &i);
            return i - 1;
        }
        return 0;
    }
}

/* Translates a Java character class starting at p[0] == '['.  Returns bytes consumed or 0. */
static size_t tr_class(Tr *t, const char *p, size_t n)
{
    size_t i = 1;
    bool neg = false, rbr = false, dash = false, caret = false;
    ABuf items;
    ab_init(&items, t->out.a, 32);
    if (i < n && p[i] == '^') {
        neg = true;
        i++;
    }
    bool first = true;
    while (i < n && (p[i] != ']' || first)) {
        uint32_t lo;
        if (p[i] == '[') {
            t->err = "nested character classes are not supported";
            return 0;
        }
        if (p[i] == '&' && i + 1 < n && p[i + 1] == '&') {
            t->err = "character class intersection (&&) is not supported";
            return 0;
        }
        if (p[i] == '\\') {
            if (i + 1 >= n) {
                t->err = "unterminated escape in character class";
                return 0;
            }
            char c = p[i + 1];
            const char *cls = c == 'd' ? "[:digit:]" : c == 's' ? "[:space:]" : c == 'w' ? "[:alnum:]_" : NULL;
            if (cls) {
                ab_put(&items, cls, strlen(cls));
                i += 2;
                first = false;
                continue;
            }
            if (c == 'D' || c == 'S' || c == 'W' || c == 'p' || c == 'P') {
                t->err = "negated or Unicode classes inside [...] are not supported";
                return 0;
            }
            size_t k = esc_literal(p + i, n - i, &lo);
            if (k == 0) {
                t->err = "unsupported escape in character class";
                return 0;
            }
            i += 1 + k;
        } else {
            lo = u8_next(p, n, &i);
        }
        first = false;
        /* A range lo-hi? */
        if (i + 1 < n && p[i] == '-' && p[i + 1] != ']') {
            uint32_t hi;
            size_t j = i + 1;
            if (p[j] == '\\') {
                size_t k = esc_literal(p + j, n - j, &hi);
                if (k == 0) {
                    t->err = "unsupported escape in character class";
                    return 0;
                }
                j += 1 + k;
            } else {
                hi = u8_next(p, n, &j);
            }
            if (hi < lo) {
                t->err = "illegal character range";
                return 0;
            }
            char enc[4];
            ab_put(&items, enc, (size_t)u8_encode(lo, enc));
            ab_putc(&items, '-');
            ab_put(&items, enc, (size_t)u8_encode(hi, enc));
            i = j;
            continue;
        }
        if (lo == ']')
            rbr = true;
        else if (lo == '-')
            dash = true;
        else if (lo == '^')
            caret = true;
        else if (lo == '[') {
            ab_put(&items, "[", 1);   /* literal in POSIX unless followed by : . = */
        } else {
            char enc[4];
            ab_put(&items, enc, (size_t)u8_encode(lo, enc));
        }
    }
    if (i >= n) {
        t->err = "unclosed character class";
        return 0;
    }
    ab_putc(&t->out, '[');
    if (neg)
        ab_putc(&t->out, '^');
    if (rbr)
        ab_putc(&t->out, ']');
    ab_put(&t->out, items.p, items.len);
    if (caret)
        ab_putc(&t->out, '^');
    if (dash)
        ab_putc(&t->out, '-');
    if (!rbr && !dash && !caret && items.len == 0) {
        t->err = "empty character class";
        return 0;
    }
    ab_putc(&t->out, ']');
    return i + 1;
}

static int java_to_posix(const char *p, size_t n, Tr *t, int *cflags)
{
    size_t i = 0;
    if (n >= 4 && memcmp(p, "(?i)", 4) == 0) {
        *cflags |= REG_ICASE;
        i = 4;
    }
    bool prev_quant = false;   /* last item was a quantifier */
    while (i < n) {
        char c = p[i];
        if ((c == '?' || c == '+') && prev_quant) {
            t->err = "lazy and possessive quantifiers are not supported";
            return -1;
        }
        prev_quant = false;
        if (c == '\\') {
            if (i + 1 >= n) {
                t->err = "unexpected internal error: trailing backslash";
                return -1;
            }
            char e = p[i + 1];
            const char *rep = NULL;
            switch (e) {
            case 'd': rep = "[0-9]"; break;
            case 'D': rep = "[^0-9]"; break;
            case 's': rep = "[[:space:]]"; break;
            case 'S': rep = "[^[:space:]]"; break;
            case 'w': rep = "[[:alnum:]_]"; break;
            case 'W': rep = "[^[:alnum:]_]"; break;
            case 'b': rep = "\\b"; break;
            case 'B': rep = "\\B"; break;
            case 'A': rep = "^"; break;
            case 'z': case 'Z': rep = "$"; break;
            default: break;
            }
            if (rep) {
                ab_put(&t->out, rep, strlen(rep));
                i += 2;
                continue;
            }
            if (e >= '1' && e <= '9') {
                int g = e - '0';
                if (g > t->java_groups) {
                    t->err = "back reference to a group that does not exist";
                    return -1;
                }
                char buf[16];
                int pg = t->map[g];
                if (pg > 9) {
                    t->err = "back references beyond the ninth group are not supported";
                    return -1;
                }
                snprintf(buf, sizeof buf, "\\%d", pg);
                ab_put(&t->out, buf, strlen(buf));
                i += 2;
                continue;
            }
            if (e == 'Q') {
                size_t j = i + 2;
                const char *end = memmem(p + j, n - j, "\\E", 2);
                size_t stop = end ? (size_t)(end - p) : n;
                while (j < stop) {
                    uint32_t cp = u8_next(p, stop, &j);
                    tr_lit(t, cp);
                }
                i = end ? stop + 2 : n;
                continue;
            }
            uint32_t cp;
            size_t k = esc_literal(p + i, n - i, &cp);
            if (k == 0) {
                t->err = "unsupported escape sequence";
                return -1;
            }
            tr_lit(t, cp);
            i += 1 + k;
            continue;
        }
        if (c == '[') {
            size_t k = tr_class(t, p + i, n - i);
            if (k == 0)
                return -1;
            i += k;
            continue;
        }
        if (c == '(') {
            if (i + 1 < n && p[i + 1] == '?') {
                if (i + 2 < n && p[i + 2] == ':') {
                    t->posix_groups++;
                    ab_putc(&t->out, '(');
                    i += 3;
                    continue;
                }
                if (i + 2 < n && p[i + 2] == '<' && i + 3 < n && p[i + 3] != '=' && p[i + 3] != '!') {
                    const char *close = memchr(p + i, '>', n - i);
                    if (close == NULL) {
                        t->err = "unterminated group name";
                        return -1;
                    }
                    i = (size_t)(close - p) + 1;
                    goto capture;
                }
                t->err = "lookaround, atomic groups and inline flags are not supported";
                return -1;
            }
            i++;
        capture:
            t->posix_groups++;
            if (t->java_groups >= RX_MAX_GROUPS) {
                t->err = "too many capturing groups";
                return -1;
            }
            t->map[++t->java_groups] = t->posix_groups;
            ab_putc(&t->out, '(');
            continue;
        }
        if (c == '*' || c == '+' || c == '?') {
            ab_putc(&t->out, c);
            prev_quant = true;
            i++;
            continue;
        }
        if (c == '{') {
            const char *close = memchr(p + i, '}', n - i);
            if (close && i > 0) {
                ab_put(&t->out, p + i, (size_t)(close - (p + i)) + 1);
                i = (size_t)(close - p) + 1;
                prev_quant = true;
                continue;
            }
            ab_put(&t->out, "\\{", 2);
            i++;
            continue;
        }
        size_t st = i;
        u8_next(p, n, &i);
        ab_put(&t->out, p + st, i - st);
    }
    return 0;
}

/* Compiles (or finds cached) a Java-syntax regex; NULL with ctx->err on error. */
static const Rx *rx_get(const char *pat, size_t len, FuncCtx *ctx, const char *fname)
{
    for (int i = 0; i < RX_CACHE; i++)
        if (rx_cache[i].pattern && rx_cache[i].len == len && memcmp(rx_cache[i].pattern, pat, len) == 0)
            return &rx_cache[i].rx;
    if (memchr(pat, '\0', len)) {
        func_fail(ctx, "%s: invalid regular expression: embedded NUL", fname);
        return NULL;
    }
    Tr t;
    memset(&t, 0, sizeof t);
    ab_init(&t.out, ctx->arena, len * 2 + 16);
    int cflags = REG_EXTENDED;
    if (java_to_posix(pat, len, &t, &cflags) != 0 || t.out.overflow || t.posix_groups >= RX_MATCHES) {
        func_fail(ctx, "%s: invalid regular expression '%.100s': %s", fname, pat,
                  t.err ? t.err : t.out.overflow ? "too long" : "too many groups");
        return NULL;
    }
    static __thread bool registered;
    if (!registered) {
        pthread_once(&rx_once, rx_key_init);
        pthread_setspecific(rx_key, rx_cache);
        registered = true;
    }
    RxEntry *e = &rx_cache[rx_next];
    rx_next = (rx_next + 1) % RX_CACHE;
    if (e->pattern) {
        regfree(&e->rx.re);
        free(e->pattern);
        e->pattern = NULL;
    }
    int rc = regcomp(&e->rx.re, t.out.p, cflags);
    if (rc != 0) {
        char msg[200];
        regerror(rc, &e->rx.re, msg, sizeof msg);
        regfree(&e->rx.re);
        func_fail(ctx, "%s: invalid regular expression '%.100s': %s", fname, pat, msg);
        return NULL;
    }
    e->pattern = malloc(len + 1);
    if (e->pattern == NULL)
        EDDY_PANIC("out of memory");
    memcpy(e->pattern, pat, len);
    e->pattern[len] = '\0';
    e->len = len;
    e->rx.ngroups = t.java_groups;
    memcpy(e->rx.map, t.map, sizeof t.map);
    e->rx.nposix = t.posix_groups;
    return &e->rx;
}

/* Finds the next match in s[0..n) at or after `from`; m has RX_MAX_GROUPS+1... entries
 * indexed by POSIX group.  Returns true on a match. */
static bool rx_find(const Rx *rx, const char *s, size_t n, size_t from, regmatch_t *m)
{
    if (from > n)
        return false;
    m[0].rm_so = (regoff_t)from;
    m[0].rm_eo = (regoff_t)n;
    int flags = REG_STARTEND | (from > 0 ? REG_NOTBOL : 0);
    return regexec(&rx->re, s, (size_t)rx->nposix + 1, m, flags) == 0;
}

/* Position after an empty match at `at`: one character further. */
static size_t next_char(const char *s, size_t n, size_t at)
{
    if (at >= n)
        return n + 1;
    u8_next(s, n, &at);
    return at;
}

static Value group_value(const Rx *rx, const regmatch_t *m, int group, const char *s, Arena *a)
{
    int pg = group == 0 ? 0 : rx->map[group];
    if (m[pg].rm_so < 0)
        return v_null();
    return v_string(a, s + m[pg].rm_so, (int32_t)(m[pg].rm_eo - m[pg].rm_so));
}

/* REGEXP_EXTRACT(pattern, input[, group]) */
/* The arguments of REGEXP_EXTRACT[_ALL](pattern, input[, group]): 1 with
 * *rx and *group; 0 when the result is NULL (a NULL argument, a group the
 * pattern lacks); -1 with ctx->err. */
static int extract_args(const Value *a, int n, FuncCtx *ctx, const char *fname, const Rx **rx, int *group)
{
    for (int i = 0; i < n; i++)
        if (v_is_null(&a[i]))
            return 0;
    *rx = rx_get(a[0].u.str.ptr, (size_t)a[0].u.str.len, ctx, fname);
    if (*rx == NULL)
        return -1;
    *group = n > 2 ? a[2].u.i32 : 0;
    if (*group > (*rx)->ngroups)
        return 0;
    if (*group < 0)
        return func_fail(ctx, "%s: no group %d", fname, *group);
    return 1;
}

int fn_regexp_extract(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    const Rx *rx;
    int group;
    int rc = extract_args(a, n, ctx, "REGEXP_EXTRACT", &rx, &group);
    if (rc <= 0) {
        *out = v_null();
        return rc;
    }
    regmatch_t m[RX_MATCHES];
    if (!rx_find(rx, a[1].u.str.ptr, (size_t)a[1].u.str.len, 0, m))
        RETURN_NULL;
    *out = group_value(rx, m, group, a[1].u.str.ptr, ctx->arena);
    return 0;
}

int fn_regexp_extract_all(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    const Rx *rx;
    int group;
    int rc = extract_args(a, n, ctx, "REGEXP_EXTRACT_ALL", &rx, &group);
    if (rc <= 0) {
        *out = v_null();
        return rc;
    }
    const char *s = a[1].u.str.ptr;
    size_t len = (size_t)a[1].u.str.len;
    VVec v = {.a = ctx->arena};
    regmatch_t m[RX_MATCHES];
    size_t pos = 0;
    while (rx_find(rx, s, len, pos, m)) {
        vv_push(&v, group_value(rx, m, group, s, ctx->arena));
        pos = m[0].rm_eo == m[0].rm_so ? next_char(s, len, (size_t)m[0].rm_eo) : (size_t)m[0].rm_eo;
        if (v.n > FUNC_MAX_RESULT / 16)
            return func_fail(ctx, "REGEXP_EXTRACT_ALL: too many matches");
    }
    *out = array_of(v.items, v.n);
    return 0;
}

/* REGEXP_REPLACE(input, regex, replacement): Java's replaceAll, with $n
 * group references and backslash escapes in the replacement. */
int fn_regexp_replace(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    if (v_is_null(&a[0]) || v_is_null(&a[1]) || v_is_null(&a[2]))
        RETURN_NULL;
    const Rx *rx = rx_get(a[1].u.str.ptr, (size_t)a[1].u.str.len, ctx, "REGEXP_REPLACE");
    if (rx == NULL)
        return -1;
    const char *s = a[0].u.str.ptr, *r = a[2].u.str.ptr;
    size_t len = (size_t)a[0].u.str.len, rn = (size_t)a[2].u.str.len;
    ABuf b;
    ab_init(&b, ctx->arena, len + 16);
    regmatch_t m[RX_MATCHES];
    size_t pos = 0, copied = 0;
    while (pos <= len && rx_find(rx, s, len, pos, m) && !b.overflow) {
        ab_put(&b, s + copied, (size_t)m[0].rm_so - copied);
        for (size_t i = 0; i < rn; i++) {
            if (r[i] == '\\') {
                if (++i >= rn)
                    return func_fail(ctx, "REGEXP_REPLACE: character to be escaped is missing");
                ab_putc(&b, r[i]);
            } else if (r[i] == '$') {
                if (++i >= rn)
                    return func_fail(ctx, "REGEXP_REPLACE: illegal group reference: group index is missing");
                if (!isdigit((unsigned char)r[i]))
                    return func_fail(ctx, "REGEXP_REPLACE: illegal group reference");
                int g = r[i] - '0';
                if (g > rx->ngroups)
                    return func_fail(ctx, "REGEXP_REPLACE: no group %d", g);
                /* Java takes more digits while the number stays a valid group. */
                while (i + 1 < rn && isdigit((unsigned char)r[i + 1]) && g * 10 + (r[i + 1] - '0') <= rx->ngroups)
                    g = g * 10 + (r[++i] - '0');
                int pg = g == 0 ? 0 : rx->map[g];
                if (m[pg].rm_so >= 0)
                    ab_put(&b, s + m[pg].rm_so, (size_t)(m[pg].rm_eo - m[pg].rm_so));
            } else {
                ab_putc(&b, r[i]);
            }
        }
        copied = (size_t)m[0].rm_eo;
        if (m[0].rm_eo == m[0].rm_so) {
            pos = next_char(s, len, (size_t)m[0].rm_eo);
            if (pos <= len) {
                ab_put(&b, s + copied, pos - copied);
                copied = pos;
            }
        } else {
            pos = (size_t)m[0].rm_eo;
        }
    }
    if (copied < len)
        ab_put(&b, s + copied, len - copied);
    return ab_done(&b, TYPE_STRING, out, ctx, "REGEXP_REPLACE");
}

/* REGEXP_SPLIT_TO_ARRAY(string, regex).  A regex that cannot match the
 * empty string splits like Guava's Splitter (empty pieces kept); one that
 * can (including '') splits like Java's Pattern.split: no leading empty
 * piece for a zero-width match at 0, trailing empty pieces dropped. */
int fn_regexp_split(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    if (v_is_null(&a[0]) || v_is_null(&a[1]))
        RETURN_NULL;
    const Rx *rx = rx_get(a[1].u.str.ptr, (size_t)a[1].u.str.len, ctx, "REGEXP_SPLIT_TO_ARRAY");
    if (rx == NULL)
        return -1;
    const char *s = a[0].u.str.ptr;
    size_t len = (size_t)a[0].u.str.len;
    regmatch_t m[RX_MATCHES];
    bool matches_empty = rx_find(rx, "", 0, 0, m) && m[0].rm_so == 0 && m[0].rm_eo == 0;
    VVec v = {.a = ctx->arena};
    size_t index = 0, pos = 0;
    while (pos <= len && rx_find(rx, s, len, pos, m)) {
        size_t so = (size_t)m[0].rm_so, eo = (size_t)m[0].rm_eo;
        pos = so == eo ? next_char(s, len, eo) : eo;
        if (matches_empty && index == 0 && so == 0 && eo == 0)
            continue;
        if (matches_empty && so == eo && so >= len)
            break;   /* Java's find never yields a piece from a match at the very end */
        vv_push(&v, v_string(ctx->arena, s + index, (int32_t)(so - index)));
        index = eo;
        if (v.n > FUNC_MAX_RESULT / 16)
            return func_fail(ctx, "REGEXP_SPLIT_TO_ARRAY: too many pieces");
    }
    vv_push(&v, v_string(ctx->arena, s + index, (int32_t)(len - index)));
    if (matches_empty)
        while (v.n > 1 && v.items[v.n - 1].u.str.len == 0)
            v.n--;
    *out = array_of(v.items, v.n);
    return 0;
}
