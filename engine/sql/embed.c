/*
 * embed.c - the parts of the embedding API (eddy.h) that are not the engine
 * object: the language's words for a shell (keywords, function names, the
 * end of a statement) and values as the engine reads and writes them
 * (times, doubles).  They let cli/ and other embedders use the parser, the
 * function table and the value layer without including their headers.
 *
 * Every function here forwards to the layer that owns the behaviour, so an
 * embedder sees exactly what a statement would: eddy_parse_time reads a
 * time as TIMESTAMP_FORMAT does, eddy_format_double writes a DOUBLE as a
 * query result shows it.
 */
#include "eddy/ast.h"
#include "eddy/datetime.h"
#include "eddy/eddy.h"
#include "eddy/engine/functions.h"
#include "eddy/value.h"

#include <stdio.h>
#include <strings.h>

/* ---- the language's words --------------------------------------------- */

const char *const *eddy_keywords(void)
{
    return parse_keywords();
}

const char *eddy_function_name(int i)
{
    /* PREDICT and MODEL_VERSION are not in the registry (models score in
     * a SCORE node, engine/plan/bind_model.c) but are called like functions. */
    static const char *const model_calls[] = {"MODEL_VERSION", "PREDICT"};   /* sorted */
    int nf = func_count(), f = 0, m = 0;
    for (int k = 0; i >= 0 && (f < nf || m < 2); k++) {
        bool model = m < 2 && (f == nf || strcasecmp(model_calls[m], func_info_at(f)->name) < 0);
        const char *name = model ? model_calls[m++] : func_info_at(f++)->name;
        if (k == i)
            return name;
    }
    return NULL;
}

bool eddy_statement_complete(const char *text)
{
    return parse_is_complete(text);
}

/* ---- values ------------------------------------------------------------ */

void eddy_format_double(double d, StrBuf *out)
{
    value_format_double(d, out);
}

void eddy_format_time(int64_t ms, StrBuf *out)
{
    dt_format_timestamp_iso(ms, out);
}

int eddy_check_time_format(const char *format, EddyError *err)
{
    unsigned fields;
    return dt_pattern_fields(format, &fields, err) < 0 ? -1 : 0;
}

int eddy_check_time_zone(const char *zone, EddyError *err)
{
    return dt_zone_check(zone, err);
}

int eddy_parse_time(const char *text, const char *format, const char *zone, int64_t *ms,
                    EddyError *err)
{
    if (format)
        return dt_parse(text, format, zone, ms, err);
    if (dt_parse_timestamp_iso(text, ms) < 0)
        return eddy_error(err, ERR_SYNTAX, (SrcPos){0, 0}, "'%s' is not an ISO-8601 time", text);
    if (zone == NULL)
        return 0;
    /* Without an offset of its own (then adding one still parses), the
     * time is local to the zone: its offset at that local time, looked up
     * again at the instant found, which is right across a DST change. */
    char zoned[128];
    int64_t local;
    snprintf(zoned, sizeof zoned, "%sZ", text);
    if (dt_parse_timestamp_iso(zoned, &local) == 0) {
        int32_t off;
        if (dt_zone_offset(zone, local, &off, err) < 0 ||
            dt_zone_offset(zone, local - off * 1000LL, &off, err) < 0)
            return -1;
        *ms = local - off * 1000LL;
    }
    return 0;
}
