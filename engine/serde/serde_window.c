/*
 * serde_window.c - the windowed-key codec: Kafka Streams' layouts of a
 * windowed record key, which ksqlDB writes for windowed aggregations and
 * reads for sources declared WITH (WINDOW_TYPE=...).
 *
 * In:  a record key (inner key bytes + window suffix) or key columns and
 * window bounds; out: the other.  Layouts (serde.h):
 *   TUMBLING, HOPPING:  inner | start           (TimeWindowedSerializer)
 *   SESSION:            inner | end | start     (SessionWindowedSerializer)
 * each bound an 8-byte big-endian two's-complement integer.  A time
 * window's end is start + size (TimeWindowedDeserializer; Long.MAX_VALUE
 * on overflow).  Invariant: every decoded window has 0 <= start <= end,
 * as Kafka Streams' Window constructor demands, so -1 stays free to mean
 * "no window" in a Row.
 */
#include "eddy/engine/serde.h"

#include <stdint.h>
#include <string.h>

const char *window_kind_name(WindowKind k)
{
    switch (k) {
    case WKIND_TUMBLING: return "TUMBLING";
    case WKIND_HOPPING: return "HOPPING";
    case WKIND_SESSION: return "SESSION";
    case WKIND_NONE: break;
    }
    return NULL;
}

int window_kind_parse(const char *name, WindowKind *out)
{
    static const WindowKind kinds[] = {WKIND_TUMBLING, WKIND_HOPPING, WKIND_SESSION};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (str_ieq(name, window_kind_name(kinds[i]))) {
            *out = kinds[i];
            return 0;
        }
    return -1;
}

size_t serde_window_len(WindowKind kind)
{
    return kind == WKIND_NONE ? 0 : kind == WKIND_SESSION ? 16 : 8;
}

void serde_window_encode(WindowKind kind, int64_t start, int64_t end, StrBuf *out)
{
    if (kind == WKIND_SESSION)
        sb_put_be64(out, (uint64_t)end);
    if (kind != WKIND_NONE)
        sb_put_be64(out, (uint64_t)start);
}

static int check_bounds(int64_t start, int64_t end, EddyError *err)
{
    if (start < 0)
        return eddy_error(err, ERR_RUNTIME, (SrcPos){0}, "window start %lld is negative",
                          (long long)start);
    if (end < start)
        return eddy_error(err, ERR_RUNTIME, (SrcPos){0}, "window end %lld is before its start %lld",
                          (long long)end, (long long)start);
    return 0;
}

int serde_window_decode(WindowKind kind, int64_t size_ms, const void *key, size_t len,
                        size_t *inner_len, int64_t *start, int64_t *end, EddyError *err)
{
    size_t wl = serde_window_len(kind);
    *start = *end = -1;
    *inner_len = len;
    if (wl == 0)
        return 0;
    if (key == NULL || len < wl)
        return eddy_error(err, ERR_RUNTIME, (SrcPos){0},
                          "a %s-windowed key needs at least %zu bytes of window, got %zu bytes",
                          window_kind_name(kind), wl, key ? len : 0);
    const unsigned char *w = (const unsigned char *)key + len - wl;
    int64_t s, e;
    if (kind == WKIND_SESSION) {
        e = (int64_t)be64_get(w);
        s = (int64_t)be64_get(w + 8);
    } else {
        s = (int64_t)be64_get(w);
        e = s > INT64_MAX - size_ms ? INT64_MAX : s + size_ms;
    }
    if (check_bounds(s, e, err) != 0)
        return -1;
    *inner_len = len - wl;
    *start = s;
    *end = e;
    return 0;
}

bool serde_key_absent(const Value *vals, int ncols, WindowKind kind)
{
    if (ncols == 0)
        return kind == WKIND_NONE;
    for (int i = 0; i < ncols; i++)
        if (vals[i].kind != TYPE_NULL)
            return false;
    return true;
}

int serde_encode_key(Format fmt, const SerdeOptions *opts, const Column *cols, int ncols,
                     const Value *vals, WindowKind kind, int64_t start, int64_t end, StrBuf *out,
                     EddyError *err)
{
    if (kind != WKIND_NONE && check_bounds(start, kind == WKIND_SESSION ? end : start, err) != 0)
        return -1;
    if (serde_encode(fmt, opts, cols, ncols, vals, out, err) != 0)
        return -1;
    serde_window_encode(kind, start, end, out);
    return 0;
}

int serde_decode_key(Format fmt, const SerdeOptions *opts, const Column *cols, int ncols,
                     WindowKind kind, int64_t size_ms, const void *buf, size_t len, Value *out,
                     int64_t *start, int64_t *end, Arena *arena, EddyError *err)
{
    size_t inner;
    if (serde_window_decode(kind, size_ms, buf, len, &inner, start, end, err) != 0)
        return -1;
    if (ncols == 0)
        return 0;   /* a windowed stream without key columns: the window only */
    /* Key formats read the whole buffer they are given (KAFKA STRING takes
     * every byte), so the inner key is exactly what precedes the window. */
    return serde_decode(fmt, opts, cols, ncols, buf, inner, out, arena, err);
}
