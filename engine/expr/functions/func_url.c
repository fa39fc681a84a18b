/*
 * func_url.c - the URL functions of the builtin registry (the table is in
 * functions.c): URL_EXTRACT_HOST, _PATH, _PORT, _PROTOCOL, _QUERY,
 * _FRAGMENT, _PARAMETER, URL_ENCODE_PARAM, URL_DECODE_PARAM.
 *
 * In:  STRING arguments.  Out: a STRING (INT for the port) in ctx->arena,
 *      NULL, or -1 with ctx->err set (the evaluator makes that NULL and
 *      counts it, as ksqlDB's processing log does).
 *
 * ksqlDB parses with java.net.URI, so this file follows that parser's
 * rules (RFC 2396 with Java's deviations), not a browser's: a string URI
 * rejects (malformed URL -> error -> NULL) is one with a character outside
 * its component's set (space, '{', '|', '"', ...) or a '%' not followed by
 * two hex digits; an authority that does not parse as
 * [userinfo@]host[:port] but is a legal registry name (my_host) has no
 * host and no port; "scheme:rest" without a '/' after the colon is opaque
 * (mailto:x) and has no host, path or query.  Path, query and fragment
 * come back percent-decoded (UTF-8; '+' stays '+'), the host as written.
 * Characters above U+0080 that are not spaces or controls are legal
 * wherever an escape is (Java's "other" characters).
 *
 * URL_ENCODE_PARAM / URL_DECODE_PARAM are application/x-www-form-urlencoded
 * as Java's URLEncoder / URLDecoder in UTF-8: letters, digits and ".-*_"
 * stay, a space is '+', every other byte %XX (upper-case hex); decoding
 * turns '+' into a space and rejects a '%' without two hex digits.
 */
#include "func_int.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* ---- character classes (RFC 2396 as java.net.URI has them) -------------- */

enum {
    C_ALPHA = 1, C_DIGIT = 2, C_MARK = 4,      /* mark: -_.!~*'() */
    C_RESERVED = 8,                            /* ;/?:@&=+$,[] */
    C_PCHAR_X = 16,                            /* :@&=+$, (pchar beyond unreserved) */
    C_USERINFO_X = 32,                         /* ;:&=+$, */
    C_REG_X = 64,                              /* $,;:@&=+ */
    C_SERVER_X = 128,                          /* .:@[] and '-' */
};

static unsigned char cls(unsigned char c)
{
    unsigned char m = 0;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        m |= C_ALPHA;
    if (c >= '0' && c <= '9')
        m |= C_DIGIT;
    if (c && strchr("-_.!~*'()", c))
        m |= C_MARK;
    if (c && strchr(";/?:@&=+$,[]", c))
        m |= C_RESERVED;
    if (c && strchr(":@&=+$,", c))
        m |= C_PCHAR_X;
    if (c && strchr(";:&=+$,", c))
        m |= C_USERINFO_X;
    if (c && strchr("$,;:@&=+", c))
        m |= C_REG_X;
    if (c && strchr(".:@[]-", c))
        m |= C_SERVER_X;
    return m;
}

#define C_UNRESERVED (C_ALPHA | C_DIGIT | C_MARK)
#define SET_URIC (C_RESERVED | C_UNRESERVED)
#define SET_PATH (C_UNRESERVED | C_PCHAR_X)          /* plus ';' and '/' */
#define SET_USERINFO (C_UNRESERVED | C_USERINFO_X)
#define SET_REG (C_UNRESERVED | C_REG_X)
#define SET_SERVER (SET_USERINFO | C_SERVER_X)

/* Java's Character.isSpaceChar (Zs, Zl, Zp) above U+0080. */
static bool is_space_char(uint32_t cp)
{
    return cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* Outcome of scanning a component. */
typedef enum { SCAN_OK, SCAN_STOP, SCAN_BAD_ESCAPE } ScanRes;

/* Scans s[*i..n) while characters are in `set` (with ';' and '/' for a
 * path), escapes (%XX) and "other" characters.  Stops at the first other
 * character (SCAN_STOP, *i there); a malformed escape is SCAN_BAD_ESCAPE. */
static ScanRes scan_set(const char *s, size_t n, size_t *i, unsigned set, bool path)
{
    while (*i < n) {
        unsigned char c = (unsigned char)s[*i];
        if (c < 0x80) {
            if ((cls(c) & set) || (path && (c == ';' || c == '/'))) {
                (*i)++;
                continue;
            }
            if (c == '%') {
                if (*i + 2 < n && hexval(s[*i + 1]) >= 0 && hexval(s[*i + 2]) >= 0) {
                    *i += 3;
                    continue;
                }
                return SCAN_BAD_ESCAPE;
            }
            return SCAN_STOP;
        }
        size_t j = *i;
        uint32_t cp = u8_next(s, n, &j);
        if (!cp_invalid(cp) && (cp < 0xA0 || is_space_char(cp)))
            return SCAN_STOP;   /* C1 controls and spaces are illegal */
        *i = j;                 /* an invalid byte is U+FFFD to Java: legal */
    }
    return SCAN_OK;
}

/* Is all of s[st..en) legal for `set`?  (false on any bad character.) */
static bool all_in(const char *s, size_t st, size_t en, unsigned set, bool path)
{
    size_t i = st;
    return scan_set(s, en, &i, set, path) == SCAN_OK;
}

/* ---- the parsed URI ------------------------------------------------------ */

typedef struct Span {
    size_t st, en;
    bool present;
} Span;

typedef struct Uri {
    Span scheme, host, path, query, fragment;
    int32_t port;    /* -1: none */
} Uri;

static size_t find_any(const char *s, size_t st, size_t en, const char *stops)
{
    while (st < en && !strchr(stops, s[st]))
        st++;
    return st;
}

/* dec-octet of an IPv4 address: up to 3 digits, <= 255.  Returns the end
 * or st when there is none. */
static size_t ipv4_byte(const char *s, size_t st, size_t en)
{
    size_t i = st;
    int v = 0;
    while (i < en && i - st < 4 && s[i] >= '0' && s[i] <= '9')
        v = v * 10 + (s[i++] - '0');
    if (i == st || i - st > 3 || v > 255)
        return st;
    return i;
}

/* A dotted-quad IPv4 address at s[st..en) followed by the end or ':'. */
static size_t parse_ipv4(const char *s, size_t st, size_t en)
{
    size_t p = st;
    for (int k = 0; k < 4; k++) {
        if (k > 0) {
            if (p >= en || s[p] != '.')
                return st;
            p++;
        }
        size_t q = ipv4_byte(s, p, en);
        if (q == p)
            return st;
        p = q;
    }
    if (p < en && s[p] != ':')
        return st;
    return p;
}

/* hostname = domainlabels, the last starting with a letter when there is
 * more than one; labels are alphanumerics and inner dashes.  Returns the
 * end, or (size_t)-1 if it is not one. */
static size_t parse_hostname(const char *s, size_t st, size_t en)
{
    size_t p = st, last = (size_t)-1;
    while (p < en) {
        unsigned char c = (unsigned char)s[p];
        if (!(cls(c) & (C_ALPHA | C_DIGIT)))
            break;
        last = p;
        while (p < en && ((cls((unsigned char)s[p]) & (C_ALPHA | C_DIGIT)) || s[p] == '-'))
            p++;
        if (s[p - 1] == '-')
            return (size_t)-1;
        if (p < en && s[p] == '.')
            p++;
        else
            break;
    }
    if (last == (size_t)-1 || (p < en && s[p] != ':'))
        return (size_t)-1;
    if (last > st && !(cls((unsigned char)s[last]) & C_ALPHA))
        return (size_t)-1;
    return p;
}

/* An IPv6 reference "[...]": hex groups, colons, at most one "::", an
 * optional trailing dotted quad.  Returns the end after ']' or -1. */
static size_t parse_ipv6(const char *s, size_t st, size_t en)
{
    size_t close = find_any(s, st, en, "]");
    if (close >= en || close == st + 1)
        return (size_t)-1;
    int groups = 0, dcolons = 0;
    size_t p = st + 1;
    while (p < close) {
        if (s[p] == ':') {
            if (p + 1 < close && s[p + 1] == ':') {
                dcolons++;
                p += 2;
            } else {
                p++;
            }
            continue;
        }
        size_t q = p;
        while (q < close && hexval(s[q]) >= 0)
            q++;
        if (q < close && s[q] == '.') {   /* embedded IPv4 tail */
            if (parse_ipv4(s, p, close) != close)
                return (size_t)-1;
            groups += 2;
            p = close;
            break;
        }
        if (q == p || q - p > 4)
            return (size_t)-1;
        groups++;
        p = q;
    }
    if (dcolons > 1 || groups > 8 || (dcolons == 0 && groups != 8))
        return (size_t)-1;
    return close + 1;
}

/* server = [userinfo@]host[:port] over all of s[st..en); false if not. */
static bool parse_server(const char *s, size_t st, size_t en, Uri *u)
{
    size_t p = st;
    size_t at = find_any(s, st, en, "@");
    if (at < en) {
        if (!all_in(s, st, at, SET_USERINFO, false))
            return false;
        p = at + 1;
    }
    size_t q;
    if (p < en && s[p] == '[') {
        q = parse_ipv6(s, p, en);
        if (q == (size_t)-1)
            return false;
    } else {
        q = parse_ipv4(s, p, en);
        if (q == p)
            q = parse_hostname(s, p, en);
        if (q == (size_t)-1)
            return false;
    }
    u->host = (Span){p, q, true};
    p = q;
    if (p < en && s[p] == ':') {
        p++;
        size_t d = p;
        int64_t port = 0;
        while (d < en && s[d] >= '0' && s[d] <= '9') {
            port = port * 10 + (s[d] - '0');
            if (port > INT32_MAX)
                return false;
            d++;
        }
        if (d > p)
            u->port = (int32_t)port;
        p = d;
    }
    return p == en;
}

/* Parses s[0..n) as java.net.URI does; false if URI would throw. */
static bool uri_parse(const char *s, size_t n, Uri *u)
{
    memset(u, 0, sizeof *u);
    u->port = -1;
    size_t p = 0;

    /* A scheme is what precedes the first ':' when no '/', '?' or '#' comes first. */
    size_t colon = find_any(s, 0, n, ":/?#");
    bool hierarchical = true;
    if (colon < n && s[colon] == ':') {
        if (colon == 0 || !(cls((unsigned char)s[0]) & C_ALPHA))
            return false;
        for (size_t i = 1; i < colon; i++)
            if (!(cls((unsigned char)s[i]) & (C_ALPHA | C_DIGIT)) && !strchr("+-.", s[i]))
                return false;
        u->scheme = (Span){0, colon, true};
        p = colon + 1;
        if (p >= n || s[p] != '/') {
            /* Opaque: the scheme-specific part must not be empty. */
            size_t q = find_any(s, p, n, "#");
            if (q == p || !all_in(s, p, q, SET_URIC, false))
                return false;
            p = q;
            hierarchical = false;
        }
    }
    if (hierarchical) {
        if (p + 1 < n && s[p] == '/' && s[p + 1] == '/') {
            p += 2;
            size_t q = find_any(s, p, n, "/?#");
            if (q > p) {
                size_t i = p;
                ScanRes r = scan_set(s, q, &i, SET_SERVER, false);
                if (r == SCAN_BAD_ESCAPE)
                    return false;
                bool server_chars = r == SCAN_OK;
                bool reg_chars = all_in(s, p, q, SET_REG, false);
                Uri saved = *u;
                if (!(server_chars && parse_server(s, p, q, u))) {
                    *u = saved;   /* registry-based: no host, no port */
                    if (!reg_chars)
                        return false;
                }
            } else if (q >= n) {
                return false;     /* "http://": an authority is expected */
            }
            p = q;
        }
        size_t q = find_any(s, p, n, "?#");
        if (!all_in(s, p, q, SET_PATH, true))
            return false;
        u->path = (Span){p, q, true};
        p = q;
        if (p < n && s[p] == '?') {
            q = find_any(s, p + 1, n, "#");
            if (!all_in(s, p + 1, q, SET_URIC, false))
                return false;
            u->query = (Span){p + 1, q, true};
            p = q;
        }
    }
    if (p < n && s[p] == '#') {
        if (!all_in(s, p + 1, n, SET_URIC, false))
            return false;
        u->fragment = (Span){p + 1, n, true};
        p = n;
    }
    return p == n;
}

/* Percent-decodes s[0..n) onto b as Java does: a run of %XX escapes is
 * UTF-8 bytes (a malformed sequence becomes U+FFFD); '+' is a space only
 * for form decoding.  -1 at a '%' without two hex digits. */
static int pct_decode(const char *s, size_t n, bool plus_is_space, ABuf *b)
{
    for (size_t i = 0; i < n;) {
        if (s[i] == '+' && plus_is_space) {
            ab_putc(b, ' ');
            i++;
            continue;
        }
        if (s[i] != '%') {
            ab_putc(b, s[i++]);
            continue;
        }
        if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
            return -1;
        size_t st = b->len;
        while (i + 2 < n && s[i] == '%' && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            ab_putc(b, (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
            i += 3;
        }
        if (b->overflow || utf8_valid_prefix(b->p + st, b->len - st) == b->len - st)
            continue;
        StrBuf *run = func_scratch();
        sb_append(run, b->p + st, b->len - st);
        b->len = st;
        for (size_t k = 0; k < run->len;) {
            size_t ks = k;
            if (cp_invalid(u8_next(run->data, run->len, &k)))
                ab_put(b, "\xEF\xBF\xBD", 3);
            else
                ab_put(b, run->data + ks, k - ks);
        }
    }
    return 0;
}

/* A component as URI.getPath() & co. return it (escapes were checked by
 * uri_parse). */
static int uri_decode(const char *s, size_t n, Value *out, FuncCtx *ctx, const char *fname)
{
    ABuf b;
    ab_init(&b, ctx->arena, n + 1);
    pct_decode(s, n, false, &b);
    return ab_done(&b, TYPE_STRING, out, ctx, fname);
}

/* Parses the argument; -1 (an error, hence NULL) if URI would reject it. */
static int url_arg(const Value *a, Uri *u, FuncCtx *ctx, const char *fname)
{
    if (!uri_parse(a->u.str.ptr, (size_t)a->u.str.len, u))
        return func_fail(ctx, "%s: URL input has invalid syntax: %.*s", fname,
                         a->u.str.len > 200 ? 200 : (int)a->u.str.len, a->u.str.ptr);
    return 0;
}

/* One component of the URL: NULL if absent; path, query and fragment are
 * percent-decoded, host and scheme come back as written (URI does not
 * decode them). */
static int url_component(const Value *a, Value *out, FuncCtx *ctx, const char *fname, size_t which,
                         bool decode)
{
    Uri u;
    if (url_arg(&a[0], &u, ctx, fname) != 0)
        return -1;
    Span sp = *(Span *)((char *)&u + which);
    if (!sp.present)
        RETURN_NULL;
    if (decode)
        return uri_decode(a[0].u.str.ptr + sp.st, sp.en - sp.st, out, ctx, fname);
    *out = str_value(ctx->arena, a[0].u.str.ptr + sp.st, sp.en - sp.st, TYPE_STRING);
    return 0;
}

int fn_url_extract_path(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    return url_component(a, out, ctx, "URL_EXTRACT_PATH", offsetof(Uri, path), true);
}

int fn_url_extract_query(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    return url_component(a, out, ctx, "URL_EXTRACT_QUERY", offsetof(Uri, query), true);
}

int fn_url_extract_fragment(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    return url_component(a, out, ctx, "URL_EXTRACT_FRAGMENT", offsetof(Uri, fragment), true);
}

int fn_url_extract_host(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    return url_component(a, out, ctx, "URL_EXTRACT_HOST", offsetof(Uri, host), false);
}

int fn_url_extract_protocol(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    return url_component(a, out, ctx, "URL_EXTRACT_PROTOCOL", offsetof(Uri, scheme), false);
}

int fn_url_extract_port(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    Uri u;
    if (url_arg(&a[0], &u, ctx, "URL_EXTRACT_PORT") != 0)
        return -1;
    if (u.port < 0)
        RETURN_NULL;
    *out = v_int(u.port);
    return 0;
}

/* URL_EXTRACT_PARAMETER(url, name): the decoded query split on '&', each
 * part on its first '='; the first part whose name matches exactly gives
 * its value ("" for a bare name); none -> NULL. */
int fn_url_extract_parameter(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    Value q = v_null();
    if (url_component(a, &q, ctx, "URL_EXTRACT_PARAMETER", offsetof(Uri, query), true) != 0)
        return -1;
    if (v_is_null(&q))
        RETURN_NULL;
    const char *s = q.u.str.ptr, *want = a[1].u.str.ptr;
    size_t len = (size_t)q.u.str.len, wlen = (size_t)a[1].u.str.len;
    for (size_t st = 0; st <= len;) {
        const char *amp = memchr(s + st, '&', len - st);
        size_t en = amp ? (size_t)(amp - s) : len;
        const char *eq = memchr(s + st, '=', en - st);
        size_t kend = eq ? (size_t)(eq - s) : en;
        if (kend - st == wlen && memcmp(s + st, want, wlen) == 0) {
            *out = eq ? v_string_borrow(eq + 1, (int32_t)(en - kend - 1)) : v_string_borrow("", 0);
            return 0;
        }
        st = en + 1;
    }
    RETURN_NULL;
}

/* ---- form encoding ---------------------------------------------------------- */

int fn_url_encode_param(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    static const char hex[] = "0123456789ABCDEF";
    const char *s = a[0].u.str.ptr;
    size_t len = (size_t)a[0].u.str.len;
    ABuf b;
    ab_init(&b, ctx->arena, len + 16);
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if ((cls(c) & (C_ALPHA | C_DIGIT)) || (c && strchr(".-*_", c))) {
            ab_putc(&b, (char)c);
            i++;
            continue;
        }
        if (c == ' ') {
            ab_putc(&b, '+');
            i++;
            continue;
        }
        size_t st = i;
        uint32_t cp = u8_next(s, len, &i);
        const char *bytes = s + st;
        size_t nb = i - st;
        if (cp_invalid(cp)) {   /* not UTF-8: Java would have read U+FFFD */
            bytes = "\xEF\xBF\xBD";
            nb = 3;
        }
        for (size_t k = 0; k < nb; k++) {
            char e[3] = {'%', hex[(unsigned char)bytes[k] >> 4], hex[(unsigned char)bytes[k] & 15]};
            ab_put(&b, e, 3);
        }
    }
    return ab_done(&b, TYPE_STRING, out, ctx, "URL_ENCODE_PARAM");
}

int fn_url_decode_param(const Value *a, int n, Value *out, FuncCtx *ctx)
{
    (void)n;
    ABuf b;
    ab_init(&b, ctx->arena, (size_t)a[0].u.str.len + 1);
    if (pct_decode(a[0].u.str.ptr, (size_t)a[0].u.str.len, true, &b) != 0)
        return func_fail(ctx, "URL_DECODE_PARAM: illegal or incomplete escape (%%) pattern in '%.*s'",
                         a[0].u.str.len > 200 ? 200 : (int)a[0].u.str.len, a[0].u.str.ptr);
    return ab_done(&b, TYPE_STRING, out, ctx, "URL_DECODE_PARAM");
}
